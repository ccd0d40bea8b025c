//! `leakcheck stacks` on input that is not a dump as Go prints it: no
//! newline at all, a line or a goroutine section of megabytes, thousands of
//! warnings. Memory must stay bounded by a fixed buffer (asserted on
//! `StreamStats::max_buffer`, the streaming buffer's largest capacity; no
//! timing here), the goroutine around an enormous line must keep its other
//! lines, and each line or section over the limits costs one warning.

use std::io::{self, Read};
use std::path::PathBuf;
use std::process::Command;

use leakcheck::dump::{self, Limits, StreamStats, Warning};
use leakcheck::stacks::{self, StackFilter, MAX_WARNINGS};

const TWENTY_MB: usize = 20 << 20;

/// Hands out `data` in reads of at most `size` bytes.
struct Reads<'a> {
    data: &'a [u8],
    size: usize,
}

impl Read for Reads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.size).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A goroutine as (id, its frames' functions, its creator).
type Short = (u64, Vec<String>, Option<String>);

/// A limited stream of `input` in reads of `size` bytes.
fn stream(input: &[u8], limits: Limits, size: usize) -> (Vec<Short>, Vec<Warning>, StreamStats) {
    let mut goroutines = Vec::new();
    let mut warnings = Vec::new();
    let stats = dump::for_each_goroutine_limited(
        Reads { data: input, size },
        limits,
        |g| {
            goroutines.push((
                g.id,
                g.frames.iter().map(|f| f.function.to_string()).collect(),
                g.created_by.as_ref().map(|c| c.function.to_string()),
            ))
        },
        |w| warnings.push(w),
    )
    .unwrap();
    (goroutines, warnings, stats)
}

fn short(id: u64, frames: &[&str], created_by: Option<&str>) -> Short {
    (
        id,
        frames.iter().map(|f| f.to_string()).collect(),
        created_by.map(str::to_string),
    )
}

/// The input's text held never grew with the input.
fn assert_bounded(stats: &StreamStats, limits: Limits) {
    assert!(
        stats.max_buffer <= limits.max_buffer(),
        "buffer grew to {} bytes, over {}",
        stats.max_buffer,
        limits.max_buffer()
    );
    assert!(stats.max_buffer < 2 << 20, "buffer grew to {} bytes", stats.max_buffer);
}

#[test]
fn twenty_megabytes_without_a_newline() {
    let input = vec![b'x'; TWENTY_MB];
    let d = stacks::group(&input[..], &StackFilter::default()).unwrap();
    assert_eq!((d.goroutines, d.groups.len()), (0, 0));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.stream.bytes, TWENTY_MB as u64);
    assert_bounded(&d.stream, Limits::DEFAULT);
    // Text that cannot be a goroutine header is dropped as it streams, even
    // without limits.
    let (gs, ws, stats) = stream(&input, Limits::NONE, usize::MAX);
    assert!(gs.is_empty() && ws.is_empty());
    assert_bounded(&stats, Limits::DEFAULT);
    assert_eq!(stats.long_lines, 0, "text outside goroutines is not counted");

    // Header-shaped, no newline: not a header (no `:` at its end), nothing
    // to say; with the `]:`, a goroutine skipped, with one warning.
    let mut header = b"goroutine 1 [".to_vec();
    header.extend_from_slice(&input);
    let (gs, ws, stats) = stream(&header, Limits::DEFAULT, usize::MAX);
    assert!(gs.is_empty() && ws.is_empty(), "{gs:?} {ws:?}");
    assert_eq!(stats.long_lines, 1);
    assert_bounded(&stats, Limits::DEFAULT);
    header.extend_from_slice(b"]:");
    let (gs, ws, stats) = stream(&header, Limits::DEFAULT, usize::MAX);
    assert!(gs.is_empty());
    assert_eq!(ws.len(), 1, "{ws:?}");
    assert_eq!(ws[0].goroutine, 1);
    assert!(ws[0].message.contains("skipped this goroutine"), "{}", ws[0]);
    assert_bounded(&stats, Limits::DEFAULT);
}

