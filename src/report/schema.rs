//! The reports' schema: the one definition of what leakcheck writes and
//! reads back.
//!
//! - **JSON** (`--report-json`, docs/report-json.md): typed serde structs.
//!   The writer (`report::json`) converts a run's results into them and
//!   serialises them; `leakcheck merge` and `--shard-timings` read files
//!   through [`read_report`] into the same structs, so a file not shaped as
//!   leakcheck writes it is refused with one line naming the field
//!   (`packages[0].tests[1].verdict: unknown variant ...`). Totals are never
//!   taken from a file: [`totals`] counts them from the packages, for the
//!   writer and for merge alike.
//! - **JUnit** (docs/junit.md): quick-junit's types are the model.
//!   [`write_junit`] serialises a report with the counts dashboards read
//!   (`skipped` on every testsuite and on `<testsuites>`, which quick-junit
//!   cannot write by itself), for the JUnit reporter and for merge alike;
//!   [`read_junit`] is the one reader (merge and `--shard-timings`), which
//!   takes back everything leakcheck writes, reruns and flaky runs
//!   included. It reads with roxmltree because quick-junit's own reader
//!   trims the texts of failure bodies and output.
//! - **After reruns** ([`RerunHistory`]): both reporters show a package as
//!   its last run left it (its output then, not the first run's `FAIL`,
//!   unless its binary died in the first run: that still fails it) and
//!   give subtests their earlier failed runs, as top-level tests have.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestRerun, TestSuite};
use serde::{Deserialize, Serialize};

use crate::analyse::{self, rerun::Attempt as RunAttempt, PackageResult};

use super::Event;

/// Bumped on every incompatible change to the JSON report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// The `--report-json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The leakcheck that wrote it.
    pub leakcheck_version: String,
    /// The go command's version.
    pub go_version: String,
    /// The module root: paths in the report are absolute, this is their
    /// common root.
    pub module_root: String,
    /// Wall time (summed over the inputs of a merge).
    pub elapsed_seconds: f64,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// Counted from `packages` by [`totals`], never read back.
    pub totals: Totals,
    /// What the baseline tolerated, when one was applied.
    pub baseline: Option<Baseline>,
    /// Every package.
    pub packages: Vec<Package>,
}

/// Counts over a report's packages, and over a run's for the terminal's
/// and the step summary's last line: one counting ([`Totals::add_package`])
/// so that they never disagree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Packages that ran tests (not those without test files; build
    /// failures are counted apart).
    pub packages: usize,
    /// Test runs, subtests included.
    pub tests: usize,
    /// Passed.
    pub passed: usize,
    /// Failed, panicked, timed out or unfinished.
    pub failed: usize,
    /// Leaked (and otherwise passed).
    pub leaked_tests: usize,
    /// Goroutines leaked, by tests and after them, that the baseline does
    /// not know.
    pub leaked_goroutines: usize,
    /// Skipped.
    pub skipped: usize,
    /// Packages that did not build.
    pub build_failures: usize,
    /// Packages not finished, or whose check is incomplete (absent from
    /// reports of leakcheck before it counted them).
    #[serde(default)]
    pub errors: usize,
    /// Tests that failed or leaked, then passed on a rerun
    /// (`--rerun-fails`; absent from reports of leakcheck before it
    /// counted them).
    #[serde(default)]
    pub flaky: usize,
}

impl Totals {
    /// Counts one package in. `incomplete`: leakcheck cannot vouch for its
    /// verdicts; each test is its verdict and whether it has earlier
    /// attempts (a pass after those is flaky); `leaked_goroutines` are those
    /// the baseline does not know.
    pub fn add_package(
        &mut self,
        status: Status,
        incomplete: bool,
        tests: impl IntoIterator<Item = (Verdict, bool)>,
        leaked_goroutines: usize,
    ) {
        match status {
            Status::BuildFailed => self.build_failures += 1,
            Status::NoTestFiles => return,
            _ => self.packages += 1,
        }
        if status == Status::NotFinished || incomplete {
            self.errors += 1;
        }
        for (verdict, reran) in tests {
            self.tests += 1;
            match verdict {
                Verdict::Passed => {
                    self.passed += 1;
                    self.flaky += usize::from(reran);
                }
                Verdict::Skipped => self.skipped += 1,
                Verdict::Leaked => self.leaked_tests += 1,
                Verdict::Failed | Verdict::Panicked | Verdict::TimedOut | Verdict::Unfinished => self.failed += 1,
            }
        }
        self.leaked_goroutines += leaked_goroutines;
    }
}

