//! Real suites unchanged: go test's flags and failure modes behave as in go
//! test, and nothing go test reports is lost (each run is compared
//! test-by-test with plain `go test -json` on the same packages).

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{assert_nothing_lost, go_test_verdicts, leakcheck, run_in, temp_module};

const BASIC: &str = r#"package basic

import (
	"testing"
	"time"
)

func TestTable(t *testing.T) {
	for _, name := range []string{"one", "two", "three"} {
		t.Run(name, func(t *testing.T) {
			if name == "" {
				t.Fatal("empty")
			}
		})
	}
}

func TestSkipped(t *testing.T) { t.Skip("not today") }

func TestLong(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	time.Sleep(time.Millisecond)
}

func TestFails(t *testing.T) { t.Error("wrong") }

func TestLeaks(t *testing.T) {
	ch := make(chan int)
	go func() { <-ch }()
}

func TestParallelOne(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
}

func TestParallelTwo(t *testing.T) {
	t.Parallel()
	go func() { select {} }()
}
"#;

const TAGGED: &str = r#"//go:build integration

package tagged

import "testing"

func TestIntegration(t *testing.T) {}
"#;

const TAGGED_ALWAYS: &str = r#"package tagged

import "testing"

func TestUnit(t *testing.T) {}
"#;

const NAMED: &str = r#"package othername

import "testing"

func TestNamed(t *testing.T) {
	go func() { select {} }()
}
"#;

const CGO: &str = r#"package withcgo

/*
static int add(int a, int b) { return a + b; }
*/
import "C"

// Add adds through C.
func Add(a, b int) int { return int(C.add(C.int(a), C.int(b))) }
"#;

const CGO_TEST: &str = r#"package withcgo

import "testing"

func TestAdd(t *testing.T) {
	if Add(2, 3) != 5 {
		t.Fatal("bad")
	}
}
"#;

fn suite() -> tempfile::TempDir {
    temp_module(&[
        ("basic/basic_test.go", BASIC),
        ("tagged/integration_test.go", TAGGED),
        ("tagged/unit_test.go", TAGGED_ALWAYS),
        ("named/named_test.go", NAMED),
        ("withcgo/add.go", CGO),
        ("withcgo/add_test.go", CGO_TEST),
    ])
}

/// Runs go test and leakcheck with the same flags and compares them.
fn compare(dir: &std::path::Path, flags: &[&str]) -> common::Run {
    let mut go_args = flags.to_vec();
    go_args.push("./...");
    let go = go_test_verdicts(dir, &go_args, &[]);
    let mut lc_args = vec!["./...", "--"];
    lc_args.extend(flags);
    let run = run_in(dir, &lc_args, &[]);
    assert!(
        run.code() == 1 || run.code() == 0,
        "{flags:?}: {}{}",
        run.stdout(),
        run.stderr()
    );
    let n = assert_nothing_lost(&go, &run);
    assert!(n > 0, "{flags:?}: nothing ran");
    run
}

#[test]
fn go_test_flags_behave_as_in_go_test() {
    let m = suite();
    let dir = m.path();
    let run = compare(dir, &["-count=1"]);
    assert_eq!(run.verdict("example.com/tmp/basic", "TestLeaks"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestParallelTwo"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestParallelOne"), "passed");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestFails"), "failed");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestSkipped"), "skipped");
    assert_eq!(run.verdict("example.com/tmp/named", "TestNamed"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/withcgo", "TestAdd"), "passed");
    assert_eq!(run.verdict("example.com/tmp/tagged", "TestIntegration"), "absent");

    let run = compare(dir, &["-count=1", "-run", "TestTable/two|TestLeaks"]);
    assert_eq!(run.verdict("example.com/tmp/basic", "TestTable/two"), "passed");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestTable/one"), "absent");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestFails"), "absent");

    let run = compare(dir, &["-count=1", "-skip", "TestTable/one|TestFails"]);
    assert_eq!(run.verdict("example.com/tmp/basic", "TestTable/one"), "absent");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestTable/two"), "passed");

    let run = compare(dir, &["-count=1", "-tags", "integration", "-short"]);
    assert_eq!(run.verdict("example.com/tmp/tagged", "TestIntegration"), "passed");
    assert_eq!(run.verdict("example.com/tmp/basic", "TestLong"), "skipped");

    // Each run is checked on its own: two runs, two leaks.
    let run = compare(dir, &["-count=2", "-run", "TestLeaks|TestTable"]);
    let leaks: Vec<_> = run.report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["tests"].as_array().unwrap())
        .filter(|t| t["name"] == "TestLeaks")
        .map(|t| {
            (
                t["run"].as_u64().unwrap(),
                t["verdict"].clone(),
                t["leak"]["total"].clone(),
            )
        })
        .collect();
    assert_eq!(
        leaks,
        vec![(1, "leaked".into(), 1.into()), (2, "leaked".into(), 1.into())]
    );

    for flags in [
        &["-count=1", "-shuffle=on"][..],
        &["-count=1", "-failfast", "-p", "1"],
        &["-count=1", "-cover", "-parallel", "1"],
        &["-count=1", "-cpu", "1,2", "-run", "TestLeaks|TestParallel"],
        &["-count=1", "-json", "-v"],
    ] {
        let run = compare(dir, flags);
        if !flags.contains(&"-failfast") {
            // Each verdict belongs to its own test, whatever the order.
            assert_eq!(run.verdict("example.com/tmp/basic", "TestLeaks"), "leaked", "{flags:?}");
            if !flags.contains(&"-run") {
                assert_eq!(run.verdict("example.com/tmp/basic", "TestFails"), "failed", "{flags:?}");
            }
            assert_eq!(
                run.verdict("example.com/tmp/basic", "TestParallelOne"),
                "passed",
                "{flags:?}"
            );
        }
    }
}

const FLAGGED: &str = r#"package flagged

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files")
	golden = flag.String("golden", "", "the golden file")
)

func TestFlags(t *testing.T) {
	if !*update || *golden != "x.txt" {
		t.Fatalf("update=%v golden=%q", *update, *golden)
	}
}

func TestSteps(t *testing.T) {
	t.Run("flaky", func(t *testing.T) {
		marker := filepath.Join(os.Getenv("MARKER_DIR"), "ran")
		if _, err := os.Stat(marker); err != nil {
			os.WriteFile(marker, nil, 0o600)
			t.Fatal("first run fails")
		}
	})
	t.Run("broken", func(t *testing.T) { t.Fatal("always fails") })
}
"#;

// The test binary's own flags go after the packages (go test ends its
// package list at a flag it does not know), `-v=false` leaves go test's
// JSON alone, and a rerun keeps the user's subtest selection and -skip.
#[test]
fn the_test_binarys_flags_and_a_reruns_selection_are_the_users() {
    let m = temp_module(&[("flagged/f_test.go", FLAGGED)]);
    let markers = tempfile::tempdir().unwrap();
    let env = [("MARKER_DIR", markers.path().to_str().unwrap())];
    let run = run_in(
        m.path(),
        &[
            "--rerun-fails",
            "1",
            "./flagged",
            "--",
            "-count=1",
            "-update",
            "-golden",
            "x.txt",
            "-v=false",
            "-skip",
            "TestSteps/broken",
        ],
        &env,
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.verdict("example.com/tmp/flagged", "TestFlags"), "passed");
    assert_eq!(run.verdict("example.com/tmp/flagged", "TestSteps"), "passed");
    assert_eq!(run.verdict("example.com/tmp/flagged", "TestSteps/broken"), "absent");
    // A rerun of files named on the command line gets the files again.
    let markers = tempfile::tempdir().unwrap();
    let env = [("MARKER_DIR", markers.path().to_str().unwrap())];
    let run = run_in(
        &m.path().join("flagged"),
        &[
            "--rerun-fails",
            "1",
            "f_test.go",
            "--",
            "-count=1",
            "-update",
            "-golden=x.txt",
            "-skip",
            "TestSteps/broken",
        ],
        &env,
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.verdict("command-line-arguments", "TestSteps"), "passed");
}

// Parallel tests whose checks wait in the background (the looker) while
// other tests run: the looker must not touch a test's testing.T after the
// test returned (testing marks it done without a lock: -race reported a
// race in a clean test, about one run in three).
const PARALLEL_RACE: &str = r#"package parrace

import (
	"sync"
	"testing"
	"time"
)

var forever = make(chan struct{})

func TestLeakA(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond)
	go func() { <-forever }()
	time.Sleep(50 * time.Millisecond)
}

func TestLeakB(t *testing.T) {
	t.Parallel()
	time.Sleep(30 * time.Millisecond)
	for i := 0; i < 3; i++ {
		go func() { select {} }()
	}
}

func TestCleanA(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); time.Sleep(80 * time.Millisecond) }()
	}
	wg.Wait()
}

func TestCleanB(t *testing.T) {
	t.Parallel()
	time.Sleep(120 * time.Millisecond)
	done := make(chan struct{})
	go func() { time.Sleep(5 * time.Millisecond); close(done) }()
	<-done
}

func TestCleanC(t *testing.T) {
	t.Parallel()
	time.Sleep(10 * time.Millisecond)
}
"#;

#[test]
fn background_checks_of_parallel_tests_race_nothing() {
    let m = temp_module(&[("parrace/p_test.go", PARALLEL_RACE)]);
    let stream = m.path().join("stream.json");
    let run = run_in(
        m.path(),
        &["--jsonfile", stream.to_str().unwrap(), "--", "-count=3", "-race"],
        &[],
    );
    let raw = std::fs::read_to_string(&stream).unwrap();
    assert!(!raw.contains("DATA RACE"), "{raw}");
    let tests: Vec<&serde_json::Value> = run.report["packages"][0]["tests"].as_array().unwrap().iter().collect();
    assert_eq!(tests.len(), 15, "{}", run.stdout());
    for t in tests {
        let name = t["name"].as_str().unwrap();
        let want = if name.starts_with("TestLeak") {
            "leaked"
        } else {
            "passed"
        };
        assert_eq!(t["verdict"], want, "{name} run {}: {}", t["run"], run.stdout());
    }
}

