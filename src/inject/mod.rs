//! Adding the Go helper to every tested package through `go test -overlay`,
//! without writing into the user's tree.
//!
//! For each package with tests, the overlay maps paths that do not exist,
//! `<dir>/zz_leakcheck_injected*_test.go` (named so that none is a file of
//! the directory: [`added_stem`]), to the helper's files (`helper/*.go`,
//! embedded, with their package clause and two constants replaced), and
//! maps the package's test files to copies in which every test function
//! calls into the helper on its first line ([`rewrite`]). The helper joins
//! the internal test package whenever the package has one, or can have one
//! (it has Go files) that the external `_test` package imports; that
//! package then reaches it through a small shim that imports the package.
//! Where the package's `//go:embed` patterns would take in the added files,
//! the helper goes into one of its test files instead ([`hosted_in`]). A
//! package without a TestMain of its own gets the helper's, in the test
//! package that declares nothing named TestMain. All files live in a
//! temporary directory removed when the
//! [`Overlay`] drops; its name starts with a dot, so that `go test ./...`
//! never takes it for a package even when the temporary directory is inside
//! the module.

use crate::golex;
mod golower;
pub mod rewrite;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::discover::GoPackage;
use crate::error::{Error, Result};
use crate::scratch::ScratchDir;

/// The helper's files that build everywhere, embedded from the real, vetted
/// Go files. They are added to a package as one file ([`merged_helper`]):
/// creating a file costs more than writing it (about 0.3 ms on a disk-backed
/// /tmp), and a run creates the helper once per package.
pub const HELPER_FILES: &[&str] = &[
    include_str!("../../helper/leakcheck_test.go"),
    include_str!("../../helper/leakcheck_begin_test.go"),
    include_str!("../../helper/leakcheck_look_test.go"),
    include_str!("../../helper/leakcheck_dump_test.go"),
    include_str!("../../helper/leakcheck_check_test.go"),
    include_str!("../../helper/leakcheck_looker_test.go"),
    include_str!("../../helper/leakcheck_glance_test.go"),
    include_str!("../../helper/leakcheck_record_test.go"),
];

/// The helper's files with build constraints (the operating system, the Go
/// version), added as they are, so that go decides which one builds: (the
/// end of the name in the overlay, after the package's [`added_stem`];
/// source).
pub const HELPER_CONSTRAINED_FILES: &[(&str, &str)] = &[
    (
        "_profile_test.go",
        include_str!("../../helper/leakcheck_profile_test.go"),
    ),
    (
        "_noprofile_test.go",
        include_str!("../../helper/leakcheck_noprofile_test.go"),
    ),
    ("_linux_test.go", include_str!("../../helper/leakcheck_linux_test.go")),
    ("_other_test.go", include_str!("../../helper/leakcheck_other_test.go")),
];

/// Whether go builds the added file `name` for this GOOS and Go minor
/// version: what its build constraints say, for `go test x_test.go`, which
/// compiles the files it is given whatever their constraints.
pub fn builds_for(name: &str, goos: &str, minor: u32) -> bool {
    // GOOS=android satisfies the linux constraint too.
    let linux = matches!(goos, "linux" | "android");
    let profile = (26..=27).contains(&minor);
    let excluded = (name.contains("_other_") && linux)
        || (name.contains("_linux_") && !linux)
        || (name.contains("_noprofile_") && profile)
        || (name.contains("_profile_") && !profile);
    !excluded
}

/// The package that labels the goroutines package initialization starts
/// (`helper/archive`): added to the standard library's `archive` directory,
/// which has no Go files, so that its import path sorts first and it
/// initializes before any package that could start a goroutine. Its files
/// choose the label set's layout by their build constraints; (name in
/// GOROOT's `src/archive`, source).
pub const INIT_LABEL_FILES: &[(&str, &str)] = &[
    (
        "zz_leakcheck_injected_initlabel.go",
        include_str!("../../helper/archive/leakcheck_initlabel.go"),
    ),
    (
        "zz_leakcheck_injected_initlabel_map.go",
        include_str!("../../helper/archive/leakcheck_initlabel_map.go"),
    ),
    (
        "zz_leakcheck_injected_initlabel_list.go",
        include_str!("../../helper/archive/leakcheck_initlabel_list.go"),
    ),
];

/// The runtime function that lists the goroutines alive by id, without
/// stopping the world (`helper/goruntime`), and the file of the init
/// label's package that links the helper to it
/// (`helper/archive/leakcheck_goroutineids.go`): added together, with the
/// init label's package, for the Go versions whose runtime the function
/// was checked against ([`GOROUTINE_IDS_MINORS`]); (directory under
/// GOROOT's `src`, name there, source). In this repository both files are
/// `//go:build ignore` (they build only inside the standard library); the
/// overlay's copies are without that line ([`without_ignore`]).
pub const GOROUTINE_IDS_FILES: &[(&str, &str, &str)] = &[
    (
        "runtime",
        "zz_leakcheck_injected_goroutineids.go",
        include_str!("../../helper/goruntime/leakcheck_goroutineids.go"),
    ),
    (
        "archive",
        "zz_leakcheck_injected_goroutineids.go",
        include_str!("../../helper/archive/leakcheck_goroutineids.go"),
    ),
];

/// The Go minor versions whose runtime [`GOROUTINE_IDS_FILES`] builds in
/// (its function reads the runtime's own list of goroutines and their
/// states): any other gets the glance instead, never a file that may not
/// compile.
pub const GOROUTINE_IDS_MINORS: std::ops::RangeInclusive<u32> = 26..=27;

/// `source` without its first line, `//go:build ignore`.
fn without_ignore(source: &str) -> &str {
    source
        .strip_prefix("//go:build ignore\n")
        .expect("a file added to the standard library begins with //go:build ignore")
}

/// How the helper imports the init label's package: in this repository,
/// as a package of the helper's module; in the overlay, from GOROOT.
const INIT_LABEL_IMPORT: (&str, &str) = ("\"leakcheck.invalid/helper/archive\"", "\"archive\"");

/// The end of the merged helper file's name.
const MERGED_HELPER_END: &str = "_test.go";

/// The helper's file that imports the init label's package, added to it
/// when that package is added to GOROOT ([`Target::init_label_root`]).
const INIT_LABEL_HELPER: &str = include_str!("../../helper/leakcheck_initlabel_test.go");

