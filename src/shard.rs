//! Sharding: run one of N slices of the packages (`--shard K/N`), so a suite
//! can fan out over a CI system's parallel jobs and be merged afterwards
//! (`leakcheck merge`).
//!
//! Packages are the unit: a package's tests share one test binary and one
//! process, and leakcheck's checks (the helper's `TestMain`) are per
//! package. Every CI job computes the split on its own, so the split is a
//! pure function of its inputs (the package list, N, the timings file):
//! same inputs, same split on every machine, each package in exactly one
//! shard.
//!
//! - Without timings, packages are dealt round robin in import path order:
//!   the i-th package (from 0) goes to shard i mod N + 1, so shard sizes differ
//!   by at most one. (A hash of the import path would also be stable, but
//!   leaves shards lopsided on small module counts: on go-fixtures' 20
//!   packages FNV-1a mod 3 gives shards of 4, 5 and 11.)
//! - With `--shard-timings`, packages with tests are packed
//!   longest-processing-time first: slowest first (ties by import path),
//!   each onto the least loaded shard (ties to the lowest shard). Times are
//!   whole milliseconds, so the packing does not depend on float rounding.
//!   Packages the file does not know count at the median of its times.
//! - Only packages with tests count for balance. Packages without test
//!   files (go test only prints `[no test files]` for them) are dealt round
//!   robin among themselves, in both modes, so each is still reported
//!   exactly once and none of them piles up in one shard.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::discover::GoPackage;
use crate::error::{Error, Result};
use crate::report::schema;

/// One shard: `index` of `total`, counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, 1 ..= total.
    pub index: u64,
    /// How many shards.
    pub total: u64,
}

impl Shard {
    /// Shard `index` of `total`, checked: 1 ≤ index ≤ total.
    pub fn new(index: u64, total: u64) -> std::result::Result<Shard, String> {
        if total == 0 {
            return Err(format!("{index}/{total}: N must be at least 1"));
        }
        if index == 0 {
            return Err(format!(
                "{index}/{total}: shards count from 1 (1/{total} to {total}/{total})"
            ));
        }
        if index > total {
            return Err(format!(
                "{index}/{total}: K must be between 1 and N (1/{total} to {total}/{total})"
            ));
        }
        Ok(Shard { index, total })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

/// What `--shard` says: a shard, or `auto` (from the CI system's variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    /// `--shard K/N`.
    Fixed(Shard),
    /// `--shard auto`.
    Auto,
}

impl ShardArg {
    /// The shard, reading the CI variables through `lookup` for `auto`
    /// (a function, so tests need not touch the process environment).
    pub fn resolve(self, lookup: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        match self {
            ShardArg::Fixed(s) => Ok(s),
            ShardArg::Auto => from_ci(lookup).map_err(Error::Usage),
        }
    }
}

/// Parses `--shard`: `K/N` or `auto` (clap's value parser).
pub fn parse_arg(s: &str) -> std::result::Result<ShardArg, String> {
    if s == "auto" {
        return Ok(ShardArg::Auto);
    }
    let usage = || format!("`{s}` is not K/N (e.g. 2/4, shards counted from 1) or auto");
    let (k, n) = s.split_once('/').ok_or_else(usage)?;
    let number = |v: &str| {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(usage());
        }
        v.parse::<u64>().map_err(|_| usage())
    };
    Shard::new(number(k)?, number(n)?).map(ShardArg::Fixed)
}

/// A CI system's parallel-job variables.
#[derive(Debug, Clone, Copy)]
pub struct CiSystem {
    /// The system's name, for messages.
    pub name: &'static str,
    /// The variable holding this job's index.
    pub index: &'static str,
    /// The variable holding the number of jobs.
    pub total: &'static str,
    /// What the first job's index is: 0 or 1.
    pub base: u64,
}

/// The systems `--shard auto` knows, in the order it looks for them, with
/// each one's documented index base: GitLab's `CI_NODE_INDEX` runs from 1
/// (and only `CI_NODE_TOTAL=1` is set in a job without `parallel:`);
/// CircleCI's `CIRCLE_NODE_INDEX` from 0 to `CIRCLE_NODE_TOTAL`-1;
/// Buildkite's `BUILDKITE_PARALLEL_JOB` from 0.
pub const CI_SYSTEMS: [CiSystem; 3] = [
    CiSystem {
        name: "GitLab",
        index: "CI_NODE_INDEX",
        total: "CI_NODE_TOTAL",
        base: 1,
    },
    CiSystem {
        name: "CircleCI",
        index: "CIRCLE_NODE_INDEX",
        total: "CIRCLE_NODE_TOTAL",
        base: 0,
    },
    CiSystem {
        name: "Buildkite",
        index: "BUILDKITE_PARALLEL_JOB",
        total: "BUILDKITE_PARALLEL_JOB_COUNT",
        base: 0,
    },
];

