//! Ignore rules: goroutines that may outlive a test.
//!
//! One definition of the semantics, applied twice: the Go helper gets the
//! rules as JSON (so it does not wait out the grace period for a goroutine a
//! rule ignores) and this module applies them again, authoritatively, to
//! what the helper recorded. `tests/vectors/rules.json` holds cases both
//! sides are tested against.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dump::Goroutine;

/// Matches a string exactly, or by an unanchored regular expression (the
/// RE2 syntax shared by Rust's `regex` and Go's `regexp`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Matcher {
    /// Equal to this.
    Exact(String),
    /// Matched by this regular expression.
    Regex(Pattern),
}

impl Matcher {
    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Exact(e) => e == s,
            Matcher::Regex(p) => p.0.is_match(s),
        }
    }

    /// A regex matcher, or the regex error.
    pub fn regex(pattern: &str) -> Result<Matcher, regex::Error> {
        Ok(Matcher::Regex(Pattern(regex::Regex::new(pattern)?)))
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Exact(s) => write!(f, "{s}"),
            Matcher::Regex(p) => write!(f, "/{}/", p.0.as_str()),
        }
    }
}

/// A compiled regular expression that serialises as its source.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        regex::Regex::new(&s).map(Pattern).map_err(serde::de::Error::custom)
    }
}

/// A rule that lets goroutines outlive their test. Every condition given
/// must hold; a rule with none matches nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IgnoreRule {
    /// Shown in `--explain` and in the report of what was ignored.
    pub name: String,
    /// The innermost function.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_function: Option<Matcher>,
    /// Any function in the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_function: Option<Matcher>,
    /// The function whose `go` statement started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Matcher>,
    /// The wait state, e.g. `IO wait`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Matcher>,
    /// The import path of the package under test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<Matcher>,
    /// The top-level test the goroutine is attributed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Matcher>,
    /// Why the goroutine is fine to leave; not sent to the helper.
    #[serde(skip)]
    pub reason: String,
}

impl IgnoreRule {
    /// Whether the rule ignores `g`, attributed to `test` ("" for none), in
    /// package `package`.
    pub fn matches(&self, g: &Goroutine<'_>, test: &str, package: &str) -> bool {
        let has_condition = self.top_function.is_some()
            || self.any_function.is_some()
            || self.created_by.is_some()
            || self.state.is_some()
            || self.package.is_some()
            || self.test.is_some();
        has_condition
            && self.package.as_ref().is_none_or(|m| m.matches(package))
            && self.test.as_ref().is_none_or(|m| m.matches(test))
            && self.state.as_ref().is_none_or(|m| m.matches(g.state))
            && self
                .top_function
                .as_ref()
                .is_none_or(|m| !g.frames.is_empty() && m.matches(g.top_function()))
            && self
                .created_by
                .as_ref()
                .is_none_or(|m| m.matches(g.created_by.as_ref().map_or("", |c| c.function)))
            && self
                .any_function
                .as_ref()
                .is_none_or(|m| g.frames.iter().any(|f| m.matches(f.function)))
    }
}

/// The first rule that ignores `g`, if any.
pub fn first_match<'r>(
    rules: &'r [IgnoreRule],
    g: &Goroutine<'_>,
    test: &str,
    package: &str,
) -> Option<&'r IgnoreRule> {
    rules.iter().find(|r| r.matches(g, test, package))
}

fn exact(s: &str) -> Option<Matcher> {
    Some(Matcher::Exact(s.to_string()))
}

fn regex(s: &str) -> Option<Matcher> {
    Some(Matcher::regex(s).expect("built-in patterns compile"))
}

/// What leakcheck always ignores, and why (the same list goleak ignores).
pub fn builtin() -> Vec<IgnoreRule> {
    vec![
        IgnoreRule {
            name: "builtin:test-runner".into(),
            top_function: regex(r"^testing\.(RunTests|\(\*T\)\.Run|\(\*T\)\.Parallel|runFuzzing|runFuzzTests)$"),
            state: exact("chan receive"),
            reason: "the testing package's own goroutines waiting for tests".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: "builtin:test-alarm".into(),
            top_function: exact("testing.(*M).startAlarm.func1"),
            reason: "the testing package's -timeout alarm, seen in timeout dumps".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: "builtin:signal-loop".into(),
            any_function: regex(r"^(os/signal\.(signal_recv|loop)|runtime\.ensureSigM(\.func\d+)?)$"),
            reason: "os/signal's process-wide loop, started once by signal.Notify".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: "builtin:signal-ensure".into(),
            created_by: regex(r"^(runtime\.ensureSigM|os/signal\.Notify\.func\d+)$"),
            reason: "os/signal's process-wide loop, started once by signal.Notify".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: "builtin:trace-reader".into(),
            any_function: regex(r"^(runtime\.ReadTrace|runtime/trace\.Start\.func\d+)$"),
            reason: "the execution tracer's reader (go test -trace)".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: "builtin:cgo-syscall".into(),
            state: exact("syscall"),
            top_function: regex(r"^runtime\.goexit$"),
            reason: "a cgo callback thread's goroutine, parked in the runtime".into(),
            ..Default::default()
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump;

    #[test]
    fn builtin_rules_ignore_the_test_runner_only_when_waiting() {
        let text = "goroutine 1 [chan receive]:\ntesting.(*T).Run(0x1, {0x2, 0x3}, 0x4)\n\t/go/src/testing/testing.go:1 +0x1\n\ngoroutine 2 [running]:\ntesting.(*T).Run(0x1, {0x2, 0x3}, 0x4)\n\t/go/src/testing/testing.go:1 +0x1\n";
        let d = dump::parse(text);
        let rules = builtin();
        assert!(first_match(&rules, &d.goroutines[0], "", "p").is_some());
        assert!(first_match(&rules, &d.goroutines[1], "", "p").is_none());
    }

    #[test]
    fn a_rule_without_conditions_matches_nothing() {
        let d = dump::parse("goroutine 1 [select]:\nmain.f()\n\t/x.go:1 +0x1\n");
        assert!(!IgnoreRule::default().matches(&d.goroutines[0], "", ""));
    }

    #[test]
    fn rules_serialise_for_the_helper() {
        let rule = IgnoreRule {
            name: "r".into(),
            created_by: Some(Matcher::regex("^net/http").unwrap()),
            test: exact("TestA"),
            reason: "not sent".into(),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&rule).unwrap(),
            r#"{"name":"r","created_by":{"regex":"^net/http"},"test":{"exact":"TestA"}}"#
        );
    }
}
