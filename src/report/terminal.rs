//! The terminal: go test's familiar lines, plus each leak grouped by stack.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::text;
use super::{Event, Reporter, RunInfo};
use crate::analyse::{CheckState, LeakReport, PackageResult, PackageStatus, Verdict, HELPER_LINE_MARK};
use crate::error::{Error, Result};

/// Writes a go-test-like report to a stream.
pub struct TerminalReporter<W: Write> {
    out: W,
    verbose: bool,
    explain: bool,
    root: PathBuf,
    reasons: BTreeMap<String, String>,
    closed: bool,
}

impl<W: Write> TerminalReporter<W> {
    /// A reporter writing to `out`; `verbose` streams every test's output
    /// as it arrives (go test -v); `explain` shows the ignore rules and what
    /// each let go.
    pub fn new(out: W, verbose: bool, explain: bool) -> Self {
        TerminalReporter {
            out,
            verbose,
            explain,
            root: PathBuf::new(),
            reasons: BTreeMap::new(),
            closed: false,
        }
    }

    fn explain_rules(&mut self, info: &RunInfo) -> std::io::Result<()> {
        let out = &mut self.out;
        match &info.config {
            Some(p) => writeln!(out, "leakcheck: config {}", p.display())?,
            None => writeln!(
                out,
                "leakcheck: no {} at {}",
                crate::config::FILE_NAME,
                info.root.display()
            )?,
        }
        writeln!(out, "leakcheck: grace {:?}; ignore rules in force:", info.grace)?;
        for r in &info.rules {
            let mut conditions = Vec::new();
            for (what, m) in [
                ("top_function", &r.top_function),
                ("any_function", &r.any_function),
                ("created_by", &r.created_by),
                ("state", &r.state),
                ("package", &r.package),
                ("test", &r.test),
            ] {
                if let Some(m) = m {
                    conditions.push(format!("{what} {m}"));
                }
            }
            writeln!(out, "  {}: {} ({})", r.name, conditions.join(", "), r.reason)?;
        }
        Ok(())
    }

    fn explain_ignored(&mut self, name: &str, leak: &LeakReport) -> std::io::Result<()> {
        for (rule, n) in &leak.ignored {
            let reason = self.reasons.get(rule).map(String::as_str).unwrap_or("");
            writeln!(
                self.out,
                "    {name}: ignored {} by {rule}: {reason}",
                text::goroutines(*n)
            )?;
        }
        Ok(())
    }

    fn package(&mut self, p: &PackageResult) -> std::io::Result<()> {
        match p.status {
            PackageStatus::NoTestFiles => return writeln!(self.out, "?   \t{}\t[no test files]", p.import_path),
            PackageStatus::BuildFailed => {
                self.out.write_all(p.build_output.as_bytes())?;
                return writeln!(self.out, "FAIL\t{} [build failed]", p.import_path);
            }
            _ => {}
        }
        for t in &p.tests {
            let leak = t.leak.as_ref().filter(|l| l.total > 0);
            if t.verdict == Verdict::Leaked {
                let summary = leak.map(text::leak_summary).unwrap_or_default();
                writeln!(self.out, "--- LEAK: {} ({:.2}s): {summary}", t.name, t.elapsed)?;
                if !self.verbose {
                    for line in text::without_framing(&t.output).lines() {
                        if !line.starts_with("--- ") && !line.contains(HELPER_LINE_MARK) {
                            writeln!(self.out, "{line}")?;
                        }
                    }
                }
            } else if let Some(l) = leak.filter(|_| t.verdict == Verdict::Passed) {
                // Every group is in the baseline: tolerated, one line.
                writeln!(
                    self.out,
                    "--- KNOWN: {}: {}, listed in the baseline",
                    t.name,
                    text::leak_summary(l)
                )?;
                continue;
            } else if t.verdict.is_failure() {
                if !self.verbose {
                    self.out.write_all(text::without_framing(&t.output).as_bytes())?;
                }
                if matches!(t.verdict, Verdict::TimedOut | Verdict::Unfinished) {
                    writeln!(self.out, "--- {}: {}", t.verdict.word(), t.name)?;
                }
                if let Some(l) = leak {
                    writeln!(self.out, "    {} also {}", t.name, text::leak_summary(l))?;
                }
            }
            if let Some(l) = leak {
                self.out.write_all(text::leak_text(l, &self.root, "    ").as_bytes())?;
            }
            if self.explain {
                if let Some(l) = &t.leak {
                    self.explain_ignored(&t.name, l)?;
                }
            }
        }
        if let Some(leak) = &p.main_leak {
            let what = if leak.known == leak.total { "KNOWN" } else { "LEAK" };
            writeln!(
                self.out,
                "--- {what}: TestMain: {} after the last test",
                text::leak_summary(leak)
            )?;
            self.out
                .write_all(text::leak_text(leak, &self.root, "    ").as_bytes())?;
        }
        // What the binary printed outside tests, when it explains a failure
        // no test holds (a panic in TestMain, `exit status 4`).
        let unexplained = p.crash.as_ref().is_some_and(|c| c.tests.is_empty())
            || (p.crash.is_none()
                && p.main_leak.is_none()
                && p.status == PackageStatus::Failed
                && !p.tests.iter().any(|t| t.verdict.is_failure()));
        if unexplained && !self.verbose {
            self.out.write_all(package_output(&p.output).as_bytes())?;
        }
        self.benchmarks(p)?;
        if let Some(crash) = &p.crash {
            writeln!(self.out, "--- CRASH: {}", p.import_path)?;
            self.out
                .write_all(text::crash_text(crash, &self.root, "    ").as_bytes())?;
        }
        if let CheckState::NotChecked(why) = &p.check {
            writeln!(
                self.out,
                "leakcheck: warning: {}: leaks not checked: {why}",
                p.import_path
            )?;
        }
        for w in &p.warnings {
            writeln!(self.out, "leakcheck: warning: {}: {w}", p.import_path)?;
        }
        match (p.status, &p.check) {
            (PackageStatus::Passed, CheckState::Cached) => {
                writeln!(self.out, "ok  \t{}\t(cached)", p.import_path)
            }
            (PackageStatus::Passed, _) => {
                writeln!(self.out, "ok  \t{}\t{:.3}s", p.import_path, p.elapsed)
            }
            _ => writeln!(self.out, "FAIL\t{}\t{:.3}s", p.import_path, p.elapsed),
        }
    }
}

