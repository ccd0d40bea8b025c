//! Sharding end to end: the real binary runs go-fixtures whole and as 1, 2
//! and 3 shards (the real `go test` each time). The shards together are the
//! whole run: every package in exactly one shard, the same tests with the
//! same verdicts, and `leakcheck merge` gives back the whole run's JUnit and
//! JSON reports apart from times.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use common::{fixtures_dir, leakcheck, run_in, temp_module, Run};
use serde_json::Value;

/// The CI variables `--shard auto` reads: removed from every command here,
/// so a CI system running this suite in parallel jobs changes nothing.
const CI_VARS: [&str; 6] = [
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "CIRCLE_NODE_INDEX",
    "CIRCLE_NODE_TOTAL",
    "BUILDKITE_PARALLEL_JOB",
    "BUILDKITE_PARALLEL_JOB_COUNT",
];

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = leakcheck();
    cmd.current_dir(dir).args(args);
    for v in CI_VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("leakcheck runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One way of splitting go-fixtures: each shard's run and the merge.
struct Split {
    total: usize,
    shards: Vec<Run>,
    merged_junit: String,
    merged_json: Value,
    merge_stdout: String,
}

struct Runs {
    whole: Run,
    splits: Vec<Split>,
}

fn shard_runs(total: usize, extra: &[&str]) -> Vec<Run> {
    (1..=total)
        .map(|k| {
            let spec = format!("{k}/{total}");
            let mut args = vec!["--shard", spec.as_str()];
            args.extend_from_slice(extra);
            args.extend(["--", "-count=1"]);
            run_in(&fixtures_dir(), &args, &[])
        })
        .collect()
}

fn merge(total: usize, shards: Vec<Run>) -> Split {
    let out = tempfile::tempdir().unwrap();
    let (xml, json) = (out.path().join("merged.xml"), out.path().join("merged.json"));
    let mut args: Vec<PathBuf> = vec!["merge".into(), "--junitfile".into(), xml.clone()];
    args.extend(["--report-json".into(), json.clone()]);
    // JUnit and JSON inputs interleaved: merge tells them apart.
    for s in &shards {
        args.push(s.dir.path().join("report.json"));
        args.push(s.dir.path().join("report.xml"));
    }
    let output = leakcheck().args(&args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "merge failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    Split {
        total,
        shards,
        merged_junit: std::fs::read_to_string(&xml).unwrap(),
        merged_json: serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap(),
        merge_stdout: text(&output.stdout),
    }
}

/// The whole run and three splits, two runs at a time (the load the other
/// suites put on the machine too): 1 and 2 shards by round robin, 3 shards
/// balanced by the whole run's JUnit times.
fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let round_robin = std::thread::spawn(|| vec![merge(1, shard_runs(1, &[])), merge(2, shard_runs(2, &[]))]);
        let whole = run_in(&fixtures_dir(), &["--", "-count=1"], &[]);
        let timings = whole.dir.path().join("report.xml");
        let timed = merge(3, shard_runs(3, &["--shard-timings", timings.to_str().unwrap()]));
        let mut splits = round_robin.join().expect("the round-robin shards ran");
        splits.push(timed);
        Runs { whole, splits }
    })
}

fn packages(run: &Run) -> Vec<String> {
    run.report["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no report:\n{}{}", run.stdout(), run.stderr()))
        .iter()
        .map(|p| p["import_path"].as_str().unwrap().to_string())
        .collect()
}

/// (package, test, run) → verdict.
fn verdicts(report: &Value) -> BTreeMap<(String, String, u64), String> {
    let mut out = BTreeMap::new();
    for p in report["packages"].as_array().unwrap() {
        for t in p["tests"].as_array().unwrap() {
            out.insert(
                (
                    p["import_path"].as_str().unwrap().to_string(),
                    t["name"].as_str().unwrap().to_string(),
                    t["run"].as_u64().unwrap(),
                ),
                t["verdict"].as_str().unwrap().to_string(),
            );
        }
    }
    out
}

