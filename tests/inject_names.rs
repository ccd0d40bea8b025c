//! The names leakcheck's injection gives and reads, on the real `go test`:
//! the files it adds never take the place of a file of the package, tests are
//! told by go test's own naming rule (Go's `unicode.IsLower`, category Ll),
//! and a subtest's function literal given a type alias of `testing.T` is
//! instrumented like one given `*testing.T`, as are a testify suite's test
//! methods and quicktest's `c.Run` functions, which those frameworks run as
//! subtests from their own code.

use crate::common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use common::{assert_nothing_lost, go_test_verdicts, run_in, temp_module, Run};

const M: &str = "example.com/tmp/";

fn state(run: &Run, pkg: &str) -> String {
    let p = run.package(pkg);
    format!(
        "{} {}",
        p["check"]["state"].as_str().unwrap_or_default(),
        p["check"]["reason"].as_str().unwrap_or_default()
    )
    .trim()
    .to_string()
}

/// The files of every group of a test's leak.
fn leak_files(run: &Run, pkg: &str, test: &str) -> Vec<String> {
    let tests = run.tests();
    let t = &tests[&(pkg.to_string(), test.to_string())];
    t["leak"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["frames"].as_array().cloned().unwrap_or_default())
        .map(|f| f["file"].as_str().unwrap_or_default().to_string())
        .collect()
}

// 1. Names of files: leakcheck's never replace the user's.

const LEAK: &str = "go func() { <-make(chan int) }()";

/// `/tmp/review3/cases/zzname`: a user test file named as leakcheck's
/// helper was, and one named as its TestMain was.
fn zzname_files() -> Vec<(&'static str, String)> {
    vec![
        ("zzname/p.go", "package p\n\nfunc F() int { return 1 }\n".into()),
        (
            "zzname/a_test.go",
            "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n".into(),
        ),
        (
            "zzname/zz_leakcheck_test.go",
            "package p\nimport \"testing\"\nfunc TestUserZZ(t *testing.T) { t.Fatal(\"user test must fail\") }\n"
                .into(),
        ),
        (
            "zzname/zz_leakcheck_main_test.go",
            format!("package p\n\nimport \"testing\"\n\nfunc TestOldMainName(t *testing.T) {{\n\t{LEAK}\n}}\n"),
        ),
    ]
}

/// A package that has files named as leakcheck's own are named now: a
/// test, an external test where the shim would go, an ignored file where a
/// GOOS file would go, a directory where the TestMain would go.
fn taken_files() -> Vec<(&'static str, String)> {
    vec![
        ("taken/p.go", "package taken\n".into()),
        (
            "taken/zz_leakcheck_injected_test.go",
            format!("package taken\n\nimport \"testing\"\n\nfunc TestInjectedName(t *testing.T) {{\n\t{LEAK}\n}}\n"),
        ),
        (
            "taken/zz_leakcheck_injected2_shim_test.go",
            "package taken_test\n\nimport \"testing\"\n\nfunc TestShimName(t *testing.T) { t.Fatal(\"external test must fail\") }\n"
                .into(),
        ),
        (
            "taken/zz_leakcheck_injected3_linux_test.go",
            "//go:build ignore\n\npackage taken\n\nthis file is never compiled\n".into(),
        ),
        (
            "taken/zz_leakcheck_injected4_main_test.go/README",
            "a directory named like a Go file\n".into(),
        ),
        (
            "taken/b_test.go",
            "package taken\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) { t.Run(\"sub\", func(t *testing.T) {}) }\n"
                .into(),
        ),
    ]
}

