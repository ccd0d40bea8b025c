//! What leakcheck promises (README, "What leakcheck promises"), each on the
//! real `go test`: the cases where an earlier leakcheck gave a wrong verdict
//! or lost a run (../shared/repros), turned into Go packages that show the
//! verdict it must give.

use crate::common;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use common::{
    assert_no_process_with, assert_nothing_lost, go_test_verdicts, leakcheck, run_in, temp_module,
    wait_for_no_process_with, Run,
};

const M: &str = "example.com/tmp/";

fn check(run: &Run, pkg: &str) -> (String, String) {
    let p = run.package(&format!("{M}{pkg}"));
    (
        p["check"]["state"].as_str().unwrap_or_default().to_string(),
        p["check"]["reason"].as_str().unwrap_or_default().to_string(),
    )
}

fn status(run: &Run, pkg: &str) -> String {
    run.package(&format!("{M}{pkg}"))["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn main_leak(run: &Run, pkg: &str) -> u64 {
    run.package(&format!("{M}{pkg}"))["main_leak"]["total"]
        .as_u64()
        .unwrap_or(0)
}

fn verdict(run: &Run, pkg: &str, test: &str) -> String {
    run.verdict(&format!("{M}{pkg}"), test)
}

/// How many JUnit `<error>`s of this type the run's report holds.
fn junit_errors(run: &Run, kind: &str) -> usize {
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("error") && n.attribute("type") == Some(kind))
        .count()
}

// Promise 3: only the binary leakcheck started speaks for it.

const REEXEC: &str = r#"package reexec

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestHelperProcess is os/exec's own pattern: the test binary runs itself
// as a child that behaves like a program. The child leaves a goroutine
// behind, harmless in a process that is about to exit.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("REEXEC_CHILD") != "1" {
		return
	}
	go func() { select {} }()
	os.Stdout.WriteString("child ran\n")
}

func TestParent(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "REEXEC_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "child ran") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
"#;

const TOOLMAIN: &str = r#"package toolmain

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestMain doubles as the entry point of a tool the tests run as a
// subprocess, a common way to test a command's main without building it.
func TestMain(m *testing.M) {
	if os.Getenv("TOOLMAIN_AS_TOOL") == "1" {
		os.Exit(toolMain())
	}
	os.Exit(m.Run())
}

// toolMain starts a background flusher, as a command might, and returns;
// the process exit ends the flusher.
func toolMain() int {
	go func() {
		tick := time.NewTicker(time.Hour)
		for range tick.C {
		}
	}()
	fmt.Println("hello from tool")
	return 0
}

func TestTool(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TOOLMAIN_AS_TOOL=1")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "hello from tool\n" {
		t.Fatalf("tool: %v, %q", err, out)
	}
}
"#;

// Promise 7: TestMain semantics do not depend on spelling.

const CODEVAR: &str = r#"package codevar

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var srv *httptest.Server

// The same as os.Exit(m.Run()), spelled with a variable: no teardown.
func TestMain(m *testing.M) {
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	code := m.Run()
	os.Exit(code)
}

func TestURL(t *testing.T) {
	if srv.URL == "" {
		t.Fatal("no URL")
	}
}

func TestNothing(t *testing.T) {}
"#;

const RUNTEARDOWN: &str = r#"package runteardown

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var srv *httptest.Server

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run tears down what it set up in a deferred call, after the tests.
func run(m *testing.M) int {
	srv = httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	return m.Run()
}

func TestURL(t *testing.T) {
	if srv.URL == "" {
		t.Fatal("no URL")
	}
}
"#;

const RUNFORGETS: &str = r#"package runforgets

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var (
	srv     *httptest.Server
	updates = make(chan string)
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run's teardown closes the server but forgets the watcher it started.
func run(m *testing.M) int {
	srv = httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	go watch()
	return m.Run()
}

func watch() {
	for range updates {
	}
}

func TestURL(t *testing.T) {
	if srv.URL == "" {
		t.Fatal("no URL")
	}
}
"#;

const LAZYDB: &str = r#"package lazydb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"os"
	"testing"
	"time"
)

// A minimal driver, standing for a real one.
type fakeDriver struct{}

func (fakeDriver) Open(string) (driver.Conn, error) { return fakeConn{}, nil }

type fakeConn struct{}

func (fakeConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("unsupported") }
func (fakeConn) Close() error                        { return nil }
func (fakeConn) Begin() (driver.Tx, error)           { return nil, errors.New("unsupported") }
func (fakeConn) Ping(context.Context) error          { return nil }

var db *sql.DB

// The tests share one pool; the process exit is its teardown.
func TestMain(m *testing.M) {
	sql.Register("fake", fakeDriver{})
	var err error
	if db, err = sql.Open("fake", ""); err != nil {
		panic(err)
	}
	db.SetConnMaxLifetime(time.Minute)
	os.Exit(m.Run())
}

// database/sql starts its connection cleaner lazily, in the goroutine that
// first returns a connection to the pool: this test's.
func TestPing(t *testing.T) {
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
}

// A pool a test opens itself and forgets to close is that test's leak.
func TestOwnPool(t *testing.T) {
	own, err := sql.Open("fake", "")
	if err != nil {
		t.Fatal(err)
	}
	own.SetConnMaxLifetime(time.Minute)
	if err := own.Ping(); err != nil {
		t.Fatal(err)
	}
}
"#;

const NORUN: &str = r#"package norun

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var srv *httptest.Server

func TestMain(m *testing.M) {
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

func TestURL(t *testing.T) {
	if srv.URL == "" {
		t.Fatal("no URL")
	}
}
"#;

// Promise 6: attribution survives relabelling.

const RELABEL: &str = r#"package relabel

import (
	"context"
	"runtime/pprof"
	"sync"
	"testing"
	"time"
)

// handle labels its work for profiling, as request handlers do, and starts
// a goroutine it never stops. pprof.Do sets the goroutine's labels to ctx's
// plus its own: with context.Background(), the test's are gone.
func handle(ctx context.Context) {
	pprof.Do(ctx, pprof.Labels("handler", "sync"), func(ctx context.Context) {
		go func() { <-make(chan int) }()
	})
}

func TestParallelLeakInsideDo(t *testing.T) {
	t.Parallel()
	handle(context.Background())
	time.Sleep(20 * time.Millisecond)
}

func TestParallelLeakAfterDo(t *testing.T) {
	t.Parallel()
	pprof.Do(context.Background(), pprof.Labels("phase", "setup"), func(context.Context) {})
	go func() { <-make(chan int) }()
	time.Sleep(20 * time.Millisecond)
}

func TestParallelLeakSetGoroutineLabels(t *testing.T) {
	t.Parallel()
	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("worker", "w1")))
		<-make(chan int)
	}()
	time.Sleep(20 * time.Millisecond)
}

func TestSerialLeakInsideDo(t *testing.T) {
	handle(context.Background())
}

// TestAttacker's goroutine claims to be TestVictim's.
func TestAttacker(t *testing.T) {
	go func() {
		pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("leakcheck", "TestVictim")))
		<-make(chan int)
	}()
	time.Sleep(10 * time.Millisecond)
}

func TestVictim(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done() }()
	wg.Wait()
}

func TestParallelClean(t *testing.T) {
	t.Parallel()
	time.Sleep(50 * time.Millisecond)
}
"#;

const USERLABELS: &str = r##"package userlabels

import (
	"bytes"
	"context"
	"os"
	"runtime/pprof"
	"strings"
	"testing"
)

// The suite labels everything it runs, to tell test load apart in a
// continuous profile: tests inherit the main goroutine's labels.
func TestMain(m *testing.M) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("suite", "userlabels")))
	os.Exit(m.Run())
}

func suiteWorker(ready, done chan struct{})  { close(ready); <-done }
func tenantWorker(ready, done chan struct{}) { close(ready); <-done }
func phaseWorker(ready, done chan struct{})  { close(ready); <-done }

// labelsOf is the labels line of the profile group whose stack holds fn.
func labelsOf(fn string) string {
	var buf bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&buf, 1)
	for _, group := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(group, fn) {
			for _, line := range strings.Split(group, "\n") {
				if strings.HasPrefix(line, "# labels: ") {
					return line
				}
			}
			return "(no labels)"
		}
	}
	return "(not found)"
}

// workerLabels starts worker, named fn, and returns its labels line.
func workerLabels(worker func(ready, done chan struct{}), fn string) string {
	ready, done := make(chan struct{}), make(chan struct{})
	go worker(ready, done)
	defer close(done)
	<-ready
	return labelsOf(fn)
}

func TestInheritsSuiteLabels(t *testing.T) {
	if got := workerLabels(suiteWorker, "userlabels.suiteWorker"); !strings.Contains(got, `"suite":"userlabels"`) {
		t.Fatalf("worker labels = %s, want suite=userlabels", got)
	}
}

// Labels a test sets are inherited by what it starts, after a subtest too.
func TestLabelsSurviveSubtest(t *testing.T) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("tenant", "acme")))
	t.Run("setup", func(t *testing.T) {})
	if got := workerLabels(tenantWorker, "userlabels.tenantWorker"); !strings.Contains(got, `"tenant":"acme"`) {
		t.Fatalf("worker labels = %s, want tenant=acme", got)
	}
}

// A subtest run inside pprof.Do inherits its labels, after an earlier
// subtest that did not have them.
func TestSubtestInsideDo(t *testing.T) {
	t.Run("plain", func(t *testing.T) {})
	pprof.Do(context.Background(), pprof.Labels("phase", "load"), func(context.Context) {
		t.Run("labelled", func(t *testing.T) {
			if got := workerLabels(phaseWorker, "userlabels.phaseWorker"); !strings.Contains(got, `"phase":"load"`) {
				t.Fatalf("worker labels = %s, want phase=load", got)
			}
		})
	})
}
"##;

// Promise 4: a check never holds package testing's locks.

const CONCURRENT: &str = r#"package concurrent

import "testing"

var (
	returned = make(chan struct{})
	logged   = make(chan struct{})
)

// TestChecked returns while a goroutine it started still waits for TestLogs
// to log: leakcheck checks it while TestLogs runs.
func TestChecked(t *testing.T) {
	t.Parallel()
	go func() { <-logged }()
	t.Cleanup(func() { close(returned) })
}

// TestLogs logs while TestChecked is being checked. A check holding
// package testing's locks would block the log until its grace period ran
// out, and TestChecked's goroutine, waiting for the log, would leak.
func TestLogs(t *testing.T) {
	t.Parallel()
	<-returned
	t.Logf("logging while another test is checked")
	close(logged)
}
"#;

// Promise 8: no interference.

const ENV: &str = r#"package env

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Tests see the environment leakcheck was started with.
func TestEnvironment(t *testing.T) {
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "LEAKCHECK_") {
			t.Errorf("leakcheck's variable is visible: %s", kv)
		}
	}
	for _, name := range []string{"GODEBUG", "GOEXPERIMENT", "GOTMPDIR"} {
		got, ok := os.LookupEnv(name)
		want, wantOK := os.LookupEnv("WANT_" + name)
		if got != want || ok != wantOK {
			t.Errorf("%s = %q (set: %v), want %q (set: %v)", name, got, ok, want, wantOK)
		}
	}
}

var checking = make(chan struct{})

// TestSleeper leaks a sleeping goroutine: its check looks again and again
// for the whole grace period, while TestStable runs.
func TestSleeper(t *testing.T) {
	t.Parallel()
	go func() { time.Sleep(time.Hour) }()
	t.Cleanup(func() { close(checking) })
}

func TestStable(t *testing.T) {
	t.Parallel()
	want := os.Getenv("GODEBUG")
	<-checking
	for i := 0; i < 200000; i++ {
		if got := os.Getenv("GODEBUG"); got != want {
			t.Fatalf("GODEBUG changed under the test: %q -> %q", want, got)
		}
	}
}
"#;

const LATE: &str = r#"package late

import (
	"fmt"
	"testing"
	"time"
)

var stop = make(chan struct{})

// startFlusher starts a background flusher nothing stops: a leak.
func startFlusher() { go func() { <-stop }() }

// TestWorker's result arrives late, from a goroutine, after the test
// returned: the failure must stay a failure, not become a leak.
func TestWorker(t *testing.T) {
	startFlusher()
	go func() {
		time.Sleep(50 * time.Millisecond)
		t.Error("the worker produced a wrong result")
	}()
}

func TestLater(t *testing.T) { time.Sleep(300 * time.Millisecond) }

// The example's output is wrong, and it leaks: it failed.
func Example_wrong() {
	startFlusher()
	fmt.Println("HELLO")
	// Output: hello
}

// The example's output is right, and it leaks: it leaked.
func Example_right() {
	startFlusher()
	fmt.Println("hello")
	// Output: hello
}
"#;

const TEARDOWN: &str = r#"package teardown

import (
	"os"
	"testing"
)

var (
	stop    = make(chan struct{})
	updates = make(chan string)
)

// flusher is stopped by the teardown.
func flusher() { <-stop }

// watcher is forgotten by the teardown: a leak it leaves running.
func watcher() {
	for range updates {
	}
}

func TestMain(m *testing.M) {
	go flusher()
	go watcher()
	code := m.Run()
	close(stop)
	os.Exit(code)
}

func TestA(t *testing.T) {}
"#;

const DUP_INTERNAL: &str = r#"package dupname

import "testing"

// The internal test catches the bug.
func TestFoo(t *testing.T) {
	if Answer() != 42 {
		t.Fatalf("internal TestFoo: Answer() = %d, want 42", Answer())
	}
}
"#;

const DUP_EXTERNAL: &str = r#"package dupname_test

import (
	"testing"

	"example.com/tmp/dupname"
)

// The external test of the same name checks something else.
func TestFoo(t *testing.T) {
	if dupname.Answer() == 0 {
		t.Fatal("external TestFoo: zero")
	}
}
"#;

// A subtest's goroutines started through a goroutine that exits at once
// (their creator chain broken before any look) are still the subtest's.
const SUBCHAIN: &str = r#"package subchain

import "testing"

var block = make(chan struct{})

// startVia starts a goroutine that blocks forever from a goroutine that
// returns at once.
func startVia() {
	done := make(chan struct{})
	go func() {
		go func() { <-block }()
		close(done)
	}()
	<-done
}

func TestParent(t *testing.T) {
	t.Run("clean", func(t *testing.T) {})
	t.Run("leaky", func(t *testing.T) {
		startVia()
	})
}

// Siblings leaking the same stack at the same time: one goroutine each.
func TestSiblings(t *testing.T) {
	for _, name := range []string{"a", "b", "c"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			startVia()
		})
	}
}
"#;

const DUP_CODE: &str =
    "package dupname\n\n// Answer has a bug the internal test catches.\nfunc Answer() int { return 41 }\n";

/// A test that looks at every goroutine's stack for frames in its
/// package's directory, as Ginkgo's progress reports do to highlight the
/// user's code: leakcheck's code is not there.
const FRAMES: &str = r#"package frames

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestOnlyMyFramesAreInMyDirectory(t *testing.T) {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, line := range strings.Split(string(buf), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, dir+"/") && !strings.HasPrefix(line, dir+"/frames_test.go:") {
			t.Errorf("a frame in the package's directory that is not its code: %s", line)
		}
	}
}
"#;

