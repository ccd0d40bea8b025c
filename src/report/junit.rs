//! JUnit XML through quick-junit: one testsuite per package, one testcase
//! per test and subtest run, leaks as `<failure type="GoroutineLeak">`.
//!
//! The conventions, element by element and attribute by attribute, are in
//! docs/junit.md: classname is the import path, name the test
//! (`TestA/sub`); package-level problems (build failure, a crash outside a
//! test, goroutines left after the last test, an incomplete check) are a
//! synthetic `TestMain` testcase, as gotestsum does; a skip is
//! `<skipped message="REASON">` with the line `t.Skip` printed, counted in
//! each testsuite's `skipped`; earlier runs of a rerun test
//! (`--rerun-fails`) are `<flakyFailure>`/`<flakyError>` when it then
//! passed, `<rerunFailure>`/`<rerunError>` when it did not, subtests
//! included, with the same messages as a failure of that kind. Every
//! failure, error, skip and rerun has a body (readers such as Codecov's
//! take the body for the message). Text is made XML-safe without losing
//! it: control bytes become visible `\xNN`, ANSI colour sequences are
//! dropped. The file is written by [`schema::write_junit`], which also
//! writes `leakcheck merge`'s.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::schema::{self, RerunHistory};
use super::text;
use super::{Event, Reporter, RunInfo};
use crate::analyse::{rerun, CheckState, Crash, CrashKind, PackageResult, PackageStatus, TestResult, Verdict};
use crate::error::{Error, Result};
use crate::testlines;

/// Collects results and writes the XML file when the run ends.
pub struct JunitReporter {
    path: PathBuf,
    info: Option<RunInfo>,
    suites: Vec<TestSuite>,
    history: RerunHistory,
}

impl JunitReporter {
    /// A reporter that will write to `path`.
    pub fn new(path: PathBuf) -> Self {
        JunitReporter {
            path,
            info: None,
            suites: Vec::new(),
            history: RerunHistory::default(),
        }
    }

    fn suite(&self, p: &PackageResult) -> TestSuite {
        let root = self.info.as_ref().map(|i| i.root.clone()).unwrap_or_default();
        let mut suite = TestSuite::new(xml_safe(&p.import_path));
        suite.set_time(secs(p.elapsed));
        if let Some(ts) = p
            .started
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        {
            suite.set_timestamp(ts);
        }
        let go = p
            .go_version
            .clone()
            .or_else(|| self.info.as_ref().map(|i| i.go_version.clone()))
            .unwrap_or_default();
        suite.add_property(Property::new("go.version", go));
        suite.add_property(Property::new("leakcheck.version", env!("CARGO_PKG_VERSION")));
        suite.add_property(Property::new("leakcheck.proof", if p.proof { "true" } else { "false" }));
        if let Some(h) = hostname() {
            suite.extra.insert("hostname".into(), xml_safe(&h).into());
        }
        for t in &p.tests {
            suite.add_test_case(test_case(p, t, &root));
        }
        for tc in main_cases(p, &root) {
            suite.add_test_case(tc);
        }
        if !p.output.is_empty() {
            suite.set_system_out(xml_safe(&p.output));
        }
        suite
    }

    fn write(&self) -> Result<()> {
        let mut report = Report::new("leakcheck");
        report.add_test_suites(self.suites.iter().cloned());
        let xml = schema::write_junit(&mut report)
            .map_err(|e| Error::io("cannot write", super::report_name(&self.path), std::io::Error::other(e)))?;
        super::write_report(&self.path, &xml)
    }
}

