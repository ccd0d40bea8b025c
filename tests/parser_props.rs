//! Property tests of the goroutine-dump parser (src/dump.rs) on mutated real
//! dumps (windows of tests/fixtures/dumps), plus deterministic edge cases.
//!
//! What is checked, and why it must hold (read off src/dump.rs):
//!
//! - Nothing panics, whatever the input.
//! - Streaming equals parsing in memory, on every input, every field and
//!   every warning. `for_each_goroutine` cuts the input after each `\n\n`
//!   and runs the same line parser on each piece; an empty line ends a
//!   section in memory too, no header is ever consumed by the section
//!   before it, and replacing invalid UTF-8 piece by piece gives the same
//!   text because every piece ends in an ASCII byte.
//! - A goroutine is decided by the text from the newline before its header
//!   to the end of its "terminator" (the line after its last line: blank
//!   line, non-dump line, next header; or the end of the input). A mutation
//!   that changes nothing there leaves it exactly as it was.
//! - Truncating keeps every goroutine whose terminator lies before the last
//!   (possibly cut) line, the header fields of every goroutine whose header
//!   does, and adds at most one goroutine (the cut line became a header). A
//!   cut just after a frame's function line warns `truncated?`.
//! - `stacks::group` puts every goroutine in exactly one group.
//!
//! Cost: a debug build of `for_each_goroutine` spends ~9 ms per read call
//! (it zero-fills a fresh 1 MiB of buffer each time), so the properties use
//! few reads and a modest number of cases; set PROPTEST_CASES for more.
//! fuzz/ runs the same properties in depth.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use leakcheck::dump::{self, Dump, Goroutine, Warning};
use leakcheck::stacks::{self, StackFilter};
use proptest::prelude::*;
use proptest::sample::Index;

/// The fuzz targets' helpers: one definition of a parse's owned form and
/// of what a header decides.
#[path = "../fuzz/fuzz_targets/common.rs"]
mod fuzz_common;
use fuzz_common::header_fields as header;

// ---------------------------------------------------------------------------
// Fixtures

struct Fixture {
    name: String,
    text: String,
}

fn fixtures() -> &'static [Fixture] {
    static ALL: OnceLock<Vec<Fixture>> = OnceLock::new();
    ALL.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps");
        let mut out: Vec<Fixture> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "txt").then_some(path)
            })
            .map(|path| Fixture {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text: String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(out.len() > 20, "fixtures missing from {}", dir.display());
        // `decided_range` assumes no line is whitespace only (such a line
        // can be consumed and then trimmed off the end of a goroutine's text).
        for f in &out {
            assert!(
                f.text.lines().all(|l| l.is_empty() || !l.trim().is_empty()),
                "{}: whitespace-only line",
                f.name
            );
        }
        out
    })
}

/// Inputs are windows of at most this many bytes of a fixture, cut at line
/// starts: every form the fixtures hold, at a size a debug build parses in
/// well under a millisecond.
const WINDOW: usize = 6 << 10;

/// The window of `text` that `at` picks: whole lines, at most `max` bytes
/// (unless one line is longer).
fn window(text: &str, at: Index, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let b = text.as_bytes();
    let s0 = at.index(text.len() - max + 1);
    let s = memchr::memrchr(b'\n', &b[..s0]).map_or(0, |i| i + 1);
    let e0 = (s + max).min(b.len());
    let e = memchr::memrchr(b'\n', &b[s..e0]).map_or(b.len(), |i| s + i + 1);
    &text[s..e]
}

/// A window of one fixture.
fn sample(fixture: Index, at: Index) -> &'static str {
    let f = &fixtures()[fixture.index(fixtures().len())];
    window(&f.text, at, WINDOW)
}

// ---------------------------------------------------------------------------
// Helpers

/// Hands out `data` in reads that end at the given offsets (and at most
/// `buf.len()`), the first read failing with `Interrupted`.
struct Splits<'a> {
    data: &'a [u8],
    splits: Vec<usize>,
    pos: usize,
    interrupted: bool,
}

