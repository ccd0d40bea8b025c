//! Which packages a change affects: `--changed`, and what `--watch` reruns.
//!
//! Two inputs, both plain data. [`git_changes`] asks git which files differ
//! from a revision (committed since, staged, unstaged and untracked).
//! [`Graph::load`] asks `go list -deps -test` for the packages, their files
//! and imports. [`Graph::select`] maps changed files to packages and follows
//! imports backwards inside the main module(s), so a package is selected when
//! its own files changed or when it (or its tests) depends on one that did.
//!
//! A change to a package's test files (`_test.go`, test-only embedded files,
//! `testdata/`) selects that package only: nothing else compiles them. A
//! change to `go.mod`, `go.sum` or `go.work` selects every package, since it
//! can change any dependency.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::discover::{self, GoListError, GoPackage, Toolchain};
use crate::error::{Error, Result};
use crate::goargs::GoTestArgs;
use crate::session::{Known, RunOptions};

/// The files that differ from a git revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitChanges {
    /// What the files were compared with, for people:
    /// `3f2c1a9 (merge base with origin/main)`.
    pub base: String,
    /// Absolute paths, sorted, each once (deleted files included).
    pub files: Vec<PathBuf>,
}

/// The files in `dir`'s git repository that differ from `rev`: committed
/// since, staged, unstaged, and untracked ones git does not ignore. Without
/// `rev`, the merge base with the branch's upstream, else `HEAD`.
pub fn git_changes(dir: &Path, rev: Option<&str>) -> Result<GitChanges> {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
        GitError::NotRun(e) => Error::Usage(format!("--changed needs git: cannot run `git`: {e}")),
        GitError::Failed(msg) if msg.contains("not a git repository") => Error::Usage(format!(
            "--changed needs a git repository: {} is not inside one",
            dir.display()
        )),
        GitError::Failed(msg) => Error::Usage(format!("--changed: git failed in {}: {msg}", dir.display())),
    })?;
    let top = canonical(Path::new(top.trim()));
    let (commit, why) = match rev {
        Some(r) => {
            let commit = git(&top, &["rev-parse", "--verify", "--quiet", &format!("{r}^{{commit}}")]).map_err(|_| {
                Error::Usage(format!(
                    "--changed: `{r}` is not a git revision in {} (to pass packages, put them before --changed or write --changed=REF)",
                    top.display()
                ))
            })?;
            (commit.trim().to_string(), r.to_string())
        }
        None => match git(&top, &["merge-base", "HEAD", "@{upstream}"]) {
            Ok(commit) => {
                let upstream = git(&top, &["rev-parse", "--abbrev-ref", "@{upstream}"])
                    .map(|u| u.trim().to_string())
                    .unwrap_or_else(|_| "upstream".into());
                (commit.trim().to_string(), format!("merge base with {upstream}"))
            }
            Err(_) => match git(&top, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) {
                Ok(commit) => (commit.trim().to_string(), "HEAD".to_string()),
                // No commit yet: compare with the empty tree (its id depends
                // on the repository's hash), so every file is new.
                Err(_) => match git(&top, &["hash-object", "-t", "tree", "--stdin"]) {
                    Ok(tree) => (tree.trim().to_string(), "no commit yet".to_string()),
                    Err(_) => return Err(Error::Usage(format!("--changed: {} has no commit", top.display()))),
                },
            },
        },
    };
    let failed = |what: &str, e: GitError| {
        Error::Usage(format!(
            "--changed: `git {what}` failed in {}: {}",
            top.display(),
            match e {
                GitError::NotRun(e) => e.to_string(),
                GitError::Failed(m) => m,
            }
        ))
    };
    // The working tree against the base: commits since, staged and unstaged
    // changes of tracked files alike.
    let diff =
        git(&top, &["diff", "--name-only", "-z", "--no-renames", &commit, "--"]).map_err(|e| failed("diff", e))?;
    let untracked =
        git(&top, &["ls-files", "--others", "--exclude-standard", "-z"]).map_err(|e| failed("ls-files", e))?;
    let files: BTreeSet<PathBuf> = diff
        .split('\0')
        .chain(untracked.split('\0'))
        .filter(|p| !p.is_empty())
        .map(|p| top.join(p))
        .collect();
    let short = git(&top, &["rev-parse", "--short", &commit])
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| commit.chars().take(12).collect());
    Ok(GitChanges {
        base: format!("{short} ({why})"),
        files: files.into_iter().collect(),
    })
}

