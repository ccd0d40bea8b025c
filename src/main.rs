//! The `leakcheck` command: parses the command line and runs a session.

use std::io::IsTerminal;

use clap::{CommandFactory, Parser};
use leakcheck::changed;
use leakcheck::cli::{Cli, Command, RunArgs, StacksArgs};
use leakcheck::error::Error;
use leakcheck::error::ExitCode;
use leakcheck::merge;
use leakcheck::report::annotations::AnnotationsReporter;
use leakcheck::report::json::JsonReporter;
use leakcheck::report::jsonfile::JsonFileReporter;
use leakcheck::report::junit::JunitReporter;
use leakcheck::report::step_summary::StepSummaryReporter;
use leakcheck::report::terminal::TerminalReporter;
use leakcheck::report::{Event, Reporter, Stream};
use leakcheck::session::{self, RunOptions};
use leakcheck::shard::ShardOptions;
use leakcheck::stacks::{self as grouped, StackFilter};
use leakcheck::watch::{self, WatchOptions};

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| usage_error(e));
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("leakcheck: {e}");
            ExitCode::CouldNotRun
        }
    };
    std::process::exit(code as i32);
}

fn run(cli: Cli) -> leakcheck::error::Result<ExitCode> {
    if let Some(command) = cli.command {
        return subcommand(command);
    }
    let args = cli.run;
    // As go -C: change to DIR first, so every relative path (packages,
    // --junitfile, --config, --shard-timings …) is relative to it, and the
    // toolchain is the one go picks there (`-V` too).
    if let Some(dir) = &args.dir {
        std::env::set_current_dir(dir).map_err(|e| Error::io("cannot change to", dir, e))?;
    }
    if cli.version {
        return version(&args.go);
    }
    leakcheck::run::interrupt::install().map_err(Error::Usage)?;
    let mut opts = run_options(&args)?;
    let reports: Vec<(&str, &std::path::Path)> = [
        ("--junitfile", &args.junitfile),
        ("--report-json", &args.report_json),
        ("--jsonfile", &args.jsonfile),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path.as_deref()?)))
    .collect();
    leakcheck::report::check_distinct(&reports)?;
    for (_, path) in &reports {
        leakcheck::report::check_writable(path)?;
    }
    if args.watch {
        refuse_with_watch(&args)?;
        return watch::run(WatchOptions {
            run: opts,
            changed: args.changed,
            junitfile: args.junitfile,
            report_json: args.report_json,
            explain: args.explain,
        });
    }
    let env = |k: &str| std::env::var(k).ok();
    let mut file_reporters = file_reporters(&args, env);
    let mut reporters = terminal_reporters(&args, env);
    let mut known = None;
    if let Some(rev) = &args.changed {
        let (changes, selection, found) = changed::resolve(&opts, rev.as_deref())?;
        let described = changed::describe(&changes, &selection);
        let notice = Event::Notice {
            stream: Stream::Stdout,
            text: described.trim_end_matches('\n'),
        };
        for r in reporters.iter_mut().chain(file_reporters.iter_mut()) {
            r.handle(&notice)?;
        }
        if selection.is_empty() {
            // Nothing to run: the files are written, empty; the terminal
            // has said why.
            session::report_nothing(&found.toolchain, &mut file_reporters)?;
            return Ok(ExitCode::Passed);
        }
        opts.packages = selection.import_paths();
        known = Some(found);
    }
    reporters.extend(file_reporters);
    session::run_with(&opts, known, &mut reporters)
}

/// `stacks`, `merge`, `completions`, `man`.
fn subcommand(command: Command) -> leakcheck::error::Result<ExitCode> {
    match command {
        Command::Stacks(args) => stacks(args),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "leakcheck", &mut script);
            print_out(&script)
        }
        Command::Man { subcommand } => {
            let command = match subcommand {
                None => Cli::command(),
                Some(name) => {
                    let top = Cli::command();
                    let sub = top.find_subcommand(&name).cloned().ok_or_else(|| {
                        Error::Usage(format!("no subcommand `{name}` (stacks, merge, completions, man)"))
                    })?;
                    // Its page is leakcheck-NAME(1), as leakcheck(1) names it.
                    sub.name(format!("leakcheck-{name}"))
                }
            };
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(|e| Error::io("cannot write to", "standard output", e))?;
            print_out(&page)
        }
        Command::Merge(args) => merge::run(&args.inputs, args.junitfile, args.report_json),
    }
}

