//! The terminal: one line per package (or per test, or a dot per test, or
//! go test's own output), each failure and leak in full, a live progress
//! line on a terminal, and a summary.
//!
//! Every format shows the same detail blocks (`--- LEAK: …` with the
//! grouped stacks, `--- FAIL: …` with the test's output, crashes); the
//! compact formats collect them into a failures section after the last
//! package, the standard formats print them with their package.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::text;
use super::{Event, Reporter, RunInfo, RunSummary, Stream};
use crate::analyse::{CheckState, LeakReport, PackageResult, PackageStatus, TestResult, Verdict, HELPER_LEAK_LINE};
use crate::error::{Error, Result};
use crate::testlines;

/// How test results are shown (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A line per package with its counts; failures and leaks after the
    /// last package.
    Pkgname,
    /// A line per test; failures and leaks after the last package.
    Testname,
    /// A character per test (`.` pass, `F` fail, `L` leak, `s` skip, `P`
    /// panic, `T` timeout); failures and leaks after the last package.
    Dots,
    /// go test's output: failing tests' output, `ok`/`FAIL` per package,
    /// and each leak in full.
    StandardQuiet,
    /// go test -v's output, package by package, and each leak in full.
    StandardVerbose,
    /// go test -v's output in a collapsed group per package, failures and
    /// leaks outside the groups (and `::error` annotations).
    GithubActions,
}

impl Format {
    fn defers_details(self) -> bool {
        matches!(self, Format::Pkgname | Format::Testname | Format::Dots)
    }

    fn verbose(self) -> bool {
        matches!(self, Format::StandardVerbose | Format::GithubActions)
    }
}

/// How the terminal reporter behaves.
#[derive(Debug, Clone, Copy)]
pub struct TerminalOptions {
    /// The format.
    pub format: Format,
    /// ANSI colours.
    pub color: bool,
    /// A live progress line (only on a terminal, never in CI logs).
    pub progress: bool,
    /// Show the ignore rules and what each let go.
    pub explain: bool,
    /// How many of the slowest tests the summary names.
    pub slowest: usize,
    /// How much of each leaked stack to show.
    pub stacks: text::StackStyle,
    /// go test streams every package's output (it does when benchmarks
    /// are asked for, `-bench`): standard-quiet shows what passing tests
    /// printed, and `PASS`, as go test does then.
    pub streams: bool,
}

/// Writes results for people to read.
pub struct TerminalReporter<W: Write> {
    out: W,
    /// Where notices on standard error go.
    err: Box<dyn Write + Send>,
    opts: TerminalOptions,
    root: PathBuf,
    /// `--proof` was given: a run it could not prove says why.
    proof_requested: bool,
    reasons: BTreeMap<String, String>,
    closed: bool,
    /// Each package's output in arrival order, for the verbose formats.
    buffers: HashMap<String, String>,
    /// Stream output as it arrives (a single package under -v).
    stream: bool,
    progress: Progress,
}

#[derive(Debug)]
struct Progress {
    shown: bool,
    last: Option<Instant>,
    started: Instant,
    total: usize,
    done: usize,
    tests: usize,
    leaked: usize,
    failed: usize,
}

impl<W: Write> TerminalReporter<W> {
    /// A reporter writing to `out`.
    pub fn new(out: W, opts: TerminalOptions) -> Self {
        TerminalReporter {
            out,
            err: Box::new(std::io::stderr()),
            opts,
            root: PathBuf::new(),
            proof_requested: false,
            reasons: BTreeMap::new(),
            closed: false,
            buffers: HashMap::new(),
            stream: false,
            progress: Progress {
                shown: false,
                last: None,
                started: Instant::now(),
                total: 0,
                done: 0,
                tests: 0,
                leaked: 0,
                failed: 0,
            },
        }
    }

    /// Notices on standard error go to `err` instead.
    pub fn with_stderr(mut self, err: impl Write + Send + 'static) -> Self {
        self.err = Box::new(err);
        self
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.opts.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    fn verdict_word(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::Passed => "32",
            Verdict::Skipped => "33",
            Verdict::Leaked => "35;1",
            _ => "31;1",
        };
        // go test's output says FAIL for a test that panicked or did not
        // end, and scrapers of it (go-junit-report) know no other word;
        // the crash report below it says what happened. (Under
        // standard-verbose go test's own line is in the stream above: the
        // details' own word keeps scrapers from counting it twice.)
        let word = if self.opts.format == Format::StandardQuiet && v.is_failure() && v != Verdict::Leaked {
            Verdict::Failed.word()
        } else {
            v.word()
        };
        self.paint(code, word)
    }

    /// Writes `s`, keeping the progress line below it.
    fn emit(&mut self, s: &str) -> std::io::Result<()> {
        if s.is_empty() {
            return Ok(());
        }
        self.clear_progress()?;
        self.out.write_all(s.as_bytes())
    }

    fn clear_progress(&mut self) -> std::io::Result<()> {
        if self.progress.shown {
            self.out.write_all(b"\r\x1b[2K")?;
            self.progress.shown = false;
        }
        Ok(())
    }