/// The shard the CI system's variables name (the first system in
/// [`CI_SYSTEMS`] with any of its variables set). Every error is one line
/// that names the variables.
pub fn from_ci(lookup: impl Fn(&str) -> Option<String>) -> std::result::Result<Shard, String> {
    let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    for ci in CI_SYSTEMS {
        let (index, total) = match (get(ci.index), get(ci.total)) {
            (None, None) => continue,
            // A job that does not run in parallel (GitLab sets only the total).
            (None, Some(t)) if t == "1" => return Ok(Shard { index: 1, total: 1 }),
            (None, Some(t)) => {
                return Err(format!(
                    "--shard auto: {} is set ({t}) but {} is not ({})",
                    ci.total, ci.index, ci.name
                ))
            }
            (Some(i), None) => {
                return Err(format!(
                    "--shard auto: {} is set ({i}) but {} is not ({})",
                    ci.index, ci.total, ci.name
                ))
            }
            (Some(i), Some(t)) => (i, t),
        };
        let number = |var: &str, v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("--shard auto: {var}={v} is not a whole number ({})", ci.name))
        };
        let (i, t) = (number(ci.index, &index)?, number(ci.total, &total)?);
        let first = ci.base;
        let last = t.saturating_add(ci.base).saturating_sub(1);
        if t == 0 {
            return Err(format!(
                "--shard auto: {}=0, there must be at least 1 job ({})",
                ci.total, ci.name
            ));
        }
        if i < first || i > last {
            return Err(format!(
                "--shard auto: {}={i} is outside {first}..={last} for {}={t} ({} counts jobs from {first})",
                ci.index, ci.total, ci.name
            ));
        }
        return Shard::new(i - ci.base + 1, t).map_err(|e| format!("--shard auto: {e}"));
    }
    let names: Vec<String> = CI_SYSTEMS
        .iter()
        .map(|c| format!("{} {}/{}", c.name, c.index, c.total))
        .collect();
    Err(format!(
        "--shard auto: no CI parallel-job variables are set (looked for {}); use --shard K/N",
        names.join(", ")
    ))
}

/// Package run times from an earlier run's report, by import path.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Where they came from.
    pub source: PathBuf,
    /// Seconds per import path.
    pub seconds: BTreeMap<String, f64>,
}

impl Timings {
    /// Reads a JUnit XML file (`<testsuite name=IMPORTPATH time=SECONDS>`,
    /// as leakcheck, gotestsum and go-junit-report write it) or a leakcheck
    /// `--report-json` file (`packages[].import_path`, `packages[].elapsed`),
    /// told apart by their first character.
    pub fn load(path: &Path) -> Result<Timings> {
        let text = crate::config::read_input(path, 4 << 30).map_err(|e| Error::io("cannot read", path, e))?;
        Timings::parse(&text)
            .map(|seconds| Timings {
                source: path.to_path_buf(),
                seconds,
            })
            .map_err(|e| Error::Usage(format!("--shard-timings {}: {e}", path.display())))
    }

    /// Parses either kind of file; see [`Timings::load`].
    pub fn parse(text: &str) -> std::result::Result<BTreeMap<String, f64>, String> {
        match text.trim_start_matches('\u{feff}').trim_start().chars().next() {
            Some('{') => from_report_json(text),
            Some('<') => from_junit(text),
            _ => Err("neither JUnit XML nor a leakcheck --report-json file".into()),
        }
    }

    /// The median of the times, in milliseconds; `None` when there are none.
    fn median_ms(&self) -> Option<u64> {
        let mut all: Vec<u64> = self.seconds.values().map(|s| millis(*s)).collect();
        all.sort_unstable();
        match all.len() {
            0 => None,
            n if n % 2 == 1 => Some(all[n / 2]),
            n => Some((all[n / 2 - 1] + all[n / 2]) / 2),
        }
    }
}

