//! The CI and terminal experience: formats, colours, the progress line,
//! GitHub annotations, the raw JSON stream, reruns of flaky tests, schema-
//! valid JUnit, completions, the man page and --version.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{assert_schema_valid, fixtures_dir, leakcheck, run_in, temp_module};

const MIXED: &str = r#"package mixed

import "testing"

func TestPasses(t *testing.T) {}

func TestFails(t *testing.T) { t.Error("wrong answer") }

func TestLeaks(t *testing.T) {
	ch := make(chan int)
	go func() { ch <- 1 }()
}

func TestSkips(t *testing.T) { t.Skip("later") }
"#;

fn stdout_of(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = leakcheck();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
}

#[test]
fn each_format_shows_every_verdict() {
    let m = temp_module(&[("mixed/mixed_test.go", MIXED)]);
    let dir = m.path();
    let pkg = "example.com/tmp/mixed";
    let out = stdout_of(dir, &["--", "-count=1"], &[]);
    assert!(out.contains(&format!("✖  {pkg} (")), "{out}");
    assert!(out.contains("4 tests, 1 leaked, 1 failed, 1 skipped"), "{out}");
    assert!(out.contains("=== Failures and leaks"), "{out}");
    assert!(out.contains("--- FAIL: TestFails"), "{out}");
    assert!(out.contains("--- LEAK: TestLeaks"), "{out}");

    let out = stdout_of(dir, &["--format", "testname", "--", "-count=1"], &[]);
    for line in [
        "PASS example.com/tmp/mixed.TestPasses",
        "FAIL example.com/tmp/mixed.TestFails",
        "LEAK example.com/tmp/mixed.TestLeaks",
        "SKIP example.com/tmp/mixed.TestSkips",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }

    let out = stdout_of(dir, &["--format", "dots", "--", "-count=1"], &[]);
    assert!(out.contains(&format!("{pkg} .FLs")), "{out}");

    let out = stdout_of(dir, &["--format", "standard-quiet", "--", "-count=1"], &[]);
    assert!(
        out.contains("wrong answer") && out.contains(&format!("FAIL\t{pkg}\t")),
        "{out}"
    );
    assert!(!out.contains("=== RUN"), "{out}");

    // go test -v's output, and the leak in full.
    let out = stdout_of(dir, &["--", "-count=1", "-v"], &[]);
    assert!(out.contains("=== RUN   TestPasses\n--- PASS: TestPasses"), "{out}");
    assert!(out.contains("--- SKIP: TestSkips"), "{out}");
    assert!(out.contains("1 × [chan send"), "{out}");

    let out = stdout_of(dir, &["--format", "github-actions", "--", "-count=1"], &[]);
    assert!(out.contains(&format!("::group::FAIL {pkg}")), "{out}");
    assert!(
        out.contains("=== RUN   TestPasses") && out.contains("::endgroup::"),
        "{out}"
    );
    assert!(out.contains("::error file=mixed/mixed_test.go,line="), "{out}");
}

/// `-cover`'s figure is on go test's package line; each format shows it.
#[test]
fn coverage_is_shown_where_go_test_shows_it() {
    let m = temp_module(&[
        (
            "covered/half.go",
            "package covered\n\nfunc Used() int { return 1 }\n\nfunc Unused() int { return 2 }\n",
        ),
        (
            "covered/half_test.go",
            "package covered\n\nimport \"testing\"\n\nfunc TestUsed(t *testing.T) { Used() }\n",
        ),
    ]);
    let dir = m.path();
    let pkg = "example.com/tmp/covered";
    let out = stdout_of(dir, &["--", "-count=1", "-cover"], &[]);
    assert!(out.contains(&format!("✓  {pkg} (")), "{out}");
    assert!(out.contains("1 test) (coverage: 50.0% of statements)"), "{out}");
    let out = stdout_of(dir, &["--format", "standard-quiet", "--", "-count=1", "-cover"], &[]);
    let ok = regex::Regex::new(&format!(r"(?m)^ok  \t{pkg}\t[0-9.]+s\tcoverage: 50.0% of statements$")).unwrap();
    assert!(ok.is_match(&out), "{out}");
    let out = stdout_of(dir, &["--format", "standard-verbose", "--", "-count=1", "-cover"], &[]);
    assert!(ok.is_match(&out), "{out}");
    let out = stdout_of(dir, &["--format", "testname", "--", "-count=1", "-cover"], &[]);
    assert!(
        out.contains(&format!("PASS {pkg} (coverage: 50.0% of statements)")),
        "{out}"
    );
    // Without -cover, nothing is added.
    let out = stdout_of(dir, &["--", "-count=1"], &[]);
    assert!(!out.contains("coverage"), "{out}");
    // A result go test serves from its cache, and a package without test
    // files (go test runs nothing for it, and says so differently under
    // -cover), pass as they do under go test.
    std::fs::create_dir(dir.join("notests")).unwrap();
    std::fs::write(
        dir.join("notests/n.go"),
        "package notests\n\nfunc N() int { return 1 }\n",
    )
    .unwrap();
    for round in ["first", "cached"] {
        let run = common::run_in(dir, &["--", "-cover"], &[]);
        assert_eq!(run.code(), 0, "{round}: {}", run.stdout());
        assert_eq!(run.package(pkg)["status"], "passed", "{round}");
        assert_eq!(
            run.package("example.com/tmp/notests")["status"],
            "no_test_files",
            "{round}: {}",
            run.stdout()
        );
        if round == "cached" {
            assert!(
                run.stdout()
                    .contains(&format!("✓  {pkg} (cached) (coverage: 50.0% of statements)")),
                "{}",
                run.stdout()
            );
        }
    }
}

