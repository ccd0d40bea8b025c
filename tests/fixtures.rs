//! leakcheck on go-fixtures, end to end: the real binary runs the real
//! `go test` on every fixture package, and each test's verdict, leaked
//! goroutine groups, the exit code and the JUnit file are checked exactly.

use crate::common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::{fixtures_dir, run_in, Run};

const P: &str = "example.com/fixtures/";

/// One expected leak group: count, state, and a function that must appear
/// in the group's stack.
type Group = (u64, &'static str, &'static str);

/// A verdict and, for leaks, the expected groups.
type Expectation = (&'static str, Vec<Group>);

/// Every test in go-fixtures, its verdict and, for leaks, its groups.
fn expected() -> BTreeMap<(String, String), Expectation> {
    let leak = |groups: Vec<Group>| ("leaked", groups);
    let pass = || ("passed", vec![]);
    let rows: Vec<(&str, &str, Expectation)> = vec![
        (
            "afterfunc",
            "TestAfterFuncLeaks",
            leak(vec![(1, "chan receive", "afterfunc.TestAfterFuncLeaks.func1")]),
        ),
        ("afterfunc", "TestAfterFuncStopped", pass()),
        (
            "earlyreturn",
            "TestFetchTimeoutLeaks",
            leak(vec![(1, "chan send", "earlyreturn.Fetch.func1")]),
        ),
        ("earlyreturn", "TestFetchTimeoutBuffered", pass()),
        (
            "generator",
            "TestGeneratorLeaks",
            leak(vec![(1, "chan send", "generator.produce")]),
        ),
        ("generator", "TestGeneratorDone", pass()),
        ("httpclient", "TestClientTimeout", pass()),
        ("initdaemon", "TestUsesDaemon", pass()),
        ("mixed", "TestInternalClean", pass()),
        (
            "mixed",
            "TestExternalLeaks",
            leak(vec![(1, "chan receive", "mixed.(*Subscription).run")]),
        ),
        ("mixed", "TestExternalClean", pass()),
        ("ownmain", "TestWithSetupA", pass()),
        ("ownmain", "TestWithSetupB", pass()),
        (
            "ownmainleak",
            "TestOwnMainLeaks",
            leak(vec![(1, "chan receive", "ownmainleak.(*Watch).run")]),
        ),
        ("ownmainleak", "TestOwnMainClean", pass()),
        ("panics", "TestBeforePanic", pass()),
        ("panics", "TestPanics", ("panicked", vec![])),
        ("parallel", "TestParallelA", pass()),
        ("parallel", "TestParallelB", pass()),
        ("parallel", "TestParallelC", pass()),
        (
            "parallel",
            "TestParallelLeaks",
            leak(vec![(1, "chan receive", "parallel.(*Watcher).loop")]),
        ),
        (
            "selectloop",
            "TestPollerLeaks",
            leak(vec![(1, "select", "selectloop.(*Poller).loop")]),
        ),
        ("selectloop", "TestPollerStopsOnCancel", pass()),
        (
            "sleeper",
            "TestRetryLeaks",
            leak(vec![(1, "sleep", "sleeper.Retrier.Go.func1")]),
        ),
        ("sleeper", "TestRetryStops", pass()),
        ("mainleak", "TestPutGet", pass()),
        ("slowexit", "TestSlowShutdown", pass()),
        (
            "spawn",
            "TestPerRequestLeaks",
            leak(vec![(100, "chan send", "spawn.(*Server).audit")]),
        ),
        ("spawn", "TestPerRequestBounded", pass()),
        // The subtest leaked; its parent leaked through it (go test fails
        // a test whose subtest fails), with no leak of its own.
        ("subtest", "TestHandlers", ("leaked", vec![])),
        ("subtest", "TestHandlers/ok", pass()),
        (
            "subtest",
            "TestHandlers/leaky",
            leak(vec![(1, "chan receive", "subtest.waitForAck")]),
        ),
        ("subtest", "TestHandlers/also_ok", pass()),
        ("subtest", "TestNoSubtestLeak", pass()),
        (
            "workerpool",
            "TestPoolLeaks",
            leak(vec![(4, "chan receive", "workerpool.(*Pool).worker")]),
        ),
        ("workerpool", "TestPoolShutdown", pass()),
        (
            "wsreader",
            "TestReaderLeaks",
            // The client's reader and the server's, both in gorilla's ReadMessage.
            leak(vec![
                (1, "IO wait", "wsreader.(*Feed).readLoop"),
                (1, "IO wait", "wsreader.(*Hub).ServeHTTP"),
            ]),
        ),
        ("wsreader", "TestReaderClosed", pass()),
        ("xtestonly", "TestExternalClean", pass()),
    ];
    rows.into_iter()
        .map(|(p, t, v)| ((format!("{P}{p}"), t.to_string()), v))
        .collect()
}

/// The one full run the tests below share.
fn fixture_run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run_in(&fixtures_dir(), &["--", "-count=1"], &[]))
}

