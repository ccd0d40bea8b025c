//! Plain-text renderings shared by the terminal and JUnit reporters.

use std::fmt::Write as _;
use std::path::Path;

use crate::analyse::group::{LeakedGroup, Location};
use crate::analyse::{Crash, LeakReport};

/// `1 goroutine` / `3 goroutines`.
pub fn goroutines(n: usize) -> String {
    plural(n, "goroutine")
}

/// `n word`, with an `s` unless n is 1.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `2 goroutines leaked (1 stack)`: the one-line summary of a leak.
pub fn leak_summary(report: &LeakReport) -> String {
    format!(
        "{} leaked ({})",
        goroutines(report.total),
        plural(report.groups.len(), "stack")
    )
}

/// A path shown relative to `root` when it is under it.
pub fn short_path<'a>(file: &'a str, root: &Path) -> &'a str {
    Path::new(file)
        .strip_prefix(root)
        .ok()
        .and_then(|p| p.to_str())
        .unwrap_or(file)
}

/// Whether a frame is the user's code rather than Go's own packages: its
/// file is under the module root, or its import path starts with a domain.
pub fn is_user_frame(loc: &Location, root: &Path) -> bool {
    if Path::new(&loc.file).starts_with(root) {
        return true;
    }
    let first = loc.function.split('/').next().unwrap_or("");
    first.contains('.') && !loc.function.starts_with("runtime.") && loc.function.contains('/')
}

/// Go packages that are plumbing under a blocked goroutine: the place it
/// waits, never the reason.
const PLUMBING: &[&str] = &[
    "runtime",
    "internal/",
    "syscall",
    "net.",
    "bufio.",
    "io.",
    "sync.",
    "time.",
    "crypto/tls.",
    "os.",
];

fn is_plumbing(loc: &Location) -> bool {
    PLUMBING
        .iter()
        .any(|p| loc.function.starts_with(p) && (p.ends_with(['.', '/']) || loc.function[p.len()..].starts_with('.')))
}

/// The frame a reader should look at first: the innermost frame in the
/// module under test, else in any non-standard package, else the innermost
/// that is not plumbing (net/http's readLoop rather than internal/poll),
/// else the innermost frame.
pub fn headline_frame<'a>(group: &'a LeakedGroup, root: &Path) -> Option<&'a Location> {
    let in_module = |f: &&Location| !root.as_os_str().is_empty() && Path::new(&f.file).starts_with(root);
    group
        .frames
        .iter()
        .find(in_module)
        .or_else(|| group.frames.iter().find(|f| is_user_frame(f, root)))
        .or_else(|| group.frames.iter().find(|f| !is_plumbing(f)))
        .or_else(|| group.frames.first())
}

/// `[chan receive, proven]` style state text; `proof` says whether proving
/// was possible, so that not proven means "still running at the deadline".
pub fn state_text(group: &LeakedGroup, proof: bool) -> String {
    let mut s = group.state.clone();
    if group.proven == group.count && group.count > 0 {
        s.push_str(", proven");
    } else if group.proven > 0 {
        let _ = write!(s, ", {} proven", group.proven);
    } else if proof {
        s.push_str(", still running");
    }
    if group.known {
        s.push_str(", known");
    }
    if let Some((lo, hi)) = group.wait_minutes {
        if lo == hi {
            let _ = write!(s, ", {lo} minutes");
        } else {
            let _ = write!(s, ", {lo}-{hi} minutes");
        }
    }
    s
}

/// One group: headline, created by, then the full stack, each line indented
/// by `indent`.
pub fn group_text(group: &LeakedGroup, proof: bool, root: &Path, indent: &str) -> String {
    let mut out = String::new();
    let head = headline_frame(group, root);
    let _ = write!(out, "{indent}{} × [{}] ", group.count, state_text(group, proof));
    match head {
        Some(f) => {
            let _ = writeln!(out, "{} ({}:{})", f.function, short_path(&f.file, root), f.line);
        }
        None => out.push_str("(no stack)\n"),
    }
    if let Some(t) = &group.test {
        let _ = writeln!(out, "{indent}    started by test {t}");
    }
    let labels: Vec<String> = group
        .labels
        .iter()
        .filter(|(k, _)| k != "leakcheck")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !labels.is_empty() {
        let _ = writeln!(out, "{indent}    labels {}", labels.join(", "));
    }
    if !group.subtests.is_empty() {
        let names: Vec<&str> = group.subtests.iter().map(String::as_str).collect();
        let _ = writeln!(out, "{indent}    in subtest {}", names.join(", "));
    }
    if let Some(c) = &group.created_by {
        let _ = writeln!(
            out,
            "{indent}    created by {} ({}:{})",
            c.function,
            short_path(&c.file, root),
            c.line
        );
    }
    for f in &group.frames {
        let _ = writeln!(out, "{indent}    {}", f.function);
        let _ = writeln!(out, "{indent}        {}:{}", f.file, f.line);
    }
    if group.elided {
        let _ = writeln!(out, "{indent}    ...more frames elided...");
    }
    out
}

/// Every group of a leak, plus what the rules let go.
pub fn leak_text(report: &LeakReport, root: &Path, indent: &str) -> String {
    let mut out = String::new();
    for g in &report.groups {
        out.push_str(&group_text(g, report.proof, root, indent));
    }
    if report.ambiguous > 0 {
        let _ = writeln!(
            out,
            "{indent}note: {} told to be this test's only by a label that other tests' goroutines with the same stack carry too; which of them are whose cannot be told",
            goroutines(report.ambiguous)
        );
    }
    if report.by_difference > 0 {
        let _ = writeln!(
            out,
            "{indent}note: {} no creator and no label (a timer's callback): this test's because {} while it ran alone; a timer an earlier test set would look the same",
            if report.by_difference == 1 { "1 goroutine has".to_string() } else { format!("{} goroutines have", report.by_difference) },
            if report.by_difference == 1 { "it appeared" } else { "they appeared" }
        );
    }
    if !report.ignored.is_empty() {
        let parts: Vec<String> = report.ignored.iter().map(|(r, n)| format!("{n} by {r}")).collect();
        let _ = writeln!(out, "{indent}(ignored: {})", parts.join(", "));
    }
    if report.total > 0
        && report.groups.iter().any(|g| {
            g.frames
                .iter()
                .any(|f| f.function.starts_with("net/http.(*persistConn)"))
        })
    {
        let _ = writeln!(
            out,
            "{indent}hint: net/http keep-alive connections outlive a test unless it closes idle connections (client.CloseIdleConnections, or srv.Close on an httptest server); an ignore rule can accept them"
        );
    }
    out
}

/// A crash: its message, the tests it hit, and where goroutines were stuck.
pub fn crash_text(crash: &Crash, root: &Path, indent: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{indent}{}", crash.message);
    if !crash.tests.is_empty() {
        let _ = writeln!(out, "{indent}running: {}", crash.tests.join(", "));
    }
    if !crash.groups.is_empty() {
        let total: usize = crash.groups.iter().map(|g| g.count).sum();
        let _ = writeln!(out, "{indent}{} at the time, grouped:", goroutines(total));
        for g in &crash.groups {
            out.push_str(&group_text(g, false, root, &format!("{indent}  ")));
        }
    }
    out
}

/// A test's output without test2json's framing lines (`=== RUN` …).
pub fn without_framing(output: &str) -> String {
    output
        .split_inclusive('\n')
        .filter(|l| {
            !(l.starts_with("=== RUN")
                || l.starts_with("=== PAUSE")
                || l.starts_with("=== CONT")
                || l.starts_with("=== NAME"))
        })
        .collect()
}
