//! A diagnosis for each leaked group: what its goroutines wait for, and the
//! usual fix, with the call to make.
//!
//! The rules are data: a state and frame patterns, then the text. The first
//! rule that matches a group gives its diagnosis; rules from leakcheck.toml
//! (`[[diagnosis]]`) come before the built-in ones, and `--explain` lists
//! them all. A wrong hint is worse than none: the specific rules need
//! specific evidence (the frames of net/http's keep-alive loop, a
//! WaitGroup's Wait, a timer's callback), and where only the wait state is
//! known the diagnosis says what the goroutines wait for and gives the fix
//! that state calls for, and no more.

use serde::{Deserialize, Serialize};

use super::group::LeakedGroup;
use super::rules::Matcher;
use super::{LeakReport, PackageResult};

/// One rule of the table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DiagnosisRule {
    /// Its name, shown in `--explain` and the JSON report.
    pub name: String,
    /// The wait state matches (e.g. `chan send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Matcher>,
    /// The innermost frame's function matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_function: Option<Matcher>,
    /// Some frame's function matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_function: Option<Matcher>,
    /// The function that started them matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Matcher>,
    /// At least this many identical goroutines.
    #[serde(default)]
    pub min_count: usize,
    /// What they wait for; `{n}` is the number of goroutines, `{creator}`
    /// the function that started them, `{state}` their wait state.
    pub waits: String,
    /// The usual fix, when the evidence is enough to give one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// A group's diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The rule that gave it.
    pub rule: String,
    /// What the goroutines wait for.
    pub waits: String,
    /// The usual fix, if the evidence gives one.
    pub fix: Option<String>,
}

impl DiagnosisRule {
    fn matches(&self, g: &LeakedGroup) -> bool {
        let any = [&self.state, &self.top_function, &self.any_function, &self.created_by]
            .iter()
            .any(|m| m.is_some())
            || self.min_count > 0;
        any && g.count >= self.min_count.max(1)
            && self.state.as_ref().is_none_or(|m| m.matches(&g.state))
            && self
                .top_function
                .as_ref()
                .is_none_or(|m| g.frames.first().is_some_and(|f| m.matches(&f.function)))
            && self
                .any_function
                .as_ref()
                .is_none_or(|m| g.frames.iter().any(|f| m.matches(&f.function)))
            && self
                .created_by
                .as_ref()
                .is_none_or(|m| g.created_by.as_ref().is_some_and(|c| m.matches(&c.function)))
    }

    fn apply(&self, g: &LeakedGroup, test_context: bool) -> Diagnosis {
        let creator = g.created_by.as_ref().map_or("", |c| c.function.as_str());
        let fill = |s: &str| {
            s.replace("{n}", &g.count.to_string())
                .replace("{creator}", creator)
                .replace("{state}", &g.state)
        };
        let mut fix = self.fix.as_deref().map(fill);
        // Go 1.24+: a test's own context, cancelled before its cleanups.
        if test_context {
            if let Some(f) = fix.as_mut().filter(|f| f.contains("ctx.Done()")) {
                f.push_str("; in a test, t.Context() is that context (cancelled when the test ends)");
            }
        }
        Diagnosis {
            rule: self.name.clone(),
            waits: fill(&self.waits),
            fix,
        }
    }
}

/// The diagnosis of a group by the first rule that matches, if one does.
pub fn diagnose(group: &LeakedGroup, rules: &[DiagnosisRule], test_context: bool) -> Option<Diagnosis> {
    rules
        .iter()
        .find(|r| r.matches(group))
        .map(|r| r.apply(group, test_context))
}

/// Gives every leaked group of a package its diagnosis.
pub fn annotate(p: &mut PackageResult, rules: &[DiagnosisRule], test_context: bool) {
    let reports = p
        .tests
        .iter_mut()
        .filter_map(|t| t.leak.as_mut())
        .chain(p.main_leak.as_mut());
    for report in reports {
        annotate_report(report, rules, test_context);
    }
}

fn annotate_report(report: &mut LeakReport, rules: &[DiagnosisRule], test_context: bool) {
    for g in &mut report.groups {
        g.diagnosis = diagnose(g, rules, test_context);
    }
}

fn re(pattern: &str) -> Option<Matcher> {
    Some(Matcher::regex(pattern).expect("built-in diagnosis patterns compile"))
}

