//! One leakcheck run: the pipeline wired together.
//!
//! discover → inject → run → analyse, with every step's output handed on as
//! plain data and every result emitted as an [`Event`] to the reporters.
//! [`prepare`] does everything before go test (toolchain, packages, shard,
//! overlay, configuration, rules, baseline) and hands on a [`Prepared`];
//! [`execute`] runs go test and the reruns on it, and decides the exit code.
//! Nothing here prints: what the run has to say besides results (warnings,
//! the shard's summary, go's lines outside every package) goes to the
//! reporters as [`Event::Notice`]. `--shard-list` alone prints directly.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::analyse::baseline::{self, Baseline};
use crate::analyse::diagnose::{self, DiagnosisRule};
use crate::analyse::rules::{self, IgnoreRule};
use crate::analyse::{rerun, CheckState, PackageCollector, PackageResult, PackageStatus, StderrSplitter};
use crate::config::{self, Config};
use crate::discover::{self, GoPackage, Toolchain};
use crate::error::{Error, ExitCode, Result};
use crate::goargs::GoTestArgs;
use crate::inject;
use crate::report::{Event, Reporter, RunInfo, RunSummary, Stream};
use crate::run::{self, Action, GoTestCommand, Instrumentation, RunEvent, TestEvent};
use crate::scratch::{self, ScratchDir};

/// What a run needs to know, independent of the command line.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The go command.
    pub go: String,
    /// The working directory.
    pub dir: PathBuf,
    /// Package patterns (empty: ./...).
    pub packages: Vec<String>,
    /// go test arguments, passed through.
    pub go_test_args: GoTestArgs,
    /// How long leaked goroutines may take to exit (None: the config
    /// file's, else 500ms).
    pub grace: Option<Duration>,
    /// Ignore rules from the command line.
    pub rules: Vec<IgnoreRule>,
    /// A configuration file given explicitly (else leakcheck.toml at the
    /// module root, if any).
    pub config: Option<PathBuf>,
    /// Use Go's goroutineleak profile to prove leaks, where available.
    pub proof: bool,
    /// The baseline file given explicitly (else the default at the root).
    pub baseline: Option<PathBuf>,
    /// Write the baseline from this run's leaks instead of applying it.
    pub update_baseline: bool,
    /// Rerun failed tests up to this many times (0: never).
    pub rerun_fails: u32,
    /// Do not rerun when more tests than this failed.
    pub rerun_fails_max_failures: usize,
    /// Run one shard of the packages (`--shard`).
    pub shard: Option<crate::shard::ShardOptions>,
}

/// The grace period when neither the command line nor the config sets one.
pub const DEFAULT_GRACE: Duration = Duration::from_millis(500);

/// What the helper reads from LEAKCHECK_CONFIG.
#[derive(Debug, Serialize)]
struct HelperConfig<'a> {
    grace_ms: u128,
    rules: &'a [IgnoreRule],
    proof: bool,
    /// `LEAKCHECK_ALWAYS_LOOK=1`: a look after every test even when the
    /// runtime's goroutine-creation counter says none is needed; the test
    /// suite uses it to show that the shortcut changes no verdict.
    always_look: bool,
}

/// Runs the tests and reports to every reporter; the exit code says how
/// it went. Errors are only for runs that could not happen (exit code 2).
pub fn run(opts: &RunOptions, reporters: &mut [Box<dyn Reporter>]) -> Result<ExitCode> {
    run_with(opts, None, reporters)
}

/// [`run`], with what the caller found already (`--changed`, a watch run:
/// the toolchain and the packages' listing), so that `go env` and `go list`
/// run once.
pub fn run_with(opts: &RunOptions, known: Option<Known>, reporters: &mut [Box<dyn Reporter>]) -> Result<ExitCode> {
    match prepare(opts, known, reporters)? {
        Some(prepared) => execute(&prepared, reporters),
        // --shard-list printed the shard's packages.
        None => Ok(ExitCode::Passed),
    }
}

/// What a caller already found for a run (`--changed` and watch select
/// packages from their own listing), so that go is not asked again.
#[derive(Debug, Clone)]
pub struct Known {
    /// The toolchain (`go env`).
    pub toolchain: Toolchain,
    /// The packages to test as `go list` described them, when the caller's
    /// listing has all of them.
    pub packages: Option<Vec<GoPackage>>,
}

/// A run made ready: everything [`execute`] needs, before any test runs.
/// Its temporary files (the overlay, the records, go's work directory) are
/// removed when it is dropped.
pub struct Prepared {
    opts: RunOptions,
    started: Instant,
    tc: Toolchain,
    /// What go test is given: the patterns, or the shard's import paths,
    /// plus the helper's files when the patterns name files.
    patterns: Vec<String>,
    packages: Vec<GoPackage>,
    overlay: inject::Overlay,
    records: ScratchDir,
    gotmp: ScratchDir,
    /// What the helper reads from LEAKCHECK_CONFIG.
    helper_config: String,
    baseline_path: PathBuf,
    baseline: Option<Baseline>,
    /// The rules, diagnoses, grace and configuration file in force.
    info: RunInfo,
}

