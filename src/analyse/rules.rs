//! Ignore rules: goroutines that may outlive a test.
//!
//! One definition of the semantics, applied twice: the Go helper gets the
//! rules as JSON (so it does not wait out the grace period for a goroutine a
//! rule ignores) and this module applies them again, authoritatively, to
//! what the helper recorded. `tests/vectors/rules.json` holds cases both
//! sides are tested against.

use std::fmt;

use regex_syntax::ast::{self, Ast};
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

    /// A regex matcher, or why the pattern cannot be one: Rust's regex
    /// rejects it, or it is outside the syntax Go's regexp shares with it
    /// (see [`check_dialect`]).
    pub fn regex(pattern: &str) -> Result<Matcher, RegexError> {
        let re = regex::Regex::new(pattern).map_err(RegexError::Syntax)?;
        check_dialect(pattern).map_err(RegexError::Dialect)?;
        Ok(Matcher::Regex(Pattern(re)))
    }
}

/// Why a pattern cannot be a rule's regex.
#[derive(Debug, Clone)]
pub enum RegexError {
    /// Rust's regex rejects it.
    Syntax(regex::Error),
    /// Rust's regex accepts it, but Go's regexp rejects it or reads it
    /// differently.
    Dialect(DialectError),
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexError::Syntax(e) => write!(f, "{e}"),
            RegexError::Dialect(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RegexError {}

/// A construct Rust's regex accepts and Go's regexp does not, or reads
/// differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialectError {
    /// Where it is in the pattern (byte offsets).
    pub span: std::ops::Range<usize>,
    /// The construct, e.g. "the flag `x`".
    pub construct: String,
    /// What Go's regexp does with it, and what to write instead.
    pub note: String,
}

impl fmt::Display for DialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.construct, self.note)
    }
}

/// Checks that a pattern Rust's regex accepts is inside the syntax Go's
/// `regexp` (Go 1.21 and later) accepts and reads the same way.
///
/// The Go helper compiles every rule's regex with `regexp.Compile` when the
/// test binary starts; a pattern only Rust accepts would pass here and fail
/// there, at test time. Going through the pattern's syntax tree, this allows:
/// literals and the escapes both have (`\.`, `\x61`, `\x{61}`, `\n`, `\t`, …),
/// `.`, `^`, `$`, `\A`, `\z`, `\b`, `\B`, `\d`, `\s`, `\w` and their negations,
/// `[...]` classes of characters, ranges, `[:alpha:]` and `\pX` classes,
/// `\p{...}` with a general category or script every Go since 1.21 knows by
/// that exact name, the flags `i`, `m`, `s` and `U`, groups `(...)`, `(?:...)`,
/// `(?P<name>...)`, and repetitions (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`,
/// lazy or not) up to Go's limit of 1000 copies. Everything else is an error
/// naming the construct: the flags `x`, `R` and `u`; `\u`/`\U` escapes; class
/// operations (`&&`, `--`, `~~`), nested classes, and a `-` Rust reads as a
/// character where Go reads a range (`[--a]`); `\<`, `\>` and `\b{...}`
/// (which Go reads as literal text); `\p{name=value}` and names only Rust (or
/// only newer Go) knows; counts written with spaces or leading zeros (plain
/// text to Go); a repetition of a repetition (`a**`, `a{2}*`); `(?<name>...)`
/// (Go 1.22+) and group names with characters other than letters, digits and
/// `_`.
///
/// Both engines still differ in one thing this cannot rule out: Rust's
/// `\d`, `\s`, `\w` and `\b` are Unicode-aware, Go's are ASCII-only, so they
/// can disagree on non-ASCII names (Rust, which decides, wins).
pub fn check_dialect(pattern: &str) -> Result<(), DialectError> {
    let ast = regex_syntax::ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| DialectError {
            span: 0..pattern.len(),
            construct: "the pattern".into(),
            note: format!("does not parse: {}", e.kind()),
        })?;
    Dialect { pattern }.ast(&ast)
}