/// One package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// The import path.
    pub import_path: String,
    /// How it ended.
    pub status: Status,
    /// Seconds, as go test reports them.
    pub elapsed: f64,
    /// Every test and subtest run, in start order.
    pub tests: Vec<Test>,
    /// What the package printed outside tests (on its last run, after
    /// reruns).
    pub output: String,
    /// Compiler or vet output, when the build failed.
    pub build_output: String,
    /// Goroutines left after the last test (the synthetic `TestMain`).
    pub main_leak: Option<Leak>,
    /// How the test binary died.
    pub crash: Option<Crash>,
    /// Whether the leak check ran.
    pub check: Check,
    /// The runtime that ran the tests.
    pub go_version: Option<String>,
    /// `dump` or `profile`: where labels came from.
    pub label_source: Option<String>,
    /// Whether Go's goroutineleak profile was available.
    pub proof: bool,
    /// Things to know that are not failures.
    pub warnings: Vec<String>,
    /// When go test started the package (RFC 3339).
    pub started: Option<String>,
    /// go test failed the package for a reason no test explains.
    pub failed_outside_tests: bool,
    /// The package directory.
    pub dir: Option<String>,
}

/// A package's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Everything passed.
    Passed,
    /// A test failed, leaked or crashed.
    Failed,
    /// The package or its tests did not build.
    BuildFailed,
    /// go test never reported how it ended.
    NotFinished,
    /// No test files.
    NoTestFiles,
}

/// Whether the leak check ran: `{"state": "checked"}`, or
/// `{"state": "not_checked", "reason": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum Check {
    /// Every test was checked.
    Checked,
    /// A cached pass (a checked pass).
    Cached,
    /// No tests, or the build failed.
    NotApplicable,
    /// leakcheck cannot vouch for the verdicts, and why.
    NotChecked(String),
}

/// One run of a test or subtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    /// `TestA` or `TestA/sub`.
    pub name: String,
    /// Which run, from 1 (`-count`).
    pub run: u32,
    /// The verdict.
    pub verdict: Verdict,
    /// Seconds.
    pub elapsed: f64,
    /// Everything it printed.
    pub output: String,
    /// What it leaked.
    pub leak: Option<Leak>,
    /// Earlier runs, with `--rerun-fails`.
    pub attempts: Vec<Attempt>,
    /// It leaked only through a subtest of it (its verdict `leaked`, its
    /// `leak` null or all known to the baseline): go test fails a test
    /// whose subtest fails.
    #[serde(default)]
    pub failed_by_subtest: bool,
    /// It failed, but go test passed its package all the same (a test
    /// another test ran with `testing.RunTests`): its failure fails
    /// neither the package nor the run.
    #[serde(default)]
    pub uncounted: bool,
}

/// A test's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Passed, nothing left behind.
    Passed,
    /// Failed on its own.
    Failed,
    /// Passed (or skipped itself), but left goroutines behind.
    Leaked,
    /// Skipped.
    Skipped,
    /// Panicked.
    Panicked,
    /// Still running at `-timeout`.
    TimedOut,
    /// The binary exited while it ran.
    Unfinished,
}

/// An earlier run of a test that ran again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// Its verdict.
    pub verdict: Verdict,
    /// `3 goroutines leaked (1 stack)` when it leaked.
    pub leak: Option<String>,
    /// What it printed.
    pub output: String,
    /// Seconds.
    pub elapsed: f64,
}

/// Goroutines left behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leak {
    /// How many.
    pub total: usize,
    /// Grouped by stack, largest first.
    pub groups: Vec<Group>,
    /// Rule name → goroutines it let go.
    pub ignored: BTreeMap<String, usize>,
    /// Looks the check took.
    pub looks: u32,
    /// Whether the goroutineleak profile was available.
    pub proof: bool,
    /// Goroutines in groups the baseline lists.
    pub known: usize,
    /// Goroutines told apart only by a label shared with other tests'.
    #[serde(default)]
    pub ambiguous: usize,
    /// Goroutines with neither creator nor label, the test's because they
    /// appeared while it ran alone.
    #[serde(default)]
    pub by_difference: usize,
    /// The `-timeout` alarm ended the wait before the grace period did, in
    /// a check that did not fail the test itself.
    #[serde(default)]
    pub cut_short: bool,
    /// The check reported them before its grace period was over, because
    /// no goroutine could run before it was.
    #[serde(default)]
    pub ended_early: bool,
}

