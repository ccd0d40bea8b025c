//! The command line, defined once with clap (shell completions and the man
//! page are generated from these definitions).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

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
    after_help = "Exit status: 0 every selected package ran and passed and nothing leaked; 1 a test \
failed or leaked, a package did not build, did not finish or was not fully checked; 2 leakcheck \
could not run (usage, no go, not in a module, bad config, go test refused its arguments); 130 interrupted.\n\nExamples:\n  leakcheck\n  leakcheck --junitfile report.xml ./... -- -race -count=1\n  \
leakcheck ./internal/... -- -run 'TestServer/.*' -timeout 2m\n  \
leakcheck --changed          # what this branch changed, and what depends on it\n  \
leakcheck --watch            # rerun on every save\n  \
leakcheck --shard auto --shard-timings last-report.json --junitfile report.xml"
)]
#[command(
    args_conflicts_with_subcommands = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Print leakcheck's version and the Go toolchain it finds.
    #[arg(short = 'V', long)]
    pub version: bool,

    /// Something other than a test run.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of a test run.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Group a goroutine dump (SIGQUIT, /debug/pprof/goroutine?debug=2, a
    /// test timeout) by stack, largest group first.
    Stacks(StacksArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these definitions:
    /// leakcheck(1), or a subcommand's (`leakcheck man stacks` is
    /// leakcheck-stacks(1)).
    Man {
        /// The subcommand whose page to print (stacks, merge, completions,
        /// man).
        subcommand: Option<String>,
    },

    /// Combine the reports of a sharded run (`--shard K/N`) into one:
    /// JUnit files into `--junitfile`, JSON reports into `--report-json`.
    #[command(
        long_about = "Combine the reports of a sharded run (--shard K/N) into one. Inputs are told apart by \
content: JUnit XML files are merged into --junitfile, --report-json files into --report-json (give one \
or both). Every package appears once, testsuites and packages sorted by name; counts and times are \
summed. A package in more than one input is an error (exit 2). Exits 0 when the files were merged, \
whatever the tests' verdicts (the shards' own exit codes carry those).",
        after_help = "Example:\n  leakcheck merge --junitfile report.xml --report-json report.json shard-*/report.xml \
shard-*/report.json"
    )]
    Merge(MergeArgs),
}

/// Options of `leakcheck merge`.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The shards' reports: JUnit XML and/or --report-json files.
    #[arg(value_name = "FILE", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Write the merged JUnit XML (of the JUnit inputs) to this file (`-`:
    /// standard output).
    #[arg(long, value_name = "PATH", required_unless_present = "report_json")]
    pub junitfile: Option<PathBuf>,

    /// Write the merged JSON report (of the --report-json inputs) to this
    /// file (`-`: standard output).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
}

/// Options of `leakcheck stacks`.
#[derive(Debug, Clone, Args)]
pub struct StacksArgs {
    /// The dump to read; `-` or nothing reads standard input.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,

    /// Keep goroutines with a function matching REGEX in their stack.
    #[arg(long, value_name = "REGEX")]
    pub function: Option<String>,

    /// Keep goroutines whose state matches REGEX (e.g. 'chan (send|receive)').
    #[arg(long, value_name = "REGEX")]
    pub state: Option<String>,

    /// Keep goroutines started by a function matching REGEX.
    #[arg(long, value_name = "REGEX")]
    pub created_by: Option<String>,

    /// Keep goroutines carrying the pprof label KEY=VALUE.
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Option<String>,

    /// Hide groups of fewer than N goroutines.
    #[arg(long, value_name = "N", default_value_t = 1, allow_hyphen_values = true)]
    pub min_count: usize,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
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

    /// Change to DIR before doing anything, as go -C does: packages and
    /// every relative path given (--junitfile, --report-json, --jsonfile,
    /// --config, --baseline, --shard-timings) are relative to DIR.
    #[arg(short = 'C', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// How to show results [default: pkgname; standard-verbose when
    /// GO_TEST_ARGS has -v].
    #[arg(long, value_enum, value_name = "FORMAT", allow_hyphen_values = true)]
    pub format: Option<FormatChoice>,

    /// Colours: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// How the terminal shows leaked stacks: compact (your module's frames,
    /// the standard library's folded: `… 6 frames in net/http`) or full
    /// (every frame). The JUnit and JSON reports always hold every frame.
    #[arg(long, value_enum, value_name = "STYLE", default_value = "compact")]
    pub stacks: StacksChoice,

    /// Emit GitHub Actions `::error` annotations (on by default when
    /// GITHUB_ACTIONS=true).
    #[arg(long)]
    pub annotations: bool,

    /// Write the raw `go test -json` stream to this file, as gotestsum does
    /// (`-`: standard output; the terminal's output goes to standard error).
    #[arg(long, value_name = "PATH")]
    pub jsonfile: Option<PathBuf>,