    fn draw_progress(&mut self, force: bool) -> std::io::Result<()> {
        if !self.opts.progress {
            return Ok(());
        }
        let now = Instant::now();
        if !force && self.progress.last.is_some_and(|t| now - t < Duration::from_millis(100)) {
            return Ok(());
        }
        self.progress.last = Some(now);
        let p = &self.progress;
        let mut line = format!(
            "[{}/{} packages] {} · {}",
            p.done,
            p.total,
            text::plural(p.tests, "test"),
            humantime_short(p.started.elapsed())
        );
        if p.leaked > 0 {
            let _ = write!(line, " · {} leaked", p.leaked);
        }
        if p.failed > 0 {
            let _ = write!(line, " · {} failed", p.failed);
        }
        let line = self.paint("2", &line);
        self.out.write_all(b"\r\x1b[2K")?;
        self.out.write_all(line.as_bytes())?;
        self.progress.shown = true;
        Ok(())
    }

    fn explain_rules(&self, info: &RunInfo) -> String {
        let mut out = String::new();
        match &info.config {
            Some(p) => {
                let _ = writeln!(out, "leakcheck: config {}", p.display());
            }
            None => {
                let _ = writeln!(
                    out,
                    "leakcheck: no {} at {}",
                    crate::config::FILE_NAME,
                    info.root.display()
                );
            }
        }
        let _ = writeln!(out, "leakcheck: grace {:?}; ignore rules in force:", info.grace);
        for r in &info.rules {
            let mut conditions = Vec::new();
            for (what, m) in [
                ("top_function", &r.top_function),
                ("any_function", &r.any_function),
                ("created_by", &r.created_by),
                ("state", &r.state),
                ("package", &r.package),
                ("test", &r.test),
            ] {
                if let Some(m) = m {
                    conditions.push(format!("{what} {m}"));
                }
            }
            let _ = writeln!(out, "  {}: {} ({})", r.name, conditions.join(", "), r.reason);
        }
        let _ = writeln!(
            out,
            "leakcheck: diagnosis rules, the first that matches a leaked group gives its diagnosis:"
        );
        for d in &info.diagnoses {
            let mut conditions = Vec::new();
            for (what, m) in [
                ("state", &d.state),
                ("top_function", &d.top_function),
                ("any_function", &d.any_function),
                ("created_by", &d.created_by),
                ("top_line", &d.top_line),
            ] {
                if let Some(m) = m {
                    conditions.push(format!("{what} {m}"));
                }
            }
            if d.min_count > 0 {
                conditions.push(format!("at least {} goroutines", d.min_count));
            }
            let _ = writeln!(out, "  {}: {}", d.name, conditions.join(", "));
            let _ = writeln!(out, "      waits: {}", d.waits);
            if let Some(fix) = &d.fix {
                let _ = writeln!(out, "      fix: {fix}");
            }
        }
        out
    }

    fn explain_ignored(&self, out: &mut String, name: &str, leak: &LeakReport) {
        for (rule, n) in &leak.ignored {
            let reason = self.reasons.get(rule).map(String::as_str).unwrap_or("");
            let _ = writeln!(out, "    {name}: ignored {} by {rule}: {reason}", text::goroutines(*n));
        }
    }