/// The built-in table, most specific first.
pub fn builtin() -> Vec<DiagnosisRule> {
    let rule = |name: &str, waits: &str, fix: Option<&str>| DiagnosisRule {
        name: name.into(),
        waits: waits.into(),
        fix: fix.map(Into::into),
        ..Default::default()
    };
    vec![
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*persistConn\)\.(readLoop|writeLoop)$"),
            ..rule(
                "http-keep-alive",
                "an HTTP client's keep-alive connection, kept open for the next request",
                Some("close the client's idle connections when done (client.CloseIdleConnections(), or srv.Close() for an httptest server), and read and close every response body (defer resp.Body.Close())"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*persistConn\)\.roundTrip$"),
            ..rule(
                "http-request-without-timeout",
                "an HTTP request still waiting for its response",
                Some("give the client a timeout (http.Client{Timeout: …}) or the request a context with a deadline (http.NewRequestWithContext(ctx, …)), and defer resp.Body.Close()"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http/httptest\.\(\*Server\)\.goServe"),
            ..rule(
                "httptest-server-open",
                "an httptest server's accept loop: the server was never closed",
                Some("close it when the test ends (defer srv.Close(), or t.Cleanup(srv.Close))"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*connReader\)\.backgroundRead$"),
            ..rule(
                "http-server-connection",
                "an HTTP server reading the next request on a connection the client keeps open",
                Some("close the server (srv.Close()) or the client's idle connections when done"),
            )
        },
        DiagnosisRule {
            any_function: re(
                r"^(github\.com/gorilla/websocket\.\(\*Conn\)\.(ReadMessage|NextReader|ReadJSON)|(nhooyr\.io|github\.com/coder)/websocket\.\(\*Conn\)\.(Read|Reader))$",
            ),
            ..rule(
                "websocket-read",
                "a websocket read loop on a connection nobody closes",
                Some("close the connection when the handler or the test ends (conn.Close()); the read then returns an error and the loop can return"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*conn\)\.serve$"),
            state: re(r"^(select|chan |sync\.|semacquire)"),
            ..rule(
                "http-handler-blocked",
                "an HTTP handler that never returns",
                Some("make the handler return when the request is done (select on r.Context().Done()), and close the server when the test ends"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net\.\(\*(TCPListener|UnixListener|netFD)\)\.(Accept|accept)$"),
            state: re(r"^IO wait"),
            ..rule(
                "listener-open",
                "accepting connections on a listener nobody closes",
                Some("close the listener when done (ln.Close()); Accept then returns an error"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net\.\(\*(conn|netFD)\)\.(Read|read)$"),
            state: re(r"^IO wait"),
            ..rule(
                "connection-read",
                "reading from a network connection nobody closes",
                Some("close the connection when done (conn.Close()), or set a read deadline (conn.SetReadDeadline)"),
            )
        },
        DiagnosisRule {
            created_by: re(r"^time\.goFunc$"),
            ..rule(
                "timer-callback",
                "a timer's callback (time.AfterFunc) that fired and never returned",
                Some("stop the timer when the work is cancelled (t.Cleanup(func() { timer.Stop() })), and let the callback return (select on ctx.Done() or a stop channel)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*WaitGroup\)\.Wait$"),
            ..rule(
                "waitgroup",
                "sync.WaitGroup.Wait, for goroutines that never call wg.Done()",
                Some("make every goroutine counted by wg.Add call wg.Done() on every path (defer wg.Done() as its first statement)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*(Mutex|RWMutex)\)\.(Lock|RLock)$"),
            ..rule(
                "mutex",
                "a mutex nobody unlocks",
                Some("unlock on every path: defer mu.Unlock() right after mu.Lock() (an early return or a panic skipped the Unlock)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*Cond\)\.Wait$"),
            ..rule(
                "cond",
                "sync.Cond.Wait, with nobody to signal",
                Some("call cond.Signal() or cond.Broadcast() whenever the condition changes, shutdown included"),
            )
        },
        DiagnosisRule {
            state: re(r"\(nil chan\)$"),
            ..rule(
                "nil-channel",
                "a nil channel: it blocks forever",
                Some("make the channel before use (make(chan T)), or drop the case that uses it"),
            )
        },
        DiagnosisRule {
            state: re(r"^select \(no cases\)$"),
            ..rule(
                "empty-select",
                "an empty select (select {}): it blocks forever",
                Some("wait for something that ends: select on ctx.Done() or a stop channel"),
            )
        },
        DiagnosisRule {
            state: re(r"^(chan send|chan receive|select)$"),
            min_count: 10,
            ..rule(
                "unbounded-goroutines",
                "{n} identical goroutines started by {creator}: one per request or item, never bounded, each blocked",
                Some("bound them (a worker pool, or a semaphore: errgroup's SetLimit, a buffered channel) and give each a way to finish (select on ctx.Done() around the blocking send or receive)"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan receive$"),
            min_count: 2,
            ..rule(
                "worker-pool",
                "{n} workers waiting for work on a channel nobody closes",
                Some("close the work channel when no more work comes (close(jobs)) and wait for the workers, or stop them with a context (select on ctx.Done())"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan send$"),
            ..rule(
                "channel-send",
                "sending on a channel nobody receives from any more (the receiver returned early: a timeout, an error, a consumer that stopped reading)",
                Some("if the receiver may give up, make the send unable to block (a buffer of one: make(chan T, 1)) or select on ctx.Done() around it; if it feeds a consumer, let the consumer cancel the producer"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan receive$"),
            ..rule(
                "channel-receive",
                "receiving from a channel nobody sends on or closes",
                Some("close the channel when the work is done (defer close(ch) in the producer), or add a way out (select on ctx.Done())"),
            )
        },
        DiagnosisRule {
            state: re(r"^select$"),
            ..rule(
                "select-without-exit",
                "a select none of whose cases will fire: a loop with no way out",
                Some("give it one (case <-ctx.Done(): return, or a stop channel) and stop the component when the test ends (Close, Stop, cancel)"),
            )
        },
        DiagnosisRule {
            state: re(r"^sleep$"),
            ..rule(
                "sleep",
                "time.Sleep, in a loop or a long wait nobody can interrupt",
                Some("wait on a timer or ticker in a select with case <-ctx.Done() (or a stop channel) instead of sleeping"),
            )
        },
        DiagnosisRule {
            state: re(r"^IO wait"),
            ..rule(
                "io-wait",
                "network I/O on a connection or listener nobody closes",
                Some("close it when done"),
            )
        },
        DiagnosisRule {
            state: re(r".*"),
            ..rule("state", "{state}", None)
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::group::Location;

    fn group(state: &str, frames: &[&str], created_by: &str, count: usize) -> LeakedGroup {
        let loc = |f: &str| Location {
            function: f.into(),
            file: "/x.go".into(),
            line: 1,
        };
        LeakedGroup {
            count,
            state: state.into(),
            proven: 0,
            wait_minutes: None,
            frames: frames.iter().map(|f| loc(f)).collect(),
            elided: false,
            created_by: Some(loc(created_by)),
            test: None,
            subtests: Default::default(),
            labels: vec![],
            ids: vec![],
            creators: Default::default(),
            known: false,
            diagnosis: None,
        }
    }

    fn rule_for(g: &LeakedGroup) -> String {
        diagnose(g, &builtin(), false).unwrap().rule
    }

    #[test]
    fn specific_evidence_first_then_the_state() {
        let keep_alive = group(
            "IO wait",
            &["net/http.(*persistConn).readLoop"],
            "net/http.(*Transport).dialConn",
            1,
        );
        assert_eq!(rule_for(&keep_alive), "http-keep-alive");
        let pool = group("chan receive", &["p.(*Pool).worker"], "p.New", 4);
        assert_eq!(rule_for(&pool), "worker-pool");
        let one = group("chan receive", &["p.wait"], "p.Start", 1);
        assert_eq!(rule_for(&one), "channel-receive");
        let many = group("chan send", &["p.audit"], "p.Handle", 100);
        let d = diagnose(&many, &builtin(), false).unwrap();
        assert_eq!(d.rule, "unbounded-goroutines");
        assert!(
            d.waits.starts_with("100 identical goroutines started by p.Handle"),
            "{d:?}"
        );
        let wg = group(
            "sync.WaitGroup.Wait",
            &["sync.(*WaitGroup).Wait", "p.run"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&wg), "waitgroup");
        let older = group(
            "semacquire",
            &["sync.runtime_Semacquire", "sync.(*WaitGroup).Wait"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&older), "waitgroup");
        let timer = group("chan receive", &["p.fire"], "time.goFunc", 1);
        assert_eq!(rule_for(&timer), "timer-callback");
        let odd = group("syscall", &["syscall.Syscall"], "p.Start", 1);
        let d = diagnose(&odd, &builtin(), false).unwrap();
        assert_eq!(d.fix, None, "thin evidence, no fix");
    }

    #[test]
    fn a_test_context_is_named_where_a_context_is_the_fix() {
        let g = group("select", &["p.loop"], "p.Start", 1);
        let d = diagnose(&g, &builtin(), true).unwrap();
        assert!(d.fix.unwrap().contains("t.Context()"));
        let d = diagnose(&g, &builtin(), false).unwrap();
        assert!(!d.fix.unwrap().contains("t.Context()"));
    }
}
