//! Plain-text renderings shared by the terminal and JUnit reporters.

use std::fmt::Write as _;
use std::path::Path;

use crate::analyse::group::{LeakedGroup, Location};
use crate::analyse::{Crash, LeakReport};
use crate::dump::{is_standard, package_of};
use crate::testlines;

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
/// file is under the module root, or its import path starts with a domain,
/// or it is a program's `main`.
pub fn is_user_frame(loc: &Location, root: &Path) -> bool {
    if !root.as_os_str().is_empty() && Path::new(&loc.file).starts_with(root) {
        return true;
    }
    !is_standard(&loc.function)
}

/// How much of each stack the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StackStyle {
    /// The user's frames in full, runs of the standard library's folded
    /// (`… 6 frames in net/http, bufio`): the line to fix stays on screen.
    #[default]
    Compact,
    /// Every frame, with its file and line.
    Full,
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
    group_text_styled(group, proof, root, indent, StackStyle::Full, false)
}

/// One group, its stack shown in `style`; `offspring` says its goroutines
/// were started by leaked goroutines shown above it.
pub fn group_text_styled(
    group: &LeakedGroup,
    proof: bool,
    root: &Path,
    indent: &str,
    style: StackStyle,
    offspring: bool,
) -> String {
    let mut out = String::new();
    let head = headline_frame(group, root);
    let _ = write!(out, "{indent}{} × [{}] ", group.count, state_text(group, proof));
    match head {
        Some(f) => {
            let _ = writeln!(out, "{} ({}:{})", f.function, display_path(f, root), f.line);
        }
        None => out.push_str("(no stack)\n"),
    }
    if let Some(d) = &group.diagnosis {
        out.push_str(&diagnosis_text(d, &format!("{indent}    ")));
    }
    if let Some(t) = &group.test {
        let _ = writeln!(out, "{indent}    started by test {t}");
    }
    let labels: Vec<String> = group
        .labels
        .iter()
        .filter(|(k, _)| k != "leakcheck" && k != "leakcheckrun")
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
            "{indent}    created by {} ({}:{}){}",
            c.function,
            display_path(c, root),
            c.line,
            if offspring { ", in a leaked goroutine above" } else { "" }
        );
    }
    match style {
        StackStyle::Full => {
            for f in &group.frames {
                let _ = writeln!(out, "{indent}    {}", f.function);
                let _ = writeln!(out, "{indent}        {}:{}", f.file, f.line);
            }
        }
        StackStyle::Compact => {
            for line in compact_frames(&group.frames, root) {
                let _ = writeln!(out, "{indent}    {line}");
            }
        }
    }
    if group.elided {
        let _ = writeln!(out, "{indent}    ...more frames elided...");
    }
    out
}

/// A diagnosis in two lines: what the goroutines wait for, and the fix.
pub fn diagnosis_text(d: &crate::analyse::diagnose::Diagnosis, indent: &str) -> String {
    let mut out = format!("{indent}waits: {}\n", d.waits);
    if let Some(fix) = &d.fix {
        let _ = writeln!(out, "{indent}fix: {fix}");
    }
    out
}

/// A stack in a few lines: each frame outside the standard library on one
/// line (`function (file:line)`, files in the module relative to it, in the
/// module cache from the module), runs of the standard library's frames
/// folded into one line naming their packages, and a recursion's calls of
/// the same line into one line saying how many more there are (a
/// goroutine stuck 300 calls deep printed 99 identical lines).
pub fn compact_frames(frames: &[Location], root: &Path) -> Vec<String> {
    fold_repeats(standard_runs_folded(frames, root))
}