/// Finds the toolchain (unless given) and the packages, picks the shard's,
/// writes the overlay, reads the configuration and the baseline. None when
/// `--shard-list` printed the shard's packages: there is nothing to run.
///
/// Its notices (warnings about go test's arguments, the shard's summary)
/// go to `reporters` as they come, before anything else of the run: so
/// they are shown in their place even when a later step fails, or when
/// `--shard-list` prints the shard.
pub fn prepare(
    opts: &RunOptions,
    known: Option<Known>,
    reporters: &mut [Box<dyn Reporter>],
) -> Result<Option<Prepared>> {
    let started = Instant::now();
    let Some(Found {
        tc,
        mut patterns,
        packages,
    }) = find_packages(opts, known, reporters)?
    else {
        return Ok(None);
    };
    run::interrupt::setup_done();
    // What go reads and writes (the overlay, go's work directory) goes
    // where go's temporary files go: GOTMPDIR when the user set it, else
    // the system's; the helper's records go to the system's. Names start
    // with a dot, so go test ./... never takes them for packages, even
    // inside the module.
    let temp = std::env::var_os("GOTMPDIR")
        .filter(|v| !v.is_empty())
        .map_or_else(std::env::temp_dir, PathBuf::from);
    // What runs killed with SIGKILL left there goes first.
    scratch::remove_abandoned(&temp);
    if temp != std::env::temp_dir() {
        scratch::remove_abandoned(&std::env::temp_dir());
    }
    let overlay = write_overlay(opts, &tc, &packages, &mut patterns, &temp)?;
    let records = ScratchDir::create("records", &std::env::temp_dir())?;
    // go's own work directory inside one of leakcheck's, so that nothing is
    // left when go is killed.
    let gotmp = ScratchDir::create("gotmp", &temp)?;
    let settings = Settings::load(opts, &tc)?;
    let helper_config = serde_json::to_string(&HelperConfig {
        grace_ms: settings.grace.as_millis(),
        rules: &settings.rules,
        proof: opts.proof,
        always_look: std::env::var_os("LEAKCHECK_ALWAYS_LOOK").is_some_and(|v| v == "1"),
    })
    .expect("helper config serialises");
    let info = RunInfo {
        go_version: tc.version.clone(),
        root: tc.root().to_path_buf(),
        dir: tc.dir.clone(),
        packages: packages.iter().filter(|p| p.has_tests()).count(),
        rules: settings.rules,
        diagnoses: settings.diagnoses,
        config: settings.config,
        grace: settings.grace,
        proof: opts.proof,
    };
    Ok(Some(Prepared {
        opts: opts.clone(),
        started,
        tc,
        patterns,
        packages,
        overlay,
        records,
        gotmp,
        helper_config,
        baseline_path: settings.baseline_path,
        baseline: settings.baseline,
        info,
    }))
}

/// The toolchain and the packages a run tests.
struct Found {
    tc: Toolchain,
    /// What go test is given (see [`Prepared`]).
    patterns: Vec<String>,
    packages: Vec<GoPackage>,
}

/// go test's arguments checked (warnings to `reporters`), the toolchain
/// and the packages (unless known). None when `--shard-list` printed them.
fn find_packages(
    opts: &RunOptions,
    known: Option<Known>,
    reporters: &mut [Box<dyn Reporter>],
) -> Result<Option<Found>> {
    let mut emitter = Emitter { reporters, error: None };
    for w in opts.go_test_args.check()? {
        emitter.notice(Stream::Stderr, &format!("leakcheck: warning: {w}"));
    }
    let (tc, listed) = match known {
        Some(k) => (k.toolchain, k.packages),
        None => (Toolchain::find(&opts.go, &opts.dir)?, None),
    };
    opts.go_test_args.check_goflags(&tc.goflags)?;
    if tc.minor() < 24 && !opts.go_test_args.vet_off() {
        // go test would fail a package vet rejects; here nothing would say
        // it was not vetted.
        emitter.notice(
            Stream::Stderr,
            &format!(
                "leakcheck: warning: go vet does not run: {} cannot vet through -overlay (Go 1.24 can); run `go vet` on these packages separately",
                tc.version
            ),
        );
    }
    let selected = select_packages(opts, &tc, listed, &mut emitter)?;
    match emitter.error {
        Some(e) => Err(e),
        None => Ok(selected.map(|(patterns, packages)| Found { tc, patterns, packages })),
    }
}

/// The packages the patterns match, or the shard's of them (go test then
/// gets the shard's packages by import path instead of the patterns), the
/// shard's summary a notice. None when `--shard-list` printed them.
fn select_packages(
    opts: &RunOptions,
    tc: &Toolchain,
    listed: Option<Vec<GoPackage>>,
    emitter: &mut Emitter<'_>,
) -> Result<Option<(Vec<String>, Vec<GoPackage>)>> {
    let patterns = if opts.packages.is_empty() {
        vec!["./...".to_string()]
    } else {
        opts.packages.clone()
    };
    let packages = match listed {
        Some(listed) if !listed.is_empty() => listed,
        _ => discover::packages(tc, &patterns, &opts.go_test_args)?,
    };
    let Some(shard) = &opts.shard else {
        return Ok(Some((patterns, packages)));
    };
    let selection = shard.select(&opts.dir, packages)?;
    if shard.list {
        // The command's output, not a run's notice: `--shard-list` runs
        // nothing and has no reporters to speak of (the JUnit and JSON
        // reports are not written), so it prints, as `--version` does.
        eprintln!("leakcheck: {}", selection.summary);
        selection.import_paths().iter().for_each(|p| println!("{p}"));
        return Ok(None);
    }
    emitter.notice(Stream::Stdout, &format!("leakcheck: {}", selection.summary));
    Ok(Some((selection.import_paths(), selection.packages)))
}

