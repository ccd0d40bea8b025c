//! go test's own arguments: everything after `--` on leakcheck's command
//! line, passed through to `go test`.
//!
//! They are parsed once, into [`GoTestArgs`], the way go test itself reads
//! them (which flags take a value, where `-args` starts the test binary's),
//! and every question leakcheck asks of them is a method here: which flags
//! it refuses or warns about, whether the output is verbose, the
//! `-overlay` to merge, the flags `go list` must see too, the flags of
//! `go test` itself and those of a rerun. To teach leakcheck a go test
//! flag, add it here.

use crate::error::{Error, Result};

/// go test's flags that take no value (`-v`, not `-v x`), from
/// cmd/go/internal/test/testflag.go and work/build.go. A flag not listed
/// here or in [`VALUE_FLAGS`] is the test binary's: go test takes the
/// argument after it as its value unless that argument is a flag.
const BOOL_FLAGS: &[&str] = &[
    "a",
    "artifacts",
    "asan",
    "benchmem",
    "buildvcs",
    "c",
    "cover",
    "failfast",
    "fullpath",
    "json",
    "linkshared",
    "modcacherw",
    "msan",
    "n",
    "race",
    "short",
    "trimpath",
    "v",
    "work",
    "x",
];

/// go test's flags that take a value, which may be given as the next
/// argument (`-run x`) and may then look like a flag (`-gcflags -N`).
const VALUE_FLAGS: &[&str] = &[
    "C",
    "asmflags",
    "bench",
    "benchtime",
    "blockprofile",
    "blockprofilerate",
    "buildmode",
    "compiler",
    "count",
    "covermode",
    "coverpkg",
    "coverprofile",
    "cpu",
    "cpuprofile",
    "debug-actiongraph",
    "debug-runtime-trace",
    "debug-trace",
    "exec",
    "fuzz",
    "fuzzminimizetime",
    "fuzztime",
    "gccgoflags",
    "gcflags",
    "installsuffix",
    "ldflags",
    "list",
    "memprofile",
    "memprofilerate",
    "mod",
    "modfile",
    "mutexprofile",
    "mutexprofilefraction",
    "o",
    "outputdir",
    "overlay",
    "p",
    "parallel",
    "pgo",
    "pkgdir",
    "run",
    "shuffle",
    "skip",
    "tags",
    "timeout",
    "toolexec",
    "trace",
    "vet",
];

/// The flags that choose which files and packages `go list` sees: it must
/// be given them too.
const LIST_FLAGS: &[&str] = &["tags", "mod", "modfile", "overlay", "pgo", "race", "msan", "asan"];

/// go test's arguments, parsed once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoTestArgs {
    flags: Vec<GoFlag>,
    /// The test binary's arguments: `-args` (or `--args`) and what follows
    /// it, as given; empty without it.
    binary: Vec<String>,
}

/// One of go test's arguments before `-args`: a flag with its value, or a
/// stray word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GoFlag {
    /// The flag's name without dashes and without the `test.` prefix go
    /// test also accepts (`-test.run` is `-run`); None for a word that is
    /// not a flag.
    name: Option<String>,
    /// The value, given inline (`-run=x`) or as the next argument.
    value: Option<String>,
    /// The arguments as given: one, or two for `-run x`.
    given: Vec<String>,
}

impl GoFlag {
    fn is(&self, name: &str) -> bool {
        self.name.as_deref() == Some(name)
    }
}

/// Whether `arg` ends go test's flags: what follows goes to the test
/// binary (`--` too, which go test hands on with what follows).
fn is_args_separator(arg: &str) -> bool {
    arg == "-args" || arg == "--args" || arg == "--"
}

/// A flag argument's name as spelled (`-test.run=x` → `test.run`) and
/// its inline value; None for a word that is not a flag.
fn spelled_flag(arg: &str) -> Option<(&str, Option<&str>)> {
    let spelled = arg
        .strip_prefix("--")
        .or_else(|| arg.strip_prefix('-'))
        .filter(|s| !s.is_empty())?;
    Some(match spelled.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (spelled, None),
    })
}

