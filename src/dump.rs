//! Goroutine dumps: the text of `runtime.Stack(buf, true)`, of
//! `/debug/pprof/goroutine?debug=2`, of a `SIGQUIT` or of a test-timeout
//! panic, from every Go since 1.21.
//!
//! The parser borrows from the text (no allocation per line), accepts dumps
//! embedded in other output (test logs, panics), and never panics: what it
//! cannot read becomes a [`Warning`]. [`parse`] works on text in memory;
//! [`for_each_goroutine`] streams a reader of any size, holding one goroutine
//! at a time. The formats are in `docs/how-it-works.md`; the fixtures under
//! `tests/fixtures/dumps` are real dumps from each supported Go.

use std::borrow::Cow;
use std::io::{self, Read};

use memchr::memchr;

/// One goroutine of a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goroutine<'a> {
    /// The goroutine id (`goroutine 7 [...]`).
    pub id: u64,
    /// The wait reason or status, e.g. `chan receive`, `select (no cases)`,
    /// `running`; without the `(leaked)`, `(scan)` and `(durable)` marks.
    pub state: &'a str,
    /// Go's goroutineleak profile proved it can never run again (`(leaked)`).
    pub leaked: bool,
    /// Durably blocked inside a `testing/synctest` bubble (`(durable)`).
    pub durable: bool,
    /// `N minutes`: printed only once it has waited a minute or more.
    pub wait_minutes: Option<u64>,
    /// `locked to thread` (runtime.LockOSThread, cgo callbacks).
    pub locked_to_thread: bool,
    /// `synctest bubble N` (Go 1.25+).
    pub synctest_bubble: Option<u64>,
    /// pprof labels, in the order printed (Go 1.26+ with
    /// `GODEBUG=tracebacklabels=1`, or Go 1.27).
    pub labels: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The stack, innermost call first.
    pub frames: Vec<Frame<'a>>,
    /// Frames the runtime left out of a deep stack.
    pub elided: Option<Elided>,
    /// Where the goroutine was started; `None` for the main goroutine and
    /// runtime-started ones.
    pub created_by: Option<CreatedBy<'a>>,
    /// `[originating from goroutine N]` sections
    /// (`GODEBUG=tracebackancestors=N`): the stacks that created this one.
    pub ancestors: Vec<Ancestor<'a>>,
    /// The whole section as printed, for reports that quote it.
    pub text: &'a str,
}

impl Goroutine<'_> {
    /// The value of a pprof label.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
    }

    /// The innermost function, or "" for an empty stack.
    pub fn top_function(&self) -> &str {
        self.frames.first().map_or("", |f| f.function)
    }
}

/// One call in a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The function, e.g. `example.com/p.(*Pool).worker` or `main.F[...]`.
    pub function: &'a str,
    /// The argument text between the parentheses; `...` for an inlined call.
    pub args: &'a str,
    /// The source file.
    pub file: &'a str,
    /// The line in `file`.
    pub line: u32,
}

impl Frame<'_> {
    /// Whether the compiler inlined this call (printed with `(...)`).
    pub fn inlined(&self) -> bool {
        self.args == "..."
    }
}

/// The `created by` line and its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedBy<'a> {
    /// The function whose `go` statement started the goroutine.
    pub function: &'a str,
    /// `in goroutine N` (Go 1.21+): the goroutine that ran that statement.
    pub goroutine: Option<u64>,
    /// Where the `go` statement is.
    pub file: &'a str,
    /// The line of the `go` statement.
    pub line: u32,
}

/// How many frames were left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elided {
    /// `...N frames elided...` (Go 1.21+).
    Count(u64),
    /// `...additional frames elided...` (older Go, and ancestor stacks).
    Unknown,
}

/// An `[originating from goroutine N]:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor<'a> {
    /// The ancestor goroutine.
    pub goroutine: u64,
    /// Its stack when it started the next one.
    pub frames: Vec<Frame<'a>>,
    /// Frames left out of that stack.
    pub elided: Option<Elided>,
    /// Where the ancestor itself was started.
    pub created_by: Option<CreatedBy<'a>>,
}

/// Something the parser could not read; it went on after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The goroutine it concerns.
    pub goroutine: u64,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "goroutine {}: {}", self.goroutine, self.message)
    }
}

