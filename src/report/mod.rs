//! Reporters: each consumes the run's [`Event`]s on its own.
//!
//! The session emits events in order; the terminal reporter streams, the
//! JUnit and JSON reporters collect and write their file at the end. None of
//! them looks back into earlier stages: everything they show is in the
//! events. Reporters alone write: whatever a run prints, down to a warning
//! or a line go printed outside every package, reaches them as an event
//! ([`Event::Notice`]).

pub mod annotations;
pub mod json;
pub mod jsonfile;
pub mod junit;
pub mod schema;
pub mod step_summary;
pub mod terminal;
pub mod text;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::analyse::PackageResult;
use crate::error::{Error, Result};

/// What happens during a run, as reporters see it.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run is about to start.
    RunStarted(&'a RunInfo),
    /// A line a test (or the package) printed, as it arrives.
    Output {
        /// The package.
        package: &'a str,
        /// The test, if the line is a test's.
        test: Option<&'a str>,
        /// The text, with its newline.
        text: &'a str,
    },
    /// A line of `go test -json` as go test printed it (for `--jsonfile`).
    GoTestLine(&'a str),
    /// Failed tests are about to run again (`--rerun-fails`).
    RerunStarted {
        /// Which rerun, from 1.
        round: u32,
        /// Of how many at most.
        of: u32,
        /// Tests rerun.
        tests: usize,
        /// In how many packages.
        packages: usize,
    },
    /// A package finished and was analysed.
    PackageFinished(&'a PackageResult),
    /// The run is over.
    RunFinished(&'a RunSummary),
    /// A message that is no test's result: a warning about go test's
    /// arguments, the shard's or `--changed`'s selection, why go test's exit status failed
    /// the run, why failed tests are not rerun, and the lines go printed
    /// outside every package. The terminal writes it as it comes, on
    /// `stream`; reports that are files have no place for it.
    Notice {
        /// Where the terminal writes it.
        stream: Stream,
        /// The message as shown (`leakcheck: …`, or go's line as go printed
        /// it), without its final newline.
        text: &'a str,
    },
}

/// Standard output or standard error, for an [`Event::Notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: what the run says (the shard's summary, go's
    /// lines on its standard output).
    Stdout,
    /// Standard error: warnings, and go's lines on its standard error.
    Stderr,
}

/// Facts about the run reporters may show.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// `go1.26.8`.
    pub go_version: String,
    /// The module (or workspace) root: paths are shown relative to it.
    pub root: PathBuf,
    /// Where go runs: the paths go prints in build errors are relative to it.
    pub dir: PathBuf,
    /// Packages that will run a test binary.
    pub packages: usize,
    /// Every ignore rule in force, built-in ones first.
    pub rules: Vec<crate::analyse::rules::IgnoreRule>,
    /// The diagnosis rules, in the order they are tried.
    pub diagnoses: Vec<crate::analyse::diagnose::DiagnosisRule>,
    /// The configuration file read, if any.
    pub config: Option<PathBuf>,
    /// The grace period in force.
    pub grace: Duration,
    /// Whether `--proof` asked for Go's goroutineleak profile.
    pub proof: bool,
}

/// The end of a run.
#[derive(Debug)]
pub struct RunSummary {
    /// Every package, in the order they finished.
    pub packages: Vec<PackageResult>,
    /// Wall time.
    pub elapsed: Duration,
    /// Whether the run was interrupted.
    pub interrupted: bool,
    /// What the baseline tolerated and which of its entries are stale.
    pub baseline: Option<crate::analyse::baseline::BaselineOutcome>,
    /// `--update-baseline`: the file written and how many entries it holds.
    pub baseline_written: Option<(PathBuf, usize)>,
}

impl RunSummary {
    /// The end of a run that tested nothing: reports are written, empty.
    pub fn empty(baseline: Option<crate::analyse::baseline::BaselineOutcome>, elapsed: Duration) -> RunSummary {
        RunSummary {
            packages: Vec::new(),
            elapsed,
            interrupted: false,
            baseline,
            baseline_written: None,
        }
    }
}

pub use schema::Totals;

impl RunSummary {
    /// Totals over every package, counted as the JSON report counts them.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for p in &self.packages {
            let incomplete = matches!(p.check, crate::analyse::CheckState::NotChecked(_));
            let tests = p
                .tests
                .iter()
                .map(|test| (test.verdict.into(), !test.attempts.is_empty()));
            t.add_package(p.status.into(), incomplete, tests, p.leaked_goroutines());
        }
        t
    }

    /// The leaks in a run's last line (the terminal's `DONE`, the step
    /// summary's): `2 leaked (5 goroutines)`; without a leaked test, the
    /// goroutines TestMain's check found after the last test, or that
    /// failed tests also leaked.
    pub fn leaked_words(&self, t: &Totals) -> Option<String> {
        if t.leaked_tests == 0 && t.leaked_goroutines == 0 {
            return None;
        }
        let after_last: usize = self
            .packages
            .iter()
            .filter_map(|p| p.failing_main_leak())
            .map(|l| l.total - l.known)
            .sum();
        Some(if t.leaked_tests == 0 && after_last == t.leaked_goroutines {
            format!("{} leaked after the last test", text::goroutines(t.leaked_goroutines))
        } else if t.leaked_tests == 0 {
            format!("{} leaked", text::goroutines(t.leaked_goroutines))
        } else {
            format!("{} leaked ({})", t.leaked_tests, text::goroutines(t.leaked_goroutines))
        })
    }
}