/// Package times from a `--report-json` report, read through the report's
/// schema (so a file that is not one is refused naming the field).
fn from_report_json(text: &str) -> std::result::Result<BTreeMap<String, f64>, String> {
    let report = schema::read_report(text)?;
    let mut out = BTreeMap::new();
    for p in &report.packages {
        // No test binary ran: no time to learn from. A cached result's time
        // is the cache lookup's, not the tests'.
        if p.status == schema::Status::NoTestFiles || p.check == schema::Check::Cached {
            continue;
        }
        *out.entry(p.import_path.clone()).or_insert(0.0) += p.elapsed.max(0.0);
    }
    Ok(out)
}

/// Package times from JUnit, read by the one JUnit reader: each
/// testsuite's name and time. Elements the reader does not know (other
/// tools' extensions) do not matter here.
fn from_junit(text: &str) -> std::result::Result<BTreeMap<String, f64>, String> {
    let read = schema::read_junit(text)?;
    let mut out = BTreeMap::new();
    for suite in &read.report.test_suites {
        if let Some(time) = suite.time {
            *out.entry(suite.name.to_string()).or_insert(0.0) += time.as_secs_f64();
        }
    }
    Ok(out)
}

fn millis(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).round() as u64
    } else {
        0
    }
}

/// How a plan was made.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Round robin in import path order.
    RoundRobin,
    /// By run times.
    Timings {
        /// The timings file.
        source: PathBuf,
        /// Packages with tests the file did not know.
        missing: usize,
        /// The time they were counted at (ms): the file's median.
        fill_ms: u64,
    },
}

/// Which shard every package is in.
#[derive(Debug, Clone)]
pub struct Plan {
    /// How many shards.
    pub total: u64,
    /// Import paths, sorted, with whether each has tests.
    pub packages: Vec<(String, bool)>,
    /// The shard (0-based) of each package, in the order of `packages`.
    pub shard_of: Vec<u64>,
    /// With timings: each package's expected time in ms (0 without tests).
    pub expected_ms: Option<Vec<u64>>,
    /// How the plan was made.
    pub method: Method,
}

impl Plan {
    /// Splits `packages` into `total` shards, by `timings` when given, else
    /// round robin. See the module documentation for the rules.
    pub fn new(packages: &[GoPackage], total: u64, timings: Option<&Timings>) -> Plan {
        let total = total.max(1);
        let mut list: Vec<(String, bool)> = packages
            .iter()
            .map(|p| (p.import_path.clone(), p.has_tests()))
            .collect();
        list.sort();
        list.dedup_by(|a, b| a.0 == b.0);
        // Round robin, separately for packages with and without tests.
        let mut shard_of = vec![0u64; list.len()];
        for tests in [true, false] {
            let of_kind = (0..list.len()).filter(|&i| list[i].1 == tests);
            for (n, i) in of_kind.enumerate() {
                shard_of[i] = n as u64 % total;
            }
        }
        let Some(timings) = timings else {
            return Plan {
                total,
                packages: list,
                shard_of,
                expected_ms: None,
                method: Method::RoundRobin,
            };
        };
        let fill_ms = timings.median_ms().unwrap_or(1000);
        let mut missing = 0;
        let expected: Vec<u64> = list
            .iter()
            .map(|(path, has_tests)| match (has_tests, timings.seconds.get(path)) {
                (false, _) => 0,
                (true, Some(s)) => millis(*s),
                (true, None) => {
                    missing += 1;
                    fill_ms
                }
            })
            .collect();
        // Longest processing time first, ties by import path (the list is
        // sorted, and the sort is stable).
        let mut order: Vec<usize> = (0..list.len()).filter(|&i| list[i].1).collect();
        order.sort_by(|&a, &b| expected[b].cmp(&expected[a]));
        let mut load = vec![0u64; total as usize];
        for i in order {
            let (shard, _) = load
                .iter()
                .enumerate()
                .min_by_key(|(k, l)| (**l, *k))
                .expect("at least one shard");
            load[shard] += expected[i];
            shard_of[i] = shard as u64;
        }
        Plan {
            total,
            packages: list,
            shard_of,
            expected_ms: Some(expected),
            method: Method::Timings {
                source: timings.source.clone(),
                missing,
                fill_ms,
            },
        }
    }

    /// The import paths in `shard`, sorted.
    pub fn packages_in(&self, shard: Shard) -> Vec<&str> {
        self.packages
            .iter()
            .zip(&self.shard_of)
            .filter(|(_, s)| **s + 1 == shard.index)
            .map(|((p, _), _)| p.as_str())
            .collect()
    }