enum GitError {
    NotRun(std::io::Error),
    Failed(String),
}

/// Runs git in `dir` and returns its standard output.
fn git(dir: &Path, args: &[&str]) -> std::result::Result<String, GitError> {
    let out = crate::run::interrupt::setup_output(
        std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            // Messages in English: "not a git repository" is matched above.
            .env("LC_ALL", "C"),
    )
    .map_err(GitError::NotRun)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return Err(GitError::Failed(first.to_string()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether a changed file touches a package's build (and so everything that
/// imports it) or only its tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Build,
    Tests,
}

/// A package of the main module(s): its imports, for the reverse graph.
#[derive(Debug, Clone, Default)]
struct Node {
    imports: Vec<String>,
    test_imports: Vec<String>,
}

/// The packages under test and the main module(s)' import graph.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The module (or workspace) root: file names are shown relative to it.
    root: PathBuf,
    /// The packages the patterns matched, sorted: what can be selected.
    candidates: Vec<String>,
    /// A pattern matched nothing: `go list` said so with an entry that is
    /// only an error, which a run of the patterns reports.
    unmatched: bool,
    /// Every main-module package, with its imports.
    nodes: BTreeMap<String, Node>,
    /// A package's file (absolute) → the package and what the file is for.
    files: HashMap<PathBuf, (String, Scope)>,
    /// A package's directory → the package.
    dirs: HashMap<PathBuf, String>,
    /// go.mod, go.sum, go.work, go.work.sum: a change selects everything.
    module_files: BTreeSet<PathBuf>,
    /// The main modules' directories (and the workspace's).
    module_dirs: BTreeSet<PathBuf>,
    /// What the run needs of each candidate (its files), so that a run of
    /// the selected packages does not list them again.
    go_packages: HashMap<String, GoPackage>,
}

/// What `go list -json` says about a package; only what selection needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Listed {
    import_path: String,
    name: String,
    dir: PathBuf,
    for_test: String,
    dep_only: bool,
    standard: bool,
    module: Option<ListedModule>,
    imports: Vec<String>,
    test_imports: Vec<String>,
    #[serde(rename = "XTestImports")]
    xtest_imports: Vec<String>,
    go_files: Vec<String>,
    cgo_files: Vec<String>,
    c_files: Vec<String>,
    #[serde(rename = "CXXFiles")]
    cxx_files: Vec<String>,
    m_files: Vec<String>,
    h_files: Vec<String>,
    f_files: Vec<String>,
    s_files: Vec<String>,
    swig_files: Vec<String>,
    #[serde(rename = "SwigCXXFiles")]
    swig_cxx_files: Vec<String>,
    syso_files: Vec<String>,
    embed_files: Vec<String>,
    test_go_files: Vec<String>,
    #[serde(rename = "XTestGoFiles")]
    xtest_go_files: Vec<String>,
    test_embed_files: Vec<String>,
    #[serde(rename = "XTestEmbedFiles")]
    xtest_embed_files: Vec<String>,
    embed_patterns: Vec<String>,
    test_embed_patterns: Vec<String>,
    #[serde(rename = "XTestEmbedPatterns")]
    xtest_embed_patterns: Vec<String>,
    error: Option<GoListError>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ListedModule {
    main: bool,
    dir: Option<PathBuf>,
    go_mod: Option<PathBuf>,
}

/// The `go list -json=…` fields [`Listed`] reads (asking for fewer keeps the
/// standard library's entries small).
const FIELDS: &str = "ImportPath,Name,Dir,ForTest,DepOnly,Standard,Module,Imports,TestImports,XTestImports,\
GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedFiles,\
TestGoFiles,XTestGoFiles,TestEmbedFiles,XTestEmbedFiles,EmbedPatterns,TestEmbedPatterns,XTestEmbedPatterns,Error";

impl Graph {
    /// Lists `patterns` and their dependencies, tests included
    /// (`go list -e -deps -test`), with the go test flags that decide which
    /// files belong to a package (`-tags`, …).
    pub fn load(tc: &Toolchain, patterns: &[String], go_test_args: &GoTestArgs) -> Result<Graph> {
        let mut args = vec![
            "list".to_string(),
            "-e".into(),
            "-deps".into(),
            "-test".into(),
            format!("-json={FIELDS}"),
        ];
        args.extend(go_test_args.list_flags());
        args.extend(patterns.iter().cloned());
        let listed: Vec<Listed> = discover::go_list(tc, &args)?;
        let mut module_files: Vec<PathBuf> = Vec::new();
        for f in tc.gomod.iter().chain(tc.gowork.iter()) {
            module_files.push(f.clone());
        }
        let graph = Graph::from_listed(tc.root(), listed, module_files);
        if graph.candidates.is_empty() {
            return Err(Error::NoPackages(format!("{} matched no packages", patterns.join(" "))));
        }
        // As a run refuses patterns that name nothing to test.
        if let Some(pkgs) = graph.go_packages(&graph.candidates) {
            discover::names_something(&pkgs)?;
        }
        Ok(graph)
    }

    /// The graph from `go list`'s entries; `module_files` are go.mod or
    /// go.work files known besides the main modules'.
    fn from_listed(root: &Path, listed: Vec<Listed>, module_files: Vec<PathBuf>) -> Graph {
        let mut g = Graph {
            root: canonical(root),
            ..Graph::default()
        };
        for f in module_files {
            g.add_module_file(&f);
        }
        for p in listed {
            // Test variants (`p [p.test]`, `p_test [p.test]`) and generated
            // test mains repeat what the plain entry says.
            let testmain = p.name == "main"
                && p.import_path.ends_with(".test")
                && p.go_files.iter().all(|f| Path::new(f).is_absolute());
            if !p.for_test.is_empty() || p.import_path.contains(' ') || testmain {
                continue;
            }
            if p.dir.as_os_str().is_empty() {
                g.unmatched = true; // a pattern that matched nothing: only an error
                continue;
            }
            if !p.dep_only {
                g.candidates.push(p.import_path.clone());
                g.go_packages.entry(p.import_path.clone()).or_insert_with(|| GoPackage {
                    import_path: p.import_path.clone(),
                    name: p.name.clone(),
                    dir: p.dir.clone(),
                    go_files: p.go_files.clone(),
                    cgo_files: p.cgo_files.clone(),
                    s_files: p.s_files.clone(),
                    test_go_files: p.test_go_files.clone(),
                    xtest_go_files: p.xtest_go_files.clone(),
                    xtest_imports: p.xtest_imports.clone(),
                    embed_patterns: p.embed_patterns.clone(),
                    test_embed_patterns: p.test_embed_patterns.clone(),
                    xtest_embed_patterns: p.xtest_embed_patterns.clone(),
                    error: p.error.clone(),
                });
            }
            if p.standard {
                continue;
            }
            let Some(module) = p.module.as_ref().filter(|m| m.main) else {
                continue;
            };
            if let Some(gomod) = &module.go_mod {
                g.add_module_file(gomod);
            }
            if let Some(dir) = &module.dir {
                g.module_dirs.insert(canonical(dir));
            }
            let dir = canonical(&p.dir);
            let build = [
                &p.go_files,
                &p.cgo_files,
                &p.c_files,
                &p.cxx_files,
                &p.m_files,
                &p.h_files,
                &p.f_files,
                &p.s_files,
                &p.swig_files,
                &p.swig_cxx_files,
                &p.syso_files,
                &p.embed_files,
            ];
            let tests = [
                &p.test_go_files,
                &p.xtest_go_files,
                &p.test_embed_files,
                &p.xtest_embed_files,
            ];
            for (scope, lists) in [(Scope::Build, &build[..]), (Scope::Tests, &tests[..])] {
                for f in lists.iter().flat_map(|l| l.iter()) {
                    let e = g
                        .files
                        .entry(dir.join(f))
                        .or_insert_with(|| (p.import_path.clone(), scope));
                    // A file both embedded and tested is a build file.
                    if scope == Scope::Build {
                        e.1 = Scope::Build;
                    }
                }
            }
            g.dirs.insert(dir, p.import_path.clone());
            let mut test_imports = p.test_imports.clone();
            test_imports.extend(p.xtest_imports.iter().cloned());
            g.nodes.insert(
                p.import_path.clone(),
                Node {
                    imports: p.imports.clone(),
                    test_imports,
                },
            );
        }
        g.candidates.sort();
        g.candidates.dedup();
        g
    }

    fn add_module_file(&mut self, file: &Path) {
        let file = canonical(file);
        let Some(dir) = file.parent() else { return };
        let names: &[&str] = if file.extension().is_some_and(|e| e == "work") {
            &["go.work", "go.work.sum"]
        } else {
            &["go.mod", "go.sum"]
        };
        for n in names {
            self.module_files.insert(dir.join(n));
        }
        self.module_dirs.insert(dir.to_path_buf());
    }

    /// Every package the patterns matched, sorted.
    pub fn all(&self) -> &[String] {
        &self.candidates
    }

    /// The packages `import_paths` name, as `go list` described them (what
    /// [`crate::discover::packages`] would say), in that order; None when
    /// one of them is not a candidate.
    fn go_packages(&self, import_paths: &[String]) -> Option<Vec<GoPackage>> {
        import_paths.iter().map(|p| self.go_packages.get(p).cloned()).collect()
    }

    /// What a run of `import_paths` needs from this listing, with the
    /// toolchain that made it: go is not asked again.
    pub fn known(&self, toolchain: Toolchain, import_paths: &[String]) -> Known {
        Known {
            packages: self.go_packages(import_paths),
            toolchain,
        }
    }

    /// What a run of the patterns needs from this listing: every package,
    /// unless a pattern matched nothing (the run's own listing reports
    /// that, as go test does).
    pub fn known_all(&self, toolchain: Toolchain) -> Known {
        let mut known = self.known(toolchain, &self.candidates);
        if self.unmatched {
            known.packages = None;
        }
        known
    }

    /// The directories of the main module(s) and workspace: what a watcher
    /// watches.
    pub fn module_dirs(&self) -> impl Iterator<Item = &Path> {
        self.module_dirs.iter().map(PathBuf::as_path)
    }

    /// The packages `changed` (absolute paths, existing or deleted) affect,
    /// each with the reason, sorted by import path.
    pub fn select(&self, changed: &[PathBuf]) -> Selection {
        let mut module_changes = Vec::new();
        let mut own: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut build_changed: BTreeSet<&str> = BTreeSet::new();
        for path in changed {
            let path = canonical_parent(path);
            if self.module_files.contains(&path) {
                module_changes.push(self.show(&path, &self.root));
                continue;
            }
            let Some((pkg, scope, dir)) = self.classify(&path) else {
                continue;
            };
            own.entry(pkg).or_default().push(self.show(&path, dir));
            if scope == Scope::Build {
                build_changed.insert(pkg);
            }
        }
        // Reverse imports inside the main module(s).
        let mut importers: HashMap<&str, Vec<&str>> = HashMap::new();
        for (path, node) in &self.nodes {
            for i in &node.imports {
                if self.nodes.contains_key(i) && i != path {
                    importers.entry(i.as_str()).or_default().push(path);
                }
            }
        }
        let mut depends: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for &root in &build_changed {
            // Everything that imports `root`, directly or not…
            let mut reached: BTreeSet<&str> = BTreeSet::from([root]);
            let mut queue = VecDeque::from([root]);
            while let Some(p) = queue.pop_front() {
                for &importer in importers.get(p).into_iter().flatten() {
                    if reached.insert(importer) {
                        queue.push_back(importer);
                    }
                }
            }
            // …and every package whose tests import one of those.
            let mut affected = reached.clone();
            for (path, node) in &self.nodes {
                if node.test_imports.iter().any(|t| reached.contains(t.as_str())) {
                    affected.insert(path);
                }
            }
            affected.remove(root);
            for p in affected {
                depends.entry(p).or_default().insert(root);
            }
        }
        let packages = self
            .candidates
            .iter()
            .filter_map(|c| {
                let reason = if let Some(files) = own.get(c.as_str()) {
                    Reason::Changed(files.clone())
                } else if let Some(roots) = depends.get(c.as_str()) {
                    Reason::DependsOn(roots.iter().map(|r| r.to_string()).collect())
                } else if !module_changes.is_empty() {
                    Reason::Module(module_changes.clone())
                } else {
                    return None;
                };
                Some(Selected {
                    import_path: c.clone(),
                    reason,
                })
            })
            .collect();
        Selection {
            packages,
            module_changed: !module_changes.is_empty(),
        }
    }

    /// The package a file belongs to, what it is for, and the package's
    /// directory.
    fn classify(&self, path: &Path) -> Option<(&str, Scope, &Path)> {
        if let Some((pkg, scope)) = self.files.get(path) {
            let (dir, _) = path
                .ancestors()
                .find_map(|d| self.dirs.get_key_value(d).filter(|(_, p)| *p == pkg))?;
            return Some((pkg, *scope, dir));
        }
        // Anything under a package's testdata directory.
        for dir in path.ancestors() {
            if dir.file_name().is_some_and(|n| n == "testdata") {
                if let Some((parent, pkg)) = dir.parent().and_then(|p| self.dirs.get_key_value(p)) {
                    return Some((pkg, Scope::Tests, parent));
                }
            }
        }
        // A Go file go list does not know: deleted, or new since it ran.
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".go") {
            let (dir, pkg) = self.dirs.get_key_value(path.parent()?)?;
            let scope = if name.ends_with("_test.go") {
                Scope::Tests
            } else {
                Scope::Build
            };
            return Some((pkg, scope, dir));
        }
        None
    }

    fn show(&self, path: &Path, base: &Path) -> String {
        path.strip_prefix(base).unwrap_or(path).display().to_string()
    }
}