    /// The detail blocks of a package: failing and leaking tests, leftovers,
    /// crashes, warnings. `outputs`: include the tests' own output (not when
    /// it was already shown).
    fn details(&self, p: &PackageResult, outputs: bool) -> String {
        let mut out = String::new();
        if p.status == PackageStatus::BuildFailed {
            out.push_str(&p.build_output);
            return out;
        }
        for t in &p.tests {
            let leak = t.leak.as_ref().filter(|l| l.total > 0);
            if t.failed_by_subtest {
                let leaked: Vec<&str> = p
                    .tests
                    .iter()
                    .filter(|s| {
                        s.run == t.run
                            && s.verdict == Verdict::Leaked
                            && !s.failed_by_subtest
                            && s.name.starts_with(&format!("{}/", t.name))
                            && t.ran_around(s.span.0)
                    })
                    .map(|s| s.name.as_str())
                    .collect();
                let _ = writeln!(
                    out,
                    "--- {}: {} ({:.2}s): {} leaked",
                    self.verdict_word(t.verdict),
                    t.name,
                    t.elapsed,
                    leaked.join(", ")
                );
                if outputs {
                    out.push_str(&shown_output(t));
                }
                // Its own leak is in the baseline (else it would be leaked
                // by itself).
                if let Some(l) = leak {
                    let _ = writeln!(
                        out,
                        "    {} also {}, listed in the baseline",
                        t.name,
                        text::leak_summary(l)
                    );
                }
                continue;
            }
            if t.verdict == Verdict::Leaked {
                let summary = leak.map(text::leak_summary).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "--- {}: {} ({:.2}s): {summary}",
                    self.verdict_word(t.verdict),
                    t.name,
                    t.elapsed
                );
                if outputs {
                    out.push_str(&shown_output(t));
                }
            } else if let Some(l) = leak.filter(|_| matches!(t.verdict, Verdict::Passed | Verdict::Skipped)) {
                // Every group is in the baseline: tolerated, one line (a
                // test that skipped itself after leaking is skipped again).
                let _ = writeln!(
                    out,
                    "--- KNOWN: {}: {}, listed in the baseline",
                    t.name,
                    text::leak_summary(l)
                );
                continue;
            } else if t.verdict.is_failure() {
                // The header first, then what the test printed under it,
                // so its lines never read as part of the leak above.
                let _ = writeln!(
                    out,
                    "--- {}: {} ({:.2}s)",
                    self.verdict_word(t.verdict),
                    t.name,
                    t.elapsed
                );
                if outputs {
                    out.push_str(&shown_output(t));
                }
                if !t.fails() {
                    out.push_str(
                        "    its failure not counted, as go test does not count it (a test another test ran, with testing.RunTests, fails only through its caller; or its package passed all the same)\n",
                    );
                }
                if let Some(l) = leak {
                    let _ = writeln!(out, "    {} also {}", t.name, text::leak_summary(l));
                }
            } else if outputs && self.opts.format == Format::StandardQuiet && (p.is_failure() || self.streams(p)) {
                // go test without -v prints a failing package's output:
                // what its passing tests wrote to stdout too; and all a
                // package printed when benchmarks run (it streams then;
                // the benchmarks' lines come after, as go test prints them).
                if !is_benchmark(t) {
                    out.push_str(&passed_test_stdout(t));
                }
            }
            if let Some(l) = leak {
                out.push_str(&text::leak_text_styled(l, &self.root, "    ", self.opts.stacks));
            }
            if self.opts.explain {
                if let Some(l) = &t.leak {
                    self.explain_ignored(&mut out, &t.name, l);
                }
            }
        }
        if outputs && p.is_failure() {
            // go test prints a data race report where it happens; test2json
            // gives it to whichever test printed last, often one that
            // passed, whose output is not shown: the failing test then says
            // only "race detected during execution of test".
            let hidden: Vec<String> = p
                .tests
                .iter()
                .filter(|t| !t.verdict.is_failure())
                .flat_map(|t| race_reports(&t.output))
                .collect();
            if !hidden.is_empty() {
                let _ = writeln!(
                    out,
                    "--- {}: data race reports printed while other tests ran:",
                    self.paint("31;1", "RACE")
                );
                for report in hidden {
                    out.push_str(&report);
                }
            }
        }
        if let Some(leak) = &p.main_leak {
            let what = if leak.known == leak.total { "KNOWN" } else { "LEAK" };
            let _ = writeln!(
                out,
                "--- {}: TestMain: {} after the last test",
                self.paint("35;1", what),
                text::leak_summary(leak)
            );
            out.push_str(&text::leak_text_styled(leak, &self.root, "    ", self.opts.stacks));
        }
        // What the binary printed outside tests (init, TestMain: "db
        // unreachable"), as go test shows it for a package that failed, and
        // when it explains a failure no test holds (a panic in TestMain,
        // `exit status 4`). A failing test explains `exit status 1`.
        let unexplained = p.crash.as_ref().is_some_and(|c| c.tests.is_empty())
            || (p.crash.is_none()
                && p.main_leak.is_none()
                && p.status == PackageStatus::Failed
                && !p.any_test_failed());
        if (unexplained || p.go_failed) && outputs {
            let shown = package_output(p);
            let shown: String = if unexplained {
                shown
            } else {
                shown
                    .split_inclusive('\n')
                    .filter(|l| !l.starts_with("exit status "))
                    .collect()
            };
            out.push_str(&shown);
        }
        if let Some(crash) = &p.crash {
            let _ = writeln!(out, "--- {}: {}", self.paint("31;1", "CRASH"), p.import_path);
            out.push_str(&text::crash_text_styled(crash, &self.root, "    ", self.opts.stacks));
        }
        if let CheckState::NotChecked(why) = &p.check {
            let what = if p.status == PackageStatus::NotFinished {
                "not finished"
            } else {
                "not fully checked"
            };
            let _ = writeln!(
                out,
                "--- {}: {}: {what}: {why}",
                self.paint("31;1", "ERROR"),
                p.import_path
            );
        }
        for w in &p.warnings {
            let _ = writeln!(out, "leakcheck: warning: {}: {w}", p.import_path);
        }
        out
    }

    /// go test's closing line for a package.
    fn standard_line(&self, p: &PackageResult) -> String {
        match (p.status, &p.check) {
            (PackageStatus::NoTestFiles, _) => format!("?   \t{}\t[no test files]\n", p.import_path),
            (PackageStatus::BuildFailed, _) => {
                format!(
                    "{}\t{} [{}]\n",
                    self.paint("31;1", "FAIL"),
                    p.import_path,
                    p.build_failure()
                )
            }
            (PackageStatus::NotFinished, _) => {
                format!("{}\t{} [not finished]\n", self.paint("31;1", "FAIL"), p.import_path)
            }
            (PackageStatus::Passed, CheckState::Cached) => {
                format!("ok  \t{}\t(cached){}\n", p.import_path, ok_suffix(p))
            }
            (PackageStatus::Passed, _) => format!(
                "{}  \t{}\t{:.3}s{}\n",
                self.paint("32", "ok"),
                p.import_path,
                p.elapsed,
                ok_suffix(p)
            ),
            _ => format!("{}\t{}\t{:.3}s\n", self.paint("31;1", "FAIL"), p.import_path, p.elapsed),
        }
    }

    /// Whether go test streams the package's output (benchmarks asked for,
    /// or ran).
    fn streams(&self, p: &PackageResult) -> bool {
        self.opts.streams || p.tests.iter().any(is_benchmark)
    }

    /// The pkgname line: mark, package, time and counts.
    fn pkgname_line(&self, p: &PackageResult) -> String {
        let (mark, code) = match p.status {
            PackageStatus::Passed => ("✓", "32"),
            PackageStatus::NoTestFiles => ("∅", "2"),
            _ => ("✖", "31;1"),
        };
        let detail = match (p.status, &p.check) {
            (PackageStatus::NoTestFiles, _) => "no test files".to_string(),
            (PackageStatus::BuildFailed, _) => p.build_failure().to_string(),
            (PackageStatus::NotFinished, _) => "not finished".to_string(),
            (_, CheckState::Cached) => "cached".to_string(),
            _ => {
                let mut counts: Vec<String> = vec![text::plural(p.tests.len(), "test")];
                for v in [
                    Verdict::Leaked,
                    Verdict::Failed,
                    Verdict::Panicked,
                    Verdict::TimedOut,
                    Verdict::Unfinished,
                    Verdict::Skipped,
                ] {
                    let n = p.tests.iter().filter(|t| t.verdict == v).count();
                    if n > 0 {
                        counts.push(format!("{n} {}", v.participle()));
                    }
                }
                if p.failing_main_leak().is_some() {
                    counts.push("TestMain leaked".into());
                }
                if matches!(p.check, CheckState::NotChecked(_)) {
                    counts.push("not fully checked".into());
                }
                format!("{:.2}s, {}", p.elapsed, counts.join(", "))
            }
        };
        let coverage = p.coverage().map(|c| format!(" (coverage: {c})")).unwrap_or_default();
        format!("{}  {} ({detail}){coverage}\n", self.paint(code, mark), p.import_path)
    }

    fn testname_lines(&self, p: &PackageResult) -> String {
        let mut out = String::new();
        if p.tests.is_empty() {
            let what = match p.status {
                PackageStatus::BuildFailed if p.build_failure() == "setup failed" => "SETUP FAILED",
                PackageStatus::BuildFailed => "BUILD FAILED",
                PackageStatus::NotFinished => "NOT FINISHED",
                _ => "EMPTY",
            };
            let _ = writeln!(out, "{what} {}", p.import_path);
        }
        for t in &p.tests {
            let _ = writeln!(
                out,
                "{} {}.{} ({:.2}s)",
                self.verdict_word(t.verdict),
                p.import_path,
                t.name,
                t.elapsed
            );
        }
        if p.failing_main_leak().is_some() {
            let _ = writeln!(out, "{} {}.TestMain", self.verdict_word(Verdict::Leaked), p.import_path);
        }
        // The package's own line only when -cover has something to say,
        // as gotestsum's testname format does.
        if let Some(c) = p.coverage() {
            let word = if p.is_failure() {
                Verdict::Failed
            } else {
                Verdict::Passed
            };
            let _ = writeln!(out, "{} {} (coverage: {c})", self.verdict_word(word), p.import_path);
        }
        out
    }

    fn dots_line(&self, p: &PackageResult) -> String {
        let mut dots = String::new();
        for t in &p.tests {
            let (c, code) = match t.verdict {
                Verdict::Passed => (".", "32"),
                Verdict::Skipped => ("s", "33"),
                Verdict::Leaked => ("L", "35;1"),
                Verdict::Failed => ("F", "31;1"),
                Verdict::Panicked => ("P", "31;1"),
                Verdict::TimedOut => ("T", "31;1"),
                Verdict::Unfinished => ("X", "31;1"),
            };
            dots.push_str(&self.paint(code, c));
        }
        if p.status == PackageStatus::BuildFailed {
            dots.push_str(&self.paint("31;1", "B"));
        }
        format!("{} {dots}\n", p.import_path)
    }

    fn package(&mut self, p: &PackageResult) -> std::io::Result<()> {
        self.progress.done += 1;
        self.progress.tests += p.tests.len();
        self.progress.leaked += p.tests.iter().filter(|t| t.verdict == Verdict::Leaked).count();
        self.progress.failed += p
            .tests
            .iter()
            .filter(|t| t.verdict.is_failure() && t.verdict != Verdict::Leaked)
            .count();
        let buffered = self.buffers.remove(&p.import_path).unwrap_or_default();
        let mut out = String::new();
        match self.opts.format {
            Format::Pkgname => out.push_str(&self.pkgname_line(p)),
            Format::Testname => out.push_str(&self.testname_lines(p)),
            Format::Dots => out.push_str(&self.dots_line(p)),
            Format::StandardQuiet => {
                out.push_str(&self.details(p, true));
                out.push_str(&benchmarks(p));
                if self.streams(p) && p.status == PackageStatus::Passed && p.check != CheckState::Cached {
                    // The test binary's last line, which go test streams.
                    out.push_str("PASS\n");
                }
                out.push_str(&self.standard_line(p));
            }
            Format::StandardVerbose => {
                out.push_str(&buffered);
                out.push_str(&self.details(p, false));
                out.push_str(&self.standard_line(p));
            }
            Format::GithubActions => {
                let _ = writeln!(out, "::group::{}", self.standard_line(p).trim_end().replace('\t', " "));
                out.push_str(&buffered);
                out.push_str("::endgroup::\n");
                out.push_str(&self.details(p, false));
            }
        }
        if self.opts.format.defers_details() {
            out.push_str(&benchmarks(p));
        }
        self.emit(&out)?;
        self.draw_progress(true)
    }

    fn summary(&mut self, summary: &RunSummary) -> std::io::Result<()> {
        self.clear_progress()?;
        let mut out = String::new();
        if self.opts.format.defers_details() {
            // From the final results: what passed on a rerun is not here.
            let mut deferred = String::new();
            for p in &summary.packages {
                let details = self.details(p, true);
                if !details.trim().is_empty() {
                    let _ = writeln!(deferred, "=== {}", p.import_path);
                    deferred.push_str(&details);
                }
            }
            if !deferred.is_empty() {
                let _ = writeln!(out, "\n{}", self.paint("1", "=== Failures and leaks"));
                out.push_str(&deferred);
            }
        }
        let t = summary.totals();
        if let Some(b) = &summary.baseline {
            if b.tolerated > 0 {
                let _ = writeln!(
                    out,
                    "leakcheck: {} known {} tolerated ({}) by {}",
                    b.tolerated,
                    if b.tolerated == 1 { "leak" } else { "leaks" },
                    text::goroutines(b.tolerated_goroutines),
                    b.path.display()
                );
            }
            if !b.stale.is_empty() {
                let (entries, verb, them) = match b.stale.len() {
                    1 => ("1 baseline entry".to_string(), "occurs", "it"),
                    n => (format!("{n} baseline entries"), "occur", "them"),
                };
                let _ = writeln!(
                    out,
                    "leakcheck: {entries} no longer {verb} (fixed? run --update-baseline to drop {them}):"
                );
                for e in &b.stale {
                    let _ = writeln!(out, "    {} {}: {} ({})", e.package, e.test, e.function, e.signature);
                }
            }
        }
        if let Some((path, n)) = &summary.baseline_written {
            let _ = writeln!(
                out,
                "leakcheck: wrote {} with {}",
                path.display(),
                text::plural(*n, "known leak")
            );
        }
        if self.proof_requested && summary.packages.iter().any(|p| p.leaked_goroutines() > 0 && !p.proof) {
            let _ = writeln!(
                out,
                "leakcheck: leaks were not proven: --proof needs Go 1.26 or newer (Go's goroutineleak profile)"
            );
        }
        for p in &summary.packages {
            for t in p.tests.iter().filter(|t| t.flaky()) {
                let earlier: Vec<String> = t
                    .attempts
                    .iter()
                    .map(|a| match &a.leak {
                        Some(l) if a.verdict == Verdict::Leaked => format!("leaked ({l})"),
                        _ => a.verdict.word().to_lowercase(),
                    })
                    .collect();
                let _ = writeln!(
                    out,
                    "--- {}: {} ({}): {}, then passed on a rerun",
                    self.paint("33;1", "FLAKY"),
                    t.name,
                    p.import_path,
                    earlier.join(", then "),
                );
            }
        }
        let slowest = slowest(&summary.packages, self.opts.slowest);
        if !slowest.is_empty() {
            let _ = writeln!(out, "Slowest tests:");
            for (pkg, t) in slowest {
                let _ = writeln!(out, "    {:>6.2}s {pkg} {}", t.elapsed, t.name);
            }
        }
        // Packages counted as the JSON report's totals count them: those
        // that ran tests (build failures are counted on their own below,
        // packages without test files not at all).
        let mut line = format!(
            "DONE {} in {:.1}s: {}, {} passed",
            text::plural(t.packages, "package"),
            summary.elapsed.as_secs_f64(),
            text::plural(t.tests, "test"),
            t.passed
        );
        if let Some(leaked) = summary.leaked_words(&t) {
            let _ = write!(line, ", {}", self.paint("35;1", &leaked));
        }
        let uncounted = summary
            .packages
            .iter()
            .flat_map(|p| &p.tests)
            .filter(|t| t.verdict.is_failure() && !t.fails())
            .count();
        let failed = match uncounted {
            0 => "failed".to_string(),
            u if u == t.failed => "failed (not counted, as in go test)".to_string(),
            u => format!("failed ({u} of them not counted, as in go test)"),
        };
        for (n, what, code) in [(t.failed, failed.as_str(), "31;1"), (t.skipped, "skipped", "33")] {
            if n > 0 {
                let _ = write!(line, ", {}", self.paint(code, &format!("{n} {what}")));
            }
        }
        if t.flaky > 0 {
            let _ = write!(line, ", {}", self.paint("33", &format!("{} flaky", t.flaky)));
        }
        // go test's own words: a package it could not load "setup failed",
        // one that did not compile "build failed" (the JSON totals count
        // both as build failures).
        let setup_failures = summary
            .packages
            .iter()
            .filter(|p| p.status == PackageStatus::BuildFailed && p.build_failure() == "setup failed")
            .count();
        for (n, what) in [
            (t.build_failures - setup_failures, "build failure"),
            (setup_failures, "setup failure"),
        ] {
            if n > 0 {
                let _ = write!(line, ", {}", self.paint("31;1", &text::plural(n, what)));
            }
        }
        if t.errors > 0 {
            let _ = write!(
                line,
                ", {}",
                self.paint(
                    "31;1",
                    &format!(
                        "{} not finished or not fully checked",
                        text::plural(t.errors, "package")
                    )
                )
            );
        }
        // A crash whose tests passed on a rerun still fails its package
        // (the tests after it never ran): say why the run fails.
        let crashed = summary
            .packages
            .iter()
            .filter(|p| p.crash.is_some() && !p.tests.iter().any(|t| t.fails()))
            .count();
        if crashed > 0 {
            let _ = write!(
                line,
                ", {}",
                self.paint(
                    "31;1",
                    &format!("{} whose test binary died", text::plural(crashed, "package"))
                )
            );
        }
        // Failed by what no test, leak or crash explains (a TestMain that
        // exits non-zero): without this the line would read as a pass.
        let outside = summary
            .packages
            .iter()
            .filter(|p| p.status == PackageStatus::Failed && p.failed_outside_tests && p.crash.is_none())
            .count();
        if outside > 0 {
            let _ = write!(
                line,
                ", {}",
                self.paint(
                    "31;1",
                    &format!(
                        "{} failed outside {} tests",
                        text::plural(outside, "package"),
                        if outside == 1 { "its" } else { "their" }
                    )
                )
            );
        }
        if summary.interrupted {
            line.push_str(" (interrupted)");
        }
        let _ = writeln!(out, "{line}");
        self.emit(&out)
    }

    fn write_event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::RunStarted(info) => {
                self.root = info.root.clone();
                self.proof_requested = info.proof;
                self.reasons = info.rules.iter().map(|r| (r.name.clone(), r.reason.clone())).collect();
                self.progress.total = info.packages;
                self.progress.started = Instant::now();
                self.stream = info.packages <= 1 && self.opts.format == Format::StandardVerbose;
                if self.opts.explain {
                    let rules = self.explain_rules(info);
                    self.emit(&rules)?;
                }
                self.draw_progress(true)?;
            }
            Event::Output { package, test, text } => {
                // go test's own closing line of a package: leakcheck prints
                // its own, which knows about leaks.
                let closing = test.is_none() && is_closing_line(text);
                if closing {
                } else if self.stream {
                    self.emit(text)?;
                } else if self.opts.format.verbose() {
                    self.buffers.entry(package.to_string()).or_default().push_str(text);
                }
                self.draw_progress(false)?;
            }
            Event::GoTestLine(_) => {}
            Event::RerunStarted {
                round,
                of,
                tests,
                packages,
            } => {
                let header = format!(
                    "\n=== RERUN {round} of {of}: {} in {}\n",
                    text::plural(*tests, "failed test"),
                    text::plural(*packages, "package")
                );
                let header = self.paint("1", &header);
                self.emit(&header)?;
            }
            Event::PackageFinished(p) => self.package(p)?,
            Event::RunFinished(summary) => self.summary(summary)?,
            // As it comes, where it belongs: the progress line is left as
            // it is, as it was when these were printed directly.
            Event::Notice {
                stream: Stream::Stdout,
                text,
            } => writeln!(self.out, "{text}")?,
            // `handle` writes these, even once standard output is closed.
            Event::Notice {
                stream: Stream::Stderr, ..
            } => {}
        }
        self.out.flush()
    }
}