/// [`HELPER_FILES`] (and [`INIT_LABEL_HELPER`] with `init_label`) as one Go
/// file: one import block with every file's imports (the helper's imports
/// are aliased, the same alias for the same path in every file), then each
/// file's declarations.
pub fn merged_helper(init_label: bool) -> &'static str {
    static MERGED: [std::sync::OnceLock<String>; 2] = [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    MERGED[usize::from(init_label)].get_or_init(|| {
        let mut imports: Vec<&str> = Vec::new();
        let mut bodies = String::new();
        let extra = init_label.then_some(INIT_LABEL_HELPER);
        for source in HELPER_FILES.iter().copied().chain(extra) {
            let (specs, body) = split_go_file(source).expect("every helper file has a package clause and imports");
            imports.extend(specs);
            bodies.push_str(&without_comment_lines(body));
            bodies.push('\n');
        }
        let mut seen = BTreeSet::new();
        imports.retain(|spec| seen.insert(*spec));
        let block: String = imports
            .iter()
            .map(|spec| format!("\t{}\n", spec.replace(INIT_LABEL_IMPORT.0, INIT_LABEL_IMPORT.1)))
            .collect();
        format!("{HELPER_PACKAGE_CLAUSE}\nimport (\n{block})\n\n{bodies}")
    })
}

/// `body` without its comment and blank lines, but for directives
/// (`//go:`): go test parses every test file in full, comments too, on
/// every run, to find its tests (cmd/go's `loadTestFuncs`), one package
/// after another before anything builds, and the helper's doc comments
/// are nearly half its bytes (3.5 ms a package with them, 2.3 ms without).
/// The merged file's lines are its own anyway. Sound because no string
/// literal of the helper spans lines
/// (`the_helper_has_no_string_spanning_lines`).
fn without_comment_lines(body: &str) -> String {
    let mut out = String::with_capacity(body.len() / 2);
    for line in body.lines() {
        let code = line.trim_start();
        if code.is_empty() || (code.starts_with("//") && !code.starts_with("//go:")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The helper's TestMain, for a package that has none of its own: added to
/// the test package that has nothing named TestMain.
pub const MAIN_FILE: (&str, &str) = ("_main_test.go", include_str!("../../helper/leakcheck_main_test.go"));

/// Forwards the helper's entry points into the other test package.
pub const SHIM_FILE: (&str, &str) = ("_shim_test.go", include_str!("../../helper/leakcheck_shim_test.go"));

/// Every file leakcheck adds starts with this; frames in them are
/// leakcheck's, never the user's. (A file of the user's whose name starts
/// with it has its frames taken for leakcheck's: its tests still run and
/// are checked.)
pub const HELPER_FILE_PREFIX: &str = "zz_leakcheck_injected";

const HELPER_PACKAGE_CLAUSE: &str = "package helper\n";
const SHIM_PACKAGE_CLAUSE: &str = "package helper_test\n";
const HELPER_IMPORT_PATH: &str = "\"leakcheck.invalid/helper\"";
const HELPER_RECORDS_KEY: &str = "leakcheckRecordsKey = \"helper\"";
/// The helper's package directory, replaced by the package's: where its
/// files are, as the compiler names them in stack traces.
const HELPER_SOURCE_DIR: &str = "leakcheckSourceDir = \"\"";

/// The overlay for one `go test` run; its files vanish when it drops.
#[derive(Debug)]
pub struct Overlay {
    dir: ScratchDir,
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
    /// The package clause of the helper's TestMain (the package has none of
    /// its own); None when it has one, or when both test packages declare
    /// something named TestMain (then no check runs, and the package is
    /// reported as not fully checked).
    pub helper_main: Option<String>,
    /// The test files rewritten to call the helper.
    pub rewritten: Vec<PathBuf>,
    /// Tests, fuzz targets and examples that call the helper.
    pub checked: usize,
    /// Where each of them, and the package's TestMain, is declared (file,
    /// line of its `func`), by name; none that the internal and the external
    /// test package both declare.
    pub declared: BTreeMap<String, (PathBuf, u32)>,
    /// The files leakcheck adds to the package (their paths in it).
    pub added: Vec<PathBuf>,
}

/// An overlay file. go reads it with encoding/json, which matches member
/// names without regard to case and lets `Replace` be absent (`{}`).
#[derive(Serialize, Deserialize, Default)]
struct OverlayJson {
    #[serde(rename = "Replace", alias = "replace", alias = "REPLACE", default)]
    replace: BTreeMap<PathBuf, PathBuf>,
}

/// The name of a package's records directory: the same for the same import
/// path in every run, so the helper's source (a build input that go test's
/// cache keys on) does not change from run to run.
pub fn records_key(import_path: &str) -> String {
    let h = fnv1a(import_path.as_bytes());
    let last: String = import_path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .take(40)
        .collect();
    format!("{h:016x}-{last}")
}

/// The 64-bit FNV-1a hash, as the helper computes it (`leakcheckFNV`).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Builds the overlay for `packages`, merged with the user's own overlay
/// file (`-overlay`, or in GOFLAGS) if they gave one.
/// `go_dir` is where go runs (relative paths in the user's overlay are
/// relative to it); `temp` is where leakcheck's temporary files go.
/// `rename_own_files`: whether non-test files may be replaced by renamed
/// copies (not under -cover, where go reads the originals).
pub fn build(
    packages: &[GoPackage],
    user_overlay: Option<&Path>,
    go_dir: &Path,
    temp: &Path,
    rename_own_files: bool,
    target: Target<'_>,
) -> Result<Overlay> {
    let dir = ScratchDir::create("overlay", temp)?;
    let mut json = match user_overlay {
        Some(path) => {
            let text = fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
            let user: OverlayJson = serde_json::from_slice(&text).map_err(|e| Error::Source {
                path: path.to_path_buf(),
                message: format!("not an overlay file: {e}"),
            })?;
            // go reads relative paths from its working directory: the
            // merged file lives elsewhere, so every path is made absolute.
            OverlayJson {
                replace: user
                    .replace
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            go_dir.join(k),
                            if v.as_os_str().is_empty() { v } else { go_dir.join(v) },
                        )
                    })
                    .collect(),
            }
        }
        None => OverlayJson::default(),
    };
    // The names of the files the user's overlay adds or replaces, wherever
    // they are (a name taken in another directory only costs a longer name).
    let user_names: BTreeSet<String> = json
        .replace
        .keys()
        .filter_map(|k| k.file_name())
        .map(|n| n.to_string_lossy().to_lowercase())
        .collect();
    let tested: Vec<&GoPackage> = packages.iter().filter(|p| p.has_tests()).collect();
    let injected = inject_packages(
        &tested,
        dir.path(),
        &json.replace,
        &user_names,
        rename_own_files,
        target,
    );
    let mut injections = BTreeMap::new();
    for (pkg, result) in tested.iter().zip(injected) {
        let (injection, replace) = result?;
        json.replace.extend(replace);
        injections.insert(pkg.import_path.clone(), injection);
    }
    if let (Some(goroot), false) = (target.init_label_root, tested.is_empty()) {
        let archive = goroot.join("src").join("archive");
        for (name, source) in INIT_LABEL_FILES {
            let copy = dir.path().join(name);
            write_aged(&copy, source).map_err(|e| Error::io("cannot write", &copy, e))?;
            json.replace.insert(archive.join(name), copy);
        }
        if target.runtime_list && GOROUTINE_IDS_MINORS.contains(&target.minor) {
            for (std_dir, name, source) in GOROUTINE_IDS_FILES {
                let copy = dir.path().join(format!("{std_dir}_{name}"));
                write_aged(&copy, without_ignore(source)).map_err(|e| Error::io("cannot write", &copy, e))?;
                json.replace.insert(goroot.join("src").join(std_dir).join(name), copy);
            }
        }
    }
    let json_path = dir.path().join("overlay.json");
    // go reads the overlay as JSON, which holds only UTF-8 paths.
    let text = serde_json::to_vec_pretty(&json).map_err(|_| Error::Source {
        path: json_path.clone(),
        message: "cannot write the overlay: a path in it (the package's, or the temporary directory's) is not UTF-8"
            .into(),
    })?;
    fs::write(&json_path, text).map_err(|e| Error::io("cannot write", &json_path, e))?;
    Ok(Overlay {
        dir,
        json_path,
        injections,
    })
}

