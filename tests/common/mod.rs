//! Shared helpers for the end-to-end tests: they run the real leakcheck
//! binary, which runs the real `go test`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository's go-fixtures module.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("go-fixtures")
}

/// The leakcheck binary built for these tests.
pub fn leakcheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakcheck"))
}

/// What one leakcheck run produced.
pub struct Run {
    pub output: Output,
    pub report: Value,
    pub junit: String,
    pub dir: tempfile::TempDir,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// (package, test) → the test's JSON object (last run).
    pub fn tests(&self) -> BTreeMap<(String, String), Value> {
        let mut out = BTreeMap::new();
        for p in self.report["packages"].as_array().into_iter().flatten() {
            let pkg = p["import_path"].as_str().unwrap_or_default().to_string();
            for t in p["tests"].as_array().into_iter().flatten() {
                out.insert(
                    (pkg.clone(), t["name"].as_str().unwrap_or_default().to_string()),
                    t.clone(),
                );
            }
        }
        out
    }

    /// The tests (package, name) whose last run leaked, in order.
    pub fn leaked(&self) -> Vec<(String, String)> {
        self.tests()
            .into_iter()
            .filter(|(_, t)| t["verdict"] == "leaked")
            .map(|(k, _)| k)
            .collect()
    }

    /// Every run of a package's tests, in the report's order.
    pub fn runs(&self, import_path: &str) -> Vec<TestRun> {
        self.package(import_path)["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| TestRun {
                name: t["name"].as_str().unwrap().to_string(),
                run: t["run"].as_u64().unwrap(),
                verdict: t["verdict"].as_str().unwrap().to_string(),
                attempts: t["attempts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["verdict"].as_str().unwrap().to_string())
                    .collect(),
            })
            .collect()
    }

    /// A test's verdict (its last run), or `absent`.
    pub fn verdict(&self, pkg: &str, test: &str) -> String {
        self.tests()
            .get(&(pkg.to_string(), test.to_string()))
            .map(|t| t["verdict"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| "absent".into())
    }

    /// The package's JSON object.
    pub fn package(&self, import_path: &str) -> Value {
        self.report["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["import_path"] == import_path)
            .cloned()
            .unwrap_or_else(|| panic!("no package {import_path} in the report:\n{}", self.stdout()))
    }
}

/// One run of a test in the JSON report: its verdict, and the verdicts of
/// its earlier attempts (--rerun-fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    pub name: String,
    pub run: u64,
    pub verdict: String,
    pub attempts: Vec<String>,
}

/// Runs leakcheck in `dir` with `args`, writing JSON and JUnit reports.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let junit = out_dir.path().join("report.xml");
    let mut cmd = leakcheck();
    cmd.current_dir(dir)
        .arg("--report-json")
        .arg(&report)
        .arg("--junitfile")
        .arg(&junit)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("leakcheck runs");
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let junit = std::fs::read_to_string(&junit).unwrap_or_default();
    Run {
        output,
        report,
        junit,
        dir: out_dir,
    }
}

/// A `go` that logs the first argument of every command it is given (the
/// subcommand: `list`, `test`, `env`) to a file, then runs the real go:
/// for LEAKCHECK_GO. Read the log with [`GoLog::commands`].
pub struct GoLog {
    dir: tempfile::TempDir,
}

impl GoLog {
    pub fn new() -> GoLog {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("go").args(["env", "GOROOT"]).output().unwrap();
        let goroot = String::from_utf8(out.stdout).unwrap();
        write_script(
            &dir.path().join("go"),
            &format!(
                "#!/bin/sh\necho \"$1\" >> '{}'\nexec '{}/bin/go' \"$@\"\n",
                dir.path().join("go.log").display(),
                goroot.trim()
            ),
        );
        GoLog { dir }
    }

    /// The wrapper's path.
    pub fn go(&self) -> String {
        self.dir.path().join("go").display().to_string()
    }

