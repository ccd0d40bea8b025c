//! The shared rule vectors (tests/vectors/rules.json), checked against the
//! Rust side; helper/vectors_test.go checks the same file against the Go
//! helper, so both apply one semantics.

use leakcheck::analyse::rules::{check_dialect, first_match, IgnoreRule};
use leakcheck::dump;
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    dump: String,
    goroutines: Vec<Expected>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Expected {
    id: u64,
    state: String,
    label: String,
    top: String,
    created_by: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    rules: Vec<IgnoreRule>,
    test: String,
    package: String,
    ignored: Vec<u64>,
}

fn vectors() -> Vectors {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rules.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_dump_parses_as_the_vectors_say() {
    let v = vectors();
    let d = dump::parse(&v.dump);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.goroutines.len(), v.goroutines.len());
    for (g, want) in d.goroutines.iter().zip(&v.goroutines) {
        assert_eq!(g.id, want.id);
        assert_eq!(g.state, want.state, "goroutine {}", g.id);
        assert_eq!(g.label("leakcheck").unwrap_or(""), want.label, "goroutine {}", g.id);
        assert_eq!(g.top_function(), want.top, "goroutine {}", g.id);
        assert_eq!(
            g.created_by.as_ref().map_or("", |c| c.function),
            want.created_by,
            "goroutine {}",
            g.id
        );
    }
}

#[test]
fn every_rule_case_ignores_what_it_says() {
    let v = vectors();
    let d = dump::parse(&v.dump);
    for case in &v.cases {
        let ignored: Vec<u64> = d
            .goroutines
            .iter()
            .filter(|g| {
                let test = if case.test.is_empty() {
                    g.label("leakcheck").unwrap_or("")
                } else {
                    &case.test
                };
                first_match(&case.rules, g, test, &case.package).is_some()
            })
            .map(|g| g.id)
            .collect();
        assert_eq!(ignored, case.ignored, "case {:?}", case.name);
    }
}

#[test]
fn the_vectors_regexes_are_in_the_syntax_go_and_rust_share() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rules.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut regexes = Vec::new();
    for case in v["cases"].as_array().unwrap() {
        for rule in case["rules"].as_array().unwrap() {
            for m in rule.as_object().unwrap().values() {
                if let Some(re) = m.get("regex").and_then(|r| r.as_str()) {
                    regexes.push(re.to_string());
                }
            }
        }
    }
    assert!(regexes.len() >= 5, "{regexes:?}");
    for re in regexes {
        assert_eq!(check_dialect(&re), Ok(()), "{re}");
    }
}

#[test]
fn the_go_helper_passes_the_same_vectors() {
    let out = std::process::Command::new("go")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/helper"))
        .args([
            "test",
            "-count=1",
            "-run",
            "TestVectors|TestRecordHeaderJSON|TestConfigReader|TestParkingParallelTests|TestClaimsOfASharedStack|TestFirstDumpSizesItsBuffer|TestSourceNames",
            "-v",
            ".",
        ])
        .output()
        .expect("go runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        text.contains("--- PASS: TestVectorsRules")
            && text.contains("--- PASS: TestVectorsDumpParses")
            // The record header the helper writes by hand is encoding/json's.
            && text.contains("--- PASS: TestRecordHeaderJSONIsEncodingJSONs")
            // So is the settings reader, which stands for encoding/json.
            && text.contains("--- PASS: TestConfigReaderIsEncodingJSONs")
            // A parallel test on its way to park while the serial tests
            // run is parked (real dumps).
            && text.contains("--- PASS: TestParkingParallelTests")
            // A goroutine another check reported since the look is swapped
            // for another of its stack, not dropped (real dumps).
            && text.contains("--- PASS: TestClaimsOfASharedStack")
            // A package's first look at thousands of goroutines takes two
            // runtime.Stack calls, not one per doubling of its buffer.
            && text.contains("--- PASS: TestFirstDumpSizesItsBuffer")
            // A closure an inlined function wrote is that function's code,
            // not its caller's (helper-147).
            && text.contains("--- PASS: TestSourceNames"),
        "{text}"
    );
}
