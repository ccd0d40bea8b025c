//! Where and when the helper's checks run, on the real `go test`: parallel
//! tests checked in the background by one looker, and the limits of telling
//! a goroutine by difference (it appeared while a test ran alone).

use crate::common;

use std::collections::BTreeMap;

use common::{assert_nothing_lost, go_test_verdicts, run_in, temp_module, Run};

const M: &str = "example.com/tmp/";

/// Parallel tests and parallel subtests, clean and leaking, failing and
/// leaking, directly and through a goroutine that exits at once.
const PARALLEL: &str = r#"package par

import (
	"fmt"
	"testing"
	"time"
)

func block() { select {} }

func TestClean(t *testing.T) {
	for i := 0; i < 20; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			done := make(chan bool)
			go func() {
				time.Sleep(time.Millisecond)
				close(done)
			}()
			<-done
		})
	}
}

func TestDirect(t *testing.T) {
	t.Parallel()
	go block()
}

func TestIndirect(t *testing.T) {
	t.Parallel()
	go func() { go block() }()
}

func TestSub(t *testing.T) {
	t.Parallel()
	t.Run("leaky", func(t *testing.T) { go block() })
	t.Run("clean", func(t *testing.T) {})
}

func TestSlowExit(t *testing.T) {
	t.Parallel()
	go time.Sleep(20 * time.Millisecond)
}

func TestFailsAndLeaks(t *testing.T) {
	t.Parallel()
	go block()
	t.Error("boom")
}

func TestQuiet1(t *testing.T) { t.Parallel(); time.Sleep(5 * time.Millisecond) }

func TestQuiet2(t *testing.T) { t.Parallel(); time.Sleep(5 * time.Millisecond) }
"#;

// Parallel tests whose leaked goroutines carry neither the test's labels
// nor a creator chain to it: a callback time.AfterFunc runs, a grandchild
// started under pprof.Do (whose labels replace the test's) by a goroutine
// that exited. The code they run or were started by is the test's own.
const PARALLEL_UNLABELLED: &str = r#"package unlabelled

import (
	"context"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

func TestAfterFunc(t *testing.T) {
	t.Parallel()
	fired := make(chan struct{})
	time.AfterFunc(time.Millisecond, func() {
		close(fired)
		select {}
	})
	<-fired
	time.Sleep(30 * time.Millisecond)
}

func TestPprofDo(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	pprof.Do(context.Background(), pprof.Labels("worker", "ingest"), func(context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			go func() { <-make(chan int) }()
		}()
	})
	wg.Wait()
	time.Sleep(30 * time.Millisecond)
}

func TestSibling(t *testing.T) {
	t.Parallel()
	time.Sleep(60 * time.Millisecond)
}
"#;

