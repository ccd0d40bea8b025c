//! Rule regexes against the real Go `regexp`: a pattern leakcheck accepts
//! (`check_dialect`) must compile in Go and match what Rust's regex matches,
//! because the Go helper applies the same rules in the test binary. And each
//! construct leakcheck rejects is shown to be one some Go rejects or reads
//! differently.

use leakcheck::analyse::rules::{check_dialect, Matcher};
use serde_json::{json, Value};

/// Reads `{"patterns": [...], "subjects": [...]}` and prints, for each
/// pattern, `{"error": "..."}` or `{"matches": [bool, ...]}`.
const GO_MATCHER: &str = r#"package main

import (
	"encoding/json"
	"os"
	"regexp"
)

func main() {
	var in struct {
		Patterns []string `json:"patterns"`
		Subjects []string `json:"subjects"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := []map[string]interface{}{}
	for _, p := range in.Patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			out = append(out, map[string]interface{}{"error": err.Error()})
			continue
		}
		m := []bool{}
		for _, s := range in.Subjects {
			m = append(m, re.MatchString(s))
		}
		out = append(out, map[string]interface{}{"matches": m})
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
"#;

/// What Go's regexp (`toolchain`: a GOTOOLCHAIN value, "" for the default
/// go) does with each pattern: `Err` or the matches on `subjects`.
fn go_results(toolchain: &str, patterns: &[String], subjects: &[&str]) -> Vec<Result<Vec<bool>, String>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/gore\n\ngo 1.21\n").unwrap();
    std::fs::write(dir.path().join("main.go"), GO_MATCHER).unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(&input, json!({"patterns": patterns, "subjects": subjects}).to_string()).unwrap();
    let mut cmd = std::process::Command::new("go");
    cmd.current_dir(dir.path())
        .args(["run", "."])
        .stdin(std::fs::File::open(&input).unwrap());
    if !toolchain.is_empty() {
        cmd.env("GOTOOLCHAIN", toolchain);
    }
    let out = cmd.output().expect("go runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), patterns.len());
    v.into_iter()
        .map(|r| match r.get("error") {
            Some(e) => Err(e.as_str().unwrap().to_string()),
            None => Ok(r["matches"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_bool().unwrap())
                .collect()),
        })
        .collect()
}

/// The general categories and scripts in a Go toolchain's unicode tables.
fn go_unicode_names(toolchain: &str) -> Vec<String> {
    const LIST: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"unicode\"\n)\n\nfunc main() {\n\tfor n := range unicode.Categories {\n\t\tfmt.Println(n)\n\t}\n\tfor n := range unicode.Scripts {\n\t\tfmt.Println(n)\n\t}\n}\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/names\n\ngo 1.21\n").unwrap();
    std::fs::write(dir.path().join("main.go"), LIST).unwrap();
    let out = std::process::Command::new("go")
        .current_dir(dir.path())
        .args(["run", "."])
        .env("GOTOOLCHAIN", toolchain)
        .output()
        .expect("go runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn rust_matches(pattern: &str, subjects: &[&str]) -> Vec<bool> {
    let re = regex::Regex::new(pattern).unwrap();
    subjects.iter().map(|s| re.is_match(s)).collect()
}

/// Strings to match on: ASCII only, where the two engines' `\w`, `\d`, `\s`
/// and `\b` agree (on other letters Rust's are Unicode-aware, Go's not).
const SUBJECTS: &[&str] = &[
    "",
    "a",
    "b",
    "A",
    "ab",
    "aab",
    "aaaa",
    "abc",
    "a.b",
    "a b",
    "a\nb",
    "\n",
    "&",
    "a&b",
    "-",
    "~",
    "_",
    "<a",
    "a>",
    "{start}a",
    "a{01}",
    "a{ 2}",
    "a{2 }",
    "a{2}",
    "[",
    "bc]",
    "x1",
    "Z9_",
    " \t",
    "0",
    "Z",
    "^",
    "`",
    "]",
    "+",
    "/",
    "example.com/p.Start",
    "example.com/p.New.func12",
    "net/http.(*persistConn).readLoop",
];

/// Go toolchains the suite already uses: the oldest (1.22 reads `\p{...}` as
/// 1.21 does), the default one and the newest.
const TOOLCHAINS: &[&str] = &["go1.22.12", "", "go1.27.3"];

/// Patterns leakcheck accepts: every Go compiles them and matches as Rust.
const ACCEPTED: &[&str] = &[
    "",
    "a|",
    "(|a)",
    "a.b",
    r"^example\.com/p\.(Start|Leak)$",
    r"^(os/signal\.(signal_recv|loop)|runtime\.ensureSigM(\.func\d+)?)$",
    r"persistConn\)\.readLoop",
    "(?i)ABC",
    "(?m)^b$",
    "(?s)a.b",
    "(?U)a+",
    "(?i-s:A.)",
    "(?is)x",
    "(?-i)a",
    r"\d+\s*\w",
    r"\D\S\W",
    "[a-z0-9_]",
    "[^a-c]",
    "[[:alpha:]][[:^digit:]]",
    "[[:word:][:punct:]]",
    r"\pL\PN",
    r"\p{Greek}|\p{Lu}|\p{Any}|\p{Latin}|\p{Nd}|\p{Han}",
    r"[\pL\p{Nd}]",
    r"\x61\x{62}",
    r"\a|\f|\t|\n|\r|\v",
    r"\.\*\+\?\(\)\[\]\{\}\|\^\$\\",
    r"\#\&\-\~\%\_\ ",
    r"\A\b\B\z",
    "a{2}b{2,}c{2,3}d{0}",
    "a{2}?b*?c+?d??",
    "(a)(?:b)(?P<name>c)",
    "(a{10}){100}",
    "x{1000}",
    "((a{10}){10}){10}",
    "(a*){1000}",
    "[]a]",
    "[^]a]",
    "[a-]",
    "[-a]",
    "[a-b-c]",
    "[--]",
    "[]-]",
    "[-a-c]",
    r"[\--a]",
    "[a&b~c]",
    "^*",
    "(?:a*)*",
    r"func\d+$",
    "a}",
];

/// Patterns leakcheck rejects, with what Go does: `error` (every Go rejects
/// it), `differs` (Go accepts it and matches differently on some subject),
/// `some` (some Go rejects it), `go1.21` (only Go 1.21 rejects it, which the
/// suite does not run), and the construct the error names.
const REJECTED: &[(&str, &str, &str)] = &[
    ("(?x) no match here", "error", "the flag `x`"),
    ("(?u)a", "error", "the flag `u`"),
    ("(?R)a", "error", "the flag `R`"),
    (r"(?-u:\w)", "error", "the flag `u`"),
    (r"(?i:(?x:a))", "error", "the flag `x`"),
    (r"\u0061", "error", r"the escape `\u0061`"),
    (r"\U00000061", "error", r"the escape `\U00000061`"),
    (r"\u{61}", "error", r"the escape `\u{61}`"),
    (r"[\u0061]", "error", r"the escape `\u0061`"),
    ("[a&&b]", "differs", "the class operation `&&` in `[a&&b]`"),
    ("[a--b]", "error", "the class operation `--` in `[a--b]`"),
    ("[a~~b]", "differs", "the class operation `~~` in `[a~~b]`"),
    ("[a[bc]]", "differs", "the class `[bc]` nested in a class"),
    ("[[:foo:]]", "error", "the class `[:foo:]` nested in a class"),
    (r"\<a", "differs", r"`\<`"),
    (r"a\>", "differs", r"`\>`"),
    (r"\b{start}a", "differs", r"`\b{start}`"),
    (r"a\b{end}", "differs", r"`\b{end}`"),
    (r"\b{start-half}a", "differs", r"`\b{start-half}`"),
    (r"\p{Alphabetic}", "error", r"the class `\p{Alphabetic}`"),
    (r"\p{scx=Greek}", "error", r"the class `\p{scx=Greek}`"),
    (r"\p{gc:L}", "error", r"the class `\p{gc:L}`"),
    (r"\p{greek}", "some", r"the class `\p{greek}`"),
    (r"\p{Letter}", "some", r"the class `\p{Letter}`"),
    (r"\pl", "some", r"the class `\pl`"),
    (r"\p{ Greek }", "some", r"the class `\p{ Greek }`"),
    (r"\p{Cn}", "some", r"the class `\p{Cn}`"),
    (r"\p{LC}", "some", r"the class `\p{LC}`"),
    (r"\p{ASCII}", "some", r"the class `\p{ASCII}`"),
    (r"\p{Old_Italic}", "some", r"the class `\p{Old_Italic}`"),
    (r"[\p{SignWriting}]", "some", r"the class `\p{SignWriting}`"),
    ("a{1001}", "error", "the count `{1001}`"),
    ("a{2,1001}", "error", "the count `{2,1001}`"),
    ("(a{100}){11}", "error", "the count `{11}`"),
    ("((a{10}){10}){11}", "error", "the count `{11}`"),
    ("a{01}", "differs", "the count `{01}`"),
    ("a{ 2}", "differs", "the count `{ 2}`"),
    ("a{2 }", "differs", "the count `{2 }`"),
    ("a**", "error", "the repeated repetition `**`"),
    ("a*??", "error", "the repeated repetition `*??`"),
    ("a+*", "error", "the repeated repetition `+*`"),
    ("a{2}*", "error", "the repeated repetition `{2}*`"),
    ("a{2}{3}", "error", "the repeated repetition `{2}{3}`"),
    ("[--a]", "differs", "the `-` after `-` in a class"),
    ("[^--a]", "differs", "the `-` after `-` in a class"),
    ("[]-a]", "differs", "the `-` after `]` in a class"),
    ("(?<n>a)", "go1.21", "the group `(?<n>`"),
    ("(?P<a.b>x)", "error", "the group name `a.b`"),
    ("(?P<a[1]>x)", "error", "the group name `a[1]`"),
    ("(?P<é>x)", "error", "the group name `é`"),
];

#[test]
fn accepted_patterns_compile_in_every_go_and_match_as_in_rust() {
    let patterns: Vec<String> = ACCEPTED.iter().map(|p| p.to_string()).collect();
    for p in ACCEPTED {
        assert!(check_dialect(p).is_ok(), "{p}: {:?}", check_dialect(p));
        assert!(Matcher::regex(p).is_ok(), "{p}");
    }
    for toolchain in TOOLCHAINS {
        for (p, go) in patterns.iter().zip(go_results(toolchain, &patterns, SUBJECTS)) {
            match go {
                Ok(go) => assert_eq!(go, rust_matches(p, SUBJECTS), "{p} under {toolchain:?}: {SUBJECTS:?}"),
                Err(e) => panic!("{p} is accepted, but {toolchain:?} rejects it: {e}"),
            }
        }
    }
}

#[test]
fn each_rejected_construct_is_one_go_rejects_or_reads_differently() {
    let patterns: Vec<String> = REJECTED.iter().map(|(p, _, _)| p.to_string()).collect();
    for (p, _, construct) in REJECTED {
        assert!(regex::Regex::new(p).is_ok(), "{p}: Rust's regex accepts it");
        let e = check_dialect(p).expect_err(p);
        assert!(e.construct == *construct, "{p}: {e}, want {construct}");
        let shown = Matcher::regex(p).unwrap_err().to_string();
        assert!(shown.starts_with(construct) && !shown.contains('\n'), "{p}: {shown}");
    }
    let results: Vec<_> = TOOLCHAINS.iter().map(|t| go_results(t, &patterns, SUBJECTS)).collect();
    for (i, (p, go, _)) in REJECTED.iter().enumerate() {
        let per_go: Vec<&Result<Vec<bool>, String>> = results.iter().map(|r| &r[i]).collect();
        let rust = rust_matches(p, SUBJECTS);
        match *go {
            "error" => assert!(per_go.iter().all(|r| r.is_err()), "{p}: {per_go:?}"),
            "some" => assert!(per_go.iter().any(|r| r.is_err()), "{p}: {per_go:?}"),
            "differs" => assert!(
                per_go.iter().all(|r| r.as_ref().is_ok_and(|m| *m != rust)),
                "{p}: Rust {rust:?}, Go {per_go:?}"
            ),
            "go1.21" => assert!(per_go.iter().all(|r| r.is_ok()), "{p}: {per_go:?}"),
            other => panic!("{other}"),
        }
    }
}

/// A small fixed pseudo-random generator: the same patterns on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

const ATOMS: &[&str] = &[
    "a",
    "b",
    "A",
    "_",
    " ",
    ".",
    "^",
    "$",
    "&",
    "~",
    ":",
    ",",
    "-",
    "}",
    ">",
    "\n",
    r"\d",
    r"\w",
    r"\s",
    r"\W",
    r"\D",
    r"\S",
    r"\b",
    r"\B",
    r"\A",
    r"\z",
    r"\pL",
    r"\PN",
    r"\p{Greek}",
    r"\p{L}",
    r"\p{Lu}",
    r"\p{greek}",
    r"\x61",
    r"\x{62}",
    r"\u0061",
    r"\<",
    r"\>",
    r"\b{start}",
    r"\.",
    r"\-",
    r"\[",
    r"\]",
    r"\{",
    r"\}",
    r"\&",
    r"\~",
    r"\#",
    r"\ ",
    r"\n",
    r"\t",
    r"\Q",
    r"\E",
    "(?i)",
    "(?m)",
    "(?U)",
    "(?i-s)",
    "(?x)",
    "(?u)",
    "[:alpha:]",
];
const OPENS: &[&str] = &[
    "(", "(?:", "(?i:", "(?s:", "(?-i:", "(?U:", "(?P<n>", "(?<m>", "(?P<n.x>", "(?x:", "(?R:",
];
const CLASS_ITEMS: &[&str] = &[
    "a",
    "b",
    "A",
    "a-c",
    "-",
    "&",
    "~",
    ":",
    "^",
    "&&",
    "--",
    "~~",
    "[:alpha:]",
    "[:^digit:]",
    "[:foo:]",
    "[bc]",
    r"\d",
    r"\w",
    r"\S",
    r"\pL",
    r"\p{Greek}",
    r"\x61",
    r"\x{41}-\x{5A}",
    r"\u0061",
    r"\-",
    r"\]",
    r"\[",
    r"\n",
    " ",
];
const REPEATS: &[&str] = &[
    "*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,}", "{0}", "{2}?", "{3,}", "{01}", "{ 2}", "{,2}", "**",
    "{2}{3}", "*+",
];

/// A pattern from the grammar both syntaxes roughly share, with constructs
/// only one has mixed in.
fn grammar_pattern(rng: &mut Rng, depth: u32, out: &mut String) {
    for _ in 0..1 + rng.below(4) {
        match rng.below(if depth > 2 { 2 } else { 6 }) {
            0 | 1 => out.push_str(rng.pick(ATOMS)),
            2 => {
                out.push_str(rng.pick(OPENS));
                grammar_pattern(rng, depth + 1, out);
                out.push(')');
            }
            3 => {
                out.push_str(["[", "[^"][rng.below(2)]);
                if rng.below(8) == 0 {
                    out.push(']');
                }
                for _ in 0..1 + rng.below(3) {
                    out.push_str(rng.pick(CLASS_ITEMS));
                }
                out.push(']');
            }
            4 => out.push('|'),
            _ => {
                grammar_pattern(rng, depth + 1, out);
            }
        }
        if rng.below(3) == 0 {
            out.push_str(rng.pick(REPEATS));
        }
    }
}

/// `\p{...}` takes exactly the names every Go accepts (and Rust too): all
/// names in the newest Go's tables, and some Go accepts only lately.
#[test]
fn unicode_class_names_are_those_every_go_accepts() {
    let mut names = go_unicode_names("go1.27.3");
    names.extend(["Any", "ASCII", "Assigned", "Letter", "greek", "Lowercase_Letter"].map(String::from));
    names.sort();
    names.dedup();
    let patterns: Vec<String> = names.iter().map(|n| format!(r"\p{{{n}}}")).collect();
    let results: Vec<_> = TOOLCHAINS.iter().map(|t| go_results(t, &patterns, &[])).collect();
    let mut taken = 0;
    for (i, p) in patterns.iter().enumerate() {
        let every_go = results.iter().all(|r| r[i].is_ok());
        let rust = regex::Regex::new(p).is_ok();
        let ours = check_dialect(p).is_ok();
        assert_eq!(ours && rust, every_go && rust, "{p}: every Go {every_go}, Rust {rust}");
        taken += usize::from(ours && rust);
    }
    assert!(taken > 150, "{taken}");
}

/// Random patterns: whatever Rust's regex and `check_dialect` accept must
/// compile in Go and match the same.
#[test]
fn random_patterns_leakcheck_accepts_are_read_the_same_by_go() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut accepted = Vec::new();
    let mut rejected_by_check = 0;
    for i in 0..20_000 {
        let mut p = String::new();
        if i % 4 == 0 {
            // Token soup, for what the grammar would not write.
            let soup: Vec<&str> = [ATOMS, OPENS, CLASS_ITEMS, REPEATS, &["(", ")", "[", "]", "|", "{", ","]].concat();
            for _ in 0..1 + rng.below(7) {
                p.push_str(rng.pick(&soup));
            }
        } else {
            grammar_pattern(&mut rng, 0, &mut p);
        }
        // Rust's parser (quicker than compiling each one).
        if regex_syntax::Parser::new().parse(&p).is_err() {
            continue;
        }
        match check_dialect(&p) {
            Ok(()) => accepted.push(p),
            Err(_) => rejected_by_check += 1,
        }
    }
    accepted.sort();
    accepted.dedup();
    assert!(
        accepted.len() > 2_000 && rejected_by_check > 2_000,
        "{} {rejected_by_check}",
        accepted.len()
    );
    for (p, go) in accepted.iter().zip(go_results("", &accepted, SUBJECTS)) {
        match go {
            Ok(go) => assert_eq!(go, rust_matches(p, SUBJECTS), "{p:?}: {SUBJECTS:?}"),
            Err(e) => panic!("{p:?} is accepted, but Go rejects it: {e}"),
        }
    }
}