/// One module with a package per promise that a single run can show.
// A helper in TestMain's file that exits (leakcheck rewrites that file's
// os.Exit calls to run the check after the last test first), called by a
// test: the binary ends under the test, as from any other file.
const EXIT_FROM_TESTMAIN_FILE: &str = r#"package exitfile

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

// fatalf ends the run when the suite cannot go on.
func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func TestBailsOut(t *testing.T) {
	done := make(chan struct{})
	go func() { <-done }()
	fatalf("fixture missing")
}
"#;

#[test]
fn an_exit_from_testmains_file_under_a_test_leaves_no_leak_at_testmain() {
    let m = temp_module(&[("exitfile/main_test.go", EXIT_FROM_TESTMAIN_FILE)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "exitfile", "TestBailsOut"), "unfinished", "{out}");
    assert_eq!(main_leak(&run, "exitfile"), 0, "{out}");
    assert!(out.contains("fixture missing"), "{out}");
}

fn trust_module() -> tempfile::TempDir {
    temp_module(&[
        ("reexec/self_test.go", REEXEC),
        ("toolmain/main_test.go", TOOLMAIN),
        ("codevar/main_test.go", CODEVAR),
        ("runteardown/main_test.go", RUNTEARDOWN),
        ("runforgets/main_test.go", RUNFORGETS),
        ("lazydb/db_test.go", LAZYDB),
        ("norun/main_test.go", NORUN),
        ("relabel/labels_test.go", RELABEL),
        ("userlabels/labels_test.go", USERLABELS),
        ("concurrent/c_test.go", CONCURRENT),
        ("env/env_test.go", ENV),
        ("dupname/dup.go", DUP_CODE),
        ("dupname/a_test.go", DUP_INTERNAL),
        ("dupname/b_test.go", DUP_EXTERNAL),
        ("teardown/main_test.go", TEARDOWN),
        ("subchain/chain_test.go", SUBCHAIN),
        ("frames/frames_test.go", FRAMES),
    ])
}

#[test]
fn verdicts_match_go_test_but_for_leaks_whatever_the_suite_does() {
    let m = trust_module();
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.22\n").unwrap();
    let env = [
        ("GODEBUG", "madvdontneed=1"),
        ("WANT_GODEBUG", "madvdontneed=1"),
        ("GOEXPERIMENT", ""),
        ("WANT_GOEXPERIMENT", ""),
    ];
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &env);
    let run = run_in(m.path(), &["--grace", "5s", "--", "-count=1"], &env);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_nothing_lost(&go, &run);
    let out = run.stdout();

    // Re-executed test binaries neither check themselves nor speak for the
    // parent.
    for (pkg, test) in [
        ("reexec", "TestHelperProcess"),
        ("reexec", "TestParent"),
        ("toolmain", "TestTool"),
    ] {
        assert_eq!(verdict(&run, pkg, test), "passed", "{pkg} {test}\n{out}");
        assert_eq!(check(&run, pkg).0, "checked", "{pkg}\n{out}");
    }

    // Fixtures: however TestMain is spelled, what its setup starts is the
    // package's; a teardown that stops some fixtures but not all leaves a
    // leak; a pool's lazily started cleaner belongs to the pool.
    for pkg in ["codevar", "runteardown", "lazydb", "norun"] {
        assert_eq!(main_leak(&run, pkg), 0, "{pkg}\n{out}");
    }
    assert_eq!(main_leak(&run, "runforgets"), 1, "{out}");
    // A teardown that stops a fixture by closing a channel stops it.
    assert_eq!(main_leak(&run, "teardown"), 1, "{out}");
    assert_eq!(verdict(&run, "lazydb", "TestPing"), "passed", "{out}");
    assert_eq!(verdict(&run, "lazydb", "TestOwnPool"), "leaked", "{out}");

    // Relabelled goroutines are blamed on the test that started them, and
    // a label cannot move the blame.
    for test in [
        "TestParallelLeakInsideDo",
        "TestParallelLeakAfterDo",
        "TestParallelLeakSetGoroutineLabels",
        "TestSerialLeakInsideDo",
        "TestAttacker",
    ] {
        assert_eq!(verdict(&run, "relabel", test), "leaked", "{test}\n{out}");
        let t = &run.tests()[&(format!("{M}relabel"), test.to_string())];
        assert_eq!(t["leak"]["total"], 1, "{test}");
    }
    assert_eq!(verdict(&run, "relabel", "TestVictim"), "passed", "{out}");
    assert_eq!(verdict(&run, "relabel", "TestParallelClean"), "passed", "{out}");
    assert_eq!(main_leak(&run, "relabel"), 0, "{out}");

    // Labels the suite set are kept, and labels a test sets around a
    // subtest.
    assert_eq!(status(&run, "userlabels"), "passed", "{out}");
    assert_eq!(
        verdict(&run, "userlabels", "TestSubtestInsideDo/labelled"),
        "passed",
        "{out}"
    );
    // A check does not hold testing's locks: the other test's log goes
    // through while the check runs.
    assert_eq!(verdict(&run, "concurrent", "TestChecked"), "passed", "{out}");
    assert_eq!(verdict(&run, "concurrent", "TestLogs"), "passed", "{out}");
    // The environment is the user's.
    assert_eq!(verdict(&run, "env", "TestEnvironment"), "passed", "{out}");
    assert_eq!(verdict(&run, "env", "TestStable"), "passed", "{out}");
    assert_eq!(verdict(&run, "env", "TestSleeper"), "leaked", "{out}");
    // Tests of the same name in the internal and external test packages
    // both run (go test names both TestFoo).
    let runs: Vec<(u64, String)> = run
        .runs(&format!("{M}dupname"))
        .into_iter()
        .map(|t| (t.run, t.verdict))
        .collect();
    assert_eq!(runs, [(1, "failed".to_string()), (2, "passed".to_string())], "{out}");

    // A subtest's leak through a goroutine that exited is the subtest's,
    // named by its label; siblings get one goroutine each, none ambiguous.
    let tests = run.tests();
    let subchain = |test: &str| &tests[&(format!("{M}subchain"), test.to_string())];
    assert_eq!(verdict(&run, "subchain", "TestParent/leaky"), "leaked", "{out}");
    assert_eq!(subchain("TestParent/leaky")["leak"]["total"], 1, "{out}");
    assert_eq!(verdict(&run, "subchain", "TestParent/clean"), "passed", "{out}");
    assert_eq!(subchain("TestParent")["failed_by_subtest"], true, "{out}");
    assert!(subchain("TestParent")["leak"].is_null(), "{out}");
    for sub in ["a", "b", "c"] {
        let t = subchain(&format!("TestSiblings/{sub}"));
        assert_eq!(t["verdict"], "leaked", "{sub}\n{out}");
        assert_eq!(t["leak"]["total"], 1, "{sub}\n{out}");
        assert_eq!(t["leak"]["ambiguous"], 0, "{sub}\n{out}");
    }
    assert_eq!(main_leak(&run, "subchain"), 0, "{out}");

    // No test ran: nothing of TestMain's is a leak.
    let run = run_in(m.path(), &["./norun", "--", "-count=1", "-run", "^TestNothing$"], &env);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert_eq!(main_leak(&run, "norun"), 0);
    assert_eq!(check(&run, "norun").0, "checked");
}

// Labels a test sets around a subtest are kept on Go versions whose label
// sets the helper does not read itself too: there it reads them from a
// goroutine profile once per label set (it read them once per parent, and
// a subtest run inside pprof.Do after another lost them).
#[test]
fn labels_a_test_sets_around_a_subtest_are_kept_on_older_go() {
    let m = temp_module(&[("userlabels/labels_test.go", USERLABELS)]);
    let env = [("GOTOOLCHAIN", "go1.22.12")];
    let run = run_in(m.path(), &["--", "-count=1"], &env);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(status(&run, "userlabels"), "passed");
    assert_eq!(verdict(&run, "userlabels", "TestSubtestInsideDo/labelled"), "passed");
}