/// Identical goroutines, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// How many.
    pub count: usize,
    /// Wait state.
    pub state: String,
    /// How many the goroutineleak profile proved blocked forever.
    pub proven: usize,
    /// Shortest and longest wait, in minutes.
    pub wait_minutes: Option<(u64, u64)>,
    /// The stack, innermost first.
    pub frames: Vec<Location>,
    /// The runtime left frames out.
    pub elided: bool,
    /// Where they were started.
    pub created_by: Option<Location>,
    /// In a `main_leak`: the test whose label they carry.
    pub test: Option<String>,
    /// Subtests that started them.
    pub subtests: Vec<String>,
    /// pprof labels of the first goroutine.
    pub labels: Vec<(String, String)>,
    /// Goroutine ids.
    pub ids: Vec<u64>,
    /// Ids of the goroutines that started them: a group started by another
    /// group's goroutines is its offspring.
    #[serde(default)]
    pub creators: Vec<u64>,
    /// Listed in the baseline.
    pub known: bool,
    /// What they wait for and the usual fix.
    #[serde(default)]
    pub diagnosis: Option<Diagnosis>,
}

/// A group's diagnosis: the rule that gave it, what the goroutines wait
/// for, and the usual fix where the evidence gives one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The rule's name.
    pub rule: String,
    /// What the goroutines wait for.
    pub waits: String,
    /// The usual fix; null where the evidence gives none.
    pub fix: Option<String>,
}

/// A frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The function.
    pub function: String,
    /// The file.
    pub file: String,
    /// The line.
    pub line: u32,
}

/// How a test binary died.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crash {
    /// `panic`, `timeout` or `exit`.
    pub kind: CrashKind,
    /// The first line.
    pub message: String,
    /// The tests that were running.
    pub tests: Vec<String>,
    /// The dump printed with it, grouped.
    pub groups: Vec<Group>,
}

/// Kinds of [`Crash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashKind {
    /// A panic.
    Panic,
    /// `-timeout` expired.
    Timeout,
    /// The binary exited while a test ran.
    Exit,
}

/// What a run made of the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// The baseline file.
    pub path: String,
    /// Known leaks seen again.
    pub tolerated: usize,
    /// Goroutines in them.
    pub tolerated_goroutines: usize,
    /// Entries whose test ran but which did not occur.
    pub stale: Vec<StaleEntry>,
}

/// A baseline entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StaleEntry {
    /// Import path.
    pub package: String,
    /// Top-level test or `TestMain`.
    pub test: String,
    /// Stack signature.
    pub signature: String,
    /// Where the goroutines waited.
    pub function: String,
    /// What started them.
    pub created_by: String,
}

/// The totals of a report, counted from its packages: a package that did
/// not build is a build failure, one without test files is not counted, one
/// not finished or not fully checked is an error; every test run is passed,
/// skipped, leaked or failed (failed, panicked, timed out, unfinished); the
/// leaked goroutines are those of the tests' and the packages' leaks that
/// the baseline does not know. The JSON writer and `leakcheck merge` both
/// count with this, so a merged report counts as one run would.
pub fn totals(packages: &[Package]) -> Totals {
    let new = |l: &Option<Leak>| l.as_ref().map_or(0, |l| l.total.saturating_sub(l.known));
    let mut t = Totals::default();
    for p in packages {
        let leaked = p.tests.iter().map(|test| new(&test.leak)).sum::<usize>() + new(&p.main_leak);
        let tests = p.tests.iter().map(|test| (test.verdict, !test.attempts.is_empty()));
        t.add_package(p.status, matches!(p.check, Check::NotChecked(_)), tests, leaked);
    }
    t
}

impl Report {
    /// A report of `packages`, with its totals counted from them.
    pub fn new(
        leakcheck_version: &str,
        go_version: &str,
        module_root: &str,
        elapsed_seconds: f64,
        interrupted: bool,
        baseline: Option<Baseline>,
        packages: Vec<Package>,
    ) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            leakcheck_version: leakcheck_version.to_string(),
            go_version: go_version.to_string(),
            module_root: module_root.to_string(),
            elapsed_seconds,
            interrupted,
            totals: totals(&packages),
            baseline,
            packages,
        }
    }

    /// The document as leakcheck writes it: pretty JSON and a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut text = serde_json::to_vec_pretty(self).expect("a report always serialises");
        text.push(b'\n');
        text
    }
}