    /// Write a JUnit XML report to this file (`-`: standard output; the
    /// terminal's output goes to standard error).
    #[arg(long, value_name = "PATH")]
    pub junitfile: Option<PathBuf>,

    /// Write leakcheck's own JSON report (every test, verdict and leaked
    /// goroutine group; schema in docs/report-json.md) to this file (`-`:
    /// standard output; the terminal's output goes to standard error).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,

    /// Read settings and ignore rules from this file instead of
    /// leakcheck.toml at the module root.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Ignore goroutines whose innermost function is FUNC (exact name, or
    /// `re:REGEX`). Repeatable.
    #[arg(long = "ignore-top", value_name = "FUNC")]
    pub ignore_top: Vec<String>,

    /// Ignore goroutines with FUNC anywhere in their stack (exact name, or
    /// `re:REGEX`). Repeatable.
    #[arg(long = "ignore-function", value_name = "FUNC")]
    pub ignore_function: Vec<String>,

    /// Ignore goroutines started by FUNC (exact name, or `re:REGEX`).
    /// Repeatable.
    #[arg(long = "ignore-created-by", value_name = "FUNC")]
    pub ignore_created_by: Vec<String>,

    /// Known leaks to tolerate [default: leakcheck-baseline.json at the
    /// module root, when it exists].
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<PathBuf>,

    /// Write every leak of this run to the baseline file (stable order, for
    /// review in git); later runs fail only on leaks it does not list. Exits
    /// 0 unless something other than a leak failed.
    #[arg(long)]
    pub update_baseline: bool,

    /// Rerun failed (and leaking) tests up to N times, like gotestsum; a
    /// test that then passes is reported as flaky, and the run passes.
    #[arg(long, value_name = "N", default_value_t = 0, allow_hyphen_values = true)]
    pub rerun_fails: u32,

    /// Do not rerun when more than N tests failed (likely a real breakage).
    #[arg(long, value_name = "N", default_value_t = 10, allow_hyphen_values = true)]
    pub rerun_fails_max_failures: usize,

    /// Prove leaks with Go's goroutineleak profile (Go 1.26 with
    /// GOEXPERIMENT=goroutineleakprofile, which leakcheck then sets; Go
    /// 1.27+): a proven leak fails at once instead of after the grace
    /// period. Off by default: the runtime crashes a test binary
    /// (`fatal error: bad g->status in ready`) when a goroutine the profile
    /// proved stuck is woken through a weak pointer, and on Go 1.26 the
    /// experiment changes which files build.
    #[arg(long, overrides_with = "no_proof")]
    pub proof: bool,

    /// Do not use Go's goroutineleak profile (the default; undoes --proof).
    #[arg(long, overrides_with = "proof")]
    pub no_proof: bool,

    /// Show the ignore rules in force and, per test, which rule let which
    /// goroutines go, and why.
    #[arg(long)]
    pub explain: bool,

    /// How long a test's goroutines may take to finish after it returns
    /// (e.g. 500ms, 2s). Only leaking tests wait this long; a clean test
    /// never sleeps.
    /// [default: 500ms, or `grace` in leakcheck.toml]
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration, allow_hyphen_values = true)]
    pub grace: Option<Duration>,

    /// The go command to run.
    #[arg(long, value_name = "PATH", default_value = "go", env = "LEAKCHECK_GO")]
    pub go: String,

    /// Test only the packages whose files differ from REF (committed since,
    /// staged, unstaged, untracked) and the packages that depend on them;
    /// prints what it selected and why. REF defaults to the merge base with
    /// the branch's upstream, else HEAD. Needs git.
    #[arg(long, value_name = "REF", num_args = 0..=1, conflicts_with = "update_baseline")]
    pub changed: Option<Option<String>>,

    /// Keep running: test the affected packages whenever a Go file (or
    /// go.mod, go.sum, testdata, an embedded file) changes. Keys: a runs
    /// all, f reruns what failed, q quits. See docs/watch.md.
    #[arg(long, conflicts_with = "update_baseline")]
    pub watch: bool,

    /// Run only shard K of N of the packages (e.g. 2/4, counted from 1),
    /// or `auto`: K and N from the CI system's parallel-job variables.
    ///
    /// For CI parallel jobs: packages are the unit, and every package lands
    /// in exactly one shard, the same on every machine. Without
    /// --shard-timings the packages with tests are dealt round robin in
    /// import path order (shard sizes differ by at most one); with it, they
    /// are packed by time. Packages without test files are dealt round robin
    /// among themselves either way. `auto` reads GitLab's
    /// CI_NODE_INDEX/CI_NODE_TOTAL (from 1), CircleCI's
    /// CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL (from 0) or Buildkite's
    /// BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT (from 0). A shard
    /// with no packages passes and writes empty reports. Combine the shards'
    /// reports with `leakcheck merge`.
    #[arg(
        long,
        value_name = "K/N|auto",
        value_parser = crate::shard::parse_arg,
        conflicts_with = "update_baseline",
        allow_hyphen_values = true
    )]
    pub shard: Option<crate::shard::ShardArg>,

    /// Balance the shards by package times from an earlier run's JUnit XML
    /// or --report-json file (every shard must read the same file).
    ///
    /// Packages are packed longest first onto the least loaded shard;
    /// packages the file does not list count at the median of its times.
    /// Without this flag the split is round robin by import path.
    #[arg(long, value_name = "FILE", requires = "shard")]
    pub shard_timings: Option<PathBuf>,

    /// Print the import paths of the shard's packages, one per line, and
    /// exit without testing.
    #[arg(long, requires = "shard")]
    pub shard_list: bool,
}

