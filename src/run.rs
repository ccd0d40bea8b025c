//! Running `go test -json -overlay=…` and collecting what it produces: the
//! test2json event stream, stderr, and the helper's leak records.
//!
//! Events are handed on as they arrive, so reporters can stream; a
//! package's records are read when go test reports the package finished
//! (the helper writes them before its test binary exits).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;

use serde::{Deserialize, Serialize};

use crate::discover::Toolchain;
use crate::error::{Error, Result};
use crate::goargs::{self, GoTestArgs};

/// The package whose test a build was for, as go names builds: `p` for
/// `example.com/p_test [example.com/p.test]` (the external test package),
/// `example.com/p.test` (the test's main) and `example.com/p`.
pub fn tested_package(build: &str) -> &str {
    let tested = match build.split_once(" [") {
        Some((_, test)) => test.strip_suffix(']').unwrap_or(test),
        None => build,
    };
    tested.strip_suffix(".test").unwrap_or(tested)
}

/// One line of `go test -json` (cmd/test2json's event).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestEvent {
    /// When it happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// What happened.
    pub action: Action,
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
        self.test.is_none() && self.package.is_some() && self.action.ends()
    }
}

#[cfg(test)]
impl TestEvent {
    /// An event of package `p`, as unit tests build them.
    pub(crate) fn in_p(action: &str, test: Option<&str>, output: Option<&str>) -> TestEvent {
        TestEvent {
            action: action.into(),
            package: Some("p".into()),
            test: test.map(Into::into),
            output: output.map(Into::into),
            ..Default::default()
        }
    }
}

/// A test2json event's `Action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The test binary is about to run (`start`).
    Start,
    /// A test started.
    Run,
    /// A test paused (`t.Parallel`).
    Pause,
    /// A paused test continues.
    Cont,
    /// A test or package passed.
    Pass,
    /// Benchmark output.
    Bench,
    /// A test or package failed.
    Fail,
    /// Output.
    Output,
    /// A test or package was skipped.
    Skip,
    /// Build output (Go 1.24+, `-json` builds).
    BuildOutput,
    /// A build failed (Go 1.24+).
    BuildFail,
    /// Any other word, as go test wrote it (a newer Go's).
    Other(String),
}

impl Default for Action {
    fn default() -> Self {
        Action::Other(String::new())
    }
}

impl Action {
    /// The word test2json writes.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Start => "start",
            Action::Run => "run",
            Action::Pause => "pause",
            Action::Cont => "cont",
            Action::Pass => "pass",
            Action::Bench => "bench",
            Action::Fail => "fail",
            Action::Output => "output",
            Action::Skip => "skip",
            Action::BuildOutput => "build-output",
            Action::BuildFail => "build-fail",
            Action::Other(word) => word,
        }
    }

    /// Whether it ends a test or a package: pass, fail or skip.
    pub fn ends(&self) -> bool {
        matches!(self, Action::Pass | Action::Fail | Action::Skip)
    }
}

impl From<&str> for Action {
    fn from(word: &str) -> Self {
        match word {
            "start" => Action::Start,
            "run" => Action::Run,
            "pause" => Action::Pause,
            "cont" => Action::Cont,
            "pass" => Action::Pass,
            "bench" => Action::Bench,
            "fail" => Action::Fail,
            "output" => Action::Output,
            "skip" => Action::Skip,
            "build-output" => Action::BuildOutput,
            "build-fail" => Action::BuildFail,
            other => Action::Other(other.to_string()),
        }
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        // Read as the string it is, so that a word leakcheck does not know
        // is kept, never an error.
        String::deserialize(deserializer).map(|w| Action::from(w.as_str()))
    }
}

/// What a record is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// The helper started in this test binary.
    #[default]
    Start,
    /// A top-level test, fuzz target or example was checked.
    End,
    /// The check after the last test ran.
    Exit,
}