/// The overlay that adds the helper to every package (merged with the
/// user's), in `temp`; go test is given the helper's files too when the
/// patterns name files.
fn write_overlay(
    opts: &RunOptions,
    tc: &Toolchain,
    packages: &[GoPackage],
    patterns: &mut Vec<String>,
    temp: &Path,
) -> Result<inject::Overlay> {
    let user_overlay = opts.go_test_args.user_overlay(&tc.goflags).map(|v| tc.dir.join(v));
    let covers = opts.go_test_args.covers(&tc.goflags);
    let target = inject::Target {
        goos: &tc.goos,
        minor: tc.minor(),
        // (go's cover tool reads a covered package's files from the disk;
        // a module of that name would make the import ambiguous.)
        // `LEAKCHECK_PLAIN_RUNTIME=1`: no file added to the runtime (its
        // packages build as under go test); the glance instead.
        runtime_list: inject::GOROUTINE_IDS_MINORS.contains(&tc.minor())
            && std::env::var_os("LEAKCHECK_PLAIN_RUNTIME").is_none_or(|v| v != "1"),
        init_label_root: tc.overlayable_goroot().filter(|_| {
            !opts.go_test_args.covers_std(&tc.goflags)
                && !packages
                    .iter()
                    .any(|p| p.import_path == "archive" || p.import_path.starts_with("archive/"))
        }),
    };
    let overlay = inject::build(packages, user_overlay.as_deref(), &tc.dir, temp, !covers, target)?;
    add_helper_files(patterns, &overlay, tc);
    Ok(overlay)
}

/// go test x_test.go compiles only the files it is given (whatever their
/// build constraints): the helper's too, those for this GOOS and Go version,
/// named the way the user named theirs (go wants them all in one directory,
/// as spelled).
fn add_helper_files(patterns: &mut Vec<String>, overlay: &inject::Overlay, tc: &Toolchain) {
    let Some(file) = first_file(patterns).cloned() else {
        return;
    };
    let dir = Path::new(&file).parent().unwrap_or(Path::new(""));
    for injection in overlay.injections.values() {
        patterns.extend(
            injection
                .added
                .iter()
                .filter_map(|f| f.file_name())
                .filter(|name| inject::builds_for(&name.to_string_lossy(), &tc.goos, tc.minor()))
                .map(|name| dir.join(name).display().to_string()),
        );
    }
}

/// The first Go file the patterns name (go test then tests those files as
/// one package), if they name files.
fn first_file(patterns: &[String]) -> Option<&String> {
    patterns.iter().find(|p| p.ends_with(".go"))
}

/// What leakcheck.toml, the command line and the baseline file settle.
struct Settings {
    config: Option<PathBuf>,
    grace: Duration,
    /// Every ignore rule: built-in, the file's, the command line's.
    rules: Vec<IgnoreRule>,
    /// The file's diagnoses, then the built-in ones.
    diagnoses: Vec<DiagnosisRule>,
    baseline_path: PathBuf,
    /// The baseline to apply (none with `--update-baseline`).
    baseline: Option<Baseline>,
}

impl Settings {
    fn load(opts: &RunOptions, tc: &Toolchain) -> Result<Settings> {
        let config_file = match &opts.config {
            Some(path) => config::load(&opts.dir.join(path))?,
            None => match config::find(tc.root()) {
                Some(path) => config::load(&path)?,
                None => Config::default(),
            },
        };
        let grace = opts.grace.or(config_file.grace).unwrap_or(DEFAULT_GRACE);
        let baseline_path = match &opts.baseline {
            Some(p) => opts.dir.join(p),
            None => tc.root().join(baseline::FILE_NAME),
        };
        let baseline = if opts.update_baseline {
            None
        } else {
            match Baseline::load(&baseline_path)? {
                Some(b) => Some(b),
                None if opts.baseline.is_some() => {
                    return Err(Error::io(
                        "cannot read",
                        &baseline_path,
                        std::io::Error::from(std::io::ErrorKind::NotFound),
                    ))
                }
                None => None,
            }
        };
        let mut diagnoses = config_file.diagnoses.clone();
        diagnoses.extend(diagnose::builtin());
        let mut rules = rules::builtin();
        // The tracer's reader is testing's only under -trace; without it, a
        // trace a test started and never stopped is its leak.
        if !opts.go_test_args.traces() {
            rules.retain(|r| r.name != rules::TRACE_READER);
        }
        rules.extend(config_file.rules.iter().cloned());
        rules.extend(opts.rules.iter().cloned());
        Ok(Settings {
            config: config_file.path.clone(),
            grace,
            rules,
            diagnoses,
            baseline_path,
            baseline,
        })
    }
}

