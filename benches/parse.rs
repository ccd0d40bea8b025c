//! Criterion benchmarks of the goroutine-dump parser and the grouping that
//! `leakcheck stacks` and the test runner share, on a realistic dump.
//!
//! The dump comes from `bench/bigdump` (10,000 parked goroutines in big
//! groups of 10-20 frames plus 400 small groups) when `go` is available,
//! else from a synthetic text built here in the same shape. Set
//! `LEAKCHECK_BENCH_DUMP=FILE` to benchmark any dump, and
//! `LEAKCHECK_BENCH_GOROUTINES=N` to change the generated dump's size.
//!
//! The `not_a_dump` group streams 16 MiB without a newline through
//! `stacks::group`: linear, in a fixed buffer.
//!
//! ```sh
//! cargo bench --bench parse
//! ```

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use leakcheck::analyse::group::Grouper;
use leakcheck::dump;
use leakcheck::stacks::{self, StackFilter};

/// The dump to benchmark and where it came from.
fn load_dump() -> (String, String) {
    if let Ok(path) = std::env::var("LEAKCHECK_BENCH_DUMP") {
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
        return (String::from_utf8_lossy(&text).into_owned(), path);
    }
    let n: usize = std::env::var("LEAKCHECK_BENCH_GOROUTINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    match bigdump(n) {
        Some(text) => (text, format!("bench/bigdump -n {n}")),
        None => (synthetic(n), format!("synthetic, {n} goroutines (go not available)")),
    }
}

/// Runs bench/bigdump with `go run`; None when that is not possible.
fn bigdump(n: usize) -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench").join("bigdump");
    let tmp = tempfile::tempdir().ok()?;
    let out = tmp.path().join("dump.txt");
    let status = Command::new("go")
        .args(["run", ".", "-n", &n.to_string(), "-conns", "100", "-o"])
        .arg(&out)
        .current_dir(&dir)
        .env("GOFLAGS", "-buildvcs=false")
        .env_remove("GODEBUG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    std::fs::read_to_string(&out).ok()
}