fn standard_runs_folded(frames: &[Location], root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<&Location> = Vec::new();
    let flush = |run: &mut Vec<&Location>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(frame_line(run[0], root)),
            n => {
                let mut packages: Vec<&str> = Vec::new();
                for f in run.iter() {
                    let p = package_of(&f.function);
                    if !packages.contains(&p) {
                        packages.push(p);
                    }
                }
                out.push(format!("… {n} frames in {}", packages.join(", ")));
            }
        }
        run.clear();
    };
    for f in frames {
        let in_module = !root.as_os_str().is_empty() && Path::new(&f.file).starts_with(root);
        if !in_module && is_standard(&f.function) {
            run.push(f);
        } else {
            flush(&mut run, &mut out);
            out.push(frame_line(f, root));
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Three or more equal lines in a row become the line and a count of the
/// others.
fn fold_repeats(lines: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut lines = lines.into_iter().peekable();
    while let Some(line) = lines.next() {
        let mut more = 0;
        while lines.next_if_eq(&line).is_some() {
            more += 1;
        }
        match more {
            0 => out.push(line),
            1 => out.extend([line.clone(), line]),
            n => out.extend([line, format!("… the same call {n} more times")]),
        }
    }
    out
}

/// `function (file:line)`, the file as short as it stays clear.
fn frame_line(f: &Location, root: &Path) -> String {
    format!("{} ({}:{})", f.function, display_path(f, root), f.line)
}

/// A frame's file for people: relative to the module; from the module
/// cache, from the module's path (`github.com/x/y@v1.2.3/conn.go`); in
/// Go's own tree, from the package's path (`net/http/server.go`).
pub fn display_path<'a>(f: &'a Location, root: &Path) -> &'a str {
    let file = short_path(&f.file, root);
    if is_standard(&f.function) {
        // GOROOT/src/<package path>/…; the runtime also holds other
        // packages' functions (time.Sleep is in runtime/time.go). Before
        // the module cache: a toolchain GOTOOLCHAIN downloaded lives there
        // (golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/src/…).
        if let Some(at) = file.rfind("/src/") {
            return &file[at + "/src/".len()..];
        }
    }
    if let Some((_, rest)) = file.split_once("/pkg/mod/") {
        return rest;
    }
    file
}

/// The groups of a leak in the order to read them, root causes first: the
/// groups the user's code started (their creation site is the user's) come
/// before those the standard library started, and a group whose goroutines
/// were started by another group's goroutines comes right after that group,
/// one level deeper. Each entry is (depth, index).
pub fn tree_order(groups: &[LeakedGroup], root: &Path) -> Vec<(usize, usize)> {
    let mut owner = std::collections::HashMap::new();
    for (i, g) in groups.iter().enumerate() {
        for id in &g.ids {
            owner.insert(*id, i);
        }
    }
    let parent: Vec<Option<usize>> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            g.creators
                .iter()
                .filter_map(|c| owner.get(c).copied())
                .find(|&j| j != i)
        })
        .collect();
    let mut children = vec![Vec::new(); groups.len()];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    let mut out = Vec::new();
    let mut seen = vec![false; groups.len()];
    fn visit(i: usize, depth: usize, children: &[Vec<usize>], seen: &mut [bool], out: &mut Vec<(usize, usize)>) {
        if seen[i] {
            return;
        }
        seen[i] = true;
        out.push((depth, i));
        for &c in &children[i] {
            visit(c, depth + 1, children, seen, out);
        }
    }
    let mut roots: Vec<usize> = (0..groups.len()).filter(|&i| parent[i].is_none()).collect();
    roots.sort_by_key(|&i| !groups[i].created_by.as_ref().is_some_and(|c| is_user_frame(c, root)));
    for i in roots {
        visit(i, 0, &children, &mut seen, &mut out);
    }
    // Groups in a cycle of creators (each started goroutines of the other).
    for i in 0..groups.len() {
        visit(i, 0, &children, &mut seen, &mut out);
    }
    out
}

/// Every group of a leak, root causes first, with every frame, plus what
/// the rules let go.
pub fn leak_text(report: &LeakReport, root: &Path, indent: &str) -> String {
    leak_text_styled(report, root, indent, StackStyle::Full)
}