impl Read for Splits<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.interrupted {
            self.interrupted = true;
            return Err(io::ErrorKind::Interrupted.into());
        }
        let stop = self
            .splits
            .iter()
            .copied()
            .find(|&s| s > self.pos)
            .unwrap_or(self.data.len());
        let n = (stop - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

type Owned = (Vec<String>, Vec<Warning>);

/// Every field of every goroutine, plus the warnings.
fn owned(d: &Dump<'_>) -> Owned {
    fuzz_common::owned(&d.goroutines, &d.warnings)
}

/// `for_each_goroutine` with reads ending at `splits`, owned as by [`owned`].
fn streamed(bytes: &[u8], splits: Vec<usize>) -> Owned {
    fuzz_common::streamed(Splits {
        data: bytes,
        splits,
        pos: 0,
        interrupted: false,
    })
}

/// (goroutine, frame) index of every frame of `d`, for picking one.
fn frame_positions(d: &Dump<'_>) -> Vec<(usize, usize)> {
    d.goroutines
        .iter()
        .enumerate()
        .flat_map(|(gi, g)| (0..g.frames.len()).map(move |fi| (gi, fi)))
        .collect()
}

/// Where `part` starts in `whole` (it must be a slice of it).
fn offset(whole: &str, part: &str) -> usize {
    fuzz_common::offset_in(whole, part, "a parse result")
}

/// Structural invariants of any parse (fuzz/fuzz_targets/common.rs checks
/// more).
fn check_invariants(input: &str, d: &Dump<'_>) {
    let mut prev_end = 0;
    for g in &d.goroutines {
        let at = offset(input, g.text);
        assert!(at >= prev_end, "goroutine {} overlaps the previous one", g.id);
        assert!(at == 0 || input.as_bytes()[at - 1] == b'\n');
        assert!(g.text.starts_with("goroutine "));
        assert_eq!(g.text, g.text.trim_end());
        prev_end = at + g.text.len();
        for f in g.frames.iter().chain(g.ancestors.iter().flat_map(|a| a.frames.iter())) {
            assert!(!f.function.is_empty());
            offset(g.text, f.function);
            // An empty file (nothing after the tab) may sit in whitespace
            // trimmed off the end of the text.
            offset(if f.file.is_empty() { input } else { g.text }, f.file);
        }
    }
}

/// The byte range of `text` the parser read to decide goroutine `g`: from
/// the newline before its header to the end of its terminator line, newline
/// included; `None` as end: the section ran to the end of the input, so
/// anything appended may change it.
fn decided_range(text: &str, g: &Goroutine<'_>) -> (i64, Option<usize>) {
    let b = text.as_bytes();
    let start = offset(text, g.text);
    let text_end = start + g.text.len();
    let last_line_end = memchr::memchr(b'\n', &b[text_end..]).map(|i| text_end + i);
    let end = last_line_end.and_then(|le| {
        let term_start = le + 1;
        memchr::memchr(b'\n', &b[term_start..]).map(|i| term_start + i + 1)
    });
    (start as i64 - 1, end)
}

// ---------------------------------------------------------------------------
// Mutations

/// Replace original bytes `start..end` with `with`.
#[derive(Debug, Clone)]
struct Edit {
    start: usize,
    end: usize,
    with: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLines {
        at: Index,
        count: usize,
    },
    DuplicateLine {
        at: Index,
    },
    SwapLines {
        a: Index,
        b: Index,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Flip {
        at: Index,
        mask: u8,
    },
    Splice {
        other: Index,
        window: Index,
        cut: Index,
        from: Index,
    },
    ReplaceLabels {
        which: Index,
        with: String,
    },
}

fn line_starts(b: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(memchr::memchr_iter(b'\n', b).map(|i| i + 1).filter(|&i| i < b.len()));
    v
}

fn line_range(b: &[u8], starts: &[usize], i: usize) -> (usize, usize) {
    let s = starts[i];
    let e = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |j| s + j);
    (s, e) // without the newline
}

/// Label blocks of headers in `text`: the range from `{` to the `}` that
/// closes it (exclusive of what follows: `]:` or `:`).
fn label_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches('\n');
        if l.starts_with("goroutine ") {
            if let Some(i) = l.find(" labels:{") {
                if l.ends_with("}]:") {
                    out.push((pos + i + " labels:".len(), pos + l.len() - 2));
                }
            } else if let Some(i) = l.find("] {") {
                if l.ends_with("}:") {
                    out.push((pos + i + 2, pos + l.len() - 1));
                }
            }
        }
        pos += line.len();
    }
    out
}

