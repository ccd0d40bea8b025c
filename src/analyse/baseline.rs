//! The baseline: leaks a team knows about and tolerates while it fixes them.
//!
//! `leakcheck --update-baseline` writes `leakcheck-baseline.json` at the
//! module root with every leak of the run; normal runs read it, tolerate the
//! leaks it lists, fail on any other, and list its entries that no longer
//! occur so the file shrinks as leaks get fixed.
//!
//! An entry is keyed by package, top-level test (`TestMain` for leftovers
//! after the last test) and a stack signature: a hash of the function that
//! started the goroutines and the functions of their stack, innermost first,
//! without files, line numbers, arguments or counts. So the entry survives
//! edits that move lines and changes in how many goroutines leak; it does not
//! survive renaming or moving a function on the stack, which makes it a new
//! leak (see docs/baseline.md).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::group::LeakedGroup;
use super::{LeakReport, PackageResult, PackageStatus, Verdict};
use crate::error::{Error, Result};

/// The file name at the module root.
pub const FILE_NAME: &str = "leakcheck-baseline.json";

/// One known leak.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    /// The package's import path.
    pub package: String,
    /// The top-level test, or `TestMain`.
    pub test: String,
    /// The stack signature (16 hex digits).
    pub signature: String,
    /// Where the goroutines wait, for the reader (not matched).
    pub function: String,
    /// What started them, for the reader (not matched).
    pub created_by: String,
}

impl BaselineEntry {
    fn key(&self) -> (&str, &str, &str) {
        (&self.package, &self.test, &self.signature)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    leaks: Vec<BaselineEntry>,
}

/// The known leaks, read from a file.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// The file.
    pub path: PathBuf,
    entries: BTreeMap<(String, String, String), BaselineEntry>,
}

/// What a run made of the baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineOutcome {
    /// The file.
    pub path: PathBuf,
    /// Known leaks seen again (entries).
    pub tolerated: usize,
    /// Goroutines in those leaks.
    pub tolerated_goroutines: usize,
    /// Entries whose test ran but which did not occur: fixed, or changed.
    pub stale: Vec<BaselineEntry>,
}

/// The signature of a leaked group: FNV-1a (64 bit, fixed forever so that
/// files stay valid across leakcheck versions) over the creating function
/// and the stack's functions.
pub fn signature(g: &LeakedGroup) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(g.created_by.as_ref().map_or("", |c| c.function.as_str()));
    for f in &g.frames {
        feed(&f.function);
    }
    format!("{h:016x}")
}

fn entry(package: &str, test: &str, g: &LeakedGroup) -> BaselineEntry {
    BaselineEntry {
        package: package.to_string(),
        test: test.to_string(),
        signature: signature(g),
        function: g.top().map(|f| f.function.clone()).unwrap_or_default(),
        created_by: g.created_by.as_ref().map(|c| c.function.clone()).unwrap_or_default(),
    }
}

/// Every (test, group) a package leaked: the test's top-level name, or the
/// group's own test label, or `TestMain`, for leftovers.
fn leaks(p: &PackageResult) -> Vec<(String, &LeakedGroup)> {
    let mut out = Vec::new();
    for t in &p.tests {
        if let Some(l) = &t.leak {
            out.extend(l.groups.iter().map(|g| (t.top_level().to_string(), g)));
        }
    }
    if let Some(l) = &p.main_leak {
        out.extend(l.groups.iter().map(|g| ("TestMain".to_string(), g)));
    }
    out
}