/// A record's header line; see `helper/leakcheck_record_test.go`. Fields
/// the helper writes that leakcheck does not read are left out (serde
/// passes over them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHeader {
    /// Format version.
    #[serde(rename = "v")]
    pub version: u32,
    /// Its number in the binary's record file, from 1.
    pub seq: u64,
    /// What it is.
    pub kind: RecordKind,
    /// How many bytes of dump text follow the header line.
    pub len: usize,
    /// Their FNV-1a hash, in hexadecimal.
    #[serde(default)]
    pub sum: String,
    /// `start`: the package's import path.
    #[serde(default)]
    pub package: String,
    /// `start`: the Go runtime version.
    #[serde(default)]
    pub go: String,
    /// `start`: the test binary's process id.
    #[serde(default)]
    pub pid: u32,
    /// `start`: its parent's.
    #[serde(default)]
    pub ppid: u32,
    /// `start`: goroutine headers show labels (Go 1.27 for modules at go
    /// 1.27 or later); else labels came from pprof's goroutine profile.
    #[serde(default)]
    pub labels_in_dump: bool,
    /// `start`: the goroutineleak profile is available and in use.
    #[serde(default)]
    pub proof: bool,
    /// `start`: the package has its own TestMain.
    #[serde(default)]
    pub user_main: bool,
    /// `start`, `exit`: what the helper could not do.
    #[serde(default)]
    pub problems: Vec<String>,
    /// `end`: the test (as go test names it).
    #[serde(default)]
    pub test: String,
    /// `end`: which run of the test (-count=N), from 1.
    #[serde(default)]
    pub run: u32,
    /// `end`: the test had failed on its own before the check.
    #[serde(default)]
    pub failed: bool,
    /// `end`: the test was skipped.
    #[serde(default)]
    pub skipped: bool,
    /// `end`: leaked goroutines told by a label that goroutines of other
    /// tests, with the same stack, carry too.
    #[serde(default)]
    pub ambiguous: Vec<u64>,
    /// `end`: leaked goroutines with neither creator chain nor label, the
    /// test's because they appeared while it ran alone.
    #[serde(default)]
    pub by_difference: Vec<u64>,
    /// `end`: the check did not fail the test (it ran in the background
    /// after the test returned, or under -failfast): go test reports the
    /// test as it was, and the package failed at its end.
    #[serde(default)]
    pub background: bool,
    /// `end`: the test binary's `-timeout` alarm ended the check's wait
    /// before the grace period did, and the test's log does not say so (a
    /// check that did not fail the test, an example's).
    #[serde(default)]
    pub cut_short: bool,
    /// `end`: the check stopped waiting before the grace period was over,
    /// because no goroutine could run before it was.
    #[serde(default)]
    pub ended_early: bool,
    /// The leaked goroutines' ids.
    #[serde(default)]
    pub leaked: Vec<u64>,
    /// Goroutines it would report but an ignore rule accepted.
    #[serde(default)]
    pub ignored: Vec<u64>,
    /// How many looks the check took (1: no waiting at all).
    #[serde(default)]
    pub looks: u32,
    /// Goroutine id → the subtest that started it.
    #[serde(default)]
    pub test_of: BTreeMap<String, String>,
    /// `exit`: goroutine id → the test it belongs to.
    #[serde(default)]
    pub owners: BTreeMap<String, String>,
    /// `exit`: how many bytes the helper wrote before this record.
    #[serde(default)]
    pub file_len: usize,
    /// `exit`: their FNV-1a hash.
    #[serde(default)]
    pub file_sum: String,
    /// `exit`: the record file's inode.
    #[serde(default)]
    pub inode: u64,
}

/// The record format this leakcheck reads.
pub const RECORD_VERSION: u32 = 2;

/// One record: header plus the raw dump of the goroutines it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakRecord {
    /// The header line.
    pub header: RecordHeader,
    /// The goroutines' sections, as the runtime printed them.
    pub dump: String,
}

/// The records one test binary process wrote, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStream {
    /// The file.
    pub path: PathBuf,
    /// The records read.
    pub records: Vec<LeakRecord>,
    /// Why the file could not be read to its end, if it could not.
    pub broken: Option<String>,
}

impl RecordStream {
    /// The `start` record, when the stream begins with one.
    pub fn start(&self) -> Option<&RecordHeader> {
        self.records
            .first()
            .map(|r| &r.header)
            .filter(|h| h.kind == RecordKind::Start)
    }
}

/// What the helper wrote for one package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageRecords {
    /// The record stream of the test binary go test started; None when no
    /// helper wrote one (a cached result, a build failure, a binary that
    /// died before its TestMain).
    pub main: Option<RecordStream>,
    /// What is wrong with the records: each makes the package's check
    /// incomplete.
    pub problems: Vec<String>,
    /// What the user should know.
    pub notes: Vec<String>,
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
        /// Its records.
        records: PackageRecords,
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

/// What leakcheck adds to every `go test` it runs.
#[derive(Debug, Clone)]
pub struct Instrumentation<'a> {
    /// The overlay file (`-overlay=`).
    pub overlay: &'a Path,
    /// Where the helper writes its records (`LEAKCHECK_DIR`).
    pub records: &'a Path,
    /// The helper's settings (`LEAKCHECK_CONFIG`).
    pub config_json: &'a str,
    /// Ask for Go's goroutineleak profile.
    pub proof: bool,
    /// go's own temporary directory (`GOTMPDIR`), removed with leakcheck's
    /// so that nothing is left when go is killed.
    pub gotmpdir: Option<&'a Path>,
}