impl Reporter for JunitReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        self.history.observe(event);
        match event {
            Event::RunStarted(info) => self.info = Some((*info).clone()),
            // Built from the final results (after any reruns, with what
            // the reruns changed), in the order packages finished.
            Event::RunFinished(summary) => {
                let packages = self.history.apply(&summary.packages);
                self.suites = packages
                    .iter()
                    .filter(|p| p.status != PackageStatus::NoTestFiles || !p.tests.is_empty())
                    .map(|p| self.suite(p))
                    .collect();
                self.write()?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// What a verdict is in JUnit: the element, its `type` and its `message`,
/// the same wherever it appears (a testcase's result or an earlier run);
/// `None` for a pass or a skip.
fn outcome(
    verdict: Verdict,
    leak: Option<&str>,
    failed_by_subtest: bool,
) -> Option<(NonSuccessKind, &'static str, String)> {
    use NonSuccessKind::{Error, Failure};
    Some(match verdict {
        Verdict::Passed | Verdict::Skipped => return None,
        // Its own leak, if any, is all tolerated by the baseline.
        Verdict::Leaked if failed_by_subtest => (Failure, "GoroutineLeak", rerun::SUBTEST_LEAKED.to_string()),
        Verdict::Leaked => (
            Failure,
            "GoroutineLeak",
            leak.unwrap_or("goroutines leaked").to_string(),
        ),
        Verdict::Failed => match leak {
            // go test's failure first: a dashboard that groups by type
            // files it with the assertions that failed.
            Some(leak) => (Failure, "Failure", format!("Failed, and {leak}")),
            None => (Failure, "Failure", "Failed".to_string()),
        },
        Verdict::Panicked => (Error, "Panic", "test panicked".to_string()),
        Verdict::TimedOut => (Error, "Timeout", "test timed out".to_string()),
        Verdict::Unfinished => (Error, "Exit", "the test binary exited while the test ran".to_string()),
    })
}

/// Whether go test's result line for `name` in its output, the last one
/// (a test may print one of its own before it), is `--- PASS`.
fn go_test_passed(output: &str, name: &str) -> bool {
    output
        .lines()
        .map(str::trim_start)
        .rfind(|l| testlines::is_result_line_of(l, name))
        .and_then(testlines::result_line)
        .is_some_and(|(verdict, _)| verdict == "PASS")
}

/// A body that says something: `body`, or the message when it is blank
/// (readers such as Codecov's take a failure's body for its message).
fn body_or(body: String, message: &str) -> String {
    if body.trim().is_empty() {
        message.to_string()
    } else {
        body
    }
}

/// Why a test was skipped, as gotestsum gives it: the last thing it logged
/// before `--- SKIP` (what `t.Skip(...)` printed: `file_test.go:12: needs
/// docker`, lines of a multi-line reason joined by spaces); `skipped` when
/// it said nothing (`t.SkipNow()`).
pub fn skip_reason(output: &str, test: &str) -> String {
    let body = text::without_framing(output, test);
    let lines: Vec<&str> = body
        .lines()
        .filter(|l| !testlines::is_result_line_of(l.trim_start(), test))
        .filter(|l| !l.trim().is_empty())
        .collect();
    let from = lines
        .iter()
        .rposition(|l| is_log_line(l.trim_start()))
        .unwrap_or(lines.len().saturating_sub(1));
    let reason: Vec<&str> = lines.get(from..).unwrap_or_default().iter().map(|l| l.trim()).collect();
    if reason.is_empty() {
        "skipped".to_string()
    } else {
        reason.join(" ")
    }
}

/// `name_test.go:12: text`: the start of what `t.Log` and `t.Skip` print.
fn is_log_line(line: &str) -> bool {
    let Some((file, rest)) = line.split_once(".go:") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    !file.is_empty() && !file.contains(' ') && digits > 0 && rest[digits..].starts_with(':')
}

fn test_case(p: &PackageResult, t: &TestResult, root: &Path) -> TestCase {
    let body = text::without_framing(&t.output, &t.name);
    let leak = t.leak.as_ref().filter(|l| l.total > 0);
    let summary = leak.map(text::leak_summary);
    let mut status = match outcome(t.verdict, summary.as_deref(), t.failed_by_subtest) {
        None if t.verdict == Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(xml_safe(&skip_reason(&t.output, &t.name)));
            s.set_description(xml_safe(&body_or(body.clone(), "skipped")));
            s
        }
        None => TestCaseStatus::success(),
        Some((kind, ty, message)) => {
            let mut s = TestCaseStatus::non_success(kind);
            let description = match (kind, leak) {
                (NonSuccessKind::Failure, Some(leak)) => {
                    // A leak go test did not fail (a parallel test's, found
                    // after it returned; a subtest's, found at its parent's
                    // check): go test's `--- PASS` ends the output, and the
                    // body says what came after it.
                    let tail = if go_test_passed(&body, &t.name) {
                        format!(
                            "leakcheck: go test passed {}; {} leaked after it returned\n",
                            t.name,
                            text::goroutines(leak.total)
                        )
                    } else {
                        String::new()
                    };
                    format!("{message}\n\n{}\n{body}{tail}", text::leak_text(leak, root, ""))
                }
                (NonSuccessKind::Error, _) => match &p.crash {
                    Some(crash) => format!("{}\n{body}", text::crash_text(crash, root, "")),
                    None => body.clone(),
                },
                _ => body.clone(),
            };
            s.set_type(ty);
            s.set_message(xml_safe(&message));
            s.set_description(xml_safe(&body_or(description, &message)));
            s
        }
    };
    let reruns = t.attempts.iter().map(|a| {
        let (kind, ty, message) = outcome(a.verdict, a.leak.as_deref(), false).unwrap_or((
            NonSuccessKind::Failure,
            "Failure",
            "Failed".to_string(),
        ));
        let mut r = TestRerun::new(kind);
        r.set_type(ty);
        r.set_message(xml_safe(&message));
        r.set_time(secs(a.elapsed));
        r.set_stack_trace(xml_safe(&body_or(text::without_framing(&a.output, &t.name), &message)));
        if !a.output.is_empty() {
            r.set_system_out(xml_safe(&a.output));
        }
        r
    });
    match &mut status {
        TestCaseStatus::Success { flaky_runs } => flaky_runs.extend(reruns),
        TestCaseStatus::NonSuccess { reruns: r, .. } => r.extend(reruns),
        TestCaseStatus::Skipped { .. } => {}
    }
    let mut tc = TestCase::new(xml_safe(&t.name), status);
    tc.set_classname(xml_safe(&p.import_path));
    tc.set_time(secs(t.elapsed));
    if let Some(loc) = t.leak.as_ref().and_then(|l| test_leak_location(p, &t.name, l, root)) {
        tc.extra.insert("file".into(), xml_safe(&loc.0).into());
        tc.extra.insert("line".into(), loc.1.to_string().into());
    }
    if !t.output.is_empty() {
        tc.set_system_out(xml_safe(&t.output));
    }
    tc
}

/// The synthetic `TestMain` testcases for package-level problems: a
/// failure after or outside the tests, and an incomplete check.
fn main_cases(p: &PackageResult, root: &Path) -> Vec<TestCase> {
    let mut cases: Vec<TestCase> = main_case(p, root).into_iter().collect();
    if let CheckState::NotChecked(why) = &p.check {
        // Not finished, or leakcheck cannot vouch for the verdicts.
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        let (kind, what) = if p.status == PackageStatus::NotFinished {
            ("NotFinished", "the package did not run to completion")
        } else {
            ("NotChecked", "the leak check of this package is incomplete")
        };
        s.set_type(kind);
        s.set_message(xml_safe(&format!("{what}: {why}")));
        s.set_description(xml_safe(&format!("{what}: {why}\n{}", p.output)));
        let name = if cases.is_empty() {
            "TestMain"
        } else {
            "TestMain (leakcheck)"
        };
        let mut tc = TestCase::new(name, s);
        tc.set_classname(xml_safe(&p.import_path));
        cases.push(tc);
    }
    cases
}

/// The synthetic `TestMain` testcase for package-level problems.
fn main_case(p: &PackageResult, root: &Path) -> Option<TestCase> {
    let status = if p.status == PackageStatus::BuildFailed {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        let message = "the package or its tests did not build";
        s.set_type("BuildFailed");
        s.set_message(message);
        s.set_description(xml_safe(&body_or(p.build_output.clone(), message)));
        s
    } else if let Some(leak) = p.failing_main_leak() {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = format!("{} after the last test", text::leak_summary(leak));
        s.set_type("GoroutineLeak");
        s.set_message(xml_safe(&message));
        s.set_description(xml_safe(&format!("{message}\n\n{}", text::leak_text(leak, root, ""))));
        s
    } else if let Some(crash) = p.crash.as_ref().filter(|c| !crash_shown_on_a_test(p, c)) {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_type(match crash.kind {
            CrashKind::Panic => "Panic",
            CrashKind::Timeout => "Timeout",
            CrashKind::Exit => "Exit",
        });
        s.set_message(xml_safe(&crash.message));
        s.set_description(xml_safe(&format!(
            "{}\n{}",
            text::crash_text(crash, root, ""),
            p.output
        )));
        s
    } else if p.status == PackageStatus::Failed && !p.any_test_failed() && p.crash.is_none() && p.failed_outside_tests {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = "the test binary failed outside any test";
        s.set_type("Failure");
        s.set_message(message);
        s.set_description(xml_safe(&body_or(p.output.clone(), message)));
        s
    } else {
        return None;
    };
    let mut tc = TestCase::new("TestMain", status);
    tc.set_classname(xml_safe(&p.import_path));
    if let Some(loc) = p
        .main_leak
        .as_ref()
        .and_then(|l| test_leak_location(p, "TestMain", l, root))
    {
        tc.extra.insert("file".into(), xml_safe(&loc.0).into());
        tc.extra.insert("line".into(), loc.1.to_string().into());
    }
    Some(tc)
}

/// Whether a test the crash cut short still fails, and so carries the
/// crash as its error. Not when each passed on a rerun (`--rerun-fails`):
/// the package still failed (the tests after the crash never ran), and a
/// dashboard that showed only flaky tests would show it green
/// (helper-131).
fn crash_shown_on_a_test(p: &PackageResult, crash: &Crash) -> bool {
    crash
        .tests
        .iter()
        .any(|name| p.tests.iter().any(|t| &t.name == name && t.fails()))
}

/// Where a dashboard should point for a leak: the first of its groups, in
/// the order the reports read them (root causes first), that has a place
/// in the user's code. An httptest server's accept loops, a bigger group
/// than the handler's that leaked beside them, have none.
pub fn leak_location(groups: &[crate::analyse::group::LeakedGroup], root: &Path) -> Option<(String, u32)> {
    text::tree_order(groups, root)
        .into_iter()
        .find_map(|(_, i)| user_location(&groups[i], root))
}

/// Where a dashboard should point for a test's leak: [`leak_location`],
/// else, when every frame of it is Go's own (an httptest server never
/// closed), where the test, or its top-level test, is declared (for
/// `TestMain`, what is left after the last test: the package's own
/// TestMain, if it has one).
pub fn test_leak_location(
    p: &PackageResult,
    test: &str,
    leak: &crate::analyse::LeakReport,
    root: &Path,
) -> Option<(String, u32)> {
    leak_location(&leak.groups, root).or_else(|| declared_location(p, test, root))
}

/// Where a test (its top-level test, for a subtest) is declared, relative
/// to the module root.
pub fn declared_location(p: &PackageResult, test: &str, root: &Path) -> Option<(String, u32)> {
    let (file, line) = p.declaration(test)?;
    Some((text::short_path(file.to_str()?, root).to_string(), line))
}

/// Where a dashboard should point for a leaked group: where it was created
/// when that is the user's code, else the innermost user frame.
pub fn user_location(g: &crate::analyse::group::LeakedGroup, root: &Path) -> Option<(String, u32)> {
    g.created_by
        .iter()
        .chain(g.frames.iter())
        .find(|l| Path::new(&l.file).starts_with(root) && !root.as_os_str().is_empty())
        .map(|l| (text::short_path(&l.file, root).to_string(), l.line))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_finite() && s > 0.0 { s } else { 0.0 })
}

