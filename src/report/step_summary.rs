//! A Markdown summary for GitHub's job page, appended to the file named by
//! `GITHUB_STEP_SUMMARY` (GitHub Actions sets it in every step): packages
//! and counts, a table of leaks (test, goroutines, where they are stuck and
//! where they were started), failures, and packages not finished or not
//! fully checked, so the run page shows what leaked at a glance.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;

use super::{text, Event, Reporter, RunSummary};
use crate::analyse::{CheckState, LeakReport, PackageStatus, Verdict};
use crate::error::{Error, Result};

/// At most this many rows per table; the rest are counted.
const MAX_ROWS: usize = 50;

/// Appends the summary when the run ends.
pub struct StepSummaryReporter {
    path: PathBuf,
    root: PathBuf,
}

impl StepSummaryReporter {
    /// A reporter that appends to `path`.
    pub fn new(path: PathBuf) -> Self {
        StepSummaryReporter {
            path,
            root: PathBuf::new(),
        }
    }
}

/// The Markdown for a run.
pub fn markdown(summary: &RunSummary, root: &std::path::Path) -> String {
    let t = summary.totals();
    let mut out = String::new();
    let verdict = if summary.packages.iter().any(|p| p.is_failure()) {
        "❌"
    } else {
        "✅"
    };
    let _ = writeln!(out, "### {verdict} leakcheck\n");
    // Counted as the terminal's DONE line counts: packages that ran tests,
    // build failures apart.
    let mut counts = vec![
        text::plural(t.packages, "package"),
        text::plural(t.tests, "test"),
        format!("{} passed", t.passed),
    ];
    counts.extend(summary.leaked_words(&t));
    for (n, what) in [
        (t.failed, "failed".to_string()),
        (t.skipped, "skipped".to_string()),
        (t.flaky, "flaky".to_string()),
        (t.build_failures, "did not build".to_string()),
        (t.errors, "not finished or not fully checked".to_string()),
    ] {
        if n > 0 {
            counts.push(format!("{n} {what}"));
        }
    }
    let _ = writeln!(out, "{} in {:.1}s\n", counts.join(", "), summary.elapsed.as_secs_f64());

    let mut leaks: Vec<(String, String, &LeakReport)> = Vec::new();
    for p in &summary.packages {
        for t in p.tests.iter().filter(|t| t.verdict == Verdict::Leaked) {
            if let Some(l) = &t.leak {
                leaks.push((p.import_path.clone(), t.name.clone(), l));
            }
        }
        if let Some(l) = p.failing_main_leak() {
            leaks.push((p.import_path.clone(), "TestMain".into(), l));
        }
    }
    if !leaks.is_empty() {
        let _ = writeln!(out, "#### Goroutine leaks\n");
        let _ = writeln!(out, "| package | test | goroutines | stuck in | started by |");
        let _ = writeln!(out, "|---|---|---:|---|---|");
        for (pkg, test, l) in leaks.iter().take(MAX_ROWS) {
            // The root cause: the first group in reading order.
            let first = text::tree_order(&l.groups, root).first().map(|&(_, i)| &l.groups[i]);
            let stuck = first
                .and_then(|g| text::headline_frame(g, root))
                .map(|f| format!("`{}` ({}:{})", f.function, text::display_path(f, root), f.line))
                .unwrap_or_default();
            let started = first
                .and_then(|g| g.created_by.as_ref())
                .map(|c| format!("`{}` ({}:{})", c.function, text::display_path(c, root), c.line))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(pkg),
                cell(test),
                l.total - l.known,
                cell(&stuck),
                cell(&started)
            );
        }
        if leaks.len() > MAX_ROWS {
            let _ = writeln!(out, "\n…and {} more.", leaks.len() - MAX_ROWS);
        }
        out.push('\n');
    }

    let mut failures: Vec<String> = Vec::new();
    for p in &summary.packages {
        if p.status == PackageStatus::BuildFailed {
            failures.push(format!("| {} | | did not build |", cell(&p.import_path)));
        }
        if let CheckState::NotChecked(why) = &p.check {
            let what = if p.status == PackageStatus::NotFinished {
                "not finished"
            } else {
                "not fully checked"
            };
            failures.push(format!("| {} | | {what}: {} |", cell(&p.import_path), cell(why)));
        }
        if let Some(c) = &p.crash {
            failures.push(format!(
                "| {} | {} | {} |",
                cell(&p.import_path),
                cell(&c.tests.join(", ")),
                cell(&c.message)
            ));
        }
        for t in p
            .tests
            .iter()
            .filter(|t| t.verdict == Verdict::Failed && !t.failed_by_subtest)
        {
            failures.push(format!("| {} | {} | failed |", cell(&p.import_path), cell(&t.name)));
        }
    }
    if !failures.is_empty() {
        let _ = writeln!(out, "#### Failures\n");
        let _ = writeln!(out, "| package | test | |");
        let _ = writeln!(out, "|---|---|---|");
        for row in failures.iter().take(MAX_ROWS) {
            let _ = writeln!(out, "{row}");
        }
        if failures.len() > MAX_ROWS {
            let _ = writeln!(out, "\n…and {} more.", failures.len() - MAX_ROWS);
        }
        out.push('\n');
    }
    out
}

/// Text safe in a Markdown table cell: one line, no pipes.
fn cell(s: &str) -> String {
    s.lines().next().unwrap_or("").replace('|', "\\|")
}

impl Reporter for StepSummaryReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        match event {
            Event::RunStarted(info) => self.root = info.root.clone(),
            Event::RunFinished(summary) => {
                let md = markdown(summary, &self.root);
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| Error::io("cannot write", &self.path, e))?;
                f.write_all(md.as_bytes())
                    .map_err(|e| Error::io("cannot write", &self.path, e))?;
            }
            _ => {}
        }
        Ok(())
    }
}
