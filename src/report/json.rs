//! leakcheck's own machine-readable report (`--report-json`).
//!
//! The schema is versioned ([`SCHEMA_VERSION`]) and documented in
//! `docs/report-json.md`: every package with every test run, its verdict,
//! output and leaked goroutine groups (state, count, frames, created by).

use std::fs;
use std::path::PathBuf;

use serde::Serialize;

use super::{Event, Reporter, RunInfo};
use crate::analyse::PackageResult;
use crate::error::{Error, Result};

/// Bumped on every incompatible change to the report's shape.
pub const SCHEMA_VERSION: u32 = 1;

/// Writes the report when the run ends.
pub struct JsonReporter {
    path: PathBuf,
    info: Option<RunInfo>,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    leakcheck_version: &'static str,
    go_version: &'a str,
    module_root: String,
    elapsed_seconds: f64,
    interrupted: bool,
    totals: Totals,
    baseline: Option<&'a crate::analyse::baseline::BaselineOutcome>,
    packages: &'a [PackageResult],
}

#[derive(Serialize)]
struct Totals {
    packages: usize,
    tests: usize,
    passed: usize,
    failed: usize,
    leaked_tests: usize,
    leaked_goroutines: usize,
    skipped: usize,
    build_failures: usize,
    errors: usize,
}

impl JsonReporter {
    /// A reporter that will write to `path`.
    pub fn new(path: PathBuf) -> Self {
        JsonReporter { path, info: None }
    }
}

impl Reporter for JsonReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        match event {
            Event::RunStarted(info) => self.info = Some((*info).clone()),
            Event::RunFinished(summary) => {
                let t = summary.totals();
                let doc = Document {
                    schema_version: SCHEMA_VERSION,
                    leakcheck_version: env!("CARGO_PKG_VERSION"),
                    go_version: self.info.as_ref().map_or("", |i| i.go_version.as_str()),
                    module_root: self
                        .info
                        .as_ref()
                        .map(|i| i.root.display().to_string())
                        .unwrap_or_default(),
                    elapsed_seconds: summary.elapsed.as_secs_f64(),
                    interrupted: summary.interrupted,
                    totals: Totals {
                        packages: t.packages,
                        tests: t.tests,
                        passed: t.passed,
                        failed: t.failed,
                        leaked_tests: t.leaked_tests,
                        leaked_goroutines: t.leaked_goroutines,
                        skipped: t.skipped,
                        build_failures: t.build_failures,
                        errors: t.errors,
                    },
                    baseline: summary.baseline.as_ref(),
                    packages: &summary.packages,
                };
                let text = serde_json::to_vec_pretty(&doc).expect("report serialises");
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
                }
                fs::write(&self.path, text).map_err(|e| Error::io("cannot write", &self.path, e))?;
            }
            _ => {}
        }
        Ok(())
    }
}