/// The `\p{...}` names every Go since 1.21 accepts: the general categories
/// and scripts of Go 1.21's tables (Unicode 15.0) and `Any`, minus the
/// scripts Go 1.25 and 1.26 reject (`Old_Italic`, `SignWriting`: names with
/// `_` or inner capitals). Rust's regex reads each the same (in its newer
/// Unicode version).
#[rustfmt::skip]
const GO_UNICODE_CLASSES: &[&str] = &[
    "Adlam", "Ahom", "Any", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum", "Batak", "Bengali", "Bhaiksuki",
    "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid", "C", "Carian", "Cc", "Cf", "Chakma", "Cham", "Cherokee",
    "Chorasmian", "Co", "Common", "Coptic", "Cs", "Cuneiform", "Cypriot", "Cyrillic", "Deseret", "Devanagari",
    "Dogra", "Duployan", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic", "Grantha", "Greek",
    "Gujarati", "Gurmukhi", "Han", "Hangul", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Inherited", "Javanese",
    "Kaithi", "Kannada", "Katakana", "Kawi", "Kharoshthi", "Khmer", "Khojki", "Khudawadi", "L", "Lao", "Latin",
    "Lepcha", "Limbu", "Lisu", "Ll", "Lm", "Lo", "Lt", "Lu", "Lycian", "Lydian", "M", "Mahajani", "Makasar",
    "Malayalam", "Mandaic", "Manichaean", "Marchen", "Mc", "Me", "Medefaidrin", "Miao", "Mn", "Modi", "Mongolian",
    "Mro", "Multani", "Myanmar", "N", "Nabataean", "Nandinagari", "Nd", "Newa", "Nko", "Nl", "No", "Nushu", "Ogham",
    "Oriya", "Osage", "Osmanya", "P", "Palmyrene", "Pc", "Pd", "Pe", "Pf", "Phoenician", "Pi", "Po", "Ps", "Rejang",
    "Runic", "S", "Samaritan", "Saurashtra", "Sc", "Sharada", "Shavian", "Siddham", "Sinhala", "Sk", "Sm", "So",
    "Sogdian", "Soyombo", "Sundanese", "Syriac", "Tagalog", "Tagbanwa", "Takri", "Tamil", "Tangsa", "Tangut",
    "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho",
    "Yezidi", "Yi", "Z", "Zl", "Zp", "Zs",
];

struct Dialect<'p> {
    pattern: &'p str,
}

type DialectResult = Result<(), DialectError>;