impl GoTestCommand {
    /// The command for `packages` with the user's go test arguments,
    /// instrumented. `-json` and `-overlay` are leakcheck's; everything from
    /// `-args` on goes after the packages. Variables leakcheck changes for
    /// go are put back for the tests by the helper (`LEAKCHECK_RESTORE`).
    pub fn new(
        tc: &Toolchain,
        packages: &[String],
        go_test_args: &GoTestArgs,
        inst: &Instrumentation<'_>,
    ) -> GoTestCommand {
        let mut args = vec![
            "test".to_string(),
            "-json".into(),
            format!("-overlay={}", inst.overlay.display()),
        ];
        // Go before 1.24 does not apply -overlay to vet: vet would fail on
        // the helper's virtual file, whatever -vet the user asked for.
        let old_vet = tc.minor() < 24;
        if old_vet {
            args.push("-vet=off".into());
        }
        // The packages before the user's flags: a flag go test does not
        // know (the test binary's own, `-update`) ends its package list.
        args.extend(packages.iter().cloned());
        args.extend(go_test_args.passed_flags(if old_vet { &["vet"] } else { &[] }));
        args.extend(go_test_args.binary_args().iter().cloned());
        let mut env = vec![
            ("LEAKCHECK_DIR".into(), inst.records.display().to_string()),
            ("LEAKCHECK_CONFIG".into(), inst.config_json.to_string()),
        ];
        let mut restore: BTreeMap<&str, Option<String>> = BTreeMap::new();
        // The goroutineleak profile is an experiment (a build setting) in Go
        // 1.26 only: 1.27 has it always, older Go does not know the name.
        if inst.proof && tc.minor() == 26 {
            env.push(("GOEXPERIMENT".into(), with_item("GOEXPERIMENT", "goroutineleakprofile")));
            restore.insert("GOEXPERIMENT", std::env::var("GOEXPERIMENT").ok());
        }
        if let Some(dir) = inst.gotmpdir {
            env.push(("GOTMPDIR".into(), dir.display().to_string()));
            restore.insert("GOTMPDIR", std::env::var("GOTMPDIR").ok());
        }
        if !restore.is_empty() {
            env.push((
                "LEAKCHECK_RESTORE".into(),
                serde_json::to_string(&restore).expect("a map of strings serialises"),
            ));
        }
        GoTestCommand { args, env }
    }

    /// The command for `packages` as go test would run it without
    /// leakcheck: no helper, no overlay but the user's, no environment of
    /// leakcheck's. A package the helper kept from building runs this way,
    /// unchecked, rather than being lost. It writes no profile (it would
    /// replace the first run's), but its coverage to `cover_profile` when
    /// given.
    pub fn plain(
        tc: &Toolchain,
        packages: &[String],
        go_test_args: &GoTestArgs,
        cover_profile: Option<&Path>,
    ) -> GoTestCommand {
        let mut args = vec!["test".to_string(), "-json".into()];
        // Only the command line's: one in $GOFLAGS reaches go as it is.
        if let Some(overlay) = go_test_args.user_overlay("") {
            args.push(format!("-overlay={overlay}"));
        }
        args.extend(packages.iter().cloned());
        args.extend(go_test_args.passed_flags(goargs::OUTPUT_FLAGS));
        if let Some(profile) = cover_profile {
            args.push(format!("-coverprofile={}", profile.display()));
        }
        args.extend(go_test_args.binary_args().iter().cloned());
        let env = output_free_goflags(tc)
            .map(|g| ("GOFLAGS".to_string(), g))
            .into_iter()
            .collect();
        GoTestCommand { args, env }
    }

    /// The same command with `$GOFLAGS`'s profile flags left out (a
    /// rerun's profile would replace the whole run's); the tests still see
    /// `$GOFLAGS` as it was (`LEAKCHECK_RESTORE`).
    pub fn without_output_goflags(mut self, tc: &Toolchain) -> GoTestCommand {
        let Some(goflags) = output_free_goflags(tc) else {
            return self;
        };
        let mut restore: BTreeMap<String, Option<String>> = self
            .env
            .iter()
            .find(|(k, _)| k == "LEAKCHECK_RESTORE")
            .and_then(|(_, v)| serde_json::from_str(v).ok())
            .unwrap_or_default();
        restore.insert("GOFLAGS".into(), std::env::var("GOFLAGS").ok());
        self.env.retain(|(k, _)| k != "LEAKCHECK_RESTORE");
        self.env.push(("GOFLAGS".into(), goflags));
        self.env.push((
            "LEAKCHECK_RESTORE".into(),
            serde_json::to_string(&restore).expect("a map of strings serialises"),
        ));
        self
    }
}

/// `$GOFLAGS` (as go reads it) without its profile flags, when it has
/// any.
fn output_free_goflags(tc: &Toolchain) -> Option<String> {
    let goflags = goargs::without_output_flags(&tc.goflags);
    (goflags != tc.goflags).then_some(goflags)
}

/// The comma-separated environment list `name` with `item` appended.
fn with_item(name: &str, item: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => format!("{v},{item}"),
        _ => item.to_string(),
    }
}

/// Runs go test and calls `each` for every event; returns go test's exit
/// status code (None when it was killed by a signal).
///
/// go test runs in a process group of its own. When it exits, however it
/// exits, the group is ended: a test binary it left behind (go killed by
/// the OOM killer while a test ran) is killed too, and its output pipe
/// closes, so the read ends.
pub fn run(
    tc: &Toolchain,
    cmd: &GoTestCommand,
    records_dir: &Path,
    mut each: impl FnMut(RunEvent),
) -> Result<Option<i32>> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let mut command = Command::new(&tc.go);
    command
        .args(&cmd.args)
        .current_dir(&tc.dir)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so an interrupt reaches go test and its
        // test binaries together (see `interrupt`).
        .process_group(0);
    // A killed leakcheck takes go test with it (and the helper asks the
    // same of each test binary for go test).
    interrupt::die_with_leakcheck(&mut command);
    let mut child = command.spawn().map_err(|source| Error::GoNotFound {
        go: tc.go.clone(),
        source,
    })?;
    let group = child.id();
    interrupt::watch_group(group);
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let waiter = thread::spawn(move || {
        let status = child.wait();
        interrupt::end_group(group);
        status
    });
    let mut read_error = None;
    let mut pipes = OutputPipes::new(stdout, stderr);
    loop {
        let read = pipes.next_lines();
        for l in read.stderr {
            each(RunEvent::Stderr(lossy_line(&l)));
        }
        for l in read.stdout {
            stdout_line(&lossy_line(&l), records_dir, &mut each);
        }
        if let Some(e) = read.error {
            read_error = Some(Error::io("cannot read the output of", &tc.go, e));
        }
        if read.ended {
            break;
        }
    }
    drop(pipes);
    let status = waiter.join().expect("the waiting thread does not panic");
    interrupt::watch_group(0);
    if let Some(e) = read_error {
        return Err(e);
    }
    let status = status.map_err(|e| Error::io("cannot wait for", &tc.go, e))?;
    Ok(status.code())
}

