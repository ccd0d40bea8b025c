//! `leakcheck.toml`: settings and ignore rules kept with the code.
//!
//! Found at the module (or workspace) root, or given with `--config`.
//! Every mistake is an error naming the file and line (exit 2): unknown
//! keys, wrong types, regular expressions that do not compile or that Go's
//! regexp (the helper applies the rules too) would not read as Rust's does.
//!
//! ```toml
//! grace = "1s"
//!
//! [[ignore]]
//! top_function = "net/http.(*persistConn).readLoop"
//! reason = "the shared client keeps connections alive on purpose"
//!
//! [[ignore]]
//! created_by = { regex = '^go\.opencensus\.io/' }
//! package = "example.com/svc/..."
//! test = { regex = "^TestIntegration" }
//! reason = "opencensus starts its exporter lazily"
//!
//! [[diagnosis]]
//! name = "bus-subscriber"
//! any_function = "example.com/svc/bus.(*Bus).deliver"
//! waits = "a bus subscriber waiting for events"
//! fix = "unsubscribe when done (defer sub.Close())"
//! ```

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::analyse::diagnose::DiagnosisRule;
use crate::analyse::rules::{IgnoreRule, Matcher, RegexError};
use crate::error::{Error, Result};

/// The file name looked for at the module root.
pub const FILE_NAME: &str = "leakcheck.toml";

/// What a configuration file says.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// `grace`, when set.
    pub grace: Option<Duration>,
    /// `[[ignore]]` rules, in file order.
    pub rules: Vec<IgnoreRule>,
    /// `[[diagnosis]]` rules, in file order (tried before the built-in ones).
    pub diagnoses: Vec<DiagnosisRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    grace: Option<toml::Spanned<String>>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<RuleFile>>,
    #[serde(default)]
    diagnosis: Vec<toml::Spanned<DiagnosisFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnosisFile {
    name: Option<String>,
    state: Option<toml::Spanned<MatcherFile>>,
    top_function: Option<toml::Spanned<MatcherFile>>,
    any_function: Option<toml::Spanned<MatcherFile>>,
    created_by: Option<toml::Spanned<MatcherFile>>,
    top_line: Option<toml::Spanned<MatcherFile>>,
    min_count: Option<usize>,
    waits: String,
    fix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: Option<String>,
    top_function: Option<toml::Spanned<MatcherFile>>,
    any_function: Option<toml::Spanned<MatcherFile>>,
    created_by: Option<toml::Spanned<MatcherFile>>,
    state: Option<toml::Spanned<MatcherFile>>,
    package: Option<toml::Spanned<MatcherFile>>,
    test: Option<toml::Spanned<MatcherFile>>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MatcherFile {
    Exact(String),
    Table(MatcherTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatcherTable {
    exact: Option<String>,
    regex: Option<String>,
}

/// Finds `leakcheck.toml` in `root`.
pub fn find(root: &Path) -> Option<PathBuf> {
    let p = root.join(FILE_NAME);
    p.is_file().then_some(p)
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config> {
    let text = read_input(path, 64 << 20).map_err(|e| Error::io("cannot read", path, e))?;
    parse(&text, path)
}

/// Reads a file the user named (a config, baseline, timings or report
/// file), refusing one larger than `cap` bytes: `--config /dev/zero` read
/// until the machine ran out of memory.
pub fn read_input(path: &Path, cap: u64) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let file = fs::File::open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_char_device() || kind.is_block_device() {
        // `/dev/zero` would fill the cap before it is refused.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a device, not a file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {} MiB, not a file leakcheck reads", cap >> 20),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")))
}

/// Parses `500ms`, `2s`, `1m30s`, or plain seconds (`2`).
pub fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let d = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            std::time::Duration::try_from_secs_f64(secs).map_err(|_| format!("`{s}` is too long"))?
        }
        _ => humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration like 500ms or 2s ({e})"))?,
    };
    // The helper keeps it in milliseconds in an int64; a longer wait than a
    // day is a mistake, not a grace period.
    if d > MAX_DURATION {
        return Err(format!("`{s}` is longer than 24h"));
    }
    Ok(d)
}

/// The longest grace period (or other wait) leakcheck accepts.
const MAX_DURATION: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Parses configuration text; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let err = |span: Option<Range<usize>>, message: String| Error::Config {
        file: path.to_path_buf(),
        line: span.map_or(1, |s| line_of(text, s.start)),
        message,
    };
    let file: ConfigFile = toml::from_str(text).map_err(|e| err(e.span(), e.message().trim().to_string()))?;
    let grace = match &file.grace {
        Some(g) => Some(parse_duration(g.get_ref()).map_err(|m| err(Some(g.span()), format!("grace: {m}")))?),
        None => None,
    };
    let mut rules = Vec::new();
    for spanned in &file.ignore {
        let line = line_of(text, spanned.span().start);
        let r = spanned.get_ref();
        // Errors in a named rule say which.
        let rule = r
            .name
            .as_ref()
            .map(|n| format!("[[ignore]] {n:?}: "))
            .unwrap_or_default();
        let matcher =
            |field: &'static str, m: &Option<toml::Spanned<MatcherFile>>| parse_matcher(m, field, &rule, &err);
        let rule = IgnoreRule {
            name: r.name.clone().unwrap_or_else(|| format!("{}:{line}", FILE_NAME)),
            top_function: matcher("top_function", &r.top_function)?,
            any_function: matcher("any_function", &r.any_function)?,
            created_by: matcher("created_by", &r.created_by)?,
            state: matcher("state", &r.state)?,
            package: matcher("package", &r.package)?,
            test: matcher("test", &r.test)?,
            reason: r.reason.clone().unwrap_or_default(),
        };
        if rule.top_function.is_none()
            && rule.any_function.is_none()
            && rule.created_by.is_none()
            && rule.state.is_none()
        {
            return Err(err(
                Some(spanned.span()),
                "an [[ignore]] rule needs top_function, any_function, created_by or state".into(),
            ));
        }
        rules.push(rule);
    }
    let mut diagnoses = Vec::new();
    for spanned in &file.diagnosis {
        let line = line_of(text, spanned.span().start);
        let d = spanned.get_ref();
        let prefix = d
            .name
            .as_ref()
            .map(|n| format!("[[diagnosis]] {n:?}: "))
            .unwrap_or_default();
        let matcher =
            |field: &'static str, m: &Option<toml::Spanned<MatcherFile>>| parse_matcher(m, field, &prefix, &err);
        let rule = DiagnosisRule {
            name: d.name.clone().unwrap_or_else(|| format!("{}:{line}", FILE_NAME)),
            state: matcher("state", &d.state)?,
            top_function: matcher("top_function", &d.top_function)?,
            any_function: matcher("any_function", &d.any_function)?,
            created_by: matcher("created_by", &d.created_by)?,
            top_line: matcher("top_line", &d.top_line)?,
            min_count: d.min_count.unwrap_or(0),
            waits: d.waits.clone(),
            fix: d.fix.clone(),
        };
        if rule.state.is_none()
            && rule.top_function.is_none()
            && rule.any_function.is_none()
            && rule.created_by.is_none()
            && rule.top_line.is_none()
            && rule.min_count == 0
        {
            return Err(err(
                Some(spanned.span()),
                "a [[diagnosis]] rule needs state, top_function, any_function, created_by, top_line or min_count"
                    .into(),
            ));
        }
        diagnoses.push(rule);
    }
    Ok(Config {
        path: Some(path.to_path_buf()),
        grace,
        rules,
        diagnoses,
    })
}