impl Mutation {
    /// The edits, on `orig`; `Splice` also returns the other dump and the
    /// edit that turns it into the result.
    fn edits(&self, orig: &str) -> (Vec<Edit>, Option<(&'static str, Edit)>) {
        let b = orig.as_bytes();
        let starts = line_starts(b);
        match self {
            Mutation::DeleteLines { at, count } => {
                let i = at.index(starts.len());
                let s = starts[i];
                let j = (i + count).min(starts.len());
                let e = if j < starts.len() { starts[j] } else { b.len() };
                (
                    vec![Edit {
                        start: s,
                        end: e,
                        with: vec![],
                    }],
                    None,
                )
            }
            Mutation::DuplicateLine { at } => {
                let i = at.index(starts.len());
                let (s, e) = line_range(b, &starts, i);
                let mut line = b[s..e].to_vec();
                line.push(b'\n');
                let at = (e + 1).min(b.len());
                if at == b.len() && !b.ends_with(b"\n") {
                    line.insert(0, b'\n');
                    line.pop();
                }
                (
                    vec![Edit {
                        start: at,
                        end: at,
                        with: line,
                    }],
                    None,
                )
            }
            Mutation::SwapLines { a, b: other } => {
                let (i, j) = (a.index(starts.len()), other.index(starts.len()));
                if i == j {
                    return (vec![], None);
                }
                let (i, j) = (i.min(j), i.max(j));
                let (s1, e1) = line_range(b, &starts, i);
                let (s2, e2) = line_range(b, &starts, j);
                (
                    vec![
                        Edit {
                            start: s1,
                            end: e1,
                            with: b[s2..e2].to_vec(),
                        },
                        Edit {
                            start: s2,
                            end: e2,
                            with: b[s1..e1].to_vec(),
                        },
                    ],
                    None,
                )
            }
            Mutation::Insert { at, bytes } => {
                let at = at.index(b.len() + 1);
                (
                    vec![Edit {
                        start: at,
                        end: at,
                        with: bytes.clone(),
                    }],
                    None,
                )
            }
            Mutation::Flip { at, mask } => {
                if b.is_empty() {
                    return (vec![], None);
                }
                let at = at.index(b.len());
                (
                    vec![Edit {
                        start: at,
                        end: at + 1,
                        with: vec![b[at] ^ mask],
                    }],
                    None,
                )
            }
            Mutation::Splice {
                other,
                window,
                cut,
                from,
            } => {
                let other_text = sample(*other, *window);
                let o = other_text.as_bytes();
                let cut = cut.index(b.len() + 1);
                let from = from.index(o.len() + 1);
                let edit = Edit {
                    start: cut,
                    end: b.len(),
                    with: o[from..].to_vec(),
                };
                let other_edit = Edit {
                    start: 0,
                    end: from,
                    with: b[..cut].to_vec(),
                };
                (vec![edit], Some((other_text, other_edit)))
            }
            Mutation::ReplaceLabels { which, with } => {
                let blocks = label_blocks(orig);
                if blocks.is_empty() {
                    return (vec![], None);
                }
                let (s, e) = blocks[which.index(blocks.len())];
                (
                    vec![Edit {
                        start: s,
                        end: e,
                        with: with.clone().into_bytes(),
                    }],
                    None,
                )
            }
        }
    }
}

/// Applies non-overlapping `edits` (sorted here) to `orig`.
fn apply(orig: &[u8], edits: &mut [Edit]) -> Vec<u8> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = Vec::with_capacity(orig.len());
    let mut pos = 0;
    for e in edits.iter() {
        out.extend_from_slice(&orig[pos..e.start]);
        out.extend_from_slice(&e.with);
        pos = e.end;
    }
    out.extend_from_slice(&orig[pos..]);
    out
}

/// Drops edits that overlap an earlier one, so that all are on the original.
fn disjoint(edits: Vec<Edit>) -> Vec<Edit> {
    let mut kept: Vec<Edit> = Vec::new();
    for e in edits {
        let clash = kept.iter().any(|k| {
            let (a0, a1) = (k.start, k.end.max(k.start + 1));
            let (b0, b1) = (e.start, e.end.max(e.start + 1));
            a0 < b1 && b0 < a1
        });
        if !clash {
            kept.push(e);
        }
    }
    kept
}

fn touches(edit: &Edit, range: (i64, Option<usize>)) -> bool {
    let (r0, r1) = range;
    let r1 = r1.map_or(i64::MAX, |e| e as i64);
    let (a, b) = (edit.start as i64, edit.end as i64);
    if a == b {
        r0 < a && a < r1
    } else {
        a < r1 && b > r0
    }
}

