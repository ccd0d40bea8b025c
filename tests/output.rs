//! What tests print reaches the reports intact and the XML stays valid.

use crate::common;

use common::{run_in, temp_module};

const NOISY_TEST: &str = r#"package noisy

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestColours(t *testing.T) {
	fmt.Println("\x1b[31mred\x1b[0m bell\x07 ctrl\x01 nul\x00 end")
	os.Stdout.Write([]byte{'b', 'a', 'd', ':', 0xff, 0xfe, '\n'})
	t.Log("logged \x1b[1mbold\x1b[0m")
}

func TestColoursFail(t *testing.T) {
	t.Errorf("failing with \x1b[33mcolour\x1b[0m and \x02 control")
}

// A CLI's hyperlink (OSC 8) and window title, ended by BEL.
func TestHyperlinkFail(t *testing.T) {
	fmt.Println("see \x1b]8;;https://example.com/run/42\x07the run\x1b]8;;\x07 for details")
	fmt.Println("\x1b]0;building\x07done")
	t.Error("must be visible")
}

func TestBig(t *testing.T) {
	line := strings.Repeat("x", 1000)
	for i := 0; i < 2000; i++ {
		fmt.Println(i, line)
	}
}
"#;

#[test]
fn control_bytes_and_colours_keep_the_junit_valid_and_visible() {
    let module = temp_module(&[("noisy/noisy_test.go", NOISY_TEST)]);
    let run = run_in(module.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let doc = roxmltree::Document::parse(&run.junit).expect("valid XML despite control bytes");
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap()
    };
    let out = |name: &str| {
        case(name)
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or("")
            .to_string()
    };
    let colours = out("TestColours");
    assert!(colours.contains("red bell\\x07 ctrl\\x01 nul\\x00 end"), "{colours:?}");
    assert!(colours.contains("logged bold"), "{colours:?}");
    assert!(colours.contains("bad:"), "{colours:?}");
    let failure = case("TestColoursFail")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure
        .text()
        .unwrap()
        .contains("failing with colour and \\x02 control"));
    // An escape sequence ended by BEL goes whole: it once took the rest of
    // the output with it.
    let link = case("TestHyperlinkFail")
        .children()
        .find(|n| n.has_tag_name("failure"))
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_string();
    for text in [
        "see the run for details\n",
        "done\n",
        "must be visible",
        "--- FAIL: TestHyperlinkFail",
    ] {
        assert!(link.contains(text), "{text:?} in {link:?}");
        assert!(out("TestHyperlinkFail").contains(text), "{text:?} in system-out");
    }
    // 2,000 lines of 1,000 bytes: nothing dropped.
    let big = out("TestBig");
    assert!(big.contains("1999 xxx"), "last line missing");
    assert!(big.len() > 2_000_000, "output truncated to {} bytes", big.len());
}

/// A package with a bit of everything a reader meets: a subtest that leaks,
/// an HTTP leak (deep standard-library stacks, goroutines started by other
/// leaked goroutines), a failure with log lines, a skip with a reason.
const READER: &str = r#"package reader

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type stalling struct{}

func (stalling) ServeHTTP(w http.ResponseWriter, r *http.Request) { select {} }

// TestFirst runs first: its output must hold nothing of leakcheck's.
func TestFirst(t *testing.T) { t.Log("first test's own line") }

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(stalling{})
	go func() {
		client := &http.Client{}
		client.Get(srv.URL)
	}()
	time.Sleep(50 * time.Millisecond)
}

func TestFails(t *testing.T) {
	t.Log("a line logged before the failure")
	t.Error("the failure itself")
}

func TestSub(t *testing.T) {
	t.Run("leaky", func(t *testing.T) { go func() { select {} }() })
	t.Run("fine", func(t *testing.T) {})
}

func TestSkips(t *testing.T) { t.Skip("not on this machine") }
"#;