/// `--version`: leakcheck's, and the Go toolchain runs are made with, as
/// `go version` reports it.
fn version(go: &str) -> leakcheck::error::Result<ExitCode> {
    let mut text = format!("leakcheck {}\n", env!("CARGO_PKG_VERSION"));
    match std::process::Command::new(go).arg("version").output() {
        Ok(out) if out.status.success() => {
            text.push_str(&format!(
                "{} ({})\n",
                String::from_utf8_lossy(&out.stdout).trim_end(),
                go
            ));
        }
        _ => text.push_str(&format!("go: not found (`{go}`)\n")),
    }
    print_out(text.as_bytes())
}

/// Writes to standard output; a reader that went away (`| head -1`) is
/// not an error.
fn print_out(bytes: &[u8]) -> leakcheck::error::Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::Passed),
        Err(e) => Err(Error::io("cannot write to", "standard output", e)),
        Ok(()) => Ok(ExitCode::Passed),
    }
}

/// A command line clap refuses, in one line and exit 2 (help and version
/// print as usual). A go test flag given before `--` (`leakcheck ./... -v`)
/// is named as given, with where it belongs.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::{ContextKind, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let invalid = e.get(ContextKind::InvalidArg).map(|v| v.to_string());
    let line = match (e.kind(), invalid) {
        (ErrorKind::UnknownArgument, Some(arg)) => {
            // Arguments as given (not UTF-8 ones too): clap names `-r` for
            // `-run` (a cluster of short flags).
            let args: Vec<String> = std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .take_while(|a| a != "--")
                .collect();
            let given = args.iter().find(|a| a.starts_with(&arg)).cloned().unwrap_or(arg);
            let sub = args
                .iter()
                .find(|a| !a.starts_with('-'))
                .filter(|a| ["stacks", "merge", "man", "completions"].contains(&a.as_str()));
            match (e.get(ContextKind::SuggestedArg), sub) {
                (Some(similar), _) => format!("unknown flag {given} (did you mean {similar}?)"),
                (None, Some(sub)) => {
                    format!("unexpected argument {given} (`leakcheck {sub} --help` lists its arguments)")
                }
                (None, None) if !given.starts_with('-') => format!("unexpected argument {given}"),
                (None, None) if given.starts_with("--") => {
                    format!("unknown flag {given} (`leakcheck --help` lists leakcheck's; go test's go after `--`)")
                }
                (None, None) => {
                    format!("unknown flag {given}: go test's flags go after `--` (leakcheck ./... -- {given})")
                }
            }
        }
        (kind, _) => {
            let rendered = e.to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad command line");
            let mut line = first.trim_start_matches("error: ").to_string();
            match (kind, e.get(ContextKind::ValidValue), e.get(ContextKind::InvalidArg)) {
                (ErrorKind::InvalidValue, Some(valid), _) if !valid.to_string().is_empty() => {
                    line.push_str(&format!(" (possible values: {valid})"));
                }
                (ErrorKind::MissingRequiredArgument, _, Some(missing)) => {
                    line = format!("missing {missing}");
                }
                _ => {}
            }
            line
        }
    };
    eprintln!("leakcheck: {line}");
    std::process::exit(ExitCode::CouldNotRun as i32)
}

/// The run's options, from the command line (after `-C`).
fn run_options(args: &RunArgs) -> leakcheck::error::Result<RunOptions> {
    Ok(RunOptions {
        go: args.go.clone(),
        dir: session::current_dir()?,
        packages: args.packages.clone(),
        go_test_args: args.go_test(),
        grace: args.grace,
        rules: args.flag_rules()?,
        config: args.config.clone(),
        proof: args.proof && !args.no_proof,
        baseline: args.baseline.clone(),
        update_baseline: args.update_baseline,
        rerun_fails: args.rerun_fails,
        rerun_fails_max_failures: args.rerun_fails_max_failures,
        shard: match &args.shard {
            Some(arg) => Some(ShardOptions {
                shard: arg.resolve(|name| std::env::var(name).ok())?,
                timings: args.shard_timings.clone(),
                list: args.shard_list,
            }),
            None => None,
        },
    })
}

