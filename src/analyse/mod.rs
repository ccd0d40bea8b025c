//! From what `go test` and the helper produced to a verdict per test.
//!
//! [`PackageCollector`] takes one package's test2json events and stderr,
//! then its leak records, and yields a [`PackageResult`]: every test and
//! subtest with its verdict, output and leaked goroutines (parsed, filtered
//! by the ignore rules, grouped), the package-level leftovers (reported as a
//! synthetic `TestMain`), and crashes (panics, timeouts) with their dump
//! grouped. Rules applied here are authoritative; the helper's own
//! application only decides how long it waits.

pub mod baseline;
pub mod diagnose;
pub mod group;
pub mod rerun;
pub mod rules;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::dump;
use crate::run::{Action, LeakRecord, PackageRecords, RecordKind, TestEvent};
use crate::testlines;
use group::{Grouper, LeakedGroup};
use rules::IgnoreRule;

/// A test's verdict, after leak checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Passed and left nothing behind.
    Passed,
    /// Failed on its own (it may also have leaked).
    Failed,
    /// Passed (or skipped itself: `t.Skip` ends a test, not what it
    /// started), but left goroutines behind.
    Leaked,
    /// Skipped.
    Skipped,
    /// Panicked; the test binary died.
    Panicked,
    /// Still running when `-timeout` expired.
    TimedOut,
    /// The test binary exited while it ran (os.Exit, log.Fatal, a crash).
    Unfinished,
}

impl Verdict {
    /// Whether this makes the run fail.
    pub fn is_failure(self) -> bool {
        !matches!(self, Verdict::Passed | Verdict::Skipped)
    }

    /// How a count of tests reads: `3 leaked`, `1 timed out`.
    pub fn participle(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Leaked => "leaked",
            Verdict::Skipped => "skipped",
            Verdict::Panicked => "panicked",
            Verdict::TimedOut => "timed out",
            Verdict::Unfinished => "cut short",
        }
    }

    /// Upper-case word used in terminal output.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Passed => "PASS",
            Verdict::Failed => "FAIL",
            Verdict::Leaked => "LEAK",
            Verdict::Skipped => "SKIP",
            Verdict::Panicked => "PANIC",
            Verdict::TimedOut => "TIMEOUT",
            Verdict::Unfinished => "EXIT",
        }
    }
}

/// The goroutines a test (or a package) left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeakReport {
    /// How many goroutines.
    pub total: usize,
    /// Grouped by stack, largest group first.
    pub groups: Vec<LeakedGroup>,
    /// Goroutines a rule let go: rule name and count.
    pub ignored: BTreeMap<String, usize>,
    /// How many looks the helper took before deciding (1: it never waited).
    pub looks: u32,
    /// Whether Go's goroutineleak profile was available to prove leaks.
    pub proof: bool,
    /// Goroutines in groups the baseline lists (tolerated).
    pub known: usize,
    /// Goroutines told to be this test's only by a label that goroutines of
    /// other tests with the same stack carry too (Go before 1.27, when
    /// their creator had exited): which of them are whose cannot be told.
    pub ambiguous: usize,
    /// Goroutines with neither creator chain nor label (a timer's callback),
    /// the test's because they appeared while it ran alone: a timer an
    /// earlier test set would look the same.
    pub by_difference: usize,
    /// The test binary's `-timeout` alarm ended the wait before the grace
    /// period did, in a check that did not fail the test, or an example's
    /// (a check that failed a test says so in the test's log): one that
    /// was exiting may be among them.
    pub cut_short: bool,
    /// The check reported them before its grace period was over: no
    /// goroutine could run before it was (Go 1.26 and 1.27, where
    /// leakcheck adds its function to the runtime).
    pub ended_early: bool,
}

impl LeakReport {
    /// `2 goroutines leaked (1 stack)`.
    pub fn summary(&self) -> String {
        let n = |k: usize, w: &str| if k == 1 { format!("1 {w}") } else { format!("{k} {w}s") };
        format!(
            "{} leaked ({})",
            n(self.total, "goroutine"),
            n(self.groups.len(), "stack")
        )
    }
}

/// One run of one test or subtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    /// `TestA` or `TestA/sub`.
    pub name: String,
    /// Which run, from 1 (`-count=N`).
    pub run: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// Seconds, as go test reports them.
    pub elapsed: f64,
    /// Everything it printed, framing lines included.
    pub output: String,
    /// What it leaked: a subtest, what the goroutines it ran started; a
    /// top-level test, the rest.
    pub leak: Option<LeakReport>,
    /// Earlier runs, when it failed and ran again (`--rerun-fails`).
    pub attempts: Vec<rerun::Attempt>,
    /// It leaked only through a subtest of it (go test fails a test whose
    /// subtest fails); its own `leak`, if any, is all in the baseline.
    pub failed_by_subtest: bool,
    /// It skipped itself (`t.Skip`) before a leak, its own or a subtest's,
    /// made it leaked or failed: without the leak (tolerated by a
    /// baseline) it is skipped, not passed.
    #[serde(skip)]
    pub skipped: bool,
    /// Where its run event and its end event came in go test's stream. A
    /// test whose name extends another's is a subtest of it only if it
    /// began while the other ran: `t.Run("a b/c")` beside `t.Run("a b")`
    /// is named `…/a_b/c` and is its sibling. (`None`: not seen, as for a
    /// test test2json lost.)
    #[serde(skip)]
    pub span: (Option<u64>, Option<u64>),
    /// Where it paused (`t.Parallel`) and went on in the same stream: a
    /// parallel sibling named `…/a_b` is paused while its parent runs
    /// `t.Run("a b/c")`, and a test runs a subtest only while it runs.
    #[serde(skip)]
    pub paused: Vec<(u64, Option<u64>)>,
    /// It failed, but go test does not count the failure: a test another
    /// test ran (`testing.RunTests`, as testify's suite tests do to see a
    /// suite fail), whose caller's verdict is what counts, or any failure
    /// in a package go test passed (a TestMain that exits 0, a line printed
    /// to look like a test's end). Its failure is shown as go test reports
    /// it and, unless it also leaked, fails neither its package nor the
    /// run ([`TestResult::fails`]).
    pub uncounted: bool,
}

impl TestResult {
    /// A run go test started and has not ended (yet): unfinished, with
    /// nothing recorded.
    fn started(name: String, run: u32) -> Self {
        TestResult {
            name,
            run,
            verdict: Verdict::Unfinished,
            elapsed: 0.0,
            output: String::new(),
            leak: None,
            attempts: Vec::new(),
            failed_by_subtest: false,
            skipped: false,
            span: (None, None),
            paused: Vec::new(),
            uncounted: false,
        }
    }

    /// Whether a test that began at event `began` ran inside this one,
    /// whose name its own extends: it began while this one ran and was not
    /// paused (as far as the events say).
    pub fn ran_around(&self, began: Option<u64>) -> bool {
        match (began, self.span) {
            (Some(began), (Some(b), end)) => {
                b < began
                    && end.is_none_or(|e| began < e)
                    && !self
                        .paused
                        .iter()
                        .any(|&(p, c)| p < began && c.is_none_or(|c| began < c))
            }
            _ => true,
        }
    }

    /// Whether its verdict fails its package (and the run): a failure go
    /// test does not count does not, unless the test also leaked.
    pub fn fails(&self) -> bool {
        self.verdict.is_failure() && (!self.uncounted || self.leak.as_ref().is_some_and(|l| l.total > l.known))
    }

    /// The top-level test this belongs to.
    pub fn top_level(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }
}

/// How a test binary died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crash {
    /// `panic`, `timeout` or `exit`.
    pub kind: CrashKind,
    /// The first line, e.g. `panic: test timed out after 2s`.
    pub message: String,
    /// The tests that were running.
    pub tests: Vec<String>,
    /// The goroutine dump printed with it, grouped.
    pub groups: Vec<LeakedGroup>,
}

/// Kinds of [`Crash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashKind {
    /// A panic in a test or in TestMain.
    Panic,
    /// `-timeout` expired.
    Timeout,
    /// The binary exited while a test ran.
    Exit,
}

/// A package's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageStatus {
    /// Everything passed.
    Passed,
    /// A test failed, leaked or crashed.
    Failed,
    /// The package or its tests did not build (or vet failed).
    BuildFailed,
    /// go test never reported how it ended: go or the test binary was
    /// killed, or the run was interrupted.
    NotFinished,
    /// No test files.
    NoTestFiles,
}

/// Whether the leak check ran for a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum CheckState {
    /// The helper ran and checked every test.
    Checked,
    /// go test reused a cached pass; its cache key includes leakcheck's
    /// helper and settings, so the cached pass was a checked pass.
    Cached,
    /// Not applicable (no tests, or the build failed).
    NotApplicable,
    /// The check did not run, or not fully, or what go test and the helper
    /// report disagree; why. This fails the package: leakcheck cannot vouch
    /// for its verdicts.
    NotChecked(String),
}

/// Everything about one package.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageResult {
    /// The import path.
    pub import_path: String,
    /// The outcome.
    pub status: PackageStatus,
    /// Seconds, as go test reports them.
    pub elapsed: f64,
    /// Every test and subtest run, in the order they started.
    pub tests: Vec<TestResult>,
    /// What the package printed outside tests (ok/FAIL lines, TestMain).
    pub output: String,
    /// Compiler or vet output when the build failed.
    pub build_output: String,
    /// Goroutines left after the last test that no test's check reported
    /// (reported as the synthetic `TestMain` testcase).
    pub main_leak: Option<LeakReport>,
    /// How the test binary died, if it did.
    pub crash: Option<Crash>,
    /// Whether the leak check ran.
    pub check: CheckState,
    /// The Go runtime that ran the tests, when the helper said.
    pub go_version: Option<String>,
    /// Where labels came from: `dump` (Go 1.26+) or `profile`.
    pub label_source: Option<String>,
    /// Whether leaks could be proven (Go's goroutineleak profile).
    pub proof: bool,
    /// Things the user should know that are not failures.
    pub warnings: Vec<String>,
    /// When go test started the package (RFC 3339), if it said.
    pub started: Option<String>,
    /// go test failed the package for a reason no test, leak or crash
    /// explains (a TestMain that exits non-zero).
    pub failed_outside_tests: bool,
    /// The package directory, when discovery knew it (file names in test
    /// output are relative to it).
    pub dir: Option<std::path::PathBuf>,
    /// Where its tests, fuzz targets and examples are declared (file, line),
    /// by name, when leakcheck instrumented them: where a report points for
    /// one whose leak has no frame in the user's code.
    #[serde(skip)]
    pub declared: BTreeMap<String, (std::path::PathBuf, u32)>,
    /// go test itself reported the package failed (which explains a
    /// failing exit status of go test).
    #[serde(skip)]
    pub go_failed: bool,
}

impl PackageResult {
    /// Where a test (or its top-level test, for a subtest) is declared.
    pub fn declaration(&self, test: &str) -> Option<(&std::path::Path, u32)> {
        let top = test.split('/').next().unwrap_or(test);
        self.declared.get(top).map(|(file, line)| (file.as_path(), *line))
    }

    /// A package go test never finished (or never started), and why.
    pub fn not_finished(import_path: &str, why: &str) -> PackageResult {
        PackageResult {
            import_path: import_path.to_string(),
            status: PackageStatus::NotFinished,
            elapsed: 0.0,
            tests: Vec::new(),
            output: String::new(),
            build_output: String::new(),
            main_leak: None,
            crash: None,
            check: CheckState::NotChecked(why.to_string()),
            go_version: None,
            label_source: None,
            proof: false,
            warnings: Vec::new(),
            started: None,
            failed_outside_tests: false,
            dir: None,
            declared: BTreeMap::new(),
            go_failed: false,
        }
    }

