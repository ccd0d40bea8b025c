//! `leakcheck merge`: the reports of a sharded run's shards combined into
//! the one report an unsharded run would have written.
//!
//! Shards are disjoint by construction, so merging is concatenation plus
//! bookkeeping: every testsuite (package) once, sorted by name, because the
//! unsharded order (when each package finished) is not reproducible anyway;
//! counts never taken from the inputs but counted again from the merged
//! testcases and packages, by the same code that counts them for one run
//! ([`schema::write_junit`], [`schema::totals`]). Inputs are read through
//! the report schema ([`schema::read_junit`], [`schema::read_report`]), so
//! every file leakcheck writes is taken, reruns and flaky runs included,
//! and a JSON file of another shape is refused naming the field, before
//! anything is added up. A package in two inputs means the inputs are not
//! the shards of one run (the same file twice, shards of different runs or
//! splits): that is an error naming the packages, not something to paper
//! over by picking one. Inputs written by different leakcheck or Go
//! versions are merged, with a warning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{Report, TestSuite};

use crate::error::{Error, ExitCode, Result};
use crate::report::schema;
use crate::report::text::plural;

/// What an input file holds.
#[derive(Debug)]
pub enum Input {
    /// A JUnit XML report.
    Junit(Report),
    /// A leakcheck `--report-json` report.
    Json(Box<schema::Report>),
}

/// Reads one input, telling the kinds apart by the first character.
pub fn read(path: &Path) -> Result<Input> {
    let text = crate::config::read_input(path, 4 << 30).map_err(|e| Error::io("cannot read", path, e))?;
    let bad = |what: String| Error::Usage(format!("merge: {}: {what}", path.display()));
    match text.trim_start_matches('\u{feff}').trim_start().chars().next() {
        Some('<') => {
            let read = schema::read_junit(&text).map_err(bad)?;
            match read.dropped.first() {
                // Merging must not lose what a shard wrote.
                Some(what) => Err(bad(format!(
                    "cannot merge {what}: it is not JUnit as leakcheck reads it"
                ))),
                None => Ok(Input::Junit(read.report)),
            }
        }
        Some('{') => schema::read_report(&text)
            .map(|r| Input::Json(Box::new(r)))
            .map_err(bad),
        _ => Err(bad("neither JUnit XML nor a leakcheck --report-json report".into())),
    }
}

/// Fails, naming them, when packages occur in more than one input.
fn check_unique<'a>(kind: &str, names: impl Iterator<Item = (&'a str, &'a Path)>) -> Result<()> {
    let mut seen: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for (name, path) in names {
        seen.entry(name).or_default().push(path);
    }
    let dups: Vec<String> = seen
        .iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, paths)| {
            let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!("{name} ({})", files.join(", "))
        })
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    let shown = dups.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    let more = if dups.len() > 5 {
        format!("; and {} more", dups.len() - 5)
    } else {
        String::new()
    };
    Err(Error::Usage(format!(
        "merge: {} {kind} in more than one input, so these are not the shards of one run: {shown}{more}",
        if dups.len() == 1 {
            "a package is".to_string()
        } else {
            format!("{} packages are", dups.len())
        }
    )))
}

/// The JUnit reports combined: every testsuite once, sorted by name; the
/// counts are counted from the testcases when written
/// ([`schema::write_junit`]) and the time is the sum of the suites' times
/// (machine time, not wall time: the shards ran side by side).
pub fn merge_junit(inputs: &[(PathBuf, Report)]) -> Result<Report> {
    check_unique(
        "testsuite",
        inputs
            .iter()
            .flat_map(|(path, r)| r.test_suites.iter().map(move |s| (s.name.as_str(), path.as_path()))),
    )?;
    let mut suites: Vec<TestSuite> = inputs.iter().flat_map(|(_, r)| r.test_suites.iter().cloned()).collect();
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    let name = inputs.first().map_or("leakcheck", |(_, r)| r.name.as_str());
    let mut report = Report::new(name);
    if suites.iter().any(|s| s.time.is_some()) {
        report.set_time(suites.iter().filter_map(|s| s.time).sum::<Duration>());
    }
    if let Some(ts) = inputs.iter().filter_map(|(_, r)| r.timestamp).min() {
        report.set_timestamp(ts);
    }
    report.add_test_suites(suites);
    Ok(report)
}