/// Runs go test on the prepared run, and the reruns, reporting to every
/// reporter; the exit code says how it went.
pub fn execute(p: &Prepared, reporters: &mut [Box<dyn Reporter>]) -> Result<ExitCode> {
    if p.patterns.is_empty() {
        // An empty shard: go test without packages would test the current
        // directory.
        let summary = RunSummary::empty(p.baseline.as_ref().map(|b| b.outcome(&[])), p.started.elapsed());
        return report_empty(&p.info, &summary, reporters);
    }
    let mut emitter = Emitter { reporters, error: None };
    emitter.emit(&Event::RunStarted(&p.info));
    let inst = p.instrumentation();
    let pass = p.pass();
    let cmd = GoTestCommand::new(&p.tc, &p.patterns, &p.opts.go_test_args, &inst);
    let first = pass.run(&cmd, &mut emitter, Hold::BuildFailures)?;
    let (mut results, status, go_said) = (first.results, first.status, first.go_said);
    // go test exits with 2, before it tests or even builds a package, when
    // it cannot parse its arguments (`-count=x`): a usage error, as
    // leakcheck's own would be, not a failing run.
    let refused = status == Some(2) && results.is_empty();
    p.report_unfinished(status, &mut results, &mut emitter, go_said.as_deref());
    // go test's status counts wherever no package explains it: a package it
    // reported failing (which a baseline or a rerun may turn into a pass on
    // purpose) explains it; a killed go test, or one that failed outside
    // every package, does not.
    let go_failure_unexplained = status != Some(0) && !results.iter().any(|r| r.go_failed);
    let unchecked = p.run_unchecked(&pass, &mut results, first.held, &mut emitter)?;
    p.rerun(&pass, &inst, &mut results, &mut emitter, &unchecked)?;
    let interrupted = run::interrupt::interrupted();
    let (failed, baseline_written) = if p.opts.update_baseline && !interrupted {
        let n = baseline::write(&p.baseline_path, &results)?;
        // The leaks are recorded now: only other failures fail the run.
        (
            results.iter().any(PackageResult::fails_besides_leaks),
            Some((p.baseline_path.clone(), n)),
        )
    } else {
        (results.iter().any(PackageResult::is_failure), None)
    };
    let summary = RunSummary {
        baseline: p.baseline.as_ref().map(|b| b.outcome(&results)),
        baseline_written,
        packages: results,
        elapsed: p.started.elapsed(),
        interrupted,
    };
    emitter.emit(&Event::RunFinished(&summary));
    if let Some(e) = emitter.error.take() {
        return Err(e);
    }
    if refused && !interrupted {
        emitter.notice(
            Stream::Stderr,
            "leakcheck: go test refused its arguments or $GOFLAGS (exit status 2; its message is above): nothing was tested",
        );
        return emitter.error.map_or(Ok(ExitCode::CouldNotRun), Err);
    }
    if go_failure_unexplained && !failed {
        emitter.notice(Stream::Stderr, &unexplained_failure(status));
    }
    emitter
        .error
        .map_or(Ok(exit_code(interrupted, failed, go_failure_unexplained)), Err)
}

/// Why the run fails when go test's status alone fails it.
fn unexplained_failure(status: Option<i32>) -> String {
    format!(
        "leakcheck: go test {} although every package it reported passed",
        match status {
            Some(code) => format!("exited with status {code}"),
            None => "was killed".to_string(),
        }
    )
}

/// The exit policy: an interrupt, then a failed or leaking package, then a
/// failing go test that no package explains ([`unexplained_failure`] says
/// so, after the summary).
fn exit_code(interrupted: bool, failed: bool, go_failure_unexplained: bool) -> ExitCode {
    if interrupted {
        ExitCode::Interrupted
    } else if failed || go_failure_unexplained {
        ExitCode::Failed
    } else {
        ExitCode::Passed
    }
}