#[test]
fn files_named_like_leakchecks_own_keep_their_tests() {
    let files: Vec<(&str, String)> = zzname_files().into_iter().chain(taken_files()).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let m = temp_module(&files);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    // go test sees every test of the user's files.
    for test in ["TestUserZZ", "TestOldMainName", "TestA"] {
        assert!(
            go.contains_key(&(format!("{M}zzname"), test.to_string(), 1)),
            "{test}: {go:?}"
        );
    }
    let run = run_in(m.path(), &["--grace", "100ms", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(assert_nothing_lost(&go, &run), 7, "{out}");
    let zz = format!("{M}zzname");
    let taken = format!("{M}taken");
    for (pkg, test, want) in [
        (&zz, "TestUserZZ", "failed"),
        (&zz, "TestOldMainName", "leaked"),
        (&zz, "TestA", "passed"),
        (&taken, "TestInjectedName", "leaked"),
        (&taken, "TestShimName", "failed"),
        (&taken, "TestB", "passed"),
        (&taken, "TestB/sub", "passed"),
    ] {
        assert_eq!(run.verdict(pkg, test), want, "{test}\n{out}");
    }
    assert_eq!(state(&run, &zz), "checked", "{out}");
    assert_eq!(state(&run, &taken), "checked", "{out}");
    // A file once named like leakcheck's is the user's: its frames are shown.
    let files = leak_files(&run, &zz, "TestOldMainName");
    assert!(
        files.iter().any(|f| f.ends_with("/zzname/zz_leakcheck_main_test.go")),
        "{files:?}\n{out}"
    );
    // leakcheck's own files stay out of reports.
    assert!(!run.stdout().contains("zz_leakcheck_injected5"), "{out}");

    // Files named on the command line: go compiles those and leakcheck's,
    // which take no name of the directory's.
    let run = run_in(
        &m.path().join("zzname"),
        &["zz_leakcheck_test.go", "zz_leakcheck_main_test.go", "--", "-count=1"],
        &[],
    );
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_eq!(run.verdict("command-line-arguments", "TestUserZZ"), "failed", "{out}");
    assert_eq!(
        run.verdict("command-line-arguments", "TestOldMainName"),
        "leaked",
        "{out}"
    );
    assert_eq!(state(&run, "command-line-arguments"), "checked", "{out}");
}

/// Packages whose `//go:embed` patterns take in every file of their
/// directory (web assets beside the code, a test reading its own sources):
/// the files leakcheck adds would be embedded too.
fn embedding_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("static/index.html", "<html></html>\n"),
        ("static/site.css", "body {}\n"),
        (
            "static/static.go",
            r#"package static

import (
	"embed"
	"io/fs"
)

//go:embed *
var files embed.FS

// Names lists the files served.
func Names() (out []string) {
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}
"#,
        ),
        (
            "static/static_test.go",
            r#"package static

import (
	"strings"
	"testing"
	"time"
)

func TestNames(t *testing.T) {
	if got := strings.Join(Names(), ","); got != "index.html,site.css,static.go,static_test.go" {
		t.Fatalf("files: %s", got)
	}
}

func TestLeaks(t *testing.T) {
	go func() { time.Sleep(time.Hour) }()
}
"#,
        ),
        (
            "sources/sources.go",
            "package sources\n\n// Answer is the answer.\nfunc Answer() int { return 42 }\n",
        ),
        (
            "sources/sources_test.go",
            r#"package sources_test

import (
	"embed"
	"testing"

	"example.com/tmp/sources"
)

//go:embed *.go
var own embed.FS

func TestOwnSources(t *testing.T) {
	entries, err := own.ReadDir(".")
	if err != nil || len(entries) != 3 {
		t.Fatalf("%d files, %v", len(entries), err)
	}
}

func TestAnswerLeaks(t *testing.T) {
	done := make(chan int)
	go func() { done <- sources.Answer() }()
}
"#,
        ),
        (
            "sources/helper_test.go",
            "package sources\n\nimport \"testing\"\n\nfunc TestInternal(t *testing.T) {}\n",
        ),
        // External tests only, which import the package: the helper goes
        // into them.
        (
            "assets/assets.go",
            "package assets\n\nimport \"embed\"\n\n//go:embed *\nvar FS embed.FS\n",
        ),
        (
            "assets/assets_test.go",
            r#"package assets_test

import (
	"io/fs"
	"testing"

	"example.com/tmp/assets"
)

func TestFiles(t *testing.T) {
	entries, err := fs.ReadDir(assets.FS, ".")
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d files, %v", len(entries), err)
	}
}
"#,
        ),
        // A test file go cannot parse: go test's setup failure, as without
        // the embed.
        (
            "clauseless/c.go",
            "package clauseless\n\nimport _ \"embed\"\n\n//go:embed *\nvar s string\n",
        ),
        (
            "clauseless/c_test.go",
            "packge clauseless\n\nfunc TestC(t *testing.T) {}\n",
        ),
    ]
}