    /// Expected ms per shard (0-based), with timings.
    pub fn loads_ms(&self) -> Option<Vec<u64>> {
        let expected = self.expected_ms.as_ref()?;
        let mut load = vec![0u64; self.total as usize];
        for (s, ms) in self.shard_of.iter().zip(expected) {
            load[*s as usize] += ms;
        }
        Some(load)
    }

    /// One line on what `shard` holds and how it was chosen.
    pub fn describe(&self, shard: Shard) -> String {
        let n = self.packages_in(shard).len();
        let all = self.packages.len();
        if n == 0 {
            return format!("nothing to run in shard {shard}: all {all} packages are in other shards");
        }
        let what = format!("shard {shard}: {n} of {all} packages");
        match (&self.method, self.loads_ms()) {
            (
                Method::Timings {
                    source,
                    missing,
                    fill_ms,
                },
                Some(loads),
            ) => {
                let mine = loads.get((shard.index - 1) as usize).copied().unwrap_or(0);
                let sum: u64 = loads.iter().sum();
                let mut line = format!(
                    "{what}, expected {:.1}s of {:.1}s (balanced by the times in {})",
                    mine as f64 / 1000.0,
                    sum as f64 / 1000.0,
                    source.display()
                );
                if *missing > 0 {
                    line.push_str(&format!(
                        "; {missing} not in it counted at the median, {:.1}s",
                        *fill_ms as f64 / 1000.0
                    ));
                }
                line
            }
            _ => format!("{what} (dealt round robin by import path; --shard-timings balances by time)"),
        }
    }
}

/// `--shard` and its companions, resolved.
#[derive(Debug, Clone)]
pub struct ShardOptions {
    /// The shard to run.
    pub shard: Shard,
    /// `--shard-timings`, relative to the run's directory.
    pub timings: Option<PathBuf>,
    /// `--shard-list`: print the shard's packages instead of testing them.
    pub list: bool,
}

/// The packages a shard runs.
#[derive(Debug)]
pub struct Selection {
    /// The selected packages, sorted by import path.
    pub packages: Vec<GoPackage>,
    /// One line describing the selection.
    pub summary: String,
}

impl Selection {
    /// The import paths, for go test instead of the user's patterns.
    pub fn import_paths(&self) -> Vec<String> {
        self.packages.iter().map(|p| p.import_path.clone()).collect()
    }
}

