//! Adopting leakcheck on code that already leaks: --update-baseline records
//! today's leaks; later runs tolerate them, fail on new ones only, and list
//! entries that no longer occur.

use crate::common;

use std::fs;
use std::path::Path;

use common::{fixtures_dir, run_in};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// go-fixtures without the packages that fail for other reasons than leaks.
fn legacy_module() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir(), dir.path());
    fs::remove_dir_all(dir.path().join("broken")).unwrap();
    fs::remove_dir_all(dir.path().join("panics")).unwrap();
    dir
}

#[test]
fn a_baseline_tolerates_known_leaks_and_fails_on_new_ones() {
    let m = legacy_module();
    let dir = m.path();

    let before = run_in(dir, &["--", "-count=1"], &[]);
    assert_eq!(before.code(), 1, "the legacy code leaks");

    let update = run_in(dir, &["--update-baseline", "--", "-count=1"], &[]);
    assert_eq!(update.code(), 0, "{}", update.stdout());
    let path = dir.join("leakcheck-baseline.json");
    let text = fs::read_to_string(&path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entries = file["leaks"].as_array().unwrap();
    // One entry per leaked stack: 13 leaky tests (httpclient: 6 stacks,
    // wsreader: 2) and mainleak's TestMain.
    assert_eq!(entries.len(), 20, "{text}");
    let keys: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["package"].as_str().unwrap().into(),
                e["test"].as_str().unwrap().into(),
                e["signature"].as_str().unwrap().into(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "stable, sorted order");
    assert!(keys.contains(&(
        "example.com/fixtures/mainleak".into(),
        "TestMain".into(),
        entries.iter().find(|e| e["test"] == "TestMain").unwrap()["signature"]
            .as_str()
            .unwrap()
            .into()
    )));
    assert!(update.stdout().contains("leakcheck: wrote"), "{}", update.stdout());

    // Writing it again from the same code gives the same file.
    let again = run_in(dir, &["--update-baseline", "--", "-count=1"], &[]);
    assert_eq!(again.code(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), text);

    // The same code now passes.
    let ok = run_in(dir, &["--", "-count=1"], &[]);
    assert_eq!(ok.code(), 0, "{}", ok.stdout());
    assert!(
        ok.stdout().contains("leakcheck: 20 known leaks tolerated"),
        "{}",
        ok.stdout()
    );
    assert_eq!(ok.report["baseline"]["tolerated"], 20);

    // One new leak: exit 1, naming only it.
    fs::write(
        dir.join("workerpool/new_test.go"),
        "package workerpool\n\nimport \"testing\"\n\nfunc TestNewLeak(t *testing.T) {\n\tch := make(chan int)\n\tgo func() { ch <- 1 }()\n}\n",
    )
    .unwrap();
    let new = run_in(dir, &["--", "-count=1"], &[]);
    assert_eq!(new.code(), 1, "{}", new.stdout());
    assert_eq!(
        new.leaked(),
        vec![("example.com/fixtures/workerpool".to_string(), "TestNewLeak".to_string())]
    );
    let out = new.stdout();
    assert!(out.contains("--- LEAK: TestNewLeak"), "{out}");
    assert!(!out.contains("--- LEAK: TestPoolLeaks"), "{out}");
    assert!(out.contains("--- KNOWN: TestPoolLeaks"), "{out}");

    // A fixed leak (the test now leaks nothing): its entry is reported as
    // no longer occurring. Entries of tests that did not run are not judged.
    fs::remove_file(dir.join("workerpool/new_test.go")).unwrap();
    let leaky = dir.join("generator/generator_test.go");
    let text = fs::read_to_string(&leaky).unwrap();
    fs::write(
        &leaky,
        text.replace("func TestGeneratorLeaks(", "func unusedGeneratorLeaks("),
    )
    .unwrap();
    fs::write(
        dir.join("generator/fixed_test.go"),
        "package generator\n\nimport \"testing\"\n\nfunc TestGeneratorLeaks(t *testing.T) {}\n",
    )
    .unwrap();
    let fixed = run_in(dir, &["--", "-count=1"], &[]);
    assert_eq!(fixed.code(), 0, "{}", fixed.stdout());
    let stale = fixed.report["baseline"]["stale"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0]["test"], "TestGeneratorLeaks");
    assert!(
        fixed.stdout().contains("1 baseline entry no longer occurs"),
        "{}",
        fixed.stdout()
    );
}

#[test]
fn a_broken_baseline_file_is_a_config_error() {
    let m = common::temp_module(&[
        (
            "p/p_test.go",
            "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
        ),
        (
            "leakcheck-baseline.json",
            "{\"version\": 1, \"leaks\": [ {\"package\": 3} ]}\n",
        ),
    ]);
    let run = run_in(m.path(), &[], &[]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("leakcheck-baseline.json:1:"), "{}", run.stderr());
}

const OWN_AND_SUB: &str = r#"package ownandsub

import (
	"os"
	"testing"
)

var block = make(chan struct{})

func TestP(t *testing.T) {
	go func() { <-block }()
	t.Run("sub", func(t *testing.T) {
		if os.Getenv("SUBLEAK") != "" {
			go func() { <-block }()
		}
	})
}
"#;

/// A parent whose own leak the baseline knows, and whose subtest leaks
/// anew: it leaked through the subtest, and its known leak reads as known.
#[test]
fn a_parent_with_a_known_leak_leaks_through_a_new_subtest_leak() {
    let m = common::temp_module(&[("ownandsub/o_test.go", OWN_AND_SUB)]);
    let base = run_in(m.path(), &["--update-baseline", "--", "-count=1"], &[]);
    assert!(base.stdout().contains("with 1 known leak"), "{}", base.stdout());
    let run = run_in(m.path(), &["--", "-count=1"], &[("SUBLEAK", "1")]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert_eq!(run.verdict("example.com/tmp/ownandsub", "TestP/sub"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/ownandsub", "TestP"), "leaked");
    let out = run.stdout();
    assert!(out.contains("--- LEAK: TestP ("), "{out}");
    assert!(
        out.contains("TestP also 1 goroutine leaked (1 stack), listed in the baseline"),
        "{out}"
    );
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestP"))
        .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
        .expect("TestP fails in JUnit");
    assert_eq!(failure.attribute("message"), Some("a subtest leaked goroutines"));
}