impl Baseline {
    /// Reads a baseline file; `None` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Baseline>> {
        let text = match crate::config::read_input(path, 1 << 30) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("cannot read", path, e)),
        };
        let file: BaselineFile = serde_json::from_str(&text).map_err(|e| Error::Config {
            file: path.to_path_buf(),
            line: e.line(),
            message: e.to_string().split(" at line ").next().unwrap_or("").to_string(),
        })?;
        if file.version != 1 {
            return Err(Error::Config {
                file: path.to_path_buf(),
                line: 1,
                message: format!("baseline version {} is not supported (1 is)", file.version),
            });
        }
        Ok(Some(Baseline {
            path: path.to_path_buf(),
            entries: file
                .leaks
                .into_iter()
                .map(|e| ((e.package.clone(), e.test.clone(), e.signature.clone()), e))
                .collect(),
        }))
    }

    /// Marks the leaks this baseline knows in `p` and turns tests (and the
    /// package) that failed only by known leaks into passes.
    pub fn apply(&self, p: &mut PackageResult) {
        let package = p.import_path.clone();
        let known = |test: &str, report: &mut LeakReport| {
            for g in &mut report.groups {
                g.known = self
                    .entries
                    .contains_key(&(package.clone(), test.to_string(), signature(g)));
            }
            report.known = report.groups.iter().filter(|g| g.known).map(|g| g.count).sum();
        };
        for t in &mut p.tests {
            let top = t.top_level().to_string();
            if let Some(l) = &mut t.leak {
                known(&top, l);
                if t.verdict == Verdict::Leaked && l.total > 0 && l.known == l.total {
                    t.verdict = if t.skipped { Verdict::Skipped } else { Verdict::Passed };
                }
            }
        }
        if let Some(l) = &mut p.main_leak {
            known("TestMain", l);
        }
        super::propagate_subtest_leaks(&mut p.tests);
        p.recompute_status();
    }

    /// What the run made of the baseline: entries seen, and entries whose
    /// test ran without them (only those: a run of a subset proves nothing
    /// about the rest).
    pub fn outcome(&self, packages: &[PackageResult]) -> BaselineOutcome {
        let mut seen = BTreeSet::new();
        let mut ran = BTreeSet::new();
        let mut out = BaselineOutcome {
            path: self.path.clone(),
            ..Default::default()
        };
        for p in packages {
            for t in &p.tests {
                ran.insert((p.import_path.clone(), t.top_level().to_string()));
            }
            if p.status != PackageStatus::BuildFailed && p.crash.is_none() {
                ran.insert((p.import_path.clone(), "TestMain".to_string()));
            }
            for (test, g) in leaks(p) {
                let key = (p.import_path.clone(), test, signature(g));
                if self.entries.contains_key(&key) && seen.insert(key) {
                    out.tolerated += 1;
                }
                if g.known {
                    out.tolerated_goroutines += g.count;
                }
            }
        }
        out.stale = self
            .entries
            .values()
            .filter(|e| {
                ran.contains(&(e.package.clone(), e.test.clone()))
                    && !seen.contains(&(e.package.clone(), e.test.clone(), e.signature.clone()))
            })
            .cloned()
            .collect();
        out
    }
}

/// Writes a baseline holding every leak of `packages`, in a stable order.
/// Returns how many entries it holds.
pub fn write(path: &Path, packages: &[PackageResult]) -> Result<usize> {
    let mut entries = BTreeSet::new();
    for p in packages {
        for (test, g) in leaks(p) {
            entries.insert(entry(&p.import_path, &test, g));
        }
    }
    // One entry per key (the readable fields come from the first seen).
    let mut keyed: BTreeMap<(String, String, String), BaselineEntry> = BTreeMap::new();
    for e in entries {
        let k = e.key();
        keyed
            .entry((k.0.to_string(), k.1.to_string(), k.2.to_string()))
            .or_insert(e);
    }
    let file = BaselineFile {
        version: 1,
        leaks: keyed.into_values().collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("baseline serialises");
    text.push('\n');
    fs::write(path, text).map_err(|e| Error::io("cannot write", path, e))?;
    Ok(file.leaks.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::group::Location;

    fn group(lines: u32, count: usize) -> LeakedGroup {
        let loc = |f: &str| Location {
            function: f.into(),
            file: "/src/p.go".into(),
            line: lines,
        };
        LeakedGroup {
            count,
            state: "chan receive".into(),
            proven: 0,
            wait_minutes: None,
            frames: vec![loc("p.worker"), loc("p.run")],
            elided: false,
            created_by: Some(loc("p.Start")),
            test: None,
            subtests: Default::default(),
            labels: vec![],
            ids: vec![],
            creators: Default::default(),
            known: false,
            diagnosis: None,
        }
    }

    #[test]
    fn signatures_ignore_lines_and_counts_but_not_functions() {
        assert_eq!(signature(&group(10, 1)), signature(&group(99, 40)));
        let mut other = group(10, 1);
        other.frames[0].function = "p.otherWorker".into();
        assert_ne!(signature(&group(10, 1)), signature(&other));
        // Fixed forever: a file written today must match tomorrow (value
        // computed independently: FNV-1a 64 over "p.Start\np.worker\np.run\n").
        assert_eq!(signature(&group(10, 1)), "3c42196631204562");
    }
}
