//! Running `go test -json -overlay=…` and collecting what it produces: the
//! test2json event stream, stderr, and the helper's leak records.
//!
//! Events are handed on as they arrive, so reporters can stream; a
//! package's records are read when go test reports the package finished
//! (the helper writes them before its test binary exits).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use serde::{Deserialize, Serialize};

use crate::discover::Toolchain;
use crate::error::{Error, Result};

/// One line of `go test -json` (cmd/test2json's event).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEvent {
    /// When it happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// run, pause, cont, pass, fail, skip, output, bench, start,
    /// build-output, build-fail.
    pub action: String,
    /// The package's import path; absent on build events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The test; absent on package-level events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// Seconds, on pass/fail/skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed: Option<f64>,
    /// Text, on output events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// On a package's fail event: the build that failed (Go 1.24+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_build: Option<String>,
    /// On build-output and build-fail events: `pkg [pkg.test]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_path: Option<String>,
}

impl TestEvent {
    /// Whether this ends a package (pass/fail/skip without a test).
    pub fn ends_package(&self) -> bool {
        self.test.is_none() && self.package.is_some() && matches!(self.action.as_str(), "pass" | "fail" | "skip")
    }
}

/// What the helper wrote; see `helper/leakcheck_test.go`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHeader {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u32,
    /// `start` (the helper ran), `test` (a test leaked), `package` (the
    /// check after the last test; `goroutines` empty when clean).
    pub kind: String,
    /// The package's import path.
    pub package: String,
    /// The test, on `test` records.
    #[serde(default)]
    pub test: String,
    /// Which run of the test (-count=N), from 1.
    #[serde(default)]
    pub run: u32,
    /// The leaked goroutines' ids.
    #[serde(default)]
    pub goroutines: Vec<u64>,
    /// Goroutines the test owned but an ignore rule accepted.
    #[serde(default)]
    pub ignored: Vec<u64>,
    /// How many looks the check took (1: no waiting at all).
    #[serde(default)]
    pub looks: u32,
    /// Whether the test had already failed before the leak check.
    #[serde(default)]
    pub failed: bool,
    /// Goroutine id → the test or subtest it ran.
    #[serde(default)]
    pub test_of: BTreeMap<String, String>,
    /// `start`: the Go runtime version.
    #[serde(default)]
    pub go: String,
    /// `start`: where labels come from, `dump` (Go 1.26+) or `profile`.
    #[serde(default)]
    pub label_source: String,
    /// `start`: the goroutine-creation counter is available (Go 1.26+).
    #[serde(default)]
    pub counter: bool,
    /// `start`: the goroutineleak profile is available and in use.
    #[serde(default)]
    pub proof: bool,
    /// `start`: how many tests were wrapped.
    #[serde(default)]
    pub wrapped: usize,
    /// `start`: the package has its own TestMain.
    #[serde(default)]
    pub user_main: bool,
    /// `start`: what the helper could not do.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// One record file: header plus the raw dump of the goroutines it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakRecord {
    /// The header line.
    pub header: RecordHeader,
    /// The goroutines' sections, as the runtime printed them.
    pub dump: String,
    /// The file it came from.
    pub path: PathBuf,
}

/// What the run hands on, in order.
#[derive(Debug, Clone)]
pub enum RunEvent {
    /// A test2json event, and the line it was read from.
    Test(TestEvent, String),
    /// A line go test printed on stderr (build errors before Go 1.24, vet,
    /// module downloads).
    Stderr(String),
    /// A line of stdout that was not JSON.
    Stdout(String),
    /// A package finished, with its records.
    Records {
        /// The package.
        package: String,
        /// Its records, in the order written.
        records: Vec<LeakRecord>,
    },
}

/// How to run `go test`.
#[derive(Debug, Clone)]
pub struct GoTestCommand {
    /// `go test` arguments after `go test`.
    pub args: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
}