/// Goroutines no leaked test holds: a failing test's, not "after the last
/// test" (that is TestMain's check's; tests/fixtures has it).
#[test]
fn the_done_line_says_whose_leaked_goroutines_it_counts() {
    let m = temp_module(&[(
        "fl/fl_test.go",
        "package fl\n\nimport \"testing\"\n\nfunc TestFailsAndLeaks(t *testing.T) {\n\tgo func() { select {} }()\n\tt.Error(\"boom\")\n}\n",
    )]);
    let out = stdout_of(m.path(), &["--", "-count=1"], &[]);
    assert!(out.contains("1 test, 0 passed, 1 goroutine leaked, 1 failed"), "{out}");
    assert!(!out.contains("after the last test"), "{out}");
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let m = temp_module(&[("mixed/mixed_test.go", MIXED)]);
    let piped = stdout_of(m.path(), &["--", "-count=1"], &[]);
    assert!(!piped.contains('\x1b'), "no escapes in a pipe: {piped:?}");
    let always = stdout_of(m.path(), &["--color", "always", "--", "-count=1"], &[]);
    assert!(always.contains("\x1b[31;1m✖\x1b[0m"), "{always:?}");
    // A terminal gets colours and the progress line; NO_COLOR and CI take
    // them away.
    let tty = run_in_pty(m.path(), &["--", "-count=1"], &[]);
    assert!(tty.contains("\x1b[31;1m✖"), "{tty:?}");
    assert!(
        tty.contains("[0/1 packages]") && tty.contains("\r\x1b[2K"),
        "progress line: {tty:?}"
    );
    let plain = run_in_pty(m.path(), &["--", "-count=1"], &[("NO_COLOR", "1"), ("CI", "true")]);
    assert!(!plain.contains("\x1b[31"), "{plain:?}");
    assert!(!plain.contains("packages]"), "no progress in CI: {plain:?}");
}