impl<W: Write> TerminalReporter<W> {
    /// Benchmark results, as go test prints them (the checks do not cover
    /// benchmarks).
    fn benchmarks(&mut self, p: &PackageResult) -> std::io::Result<()> {
        let benches: Vec<_> = p.tests.iter().filter(|t| t.name.starts_with("Benchmark")).collect();
        if benches.is_empty() || self.verbose {
            return Ok(());
        }
        for line in p.output.lines() {
            if ["goos:", "goarch:", "pkg:", "cpu:"].iter().any(|h| line.starts_with(h)) {
                writeln!(self.out, "{line}")?;
            }
        }
        for b in benches {
            let body = text::without_framing(&b.output);
            let body = body.strip_prefix(&format!("{}\n", b.name)).unwrap_or(&body);
            self.out.write_all(body.as_bytes())?;
        }
        Ok(())
    }
}

/// Package output without go test's own summary lines, which leakcheck
/// prints itself.
fn package_output(output: &str) -> String {
    output
        .split_inclusive('\n')
        .filter(|l| !(l.starts_with("FAIL\t") || l.starts_with("ok  \t") || *l == "FAIL\n" || *l == "PASS\n"))
        .collect()
}

impl<W: Write> Reporter for TerminalReporter<W> {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.write_event(event) {
            // The reader went away (`| head`): the other reports still
            // get written.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r.map_err(|e| Error::io("cannot write to", "standard output", e)),
        }
    }
}

impl<W: Write> TerminalReporter<W> {
    fn write_event(&mut self, event: &Event<'_>) -> std::io::Result<()> {
        match event {
            Event::RunStarted(info) => {
                self.root = info.root.clone();
                self.reasons = info.rules.iter().map(|r| (r.name.clone(), r.reason.clone())).collect();
                if self.explain {
                    self.explain_rules(info)?;
                }
            }
            Event::Output {
                test: Some(_), text, ..
            } if self.verbose => {
                self.out.write_all(text.as_bytes())?;
            }
            Event::Output { .. } => {}
            Event::PackageFinished(p) => self.package(p)?,
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
                    line.push_str(&format!(", {}", text::plural(t.build_failures, "build failure")));
                }
                if summary.interrupted {
                    line.push_str(" (interrupted)");
                }
                if let Some(b) = &summary.baseline {
                    if b.tolerated > 0 {
                        writeln!(
                            self.out,
                            "leakcheck: {} known {} tolerated ({}) by {}",
                            b.tolerated,
                            if b.tolerated == 1 { "leak" } else { "leaks" },
                            text::goroutines(b.tolerated_goroutines),
                            b.path.display()
                        )?;
                    }
                    if !b.stale.is_empty() {
                        let (entries, verb, them) = match b.stale.len() {
                            1 => ("1 baseline entry".to_string(), "occurs", "it"),
                            n => (format!("{n} baseline entries"), "occur", "them"),
                        };
                        writeln!(
                            self.out,
                            "leakcheck: {entries} no longer {verb} (fixed? run --update-baseline to drop {them}):"
                        )?;
                        for e in &b.stale {
                            writeln!(
                                self.out,
                                "    {} {}: {} ({})",
                                e.package, e.test, e.function, e.signature
                            )?;
                        }
                    }
                }
                if let Some((path, n)) = &summary.baseline_written {
                    writeln!(
                        self.out,
                        "leakcheck: wrote {} with {}",
                        path.display(),
                        text::plural(*n, "known leak")
                    )?;
                }
                if summary.packages.iter().any(|p| p.leaked_goroutines() > 0 && !p.proof) {
                    writeln!(
                        self.out,
                        "leakcheck: leaks were not proven: Go's goroutineleak profile needs Go 1.26 or newer (or was turned off with --no-proof)"
                    )?;
                }
                writeln!(self.out, "{line}")?;
            }
        }
        self.out.flush()
    }
}