#[test]
fn a_parallel_tests_unlabelled_goroutines_are_its_own_by_their_code() {
    let m = temp_module(&[("unlabelled/u_test.go", PARALLEL_UNLABELLED)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let v = verdicts(&run, "unlabelled");
    for (test, want) in [("TestAfterFunc", 1), ("TestPprofDo", 1), ("TestSibling", 0)] {
        let verdict = if want > 0 { "leaked" } else { "passed" };
        assert_eq!(v[&(test.into(), 1)], (verdict.into(), want), "{test}: {}", run.stdout());
    }
    let p = run.package(&format!("{M}unlabelled"));
    assert!(
        p["main_leak"].is_null(),
        "nothing is left for TestMain: {}",
        run.stdout()
    );
    // Told by their code, not by difference: these tests did not run alone.
    assert!(!run.stdout().contains("ran alone"), "{}", run.stdout());
}

// A timer the first run of a parallel test set fires while its second run
// runs: the code is the test's, but not the second run's.
const EARLIER_RUN: &str = r#"package earlier

import (
	"sync"
	"testing"
	"time"
)

var once sync.Once

func TestX(t *testing.T) {
	t.Parallel()
	once.Do(func() {
		time.AfterFunc(450*time.Millisecond, func() { select {} })
	})
	time.Sleep(300 * time.Millisecond)
}

func TestY(t *testing.T) {
	t.Parallel()
	time.Sleep(300 * time.Millisecond)
}
"#;

#[test]
fn a_later_run_is_not_blamed_for_what_an_earlier_run_left() {
    let m = temp_module(&[("earlier/e_test.go", EARLIER_RUN)]);
    let run = run_in(m.path(), &["--", "-count=2"], &[]);
    let v = verdicts(&run, "earlier");
    for r in 1..=2u64 {
        assert_eq!(v[&("TestX".into(), r)].0, "passed", "run {r}: {}", run.stdout());
        assert_eq!(v[&("TestY".into(), r)].0, "passed", "run {r}: {}", run.stdout());
    }
    // Reported after the last test, with the function that names its author.
    assert_eq!(
        run.package(&format!("{M}earlier"))["main_leak"]["total"],
        1,
        "{}",
        run.stdout()
    );
}

/// (test, run) → (verdict, goroutines leaked) for one package.
fn verdicts(run: &Run, pkg: &str) -> BTreeMap<(String, u64), (String, u64)> {
    let p = run.package(&format!("{M}{pkg}"));
    p["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                (t["name"].as_str().unwrap().to_string(), t["run"].as_u64().unwrap()),
                (
                    t["verdict"].as_str().unwrap().to_string(),
                    t["leak"]["total"].as_u64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

// Parallel tests are checked in the background, one look serving every
// check waiting; the verdicts are those of checks in the test itself
// (LEAKCHECK_ALWAYS_LOOK=1 keeps every check there), exact, run after run.
#[test]
fn parallel_tests_checked_in_the_background_keep_their_verdicts() {
    let m = temp_module(&[("par/par_test.go", PARALLEL)]);
    let args = ["--", "-count=2"];
    let go = go_test_verdicts(m.path(), &["-count=2", "./..."], &[]);
    let foreground = run_in(m.path(), &args, &[("LEAKCHECK_ALWAYS_LOOK", "1")]);
    assert_nothing_lost(&go, &foreground);
    let want = verdicts(&foreground, "par");
    for run in 1..=2u64 {
        let v = |name: &str| want[&(name.to_string(), run)].clone();
        assert_eq!(v("TestDirect"), ("leaked".into(), 1));
        assert_eq!(v("TestIndirect"), ("leaked".into(), 1));
        assert_eq!(v("TestSub/leaky"), ("leaked".into(), 1));
        assert_eq!(v("TestSub").0, "leaked");
        assert_eq!(v("TestSub/clean"), ("passed".into(), 0));
        assert_eq!(v("TestFailsAndLeaks"), ("failed".into(), 1));
        assert_eq!(v("TestSlowExit"), ("passed".into(), 0));
        assert_eq!(v("TestQuiet1"), ("passed".into(), 0));
        assert_eq!(v("TestClean"), ("passed".into(), 0));
    }
    for _ in 0..3 {
        let run = run_in(m.path(), &args, &[]);
        assert_eq!(run.code(), 1);
        assert_nothing_lost(&go, &run);
        assert_eq!(verdicts(&run, "par"), want, "{}", run.stdout());
        let p = run.package(&format!("{M}par"));
        assert_eq!(p["check"]["state"], "checked", "{}", run.stdout());
        assert!(
            p["main_leak"].is_null(),
            "no leak is left for after the last test: {}",
            run.stdout()
        );
    }
}

// A check in the background does not fail its test, but the package: go
// test's own output (--jsonfile) shows the package failed, with the line
// that says which test leaked.
#[test]
fn a_leak_found_in_the_background_fails_the_package_in_go_tests_output() {
    let m = temp_module(&[(
        "bg/bg_test.go",
        "package bg\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tt.Parallel()\n\tgo func() { select {} }()\n}\n\nfunc TestB(t *testing.T) { t.Parallel() }\n\n\
         func TestC(t *testing.T) {\n\tt.Parallel()\n\tt.Run(\"sub\", func(t *testing.T) {\n\t\tt.Parallel()\n\t\tdone := make(chan struct{})\n\t\tgo func() {\n\t\t\tdefer close(done)\n\t\t\tgo func() { select {} }()\n\t\t}()\n\t\t<-done\n\t})\n}\n",
    )]);
    let out = tempfile::tempdir().unwrap();
    let jsonfile = out.path().join("go.json");
    let run = run_in(
        m.path(),
        &["--jsonfile", jsonfile.to_str().unwrap(), "--", "-count=1"],
        &[],
    );
    assert_eq!(run.code(), 1);
    assert_eq!(run.verdict(&format!("{M}bg"), "TestA"), "leaked");
    assert_eq!(run.verdict(&format!("{M}bg"), "TestB"), "passed");
    let stream = std::fs::read_to_string(&jsonfile).unwrap();
    let package_failed = stream.lines().any(|l| {
        let e: serde_json::Value = serde_json::from_str(l).unwrap();
        e["Action"] == "fail" && e["Test"].is_null() && e["Package"] == format!("{M}bg")
    });
    assert!(package_failed, "{stream}");
    assert!(
        stream.contains("leakcheck: 1 goroutine leaked after TestA returned"),
        "{stream}"
    );
    // The terminal's leak report says it: not that line again.
    assert!(run.stdout().contains("--- LEAK: TestA"), "{}", run.stdout());
    assert!(
        !run.stdout().contains("leaked after TestA returned"),
        "{}",
        run.stdout()
    );
    // Nor the line naming a top-level test whose subtest leaked.
    assert_eq!(run.verdict(&format!("{M}bg"), "TestC/sub"), "leaked");
    assert!(run.stdout().contains("--- LEAK: TestC/sub"), "{}", run.stdout());
    assert!(
        !run.stdout().contains("leaked after TestC returned"),
        "{}",
        run.stdout()
    );
    // go test passed TestA: its JUnit failure does not end with that
    // `--- PASS` but with what leakcheck found after it.
    let failure = junit_failure(&run, "TestA");
    assert!(failure.contains("--- PASS: TestA"), "{failure}");
    assert!(
        failure.ends_with("leakcheck: go test passed TestA; 1 goroutine leaked after it returned"),
        "{failure}"
    );
}

/// The body of a test's JUnit failure, trimmed.
fn junit_failure(run: &Run, name: &str) -> String {
    run.junit
        .split(&format!("<testcase name=\"{name}\""))
        .nth(1)
        .and_then(|t| t.split("</failure>").next())
        .unwrap_or_else(|| panic!("{name}: {}", run.junit))
        .trim_end()
        .to_string()
}

/// The JUnit failure of a test go test failed for its leak ends with go
/// test's `--- FAIL`; a subtest's leak, found at its parent's check, which
/// go test passed, says so after its `--- PASS`, with its own count.
#[test]
fn a_junit_failure_says_what_came_after_go_tests_verdict() {
    let m = temp_module(&[(
        "both/both_test.go",
        "package both\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"testing\"\n)\n\n\
         func TestMain(m *testing.M) {\n\tfmt.Println(\"leakcheck: 3 goroutines leaked after TestSetup returned\")\n\tos.Exit(m.Run())\n}\n\n\
         func TestBoth(t *testing.T) {\n\tgo func() { select {} }()\n\tt.Run(\"sub\", func(t *testing.T) { go func() { select {} }() })\n}\n\n\
         func TestLiar(t *testing.T) {\n\tfmt.Println(\"--- PASS: TestLiar (0.00s)\")\n\tgo func() { select {} }()\n\tt.Error(\"checked by leakcheck: yes\")\n}\n",
    )]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1);
    let top = junit_failure(&run, "TestBoth");
    assert!(top.ends_with(")"), "no line after go test's verdict: {top}");
    assert!(top.lines().last().unwrap().contains("--- FAIL: TestBoth ("), "{top}");
    let sub = junit_failure(&run, "TestBoth/sub");
    assert!(
        sub.ends_with("leakcheck: go test passed TestBoth/sub; 1 goroutine leaked after it returned"),
        "{sub}"
    );
    // go test's own result line decides, not one the test printed.
    let liar = junit_failure(&run, "TestLiar");
    assert!(!liar.contains("go test passed"), "{liar}");
    // A line that mentions leakcheck is the test's, shown with its failure.
    assert!(run.stdout().contains("checked by leakcheck: yes"), "{}", run.stdout());
    // What TestMain printed is go test's to show, whatever it looks like.
    assert!(
        run.stdout()
            .contains("leakcheck: 3 goroutines leaked after TestSetup returned"),
        "{}",
        run.stdout()
    );
}

// Told by difference only when nothing says whose it is: a timer callback an
// earlier test set, firing while a clean test runs alone, is not the clean
// test's; neither is what an init daemon starts through a goroutine that
// exits at once, nor what appears only after the test returned. They are
// reported after the last test, with the code that names their author.
#[test]
fn a_clean_test_is_not_blamed_for_what_others_code_starts_while_it_runs() {
    let m = temp_module(&[
        (
            "timer/timer_test.go",
            "package timer\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSetsTimer(t *testing.T) {\n\ttime.AfterFunc(50*time.Millisecond, func() { select {} })\n}\n\nfunc TestSlowClean(t *testing.T) { time.Sleep(300 * time.Millisecond) }\n",
        ),
        (
            "daemon/daemon.go",
            "package daemon\n\nimport \"time\"\n\n// A refresher started at init hands each tick's work to a goroutine\n// that starts the worker and exits.\nfunc init() {\n\tgo func() {\n\t\tfor range time.Tick(50 * time.Millisecond) {\n\t\t\tgo func() { go func() { time.Sleep(10 * time.Second) }() }()\n\t\t}\n\t}()\n}\n",
        ),
        (
            "daemon/daemon_test.go",
            "package daemon\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSlowClean(t *testing.T) { time.Sleep(300 * time.Millisecond) }\n",
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let t = |pkg: &str, name: &str| run.verdict(&format!("{M}{pkg}"), name);
    assert_eq!(t("timer", "TestSlowClean"), "passed", "{}", run.stdout());
    assert_eq!(t("timer", "TestSetsTimer"), "passed", "{}", run.stdout());
    assert_eq!(t("daemon", "TestSlowClean"), "passed", "{}", run.stdout());
    let timer = run.package(&format!("{M}timer"));
    assert_eq!(timer["main_leak"]["total"], 1, "{}", run.stdout());
    assert!(run.stdout().contains("timer.TestSetsTimer.func1"), "{}", run.stdout());
}

/// A metrics reporter that init starts: each push goes over a client of its
/// own, whose dialing goroutine exits once connected while the connection's
/// reader and writer stay.
const REPORTER: &str = r#"package metrics

import (
	"io"
	"net"
	"net/http"
	"strings"
)

var (
	flushes   = make(chan chan error)
	collector string
)

func init() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	collector = "http://" + ln.Addr().String()
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	go pushLoop()
}

func pushLoop() {
	for done := range flushes {
		done <- push()
	}
}

func push() error {
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post(collector, "text/plain", strings.NewReader("requests 1\n"))
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Flush pushes the metrics now.
func Flush() error {
	done := make(chan error)
	flushes <- done
	return <-done
}
"#;

const REPORTER_TEST: &str = r#"package metrics

import "testing"

func TestFlush(t *testing.T) {
	if err := Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestFlushAgain(t *testing.T) {
	if err := Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestLeaks(t *testing.T) {
	results := make(chan int)
	go func() { results <- 1 }()
}
"#;

const REPORTER_USER: &str = r#"package user_test

import (
	"testing"

	"example.com/tmp/metrics"
)

func TestParallelFlush(t *testing.T) {
	t.Parallel()
	metrics.Flush()
}

func TestSerialFlush(t *testing.T) {
	metrics.Flush()
}

func TestOtherParallelFlush(t *testing.T) {
	t.Parallel()
	metrics.Flush()
}
"#;

/// What an init daemon starts through a goroutine that exits (the
/// connections of a reporter started in init, dialed while a test runs) is
/// the daemon's: not the serial test's by difference, not TestMain's after
/// the last test, with parallel tests too; on every Go (the label set's
/// layout changed in 1.24, Go 1.27 prints labels in the dump, and 1.23 to
/// 1.25 read the standard library through their module index). A toolchain
/// in the module cache cannot have the init label (go overlays nothing
/// there): its run still checks every package.
#[test]
fn what_an_init_daemon_starts_through_goroutines_that_exit_is_no_tests() {
    let m = temp_module(&[
        ("metrics/metrics.go", REPORTER),
        ("metrics/metrics_test.go", REPORTER_TEST),
        ("user/user_test.go", REPORTER_USER),
    ]);
    let checked = |run: &Run, go: &str| {
        for pkg in ["metrics", "user"] {
            let p = run.package(&format!("{M}{pkg}"));
            assert_eq!(p["check"]["state"], "checked", "{go}: {}", run.stdout());
        }
        let leaks = run.verdict(&format!("{M}metrics"), "TestLeaks");
        assert_eq!(leaks, "leaked", "{go}: {}", run.stdout());
    };
    let innocent = |run: &Run, go: &str| {
        checked(run, go);
        for (pkg, test) in [
            ("metrics", "TestFlush"),
            ("metrics", "TestFlushAgain"),
            ("user", "TestParallelFlush"),
            ("user", "TestSerialFlush"),
            ("user", "TestOtherParallelFlush"),
        ] {
            assert_eq!(
                run.verdict(&format!("{M}{pkg}"), test),
                "passed",
                "{go}: {}",
                run.stdout()
            );
        }
        for pkg in ["metrics", "user"] {
            let p = run.package(&format!("{M}{pkg}"));
            assert!(p["main_leak"].is_null(), "{go}: {}", run.stdout());
        }
        assert_eq!(run.code(), 1, "{go}: {}", run.stdout());
    };
    innocent(&run_in(m.path(), &["--", "-count=1"], &[]), "installed");
    for toolchain in ["go1.22.12", "go1.24.11", "go1.27.3"] {
        let path = common::path_with(&common::installed_toolchain(toolchain));
        let env = [("PATH", path.as_str()), ("GOTOOLCHAIN", "local")];
        innocent(&run_in(m.path(), &["--", "-count=1"], &env), toolchain);
    }
    let cached = run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", "go1.27.3")]);
    checked(&cached, "go1.27.3 in the module cache");
}

/// The test's closure, run by the init dispatcher (`DISPATCHER`), starts a
/// goroutine and returns.
const DISPATCHER_GRANDCHILD_TEST: &str = r#"package dispatch

import "testing"

var never = make(chan struct{})

func wait() { <-never }

// TestingBackend is a helper, not a test: what it starts for the package's
// variables is not a test's.
func TestingBackend() struct{} {
	go wait()
	return struct{}{}
}

var backend = TestingBackend()

func TestStartsThroughTheDispatcher(t *testing.T) {
	started := make(chan struct{})
	Go(func() {
		go wait()
		close(started)
	})
	<-started
}

func TestClean(t *testing.T) {}
"#;

/// A pusher started in init whose connections share their stacks with the
/// ones tests leak.
const PUSHER: &str = r#"package conns

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

var collector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

func post() {
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post(collector.URL, "text/plain", strings.NewReader("requests 1\n"))
	if err == nil {
		resp.Body.Close()
	}
}

func init() {
	go func() {
		for {
			post()
			time.Sleep(10 * time.Millisecond)
		}
	}()
}
"#;

const PUSHER_TEST: &str = r#"package conns

import (
	"testing"
	"time"
)

func TestSerialLeaksConn(t *testing.T) { post() }

func TestLeaksConnA(t *testing.T) {
	t.Parallel()
	post()
	time.Sleep(30 * time.Millisecond)
}

func TestLeaksConnB(t *testing.T) {
	t.Parallel()
	time.Sleep(30 * time.Millisecond)
	post()
	time.Sleep(50 * time.Millisecond)
}

func TestLeaksConnC(t *testing.T) {
	t.Parallel()
	time.Sleep(60 * time.Millisecond)
	post()
}

func TestParallelClean(t *testing.T) {
	t.Parallel()
	time.Sleep(200 * time.Millisecond)
}
"#;

/// Beside an init daemon's lineage, what tests leak stays theirs: a
/// goroutine the test's own closure starts while an init dispatcher runs
/// it (its creator exits; it carries the dispatcher's lineage label), and
/// connections tests leak on the stacks of those an init pusher keeps
/// (which of those identical goroutines carries which label is told by
/// count, look by look: never the test's for good as the daemon's).
#[test]
fn what_tests_leak_beside_an_init_daemons_lineage_is_theirs() {
    let m = temp_module(&[
        ("dispatch/dispatch.go", DISPATCHER),
        ("dispatch/dispatch_test.go", DISPATCHER_GRANDCHILD_TEST),
        ("conns/conns.go", PUSHER),
        ("conns/conns_test.go", PUSHER_TEST),
    ]);
    let expect = |run: &Run, go: &str| {
        let tests = run.tests();
        for (pkg, test, leaked) in [
            ("dispatch", "TestStartsThroughTheDispatcher", 1),
            ("dispatch", "TestClean", 0),
            ("conns", "TestSerialLeaksConn", 2),
            ("conns", "TestLeaksConnA", 2),
            ("conns", "TestLeaksConnB", 2),
            ("conns", "TestLeaksConnC", 2),
            ("conns", "TestParallelClean", 0),
        ] {
            let t = &tests[&(format!("{M}{pkg}"), test.to_string())];
            let verdict = if leaked == 0 { "passed" } else { "leaked" };
            assert_eq!(t["verdict"], verdict, "{go} {test}: {}", run.stdout());
            assert_eq!(
                t["leak"]["total"].as_u64().unwrap_or(0),
                leaked,
                "{go} {test}: {}",
                run.stdout()
            );
        }
        for pkg in ["dispatch", "conns"] {
            let p = run.package(&format!("{M}{pkg}"));
            assert!(p["main_leak"].is_null(), "{go}: {}", run.stdout());
        }
    };
    expect(&run_in(m.path(), &["--", "-count=1"], &[]), "installed");
    let path = common::path_with(&common::installed_toolchain("go1.22.12"));
    let env = [("PATH", path.as_str()), ("GOTOOLCHAIN", "local")];
    expect(&run_in(m.path(), &["--", "-count=1"], &env), "go1.22.12");
}

/// An executor started in init that runs each job through a goroutine that
/// exits.
const EXECUTOR: &str = r#"package executor

var queue = make(chan func())

func init() { go dispatch() }

func dispatch() {
	for job := range queue {
		go func(job func()) { go job() }(job)
	}
}

// Submit runs job in the background.
func Submit(job func()) { queue <- job }
"#;

const EXECUTOR_TEST: &str = r#"package executor

import "testing"

var started = make(chan struct{}, 1)

func blockForever() {
	started <- struct{}{}
	select {}
}

func TestHandsOverAJob(t *testing.T) {
	Submit(blockForever)
	<-started
}
"#;

/// A daemon started in init starts runners through goroutines that exit;
/// TestMain has it start one before the tests.
const RUNNER: &str = r#"package runner

var (
	never   = make(chan struct{})
	running = make(chan struct{}, 8)
	kick    = make(chan struct{})
)

// Run blocks until the process ends.
func Run() {
	running <- struct{}{}
	<-never
}

func init() { go daemon() }

func daemon() {
	for range kick {
		go func() { go Run() }()
	}
}

// Kick starts a runner and waits until it runs.
func Kick() {
	kick <- struct{}{}
	<-running
}
"#;

const RUNNER_TEST: &str = r#"package runner

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Kick()
	os.Exit(m.Run())
}

func TestTimerLeaks(t *testing.T) {
	time.AfterFunc(time.Millisecond, Run)
	<-running
}

func TestClean(t *testing.T) {}
"#;

/// What the init label must not hide (helper-91): a job function of the
/// test files an init executor runs through a goroutine that exits, while
/// its test runs alone, is that test's by difference, as without the label;
/// a timer's callback on the stack of an init daemon's goroutine that
/// TestMain had started (a fixture carrying the init label) is its test's;
/// and a module named `archive` (the import path the label's package takes)
/// is checked, without the label.
#[test]
fn the_init_label_hides_no_leak_difference_tells() {
    let m = temp_module(&[
        ("executor/executor.go", EXECUTOR),
        ("executor/executor_test.go", EXECUTOR_TEST),
        ("runner/runner.go", RUNNER),
        ("runner/runner_test.go", RUNNER_TEST),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let tests = run.tests();
    for (pkg, test, leaked) in [
        ("executor", "TestHandsOverAJob", 1),
        ("runner", "TestTimerLeaks", 1),
        ("runner", "TestClean", 0),
    ] {
        let t = &tests[&(format!("{M}{pkg}"), test.to_string())];
        let verdict = if leaked == 0 { "passed" } else { "leaked" };
        assert_eq!(t["verdict"], verdict, "{test}: {}", run.stdout());
        assert_eq!(
            t["leak"]["total"].as_u64().unwrap_or(0),
            leaked,
            "{test}: {}",
            run.stdout()
        );
    }
    let archive = tempfile::tempdir().unwrap();
    std::fs::write(archive.path().join("go.mod"), "module archive\n\ngo 1.21\n").unwrap();
    std::fs::write(
        archive.path().join("a_test.go"),
        "package archive\n\nimport \"testing\"\n\nfunc TestLeaks(t *testing.T) { go func() { select {} }() }\n",
    )
    .unwrap();
    let run = run_in(archive.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.verdict("archive", "TestLeaks"), "leaked", "{}", run.stdout());
    assert_eq!(run.package("archive")["check"]["state"], "checked", "{}", run.stdout());
}

/// Where a background check could change what go test sees, checks stay
/// in the test or end first.
const WRAPMAIN_TEST: &str = r#"package wrapmain

import (
	"os"
	"testing"

	"example.com/tmp/wrapmain/testutil"
)

var stop = make(chan struct{})

// m.Run runs in another package: its teardown cannot be made to wait for
// checks in the background.
func TestMain(m *testing.M) {
	os.Exit(testutil.Run(m, func() { close(stop) }))
}

func TestLeakP(t *testing.T) {
	t.Parallel()
	go func() { <-stop }()
}

func TestOtherP(t *testing.T) { t.Parallel() }
"#;

const WRAPMAIN_UTIL: &str = r#"package testutil

import "testing"

// Run runs the tests, then the teardown.
func Run(m *testing.M, teardown func()) int {
	code := m.Run()
	teardown()
	return code
}
"#;

const ROUNDS: &str = r#"package rounds

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	mu   sync.Mutex
	stop chan struct{}
)

// TestCount counts goroutines around its own work, as some suites do. It
// runs first: what TestStop stops exits while later tests run, under go
// test too.
func TestCount(t *testing.T) {
	before := runtime.NumGoroutine()
	done := make(chan bool)
	go func() { done <- true }()
	<-done
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after != before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
}

// TestStop stops the worker an earlier round left running.
func TestStop(t *testing.T) {
	mu.Lock()
	defer mu.Unlock()
	if stop != nil {
		close(stop)
		stop = nil
	}
}

func TestLeakP(t *testing.T) {
	t.Parallel()
	mu.Lock()
	stop = make(chan struct{})
	c := stop
	mu.Unlock()
	go func() { <-c }()
}

func TestOtherP(t *testing.T) { t.Parallel() }
"#;

const ONESLOT: &str = r#"package oneslot

import (
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	started bool
	stop    = make(chan struct{})
)

// handOff: the first parallel test to run starts a goroutine, the second
// stops it.
func handOff() {
	mu.Lock()
	defer mu.Unlock()
	if started {
		close(stop)
		return
	}
	started = true
	go func() { <-stop }()
}

func TestP1(t *testing.T) {
	t.Parallel()
	handOff()
}

func TestP2(t *testing.T) {
	t.Parallel()
	handOff()
}
"#;

/// For the fixtures below that wait for another test, or leakcheck's check
/// of one, to reach a point: only a dump of every goroutine shows it.
const STACKS: &str = r#"// Package stacks tells what the goroutines alive are doing.
package stacks

import (
	"runtime"
	"strings"
)

// Show reports whether some goroutine's stack shows one of the calls.
func Show(calls ...string) bool {
	buf := make([]byte, 1<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	for _, call := range calls {
		if strings.Contains(all, call) {
			return true
		}
	}
	return false
}
"#;

/// With one slot, TestStarts' goroutine is stopped by a test that can run
/// only once TestStarts' slot is free: TestOuter lets TestStarts take the
/// slot first (it returns once TestStarts runs or waits for the slot), and
/// its parallel subtest then waits for it. No other test began or ended
/// while TestStarts ran, so its check stays in the test.
const SLOTWAIT: &str = r#"package slotwait

import (
	"runtime"
	"sync/atomic"
	"testing"

	"example.com/tmp/stacks"
)

var (
	stop    = make(chan struct{})
	running atomic.Bool
)

func TestOuter(t *testing.T) {
	t.Parallel()
	for !running.Load() && !stacks.Show(").waitParallel(") {
		runtime.Gosched()
	}
	t.Run("stops", func(t *testing.T) {
		t.Parallel()
		close(stop)
	})
}

func TestStarts(t *testing.T) {
	t.Parallel()
	running.Store(true)
	go func() { <-stop }()
}
"#;

/// As slotwait, and TestStarts' goroutine is told as its own only by
/// TestStarts' running alone: it drops its labels and its creator has
/// exited. The tests before leave the set of goroutines alive kept current
/// by a glance, so only as many such goroutines are the test's as its
/// glances saw appear; after the hand-over those glances are gone with the
/// test (a hostile review: it was reported after the last test instead).
const QUOTASLOT: &str = r#"package quotaslot

import (
	"context"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"

	"example.com/tmp/stacks"
)

var (
	never   = make(chan struct{})
	started atomic.Bool
)

// worker drops its labels (as code that sets its own profiler labels
// does), says so, and blocks forever: a true leak, told as TestStarts'
// only by TestStarts' running alone.
func worker(ready chan<- struct{}) {
	pprof.SetGoroutineLabels(context.Background())
	close(ready)
	<-never
}

func join() {
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
}

// TestJoinsA and TestJoinsB start and join a goroutine: the tests after
// them begin with the set of goroutines alive kept current by a glance.
func TestJoinsA(t *testing.T) { join() }
func TestJoinsB(t *testing.T) { join() }

// TestOuter lets TestStarts take the slot first (it returns once
// TestStarts runs or waits for the slot); its parallel subtest then waits.
func TestOuter(t *testing.T) {
	t.Parallel()
	for !started.Load() && !stacks.Show(").waitParallel(") {
		runtime.Gosched()
	}
	t.Run("sub", func(t *testing.T) { t.Parallel() })
}

func TestStarts(t *testing.T) {
	t.Parallel()
	started.Store(true)
	ready := make(chan struct{})
	go func() { go worker(ready) }()
	<-ready
}
"#;

/// A subtest released from its parent's t.Parallel, then waiting for the
/// slot TestA's check holds, creates no goroutine and ends none, so looks a
/// check skips while nothing changes saw nothing (a second hostile review,
/// 4 runs in 8). Needs two slots: TestOuter holds one until TestA's check
/// has looked.
const SLOTPARK: &str = r#"package slotpark

import (
	"runtime"
	"sync/atomic"
	"testing"

	"example.com/tmp/stacks"
)

var (
	stop    = make(chan struct{})
	started = make(chan struct{})
	first   atomic.Bool
)

// sub: the first subtest to get a slot holds it until TestA's goroutine is
// stopped; the other stops it, once it has a slot (TestA's).
func sub(t *testing.T) {
	t.Parallel()
	if first.CompareAndSwap(false, true) {
		<-stop
		return
	}
	close(stop)
}

// TestOuter releases its parked subtests only once TestA's check has
// looked: nothing is created or exits when they are released.
func TestOuter(t *testing.T) {
	t.Parallel()
	<-started
	t.Run("s1", sub)
	t.Run("s2", sub)
	// TestA's check pauses between two looks in the test (leakcheck's
	// helper, leakcheckPause), or the rest of it went to the looker.
	for !stacks.Show("leakcheckPause(", ").looker(") {
		runtime.Gosched()
	}
}

func TestA(t *testing.T) {
	t.Parallel()
	go func() { <-stop }()
	close(started)
}
"#;

/// A test function reused as a subtest body (`t.Run("x", TestX)`): run by
/// TestB, its code leaves a goroutine without labels in place of an
/// identical one that exited, so the set of goroutines alive when TestX
/// begins, kept current by a glance, lacks it. TestX itself, parallel and
/// not alone, starts nothing and must not be blamed for it by its code (a
/// third hostile review: it was, once the glances' quota applied only to
/// tests that ran alone).
const REUSEX: &str = r#"package reusex

import (
	"context"
	"runtime/pprof"
	"testing"
	"time"
)

var (
	ch       = make(chan struct{})
	yStarted = make(chan struct{})
)

//go:noinline
func block() { <-ch }

func TestA(t *testing.T) { t.Run("x", TestX) }

// TestB ends A's goroutine and starts an identical one.
func TestB(t *testing.T) {
	ch <- struct{}{}
	t.Run("x", TestX)
}

// TestX is also the body of TestA's and TestB's subtests. Named TestX, it
// is parallel, runs while TestY runs and starts nothing.
func TestX(t *testing.T) {
	if t.Name() == "TestX" {
		t.Parallel()
		<-yStarted
		return
	}
	started := make(chan struct{})
	go func() {
		pprof.SetGoroutineLabels(context.Background())
		go block()
		close(started)
	}()
	<-started
	time.Sleep(5 * time.Millisecond) // the goroutine above exits
}

func TestY(t *testing.T) {
	t.Parallel()
	close(yStarted)
}
"#;

#[test]
fn a_test_whose_function_other_tests_reuse_is_not_blamed_for_what_they_left() {
    let m = temp_module(&[("reusex/reusex_test.go", REUSEX)]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1", "-parallel=4"], env);
        let pkg = format!("{M}reusex");
        for test in ["TestA", "TestA/x", "TestX", "TestY"] {
            assert_eq!(run.verdict(&pkg, test), "passed", "{env:?} {test}: {}", run.stdout());
        }
        // The goroutine TestB's subtest left is reported once, not on TestX.
        let on_b = run.tests()[&(pkg.clone(), "TestB".to_string())]["leak"]["total"]
            .as_u64()
            .unwrap_or(0);
        let after_last = run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0);
        assert_eq!(on_b + after_last, 1, "{env:?}: {}", run.stdout());
    }
}

/// A process-wide pool whose worker the first caller's test happens to
/// start (as ants' default pool does): a later test hands it a task that
/// starts a goroutine, which carries the worker's creator chain and labels,
/// the first test's. The leak is reported after the last test, not on the
/// test that handed the task over: telling that test by the task's code
/// (tried, and reverted) blamed innocent tests whose function another test
/// reuses (`EVERY` below) or whose name a production function shares.
const POOLREUSE: &str = r#"package poolreuse

var tasks = make(chan func())

var started bool

// Submit runs f on the pool's worker, started by the first call.
func Submit(f func()) {
	if !started {
		started = true
		go func() {
			for f := range tasks {
				f()
			}
		}()
	}
	tasks <- f
}
"#;

const POOLREUSE_TEST: &str = r#"package poolreuse

import "testing"

func TestStartsTheWorker(t *testing.T) {
	done := make(chan struct{})
	Submit(func() { close(done) })
	<-done
}

var block = make(chan struct{})

func TestHandsItALeak(t *testing.T) {
	done := make(chan struct{})
	Submit(func() {
		go func() { <-block }()
		close(done)
	})
	<-done
}

func TestAfter(t *testing.T) {
	done := make(chan struct{})
	Submit(func() { close(done) })
	<-done
}
"#;

/// A hostile review's case against telling a task by its code: TestA runs
/// TestX's function as a subtest body and leaves its ticker running, whose
/// goroutines run TestX's closure while TestX runs alone.
const EVERY: &str = r#"package case1

import (
	"testing"
	"time"
)

// every runs f in a new goroutine at each tick until stop is closed
// (a package helper, like a scheduler's loop).
func every(d time.Duration, stop <-chan struct{}, f func()) {
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			go f()
		}
	}
}

var keepRunning bool // TestA reuses TestX's body and keeps the ticker running

// TestA reuses TestX as a subtest body and leaves its ticker running: TestA's leak.
func TestA(t *testing.T) {
	keepRunning = true
	defer func() { keepRunning = false }()
	t.Run("x", TestX)
}

// TestX, run on its own, stops its ticker: it leaves nothing behind.
func TestX(t *testing.T) {
	stop := make(chan struct{})
	go every(time.Millisecond, stop, func() { time.Sleep(30 * time.Millisecond) })
	time.Sleep(5 * time.Millisecond)
	if !keepRunning {
		close(stop)
	}
}
"#;

#[test]
fn a_task_handed_to_another_tests_worker_is_reported_and_blames_no_innocent_test() {
    let m = temp_module(&[
        ("poolreuse/pool.go", POOLREUSE),
        ("poolreuse/pool_test.go", POOLREUSE_TEST),
        ("every/every_test.go", &EVERY.replace("package case1", "package every")),
    ]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        let pkg = format!("{M}poolreuse");
        let tests = run.tests();
        let leak = |test: &str| {
            tests[&(pkg.clone(), test.to_string())]["leak"]["total"]
                .as_u64()
                .unwrap_or(0)
        };
        // The worker is the first test's (nothing stops it).
        assert_eq!(
            run.verdict(&pkg, "TestStartsTheWorker"),
            "leaked",
            "{env:?}: {}",
            run.stdout()
        );
        assert_eq!(leak("TestStartsTheWorker"), 1, "{env:?}: {}", run.stdout());
        assert_eq!(run.verdict(&pkg, "TestAfter"), "passed", "{env:?}: {}", run.stdout());
        // The task's goroutine is reported once: on its test, or after the
        // last test.
        let after_last = run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0);
        assert_eq!(leak("TestHandsItALeak") + after_last, 1, "{env:?}: {}", run.stdout());

        let pkg = format!("{M}every");
        assert_eq!(run.verdict(&pkg, "TestX"), "passed", "{env:?}: {}", run.stdout());
        assert_eq!(run.package(&pkg)["status"], "failed", "{env:?}: {}", run.stdout());
    }
}

#[test]
fn background_checks_change_nothing_go_test_would_see() {
    let m = temp_module(&[
        ("wrapmain/main_test.go", WRAPMAIN_TEST),
        ("wrapmain/testutil/testutil.go", WRAPMAIN_UTIL),
        ("rounds/rounds_test.go", ROUNDS),
        ("oneslot/oneslot_test.go", ONESLOT),
        ("stacks/stacks.go", STACKS),
        ("slotwait/slotwait_test.go", SLOTWAIT),
        ("quotaslot/quotaslot_test.go", QUOTASLOT),
        ("slotpark/slotpark_test.go", SLOTPARK),
        // The same, and a goroutine nobody stops: found after the hand-over.
        (
            "slotleak/slotleak_test.go",
            &SLOTWAIT.replace("package slotwait", "package slotleak").replace(
                "\tgo func() { <-stop }()\n",
                "\tgo func() { <-stop }()\n\tgo func() { select {} }()\n",
            ),
        ),
    ]);
    // A teardown after an m.Run leakcheck does not run.
    let run = run_in(m.path(), &["./wrapmain/...", "--", "-count=1"], &[]);
    assert_eq!(
        run.verdict(&format!("{M}wrapmain"), "TestLeakP"),
        "leaked",
        "{}",
        run.stdout()
    );
    assert_eq!(run.code(), 1);
    // Rounds: every check of a round is over before the next round's first
    // test begins (it could stop what a check waits for, and would see the
    // looker).
    for flags in [&["-count=2"][..], &["-cpu=1,2"]] {
        let mut args = vec!["./rounds", "--"];
        args.extend(flags);
        let run = run_in(m.path(), &args, &[]);
        let tests: Vec<(String, u64, String)> = run
            .runs(&format!("{M}rounds"))
            .into_iter()
            .map(|t| (t.name, t.run, t.verdict))
            .collect();
        for (name, run_no, verdict) in &tests {
            let want = if name == "TestLeakP" { "leaked" } else { "passed" };
            assert_eq!(verdict, want, "{flags:?} {name} run {run_no}: {}", run.stdout());
        }
        assert_eq!(tests.len(), 8, "{flags:?}: {tests:?}");
    }
    // One slot (-parallel=1, the default on a one-CPU runner): the first
    // test's check waits in the background, as with more slots, so the
    // second test runs and stops its goroutine within the grace period, as
    // it would under go test. Waiting in the test, the check held the only
    // slot and called the goroutine leaked (a hostile review's case): the
    // verdict depended on the number of CPUs. A check that stays in its
    // test (no other test began or ended meanwhile: slotwait's TestStarts,
    // oneslot's TestP2 when it happens to run first) takes its first look
    // there and waits for the rest in the background when a test waits for
    // the slot; it held the slot and failed once, on a CI clone.
    // LEAKCHECK_ALWAYS_LOOK=1 keeps checks in their tests, but for this.
    // Under -race, the test's and the looker's goroutines once shared the
    // check's state at the hand-over (a data race, which failed a test).
    for (env, go_flags) in [
        (&[][..], &["-parallel=1"][..]),
        (&[("GOMAXPROCS", "1")][..], &[][..]),
        (&[("LEAKCHECK_ALWAYS_LOOK", "1")][..], &["-parallel=1"][..]),
        (&[][..], &["-parallel=1", "-race"][..]),
    ] {
        let mut flags = vec!["./oneslot", "./slotwait", "./slotleak", "./quotaslot", "--", "-count=1"];
        flags.extend(go_flags);
        let run = run_in(m.path(), &flags, env);
        for (pkg, test) in [
            ("oneslot", "TestP1"),
            ("oneslot", "TestP2"),
            ("slotwait", "TestOuter"),
            ("slotwait", "TestOuter/stops"),
            ("slotwait", "TestStarts"),
            ("slotleak", "TestOuter"),
            ("slotleak", "TestOuter/stops"),
            ("quotaslot", "TestJoinsA"),
            ("quotaslot", "TestJoinsB"),
            ("quotaslot", "TestOuter"),
            ("quotaslot", "TestOuter/sub"),
        ] {
            assert_eq!(
                run.verdict(&format!("{M}{pkg}"), test),
                "passed",
                "{env:?} {pkg} {test}: {}",
                run.stdout()
            );
        }
        for pkg in ["slotleak", "quotaslot"] {
            let leaked = &run.tests()[&(format!("{M}{pkg}"), "TestStarts".to_string())];
            assert_eq!(leaked["verdict"], "leaked", "{env:?} {pkg}: {}", run.stdout());
            assert_eq!(leaked["leak"]["total"], 1, "{env:?} {pkg}: {}", run.stdout());
            assert!(
                run.package(&format!("{M}{pkg}"))["main_leak"].is_null(),
                "{env:?} {pkg}: {}",
                run.stdout()
            );
        }
        for pkg in ["oneslot", "slotwait"] {
            assert_eq!(
                run.package(&format!("{M}{pkg}"))["status"],
                "passed",
                "{env:?}: {}",
                run.stdout()
            );
        }
        assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
    }
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(
            m.path(),
            &["./slotpark", "--", "-count=1", "-parallel=2", "-timeout=5m"],
            env,
        );
        for test in ["TestOuter", "TestOuter/s1", "TestOuter/s2", "TestA"] {
            assert_eq!(
                run.verdict(&format!("{M}slotpark"), test),
                "passed",
                "{env:?} {test}: {}",
                run.stdout()
            );
        }
        assert_eq!(run.code(), 0, "{env:?}: {}", run.stdout());
    }
}

/// A test that stops a goroutine alive before it began and starts one of its
/// own in its place: the same function blocked at the same place, so the
/// same stack and the same number of goroutines.
const SWAP: &str = r#"package swap

import (
	"runtime"
	"strings"
	"testing"
)

var stop = make(chan struct{})

// worker waits until it is told to stop. Not inlined: both tests' workers
// run the same code, so their stacks are the same.
//
//go:noinline
func worker(stop chan struct{}) { <-stop }

// waiting reports whether a worker waits.
func waiting() bool {
	buf := make([]byte, 1<<20)
	all := string(buf[:runtime.Stack(buf, true)])
	return strings.Contains(all, "[chan receive]:\nexample.com/tmp/swap.worker(")
}

func TestStarts(t *testing.T) {
	go worker(stop)
}

// TestJoins runs between them: its check's glance is what TestReplaces's
// compares with (TestStarts's check looked for its leak meanwhile).
func TestJoins(t *testing.T) {
	done := make(chan bool)
	go func() { done <- true }()
	<-done
}

// TestReplaces stops TestStarts's worker, waits until it has exited, and
// starts its own in its place.
func TestReplaces(t *testing.T) {
	before := runtime.NumGoroutine()
	close(stop)
	for runtime.NumGoroutine() >= before {
		runtime.Gosched()
	}
	stop = make(chan struct{})
	go worker(stop)
	for !waiting() {
		runtime.Gosched()
	}
}
"#;

// A serial test's check glances first (every goroutine's labels and stack,
// without ids) and looks only when something alive was not alive when the
// test began. What a test starts carries its label, which nothing alive
// before it carried: a goroutine it started in the place of one it stopped
// is not taken for that one.
#[test]
fn a_goroutine_started_in_the_place_of_one_the_test_stopped_is_still_its_leak() {
    let m = temp_module(&[("swap/swap_test.go", SWAP)]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        let t = |name: &str| run.verdict(&format!("{M}swap"), name);
        assert_eq!(t("TestStarts"), "leaked", "{env:?}: {}", run.stdout());
        assert_eq!(t("TestReplaces"), "leaked", "{env:?}: {}", run.stdout());
        assert_eq!(t("TestJoins"), "passed", "{env:?}: {}", run.stdout());
        assert_eq!(run.code(), 1);
    }
}

/// A timer's callback has no labels: one the test set can take the place of
/// one `init` set, blocked at the same place, which the test let go (the
/// hostile review's case). A glance cannot tell them apart.
const NOTIFY: &str = r#"package notify

import (
	"runtime"
	"time"
)

var events = make(chan string)

// NotifyLater delivers msg on the events channel after d.
//
//go:noinline
func NotifyLater(d time.Duration, msg string) *time.Timer {
	return time.AfterFunc(d, func() { events <- msg })
}

// Next waits for the next delivered message.
func Next() string { return <-events }

// init's callback is running before the tests begin: one that fired late,
// while a test ran, would be that test's (bug 10), not this case.
func init() {
	n := runtime.NumGoroutine()
	NotifyLater(0, "ready")
	for runtime.NumGoroutine() == n {
		runtime.Gosched()
	}
}
"#;

const NOTIFY_TEST: &str = r#"package notify

import (
	"sync"
	"testing"
	"time"
)

func TestWorkers(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}

// TestNotify receives init's message; its own callback stays blocked.
func TestNotify(t *testing.T) {
	NotifyLater(0, "hello")
	time.Sleep(10 * time.Millisecond)
	t.Log(Next())
}

func TestThird(t *testing.T) {
	ch := make(chan int)
	go func() { ch <- 1; time.Sleep(30 * time.Millisecond) }()
	<-ch
}
"#;

// The test after is never blamed for it: a test that begins with a known
// set a glance kept current blames by difference only as many goroutines of
// a kind as appeared while it ran (its glances' counts). The leak is
// TestNotify's when every check looks, and found after the last test when
// its glance took one callback for the other (README, Limits).
#[test]
fn a_goroutine_a_glance_took_for_another_is_not_blamed_on_a_later_test() {
    let m = temp_module(&[("notify/notify.go", NOTIFY), ("notify/notify_test.go", NOTIFY_TEST)]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        for _ in 0..3 {
            let run = run_in(m.path(), &["--", "-count=1"], env);
            let pkg = format!("{M}notify");
            let t = |name: &str| run.verdict(&pkg, name);
            assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
            assert_eq!(t("TestWorkers"), "passed", "{env:?}: {}", run.stdout());
            assert_eq!(t("TestThird"), "passed", "{env:?}: {}", run.stdout());
            let after_last = run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0);
            if env.is_empty() {
                assert!(t("TestNotify") == "leaked" || after_last == 1, "{}", run.stdout());
            } else {
                assert_eq!(t("TestNotify"), "leaked", "{}", run.stdout());
                assert_eq!(after_last, 0, "{}", run.stdout());
            }
        }
    }
}

/// Where leakcheck adds its function to the runtime (Go 1.26 and 1.27, a
/// GOROOT go can overlay), a serial test's check lists the goroutines alive
/// by id instead of glancing: it tells the callback TestNotify leaves from
/// the identical one that exited while it ran, which the glance cannot
/// (the test above). `LEAKCHECK_PLAIN_RUNTIME=1` leaves the runtime as it
/// is: the test binary (`-o`) then has no such function, and the glance's
/// verdicts are the ones above.
#[test]
fn the_runtimes_own_list_tells_a_goroutine_from_an_identical_one_that_exited() {
    let m = temp_module(&[("notify/notify.go", NOTIFY), ("notify/notify_test.go", NOTIFY_TEST)]);
    let pkg = format!("{M}notify");
    let has_list = |bin: &std::path::Path| {
        let out = std::process::Command::new("go")
            .args(["tool", "nm"])
            .arg(bin)
            .output()
            .expect("go tool nm runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).contains("runtime.leakcheckGoroutineIDs")
    };
    for _ in 0..3 {
        let bin = m.path().join("listed.test");
        let run = run_in(m.path(), &["--", "-count=1", "-o", bin.to_str().unwrap()], &[]);
        let t = |name: &str| run.verdict(&pkg, name);
        assert_eq!(run.code(), 1, "{}", run.stdout());
        assert!(has_list(&bin), "the runtime has leakcheck's list");
        assert_eq!(t("TestWorkers"), "passed", "{}", run.stdout());
        assert_eq!(t("TestNotify"), "leaked", "{}", run.stdout());
        assert_eq!(t("TestThird"), "passed", "{}", run.stdout());
        assert_eq!(
            run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0),
            0,
            "{}",
            run.stdout()
        );
    }
    let bin = m.path().join("plain.test");
    let env = [("LEAKCHECK_PLAIN_RUNTIME", "1")];
    let run = run_in(m.path(), &["--", "-count=1", "-o", bin.to_str().unwrap()], &env);
    assert!(!has_list(&bin), "LEAKCHECK_PLAIN_RUNTIME=1 leaves the runtime as it is");
    let after_last = run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert!(
        run.verdict(&pkg, "TestNotify") == "leaked" || after_last == 1,
        "{}",
        run.stdout()
    );
}

/// What the three small functions leakcheck adds to the runtime beside its
/// list (issue 17: every test's start and end paid `runtime.Stack` and
/// `runtime/metrics` for them) say is what the calls they replace say: the
/// goroutine's id, the creation counter (goroutines created, finalizers and
/// cleanups queued and executed), and whether another user goroutine runs
/// or waits to run. The test calls the helper's own variables (the helper
/// is compiled into the package); `LEAKCHECK_PLAIN_RUNTIME=1` leaves them
/// unset, and the test skips itself.
#[test]
fn the_runtimes_shortcuts_say_what_the_calls_they_replace_say() {
    let m = temp_module(&[("agree/agree_test.go", AGREE_TEST)]);
    let pkg = format!("{M}agree");
    let run = run_in(m.path(), &["--", "-count=1", "-v"], &[]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    for test in ["TestShortcutsAgree", "TestSubStartAgrees"] {
        assert_eq!(run.verdict(&pkg, test), "passed", "{}", run.stdout());
        assert!(!run.stdout().contains(&format!("SKIP: {test}")), "{}", run.stdout());
    }
    let plain = run_in(m.path(), &["--", "-count=1", "-v"], &[("LEAKCHECK_PLAIN_RUNTIME", "1")]);
    assert_eq!(plain.code(), 0, "{}", plain.stdout());
    for test in ["TestShortcutsAgree", "TestSubStartAgrees"] {
        assert_eq!(plain.verdict(&pkg, test), "skipped", "{}", plain.stdout());
    }
}

const AGREE_TEST: &str = r#"package agree

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func stackID() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(buf[:bytes.IndexByte(buf, ' ')]), 10, 64)
	return id
}

func metricsCount() uint64 {
	n, ok := leakcheckCreatedFromMetrics()
	if !ok {
		panic("runtime/metrics has no creation counter")
	}
	return n
}

func TestShortcutsAgree(t *testing.T) {
	if leakcheckCurrentID == nil {
		t.Skip("the runtime is the toolchain's own")
	}
	if got, want := leakcheckCurrentID(), stackID(); got != want {
		t.Errorf("current id %d, runtime.Stack says %d", got, want)
	}
	ids := make(chan [2]uint64)
	go func() { ids <- [2]uint64{leakcheckCurrentID(), stackID()} }()
	if got := <-ids; got[0] != got[1] {
		t.Errorf("another goroutine's id %d, runtime.Stack says %d", got[0], got[1])
	}

	// Equal whenever nothing was created between two reads of the metrics.
	agreed := false
	for i := 0; i < 100 && !agreed; i++ {
		before := metricsCount()
		got := leakcheckCreatedCount()
		agreed = before == metricsCount() && got == before
	}
	if !agreed {
		t.Errorf("the created count %d, runtime/metrics %d", leakcheckCreatedCount(), metricsCount())
	}
	before := leakcheckCreatedCount()
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go wg.Done()
	}
	wg.Wait()
	if moved := leakcheckCreatedCount() - before; moved < 3 {
		t.Errorf("three goroutines created moved the count by %d", moved)
	}

	// A spinning goroutine runs or waits to run until it is stopped.
	var stop atomic.Bool
	spun := make(chan struct{})
	go func() {
		close(spun)
		for !stop.Load() {
		}
		close(ids)
	}()
	<-spun
	for i := 0; i < 10; i++ {
		if !leakcheckOthersActive() {
			t.Fatal("a spinning goroutine is not active")
		}
		runtime.Gosched()
	}
	stop.Store(true)
	<-ids
	// Once it has exited (and the GC's workers are the runtime's), none is.
	quiet := false
	for i := 0; i < 10000 && !quiet; i++ {
		quiet = !leakcheckOthersActive()
		runtime.Gosched()
	}
	if !quiet {
		t.Error("another goroutine stays active with every other one blocked")
	}
}

// A subtest's start reads what its stack trace says (its id, creator, and
// the T its testing.tRunner runs) without formatting it when the function
// testing.tRunner called asks, and formats it otherwise: the same either
// way (the sibling's T is not the one the goroutine runs).
func TestSubStartAgrees(t *testing.T) {
	if leakcheckCreator == nil {
		t.Skip("the runtime is the toolchain's own")
	}
	agree := func(t *testing.T, of *testing.T) {
		t.Helper()
		id, creator, fn, runs, _, _ := leakcheckSubStart(of)
		wid, wcreator, wfn, wruns, _ := leakcheckOwnStackCreator()
		if id != wid || creator != wcreator || fn != wfn || runs != wruns {
			t.Errorf("start (%d, %d, %q, %#x), the stack says (%d, %d, %q, %#x)", id, creator, fn, runs, wid, wcreator, wfn, wruns)
		}
	}
	var sibling *testing.T
	// Not through agree: the function testing.tRunner called must ask.
	t.Run("direct", func(t *testing.T) {
		sibling = t
		id, creator, fn, runs, _, runFn := leakcheckSubStart(t)
		wid, wcreator, wfn, wruns, _ := leakcheckOwnStackCreator()
		if id != wid || creator != wcreator || fn != wfn || runs != wruns {
			t.Errorf("start (%d, %d, %q, %#x), the stack says (%d, %d, %q, %#x)", id, creator, fn, runs, wid, wcreator, wfn, wruns)
		}
		if fn != "testing.(*T).Run" || runs == 0 {
			t.Errorf("created by %q, runs %#x", fn, runs)
		}
		// The function testing.tRunner called: this closure.
		if !strings.Contains(runFn, ".TestSubStartAgrees.func") {
			t.Errorf("tRunner called %q", runFn)
		}
	})
	t.Run("helper", func(t *testing.T) { agree(t, t) })
	t.Run("sibling", func(t *testing.T) { agree(t, sibling) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		agree(t, t)
	}()
	<-done
}
"#;

/// Tests whose goroutines outlive them: some exit later on their own (a
/// timer, a context's deadline, a child process), some never do. The
/// order matters: a leak that ticks or waits for the network keeps every
/// later check waiting out its grace period.
const QUIET_TEST: &str = r#"package quiet

import (
	"context"
	"net"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestBlockedForever(t *testing.T) {
	ch := make(chan int)
	go func() { <-ch }()
}

func TestSleepsThenExits(t *testing.T) {
	go func() { time.Sleep(200 * time.Millisecond) }()
}

func TestContextDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	t.Cleanup(cancel)
	go func() { <-ctx.Done() }()
}

func TestAfterFuncCloses(t *testing.T) {
	ch := make(chan int)
	time.AfterFunc(200*time.Millisecond, func() { close(ch) })
	go func() { <-ch }()
}

func TestSelectWithTimeout(t *testing.T) {
	ch := make(chan int)
	go func() {
		select {
		case <-ch:
		case <-time.After(200 * time.Millisecond):
		}
	}()
}

func TestChildProcess(t *testing.T) {
	cmd := exec.Command("sleep", "0.2")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	go func() { _ = cmd.Wait() }()
}

func TestReadsMemStats(t *testing.T) {
	go func() {
		var m runtime.MemStats
		for end := time.Now().Add(150 * time.Millisecond); time.Now().Before(end); {
			runtime.ReadMemStats(&m)
		}
	}()
}

func TestWaitsForAMutex(t *testing.T) {
	var mu sync.Mutex
	mu.Lock()
	go func() { mu.Lock() }()
}

// Mutexes side by side: their semaphores fall into every one of the
// runtime's 251 buckets, the world's among them.
func TestWaitsForMutexesInEveryBucket(t *testing.T) {
	locks := new([300]sync.Mutex)
	for i := range locks {
		locks[i].Lock()
		go func(mu *sync.Mutex) { mu.Lock() }(&locks[i])
	}
}

func TestListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	go func() { _, _ = ln.Accept() }()
}

func TestBlockedAfterAListener(t *testing.T) {
	ch := make(chan int)
	go func() { ch <- 1 }()
}
"#;

/// A check stops waiting before its grace period is over only when no
/// goroutine can run before it ends (the runtime's function leakcheck
/// adds, Go 1.26 and 1.27): then what is left would still be there at its
/// end. Every verdict is the one of a check that waits the whole grace
/// period (`LEAKCHECK_PLAIN_RUNTIME=1`): a goroutine a timer, a deadline or
/// a child process ends within it passes, and one that waits for the
/// network keeps its check waiting. One that stops the world itself
/// (ReadMemStats) waits for the check's own stop to end: blocked, but
/// about to run (helper-139: it was reported leaked at once).
#[test]
fn a_grace_period_ends_early_only_when_nothing_can_run_before_it_ends() {
    let m = temp_module(&[("quiet/quiet_test.go", QUIET_TEST)]);
    let pkg = format!("{M}quiet");
    let expected = [
        ("TestBlockedForever", "leaked", true),
        ("TestSleepsThenExits", "passed", false),
        ("TestContextDeadline", "passed", false),
        ("TestAfterFuncCloses", "passed", false),
        ("TestSelectWithTimeout", "passed", false),
        ("TestChildProcess", "passed", false),
        ("TestReadsMemStats", "passed", false),
        ("TestWaitsForAMutex", "leaked", true),
        ("TestWaitsForMutexesInEveryBucket", "leaked", true),
        ("TestListens", "leaked", false),
        ("TestBlockedAfterAListener", "leaked", false),
    ];
    for env in [&[][..], &[("LEAKCHECK_PLAIN_RUNTIME", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
        let tests = run.tests();
        for (name, verdict, early) in expected {
            let t = &tests[&(pkg.clone(), name.to_string())];
            assert_eq!(t["verdict"], verdict, "{env:?} {name}: {}", run.stdout());
            let ended_early = t["leak"]["ended_early"].as_bool().unwrap_or(false);
            // A goroutine waiting for a mutex waits on a semaphore, which
            // the runtime hashes into one of 251 buckets; the check looks
            // for waiters on the world's semaphore itself, not its bucket
            // (TestWaitsForMutexesInEveryBucket: before, it counted the
            // bucket's waiters and waited; a CI clone's run once waited
            // here, likely so).
            assert_eq!(ended_early, early && env.is_empty(), "{env:?} {name}: {}", run.stdout());
        }
    }
}

/// A library whose timer callback blocks 110 calls deep: a dump shows 50
/// innermost and 50 outermost frames of it, a glance 128 innermost.
const DEEP_LIB: &str = r#"package lib

import "time"

var ch = make(chan int)

func deep(n int) int {
	if n == 0 {
		<-ch
		return 0
	}
	return deep(n-1) + 1
}

// Start schedules a callback that blocks forever, deep down.
func Start() {
	time.AfterFunc(time.Millisecond, func() { deep(110) })
}
"#;

const DEEP_TEST: &str = r#"package deep

import (
	"sync"
	"testing"
	"time"

	"example.com/tmp/deep/lib"
)

func TestJoins(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}

func TestJoinsAgain(t *testing.T) { TestJoins(t) }

func TestStarts(t *testing.T) {
	lib.Start()
	time.Sleep(20 * time.Millisecond)
}

func TestAfter(t *testing.T) {}
"#;

// By difference after glances: the kinds a test's glances count and the
// kinds its dump shows are told by the same innermost frames, however deep
// the stack (the second hostile review's case: 110 frames deep, the kinds
// differed and the leak moved to after the last test).
#[test]
fn a_deep_timer_callback_is_blamed_by_difference_after_glances() {
    let m = temp_module(&[("deep/lib/lib.go", DEEP_LIB), ("deep/deep_test.go", DEEP_TEST)]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        let pkg = format!("{M}deep");
        assert_eq!(run.verdict(&pkg, "TestStarts"), "leaked", "{env:?}: {}", run.stdout());
        for test in ["TestJoins", "TestJoinsAgain", "TestAfter"] {
            assert_eq!(run.verdict(&pkg, test), "passed", "{env:?}: {}", run.stdout());
        }
        assert!(run.package(&pkg)["main_leak"]["total"].is_null(), "{}", run.stdout());
    }
}

/// A test whose worker sets labels of its own, made from
/// context.Background, before it starts the goroutine that leaks: that
/// goroutine carries no label of its test, and its creator has exited.
const RELABEL_TEST: &str = r#"package relabel

import (
	"context"
	"runtime/pprof"
	"sync"
	"testing"
)

func handle(reqs <-chan int) {
	for range reqs {
	}
}

func TestLeaks(t *testing.T) {
	go handle(make(chan int))
}

func TestJoins(t *testing.T) {
	reqs := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		handle(reqs)
	}()
	close(reqs)
	wg.Wait()
}

func TestRelabelledWorkerLeaks(t *testing.T) {
	started := make(chan struct{})
	go func() {
		ctx := pprof.WithLabels(context.Background(), pprof.Labels("component", "worker"))
		pprof.SetGoroutineLabels(ctx)
		go handle(make(chan int))
		close(started)
	}()
	<-started
}
"#;

// After a test that passed on a glance (TestJoins), the next test blames by
// difference only as many goroutines of a kind as its glances saw appear
// without a test's label; a goroutine with labels that are not leakcheck's
// is one of them (a hostile review's case: the glances counted only
// goroutines without labels, and TestRelabelledWorkerLeaks's leak went to
// TestMain in about three runs of four).
#[test]
fn a_leak_under_labels_of_its_own_is_blamed_after_a_glance() {
    let m = temp_module(&[("relabel/relabel_test.go", RELABEL_TEST)]);
    let pkg = format!("{M}relabel");
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        for _ in 0..3 {
            let run = run_in(m.path(), &["--", "-count=1"], env);
            assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
            assert_eq!(run.verdict(&pkg, "TestLeaks"), "leaked", "{env:?}: {}", run.stdout());
            assert_eq!(run.verdict(&pkg, "TestJoins"), "passed", "{env:?}: {}", run.stdout());
            assert_eq!(
                run.verdict(&pkg, "TestRelabelledWorkerLeaks"),
                "leaked",
                "{env:?}: {}",
                run.stdout()
            );
            assert!(
                run.package(&pkg)["main_leak"]["total"].is_null(),
                "{env:?}: {}",
                run.stdout()
            );
        }
    }
}

/// Workers a library starts from a goroutine that exits at once, under
/// labels of its own (as servers do): neither a creator chain nor a label
/// leads to the test.
const DETACHED_LIB: &str = r#"package lib

import (
	"context"
	"runtime/pprof"
	"time"
)

var never = make(chan struct{})

// Detached runs work on a goroutine of its own, under labels of its own.
func Detached(work func()) {
	go func() {
		pprof.Do(context.Background(), pprof.Labels("component", "bg"), func(context.Context) {
			go work()
		})
	}()
}

// SettleThenBlock sleeps a little, then blocks forever.
func SettleThenBlock() {
	time.Sleep(3 * time.Millisecond)
	<-never
}

// Poller polls forever.
func Poller() {
	for {
		time.Sleep(200 * time.Microsecond)
		<-time.After(200 * time.Microsecond)
	}
}
"#;

const MOVING_TEST: &str = r#"package moving

import (
	"context"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"example.com/tmp/moving/lib"
)

var never = make(chan struct{})

func joined() {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done() }()
	}
	wg.Wait()
}

func TestClean1(t *testing.T) { joined() }
func TestClean2(t *testing.T) { joined() }

func TestSettleLeaks(t *testing.T) { lib.Detached(lib.SettleThenBlock) }

func TestClean3(t *testing.T) { joined() }

func TestPollerLeaks(t *testing.T) { lib.Detached(lib.Poller) }

func TestClean4(t *testing.T) { joined() }

func worker() {
	time.Sleep(3 * time.Millisecond)
	<-never
}

func TestOwnClosureLeaks(t *testing.T) {
	go pprof.Do(context.Background(), pprof.Labels("c", "bg"), func(context.Context) { go worker() })
}

func TestClean5(t *testing.T) { joined() }
"#;

const EXITED_TEST: &str = r#"package exited

import (
	"sync"
	"testing"
	"time"
)

var results = make(chan int)

func publish() { results <- 1 }

func TestJoins(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done() }()
	wg.Wait()
}

