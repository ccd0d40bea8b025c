//! A diagnosis for each leaked group: what its goroutines wait for, and the
//! usual fix, with the call to make.
//!
//! The rules are data: a state and frame patterns, then the text. The first
//! rule that matches a group gives its diagnosis; rules from leakcheck.toml
//! (`[[diagnosis]]`) come before the built-in ones, and `--explain` lists
//! them all. A wrong hint is worse than none: the specific rules need
//! specific evidence (the frames of net/http's keep-alive loop, a
//! WaitGroup's Wait, a timer's callback, a mock clock's Sleep), and where
//! only the wait state is known the diagnosis says what the goroutines wait
//! for and gives the fix that state calls for, and no more. Where even the
//! state does not say what would end the wait (a goroutine that was
//! running; a system call) it says only what they wait for. A lock's
//! waiters name its likely holder when another group of the same leak is
//! blocked inside the function that took the lock (that holder is the leak
//! to fix: no fix of their own), and otherwise get the fix for a lock left
//! locked or taken twice. The
//! rules were checked by hand against the leaks of 21 real test suites
//! (docs/real-suites.md, "Diagnoses, judged by hand").

use crate::golex;
use serde::{Deserialize, Serialize};

use super::group::LeakedGroup;
use super::rules::Matcher;
use super::{LeakReport, PackageResult};

/// One rule of the table.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DiagnosisRule {
    /// Its name, shown in `--explain` and the JSON report.
    pub name: String,
    /// The wait state matches (e.g. `chan send`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Matcher>,
    /// The innermost frame's function matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_function: Option<Matcher>,
    /// Some frame's function matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_function: Option<Matcher>,
    /// The function that started them matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Matcher>,
    /// The source line the innermost frame is at matches (read from the
    /// file the dump names; no match when it cannot be read). A bare
    /// receive says nothing of its channel in the stack; its line does
    /// (`<-ctx.Done()`, `<-time.After(time.Hour)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_line: Option<Matcher>,
    /// At least this many identical goroutines.
    #[serde(default)]
    pub min_count: usize,
    /// What they wait for; `{n}` is the number of goroutines, `{creator}`
    /// the function that started them, `{state}` their wait state.
    pub waits: String,
    /// The usual fix, when the evidence is enough to give one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// A group's diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The rule that gave it.
    pub rule: String,
    /// What the goroutines wait for.
    pub waits: String,
    /// The usual fix, if the evidence gives one.
    pub fix: Option<String>,
}

impl DiagnosisRule {
    fn matches(&self, g: &LeakedGroup, top_line: Option<&str>) -> bool {
        let any = [
            &self.state,
            &self.top_function,
            &self.any_function,
            &self.created_by,
            &self.top_line,
        ]
        .iter()
        .any(|m| m.is_some())
            || self.min_count > 0;
        any && g.count >= self.min_count.max(1)
            && self.state.as_ref().is_none_or(|m| m.matches(&g.state))
            && self
                .top_function
                .as_ref()
                .is_none_or(|m| g.frames.first().is_some_and(|f| m.matches(&f.function)))
            && self
                .any_function
                .as_ref()
                .is_none_or(|m| g.frames.iter().any(|f| m.matches(&f.function)))
            && self
                .created_by
                .as_ref()
                .is_none_or(|m| g.created_by.as_ref().is_some_and(|c| m.matches(&c.function)))
            && self
                .top_line
                .as_ref()
                .is_none_or(|m| top_line.is_some_and(|l| m.matches(l.trim())))
    }

    fn apply(&self, g: &LeakedGroup, test_context: bool) -> Diagnosis {
        let creator = g.created_by.as_ref().map_or("", |c| c.function.as_str());
        let fill = |s: &str| {
            s.replace("{n}", &g.count.to_string())
                .replace("{creator}", creator)
                .replace("{state}", &g.state)
        };
        let mut fix = self.fix.as_deref().map(fill);
        // Go 1.24+: a test's own context, cancelled before its cleanups.
        if test_context {
            if let Some(f) = fix.as_mut().filter(|f| f.contains("ctx.Done()")) {
                f.push_str("; in a test, t.Context() is that context (cancelled when the test ends)");
            }
        }
        Diagnosis {
            rule: self.name.clone(),
            waits: fill(&self.waits),
            fix,
        }
    }
}

/// The diagnosis of a group by the first rule that matches, if one does;
/// `top_line`: the source line its innermost frame is at, if known.
pub fn diagnose(
    group: &LeakedGroup,
    rules: &[DiagnosisRule],
    test_context: bool,
    top_line: Option<&str>,
) -> Option<Diagnosis> {
    rules
        .iter()
        .find(|r| r.matches(group, top_line))
        .map(|r| r.apply(group, test_context))
}

/// The source lines of the files leaked goroutines wait in, read once
/// each. A file that cannot be read (built elsewhere, `-trimpath`, gone)
/// gives no line, and the rules that need one do not match.
#[derive(Default)]
struct SourceLines {
    files: std::collections::HashMap<String, Option<Vec<String>>>,
}

impl SourceLines {
    /// Larger files are not read: no test's source is that big.
    const MAX_FILE: u64 = 8 << 20;

    /// Up to `n` lines from `line` on.
    fn from(&mut self, file: &str, line: u32, n: usize) -> Option<Vec<String>> {
        self.line(file, line)?;
        let lines = self.files.get(file)?.as_ref()?;
        let at = usize::try_from(line).ok()?.checked_sub(1)?;
        Some(lines[at..lines.len().min(at + n)].to_vec())
    }

    fn line(&mut self, file: &str, line: u32) -> Option<&str> {
        let lines = self.files.entry(file.to_string()).or_insert_with(|| {
            let path = std::path::Path::new(file);
            if !path.is_absolute() || std::fs::metadata(path).ok()?.len() > Self::MAX_FILE {
                return None;
            }
            let bytes = std::fs::read(path).ok()?;
            Some(String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect())
        });
        lines
            .as_ref()?
            .get(usize::try_from(line).ok()?.checked_sub(1)?)
            .map(String::as_str)
    }
}

/// Gives every leaked group of a package its diagnosis.
pub fn annotate(p: &mut PackageResult, rules: &[DiagnosisRule], test_context: bool) {
    let reports = p
        .tests
        .iter_mut()
        .filter_map(|t| t.leak.as_mut())
        .chain(p.main_leak.as_mut());
    for report in reports {
        annotate_report(report, rules, test_context);
    }
}

fn annotate_report(report: &mut LeakReport, rules: &[DiagnosisRule], test_context: bool) {
    let mut source = SourceLines::default();
    for g in &mut report.groups {
        let top_line = g.frames.first().and_then(|f| source.line(&f.file, f.line));
        g.diagnosis = diagnose(g, rules, test_context, top_line);
        if g.diagnosis.as_ref().is_some_and(|d| d.rule == SELECT_WITHOUT_EXIT) {
            if let Some(d) = select_reading(g, &mut source, test_context) {
                g.diagnosis = Some(d);
            }
        }
    }
    name_lock_holders(&mut report.groups);
    name_lock_cycles(&mut report.groups);
    name_requests_in_flight(&mut report.groups);
}

/// The built-in rule for a goroutine blocked in a select, which says only
/// what might have ended it: its source, when it can be read, says more
/// ([`select_reading`]).
const SELECT_WITHOUT_EXIT: &str = "select-without-exit";

/// What the select a group is blocked in says, read from its source (the
/// frame's line is the `select {`): a case receiving from a `Done()` of a
/// selector (`ctx.Done()`, `s.ctx.Done()`, `r.Context().Done()`) has not
/// fired, so that context was never cancelled, or the component whose
/// Done() it is never stopped (`select-context`; an
/// evaluator's watcher whose cancel nobody called was told only that
/// nothing ended it).
///
/// Only in the module's own code (Go's and dependencies' selects are not
/// the user's to fix: a waiting HTTP/2 request's select on its request's
/// context is the request's), and None when the source cannot be read or
/// holds no such case. Whether another case would have been a way out is
/// not read: which loop a return, break or flag leaves takes more than a
/// reading of the select's lines (a hostile review found a dozen shapes
/// that a reading by words got wrong).
fn select_reading(g: &LeakedGroup, source: &mut SourceLines, test_context: bool) -> Option<Diagnosis> {
    let frame = g.frames.iter().find(|f| !f.function.starts_with("runtime."))?;
    if crate::dump::is_standard(&frame.function) || frame.file.contains("/pkg/mod/") || frame.file.contains("/vendor/")
    {
        return None;
    }
    let lines = source.from(&frame.file, frame.line, 200)?;
    let header = select_cases(&lines.join("\n"))?.into_iter().find(|h| done_receive(h))?;
    let mut fix = "cancel that context when the test ends (defer the cancel of the context you pass in; context.Background() is never cancelled: pass one that is), or stop the component that owns it (its Close, Stop or Shutdown) and wait for it: ctx.Done() then ends the select".to_string();
    if test_context {
        fix.push_str("; in a test, t.Context() is that context (cancelled when the test ends)");
    }
    Some(Diagnosis {
        rule: "select-context".into(),
        waits: format!(
            "a select whose case {} has not fired: that Done() channel was never closed (a context never cancelled, or a component never stopped)",
            header.trim()
        ),
        fix: Some(fix),
    })
}