#[test]
fn cli_on_twenty_megabytes_without_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("noline.txt");
    std::fs::write(&path, vec![b'x'; TWENTY_MB]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leakcheck"))
        .arg("stacks")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0 goroutines in 0 groups\n");
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_line_of_twenty_megabytes_at_the_end_of_a_goroutine() {
    let mut input = b"goroutine 1 [running]:\nmain.a()\n\t/x.go:1 +0x1\nmain.b()\n\t/x.go:2 +0x1\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', TWENTY_MB));
    let (gs, ws, stats) = stream(&input, Limits::DEFAULT, usize::MAX);
    assert_eq!(gs, [short(1, &["main.a", "main.b"], None)]);
    assert_eq!(ws.len(), 1, "{ws:?}");
    assert_eq!(ws[0].goroutine, 1);
    assert!(
        ws[0]
            .message
            .starts_with("skipped a line of 20971520 bytes, over the 256 KiB limit: `xxx"),
        "{}",
        ws[0]
    );
    assert_eq!(stats.long_lines, 1);
    assert_bounded(&stats, Limits::DEFAULT);
}

#[test]
fn an_enormous_frame_line_keeps_the_goroutines_other_frames() {
    for eol in ["\n", "\r\n"] {
        let mut input =
            format!("goroutine 1 [chan receive]:{eol}main.a(){eol}\t/x.go:1 +0x1{eol}main.huge(").into_bytes();
        input.extend(std::iter::repeat_n(b'x', TWENTY_MB));
        input.extend(
            format!(
                "){eol}\t/x.go:2 +0x1{eol}main.b(...){eol}\t/x.go:3{eol}created by main.c in goroutine 1{eol}\t/x.go:4 +0x1{eol}{eol}\
                 goroutine 2 [select]:{eol}main.d(){eol}\t/x.go:5 +0x1{eol}"
            )
            .bytes(),
        );
        let (gs, ws, stats) = stream(&input, Limits::DEFAULT, usize::MAX);
        assert_eq!(
            gs,
            [
                short(1, &["main.a", "main.b"], Some("main.c")),
                short(2, &["main.d"], None)
            ],
            "{eol:?}"
        );
        assert_eq!(ws.len(), 1, "{ws:?}");
        assert_eq!(ws[0].goroutine, 1);
        assert!(ws[0].message.contains("`main.huge(xxx"), "{}", ws[0]);
        assert_bounded(&stats, Limits::DEFAULT);

        // The same through `leakcheck stacks`: two groups, one warning.
        let d = stacks::group(&input[..], &StackFilter::default()).unwrap();
        assert_eq!((d.goroutines, d.groups.len(), d.warnings.len()), (2, 2, 1));
    }
}

#[test]
fn an_enormous_header_skips_only_its_goroutine() {
    let mut input = b"goroutine 1 [select]:\nmain.a()\n\t/x.go:1 +0x1\ngoroutine 2 [".to_vec();
    input.extend(std::iter::repeat_n(b'x', TWENTY_MB));
    input.extend_from_slice(b"]:\nmain.b()\n\t/x.go:2 +0x1\n\ngoroutine 3 [select]:\nmain.c()\n\t/x.go:3 +0x1\n");
    let (gs, ws, stats) = stream(&input, Limits::DEFAULT, usize::MAX);
    assert_eq!(gs, [short(1, &["main.a"], None), short(3, &["main.c"], None)]);
    assert_eq!(ws.len(), 1, "{ws:?}");
    assert_eq!(ws[0].goroutine, 2);
    assert!(
        ws[0]
            .message
            .starts_with("skipped this goroutine: its header line has 20971535 bytes, over the 256 KiB limit"),
        "{}",
        ws[0]
    );
    assert_bounded(&stats, Limits::DEFAULT);
}

#[test]
fn an_enormous_section_is_cut_with_one_warning() {
    let header = "goroutine 1 [running]:\n";
    let frame = "main.f(0x1)\n\t/x.go:1 +0x1\n";
    let n = (4 << 20) / frame.len();
    let mut input = header.to_string();
    input.push_str(&frame.repeat(n));
    input.push_str("\ngoroutine 2 [select]:\nmain.g()\n\t/x.go:2 +0x1\n");
    let limits = Limits::DEFAULT;
    let (gs, ws, stats) = stream(input.as_bytes(), limits, usize::MAX);
    // Cut after the last whole frame that fits.
    let kept = (limits.max_section - header.len()) / frame.len();
    assert_eq!(gs.len(), 2);
    assert_eq!(gs[0].1.len(), kept);
    assert_eq!(gs[1], short(2, &["main.g"], None));
    assert_eq!(ws.len(), 1, "{ws:?}");
    assert_eq!(ws[0].goroutine, 1);
    assert_eq!(
        ws[0].message,
        format!(
            "section over the 1 MiB limit: read its first {} bytes, skipped the rest",
            header.len() + kept * frame.len()
        )
    );
    assert_eq!(stats.cut_sections, 1);
    assert_bounded(&stats, limits);
}

#[test]
fn warnings_are_bounded_and_counted() {
    // 1,000 goroutines, each with a frame that has no location.
    let input: String = (1..=1000)
        .map(|i| format!("goroutine {i} [select]:\nmain.f(0x1)\n\n"))
        .collect();
    let d = stacks::group(input.as_bytes(), &StackFilter::default()).unwrap();
    assert_eq!(d.goroutines, 1000);
    assert_eq!(d.warnings.len(), 1000);
    assert_eq!(d.warnings.shown().len(), MAX_WARNINGS);
    assert_eq!(d.warnings.omitted(), 1000 - MAX_WARNINGS);
    assert_eq!(d.warnings.shown()[0], "goroutine 1: frame `main.f` has no file:line");
    let mut text = Vec::new();
    stacks::write_text(&mut text, &d).unwrap();
    let text = String::from_utf8(text).unwrap();
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), MAX_WARNINGS + 1, "{text}");
    assert_eq!(
        warnings[MAX_WARNINGS],
        format!("warning: 900 more not shown (only the first {MAX_WARNINGS} are)")
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["warnings"].as_array().unwrap().len(), MAX_WARNINGS);
    assert_eq!(json["warnings_omitted"], 900);

    // One cut section full of such frames: the cut is the first warning
    // shown, not lost behind its own goroutine's.
    let mut input = "goroutine 7 [running]:\n".to_string();
    input.push_str(&"main.f(0x1)\n".repeat((2 << 20) / 12));
    let d = stacks::group(input.as_bytes(), &StackFilter::default()).unwrap();
    assert_eq!(d.goroutines, 1);
    assert!(d.warnings.len() > 80_000);
    assert_eq!(d.warnings.shown().len(), MAX_WARNINGS);
    assert!(
        d.warnings.shown()[0].starts_with("goroutine 7: section over the 1 MiB limit"),
        "{}",
        d.warnings.shown()[0]
    );
    assert_bounded(&d.stream, Limits::DEFAULT);
}