#[test]
fn a_failure_stays_a_failure_leak_or_not() {
    // Not compared with go test: there the late t.Error comes after
    // TestWorker completed and panics the binary; under leakcheck the test
    // is still being checked then, and fails properly.
    let m = temp_module(&[("late/late_test.go", LATE)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = run.stdout();
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "late", "TestWorker"), "failed", "{out}");
    assert_eq!(verdict(&run, "late", "Example_wrong"), "failed", "{out}");
    assert_eq!(verdict(&run, "late", "Example_right"), "leaked", "{out}");
    // The leaked example's output matched: no got/want under its leak;
    // the wrong one's stays.
    let right = out.find("--- LEAK: Example_right").expect(&out);
    let right_block = &out[right..];
    let right_block = &right_block[..right_block[4..].find("--- ").map_or(right_block.len(), |i| i + 4)];
    assert!(!right_block.contains("got:"), "{out}");
    let wrong = out.find("--- FAIL: Example_wrong").expect(&out);
    assert!(out[wrong..].contains("got:"), "{out}");
    // Every report shows the examples' output as go test would have
    // without the helper's line (printed into the example's output): the
    // wrong one's own got and want, the right one passing.
    let tests = run.tests();
    let output = |name: &str| {
        tests[&(format!("{M}late"), name.to_string())]["output"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(
        output("Example_wrong").ends_with(")\ngot:\nHELLO\nwant:\nhello\n"),
        "{}",
        output("Example_wrong")
    );
    assert!(
        output("Example_right").contains("--- PASS: Example_right ("),
        "{}",
        output("Example_right")
    );
    assert!(!output("Example_right").contains("got:"), "{}", output("Example_right"));
    assert!(!run.junit.contains("leaked after Example_"), "{}", run.junit);
    assert!(run.junit.contains("got:\nHELLO\nwant:\nhello\n"), "{}", run.junit);
    // With the leaks known, the failures still fail the run.
    let baseline = run.dir.path().join("baseline.json");
    let b = baseline.display().to_string();
    let run = run_in(
        m.path(),
        &["--baseline", &b, "--update-baseline", "--", "-count=1"],
        &[],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let run = run_in(m.path(), &["--baseline", &b, "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    assert_eq!(verdict(&run, "late", "TestWorker"), "failed");
    assert_eq!(verdict(&run, "late", "Example_wrong"), "failed");
    assert_eq!(verdict(&run, "late", "Example_right"), "passed");
}

// Promise 1 for examples: an example that leaks fails go test's output
// comparison (leakcheck prints the leak into its output); it is "leaked"
// exactly when its own output would have passed, "failed" otherwise.

/// What an example prints and the output comment it is compared with: each
/// is written twice, as `Example_cleanN` and as `Example_leakN`, which also
/// leaks one goroutine (two for odd N).
const EXAMPLE_CASES: &[(&str, &str)] = &[
    (r#"fmt.Println("a"); fmt.Println("b")"#, "// Output:\n// a\n// b"),
    // In the wrong order: ordered output is compared in order.
    (r#"fmt.Println("b"); fmt.Println("a")"#, "// Output:\n// a\n// b"),
    (
        r#"fmt.Println("b"); fmt.Println("a")"#,
        "// Unordered output:\n// a\n// b",
    ),
    (r#"fmt.Println("c")"#, "// Unordered output:\n// a"),
    ("", "// Output:"),
    (r#"fmt.Println("x")"#, "// Output:"),
    // No final newline.
    (r#"fmt.Print("x")"#, "// Output: x"),
    (r#"fmt.Print("x")"#, "// Output: y"),
    (r#"fmt.Print("x")"#, "// Unordered output: x"),
    (r#"fmt.Print("x")"#, "// Unordered output: y"),
    ("", "// Unordered output:"),
    // CRLF: a \r is part of the line (except on Windows), but go test
    // trims the output's last one.
    (r#"fmt.Print("a\r\nb\r\n")"#, "// Output:\n// a\n// b"),
    (r#"fmt.Print("a\r\n")"#, "// Output: a"),
    (r#"fmt.Print("a\r\nb\r\n")"#, "// Unordered output:\n// a\n// b"),
    (r#"fmt.Print("b\r\na\r\n")"#, "// Unordered output:\n// a\n// b"),
    // White space: trimmed around the whole output, not around its lines.
    (r#"fmt.Print("\n\n  a  \n\n")"#, "// Output: a"),
    (r#"fmt.Print("a \nb")"#, "// Output:\n// a\n// b"),
    (r#"fmt.Print("b\na\n\n")"#, "// Unordered output:\n// a\n// b"),
    (r#"fmt.Print("b\n a\n")"#, "// Unordered output:\n// a\n// b"),
    (r#"fmt.Print("a\n\nb\n")"#, "// Unordered output:\n// a\n// b"),
    (r#"fmt.Print("a\n\nb\n")"#, "// Unordered output:\n// a\n//\n// b"),
    (r#"fmt.Print("a\u00a0")"#, "// Output: a"),
    (r#"fmt.Print(" \t\n")"#, "// Output:"),
    // Output that looks like testing's own.
    (r#"fmt.Print("want:\nx\n")"#, "// Output:\n// want:\n// x"),
    (r#"fmt.Print("got:\n")"#, "// Output: got:"),
];

fn example_package() -> String {
    let mut src = String::from(
        "package examples\n\nimport \"fmt\"\n\nvar _ = fmt.Print\n\n\
         func leak(n int) {\n\tfor i := 0; i < n; i++ {\n\t\tc := make(chan int)\n\t\tgo func() { <-c }()\n\t}\n}\n",
    );
    for (i, (code, comment)) in EXAMPLE_CASES.iter().enumerate() {
        for kind in ["clean", "leak"] {
            src.push_str(&format!("\nfunc Example_{kind}{i}() {{\n"));
            if kind == "leak" {
                src.push_str(&format!("\tleak({})\n", 1 + i % 2));
            }
            if !code.is_empty() {
                src.push_str(&format!("\t{code}\n"));
            }
            src.push_str(&format!("\t{}\n}}\n", comment.replace('\n', "\n\t")));
        }
    }
    src
}

#[test]
fn an_example_that_leaks_is_leaked_exactly_when_its_own_output_passes() {
    let m = temp_module(&[("examples/e_test.go", &example_package())]);
    for toolchain in ["go1.26.8", "go1.22.12"] {
        let env = [("GOTOOLCHAIN", toolchain)];
        let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &env);
        let run = run_in(m.path(), &["--grace", "50ms", "--", "-count=1"], &env);
        let out = run.stdout();
        assert_eq!(run.code(), 1, "{toolchain}: {out}");
        let mut passes = 0;
        for (i, case) in EXAMPLE_CASES.iter().enumerate() {
            let clean = &go[&(format!("{M}examples"), format!("Example_clean{i}"), 1)];
            passes += usize::from(clean == "pass");
            let (want_clean, want_leak) = if clean == "pass" {
                ("passed", "leaked")
            } else {
                ("failed", "failed")
            };
            let case = format!("{toolchain} case {i} {case:?} (go test: {clean})");
            assert_eq!(
                verdict(&run, "examples", &format!("Example_clean{i}")),
                want_clean,
                "{case}"
            );
            let t = &run.tests()[&(format!("{M}examples"), format!("Example_leak{i}"))];
            assert_eq!(t["verdict"], want_leak, "{case}\n{}", t["output"]);
            assert_eq!(t["leak"]["total"], 1 + i % 2, "{case}");
        }
        assert!(passes > 10 && passes < EXAMPLE_CASES.len(), "{toolchain}: {passes}");
    }
    // Known leaks are tolerated: what failed on its own still fails.
    let baseline = m.path().join("baseline.json");
    let b = baseline.display().to_string();
    let run = run_in(
        m.path(),
        &["--baseline", &b, "--update-baseline", "--", "-count=1"],
        &[],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let run = run_in(m.path(), &["--baseline", &b, "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}", run.stdout());
    for (i, case) in EXAMPLE_CASES.iter().enumerate() {
        assert_eq!(
            verdict(&run, "examples", &format!("Example_leak{i}")),
            verdict(&run, "examples", &format!("Example_clean{i}")),
            "case {i} {case:?}"
        );
    }
}

// Promise 1 for skips: t.Skip ends a test, not what it started. A test or
// subtest that skipped itself and left goroutines running leaked; its
// parents fail by it, as for a subtest that passed and leaked.

const SKIPLEAK: &str = r#"package skipleak

import "testing"

var block = make(chan struct{})

func TestSubSkips(t *testing.T) {
	t.Run("skipper", func(t *testing.T) {
		go func() { <-block }()
		t.Skip("not today")
	})
	t.Run("ok", func(t *testing.T) {})
}

func TestSkipsAfterLeaking(t *testing.T) {
	go func() { <-block }()
	t.Skip("not today")
}

func TestSkipsAfterItsSubtestLeaked(t *testing.T) {
	t.Run("leaky", func(t *testing.T) { go func() { <-block }() })
	t.Skip("the rest, not today")
}

func TestNested(t *testing.T) {
	t.Run("mid", func(t *testing.T) {
		t.Run("inner", func(t *testing.T) {
			go func() { <-block }()
			t.Skip("not today")
		})
		t.Skip("not today either")
	})
}

func TestSkipsClean(t *testing.T) { t.Skip("nothing started") }
"#;

#[test]
fn a_test_that_skips_after_starting_goroutines_leaked_them() {
    let m = temp_module(&[("skipleak/s_test.go", SKIPLEAK)]);
    for toolchain in ["go1.26.8", "go1.22.12"] {
        let env = [("GOTOOLCHAIN", toolchain)];
        let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &env);
        let run = run_in(m.path(), &["--grace", "100ms", "--", "-count=1"], &env);
        let out = run.stdout();
        assert_eq!(run.code(), 1, "{toolchain}: {out}");
        assert_nothing_lost(&go, &run);
        let tests = run.tests();
        let t = |name: &str| &tests[&(format!("{M}skipleak"), name.to_string())];
        for name in [
            "TestSubSkips/skipper",
            "TestSkipsAfterLeaking",
            "TestSkipsAfterItsSubtestLeaked/leaky",
            "TestNested/mid/inner",
        ] {
            assert_eq!(t(name)["verdict"], "leaked", "{toolchain} {name}\n{out}");
            assert_eq!(t(name)["leak"]["total"], 1, "{toolchain} {name}\n{out}");
        }
        for name in [
            "TestSubSkips",
            "TestSkipsAfterItsSubtestLeaked",
            "TestNested/mid",
            "TestNested",
        ] {
            assert_eq!(t(name)["verdict"], "leaked", "{toolchain} {name}\n{out}");
            assert_eq!(t(name)["failed_by_subtest"], true, "{toolchain} {name}\n{out}");
            assert!(t(name)["leak"].is_null(), "{toolchain} {name}\n{out}");
        }
        assert_eq!(t("TestSubSkips/ok")["verdict"], "passed", "{toolchain}");
        assert_eq!(t("TestSkipsClean")["verdict"], "skipped", "{toolchain}");
        // Nothing is left for TestMain, and nothing fails outside the tests.
        let p = run.package(&format!("{M}skipleak"));
        assert!(p["main_leak"].is_null(), "{toolchain}: {out}");
        assert_eq!(p["failed_outside_tests"], false, "{toolchain}: {out}");
        let totals = &run.report["totals"];
        // Four tests leaked, four more only through a subtest.
        assert_eq!(totals["leaked_tests"], 8, "{toolchain}: {totals}");
        assert_eq!(totals["leaked_goroutines"], 4, "{toolchain}: {totals}");
        assert_eq!(totals["failed"], 0, "{toolchain}: {totals}");
        assert!(out.contains("8 leaked (4 goroutines)"), "{toolchain}: {out}");
        assert!(!out.contains("failed"), "{toolchain}: {out}");
    }
    // Known leaks are tolerated: each test is what go test says again.
    let baseline = m.path().join("baseline.json");
    let b = baseline.display().to_string();
    let args = ["--baseline", &b, "--grace", "100ms", "--", "-count=1"];
    let run = run_in(m.path(), &[&["--update-baseline"], &args[..]].concat(), &[]);
    assert!(run.stdout().contains("with 4 known leaks"), "{}", run.stdout());
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &args, &[]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    assert!(
        run.stdout()
            .contains("--- KNOWN: TestSkipsAfterLeaking: 1 goroutine leaked (1 stack), listed in the baseline"),
        "{}",
        run.stdout()
    );
    for ((_, test, _), go_verdict) in &go {
        let want = match go_verdict.as_str() {
            "pass" => "passed",
            "skip" => "skipped",
            other => panic!("{test}: {other}"),
        };
        assert_eq!(verdict(&run, "skipleak", test), want, "{test}\n{}", run.stdout());
    }
}

// Promise 1 when test2json loses lines: output without a final newline
// glues testing's framing lines onto it (`50%--- PASS: TestA`), and under
// -v test2json misses where tests start and end. The helper's records say.

const PRINTER: &str = r#"package printer

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	fmt.Print("setting up")
	os.Exit(m.Run())
}

func TestProgress(t *testing.T) { fmt.Print("progress: 50%") }
func TestWarn(t *testing.T)     { fmt.Fprint(os.Stderr, "warn without newline") }
func TestSpinner(t *testing.T)  { t.Parallel(); fmt.Print("\rspinner") }
func TestDot(t *testing.T)      { t.Parallel(); fmt.Print("x") }
func TestSkips(t *testing.T)    { fmt.Print("skipping"); t.Skip() }
func TestSubs(t *testing.T) {
	t.Run("a", func(t *testing.T) { fmt.Print("in a") })
	t.Run("b", func(t *testing.T) { fmt.Print("in b"); t.Skip() })
	fmt.Print("done")
}
func TestQuiet(t *testing.T) {}
"#;

const GLUED: &str = r#"package glued

import (
	"fmt"
	"os"
	"testing"
)

var block = make(chan struct{})

func TestMain(m *testing.M) {
	fmt.Print("setting up")
	os.Exit(m.Run())
}

func TestFirstLeaks(t *testing.T) { go func() { <-block }(); fmt.Print("a") }
func TestLeaks(t *testing.T)      { go func() { <-block }(); fmt.Print("b") }
func TestFails(t *testing.T)      { t.Error("boom"); fmt.Print("c") }
func TestFailsAndLeaks(t *testing.T) {
	go func() { <-block }()
	t.Error("boom")
	fmt.Print("c")
}
func TestPasses(t *testing.T) { fmt.Print("d") }
func TestSubs(t *testing.T) {
	t.Run("leaky", func(t *testing.T) { go func() { <-block }(); fmt.Print("in leaky") })
	t.Run("fails", func(t *testing.T) { fmt.Print("in fails"); t.Fail() })
	t.Run("skips", func(t *testing.T) { fmt.Print("in skips"); t.Skip() })
	fmt.Print("e")
}
func TestSkipsAfterLeaking(t *testing.T) { go func() { <-block }(); fmt.Print("f"); t.Skip() }
"#;

#[test]
fn output_without_a_final_newline_loses_no_test_and_no_failure() {
    let m = temp_module(&[("printer/p_test.go", PRINTER), ("glued/g_test.go", GLUED)]);
    for toolchain in ["go1.26.8", "go1.22.12"] {
        let env = [("GOTOOLCHAIN", toolchain)];
        // Plain go test -json (no -v) sees every event.
        let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &env);
        for v in [&[][..], &["-v"][..]] {
            let args = [&["--grace", "50ms", "--", "-count=1"][..], v].concat();
            let run = run_in(m.path(), &args, &env);
            let out = run.stdout();
            let what = format!("{toolchain} {v:?}");
            assert_eq!(run.code(), 1, "{what}: {out}");
            assert_nothing_lost(&go, &run);
            for pkg in ["printer", "glued"] {
                let p = run.package(&format!("{M}{pkg}"));
                assert_eq!(check(&run, pkg).0, "checked", "{what}: {out}");
                assert!(p["crash"].is_null(), "{what}: {out}");
                assert_eq!(p["failed_outside_tests"], false, "{what}: {out}");
            }
            assert_eq!(status(&run, "printer"), "passed", "{what}: {out}");
            let tests = run.tests();
            let t = |name: &str| &tests[&(format!("{M}glued"), name.to_string())];
            for (name, want) in [
                ("TestFirstLeaks", "leaked"),
                ("TestLeaks", "leaked"),
                ("TestFails", "failed"),
                ("TestFailsAndLeaks", "failed"),
                ("TestPasses", "passed"),
                ("TestSubs", "failed"),
                ("TestSubs/leaky", "leaked"),
                ("TestSubs/fails", "failed"),
                ("TestSubs/skips", "skipped"),
                ("TestSkipsAfterLeaking", "leaked"),
            ] {
                assert_eq!(t(name)["verdict"], want, "{what} {name}: {out}");
            }
            assert_eq!(t("TestFailsAndLeaks")["leak"]["total"], 1, "{what}: {out}");
        }
        // go test passes: so does leakcheck, -v or not.
        for v in [&[][..], &["-v"][..]] {
            let args = [&["./printer", "--", "-count=1"][..], v].concat();
            let run = run_in(m.path(), &args, &env);
            assert_eq!(run.code(), 0, "{toolchain} {v:?}: {}", run.stdout());
        }
    }
}

const CLOSES_CLEAN: &str = r#"package clean

import (
	"os"
	"testing"
)

func TestFirst(t *testing.T)  {}
func TestCloses(t *testing.T) { os.Stdout.Close() }
func TestAfter(t *testing.T)  { t.Log("nobody reads this") }
"#;

const CLOSES_PARALLEL: &str = r#"package parallel

import (
	"os"
	"sync"
	"testing"
	"time"
)

var (
	ended     = make(chan struct{})
	endedOnce sync.Once
)

// TestCloses closes os.Stdout after TestEnds ended: go test's stream then
// ends with TestEnds' --- PASS line, cmd/go's ok line and one pass event.
func TestCloses(t *testing.T) {
	t.Parallel()
	<-ended
	time.Sleep(100 * time.Millisecond)
	os.Stdout.Close()
}

func TestEnds(t *testing.T) {
	t.Parallel()
	t.Cleanup(func() { endedOnce.Do(func() { close(ended) }) })
}

func TestBeside(t *testing.T) {
	t.Parallel()
	time.Sleep(200 * time.Millisecond)
}
"#;

const CLOSES_IN_SUBTEST: &str = r#"package subtest

import (
	"os"
	"testing"
)

func TestParent(t *testing.T) {
	t.Run("closes", func(t *testing.T) { os.Stdout.Close() })
	t.Run("after", func(t *testing.T) {})
}

func TestAfter(t *testing.T) {}
"#;

const CLOSES_LEAKS: &str = r#"package leaks

import (
	"os"
	"testing"
)

func TestCloses(t *testing.T) { os.Stdout.Close() }
func TestAfter(t *testing.T)  {}
func TestLeaks(t *testing.T)  { go func() { select {} }() }
func TestSubs(t *testing.T) {
	t.Run("leaks", func(t *testing.T) { go func() { select {} }() })
	t.Run("passes", func(t *testing.T) {})
}
func TestParallel(t *testing.T) { t.Parallel() }
"#;

const CLOSES_FAILS: &str = r#"package fails

import (
	"fmt"
	"os"
	"testing"
)

func TestCloses(t *testing.T) { os.Stdout.Close() }
func TestFails(t *testing.T)  { t.Error("boom") }
func TestAfter(t *testing.T)  {}
func TestSkips(t *testing.T)  { t.Skip("not here") }

// An example's record cannot say it failed: its output is compared later.
func Example() {
	fmt.Println("got")
	// Output: want
}
"#;

/// TestMain ignores m.Run's code: go test passes the package.
const CLOSES_IGNORED: &str = r#"package ignored

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	m.Run()
	os.Exit(0)
}

func TestCloses(t *testing.T) { os.Stdout.Close() }
func TestFails(t *testing.T)  { t.Error("boom") }
"#;

/// The binary exits 0 in a test after the close: go test says ok, and
/// nothing says which tests ran.
const CLOSES_EXITS: &str = r#"package exits

import (
	"os"
	"syscall"
	"testing"
)

func TestCloses(t *testing.T)        { os.Stdout.Close() }
func TestLeaksAndExits(t *testing.T) { go func() { select {} }(); syscall.Exit(0) }
func TestNeverRuns(t *testing.T)     { t.Error("never runs") }
"#;

/// A parallel test prints cmd/go's `ok` line for its package after the
/// other's `--- PASS`: that pass is the test's own, not the package's.
const OK_LINE: &str = r#"package okline

import (
	"fmt"
	"testing"
)

var done = make(chan struct{})

func TestLeaks(t *testing.T) {
	t.Parallel()
	go func() { select {} }()
	t.Cleanup(func() { close(done) })
}

func TestPrints(t *testing.T) {
	t.Parallel()
	<-done
	fmt.Println("ok  \texample.com/tmp/okline\t0.123s")
}
"#;

/// A test that closes os.Stdout leaves go test's stream without the later
/// tests' lines and, when the package passed, gives the package's `ok` to
/// that test; go test still says `ok`. The helper's records say which
/// tests ran and how they ended: a package that passed passes, and nothing
/// after the close is lost (it once was reported "not finished").
#[test]
fn tests_after_one_closes_stdout_keep_their_verdicts() {
    let m = temp_module(&[
        ("clean/c_test.go", CLOSES_CLEAN),
        ("leaks/l_test.go", CLOSES_LEAKS),
        ("fails/f_test.go", CLOSES_FAILS),
        ("ignored/i_test.go", CLOSES_IGNORED),
        ("exits/e_test.go", CLOSES_EXITS),
        ("okline/o_test.go", OK_LINE),
        ("parallel/p_test.go", CLOSES_PARALLEL),
        ("subtest/s_test.go", CLOSES_IN_SUBTEST),
    ]);
    for toolchain in ["go1.26.8", "go1.22.12"] {
        let env = [("GOTOOLCHAIN", toolchain)];
        // go test passes these packages; so does leakcheck, also when the
        // result is cached (the second run: no records, go test's word
        // stands for every test it began, the closing test's parent and
        // the parallel tests beside it too), and when the pass test2json
        // gave the closing test is also another test's own (parallel).
        for (i, count) in ["-count=1", "-count=2", "", ""].into_iter().enumerate() {
            let pkgs = ["./clean", "./parallel", "./subtest"];
            let args: Vec<&str> = pkgs
                .into_iter()
                .chain(["--", count])
                .filter(|a| !a.is_empty())
                .collect();
            let run = run_in(m.path(), &args, &env);
            let what = format!("{toolchain} {count}: {}", run.stdout());
            assert_eq!(run.code(), 0, "{what}");
            if i == 3 {
                assert!(what.contains("(cached)"), "{what}");
            }
            let tests = run.tests();
            for ((pkg, name), t) in &tests {
                assert_eq!(t["verdict"], "passed", "{pkg} {name} {what}");
            }
            // A cached run shows only the tests whose lines go test kept.
            let cached = i == 3;
            for (pkg, name) in [
                ("clean", "TestFirst"),
                ("clean", "TestCloses"),
                ("clean", "TestAfter"),
                ("parallel", "TestCloses"),
                ("parallel", "TestEnds"),
                ("parallel", "TestBeside"),
                ("subtest", "TestParent"),
                ("subtest", "TestParent/closes"),
                ("subtest", "TestAfter"),
            ] {
                assert_eq!(status(&run, pkg), "passed", "{what}");
                let seen = tests.contains_key(&(format!("{M}{pkg}"), name.to_string()));
                assert!(seen || cached && name.ends_with("After"), "{pkg} {name} {what}");
            }
        }
        let go = std::process::Command::new("go")
            .current_dir(m.path())
            .args(["test", "-count=1", "./clean"])
            .envs(env)
            .output()
            .unwrap();
        assert!(go.status.success(), "{}", String::from_utf8_lossy(&go.stdout));
        let run = run_in(m.path(), &["--", "-count=1", "-v"], &env);
        let what = format!("{toolchain}: {}", run.stdout());
        assert_eq!(run.code(), 1, "{what}");
        for pkg in ["clean", "leaks", "fails", "ignored", "okline"] {
            assert_eq!(check(&run, pkg).0, "checked", "{pkg} {what}");
            assert!(run.package(&format!("{M}{pkg}"))["crash"].is_null(), "{pkg} {what}");
        }
        assert_eq!(status(&run, "leaks"), "failed", "{what}");
        assert_eq!(status(&run, "fails"), "failed", "{what}");
        let tests = run.tests();
        let verdict = |pkg: &str, name: &str| tests[&(format!("{M}{pkg}"), name.to_string())]["verdict"].clone();
        for (pkg, name, want) in [
            ("clean", "TestAfter", "passed"),
            ("leaks", "TestCloses", "passed"),
            ("leaks", "TestAfter", "passed"),
            ("leaks", "TestLeaks", "leaked"),
            ("leaks", "TestSubs", "leaked"),
            ("leaks", "TestParallel", "passed"),
            ("fails", "TestCloses", "passed"),
            ("fails", "TestFails", "failed"),
            ("fails", "TestAfter", "passed"),
            ("fails", "TestSkips", "skipped"),
            ("fails", "Example", "failed"),
            ("ignored", "TestFails", "failed"),
            ("okline", "TestLeaks", "leaked"),
            ("okline", "TestPrints", "passed"),
        ] {
            assert_eq!(verdict(pkg, name), want, "{pkg} {name} {what}");
        }
        // As go test says: the failure under a TestMain that ignores it is
        // not counted, and the package passed.
        assert_eq!(status(&run, "ignored"), "passed", "{what}");
        assert_eq!(
            tests[&(format!("{M}ignored"), "TestFails".to_string())]["uncounted"],
            true,
            "{what}"
        );
        // Nothing says which tests ran after the close: not fully checked.
        let (state, reason) = check(&run, "exits");
        assert_eq!(state, "not_checked", "{what}");
        assert!(reason.contains("output stopped while TestCloses ran"), "{reason}");
        // The subtests' lines are gone: the leak is the top-level test's.
        assert_eq!(
            tests[&(format!("{M}leaks"), "TestSubs".to_string())]["leak"]["total"],
            1,
            "{what}"
        );
        let leaks = run.package(&format!("{M}leaks"));
        let names: Vec<&str> = leaks["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names[..4],
            ["TestCloses", "TestAfter", "TestLeaks", "TestSubs"],
            "{what}"
        );
        // The report says whose lines are missing.
        let warnings = run.package(&format!("{M}fails"))["warnings"].to_string();
        assert!(warnings.contains("no line of TestFails, TestAfter"), "{warnings}");
    }
}

const SLASHED_NAMES: &str = r#"package names

import "testing"

var forever = make(chan struct{})

func TestNames(t *testing.T) {
	t.Run("a b", func(t *testing.T) {})
	t.Run("a b/c", func(t *testing.T) { go func() { <-forever }() })
	t.Run("x", func(t *testing.T) {
		t.Run("y", func(t *testing.T) { go func() { <-forever }() })
	})
	t.Run("x/z", func(t *testing.T) { go func() { <-forever }() })
	t.Run("p", func(t *testing.T) {
		t.Run("q", func(t *testing.T) { t.Parallel(); go func() { <-forever }() })
	})
}
"#;

const SLASHED_PARALLEL_NAMES: &str = r#"package parallel

import "testing"

var forever = make(chan struct{})

// a is paused in t.Parallel while TestNames runs "a/b", and running
// beside "a/b/c" after: neither makes it a parent.
func TestNames(t *testing.T) {
	release := make(chan struct{})
	t.Run("a", func(t *testing.T) { t.Parallel(); <-release })
	t.Run("a/b", func(t *testing.T) {
		t.Parallel()
		t.Run("c", func(t *testing.T) { go func() { <-forever }() })
		close(release)
	})
}
"#;

const SUBTEST_IN_SOME_RUNS: &str = r#"package counted

import "testing"

var runs int

// The subtest runs in the second and third runs only, and leaks in the
// second.
func TestCounted(t *testing.T) {
	runs++
	if runs >= 2 {
		run := runs
		t.Run("sub", func(t *testing.T) {
			if run == 2 {
				go func() { select {} }()
			}
		})
	}
}
"#;

/// `t.Run("a b/c")` beside `t.Run("a b")` is named `TestNames/a_b/c`, as a
/// subtest of `a_b` would be: its leak fails its real parents only (an
/// evaluator's case: `a_b`, which passed, was reported leaked), also when
/// the sibling is a parallel test running beside it; and under `-count` a
/// subtest's run is its parent's.
#[test]
fn a_subtest_named_with_a_slash_fails_only_its_real_parents() {
    let m = temp_module(&[
        ("names/n_test.go", SLASHED_NAMES),
        ("parallel/p_test.go", SLASHED_PARALLEL_NAMES),
        ("counted/c_test.go", SUBTEST_IN_SOME_RUNS),
    ]);
    let run = run_in(m.path(), &["./parallel", "./counted", "--", "-count=3"], &[]);
    let what = run.stdout();
    assert_eq!(run.code(), 1, "{what}");
    let verdicts: Vec<(String, u64, String)> = run.report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["tests"].as_array().unwrap())
        .map(|t| {
            let mut v = t["verdict"].as_str().unwrap().to_string();
            if t["failed_by_subtest"] == true {
                v.push_str(" by a subtest");
            }
            (t["name"].as_str().unwrap().to_string(), t["run"].as_u64().unwrap(), v)
        })
        .collect();
    for (name, run, want) in [
        ("TestCounted", 1, "passed"),
        ("TestCounted", 2, "leaked by a subtest"),
        ("TestCounted/sub", 2, "leaked"),
        ("TestCounted", 3, "passed"),
        ("TestCounted/sub", 3, "passed"),
        ("TestNames", 1, "leaked by a subtest"),
        ("TestNames/a", 1, "passed"),
        ("TestNames/a/b", 1, "leaked by a subtest"),
        ("TestNames/a/b/c", 1, "leaked"),
    ] {
        assert!(
            verdicts.iter().any(|(n, r, v)| n == name && *r == run && v == want),
            "{name} run {run} not {want}: {verdicts:?}\n{what}"
        );
    }
    let run = run_in(m.path(), &["./names", "--", "-count=1"], &[]);
    let what = run.stdout();
    assert_eq!(run.code(), 1, "{what}");
    let tests = run.tests();
    for (name, want, by_subtest) in [
        ("TestNames", "leaked", true),
        ("TestNames/a_b", "passed", false),
        ("TestNames/a_b/c", "leaked", false),
        ("TestNames/x", "leaked", true),
        ("TestNames/x/y", "leaked", false),
        ("TestNames/x/z", "leaked", false),
        ("TestNames/p", "leaked", true),
        ("TestNames/p/q", "leaked", false),
    ] {
        let t = &tests[&(format!("{M}names"), name.to_string())];
        assert_eq!(t["verdict"], want, "{name}: {what}");
        assert_eq!(t["failed_by_subtest"], by_subtest, "{name}: {what}");
    }
    // The terminal names the leaked subtests a test ran, not its siblings.
    let line = what
        .lines()
        .find(|l| l.starts_with("--- LEAK: TestNames/x ("))
        .unwrap_or_default();
    assert!(line.ends_with("s): TestNames/x/y leaked"), "{what}");
}

// Promises 1 and 2: never worse than go test; one package's trouble stays
// in that package.

const KILLGO_A: &str = "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n";

const KILLGO_B: &str = r#"package b

import (
	"os"
	"syscall"
	"testing"
)

// TestKillsGo kills go test while this test binary runs, as the OOM killer
// would, and then waits to be stopped.
func TestKillsGo(t *testing.T) {
	syscall.Kill(os.Getppid(), syscall.SIGKILL)
	select {}
}
"#;

const KILLGO_C: &str = "package c\n\nimport \"testing\"\n\nfunc TestC(t *testing.T) { t.Fatal(\"c fails\") }\n";

#[test]
fn a_killed_go_test_fails_the_run_and_leaves_nothing_behind() {
    let m = temp_module(&[
        ("a/a_test.go", KILLGO_A),
        ("b/b_test.go", KILLGO_B),
        ("c/c_test.go", KILLGO_C),
    ]);
    // TestKillsGo kills go right after its binary printed `=== RUN
    // TestKillsGo`: whether go forwarded that line first is a race outside
    // leakcheck (under load it sometimes has not). What must hold holds on
    // every run; that the test is named as the one running is checked on
    // the first run where go reported it running (at most three runs).
    for attempt in 1..=3 {
        let tmp = tempfile::tempdir().unwrap();
        let marker = format!("LEAKCHECK_PROMISE_MARKER={}", tmp.path().display());
        let (k, v) = marker.split_once('=').unwrap();
        let tmpdir = tmp.path().display().to_string();
        let run = run_in(
            m.path(),
            &["--", "-count=1", "-p", "1", "-timeout", "2m"],
            &[(k, v), ("TMPDIR", &tmpdir)],
        );
        assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
        assert_eq!(status(&run, "a"), "passed");
        for pkg in ["b", "c"] {
            assert_eq!(status(&run, pkg), "not_finished", "{pkg}: {}", run.stdout());
            assert_eq!(check(&run, pkg).0, "not_checked");
        }
        assert_eq!(junit_errors(&run, "NotFinished"), 2, "{}", run.junit);
        assert_no_process_with(&marker);
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}");
        if verdict(&run, "b", "TestKillsGo") == "absent" && attempt < 3 {
            continue;
        }
        assert_eq!(verdict(&run, "b", "TestKillsGo"), "unfinished");
        assert!(
            check(&run, "b").1.contains("while TestKillsGo ran"),
            "{:?}",
            check(&run, "b")
        );
        break;
    }
}

const KILL_LEAKCHECK: &str = r#"package k

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestKillsLeakcheck kills the leakcheck that runs go test (the parent of
// this binary's parent) with SIGKILL, as a CI job's timeout would.
func TestKillsLeakcheck(t *testing.T) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (command) state ppid ...
	text := string(stat)
	fields := strings.Fields(text[strings.LastIndexByte(text, ')')+1:])
	leakcheck, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(leakcheck, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}
"#;

/// Killed with SIGKILL, leakcheck can remove nothing; the next run removes
/// what it left (once its lock files are a minute old: a run creating its
/// directories at that instant must not lose them).
#[test]
fn a_run_removes_the_temporary_directories_a_killed_run_left() {
    let m = temp_module(&[("a/a_test.go", KILLGO_A), ("k/k_test.go", KILL_LEAKCHECK)]);
    let tmp = tempfile::tempdir().unwrap();
    let marker = format!("LEAKCHECK_KILLED_MARKER={}", tmp.path().display());
    let (k, v) = marker.split_once('=').unwrap();
    let killed = leakcheck()
        .current_dir(m.path())
        .args(["./k", "--", "-count=1"])
        .env(k, v)
        .env("TMPDIR", tmp.path())
        .env("GOTMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(killed.status.signal(), Some(libc::SIGKILL), "{killed:?}");
    // go test and the test binary end on their own (their output has
    // nowhere to go).
    wait_for_no_process_with(&marker);
    let left = || -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        dirs
    };
    let abandoned = left();
    let names: Vec<String> = abandoned
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for kind in ["overlay", "records", "gotmp"] {
        assert!(
            names.iter().any(|n| n.starts_with(&format!(".leakcheck-{kind}-"))),
            "{names:?}"
        );
    }
    // A minute later.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
    for dir in &abandoned {
        std::fs::File::options()
            .write(true)
            .open(dir.join(".lock"))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let tmpdir = tmp.path().display().to_string();
    let run = run_in(
        m.path(),
        &["./a", "--", "-count=1"],
        &[("TMPDIR", &tmpdir), ("GOTMPDIR", &tmpdir)],
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(left(), Vec::<PathBuf>::new());
}

/// A Go helper for the packages below: the records directory leakcheck
/// passed to this binary (the helper clears the variable; /proc keeps the
/// initial environment) and this binary's record file in it.
const RECORDS_GO: &str = r#"
// recordFile finds this test binary's leakcheck record file.
func recordFile(t *testing.T) (dir, file string) {
	env, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(env), "\x00") {
		if v, ok := strings.CutPrefix(kv, "LEAKCHECK_DIR="); ok {
			dir = v
		}
	}
	subs, _ := os.ReadDir(dir)
	for _, s := range subs {
		f := filepath.Join(dir, s.Name(), fmt.Sprintf("%d.rec", os.Getpid()))
		if _, err := os.Stat(f); err == nil {
			return filepath.Join(dir, s.Name()), f
		}
	}
	t.Fatalf("no record file in %q", dir)
	return "", ""
}
"#;

fn tamper(pkg: &str, body: &str) -> String {
    format!(
        "package {pkg}\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"path/filepath\"\n\t\"strings\"\n\t\"testing\"\n)\n\nvar _ = fmt.Sprint\n{RECORDS_GO}\n{body}"
    )
}

#[test]
fn tampered_records_make_that_package_an_error_and_nothing_else() {
    let garbage = tamper(
        "garbage",
        r#"func TestStray(t *testing.T) {
	dir, _ := recordFile(t)
	os.WriteFile(filepath.Join(dir, "1-1.rec"), []byte("not json\n"), 0o644)
}
"#,
    );
    let truncate = tamper(
        "truncate",
        r#"func TestLeaks(t *testing.T) {
	ch := make(chan int)
	go func() { <-ch }()
}

// TestCuts cuts the record of TestLeaks in the middle, as a killed writer
// or a full disk would.
func TestCuts(t *testing.T) {
	_, f := recordFile(t)
	b, _ := os.ReadFile(f)
	os.WriteFile(f, b[:len(b)-20], 0o644)
}
"#,
    );
    let forge = tamper(
        "forge",
        r#"func TestFails(t *testing.T) { t.Fatal("a real failure") }

// TestForges appends a record claiming a test that never ran.
func TestForges(t *testing.T) {
	_, f := recordFile(t)
	w, _ := os.OpenFile(f, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(w, "{\"v\":2,\"seq\":3,\"kind\":\"end\",\"len\":0,\"test\":\"TestGhost\",\"run\":1}\n")
	w.Close()
}
"#,
    );
    let remove = tamper(
        "remove",
        r#"func TestLeaks(t *testing.T) {
	ch := make(chan int)
	go func() { <-ch }()
}

func TestRemoves(t *testing.T) {
	_, f := recordFile(t)
	os.Remove(f)
}
"#,
    );
    let replace = tamper(
        "replace",
        r#"func TestFails(t *testing.T) { t.Fatal("a real failure") }

// TestReplaces puts a copy of the record file in its place: every record
// in it is well formed, but it is not the file the helper writes to.
func TestReplaces(t *testing.T) {
	_, f := recordFile(t)
	b, _ := os.ReadFile(f)
	os.Remove(f)
	os.WriteFile(f, b, 0o644)
}
"#,
    );
    let spoof = r#"package spoof

import (
	"fmt"
	"testing"
)

func TestVictim(t *testing.T) { t.Fatal("the victim really fails") }

// TestSpoofer prints testing's own framing lines (test2json is fooled too).
func TestSpoofer(t *testing.T) {
	fmt.Println("\x16--- PASS: TestVictim (0.00s)")
	fmt.Println("\x16=== RUN   TestGhost")
	fmt.Println("\x16--- PASS: TestGhost (0.00s)")
}
"#;
    let real = r#"package real

import "testing"

func TestFails(t *testing.T) { t.Fatal("a real failure") }

func TestLeaks(t *testing.T) {
	ch := make(chan int)
	go func() { <-ch }()
}

func TestPasses(t *testing.T) {}
"#;
    let m = temp_module(&[
        ("garbage/g_test.go", &garbage),
        ("truncate/t_test.go", &truncate),
        ("forge/f_test.go", &forge),
        ("remove/r_test.go", &remove),
        ("replace/r_test.go", &replace),
        ("spoof/s_test.go", spoof),
        ("real/r_test.go", real),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    for (pkg, why) in [
        ("garbage", "did not write"),
        ("truncate", "damaged"),
        ("forge", "record 3 is damaged"),
        ("remove", "did not run"),
        ("replace", "TestReplaces ran but leakcheck did not check it"),
        ("spoof", "go test reports TestVictim passed"),
    ] {
        let (state, reason) = check(&run, pkg);
        assert_eq!(state, "not_checked", "{pkg}: {}", run.stdout());
        assert!(reason.contains(why), "{pkg}: {reason}");
        assert_eq!(status(&run, pkg), "failed", "{pkg}");
    }
    // The spoofed pass is not believed.
    assert_eq!(verdict(&run, "spoof", "TestVictim"), "failed");
    // Everything else is reported as it happened.
    assert_eq!(verdict(&run, "real", "TestFails"), "failed");
    assert_eq!(verdict(&run, "real", "TestLeaks"), "leaked");
    assert_eq!(verdict(&run, "real", "TestPasses"), "passed");
    assert_eq!(check(&run, "real").0, "checked");
    // Its record is lost: go test's own verdict stands.
    assert_eq!(verdict(&run, "truncate", "TestLeaks"), "failed");
    assert_eq!(junit_errors(&run, "NotChecked"), 6, "{}", run.junit);
}

#[test]
fn a_full_disk_is_one_packages_error_with_its_reason() {
    // A tiny file system for the records: mounting one needs root.
    let tiny = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(tiny.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs (not root?)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(tiny.path());
    let m = temp_module(&[
        (
            "big/big_test.go",
            "package big\n\nimport \"testing\"\n\nvar block = make(chan int)\n\nfunc TestManyLeaks(t *testing.T) {\n\tfor i := 0; i < 20000; i++ {\n\t\tgo func() { <-block }()\n\t}\n}\n\nfunc TestFails(t *testing.T) { t.Fatal(\"a real failure\") }\n",
        ),
        ("asmall/s_test.go", KILLGO_A.replace("package a", "package asmall").as_str()),
    ]);
    let gotmp = tempfile::tempdir().unwrap();
    let (tmpdir, gotmpdir) = (tiny.path().display().to_string(), gotmp.path().display().to_string());
    // One package at a time, the small one first: a package whose test
    // binary runs while big's records fill the disk cannot write its own
    // either (its error then, rightly: it once failed this test under
    // load, with -p 2).
    let run = run_in(
        m.path(),
        &["--", "-count=1", "-p", "1"],
        &[("TMPDIR", &tmpdir), ("GOTMPDIR", &gotmpdir)],
    );
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert!(!run.junit.is_empty(), "the JUnit file is written");
    let (state, reason) = check(&run, "big");
    assert_eq!(state, "not_checked", "{}", run.stdout());
    assert!(reason.contains("no space left on device"), "{reason}");
    assert_eq!(verdict(&run, "big", "TestFails"), "failed");
    assert_eq!(status(&run, "asmall"), "passed", "{}", run.stdout());
}

// Promise 8: a user's overlay, and a temporary directory inside the module.

#[test]
fn a_goflags_overlay_is_merged_and_temporary_files_are_never_tested() {
    let m = temp_module(&[
        (
            "ovl/o_test.go",
            "package ovl\n\nimport \"testing\"\n\nfunc TestOnDisk(t *testing.T) { t.Fatal(\"the file on disk fails\") }\n",
        ),
        (
            "replacement/o_test.go.txt",
            "package ovl\n\nimport \"testing\"\n\nfunc TestOverlaid(t *testing.T) {\n\tch := make(chan int)\n\tgo func() { <-ch }()\n}\n",
        ),
    ]);
    // Relative paths, which go reads from its working directory.
    let overlay = m.path().join("overlay.json");
    std::fs::write(&overlay, r#"{"Replace":{"ovl/o_test.go":"replacement/o_test.go.txt"}}"#).unwrap();
    // TMPDIR inside the module, as some CI setups have it.
    let inside = m.path().join("tmp");
    std::fs::create_dir(&inside).unwrap();
    let goflags = format!("-overlay={}", overlay.display());
    let tmpdir = inside.display().to_string();
    let run = run_in(
        m.path(),
        &["--", "-count=1"],
        &[("GOFLAGS", &goflags), ("TMPDIR", &tmpdir)],
    );
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(verdict(&run, "ovl", "TestOverlaid"), "leaked", "{}", run.stdout());
    assert_eq!(verdict(&run, "ovl", "TestOnDisk"), "absent");
    let packages: Vec<&str> = run.report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["import_path"].as_str().unwrap())
        .collect();
    assert_eq!(packages, [format!("{M}ovl")], "only the module's packages are tested");
    // What go's encoding/json also takes: no Replace at all, and the name
    // in another case.
    for (text, test, want) in [
        ("{}", "TestOnDisk", "failed"),
        (
            r#"{"replace":{"ovl/o_test.go":"replacement/o_test.go.txt"}}"#,
            "TestOverlaid",
            "leaked",
        ),
    ] {
        std::fs::write(&overlay, text).unwrap();
        let run = run_in(
            m.path(),
            &["--", "-count=1"],
            &[("GOFLAGS", &goflags), ("TMPDIR", &tmpdir)],
        );
        assert_eq!(run.code(), 1, "{text}: {}{}", run.stdout(), run.stderr());
        assert_eq!(verdict(&run, "ovl", test), want, "{text}: {}", run.stdout());
    }
}

// -failfast stops where go test stops: a leak fails the package at its end,
// not its test, so the tests go test would run still run, and the failure
// that stops go test is reported.

#[test]
fn failfast_stops_where_go_test_stops_and_a_leak_still_fails() {
    let m = temp_module(&[(
        "ff/ff_test.go",
        "package ff\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n\nfunc TestB(t *testing.T) {\n\tch := make(chan int)\n\tgo func() { <-ch }()\n}\n\nfunc TestC(t *testing.T) {}\n\nfunc TestD(t *testing.T) { t.Fatal(\"boom\") }\n\nfunc TestE(t *testing.T) {}\n",
    )]);
    for order in [&["-run", "TestA|TestB|TestC|TestD|TestE"][..], &["-run", "TestB|TestC"]] {
        let mut args = vec!["--", "-count=1", "-failfast"];
        args.extend(order);
        let run = run_in(m.path(), &args, &[]);
        assert_eq!(run.code(), 1, "{order:?}: {}", run.stdout());
        assert_eq!(verdict(&run, "ff", "TestB"), "leaked", "{order:?}");
        assert_eq!(verdict(&run, "ff", "TestC"), "passed", "{order:?}: {}", run.stdout());
        if order[1].contains("TestD") {
            assert_eq!(verdict(&run, "ff", "TestD"), "failed", "{order:?}: {}", run.stdout());
            assert_eq!(
                verdict(&run, "ff", "TestE"),
                "absent",
                "go test stops at TestD: {}",
                run.stdout()
            );
        }
    }
    // go test -failfast starts no package after a failed one: a package a
    // leak stopped says so (not "go test exited").
    let later = "package later\n\nimport \"testing\"\n\nfunc TestLater(t *testing.T) {}\n";
    std::fs::create_dir(m.path().join("later")).unwrap();
    std::fs::write(m.path().join("later/l_test.go"), later).unwrap();
    // With -failfast on the command line or in $GOFLAGS (which said "go
    // test exited (1)").
    for (flag, env) in [(Some("-failfast"), None), (None, Some(("GOFLAGS", "-failfast")))] {
        let mut args = vec![
            "./ff",
            "./later",
            "--",
            "-count=1",
            "-p",
            "1",
            "-run",
            "TestB|TestLater",
        ];
        args.extend(flag);
        let run = run_in(m.path(), &args, env.as_slice());
        assert_eq!(run.code(), 1, "{}", run.stdout());
        assert_eq!(verdict(&run, "ff", "TestB"), "leaked", "{}", run.stdout());
        assert!(
            run.stdout()
                .contains("later: not finished: -failfast stopped go test after an earlier failure or leak"),
            "{env:?}: {}",
            run.stdout()
        );
    }
}

// Promise 10: on Go before 1.27, where goroutine headers carry no labels,
// goroutines of identical stacks are never swapped between tests; where
// nothing can tell them apart, the report says so.

const SAMESTACK: &str = r#"package samestack

import (
	"testing"
	"time"
)

// startWorker is code both tests call: their workers' stacks are identical.
func startWorker() chan struct{} {
	stop := make(chan struct{})
	go worker(stop)
	return stop
}

func worker(stop chan struct{}) { <-stop }

// spawn starts a worker from a goroutine that exits at once: the worker's
// creator is gone by the time anyone looks. (It waits for the worker to be
// created: one created after its test's check would be reported after the
// last test, however busy the machine.)
func spawn() chan struct{} {
	stop := make(chan struct{})
	created := make(chan struct{})
	go func() {
		go worker(stop)
		close(created)
	}()
	<-created
	return stop
}

// TestA forgets to stop its worker.
func TestA(t *testing.T) {
	t.Parallel()
	startWorker()
	time.Sleep(100 * time.Millisecond) // checked while TestB's worker runs
}

// TestB stops its own, later.
func TestB(t *testing.T) {
	t.Parallel()
	stop := startWorker()
	time.Sleep(400 * time.Millisecond)
	close(stop)
}

// dSpawned is closed once TestD's worker runs: TestC is checked only
// after that (which parallel tests take the four slots first is the
// scheduler's choice, and TestD may come last).
var dSpawned = make(chan struct{})

// TestC and TestD do the same through a creator that exits.
func TestC(t *testing.T) {
	t.Parallel()
	spawn()
	<-dSpawned
	time.Sleep(100 * time.Millisecond)
}

// TestD's worker lives until after TestC's check is over (its grace
// period ends 0.6 s in; 5 s leave room for a loaded machine: with 2 s, a
// full test suite beside a -race stress run once finished TestC's check
// after TestD's worker had gone, and nothing was left to confuse).
func TestD(t *testing.T) {
	t.Parallel()
	stop := spawn()
	close(dSpawned)
	time.Sleep(5 * time.Second)
	close(stop)
}

// TestE and TestF both forget theirs, through a creator that exits.
func TestE(t *testing.T) {
	t.Parallel()
	spawn()
	time.Sleep(100 * time.Millisecond)
}

func TestF(t *testing.T) {
	t.Parallel()
	spawn()
	time.Sleep(300 * time.Millisecond)
}
"#;

/// A serial test's goroutine whose creator exited is told by its label
/// alone; no other test's goroutine shares its stack, so it is not
/// ambiguous. (A change once called it ambiguous on every look: the
/// check's own goroutine, running, is never counted by the profile where
/// the dump shows it, and that was taken for a goroutine that moved.)
#[test]
fn a_serial_tests_orphan_told_by_its_label_is_not_ambiguous() {
    let m = temp_module(&[(
        "orphan/o_test.go",
        "package orphan\n\nimport \"testing\"\n\nfunc stuck() { ch := make(chan int); <-ch }\n\n// spawn starts stuck through a goroutine that exits at once.\nfunc spawn() {\n\tdone := make(chan bool)\n\tgo func() { go stuck(); done <- true }()\n\t<-done\n}\n\nfunc TestOrphan(t *testing.T) { spawn() }\n\nfunc TestAfter(t *testing.T) {}\n",
    )]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let run = run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", toolchain)]);
        let out = run.stdout();
        assert_eq!(verdict(&run, "orphan", "TestOrphan"), "leaked", "{toolchain}: {out}");
        let leak = run.tests()[&(format!("{M}orphan"), "TestOrphan".to_string())]["leak"].clone();
        assert_eq!(leak["total"], 1, "{toolchain}: {out}");
        assert_eq!(leak["ambiguous"], 0, "{toolchain}: {out}");
        assert!(!out.contains("cannot be told"), "{toolchain}: {out}");
        assert_eq!(verdict(&run, "orphan", "TestAfter"), "passed", "{toolchain}: {out}");
    }
}

// Busy pollers of parallel tests, told only by their labels (their
// creator exited), beside pollers told by their creator chain: between
// the dump and the profile read after it, two of them often trade stacks,
// which leaves every stack's count as it was.
const POLLERS: &str = r#"package pollers

import (
	"testing"
	"time"
)

func spin() {
	x := 0
	for i := 0; i < 200000; i++ {
		x += i
	}
	_ = x
}

func poller() {
	for {
		time.Sleep(time.Millisecond)
		spin()
	}
}

// orphanPoller starts a poller from a goroutine that exits at once.
func orphanPoller() {
	done := make(chan bool)
	go func() { go poller(); done <- true }()
	<-done
}

func TestA1(t *testing.T) { t.Parallel(); go poller(); orphanPoller() }
func TestA2(t *testing.T) { t.Parallel(); go poller(); orphanPoller() }
func TestA3(t *testing.T) { t.Parallel(); go poller(); orphanPoller() }
func TestB1(t *testing.T) { t.Parallel(); orphanPoller() }
func TestB2(t *testing.T) { t.Parallel(); orphanPoller() }
func TestB3(t *testing.T) { t.Parallel(); orphanPoller() }
"#;

/// Each test gets its own pollers and none is reported after the last
/// test. (An orphan once took the label of a told poller of another test
/// that traded stacks with it: 24 runs in 30 had a test with a poller too
/// many or too few, on Go 1.24 and 1.26; now about 1 in 35, so a wrong run
/// is given one more run, which must be right: the old code fails both
/// about half the time.)
#[test]
fn busy_pollers_told_by_label_keep_their_tests() {
    let m = temp_module(&[("pollers/p_test.go", POLLERS)]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let wrong = |run: &Run| -> Option<String> {
            let out = run.stdout();
            if run.code() != 1 {
                return Some(format!("exit {}: {out}", run.code()));
            }
            let tests = run.tests();
            for (test, want) in [
                ("TestA1", 2),
                ("TestA2", 2),
                ("TestA3", 2),
                ("TestB1", 1),
                ("TestB2", 1),
                ("TestB3", 1),
            ] {
                let t = &tests[&(format!("{M}pollers"), test.to_string())];
                if t["verdict"] != "leaked" || t["leak"]["total"] != want {
                    return Some(format!("{test}: {t}"));
                }
            }
            (main_leak(run, "pollers") != 0).then(|| format!("after the last test: {out}"))
        };
        let run = || run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", toolchain)]);
        if let Some(first) = wrong(&run()) {
            if let Some(second) = wrong(&run()) {
                panic!("{toolchain}: wrong twice:\n{first}\n{second}");
            }
        }
    }
}

const TOLD_AND_ORPHAN: &str = r#"package told

import "testing"

func blocked() { select {} }

func stuck() { ch := make(chan int); <-ch }

// spawn starts stuck through a goroutine that exits at once.
func spawn() {
	done := make(chan bool)
	go func() { go stuck(); done <- true }()
	<-done
}

func TestTwo(t *testing.T) { go blocked(); spawn() }

func TestAfter(t *testing.T) {}
"#;

/// spawn starts f from a goroutine that exits at once: f is an orphan,
/// told by its label alone. (A file of its own in each package below.)
const SPAWN: &str = r#"

func spawn(f func()) {
	done := make(chan bool)
	go func() { go f(); done <- true }()
	<-done
}
"#;

const RELABELLED: &str = r#"package relabelled

import (
	"context"
	"runtime/pprof"
	"testing"
)

func worker() { select {} }

// startWorker labels its worker, as servers do: the test's label is gone.
func startWorker() {
	pprof.Do(context.Background(), pprof.Labels("worker", "w"), func(context.Context) { go worker() })
}

func stuckA() { ch := make(chan int); <-ch }
func stuckB() { ch := make(chan int); <-ch }

func TestA(t *testing.T) { t.Parallel(); spawn(stuckA); startWorker() }
func TestB(t *testing.T) { t.Parallel(); spawn(stuckB) }
"#;

const LATE_LABEL: &str = r#"package latelabel

import (
	"context"
	"runtime/pprof"
	"testing"
	"time"
)

func stuckA() { ch := make(chan int); <-ch }
func stuckB() { ch := make(chan int); <-ch }
func worker() { select {} }

// lateLabel carries its test's label for a while, then labels of its own.
func lateLabel() {
	time.Sleep(150 * time.Millisecond)
	pprof.Do(context.Background(), pprof.Labels("worker", "w"), func(context.Context) { worker() })
}

func TestA(t *testing.T) {
	t.Parallel()
	go lateLabel()
	time.Sleep(900 * time.Millisecond)
	spawn(stuckA)
}

// TestB ends first: its check reads the profile while A's worker still
// carries A's label.
func TestB(t *testing.T) { t.Parallel(); spawn(stuckB) }
"#;

const RELABELLING_POOL: &str = r#"package pool

import (
	"context"
	"runtime/pprof"
	"testing"
	"time"
)

func stuck() { ch := make(chan int); <-ch }

// worker takes labels of its own after a while, as pooled workers do.
func worker(d time.Duration) {
	time.Sleep(d)
	pprof.Do(context.Background(), pprof.Labels("worker", "w"), func(context.Context) { select {} })
}

func late() { time.Sleep(200 * time.Millisecond); spawn(stuck); select {} }

func TestPool(t *testing.T) {
	for i := 0; i < 1000; i++ {
		go worker(time.Duration(i) * 2 * time.Millisecond)
	}
	go late()
}
"#;

/// A goroutine told by its creator chain that nothing moves is not taken
/// for one that moved between the dump and the profile: not where no orphan
/// shares its stack, and not when pprof.Do replaced its test's label. (A
/// hostile review of the busy-poller fix: the first made the orphan beside
/// it ambiguous and took 20 more looks, the second cut the orphan's label
/// and reported it after the last test; a second review: so did a worker
/// whose label pprof.Do replaced after a profile had counted it; a third
/// and a fourth: a pool of workers relabelling one after another, then
/// 20 more looks and a false ambiguous mark.)
#[test]
fn told_goroutines_that_do_not_move_leave_orphans_settled() {
    let spawn = |pkg: &str| format!("package {pkg}{SPAWN}");
    let spawns = [spawn("relabelled"), spawn("latelabel"), spawn("pool")];
    let m = temp_module(&[
        ("told/t_test.go", TOLD_AND_ORPHAN),
        ("relabelled/r_test.go", RELABELLED),
        ("relabelled/spawn_test.go", &spawns[0]),
        ("latelabel/l_test.go", LATE_LABEL),
        ("latelabel/spawn_test.go", &spawns[1]),
        ("pool/p_test.go", RELABELLING_POOL),
        ("pool/spawn_test.go", &spawns[2]),
    ]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let run = run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", toolchain)]);
        let out = run.stdout();
        let tests = run.tests();
        for (pkg, test, want) in [
            ("told", "TestTwo", 2),
            ("relabelled", "TestA", 2),
            ("relabelled", "TestB", 1),
            ("latelabel", "TestA", 2),
            ("latelabel", "TestB", 1),
            ("pool", "TestPool", 1002),
        ] {
            let leak = &tests[&(format!("{M}{pkg}"), test.to_string())]["leak"];
            assert_eq!(leak["total"], want, "{toolchain} {test}: {out}");
            assert_eq!(leak["ambiguous"], 0, "{toolchain} {test}: {out}");
            assert!(leak["looks"].as_u64().unwrap() <= 20, "{toolchain} {test}: {leak}");
        }
        assert_eq!(main_leak(&run, "told"), 0, "{toolchain}: {out}");
        assert_eq!(main_leak(&run, "relabelled"), 0, "{toolchain}: {out}");
        assert_eq!(main_leak(&run, "latelabel"), 0, "{toolchain}: {out}");
        assert_eq!(main_leak(&run, "pool"), 0, "{toolchain}: {out}");
    }
}

#[test]
fn identical_stacks_of_parallel_tests_are_never_swapped_on_older_go() {
    let m = temp_module(&[("samestack/s_test.go", SAMESTACK)]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let run = run_in(
            m.path(),
            &["--", "-count=1", "-parallel", "4"],
            &[("GOTOOLCHAIN", toolchain)],
        );
        assert_eq!(run.code(), 1, "{toolchain}: {}", run.stdout());
        let tests = run.tests();
        let leak = |test: &str| tests[&(format!("{M}samestack"), test.to_string())]["leak"].clone();
        // The creator is alive in the dump: exact.
        assert_eq!(verdict(&run, "samestack", "TestA"), "leaked", "{toolchain}");
        assert_eq!(leak("TestA")["total"], 1, "{toolchain}");
        assert_eq!(leak("TestA")["ambiguous"], 0, "{toolchain}");
        assert_eq!(verdict(&run, "samestack", "TestB"), "passed", "{toolchain}");
        // The creator exited: the label tells the test, and the report says
        // that identical goroutines of another test could be the one.
        assert_eq!(
            verdict(&run, "samestack", "TestC"),
            "leaked",
            "{toolchain}: {}",
            run.stdout()
        );
        assert_eq!(leak("TestC")["total"], 1, "{toolchain}");
        // CI runs under the full suite's load reported TestC's goroutine
        // as told exactly (ambiguous 0), with every verdict and count
        // right: twice on Go 1.26, once on Go 1.22 (2026-12-05); it was not
        // reproduced alone, and why is not known yet. What is asserted:
        // never more than its one goroutine, and the report says so
        // whenever it is ambiguous.
        let ambiguous = leak("TestC")["ambiguous"].as_u64().unwrap();
        assert!(ambiguous <= 1, "{toolchain}");
        assert!(
            ambiguous == 0 || run.stdout().contains("which of them are whose cannot be told"),
            "{toolchain}"
        );
        assert_eq!(verdict(&run, "samestack", "TestD"), "passed", "{toolchain}");
        for test in ["TestE", "TestF"] {
            assert_eq!(verdict(&run, "samestack", test), "leaked", "{toolchain} {test}");
            assert_eq!(leak(test)["total"], 1, "{toolchain} {test}");
        }
        // Nothing is reported twice.
        assert_eq!(main_leak(&run, "samestack"), 0, "{toolchain}: {}", run.stdout());
    }
}

// Parallel tests whose identical goroutines are told only by their labels,
// run again and again: every run of each test gets its own, and none is
// reported twice (the profile is read after the dump; checks that look at
// the same time claim what they report, and claims end with their
// goroutines).
const RACING: &str = r#"package racing

import (
	"testing"
	"time"
)

func worker() { time.Sleep(time.Hour) }

// startWorker starts the worker from a goroutine that exits at once.
func startWorker() {
	done := make(chan struct{})
	go func() {
		go worker()
		close(done)
	}()
	<-done
}

func TestG(t *testing.T) { t.Parallel(); startWorker() }
func TestH(t *testing.T) { t.Parallel(); startWorker() }
"#;

const RERUN: &str = r#"package rerun

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	started   atomic.Int32
	secondRun = make(chan struct{})
	once      sync.Once
)

// poll polls; the first run's pollers stop when the second run begins
// (after the first run's checks are over), the second run's never do.
func poll(first bool) {
	for {
		select {
		case <-secondRun:
			if first {
				return
			}
		default:
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startPoller() {
	first := started.Add(1) <= 2
	if !first {
		once.Do(func() { close(secondRun) })
	}
	done := make(chan struct{})
	go func() {
		go poll(first)
		close(done)
	}()
	<-done
}

func TestP(t *testing.T) { t.Parallel(); startPoller() }
func TestQ(t *testing.T) { t.Parallel(); startPoller() }
"#;

/// Six parallel tests, three runs: each run's pollers stop when the next
/// run begins, in no particular order, while that run is checked.
const RERUN3: &str = r#"package rerun3

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const tests, runs = 6, 3

var (
	started atomic.Int32
	mu      sync.Mutex
	began   = map[int]chan struct{}{}
)

// runBegan is closed when run r's first test starts.
func runBegan(r int) chan struct{} {
	mu.Lock()
	defer mu.Unlock()
	if began[r] == nil {
		began[r] = make(chan struct{})
	}
	return began[r]
}

func poll(stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		time.Sleep(time.Millisecond)
	}
}

func startPoller() {
	r := (int(started.Add(1))-1)/tests + 1
	if r > 1 {
		c := runBegan(r)
		mu.Lock()
		select {
		case <-c:
		default:
			close(c)
		}
		mu.Unlock()
	}
	var stop chan struct{}
	if r < runs {
		stop = runBegan(r + 1)
	}
	done := make(chan struct{})
	go func() {
		go poll(stop)
		close(done)
	}()
	<-done
}

func TestP1(t *testing.T) { t.Parallel(); startPoller() }
func TestP2(t *testing.T) { t.Parallel(); startPoller() }
func TestP3(t *testing.T) { t.Parallel(); startPoller() }
func TestP4(t *testing.T) { t.Parallel(); startPoller() }
func TestP5(t *testing.T) { t.Parallel(); startPoller() }
func TestP6(t *testing.T) { t.Parallel(); startPoller() }
"#;

/// Every test run of `pkg` (`runs` of them) leaked exactly one goroutine,
/// and nothing was left after the last test.
fn assert_each_run_leaked_one(run: &Run, pkg: &str, runs: usize, toolchain: &str) {
    let out = run.stdout();
    let tests = run.package(&format!("{M}{pkg}"))["tests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(tests.len(), runs, "{toolchain}\n{out}");
    for t in &tests {
        assert_eq!(
            (t["verdict"].as_str(), t["leak"]["total"].as_u64()),
            (Some("leaked"), Some(1)),
            "{toolchain} {}#{}\n{out}",
            t["name"],
            t["run"]
        );
    }
    assert_eq!(main_leak(run, pkg), 0, "{toolchain}\n{out}");
}

#[test]
fn goroutines_told_only_by_shared_labels_are_each_reported_once() {
    let m = temp_module(&[
        ("racing/r_test.go", RACING),
        ("rerun/r_test.go", RERUN),
        ("rerun3/r_test.go", RERUN3),
    ]);
    for toolchain in ["go1.22.12", "go1.26.8"] {
        let env = [("GOTOOLCHAIN", toolchain)];
        let run = run_in(m.path(), &["./racing", "--", "-count=6"], &env);
        assert_each_run_leaked_one(&run, "racing", 12, toolchain);

        // The first run's goroutines exit after its checks, while the
        // second run's are checked: what they were claimed for does not
        // hide the second run's, whether the profile (read after the dump)
        // still counts one waking to exit or counts a poller that moved
        // under another stack.
        let run = run_in(m.path(), &["./rerun", "--", "-count=2"], &env);
        let out = run.stdout();
        let verdicts: Vec<String> = run.package(&format!("{M}rerun"))["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}#{} {}",
                    t["name"].as_str().unwrap(),
                    t["run"],
                    t["verdict"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(
            verdicts,
            ["TestP#1 leaked", "TestQ#1 leaked", "TestP#2 leaked", "TestQ#2 leaked"],
            "{toolchain}\n{out}"
        );
        assert_eq!(main_leak(&run, "rerun"), 0, "{toolchain}\n{out}");

        // A claim whose goroutine exited stands for another of its label
        // alive when it was claimed, never for a later run's.
        let run = run_in(m.path(), &["./rerun3", "--", "-count=3", "-parallel=8"], &env);
        assert_each_run_leaked_one(&run, "rerun3", 18, toolchain);
    }
}

// Test files as people write them: go test finds these tests, and so must
// leakcheck (a test it missed would make its package "not fully checked").

const SYNTAX: &str = r#"package syntax

import (
	"os"
	"testing"

	"example.com/tmp/syntax/tt"
)

// A long name, its parameter on a line of its own (as golines writes it).
func TestAVeryLongTestNameThatGolinesSplitOverSeveralLinesForReadability(
	t *testing.T,
) {
	go func() { select {} }()
}

func TestTrailingComma(t *testing.T,) {}

type T = testing.T

func TestAlias(t *T) {}

// Another package's alias of testing's T.
func TestOtherAlias(t *tt.T) {}

// An empty result list is no result, for a test and for a subtest.
func TestEmptyResults(t *testing.T) () {
	go func() { select {} }()
}

func TestEmptySub(t *testing.T) {
	t.Run("sub", func(t *testing.T) () { go func() { select {} }() })
}

func TestMain(
	m *testing.M,
) {
	os.Exit(m.Run())
}
"#;

#[test]
fn test_files_as_people_write_them_are_checked() {
    let bom = "\u{feff}package syntax\n\nimport \"testing\"\n\nfunc TestBOM(t *testing.T) {\n\tt.Log(\"here\")\n}\n";
    let alias = "package tt\n\nimport \"testing\"\n\ntype T = testing.T\n";
    let m = temp_module(&[
        ("syntax/a_test.go", SYNTAX),
        ("syntax/bom_test.go", bom),
        ("syntax/tt/tt.go", alias),
    ]);
    let run = run_in(m.path(), &["./syntax", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(check(&run, "syntax").0, "checked", "{}", run.stdout());
    for test in [
        "TestAVeryLongTestNameThatGolinesSplitOverSeveralLinesForReadability",
        "TestEmptyResults",
        "TestEmptySub/sub",
    ] {
        assert_eq!(verdict(&run, "syntax", test), "leaked", "{test}\n{}", run.stdout());
    }
    for test in ["TestTrailingComma", "TestAlias", "TestOtherAlias", "TestBOM"] {
        assert_eq!(verdict(&run, "syntax", test), "passed", "{test}");
    }
    // A file that starts with a byte order mark keeps its lines.
    let bom_test = &run.tests()[&("example.com/tmp/syntax".to_string(), "TestBOM".to_string())];
    assert!(
        bom_test["output"].as_str().unwrap().contains("bom_test.go:6: here"),
        "{bom_test}"
    );
    // Files named on the command line: go compiles only those, and the
    // helper's.
    let run = run_in(&m.path().join("syntax"), &["a_test.go", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(
        run.verdict(
            "command-line-arguments",
            "TestAVeryLongTestNameThatGolinesSplitOverSeveralLinesForReadability"
        ),
        "leaked"
    );
}

// TestMain as go test tells it: `func TestMain(t *testing.T)` is a test; the
// package's own TestMain keeps its name, so that frames, rules and reports
// name it as the user wrote it.

const MAIN_AS_TEST: &str = r#"package maint

import "testing"

func TestMain(t *testing.T) { go func() { select {} }() }

func TestOther(t *testing.T) {}
"#;

const MAIN_AS_TEST_X_INTERNAL: &str = r#"package maintx

import "testing"

func TestMain(t *testing.T) {}
"#;

const MAIN_AS_TEST_X_EXTERNAL: &str = r#"package maintx_test

import (
	"testing"

	"example.com/tmp/maintx"
)

func TestExternal(t *testing.T) {
	go func() { select {} }()
	_ = maintx.X
}
"#;

// A package of external tests only.
const MAIN_AS_TEST_ONLY_EXTERNAL: &str = r#"package onlyx_test

import "testing"

func TestMain(t *testing.T) { go func() { select {} }() }
"#;

const MAIN_BOTH_INTERNAL: &str = r#"package maintboth

import "testing"

func TestMain(t *testing.T) {}
"#;

// The external test package's TestMain is the package's.
const MAIN_BOTH_EXTERNAL: &str = r#"package maintboth_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func TestExternal(t *testing.T) { go func() { select {} }() }
"#;

// A library for other packages' tests declares a TestMain of its own.
const TESTUTIL: &str = r#"package testutil

import (
	"os"
	"testing"
)

// TestMain is for other packages' tests: testutil.TestMain(m).
func TestMain(m *testing.M) { os.Exit(m.Run()) }
"#;

const TESTUTIL_TEST: &str = r#"package testutil

import "testing"

func TestLeaks(t *testing.T) { go func() { select {} }() }
"#;

#[test]
fn a_test_main_given_a_t_is_a_test_and_the_helpers_test_main_goes_elsewhere() {
    let m = temp_module(&[
        ("maint/a_test.go", MAIN_AS_TEST),
        ("maintx/x.go", "package maintx\n\nconst X = 1\n"),
        ("maintx/a_test.go", MAIN_AS_TEST_X_INTERNAL),
        ("maintx/b_test.go", MAIN_AS_TEST_X_EXTERNAL),
        ("maintboth/x.go", "package maintboth\n"),
        ("maintboth/a_test.go", MAIN_BOTH_INTERNAL),
        ("maintboth/b_test.go", MAIN_BOTH_EXTERNAL),
        ("testutil/testutil.go", TESTUTIL),
        ("testutil/testutil_test.go", TESTUTIL_TEST),
        ("onlyx/a_test.go", MAIN_AS_TEST_ONLY_EXTERNAL),
    ]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    // A TestMain given a *testing.T is a test like any other, checked; the
    // helper's TestMain goes to the test package that has no TestMain (the
    // external one, made for it when there is none).
    for pkg in ["maint", "maintx", "maintboth", "testutil", "onlyx"] {
        assert_eq!(check(&run, pkg).0, "checked", "{pkg}\n{out}");
        assert_eq!(main_leak(&run, pkg), 0, "{pkg}\n{out}");
    }
    assert_eq!(verdict(&run, "maint", "TestMain"), "leaked", "{out}");
    assert_eq!(verdict(&run, "maint", "TestOther"), "passed", "{out}");
    assert_eq!(verdict(&run, "maintx", "TestMain"), "passed", "{out}");
    assert_eq!(verdict(&run, "maintx", "TestExternal"), "leaked", "{out}");
    assert_eq!(verdict(&run, "maintboth", "TestMain"), "passed", "{out}");
    assert_eq!(verdict(&run, "maintboth", "TestExternal"), "leaked", "{out}");
    assert_eq!(verdict(&run, "testutil", "TestLeaks"), "leaked", "{out}");
    assert_eq!(verdict(&run, "onlyx", "TestMain"), "leaked", "{out}");
}

const OWN_MAIN: &str = r#"package ownmain

import "testing"

// Its teardown starts a goroutine it never stops.
func TestMain(m *testing.M) {
	m.Run()
	stop := make(chan struct{})
	go func() { <-stop }()
}

func TestA(t *testing.T) {}
"#;

// The external test package's TestMain, the same.
const X_MAIN: &str = r#"package xmain_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stop := make(chan struct{})
	go func() { <-stop }()
	os.Exit(code)
}

func TestExternal(t *testing.T) {}
"#;

const MAIN_PANICS: &str = r#"package mainpanics

import "testing"

func TestMain(m *testing.M) {
	if m.Run() == 0 {
		panic("teardown failed")
	}
}

func TestA(t *testing.T) {}
"#;

// A teardown's panic recovered by another deferred function: TestMain
// returns, and the package passes.
const MAIN_RECOVERS: &str = r#"package mainrecovers

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	defer func() { _ = recover() }()
	defer func() { panic("teardown hiccup") }()
	if m.Run() != 0 {
		os.Exit(1)
	}
}

func TestA(t *testing.T) {}
"#;

#[test]
fn the_packages_test_main_keeps_its_name_in_frames_rules_and_reports() {
    let m = temp_module(&[
        ("ownmain/main_test.go", OWN_MAIN),
        ("xmain/x.go", "package xmain\n"),
        (
            "xmain/x_test.go",
            "package xmain\n\nimport \"testing\"\n\nfunc TestInternal(t *testing.T) {}\n",
        ),
        ("xmain/main_test.go", X_MAIN),
        ("mainpanics/main_test.go", MAIN_PANICS),
        ("mainrecovers/main_test.go", MAIN_RECOVERS),
    ]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    // Its closures' frames, and the goroutines it creates, name TestMain as
    // the user wrote it.
    for (pkg, func) in [
        ("ownmain", "example.com/tmp/ownmain.TestMain"),
        ("xmain", "example.com/tmp/xmain_test.TestMain"),
    ] {
        assert_eq!(check(&run, pkg).0, "checked", "{pkg}\n{out}");
        assert_eq!(main_leak(&run, pkg), 1, "{pkg}\n{out}");
        let group = &run.package(&format!("{M}{pkg}"))["main_leak"]["groups"][0];
        assert_eq!(group["created_by"]["function"], func, "{pkg}: {group}");
        let closure = format!("{func}.func1");
        assert!(
            group["frames"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["function"] == closure.as_str()),
            "{pkg}: {group}"
        );
    }
    assert!(!out.contains("leakcheckUserTestMain"), "{out}");
    assert!(!run.report.to_string().contains("leakcheckUserTestMain"));

    // A TestMain that panics after m.Run fails as under go test; one whose
    // deferred teardown recovers a panic returns, and passes, checked.
    assert_eq!(status(&run, "mainpanics"), "failed", "{out}");
    assert_eq!(
        run.package(&format!("{M}mainpanics"))["crash"]["kind"],
        "panic",
        "{out}"
    );
    assert_eq!(status(&run, "mainrecovers"), "passed", "{out}");
    assert_eq!(check(&run, "mainrecovers").0, "checked", "{out}");

    // Rules name TestMain's closures as the user wrote them.
    let run = run_in(
        m.path(),
        &[
            "--ignore-top",
            "example.com/tmp/ownmain.TestMain.func1",
            "--ignore-created-by",
            "example.com/tmp/xmain_test.TestMain",
            "./ownmain",
            "./xmain",
            "--",
            "-count=1",
        ],
        &[],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{out}");
    for pkg in ["ownmain", "xmain"] {
        assert_eq!(main_leak(&run, pkg), 0, "{pkg}\n{out}");
        assert_eq!(status(&run, pkg), "passed", "{pkg}\n{out}");
    }
}

// Benchmarks are not checked, and what they start is nobody's leak: a
// sub-benchmark's too, and what they start through a goroutine that exits
// at once. A function a test runs with testing.Benchmark is the
// test's.

const BENCH: &str = r#"package bench

import "testing"

func TestClean(t *testing.T) {}

func BenchmarkTop(b *testing.B) {
	go func() { select {} }()
}

func BenchmarkSub(b *testing.B) {
	b.Run("s", func(b *testing.B) {
		go func() { select {} }()
	})
}

// Through a goroutine that exits at once: told by the benchmark's label.
func BenchmarkIndirect(b *testing.B) {
	done := make(chan struct{})
	go func() {
		go func() { select {} }()
		close(done)
	}()
	<-done
}
"#;

const BENCH_IN_TEST: &str = r#"package benchintest

import "testing"

func TestAllocs(t *testing.T) {
	testing.Benchmark(func(b *testing.B) {
		if b.N == 1 {
			go func() { select {} }()
		}
	})
}
"#;

#[test]
fn benchmarks_and_sub_benchmarks_blame_no_test() {
    let m = temp_module(&[("bench/b_test.go", BENCH), ("benchintest/b_test.go", BENCH_IN_TEST)]);
    let args = ["-count=1", "-bench=.", "-benchtime=1x"];
    let go = go_test_verdicts(m.path(), &[&args[..], &["./..."]].concat(), &[]);
    let run = run_in(m.path(), &[&["--"][..], &args].concat(), &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    assert_eq!(status(&run, "bench"), "passed", "{out}");
    assert_eq!(main_leak(&run, "bench"), 0, "{out}");
    assert_eq!(check(&run, "bench").0, "checked", "{out}");
    assert_eq!(verdict(&run, "benchintest", "TestAllocs"), "leaked", "{out}");
    assert_eq!(main_leak(&run, "benchintest"), 0, "{out}");
}

const BENCH_COST: &str = r#"package benchcost

import (
	"context"
	"reflect"
	"runtime/pprof"
	"testing"
)

var sink int

// step takes exactly a *testing.B, as a sub-benchmark's function does:
// leakcheck's helper is called on its first line, once an iteration here.
func step(b *testing.B) { sink++ }

// Runs first: the runtime's first allocations of the run land here.
func BenchmarkAWarmup(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += i
	}
}

func BenchmarkStepEachIteration(b *testing.B) {
	for i := 0; i < b.N; i++ {
		step(b)
	}
}

func BenchmarkSub(b *testing.B) {
	b.Run("inner", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink += i
		}
	})
}

// With the timer stopped and labels of its own, step is the helper's
// first call on this goroutine's label set: the timer must stay stopped.
func BenchmarkTimerStaysStopped(b *testing.B) {
	b.StopTimer()
	pprof.Do(context.Background(), pprof.Labels("phase", "setup"), func(context.Context) {
		step(b)
	})
	if reflect.ValueOf(b).Elem().FieldByName("timerOn").Bool() {
		b.Fatal("the timer runs after step")
	}
	b.StartTimer()
	for i := 0; i < b.N; i++ {
		sink += i
	}
}
"#;

const BENCH_COST_EXTERNAL: &str = r#"package benchcost_test

import "testing"

var sink int

func BenchmarkExternal(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += i
	}
}
"#;

/// What leakcheck does for a benchmark is done outside its timer: the
/// allocations (and times) go test reports are the benchmark's own. Each
/// call of a helper taking the B cost about 5 allocations before, and the
/// benchmark's own call 2 (-benchtime=1x: 80 µs an operation).
#[test]
fn benchmarks_report_their_own_allocations() {
    let m = temp_module(&[
        ("benchcost/b_test.go", BENCH_COST),
        ("benchcost/x_test.go", BENCH_COST_EXTERNAL),
    ]);
    let run = run_in(
        m.path(),
        &["--", "-count=1", "-run=^$", "-bench=.", "-benchmem", "-benchtime=100x"],
        &[],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 0, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" allocs/op")).collect();
    for name in ["StepEachIteration", "Sub/inner", "TimerStaysStopped", "External"] {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("Benchmark{name}-")))
            .unwrap_or_else(|| panic!("no result for {name}: {out}"));
        assert!(line.trim_end().ends_with(" 0 allocs/op"), "{line}\n{out}");
    }
}

// A package that declares a predeclared name the helper uses (`func new`,
// `func delete`: go-datastructures' rangetree/skiplist) hides it from the
// helper, which joins the package: the package's own name is renamed in
// copies of its files, and its tests run, and are checked, as under go
// test. The external test package may declare one too.
#[test]
fn a_package_that_declares_a_predeclared_name_is_tested_and_checked() {
    let m = temp_module(&[
        (
            "shadow/list.go",
            "package shadow\n\ntype list struct{ items []int }\n\n// new shadows the builtin in this package.\nfunc new(n int) *list { return &list{items: make([]int, 0, n)} }\n\nfunc delete(l *list) { l.items = l.items[1:] }\n\n// Fields and methods named so keep their names; so does close, no name\n// the helper needs.\ntype state struct{ open, close, new int }\n\nfunc (s *state) delete() { s.new++ }\n\nfunc close(s *state) { s.close++; s.delete() }\n",
        ),
        (
            "shadow/list_test.go",
            "package shadow\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\nfunc append(l *list, v int) { l.items = builtinAppend(l.items, v) }\n\nfunc TestNew(t *testing.T) {\n\tl := new(2)\n\tappend(l, 1)\n\tappend(l, 2)\n\tdelete(l)\n\tif len(l.items) != 1 {\n\t\tt.Fatal(l.items)\n\t}\n}\n\nfunc TestLeaks(t *testing.T) {\n\tch := make(chan *list)\n\tgo func() { ch <- new(1) }()\n}\n\nfunc TestClose(t *testing.T) {\n\tvar s state\n\tclose(&s)\n\tif got := fmt.Sprintf(\"%+v\", s); got != \"{open:0 close:1 new:1}\" {\n\t\tt.Fatal(got)\n\t}\n}\n",
        ),
        (
            "shadow/append_test.go",
            "package shadow\n\n// Within the capacity: append is the package's.\nfunc builtinAppend(s []int, v int) []int {\n\ts = s[:len(s)+1]\n\ts[len(s)-1] = v\n\treturn s\n}\n",
        ),
        (
            "shadow/x_test.go",
            "package shadow_test\n\nimport (\n\t\"fmt\"\n\t\"testing\"\n)\n\ntype error struct{ msg string }\n\nfunc TestExternal(t *testing.T) {\n\te := error{\"x\"}\n\tif got := fmt.Sprintf(\"%T %+v\", e, e); got != \"shadow_test.error {msg:x}\" {\n\t\tt.Fatal(got)\n\t}\n}\n",
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    assert_eq!(go.len(), 4, "{go:?}");
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(verdict(&run, "shadow", "TestNew"), "passed", "{}", run.stdout());
    assert_eq!(verdict(&run, "shadow", "TestExternal"), "passed", "{}", run.stdout());
    assert_eq!(verdict(&run, "shadow", "TestClose"), "passed", "{}", run.stdout());
    assert_eq!(verdict(&run, "shadow", "TestLeaks"), "leaked", "{}", run.stdout());
    // Where the leaked goroutine was created: the user's file and line.
    assert!(run.stdout().contains("list_test.go:22"), "{}", run.stdout());
}

// A timer a parallel test set before it called t.Parallel fires while a
// serial test runs "alone" (the parallel test parked): its callback
// appeared meanwhile, yet it is not the serial test's (helper-112: the
// parallel test waited for it, and the serial test failed by a leak go
// test passes). The serial test waits for the callback to start, so the
// callback is there at its check whatever the machine's speed.

const PARKED_TIMER: &str = r#"package parkedtimer

import (
	"testing"
	"time"
)

var started, release, done = make(chan struct{}), make(chan struct{}), make(chan struct{})

// flush is work a timer runs: it finishes once released.
func flush() {
	close(started)
	<-release
	close(done)
}

func TestFlushLater(t *testing.T) {
	time.AfterFunc(time.Millisecond, flush)
	t.Parallel()
	close(release)
	<-done
}

func TestWhileTheTimerFires(t *testing.T) { <-started }

// A serial test's own callback, written in it, stays its leak.
func TestOwnTimer(t *testing.T) {
	fired := make(chan struct{})
	time.AfterFunc(time.Millisecond, func() {
		close(fired)
		select {}
	})
	<-fired
}
"#;

const PARKED_TIMER_LEAK: &str = r#"package parkedleak

import (
	"testing"
	"time"
)

var started, never = make(chan struct{}), make(chan struct{})

func blockForever() {
	close(started)
	<-never
}

// The timer's callback never returns: this test's leak, reported after the
// last test (its function is the package's, not the test's).
func TestTimerLeaks(t *testing.T) {
	time.AfterFunc(time.Millisecond, blockForever)
	t.Parallel()
}

func TestWhileTheTimerFires(t *testing.T) { <-started }
"#;

// A test that calls a test function whose first statement is t.Parallel()
// with its own t ran code of its own before it parked (helper-115: it was
// taken for one that parks at once, and the serial test was blamed for its
// timer's callback).
const CALLS_PARALLEL: &str = r#"package callsparallel

import (
	"sync"
	"testing"
	"time"
)

var (
	started, release, done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	once                   sync.Once
)

func flush() {
	close(started)
	<-release
	close(done)
}

func TestA(t *testing.T) {
	time.AfterFunc(time.Millisecond, flush)
	TestB(t)
}

func TestB(t *testing.T) {
	t.Parallel()
	once.Do(func() { close(release) })
	<-done
}

func TestWhileTheTimerFires(t *testing.T) { <-started }
"#;

// A parallel test whose first statement is t.Parallel() ran none of its
// code before it parked: a timer's callback that appears while a serial
// test runs is the serial test's, by difference, even if its function is
// not the test's own (helper-113: one that ended before the last test was
// missed, exit 0).
const PARKS_FIRST: &str = r#"package parksfirst

import (
	"testing"
	"time"
)

var fired, release = make(chan struct{}), make(chan struct{})

func expire() {
	close(fired)
	<-release
}

func TestParallel(t *testing.T) { t.Parallel() }

func TestSerialLeak(t *testing.T) {
	time.AfterFunc(time.Millisecond, expire)
	<-fired
}

func TestRelease(t *testing.T) { close(release) }
"#;

#[test]
fn a_timer_a_parked_test_set_is_not_the_serial_tests_leak() {
    let m = temp_module(&[
        ("parkedtimer/p_test.go", PARKED_TIMER),
        ("parkedleak/p_test.go", PARKED_TIMER_LEAK),
        ("parksfirst/p_test.go", PARKS_FIRST),
        ("callsparallel/p_test.go", CALLS_PARALLEL),
    ]);
    let run = run_in(
        m.path(),
        &["./parkedtimer", "./parkedleak", "./parksfirst", "./callsparallel"],
        &[],
    );
    let out = run.stdout();
    assert_eq!(
        verdict(&run, "parkedtimer", "TestWhileTheTimerFires"),
        "passed",
        "{out}"
    );
    assert_eq!(verdict(&run, "parkedtimer", "TestFlushLater"), "passed", "{out}");
    assert_eq!(verdict(&run, "parkedtimer", "TestOwnTimer"), "leaked", "{out}");
    assert_eq!(main_leak(&run, "parkedtimer"), 0, "{out}");
    assert_eq!(verdict(&run, "parkedleak", "TestWhileTheTimerFires"), "passed", "{out}");
    assert_eq!(main_leak(&run, "parkedleak"), 1, "{out}");
    assert_eq!(verdict(&run, "parksfirst", "TestSerialLeak"), "leaked", "{out}");
    assert_eq!(verdict(&run, "parksfirst", "TestParallel"), "passed", "{out}");
    assert_eq!(main_leak(&run, "parksfirst"), 0, "{out}");
    assert_eq!(
        verdict(&run, "callsparallel", "TestWhileTheTimerFires"),
        "passed",
        "{out}"
    );
    assert_eq!(verdict(&run, "callsparallel", "TestA"), "passed", "{out}");
    assert_eq!(main_leak(&run, "callsparallel"), 0, "{out}");
    assert_eq!(run.code(), 1, "{out}");
}

// A benchmark that crashes or exits the binary: those that ran before it
// passed (they print their results; test2json gives no benchmark a pass
// event), and the one running is named, as a panic or an exit.

const BENCH_CRASH: &str = r#"package benchcrash

import "testing"

func BenchmarkFine(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}

func BenchmarkTable(b *testing.B) {
	b.Run("first", func(b *testing.B) {})
	b.Run("second", func(b *testing.B) {
		var m map[string]int
		m["x"] = 1
	})
}
"#;

// (TestMain's own PASS line before m.Run is not m.Run's last line:
// helper-115 saw the exiting benchmark passed.)
const BENCH_EXIT: &str = r#"package benchexit

import (
	"fmt"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	fmt.Println("PASS")
	os.Exit(m.Run())
}

func BenchmarkFine(b *testing.B) {}

func BenchmarkExit(b *testing.B) { os.Exit(1) }
"#;

// Its last sub-benchmark printed its result: it finished, though no
// benchmark began after it.
const BENCH_EXIT_AFTER_SUBS: &str = r#"package benchexitsub

import (
	"os"
	"testing"
)

func BenchmarkSubs(b *testing.B) {
	b.Run("x", func(b *testing.B) {})
	b.Run("y", func(b *testing.B) {})
	os.Exit(3)
}
"#;

#[test]
fn the_benchmark_running_when_the_binary_died_is_named_and_those_before_it_passed() {
    let m = temp_module(&[
        ("benchcrash/b_test.go", BENCH_CRASH),
        ("benchexit/b_test.go", BENCH_EXIT),
        ("benchexitsub/b_test.go", BENCH_EXIT_AFTER_SUBS),
    ]);
    let run = run_in(m.path(), &["--", "-bench=.", "-benchtime=1x"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "benchcrash", "BenchmarkFine"), "passed", "{out}");
    assert_eq!(verdict(&run, "benchcrash", "BenchmarkTable/first"), "passed", "{out}");
    assert_eq!(
        verdict(&run, "benchcrash", "BenchmarkTable/second"),
        "panicked",
        "{out}"
    );
    assert_eq!(verdict(&run, "benchexit", "BenchmarkFine"), "passed", "{out}");
    assert_eq!(verdict(&run, "benchexit", "BenchmarkExit"), "unfinished", "{out}");
    let crash = &run.package(&format!("{M}benchexit"))["crash"];
    assert_eq!(crash["kind"], "exit", "{out}");
    assert!(
        crash["message"].as_str().unwrap_or_default().contains("BenchmarkExit"),
        "{out}"
    );
    assert!(!out.contains("TestMain exited"), "{out}");
    assert_eq!(verdict(&run, "benchexitsub", "BenchmarkSubs/y"), "passed", "{out}");
    assert_eq!(verdict(&run, "benchexitsub", "BenchmarkSubs"), "unfinished", "{out}");
    let crash = &run.package(&format!("{M}benchexitsub"))["crash"];
    assert_eq!(crash["tests"], serde_json::json!(["BenchmarkSubs"]), "{out}");
}

// A benchmark that drops ns/op from its result passed; the one whose body
// is declared elsewhere panics (helper-121: the first was blamed).
const BENCH_CUSTOM_METRIC: &str = r#"package custommetric

import "testing"

func BenchmarkWidgets(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(42, "widgets/op")
}

func fill(b *testing.B) {
	var m map[int]int
	for i := 0; i < b.N; i++ {
		m[i] = i
	}
}

func BenchmarkFill(b *testing.B) {
	b.Run("map", fill)
}
"#;

// A benchmark that reports a NaN ns/op of its own passed; its sibling
// panics (helper-122: the first was blamed).
const BENCH_NAN_METRIC: &str = r#"package nanmetric

import (
	"math"
	"testing"
)

func BenchmarkRatio(b *testing.B) {
	b.Run("ratio", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
		}
		b.ReportMetric(math.NaN(), "ns/op")
	})
	b.Run("boom", func(b *testing.B) {
		var m map[int]int
		m[b.N] = 1
	})
}
"#;

#[test]
fn a_benchmark_that_passed_is_not_blamed_for_a_siblings_panic() {
    let m = temp_module(&[
        ("nanmetric/b_test.go", BENCH_NAN_METRIC),
        ("custommetric/b_test.go", BENCH_CUSTOM_METRIC),
    ]);
    let run = run_in(m.path(), &["--", "-bench=.", "-benchtime=10x"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "custommetric", "BenchmarkWidgets"), "passed", "{out}");
    assert_eq!(verdict(&run, "custommetric", "BenchmarkFill/map"), "panicked", "{out}");
    assert_eq!(verdict(&run, "nanmetric", "BenchmarkRatio/ratio"), "passed", "{out}");
    assert_eq!(verdict(&run, "nanmetric", "BenchmarkRatio/boom"), "panicked", "{out}");
}

// A test that failed and leaked is go test's failure first: in JUnit its
// type is Failure, which dashboards group with the failed assertions, and
// its message names the leak too.
#[test]
fn a_failed_test_that_leaked_is_a_failure_in_junit() {
    let m = temp_module(&[(
        "failleak/f_test.go",
        "package failleak\n\nimport \"testing\"\n\nfunc TestBoth(t *testing.T) {\n\tgo func() { select {} }()\n\tt.Error(\"wrong answer\")\n}\n",
    )]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = run.stdout();
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "failleak", "TestBoth"), "failed", "{out}");
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(failure.attribute("type"), Some("Failure"), "{}", run.junit);
    assert!(
        failure
            .attribute("message")
            .is_some_and(|m| m.starts_with("Failed, and 1 goroutine leaked")),
        "{}",
        run.junit
    );
    assert!(failure.text().unwrap_or("").contains("wrong answer"), "{}", run.junit);
}

// A test that leaks beside benchmarks: m.Run runs no benchmark after a
// failed test, so under -bench a leak fails the package at its end, not the
// test, and the benchmarks run as under go test (helper-124: their results
// were lost).
const LEAK_BESIDE_BENCHMARKS: &str = r#"package benchleak

import "testing"

func TestLeaks(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }()
}

func BenchmarkSum(b *testing.B) {
	total := 0
	for i := 0; i < b.N; i++ {
		total += i
	}
	_ = total
}
"#;

#[test]
fn a_leak_does_not_cost_the_benchmarks_their_run() {
    let m = temp_module(&[("benchleak/b_test.go", LEAK_BESIDE_BENCHMARKS)]);
    let run = run_in(m.path(), &["--", "-count=1", "-bench=.", "-benchtime=1x"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(verdict(&run, "benchleak", "TestLeaks"), "leaked", "{out}");
    assert_eq!(verdict(&run, "benchleak", "BenchmarkSum"), "passed", "{out}");
    assert!(out.contains("ns/op"), "{out}");
    assert_eq!(status(&run, "benchleak"), "failed", "{out}");
}

// A test that writes to file descriptor 3 as its own (a file it expects
// inherited, code that assumes the first file it opened): the helper's
// record file, opened first, was fd 3, and its records became unreadable
// (helper-131: the package not fully checked, and its leak not reported).
const WRITES_TO_FD_3: &str = r#"package fdthree

import (
	"os"
	"testing"
)

func TestWritesToFd3(t *testing.T) {
	f := os.NewFile(3, "inherited")
	n, err := f.Write([]byte("not a record\n"))
	t.Log(n, err)
}

func TestLeaks(t *testing.T) {
	go func() { select {} }()
}
"#;

#[test]
fn a_test_writing_to_fd_3_leaves_the_records_whole() {
    let m = temp_module(&[("fdthree/f_test.go", WRITES_TO_FD_3)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert!(!out.contains("not fully checked"), "{out}");
    assert_eq!(verdict(&run, "fdthree", "TestWritesToFd3"), "passed", "{out}");
    assert_eq!(verdict(&run, "fdthree", "TestLeaks"), "leaked", "{out}");
}
