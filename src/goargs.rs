//! go test's own arguments: everything after `--` on leakcheck's command
//! line, passed through to `go test`.
//!
//! Every question leakcheck asks of them is answered here, and nowhere
//! else: where go test's flags end and the test binary's (`-args …`)
//! begin, which flags leakcheck refuses or warns about, whether the output
//! is verbose, the `-overlay` to merge, the flags `go list` must see too,
//! the flags of `go test` itself and those of a rerun. To teach leakcheck a
//! go test flag, add it here.

use crate::error::{Error, Result};

/// Whether `arg` ends go test's flags: what follows goes to the test
/// binary.
pub fn is_args_separator(arg: &str) -> bool {
    arg == "-args" || arg == "--args"
}

/// go test's flags, and the test binary's arguments from `-args` on (the
/// separator included; empty without one).
pub fn split(go_test_args: &[String]) -> (&[String], &[String]) {
    match go_test_args.iter().position(|a| is_args_separator(a)) {
        Some(i) => go_test_args.split_at(i),
        None => (go_test_args, &[]),
    }
}

/// The name of a flag argument (`-run=x` → `run`), or None for a value.
pub fn flag_name(arg: &str) -> Option<&str> {
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    Some(name.split_once('=').map_or(name, |(n, _)| n))
}

/// Whether the user asked go test for verbose output.
pub fn wants_verbose(go_test_args: &[String]) -> bool {
    split(go_test_args).0.iter().any(|a| {
        matches!(
            a.as_str(),
            "-v" | "--v" | "-v=true" | "--v=true" | "-test.v" | "-test.v=true"
        )
    })
}

/// Refuses go test flags under which no test runs checked, and warns about
/// those under which part of the run is not checked.
pub fn check(go_test_args: &[String]) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    for a in split(go_test_args).0 {
        let Some(name) = flag_name(a) else { continue };
        let refuse = match name.trim_start_matches("test.") {
            "c" | "o" => Some("builds a test binary without running it: there is nothing to check"),
            "list" => Some("lists tests without running them: there is nothing to check"),
            "fuzz" => Some(
                "runs the fuzzing engine, whose workers leakcheck cannot check; leakcheck runs fuzz targets' seed corpora as tests without it",
            ),
            "bench" => {
                warnings.push("benchmarks run but are not checked for leaks (only tests, examples and fuzz seed corpora are)".into());
                None
            }
            _ => None,
        };
        if let Some(why) = refuse {
            return Err(Error::Usage(format!("go test {a} {why}")));
        }
    }
    Ok(warnings)
}

/// The `-overlay` file given on the command line, else in `goflags`
/// (GOFLAGS, which leakcheck's own `-overlay` would override), as given.
pub fn user_overlay<'a>(go_test_args: &'a [String], goflags: &'a str) -> Option<&'a str> {
    let mut it = split(go_test_args).0.iter();
    while let Some(a) = it.next() {
        if flag_name(a) == Some("overlay") {
            return match a.split_once('=') {
                Some((_, v)) => Some(v),
                None => it.next().map(String::as_str),
            };
        }
    }
    goflags
        .split_whitespace()
        .find_map(|f| f.strip_prefix("-overlay=").or_else(|| f.strip_prefix("--overlay=")))
}

/// The user's go test flags without those leakcheck sets itself (`-json`,
/// `-overlay` and its value), in order.
pub fn passed_flags(go_test_args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_value = false;
    for a in split(go_test_args).0 {
        if skip_value {
            skip_value = false;
            continue;
        }
        match flag_name(a) {
            Some("json") => continue,
            Some("overlay") => {
                skip_value = !a.contains('=');
                continue;
            }
            _ => out.push(a.clone()),
        }
    }
    out
}

/// Whether the user set `-vet`.
pub fn sets_vet(go_test_args: &[String]) -> bool {
    split(go_test_args).0.iter().any(|a| flag_name(a) == Some("vet"))
}

/// The go test flags that `go list` must see too, in both `-f=v` and `-f v`
/// forms.
pub fn list_flags(go_test_args: &[String]) -> Vec<String> {
    const WITH_VALUE: &[&str] = &["tags", "mod", "modfile", "overlay", "pgo"];
    const BOOL: &[&str] = &["race", "msan", "asan"];
    let mut out = Vec::new();
    let mut it = go_test_args.iter();
    while let Some(arg) = it.next() {
        if is_args_separator(arg) {
            break;
        }
        let Some(name) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            continue;
        };
        let (flag, inline) = match name.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (name, None),
        };
        if WITH_VALUE.contains(&flag) {
            match inline {
                Some(_) => out.push(arg.clone()),
                None => {
                    // The value may be spelled like the separator: it is
                    // still the value.
                    if let Some(v) = it.next() {
                        out.push(format!("-{flag}={v}"));
                    }
                }
            }
        } else if BOOL.contains(&flag) {
            out.push(arg.clone());
        }
    }
    out
}

/// The go test arguments of a rerun of `tests` (top-level names): the
/// user's, without their test selection and count, plus `-run` for exactly
/// those tests and `-count=1`.
pub fn rerun_args(go_test_args: &[String], tests: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = go_test_args.iter();
    while let Some(a) = it.next() {
        if is_args_separator(a) {
            out.push(a.clone());
            out.extend(it.cloned());
            break;
        }
        match flag_name(a).map(|n| n.trim_start_matches("test.")) {
            Some("run" | "skip" | "count") => {
                // The value may be spelled like the separator: it is
                // still the value.
                if !a.contains('=') {
                    it.next();
                }
            }
            _ => out.push(a.clone()),
        }
    }
    let mut names: Vec<String> = tests.iter().map(|t| regex::escape(t)).collect();
    names.sort();
    names.dedup();
    let mut args = vec![
        "-run".to_string(),
        format!("^(?:{})$", names.join("|")),
        "-count=1".to_string(),
    ];
    args.append(&mut out);
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rerun_args_select_exactly_the_failed_tests() {
        let args = args(&["-run", "TestA", "-count=3", "-race", "-args", "-run", "x"]);
        assert_eq!(
            rerun_args(&args, &["TestB", "TestA.x"]),
            vec![
                "-run",
                r"^(?:TestA\.x|TestB)$",
                "-count=1",
                "-race",
                "-args",
                "-run",
                "x"
            ]
        );
    }

    #[test]
    fn list_flags_keeps_file_selecting_flags_only() {
        let args = args(&[
            "-run",
            "TestA",
            "-tags",
            "x,y",
            "-race",
            "-count=1",
            "-mod=vendor",
            "-args",
            "-tags=z",
        ]);
        assert_eq!(list_flags(&args), vec!["-tags=x,y", "-race", "-mod=vendor"]);
    }

    #[test]
    fn flags_end_at_the_separator() {
        let a = args(&["-v", "-overlay", "/u.json", "-json", "--args", "-v", "-c"]);
        assert_eq!(split(&a).1, &a[4..]);
        assert!(wants_verbose(&a));
        assert!(!wants_verbose(&a[1..]));
        assert!(check(&a).is_ok());
        assert!(check(&args(&["-c"])).is_err());
        assert_eq!(user_overlay(&a, ""), Some("/u.json"));
        assert_eq!(user_overlay(&[], "-mod=mod -overlay=/g.json"), Some("/g.json"));
        assert_eq!(passed_flags(&a), vec!["-v"]);
    }
}