/// Writes a file that the init label's package adds to GOROOT, dated in
/// the past: Go 1.23 to 1.25 find a standard library package's files
/// through their module index, which leaves out a directory holding a file
/// modified in the last two seconds, and then look for them without the
/// overlay (`package archive is not in std`). A fixed date also lets go
/// keep the index from one run to the next.
fn write_aged(path: &Path, text: &str) -> std::io::Result<()> {
    let file = fs::File::create(path)?;
    std::io::Write::write_all(&mut &file, text.as_bytes())?;
    file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_577_836_800))
}

/// Injects every package, each into its own numbered directory of `dir`,
/// on a few threads: creating a file is a wait on the disk (about 0.3 ms on
/// a disk-backed /tmp, for some ten files a package), not work for the CPU.
/// Each result is the package's injection and the replacements it adds to
/// the user's (`user_replace`, read only).
fn inject_packages(
    packages: &[&GoPackage],
    dir: &Path,
    user_replace: &BTreeMap<PathBuf, PathBuf>,
    user_names: &BTreeSet<String>,
    rename_own_files: bool,
    target: Target<'_>,
) -> Vec<Result<(Injection, BTreeMap<PathBuf, PathBuf>)>> {
    let one = |n: usize, pkg: &GoPackage| {
        let pkg_dir = dir.join(n.to_string());
        fs::create_dir(&pkg_dir).map_err(|e| Error::io("cannot create", &pkg_dir, e))?;
        let mut replace = BTreeMap::new();
        let injection = inject_package(
            pkg,
            &pkg_dir,
            user_replace,
            &mut replace,
            user_names,
            rename_own_files,
            target,
        )?;
        Ok((injection, replace))
    };
    const THREADS: usize = 8;
    let per_thread = packages.len().div_ceil(THREADS).max(1);
    let chunk = |c: usize, chunk: &[&GoPackage]| -> Vec<_> {
        chunk
            .iter()
            .enumerate()
            .map(|(i, pkg)| one(c * per_thread + i, pkg))
            .collect()
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = packages
            .chunks(per_thread)
            .enumerate()
            .map(|(c, pkgs)| {
                // The main thread's stack size, which the rewriter had
                // before it ran on threads of its own.
                let spawned = std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, move || chunk(c, pkgs));
                // A thread the system refuses: that chunk is done here.
                spawned.map_err(|_| (c, pkgs))
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w {
                Ok(worker) => worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err((c, pkgs)) => chunk(c, pkgs),
            })
            .collect()
    })
}

