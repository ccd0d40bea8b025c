//! Streaming (`for_each_goroutine`, fed in fuzzer-chosen read sizes, with
//! `Interrupted` errors in between) must give exactly what `parse` gives on
//! the lossy text: the same goroutines, every field, and the same warnings.
//!
//! Input layout: one byte N (mod 16), N little-endian u16 read sizes (see
//! `common::ReadSize::from_u16`: a byte count, or "up to the next blank
//! line, plus 0..=3"), a u16 mask of reads that fail with `Interrupted`,
//! then the dump. `scripts/fuzz` seeds the corpus with fixtures behind the
//! prefix 03 0000 0180 2b01 0500 (1 byte, up to a blank line + 1, 300
//! bytes; reads 0 and 2 fail).

#![no_main]

mod common;

use arbitrary::Unstructured;
use leakcheck::dump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let n = usize::from(u.arbitrary::<u8>().unwrap_or(0) % 16);
    let sizes = (0..n)
        .map(|_| common::ReadSize::from_u16(u.arbitrary::<u16>().unwrap_or(0)))
        .collect();
    let interrupts = u32::from(u.arbitrary::<u16>().unwrap_or(0));
    let bytes = u.take_rest();

    let text = String::from_utf8_lossy(bytes);
    let whole = dump::parse(&text);
    let expected = common::owned(&whole.goroutines, &whole.warnings);
    let reader = common::Chunked {
        data: bytes,
        sizes,
        interrupts,
        small_reads: 16,
        reads: 0,
    };
    let got = common::streamed(reader);
    assert_eq!(got, expected, "streaming and in-memory parsing disagree");
});