impl Prepared {
    fn instrumentation(&self) -> Instrumentation<'_> {
        Instrumentation {
            overlay: &self.overlay.json_path,
            records: self.records.path(),
            config_json: &self.helper_config,
            proof: self.opts.proof,
            gotmpdir: Some(self.gotmp.path()),
        }
    }

    fn pass(&self) -> Pass<'_> {
        let tc = &self.tc;
        Pass {
            tc,
            dirs: self
                .packages
                .iter()
                .map(|p| (p.import_path.clone(), p.dir.clone()))
                .collect(),
            injections: &self.overlay.injections,
            rules: &self.info.rules,
            baseline: self.baseline.as_ref(),
            records: self.records.path(),
            diagnoses: &self.info.diagnoses,
            test_context: tc.minor() >= 24 && tc.module_go_minor().is_none_or(|m| m >= 24),
        }
    }

    /// Every selected package with tests is reported: one go test never
    /// finished (it was killed, the run was interrupted) is an error, never
    /// a pass and never absent.
    /// `go_said`: go's own first line on stderr, outside every package
    /// (why it refused its arguments, or would test no package).
    fn report_unfinished(
        &self,
        status: Option<i32>,
        results: &mut Vec<PackageResult>,
        emitter: &mut Emitter<'_>,
        go_said: Option<&str>,
    ) {
        let reported: std::collections::HashSet<String> = results.iter().map(|r| r.import_path.clone()).collect();
        for p in self
            .packages
            .iter()
            .filter(|p| p.has_tests() && !reported.contains(&p.import_path))
        {
            let why = match status {
                _ if run::interrupt::interrupted() => "the run was interrupted before go test ran it".to_string(),
                None => "go test was killed before it ran it".to_string(),
                Some(0) => "go test did not report it".to_string(),
                // A leak fails its package as a failing test would, and
                // -failfast starts no package after a failure.
                Some(_) if self.opts.go_test_args.fails_fast(&self.tc.goflags) => {
                    "-failfast stopped go test after an earlier failure or leak".to_string()
                }
                Some(2) if reported.is_empty() => match go_said {
                    Some(why) => format!("go test refused its arguments: {why}"),
                    None => "go test refused its arguments".to_string(),
                },
                // Refused for another reason before any package ran
                // (`-cpuprofile` with several packages exits 1).
                Some(code) => match go_said.filter(|_| reported.is_empty()) {
                    Some(why) => format!("go test exited ({code}) before it ran it: {why}"),
                    None => format!("go test exited ({code}) before it ran it"),
                },
            };
            let result = PackageResult::not_finished(&p.import_path, &why);
            emitter.emit(&Event::PackageFinished(&result));
            results.push(result);
        }
    }

    /// Packages that did not build with leakcheck's helper (a name it
    /// needs that the package redeclares, a file it cannot rewrite) run
    /// again as go test would run them, without it: their verdicts are go
    /// test's and the package is not checked, which fails it, as any
    /// package leakcheck cannot vouch for; a build failure would lose
    /// tests go test runs. A package that does not build without the
    /// helper either is reported as go test reported it then (the
    /// helper's errors could hide its own). Every build failure the first
    /// run held back is reported here, with its lines of go test's stream
    /// from the run without the helper (the first run's, `held`, when an
    /// interrupt kept that from running); the packages run unchecked are
    /// returned.
    fn run_unchecked(
        &self,
        pass: &Pass<'_>,
        results: &mut [PackageResult],
        mut held: HeldStream,
        emitter: &mut Emitter<'_>,
    ) -> Result<Vec<String>> {
        let failed: Vec<usize> = (0..results.len())
            .filter(|&i| results[i].status == PackageStatus::BuildFailed)
            .collect();
        if failed.is_empty() {
            return Ok(Vec::new());
        }
        if run::interrupt::interrupted() {
            // Not run again: the first results stand, with their lines.
            for &i in &failed {
                held.release(&results[i].import_path, emitter);
                emitter.emit(&Event::PackageFinished(&results[i]));
            }
            return Ok(Vec::new());
        }
        let again = {
            let packages = self.patterns_for(failed.iter().map(|&i| results[i].import_path.clone()), false);
            // Its coverage joins the run's profile (its package has none
            // there: it did not build).
            let profile = self.opts.go_test_args.cover_profile(&self.tc.goflags, &self.tc.dir);
            let own_profile = profile.as_ref().map(|_| self.gotmp.path().join("unchecked-cover.out"));
            let cmd = GoTestCommand::plain(&self.tc, &packages, &self.opts.go_test_args, own_profile.as_deref());
            let again = pass.run(&cmd, emitter, Hold::Everything)?;
            if let (Some(profile), Some(own)) = (profile, own_profile) {
                append_coverage(&profile, &own)?;
            }
            again
        };
        let mut unchecked = Vec::new();
        for &i in &failed {
            let Some(plain) = again.results.iter().find(|a| a.import_path == results[i].import_path) else {
                // go test did not reach it again (-failfast after an earlier
                // failure, an interrupt): not known to be a build failure.
                let why = format!(
                    "it does not build with leakcheck's helper{}, and {} before go test ran it again without it",
                    first_build_error(&results[i].build_output),
                    if run::interrupt::interrupted() {
                        "the run was interrupted"
                    } else {
                        "go test stopped (-failfast after an earlier failure, or it was killed)"
                    }
                );
                results[i] = PackageResult::not_finished(&results[i].import_path, &why);
                continue;
            };
            if plain.status == PackageStatus::BuildFailed {
                results[i] = plain.clone();
                continue;
            }
            let first_error = first_build_error(&results[i].build_output);
            let mut result = plain.clone();
            let mut why = format!(
                "it does not build with leakcheck's helper{first_error}, so go test ran it again without it: \
                 its verdicts are go test's, unchecked for leaks"
            );
            // (Its own reason is that the helper did not run, unless it
            // did not finish.)
            if let (PackageStatus::NotFinished, CheckState::NotChecked(also)) = (result.status, &result.check) {
                why = format!("{why}; {also}");
            }
            result.check = CheckState::NotChecked(why);
            result.recompute_status();
            unchecked.push(result.import_path.clone());
            results[i] = result;
        }
        if !unchecked.is_empty() {
            emitter.notice(
                Stream::Stderr,
                &format!(
                    "leakcheck: {} did not build with leakcheck's helper; go test ran {} again without it, unchecked",
                    unchecked.join(", "),
                    if unchecked.len() == 1 { "it" } else { "them" }
                ),
            );
        }
        // The run without the helper's lines, not the first run's (the
        // helper's errors).
        let mut plain_held = again.held;
        for &i in &failed {
            plain_held.release(&results[i].import_path, emitter);
            emitter.emit(&Event::PackageFinished(&results[i]));
        }
        Ok(unchecked)
    }

    /// Reruns: only the tests that failed, until they pass or the rounds
    /// run out. What passes on a rerun is flaky, not silently passed.
    fn rerun(
        &self,
        pass: &Pass<'_>,
        inst: &Instrumentation<'_>,
        results: &mut [PackageResult],
        emitter: &mut Emitter<'_>,
        unchecked: &[String],
    ) -> Result<()> {
        let opts = &self.opts;
        if opts.rerun_fails > 0 && opts.go_test_args.fails_fast(&self.tc.goflags) {
            // The tests after a failure never ran: rerunning the failed
            // ones could not pass the package.
            if !rerun::failing_tests(results).is_empty() {
                emitter.notice(
                    Stream::Stderr,
                    "leakcheck: no rerun under -failfast: the tests after a failure never ran",
                );
            }
            return Ok(());
        }
        for round in 1..=opts.rerun_fails {
            let failing = rerun::failing_tests(results);
            let count: usize = failing.iter().map(|(_, t)| t.len()).sum();
            if count == 0 || run::interrupt::interrupted() {
                break;
            }
            if count > opts.rerun_fails_max_failures {
                emitter.notice(
                    Stream::Stderr,
                    &format!(
                        "leakcheck: {count} tests failed, more than --rerun-fails-max-failures={}: not rerunning",
                        opts.rerun_fails_max_failures
                    ),
                );
                break;
            }
            emitter.emit(&Event::RerunStarted {
                round,
                of: opts.rerun_fails,
                tests: count,
                packages: failing.len(),
            });
            // A package that ran without the helper runs so again: it would
            // not build with it.
            let (plain, checked): (Vec<_>, Vec<_>) = failing.into_iter().partition(|(p, _)| unchecked.contains(p));
            for (failing, with_helper) in [(checked, true), (plain, false)] {
                if failing.is_empty() {
                    continue;
                }
                let names: Vec<&str> = failing.iter().flat_map(|(_, t)| t.iter().map(String::as_str)).collect();
                let packages = self.patterns_for(failing.iter().map(|(p, _)| p.clone()), with_helper);
                let args = opts.go_test_args.rerun(&names);
                let cmd = if with_helper {
                    GoTestCommand::new(&self.tc, &packages, &args, inst).without_output_goflags(&self.tc)
                } else {
                    GoTestCommand::plain(&self.tc, &packages, &args, None)
                };
                let mut again = pass.run(&cmd, emitter, Hold::Nothing)?.results;
                if !with_helper {
                    // Unchecked as before, for the same reason.
                    for a in again.iter_mut().filter(|a| a.status != PackageStatus::NotFinished) {
                        if let Some(p) = results.iter().find(|p| p.import_path == a.import_path) {
                            a.check = p.check.clone();
                        }
                    }
                }
                rerun::merge(results, again, opts.go_test_args.count(&self.tc.goflags));
            }
        }
        Ok(())
    }

    /// What go test is given to test `packages`: their import paths, or,
    /// when files were named on the command line (one package, with no
    /// import path go test could be given), the files, with the helper's
    /// or without them.
    fn patterns_for(&self, packages: impl Iterator<Item = String>, with_helper: bool) -> Vec<String> {
        if first_file(&self.patterns).is_none() {
            return packages.collect();
        }
        let helper = |p: &String| {
            Path::new(p)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(inject::HELPER_FILE_PREFIX))
        };
        self.patterns
            .iter()
            .filter(|p| with_helper || !helper(p))
            .cloned()
            .collect()
    }
}