/// Real dumps with every 5th line made longer than a small `max_line` and
/// sections cut by a small `max_section`: whatever the read sizes, the
/// same goroutines and warnings, and every section within its limit.
#[test]
fn limits_do_not_depend_on_read_sizes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps");
    let limits = Limits {
        max_line: 100,
        max_section: 2000,
    };
    for name in ["go1.26.8-states.txt", "go1.22.12-ancestors.txt", "go1.27.3-sigquit.txt"] {
        let text = std::fs::read(dir.join(name)).unwrap();
        let mut input = Vec::new();
        for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
            if i % 5 == 3 && line.len() > 1 {
                input.extend_from_slice(&line[..line.len() - 1]);
                input.extend(std::iter::repeat_n(b'y', 150));
                input.push(b'\n');
            } else {
                input.extend_from_slice(line);
            }
        }
        let (gs, ws, stats) = stream(&input, limits, usize::MAX);
        assert!(!gs.is_empty(), "{name}");
        assert!(stats.long_lines > 0 && !ws.is_empty(), "{name}");
        for size in [1, 7, 100, 101, 4096] {
            let (gs2, ws2, stats2) = stream(&input, limits, size);
            assert_eq!(gs2, gs, "{name}, reads of {size}");
            assert_eq!(ws2, ws, "{name}, reads of {size}");
            assert_eq!(
                (stats2.long_lines, stats2.cut_sections),
                (stats.long_lines, stats.cut_sections),
                "{name}, reads of {size}"
            );
        }
        let mut sections = Vec::new();
        dump::for_each_goroutine_limited(&input[..], limits, |g| sections.push(g.text.len()), |_| {}).unwrap();
        assert!(
            sections.iter().all(|&n| n <= limits.max_section),
            "{name}: {sections:?}"
        );
    }
}

/// Below the limits, limited streaming is plain streaming: every fixture.
#[test]
fn real_dumps_stay_within_the_default_limits() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut whole = Vec::new();
        let warnings = dump::for_each_goroutine(&bytes[..], |g| whole.push(format!("{g:?}"))).unwrap();
        let mut limited = Vec::new();
        let mut limited_warnings = Vec::new();
        let stats = dump::for_each_goroutine_limited(
            &bytes[..],
            Limits::DEFAULT,
            |g| limited.push(format!("{g:?}")),
            |w| limited_warnings.push(w),
        )
        .unwrap();
        assert_eq!(limited, whole, "{}", path.display());
        assert_eq!(limited_warnings, warnings, "{}", path.display());
        assert_eq!((stats.long_lines, stats.cut_sections), (0, 0), "{}", path.display());
    }
}