impl ShardOptions {
    /// Keeps the packages of this shard.
    pub fn select(&self, dir: &Path, packages: Vec<GoPackage>) -> Result<Selection> {
        let timings = match &self.timings {
            Some(path) => Some(Timings::load(&dir.join(path))?),
            None => None,
        };
        let plan = Plan::new(&packages, self.shard.total, timings.as_ref());
        let keep: std::collections::BTreeSet<&str> = plan.packages_in(self.shard).into_iter().collect();
        let mut selected: Vec<GoPackage> = packages
            .into_iter()
            .filter(|p| keep.contains(p.import_path.as_str()))
            .collect();
        selected.sort_by(|a, b| a.import_path.cmp(&b.import_path));
        selected.dedup_by(|a, b| a.import_path == b.import_path);
        Ok(Selection {
            packages: selected,
            summary: plan.describe(self.shard),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(path: &str, tests: bool) -> GoPackage {
        GoPackage {
            import_path: path.into(),
            test_go_files: if tests { vec!["x_test.go".into()] } else { vec![] },
            ..Default::default()
        }
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn spec_parsing() {
        assert_eq!(parse_arg("2/4"), Ok(ShardArg::Fixed(Shard { index: 2, total: 4 })));
        assert_eq!(parse_arg("1/1"), Ok(ShardArg::Fixed(Shard { index: 1, total: 1 })));
        assert_eq!(parse_arg("auto"), Ok(ShardArg::Auto));
        for bad in [
            "0/3",
            "4/3",
            "1/0",
            "0/0",
            "x",
            "",
            "1/",
            "/3",
            "1/3/5",
            "-1/3",
            "+1/3",
            " 1/3",
            "1.0/3",
            "a/b",
            "auto/2",
            "99999999999999999999/1",
        ] {
            assert!(parse_arg(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_arg("0/3").unwrap_err().contains("count from 1"));
        assert!(parse_arg("4/3").unwrap_err().contains("between 1 and N"));
        assert!(parse_arg("x").unwrap_err().contains("not K/N"));
    }

    #[test]
    fn auto_reads_each_ci_system_with_its_index_base() {
        // GitLab counts from 1.
        let s = from_ci(env(&[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "4")])).unwrap();
        assert_eq!(s, Shard { index: 1, total: 4 });
        let s = from_ci(env(&[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "4")])).unwrap();
        assert_eq!(s, Shard { index: 4, total: 4 });
        // CircleCI and Buildkite count from 0.
        let s = from_ci(env(&[("CIRCLE_NODE_INDEX", "0"), ("CIRCLE_NODE_TOTAL", "4")])).unwrap();
        assert_eq!(s, Shard { index: 1, total: 4 });
        let s = from_ci(env(&[("CIRCLE_NODE_INDEX", "3"), ("CIRCLE_NODE_TOTAL", "4")])).unwrap();
        assert_eq!(s, Shard { index: 4, total: 4 });
        let s = from_ci(env(&[
            ("BUILDKITE_PARALLEL_JOB", "0"),
            ("BUILDKITE_PARALLEL_JOB_COUNT", "3"),
        ]))
        .unwrap();
        assert_eq!(s, Shard { index: 1, total: 3 });
        let s = from_ci(env(&[
            ("BUILDKITE_PARALLEL_JOB", "2"),
            ("BUILDKITE_PARALLEL_JOB_COUNT", "3"),
        ]))
        .unwrap();
        assert_eq!(s, Shard { index: 3, total: 3 });
        // A GitLab job without `parallel:` has only CI_NODE_TOTAL=1.
        let s = from_ci(env(&[("CI_NODE_TOTAL", "1")])).unwrap();
        assert_eq!(s, Shard { index: 1, total: 1 });
        // A CircleCI job without parallelism.
        let s = from_ci(env(&[("CIRCLE_NODE_INDEX", "0"), ("CIRCLE_NODE_TOTAL", "1")])).unwrap();
        assert_eq!(s, Shard { index: 1, total: 1 });
        // Surrounding whitespace is forgiven.
        let s = from_ci(env(&[("CI_NODE_INDEX", " 2 "), ("CI_NODE_TOTAL", "2\n")])).unwrap();
        assert_eq!(s, Shard { index: 2, total: 2 });
    }

    #[test]
    fn auto_rejects_missing_and_invalid_values_in_one_line() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "no CI parallel-job variables"),
            (
                &[("CI_NODE_INDEX", ""), ("CI_NODE_TOTAL", "")],
                "no CI parallel-job variables",
            ),
            (
                &[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")],
                "CI_NODE_INDEX=0 is outside 1..=3",
            ),
            (
                &[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "3")],
                "CI_NODE_INDEX=4 is outside 1..=3",
            ),
            (&[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "0")], "CI_NODE_TOTAL=0"),
            (
                &[("CI_NODE_INDEX", "one"), ("CI_NODE_TOTAL", "3")],
                "CI_NODE_INDEX=one is not a whole number",
            ),
            (
                &[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "-3")],
                "CI_NODE_TOTAL=-3 is not a whole number",
            ),
            (&[("CI_NODE_INDEX", "2")], "CI_NODE_TOTAL is not"),
            (&[("CI_NODE_TOTAL", "3")], "CI_NODE_INDEX is not"),
            (
                &[("CIRCLE_NODE_INDEX", "4"), ("CIRCLE_NODE_TOTAL", "4")],
                "CIRCLE_NODE_INDEX=4 is outside 0..=3",
            ),
            (
                &[("CIRCLE_NODE_INDEX", "1.5"), ("CIRCLE_NODE_TOTAL", "4")],
                "not a whole number",
            ),
            (
                &[("BUILDKITE_PARALLEL_JOB", "3"), ("BUILDKITE_PARALLEL_JOB_COUNT", "3")],
                "outside 0..=2",
            ),
            (
                &[("BUILDKITE_PARALLEL_JOB", "0"), ("BUILDKITE_PARALLEL_JOB_COUNT", "0")],
                "=0",
            ),
        ];
        for (vars, want) in cases {
            let err = from_ci(env(vars)).unwrap_err();
            assert!(err.contains(want), "{vars:?}: {err}");
            assert!(err.starts_with("--shard auto: "), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
        let err = ShardArg::Auto.resolve(env(&[])).unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "auto errors are usage errors (exit 2)");
    }