/// Reads a `--report-json` document. The error is one line naming the
/// first field that is not as leakcheck writes it, and where it is.
pub fn read_report(text: &str) -> Result<Report, String> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Value>,
    }
    let not_report = "not a leakcheck --report-json report";
    let text = text.trim_start_matches('\u{feff}');
    if !text.trim_start().starts_with('{') {
        return Err(format!("{not_report} (not a JSON object)"));
    }
    let version: Version = serde_json::from_str(text).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            format!("not valid JSON: {e}")
        } else {
            format!("{not_report}: {}", plain(&e.to_string()))
        }
    })?;
    match version.schema_version {
        Some(v) if v == SCHEMA_VERSION => {}
        Some(v) => {
            return Err(format!(
                "{not_report} of schema version {SCHEMA_VERSION} (its schema_version is {v})"
            ))
        }
        None => return Err(format!("{not_report} (no schema_version)")),
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let mut message = inner.to_string();
        let at = format!(" at line {} column {}", inner.line(), inner.column());
        if let Some(m) = message.strip_suffix(&at) {
            message = m.to_string();
        }
        let field = if path == "." { "the report".to_string() } else { path };
        format!(
            "{not_report}: {field}: {} (line {}, column {})",
            plain(&message),
            inner.line(),
            inner.column()
        )
    })
}

/// serde's words for JSON types in the words of docs/report-json.md.
fn plain(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, json) in [
        ("expected usize", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected an array"),
        ("expected a tuple of size 2", "expected a pair"),
        ("expected a map", "expected an object"),
        ("invalid type: map", "invalid type: object"),
        ("invalid type: sequence", "invalid type: array"),
    ] {
        m = m.replace(rust, json);
    }
    if let Some(i) = m
        .find("expected struct ")
        .or_else(|| m.find("expected adjacently tagged enum "))
    {
        m.replace_range(i.., "expected an object");
    }
    m
}

impl From<analyse::Verdict> for Verdict {
    fn from(v: analyse::Verdict) -> Verdict {
        match v {
            analyse::Verdict::Passed => Verdict::Passed,
            analyse::Verdict::Failed => Verdict::Failed,
            analyse::Verdict::Leaked => Verdict::Leaked,
            analyse::Verdict::Skipped => Verdict::Skipped,
            analyse::Verdict::Panicked => Verdict::Panicked,
            analyse::Verdict::TimedOut => Verdict::TimedOut,
            analyse::Verdict::Unfinished => Verdict::Unfinished,
        }
    }
}

impl From<analyse::PackageStatus> for Status {
    fn from(s: analyse::PackageStatus) -> Status {
        match s {
            analyse::PackageStatus::Passed => Status::Passed,
            analyse::PackageStatus::Failed => Status::Failed,
            analyse::PackageStatus::BuildFailed => Status::BuildFailed,
            analyse::PackageStatus::NotFinished => Status::NotFinished,
            analyse::PackageStatus::NoTestFiles => Status::NoTestFiles,
        }
    }
}

impl From<&analyse::group::Location> for Location {
    fn from(l: &analyse::group::Location) -> Location {
        let analyse::group::Location { function, file, line } = l;
        Location {
            function: function.clone(),
            file: file.clone(),
            line: *line,
        }
    }
}

impl From<&analyse::group::LeakedGroup> for Group {
    fn from(g: &analyse::group::LeakedGroup) -> Group {
        // Every field named: a field added there fails to compile here
        // until the schema says what becomes of it.
        let analyse::group::LeakedGroup {
            count,
            state,
            proven,
            wait_minutes,
            frames,
            elided,
            created_by,
            test,
            subtests,
            labels,
            ids,
            creators,
            known,
            diagnosis,
        } = g;
        Group {
            count: *count,
            state: state.clone(),
            proven: *proven,
            wait_minutes: *wait_minutes,
            frames: frames.iter().map(Location::from).collect(),
            elided: *elided,
            created_by: created_by.as_ref().map(Location::from),
            test: test.clone(),
            subtests: subtests.iter().cloned().collect(),
            labels: labels.clone(),
            ids: ids.clone(),
            creators: creators.iter().copied().collect(),
            known: *known,
            diagnosis: diagnosis.as_ref().map(|d| Diagnosis {
                rule: d.rule.clone(),
                waits: d.waits.clone(),
                fix: d.fix.clone(),
            }),
        }
    }
}

impl From<&analyse::LeakReport> for Leak {
    fn from(l: &analyse::LeakReport) -> Leak {
        let analyse::LeakReport {
            total,
            groups,
            ignored,
            looks,
            proof,
            known,
            ambiguous,
            by_difference,
            cut_short,
            ended_early,
        } = l;
        Leak {
            total: *total,
            groups: groups.iter().map(Group::from).collect(),
            ignored: ignored.clone(),
            looks: *looks,
            proof: *proof,
            known: *known,
            ambiguous: *ambiguous,
            by_difference: *by_difference,
            cut_short: *cut_short,
            ended_early: *ended_early,
        }
    }
}

