//! Finding the Go toolchain and the packages to test (`go env`, `go list`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::goargs::GoTestArgs;

/// The Go command and what it says about the working directory.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The command to run (`go`, or `--go PATH`).
    pub go: String,
    /// `go1.26.8`.
    pub version: String,
    /// The directory `go` runs in.
    pub dir: PathBuf,
    /// The main module's go.mod, if any.
    pub gomod: Option<PathBuf>,
    /// The go.work file, if any.
    pub gowork: Option<PathBuf>,
    /// GOFLAGS, as go sees it (the environment, or `go env -w`).
    pub goflags: String,
    /// The operating system tests are built for.
    pub goos: String,
    /// The toolchain's root, whose standard library the overlay adds the
    /// init label's package to (empty if go did not say).
    pub goroot: PathBuf,
    /// Where go keeps modules (and the toolchains GOTOOLCHAIN downloads).
    pub gomodcache: PathBuf,
    /// GODEBUG, as go sees it.
    pub godebug: String,
}

impl Toolchain {
    /// Finds `go` and checks that `dir` is inside a module or workspace.
    pub fn find(go: &str, dir: &Path) -> Result<Toolchain> {
        #[derive(Deserialize)]
        #[serde(rename_all = "UPPERCASE")]
        struct GoEnv {
            goversion: String,
            #[serde(default)]
            gomod: String,
            #[serde(default)]
            gowork: String,
            #[serde(default)]
            goflags: String,
            #[serde(default)]
            goos: String,
            #[serde(default)]
            goroot: String,
            #[serde(default)]
            gomodcache: String,
            #[serde(default)]
            godebug: String,
        }
        let out = go_output(
            go,
            dir,
            &[
                "env",
                "-json",
                "GOVERSION",
                "GOMOD",
                "GOWORK",
                "GOFLAGS",
                "GOOS",
                "GOROOT",
                "GOMODCACHE",
                "GODEBUG",
            ],
        )?;
        let env: GoEnv = serde_json::from_slice(&out).map_err(|e| Error::GoCommand {
            command: format!("{go} env -json"),
            dir: dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let file = |s: String| (!s.is_empty() && s != "/dev/null" && s != "off").then(|| PathBuf::from(s));
        let tc = Toolchain {
            go: go.to_string(),
            version: env.goversion,
            dir: dir.to_path_buf(),
            gomod: file(env.gomod),
            gowork: file(env.gowork),
            goflags: env.goflags,
            goos: env.goos,
            goroot: PathBuf::from(env.goroot),
            gomodcache: PathBuf::from(env.gomodcache),
            godebug: env.godebug,
        };
        if tc.gomod.is_none() && tc.gowork.is_none() {
            return Err(Error::NotInModule(dir.to_path_buf()));
        }
        Ok(tc)
    }

    /// The minor version (26 for go1.26.8, and for a toolchain built from
    /// source, `devel go1.26-0a1b2c3 …`); one that says none counts as new.
    pub fn minor(&self) -> u32 {
        let version = self.version.strip_prefix("devel ").unwrap_or(&self.version);
        version
            .strip_prefix("go1.")
            .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(u32::MAX)
    }

    /// GOROOT, when go lets an overlay add files to its standard library:
    /// not beneath GOMODCACHE (a toolchain GOTOOLCHAIN downloaded), whose
    /// files go refuses to overlay (Go 1.25 and later) or ignores (1.23,
    /// 1.24), and only if it has the `archive` directory the init label's
    /// package goes into. Go 1.23 to 1.25 without their module index
    /// (`GODEBUG=goindex=0`) look for a standard library package's files
    /// without the overlay.
    pub fn overlayable_goroot(&self) -> Option<&Path> {
        let root = self.goroot.as_path();
        let in_cache = !self.gomodcache.as_os_str().is_empty() && root.starts_with(&self.gomodcache);
        let unindexed = (23..=25).contains(&self.minor()) && self.godebug.split(',').any(|s| s.trim() == "goindex=0");
        (root.is_absolute() && !in_cache && !unindexed && root.join("src").join("archive").is_dir()).then_some(root)
    }

    /// A toolchain of version `version` with nothing else known, for unit
    /// tests.
    #[cfg(test)]
    pub(crate) fn of_version(version: &str) -> Toolchain {
        Toolchain {
            go: "go".into(),
            version: version.into(),
            dir: PathBuf::from("."),
            gomod: None,
            gowork: None,
            goflags: String::new(),
            goos: "linux".into(),
            goroot: PathBuf::new(),
            gomodcache: PathBuf::new(),
            godebug: String::new(),
        }
    }

    /// The main module's language version (the `go` line of go.mod), as
    /// its minor number: 22 for `go 1.22.3`.
    pub fn module_go_minor(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.gomod.as_ref()?).ok()?;
        let version = text.lines().find_map(|l| l.trim().strip_prefix("go ").map(str::trim))?;
        version.strip_prefix("1.")?.split('.').next()?.parse().ok()
    }

    /// The root of the main module (or workspace): where leakcheck.toml
    /// and the baseline live.
    pub fn root(&self) -> &Path {
        self.gowork
            .as_deref()
            .or(self.gomod.as_deref())
            .and_then(Path::parent)
            .unwrap_or(&self.dir)
    }
}

/// A package as `go list` describes it; only what leakcheck needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoPackage {
    /// The import path, e.g. `example.com/fixtures/workerpool`; empty for an
    /// error about the arguments themselves ("named files must be .go
    /// files").
    #[serde(default)]
    pub import_path: String,
    /// The package name from its source (may differ from the directory).
    #[serde(default)]
    pub name: String,
    /// The package directory.
    #[serde(default)]
    pub dir: PathBuf,
    /// Non-test `.go` files.
    #[serde(default)]
    pub go_files: Vec<String>,
    /// Go files that import "C".
    #[serde(default)]
    pub cgo_files: Vec<String>,
    /// Assembly files: they may name the package's functions.
    #[serde(default, rename = "SFiles")]
    pub s_files: Vec<String>,
    /// `_test.go` files of the package itself.
    #[serde(default)]
    pub test_go_files: Vec<String>,
    /// `_test.go` files of the external `<name>_test` package.
    #[serde(default, rename = "XTestGoFiles")]
    pub xtest_go_files: Vec<String>,
    /// What the external test files import: whether they import the package
    /// itself decides which test package the helper joins.
    #[serde(default, rename = "XTestImports")]
    pub xtest_imports: Vec<String>,
    /// The `//go:embed` patterns of the package's files: a pattern may take
    /// in the files leakcheck adds to the directory.
    #[serde(default)]
    pub embed_patterns: Vec<String>,
    /// The `//go:embed` patterns of its test files.
    #[serde(default)]
    pub test_embed_patterns: Vec<String>,
    /// The `//go:embed` patterns of its external test files.
    #[serde(default, rename = "XTestEmbedPatterns")]
    pub xtest_embed_patterns: Vec<String>,
    /// Why the package cannot be loaded, when it cannot.
    #[serde(default)]
    pub error: Option<GoListError>,
}