// The helper then goes into a test file of the package (its imports on
// the package clause's line, so no line moves; its code after the file's),
// and the patterns find only the package's own files.
#[test]
fn files_embedded_with_a_wildcard_are_the_packages_own() {
    let m = temp_module(&embedding_files());
    // Not UTF-8: go test fails that package, and tests the others.
    std::fs::create_dir(m.path().join("latin1")).unwrap();
    std::fs::write(
        m.path().join("latin1/l_test.go"),
        b"package latin1\n\nimport \"testing\"\n\n// caf\xe9\nfunc TestL(t *testing.T) {}\n",
    )
    .unwrap();
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    for toolchain in ["", "go1.22.12"] {
        let env: &[(&str, &str)] = if toolchain.is_empty() {
            &[]
        } else {
            &[("GOTOOLCHAIN", toolchain)]
        };
        // (Go 1.22's go test tests nothing when a package it lists does
        // not parse.)
        let args: &[&str] = if toolchain.is_empty() {
            &["--grace", "100ms", "--", "-count=1"]
        } else {
            &[
                "--grace",
                "100ms",
                "./static",
                "./sources",
                "./assets",
                "--",
                "-count=1",
            ]
        };
        let run = run_in(m.path(), args, env);
        let out = format!("{}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{toolchain}: {out}");
        assert_eq!(assert_nothing_lost(&go, &run), 6, "{toolchain}: {out}");
        for pkg in ["clauseless", "latin1"].iter().filter(|_| toolchain.is_empty()) {
            assert!(
                out.contains(&format!("✖  {M}{pkg} (setup failed)")),
                "{toolchain}: {out}"
            );
        }
        for (pkg, test, want) in [
            ("assets", "TestFiles", "passed"),
            ("static", "TestNames", "passed"),
            ("static", "TestLeaks", "leaked"),
            ("sources", "TestOwnSources", "passed"),
            ("sources", "TestAnswerLeaks", "leaked"),
            ("sources", "TestInternal", "passed"),
        ] {
            assert_eq!(
                run.verdict(&format!("{M}{pkg}"), test),
                want,
                "{toolchain} {test}: {out}"
            );
        }
        for pkg in ["static", "sources", "assets"] {
            assert_eq!(state(&run, &format!("{M}{pkg}")), "checked", "{toolchain}: {out}");
        }
        // Lines are the file's own.
        let files = leak_files(&run, &format!("{M}static"), "TestLeaks");
        assert!(files.iter().any(|f| f.ends_with("static/static_test.go")), "{files:?}");
        assert!(out.contains("static_test.go:16"), "{out}");
    }
}

// 2. Names of tests: go test's rule, with Go's unicode.IsLower.

/// `/tmp/review3/cases/unicodename`, and the names whose test-ness
/// depends on the Go version (ʕ: Ll before Go 1.27, Lo since).
fn names_test_go() -> String {
    format!(
        r#"package names

import "testing"

func Testª(t *testing.T) {{ {LEAK} }}
func Testʰ(t *testing.T) {{ t.Log("modifier letter") }}
func TestOK(t *testing.T) {{}}
func Testʕ(t *testing.T) {{ {LEAK} }}
func Testa(t *testing.T) {{ {LEAK} }}

func Exampleª() {{
	println()
	// Output:
}}

func TestCallsHelpers(t *testing.T) {{
	// Helpers by go test's rule: what they start is the caller's.
	Testb(t)
}}

func Testb(t *testing.T) {{ t.Log("a helper") }}
"#
    )
}

/// The runes of `candidates` that `go` (under `toolchain`) takes for
/// letters: what may follow `Test` in a name that compiles.
fn go_letters(toolchain: &str, candidates: &[char]) -> BTreeSet<char> {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.go");
    std::fs::write(
        &main,
        "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n\t\"unicode\"\n)\n\nfunc main() {\n\ts := bufio.NewScanner(os.Stdin)\n\tfor s.Scan() {\n\t\tfor _, r := range s.Text() {\n\t\t\tif unicode.IsLetter(r) {\n\t\t\t\tfmt.Printf(\"%c\", r)\n\t\t\t}\n\t\t}\n\t}\n}\n",
    )
    .unwrap();
    let mut child = Command::new("go")
        .arg("run")
        .arg(&main)
        .current_dir(dir.path())
        .env("GOTOOLCHAIN", toolchain)
        .env("GOFLAGS", "-mod=mod")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("go runs");
    let text: String = candidates.iter().collect();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().chars().collect()
}

/// A test function for every letter `letters` holds: go test runs those
/// whose letter is not Ll, and leakcheck must check each.
fn letters_test_go(letters: &BTreeSet<char>) -> String {
    let mut src = String::from("package letters\n\nimport \"testing\"\n\n");
    for c in letters {
        src.push_str(&format!("func Test{c}(t *testing.T) {{}}\n"));
    }
    src
}

