//! `--changed`: in a git repository made from a copy of go-fixtures, the
//! real binary selects the packages a change affects, says why, and runs
//! only those.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixtures_dir, leakcheck, run_in, temp_module, GoLog, Run};

const P: &str = "example.com/fixtures/";

/// A dependency chain added to the copy: libb is a leaf; liba's tests import
/// it; libc imports it and embeds page.html; libd imports libc and reads
/// testdata.
const CHAIN: &[(&str, &str)] = &[
    ("libb/b.go", "package libb\n\n// Answer is the answer.\nfunc Answer() int { return 42 }\n"),
    (
        "libb/b_test.go",
        "package libb\n\nimport \"testing\"\n\nfunc TestAnswer(t *testing.T) {\n\tif Answer() != 42 {\n\t\tt.Fatal(Answer())\n\t}\n}\n",
    ),
    ("liba/a.go", "package liba\n\n// Name names the package.\nfunc Name() string { return \"a\" }\n"),
    (
        "liba/a_test.go",
        "package liba\n\nimport (\n\t\"testing\"\n\n\t\"example.com/fixtures/libb\"\n)\n\nfunc TestWithB(t *testing.T) {\n\tif libb.Answer() != 42 || Name() != \"a\" {\n\t\tt.Fatal()\n\t}\n}\n",
    ),
    (
        "libc/c.go",
        "package libc\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/fixtures/libb\"\n)\n\n//go:embed page.html\nvar page string\n\n// Page is the page and the answer.\nfunc Page() (string, int) { return page, libb.Answer() }\n",
    ),
    ("libc/page.html", "<p>hello</p>\n"),
    (
        "libc/c_test.go",
        "package libc\n\nimport \"testing\"\n\nfunc TestPage(t *testing.T) {\n\tif p, n := Page(); p == \"\" || n != 42 {\n\t\tt.Fatal(p, n)\n\t}\n}\n",
    ),
    (
        "libd/d.go",
        "package libd\n\nimport \"example.com/fixtures/libc\"\n\n// Twice doubles the answer.\nfunc Twice() int {\n\t_, n := libc.Page()\n\treturn 2 * n\n}\n",
    ),
    (
        "libd/d_test.go",
        "package libd\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestTwice(t *testing.T) {\n\tif _, err := os.ReadFile(\"testdata/in.txt\"); err != nil || Twice() != 84 {\n\t\tt.Fatal(err)\n\t}\n}\n",
    ),
    ("libd/testdata/in.txt", "input\n"),
];