fn hostname() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Makes text safe for XML 1.0 without dropping what it says. quick-junit
/// removes ANSI colour sequences, which is wanted, but also every control
/// character, tabs and carriage returns included, which is not: so tabs
/// become spaces up to the next 8-column stop (stack traces stay aligned),
/// carriage returns become line ends (a progress line's states all stay),
/// other control characters become a visible `\xNN`, and the
/// non-characters U+FFFE/U+FFFF and C1 controls become `\u{fffe}`, `\u{9b}` and so on. Terminal
/// escape sequences (colours, an OSC 8 hyperlink or a window title ended by
/// BEL or `ESC \`) are removed here, whole, before BEL becomes `\x07`: left
/// to quick-junit, a sequence whose end had been made visible ran on and
/// took the rest of the output with it. An ESC that starts no complete
/// sequence on its line is shown as `\x1b`, and what follows it stays.
pub fn xml_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut column = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\x1b' {
            if let Some(len) = escape_sequence_len(&s[at..]) {
                while chars.next_if(|&(i, _)| i < at + len).is_some() {}
                continue;
            }
        }
        let next = chars.peek().map(|&(_, c)| c);
        match c {
            '\t' => {
                let n = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
                continue;
            }
            '\r' if next == Some('\n') => continue,
            '\n' | '\r' => {
                out.push('\n');
                column = 0;
                continue;
            }
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let shown = format!("\\x{:02x}", c as u32);
                column += shown.len();
                out.push_str(&shown);
                continue;
            }
            // C1 controls (an 8-bit CSI, U+009B): quick-junit would drop
            // them and take an 8-bit sequence's parameters for text.
            '\u{fffe}' | '\u{ffff}' | '\u{80}'..='\u{9f}' => {
                let shown = format!("\\u{{{:x}}}", c as u32);
                column += shown.len();
                out.push_str(&shown);
                continue;
            }
            c => out.push(c),
        }
        column += 1;
    }
    out
}