    /// How go test said the package failed to build: `setup failed` when
    /// it could not even load it (a missing import), else `build failed`.
    pub fn build_failure(&self) -> &'static str {
        if self.output.lines().any(|l| l.ends_with(" [setup failed]")) {
            "setup failed"
        } else {
            "build failed"
        }
    }

    /// What `-cover` measured (`58.8% of statements`), as the test binary
    /// printed it outside tests: go test shows it on the package's line.
    pub fn coverage(&self) -> Option<&str> {
        self.output
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("coverage: "))
            .map(str::trim_end)
            .filter(|c| !c.is_empty())
    }

    /// Whether go test said that -run, -skip or a shard selected none of
    /// its tests (`ok  \tpkg\t0.01s [no tests to run]`), which its line
    /// in the terminal says too.
    pub fn no_tests_to_run(&self) -> bool {
        self.output
            .lines()
            .any(|l| l.starts_with("ok  \t") && l.ends_with(" [no tests to run]"))
    }

    /// Whether the package makes the run fail.
    pub fn is_failure(&self) -> bool {
        matches!(
            self.status,
            PackageStatus::Failed | PackageStatus::BuildFailed | PackageStatus::NotFinished
        )
    }

    /// Sets the status from the verdicts, after something changed them
    /// (a baseline, a rerun). A build failure or an empty package stays; a
    /// failure go test saw outside any test stays a failure.
    pub fn recompute_status(&mut self) {
        if matches!(
            self.status,
            PackageStatus::BuildFailed | PackageStatus::NoTestFiles | PackageStatus::NotFinished
        ) {
            return;
        }
        let fails = self.failed_outside_tests
            || matches!(self.check, CheckState::NotChecked(_))
            || self.crash.is_some()
            || self.failing_main_leak().is_some()
            || self.any_test_failed();
        self.status = if fails {
            PackageStatus::Failed
        } else {
            PackageStatus::Passed
        };
    }

    /// Whether something other than a leak fails the package: a test's
    /// own failure, a crash, a build failure, a failing TestMain.
    pub fn fails_besides_leaks(&self) -> bool {
        matches!(self.status, PackageStatus::BuildFailed | PackageStatus::NotFinished)
            || matches!(self.check, CheckState::NotChecked(_))
            || self.crash.is_some()
            || self.failed_outside_tests
            || self
                .tests
                .iter()
                .any(|t| t.fails() && t.verdict != Verdict::Leaked && !t.failed_by_subtest)
    }

    /// The goroutines left after the last test, when they fail the
    /// package: some of them are not known leaks the baseline tolerates.
    pub fn failing_main_leak(&self) -> Option<&LeakReport> {
        self.main_leak.as_ref().filter(|l| l.known < l.total)
    }

    /// Whether a test's verdict fails the package (a leak included).
    pub fn any_test_failed(&self) -> bool {
        self.tests.iter().any(TestResult::fails)
    }

    /// Tests that leaked, with their reports.
    pub fn leaks(&self) -> impl Iterator<Item = (&TestResult, &LeakReport)> {
        self.tests.iter().filter_map(|t| t.leak.as_ref().map(|l| (t, l)))
    }

    /// Goroutines leaked in this package, by tests and after them, other
    /// than known leaks the baseline tolerates.
    pub fn leaked_goroutines(&self) -> usize {
        let new = |l: &LeakReport| l.total - l.known;
        self.leaks().map(|(_, l)| new(l)).sum::<usize>() + self.main_leak.as_ref().map_or(0, new)
    }
}

/// The text of the helper's failure line: recognised so it is not taken for
/// the test's own failure.
pub const HELPER_LINE_MARK: &str = "leakcheck: ";

/// The helper's line for a leak (`leakcheck: 2 goroutines leaked after
/// TestX returned`, as `example_without_leakcheck` spells it too): in a
/// test's failure (after `    x_test.go:9: `), in an example's output, or
/// the package's output for a leak found after its test returned; the
/// test's name captured. The reports say it in their own words; a line
/// that only mentions leakcheck is the test's own.
pub static HELPER_LEAK_LINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(&format!(
        r"^\s*(?:\S+\.go:\d+: )?{}\d+ goroutines? leaked after (\S+) returned\n?$",
        regex::escape(HELPER_LINE_MARK)
    ))
    .expect("the leak line pattern compiles")
});

/// What the helper prints when it cannot write its records.
const RECORD_WRITE_FAILED: &str = "leakcheck: cannot write its record file";

/// Collects one package's events.
#[derive(Debug, Default)]
pub struct PackageCollector {
    import_path: String,
    tests: Vec<TestResult>,
    finished: Vec<bool>,
    current: HashMap<String, usize>,
    runs: HashMap<String, u32>,
    /// Top-level tests running and not paused (by index), the ones each
    /// top-level test began beside, and how many tests had ended when each
    /// test ended: a top-level test that starts while another runs, and
    /// ends before it, was run by it (`testing.RunTests`). By index: read
    /// in finish before lost events insert tests.
    running_top: Vec<usize>,
    inside: HashMap<usize, Vec<usize>>,
    end_order: HashMap<usize, usize>,
    /// Tests only the helper's records show (go test's stream lost every
    /// line of theirs).
    unseen: Vec<String>,
    /// Events seen so far.
    events: u64,
    /// The test (name, run) test2json gave the package's pass to.
    pass_given_to: Option<(String, u32)>,
    /// cmd/go's `ok` line came as a test's last output: the binary's own
    /// end (testing's closing lines, later tests' events) was lost.
    ok_line_in_test: bool,
    output: String,
    build_output: String,
    failed_build: bool,
    failed_build_of: Option<String>,
    /// How go test said the package ended: pass, fail or skip.
    status: Option<Action>,
    elapsed: f64,
    started: Option<String>,
    dir: Option<std::path::PathBuf>,
    declared: BTreeMap<String, (std::path::PathBuf, u32)>,
    /// The last crash line of the binary's output (see [`CrashLine`]).
    last_crash: Option<CrashLine>,
    /// The last output event did not end its line: test2json cut it.
    output_mid_line: bool,
    /// A `PASS` or `FAIL` line of the package's own output came once some
    /// test had begun: m.Run's last line (one TestMain prints before m.Run
    /// is not), so every benchmark ran to its end.
    run_ended: bool,
    /// `GOTRACEBACK=none`: a crash prints its line and no goroutine dump.
    dumps_off: bool,
}

/// A crash line (`panic: `, `fatal error: `) in the binary's output: the
/// test test2json gave it to (by name and run; None: the package), where
/// the line begins in that output, and whether one of testing's framing
/// lines (`=== RUN`, `--- PASS`, …) came after it. A crash ends the binary, so
/// only the last such line, with no framing after it, can be the crash:
/// one a test printed (a recovered panic logged with its stack) is
/// followed by the tests going on, or is not the last (helper-109: a hung
/// test that had logged a recovered panic, a skipped test that printed
/// one, were taken for the crash in place of the timeout alarm).
#[derive(Debug, Clone)]
struct CrashLine {
    test: Option<(String, u32)>,
    offset: usize,
    framed_after: bool,
    /// A `fatal error: ` line (see `note_crash_line`).
    fatal: bool,
    /// It came after m.Run's last line (`run_ended`): TestMain's own
    /// output after the tests, a crash only with a goroutine dump after it
    /// (helper-119: a teardown's log line `panic: …` was the package's
    /// crash).
    after_run: bool,
    /// m.Run's last line came after it: the tests ran to their end, so
    /// nothing crashed there, whatever the line says (helper-119: a
    /// passing test echoing a child's `fatal error: ` and its dump, a
    /// failing example whose output was a dump, were the crash).
    run_ended_after: bool,
    /// For a fatal error: the result line of the test it was given to came
    /// after it.
    test_ended_after: bool,
}

impl PackageCollector {
    /// A collector for `import_path`.
    pub fn new(import_path: &str) -> Self {
        PackageCollector {
            import_path: import_path.to_string(),
            ..Default::default()
        }
    }

    /// The same, knowing the package's directory.
    pub fn with_dir(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.dir = dir;
        self
    }

    /// The same, knowing whether the runtime prints no goroutine dump
    /// after a crash (`GOTRACEBACK=none`).
    pub fn with_dumps_off(mut self, off: bool) -> Self {
        self.dumps_off = off;
        self
    }

    /// The same, knowing where its tests are declared.
    pub fn with_declared(mut self, declared: BTreeMap<String, (std::path::PathBuf, u32)>) -> Self {
        self.declared = declared;
        self
    }

    /// Adds a test2json event of this package.
    pub fn event(&mut self, ev: &TestEvent) {
        if self.started.is_none() {
            self.started = ev.time.clone();
        }
        self.events += 1;
        match (&ev.action, ev.test.as_deref()) {
            (Action::Run, Some(name)) => {
                let run = self.runs.entry(name.to_string()).or_insert(0);
                *run += 1;
                // A subtest's run is its top-level test's (the helper's
                // records say so too): a subtest that runs only in some
                // runs of it (`-count`) is not numbered by its own count.
                let top = name.split('/').next().unwrap_or(name);
                let run = match self.current.get(top) {
                    Some(&t) if top != name => self.tests[t].run,
                    _ => *run,
                };
                self.tests.push(TestResult::started(name.to_string(), run));
                self.finished.push(false);
                let i = self.tests.len() - 1;
                self.tests[i].span.0 = Some(self.events);
                self.current.insert(name.to_string(), i);
                if !name.contains('/') {
                    if !self.running_top.is_empty() {
                        self.inside.insert(i, self.running_top.clone());
                    }
                    self.running_top.push(i);
                }
            }
            (Action::Pause, Some(name)) => {
                if let Some(&i) = self.current.get(name) {
                    self.tests[i].paused.push((self.events, None));
                    if !name.contains('/') {
                        self.running_top.retain(|&t| t != i);
                    }
                }
            }
            (Action::Cont, Some(name)) => {
                if let Some(&i) = self.current.get(name) {
                    if let Some(p) = self.tests[i].paused.last_mut().filter(|p| p.1.is_none()) {
                        p.1 = Some(self.events);
                    }
                    if !name.contains('/') {
                        self.running_top.push(i);
                    }
                }
            }
            (Action::Output, Some(name)) => {
                let i = self.test_index(name);
                let text = ev.output.as_deref().unwrap_or("");
                let test = (self.tests[i].name.clone(), self.tests[i].run);
                self.note_crash_line(Some(test), self.tests[i].output.len(), text);
                self.tests[i].output.push_str(text);
            }
            (action @ (Action::Pass | Action::Fail | Action::Skip), Some(name)) => {
                let given = match action {
                    Action::Pass => self.go_result_line_of(name),
                    _ => None,
                };
                if let Some((i, at, passed)) = given {
                    // The package's pass, given to the test test2json last saw
                    // start: the binary's output ended without testing's
                    // closing lines (a test closed os.Stdout), so cmd/go's `ok`
                    // line is that test's last output. The test's end is lost,
                    // unless its own `--- PASS` line came before.
                    let line = self.tests[i].output.split_off(at);
                    self.output.push_str(&line);
                    self.status = Some(Action::Pass);
                    self.elapsed = ev.elapsed.unwrap_or(0.0);
                    self.ok_line_in_test = true;
                    if !passed {
                        self.pass_given_to = Some((name.to_string(), self.tests[i].run));
                        return;
                    }
                }
                let i = self.test_index(name);
                self.tests[i].verdict = match action {
                    Action::Pass => Verdict::Passed,
                    Action::Skip => Verdict::Skipped,
                    _ => Verdict::Failed,
                };
                self.tests[i].elapsed = ev.elapsed.unwrap_or(0.0);
                self.tests[i].span.1 = Some(self.events);
                self.finished[i] = true;
                self.running_top.retain(|&t| t != i);
                let ended = self.end_order.len();
                self.end_order.insert(i, ended);
            }
            (Action::Output, None) => {
                let text = ev.output.as_deref().unwrap_or("");
                if !self.tests.is_empty() && (text == "PASS\n" || text == "FAIL\n") {
                    self.run_ended = true;
                    if let Some(c) = self.last_crash.as_mut() {
                        c.run_ended_after = true;
                    }
                }
                self.note_crash_line(None, self.output.len(), text);
                self.output.push_str(text);
            }
            (action @ (Action::Pass | Action::Fail | Action::Skip), None) => {
                self.status = Some(action.clone());
                self.elapsed = ev.elapsed.unwrap_or(0.0);
                if let Some(b) = &ev.failed_build {
                    self.failed_build = true;
                    self.failed_build_of = Some(b.split(' ').next().unwrap_or(b).to_string());
                }
            }
            _ => {}
        }
    }