#[test]
fn the_shards_together_are_the_whole_run() {
    let runs = runs();
    let whole: BTreeSet<String> = packages(&runs.whole).into_iter().collect();
    assert_eq!(whole.len(), 20, "go-fixtures has 20 packages\n{}", runs.whole.stdout());
    let whole_verdicts = verdicts(&runs.whole.report);
    for split in &runs.splits {
        let n = split.total;
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut union = BTreeMap::new();
        for (k, shard) in split.shards.iter().enumerate() {
            let k = k + 1;
            assert!(
                shard.stdout().starts_with(&format!("leakcheck: shard {k}/{n}: ")),
                "{}",
                shard.stdout()
            );
            for p in packages(shard) {
                if let Some(other) = seen.insert(p.clone(), k) {
                    panic!("{p} ran in shards {other}/{n} and {k}/{n}");
                }
            }
            let v = verdicts(&shard.report);
            let before = union.len();
            let len = v.len();
            union.extend(v);
            assert_eq!(union.len(), before + len, "a test ran in two shards of {n}");
            // A shard fails exactly when one of its packages does.
            let fails = shard.report["packages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["status"] == "failed" || p["status"] == "build_failed");
            assert_eq!(
                shard.code(),
                if fails { 1 } else { 0 },
                "shard {k}/{n}\n{}",
                shard.stdout()
            );
        }
        let got: BTreeSet<String> = seen.into_keys().collect();
        assert_eq!(got, whole, "the {n} shards ran other packages than the whole run");
        assert_eq!(
            union, whole_verdicts,
            "the {n} shards' verdicts differ from the whole run's"
        );
    }
}

#[test]
fn three_shards_by_time_are_what_shard_list_says() {
    let runs = runs();
    let split = runs.splits.iter().find(|s| s.total == 3).unwrap();
    let timings = runs.whole.dir.path().join("report.xml");
    for (k, shard) in split.shards.iter().enumerate() {
        let spec = format!("{}/3", k + 1);
        let out = command(
            &fixtures_dir(),
            &[
                "--shard",
                &spec,
                "--shard-timings",
                timings.to_str().unwrap(),
                "--shard-list",
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let listed: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
        let mut ran = packages(shard);
        ran.sort();
        assert_eq!(listed, ran, "shard {spec}");
        assert!(
            text(&out.stderr).contains("balanced by the times in"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// A JUnit report in a form that leaves out what two runs of the same tests
/// may differ in: times, timestamps, durations and addresses in texts, the
/// order of the testsuites, and the order of leaked goroutine groups of the
/// same size (leakcheck keeps those in the order it saw them).
fn normalized_junit(xml: &str) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("invalid JUnit: {e}\n{xml}"));
    let root = doc.root_element();
    assert!(root.has_tag_name("testsuites"));
    let attrs = |n: roxmltree::Node<'_, '_>, skip: &[&str]| -> String {
        let mut a: Vec<String> = n
            .attributes()
            .filter(|a| !["time", "timestamp"].contains(&a.name()) && !skip.contains(&a.name()))
            .map(|a| format!("{}={:?}", a.name(), a.value()))
            .collect();
        a.sort();
        a.join(" ")
    };
    let mut out = format!("testsuites {}\n", attrs(root, &[]));
    let mut suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    suites.sort_by_key(|s| s.attribute("name").unwrap_or("").to_string());
    for s in suites {
        out.push_str(&format!("testsuite {}\n", attrs(s, &[])));
        let mut cases = Vec::new();
        for c in s.children().filter(|n| n.is_element()) {
            match c.tag_name().name() {
                "properties" => {
                    for p in c.children().filter(|n| n.is_element()) {
                        out.push_str(&format!("  property {}\n", attrs(p, &[])));
                    }
                }
                "testcase" => {
                    let mut case = String::new();
                    let body = c
                        .children()
                        .find(|n| ["failure", "error"].contains(&n.tag_name().name()))
                        .and_then(|n| n.text())
                        .unwrap_or("");
                    // Which group comes first decides file/line; groups of
                    // equal size come in the order seen.
                    let skip: &[&str] = if tied_groups(body) { &["file", "line"] } else { &[] };
                    case.push_str(&format!("  testcase {}\n", attrs(c, skip)));
                    for x in c.children().filter(|n| n.is_element()) {
                        case.push_str(&format!(
                            "    {} {}\n{}\n",
                            x.tag_name().name(),
                            attrs(x, &[]),
                            normalized_text(x.text().unwrap_or(""))
                        ));
                    }
                    cases.push(case);
                }
                other => out.push_str(&format!("  {other}\n{}\n", normalized_text(c.text().unwrap_or("")))),
            }
        }
        cases.sort();
        out.extend(cases);
    }
    out
}

fn group_header(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let (count, rest) = t.split_once(' ')?;
    (count.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with("× [")).then_some(count)
}

fn tied_groups(body: &str) -> bool {
    let counts: Vec<&str> = body.lines().filter_map(group_header).collect();
    let unique: BTreeSet<&&str> = counts.iter().collect();
    unique.len() < counts.len()
}

fn normalized_text(s: &str) -> String {
    // No word boundary before the number: the JUnit text has lost the tab
    // in `ok  \tPACKAGE\t0.5s`, leaving `PACKAGE0.5s`.
    let duration = regex::Regex::new(r"\d+(\.\d+)?(s|ms|µs)\b").unwrap();
    let hex = regex::Regex::new(r"0x[0-9a-f]+").unwrap();
    let goroutine = regex::Regex::new(r"goroutine \d+").unwrap();
    let s = duration.replace_all(s, "D");
    let s = hex.replace_all(&s, "0x_");
    let s = goroutine.replace_all(&s, "goroutine N");
    // Runs of leaked groups, each sorted: a group is its header line and
    // the lines indented below it.
    let lines: Vec<&str> = s.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if group_header(lines[i]).is_none() {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let mut groups = Vec::new();
        while i < lines.len() && group_header(lines[i]).is_some() {
            let head = indent(lines[i]);
            let mut g = vec![lines[i]];
            i += 1;
            while i < lines.len() && !lines[i].trim().is_empty() && indent(lines[i]) > head {
                g.push(lines[i]);
                i += 1;
            }
            groups.push(g.join("\n"));
        }
        groups.sort();
        out.extend(groups);
    }
    out.join("\n")
}

#[test]
fn merged_junit_is_the_whole_runs_junit() {
    let runs = runs();
    let whole = normalized_junit(&runs.whole.junit);
    assert!(
        whole.contains("GoroutineLeak") && whole.contains("BuildFailed"),
        "{whole}"
    );
    for split in &runs.splits {
        let merged = normalized_junit(&split.merged_junit);
        if merged != whole {
            let diff: Vec<String> = whole
                .lines()
                .zip(merged.lines())
                .filter(|(a, b)| a != b)
                .take(10)
                .map(|(a, b)| format!("- {a}\n+ {b}"))
                .collect();
            panic!(
                "{} shards merged differ from the whole run:\n{}",
                split.total,
                diff.join("\n")
            );
        }
        // Sorted by name, and the counts at the top are the whole run's.
        let doc = roxmltree::Document::parse(&split.merged_junit).unwrap();
        let names: Vec<&str> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.attribute("name").unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(doc.root_element().attribute("time").is_some());
        assert!(split
            .merge_stdout
            .contains(&format!("merged {} JUnit file", split.total)));
    }
}

#[test]
fn merged_json_is_the_whole_runs_json() {
    let runs = runs();
    let whole = &runs.whole.report;
    for split in &runs.splits {
        let merged = &split.merged_json;
        assert_eq!(merged["totals"], whole["totals"], "{} shards", split.total);
        assert_eq!(verdicts(merged), verdicts(whole));
        assert_eq!(merged["schema_version"], 1);
        assert_eq!(merged["interrupted"], false);
        let names: Vec<&str> = merged["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["import_path"].as_str().unwrap())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // Each package as the whole run saw it: status, and per test the
        // leak's size and shape.
        let shape = |doc: &Value| -> BTreeMap<String, Value> {
            doc["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let tests: Vec<Value> = p["tests"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| {
                            serde_json::json!([
                                t["name"],
                                t["verdict"],
                                t["leak"]["total"],
                                t["leak"]["groups"].as_array().map(Vec::len)
                            ])
                        })
                        .collect();
                    let key = p["import_path"].as_str().unwrap().to_string();
                    let main = &p["main_leak"]["total"];
                    (key, serde_json::json!([p["status"], tests, main, p["crash"]["kind"]]))
                })
                .collect()
        };
        assert_eq!(shape(merged), shape(whole), "{} shards", split.total);
    }
}

#[test]
fn merge_refuses_a_package_in_two_inputs() {
    let runs = runs();
    let two = runs.splits.iter().find(|s| s.total == 2).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let whole = runs.whole.dir.path().join("report.xml");
    let shard = two.shards[0].dir.path().join("report.xml");
    let out = leakcheck()
        .arg("merge")
        .arg("--junitfile")
        .arg(out_dir.path().join("m.xml"))
        .args([&whole, &shard])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let dup = packages(&two.shards[0])[0].clone();
    assert!(err.contains(&dup), "{err}");
    assert!(
        err.contains(&format!("{}, {}", whole.display(), shard.display())),
        "{err}"
    );
    assert!(!out_dir.path().join("m.xml").exists(), "nothing is written");
}

#[test]
fn an_empty_shard_passes_with_empty_reports() {
    let module = temp_module(&[
        ("a/a.go", "package a\n"),
        (
            "a/a_test.go",
            "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
        ),
    ]);
    let first = run_in(module.path(), &["--shard", "1/2"], &[]);
    let empty = run_in(module.path(), &["--shard", "2/2"], &[]);
    assert_eq!(empty.code(), 0, "{}{}", empty.stdout(), empty.stderr());
    assert!(
        empty.stdout().contains("nothing to run in shard 2/2"),
        "{}",
        empty.stdout()
    );
    let doc = roxmltree::Document::parse(&empty.junit).expect("valid JUnit");
    assert!(doc.root_element().has_tag_name("testsuites"));
    assert_eq!(doc.root_element().attribute("tests"), Some("0"));
    assert_eq!(doc.root_element().children().filter(|n| n.is_element()).count(), 0);
    assert_eq!(empty.report["packages"], serde_json::json!([]));
    assert_eq!(empty.report["totals"]["tests"], 0);
    // Merged with the other shard, the empty one adds nothing.
    assert_eq!(first.code(), 0, "{}{}", first.stdout(), first.stderr());
    let out = tempfile::tempdir().unwrap();
    let merged = out.path().join("m.json");
    let out = leakcheck()
        .arg("merge")
        .arg("--report-json")
        .arg(&merged)
        .arg(first.dir.path().join("report.json"))
        .arg(empty.dir.path().join("report.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merged: Value = serde_json::from_slice(&std::fs::read(merged).unwrap()).unwrap();
    assert_eq!(merged["totals"], first.report["totals"]);
}

#[test]
fn packages_without_tests_are_reported_once() {
    let module = temp_module(&[
        ("a/a.go", "package a\n"),
        (
            "a/a_test.go",
            "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
        ),
        ("b/b.go", "package b\n"),
        ("c/c.go", "package c\n"),
        ("d/d.go", "package d\n"),
    ]);
    let mut all = Vec::new();
    for k in 1..=3 {
        let run = run_in(module.path(), &["--shard", &format!("{k}/3")], &[]);
        assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
        all.extend(packages(&run));
    }
    all.sort();
    assert_eq!(
        all,
        [
            "example.com/tmp/a",
            "example.com/tmp/b",
            "example.com/tmp/c",
            "example.com/tmp/d"
        ]
    );
}

#[test]
fn bad_shards_are_usage_errors() {
    let dir = fixtures_dir();
    for (args, want) in [
        (&["--shard", "0/3"][..], "count from 1"),
        (&["--shard", "4/3"], "between 1 and N"),
        (&["--shard", "x"], "is not K/N"),
        (&["--shard", "1/0"], "N must be at least 1"),
        (&["--shard-timings", "t.xml"], "--shard"),
        (&["--shard", "1/2", "--update-baseline"], "cannot be used with"),
    ] {
        let out = command(&dir, args, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let out = command(&dir, &["--shard", "1/2", "--shard-timings", "no-such-file.json"], &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read") && err.contains("no-such-file.json"),
        "{err}"
    );
}

#[test]
fn auto_takes_the_shard_from_the_ci_variables() {
    let dir = fixtures_dir();
    let list = |args: &[&str], env: &[(&str, &str)]| -> (i32, String, String) {
        let mut all = args.to_vec();
        all.push("--shard-list");
        let out = command(&dir, &all, env);
        (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
    };
    let (code, want, _) = list(&["--shard", "2/3"], &[]);
    assert_eq!(code, 0);
    assert!(!want.is_empty());
    for env in [
        &[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")][..],
        &[("CIRCLE_NODE_INDEX", "1"), ("CIRCLE_NODE_TOTAL", "3")],
        &[("BUILDKITE_PARALLEL_JOB", "1"), ("BUILDKITE_PARALLEL_JOB_COUNT", "3")],
    ] {
        let (code, got, err) = list(&["--shard", "auto"], env);
        assert_eq!(code, 0, "{env:?}: {err}");
        assert_eq!(got, want, "{env:?}");
        assert!(err.contains("shard 2/3"), "{env:?}: {err}");
    }
    for (env, want) in [
        (&[][..], "no CI parallel-job variables are set"),
        (
            &[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "3")],
            "CI_NODE_INDEX=0 is outside 1..=3",
        ),
        (
            &[("CIRCLE_NODE_INDEX", "3"), ("CIRCLE_NODE_TOTAL", "3")],
            "outside 0..=2",
        ),
        (
            &[("BUILDKITE_PARALLEL_JOB", "x"), ("BUILDKITE_PARALLEL_JOB_COUNT", "3")],
            "not a whole number",
        ),
    ] {
        let (code, out, err) = list(&["--shard", "auto"], env);
        assert_eq!(code, 2, "{env:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("leakcheck: --shard auto: ") && err.contains(want),
            "{env:?}: {err}"
        );
    }
}

fn merge_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/merge")
        .join(name)
}

/// The merged totals are counted from the merged packages: an input whose
/// totals say something else changes nothing.
#[test]
fn merged_totals_are_counted_from_the_packages() {
    let out = tempfile::tempdir().unwrap();
    let mut b: Value = serde_json::from_slice(&std::fs::read(merge_fixture("b.json")).unwrap()).unwrap();
    b["totals"] = serde_json::json!({"packages": 40, "tests": 300, "passed": 0, "failed": 100,
        "leaked_tests": 0, "leaked_goroutines": 0, "skipped": 9, "build_failures": 1});
    let wrong = out.path().join("b-wrong-totals.json");
    std::fs::write(&wrong, b.to_string()).unwrap();
    let merged = out.path().join("m.json");
    let run = leakcheck()
        .arg("merge")
        .arg("--report-json")
        .arg(&merged)
        .arg(merge_fixture("a.json"))
        .arg(&wrong)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stdout).contains("3 packages, 7 tests"),
        "{}",
        text(&run.stdout)
    );
    let merged: Value = serde_json::from_slice(&std::fs::read(merged).unwrap()).unwrap();
    // a.json: TestClean passed, TestLeak and TestSleepLeak leaked one
    // goroutine each, TestFail failed; b.json: Example_leak and TestTagged
    // leaked one each, TestUntagged passed.
    assert_eq!(
        merged["totals"],
        serde_json::json!({"packages": 3, "tests": 7, "passed": 2, "failed": 1, "leaked_tests": 4,
            "leaked_goroutines": 4, "skipped": 0, "build_failures": 0, "errors": 0, "flaky": 0})
    );
}

/// An input with a wrong type where leakcheck writes a number (here
/// `"totals": {"tests": "many"}`) is not a leakcheck report: one line naming
/// the file, the field and where it is, exit 2, nothing written.
#[test]
fn merge_refuses_json_that_is_not_a_leakcheck_report() {
    let out = tempfile::tempdir().unwrap();
    let merged = out.path().join("m.json");
    let bad = merge_fixture("badtotals.json");
    let run = leakcheck()
        .arg("merge")
        .arg("--report-json")
        .arg(&merged)
        .arg(merge_fixture("b.json"))
        .arg(&bad)
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        format!(
            "leakcheck: merge: {}: not a leakcheck --report-json report: totals.tests: invalid type: string \"many\", \
             expected a whole number (line 1, column 215)\n",
            bad.display()
        )
    );
    assert!(!merged.exists(), "nothing is written");

    // A wrong type deep in a package, too.
    let mut a: Value = serde_json::from_slice(&std::fs::read(merge_fixture("a.json")).unwrap()).unwrap();
    a["packages"][0]["tests"][1]["leak"]["groups"][0]["count"] = serde_json::json!(1.5);
    let odd = out.path().join("odd.json");
    std::fs::write(&odd, a.to_string()).unwrap();
    let run = leakcheck()
        .arg("merge")
        .arg("--report-json")
        .arg(&merged)
        .arg(&odd)
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "packages[0].tests[1].leak.groups[0].count: invalid type: floating point `1.5`, expected a whole number"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A module with a flaky test (deterministic: it fails when a marker file
/// in its package directory is absent, creating it, and passes when it is
/// there, removing it), a failing test and subtest, and skips.
fn rerun_module() -> tempfile::TempDir {
    temp_module(&[
        (
            "flaky/flaky_test.go",
            r#"package flaky

import (
	"os"
	"testing"
)

func firstRunFails(t *testing.T, name string) {
	if _, err := os.Stat(name); err == nil {
		os.Remove(name)
		return
	}
	os.WriteFile(name, nil, 0o644)
	t.Fatalf("first run fails")
}

func TestFlaky(t *testing.T) { firstRunFails(t, "flaky.marker") }

func TestFlakySub(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("sometimes", func(t *testing.T) { firstRunFails(t, "sub.marker") })
}
"#,
        ),
        (
            "fails/fails_test.go",
            r#"package fails

import "testing"

func TestAlwaysFails(t *testing.T) { t.Error("always") }

func TestSubFails(t *testing.T) {
	t.Run("bad", func(t *testing.T) { t.Fatal("bad subtest") })
}
"#,
        ),
        (
            "skips/skips_test.go",
            "package skips\n\nimport \"testing\"\n\nfunc TestSkipped(t *testing.T) { t.Skip(\"needs docker\") }\n\nfunc TestRuns(t *testing.T) {}\n",
        ),
    ])
}

/// Shards run with `--rerun-fails` write `<flakyFailure>`,
/// `<rerunFailure>` and `<skipped>`: merge takes them all, and the merged
/// JUnit and JSON count what the whole run counts.
#[test]
fn shards_run_with_reruns_merge_into_the_whole_run() {
    // The whole run and the shards in copies of their own: the markers
    // live in the package directories.
    let (whole_module, shard_module) = (rerun_module(), rerun_module());
    let args = |shard: Option<&'static str>| {
        let mut a = vec!["--rerun-fails", "2"];
        if let Some(s) = shard {
            a.extend(["--shard", s]);
        }
        a.extend(["--", "-count=1"]);
        a
    };
    let whole = run_in(whole_module.path(), &args(None), &[]);
    assert_eq!(whole.code(), 1, "{}{}", whole.stdout(), whole.stderr());
    let shards: Vec<Run> = ["1/2", "2/2"]
        .iter()
        .map(|s| run_in(shard_module.path(), &args(Some(s)), &[]))
        .collect();
    // Round robin: fails and skips in shard 1, flaky (which passes on its
    // rerun) in shard 2.
    assert_eq!(packages(&shards[1]), ["example.com/tmp/flaky"]);
    assert_eq!(shards[1].code(), 0, "{}{}", shards[1].stdout(), shards[1].stderr());
    for tag in ["<flakyFailure", "<skipped message=", "<rerunFailure"] {
        assert!(shards.iter().any(|s| s.junit.contains(tag)), "no shard wrote {tag}");
    }
    let split = merge(2, shards);
    assert!(split.merge_stdout.contains("1 skipped"), "{}", split.merge_stdout);
    assert_eq!(split.merged_json["totals"], whole.report["totals"]);
    assert_eq!(
        whole.report["totals"],
        serde_json::json!({"packages": 3, "tests": 9, "passed": 5, "failed": 3, "leaked_tests": 0,
            "leaked_goroutines": 0, "skipped": 1, "build_failures": 0, "errors": 0, "flaky": 3})
    );
    assert_eq!(verdicts(&split.merged_json), verdicts(&whole.report));
    assert_eq!(normalized_junit(&split.merged_junit), normalized_junit(&whole.junit));
    let counts = |xml: &str| -> Vec<Option<String>> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        ["tests", "failures", "errors", "skipped"]
            .iter()
            .map(|a| doc.root_element().attribute(*a).map(str::to_string))
            .collect()
    };
    assert_eq!(counts(&split.merged_junit), counts(&whole.junit));
    assert_eq!(counts(&whole.junit), ["9", "3", "0", "1"].map(|s| Some(s.to_string())));
}

/// Inputs written by different leakcheck or Go versions are merged, with
/// a warning on stderr naming the versions and the files.
#[test]
fn merge_warns_about_mixed_versions() {
    let out = tempfile::tempdir().unwrap();
    let mut b: Value = serde_json::from_slice(&std::fs::read(merge_fixture("b.json")).unwrap()).unwrap();
    b["leakcheck_version"] = "0.0.9".into();
    b["go_version"] = "go1.25.5".into();
    let older = out.path().join("older.json");
    std::fs::write(&older, b.to_string()).unwrap();
    let merged = out.path().join("m.json");
    let run = leakcheck()
        .arg("merge")
        .arg("--report-json")
        .arg(&merged)
        .arg(merge_fixture("a.json"))
        .arg(&older)
        .output()
        .unwrap();
    let err = text(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(merged.exists());
    let a = merge_fixture("a.json");
    for want in [
        format!(
            "leakcheck: warning: merge: the inputs come from different leakcheck versions: 0.0.9 ({}), 0.1.0 ({})",
            older.display(),
            a.display()
        ),
        format!(
            "leakcheck: warning: merge: the inputs come from different Go versions: go1.25.5 ({}), go1.26.8 ({})",
            older.display(),
            a.display()
        ),
    ] {
        assert!(err.contains(&want), "{want}\nnot in\n{err}");
    }
}