impl GoTestCommand {
    /// The command for `packages` with the user's go test arguments,
    /// instrumented by the overlay. `-json` and `-overlay` are leakcheck's;
    /// everything from `-args` on goes after the packages.
    pub fn new(
        tc: &Toolchain,
        packages: &[String],
        go_test_args: &[String],
        overlay: &Path,
        records: &Path,
        config_json: String,
        proof: bool,
    ) -> GoTestCommand {
        let split = go_test_args.iter().position(|a| a == "-args" || a == "--args");
        let (flags, binary_args) = match split {
            Some(i) => go_test_args.split_at(i),
            None => (go_test_args, &[][..]),
        };
        let mut args = vec![
            "test".to_string(),
            "-json".into(),
            format!("-overlay={}", overlay.display()),
        ];
        let mut skip_value = false;
        for a in flags {
            if skip_value {
                skip_value = false;
                continue;
            }
            match flag_name(a) {
                Some("json") => continue,
                Some("overlay") => {
                    skip_value = !a.contains('=');
                    continue;
                }
                _ => args.push(a.clone()),
            }
        }
        // Go before 1.24 does not apply -overlay to vet: vet would fail on
        // the helper's virtual file.
        if tc.minor() < 24 && !flags.iter().any(|a| flag_name(a) == Some("vet")) {
            args.push("-vet=off".into());
        }
        args.extend(packages.iter().cloned());
        args.extend(binary_args.iter().cloned());
        let mut env = vec![
            ("LEAKCHECK_DIR".into(), records.display().to_string()),
            ("LEAKCHECK_CONFIG".into(), config_json),
        ];
        // The goroutineleak profile is an experiment (a build setting) in Go
        // 1.26 only: 1.27 has it always, older Go does not know the name.
        if proof && tc.minor() == 26 {
            env.push(("GOEXPERIMENT".into(), with_item("GOEXPERIMENT", "goroutineleakprofile")));
        }
        GoTestCommand { args, env }
    }
}

/// Refuses go test flags under which no test runs checked, and warns about
/// those under which part of the run is not checked.
pub fn check_go_test_args(go_test_args: &[String]) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let flags = go_test_args.iter().take_while(|a| *a != "-args" && *a != "--args");
    for a in flags {
        let Some(name) = flag_name(a) else { continue };
        let refuse = match name.trim_start_matches("test.") {
            "c" | "o" => Some("builds a test binary without running it: there is nothing to check"),
            "list" => Some("lists tests without running them: there is nothing to check"),
            "fuzz" => Some(
                "runs the fuzzing engine, whose workers leakcheck cannot check; leakcheck runs fuzz targets' seed corpora as tests without it",
            ),
            "json" | "v" | "run" | "skip" => None,
            "bench" => {
                warnings.push("benchmarks run but are not checked for leaks (only tests, examples and fuzz seed corpora are)".into());
                None
            }
            _ => None,
        };
        if let Some(why) = refuse {
            return Err(Error::Usage(format!("go test {a} {why}")));
        }
    }
    Ok(warnings)
}

/// The go test arguments of a rerun of `tests` (top-level names): the
/// user's, without their test selection and count, plus `-run` for exactly
/// those tests and `-count=1`.
pub fn rerun_args(go_test_args: &[String], tests: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = go_test_args.iter();
    while let Some(a) = it.next() {
        if a == "-args" || a == "--args" {
            out.push(a.clone());
            out.extend(it.cloned());
            break;
        }
        match flag_name(a).map(|n| n.trim_start_matches("test.")) {
            Some("run" | "skip" | "count") => {
                if !a.contains('=') {
                    it.next();
                }
            }
            _ => out.push(a.clone()),
        }
    }
    let mut names: Vec<String> = tests.iter().map(|t| regex::escape(t)).collect();
    names.sort();
    names.dedup();
    let mut args = vec![
        "-run".to_string(),
        format!("^(?:{})$", names.join("|")),
        "-count=1".to_string(),
    ];
    args.append(&mut out);
    args
}