/// `go list`'s error for a package.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GoListError {
    /// The message.
    #[serde(rename = "Err", default)]
    pub err: String,
}

impl GoPackage {
    /// Whether `go test` will run a test binary for it.
    pub fn has_tests(&self) -> bool {
        !self.test_go_files.is_empty() || !self.xtest_go_files.is_empty()
    }
}

/// The `go list -json=…` fields [`GoPackage`] reads.
pub(crate) const PACKAGE_FIELDS: &str = "ImportPath,Name,Dir,GoFiles,CgoFiles,SFiles,TestGoFiles,XTestGoFiles,\
XTestImports,EmbedPatterns,TestEmbedPatterns,XTestEmbedPatterns,Error";

/// Lists the packages `patterns` match, with the build flags of the go test
/// arguments that change which files belong to a package (`-tags`, `-mod`, …).
pub fn packages(tc: &Toolchain, patterns: &[String], go_test_args: &GoTestArgs) -> Result<Vec<GoPackage>> {
    // Only the fields read here (Go 1.19+): a bare -json also works out
    // whether each package is stale, which runs the compiler and takes
    // longer than the listing itself.
    let json = if tc.minor() >= 19 {
        format!("-json={PACKAGE_FIELDS}")
    } else {
        "-json".to_string()
    };
    let mut args = vec!["list".to_string(), "-e".into(), json];
    args.extend(go_test_args.list_flags());
    args.extend(patterns.iter().cloned());
    let pkgs: Vec<GoPackage> = go_list(tc, &args)?;
    if pkgs.is_empty() {
        return Err(Error::NoPackages(format!("{} matched no packages", patterns.join(" "))));
    }
    // An error that names no package is about the arguments: go test would
    // refuse them with it.
    if let Some(e) = pkgs
        .iter()
        .find(|p| p.import_path.is_empty())
        .and_then(|p| p.error.as_ref())
    {
        return Err(Error::Usage(format!(
            "go: {}",
            e.err.lines().next().unwrap_or("go list refused the packages")
        )));
    }
    names_something(&pkgs)?;
    Ok(pkgs)
}