    /// How many commands of `subcommand` ran so far.
    pub fn count(&self, subcommand: &str) -> usize {
        let log = std::fs::read_to_string(self.dir.path().join("go.log")).unwrap_or_default();
        log.lines().filter(|c| *c == subcommand).count()
    }
}

/// Writes an executable script (a `go` wrapper for `--go`).
pub fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A throwaway Go module with the given files (path → contents).
pub fn temp_module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/tmp\n\ngo 1.21\n").unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// What plain `go test ./... ARGS` prints to standard output in `dir`: what
/// leakcheck's terminal output is compared with.
pub fn go_test_stdout(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("go")
        .current_dir(dir)
        .args(["test", "./..."])
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (package, test, run) → go test's own verdict (`pass`, `fail`, `skip`, or
/// `none` when the binary died first), from plain `go test -json`.
pub fn go_test_verdicts(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> BTreeMap<(String, String, u64), String> {
    let mut cmd = Command::new("go");
    cmd.current_dir(dir).args(["test", "-json"]).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("go runs");
    // By occurrence for a top-level test; a subtest takes its top-level
    // test's run, as leakcheck numbers it.
    let mut runs: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut numbered: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut verdicts = BTreeMap::new();
    for line in out.stdout.split(|&b| b == b'\n') {
        let Ok(ev) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let (Some(pkg), Some(test)) = (ev["Package"].as_str(), ev["Test"].as_str()) else {
            continue;
        };
        let key = (pkg.to_string(), test.to_string());
        match ev["Action"].as_str().unwrap_or("") {
            "run" => {
                let n = runs.entry(key.clone()).or_insert(0);
                *n += 1;
                let top = (key.0.clone(), test.split('/').next().unwrap_or(test).to_string());
                let n = match numbered.get(&top) {
                    Some(&top_run) if top.1 != test => top_run,
                    _ => *n,
                };
                numbered.insert(key.clone(), n);
                verdicts.insert((key.0, key.1, n), "none".to_string());
            }
            a @ ("pass" | "fail" | "skip") => {
                let n = *numbered.get(&key).unwrap_or(&1);
                verdicts.insert((key.0, key.1, n), a.to_string());
            }
            _ => {}
        }
    }
    verdicts
}

/// Nothing lost: every test run plain go test reports is in leakcheck's
/// report with the same verdict; a leak may turn a pass into `leaked`, never
/// the other way. Returns how many test runs were compared.
pub fn assert_nothing_lost(go: &BTreeMap<(String, String, u64), String>, run: &Run) -> usize {
    let mut ours = BTreeMap::new();
    for p in run.report["packages"].as_array().into_iter().flatten() {
        for t in p["tests"].as_array().into_iter().flatten() {
            ours.insert(
                (
                    p["import_path"].as_str().unwrap().to_string(),
                    t["name"].as_str().unwrap().to_string(),
                    t["run"].as_u64().unwrap(),
                ),
                // A test that failed only because its subtest leaked is a
                // leak, as far as go test's verdict goes.
                if t["failed_by_subtest"] == true {
                    "leaked".to_string()
                } else {
                    t["verdict"].as_str().unwrap().to_string()
                },
            );
        }
    }
    for (key, go_verdict) in go {
        let ours = ours
            .get(key)
            .unwrap_or_else(|| panic!("{key:?} ({go_verdict}) is missing from leakcheck's report"));
        let compatible = match go_verdict.as_str() {
            "pass" => ours == "passed" || ours == "leaked",
            // A test that skipped itself after starting goroutines still
            // leaked them.
            "skip" => ours == "skipped" || ours == "leaked",
            "fail" => ["failed", "panicked"].contains(&ours.as_str()),
            // Benchmarks end without a verdict; other tests without one
            // were cut short by the binary's death.
            _ if key.1.starts_with("Benchmark") => ours == "passed",
            _ => ["panicked", "timed_out", "unfinished"].contains(&ours.as_str()),
        };
        assert!(compatible, "{key:?}: go test says {go_verdict}, leakcheck says {ours}");
    }
    assert_eq!(
        ours.len(),
        go.len(),
        "leakcheck reports test runs go test does not: {ours:?}"
    );
    go.len()
}

/// Validates XML with the JDK's XML Schema validator against
/// tests/fixtures/junit/junit.xsd.
pub fn assert_schema_valid(xml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("java")
        .arg(root.join("tests/support/ValidateXml.java"))
        .arg(root.join("tests/fixtures/junit/junit.xsd"))
        .arg(&file)
        .output()
        .expect("java (the JDK's schema validator) runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim() == "valid",
        "JUnit fails the schema: {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fails if any process still carries the environment entry `marker`
/// (`NAME=value`, set on leakcheck and inherited by go test and every test
/// binary it starts).
pub fn assert_no_process_with(marker: &str) {
    let left = processes_with(marker);
    assert!(left.is_empty(), "processes {left:?} are still running");
}

/// The processes whose environment holds `marker` (`NAME=value`).
fn processes_with(marker: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Ok(env) = std::fs::read(entry.path().join("environ")) {
            if String::from_utf8_lossy(&env).split('\0').any(|v| v == marker) {
                pids.push(pid);
            }
        }
    }
    pids
}

/// Waits until no process has `marker` in its environment (processes a
/// killed leakcheck left, ending on their own): each is waited for with a
/// pidfd, without polling.
pub fn wait_for_no_process_with(marker: &str) {
    loop {
        let pids = processes_with(marker);
        if pids.is_empty() {
            return;
        }
        for pid in pids {
            // SAFETY: plain system calls on a descriptor owned here.
            unsafe {
                let fd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
                if fd < 0 {
                    continue; // gone already
                }
                let mut exited = libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                libc::poll(&mut exited, 1, -1);
                libc::close(fd);
            }
        }
    }
}

/// A Go toolchain (a GOTOOLCHAIN value, `go1.27.3`) installed outside the
/// module cache, as a CI's setup step installs one: the go command fetches
/// it into the module cache, whose files no overlay may replace, and this
/// links its files into a directory of their own (kept between runs, so
/// that go's build cache keeps what it built there). Returns its `bin`,
/// to put first on PATH with `GOTOOLCHAIN=local`.
pub fn installed_toolchain(toolchain: &str) -> PathBuf {
    let root = std::env::temp_dir().join("leakcheck-test-toolchains").join(toolchain);
    if !root.join("bin").join("go").exists() {
        let out = Command::new("go")
            .args(["env", "GOROOT"])
            .env("GOTOOLCHAIN", toolchain)
            .output()
            .expect("go runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let cached = String::from_utf8(out.stdout).unwrap().trim().to_string();
        // Copied under a name of its own, then renamed: tests running at
        // once never see half a toolchain.
        let part = root.with_extension(format!("part{}", std::process::id()));
        std::fs::create_dir_all(root.parent().unwrap()).unwrap();
        let _ = std::fs::remove_dir_all(&part);
        let linked = Command::new("cp").arg("-al").arg(&cached).arg(&part).status();
        if !linked.is_ok_and(|s| s.success()) {
            let _ = std::fs::remove_dir_all(&part);
            let copied = Command::new("cp").arg("-a").arg(&cached).arg(&part).status();
            assert!(copied.is_ok_and(|s| s.success()), "cannot copy {cached}");
        }
        if std::fs::rename(&part, &root).is_err() {
            // Another test installed it first.
            let _ = std::fs::remove_dir_all(&part);
        }
    }
    root.join("bin")
}

/// PATH with `bin` first.
pub fn path_with(bin: &Path) -> String {
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", bin.display())
}

/// A Go file of package `pkg` declaring `slowError`, an error whose Error
/// method takes a while: a panic with it is printed late, and the test
/// binary goes on meanwhile (the runner begins the next test or
/// benchmark, another test logs).
pub fn slow_error_go(pkg: &str) -> String {
    format!(
        "package {pkg}\n\nimport \"time\"\n\ntype slowError struct{{}}\n\nfunc (slowError) Error() string {{\n\ttime.Sleep(300 * time.Millisecond)\n\treturn \"connection reset\"\n}}\n"
    )
}