/// Checks that every goroutine of `orig` that no edit touches is in
/// `mutated` (bytes; `parsed` is the parse of its lossy text) exactly as in
/// `orig`, at the place the edits moved it to.
fn check_untouched(orig: &str, edits: &[Edit], mutated: &[u8], lossy: &str, parsed: &Dump<'_>) -> usize {
    let full = dump::parse(orig);
    let by_offset: HashMap<usize, &Goroutine<'_>> =
        parsed.goroutines.iter().map(|g| (offset(lossy, g.text), g)).collect();
    let mut checked = 0;
    for g in &full.goroutines {
        let range = decided_range(orig, g);
        if edits.iter().any(|e| touches(e, range)) {
            continue;
        }
        let start = offset(orig, g.text);
        let shift: i64 = edits
            .iter()
            .filter(|e| e.start < start)
            .map(|e| e.with.len() as i64 - (e.end - e.start) as i64)
            .sum();
        let at_bytes = (start as i64 + shift) as usize;
        // Offsets in the lossy text: the prefix ends at a line start, so
        // converting it alone gives the lossy text's own prefix.
        let at = String::from_utf8_lossy(&mutated[..at_bytes]).len();
        let got = by_offset.get(&at).unwrap_or_else(|| {
            panic!(
                "untouched goroutine {} (offset {start}, now {at}) not parsed from the mutated dump",
                g.id
            )
        });
        assert_eq!(*got, g, "untouched goroutine {} parses differently", g.id);
        checked += 1;
    }
    checked
}

/// No panic, invariants, streaming (reads ending at `splits`) equals in
/// memory, and (if `group`) `stacks::group` counts add up.
fn check_input(bytes: &[u8], splits: Vec<usize>, group: bool) -> String {
    let lossy = String::from_utf8_lossy(bytes).into_owned();
    let d = dump::parse(&lossy);
    check_invariants(&lossy, &d);
    let stream = streamed(bytes, splits);
    assert_eq!(stream, owned(&d), "streaming and in-memory parsing disagree");
    if group {
        let grouped = stacks::group(bytes, &StackFilter::default()).unwrap();
        assert_eq!(grouped.groups.iter().map(|g| g.count).sum::<usize>(), grouped.kept);
        assert_eq!(grouped.kept, d.goroutines.len());
        assert_eq!(grouped.goroutines, d.goroutines.len());
        assert_eq!(grouped.warnings.len(), d.warnings.len());
    }
    lossy
}

// ---------------------------------------------------------------------------
// Strategies

fn insert_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 1..24),
        1 => Just(b"\r".to_vec()),
        1 => Just(b"\0".to_vec()),
        1 => Just(b"\n".to_vec()),
        1 => Just(b"\n\n".to_vec()),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(vec![0xff]),
        1 => Just(vec![0xe2, 0x82]),
        1 => Just(vec![0xf0, 0x9f, 0x98]),
        1 => (1usize..80_000).prop_map(|n| vec![b'x'; n]),
        1 => (1usize..20_000).prop_map(|n| b"(".repeat(n)),
        1 => Just(b"goroutine 1 [".to_vec()),
        1 => Just(b"goroutine 77 [running]:\n".to_vec()),
        1 => Just(b"created by ".to_vec()),
        1 => Just(b"[originating from goroutine ".to_vec()),
        1 => Just(b"...".to_vec()),
        1 => Just(b"\t".to_vec()),
        1 => Just(b")".to_vec()),
        1 => Just(b"{\"".to_vec()),
        1 => Just(b"labels:{".to_vec()),
    ]
}

