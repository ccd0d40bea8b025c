//! `leakcheck stacks`: a goroutine dump from production (a SIGQUIT, a
//! `/debug/pprof/goroutine?debug=2`, a test-timeout panic), grouped.
//!
//! The same parser ([`crate::dump`]) and grouping ([`crate::analyse::group`])
//! as the test runner; the dump streams through, one goroutine at a time,
//! so memory grows with the number of distinct stacks, not with the dump:
//! lines and goroutine sections over [`Limits::DEFAULT`] are skipped or cut
//! as they stream, and only the first [`MAX_WARNINGS`] warnings are kept.

use std::io::{self, Read, Write};
use std::path::Path;

use regex::Regex;
use serde::Serialize;

use crate::analyse::group::{Grouper, LeakedGroup};
use crate::dump::{self, Goroutine, Limits, StreamStats, Warning};
use crate::report::text;

/// Which goroutines to keep.
#[derive(Debug, Default, Clone)]
pub struct StackFilter {
    /// Some frame's function matches.
    pub function: Option<Regex>,
    /// The state matches.
    pub state: Option<Regex>,
    /// The creating function matches.
    pub created_by: Option<Regex>,
    /// A pprof label equals this (key, value).
    pub label: Option<(String, String)>,
    /// Groups smaller than this are not shown.
    pub min_count: usize,
}

impl StackFilter {
    fn keeps(&self, g: &Goroutine<'_>) -> bool {
        self.function
            .as_ref()
            .is_none_or(|re| g.frames.iter().any(|f| re.is_match(f.function)))
            && self.state.as_ref().is_none_or(|re| re.is_match(g.state))
            && self
                .created_by
                .as_ref()
                .is_none_or(|re| g.created_by.as_ref().is_some_and(|c| re.is_match(c.function)))
            && self.label.as_ref().is_none_or(|(k, v)| g.label(k) == Some(v.as_str()))
    }
}

/// A dump, grouped.
#[derive(Debug, Serialize)]
pub struct GroupedDump {
    /// Goroutines read.
    pub goroutines: usize,
    /// Goroutines the filter kept.
    pub kept: usize,
    /// Groups, largest first.
    pub groups: Vec<LeakedGroup>,
    /// What the parser could not read: the first [`MAX_WARNINGS`] and a
    /// count of all (JSON: `warnings` and `warnings_omitted`).
    #[serde(flatten)]
    pub warnings: Warnings,
    /// What reading the dump took.
    #[serde(skip)]
    pub stream: StreamStats,
}

/// At most this many warnings are kept and shown; the others are counted.
pub const MAX_WARNINGS: usize = 100;

/// The parser's warnings: the first [`MAX_WARNINGS`], and how many there
/// were in all.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Warnings {
    #[serde(rename = "warnings")]
    shown: Vec<String>,
    #[serde(rename = "warnings_omitted")]
    omitted: usize,
}

impl Warnings {
    /// Counts a warning, keeping its text if fewer than [`MAX_WARNINGS`]
    /// are kept.
    pub fn push(&mut self, w: &Warning) {
        if self.shown.len() < MAX_WARNINGS {
            self.shown.push(w.to_string());
        } else {
            self.omitted += 1;
        }
    }

    /// How many warnings there were, shown or not.
    pub fn len(&self) -> usize {
        self.shown.len() + self.omitted
    }

    /// No warning at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first [`MAX_WARNINGS`] warnings.
    pub fn shown(&self) -> &[String] {
        &self.shown
    }

    /// How many warnings were counted but not kept.
    pub fn omitted(&self) -> usize {
        self.omitted
    }
}

/// Reads and groups a dump, within [`Limits::DEFAULT`]: time linear in the
/// input, memory bounded by the distinct stacks plus a fixed buffer.
pub fn group<R: Read>(reader: R, filter: &StackFilter) -> io::Result<GroupedDump> {
    let mut grouper = Grouper::new();
    let mut goroutines = 0;
    let mut kept = 0;
    let mut warnings = Warnings::default();
    let stream = dump::for_each_goroutine_limited(
        reader,
        Limits::DEFAULT,
        |g| {
            goroutines += 1;
            if filter.keeps(g) {
                kept += 1;
                grouper.add(g, None, None);
            }
        },
        |w| warnings.push(&w),
    )?;
    let mut groups = grouper.finish();
    groups.retain(|g| g.count >= filter.min_count);
    Ok(GroupedDump {
        goroutines,
        kept,
        groups,
        warnings,
        stream,
    })
}

/// Writes the grouped dump as text.
pub fn write_text(out: &mut impl Write, d: &GroupedDump) -> io::Result<()> {
    let shown: usize = d.groups.iter().map(|g| g.count).sum();
    write!(
        out,
        "{} in {}",
        text::goroutines(d.goroutines),
        text::plural(d.groups.len(), "group")
    )?;
    if shown < d.goroutines {
        write!(out, " ({} shown)", shown)?;
    }
    writeln!(out)?;
    for g in &d.groups {
        writeln!(out)?;
        out.write_all(text::group_text(g, false, Path::new(""), "").as_bytes())?;
    }
    for w in d.warnings.shown() {
        writeln!(out, "warning: {w}")?;
    }
    if d.warnings.omitted() > 0 {
        writeln!(
            out,
            "warning: {} more not shown (only the first {MAX_WARNINGS} are)",
            d.warnings.omitted()
        )?;
    }
    Ok(())
}