impl<W: Write> Reporter for TerminalReporter<W> {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        if let Event::Notice {
            stream: Stream::Stderr,
            text,
        } = event
        {
            // Standard error stays open when standard output's reader went
            // away.
            return match writeln!(self.err, "{text}").and_then(|()| self.err.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::io("cannot write to", "standard error", e))
                }
                _ => Ok(()),
            };
        }
        if self.closed {
            return Ok(());
        }
        match self.write_event(event) {
            // The reader went away (`| head`): the other reports still
            // get written.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| Error::io("cannot write to", "standard output", e)),
        }
    }
}

fn is_benchmark(t: &TestResult) -> bool {
    t.name.starts_with("Benchmark")
}

/// Benchmark results, as go test prints them (the checks do not cover
/// benchmarks).
fn benchmarks(p: &PackageResult) -> String {
    let mut out = String::new();
    let benches: Vec<_> = p.tests.iter().filter(|t| is_benchmark(t)).collect();
    if benches.is_empty() {
        return out;
    }
    let header = |line: &str| ["goos:", "goarch:", "pkg:", "cpu:"].iter().any(|h| line.starts_with(h));
    for line in p.output.lines().filter(|l| header(l)) {
        let _ = writeln!(out, "{line}");
    }
    // test2json gives a benchmark's first result line to the benchmark and
    // the repeats (`-count`, `-cpu`) to the package: each goes after its
    // benchmark's first, by name (`BenchmarkX-2` is BenchmarkX's).
    // A name may end in `-<digits>` itself (`BenchmarkD/n-3`, printed so
    // at -cpu 1): the whole word first.
    let bench_of = |line: &str| {
        let word = line.split_whitespace().next().unwrap_or("");
        benches
            .iter()
            .position(|b| b.name == word)
            .or_else(|| match word.rsplit_once('-') {
                Some((name, cpus)) if !cpus.is_empty() && cpus.bytes().all(|b| b.is_ascii_digit()) => {
                    benches.iter().position(|b| b.name == name)
                }
                _ => None,
            })
    };
    for (i, b) in benches.iter().enumerate() {
        let body = text::without_framing(&b.output, &b.name);
        out.push_str(body.strip_prefix(&format!("{}\n", b.name)).unwrap_or(&body));
        for line in p.output.lines().filter(|l| bench_of(l) == Some(i)) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// What a test printed, as the details show it: without testing's framing
/// and result lines (the details give the result in their own words) and
/// without leakcheck's own lines; a line the test printed that only looks
/// like testing's (`--- FAIL: TestInner (0.00s)`) is its output.
fn shown_output(t: &TestResult) -> String {
    let mut shown = String::new();
    for line in text::without_framing(&t.output, &t.name).lines() {
        if !testlines::is_result_line_of(line, &t.name) && !HELPER_LEAK_LINE.is_match(line) {
            shown.push_str(line);
            shown.push('\n');
        }
    }
    shown
}

/// What go test without -v shows of a test that passed, in a package that
/// failed: what it wrote to standard output, not testing's framing nor its
/// t.Log lines (`    file_test.go:12: message`, continued by lines indented
/// deeper), which test2json's verbose stream has and go test leaves out.
fn passed_test_stdout(t: &TestResult) -> String {
    static LOG: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^ {4,}\S+\.go:\d+: ").expect("the log pattern compiles"));
    let mut shown = String::new();
    let mut in_log = false;
    for line in text::without_framing(&t.output, &t.name).lines() {
        if LOG.is_match(line) || (in_log && line.starts_with("        ")) {
            in_log = true;
            continue;
        }
        in_log = false;
        // Its subtests' results too, indented.
        let framing = testlines::result_line_test(line.trim_start())
            .or_else(|| {
                line.strip_prefix("=== ATTR ")
                    .and_then(|rest| rest.split_whitespace().next())
            })
            .is_some_and(|name| {
                name == t.name
                    || name
                        .strip_prefix(t.name.as_str())
                        .is_some_and(|sub| sub.starts_with('/'))
            });
        if !framing && !HELPER_LEAK_LINE.is_match(line) {
            shown.push_str(line);
            shown.push('\n');
        }
    }
    shown
}

/// The race detector's reports in a test's output, each from its opening
/// `==================` line to its closing one.
fn race_reports(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.split_inclusive('\n').collect();
    let mut reports = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() == "WARNING: DATA RACE" {
            let start = if i > 0 && lines[i - 1].trim_end() == "==================" {
                i - 1
            } else {
                i
            };
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_end() == "==================")
                .map_or(lines.len(), |j| j + 1);
            let mut report: String = lines[start..end].concat();
            if !report.ends_with('\n') {
                report.push('\n');
            }
            reports.push(report);
            i = end;
        } else {
            i += 1;
        }
    }
    reports
}

