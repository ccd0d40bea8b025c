//! Any bytes, made text as `leakcheck stacks` would (`from_utf8_lossy`), must
//! parse without a panic and satisfy the invariants in `common::check_dump`.

#![no_main]

mod common;

use leakcheck::dump;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let d = dump::parse(&text);
    common::check_dump(&text, &d);
});