/// Ctrl-C and termination signals. go test waits for its test binaries and
/// leaves stopping them to the terminal, which signals the whole foreground
/// process group. leakcheck runs go test in a group of its own and, on the
/// first SIGINT/SIGTERM/SIGHUP, interrupts that group (SIGKILL on a second
/// signal); the run then ends normally, and the reports hold what finished.
/// Before that, while leakcheck reads its configuration and asks go for the
/// toolchain and the packages (a read that may block: a FIFO, a slow
/// `go list`), a signal ends it at once with 130: nothing has run, nothing
/// is left to report.
pub mod interrupt {
    use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};

    static GROUP: AtomicI32 = AtomicI32::new(0);
    static SIGNALS: AtomicU32 = AtomicU32::new(0);
    static SETTING_UP: AtomicBool = AtomicBool::new(true);
    static SETUP_GROUP: AtomicU32 = AtomicU32::new(0);
    /// A setup command is being started: its group is not known yet.
    static SPAWNING: AtomicBool = AtomicBool::new(false);
    /// A signal is ending leakcheck during the setup.
    static ENDING: AtomicBool = AtomicBool::new(false);

    /// Installs the handlers (once per process).
    pub fn install() -> Result<(), String> {
        ctrlc::set_handler(|| {
            if SETTING_UP.load(Ordering::SeqCst) {
                ENDING.store(true, Ordering::SeqCst);
                // A command just started may already run (and start
                // others) before its group is stored: wait for it, a
                // moment at most.
                let mut group = SETUP_GROUP.load(Ordering::SeqCst);
                for _ in 0..1000 {
                    if group != 0 || !SPAWNING.load(Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    group = SETUP_GROUP.load(Ordering::SeqCst);
                }
                end_group(group);
                eprintln!("leakcheck: interrupted before any test ran");
                std::process::exit(crate::error::ExitCode::Interrupted as i32);
            }
            let n = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
            signal_group(GROUP.load(Ordering::SeqCst), n);
        })
        .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
        // SIGQUIT (Ctrl-\) goes to the test binaries, as the terminal would
        // send it to them under plain go test: each prints its goroutines
        // and exits, and the reports hold the dumps.
        extern "C" fn forward_quit(_: libc::c_int) {
            let group = GROUP.load(Ordering::SeqCst);
            if group > 0 {
                // SAFETY: kill(2) is async-signal-safe.
                unsafe {
                    libc::kill(-group, libc::SIGQUIT);
                }
            }
        }
        // SAFETY: the handler only reads an atomic and calls kill(2).
        let previous = unsafe { libc::signal(libc::SIGQUIT, forward_quit as *const () as libc::sighandler_t) };
        if previous == libc::SIG_ERR {
            return Err("cannot handle SIGQUIT".into());
        }
        Ok(())
    }

    /// Interrupts as a signal would (a second call kills): watch mode's
    /// `q`, and its Ctrl-C, which raw terminal mode delivers as a key.
    pub fn interrupt() {
        let n = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
        signal_group(GROUP.load(Ordering::SeqCst), n);
    }

    /// Runs a command of the setup (`go env`, `go list`, `git`) and returns
    /// its output, in a process group of its own: a signal that ends
    /// leakcheck then ends it and whatever it started (a `--go` wrapper's
    /// children, go's own), and the command dies with leakcheck when
    /// leakcheck is killed (PR_SET_PDEATHSIG on Linux).
    pub fn setup_output(command: &mut std::process::Command) -> std::io::Result<std::process::Output> {
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        die_with_leakcheck(command);
        SPAWNING.store(true, Ordering::SeqCst);
        let child = if ENDING.load(Ordering::SeqCst) {
            Err(std::io::Error::from(std::io::ErrorKind::Interrupted))
        } else {
            command.spawn()
        };
        let out = child.and_then(|child| {
            SETUP_GROUP.store(child.id(), Ordering::SeqCst);
            child.wait_with_output()
        });
        SPAWNING.store(false, Ordering::SeqCst);
        SETUP_GROUP.store(0, Ordering::SeqCst);
        // The signal's handler kills the command and ends leakcheck: what
        // the killed command left (a failure) is not to be reported.
        while ENDING.load(Ordering::SeqCst) {
            std::thread::park();
        }
        out
    }

    /// Makes the command's process die with leakcheck (Linux:
    /// PR_SET_PDEATHSIG), however leakcheck ends, SIGKILL included.
    pub(super) fn die_with_leakcheck(command: &mut std::process::Command) {
        #[cfg(target_os = "linux")]
        // SAFETY: prctl(2) only sets an attribute of the new process;
        // between fork and exec it touches no memory shared with leakcheck.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        #[cfg(not(target_os = "linux"))]
        let _ = command;
    }

    /// From here on a signal interrupts the run, which then reports what
    /// finished (and the terminal mode of `--watch` is restored), instead
    /// of ending leakcheck at once: called once the packages are known,
    /// before anything is written.
    pub fn setup_done() {
        SETTING_UP.store(false, Ordering::SeqCst);
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

    /// Kills a process group: what is left in go test's once go test has
    /// exited (test binaries it could not stop, their children), or a
    /// setup command's and what it started, when a signal ends the setup.
    pub(super) fn end_group(group: u32) {
        let group = i32::try_from(group).unwrap_or(0);
        if group > 0 {
            // SAFETY: kill(2) with a negative pid signals a process group;
            // it touches no memory of ours.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
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

/// Before Go 1.22, `go test -json` told a package that did not build only
/// by a plain `FAIL\tpkg [build failed]` line (the errors on stderr), with
/// no event: the events Go 1.22 gives for it (the line as the package's
/// output, then its fail), with their JSON, so that the package ends as a
/// build failure instead of never finishing.
fn legacy_package_failure(line: &str) -> Option<Vec<(TestEvent, String)>> {
    let (package, why) = line.strip_prefix("FAIL\t")?.split_once(' ')?;
    if !matches!(why, "[build failed]" | "[setup failed]") || package.is_empty() {
        return None;
    }
    let event = |action: Action, output: Option<String>| {
        let ev = TestEvent {
            action,
            package: Some(package.to_string()),
            output,
            elapsed: None,
            ..Default::default()
        };
        let raw = serde_json::to_string(&ev).expect("an event serialises");
        (ev, raw)
    };
    Some(vec![
        event(Action::Output, Some(format!("{line}\n"))),
        event(Action::Fail, None),
    ])
}

/// A line as text, whatever bytes it holds, without its line ending.
fn lossy_line(line: &[u8]) -> String {
    String::from_utf8_lossy(line).trim_end_matches(['\n', '\r']).to_string()
}

/// One line of go test's stdout: a test2json event (with the package's
/// records once the package finished), a legacy package failure, or text.
fn stdout_line(text: &str, records_dir: &Path, each: &mut impl FnMut(RunEvent)) {
    let events = match serde_json::from_str::<TestEvent>(text) {
        Ok(ev) => vec![(ev, text.to_string())],
        Err(_) if text.is_empty() => return,
        Err(_) => match legacy_package_failure(text) {
            Some(events) => events,
            None => return each(RunEvent::Stdout(text.to_string())),
        },
    };
    for (ev, raw) in events {
        let finished = ev.ends_package().then(|| ev.package.clone()).flatten();
        each(RunEvent::Test(ev, raw));
        if let Some(package) = finished {
            let records = read_records(records_dir, &package);
            each(RunEvent::Records { package, records });
        }
    }
}

/// go test's stdout and stderr, read by one thread in the order go wrote
/// them as far as it matters: before Go 1.24 a package's compiler errors
/// go to stderr and only then its failure to stdout, and a reader that
/// took the failure first finished the package without its errors (a
/// stderr thread that had not yet run lost them under load). So whenever
/// stdout has been read, stderr is read again before those lines are
/// handed on: what go wrote to stderr before it wrote them is in the pipe
/// by then.
struct OutputPipes {
    stdout: Pipe<std::process::ChildStdout>,
    stderr: Pipe<std::process::ChildStderr>,
}

/// What one wait on the pipes gave, in the order to hand it on.
#[derive(Default)]
struct PipeLines {
    stderr: Vec<Vec<u8>>,
    stdout: Vec<Vec<u8>>,
    /// Reading stdout failed; the run's output ends there.
    error: Option<std::io::Error>,
    /// Both pipes are closed.
    ended: bool,
}

impl OutputPipes {
    fn new(stdout: std::process::ChildStdout, stderr: std::process::ChildStderr) -> OutputPipes {
        OutputPipes {
            stdout: Pipe::new(stdout),
            stderr: Pipe::new(stderr),
        }
    }

    /// Waits until either pipe has something, and reads it.
    fn next_lines(&mut self) -> PipeLines {
        let mut got = PipeLines::default();
        let mut fds = [self.stdout.poll_fd(), self.stderr.poll_fd()];
        // SAFETY: poll(2) reads and writes only the two pollfd structs,
        // which live on this stack for the call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                // poll(2) fails only for want of kernel memory: the
                // output cannot be read, and the run ends with the error.
                got.error = Some(e);
                got.ended = true;
            }
            return got;
        }
        if fds[1].revents != 0 {
            self.stderr.drain(&mut got.stderr);
        }
        if fds[0].revents != 0 {
            if let Err(e) = self.stdout.read_once(&mut got.stdout) {
                got.error = Some(e);
            }
            // What go wrote to stderr before these lines, in front of them.
            self.stderr.drain(&mut got.stderr);
        }
        // A stdout that cannot be read is closed; stderr is still read to
        // its end, so that go is never left waiting to write it.
        got.ended = !self.stdout.open && !self.stderr.open;
        got
    }
}

/// One of go test's output pipes, read without blocking.
struct Pipe<R> {
    source: R,
    fd: std::os::fd::RawFd,
    /// The start of a line whose end has not come yet.
    partial: Vec<u8>,
    /// What one read takes, kept: not a fresh 64 KiB for every read.
    chunk: Box<[u8]>,
    open: bool,
}

impl<R: std::io::Read + std::os::fd::AsRawFd> Pipe<R> {
    fn new(source: R) -> Pipe<R> {
        let fd = source.as_raw_fd();
        // SAFETY: fcntl(2) on a descriptor this process owns (the pipe
        // from go test); it changes only that descriptor's flags.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
        Pipe {
            source,
            fd,
            partial: Vec::new(),
            chunk: vec![0; 64 * 1024].into_boxed_slice(),
            open: true,
        }
    }

    fn poll_fd(&self) -> libc::pollfd {
        libc::pollfd {
            // A negative descriptor is left out of the wait.
            fd: if self.open { self.fd } else { -1 },
            events: libc::POLLIN,
            revents: 0,
        }
    }

    /// One read of what the pipe holds, as whole lines (the rest of the
    /// last line once the pipe closes): the bytes read, 0 when there is
    /// nothing to read now or the pipe closed.
    fn read_once(&mut self, lines: &mut Vec<Vec<u8>>) -> std::io::Result<usize> {
        loop {
            return match std::io::Read::read(&mut self.source, &mut self.chunk) {
                Ok(0) => {
                    self.open = false;
                    if !self.partial.is_empty() {
                        lines.push(std::mem::take(&mut self.partial));
                    }
                    Ok(0)
                }
                Ok(n) => {
                    let mut rest = &self.chunk[..n];
                    while let Some(end) = memchr::memchr(b'\n', rest) {
                        self.partial.extend_from_slice(&rest[..=end]);
                        lines.push(std::mem::take(&mut self.partial));
                        rest = &rest[end + 1..];
                    }
                    self.partial.extend_from_slice(rest);
                    Ok(n)
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
                Err(e) => {
                    self.open = false;
                    Err(e)
                }
            };
        }
    }

    /// Reads all the pipe holds now. A pipe holds at most its capacity
    /// while its writer waits, so a writer that never stops is read in
    /// bounded steps between reads of the other pipe. Errors on stderr end
    /// only stderr, as before.
    fn drain(&mut self, lines: &mut Vec<Vec<u8>>) {
        const AT_MOST: usize = 4 << 20;
        let mut read = 0;
        while self.open && read < AT_MOST {
            match self.read_once(lines) {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    }
}

/// The directory the helper writes a package's records to.
pub fn package_records_dir(records_dir: &Path, package: &str) -> PathBuf {
    records_dir.join(crate::inject::records_key(package))
}

/// Reads a package's records, then removes them (a rerun of the package
/// writes new ones). Nothing here fails the run: what cannot be read is a
/// problem of this package, for its result to report.
pub fn read_records(records_dir: &Path, package: &str) -> PackageRecords {
    let dir = package_records_dir(records_dir, package);
    let mut out = PackageRecords::default();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.problems
                .push(format!("cannot read the records directory {}: {e}", dir.display()));
            return out;
        }
    };
    let mut streams = Vec::new();
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                out.problems
                    .push(format!("cannot read the records directory {}: {e}", dir.display()));
                continue;
            }
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pid = name.strip_suffix(".rec").and_then(|p| p.parse::<u32>().ok());
        match pid {
            Some(pid) => streams.push((pid, read_stream(&path))),
            None => out.problems.push(format!(
                "a file leakcheck did not write is in the records directory: {name}"
            )),
        }
    }
    let _ = fs::remove_dir_all(&dir);
    // The binary go test started is the stream whose parent wrote none:
    // a test binary that a test started again (exec.Command(os.Args[0])
    // before the helper cleared the environment) is its child.
    let pids: std::collections::BTreeSet<u32> = streams.iter().map(|(pid, _)| *pid).collect();
    let mut roots = Vec::new();
    for (pid, stream) in streams {
        let Some(start) = stream.start().cloned() else {
            out.problems.push(format!(
                "{} does not start with the helper's start record{}",
                stream.path.display(),
                stream.broken.as_deref().map(|b| format!(" ({b})")).unwrap_or_default()
            ));
            continue;
        };
        if start.pid != pid || start.package != package {
            out.problems.push(format!(
                "{} is not this package's record file (it names process {} of {})",
                stream.path.display(),
                start.pid,
                start.package
            ));
        } else if pids.contains(&start.ppid) {
            out.notes.push(format!(
                "a test started the test binary again (process {pid}); what it recorded is not this run's"
            ));
        } else {
            roots.push(stream);
        }
    }
    if roots.len() > 1 {
        out.problems.push(format!(
            "{} test binaries wrote records for this package: which one go test ran cannot be told",
            roots.len()
        ));
    } else if let Some(stream) = roots.pop() {
        if let Some(b) = &stream.broken {
            out.problems.push(format!("{}: {b}", stream.path.display()));
        }
        out.main = Some(stream);
    }
    out
}

/// Reads one record file: a header line, then exactly `len` bytes of dump,
/// again and again. Reading stops at the first record that does not fit.
fn read_stream(path: &Path) -> RecordStream {
    let mut stream = RecordStream {
        path: path.to_path_buf(),
        records: Vec::new(),
        broken: None,
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            stream.broken = Some(format!("cannot read it: {e}"));
            return stream;
        }
    };
    let inode = {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
    };
    let mut at = 0;
    while at < bytes.len() {
        let Some(nl) = memchr::memchr(b'\n', &bytes[at..]) else {
            stream.broken = Some(format!(
                "its last record is cut short at byte {at} (the test binary was killed while writing it, or the disk is full)"
            ));
            break;
        };
        let header: RecordHeader = match serde_json::from_slice(&bytes[at..at + nl]) {
            Ok(h) => h,
            Err(e) => {
                stream.broken = Some(format!("unreadable record at byte {at}: {e}"));
                break;
            }
        };
        if header.version != RECORD_VERSION {
            stream.broken = Some(format!(
                "record format {} at byte {at}, this leakcheck reads {RECORD_VERSION}",
                header.version
            ));
            break;
        }
        let expected = stream.records.len() as u64 + 1;
        if header.seq != expected {
            stream.broken = Some(format!("record {expected} is missing (found record {})", header.seq));
            break;
        }
        let body = at + nl + 1;
        let Some(dump) = bytes.get(body..body + header.len) else {
            stream.broken = Some(format!(
                "record {} is cut short (the test binary was killed while writing it, or the disk is full)",
                header.seq
            ));
            break;
        };
        if format!("{:016x}", crate::inject::fnv1a(dump)) != header.sum {
            stream.broken = Some(format!(
                "record {} is damaged (its text does not match its checksum)",
                header.seq
            ));
            break;
        }
        // The exit record vouches for the whole file: what the helper
        // wrote before it, and the file it wrote to.
        if header.kind == RecordKind::Exit
            && (header.file_len != at
                || format!("{:016x}", crate::inject::fnv1a(&bytes[..at])) != header.file_sum
                || header.inode != inode)
        {
            stream.broken = Some("the file is not the one the helper wrote (it was replaced or rewritten)".into());
            break;
        }
        stream.records.push(LeakRecord {
            dump: String::from_utf8_lossy(dump).into_owned(),
            header,
        });
        at = body + dump.len();
    }
    stream
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a process writes to stderr before a line on stdout is handed on
    /// before that line, every time (go's compiler errors, then the
    /// package's failure); lines of any length, a last line without a
    /// newline, and a pipe that closes before the other are all read.
    #[test]
    fn stderr_written_before_a_stdout_line_comes_before_it() {
        use std::process::{Command, Stdio};
        let script = r#"i=0
while [ $i -lt 200 ]; do
  printf 'err %d\n' $i >&2
  printf 'out %d\n' $i
  i=$((i+1))
done
head -c 300000 /dev/zero | tr '\0' x
printf '\n'
exec 2>&-
printf 'no newline'"#;
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipes = OutputPipes::new(child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let mut order = Vec::new();
        loop {
            let read = pipes.next_lines();
            order.extend(read.stderr.iter().map(|l| lossy_line(l)));
            order.extend(read.stdout.iter().map(|l| lossy_line(l)));
            assert!(read.error.is_none());
            if read.ended {
                break;
            }
        }
        child.wait().unwrap();
        for i in 0..200 {
            let err = order.iter().position(|l| *l == format!("err {i}")).unwrap();
            let out = order.iter().position(|l| *l == format!("out {i}")).unwrap();
            assert!(err < out, "err {i} at {err}, out {i} at {out}");
        }
        assert_eq!(order[order.len() - 2], "x".repeat(300_000));
        assert_eq!(order.last().unwrap(), "no newline");
        assert_eq!(order.len(), 402);
    }

    #[test]
    fn go_1_21s_plain_build_failure_line_becomes_go_1_22s_events() {
        let events = legacy_package_failure("FAIL\texample.com/m/a [build failed]").unwrap();
        let actions: Vec<_> = events.iter().map(|(e, _)| e.action.clone()).collect();
        assert_eq!(actions, [Action::Output, Action::Fail]);
        assert!(events[1].0.ends_package());
        assert_eq!(events[1].0.package.as_deref(), Some("example.com/m/a"));
        let raw: TestEvent = serde_json::from_str(&events[0].1).unwrap();
        assert_eq!(raw.output.as_deref(), Some("FAIL\texample.com/m/a [build failed]\n"));
        assert!(legacy_package_failure("FAIL\texample.com/m/a [setup failed]").is_some());
        for other in [
            "FAIL",
            "FAIL\texample.com/m/a\t0.01s",
            "ok  \texample.com/m/a\t0.01s",
            "FAIL\t [build failed]",
        ] {
            assert!(legacy_package_failure(other).is_none(), "{other}");
        }
    }

    fn tc(version: &str) -> Toolchain {
        Toolchain::of_version(version)
    }

    #[test]
    fn command_places_flags_packages_and_binary_args() {
        let args = GoTestArgs::parse(
            &["-run", "TestA", "-json", "-overlay", "/u.json", "-args", "-flag"]
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        );
        let inst = |overlay: &'static str| Instrumentation {
            overlay: Path::new(overlay),
            records: Path::new("/r"),
            config_json: "{}",
            proof: true,
            gotmpdir: None,
        };
        let cmd = GoTestCommand::new(&tc("go1.26.8"), &["./...".into()], &args, &inst("/o.json"));
        assert_eq!(
            cmd.args,
            vec![
                "test",
                "-json",
                "-overlay=/o.json",
                "./...",
                "-run",
                "TestA",
                "-args",
                "-flag"
            ]
        );
        assert!(cmd
            .env
            .iter()
            .any(|(k, v)| k == "GOEXPERIMENT" && v.ends_with("goroutineleakprofile")));
        // The tests get the user's GOEXPERIMENT back.
        assert!(cmd
            .env
            .iter()
            .any(|(k, v)| k == "LEAKCHECK_RESTORE" && v.contains("\"GOEXPERIMENT\"")));
        let old = GoTestCommand::new(&tc("go1.22.12"), &[], &GoTestArgs::default(), &inst("/o"));
        assert!(old.args.contains(&"-vet=off".to_string()));
        assert!(!old.env.iter().any(|(k, _)| k == "GOEXPERIMENT"));
    }
}

