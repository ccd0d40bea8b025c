//! Adding the Go helper to every tested package through `go test -overlay`,
//! without writing into the user's tree.
//!
//! For each package with tests, the overlay maps a file that does not exist,
//! `<dir>/zz_leakcheck_test.go`, to the helper (`helper/leakcheck_test.go`
//! with its package clause replaced). A package that has its own `TestMain`
//! gets a copy of that file with the function renamed to
//! `leakcheckUserTestMain` and `os.Exit(X)` turned into
//! `os.Exit(leakcheckAtExit(X))` (`leakcheckAtExitAfterRun` for the bare
//! `os.Exit(m.Run())` form), plus a one-line file that links the two.
//! All files live in a temporary directory removed when the [`Overlay`] drops.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::discover::GoPackage;
use crate::error::{Error, Result};

/// The helper, embedded from its real, vetted Go file.
pub const HELPER_SOURCE: &str = include_str!("../helper/leakcheck_test.go");
/// Links a renamed user TestMain to the helper.
pub const USER_MAIN_LINK_SOURCE: &str = include_str!("../helper/usermain_link_test.go");

/// The name the overlay gives the helper in each package directory.
pub const HELPER_FILE_NAME: &str = "zz_leakcheck_test.go";
const LINK_FILE_NAME: &str = "zz_leakcheck_usermain_test.go";
const HELPER_PACKAGE_CLAUSE: &str = "package helper\n";

/// The overlay for one `go test` run; its files vanish when it drops.
#[derive(Debug)]
pub struct Overlay {
    dir: tempfile::TempDir,
    /// The file to pass as `-overlay=`.
    pub json_path: PathBuf,
    /// What was injected where, by import path.
    pub injections: BTreeMap<String, Injection>,
}

impl Overlay {
    /// The temporary directory holding the overlay's files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// How a package was instrumented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The package clause the helper joined (`p` or `p_test`).
    pub package_clause: String,
    /// The file holding the package's own TestMain, if it has one.
    pub user_main: Option<PathBuf>,
    /// Whether `os.Exit` calls in that file now run the package-level check.
    pub exit_rewritten: bool,
}

#[derive(Serialize, Deserialize, Default)]
struct OverlayJson {
    #[serde(rename = "Replace")]
    replace: BTreeMap<PathBuf, PathBuf>,
}

/// Builds the overlay for `packages`, merged with the user's own
/// `-overlay` file if they gave one.
pub fn build(packages: &[GoPackage], user_overlay: Option<&Path>) -> Result<Overlay> {
    let dir = tempfile::Builder::new()
        .prefix("leakcheck-overlay-")
        .tempdir()
        .map_err(|e| Error::io("cannot create a temporary directory in", std::env::temp_dir(), e))?;
    let mut json = match user_overlay {
        Some(path) => {
            let text = fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
            serde_json::from_slice(&text).map_err(|e| Error::Source {
                path: path.to_path_buf(),
                message: format!("not an overlay file: {e}"),
            })?
        }
        None => OverlayJson::default(),
    };
    let mut injections = BTreeMap::new();
    for (n, pkg) in packages.iter().filter(|p| p.has_tests()).enumerate() {
        let pkg_dir = dir.path().join(n.to_string());
        fs::create_dir(&pkg_dir).map_err(|e| Error::io("cannot create", &pkg_dir, e))?;
        let injection = inject_package(pkg, &pkg_dir, &mut json.replace)?;
        injections.insert(pkg.import_path.clone(), injection);
    }
    let json_path = dir.path().join("overlay.json");
    let text = serde_json::to_vec_pretty(&json).expect("overlay JSON serialises");
    fs::write(&json_path, text).map_err(|e| Error::io("cannot write", &json_path, e))?;
    Ok(Overlay {
        dir,
        json_path,
        injections,
    })
}