impl From<&RunAttempt> for Attempt {
    fn from(a: &RunAttempt) -> Attempt {
        let RunAttempt {
            verdict,
            leak,
            output,
            elapsed,
        } = a;
        Attempt {
            verdict: (*verdict).into(),
            leak: leak.clone(),
            output: output.clone(),
            elapsed: *elapsed,
        }
    }
}

impl From<&analyse::TestResult> for Test {
    fn from(t: &analyse::TestResult) -> Test {
        let analyse::TestResult {
            name,
            run,
            verdict,
            elapsed,
            output,
            leak,
            attempts,
            failed_by_subtest,
            skipped: _,
            span: _,
            paused: _,
            uncounted,
        } = t;
        Test {
            name: name.clone(),
            run: *run,
            verdict: (*verdict).into(),
            elapsed: *elapsed,
            output: output.clone(),
            leak: leak.as_ref().map(Leak::from),
            attempts: attempts.iter().map(Attempt::from).collect(),
            failed_by_subtest: *failed_by_subtest,
            uncounted: *uncounted,
        }
    }
}

impl From<&analyse::Crash> for Crash {
    fn from(c: &analyse::Crash) -> Crash {
        let analyse::Crash {
            kind,
            message,
            tests,
            groups,
        } = c;
        Crash {
            kind: match kind {
                analyse::CrashKind::Panic => CrashKind::Panic,
                analyse::CrashKind::Timeout => CrashKind::Timeout,
                analyse::CrashKind::Exit => CrashKind::Exit,
            },
            message: message.clone(),
            tests: tests.clone(),
            groups: groups.iter().map(Group::from).collect(),
        }
    }
}

impl From<&PackageResult> for Package {
    fn from(p: &PackageResult) -> Package {
        let PackageResult {
            import_path,
            status,
            elapsed,
            tests,
            output,
            build_output,
            main_leak,
            crash,
            check,
            go_version,
            label_source,
            proof,
            warnings,
            started,
            failed_outside_tests,
            dir,
            // Only points the JUnit file and annotations at a test.
            declared: _,
            // Only explains go test's exit status to the session.
            go_failed: _,
        } = p;
        Package {
            import_path: import_path.clone(),
            status: Status::from(*status),
            elapsed: *elapsed,
            tests: tests.iter().map(Test::from).collect(),
            output: output.clone(),
            build_output: build_output.clone(),
            main_leak: main_leak.as_ref().map(Leak::from),
            crash: crash.as_ref().map(Crash::from),
            check: match check {
                analyse::CheckState::Checked => Check::Checked,
                analyse::CheckState::Cached => Check::Cached,
                analyse::CheckState::NotApplicable => Check::NotApplicable,
                analyse::CheckState::NotChecked(why) => Check::NotChecked(why.clone()),
            },
            go_version: go_version.clone(),
            label_source: label_source.clone(),
            proof: *proof,
            warnings: warnings.clone(),
            started: started.clone(),
            failed_outside_tests: *failed_outside_tests,
            dir: dir.as_ref().map(|d| d.to_string_lossy().into_owned()),
        }
    }
}

impl From<&analyse::baseline::BaselineOutcome> for Baseline {
    fn from(b: &analyse::baseline::BaselineOutcome) -> Baseline {
        let analyse::baseline::BaselineOutcome {
            path,
            tolerated,
            tolerated_goroutines,
            stale,
        } = b;
        Baseline {
            path: path.to_string_lossy().into_owned(),
            tolerated: *tolerated,
            tolerated_goroutines: *tolerated_goroutines,
            stale: stale
                .iter()
                .map(|e| StaleEntry {
                    package: e.package.clone(),
                    test: e.test.clone(),
                    signature: e.signature.clone(),
                    function: e.function.clone(),
                    created_by: e.created_by.clone(),
                })
                .collect(),
        }
    }
}

/// A test run: package, test, run (from 1, `-count`).
type RunKey = (String, String, u32);