/// The comma-separated environment list `name` with `item` appended.
fn with_item(name: &str, item: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => format!("{v},{item}"),
        _ => item.to_string(),
    }
}

/// The name of a flag argument (`-run=x` → `run`), or None for a value.
pub fn flag_name(arg: &str) -> Option<&str> {
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    Some(name.split_once('=').map_or(name, |(n, _)| n))
}

/// Runs go test and calls `each` for every event; returns go test's exit
/// status code (None when killed by a signal).
pub fn run(
    tc: &Toolchain,
    cmd: &GoTestCommand,
    records_dir: &Path,
    mut each: impl FnMut(RunEvent),
) -> Result<Option<i32>> {
    let (err_reader, err_writer) = os_pipe::pipe().map_err(|e| Error::io("cannot create a pipe for", &tc.go, e))?;
    let mut expr = duct::cmd(&tc.go, &cmd.args)
        .dir(&tc.dir)
        .stderr_file(err_writer)
        .unchecked()
        // Its own process group, so an interrupt reaches go test and its
        // test binaries together (see `interrupt`).
        .before_spawn(|c| {
            use std::os::unix::process::CommandExt;
            c.process_group(0);
            Ok(())
        });
    for (k, v) in &cmd.env {
        expr = expr.env(k, v);
    }
    let reader = expr.reader().map_err(|source| Error::GoNotFound {
        go: tc.go.clone(),
        source,
    })?;
    drop(expr);
    if let Some(&pid) = reader.pids().first() {
        interrupt::watch_group(pid);
    }
    let (tx, rx) = mpsc::channel::<String>();
    let stderr_thread = thread::spawn(move || {
        for line in BufReader::new(err_reader).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    let mut out = BufReader::new(&reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = read_line(&mut out, &mut line).map_err(|e| Error::io("cannot read the output of", &tc.go, e))?;
        for l in rx.try_iter() {
            each(RunEvent::Stderr(l));
        }
        if n == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        match serde_json::from_str::<TestEvent>(text) {
            Ok(ev) => {
                let finished = ev.ends_package().then(|| ev.package.clone()).flatten();
                each(RunEvent::Test(ev, text.to_string()));
                if let Some(package) = finished {
                    let records = read_records(records_dir, &package)?;
                    each(RunEvent::Records { package, records });
                }
            }
            Err(_) if text.is_empty() => {}
            Err(_) => each(RunEvent::Stdout(text.to_string())),
        }
    }
    let _ = stderr_thread.join();
    for l in rx.try_iter() {
        each(RunEvent::Stderr(l));
    }
    interrupt::watch_group(0);
    let status = reader
        .try_wait()
        .map_err(|e| Error::io("cannot wait for", &tc.go, e))?
        .map(|o| o.status.code())
        .unwrap_or(None);
    Ok(status)
}

/// Ctrl-C and termination signals. go test waits for its test binaries and
/// leaves stopping them to the terminal, which signals the whole foreground
/// process group. leakcheck runs go test in a group of its own and, on the
/// first SIGINT/SIGTERM/SIGHUP, interrupts that group (SIGKILL on a second
/// signal); the run then ends normally, and the reports hold what finished.
pub mod interrupt {
    use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

    static GROUP: AtomicI32 = AtomicI32::new(0);
    static SIGNALS: AtomicU32 = AtomicU32::new(0);

    /// Installs the handler (once per process).
    pub fn install() -> Result<(), String> {
        ctrlc::set_handler(|| {
            let n = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
            signal_group(GROUP.load(Ordering::SeqCst), n);
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))
    }

    /// Interrupts as a signal would (a second call kills): watch mode's
    /// `q`, and its Ctrl-C, which raw terminal mode delivers as a key.
    pub fn interrupt() {
        let n = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
        signal_group(GROUP.load(Ordering::SeqCst), n);
    }

    /// Whether a signal arrived.
    pub fn interrupted() -> bool {
        SIGNALS.load(Ordering::SeqCst) > 0
    }

    /// Makes `pid`'s process group the one to interrupt (0: none); a
    /// signal that came before it started is passed on at once.
    pub(super) fn watch_group(pid: u32) {
        let pid = i32::try_from(pid).unwrap_or(0);
        GROUP.store(pid, Ordering::SeqCst);
        let n = SIGNALS.load(Ordering::SeqCst);
        if n > 0 {
            signal_group(pid, n);
        }
    }

    fn signal_group(group: i32, signals: u32) {
        if group <= 0 {
            return;
        }
        let sig = if signals == 1 { libc::SIGINT } else { libc::SIGKILL };
        // SAFETY: kill(2) with a negative pid signals a process group; it
        // touches no memory of ours.
        unsafe {
            libc::kill(-group, sig);
        }
    }
}

/// Reads a line of any length, without assuming UTF-8.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    r.read_until(b'\n', buf)
}

/// The directory the helper writes a package's records to.
pub fn package_records_dir(records_dir: &Path, package: &str) -> PathBuf {
    let hex: String = package.bytes().map(|b| format!("{b:02x}")).collect();
    records_dir.join(hex)
}

/// Reads a package's records in the order the helper wrote them.
pub fn read_records(records_dir: &Path, package: &str) -> Result<Vec<LeakRecord>> {
    let dir = package_records_dir(records_dir, package);
    let mut paths: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => return Ok(Vec::new()),
    };
    // `<pid>-<seq>.rec`: by pid, then sequence.
    paths.sort_by_key(|p| {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut parts = name.splitn(2, '-').map(|n| n.parse::<u64>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    });
    let mut records = Vec::new();
    for path in paths {
        let mut bytes = Vec::new();
        fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io("cannot read", &path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        let (head, dump) = text.split_once('\n').unwrap_or((&text, ""));
        let header: RecordHeader = serde_json::from_str(head).map_err(|e| Error::Source {
            path: path.clone(),
            message: format!("unreadable leak record: {e}"),
        })?;
        records.push(LeakRecord {
            header,
            dump: dump.to_string(),
            path,
        });
    }
    // Records are read once; removing them keeps -count reruns apart.
    let _ = fs::remove_dir_all(&dir);
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(version: &str) -> Toolchain {
        Toolchain {
            go: "go".into(),
            version: version.into(),
            dir: PathBuf::from("."),
            gomod: None,
            gowork: None,
        }
    }

    #[test]
    fn rerun_args_select_exactly_the_failed_tests() {
        let args: Vec<String> = ["-run", "TestA", "-count=3", "-race", "-args", "-run", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            rerun_args(&args, &["TestB", "TestA.x"]),
            vec![
                "-run",
                r"^(?:TestA\.x|TestB)$",
                "-count=1",
                "-race",
                "-args",
                "-run",
                "x"
            ]
        );
    }

    #[test]
    fn command_places_flags_packages_and_binary_args() {
        let args: Vec<String> = ["-run", "TestA", "-json", "-overlay", "/u.json", "-args", "-flag"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let cmd = GoTestCommand::new(
            &tc("go1.26.8"),
            &["./...".into()],
            &args,
            Path::new("/o.json"),
            Path::new("/r"),
            "{}".into(),
            true,
        );
        assert_eq!(
            cmd.args,
            vec![
                "test",
                "-json",
                "-overlay=/o.json",
                "-run",
                "TestA",
                "./...",
                "-args",
                "-flag"
            ]
        );
        assert!(cmd
            .env
            .iter()
            .any(|(k, v)| k == "GOEXPERIMENT" && v.ends_with("goroutineleakprofile")));
        let old = GoTestCommand::new(
            &tc("go1.22.12"),
            &[],
            &[],
            Path::new("/o"),
            Path::new("/r"),
            "{}".into(),
            true,
        );
        assert!(old.args.contains(&"-vet=off".to_string()));
        assert!(!old.env.iter().any(|(k, _)| k == "GOEXPERIMENT"));
    }
}