impl Dialect<'_> {
    fn text(&self, span: &ast::Span) -> String {
        // One line, whatever the pattern holds.
        self.pattern[span.start.offset..span.end.offset]
            .chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() {
                    c.escape_debug().collect()
                } else {
                    vec![c]
                };
                escaped
            })
            .collect()
    }

    fn fail(&self, span: &ast::Span, construct: String, note: impl Into<String>) -> DialectResult {
        Err(DialectError {
            span: span.start.offset..span.end.offset,
            construct,
            note: note.into(),
        })
    }

    fn ast(&self, a: &Ast) -> DialectResult {
        match a {
            Ast::Empty(_) | Ast::Dot(_) | Ast::ClassPerl(_) => Ok(()),
            Ast::Flags(f) => self.flags(&f.flags),
            Ast::Literal(l) => self.literal(l),
            Ast::Assertion(x) => self.assertion(x),
            Ast::ClassUnicode(c) => self.unicode_class(c),
            Ast::ClassBracketed(c) => self.bracketed(c),
            Ast::Repetition(r) => self.repetition(r),
            Ast::Group(g) => {
                self.group(g)?;
                self.ast(&g.ast)
            }
            Ast::Alternation(x) => x.asts.iter().try_for_each(|a| self.ast(a)),
            Ast::Concat(x) => x.asts.iter().try_for_each(|a| self.ast(a)),
        }
    }

    fn flags(&self, flags: &ast::Flags) -> DialectResult {
        for item in &flags.items {
            if let ast::FlagsItemKind::Flag(flag) = &item.kind {
                match flag {
                    ast::Flag::CaseInsensitive
                    | ast::Flag::MultiLine
                    | ast::Flag::DotMatchesNewLine
                    | ast::Flag::SwapGreed => {}
                    ast::Flag::Unicode | ast::Flag::CRLF | ast::Flag::IgnoreWhitespace => {
                        return self.fail(
                            &item.span,
                            format!("the flag `{}`", self.text(&item.span)),
                            "Go's regexp has only the flags i, m, s and U",
                        )
                    }
                }
            }
        }
        Ok(())
    }

    fn literal(&self, l: &ast::Literal) -> DialectResult {
        use ast::{HexLiteralKind, LiteralKind, SpecialLiteralKind};
        match &l.kind {
            LiteralKind::Verbatim
            | LiteralKind::Meta
            | LiteralKind::Superfluous
            | LiteralKind::HexFixed(HexLiteralKind::X)
            | LiteralKind::HexBrace(HexLiteralKind::X) => Ok(()),
            LiteralKind::Special(SpecialLiteralKind::Space) => self.fail(
                &l.span,
                format!("the escape `{}`", self.text(&l.span)),
                "Rust's, in verbose mode; write a plain space",
            ),
            LiteralKind::Special(_) => Ok(()),
            LiteralKind::HexFixed(_) | LiteralKind::HexBrace(_) => self.fail(
                &l.span,
                format!("the escape `{}`", self.text(&l.span)),
                format!(
                    "Go's regexp has no \\u or \\U escapes; write `\\x{{{:X}}}`",
                    u32::from(l.c)
                ),
            ),
            LiteralKind::Octal => self.fail(
                &l.span,
                format!("the octal escape `{}`", self.text(&l.span)),
                "write `\\x{..}`",
            ),
        }
    }

    fn assertion(&self, x: &ast::Assertion) -> DialectResult {
        use ast::AssertionKind::*;
        let construct = format!("`{}`", self.text(&x.span));
        match x.kind {
            StartLine | EndLine | StartText | EndText | WordBoundary | NotWordBoundary => Ok(()),
            WordBoundaryStartAngle | WordBoundaryEndAngle => self.fail(
                &x.span,
                construct,
                format!(
                    "a word-boundary assertion only Rust has; Go's regexp reads it as the character `{}`",
                    &self.text(&x.span)[1..]
                ),
            ),
            WordBoundaryStart | WordBoundaryEnd | WordBoundaryStartHalf | WordBoundaryEndHalf => self.fail(
                &x.span,
                construct,
                format!(
                    "a word-boundary assertion only Rust has; Go's regexp reads it as `\\b` and the text `{}`",
                    &self.text(&x.span)[2..]
                ),
            ),
        }
    }

    fn unicode_class(&self, c: &ast::ClassUnicode) -> DialectResult {
        let name = match &c.kind {
            ast::ClassUnicodeKind::OneLetter(l) => l.to_string(),
            ast::ClassUnicodeKind::Named(name) => name.clone(),
            ast::ClassUnicodeKind::NamedValue { .. } => {
                return self.fail(
                    &c.span,
                    format!("the class `{}`", self.text(&c.span)),
                    "Go's regexp has no name=value classes",
                )
            }
        };
        if GO_UNICODE_CLASSES.contains(&name.as_str()) {
            return Ok(());
        }
        let note = if name.contains('_') || name.chars().skip(1).any(|c| c.is_ascii_uppercase()) {
            "Go 1.25 and 1.26 reject script names with `_` or inner capitals"
        } else {
            "Go's regexp knows general categories and scripts only, by their exact names: `\\pL`, `\\p{Lu}`, `\\p{Greek}`"
        };
        self.fail(&c.span, format!("the class `{}`", self.text(&c.span)), note)
    }

    fn bracketed(&self, c: &ast::ClassBracketed) -> DialectResult {
        match &c.kind {
            ast::ClassSet::Item(item) => self.class_item(item),
            ast::ClassSet::BinaryOp(op) => {
                let between = ast::Span::new(op.lhs.span().end, op.rhs.span().start);
                self.fail(
                    &op.span,
                    format!(
                        "the class operation `{}` in `{}`",
                        self.text(&between),
                        self.text(&c.span)
                    ),
                    "Go's regexp has no class intersection, difference or symmetric difference",
                )
            }
        }
    }

    fn class_item(&self, item: &ast::ClassSetItem) -> DialectResult {
        use ast::ClassSetItem::*;
        match item {
            Empty(_) | Ascii(_) | Perl(_) => Ok(()),
            Literal(l) => self.literal(l),
            Range(r) => {
                self.literal(&r.start)?;
                self.literal(&r.end)
            }
            Unicode(u) => self.unicode_class(u),
            Bracketed(b) => self.fail(
                &b.span,
                format!("the class `{}` nested in a class", self.text(&b.span)),
                "Go's regexp has no nested classes; list the characters in one class",
            ),
            Union(u) => u.items.iter().try_for_each(|i| {
                if let Literal(l) = i {
                    self.no_go_range_after(l)?;
                }
                self.class_item(i)
            }),
        }
    }

    /// Go reads any character followed by `-` and not `]` as the start of a
    /// range, where Rust reads a class's leading `-`s (and the `-` after a
    /// leading `]`) as characters: `[--a]` is `-` and `a` to Rust, the range
    /// `-` to `a` to Go.
    fn no_go_range_after(&self, l: &ast::Literal) -> DialectResult {
        let after = &self.pattern[l.span.end.offset..];
        match after.strip_prefix('-') {
            Some(rest) if !rest.starts_with(']') => Err(DialectError {
                span: l.span.end.offset..l.span.end.offset + 1,
                construct: format!("the `-` after `{}` in a class", self.text(&l.span)),
                note: "Rust reads it as the character, Go's regexp as a range; write the `-` last or as `\\-`".into(),
            }),
            _ => Ok(()),
        }
    }

    fn group(&self, g: &ast::Group) -> DialectResult {
        match &g.kind {
            ast::GroupKind::CaptureIndex(_) => Ok(()),
            ast::GroupKind::NonCapturing(flags) => self.flags(flags),
            ast::GroupKind::CaptureName { starts_with_p, name } => {
                let open = ast::Span::new(g.span.start, name.span.end);
                let open = format!("{}>", self.text(&open));
                if !name.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    self.fail(
                        &name.span,
                        format!("the group name `{}`", self.text(&name.span)),
                        "Go's regexp allows letters, digits and `_` only",
                    )
                } else if !starts_with_p {
                    self.fail(
                        &g.span,
                        format!("the group `{open}`"),
                        format!("Go 1.21 rejects it; write `(?P<{}>`", name.name),
                    )
                } else {
                    Ok(())
                }
            }
        }
    }

    fn repetition(&self, r: &ast::Repetition) -> DialectResult {
        if let Ast::Repetition(inner) = &*r.ast {
            let both = ast::Span::new(inner.op.span.start, r.op.span.end);
            return self.fail(
                &both,
                format!("the repeated repetition `{}`", self.text(&both)),
                "Go's regexp rejects a repetition of a repetition; group the inner one: `(?:a*)*`",
            );
        }
        if let ast::RepetitionKind::Range(range) = &r.op.kind {
            let text = self.text(&r.op.span);
            let construct = format!("the count `{text}`");
            if !go_count_syntax(&text) {
                return self.fail(
                    &r.op.span,
                    construct,
                    "Go's regexp reads a count with spaces or leading zeros as plain text",
                );
            }
            let (min, max) = match *range {
                ast::RepetitionRange::Exactly(n) => (n, n),
                ast::RepetitionRange::AtLeast(n) => (n, n),
                ast::RepetitionRange::Bounded(m, n) => (m, n),
            };
            if min > GO_MAX_COPIES || max > GO_MAX_COPIES {
                return self.fail(&r.op.span, construct, "Go's regexp allows at most 1000");
            }
            if (min >= 2 || max >= 2) && !go_copies_ok(r, GO_MAX_COPIES) {
                return self.fail(
                    &r.op.span,
                    construct,
                    "with the counts inside it, over 1000 copies, which Go's regexp rejects",
                );
            }
        }
        self.ast(&r.ast)
    }
}

