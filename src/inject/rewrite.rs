//! The copies of a package's test files that leakcheck overlays: every test
//! function starts, on the line of its opening brace, with a call into the
//! helper, so line numbers and the test's stack stay as they were.
//!
//! ```text
//! func TestX(t *testing.T) {          →  func TestX(t *testing.T) { leakcheckBegin(t);
//! func TestX(t *testing.T) { t.Parallel()  →  … { leakcheckBeginParallel(t); t.Parallel()
//! func FuzzX(f *testing.F) {          →  func FuzzX(f *testing.F) { leakcheckBeginFuzz(f);
//! func BenchmarkX(b *testing.B) {     →  func BenchmarkX(b *testing.B) { leakcheckBench(b);
//! func ExampleX() {                   →  func ExampleX() { defer leakcheckExample("ExampleX")();
//! func(t *testing.T) {   (any other)  →  func(t *testing.T) { leakcheckSub(t);
//! func f[V any](t *testing.T) {        →  func f[V any](t *testing.T) { leakcheckSub(t);
//! f.Fuzz(func(t *testing.T, x T) {    →  f.Fuzz(func(t *testing.T, x T) { leakcheckSub(t);
//! func(b *testing.B) {   (any other)  →  func(b *testing.B) { leakcheckBench(b);
//! func (s *S) TestX() {               →  func (s *S) TestX() { leakcheckSuiteSub(s);
//! s.Run("x", func() {                 →  s.Run("x", func() { leakcheckSuiteSub(s);
//! c.Run("x", func(c *qt.C) {          →  c.Run("x", func(c *qt.C) { leakcheckRunSub(c.TB);
//! func TestMain(m *testing.M) {       →  func TestMain(m *testing.M) { defer leakcheckMain()();
//!     m.Run()                         →      leakcheckRun(m)
//!     os.Exit(code)                   →      os.Exit(leakcheckAtExit(code))
//! ```
//!
//! A suite's methods are subtests that a framework runs from its own code
//! (testify: every method named `Test…` that takes nothing, and the
//! function given to the suite's `Run`), so no function given a T is the
//! package's: those methods, testify's per-test hooks (`SetupTest`,
//! `SetupSubTest`, `BeforeTest`), and a `func()` passed to `r.Run(…)` in a
//! method whose receiver is `r`, hand the receiver to the helper, which
//! asks a testify suite (`T` and `SetT`) for the running subtest's T.
//! quicktest's `c.Run` gives its function a `*qt.C` holding the subtest's
//! T in `c.TB`, which is handed over.
//!
//! Functions are told apart as go test tells them: a `TestMain` given a
//! `*T` is a test; the package's TestMain keeps its name (the helper adds a
//! TestMain of its own only to a package that has none). A function that is
//! not a test is given testing's T (or B, F, M) as the file imports it, or
//! through a type alias the test package declares (`type T2 = testing.T`).
//! Only the token stream is read: comments and string literals are never
//! touched.
//!
//! A name whose test-ness depends on the Go version (its rune after the
//! prefix is lower case in one version's Unicode tables and not in
//! another's, [`golower::BY_GO_VERSION`]) asks at run time, with the
//! test binary's own `unicode.IsLower`, which is the go command's:
//!
//! ```text
//! func Testʕ(t *testing.T) {  →  func Testʕ(t *testing.T) { if leakcheckunicode.IsLower('\u0295') { leakcheckSub(t) } else { leakcheckBegin(t) };
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::golower;
use crate::golex::{self, Import, Tok};

/// A test file as leakcheck overlays it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRewrite {
    /// The rewritten source (the original when nothing changed).
    pub source: String,
    /// Whether anything changed.
    pub changed: bool,
    /// Whether it declares the package's TestMain (`func TestMain(m
    /// *testing.M)`).
    pub user_main: bool,
    /// Whether it declares anything named TestMain at package level (the
    /// package's TestMain, or a test, `func TestMain(t *testing.T)`): its
    /// package cannot have the helper's TestMain.
    pub names_main: bool,
    /// Top-level tests, fuzz targets and examples that now call the helper.
    pub checked: usize,
    /// Their names and the lines of their `func`s, and the package's
    /// TestMain's: where a report points for a test whose leak has no
    /// frame in the user's code (an httptest server never closed is all
    /// net/http), or for what is left after the last test.
    pub declared: Vec<(String, u32)>,
}

/// Rewrites one test file (see the module documentation), with the type
/// aliases of testing's types the file itself declares.
pub fn rewrite_test_file(source: &str) -> FileRewrite {
    rewrite_test_file_with(source, &TestingAliases::of(&[source]))
}

/// Rewrites one test file of a test package that declares `aliases` (see
/// [`TestingAliases::of`], given every test file of that test package).
pub fn rewrite_test_file_with(source: &str, aliases: &TestingAliases) -> FileRewrite {
    rewrite_test_file_at(source, aliases, 1)
}

/// [`rewrite_test_file_with`] for a `source` whose first line starts at
/// column `first_column` of the file (4 after a byte order mark, whose
/// three bytes go counts), so that the line directives after its edits
/// give go the file's columns.
pub fn rewrite_test_file_at(source: &str, aliases: &TestingAliases, first_column: usize) -> FileRewrite {
    rewrite_test_file_renaming(source, aliases, first_column, &BTreeSet::new())
}

/// [`rewrite_test_file_at`] that also renames the identifiers in `renamed`
/// (see [`rename_identifiers`]).
pub fn rewrite_test_file_renaming(
    source: &str,
    aliases: &TestingAliases,
    first_column: usize,
    renamed: &BTreeSet<&str>,
) -> FileRewrite {
    let toks = golex::tokens(source);
    // Without an import of testing, only tests' bare `*T` (an alias) counts.
    let testing = golex::import_of(&toks, "testing").unwrap_or(Import::Named(String::new()));
    let os = golex::import_of(&toks, "os");
    let goleak = golex::import_of(&toks, "go.uber.org/goleak");
    let quicktest = golex::import_of(&toks, "github.com/frankban/quicktest");
    let mut edits: Vec<Edit> = Vec::new();
    let mut user_main = false;
    let mut checked = 0;
    let mut asks_unicode = false;
    let mut exit_scopes: Vec<(usize, usize)> = Vec::new();
    let mut declared = Vec::new();
    // The line of the offset `counted_to`, counted on as the tokens go.
    let (mut line, mut counted_to) = (1u32, 0usize);
    let mut depth = 0i32;
    for i in 0..toks.len() {
        match toks[i].text {
            "{" => depth += 1,
            "}" => depth -= 1,
            "func" => {
                let Some(f) = FuncSig::read(&toks, i, depth == 0) else {
                    continue;
                };
                let decl = f
                    .name
                    .filter(|_| !f.method && f.type_params.is_none())
                    .map(|n| toks[n].text);
                let named = |prefix: &str| decl.map_or(Named::No, |n| test_name(n, prefix));
                let (test, fuzz, example) = (named("Test"), named("Fuzz"), named("Example"));
                // Any `*x.T` only where go test takes the function for a
                // test whatever the Go version.
                let test_like = [test, fuzz, named("Benchmark")].contains(&Named::Yes);
                let param = f.single_param(&toks, &testing, aliases, test_like);
                // go test's rule: a TestMain given a *T is a test; any
                // other is the package's TestMain (or go test refuses it).
                let main = decl == Some("TestMain") && !(f.no_results && matches!(param, Some((_, 'T'))));
                user_main |= main;
                if let (Some((name_at, 'M')), Some(body)) = (param, f.body) {
                    // m.Run() in a function given the *testing.M.
                    if let Some(at) = name_at {
                        rewrite_runs(&toks, toks[at].text, goleak.as_ref(), body, &mut edits);
                    }
                    exit_scopes.push((body, golex::matching(&toks, body).unwrap_or(toks.len() - 1)));
                }
                let suite = f.method.then(|| Receiver::read(&toks, i)).flatten();
                if let (Some(r), Some(body)) = (&suite, f.body) {
                    if let Some(name) = r.name.filter(|&n| toks[n].text != "_") {
                        suite_run_literals(&toks, toks[name].text, &r.argument(toks[name].text), body, &mut edits);
                    }
                }
                let Some(body) = f.body.filter(|_| f.no_results) else {
                    continue;
                };
                let fuzz_t = match (decl, param) {
                    (None, None) if !f.type_only => f.fuzz_callback(&toks, i, &testing, aliases),
                    _ => None,
                };
                let counted = checked;
                let insert = match (decl, param) {
                    (Some(_), Some((_, 'M'))) if main => " defer leakcheckMain()();".to_string(),
                    _ if main => continue,
                    (Some(_), Some((at, 'T'))) if test != Named::No => {
                        checked += 1;
                        let t = param_name(&toks, at, &f, &mut edits);
                        match test {
                            Named::ByVersion(c) => {
                                asks_unicode = true;
                                format!(
                                    " if {UNICODE}.IsLower({}) {{ leakcheckSub({t}) }} else {{ leakcheckBegin({t}) }};",
                                    rune_literal(c)
                                )
                            }
                            // A test whose first statement is t.Parallel()
                            // runs none of its code before it parks: no
                            // timer of it fires while the serial tests run.
                            _ if parallel_first(&toks, body, &t, aliases) => format!(" leakcheckBeginParallel({t});"),
                            _ => format!(" leakcheckBegin({t});"),
                        }
                    }
                    (Some(_), Some((at, 'F'))) if fuzz != Named::No => {
                        checked += 1;
                        let f = param_name(&toks, at, &f, &mut edits);
                        match fuzz {
                            Named::ByVersion(c) => {
                                asks_unicode = true;
                                format!(
                                    " if !{UNICODE}.IsLower({}) {{ leakcheckBeginFuzz({f}) }};",
                                    rune_literal(c)
                                )
                            }
                            _ => format!(" leakcheckBeginFuzz({f});"),
                        }
                    }
                    (Some(name), None) if example != Named::No && f.params_empty() => {
                        checked += 1;
                        match example {
                            Named::ByVersion(c) => {
                                asks_unicode = true;
                                format!(
                                    " if !{UNICODE}.IsLower({}) {{ defer leakcheckExample(\"{name}\")() }};",
                                    rune_literal(c)
                                )
                            }
                            _ => format!(" defer leakcheckExample(\"{name}\")();"),
                        }
                    }
                    // A subtest (or another function given a *testing.T).
                    (_, Some((at, 'T'))) if !f.type_only => {
                        format!(" leakcheckSub({});", param_name(&toks, at, &f, &mut edits))
                    }
                    // A fuzz target's function, run as a subtest per seed.
                    (None, None) if fuzz_t.is_some() => {
                        format!(" leakcheckSub({});", param_name(&toks, fuzz_t, &f, &mut edits))
                    }
                    // A benchmark, a sub-benchmark (b.Run's function), or
                    // another function given a *testing.B.
                    (_, Some((at, 'B'))) if !f.type_only => {
                        format!(" leakcheckBench({});", param_name(&toks, at, &f, &mut edits))
                    }
                    // quicktest's `c.Run(name, func(c *qt.C) {`, which it
                    // runs as a subtest, the subtest's T in `c.TB`.
                    (None, None)
                        if !f.type_only && run_argument(&toks, i) && f.quicktest_param(&toks, &quicktest).is_some() =>
                    {
                        let at = f.quicktest_param(&toks, &quicktest).flatten();
                        format!(" leakcheckRunSub({}.TB);", param_name(&toks, at, &f, &mut edits))
                    }
                    // A suite's test method or per-test hook.
                    (None, None) if suite.is_some() && f.name.is_some_and(|n| suite_hook(toks[n].text, &f)) => {
                        let r = suite.as_ref().expect("a method's receiver");
                        format!(" leakcheckSuiteSub({});", r.named_argument(&toks, &mut edits))
                    }
                    _ => continue,
                };
                if checked > counted || main {
                    let at = toks[i].start;
                    line += memchr::memchr_iter(b'\n', &source.as_bytes()[counted_to..at]).count() as u32;
                    counted_to = at;
                    declared.extend(decl.map(|n| (n.to_string(), line)));
                }
                edits.push(Edit::insert(toks[body].end(), insert));
            }
            _ => {}
        }
    }
    if user_main {
        // Every os.Exit of the file that declares TestMain.
        exit_scopes.push((0, toks.len()));
    }
    if let Some(Import::Named(os)) = &os {
        rewrite_exits(&toks, os, &exit_scopes, &mut edits);
    }
    if asks_unicode {
        // On the package clause's line: every line keeps its number.
        let clause = toks.iter().position(|t| t.text == "package").map(|at| at + 1);
        if let Some(name) = clause.and_then(|at| toks.get(at)) {
            edits.push(Edit::insert(name.end(), format!("; import {UNICODE} \"unicode\"")));
        }
    }
    edits.extend(renames(source, &toks, renamed));
    let changed = !edits.is_empty();
    FileRewrite {
        source: apply(source, edits, first_column),
        changed,
        user_main,
        names_main: declares_top_level(&toks, "TestMain"),
        checked,
        declared,
    }
}