fn label_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[{}\\[\\]\":, \\\\a-z0-9uxU]{0,40}",
        "\\PC{0,20}",
        Just(String::new()),
        Just("{".to_string()),
        Just("{\"a\": \"b".to_string()),
        Just("{a: \\".to_string()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => (any::<Index>(), 1usize..4).prop_map(|(at, count)| Mutation::DeleteLines { at, count }),
        2 => any::<Index>().prop_map(|at| Mutation::DuplicateLine { at }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        3 => (any::<Index>(), insert_bytes()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<Index>(), 1u8..=255).prop_map(|(at, mask)| Mutation::Flip { at, mask }),
        1 => (any::<Index>(), any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(other, window, cut, from)| Mutation::Splice { other, window, cut, from }),
        2 => (any::<Index>(), label_text()).prop_map(|(which, with)| Mutation::ReplaceLabels { which, with }),
    ]
}

/// Where a read ends: anywhere, or next to a blank line (`\n\n` + -1..=2),
/// where the streaming parser cuts.
#[derive(Debug, Clone)]
struct Split {
    at: Index,
    near_blank: Option<u8>,
}

fn splits() -> impl Strategy<Value = Vec<Split>> {
    prop::collection::vec(
        (any::<Index>(), prop::option::of(0u8..4)).prop_map(|(at, near_blank)| Split { at, near_blank }),
        0..3,
    )
}

fn resolve(splits: &[Split], b: &[u8]) -> Vec<usize> {
    let blanks: Vec<usize> = memchr::memmem::find_iter(b, b"\n\n").collect();
    let mut out: Vec<usize> = splits
        .iter()
        .map(|s| match s.near_blank {
            Some(d) if !blanks.is_empty() => (blanks[s.at.index(blanks.len())] + usize::from(d)).saturating_sub(1),
            _ => s.at.index(b.len() + 1),
        })
        .filter(|&p| p > 0 && p < b.len())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        max_shrink_iters: 1024,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(256))]

    /// Line edits, inserted bytes (invalid UTF-8, `\r`, NUL, long lines),
    /// flipped bytes, spliced dumps and replaced label blocks: no panic,
    /// streaming equals in memory, untouched goroutines unchanged, groups
    /// add up.
    #[test]
    fn mutated_dumps(
        fixture in any::<Index>(),
        at in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
        splits in splits(),
        group in prop::bool::weighted(0.25),
    ) {
        let orig = sample(fixture, at);
        let mut edits = Vec::new();
        let mut spliced = None;
        for m in &mutations {
            let (e, other) = m.edits(orig);
            edits.extend(e);
            spliced = spliced.or(other);
        }
        let mut edits = disjoint(edits);
        let bytes = apply(orig.as_bytes(), &mut edits);
        let lossy = check_input(&bytes, resolve(&splits, &bytes), group);
        let parsed = dump::parse(&lossy);
        check_untouched(orig, &edits, &bytes, &lossy, &parsed);
        // A splice alone: the other dump's goroutines after the splice
        // point are untouched too.
        if let (Some((other, other_edit)), 1) = (spliced, mutations.len()) {
            check_untouched(other, &[other_edit], &bytes, &lossy, &parsed);
        }
    }

    /// Truncation at any byte: what was settled before the cut is kept
    /// exactly, headers before the last line are kept, at most one
    /// goroutine is added (the cut line became a header).
    #[test]
    fn truncated_dumps(
        fixture in any::<Index>(),
        at in any::<Index>(),
        cut in any::<Index>(),
        splits in splits(),
        group in prop::bool::weighted(0.25),
    ) {
        let orig = sample(fixture, at);
        let cut = cut.index(orig.len() + 1);
        let bytes = &orig.as_bytes()[..cut];
        let lossy = check_input(bytes, resolve(&splits, bytes), group);
        let trunc = dump::parse(&lossy);
        let full = dump::parse(orig);
        // Start of the last line, which the cut may have changed; the lines
        // before it are whole and unchanged.
        let last_line = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
        let before: Vec<&Goroutine<'_>> =
            full.goroutines.iter().filter(|g| offset(orig, g.text) < last_line).collect();
        let n = before.len();
        prop_assert!(
            trunc.goroutines.len() == n || trunc.goroutines.len() == n + 1,
            "{} goroutines after the cut at {cut}, {n} headers before it", trunc.goroutines.len()
        );
        if trunc.goroutines.len() == n + 1 {
            prop_assert_eq!(offset(&lossy, trunc.goroutines[n].text), last_line);
        }
        for (i, g) in before.iter().enumerate() {
            let t = &trunc.goroutines[i];
            prop_assert_eq!(header(t), header(g));
            let (_, end) = decided_range(orig, g);
            // settled: the terminator line starts before the last line
            let settled = end.is_some_and(|e| orig[..e - 1].rfind('\n').map_or(0, |j| j + 1) < last_line);
            // Headers always end the section before them, so only the last
            // goroutine before the cut can be unsettled.
            prop_assert!(settled || i + 1 == n, "goroutine {} before the cut not settled", g.id);
            if settled {
                prop_assert_eq!(t, *g);
            }
        }
    }

    /// A dump cut right after a frame's function line (with or without its
    /// newline) keeps the frames before it and warns that it is truncated.
    #[test]
    fn cut_after_a_function_line_warns(
        fixture in any::<Index>(),
        at in any::<Index>(),
        which in any::<Index>(),
        newline in any::<bool>(),
    ) {
        let orig = sample(fixture, at);
        let full = dump::parse(orig);
        let frames = frame_positions(&full);
        prop_assume!(!frames.is_empty());
        let (gi, fi) = frames[which.index(frames.len())];
        let g = &full.goroutines[gi];
        let frame = &g.frames[fi];
        let call_end = offset(orig, frame.args) + frame.args.len() + 1;
        prop_assert_eq!(&orig[call_end - 1..call_end], ")");
        let cut = call_end + usize::from(newline && orig.as_bytes().get(call_end) == Some(&b'\n'));
        let text = &orig[..cut];
        let d = dump::parse(text);
        let t = d.goroutines.last().expect("the cut goroutine is gone");
        prop_assert_eq!(header(t), header(g));
        prop_assert_eq!(&t.frames[..], &g.frames[..fi]);
        prop_assert!(
            d.warnings.iter().any(|w| w.goroutine == g.id && w.message.contains("truncated")),
            "no truncation warning: {:?}", d.warnings
        );
        prop_assert_eq!(streamed(text.as_bytes(), vec![]), owned(&d));
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// A dump cut anywhere inside a frame (after the first byte of its
    /// function line, before the newline that ends its location line), as
    /// `runtime.Stack` with a full buffer cuts it, must say it is truncated.
    /// Today only a cut at the end of the function line does: a cut inside
    /// the function line drops the frame silently (the partial line is not
    /// a call, so it ends the section as non-dump text), and a cut inside
    /// the location line keeps a frame with a wrong line (`x.go:12` for
    /// `x.go:123`) or an empty file, silently.
    #[test]
    fn cut_inside_a_frame_warns(
        fixture in any::<Index>(),
        at in any::<Index>(),
        which in any::<Index>(),
        pos in any::<Index>(),
    ) {
        let orig = sample(fixture, at);
        let full = dump::parse(orig);
        let frames = frame_positions(&full);
        prop_assume!(!frames.is_empty());
        let (gi, fi) = frames[which.index(frames.len())];
        let g = &full.goroutines[gi];
        let frame = &g.frames[fi];
        let start = offset(orig, frame.function);
        let file = offset(orig, frame.file);
        let loc_end = memchr::memchr(b'\n', &orig.as_bytes()[file..]).map_or(orig.len(), |i| file + i);
        let cut = start + 1 + pos.index(loc_end - start - 1);
        let bytes = &orig.as_bytes()[..cut];
        let text = String::from_utf8_lossy(bytes);
        let d = dump::parse(&text);
        prop_assert!(
            d.warnings.iter().any(|w| w.goroutine == g.id && w.message.contains("truncated")),
            "cut at {:?}: no truncation warning for goroutine {} (warnings {:?})",
            &text[text.len().saturating_sub(60)..], g.id, d.warnings
        );
    }
}