/// Injects one package: its rewritten test files and the helper's files go
/// to `out_dir`, and the replacements to `replace`; `user_replace` is the
/// user's overlay (its files are read in place of the package's).
fn inject_package(
    pkg: &GoPackage,
    out_dir: &Path,
    user_replace: &BTreeMap<PathBuf, PathBuf>,
    replace: &mut BTreeMap<PathBuf, PathBuf>,
    user_names: &BTreeSet<String>,
    rename_own_files: bool,
    target: Target<'_>,
) -> Result<Injection> {
    // The helper joins the internal test package when the package has Go
    // files (or internal tests): adding a test file to it is always
    // allowed, and the external test package can import it.
    let mut internal = !pkg.go_files.is_empty() || !pkg.cgo_files.is_empty() || !pkg.test_go_files.is_empty();
    // Never the name of a file the package directory has (go would see
    // leakcheck's file in its place).
    let stem = added_stem(&taken_names(&pkg.dir, user_names)?);
    let embeds = |name: &str| {
        pkg.embed_patterns
            .iter()
            .chain(&pkg.test_embed_patterns)
            .chain(&pkg.xtest_embed_patterns)
            .any(|pattern| embed_takes(pattern, name))
    };
    let embeds_added = added_ends().any(|end| embeds(&format!("{stem}{end}")));
    // Only external tests: the helper joins them when they do not import
    // the package (in the internal test package it would need a shim that
    // imports the package, and vet looks for the names of examples in the
    // external package's imports too: an example naming nothing the
    // package declares would pass vet, where go test fails it), or when it
    // must go into a test file of theirs (below: no internal test file can
    // take it).
    if pkg.test_go_files.is_empty() && (!pkg.xtest_imports.contains(&pkg.import_path) || embeds_added) {
        internal = false;
    }
    let mut injection = Injection {
        package_clause: String::new(),
        user_main: None,
        helper_main: None,
        rewritten: Vec::new(),
        checked: 0,
        declared: BTreeMap::new(),
        added: Vec::new(),
    };
    let mut external_clause = None;
    let mut external_rewritten = false;
    // Test packages that declare something named TestMain (a test, or the
    // package's own TestMain): [internal, external].
    let mut names_main = [false, false];
    let mut files = Vec::new();
    // The rewritten copies' texts, kept where one may take the helper in.
    let mut copies: BTreeMap<PathBuf, String> = BTreeMap::new();
    for (file, external) in pkg
        .test_go_files
        .iter()
        .map(|f| (f, false))
        .chain(pkg.xtest_go_files.iter().map(|f| (f, true)))
    {
        let path = pkg.dir.join(file);
        let source_path = user_replace.get(&path).cloned().unwrap_or_else(|| path.clone());
        let bytes = fs::read(&source_path).map_err(|e| Error::io("cannot read", &source_path, e))?;
        let Ok(text) = String::from_utf8(bytes) else {
            // Go source is UTF-8: go test fails the package ("illegal
            // UTF-8 encoding") before any test runs, and says where.
            return Ok(injection);
        };
        // A byte order mark is left out of the copy: a line directive
        // after it would not start a line, and be ignored. go counts its
        // three bytes in the first line's columns, so the first line
        // starts at column 4.
        let (first_column, source) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (4, rest.to_string()),
            None => (1, text),
        };
        files.push((file, external, path, first_column, source));
    }
    // Names the package declares that hide a predeclared name the helper
    // (or, in the external test package, the shim) uses, `func new`:
    // renamed in the overlay's copies (rewrite::rename_identifiers). A
    // non-test file's copy replaces it in every build of the package, so
    // it is renamed only for names the non-test files declare, and not
    // where assembly or cgo may name them, nor under -cover (go reads
    // the original non-test files then): go then reports the helper's
    // build failure, as before.
    let hidden = |sources: &mut dyn Iterator<Item = &str>, used: &[&'static str]| -> BTreeSet<&'static str> {
        sources
            .filter(|src| may_hide_predeclared(src))
            .flat_map(rewrite::top_level_funcs)
            .filter_map(|name| used.iter().find(|u| **u == name).copied())
            .collect()
    };
    let read_own = |file: &String| {
        let path = pkg.dir.join(file);
        fs::read_to_string(user_replace.get(&path).unwrap_or(&path)).ok()
    };
    let own_texts: Vec<String> = pkg.go_files.iter().chain(&pkg.cgo_files).filter_map(read_own).collect();
    let own_hidden = hidden(&mut own_texts.iter().map(|s| s.as_str()), HELPER_PREDECLARED);
    // A //go:linkname directive may name the function (a comment, which
    // the rename does not see).
    let linknames =
        own_texts.iter().any(|t| t.contains("go:linkname")) || files.iter().any(|f| f.4.contains("go:linkname"));
    let renamable = rename_own_files && pkg.cgo_files.is_empty() && pkg.s_files.is_empty() && !linknames;
    let internal_sources = || files.iter().filter(|f| !f.1).map(|f| f.4.as_str());
    let external_sources = || files.iter().filter(|f| f.1).map(|f| f.4.as_str());
    let mut renamed = [
        hidden(&mut internal_sources(), HELPER_PREDECLARED),
        // The helper is in the external test package when the package has
        // no Go files; else only the shim is.
        hidden(
            &mut external_sources(),
            if internal { SHIM_PREDECLARED } else { HELPER_PREDECLARED },
        ),
    ];
    // A name only a test file declares, which the non-test files use: in
    // the test build theirs is the test file's too, which a copy of them
    // cannot say (it replaces them in every build). Not renamed: go
    // reports the helper's build failure rather than another verdict.
    let test_only_used = renamed[0].iter().any(|name| {
        !own_hidden.contains(name)
            && own_texts
                .iter()
                .any(|text| text.contains(name) && golex::tokens(text).iter().any(|t| t.text == *name))
    });
    if linknames {
        renamed = Default::default();
    } else if test_only_used {
        renamed[0].clear();
    } else if !own_hidden.is_empty() {
        if renamable {
            renamed[0].extend(&own_hidden);
            for (n, file) in pkg.go_files.iter().enumerate() {
                let Some(text) = read_own(file) else { continue };
                let path = pkg.dir.join(file);
                let (first_column, source) = match text.strip_prefix('\u{feff}') {
                    Some(rest) => (4, rest),
                    None => (1, text.as_str()),
                };
                if let Some(out) = rewrite::rename_identifiers(source, &own_hidden, first_column) {
                    let copy = out_dir.join(format!("g{n}-{file}"));
                    write(&copy, &at_original_lines(&path, first_column, &out))?;
                    replace.insert(path, copy);
                }
            }
        } else {
            // The helper cannot build here; renaming the test files alone
            // would break them too.
            renamed[0].clear();
        }
    }
    // Type aliases of testing's types, per test package: a subtest's
    // function literal may be given a `*T2`.
    let aliases = [false, true].map(|external| {
        let sources: Vec<&str> = files.iter().filter(|f| f.1 == external).map(|f| f.4.as_str()).collect();
        rewrite::TestingAliases::of(&sources)
    });
    let mut declared_twice = BTreeSet::new();
    for (file, external, path, first_column, source) in &files {
        let external = *external;
        if external && external_clause.is_none() {
            external_clause = package_name(source);
        }
        let rewrite = rewrite::rewrite_test_file_renaming(
            source,
            &aliases[usize::from(external)],
            *first_column,
            &renamed[usize::from(external)],
        );
        names_main[usize::from(external)] |= rewrite.names_main;
        for (name, line) in &rewrite.declared {
            if injection.declared.insert(name.clone(), (path.clone(), *line)).is_some() {
                declared_twice.insert(name.clone());
            }
        }
        if rewrite.user_main {
            injection.user_main = Some(path.clone());
        }
        if !rewrite.changed {
            continue;
        }
        let copy = out_dir.join(format!("{}-{}", injection.rewritten.len(), file));
        let text = at_original_lines(path, *first_column, &rewrite.source);
        write(&copy, &text)?;
        if embeds_added {
            // (It may take the helper in: below.)
            copies.insert(path.clone(), text);
        }
        replace.insert(path.clone(), copy);
        injection.checked += rewrite.checked;
        external_rewritten |= external;
        injection.rewritten.push(path.clone());
    }
    // The internal and the external test package both declare it: go test
    // runs both under one name, and which one a result is cannot be told.
    for name in &declared_twice {
        injection.declared.remove(name);
    }
    let external_name = external_clause.unwrap_or_else(|| format!("{}_test", pkg.name));
    if !internal && injection.user_main.is_none() && names_main[1] {
        // Only external tests, one of them named TestMain: the helper, and
        // its TestMain, make the internal test package.
        internal = true;
    }
    let core = if internal {
        pkg.name.clone()
    } else {
        external_name.clone()
    };
    // The helper's TestMain, when the package has none: in the core's
    // package unless something there is named TestMain (a test, `func
    // TestMain(t *testing.T)`, or a function of the package's own code),
    // else in the external test package, which it creates if need be.
    if injection.user_main.is_none() {
        if internal && !names_main[0] {
            names_main[0] = own_texts.iter().any(|text| rewrite::declares_test_main(text));
        }
        injection.helper_main = if !names_main[usize::from(!internal)] {
            Some(core.clone())
        } else if internal && !names_main[1] {
            Some(external_name.clone())
        } else {
            None
        };
    }
    // What leakcheck adds: (name, text, whether it joins the external test
    // package).
    let mut pieces: Vec<(String, String, bool)> = Vec::new();
    let merged = [(MERGED_HELPER_END, merged_helper(target.init_label_root.is_some()))];
    for (end, source) in merged.iter().chain(HELPER_CONSTRAINED_FILES) {
        let name = format!("{stem}{end}");
        let text = source
            .replacen(HELPER_PACKAGE_CLAUSE, &format!("package {core}\n"), 1)
            .replacen(HELPER_IMPORT_PATH, &go_quote(&pkg.import_path), 1)
            .replacen(
                HELPER_RECORDS_KEY,
                &format!("leakcheckRecordsKey = {}", go_quote(&records_key(&pkg.import_path))),
                1,
            )
            .replacen(
                HELPER_SOURCE_DIR,
                &format!("leakcheckSourceDir = {}", go_quote(&pkg.dir.to_string_lossy())),
                1,
            );
        pieces.push((name, text, !internal));
    }
    if let Some(clause) = &injection.helper_main {
        let (end, source) = MAIN_FILE;
        let name = format!("{stem}{end}");
        let text = source.replacen(HELPER_PACKAGE_CLAUSE, &format!("package {clause}\n"), 1);
        pieces.push((name, text, *clause == external_name));
    }
    let main_external = internal && injection.helper_main.as_ref() == Some(&external_name);
    if internal && (external_rewritten || main_external) {
        let (end, source) = SHIM_FILE;
        let name = format!("{stem}{end}");
        let text = source
            .replacen(SHIM_PACKAGE_CLAUSE, &format!("package {external_name}\n"), 1)
            .replacen(HELPER_IMPORT_PATH, &go_quote(&pkg.import_path), 1);
        pieces.push((name, text, true));
    }
    if embeds_added {
        // A file the patterns take in too, if need be (`//go:embed *`): a
        // rewritten file's text differs anyway, but the names are the
        // package's own.
        let hosts = [false, true].map(|external| {
            let mut theirs = files.iter().filter(|f| f.1 == external);
            let host = theirs.clone().find(|f| !embeds(f.0)).or_else(|| theirs.next());
            host.map(|f| (f.2.clone(), f.3, f.4.as_str()))
        });
        let pieces: Vec<_> = pieces
            .iter()
            .filter(|(name, _, _)| builds_for(name, target.goos, target.minor))
            .collect();
        let mut hosted = Vec::new();
        if pieces
            .iter()
            .all(|(_, _, external)| hosts[usize::from(*external)].is_some())
        {
            for (external, host) in hosts.iter().enumerate() {
                let Some((path, first_column, source)) = host else {
                    continue;
                };
                let mine: Vec<&(String, String, bool)> =
                    pieces.iter().copied().filter(|p| p.2 == (external == 1)).collect();
                if mine.is_empty() {
                    continue;
                }
                let unchanged;
                let text = match copies.get(path) {
                    Some(text) => text,
                    None => {
                        unchanged = at_original_lines(path, *first_column, source);
                        &unchanged
                    }
                };
                let names: Vec<&str> = mine.iter().map(|p| p.0.as_str()).collect();
                let texts: Vec<&str> = mine.iter().map(|p| p.1.as_str()).collect();
                // (None without a package clause: go test fails the
                // package then, as it would with the files added.)
                hosted.push(hosted_in(text, &names, &texts).map(|text| (path, external, text)));
            }
        }
        if !hosted.is_empty() && hosted.iter().all(Option::is_some) {
            for (path, external, text) in hosted.into_iter().flatten() {
                // Over the rewritten copy, if there is one.
                let copy = replace.get(path).cloned().unwrap_or_else(|| {
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    out_dir.join(format!("h{external}-{name}"))
                });
                write(&copy, &text)?;
                replace.insert(path.clone(), copy);
            }
            injection.package_clause = core;
            return Ok(injection);
        }
    }
    for (name, text, _) in &pieces {
        add_file(out_dir, &pkg.dir, name, text, replace, &mut injection.added)?;
    }
    injection.package_clause = core;
    Ok(injection)
}