/// The value of the last `-name` in $GOFLAGS (`-name=v`, or `-name` alone:
/// Some(None)), with or without `test.`; GOFLAGS takes only `-flag=value`
/// forms and bare booleans.
fn goflags_last<'a>(goflags: &'a str, name: &str) -> Option<Option<&'a str>> {
    goflags_fields(goflags)
        .into_iter()
        .filter_map(goflag)
        .filter_map(|(n, v)| (n == name).then_some(v))
        .next_back()
}

/// Why leakcheck refuses go test's flag `name` with this value (given
/// inline or as the next argument; None for a bare flag), if it does: with
/// it, go test checks nothing.
fn refusal(name: &str, value: Option<&str>) -> Option<&'static str> {
    let set = go_bool(value) != Some(false);
    let given = value.is_some_and(|v| !v.is_empty());
    match name {
        "c" if set => Some("builds a test binary without running it: there is nothing to check"),
        "n" if set => Some("prints go's commands without running them: there is nothing to check"),
        "C" => Some("must come first on go's command line: use leakcheck's own -C DIR"),
        "list" if given => Some("lists tests without running them: there is nothing to check"),
        "fuzz" if given => Some(
            "runs the fuzzing engine, whose workers leakcheck cannot check; leakcheck runs fuzz targets' seed corpora as tests without it",
        ),
        _ => None,
    }
}

/// One entry of $GOFLAGS read as go reads it: its name, without `test.`,
/// and its value; None for a word that is no flag.
fn goflag(entry: &str) -> Option<(&str, Option<&str>)> {
    let f = entry.strip_prefix("--").or_else(|| entry.strip_prefix('-'))?;
    let f = f.strip_prefix("test.").unwrap_or(f);
    Some(match f.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (f, None),
    })
}

/// testing's flags that take a value (`-test.run X`): the next argument
/// is theirs when none is given with `=`.
const TEST_VALUE_FLAGS: &[&str] = &[
    "run",
    "skip",
    "count",
    "cpu",
    "parallel",
    "timeout",
    "shuffle",
    "bench",
    "benchtime",
    "list",
    "coverprofile",
    "cpuprofile",
    "memprofile",
    "memprofilerate",
    "blockprofile",
    "blockprofilerate",
    "mutexprofile",
    "mutexprofilefraction",
    "trace",
    "outputdir",
    "fuzz",
    "fuzztime",
    "fuzzminimizetime",
    "fuzzcachedir",
    "gocoverdir",
    "testlogfile",
    "artifacts",
];