mod props {
    use proptest::prelude::*;
    use proptest::sample::Index;

    use super::*;

    fn fixtures() -> &'static [Vec<u8>] {
        static ALL: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dumps");
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect();
            paths.sort();
            paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
        })
    }

    const LIMITS: Limits = Limits {
        max_line: 120,
        max_section: 1500,
    };

    /// Up to `max` bytes of a fixture from a line start, with runs of
    /// `fill` inserted at `inserts` (which may make lines or sections too
    /// long).
    fn input(fixture: Index, at: Index, max: usize, inserts: &[(Index, usize, u8)]) -> Vec<u8> {
        let f = &fixtures()[fixture.index(fixtures().len())];
        let s0 = at.index(f.len());
        let s = memchr::memrchr(b'\n', &f[..s0]).map_or(0, |i| i + 1);
        let mut out = f[s..(s + max).min(f.len())].to_vec();
        for &(pos, n, fill) in inserts {
            let p = pos.index(out.len() + 1);
            out.splice(p..p, std::iter::repeat_n(fill, n));
        }
        out
    }

    fn fill() -> impl Strategy<Value = u8> {
        prop_oneof![Just(b'x'), Just(b'['), Just(b':'), Just(b'\t'), Just(b'('), Just(b'\n')]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: std::env::var("PROPTEST_CASES")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(128),
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn limited_streaming_is_bounded_and_independent_of_read_sizes(
            fixture in any::<Index>(),
            at in any::<Index>(),
            inserts in prop::collection::vec((any::<Index>(), 1usize..400, fill()), 0..4),
            size in 1usize..300,
        ) {
            let bytes = input(fixture, at, 6000, &inserts);
            let (gs, ws, stats) = stream(&bytes, LIMITS, usize::MAX);
            let (gs2, ws2, stats2) = stream(&bytes, LIMITS, size);
            prop_assert_eq!(&gs2, &gs);
            prop_assert_eq!(&ws2, &ws);
            prop_assert_eq!((stats2.long_lines, stats2.cut_sections), (stats.long_lines, stats.cut_sections));
            prop_assert!(stats.max_buffer <= LIMITS.max_buffer());
            let mut longest = 0;
            dump::for_each_goroutine_limited(&bytes[..], LIMITS, |g| {
                longest = longest.max(g.text.len());
                for f in &g.frames {
                    assert!(f.function.len() <= LIMITS.max_line && f.file.len() <= LIMITS.max_line);
                }
            }, |_| {}).unwrap();
            prop_assert!(longest <= LIMITS.max_section, "a section of {} bytes", longest);
        }

        /// Under the limits (no line over `max_line`, less input than
        /// `max_section`), exactly what `parse` gives.
        #[test]
        fn under_the_limits_limited_streaming_is_parsing(
            fixture in any::<Index>(),
            at in any::<Index>(),
            inserts in prop::collection::vec((any::<Index>(), 1usize..100, fill()), 0..3),
            size in 1usize..300,
        ) {
            let bytes = input(fixture, at, LIMITS.max_section - 400, &inserts);
            // Lines clipped to `max_line`.
            let bytes: Vec<u8> = bytes
                .split_inclusive(|&b| b == b'\n')
                .flat_map(|l| {
                    let nl = l.ends_with(b"\n");
                    let body = &l[..l.len() - usize::from(nl)];
                    let mut out = body[..body.len().min(LIMITS.max_line)].to_vec();
                    out.extend(nl.then_some(b'\n'));
                    out
                })
                .collect();
            let lossy = String::from_utf8_lossy(&bytes);
            let d = dump::parse(&lossy);
            let mut gs = Vec::new();
            let mut ws = Vec::new();
            let stats = dump::for_each_goroutine_limited(
                Reads { data: &bytes, size },
                LIMITS,
                |g| gs.push(format!("{g:?}")),
                |w| ws.push(w),
            ).unwrap();
            let want: Vec<String> = d.goroutines.iter().map(|g| format!("{g:?}")).collect();
            prop_assert_eq!(gs, want);
            prop_assert_eq!(ws, d.warnings);
            prop_assert_eq!((stats.long_lines, stats.cut_sections), (0, 0));
        }
    }
}