/// One matcher of a rule: a string (exact), `{ exact = … }` or
/// `{ regex = … }`; `package` takes Go's `...` patterns too. `prefix` names
/// the rule in errors.
fn parse_matcher(
    m: &Option<toml::Spanned<MatcherFile>>,
    field: &'static str,
    prefix: &str,
    err: &impl Fn(Option<Range<usize>>, String) -> Error,
) -> Result<Option<Matcher>> {
    let Some(m) = m else { return Ok(None) };
    let at = Some(m.span());
    let pattern_field = field == "package";
    match m.get_ref() {
        MatcherFile::Exact(s) if pattern_field && s.contains("...") => Ok(Some(
            Matcher::regex(&package_pattern(s)).map_err(|e| err(at, format!("{prefix}{field}: {e}")))?,
        )),
        MatcherFile::Exact(s) => Ok(Some(Matcher::Exact(s.clone()))),
        MatcherFile::Table(MatcherTable {
            exact: Some(s),
            regex: None,
        }) => Ok(Some(Matcher::Exact(s.clone()))),
        MatcherFile::Table(MatcherTable {
            exact: None,
            regex: Some(re),
        }) => {
            Ok(Some(Matcher::regex(re).map_err(|e| {
                err(at, format!("{prefix}{field}: {}", regex_error(&e)))
            })?))
        }
        MatcherFile::Table(_) => Err(err(
            at,
            format!("{prefix}{field}: give exactly one of `exact` or `regex`"),
        )),
    }
}

/// A Go package pattern (`example.com/x/...`) as an anchored regex: `...`
/// matches any string, and `x/...` also matches `x` itself, as in go list.
pub fn package_pattern(pattern: &str) -> String {
    let mut re = String::from("^");
    let mut rest = pattern;
    while let Some(i) = rest.find("...") {
        let (before, after) = rest.split_at(i);
        if let Some(b) = before.strip_suffix('/') {
            re.push_str(&regex::escape(b));
            re.push_str("(/.*)?");
        } else {
            re.push_str(&regex::escape(before));
            re.push_str(".*");
        }
        rest = &after[3..];
    }
    re.push_str(&regex::escape(rest));
    re.push('$');
    re
}