/// `source` with `edits` made, each followed by the line directive that
/// gives what follows it its original position.
///
/// The output is built front to back: replacing ranges in place, one edit
/// at a time, moved the rest of the file each time (a 1.4 MB file of
/// 20,000 tests took 0.35 s). Edits at the same place are made in the
/// reverse of the order given (the last one given comes first in the
/// output), as the in-place version made them; edits never overlap.
fn apply(source: &str, edits: Vec<Edit>, first_column: usize) -> String {
    let mut edits: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, e)| (e.start, e.end, std::cmp::Reverse(*i)));
    let positions = Positions::of(source, first_column);
    let mut out = String::with_capacity(source.len() + edits.iter().map(|(_, e)| e.text.len() + 32).sum::<usize>());
    let mut copied = 0;
    for (_, e) in edits {
        debug_assert!(e.start >= copied, "overlapping edits at {}", e.start);
        out.push_str(&source[copied.min(e.start)..e.start]);
        out.push_str(&e.text);
        if let Some(directive) = positions.resume_at(source, e.end) {
            out.push_str(&directive);
        }
        copied = copied.max(e.end);
    }
    out.push_str(&source[copied..]);
    out
}

/// What a package's own name is renamed to when it hides a predeclared
/// name the helper uses.
pub const RENAMED_PREFIX: &str = "leakcheckUser_";

fn renames(source: &str, toks: &[Tok<'_>], renamed: &BTreeSet<&str>) -> Vec<Edit> {
    if renamed.is_empty() {
        return Vec::new();
    }
    // Field and method names keep theirs (they are what `%+v` and reflect
    // show): every name in a struct's or an interface's braces, a selector
    // (`x.new`), a method's name (after its receiver), and a key (`{new:
    // 1}`, after `{` or `,`) or a label (`new:` first on its line or after
    // `;`, `{` or `}`, and its uses after break, continue and goto). Not a
    // name before `:=`, after `case` or in a slice (`s[new:]`): those are
    // values, renamed with the rest.
    let mut bodies = Vec::new();
    let mut methods = BTreeSet::new();
    for (i, t) in toks.iter().enumerate() {
        let next_is = |text: &str| toks.get(i + 1).is_some_and(|n| n.text == text);
        if matches!(t.text, "struct" | "interface") && next_is("{") {
            bodies.push((i + 1, golex::matching(toks, i + 1).unwrap_or(toks.len())));
        }
        // `func (r T) name(`: the token after the receiver.
        if t.text == "func" && next_is("(") {
            if let Some(close) = golex::matching(toks, i + 1) {
                methods.insert(close + 1);
            }
        }
    }
    let key_or_label = |i: usize| {
        let colon = toks.get(i + 1).is_some_and(|n| n.text == ":");
        let define = toks.get(i + 2).is_some_and(|n| n.text == "=");
        let first = match i.checked_sub(1).map(|p| &toks[p]) {
            None => true,
            Some(p) => matches!(p.text, "{" | "," | ";" | "}") || source[p.end()..toks[i].start].contains('\n'),
        };
        colon && !define && first
    };
    let member = |i: usize| {
        let prev = i.checked_sub(1).map(|p| toks[p].text);
        // A label keeps its name where it is used too (`continue new`).
        matches!(prev, Some("." | "package" | "break" | "continue" | "goto"))
            || methods.contains(&i)
            || key_or_label(i)
            || bodies.iter().any(|&(open, close)| open < i && i < close)
    };
    toks.iter()
        .enumerate()
        .filter(|(i, t)| renamed.contains(t.text) && !member(*i))
        .map(|(_, t)| Edit::replace(t, &format!("{RENAMED_PREFIX}{}", t.text)))
        .collect()
}

/// `source` (whose first line starts at `first_column`) with every
/// identifier in `renamed` renamed to `leakcheckUser_<name>`; None when
/// none occurs.
///
/// The helper joins the package, and a function the package declares at
/// package level (`func new(...)`) hides the predeclared one in all of the
/// package, the helper's file too. Every other use of such a name in the
/// package's files is the function, or a local name that hides it in turn
/// (renamed alike), or a field, method or key, which keep their names. No
/// predeclared name is exported, so no other package names the function;
/// only its symbol (stack traces, `runtime.FuncForPC`) shows the new name.
pub fn rename_identifiers(source: &str, renamed: &BTreeSet<&str>, first_column: usize) -> Option<String> {
    let edits = renames(source, &golex::tokens(source), renamed);
    (!edits.is_empty()).then(|| apply(source, edits, first_column))
}

/// Go's keywords.
const GO_KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// Go's predeclared identifiers: a package may declare any of them.
pub const PREDECLARED: &[&str] = &[
    "any",
    "append",
    "bool",
    "byte",
    "cap",
    "clear",
    "close",
    "comparable",
    "complex",
    "complex128",
    "complex64",
    "copy",
    "delete",
    "error",
    "false",
    "float32",
    "float64",
    "imag",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "iota",
    "len",
    "make",
    "max",
    "min",
    "new",
    "nil",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "rune",
    "string",
    "true",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "uintptr",
];

/// The functions a Go file declares at package level (not methods): the
/// names [`rename_identifiers`] may rename. A variable, constant or type
/// named so is left alone: renaming it would show in `%T`, `%v` and
/// reflect, in other packages too.
pub fn top_level_funcs(source: &str) -> Vec<&str> {
    let toks = golex::tokens(source);
    let mut depth = 0i32;
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "func" if depth == 0 => {
                if let Some(name) = toks.get(i + 1).filter(|n| n.is_ident()) {
                    out.push(name.text);
                }
            }
            _ => {}
        }
    }
    out
}