    fn module(n: usize) -> Vec<GoPackage> {
        (0..n)
            .map(|i| pkg(&format!("example.com/m/p{i:02}"), i % 7 != 3))
            .collect()
    }

    /// Every package in exactly one shard, whatever the method.
    fn assert_partition(packages: &[GoPackage], total: u64, timings: Option<&Timings>) {
        let plan = Plan::new(packages, total, timings);
        let mut seen = std::collections::BTreeMap::new();
        for k in 1..=total {
            for p in plan.packages_in(Shard { index: k, total }) {
                assert!(seen.insert(p.to_string(), k).is_none(), "{p} is in two shards");
            }
        }
        let all: std::collections::BTreeSet<String> = packages.iter().map(|p| p.import_path.clone()).collect();
        assert_eq!(seen.keys().cloned().collect::<std::collections::BTreeSet<_>>(), all);
    }

    #[test]
    fn every_package_is_in_exactly_one_shard() {
        let pkgs = module(23);
        let mut timings = Timings::default();
        for (i, p) in pkgs.iter().enumerate().step_by(2) {
            timings.seconds.insert(p.import_path.clone(), (i % 5) as f64 * 0.7);
        }
        for total in 1..=30 {
            assert_partition(&pkgs, total, None);
            assert_partition(&pkgs, total, Some(&timings));
        }
    }

    #[test]
    fn the_split_ignores_input_order_and_duplicates() {
        let pkgs = module(17);
        let mut shuffled = pkgs.clone();
        shuffled.reverse();
        shuffled.push(pkgs[4].clone());
        let timings = Timings {
            seconds: pkgs.iter().map(|p| (p.import_path.clone(), 1.5)).collect(),
            ..Default::default()
        };
        for t in [None, Some(&timings)] {
            let a = Plan::new(&pkgs, 4, t);
            let b = Plan::new(&shuffled, 4, t);
            assert_eq!(a.packages, b.packages);
            assert_eq!(a.shard_of, b.shard_of);
        }
    }

    #[test]
    fn without_timings_packages_are_dealt_round_robin() {
        let pkgs: Vec<GoPackage> = ["e", "a", "d", "b", "c"].iter().map(|p| pkg(p, true)).collect();
        let plan = Plan::new(&pkgs, 2, None);
        assert_eq!(plan.packages_in(Shard { index: 1, total: 2 }), ["a", "c", "e"]);
        assert_eq!(plan.packages_in(Shard { index: 2, total: 2 }), ["b", "d"]);
        assert_eq!(plan.method, Method::RoundRobin);
        // Shard sizes differ by at most one, counting packages with tests.
        let pkgs = module(40);
        for total in 1..=12 {
            let plan = Plan::new(&pkgs, total, None);
            let sizes: Vec<usize> = (1..=total)
                .map(|k| {
                    plan.packages_in(Shard { index: k, total })
                        .iter()
                        .filter(|p| pkgs.iter().any(|q| q.import_path == **p && q.has_tests()))
                        .count()
                })
                .collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{total}: {sizes:?}");
        }
    }

    #[test]
    fn timings_pack_longest_first_onto_the_least_loaded_shard() {
        let pkgs: Vec<GoPackage> = ["a", "b", "c", "d", "e"].iter().map(|p| pkg(p, true)).collect();
        let timings = Timings {
            seconds: [("a", 8.0), ("b", 7.0), ("c", 6.0), ("d", 5.0), ("e", 4.0)]
                .iter()
                .map(|(p, s)| (p.to_string(), *s))
                .collect(),
            ..Default::default()
        };
        let plan = Plan::new(&pkgs, 2, Some(&timings));
        // a(8)→1; b(7)→2; c(6)→2 (7 < 8) = 13; d(5)→1 = 13; e(4)→1 (13 = 13,
        // the lower shard wins) = 17.
        assert_eq!(plan.packages_in(Shard { index: 1, total: 2 }), ["a", "d", "e"]);
        assert_eq!(plan.packages_in(Shard { index: 2, total: 2 }), ["b", "c"]);
        assert_eq!(plan.loads_ms(), Some(vec![17000, 13000]));
    }

