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
/// (and its subtests) replaces the earlier entries of the runs that failed,
/// which become its attempts; runs that passed stay as they were.
///
/// `count`: the first run's `-count` (runs of a test per `-cpu` value); a
/// rerun runs each test once per `-cpu` value.
pub fn merge(results: &mut [PackageResult], rerun: Vec<PackageResult>, count: u32) {
    for again in rerun {
        let Some(p) = results.iter_mut().find(|p| p.import_path == again.import_path) else {
            continue;
        };
        for top in failing_names(p) {
            let new: Vec<TestResult> = again.tests.iter().filter(|t| t.top_level() == top).cloned().collect();
            for (replaced, new_run) in replacements(p, &top, &new, count) {
                replace_runs(p, &top, &replaced, &new, new_run);
            }
        }
        // A crash stays, even when the tests it cut short pass on a
        // rerun: the tests after it never ran (nor, after the last test,
        // the rest of TestMain), and the rerun runs only the failed ones.
        // A rerun leakcheck could not vouch for fails the package as the
        // first run would.
        if matches!(again.check, super::CheckState::NotChecked(_)) {
            p.check = again.check.clone();
        }
        p.recompute_status();
    }
}

/// Which earlier runs of `top` each run of its rerun stands for. go test
/// runs a test `count` times for each `-cpu` value in turn (runs 1 to
/// `count` under the first value, …); the rerun, once for each value. So
/// each rerun run stands for the failed runs under its `-cpu` value; a
/// rerun run whose value had no failed run replaces nothing. Runs that
/// passed are not replaced.
fn replacements(p: &PackageResult, top: &str, new: &[TestResult], count: u32) -> Vec<(Vec<u32>, u32)> {
    let count = count.max(1);
    let mut failed: Vec<u32> = p
        .tests
        .iter()
        .filter(|t| t.top_level() == top && t.fails())
        .map(|t| t.run)
        .collect();
    failed.sort_unstable();
    failed.dedup();
    let mut new_runs: Vec<u32> = new.iter().map(|t| t.run).collect();
    new_runs.sort_unstable();
    new_runs.dedup();
    let old_runs: Vec<u32> = p.tests.iter().filter(|t| t.top_level() == top).map(|t| t.run).collect();
    new_runs
        .into_iter()
        .filter_map(|n| {
            let slot = n - 1;
            let replaced: Vec<u32> = failed.iter().copied().filter(|r| (r - 1) / count == slot).collect();
            if !replaced.is_empty() {
                return Some((replaced, n));
            }
            // Its value's runs passed, but it failed: it is not lost (it
            // stands for the last of them, which becomes its attempt).
            let fails = new.iter().any(|t| t.run == n && t.fails());
            let last = old_runs.iter().copied().filter(|r| (r - 1) / count == slot).max();
            last.filter(|_| fails).map(|r| (vec![r], n))
        })
        .collect()
}

/// Replaces the entries of `top`'s runs `replaced` with those of the
/// rerun's run `new_run` (numbered as the first replaced run), whose top
/// entry takes the replaced runs as attempts, in order.
fn replace_runs(p: &mut PackageResult, top: &str, replaced: &[u32], new: &[TestResult], new_run: u32) {
    let mut attempts = Vec::new();
    for &r in replaced {
        if let Some(old_top) = p.tests.iter().find(|t| t.name == top && t.run == r) {
            attempts.extend(old_top.attempts.iter().cloned());
            attempts.push(Attempt {
                verdict: old_top.verdict,
                leak: old_top.leak_line(),
                output: old_top.output.clone(),
                elapsed: old_top.elapsed,
            });
        }
    }
    let mut replacement: Vec<TestResult> = new.iter().filter(|t| t.run == new_run).cloned().collect();
    for t in &mut replacement {
        t.run = replaced[0];
        if t.name == top {
            t.attempts = attempts.clone();
        }
    }
    let is_replaced = |t: &TestResult| t.top_level() == top && replaced.contains(&t.run);
    let Some(at) = p.tests.iter().position(is_replaced) else {
        return;
    };
    p.tests.retain(|t| !is_replaced(t));
    p.tests.splice(at..at, replacement);
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