/// The JSON reports combined: packages sorted by import path, `totals`
/// counted again from them by [`schema::totals`] (never taken from the
/// inputs), `elapsed_seconds` summed, `interrupted` if any shard was, the
/// baseline outcomes added up. Other fields come from the first input.
pub fn merge_json(inputs: &[(PathBuf, schema::Report)]) -> Result<schema::Report> {
    check_unique(
        "package",
        inputs.iter().flat_map(|(path, doc)| {
            doc.packages
                .iter()
                .map(move |p| (p.import_path.as_str(), path.as_path()))
        }),
    )?;
    let mut packages: Vec<schema::Package> = inputs.iter().flat_map(|(_, d)| d.packages.iter().cloned()).collect();
    packages.sort_by(|a, b| a.import_path.cmp(&b.import_path));
    let first = inputs.first().map(|(_, d)| d);
    let outcomes: Vec<&schema::Baseline> = inputs.iter().filter_map(|(_, d)| d.baseline.as_ref()).collect();
    let baseline = outcomes.first().map(|first| {
        // Each shard lists the stale entries of the tests it ran; the
        // shards ran disjoint tests.
        let mut stale: Vec<schema::StaleEntry> = outcomes.iter().flat_map(|o| o.stale.iter().cloned()).collect();
        stale.sort();
        stale.dedup();
        schema::Baseline {
            path: first.path.clone(),
            tolerated: outcomes.iter().map(|o| o.tolerated).sum(),
            tolerated_goroutines: outcomes.iter().map(|o| o.tolerated_goroutines).sum(),
            stale,
        }
    });
    Ok(schema::Report::new(
        first.map_or(env!("CARGO_PKG_VERSION"), |d| d.leakcheck_version.as_str()),
        first.map_or("", |d| d.go_version.as_str()),
        first.map_or("", |d| d.module_root.as_str()),
        inputs.iter().map(|(_, d)| d.elapsed_seconds).sum(),
        inputs.iter().any(|(_, d)| d.interrupted),
        baseline,
        packages,
    ))
}

/// A Go version without the experiments the runtime appends
/// (`go1.26.8-X:goroutineleakprofile`, `go1.26.8 X:...`): leakcheck turns
/// those on by itself where it can, package by package.
fn go_release(version: &str) -> &str {
    [" X:", "-X:"]
        .iter()
        .filter_map(|x| version.find(x))
        .min()
        .map_or(version, |i| &version[..i])
        .trim()
}

/// One warning line when the inputs do not all carry the same `what`
/// (versions by file; a file may carry several, or none).
fn mixed(what: &str, by_file: &[(&Path, BTreeSet<String>)]) -> Option<String> {
    let mut files: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (path, versions) in by_file {
        for v in versions {
            files.entry(v.as_str()).or_default().push(path.display().to_string());
        }
    }
    if files.len() < 2 {
        return None;
    }
    let each: Vec<String> = files
        .iter()
        .map(|(v, paths)| {
            let shown = paths.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = if paths.len() > 3 {
                format!(" and {} more", paths.len() - 3)
            } else {
                String::new()
            };
            format!("{v} ({shown}{more})")
        })
        .collect();
    Some(format!(
        "leakcheck: warning: merge: the inputs come from different {what}: {}; merged all the same",
        each.join(", ")
    ))
}

/// The warnings about the inputs' versions: different leakcheck or Go
/// versions among them, and JSON written by another leakcheck than this
/// one (fields this one does not know are not in what it writes).
pub fn version_warnings(junit: &[(PathBuf, Report)], json: &[(PathBuf, schema::Report)]) -> Vec<String> {
    let property = |r: &Report, name: &str, f: &dyn Fn(&str) -> String| -> BTreeSet<String> {
        r.test_suites
            .iter()
            .flat_map(|s| s.properties.iter())
            .filter(|p| p.name.as_str() == name)
            .map(|p| f(p.value.as_str()))
            .filter(|v| !v.is_empty())
            .collect()
    };
    let mut leakcheck: Vec<(&Path, BTreeSet<String>)> = Vec::new();
    let mut go: Vec<(&Path, BTreeSet<String>)> = Vec::new();
    for (path, r) in junit {
        leakcheck.push((path, property(r, "leakcheck.version", &|v| v.to_string())));
        go.push((path, property(r, "go.version", &|v| go_release(v).to_string())));
    }
    for (path, d) in json {
        leakcheck.push((path, [d.leakcheck_version.clone()].into()));
        go.push((path, [go_release(&d.go_version).to_string()].into()));
    }
    let mut warnings: Vec<String> = [mixed("leakcheck versions", &leakcheck), mixed("Go versions", &go)]
        .into_iter()
        .flatten()
        .collect();
    let own = env!("CARGO_PKG_VERSION");
    if let Some((path, d)) = json.iter().find(|(_, d)| d.leakcheck_version != own) {
        warnings.push(format!(
            "leakcheck: warning: merge: {} was written by leakcheck {}, and this is {own}: the merged report \
             has the fields this version knows",
            path.display(),
            d.leakcheck_version
        ));
    }
    warnings
}

