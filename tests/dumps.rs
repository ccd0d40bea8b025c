//! The parser on real dumps from every supported Go version
//! (tests/fixtures/dumps, captured by scripts/capture-dumps): each parked
//! goroutine must parse exactly as the program that parked it says.

use std::collections::HashMap;
use std::path::PathBuf;

use leakcheck::dump::{self, Elided};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps")
}

fn text(name: &str) -> String {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn expectation_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".expect.json"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_captured_dump_parses_exactly() {
    let files = expectation_files();
    let versions: std::collections::BTreeSet<String> =
        files.iter().map(|f| f.split('-').next().unwrap().to_string()).collect();
    for v in ["go1.21.13", "go1.22.12", "go1.24.11", "go1.26.8", "go1.27.3"] {
        assert!(versions.contains(v), "no fixtures for {v}");
    }
    let mut checked = 0;
    for name in files {
        let expect: Value = serde_json::from_str(&text(&name)).unwrap();
        let dump_name = name.replace(".expect.json", ".txt");
        let body = text(&dump_name);
        let parsed = dump::parse(&body);
        let by_id: HashMap<u64, &dump::Goroutine<'_>> = parsed.goroutines.iter().map(|g| (g.id, g)).collect();
        for want in expect["goroutines"].as_array().unwrap() {
            let ctx = format!("{dump_name} goroutine {} ({})", want["id"], want["name"]);
            let id = want["id"].as_u64().unwrap();
            let g = by_id.get(&id).unwrap_or_else(|| panic!("{ctx}: not parsed"));
            let mut state = g.state.to_string();
            if g.leaked {
                state.push_str(" (leaked)");
            }
            if g.durable {
                state.push_str(" (durable)");
            }
            assert_eq!(state, want["state"].as_str().unwrap(), "{ctx}");
            assert_eq!(
                g.wait_minutes.unwrap_or(0),
                want["wait_minutes"].as_u64().unwrap_or(0),
                "{ctx}"
            );
            assert_eq!(
                g.locked_to_thread,
                want["locked_to_thread"].as_bool().unwrap_or(false),
                "{ctx}"
            );
            assert_eq!(
                g.synctest_bubble.unwrap_or(0),
                want["synctest_bubble"].as_u64().unwrap_or(0),
                "{ctx}"
            );
            let labels: Vec<(String, String)> = g.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let want_labels: Vec<(String, String)> = if want["labels_printed"].as_bool().unwrap_or(false) {
                want["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| {
                        (
                            l["key"].as_str().unwrap().to_string(),
                            l["value"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            } else {
                vec![]
            };
            assert_eq!(labels, want_labels, "{ctx}");
            if let Some(top) = want["top_function"].as_str().filter(|t| !t.is_empty()) {
                assert_eq!(g.top_function(), top, "{ctx}");
                assert_eq!(
                    g.frames[0].inlined(),
                    want["top_inlined"].as_bool().unwrap_or(false),
                    "{ctx}"
                );
            }
            if let Some(suffix) = want["top_file_suffix"].as_str() {
                assert!(g.frames[0].file.ends_with(suffix), "{ctx}: {}", g.frames[0].file);
                assert!(g.frames[0].line > 0, "{ctx}");
            }
            if let Some(list) = want["frames_include"].as_array() {
                let mut frames = g.frames.iter().map(|f| f.function);
                for f in list {
                    let f = f.as_str().unwrap();
                    assert!(frames.any(|x| x == f), "{ctx}: frame {f} missing or out of order");
                }
            }
            if let Some(list) = want["inlined_frames"].as_array() {
                for f in list {
                    let f = f.as_str().unwrap();
                    assert!(
                        g.frames.iter().any(|x| x.function == f && x.inlined()),
                        "{ctx}: {f} not inlined"
                    );
                }
            }
            if let Some(n) = want["elided_frames"].as_u64() {
                assert_eq!(g.elided, Some(Elided::Count(n)), "{ctx}");
            }
            assert_eq!(
                g.created_by.as_ref().map_or("", |c| c.function),
                want["created_by"].as_str().unwrap_or(""),
                "{ctx}"
            );
            assert_eq!(
                g.created_by.as_ref().and_then(|c| c.goroutine).unwrap_or(0),
                want["created_by_goroutine"].as_u64().unwrap_or(0),
                "{ctx}"
            );
            if let Some(c) = &g.created_by {
                assert!(c.line > 0 && !c.file.is_empty(), "{ctx}: created-by location missing");
            }
            if let Some(list) = want["ancestors"].as_array() {
                let got: Vec<u64> = g.ancestors.iter().map(|a| a.goroutine).collect();
                let want_ids: Vec<u64> = list.iter().map(|x| x.as_u64().unwrap()).collect();
                assert_eq!(got, want_ids, "{ctx}");
                assert!(g.ancestors.iter().all(|a| !a.frames.is_empty()), "{ctx}");
                if want["ancestors_elided"].as_bool() == Some(true) {
                    assert!(g.ancestors.iter().any(|a| a.elided == Some(Elided::Unknown)), "{ctx}");
                }
            }
            for f in &g.frames {
                assert!(
                    !f.file.is_empty() && f.line > 0,
                    "{ctx}: frame {} without location",
                    f.function
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} goroutines checked");
}

#[test]
fn dumps_without_expectations_parse_without_warnings() {
    for name in [
        "go1.26.8-test-timeout.txt",
        "go1.22.12-test-timeout.txt",
        "go1.27.3-test-timeout.txt",
        "go1.26.8-test-panic.txt",
        "go1.21.13-test-panic.txt",
        "go1.26.8-leaked-after.txt",
        "go1.27.3-leaked-after.txt",
    ] {
        let body = text(name);
        let d = dump::parse(&body);
        assert!(!d.goroutines.is_empty(), "{name}");
        assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
        assert!(d.goroutines.iter().all(|g| !g.frames.is_empty()), "{name}");
    }
    let timeout = text("go1.26.8-test-timeout.txt");
    let d = dump::parse(&timeout);
    assert!(d
        .goroutines
        .iter()
        .any(|g| g.frames.iter().any(|f| f.function.ends_with("hang.TestHang"))));
}

#[test]
fn streaming_and_in_memory_parsing_agree_on_every_fixture() {
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let body = text(path.file_name().unwrap().to_str().unwrap());
        let whole: Vec<(u64, String, usize)> = dump::parse(&body)
            .goroutines
            .iter()
            .map(|g| (g.id, g.state.to_string(), g.frames.len()))
            .collect();
        let mut streamed = Vec::new();
        dump::for_each_goroutine(body.as_bytes(), |g| {
            streamed.push((g.id, g.state.to_string(), g.frames.len()))
        })
        .unwrap();
        assert_eq!(whole, streamed, "{}", path.display());
    }
}

#[test]
fn stacks_heads_each_group_with_its_first_frame_outside_the_runtime() {
    for dump in ["go1.26.8-sigquit.txt", "go1.22.12-sigquit.txt"] {
        let path = format!("{}/tests/fixtures/dumps/{dump}", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_leakcheck"))
            .args(["stacks", &path])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // A SIGQUIT dump shows runtime frames first: the headline skips them
        // whenever the goroutine has a frame of its own.
        assert!(
            text.contains("× [chan receive] example.com/dumpgen/gen.(*parker).block"),
            "{dump}: {text}"
        );
        assert!(
            !text.lines().any(|l| l.contains("× [chan receive] runtime.gopark")),
            "{dump}: {text}"
        );
    }
}