/// What the reporters need to know of a run's reruns that the final
/// results no longer say: a rerun replaces a top-level test and its
/// subtests, and only the top-level test keeps its earlier runs
/// (`attempts`); the package keeps its first run's output (`FAIL`). The
/// history gives subtests their earlier failed runs and each rerun
/// package the output of its last run. It is fed every event, as the
/// reporters are.
#[derive(Debug, Default)]
pub struct RerunHistory {
    /// The pass now running: 0 for the first run, then the rerun's round.
    round: u32,
    /// Each subtest's failed runs, with the round each was in.
    failed: HashMap<RunKey, Vec<(u32, RunAttempt)>>,
    /// The last round that ran each top-level test, by (package, test).
    last_round: HashMap<(String, String), u32>,
    /// What each rerun package printed outside tests on its last rerun.
    output: HashMap<String, String>,
}

impl RerunHistory {
    /// Takes note of an event.
    pub fn observe(&mut self, event: &Event<'_>) {
        match event {
            Event::RunStarted(_) => *self = RerunHistory::default(),
            Event::RerunStarted { round, .. } => self.round = *round,
            Event::PackageFinished(p) => {
                for t in &p.tests {
                    if self.round > 0 {
                        self.last_round
                            .insert((p.import_path.clone(), t.top_level().to_string()), self.round);
                    }
                    if t.name.contains('/') && t.verdict.is_failure() {
                        self.failed
                            .entry((p.import_path.clone(), t.name.clone(), t.run))
                            .or_default()
                            .push((
                                self.round,
                                RunAttempt {
                                    verdict: t.verdict,
                                    leak: t.leak_line(),
                                    output: t.output.clone(),
                                    elapsed: t.elapsed,
                                },
                            ));
                    }
                }
                if self.round > 0 {
                    self.output.insert(p.import_path.clone(), p.output.clone());
                }
            }
            _ => {}
        }
    }

    /// The packages as the reports show them: each rerun package with the
    /// output of its last run, each subtest with its earlier failed runs
    /// (those of the rounds before the one whose result stands).
    pub fn apply<'a>(&self, packages: &'a [PackageResult]) -> Cow<'a, [PackageResult]> {
        if self.round == 0 {
            return Cow::Borrowed(packages);
        }
        let mut out = packages.to_vec();
        for p in &mut out {
            // Not a package whose binary died: it still fails for that
            // (the tests after the crash never ran), and its rerun's `ok`
            // would say it passed (helper-131).
            if let Some(output) = self.output.get(&p.import_path).filter(|_| p.crash.is_none()) {
                p.output.clone_from(output);
            }
            for t in p
                .tests
                .iter_mut()
                .filter(|t| t.name.contains('/') && t.attempts.is_empty())
            {
                let last = self
                    .last_round
                    .get(&(p.import_path.clone(), t.top_level().to_string()))
                    .copied()
                    .unwrap_or(0);
                if let Some(runs) = self.failed.get(&(p.import_path.clone(), t.name.clone(), t.run)) {
                    t.attempts = runs
                        .iter()
                        .filter(|(round, _)| *round < last)
                        .map(|(_, a)| a.clone())
                        .collect();
                }
            }
        }
        Cow::Owned(out)
    }
}