// ---------------------------------------------------------------------------
// Deterministic edge cases

/// parse, invariants, stream in one read and in small reads, group.
fn all_ways(bytes: &[u8]) -> Owned {
    let splits: Vec<usize> = (1..4).map(|i| i * bytes.len() / 4).filter(|&p| p > 0).collect();
    let lossy = check_input(bytes, splits, true);
    let whole = owned(&dump::parse(&lossy));
    assert_eq!(streamed(bytes, vec![]), whole);
    whole
}

#[test]
fn empty_and_blank_inputs() {
    for input in ["", "\n", "\n\n\n", "\r\n\r\n", " \t \n"] {
        let (gs, ws) = all_ways(input.as_bytes());
        assert!(gs.is_empty() && ws.is_empty(), "{input:?}");
    }
}

#[test]
fn ten_megabyte_single_line() {
    let line = "x".repeat(10 << 20);
    let d = dump::parse(&line);
    assert!(d.goroutines.is_empty() && d.warnings.is_empty());
    assert_eq!(streamed(line.as_bytes(), vec![]), owned(&d));
    // Header-shaped, 10 MB: one goroutine with a 10 MB state.
    let text = format!("goroutine 1 [{line}]:\nmain.main()\n\t/x.go:1 +0x1\n");
    let d = dump::parse(&text);
    assert_eq!(d.goroutines.len(), 1);
    assert_eq!(d.goroutines[0].state.len(), 10 << 20);
    assert_eq!(d.goroutines[0].frames.len(), 1);
    assert_eq!(streamed(text.as_bytes(), vec![]), owned(&d));
}