/// What go test's `ok` line says after the time: the coverage (`-cover`),
/// and that no test was selected.
fn ok_suffix(p: &PackageResult) -> String {
    let coverage = p.coverage().map(|c| format!("\tcoverage: {c}")).unwrap_or_default();
    let none = if p.no_tests_to_run() { " [no tests to run]" } else { "" };
    format!("{coverage}{none}")
}

/// go test's closing line of a package (`ok  \tpkg\t0.1s`,
/// `FAIL\tpkg\t0.1s`, `?   \tpkg\t[no test files]`).
fn is_closing_line(line: &str) -> bool {
    line.starts_with("ok  \t") || line.starts_with("FAIL\t") || line.starts_with("?   \t")
}

/// Package output without go test's own summary lines, which leakcheck
/// prints itself, nor the helper's lines for leaks found after their tests
/// returned (`leakcheck: 2 goroutines leaked after TestX returned`, which
/// fail the package in go test's eyes) where a leak report above says it:
/// the line of a test of the package that leaked, or of one whose subtests
/// did (the line names the top-level test; helper-124 saw it printed under
/// the reports of the subtests' leaks), or of one rerun, whose attempts
/// above say what its first run did (helper-128: a flaky test's line was
/// printed in a run that passed).
fn package_output(p: &PackageResult) -> String {
    let reported = |line: &str| {
        HELPER_LEAK_LINE.captures(line).is_some_and(|c| {
            let sub = format!("{}/", &c[1]);
            p.tests.iter().any(|t| {
                (t.name == c[1] || t.name.starts_with(&sub))
                    && (t.leak.as_ref().is_some_and(|l| l.total > 0) || !t.attempts.is_empty())
            })
        })
    };
    p.output
        .split_inclusive('\n')
        .filter(|l| {
            !(l.starts_with("FAIL\t")
                || l.starts_with("ok  \t")
                || *l == "FAIL\n"
                || *l == "PASS\n"
                || l.starts_with("coverage: ")
                || reported(l))
        })
        .collect()
}