/// The names a Go file declares at package level: functions (not methods),
/// variables, constants and types, single or in groups.
pub fn top_level_names(source: &str) -> Vec<&str> {
    let toks = golex::tokens(source);
    let mut names = Vec::new();
    // A spec of a group starts where Go ends a statement: after a newline
    // that follows an identifier, a literal or a closing bracket, or a `;`.
    let ends_statement = |at: usize| {
        let prev = &toks[at];
        let c = prev.text.as_bytes()[0];
        let number = |t: &Tok<'_>| t.text.as_bytes()[0].is_ascii_digit();
        (prev.is_ident() && !GO_KEYWORDS.contains(&prev.text))
            || matches!(prev.text, "break" | "continue" | "fallthrough" | "return")
            || c.is_ascii_digit()
            || matches!(c, b'"' | b'\'' | b'`')
            || matches!(prev.text, ")" | "]" | "}" | "++" | "--")
            // `1.`, which the lexer reads as two tokens.
            || prev.text == "." && at > 0 && number(&toks[at - 1]) && toks[at - 1].end() == prev.start
    };
    let mut depth = 0i32;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text;
        match t {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "func" if depth == 0 => {
                if let Some(name) = toks.get(i + 1).filter(|n| n.is_ident()) {
                    names.push(name.text);
                }
            }
            "var" | "const" | "type" if depth == 0 => {
                let Some(next) = toks.get(i + 1) else { break };
                let grouped = next.text == "(";
                let group_end = if grouped {
                    golex::matching(&toks, i + 1).unwrap_or(toks.len())
                } else {
                    i + 1
                };
                let mut starts = vec![if grouped { i + 2 } else { i + 1 }];
                if grouped {
                    let mut inner = 0i32;
                    for j in i + 2..group_end {
                        match toks[j].text {
                            "(" | "[" | "{" => inner += 1,
                            ")" | "]" | "}" => inner -= 1,
                            _ => {}
                        }
                        let prev = &toks[j];
                        if inner == 0 && j + 1 < group_end {
                            let gap = &source[prev.end()..toks[j + 1].start];
                            if prev.text == ";" || gap.contains('\n') && ends_statement(j) {
                                starts.push(j + 1);
                            }
                        }
                    }
                }
                for mut at in starts {
                    while let Some(name) = toks.get(at).filter(|n| n.is_ident()) {
                        names.push(name.text);
                        // `var a, b int`: a list (never for a type).
                        if t == "type" || toks.get(at + 1).map(|c| c.text) != Some(",") {
                            break;
                        }
                        at += 2;
                    }
                }
                if grouped {
                    i = group_end + 1;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// Whether a Go file declares something named TestMain at package level
/// (a function, variable, constant or type; a method does not count), so
/// that the helper's TestMain cannot join its package.
pub fn declares_test_main(source: &str) -> bool {
    memchr::memmem::find(source.as_bytes(), b"TestMain").is_some()
        && declares_top_level(&golex::tokens(source), "TestMain")
}

/// Whether `name` appears outside every brace, other than as a selector or
/// a method's name: a declaration at package level, or (rarely) a use of
/// one, which only makes the helper's TestMain go to the other test
/// package.
fn declares_top_level(toks: &[Tok<'_>], name: &str) -> bool {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "{" => depth += 1,
            "}" => depth -= 1,
            s if s == name && depth == 0 => {
                let prev = i.checked_sub(1).map(|p| toks[p].text);
                if !matches!(prev, Some("." | ")")) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Where the original text resumes after an edit, for the compiler: an
/// edit moves what follows it on its line (`{ leakcheckBegin(t); x :=`),
/// and go's messages would give the columns of the copy. A line directive
/// after the edit, `/*line :L:C*/`, gives the next character its original
/// line and column back (the file name stays the file's). Not in a file
/// with line directives of its own, where the name would be theirs.
struct Positions {
    /// The byte offset where each line starts.
    line_starts: Vec<usize>,
    /// The file's column of the source's first byte.
    first_column: usize,
    /// The file has line directives: leave positions alone.
    own_directives: bool,
}

impl Positions {
    fn of(source: &str, first_column: usize) -> Positions {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        Positions {
            line_starts,
            first_column,
            own_directives: source.contains("//line ") || source.contains("/*line "),
        }
    }

    /// The directive that puts `at` back where it was, or None when
    /// nothing but closing brackets and the end of its line follow (no
    /// message points there).
    fn resume_at(&self, source: &str, at: usize) -> Option<String> {
        let rest = source[at..].trim_start_matches([' ', '\t', ')', '}', ']', ';', ',']);
        if self.own_directives || rest.is_empty() || rest.starts_with(['\n', '\r']) || rest.starts_with("//") {
            return None;
        }
        let line = self.line_starts.partition_point(|&start| start <= at);
        let column = at - self.line_starts[line - 1] + if line == 1 { self.first_column } else { 1 };
        Some(format!("/*line :{line}:{column}*/"))
    }
}

/// One change: the text between `start` and `end` replaced by `text`.
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

impl Edit {
    fn insert(at: usize, text: String) -> Edit {
        Edit {
            start: at,
            end: at,
            text,
        }
    }

    fn replace(tok: &Tok<'_>, text: &str) -> Edit {
        Edit {
            start: tok.start,
            end: tok.end(),
            text: text.to_string(),
        }
    }
}

/// The parts of a `func` that matter here, as token indexes.
#[derive(Debug)]
struct FuncSig {
    /// The function's name (declarations only).
    name: Option<usize>,
    /// A method (it has a receiver).
    method: bool,
    /// The `(` and `)` of the parameter list.
    open: usize,
    close: usize,
    /// No results: nothing, or `()`, between the parameters and the body.
    no_results: bool,
    /// The body's `{`, when there is one.
    body: Option<usize>,
    /// A function type, not a function: `[]func(*testing.T){…}` is a
    /// composite literal, `func() func(*testing.T) {` a result type.
    type_only: bool,
    /// The `[` and `]` of a generic function's type parameters. Never a
    /// test, but given to `t.Run` as a subtest (`t.Run("int",
    /// check[int])`): its leak is the subtest's.
    type_params: Option<(usize, usize)>,
}

impl FuncSig {
    fn read(toks: &[Tok<'_>], at: usize, top_level: bool) -> Option<FuncSig> {
        let next = toks.get(at + 1)?;
        let (name, method, open) = if top_level && next.text == "(" {
            // func (recv) Name(params)
            let recv_close = golex::matching(toks, at + 1)?;
            let name = recv_close + 1;
            toks.get(name).filter(|t| t.is_ident())?;
            (Some(name), true, name + 1)
        } else if top_level && next.is_ident() {
            (Some(at + 1), false, at + 2)
        } else {
            (None, false, at + 1)
        };
        // Generic functions are never tests, but may be subtests.
        let (open, type_params) = match toks.get(open)?.text {
            "[" if name.is_some() && !method => {
                let close = golex::matching(toks, open)?;
                // A type parameter named like the helper's functions or
                // the parameter name it adds would hide them in the body.
                if toks[open + 1..close].iter().any(|t| t.text.starts_with("leakcheck")) {
                    return None;
                }
                (close + 1, Some((open, close)))
            }
            _ => (open, None),
        };
        if toks.get(open)?.text != "(" {
            return None;
        }
        let close = golex::matching(toks, open)?;
        let text = |i: usize| toks.get(i).map(|t| t.text);
        let (no_results, body) = match (text(close + 1), text(close + 2), text(close + 3)) {
            (Some("{"), _, _) => (true, Some(close + 1)),
            // An empty result list: `func TestX(t *testing.T) () {`.
            (Some("("), Some(")"), Some("{")) => (true, Some(close + 3)),
            _ => (false, result_end(toks, close + 1)),
        };
        let prev = at.checked_sub(1).map(|p| toks[p].text);
        let type_only = name.is_none() && matches!(prev, Some(")" | "]"));
        Some(FuncSig {
            name,
            method,
            open,
            close,
            no_results,
            body: if type_only { None } else { body },
            type_only,
            type_params,
        })
    }

    /// `(t *testing.T)`-like: the parameter's name token (None when it has
    /// none) and the type's letter (`T`, `F`, `B` or `M`).
    /// When `any_pkg` (a test function, or TestMain), any `*T` or `*x.T`
    /// is accepted, as go test accepts them: a package that builds has
    /// testing's T there (a type alias of it, in this package or another).
    /// Otherwise only testing's T, as the file imports it (under any name,
    /// or dot-imported), or through one of the test package's `aliases`
    /// (`*T2` for `type T2 = testing.T`, `PT` for `type PT = *testing.T`).
    fn single_param(
        &self,
        toks: &[Tok<'_>],
        testing: &Import,
        aliases: &TestingAliases,
        any_pkg: bool,
    ) -> Option<(Option<usize>, char)> {
        let (name, ty) = self.one_param(toks)?;
        let ty = &ty[..];
        // A generic function's parameter of a type its type parameters name
        // (`func f[T any](t *T)`) is no *testing.T, whatever the imports say.
        if let (Some((open, close)), ["*", k] | [k]) = (self.type_params, ty) {
            if toks[open + 1..close].iter().any(|p| p.text == *k) {
                return None;
            }
        }
        let by_alias = match ty {
            ["*", x] => aliases.letter(x, false),
            [x] => aliases.letter(x, true),
            _ => None,
        };
        let letter = match (testing, ty) {
            _ if by_alias.is_some() => return by_alias.map(|k| (name, k)),
            (Import::Named(pkg), ["*", p, ".", k]) if p == pkg => *k,
            (Import::Dot, ["*", k]) if !aliases.declared.contains(*k) => *k,
            (_, ["*", k]) if any_pkg => *k,
            (_, ["*", p, ".", _]) if any_pkg && !golex::is_ident(p) => return None,
            (_, ["*", _, ".", k]) if any_pkg => *k,
            _ => return None,
        };
        Some((name, testing_letter(letter)?))
    }

    /// The name token of the `*testing.T` parameter of the function given
    /// to `f.Fuzz` (`f.Fuzz(func(t *testing.T, data []byte) {`), which
    /// testing runs as a subtest per seed; None for any other function, or
    /// when its parameters have no names (one cannot be added alone).
    fn fuzz_callback(&self, toks: &[Tok<'_>], at: usize, testing: &Import, aliases: &TestingAliases) -> Option<usize> {
        let before: Vec<&str> = toks[at.checked_sub(3)?..at].iter().map(|t| t.text).collect();
        if before != [".", "Fuzz", "("] || self.name.is_some() {
            return None;
        }
        // The first parameter: up to the first comma of the list.
        let mut depth = 0;
        let comma = (self.open + 1..self.close).find(|&i| {
            match toks[i].text {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                _ => {}
            }
            depth == 0 && toks[i].text == ","
        })?;
        let first = FuncSig {
            name: None,
            method: false,
            open: self.open,
            close: comma,
            no_results: true,
            body: None,
            type_only: false,
            type_params: None,
        };
        match first.single_param(toks, testing, aliases, false)? {
            (Some(name), 'T') => Some(name),
            _ => None,
        }
    }

    /// The parameter list read as one parameter: its name's token (None
    /// when it has none: `func(PT)`, one identifier, is a type) and its
    /// type's tokens; None when a name is not an identifier. A trailing
    /// comma (a list split over lines) is allowed.
    fn one_param<'a>(&self, toks: &[Tok<'a>]) -> Option<(Option<usize>, Vec<&'a str>)> {
        let mut inner: Vec<&'a str> = toks[self.open + 1..self.close].iter().map(|t| t.text).collect();
        if inner.last() == Some(&",") {
            inner.pop();
        }
        if inner.len() > 1 && inner[0] != "*" {
            toks[self.open + 1]
                .is_ident()
                .then(|| (Some(self.open + 1), inner.split_off(1)))
        } else {
            Some((None, inner))
        }
    }

    /// `(c *qt.C)`: one parameter, quicktest's `*C` as the file imports
    /// quicktest (Some of its name token, None when it has none).
    fn quicktest_param(&self, toks: &[Tok<'_>], quicktest: &Option<Import>) -> Option<Option<usize>> {
        let (name, ty) = self.one_param(toks)?;
        let is_c = match (quicktest, &ty[..]) {
            (Some(Import::Named(q)), ["*", p, ".", "C"]) => p == q,
            (Some(Import::Dot), ["*", "C"]) => true,
            _ => false,
        };
        is_c.then_some(name)
    }

    fn params_empty(&self) -> bool {
        self.close == self.open + 1
    }
}

/// `T`, `F`, `B` or `M`: testing's types a function can be handed.
fn testing_letter(name: &str) -> Option<char> {
    match name {
        "T" => Some('T'),
        "F" => Some('F'),
        "B" => Some('B'),
        "M" => Some('M'),
        _ => None,
    }
}

/// The type aliases of testing's T, B, F and M (or of pointers to them) that
/// a test package declares at package level: `type T2 = testing.T`,
/// `type PT = *testing.T`, `type T3 = T2`, in any of its files, under that
/// file's import of testing. A name also declared some other way anywhere
/// in the files (a type of a function's own, a type parameter) is left out:
/// a function given one is left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestingAliases {
    /// name → (letter, whether it is a pointer type).
    names: BTreeMap<String, (char, bool)>,
    /// Names a type declaration or type parameter list may declare
    /// (conservatively more): under a dot-import of testing, `*T` is not
    /// testing's T when the package declares a `T` of its own.
    declared: BTreeSet<String>,
    /// Functions given a `*testing.T` whose first statement is
    /// `t.Parallel()` (after `t.Helper()`, if it is there), and that are the
    /// only functions of their name in the files: a test that calls one
    /// first (`parallel(t)`) parks before it runs code of its own.
    parks_first: BTreeSet<String>,
}

impl TestingAliases {
    /// The aliases the files (every test file of one test package, internal
    /// or external) declare.
    pub fn of(sources: &[&str]) -> TestingAliases {
        // (name, the type's tokens, the file's import of testing).
        let mut specs: Vec<(String, Vec<String>, Option<Import>)> = Vec::new();
        let mut other = BTreeSet::new();
        for source in sources {
            if memchr::memmem::find(source.as_bytes(), b"type").is_none() {
                continue;
            }
            let toks = golex::tokens(source);
            let testing = golex::import_of(&toks, "testing");
            alias_specs(&toks, &mut |name, ty| match ty {
                Some(ty) => specs.push((name.to_string(), ty, testing.clone())),
                None => {
                    other.insert(name.to_string());
                }
            });
        }
        let mut names = BTreeMap::new();
        // Each round resolves one more link of a chain of aliases.
        for _ in 0..=specs.len() {
            let before = names.len();
            for (name, ty, testing) in &specs {
                if !names.contains_key(name) {
                    let ty: Vec<&str> = ty.iter().map(String::as_str).collect();
                    if let Some(found) = resolve_alias(&ty, testing.as_ref(), &names) {
                        names.insert(name.clone(), found);
                    }
                }
            }
            if names.len() == before {
                break;
            }
        }
        names.retain(|name, _| !other.contains(name));
        let mut aliases = TestingAliases {
            names,
            declared: other,
            parks_first: BTreeSet::new(),
        };
        aliases.parks_first = parallel_helpers(sources, &aliases);
        aliases
    }

    /// The letter of testing's type that `name` (as `*name` when not
    /// `pointer`, or `name` when `pointer`) stands for.
    fn letter(&self, name: &str, pointer: bool) -> Option<char> {
        self.names
            .get(name)
            .filter(|&&(_, is_pointer)| is_pointer == pointer)
            .map(|&(letter, _)| letter)
    }
}

/// Calls `found` with each package-level type alias (name, the tokens of
/// its type, when they are a plain `*`… name or `pkg.Name`) and, with None,
/// every other name a type declaration or a type parameter list might
/// declare anywhere in the file (conservatively: more names than it does).
fn alias_specs(toks: &[Tok<'_>], found: &mut dyn FnMut(&str, Option<Vec<String>>)) {
    let text = |i: usize| toks.get(i).map_or("", |t| t.text);
    let mut depth = 0i32;
    for i in 0..toks.len() {
        match toks[i].text {
            "{" => depth += 1,
            "}" => depth -= 1,
            "type" if depth == 0 && text(i + 1) == "(" => {
                let close = golex::matching(toks, i + 1).unwrap_or(toks.len());
                let mut j = i + 2;
                while j < close {
                    match text(j) {
                        "(" | "[" | "{" => j = golex::matching(toks, j).unwrap_or(close),
                        _ if text(j + 1) == "=" && toks[j].is_ident() => {
                            found(toks[j].text, alias_type(toks, j + 2, close));
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            "type" if depth == 0 && text(i + 2) == "=" && toks.get(i + 1).is_some_and(Tok::is_ident) => {
                found(toks[i + 1].text, alias_type(toks, i + 3, toks.len()));
            }
            // A type of a function's own, possibly in a group.
            "type" if depth > 0 => match text(i + 1) {
                "(" => {
                    let close = golex::matching(toks, i + 1).unwrap_or(toks.len());
                    for t in &toks[i + 2..close] {
                        if t.is_ident() {
                            found(t.text, None);
                        }
                    }
                }
                name => found(name, None),
            },
            _ => {}
        }
        // Type parameters: `func F[X any]`, `type G[X any]` (or an array
        // type, `type A [N]int`), a receiver's `R[X]`.
        let brackets = if toks[i].is_ident() && matches!(text(i.wrapping_sub(1)), "func" | "type") && text(i + 1) == "["
        {
            Some(i + 1)
        } else if toks[i].text == "func" && depth == 0 && text(i + 1) == "(" {
            let close = golex::matching(toks, i + 1).unwrap_or(i + 1);
            (i + 2..close).find(|&k| toks[k].text == "[")
        } else {
            None
        };
        if let Some(open) = brackets {
            let close = golex::matching(toks, open).unwrap_or(open + 1);
            for t in &toks[open + 1..close] {
                if t.is_ident() {
                    found(t.text, None);
                }
            }
        }
    }
}

/// The tokens of an alias's type from `at`, when it is `*`… then a name or
/// `pkg.Name`, and the declaration ends there (before `end`, the group's
/// `)`, another declaration or the end of the file).
fn alias_type(toks: &[Tok<'_>], at: usize, end: usize) -> Option<Vec<String>> {
    let mut i = at;
    let mut ty = Vec::new();
    while i < end && toks[i].text == "*" {
        ty.push("*".to_string());
        i += 1;
    }
    let name = toks.get(i).filter(|t| t.is_ident() && i < end)?;
    ty.push(name.text.to_string());
    i += 1;
    if i + 1 < end && toks[i].text == "." && toks[i + 1].is_ident() {
        ty.extend([".".to_string(), toks[i + 1].text.to_string()]);
        i += 2;
    }
    // What follows: the end, `;`, or the next declaration's name.
    match toks.get(i).filter(|_| i < end) {
        None => Some(ty),
        Some(t) if t.text == ";" || t.is_ident() => Some(ty),
        Some(_) => None,
    }
}

/// What an alias's type stands for: (testing's letter, whether a pointer).
fn resolve_alias(
    ty: &[&str],
    testing: Option<&Import>,
    known: &BTreeMap<String, (char, bool)>,
) -> Option<(char, bool)> {
    match ty {
        // A pointer to a pointer is never one of testing's types (and
        // `**…*T` would otherwise recurse once per star).
        ["*", "*", ..] => None,
        ["*", rest @ ..] => match resolve_alias(rest, testing, known)? {
            (letter, false) => Some((letter, true)),
            (_, true) => None,
        },
        [p, ".", k] => match testing? {
            Import::Named(pkg) if pkg == p => Some((testing_letter(k)?, false)),
            _ => None,
        },
        [k] => match (known.get(*k), testing) {
            (Some(&found), _) => Some(found),
            (None, Some(Import::Dot)) => Some((testing_letter(k)?, false)),
            _ => None,
        },
        _ => None,
    }
}

/// The `{` of a function body after its result types, from `from` (the
/// token after the parameters); None for a function type.
fn result_end(toks: &[Tok<'_>], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(t) = toks.get(i) {
        match t.text {
            "(" | "[" => i = golex::matching(toks, i)? + 1,
            "{" => return Some(i),
            // A function type used as a value or field ends here.
            ")" | "]" | "}" | "," | ";" | "=" | ":" => return None,
            _ => i += 1,
        }
    }
    None
}

/// The parameter's name to pass to the helper; an unnamed or `_` parameter
/// is named `leakcheckT` (the body cannot refer to it either way).
fn param_name(toks: &[Tok<'_>], at: Option<usize>, f: &FuncSig, edits: &mut Vec<Edit>) -> String {
    const NAME: &str = "leakcheckT";
    match at {
        Some(i) if toks[i].text != "_" => toks[i].text.to_string(),
        Some(i) => {
            edits.push(Edit::replace(&toks[i], NAME));
            NAME.to_string()
        }
        None => {
            edits.push(Edit::insert(toks[f.open + 1].start, format!("{NAME} ")));
            NAME.to_string()
        }
    }
}

/// Whether the body opening at token `body` begins with `t.Parallel()`, or
/// with a call of a function that begins with it (`parallel(t)`,
/// TestingAliases::parks_first).
fn parallel_first(toks: &[Tok<'_>], body: usize, t: &str, aliases: &TestingAliases) -> bool {
    let words: Vec<&str> = toks.iter().skip(body + 1).take(5).map(|tok| tok.text).collect();
    calls(&words, t, "Parallel")
        || words.len() >= 4 && aliases.parks_first.contains(words[0]) && words[1..4] == ["(", t, ")"]
}

/// Whether `words` begin with `t.method()`.
fn calls(words: &[&str], t: &str, method: &str) -> bool {
    words.get(..5) == Some(&[t, ".", method, "(", ")"][..])
}

/// The functions of the files that are given a `*testing.T` and whose body
/// begins with `t.Parallel()`, or `t.Helper()` then `t.Parallel()`; none
/// whose name another function of the files has too (an internal and an
/// external test package's alike: which one a test calls is not told here).
fn parallel_helpers(sources: &[&str], aliases: &TestingAliases) -> BTreeSet<String> {
    let (mut helpers, mut others) = (BTreeSet::new(), BTreeSet::new());
    for source in sources {
        if memchr::memmem::find(source.as_bytes(), b"Parallel").is_none() {
            // None of its functions parks, whatever their names.
            others.extend(top_level_funcs(source).into_iter().map(str::to_string));
            continue;
        }
        let toks = golex::tokens(source);
        let testing = golex::import_of(&toks, "testing").unwrap_or(Import::Named(String::new()));
        let mut depth = 0i32;
        for i in 0..toks.len() {
            match toks[i].text {
                "{" => depth += 1,
                "}" => depth -= 1,
                "func" if depth == 0 => {
                    let Some(f) = FuncSig::read(&toks, i, true) else {
                        continue;
                    };
                    let Some(name) = f.name.filter(|_| !f.method).map(|n| toks[n].text) else {
                        continue;
                    };
                    let body_and_t = match (f.body, f.single_param(&toks, &testing, aliases, false)) {
                        (Some(body), Some((Some(at), 'T'))) if f.type_params.is_none() => Some((body, toks[at].text)),
                        _ => None,
                    };
                    if body_and_t.is_some_and(|(body, t)| parks_at_once(&toks, body, t)) {
                        helpers.insert(name.to_string());
                    } else {
                        others.insert(name.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    helpers.retain(|name| !others.contains(name));
    helpers
}

/// Whether the body opening at token `body` begins with `t.Parallel()`,
/// after `t.Helper()` if it is there.
fn parks_at_once(toks: &[Tok<'_>], body: usize, t: &str) -> bool {
    let words: Vec<&str> = toks.iter().skip(body + 1).take(11).map(|tok| tok.text).collect();
    let mut rest = &words[..];
    if calls(rest, t, "Helper") {
        rest = &rest[5..];
        if rest.first() == Some(&";") {
            rest = &rest[1..];
        }
    }
    calls(rest, t, "Parallel")
}

/// Whether the function literal at `func` is an argument of a call to a
/// method named Run (`c.Run("x", func(c *qt.C) {`).
fn run_argument(toks: &[Tok<'_>], func: usize) -> bool {
    let mut depth = 0;
    for j in (0..func).rev() {
        match toks[j].text {
            ")" | "]" | "}" => depth += 1,
            "[" | "{" if depth == 0 => return false,
            "(" if depth == 0 => {
                return j >= 2 && toks[j - 1].text == "Run" && toks[j - 2].text == ".";
            }
            "(" | "[" | "{" => depth -= 1,
            _ => {}
        }
    }
    false
}

/// Whether a method of the test files is one that a suite framework runs on
/// a subtest's goroutine with the subtest's T in the suite: testify runs
/// every method whose name starts with `Test` that takes nothing as a
/// subtest, and calls `SetupTest`, `BeforeTest` and `SetupSubTest` on it
/// first (what they start is the subtest's too).
fn suite_hook(name: &str, f: &FuncSig) -> bool {
    match name {
        "BeforeTest" => true,
        "SetupTest" | "SetupSubTest" => f.params_empty(),
        _ => name.starts_with("Test") && f.params_empty(),
    }
}

/// A method's receiver, `(s *S)`, `(s S[T])`, `(*S)`, `(_ S)`.
struct Receiver {
    /// The `(` of the receiver.
    open: usize,
    /// Its name's token, when it has one.
    name: Option<usize>,
    /// `*S`: the receiver is the suite, not a copy of it.
    pointer: bool,
}

impl Receiver {
    fn read(toks: &[Tok<'_>], func: usize) -> Option<Receiver> {
        let open = func + 1;
        let inner = toks.get(open + 1..golex::matching(toks, open)?)?;
        let named =
            inner.len() >= 2 && inner[0].is_ident() && (inner[1].is_ident() || matches!(inner[1].text, "*" | "("));
        let ty = if named { &inner[1..] } else { inner };
        let pointer = ty.iter().find(|t| t.text != "(").is_some_and(|t| t.text == "*");
        Some(Receiver {
            open,
            name: named.then_some(open + 1),
            pointer,
        })
    }

    /// What the helper is given for a receiver named `name`: the suite
    /// itself (a copy's address for a value receiver, whose method set
    /// lacks the suite's pointer methods).
    fn argument(&self, name: &str) -> String {
        if self.pointer {
            name.to_string()
        } else {
            format!("&{name}")
        }
    }

    /// [`Receiver::argument`], naming the receiver when it has no name (or
    /// `_`).
    fn named_argument(&self, toks: &[Tok<'_>], edits: &mut Vec<Edit>) -> String {
        const NAME: &str = "leakcheckSuite";
        match self.name {
            Some(i) if toks[i].text != "_" => self.argument(toks[i].text),
            Some(i) => {
                edits.push(Edit::replace(&toks[i], NAME));
                self.argument(NAME)
            }
            None => {
                edits.push(Edit::insert(toks[self.open + 1].start, format!("{NAME} ")));
                self.argument(NAME)
            }
        }
    }
}

/// `recv.Run(name, func() {` → `recv.Run(name, func() { leakcheckSuiteSub(arg);`
/// in a method's body (and `recv.Suite.Run(`): testify's `suite.Run` runs
/// the function as a subtest with the subtest's T in the suite, from its own
/// code.
fn suite_run_literals(toks: &[Tok<'_>], recv: &str, arg: &str, body: usize, edits: &mut Vec<Edit>) {
    let end = golex::matching(toks, body).unwrap_or(toks.len() - 1);
    let text = |i: usize| toks.get(i).map_or("", |t| t.text);
    for i in body + 1..end {
        if text(i) != recv || text(i - 1) == "." {
            continue;
        }
        // `s.Run(` or, through testify's embedded field, `s.Suite.Run(`.
        let open = match [text(i + 1), text(i + 2), text(i + 3), text(i + 4), text(i + 5)] {
            [".", "Run", "(", ..] => i + 3,
            [".", "Suite", ".", "Run", "("] => i + 5,
            _ => continue,
        };
        let Some(close) = golex::matching(toks, open) else {
            continue;
        };
        let mut depth = 0;
        for k in open + 1..close {
            match text(k) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                "func" if depth == 0 && [text(k + 1), text(k + 2), text(k + 3)] == ["(", ")", "{"] => {
                    edits.push(Edit::insert(toks[k + 3].end(), format!(" leakcheckSuiteSub({arg});")));
                }
                _ => {}
            }
        }
    }
}

/// `m.Run()` → `leakcheckRun(m)` in the body starting at `body`, and
/// `goleak.VerifyTestMain(m, …)` → `goleak.VerifyTestMain(leakcheckGoleakM(m), …)`
/// (goleak runs m.Run itself, then calls `os.Exit`; it takes any value
/// with a `Run() int` method).
fn rewrite_runs(toks: &[Tok<'_>], m: &str, goleak: Option<&Import>, body: usize, edits: &mut Vec<Edit>) {
    let end = golex::matching(toks, body).unwrap_or(toks.len() - 1);
    let text = |k: usize| toks.get(k).map_or("", |t| t.text);
    for i in body..end.saturating_sub(4) {
        let w: Vec<&str> = toks[i..i + 5].iter().map(|t| t.text).collect();
        if w == [m, ".", "Run", "(", ")"] && (i == 0 || toks[i - 1].text != ".") {
            edits.push(Edit {
                start: toks[i].start,
                end: toks[i + 4].end(),
                text: format!("leakcheckRun({m})"),
            });
        }
        // The goleak call, qualified or dot-imported; m its whole first
        // argument.
        let unqualified = i == 0 || text(i - 1) != ".";
        let open = match goleak {
            Some(Import::Named(g))
                if unqualified && [text(i), text(i + 1), text(i + 2)] == [g, ".", "VerifyTestMain"] =>
            {
                i + 3
            }
            Some(Import::Dot) if unqualified && text(i) == "VerifyTestMain" => i + 1,
            _ => continue,
        };
        if text(open) == "(" && text(open + 1) == m && [",", ")"].contains(&text(open + 2)) {
            edits.push(Edit {
                start: toks[open + 1].start,
                end: toks[open + 1].end(),
                text: format!("leakcheckGoleakM({m})"),
            });
        }
    }
}

/// `os.Exit(X)` → `os.Exit(leakcheckAtExit(X))` inside the given token
/// ranges, each call once.
fn rewrite_exits(toks: &[Tok<'_>], os: &str, scopes: &[(usize, usize)], edits: &mut Vec<Edit>) {
    let mut done = std::collections::BTreeSet::new();
    for &(from, to) in scopes {
        for i in from..to.min(toks.len()) {
            let is_exit = toks[i].text == os
                && toks.get(i + 1).is_some_and(|t| t.text == ".")
                && toks.get(i + 2).is_some_and(|t| t.text == "Exit")
                && toks.get(i + 3).is_some_and(|t| t.text == "(")
                && (i == 0 || toks[i - 1].text != ".");
            if !is_exit || !done.insert(i) {
                continue;
            }
            if let Some(close) = golex::matching(toks, i + 3) {
                edits.push(Edit::insert(toks[i + 3].end(), "leakcheckAtExit(".into()));
                edits.push(Edit::insert(toks[close].start, ")".into()));
            }
        }
    }
}

/// The name the rewritten file imports package unicode under, when it asks
/// at run time (see the module documentation).
const UNICODE: &str = "leakcheckunicode";

/// Whether go test takes a function for a test (or benchmark, fuzz target,
/// example) by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    No,
    Yes,
    /// It depends on the Go version's Unicode tables: the rune after the
    /// prefix.
    ByVersion(char),
}

/// Go's rule for test function names (`isTest` in
/// cmd/go/internal/load/test.go): the prefix, then nothing or a rune for
/// which `unicode.IsLower` (general category Ll, not Rust's
/// `char::is_lowercase`) does not hold.
fn test_name(name: &str, prefix: &str) -> Named {
    match name.strip_prefix(prefix).map(|rest| rest.chars().next()) {
        None => Named::No,
        Some(None) => Named::Yes,
        Some(Some(c)) if golower::BY_GO_VERSION.contains(&c) => Named::ByVersion(c),
        Some(Some(c)) if golower::is_lower(c) => Named::No,
        Some(Some(_)) => Named::Yes,
    }
}

/// A Go rune literal for `c`.
fn rune_literal(c: char) -> String {
    match u32::from(c) {
        n if n <= 0xffff => format!("'\\u{n:04x}'"),
        n => format!("'\\U{n:08x}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(src: &str) -> String {
        rewrite_test_file(src).source
    }

    /// A generic function given a *testing.T is no test (go test refuses
    /// one named TestX), but may run as a subtest (`t.Run("int",
    /// check[int])`): it records its start as any other function given a
    /// T does, unless its parameter's type is one of its type parameters.
    #[test]
    fn a_generic_function_given_a_t_is_a_subtest_never_a_test() {
        let cases: [(&str, &[&str]); 3] = [
            (
                "import \"testing\"\n\nfunc check[V any](t *testing.T) {}\n\nfunc TestGeneric[T any](t *testing.T) {}\n\nfunc pair[K comparable, V any](t *testing.T) {}\n",
                &[
                    "func check[V any](t *testing.T) { leakcheckSub(t);}",
                    "func TestGeneric[T any](t *testing.T) { leakcheckSub(t);}",
                    "func pair[K comparable, V any](t *testing.T) { leakcheckSub(t);}",
                ],
            ),
            (
                "import . \"testing\"\n\nfunc own[T any](t *T) {}\n\nfunc check[V any](t *T) {}\n",
                &["func own[T any](t *T) {}", "func check[V any](t *T) { leakcheckSub(t);}"],
            ),
            // A type parameter named like the helper's names hides them.
            (
                "import \"testing\"\n\nfunc check[leakcheckSub any](t *testing.T) {}\n\nfunc unnamed[leakcheckT any](_ *testing.T) {}\n",
                &[
                    "func check[leakcheckSub any](t *testing.T) {}",
                    "func unnamed[leakcheckT any](_ *testing.T) {}",
                ],
            ),
        ];
        for (src, want) in cases {
            let out = rw(&format!("package p\n\n{src}"));
            for line in want {
                assert!(out.contains(line), "{line}: {out}");
            }
        }
    }

    #[test]
    fn edits_are_made_in_source_order_whatever_order_they_come_in() {
        let edit = |start, end, text: &str| Edit {
            start,
            end,
            text: text.to_string(),
        };
        let source = "package p\nfunc f() { g(); h() }\n";
        let at_g = source.find("g()").unwrap();
        let at_h = source.find("h()").unwrap();
        let edits = vec![
            edit(at_h, at_h + 1, "H"),
            edit(at_g, at_g, "first; "),
            edit(0, 0, "// x\n"),
            edit(at_g, at_g + 1, "G"),
            edit(at_g, at_g, "second; "),
        ];
        // Two insertions at one place: the one given last comes first; a
        // replacement there follows them; each edit followed by where the
        // rest of its line was.
        let col_g = at_g - source.find('\n').unwrap();
        let col_h = at_h - source.find('\n').unwrap();
        assert_eq!(
            apply(source, edits, 1),
            format!(
                "// x\n/*line :1:1*/package p\nfunc f() {{ second; /*line :2:{col_g}*/first; /*line :2:{col_g}*/G/*line :2:{}*/(); H/*line :2:{}*/() }}\n",
                col_g + 1,
                col_h + 1
            )
        );
    }

    /// The rewrite without the line directives after its edits, which
    /// `what_follows_an_edit_on_its_line_keeps_its_position` is about.
    fn rewrite_test_file(src: &str) -> FileRewrite {
        rewrite_test_file_with(src, &TestingAliases::of(&[src]))
    }

    fn rewrite_test_file_with(src: &str, aliases: &TestingAliases) -> FileRewrite {
        let mut r = super::rewrite_test_file_with(src, aliases);
        r.source = regex::Regex::new(r"/\*line :\d+:\d+\*/")
            .unwrap()
            .replace_all(&r.source, "")
            .into_owned();
        r
    }

    #[test]
    fn a_suites_test_methods_hooks_and_run_functions_hand_the_suite_to_the_helper() {
        // (And the functions another package's Run is given, quicktest's.)
        let src = r#"package p

import (
	"testing"

	qt "github.com/frankban/quicktest"
	"github.com/stretchr/testify/suite"
)

type S struct{ suite.Suite }

type V struct{ suite.Suite }

type G[X any] struct{ suite.Suite }

func TestS(t *testing.T) { suite.Run(t, new(S)) }

func (s *S) SetupSuite() {}
func (s *S) SetupTest() { go s.loop() }
func (s *S) BeforeTest(suiteName, testName string) {}
func (s *S) TestLeaks() {
	s.Run("sub", func() {
		go s.loop()
		s.Run("inner", func() {})
	})
	s.Suite.Run("embedded", func() {})
	other.Run("x", func() {})
	s.Require().Run("y", func() {})
}
func (s *S) TestWithResult() error { return nil }
func (s *S) TestWithParam(n int) {}
func (s *S) loop() {}
func (*S) TestUnnamed() {}
func (_ *S) TestBlank() {}
func (v V) TestValue() { v.Run("z", func() {}) }
func (g *G[X]) TestGeneric() {}
func (s *S) TestT(t *testing.T) {}

func TestQ(t *testing.T) {
	c := qt.New(t)
	c.Run("q", func(c *qt.C) { c.Run("inner", func(c *qt.C) {}) })
	c.Run("unnamed", func(*qt.C) {})
	c.Run("local", func(h *harness) {})
	c.Run("other", func(c *other.C) {})
	with(func(c *qt.C) {})
	c.Run("value", func(h harness) {})
	c.Run("two", func(a, b *qt.C) {})
}
"#;
        let out = rw(src);
        for want in [
            "c.Run(\"q\", func(c *qt.C) { leakcheckRunSub(c.TB); c.Run(\"inner\", func(c *qt.C) { leakcheckRunSub(c.TB);}) })",
            "c.Run(\"unnamed\", func(leakcheckT *qt.C) { leakcheckRunSub(leakcheckT.TB);})",
            // Not a Run argument, not quicktest's C, or not one.
            "c.Run(\"local\", func(h *harness) {})",
            "c.Run(\"other\", func(c *other.C) {})",
            "with(func(c *qt.C) {})",
            "c.Run(\"value\", func(h harness) {})",
            "c.Run(\"two\", func(a, b *qt.C) {})",
            "func (s *S) SetupTest() { leakcheckSuiteSub(s); go s.loop() }",
            "func (s *S) BeforeTest(suiteName, testName string) { leakcheckSuiteSub(s);}",
            "func (s *S) TestLeaks() { leakcheckSuiteSub(s);",
            "s.Run(\"sub\", func() { leakcheckSuiteSub(s);",
            "s.Run(\"inner\", func() { leakcheckSuiteSub(s);})",
            "s.Suite.Run(\"embedded\", func() { leakcheckSuiteSub(s);})",
            "func (leakcheckSuite *S) TestUnnamed() { leakcheckSuiteSub(leakcheckSuite);}",
            "func (leakcheckSuite *S) TestBlank() { leakcheckSuiteSub(leakcheckSuite);}",
            "func (v V) TestValue() { leakcheckSuiteSub(&v); v.Run(\"z\", func() { leakcheckSuiteSub(&v);}) }",
            "func (g *G[X]) TestGeneric() { leakcheckSuiteSub(g);}",
            // A method given a T is a subtest's function like any other.
            "func (s *S) TestT(t *testing.T) { leakcheckSub(t);}",
            // Not run by the framework as a subtest, or not the receiver's Run.
            "func (s *S) SetupSuite() {}",
            "func (s *S) TestWithResult() error { return nil }",
            "func (s *S) TestWithParam(n int) {}",
            "func (s *S) loop() {}",
            "other.Run(\"x\", func() {})",
            "s.Require().Run(\"y\", func() {})",
            "func TestS(t *testing.T) { leakcheckBegin(t); suite.Run(t, new(S)) }",
        ] {
            assert!(out.contains(want), "{want}\n{out}");
        }
        // Every line keeps its number.
        assert_eq!(out.lines().count(), src.lines().count());
    }

    #[test]
    fn a_test_whose_first_statement_is_t_parallel_says_so() {
        let src = "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\t// first\n\tt.Parallel()\n}\n\nfunc TestB(t *testing.T) {\n\tx := 1\n\tt.Parallel()\n\t_ = x\n}\n\nfunc TestC(t *testing.T) { t.Parallel }\n";
        let out = rewrite_test_file(src).source;
        assert!(
            out.contains("func TestA(t *testing.T) { leakcheckBeginParallel(t);"),
            "{out}"
        );
        assert!(out.contains("func TestB(t *testing.T) { leakcheckBegin(t);"), "{out}");
        assert!(out.contains("func TestC(t *testing.T) { leakcheckBegin(t);"), "{out}");
    }

    #[test]
    fn a_test_that_first_calls_a_function_that_parks_at_once_says_so() {
        // helper-147: a package's `parallel(t)` helper made every test that
        // called it one that "ran code before t.Parallel()": a serial test's
        // timer callback leak went to TestMain.
        let helpers =
            "package p\n\nimport \"testing\"\n\nfunc parallel(t *testing.T) {\n\tt.Helper()\n\tt.Parallel()\n}\n\n\
                       func para(tt *testing.T) { tt.Helper(); tt.Parallel() }\n\n\
                       func later(t *testing.T) {\n\tx := 1\n\tt.Parallel()\n\t_ = x\n}\n\n\
                       func twice(t *testing.T) { t.Parallel() }\n";
        let tests = "package p\n\nimport \"testing\"\n\nfunc twice() {}\n\n\
                     func TestA(t *testing.T) {\n\tparallel(t)\n}\n\n\
                     func TestB(t *testing.T) {\n\tpara(t)\n}\n\n\
                     func TestC(t *testing.T) {\n\tlater(t)\n}\n\n\
                     func TestD(t *testing.T) {\n\ttwice(t)\n}\n\n\
                     func TestE(t *testing.T) {\n\tparallel(nil)\n}\n";
        let aliases = TestingAliases::of(&[helpers, tests]);
        let out = rewrite_test_file_with(tests, &aliases).source;
        for (test, begin) in [
            ("TestA", "leakcheckBeginParallel"),
            ("TestB", "leakcheckBeginParallel"),
            // Code before its t.Parallel().
            ("TestC", "leakcheckBegin"),
            // Another function of the package has the name.
            ("TestD", "leakcheckBegin"),
            // Not given the test's T.
            ("TestE", "leakcheckBegin"),
        ] {
            assert!(
                out.contains(&format!("func {test}(t *testing.T) {{ {begin}(t);")),
                "{test}: {out}"
            );
        }
    }

    #[test]
    fn tests_fuzz_benchmarks_and_examples_call_the_helper_on_their_first_line() {
        let src = "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tgo f()\n}\n\nfunc FuzzB(f *testing.F) {}\n\nfunc BenchmarkC(b *testing.B) {}\n\nfunc ExampleD() {\n\t// Output:\n}\n\nfunc Testlower(t *testing.T) {}\n";
        let r = rewrite_test_file(src);
        assert!(r
            .source
            .contains("func TestA(t *testing.T) { leakcheckBegin(t);\n\tgo f()\n"));
        assert!(r.source.contains("func FuzzB(f *testing.F) { leakcheckBeginFuzz(f);}"));
        assert!(r.source.contains("func BenchmarkC(b *testing.B) { leakcheckBench(b);}"));
        assert!(r
            .source
            .contains("func ExampleD() { defer leakcheckExample(\"ExampleD\")();\n"));
        // Not a test by Go's rule: a helper given a *testing.T.
        assert!(r.source.contains("func Testlower(t *testing.T) { leakcheckSub(t);}"));
        assert_eq!(r.checked, 3);
        // Where each is declared: the report's place for a leak that has
        // no frame in the user's code.
        let declared: Vec<(&str, u32)> = r.declared.iter().map(|(n, l)| (n.as_str(), *l)).collect();
        assert_eq!(declared, [("TestA", 5), ("FuzzB", 9), ("ExampleD", 13)]);
        let main =
            rewrite_test_file("package p\n\nimport \"testing\"\n\nfunc TestMain(m *testing.M) {\n\tm.Run()\n}\n");
        assert_eq!(main.declared, [("TestMain".to_string(), 5)]);
        assert_eq!(r.source.lines().count(), src.lines().count());
    }

    #[test]
    fn what_follows_an_edit_on_its_line_keeps_its_position() {
        let src = "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) { x := 1; _ = x }\n";
        let rw = |src: &str| super::rewrite_test_file(src).source;
        assert!(rw(src).contains("func TestA(t *testing.T) { leakcheckBegin(t);/*line :5:27*/ x := 1; _ = x }\n"));
        // After a byte order mark (left out of the source): line 1's
        // columns move, the others stay.
        let one_line = "package p; import \"testing\"; func TestA(t *testing.T) { x := 1; _ = x }\nfunc TestB(t *testing.T) { y := 1; _ = y }\n";
        let shifted = super::rewrite_test_file_at(one_line, &TestingAliases::of(&[one_line]), 4).source;
        assert!(shifted.contains("leakcheckBegin(t);/*line :1:59*/ x"), "{shifted}");
        assert!(shifted.contains("leakcheckBegin(t);/*line :2:27*/ y"), "{shifted}");
        // A file with line directives of its own keeps them alone.
        let own = format!("//line gen.go:1\n{src}");
        assert!(rw(&own).contains("func TestA(t *testing.T) { leakcheckBegin(t); x := 1; _ = x }\n"));
    }

    #[test]
    fn a_fuzz_targets_function_is_a_subtest_per_seed() {
        let src = r#"package p

import tt "testing"

func FuzzA(f *tt.F) {
	f.Fuzz(func(t *tt.T, data []byte, n int) { t.Log(n) })
	f.Fuzz(func(_ *tt.T, s string) {})
	f.Fuzz(func(*tt.T, string) {})
	check := func(t *tt.T, s string) {}
	g.Fuzz(func(t *other.T, s string) {})
	_ = check
}
"#;
        let out = rw(src);
        assert!(
            out.contains("f.Fuzz(func(t *tt.T, data []byte, n int) { leakcheckSub(t); t.Log(n) })"),
            "{out}"
        );
        assert!(
            out.contains("f.Fuzz(func(leakcheckT *tt.T, s string) { leakcheckSub(leakcheckT);}"),
            "{out}"
        );
        // Unnamed parameters cannot be given a name one at a time; only
        // f.Fuzz's function is a subtest; only testing's T.
        assert!(out.contains("f.Fuzz(func(*tt.T, string) {})"), "{out}");
        assert!(out.contains("check := func(t *tt.T, s string) {}"), "{out}");
        assert!(out.contains("g.Fuzz(func(t *other.T, s string) {})"), "{out}");
        // Under a dot-import, a T of the package's own is not testing's.
        let src = "package p\n\nimport . \"testing\"\n\nfunc TestA(t *T) {\n\ttype T struct{ n int }\n\tc.Fuzz(func(t *T, s string) { t.n++ })\n\tc.Run(func(t *T) { t.n++ })\n}\n";
        let out = rw(src);
        assert!(out.contains("c.Fuzz(func(t *T, s string) { t.n++ })"), "{out}");
        assert!(out.contains("c.Run(func(t *T) { t.n++ })"), "{out}");
    }

    #[test]
    fn subtests_unnamed_parameters_and_aliases() {
        let src = r#"package p

import tt "testing"

func TestA(_ *tt.T) {}
func TestB(*tt.T) {}
func TestC(t *tt.T) {
	t.Run("x", func(t *tt.T) { t.Log("in") })
	cases := []func(*tt.T){nil}
	mk := func() func(t *tt.T) { return nil }
	var f func(t *tt.T)
	_, _, _ = cases, mk, f
}
"#;
        let out = rw(src);
        assert!(out.contains("func TestA(leakcheckT *tt.T) { leakcheckBegin(leakcheckT);}"));
        assert!(out.contains("func TestB(leakcheckT *tt.T) { leakcheckBegin(leakcheckT);}"));
        assert!(out.contains(r#"t.Run("x", func(t *tt.T) { leakcheckSub(t); t.Log("in") })"#));
        assert!(out.contains("cases := []func(*tt.T){nil}"));
        assert!(out.contains("mk := func() func(t *tt.T) { return nil }"));
        assert!(out.contains("var f func(t *tt.T)\n"));
    }

    #[test]
    fn goleaks_verify_test_main_runs_the_tests_through_the_helper() {
        for (imports, call, want) in [
            (
                "\"go.uber.org/goleak\"",
                "goleak.VerifyTestMain(m)",
                "goleak.VerifyTestMain(leakcheckGoleakM(m))",
            ),
            (
                "gl \"go.uber.org/goleak\"",
                "gl.VerifyTestMain(m, gl.IgnoreCurrent())",
                "gl.VerifyTestMain(leakcheckGoleakM(m), gl.IgnoreCurrent())",
            ),
            (
                ". \"go.uber.org/goleak\"",
                "VerifyTestMain(m,\n\t\tIgnoreCurrent())",
                "VerifyTestMain(leakcheckGoleakM(m),\n\t\tIgnoreCurrent())",
            ),
            // Not goleak's, or not m itself: left alone.
            (
                "goleak \"example.com/other\"",
                "goleak.VerifyTestMain(m)",
                "goleak.VerifyTestMain(m)",
            ),
            (
                "\"go.uber.org/goleak\"",
                "goleak.VerifyTestMain(wrap(m))",
                "goleak.VerifyTestMain(wrap(m))",
            ),
            (
                "\"go.uber.org/goleak\"",
                "x.goleak.VerifyTestMain(m)",
                "x.goleak.VerifyTestMain(m)",
            ),
        ] {
            let src = format!("package p\n\nimport (\n\t\"testing\"\n\t{imports}\n)\n\nfunc TestMain(m *testing.M) {{\n\t{call}\n}}\n");
            let out = rewrite_test_file(&src).source;
            assert!(out.contains(&format!("\t{want}\n}}")), "{call}: {out}");
            assert_eq!(out.lines().count(), src.lines().count());
        }
    }

    #[test]
    fn test_main_keeps_its_name_and_its_runs_and_exits_pass_through_the_helper() {
        let src = r#"package p

import (
	"fmt"
	"os"
	"testing"
)

// TestMain in a comment: func TestMain(m *testing.M) { os.Exit(1) }
func TestMain(m *testing.M) {
	fmt.Println("os.Exit(m.Run())")
	code := m.Run()
	os.Exit(code)
}

func helper() { os.Exit(f(1, g(2))) }

func run(m *testing.M) int { defer teardown(); return m.Run() }
"#;
        let r = rewrite_test_file(src);
        assert!(r.user_main && r.names_main);
        assert_eq!(r.checked, 0);
        let out = &r.source;
        assert!(out.contains("func TestMain(m *testing.M) { defer leakcheckMain()();\n"));
        assert!(out.contains("\tcode := leakcheckRun(m)\n\tos.Exit(leakcheckAtExit(code))\n"));
        assert!(out.contains("os.Exit(leakcheckAtExit(f(1, g(2))))"));
        assert!(out.contains("return leakcheckRun(m) }"));
        assert!(out.contains(r#"fmt.Println("os.Exit(m.Run())")"#));
        assert!(out.contains("// TestMain in a comment: func TestMain(m *testing.M) { os.Exit(1) }"));
        // Nothing is added after the last line; every line keeps its number.
        assert!(out.ends_with("return leakcheckRun(m) }\n"));
        assert_eq!(out.lines().count(), src.lines().count());
        // Unnamed, `_`, split over lines, an empty result list: all the
        // package's TestMain.
        for (decl, want) in [
            (
                "func TestMain(*testing.M) {}",
                "func TestMain(*testing.M) { defer leakcheckMain()();}",
            ),
            (
                "func TestMain(_ *testing.M) {}",
                "func TestMain(_ *testing.M) { defer leakcheckMain()();}",
            ),
            (
                "func TestMain(\n\tm *testing.M,\n) () {}",
                "func TestMain(\n\tm *testing.M,\n) () { defer leakcheckMain()();}",
            ),
        ] {
            let r = rewrite_test_file(&format!("package p\nimport \"testing\"\n{decl}\n"));
            assert!(r.user_main, "{decl}");
            assert!(r.source.contains(want), "{decl}: {}", r.source);
        }
    }

    #[test]
    fn a_test_main_given_a_t_is_a_test() {
        // go test: "TestMain" with a *T parameter is an ordinary test.
        let src = "package p\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) { t.Log(\"plain\") }\n\nfunc TestOther(t *testing.T) {}\n";
        let r = rewrite_test_file(src);
        assert!(!r.user_main);
        assert!(r.names_main, "the package cannot have the helper's TestMain");
        assert_eq!(r.checked, 2);
        assert!(r
            .source
            .contains("func TestMain(t *testing.T) { leakcheckBegin(t); t.Log(\"plain\") }"));
        assert_eq!(r.source.lines().count(), src.lines().count());
        let dot = rewrite_test_file("package p\nimport . \"testing\"\nfunc TestMain(_ *T) () {}\n");
        assert!(!dot.user_main && dot.names_main);
        assert!(dot
            .source
            .contains("func TestMain(leakcheckT *T) () { leakcheckBegin(leakcheckT);}"));
    }

    #[test]
    fn empty_result_lists_are_no_results() {
        let src = r#"package p

import "testing"

func TestEmptyResults(t *testing.T) () {
	t.Run("sub", func(t *testing.T) () {})
}

func TestCommented(t *testing.T) ( /* none */ ) {}

func FuzzE(f *testing.F) () {}

func BenchmarkE(b *testing.B) () {}

func ExampleE() () {
	// Output:
}

func mk() (func(t *testing.T)) { return nil }

func helper(t *testing.T) (err error) { return nil }
"#;
        let r = rewrite_test_file(src);
        let out = &r.source;
        assert_eq!(r.checked, 4, "{out}");
        assert!(out.contains("func TestEmptyResults(t *testing.T) () { leakcheckBegin(t);\n"));
        assert!(out.contains(r#"t.Run("sub", func(t *testing.T) () { leakcheckSub(t);})"#));
        assert!(out.contains("func TestCommented(t *testing.T) ( /* none */ ) { leakcheckBegin(t);}"));
        assert!(out.contains("func FuzzE(f *testing.F) () { leakcheckBeginFuzz(f);}"));
        assert!(out.contains("func BenchmarkE(b *testing.B) () { leakcheckBench(b);}"));
        assert!(out.contains("func ExampleE() () { defer leakcheckExample(\"ExampleE\")();\n"));
        // Results: not a test, and a function type is not a function.
        assert!(out.contains("func mk() (func(t *testing.T)) { return nil }"));
        assert!(out.contains("func helper(t *testing.T) (err error) { return nil }"));
    }

    #[test]
    fn sub_benchmarks_call_the_helper_like_benchmarks() {
        let src = r#"package p

import "testing"

func BenchmarkA(b *testing.B) {
	b.Run("s", func(b *testing.B) { go f() })
	b.Run("u", func(*testing.B) {})
	b.RunParallel(func(pb *testing.PB) {})
	fns := []func(*testing.B){nil}
	_ = fns
}

func TestAllocs(t *testing.T) {
	testing.Benchmark(func(b *testing.B) {})
}
"#;
        let out = rw(src);
        assert!(out.contains("func BenchmarkA(b *testing.B) { leakcheckBench(b);\n"));
        assert!(out.contains(r#"b.Run("s", func(b *testing.B) { leakcheckBench(b); go f() })"#));
        assert!(out.contains(r#"b.Run("u", func(leakcheckT *testing.B) { leakcheckBench(leakcheckT);})"#));
        assert!(out.contains("b.RunParallel(func(pb *testing.PB) {})"));
        assert!(out.contains("fns := []func(*testing.B){nil}"));
        // The helper tells testing.Benchmark's B by its empty name.
        assert!(out.contains("testing.Benchmark(func(b *testing.B) { leakcheckBench(b);})"));
    }

    #[test]
    fn aliased_os_dot_testing_and_nothing_to_do() {
        let src = "package p\nimport sys \"os\"\nimport . \"testing\"\nfunc TestMain(m *M) { sys.Exit(m.Run()) }\nfunc TestX(t *T) {}\n";
        let out = rw(src);
        assert!(
            out.contains("func TestMain(m *M) { defer leakcheckMain()(); sys.Exit(leakcheckAtExit(leakcheckRun(m))) }")
        );
        assert!(out.contains("func TestX(t *T) { leakcheckBegin(t);}"));
        let plain = "package p\n\nfunc helper() {}\n";
        let r = rewrite_test_file(plain);
        assert!(!r.changed);
        assert_eq!(r.source, plain);
        // A method named TestMain is no TestMain.
        let method = "package p\nimport \"testing\"\nfunc (s S) TestMain(m int) {}\nvar _ testing.TB\n";
        let r = rewrite_test_file(method);
        assert!(!r.changed && !r.user_main && !r.names_main);
        // A test of another package's T: go test takes it, and it builds
        // only when that T is testing's (a type alias).
        let other = "package p\nimport (\"testing\"; \"example.com/x\")\nfunc TestY(t *x.T) {}\nvar _ testing.TB\n";
        assert!(rw(other).contains("func TestY(t *x.T) { leakcheckBegin(t);}"));
    }

    #[test]
    fn names_are_tests_by_gos_unicode_is_lower_not_rusts_is_lowercase() {
        // ª and ʰ are Lowercase (Other_Lowercase) but not Ll: go test runs
        // them; ǅ is Lt, À is Lu.
        for name in ["Testª", "Testʰ", "Testº", "Testǅ", "TestÀ", "Test_x", "Test1", "Test"] {
            let src = format!("package p\nimport \"testing\"\nfunc {name}(t *testing.T) {{}}\n");
            let r = rewrite_test_file(&src);
            assert_eq!(r.checked, 1, "{name}");
            assert!(
                r.source
                    .contains(&format!("func {name}(t *testing.T) {{ leakcheckBegin(t);}}")),
                "{name}"
            );
        }
        for name in ["Testa", "Testß", "Testµ", "Testω", "Test\u{1D41A}"] {
            let src = format!("package p\nimport \"testing\"\nfunc {name}(t *testing.T) {{}}\n");
            let r = rewrite_test_file(&src);
            assert_eq!(r.checked, 0, "{name}");
            assert!(
                r.source
                    .contains(&format!("func {name}(t *testing.T) {{ leakcheckSub(t);}}")),
                "{name}"
            );
        }
        let src =
            "package p\nimport \"testing\"\nfunc Fuzzʰ(f *testing.F) {}\nfunc Exampleª() {}\nfunc Exampleb() {}\n";
        let r = rewrite_test_file(src);
        assert_eq!(r.checked, 2);
        assert!(r.source.contains("func Fuzzʰ(f *testing.F) { leakcheckBeginFuzz(f);}"));
        assert!(r
            .source
            .contains("func Exampleª() { defer leakcheckExample(\"Exampleª\")();}"));
        assert!(r.source.contains("func Exampleb() {}"));
    }

    #[test]
    fn a_name_whose_test_ness_depends_on_the_go_version_asks_at_run_time() {
        // ʕ is Ll for Go 1.21 to 1.26 and Lo from Go 1.27.
        let src = "package p // the package\n\nimport \"testing\"\n\nfunc Testʕ(t *testing.T) {}\nfunc Fuzzʕ(_ *testing.F) {}\nfunc Exampleʕ() {}\nfunc Benchmarkʕ(b *testing.B) {}\n";
        let r = rewrite_test_file(src);
        let out = &r.source;
        assert!(out.starts_with("package p; import leakcheckunicode \"unicode\" // the package\n"));
        assert!(out.contains(
            "func Testʕ(t *testing.T) { if leakcheckunicode.IsLower('\\u0295') { leakcheckSub(t) } else { leakcheckBegin(t) };}"
        ));
        assert!(out.contains(
            "func Fuzzʕ(leakcheckT *testing.F) { if !leakcheckunicode.IsLower('\\u0295') { leakcheckBeginFuzz(leakcheckT) };}"
        ));
        assert!(out.contains(
            "func Exampleʕ() { if !leakcheckunicode.IsLower('\\u0295') { defer leakcheckExample(\"Exampleʕ\")() };}"
        ));
        assert!(out.contains("func Benchmarkʕ(b *testing.B) { leakcheckBench(b);}"));
        assert_eq!(out.lines().count(), src.lines().count());
        // Only a file that asks imports unicode.
        assert!(!rw("package p\nimport \"testing\"\nfunc TestX(t *testing.T) {}\n").contains("unicode"));
        assert_eq!(rune_literal('\u{1D41A}'), "'\\U0001d41a'");
    }

    #[test]
    fn literals_given_an_alias_of_testings_types_call_the_helper() {
        let src = r#"package p

import tt "testing"

type T2 = tt.T

type (
	PT = *tt.T
	B2 = tt.B
	T3 = T2
	MyT struct{ *tt.T }
	Def tt.T
)

func TestA(t *tt.T) {
	t.Run("alias", func(t *T2) { go f() })
	t.Run("chain", func(t *T3) {})
	t.Run("pointer", func(t PT) {})
	t.Run("unnamed", func(PT) {})
	tt.Benchmark(func(b *B2) {})
	with(func(t *MyT) {})
	with(func(t *Def) {})
	var fns []func(*T2)
	_ = fns
}

func helper(t *T2) {}
"#;
        let out = rw(src);
        assert!(
            out.contains(r#"t.Run("alias", func(t *T2) { leakcheckSub(t); go f() })"#),
            "{out}"
        );
        assert!(out.contains(r#"t.Run("chain", func(t *T3) { leakcheckSub(t);})"#));
        assert!(out.contains(r#"t.Run("pointer", func(t PT) { leakcheckSub(t);})"#));
        assert!(out.contains(r#"t.Run("unnamed", func(leakcheckT PT) { leakcheckSub(leakcheckT);})"#));
        assert!(out.contains("tt.Benchmark(func(b *B2) { leakcheckBench(b);})"));
        assert!(out.contains("func helper(t *T2) { leakcheckSub(t);}"));
        // Not testing's T: left as they are.
        assert!(out.contains("with(func(t *MyT) {})"));
        assert!(out.contains("with(func(t *Def) {})"));
        assert!(out.contains("var fns []func(*T2)\n"));
    }

    #[test]
    fn aliases_are_the_test_packages_and_a_name_declared_otherwise_is_left_out() {
        let decl = "package p\nimport . \"testing\"\ntype T2 = T\ntype Shadowed = T\ntype Param = T\n";
        let usage = r#"package p

import "testing"

func TestA(t *testing.T) {
	t.Run("other file", func(t *T2) {})
	type Shadowed struct{}
	t.Run("shadowed", func(t *Shadowed) {})
	t.Run("param", func(t *Param) {})
}

func g[Param any](f func(*Param)) {}
"#;
        let aliases = TestingAliases::of(&[decl, usage]);
        let out = rewrite_test_file_with(usage, &aliases).source;
        assert!(
            out.contains(r#"t.Run("other file", func(t *T2) { leakcheckSub(t);})"#),
            "{out}"
        );
        assert!(out.contains(r#"t.Run("shadowed", func(t *Shadowed) {})"#));
        assert!(out.contains(r#"t.Run("param", func(t *Param) {})"#));
        // On its own, the file knows no alias.
        assert!(rw(usage).contains(r#"t.Run("other file", func(t *T2) {})"#));
        // Generic aliases, other types, another package's T: no alias.
        let none = TestingAliases::of(&[
            "package p\nimport \"testing\"\ntype A[X any] = testing.T\ntype B = testing.TB\ntype C = other.T\ntype D = testing.T[int]\nvar _ = 1\n",
        ]);
        assert_eq!(none.names, BTreeMap::new());
    }

    #[test]
    fn top_level_names_are_every_declaration_at_package_level() {
        let src = "package p\n\nimport (\n\t\"fmt\"\n)\n\nfunc new(n int) *T { var len = 1; _ = len; return nil }\n\nfunc (t *T) delete() {}\n\nfunc generic[T any]() {}\n\nvar a, b = 1, 2\nvar (\n\tc    = f(\n\t\tx,\n\t)\n\td, e int\n\tg = 1 +\n\t\th\n\tk = struct {\n\t\tin int\n\t}{}; m = 2\n\tratio = 1.\n\tevents chan\n\tstring2\n\tlast int\n)\n\nconst (\n\tn = iota\n\to\n)\n\ntype (\n\tq struct{ field int }\n\tr = s\n)\n\ntype make[T any] func(int) T\n\nvar fn = func() { var inner int; _ = inner }\n";
        assert_eq!(
            top_level_names(src),
            [
                "new", "generic", "a", "b", "c", "d", "e", "g", "k", "m", "ratio", "events", "last", "n", "o", "q",
                "r", "make", "fn"
            ]
        );
    }

    #[test]
    fn renaming_keeps_positions_and_touches_only_the_names_given() {
        let src = "package p\n\nfunc new(n int) *T { return &T{new: n} }\n\nfunc f() *T { x := new(1); return x.new2(len(\"new\")) } // new\n\ntype T struct{ new int }\n\ntype I interface{ new() }\n\nfunc (t *T) new() { t.new++ }\n";
        let names: BTreeSet<&str> = ["new"].into();
        let out = rename_identifiers(src, &names, 1).unwrap();
        assert!(out.contains("func leakcheckUser_new/*line :3:9*/(n int)"), "{out}");
        // Fields, methods and keys keep their names.
        assert!(out.contains("&T{new: n}"), "{out}");
        assert!(
            out.contains("type T struct{ new int }\n\ntype I interface{ new() }\n\nfunc (t *T) new() { t.new++ }"),
            "{out}"
        );
        assert!(
            out.contains("x := leakcheckUser_new/*line :5:23*/(1); return x.new2(len(\"new\")) } // new"),
            "{out}"
        );
        assert_eq!(rename_identifiers("package p\nfunc f() {}\n", &names, 1), None);
        assert_eq!(
            top_level_funcs("package p\nfunc new() {}\nfunc (t T) len() {}\nvar make = func() {}\ntype string int\n"),
            ["new"]
        );
        // The package clause is no declaration.
        let out = rename_identifiers("package new\n\nfunc new() {}\n", &names, 1).unwrap();
        assert!(out.starts_with("package new\n"), "{out}");
        // A label keeps its name, where it is used too (an evaluator's
        // case: `continue new` was renamed, its label not).
        let labelled = "package p\n\nfunc new() {}\n\nfunc f() {\nnew:\n\tfor {\n\t\tif g() {\n\t\t\tcontinue new\n\t\t}\n\t\tbreak new\n\t}\n\tgoto new\n}\n";
        let out = rename_identifiers(labelled, &names, 1).unwrap();
        assert!(
            out.contains("\nnew:\n") && out.contains("continue new\n") && out.contains("break new\n"),
            "{out}"
        );
        assert!(
            out.contains("goto new\n") && out.contains("func leakcheckUser_new"),
            "{out}"
        );
        // A local value named so is renamed with its uses (a hostile
        // review: `new := from` kept its name, `s[new:]` too, and the
        // function took the place of the other uses).
        let values = "package p\n\nfunc new() int { return 1 }\n\nfunc f(s string, from int, ch chan int, b bool) {\n\tnew := from\n\t_ = s[new:]\n\told, new := 1, 2\n\tselect {\n\tcase new := <-ch:\n\t\t_ = new\n\t}\n\tswitch {\n\tcase new == old:\n\t}\n\t_ = T{\n\t\tnew: new,\n\t}\n}\n";
        let out = rename_identifiers(values, &names, 1).unwrap();
        let kept: Vec<&str> = out
            .lines()
            .filter(|l| l.contains("new") && !l.contains("leakcheckUser_new"))
            .collect();
        assert!(kept.is_empty(), "{kept:?}: {out}");
        assert!(out.contains("\t\tnew: leakcheckUser_new"), "the key stays: {out}");
    }

    #[test]
    fn a_long_chain_of_pointers_in_an_alias_is_read_on_a_small_stack() {
        // The overlay is written on threads; reading `type Deep = **…*T`
        // once recursed once per star.
        let src = format!(
            "package p\nimport \"testing\"\ntype Deep = {}testing.T\ntype One = *testing.T\nvar _ = 1\n",
            "*".repeat(200_000)
        );
        let aliases = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || TestingAliases::of(&[&src]))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(
            aliases,
            TestingAliases::of(&["package p\nimport \"testing\"\ntype One = *testing.T\n"])
        );
    }

    #[test]
    fn declarations_named_test_main_are_found_outside_function_bodies() {
        for (src, want) in [
            ("package p\nimport \"testing\"\nfunc TestMain(m *testing.M) {}\n", true),
            ("package p\nvar TestMain = 1\n", true),
            ("package p\nvar (\n\ta = 1\n\tTestMain = 2\n)\n", true),
            ("package p\ntype TestMain struct{}\n", true),
            ("package p\nfunc (x X) TestMain() {}\n", false),
            (
                "package p\nfunc f() { x.TestMain(); TestMain := 1; _ = TestMain }\n",
                false,
            ),
            ("package p\ntype S struct{ TestMain int }\n", false),
            ("package p\n// TestMain\nvar s = \"TestMain\"\n", false),
        ] {
            assert_eq!(declares_test_main(src), want, "{src}");
        }
    }
}