#[cfg(test)]
mod action_tests {
    use super::*;

    #[test]
    fn actions_read_and_write_as_test2json_words() {
        for word in [
            "start",
            "run",
            "pause",
            "cont",
            "pass",
            "bench",
            "fail",
            "output",
            "skip",
            "build-output",
            "build-fail",
            "attr",
        ] {
            let ev: TestEvent = serde_json::from_str(&format!("{{\"Action\":\"{word}\"}}")).unwrap();
            assert_eq!(ev.action.as_str(), word);
            assert_eq!(
                serde_json::to_string(&ev).unwrap(),
                format!("{{\"Action\":\"{word}\"}}")
            );
        }
        assert_eq!(Action::from("build-fail"), Action::BuildFail);
        assert!(serde_json::from_str::<TestEvent>("{\"Action\":1}").is_err());
        assert!(serde_json::from_str::<TestEvent>("{}").is_err());
    }
}

#[cfg(test)]
mod record_tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(dir.join(name), text).unwrap();
    }

    fn header(seq: u64, kind: &str, extra: &str, body: &str) -> String {
        let (len, sum) = (body.len(), crate::inject::fnv1a(body.as_bytes()));
        format!("{{\"v\":2,\"seq\":{seq},\"kind\":\"{kind}\",\"len\":{len},\"sum\":\"{sum:016x}\"{extra}}}\n")
    }

    #[test]
    fn records_read_stray_files_cut_records_and_children() {
        let root = tempfile::tempdir().unwrap();
        let dir = package_records_dir(root.path(), "example.com/p");
        let start = |pid: u32, ppid: u32| {
            header(
                1,
                "start",
                &format!(",\"package\":\"example.com/p\",\"pid\":{pid},\"ppid\":{ppid}"),
                "",
            )
        };
        let section = "goroutine 7 [chan receive]:\nmain.f()\n\t/x.go:1 +0x1\n\n";
        let end = header(2, "end", ",\"test\":\"TestA\",\"run\":1,\"leaked\":[7]", section);
        write(&dir, "100.rec", &format!("{}{end}{section}", start(100, 1)));
        // A child the test started again, and a stray file.
        write(&dir, "200.rec", &start(200, 100));
        write(&dir, "junk.rec", "not json\n");
        let r = read_records(root.path(), "example.com/p");
        let main = r.main.as_ref().unwrap();
        assert_eq!(main.records.len(), 2);
        assert_eq!(main.records[1].header.leaked, vec![7]);
        assert_eq!(main.records[1].dump, section);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].contains("junk.rec"));
        assert_eq!(r.notes.len(), 1);
        assert!(!dir.exists(), "records are removed once read");

        // Cut short: the body is shorter than its header says.
        write(&dir, "100.rec", &format!("{}{}{}", start(100, 1), end, &section[..10]));
        let r = read_records(root.path(), "example.com/p");
        assert_eq!(r.main.as_ref().unwrap().records.len(), 1);
        assert!(r.problems[0].contains("cut short"), "{:?}", r.problems);

        // Damaged: the right length, other bytes.
        write(
            &dir,
            "100.rec",
            &format!("{}{}{}", start(100, 1), end, section.replace('7', "8")),
        );
        let r = read_records(root.path(), "example.com/p");
        assert!(r.problems[0].contains("damaged"), "{:?}", r.problems);

        // An empty file (killed before its first write).
        write(&dir, "100.rec", "");
        let r = read_records(root.path(), "example.com/p");
        assert!(r.main.is_none());
        assert!(r.problems[0].contains("start record"), "{:?}", r.problems);
    }
}