fn inject_package(pkg: &GoPackage, out_dir: &Path, replace: &mut BTreeMap<PathBuf, PathBuf>) -> Result<Injection> {
    // The helper must join the package that holds the user's TestMain, if
    // any; else the internal test package when there is one.
    let mut user_main = None;
    for (file, external) in pkg
        .test_go_files
        .iter()
        .map(|f| (f, false))
        .chain(pkg.xtest_go_files.iter().map(|f| (f, true)))
    {
        let path = pkg.dir.join(file);
        let source_path = replace.get(&path).cloned().unwrap_or_else(|| path.clone());
        let source = fs::read_to_string(&source_path).map_err(|e| Error::io("cannot read", &source_path, e))?;
        if let Some(rewrite) = rewrite_user_main(&source) {
            user_main = Some((path, external, rewrite));
            break;
        }
    }
    let external = match &user_main {
        Some((_, external, _)) => *external,
        None => pkg.test_go_files.is_empty(),
    };
    let package_clause = if external {
        format!("{}_test", pkg.name)
    } else {
        pkg.name.clone()
    };
    let helper = with_package(HELPER_SOURCE, &package_clause);
    let helper_path = out_dir.join(HELPER_FILE_NAME);
    write(&helper_path, &helper)?;
    replace.insert(pkg.dir.join(HELPER_FILE_NAME), helper_path);
    let mut injection = Injection {
        package_clause: package_clause.clone(),
        user_main: None,
        exit_rewritten: false,
    };
    if let Some((path, _, rewrite)) = user_main {
        let copy = out_dir.join(path.file_name().unwrap_or_default());
        write(&copy, &rewrite.source)?;
        replace.insert(path.clone(), copy);
        let link = out_dir.join(LINK_FILE_NAME);
        write(&link, &with_package(USER_MAIN_LINK_SOURCE, &package_clause))?;
        replace.insert(pkg.dir.join(LINK_FILE_NAME), link);
        injection.user_main = Some(path);
        injection.exit_rewritten = rewrite.exits_rewritten > 0;
    }
    Ok(injection)
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))
}

/// The helper source with its package clause replaced.
pub fn with_package(source: &str, package: &str) -> String {
    source.replacen(HELPER_PACKAGE_CLAUSE, &format!("package {package}\n"), 1)
}

/// A user test file with its TestMain renamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMainRewrite {
    /// The rewritten source.
    pub source: String,
    /// How many `os.Exit(` calls now pass through `leakcheckAtExit`.
    pub exits_rewritten: usize,
}

