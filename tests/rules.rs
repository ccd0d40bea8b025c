//! Ignore rules from leakcheck.toml and flags, on real go test runs.

use crate::common;

use common::{run_in, temp_module, Run};

const FLUSHER: &str = r#"package flusher

import "time"

// Start runs a background flusher the package keeps on purpose.
func Start() {
	go flushLoop(make(chan struct{}))
}

func flushLoop(stop chan struct{}) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}

// Leak starts a goroutine nobody wants.
func Leak() {
	go func() { select {} }()
}
"#;

const FLUSHER_TEST: &str = r#"package flusher

import "testing"

func TestFlusher(t *testing.T) { Start() }

func TestLeak(t *testing.T) { Leak() }
"#;

fn module(config: Option<&str>) -> tempfile::TempDir {
    let mut files = vec![
        ("flusher/flusher.go", FLUSHER),
        ("flusher/flusher_test.go", FLUSHER_TEST),
    ];
    if let Some(c) = config {
        files.push(("leakcheck.toml", c));
    }
    temp_module(&files)
}

#[test]
fn a_config_rule_silences_a_goroutine_without_waiting() {
    let m = module(Some(
        "grace = \"2s\"\n\n[[ignore]]\nname = \"flusher\"\ncreated_by = \"example.com/tmp/flusher.Start\"\nreason = \"kept on purpose\"\n",
    ));
    let run = run_in(m.path(), &["--explain", "--", "-count=1"], &[]);
    let tests = run.tests();
    let flusher = &tests[&("example.com/tmp/flusher".to_string(), "TestFlusher".to_string())];
    assert_eq!(flusher["verdict"], "passed", "{}", run.stdout());
    assert_eq!(flusher["leak"]["ignored"]["flusher"], 1);
    // One look: the helper never waited for the ignored goroutine.
    // (created_by holds from a goroutine's first instant; top_function and
    // any_function match where it is now, which for a goroutine that has
    // not run yet is only its `go` statement's wrapper.)
    assert_eq!(flusher["leak"]["looks"], 1);
    let leak = &tests[&("example.com/tmp/flusher".to_string(), "TestLeak".to_string())];
    assert_eq!(leak["verdict"], "leaked");
    assert!(
        leak["leak"]["looks"].as_u64().unwrap() > 1,
        "a real leak waits out the grace"
    );
    let out = run.stdout();
    assert!(
        out.contains("flusher: created_by example.com/tmp/flusher.Start (kept on purpose)"),
        "{out}"
    );
    assert!(
        out.contains("TestFlusher: ignored 1 goroutine by flusher: kept on purpose"),
        "{out}"
    );
    assert_eq!(run.code(), 1);
}

#[test]
fn flag_rules_work_and_take_regexes() {
    let m = module(None);
    let run = run_in(
        m.path(),
        &[
            "--ignore-created-by",
            "re:^example\\.com/tmp/flusher\\.(Start|Leak)",
            "--",
            "-count=1",
        ],
        &[],
    );
    assert_eq!(run.code(), 0, "{}", run.stdout());
    let tests = run.tests();
    for t in ["TestFlusher", "TestLeak"] {
        assert_eq!(
            tests[&("example.com/tmp/flusher".to_string(), t.to_string())]["verdict"],
            "passed"
        );
    }
}

#[test]
fn a_rule_limited_to_another_test_does_not_apply() {
    let m = module(Some(
        "[[ignore]]\nany_function = { regex = 'flusher\\.(flushLoop|Leak\\.func1)$' }\ntest = \"TestFlusher\"\n",
    ));
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.verdict("example.com/tmp/flusher", "TestFlusher"), "passed");
    assert_eq!(run.verdict("example.com/tmp/flusher", "TestLeak"), "leaked");
}

#[test]
fn config_mistakes_name_the_file_and_line() {
    for (text, want) in [
        (
            "[[ignore]]\ntop_function = \"x\"\nfunc = \"y\"\n",
            "leakcheck.toml:3: unknown field `func`",
        ),
        (
            "\n\n[[ignore]]\ncreated_by = { regex = \"(\" }\n",
            "leakcheck.toml:4: created_by: bad regex",
        ),
    ] {
        let m = module(Some(text));
        let run = run_in(m.path(), &[], &[]);
        assert_eq!(run.code(), 2, "{}", run.stdout());
        let err = run.stderr();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
        assert!(
            err.contains(&m.path().join("leakcheck.toml").display().to_string()),
            "{err}"
        );
    }
    let m = module(None);
    let run = run_in(m.path(), &["--ignore-top", "re:("], &[]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().starts_with("leakcheck: bad regex `(`"), "{}", run.stderr());
}