#[test]
fn every_fixture_test_gets_its_exact_verdict() {
    let run = fixture_run();
    assert_eq!(run.code(), 1, "leaks make the run fail\n{}", run.stdout());
    let tests = run.tests();
    let mut got: BTreeMap<(String, String), String> = BTreeMap::new();
    for (key, t) in &tests {
        got.insert(key.clone(), t["verdict"].as_str().unwrap().to_string());
    }
    // httpclient's leaky test leaks client and server goroutines; checked
    // on its own below.
    got.remove(&(format!("{P}httpclient"), "TestNoTimeoutLeaks".into()));
    let want: BTreeMap<_, _> = expected().into_iter().map(|(k, (v, _))| (k, v.to_string())).collect();
    assert_eq!(got, want, "\n{}", run.stdout());
}

#[test]
fn leaked_goroutines_are_grouped_and_counted() {
    let run = fixture_run();
    let tests = run.tests();
    for ((pkg, name), (verdict, groups)) in expected() {
        // A parent that leaked through its subtest has no leak of its own.
        if verdict != "leaked" || groups.is_empty() {
            assert!(
                tests[&(pkg.clone(), name.clone())]["leak"].is_null(),
                "{pkg} {name} has a leak report"
            );
            continue;
        }
        let leak = &tests[&(pkg.clone(), name.clone())]["leak"];
        let got = leak["groups"].as_array().unwrap();
        assert_eq!(got.len(), groups.len(), "{name}: groups {leak:#}");
        let total: u64 = groups.iter().map(|g| g.0).sum();
        assert_eq!(leak["total"], total, "{name}");
        // Groups of equal size come in the order seen: match them as a set.
        for (count, state, function) in &groups {
            let g = got
                .iter()
                .find(|g| {
                    g["count"] == *count
                        && g["state"] == *state
                        && g["frames"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|f| f["function"].as_str().unwrap().ends_with(function))
                })
                .unwrap_or_else(|| panic!("{name}: no group {count} × [{state}] with {function} in {leak:#}"));
            let frames: Vec<&str> = g["frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["function"].as_str().unwrap())
                .collect();
            assert!(
                frames.iter().all(|f| !f.contains("leakcheck")),
                "{name}: the helper's own frames are shown: {frames:?}"
            );
            assert!(!g["created_by"].is_null(), "{name}: no created-by in {g:#}");
        }
    }
}

#[test]
fn a_leak_in_a_subtest_is_the_subtests() {
    let run = fixture_run();
    let tests = run.tests();
    let sub = &tests[&(format!("{P}subtest"), "TestHandlers/leaky".to_string())];
    assert_eq!(sub["verdict"], "leaked");
    assert_eq!(sub["leak"]["total"], 1);
    let parent = &tests[&(format!("{P}subtest"), "TestHandlers".to_string())];
    assert_eq!(parent["verdict"], "leaked");
    assert_eq!(parent["failed_by_subtest"], true);
    assert!(parent["leak"].is_null(), "{parent:#}");
    let out = run.stdout();
    assert!(out.contains("--- LEAK: TestHandlers/leaky"), "{out}");
    assert!(
        out.contains("--- LEAK: TestHandlers (") && out.contains("): TestHandlers/leaky leaked"),
        "{out}"
    );
    // Dashboards see the same: the subtest's testcase fails with the leak,
    // the parent's because of it (a subtest leaked).
    let doc = roxmltree::Document::parse(&run.junit).unwrap();
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .and_then(|c| c.children().find(|n| n.has_tag_name("failure")))
            .map(|f| f.attribute("type").unwrap_or("").to_string())
    };
    assert_eq!(case("TestHandlers/leaky").as_deref(), Some("GoroutineLeak"));
    assert_eq!(case("TestHandlers").as_deref(), Some("GoroutineLeak"));
}