/// A dump in the shape of real ones: headers with wait states, frames with
/// arguments and pc offsets, inlined calls, `created by ... in goroutine N`,
/// a few big groups of 10-20 frames and many small distinct ones.
fn synthetic(n: usize) -> String {
    const BIG: &[(&str, &[&str])] = &[
        (
            "chan receive",
            &[
                "main.(*pool[...]).acquire",
                "main.(*server).loadUser",
                "main.(*cache[...]).fetch",
                "main.(*server).getUser",
                "main.(*server).dispatch.withMetrics.func1",
                "main.(*server).dispatch.withTimeout.func2",
                "main.(*server).dispatch.withAuth.func3",
                "main.(*server).dispatch.withLogging.func4",
                "main.(*server).dispatch",
                "main.(*server).readRequest",
                "main.(*server).serveConn.func1",
                "runtime/pprof.Do",
                "main.(*server).serveConn",
                "main.(*server).acceptLoop",
            ],
        ),
        (
            "select",
            &[
                "main.(*queue).pop",
                "main.(*queue).popTraced",
                "main.(*queue).popWithBackoff",
                "main.(*worker).waitJob",
                "main.(*worker).loop",
                "main.(*worker).runSafely",
                "main.(*worker).supervise",
                "main.(*workerPool).runWorker",
            ],
        ),
        (
            "sync.Mutex.Lock",
            &[
                "internal/sync.runtime_SemacquireMutex",
                "internal/sync.(*Mutex).lockSlow",
                "internal/sync.(*Mutex).Lock",
                "sync.(*Mutex).Lock",
                "main.(*db).lockTable",
                "main.(*stmt).run",
                "main.(*conn).exec",
                "main.(*tx).flush",
                "main.(*tx).commit",
                "main.(*db).query.func1",
                "main.(*tx).withRetry",
                "main.(*db).query",
            ],
        ),
        (
            "chan send",
            &[
                "main.(*emitter).publish",
                "main.(*emitter).emit",
                "main.(*emitter).stage",
                "main.(*emitter).stage",
                "main.(*emitter).stage",
                "main.(*emitter).stage",
                "main.(*emitter).encode",
                "main.(*emitter).flushBatch",
                "main.(*emitter).run",
                "main.(*emitter).produce",
            ],
        ),
        (
            "IO wait",
            &[
                "internal/poll.runtime_pollWait",
                "internal/poll.(*pollDesc).wait",
                "internal/poll.(*pollDesc).waitRead",
                "internal/poll.(*FD).Read",
                "net.(*netFD).Read",
                "net.(*conn).Read",
                "bufio.(*Reader).fill",
                "bufio.(*Reader).ReadSlice",
                "main.(*session).readFrame",
                "main.readLoop",
            ],
        ),
    ];
    let mut s = String::with_capacity(n * 1400);
    s.push_str("goroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:95 +0x850\n");
    let mut varied = 0;
    for id in 0..n {
        let g = id + 20;
        // 87% in the big groups, the rest in 400 distinct recursions.
        if id % 100 < 87 {
            let (state, frames) = BIG[id % BIG.len()];
            let minutes = if id % 7 == 0 { ", 12 minutes" } else { "" };
            let _ = write!(s, "\ngoroutine {g} [{state}{minutes}]:\n");
            for (k, f) in frames.iter().enumerate() {
                if k % 5 == 3 {
                    let _ = write!(s, "{f}(...)\n\t/src/app/{}.go:{}\n", k % 3, 40 + k * 7);
                } else {
                    let _ = write!(
                        s,
                        "{f}(0xc000{:06x}, {{0x54fc80?, 0xc0001{:05x}}}, 0x{:x})\n\t/src/app/{}.go:{} +0x{:x}\n",
                        g * 16 % 0xffffff,
                        g % 0xfffff,
                        k + 1,
                        k % 3,
                        40 + k * 7,
                        0x1d + k * 3
                    );
                }
            }
            let _ = write!(
                s,
                "created by main.start{} in goroutine 1\n\t/src/app/main.go:{} +0x3b\n",
                id % BIG.len(),
                60 + id % BIG.len()
            );
        } else {
            let v = varied % 400;
            varied += 1;
            let depth = 1 + (v / 4) % 50;
            let state = ["chan receive", "select", "sync.Mutex.Lock", "chan send"][v % 4];
            let _ = write!(
                s,
                "\ngoroutine {g} [{state}]:\nmain.park({})\n\t/src/app/main.go:478 +0x45\n",
                v % 4
            );
            for d in 0..depth {
                let f = if (d + v / 200) % 3 == 0 { "descendB" } else { "descendA" };
                let _ = write!(
                    s,
                    "main.{f}(0x{d:x}, 0x0, 0x{:x})\n\t/src/app/main.go:{} +0x2c\n",
                    v % 4,
                    550 + d % 3
                );
            }
            let _ = write!(s, "main.varied(0x{v:x})\n\t/src/app/main.go:540 +0x51\n");
            s.push_str("created by main.startVaried in goroutine 1\n\t/src/app/main.go:531 +0x25\n");
        }
    }
    s
}

fn benches(c: &mut Criterion) {
    let (text, source) = load_dump();
    let parsed = dump::parse(&text);
    let goroutines = parsed.goroutines.len();
    let groups = stacks::group(text.as_bytes(), &StackFilter::default())
        .expect("reading from memory cannot fail")
        .groups
        .len();
    eprintln!(
        "dump: {source}: {} bytes, {goroutines} goroutines, {groups} groups",
        text.len()
    );
    assert!(goroutines > 0, "the dump has no goroutines");
    drop(parsed);

    let mut g = c.benchmark_group("dump");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| black_box(dump::parse(black_box(&text))).goroutines.len())
    });
    g.bench_function("for_each_goroutine", |b| {
        b.iter(|| {
            let mut frames = 0usize;
            dump::for_each_goroutine(black_box(text.as_bytes()), |g| frames += g.frames.len())
                .expect("reading from memory cannot fail");
            frames
        })
    });
    g.bench_function("parse_and_group", |b| {
        b.iter(|| {
            let d = dump::parse(black_box(&text));
            let mut grouper = Grouper::new();
            for g in &d.goroutines {
                grouper.add(g, None, None);
            }
            grouper.finish().len()
        })
    });
    g.bench_function("stacks_group", |b| {
        b.iter(|| {
            stacks::group(black_box(text.as_bytes()), &StackFilter::default())
                .expect("reading from memory cannot fail")
                .groups
                .len()
        })
    });
    g.finish();

    let noline = vec![b'x'; 16 << 20];
    let mut g = c.benchmark_group("not_a_dump");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(noline.len() as u64));
    g.bench_function("stacks_group_no_newline", |b| {
        b.iter(|| {
            stacks::group(black_box(&noline[..]), &StackFilter::default())
                .expect("reading from memory cannot fail")
                .goroutines
        })
    });
    g.finish();
}

criterion_group!(parse, benches);
criterion_main!(parse);