/// Go's limit on counted repetitions, alone and nested.
const GO_MAX_COPIES: u32 = 1000;

/// A count as Go's regexp parses it (`{n}`, `{n,}`, `{n,m}`, then an
/// optional `?`), where Rust also takes spaces and leading zeros.
fn go_count_syntax(text: &str) -> bool {
    let text = text.strip_suffix('?').unwrap_or(text);
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return false;
    };
    let int = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    match inner.split_once(',') {
        None => int(inner),
        Some((min, max)) => int(min) && (max.is_empty() || int(max)),
    }
}

/// Go's `repeatIsValid`: whether a counted repetition and the counted
/// repetitions inside it make at most `n` copies of what is innermost.
fn go_copies_ok(r: &ast::Repetition, mut n: u32) -> bool {
    if let ast::RepetitionKind::Range(range) = &r.op.kind {
        let m = match *range {
            ast::RepetitionRange::Exactly(0) | ast::RepetitionRange::Bounded(_, 0) => return true,
            ast::RepetitionRange::Exactly(m)
            | ast::RepetitionRange::Bounded(_, m)
            | ast::RepetitionRange::AtLeast(m) => m,
        };
        if m > n {
            return false;
        }
        // (a count of 0 leaves n as it is)
        n = n.checked_div(m).unwrap_or(n);
    }
    go_copies_ok_in(&r.ast, n)
}