/// Renames a top-level `func TestMain(` to `leakcheckUserTestMain` and wraps
/// the argument of every `os.Exit(` call (under whatever name the file
/// imports "os") in `leakcheckAtExit(…)`. `None` when the file has no
/// TestMain. Comments and string literals are never touched.
pub fn rewrite_user_main(source: &str) -> Option<UserMainRewrite> {
    let toks = golex::tokens(source);
    let mut edits: Vec<(usize, usize, &str)> = Vec::new(); // (start, end, replacement)
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "{" => depth += 1,
            "}" => depth -= 1,
            "func" if depth == 0 => {
                if let (Some(name), Some(paren)) = (toks.get(i + 1), toks.get(i + 2)) {
                    if name.text == "TestMain" && paren.text == "(" {
                        edits.push((name.start, name.start + name.text.len(), "leakcheckUserTestMain"));
                    }
                }
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return None;
    }
    let mut exits = 0;
    if let Some(os) = golex::import_name(&toks, "os") {
        for i in 0..toks.len() {
            let is_exit = toks[i].text == os
                && toks.get(i + 1).is_some_and(|t| t.text == ".")
                && toks.get(i + 2).is_some_and(|t| t.text == "Exit")
                && toks.get(i + 3).is_some_and(|t| t.text == "(")
                && (i == 0 || toks[i - 1].text != ".");
            if !is_exit {
                continue;
            }
            if let Some(close) = golex::matching_paren(&toks, i + 3) {
                let open_end = toks[i + 3].start + 1;
                // `os.Exit(m.Run())`: no teardown between the tests and
                // the exit, so setup's goroutines are the package's
                // fixtures (see the helper's leakcheckAtExitAfterRun).
                let arg: Vec<&str> = toks[i + 4..close].iter().map(|t| t.text).collect();
                let direct = matches!(arg.as_slice(), [_, ".", "Run", "(", ")"]);
                edits.push((
                    open_end,
                    open_end,
                    if direct {
                        "leakcheckAtExitAfterRun("
                    } else {
                        "leakcheckAtExit("
                    },
                ));
                edits.push((toks[close].start, toks[close].start, ")"));
                exits += 1;
            }
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let mut out = source.to_string();
    for (start, end, text) in edits {
        out.replace_range(start..end, text);
    }
    Some(UserMainRewrite {
        source: out,
        exits_rewritten: exits,
    })
}

/// Just enough of a Go lexer to rename and rewrite safely: identifiers,
/// punctuation, literals; comments and white space skipped.
mod golex {
    /// A token and its byte offset.
    #[derive(Debug, Clone, Copy)]
    pub struct Tok<'a> {
        pub text: &'a str,
        pub start: usize,
    }

    pub fn tokens(src: &str) -> Vec<Tok<'_>> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let start = i;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i = memchr::memmem::find(&b[i + 2..], b"*/").map_or(b.len(), |n| i + 2 + n + 2);
                }
                b'"' | b'\'' => {
                    i += 1;
                    while i < b.len() && b[i] != c && b[i] != b'\n' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i = (i + 1).min(b.len());
                    out.push(Tok {
                        text: &src[start..i],
                        start,
                    });
                }
                b'`' => {
                    i = memchr::memchr(b'`', &b[i + 1..]).map_or(b.len(), |n| i + 1 + n + 1);
                    out.push(Tok {
                        text: &src[start..i],
                        start,
                    });
                }
                c if c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80 => {
                    while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
                        i += 1;
                    }
                    out.push(Tok {
                        text: &src[start..i],
                        start,
                    });
                }
                _ => {
                    i += 1;
                    out.push(Tok {
                        text: &src[start..i],
                        start,
                    });
                }
            }
        }
        out
    }

    /// The name under which the file imports `path`, if it does (not for
    /// `_` or dot imports).
    pub fn import_name(toks: &[Tok<'_>], path: &str) -> Option<String> {
        let quoted = format!("\"{path}\"");
        let raw = format!("`{path}`");
        let default = path.rsplit('/').next().unwrap_or(path);
        let mut in_import = false;
        let mut paren = false;
        for (i, t) in toks.iter().enumerate() {
            match t.text {
                "import" => {
                    in_import = true;
                    paren = toks.get(i + 1).is_some_and(|n| n.text == "(");
                }
                ")" if in_import && paren => in_import = false,
                "func" | "var" | "const" | "type" => in_import = false,
                s if in_import && (s == quoted || s == raw) => {
                    let prev = toks[i - 1].text;
                    if prev == "_" || prev == "." {
                        return None;
                    }
                    let is_alias = prev != "import"
                        && prev
                            .bytes()
                            .next()
                            .is_some_and(|c| c == b'_' || c.is_ascii_alphabetic() || c >= 0x80);
                    return Some(if is_alias { prev } else { default }.to_string());
                }
                s if in_import && !paren && s.starts_with('"') => in_import = false,
                _ => {}
            }
        }
        None
    }

    /// The index of the `)` closing the `(` at `open`.
    pub fn matching_paren(toks: &[Tok<'_>], open: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, t) in toks.iter().enumerate().skip(open) {
            match t.text {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_test_main_and_wraps_exits() {
        let src = r#"package p

import (
	"fmt"
	"os"
	"testing"
)

// TestMain in a comment: func TestMain(m *testing.M) { os.Exit(1) }
func TestMain(m *testing.M) {
	fmt.Println("os.Exit(m.Run())")
	os.Exit(m.Run())
}

func helper() { os.Exit(f(1, g(2))) }
"#;
        let r = rewrite_user_main(src).unwrap();
        assert_eq!(r.exits_rewritten, 2);
        assert!(r.source.contains("func leakcheckUserTestMain(m *testing.M) {"));
        assert!(r.source.contains("\tos.Exit(leakcheckAtExitAfterRun(m.Run()))\n"));
        assert!(r.source.contains("os.Exit(leakcheckAtExit(f(1, g(2))))"));
        assert!(r.source.contains(r#"fmt.Println("os.Exit(m.Run())")"#));
        assert!(r
            .source
            .contains("// TestMain in a comment: func TestMain(m *testing.M) { os.Exit(1) }"));
    }

    #[test]
    fn aliased_and_missing_imports() {
        let src =
            "package p\nimport sys \"os\"\nimport \"testing\"\nfunc TestMain(m *testing.M) { sys.Exit(m.Run()) }\n";
        let r = rewrite_user_main(src).unwrap();
        assert!(r.source.contains("sys.Exit(leakcheckAtExitAfterRun(m.Run()))"));
        let src = "package p\nimport \"testing\"\nfunc TestMain(m *testing.M) { m.Run() }\n";
        assert_eq!(rewrite_user_main(src).unwrap().exits_rewritten, 0);
        assert!(rewrite_user_main("package p\nfunc (s S) TestMain(m int) {}\n").is_none());
    }

    #[test]
    fn helper_package_clause_is_replaced() {
        let out = with_package(HELPER_SOURCE, "foo_test");
        assert!(out.contains("\npackage foo_test\n"));
        assert!(!out.contains("\npackage helper\n"));
    }
}