#[test]
fn huge_goroutine_id() {
    let text = "goroutine 18446744073709551615 [running]:\nmain.main()\n\t/x.go:1 +0x1\n\n\
                goroutine 18446744073709551616 [select]:\nmain.f()\n\t/x.go:2 +0x1\n\n\
                goroutine 99999999999999999999999999999999 [select]:\nmain.f()\n\t/x.go:2 +0x1\n\n\
                goroutine 3 [chan receive]:\nmain.g()\n\t/x.go:3 +0x1\n";
    let d = dump::parse(text);
    let ids: Vec<u64> = d.goroutines.iter().map(|g| g.id).collect();
    assert_eq!(ids, [u64::MAX, 3]);
    // Ids past u64 are unreadable headers: warned about, not guessed.
    assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
    assert!(d.warnings.iter().all(|w| w.message.contains("unreadable header")));
    all_ways(text.as_bytes());
}

#[test]
fn unclosed_state_bracket() {
    for text in [
        "goroutine 1 [",
        "goroutine 1 [\nmain.main()\n\t/x.go:1 +0x1\n",
        "goroutine 1 [running:\nmain.main()\n\t/x.go:1 +0x1\n",
        "goroutine 1 [:",
        "goroutine 1 [[[[[:",
        "goroutine 1 ]:[",
    ] {
        let d = dump::parse(text);
        assert!(d.goroutines.is_empty(), "{text:?}: {:?}", d.goroutines);
        all_ways(text.as_bytes());
    }
    // Header-shaped (ends with `:`, has `[`) but no `]`: warned about.
    let d = dump::parse("goroutine 1 [running:\nmain.main()\n\t/x.go:1 +0x1\n");
    assert!(d.warnings[0].message.contains("unreadable header"));
}

#[test]
fn unclosed_label_blocks() {
    // No panic; the goroutine is either kept or named in a warning. (Today
    // the Go 1.26 form with a broken block is an unreadable header: the
    // goroutine and its stack are dropped, with a warning. The Go 1.27 form
    // keeps the goroutine and reads what labels it can, silently.)
    for header in [
        r#"goroutine 5 [select labels:{"a": "b]:"#,
        r#"goroutine 5 [select labels:{"a": "b"]:"#,
        r#"goroutine 5 [select labels:{"a": "b\"}]:"#,
        r#"goroutine 5 [select labels:{]:"#,
        r#"goroutine 5 [select] {a: "b:"#,
        r#"goroutine 5 [select] {a: b:"#,
        r#"goroutine 5 [select] {"a\:"#,
        r#"goroutine 5 [select] {:"#,
        r#"goroutine 5 [select] {\u12:"#,
        r#"goroutine 5 [select] {"\U0011ffff": "\x"}:"#,
    ] {
        let text = format!("{header}\nmain.f()\n\t/x.go:1 +0x1\n\ngoroutine 6 [select]:\nmain.g()\n\t/x.go:2 +0x1\n");
        let d = dump::parse(&text);
        let kept = d
            .goroutines
            .iter()
            .any(|g| g.id == 5 && g.state == "select" && g.frames.len() == 1);
        let warned = d.warnings.iter().any(|w| w.message.contains("goroutine 5"));
        assert!(kept || warned, "{header}: {d:?}");
        assert!(d.goroutines.iter().any(|g| g.id == 6), "{header}");
        all_ways(text.as_bytes());
    }
}

#[test]
fn deeply_nested_parentheses_in_args() {
    let n = 200_000;
    let text = format!(
        "goroutine 1 [running]:\nmain.f({}{})\n\t/x.go:1 +0x1\nmain.g{}\n\t/x.go:2\nmain.h({}\n\t/x.go:3\n",
        "(".repeat(n),
        ")".repeat(n),
        ")".repeat(n),
        "(".repeat(n)
    );
    let d = dump::parse(&text);
    assert_eq!(d.goroutines.len(), 1);
    let g = &d.goroutines[0];
    assert_eq!(g.frames[0].function, "main.f");
    assert_eq!(g.frames[0].args.len(), 2 * n);
    assert_eq!(streamed(text.as_bytes(), vec![]), owned(&d));
}