/// A git repository holding a copy of go-fixtures plus [`CHAIN`], all
/// committed.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixtures_dir(), dir.path());
        let repo = Repo { dir };
        for (path, text) in CHAIN {
            repo.write(path, text);
        }
        repo.git(&["init", "-q"]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "fixtures"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, path: &str, text: &str) {
        let p = self.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn append(&self, path: &str, text: &str) {
        let p = self.path().join(path);
        let mut old = std::fs::read_to_string(&p).unwrap();
        old.push_str(text);
        std::fs::write(p, old).unwrap();
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(self.path())
            .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "leakcheck tests")
            .env("GIT_AUTHOR_EMAIL", "tests@example.com")
            .env("GIT_COMMITTER_NAME", "leakcheck tests")
            .env("GIT_COMMITTER_EMAIL", "tests@example.com")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn leakcheck(&self, args: &[&str]) -> Run {
        run_in(self.path(), args, &[])
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The printed selection: package → reason.
fn selection(run: &Run) -> BTreeMap<String, String> {
    let out = run.stdout();
    let mut lines = out.lines();
    assert!(
        lines.any(|l| l.starts_with("leakcheck: changed since ")),
        "no selection header:\n{out}{}",
        run.stderr()
    );
    lines
        .map_while(|l| l.strip_prefix("  "))
        .map(|l| {
            let (pkg, why) = l.split_once(' ').unwrap();
            (pkg.to_string(), why.trim().to_string())
        })
        .collect()
}

/// The packages in the JSON report.
fn reported(run: &Run) -> BTreeSet<String> {
    run.report["packages"]
        .as_array()
        .unwrap_or_else(|| panic!("no JSON report:\n{}{}", run.stdout(), run.stderr()))
        .iter()
        .map(|p| p["import_path"].as_str().unwrap().to_string())
        .collect()
}

fn pkgs(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| format!("{P}{n}")).collect()
}

#[test]
fn a_changed_leaf_selects_it_and_its_dependents_only() {
    let repo = Repo::new();
    repo.append(
        "libb/b.go",
        "\n// Question is unknown.\nfunc Question() string { return \"\" }\n",
    );
    let run = repo.leakcheck(&["--changed"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    let want: BTreeMap<String, String> = [
        ("liba", "depends on example.com/fixtures/libb"),
        ("libb", "changed: b.go"),
        ("libc", "depends on example.com/fixtures/libb"),
        ("libd", "depends on example.com/fixtures/libb"),
    ]
    .iter()
    .map(|(p, why)| (format!("{P}{p}"), why.to_string()))
    .collect();
    assert_eq!(selection(&run), want, "{}", run.stdout());
    assert!(run.stdout().contains("(HEAD)"), "{}", run.stdout());
    assert_eq!(reported(&run), pkgs(&["liba", "libb", "libc", "libd"]));
    assert_eq!(run.tests().len(), 4, "{:?}", run.tests().keys());
}

// The run tests the selected packages as the selection's own listing
// describes them: `go list` runs once (go is wrapped by a script that logs
// each command and runs the real go).
#[test]
fn the_selected_packages_are_listed_once() {
    let repo = Repo::new();
    repo.append(
        "libb/b.go",
        "\n// Question is unknown.\nfunc Question() string { return \"\" }\n",
    );
    let go = GoLog::new();
    let run = run_in(repo.path(), &["--changed"], &[("LEAKCHECK_GO", &go.go())]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert_eq!(reported(&run), pkgs(&["liba", "libb", "libc", "libd"]));
    assert_eq!(go.count("list"), 1);
    assert_eq!(go.count("test"), 1);
}

#[test]
fn test_files_testdata_and_embedded_files() {
    let repo = Repo::new();
    // testdata: the package's tests read it; nothing else sees it.
    repo.append("libd/testdata/in.txt", "more\n");
    let run = repo.leakcheck(&["--changed"]);
    assert_eq!(
        selection(&run),
        BTreeMap::from([(format!("{P}libd"), "changed: testdata/in.txt".to_string())])
    );
    assert_eq!(reported(&run), pkgs(&["libd"]));
    // A staged embedded file is part of libc's build: libd depends on it.
    repo.append("libc/page.html", "<p>more</p>\n");
    repo.git(&["add", "libc/page.html"]);
    let run = repo.leakcheck(&["--changed"]);
    let got = selection(&run);
    assert_eq!(got[&format!("{P}libc")], "changed: page.html");
    assert_eq!(got[&format!("{P}libd")], "changed: testdata/in.txt");
    assert_eq!(reported(&run), pkgs(&["libc", "libd"]));
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
}

#[test]
fn an_untracked_test_file_is_picked_up() {
    let repo = Repo::new();
    repo.write(
        "libc/extra_test.go",
        "package libc\n\nimport \"testing\"\n\nfunc TestExtra(t *testing.T) { go func() { select {} }() }\n",
    );
    let run = repo.leakcheck(&["--changed"]);
    // A test file: libc only, not libd, which imports libc's code.
    assert_eq!(
        selection(&run),
        BTreeMap::from([(format!("{P}libc"), "changed: extra_test.go".to_string())])
    );
    assert_eq!(reported(&run), pkgs(&["libc"]));
    let t = &run.tests()[&(format!("{P}libc"), "TestExtra".to_string())];
    assert_eq!(t["verdict"], "leaked", "{}", run.stdout());
    assert_eq!(run.code(), 1);
}

#[test]
fn go_mod_selects_every_package() {
    let repo = Repo::new();
    repo.append("go.mod", "\n// touched\n");
    // -run '^$': every package builds and runs its helper, no test runs.
    let run = repo.leakcheck(&["--changed", "--", "-run", "^$"]);
    let got = selection(&run);
    let mut all: BTreeSet<String> = std::fs::read_dir(repo.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| format!("{P}{}", e.file_name().to_string_lossy()))
        .collect();
    all.remove(&format!("{P}testdata"));
    assert!(all.len() > 20, "{all:?}");
    assert_eq!(got.keys().cloned().collect::<BTreeSet<_>>(), all, "{}", run.stdout());
    assert!(got.values().all(|why| why == "changed: go.mod"), "{got:?}");
    assert!(run.stdout().contains("testing every package"), "{}", run.stdout());
    assert_eq!(reported(&run), all);
}

#[test]
fn a_revision_compares_with_it_and_nothing_changed_runs_nothing() {
    let repo = Repo::new();
    repo.append("libc/c.go", "\n// Extra is more.\nfunc Extra() {}\n");
    repo.git(&["commit", "-q", "-a", "-m", "libc"]);
    // Committed: nothing differs from HEAD (there is no upstream).
    let run = repo.leakcheck(&["--changed"]);
    assert_eq!(run.code(), 0, "{}{}", run.stdout(), run.stderr());
    assert!(
        run.stdout().starts_with("leakcheck: nothing changed since "),
        "{}",
        run.stdout()
    );
    assert!(reported(&run).is_empty(), "the reports exist, and are empty");
    // Since the first commit: libc and what imports it.
    let run = repo.leakcheck(&["--changed", "HEAD~1", "./libc", "./libd", "./liba"]);
    assert_eq!(
        selection(&run).keys().cloned().collect::<BTreeSet<_>>(),
        pkgs(&["libc", "libd"])
    );
    // The patterns bound the selection.
    let run = repo.leakcheck(&["./liba", "./libd", "--changed=HEAD~1"]);
    assert_eq!(
        selection(&run).keys().cloned().collect::<BTreeSet<_>>(),
        pkgs(&["libd"])
    );
    assert_eq!(reported(&run), pkgs(&["libd"]));
    // Not a revision: one line, exit 2.
    let run = repo.leakcheck(&["--changed", "no-such-branch"]);
    assert_eq!(run.code(), 2);
    assert_eq!(run.stderr().lines().count(), 1, "{}", run.stderr());
    assert!(
        run.stderr().contains("`no-such-branch` is not a git revision"),
        "{}",
        run.stderr()
    );
}

#[test]
fn the_default_base_is_the_merge_base_with_the_upstream() {
    let upstream = Repo::new();
    let clone = tempfile::tempdir().unwrap();
    let repo = Repo { dir: clone };
    let out = Command::new("git")
        .args(["clone", "-q"])
        .arg(upstream.path())
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Committed on this branch, not pushed: still "changed".
    repo.append("liba/a.go", "\n// More is more.\nfunc More() {}\n");
    repo.git(&["commit", "-q", "-a", "-m", "liba"]);
    let run = repo.leakcheck(&["--changed"]);
    assert!(
        run.stdout().contains("(merge base with origin/main)"),
        "{}",
        run.stdout()
    );
    assert_eq!(
        selection(&run),
        BTreeMap::from([(format!("{P}liba"), "changed: a.go".to_string())])
    );
}

#[test]
fn before_the_first_commit_every_file_is_new() {
    let m = temp_module(&[(
        "a/a_test.go",
        "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
    )]);
    let repo = Repo { dir: m };
    repo.git(&["init", "-q"]);
    repo.git(&["add", "a/a_test.go"]);
    let run = repo.leakcheck(&["--changed"]);
    assert!(
        run.stdout().contains("(no commit yet)"),
        "{}{}",
        run.stdout(),
        run.stderr()
    );
    assert_eq!(
        selection(&run),
        BTreeMap::from([("example.com/tmp/a".to_string(), "changed: a_test.go".to_string())])
    );
    assert_eq!(run.code(), 0);
}

#[test]
fn outside_a_git_repository_is_one_line_and_exit_2() {
    let m = temp_module(&[(
        "a/a_test.go",
        "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
    )]);
    let out = leakcheck()
        .current_dir(m.path())
        .arg("--changed")
        // git must not find a repository above the temporary directory.
        .env("GIT_CEILING_DIRECTORIES", m.path().parent().unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("leakcheck: --changed needs a git repository: "),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn changed_and_update_baseline_do_not_mix() {
    let out = leakcheck()
        .current_dir(fixtures_dir())
        .args(["--changed", "--update-baseline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