    /// Keeps the last crash line of output `text`, about to be appended at
    /// `at` to the output of `test` (None: the package's), and notes a
    /// framing line after it. The framing lines, not test2json's events:
    /// test2json reports a parallel test's pass only at its next framing
    /// line or at the end, after a -timeout alarm's text.
    ///
    /// test2json cuts a long line into events of 1 KB: what continues one
    /// does not begin a line. A `fatal error: ` line stays the crash
    /// whatever follows: the runtime prints it before it stops the other
    /// goroutines, whose framing lines may come after it (helper-111).
    fn note_crash_line(&mut self, test: Option<(String, u32)>, at: usize, text: &str) {
        let mut offset = at;
        for line in text.split_inclusive('\n') {
            let line_start = offset > at || !self.output_mid_line;
            if line_start && is_crash_line(line) {
                self.last_crash = Some(CrashLine {
                    test: test.clone(),
                    offset,
                    framed_after: false,
                    fatal: line.starts_with("fatal error: "),
                    after_run: self.run_ended,
                    run_ended_after: false,
                    test_ended_after: false,
                });
            } else if let Some(c) = self.last_crash.as_mut() {
                if line_start && testlines::is_framing_line(line) {
                    if !c.fatal {
                        c.framed_after = true;
                    } else if c.test_ended_after && testlines::is_top_level_run_line(line) {
                        // A fatal error stops the binary within moments:
                        // the test it was given to did not end, and the
                        // next top-level test begin, in between (helper-119:
                        // a passing test echoing a child's fatal error, then
                        // a later test's os.Exit, was that test's crash).
                        c.framed_after = true;
                    } else if c
                        .test
                        .as_ref()
                        .is_some_and(|(name, _)| testlines::is_result_line_of(line.trim_start_matches(' '), name))
                    {
                        c.test_ended_after = true;
                    }
                }
            }
            offset += line.len();
        }
        if !text.is_empty() {
            // A cut is 1 KB long; a shorter event without a newline ended
            // where testing's framing marker began (test2json splits there:
            // `fmt.Print("x")` then `--- FAIL: …` are two events, the
            // second a line of its own).
            self.output_mid_line = !text.ends_with('\n') && text.len() >= 1000;
        }
    }

    /// Test `name`'s index, where cmd/go's `ok  \t<package>\t…` line
    /// begins in its output, when that line is its last (cmd/go prints it
    /// only after the binary exited: the pass event that follows is the
    /// package's), and whether testing's own `--- PASS` line for it is
    /// there too (the pass is then the test's as well: a parallel test
    /// whose end test2json had not reported yet).
    fn go_result_line_of(&self, name: &str) -> Option<(usize, usize, bool)> {
        let i = *self.current.get(name)?;
        let out = &self.tests[i].output;
        let body = out.strip_suffix('\n')?;
        let at = body.rfind('\n').map_or(0, |i| i + 1);
        let ok_line = body[at..]
            .strip_prefix("ok  \t")
            .and_then(|rest| rest.strip_prefix(self.import_path.as_str()))
            .is_some_and(|rest| rest.starts_with('\t'));
        if !ok_line {
            return None;
        }
        // (Only then: every passing test's pass event comes here.)
        let passed = body[..at].lines().map(str::trim_start).any(|l| {
            testlines::is_result_line_of(l, name) && testlines::result_line(l).is_some_and(|(v, _)| v == "PASS")
        });
        Some((i, at, passed))
    }

    /// Whether test `i` is a top-level test that another top-level test
    /// ran: it began while the other ran (not paused), and ended before it.
    fn run_by_another(&self, i: usize) -> bool {
        let Some(inner) = self.end_order.get(&i) else {
            return false;
        };
        self.inside
            .get(&i)
            .into_iter()
            .flatten()
            .any(|outer| self.end_order.get(outer).is_some_and(|o| inner < o))
    }

    /// Whether go test reported that the package's build (or its setup)
    /// failed.
    fn build_failed(&self) -> bool {
        self.failed_build || self.output.contains("[build failed]") || self.output.contains("[setup failed]")
    }

    /// Whether go test said the package ended so (pass, fail or skip).
    fn go_said(&self, action: Action) -> bool {
        self.status == Some(action)
    }

    /// Adds compiler or vet output (from go test's stderr, or another
    /// package's build events).
    pub fn add_build_output(&mut self, text: &str) {
        self.build_output.push_str(text);
        if !text.ends_with('\n') {
            self.build_output.push('\n');
        }
    }

    /// The package whose build failed, as go test named it (Go 1.24+).
    pub fn failed_build_of(&self) -> Option<&str> {
        self.failed_build_of.as_deref()
    }

    /// Whether go test reported the build failed and no output explains it yet.
    pub fn needs_build_output(&self) -> bool {
        self.build_output.is_empty() && self.build_failed()
    }

    fn test_index(&mut self, name: &str) -> usize {
        match self.current.get(name) {
            Some(&i) => i,
            None => {
                // Output before a run event (should not happen): keep it.
                self.event(&TestEvent {
                    action: Action::Run,
                    test: Some(name.to_string()),
                    ..Default::default()
                });
                self.current[name]
            }
        }
    }

    /// The package result, given its leak records and the ignore rules.
    ///
    /// This is where a test's verdict is decided: go test's (from
    /// test2json) is cross-checked with the helper's record of the test's
    /// end. Anything that does not add up (a test go test reports that the
    /// helper never checked, a pass the helper saw fail, a record missing or
    /// cut short) makes the package's check incomplete, which fails it.
    pub fn finish(mut self, records: &PackageRecords, rules: &[IgnoreRule]) -> PackageResult {
        let mut warnings = records.notes.clone();
        let mut problems = records.problems.clone();
        let stream = records.main.as_ref();
        let start = stream.and_then(|s| s.start());
        let proof = start.is_some_and(|s| s.proof);
        let stream_records = stream.map_or(&[][..], |s| &s.records[..]);
        let exit = stream_records.iter().find(|r| r.header.kind == RecordKind::Exit);

        // Where test2json lost a test's events, the helper's records say
        // how it ended, once the binary ran to its end: it passed, or the
        // helper's check after the last test ran.
        let ran_to_end = match self.status {
            Some(Action::Pass) => true,
            Some(_) => exit.is_some(),
            None => false,
        };
        // Tests another test ran (testing.RunTests), told by their events'
        // order, by name and run: recovering lost events inserts tests.
        let run_by_another: HashSet<(String, u32)> = (0..self.tests.len())
            .filter(|&i| self.run_by_another(i))
            .map(|i| (self.tests[i].name.clone(), self.tests[i].run))
            .collect();
        if ran_to_end && stream.is_some_and(|s| s.broken.is_none()) {
            self.recover_lost_events(stream_records);
        }
        // Where no record gave it a verdict, the test test2json gave the
        // package's pass to passed, as go test said.
        if let Some((name, run)) = self.pass_given_to.clone() {
            if start.is_some() && exit.is_none() {
                // Only the records say which tests ran after it, and they
                // stop short of the end.
                problems.push(format!(
                    "go test's output stopped while {name} ran (it closed os.Stdout or os.Stderr?) and the check after the last test did not run: which tests ran after it is not known"
                ));
            }
            if let Some(i) = (0..self.tests.len()).find(|&i| self.tests[i].name == name && self.tests[i].run == run) {
                if !self.finished[i] {
                    self.tests[i].verdict = Verdict::Passed;
                    self.finished[i] = true;
                }
            }
        }
        if self.ok_line_in_test && start.is_none() {
            // No records either (a cached run: go test replayed the stream
            // that lost them): go test passed the package, so every test
            // it had begun passed, the closing test's parents and the
            // parallel tests that ran beside it too.
            for i in 0..self.tests.len() {
                if !self.finished[i] && !self.tests[i].name.starts_with("Benchmark") {
                    self.tests[i].verdict = Verdict::Passed;
                    self.finished[i] = true;
                }
            }
        }
        if !self.unseen.is_empty() {
            warnings.push(format!(
                "go test's output has no line of {} (a test closed os.Stdout or os.Stderr): their verdicts are leakcheck's records', and what they printed is lost",
                self.unseen.join(", ")
            ));
        }
        // Crashes first: tests a crash cut short have no end record.
        let mut crash = self.detect_crash(rules);
        // go test never said how the package ended: go or the binary was
        // killed, or the run was interrupted. Tests cut short are
        // unfinished, and the package is reported as not finished.
        let finished = self.status.is_some();
        if !finished {
            crash = crash.filter(|c| c.kind != CrashKind::Exit);
            let running: Vec<&str> = self
                .tests
                .iter()
                .filter(|t| t.verdict == Verdict::Unfinished)
                .map(|t| t.name.as_str())
                .collect();
            problems.push(if running.is_empty() {
                "go test did not report how the package ended (go test or its test binary was killed, or the run was interrupted)".to_string()
            } else {
                format!(
                    "go test did not report how the package ended (go test or its test binary was killed, or the run was interrupted) while {} ran",
                    running.join(", ")
                )
            });
        }
        let build_failed = self.build_failed();
        // Under -cover (Go 1.22+) a package without test files prints
        // `\tpkg\t\tcoverage: …` instead of `[no test files]`.
        let cover_only = format!("\t{}\t\t", self.import_path);
        let no_tests = self.go_said(Action::Skip)
            || self.output.contains("[no test files]")
            || (self.tests.is_empty() && self.output.lines().any(|l| l.starts_with(&cover_only)));
        // `ok  \tpkg\t(cached)`, under -cover `…\t(cached)\tcoverage: …`,
        // and when -run selected none `…\t(cached) [no tests to run]`.
        let cached = self.output.lines().any(|l| {
            l.starts_with("ok")
                && l.split('\t')
                    .any(|field| field == "(cached)" || field.starts_with("(cached) "))
        });

        // The helper says so when it cannot write its records (a full disk);
        // believed only when its records are incomplete.
        let incomplete =
            stream.is_none_or(|s| s.broken.is_some() || !s.records.iter().any(|r| r.header.kind == RecordKind::Exit));
        for line in self
            .tests
            .iter()
            .map(|t| t.output.as_str())
            .chain([self.output.as_str()])
            .flat_map(str::lines)
        {
            if let Some(at) = line.find(RECORD_WRITE_FAILED).filter(|_| incomplete) {
                problems.push(line[at + HELPER_LINE_MARK.len()..].to_string());
            }
        }
        // Records that were damaged or replaced never turn go test's
        // failure into a pass.
        let trusted = stream.is_some_and(|s| s.broken.is_none());
        if let Some(start) = start {
            problems.extend(start.problems.iter().cloned());
            let mut sub_leaks: HashMap<(String, u32), LeakReport> = HashMap::new();
            let mut ends: HashMap<(String, u32), &LeakRecord> = HashMap::new();
            for rec in stream_records.iter().filter(|r| r.header.kind == RecordKind::End) {
                ends.insert((rec.header.test.clone(), rec.header.run), rec);
            }
            for t in self.tests.iter_mut() {
                if t.name.contains('/') || t.name.starts_with("Benchmark") {
                    continue;
                }
                let Some(rec) = ends.remove(&(t.name.clone(), t.run)) else {
                    // A test another ran is checked as part of it: what it
                    // starts carries the other's labels.
                    if finished
                        && !run_by_another.contains(&(t.name.clone(), t.run))
                        && !matches!(t.verdict, Verdict::Unfinished | Verdict::Panicked | Verdict::TimedOut)
                    {
                        problems.push(format!("{} ran but leakcheck did not check it", t.name));
                    }
                    continue;
                };
                let h = &rec.header;
                let mut reports = leak_reports(rec, rules, &self.import_path, Some(&t.name), proof);
                let report = reports.remove(&None).unwrap_or_default();
                let helper_failed = h.failed || !h.leaked.is_empty();
                t.skipped = h.skipped;
                // The helper printed its line into the example's output.
                let example = (t.name.starts_with("Example")
                    && t.verdict == Verdict::Failed
                    && !h.background
                    && !h.leaked.is_empty())
                .then(|| example_without_leakcheck(&t.output, &t.name, h.leaked.len()))
                .flatten();
                match t.verdict {
                    // Checked after it returned: go test saw no failure.
                    Verdict::Passed | Verdict::Skipped if h.background && !h.failed && report.total > 0 => {
                        t.verdict = Verdict::Leaked;
                    }
                    // Its leaks are all accepted by rules: as go test says.
                    Verdict::Passed | Verdict::Skipped if h.background && !h.failed => {}
                    Verdict::Passed | Verdict::Skipped if helper_failed => {
                        // Output that imitates testing's own lines can make
                        // test2json report a pass the test did not have.
                        problems.push(format!(
                            "go test reports {} {}, but it {} when leakcheck checked it",
                            t.name,
                            if t.verdict == Verdict::Passed {
                                "passed"
                            } else {
                                "skipped"
                            },
                            if h.failed { "had failed" } else { "leaked" }
                        ));
                        t.verdict = if h.failed { Verdict::Failed } else { Verdict::Leaked };
                    }
                    // The failure is leakcheck's line, unless testing failed
                    // the test after its cleanups (the race detector does),
                    // or an example's output differs for other reasons.
                    // (Never after a background check: it fails no test.)
                    Verdict::Failed
                        if trusted
                            && !h.background
                            && !h.failed
                            && !h.leaked.is_empty()
                            && !t.output.contains("race detected during execution of test")
                            && (!t.name.starts_with("Example") || example.as_ref().is_some_and(|e| e.passes)) =>
                    {
                        // What its subtests started is theirs: the test
                        // fails because of them (below), as in go test. A
                        // test that skipped itself still leaks what it
                        // left running.
                        t.verdict = if report.total > 0 {
                            Verdict::Leaked
                        } else if h.skipped {
                            Verdict::Skipped
                        } else {
                            Verdict::Passed
                        };
                    }
                    _ => {}
                }
                if let Some(e) = example {
                    // Shown as go test would have shown it: unless the
                    // failure stays go test's for another reason (the race
                    // detector), when the output stays as printed.
                    if e.passes != (t.verdict == Verdict::Failed) {
                        t.output = e.output;
                    }
                }
                if report.total > 0 || !report.ignored.is_empty() {
                    t.leak = Some(report);
                }
                sub_leaks.extend(reports.into_iter().filter_map(|(sub, r)| Some(((sub?, t.run), r))));
            }
            // A subtest's leak is the subtest's: it leaked, whether it
            // passed or skipped itself.
            for t in self.tests.iter_mut() {
                if let Some(report) = sub_leaks.remove(&(t.name.clone(), t.run)) {
                    if report.total > 0 && matches!(t.verdict, Verdict::Passed | Verdict::Skipped) {
                        t.skipped = t.verdict == Verdict::Skipped;
                        t.verdict = Verdict::Leaked;
                    }
                    t.leak = Some(report);
                }
            }
            for ((name, run), report) in sub_leaks {
                // A subtest go test did not report (its goroutine was
                // recorded, but its events are missing): keep the leak on
                // the top-level test.
                let top = name.split('/').next().unwrap_or(&name).to_string();
                if let Some(t) = self.tests.iter_mut().find(|t| t.name == top && t.run == run) {
                    merge_report(t.leak.get_or_insert_with(LeakReport::default), report);
                    if matches!(t.verdict, Verdict::Passed | Verdict::Skipped) {
                        t.verdict = Verdict::Leaked;
                    }
                }
            }
            propagate_subtest_leaks(&mut self.tests);
            let mut stray: Vec<String> = ends
                .keys()
                .map(|(name, run)| format!("leakcheck checked {name} (run {run}) but go test did not report it"))
                .collect();
            stray.sort();
            problems.extend(stray);
            if let Some(exit) = exit {
                problems.extend(exit.header.problems.iter().cloned());
            }
        }

        // Leftovers after the last test.
        let main_leak = exit
            .map(|rec| leak_report(rec, rules, &self.import_path, None, proof))
            .filter(|l| l.total > 0);

        // Failures go test does not count: any in a package it passed; and
        // those of tests another test ran (testing.RunTests), which only
        // their caller's verdict counts: a test named apart from its caller
        // but run inside it, or one named as a subtest of a test that did
        // not fail (a real subtest's failure fails its parent; a parent
        // that panicked or timed out failed too).
        let go_passed = self.go_said(Action::Pass) && !build_failed;
        let failed_tops: HashSet<(String, u32)> = self
            .tests
            .iter()
            .filter(|t| !t.name.contains('/') && t.verdict.is_failure() && t.verdict != Verdict::Leaked)
            .map(|t| (t.name.clone(), t.run))
            .collect();
        for t in self.tests.iter_mut() {
            let top = (t.top_level().to_string(), t.run);
            // (Also a run of it its parent never had: RunTests counts
            // -count too.)
            let inner = run_by_another.contains(&(t.name.clone(), t.run))
                || (t.name.contains('/') && !failed_tops.contains(&top));
            if t.verdict == Verdict::Failed && (go_passed || inner) {
                t.uncounted = true;
            }
        }
        let any_failure = self.tests.iter().any(TestResult::fails) || main_leak.is_some() || crash.is_some();
        let failed_outside_tests = !any_failure && self.go_said(Action::Fail);
        let ran = !self.tests.is_empty() || self.status.is_some();
        let check = if !finished {
            CheckState::NotChecked(problems.join("; "))
        } else if build_failed || (no_tests && self.tests.is_empty()) {
            CheckState::NotApplicable
        } else if start.is_none() && cached {
            CheckState::Cached
        } else if start.is_none() && crash.is_some() {
            // The binary died before the helper started (a panic in init).
            CheckState::NotApplicable
        } else if start.is_none() && ran {
            problems.insert(0, "the leakcheck helper did not run in this test binary".into());
            CheckState::NotChecked(problems.join("; "))
        } else if !problems.is_empty() {
            CheckState::NotChecked(problems.join("; "))
        } else {
            CheckState::Checked
        };
        let status = if build_failed {
            PackageStatus::BuildFailed
        } else if no_tests && self.tests.is_empty() {
            PackageStatus::NoTestFiles
        } else if !finished {
            PackageStatus::NotFinished
        } else if any_failure || self.go_said(Action::Fail) || matches!(check, CheckState::NotChecked(_)) {
            PackageStatus::Failed
        } else {
            PackageStatus::Passed
        };
        // A flag the test binary refused (or a -run/-skip pattern testing
        // could not compile) ends it inside m.Run, and the output says so:
        // no warning about how it exited.
        let flag_refused = self.output.lines().any(|l| {
            l.starts_with("flag provided but not defined: ")
                || (l.starts_with("invalid value ") && l.contains(" for flag -"))
                || l.starts_with("testing: invalid regexp")
        });
        if start.is_some()
            && exit.is_none()
            && crash.is_none()
            && status != PackageStatus::NotFinished
            && trusted
            && !flag_refused
        {
            warnings.push(
                "the check after the last test did not run: TestMain exited in a way leakcheck cannot intercept (log.Fatal, os.Exit outside the TestMain file)".into(),
            );
        }
        let go_failed = self.go_said(Action::Fail) || build_failed;
        PackageResult {
            import_path: self.import_path,
            status,
            elapsed: self.elapsed,
            tests: self.tests,
            output: self.output,
            build_output: self.build_output,
            main_leak,
            crash,
            check,
            go_version: start.map(|s| s.go.clone()),
            label_source: start.map(|s| if s.labels_in_dump { "dump" } else { "profile" }.to_string()),
            proof,
            warnings,
            started: self.started,
            failed_outside_tests,
            dir: self.dir,
            declared: self.declared,
            go_failed,
        }
    }