#[test]
fn an_http_client_without_timeout_leaks_the_client_goroutine() {
    let run = fixture_run();
    let t = &run.tests()[&(format!("{P}httpclient"), "TestNoTimeoutLeaks".to_string())];
    assert_eq!(t["verdict"], "leaked");
    let functions: Vec<String> = t["leak"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| {
            g["frames"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["function"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        functions.iter().any(|f| f == "net/http.(*persistConn).roundTrip"),
        "{functions:?}"
    );
    assert!(
        functions.iter().any(|f| f.ends_with("httpclient.(*Client).Status")),
        "{functions:?}"
    );
    // Its connection is busy with the request, not kept alive: no
    // keep-alive hint (tests/rules.rs has one that gets it).
    assert!(!run.stdout().contains("hint: net/http keep-alive"), "{}", run.stdout());
}

#[test]
fn package_level_failures_are_reported() {
    let run = fixture_run();
    let broken = run.package(&format!("{P}broken"));
    assert_eq!(broken["status"], "build_failed");
    assert!(
        broken["build_output"].as_str().unwrap().contains("cannot use"),
        "{broken:#}"
    );
    let panics = run.package(&format!("{P}panics"));
    assert_eq!(panics["crash"]["kind"], "panic");
    assert_eq!(panics["crash"]["tests"], serde_json::json!(["TestPanics"]));
    // TestMain's setup started a refresher its teardown forgot.
    let main = run.package(&format!("{P}mainleak"));
    assert_eq!(main["status"], "failed");
    let g = &main["main_leak"]["groups"][0];
    assert_eq!(g["count"], 1);
    assert_eq!(g["frames"][0]["function"], format!("{P}mainleak.(*Cache).refresher"));
    assert!(run
        .stdout()
        .contains("--- LEAK: TestMain: 1 goroutine leaked (1 stack) after the last test"));
    // Alone, the package's DONE line counts no leaked test, only the
    // goroutine TestMain left.
    let alone = run_in(&fixtures_dir(), &["./mainleak", "--", "-count=1"], &[]);
    assert!(
        alone
            .stdout()
            .contains("1 test, 1 passed, 1 goroutine leaked after the last test"),
        "{}",
        alone.stdout()
    );
    for clean in ["ownmain", "initdaemon", "slowexit", "xtestonly"] {
        let p = run.package(&format!("{P}{clean}"));
        assert_eq!(p["status"], "passed", "{p:#}");
        assert_eq!(p["check"]["state"], "checked", "{p:#}");
        assert!(p["main_leak"].is_null(), "{p:#}");
    }
}

#[test]
fn junit_is_valid_and_names_each_leak() {
    let run = fixture_run();
    let doc = roxmltree::Document::parse(&run.junit).expect("the JUnit file is well-formed XML");
    common::assert_schema_valid(&run.junit);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let case = |pkg: &str, name: &str| {
        suites
            .iter()
            .filter(|s| s.attribute("name") == Some(pkg))
            .flat_map(|s| s.children().filter(|n| n.has_tag_name("testcase")))
            .find(|c| c.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {pkg} {name}"))
    };
    for s in &suites {
        let props: Vec<_> = s.descendants().filter(|n| n.has_tag_name("property")).collect();
        assert!(
            props.iter().any(|p| p.attribute("name") == Some("go.version")),
            "no go.version"
        );
        assert!(s.attribute("timestamp").is_some() && s.attribute("time").is_some());
    }
    for ((pkg, name), (verdict, groups)) in expected() {
        let c = case(&pkg, &name);
        assert_eq!(c.attribute("classname"), Some(pkg.as_str()));
        let failure = c.children().find(|n| n.has_tag_name("failure"));
        let error = c.children().find(|n| n.has_tag_name("error"));
        match verdict {
            "passed" => assert!(failure.is_none() && error.is_none(), "{name}"),
            "panicked" => assert!(error.is_some_and(|e| e.attribute("type") == Some("Panic")), "{name}"),
            // A parent whose subtest leaked.
            "leaked" if groups.is_empty() => {
                let f = failure.unwrap_or_else(|| panic!("{name} has no failure"));
                assert_eq!(f.attribute("type"), Some("GoroutineLeak"));
                assert_eq!(f.attribute("message"), Some("a subtest leaked goroutines"));
            }
            "leaked" => {
                let f = failure.unwrap_or_else(|| panic!("{name} has no failure"));
                assert_eq!(f.attribute("type"), Some("GoroutineLeak"));
                let total: u64 = groups.iter().map(|g| g.0).sum();
                let message = f.attribute("message").unwrap();
                assert!(message.starts_with(&format!("{total} goroutine")), "{name}: {message}");
                let body = f.text().unwrap_or("");
                for (count, state, function) in &groups {
                    assert!(body.contains(&format!("{count} × [{state}")), "{name}: {body}");
                    assert!(body.contains(function), "{name}: {function} not in {body}");
                }
                assert!(
                    c.attribute("file").is_some() && c.attribute("line").is_some(),
                    "{name}: no file/line"
                );
            }
            other => unreachable!("{other}"),
        }
        let out = c
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or("");
        assert!(
            out.contains(&format!("=== RUN   {name}")),
            "{name}: system-out lost: {out:?}"
        );
    }
    let main = case(&format!("{P}mainleak"), "TestMain");
    let f = main
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("TestMain leak fails TestMain");
    assert_eq!(f.attribute("type"), Some("GoroutineLeak"));
    assert!(f.text().unwrap_or("").contains("mainleak.(*Cache).refresher"));
    let build = case(&format!("{P}broken"), "TestMain");
    let err = build
        .children()
        .find(|n| n.has_tag_name("error"))
        .expect("build failure is an <error>");
    assert!(err.text().unwrap_or("").contains("cannot use"));
}

#[test]
fn plain_go_test_passes_every_leaky_test() {
    // Why leakcheck exists: go test itself sees nothing wrong.
    let leaky: Vec<String> = expected()
        .into_iter()
        .filter(|(_, (v, _))| *v == "leaked")
        .map(|((p, _), _)| p)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let out = std::process::Command::new("go")
        .current_dir(fixtures_dir())
        .args(["test", "-count=1"])
        .args(&leaky)
        .output()
        .expect("go runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn clean_packages_exit_zero() {
    let run = run_in(
        &fixtures_dir(),
        &["./slowexit", "./initdaemon", "./ownmain", "./xtestonly"],
        &[],
    );
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(
        run.stdout().contains("✓  example.com/fixtures/slowexit ("),
        "{}",
        run.stdout()
    );
}

/// The verdicts, and each leak's groups, under another Go: identical to the
/// table above. Go 1.22 has no labels in dumps (they come from the pprof
/// profile) and no goroutineleak profile; Go 1.27 prints labels its own way.
fn same_verdicts_under(toolchain: &str) {
    let run = run_in(&fixtures_dir(), &["--", "-count=1"], &[("GOTOOLCHAIN", toolchain)]);
    assert_eq!(run.code(), 1, "{}{}", run.stdout(), run.stderr());
    assert_eq!(run.report["go_version"], toolchain);
    let tests = run.tests();
    for ((pkg, name), (verdict, groups)) in expected() {
        let t = &tests[&(pkg.clone(), name.clone())];
        assert_eq!(t["verdict"], verdict, "{toolchain} {pkg} {name}");
        if verdict == "leaked" && !groups.is_empty() {
            let total: u64 = groups.iter().map(|g| g.0).sum();
            assert_eq!(t["leak"]["total"], total, "{toolchain} {name}");
            assert_eq!(
                t["leak"]["groups"].as_array().unwrap().len(),
                groups.len(),
                "{toolchain} {name}"
            );
        }
    }
    let sub = &tests[&(format!("{P}subtest"), "TestHandlers/leaky".to_string())];
    assert_eq!(sub["verdict"], "leaked", "{toolchain}");
    // Before Go 1.24 go vet cannot read the overlay, so go test's vet step
    // is off: the run says so (go test would fail a package vet rejects).
    let unvetted = run.stderr().contains("warning: go vet does not run");
    assert_eq!(unvetted, toolchain == "go1.22.12", "{toolchain}: {}", run.stderr());
}

/// Each test's verdict, leak count and groups (count, state, innermost
/// function, subtests), by package and test.
fn verdict_summary(run: &Run) -> BTreeMap<(String, String), String> {
    run.tests()
        .into_iter()
        .map(|(key, t)| {
            let groups: Vec<String> = t["leak"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|g| {
                    format!(
                        "{} {} {} {}",
                        g["count"], g["state"], g["frames"][0]["function"], g["subtests"]
                    )
                })
                .collect();
            (key, format!("{} {} {:?}", t["verdict"], t["leak"]["total"], groups))
        })
        .collect()
}

/// The helper skips its look after a serial test when the runtime's
/// goroutine-creation counter shows the test started nothing (Go 1.26+).
/// With the shortcut off, every test gets its look: every verdict, leak
/// count and group must be the same.
#[test]
fn the_creation_counter_shortcut_changes_no_verdict() {
    let always = run_in(&fixtures_dir(), &["--", "-count=1"], &[("LEAKCHECK_ALWAYS_LOOK", "1")]);
    let (a, b) = (verdict_summary(fixture_run()), verdict_summary(&always));
    assert!(a.len() > 20, "{a:?}");
    assert_eq!(a, b, "\n{}", always.stdout());
}

/// On Go 1.26 and 1.27 a serial test's check lists the goroutines alive
/// with a function leakcheck adds to the runtime; with the runtime left as
/// it is (`LEAKCHECK_PLAIN_RUNTIME=1`) it glances instead: every verdict,
/// leak count and group must be the same.
#[test]
fn the_runtimes_own_list_changes_no_verdict() {
    let plain = run_in(
        &fixtures_dir(),
        &["--", "-count=1"],
        &[("LEAKCHECK_PLAIN_RUNTIME", "1")],
    );
    let (a, b) = (verdict_summary(fixture_run()), verdict_summary(&plain));
    assert!(a.len() > 20, "{a:?}");
    assert_eq!(a, b, "\n{}", plain.stdout());
}

#[test]
fn same_verdicts_under_go_1_22() {
    same_verdicts_under("go1.22.12");
}

#[test]
fn same_verdicts_under_go_1_27() {
    same_verdicts_under("go1.27.3");
}

/// Proven versus still running, on the fixtures (`--proof`): blocked
/// channel leaks are proven under Go 1.26 (with the experiment leakcheck
/// turns on) and 1.27; a sleeping goroutine never is.
fn proof_under(toolchain: &str) {
    let run = run_in(
        &fixtures_dir(),
        &[
            "--proof",
            "./workerpool",
            "./generator",
            "./spawn",
            "./sleeper",
            "--",
            "-count=1",
        ],
        &[("GOTOOLCHAIN", toolchain)],
    );
    let tests = run.tests();
    let group = |pkg: &str, test: &str| tests[&(format!("{P}{pkg}"), test.to_string())]["leak"]["groups"][0].clone();
    for (pkg, test) in [
        ("workerpool", "TestPoolLeaks"),
        ("generator", "TestGeneratorLeaks"),
        ("spawn", "TestPerRequestLeaks"),
    ] {
        let g = group(pkg, test);
        assert_eq!(g["proven"], g["count"], "{toolchain} {test}: {g:#}");
    }
    assert_eq!(group("sleeper", "TestRetryLeaks")["proven"], 0, "{toolchain}");
    let out = run.stdout();
    assert!(out.contains("4 × [chan receive, proven]"), "{out}");
    assert!(out.contains("1 × [sleep, still running]"), "{out}");
}

#[test]
fn blocked_leaks_are_proven_under_go_1_26_and_1_27() {
    proof_under("go1.26.8");
    proof_under("go1.27.3");
}

/// Every leaky fixture's diagnosis (README, "Diagnoses"): the rule that
/// gives it, and the call it names.
#[test]
fn every_leak_gets_a_diagnosis_that_names_its_fix() {
    let run = fixture_run();
    let tests = run.tests();
    let rows: &[(&str, &str, &str, &str)] = &[
        ("afterfunc", "TestAfterFuncLeaks", "timer-callback", "timer.Stop()"),
        (
            "earlyreturn",
            "TestFetchTimeoutLeaks",
            "channel-send",
            "make(chan T, 1)",
        ),
        ("generator", "TestGeneratorLeaks", "channel-send", "cancel the producer"),
        (
            "httpclient",
            "TestNoTimeoutLeaks",
            "http-request-without-timeout",
            "http.Client{Timeout",
        ),
        ("mixed", "TestExternalLeaks", "channel-receive", "close(ch)"),
        ("ownmainleak", "TestOwnMainLeaks", "channel-receive", "ctx.Done()"),
        ("parallel", "TestParallelLeaks", "channel-receive", "close(ch)"),
        (
            "selectloop",
            "TestPollerLeaks",
            "select-without-exit",
            "case <-ctx.Done()",
        ),
        ("sleeper", "TestRetryLeaks", "sleep", "ctx.Done()"),
        ("spawn", "TestPerRequestLeaks", "unbounded-goroutines", "SetLimit"),
        ("subtest", "TestHandlers/leaky", "channel-receive", "close(ch)"),
        ("workerpool", "TestPoolLeaks", "worker-pool", "close(jobs)"),
        ("wsreader", "TestReaderLeaks", "websocket-read", "conn.Close()"),
    ];
    for (pkg, test, rule, call) in rows {
        let t = &tests[&(format!("{P}{pkg}"), test.to_string())];
        // The root cause's diagnosis: the first group in reading order.
        let groups = t["leak"]["groups"].as_array().unwrap();
        let d = groups
            .iter()
            .map(|g| &g["diagnosis"])
            .find(|d| d["rule"] == *rule)
            .unwrap_or_else(|| panic!("{pkg} {test}: no {rule} diagnosis in {groups:#?}"));
        assert!(d["fix"].as_str().unwrap().contains(call), "{pkg} {test}: {d}");
    }
    // The httptest server, its handler, and the connections busy with the
    // request of the HTTP leak get theirs too.
    let http = &tests[&(format!("{P}httpclient"), "TestNoTimeoutLeaks".to_string())];
    let rules: Vec<&str> = http["leak"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["diagnosis"]["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "httptest-server-open",
        "http-request-connection",
        "http-handler-connection",
        "http-handler-blocked",
    ] {
        assert!(rules.contains(&rule), "{rules:?}");
    }
    let main = run.package(&format!("{P}mainleak"));
    assert_eq!(main["main_leak"]["groups"][0]["diagnosis"]["rule"], "channel-receive");
    // In the terminal, under the group's headline.
    let out = run.stdout();
    assert!(
        out.contains(
            "        waits: 4 goroutines waiting to receive from channels nobody sends to or closes: a pool's idle workers, or receivers whose sender is gone\n        fix: close the channel when no more values come (a pool's work channel: close(jobs)"
        ),
        "{out}"
    );
}