/// Serialises a JUnit report with the counts readers take from the
/// attributes: every testsuite's `skipped` (quick-junit writes skips as
/// `disabled`, which Go tests never are: publish-unit-test-result adds
/// `skipped` and `disabled` up, junitparser reads `skipped` only), and the
/// totals on `<testsuites>`, `skipped` included. quick-junit counts tests,
/// failures and errors from the testcases; so does this for skips, so no
/// count is ever taken from an input.
pub fn write_junit(report: &mut JunitReport) -> Result<Vec<u8>, quick_junit::SerializeError> {
    let mut skipped_total = 0;
    for suite in &mut report.test_suites {
        let skipped = suite
            .test_cases
            .iter()
            .filter(|c| matches!(c.status, TestCaseStatus::Skipped { .. }))
            .count();
        skipped_total += skipped;
        suite.disabled = 0;
        suite.extra.shift_remove("skipped");
        suite.extra.shift_remove("disabled");
        suite
            .extra
            .shift_insert(0, "skipped".into(), skipped.to_string().into());
    }
    let mut xml = Vec::new();
    report.serialize(&mut xml)?;
    // quick-junit has no extra attributes for <testsuites>: `skipped` goes
    // in before the end of its start tag (attribute values never hold a
    // raw `>`: quick-xml escapes it).
    let start = find(&xml, b"<testsuites").expect("quick-junit writes <testsuites>");
    let end = start + find(&xml[start..], b">").expect("the start tag ends");
    let attr = format!(" skipped=\"{skipped_total}\"");
    xml.splice(end..end, attr.bytes());
    Ok(xml)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A JUnit file as read: the report, and what in it quick-junit's model
/// cannot hold (element names, with where they were), which
/// `leakcheck merge` refuses and `--shard-timings` does without.
#[derive(Debug)]
pub struct JunitRead {
    /// The report, texts exactly as in the file.
    pub report: JunitReport,
    /// Elements that are not in the report, e.g.
    /// `testsuite a: testcase TestA: <foo>`.
    pub dropped: Vec<String>,
}

/// Reads JUnit XML into quick-junit's types, the one JUnit reader: every
/// element leakcheck writes (`<skipped>`, `<failure>`, `<error>`,
/// `<flakyFailure>`, `<flakyError>`, `<rerunFailure>`, `<rerunError>` with
/// their `<stackTrace>`, `<system-out>`, `<system-err>`), with texts kept
/// exactly; gotestsum's and go-junit-report's files too. The suites' and
/// the report's counts are not read: they are counted from the testcases.
pub fn read_junit(text: &str) -> Result<JunitRead, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
    let root = doc.root_element();
    let mut read = JunitRead {
        report: JunitReport::new(root.attribute("name").unwrap_or("leakcheck")),
        dropped: Vec::new(),
    };
    match root.tag_name().name() {
        "testsuites" => {
            if let Some(ts) = timestamp(root)? {
                read.report.set_timestamp(ts);
            }
            for node in elements(root) {
                match node.tag_name().name() {
                    "testsuite" => {
                        let suite = suite_from(node, &mut read.dropped)?;
                        read.report.add_test_suite(suite);
                    }
                    other => read.dropped.push(format!("<{other}> in <testsuites>")),
                }
            }
        }
        "testsuite" => {
            let suite = suite_from(root, &mut read.dropped)?;
            read.report.add_test_suite(suite);
        }
        other => return Err(format!("not a JUnit report: the root element is <{other}>")),
    }
    Ok(read)
}

fn elements<'a, 'input>(node: roxmltree::Node<'a, 'input>) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(roxmltree::Node::is_element)
}

/// The element's own text (not its children's), exactly.
fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

fn seconds(node: roxmltree::Node<'_, '_>) -> Result<Option<Duration>, String> {
    node.attribute("time")
        .map(|t| match t.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(format!("time=\"{t}\" is not a number of seconds")),
        })
        .transpose()
}

fn timestamp(node: roxmltree::Node<'_, '_>) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, String> {
    node.attribute("timestamp")
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("timestamp=\"{t}\": {e}")))
        .transpose()
}

fn properties(node: roxmltree::Node<'_, '_>) -> Vec<Property> {
    elements(node)
        .filter(|p| p.has_tag_name("property"))
        .map(|p| Property::new(p.attribute("name").unwrap_or(""), p.attribute("value").unwrap_or("")))
        .collect()
}

fn suite_from(node: roxmltree::Node<'_, '_>, dropped: &mut Vec<String>) -> Result<TestSuite, String> {
    let name = node.attribute("name").ok_or("a <testsuite> without a name")?;
    let context = |e: String| format!("testsuite {name}: {e}");
    let mut suite = TestSuite::new(name);
    if let Some(t) = seconds(node).map_err(context)? {
        suite.set_time(t);
    }
    if let Some(ts) = timestamp(node).map_err(context)? {
        suite.set_timestamp(ts);
    }
    for a in node.attributes() {
        // Counts are counted again from the testcases.
        if ![
            "name",
            "tests",
            "disabled",
            "skipped",
            "errors",
            "failures",
            "time",
            "timestamp",
        ]
        .contains(&a.name())
        {
            suite.extra.insert(a.name().into(), a.value().into());
        }
    }
    for child in elements(node) {
        match child.tag_name().name() {
            "properties" => {
                suite.add_properties(properties(child));
            }
            "testcase" => {
                let mut case_dropped = Vec::new();
                suite.add_test_case(case_from(child, &mut case_dropped).map_err(context)?);
                dropped.extend(case_dropped.into_iter().map(context));
            }
            "system-out" => {
                suite.set_system_out(text_of(child));
            }
            "system-err" => {
                suite.set_system_err(text_of(child));
            }
            other => dropped.push(context(format!("<{other}>"))),
        }
    }
    Ok(suite)
}

