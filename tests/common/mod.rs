//! Shared helpers for the end-to-end tests: they run the real leakcheck
//! binary, which runs the real `go test`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository's go-fixtures module.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("go-fixtures")
}

/// The leakcheck binary built for these tests.
pub fn leakcheck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_leakcheck"))
}

/// What one leakcheck run produced.
pub struct Run {
    pub output: Output,
    pub report: Value,
    pub junit: String,
    pub dir: tempfile::TempDir,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// (package, test) → the test's JSON object (last run).
    pub fn tests(&self) -> BTreeMap<(String, String), Value> {
        let mut out = BTreeMap::new();
        for p in self.report["packages"].as_array().into_iter().flatten() {
            let pkg = p["import_path"].as_str().unwrap_or_default().to_string();
            for t in p["tests"].as_array().into_iter().flatten() {
                out.insert(
                    (pkg.clone(), t["name"].as_str().unwrap_or_default().to_string()),
                    t.clone(),
                );
            }
        }
        out
    }

    /// The package's JSON object.
    pub fn package(&self, import_path: &str) -> Value {
        self.report["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["import_path"] == import_path)
            .cloned()
            .unwrap_or_else(|| panic!("no package {import_path} in the report:\n{}", self.stdout()))
    }
}

/// Runs leakcheck in `dir` with `args`, writing JSON and JUnit reports.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let junit = out_dir.path().join("report.xml");
    let mut cmd = leakcheck();
    cmd.current_dir(dir)
        .arg("--report-json")
        .arg(&report)
        .arg("--junitfile")
        .arg(&junit)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().expect("leakcheck runs");
    let report = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let junit = std::fs::read_to_string(&junit).unwrap_or_default();
    Run {
        output,
        report,
        junit,
        dir: out_dir,
    }
}

/// A throwaway Go module with the given files (path → contents).
pub fn temp_module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/tmp\n\ngo 1.21\n").unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}
