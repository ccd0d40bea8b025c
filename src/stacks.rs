//! `leakcheck stacks`: a goroutine dump from production (a SIGQUIT, a
//! `/debug/pprof/goroutine?debug=2`, a test-timeout panic), grouped.
//!
//! The same parser ([`crate::dump`]) and grouping ([`crate::analyse::group`])
//! as the test runner; the dump streams through, one goroutine at a time,
//! so memory grows with the number of distinct stacks, not with the dump.

use std::io::{self, Read, Write};
use std::path::Path;

use regex::Regex;
use serde::Serialize;

use crate::analyse::group::{Grouper, LeakedGroup};
use crate::dump::{self, Goroutine, Warning};
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
    /// What the parser could not read.
    pub warnings: Vec<String>,
}

/// Reads and groups a dump.
pub fn group<R: Read>(reader: R, filter: &StackFilter) -> io::Result<GroupedDump> {
    let mut grouper = Grouper::new();
    let mut goroutines = 0;
    let mut kept = 0;
    let warnings: Vec<Warning> = dump::for_each_goroutine(reader, |g| {
        goroutines += 1;
        if filter.keeps(g) {
            kept += 1;
            grouper.add(g, None, None);
        }
    })?;
    let mut groups = grouper.finish();
    groups.retain(|g| g.count >= filter.min_count);
    Ok(GroupedDump {
        goroutines,
        kept,
        groups,
        warnings: warnings.iter().map(ToString::to_string).collect(),
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
    for w in &d.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