#[test]
fn tests_are_named_by_gos_lower_case_not_rusts() {
    // Every character Rust calls lower case (Ll, and Other_Lowercase: ª, ʰ,
    // …), and letters of other kinds for contrast.
    let candidates: Vec<char> = (0..=u32::from(char::MAX))
        .filter_map(char::from_u32)
        .filter(|c| c.is_lowercase() || "AÀǅʔʕᴬꟸ々ー".contains(*c))
        .collect();
    for toolchain in ["go1.26.8", "go1.27.3"] {
        let letters = go_letters(toolchain, &candidates);
        assert!(letters.contains(&'ª') && letters.contains(&'a'), "{toolchain}");
        let names = names_test_go();
        let letters_src = letters_test_go(&letters);
        let m = temp_module(&[
            ("names/n.go", "package names\n"),
            ("names/n_test.go", &names),
            ("letters/l_test.go", &letters_src),
        ]);
        // vet calls the lower-case names malformed, as it would without
        // leakcheck.
        let env = [("GOTOOLCHAIN", toolchain)];
        let go = go_test_verdicts(m.path(), &["-count=1", "-vet=off", "./..."], &env);
        let run = run_in(m.path(), &["--grace", "100ms", "--", "-count=1", "-vet=off"], &env);
        let out = format!("{}{}", run.stdout(), run.stderr());
        assert_eq!(run.code(), 1, "{toolchain}: {out}");
        let compared = assert_nothing_lost(&go, &run);
        let names = format!("{M}names");
        assert_eq!(state(&run, &names), "checked", "{toolchain}: {out}");
        assert_eq!(state(&run, &format!("{M}letters")), "checked", "{toolchain}: {out}");
        for (test, want) in [
            ("Testª", "leaked"),
            ("Testʰ", "passed"),
            ("TestOK", "passed"),
            ("Exampleª", "passed"),
            ("TestCallsHelpers", "passed"),
            ("Testa", "absent"),
            ("Testb", "absent"),
        ] {
            assert_eq!(run.verdict(&names, test), want, "{toolchain} {test}\n{out}");
        }
        // ʕ is lower case for Go 1.26, not for Go 1.27: go test's answer is
        // the Go version's, and so is leakcheck's.
        let want = if toolchain == "go1.27.3" { "leaked" } else { "absent" };
        assert_eq!(run.verdict(&names, "Testʕ"), want, "{toolchain}\n{out}");
        // Every letter test go ran (ª, º, ʰ, ᵃ, … and the contrast letters)
        // is in the report, checked.
        let ran = go.keys().filter(|k| k.0 == format!("{M}letters")).count();
        assert!(ran > 60 && compared > ran, "{toolchain}: {ran} letter tests ran");
        assert!(letters.len() > 2 * ran, "{toolchain}: most candidates are Ll");
    }
}

// 3. Subtests given an alias of testing.T.

const ALIAS_TYPES: &str = r#"package alias

import "testing"

type (
	PT = *testing.T
	B2 = testing.B
)

// MyT is not testing's T: a function given one is left as it is.
type MyT struct{ *testing.T }
"#;

fn alias_test_go() -> String {
    format!(
        r#"package alias

import (
	"testing"
)

type T2 = testing.T

type T3 = T2

func TestAliasParam(t *testing.T) {{
	t.Run("s", func(t *T2) {{ {LEAK} }})
}}

func TestChainAndPointer(t *testing.T) {{
	t.Run("chain", func(t *T3) {{ {LEAK} }})
	t.Run("pointer", func(t PT) {{ {LEAK} }})
	t.Run("clean", func(t *T2) {{}})
}}

func TestNotTestingsT(t *testing.T) {{
	with(t, func(t *MyT) {{ t.Log("my T") }})
}}

func with(t *testing.T, f func(*MyT)) {{ f(&MyT{{t}}) }}

func BenchmarkAlias(b *testing.B) {{
	b.Run("sub", func(b *B2) {{}})
}}
"#
    )
}

const ALIAS_X: &str = r#"package alias_test

import tt "testing"

type XT = tt.T

func TestExternal(t *tt.T) {
	t.Run("x", func(t *XT) { go func() { <-make(chan int) }() })
}
"#;

