//! Grouping goroutines that are stuck in the same place.
//!
//! Two goroutines belong to one [`LeakedGroup`] when they have the same
//! state, the same frames (function, file, line) and the same creation
//! site, whatever their ids, arguments, pc offsets and wait times. The
//! runner and `leakcheck stacks` share this code.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};

use serde::Serialize;

use crate::dump::{Frame, Goroutine};

/// A frame, owned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The function.
    pub function: String,
    /// The file.
    pub file: String,
    /// The line.
    pub line: u32,
}

impl Location {
    fn of(f: &Frame<'_>) -> Location {
        Location {
            function: f.function.to_string(),
            file: f.file.to_string(),
            line: f.line,
        }
    }
}

/// Identical goroutines, counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeakedGroup {
    /// How many goroutines.
    pub count: usize,
    /// Their wait state.
    pub state: String,
    /// How many carry the goroutineleak profile's `(leaked)` mark: proven
    /// to be blocked forever.
    pub proven: usize,
    /// The shortest and longest wait, in minutes, when printed.
    pub wait_minutes: Option<(u64, u64)>,
    /// The stack, innermost first.
    pub frames: Vec<Location>,
    /// Frames the runtime left out.
    pub elided: bool,
    /// Where the goroutines were started.
    pub created_by: Option<Location>,
    /// The test they are attributed to, when grouping a package's leftovers.
    pub test: Option<String>,
    /// Subtests that started them, when known.
    pub subtests: BTreeSet<String>,
    /// The pprof labels of the first goroutine.
    pub labels: Vec<(String, String)>,
    /// Their goroutine ids.
    pub ids: Vec<u64>,
    /// The ids of the goroutines that created them, where the dump says:
    /// a group created by another group's goroutines is its offspring.
    pub creators: BTreeSet<u64>,
    /// Listed in the baseline: a known leak, tolerated.
    pub known: bool,
    /// What the goroutines wait for and the usual fix.
    pub diagnosis: Option<super::diagnose::Diagnosis>,
}

impl LeakedGroup {
    /// The innermost frame, if any.
    pub fn top(&self) -> Option<&Location> {
        self.frames.first()
    }
}

/// The frames a report shows: all but leakcheck's own (the helper's check,
/// in a crash dump), which say nothing about the leak.
fn visible_frames<'g, 'a>(g: &'g Goroutine<'a>) -> impl Iterator<Item = &'g Frame<'a>> {
    g.frames.iter().filter(|f| {
        !f.file
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with(crate::inject::HELPER_FILE_PREFIX))
    })
}

/// Accumulates goroutines into groups, in a single pass.
#[derive(Debug, Default)]
pub struct Grouper {
    groups: Vec<LeakedGroup>,
    index: HashMap<u64, Vec<usize>, BuildHasherDefault<rustc_hash::FxHasher>>,
}

impl Grouper {
    /// An empty grouper.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `g`, attributed to `test` and started from `subtest` (if known).
    pub fn add(&mut self, g: &Goroutine<'_>, test: Option<&str>, subtest: Option<&str>) {
        let hash = key_hash(g, test);
        let slot = self
            .index
            .get(&hash)
            .and_then(|list| list.iter().copied().find(|&i| same_group(&self.groups[i], g, test)));
        let i = match slot {
            Some(i) => i,
            None => {
                self.groups.push(LeakedGroup {
                    count: 0,
                    state: g.state.to_string(),
                    proven: 0,
                    wait_minutes: None,
                    frames: visible_frames(g).map(Location::of).collect(),
                    elided: g.elided.is_some(),
                    created_by: g.created_by.as_ref().map(|c| Location {
                        function: c.function.to_string(),
                        file: c.file.to_string(),
                        line: c.line,
                    }),
                    test: test.map(str::to_string),
                    subtests: BTreeSet::new(),
                    labels: g.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                    ids: Vec::new(),
                    creators: BTreeSet::new(),
                    known: false,
                    diagnosis: None,
                });
                let i = self.groups.len() - 1;
                self.index.entry(hash).or_default().push(i);
                i
            }
        };
        let group = &mut self.groups[i];
        group.count += 1;
        group.proven += usize::from(g.leaked);
        group.ids.push(g.id);
        if let Some(creator) = g.created_by.as_ref().and_then(|c| c.goroutine) {
            group.creators.insert(creator);
        }
        if let Some(m) = g.wait_minutes {
            group.wait_minutes = Some(match group.wait_minutes {
                Some((lo, hi)) => (lo.min(m), hi.max(m)),
                None => (m, m),
            });
        }
        if let Some(s) = subtest {
            group.subtests.insert(s.to_string());
        }
    }

    /// The groups, largest first; groups of equal size in an order that
    /// does not depend on goroutine ids (reports, JUnit bodies and the
    /// `file`/`line` they point at stay the same from run to run).
    pub fn finish(mut self) -> Vec<LeakedGroup> {
        self.groups.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.test.cmp(&b.test))
                .then_with(|| a.frames.cmp(&b.frames))
                .then_with(|| a.created_by.cmp(&b.created_by))
                .then_with(|| a.state.cmp(&b.state))
        });
        self.groups
    }
}

fn key_hash(g: &Goroutine<'_>, test: Option<&str>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    test.hash(&mut h);
    g.state.hash(&mut h);
    for f in visible_frames(g) {
        f.function.hash(&mut h);
        f.file.hash(&mut h);
        f.line.hash(&mut h);
    }
    if let Some(c) = &g.created_by {
        c.function.hash(&mut h);
        c.file.hash(&mut h);
        c.line.hash(&mut h);
    }
    h.finish()
}

fn same_group(group: &LeakedGroup, g: &Goroutine<'_>, test: Option<&str>) -> bool {
    group.test.as_deref() == test
        && group.state == g.state
        && group.frames.len() == visible_frames(g).count()
        && group
            .frames
            .iter()
            .zip(visible_frames(g))
            .all(|(a, b)| a.function == b.function && a.file == b.file && a.line == b.line)
        && match (&group.created_by, &g.created_by) {
            (None, None) => true,
            (Some(a), Some(b)) => a.function == b.function && a.file == b.file && a.line == b.line,
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump;

    #[test]
    fn groups_ignore_ids_args_offsets_and_minutes() {
        let text = "\
goroutine 7 [chan receive, 2 minutes]:
main.worker(0xc000010000)
\t/src/p.go:10 +0x19
created by main.start in goroutine 1
\t/src/p.go:5 +0x5f

goroutine 9 [chan receive, 5 minutes]:
main.worker(0xc000020000)
\t/src/p.go:10 +0x2a
created by main.start in goroutine 3
\t/src/p.go:5 +0x60

goroutine 11 [chan receive]:
main.worker(0xc000020000)
\t/src/p.go:11 +0x2a
created by main.start in goroutine 3
\t/src/p.go:5 +0x60
";
        let d = dump::parse(text);
        let mut grouper = Grouper::new();
        for g in &d.goroutines {
            grouper.add(g, None, None);
        }
        let groups = grouper.finish();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].count, 2);
        assert_eq!(groups[0].ids, vec![7, 9]);
        assert_eq!(groups[0].wait_minutes, Some((2, 5)));
        assert_eq!(groups[1].frames[0].line, 11);
    }
}