/// A parsed dump held in memory.
#[derive(Debug, Default)]
pub struct Dump<'a> {
    /// The goroutines, in the order printed.
    pub goroutines: Vec<Goroutine<'a>>,
    /// What could not be read.
    pub warnings: Vec<Warning>,
}

/// Parses every goroutine in `text`, skipping anything around them.
pub fn parse(text: &str) -> Dump<'_> {
    let mut warnings = Vec::new();
    let goroutines = parse_into(text, &mut warnings, true);
    Dump { goroutines, warnings }
}

/// Streams the goroutines of `reader` to `each`, one at a time, never holding
/// more than one goroutine's text (plus a read buffer): a goroutine's section
/// ends at a blank line (`\n\n` or `\r\n\r\n`) or where the next header
/// starts, and text outside any section is dropped as it streams. Bytes that
/// are not UTF-8 are replaced, per goroutine. The result equals [`parse`] of
/// the whole (lossily decoded) input.
pub fn for_each_goroutine<R: Read>(mut reader: R, mut each: impl FnMut(&Goroutine<'_>)) -> io::Result<Vec<Warning>> {
    const READ: usize = 256 << 10;
    let mut warnings = Vec::new();
    let mut chunk = vec![0u8; READ];
    let mut buf: Vec<u8> = Vec::new();
    // buf[start..] is pending; lines before `scan` have been examined;
    // `in_section`: the pending text starts with a goroutine header.
    let (mut start, mut scan, mut in_section) = (0, 0, false);
    loop {
        let n = loop {
            match reader.read(&mut chunk) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        while let Some(nl) = memchr(b'\n', &buf[scan..]) {
            let line_start = scan;
            let line = &buf[line_start..line_start + nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            scan = line_start + nl + 1;
            if looks_like_header_bytes(line) {
                if in_section {
                    parse_bytes(&buf[start..line_start], false, &mut warnings, &mut each);
                }
                start = line_start;
                in_section = true;
            } else if line.is_empty() || !in_section {
                if in_section {
                    parse_bytes(&buf[start..scan], false, &mut warnings, &mut each);
                    in_section = false;
                }
                start = scan;
            }
        }
        if n == 0 {
            parse_bytes(&buf[start..], true, &mut warnings, &mut each);
            return Ok(warnings);
        }
        buf.drain(..start);
        scan -= start;
        start = 0;
    }
}

/// [`looks_like_header`] on raw bytes (the test only looks at ASCII).
fn looks_like_header_bytes(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"goroutine ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b' ') && line.ends_with(b":") && memchr(b'[', line).is_some()
}

fn parse_bytes(bytes: &[u8], input_ends: bool, warnings: &mut Vec<Warning>, each: &mut impl FnMut(&Goroutine<'_>)) {
    // Validation alone is fast; only text that is not UTF-8 pays for a copy.
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    for g in parse_into(&text, warnings, input_ends) {
        each(&g);
    }
}

fn parse_into<'a>(text: &'a str, warnings: &mut Vec<Warning>, input_ends: bool) -> Vec<Goroutine<'a>> {
    let mut out = Vec::new();
    let mut lines = Lines::new(text);
    while let Some(start) = lines.find_header() {
        if let Some(g) = parse_section(text, start, &mut lines, warnings, input_ends) {
            out.push(g);
        }
    }
    out
}

/// Line iteration by byte offset, without allocating.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { text, pos: 0 }
    }

    /// The next line (without its newline) and its start offset.
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text.as_bytes()[start..];
        let end = memchr(b'\n', rest).map_or(self.text.len(), |i| start + i);
        self.pos = (end + 1).min(self.text.len() + 1);
        let line = &self.text[start..end];
        Some((start, line.strip_suffix('\r').unwrap_or(line)))
    }

    fn peek_line(&self) -> Option<&'a str> {
        let mut copy = Lines {
            text: self.text,
            pos: self.pos,
        };
        copy.next_line().map(|(_, l)| l)
    }

    /// Advances to the next goroutine header, returning its offset.
    fn find_header(&mut self) -> Option<usize> {
        loop {
            let saved = self.pos;
            let (start, line) = self.next_line()?;
            if looks_like_header(line) {
                self.pos = saved;
                return Some(start);
            }
        }
    }
}

fn looks_like_header(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("goroutine ") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && rest[digits..].starts_with(' ') && line.ends_with(':') && line.contains('[')
}

