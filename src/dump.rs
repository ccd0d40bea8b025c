//! Goroutine dumps: the text of `runtime.Stack(buf, true)`, of
//! `/debug/pprof/goroutine?debug=2`, of a `SIGQUIT` or of a test-timeout
//! panic, from every Go since 1.21.
//!
//! The parser borrows from the text (no allocation per line), accepts dumps
//! embedded in other output (test logs, panics), and never panics: what it
//! cannot read becomes a [`Warning`]. [`parse`] works on text in memory;
//! [`for_each_goroutine`] streams a reader of any size, holding one goroutine
//! at a time, and [`for_each_goroutine_limited`] does so within fixed
//! [`Limits`] on lines and sections, for input that may not be a dump at
//! all. The formats are in `docs/how-it-works.md`; the fixtures under
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

/// The import path of the package a function belongs to:
/// `net/http.(*persistConn).readLoop` → `net/http`.
pub fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map_or(0, |i| i + 1);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        // `panic`, `goexit`: the runtime's, printed without a package.
        None => "runtime",
    }
}

/// Whether a function is in Go's standard library (runtime included): its
/// import path's first element has no dot, and it is not a program's main.
pub fn is_standard(function: &str) -> bool {
    let pkg = package_of(function);
    pkg != "main" && !pkg.split('/').next().unwrap_or("").contains('.')
}

/// Parses every goroutine in `text`, skipping anything around them.
pub fn parse(text: &str) -> Dump<'_> {
    let mut warnings = Vec::new();
    let mut goroutines = Vec::new();
    parse_each(text, &mut warnings, true, |g| goroutines.push(g));
    Dump { goroutines, warnings }
}

/// Caps on what [`for_each_goroutine_limited`] holds in memory, for input
/// that is not a dump as Go prints it (a file without newlines, a section
/// that never ends). A goroutine as Go prints it has at most 100 frames
/// (`...N frames elided...` in between), so real dumps stay far below
/// [`Limits::DEFAULT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line kept, in bytes, without its newline. A longer line
    /// is skipped as it streams. One warning names it when it was part of a
    /// goroutine's section (the goroutine keeps its other lines) or looked
    /// like a goroutine header (that goroutine is skipped); other text is
    /// dropped anyway.
    pub max_line: usize,
    /// The most text of one goroutine kept, in bytes. A longer section is
    /// cut at a line (never between a frame's function and its location):
    /// the goroutine is read from what was kept, with one warning.
    pub max_section: usize,
}

impl Limits {
    /// No caps: streaming yields exactly what [`parse`] yields on the whole
    /// input, holding a goroutine's section however long it is.
    pub const NONE: Limits = Limits {
        max_line: usize::MAX,
        max_section: usize::MAX,
    };

    /// `leakcheck stacks`'s caps: lines of 256 KiB, sections of 1 MiB.
    pub const DEFAULT: Limits = Limits {
        max_line: 256 << 10,
        max_section: 1 << 20,
    };

    /// The most bytes the streaming buffer can hold with these caps: a
    /// section (or a header line, if that is longer), the line being read
    /// and one read.
    pub fn max_buffer(&self) -> usize {
        let section = self.max_section.max(self.max_line.saturating_add(1));
        section.saturating_add(self.max_line).saturating_add(READ)
    }
}

/// What [`for_each_goroutine_limited`] read and held.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes read.
    pub bytes: u64,
    /// The largest the buffer grew, in bytes (its capacity): the memory the
    /// input's text took at any time. At most [`Limits::max_buffer`].
    pub max_buffer: usize,
    /// Lines longer than [`Limits::max_line`], skipped.
    pub long_lines: u64,
    /// Sections longer than [`Limits::max_section`], cut.
    pub cut_sections: u64,
}

/// How much is read at a time.
const READ: usize = 256 << 10;

