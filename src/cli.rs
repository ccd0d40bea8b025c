//! The command line, defined once with clap (shell completions and the man
//! page are generated from these definitions).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser};

/// Runs `go test` and fails every test that leaves goroutines behind.
#[derive(Debug, Parser)]
#[command(
    name = "leakcheck",
    version,
    about = "Runs `go test` and fails every test that leaves goroutines behind.",
    long_about = "Runs `go test` on PACKAGES (default ./...) with GO_TEST_ARGS, unchanged, and fails \
every test that leaves goroutines running after it returns. Each leak is reported with the \
goroutines grouped by stack: where they were created and where they are stuck. No change to the \
tests is needed.",
    after_help = "Exit status: 0 all tests passed and nothing leaked; 1 a test failed or leaked, or a \
package did not build; 2 leakcheck could not run (usage, no go, not in a module, bad config); \
130 interrupted.\n\nExamples:\n  leakcheck\n  leakcheck --junitfile report.xml ./... -- -race -count=1\n  \
leakcheck ./internal/... -- -run 'TestServer/.*' -timeout 2m"
)]
pub struct Cli {
    /// Options of a test run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of a test run.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Packages to test, as go test takes them (default ./...).
    #[arg(value_name = "PACKAGES")]
    pub packages: Vec<String>,

    /// Arguments for go test, after `--`, passed through unchanged
    /// (-run, -race, -count, -timeout, -tags, -short, -p, -v, -args …).
    #[arg(last = true, value_name = "GO_TEST_ARGS")]
    pub go_test_args: Vec<String>,

    /// Run as if started in DIR (like go -C).
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Write a JUnit XML report to this file.
    #[arg(long, value_name = "PATH")]
    pub junitfile: Option<PathBuf>,

    /// Write leakcheck's own JSON report (every test, verdict and leaked
    /// goroutine group; schema in docs/report-json.md) to this file.
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// How long a test's goroutines may take to finish after it returns
    /// (e.g. 500ms, 2s). Only leaking tests wait this long; a clean test
    /// never sleeps.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_duration)]
    pub grace: Duration,

    /// The go command to run.
    #[arg(long, value_name = "PATH", default_value = "go", env = "LEAKCHECK_GO")]
    pub go: String,
}

/// Parses `500ms`, `2s`, `1m30s`, or plain seconds (`2`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration like 500ms or 2s ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