/// The packages a change selected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Sorted by import path.
    pub packages: Vec<Selected>,
    /// go.mod, go.sum or go.work changed: every package is selected.
    pub module_changed: bool,
}

impl Selection {
    /// The selected import paths, as patterns for go test.
    pub fn import_paths(&self) -> Vec<String> {
        self.packages.iter().map(|p| p.import_path.clone()).collect()
    }

    /// Whether nothing was selected.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// One line per package: the import path and why it was selected.
    pub fn lines(&self) -> Vec<String> {
        let width = self.packages.iter().map(|p| p.import_path.len()).max().unwrap_or(0);
        self.packages
            .iter()
            .map(|p| format!("{:width$}  {}", p.import_path, p.reason))
            .collect()
    }
}

/// A selected package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Its import path.
    pub import_path: String,
    /// Why.
    pub reason: Reason,
}

/// Why a package was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its own files changed (names relative to its directory).
    Changed(Vec<String>),
    /// It imports, directly or not, or its tests import, these changed
    /// packages.
    DependsOn(Vec<String>),
    /// go.mod, go.sum or go.work changed (names relative to the root).
    Module(Vec<String>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Changed(files) | Reason::Module(files) => write!(f, "changed: {}", files.join(", ")),
            Reason::DependsOn(pkgs) => write!(f, "depends on {}", pkgs.join(", ")),
        }
    }
}