/// A copy of the user's file `path` (its text `source`, without a byte
/// order mark) whose positions are the original's: compiler and vet
/// errors, and stack frames, name the user's file and line.
fn at_original_lines(path: &Path, first_column: usize, source: &str) -> String {
    format!("//line {}:1:{first_column}\n{source}", path.display())
}

/// What the overlay's helper is built for: go decides which of the
/// helper's constrained files build, except when they go into the user's
/// files ([`hosted_in`]), where leakcheck picks them.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// GOOS.
    pub goos: &'a str,
    /// The Go minor version (26 for Go 1.26).
    pub minor: u32,
    /// GOROOT, when the init label's package can be added to its
    /// `src/archive` ([`INIT_LABEL_FILES`]): go overlays no file beneath
    /// GOMODCACHE, where the toolchains GOTOOLCHAIN downloads live.
    pub init_label_root: Option<&'a Path>,
    /// Whether to add [`GOROUTINE_IDS_FILES`] to the standard library (with
    /// the init label's package, so only where `init_label_root` is set):
    /// a Go version of [`GOROUTINE_IDS_MINORS`], unless the user asked for
    /// the runtime as it is.
    pub runtime_list: bool,
}

/// Whether the `//go:embed` pattern takes in the file `name` of the
/// package's directory: the pattern's own directory is the package's (no
/// slash), and its glob matches the name (path.Match's syntax: `*`, `?`,
/// `[...]`, `\\`).
fn embed_takes(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_prefix("all:").unwrap_or(pattern);
    !pattern.contains('/') && glob_matches(pattern.as_bytes(), name.as_bytes())
}

