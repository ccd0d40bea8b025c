//! The `leakcheck` command: parses the command line and runs a session.

use clap::Parser;
use leakcheck::cli::Cli;
use leakcheck::error::ExitCode;
use leakcheck::report::json::JsonReporter;
use leakcheck::report::junit::JunitReporter;
use leakcheck::report::terminal::TerminalReporter;
use leakcheck::report::Reporter;
use leakcheck::session::{self, RunOptions};

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
    let args = cli.run;
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