/// Refuses a listing whose every "package" is only an error without
/// files: the patterns name nothing that exists, and a run tests nothing.
pub fn names_something(pkgs: &[GoPackage]) -> Result<()> {
    if pkgs
        .iter()
        .all(|p| p.error.is_some() && !p.has_tests() && p.go_files.is_empty())
    {
        let message = pkgs
            .first()
            .and_then(|p| p.error.as_ref())
            .map_or("", |e| e.err.as_str());
        // One line, go's hint that follows kept (`; to add it: go get
        // example.com/x`: helper-131).
        let line: Vec<&str> = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        return Err(Error::NoPackages(line.join(" ")));
    }
    Ok(())
}

/// Runs `go list ARGS` (`args` starts with `list`) and decodes the JSON
/// objects it prints one after another.
pub(crate) fn go_list<T: serde::de::DeserializeOwned>(tc: &Toolchain, args: &[String]) -> Result<Vec<T>> {
    let out = go_output(&tc.go, &tc.dir, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    serde_json::Deserializer::from_slice(&out)
        .into_iter::<T>()
        .map(|pkg| {
            pkg.map_err(|e| Error::GoCommand {
                command: format!("{} {}", tc.go, args.join(" ")),
                dir: tc.dir.clone(),
                message: format!("unreadable output: {e}"),
            })
        })
        .collect()
}

pub(crate) fn go_output(go: &str, dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = crate::run::interrupt::setup_output(Command::new(go).args(args).current_dir(dir)).map_err(|source| {
        Error::GoNotFound {
            go: go.to_string(),
            source,
        }
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .to_string();
        if message.contains("go.mod file not found") || message.contains("not in a module") {
            return Err(Error::NotInModule(dir.to_path_buf()));
        }
        return Err(Error::GoCommand {
            command: format!("{go} {}", args.join(" ")),
            dir: dir.to_path_buf(),
            message,
        });
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toolchains_minor_version_is_read_from_releases_and_source_builds() {
        let minor = |version: &str| Toolchain::of_version(version).minor();
        assert_eq!(minor("go1.26.8"), 26);
        assert_eq!(minor("go1.22rc1"), 22);
        assert_eq!(minor("go1.21.0"), 21);
        assert_eq!(minor("devel go1.27-7a3b2c1d Wed Nov 4 10:00:00 2026 +0000"), 27);
        assert_eq!(minor("devel +abc123"), u32::MAX);
    }

    #[test]
    fn the_init_label_goes_only_where_go_overlays_the_standard_library() {
        // A real GOROOT, the one running these tests.
        let out = Command::new("go").args(["env", "GOROOT"]).output().expect("go runs");
        let goroot = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        let tc = |version: &str, goroot: &Path, gomodcache: &str, godebug: &str| Toolchain {
            goroot: goroot.to_path_buf(),
            gomodcache: gomodcache.into(),
            godebug: godebug.into(),
            ..Toolchain::of_version(version)
        };
        let cache = goroot.parent().unwrap().to_str().unwrap();
        assert_eq!(
            tc("go1.26.8", &goroot, "/nowhere", "").overlayable_goroot(),
            Some(goroot.as_path())
        );
        // GOTOOLCHAIN's downloads live in the module cache.
        assert_eq!(tc("go1.26.8", &goroot, cache, "").overlayable_goroot(), None);
        // The module index is what lets Go 1.23 to 1.25 see the files.
        let unindexed = tc("go1.24.11", &goroot, "/nowhere", "http2debug=1,goindex=0");
        assert_eq!(unindexed.overlayable_goroot(), None);
        let later = tc("go1.26.8", &goroot, "/nowhere", "goindex=0");
        assert_eq!(later.overlayable_goroot(), Some(goroot.as_path()));
        // No GOROOT, or one without src/archive.
        assert_eq!(tc("go1.26.8", Path::new(""), "", "").overlayable_goroot(), None);
        assert_eq!(tc("go1.26.8", Path::new("/"), "", "").overlayable_goroot(), None);
    }
}