#[test]
fn megabyte_frame_lines() {
    let name = format!("main.{}", "a".repeat(1 << 20));
    let path = format!("/{}/x.go", "p:1 ".repeat(1 << 18));
    let text = format!(
        "goroutine 1 [running]:\n{name}(0x1)\n\t{path}:12 +0x1\nmain.g(...)\n\t{}\n",
        ":1".repeat(1 << 19)
    );
    let start = Instant::now();
    let d = dump::parse(&text);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "1 MB lines took {:?}",
        start.elapsed()
    );
    let g = &d.goroutines[0];
    assert_eq!(g.frames[0].function, name);
    assert_eq!((g.frames[0].file, g.frames[0].line), (path.as_str(), 12));
    assert_eq!(g.frames[1].line, 1);
    assert_eq!(streamed(text.as_bytes(), vec![]), owned(&d));
}

#[test]
fn crlf_dumps_parse_as_lf() {
    for f in fixtures() {
        let crlf = f.text.replace('\n', "\r\n");
        let lf = dump::parse(&f.text);
        let cr = dump::parse(&crlf);
        assert_eq!(cr.goroutines.len(), lf.goroutines.len(), "{}", f.name);
        assert_eq!(cr.warnings, lf.warnings, "{}", f.name);
        for (a, b) in cr.goroutines.iter().zip(&lf.goroutines) {
            assert_eq!(a.text.replace("\r\n", "\n"), b.text, "{}", f.name);
            let mut a = a.clone();
            a.text = b.text;
            assert_eq!(&a, b, "{}", f.name);
        }
        assert_eq!(streamed(crlf.as_bytes(), vec![]), owned(&cr), "{}", f.name);
    }
}

/// `for_each_goroutine` promises to hold one goroutine at a time (plus a
/// read buffer). It cuts the input at `\n\n` only, so a CRLF dump (blank
/// lines are `\r\n\r\n`) is held whole and parsed only at end of input,
/// and every read rescans the whole buffer (quadratic in the input).
#[test]
fn crlf_dumps_stream() {
    let f = fixtures().iter().find(|f| f.name == "go1.27.3-sigquit.txt").unwrap();
    let crlf = f.text.replace('\n', "\r\n").repeat(20); // ~1.6 MB
    struct Counting<'a>(&'a [u8], usize);
    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(64 << 10);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            self.1 += n;
            Ok(n)
        }
    }
    let reader = std::cell::RefCell::new(Counting(crlf.as_bytes(), 0));
    struct Shared<'r, 'a>(&'r std::cell::RefCell<Counting<'a>>);
    impl Read for Shared<'_, '_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.borrow_mut().read(buf)
        }
    }
    let mut read_at_first = None;
    dump::for_each_goroutine(Shared(&reader), |_| {
        read_at_first.get_or_insert(reader.borrow().1);
    })
    .unwrap();
    let read_at_first = read_at_first.unwrap();
    assert!(
        read_at_first <= 256 << 10,
        "first goroutine of a CRLF dump delivered only after {read_at_first} of {} bytes were read",
        crlf.len()
    );
}

/// `go test` output where a dump went through `t.Log`: the first line
/// behind `file:line: `, the others indented by 8 spaces.
const INDENTED: &str = "=== RUN   TestX\n    x_test.go:12: goroutine 1 [running]:\n        main.main()\n        \t/x.go:3 +0x1\n        \n        goroutine 7 [chan receive]:\n        main.worker()\n        \t/x.go:9 +0x1\n        created by main.main in goroutine 1\n        \t/x.go:4 +0x2\n--- FAIL: TestX (0.00s)\n";

#[test]
fn indented_dump_in_go_test_output() {
    // Not supported (README, Limits): a dump re-indented by t.Log or a log
    // viewer is not recognised. It must still read safely.
    let (gs, ws) = all_ways(INDENTED.as_bytes());
    assert!(gs.is_empty() && ws.is_empty());
    // 4 spaces on every line, as some CI log viewers copy it.
    let four: String = INDENTED.lines().map(|l| format!("    {l}\n")).collect();
    all_ways(four.as_bytes());
}

#[test]
fn nul_and_control_bytes() {
    all_ways(b"goroutine 1 [run\0ning]:\nmain.\0f(\0)\n\t/x\0.go:1 +0x1\n\x00\n\x1b[31mgoroutine 2 [x]:\n");
}