/// path.Match for a name without slashes; a malformed pattern matches
/// nothing (go rejects it).
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob_matches(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob_matches(rest, &name[utf8_len(name[0])..]),
        Some((b'[', rest)) => {
            let Some((&c, tail)) = name.split_first() else {
                return false;
            };
            let (negated, mut class) = match rest.split_first() {
                Some((b'^', r)) => (true, r),
                _ => (false, rest),
            };
            let mut matched = false;
            let mut first = true;
            loop {
                let Some((&lo, r)) = class.split_first() else {
                    return false;
                };
                if lo == b']' && !first {
                    class = r;
                    break;
                }
                first = false;
                let (lo, r) = match (lo, r.split_first()) {
                    (b'\\', Some((&e, r2))) => (e, r2),
                    _ => (lo, r),
                };
                let (hi, r) = match r {
                    [b'-', hi, r2 @ ..] if *hi != b']' => (*hi, r2),
                    _ => (lo, r),
                };
                matched |= lo <= c && c <= hi;
                class = r;
            }
            matched != negated && c < 0x80 && glob_matches(class, tail)
        }
        Some((b'\\', rest)) => match (rest.split_first(), name.split_first()) {
            (Some((p, rest)), Some((n, tail))) => p == n && glob_matches(rest, tail),
            _ => false,
        },
        Some((p, rest)) => name.first() == Some(p) && glob_matches(rest, &name[1..]),
    }
}

/// The length of the UTF-8 sequence a byte starts.
fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// A test file's text with leakcheck's files (`pieces`, named `names`)
/// inside it, for a package whose `//go:embed` patterns would take in the
/// files leakcheck adds (`//go:embed *` beside web assets): their imports
/// join the package clause's line, so that no line of the file moves, and
/// their declarations follow the file's own, placed outside the directory
/// as an added file's are ([`placed_outside`]). None without a package
/// clause.
fn hosted_in(text: &str, names: &[&str], pieces: &[&str]) -> Option<String> {
    let toks = golex::tokens(text);
    let at = toks.iter().position(|t| t.text == "package")?;
    let clause_end = toks.get(at + 1).filter(|t| t.is_ident())?.end();
    let mut imports: Vec<&str> = Vec::new();
    let mut bodies = String::new();
    for (name, piece) in names.iter().zip(pieces) {
        let (specs, body) = split_go_file(piece)?;
        imports.extend(specs);
        bodies.push('\n');
        bodies.push_str(&placed_outside(name, body));
    }
    let mut seen = BTreeSet::new();
    imports.retain(|spec| seen.insert(*spec));
    let mut out = String::with_capacity(text.len() + bodies.len() + 256);
    out.push_str(&text[..clause_end]);
    if !imports.is_empty() {
        out.push_str("; import (");
        out.push_str(&imports.join("; "));
        out.push(')');
    }
    out.push_str(&text[clause_end..]);
    out.push_str(&bodies);
    Some(out)
}

/// A Go file of leakcheck's split after its package clause: its import
/// specs (one a line, comments left out) and the declarations after them.
fn split_go_file(source: &str) -> Option<(Vec<&str>, &str)> {
    let clause = if source.starts_with("package ") {
        0
    } else {
        source.find("\npackage ")? + 1
    };
    let after = &source[clause..];
    let mut rest = after[after.find('\n')? + 1..].trim_start();
    // (Comments before the imports.)
    while rest.starts_with("//") {
        rest = rest[rest.find('\n')? + 1..].trim_start();
    }
    let (specs, body): (Vec<&str>, &str) = if let Some(block) = rest.strip_prefix("import (\n") {
        let end = block.find("\n)\n")?;
        (block[..end].lines().map(str::trim).collect(), &block[end + 3..])
    } else if let Some(line) = rest.strip_prefix("import ") {
        let end = line.find('\n')?;
        (vec![line[..end].trim()], &line[end + 1..])
    } else {
        (Vec::new(), rest)
    };
    let specs = specs
        .into_iter()
        .filter(|spec| !spec.is_empty() && !spec.starts_with("//"))
        .collect();
    Some((specs, body))
}

/// The predeclared names the helper's code needs (a package that declares
/// one at package level hides it from the helper, which is compiled into
/// the package): every predeclared name was declared in a package in turn,
/// and these are the ones that broke its build (the helper's own `close`,
/// `copy`, `min` … are its own names, not the builtins). The test
/// `the_predeclared_names_the_helper_needs_are_in_it` keeps the list honest.
const HELPER_PREDECLARED: &[&str] = &[
    "append", "bool", "byte", "delete", "error", "false", "int", "int64", "iota", "len", "make", "new", "nil",
    "recover", "string", "true", "uint64", "uintptr",
];

/// The predeclared names the shim needs, in the external test package.
const SHIM_PREDECLARED: &[&str] = &["int", "string"];

/// Whether a Go file may declare a predeclared name the helper uses at
/// package level: a line that starts (after `func`, `var`, `const` or
/// `type`, a `(`, or a list of names) with one, or one after a `;`. Only
/// such files are read token by token (rewrite::top_level_names).
fn may_hide_predeclared(source: &str) -> bool {
    static LINE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        let names = HELPER_PREDECLARED.join("|");
        // At a line's start or after a `;`, block comments allowed: an
        // optional keyword and `(`, names and commas, then the name.
        regex::Regex::new(&format!(
            r"(?m)(?:^|;)[ \t]*(?:/\*.*?\*/[ \t]*)*(?:(?:func|var|const|type)[ \t]*\(?[ \t]*)?(?:[\pL_][\pL\pN_]*[ \t]*,[ \t]*)*(?:{names})\b"
        ))
        .expect("the pattern compiles")
    })
    .is_match(source)
}

/// The names (lower case) of the files in `dir`, of any kind, and of those
/// the user's overlay adds (`user_names`).
fn taken_names(dir: &Path, user_names: &BTreeSet<String>) -> Result<BTreeSet<String>> {
    let mut names = user_names.clone();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("cannot read the directory", dir, e))?;
                names.insert(entry.file_name().to_string_lossy().to_lowercase());
            }
        }
        // A directory only the user's overlay makes.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("cannot read the directory", dir, e)),
    }
    Ok(names)
}

/// The start of the names of the files leakcheck adds to a package:
/// [`HELPER_FILE_PREFIX`], then 2, 3, … until no added file's name is one
/// of `taken` (compared without case, for file systems that ignore it). It
/// depends only on the directory's names, so it is the same from run to
/// run (the names are build inputs go test's cache keys on).
fn added_stem(taken: &BTreeSet<String>) -> String {
    (1..)
        .map(|n| match n {
            1 => HELPER_FILE_PREFIX.to_string(),
            n => format!("{HELPER_FILE_PREFIX}{n}"),
        })
        .find(|stem| added_ends().all(|end| !taken.contains(&format!("{stem}{end}").to_lowercase())))
        .expect("a finite set of names leaves one free")
}