#[test]
fn race_detector_runs_are_checked_too() {
    let m = suite();
    let run = compare(
        m.path(),
        &["-count=1", "-race", "-run", "TestLeaks|TestParallel|TestAdd"],
    );
    assert_eq!(run.verdict("example.com/tmp/basic", "TestLeaks"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/withcgo", "TestAdd"), "passed");
}

const BROKEN: &[(&str, &str)] = &[
    (
        "vetfail/v_test.go",
        "package vetfail\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestV(t *testing.T) { fmt.Printf(\"%d\\n\", \"s\") }\n",
    ),
    // Only an external test, which does not import the package: vet finds
    // no Greet for the example's name (a shim of leakcheck's that imported
    // the package once gave it one).
    ("xvet/x.go", "package xvet\n\nfunc Greet() {}\n"),
    (
        "xvet/example_test.go",
        "package xvet_test\n\nimport \"fmt\"\n\nfunc ExampleGreet() {\n\tfmt.Println(\"hi\")\n\t// Output: hi\n}\n",
    ),
    (
        "typeerr/t_test.go",
        "package typeerr\n\nimport \"testing\"\n\nfunc TestTyped(t *testing.T) { var n int = \"s\"; _ = n }\n",
    ),
    (
        "missingdep/m_test.go",
        "package missingdep\n\nimport (\n\t\"testing\"\n\n\t\"example.org/does/not/exist\"\n)\n\nfunc TestM(t *testing.T) { exist.F() }\n",
    ),
    (
        "exits/e_test.go",
        "package exits\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestBefore(t *testing.T) {}\n\nfunc TestExits(t *testing.T) { os.Exit(3) }\n",
    ),
    (
        "fatal/f_test.go",
        "package fatal\n\nimport (\n\t\"log\"\n\t\"testing\"\n)\n\nfunc TestFatal(t *testing.T) { log.Fatal(\"boom\") }\n",
    ),
    (
        "mainexit/m_test.go",
        "package mainexit\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) {\n\tfmt.Println(\"no database\")\n\tos.Exit(4)\n}\n\nfunc TestA(t *testing.T) {}\n",
    ),
    (
        "mainpanic/m_test.go",
        "package mainpanic\n\nimport \"testing\"\n\nfunc TestMain(m *testing.M) {\n\tvar p *int\n\t_ = *p\n}\n\nfunc TestA(t *testing.T) {}\n",
    ),
    (
        "clean/c_test.go",
        "package clean\n\nimport \"testing\"\n\nfunc TestClean(t *testing.T) {}\n",
    ),
    (
        "noisy/n_test.go",
        "package noisy\n\nimport (\n\t\"strings\"\n\t\"testing\"\n)\n\nfunc TestMegabytes(t *testing.T) {\n\tfor i := 0; i < 5000; i++ {\n\t\tt.Log(strings.Repeat(\"\\xff\\xfeq\", 300))\n\t}\n}\n",
    ),
];

#[test]
fn every_failure_mode_is_reported_and_other_packages_still_run() {
    let m = temp_module(BROKEN);
    let run = compare(m.path(), &["-count=1"]);
    assert_eq!(run.code(), 1);
    let status = |p: &str| {
        run.package(&format!("example.com/tmp/{p}"))["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("clean"), "passed");
    assert_eq!(status("noisy"), "passed");
    assert_eq!(status("vetfail"), "build_failed");
    assert!(run.package("example.com/tmp/vetfail")["build_output"]
        .as_str()
        .unwrap()
        .contains("Printf format %d has arg \"s\" of wrong type string"));
    assert_eq!(status("xvet"), "build_failed");
    assert!(run.package("example.com/tmp/xvet")["build_output"]
        .as_str()
        .unwrap()
        .contains("ExampleGreet refers to unknown identifier: Greet"));
    // Messages point where go test's do, columns too, though leakcheck
    // adds a call after the test's opening brace.
    assert_eq!(status("typeerr"), "build_failed");
    for (pkg, file) in [("vetfail", "v_test.go"), ("typeerr", "t_test.go")] {
        let vet = std::process::Command::new("go")
            .args(["vet", &format!("./{pkg}")])
            .current_dir(m.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&vet.stderr);
        let at = regex::Regex::new(&format!(r"{file}:\d+:\d+:")).unwrap();
        let at = at.find(&said).unwrap_or_else(|| panic!("go vet: {said}")).as_str();
        let build_output = run.package(&format!("example.com/tmp/{pkg}"))["build_output"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(build_output.contains(at), "go vet says {at}, leakcheck: {build_output}");
    }
    assert_eq!(status("missingdep"), "build_failed");
    assert!(run.package("example.com/tmp/missingdep")["build_output"]
        .as_str()
        .unwrap()
        .contains("example.org/does/not/exist"));
    assert_eq!(run.verdict("example.com/tmp/exits", "TestBefore"), "passed");
    assert_eq!(run.verdict("example.com/tmp/exits", "TestExits"), "unfinished");
    assert_eq!(run.verdict("example.com/tmp/fatal", "TestFatal"), "unfinished");
    assert_eq!(status("mainexit"), "failed");
    assert_eq!(status("mainpanic"), "failed");
    assert_eq!(run.package("example.com/tmp/mainpanic")["crash"]["kind"], "panic");

    let out = run.stdout();
    assert!(out.contains("the test binary exited while TestExits ran"), "{out}");
    assert!(out.contains("no database"), "{out}");
    // TestMain's own exit status failed it: the DONE line says so.
    assert!(out.contains("1 package failed outside its tests"), "{out}");
    assert!(out.contains("✖  example.com/tmp/vetfail (build failed)"), "{out}");
    // A package go cannot load is a setup failure, in go test's words.
    assert!(out.contains("✖  example.com/tmp/missingdep (setup failed)"), "{out}");
    // The DONE line counts it apart from the packages that did not compile.
    let done = out.lines().find(|l| l.starts_with("DONE ")).unwrap();
    assert!(done.contains(", 1 setup failure"), "{done}");
    assert!(
        regex::Regex::new(r", [2-9] build failures").unwrap().is_match(done),
        "{done}"
    );

    let doc = roxmltree::Document::parse(&run.junit).expect("valid JUnit");
    let suites: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    for p in [
        "clean",
        "noisy",
        "vetfail",
        "typeerr",
        "missingdep",
        "exits",
        "fatal",
        "mainexit",
        "mainpanic",
    ] {
        assert!(
            suites.contains(&format!("example.com/tmp/{p}").as_str()),
            "no testsuite for {p}: {suites:?}"
        );
    }
    let main_case = |p: &str| {
        doc.descendants()
            .find(|n| {
                n.has_tag_name("testcase")
                    && n.attribute("name") == Some("TestMain")
                    && n.attribute("classname") == Some(&format!("example.com/tmp/{p}"))
            })
            .unwrap_or_else(|| panic!("no TestMain testcase for {p}"))
    };
    for p in ["vetfail", "typeerr", "missingdep", "mainpanic"] {
        assert!(main_case(p).children().any(|c| c.has_tag_name("error")), "{p}");
    }
    assert!(main_case("mainexit").children().any(|c| c.has_tag_name("failure")));
    // The megabytes of invalid UTF-8 are all there (as U+FFFD: go test -json
    // replaces invalid bytes before leakcheck sees them).
    let noisy = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestMegabytes"))
        .unwrap();
    let out = noisy
        .children()
        .find(|c| c.has_tag_name("system-out"))
        .unwrap()
        .text()
        .unwrap();
    assert!(out.len() > 5000 * 900, "system-out has only {} bytes", out.len());
}

/// A package that builds under go test but not with leakcheck's helper (it
/// declares, as a variable, a predeclared name the helper calls) is not
/// lost: go test runs it again without the helper, its verdicts are go
/// test's, every line it printed is in the reports, and it is reported not
/// checked for leaks (which fails the run). A package that does not build
/// without the helper either stays a build failure, reported once, with go
/// test's own errors (the helper's would hide them). go test's stream
/// (`--jsonfile`) and the coverage profile are go test's.
#[test]
fn a_package_the_helper_cannot_build_into_runs_unchecked_with_go_tests_verdicts() {
    let m = temp_module(&[
        (
            "shadow/shadow.go",
            "package shadow\n\n// len shadows the builtin, as some generated code does.\nvar len = 3\n\nfunc Size() int { return len }\n",
        ),
        (
            "shadow/shadow_test.go",
            "package shadow\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSize(t *testing.T) {\n\tt.Log(\"size is\", Size())\n}\n\nfunc TestWrong(t *testing.T) {\n\tt.Errorf(\"want 4, got %d\", Size())\n}\n\nfunc TestLeaks(t *testing.T) {\n\tgo func() { time.Sleep(time.Hour) }()\n}\n",
        ),
        (
            "clean/clean.go",
            "package clean\n\nfunc One() int { return 1 }\n",
        ),
        (
            "clean/clean_test.go",
            "package clean\n\nimport \"testing\"\n\nfunc TestClean(t *testing.T) { One() }\n",
        ),
        // The external test package declares `string`, which the shim
        // that joins it to the helper needs.
        ("xshadow/x.go", "package xshadow\n\nfunc X() int { return 1 }\n"),
        (
            "xshadow/x_test.go",
            "package xshadow_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/tmp/xshadow\"\n)\n\nvar string = \"s\"\n\nfunc TestX(t *testing.T) { t.Log(string, xshadow.X()) }\n",
        ),
        (
            "both/both.go",
            "package both\n\nvar len = 3\n\nfunc Size() int { return len }\n",
        ),
        // Sorted after the helper's file: the compiler stops at ten of
        // the helper's errors before it reaches this one.
        (
            "both/zzz_test.go",
            "package both\n\nimport \"testing\"\n\nfunc TestSize(t *testing.T) { t.Log(Size(), notDefined) }\n",
        ),
        (
            "broken/broken_test.go",
            "package broken\n\nimport \"testing\"\n\nfunc TestBroken(t *testing.T) { undefinedHelper() }\n",
        ),
    ]);
    let jsonfile = m.path().join("go.jsonl");
    let jsonfile_arg = jsonfile.display().to_string();
    let profile = m.path().join("cover.out");
    let profile_arg = format!("-coverprofile={}", profile.display());
    let go = go_test_verdicts(m.path(), &["-count=1", "./shadow", "./xshadow", "./clean"], &[]);
    let run = run_in(
        m.path(),
        &[
            "--jsonfile",
            &jsonfile_arg,
            "--rerun-fails=1",
            "./...",
            "--",
            "-count=1",
            &profile_arg,
        ],
        &[],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    assert_eq!(run.verdict("example.com/tmp/shadow", "TestSize"), "passed", "{out}");
    assert_eq!(run.verdict("example.com/tmp/shadow", "TestWrong"), "failed", "{out}");
    // Unchecked: a pass, as go test says.
    assert_eq!(run.verdict("example.com/tmp/shadow", "TestLeaks"), "passed", "{out}");
    let shadow = run.package("example.com/tmp/shadow");
    assert_eq!(shadow["status"], "failed", "{out}");
    assert_eq!(shadow["check"]["state"], "not_checked", "{out}");
    let why = shadow["check"]["reason"].as_str().unwrap();
    assert!(why.contains("does not build with leakcheck's helper"), "{why}");
    assert!(why.contains("cannot call len"), "{why}");
    assert_eq!(run.package("example.com/tmp/clean")["check"]["state"], "checked");
    assert_eq!(run.verdict("example.com/tmp/xshadow", "TestX"), "passed", "{out}");
    assert_eq!(run.package("example.com/tmp/xshadow")["check"]["state"], "not_checked");
    assert_eq!(run.package("example.com/tmp/broken")["status"], "build_failed");
    let both = run.package("example.com/tmp/both");
    assert_eq!(both["status"], "build_failed", "{out}");
    let said = both["build_output"].as_str().unwrap();
    assert!(
        said.contains("undefined: notDefined") && !said.contains("zz_leakcheck"),
        "{said}"
    );
    // The run without the helper wrote no profile over the run's, and
    // added its package's coverage to it.
    let covered = std::fs::read_to_string(&profile).unwrap();
    assert!(covered.contains("example.com/tmp/clean/clean.go"), "{covered}");
    assert!(covered.contains("example.com/tmp/shadow/shadow.go"), "{covered}");
    assert_eq!(covered.matches("mode: ").count(), 1, "{covered}");
    assert!(out.contains("shadow did not build with leakcheck's helper"), "{out}");
    assert!(out.contains("✖  example.com/tmp/broken (build failed)"), "{out}");
    // A line per package on the terminal, the unchecked one's after its
    // run without the helper, and again after its rerun (without it too).
    assert_eq!(out.matches("example.com/tmp/shadow (").count(), 2, "{out}");
    assert_eq!(out.matches("example.com/tmp/broken (").count(), 1, "{out}");
    let wrong = &run.tests()[&("example.com/tmp/shadow".to_string(), "TestWrong".to_string())];
    assert_eq!(wrong["attempts"].as_array().unwrap().len(), 1, "{wrong}");
    // go test's stream holds the broken package's failure once, and the
    // unchecked package's second run.
    let stream = std::fs::read_to_string(&jsonfile).unwrap();
    let actions = |pkg: &str, action: &str| {
        stream
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| {
                e["Action"] == action
                    && (e["Package"] == pkg || e["ImportPath"].as_str().is_some_and(|p| p.starts_with(pkg)))
            })
            .count()
    };
    assert_eq!(actions("example.com/tmp/broken", "build-fail"), 1, "{stream}");
    assert_eq!(actions("example.com/tmp/shadow", "run"), 3 + 1, "{stream}");
    // Only the run without the helper's and its rerun's: no helper error.
    assert_eq!(actions("example.com/tmp/shadow", "start"), 2, "{stream}");
    assert_eq!(actions("example.com/tmp/shadow", "build-fail"), 0, "{stream}");
    assert!(!stream.contains("zz_leakcheck"), "{stream}");
    // What the unchecked tests printed is in the JUnit file.
    let doc = roxmltree::Document::parse(&run.junit).expect("valid JUnit");
    let size = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestSize"))
        .expect("TestSize's testcase");
    assert!(
        size.descendants()
            .any(|n| n.text().is_some_and(|t| t.contains("size is 3"))),
        "{}",
        run.junit
    );
}

/// A package the helper cannot build into that go test, run again
/// without it, never reaches (-failfast stopped it after an earlier
/// failure) is not finished, not a build failure: go test would not have
/// reported one, and the helper's errors are not in its stream.
#[test]
fn a_package_the_helper_cannot_build_into_that_go_test_never_reaches_is_not_finished() {
    let shadow = |p: &str, body: &str| {
        [
            (format!("{p}/{p}.go"), format!("package {p}\n\nvar len = 3\n")),
            (
                format!("{p}/{p}_test.go"),
                format!("package {p}\n\nimport \"testing\"\n\nfunc TestIt(t *testing.T) {{ {body} }}\n"),
            ),
        ]
    };
    let files: Vec<(String, String)> = shadow("aa", "t.Fatal(\"aa fails\")")
        .into_iter()
        .chain(shadow("bb", ""))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let m = temp_module(&files);
    let jsonfile = m.path().join("go.jsonl");
    let jsonfile_arg = jsonfile.display().to_string();
    let run = run_in(
        m.path(),
        &[
            "--jsonfile",
            &jsonfile_arg,
            "./...",
            "--",
            "-count=1",
            "-p=1",
            "-failfast",
        ],
        &[],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(run.verdict("example.com/tmp/aa", "TestIt"), "failed", "{out}");
    assert_eq!(run.package("example.com/tmp/aa")["check"]["state"], "not_checked");
    let bb = run.package("example.com/tmp/bb");
    assert_eq!(bb["status"], "not_finished", "{out}");
    assert!(bb["check"]["reason"].as_str().unwrap().contains("-failfast"), "{bb}");
    let stream = std::fs::read_to_string(&jsonfile).unwrap();
    assert!(!stream.contains("zz_leakcheck"), "{stream}");
}

/// A rerun writes no profile over the whole run's, even when the profile
/// is asked for in `$GOFLAGS` (go test reads test flags there too).
#[test]
fn a_rerun_writes_no_profile_over_the_runs_even_through_goflags() {
    let m = temp_module(&[
        ("a/a.go", "package a\n\nfunc One() int { return 1 }\n"),
        (
            "a/a_test.go",
            "package a\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\n// TestFlaky fails its first run only.\nfunc TestFlaky(t *testing.T) {\n\tOne()\n\tif _, err := os.Stat(\"ran-once\"); err != nil {\n\t\t_ = os.WriteFile(\"ran-once\", nil, 0o644)\n\t\tt.Fatal(\"the first run fails\")\n\t}\n}\n",
        ),
        ("b/b.go", "package b\n\nfunc Two() int { return 2 }\n"),
        ("b/b_test.go", "package b\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) { Two() }\n"),
    ]);
    let profile = m.path().join("cover.out");
    let goflags = format!("-coverprofile={}", profile.display());
    let run = run_in(
        m.path(),
        &["--rerun-fails=1", "./...", "--", "-count=1"],
        &[("GOFLAGS", &goflags)],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{out}");
    assert_eq!(run.verdict("example.com/tmp/a", "TestFlaky"), "passed", "{out}");
    let covered = std::fs::read_to_string(&profile).unwrap();
    assert!(covered.contains("example.com/tmp/b/b.go"), "{covered}");
}

/// testing takes os.Stdout back when an example returns, so what a
/// goroutine of the example prints afterwards is not compared with its
/// `// Output:`. leakcheck's check of the example waits after it returned:
/// a goroutine that prints then, and exits, neither fails the example nor
/// is lost (it is in the example's output in the reports, as test2json
/// saw it); a goroutine that never exits is still the example's leak.
#[test]
fn what_an_examples_goroutine_prints_after_it_returned_is_not_its_output() {
    let m = temp_module(&[(
        "late/late_test.go",
        "package late\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\n// Example_farewell's goroutine says goodbye once the example has returned.\nfunc Example_farewell() {\n\tgo func() {\n\t\ttime.Sleep(100 * time.Millisecond)\n\t\tfmt.Println(\"goodbye\")\n\t}()\n\tfmt.Println(\"hello\")\n\t// Output: hello\n}\n\nfunc Example_leaky() {\n\tgo func() { select {} }()\n\tfmt.Println(\"hi\")\n\t// Output: hi\n}\n\nfunc Example_last() {\n\tfmt.Println(\"last\")\n\t// Output: last\n}\n",
    )]);
    let run = compare(m.path(), &["-count=1"]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(
        run.verdict("example.com/tmp/late", "Example_farewell"),
        "passed",
        "{out}"
    );
    assert_eq!(run.verdict("example.com/tmp/late", "Example_leaky"), "leaked", "{out}");
    assert_eq!(run.verdict("example.com/tmp/late", "Example_last"), "passed", "{out}");
    let report = run.tests();
    let farewell = &report[&("example.com/tmp/late".to_string(), "Example_farewell".to_string())];
    assert!(farewell["output"].as_str().unwrap().contains("goodbye"), "{farewell}");
}

/// A flag the test binary does not know stops it inside m.Run: go test's
/// message is shown, and no warning guesses at log.Fatal or os.Exit.
#[test]
fn a_flag_the_test_binary_refuses_is_reported_as_go_test_reports_it() {
    let files: Vec<_> = BROKEN
        .iter()
        .copied()
        .filter(|(p, _)| p.starts_with("clean/"))
        .collect();
    let m = temp_module(&files);
    let run = run_in(m.path(), &["--", "-count=1", "-nosuchflag"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert!(out.contains("flag provided but not defined: -nosuchflag"), "{out}");
    assert!(!out.contains("cannot intercept"), "{out}");
    assert_eq!(run.package("example.com/tmp/clean")["status"], "failed", "{out}");
}

/// Before Go 1.24, `go test -json` tells a package that does not build by
/// its failure on stdout (Go 1.21: a plain `FAIL\tpkg [build failed]` line
/// and no event) and the compiler's errors on stderr, written just before.
/// Each package still ends as a build failure with its own compiler
/// message, as with later Go, not as a package go test never ran. Many
/// such packages, because the errors were once lost whenever the stderr
/// reader fell behind the stdout one (under load: 8 packages in 160).
#[test]
fn a_build_failure_under_go_1_21_and_1_22_is_a_build_failure() {
    let typeerr = BROKEN.iter().find(|(p, _)| p.starts_with("typeerr/")).unwrap().1;
    let clean = BROKEN.iter().find(|(p, _)| p.starts_with("clean/")).unwrap();
    let broken: Vec<(String, String)> = (1..=8)
        .map(|i| {
            (
                format!("typeerr{i}/t_test.go"),
                typeerr.replace("package typeerr", &format!("package typeerr{i}")),
            )
        })
        .collect();
    let mut files: Vec<(&str, &str)> = broken.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    files.push(*clean);
    let m = temp_module(&files);
    for go in ["go1.21.13", "go1.22.12"] {
        let run = run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", go)]);
        assert_eq!(run.code(), 1, "{go}: {}{}", run.stdout(), run.stderr());
        for i in 1..=8 {
            let typeerr = run.package(&format!("example.com/tmp/typeerr{i}"));
            assert_eq!(typeerr["status"], "build_failed", "{go}: {}", run.stdout());
            // Its own errors, not another package's.
            let own = format!("typeerr{i}/t_test.go:5:");
            let output = typeerr["build_output"].as_str().unwrap();
            assert!(output.contains(&own), "{go}: {typeerr}");
            assert_eq!(output.matches("t_test.go:5:").count(), 1, "{go}: {typeerr}");
        }
        assert_eq!(run.package("example.com/tmp/clean")["status"], "passed", "{go}");
        assert!(run.stdout().contains("8 build failures"), "{go}: {}", run.stdout());
        assert!(!run.stdout().contains("not finished"), "{go}: {}", run.stdout());
    }
}

const HANG: &str = r#"package hang

import "testing"

func TestQuick(t *testing.T) {}

func TestHang(t *testing.T) {
	t.Run("waits", func(t *testing.T) {
		ch := make(chan int)
		<-ch
	})
}
"#;

#[test]
fn a_timeout_reports_where_the_test_hung() {
    let m = temp_module(&[("hang/hang_test.go", HANG)]);
    let run = compare(m.path(), &["-count=1", "-timeout", "2s"]);
    assert_eq!(run.verdict("example.com/tmp/hang", "TestQuick"), "passed");
    assert_eq!(run.verdict("example.com/tmp/hang", "TestHang"), "timed_out");
    assert_eq!(run.verdict("example.com/tmp/hang", "TestHang/waits"), "timed_out");
    let crash = &run.package("example.com/tmp/hang")["crash"];
    assert_eq!(crash["kind"], "timeout");
    let stuck = crash["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["frames"][0]["function"] == "example.com/tmp/hang.TestHang.func1")
        .expect("the hung goroutine is in the grouped dump");
    assert_eq!(stuck["state"], "chan receive");
    let out = run.stdout();
    assert!(
        out.contains("1 × [chan receive] example.com/tmp/hang.TestHang.func1 (hang/hang_test.go:10)"),
        "{out}"
    );
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestHang/waits"))
        .unwrap();
    let err = case.children().find(|c| c.has_tag_name("error")).unwrap();
    assert_eq!(err.attribute("type"), Some("Timeout"));
    assert!(err.text().unwrap().contains("hang.TestHang.func1"));
    // No end event: the time is what the alarm said each test had run.
    assert_eq!(case.attribute("time"), Some("2.000"), "{}", run.junit);
    assert!(out.contains("--- TIMEOUT: TestHang/waits (2.00s)"), "{out}");
}

/// Leaking serial tests whose checks wait, together, longer than the
/// suite's -timeout; then a test whose goroutine ends 250 ms after it, and
/// a clean one.
const WAITS: &str = r#"package waits

import (
	"testing"
	"time"
)

func leak() { go func() { select {} }() }

func TestLeak1(t *testing.T) { leak() }
func TestLeak2(t *testing.T) { leak() }
func TestLeak3(t *testing.T) { leak() }
func TestLeak4(t *testing.T) { leak() }
func TestLeak5(t *testing.T) { leak() }
func TestLeak6(t *testing.T) { leak() }

func TestSlowExit(t *testing.T) {
	go func() { time.Sleep(250 * time.Millisecond) }()
}

func TestClean(t *testing.T) {}
"#;

// The grace period's waits are leakcheck's time, not the tests': six
// leaks' waits (3 s) in a 2 s -timeout timed the suite out where go test
// passes it in milliseconds, cutting a clean test short and losing the
// tests after it. The helper stops testing's alarm while a check waits
// with no other test running.
#[test]
fn the_checks_waits_do_not_count_against_the_timeout() {
    let m = temp_module(&[("waits/waits_test.go", WAITS)]);
    let run = compare(m.path(), &["-count=1", "-timeout", "2s"]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let pkg = "example.com/tmp/waits";
    for n in 1..=6 {
        assert_eq!(run.verdict(pkg, &format!("TestLeak{n}")), "leaked", "{}", run.stdout());
    }
    assert_eq!(run.verdict(pkg, "TestSlowExit"), "passed", "{}", run.stdout());
    assert_eq!(run.verdict(pkg, "TestClean"), "passed", "{}", run.stdout());
    assert!(run.package(pkg)["crash"].is_null(), "{}", run.stdout());
    assert!(!run.stdout().contains("stopped waiting"), "{}", run.stdout());
}

/// A test that uses most of the -timeout, then tests whose goroutines end
/// 700 ms after them: within a 2 s grace period, but past the alarm.
const NEAR_THE_ALARM: &str = r#"package near

import (
	"testing"
	"time"
)

func TestSlow(t *testing.T) { time.Sleep(2500 * time.Millisecond) }

func exitsLater() { go func() { time.Sleep(700 * time.Millisecond) }() }

func TestA(t *testing.T) { exitsLater() }
func TestB(t *testing.T) { exitsLater() }

func FuzzLater(f *testing.F) {
	f.Add(1)
	f.Fuzz(func(t *testing.T, n int) { exitsLater() })
}
"#;

/// A TestMain that runs the tests twice (go allows it: each m.Run starts
/// its own alarm); the second run's check near its alarm.
const TWICE: &str = r#"package twice

import (
	"os"
	"testing"
	"time"
)

var round = 1

func TestMain(m *testing.M) {
	code := m.Run()
	round = 2
	os.Exit(code | m.Run())
}

func TestLeaks(t *testing.T) {
	if round == 1 {
		go func() { select {} }()
	}
}

func TestSlow(t *testing.T) {
	if round == 2 {
		time.Sleep(2500 * time.Millisecond)
	}
}

func TestLater(t *testing.T) {
	if round == 2 {
		go func() { time.Sleep(700 * time.Millisecond) }()
	}
}
"#;

// A check near the alarm waits its whole grace period: the alarm is
// stopped while it waits. (It used to stop waiting just before the alarm
// and report a goroutine still exiting as leaked.)
#[test]
fn a_check_near_the_alarm_still_waits_its_grace_period() {
    let m = temp_module(&[("near/near_test.go", NEAR_THE_ALARM), ("twice/twice_test.go", TWICE)]);
    let go = go_test_verdicts(m.path(), &["-count=1", "-timeout", "3s", "./..."], &[]);
    let run = run_in(
        m.path(),
        &["--grace", "2s", "./...", "--", "-count=1", "-timeout", "3s"],
        &[],
    );
    assert_nothing_lost(&go, &run);
    for test in ["TestSlow", "TestA", "TestB", "FuzzLater"] {
        assert_eq!(run.verdict("example.com/tmp/near", test), "passed", "{}", run.stdout());
    }
    // The first m.Run's waits do not move the second one's alarm in the
    // checks' reckoning.
    let twice = run.runs("example.com/tmp/twice");
    let verdict = |name: &str, r: u64| {
        twice
            .iter()
            .find(|t| t.name == name && t.run == r)
            .map(|t| t.verdict.clone())
    };
    assert_eq!(verdict("TestLeaks", 1).as_deref(), Some("leaked"), "{}", run.stdout());
    assert_eq!(verdict("TestSlow", 2).as_deref(), Some("passed"), "{}", run.stdout());
    assert_eq!(verdict("TestLater", 2).as_deref(), Some("passed"), "{}", run.stdout());
    assert!(
        run.package("example.com/tmp/twice")["crash"].is_null(),
        "{}",
        run.stdout()
    );
}

/// A parallel test that overruns -timeout, beside one whose check waits
/// for a goroutine ending 400 ms after it.
const OVERRUN: &str = r#"package overrun

import (
	"testing"
	"time"
)

func TestSlow(t *testing.T) {
	t.Parallel()
	time.Sleep(2200 * time.Millisecond)
}

func TestQuick(t *testing.T) {
	t.Parallel()
	go func() { time.Sleep(400 * time.Millisecond) }()
}
"#;

// A check stops the alarm only while no other test runs: a hostile
// review's parallel test that overran its -timeout passed, exit 0, while
// another test's check waited with the alarm stopped.
#[test]
fn the_alarm_runs_on_while_another_test_runs() {
    let m = temp_module(&[("overrun/overrun_test.go", OVERRUN)]);
    let run = compare(m.path(), &["-count=1", "-timeout", "2s"]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert_eq!(
        run.verdict("example.com/tmp/overrun", "TestSlow"),
        "timed_out",
        "{}",
        run.stdout()
    );
    assert_eq!(run.package("example.com/tmp/overrun")["crash"]["kind"], "timeout");
}

const FUZZ_EXAMPLE_SYNCTEST: &str = r#"package special

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func FuzzLeaky(f *testing.F) {
	f.Add(1)
	f.Fuzz(func(t *testing.T, n int) {
		ch := make(chan int)
		go func() { ch <- n }()
	})
}

func FuzzClean(f *testing.F) {
	f.Add("a")
	f.Fuzz(func(t *testing.T, s string) { _ = len(s) })
}

// replay runs a fuzz function on recorded inputs, without a T.
type replay struct{ inputs []string }

func (r replay) Fuzz(fn func(*testing.T, string)) {
	for _, in := range r.inputs {
		fn(nil, in)
	}
}

func TestReplay(t *testing.T) {
	replay{[]string{"a"}}.Fuzz(func(_ *testing.T, s string) { _ = len(s) })
}

func Example_leaky() {
	go func() { select {} }()
	fmt.Println("hello")
	// Output: hello
}

func Example_clean() {
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	fmt.Println("clean")
	// Output: clean
}

func TestSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			time.Sleep(time.Hour)
			close(done)
		}()
		<-done
	})
}
"#;

#[test]
fn fuzz_seed_corpora_examples_and_synctest_are_checked() {
    let m = temp_module(&[("special/special_test.go", FUZZ_EXAMPLE_SYNCTEST)]);
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.25\n").unwrap();
    let run = compare(m.path(), &["-count=1"]);
    assert_eq!(run.verdict("example.com/tmp/special", "FuzzLeaky"), "leaked");
    // The leak is the seed's, as a subtest's is the subtest's.
    assert_eq!(run.verdict("example.com/tmp/special", "FuzzLeaky/seed#0"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/special", "FuzzClean"), "passed");
    assert_eq!(run.verdict("example.com/tmp/special", "FuzzClean/seed#0"), "passed");
    assert_eq!(run.verdict("example.com/tmp/special", "Example_leaky"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/special", "Example_clean"), "passed");
    assert_eq!(run.verdict("example.com/tmp/special", "TestSynctest"), "passed");
    // A user's Fuzz that calls the function without a T (a review's case).
    assert_eq!(run.verdict("example.com/tmp/special", "TestReplay"), "passed");
}

#[test]
fn a_cached_pass_is_a_checked_pass_and_settings_are_part_of_the_key() {
    let m = temp_module(&[(
        "clean/c_test.go",
        "package clean\n\nimport \"testing\"\n\nfunc TestClean(t *testing.T) {}\n",
    )]);
    // The module is new (a fresh temporary directory): nothing of it is in
    // go's cache before the first run.
    let check = |args: &[&str]| {
        let run = run_in(m.path(), args, &[]);
        assert_eq!(run.code(), 0, "{}", run.stdout());
        run.package("example.com/tmp/clean")["check"]["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(check(&[]), "checked");
    assert_eq!(check(&[]), "cached");
    // Other settings: the cached result does not apply.
    assert_eq!(check(&["--grace", "2s"]), "checked");
    assert_eq!(check(&["--grace", "2s"]), "cached");
    assert_eq!(check(&["--grace", "2s", "--ignore-top", "x.y"]), "checked");
    // A cached run of no test (`ok … (cached) [no tests to run]`, the
    // packages a -run pattern misses) is a cached pass too, not a binary
    // the helper did not run in.
    assert_eq!(check(&["--", "-run", "^TestNone$"]), "checked");
    assert_eq!(check(&["--", "-run", "^TestNone$"]), "cached");
    // go test's line says so, cached or not.
    for (count, time) in [(Some("-count=1"), "s"), (None, "(cached)")] {
        let mut args = vec!["--format", "standard-quiet", "--", "-run", "^TestNone$"];
        args.extend(count);
        let run = run_in(m.path(), &args, &[]);
        let line = run
            .stdout()
            .lines()
            .find(|l| l.starts_with("ok  \texample.com/tmp/clean\t"))
            .map(str::to_string);
        assert!(
            line.as_deref()
                .is_some_and(|l| l.ends_with(&format!("{time} [no tests to run]"))),
            "{count:?}: {}",
            run.stdout()
        );
    }
}

/// A signal while go lists the packages (a slow `go list`, a config file
/// that is a FIFO) ends leakcheck at once with 130, and the go it started
/// with it (a hostile review's case: both signals were ignored until the
/// listing ended, and a killed leakcheck left go running).
#[test]
fn a_signal_before_any_test_runs_ends_leakcheck_at_once() {
    let m = temp_module(&[(
        "slow/slow_test.go",
        "package slow\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
    )]);
    let tools = tempfile::tempdir().unwrap();
    let fifo = tools.path().join("listing");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a path of our own.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    // The real go, except that `go list` says so on the FIFO and hangs.
    let go = tools.path().join("go");
    common::write_script(
        &go,
        &format!(
            "#!/bin/sh\nif [ \"$1\" = list ]; then sleep 60 & echo $! > {}; echo listing > {}; wait; fi\nexec go \"$@\"\n",
            tools.path().join("sleep.pid").display(),
            fifo.display()
        ),
    );
    let marker = format!("LEAKCHECK_SETUP_SIGNAL_TEST={}", std::process::id());
    let child = leakcheck()
        .current_dir(m.path())
        .env("LEAKCHECK_SETUP_SIGNAL_TEST", std::process::id().to_string())
        .args(["--go", go.to_str().unwrap(), "./..."])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (on the FIFO, not a clock) until go list runs.
    let mut said = String::new();
    BufReader::new(std::fs::File::open(&fifo).unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said, "listing\n");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(stderr.trim(), "leakcheck: interrupted before any test ran");
    // What go's command started (here the wrapper's sleep) was killed
    // before leakcheck exited: gone, a zombie, or its SIGKILL pending.
    let pid = std::fs::read_to_string(tools.path().join("sleep.pid")).unwrap();
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", pid.trim())) {
        let field = |name: &str| {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap_or_default();
            line[name.len()..].trim().to_string()
        };
        let killed = |mask: String| u64::from_str_radix(&mask, 16).is_ok_and(|m| m & (1 << 8) != 0);
        assert!(
            field("State:").starts_with('Z') || killed(field("SigPnd:")) || killed(field("ShdPnd:")),
            "the listing's child lives on: {status}"
        );
    }
    common::wait_for_no_process_with(&marker);
}

const SLOW: &str = r#"package slow

import (
	"fmt"
	"testing"
	"time"
)

func TestFirst(t *testing.T) {}

func TestBlocks(t *testing.T) {
	fmt.Println("READY")
	time.Sleep(time.Hour)
}
"#;

#[test]
fn ctrl_c_stops_go_test_and_keeps_what_finished() {
    let m = temp_module(&[("slow/slow_test.go", SLOW)]);
    let out_dir = tempfile::tempdir().unwrap();
    let junit = out_dir.path().join("report.xml");
    let marker = format!("LEAKCHECK_SIGNAL_TEST={}", std::process::id());
    let mut child = leakcheck()
        .current_dir(m.path())
        .env("LEAKCHECK_SIGNAL_TEST", std::process::id().to_string())
        .args(["--junitfile", junit.to_str().unwrap(), "--", "-count=1", "-v"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (on the pipe, not a clock) until the slow test is running.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("READY") {
            break;
        }
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("(interrupted)")), "{rest:?}");
    let doc = std::fs::read_to_string(&junit).expect("the JUnit file is written");
    let doc = roxmltree::Document::parse(&doc).unwrap();
    let first = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestFirst"))
        .expect("what finished is reported");
    assert!(first.children().all(|c| !c.has_tag_name("failure")));
    // No test binary is left running.
    common::assert_no_process_with(&marker);
}

#[test]
fn workspaces_nested_modules_and_vendored_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let write = |p: &str, text: &str| {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("go.work", "go 1.22\n\nuse (\n\t./a\n\t./b\n)\n");
    write("a/go.mod", "module example.com/a\n\ngo 1.22\n");
    write(
        "a/a_test.go",
        "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) { go func() { select {} }() }\n",
    );
    write("b/go.mod", "module example.com/b\n\ngo 1.22\n");
    write(
        "b/b_test.go",
        "package b\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {}\n",
    );
    // A module nested in b: ./... in b does not descend into it, as in go test.
    write("b/nested/go.mod", "module example.com/nested\n\ngo 1.22\n");
    write(
        "b/nested/n_test.go",
        "package nested\n\nimport \"testing\"\n\nfunc TestNested(t *testing.T) {}\n",
    );
    let run = run_in(dir.path(), &["./a/...", "./b/...", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.verdict("example.com/a", "TestA"), "leaked");
    assert_eq!(run.verdict("example.com/b", "TestB"), "passed");
    assert!(!run.tests().keys().any(|(p, _)| p == "example.com/nested"));

    // Vendored dependency (a local module, vendored).
    let v = tempfile::tempdir().unwrap();
    let vw = |p: &str, text: &str| {
        let path = v.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    vw("dep/go.mod", "module example.com/dep\n\ngo 1.22\n");
    vw(
        "dep/dep.go",
        "package dep\n\n// Spin starts a goroutine that never ends.\nfunc Spin() { go func() { select {} }() }\n",
    );
    vw(
        "app/go.mod",
        "module example.com/app\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n",
    );
    vw(
        "app/app_test.go",
        "package app\n\nimport (\n\t\"testing\"\n\n\t\"example.com/dep\"\n)\n\nfunc TestApp(t *testing.T) { dep.Spin() }\n",
    );
    let vendor = std::process::Command::new("go")
        .current_dir(v.path().join("app"))
        .args(["mod", "vendor"])
        .output()
        .unwrap();
    assert!(vendor.status.success(), "{}", String::from_utf8_lossy(&vendor.stderr));
    let run = run_in(&v.path().join("app"), &["--", "-count=1"], &[]);
    let t = &run.tests()[&("example.com/app".to_string(), "TestApp".to_string())];
    assert_eq!(t["verdict"], "leaked", "{}", run.stdout());
    assert!(t["leak"]["groups"][0]["frames"][0]["file"]
        .as_str()
        .unwrap()
        .contains("/vendor/example.com/dep/"));
}

const CLASH: &str = "package clash\n\ntype context struct{ path string }\n\nvar json = \"not encoding/json\"\n\ntype metrics struct{}\n\nvar testing = 3\n\n// Path returns the path.\nfunc Path(c *context) string { return c.path }\n";

const CLASH_TEST: &str = "package clash\n\nimport gotesting \"testing\"\n\nfunc TestPath(t *gotesting.T) {\n\tif Path(&context{path: \"/\"}) != \"/\" {\n\t\tt.Fatal(\"bad path\")\n\t}\n}\n";

const RECOVERED: &str = r#"package recovered

import (
	"fmt"
	"testing"
)

// A library logging a panic it recovered: not a crash.
func TestLogsRecoveredPanic(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("panic: %v\n", r)
		}
	}()
	panic("recovered on purpose")
}
"#;

/// A test matching the header of its own stack: leakcheck's labels must not
/// show up in it.
const STACK_HEADER: &str = r#"package stackheader

import (
	"regexp"
	"runtime/debug"
	"testing"
)

func TestStackHeader(t *testing.T) {
	s := string(debug.Stack())
	if !regexp.MustCompile(`^goroutine \d+ \[running\]:\n`).MatchString(s) {
		t.Fatalf("unexpected stack header: %q", s[:60])
	}
	go func() { select {} }()
}
"#;

/// Tests that look at their own callers (logging and stack libraries do):
/// leakcheck must not be on their stack, in the first test to run or any
/// other.
const CALLERS: &str = r#"package callers

import (
	"runtime"
	"testing"
)

func TestFirst(t *testing.T) {}

func caller(t *testing.T) string {
	pc, _, _, _ := runtime.Caller(2)
	return runtime.FuncForPC(pc).Name()
}

func TestCaller(t *testing.T) {
	if got := caller(t); got != "testing.tRunner" {
		t.Fatalf("caller of the test is %s, want testing.tRunner", got)
	}
}

func TestParallelCaller(t *testing.T) {
	t.Parallel()
	if got := caller(t); got != "testing.tRunner" {
		t.Fatalf("caller of the test is %s, want testing.tRunner", got)
	}
	t.Run("sub", func(t *testing.T) {
		if got := caller(t); got != "testing.tRunner" {
			t.Fatalf("caller of the subtest is %s, want testing.tRunner", got)
		}
		go func() { select {} }()
	})
}
"#;

#[test]
fn packages_that_declare_the_helpers_import_names_and_print_panic_lines_pass() {
    let m = temp_module(&[
        ("clash/clash.go", CLASH),
        ("clash/clash_test.go", CLASH_TEST),
        ("recovered/r_test.go", RECOVERED),
        ("stackheader/s_test.go", STACK_HEADER),
        ("callers/c_test.go", CALLERS),
    ]);
    let run = compare(m.path(), &["-count=1"]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    // Its own stack looked as without leakcheck, and its leak was found.
    assert_eq!(run.verdict("example.com/tmp/stackheader", "TestStackHeader"), "leaked");
    assert_eq!(run.verdict("example.com/tmp/clash", "TestPath"), "passed");
    assert_eq!(run.verdict("example.com/tmp/callers", "TestCaller"), "passed");
    // The subtest's leak is the subtest's; its parent leaked through it.
    assert_eq!(
        run.verdict("example.com/tmp/callers", "TestParallelCaller/sub"),
        "leaked"
    );
    assert_eq!(run.verdict("example.com/tmp/callers", "TestParallelCaller"), "leaked");
    assert_eq!(
        run.verdict("example.com/tmp/recovered", "TestLogsRecoveredPanic"),
        "passed"
    );
    assert!(run.package("example.com/tmp/recovered")["crash"].is_null());
}

/// Goroutines a test does not wait for that end in an assertion helper
/// (`t.Helper`, as testify's `require` calls): testing holds the test's lock
/// while it prints the verdict line the helper checks from, so they wait on
/// that lock during the check. They are not stuck (tally's
/// `TestBucketPairsNoRace*` were reported as 10 goroutines leaked on a
/// mutex); one that stays blocked afterwards is still reported, after the
/// last test.
const HELPER_LOCK: &str = r#"package helperlock

import "testing"

func equal(t *testing.T, want, got int) {
	t.Helper()
	if want != got {
		t.Errorf("got %d, want %d", got, want)
	}
}

func count(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s++
	}
	return s
}

func TestFirst(t *testing.T) {
	for i := 0; i < 10; i++ {
		go func() { equal(t, 100, count(100)) }()
	}
}

func TestSecond(t *testing.T) {
	for i := 0; i < 10; i++ {
		go func() { equal(t, 100, count(100)) }()
	}
}

var never = make(chan int)

func TestThird(t *testing.T) {
	go func() {
		equal(t, 100, count(100))
		<-never
	}()
}
"#;

#[test]
fn goroutines_waiting_on_the_tests_own_lock_are_not_its_leak() {
    let m = temp_module(&[("helperlock/helperlock_test.go", HELPER_LOCK)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let pkg = "example.com/tmp/helperlock";
    assert_eq!(run.verdict(pkg, "TestFirst"), "passed", "{}", run.stdout());
    assert_eq!(run.verdict(pkg, "TestSecond"), "passed", "{}", run.stdout());
    // TestThird's goroutine stays blocked on a channel after its assertion:
    // its own check may see it waiting on the lock, the check after the
    // last test sees it stuck.
    let third = run.verdict(pkg, "TestThird");
    let p = run.package(pkg);
    let at_main = p["main_leak"]["total"].as_u64().unwrap_or(0);
    assert!(
        third == "leaked" || at_main == 1,
        "TestThird {third}, TestMain {at_main}\n{}",
        run.stdout()
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
}

const NESTED_LEAK: &str = r#"package nested

import "testing"

var block = make(chan struct{})

func TestOuter(t *testing.T) {
	t.Run("mid", func(t *testing.T) {
		t.Run("leaf", func(t *testing.T) {
			go func() { <-block }()
		})
	})
}
"#;

/// A rerun keeps, for each earlier run of a test that leaked only through
/// a subtest, that a subtest leaked (in JUnit, at every level).
#[test]
fn an_earlier_run_that_leaked_through_a_subtest_says_so() {
    let m = temp_module(&[("nested/n_test.go", NESTED_LEAK)]);
    let run = run_in(m.path(), &["--rerun-fails", "1", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    for test in ["TestOuter", "TestOuter/mid"] {
        assert_eq!(run.verdict("example.com/tmp/nested", test), "leaked", "{test}");
    }
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    for test in ["TestOuter", "TestOuter/mid"] {
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(test))
            .unwrap();
        let reruns: Vec<_> = case.children().filter(|n| n.has_tag_name("rerunFailure")).collect();
        assert_eq!(reruns.len(), 1, "{test}: {}", run.junit);
        assert_eq!(
            reruns[0].attribute("message"),
            Some("a subtest leaked goroutines"),
            "{test}"
        );
    }
}

/// A fuzz target's seed that panics: go test reports the panic; the
/// helper's cleanup used to call F.Helper, which panics "inside the fuzz
/// target" after a seed panicked, so the report said "cleanup panicked
/// with testing: f.Helper was called inside the fuzz target" and "not fully
/// checked" (a hostile review's case).
#[test]
fn a_panicking_fuzz_seed_is_reported_as_go_test_reports_it() {
    let m = temp_module(&[(
        "fz/fz_test.go",
        r#"package fz

import "testing"

func parse(s string) int {
	if s == "boom" {
		panic("boom")
	}
	return len(s)
}

func FuzzParse(f *testing.F) {
	f.Add("ok")
	f.Add("boom")
	f.Fuzz(func(t *testing.T, s string) { parse(s) })
}
"#,
    )]);
    let run = run_in(m.path(), &["--color", "never", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let out = run.stdout();
    assert!(out.contains("panic: boom"), "{out}");
    assert!(!out.contains("f.Helper was called"), "{out}");
    assert!(!out.contains("not fully checked"), "{out}");
    assert!(!run.stderr().contains("cannot intercept"), "{}", run.stderr());
    let verdict = &run.tests()[&("example.com/tmp/fz".to_string(), "FuzzParse".to_string())]["verdict"];
    assert!(verdict == "panicked" || verdict == "failed", "{verdict}: {out}");
}

/// Tests that run tests with `testing.RunTests`, as testify's suite tests
/// do to see a suite fail (a real-module evaluation's case): go test passes
/// the package although an inner test failed on purpose, and reports inner
/// tests named outside the caller's name as top-level tests. leakcheck
/// failed the package both times (exit 1): the inner failure counted, and
/// an inner test without a check of its own made the package "not fully
/// checked". Now the inner failure is shown, as go test shows it, and
/// counts no more than in go test; an inner test is checked as part of the
/// test that ran it.
const RUN_TESTS: &str = r#"package runner

import "testing"

func match(pat, str string) (bool, error) { return true, nil }

func TestExpectsInnerFailure(t *testing.T) {
	if testing.RunTests(match, []testing.InternalTest{{
		Name: t.Name() + "/inner",
		F:    func(t *testing.T) { t.Error("meant to fail") },
	}}) {
		t.Fatal("the inner test passed")
	}
}

func TestInnerNamedApart(t *testing.T) {
	if testing.RunTests(match, []testing.InternalTest{{
		Name: t.Name() + "InBeforeTest",
		F:    func(t *testing.T) { t.Error("meant to fail too") },
	}}) {
		t.Fatal("the inner test passed")
	}
}

func TestInnerPasses(t *testing.T) {
	if !testing.RunTests(match, []testing.InternalTest{{Name: "signature validation", F: func(t *testing.T) {}}}) {
		t.Fatal("the inner test failed")
	}
}
"#;

#[test]
fn inner_tests_run_by_a_test_count_as_in_go_test() {
    let m = temp_module(&[("runner/runner_test.go", RUN_TESTS)]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &["--color", "never", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_nothing_lost(&go, &run);
    let pkg = run.package("example.com/tmp/runner");
    assert_eq!(pkg["status"], "passed", "{}", run.stdout());
    assert_eq!(pkg["check"]["state"], "checked", "{}", run.stdout());
    let tests = run.tests();
    for inner in ["TestExpectsInnerFailure/inner", "TestInnerNamedApartInBeforeTest"] {
        let t = &tests[&("example.com/tmp/runner".to_string(), inner.to_string())];
        assert_eq!(t["verdict"], "failed", "{inner}: {}", run.stdout());
        assert_eq!(t["uncounted"], true, "{inner}: {}", run.stdout());
    }
    let out = run.stdout();
    assert!(out.contains("not counted, as go test does not count it"), "{out}");
    assert!(out.contains("2 failed (not counted, as in go test)"), "{out}");
    assert!(!out.contains("not fully checked"), "{out}");
    // The caller leaks: the package fails for the leak, and the inner
    // failures still do not count (an update of the baseline records the
    // leak and passes).
    let leaky = RUN_TESTS.replace(
        "func TestInnerPasses(t *testing.T) {",
        "func TestInnerPasses(t *testing.T) {\n\tgo func() { select {} }()",
    );
    let m = temp_module(&[("runner/runner_test.go", &leaky)]);
    let run = run_in(m.path(), &["--color", "never", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let tests = run.tests();
    let verdict = |name: &str| tests[&("example.com/tmp/runner".to_string(), name.to_string())].clone();
    assert_eq!(verdict("TestInnerPasses")["verdict"], "leaked", "{}", run.stdout());
    for inner in ["TestExpectsInnerFailure/inner", "TestInnerNamedApartInBeforeTest"] {
        assert_eq!(verdict(inner)["verdict"], "failed", "{inner}: {}", run.stdout());
        assert_eq!(verdict(inner)["uncounted"], true, "{inner}: {}", run.stdout());
    }
    let baseline = m.path().join("baseline.json");
    let run = run_in(
        m.path(),
        &[
            "--update-baseline",
            "--baseline",
            baseline.to_str().unwrap(),
            "--",
            "-count=1",
        ],
        &[],
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    // RunTests honours -count too: the inner tests have runs their caller
    // never had, and their failures still do not count.
    let m = temp_module(&[("runner/runner_test.go", RUN_TESTS)]);
    let run = run_in(m.path(), &["--", "-count=2"], &[]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    // A real subtest's failure counts when its parent panicked (not only
    // when it failed).
    let m = temp_module(&[(
        "sub/sub_test.go",
        "package sub\n\nimport \"testing\"\n\nfunc TestParent(t *testing.T) {\n\tt.Run(\"fails\", func(t *testing.T) { t.Error(\"real\") })\n\tt.Run(\"panics\", func(t *testing.T) { panic(\"boom\") })\n}\n",
    )]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let t = &run.tests()[&("example.com/tmp/sub".to_string(), "TestParent/fails".to_string())];
    assert_eq!(t["uncounted"], false, "{}", run.stdout());
}

/// `--rerun-fails` with `-count=2`: the rerun runs each failed test once
/// (`-count=1`), and that run used to replace all of the test's runs, its
/// attempts taken from the first run: a failure in the second run was in no
/// report, and a test failing only there was "flaky: pass, then passed" (a
/// hostile review's case).
const SECOND_RUN: &str = r#"package second

import (
	"runtime"
	"testing"
)

var calls int

func TestAlwaysFails(t *testing.T) { t.Fatal("boom") }

// Fails in the second run of one process only: a rerun (a new process) passes.
func TestSecondRunFails(t *testing.T) {
	calls++
	if calls == 2 {
		t.Fatal("second run fails")
	}
}

func TestOK(t *testing.T) {}

// Fails whenever it runs on two Ps: under -cpu 1,2 its runs on two fail,
// in the rerun too.
func TestTwoProcs(t *testing.T) {
	if runtime.GOMAXPROCS(0) == 2 {
		t.Fatal("fails on 2 Ps")
	}
}
"#;

#[test]
fn a_rerun_replaces_only_the_failed_runs_of_a_count_run() {
    let m = temp_module(&[("second/second_test.go", SECOND_RUN)]);
    let run = run_in(m.path(), &["--rerun-fails", "1", "--", "-count=2"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let runs = run.runs("example.com/tmp/second");
    let find = |name: &str, run_no: u64| {
        runs.iter()
            .find(|t| t.name == name && t.run == run_no)
            .map(|t| (t.verdict.as_str(), t.attempts.clone()))
    };
    assert_eq!(find("TestSecondRunFails", 1), Some(("passed", vec![])), "{runs:?}");
    assert_eq!(
        find("TestSecondRunFails", 2),
        Some(("passed", vec!["failed".to_string()])),
        "{runs:?}"
    );
    assert_eq!(find("TestOK", 1), Some(("passed", vec![])), "{runs:?}");
    assert_eq!(find("TestOK", 2), Some(("passed", vec![])), "{runs:?}");
    // Both failed runs are attempts of the one rerun, which failed again.
    assert_eq!(
        find("TestAlwaysFails", 1),
        Some(("failed", vec!["failed".to_string(), "failed".to_string()])),
        "{runs:?}"
    );
    let out = run.stdout();
    assert!(
        out.contains("TestSecondRunFails") && out.contains("fail, then passed on a rerun"),
        "{out}"
    );
    // -cpu 1,2 -count=2: runs 1-2 on one P, 3-4 on two. The rerun runs it
    // once per -cpu value; its run on two Ps stands for runs 3 and 4 and
    // fails again (it was taken for run 1's, and the test called flaky).
    let run = run_in(
        m.path(),
        &[
            "--rerun-fails",
            "1",
            "--",
            "-count=2",
            "-cpu",
            "1,2",
            "-run",
            "TestTwoProcs",
        ],
        &[],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let tests: Vec<(u64, String, usize)> = run
        .runs("example.com/tmp/second")
        .into_iter()
        .map(|t| (t.run, t.verdict, t.attempts.len()))
        .collect();
    assert_eq!(
        tests,
        [
            (1, "passed".to_string(), 0),
            (2, "passed".to_string(), 0),
            (3, "failed".to_string(), 2)
        ],
        "{}",
        run.stdout()
    );
    assert!(!run.stdout().contains("FLAKY"), "{}", run.stdout());
}

/// A check that cannot stop the test binary's `-timeout` alarm waits at
/// most until just before it: with a grace period longer than what is
/// left, it used to turn a leaking test that had returned into a timeout,
/// and the package's later tests were lost (a hostile review's case). A
/// serial test's or an example's check, with no other test running, stops
/// the alarm and waits its whole grace period.
///
/// A parallel test's check, finished in the background after the test
/// returned, says so in the reports (the test's log was closed by then).
#[test]
fn a_check_stops_waiting_before_the_timeout_alarm() {
    let m = temp_module(&[
        (
            "tight/tight_test.go",
            "package tight\n\nimport \"testing\"\n\nfunc TestBlocked(t *testing.T) { go func() { select {} }() }\n\nfunc TestAfter(t *testing.T) {}\n",
        ),
        ("tightpar/tightpar_test.go", TIGHT_PARALLEL),
        (
            "tightex/tightex_test.go",
            "package tightex\n\nimport \"fmt\"\n\nfunc Example_blocked() {\n\tgo func() { select {} }()\n\tfmt.Println(\"x\")\n\t// Output: x\n}\n",
        ),
        ("tightvm/tightvm_test.go", TIGHT_VERIFY_MAIN),
    ]);
    let run = run_in(m.path(), &["--grace", "5s", "--", "-count=1", "-timeout", "3s"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let pkg = "example.com/tmp/tight";
    assert_eq!(run.verdict(pkg, "TestBlocked"), "leaked", "{}", run.stdout());
    assert_eq!(run.verdict(pkg, "TestAfter"), "passed", "{}", run.stdout());
    assert!(run.package(pkg)["crash"].is_null(), "{}", run.stdout());
    assert!(
        run.stdout()
            .contains("leakcheck stopped waiting for them at the -timeout alarm"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        run.tests()[&(pkg.into(), "TestBlocked".into())]["leak"]["cut_short"],
        false
    );

    let pkg = "example.com/tmp/tightpar";
    let tests = run.tests();
    let leaky = &tests[&(pkg.into(), "TestLeaky".into())];
    assert_eq!(leaky["verdict"], "leaked", "{}", run.stdout());
    assert_eq!(leaky["leak"]["cut_short"], true, "{}", run.stdout());
    assert_eq!(run.verdict(pkg, "TestOther"), "passed", "{}", run.stdout());
    assert!(run.package(pkg)["crash"].is_null(), "{}", run.stdout());
    let block = &run.stdout()[run.stdout().find("--- LEAK: TestLeaky").expect("TestLeaky's leak")..];
    assert!(
        block.contains("note: leakcheck stopped waiting for them at the -timeout alarm"),
        "{}",
        run.stdout()
    );
    assert!(run
        .junit
        .contains("leakcheck stopped waiting for them at the -timeout alarm, before the grace"));

    // An example has no T to ask for the alarm: its check, alone, stops
    // the alarm m.Run started all the same.
    let pkg = "example.com/tmp/tightex";
    assert!(run.package(pkg)["crash"].is_null(), "{}", run.stdout());
    let example = &run.tests()[&(pkg.into(), "Example_blocked".into())];
    assert_eq!(example["verdict"], "leaked", "{}", run.stdout());
    assert_eq!(example["leak"]["cut_short"], false, "{}", run.stdout());
    // Nor when m.Run is called where leakcheck cannot see it (goleak's
    // VerifyTestMain takes an interface): the tests' deadline serves.
    let pkg = "example.com/tmp/tightvm";
    assert!(run.package(pkg)["crash"].is_null(), "{}", run.stdout());
    assert_eq!(run.verdict(pkg, "Example_blocked"), "leaked", "{}", run.stdout());
}

/// A TestMain that calls m.Run through an interface, as
/// goleak.VerifyTestMain does.
const TIGHT_VERIFY_MAIN: &str = r#"package tightvm

import (
	"fmt"
	"os"
	"testing"
)

type runner interface{ Run() int }

func verify(m runner) { os.Exit(m.Run()) }

func TestMain(m *testing.M) { verify(m) }

func TestFirst(t *testing.T) {}

func Example_blocked() {
	go func() { select {} }()
	fmt.Println("x")
	// Output: x
}
"#;

/// TestLeaky returns after TestOther ended: its check goes to the
/// background.
const TIGHT_PARALLEL: &str = r#"package tightpar

import "testing"

var otherDone = make(chan struct{})

func TestLeaky(t *testing.T) {
	t.Parallel()
	<-otherDone
	go func() { select {} }()
}

func TestOther(t *testing.T) {
	t.Parallel()
	close(otherDone)
}
"#;

/// A TestMain that exits 0 whatever m.Run says: go test passes the package
/// although a test failed, and leakcheck counts that failure as go test
/// does, but not a leak (a hostile review's case: a test that failed and
/// leaked exited 0 once its failure was not counted).
#[test]
fn a_failure_go_test_does_not_count_still_counts_its_leak() {
    let m = temp_module(&[(
        "swallow/swallow_test.go",
        r#"package swallow

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	m.Run()
	os.Exit(0)
}

func TestFails(t *testing.T) { t.Error("boom") }
"#,
    )]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_nothing_lost(&go, &run);
    assert_eq!(run.code(), 0, "as go test: {}", run.stdout());
    assert_eq!(run.verdict("example.com/tmp/swallow", "TestFails"), "failed");
    std::fs::write(
        m.path().join("swallow/leak_test.go"),
        "package swallow\n\nimport \"testing\"\n\nfunc TestFailsAndLeaks(t *testing.T) {\n\tgo func() { select {} }()\n\tt.Error(\"boom\")\n}\n",
    )
    .unwrap();
    let run = run_in(m.path(), &["--", "-count=1", "-run", "TestFailsAndLeaks"], &[]);
    assert_eq!(run.code(), 1, "the leak counts: {}", run.stdout());
}

/// A test binary that died (a panic) never ran the tests after the one it
/// died in: a rerun of the failed tests cannot pass the package, even when
/// the panicking test passes on it (it could; a hostile review's case: exit
/// 0). Under -failfast the tests after a failure never ran either: no
/// rerun.
#[test]
fn a_rerun_never_passes_a_package_whose_binary_died_or_stopped_early() {
    let m = temp_module(&[(
        "once/once_test.go",
        r#"package once

import (
	"os"
	"path/filepath"
	"testing"
)

// Panics the first time it runs in this directory, passes after.
func TestPanicsOnce(t *testing.T) {
	marker := filepath.Join(os.Getenv("ONCE_DIR"), "marker")
	if _, err := os.Stat(marker); err != nil {
		os.WriteFile(marker, nil, 0o644)
		panic("first run")
	}
}

func TestNeverRunsFirstTime(t *testing.T) {}
"#,
    )]);
    let dir = m.path().to_str().unwrap().to_string();
    for flags in [&["-count=1"][..], &["-count=1", "-failfast"]] {
        let _ = std::fs::remove_file(m.path().join("marker"));
        let mut args = vec!["--rerun-fails", "2", "--"];
        args.extend(flags);
        let run = run_in(m.path(), &args, &[("ONCE_DIR", &dir)]);
        assert_eq!(run.code(), 1, "{flags:?}: {}{}", run.stdout(), run.stderr());
        if flags.contains(&"-failfast") {
            assert!(run.stderr().contains("no rerun under -failfast"), "{}", run.stderr());
        } else {
            assert!(
                !run.package("example.com/tmp/once")["crash"].is_null(),
                "{}",
                run.stdout()
            );
            assert!(
                run.stdout().contains("1 package whose test binary died"),
                "{}",
                run.stdout()
            );
            // JUnit says so too: the test passed on its rerun (flaky), so
            // the crash is TestMain's error, with the first run's `FAIL`,
            // not the rerun's `ok` (helper-131: a report with no error).
            let xml = &run.junit;
            let main = xml
                .find(r#"<testcase name="TestMain""#)
                .unwrap_or_else(|| panic!("{xml}"));
            assert!(xml[main..].contains(r#"<error message="panic: first run"#), "{xml}");
            assert!(xml.contains(r#"errors="1""#), "{xml}");
            assert!(!xml.contains("ok  \texample.com/tmp/once"), "{xml}");
        }
    }
}

/// A stand-in for go.uber.org/goleak, shaped as its `VerifyTestMain` is:
/// m.Run, its own look for what is left (here: a goroutine still in the
/// package's `linger`), then `os.Exit`.
const GOLEAK_STANDIN: &str = r#"package goleak

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// TestingM is what VerifyTestMain runs.
type TestingM interface {
	Run() int
}

// Option configures VerifyTestMain.
type Option func()

// IgnoreCurrent is accepted and does nothing here.
func IgnoreCurrent() Option { return func() {} }

// VerifyTestMain runs the tests, then fails the binary if a goroutine is
// left in a function named linger.
func VerifyTestMain(m TestingM, options ...Option) {
	exitCode := m.Run()
	if exitCode == 0 {
		buf := make([]byte, 1<<20)
		if strings.Contains(string(buf[:runtime.Stack(buf, true)]), ".linger(") {
			fmt.Fprintln(os.Stderr, "goleak: Errors on successful test run: found unexpected goroutines")
			exitCode = 1
		}
	}
	os.Exit(exitCode)
}
"#;

const GOLEAK_MAIN_TEST: &str = r#"package gl

import (
	"testing"

	"go.uber.org/goleak"
)

var stop = make(chan struct{})

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

func TestParallelLeaks(t *testing.T) {
	t.Parallel()
	go func() { <-stop }()
}

func TestParallelClean(t *testing.T) { t.Parallel() }

func TestSerialClean(t *testing.T) {}
"#;

/// External tests only, with a `TestMain` that is goleak's; a goroutine
/// that starts only after its test's check.
const GOLEAK_XTEST: &str = r#"package glx_test

import (
	"testing"
	"time"

	gl "go.uber.org/goleak"
)

func TestMain(m *testing.M) { gl.VerifyTestMain(m) }

func TestLateTimer(t *testing.T) {
	block := make(chan struct{})
	time.AfterFunc(20*time.Millisecond, func() { <-block })
}

func TestWaits(t *testing.T) { time.Sleep(100 * time.Millisecond) }
"#;

/// A TestMain that is `goleak.VerifyTestMain(m)` (zap, fx, otel and many
/// more): goleak runs m.Run itself and calls `os.Exit`, which used to skip
/// the check after the last test (a warning, "TestMain exited in a way
/// leakcheck cannot intercept") and kept parallel tests' checks in their
/// tests. leakcheck now hands goleak an m whose Run is leakcheck's: the
/// package is fully checked, a parallel test's leak is its own, and what
/// is left after the last test is reported.
#[test]
fn goleaks_verify_test_main_gets_the_check_after_the_last_test() {
    let m = temp_module(&[
        (
            "go.mod",
            "module example.com/tmp\n\ngo 1.21\n\nrequire go.uber.org/goleak v1.3.0\n\nreplace go.uber.org/goleak => ./goleak\n",
        ),
        ("goleak/go.mod", "module go.uber.org/goleak\n\ngo 1.21\n"),
        ("goleak/goleak.go", GOLEAK_STANDIN),
        ("gl/gl_test.go", GOLEAK_MAIN_TEST),
        ("glx/glx.go", "package glx\n"),
        ("glx/glx_test.go", GOLEAK_XTEST),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let what = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{what}");
    assert!(!run.stderr().contains("cannot intercept"), "{what}");
    let pkg = "example.com/tmp/gl";
    assert_eq!(run.verdict(pkg, "TestParallelLeaks"), "leaked", "{what}");
    assert_eq!(run.verdict(pkg, "TestParallelClean"), "passed", "{what}");
    assert_eq!(run.verdict(pkg, "TestSerialClean"), "passed", "{what}");
    assert_eq!(run.package(pkg)["check"]["state"], "checked", "{what}");
    let pkg = "example.com/tmp/glx";
    assert_eq!(run.verdict(pkg, "TestLateTimer"), "passed", "{what}");
    assert_eq!(run.verdict(pkg, "TestWaits"), "passed", "{what}");
    assert_eq!(run.package(pkg)["check"]["state"], "checked", "{what}");
    assert_eq!(run.package(pkg)["main_leak"]["total"], 1, "{what}");
    assert!(what.contains("TestLateTimer.func1"), "{what}");
}
