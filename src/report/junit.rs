//! JUnit XML through quick-junit: one testsuite per package, one testcase
//! per test and subtest run, leaks as `<failure type="GoroutineLeak">`.
//!
//! Conventions (docs/junit.md): the file is written by
//! [`schema::write_junit`], as `leakcheck merge` writes its own; classname is the import path, name the test
//! (`TestA/sub`); package-level problems (build failure, a crash outside a
//! test, goroutines left after the last test) are a synthetic `TestMain`
//! testcase, as gotestsum does. Text is made XML-safe without losing it:
//! control bytes become visible `\xNN`, ANSI colour sequences are dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::schema;
use super::text;
use super::{Event, Reporter, RunInfo};
use crate::analyse::{CheckState, PackageResult, PackageStatus, TestResult, Verdict};
use crate::error::{Error, Result};

/// Collects results and writes the XML file when the run ends.
pub struct JunitReporter {
    path: PathBuf,
    info: Option<RunInfo>,
    suites: Vec<TestSuite>,
}

impl JunitReporter {
    /// A reporter that will write to `path`.
    pub fn new(path: PathBuf) -> Self {
        JunitReporter {
            path,
            info: None,
            suites: Vec::new(),
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
            .map_err(|e| Error::io("cannot write", &self.path, std::io::Error::other(e)))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
        }
        fs::write(&self.path, xml).map_err(|e| Error::io("cannot write", &self.path, e))
    }
}

impl Reporter for JunitReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        match event {
            Event::RunStarted(info) => self.info = Some((*info).clone()),
            // Built from the final results (after any reruns), in the order
            // packages finished.
            Event::RunFinished(summary) => {
                self.suites = summary
                    .packages
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

fn test_case(p: &PackageResult, t: &TestResult, root: &Path) -> TestCase {
    let body = text::without_framing(&t.output);
    let status = match t.verdict {
        Verdict::Passed => TestCaseStatus::success(),
        Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            s.set_description(xml_safe(&body));
            s
        }
        Verdict::Leaked | Verdict::Failed => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            match t.leak.as_ref().filter(|l| l.total > 0) {
                Some(leak) => {
                    let groups = text::leak_text(leak, root, "");
                    let message = if t.verdict == Verdict::Leaked {
                        text::leak_summary(leak)
                    } else {
                        format!("failed, and {}", text::leak_summary(leak))
                    };
                    s.set_type("GoroutineLeak");
                    s.set_message(xml_safe(&message));
                    s.set_description(xml_safe(&format!("{message}\n\n{groups}\n{body}")));
                }
                None if t.failed_by_subtest => {
                    s.set_type("Failure");
                    s.set_message("a subtest leaked goroutines");
                    s.set_description(xml_safe(&body));
                }
                None => {
                    s.set_type("Failure");
                    s.set_message("Failed");
                    s.set_description(xml_safe(&body));
                }
            }
            s
        }
        Verdict::Panicked | Verdict::TimedOut | Verdict::Unfinished => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            let (ty, message) = match t.verdict {
                Verdict::Panicked => ("Panic", "test panicked".to_string()),
                Verdict::TimedOut => ("Timeout", "test timed out".to_string()),
                _ => ("Exit", "the test binary exited while the test ran".to_string()),
            };
            let mut description = body.clone();
            if let Some(crash) = &p.crash {
                description = format!("{}\n{body}", text::crash_text(crash, root, ""));
            }
            s.set_type(ty);
            s.set_message(message);
            s.set_description(xml_safe(&description));
            s
        }
    };
    let mut status = status;
    let reruns = t.attempts.iter().map(|a| {
        let mut r = TestRerun::new(
            if matches!(a.verdict, Verdict::Panicked | Verdict::TimedOut | Verdict::Unfinished) {
                NonSuccessKind::Error
            } else {
                NonSuccessKind::Failure
            },
        );
        r.set_type(if a.leak.is_some() && a.verdict == Verdict::Leaked {
            "GoroutineLeak"
        } else {
            "Failure"
        });
        r.set_message(xml_safe(a.leak.as_deref().unwrap_or(a.verdict.word())));
        r.set_time(secs(a.elapsed));
        r.set_system_out(xml_safe(&a.output));
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
    if let Some(loc) = t
        .leak
        .as_ref()
        .and_then(|l| l.groups.first())
        .and_then(|g| user_location(g, root))
    {
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
        s.set_type("BuildFailed");
        s.set_message("the package or its tests did not build");
        s.set_description(xml_safe(&p.build_output));
        s
    } else if let Some(leak) = p.main_leak.as_ref().filter(|l| l.known < l.total) {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        let message = format!("{} after the last test", text::leak_summary(leak));
        s.set_type("GoroutineLeak");
        s.set_message(xml_safe(&message));
        s.set_description(xml_safe(&format!("{message}\n\n{}", text::leak_text(leak, root, ""))));
        s
    } else if let Some(crash) = p.crash.as_ref().filter(|c| c.tests.is_empty()) {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
        s.set_type("Panic");
        s.set_message(xml_safe(&crash.message));
        s.set_description(xml_safe(&format!(
            "{}\n{}",
            text::crash_text(crash, root, ""),
            p.output
        )));
        s
    } else if p.status == PackageStatus::Failed
        && !p.tests.iter().any(|t| t.verdict.is_failure())
        && p.crash.is_none()
        && p.failed_outside_tests
    {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_type("Failure");
        s.set_message("the test binary failed outside any test");
        s.set_description(xml_safe(&p.output));
        s
    } else {
        return None;
    };
    let mut tc = TestCase::new("TestMain", status);
    tc.set_classname(xml_safe(&p.import_path));
    if let Some(loc) = p
        .main_leak
        .as_ref()
        .and_then(|l| l.groups.first())
        .and_then(|g| user_location(g, root))
    {
        tc.extra.insert("file".into(), xml_safe(&loc.0).into());
        tc.extra.insert("line".into(), loc.1.to_string().into());
    }
    Some(tc)
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
/// non-characters U+FFFE/U+FFFF become `\u{fffe}`/`\u{ffff}`. ESC stays for
/// quick-junit to strip with its sequence.
pub fn xml_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut column = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => {
                let n = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
                continue;
            }
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\n' | '\r' => {
                out.push('\n');
                column = 0;
                continue;
            }
            '\x1b' => out.push(c),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let shown = format!("\\x{:02x}", c as u32);
                column += shown.len();
                out.push_str(&shown);
                continue;
            }
            '\u{fffe}' | '\u{ffff}' => {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_keeps_text_visible() {
        assert_eq!(xml_safe("a\x01b\tc\u{fffe}"), "a\\x01b  c\\u{fffe}");
        assert_eq!(
            xml_safe("ok  \tpkg\t0.5s\r\n\tx.go:1"),
            "ok      pkg     0.5s\n        x.go:1"
        );
        assert_eq!(xml_safe("10%\r20%\r"), "10%\n20%\n");
        // Nothing quick-junit strips is left to it but ANSI sequences.
        let safe = xml_safe("a\tb\r\nc\rd\x1b[31me\x1b[0m\x07f");
        assert_eq!(quick_junit::XmlString::new(&safe).as_str(), "a       b\nc\nde\\x07f");
    }
}
