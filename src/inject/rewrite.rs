//! The copies of a package's test files that leakcheck overlays: every test
//! function starts, on the line of its opening brace, with a call into the
//! helper, so line numbers and the test's stack stay as they were.
//!
//! ```text
//! func TestX(t *testing.T) {          →  func TestX(t *testing.T) { leakcheckBegin(t);
//! func FuzzX(f *testing.F) {          →  func FuzzX(f *testing.F) { leakcheckBeginFuzz(f);
//! func BenchmarkX(b *testing.B) {     →  func BenchmarkX(b *testing.B) { leakcheckBench(b);
//! func ExampleX() {                   →  func ExampleX() { defer leakcheckExample("ExampleX")();
//! func(t *testing.T) {   (any other)  →  func(t *testing.T) { leakcheckSub(t);
//! func(b *testing.B) {   (any other)  →  func(b *testing.B) { leakcheckBench(b);
//! func TestMain(m *testing.M) {       →  func TestMain(m *testing.M) { defer leakcheckMain()();
//!     m.Run()                         →      leakcheckRun(m)
//!     os.Exit(code)                   →      os.Exit(leakcheckAtExit(code))
//! ```
//!
//! Functions are told apart as go test tells them: a `TestMain` given a
//! `*T` is a test; the package's TestMain keeps its name (the helper adds a
//! TestMain of its own only to a package that has none). Only the token
//! stream is read: comments and string literals are never touched.

use super::golex::{self, Import, Tok};

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
}