/// Streams the goroutines of `reader` to `each`, one at a time, never holding
/// more than one goroutine's text (plus a read buffer): a goroutine's section
/// ends at a blank line (`\n\n` or `\r\n\r\n`) or where the next header
/// starts, and text outside any section is dropped as it streams (a line
/// that cannot be a header as soon as its first bytes say so). Bytes that are
/// not UTF-8 are replaced, per goroutine. The result equals [`parse`] of the
/// whole (lossily decoded) input. Time is linear in the input; memory is not
/// bounded for a section (or a header-shaped line) that never ends: see
/// [`for_each_goroutine_limited`].
pub fn for_each_goroutine<R: Read>(reader: R, each: impl FnMut(&Goroutine<'_>)) -> io::Result<Vec<Warning>> {
    let mut warnings = Vec::new();
    for_each_goroutine_limited(reader, Limits::NONE, each, |w| warnings.push(w))?;
    Ok(warnings)
}

/// [`for_each_goroutine`] holding at most [`Limits::max_buffer`] bytes of
/// input, whatever the input: lines and sections over `limits` are skipped
/// or cut as they stream, each with one warning (see [`Limits`]). Warnings
/// go to `warn` as they arise rather than into a list. Up to the limits, the
/// goroutines and warnings are those of [`for_each_goroutine`].
pub fn for_each_goroutine_limited<R: Read>(
    mut reader: R,
    limits: Limits,
    each: impl FnMut(&Goroutine<'_>),
    warn: impl FnMut(Warning),
) -> io::Result<StreamStats> {
    let mut s = Stream {
        limits,
        each,
        warn,
        scratch: Vec::new(),
        buf: Vec::new(),
        end: 0,
        start: 0,
        scan: 0,
        prev: 0,
        searched: 0,
        checked: 0,
        mode: Mode::Outside,
        dropping: None,
        stats: StreamStats::default(),
    };
    loop {
        s.make_room();
        let n = loop {
            match reader.read(&mut s.buf[s.end..s.end + READ]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            s.finish();
            return Ok(s.stats);
        }
        s.stats.bytes += n as u64;
        s.end += n;
        s.process();
    }
}

/// Where the streaming parser is.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Between goroutines: nothing is kept.
    Outside,
    /// `buf[start..scan]` is a goroutine's section so far, header first.
    Section { id: u64 },
}

/// A line being skipped as it streams: what is needed to say what it was.
#[derive(Debug)]
struct Dropped {
    /// Over `max_line` (otherwise: outside any section and not a header).
    long: bool,
    len: u64,
    /// Its first bytes.
    head: Vec<u8>,
    /// Holds a `[` (tracked for long lines only).
    bracket: bool,
    /// Its last two bytes.
    last: [u8; 2],
}

impl Dropped {
    const HEAD: usize = 128;

    fn new(long: bool) -> Self {
        Dropped {
            long,
            len: 0,
            head: Vec::new(),
            bracket: false,
            last: [0; 2],
        }
    }

    fn feed(&mut self, b: &[u8]) {
        self.len += b.len() as u64;
        if self.head.len() < Self::HEAD {
            let n = (Self::HEAD - self.head.len()).min(b.len());
            self.head.extend_from_slice(&b[..n]);
        }
        if self.long && !self.bracket {
            self.bracket = memchr(b'[', b).is_some();
        }
        match b {
            [] => {}
            [x] => self.last = [self.last[1], *x],
            [.., x, y] => self.last = [*x, *y],
        }
    }

    /// [`looks_like_header_bytes`] on the whole line (a head of only digits
    /// after `goroutine ` counts: the id is then too large anyway).
    fn looks_like_header(&self) -> bool {
        let colon = if self.last[1] == b'\r' {
            self.last[0] == b':'
        } else {
            self.last[1] == b':'
        };
        let mut checked = 0;
        self.long && self.bracket && colon && may_be_header(&self.head, &mut checked) && self.head.len() > 10
    }

    /// The start of the line, for a warning.
    fn head(&self) -> String {
        let text = String::from_utf8_lossy(&self.head);
        match text.char_indices().nth(60) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => format!("{text}…"),
        }
    }
}

struct Stream<E, W> {
    limits: Limits,
    each: E,
    warn: W,
    /// Warnings of one section, handed to `warn`.
    scratch: Vec<Warning>,
    /// Input held: `buf[..end]`; `buf[end..]` is room for reads.
    buf: Vec<u8>,
    end: usize,
    /// Start of the kept text (the section, or the line being read when
    /// outside one; then `start == scan`).
    start: usize,
    /// Start of the line being read.
    scan: usize,
    /// In a section: start of the line before it (`scan` if that line was
    /// skipped), where a section too long is cut when its last line is a
    /// location, so that a frame keeps its location or goes whole.
    prev: usize,
    /// `buf[scan..searched]` holds no newline.
    searched: usize,
    /// For [`may_be_header`] on the line being read.
    checked: usize,
    mode: Mode,
    /// The line being read is skipped, not kept (its bytes are gone).
    dropping: Option<Dropped>,
    stats: StreamStats,
}

impl<E: FnMut(&Goroutine<'_>), W: FnMut(Warning)> Stream<E, W> {
    /// Drops what was consumed and makes room for one read, growing the
    /// buffer by doubling but never past `limits.max_buffer()`.
    fn make_room(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scan -= self.start;
            self.prev = self.prev.saturating_sub(self.start);
            self.searched -= self.start;
            self.start = 0;
        }
        let want = self.end + READ;
        if self.buf.len() < want {
            let cap = self.limits.max_buffer().max(want);
            let len = want.max(self.buf.len().saturating_mul(2)).min(cap);
            // A fresh zeroed allocation (calloc) is cheaper than resizing,
            // which writes every zero itself.
            let mut grown = vec![0u8; len];
            grown[..self.end].copy_from_slice(&self.buf[..self.end]);
            self.buf = grown;
        }
        self.stats.max_buffer = self.stats.max_buffer.max(self.buf.capacity());
    }

    /// Goes through the complete lines of what was read.
    fn process(&mut self) {
        loop {
            let Some(i) = memchr(b'\n', &self.buf[self.searched..self.end]) else {
                self.partial();
                return;
            };
            let nl = self.searched + i;
            if let Some(mut d) = self.dropping.take() {
                d.feed(&self.buf[self.scan..nl]);
                self.remove_line(nl);
                self.dropped_line_ended(d);
            } else if nl - self.scan > self.limits.max_line
                && (matches!(self.mode, Mode::Section { .. })
                    || may_be_header(&self.buf[self.scan..nl], &mut self.checked))
            {
                self.stats.long_lines += 1;
                let mut d = Dropped::new(true);
                d.feed(&self.buf[self.scan..nl]);
                self.remove_line(nl);
                self.dropped_line_ended(d);
            } else {
                self.line_ended(nl);
            }
        }
    }

    /// The line being read has no newline yet: skip it from here on when it
    /// cannot matter or is too long.
    fn partial(&mut self) {
        self.searched = self.end;
        let part = &self.buf[self.scan..self.end];
        if let Some(d) = &mut self.dropping {
            d.feed(part);
        } else if !matches!(self.mode, Mode::Section { .. }) && !may_be_header(part, &mut self.checked) {
            let mut d = Dropped::new(false);
            d.feed(part);
            self.dropping = Some(d);
        } else if part.len() > self.limits.max_line {
            self.stats.long_lines += 1;
            let mut d = Dropped::new(true);
            d.feed(part);
            self.dropping = Some(d);
        } else {
            return;
        }
        self.end = self.scan;
        self.searched = self.scan;
    }

    /// Removes the rest of a skipped line, `buf[scan..=nl]`.
    fn remove_line(&mut self, nl: usize) {
        if self.start == self.scan {
            self.start = nl + 1;
            self.next_line(nl + 1);
        } else {
            self.buf.copy_within(nl + 1..self.end, self.scan);
            self.end -= nl + 1 - self.scan;
            self.next_line(self.scan);
            self.prev = self.scan;
        }
    }

    fn next_line(&mut self, at: usize) {
        self.scan = at;
        self.searched = at;
        self.checked = 0;
    }

    /// A kept line, `buf[scan..nl]`, is complete.
    fn line_ended(&mut self, nl: usize) {
        let at = self.scan;
        let line = &self.buf[at..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let header = looks_like_header_bytes(line).then(|| header_id(line));
        let empty = line.is_empty();
        let location = line.first() == Some(&b'\t');
        let next = nl + 1;
        self.next_line(next);
        match self.mode {
            Mode::Section { id } => {
                if let Some(new) = header {
                    self.parse(self.start, at, false);
                    self.start = at;
                    self.prev = at;
                    self.mode = Mode::Section { id: new };
                } else if empty {
                    self.parse(self.start, next, false);
                    self.start = next;
                    self.mode = Mode::Outside;
                } else if next - self.start > self.limits.max_section {
                    self.cut_section(id, at, next, location);
                } else {
                    self.prev = at;
                }
            }
            Mode::Outside => {
                if let Some(new) = header {
                    self.start = at;
                    self.prev = at;
                    self.mode = Mode::Section { id: new };
                } else {
                    self.start = next;
                }
            }
        }
    }

    /// The line `buf[at..next]` made the section too long: reads the
    /// goroutine from what fits and drops the rest, as text outside a
    /// section.
    fn cut_section(&mut self, id: u64, at: usize, next: usize, location: bool) {
        // A location goes with the line before it (its function).
        let cut = if location && self.prev > self.start {
            self.prev
        } else {
            at
        };
        let stopped = parse_bytes(&self.buf[self.start..cut], false, &mut self.scratch, &mut self.each);
        // Unless the goroutine ended before the cut (nothing lost), say so
        // first: its own warnings may be many.
        if !stopped {
            self.stats.cut_sections += 1;
            let message = format!(
                "section over the {} limit: read its first {} bytes, skipped the rest",
                size(self.limits.max_section),
                cut - self.start
            );
            self.scratch.insert(0, Warning { goroutine: id, message });
        }
        self.flush_warnings();
        self.mode = Mode::Outside;
        self.start = next;
    }

    /// A skipped line ended (its bytes are gone; `scan` is where it was).
    fn dropped_line_ended(&mut self, d: Dropped) {
        let header = d.looks_like_header();
        match self.mode {
            Mode::Section { id } => {
                if header {
                    self.parse(self.start, self.scan, false);
                    self.start = self.scan;
                    self.mode = Mode::Outside;
                    self.skipped_header(&d);
                } else {
                    self.warning(
                        id,
                        format!(
                            "skipped a line of {} bytes, over the {} limit: `{}`",
                            d.len,
                            size(self.limits.max_line),
                            d.head()
                        ),
                    );
                }
            }
            Mode::Outside => {
                if header {
                    self.skipped_header(&d);
                }
            }
        }
    }

    fn skipped_header(&mut self, d: &Dropped) {
        let id = header_id(&d.head);
        let message = format!(
            "skipped this goroutine: its header line has {} bytes, over the {} limit: `{}`",
            d.len,
            size(self.limits.max_line),
            d.head()
        );
        self.warning(id, message);
    }

    fn warning(&mut self, goroutine: u64, message: String) {
        (self.warn)(Warning { goroutine, message });
    }

    /// The input ended.
    fn finish(&mut self) {
        if let Some(d) = self.dropping.take() {
            self.dropped_line_ended(d);
        }
        // The last line, without its newline, counts towards the section
        // too (unless it is a header: then it starts a goroutine).
        if let Mode::Section { id } = self.mode {
            let line = &self.buf[self.scan..self.end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if self.end - self.start > self.limits.max_section && !looks_like_header_bytes(line) {
                let location = line.first() == Some(&b'\t');
                self.cut_section(id, self.scan, self.end, location);
            }
        }
        self.parse(self.start, self.end, true);
    }

    /// Parses `buf[from..to]`.
    fn parse(&mut self, from: usize, to: usize, input_ends: bool) {
        parse_bytes(&self.buf[from..to], input_ends, &mut self.scratch, &mut self.each);
        self.flush_warnings();
    }

    fn flush_warnings(&mut self) {
        for w in self.scratch.drain(..) {
            (self.warn)(w);
        }
    }
}

/// `256 KiB`, `1 MiB`.
fn size(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Whether a line that starts with `part` (more may follow) can be a
/// goroutine header, by its `goroutine N ` prefix. `checked` (0 for a new
/// line) remembers how much of `part` earlier calls found to be that prefix,
/// so that a line growing read by read is looked at once.
fn may_be_header(part: &[u8], checked: &mut usize) -> bool {
    const PREFIX: &[u8] = b"goroutine ";
    if *checked == usize::MAX {
        return true; // `goroutine N ` seen
    }
    let n = part.len().min(PREFIX.len());
    if part[..n] != PREFIX[..n] {
        return false;
    }
    if part.len() <= PREFIX.len() {
        return true;
    }
    let from = (*checked).max(PREFIX.len());
    let digits_end = from + part[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    if digits_end == part.len() {
        *checked = digits_end;
        return true;
    }
    if digits_end > PREFIX.len() && part[digits_end] == b' ' {
        *checked = usize::MAX;
        return true;
    }
    false
}

/// The id of a header-shaped line, 0 when it does not fit in a u64.
fn header_id(line: &[u8]) -> u64 {
    let digits = line.get(10..).unwrap_or_default();
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&digits[..n])
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

/// [`looks_like_header`] on raw bytes (the test only looks at ASCII).
fn looks_like_header_bytes(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"goroutine ") else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && rest.get(digits) == Some(&b' ') && line.ends_with(b":") && memchr(b'[', line).is_some()
}

/// Parses `bytes` (lossily decoded); true when the last goroutine stopped
/// before the end of them.
fn parse_bytes(
    bytes: &[u8],
    input_ends: bool,
    warnings: &mut Vec<Warning>,
    each: &mut impl FnMut(&Goroutine<'_>),
) -> bool {
    // Validation alone is fast; only text that is not UTF-8 pays for a copy.
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    parse_each(&text, warnings, input_ends, |g| each(&g))
}

/// Hands every goroutine of `text` to `each`; true when the last one's
/// section stopped before the end of `text` (at a line that is not part of
/// a dump), so that nothing after it belongs to it.
fn parse_each<'a>(
    text: &'a str,
    warnings: &mut Vec<Warning>,
    input_ends: bool,
    mut each: impl FnMut(Goroutine<'a>),
) -> bool {
    let mut lines = Lines::new(text);
    let mut stopped = false;
    while let Some(start) = lines.find_header() {
        if let Some(g) = parse_section(text, start, &mut lines, warnings, input_ends) {
            each(g);
        }
        stopped = lines.pos < text.len();
    }
    stopped
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

    /// The next line, and where the one after it starts (for `pos`, to
    /// take the line without looking for its end again).
    fn peek_line(&self) -> Option<(&'a str, usize)> {
        let mut copy = Lines {
            text: self.text,
            pos: self.pos,
        };
        copy.next_line().map(|(_, l)| (l, copy.pos))
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
    while let Some((line, after)) = lines.peek_line() {
        if line.is_empty() {
            lines.pos = after;
            at_end = false;
            break;
        }
        if let Some(loc) = line.strip_prefix('\t') {
            lines.pos = after;
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
            lines.pos = after;
            end = line_end(text, line);
            let (function, goroutine) = match rfind_spaced(rest, " in goroutine ") {
                Some(i) => (&rest[..i], rest[i + " in goroutine ".len()..].trim().parse().ok()),
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
            lines.pos = after;
            end = line_end(text, line);
            *slots(&mut g, target).elided = Some(elided);
        } else if let Some(rest) = line.strip_prefix("[originating from goroutine ") {
            lines.pos = after;
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
            lines.pos = after;
            end = line_end(text, line);
            pending = Some(call);
        } else if cut_here(line) {
            lines.pos = after;
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

/// `s.find(pat)` for a `pat` that starts with a space, looking only where
/// `s` has one: `str::find` sets up a two-way searcher on every call, which
/// costs more than the search itself on lines this short.
fn find_spaced(s: &str, pat: &str) -> Option<usize> {
    debug_assert!(pat.starts_with(' '));
    let b = s.as_bytes();
    memchr::memchr_iter(b' ', b).find(|&i| b[i..].starts_with(pat.as_bytes()))
}

/// `s.rfind(pat)` for a `pat` that starts with a space (see [`find_spaced`]).
fn rfind_spaced(s: &str, pat: &str) -> Option<usize> {
    debug_assert!(pat.starts_with(' '));
    let b = s.as_bytes();
    memchr::memrchr_iter(b' ', b).find(|&i| b[i..].starts_with(pat.as_bytes()))
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
    let (inside, labels_text) = match find_spaced(&body[..first_close], " labels:{") {
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
    let mut parts = split_comma_space(inside);
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

/// `s.split(", ")`, without setting up a two-way searcher (see
/// [`find_spaced`]).
fn split_comma_space(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        let b = r.as_bytes();
        match memchr::memchr_iter(b',', b).find(|&i| b.get(i + 1) == Some(&b' ')) {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
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
    fn spaced_searches_match_std() {
        // Every string of up to 7 symbols over an alphabet that makes
        // overlapping and repeated matches.
        let alphabet = [" ", ",", "in", " in goroutine ", " labels:{", "x", ", "];
        let mut strings = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier
                .iter()
                .flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}")))
                .collect();
            strings.extend(frontier.iter().cloned());
        }
        for s in &strings {
            assert_eq!(rfind_spaced(s, " in goroutine "), s.rfind(" in goroutine "), "{s:?}");
            assert_eq!(find_spaced(s, " labels:{"), s.find(" labels:{"), "{s:?}");
            assert_eq!(
                split_comma_space(s).collect::<Vec<_>>(),
                s.split(", ").collect::<Vec<_>>(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn header_prefix_grows_read_by_read() {
        let mut checked = 0;
        for part in ["g", "gorou", "goroutine", "goroutine ", "goroutine 1", "goroutine 123"] {
            assert!(may_be_header(part.as_bytes(), &mut checked), "{part}");
        }
        assert_eq!(checked, "goroutine 123".len(), "digits are not looked at again");
        assert!(may_be_header(b"goroutine 123 [", &mut checked));
        assert!(may_be_header(b"goroutine 123 [anything", &mut checked));
        for part in ["x", "goroutinex", "goroutine x", "goroutine  1", "goroutine 1x"] {
            assert!(!may_be_header(part.as_bytes(), &mut 0), "{part}");
        }
        assert_eq!(header_id(b"goroutine 42 [select]:"), 42);
        assert_eq!(header_id(b"goroutine 99999999999999999999 [select]:"), 0);
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