/// The length in bytes of the terminal escape sequence `s` starts with (at
/// its ESC), if it is a complete one: CSI (`ESC [ … final`, colours),
/// OSC, DCS, SOS, PM and APC strings up to BEL or `ESC \\` on the same line,
/// and the two- and three-byte escapes (`ESC 7`, `ESC ( B`).
fn escape_sequence_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    debug_assert_eq!(bytes.first(), Some(&0x1b));
    match *bytes.get(1)? {
        b'[' => {
            let mut i = 2;
            while matches!(bytes.get(i), Some(0x30..=0x3f)) {
                i += 1;
            }
            while matches!(bytes.get(i), Some(0x20..=0x2f)) {
                i += 1;
            }
            matches!(bytes.get(i), Some(0x40..=0x7e)).then_some(i + 1)
        }
        b']' | b'P' | b'X' | b'^' | b'_' => {
            let mut i = 2;
            loop {
                match *bytes.get(i)? {
                    0x07 => return Some(i + 1),
                    0x1b if bytes.get(i + 1) == Some(&b'\\') => return Some(i + 2),
                    b'\n' | b'\r' | 0x1b => return None,
                    _ => i += 1,
                }
            }
        }
        0x20..=0x2f => matches!(bytes.get(2), Some(0x30..=0x7e)).then_some(3),
        0x30..=0x7e => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skip_reason_is_what_t_skip_printed() {
        let out = "=== RUN   TestS\n    s_test.go:6: looking for docker\n    s_test.go:7: needs docker\n--- SKIP: TestS (0.00s)\n";
        assert_eq!(skip_reason(out, "TestS"), "s_test.go:7: needs docker");
        // A reason over several lines, in a subtest.
        let out =
            "=== RUN   TestS/a\n        s_test.go:9: not here:\n            too slow\n    --- SKIP: TestS/a (0.00s)\n";
        assert_eq!(skip_reason(out, "TestS/a"), "s_test.go:9: not here: too slow");
        // t.SkipNow(): nothing said.
        assert_eq!(
            skip_reason("=== RUN   TestN\n--- SKIP: TestN (0.00s)\n", "TestN"),
            "skipped"
        );
        // Printed without t.Log: the last line.
        assert_eq!(
            skip_reason("=== RUN   TestP\nno database\n--- SKIP: TestP (0.00s)\n", "TestP"),
            "no database"
        );
        assert!(is_log_line("a_test.go:12: x") && is_log_line("a.go:1:"));
        assert!(!is_log_line("see a.go: here") && !is_log_line("x a.go:1: y") && !is_log_line("a.go:x:"));
    }

    /// A failure and an earlier run of the same verdict say the same thing.
    #[test]
    fn outcomes_have_one_wording() {
        let leak = Some("2 goroutines leaked (1 stack)");
        assert_eq!(
            outcome(Verdict::Failed, None, false),
            Some((NonSuccessKind::Failure, "Failure", "Failed".to_string()))
        );
        assert_eq!(
            outcome(Verdict::Failed, leak, false),
            Some((
                NonSuccessKind::Failure,
                "Failure",
                "Failed, and 2 goroutines leaked (1 stack)".to_string()
            ))
        );
        assert_eq!(
            outcome(Verdict::Leaked, leak, false),
            Some((
                NonSuccessKind::Failure,
                "GoroutineLeak",
                "2 goroutines leaked (1 stack)".to_string()
            ))
        );
        assert_eq!(
            outcome(Verdict::Panicked, None, false).unwrap().0,
            NonSuccessKind::Error
        );
        assert_eq!(outcome(Verdict::Passed, None, false), None);
        assert_eq!(outcome(Verdict::Skipped, None, false), None);
        assert_eq!(body_or("  \n".into(), "Failed"), "Failed");
        assert_eq!(body_or("x\n".into(), "Failed"), "x\n");
    }

    #[test]
    fn xml_safe_keeps_text_visible() {
        assert_eq!(xml_safe("a\x01b\tc\u{fffe}"), "a\\x01b  c\\u{fffe}");
        assert_eq!(
            xml_safe("ok  \tpkg\t0.5s\r\n\tx.go:1"),
            "ok      pkg     0.5s\n        x.go:1"
        );
        assert_eq!(xml_safe("10%\r20%\r"), "10%\n20%\n");
        // Nothing is left for quick-junit to strip.
        let safe = xml_safe("a\tb\r\nc\rd\x1b[31me\x1b[0m\x07f");
        assert_eq!(safe, "a       b\nc\nde\\x07f");
        assert_eq!(quick_junit::XmlString::new(&safe).as_str(), safe);
    }

    /// A hostile review's cases: every escape sequence goes whole, and an
    /// unfinished one takes nothing with it.
    #[test]
    fn escape_sequences_go_whole_and_take_no_text_with_them() {
        let cases = [
            // OSC 8 hyperlinks and window titles, ended by BEL or ESC \.
            (
                "a \x1b]8;;http://x\x07LINK\x1b]8;;\x07 b\nmust be visible\n",
                "a LINK b\nmust be visible\n",
            ),
            ("a \x1b]0;title\x07 b\nE\n", "a  b\nE\n"),
            ("a \x1b]8;;http://x\x1b\\LINK\x1b]8;;\x1b\\ b\n", "a LINK b\n"),
            (
                "\x1b[1;31mred\x1b[0m \x1b(Bplain \x1b7saved\x1b8\n",
                "red plain saved\n",
            ),
            // Unfinished: the ESC is shown, the text stays.
            (
                "a \x1b]0;title\nnext line\n--- FAIL: TestX\n",
                "a \\x1b]0;title\nnext line\n--- FAIL: TestX\n",
            ),
            ("\x1bPdata\n E \n", "\\x1bPdata\n E \n"),
            ("x \x1b[\nE\n", "x \\x1b[\nE\n"),
            ("\x1b--- FAIL: TestEscEnd\n", "\\x1b--- FAIL: TestEscEnd\n"),
            ("end\x1b", "end\\x1b"),
            // 8-bit controls are shown, not dropped.
            ("\u{9b}31mX\u{85}", "\\u{9b}31mX\\u{85}"),
        ];
        for (input, want) in cases {
            let safe = xml_safe(input);
            assert_eq!(safe, want, "{input:?}");
            assert_eq!(quick_junit::XmlString::new(&safe).as_str(), want, "{input:?}");
        }
    }
}