    /// Gives the tests test2json lost track of their verdicts, from the
    /// helper's records. Called when the binary ran to its end (the package
    /// passed, or the helper wrote its record after the last test), so no
    /// test with an end record was cut short by a crash.
    ///
    /// Output without a final newline (`fmt.Print("50%")`) glues testing's
    /// next framing line onto it (`50%--- PASS: TestA (0.00s)`); under
    /// `-v`, which replaces the `-test.v=test2json` that marks framing
    /// lines, test2json then misses the test's end, or its start. A test
    /// whose top-level test has an end record has ended; its verdict is
    /// what go test would have said:
    ///
    /// - a top-level test whose record says it had failed by its check, or
    ///   that its check failed it, failed (leakcheck's own failure is told
    ///   apart later, as for any test), also in a package that passed (a
    ///   TestMain that ignores m.Run's code);
    /// - the package passed: otherwise a top-level test is skipped or
    ///   passed as its record says, a subtest as its framing line says
    ///   (passed when it cannot be found);
    /// - the package failed: otherwise a top-level test's glued framing
    ///   line says, and a test whose framing line is missing or
    ///   contradicts itself failed, unless the records explain the
    ///   binary's failure and it is not an example (whose record cannot
    ///   say it failed): a failure is never turned into a pass. A subtest
    ///   of a top-level test that had not failed by its check did not fail
    ///   (a subtest's failure fails its parents at once, and subtests end
    ///   before their parent's check).
    ///
    /// A test whose `=== RUN` line test2json missed (it is in the output,
    /// glued onto another line) and whose top-level test has an end record
    /// is added; so is a top-level test with an end record of which the
    /// stream has no trace at all (testing's lines went to a closed
    /// os.Stdout), where its record says. Nothing is done where
    /// test2json lost nothing.
    fn recover_lost_events(&mut self, records: &[LeakRecord]) {
        let ends: HashMap<(&str, u32), &LeakRecord> = records
            .iter()
            .filter(|r| r.header.kind == RecordKind::End)
            .map(|r| ((r.header.test.as_str(), r.header.run), r))
            .collect();
        // The tests go test reported, by name and run (a package of 20,000
        // tests asked the list for each record: 0.3 s of CPU).
        let mut reported: HashSet<(String, u32)> = self.tests.iter().map(|t| (t.name.clone(), t.run)).collect();
        let is_reported =
            |reported: &HashSet<(String, u32)>, name: &str, run: u32| reported.contains(&(name.to_string(), run));
        let lost_end = (0..self.tests.len()).any(|i| !self.finished[i] && !self.tests[i].name.starts_with("Benchmark"));
        let lost_start = ends.keys().any(|&(name, run)| !is_reported(&reported, name, run));
        if !lost_end && !lost_start {
            return;
        }
        let passed = self.go_said(Action::Pass);
        // Tests whose `=== RUN` line test2json did not see, glued onto
        // output, whose top-level test has an end record: the subtest's
        // run is that of the test whose output has the line, if the same
        // top-level test's; otherwise the first run not reported.
        const RUN: &str = "=== RUN   ";
        let mut glued: Vec<(String, Option<u32>)> = Vec::new();
        for (owner, out) in self
            .tests
            .iter()
            .map(|t| (Some((t.top_level(), t.run)), t.output.as_str()))
            .chain([(None, self.output.as_str())])
        {
            for line in out.split('\n') {
                let line = line.trim_end_matches('\r');
                if let Some(at) = line.find(RUN).filter(|&at| at > 0) {
                    let name = &line[at + RUN.len()..];
                    let run = owner.filter(|&(top, _)| name.contains('/') && top == top_level(name));
                    glued.push((name.to_string(), run.map(|(_, run)| run)));
                }
            }
        }
        for (name, run) in glued {
            let top = top_level(&name);
            let run = run.or_else(|| {
                (1..)
                    .take_while(|&r| ends.contains_key(&(top, r)))
                    .find(|&r| !is_reported(&reported, &name, r))
            });
            let Some(run) = run.filter(|&r| ends.contains_key(&(top, r)) && !is_reported(&reported, &name, r)) else {
                continue;
            };
            let at = if name.contains('/') {
                // At the end of its top-level test's run.
                self.tests
                    .iter()
                    .rposition(|t| t.top_level() == top && t.run == run)
                    .map_or(self.tests.len(), |i| i + 1)
            } else {
                self.position_by_end(&ends, ends[&(top, run)].header.seq)
            };
            reported.insert((name.clone(), run));
            self.insert_lost(at, name, run);
        }
        // Top-level tests go test's stream has no trace of (a test closed
        // os.Stdout, and testing's lines went nowhere): their records say
        // they ran, and where.
        let mut unseen: Vec<&LeakRecord> = ends
            .iter()
            .filter(|(&(name, run), _)| !is_reported(&reported, name, run))
            .map(|(_, &r)| r)
            .collect();
        unseen.sort_by_key(|r| r.header.seq);
        for rec in unseen {
            let at = self.position_by_end(&ends, rec.header.seq);
            self.unseen.push(rec.header.test.clone());
            self.insert_lost(at, rec.header.test.clone(), rec.header.run);
        }
        // The binary failed, and the records say why: a test failed or
        // leaked (the check fails it), or goroutines were left after the
        // last test. A test whose record is clean then passed, unless the
        // race detector reported (it fails a test after its check).
        let explained = !passed
            && records.iter().any(|r| r.header.failed || !r.header.leaked.is_empty())
            && !self.outputs().any(|o| o.contains("WARNING: DATA RACE"));
        for i in 0..self.tests.len() {
            let t = &self.tests[i];
            if self.finished[i] || t.name.starts_with("Benchmark") {
                continue;
            }
            let Some(rec) = ends.get(&(top_level(&t.name), t.run)) else {
                continue;
            };
            let h = &rec.header;
            let framing = self.glued_framing(&t.name);
            let verdict = if t.name.contains('/') {
                match framing {
                    Some(v) if v != Verdict::Failed || !passed => v,
                    _ if passed || !h.failed => Verdict::Passed,
                    _ => Verdict::Failed,
                }
            } else if h.failed || (!h.leaked.is_empty() && !h.background) {
                // It had failed by its check, or the check failed it
                // (leakcheck's own failure is told apart later): also in a
                // package that passed (a TestMain that ignores m.Run's code).
                Verdict::Failed
            } else if passed || (explained && !t.name.starts_with("Example")) {
                // (An example's record never says it failed: its output is
                // compared after the check.)
                if h.skipped {
                    Verdict::Skipped
                } else {
                    Verdict::Passed
                }
            } else {
                framing.unwrap_or(Verdict::Failed)
            };
            self.tests[i].verdict = verdict;
            self.finished[i] = true;
        }
    }