/// A rule from a command-line flag: `kind` is top_function, any_function or
/// created_by; a value starting with `re:` is a regular expression.
pub fn flag_rule(kind: &str, value: &str) -> std::result::Result<IgnoreRule, String> {
    let flag = match kind {
        "top_function" => "--ignore-top",
        "any_function" => "--ignore-function",
        _ => "--ignore-created-by",
    };
    let matcher = match value.strip_prefix("re:") {
        Some(re) => Matcher::regex(re).map_err(|e| match e {
            RegexError::Syntax(e) => format!("bad regex `{re}`: {}", one_line(&e.to_string())),
            RegexError::Dialect(_) => format!("{flag} re:{re}: {}", regex_error(&e)),
        })?,
        None => Matcher::Exact(value.to_string()),
    };
    let mut rule = IgnoreRule {
        // Named as it was given, so --explain shows a flag that exists.
        name: format!("{flag} {value}"),
        reason: "given on the command line".into(),
        ..Default::default()
    };
    match kind {
        "top_function" => rule.top_function = Some(matcher),
        "any_function" => rule.any_function = Some(matcher),
        "created_by" => rule.created_by = Some(matcher),
        _ => return Err(format!("unknown rule kind {kind}")),
    }
    Ok(rule)
}

/// A regex error as one line: `bad regex: ...` for what Rust's regex
/// rejects, and the construct for what Go's regexp would.
fn regex_error(e: &RegexError) -> String {
    match e {
        RegexError::Syntax(e) => format!("bad regex: {}", one_line(&e.to_string())),
        RegexError::Dialect(e) => {
            format!("regex not in the syntax Go and Rust share (the Go helper applies it too): {e}")
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").is_err());
        // Too long for the helper's milliseconds, or for a float's
        // conversion (which panicked): refused.
        assert!(parse_duration("1e30").is_err());
        assert!(parse_duration("99999999999h").is_err());
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86400));
    }

    fn parse_err(text: &str) -> String {
        parse(text, Path::new("leakcheck.toml")).unwrap_err().to_string()
    }

    #[test]
    fn rules_and_grace() {
        let c = parse(
            "grace = \"2s\"\n[[ignore]]\ntop_function = \"a.b\"\nreason = \"r\"\n\n[[ignore]]\ncreated_by = { regex = '^go\\.opencensus' }\npackage = \"example.com/x/...\"\n",
            Path::new("leakcheck.toml"),
        )
        .unwrap();
        assert_eq!(c.grace, Some(Duration::from_secs(2)));
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.rules[0].name, "leakcheck.toml:2");
        assert_eq!(c.rules[0].reason, "r");
        assert_eq!(c.rules[1].name, "leakcheck.toml:6");
        assert!(c.rules[1]
            .created_by
            .as_ref()
            .unwrap()
            .matches("go.opencensus.io/stats.worker"));
        let pkg = c.rules[1].package.as_ref().unwrap();
        assert!(pkg.matches("example.com/x") && pkg.matches("example.com/x/y") && !pkg.matches("example.com/xy"));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse_err("[[ignore]]\ntop_function = \"a\"\nfunction = \"b\"\n").lines().next().unwrap(),
            "leakcheck.toml:3: unknown field `function`, expected one of `name`, `top_function`, `any_function`, `created_by`, `state`, `package`, `test`, `reason`"
        );
        let e = parse_err("\n[[ignore]]\ncreated_by = { regex = '(unclosed' }\n");
        assert!(e.starts_with("leakcheck.toml:3: created_by: bad regex:"), "{e}");
        let e = parse_err("[[ignore]]\nreason = \"no condition\"\n");
        assert!(e.starts_with("leakcheck.toml:1: an [[ignore]] rule needs"), "{e}");
        assert!(parse_err("grace = \"soon\"\n").starts_with("leakcheck.toml:1: grace:"));
    }

    #[test]
    fn regexes_go_would_reject_are_errors_at_load() {
        assert_eq!(
            parse_err("[[ignore]]\nname = \"verbose\"\ntop_function = { regex = \"(?x) no match here\" }\n"),
            "leakcheck.toml:3: [[ignore]] \"verbose\": top_function: regex not in the syntax Go and Rust share \
             (the Go helper applies it too): the flag `x` (Go's regexp has only the flags i, m, s and U)"
        );
        let e = parse_err("[[ignore]]\ntop_function = \"a\"\n\ntest = { regex = '^Test\\<' }\n");
        assert!(
            e.starts_with("leakcheck.toml:4: test: regex not in the syntax Go and Rust share"),
            "{e}"
        );
        assert!(e.contains("`\\<`"), "{e}");
        let rule = flag_rule("created_by", "re:[a&&b]").unwrap_err();
        assert!(
            rule.starts_with("--ignore-created-by re:[a&&b]: regex not in the syntax Go and Rust share"),
            "{rule}"
        );
        assert!(rule.contains("the class operation `&&` in `[a&&b]`"), "{rule}");
        assert!(flag_rule("top_function", "re:^a\\.b$").is_ok());
    }
}
