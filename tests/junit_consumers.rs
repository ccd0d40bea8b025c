//! JUnit as CI readers take it, on real `go test` runs of a module with
//! skipped, flaky and failing tests and subtests, run with `--rerun-fails`:
//! skips are counted in `skipped` (not only `disabled`) with the reason
//! `t.Skip` printed; every earlier run of a rerun test, subtests included,
//! is a `<flakyFailure>` or `<rerunFailure>` worded as a failure is; a
//! package that passed on a rerun does not keep its first run's `FAIL`;
//! no failure, error, skip or rerun has an empty body; the file is valid
//! against the JUnit schema. (`scripts/junit-consumers` feeds such files
//! to junitparser and junit2html themselves.)

use crate::common;

use common::{run_in, temp_module, Run};

/// Fails when `name` is absent (and creates it), passes when it is there
/// (and removes it): the first run fails, the rerun passes.
const FLAKY: &str = r#"package flaky

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

func TestStable(t *testing.T) {}
"#;

const FAILS: &str = r#"package fails

import "testing"

func TestAlwaysFails(t *testing.T) { t.Error("always") }

func TestSubFails(t *testing.T) {
	t.Run("bad", func(t *testing.T) { t.Fatal("bad subtest") })
	t.Run("good", func(t *testing.T) {})
}

func TestPasses(t *testing.T) {}
"#;

const SKIPS: &str = r#"package skips

import "testing"

func TestSkipped(t *testing.T) {
	t.Log("looking for docker")
	t.Skip("needs docker")
}

func TestSkipNow(t *testing.T) { t.SkipNow() }

func TestSubSkip(t *testing.T) {
	t.Run("inner", func(t *testing.T) { t.Skipf("not on %s", "plan9") })
}

func TestRuns(t *testing.T) {}
"#;

const P: &str = "example.com/tmp/";

fn run() -> Run {
    let module = temp_module(&[
        ("flaky/flaky_test.go", FLAKY),
        ("fails/fails_test.go", FAILS),
        ("skips/skips_test.go", SKIPS),
    ]);
    let run = run_in(module.path(), &["--rerun-fails", "2", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    run
}

fn suite<'a, 'i>(doc: &'a roxmltree::Document<'i>, pkg: &str) -> roxmltree::Node<'a, 'i> {
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some(&format!("{P}{pkg}")))
        .unwrap_or_else(|| panic!("no testsuite {pkg}"))
}

fn case<'a, 'i>(doc: &'a roxmltree::Document<'i>, pkg: &str, name: &str) -> roxmltree::Node<'a, 'i> {
    suite(doc, pkg)
        .children()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
        .unwrap_or_else(|| panic!("no testcase {pkg} {name}"))
}

fn children<'a, 'i>(node: roxmltree::Node<'a, 'i>, tag: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.has_tag_name(tag)).collect()
}

fn own_output(node: roxmltree::Node<'_, '_>) -> String {
    children(node, "system-out")
        .first()
        .and_then(|n| n.text())
        .unwrap_or("")
        .to_string()
}

#[test]
fn junit_reads_right_after_skips_and_reruns() {
    let run = run();
    common::assert_schema_valid(&run.junit);
    let doc = roxmltree::Document::parse(&run.junit).unwrap();

    // Skips: counted as skipped, on every suite and at the top, with
    // disabled left to disabled tests (Go has none); the reason is what
    // t.Skip printed.
    let root = doc.root_element();
    assert_eq!(root.attribute("skipped"), Some("3"), "{}", run.junit);
    for (pkg, skipped) in [("flaky", "0"), ("fails", "0"), ("skips", "3")] {
        let s = suite(&doc, pkg);
        assert_eq!(s.attribute("skipped"), Some(skipped), "{pkg}");
        assert_eq!(s.attribute("disabled"), Some("0"), "{pkg}");
    }
    for (name, reason) in [
        ("TestSkipped", "skips_test.go:7: needs docker"),
        ("TestSkipNow", "skipped"),
        ("TestSubSkip/inner", "skips_test.go:13: not on plan9"),
    ] {
        let skipped = children(case(&doc, "skips", name), "skipped");
        assert_eq!(skipped.len(), 1, "{name}");
        assert_eq!(skipped[0].attribute("message"), Some(reason), "{name}");
        assert!(
            skipped[0].text().unwrap_or("").contains(&format!("--- SKIP: {name}")),
            "{name}"
        );
    }

    // Reruns: each earlier failed run, subtests included, worded as the
    // failure itself.
    for (pkg, name, tag, n) in [
        ("flaky", "TestFlaky", "flakyFailure", 1),
        ("flaky", "TestFlakySub", "flakyFailure", 1),
        ("flaky", "TestFlakySub/sometimes", "flakyFailure", 1),
        ("fails", "TestAlwaysFails", "rerunFailure", 2),
        ("fails", "TestSubFails", "rerunFailure", 2),
        ("fails", "TestSubFails/bad", "rerunFailure", 2),
    ] {
        let c = case(&doc, pkg, name);
        let runs = children(c, tag);
        assert_eq!(runs.len(), n, "{name}: {tag}");
        for r in runs {
            assert_eq!(r.attribute("message"), Some("Failed"), "{name}");
            assert_eq!(r.attribute("type"), Some("Failure"), "{name}");
            let trace = children(r, "stackTrace");
            assert!(
                trace
                    .first()
                    .and_then(|t| t.text())
                    .is_some_and(|t| !t.trim().is_empty()),
                "{name}: an empty stackTrace"
            );
        }
        if let Some(f) = children(c, "failure").first() {
            assert_eq!(f.attribute("message"), Some("Failed"), "{name}");
        }
    }
    for passed in ["TestFlakySub/ok", "TestStable"] {
        assert!(
            case(&doc, "flaky", passed)
                .children()
                .all(|n| !n.is_element() || n.has_tag_name("system-out")),
            "{passed}"
        );
    }

    // The package that passed on its rerun says so, in JUnit and JSON.
    let flaky_out = own_output(suite(&doc, "flaky"));
    assert!(flaky_out.starts_with("PASS\nok"), "{flaky_out}");
    assert!(!flaky_out.contains("FAIL"), "{flaky_out}");
    let flaky = run.package(&format!("{P}flaky"));
    assert_eq!(flaky["status"], "passed");
    assert!(!flaky["output"].as_str().unwrap().contains("FAIL"), "{flaky:#}");
    let sub = flaky["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "TestFlakySub/sometimes")
        .unwrap();
    assert_eq!(sub["attempts"][0]["verdict"], "failed", "{sub:#}");
    assert!(own_output(suite(&doc, "fails")).contains("FAIL"));

    // No failure, error, skip or rerun without a body.
    for n in doc.descendants() {
        let tag = n.tag_name().name();
        if ["failure", "error", "skipped"].contains(&tag) {
            assert!(n.text().is_some_and(|t| !t.trim().is_empty()), "an empty <{tag}>");
        }
    }

    // The counts: the JSON report's, and the JUnit file's own testcases.
    let totals = &run.report["totals"];
    assert_eq!(totals["tests"], 15);
    assert_eq!(totals["skipped"], 3);
    assert_eq!(totals["failed"], 3);
    assert_eq!(root.attribute("tests"), Some("15"));
    assert_eq!(root.attribute("failures"), Some("3"));
    assert_eq!(root.attribute("errors"), Some("0"));
}