    /// Where a top-level test whose record is number `seq` goes: before the
    /// first top-level test that ended after it.
    fn position_by_end(&self, ends: &HashMap<(&str, u32), &LeakRecord>, seq: u64) -> usize {
        self.tests
            .iter()
            .position(|t| {
                !t.name.contains('/') && ends.get(&(t.name.as_str(), t.run)).is_some_and(|r| r.header.seq > seq)
            })
            .unwrap_or(self.tests.len())
    }

    /// Adds a test whose events test2json lost, unfinished (its record
    /// gives its verdict).
    fn insert_lost(&mut self, at: usize, name: String, run: u32) {
        let runs = self.runs.entry(name.clone()).or_insert(0);
        *runs = (*runs).max(run);
        self.tests.insert(at, TestResult::started(name, run));
        self.finished.insert(at, false);
    }

    /// Every output of the package: its tests' and its own.
    fn outputs(&self) -> impl Iterator<Item = &str> {
        self.tests
            .iter()
            .map(|t| t.output.as_str())
            .chain([self.output.as_str()])
    }

    /// What testing's framing line for `name` says, where test2json did
    /// not see it (glued onto output without a final newline); `None` when
    /// there is none, or they disagree.
    fn glued_framing(&self, name: &str) -> Option<Verdict> {
        let mut found = None;
        for (word, verdict) in [
            ("PASS", Verdict::Passed),
            ("FAIL", Verdict::Failed),
            ("SKIP", Verdict::Skipped),
        ] {
            let line = format!("--- {word}: {name} (");
            if self.outputs().any(|o| o.contains(&line)) {
                if found.is_some() {
                    return None;
                }
                found = Some(verdict);
            }
        }
        found
    }

    /// Finds a panic or timeout in the output and marks the tests it hit.
    fn detect_crash(&mut self, rules: &[IgnoreRule]) -> Option<Crash> {
        // Benchmarks end without a pass event (test2json gives one only to
        // a benchmark that failed): one finished when it printed its result
        // line, when a later one began that is not its own sub-benchmark
        // (they run one at a time), or when m.Run printed its last line,
        // PASS or FAIL. The one running when the binary died was cut short
        // (it was "passed", os.Exit in it blamed on TestMain, and the
        // benchmarks before a crash were "unfinished").
        let run_ended = self.run_ended;
        let mut unfinished = Vec::new();
        for i in 0..self.tests.len() {
            if self.finished[i] {
                continue;
            }
            let name = &self.tests[i].name;
            if !name.starts_with("Benchmark") {
                unfinished.push(i);
                continue;
            }
            let sub = format!("{name}/");
            let followed = self.tests[i + 1..]
                .iter()
                .any(|t| t.name.starts_with("Benchmark") && !t.name.starts_with(&sub));
            if run_ended || followed || printed_result(&self.tests[i]) {
                self.tests[i].verdict = Verdict::Passed;
            } else {
                unfinished.push(i);
            }
        }
        // The panic text goes to whichever test test2json thought was
        // running (a -timeout alarm's to a parallel test that passed while
        // the slow one ran on), or to the package. A `panic: ` line is only
        // believed when the binary failed, and only the last one, with no
        // framing line of testing after it (CrashLine): a test may print one itself (a
        // library logging a panic it recovered, a recovery middleware's
        // test printing the stack; helper-107 saw it taken for the crash,
        // in place of the test that did crash).
        let binary_failed = self.go_said(Action::Fail) || !unfinished.is_empty();
        let panic = self
            .last_crash
            .as_ref()
            .filter(|c| binary_failed && !c.framed_after && !c.run_ended_after)
            .and_then(|c| {
                let (text, owner) = match &c.test {
                    Some((name, run)) => {
                        let i = (0..self.tests.len())
                            .find(|&i| self.tests[i].name == *name && self.tests[i].run == *run)?;
                        (self.tests[i].output.get(c.offset..)?, Some(i))
                    }
                    None => (self.output.get(c.offset..)?, None),
                };
                // A failing example prints its output after `got:`: a
                // panic line after that is the example's output, unless a
                // goroutine dump follows (a panicking example panics
                // again after its got and want).
                if let Some(i) = owner.filter(|&i| self.tests[i].name.starts_with("Example")) {
                    let before = &self.tests[i].output[..c.offset];
                    let after_got = before.lines().any(|l| l == "got:");
                    if after_got && !has_goroutine_dump(text) {
                        return None;
                    }
                }
                if c.after_run && !self.dumps_off && !has_goroutine_dump(text) {
                    return None;
                }
                Some((text.to_string(), owner))
            });
        let Some((text, owner)) = panic else {
            if unfinished.is_empty() {
                return None;
            }
            // No panic, yet tests never finished: the binary exited under
            // them (os.Exit, log.Fatal).
            let tests: Vec<String> = unfinished.iter().map(|&i| self.tests[i].name.clone()).collect();
            let signal = self
                .tests
                .iter()
                .map(|t| t.output.as_str())
                .chain([self.output.as_str()])
                .flat_map(str::lines)
                .find(|l| l.starts_with("signal: "));
            let message = match signal {
                Some(signal) => format!("the test binary was stopped ({signal}) while {} ran", tests.join(", ")),
                None => format!(
                    "the test binary exited while {} ran (os.Exit or log.Fatal in a test?)",
                    tests.join(", ")
                ),
            };
            return Some(Crash {
                kind: CrashKind::Exit,
                message,
                tests,
                groups: Vec::new(),
            });
        };
        let message = text.lines().find(|l| is_crash_line(l)).unwrap_or("").to_string();
        let timeout = message.starts_with("panic: test timed out");
        let mut tests = Vec::new();
        // How long each test had run when the alarm went off: a timed-out
        // test has no end event, so this is the only time go test gives.
        let mut ran: HashMap<String, f64> = HashMap::new();
        if timeout {
            // "running tests:" then one "\t\tTestX (2s)" per test.
            let mut in_list = false;
            for line in text.lines() {
                if line.trim() == "running tests:" {
                    in_list = true;
                } else if in_list {
                    match line.trim().split_once(" (") {
                        Some((name, rest)) if !line.trim().is_empty() => {
                            if let Some(secs) = rest.strip_suffix(')').and_then(go_duration_seconds) {
                                ran.insert(name.to_string(), secs);
                            }
                            tests.push(name.to_string());
                        }
                        _ => break,
                    }
                }
            }
        }
        // The dump, read once: whose panic it is, and its groups below.
        let parsed = dump::parse(&text);
        // (testing's own panic for a test that called runtime.Goexit is
        // raised on the test's goroutine, under tRunner, as a re-panic is:
        // helper-119 saw a subtest's Goexit blamed on its top-level test.)
        let recovered = message.starts_with("panic: test executed panic(nil) or runtime.Goexit")
            || text
                .lines()
                .take_while(|l| !l.starts_with("goroutine "))
                .any(|l| l.contains("[recovered"));
        let owner = match owner {
            _ if timeout => owner,
            // test2json may give a benchmark's panic to the next one (the
            // runner starts it before the dump is printed).
            _ if let Some(i) = self.panicked_benchmark(&parsed) => Some(i),
            // A goroutine a running test started panicked: that test's
            // (test2json gives the text to the test whose output came
            // last, which may have passed already; helper-124), unless
            // test2json named one of its subtests.
            _ if let Some(i) = self
                .running_test_of_panicking_goroutine(&parsed, recovered, &unfinished)
                .filter(|&i| owner.is_none_or(|o| top_level(&self.tests[o].name) != self.tests[i].name)) =>
            {
                Some(i)
            }
            Some(i) => Some(self.panicked_subtest(i, &parsed, recovered)),
            None => self.panicked_example(&parsed, recovered),
        };
        if let Some(i) = owner.filter(|&i| self.tests[i].name.starts_with("Benchmark")) {
            if !unfinished.contains(&i) {
                unfinished.push(i);
            }
        }
        if let (Some(i), false) = (owner, timeout) {
            tests.push(self.tests[i].name.clone());
        }
        for &i in &unfinished {
            let t = &mut self.tests[i];
            t.verdict = if tests.contains(&t.name) {
                if timeout {
                    t.elapsed = ran.get(&t.name).copied().unwrap_or(t.elapsed);
                    Verdict::TimedOut
                } else {
                    Verdict::Panicked
                }
            } else {
                Verdict::Unfinished
            };
        }
        if let Some(i) = owner {
            if !timeout && self.tests[i].verdict == Verdict::Failed {
                self.tests[i].verdict = Verdict::Panicked;
            }
        }
        // The dump, without the goroutines that say nothing (the test
        // runner, the timeout alarm, what the rules ignore).
        let mut grouper = Grouper::new();
        for g in &parsed.goroutines {
            let test = g.label("leakcheck").map_or("", top_level);
            if rules::first_match(rules, g, test, &self.import_path).is_none() {
                grouper.add(g, None, None);
            }
        }
        Some(Crash {
            kind: if timeout { CrashKind::Timeout } else { CrashKind::Panic },
            message,
            tests,
            groups: grouper.finish(),
        })
    }
}

impl PackageCollector {
    /// The example whose panic test2json gave no test: testing reports it
    /// failed and panics again (`[recovered]`) on the main goroutine, which
    /// runs the example's function right under `testing.runExample`.
    fn panicked_example(&self, parsed: &dump::Dump<'_>, recovered: bool) -> Option<usize> {
        let body = panicking_body(parsed, recovered, "testing.runExample")?;
        (0..self.tests.len())
            .filter(|&j| self.tests[j].name.starts_with("Example") && self.tests[j].verdict == Verdict::Failed)
            .filter(|&j| func_is(body, &self.tests[j].name))
            .max_by_key(|&j| self.tests[j].span.1)
    }

    /// The test, among those still running (`unfinished`), that started
    /// the goroutine whose panic testing did not recover (`recovered`:
    /// a test's own goroutine's panic is, and is told by
    /// `panicked_subtest`), or whose code it runs: the test function its
    /// creator or one of its frames belongs to (`TestA` for `p.TestA` and
    /// `p.TestA.func1`), the creator first. None when no running test's
    /// code is there (a library's goroutine), or without a dump.
    fn running_test_of_panicking_goroutine(
        &self,
        parsed: &dump::Dump<'_>,
        recovered: bool,
        unfinished: &[usize],
    ) -> Option<usize> {
        if recovered {
            return None;
        }
        let g = parsed.goroutines.first()?;
        let internal = format!("{}.", self.import_path);
        let external = format!("{}_test.", self.import_path);
        let functions = g
            .created_by
            .iter()
            .map(|c| c.function)
            .chain(g.frames.iter().map(|f| f.function));
        functions
            .filter(|f| f.starts_with(&internal) || f.starts_with(&external))
            .filter_map(func_decl)
            .filter(|decl| decl.starts_with("Test") || decl.starts_with("Fuzz"))
            .find_map(|decl| unfinished.iter().rev().copied().find(|&i| self.tests[i].name == decl))
    }