/// The `n` slowest top-level tests that took at least 100ms.
fn slowest(packages: &[PackageResult], n: usize) -> Vec<(&str, &TestResult)> {
    let mut all: Vec<(&str, &TestResult)> = packages
        .iter()
        .flat_map(|p| p.tests.iter().map(move |t| (p.import_path.as_str(), t)))
        .filter(|(_, t)| !t.name.contains('/') && t.elapsed >= 0.1)
        .collect();
    all.sort_by(|a, b| b.1.elapsed.total_cmp(&a.1.elapsed));
    all.truncate(n);
    all
}

fn humantime_short(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer whose bytes the test reads back; `broken` fails every
    /// write as a closed pipe does.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>, bool);

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            if self.1 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn reporter(out: Shared, err: Shared) -> TerminalReporter<Shared> {
        let opts = TerminalOptions {
            format: Format::StandardQuiet,
            color: false,
            progress: false,
            explain: false,
            slowest: 0,
            stacks: text::StackStyle::Compact,
            streams: false,
        };
        TerminalReporter::new(out, opts).with_stderr(err)
    }

    fn notice(stream: Stream, text: &str) -> Event<'_> {
        Event::Notice { stream, text }
    }

    #[test]
    fn notices_go_to_their_stream_each_a_line() {
        let (out, err) = (Shared::default(), Shared::default());
        let mut r = reporter(out.clone(), err.clone());
        r.handle(&notice(Stream::Stderr, "leakcheck: warning: benchmarks run"))
            .unwrap();
        r.handle(&notice(Stream::Stdout, "leakcheck: shard 1/2")).unwrap();
        r.handle(&notice(Stream::Stdout, "some go line")).unwrap();
        r.handle(&notice(Stream::Stderr, "go: downloading example.com/m v1.0.0"))
            .unwrap();
        assert_eq!(out.text(), "leakcheck: shard 1/2\nsome go line\n");
        assert_eq!(
            err.text(),
            "leakcheck: warning: benchmarks run\ngo: downloading example.com/m v1.0.0\n"
        );
    }

    /// test2json gives a race report to whichever test printed last: here
    /// one that passed. The failing test says only "race detected".
    #[test]
    fn a_race_report_in_a_passing_tests_output_is_shown_with_the_failure() {
        use crate::analyse::{rules, PackageCollector};
        use crate::run::{PackageRecords, TestEvent};
        let ev = TestEvent::in_p;
        let mut c = PackageCollector::new("p");
        c.event(&ev("run", Some("TestRacy"), None));
        c.event(&ev("run", Some("TestQuiet"), None));
        for line in [
            "==================\n",
            "WARNING: DATA RACE\n",
            "Read at 0x00c000012345 by goroutine 9:\n",
            "  p.TestRacy.func2()\n",
            "      /p/p_test.go:14 +0x30\n",
            "==================\n",
            "--- PASS: TestQuiet (0.05s)\n",
        ] {
            c.event(&ev("output", Some("TestQuiet"), Some(line)));
        }
        c.event(&ev("pass", Some("TestQuiet"), None));
        c.event(&ev(
            "output",
            Some("TestRacy"),
            Some("    testing.go:1712: race detected during execution of test\n"),
        ));
        c.event(&ev("fail", Some("TestRacy"), None));
        c.event(&ev("fail", None, None));
        let result = c.finish(&PackageRecords::default(), &rules::builtin());
        let (out, err) = (Shared::default(), Shared::default());
        let mut r = reporter(out.clone(), err);
        r.handle(&Event::PackageFinished(&result)).unwrap();
        let text = out.text();
        assert!(
            text.contains("--- RACE: data race reports printed while other tests ran:"),
            "{text}"
        );
        assert!(
            text.contains("WARNING: DATA RACE\nRead at 0x00c000012345 by goroutine 9:\n  p.TestRacy.func2()"),
            "{text}"
        );
        assert_eq!(race_reports(&result.tests[1].output).len(), 1);
        assert!(!text.contains("--- PASS: TestQuiet"), "{text}");
    }

    #[test]
    fn notices_on_standard_error_outlive_a_closed_standard_output() {
        let (out, err) = (Shared(Arc::default(), true), Shared::default());
        let mut r = reporter(out, err.clone());
        r.handle(&notice(Stream::Stdout, "lost")).unwrap();
        r.handle(&notice(Stream::Stderr, "leakcheck: go test was killed"))
            .unwrap();
        assert_eq!(err.text(), "leakcheck: go test was killed\n");
    }
}