func TestFirstLeaks(t *testing.T) {
	time.AfterFunc(0, publish)
	time.Sleep(time.Millisecond)
}

// Takes the first callback's result, and starts nothing.
func TestReads(t *testing.T) { <-results }

func TestSecondLeaks(t *testing.T) {
	time.AfterFunc(0, publish)
	time.Sleep(time.Millisecond)
}
"#;

// After tests that passed on a glance (whose known set has no ids), three
// ways the fast paths once let a leak go to TestMain, every time (a hostile
// review's cases), each blamed on its test as every check that looks
// blames it: a goroutine that moved after the check's first glance (its
// kind counted where it was then), a poller never in one place, and a
// worker whose creator had not started at the first look; and a glance
// kept through a test that started nothing while an identical goroutine
// exited.
#[test]
fn leaks_after_a_glance_are_blamed_on_their_tests() {
    let m = temp_module(&[
        ("moving/lib/lib.go", DETACHED_LIB),
        ("moving/moving_test.go", MOVING_TEST),
        ("exited/exited_test.go", EXITED_TEST),
    ]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        for _ in 0..3 {
            let run = run_in(m.path(), &["--", "-count=1"], env);
            assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
            for (pkg, test, want) in [
                ("moving", "TestSettleLeaks", "leaked"),
                ("moving", "TestPollerLeaks", "leaked"),
                ("moving", "TestOwnClosureLeaks", "leaked"),
                ("exited", "TestFirstLeaks", "leaked"),
                ("exited", "TestReads", "passed"),
                ("exited", "TestSecondLeaks", "leaked"),
            ] {
                let pkg = format!("{M}{pkg}");
                assert_eq!(run.verdict(&pkg, test), want, "{env:?} {test}: {}", run.stdout());
                assert!(
                    run.package(&pkg)["main_leak"]["total"].is_null(),
                    "{env:?}: {}",
                    run.stdout()
                );
            }
            for n in 1..=5 {
                let test = format!("TestClean{n}");
                assert_eq!(run.verdict(&format!("{M}moving"), &test), "passed", "{}", run.stdout());
            }
        }
    }
}

