//! Every way leakcheck itself can fail, in one place.
//!
//! These are the cases where leakcheck could not run (exit code 2). Test
//! failures, leaks and packages that do not build are results, not errors:
//! they travel as data to the reporters and give exit code 1.

use std::io;
use std::path::PathBuf;

/// What stopped leakcheck from running; each prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Go command could not be started.
    #[error("cannot run `{go}`: {source} (is Go installed and on PATH? --go selects another)")]
    GoNotFound {
        /// The command tried.
        go: String,
        /// Why it failed.
        source: io::Error,
    },
    /// `go env` or `go list` failed for a reason other than the packages.
    #[error("`{command}` failed in {dir}: {message}")]
    GoCommand {
        /// The command line.
        command: String,
        /// The working directory.
        dir: PathBuf,
        /// The first line of what it printed.
        message: String,
    },
    /// There is no go.mod (or go.work) above the working directory.
    #[error("not inside a Go module: no go.mod or go.work found from {0}")]
    NotInModule(PathBuf),
    /// The packages matched nothing.
    #[error("no packages to test: {0}")]
    NoPackages(String),
    /// A flag or argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// The configuration file is wrong.
    #[error("{file}:{line}: {message}")]
    Config {
        /// The file.
        file: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot write", …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: io::Error,
    },
    /// A user source file leakcheck must copy could not be understood.
    #[error("{path}: {message}")]
    Source {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// Shorthand for [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every test passed and nothing leaked.
    Passed = 0,
    /// A test failed or leaked, or a package did not build.
    Failed = 1,
    /// leakcheck itself could not run: usage, no `go`, bad configuration.
    CouldNotRun = 2,
    /// Interrupted (Ctrl-C); the reports hold what finished.
    Interrupted = 130,
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