#[test]
fn subtests_given_an_alias_of_testing_t_are_checked_as_subtests() {
    let alias = alias_test_go();
    let m = temp_module(&[
        ("alias/a.go", "package alias\n"),
        ("alias/types_test.go", ALIAS_TYPES),
        ("alias/a_test.go", &alias),
        ("alias/x_test.go", ALIAS_X),
    ]);
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &[]);
    let run = run_in(m.path(), &["--grace", "100ms", "--", "-count=1"], &[]);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    let pkg = format!("{M}alias");
    assert_eq!(state(&run, &pkg), "checked", "{out}");
    // The leak is the subtest's, not its parent's.
    let tests = run.tests();
    for (sub, parent) in [
        ("TestAliasParam/s", "TestAliasParam"),
        ("TestChainAndPointer/chain", "TestChainAndPointer"),
        ("TestChainAndPointer/pointer", "TestChainAndPointer"),
        ("TestExternal/x", "TestExternal"),
    ] {
        assert_eq!(run.verdict(&pkg, sub), "leaked", "{sub}\n{out}");
        let p = &tests[&(pkg.clone(), parent.to_string())];
        assert_eq!(p["failed_by_subtest"], true, "{parent}\n{out}");
        assert!(p["leak"].is_null(), "{parent} is blamed:\n{out}");
    }
    assert_eq!(run.verdict(&pkg, "TestChainAndPointer/clean"), "passed", "{out}");
    // A function given another type compiled and ran.
    assert_eq!(run.verdict(&pkg, "TestNotTestingsT"), "passed", "{out}");
}

// 4. A suite framework's subtests: testify runs a suite's methods as
// subtests from its own code.

const WATCH_GO: &str = r#"package suitepkg

// Watch starts a watcher that waits for a stop signal; close the channel it
// returns to stop it.
func Watch() chan struct{} {
	stop := make(chan struct{})
	go func() { <-stop }()
	return stop
}
"#;

const WATCH_SUITE_TEST_GO: &str = r#"package suitepkg

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/suite"
)

type WatchSuite struct {
	suite.Suite
	stop chan struct{}
}

func TestWatchSuite(t *testing.T) { suite.Run(t, new(WatchSuite)) }

func (s *WatchSuite) SetupTest() {
	if s.T().Name() == "TestWatchSuite/TestSetupLeaks" {
		Watch()
	}
}

func (s *WatchSuite) TestStopped() { close(Watch()) }

func (s *WatchSuite) TestLeaks() { s.NotNil(Watch()) }

func (s *WatchSuite) TestSetupLeaks() {}

func (s *WatchSuite) TestSubtests() {
	s.Run("clean", func() { close(Watch()) })
	s.Run("leaky", func() { Watch() })
	s.Suite.Run("embedded", func() { Watch() })
}

// Harness is not a testify suite: its T locks what its steps are called
// under, and a step runs as any other method.
type Harness struct {
	mu sync.Mutex
	t  *testing.T
	n  int
}

func (h *Harness) T() *testing.T {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.t
}

func (h *Harness) TestStep() { h.n++ }

func TestHarness(t *testing.T) {
	h := &Harness{t: t}
	h.mu.Lock()
	h.TestStep()
	h.mu.Unlock()
	if h.n != 1 {
		t.Fatal("the step did not run")
	}
}
"#;

const WATCH_EXT_TEST_GO: &str = r#"package suitepkg_test

import (
	"testing"

	"example.com/tmp/suitepkg"
	"github.com/stretchr/testify/suite"
)

type ExtSuite struct{ suite.Suite }

func TestExtSuite(t *testing.T) { suite.Run(t, new(ExtSuite)) }

func (ExtSuite) TestValueLeaks() { suitepkg.Watch() }

func (s *ExtSuite) TestClean() { close(suitepkg.Watch()) }
"#;

/// quicktest's `c.Run` gives its function a `*qt.C`, which embeds the
/// subtest's T.
const QUICK_TEST_GO: &str = r#"package qtpkg

import (
	"sync"
	"testing"

	qt "github.com/frankban/quicktest"
)

func watch() chan struct{} {
	stop := make(chan struct{})
	go func() { <-stop }()
	return stop
}

func TestQuick(t *testing.T) {
	c := qt.New(t)
	c.Run("clean", func(c *qt.C) { close(watch()) })
	c.Run("leaky", func(c *qt.C) { c.Assert(watch(), qt.IsNotNil) })
	c.Run("nested", func(c *qt.C) {
		c.Run("leaky", func(c *qt.C) { watch() })
	})
}