fn reader_run(args: &[&str]) -> (common::Run, tempfile::TempDir) {
    let m = temp_module(&[("reader/r_test.go", READER)]);
    let mut all = if args.contains(&"--color") {
        vec![]
    } else {
        vec!["--color", "never"]
    };
    all.extend(args);
    let run = run_in(m.path(), &all, &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    (run, m)
}

#[test]
fn leakcheck_never_shows_its_own_files_or_labels() {
    let dir = tempfile::tempdir().unwrap();
    let jsonfile = dir.path().join("go.json");
    let j = jsonfile.display().to_string();
    let (run, _m) = reader_run(&["--jsonfile", &j, "--", "-count=1", "-v"]);
    let go_stream = std::fs::read_to_string(&jsonfile).unwrap();
    for (what, text) in [
        ("terminal", run.stdout()),
        ("JUnit", run.junit.clone()),
        ("--jsonfile", go_stream),
    ] {
        assert!(!text.contains("zz_leakcheck"), "{what} shows leakcheck's file:\n{text}");
        assert!(
            !text.contains("leakchecksub"),
            "{what} shows leakcheck's label:\n{text}"
        );
    }
    // The failure line of a leak names the test's own declaration.
    assert!(run.stdout().contains("r_test.go:"), "{}", run.stdout());
}

#[test]
fn verbose_output_closes_each_package_once_and_failures_read_in_order() {
    let (run, _m) = reader_run(&["--", "-count=1", "-v"]);
    let out = run.stdout();
    let closing = out
        .lines()
        .filter(|l| l.starts_with("FAIL\texample.com/tmp/reader"))
        .count();
    assert_eq!(closing, 1, "{out}");

    let (run, _m) = reader_run(&["--", "-count=1"]);
    let out = run.stdout();
    // The header, then what the test logged under it.
    let header = out.find("--- FAIL: TestFails").expect("a FAIL header");
    let logged = out.find("a line logged before the failure").expect("the log line");
    assert!(header < logged, "{out}");
    // A leak in a subtest is the subtest's.
    assert!(out.contains("--- LEAK: TestSub/leaky"), "{out}");
    assert!(
        out.contains("--- LEAK: TestSub (") && out.contains("TestSub/leaky leaked"),
        "{out}"
    );
    // Counts read as words.
    assert!(out.contains("2 leaked") || out.contains("leaked ("), "{out}");
    assert!(!out.contains(" 1 leak,") && !out.contains(" 2 leak,"), "{out}");

    // FAIL is coloured as LEAK is.
    let (run, _m) = reader_run(&["--color", "always", "--", "-count=1"]);
    let out = run.stdout();
    assert!(out.contains("--- \x1b[31;1mFAIL\x1b[0m: TestFails"), "{out:?}");
    assert!(out.contains("--- \x1b[35;1mLEAK\x1b[0m: TestSub/leaky"), "{out:?}");
}

#[test]
fn stacks_are_compact_root_cause_first_and_full_on_request() {
    let (run, _m) = reader_run(&["--", "-count=1"]);
    let out = run.stdout();
    let block = &out[out.find("--- LEAK: TestHTTP").expect("TestHTTP leaks")..];
    let block = &block[..block.find("\n---").unwrap_or(block.len())];
    // Standard-library runs folded; the user's frames shown.
    assert!(block.contains(" frames in "), "{block}");
    assert!(!block.contains("/src/runtime/proc.go"), "{block}");
    // The goroutine the test started comes first, the server's offspring
    // under their parents.
    let first = block.lines().nth(1).unwrap();
    assert!(
        first.contains("reader.TestHTTP.func1") || first.contains("net/http.(*Client)"),
        "{block}"
    );
    assert!(block.contains(", in a leaked goroutine above"), "{block}");

    let (run, _m) = reader_run(&["--stacks", "full", "--", "-count=1"]);
    let out = run.stdout();
    assert!(!out.contains(" frames in "), "{out}");
    assert!(out.contains("/runtime/"), "{out}");
    // JUnit keeps every frame either way.
    assert!(run.junit.contains("/runtime/"), "JUnit lost frames");
}

/// A goroutine stuck deep in a recursion: its calls of the same line are
/// one line and a count, in the terminal; JUnit keeps them all.
#[test]
fn a_recursions_calls_are_folded_into_a_count() {
    let m = temp_module(&[(
        "deep/deep_test.go",
        r#"package deep

import "testing"

func walk(depth int, done chan struct{}) {
	if depth == 0 {
		<-done
		return
	}
	walk(depth-1, done)
}

func TestDeep(t *testing.T) {
	go walk(40, make(chan struct{}))
}
"#,
    )]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let out = run.stdout();
    let calls = out.matches("deep.walk (deep/deep_test.go:10)").count();
    assert_eq!(calls, 1, "{out}");
    assert!(out.contains("… the same call 39 more times"), "{out}");
    assert!(run.junit.matches("deep.walk").count() > 40, "JUnit lost frames");
}

#[test]
fn a_github_step_summary_lists_the_leaks() {
    let m = temp_module(&[
        ("reader/r_test.go", READER),
        ("notests/n.go", "package notests\n"),
        ("broken/b_test.go", "package broken\n\nfunc TestX(t *testing.T) {}\n"),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier steps' summary\n").unwrap();
    let s = summary.display().to_string();
    let run = run_in(m.path(), &["--", "-count=1"], &[("GITHUB_STEP_SUMMARY", &s)]);
    assert_eq!(run.code(), 1);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier steps' summary\n"),
        "appended, not replaced: {md}"
    );
    assert!(md.contains("| example.com/tmp/reader | TestSub/leaky | 1 |"), "{md}");
    assert!(md.contains("| example.com/tmp/reader | TestFails | failed |"), "{md}");
    assert!(md.contains("#### Goroutine leaks"), "{md}");
    // Its count line counts as the DONE line does (packages that ran
    // tests, the leaked goroutines).
    let out = run.stdout();
    let done = out.lines().find(|l| l.starts_with("DONE ")).expect(&out);
    let (packages, rest) = done["DONE ".len()..].split_once(" in ").unwrap();
    let counts = rest.split_once(": ").unwrap().1;
    let leaked = counts.split(", ").find(|c| c.contains("leaked")).expect(done);
    assert!(md.contains(&format!("{packages}, ")), "{done}\n{md}");
    assert!(md.contains(&format!(", {leaked}, ")), "{done}\n{md}");
    assert!(md.contains("1 did not build"), "{md}");
}

#[test]
fn dir_flag_makes_every_path_relative_to_dir() {
    let m = temp_module(&[("reader/r_test.go", READER)]);
    let cwd = tempfile::tempdir().unwrap();
    let out = common::leakcheck()
        .current_dir(cwd.path())
        .arg("-C")
        .arg(m.path())
        .args([
            "--junitfile",
            "out/report.xml",
            "--report-json",
            "report.json",
            "--",
            "-count=1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        m.path().join("out/report.xml").exists(),
        "the JUnit file is written in DIR"
    );
    assert!(m.path().join("report.json").exists());
    assert!(!cwd.path().join("out").exists() && !cwd.path().join("report.json").exists());
}

/// `-` names standard output, for a report piped into another tool: the
/// report is all that is there (the terminal's lines go to standard error),
/// and two reports cannot share it.
#[test]
fn a_report_named_dash_goes_to_standard_output_alone() {
    let m = temp_module(&[("reader/r_test.go", READER)]);
    let run = |args: &[&str]| common::leakcheck().current_dir(m.path()).args(args).output().unwrap();
    let out = run(&["--report-json", "-", "--", "-count=1"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON report alone");
    assert_eq!(report["totals"]["leaked_tests"], 3, "{report}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("DONE 1 package"),
        "the terminal's lines are on stderr: {err}"
    );
    assert!(!m.path().join("-").exists(), "no file named -");

    let out = run(&["--junitfile", "-", "--", "-count=1"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(
        xml.starts_with("<?xml") && xml.trim_end().ends_with("</testsuites>"),
        "{xml}"
    );
    assert!(xml.contains(r#"name="TestHTTP""#), "{xml}");

    let out = run(&["--junitfile", "-", "--report-json", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("both write to standard output"), "{err}");

    // merge: the merged report on stdout, its summary on stderr.
    let shard = m.path().join("shard.json");
    let out = run(&["--report-json", shard.to_str().unwrap(), "--", "-count=1"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["merge", "--report-json", "-", shard.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let merged: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the merged report");
    assert_eq!(merged["totals"]["leaked_tests"], 3, "{merged}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("merged 1 JSON report into standard output"));
}

#[test]
fn watch_refuses_the_flags_it_would_drop() {
    let m = temp_module(&[("reader/r_test.go", READER)]);
    let out = common::leakcheck()
        .current_dir(m.path())
        .args(["--watch", "--format", "dots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--format cannot be used with --watch"), "{err}");
}

/// go test without -v prints all a failing package printed: what its
/// passing tests wrote to stdout too, but not their t.Log lines; so does
/// `--format standard-quiet`, which is go test's output, with go test's
/// word for a test that panicked (`--- FAIL`, which scrapers of go test's
/// output know).
#[test]
fn standard_quiet_shows_a_failing_packages_passing_tests_stdout_as_go_test_does() {
    let m = temp_module(&[
        (
            "sqpanic/sqpanic_test.go",
            "package sqpanic\n\nimport \"testing\"\n\nfunc TestPanics(t *testing.T) {\n\tvar m map[string]int\n\tm[\"x\"] = 1\n}\n",
        ),
        (
        "sq/sq_test.go",
        r#"package sq

import (
	"fmt"
	"testing"
)

func TestPrints(t *testing.T) {
	fmt.Println("stdout from a passing test")
	fmt.Println("--- results ---")
	t.Log("log from a passing test")
}

func TestFails(t *testing.T) {
	fmt.Println("stdout from a failing test")
	fmt.Println("--- totals ---")
	t.Error("boom")
}
"#,
    ),
    ]);
    let go = common::go_test_stdout(m.path(), &["-count=1"]);
    assert!(
        go.contains("stdout from a passing test") && !go.contains("log from a passing test"),
        "{go}"
    );
    let run = run_in(
        m.path(),
        &["--color", "never", "--format", "standard-quiet", "--", "-count=1"],
        &[],
    );
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let out = run.stdout();
    assert!(
        out.contains("stdout from a passing test") && out.contains("--- results ---"),
        "{out}"
    );
    assert!(!out.contains("log from a passing test"), "{out}");
    assert!(
        out.contains("stdout from a failing test") && out.contains("boom"),
        "{out}"
    );
    // A line a test printed is its own even when it starts like testing's
    // result lines.
    assert!(out.contains("--- totals ---"), "{out}");
    assert!(
        go.contains("--- FAIL: TestPanics") && out.contains("--- FAIL: TestPanics"),
        "{go}\n{out}"
    );
    assert!(!out.contains("--- PANIC"), "{out}");
}

/// A failing package's own output (its `init`, its `TestMain`) is shown, as
/// go test shows it: a setup diagnostic must not vanish from the CI log.
#[test]
fn a_failing_packages_own_output_is_shown() {
    let m = temp_module(&[(
        "setup/setup_test.go",
        r#"package setup

import (
	"fmt"
	"os"
	"testing"
)

func init() {
	fmt.Println("INIT: config loaded from /etc/x")
	fmt.Fprintln(os.Stderr, "INIT-STDERR: db unreachable, using a stub")
}

func TestFails(t *testing.T) { t.Error("boom") }
"#,
    )]);
    for format in ["pkgname", "testname", "standard-quiet"] {
        let run = run_in(
            m.path(),
            &["--color", "never", "--format", format, "--", "-count=1"],
            &[],
        );
        assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
        let out = run.stdout();
        assert!(out.contains("INIT: config loaded from /etc/x"), "{format}: {out}");
        assert!(out.contains("INIT-STDERR: db unreachable"), "{format}: {out}");
        assert!(out.contains("boom"), "{format}: {out}");
    }
}

/// Every benchmark result line is shown, as go test shows it: with
/// `-count` and `-cpu`, test2json gives only the first to the benchmark
/// and the repeats to the package (they were dropped; `| benchstat` got
/// one sample of each).
#[test]
fn every_benchmark_repeat_is_shown() {
    let m = temp_module(&[(
        "bench/bench_test.go",
        r#"package bench

import "testing"

func BenchmarkSum(b *testing.B) {
	s := 0
	for i := 0; i < b.N; i++ {
		s += i
	}
	_ = s
}

func BenchmarkConcat(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = "a" + string(rune('a'+i%26))
	}
}

// A sub-benchmark whose own name ends like a -cpu suffix.
func BenchmarkSized(b *testing.B) {
	b.Run("n-3", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = make([]byte, 3)
		}
	})
}
"#,
    )]);
    let args = [
        "-run",
        "^$",
        "-bench",
        ".",
        "-benchtime",
        "10x",
        "-count",
        "3",
        "-cpu",
        "1,2",
    ];
    let mut lc = vec!["--color", "never", "--"];
    lc.extend(args);
    let run = run_in(m.path(), &lc, &[]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("Benchmark"))
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    let want = names(&common::go_test_stdout(m.path(), &args));
    assert_eq!(want.len(), 18, "{want:?}");
    assert_eq!(names(&run.stdout()), want, "{}", run.stdout());
}

/// When benchmarks are asked for (-bench), go test streams all every
/// package's test binary printed, even without -v: a passing test's stdout
/// (not its t.Log lines) and `PASS`. `--format standard-quiet` prints the
/// same lines.
#[test]
fn standard_quiet_shows_a_benchmarking_package_as_go_test_does() {
    let m = temp_module(&[
        (
            "bench/bench_test.go",
        r#"package bench

import (
	"fmt"
	"testing"
)

func TestPrints(t *testing.T) {
	fmt.Println("printed by TestPrints")
	t.Log("logged by TestPrints")
}

func BenchmarkSum(b *testing.B) {
	s := 0
	for i := 0; i < b.N; i++ {
		s += i
	}
	_ = s
}
"#,
        ),
        (
            "nobench/n_test.go",
            "package nobench\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestAlone(t *testing.T) { fmt.Println(\"printed by TestAlone\") }\n",
        ),
    ]);
    // -bench streams every package, one without benchmarks too.
    let args = ["-count=1", "-bench=.", "-benchtime=10x"];
    // Figures and times differ from run to run: the words are compared.
    let words = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("DONE "))
            .map(|l| {
                l.split_whitespace()
                    .take(if l.starts_with("ok") { 2 } else { 1 })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let want = words(&common::go_test_stdout(m.path(), &args));
    assert!(
        want.contains(&"printed".to_string()) && want.contains(&"PASS".to_string()),
        "{want:?}"
    );
    let mut lc = vec!["--format", "standard-quiet", "--color", "never", "--"];
    lc.extend(args);
    let run = run_in(m.path(), &lc, &[]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(words(&run.stdout()), want, "{}", run.stdout());
}

/// What a build that succeeded printed (a C compiler's warning) is shown,
/// as go test shows it (it was dropped); leakcheck's own files are not
/// named in it.
#[test]
fn a_successful_builds_warnings_are_shown() {
    let m = temp_module(&[
        (
            "cwarn/c.go",
            r#"package cwarn

/*
#warning "this C library is deprecated, migrate to v2"
static int one(void) { return 1; }
*/
import "C"

// One comes from C.
func One() int { return int(C.one()) }
"#,
        ),
        (
            "cwarn/c_test.go",
            r#"package cwarn

import "testing"

func TestOne(t *testing.T) {
	if One() != 1 {
		t.Fatal("one")
	}
}
"#,
        ),
    ]);
    let run = run_in(
        m.path(),
        &["--color", "never", "--", "-count=1", "-gcflags=-m"],
        &[("CGO_ENABLED", "1")],
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let err = run.stderr();
    assert!(err.contains("this C library is deprecated, migrate to v2"), "{err}");
    assert!(err.contains("can inline One"), "{err}");
    assert!(!err.contains("zz_leakcheck"), "{err}");
}

/// Two test servers never closed (their accept loops: the largest group,
/// with no frame of the module's code) and a goroutine of the test's own.
const LIBRARY_FIRST_TEST: &str = r#"package libfirst

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func drain(ch chan int) {
	for range ch {
	}
}

func TestLeaks(t *testing.T) {
	for i := 0; i < 2; i++ {
		httptest.NewServer(http.NotFoundHandler())
	}
	go drain(make(chan int))
}
"#;

// The JUnit file/line of a leak points at the largest group that ran the
// module's code, not at nothing when the largest ran none (a hostile
// review's case: a websocket test's httptest server came first).
#[test]
fn junit_points_at_the_largest_leaked_group_in_the_modules_code() {
    let m = temp_module(&[("libfirst/libfirst_test.go", LIBRARY_FIRST_TEST)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let groups = &run.tests()[&("example.com/tmp/libfirst".to_string(), "TestLeaks".to_string())]["leak"]["groups"];
    assert_eq!(groups[0]["count"], 2, "{}", run.stdout());
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestLeaks"))
        .expect("a testcase for TestLeaks");
    assert_eq!(
        case.attribute("file"),
        Some("libfirst/libfirst_test.go"),
        "{}",
        run.junit
    );
    assert_eq!(case.attribute("line"), Some("18"), "{}", run.junit);
}

/// Leaks with no frame in the module's code: test servers never closed,
/// in a test, a subtest, an external test, and a test both test packages
/// declare.
const STDLIB_ONLY_TEST: &str = r#"package stdonly

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestServerNeverClosed(t *testing.T) {
	httptest.NewServer(http.NotFoundHandler())
}

func TestDup(t *testing.T) {}

func TestRoutes(t *testing.T) {
	t.Run("ok", func(t *testing.T) {})
	t.Run("server", func(t *testing.T) {
		httptest.NewServer(http.NotFoundHandler())
	})
}
"#;

const STDLIB_ONLY_XTEST: &str = r#"package stdonly_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestExternalServer(t *testing.T) {
	httptest.NewServer(http.NotFoundHandler())
}

// Declared in both test packages: go test runs both as TestDup.
func TestDup(t *testing.T) {
	httptest.NewServer(http.NotFoundHandler())
}
"#;

// A leak that is all Go's own code (an httptest server never closed)
// points the JUnit file and the GitHub annotation at the test's
// declaration, the top-level test's for a subtest: it pointed nowhere.
#[test]
fn a_leak_with_no_frame_in_the_modules_code_points_at_the_tests_declaration() {
    let m = temp_module(&[
        ("stdonly/stdonly_test.go", STDLIB_ONLY_TEST),
        ("stdonly/x_test.go", STDLIB_ONLY_XTEST),
    ]);
    let run = run_in(m.path(), &["--annotations", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let place = |name: &str| {
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name} in {}", run.junit));
        (case.attribute("file"), case.attribute("line"))
    };
    let internal = Some("stdonly/stdonly_test.go");
    assert_eq!(place("TestServerNeverClosed"), (internal, Some("9")), "{}", run.junit);
    assert_eq!(place("TestRoutes/server"), (internal, Some("15")), "{}", run.junit);
    // Which TestDup leaked cannot be told: no place rather than the
    // internal one's.
    for case in doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("TestDup"))
    {
        assert_eq!(case.attribute("file"), None, "{}", run.junit);
    }
    assert_eq!(
        place("TestExternalServer"),
        (Some("stdonly/x_test.go"), Some("9")),
        "{}",
        run.junit
    );
    // Passing tests point nowhere, as before.
    assert_eq!(place("TestRoutes/ok"), (None, None), "{}", run.junit);
    let out = run.stdout();
    assert!(
        out.contains("::error file=stdonly/stdonly_test.go,line=9,title=Goroutine leak in TestServerNeverClosed"),
        "{out}"
    );
    assert!(
        out.contains("::error file=stdonly/x_test.go,line=9,title=Goroutine leak in TestExternalServer"),
        "{out}"
    );
}

/// A test that prints what looks like testing's framing (a tool's test
/// showing a nested `go test` run's output) keeps those lines: go test
/// shows them, and test2json gives a genuine framing line to the test it
/// names, never to the test that printed it.
#[test]
fn lines_a_test_printed_that_look_like_testings_framing_are_shown() {
    let m = temp_module(&[(
        "nested/nested_test.go",
        r#"package nested

import (
	"fmt"
	"testing"
)

// TestRunner checks a tool that prints a go test run's output.
func TestRunner(t *testing.T) {
	fmt.Println("=== RUN   TestInner")
	fmt.Println("=== PAUSE TestInner")
	fmt.Println("--- FAIL: TestInner (0.01s)")
	t.Run("report", func(t *testing.T) {
		t.Log("=== CONT  TestInner")
		fmt.Println("--- SKIP: TestOther (0.00s)")
		t.Error("the tool missed TestInner's failure")
	})
}

func TestQuiet(t *testing.T) {
	fmt.Println("=== RUN   TestInnerQuiet")
	fmt.Println("--- PASS: TestInnerQuiet (0.00s)")
}
"#,
    )]);
    let go = common::go_test_stdout(m.path(), &["-count=1"]);
    let printed = [
        "=== RUN   TestInner\n",
        "=== PAUSE TestInner\n",
        "--- FAIL: TestInner (0.01s)\n",
        ": === CONT  TestInner\n",
        "--- SKIP: TestOther (0.00s)\n",
    ];
    for line in printed {
        assert!(go.contains(line), "go test shows {line:?}:\n{go}");
    }
    let run = run_in(m.path(), &["--color", "never", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let out = run.stdout();
    for line in printed {
        assert!(out.contains(line), "leakcheck shows {line:?}:\n{out}");
    }
    // testing's own framing is still given once, in leakcheck's words.
    assert!(!out.contains("=== RUN   TestRunner"), "{out}");
    assert_eq!(out.matches("--- FAIL: TestRunner (").count(), 1, "{out}");
    assert_eq!(out.matches("--- FAIL: TestRunner/report (").count(), 1, "{out}");
    let quiet = run_in(
        m.path(),
        &["--color", "never", "--format", "standard-quiet", "--", "-count=1"],
        &[],
    );
    let quiet = quiet.stdout();
    for line in ["=== RUN   TestInnerQuiet\n", "--- PASS: TestInnerQuiet (0.00s)\n"] {
        assert!(go.contains(line) && quiet.contains(line), "{line:?}:\n{go}\n{quiet}");
    }
    assert!(!quiet.contains("--- PASS: TestQuiet"), "{quiet}");
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let failure = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
            .and_then(|f| f.text())
            .unwrap_or_default()
            .to_string()
    };
    let runner = failure("TestRunner");
    for line in &printed[..3] {
        assert!(runner.contains(line), "{line:?} in {runner}");
    }
    assert!(!runner.contains("=== RUN   TestRunner"), "{runner}");
    let report = failure("TestRunner/report");
    assert!(report.contains(printed[3]) && report.contains(printed[4]), "{report}");
}

/// A recovery middleware's test prints a panic and its stack, and passes;
/// another test of the package really panics (or only fails).
const RECOVERED_PANIC_TEST: &str = r#"package recovered

import (
	"fmt"
	"runtime/debug"
	"testing"
)

func TestRecoverLogs(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("panic: %v\n\n%s", r, debug.Stack())
		}
	}()
	panic("handler exploded")
}
"#;

// The panic text a passing test printed is not the binary's crash: the
// test that crashed is (helper-107: the printed one was reported, the real
// nil-map panic's test was only "failed"), and with no crash there is none.
#[test]
fn a_panic_a_passing_test_printed_is_not_the_crash() {
    let crashing = "package recovered\n\nimport \"testing\"\n\nfunc TestReallyPanics(t *testing.T) {\n\tvar m map[string]int\n\tm[\"x\"] = 1\n}\n";
    let failing =
        "package recovered\n\nimport \"testing\"\n\nfunc TestReallyPanics(t *testing.T) { t.Error(\"wrong\") }\n";
    for (second, crash) in [(crashing, true), (failing, false)] {
        let m = temp_module(&[
            ("recovered/a_test.go", RECOVERED_PANIC_TEST),
            ("recovered/b_test.go", second),
        ]);
        let run = run_in(m.path(), &["--", "-count=1"], &[]);
        assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
        let p = run.package("example.com/tmp/recovered");
        let tests = run.tests();
        let verdict =
            |name: &str| tests[&("example.com/tmp/recovered".to_string(), name.to_string())]["verdict"].clone();
        assert_eq!(verdict("TestRecoverLogs"), "passed", "{}", run.stdout());
        if crash {
            assert_eq!(verdict("TestReallyPanics"), "panicked", "{}", run.stdout());
            let message = p["crash"]["message"].as_str().unwrap_or_default();
            assert!(message.contains("assignment to entry in nil map"), "{p}");
            assert_eq!(p["crash"]["tests"], serde_json::json!(["TestReallyPanics"]), "{p}");
        } else {
            assert_eq!(verdict("TestReallyPanics"), "failed", "{}", run.stdout());
            assert!(p["crash"].is_null(), "{p}");
        }
    }
}

// Only the binary's last panic line, with no test going on after it, is
// the crash (helper-109): a test that logged a recovered panic and then
// hangs is the -timeout alarm's, and an os.Exit after a passing test
// printed a panic is an exit; a test that logs one and then panics for
// real gets the real message.
#[test]
fn the_crash_is_the_last_panic_with_no_test_going_on_after_it() {
    let hangs = "package recovered\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestZHangs(t *testing.T) {\n\tfmt.Println(\"panic: handler exploded [recovered by middleware]\")\n\t<-make(chan int)\n}\n";
    let exits =
        "package recovered\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestZExits(t *testing.T) { os.Exit(1) }\n";
    let both = "package recovered\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestZBoth(t *testing.T) {\n\tfmt.Println(\"panic: handler exploded [recovered by middleware]\")\n\tvar m map[string]int\n\tm[\"x\"] = 1\n}\n";
    // A panic value holding go test's output (helper-111): its later lines,
    // `--- PASS: …` among them, are the crash's, not the tests going on.
    let value = "package recovered\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc TestZValue(t *testing.T) {\n\tpanic(fmt.Sprintf(\"bad thing\\n--- PASS: TestZValue (0.00s)\\n=== RUN   TestNext\\nmore\"))\n}\n";
    for (second, test, verdict, kind, message) in [
        (value, "TestZValue", "panicked", "panic", "panic: bad thing"),
        (hangs, "TestZHangs", "timed_out", "timeout", "panic: test timed out"),
        (exits, "TestZExits", "unfinished", "exit", "the test binary exited"),
        (
            both,
            "TestZBoth",
            "panicked",
            "panic",
            "panic: assignment to entry in nil map",
        ),
    ] {
        let m = temp_module(&[
            ("recovered/a_test.go", RECOVERED_PANIC_TEST),
            ("recovered/b_test.go", second),
        ]);
        let run = run_in(m.path(), &["--", "-count=1", "-timeout=3s"], &[]);
        assert_eq!(run.code(), 1, "{test}: {}{}", run.stdout(), run.stderr());
        let p = run.package("example.com/tmp/recovered");
        assert_eq!(
            run.verdict("example.com/tmp/recovered", "TestRecoverLogs"),
            "passed",
            "{p}"
        );
        assert_eq!(run.verdict("example.com/tmp/recovered", test), verdict, "{p}");
        assert_eq!(p["crash"]["kind"], kind, "{p}");
        assert!(
            p["crash"]["message"].as_str().unwrap_or_default().starts_with(message),
            "{p}"
        );
        assert_eq!(p["crash"]["tests"], serde_json::json!([test]), "{p}");
    }
}

/// What a child process printed when it crashed, as a test echoes it.
const CHILD_CRASH: &str = "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/tmp/child/main.go:5 +0x1d\nexit status 2";

/// Crash lines the binary went on after: a passing test echoing a child's
/// fatal error (the tests ran to their end, or a later one exited), a
/// failing example whose output is a dump, a TestMain logging `panic: `
/// after m.Run. None is the crash (helper-119).
#[test]
fn text_that_only_looks_like_a_crash_is_not_one() {
    let echo = format!("func TestEchoesChild(t *testing.T) {{\n\tfmt.Println({CHILD_CRASH:?})\n}}\n");
    let echoed = format!(
        "package echoed\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\n{echo}\nfunc TestFails(t *testing.T) {{ t.Error(\"wrong\") }}\n"
    );
    let echoed_exit = format!(
        "package echoedexit\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n)\n\n{echo}\nfunc TestExits(t *testing.T) {{ os.Exit(1) }}\n"
    );
    let example = "package exampledump\n\nimport \"fmt\"\n\nfunc Example_dump() {\n\tfmt.Println(\"panic: not really\\n\\ngoroutine 1 [running]:\\nmain.main()\")\n\t// Output: ok\n}\n";
    let teardown = "package teardown\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) {\n\tcode := m.Run()\n\tfmt.Println(\"panic: nothing to clean up\")\n\tos.Exit(code)\n}\n\nfunc TestFails(t *testing.T) { t.Error(\"wrong\") }\n";
    let m = temp_module(&[
        ("echoed/e_test.go", echoed.as_str()),
        ("echoedexit/e_test.go", echoed_exit.as_str()),
        ("exampledump/e_test.go", example),
        ("teardown/t_test.go", teardown),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = "example.com/tmp/echoed";
    assert!(run.package(pkg)["crash"].is_null(), "{out}");
    assert_eq!(run.verdict(pkg, "TestEchoesChild"), "passed", "{out}");
    assert_eq!(run.verdict(pkg, "TestFails"), "failed", "{out}");
    let pkg = "example.com/tmp/echoedexit";
    let crash = &run.package(pkg)["crash"];
    assert_eq!(crash["kind"], "exit", "{out}");
    assert_eq!(crash["tests"], serde_json::json!(["TestExits"]), "{out}");
    assert_eq!(run.verdict(pkg, "TestEchoesChild"), "passed", "{out}");
    let pkg = "example.com/tmp/exampledump";
    assert!(run.package(pkg)["crash"].is_null(), "{out}");
    assert_eq!(run.verdict(pkg, "Example_dump"), "failed", "{out}");
    let pkg = "example.com/tmp/teardown";
    assert!(run.package(pkg)["crash"].is_null(), "{out}");
    assert_eq!(run.verdict(pkg, "TestFails"), "failed", "{out}");
    // What they printed is all there.
    assert!(run.junit.contains("all goroutines are asleep"), "{}", run.junit);
    assert!(run.junit.contains("panic: nothing to clean up"), "{}", run.junit);

    // With GOTRACEBACK=none a real panic of TestMain after m.Run prints no
    // dump, and is the crash all the same (helper-121).
    let panics = "package teardownpanic\n\nimport \"testing\"\n\nfunc TestMain(m *testing.M) {\n\tif m.Run() == 0 {\n\t\tpanic(\"db not closed\")\n\t}\n}\n\nfunc TestOK(t *testing.T) {}\n";
    let m = temp_module(&[("teardownpanic/t_test.go", panics)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[("GOTRACEBACK", "none")]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let crash = &run.package("example.com/tmp/teardownpanic")["crash"];
    assert_eq!(crash["kind"], "panic", "{out}");
    assert!(
        crash["message"].as_str().unwrap_or_default().contains("db not closed"),
        "{out}"
    );
}

// A subtest that panics: testing reports it failed, then its parents, and
// test2json gives the panic's text to the top-level test. The subtest that
// panicked is the crash's, as the dump's panicking goroutine says (a
// closure of the test, or a function of its own, runs the subtest); a
// top-level test whose own body panics after a subtest failed keeps it. An
// example's panic, which test2json gives no test, is the example's.
const SUBTEST_PANICS: &str = r#"package subpanic

import "testing"

func nested(t *testing.T) {
	t.Run("deep", func(t *testing.T) {
		var m map[string]int
		m["x"] = 1
	})
}

func TestNested(t *testing.T) {
	t.Run("fails", func(t *testing.T) { t.Error("wrong") })
	t.Run("outer", nested)
}
"#;

/// A group of parallel subtests, over before a sequential subtest panics.
const PANIC_AFTER_PARALLEL_GROUP: &str = r#"package pargroup

import "testing"

func TestStages(t *testing.T) {
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b"} {
			t.Run(name, func(t *testing.T) { t.Parallel() })
		}
	})
	t.Run("boom", func(t *testing.T) {
		var m map[string]int
		m["x"] = 1
	})
}
"#;

/// A parallel test runs a serial test's function as a subtest; that test
/// failed on its own before, and panics as the subtest (helper-121: the
/// serial test was blamed).
const SUBTEST_OF_ANOTHER_TEST: &str = r#"package reused

import (
	"strings"
	"testing"
)

func TestA(t *testing.T) {
	t.Parallel()
	t.Run("x", TestB)
}

func TestB(t *testing.T) {
	if strings.HasPrefix(t.Name(), "TestA/") {
		var m map[string]int
		m["x"] = 1
	}
	t.Error("wrong")
}
"#;

/// A parallel test panics; another, waiting for it, ends while the panic
/// is printed, and test2json gives the panic to it (helper-122).
const PANIC_WHILE_ANOTHER_ENDS: &str = r#"package endsmeanwhile

import (
	"sync"
	"testing"
	"time"
)

var (
	panicking = make(chan struct{})
	once      sync.Once
)

// announcedError lets TestWaits end while the panic is printed.
type announcedError struct{}

func (announcedError) Error() string {
	once.Do(func() {
		close(panicking)
		time.Sleep(300 * time.Millisecond)
	})
	return "connection reset"
}

func TestWaits(t *testing.T) {
	t.Parallel()
	<-panicking
}

func TestPanics(t *testing.T) {
	t.Parallel()
	panic(announcedError{})
}
"#;

/// A parallel subtest panics while its sibling still runs (helper-121: the
/// sibling's goroutine was its leak).
const PANIC_BESIDE_RUNNING_SIBLING: &str = r#"package runningsibling

import (
	"testing"
	"time"
)

func TestTop(t *testing.T) {
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		time.Sleep(2 * time.Second)
	})
	t.Run("boom", func(t *testing.T) {
		t.Parallel()
		var m map[string]int
		m["x"] = 1
	})
}
"#;

/// A closure of TestB, kept in a package variable, panics as TestA's
/// subtest after TestB failed on its own (helper-123: TestB was blamed).
const PANIC_IN_ANOTHER_TESTS_CLOSURE: &str = r#"package handedclosure

import "testing"

var check func(t *testing.T)

func TestB(t *testing.T) {
	check = func(t *testing.T) {
		if t.Name() != "TestB/inner" {
			var m map[string]int
			m["x"] = 1
		}
	}
	t.Run("inner", check)
	t.Error("wrong")
}

func TestA(t *testing.T) {
	t.Run("x", check)
}
"#;

/// A subtest calls runtime.Goexit: testing panics on its goroutine.
const SUBTEST_GOEXITS: &str = r#"package goexit

import (
	"runtime"
	"testing"
)

func TestSteps(t *testing.T) {
	t.Run("first", func(t *testing.T) {})
	t.Run("exits", func(t *testing.T) { runtime.Goexit() })
	t.Run("never", func(t *testing.T) {})
}
"#;

/// A parallel test panics while another logs: test2json gives the panic's
/// text to the one that logged last. The panic's value takes a while to
/// print (its Error method is slow), so the other logs in between.
const PARALLEL_PANICS: &str = r#"package parallelpanic

import (
	"testing"
	"time"
)

func TestPanics(t *testing.T) {
	t.Parallel()
	panic(slowError{})
}

func TestLogs(t *testing.T) {
	t.Parallel()
	for i := 0; i < 400; i++ {
		t.Logf("tick %d", i)
		time.Sleep(5 * time.Millisecond)
	}
}
"#;

/// A fuzz target's seed panics: each seed is a subtest of the target.
const SEED_PANICS: &str = r#"package seedpanic

import (
	"strconv"
	"testing"
)

func FuzzAtoi(f *testing.F) {
	f.Add("12")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			panic("empty input")
		}
		if _, err := strconv.Atoi(s); err != nil {
			t.Skip(err)
		}
	})
}
"#;

// A goroutine a parallel test started panics right after another parallel
// test logged, which test2json then gives the panic (helper-124: the
// logging test was blamed, the starting one said to have exited).
const GOROUTINE_PANICS_WHILE_ANOTHER_LOGS: &str = r#"package goroutinepanic

import "testing"

var logged = make(chan struct{})

func TestStarts(t *testing.T) {
	t.Parallel()
	go func() {
		<-logged
		var m map[string]int
		m["x"] = 1
	}()
	select {}
}

func TestLogs(t *testing.T) {
	t.Parallel()
	t.Log("waiting")
	close(logged)
	select {}
}
"#;

// The same after the other test passed (helper-124: the crash said it ran
// the passed test). Whether the panic comes before or after TestQuick's
// result line, TestStarts is the test that panicked.
const GOROUTINE_PANICS_AFTER_ANOTHER_PASSED: &str = r#"package passedbystander

import (
	"testing"
	"time"
)

var ended = make(chan struct{})

func TestStarts(t *testing.T) {
	t.Parallel()
	go func() {
		<-ended
		time.Sleep(100 * time.Millisecond)
		panic("worker failed")
	}()
	select {}
}

func TestQuick(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { close(ended) })
	t.Log("done")
}
"#;

// A goroutine a subtest started panics: the subtest test2json named.
const SUBTESTS_GOROUTINE_PANICS: &str = r#"package subgoroutine

import "testing"

func TestRows(t *testing.T) {
	t.Run("first", func(t *testing.T) {})
	t.Run("boom", func(t *testing.T) {
		go func() {
			var m map[string]int
			m["x"] = 1
		}()
		t.Log("started")
		select {}
	})
}
"#;

const OWN_BODY_PANICS: &str = r#"package ownpanic

import (
	"fmt"
	"testing"
)

// Its panic goes to no test in test2json's stream.
func Example_panics() {
	fmt.Println("start")
	var m map[string]int
	m["x"] = 1
	// Output: start
}

func TestOwnBody(t *testing.T) {
	t.Run("fails", func(t *testing.T) { t.Error("wrong") })
	panic("after the subtest")
}
"#;

// A top-level test's own cleanup that panics after a subtest failed: the
// panicking goroutine runs testing's cleanup, not a subtest's body
// (helper-115: the failed subtest was named).
const CLEANUP_PANICS: &str = r#"package cleanuppanic

import "testing"

func TestCleanup(t *testing.T) {
	t.Cleanup(func() { panic("in the cleanup") })
	t.Run("fails", func(t *testing.T) { t.Error("wrong") })
}
"#;

// Parallel subtests end in any order: a sibling the panic's deferred close
// releases may fail after the one that panicked (helper-115: it was named).
// Which one panicked is not told; never the sibling.
const SIBLING_PANICS: &str = r#"package siblingpanic

import "testing"

func TestShared(t *testing.T) {
	done := make(chan struct{})
	// (Run with more parallel slots than subtests: which waiting subtest
	// gets a slot first is not known, and siblings holding them all would
	// never let this one run.)
	t.Run("a", func(t *testing.T) {
		t.Parallel()
		defer close(done)
		var m map[string]int
		m["x"] = 1
	})
	for _, name := range []string{"b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			<-done
			t.Error("server gone")
		})
	}
}
"#;

#[test]
fn a_subtests_panic_is_the_subtests() {
    let m = temp_module(&[
        ("subpanic/s_test.go", SUBTEST_PANICS),
        ("ownpanic/s_test.go", OWN_BODY_PANICS),
        ("cleanuppanic/s_test.go", CLEANUP_PANICS),
        ("siblingpanic/s_test.go", SIBLING_PANICS),
        ("parallelpanic/s_test.go", PARALLEL_PANICS),
        ("parallelpanic/slow_test.go", &common::slow_error_go("parallelpanic")),
        ("seedpanic/s_test.go", SEED_PANICS),
        ("goexit/s_test.go", SUBTEST_GOEXITS),
        ("pargroup/s_test.go", PANIC_AFTER_PARALLEL_GROUP),
        ("reused/s_test.go", SUBTEST_OF_ANOTHER_TEST),
        ("runningsibling/s_test.go", PANIC_BESIDE_RUNNING_SIBLING),
        ("endsmeanwhile/s_test.go", PANIC_WHILE_ANOTHER_ENDS),
        ("handedclosure/s_test.go", PANIC_IN_ANOTHER_TESTS_CLOSURE),
        ("goroutinepanic/s_test.go", GOROUTINE_PANICS_WHILE_ANOTHER_LOGS),
        ("passedbystander/s_test.go", GOROUTINE_PANICS_AFTER_ANOTHER_PASSED),
        ("subgoroutine/s_test.go", SUBTESTS_GOROUTINE_PANICS),
    ]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let run = run_in(
            m.path(),
            &["--", "-count=1", "-parallel=8"],
            &[("GOTOOLCHAIN", toolchain)],
        );
        let out = format!("{toolchain}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        let pkg = "example.com/tmp/subpanic";
        assert_eq!(run.verdict(pkg, "TestNested/outer/deep"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestNested/outer"), "failed", "{out}");
        assert_eq!(run.verdict(pkg, "TestNested/fails"), "failed", "{out}");
        assert_eq!(run.verdict(pkg, "TestNested"), "failed", "{out}");
        assert_eq!(
            run.package(pkg)["crash"]["tests"],
            serde_json::json!(["TestNested/outer/deep"]),
            "{out}"
        );
        // The panicking subtest runs its parents' cleanups as it
        // unwinds: the goroutine running leakcheck's check is no leak.
        for t in run.package(pkg)["tests"].as_array().unwrap() {
            assert_eq!(t["leak"]["total"].as_u64().unwrap_or(0), 0, "{out}");
        }
        for pkg in ["example.com/tmp/goroutinepanic", "example.com/tmp/passedbystander"] {
            assert_eq!(run.verdict(pkg, "TestStarts"), "panicked", "{out}");
            assert_eq!(
                run.package(pkg)["crash"]["tests"],
                serde_json::json!(["TestStarts"]),
                "{out}"
            );
        }
        assert_eq!(
            run.verdict("example.com/tmp/goroutinepanic", "TestLogs"),
            "unfinished",
            "{out}"
        );
        assert_ne!(
            run.verdict("example.com/tmp/passedbystander", "TestQuick"),
            "panicked",
            "{out}"
        );
        let pkg = "example.com/tmp/subgoroutine";
        assert_eq!(run.verdict(pkg, "TestRows/boom"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestRows/first"), "passed", "{out}");
        let pkg = "example.com/tmp/handedclosure";
        assert_eq!(run.verdict(pkg, "TestA/x"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestB"), "failed", "{out}");
        let pkg = "example.com/tmp/endsmeanwhile";
        assert_eq!(run.verdict(pkg, "TestPanics"), "panicked", "{out}");
        assert_ne!(run.verdict(pkg, "TestWaits"), "panicked", "{out}");
        let pkg = "example.com/tmp/runningsibling";
        for t in run.package(pkg)["tests"].as_array().unwrap() {
            assert_eq!(t["leak"]["total"].as_u64().unwrap_or(0), 0, "{out}");
        }
        let pkg = "example.com/tmp/reused";
        assert_eq!(run.verdict(pkg, "TestA/x"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestB"), "failed", "{out}");
        let pkg = "example.com/tmp/pargroup";
        assert_eq!(run.verdict(pkg, "TestStages/boom"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestStages/group/a"), "passed", "{out}");
        let pkg = "example.com/tmp/goexit";
        assert_eq!(run.verdict(pkg, "TestSteps/exits"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestSteps"), "failed", "{out}");
        assert_eq!(run.verdict(pkg, "TestSteps/first"), "passed", "{out}");
        let pkg = "example.com/tmp/seedpanic";
        assert_eq!(run.verdict(pkg, "FuzzAtoi/seed#1"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "FuzzAtoi"), "failed", "{out}");
        assert_eq!(
            run.package(pkg)["crash"]["tests"],
            serde_json::json!(["FuzzAtoi/seed#1"]),
            "{out}"
        );
        let pkg = "example.com/tmp/parallelpanic";
        assert_eq!(run.verdict(pkg, "TestPanics"), "panicked", "{out}");
        assert_ne!(run.verdict(pkg, "TestLogs"), "panicked", "{out}");
        assert_eq!(
            run.package(pkg)["crash"]["tests"],
            serde_json::json!(["TestPanics"]),
            "{out}"
        );
        let pkg = "example.com/tmp/ownpanic";
        assert_eq!(run.verdict(pkg, "TestOwnBody"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestOwnBody/fails"), "failed", "{out}");
        // (Examples run after the tests: this one never does.)
        assert_eq!(
            run.package(pkg)["crash"]["tests"],
            serde_json::json!(["TestOwnBody"]),
            "{out}"
        );
        let pkg = "example.com/tmp/cleanuppanic";
        assert_eq!(run.verdict(pkg, "TestCleanup"), "panicked", "{out}");
        assert_eq!(run.verdict(pkg, "TestCleanup/fails"), "failed", "{out}");
        let pkg = "example.com/tmp/siblingpanic";
        let crash = run.package(pkg)["crash"]["tests"].clone();
        assert!(
            crash == serde_json::json!(["TestShared"]) || crash == serde_json::json!(["TestShared/a"]),
            "{out}"
        );
        for sibling in ["TestShared/b", "TestShared/c", "TestShared/d"] {
            assert_ne!(run.verdict(pkg, sibling), "panicked", "{out}");
        }
        let pkg = "example.com/tmp/ownpanic";
        let run = run_in(
            m.path(),
            &["./ownpanic", "--", "-count=1", "-run=Example"],
            &[("GOTOOLCHAIN", toolchain)],
        );
        let out = format!("{toolchain}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.verdict(pkg, "Example_panics"), "panicked", "{out}");
        assert_eq!(
            run.package(pkg)["crash"]["tests"],
            serde_json::json!(["Example_panics"]),
            "{out}"
        );
    }
}