    /// The benchmark the panicking goroutine runs (its function right
    /// under `testing.(*B).runN`): the top-level benchmark of that name, or
    /// for a closure written in it, the last of its sub-benchmarks to begin
    /// (benchmarks run one at a time).
    fn panicked_benchmark(&self, parsed: &dump::Dump<'_>) -> Option<usize> {
        let body = panicking_body(parsed, true, "testing.(*B).runN")?;
        let decl = func_decl(body)?;
        let own = func_is(body, decl);
        let sub = format!("{decl}/");
        // (A result line of no iteration, `0 NaN ns/op`, which the runner
        // may print for the benchmark whose goroutine panicked, is no sign
        // of it: one that called b.SkipNow prints it too, and passed;
        // helper-123.)
        (0..self.tests.len()).rev().find(|&j| {
            let name = &self.tests[j].name;
            if own {
                name == decl
            } else {
                name.starts_with(&sub)
            }
        })
    }

    /// The test whose panic test2json gave top-level test `owner`: testing
    /// reports a subtest that panicked as failed, then each of its parents
    /// (`--- FAIL: TestP/b`, `--- FAIL: TestP`), and panics again
    /// (`[recovered]`) with the text test2json hands the outermost. The
    /// subtest is the deepest of that chain, the one to end last at each
    /// level, when the panicking goroutine does not run the top-level
    /// test's own function right under testing's runner (a closure of it,
    /// or another function, is a subtest's body); `owner` itself otherwise,
    /// and when the dump is not there to say (`GOTRACEBACK=none`).
    fn panicked_subtest(&self, owner: usize, parsed: &dump::Dump<'_>, recovered: bool) -> usize {
        let name = &self.tests[owner].name;
        if name.contains('/') {
            // testing's re-panic named a subtest: test2json gave the text
            // to the last to print, a parallel sibling the panic's unwinding
            // released (CI saw `TestShared/c` named for `a`'s panic). Read
            // from the top-level test, as when test2json names that.
            let (top, run) = (top_level(name), self.tests[owner].run);
            return match (0..self.tests.len()).find(|&j| self.tests[j].name == top && self.tests[j].run == run) {
                Some(t) if recovered => self.panicked_subtest(t, parsed, recovered),
                _ => owner,
            };
        }
        // (Not testing's own function: a cleanup's panic, run by tRunner.
        // But testing's runner of a fuzz target's seeds, each a subtest
        // of the target: helper-119 saw the target blamed, not the seed.)
        let body = match panicking_body(parsed, recovered, "testing.tRunner") {
            Some(body) if !body.starts_with("testing.") || body.starts_with("testing.(*F).Fuzz.") => body,
            _ => return owner,
        };
        // Another top-level test's code: a parallel one that panicked while
        // this one logged (test2json gives the text to the test whose
        // output came last; helper-119 saw the logging test blamed).
        let creator = parsed.goroutines.first().and_then(|g| g.created_by.as_ref()?.goroutine);
        let owner = func_decl(body)
            .filter(|&decl| decl != name)
            .and_then(|decl| self.panicking_top_level(decl, body, creator, owner))
            .unwrap_or(owner);
        let (name, run) = (&self.tests[owner].name, self.tests[owner].run);
        if func_is(body, name) {
            return owner;
        }
        let mut at = owner;
        loop {
            let prefix = format!("{}/", self.tests[at].name);
            let last = (0..self.tests.len())
                .filter(|&j| self.tests[j].run == run && self.tests[j].name.starts_with(&prefix))
                .filter(|&j| self.tests[j].span.1.is_some())
                .max_by_key(|&j| self.tests[j].span.1);
            match last {
                Some(j) if self.tests[j].verdict == Verdict::Failed => at = j,
                _ => break,
            }
        }
        // Parallel subtests end in any order: a sibling that fails as the
        // panic unwinds (a deferred close released it) may end after the
        // one that panicked (helper-115). Which one it was is not told,
        // unless every parallel subtest had ended before the one found
        // began (a group of them run before it: helper-119).
        let prefix = format!("{name}/");
        let began = self.tests[at].span.0;
        let overlapping = self.tests.iter().any(|t| {
            t.run == run
                && t.name.starts_with(&prefix)
                && !t.paused.is_empty()
                && !matches!((t.span.1, began), (Some(ended), Some(began)) if ended < began)
        });
        if overlapping {
            return owner;
        }
        at
    }

    /// The top-level test named `name` whose code the panicking goroutine
    /// runs (`body`), as the goroutine that started it (`creator`) says:
    /// testing's runner of a top-level test is started by the main
    /// goroutine (1), so one running `name`'s own function that the main
    /// goroutine started is that test, and one running a closure of it
    /// that another goroutine started is one of its subtests: its latest
    /// run, which testing reported failed before panicking again. One
    /// running `name`'s function that another goroutine started is a
    /// subtest running it (`t.Run("x", TestB)`): not `name`'s (helper-121,
    /// helper-122: a TestB that failed by t.Error was blamed). The order
    /// of test2json's events cannot tell (helper-122: a test that ended
    /// while the panic was printed). A closure, though, may have been
    /// handed to another test (a package variable): a subtest of `name`
    /// only if `name` ended after test `other`, the one test2json named,
    /// began or went on from t.Parallel (helper-123: a TestB that had
    /// failed before TestA ran its closure was blamed).
    fn panicking_top_level(&self, name: &str, body: &str, creator: Option<u64>, other: usize) -> Option<usize> {
        let own = func_is(body, name);
        let by_main = creator? == 1;
        let o = &self.tests[other];
        let began = o.paused.last().and_then(|p| p.1).or(o.span.0);
        let failed = (0..self.tests.len())
            .rev()
            .find(|&j| self.tests[j].name == name && self.tests[j].verdict == Verdict::Failed)?;
        let ended_after = matches!((self.tests[failed].span.1, began), (Some(ended), Some(began)) if ended >= began);
        match (own, by_main) {
            (true, true) => Some(failed),
            (false, false) if ended_after => Some(failed),
            // Its own function, started by another goroutine: a subtest
            // running it, or, when TestMain runs m.Run on a goroutine of
            // its own, that test; the latter only if it was the last test
            // to end (helper-123).
            (true, false) if ended_after && self.last_to_end() == Some(failed) => Some(failed),
            _ => None,
        }
    }

    /// The test whose end test2json reported last.
    fn last_to_end(&self) -> Option<usize> {
        (0..self.tests.len())
            .filter(|&j| self.tests[j].span.1.is_some())
            .max_by_key(|&j| self.tests[j].span.1)
    }
}

/// Whether a goroutine's header line (`goroutine 7 [running]:`) is in
/// `text`: the runtime prints one after a crash line, unless
/// `GOTRACEBACK=none`.
fn has_goroutine_dump(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("goroutine ") && l.ends_with("]:"))
}

/// Whether benchmark `t` printed its result line (`BenchmarkX-8 \t 100\t
/// 12 ns/op`): it ran to its end, even if nothing began after it (the last
/// sub-benchmark of one that then exited).
fn printed_result(t: &TestResult) -> bool {
    t.output.lines().any(|l| {
        l.strip_prefix(t.name.as_str())
            .is_some_and(|rest| (rest.starts_with('-') || rest.starts_with(' ')) && rest.contains('\t'))
    })
}

/// A Go function's name within its package (`BenchmarkA.func1` for
/// `example.com/p.BenchmarkA.func1`): the package path's last element may
/// hold dots, a function's first element none.
fn after_package(function: &str) -> Option<&str> {
    let last = function.rsplit_once('/').map_or(function, |(_, last)| last);
    Some(last.split_once('.')?.1)
}

/// The top-level declaration a Go function belongs to (`BenchmarkA` for
/// `example.com/p.BenchmarkA.func1`).
fn func_decl(function: &str) -> Option<&str> {
    let rest = after_package(function)?;
    Some(rest.split('.').next().unwrap_or(rest))
}

/// The function the panicking goroutine (a crash dump's first) runs right
/// under `runner` (testing's `tRunner`, `runExample` or `(*B).runN`): the
/// test's, example's or benchmark's body. `None` without a dump
/// (`GOTRACEBACK=none`), or unless `recovered`: for a test or an example,
/// a panic testing did not recover and panic again (`[recovered]`) is one
/// in a goroutine a test started, whose dump shows that goroutine first.
/// (Benchmarks' panics are not recovered: their goroutine is the one under
/// runN, and their callers pass true.)
fn panicking_body<'a>(parsed: &dump::Dump<'a>, recovered: bool, runner: &str) -> Option<&'a str> {
    if !recovered {
        return None;
    }
    let g = parsed.goroutines.first()?;
    let at = g.frames.iter().position(|f| f.function == runner)?;
    Some(g.frames.get(at.checked_sub(1)?)?.function)
}

/// Whether Go function `function` (`example.com/p.TestP`, or
/// `…/p_test.TestP`) is the test named `name`.
fn func_is(function: &str, name: &str) -> bool {
    after_package(function) == Some(name)
}

/// Seconds in a duration as Go's `time.Duration` prints it (`10s`, `1m30s`,
/// `2h0m0s`, `1.5s`, `0s`); `None` for anything else.
fn go_duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        total += value
            * match &rest[..unit] {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 1e-3,
                "µs" | "us" => 1e-6,
                "ns" => 1e-9,
                _ => return None,
            };
        rest = &rest[unit..];
    }
    (!text.is_empty()).then_some(total)
}

/// Parses a record's goroutines, applies the rules and groups what is left.
/// `test` is the test the record is about; `None` for the package record,
/// where each goroutine's owner (or `leakcheck` label) names its test.
fn leak_report(rec: &LeakRecord, rules: &[IgnoreRule], package: &str, test: Option<&str>, proof: bool) -> LeakReport {
    let mut all = LeakReport::default();
    for (_, r) in leak_reports_split(rec, rules, package, test, proof, false) {
        merge_report(&mut all, r);
    }
    all
}

/// The same, one report per subtest that started goroutines (key: the
/// subtest), and one for the rest (key `None`).
fn leak_reports(
    rec: &LeakRecord,
    rules: &[IgnoreRule],
    package: &str,
    test: Option<&str>,
    proof: bool,
) -> BTreeMap<Option<String>, LeakReport> {
    leak_reports_split(rec, rules, package, test, proof, true)
}

fn leak_reports_split(
    rec: &LeakRecord,
    rules: &[IgnoreRule],
    package: &str,
    test: Option<&str>,
    proof: bool,
    by_subtest: bool,
) -> BTreeMap<Option<String>, LeakReport> {
    let parsed = dump::parse(&rec.dump);
    let mut groupers: BTreeMap<Option<String>, (Grouper, LeakReport)> = BTreeMap::new();
    groupers.insert(None, Default::default());
    for g in &parsed.goroutines {
        let id = g.id.to_string();
        let attributed = test
            .or_else(|| rec.header.owners.get(&id).map(String::as_str))
            .or_else(|| g.label("leakcheck"));
        // Only a subtest of the record's test: a record that names another
        // test's subtest (a helper that blamed it) must not take over that
        // subtest's own report.
        let subtest = rec
            .header
            .test_of
            .get(&id)
            .map(String::as_str)
            .filter(|sub| test.is_none_or(|t| top_level(sub) == t));
        let key = subtest.filter(|_| by_subtest).map(str::to_string);
        let (grouper, report) = groupers.entry(key).or_default();
        // The rules decide here, whatever the helper concluded.
        // Rules name top-level tests; a subtest's label names the subtest.
        if let Some(rule) = rules::first_match(rules, g, attributed.map_or("", top_level), package) {
            *report.ignored.entry(rule.name.clone()).or_default() += 1;
            continue;
        }
        // A subtest's own report need not say which subtest it is.
        let named = if by_subtest { None } else { subtest };
        grouper.add(g, if test.is_some() { None } else { attributed }, named);
        report.total += 1;
        report.ambiguous += usize::from(rec.header.ambiguous.contains(&g.id));
        report.by_difference += usize::from(rec.header.by_difference.contains(&g.id));
    }
    groupers
        .into_iter()
        .map(|(k, (grouper, mut report))| {
            report.groups = grouper.finish();
            report.looks = rec.header.looks;
            report.proof = proof;
            report.cut_short = rec.header.cut_short;
            report.ended_early = rec.header.ended_early;
            (k, report)
        })
        .collect()
}