/// The same, stacks in `style`.
pub fn leak_text_styled(report: &LeakReport, root: &Path, indent: &str, style: StackStyle) -> String {
    let mut out = String::new();
    for (depth, i) in tree_order(&report.groups, root) {
        let deeper = format!("{indent}{}", "    ".repeat(depth));
        out.push_str(&group_text_styled(
            &report.groups[i],
            report.proof,
            root,
            &deeper,
            style,
            depth > 0,
        ));
    }
    if report.ambiguous > 0 {
        let _ = writeln!(
            out,
            "{indent}note: {} told to be this test's only by a label that other tests' goroutines with the same stack carry too; which of them are whose cannot be told",
            goroutines(report.ambiguous)
        );
    }
    if report.cut_short {
        let _ = writeln!(
            out,
            "{indent}note: leakcheck stopped waiting for them at the -timeout alarm, before the grace period ended: one that was still exiting may be among them"
        );
    }
    if report.by_difference > 0 {
        let _ = writeln!(
            out,
            "{indent}note: {} this test's only by difference (a timer's callback, a goroutine whose creator exited before leakcheck looked, with no label, or a job a daemon of the package runs: neither creator nor label names a test): {} while it ran alone; one an earlier test left would look the same",
            if report.by_difference == 1 { "1 goroutine was".to_string() } else { format!("{} goroutines were", report.by_difference) },
            if report.by_difference == 1 { "it appeared" } else { "they appeared" }
        );
    }
    if !report.ignored.is_empty() {
        let parts: Vec<String> = report.ignored.iter().map(|(r, n)| format!("{n} by {r}")).collect();
        let _ = writeln!(out, "{indent}(ignored: {})", parts.join(", "));
    }
    // (Not for a request still waiting and its connection: the request's
    // timeout is their fix.)
    let in_flight = |g: &LeakedGroup| {
        g.diagnosis.as_ref().is_some_and(|d| {
            d.rule == crate::analyse::diagnose::HTTP_REQUEST_WITHOUT_TIMEOUT
                || d.rule == crate::analyse::diagnose::HTTP_REQUEST_CONNECTION
        })
    };
    if report.total > 0
        && report.groups.iter().any(|g| {
            !in_flight(g)
                && g.frames
                    .iter()
                    .any(|f| f.function.starts_with("net/http.(*persistConn)"))
        })
    {
        let _ = writeln!(
            out,
            "{indent}hint: net/http keep-alive connections outlive a test unless every response body is closed (defer resp.Body.Close()) and the idle connections are (client.CloseIdleConnections(), or srv.Close() on an httptest server); an ignore rule can accept them"
        );
    }
    out
}

/// A crash: its message, the tests it hit, and where goroutines were stuck.
pub fn crash_text(crash: &Crash, root: &Path, indent: &str) -> String {
    crash_text_styled(crash, root, indent, StackStyle::Full)
}

/// The same, stacks in `style`.
pub fn crash_text_styled(crash: &Crash, root: &Path, indent: &str, style: StackStyle) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{indent}{}", crash.message);
    if !crash.tests.is_empty() {
        let _ = writeln!(out, "{indent}running: {}", crash.tests.join(", "));
    }
    if !crash.groups.is_empty() {
        let total: usize = crash.groups.iter().map(|g| g.count).sum();
        let _ = writeln!(out, "{indent}{} at the time, grouped:", goroutines(total));
        for g in &crash.groups {
            out.push_str(&group_text_styled(g, false, root, &format!("{indent}  "), style, false));
        }
    }
    out
}

/// A test's output without testing's framing lines for it (`=== RUN
/// TestX` …). test2json gives a framing line to the test it names, so in
/// a test's output a line naming another test is one the test printed (a
/// nested `go test` run's `=== RUN   TestInner`), and go test shows it.
pub fn without_framing(output: &str, test: &str) -> String {
    output
        .split_inclusive('\n')
        .filter(|l| testlines::framed_test(l) != Some(test))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_show_go_files_from_the_package_path_and_modules_from_the_module() {
        let at = |function: &str, file: &str| Location {
            function: function.to_string(),
            file: file.to_string(),
            line: 1,
        };
        let root = Path::new("/work/app");
        let cache = "/root/go/pkg/mod";
        let toolchain = format!("{cache}/golang.org/toolchain@v0.0.1-go1.27.3.linux-amd64/src/iter/iter.go");
        assert_eq!(display_path(&at("iter.Pull[...]", &toolchain), root), "iter/iter.go");
        assert_eq!(
            display_path(&at("time.Sleep", "/usr/local/go/src/runtime/time.go"), root),
            "runtime/time.go"
        );
        let dependency = format!("{cache}/github.com/x/y@v1.2.3/src/conn.go");
        assert_eq!(
            display_path(&at("github.com/x/y/src.Dial", &dependency), root),
            "github.com/x/y@v1.2.3/src/conn.go"
        );
        assert_eq!(
            display_path(&at("example.com/app.Run", "/work/app/run.go"), root),
            "run.go"
        );
    }
}
