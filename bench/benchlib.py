"""Shared helpers of scripts/bench and scripts/bench-stacks (stdlib only)."""

from __future__ import annotations

import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DOC = REPO / "docs" / "benchmarks.md"

DOC_HEADER = """# Benchmarks

What leakcheck costs next to plain `go test` and uber-go/goleak, and how fast
`leakcheck stacks` reads a big goroutine dump. Every table below is written by
a script in this repository; rerun them on a quiet machine (the figures are
wall-clock times, so anything else running on the machine shows up in them):

```sh
scripts/bench              # go test vs leakcheck vs goleak on generated suites (~35 min on 2 cores)
scripts/bench --quick      # smoke run: small suites, one timed run each (~4 min)
scripts/bench-stacks       # leakcheck stacks vs panicparse on a 50,000-goroutine dump (~10 min)
cargo bench --bench parse  # criterion: dump::parse, streaming, grouping; throughput in bytes/s
```

Each script builds leakcheck (`cargo build --release`; `--target-dir DIR` to
build elsewhere, `--leakcheck PATH` to use a binary you have) and rewrites only
its own section of this file, between the `BEGIN` and `END` comments;
`--out PATH` writes the section into another file (`scripts/bench` writes the
chart next to it). `scripts/bench --help` lists the suites; `--shapes
tiny,leaky` runs some of them, `--repeats N` changes the number of timed runs,
`--keep` keeps the generated Go modules.

How `scripts/bench` measures: each suite is generated as its own Go module in
a temporary directory, in three copies with the same test bodies: plain tests
(run by `go test`, `go test -json` and `leakcheck`), tests that start with
`defer goleak.VerifyNone(t)`, and a `TestMain` calling
`goleak.VerifyTestMain(m)`. It uses its own build cache
(`~/.cache/leakcheck-bench/gocache`, kept between runs) so that it can count
what each run compiles. One untimed run of each tool warms the cache; the
timed runs are interleaved (go test, go test -json, leakcheck, VerifyNone,
VerifyTestMain, then again) so that a change in the machine's load hits every
tool alike. leakcheck's warm-up run writes `--report-json`, and every verdict
in it is checked against what the suite is built to do.
"""


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None, check: bool = True,
        capture: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.STDOUT if capture else None)
    if check and p.returncode != 0:
        out = (p.stdout or "")[-4000:]
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(cmd)} in {cwd}\n{out}")
    return p


def timed(cmd: list[str], cwd: Path | None, env: dict | None, out_path: Path,
          timeout: float = 1800) -> tuple[float, int, float]:
    """Runs cmd with stdout+stderr to out_path; returns (wall seconds, exit
    code, CPU seconds of the command and its children). Waits with a blocking
    wait4: subprocess's own wait polls with sleeps of up to 50 ms when given a
    timeout, which would quantise every timing."""
    with open(out_path, "w") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        t1 = time.perf_counter()
        p.returncode = os.waitstatus_to_exitcode(status)
    return t1 - t0, p.returncode, ru.ru_utime + ru.ru_stime


def stats(xs: list[float]) -> tuple[float, float]:
    return min(xs), statistics.median(xs)


def fmt_s(x: float) -> str:
    if x >= 100:
        return f"{x:.0f} s"
    if x >= 10:
        return f"{x:.1f} s"
    return f"{x:.2f} s"


def fmt_us(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}"


def machine_info(leakcheck: Path | None) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "go": run(["go", "version"]).stdout.strip(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
    }
    try:
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["mem"] = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        info["mem"] = "unknown"
    if leakcheck is not None:
        info["leakcheck"] = run([str(leakcheck), "--version"]).stdout.strip().splitlines()[0]
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "src",
                                "helper"], text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if rev.returncode == 0:
            info["leakcheck"] += f" (commit {rev.stdout.strip()}{', with uncommitted changes' if dirty.stdout.strip() else ''})"
    try:
        info["load"] = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        info["load"] = "unknown"
    return info


def build_leakcheck(target_dir: str | None) -> Path:
    cmd = ["cargo", "build", "--release", "--locked"]
    tdir = Path(target_dir) if target_dir else REPO / "target"
    if target_dir:
        cmd += ["--target-dir", target_dir]
    log(f"building leakcheck: {' '.join(cmd)}")
    run(cmd, cwd=REPO, capture=False)
    exe = tdir / "release" / "leakcheck"
    if not exe.exists():
        raise SystemExit(f"no binary at {exe}")
    return exe


def replace_section(doc: Path, name: str, body: str) -> None:
    """Replaces the text between <!-- BEGIN name --> and <!-- END name -->
    in doc (creating the file, or appending the section, when missing)."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}\n"
    text = doc.read_text() if doc.exists() else DOC_HEADER
    pat = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pat.search(text):
        text = pat.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip() + "\n\n" + block
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        raise SystemExit(f"{tool} not found on PATH")


def timed_rss(cmd: list[str], out_path: Path | str, timeout: float | None = None,
              env: dict | None = None) -> dict:
    """Runs cmd under /usr/bin/time -f %M (stdout to out_path, stderr
    discarded). Returns {"secs", "rss_kb", "cpu", "rc", "timed_out"}. On
    timeout the process group is killed; rss_kb is then the peak so far
    (VmHWM from /proc)."""
    rss_file = tempfile.NamedTemporaryFile(prefix="bench-rss-", delete=False)
    rss_file.close()
    use_time = Path("/usr/bin/time").exists()
    full = (["/usr/bin/time", "-f", "%M", "-o", rss_file.name] if use_time else []) + cmd
    with open(out_path, "w") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        timed_out = False
        hwm = None

        def kill() -> None:
            nonlocal timed_out, hwm
            timed_out = True
            hwm = _peak_rss_of_tree(p.pid)
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            if timer:
                timer.cancel()
        secs = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
    rss = None
    if timed_out:
        rss = hwm
    elif use_time:
        try:
            rss = int(Path(rss_file.name).read_text().split()[-1])
        except (OSError, ValueError, IndexError):
            rss = None
    if rss is None and not timed_out:
        rss = ru.ru_maxrss
    os.unlink(rss_file.name)
    return {"secs": secs, "rss_kb": rss, "cpu": ru.ru_utime + ru.ru_stime, "rc": p.returncode,
            "timed_out": timed_out}


def _peak_rss_of_tree(pid: int) -> int | None:
    """Largest VmHWM (KiB) among pid and its descendants."""
    best = None
    todo = [pid]
    while todo:
        q = todo.pop()
        try:
            status = Path(f"/proc/{q}/status").read_text()
            m = re.search(r"VmHWM:\s+(\d+)", status)
            if m:
                best = max(best or 0, int(m.group(1)))
            for task in Path(f"/proc/{q}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo.extend(int(k) for k in kids)
        except OSError:
            continue
    return best