/// Whether a case header receives from a selector's `Done()`:
/// `<-ctx.Done()`, `<-r.Context().Done()`; not `<-b.allDone()`.
fn done_receive(header: &str) -> bool {
    let Some(chain) = header
        .trim()
        .strip_prefix("<-")
        .and_then(|h| h.trim().strip_suffix(".Done()"))
    else {
        return false;
    };
    !chain.is_empty()
        && chain.split('.').all(|part| {
            let name = part.strip_suffix("()").unwrap_or(part);
            name.chars().next().is_some_and(|c| c == '_' || c.is_alphabetic())
                && name.chars().all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// The case headers (what follows `case`, up to the clause's colon, its
/// tokens joined: `<-ctx.Done()`) of the select statement `code` starts
/// with (`select {` on its first line), read with the Go lexer, so braces
/// and colons in comments and literals do not count. None when the first
/// line holds no `select {` as its statement, or the statement does not
/// end in the code given.
fn select_cases(code: &str) -> Option<Vec<String>> {
    let toks = golex::tokens(code);
    let first_line = code.find('\n').unwrap_or(code.len());
    let at = toks
        .iter()
        .take_while(|t| t.start < first_line)
        .position(|t| t.text == "select")
        .filter(|&at| toks.get(at + 1).is_some_and(|t| t.text == "{"))?;
    if at > 0 && !matches!(toks[at - 1].text, ":" | "{" | ";") {
        return None;
    }
    let mut depth = 0i32;
    let mut headers = Vec::new();
    let mut i = at + 1;
    while i < toks.len() {
        match toks[i].text {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => {
                depth -= 1;
                if depth == 0 {
                    return Some(headers);
                }
            }
            "case" if depth == 1 => {
                let (header, colon) = case_header(&toks, i + 1)?;
                headers.push(header);
                i = colon;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A case clause's header from token `from` up to its colon (not one of
/// `:=`, nor one nested in brackets), and the colon's place.
fn case_header(toks: &[golex::Tok<'_>], from: usize) -> Option<(String, usize)> {
    let mut nested = 0i32;
    let mut header = String::new();
    for (j, t) in toks.iter().enumerate().skip(from) {
        match t.text {
            "(" | "[" | "{" => nested += 1,
            ")" | "]" | "}" => nested -= 1,
            ":" if nested == 0 && !toks.get(j + 1).is_some_and(|n| n.text == "=" && n.start == t.end()) => {
                return Some((header, j));
            }
            _ => {}
        }
        if nested < 0 {
            return None;
        }
        header.push_str(t.text);
    }
    None
}

/// The rule name of a request that waits for a response that never comes
/// (a client without a timeout): [`name_requests_in_flight`] counts them.
pub const HTTP_REQUEST_WITHOUT_TIMEOUT: &str = "http-request-without-timeout";

/// The rule name of a client connection's loops (idle, or busy with a
/// request: [`name_requests_in_flight`] tells them apart).
const HTTP_KEEP_ALIVE: &str = "http-keep-alive";

/// The rule name of a server connection's goroutine (waiting for the next
/// request, or watching one whose handler runs).
const HTTP_SERVER_CONNECTION: &str = "http-server-connection";

/// The rule name of a server handler that never returns.
const HTTP_HANDLER_BLOCKED: &str = "http-handler-blocked";

/// The rule name of a client connection's loops busy with a request of the
/// same leak ([`name_requests_in_flight`]).
pub const HTTP_REQUEST_CONNECTION: &str = "http-request-connection";

/// The rule name of a server connection watched while a handler of the
/// same leak runs ([`name_requests_in_flight`]).
pub const HTTP_HANDLER_CONNECTION: &str = "http-handler-connection";

/// A client connection's loops (readLoop waiting for a response, writeLoop)
/// look the same idle and busy with a request that gets no answer; so does
/// the server's watch for the client hanging up (backgroundRead) and its
/// wait for the next request. When the same leak holds requests still
/// waiting for their responses (or handlers that never return) for every
/// such connection, the connections are theirs: "close the idle
/// connections" would not end them, the request's timeout (the handler's
/// return) would. An evaluator's HTTP client without a timeout got the
/// idle-connection reading for its busy connection.
fn name_requests_in_flight(groups: &mut [LeakedGroup]) {
    let rule_of = |g: &LeakedGroup| g.diagnosis.as_ref().map(|d| d.rule.clone()).unwrap_or_default();
    let count = |rule: &str, function: Option<&str>| -> usize {
        groups
            .iter()
            .filter(|g| rule_of(g) == rule)
            .filter(|g| function.is_none_or(|f| g.frames.iter().any(|l| l.function == f)))
            .map(|g| g.count)
            .sum()
    };
    let requests = count(HTTP_REQUEST_WITHOUT_TIMEOUT, None);
    let handlers = count(HTTP_HANDLER_BLOCKED, None);
    let busy_reads = count(HTTP_KEEP_ALIVE, Some("net/http.(*persistConn).readLoop"));
    let busy_writes = count(HTTP_KEEP_ALIVE, Some("net/http.(*persistConn).writeLoop"));
    let watches = count(HTTP_SERVER_CONNECTION, None);
    for g in groups.iter_mut() {
        let rule = rule_of(g);
        let loop_of = |f: &str| g.frames.iter().any(|l| l.function == f);
        let client = rule == HTTP_KEEP_ALIVE
            && requests > 0
            && (loop_of("net/http.(*persistConn).readLoop") && busy_reads <= requests
                || loop_of("net/http.(*persistConn).writeLoop") && busy_writes <= requests);
        let server = rule == HTTP_SERVER_CONNECTION && handlers > 0 && watches <= handlers;
        if client {
            g.diagnosis = Some(Diagnosis {
                rule: HTTP_REQUEST_CONNECTION.into(),
                waits: "an HTTP client connection's loop, busy with a request of this leak that is still waiting for its response".into(),
                fix: Some("give the client a timeout (http.Client{Timeout: …}) or the request a context with a deadline: when the request gives up, its connection is closed".into()),
            });
        } else if server {
            g.diagnosis = Some(Diagnosis {
                rule: HTTP_HANDLER_CONNECTION.into(),
                waits: "an HTTP server watching a connection for its client to hang up while a handler of this leak runs".into(),
                fix: Some("make the handler return (select on r.Context().Done(), which ends when the client hangs up or the server closes); the watch ends with it".into()),
            });
        }
    }
}

/// The rules whose text blames a partner that is gone: a receiver that
/// returned, a producer that never closes, goroutines that never call
/// Done, a pool nobody closes.
const PARTNER_GONE: &[&str] = &["channel-send", "channel-receive", "waitgroup", "worker-pool"];

/// The rule name of [`name_lock_cycles`]' diagnosis.
pub const LOCK_CYCLE: &str = "lock-cycle";

/// When goroutines of the same leak wait for a lock taken in code of the
/// same type or function as a group that waits on a channel or a
/// WaitGroup, that group may wait for one of them rather than for a
/// partner that is gone: a deadlock, a goroutine holding the lock while it
/// waits for one that needs it (GoBench's kernels: a send under a lock
/// whose receiver takes the lock first, a Wait under a lock its workers
/// need). A dump cannot say who holds a lock (a component never closed
/// has a loop waiting on its channel beside a goroutine waiting for the
/// mutex the test holds), so its diagnosis keeps the first reading and
/// adds the deadlock, with the lock's fix after its own. A lock taken
/// elsewhere (a mutex a test left locked), or in a test's own function,
/// whose closures share everything, says nothing of the channel.
fn name_lock_cycles(groups: &mut [LeakedGroup]) {
    let lockers: Vec<(String, usize, String)> = groups
        .iter()
        .filter_map(|g| locking_function(g).map(|f| (scope(f), g.count, f.to_string())))
        .collect();
    for g in groups.iter_mut() {
        let sharing: Vec<&(String, usize, String)> = lockers.iter().filter(|(s, _, _)| may_hold(g, s)).collect();
        let (Some((_, _, locker)), Some(d)) = (sharing.first(), g.diagnosis.as_ref()) else {
            continue;
        };
        let waiting: usize = sharing.iter().map(|(_, n, _)| n).sum();
        // The dump cannot say who holds a lock: the partner-gone reading
        // stays, the deadlock is the other one.
        let diagnosis = Diagnosis {
            rule: LOCK_CYCLE.into(),
            waits: format!(
                "{}; or a deadlock: {} of this leak wait{} for a mutex taken in {locker}, which this one may hold",
                d.waits,
                if waiting == 1 { "a goroutine".to_string() } else { format!("{waiting} goroutines") },
                if waiting == 1 { "s" } else { "" },
            ),
            fix: Some(format!(
                "{}if it holds that mutex, release it before sending, receiving or waiting (copy what is needed while holding it), and take locks in one order",
                d.fix.as_deref().map(|f| format!("{f}; ")).unwrap_or_default()
            )),
        };
        g.diagnosis = Some(diagnosis);
    }
}

/// Whether a group may hold a lock taken in code of `lock_scope`, and so
/// wait in a deadlock rather than for a partner that is gone: it waits on
/// a channel or a WaitGroup (a partner-gone rule), not for a lock, in code
/// of the same scope, which is not a test's own function.
fn may_hold(g: &LeakedGroup, lock_scope: &str) -> bool {
    !is_test_scope(lock_scope)
        && locking_function(g).is_none()
        && g.diagnosis
            .as_ref()
            .is_some_and(|d| PARTNER_GONE.contains(&d.rule.as_str()))
        && shares_scope(g, lock_scope)
}

/// Whether a scope is a test's, benchmark's, fuzz target's or example's
/// own function: its closures share the test's variables, which says
/// nothing of who holds a lock.
fn is_test_scope(scope: &str) -> bool {
    let name = scope.rsplit('.').next().unwrap_or(scope);
    ["Test", "Benchmark", "Fuzz", "Example"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// A lock's waiters say nothing of why the lock is held; the other groups
/// of the same leak may. When another group is blocked (on something else)
/// inside the function that took the lock, it is the likely holder, and the
/// `mutex` diagnosis names it, and gives no fix: the holder's wait is the
/// leak to fix, and its own group's diagnosis is about that. Without a
/// holder in the leak, the lock was left locked or is taken twice: the
/// rule's fix says how not to.
fn name_lock_holders(groups: &mut [LeakedGroup]) {
    let holders: Vec<Option<String>> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if g.diagnosis.as_ref().is_none_or(|d| d.rule != "mutex") {
                return None;
            }
            let locker = locking_function(g)?;
            let holders: Vec<&LeakedGroup> = groups
                .iter()
                .enumerate()
                .filter(|&(j, h)| {
                    j != i
                        && locking_function(h).is_none()
                        && !is_moving(h)
                        && h.frames.iter().any(|f| f.function == locker)
                })
                .map(|(_, h)| h)
                .collect();
            if holders.is_empty() {
                return lock_cycle_holder(locker, groups);
            }
            let first = holders.first()?;
            let n: usize = holders.iter().map(|h| h.count).sum();
            let states: Vec<&str> = holders.iter().map(|h| h.state.as_str()).collect();
            Some(format!(
                "a mutex taken in {locker}, most likely held by the {} of this leak blocked inside it ({}, in {}): it is not released while {} wait{}",
                if n == 1 { "goroutine".to_string() } else { format!("{n} goroutines") },
                states.join(", "),
                first.frames.first().map_or("", |f| f.function.as_str()),
                if n == 1 { "that one" } else { "they" },
                if n == 1 { "s" } else { "" },
            ))
        })
        .collect();
    for (g, waits) in groups.iter_mut().zip(holders) {
        if let (Some(d), Some(waits)) = (g.diagnosis.as_mut(), waits) {
            // The holder is the leak to fix: its own diagnosis says how.
            d.waits = waits;
            d.fix = None;
        }
    }
}

/// A lock's likely holder when no group is blocked inside the function
/// that took it: a group of the same leak that waits on a channel or a
/// WaitGroup in code of the same type or function (see
/// [`name_lock_cycles`]), if there is one.
fn lock_cycle_holder(locker: &str, groups: &[LeakedGroup]) -> Option<String> {
    let locker_scope = scope(locker);
    let partners: Vec<&LeakedGroup> = groups.iter().filter(|h| may_hold(h, &locker_scope)).collect();
    if partners.is_empty() {
        return None;
    }
    let n: usize = partners.iter().map(|h| h.count).sum();
    let waits: Vec<String> = partners
        .iter()
        .map(|h| format!("{} in {}", h.state, own_function(h)))
        .collect();
    Some(format!(
        "a mutex taken in {locker}, perhaps held by the {} of this leak waiting on {}: a deadlock, if so",
        if n == 1 {
            "goroutine".to_string()
        } else {
            format!("{n} goroutines")
        },
        waits.join("; "),
    ))
}

/// Running or ready to run when seen: not blocked holding anything, but
/// caught between two steps of a loop.
fn is_moving(g: &LeakedGroup) -> bool {
    g.state.starts_with("runnable") || g.state.starts_with("running")
}

/// The innermost frame of a group's own code, not the standard library's
/// (`p.run`, not `sync.(*WaitGroup).Wait`).
fn own_function(g: &LeakedGroup) -> &str {
    g.frames
        .iter()
        .map(|f| f.function.as_str())
        .find(|f| !crate::dump::is_standard(f))
        .or_else(|| g.frames.first().map(|f| f.function.as_str()))
        .unwrap_or("")
}

/// What a function's code belongs to, for telling goroutines that share
/// state: its receiver's type (`p.(*T).M.func1` and `p.T.M` → `p.T`), else
/// its top-level function (`p.F.func2.1` → `p.F`).
fn scope(function: &str) -> String {
    let Some((package, rest)) = split_package(function) else {
        return function.to_string();
    };
    let first = match rest.strip_prefix("(*") {
        Some(pointer) => pointer.split(')').next().unwrap_or(pointer),
        None => rest.split('.').next().unwrap_or(rest),
    };
    // Type parameters are the same code's.
    let first = first.split('[').next().unwrap_or(first);
    format!("{package}.{first}")
}

/// A function's import path and the rest of its name
/// (`example.com/p.(*T).M` → `example.com/p`, `(*T).M`).
fn split_package(function: &str) -> Option<(&str, &str)> {
    let package = crate::dump::package_of(function);
    let rest = function.strip_prefix(package)?.strip_prefix('.')?;
    Some((package, rest))
}

/// Whether a group runs code of `scope_of_lock` (one of its frames).
fn shares_scope(g: &LeakedGroup, scope_of_lock: &str) -> bool {
    g.frames.iter().any(|f| scope(&f.function) == scope_of_lock)
}

/// The function that called a lock a group waits for, if it waits for one.
fn locking_function(g: &LeakedGroup) -> Option<&str> {
    // The outermost: a writer's RWMutex.Lock waits in its Mutex.Lock.
    let i = g.frames.iter().rposition(|f| LOCK.is_match(&f.function))?;
    g.frames.get(i + 1).map(|f| f.function.as_str())
}

static LOCK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^sync\.\(\*(Mutex|RWMutex)\)\.(Lock|RLock)$").expect("the lock pattern compiles")
});

fn re(pattern: &str) -> Option<Matcher> {
    Some(Matcher::regex(pattern).expect("built-in diagnosis patterns compile"))
}

/// The built-in table, most specific first.
pub fn builtin() -> Vec<DiagnosisRule> {
    let rule = |name: &str, waits: &str, fix: Option<&str>| DiagnosisRule {
        name: name.into(),
        waits: waits.into(),
        fix: fix.map(Into::into),
        ..Default::default()
    };
    vec![
        DiagnosisRule {
            // readLoop waits in a select only for the body of the response
            // it delivered (idle, it waits in IO wait for the next one).
            any_function: re(r"^net/http\.\(\*persistConn\)\.readLoop$"),
            state: re(r"^select$"),
            ..rule(
                "http-response-body",
                "an HTTP client connection holding a response whose body was neither read to the end nor closed: it can be neither reused nor closed",
                Some("close every response body, even one the test does not read (defer resp.Body.Close()); a body replaced (a proxy's ModifyResponse) must be closed first"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*persistConn\)\.(readLoop|writeLoop)$"),
            ..rule(
                HTTP_KEEP_ALIVE,
                "an HTTP client connection's loop: the connection stays open (idle, kept alive for the next request, or holding a response body nobody closed)",
                Some("close the client's idle connections when done (client.CloseIdleConnections(), or srv.Close() for an httptest server), and read and close every response body (defer resp.Body.Close())"),
            )
        },
        DiagnosisRule {
            // x/net/http2's, or net/http's bundled copy.
            any_function: re(r"^(golang\.org/x/net/http2\.\(\*ClientConn\)|net/http\.\(\*http2ClientConn\))\.readLoop$"),
            ..rule(
                "http2-client-conn",
                "an HTTP/2 client connection's read loop: the connection stays open, kept for the next request",
                Some("close the transport's idle connections when done (transport.CloseIdleConnections(), or client.CloseIdleConnections()): closing the server does not end an h2c connection, which h2c took over from it"),
            )
        },
        DiagnosisRule {
            // An h2c handler, or HTTP/2 over TLS, and its frame reader (over
            // h2c's bufConn, or the TLS conn): the handler that served the
            // request is done; the connection is served until the client
            // hangs up.
            any_function: re(r"^(golang\.org/x/net/http2\.\(\*serverConn\)|net/http\.\(\*http2serverConn\))\.(serve|readFrames)$"),
            ..rule(
                "http2-server-conn",
                "an HTTP/2 server connection (h2c, or HTTP/2 over TLS) that its client never closed: it is served until the client hangs up or the server shuts down",
                Some("close the client's connections when done (its transport's CloseIdleConnections()): h2c takes the connection over from the server, so srv.Close() does not end it (it does end an HTTP/2 connection over TLS; closing the listener alone ends neither)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*persistConn\)\.roundTrip$"),
            ..rule(
                HTTP_REQUEST_WITHOUT_TIMEOUT,
                "an HTTP request still waiting for its response",
                Some("give the client a timeout (http.Client{Timeout: …}) or the request a context with a deadline (http.NewRequestWithContext(ctx, …)), and defer resp.Body.Close()"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http/httptest\.\(\*Server\)\.goServe"),
            ..rule(
                "httptest-server-open",
                "an httptest server's accept loop: the server was never closed",
                Some("close it when the test ends (defer srv.Close(), or t.Cleanup(srv.Close))"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*connReader\)\.backgroundRead$"),
            ..rule(
                HTTP_SERVER_CONNECTION,
                "an HTTP server reading the next request on a connection the client keeps open",
                Some("close the server (srv.Close()) or the client's idle connections when done"),
            )
        },
        DiagnosisRule {
            any_function: re(
                r"^(github\.com/gorilla/websocket\.\(\*Conn\)\.(ReadMessage|NextReader|ReadJSON)|(nhooyr\.io|github\.com/coder)/websocket\.\(\*Conn\)\.(Read|Reader))$",
            ),
            ..rule(
                "websocket-read",
                "a websocket read loop on a connection nobody closes",
                Some("close the connection when the handler or the test ends (conn.Close()); the read then returns an error and the loop can return"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*conn\)\.serve$"),
            state: re(r"^(select|chan |sync\.|semacquire)"),
            ..rule(
                HTTP_HANDLER_BLOCKED,
                "an HTTP handler that never returns",
                Some("make the handler return when the request is done (select on r.Context().Done()), and close the server when the test ends"),
            )
        },
        DiagnosisRule {
            // The server waiting for a request on a connection (net/http
            // peeks at it between requests, and in reading one); after
            // the websocket and handler rules, which a handler's reads meet
            // first.
            any_function: re(r"^bufio\.\(\*Reader\)\.Peek$"),
            created_by: re(r"^net/http\.\(\*Server\)\.Serve$"),
            state: re(r"^IO wait"),
            ..rule(
                "http-server-keep-alive",
                "an HTTP server connection waiting for the client's next request: the client keeps it open",
                Some("close the server when done (srv.Close() closes its connections; closing only its listener does not), or the client's idle connections (client.CloseIdleConnections())"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net/http\.\(\*Server\)\.Serve$"),
            state: re(r"^IO wait"),
            ..rule(
                "http-server-open",
                "an HTTP server's accept loop: the server was never closed",
                Some("close or shut down the server when the test ends (srv.Close(), srv.Shutdown(ctx), or the Close of whatever started it): that closes its listener"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^google\.golang\.org/grpc\.\(\*Server\)\.Serve$"),
            state: re(r"^IO wait"),
            ..rule(
                "grpc-server-open",
                "a gRPC server's accept loop: the server was never stopped",
                Some("stop the server when the test ends (srv.Stop(), or srv.GracefulStop() to let calls finish): that closes its listeners and connections"),
            )
        },
        DiagnosisRule {
            // A ClientConn's resolver and balancer wrappers (and an xDS
            // client) each run one; Close stops them.
            any_function: re(r"^google\.golang\.org/grpc/internal/grpcsync\.\(\*CallbackSerializer\)\.run$"),
            ..rule(
                "grpc-client-conn-open",
                "a gRPC callback serializer waiting for work: what runs it (a grpc.ClientConn's resolver or balancer, or an xDS client) was never closed",
                Some("close the client connection when done (defer conn.Close(), or t.Cleanup(func() { conn.Close() })); an xDS client: call the close function it came with"),
            )
        },
        DiagnosisRule {
            // Started by WithCancel/WithTimeout/WithDeadline when the parent
            // is a Context type the package cannot see into.
            any_function: re(r"^context\.\(\*cancelCtx\)\.propagateCancel\.func\d+$"),
            ..rule(
                "context-never-cancelled",
                "the context package watching a parent of a Context type of its own: the derived context's cancel was never called, and the parent never ends",
                Some("call the cancel function WithCancel, WithTimeout or WithDeadline returned (defer cancel()); go vet's lostcancel check finds the ones discarded"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^golang\.org/x/sync/semaphore\.\(\*Weighted\)\.Acquire$"),
            ..rule(
                "semaphore-acquire",
                "semaphore.Weighted.Acquire, for weight nobody releases",
                Some("release what every Acquire took, on every path (defer sem.Release(n)), and give Acquire a context that ends (t.Context(), or one with a deadline)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^runtime\.ReadTrace$"),
            ..rule(
                "trace-not-stopped",
                "the execution tracer's reader: a trace (runtime/trace.Start, or a FlightRecorder) was started and never stopped",
                Some("stop it when done (defer trace.Stop(), or fr.Stop())"),
            )
        },
        DiagnosisRule {
            top_function: re(r"^io\.\(\*pipe\)\.(read|write)$"),
            ..rule(
                "io-pipe",
                "an io.Pipe whose other end nobody reads from, writes to or closes any more",
                Some("close the end you are done with (pr.Close() when the reader gives up, pw.Close() or pw.CloseWithError(err) when the writer is done): the blocked Write or Read then returns"),
            )
        },
        DiagnosisRule {
            // net.Pipe's ends are synchronous and unbuffered: a Write
            // waits for a Read of the other end, and either waits until an
            // end is closed or its deadline passes.
            top_function: re(r"^net\.\(\*pipe\)\.(read|write)$"),
            ..rule(
                "net-pipe",
                "a net.Pipe end whose other end nobody reads from, writes to or closes any more (net.Pipe has no buffer: every Write waits for a Read)",
                Some("close both ends when done (c1.Close(), c2.Close(): the blocked Read or Write then returns), or set a deadline on the blocked end (conn.SetDeadline)"),
            )
        },
        DiagnosisRule {
            // Start's watcher of CommandContext's context hands its result
            // to Wait, and waits for Wait to take it also after the
            // context killed the command (it is stuck in a send then): the
            // command is not running, it was never waited for.
            top_function: re(r"^os/exec\.\(\*Cmd\)\.watchCtx$"),
            ..rule(
                "exec-not-waited",
                "os/exec's watcher of the context of a command started with exec.CommandContext and never waited for: it ends only when cmd.Wait takes its result, also after the context killed the command",
                Some("wait for the command (cmd.Wait() after cmd.Start(), also when its context is cancelled: Wait reaps the process and ends this goroutine; cmd.Run() instead of Start waits)"),
            )
        },
        DiagnosisRule {
            // The goroutines Start adds: copying to or from a pipe when
            // Stdin/Stdout/Stderr is not an *os.File, and watching the
            // context of CommandContext. Wait ends them.
            created_by: re(r"^os/exec\.\(\*Cmd\)\.Start$"),
            ..rule(
                "exec-still-running",
                "a command started with os/exec that is still running: its output (or input) is copied through a pipe, or its context watched, until it exits and Wait returns",
                Some("end the command before the test returns (cancel the context of exec.CommandContext, or cmd.Process.Kill()) and wait for it (cmd.Wait(); cmd.Run() instead of Start waits)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^os/exec\.\(\*Cmd\)\.Wait$"),
            ..rule(
                "exec-wait-running",
                "cmd.Wait, for a command started with os/exec that is still running",
                Some("end the command before the test returns (cancel the context of exec.CommandContext, or cmd.Process.Kill()), then wait for it"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^database/sql\.\(\*DB\)\.(connectionOpener|connectionCleaner)$"),
            ..rule(
                "sql-db-open",
                "a database/sql DB never closed: its connection opener (and cleaner) wait for work",
                Some("close the DB when done (defer db.Close(), or t.Cleanup(func() { db.Close() }))"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net\.\(\*(TCPListener|UnixListener|netFD)\)\.(Accept|accept)$"),
            state: re(r"^IO wait"),
            ..rule(
                "listener-open",
                "accepting connections on a listener nobody closes",
                Some("close the listener when done (ln.Close()); Accept then returns an error"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^net\.\(\*(conn|netFD)\)\.(Read|read)$"),
            state: re(r"^IO wait"),
            ..rule(
                "connection-read",
                "reading from a network connection nobody closes",
                Some("close the connection when done (conn.Close()), or set a read deadline (conn.SetReadDeadline)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^github\.com/benbjohnson/clock\.\(\*Mock\)\.Sleep$"),
            ..rule(
                "mock-clock-sleep",
                "a mock clock's Sleep: it returns only when the test advances the clock, which it no longer does",
                Some("stop the goroutine before the test's last clock.Add, or, after telling it to stop, advance the clock until it returns"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^os/signal\.NotifyContext\.func\d+$"),
            ..rule(
                "signal-notify-context-not-stopped",
                "os/signal.NotifyContext's watcher: the stop function it returned was never called, nor its parent context cancelled",
                Some("call the stop function NotifyContext returned once done (ctx, stop := signal.NotifyContext(…); defer stop())"),
            )
        },
        DiagnosisRule {
            // iter.Pull runs the sequence as a coroutine, suspended at each
            // yield until next or stop is called; neither drained nor
            // stopped, it stays suspended for good.
            created_by: re(r"^iter\.Pull2?(\[\.\.\.\])?$"),
            state: re(r"^coroutine$"),
            ..rule(
                "iter-pull-not-stopped",
                "an iterator from iter.Pull (or Pull2) that was neither drained nor stopped: its sequence stays suspended at a yield",
                Some("call the stop function iter.Pull returned once done with the iterator (next, stop := iter.Pull(seq); defer stop())"),
            )
        },
        DiagnosisRule {
            created_by: re(r"^time\.goFunc$"),
            ..rule(
                "timer-callback",
                "a timer's callback (time.AfterFunc) that fired and never returned",
                Some("stop the timer when the work is cancelled (t.Cleanup(func() { timer.Stop() })), and let the callback return (select on ctx.Done() or a stop channel)"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*WaitGroup\)\.Wait$"),
            ..rule(
                "waitgroup",
                "sync.WaitGroup.Wait, for goroutines counted by wg.Add that have not called wg.Done(): blocked themselves (this leak's other stacks, if any), never started, or returned without it",
                Some("make every goroutine counted by wg.Add call wg.Done() on every path (defer wg.Done() as its first statement), and count only goroutines started before wg.Wait"),
            )
        },
        DiagnosisRule {
            // Do waits on the Once's mutex while another Do runs the
            // function; a function that calls Do on its own Once again
            // (a lazy getter used while it initializes) waits for itself.
            any_function: re(r"^sync\.\(\*Once\)\.doSlow$"),
            state: re(r"^(sync\.Mutex\.Lock|semacquire)"),
            ..rule(
                "sync-once",
                "sync.Once.Do (or OnceFunc, OnceValue), waiting for the Do already running to return: the function it runs blocks, in another goroutine or in this one (a function given to Do that calls Do on the same Once again, directly or through a lazy getter, waits for itself: Once is not re-entrant)",
                Some("make the function given to Do return, and never call the same Once's Do, or what calls it, from inside it"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*(Mutex|RWMutex)\)\.(Lock|RLock)$"),
            // Waiting for it (semacquire before Go 1.20): a goroutine seen
            // runnable in Lock's slow path is not waiting, it is spinning
            // through Lock in a loop (the `running` rule).
            state: re(r"^(sync\.(Mutex|RWMutex)\.(Lock|RLock)|semacquire)"),
            ..rule(
                "mutex",
                "a mutex its holder does not release: a goroutine blocked while holding it (one waiting for a lock this one holds is a lock-order deadlock: two goroutines taking the same locks in opposite orders), one that returned without unlocking, or this goroutine itself, taking again a lock it holds (Go's locks are not re-entrant; on a sync.RWMutex a reader that never called RUnlock blocks Lock, and a waiting Lock blocks new RLock calls)",
                Some("release the lock on every path (defer mu.Unlock() right after mu.Lock(), defer mu.RUnlock() after mu.RLock()), never take it again while holding it, take several locks in one order everywhere, and do not send, receive or wait while holding it"),
            )
        },
        DiagnosisRule {
            any_function: re(r"^sync\.\(\*Cond\)\.Wait$"),
            ..rule(
                "cond",
                "sync.Cond.Wait, with nobody to signal",
                Some("call cond.Signal() or cond.Broadcast() whenever the condition changes, shutdown included"),
            )
        },
        DiagnosisRule {
            // A receive from a context's Done that nothing cancels: adding
            // a way out on ctx.Done() (the receive's fix) is what it has.
            // (Background's and TODO's Done is nil: `chan receive (nil
            // chan)`, not a channel never made.)
            state: re(r"^chan receive"),
            top_line: re(r"<-\s*[\w.()\[\]]*\bDone\(\)"),
            ..rule(
                "context-done-never-cancelled",
                "a context's Done channel: nothing cancels that context (its cancel function is never called, or it is context.Background() or TODO, which never end)",
                Some("pass a context that ends, and end it when the work is done: call the cancel function WithCancel, WithTimeout or WithDeadline returned (defer cancel()), or stop what owns it; a goroutine waiting on ctx.Done() of context.Background() never returns"),
            )
        },
        DiagnosisRule {
            // A timer's channel: the wait ends, but after the test.
            state: re(r"^chan receive$"),
            top_line: re(r"<-\s*time\.(After|Tick)\("),
            ..rule(
                "timer-wait",
                "a timer's channel (time.After or time.Tick): it fires only after the test ended, or, for time.Tick, again and again",
                Some("do not wait on a long timer alone: select on it together with ctx.Done() or a stop channel, and stop the goroutine when the test ends"),
            )
        },
        DiagnosisRule {
            // A receive from a field named C: a time.Timer's or Ticker's
            // channel, most likely, which sends once per firing (an
            // evaluator's drain of a timer whose value was already read
            // was told to close the channel, which cannot be done).
            state: re(r"^chan receive$"),
            top_line: re(r"<-\s*[\w.()\[\]]*\.C\b"),
            ..rule(
                "timer-channel",
                "a receive from a timer's or ticker's channel (.C), which sends once per firing: a timer stopped before it fired, or whose value was already received (a drain such as `if !t.Stop() { <-t.C }` after the value was read), or a stopped ticker, never sends again",
                Some("drain a stopped timer only when its value was not received yet (select with a default case), or drop the drain: since Go 1.23 Stop and Reset leave no stale value; wait on a timer or ticker in a select together with ctx.Done() or a stop channel"),
            )
        },
        DiagnosisRule {
            state: re(r"\(nil chan\)$"),
            ..rule(
                "nil-channel",
                "a nil channel: it blocks forever",
                Some("make the channel before use (make(chan T)), or drop the case that uses it"),
            )
        },
        DiagnosisRule {
            state: re(r"^select \(no cases\)$"),
            ..rule(
                "empty-select",
                "an empty select (select {}): it blocks forever",
                Some("wait for something that ends: select on ctx.Done() or a stop channel"),
            )
        },
        DiagnosisRule {
            // What a function errgroup runs waits for is not in its stack
            // (most often WithContext's context, a receive); that errgroup
            // runs it is, and says how it ends.
            // (A send says more by its own rule: channel-send.)
            created_by: re(r"^golang\.org/x/sync/errgroup\.\(\*Group\)\.(Go|TryGo)$"),
            state: re(r"^(chan receive|select)$"),
            ..rule(
                "errgroup-function",
                "a function an errgroup runs (g.Go) that has not returned: what it waits for never came; errgroup.WithContext's context, if that is it, is cancelled only when a function returns an error or Wait returns, and Wait waits for this one",
                Some("make every function given to g.Go return when the test is done: derive the group's context from one that ends (a parent whose cancel is deferred, or t.Context() on Go 1.24+), close what they receive from, and call g.Wait() to join them"),
            )
        },
        DiagnosisRule {
            // Not `chan receive`: many goroutines receiving are as often a
            // pool's idle workers, told apart by nothing in the stack.
            state: re(r"^(chan send|select)$"),
            min_count: 10,
            ..rule(
                "unbounded-goroutines",
                "{n} identical goroutines started by {creator}, each blocked: one per call or item, nothing ends them (a send nobody receives, a select on a context nobody cancels or a channel nobody closes), never bounded",
                Some("give each a way to finish and use it (select on ctx.Done() around the blocking send or receive, and cancel the context when the work is abandoned; a single send to a receiver that may give up: room for it in the buffer, make(chan T, 1)), and bound how many can run at once (a worker pool, or a semaphore: errgroup's SetLimit, a buffered channel)"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan receive$"),
            min_count: 2,
            ..rule(
                "worker-pool",
                "{n} goroutines waiting to receive from channels nobody sends to or closes: a pool's idle workers, or receivers whose sender is gone",
                Some("close the channel when no more values come (a pool's work channel: close(jobs), then wait for the workers; a library's pool: release it when done, with its Release, Close or Shutdown; a sender that may stop early: defer close(ch)), or stop them with a context (select on ctx.Done())"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan send$"),
            ..rule(
                "channel-send",
                "sending on a channel nobody receives from any more (the receiver returned early: a timeout, an error, a consumer that stopped reading), or whose buffer is full",
                Some("if the receiver may give up, make the send unable to block (room in the buffer for every send: make(chan T, 1) for one) or select on ctx.Done() around it; if it feeds a consumer, let the consumer cancel the producer"),
            )
        },
        DiagnosisRule {
            state: re(r"^chan receive$"),
            ..rule(
                "channel-receive",
                "receiving from a channel nothing has closed (a receive nobody sends to, or a loop over a channel that is never closed, such as a ticker's)",
                Some("close the channel when the work is done (defer close(ch) in the producer; a component's channel: stop the component when the test ends, with its Close, Stop or Wait), or add a way out (select on ctx.Done(); a ticker's channel is never closed, so a loop over it needs one)"),
            )
        },
        DiagnosisRule {
            state: re(r"^select$"),
            ..rule(
                SELECT_WITHOUT_EXIT,
                "a select that has not returned: nothing has ended it (a loop nobody stopped, a context nobody cancelled, a channel nobody closed, or a timer that outlasts the test)",
                Some("stop the component when the test ends (its Close, Stop or Shutdown, or cancel its context) and wait for it; if its loop has no way out, give it one (case <-ctx.Done(): return, or a stop channel)"),
            )
        },
        DiagnosisRule {
            state: re(r"^sleep$"),
            ..rule(
                "sleep",
                "time.Sleep: a retry loop or a long wait nobody can interrupt, or a bounded one the test did not wait for",
                Some("wait for it to finish before the test ends; if it sleeps in a loop, stop it when the test ends, waiting on a timer in a select with case <-ctx.Done() (or a stop channel) instead of sleeping"),
            )
        },
        DiagnosisRule {
            state: re(r"^IO wait"),
            ..rule(
                "io-wait",
                "I/O on a network connection, a listener or a pipe nobody closes",
                Some("close it when done"),
            )
        },
        DiagnosisRule {
            state: re(r"^(runnable|running)"),
            ..rule(
                "running",
                "nothing: they were running or ready to run when seen (a busy loop, or caught between two waits)",
                None,
            )
        },
        DiagnosisRule {
            state: re(r".*"),
            ..rule("state", "{state}", None)
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::group::Location;

    fn group(state: &str, frames: &[&str], created_by: &str, count: usize) -> LeakedGroup {
        let loc = |f: &str| Location {
            function: f.into(),
            file: "/x.go".into(),
            line: 1,
        };
        LeakedGroup {
            count,
            state: state.into(),
            proven: 0,
            wait_minutes: None,
            frames: frames.iter().map(|f| loc(f)).collect(),
            elided: false,
            created_by: Some(loc(created_by)),
            test: None,
            subtests: Default::default(),
            labels: vec![],
            ids: vec![],
            creators: Default::default(),
            known: false,
            diagnosis: None,
        }
    }

    fn rule_for(g: &LeakedGroup) -> String {
        diagnose(g, &builtin(), false, None).unwrap().rule
    }

    #[test]
    fn a_bare_receive_is_told_by_its_source_line() {
        let waiting = group("chan receive", &["p.(*Watcher).run"], "p.Watch", 1);
        let rule = |line: Option<&str>| diagnose(&waiting, &builtin(), true, line).unwrap();
        assert_eq!(rule(Some("\t<-ctx.Done()")).rule, "context-done-never-cancelled");
        assert_eq!(
            rule(Some("\t\t<-w.ctx.Done() // until closed")).rule,
            "context-done-never-cancelled"
        );
        assert!(rule(Some("<-ctx.Done()")).fix.unwrap().contains("t.Context()"));
        assert_eq!(rule(Some("\tcase <-done:")).rule, "channel-receive");
        assert_eq!(rule(Some("\t<-time.After(time.Hour)")).rule, "timer-wait");
        assert_eq!(rule(Some("\t\t<-p.t.C")).rule, "timer-channel");
        assert_eq!(rule(Some("\tnow := <-ticker.C // tick")).rule, "timer-channel");
        assert_eq!(rule(Some("\t<-p.Close")).rule, "channel-receive");
        assert_eq!(rule(Some("\tv := <-results")).rule, "channel-receive");
        assert_eq!(rule(None).rule, "channel-receive");
        // context.Background()'s Done is a nil channel.
        let nil = group("chan receive (nil chan)", &["p.(*Watcher).run"], "p.Watch", 1);
        assert_eq!(
            diagnose(&nil, &builtin(), false, Some("<-ctx.Done()")).unwrap().rule,
            "context-done-never-cancelled"
        );
        assert_eq!(
            diagnose(&nil, &builtin(), false, Some("<-ch")).unwrap().rule,
            "nil-channel"
        );
        // A state that is no bare receive is not told by its line.
        let sel = group("select", &["p.(*Watcher).run"], "p.Watch", 1);
        assert_eq!(
            diagnose(&sel, &builtin(), false, Some("<-ctx.Done()")).unwrap().rule,
            "select-without-exit"
        );
    }

    #[test]
    fn specific_evidence_first_then_the_state() {
        let keep_alive = group(
            "IO wait",
            &["net/http.(*persistConn).readLoop"],
            "net/http.(*Transport).dialConn",
            1,
        );
        assert_eq!(rule_for(&keep_alive), "http-keep-alive");
        // gin's TestH2c: an h2c connection its http2.Transport kept open
        // (the server's side and its frame reader, and the client's), not
        // a handler that never returns nor a connection the test can close.
        let h2: [(&str, &[&str], &str, &str); 3] = [
            (
                "select",
                &[
                    "golang.org/x/net/http2.(*serverConn).serve",
                    "golang.org/x/net/http2.(*Server).serveConn",
                    "golang.org/x/net/http2.(*Server).ServeConn",
                    "golang.org/x/net/http2/h2c.h2cHandler.ServeHTTP",
                    "net/http.serverHandler.ServeHTTP",
                    "net/http.(*conn).serve",
                ],
                "net/http.(*Server).Serve",
                "http2-server-conn",
            ),
            (
                "IO wait",
                &[
                    "golang.org/x/net/http2/h2c.(*bufConn).Read",
                    "io.ReadAtLeast",
                    "golang.org/x/net/http2.readFrameHeader",
                    "golang.org/x/net/http2.(*Framer).ReadFrame",
                    "golang.org/x/net/http2.(*serverConn).readFrames",
                ],
                "golang.org/x/net/http2.(*serverConn).serve",
                "http2-server-conn",
            ),
            (
                "IO wait",
                &[
                    "golang.org/x/net/http2.readFrameHeader",
                    "golang.org/x/net/http2.(*Framer).ReadFrame",
                    "golang.org/x/net/http2.(*clientConnReadLoop).run",
                    "golang.org/x/net/http2.(*ClientConn).readLoop",
                ],
                "golang.org/x/net/http2.(*Transport).newClientConn",
                "http2-client-conn",
            ),
        ];
        for (state, frames, creator, want) in h2 {
            assert_eq!(rule_for(&group(state, frames, creator, 1)), want, "{frames:?}");
        }
        let pool = group("chan receive", &["p.(*Pool).worker"], "p.New", 4);
        assert_eq!(rule_for(&pool), "worker-pool");
        let one = group("chan receive", &["p.wait"], "p.Start", 1);
        assert_eq!(rule_for(&one), "channel-receive");
        let many = group("chan send", &["p.audit"], "p.Handle", 100);
        let d = diagnose(&many, &builtin(), false, None).unwrap();
        assert_eq!(d.rule, "unbounded-goroutines");
        assert!(
            d.waits.starts_with("100 identical goroutines started by p.Handle"),
            "{d:?}"
        );
        let wg = group(
            "sync.WaitGroup.Wait",
            &["sync.(*WaitGroup).Wait", "p.run"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&wg), "waitgroup");
        let older = group(
            "semacquire",
            &["sync.runtime_Semacquire", "sync.(*WaitGroup).Wait"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&older), "waitgroup");
        let timer = group("chan receive", &["p.fire"], "time.goFunc", 1);
        assert_eq!(rule_for(&timer), "timer-callback");
        let notify = group(
            "select",
            &["os/signal.NotifyContext.func1"],
            "os/signal.NotifyContext",
            1,
        );
        assert_eq!(rule_for(&notify), "signal-notify-context-not-stopped");
        let serve = group(
            "IO wait",
            &[
                "internal/poll.(*FD).Accept",
                "net.(*TCPListener).Accept",
                "google.golang.org/grpc.(*Server).Serve",
            ],
            "p.start",
            1,
        );
        assert_eq!(rule_for(&serve), "grpc-server-open");
        let serializer = group(
            "chan receive",
            &["google.golang.org/grpc/internal/grpcsync.(*CallbackSerializer).run"],
            "google.golang.org/grpc/internal/grpcsync.NewCallbackSerializer",
            3,
        );
        assert_eq!(rule_for(&serializer), "grpc-client-conn-open", "not a worker pool");
        let db = group(
            "select",
            &["database/sql.(*DB).connectionOpener"],
            "database/sql.OpenDB",
            1,
        );
        assert_eq!(rule_for(&db), "sql-db-open");
        let copying = group(
            "IO wait",
            &[
                "internal/poll.(*FD).Read",
                "os.(*File).Read",
                "bytes.(*Buffer).ReadFrom",
                "os/exec.(*Cmd).writerDescriptor.func1",
            ],
            "os/exec.(*Cmd).Start",
            1,
        );
        assert_eq!(rule_for(&copying), "exec-still-running", "not network I/O");
        // Killed by its context, never waited for.
        let watcher = group("chan send", &["os/exec.(*Cmd).watchCtx"], "os/exec.(*Cmd).Start", 1);
        assert_eq!(rule_for(&watcher), "exec-not-waited");
        let waiting = group(
            "syscall",
            &[
                "syscall.Syscall6",
                "os.(*Process).wait",
                "os/exec.(*Cmd).Wait",
                "p.TestRun.func1",
            ],
            "p.TestRun",
            1,
        );
        assert_eq!(rule_for(&waiting), "exec-wait-running");
        let pipe = group(
            "select",
            &["io.(*pipe).write", "io.(*PipeWriter).Write", "fmt.Fprintf", "p.produce"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&pipe), "io-pipe");
        let net_pipe = group(
            "select",
            &["net.(*pipe).write", "net.(*pipe).Write", "p.TestPipe.func1"],
            "p.TestPipe",
            1,
        );
        assert_eq!(rule_for(&net_pipe), "net-pipe");
        let once = group(
            "sync.Mutex.Lock",
            &[
                "internal/sync.runtime_SemacquireMutex",
                "internal/sync.(*Mutex).lockSlow",
                "internal/sync.(*Mutex).Lock",
                "sync.(*Mutex).Lock",
                "sync.(*Once).doSlow",
                "sync.(*Once).Do",
                "p.get.func1",
                "sync.(*Once).doSlow",
                "sync.(*Once).Do",
                "p.get",
            ],
            "p.TestGet",
            1,
        );
        assert_eq!(rule_for(&once), "sync-once");
        let watcher = group(
            "select",
            &["context.(*cancelCtx).propagateCancel.func2"],
            "context.(*cancelCtx).propagateCancel",
            1,
        );
        assert_eq!(rule_for(&watcher), "context-never-cancelled");
        let sem = group(
            "select",
            &["golang.org/x/sync/semaphore.(*Weighted).Acquire", "p.work"],
            "p.Start",
            1,
        );
        assert_eq!(rule_for(&sem), "semaphore-acquire");
        let tracer = group(
            "trace reader (blocked)",
            &[
                "runtime.ReadTrace",
                "runtime/trace.(*traceMultiplexer).startLocked.func1",
            ],
            "runtime/trace.(*traceMultiplexer).startLocked",
            1,
        );
        assert_eq!(rule_for(&tracer), "trace-not-stopped");
        let pulled = group(
            "coroutine",
            &["p.seq.func1", "iter.Pull[...].func1"],
            "iter.Pull[...]",
            1,
        );
        assert_eq!(rule_for(&pulled), "iter-pull-not-stopped");
        let inside = group("chan receive", &["p.seq.func1"], "iter.Pull2[...]", 1);
        assert_eq!(
            rule_for(&inside),
            "channel-receive",
            "blocked inside the sequence, not at a yield"
        );
        let odd = group("syscall", &["syscall.Syscall"], "p.Start", 1);
        let d = diagnose(&odd, &builtin(), false, None).unwrap();
        assert_eq!(d.fix, None, "thin evidence, no fix");
    }

    /// A kernel of GoBench's kind (kubernetes 10182, grpc 1353): a status
    /// sent while its sender holds the lock, to a syncer that takes the lock
    /// before it receives. Captured from a Go 1.26 program (the -timeout
    /// dump of a test that waited after the deadlock). They wait for each
    /// other: the send's diagnosis offers the deadlock beside "a receiver
    /// that returned early", and the lock's names the sender as its
    /// possible holder.
    #[test]
    fn a_send_under_a_lock_its_receiver_needs_is_a_deadlock() {
        const SEND: &str = "\
example.com/lockcycle.(*StatusManager).Set(0x1e351d210318, {0x58525e, 0x5}, {0x5856d0, 0x7})
\t/src/lockcycle/status.go:23 +0xd8
created by example.com/lockcycle.TestSetBeforeStart in goroutine 18
\t/src/lockcycle/status_test.go:10 +0xc5";
        const LOCK: &str = "\
internal/sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
internal/sync.(*Mutex).lockSlow(0x1e351d210318)
\t/usr/local/go/src/internal/sync/mutex.go:149 +0x15d
internal/sync.(*Mutex).Lock(...)
\t/usr/local/go/src/internal/sync/mutex.go:70
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:46
example.com/lockcycle.(*StatusManager).Start.func1()
\t/src/lockcycle/status.go:30 +0x4d
created by example.com/lockcycle.(*StatusManager).Start in goroutine 18
\t/src/lockcycle/status.go:28 +0x4f";
        let groups = diagnosed(&[(1, "chan send", SEND), (1, "sync.Mutex.Lock", LOCK)]);
        let send = of(&groups, "example.com/lockcycle.(*StatusManager).Set");
        assert_eq!(send.rule, LOCK_CYCLE);
        // The dump cannot say who holds the lock: both readings, the
        // deadlock's fix after the send's.
        assert!(send.waits.contains("; or a deadlock: a goroutine of this leak waits for a mutex taken in example.com/lockcycle.(*StatusManager).Start.func1, which this one may hold"), "{send:?}");
        assert!(
            send.fix
                .as_deref()
                .unwrap()
                .contains("; if it holds that mutex, release it before sending"),
            "{send:?}"
        );
        let lock = of(&groups, "internal/sync.runtime_SemacquireMutex");
        assert_eq!(lock.rule, "mutex");
        assert_eq!(
            lock.waits,
            "a mutex taken in example.com/lockcycle.(*StatusManager).Start.func1, perhaps held by the \
             goroutine of this leak waiting on chan send in \
             example.com/lockcycle.(*StatusManager).Set: a deadlock, if so"
        );
        assert_eq!(lock.fix, None);
        // Without a lock waiter, the send is the receiver's that left.
        let alone = diagnosed(&[(1, "chan send", SEND)]);
        assert_eq!(
            of(&alone, "example.com/lockcycle.(*StatusManager).Set").rule,
            "channel-send"
        );
        // A lock taken in other code (a mutex the test left locked) says
        // nothing of the send (an evaluator's trap, a Go 1.26 dump): the
        // receiver returned early, and the lock's holder is not named.
        const EARLY: &str = "\
example.com/mini.fetch.func1()
\t/src/mini/mini_test.go:11 +0x36
created by example.com/mini.fetch in goroutine 6
\t/src/mini/mini_test.go:11 +0x66";
        const LEFT_LOCKED: &str = "\
internal/sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)
\t/usr/local/go/src/runtime/sema.go:95 +0x25
internal/sync.(*Mutex).lockSlow(0x2c9ca04be140)
\t/usr/local/go/src/internal/sync/mutex.go:149 +0x15d
internal/sync.(*Mutex).Lock(...)
\t/usr/local/go/src/internal/sync/mutex.go:70
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:46
example.com/mini.TestTwoUnrelatedLeaks.func1()
\t/src/mini/mini_test.go:23 +0x32
created by example.com/mini.TestTwoUnrelatedLeaks in goroutine 6
\t/src/mini/mini_test.go:23 +0x66";
        let unrelated = diagnosed(&[(1, "sync.Mutex.Lock", LEFT_LOCKED), (1, "chan send", EARLY)]);
        assert_eq!(of(&unrelated, "example.com/mini.fetch.func1").rule, "channel-send");
        let lock = of(&unrelated, "internal/sync.runtime_SemacquireMutex");
        assert!(
            lock.waits.starts_with("a mutex its holder does not release"),
            "{lock:?}"
        );
    }

    /// Goroutines as Go prints them, `n` of each (state, then frames and
    /// creator as the dump has them), grouped and diagnosed as one test's
    /// leak report is.
    fn diagnosed(stacks: &[(usize, &str, &str)]) -> Vec<LeakedGroup> {
        let mut text = String::new();
        let mut id = 100;
        for (n, state, body) in stacks {
            for _ in 0..*n {
                id += 1;
                text.push_str(&format!("goroutine {id} [{state}]:\n{body}\n"));
            }
        }
        let dump = crate::dump::parse(&text);
        assert!(dump.warnings.is_empty(), "{:?}", dump.warnings);
        let mut grouper = crate::analyse::group::Grouper::new();
        for g in &dump.goroutines {
            grouper.add(g, Some("TestX"), None);
        }
        let mut report = LeakReport {
            groups: grouper.finish(),
            ..Default::default()
        };
        annotate_report(&mut report, &builtin(), false);
        report.groups
    }

    /// The diagnosis of the group whose innermost frame is `top`.
    fn of<'g>(groups: &'g [LeakedGroup], top: &str) -> &'g Diagnosis {
        groups
            .iter()
            .find(|g| g.frames.first().is_some_and(|f| f.function == top))
            .and_then(|g| g.diagnosis.as_ref())
            .unwrap_or_else(|| panic!("no diagnosed group at {top}: {groups:#?}"))
    }

    // Stacks from the real-suite runs (docs/real-suites.md, "Diagnoses,
    // judged by hand"): states, functions, files, lines and creators as the
    // JSON reports give them; the reports keep no arguments or pc offsets,
    // so `(...)` stands for the arguments.

    const RATELIMIT_LOCK: &str = "\
internal/sync.runtime_SemacquireMutex(...)
\t/usr/local/go/src/runtime/sema.go:95
internal/sync.(*Mutex).lockSlow(...)
\t/usr/local/go/src/internal/sync/mutex.go:149
internal/sync.(*Mutex).Lock(...)
\t/usr/local/go/src/internal/sync/mutex.go:70
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:46
go.uber.org/ratelimit.(*mutexLimiter).Take(...)
\t/nonexistent/real-suites/src/ratelimit/limiter_mutexbased.go:54
go.uber.org/ratelimit.(*runnerImpl).startTaking.func1(...)
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:105
go.uber.org/ratelimit.(*runnerImpl).goWait.func1(...)
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:158
created by go.uber.org/ratelimit.(*runnerImpl).goWait in goroutine 23
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:156
";

    fn ratelimit_sleep(limiter: &str, line: u32) -> String {
        format!(
            "\
github.com/benbjohnson/clock.(*Mock).Sleep(...)
\t/root/go/pkg/mod/github.com/benbjohnson/clock@v1.3.0/clock.go:194
go.uber.org/ratelimit.(*{limiter}).Take(...)
\t/nonexistent/real-suites/src/ratelimit/{}:{line}
go.uber.org/ratelimit.(*runnerImpl).startTaking.func1(...)
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:105
go.uber.org/ratelimit.(*runnerImpl).goWait.func1(...)
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:158
created by go.uber.org/ratelimit.(*runnerImpl).goWait in goroutine 23
\t/nonexistent/real-suites/src/ratelimit/ratelimit_test.go:156
",
            if limiter == "mutexLimiter" {
                "limiter_mutexbased.go"
            } else {
                "limiter_atomic.go"
            }
        )
    }

    /// ratelimit: takers sleep on a mock clock nobody advances; under the
    /// mutex limiter the others wait for the lock the sleeper holds. They
    /// were "workers waiting for work", "a channel nobody closes" and "a
    /// mutex nobody unlocks" (defer mu.Unlock()): all wrong.
    #[test]
    fn a_mock_clocks_sleepers_and_the_lock_they_hold() {
        let mutex = diagnosed(&[
            (3, "sync.Mutex.Lock", RATELIMIT_LOCK),
            (1, "chan receive", &ratelimit_sleep("mutexLimiter", 80)),
        ]);
        let sleeper = of(&mutex, "github.com/benbjohnson/clock.(*Mock).Sleep");
        assert_eq!(sleeper.rule, "mock-clock-sleep");
        assert!(sleeper.fix.as_deref().unwrap().contains("advance the clock"));
        let lock = of(&mutex, "internal/sync.runtime_SemacquireMutex");
        assert_eq!(lock.rule, "mutex");
        assert_eq!(lock.fix, None, "the lock's holder is the leak to fix");
        assert_eq!(
            lock.waits,
            "a mutex taken in go.uber.org/ratelimit.(*mutexLimiter).Take, most likely held by the \
             goroutine of this leak blocked inside it (chan receive, in \
             github.com/benbjohnson/clock.(*Mock).Sleep): it is not released while that one waits"
        );
        // Alone, a lock's waiters name no holder: the holder is outside the
        // leak (it returned without unlocking) or the waiter itself.
        let alone = diagnosed(&[(2, "sync.Mutex.Lock", RATELIMIT_LOCK)]);
        let lock = of(&alone, "internal/sync.runtime_SemacquireMutex");
        assert!(
            lock.waits.starts_with("a mutex its holder does not release") && lock.waits.contains("not re-entrant"),
            "{lock:?}"
        );
        assert!(
            lock.fix
                .as_deref()
                .unwrap()
                .contains("never take it again while holding it"),
            "{lock:?}"
        );
        // Several sleepers are not workers waiting for work.
        let atomic = diagnosed(&[(4, "chan receive", &ratelimit_sleep("atomicLimiter", 108))]);
        assert_eq!(
            of(&atomic, "github.com/benbjohnson/clock.(*Mock).Sleep").rule,
            "mock-clock-sleep"
        );
    }

    /// Two goroutines each spinning through Lock and Unlock of their own
    /// mutex (gin's TestRaceContextCopy; the frames of a Go 1.26 run): one seen
    /// runnable inside Lock waits for no one, and the other, runnable in
    /// the same function, holds nothing it waits for.
    #[test]
    fn goroutines_spinning_through_a_lock_are_running_not_waiting() {
        const IN_LOCK: &str = "\
internal/sync.(*Mutex).Lock(...)
\t/usr/local/go/src/internal/sync/mutex.go:63
sync.(*Mutex).Lock(...)
\t/usr/local/go/src/sync/mutex.go:46
sync.(*RWMutex).Lock(0x1e351d210318)
\t/usr/local/go/src/sync/rwmutex.go:150 +0x25
example.com/busymutex.(*box).set(0x1e351d210318, 0x1, 0x1)
\t/src/busymutex/busy_test.go:14 +0x2e
example.com/busymutex.spin(0x1e351d210318)
\t/src/busymutex/busy_test.go:21 +0x3a
created by example.com/busymutex.TestBusy in goroutine 7
\t/src/busymutex/busy_test.go:28 +0x65";
        const IN_SET: &str = "\
example.com/busymutex.(*box).set(0x1e351d210330, 0x2, 0x2)
\t/src/busymutex/busy_test.go:13 +0x45
example.com/busymutex.spin(0x1e351d210330)
\t/src/busymutex/busy_test.go:21 +0x3a
created by example.com/busymutex.TestBusy in goroutine 7
\t/src/busymutex/busy_test.go:29 +0x8d";
        let groups = diagnosed(&[(1, "runnable", IN_LOCK), (1, "runnable", IN_SET)]);
        let lock = of(&groups, "internal/sync.(*Mutex).Lock");
        assert_eq!(lock.rule, "running", "{lock:?}");
        // Blocked in Lock, it waits for the mutex, but a runnable group is
        // not its holder "blocked inside" the function.
        let groups = diagnosed(&[(1, "sync.RWMutex.Lock", IN_LOCK), (1, "runnable", IN_SET)]);
        let lock = of(&groups, "internal/sync.(*Mutex).Lock");
        assert_eq!(lock.rule, "mutex");
        assert!(
            lock.waits.starts_with("a mutex its holder does not release"),
            "{lock:?}"
        );
        assert!(lock.fix.is_some(), "{lock:?}");
    }

    /// An evaluator's test: two functions of an errgroup never waited for,
    /// each receiving from the group's context (Go 1.26.8, x/sync v0.8.0),
    /// are not "a pool's idle workers".
    #[test]
    fn an_errgroups_functions_are_told_by_their_creator() {
        let stack = "\
example.com/evalmod/syncleaks.TestErrgroupNeverWaited.func1()
\t/nonexistent/eval-cases/mod/syncleaks/sync_test.go:56 +0x2d
golang.org/x/sync/errgroup.(*Group).Go.func1()
\t/root/go/pkg/mod/golang.org/x/sync@v0.8.0/errgroup/errgroup.go:78 +0x50
created by golang.org/x/sync/errgroup.(*Group).Go in goroutine 7
\t/root/go/pkg/mod/golang.org/x/sync@v0.8.0/errgroup/errgroup.go:75 +0x96
";
        let groups = diagnosed(&[(2, "chan receive", stack)]);
        let d = of(&groups, "example.com/evalmod/syncleaks.TestErrgroupNeverWaited.func1");
        assert_eq!(d.rule, "errgroup-function");
        let fix = d.fix.as_deref().unwrap();
        assert!(fix.contains("t.Context()") && fix.contains("g.Wait()"), "{fix}");
        // A send inside one is told by its own rule (the hostile review's
        // `results <- 42` with no receiver).
        let send = stack.replace("sync_test.go:56", "sync_test.go:57");
        let groups = diagnosed(&[(1, "chan send", &send)]);
        let d = of(&groups, "example.com/evalmod/syncleaks.TestErrgroupNeverWaited.func1");
        assert_eq!(d.rule, "channel-send");
    }

    /// ants' ExamplePool: hundreds of idle workers of the default pool are
    /// not "one per request, never bounded" (fix: "a worker pool").
    #[test]
    fn many_idle_workers_are_a_pool_not_unbounded_goroutines() {
        let workers = "\
github.com/panjf2000/ants/v2.(*goWorker).run.func1(...)
\t/nonexistent/real-suites/src/ants/worker.go:69
created by github.com/panjf2000/ants/v2.(*goWorker).run in goroutine 1
\t/nonexistent/real-suites/src/ants/worker.go:50
";
        let groups = diagnosed(&[(218, "chan receive", workers)]);
        let d = of(&groups, "github.com/panjf2000/ants/v2.(*goWorker).run.func1");
        assert_eq!(d.rule, "worker-pool");
        assert!(d.fix.as_deref().unwrap().contains("Release"), "{d:?}");
        // Senders are still unbounded goroutines (the spawn fixture), and
        // each needs a way to finish before a bound helps: a hundred
        // timed-out requests' senders (Go's goroutineleak test "Timeout")
        // need room in their channels, not a pool.
        let many = group("chan send", &["p.audit"], "p.Handle", 100);
        let d = diagnose(&many, &builtin(), false, None).unwrap();
        assert_eq!(d.rule, "unbounded-goroutines");
        let fix = d.fix.unwrap();
        assert!(
            fix.starts_with("give each a way to finish") && fix.contains("cancel the context"),
            "{fix}"
        );
        assert!(fix.contains("a single send to a receiver that may give up"), "{fix}");
        // Receivers may be a pool's workers or one-shot receives whose
        // sender is gone (Go's "SpawnGC": each on a channel of its own):
        // the text says both.
        let receivers = diagnose(
            &group("chan receive", &["p.wait"], "p.spawn", 206),
            &builtin(),
            false,
            None,
        )
        .unwrap();
        assert_eq!(receivers.rule, "worker-pool");
        assert!(
            receivers.waits.contains("or receivers whose sender is gone"),
            "{receivers:?}"
        );
        assert!(receivers.fix.unwrap().contains("defer close(ch)"));
    }

    /// Loops with a ticker (golang-lru, tally, ristretto, ants) and a wait
    /// for a timer (puddle) were "a select none of whose cases will fire: a
    /// loop with no way out": each had a way out nobody took. (The stacks'
    /// files are nowhere: with the sources on disk, as a real-suites run
    /// leaves them in /tmp, the select would be read from them.)
    #[test]
    fn a_select_is_not_said_to_have_no_way_out() {
        let lru = "\
github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1(...)
\t/nonexistent/real-suites/src/golang-lru/expirable/expirable_lru.go:86
created by github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...] in goroutine 22
\t/nonexistent/real-suites/src/golang-lru/expirable/expirable_lru.go:82
";
        let puddle = "\
github.com/jackc/puddle/v2_test.TestPoolAcquireContextCanceledDuringCreate.func1(...)
\t/nonexistent/real-suites/src/puddle/pool_test.go:324
github.com/jackc/puddle/v2.(*Pool[...]).initResourceValue.func1(...)
\t/nonexistent/real-suites/src/puddle/pool.go:423
created by github.com/jackc/puddle/v2.(*Pool[...]).initResourceValue in goroutine 402
\t/nonexistent/real-suites/src/puddle/pool.go:421
";
        let groups = diagnosed(&[(1, "select", lru), (1, "select", puddle)]);
        for top in [
            "github.com/hashicorp/golang-lru/v2/expirable.NewLRU[...].func1",
            "github.com/jackc/puddle/v2_test.TestPoolAcquireContextCanceledDuringCreate.func1",
        ] {
            let d = of(&groups, top);
            assert_eq!(d.rule, "select-without-exit");
            assert!(
                !d.waits.contains("no way out") && !d.waits.contains("will fire"),
                "{d:?}"
            );
            assert!(d.fix.as_deref().unwrap().starts_with("stop the component"), "{d:?}");
        }
    }

    /// chi, echo: readLoop in a select holds a response whose body nobody
    /// closed; it is not "kept open for the next request". tally's thrift
    /// test: the client's idle connection, and the server's side of it.
    #[test]
    fn http_connections_say_which_side_and_why() {
        let read_loop = "\
net/http.(*persistConn).readLoop(...)
\t/usr/local/go/src/net/http/transport.go:2450
created by net/http.(*Transport).dialConn in goroutine 61
\t/usr/local/go/src/net/http/transport.go:1994
";
        let write_loop = "\
net/http.(*persistConn).writeLoop(...)
\t/usr/local/go/src/net/http/transport.go:2652
created by net/http.(*Transport).dialConn in goroutine 61
\t/usr/local/go/src/net/http/transport.go:1995
";
        let chi = diagnosed(&[(10, "select", read_loop), (10, "select", write_loop)]);
        let body = of(&chi, "net/http.(*persistConn).readLoop");
        assert_eq!(body.rule, "http-response-body");
        assert!(body.fix.as_deref().unwrap().contains("resp.Body.Close()"));
        let write = of(&chi, "net/http.(*persistConn).writeLoop");
        assert_eq!(write.rule, "http-keep-alive");
        assert!(!write.waits.contains("kept open for the next request"), "{write:?}");

        let idle_client = "\
internal/poll.runtime_pollWait(...)
\t/usr/local/go/src/runtime/netpoll.go:351
internal/poll.(*pollDesc).wait(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:84
internal/poll.(*pollDesc).waitRead(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(...)
\t/usr/local/go/src/internal/poll/fd_unix.go:165
net.(*netFD).Read(...)
\t/usr/local/go/src/net/fd_posix.go:68
net.(*conn).Read(...)
\t/usr/local/go/src/net/net.go:196
net/http.(*persistConn).Read(...)
\t/usr/local/go/src/net/http/transport.go:2174
bufio.(*Reader).fill(...)
\t/usr/local/go/src/bufio/bufio.go:113
bufio.(*Reader).Peek(...)
\t/usr/local/go/src/bufio/bufio.go:152
net/http.(*persistConn).readLoop(...)
\t/usr/local/go/src/net/http/transport.go:2330
created by net/http.(*Transport).dialConn in goroutine 40
\t/usr/local/go/src/net/http/transport.go:1994
";
        let server_side = "\
internal/poll.runtime_pollWait(...)
\t/usr/local/go/src/runtime/netpoll.go:351
internal/poll.(*pollDesc).wait(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:84
internal/poll.(*pollDesc).waitRead(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Read(...)
\t/usr/local/go/src/internal/poll/fd_unix.go:165
net.(*netFD).Read(...)
\t/usr/local/go/src/net/fd_posix.go:68
net.(*conn).Read(...)
\t/usr/local/go/src/net/net.go:196
net/http.(*connReader).Read(...)
\t/usr/local/go/src/net/http/server.go:812
bufio.(*Reader).fill(...)
\t/usr/local/go/src/bufio/bufio.go:113
bufio.(*Reader).Peek(...)
\t/usr/local/go/src/bufio/bufio.go:152
net/http.(*conn).serve(...)
\t/usr/local/go/src/net/http/server.go:2103
created by net/http.(*Server).Serve in goroutine 38
\t/usr/local/go/src/net/http/server.go:3464
";
        let thrift = diagnosed(&[
            (1, "IO wait", idle_client),
            (1, "select", write_loop),
            (1, "IO wait", server_side),
        ]);
        let conns: Vec<&str> = thrift
            .iter()
            .map(|g| g.diagnosis.as_ref().unwrap().rule.as_str())
            .collect();
        assert_eq!(
            conns.iter().filter(|r| **r == "http-keep-alive").count(),
            2,
            "{conns:?}"
        );
        assert!(conns.contains(&"http-server-keep-alive"), "{conns:?}");

        // echo, tally's prometheus: a server's accept loop.
        let echo = "\
internal/poll.runtime_pollWait(...)
\t/usr/local/go/src/runtime/netpoll.go:351
internal/poll.(*pollDesc).wait(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:84
internal/poll.(*pollDesc).waitRead(...)
\t/usr/local/go/src/internal/poll/fd_poll_runtime.go:89
internal/poll.(*FD).Accept(...)
\t/usr/local/go/src/internal/poll/fd_unix.go:613
net.(*netFD).accept(...)
\t/usr/local/go/src/net/fd_unix.go:150
net.(*TCPListener).accept(...)
\t/usr/local/go/src/net/tcpsock_posix.go:159
net.(*TCPListener).AcceptTCP(...)
\t/usr/local/go/src/net/tcpsock.go:374
github.com/labstack/echo/v4.tcpKeepAliveListener.Accept(...)
\t/nonexistent/real-suites/src/echo/echo.go:988
net/http.(*Server).Serve(...)
\t/usr/local/go/src/net/http/server.go:3434
github.com/labstack/echo/v4.(*Echo).Start(...)
\t/nonexistent/real-suites/src/echo/echo.go:685
github.com/labstack/echo/v4.TestEcho_ListenerAddr.func1(...)
\t/nonexistent/real-suites/src/echo/echo_test.go:1728
created by github.com/labstack/echo/v4.TestEcho_ListenerAddr in goroutine 1520
\t/nonexistent/real-suites/src/echo/echo_test.go:1727
";
        let groups = diagnosed(&[(1, "IO wait", echo)]);
        assert_eq!(groups[0].diagnosis.as_ref().unwrap().rule, "http-server-open");
    }

    /// ants: a task caught sleeping (a bounded wait Release does not wait
    /// for), and tasks spinning on Gosched; ristretto's loop caught between
    /// two waits.
    #[test]
    fn sleeping_and_running_goroutines() {
        let sleeper = "\
time.Sleep(...)
\t/usr/local/go/src/runtime/time.go:363
github.com/panjf2000/ants/v2_test.TestReleaseWhenRunningPool.func2.2(...)
\t/nonexistent/real-suites/src/ants/ants_test.go:996
github.com/panjf2000/ants/v2.(*goWorker).run.func1(...)
\t/nonexistent/real-suites/src/ants/worker.go:73
created by github.com/panjf2000/ants/v2.(*goWorker).run in goroutine 1612
\t/nonexistent/real-suites/src/ants/worker.go:50
";
        let spinner = "\
runtime.Gosched(...)
\t/usr/local/go/src/runtime/proc.go:391
github.com/panjf2000/ants/v2_test.longRunningFunc(...)
\t/nonexistent/real-suites/src/ants/ants_benchmark_test.go:61
github.com/panjf2000/ants/v2.(*goWorker).run.func1(...)
\t/nonexistent/real-suites/src/ants/worker.go:73
created by github.com/panjf2000/ants/v2.(*goWorker).run in goroutine 1200
\t/nonexistent/real-suites/src/ants/worker.go:50
";
        let groups = diagnosed(&[(1, "sleep", sleeper), (9, "runnable", spinner)]);
        let d = of(&groups, "time.Sleep");
        assert_eq!(d.rule, "sleep");
        assert!(d.fix.as_deref().unwrap().starts_with("wait for it to finish"), "{d:?}");
        let d = of(&groups, "runtime.Gosched");
        assert_eq!((d.rule.as_str(), d.fix.as_deref()), ("running", None));
    }

    #[test]
    fn a_selects_cases_are_read_with_the_go_lexer() {
        // Braces and colons in comments and literals do not count; a
        // nested switch's cases are not the select's; `:=` is not the colon.
        let code = "select { // {\ncase v, ok := <-in: /* } case <-x: */\n\tswitch v {\n\tcase 1:\n\t}\n\t_ = `}\ncase y:`\n\t_ = ok\ncase <- s.ctx.Done(): // done\n\treturn\ncase out <- m[1:2][0]:\ndefault:\n}\nmore()";
        assert_eq!(
            select_cases(code),
            Some(vec![
                "v,ok:=<-in".to_string(),
                "<-s.ctx.Done()".to_string(),
                "out<-m[1:2][0]".to_string()
            ])
        );
        assert!(done_receive("<-s.ctx.Done()"));
        // A label, or a block, before the select; not an expression.
        assert!(select_cases("loop: select {\ncase <-a:\n}").is_some());
        assert!(select_cases("x := select {\n}").is_none());
        // The select does not end in the lines read.
        assert!(select_cases("select {\ncase <-a:\n\tf()").is_none());
    }

    #[test]
    fn a_test_context_is_named_where_a_context_is_the_fix() {
        let g = group("select", &["p.loop"], "p.Start", 1);
        let d = diagnose(&g, &builtin(), true, None).unwrap();
        assert!(d.fix.unwrap().contains("t.Context()"));
        let d = diagnose(&g, &builtin(), false, None).unwrap();
        assert!(!d.fix.unwrap().contains("t.Context()"));
    }
}