/// What `--changed` prints before the run: the base and, per package, why
/// it runs; or why nothing does.
pub fn describe(changes: &GitChanges, selection: &Selection) -> String {
    let mut out = String::new();
    if selection.is_empty() {
        if changes.files.is_empty() {
            out.push_str(&format!(
                "leakcheck: nothing changed since {}: no tests to run\n",
                changes.base
            ));
        } else {
            out.push_str(&format!(
                "leakcheck: the {} changed since {} affect no package: no tests to run\n",
                crate::report::text::plural(changes.files.len(), "file"),
                changes.base
            ));
        }
        return out;
    }
    let what = if selection.module_changed {
        "every package (go.mod, go.sum or go.work changed)".to_string()
    } else {
        crate::report::text::plural(selection.packages.len(), "package")
    };
    out.push_str(&format!("leakcheck: changed since {}: testing {what}\n", changes.base));
    for line in selection.lines() {
        out.push_str(&format!("  {line}\n"));
    }
    out
}

/// `--changed`: what differs from `rev` in `opts.dir`'s repository, the
/// packages among `opts.packages` (default ./...) it selects, and what the
/// run needs of them (go is not asked again).
pub fn resolve(opts: &RunOptions, rev: Option<&str>) -> Result<(GitChanges, Selection, Known)> {
    let tc = Toolchain::find(&opts.go, &opts.dir)?;
    let changes = git_changes(&opts.dir, rev)?;
    let graph = Graph::load(&tc, &patterns(&opts.packages), &opts.go_test_args)?;
    let selection = graph.select(&changes.files);
    let known = graph.known(tc, &selection.import_paths());
    Ok((changes, selection, known))
}

