//! `--rerun-fails`: which tests to run again, and how a rerun's results
//! join the first run's. A test that failed or leaked and then passes is
//! flaky: it passes, and its earlier attempts stay in the report.

use serde::Serialize;

use super::{PackageResult, PackageStatus, TestResult, Verdict};

/// What a test that leaked only through a subtest says, wherever a leak's
/// one-line summary would be.
pub const SUBTEST_LEAKED: &str = "a subtest leaked goroutines";

/// An earlier run of a test that was run again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attempt {
    /// Its verdict.
    pub verdict: Verdict,
    /// `3 goroutines leaked (1 stack)` when it leaked, or
    /// [`SUBTEST_LEAKED`] when it leaked only through a subtest.
    pub leak: Option<String>,
    /// What it printed.
    pub output: String,
    /// Seconds.
    pub elapsed: f64,
}

/// The failed top-level tests of each package that can run again (not in
/// packages that did not build), by package.
pub fn failing_tests(packages: &[PackageResult]) -> Vec<(String, Vec<String>)> {
    packages
        .iter()
        .filter(|p| p.status == PackageStatus::Failed)
        .map(|p| (p.import_path.clone(), failing_names(p)))
        .filter(|(_, names)| !names.is_empty())
        .collect()
}

/// The top-level names of a package's failed tests, sorted, once each.
fn failing_names(p: &PackageResult) -> Vec<String> {
    let mut names: Vec<String> = p
        .tests
        .iter()
        .filter(|t| t.fails())
        .map(|t| t.top_level().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Folds a rerun's results into the earlier ones: each rerun top-level test
/// (and its subtests) replaces the earlier entries, which become its
/// attempts.
pub fn merge(results: &mut [PackageResult], rerun: Vec<PackageResult>) {
    for again in rerun {
        let Some(p) = results.iter_mut().find(|p| p.import_path == again.import_path) else {
            continue;
        };
        for top in failing_names(p) {
            let new: Vec<TestResult> = again.tests.iter().filter(|t| t.top_level() == top).cloned().collect();
            let Some(first) = p.tests.iter().position(|t| t.top_level() == top) else {
                continue;
            };
            if new.is_empty() {
                continue;
            }
            let old: Vec<TestResult> = p.tests.iter().filter(|t| t.top_level() == top).cloned().collect();
            let old_top = old.iter().find(|t| t.name == top).cloned();
            let mut replacement = new;
            if let (Some(old_top), Some(new_top)) = (old_top, replacement.iter_mut().find(|t| t.name == top)) {
                let mut attempts = old_top.attempts.clone();
                attempts.push(Attempt {
                    verdict: old_top.verdict,
                    leak: old_top.leak_line(),
                    output: old_top.output.clone(),
                    elapsed: old_top.elapsed,
                });
                new_top.attempts = attempts;
            }
            p.tests.retain(|t| t.top_level() != top);
            let at = first.min(p.tests.len());
            p.tests.splice(at..at, replacement);
        }
        // A crash the rerun did not repeat is gone; one it did stays.
        let crashed_tests_pass = p.crash.as_ref().is_some_and(|c| {
            c.tests
                .iter()
                .all(|name| p.tests.iter().any(|t| &t.name == name && !t.verdict.is_failure()))
        });
        if crashed_tests_pass {
            p.crash = again.crash.clone();
        }
        // A rerun leakcheck could not vouch for fails the package as the
        // first run would.
        if matches!(again.check, super::CheckState::NotChecked(_)) {
            p.check = again.check.clone();
        }
        p.recompute_status();
    }
}

impl TestResult {
    /// Its leak in one line, for an earlier run: the leak's summary, or
    /// that a subtest leaked when it leaked only through one.
    pub fn leak_line(&self) -> Option<String> {
        if self.failed_by_subtest {
            return Some(SUBTEST_LEAKED.to_string());
        }
        self.leak.as_ref().filter(|l| l.total > 0).map(|l| l.summary())
    }

    /// Failed or leaked earlier, passed on a rerun.
    pub fn flaky(&self) -> bool {
        self.verdict == Verdict::Passed && !self.attempts.is_empty()
    }
}