/// Adds the coverage of the run without the helper (`own`, a profile go
/// test wrote) to the run's profile, without its `mode:` line: go test
/// writes one profile for every package it tested.
fn append_coverage(profile: &Path, own: &Path) -> Result<()> {
    use std::io::Write;
    let Ok(text) = std::fs::read_to_string(own) else {
        // Nothing built or ran: no coverage to add.
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(profile)
        .map_err(|e| Error::io("cannot write", profile, e))?;
    // The mode line only in a profile that has none yet.
    let skip = usize::from(file.metadata().is_ok_and(|m| m.len() > 0));
    let blocks: String = text.lines().skip(skip).map(|l| format!("{l}\n")).collect();
    file.write_all(blocks.as_bytes())
        .map_err(|e| Error::io("cannot write", profile, e))
}

/// The first error in a build's output, with the lines that continue it
/// (`package p` then `\timports …`), and the helper's file by its name,
/// not its temporary directory: ` (error)`, or nothing when there is none.
fn first_build_error(build_output: &str) -> String {
    let mut lines = build_output
        .lines()
        .skip_while(|l| l.starts_with("# ") || l.trim().is_empty());
    let mut error = lines.next().unwrap_or("").trim().to_string();
    for more in lines.take_while(|l| l.starts_with([' ', '\t'])) {
        error.push(' ');
        error.push_str(more.trim());
    }
    if let Some(at) = error
        .find(inject::HELPER_FILE_PREFIX)
        .filter(|&at| !error[..at].contains(' '))
    {
        error.drain(..at);
    }
    if error.is_empty() {
        error
    } else {
        format!(" ({error})")
    }
}

/// Reports a run that tests nothing (an empty shard, or `--changed` with
/// no package to test): the JUnit and JSON files exist, and are empty, so
/// CI that collects them finds them. Every reporter is given the run; the
/// first error is returned.
fn report_empty(info: &RunInfo, summary: &RunSummary, reporters: &mut [Box<dyn Reporter>]) -> Result<ExitCode> {
    let mut emitter = Emitter { reporters, error: None };
    emitter.emit(&Event::RunStarted(info));
    emitter.emit(&Event::RunFinished(summary));
    emitter.error.map_or(Ok(ExitCode::Passed), Err)
}

/// Reports a run that selected nothing (`--changed` found no package to
/// test), as [`report_empty`].
pub fn report_nothing(tc: &Toolchain, reporters: &mut [Box<dyn Reporter>]) -> Result<()> {
    let info = RunInfo {
        go_version: tc.version.clone(),
        root: tc.root().to_path_buf(),
        dir: tc.dir.clone(),
        packages: 0,
        diagnoses: Vec::new(),
        rules: Vec::new(),
        config: None,
        grace: DEFAULT_GRACE,
        proof: false,
    };
    report_empty(&info, &RunSummary::empty(None, Duration::ZERO), reporters).map(|_| ())
}

/// What one `go test` invocation needs besides its command line.
struct Pass<'a> {
    tc: &'a Toolchain,
    dirs: HashMap<String, PathBuf>,
    /// What was instrumented in each package (where its tests are declared).
    injections: &'a BTreeMap<String, inject::Injection>,
    rules: &'a [IgnoreRule],
    baseline: Option<&'a Baseline>,
    records: &'a Path,
    diagnoses: &'a [DiagnosisRule],
    /// The tests can use t.Context() (Go 1.24+, module and toolchain).
    test_context: bool,
}

/// What [`Pass::run`] holds back from the reporters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// Nothing: everything is reported as it comes (reruns).
    Nothing,
    /// The result of a package whose build failed, and its lines of go
    /// test's stream, until [`Prepared::run_unchecked`] knows whether it
    /// builds without the helper; every package's lines wait until one of
    /// its tests runs (it built) or it ends.
    BuildFailures,
    /// Everything: the run without the helper, of which only the packages
    /// it replaces are reported.
    Everything,
}