/// iter.Pull runs its sequence on a coroutine: an iterator neither drained
/// nor stopped leaves it suspended at a yield, a goroutine in state
/// `coroutine` that only the stop function would end.
const PULL_TEST: &str = r#"package pull

import (
	"iter"
	"testing"
)

func upTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func TestFirstOnly(t *testing.T) {
	next, _ := iter.Pull(upTo(10))
	if v, ok := next(); !ok || v != 0 {
		t.Fatalf("next() = %d, %v", v, ok)
	}
}

func TestStopped(t *testing.T) {
	next, stop := iter.Pull(upTo(10))
	defer stop()
	next()
}

func TestDrained(t *testing.T) {
	next, _ := iter.Pull(upTo(3))
	for {
		if _, ok := next(); !ok {
			return
		}
	}
}
"#;

/// signal.NotifyContext watches its parent on a goroutine until stop is
/// called (the signal loop itself is ignored by a built-in rule).
const NOTIFY_CONTEXT_TEST: &str = r#"package sig

import (
	"context"
	"os"
	"os/signal"
	"testing"
)

func TestNeverStopped(t *testing.T) {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt)
	_ = ctx
}

func TestStopped(t *testing.T) {
	_, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stop()
}
"#;

/// sql.Open starts the DB's connection opener, which only Close stops.
const SQL_TEST: &str = r#"package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"testing"
)

type noConns struct{}

func (noConns) Open(string) (driver.Conn, error) { return nil, errors.New("no connections") }

func init() { sql.Register("noconns", noConns{}) }

func TestNeverClosed(t *testing.T) {
	if _, err := sql.Open("noconns", ""); err != nil {
		t.Fatal(err)
	}
}

func TestClosed(t *testing.T) {
	db, err := sql.Open("noconns", "")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
"#;

/// A command started and never waited for: `cat` waits on a stdin pipe
/// nobody closes (until the test binary exits), and Start's goroutine copies
/// its output into a buffer.
const EXEC_TEST: &str = r#"package run

import (
	"bytes"
	"os/exec"
	"testing"
)

func TestStartedNeverWaited(t *testing.T) {
	var out bytes.Buffer
	cmd := exec.Command("cat")
	cmd.Stdout = &out
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

// The test's context kills the command as the test ends; nobody waits.
func TestKilledNeverWaited(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	cmd := exec.Command("echo", "hello")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
}
"#;

/// A writer into an io.Pipe whose reader gave up without closing it.
const PIPE_TEST: &str = r#"package pipe

import (
	"bufio"
	"fmt"
	"io"
	"testing"
)

func lines(pw *io.PipeWriter) {
	for i := 0; ; i++ {
		if _, err := fmt.Fprintf(pw, "line %d\n", i); err != nil {
			return
		}
	}
}

func TestReaderGaveUp(t *testing.T) {
	pr, pw := io.Pipe()
	go lines(pw)
	bufio.NewScanner(pr).Scan()
}

func TestReaderClosed(t *testing.T) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		lines(pw)
	}()
	bufio.NewScanner(pr).Scan()
	pr.Close()
	<-done
}
"#;

/// A context derived from a parent of a Context type of its own, never
/// cancelled; a trace started and never stopped.
const CONTEXT_TRACE_TEST: &str = r#"package ctxtrace

import (
	"context"
	"io"
	"runtime/trace"
	"testing"
)

type doneOnly struct {
	context.Context
	done chan struct{}
}

func (c doneOnly) Done() <-chan struct{} { return c.done }

func TestNeverCancelled(t *testing.T) {
	parent := doneOnly{context.Background(), make(chan struct{})}
	ctx, cancel := context.WithCancel(parent)
	_, _ = ctx, cancel
}

func TestCancelled(t *testing.T) {
	parent := doneOnly{context.Background(), make(chan struct{})}
	_, cancel := context.WithCancel(parent)
	cancel()
}

func TestTraceNeverStopped(t *testing.T) {
	if err := trace.Start(io.Discard); err != nil {
		t.Skip(err)
	}
}
"#;

/// A net.Pipe end nobody reads: its writer waits for good.
const NET_PIPE_TEST: &str = r#"package netpipe

import (
	"net"
	"testing"
)

func greet(c net.Conn) error {
	_, err := c.Write([]byte("hello"))
	return err
}

func TestNobodyReads(t *testing.T) {
	c1, c2 := net.Pipe()
	_ = c2
	go greet(c1)
}

func TestBothClosed(t *testing.T) {
	c1, c2 := net.Pipe()
	done := make(chan error)
	go func() { done <- greet(c1) }()
	c1.Close()
	c2.Close()
	<-done
}
"#;

/// A lazily loaded configuration whose loader asks for the configuration
/// again: sync.Once is not re-entrant.
const ONCE_TEST: &str = r#"package once

import (
	"sync"
	"testing"
)

type config struct{ name, greeting string }

type loader struct {
	once sync.Once
	cfg  config
	// greet, when set, derives the greeting from the loaded config.
	greet bool
}

func (l *loader) get() config {
	l.once.Do(func() {
		l.cfg.name = "app"
		if l.greet {
			l.cfg.greeting = "hello " + l.get().name
		}
	})
	return l.cfg
}

func TestConfig(t *testing.T) {
	if (&loader{}).get().name != "app" {
		t.Fatal("not loaded")
	}
}

func TestConfigReentered(t *testing.T) {
	l := &loader{greet: true}
	go l.get()
}
"#;

/// Bare receives, told by their source lines: a context's Done that
/// nothing cancels, and a timer that fires after the test.
const CONTEXT_WAIT_TEST: &str = r#"package ctxwait

import (
	"context"
	"testing"
	"time"
)

type watcher struct{ stopped chan struct{} }

func watch(ctx context.Context) *watcher {
	w := &watcher{stopped: make(chan struct{})}
	go func() {
		<-ctx.Done()
		close(w.stopped)
	}()
	return w
}

func TestWatchBackground(t *testing.T) {
	watch(context.Background())
}

func TestWatchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := watch(ctx)
	cancel()
	<-w.stopped
}

func expireLater(entries map[string]string, key string) {
	go func() {
		<-time.After(time.Hour)
		delete(entries, key)
	}()
}

func TestExpiresLater(t *testing.T) {
	expireLater(map[string]string{"a": "b"}, "a")
}
"#;