    #[test]
    fn equal_times_tie_by_import_path() {
        let pkgs: Vec<GoPackage> = ["d", "b", "a", "c"].iter().map(|p| pkg(p, true)).collect();
        let timings = Timings {
            seconds: ["a", "b", "c", "d"].iter().map(|p| (p.to_string(), 1.0)).collect(),
            ..Default::default()
        };
        let plan = Plan::new(&pkgs, 2, Some(&timings));
        assert_eq!(plan.packages_in(Shard { index: 1, total: 2 }), ["a", "c"]);
        assert_eq!(plan.packages_in(Shard { index: 2, total: 2 }), ["b", "d"]);
    }

    #[test]
    fn unknown_packages_count_at_the_median() {
        let pkgs: Vec<GoPackage> = ["a", "b", "c", "new1", "new2"].iter().map(|p| pkg(p, true)).collect();
        let timings = Timings {
            source: "t.json".into(),
            seconds: [("a", 1.0), ("b", 3.0), ("c", 10.0), ("gone", 2.0)]
                .iter()
                .map(|(p, s)| (p.to_string(), *s))
                .collect(),
        };
        let plan = Plan::new(&pkgs, 2, Some(&timings));
        // Median of 1, 2, 3, 10 is 2.5.
        assert_eq!(
            plan.method,
            Method::Timings {
                source: "t.json".into(),
                missing: 2,
                fill_ms: 2500
            }
        );
        assert_eq!(plan.expected_ms, Some(vec![1000, 3000, 10000, 2500, 2500]));
        let line = plan.describe(Shard { index: 1, total: 2 });
        assert!(line.contains("2 not in it counted at the median, 2.5s"), "{line}");
    }

    #[test]
    fn packages_without_tests_are_dealt_round_robin_among_themselves() {
        let mut pkgs: Vec<GoPackage> = ["t1", "t2", "t3"].iter().map(|p| pkg(p, true)).collect();
        pkgs.extend(["n1", "n2", "n3", "n4"].iter().map(|p| pkg(p, false)));
        let timings = Timings {
            seconds: [("t1", 9.0), ("t2", 1.0), ("t3", 1.0)]
                .iter()
                .map(|(p, s)| (p.to_string(), *s))
                .collect(),
            ..Default::default()
        };
        for t in [None, Some(&timings)] {
            let plan = Plan::new(&pkgs, 3, t);
            let untested = |k| -> Vec<&str> {
                plan.packages_in(Shard { index: k, total: 3 })
                    .into_iter()
                    .filter(|p| p.starts_with('n'))
                    .collect()
            };
            assert_eq!(untested(1), ["n1", "n4"]);
            assert_eq!(untested(2), ["n2"]);
            assert_eq!(untested(3), ["n3"]);
        }
    }

    #[test]
    fn balanced_split_is_near_ideal_on_skewed_times() {
        // A few slow packages among many fast ones: LPT keeps the slowest
        // shard close to ideal; counting packages cannot.
        let pkgs: Vec<GoPackage> = (0..40).map(|i| pkg(&format!("m/p{i:02}"), true)).collect();
        let secs = |i: usize| {
            if i % 10 == 0 {
                2.0 + (i / 10) as f64 * 2.0
            } else {
                0.1 + (i % 5) as f64 * 0.1
            }
        };
        let timings = Timings {
            seconds: (0..40).map(|i| (format!("m/p{i:02}"), secs(i))).collect(),
            ..Default::default()
        };
        let plan = Plan::new(&pkgs, 4, Some(&timings));
        let loads = plan.loads_ms().unwrap();
        let total: u64 = loads.iter().sum();
        let max = *loads.iter().max().unwrap();
        assert!(max as f64 <= total as f64 / 4.0 * 1.25, "{loads:?}");
    }

    #[test]
    fn an_empty_shard_says_so() {
        let pkgs = vec![pkg("example.com/only", true)];
        let plan = Plan::new(&pkgs, 3, None);
        let empty = (1..=3)
            .map(|k| Shard { index: k, total: 3 })
            .find(|s| plan.packages_in(*s).is_empty())
            .unwrap();
        assert_eq!(
            plan.describe(empty),
            format!("nothing to run in shard {empty}: all 1 packages are in other shards")
        );
        let opts = ShardOptions {
            shard: empty,
            timings: None,
            list: false,
        };
        let sel = opts.select(Path::new("."), pkgs).unwrap();
        assert!(sel.packages.is_empty() && sel.import_paths().is_empty());
    }

