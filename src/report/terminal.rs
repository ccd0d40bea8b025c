//! The terminal: go test's familiar lines, plus each leak grouped by stack.

use std::io::Write;
use std::path::PathBuf;

use super::text;
use super::{Event, Reporter};
use crate::analyse::{CheckState, PackageResult, PackageStatus, Verdict, HELPER_LINE_MARK};
use crate::error::{Error, Result};

/// Writes a go-test-like report to a stream.
pub struct TerminalReporter<W: Write> {
    out: W,
    verbose: bool,
    root: PathBuf,
}

impl<W: Write> TerminalReporter<W> {
    /// A reporter writing to `out`; `verbose` streams every test's output
    /// as it arrives (go test -v).
    pub fn new(out: W, verbose: bool) -> Self {
        TerminalReporter {
            out,
            verbose,
            root: PathBuf::new(),
        }
    }

    fn package(&mut self, p: &PackageResult) -> std::io::Result<()> {
        let out = &mut self.out;
        match p.status {
            PackageStatus::NoTestFiles => {
                return writeln!(out, "?   \t{}\t[no test files]", p.import_path)
            }
            PackageStatus::BuildFailed => {
                out.write_all(p.build_output.as_bytes())?;
                return writeln!(out, "FAIL\t{} [build failed]", p.import_path);
            }
            _ => {}
        }
        for t in &p.tests {
            let leak = t.leak.as_ref().filter(|l| l.total > 0);
            if t.verdict == Verdict::Leaked {
                let summary = leak.map(text::leak_summary).unwrap_or_default();
                writeln!(out, "--- LEAK: {} ({:.2}s): {summary}", t.name, t.elapsed)?;
                if !self.verbose {
                    for line in text::without_framing(&t.output).lines() {
                        if !line.starts_with("--- ") && !line.contains(HELPER_LINE_MARK) {
                            writeln!(out, "{line}")?;
                        }
                    }
                }
            } else if t.verdict.is_failure() {
                if !self.verbose {
                    out.write_all(text::without_framing(&t.output).as_bytes())?;
                }
                if matches!(t.verdict, Verdict::TimedOut | Verdict::Unfinished) {
                    writeln!(out, "--- {}: {}", t.verdict.word(), t.name)?;
                }
                if let Some(l) = leak {
                    writeln!(out, "    {} also {}", t.name, text::leak_summary(l))?;
                }
            }
            if let Some(l) = leak {
                out.write_all(text::leak_text(l, &self.root, "    ").as_bytes())?;
            }
        }
        if let Some(leak) = &p.main_leak {
            writeln!(
                out,
                "--- LEAK: TestMain: {} after the last test",
                text::leak_summary(leak)
            )?;
            out.write_all(text::leak_text(leak, &self.root, "    ").as_bytes())?;
        }
        if let Some(crash) = &p.crash {
            if !self.verbose && p.tests.iter().all(|t| !t.output.contains(&crash.message)) {
                out.write_all(p.output.as_bytes())?;
            }
            writeln!(out, "--- CRASH: {}", p.import_path)?;
            out.write_all(text::crash_text(crash, &self.root, "    ").as_bytes())?;
        }
        if let CheckState::NotChecked(why) = &p.check {
            writeln!(
                out,
                "leakcheck: warning: {}: leaks not checked: {why}",
                p.import_path
            )?;
        }
        for w in &p.warnings {
            writeln!(out, "leakcheck: warning: {}: {w}", p.import_path)?;
        }
        match (p.status, &p.check) {
            (PackageStatus::Passed, CheckState::Cached) => {
                writeln!(out, "ok  \t{}\t(cached)", p.import_path)
            }
            (PackageStatus::Passed, _) => {
                writeln!(out, "ok  \t{}\t{:.3}s", p.import_path, p.elapsed)
            }
            _ => writeln!(out, "FAIL\t{}\t{:.3}s", p.import_path, p.elapsed),
        }
    }
}

impl<W: Write> Reporter for TerminalReporter<W> {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        let io = |e| Error::io("cannot write to", "the terminal", e);
        match event {
            Event::RunStarted(info) => self.root = info.root.clone(),
            Event::Output {
                test: Some(_),
                text,
                ..
            } if self.verbose => {
                self.out.write_all(text.as_bytes()).map_err(io)?;
            }
            Event::Output { .. } => {}
            Event::PackageFinished(p) => self.package(p).map_err(io)?,
            Event::RunFinished(summary) => {
                let t = summary.totals();
                let mut line = format!(
                    "DONE {} in {:.1}s: {}, {} passed",
                    text::plural(t.packages, "package"),
                    summary.elapsed.as_secs_f64(),
                    text::plural(t.tests, "test"),
                    t.passed
                );
                if t.leaked_tests > 0 || t.leaked_goroutines > 0 {
                    line.push_str(&format!(
                        ", {} leaked ({})",
                        t.leaked_tests,
                        text::goroutines(t.leaked_goroutines)
                    ));
                }
                for (n, what) in [(t.failed, "failed"), (t.skipped, "skipped")] {
                    if n > 0 {
                        line.push_str(&format!(", {n} {what}"));
                    }
                }
                if t.build_failures > 0 {
                    line.push_str(&format!(
                        ", {}",
                        text::plural(t.build_failures, "build failure")
                    ));
                }
                if summary.interrupted {
                    line.push_str(" (interrupted)");
                }
                writeln!(self.out, "{line}").map_err(io)?;
            }
        }
        self.out.flush().map_err(io)
    }
}