/// The top-level test of a test or subtest name (a test function's name
/// has no slash).
fn top_level(name: &str) -> &str {
    name.split_once('/').map_or(name, |(top, _)| top)
}

/// The first line of a crash's report: a panic, a fatal runtime error, or a
/// signal the runtime reports with a goroutine dump (`SIGQUIT: quit`,
/// `SIGSEGV: segmentation violation`).
fn is_crash_line(line: &str) -> bool {
    line.starts_with("panic: ")
        || line.starts_with("fatal error: ")
        || line.split_once(": ").is_some_and(|(sig, _)| {
            sig.len() > 3 && sig.starts_with("SIG") && sig.bytes().all(|b| b.is_ascii_uppercase())
        })
}

/// An example's failure without leakcheck's line: whether go test's
/// comparison of the example's own output would have passed, and what go
/// test would have printed (the line is the helper's, not the example's:
/// reports show the example's own got and want).
///
/// The helper prints `\nleakcheck: N goroutines leaked after NAME
/// returned\n` last into the example's output (`leaked` is N), and
/// testing's `processRunResult` prints, after `--- FAIL: NAME (…)`:
///
/// - ordered output: `got:\n{G}\nwant:\n{W}\n`, where G is the output
///   trimmed of white space (so it ends with leakcheck's line, and the
///   example's own output is what precedes it) and W the wanted output
///   trimmed; the example passes when its own output, trimmed, is W;
/// - `// Unordered output:`: `got:\n{S}\nwant (unordered):\n{O}\n`, with S
///   and O untrimmed; the example passes when the lines of S and of O,
///   each trimmed as a whole, are the same multiset.
///
/// The comparison is go test's, byte for byte: lines split at `\n` only (a
/// `\r` is part of a line, as on every system but Windows, where Go 1.25+
/// also drops it: there this can only say "failed" where go test would
/// not have, never the other way). Anything unexpected (leakcheck's line
/// found twice or not at all, other text after the wanted output) means
/// the example failed on its own.
fn example_without_leakcheck(output: &str, name: &str, leaked: usize) -> Option<ExampleWithoutLine> {
    // testing's header, `--- FAIL: NAME (0.50s)`, then `got:`; lines
    // before it are the example's stderr, which may imitate it.
    let header = format!("--- FAIL: {name} (");
    let testings = |line: &str| {
        line.strip_prefix(&header)
            .and_then(|d| d.strip_suffix("s)\n"))
            .and_then(|d| d.split_once('.'))
            .is_some_and(|(secs, cents)| {
                !secs.is_empty()
                    && secs.bytes().all(|b| b.is_ascii_digit())
                    && cents.len() == 2
                    && cents.bytes().all(|b| b.is_ascii_digit())
            })
    };
    let (start, header_line) = output
        .split_inclusive('\n')
        .scan(0, |pos, line| {
            let start = *pos;
            *pos += line.len();
            Some((start, line))
        })
        .find(|&(start, line)| testings(line) && output[start + line.len()..].starts_with("got:\n"))?;
    let message = &output[start + header_line.len() + "got:\n".len()..];
    let count = if leaked == 1 {
        "1 goroutine".to_string()
    } else {
        format!("{leaked} goroutines")
    };
    let line = format!("{HELPER_LINE_MARK}{count} leaked after {name} returned");
    // The one place leakcheck's line can be: split the message around it.
    fn split<'a>(marker: &str, text: &'a str) -> Option<(&'a str, &'a str)> {
        let mut found = text.match_indices(marker);
        let (i, _) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some((&text[..i], &text[i + marker.len()..]))
    }
    // Go's strings.TrimSpace trims Unicode's White_Space, as Rust's trim.
    fn sorted_lines(s: &str) -> Vec<&str> {
        let mut lines: Vec<&str> = s.trim().split('\n').collect();
        lines.sort_unstable();
        lines
    }
    // What go test would have printed from the `--- FAIL` line on.
    let without = |passes: bool, got_want: String| {
        let mut out = output[..start].to_string();
        if passes {
            out.push_str(&header_line.replacen("--- FAIL: ", "--- PASS: ", 1));
        } else {
            out.push_str(header_line);
            out.push_str(&got_want);
        }
        Some(ExampleWithoutLine { passes, output: out })
    };
    // Unordered: the raw output, leakcheck's newline, its line, then
    // testing's.
    if let Some((own, wanted)) = split(&format!("\n{line}\n\nwant (unordered):\n"), message) {
        let passes = sorted_lines(own) == sorted_lines(wanted.strip_suffix('\n')?);
        return without(passes, format!("got:\n{own}\nwant (unordered):\n{wanted}"));
    }
    // Ordered: the output trimmed as a whole ends with leakcheck's line;
    // what precedes it (after a newline) is the example's own, and the
    // wanted output is printed trimmed. With no output of its own, the
    // line is all there is.
    let message = format!("\n{message}");
    let (own, wanted) = split(&format!("\n{line}\nwant:\n"), &message)?;
    let passes = own.trim() == wanted.strip_suffix('\n')?;
    without(passes, format!("got:\n{}\nwant:\n{wanted}", own.trim()))
}

/// A failed example's output with the helper's line taken out.
#[derive(Debug)]
struct ExampleWithoutLine {
    /// Without the line, go test's comparison would have passed it.
    passes: bool,
    /// What go test would have printed without the line: a `--- PASS`
    /// line where it passes, its own got and want where it does not.
    output: String,
}

/// Adds `more` to `into`.
fn merge_report(into: &mut LeakReport, more: LeakReport) {
    into.total += more.total;
    into.ambiguous += more.ambiguous;
    into.by_difference += more.by_difference;
    into.cut_short |= more.cut_short;
    into.ended_early |= more.ended_early;
    into.known += more.known;
    into.looks = into.looks.max(more.looks);
    into.proof |= more.proof;
    for (rule, n) in more.ignored {
        *into.ignored.entry(rule).or_default() += n;
    }
    into.groups.extend(more.groups);
    into.groups.sort_by_key(|g| std::cmp::Reverse(g.count));
}

/// A test whose subtest leaked fails because of it, as go test fails a test
/// whose subtest fails: its ancestors that passed or skipped are leaked
/// (their verdict differs from go test's by the leak alone), marked
/// `failed_by_subtest` and without a leak of their own. Done again after a
/// baseline tolerated some leaks.
pub fn propagate_subtest_leaks(tests: &mut [TestResult]) {
    for t in tests.iter_mut().filter(|t| t.failed_by_subtest) {
        t.verdict = if t.skipped { Verdict::Skipped } else { Verdict::Passed };
        t.failed_by_subtest = false;
    }
    let leaked: Vec<(String, u32, Option<u64>)> = tests
        .iter()
        .filter(|t| t.verdict == Verdict::Leaked && t.name.contains('/'))
        .map(|t| (t.name.clone(), t.run, t.span.0))
        .collect();
    for (name, run, mut began) in leaked {
        // Up the tree, nearest first: each parent is the test that ran
        // around its child, and its own parent the one that ran around it
        // (`…/a/b/c` under `…/a/b`, run by `t.Run("a/b")` while a parallel
        // `…/a` was paused, is not `…/a`'s).
        for (i, _) in name.rmatch_indices('/') {
            let ancestor = &name[..i];
            if let Some(a) = tests
                .iter_mut()
                .find(|a| a.name == ancestor && a.run == run && a.ran_around(began))
            {
                began = a.span.0;
                if matches!(a.verdict, Verdict::Passed | Verdict::Skipped) {
                    a.skipped |= a.verdict == Verdict::Skipped;
                    a.verdict = Verdict::Leaked;
                    a.failed_by_subtest = true;
                }
            }
        }
    }
}

/// Splits go test's stderr into per-package build output, following the
/// `# import/path` headers the go command prints before each package's
/// compiler or vet errors.
#[derive(Debug, Default)]
pub struct StderrSplitter {
    current: Option<String>,
}

impl StderrSplitter {
    /// The package a line belongs to (after updating the current header);
    /// `None` for lines outside any package.
    pub fn package_of(&mut self, line: &str) -> Option<String> {
        if let Some(header) = line.strip_prefix("# ") {
            let header = header.trim();
            // `# p_test [p.test]` is p's test build.
            let header = crate::run::tested_package(header.trim_start_matches('['));
            let header = header.split([' ', ']']).next().unwrap_or(header);
            self.current = Some(header.to_string());
        }
        self.current.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str, test: Option<&str>, output: Option<&str>) -> TestEvent {
        TestEvent::in_p(action, test, output)
    }

    #[test]
    fn go_durations_read_as_go_prints_them() {
        assert_eq!(go_duration_seconds("10s"), Some(10.0));
        assert_eq!(go_duration_seconds("1m30s"), Some(90.0));
        assert_eq!(go_duration_seconds("2h0m0s"), Some(7200.0));
        assert_eq!(go_duration_seconds("1.5s"), Some(1.5));
        assert_eq!(go_duration_seconds("0s"), Some(0.0));
        assert_eq!(go_duration_seconds(""), None);
        assert_eq!(go_duration_seconds("soon"), None);
        assert_eq!(go_duration_seconds("3 s"), None);
    }

    /// A top-level test that starts while another runs (not paused) and
    /// ends before it was run by it (testing.RunTests); the parallel
    /// tests of a package start one after another, each once the one
    /// before it paused.
    #[test]
    fn a_test_run_inside_another_is_told_from_parallel_tests() {
        let mut c = PackageCollector::new("p");
        for (action, test) in [
            ("run", "TestA"),
            ("pause", "TestA"),
            ("run", "TestB"),
            ("pause", "TestB"),
            ("run", "TestSerial"),
            ("pass", "TestSerial"),
            ("cont", "TestA"),
            ("cont", "TestB"),
            ("run", "inner"),
            ("pass", "TestB"),
            ("fail", "inner"),
            ("pass", "TestA"),
            ("run", "TestLast"),
            ("pass", "TestLast"),
        ] {
            c.event(&ev(action, Some(test), None));
        }
        let by_another: Vec<(&str, bool)> = (0..c.tests.len())
            .map(|i| (c.tests[i].name.as_str(), c.run_by_another(i)))
            .collect();
        assert_eq!(
            by_another,
            [
                ("TestA", false),
                ("TestB", false),
                ("TestSerial", false),
                ("inner", true),
                ("TestLast", false)
            ]
        );
    }

    /// Parallel subtests of one test; `a` panics, its deferred close
    /// releases its siblings, and `c` logs after `a`'s failure: test2json
    /// gives testing's re-panic to `c` (as a CI run of
    /// `output::a_subtests_panic_is_the_subtests` saw). Which subtest
    /// panicked is not told (the goroutine runs a closure of the test, and
    /// they overlapped): the test, never the sibling.
    #[test]
    fn a_repanic_test2json_gave_a_parallel_sibling_is_not_the_siblings() {
        let mut c = PackageCollector::new("p");
        let out = |c: &mut PackageCollector, test: &str, line: &str| c.event(&ev("output", Some(test), Some(line)));
        c.event(&ev("run", Some("TestShared"), None));
        for sub in ["a", "b", "c", "d"] {
            let name = format!("TestShared/{sub}");
            c.event(&ev("run", Some(&name), None));
            c.event(&ev("pause", Some(&name), None));
        }
        for sub in ["a", "b", "c", "d"] {
            c.event(&ev("cont", Some(&format!("TestShared/{sub}")), None));
        }
        out(&mut c, "TestShared/a", "--- FAIL: TestShared/a (0.00s)\n");
        c.event(&ev("fail", Some("TestShared/a"), None));
        out(&mut c, "TestShared/b", "    s_test.go:20: server gone\n");
        out(&mut c, "TestShared/c", "    s_test.go:20: server gone\n");
        for line in [
            "panic: assignment to entry in nil map [recovered, repanicked]\n",
            "\n",
            "goroutine 4 [running]:\n",
            "testing.tRunner.func1.2({0x587a60, 0x71df10})\n",
            "\t/usr/local/go/src/testing/testing.go:1974 +0x232\n",
            "testing.tRunner.func1()\n",
            "\t/usr/local/go/src/testing/testing.go:1977 +0x349\n",
            "panic({0x587a60?, 0x71df10?})\n",
            "\t/usr/local/go/src/runtime/panic.go:860 +0x13a\n",
            "p.TestShared.func1(0x300e1ebb8488?)\n",
            "\t/tmp/p/s_test.go:14 +0x91\n",
            "testing.tRunner(0x300e1ebb8488, 0x300e1ea527b0)\n",
            "\t/usr/local/go/src/testing/testing.go:2036 +0xea\n",
            "created by testing.(*T).Run in goroutine 3\n",
            "\t/usr/local/go/src/testing/testing.go:2101 +0x4c5\n",
        ] {
            out(&mut c, "TestShared/c", line);
        }
        c.event(&ev("fail", None, None));
        let r = c.finish(&PackageRecords::default(), &rules::builtin());
        let crash = r.crash.unwrap();
        assert_eq!(crash.tests, vec!["TestShared"]);
        let verdict = |name: &str| r.tests.iter().find(|t| t.name == name).unwrap().verdict;
        assert_ne!(verdict("TestShared/c"), Verdict::Panicked);
        assert_eq!(verdict("TestShared"), Verdict::Panicked);
    }