fn go_copies_ok_in(a: &Ast, n: u32) -> bool {
    match a {
        Ast::Repetition(r) => go_copies_ok(r, n),
        Ast::Group(g) => go_copies_ok_in(&g.ast, n),
        Ast::Alternation(x) => x.asts.iter().all(|a| go_copies_ok_in(a, n)),
        Ast::Concat(x) => x.asts.iter().all(|a| go_copies_ok_in(a, n)),
        _ => true,
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

/// The built-in rule for the execution tracer's reader goroutine, in force
/// only when go test writes a trace (`-trace`).
pub const TRACE_READER: &str = "builtin:trace-reader";

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

/// What leakcheck always ignores, and why: goleak's list, and the
/// process-wide signal listener a test framework starts once and never
/// stops (Ginkgo's: every Ginkgo suite would leak it, whatever its specs
/// do).
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
            name: "builtin:ginkgo-interrupts".into(),
            any_function: regex(
                r"^github\.com/onsi/ginkgo(/v2)?/internal/(interrupt_handler\.\(\*InterruptHandler\)|specrunner\.\(\*SpecRunner\))\.registerForInterrupts(\.func\d+)?$",
            ),
            reason: "Ginkgo's interrupt handler, started once by RunSpecs and never stopped".into(),
            ..Default::default()
        },
        IgnoreRule {
            name: TRACE_READER.into(),
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

    /// Ginkgo v2's handler as a clean suite left it (Go 1.26.8, ginkgo
    /// v2.34.0), and v1's (v1.16.5's `registerForInterrupts`).
    #[test]
    fn builtin_rules_ignore_ginkgos_interrupt_handler_only() {
        let text = "goroutine 7 [select]:\ngithub.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts.func2(0x0)\n\t/root/go/pkg/mod/github.com/onsi/ginkgo/v2@v2.34.0/internal/interrupt_handler/interrupt_handler.go:131 +0xa5\ncreated by github.com/onsi/ginkgo/v2/internal/interrupt_handler.(*InterruptHandler).registerForInterrupts in goroutine 6\n\t/root/go/pkg/mod/github.com/onsi/ginkgo/v2@v2.34.0/internal/interrupt_handler/interrupt_handler.go:128 +0x1c5\n\ngoroutine 8 [chan receive]:\ngithub.com/onsi/ginkgo/internal/specrunner.(*SpecRunner).registerForInterrupts(0xc000120000, 0xc00001c0c0)\n\t/root/go/pkg/mod/github.com/onsi/ginkgo@v1.16.5/internal/specrunner/spec_runner.go:223 +0xb4\ncreated by github.com/onsi/ginkgo/internal/specrunner.(*SpecRunner).Run in goroutine 6\n\t/root/go/pkg/mod/github.com/onsi/ginkgo@v1.16.5/internal/specrunner/spec_runner.go:60 +0x8d\n\ngoroutine 9 [chan receive]:\nexample.com/p.TestSuite.func1()\n\t/src/p/p_test.go:9 +0x1\ncreated by github.com/onsi/ginkgo/v2/internal.(*Suite).runNode in goroutine 6\n\t/root/go/pkg/mod/github.com/onsi/ginkgo/v2@v2.34.0/internal/suite.go:900 +0x1\n";
        let d = dump::parse(text);
        let rules = builtin();
        let matched = |i: usize| first_match(&rules, &d.goroutines[i], "TestSuite", "p").map(|r| r.name.clone());
        assert_eq!(matched(0).as_deref(), Some("builtin:ginkgo-interrupts"));
        assert_eq!(matched(1).as_deref(), Some("builtin:ginkgo-interrupts"));
        assert_eq!(matched(2), None, "a spec's own goroutine is still checked");
    }

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
    fn the_dialect_takes_what_go_and_rust_share() {
        for p in [
            "",
            r"^example\.com/p\.(\(\*Pool\)\.worker|New\.func\d+)$",
            "(?i)a(?m)^b$(?s:.)(?U)c*(?-i:d)(?i-s:e)",
            r"\A\b\B\z^$",
            r"\d\D\s\S\w\W.",
            r"[a-z0-9_][^a][[:alpha:]][[:^space:]][\pL\d]",
            r"\pL\PN\p{Greek}\p{Lu}\p{Any}\p{Han}",
            r"\x61\x{62}\a\f\t\n\r\v\.\*\#\&\-\~\%\_\ ",
            "a{2}b{2,}c{2,3}d{0}e{1000}f{2}?",
            "(a)(?:b)(?P<name_1>c)",
            "((a{10}){10}){10}(b*){1000}",
            "[]a][^]a][a-][-a][--][]-][a-b-c][&~]",
            "(?:a*)*",
        ] {
            assert_eq!(check_dialect(p), Ok(()), "{p}");
            assert!(Matcher::regex(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn the_dialect_names_what_only_rust_takes() {
        for (p, construct, at) in [
            ("(?x) no match here", "the flag `x`", 2..3),
            ("a(?iu:b)", "the flag `u`", 4..5),
            ("(?-R)a", "the flag `R`", 3..4),
            (r"\u0061", r"the escape `\u0061`", 0..6),
            (r"[\U{61}]", r"the escape `\U{61}`", 1..7),
            ("[a&&b]", "the class operation `&&` in `[a&&b]`", 1..5),
            ("[a--b]", "the class operation `--` in `[a--b]`", 1..5),
            ("[a~~b]", "the class operation `~~` in `[a~~b]`", 1..5),
            ("[a[bc]]", "the class `[bc]` nested in a class", 2..6),
            ("[--a]", "the `-` after `-` in a class", 2..3),
            ("[]-a]", "the `-` after `]` in a class", 2..3),
            (r"\<a", r"`\<`", 0..2),
            (r"a\>", r"`\>`", 1..3),
            (r"\b{start}", r"`\b{start}`", 0..9),
            (r"\b{end-half}", r"`\b{end-half}`", 0..12),
            (r"\p{Alphabetic}", r"the class `\p{Alphabetic}`", 0..14),
            (r"[\p{greek}]", r"the class `\p{greek}`", 1..10),
            (r"\p{Old_Italic}", r"the class `\p{Old_Italic}`", 0..14),
            (r"\p{scx=Greek}", r"the class `\p{scx=Greek}`", 0..13),
            ("a{1001}", "the count `{1001}`", 1..7),
            ("(a{100}){11}", "the count `{11}`", 8..12),
            ("a{01}", "the count `{01}`", 1..5),
            ("a{ 2}", "the count `{ 2}`", 1..5),
            ("a**", "the repeated repetition `**`", 1..3),
            ("a{2}*?", "the repeated repetition `{2}*?`", 1..6),
            ("(?<n>a)", "the group `(?<n>`", 0..7),
            ("(?P<a.b>x)", "the group name `a.b`", 4..7),
        ] {
            assert!(regex::Regex::new(p).is_ok(), "{p}: Rust's regex takes it");
            let e = check_dialect(p).unwrap_err();
            assert_eq!((e.construct.as_str(), e.span.clone()), (construct, at), "{p}");
            assert!(matches!(Matcher::regex(p), Err(RegexError::Dialect(_))), "{p}");
        }
        // One line, whatever the pattern holds.
        let e = check_dialect("[\n[a]]").unwrap_err();
        assert_eq!(e.construct, "the class `[a]` nested in a class");
        assert!(!check_dialect("(?x)\n").unwrap_err().to_string().contains('\n'));
    }

    #[test]
    fn what_rust_rejects_is_a_syntax_error() {
        assert!(matches!(Matcher::regex("(unclosed"), Err(RegexError::Syntax(_))));
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