    #[test]
    fn timings_from_junit() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="0" errors="0" time="3.5">
  <testsuite name="example.com/a" tests="1" time="1.250" timestamp="2024-01-01T00:00:00Z">
    <properties><property name="go.version" value="go1.22"/></properties>
    <testcase classname="example.com/a" name="TestA" time="1.2"/>
  </testsuite>
  <testsuite name="example.com/b" tests="2" time="2.000">
    <testcase name="TestB"><flakyFailure message="Failed"><system-out>x</system-out></flakyFailure></testcase>
    <testcase name="TestC"><failure message="Failed"/><rerunFailure message="Failed"/><custom/></testcase>
  </testsuite>
  <testsuite name="example.com/notime" tests="0"/>
</testsuites>"#;
        // Reruns as leakcheck writes them, and elements of other tools,
        // do not keep the times from being read.
        let t = Timings::parse(xml).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t["example.com/a"], 1.25);
        assert_eq!(t["example.com/b"], 2.0);
        // A bare <testsuite> root (go-junit-report with one package).
        let t = Timings::parse(r#"<testsuite name="p" time="0.5"></testsuite>"#).unwrap();
        assert_eq!(t["p"], 0.5);
        // Zero suites: valid, and empty (an empty shard's report).
        let t = Timings::parse(r#"<testsuites name="leakcheck" tests="0" failures="0" errors="0"></testsuites>"#);
        assert_eq!(t, Ok(BTreeMap::new()));
        assert!(Timings::parse("<html><body/></html>")
            .unwrap_err()
            .contains("not a JUnit report"));
        assert!(Timings::parse("<testsuites>").unwrap_err().contains("not valid XML"));
        assert!(Timings::parse(r#"<testsuite name="p" time="soon"/>"#)
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn timings_from_report_json() {
        let package = |path: &str, status: &str, elapsed: f64, check: &str| {
            serde_json::json!({
                "import_path": path, "status": status, "elapsed": elapsed, "tests": [], "output": "",
                "build_output": "", "main_leak": null, "crash": null, "check": {"state": check},
                "go_version": null, "label_source": null, "proof": false, "warnings": [], "started": null,
                "failed_outside_tests": false, "dir": null,
            })
        };
        let report = |packages: Vec<serde_json::Value>| {
            serde_json::json!({
                "schema_version": 1, "leakcheck_version": "0.1.0", "go_version": "go1.26.8",
                "module_root": "/src", "elapsed_seconds": 2.0, "interrupted": false,
                "totals": {"packages": 0, "tests": 0, "passed": 0, "failed": 0, "leaked_tests": 0,
                           "leaked_goroutines": 0, "skipped": 0, "build_failures": 0, "errors": 0},
                "baseline": null, "packages": packages,
            })
            .to_string()
        };
        let json = report(vec![
            package("example.com/a", "passed", 1.5, "checked"),
            package("example.com/b", "failed", 0.25, "checked"),
            package("example.com/c", "passed", 0.0, "cached"),
            package("example.com/d", "no_test_files", 0.0, "not_applicable"),
        ]);
        let t = Timings::parse(&json).unwrap();
        assert_eq!(t.keys().collect::<Vec<_>>(), ["example.com/a", "example.com/b"]);
        assert_eq!(t["example.com/a"], 1.5);
        assert_eq!(Timings::parse(&report(vec![])), Ok(BTreeMap::new()));
        // Read through the report's schema: what is not a report is
        // refused, naming the field.
        assert!(Timings::parse(r#"{"packages": []}"#)
            .unwrap_err()
            .contains("not a leakcheck --report-json report (no schema_version)"));
        let mut wrong = package("example.com/a", "passed", 1.5, "checked");
        wrong["elapsed"] = "1.5s".into();
        let err = Timings::parse(&report(vec![wrong])).unwrap_err();
        assert!(
            err.contains(r#"packages[0].elapsed: invalid type: string "1.5s", expected a number"#),
            "{err}"
        );
        assert!(Timings::parse("{").unwrap_err().contains("not valid JSON"));
        assert!(Timings::parse("ok  example.com/a 0.1s")
            .unwrap_err()
            .contains("neither"));
        assert!(Timings::parse("").is_err());
    }

    #[test]
    fn timings_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("t.txt");
        std::fs::write(&bad, "nope").unwrap();
        let err = Timings::load(&bad).unwrap_err().to_string();
        assert!(err.starts_with("--shard-timings ") && err.contains("t.txt"), "{err}");
        let err = Timings::load(&dir.path().join("missing.xml")).unwrap_err().to_string();
        assert!(err.contains("cannot read") && err.contains("missing.xml"), "{err}");
    }
}
