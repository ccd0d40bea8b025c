//! The `leakcheck` command: parses the command line and runs a session.

use clap::Parser;
use leakcheck::cli::{Cli, Command, StacksArgs};
use leakcheck::error::Error;
use leakcheck::error::ExitCode;
use leakcheck::merge;
use leakcheck::report::json::JsonReporter;
use leakcheck::report::junit::JunitReporter;
use leakcheck::report::terminal::TerminalReporter;
use leakcheck::report::Reporter;
use leakcheck::session::{self, RunOptions};
use leakcheck::shard::ShardOptions;
use leakcheck::stacks::{self as grouped, StackFilter};

fn main() {
    let cli = Cli::parse();
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
    match cli.command {
        Some(Command::Stacks(args)) => return stacks(args),
        Some(Command::Merge(args)) => return merge::run(&args.inputs, args.junitfile, args.report_json),
        None => {}
    }
    let args = cli.run;
    leakcheck::run::interrupt::install().map_err(Error::Usage)?;
    let opts = RunOptions {
        go: args.go.clone(),
        dir: match &args.dir {
            Some(d) => session::current_dir()?.join(d),
            None => session::current_dir()?,
        },
        packages: args.packages.clone(),
        go_test_args: args.go_test_args.clone(),
        grace: args.grace,
        rules: args.flag_rules()?,
        config: args.config.clone(),
        proof: !args.no_proof,
        baseline: args.baseline.clone(),
        update_baseline: args.update_baseline,
        shard: match args.shard {
            Some(arg) => Some(ShardOptions {
                shard: arg.resolve(|name| std::env::var(name).ok())?,
                timings: args.shard_timings.clone(),
                list: args.shard_list,
            }),
            None => None,
        },
    };
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(TerminalReporter::new(
        std::io::stdout(),
        session::wants_verbose(&args.go_test_args),
        args.explain,
    ))];
    if let Some(path) = args.junitfile {
        reporters.push(Box::new(JunitReporter::new(path)));
    }
    if let Some(path) = args.report_json {
        reporters.push(Box::new(JsonReporter::new(path)));
    }
    session::run(&opts, &mut reporters)
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
