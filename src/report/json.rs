//! leakcheck's own machine-readable report (`--report-json`).
//!
//! The document is [`schema::Report`](super::schema::Report), versioned
//! ([`SCHEMA_VERSION`]) and documented in `docs/report-json.md`: every
//! package with every test run, its verdict, output and leaked goroutine
//! groups (state, count, frames, created by). The run's results are
//! converted into the schema's types and serialised; the totals are counted
//! from those packages by [`schema::totals`](super::schema::totals), as
//! `leakcheck merge` counts them.

use std::path::PathBuf;

use super::schema::{self, RerunHistory};
use super::{Event, Reporter, RunInfo};
use crate::error::Result;

pub use super::schema::SCHEMA_VERSION;

/// Writes the report when the run ends.
pub struct JsonReporter {
    path: PathBuf,
    info: Option<RunInfo>,
    history: RerunHistory,
}

impl JsonReporter {
    /// A reporter that will write to `path`.
    pub fn new(path: PathBuf) -> Self {
        JsonReporter {
            path,
            info: None,
            history: RerunHistory::default(),
        }
    }
}

impl Reporter for JsonReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        self.history.observe(event);
        match event {
            Event::RunStarted(info) => self.info = Some((*info).clone()),
            Event::RunFinished(summary) => {
                let packages = self.history.apply(&summary.packages);
                let doc = schema::Report::new(
                    env!("CARGO_PKG_VERSION"),
                    self.info.as_ref().map_or("", |i| i.go_version.as_str()),
                    &self
                        .info
                        .as_ref()
                        .map(|i| i.root.display().to_string())
                        .unwrap_or_default(),
                    summary.elapsed.as_secs_f64(),
                    summary.interrupted,
                    summary.baseline.as_ref().map(schema::Baseline::from),
                    packages.iter().map(schema::Package::from).collect(),
                );
                super::write_report(&self.path, &doc.to_json())?;
            }
            _ => {}
        }
        Ok(())
    }
}