// A Run of another type, given a pointer, is left as it is: a hot path
// stays as cheap as it was.
type Conn struct {
	sync.Mutex
	n int
}

type Pool struct{ c Conn }

func (p *Pool) Run(f func(c *Conn)) {
	p.c.Lock()
	f(&p.c)
	p.c.Unlock()
}

func TestPoolRunDoesNotAllocate(t *testing.T) {
	p := &Pool{}
	if n := testing.AllocsPerRun(100, func() { p.Run(func(c *Conn) { c.n++ }) }); n != 0 {
		t.Fatalf("Run allocates %v times", n)
	}
}
"#;

#[test]
fn a_leak_in_a_subtest_a_framework_runs_is_the_subtests() {
    let m = temp_module(&[
        ("suitepkg/watch.go", WATCH_GO),
        ("suitepkg/watch_test.go", WATCH_SUITE_TEST_GO),
        ("suitepkg/ext_test.go", WATCH_EXT_TEST_GO),
        ("qtpkg/q_test.go", QUICK_TEST_GO),
    ]);
    std::fs::write(
        m.path().join("go.mod"),
        "module example.com/tmp\n\ngo 1.21\n\nrequire (\n\tgithub.com/frankban/quicktest v1.14.6\n\tgithub.com/stretchr/testify v1.11.1\n)\n",
    )
    .unwrap();
    // go.sum is written on the way (from the module proxy, or the cache).
    let env = [("GOFLAGS", "-mod=mod")];
    let go = go_test_verdicts(m.path(), &["-count=1", "./..."], &env);
    // (A T the helper called under the lock its caller holds would hang.)
    let run = run_in(m.path(), &["--grace", "100ms", "--", "-count=1", "-timeout=60s"], &env);
    let out = format!("{}{}", run.stdout(), run.stderr());
    assert_eq!(run.code(), 1, "{out}");
    assert_nothing_lost(&go, &run);
    let pkg = format!("{M}suitepkg");
    assert_eq!(state(&run, &pkg), "checked", "{out}");
    let tests = run.tests();
    // Each leak is its method's (or s.Run subtest's), of one goroutine; a
    // goroutine SetupTest starts is the subtest's it was started for.
    for (sub, parent) in [
        ("TestWatchSuite/TestLeaks", "TestWatchSuite"),
        ("TestWatchSuite/TestSetupLeaks", "TestWatchSuite"),
        ("TestWatchSuite/TestSubtests/leaky", "TestWatchSuite/TestSubtests"),
        ("TestWatchSuite/TestSubtests/embedded", "TestWatchSuite/TestSubtests"),
        ("TestExtSuite/TestValueLeaks", "TestExtSuite"),
    ] {
        assert_eq!(run.verdict(&pkg, sub), "leaked", "{sub}\n{out}");
        assert_eq!(
            tests[&(pkg.clone(), sub.to_string())]["leak"]["total"],
            1,
            "{sub}\n{out}"
        );
        let p = &tests[&(pkg.clone(), parent.to_string())];
        assert_eq!(p["failed_by_subtest"], true, "{parent}\n{out}");
        assert!(p["leak"].is_null(), "{parent} is blamed:\n{out}");
    }
    for clean in [
        "TestWatchSuite/TestStopped",
        "TestWatchSuite/TestSubtests/clean",
        "TestExtSuite/TestClean",
        "TestHarness",
    ] {
        assert_eq!(run.verdict(&pkg, clean), "passed", "{clean}\n{out}");
    }
    let pkg = format!("{M}qtpkg");
    assert_eq!(state(&run, &pkg), "checked", "{out}");
    for (sub, parent) in [
        ("TestQuick/leaky", "TestQuick"),
        ("TestQuick/nested/leaky", "TestQuick/nested"),
    ] {
        assert_eq!(run.verdict(&pkg, sub), "leaked", "{sub}\n{out}");
        let p = &tests[&(pkg.clone(), parent.to_string())];
        assert_eq!(p["failed_by_subtest"], true, "{parent}\n{out}");
        assert!(p["leak"].is_null(), "{parent} is blamed:\n{out}");
    }
    assert_eq!(run.verdict(&pkg, "TestQuick/clean"), "passed", "{out}");
    assert_eq!(run.verdict(&pkg, "TestPoolRunDoesNotAllocate"), "passed", "{out}");
}