/// Runs leakcheck with a pseudo-terminal as its stdout (Python's pty
/// module) and returns everything it wrote.
fn run_in_pty(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let script = "import os, pty, sys\n\
                  out = []\n\
                  def read(fd):\n    data = os.read(fd, 65536)\n    out.append(data)\n    return data\n\
                  pty.spawn(sys.argv[1:], read)\n\
                  sys.stdout.buffer.write(b''.join(out))\n";
    let mut cmd = Command::new("python3");
    cmd.current_dir(dir)
        .args(["-c", script, env!("CARGO_BIN_EXE_leakcheck")])
        .args(args)
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn github_annotations_point_where_the_leaked_goroutine_was_created() {
    let fixtures = fixtures_dir();
    let run = run_in(
        &fixtures,
        &["./workerpool", "./spawn", "--", "-count=1"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_WORKSPACE", fixtures.parent().unwrap().to_str().unwrap()),
        ],
    );
    let out = run.stdout();
    let created = &run.tests()[&("example.com/fixtures/workerpool".into(), "TestPoolLeaks".into())]["leak"]["groups"]
        [0]["created_by"];
    let line = created["line"].as_u64().unwrap();
    // The fixture's `go` statement is at that line.
    let source = std::fs::read_to_string(fixtures.join("workerpool/pool.go")).unwrap();
    assert!(
        source.lines().nth(line as usize - 1).unwrap().contains("go "),
        "line {line}"
    );
    let want = format!("::error file=go-fixtures/workerpool/pool.go,line={line},title=Goroutine leak in TestPoolLeaks (example.com/fixtures/workerpool)::4 goroutines leaked (1 stack)");
    assert!(out.contains(&want), "{want}\nnot in\n{out}");
    // The biggest leak comes first.
    let spawn = out.find("title=Goroutine leak in TestPerRequestLeaks").unwrap();
    let pool = out.find("title=Goroutine leak in TestPoolLeaks").unwrap();
    assert!(spawn < pool, "{out}");
    assert!(!out.lines().any(|l| l.starts_with("::error") && l.contains('\n')));
}

#[test]
fn no_more_than_ten_annotations() {
    let mut body = String::from("package many\n\nimport \"testing\"\n");
    for i in 0..13 {
        body.push_str(&format!("\nfunc TestFail{i}(t *testing.T) {{ t.Error(\"no\") }}\n"));
    }
    let m = temp_module(&[("many/many_test.go", &body)]);
    let out = stdout_of(m.path(), &["--annotations", "--", "-count=1"], &[]);
    assert_eq!(out.lines().filter(|l| l.starts_with("::error ")).count(), 10, "{out}");
    assert!(
        out.contains("::warning title=leakcheck::3 more failures are not annotated"),
        "{out}"
    );
}

#[test]
fn jsonfile_is_go_tests_own_stream() {
    let m = temp_module(&[("mixed/mixed_test.go", MIXED)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out/go-test.json");
    let status = leakcheck()
        .current_dir(m.path())
        .args(["--jsonfile", path.to_str().unwrap(), "--", "-count=1"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut actions = Vec::new();
    for line in text.lines() {
        let ev: serde_json::Value = serde_json::from_str(line).expect("every line is a test2json event");
        if let (Some(a), Some(t)) = (ev["Action"].as_str(), ev["Test"].as_str()) {
            if ["pass", "fail", "skip"].contains(&a) {
                actions.push(format!("{a} {t}"));
            }
        }
    }
    actions.sort();
    // As go test saw it: the leaking test failed through leakcheck's helper.
    assert_eq!(
        actions,
        vec!["fail TestFails", "fail TestLeaks", "pass TestPasses", "skip TestSkips"]
    );
}

const FLAKY: &str = r#"package flaky

import (
	"os"
	"testing"
)

// TestLeaksOnce leaks the first time it runs (it leaves a marker file),
// not after.
func TestLeaksOnce(t *testing.T) {
	marker := os.Getenv("FLAKY_MARKER")
	if _, err := os.Stat(marker); err == nil {
		return
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ch := make(chan int)
	go func() { ch <- 1 }()
}

func TestAlwaysLeaks(t *testing.T) {
	if os.Getenv("ALWAYS") == "" {
		return
	}
	ch := make(chan int)
	go func() { <-ch }()
}
"#;

#[test]
fn a_leak_that_disappears_on_rerun_is_flaky_not_silently_passed() {
    let m = temp_module(&[("flaky/flaky_test.go", FLAKY)]);
    let marker = m.path().join("marker");
    let env = [("FLAKY_MARKER", marker.to_str().unwrap())];
    let run = run_in(m.path(), &["--rerun-fails", "2", "--", "-count=1"], &env);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    let t = &run.tests()[&("example.com/tmp/flaky".into(), "TestLeaksOnce".into())];
    assert_eq!(t["verdict"], "passed");
    assert_eq!(t["attempts"][0]["verdict"], "leaked");
    assert_eq!(t["attempts"][0]["leak"], "1 goroutine leaked (1 stack)");
    let out = run.stdout();
    assert!(out.contains("=== RERUN 1 of 2: 1 failed test in 1 package"), "{out}");
    assert!(out.contains("--- FLAKY: TestLeaksOnce (example.com/tmp/flaky): leaked (1 goroutine leaked (1 stack)), then passed on a rerun"), "{out}");
    assert!(out.contains("1 flaky"), "{out}");
    // The JSON report counts it as the DONE line does.
    assert_eq!(run.report["totals"]["flaky"], 1);
    assert_eq!(run.report["totals"]["passed"], run.report["totals"]["tests"]);
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("TestLeaksOnce"))
        .unwrap();
    let flaky = case
        .children()
        .find(|c| c.has_tag_name("flakyFailure"))
        .expect("flakyFailure");
    assert_eq!(flaky.attribute("type"), Some("GoroutineLeak"));
    assert!(case.children().all(|c| !c.has_tag_name("failure")));
    assert_schema_valid(&run.junit);

    // A leak that stays is still a failure, with its reruns recorded.
    let run = run_in(
        m.path(),
        &["--rerun-fails", "2", "--", "-count=1"],
        &[("FLAKY_MARKER", marker.to_str().unwrap()), ("ALWAYS", "1")],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let t = &run.tests()[&("example.com/tmp/flaky".into(), "TestAlwaysLeaks".into())];
    assert_eq!(t["verdict"], "leaked");
    assert_eq!(t["attempts"].as_array().unwrap().len(), 2);
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("TestAlwaysLeaks"))
        .unwrap();
    assert_eq!(case.children().filter(|c| c.has_tag_name("rerunFailure")).count(), 2);
    assert_schema_valid(&run.junit);

    // Where the first run's leak failed the package, not the test (under
    // -bench, as for a parallel test checked in the background), the
    // helper's line for it is not shown once the rerun passed (helper-128).
    std::fs::remove_file(&marker).unwrap();
    let run = run_in(
        m.path(),
        &["--rerun-fails", "1", "--", "-count=1", "-bench=.", "-benchtime=1x"],
        &env,
    );
    let out = run.stdout();
    assert_eq!(run.code(), 0, "{out}");
    assert!(out.contains("--- FLAKY: TestLeaksOnce"), "{out}");
    assert!(!out.contains("leaked after TestLeaksOnce returned"), "{out}");
}

#[test]
fn junit_of_every_kind_of_result_passes_the_schema() {
    let m = temp_module(&[
        ("mixed/mixed_test.go", MIXED),
        ("broken/b_test.go", "package broken\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) { var x int = \"s\"; _ = x }\n"),
        ("panics/p_test.go", "package panics\n\nimport \"testing\"\n\nfunc TestP(t *testing.T) { var m map[int]int; m[1] = 1 }\n"),
        ("ctrl/c_test.go", "package ctrl\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestCtrl(t *testing.T) { fmt.Println(\"\\x01\\x1b[31mred\\x1b[0m\\ufffe\") }\n"),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1);
    assert_schema_valid(&run.junit);
}

#[test]
fn completions_man_page_and_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_leakcheck"))
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let bash = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && bash.contains("--junitfile") && bash.contains("--update-baseline"),
        "{bash}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_leakcheck"))
        .arg("man")
        .output()
        .unwrap();
    let man = String::from_utf8_lossy(&out.stdout);
    assert!(
        man.starts_with(".ie") && man.contains(".TH leakcheck 1") && man.contains("rerun\\-fails"),
        "{man}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_leakcheck"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(
        version.starts_with(&format!("leakcheck {}\ngo version go1.", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
}

#[test]
fn annotations_put_build_failures_and_panics_before_leaks() {
    let mut leaks = String::from("package leaks\n\nimport \"testing\"\n");
    for i in 0..12 {
        leaks.push_str(&format!(
            "\nfunc TestLeak{i}(t *testing.T) {{ go func() {{ select {{}} }}() }}\n"
        ));
    }
    leaks.push_str(
        "\nfunc TestParent(t *testing.T) {\n\tt.Run(\"sub\", func(t *testing.T) { go func() { select {} }() })\n}\n",
    );
    let m = temp_module(&[
        ("leaks/l_test.go", &leaks),
        (
            "broken/b_test.go",
            "package broken\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) { var x int = \"no\" }\n",
        ),
        (
            "panics/p_test.go",
            "package panics\n\nimport \"testing\"\n\nfunc TestP(t *testing.T) { var m map[string]int; m[\"x\"] = 1 }\n",
        ),
    ]);
    let out = stdout_of(m.path(), &["--annotations", "--", "-count=1"], &[]);
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 10, "{out}");
    assert!(errors[0].contains("does not build"), "{errors:#?}");
    assert!(errors[1].contains("panic"), "{errors:#?}");
    // The parent that failed only through its subtest has no annotation of
    // its own.
    assert!(!out.contains("TestParent failed"), "{out}");
}