/// Standard-library components never stopped or closed: each leak named,
/// with the diagnosis that names the call to make.
#[test]
fn stdlib_components_never_stopped_are_leaks_diagnosed_as_such() {
    let m = temp_module(&[
        ("pull/pull_test.go", PULL_TEST),
        ("sig/sig_test.go", NOTIFY_CONTEXT_TEST),
        ("db/db_test.go", SQL_TEST),
        ("run/run_test.go", EXEC_TEST),
        ("pipe/pipe_test.go", PIPE_TEST),
        ("ctxtrace/ctxtrace_test.go", CONTEXT_TRACE_TEST),
        ("netpipe/netpipe_test.go", NET_PIPE_TEST),
        ("once/once_test.go", ONCE_TEST),
        ("ctxwait/ctxwait_test.go", CONTEXT_WAIT_TEST),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let tests = run.tests();
    // package, clean tests, the leaking test, its diagnosis, the call its fix names
    let cases: &[(&str, &[&str], &str, &str, &str)] = &[
        (
            "pull",
            &["TestStopped", "TestDrained"],
            "TestFirstOnly",
            "iter-pull-not-stopped",
            "defer stop()",
        ),
        (
            "sig",
            &["TestStopped"],
            "TestNeverStopped",
            "signal-notify-context-not-stopped",
            "defer stop()",
        ),
        ("db", &["TestClosed"], "TestNeverClosed", "sql-db-open", "db.Close()"),
        (
            "run",
            &["TestRun"],
            "TestStartedNeverWaited",
            "exec-still-running",
            "cmd.Wait()",
        ),
        ("run", &[], "TestKilledNeverWaited", "exec-not-waited", "cmd.Wait()"),
        (
            "pipe",
            &["TestReaderClosed"],
            "TestReaderGaveUp",
            "io-pipe",
            "pr.Close()",
        ),
        (
            "netpipe",
            &["TestBothClosed"],
            "TestNobodyReads",
            "net-pipe",
            "c2.Close()",
        ),
        (
            "once",
            &["TestConfig"],
            "TestConfigReentered",
            "sync-once",
            "never call the same Once",
        ),
        (
            "ctxwait",
            &["TestWatchCancelled"],
            "TestWatchBackground",
            "context-done-never-cancelled",
            "defer cancel()",
        ),
        ("ctxwait", &[], "TestExpiresLater", "timer-wait", "ctx.Done()"),
        (
            "ctxtrace",
            &["TestCancelled"],
            "TestNeverCancelled",
            "context-never-cancelled",
            "defer cancel()",
        ),
        (
            "ctxtrace",
            &[],
            "TestTraceNeverStopped",
            "trace-not-stopped",
            "trace.Stop()",
        ),
    ];
    for (pkg, clean, leaky, rule, call) in cases {
        let pkg = format!("{M}{pkg}");
        for test in *clean {
            assert_eq!(run.verdict(&pkg, test), "passed", "{pkg} {test}: {}", run.stdout());
        }
        let t = &tests[&(pkg.clone(), leaky.to_string())];
        assert_eq!(t["verdict"], "leaked", "{pkg} {leaky}: {}", run.stdout());
        let g = &t["leak"]["groups"][0];
        assert_eq!(g["diagnosis"]["rule"], *rule, "{g}");
        assert!(g["diagnosis"]["fix"].as_str().unwrap().contains(call), "{g}");
    }
    // The coroutine, as the dump names its state.
    assert_eq!(
        tests[&(format!("{M}pull"), "TestFirstOnly".to_string())]["leak"]["groups"][0]["state"],
        "coroutine"
    );
    assert!(run.stdout().contains("iter.Pull"), "{}", run.stdout());
}

/// A dispatcher started in `init` that runs each job on a goroutine of its
/// own, as job queues and event buses do.
const DISPATCHER: &str = r#"package dispatch

var jobs = make(chan func())

func init() {
	go func() {
		for job := range jobs {
			go job()
		}
	}()
}

// Go runs job on a goroutine the dispatcher starts.
func Go(job func()) { jobs <- job }
"#;

const DISPATCHER_TEST: &str = r#"package dispatch

import "testing"

var forever = make(chan struct{})

func TestLeaks(t *testing.T) {
	started := make(chan struct{})
	Go(func() { close(started); <-forever })
	<-started
}

func TestFinishes(t *testing.T) {
	done := make(chan struct{})
	Go(func() { close(done) })
	<-done
}

func TestParallelLeaks(t *testing.T) {
	t.Parallel()
	running := make(chan struct{})
	Go(func() { close(running); <-forever })
	<-running
}

func TestParallelFinishes(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	Go(func() { close(done) })
	<-done
}
"#;

/// The dispatcher runs a job only once the next test lets it: the job's
/// goroutine starts while another test runs, after its own test's check.
/// The job waits in a helper of the test files, which any test could call.
/// TestMain's fake server, written in the test files, starts a goroutine
/// per connection that stays (a keep-alive connection): the fixture's.
const DISPATCHER_LATE: &str = r#"package late

import (
	"os"
	"testing"
)

var (
	jobs    = make(chan func(), 1)
	release = make(chan struct{})
	started = make(chan struct{})
	forever = make(chan struct{})
)

func init() {
	go func() {
		job := <-jobs
		<-release
		go job()
	}()
}

type fakeServer struct{ conns chan chan string }

func (s *fakeServer) serve() {
	for c := range s.conns {
		go s.handle(c)
	}
}

func (s *fakeServer) handle(c chan string) {
	for req := range c {
		_ = req
	}
}

var server = &fakeServer{conns: make(chan chan string)}

func TestMain(m *testing.M) {
	go server.serve()
	os.Exit(m.Run())
}

func waitForShutdown() { <-forever }

func TestQueues(t *testing.T) {
	jobs <- func() { close(started); waitForShutdown() }
}

func TestDials(t *testing.T) {
	conn := make(chan string)
	server.conns <- conn
	conn <- "ping"
}

func TestReleases(t *testing.T) {
	close(release)
	<-started
}
"#;

/// A goroutine a package's daemon (started in `init`) starts to run a
/// closure of a test is that test's leak, as goleak would say, serial or
/// parallel; started after its test's check, it is reported after the last
/// test, named after that test, and no other test is blamed, even when the
/// job waits in a helper any test could call. What a fixture written in the
/// test files starts, running its own methods, stays the fixture's. (The
/// job once was the daemon's, reported nowhere; a first fix blamed any
/// goroutine running code of the test files on the test that ran.)
#[test]
fn a_job_an_init_daemon_runs_for_a_test_is_that_tests_leak() {
    let m = temp_module(&[
        ("dispatch/dispatch.go", DISPATCHER),
        ("dispatch/dispatch_test.go", DISPATCHER_TEST),
        ("late/late_test.go", DISPATCHER_LATE),
    ]);
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        let what = format!("{env:?}: {}", run.stdout());
        assert_eq!(run.code(), 1, "{what}");
        let tests = run.tests();
        let pkg = format!("{M}dispatch");
        for (name, want, leaked) in [
            ("TestLeaks", "leaked", 1),
            ("TestFinishes", "passed", 0),
            ("TestParallelLeaks", "leaked", 1),
            ("TestParallelFinishes", "passed", 0),
        ] {
            let t = &tests[&(pkg.clone(), name.to_string())];
            assert_eq!(t["verdict"], want, "{name} {what}");
            assert_eq!(t["leak"]["total"].as_u64().unwrap_or(0), leaked, "{name} {what}");
        }
        assert!(run.package(&pkg)["main_leak"].is_null(), "{what}");
        let pkg = format!("{M}late");
        assert_eq!(run.verdict(&pkg, "TestQueues"), "passed", "{what}");
        assert_eq!(run.verdict(&pkg, "TestDials"), "passed", "{what}");
        assert_eq!(run.verdict(&pkg, "TestReleases"), "passed", "{what}");
        assert_eq!(run.package(&pkg)["main_leak"]["total"], 1, "{what}");
        assert!(what.contains("started by test TestQueues"), "{what}");
    }
}

/// Tests that hand a job to the dispatcher and return at once: the
/// dispatcher has taken the job but not yet started its goroutine when the
/// test returns.
const DISPATCHER_HANDOFF_TEST: &str = r#"package dispatch

import "testing"

var never = make(chan struct{})

func TestHandsOff1(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff2(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff3(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff4(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff5(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff6(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff7(t *testing.T) { Go(func() { <-never }) }
func TestHandsOff8(t *testing.T) { Go(func() { <-never }) }
func TestLast(t *testing.T)      {}
"#;

/// A job handed over as the test returns is still the test's: the check
/// lets the woken dispatcher run before its first look. (A hostile
/// review's case: with `LEAKCHECK_ALWAYS_LOOK=1`, and on Go before 1.26,
/// which has no creation counter, the look came first, found the
/// dispatcher runnable and the test clean; the job was then reported after
/// the last test, or nowhere when the binary exited first, about one run
/// in three.) The wait is bounded: on a loaded machine (this suite's other
/// tests running beside it) the dispatcher's thread may get no CPU for
/// longer, and the job is then reported after the last test, named after
/// its test; never lost.
#[test]
fn a_job_handed_to_an_init_daemon_as_the_test_returns_is_that_tests_leak() {
    let m = temp_module(&[
        ("dispatch/dispatch.go", DISPATCHER),
        ("dispatch/dispatch_test.go", DISPATCHER_HANDOFF_TEST),
    ]);
    let pkg = format!("{M}dispatch");
    for env in [&[][..], &[("LEAKCHECK_ALWAYS_LOOK", "1")]] {
        let mut on_their_tests = 0;
        for _ in 0..3 {
            let run = run_in(m.path(), &["--", "-count=1"], env);
            let what = format!("{env:?}: {}", run.stdout());
            assert_eq!(run.code(), 1, "{what}");
            let mut leaked = 0;
            for i in 1..=8 {
                let name = format!("TestHandsOff{i}");
                match run.verdict(&pkg, &name).as_str() {
                    "leaked" => leaked += 1,
                    "passed" => assert!(what.contains(&format!("started by test {name}")), "{name} {what}"),
                    other => panic!("{name}: {other}: {what}"),
                }
            }
            let after_last = run.package(&pkg)["main_leak"]["total"].as_u64().unwrap_or(0);
            assert_eq!(leaked + after_last, 8, "every job is reported: {what}");
            assert_eq!(run.verdict(&pkg, "TestLast"), "passed", "{what}");
            on_their_tests += leaked;
        }
        assert!(
            on_their_tests >= 20,
            "{env:?}: {on_their_tests} of 24 jobs on their tests"
        );
    }
}

/// A table test's rows each start a watcher through a goroutine that exits
/// at once (so only its label tells whose it is, and on Go 1.26 the labels
/// come from the profile, by count); every row stops its own a moment
/// after it returns, within the grace period, but one row forgets.
const TABLE_ROWS: &str = r#"package rows

import (
	"fmt"
	"testing"
	"time"
)

func watch(stop <-chan struct{}) { <-stop }

// startWatcher's creator exits at once.
func startWatcher(stop <-chan struct{}) {
	done := make(chan struct{})
	go func() {
		go watch(stop)
		close(done)
	}()
	<-done
}

func rows(t *testing.T, parallel bool) {
	for i := 0; i < 6; i++ {
		i := i // (the module says go 1.21)
		name := fmt.Sprint("Clean", i)
		if i == 3 {
			name = "Leak3"
		}
		t.Run(name, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			stop := make(chan struct{})
			startWatcher(stop)
			if i != 3 {
				time.AfterFunc(time.Duration(50*i)*time.Millisecond, func() { close(stop) })
			}
		})
	}
}

func TestSerialRows(t *testing.T)   { rows(t, false) }
func TestParallelRows(t *testing.T) { rows(t, true) }
"#;

/// Which of identical goroutines is whose subtest's is told by count at
/// each look, not once for good: a clean row whose watcher was still
/// exiting at the first look kept the leaking row's goroutine, and the
/// leaking row passed (8 runs of 8).
#[test]
fn identical_goroutines_of_sibling_subtests_go_to_the_row_that_leaked() {
    let m = temp_module(&[("rows/rows_test.go", TABLE_ROWS)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(
        leaked,
        [
            "TestParallelRows",
            "TestParallelRows/Leak3",
            "TestSerialRows",
            "TestSerialRows/Leak3"
        ],
        "{out}"
    );
}

/// Finalizers and cleanups that block, in serial and parallel tests: the
/// runtime's goroutine that runs them is hidden from dumps until it runs
/// one, and was created long before (by whoever needed one first).
const BLOCKING_FINALIZERS: &str = r#"package finalizers

import (
	"runtime"
	"testing"
	"time"
)

type resource struct{ buf [64]byte }

// collect runs the garbage collector until started is closed.
func collect(started chan struct{}) {
	for {
		runtime.GC()
		select {
		case <-started:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Starts the runtime's finalizer goroutine; its finalizer returns.
func TestFinalizerReturns(t *testing.T) {
	done := make(chan struct{})
	r := &resource{}
	runtime.SetFinalizer(r, func(*resource) { close(done) })
	r = nil
	collect(done)
}

func TestFinalizerBlocks(t *testing.T) {
	started := make(chan struct{})
	r := &resource{}
	runtime.SetFinalizer(r, func(*resource) {
		close(started)
		select {}
	})
	r = nil
	collect(started)
}

// Runs alone after the finalizer blocked: clean.
func TestNextStartsAGoroutine(t *testing.T) {
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
}

func TestCleanupBlocks(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	r := &resource{}
	runtime.AddCleanup(r, func(int) {
		close(started)
		select {}
	}, 0)
	r = nil
	collect(started)
}

func TestParallelClean(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond)
}
"#;

/// An event bus whose dispatcher package initialization starts runs each
/// subscriber's handler on a goroutine of its own. The handler a test
/// subscribed that waits for an event never published is that test's leak
/// when it ran alone, and reported after the last test when tests ran in
/// parallel (the dispatcher's lineage says nothing of whose job it ran).
/// It was missed, exit 0, unless the compiler inlined `Subscribe` into the
/// test (which names the handler's closure after the test): `-gcflags=-l`
/// here, as Go 1.27 did without it. What package-level daemons start for
/// themselves is no test's: helpers, a reporter's flush every tick (a
/// closure its constructor wrote), a client's connection dialled on first
/// use, a supervised collector (helper-95 and helper-97 found each blamed
/// on clean tests by earlier versions of the rule), and a `TestMain`
/// server's connection handler wrapped in middleware, for the connection
/// a shared client dials on first use.
#[test]
fn a_package_job_an_init_daemon_runs_is_the_leak_of_the_test_that_handed_it() {
    let m = temp_module(&[
        ("bus/bus.go", EVENT_BUS),
        ("bus/bus_test.go", EVENT_BUS_TESTS),
        ("reporter/reporter.go", PERIODIC_REPORTER),
        ("reporter/reporter_test.go", PERIODIC_REPORTER_TESTS),
        ("client/client.go", LAZY_CLIENT),
        ("client/client_test.go", LAZY_CLIENT_TESTS),
        ("collector/collector.go", SUPERVISED_COLLECTOR),
        ("collector/collector_test.go", SUPERVISED_COLLECTOR_TESTS),
        ("kvserver/kvserver.go", MIDDLEWARE_SERVER),
        ("kvserver/kvserver_test.go", MIDDLEWARE_SERVER_TESTS),
    ]);
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.24\n").unwrap();
    let run = run_in(m.path(), &["--", "-count=1", "-gcflags=-l"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    let main_leak = run.package(&format!("{M}bus"))["main_leak"]["total"]
        .as_u64()
        .unwrap_or(0);
    // The parallel test's handler: its own when it happened to run alone.
    let parallel = leaked.iter().filter(|name| *name == "TestParallelLeaks").count() as u64;
    assert_eq!(parallel + main_leak, 1, "{out}");
    let serial: Vec<&String> = leaked.iter().filter(|name| *name != "TestParallelLeaks").collect();
    assert_eq!(serial, ["TestNeverPublished"], "{out}");
    // Told by difference, and the report says so.
    let tests = run.tests();
    let handler = &tests[&(format!("{M}bus"), "TestNeverPublished".to_string())];
    assert_eq!(handler["leak"]["by_difference"], 1, "{out}");
    for clean in ["reporter", "client", "collector", "kvserver"] {
        let p = run.package(&format!("{M}{clean}"));
        assert!(p["main_leak"].is_null(), "{clean}: {out}");
        assert_eq!(p["status"], "passed", "{clean}: {out}");
    }
}

const LAZY_CLIENT: &str = r#"// Package client talks to its backend through a package-level client,
// which dials on the first request and keeps the connection for the next.
package client

import (
	"bufio"
	"net"
)

type request struct {
	line  string
	reply chan string
}

// Client sends requests over one connection, read by a goroutine of its
// own.
type Client struct {
	requests chan request
	dial     func() (net.Conn, error)
}

// Default is the package's client.
var Default = NewClient(dialBackend)

// NewClient starts a client that dials with dial when first used.
func NewClient(dial func() (net.Conn, error)) *Client {
	c := &Client{requests: make(chan request), dial: dial}
	go c.loop()
	return c
}

func (c *Client) loop() {
	var conn net.Conn
	var pending chan chan string
	for r := range c.requests {
		if conn == nil {
			var err error
			if conn, err = c.dial(); err != nil {
				r.reply <- "error: " + err.Error()
				continue
			}
			pending = make(chan chan string, 16)
			go c.readLoop(conn, pending)
		}
		pending <- r.reply
		if _, err := conn.Write([]byte(r.line + "\n")); err != nil {
			panic(err)
		}
	}
}

func (c *Client) readLoop(conn net.Conn, pending chan chan string) {
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		(<-pending) <- lines.Text()
	}
}

// Get asks the backend for key's value.
func (c *Client) Get(key string) string {
	r := request{line: key, reply: make(chan string, 1)}
	c.requests <- r
	return <-r.reply
}

// dialBackend stands for dialing a remote server.
func dialBackend() (net.Conn, error) {
	client, server := net.Pipe()
	go serve(server)
	return client, nil
}

func serve(conn net.Conn) {
	lines := bufio.NewScanner(conn)
	for lines.Scan() {
		if _, err := conn.Write([]byte("value of " + lines.Text() + "\n")); err != nil {
			return
		}
	}
}
"#;

const LAZY_CLIENT_TESTS: &str = r#"package client

import "testing"

func TestGetA(t *testing.T) {
	if got := Default.Get("a"); got != "value of a" {
		t.Fatalf("Get(a) = %q", got)
	}
}

func TestGetB(t *testing.T) {
	if got := Default.Get("b"); got != "value of b" {
		t.Fatalf("Get(b) = %q", got)
	}
}
"#;

const SUPERVISED_COLLECTOR: &str = r#"// Package collector records events on a package-level collector, run by
// a supervisor that restarts it when it fails.
package collector

import (
	"context"
	"time"
)

type supervisor struct {
	run     func(context.Context) error
	backoff time.Duration
}

func (s *supervisor) loop(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.run(ctx); err != nil {
			time.Sleep(s.backoff)
		}
	}
}

// Collector drains what is recorded.
type Collector struct{ in chan string }

func (c *Collector) drain(ctx context.Context) error {
	for {
		select {
		case <-c.in:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Record hands s to the collector.
func (c *Collector) Record(s string) { c.in <- s }

// Default is the package's collector.
var Default = newCollector()

func newCollector() *Collector {
	c := &Collector{in: make(chan string, 16)}
	s := &supervisor{run: func(ctx context.Context) error { return c.drain(ctx) }, backoff: time.Second}
	go s.loop(context.Background())
	return c
}
"#;

const SUPERVISED_COLLECTOR_TESTS: &str = r#"package collector

import "testing"

func TestRecord(t *testing.T) {
	Default.Record("started")
}
"#;

const MIDDLEWARE_SERVER: &str = r#"// Package kvserver serves lookups over a line protocol, one goroutine per
// connection, through middleware.
package kvserver

import (
	"bufio"
	"log"
	"net"
)

// Handler serves one connection.
type Handler func(net.Conn)

// WithRecover logs a handler's panic instead of crashing the server.
func WithRecover(h Handler) Handler {
	return func(c net.Conn) {
		defer func() {
			if e := recover(); e != nil {
				log.Print(e)
			}
		}()
		h(c)
	}
}

// Serve accepts connections on ln until it is closed.
func Serve(ln net.Listener, h Handler) {
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go h(c)
		}
	}()
}

// Lookup answers each line with its value.
func Lookup(c net.Conn) {
	defer c.Close()
	lines := bufio.NewScanner(c)
	for lines.Scan() {
		if _, err := c.Write([]byte("value of " + lines.Text() + "\n")); err != nil {
			return
		}
	}
}
"#;

const MIDDLEWARE_SERVER_TESTS: &str = r#"package kvserver

import (
	"bufio"
	"net"
	"os"
	"sync"
	"testing"
)

var (
	addr string
	once sync.Once
	conn net.Conn
	mu   sync.Mutex
)

// get asks over one connection, dialled on first use and kept.
func get(t *testing.T, key string) string {
	mu.Lock()
	defer mu.Unlock()
	once.Do(func() {
		var err error
		if conn, err = net.Dial("tcp", addr); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := conn.Write([]byte(key + "\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func TestMain(m *testing.M) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr = ln.Addr().String()
	Serve(ln, WithRecover(Lookup))
	os.Exit(m.Run())
}

func TestGetA(t *testing.T) {
	if got := get(t, "a"); got != "value of a\n" {
		t.Fatalf("get(a) = %q", got)
	}
}

func TestGetB(t *testing.T) {
	if got := get(t, "b"); got != "value of b\n" {
		t.Fatalf("get(b) = %q", got)
	}
}
"#;

const PERIODIC_REPORTER: &str = r#"// Package reporter flushes its batch every tick, on a goroutine of its
// own, to a sink nobody drains (a bug of the package, not of its tests).
package reporter

import "time"

type reporter struct {
	sink  chan int
	flush func()
}

func newReporter() *reporter {
	r := &reporter{sink: make(chan int)}
	r.flush = func() { r.sink <- 1 }
	return r
}

func (r *reporter) loop() {
	for range time.Tick(5 * time.Millisecond) {
		go r.flush()
	}
}

var std = newReporter()

func init() { go std.loop() }

// Add is what the package offers.
func Add(a, b int) int { return a + b }
"#;

const PERIODIC_REPORTER_TESTS: &str = r#"package reporter

import (
	"testing"
	"time"
)

func TestAddSlowly(t *testing.T) {
	time.Sleep(30 * time.Millisecond)
	if got := Add(1, 2); got != 3 {
		t.Fatalf("Add(1, 2) = %d", got)
	}
}

func TestAdd(t *testing.T) {
	if got := Add(2, 2); got != 4 {
		t.Fatalf("Add(2, 2) = %d", got)
	}
}
"#;

const EVENT_BUS: &str = r#"// Package bus runs each subscriber's handler on its own goroutine, started
// by a dispatcher that package initialization starts.
package bus

import "sync"

var (
	jobs    = make(chan func(), 16)
	helpers = make(chan int)
	_       = start()
	running sync.WaitGroup
)

func start() bool {
	go func() {
		for {
			select {
			case job := <-jobs:
				go job()
			case n := <-helpers:
				// Helpers alive as long as the package.
				go func() { select {} }()
				go worker(n)
			}
		}
	}()
	return true
}

func worker(int) { select {} }

// Grow adds helpers to the dispatcher.
func Grow(n int) { helpers <- n }

// Subscribe runs handle on the next event.
func Subscribe(events <-chan int, handle func(int)) {
	running.Add(1)
	jobs <- func() {
		defer running.Done()
		handle(<-events)
	}
}
"#;

const EVENT_BUS_TESTS: &str = r#"package bus

import "testing"

func TestHandled(t *testing.T) {
	events := make(chan int, 1)
	got := make(chan int, 1)
	Subscribe(events, func(v int) { got <- v })
	events <- 7
	if v := <-got; v != 7 {
		t.Fatalf("got %d, want 7", v)
	}
}

func TestNeverPublished(t *testing.T) {
	Subscribe(make(chan int), func(int) {})
}

func TestGrow(t *testing.T) {
	Grow(2)
}

func TestParallelHandled(t *testing.T) {
	t.Parallel()
	events := make(chan int, 1)
	got := make(chan int, 1)
	Subscribe(events, func(v int) { got <- v })
	events <- 1
	<-got
}

func TestParallelLeaks(t *testing.T) {
	t.Parallel()
	Subscribe(make(chan int), func(int) {})
}
"#;

/// A library whose `init` set a finalizer that blocks: the runtime's
/// goroutine runs it when a collection finds the object, while whichever
/// test happens to run. No test's doing: reported after the last test,
/// naming the library's function. (It was blamed by difference on the test
/// that ran alone when the collection came.)
#[test]
fn a_finalizer_a_librarys_init_set_is_no_tests_leak() {
    let m = temp_module(&[
        ("initfinalizer/registry/registry.go", LIBRARY_INIT_FINALIZER),
        ("initfinalizer/app_test.go", LIBRARY_INIT_FINALIZER_TESTS),
    ]);
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.24\n").unwrap();
    let run = run_in(m.path(), &["./initfinalizer", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(run.leaked(), Vec::<(String, String)>::new(), "{out}");
    let main_leak = &run.package(&format!("{M}initfinalizer"))["main_leak"];
    assert_eq!(main_leak["total"], 1, "{out}");
    assert_eq!(
        main_leak["groups"][0]["frames"][0]["function"],
        format!("{M}initfinalizer/registry.init.0.func1"),
        "{out}"
    );
}

const LIBRARY_INIT_FINALIZER: &str = r#"// Package registry keeps a default entry whose finalizer waits for a
// shutdown that never comes.
package registry

import "runtime"

type entry struct{ buf [64]byte }

var (
	// Finalized is closed when the default entry's finalizer runs.
	Finalized = make(chan struct{})
	shutdown  = make(chan struct{})
)

func init() {
	e := &entry{}
	runtime.SetFinalizer(e, func(*entry) {
		close(Finalized)
		<-shutdown
	})
}

// Lookup is what the application uses.
func Lookup(name string) bool { return name != "" }
"#;

const LIBRARY_INIT_FINALIZER_TESTS: &str = r#"package initfinalizer

import (
	"runtime"
	"testing"
	"time"

	"example.com/tmp/initfinalizer/registry"
)

func TestLookup(t *testing.T) {
	if !registry.Lookup("a") {
		t.Fatal("not found")
	}
}

// Collects garbage until the registry's finalizer ran: the test that
// happens to run then.
func TestCollects(t *testing.T) {
	for {
		runtime.GC()
		select {
		case <-registry.Finalized:
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}
"#;

/// A finalizer or cleanup that blocks is its test's leak: the test that
/// ran alone next was blamed by difference (no goroutine was created
/// while the finalizer's test ran, so its check took no look), and one of
/// a parallel test was reported after the last test.
#[test]
fn a_blocking_finalizer_is_its_tests_leak() {
    let m = temp_module(&[("finalizers/f_test.go", BLOCKING_FINALIZERS)]);
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.24\n").unwrap();
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(leaked, ["TestCleanupBlocks", "TestFinalizerBlocks"], "{out}");
    assert!(run.package(&format!("{M}finalizers"))["main_leak"].is_null(), "{out}");
}

/// A bus that a package-level `sync.Once` starts for its first user belongs
/// to that first test (its leak); a handler a later test hands it and that
/// gets stuck runs the later test's closure, and is that test's leak, as
/// goleak would say, not a leak after the last test named after no test.
#[test]
fn a_job_handed_to_a_daemon_an_earlier_test_started_is_the_handing_tests_leak() {
    let m = temp_module(&[("lazybus/bus.go", LAZY_BUS), ("lazybus/bus_test.go", LAZY_BUS_TESTS)]);
    let run = run_in(m.path(), &["./lazybus", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let mut leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    leaked.sort();
    assert_eq!(leaked, ["TestFirstUse", "TestStuckHandler"], "{out}");
    assert!(run.package(&format!("{M}lazybus"))["main_leak"].is_null(), "{out}");
}

/// The same when the bus's first user is a subtest (a table row): the
/// stuck handler is the handing test's, not blamed on that row, whose own
/// report (the bus) it must not replace. With the bus ignored, the handing
/// test still leaks, and a rerun does not pass it.
#[test]
fn a_job_handed_to_a_daemon_a_subtest_started_is_the_handing_tests_leak() {
    let m = temp_module(&[
        ("lazybus/bus.go", LAZY_BUS),
        ("lazybus/bus_test.go", LAZY_BUS_SUBTEST_TESTS),
    ]);
    let run = run_in(m.path(), &["./lazybus", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let mut leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    leaked.sort();
    assert_eq!(leaked, ["TestFirstUse", "TestFirstUse/a", "TestStuckHandler"], "{out}");
    assert!(out.contains("lazybus.(*bus).dispatch (lazybus/bus.go"), "{out}");

    std::fs::write(
        m.path().join("leakcheck.toml"),
        "[[ignore]]\nname = \"bus\"\ntop_function = \"example.com/tmp/lazybus.(*bus).dispatch\"\nreason = \"the bus lives as long as the process\"\n",
    )
    .unwrap();
    let run = run_in(m.path(), &["./lazybus", "--rerun-fails", "2", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(leaked, ["TestStuckHandler"], "{out}");
}

/// The same when the first user is a parallel test that used the bus
/// before calling `t.Parallel()`: it is parked, still running, while the
/// serial test hands the bus the job that gets stuck. The job is the
/// serial test's; the parallel test leaked only the bus. (It was blamed for
/// both, and its rerun, with the bus already running, passed.)
#[test]
fn a_job_handed_to_a_daemon_a_parked_parallel_test_started_is_the_handing_tests_leak() {
    let m = temp_module(&[
        ("lazybus/bus.go", LAZY_BUS),
        ("lazybus/bus_test.go", LAZY_BUS_PARALLEL_TESTS),
    ]);
    for rerun in [&[][..], &["--rerun-fails", "2"]] {
        let args = [&["./lazybus"], rerun, &["--", "-count=1"]].concat();
        let run = run_in(m.path(), &args, &[]);
        let out = format!("{}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{rerun:?}: {out}");
        let mut leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
        leaked.sort();
        assert_eq!(leaked, ["TestStuckHandler", "TestSubscribe"], "{rerun:?}: {out}");
        let tests = run.tests();
        let subscribe = &tests[&(format!("{M}lazybus"), "TestSubscribe".to_string())]["leak"];
        assert_eq!(subscribe["total"], 1, "{rerun:?}: {out}");
        assert_eq!(
            subscribe["groups"][0]["frames"][0]["function"],
            format!("{M}lazybus.(*bus).dispatch"),
            "{rerun:?}: {out}"
        );
    }
}

const LAZY_BUS_PARALLEL_TESTS: &str = r#"package lazybus

import "testing"

func TestSubscribe(t *testing.T) {
	done := make(chan struct{})
	Publish("a", func(string) { close(done) })
	<-done
	t.Parallel()
}

func TestStuckHandler(t *testing.T) {
	started, block := make(chan struct{}), make(chan struct{})
	Publish("b", func(string) {
		close(started)
		<-block
	})
	<-started
}

func TestCleanHandler(t *testing.T) {
	done := make(chan struct{})
	Publish("c", func(string) { close(done) })
	<-done
}
"#;

const LAZY_BUS_SUBTEST_TESTS: &str = r#"package lazybus

import "testing"

func TestFirstUse(t *testing.T) {
	for _, topic := range []string{"a", "b"} {
		t.Run(topic, func(t *testing.T) {
			done := make(chan struct{})
			Publish(topic, func(string) { close(done) })
			<-done
		})
	}
}

func TestStuckHandler(t *testing.T) {
	started, block := make(chan struct{}), make(chan struct{})
	Publish("b", func(string) {
		close(started)
		<-block
	})
	<-started
}

func TestCleanHandler(t *testing.T) {
	done := make(chan struct{})
	Publish("c", func(string) { close(done) })
	<-done
}
"#;

/// A job written in a method of the bus's own type (its Request) and run
/// inside a recover wrapper its dispatcher writes is still a handed job:
/// the test that sent the request nobody reads leaked, where it passed. So
/// in a package whose path ends in a dotted element (`bus.v1`), whose
/// functions the runtime names with the dot escaped: there no job, and no
/// test's code, was ever told.
#[test]
fn a_job_a_dispatcher_wraps_is_the_handing_tests_leak() {
    let m = temp_module(&[
        ("wrapbus/bus.go", WRAPPING_BUS),
        ("wrapbus/bus_test.go", WRAPPING_BUS_TESTS),
        // The linker writes the dot as %2e in its functions' names.
        ("wrapbus.v1/bus.go", WRAPPING_BUS),
        ("wrapbus.v1/bus_test.go", WRAPPING_BUS_TESTS),
    ]);
    let run = run_in(m.path(), &["./...", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run
        .leaked()
        .into_iter()
        .map(|(pkg, name)| format!("{pkg} {name}"))
        .collect();
    assert_eq!(
        leaked,
        [
            format!("{M}wrapbus TestRequestIgnored"),
            format!("{M}wrapbus.v1 TestRequestIgnored")
        ],
        "{out}"
    );
    assert!(out.contains("wrapbus.(*Bus).Request.func1 (wrapbus/bus.go"), "{out}");
    for pkg in ["wrapbus", "wrapbus.v1"] {
        assert!(run.package(&format!("{M}{pkg}"))["main_leak"].is_null(), "{out}");
    }
}

/// What a package-level daemon starts by itself while a test runs is no
/// test's leak, even when it runs a closure written elsewhere in the
/// package: a reporter's reader its Start wrote and its loop starts on
/// first tick, a worker a supervisor restarts (written where the
/// supervisor was started), a method whose name begins with "func". Each
/// failed the test that happened to run (helper-100).
#[test]
fn a_daemons_own_closure_it_starts_later_is_no_tests_leak() {
    let m = temp_module(&[
        ("reporter/reporter.go", LAZY_READER),
        ("reporter/reporter_test.go", LAZY_READER_TESTS),
        ("supervisor/supervisor.go", SUPERVISOR),
        ("supervisor/supervisor_test.go", SUPERVISOR_TESTS),
        ("registry/registry.go", FUNC_NAMED_METHOD),
        ("registry/registry_test.go", FUNC_NAMED_METHOD_TESTS),
    ]);
    let run = run_in(m.path(), &["./...", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{out}");
    assert_eq!(run.tests().len(), 6, "{out}");
    assert!(run.leaked().is_empty(), "{out}");
}

const LAZY_READER: &str = r#"// Package reporter counts events, and connects on its first flush,
// keeping a reader of the acknowledgements from then on.
package reporter

import (
	"sync/atomic"
	"time"
)

// Reporter counts what it is told and what its sink acknowledged.
type Reporter struct {
	acks      chan int
	reader    func()
	connected atomic.Bool
	acked     atomic.Int64
}

// Default is the process's reporter.
var Default = &Reporter{acks: make(chan int)}

func init() { Default.Start() }

// Start writes the acknowledgement reader and starts the flush loop.
func (r *Reporter) Start() {
	r.reader = func() {
		for n := range r.acks {
			r.acked.Add(int64(n))
		}
	}
	go r.loop()
}

func (r *Reporter) loop() {
	tick := time.NewTicker(10 * time.Millisecond)
	for range tick.C {
		if !r.connected.Load() {
			go r.reader()
			r.connected.Store(true)
		}
	}
}

// Connected reports whether the reporter has connected.
func (r *Reporter) Connected() bool { return r.connected.Load() }
"#;

const LAZY_READER_TESTS: &str = r#"package reporter

import (
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	if Default.reader == nil {
		t.Fatal("no reader")
	}
}

func TestConnects(t *testing.T) {
	for !Default.Connected() {
		time.Sleep(time.Millisecond)
	}
}
"#;

const SUPERVISOR: &str = r#"// Package supervisor keeps a worker running under a supervisor that
// restarts it, recovering its panics. The worker recycles itself after
// each job, as pooled connections do after a maximum lifetime.
package supervisor

import (
	"log"
	"sync/atomic"
)

var (
	jobs     = make(chan func())
	restarts atomic.Int32
)

func init() { start() }

func start() {
	worker := func() {
		job := <-jobs
		job()
	}
	go supervise(worker)
}

// supervise runs work again whenever it returns or panics.
func supervise(work func()) {
	for {
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() {
				if r := recover(); r != nil {
					log.Printf("supervisor: worker panicked: %v", r)
				}
			}()
			work()
		}()
		<-done
		restarts.Add(1)
	}
}

// Do runs job on the worker and waits for it.
func Do(job func()) {
	done := make(chan struct{})
	jobs <- func() { defer close(done); job() }
	<-done
}

// Restarts is how many times the worker was restarted.
func Restarts() int32 { return restarts.Load() }
"#;

const SUPERVISOR_TESTS: &str = r#"package supervisor

import (
	"testing"
	"time"
)

func TestDo(t *testing.T) {
	n := 0
	Do(func() { n++ })
	if n != 1 {
		t.Fatal(n)
	}
}

// TestRestarts waits for the restart after TestDo's job: the worker the
// supervisor starts then waits for the next job.
func TestRestarts(t *testing.T) {
	for Restarts() == 0 {
		time.Sleep(time.Millisecond)
	}
}
"#;

const FUNC_NAMED_METHOD: &str = r#"// Package registry watches for updates to registered functions, with a
// reader its loop starts on its first tick.
package registry

import (
	"sync/atomic"
	"time"
)

// Registry applies updates to registered functions.
type Registry struct {
	updates chan string
	started atomic.Bool
}

// Default is the process's registry.
var Default = &Registry{updates: make(chan string)}

func init() { go Default.loop() }

func (r *Registry) loop() {
	tick := time.NewTicker(10 * time.Millisecond)
	for range tick.C {
		if !r.started.Load() {
			go r.functionUpdates()
			r.started.Store(true)
		}
	}
}

// functionUpdates applies updates to the registered functions.
func (r *Registry) functionUpdates() {
	for range r.updates {
	}
}

// Started reports whether the update reader runs.
func (r *Registry) Started() bool { return r.started.Load() }
"#;

const FUNC_NAMED_METHOD_TESTS: &str = r#"package registry

import (
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	if Default == nil {
		t.Fatal("no registry")
	}
}

func TestStarts(t *testing.T) {
	for !Default.Started() {
		time.Sleep(time.Millisecond)
	}
}
"#;

/// A bus that its Subscribe starts (through once.Do), when package
/// initialization subscribed first: the handler a test subscribes and
/// leaves blocked is the test's leak. Subscribe wrote the job and started
/// the dispatcher, which made the job count as the bus's own (missed, exit
/// 0, helper-101); only a go statement of the function itself says so.
#[test]
fn a_job_written_where_a_once_started_the_bus_is_the_tests_leak() {
    let m = temp_module(&[
        ("events/bus.go", ONCE_STARTED_BUS),
        ("events/cache.go", ONCE_STARTED_BUS_CACHE),
        ("events/cache_test.go", ONCE_STARTED_BUS_TESTS),
    ]);
    let run = run_in(m.path(), &["./events", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(leaked, ["TestCacheInvalidate"], "{out}");
    assert!(out.contains("events.(*Cache).Invalidate (events/cache.go"), "{out}");
}

const ONCE_STARTED_BUS: &str = r#"// Package events runs each subscriber's handler, recovering its panics,
// from a dispatcher the first Subscribe starts.
package events

import (
	"log"
	"sync"
)

// Event is what is published on a topic.
type Event struct {
	Topic string
	Data  string
}

// Handler handles an event.
type Handler func(Event)

// Bus delivers events to subscribers.
type Bus struct {
	once  sync.Once
	mu    sync.Mutex
	subs  map[string][]func(Event)
	queue chan Event
}

// Default is the process's bus.
var Default = &Bus{}

// Subscribe registers h for topic; the dispatcher starts on first use.
func (b *Bus) Subscribe(topic string, h Handler) {
	b.once.Do(func() {
		b.subs = map[string][]func(Event){}
		b.queue = make(chan Event, 64)
		go b.dispatch()
	})
	wrapped := func(ev Event) {
		defer func() {
			if r := recover(); r != nil {
				log.Printf("events: handler for %s panicked: %v", topic, r)
			}
		}()
		h(ev)
	}
	b.mu.Lock()
	b.subs[topic] = append(b.subs[topic], wrapped)
	b.mu.Unlock()
}

// Publish queues an event for topic.
func (b *Bus) Publish(topic, data string) {
	b.queue <- Event{Topic: topic, Data: data}
}

func (b *Bus) dispatch() {
	for ev := range b.queue {
		b.mu.Lock()
		hs := append([]func(Event){}, b.subs[ev.Topic]...)
		b.mu.Unlock()
		for _, h := range hs {
			go h(ev)
		}
	}
}

var levelMu sync.Mutex
var level = "info"

func init() {
	Default.Subscribe("config.reload", func(ev Event) {
		levelMu.Lock()
		level = ev.Data
		levelMu.Unlock()
	})
}
"#;

const ONCE_STARTED_BUS_CACHE: &str = r#"package events

import "sync"

// Cache invalidates entries when told to over the bus.
type Cache struct {
	mu      sync.Mutex
	entries map[string]string
	flushed chan struct{}
}

func NewCache() *Cache {
	return &Cache{entries: map[string]string{}, flushed: make(chan struct{})}
}

// Invalidate is a bus handler; it reports each flush on c.flushed.
func (c *Cache) Invalidate(ev Event) {
	c.mu.Lock()
	delete(c.entries, ev.Data)
	c.mu.Unlock()
	c.flushed <- struct{}{} // nobody reads if caller forgot
}
"#;

const ONCE_STARTED_BUS_TESTS: &str = r#"package events

import "testing"

func TestConfigReload(t *testing.T) {
	Default.Publish("config.reload", "debug")
}

func TestCacheInvalidate(t *testing.T) {
	c := NewCache()
	c.entries["k"] = "v"
	Default.Subscribe("cache.invalidate", c.Invalidate)
	Default.Publish("cache.invalidate", "k")
	// forgot to read c.flushed: the handler blocks forever
}

func TestOther(t *testing.T) {}
"#;

/// A suite's test methods run as subtests of one test (testify's
/// suite.Run): a later method's stuck job, on a bus an earlier method
/// started, names the later method's subtest, which was reported as
/// passed while the earlier one's report carried the job (helper-100).
#[test]
fn a_suite_methods_stuck_job_names_its_own_subtest() {
    let m = temp_module(&[
        ("lazybus/bus.go", LAZY_BUS),
        ("lazybus/bus_test.go", SUITE_BUS_TESTS),
        ("lazybus/run_test.go", &suite_runner("lazybus")),
    ]);
    let run = run_in(m.path(), &["./lazybus", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(
        leaked,
        ["TestBus", "TestBus/TestA_FirstUse", "TestBus/TestB_Stuck"],
        "{out}"
    );
    let tests = run.tests();
    let group = |name: &str| {
        let t = &tests[&(format!("{M}lazybus"), name.to_string())];
        let groups = t["leak"]["groups"].as_array().cloned().unwrap_or_default();
        assert_eq!(groups.len(), 1, "{name}: {out}");
        groups[0]["frames"][0]["function"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        group("TestBus/TestA_FirstUse").ends_with("lazybus.(*bus).dispatch"),
        "{out}"
    );
    assert!(
        group("TestBus/TestB_Stuck").ends_with("lazybus.busSuite.TestB_Stuck.func1"),
        "{out}"
    );
}

/// A suite's method runs as a subtest under several parents (a
/// conformance kit per backend), or twice under one (two suites with a
/// method of the same name, TestX and TestX#01), or beside a nested
/// subtest named like it; its goroutine's creator chain names its own
/// run. The rule that names a suite method's subtest by the code a
/// goroutine runs (for a later method's job on a bus an earlier one
/// started, above) took the first subtest of that name: a clean backend's
/// run was reported as leaking and the leaking one passed (helper-153).
/// It still finds the later method's run from a bus a subtest of an
/// earlier method started, or the test before its one backend
/// (helper-154).
#[test]
fn a_suite_methods_leak_is_its_own_runs_under_every_parent() {
    let m = temp_module(&[
        ("kits/kits_test.go", SUITE_KITS_TESTS),
        ("kits/run_test.go", &suite_runner("kits")),
    ]);
    let run = run_in(m.path(), &["./kits", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(
        leaked,
        [
            "TestBackends",
            "TestBackends/disk",
            "TestBackends/disk/TestWatch",
            "TestLazyBus",
            "TestLazyBus/TestA",
            "TestLazyBus/TestA/first",
            "TestLazyBus/TestB",
            "TestNested",
            "TestNested/TestB",
            "TestNested/TestInner",
            "TestNested/TestInner/inner",
            "TestOneBackend",
            "TestOneBackend/mem",
            "TestOneBackend/mem/TestB",
            "TestRowNamedLikeAMethod",
            "TestRowNamedLikeAMethod/TestB",
            "TestTwoKits",
            "TestTwoKits/TestX#01",
        ],
        "{out}"
    );
}

/// A test file of package `pkg` with `run`, which runs each Test method of
/// a suite as a subtest, as testify's suite.Run does (without testify).
fn suite_runner(pkg: &str) -> String {
    format!(
        r#"package {pkg}

import (
	"reflect"
	"strings"
	"testing"
)

// run runs each Test method of s as a subtest, as testify's suite.Run does.
func run(t *testing.T, s any) {{
	v := reflect.ValueOf(s)
	for i := 0; i < v.NumMethod(); i++ {{
		m := v.Type().Method(i)
		if !strings.HasPrefix(m.Name, "Test") {{
			continue
		}}
		t.Run(m.Name, func(t *testing.T) {{
			v.Method(i).Call([]reflect.Value{{reflect.ValueOf(t)}})
		}})
	}}
}}
"#
    )
}

const SUITE_KITS_TESTS: &str = r#"package kits

import (
	"sync"
	"testing"
)

// storeKit is a conformance kit every backend runs; only disk's watcher
// is never stopped.
type storeKit struct{ backend string }

func (k *storeKit) TestGet(t *testing.T) {}

func (k *storeKit) TestWatch(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
	if k.backend != "disk" {
		close(stop)
	}
}

func TestBackends(t *testing.T) {
	for _, b := range []string{"mem", "disk", "sql"} {
		t.Run(b, func(t *testing.T) { run(t, &storeKit{backend: b}) })
	}
}

type cleanKit struct{}

func (cleanKit) TestX(t *testing.T) {}

type leakyKit struct{}

func (leakyKit) TestX(t *testing.T) { go func() { select {} }() }

func TestTwoKits(t *testing.T) {
	run(t, cleanKit{})
	run(t, leakyKit{})
}

type nestedKit struct{}

func (nestedKit) TestA(t *testing.T) { t.Run("TestB", func(t *testing.T) {}) }

func (nestedKit) TestB(t *testing.T) { go func() { select {} }() }

func (nestedKit) TestInner(t *testing.T) {
	t.Run("inner", func(t *testing.T) {
		go func() { select {} }()
	})
}

func TestNested(t *testing.T) { run(t, nestedKit{}) }

// bus runs each job it is handed on a goroutine of its own.
type bus struct{ jobs chan func() }

func newBus() *bus {
	b := &bus{jobs: make(chan func())}
	go b.loop()
	return b
}

func (b *bus) loop() {
	for job := range b.jobs {
		go job()
	}
}

var (
	once sync.Once
	lazy *bus
)

func lazyBus() *bus {
	once.Do(func() { lazy = newBus() })
	return lazy
}

// The bus starts in a subtest of an earlier method; a later method's job
// sticks on it.
type lazyKit struct{}

func (lazyKit) TestA(t *testing.T) { t.Run("first", func(t *testing.T) { lazyBus() }) }

func (lazyKit) TestB(t *testing.T) {
	started := make(chan struct{})
	lazyBus().jobs <- func() {
		close(started)
		select {}
	}
	<-started
}

func TestLazyBus(t *testing.T) { run(t, lazyKit{}) }

// The test starts the bus, and runs the kit under one backend.
type busKit struct{ b *bus }

func (busKit) TestA(t *testing.T) {}

func (k busKit) TestB(t *testing.T) {
	started := make(chan struct{})
	k.b.jobs <- func() {
		close(started)
		select {}
	}
	<-started
}

func TestOneBackend(t *testing.T) {
	b := newBus()
	t.Run("mem", func(t *testing.T) { run(t, busKit{b}) })
}

// A subtest of TestA named like the method TestB is no run of it.
type rowKit struct{ b *bus }

func (rowKit) TestA(t *testing.T) { t.Run("TestB", func(t *testing.T) {}) }

func (k rowKit) TestB(t *testing.T) {
	started := make(chan struct{})
	k.b.jobs <- func() {
		close(started)
		select {}
	}
	<-started
}

func TestRowNamedLikeAMethod(t *testing.T) { run(t, rowKit{newBus()}) }
"#;

/// A function of a non-test file named like a test (HashiCorp's
/// `TestServer(t testing.T)` helpers) is the package's code, not another
/// test's: the callback it gives time.AfterFunc is the leak of the test
/// that called it, as under any other name. By its name alone it went to
/// TestMain, and the test passed (helper-153).
#[test]
fn a_helper_named_like_a_test_is_the_packages_code() {
    let m = temp_module(&[
        ("srv/srv.go", TEST_NAMED_HELPER),
        ("srv/srv_test.go", TEST_NAMED_HELPER_TESTS),
    ]);
    let run = run_in(m.path(), &["./srv", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(leaked, ["TestLikeATest", "TestNamedNormally"], "{out}");
    let pkg = format!("{M}srv");
    assert_eq!(run.verdict(&pkg, "TestClean"), "passed", "{out}");
}

const TEST_NAMED_HELPER: &str = r#"package srv

import "time"

var (
	started = make(chan struct{}, 1)
	stuck   = make(chan struct{})
)

// TestServerDelayed starts a server for tests after a short delay; its
// start blocks forever once it said it began.
func TestServerDelayed() {
	time.AfterFunc(time.Millisecond, func() {
		started <- struct{}{}
		<-stuck
	})
}

// NewServerDelayed is the same under another name.
func NewServerDelayed() {
	time.AfterFunc(time.Millisecond, func() {
		started <- struct{}{}
		<-stuck
	})
}
"#;

const TEST_NAMED_HELPER_TESTS: &str = r#"package srv

import "testing"

func TestLikeATest(t *testing.T) {
	TestServerDelayed()
	<-started
}

func TestNamedNormally(t *testing.T) {
	NewServerDelayed()
	<-started
}

func TestClean(t *testing.T) {}
"#;

const SUITE_BUS_TESTS: &str = r#"package lazybus

import "testing"

type busSuite struct{}

func (busSuite) TestA_FirstUse(t *testing.T) {
	done := make(chan struct{})
	Publish("a", func(string) { close(done) })
	<-done
}

func (busSuite) TestB_Stuck(t *testing.T) {
	started, block := make(chan struct{}), make(chan struct{})
	Publish("x", func(string) {
		close(started)
		<-block
	})
	<-started
}

func (busSuite) TestC_Clean(t *testing.T) {}

func TestBus(t *testing.T) { run(t, busSuite{}) }

func TestOther(t *testing.T) {}
"#;

/// A stuck job a test handed a bus it did not start stays that test's
/// leak when the bus runs the test's other jobs after it returned: a quick
/// one, or a second stuck one (the bus starts one job at a time). They
/// made the stuck job count as the bus's own repeated work; the test
/// passed, and the leak went to TestMain or was lost (helper-100).
#[test]
fn a_stuck_job_stays_the_tests_when_the_bus_runs_its_later_jobs() {
    let m = temp_module(&[
        ("ratebus/bus.go", RATE_LIMITED_BUS),
        ("ratebus/bus_test.go", RATE_LIMITED_BUS_TESTS),
        (
            "leakcheck.toml",
            "[[ignore]]\nname = \"bus\"\ntop_function = \"example.com/tmp/ratebus.(*bus).dispatch\"\nreason = \"the bus lives as long as the process\"\n",
        ),
    ]);
    let run = run_in(m.path(), &["./ratebus", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let leaked: Vec<String> = run.leaked().into_iter().map(|(_, name)| name).collect();
    assert_eq!(leaked, ["TestStuckHandler", "TestStuckHandlers"], "{out}");
    assert!(
        out.contains("ratebus.TestStuckHandler.func1 (ratebus/bus_test.go"),
        "{out}"
    );
    assert!(
        out.contains("ratebus.TestStuckHandlers.func1 (ratebus/bus_test.go"),
        "{out}"
    );
}

const RATE_LIMITED_BUS: &str = r#"// Package ratebus runs published handlers, at most one every 100ms, each on
// a goroutine of its own that recovers its panics, from a dispatcher
// started on first use.
package ratebus

import (
	"log"
	"sync"
	"time"
)

type bus struct{ jobs chan func() }

var (
	once    sync.Once
	current *bus
)

func get() *bus {
	once.Do(func() {
		current = &bus{jobs: make(chan func(), 16)}
		go current.dispatch()
	})
	return current
}

func (b *bus) dispatch() {
	limit := time.NewTicker(100 * time.Millisecond)
	for job := range b.jobs {
		go func() {
			defer func() {
				if r := recover(); r != nil {
					log.Printf("ratebus: handler panicked: %v", r)
				}
			}()
			job()
		}()
		<-limit.C
	}
}

// Publish queues handler; the bus runs it with topic.
func Publish(topic string, handler func(string)) {
	get().jobs <- func() { handler(topic) }
}
"#;

const RATE_LIMITED_BUS_TESTS: &str = r#"package ratebus

import (
	"testing"
	"time"
)

func TestFirstUse(t *testing.T) {
	done := make(chan struct{})
	Publish("a", func(string) { close(done) })
	<-done
}

// TestStuckHandler publishes a handler that waits for a reply nobody
// sends, then an audit event whose handler takes a while.
func TestStuckHandler(t *testing.T) {
	started, reply := make(chan struct{}), make(chan struct{})
	Publish("b", func(string) {
		close(started)
		<-reply
	})
	<-started
	Publish("audit", func(string) { time.Sleep(30 * time.Millisecond) })
}

// TestStuckHandlers publishes two handlers that never return.
func TestStuckHandlers(t *testing.T) {
	started, block := make(chan string, 2), make(chan struct{})
	for _, topic := range []string{"c", "d"} {
		Publish(topic, func(topic string) {
			started <- topic
			<-block
		})
	}
	<-started
}

func TestSlow(t *testing.T) { time.Sleep(100 * time.Millisecond) }
"#;

const WRAPPING_BUS: &str = r#"// Package wrapbus serves each request on a goroutine of its own,
// recovering its panics, from a dispatcher the default bus starts in init.
package wrapbus

import "log"

// Bus hands requests to its dispatcher.
type Bus struct {
	jobs chan func()
	// Trace, when set, is told of each request as it is served.
	Trace func(topic string)
}

// Default is the process's bus.
var Default = &Bus{jobs: make(chan func())}

func init() {
	go Default.dispatch()
}

func (b *Bus) dispatch() {
	for job := range b.jobs {
		go func() {
			defer func() {
				if r := recover(); r != nil {
					log.Printf("wrapbus: request panicked: %v", r)
				}
			}()
			job()
		}()
	}
}

// Request publishes topic and returns the channel its reply comes on.
//
//go:noinline
func (b *Bus) Request(topic string) <-chan string {
	reply, trace := make(chan string), b.Trace
	b.jobs <- func() {
		if trace != nil {
			trace(topic)
		}
		reply <- "re: " + topic
	}
	return reply
}
"#;

const WRAPPING_BUS_TESTS: &str = r#"package wrapbus

import "testing"

func TestRequestReply(t *testing.T) {
	if got := <-Default.Request("a"); got != "re: a" {
		t.Fatalf("got %q", got)
	}
}

func TestRequestIgnored(t *testing.T) {
	served := make(chan struct{})
	Default.Trace = func(string) { close(served) }
	defer func() { Default.Trace = nil }()
	Default.Request("b")
	<-served
}

func TestClean(t *testing.T) {}
"#;

const LAZY_BUS: &str = r#"// Package lazybus runs each published handler on a goroutine of its own,
// from a dispatcher started on first use.
package lazybus

import "sync"

type bus struct {
	jobs chan func()
}

var (
	once    sync.Once
	current *bus
)

func get() *bus {
	once.Do(func() {
		current = &bus{jobs: make(chan func())}
		go current.dispatch()
	})
	return current
}

func (b *bus) dispatch() {
	for job := range b.jobs {
		go job()
	}
}

// Publish hands handler to the bus, which runs it with topic.
func Publish(topic string, handler func(string)) {
	get().jobs <- func() { handler(topic) }
}
"#;

const LAZY_BUS_TESTS: &str = r#"package lazybus

import "testing"

func TestFirstUse(t *testing.T) {
	done := make(chan struct{})
	Publish("a", func(string) { close(done) })
	<-done
}

func TestStuckHandler(t *testing.T) {
	started, block := make(chan struct{}), make(chan struct{})
	Publish("b", func(string) {
		close(started)
		<-block
	})
	<-started
}

func TestCleanHandler(t *testing.T) {
	done := make(chan struct{})
	Publish("c", func(string) { close(done) })
	<-done
}
"#;

// A subtest's T kept from the test's first run and handed to a test-file
// function in its second is no subtest goroutine of the second run: counted
// as one, with an init goroutine exiting meanwhile, it made up for the
// second run's leak, which was reported after the last test (helper-129).
const STALE_SUBTEST_T: &str = r#"package stale

import (
	"sync"
	"testing"
)

var (
	saved *testing.T
	quit  = make(chan struct{})
	gone  = make(chan struct{})
)

func init() {
	go func() {
		<-quit
		close(gone)
	}()
}

func check(t *testing.T) { _ = t.Name() }

func TestA(t *testing.T) {
	if saved == nil {
		t.Run("x", func(t *testing.T) { saved = t })
		return
	}
	t.Run("y", func(t *testing.T) {})
	check(saved)
	close(quit)
	<-gone
	go func() { select {} }()
}

func TestZ(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go wg.Done()
	wg.Wait()
}
"#;

#[test]
fn a_subtests_t_from_an_earlier_run_is_no_subtest_of_a_later_one() {
    let m = temp_module(&[("stale/a_test.go", STALE_SUBTEST_T)]);
    let run = run_in(m.path(), &["--", "-count=2"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let runs: Vec<(u64, String)> = run
        .runs(&format!("{M}stale"))
        .into_iter()
        .filter(|t| t.name == "TestA")
        .map(|t| (t.run, t.verdict))
        .collect();
    assert_eq!(runs, [(1, "passed".to_string()), (2, "leaked".to_string())], "{out}");
    assert!(run.package(&format!("{M}stale"))["main_leak"].is_null(), "{out}");
}

// A subtest a fixture's worker runs, blocked for good, while a fixture
// shuts down as its test runs: the goroutines alive are as many as when
// the test began, and the creation counter moved by the one subtest. The
// subtest is not done, so its test is looked at: it leaked, and the closure
// the next test hands the blocked subtest is not that test's leak
// (helper-130: the test passed, the goroutine was reported after the last
// test, or blamed on the next test).
const BLOCKED_SUBTEST_ON_A_WORKER: &str = r#"package blocked

import (
	"os"
	"sync"
	"testing"
)

var (
	pool = make(chan func())
	work = make(chan func())
	stop = make(chan struct{})
	gone = make(chan struct{})
)

func TestMain(m *testing.M) {
	go func() {
		for f := range pool {
			f()
		}
	}()
	go func() {
		<-stop
		close(gone)
	}()
	os.Exit(m.Run())
}

func TestA(t *testing.T) {
	started := make(chan struct{})
	pool <- func() {
		t.Run("row", func(t *testing.T) {
			close(started)
			f := <-work
			f()
		})
	}
	<-started
	close(stop)
	<-gone
}

func TestB(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go wg.Done()
	wg.Wait()
	work <- func() { select {} }
}
"#;

#[test]
fn a_subtest_still_blocked_is_looked_at_though_as_many_goroutines_are_alive() {
    let m = temp_module(&[("blocked/a_test.go", BLOCKED_SUBTEST_ON_A_WORKER)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}blocked");
    assert_eq!(run.verdict(&pkg, "TestA/row"), "leaked", "{out}");
    assert_eq!(run.verdict(&pkg, "TestB"), "passed", "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
}

// A C thread calling into Go gets a goroutine the creation counter does not
// count: a test whose call leaves one blocked is looked at, since more
// goroutines are alive than when it began (helper-130: reported after the
// last test).
const CGO_CALLBACK_BLOCKS: &str = r#"package cgocb

/*
#include <pthread.h>
extern void goBlock(void);
static void* run(void* arg) { goBlock(); return 0; }
static void startThread(void) {
	pthread_t t;
	pthread_create(&t, 0, run, 0);
	pthread_detach(t);
}
*/
import "C"

var (
	entered = make(chan struct{}, 1)
	never   = make(chan struct{})
)

//export goBlock
func goBlock() {
	entered <- struct{}{}
	<-never
}

// StartThread starts a C thread that calls into Go, and waits until it has.
func StartThread() {
	C.startThread()
	<-entered
}
"#;

#[test]
fn a_goroutine_of_a_c_threads_call_into_go_is_the_tests() {
    let m = temp_module(&[
        ("cgocb/c.go", CGO_CALLBACK_BLOCKS),
        (
            "cgocb/c_test.go",
            "package cgocb\n\nimport \"testing\"\n\nfunc TestCallback(t *testing.T) { StartThread() }\n",
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[("CGO_ENABLED", "1")]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}cgocb");
    assert_eq!(run.verdict(&pkg, "TestCallback"), "leaked", "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
}

// A native library's completion callback: a C thread calls into Go 200ms
// later, which ends the goroutine waiting for it.
const CGO_CALLBACK_WAKES: &str = r#"package cgowake

/*
#include <pthread.h>
#include <unistd.h>
extern void goWake(void);
static void* waker(void* arg) { usleep(200000); goWake(); return 0; }
static void startWaker(void) {
	pthread_t t;
	pthread_create(&t, 0, waker, 0);
	pthread_detach(t);
}
*/
import "C"

var wake = make(chan struct{})

//export goWake
func goWake() { close(wake) }

// WaitForNative waits, on a goroutine of its own, for the callback.
func WaitForNative() {
	go func() { <-wake }()
	C.startWaker()
}
"#;

#[test]
fn a_goroutine_a_c_threads_call_will_end_is_waited_for() {
    // helper-147: every goroutine blocked, no timer due, so the check
    // ended its wait at once and reported the goroutine the callback ends
    // 200ms later; the runtime does not know of C's threads. A program
    // that exports Go functions to C is never quiet.
    let m = temp_module(&[
        ("cgowake/c.go", CGO_CALLBACK_WAKES),
        (
            "cgowake/c_test.go",
            "package cgowake\n\nimport \"testing\"\n\nfunc TestNativeCallback(t *testing.T) { WaitForNative() }\n",
        ),
    ]);
    let run = run_in(m.path(), &["--grace", "10s", "--", "-count=1"], &[("CGO_ENABLED", "1")]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{out}");
    assert_eq!(
        run.verdict(&format!("{M}cgowake"), "TestNativeCallback"),
        "passed",
        "{out}"
    );
}

// A subtest run by a worker whose function (a non-test file's wrapper)
// registers a cleanup that blocks before the test file's code runs: the
// subtest began on a goroutine t.Run started on the worker, so its test is
// looked at (helper-132: a cleanup the helper registered ran first, the
// subtest was taken for done, and its goroutine was reported after the
// last test).
const BLOCKING_CLEANUP_ROW: &str = r#"package latesub

import "testing"

// Row is a subtest that registers cleanup before it runs check.
func Row(cleanup func(), check func(*testing.T)) func(*testing.T) {
	return func(t *testing.T) {
		t.Cleanup(cleanup)
		check(t)
	}
}
"#;

const BLOCKING_CLEANUP_TEST: &str = r#"package latesub

import (
	"testing"
	"time"
)

var (
	jobs = make(chan func())
	quit = make(chan struct{})
	gone = make(chan struct{})
)

func init() {
	go func() {
		for f := range jobs {
			f()
		}
	}()
	go func() {
		<-quit
		close(gone)
	}()
}

func TestLateSub(t *testing.T) {
	started := make(chan struct{})
	jobs <- func() {
		t.Run("row", Row(func() {
			close(started)
			select {}
		}, func(t *testing.T) {}))
	}
	<-started
	close(quit)
	<-gone
	// The daemon returns: as many goroutines are alive as when the test
	// began.
	time.Sleep(5 * time.Millisecond)
}
"#;

// A subtest of a test's first run, still running in its second, that
// calls a test-file function there is no subtest of the second run: its
// goroutine, created in the first run, exiting in the second made up for
// the second run's leak, reported after the last test (helper-132).
const SUBTEST_OF_AN_EARLIER_RUN: &str = r#"package escape

import "testing"

var (
	gate    = make(chan struct{})
	checked = make(chan struct{})
	runs    int
)

func check(t *testing.T) { close(checked) }

func TestEscapes(t *testing.T) {
	runs++
	if runs == 1 {
		started := make(chan struct{})
		go t.Run("x", func(t *testing.T) {
			close(started)
			<-gate
			check(t)
		})
		<-started
		return
	}
	close(gate)
	<-checked
	go func() { select {} }()
}

func TestOther(t *testing.T) {}
"#;

#[test]
fn a_subtest_not_started_by_its_tests_goroutine_gets_its_test_looked_at() {
    let m = temp_module(&[
        ("latesub/row.go", BLOCKING_CLEANUP_ROW),
        ("latesub/l_test.go", BLOCKING_CLEANUP_TEST),
        ("escape/e_test.go", SUBTEST_OF_AN_EARLIER_RUN),
    ]);
    let run = run_in(m.path(), &["./latesub", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}latesub");
    assert_eq!(run.verdict(&pkg, "TestLateSub/row"), "leaked", "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");

    let run = run_in(m.path(), &["./escape", "--", "-count=2"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}escape");
    let runs: Vec<(u64, String)> = run
        .runs(&pkg)
        .into_iter()
        .filter(|t| t.name == "TestEscapes")
        .map(|t| (t.run, t.verdict))
        .collect();
    assert_eq!(runs, [(1, "leaked".to_string()), (2, "leaked".to_string())], "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
}

// A parallel subtest that calls its parent's Run once the parent waits for
// its subtests: testing no longer waits for the new subtest, which stays
// blocked when the parent's check runs. It began on its sibling's
// goroutine, not its parent's: the test is looked at (helper-133: it passed,
// and the goroutine was reported after the last test).
const LATE_PARALLEL_SUBTEST: &str = r#"package latepar

import (
	"testing"
	"time"
)

var (
	quit  = make(chan struct{})
	gone  = make(chan struct{})
	never = make(chan struct{})
)

func init() {
	go func() {
		<-quit
		close(gone)
	}()
}

func TestLateParallel(t *testing.T) {
	parent := t
	t.Run("a", func(t *testing.T) {
		t.Parallel()
		// The parent's function has returned; it is about to wait for
		// the subtests it has.
		time.Sleep(10 * time.Millisecond)
		parent.Run("b", func(t *testing.T) {
			t.Parallel()
			<-never
		})
		close(quit)
		<-gone
		time.Sleep(time.Millisecond)
	})
}
"#;

#[test]
fn a_subtest_its_sibling_starts_late_gets_its_test_looked_at() {
    let m = temp_module(&[("latepar/l_test.go", LATE_PARALLEL_SUBTEST)]);
    let run = run_in(m.path(), &["--", "-count=1", "-timeout=60s"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}latepar");
    assert_eq!(run.verdict(&pkg, "TestLateParallel/b"), "leaked", "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
}

// A subtest's parent is told by testing's link to it, not by its name: a
// late parallel subtest named "a/b" is the test's, not a's; and run 2 of a
// test calling Run on run 1's T starts a subtest of run 1 that nothing
// waits for (helper-134: both were counted, their leaks reported after the
// last test).
const SUBTEST_OF_AN_EARLIER_RUNS_T: &str = r#"package oldparent

import (
	"testing"
	"time"
)

var (
	quit  = make(chan struct{})
	gone  = make(chan struct{})
	never = make(chan struct{})
	old   *testing.T
)

func init() {
	go func() {
		<-quit
		close(gone)
	}()
}

func TestOld(t *testing.T) {
	if old == nil {
		old = t
		t.Run("p", func(t *testing.T) { t.Parallel() })
		return
	}
	old.Run("y", func(t *testing.T) {
		close(quit)
		t.Parallel()
		<-never
	})
	<-gone
	time.Sleep(time.Millisecond)
}

func TestOther(t *testing.T) {}
"#;

#[test]
fn a_subtest_is_counted_by_its_parent_not_by_its_name() {
    // The late parallel subtest above, named "a/b".
    let misnamed = LATE_PARALLEL_SUBTEST
        .replace("package latepar", "package misnamed")
        .replace(r#"parent.Run("b""#, r#"parent.Run("a/b""#);
    let m = temp_module(&[
        ("misnamed/m_test.go", &misnamed),
        ("oldparent/o_test.go", SUBTEST_OF_AN_EARLIER_RUNS_T),
    ]);
    let run = run_in(m.path(), &["./misnamed", "--", "-count=1", "-timeout=60s"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}misnamed");
    assert_eq!(run.verdict(&pkg, "TestLateParallel/a/b"), "leaked", "{out}");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");

    let run = run_in(m.path(), &["./oldparent", "--", "-count=2", "-timeout=60s"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    let pkg = format!("{M}oldparent");
    assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
    let leaked: Vec<String> = run
        .runs(&pkg)
        .into_iter()
        .filter(|t| t.verdict == "leaked")
        .map(|t| t.name)
        .collect();
    assert!(leaked.iter().any(|n| n == "TestOld/y"), "{out}");
}

// A generic function run as a subtest (`t.Run("int", leaks[int])`): its
// leak is the subtest's, as any other function's given a T (the rewrite
// skipped generic functions, and blamed the parent: helper-143).
#[test]
fn a_generic_functions_leak_is_its_subtests() {
    let m = temp_module(&[(
        "generic/generic_test.go",
        "package generic\n\nimport \"testing\"\n\nfunc leaks[V any](t *testing.T) {\n\tvar v V\n\tgo func() {\n\t\t_ = v\n\t\tselect {}\n\t}()\n}\n\nfunc clean[V any](t *testing.T) {}\n\n\
         func TestGeneric(t *testing.T) {\n\tt.Run(\"int\", leaks[int])\n\tt.Run(\"string\", clean[string])\n}\n",
    )]);
    let pkg = format!("{M}generic");
    for env in [
        &[][..],
        &[("LEAKCHECK_ALWAYS_LOOK", "1")],
        &[("LEAKCHECK_PLAIN_RUNTIME", "1")],
    ] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        assert_eq!(run.code(), 1, "{env:?}: {}", run.stdout());
        let tests = run.tests();
        let t = |name: &str| &tests[&(pkg.clone(), name.to_string())];
        assert_eq!(t("TestGeneric/int")["verdict"], "leaked", "{env:?}: {}", run.stdout());
        assert_eq!(t("TestGeneric/int")["leak"]["total"], 1, "{env:?}: {}", run.stdout());
        assert_eq!(
            t("TestGeneric/string")["verdict"],
            "passed",
            "{env:?}: {}",
            run.stdout()
        );
        assert!(run.package(&pkg)["main_leak"].is_null(), "{env:?}: {}", run.stdout());
    }
}

// Two subtests whose functions (not in a test file) each hand the other's
// T to a test-file function first: each goroutine was taken for the other
// subtest's, whose parent's goroutine started it, and a subtest of a
// finished parent, still blocked, was counted (helper-135). A goroutine is
// counted only for the T its testing.tRunner frame runs.
const SWAPPED_SUBTESTS_LIB: &str = r#"package swap

import "testing"

var (
	CT, LateT *testing.T
	Touch     func(*testing.T)
	Stop      func()
	never     = make(chan struct{})
)

// FC hands the late subtest's T to Touch once it runs in parallel.
func FC(t *testing.T) {
	CT = t
	t.Parallel()
	Touch(LateT)
	Stop()
}

// FLate hands FC's T to Touch, then blocks for good.
func FLate(t *testing.T) {
	LateT = t
	Touch(CT)
	t.Parallel()
	<-never
}
"#;

const SWAPPED_SUBTESTS_TEST: &str = r#"package swap

import (
	"testing"
	"time"
)

var (
	quit = make(chan struct{})
	gone = make(chan struct{})
)

func init() {
	go func() {
		<-quit
		close(gone)
	}()
	Touch = touch
	Stop = func() {
		close(quit)
		<-gone
		time.Sleep(time.Millisecond)
	}
}

func touch(t *testing.T) {}

func TestSwap(t *testing.T) {
	top := t
	var a *testing.T
	t.Run("a", func(t *testing.T) {
		a = t
		t.Run("p", func(t *testing.T) { t.Parallel() })
		top.Run("c", FC)
	})
	a.Run("late", FLate)
}
"#;

#[test]
fn a_goroutine_is_counted_only_for_the_subtest_it_runs() {
    // The same with the test-file function named `new` (leakcheck renames
    // it leakcheckUser_new) or leakcheckTouch, and a later test that ends
    // what FLate left: a subtest's start that took such a function for
    // one of the helper's own took the T it was given for the one its
    // goroutine runs, and the run passed (helper-143).
    let later = "\nfunc TestZ(t *testing.T) {\n\tclose(never)\n\ttime.Sleep(10 * time.Millisecond)\n}\n";
    let renamed = |name: &str| {
        SWAPPED_SUBTESTS_TEST
            .replace("Touch = touch", &format!("Touch = {name}"))
            .replace("func touch(", &format!("func {name}("))
            + later
    };
    let (named_new, named_helper) = (renamed("new"), renamed("leakcheckTouch"));
    // In an external test package, which may declare the helper's exported
    // names and a leakcheckSession of its own (helper-144).
    let external = |pkg: &str, decl: &str, touch: &str| {
        let lib = SWAPPED_SUBTESTS_LIB.replace("package swap", &format!("package {pkg}"))
            + "\n// Close ends what FLate waits for.\nfunc Close() { close(never) }\n";
        let test = SWAPPED_SUBTESTS_TEST
            .replace("package swap\n", &format!("package {pkg}_test\n"))
            .replace("import (\n", &format!("import (\n\t\"{M}{pkg}\"\n"))
            .replace("Touch = touch", &format!("{pkg}.Touch = {touch}"))
            .replace("Stop = func", &format!("{pkg}.Stop = func"))
            .replace("func touch(t *testing.T) {}", decl)
            .replace("top.Run(\"c\", FC)", &format!("top.Run(\"c\", {pkg}.FC)"))
            .replace("a.Run(\"late\", FLate)", &format!("a.Run(\"late\", {pkg}.FLate)"))
            + &format!("\nfunc TestZ(t *testing.T) {{\n\t{pkg}.Close()\n\ttime.Sleep(10 * time.Millisecond)\n}}\n");
        (lib, test)
    };
    let (ext_lib, ext_test) = external(
        "swapext",
        "func LeakcheckInternalSub(t *testing.T) {}",
        "LeakcheckInternalSub",
    );
    let (session_lib, session_test) = external(
        "swapsession",
        "type leakcheckSession struct{}\n\nfunc (s *leakcheckSession) sub(t *testing.T) {}",
        "(&leakcheckSession{}).sub",
    );
    let m = temp_module(&[
        ("swap/lib.go", SWAPPED_SUBTESTS_LIB),
        ("swap/s_test.go", SWAPPED_SUBTESTS_TEST),
        (
            "swapnew/lib.go",
            &SWAPPED_SUBTESTS_LIB.replace("package swap", "package swapnew"),
        ),
        (
            "swapnew/s_test.go",
            &named_new.replace("package swap", "package swapnew"),
        ),
        (
            "swapname/lib.go",
            &SWAPPED_SUBTESTS_LIB.replace("package swap", "package swapname"),
        ),
        (
            "swapname/s_test.go",
            &named_helper.replace("package swap", "package swapname"),
        ),
        ("swapext/lib.go", &ext_lib),
        ("swapext/s_test.go", &ext_test),
        ("swapsession/lib.go", &session_lib),
        ("swapsession/s_test.go", &session_test),
    ]);
    let run = run_in(m.path(), &["--", "-count=1", "-timeout=60s"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    for pkg in ["swap", "swapnew", "swapname", "swapext", "swapsession"] {
        let pkg = format!("{M}{pkg}");
        assert_eq!(run.verdict(&pkg, "TestSwap"), "leaked", "{pkg}: {out}");
        assert!(run.package(&pkg)["main_leak"].is_null(), "{pkg}: {out}");
    }
}

// A cache whose constructor writes the closure its timer runs: small
// enough to be inlined, so the closure is named after the caller
// (example.com/tmp/inl.TestMain.New.func1 in Go 1.21+).
const INLINED_CACHE: &str = r#"package inl

import "time"

// Cache notifies evictions on a channel (an LRU's eviction hook).
type Cache struct {
	Evicted chan string
	expire  func()
}

// New returns a cache whose eviction hook blocks until Evicted is read.
func New() *Cache {
	c := &Cache{Evicted: make(chan string)}
	c.expire = func() { c.Evicted <- "k" }
	return c
}

// Default is the process-wide cache.
var Default = New()

// ExpireAfter evicts the entry after d.
func (c *Cache) ExpireAfter(d time.Duration) { time.AfterFunc(d, c.expire) }
"#;

#[test]
fn an_inlined_functions_closure_is_the_code_of_the_function_it_is_written_in() {
    // helper-147: a closure an inlined constructor wrote was taken for its
    // caller's code: a timer callback armed by a test that ran alone was
    // blamed on TestMain (the cache a TestMain fixture, a package variable,
    // or another test built), or on the parallel test that built it, which
    // leaked nothing. The verdicts are those of `-gcflags=-l`, where the
    // closure is named example.com/tmp/inl.New.func1.
    let fixture = "package inl\n\nimport (\n\t\"os\"\n\t\"testing\"\n\t\"time\"\n)\n\nvar shared *Cache\n\n\
         func TestMain(m *testing.M) {\n\tshared = New()\n\tos.Exit(m.Run())\n}\n\n\
         func TestFixture(t *testing.T) {\n\tshared.ExpireAfter(time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n";
    let other_test = "package inl\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nvar shared *Cache\n\n\
         func TestACreates(t *testing.T) {\n\tshared = New()\n}\n\n\
         func TestBExpires(t *testing.T) {\n\tshared.ExpireAfter(time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n\n\
         func TestDefault(t *testing.T) {\n\tDefault.ExpireAfter(time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n";
    let parallel = "package inl\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nvar (\n\tshared *Cache\n\tready  = make(chan struct{})\n)\n\n\
         func TestACreatesAndServes(t *testing.T) {\n\tt.Parallel()\n\tshared = New()\n\tclose(ready)\n\ttime.Sleep(50 * time.Millisecond)\n}\n\n\
         func TestBExpires(t *testing.T) {\n\tt.Parallel()\n\t<-ready\n\tshared.ExpireAfter(time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n";
    // The constructor of another package, inlined into a test of this one.
    let elsewhere = "package other\n\nimport (\n\t\"testing\"\n\t\"time\"\n\n\t\"example.com/tmp/fixture\"\n)\n\n\
         func TestOtherPackagesCache(t *testing.T) {\n\tfixture.New().ExpireAfter(time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n";
    let lib = |pkg: &str| INLINED_CACHE.replace("package inl", &format!("package {pkg}"));
    let (fixture_lib, othertest_lib, parallel_lib) = (lib("fixture"), lib("othertest"), lib("parallel"));
    let m = temp_module(&[
        ("fixture/cache.go", &fixture_lib),
        (
            "fixture/cache_test.go",
            &fixture.replace("package inl", "package fixture"),
        ),
        ("othertest/cache.go", &othertest_lib),
        (
            "othertest/cache_test.go",
            &other_test.replace("package inl", "package othertest"),
        ),
        ("parallel/cache.go", &parallel_lib),
        (
            "parallel/cache_test.go",
            &parallel.replace("package inl", "package parallel"),
        ),
        ("other/other_test.go", elsewhere),
    ]);
    // -trimpath spells files by import path, as the helper's own.
    for flags in [
        &["-count=1"][..],
        &["-count=1", "-trimpath"],
        &["-count=1", "-gcflags=-l"],
    ] {
        let args: Vec<&str> = ["--"].iter().chain(flags).copied().collect();
        let run = run_in(m.path(), &args, &[]);
        let out = format!("{flags:?}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        let fixture = format!("{M}fixture");
        assert_eq!(run.verdict(&fixture, "TestFixture"), "leaked", "{out}");
        assert!(run.package(&fixture)["main_leak"].is_null(), "{out}");
        let othertest = format!("{M}othertest");
        assert_eq!(run.verdict(&othertest, "TestACreates"), "passed", "{out}");
        assert_eq!(run.verdict(&othertest, "TestBExpires"), "leaked", "{out}");
        assert_eq!(run.verdict(&othertest, "TestDefault"), "leaked", "{out}");
        assert!(run.package(&othertest)["main_leak"].is_null(), "{out}");
        // A parallel test's timer callback is TestMain's (README, Limits),
        // never the test's that built the cache.
        let parallel = format!("{M}parallel");
        assert_eq!(run.verdict(&parallel, "TestACreatesAndServes"), "passed", "{out}");
        let other = format!("{M}other");
        assert_eq!(run.verdict(&other, "TestOtherPackagesCache"), "leaked", "{out}");
        assert!(run.package(&other)["main_leak"].is_null(), "{out}");
    }
}

const SUBTEST_DISPATCHER: &str = r#"package subjob

// Dispatcher runs each submitted job on a goroutine of its own.
type Dispatcher struct {
	jobs chan func()
	stop chan struct{}
}

// New starts a dispatcher.
func New() *Dispatcher {
	d := &Dispatcher{jobs: make(chan func()), stop: make(chan struct{})}
	go d.loop()
	return d
}

func (d *Dispatcher) loop() {
	for {
		select {
		case j := <-d.jobs:
			go j()
		case <-d.stop:
			return
		}
	}
}

// Submit hands j to the dispatcher.
func (d *Dispatcher) Submit(j func()) { d.jobs <- j }

// Close stops the dispatcher.
func (d *Dispatcher) Close() { close(d.stop) }
"#;

const DISPATCHER_SUBTESTS: &str = r#"package subjob

import (
	"testing"
	"time"
)

// A sibling started the dispatcher; "use" handed it the job that never returns.
func TestSibling(t *testing.T) {
	var d *Dispatcher
	t.Run("start", func(t *testing.T) { d = New() })
	t.Run("use", func(t *testing.T) {
		d.Submit(func() { select {} })
		time.Sleep(5 * time.Millisecond)
	})
	d.Close()
}

// The test started it; its subtests hand it jobs, in parallel.
func TestShared(t *testing.T) {
	d := New()
	t.Cleanup(d.Close)
	t.Run("group", func(t *testing.T) {
		t.Run("clean", func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			d.Submit(func() { close(done) })
			<-done
		})
		t.Run("leaky", func(t *testing.T) {
			t.Parallel()
			d.Submit(func() { select {} })
			time.Sleep(5 * time.Millisecond)
		})
	})
}

// A callback a subtest gave time.AfterFunc, nobody reading what it sends.
func TestCallback(t *testing.T) {
	t.Run("leaky", func(t *testing.T) {
		out := make(chan string)
		time.AfterFunc(time.Millisecond, func() { out <- "expired" })
		time.Sleep(5 * time.Millisecond)
	})
	t.Run("clean", func(t *testing.T) {})
}

// A closure "a" wrote, started by "b": b's.
func TestStartedBySibling(t *testing.T) {
	var f func()
	t.Run("a", func(t *testing.T) { f = func() { select {} } })
	t.Run("b", func(t *testing.T) {
		go f()
		time.Sleep(5 * time.Millisecond)
	})
}

// What a subtest's own goroutine starts is that subtest's, whoever wrote
// the code (helper-149): a row's worker started in a check closure its
// parent subtest wrote; a "listen" closure "setup" wrote, called by "use";
// a hook "register" registered, started by the parent after it returned.
func TestOwnGoroutines(t *testing.T) {
	t.Run("close", func(t *testing.T) {
		check := func(t *testing.T, stop bool) {
			d := New()
			if stop {
				d.Close()
			}
		}
		for _, stop := range []bool{true, false} {
			t.Run("row", func(t *testing.T) { check(t, stop) })
		}
	})
	var listen func()
	t.Run("setup", func(t *testing.T) { listen = func() { go func() { select {} }() } })
	t.Run("use", func(t *testing.T) { listen() })
	var hooks []func()
	t.Run("register", func(t *testing.T) { hooks = append(hooks, func() { select {} }) })
	for _, h := range hooks {
		go h()
	}
	time.Sleep(5 * time.Millisecond)
}

// What a go-between goroutine a subtest's goroutine started starts is
// that subtest's too (helper-150): "use" runs the spawner "setup" wrote on
// a goroutine of its own; "publish" fires the hook "register" stored
// through the bus's own goroutine.
func TestGoBetween(t *testing.T) {
	var spawn func()
	t.Run("setup", func(t *testing.T) { spawn = func() { go func() { select {} }() } })
	t.Run("use", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			spawn()
			close(done)
		}()
		<-done
	})
	var hooks []func()
	t.Run("register", func(t *testing.T) { hooks = append(hooks, func() { select {} }) })
	t.Run("publish", func(t *testing.T) {
		fire := append([]func(){}, hooks...)
		go func() {
			for _, h := range fire {
				go h()
			}
		}()
		time.Sleep(5 * time.Millisecond)
	})
}

var bus = New()

// A hook "register" wrote, handed by "publish" to a daemon package
// initialization started: a job, not told by its code.
func TestInitBus(t *testing.T) {
	var hook func()
	t.Run("register", func(t *testing.T) { hook = func() { select {} } })
	t.Run("publish", func(t *testing.T) {
		bus.Submit(hook)
		time.Sleep(5 * time.Millisecond)
	})
}

// A table test's rows share their function: no row is told by its code.
func TestRows(t *testing.T) {
	d := New()
	defer d.Close()
	for _, stuck := range []bool{false, true} {
		t.Run("row", func(t *testing.T) {
			if stuck {
				d.Submit(func() { select {} })
			}
			time.Sleep(5 * time.Millisecond)
		})
	}
}
"#;

#[test]
fn a_subtests_callback_is_its_leak_and_what_its_goroutine_starts_keeps_its_chain() {
    // helper-147: a callback a subtest gave time.AfterFunc was blamed on
    // the top-level test alone. Now the subtest whose own function wrote
    // the code; never a table test's row by its code, and never against
    // the creator chain of what a subtest's goroutine started.
    let m = temp_module(&[
        ("subjob/d.go", SUBTEST_DISPATCHER),
        ("subjob/d_test.go", DISPATCHER_SUBTESTS),
    ]);
    let pkg = format!("{M}subjob");
    for env in [&[][..], &[("LEAKCHECK_PLAIN_RUNTIME", "1")]] {
        let run = run_in(m.path(), &["--", "-count=1"], env);
        let out = format!("{env:?}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        let v = |name: &str| run.verdict(&pkg, name);
        for (name, want) in [
            // A daemon's job goes by its creator chain (the subtest that
            // started the dispatcher, or the test), not by its code: only
            // when the job was created tells which subtest handed it over
            // (helper-150), and the helper does not know that.
            ("TestSibling", "leaked"),
            ("TestShared", "leaked"),
            ("TestShared/group/clean", "passed"),
            ("TestCallback/leaky", "leaked"),
            ("TestCallback/clean", "passed"),
            ("TestStartedBySibling/a", "passed"),
            ("TestStartedBySibling/b", "leaked"),
            ("TestRows/row", "passed"),
            ("TestRows/row#01", "passed"),
            ("TestRows", "leaked"),
            ("TestOwnGoroutines/close/row", "passed"),
            ("TestOwnGoroutines/close/row#01", "leaked"),
            ("TestOwnGoroutines/setup", "passed"),
            ("TestOwnGoroutines/use", "leaked"),
            ("TestOwnGoroutines/register", "passed"),
            ("TestGoBetween/setup", "passed"),
            ("TestGoBetween/use", "leaked"),
            ("TestGoBetween/register", "passed"),
            ("TestGoBetween/publish", "leaked"),
            ("TestInitBus", "leaked"),
            ("TestInitBus/register", "passed"),
        ] {
            assert_eq!(v(name), want, "{name}: {out}");
        }
        // The hook the parent started is the parent's alone.
        let own = &run.tests()[&(pkg.clone(), "TestOwnGoroutines".to_string())];
        assert_eq!(own["leak"]["total"], 1, "{out}");
        assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
    }
}

#[test]
fn a_test_that_parks_through_a_helper_of_its_package_runs_none_of_its_code() {
    // helper-147: with `parallel(t)` (t.Helper(), then t.Parallel()) as
    // their first statement, parallel tests counted as having run code
    // before they parked, and a serial test's timer callback leak, written
    // outside the test, went to TestMain: a timer of theirs could fire.
    let lib = "package parhelper\n\nimport \"time\"\n\n\
               // Expire sends on out after d.\nfunc Expire(out chan int, d time.Duration) { time.AfterFunc(d, func() { out <- 1 }) }\n";
    let tests = "package parhelper\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n\
                 func parallel(t *testing.T) {\n\tt.Helper()\n\tt.Parallel()\n}\n\n\
                 func TestParallel(t *testing.T) {\n\tparallel(t)\n\ttime.Sleep(10 * time.Millisecond)\n}\n\n\
                 func TestSerialTimerLeak(t *testing.T) {\n\tExpire(make(chan int), time.Millisecond)\n\ttime.Sleep(5 * time.Millisecond)\n}\n";
    let m = temp_module(&[("parhelper/p.go", lib), ("parhelper/p_test.go", tests)]);
    let pkg = format!("{M}parhelper");
    for flags in [&["-count=1"][..], &["-count=1", "-gcflags=-l"]] {
        let args: Vec<&str> = ["--"].iter().chain(flags).copied().collect();
        let run = run_in(m.path(), &args, &[]);
        let out = format!("{flags:?}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        assert_eq!(run.verdict(&pkg, "TestSerialTimerLeak"), "leaked", "{out}");
        assert_eq!(run.verdict(&pkg, "TestParallel"), "passed", "{out}");
        assert!(run.package(&pkg)["main_leak"].is_null(), "{out}");
    }
}

const GENERATED_BUS: &str = r#"// Code generated by tmplgen. DO NOT EDIT.

package bus

// Bus runs each published job on a goroutine of its own.
type Bus struct{ jobs chan func() }

// Default is the process's bus.
var Default = start()

func start() *Bus {
	b := &Bus{jobs: make(chan func(), 16)}
	go b.dispatch()
	return b
}

func (b *Bus) dispatch() {
	for j := range b.jobs {
		go j()
	}
}

//line bus.tmpl:1
// Subscribe delivers one event to h, recovering its panics.
func (b *Bus) Subscribe(h func(string)) {
	b.jobs <- func() {
		defer func() { recover() }()
		h("ready")
	}
}
"#;

#[test]
fn a_job_is_told_whatever_the_working_directory_and_line_directives_say() {
    // helper-149: the package's directory, read from the working directory,
    // was the module root once an imported package's init moved there (a
    // common "run from the repository root" helper), and a //line file
    // without a directory (generated code) was never in it: the handed job
    // that Subscribe, inlined into the test, wrote was taken for another
    // package's code, and the leak passed (exit 0).
    let chdir = "// Package testinit moves tests to the module root.\npackage testinit\n\n\
                 import (\n\t\"os\"\n\t\"path/filepath\"\n)\n\n\
                 func init() {\n\tdir, _ := os.Getwd()\n\tfor dir != \"/\" {\n\
                 \t\tif _, err := os.Stat(filepath.Join(dir, \"go.mod\")); err == nil {\n\t\t\t_ = os.Chdir(dir)\n\t\t\treturn\n\t\t}\n\
                 \t\tdir = filepath.Dir(dir)\n\t}\n}\n";
    let tests = |imports: &str| {
        format!(
            "package bus\n\nimport (\n\t\"testing\"\n{imports})\n\nvar never = make(chan struct{{}})\n\n\
             func hang(string) {{ <-never }}\n\n\
             func TestSubscribe(t *testing.T) {{\n\tDefault.Subscribe(hang)\n}}\n\n\
             func TestOther(t *testing.T) {{}}\n"
        )
    };
    let (moved, plain) = (tests("\n\t_ \"example.com/tmp/testinit\"\n"), tests(""));
    let m = temp_module(&[
        ("testinit/testinit.go", chdir),
        ("moved/bus.go", GENERATED_BUS),
        ("moved/bus_test.go", &moved),
        ("linedir/bus.go", GENERATED_BUS),
        ("linedir/bus_test.go", &plain),
        // With a directory, as goyacc writes it (helper-150).
        (
            "linesubdir/bus.go",
            &GENERATED_BUS.replace("//line bus.tmpl:1", "//line tmpl/bus.tmpl:1"),
        ),
        ("linesubdir/bus_test.go", &plain),
    ]);
    for flags in [&["-count=1"][..], &["-count=1", "-trimpath"]] {
        let args: Vec<&str> = ["./moved", "./linedir", "./linesubdir", "--"]
            .iter()
            .chain(flags)
            .copied()
            .collect();
        let run = run_in(m.path(), &args, &[]);
        let out = format!("{flags:?}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        for pkg in ["moved", "linedir", "linesubdir"] {
            let pkg = format!("{M}{pkg}");
            assert_eq!(run.verdict(&pkg, "TestSubscribe"), "leaked", "{out}");
            assert_eq!(run.verdict(&pkg, "TestOther"), "passed", "{out}");
        }
    }
}

const SAFE_WRAPPER: &str = "package safe\n\nimport \"log\"\n\n\
    // Safe runs f, logging its panic.\nfunc Safe(f func()) func() {\n\treturn func() {\n\
    \t\tdefer func() {\n\t\t\tif r := recover(); r != nil {\n\t\t\t\tlog.Print(r)\n\t\t\t}\n\t\t}()\n\t\tf()\n\t}\n}\n\n\
    // Logged runs f after a log line.\nfunc Logged(f func()) func() { return func() { log.Print(\"run\"); f() } }\n\n\
    // Hook is the package's hook, which blocks.\nvar Hook = func() { <-hookBlock }\n\nvar hookBlock = make(chan struct{})\n";

#[test]
fn a_callback_run_through_a_wrapper_is_the_code_it_wraps() {
    // helper-150: time.AfterFunc(d, Safe(func() { ... })), Safe's wrapper
    // inlined into the caller, read as Safe's code: a parallel test's own
    // callback went to TestMain, and TestMain's or another test's was
    // blamed on the test running alone when it fired.
    let tests = "package safe\n\nimport (\n\t\"sync\"\n\t\"testing\"\n\t\"time\"\n)\n\nvar block = make(chan struct{})\n\n\
                 func TestArmsForLater(t *testing.T) {\n\ttime.AfterFunc(50*time.Millisecond, Safe(func() { <-block }))\n}\n\n\
                 func TestWhileItFires(t *testing.T) {\n\ttime.Sleep(150 * time.Millisecond)\n}\n\n\
                 func TestParallelLeaks(t *testing.T) {\n\tt.Parallel()\n\ttime.AfterFunc(time.Millisecond, Safe(func() { <-block }))\n\ttime.Sleep(20 * time.Millisecond)\n}\n\n\
                 func TestParallelClean(t *testing.T) {\n\tt.Parallel()\n\ttime.Sleep(20 * time.Millisecond)\n}\n\n\
                 func TestParallelTwoWrappers(t *testing.T) {\n\tt.Parallel()\n\ttime.AfterFunc(time.Millisecond, Safe(Logged(func() { <-block })))\n\ttime.Sleep(20 * time.Millisecond)\n}\n\n\
                 func TestParallelOnce(t *testing.T) {\n\tt.Parallel()\n\ttime.AfterFunc(time.Millisecond, sync.OnceFunc(func() { <-block }))\n\ttime.Sleep(20 * time.Millisecond)\n}\n";
    let hook = "package safe\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n\
                func TestCallsTheHook(t *testing.T) {\n\ttime.AfterFunc(time.Millisecond, func() { Hook() })\n\ttime.Sleep(20 * time.Millisecond)\n}\n\n\
                func TestArmsTwoWrappersForLater(t *testing.T) {\n\ttime.AfterFunc(50*time.Millisecond, Safe(Logged(func() { <-hookBlock })))\n}\n\n\
                func TestWhileItFires(t *testing.T) {\n\ttime.Sleep(150 * time.Millisecond)\n}\n";
    let main = "package safe\n\nimport (\n\t\"os\"\n\t\"sync\"\n\t\"testing\"\n\t\"time\"\n)\n\nvar block = make(chan struct{})\n\n\
                func TestMain(m *testing.M) {\n\ttime.AfterFunc(50*time.Millisecond, Safe(func() { <-block }))\n\
                \ttime.AfterFunc(60*time.Millisecond, sync.OnceFunc(func() { <-block }))\n\tos.Exit(m.Run())\n}\n\n\
                func TestWhileItFires(t *testing.T) {\n\ttime.Sleep(150 * time.Millisecond)\n}\n";
    let m = temp_module(&[
        ("tests/safe.go", SAFE_WRAPPER),
        ("tests/safe_test.go", tests),
        ("fixture/safe.go", SAFE_WRAPPER),
        ("fixture/safe_test.go", main),
        ("hook/safe.go", SAFE_WRAPPER),
        ("hook/safe_test.go", hook),
        // A hook TestMain set wraps every job: the test's callback inside
        // it is still the test's (helper-152).
        (
            "hooked/sched.go",
            "package hooked\n\nimport \"time\"\n\n// JobHook runs every job; tests may instrument it.\n\
             var JobHook = func(f func()) { f() }\n\n// After runs f after d.\n\
             func After(d time.Duration, f func()) *time.Timer {\n\treturn time.AfterFunc(d, Safe(func() { JobHook(f) }))\n}\n",
        ),
        ("hooked/safe.go", &SAFE_WRAPPER.replace("package safe", "package hooked")),
        (
            "hooked/sched_test.go",
            "package hooked\n\nimport (\n\t\"log\"\n\t\"os\"\n\t\"testing\"\n\t\"time\"\n)\n\n\
             func TestMain(m *testing.M) {\n\tJobHook = func(f func()) {\n\t\tlog.Print(\"job\")\n\t\tf()\n\t}\n\tos.Exit(m.Run())\n}\n\n\
             var block = make(chan struct{})\n\n\
             func TestLeaks(t *testing.T) {\n\tAfter(time.Millisecond, func() { <-block })\n\ttime.Sleep(30 * time.Millisecond)\n}\n\n\
             func TestEndsIt(t *testing.T) {\n\tclose(block)\n}\n",
        ),
        // An init daemon's own sync.OnceFunc job, which -trimpath names
        // sync/oncefunc.go: not the package's file, no test's job.
        (
            "daemon/daemon.go",
            "package daemon\n\nimport (\n\t\"sync\"\n\t\"time\"\n)\n\nvar stop = make(chan struct{})\n\n\
             func init() {\n\tw := sync.OnceFunc(func() { <-stop })\n\
             \tgo func() {\n\t\ttime.Sleep(5 * time.Millisecond)\n\t\tgo w()\n\t}()\n}\n",
        ),
        (
            "daemon/daemon_test.go",
            "package daemon\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n\
             func TestWhileItStarts(t *testing.T) {\n\ttime.Sleep(30 * time.Millisecond)\n}\n\n\
             func TestAfter(t *testing.T) {}\n",
        ),
    ]);
    // (Two wrappers, sync.OnceFunc's, a package variable's hook the test's
    // callback calls: helper-151.)
    for flags in [&["-count=1"][..], &["-count=1", "-trimpath"]] {
        let args: Vec<&str> = ["--"].iter().chain(flags).copied().collect();
        let run = run_in(m.path(), &args, &[]);
        let out = format!("{flags:?}: {}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{out}");
        let pkg = format!("{M}tests");
        for (name, want) in [
            ("TestParallelLeaks", "leaked"),
            ("TestParallelClean", "passed"),
            ("TestParallelTwoWrappers", "leaked"),
            ("TestParallelOnce", "leaked"),
            ("TestWhileItFires", "passed"),
        ] {
            assert_eq!(run.verdict(&pkg, name), want, "{name}: {out}");
        }
        assert_eq!(run.package(&pkg)["main_leak"]["total"], 1, "{out}");
        let pkg = format!("{M}fixture");
        assert_eq!(run.verdict(&pkg, "TestWhileItFires"), "passed", "{out}");
        assert_eq!(run.package(&pkg)["main_leak"]["total"], 2, "{out}");
        let pkg = format!("{M}hook");
        assert_eq!(run.verdict(&pkg, "TestCallsTheHook"), "leaked", "{out}");
        assert_eq!(run.verdict(&pkg, "TestWhileItFires"), "passed", "{out}");
        assert_eq!(run.package(&pkg)["main_leak"]["total"], 1, "{out}");
        let pkg = format!("{M}hooked");
        assert_eq!(run.verdict(&pkg, "TestLeaks"), "leaked", "{out}");
        assert_eq!(run.verdict(&pkg, "TestEndsIt"), "passed", "{out}");
        let pkg = format!("{M}daemon");
        assert_eq!(run.verdict(&pkg, "TestWhileItStarts"), "passed", "{out}");
        assert_eq!(run.verdict(&pkg, "TestAfter"), "passed", "{out}");
    }
}