/// What one go test run gave.
struct PassOutcome {
    results: Vec<PackageResult>,
    /// go test's exit status.
    status: Option<i32>,
    /// go's first own line on stderr (outside every package), if any.
    go_said: Option<String>,
    /// What [`Hold`] kept back, by package.
    held: HeldStream,
}

/// go test's lines (`--jsonfile`) and, under [`Hold::Everything`], the
/// tests' output, kept back by package (a build's lines, `pkg
/// [pkg.test]`, under `pkg`).
#[derive(Default)]
struct HeldStream {
    /// Packages in the order their first line came.
    order: Vec<String>,
    by_package: HashMap<String, Vec<HeldEvent>>,
    /// Packages a test of which ran: they built, nothing of theirs is
    /// held any more.
    built: std::collections::HashSet<String>,
}

enum HeldEvent {
    GoTestLine(String),
    Output { test: Option<String>, text: String },
}

impl HeldStream {
    fn push(&mut self, package: &str, event: HeldEvent) {
        if !self.by_package.contains_key(package) {
            self.order.push(package.to_string());
        }
        self.by_package.entry(package.to_string()).or_default().push(event);
    }

    /// Reports what was kept of a package, and forgets it.
    fn release(&mut self, package: &str, emitter: &mut Emitter<'_>) {
        for event in self.by_package.remove(package).unwrap_or_default() {
            match &event {
                HeldEvent::GoTestLine(line) => emitter.emit(&Event::GoTestLine(line)),
                HeldEvent::Output { test, text } => emitter.emit(&Event::Output {
                    package,
                    test: test.as_deref(),
                    text,
                }),
            }
        }
    }

    /// Reports what was kept of every package but `kept`, in order.
    fn release_all_but(&mut self, kept: &[&str], emitter: &mut Emitter<'_>) {
        for package in std::mem::take(&mut self.order) {
            if !kept.contains(&package.as_str()) {
                self.release(&package, emitter);
            }
        }
    }
}

impl Pass<'_> {
    /// Runs go test once, emitting output and each package's result as it
    /// finishes, but what `hold` holds back.
    fn run(&self, cmd: &GoTestCommand, emitter: &mut Emitter<'_>, hold: Hold) -> Result<PassOutcome> {
        let mut go_said: Option<String> = None;
        let mut collectors: HashMap<String, PackageCollector> = HashMap::new();
        let mut build_outputs = BuildOutputs::default();
        let mut splitter = StderrSplitter::default();
        let mut results: Vec<PackageResult> = Vec::new();
        let mut held = HeldStream::default();
        let report = |result: PackageResult,
                      emitter: &mut Emitter<'_>,
                      held: &mut HeldStream,
                      results: &mut Vec<PackageResult>| {
            let reported = match hold {
                Hold::Nothing => true,
                Hold::BuildFailures => result.status != PackageStatus::BuildFailed,
                Hold::Everything => false,
            };
            if reported {
                held.release(&result.import_path, emitter);
                emitter.emit(&Event::PackageFinished(&result));
            }
            results.push(result);
        };
        let status = run::run(self.tc, cmd, self.records, |ev| match ev {
            RunEvent::Test(e, raw) => {
                match (stream_package(&e), hold) {
                    (Some(package), Hold::BuildFailures) if held.built.contains(&package) => {
                        emitter.emit(&Event::GoTestLine(&raw))
                    }
                    (Some(package), Hold::BuildFailures) => {
                        let ran = e.test.is_some();
                        held.push(&package, HeldEvent::GoTestLine(raw));
                        // A test ran: the package built, and its lines go
                        // out as they come from now on.
                        if ran {
                            held.release(&package, emitter);
                            held.built.insert(package);
                        }
                    }
                    (Some(package), Hold::Everything) => held.push(&package, HeldEvent::GoTestLine(raw)),
                    (None, Hold::Everything) => {}
                    _ => emitter.emit(&Event::GoTestLine(&raw)),
                }
                if let Some(text) = self.test_event(&e, &mut collectors, &mut build_outputs) {
                    let package = e.package.as_deref().unwrap_or_default();
                    let test = e.test.clone();
                    if hold == Hold::Everything {
                        held.push(package, HeldEvent::Output { test, text });
                    } else {
                        emitter.emit(&Event::Output {
                            package,
                            test: test.as_deref(),
                            text: &text,
                        });
                    }
                }
            }
            RunEvent::Stderr(line) => match splitter.package_of(&line) {
                Some(pkg) => build_outputs.add(&pkg, &format!("{line}\n")),
                // go's own lines outside every package (`go: downloading
                // …`), as go printed them (once: not again for the run
                // without the helper).
                None => {
                    if go_said.is_none() && !line.trim().is_empty() && !line.starts_with("go: downloading") {
                        go_said = Some(line.trim_end().to_string());
                    }
                    if hold != Hold::Everything {
                        emitter.notice(Stream::Stderr, &line)
                    }
                }
            },
            RunEvent::Stdout(line) => {
                if hold != Hold::Everything {
                    emitter.notice(Stream::Stdout, &line)
                }
            }
            RunEvent::Records { package, records } => {
                let c = collectors.remove(&package).unwrap_or_else(|| self.collector(&package));
                let result = self.finish(c, &package, &records, &mut build_outputs);
                report(result, emitter, &mut held, &mut results);
            }
        })?;
        // Packages go test never finished (it was killed): report what
        // arrived.
        let mut unfinished: Vec<_> = collectors.into_iter().collect();
        unfinished.sort_by(|a, b| a.0.cmp(&b.0));
        for (package, c) in unfinished {
            let records = run::read_records(self.records, &package);
            let result = self.finish(c, &package, &records, &mut build_outputs);
            report(result, emitter, &mut held, &mut results);
        }
        if hold == Hold::Everything {
            return Ok(PassOutcome {
                results,
                status,
                go_said,
                held,
            });
        }
        // Lines of no package reported (a dependency's failed build).
        let failed: Vec<&str> = results
            .iter()
            .filter(|r| r.status == PackageStatus::BuildFailed)
            .map(|r| r.import_path.as_str())
            .collect();
        held.release_all_but(&failed, emitter);
        for out in build_outputs.printed() {
            emitter.notice(Stream::Stderr, &out);
        }
        Ok(PassOutcome {
            results,
            status,
            go_said,
            held,
        })
    }

    /// A test2json event: build output kept for its package, every other
    /// event to its package's collector; the text of an output event, for
    /// the reporters.
    fn test_event(
        &self,
        e: &TestEvent,
        collectors: &mut HashMap<String, PackageCollector>,
        build_outputs: &mut BuildOutputs,
    ) -> Option<String> {
        if e.action == Action::BuildOutput {
            if let Some(path) = &e.import_path {
                build_outputs.add(
                    path.split(' ').next().unwrap_or(path),
                    e.output.as_deref().unwrap_or(""),
                );
            }
            return None;
        }
        let package = e.package.as_deref()?;
        collectors
            .entry(package.to_string())
            .or_insert_with(|| self.collector(package))
            .event(e);
        (e.action == Action::Output).then(|| e.output.clone().unwrap_or_default())
    }

    fn collector(&self, package: &str) -> PackageCollector {
        PackageCollector::new(package)
            .with_dir(self.dirs.get(package).cloned())
            .with_dumps_off(matches!(std::env::var("GOTRACEBACK").as_deref(), Ok("none") | Ok("0")))
            .with_declared(
                self.injections
                    .get(package)
                    .map(|i| i.declared.clone())
                    .unwrap_or_default(),
            )
    }

    fn finish(
        &self,
        mut c: PackageCollector,
        package: &str,
        records: &run::PackageRecords,
        build_outputs: &mut BuildOutputs,
    ) -> PackageResult {
        build_outputs.attach(&mut c, package);
        let mut result = c.finish(records, self.rules);
        if let Some(b) = self.baseline {
            b.apply(&mut result);
        }
        diagnose::annotate(&mut result, self.diagnoses, self.test_context);
        result
    }
}