/// A boolean flag's value as Go's flag package reads it (strconv.ParseBool);
/// None for anything else.
fn go_bool(value: Option<&str>) -> Option<bool> {
    match value {
        None => Some(true),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Some(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Some(false),
        Some(_) => None,
    }
}

/// The flags that name files a run writes: a rerun, and the run of the
/// packages that did not build with the helper, leave them out, so that
/// they keep the whole run's (a profile of the later run alone would
/// replace them).
pub const OUTPUT_FLAGS: &[&str] = &[
    "blockprofile",
    "coverprofile",
    "cpuprofile",
    "memprofile",
    "mutexprofile",
    "o",
    "trace",
];

/// `$GOFLAGS` without the flags that name files a run writes
/// ([`OUTPUT_FLAGS`]), for a later run whose profile would replace the
/// whole run's.
pub fn without_output_flags(goflags: &str) -> String {
    goflags_fields(goflags)
        .into_iter()
        .filter(|f| goflag(f).is_none_or(|(name, _)| !OUTPUT_FLAGS.contains(&name)))
        .map(|f| match (f.contains(char::is_whitespace), f.contains('\'')) {
            (false, _) => f.to_string(),
            (true, false) => format!("'{f}'"),
            (true, true) => format!("\"{f}\""),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// $GOFLAGS split as go splits it (cmd/internal/quoted): at white space,
/// a field wholly in single or double quotes being one field, without them
/// (`'-gcflags=-N -c=2'` is one flag).
fn goflags_fields(goflags: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = goflags.trim_start();
    while let Some(&q) = rest.as_bytes().first() {
        if q == b'\'' || q == b'"' {
            if let Some(end) = rest[1..].find(char::from(q)) {
                out.push(&rest[1..1 + end]);
                rest = rest[end + 2..].trim_start();
                continue;
            }
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    out
}

impl GoTestArgs {
    /// Reads `args` as go test does.
    pub fn parse(args: &[String]) -> GoTestArgs {
        let mut flags = Vec::new();
        let mut it = args.iter().enumerate().peekable();
        while let Some((i, arg)) = it.next() {
            if is_args_separator(arg) {
                return GoTestArgs {
                    flags,
                    binary: args[i..].to_vec(),
                };
            }
            let Some((spelled, inline)) = spelled_flag(arg) else {
                flags.push(GoFlag {
                    name: None,
                    value: None,
                    given: vec![arg.clone()],
                });
                continue;
            };
            let name = spelled.strip_prefix("test.").unwrap_or(spelled).to_string();
            let mut flag = GoFlag {
                value: inline.map(str::to_string),
                given: vec![arg.clone()],
                name: Some(name),
            };
            if flag.value.is_none() {
                let name = flag.name.as_deref().unwrap_or_default();
                let takes_next = if VALUE_FLAGS.contains(&name) {
                    // The value may be spelled like a flag, or like the
                    // separator: it is still the value.
                    true
                } else {
                    !BOOL_FLAGS.contains(&name) && it.peek().is_some_and(|(_, next)| !next.starts_with('-'))
                };
                if takes_next {
                    if let Some((_, v)) = it.next() {
                        flag.value = Some(v.clone());
                        flag.given.push(v.clone());
                    }
                }
            }
            flags.push(flag);
        }
        GoTestArgs {
            flags,
            binary: Vec::new(),
        }
    }

    /// The test binary's arguments, `-args` (or `--`) included (empty
    /// without it).
    pub fn binary_args(&self) -> &[String] {
        &self.binary
    }

    /// The value of the last `-name` given (go test takes the last one):
    /// None when it is not given, Some(None) when given without a value.
    fn last(&self, name: &str) -> Option<Option<&str>> {
        self.flags.iter().rfind(|f| f.is(name)).map(|f| f.value.as_deref())
    }

    /// Whether the user asked go test for verbose output.
    pub fn wants_verbose(&self) -> bool {
        // `-v=test2json` is verbose too.
        self.last("v").is_some_and(|v| go_bool(v) != Some(false))
    }

    /// Whether benchmarks are asked for (`-bench` with a pattern): go test
    /// then streams every package's output, as with -v.
    pub fn benchmarks(&self) -> bool {
        self.last("bench").flatten().is_some_and(|v| !v.is_empty())
    }

    /// Whether the user turned go test's vet step off (`-vet=off`).
    pub fn vet_off(&self) -> bool {
        self.last("vet") == Some(Some("off"))
    }

    /// Whether go test writes an execution trace (`-trace FILE`): testing
    /// then runs the tracer's reader goroutine.
    pub fn traces(&self) -> bool {
        self.last("trace").flatten().is_some_and(|v| !v.is_empty())
    }

    /// How many times go test runs each test per `-cpu` value (`-count`,
    /// here or in `goflags`, $GOFLAGS; 1 when not given or not a number).
    pub fn count(&self, goflags: &str) -> u32 {
        self.last("count")
            .or_else(|| goflags_last(goflags, "count"))
            .flatten()
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1)
    }

    /// Whether go test stops at the first failure (`-failfast`, here or in
    /// `goflags`, $GOFLAGS, which the command line overrides): it then
    /// starts no further package.
    pub fn fails_fast(&self, goflags: &str) -> bool {
        self.last("failfast")
            .or_else(|| goflags_last(goflags, "failfast"))
            .is_some_and(|v| go_bool(v) == Some(true))
    }

    /// Refuses go test flags under which no test runs checked, and warns
    /// about those under which part of the run is not checked.
    pub fn check(&self) -> Result<Vec<String>> {
        let mut warnings = Vec::new();
        // Words before the first flag continue go test's package list
        // (after a flag, go test hands them to the test binary): go test
        // would test them without the helper, which leakcheck never listed.
        if let Some(word) = self
            .flags
            .iter()
            .take_while(|f| f.name.is_none())
            .map(|f| &f.given[0])
            .next()
        {
            return Err(Error::Usage(format!(
                "{word} right after -- is a package to go test: name packages before --"
            )));
        }
        for f in &self.flags {
            if let Some(why) = f.name.as_deref().and_then(|name| refusal(name, f.value.as_deref())) {
                return Err(Error::Usage(format!("go test {} {why}", f.given[0])));
            }
            match f.name.as_deref() {
                Some("bench") => warnings.push(
                    "benchmarks run but are not checked for leaks (only tests, examples and fuzz seed corpora are)".into(),
                ),
                Some("o") if f.value.as_deref().is_some_and(|v| !v.is_empty()) => warnings.push(
                    "-o saves the test binary leakcheck ran: leakcheck's helper is compiled into it".into(),
                ),
                Some("json") if go_bool(f.value.as_deref()) != Some(false) => warnings.push(
                    "-json is how leakcheck reads go test, so its output stays leakcheck's; --jsonfile FILE writes go test's JSON stream".into(),
                ),
                _ => {}
            }
        }
        // The test binary's own -test.v, given after -args, replaces the
        // -test.v=test2json go test -json passes it: no test's events
        // would be reported (false; any value testing refuses fails the
        // binary), and the helper's checks could not be matched with them.
        // Read as the binary's flag package reads its arguments: up to the
        // first one that is not a flag, or a flag of its own whose value
        // may be the next argument (its flags are not known here).
        let mut args = self.binary.iter().skip(1);
        while let Some(arg) = args.next() {
            let Some(flag) = arg
                .strip_prefix("--")
                .or_else(|| arg.strip_prefix('-'))
                .filter(|f| !f.is_empty())
            else {
                break;
            };
            match flag.split_once('=') {
                Some(("test.v", v)) if v != "true" && v != "test2json" => {
                    return Err(Error::Usage(format!(
                        "go test -args {arg} turns off the per-test events (-test.v=test2json) that leakcheck reads: leave -test.v out (-v is fine)"
                    )));
                }
                Some(_) => {}
                None => match flag.strip_prefix("test.") {
                    Some(name) if TEST_VALUE_FLAGS.contains(&name) => {
                        args.next();
                    }
                    Some(_) => {}
                    None => break,
                },
            }
        }
        Ok(warnings)
    }

    /// $GOFLAGS checked as the command line is: a flag there that leaves
    /// nothing to check, unless the command line gives it again (which
    /// go lets override it).
    pub fn check_goflags(&self, goflags: &str) -> Result<()> {
        for (name, value) in goflags_fields(goflags).into_iter().filter_map(goflag) {
            if let Some(why) = refusal(name, value).filter(|_| self.last(name).is_none()) {
                return Err(Error::Usage(format!("GOFLAGS sets -{name}, which {why}")));
            }
        }
        Ok(())
    }

    /// Whether go test measures coverage (`-cover`, `-coverprofile`,
    /// `-coverpkg`, `-covermode`, here or in `goflags`): go then compiles
    /// the original non-test files, not the overlay's.
    pub fn covers(&self, goflags: &str) -> bool {
        const COVER: [&str; 4] = ["cover", "coverprofile", "coverpkg", "covermode"];
        let off = |v: Option<&str>| v.is_some_and(|v| go_bool(Some(v)) == Some(false));
        self.flags
            .iter()
            .any(|f| COVER.iter().any(|c| f.is(c)) && !(f.is("cover") && off(f.value.as_deref())))
            || COVER
                .iter()
                .any(|c| goflags_last(goflags, c).is_some_and(|v| !(*c == "cover" && off(v))))
    }

    /// Whether `-coverpkg` (given on the command line, else in `goflags`)
    /// may name a standard library package (`all`, `std`, `...`, a path
    /// whose first element has no dot): go's cover tool reads such a
    /// package's files from the disk, where the files the overlay adds to
    /// one are not.
    pub fn covers_std(&self, goflags: &str) -> bool {
        let Some(patterns) = self
            .last("coverpkg")
            .flatten()
            .or_else(|| goflags_last(goflags, "coverpkg").flatten())
        else {
            return false;
        };
        patterns.split(',').map(str::trim).any(|p| {
            let local = p.is_empty() || p.starts_with('/') || [".", ".."].contains(&p.split('/').next().unwrap_or(""));
            let first = p.split('/').next().unwrap_or("");
            !local && (first.contains("...") || !first.contains('.'))
        })
    }

    /// Where go test writes the coverage profile (`-coverprofile`, given
    /// on the command line, else in `goflags`): a relative path is in
    /// `-outputdir`, itself relative to `dir`, as go test has it.
    pub fn cover_profile(&self, goflags: &str, dir: &std::path::Path) -> Option<std::path::PathBuf> {
        let given = |name: &str| {
            self.last(name)
                .flatten()
                .or_else(|| goflags_last(goflags, name).flatten())
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from)
        };
        let profile = given("coverprofile")?;
        Some(dir.join(given("outputdir").unwrap_or_default()).join(profile))
    }

    /// The `-overlay` file given on the command line, else in `goflags`
    /// (GOFLAGS, which leakcheck's own `-overlay` would override), as
    /// given.
    pub fn user_overlay<'a>(&'a self, goflags: &'a str) -> Option<&'a str> {
        if let Some(f) = self.flags.iter().find(|f| f.is("overlay")) {
            return f.value.as_deref();
        }
        goflags_fields(goflags)
            .into_iter()
            .find_map(|f| f.strip_prefix("-overlay=").or_else(|| f.strip_prefix("--overlay=")))
    }

    /// The user's go test flags without those leakcheck sets itself
    /// (`-json`, `-overlay`; `-v`, which `-json` implies and `-v=false`
    /// would undo) and those named in `except`, in order, as given.
    pub fn passed_flags(&self, except: &[&str]) -> Vec<String> {
        self.given(|f| {
            // A -v go test cannot read stays, for go test to refuse.
            let implied = f.is("v") && go_bool(f.value.as_deref()).is_some();
            !implied && !["json", "overlay"].iter().chain(except).any(|name| f.is(name))
        })
    }

    /// The go test flags that `go list` must see too.
    pub fn list_flags(&self) -> Vec<String> {
        self.flags
            .iter()
            .filter_map(|f| {
                let name = f.name.as_deref().filter(|n| LIST_FLAGS.contains(n))?;
                Some(match &f.value {
                    Some(v) => format!("-{name}={v}"),
                    None => format!("-{name}"),
                })
            })
            .collect()
    }

    /// The go test arguments of a rerun of `tests` (top-level names): the
    /// user's, with `-run` for exactly those tests (and the subtests the
    /// user's `-run` selects in them; the user's `-skip` stays) and
    /// `-count=1`, without the files the first run wrote
    /// ([`OUTPUT_FLAGS`]) or a selection among the binary's arguments.
    pub fn rerun(&self, tests: &[&str]) -> GoTestArgs {
        let user_run = self.last("run").flatten();
        let run = rerun_pattern(tests, user_run.unwrap_or(""));
        let mut flags = vec![
            GoFlag {
                name: Some("run".into()),
                given: vec!["-run".into(), run.clone()],
                value: Some(run),
            },
            GoFlag {
                name: Some("count".into()),
                value: Some("1".into()),
                given: vec!["-count=1".into()],
            },
        ];
        flags.extend(
            self.flags
                .iter()
                .filter(|f| !f.is("run") && !f.is("count") && !OUTPUT_FLAGS.iter().any(|n| f.is(n)))
                .cloned(),
        );
        // The binary reads its own arguments last: a -test.run there would
        // undo the rerun's.
        let mut binary = Vec::new();
        let mut words = self.binary.iter();
        while let Some(w) = words.next() {
            if let Some(("test.run" | "test.count", inline)) = spelled_flag(w) {
                if inline.is_none() {
                    words.next();
                }
                continue;
            }
            binary.push(w.clone());
        }
        GoTestArgs { flags, binary }
    }

    /// The arguments, as given.
    #[cfg(test)]
    fn words(&self) -> Vec<String> {
        let mut words = self.given(|_| true);
        words.extend(self.binary.iter().cloned());
        words
    }

    /// The flags `keep` keeps, as given.
    fn given(&self, keep: impl Fn(&GoFlag) -> bool) -> Vec<String> {
        self.flags
            .iter()
            .filter(|f| keep(f))
            .flat_map(|f| f.given.iter().cloned())
            .collect()
    }
}

/// The `-run` pattern of a rerun of `tests`: each of the user's
/// alternatives (`A/x|B`, split as package testing splits them) with its
/// first level replaced by those of `tests` it matches, so the subtests it
/// selects stay selected. An alternative whose first level Rust's regex
/// cannot read (Go's `\Q…\E`) stays as the user wrote it: it selects the
/// subtests the user did, in perhaps more tests than failed.
fn rerun_pattern(tests: &[&str], user_run: &str) -> String {
    let mut names: Vec<&str> = tests.to_vec();
    names.sort();
    names.dedup();
    let anchored = |names: &[&str]| {
        let escaped: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
        format!("^(?:{})$", escaped.join("|"))
    };
    let mut alternatives = Vec::new();
    for levels in split_run_pattern(user_run) {
        let mut alternative = match regex::Regex::new(&levels[0]) {
            Ok(first) => {
                let matched: Vec<&str> = names.iter().copied().filter(|n| first.is_match(n)).collect();
                if matched.is_empty() {
                    continue;
                }
                anchored(&matched)
            }
            Err(_) => levels[0].clone(),
        };
        for level in &levels[1..] {
            alternative.push('/');
            alternative.push_str(level);
        }
        alternatives.push(alternative);
    }
    if alternatives.is_empty() {
        return anchored(&names);
    }
    alternatives.join("|")
}

/// A `-run` pattern's alternatives, each as its levels (package testing's
/// splitRegexp: `/` and `|` outside brackets and parentheses).
fn split_run_pattern(pattern: &str) -> Vec<Vec<String>> {
    let mut alternatives = Vec::new();
    let mut levels = Vec::new();
    let (mut brackets, mut parens) = (0i32, 0i32);
    let mut start = 0;
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => brackets += 1,
            b']' => brackets = (brackets - 1).max(0),
            b'(' if brackets == 0 => parens += 1,
            b')' if brackets == 0 => parens -= 1,
            b'\\' => i += 1,
            b'/' | b'|' if brackets == 0 && parens == 0 => {
                levels.push(pattern[start..i].to_string());
                if bytes[i] == b'|' {
                    alternatives.push(std::mem::take(&mut levels));
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    levels.push(pattern[start.min(pattern.len())..].to_string());
    alternatives.push(levels);
    alternatives
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> GoTestArgs {
        GoTestArgs::parse(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn rerun_args_select_exactly_the_failed_tests() {
        let args = parse(&["-run", "Test", "-count=3", "-race", "-args", "-run", "x"]);
        assert_eq!(
            args.rerun(&["TestB", "TestA.x"]).words(),
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
    fn goflags_are_split_as_go_splits_them() {
        assert_eq!(
            goflags_fields(" -mod=mod  '-gcflags=-N -c=2' \"-ldflags=-X 'a=b'\" -v"),
            vec!["-mod=mod", "-gcflags=-N -c=2", "-ldflags=-X 'a=b'", "-v"]
        );
        let none = parse(&[]);
        assert!(none.check_goflags("'-gcflags=-N -c=2' -count=1").is_ok());
        assert!(none.check_goflags("-c").is_err());
        assert!(parse(&["-c=false"]).check_goflags("-c").is_ok());
        assert_eq!(
            without_output_flags("'-gcflags=-N -l' -coverprofile=c.out -count=1"),
            "'-gcflags=-N -l' -count=1"
        );
    }

    #[test]
    fn list_flags_keeps_file_selecting_flags_only() {
        let args = parse(&[
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
        assert_eq!(args.list_flags(), vec!["-tags=x,y", "-race", "-mod=vendor"]);
    }

    #[test]
    fn flags_end_at_the_separator() {
        let a = parse(&["-v", "-overlay", "/u.json", "-json", "--args", "-v", "-c"]);
        assert_eq!(a.binary_args(), ["--args", "-v", "-c"]);
        assert!(a.wants_verbose());
        assert!(!parse(&["-overlay", "/u.json", "--args", "-v"]).wants_verbose());
        assert!(a.check().is_ok());
        assert!(parse(&["-c"]).check().is_err());
        assert_eq!(a.user_overlay(""), Some("/u.json"));
        assert_eq!(parse(&[]).user_overlay("-mod=mod -overlay=/g.json"), Some("/g.json"));
        for (args, goflags, std) in [
            (&["-coverpkg=all"][..], "", true),
            (&["-coverpkg", "./...,std"][..], "", true),
            (&["-coverpkg=./...,example.com/m/..."][..], "", false),
            (&["-cover"][..], "-coverpkg=...", true),
            (&["-coverpkg=/abs/dir"][..], "-coverpkg=all", false),
            (&["-coverpkg=../other/...,."][..], "", false),
            (&[][..], "", false),
        ] {
            assert_eq!(parse(args).covers_std(goflags), std, "{args:?} {goflags}");
        }
        assert_eq!(a.passed_flags(&[]), Vec::<String>::new(), "-json implies -v");
        assert_eq!(parse(&["-vet=off", "-short"]).passed_flags(&["vet"]), vec!["-short"]);
    }

    #[test]
    fn what_go_test_accepts_is_refused_only_when_nothing_would_be_checked() {
        assert_eq!(
            parse(&["-o", "x.test"]).check().unwrap(),
            vec!["-o saves the test binary leakcheck ran: leakcheck's helper is compiled into it"]
        );
        for ok in [
            &["-o=/tmp/x.test"][..],
            &["-c=false"],
            &["-fuzz="],
            &["-list="],
            &["-n=false"],
            &["-count=1", "--", "-c"],
            &["-args", "-test.v"],
            &["-args", "-test.v=true", "-test.count=2"],
            &["-args", "-test.v=test2json"],
            // A value of the test's own flag, or after a positional argument.
            &["-args", "-msg", "-test.v=false"],
            &["-args", "pos", "-test.v=false"],
            &["-args", "--", "-test.v=false"],
            // After a flag, words go to the test binary.
            &["-v", "foo"],
            &["-count=1", "./..."],
            &["-run", "TestA", "pos"],
            &["-update", "a", "b"],
        ] {
            assert!(parse(ok).check().is_ok(), "{ok:?}");
        }
        for refused in [
            &["./pkg"][..],
            &["./pkg", "-count=1"],
            &["-count=1", "-args", "-test.v=false"],
            &["-args", "--test.v=0"],
            &["-args", "-x=1", "-test.short", "-test.v=junk"],
            &["-args", "-test.count", "1", "-test.run", "TestA", "-test.v=false"],
            &["-args", "-test.v=1"],
            &["-c"][..],
            &["-c=true"],
            &["-n"],
            &["-list", "."],
            &["-fuzz=F"],
            &["-C", "dir"],
        ] {
            assert!(parse(refused).check().is_err(), "{refused:?}");
        }
        // The last -v wins, and Go's booleans are read as Go reads them.
        assert!(!parse(&["-v", "-v=false"]).wants_verbose());
        assert!(parse(&["-v=1"]).wants_verbose());
        assert!(!parse(&["-test.v=F"]).wants_verbose());
        // `--` hands the rest to the test binary, as -args does.
        assert_eq!(parse(&["-count=1", "--", "-x"]).binary_args(), ["--", "-x"]);
    }

    #[test]
    fn a_rerun_keeps_the_users_subtest_selection_and_writes_no_profile() {
        let rerun = |args: &[&str], tests: &[&str]| parse(args).rerun(tests).words();
        // The subtests the user selected, in the failed tests the
        // alternative selects; -skip stays as it was.
        assert_eq!(
            rerun(
                &["-run", "TestA/flaky|TestB", "-skip", "TestA/slow"],
                &["TestA", "TestB"]
            ),
            vec![
                "-run",
                "^(?:TestA)$/flaky|^(?:TestB)$",
                "-count=1",
                "-skip",
                "TestA/slow"
            ]
        );
        // Go's \Q…\E, which Rust's regex does not read: the user's own.
        assert_eq!(
            rerun(&["-run", r"TestB/sub|TestA\Q\E/x"], &["TestA", "TestB"]),
            vec!["-run", r"^(?:TestB)$/sub|TestA\Q\E/x", "-count=1"]
        );
        assert_eq!(parse(&["-v=junk"]).passed_flags(&[]), ["-v=junk"], "go test refuses it");
        assert_eq!(
            rerun(&["-run=(TestA|TestB)/x/[a/b]"], &["TestB"]),
            vec!["-run", "^(?:TestB)$/x/[a/b]", "-count=1"]
        );
        // Profiles keep the whole run's; a -test.run among the binary's
        // arguments would override the rerun's.
        assert_eq!(
            rerun(
                &[
                    "-coverprofile=c.out",
                    "-cpuprofile",
                    "p.out",
                    "-cover",
                    "-args",
                    "-test.run",
                    "X",
                    "-marker"
                ],
                &["TestA"]
            ),
            vec!["-run", "^(?:TestA)$", "-count=1", "-cover", "-args", "-marker"]
        );
    }

    #[test]
    fn a_value_is_read_as_go_test_reads_it() {
        // A known flag's value may look like a flag or the separator.
        let a = parse(&["-run", "-c", "-gcflags", "-N -l", "-tags", "-args", "-v"]);
        assert!(a.check().is_ok(), "-c is -run's value");
        assert!(a.binary_args().is_empty(), "-args is -tags' value");
        assert_eq!(a.list_flags(), vec!["-tags=-args"]);
        assert!(a.wants_verbose(), "-v is a flag again");
        // -test.x is -x; -v=false is not verbose.
        assert!(parse(&["-test.v"]).wants_verbose());
        assert!(!parse(&["-v=false"]).wants_verbose());
        assert!(parse(&["-test.c"]).check().is_err());
        // An unknown flag (the test binary's) takes the next word, not the
        // next flag.
        let a = parse(&["-update", "golden", "-count", "2", "-race"]);
        let rerun = a.rerun(&["TestA"]);
        assert_eq!(
            rerun.words(),
            vec!["-run", "^(?:TestA)$", "-count=1", "-update", "golden", "-race"]
        );
        assert_eq!(
            rerun,
            GoTestArgs::parse(&rerun.words()),
            "a rerun's arguments read back the same"
        );
        let a = parse(&["-update", "-list", "x"]);
        assert!(a.check().is_err(), "-list is a flag after a boolean");
        // Bench warns; its value is not a flag.
        assert_eq!(parse(&["-bench", "."]).check().unwrap().len(), 1);
        // The user's -json changes nothing but is never silently dropped.
        let json = parse(&["-json"]).check().unwrap();
        assert!(json.len() == 1 && json[0].contains("--jsonfile"), "{json:?}");
        assert!(parse(&["-json=false"]).check().unwrap().is_empty());
        // The last spelling of a flag wins, in every form.
        assert!(parse(&["-vet=all", "-vet", "off"]).vet_off());
        assert!(!parse(&["-vet=off", "-vet=printf"]).vet_off());
        assert!(parse(&["-trace", "t.out"]).traces());
        assert!(!parse(&["-trace=t.out", "-trace="]).traces());
        assert!(parse(&["-failfast"]).fails_fast(""));
        assert!(!parse(&["-failfast", "-failfast=false"]).fails_fast(""));
        assert!(parse(&["-count=1"]).fails_fast("-mod=mod -failfast"));
        assert!(parse(&[]).fails_fast("--failfast=true"));
        assert!(
            !parse(&["-failfast=false"]).fails_fast("-failfast"),
            "the command line wins"
        );
        assert!(!parse(&[]).fails_fast("-failfast=false -v"));
        assert!(parse(&[]).fails_fast("-test.failfast"));
        assert_eq!(parse(&["-count=3", "-cpu", "1,2"]).count(""), 3);
        assert_eq!(parse(&["-count", "2"]).count("-count=5"), 2);
        assert_eq!(parse(&[]).count("-count=5 -v"), 5);
        assert_eq!(parse(&["-count=x"]).count(""), 1);
        assert_eq!(parse(&[]).count(""), 1);
    }
}