/// Rewrites one test file (see the module documentation).
pub fn rewrite_test_file(source: &str) -> FileRewrite {
    let toks = golex::tokens(source);
    // Without an import of testing, only tests' bare `*T` (an alias) counts.
    let testing = golex::import_of(&toks, "testing").unwrap_or(Import::Named(String::new()));
    let os = golex::import_of(&toks, "os");
    let mut edits: Vec<Edit> = Vec::new();
    let mut user_main = false;
    let mut checked = 0;
    let mut exit_scopes: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0i32;
    for i in 0..toks.len() {
        match toks[i].text {
            "{" => depth += 1,
            "}" => depth -= 1,
            "func" => {
                let Some(f) = FuncSig::read(&toks, i, depth == 0) else {
                    continue;
                };
                let decl = f.name.filter(|_| !f.method).map(|n| toks[n].text);
                let test_like = decl.is_some_and(|n| ["Test", "Fuzz", "Benchmark"].iter().any(|p| is_test(n, p)));
                let param = f.single_param(&toks, &testing, test_like);
                // go test's rule: a TestMain given a *T is a test; any
                // other is the package's TestMain (or go test refuses it).
                let main = decl == Some("TestMain") && !(f.no_results && matches!(param, Some((_, 'T'))));
                user_main |= main;
                if let (Some((name_at, 'M')), Some(body)) = (param, f.body) {
                    // m.Run() in a function given the *testing.M.
                    if let Some(at) = name_at {
                        rewrite_runs(&toks, toks[at].text, body, &mut edits);
                    }
                    exit_scopes.push((body, golex::matching(&toks, body).unwrap_or(toks.len() - 1)));
                }
                let Some(body) = f.body.filter(|_| f.no_results) else {
                    continue;
                };
                let insert = match (decl, param) {
                    (Some(_), Some((_, 'M'))) if main => " defer leakcheckMain()();".to_string(),
                    _ if main => continue,
                    (Some(name), Some((at, 'T'))) if is_test(name, "Test") => {
                        checked += 1;
                        format!(" leakcheckBegin({});", param_name(&toks, at, &f, &mut edits))
                    }
                    (Some(name), Some((at, 'F'))) if is_test(name, "Fuzz") => {
                        checked += 1;
                        format!(" leakcheckBeginFuzz({});", param_name(&toks, at, &f, &mut edits))
                    }
                    (Some(name), None) if is_test(name, "Example") && f.params_empty() => {
                        checked += 1;
                        format!(" defer leakcheckExample(\"{name}\")();")
                    }
                    // A subtest (or another function given a *testing.T).
                    (_, Some((at, 'T'))) if !f.type_only => {
                        format!(" leakcheckSub({});", param_name(&toks, at, &f, &mut edits))
                    }
                    // A benchmark, a sub-benchmark (b.Run's function), or
                    // another function given a *testing.B.
                    (_, Some((at, 'B'))) if !f.type_only => {
                        format!(" leakcheckBench({});", param_name(&toks, at, &f, &mut edits))
                    }
                    _ => continue,
                };
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
    let changed = !edits.is_empty();
    let mut out = source.to_string();
    edits.sort_by_key(|e| std::cmp::Reverse((e.start, e.end)));
    for e in edits {
        out.replace_range(e.start..e.end, &e.text);
    }
    FileRewrite {
        source: out,
        changed,
        user_main,
        names_main: declares_top_level(&toks, "TestMain"),
        checked,
    }
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
        // Generic functions are never tests.
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
        })
    }

    /// `(t *testing.T)`-like: the parameter's name token (None when it has
    /// none) and the type's letter (`T`, `F`, `B` or `M`).
    /// When `any_pkg` (a test function, or TestMain), any `*T` or `*x.T`
    /// is accepted, as go test accepts them: a package that builds has
    /// testing's T there (a type alias of it, in this package or another).
    /// Otherwise only testing's T, as the file imports it (under any name,
    /// or dot-imported). A trailing comma (a parameter list split over
    /// lines) is allowed.
    fn single_param(&self, toks: &[Tok<'_>], testing: &Import, any_pkg: bool) -> Option<(Option<usize>, char)> {
        let mut inner: Vec<&str> = toks[self.open + 1..self.close].iter().map(|t| t.text).collect();
        if inner.last() == Some(&",") {
            inner.pop();
        }
        let named = inner.first().is_some_and(|t| *t != "*");
        let ty = if named { &inner[1..] } else { &inner[..] };
        let letter = match (testing, ty) {
            (Import::Named(pkg), ["*", p, ".", k]) if p == pkg => *k,
            (Import::Dot, ["*", k]) => *k,
            (_, ["*", k]) if any_pkg => *k,
            (_, ["*", p, ".", _]) if any_pkg && !golex::is_ident(p) => return None,
            (_, ["*", _, ".", k]) if any_pkg => *k,
            _ => return None,
        };
        if named && !toks[self.open + 1].is_ident() {
            return None;
        }
        let letter = match letter {
            "T" => 'T',
            "F" => 'F',
            "B" => 'B',
            "M" => 'M',
            _ => return None,
        };
        Some((named.then_some(self.open + 1), letter))
    }

    fn params_empty(&self) -> bool {
        self.close == self.open + 1
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

/// `m.Run()` → `leakcheckRun(m)` in the body starting at `body`.
fn rewrite_runs(toks: &[Tok<'_>], m: &str, body: usize, edits: &mut Vec<Edit>) {
    let end = golex::matching(toks, body).unwrap_or(toks.len() - 1);
    for i in body..end.saturating_sub(4) {
        let w: Vec<&str> = toks[i..i + 5].iter().map(|t| t.text).collect();
        if w == [m, ".", "Run", "(", ")"] && (i == 0 || toks[i - 1].text != ".") {
            edits.push(Edit {
                start: toks[i].start,
                end: toks[i + 4].end(),
                text: format!("leakcheckRun({m})"),
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

/// Go's rule for test function names: the prefix, then nothing or a
/// character that is not a lower-case letter.
fn is_test(name: &str, prefix: &str) -> bool {
    match name.strip_prefix(prefix) {
        Some(rest) => rest.chars().next().is_none_or(|c| !c.is_lowercase()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(src: &str) -> String {
        rewrite_test_file(src).source
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
        assert_eq!(r.source.lines().count(), src.lines().count());
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
