//! Shared by the fuzz targets (`mod common;`, not a target itself) and by
//! tests/parser_props.rs (`#[path]`): the invariants every parse must
//! satisfy whatever the input, a parse's owned form, and a reader that hands
//! its bytes out in chosen sizes.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{self, Read};

use leakcheck::dump::{self, Dump, Frame, Goroutine, Warning};

/// Where `part` starts in `whole`; panics unless `part` is a slice of it.
pub fn offset_in(whole: &str, part: &str, what: &str) -> usize {
    let w = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    assert!(
        p >= w && p + part.len() <= w + whole.len(),
        "{what} is not a slice of the text it was parsed from: {part:?}"
    );
    p - w
}

/// The first line of `s`, without its `\r`.
pub fn first_line(s: &str) -> &str {
    let line = s.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

/// What the header line alone determines.
pub type HeaderFields = (
    u64,
    String,
    bool,
    bool,
    Option<u64>,
    bool,
    Option<u64>,
    Vec<(String, String)>,
);

pub fn header_fields(g: &Goroutine<'_>) -> HeaderFields {
    (
        g.id,
        g.state.to_string(),
        g.leaked,
        g.durable,
        g.wait_minutes,
        g.locked_to_thread,
        g.synctest_bubble,
        g.labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    )
}

/// Everything that holds for the parse of any text, read off the code of
/// src/dump.rs: results are slices of the input, in order, not overlapping,
/// each starting with a header line that re-parses to the same header.
pub fn check_dump(input: &str, d: &Dump<'_>) {
    let mut prev_end = 0;
    let mut ids = HashSet::new();
    for g in &d.goroutines {
        ids.insert(g.id);
        let at = offset_in(input, g.text, "goroutine text");
        assert!(at >= prev_end, "goroutine {} overlaps the one before it", g.id);
        assert!(
            at == 0 || input.as_bytes()[at - 1] == b'\n',
            "goroutine {} does not start a line",
            g.id
        );
        prev_end = at + g.text.len();
        assert_eq!(g.text, g.text.trim_end(), "text of goroutine {} not trimmed", g.id);
        let header = first_line(g.text);
        assert!(
            header.starts_with("goroutine ") && header.ends_with(':') && header.contains('['),
            "not a header: {header:?}"
        );
        let digits = header["goroutine ".len()..].split(' ').next().unwrap_or("");
        assert_eq!(digits.parse::<u64>().ok(), Some(g.id), "id of {header:?}");
        offset_in(header, g.state, "state");
        assert!(!g.state.contains(']'), "state {:?} holds a ]", g.state);
        for mark in [" (leaked)", " (scan)", " (durable)"] {
            assert!(!g.state.ends_with(mark), "state {:?} keeps its mark", g.state);
        }
        assert!(!g.leaked || header.contains(" (leaked)"));
        assert!(!g.durable || header.contains(" (durable)"));
        check_frames(input, g.text, &g.frames);
        for a in &g.ancestors {
            check_frames(input, g.text, &a.frames);
        }
        if let Some(c) = &g.created_by {
            // The function may end in whitespace (`created by f in `) that
            // was trimmed off the end of the text.
            offset_in(input, c.function, "created-by function");
            if !c.function.trim_end().is_empty() {
                offset_in(g.text, c.function.trim_end(), "created-by function");
            }
            if !c.file.is_empty() {
                offset_in(g.text, c.file, "created-by file");
            }
        }
        // A goroutine's own text, parsed alone, gives the same goroutine.
        let again = dump::parse(g.text);
        assert_eq!(again.goroutines.len(), 1, "re-parsing the text of goroutine {}", g.id);
        assert_eq!(header_fields(&again.goroutines[0]), header_fields(g));
    }
    for w in &d.warnings {
        assert!(
            w.goroutine == 0 || ids.contains(&w.goroutine),
            "warning about an unknown goroutine: {w}"
        );
    }
}

/// `text` is the goroutine's text, `input` the whole input: an empty file
/// (a location line with nothing after the tab) may lie in whitespace that
/// was trimmed off the end of `text`.
fn check_frames(input: &str, text: &str, frames: &[Frame<'_>]) {
    let b = input.as_bytes();
    for f in frames {
        assert!(
            !f.function.is_empty() && !f.function.starts_with(char::is_whitespace),
            "frame function {:?}",
            f.function
        );
        offset_in(text, f.function, "frame function");
        let fo = offset_in(input, f.function, "frame function");
        let ao = offset_in(input, f.args, "frame args");
        assert_eq!(ao, fo + f.function.len() + 1, "args do not follow the function");
        assert_eq!(b[fo + f.function.len()], b'(');
        assert_eq!(b.get(ao + f.args.len()), Some(&b')'));
        if !f.file.is_empty() {
            offset_in(text, f.file, "frame file");
        }
        let lo = offset_in(input, f.file, "frame file");
        assert!(lo > 0 && b[lo - 1] == b'\t', "file {:?} does not follow a tab", f.file);
        assert!(!f.file.contains('\n'));
        if f.line != 0 {
            let after = &input[lo + f.file.len()..];
            assert!(after.starts_with(':'), "no `:` after file {:?}", f.file);
            let digits: String = after[1..].chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(digits.parse::<u32>().ok(), Some(f.line));
        }
    }
}

/// How long one read is.
#[derive(Debug, Clone, Copy)]
pub enum ReadSize {
    /// This many bytes (at least 1).
    Bytes(usize),
    /// Up to the next `\n\n` in what is left, plus 0..=3 bytes: the
    /// streaming parser cuts just after `\n\n`, so reads that end around
    /// one exercise the cut (the whole rest if there is none).
    NearBlank(usize),
}

impl ReadSize {
    /// A u16 from the fuzzer: high bit set = `NearBlank(low 2 bits)`,
    /// otherwise `Bytes(v % 4096 + 1)`.
    pub fn from_u16(v: u16) -> Self {
        if v & 0x8000 != 0 {
            ReadSize::NearBlank(usize::from(v & 3))
        } else {
            ReadSize::Bytes(usize::from(v % 4096) + 1)
        }
    }
}

/// Hands out `data` in reads of the given sizes (cycled), failing with
/// `Interrupted` on the reads whose bit is set in `interrupts`. After
/// `small_reads` reads, hands out the rest at once: each call of
/// `for_each_goroutine`'s read loop costs a 1 MiB buffer fill, so thousands
/// of tiny reads would make every run slow.
pub struct Chunked<'a> {
    pub data: &'a [u8],
    pub sizes: Vec<ReadSize>,
    pub interrupts: u32,
    pub small_reads: usize,
    pub reads: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let i = self.reads;
        self.reads += 1;
        if i < 32 && (self.interrupts >> i) & 1 == 1 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let size = match self.sizes.len() {
            0 => usize::MAX,
            _ if i >= self.small_reads => usize::MAX,
            n => match self.sizes[i % n] {
                ReadSize::Bytes(b) => b.max(1),
                ReadSize::NearBlank(d) => {
                    let blank = self.data.windows(2).position(|w| w == b"\n\n");
                    blank.map_or(usize::MAX, |at| (at + d).max(1))
                }
            },
        };
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A parse, owned, in a form that compares every field.
pub fn owned(goroutines: &[Goroutine<'_>], warnings: &[Warning]) -> (Vec<String>, Vec<Warning>) {
    (goroutines.iter().map(|g| format!("{g:?}")).collect(), warnings.to_vec())
}

/// `for_each_goroutine` over `reader`, owned as by [`owned`].
pub fn streamed(reader: impl Read) -> (Vec<String>, Vec<Warning>) {
    let mut out = Vec::new();
    let warnings = dump::for_each_goroutine(reader, |g| out.push(format!("{g:?}"))).expect("in-memory reader failed");
    (out, warnings)
}