/// Something that consumes events.
pub trait Reporter {
    /// Handles one event.
    fn handle(&mut self, event: &Event<'_>) -> Result<()>;
}

/// The report path that means standard output, as for `go test -json`'s
/// consumers: `--junitfile -` and the like pipe the report into another
/// tool, and the terminal's output moves to standard error.
pub const STDOUT_PATH: &str = "-";

/// Whether `path` is [`STDOUT_PATH`].
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT_PATH
}

/// Whether any of the reports named is to go to standard output.
pub fn any_stdout<'a>(paths: impl IntoIterator<Item = &'a Option<PathBuf>>) -> bool {
    paths.into_iter().flatten().any(|p| is_stdout(p))
}

/// Where a report goes: the file at `path` (its directories made now), or
/// standard output for [`STDOUT_PATH`].
pub fn open_report(path: &Path) -> Result<Box<dyn std::io::Write + Send>> {
    if is_stdout(path) {
        return Ok(Box::new(std::io::stdout()));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| Error::io("cannot write", path, e))?;
    Ok(Box::new(file))
}

/// Writes a whole report to `path` ([`open_report`]).
pub fn write_report(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = open_report(path)?;
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("cannot write", report_name(path), e))
}

/// The report's path as errors name it.
pub fn report_name(path: &Path) -> &Path {
    if is_stdout(path) {
        Path::new("standard output")
    } else {
        path
    }
}

/// Checks, before any test runs, that a report file can be written at
/// `path`, without writing anything: a path under a file, naming a
/// directory, or in a read-only directory was found out only after the
/// whole run, whose reports were then lost. The report is written at the
/// end, as before (its directories made then).
pub fn check_writable(path: &Path) -> Result<()> {
    use std::io::ErrorKind;
    if is_stdout(path) {
        return Ok(());
    }
    let refuse = |kind: ErrorKind, why: String| Error::io("cannot write", path, std::io::Error::new(kind, why));
    if path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(refuse(ErrorKind::IsADirectory, "it is a directory".into()));
    }
    match std::fs::metadata(path) {
        // Opened as it is, not truncated: a report from an earlier run
        // stays until this one replaces it.
        Ok(meta) if meta.is_file() => {
            return std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(drop)
                .map_err(|e| Error::io("cannot write", path, e));
        }
        // `/dev/stdout`, a FIFO a reader waits on: written to at the end
        // only (opening a FIFO now would end its reader's input).
        Ok(_) => return Ok(()),
        Err(_) => {}
    }
    let parent = |p: &Path| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    };
    if let Ok(target) = std::fs::read_link(path) {
        // A link to a file not there yet: written through, into a
        // directory the writer does not make.
        let target = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.join(target),
            None => target,
        };
        let dir = parent(&target);
        if !dir.is_dir() {
            let why = format!("its link points into {}, which is not a directory", dir.display());
            return Err(refuse(ErrorKind::NotFound, why));
        }
    }
    let dir = parent(path);
    // The nearest directory that exists: the rest is made at the end.
    let existing = dir
        .ancestors()
        .map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d })
        .find(|d| d.exists())
        .unwrap_or(Path::new("."));
    if !existing.is_dir() {
        let why = format!("{} is a file, not a directory", existing.display());
        return Err(refuse(ErrorKind::NotADirectory, why));
    }
    tempfile::Builder::new()
        .prefix(".leakcheck-probe-")
        .tempfile_in(existing)
        .map(drop)
        .map_err(|e| {
            let why = format!(
                "cannot create a file in {}: {}",
                existing.display(),
                std::io::Error::from(e.kind())
            );
            refuse(e.kind(), why)
        })
}

/// Refuses two reports named at the same path, however spelled (`a.xml`,
/// `./a.xml`, `../dir/a.xml`, a symlink to it: helper-131): one would
/// silently overwrite the other.
pub fn check_distinct(paths: &[(&str, &Path)]) -> Result<()> {
    let resolved: Vec<PathBuf> = paths.iter().map(|(_, p)| resolve(p)).collect();
    for (i, (flag, path)) in paths.iter().enumerate() {
        let same = |j: usize| paths[j].1 == *path || (!is_stdout(path) && resolved[j] == resolved[i]);
        if let Some((other, _)) = (0..i).find(|&j| same(j)).map(|j| paths[j]) {
            if is_stdout(path) {
                return Err(Error::Usage(format!(
                    "{other} and {flag} both write to standard output (-): name a file for one of them"
                )));
            }
            return Err(Error::Usage(format!(
                "{other} and {flag} name the same file, {}: one report would overwrite the other",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The file a report path names: the file itself when it exists (through
/// symlinks), else its directory resolved and its name.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => path.to_path_buf(),
    }
}