    #[test]
    fn unfinished_tests_after_a_timeout_are_timed_out() {
        let mut c = PackageCollector::new("p");
        c.event(&ev("run", Some("TestHang"), None));
        for line in [
            "panic: test timed out after 2s\n",
            "\trunning tests:\n",
            "\t\tTestHang (2s)\n",
            "\n",
            "goroutine 18 [select (no cases)]:\n",
            "p.TestHang(0x1?)\n",
            "\t/p/h_test.go:5 +0xf\n",
        ] {
            c.event(&ev("output", Some("TestHang"), Some(line)));
        }
        c.event(&ev("fail", None, None));
        let r = c.finish(&PackageRecords::default(), &rules::builtin());
        assert_eq!(r.tests[0].verdict, Verdict::TimedOut);
        // go test gives no end event: the time is the one the alarm printed.
        assert_eq!(r.tests[0].elapsed, 2.0);
        let crash = r.crash.unwrap();
        assert_eq!(crash.kind, CrashKind::Timeout);
        assert_eq!(crash.tests, vec!["TestHang"]);
        assert_eq!(crash.groups[0].frames[0].function, "p.TestHang");
        assert_eq!(r.status, PackageStatus::Failed);
    }

    #[test]
    fn only_a_line_start_is_a_crash_or_framing_line() {
        // As test2json gives them: a long panic value cut into 1 KB events
        // (a cut that begins `--- PASS:` is no framing line), and a short
        // print with no newline that testing's framing line follows as an
        // event of its own (a framing line: that print was no crash).
        let crash = |events: &[(&str, Option<&str>, Option<&str>)]| {
            let mut c = PackageCollector::new("p");
            for &(action, test, output) in events {
                c.event(&ev(action, test, output));
            }
            c.finish(&PackageRecords::default(), &rules::builtin()).crash
        };
        let long = format!("panic: {}", "x".repeat(1017));
        let cut = crash(&[
            ("run", Some("TestLong"), None),
            ("output", Some("TestLong"), Some("--- FAIL: TestLong (0.00s)\n")),
            ("fail", Some("TestLong"), None),
            ("output", Some("TestLong"), Some(&long)),
            ("output", Some("TestLong"), Some("--- PASS: TestLong (0.00s)\n")),
            ("output", Some("TestLong"), Some("\n")),
            ("output", Some("TestLong"), Some("goroutine 7 [running]:\n")),
            ("fail", None, None),
        ]);
        assert_eq!(cut.map(|c| c.kind), Some(CrashKind::Panic));
        let printed = crash(&[
            ("run", Some("TestA"), None),
            ("output", Some("TestA"), Some("panic: not really")),
            ("output", Some("TestA"), Some("--- FAIL: TestA (0.00s)\n")),
            ("fail", Some("TestA"), None),
            ("fail", None, None),
        ]);
        assert!(printed.is_none(), "{printed:?}");
    }

    #[test]
    fn an_example_fails_only_by_leakcheck_when_its_own_output_passes() {
        let l = "leakcheck: 1 goroutine leaked after Example_x returned";
        let fail = "=== RUN   Example_x\n--- FAIL: Example_x (0.50s)\n";
        let ok =
            |msg: &str| example_without_leakcheck(&format!("{fail}{msg}"), "Example_x", 1).is_some_and(|e| e.passes);
        // Ordered: the own output, trimmed, against the wanted one.
        assert!(ok(&format!("got:\na\nb\n{l}\nwant:\na\nb\n")));
        assert!(!ok(&format!("got:\nb\na\n{l}\nwant:\na\nb\n")));
        assert!(ok(&format!("got:\nx  \n\n{l}\nwant:\nx\n")));
        assert!(ok(&format!("got:\n{l}\nwant:\n\n")));
        assert!(!ok(&format!("got:\nx\n{l}\nwant:\n\n")));
        // A \r inside is part of the line.
        assert!(!ok(&format!("got:\na\r\nb\n{l}\nwant:\na\nb\n")));
        // Unordered: the raw output's lines, in any order.
        assert!(ok(&format!("got:\nb\na\n\n{l}\n\nwant (unordered):\na\nb\n\n")));
        assert!(ok(&format!("got:\nx\n{l}\n\nwant (unordered):\nx\n\n")));
        assert!(!ok(&format!("got:\nb\n\na\n\n{l}\n\nwant (unordered):\na\nb\n\n")));
        assert!(!ok(&format!("got:\nc\n\n{l}\n\nwant (unordered):\na\n\n")));
        // Anything unexpected is the example's own failure: its line twice,
        // a count that is not the record's, text after the wanted output.
        assert!(!ok(&format!("got:\nx\n{l}\nwant:\nx\n{l}\nwant:\nx\n")));
        // (An example that prints leakcheck's line itself, and wants it.)
        assert!(ok(&format!("got:\n{l}\n{l}\nwant:\n{l}\n")));
        assert!(example_without_leakcheck(&format!("{fail}got:\nx\n{l}\nwant:\nx\n"), "Example_x", 2).is_none());
        assert!(!ok(&format!("got:\nx\n{l}\nwant:\nx\nteardown\n")));
        assert!(!ok(&format!("got:\nx\n{l}\ntick\nwant:\nx\n")));
        assert!(!ok("got:\nx\nwant:\nx\n"));
        // Lines on stderr come before testing's header, and may look like
        // it: the header is the one with a duration, followed by `got:`.
        let stderr =
            format!("=== RUN   Example_x\n--- FAIL: Example_x (retrying)\ngot:\n--- FAIL: Example_x (0.10s)\n{fail}");
        let after =
            |msg: &str| example_without_leakcheck(&format!("{stderr}{msg}"), "Example_x", 1).is_some_and(|e| e.passes);
        assert!(after(&format!("got:\nok\n{l}\nwant:\nok\n")));
        assert!(!after(&format!("got:\nok\n{l}\nwant:\nko\n")));
    }

    #[test]
    fn an_example_s_output_is_shown_without_leakcheck_s_line() {
        let l = "leakcheck: 1 goroutine leaked after Example_x returned";
        let run = "=== RUN   Example_x\n";
        let without = |msg: &str| {
            let e =
                example_without_leakcheck(&format!("{run}--- FAIL: Example_x (0.50s)\n{msg}"), "Example_x", 1).unwrap();
            e.output.strip_prefix(run).unwrap().to_string()
        };
        let fail = "--- FAIL: Example_x (0.50s)\n";
        for (printed, shown) in [
            // Only leakcheck's line failed it: go test would have passed it.
            (
                format!("got:\nx  \n\n{l}\nwant:\nx\n"),
                "--- PASS: Example_x (0.50s)\n".to_string(),
            ),
            // Its own failure: got as testing trims it, without the line.
            (
                format!("got:\ngot this  \n\n{l}\nwant:\nwant that\n"),
                format!("{fail}got:\ngot this\nwant:\nwant that\n"),
            ),
            (format!("got:\n{l}\nwant:\nx\n"), format!("{fail}got:\n\nwant:\nx\n")),
            // Unordered: the raw output, without the line and its newline.
            (
                format!("got:\nb\nc\n\n{l}\n\nwant (unordered):\na\nb\n\n"),
                format!("{fail}got:\nb\nc\n\nwant (unordered):\na\nb\n\n"),
            ),
        ] {
            assert_eq!(without(&printed), shown, "{printed:?}");
        }
    }

    fn records(ends: &[(&str, bool, bool)], exit: bool) -> PackageRecords {
        use crate::run::{RecordHeader, RecordStream};
        let rec = |kind, test: &str, failed, skipped| LeakRecord {
            header: RecordHeader {
                kind,
                test: test.into(),
                run: 1,
                failed,
                skipped,
                ..Default::default()
            },
            dump: String::new(),
        };
        let mut records = vec![rec(RecordKind::Start, "", false, false)];
        records.extend(ends.iter().map(|&(t, f, s)| rec(RecordKind::End, t, f, s)));
        if exit {
            records.push(rec(RecordKind::Exit, "", false, false));
        }
        for (i, r) in records.iter_mut().enumerate() {
            r.header.seq = i as u64 + 1;
        }
        PackageRecords {
            main: Some(RecordStream {
                path: "p.rec".into(),
                records,
                broken: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn where_test2json_lost_a_tests_end_its_record_says_and_a_failure_stays_one() {
        let events = |c: &mut PackageCollector, result: &str| {
            for (test, out) in [
                ("TestFails", "x--- FAIL: TestFails (0.00s)\n"),
                ("TestNoFraming", "y"),
                ("TestPasses", "p--- PASS: TestPasses (0.00s)\n"),
                ("TestSkips", "s--- SKIP: TestSkips (0.00s)\n"),
            ] {
                c.event(&ev("run", Some(test), None));
                c.event(&ev("output", Some(test), Some(&format!("=== RUN   {test}\n"))));
                c.event(&ev("output", Some(test), Some(out)));
            }
            c.event(&ev(result, None, None));
        };
        let ends = [
            ("TestFails", true, false),
            ("TestNoFraming", false, false),
            ("TestPasses", false, false),
            ("TestSkips", false, true),
        ];
        let verdicts = |r: &PackageResult| r.tests.iter().map(|t| t.verdict).collect::<Vec<_>>();
        // The package failed: a test whose record or framing line says so
        // failed; one with neither passed only where a record explains the
        // failure (TestFails's), and is not turned into a pass otherwise.
        let mut c = PackageCollector::new("p");
        events(&mut c, "fail");
        let r = c.finish(&records(&ends, true), &rules::builtin());
        use Verdict::*;
        assert_eq!(verdicts(&r), [Failed, Passed, Passed, Skipped]);
        assert_eq!(r.crash, None);
        assert_eq!(r.check, CheckState::Checked);
        let unexplained = ends.map(|(t, _, s)| (t, false, s));
        let mut c = PackageCollector::new("p");
        events(&mut c, "fail");
        let r = c.finish(&records(&unexplained, true), &rules::builtin());
        assert_eq!(verdicts(&r), [Failed, Failed, Passed, Skipped]);
        // The package passed: nothing failed; the records say what skipped.
        let mut c = PackageCollector::new("p");
        events(&mut c, "pass");
        let ends = unexplained;
        let r = c.finish(&records(&ends, true), &rules::builtin());
        assert_eq!(verdicts(&r), [Passed, Passed, Passed, Skipped]);
        assert_eq!(r.status, PackageStatus::Passed);
        // The binary did not run to its end: the tests were cut short.
        let mut c = PackageCollector::new("p");
        events(&mut c, "fail");
        let r = c.finish(&records(&ends, false), &rules::builtin());
        assert_eq!(verdicts(&r), [Unfinished; 4]);
        assert_eq!(r.crash.map(|c| c.kind), Some(CrashKind::Exit));
    }

    #[test]
    fn stderr_headers_name_packages() {
        let mut s = StderrSplitter::default();
        assert_eq!(s.package_of("go: downloading x"), None);
        assert_eq!(
            s.package_of("# example.com/p [example.com/p.test]").as_deref(),
            Some("example.com/p")
        );
        assert_eq!(s.package_of("p.go:1:1: bad").as_deref(), Some("example.com/p"));
        assert_eq!(s.package_of("# [example.com/q]").as_deref(), Some("example.com/q"));
    }
}