/// The watch screen is its own: flags for the other output would be
/// silently dropped, so they are refused.
fn refuse_with_watch(args: &RunArgs) -> leakcheck::error::Result<()> {
    let dropped: Vec<&str> = [
        ("--format", args.format.is_some()),
        ("--color", args.color != leakcheck::cli::ColorChoice::Auto),
        ("--jsonfile", args.jsonfile.is_some()),
        ("--annotations", args.annotations),
        ("--stacks", args.stacks != leakcheck::cli::StacksChoice::Compact),
        ("--shard", args.shard.is_some()),
        (
            "a report to standard output (-)",
            leakcheck::report::any_stdout([&args.junitfile, &args.report_json]),
        ),
    ]
    .into_iter()
    .filter_map(|(flag, given)| given.then_some(flag))
    .collect();
    if dropped.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{} cannot be used with --watch (its screen is its own; --junitfile and --report-json are written after each run)",
        dropped.join(", ")
    )))
}

/// The reporters that write to the terminal: the terminal's, and GitHub's
/// annotations.
///
/// A report piped to standard output (`-`) keeps it for itself: the
/// terminal's output goes to standard error then.
fn terminal_reporters(args: &RunArgs, env: impl Fn(&str) -> Option<String>) -> Vec<Box<dyn Reporter>> {
    let piped = leakcheck::report::any_stdout([&args.junitfile, &args.report_json, &args.jsonfile]);
    let out = || -> Box<dyn std::io::Write> {
        if piped {
            Box::new(std::io::stderr())
        } else {
            Box::new(std::io::stdout())
        }
    };
    let is_terminal = if piped {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let terminal = args.terminal_options(is_terminal, &env);
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(TerminalReporter::new(out(), terminal))];
    if args.wants_annotations(&env) {
        let workspace = env("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
        reporters.push(Box::new(AnnotationsReporter::new(out(), workspace)));
    }
    reporters
}

/// The reporters that write files: JUnit, the JSON report, go test's JSON
/// stream, GitHub's step summary.
fn file_reporters(args: &RunArgs, env: impl Fn(&str) -> Option<String>) -> Vec<Box<dyn Reporter>> {
    let mut file_reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if let Some(path) = args.junitfile.clone() {
        file_reporters.push(Box::new(JunitReporter::new(path)));
    }
    if let Some(path) = args.report_json.clone() {
        file_reporters.push(Box::new(JsonReporter::new(path)));
    }
    if let Some(path) = args.jsonfile.clone() {
        file_reporters.push(Box::new(JsonFileReporter::new(path)));
    }
    // GitHub Actions names a file for a Markdown summary of each step.
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        file_reporters.push(Box::new(StepSummaryReporter::new(path.into())));
    }
    file_reporters
}

fn stacks(args: StacksArgs) -> leakcheck::error::Result<ExitCode> {
    let re = |flag: &str, v: &Option<String>| -> leakcheck::error::Result<Option<regex::Regex>> {
        v.as_deref()
            .map(|p| {
                regex::Regex::new(p).map_err(|e| {
                    Error::Usage(format!(
                        "--{flag}: bad regex `{p}`: {}",
                        e.to_string().lines().last().unwrap_or("")
                    ))
                })
            })
            .transpose()
    };
    let label = match &args.label {
        Some(kv) => Some(
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Error::Usage(format!("--label takes KEY=VALUE, not `{kv}`")))?,
        ),
        None => None,
    };
    let filter = StackFilter {
        function: re("function", &args.function)?,
        state: re("state", &args.state)?,
        created_by: re("created-by", &args.created_by)?,
        label,
        min_count: args.min_count,
    };
    let grouped = match args.file.as_deref() {
        None => grouped::group(std::io::stdin().lock(), &filter),
        Some(p) if p.as_os_str() == "-" => grouped::group(std::io::stdin().lock(), &filter),
        Some(p) => {
            let f = std::fs::File::open(p).map_err(|e| Error::io("cannot read", p, e))?;
            grouped::group(f, &filter)
        }
    }
    .map_err(|e| {
        Error::io(
            "cannot read",
            args.file.clone().unwrap_or_else(|| "standard input".into()),
            e,
        )
    })?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &grouped)
            .map_err(std::io::Error::other)
            .and_then(|_| std::io::Write::write_all(&mut out, b"\n"))
    } else {
        grouped::write_text(&mut out, &grouped)
    };
    match written.and_then(|_| std::io::Write::flush(&mut out)) {
        // A reader that stopped early (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::Passed),
        Err(e) => Err(Error::io("cannot write to", "standard output", e)),
        Ok(()) => Ok(ExitCode::Passed),
    }
}