/// A regex Rust's regex takes and Go's regexp does not (Go has no `x` flag)
/// is refused when leakcheck.toml is read, not left to fail in the test
/// binary ("leaks not checked").
#[test]
fn a_regex_only_rust_reads_is_refused_at_load() {
    let m = temp_module(&[
        (
            "leakcheck.toml",
            "[[ignore]]\nname = \"verbose\"\ntop_function = { regex = \"(?x) no match here\" }\n",
        ),
        (
            "r_test.go",
            "package p\n\nimport \"testing\"\n\nfunc TestLeak(t *testing.T) {\n\tch := make(chan int)\n\tgo func() { <-ch }()\n}\n",
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 2, "{}{}", run.stdout(), run.stderr());
    let err = run.stderr();
    assert_eq!(err.lines().count(), 1, "{err}");
    let file = m.path().join("leakcheck.toml");
    assert!(
        err.starts_with(&format!(
            "leakcheck: {}:3: [[ignore]] \"verbose\": top_function: regex not in the syntax Go and Rust share",
            file.display()
        )),
        "{err}"
    );
    assert!(err.contains("the flag `x`"), "{err}");
    assert!(run.stdout().is_empty(), "nothing ran: {}", run.stdout());

    // The same from a flag: a usage error.
    let m = module(None);
    let run = run_in(m.path(), &["--ignore-function", r"re:\bflushLoop\b{end}"], &[]);
    assert_eq!(run.code(), 2, "{}{}", run.stdout(), run.stderr());
    let err = run.stderr();
    assert!(
        err.starts_with(
            r"leakcheck: --ignore-function re:\bflushLoop\b{end}: regex not in the syntax Go and Rust share"
        ),
        "{err}"
    );
    assert!(err.contains(r"`\b{end}`") && err.lines().count() == 1, "{err}");
}

#[test]
fn diagnoses_come_from_the_config_first_and_name_t_context_on_go_1_24() {
    let m = temp_module(&[
        (
            "bus/bus_test.go",
            "package bus\n\nimport \"testing\"\n\ntype Bus struct{ events chan string }\n\nfunc (b *Bus) deliver() {\n\tfor range b.events {\n\t}\n}\n\nfunc TestSubscribe(t *testing.T) {\n\tb := &Bus{events: make(chan string)}\n\tgo b.deliver()\n}\n\nfunc TestLoop(t *testing.T) {\n\tstop := make(chan struct{})\n\tgo func() {\n\t\tfor {\n\t\t\tselect {\n\t\t\tcase <-stop:\n\t\t\t\treturn\n\t\t\t}\n\t\t}\n\t}()\n}\n",
        ),
        (
            "leakcheck.toml",
            "[[diagnosis]]\nname = \"bus-subscriber\"\nany_function = \"example.com/tmp/bus.(*Bus).deliver\"\nwaits = \"a bus delivering events to a subscriber nobody closed\"\nfix = \"close the bus when done (defer b.Close())\"\n",
        ),
    ]);
    std::fs::write(m.path().join("go.mod"), "module example.com/tmp\n\ngo 1.24\n").unwrap();
    let run = run_in(m.path(), &["--explain", "--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let out = run.stdout();
    assert!(
        out.contains("waits: a bus delivering events to a subscriber nobody closed"),
        "{out}"
    );
    assert!(out.contains("fix: close the bus when done (defer b.Close())"), "{out}");
    // Go 1.24+: the test's own context is the one to pass.
    assert!(out.contains("t.Context() is that context"), "{out}");
    // --explain lists the rules, the config's first.
    let listed = &out[out.find("diagnosis rules").expect("--explain lists diagnosis rules")..];
    assert!(
        listed.find("bus-subscriber").unwrap() < listed.find("http-keep-alive").unwrap(),
        "{listed}"
    );
}

#[test]
fn a_diagnosis_rule_without_conditions_is_a_config_error() {
    let m = temp_module(&[
        (
            "p/p_test.go",
            "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
        ),
        (
            "leakcheck.toml",
            "grace = \"1s\"\n\n[[diagnosis]]\nwaits = \"something\"\n",
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("leakcheck.toml:3: a [[diagnosis]] rule needs"),
        "{}",
        run.stderr()
    );
}

/// The tracer's reader is ignored only under `go test -trace`, where
/// testing runs it: a trace a test starts and never stops is its leak
/// (the built-in rule used to hide it in every run).
#[test]
fn a_trace_a_test_never_stops_is_its_leak_unless_go_test_traces() {
    let m = temp_module(&[(
        "tr/tr_test.go",
        r#"package tr

import (
	"io"
	"runtime/trace"
	"testing"
)

func TestTraceNeverStopped(t *testing.T) {
	if trace.IsEnabled() {
		t.Skip("go test -trace already traces")
	}
	if err := trace.Start(io.Discard); err != nil {
		t.Fatal(err)
	}
}

func TestWork(t *testing.T) {
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
}
"#,
    )]);
    let pkg = "example.com/tmp/tr".to_string();
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let tests = run.tests();
    assert_eq!(
        tests[&(pkg.clone(), "TestTraceNeverStopped".to_string())]["verdict"],
        "leaked"
    );
    assert_eq!(tests[&(pkg.clone(), "TestWork".to_string())]["verdict"], "passed");

    let trace = m.path().join("trace.out");
    let run = run_in(
        m.path(),
        &["--", "-count=1", &format!("-trace={}", trace.display())],
        &[],
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(trace.exists());
}

/// Client connections three ways: busy with a request that gets no
/// answer, idle (kept alive), and one of each on one transport.
const CONNS_TEST: &str = r#"package conns

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

var never = make(chan struct{})

// stalling answers no request; it tells started that one came.
func stalling(started chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-never
	}
}

func ok(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

func get(t *testing.T, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func ask(c *http.Client, url string) {
	resp, err := c.Get(url)
	if err == nil {
		resp.Body.Close()
	}
}

func TestBusy(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(stalling(started))
	c := &http.Client{Transport: &http.Transport{}}
	go ask(c, srv.URL)
	<-started
}

func TestIdle(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(ok))
	get(t, &http.Client{Transport: &http.Transport{}}, srv.URL)
}

func TestBoth(t *testing.T) {
	started := make(chan struct{}, 1)
	idle := httptest.NewServer(http.HandlerFunc(ok))
	busy := httptest.NewServer(stalling(started))
	c := &http.Client{Transport: &http.Transport{}}
	get(t, c, idle.URL)
	go ask(c, busy.URL)
	<-started
}
"#;

// A client connection busy with a request that never got its response is
// not "idle, kept alive": its fix is the request's timeout, and the
// server's watch for the client hanging up ends with the handler (an
// evaluator's HTTP client without a timeout was told to close idle
// connections). Idle ones, or a mix the counts cannot split, keep the
// keep-alive reading and its hint.
#[test]
fn a_connection_busy_with_a_request_that_gets_no_answer_is_not_idle() {
    let m = temp_module(&[("conns/conns_test.go", CONNS_TEST)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let rules = |test: &str| -> Vec<String> {
        leak_diagnoses(&run, "example.com/tmp/conns", test)
            .iter()
            .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let count = |rules: &[String], rule: &str| rules.iter().filter(|r| *r == rule).count();
    let busy = rules("TestBusy");
    assert_eq!(count(&busy, "http-request-without-timeout"), 1, "{busy:?}");
    assert_eq!(count(&busy, "http-request-connection"), 2, "{busy:?}");
    assert_eq!(count(&busy, "http-handler-connection"), 1, "{busy:?}");
    assert_eq!(count(&busy, "http-keep-alive"), 0, "{busy:?}");
    let idle = rules("TestIdle");
    assert_eq!(count(&idle, "http-keep-alive"), 2, "{idle:?}");
    assert_eq!(count(&idle, "http-request-connection"), 0, "{idle:?}");
    let both = rules("TestBoth");
    assert_eq!(count(&both, "http-keep-alive"), 2, "{both:?}");
    assert_eq!(count(&both, "http-request-connection"), 0, "{both:?}");
    // The keep-alive hint under the idle connections only.
    let out = run.stdout();
    let section = |test: &str| {
        let at = out
            .find(&format!("--- LEAK: {test} "))
            .unwrap_or_else(|| panic!("no {test} in {out}"));
        let rest = &out[at + 1..];
        &rest[..rest.find("--- ").unwrap_or(rest.len())]
    };
    assert!(!section("TestBusy").contains("hint: net/http keep-alive"), "{out}");
    assert!(section("TestIdle").contains("hint: net/http keep-alive"), "{out}");
    assert!(section("TestBoth").contains("hint: net/http keep-alive"), "{out}");
    assert!(
        section("TestBusy").contains("busy with a request of this leak that is still waiting for its response"),
        "{out}"
    );
}

/// The diagnosis of each goroutine group `test` of `package` leaked (it
/// must have leaked), from the JSON report.
fn leak_diagnoses(run: &Run, package: &str, test: &str) -> Vec<serde_json::Value> {
    let tests = run.tests();
    let t = &tests[&(package.to_string(), test.to_string())];
    assert_eq!(t["verdict"], "leaked", "{test}: {t}");
    t["leak"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["diagnosis"].clone())
        .collect()
}

/// Selects: a context's Done() case (with a brace in a comment and in a
/// raw string above it, and a Done() case commented out in another), a
/// stop case, a loop with no way out, a custom allDone() channel.
const SELECTS: &str = r#"package selects

import (
	"context"
	"testing"
)

type watcher struct{ events chan string }

func (w *watcher) run(ctx context.Context) {
	for {
		select {
		case e := <-w.events:
			_ = e + `{
}` // "}" in a comment
		case <-ctx.Done():
			return
		}
	}
}

type flusher struct{ quit, in chan int }

func (f *flusher) loop() {
	for {
		select {
		/*
			case <-ctx.Done():
		*/
		case v, open := <-f.in:
			if !open {
				return
			}
			_ = v
		case <-f.quit:
			return
		}
	}
}

type batch struct{ done chan struct{} }

func (b *batch) allDone() chan struct{} { return b.done }

func (b *batch) wait(in chan int) {
	for {
		select {
		case <-in:
		case <-b.allDone():
			return
		}
	}
}

func TestContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel
	go (&watcher{events: make(chan string)}).run(ctx)
}

func TestStopCase(t *testing.T) {
	go (&flusher{quit: make(chan int), in: make(chan int)}).loop()
}

func TestCustomDone(t *testing.T) {
	go (&batch{done: make(chan struct{})}).wait(make(chan int))
}
"#;

// A select with a context's Done() case that has not fired: that context
// was never cancelled (it was told only that nothing ended the select).
// Other selects keep the generic reading: which loop a return, a break or
// a flag leaves is more than their lines say.
#[test]
fn a_selects_done_case_that_never_fired_is_a_context_never_cancelled() {
    let m = temp_module(&[("selects/selects_test.go", SELECTS)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let diagnosis = |test: &str| {
        let diagnoses = leak_diagnoses(&run, "example.com/tmp/selects", test);
        assert_eq!(diagnoses.len(), 1, "{test}: {diagnoses:?}");
        diagnoses[0].clone()
    };
    let context = diagnosis("TestContext");
    assert_eq!(context["rule"], "select-context", "{context}");
    assert!(
        context["waits"]
            .as_str()
            .unwrap()
            .contains("case <-ctx.Done() has not fired"),
        "{context}"
    );
    assert_eq!(diagnosis("TestStopCase")["rule"], "select-without-exit");
    assert_eq!(diagnosis("TestCustomDone")["rule"], "select-without-exit");
}

/// A timer drained after its value was read, and two goroutines taking two
/// locks in opposite orders.
const TIMERS_AND_LOCKS: &str = r#"package timers

import (
	"sync"
	"testing"
	"time"
)

type poller struct{ t *time.Timer }

func (p *poller) stop() {
	if !p.t.Stop() {
		<-p.t.C
	}
}

func TestDrainTwice(t *testing.T) {
	p := &poller{t: time.NewTimer(time.Millisecond)}
	<-p.t.C
	go p.stop()
}

type account struct{ mu sync.Mutex }

func transfer(from, to *account, held *sync.WaitGroup) {
	from.mu.Lock()
	held.Done()
	held.Wait()
	to.mu.Lock()
	to.mu.Unlock()
	from.mu.Unlock()
}

func TestOppositeOrders(t *testing.T) {
	a, b := &account{}, &account{}
	var held sync.WaitGroup
	held.Add(2)
	go transfer(a, b, &held)
	go transfer(b, a, &held)
}
"#;

// A receive from a timer's channel that will not send again is told as
// such (an evaluator's drain was told to close the channel), and a lock's
// waiters hear of lock order.
#[test]
fn a_drained_timer_and_locks_taken_in_opposite_orders_are_told() {
    let m = temp_module(&[("timers/timers_test.go", TIMERS_AND_LOCKS)]);
    let run = run_in(m.path(), &["--", "-count=1"], &[]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let drain = leak_diagnoses(&run, "example.com/tmp/timers", "TestDrainTwice");
    assert_eq!(drain.len(), 1, "{drain:?}");
    assert_eq!(drain[0]["rule"], "timer-channel", "{drain:?}");
    let locks = leak_diagnoses(&run, "example.com/tmp/timers", "TestOppositeOrders");
    assert!(!locks.is_empty(), "{locks:?}");
    for d in &locks {
        assert_eq!(d["rule"], "mutex", "{locks:?}");
        assert!(
            d["fix"].as_str().unwrap_or_default().contains("in one order"),
            "{locks:?}"
        );
    }
}