/// The package patterns, `./...` when none are given (as go test).
pub fn patterns(packages: &[String]) -> Vec<String> {
    if packages.is_empty() {
        vec!["./...".to_string()]
    } else {
        packages.to_vec()
    }
}

/// The path with symlinks resolved, when it exists.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Like [`canonical`], for a path that may no longer exist: its directory
/// is resolved instead.
fn canonical_parent(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => canonical_parent(dir).join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(path: &str, dir: &str, go: &[&str], tests: &[&str], imports: &[&str], test_imports: &[&str]) -> Listed {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        Listed {
            import_path: path.into(),
            name: dir.rsplit('/').next().unwrap().into(),
            dir: dir.into(),
            module: Some(ListedModule {
                main: true,
                dir: Some("/m".into()),
                go_mod: Some("/m/go.mod".into()),
            }),
            go_files: v(go),
            test_go_files: v(tests),
            imports: v(imports),
            test_imports: v(test_imports),
            ..Listed::default()
        }
    }

    /// c imports b imports a; d's tests import b; e is alone.
    fn graph() -> Graph {
        let mut a = pkg("m/a", "/m/a", &["a.go"], &["a_test.go"], &[], &[]);
        a.embed_files = vec!["static/page.html".into()];
        Graph::from_listed(
            Path::new("/m"),
            vec![
                a,
                pkg("m/b", "/m/b", &["b.go"], &[], &["m/a", "fmt"], &[]),
                pkg("m/c", "/m/c", &["c.go"], &["c_test.go"], &["m/b"], &[]),
                pkg("m/d", "/m/d", &["d.go"], &["d_test.go"], &[], &["m/b", "testing"]),
                pkg("m/e", "/m/e", &["e.go"], &["e_test.go"], &[], &[]),
                Listed {
                    import_path: "fmt".into(),
                    standard: true,
                    dep_only: true,
                    ..Listed::default()
                },
                Listed {
                    import_path: "m/a [m/a.test]".into(),
                    for_test: "m/a".into(),
                    ..Listed::default()
                },
            ],
            vec![],
        )
    }

    fn selected(g: &Graph, files: &[&str]) -> Vec<(String, String)> {
        let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        g.select(&files)
            .packages
            .into_iter()
            .map(|s| (s.import_path, s.reason.to_string()))
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn the_selected_packages_come_with_their_files() {
        let g = graph();
        let listed = g.go_packages(&["m/c".to_string(), "m/a".to_string()]).unwrap();
        let got: Vec<(&str, &str, &[String], &[String])> = listed
            .iter()
            .map(|p| {
                (
                    p.import_path.as_str(),
                    p.name.as_str(),
                    &p.go_files[..],
                    &p.test_go_files[..],
                )
            })
            .collect();
        let v = |s: &str| vec![s.to_string()];
        assert_eq!(
            got,
            vec![
                ("m/c", "c", &v("c.go")[..], &v("c_test.go")[..]),
                ("m/a", "a", &v("a.go")[..], &v("a_test.go")[..]),
            ]
        );
        assert_eq!(listed[0].dir, PathBuf::from("/m/c"));
        // What the run reads of a package is asked of go list too.
        for field in discover::PACKAGE_FIELDS.split(',') {
            assert!(FIELDS.split(',').any(|f| f == field), "{field}");
        }
        // Not a candidate: a dependency only, or a test variant.
        assert!(g.go_packages(&["fmt".to_string()]).is_none());
        assert!(g.go_packages(&["m/a [m/a.test]".to_string()]).is_none());
    }

    #[test]
    fn a_build_file_selects_its_importers_and_their_testers() {
        assert_eq!(
            selected(&graph(), &["/m/a/a.go"]),
            pairs(&[
                ("m/a", "changed: a.go"),
                ("m/b", "depends on m/a"),
                ("m/c", "depends on m/a"),
                ("m/d", "depends on m/a"),
            ])
        );
    }

    #[test]
    fn test_files_and_testdata_select_their_package_only() {
        assert_eq!(
            selected(&graph(), &["/m/a/a_test.go", "/m/a/testdata/golden/x.txt"]),
            pairs(&[("m/a", "changed: a_test.go, testdata/golden/x.txt")])
        );
    }

    #[test]
    fn embedded_files_are_build_files() {
        assert_eq!(selected(&graph(), &["/m/a/static/page.html"]).len(), 4);
    }

    #[test]
    fn new_and_deleted_go_files_count_by_directory() {
        assert_eq!(
            selected(&graph(), &["/m/e/gone.go", "/m/c/new_test.go"]),
            pairs(&[("m/c", "changed: new_test.go"), ("m/e", "changed: gone.go")])
        );
    }

    #[test]
    fn go_mod_selects_everything_and_other_files_nothing() {
        let g = graph();
        let all = g.select(&[PathBuf::from("/m/go.sum")]);
        assert!(all.module_changed);
        assert_eq!(all.import_paths(), vec!["m/a", "m/b", "m/c", "m/d", "m/e"]);
        assert_eq!(all.packages[0].reason.to_string(), "changed: go.sum");
        assert!(selected(&g, &["/m/README.md", "/m/a/notes.txt"]).is_empty());
    }
}