/// How test results are shown (`--format`); the terminal reporter's
/// [`Format`](crate::report::terminal::Format), as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatChoice {
    /// A line per package with its counts; failures and leaks after the
    /// last package.
    Pkgname,
    /// A line per test; failures and leaks after the last package.
    Testname,
    /// A character per test (`.` pass, `F` fail, `L` leak, `s` skip, `P`
    /// panic, `T` timeout); failures and leaks after the last package.
    Dots,
    /// go test's output: failing tests' output, `ok`/`FAIL` per package,
    /// and each leak in full.
    StandardQuiet,
    /// go test -v's output, package by package, and each leak in full.
    StandardVerbose,
    /// go test -v's output in a collapsed group per package, failures and
    /// leaks outside the groups (and `::error` annotations).
    GithubActions,
}

impl From<FormatChoice> for crate::report::terminal::Format {
    fn from(choice: FormatChoice) -> Self {
        use crate::report::terminal::Format;
        match choice {
            FormatChoice::Pkgname => Format::Pkgname,
            FormatChoice::Testname => Format::Testname,
            FormatChoice::Dots => Format::Dots,
            FormatChoice::StandardQuiet => Format::StandardQuiet,
            FormatChoice::StandardVerbose => Format::StandardVerbose,
            FormatChoice::GithubActions => Format::GithubActions,
        }
    }
}

/// How much of each leaked stack the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StacksChoice {
    /// The module's frames; runs of the standard library's folded.
    Compact,
    /// Every frame.
    Full,
}

/// When to use colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Environment variables that say the process runs in CI: no progress line
/// there, whatever the terminal looks like.
const CI_VARIABLES: &[&str] = &[
    "CI",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "JENKINS_URL",
    "TF_BUILD",
    "TEAMCITY_VERSION",
];

impl RunArgs {
    /// go test's arguments, read as go test reads them.
    pub fn go_test(&self) -> crate::goargs::GoTestArgs {
        crate::goargs::GoTestArgs::parse(&self.go_test_args)
    }

    /// The terminal reporter's options, from the flags, whether stdout is a
    /// terminal, and the environment (`env` looks a variable up).
    pub fn terminal_options(
        &self,
        stdout_is_terminal: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> crate::report::terminal::TerminalOptions {
        use crate::report::terminal::Format;
        let set = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
        let format = self
            .format
            .map(Format::from)
            .unwrap_or(if self.go_test().wants_verbose() {
                Format::StandardVerbose
            } else {
                Format::Pkgname
            });
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && !set("NO_COLOR") && env("TERM").as_deref() != Some("dumb"),
        };
        crate::report::terminal::TerminalOptions {
            format,
            color,
            progress: stdout_is_terminal
                && !CI_VARIABLES.iter().any(|v| set(v))
                && env("TERM").as_deref() != Some("dumb"),
            explain: self.explain,
            slowest: 5,
            stacks: match self.stacks {
                StacksChoice::Compact => crate::report::text::StackStyle::Compact,
                StacksChoice::Full => crate::report::text::StackStyle::Full,
            },
            streams: self.go_test().benchmarks(),
        }
    }

    /// Whether to emit GitHub annotations.
    pub fn wants_annotations(&self, env: impl Fn(&str) -> Option<String>) -> bool {
        self.annotations
            || env("GITHUB_ACTIONS").as_deref() == Some("true")
            || self.format == Some(FormatChoice::GithubActions)
    }

    /// The ignore rules given as flags, in order.
    pub fn flag_rules(&self) -> Result<Vec<crate::analyse::rules::IgnoreRule>, crate::error::Error> {
        let mut rules = Vec::new();
        for (kind, values) in [
            ("top_function", &self.ignore_top),
            ("any_function", &self.ignore_function),
            ("created_by", &self.ignore_created_by),
        ] {
            for v in values {
                rules.push(crate::config::flag_rule(kind, v).map_err(crate::error::Error::Usage)?);
            }
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
