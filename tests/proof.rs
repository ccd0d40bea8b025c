//! Proven versus still running: Go's goroutineleak profile (Go 1.26 with
//! GOEXPERIMENT=goroutineleakprofile, which leakcheck sets; Go 1.27 GA).

use crate::common;

use common::{run_in, temp_module, Run};

const LEAKS: &str = r#"package leaks

import (
	"testing"
	"time"
)

func TestBlockedForever(t *testing.T) {
	ch := make(chan int)
	go func() { ch <- 1 }()
}

func TestSleeping(t *testing.T) {
	go time.Sleep(time.Hour)
}
"#;

fn group_state(run: &Run, test: &str) -> (String, u64, u64) {
    let t = &run.tests()[&("example.com/tmp/leaks".to_string(), test.to_string())];
    assert_eq!(t["verdict"], "leaked", "{test}: {}", run.stdout());
    let g = &t["leak"]["groups"][0];
    (
        g["state"].as_str().unwrap().to_string(),
        g["count"].as_u64().unwrap(),
        g["proven"].as_u64().unwrap(),
    )
}

fn run_with(toolchain: &str, extra: &[&str]) -> Run {
    let m = temp_module(&[("leaks/leaks_test.go", LEAKS)]);
    let mut args = vec!["--proof"];
    args.extend(extra);
    args.extend(["--", "-count=1"]);
    let run = run_in(m.path(), &args, &[("GOTOOLCHAIN", toolchain)]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    run
}

#[test]
fn go_1_26_proves_a_blocked_send_but_not_a_sleep() {
    let run = run_with("go1.26.8", &[]);
    assert_eq!(run.package("example.com/tmp/leaks")["proof"], true);
    assert_eq!(group_state(&run, "TestBlockedForever"), ("chan send".into(), 1, 1));
    assert_eq!(group_state(&run, "TestSleeping"), ("sleep".into(), 1, 0));
    let out = run.stdout();
    assert!(out.contains("1 × [chan send, proven]"), "{out}");
    assert!(out.contains("1 × [sleep, still running]"), "{out}");
}

/// A proven leak ends the wait at once: a check whose deadline was the
/// -timeout alarm's was not cut short by it (a hostile review's case: it
/// said it was).
#[test]
fn a_proven_leak_was_not_cut_short_by_the_alarm() {
    let m = temp_module(&[(
        "par/par_test.go",
        r#"package par

import "testing"

var otherDone = make(chan struct{})

func TestStuck(t *testing.T) {
	t.Parallel()
	<-otherDone
	go func() { ch := make(chan int); <-ch }()
}

func TestOther(t *testing.T) {
	t.Parallel()
	close(otherDone)
}
"#,
    )]);
    let run = run_in(
        m.path(),
        &["--proof", "--grace", "60s", "--", "-count=1", "-timeout", "30s"],
        &[("GOTOOLCHAIN", "go1.26.8")],
    );
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    let t = &run.tests()[&("example.com/tmp/par".to_string(), "TestStuck".to_string())];
    assert_eq!(t["verdict"], "leaked", "{}", run.stdout());
    assert_eq!(t["leak"]["groups"][0]["proven"], 1, "{}", run.stdout());
    assert_eq!(t["leak"]["cut_short"], false, "{}", run.stdout());
    assert!(!run.stdout().contains("stopped waiting"), "{}", run.stdout());
}

#[test]
fn go_1_27_proves_without_an_experiment() {
    let run = run_with("go1.27.3", &[]);
    assert_eq!(run.package("example.com/tmp/leaks")["proof"], true);
    assert_eq!(group_state(&run, "TestBlockedForever").2, 1);
    assert_eq!(group_state(&run, "TestSleeping").2, 0);
}

#[test]
fn without_proof_leaks_are_still_found() {
    // --no-proof undoes --proof; Go 1.25 has no profile to prove with, and
    // says so only because --proof asked for it.
    for (toolchain, flags) in [("go1.26.8", &["--no-proof"][..]), ("go1.25.5", &[][..])] {
        let run = run_with(toolchain, flags);
        assert_eq!(run.package("example.com/tmp/leaks")["proof"], false, "{toolchain}");
        assert_eq!(group_state(&run, "TestBlockedForever"), ("chan send".into(), 1, 0));
        let out = run.stdout();
        assert!(out.contains("1 × [chan send] "), "{out}");
        assert_eq!(
            out.contains("leakcheck: leaks were not proven"),
            flags.is_empty(),
            "{toolchain}: {out}"
        );
    }
}

/// The proof is off unless asked for: a goroutine the goroutineleak
/// profile would call stuck forever, but that a weak pointer's holder
/// wakes, crashed the test binary under the profile (`fatal error: bad
/// g->status in ready`, Go 1.26 and 1.27, a runtime bug), losing the
/// package's later tests; and Go 1.26's experiment leaves out files
/// built only without it.
#[test]
fn by_default_no_proof_no_experiment_no_crash() {
    let m = temp_module(&[
        (
            "weakwake/weak_test.go",
            r#"package weakwake

import (
	"runtime"
	"testing"
	"time"
	"weak"
)

type box struct{ ch chan struct{} }

// The waiter's channel is reachable only through a weak pointer that a
// sleeping goroutine resolves, and closes, after the test returned.
func TestWokenThroughWeakPointer(t *testing.T) {
	b := &box{ch: make(chan struct{})}
	wp := weak.Make(b)
	go func(b *box) {
		<-b.ch
		runtime.KeepAlive(b)
	}(b)
	b = nil
	go func() {
		time.Sleep(200 * time.Millisecond)
		if p := wp.Value(); p != nil {
			close(p.ch)
		}
	}()
}

func TestAfter(t *testing.T) {}
"#,
        ),
        (
            "weakwake/noexp_test.go",
            r#"//go:build !goexperiment.goroutineleakprofile

package weakwake

import "testing"

func TestBuiltWithoutTheExperiment(t *testing.T) {}
"#,
        ),
    ]);
    let run = run_in(m.path(), &["--", "-count=1"], &[("GOTOOLCHAIN", "go1.26.8")]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let pkg = "example.com/tmp/weakwake".to_string();
    assert_eq!(run.package(&pkg)["proof"], false);
    let tests = run.tests();
    for test in [
        "TestWokenThroughWeakPointer",
        "TestAfter",
        "TestBuiltWithoutTheExperiment",
    ] {
        assert_eq!(
            tests[&(pkg.clone(), test.to_string())]["verdict"],
            "passed",
            "{test}: {}",
            run.stdout()
        );
    }
}