/// Which stack the lines being read belong to.
#[derive(Clone, Copy)]
enum Target {
    Main,
    Ancestor,
}

/// The parts of the goroutine (or of its last ancestor section) that lines
/// of `target` fill in.
struct Slots<'g, 'a> {
    frames: &'g mut Vec<Frame<'a>>,
    elided: &'g mut Option<Elided>,
    created_by: &'g mut Option<CreatedBy<'a>>,
}

fn slots<'g, 'a>(g: &'g mut Goroutine<'a>, target: Target) -> Slots<'g, 'a> {
    match (target, g.ancestors.last_mut()) {
        (Target::Ancestor, Some(a)) => Slots {
            frames: &mut a.frames,
            elided: &mut a.elided,
            created_by: &mut a.created_by,
        },
        _ => Slots {
            frames: &mut g.frames,
            elided: &mut g.elided,
            created_by: &mut g.created_by,
        },
    }
}

/// Parses the goroutine whose header starts at `start`. `input_ends` says
/// whether `text` runs to the end of the whole input (and not only to where
/// the streaming parser cut it off before the next goroutine): only there
/// can a dump be truncated.
fn parse_section<'a>(
    text: &'a str,
    start: usize,
    lines: &mut Lines<'a>,
    warnings: &mut Vec<Warning>,
    input_ends: bool,
) -> Option<Goroutine<'a>> {
    let (_, header_line) = lines.next_line()?;
    let mut g = match parse_header(header_line) {
        Some((g, problem)) => {
            if let Some(message) = problem {
                warnings.push(Warning {
                    goroutine: g.id,
                    message,
                });
            }
            g
        }
        None => {
            warnings.push(Warning {
                goroutine: 0,
                message: format!("unreadable header `{}`", truncate(header_line)),
            });
            return None;
        }
    };
    // The input's last line, when nothing follows it, not even a newline:
    // where a dump cut at an arbitrary byte (runtime.Stack with a buffer too
    // small) ends.
    let cut_here = |line: &str| input_ends && line_end(text, line) == text.len() && !text.ends_with('\n');
    let mut end = start + header_line.len();
    let mut target = Target::Main;
    let mut pending: Option<(&'a str, &'a str)> = None; // function line awaiting its file line
    let mut pending_created: Option<(&'a str, Option<u64>)> = None;
    let mut at_end = input_ends;
    while let Some(line) = lines.peek_line() {
        if line.is_empty() {
            lines.next_line();
            at_end = false;
            break;
        }
        if let Some(loc) = line.strip_prefix('\t') {
            lines.next_line();
            end = line_end(text, line);
            let (file, line_no) = parse_location(loc);
            if let Some((function, args)) = pending.take() {
                // A complete dump ends with a newline: a location that ends
                // the input without one may be cut (`x.go:12` of `x.go:123`).
                if cut_here(line) {
                    warnings.push(Warning {
                        goroutine: g.id,
                        message: format!("dump ends inside the location of `{}` (truncated?)", truncate(function)),
                    });
                } else if file.is_empty() || line_no == 0 {
                    warnings.push(Warning {
                        goroutine: g.id,
                        message: format!("frame `{}` has no file:line", truncate(function)),
                    });
                }
                let frame = Frame {
                    function,
                    args,
                    file,
                    line: line_no,
                };
                slots(&mut g, target).frames.push(frame);
            } else if let Some((function, goroutine)) = pending_created.take() {
                *slots(&mut g, target).created_by = Some(CreatedBy {
                    function,
                    goroutine,
                    file,
                    line: line_no,
                });
            }
            continue;
        }
        // Any other line: a function, created by, elision or ancestor
        // header. A function line still waiting for its location means the
        // dump was mangled.
        if let Some((function, _)) = pending.take() {
            warnings.push(Warning {
                goroutine: g.id,
                message: format!("frame `{}` has no file:line", truncate(function)),
            });
        }
        if let Some(rest) = line.strip_prefix("created by ") {
            lines.next_line();
            end = line_end(text, line);
            let (function, goroutine) = match rest.rsplit_once(" in goroutine ") {
                Some((f, n)) => (f, n.trim().parse().ok()),
                // Cut inside ` in goroutine N`.
                None => (
                    rest.trim_end()
                        .trim_end_matches(" in goroutine")
                        .trim_end_matches(" in"),
                    None,
                ),
            };
            pending_created = Some((function, goroutine));
            *slots(&mut g, target).created_by = Some(CreatedBy {
                function,
                goroutine,
                file: "",
                line: 0,
            });
        } else if let Some(elided) = parse_elided(line) {
            lines.next_line();
            end = line_end(text, line);
            *slots(&mut g, target).elided = Some(elided);
        } else if let Some(rest) = line.strip_prefix("[originating from goroutine ") {
            lines.next_line();
            end = line_end(text, line);
            let n = rest.trim_end_matches("]:").trim().parse().unwrap_or(0);
            g.ancestors.push(Ancestor {
                goroutine: n,
                frames: Vec::new(),
                elided: None,
                created_by: None,
            });
            target = Target::Ancestor;
        } else if let Some(call) = parse_call(line) {
            if looks_like_header(line) {
                at_end = false;
                break; // the next goroutine, without a blank line before it
            }
            lines.next_line();
            end = line_end(text, line);
            pending = Some(call);
        } else if cut_here(line) {
            lines.next_line();
            warnings.push(Warning {
                goroutine: g.id,
                message: format!("dump ends inside `{}` (truncated?)", truncate(line)),
            });
        } else {
            // Not part of a dump (e.g. "FAIL\tpkg" after a timeout dump).
            at_end = false;
            break;
        }
    }
    if let Some((function, _)) = pending {
        let message = if at_end {
            format!("dump ends inside frame `{}` (truncated?)", truncate(function))
        } else {
            format!("frame `{}` has no file:line", truncate(function))
        };
        warnings.push(Warning {
            goroutine: g.id,
            message,
        });
    }
    if let (Some((function, _)), true) = (pending_created, at_end) {
        warnings.push(Warning {
            goroutine: g.id,
            message: format!("dump ends inside `created by {}` (truncated?)", truncate(function)),
        });
    }
    g.text = text[start..end.max(start)].trim_end();
    Some(g)
}