/// `leakcheck merge`: reads every input, writes the merged reports asked
/// for, and says what it wrote. Every input must go into an output, so a
/// forgotten flag cannot silently drop shards.
pub fn run(inputs: &[PathBuf], junit_out: Option<PathBuf>, json_out: Option<PathBuf>) -> Result<ExitCode> {
    let mut junit = Vec::new();
    let mut json = Vec::new();
    for path in inputs {
        match read(path)? {
            Input::Junit(r) => junit.push((path.clone(), r)),
            Input::Json(d) => json.push((path.clone(), *d)),
        }
    }
    for (kind, flag, wanted, got) in [
        (
            "JUnit XML",
            "--junitfile",
            junit_out.is_some(),
            junit.first().map(|i| &i.0),
        ),
        (
            "a --report-json report",
            "--report-json",
            json_out.is_some(),
            json.first().map(|i| &i.0),
        ),
    ] {
        match (wanted, got) {
            (true, None) => return Err(Error::Usage(format!("merge: {flag} given, but no input is {kind}"))),
            (false, Some(path)) => {
                return Err(Error::Usage(format!(
                    "merge: {} is {kind}; add {flag} OUT to merge it",
                    path.display()
                )))
            }
            _ => {}
        }
    }
    let outputs: Vec<(&str, &Path)> = [("--junitfile", &junit_out), ("--report-json", &json_out)]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
        .collect();
    crate::report::check_distinct(&outputs)?;
    // Both merged before either is written: a duplicate package writes
    // nothing.
    let merged_junit = junit_out.as_ref().map(|_| merge_junit(&junit)).transpose()?;
    let merged_json = json_out.as_ref().map(|_| merge_json(&json)).transpose()?;
    // A report piped to standard output (`-`) keeps it for itself.
    let piped = crate::report::any_stdout([&junit_out, &json_out]);
    let say = |line: String| {
        if piped {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    for w in version_warnings(&junit, &json) {
        eprintln!("{w}");
    }
    if let (Some(out), Some(mut report)) = (&junit_out, merged_junit) {
        let xml = schema::write_junit(&mut report).map_err(|e| {
            Error::io(
                "cannot write",
                crate::report::report_name(out),
                std::io::Error::other(e),
            )
        })?;
        crate::report::write_report(out, &xml)?;
        let skipped: usize = report
            .test_suites
            .iter()
            .flat_map(|s| &s.test_cases)
            .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. }))
            .count();
        say(format!(
            "leakcheck: merged {} into {}: {}, {}, {}, {}, {} skipped",
            plural(junit.len(), "JUnit file"),
            crate::report::report_name(out).display(),
            plural(report.test_suites.len(), "testsuite"),
            plural(report.tests, "test"),
            plural(report.failures, "failure"),
            plural(report.errors, "error"),
            skipped
        ));
    }
    if let (Some(out), Some(doc)) = (&json_out, merged_json) {
        crate::report::write_report(out, &doc.to_json())?;
        say(format!(
            "leakcheck: merged {} into {}: {}, {}",
            plural(json.len(), "JSON report"),
            crate::report::report_name(out).display(),
            plural(doc.packages.len(), "package"),
            plural(doc.totals.tests, "test")
        ));
    }
    Ok(ExitCode::Passed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestRerun};
    use serde_json::Value;

    fn suite(name: &str, cases: &[(&str, bool)], secs: f64) -> TestSuite {
        let mut s = TestSuite::new(name);
        s.set_time(Duration::from_secs_f64(secs));
        s.add_property(Property::new("go.version", "go1.26.8"));
        s.extra.insert("hostname".into(), "ci-1".into());
        for (case, ok) in cases {
            let status = if *ok {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_type("GoroutineLeak");
                st.set_message("1 goroutine leaked (1 stack)");
                st.set_description("1 goroutine leaked\n\n--- FAIL: TestB (0.50s)\n");
                st
            };
            let mut tc = TestCase::new(*case, status);
            tc.set_classname(name);
            tc.extra.insert("file".into(), "b/b_test.go".into());
            s.add_test_case(tc);
        }
        s
    }

    fn xml(report: &Report) -> String {
        String::from_utf8(schema::write_junit(&mut report.clone()).unwrap()).unwrap()
    }

    fn report(suites: Vec<TestSuite>) -> Report {
        let mut r = Report::new("leakcheck");
        r.add_test_suites(suites);
        // Through the XML and back, as merge reads it.
        let read = schema::read_junit(&xml(&r)).unwrap();
        assert!(read.dropped.is_empty(), "{:?}", read.dropped);
        read.report
    }

    #[test]
    fn junit_suites_once_sorted_counts_and_times_summed() {
        let a = report(vec![
            suite("example.com/c", &[("TestC", true)], 1.0),
            suite("example.com/a", &[("TestA", true)], 0.5),
        ]);
        let b = report(vec![suite("example.com/b", &[("TestB", false), ("TestB2", true)], 2.0)]);
        let empty = report(vec![]);
        let merged = merge_junit(&[("1.xml".into(), a), ("2.xml".into(), empty), ("3.xml".into(), b)]).unwrap();
        let names: Vec<&str> = merged.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["example.com/a", "example.com/b", "example.com/c"]);
        assert_eq!((merged.tests, merged.failures, merged.errors), (4, 1, 0));
        assert_eq!(merged.time, Some(Duration::from_millis(3500)));
        // Properties, extra attributes and failure bodies survive.
        let b = &merged.test_suites[1];
        assert_eq!(b.properties[0].value.as_str(), "go1.26.8");
        assert_eq!(b.extra.get("hostname").map(|h| h.as_str()), Some("ci-1"));
        assert_eq!(
            b.test_cases[0].extra.get("file").map(|h| h.as_str()),
            Some("b/b_test.go")
        );
        let xml = xml(&merged);
        assert!(xml.contains("--- FAIL: TestB (0.50s)"), "{xml}");
        assert!(roxmltree::Document::parse(&xml).is_ok());
    }

    /// Every element leakcheck writes for reruns (`--rerun-fails`) and
    /// skips is read back, texts exactly, counts counted again: what merge
    /// writes is what it read.
    #[test]
    fn junit_reruns_flaky_runs_and_skips_survive_a_merge() {
        let rerun = |kind, message: &str, flaky: bool| {
            let mut r = TestRerun::new(kind);
            r.set_message(message);
            r.set_type(if flaky { "Failure" } else { "Panic" });
            r.set_time(Duration::from_millis(10));
            r.set_stack_trace("    a_test.go:3: boom\n--- FAIL: TestX (0.01s)\n");
            r.set_system_out("=== RUN   TestX\n    a_test.go:3: boom\n--- FAIL: TestX (0.01s)\n");
            r
        };
        let mut s = TestSuite::new("example.com/a");
        let mut flaky = TestCaseStatus::success();
        flaky.add_rerun(rerun(NonSuccessKind::Failure, "Failed", true));
        flaky.add_rerun(rerun(NonSuccessKind::Error, "test panicked", true));
        s.add_test_case(TestCase::new("TestFlaky", flaky));
        let mut failed = TestCaseStatus::non_success(NonSuccessKind::Failure);
        failed.set_message("Failed");
        failed.set_type("Failure");
        failed.set_description("    a_test.go:3: boom\n--- FAIL: TestX (0.01s)\n");
        failed.add_rerun(rerun(NonSuccessKind::Failure, "Failed", false));
        failed.add_rerun(rerun(NonSuccessKind::Error, "test panicked", false));
        s.add_test_case(TestCase::new("TestX", failed));
        let mut skipped = TestCaseStatus::skipped();
        skipped.set_message("a_test.go:9: needs docker");
        skipped.set_description("    a_test.go:9: needs docker\n--- SKIP: TestS (0.00s)\n");
        s.add_test_case(TestCase::new("TestS", skipped));
        let mut whole = Report::new("leakcheck");
        whole.add_test_suite(s);
        let written = xml(&whole);
        for tag in ["flakyFailure", "flakyError", "rerunFailure", "rerunError", "stackTrace"] {
            assert!(written.contains(&format!("<{tag}")), "{tag}: {written}");
        }
        assert!(
            written.contains(r#"<testsuites name="leakcheck" tests="3" failures="1" errors="0" skipped="1">"#),
            "{written}"
        );
        assert!(
            written.contains(r#"skipped="1" hostname"#) || written.contains(r#"skipped="1">"#),
            "{written}"
        );
        assert!(written.contains(r#"disabled="0""#), "{written}");
        let read = report(whole.test_suites.clone());
        let merged = merge_junit(&[("a.xml".into(), read)]).unwrap();
        assert_eq!(xml(&merged), written);
    }

    #[test]
    fn junit_elements_merge_cannot_keep_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.xml");
        std::fs::write(
            &path,
            r#"<testsuites><testsuite name="a"><testcase name="T"><video/></testcase></testsuite></testsuites>"#,
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "merge: {}: cannot merge testsuite a: testcase T: <video>: it is not JUnit as leakcheck reads it",
                path.display()
            )
        );
    }

    #[test]
    fn junit_duplicates_are_named() {
        let a = report(vec![suite("example.com/a", &[("TestA", true)], 0.5)]);
        let b = report(vec![
            suite("example.com/a", &[("TestA", true)], 0.5),
            suite("example.com/b", &[], 0.1),
        ]);
        let err = merge_junit(&[("s1.xml".into(), a), ("s2.xml".into(), b)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("example.com/a (s1.xml, s2.xml)"), "{err}");
        assert!(!err.contains("example.com/b"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn zero_inputs_with_suites_make_an_empty_valid_report() {
        let merged = merge_junit(&[("1.xml".into(), report(vec![]))]).unwrap();
        assert_eq!(merged.tests, 0);
        let xml = xml(&merged);
        assert!(xml.contains(r#"skipped="0""#), "{xml}");
        assert!(roxmltree::Document::parse(&xml).is_ok());
    }

    /// A package as leakcheck writes it, with `tests` tests that passed.
    fn package(import_path: &str, tests: u64) -> Value {
        let tests: Vec<Value> = (0..tests)
            .map(|i| {
                serde_json::json!({"name": format!("Test{i}"), "run": 1, "verdict": "passed", "elapsed": 0.0,
                                   "output": "", "leak": null, "attempts": [], "failed_by_subtest": false})
            })
            .collect();
        serde_json::json!({
            "import_path": import_path, "status": "passed", "elapsed": 1.0, "tests": tests, "output": "",
            "build_output": "", "main_leak": null, "crash": null, "check": {"state": "checked"},
            "go_version": "go1.26.8", "label_source": "dump", "proof": true, "warnings": [], "started": null,
            "failed_outside_tests": false, "dir": null,
        })
    }

    fn doc(packages: &[(&str, u64)], elapsed: f64, baseline: Value) -> Value {
        let pkgs: Vec<Value> = packages.iter().map(|(p, tests)| package(p, *tests)).collect();
        let tests: u64 = packages.iter().map(|p| p.1).sum();
        serde_json::json!({
            "schema_version": 1,
            "leakcheck_version": env!("CARGO_PKG_VERSION"),
            "go_version": "go1.26.8",
            "module_root": "/src",
            "elapsed_seconds": elapsed,
            "interrupted": false,
            "totals": {"packages": packages.len(), "tests": tests, "passed": tests, "failed": 0,
                       "leaked_tests": 0, "leaked_goroutines": 0, "skipped": 0, "build_failures": 0},
            "baseline": baseline,
            "packages": pkgs,
        })
    }

    fn typed(v: &Value) -> schema::Report {
        schema::read_report(&v.to_string()).unwrap()
    }

    fn merged(inputs: &[(&str, Value)]) -> Value {
        let inputs: Vec<(PathBuf, schema::Report)> = inputs.iter().map(|(p, d)| (p.into(), typed(d))).collect();
        serde_json::from_slice(&merge_json(&inputs).unwrap().to_json()).unwrap()
    }

    #[test]
    fn json_packages_sorted_totals_counted() {
        let a = doc(&[("example.com/c", 2), ("example.com/a", 1)], 3.0, Value::Null);
        let b = doc(&[("example.com/b", 4)], 2.5, Value::Null);
        let empty = doc(&[], 0.1, Value::Null);
        let merged = merged(&[("a", a), ("e", empty), ("b", b)]);
        let names: Vec<&str> = merged["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["import_path"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["example.com/a", "example.com/b", "example.com/c"]);
        assert_eq!(merged["totals"]["packages"], 3);
        assert_eq!(merged["totals"]["tests"], 7);
        assert_eq!(merged["elapsed_seconds"], 5.6);
        assert_eq!(merged["go_version"], "go1.26.8");
        assert_eq!(merged["baseline"], Value::Null);
    }

    #[test]
    fn json_totals_are_counted_from_the_packages_not_the_inputs() {
        let mut a = doc(&[("example.com/a", 2)], 1.0, Value::Null);
        a["totals"] = serde_json::json!({"packages": 9, "tests": 99, "passed": 0, "failed": 5,
            "leaked_tests": 1, "leaked_goroutines": 7, "skipped": 0, "build_failures": 3});
        let mut b = doc(&[("example.com/b", 1)], 1.0, Value::Null);
        b["packages"][0]["status"] = "failed".into();
        b["packages"][0]["tests"][0]["verdict"] = "leaked".into();
        b["packages"][0]["tests"][0]["leak"] =
            serde_json::json!({"total": 3, "groups": [], "ignored": {}, "looks": 2, "proof": true, "known": 1});
        let merged = merged(&[("a", a), ("b", b)]);
        assert_eq!(
            merged["totals"],
            serde_json::json!({"packages": 2, "tests": 3, "passed": 2, "failed": 0, "leaked_tests": 1,
                               "leaked_goroutines": 2, "skipped": 0, "build_failures": 0, "errors": 0, "flaky": 0})
        );
    }

    /// Every status and verdict, leaks the baseline knows in part, a leak
    /// after the last test: the report the writer writes reads back through
    /// the schema as it was, and the totals in it are those merge counts
    /// and those the terminal counts (`RunSummary::totals`).
    #[test]
    fn json_report_reads_back_and_its_totals_are_everyones() {
        use crate::analyse::group::{LeakedGroup, Location};
        use crate::analyse::rerun::Attempt;
        use crate::analyse::{
            CheckState, Crash, CrashKind, LeakReport, PackageResult, PackageStatus, TestResult, Verdict,
        };
        use crate::report::{Event, Reporter, RunInfo, RunSummary};

        let loc = Location {
            function: "p.f".into(),
            file: "/p/f.go".into(),
            line: 3,
        };
        let group = LeakedGroup {
            count: 3,
            state: "chan receive".into(),
            proven: 1,
            wait_minutes: Some((1, 2)),
            frames: vec![loc.clone()],
            elided: false,
            created_by: Some(loc),
            test: Some("TestA".into()),
            subtests: ["TestA/x".to_string()].into(),
            labels: vec![("leakcheck".into(), "TestA".into())],
            ids: vec![7, 8, 9],
            creators: Default::default(),
            known: false,
            diagnosis: None,
        };
        let leak = |total: usize, known: usize| LeakReport {
            total,
            groups: vec![group.clone()],
            ignored: [("r".to_string(), 2)].into(),
            looks: 2,
            proof: true,
            known,
            ambiguous: 1,
            by_difference: 1,
            cut_short: true,
            ended_early: true,
        };
        let test = |name: &str, verdict: Verdict, leak: Option<LeakReport>| TestResult {
            name: name.into(),
            run: 1,
            verdict,
            elapsed: 0.25,
            output: "out\n".into(),
            leak,
            attempts: vec![Attempt {
                verdict: Verdict::Failed,
                leak: Some("1 goroutine leaked (1 stack)".into()),
                output: String::new(),
                elapsed: 0.1,
            }],
            failed_by_subtest: true,
            skipped: false,
            span: (None, None),
            paused: Vec::new(),
            uncounted: verdict == Verdict::Failed,
        };
        let package = |path: &str, status: PackageStatus, tests: Vec<TestResult>| PackageResult {
            import_path: path.into(),
            status,
            elapsed: 1.5,
            tests,
            output: String::new(),
            build_output: String::new(),
            main_leak: None,
            crash: None,
            check: CheckState::NotChecked("why".into()),
            go_version: Some("go1.26.8".into()),
            label_source: None,
            proof: false,
            warnings: vec!["w".into()],
            started: Some("2026-11-30T08:41:08Z".into()),
            failed_outside_tests: false,
            dir: Some("/p".into()),
            declared: Default::default(),
            go_failed: false,
        };
        let verdicts = [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Leaked,
            Verdict::Skipped,
            Verdict::Panicked,
            Verdict::TimedOut,
            Verdict::Unfinished,
        ];
        let mut failed = package(
            "example.com/failed",
            PackageStatus::Failed,
            verdicts.iter().map(|v| test("TestV", *v, Some(leak(4, 1)))).collect(),
        );
        failed.main_leak = Some(leak(5, 2));
        failed.crash = Some(Crash {
            kind: CrashKind::Timeout,
            message: "panic: test timed out".into(),
            tests: vec!["TestV".into()],
            groups: vec![group.clone()],
        });
        let mut cached = package(
            "example.com/passed",
            PackageStatus::Passed,
            vec![test("TestP", Verdict::Passed, None)],
        );
        cached.check = CheckState::Cached;
        let mut not_finished = package("example.com/killed", PackageStatus::NotFinished, vec![]);
        not_finished.check = CheckState::NotApplicable;
        let summary = RunSummary {
            packages: vec![
                failed,
                cached,
                package("example.com/build", PackageStatus::BuildFailed, vec![]),
                package(
                    "example.com/none",
                    PackageStatus::NoTestFiles,
                    vec![test("TestN", Verdict::Passed, None)],
                ),
                not_finished,
            ],
            elapsed: Duration::from_secs(2),
            interrupted: false,
            baseline: Some(crate::analyse::baseline::BaselineOutcome {
                path: "/p/leakcheck-baseline.json".into(),
                tolerated: 1,
                tolerated_goroutines: 2,
                stale: vec![],
            }),
            baseline_written: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut reporter = crate::report::json::JsonReporter::new(path.clone());
        let info = RunInfo {
            go_version: "go1.26.8".into(),
            root: "/p".into(),
            dir: "/p".into(),
            packages: 4,
            rules: vec![],
            diagnoses: vec![],
            config: None,
            grace: Duration::from_millis(500),
            proof: false,
        };
        reporter.handle(&Event::RunStarted(&info)).unwrap();
        reporter.handle(&Event::RunFinished(&summary)).unwrap();
        let Input::Json(written) = read(&path).unwrap() else {
            panic!("not JSON")
        };
        // Read back, it is what the writer made of the results.
        let packages: Vec<schema::Package> = summary.packages.iter().map(schema::Package::from).collect();
        assert_eq!(written.packages, packages);
        // And written again, the same bytes.
        assert_eq!(written.to_json(), std::fs::read(&path).unwrap());
        assert_eq!(written.totals, schema::totals(&written.packages));
        assert_eq!(written.totals, summary.totals());
        assert_eq!(written.totals.leaked_goroutines, 7 * 3 + 3);
        assert_eq!(written.totals.failed, 4);
        assert_eq!(written.totals.build_failures, 1);
        assert_eq!(written.totals.errors, 3);
    }

    #[test]
    fn json_inputs_of_another_shape_are_refused_naming_the_field() {
        let refused = |edit: &dyn Fn(&mut Value)| {
            let mut d = doc(&[("example.com/a", 2)], 1.0, Value::Null);
            edit(&mut d);
            let err = schema::read_report(&serde_json::to_string_pretty(&d).unwrap()).unwrap_err();
            let err = err
                .strip_prefix("not a leakcheck --report-json report: ")
                .unwrap_or(&err)
                .to_string();
            // Where, for a person to find it; the rest is checked exactly.
            let (what, at) = err.rsplit_once(" (line ").unwrap_or((&err, ""));
            assert!(at.is_empty() || at.contains(", column "), "{err}");
            what.to_string()
        };
        assert_eq!(
            refused(&|d| d["totals"]["tests"] = "many".into()),
            r#"totals.tests: invalid type: string "many", expected a whole number"#
        );
        assert_eq!(
            refused(&|d| d["totals"]["tests"] = (-1).into()),
            "totals.tests: invalid value: integer `-1`, expected a whole number"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["tests"][1]["verdict"] = "passd".into()),
            "packages[0].tests[1].verdict: unknown variant `passd`, expected one of `passed`, `failed`, `leaked`, \
             `skipped`, `panicked`, `timed_out`, `unfinished`"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["tests"] = serde_json::json!({"TestA": 1})),
            "packages[0].tests: invalid type: object, expected an array"
        );
        assert_eq!(
            refused(&|d| {
                d["packages"][0].as_object_mut().unwrap().remove("status");
            }),
            "packages[0]: missing field `status`"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["check"] = serde_json::json!({"state": "not_checked"})),
            "packages[0].check: missing field `reason`"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["check"] = serde_json::json!({"state": "fine"})),
            "packages[0].check.state: unknown variant `fine`, expected one of `checked`, `cached`, \
             `not_applicable`, `not_checked`"
        );
        assert_eq!(
            refused(&|d| d["interrupted"] = 0.into()),
            "interrupted: invalid type: integer `0`, expected true or false"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["elapsed"] = "1s".into()),
            r#"packages[0].elapsed: invalid type: string "1s", expected a number"#
        );
        assert_eq!(
            refused(&|d| *d = serde_json::json!([])),
            "not a leakcheck --report-json report (not a JSON object)"
        );
        assert_eq!(
            refused(&|d| d["schema_version"] = 2.into()),
            "not a leakcheck --report-json report of schema version 1 (its schema_version is 2)"
        );
        // What leakcheck writes passes, with fields it may add later, and
        // without those it added after the first reports of schema 1.
        let mut d = doc(&[("example.com/a", 2)], 1.0, Value::Null);
        d["packages"][0]["new_field"] = 1.into();
        d["packages"][0]["tests"][0]
            .as_object_mut()
            .unwrap()
            .remove("failed_by_subtest");
        schema::read_report(&d.to_string()).unwrap();
    }

    #[test]
    fn json_baseline_outcomes_add_up() {
        let entry = |t: &str| serde_json::json!({"package": "p", "test": t, "signature": "00", "function": "f", "created_by": "g"});
        let a = doc(
            &[("a", 1)],
            1.0,
            serde_json::json!({"path": "/src/leakcheck-baseline.json", "tolerated": 2, "tolerated_goroutines": 5, "stale": [entry("TestX")]}),
        );
        let b = doc(
            &[("b", 1)],
            1.0,
            serde_json::json!({"path": "/src/leakcheck-baseline.json", "tolerated": 1, "tolerated_goroutines": 1, "stale": [entry("TestA")]}),
        );
        let merged = merged(&[("a", a), ("b", b)]);
        assert_eq!(merged["baseline"]["tolerated"], 3);
        assert_eq!(merged["baseline"]["tolerated_goroutines"], 6);
        assert_eq!(merged["baseline"]["path"], "/src/leakcheck-baseline.json");
        assert_eq!(
            merged["baseline"]["stale"],
            serde_json::json!([entry("TestA"), entry("TestX")])
        );
    }

    #[test]
    fn json_duplicates_are_named() {
        let a = typed(&doc(&[("example.com/a", 1), ("example.com/b", 1)], 1.0, Value::Null));
        let b = typed(&doc(&[("example.com/b", 1), ("example.com/a", 1)], 1.0, Value::Null));
        let err = merge_json(&[("s1.json".into(), a), ("s2.json".into(), b)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 packages are"), "{err}");
        assert!(
            err.contains("example.com/a (s1.json, s2.json); example.com/b (s1.json, s2.json)"),
            "{err}"
        );
    }

    #[test]
    fn mixed_versions_are_warned_about() {
        let json = |leakcheck: &str, go: &str| {
            let mut d = doc(&[("a", 1)], 1.0, Value::Null);
            d["leakcheck_version"] = leakcheck.into();
            d["go_version"] = go.into();
            typed(&d)
        };
        let junit = |go: &str| {
            let mut s = suite("x", &[("TestX", true)], 0.1);
            s.properties.clear();
            s.add_property(Property::new("go.version", go));
            s.add_property(Property::new("leakcheck.version", env!("CARGO_PKG_VERSION")));
            report(vec![s])
        };
        let own = env!("CARGO_PKG_VERSION");
        // The same release, with or without the experiment leakcheck turns
        // on where it can: no warning.
        let same = version_warnings(
            &[
                ("1.xml".into(), junit("go1.26.8-X:goroutineleakprofile")),
                ("2.xml".into(), junit("go1.26.8")),
            ],
            &[("1.json".into(), json(own, "go1.26.8"))],
        );
        assert!(same.is_empty(), "{same:?}");
        let warned = version_warnings(
            &[("1.xml".into(), junit("go1.25.5"))],
            &[
                ("1.json".into(), json(own, "go1.26.8")),
                ("2.json".into(), json("9.9.9", "go1.26.8")),
            ],
        );
        assert_eq!(
            warned,
            [
                format!(
                    "leakcheck: warning: merge: the inputs come from different leakcheck versions: {own} (1.xml, \
                     1.json), 9.9.9 (2.json); merged all the same"
                ),
                "leakcheck: warning: merge: the inputs come from different Go versions: go1.25.5 (1.xml), \
                 go1.26.8 (1.json, 2.json); merged all the same"
                    .to_string(),
                format!(
                    "leakcheck: warning: merge: 2.json was written by leakcheck 9.9.9, and this is {own}: the \
                     merged report has the fields this version knows"
                ),
            ]
        );
    }

    #[test]
    fn inputs_are_told_apart_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let xml = write("a.xml", &xml(&report(vec![suite("a", &[("TestA", true)], 0.1)])));
        let json = write("a.json", &doc(&[("a", 1)], 1.0, Value::Null).to_string());
        assert!(matches!(read(&xml).unwrap(), Input::Junit(_)));
        assert!(matches!(read(&json).unwrap(), Input::Json(_)));
        let text = write("a.txt", "ok  \ta\t0.1s\n");
        assert!(read(&text).unwrap_err().to_string().contains("neither JUnit XML"));
        let other = write("b.json", r#"{"schema_version": 99, "packages": []}"#);
        assert!(read(&other).unwrap_err().to_string().contains("schema version 1"));
        let mut bad = doc(&[("a", 1)], 1.0, Value::Null);
        bad["elapsed_seconds"] = "1s".into();
        let bad = write("bad.json", &bad.to_string());
        let err = read(&bad).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                r#"merge: {}: not a leakcheck --report-json report: elapsed_seconds: invalid type: string "1s", expected a number (line 1, column "#,
                bad.display()
            )),
            "{err}"
        );
        let err = run(
            std::slice::from_ref(&xml),
            Some(dir.path().join("o.xml")),
            Some(dir.path().join("o.json")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--report-json given, but no input"), "{err}");
        let err = run(&[xml.clone(), json.clone()], Some(dir.path().join("o.xml")), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.json is a --report-json report; add --report-json OUT"),
            "{err}"
        );
    }
}