/// The ends of the names of every file leakcheck may add to a package,
/// after its [`added_stem`].
fn added_ends() -> impl Iterator<Item = &'static str> {
    HELPER_CONSTRAINED_FILES
        .iter()
        .map(|f| f.0)
        .chain([MERGED_HELPER_END, MAIN_FILE.0, SHIM_FILE.0])
}

/// The name in a Go file's package clause.
fn package_name(source: &str) -> Option<String> {
    let toks = golex::tokens(source);
    let at = toks.iter().position(|t| t.text == "package")?;
    toks.get(at + 1).filter(|t| t.is_ident()).map(|t| t.text.to_string())
}

/// A Go string literal for `s`.
fn go_quote(s: &str) -> String {
    // JSON string escapes are valid Go string escapes.
    serde_json::to_string(s).expect("a string serialises")
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))
}

/// Writes a file leakcheck adds to the package in `dir` (named `name`,
/// placed outside the directory by [`placed_outside`]) into `out_dir`, and
/// adds it to the overlay's replacements and the package's added files.
fn add_file(
    out_dir: &Path,
    dir: &Path,
    name: &str,
    text: &str,
    replace: &mut BTreeMap<PathBuf, PathBuf>,
    added: &mut Vec<PathBuf>,
) -> Result<()> {
    let out = out_dir.join(name);
    write(&out, &placed_outside(name, text))?;
    replace.insert(dir.join(name), out);
    added.push(dir.join(name));
    Ok(())
}