fn case_from(node: roxmltree::Node<'_, '_>, dropped: &mut Vec<String>) -> Result<TestCase, String> {
    let name = node.attribute("name").ok_or("a <testcase> without a name")?;
    let context = |e: String| format!("testcase {name}: {e}");
    let mut status = TestCaseStatus::success();
    let mut flaky = Vec::new();
    let mut reruns = Vec::new();
    let mut case = TestCase::new(name, TestCaseStatus::success());
    for child in elements(node) {
        let tag = child.tag_name().name();
        match tag {
            "failure" | "error" | "skipped" => {
                status = match tag {
                    "failure" => TestCaseStatus::non_success(NonSuccessKind::Failure),
                    "error" => TestCaseStatus::non_success(NonSuccessKind::Error),
                    _ => TestCaseStatus::skipped(),
                };
                if let Some(m) = child.attribute("message") {
                    status.set_message(m);
                }
                if let Some(t) = child.attribute("type") {
                    status.set_type(t);
                }
                let body = text_of(child);
                if !body.is_empty() {
                    status.set_description(body);
                }
            }
            "flakyFailure" | "flakyError" | "rerunFailure" | "rerunError" => {
                let kind = if tag.ends_with("Failure") {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut rerun_dropped = Vec::new();
                let rerun =
                    rerun_from(child, kind, &mut rerun_dropped).map_err(|e| context(format!("<{tag}>: {e}")))?;
                dropped.extend(rerun_dropped.into_iter().map(|e| context(format!("<{tag}>: {e}"))));
                if tag.starts_with("flaky") {
                    flaky.push(rerun);
                } else {
                    reruns.push(rerun);
                }
            }
            "system-out" => {
                case.set_system_out(text_of(child));
            }
            "system-err" => {
                case.set_system_err(text_of(child));
            }
            "properties" => {
                case.add_properties(properties(child));
            }
            other => dropped.push(context(format!("<{other}>"))),
        }
    }
    // quick-junit holds flaky runs on a passed testcase and reruns on a
    // failed one, as Maven Surefire defines them.
    match &mut status {
        TestCaseStatus::Success { flaky_runs } => {
            flaky_runs.extend(flaky);
            if !reruns.is_empty() {
                dropped.push(context("<rerunFailure>/<rerunError> in a testcase that passed".into()));
            }
        }
        TestCaseStatus::NonSuccess { reruns: r, .. } => {
            r.extend(reruns);
            if !flaky.is_empty() {
                dropped.push(context("<flakyFailure>/<flakyError> in a testcase that failed".into()));
            }
        }
        TestCaseStatus::Skipped { .. } => {
            if !flaky.is_empty() || !reruns.is_empty() {
                dropped.push(context("reruns in a skipped testcase".into()));
            }
        }
    }
    case.status = status;
    if let Some(c) = node.attribute("classname") {
        case.set_classname(c);
    }
    if let Some(t) = seconds(node).map_err(context)? {
        case.set_time(t);
    }
    if let Some(ts) = timestamp(node).map_err(context)? {
        case.set_timestamp(ts);
    }
    if let Some(a) = node.attribute("assertions") {
        case.set_assertions(a.trim().parse().map_err(|_| context(format!("assertions=\"{a}\"")))?);
    }
    for a in node.attributes() {
        if !["name", "classname", "time", "timestamp", "assertions"].contains(&a.name()) {
            case.extra.insert(a.name().into(), a.value().into());
        }
    }
    Ok(case)
}

/// A `<flakyFailure>`, `<rerunError>`, ...: attributes, `<stackTrace>`,
/// `<system-out>`, `<system-err>`, and text of its own (Surefire puts none
/// there; quick-junit calls it the description).
fn rerun_from(
    node: roxmltree::Node<'_, '_>,
    kind: NonSuccessKind,
    dropped: &mut Vec<String>,
) -> Result<TestRerun, String> {
    let mut rerun = TestRerun::new(kind);
    if let Some(t) = seconds(node)? {
        rerun.set_time(t);
    }
    if let Some(ts) = timestamp(node)? {
        rerun.set_timestamp(ts);
    }
    if let Some(m) = node.attribute("message") {
        rerun.set_message(m);
    }
    if let Some(t) = node.attribute("type") {
        rerun.set_type(t);
    }
    let own = text_of(node);
    if !own.trim().is_empty() {
        rerun.set_description(own.trim());
    }
    for child in elements(node) {
        match child.tag_name().name() {
            "stackTrace" => {
                rerun.set_stack_trace(text_of(child));
            }
            "system-out" => {
                rerun.set_system_out(text_of(child));
            }
            "system-err" => {
                rerun.set_system_err(text_of(child));
            }
            other => dropped.push(format!("<{other}>")),
        }
    }
    Ok(rerun)
}