/// The package a line of go test's stream is about: its package, else
/// the package whose test a build was for (`example.com/p_test
/// [example.com/p.test]`, `example.com/p.test`), else the package built
/// (a dependency's failure).
fn stream_package(e: &TestEvent) -> Option<String> {
    match &e.package {
        Some(package) => Some(package.clone()),
        None => e.import_path.as_deref().map(|p| run::tested_package(p).to_string()),
    }
}

/// What builds printed, by the package built.
#[derive(Default)]
struct BuildOutputs {
    by_package: HashMap<String, String>,
    /// Those given to a package whose build failed: not printed again.
    attached: std::collections::HashSet<String>,
}

impl BuildOutputs {
    fn add(&mut self, package: &str, text: &str) {
        self.by_package.entry(package.to_string()).or_default().push_str(text);
    }

    /// Gives a package whose build failed what the build printed: that of
    /// the package go test says failed (Go 1.24+; a dependency of several
    /// tested packages fails each of them), else its own, else (older Go
    /// names none) whatever no other package was given.
    fn attach(&mut self, c: &mut PackageCollector, package: &str) {
        if !c.needs_build_output() {
            return;
        }
        let named = c.failed_build_of().map(str::to_string);
        let key = [named.as_deref(), Some(package)]
            .into_iter()
            .flatten()
            .find(|k| self.by_package.contains_key(*k))
            .map(str::to_string);
        if let Some(key) = key {
            c.add_build_output(&self.by_package[&key]);
            self.attached.insert(key);
        } else if named.is_none() {
            let mut keys: Vec<String> = self
                .by_package
                .keys()
                .filter(|k| !self.attached.contains(*k))
                .cloned()
                .collect();
            keys.sort();
            for k in keys {
                c.add_build_output(&self.by_package[&k]);
                self.attached.insert(k);
            }
        }
    }

    /// What builds that succeeded printed (a cgo warning, -gcflags=-m's
    /// diagnostics), as go test prints it: a failed build's is in its
    /// package's report instead. Not what the compiler says of leakcheck's
    /// own files.
    fn printed(self) -> Vec<String> {
        let mut printed: Vec<String> = self
            .by_package
            .into_iter()
            .filter(|(k, _)| !self.attached.contains(k))
            .map(|(_, out)| {
                out.lines()
                    .filter(|l| !l.contains(crate::inject::HELPER_FILE_PREFIX))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .filter(|out| out.lines().any(|l| !l.starts_with("# ")))
            .collect();
        printed.sort();
        printed
    }
}

/// Sends events to every reporter, keeping the first error.
struct Emitter<'r> {
    reporters: &'r mut [Box<dyn Reporter>],
    error: Option<Error>,
}

impl Emitter<'_> {
    fn emit(&mut self, event: &Event<'_>) {
        for r in self.reporters.iter_mut() {
            if let Err(e) = r.handle(event) {
                self.error.get_or_insert(e);
            }
        }
    }

    fn notice(&mut self, stream: Stream, text: &str) {
        self.emit(&Event::Notice { stream, text });
    }
}

/// The current directory, as an error when it cannot be read.
pub fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("cannot read", Path::new("."), e))
}