/// An added file's text, with a line directive that places its code outside
/// the package's directory (`/leakcheck/NAME`, lines as written): stack
/// traces then show no frame of leakcheck's in the directory, where tools
/// look for the user's code (Ginkgo's progress reports highlight every
/// goroutine with a frame there, and a spec that counted them failed). The
/// name is kept, so reports still know the frames for leakcheck's. The
/// path is the same every run, so the build cache still serves it.
fn placed_outside(name: &str, text: &str) -> String {
    if cfg!(windows) {
        // No absolute path without a drive.
        return text.to_string();
    }
    // (With a column, positions keep theirs: `file.go:108:6`.)
    format!("//line /leakcheck/{name}:1:1\n{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime's and the archive package's added files are ignored in
    /// this repository and built in the overlay: only that line goes.
    #[test]
    fn files_added_to_the_standard_library_lose_only_their_ignore_line() {
        for (std_dir, _, source) in GOROUTINE_IDS_FILES {
            let added = without_ignore(source);
            assert!(!added.contains("//go:build"), "{std_dir}");
            assert!(added.contains(&format!("\npackage {std_dir}\n")), "{std_dir}");
            assert_eq!(added.len() + "//go:build ignore\n".len(), source.len());
        }
    }

    #[test]
    fn every_helper_file_has_the_clauses_leakcheck_replaces() {
        for source in HELPER_FILES {
            assert!(source.contains(HELPER_PACKAGE_CLAUSE), "{source:.200}");
        }
        for (name, source) in HELPER_CONSTRAINED_FILES {
            assert!(source.contains(HELPER_PACKAGE_CLAUSE), "{name}");
            assert!(source.contains("//go:build "), "{name}");
        }
        let merged = merged_helper(true);
        assert!(merged.starts_with(HELPER_PACKAGE_CLAUSE));
        assert_eq!(merged.matches(HELPER_PACKAGE_CLAUSE).count(), 1);
        assert_eq!(merged.matches(HELPER_IMPORT_PATH).count(), 1);
        assert_eq!(merged.matches(HELPER_RECORDS_KEY).count(), 1);
        assert_eq!(merged.matches(HELPER_SOURCE_DIR).count(), 1);
        assert!(MAIN_FILE.1.contains(HELPER_PACKAGE_CLAUSE));
        // Names end as go wants them (tests, the GOOS of two files).
        assert!(SHIM_FILE.1.contains(SHIM_PACKAGE_CLAUSE));
        assert!(SHIM_FILE.1.contains(HELPER_IMPORT_PATH));
        assert!(added_ends().all(|end| end.starts_with('_') && end.ends_with("_test.go")));
        let names: Vec<&str> = HELPER_CONSTRAINED_FILES.iter().map(|(name, _)| *name).collect();
        assert!(
            names.contains(&"_linux_test.go") && names.contains(&"_other_test.go"),
            "{names:?}"
        );
    }

    #[test]
    fn embed_patterns_are_matched_as_go_matches_them() {
        let name = "zz_leakcheck_injected_test.go";
        for (pattern, takes) in [
            ("*", true),
            ("all:*", true),
            ("*.go", true),
            ("*_test.go", true),
            ("zz_?eakcheck*", true),
            ("[x-z]z_*", true),
            ("[^a]*", true),
            ("[a-y]*", false),
            ("*.html", false),
            ("static/*", false),
            ("testdata", false),
            ("zz\\_*", true),
            ("[", false),
        ] {
            assert_eq!(embed_takes(pattern, name), takes, "{pattern}");
        }
        assert!(embed_takes("\\*", "*"));
        assert!(embed_takes("?.go", "é.go"));
    }

    #[test]
    fn every_added_file_splits_into_imports_and_declarations() {
        let sources =
            HELPER_CONSTRAINED_FILES
                .iter()
                .map(|f| f.1)
                .chain([MAIN_FILE.1, SHIM_FILE.1, merged_helper(true)]);
        for source in sources {
            let (specs, body) = split_go_file(source).expect("a package clause");
            assert!(
                specs.iter().all(|s| s.starts_with("leakcheck") || s.starts_with("_ ")),
                "{specs:?}"
            );
            assert!(
                !body.contains("\nimport ") && !body.starts_with("import"),
                "{body:.300}"
            );
            assert!(!body.contains("//go:build"), "{body:.300}");
        }
        // In a test file: one line for the imports, the file's lines kept.
        let file = "//line /m/p/a_test.go:1:1\n// Package p.\npackage p // the clause\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n";
        let hosted = hosted_in(file, &["zz_main_test.go"], &[MAIN_FILE.1]).unwrap();
        let lines: Vec<&str> = hosted.lines().collect();
        assert_eq!(
            lines[2],
            "package p; import (leakchecktesting \"testing\") // the clause"
        );
        assert_eq!(lines[4..7], file.lines().collect::<Vec<_>>()[4..7]);
        let (_, added) = hosted
            .split_once("\n//line /leakcheck/zz_main_test.go:1:1\n")
            .expect("the added code is placed outside");
        assert!(added.contains("\nfunc TestMain(m *leakchecktesting.M) {"), "{hosted}");
    }

    #[test]
    fn files_named_on_the_command_line_are_the_ones_their_constraints_build() {
        let built = |goos: &str, minor: u32| -> Vec<&str> {
            added_ends()
                .filter(|end| builds_for(&format!("{HELPER_FILE_PREFIX}{end}"), goos, minor))
                .collect()
        };
        let always = [MERGED_HELPER_END, MAIN_FILE.0, SHIM_FILE.0];
        for (goos, minor, want) in [
            ("linux", 26, ["_profile_test.go", "_linux_test.go"]),
            ("android", 27, ["_profile_test.go", "_linux_test.go"]),
            ("darwin", 26, ["_profile_test.go", "_other_test.go"]),
            ("linux", 25, ["_noprofile_test.go", "_linux_test.go"]),
            ("windows", 28, ["_noprofile_test.go", "_other_test.go"]),
        ] {
            let mut expected: Vec<&str> = want.to_vec();
            expected.extend(always);
            let mut got = built(goos, minor);
            got.sort();
            expected.sort();
            assert_eq!(got, expected, "{goos} 1.{minor}");
        }
        // The constraints the choice mirrors.
        let constraint = |end: &str| {
            let source = HELPER_CONSTRAINED_FILES.iter().find(|(e, _)| *e == end).unwrap().1;
            source.lines().next().unwrap()
        };
        assert_eq!(constraint("_profile_test.go"), "//go:build go1.26 && !go1.28");
        assert_eq!(constraint("_noprofile_test.go"), "//go:build !go1.26 || go1.28");
        assert_eq!(constraint("_other_test.go"), "//go:build !linux");
    }

    #[test]
    fn the_helper_has_no_string_spanning_lines() {
        // A raw string literal's line that begins with // would lose
        // it: every backquote of the code (not its comments) is closed
        // on its own line.
        for source in HELPER_FILES.iter().chain([&INIT_LABEL_HELPER]) {
            for line in source.lines().filter(|line| !line.trim_start().starts_with("//")) {
                let code = line.split(" //").next().unwrap_or(line);
                assert_eq!(code.matches('`').count() % 2, 0, "{line}");
            }
        }
        let merged = merged_helper(true);
        assert!(!merged.lines().any(|line| line.trim_start().starts_with("// ")));
        assert!(merged.contains("\n//go:noinline\n"));
    }

    #[test]
    fn the_merged_helper_holds_every_declaration_and_import_once() {
        let merged = merged_helper(true);
        for source in HELPER_FILES {
            for line in source
                .lines()
                .filter(|l| l.starts_with("func ") || l.starts_with("type "))
            {
                assert_eq!(merged.matches(&format!("\n{line}\n")).count(), 1, "{line}");
            }
        }
        let block = &merged[merged.find("import (\n").unwrap()..merged.find("\n)\n").unwrap()];
        let specs: Vec<&str> = block.lines().skip(1).collect();
        let unique: BTreeSet<&str> = specs.iter().copied().collect();
        assert_eq!(specs.len(), unique.len(), "{specs:?}");
        assert!(specs.contains(&"\tleakcheckstrconv \"strconv\""), "{specs:?}");
    }

    #[test]
    fn the_predeclared_names_the_helper_needs_are_in_it() {
        let used = |source: &str| -> BTreeSet<String> {
            let toks = golex::tokens(source);
            (0..toks.len())
                .filter(|&i| i == 0 || toks[i - 1].text != ".")
                .map(|i| toks[i].text.to_string())
                .collect()
        };
        let helper = used(merged_helper(true));
        for name in HELPER_PREDECLARED {
            assert!(rewrite::PREDECLARED.contains(name), "{name}");
            assert!(helper.contains(*name), "{name} is no longer used by the helper");
        }
        let shim = used(SHIM_FILE.1);
        for name in SHIM_PREDECLARED {
            assert!(shim.contains(*name), "{name}");
        }
        // What the shim uses besides: none of the predeclared names.
        let others: Vec<&&str> = rewrite::PREDECLARED
            .iter()
            .filter(|p| shim.contains(**p) && !SHIM_PREDECLARED.contains(p))
            .collect();
        assert!(others.is_empty(), "{others:?}");
    }

    #[test]
    fn added_files_never_take_a_name_the_directory_has() {
        let taken = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(added_stem(&taken(&[])), HELPER_FILE_PREFIX);
        // Names of leakcheck's older versions are the user's.
        assert_eq!(
            added_stem(&taken(&["zz_leakcheck_test.go", "zz_leakcheck_main_test.go"])),
            HELPER_FILE_PREFIX
        );
        // Any of the names, the TestMain's and the shim's too, moves them
        // all; names are compared lower case.
        assert_eq!(
            added_stem(&taken(&["zz_leakcheck_injected_shim_test.go"])),
            format!("{HELPER_FILE_PREFIX}2")
        );
        assert_eq!(
            added_stem(&taken(&[
                "zz_leakcheck_injected_linux_test.go",
                "zz_leakcheck_injected2_test.go",
                "zz_leakcheck_injected3_other_test.go",
            ])),
            format!("{HELPER_FILE_PREFIX}4")
        );
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("ZZ_Leakcheck_Injected_Profile_test.go"), "").unwrap();
        fs::create_dir(dir.path().join("zz_leakcheck_injected2_test.go")).unwrap();
        let names = taken_names(dir.path(), &taken(&["zz_leakcheck_injected3_main_test.go"])).unwrap();
        assert_eq!(added_stem(&names), format!("{HELPER_FILE_PREFIX}4"));
        assert!(taken_names(&dir.path().join("none"), &BTreeSet::new())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn records_keys_are_stable_short_and_distinct() {
        let a = records_key("example.com/a/very/long/path/that/goes/on/and/on/and/on/workerpool");
        assert_eq!(
            a,
            records_key("example.com/a/very/long/path/that/goes/on/and/on/and/on/workerpool")
        );
        assert!(a.ends_with("-workerpool") && a.len() < 64, "{a}");
        assert_ne!(records_key("example.com/a/x"), records_key("example.com/b/x"));
    }
}