fn line_end(text: &str, line: &str) -> usize {
    // `line` is a subslice of `text`.
    line.as_ptr() as usize - text.as_ptr() as usize + line.len()
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(120) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Parses `goroutine 7 [chan receive, 3 minutes, locked to thread]:`, its
/// `gp=… m=…` form (GOTRACEBACK=system, SIGQUIT), Go 1.26 labels inside the
/// brackets (`[select labels:{"k": "v"}]:`) and Go 1.27 labels after them
/// (`[select] {k: v}:`). Label strings may hold `]`, `}`, `:` and commas, so
/// the label block is found by the state text (which holds none of them)
/// and matched with quotes respected.
fn parse_header(line: &str) -> Option<(Goroutine<'_>, Option<String>)> {
    let rest = line.strip_prefix("goroutine ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest[..digits].parse().ok()?;
    let rest = &rest[digits..];
    let body = &rest[rest.find('[')? + 1..];
    let mut problem = None;
    // Where the state text ends: at the first `]`, or at a Go 1.26 label
    // block before it (label strings may hold `]` themselves).
    let first_close = body.find(']').unwrap_or(body.len());
    let (inside, labels_text) = match body[..first_close].find(" labels:{") {
        // Go 1.26: the labels close the brackets.
        Some(at) => {
            let block = &body[at + " labels:".len()..];
            match block_end(block) {
                Some(end) if block[end..].starts_with("]:") => (&body[..at], Some(&block[..end])),
                _ => {
                    problem = Some("the label block does not close (truncated?)".to_string());
                    (&body[..at], Some(block.trim_end_matches(':').trim_end_matches(']')))
                }
            }
        }
        None if first_close == body.len() => return None,
        None => {
            let after = body[first_close + 1..].strip_suffix(':')?.trim();
            let labels = if after.is_empty() {
                None
            } else {
                after.starts_with('{').then_some(after)
            };
            (&body[..first_close], labels)
        }
    };
    let mut parts = inside.split(", ");
    let mut state = parts.next().unwrap_or("");
    let mut leaked = false;
    let mut durable = false;
    loop {
        if let Some(s) = state.strip_suffix(" (leaked)") {
            leaked = true;
            state = s;
        } else if let Some(s) = state.strip_suffix(" (scan)") {
            state = s;
        } else if let Some(s) = state.strip_suffix(" (durable)") {
            durable = true;
            state = s;
        } else {
            break;
        }
    }
    let mut g = Goroutine {
        id,
        state,
        leaked,
        durable,
        wait_minutes: None,
        locked_to_thread: false,
        synctest_bubble: None,
        labels: Vec::new(),
        frames: Vec::new(),
        elided: None,
        created_by: None,
        ancestors: Vec::new(),
        text: "",
    };
    for part in parts {
        if let Some(m) = part.strip_suffix(" minutes") {
            g.wait_minutes = m.trim().parse().ok();
        } else if part == "locked to thread" {
            g.locked_to_thread = true;
        } else if let Some(b) = part.strip_prefix("synctest bubble ") {
            g.synctest_bubble = b.trim().parse().ok();
        }
    }
    if let Some(l) = labels_text {
        g.labels = parse_labels(l);
    }
    Some((g, problem))
}

/// The length of the `{…}` block `s` starts with, quotes respected.
fn block_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut in_quote = false;
    let mut i = 1;
    while i < b.len() {
        match (b[i], in_quote) {
            (b'\\', true) => i += 1,
            (b'"', _) => in_quote = !in_quote,
            (b'}', false) => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses `{"k": "v", ...}` (Go 1.26, always quoted) or `{k: v, "a b": c}`
/// (Go 1.27, quoted only where needed). Quoted strings use the runtime's
/// escapes: `\"`, `\\`, `\n`, `\r`, `\t`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`.
pub fn parse_labels(text: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    let mut out = Vec::new();
    let mut s = text.trim();
    s = s.strip_prefix('{').unwrap_or(s);
    s = s.strip_suffix('}').unwrap_or(s);
    while !s.is_empty() {
        let (key, rest) = label_token(s, ':');
        let rest = rest.strip_prefix(':').unwrap_or(rest);
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        let (value, rest) = label_token(rest, ',');
        out.push((key, value));
        let rest = rest.strip_prefix(',').unwrap_or(rest);
        s = rest.strip_prefix(' ').unwrap_or(rest);
    }
    out
}

fn label_token(s: &str, stop: char) -> (Cow<'_, str>, &str) {
    if let Some(body) = s.strip_prefix('"') {
        let bytes = body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return (unquote(&body[..i]), &body[(i + 1).min(body.len())..]),
                _ => i += 1,
            }
        }
        return (unquote(body), "");
    }
    match s.find(stop) {
        Some(i) => (Cow::Borrowed(&s[..i]), &s[i..]),
        None => (Cow::Borrowed(s), ""),
    }
}

fn unquote(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(e @ ('x' | 'u' | 'U')) => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                // `\xNN` of 0x80 and up is a byte of invalid UTF-8 (Go 1.27
                // prints those raw); a Rust string holds it as U+FFFD.
                let code = u32::from_str_radix(&hex, 16).ok();
                let code = code.map(|c| if e == 'x' && c >= 0x80 { 0xfffd } else { c });
                match code.and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// `...12 frames elided...` or `...additional frames elided...`.
fn parse_elided(line: &str) -> Option<Elided> {
    let inner = line.strip_prefix("...")?.strip_suffix("elided...")?;
    if inner.starts_with("additional") {
        return Some(Elided::Unknown);
    }
    let n = inner.split_whitespace().next()?.parse().ok()?;
    Some(Elided::Count(n))
}

/// Splits `pkg.(*T).M(0x1, {0x2, 0x3})` into the function and its arguments.
/// The argument list is the last parenthesised group; names themselves may
/// contain parentheses (`(*T)`) and brackets (`F[...]`).
fn parse_call(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_suffix(')')?;
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b')' => depth += 1,
            b'(' if depth == 0 => {
                let function = &body[..i];
                if function.is_empty() || function.starts_with(char::is_whitespace) {
                    return None;
                }
                return Some((function, &body[i + 1..]));
            }
            b'(' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Parses `/path/with space/f.go:12 +0x1d fp=0x… sp=0x… pc=0x…`: the line
/// number is after the last `:` that is followed by digits and then the end
/// or a space (paths may hold spaces and colons). Scans bytes from the end:
/// this runs once per frame and dominates parsing time.
fn parse_location(loc: &str) -> (&str, u32) {
    let b = loc.as_bytes();
    let mut end = b.len();
    while let Some(colon) = memchr::memrchr(b':', &b[..end]) {
        let digits = b[colon + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let after = colon + 1 + digits;
        if digits > 0 && (after == b.len() || b[after] == b' ') {
            let line = loc[colon + 1..after].parse().unwrap_or(0);
            return (&loc[..colon], line);
        }
        end = colon;
    }
    (loc.trim_end(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_forms() {
        let g = parse_header("goroutine 20 [chan receive, 3 minutes, locked to thread]:")
            .unwrap()
            .0;
        assert_eq!(
            (g.id, g.state, g.wait_minutes, g.locked_to_thread),
            (20, "chan receive", Some(3), true)
        );
        let g =
            parse_header(r#"goroutine 22 [chan receive (leaked) labels:{"leakcheck": "TestLeaky", "a]b": "c, d"}]:"#)
                .unwrap()
                .0;
        assert!(g.leaked);
        assert_eq!(g.state, "chan receive");
        assert_eq!(g.label("leakcheck"), Some("TestLeaky"));
        assert_eq!(g.label("a]b"), Some("c, d"));
        let g =
            parse_header(r#"goroutine 19 [select (no cases), synctest bubble 4] {leakcheck: TestX, "q k": "v\"}"}:"#)
                .unwrap()
                .0;
        assert_eq!(g.state, "select (no cases)");
        assert_eq!(g.synctest_bubble, Some(4));
        assert_eq!(g.label("leakcheck"), Some("TestX"));
        assert_eq!(g.label("q k"), Some("v\"}"));
        let g = parse_header("goroutine 1 gp=0xc000002380 m=0 mp=0x5c0 [running]:")
            .unwrap()
            .0;
        assert_eq!((g.id, g.state), (1, "running"));
        assert!(parse_header("goroutine x [running]:").is_none());
        // A Go 1.26 label block cut short keeps the goroutine, with a warning.
        let (g, problem) = parse_header(r#"goroutine 5 [select labels:{"a": "b]:"#).unwrap();
        assert_eq!((g.state, g.label("a")), ("select", Some("b")));
        assert!(problem.unwrap().contains("does not close"));
    }

    #[test]
    fn calls_and_locations() {
        assert_eq!(
            parse_call("example.com/p.(*T).run(0xc000010000, {0x5a, 0x5})"),
            Some(("example.com/p.(*T).run", "0xc000010000, {0x5a, 0x5}"))
        );
        assert_eq!(parse_call("main.F[...](...)"), Some(("main.F[...]", "...")));
        assert_eq!(parse_call("exit status 2"), None);
        assert_eq!(
            parse_location("/a b/c.go:12 +0x1d fp=0xc sp=0xd pc=0xe"),
            ("/a b/c.go", 12)
        );
        assert_eq!(parse_location("/src/x.go:7"), ("/src/x.go", 7));
    }

    #[test]
    fn truncated_dump_warns_and_keeps_what_it_can() {
        let text = "goroutine 1 [running]:\nmain.main()\n\t/x.go:3 +0x1\n\ngoroutine 2 [chan receive]:\nmain.f()\n";
        let d = parse(text);
        assert_eq!(d.goroutines.len(), 2);
        assert_eq!(d.goroutines[1].frames.len(), 0);
        assert_eq!(d.warnings.len(), 1);
        assert!(d.warnings[0].message.contains("truncated"));
    }

    #[test]
    fn streaming_matches_in_memory() {
        let text = "junk\ngoroutine 1 [running]:\nmain.main()\n\t/x.go:3 +0x1\n\ngoroutine 2 [select]:\nmain.f(...)\n\t/x.go:9\ncreated by main.main in goroutine 1\n\t/x.go:4 +0x2\n";
        let mut streamed = Vec::new();
        for_each_goroutine(text.as_bytes(), |g| {
            streamed.push((g.id, g.frames.len(), g.created_by.clone().map(|c| c.line)))
        })
        .unwrap();
        let parsed: Vec<_> = parse(text)
            .goroutines
            .iter()
            .map(|g| (g.id, g.frames.len(), g.created_by.clone().map(|c| c.line)))
            .collect();
        assert_eq!(streamed, parsed);
        assert_eq!(parsed, vec![(1, 1, None), (2, 1, Some(4))]);
    }
}
