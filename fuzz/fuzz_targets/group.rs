//! `leakcheck stacks` on any bytes: no panic, every goroutine read lands in
//! exactly one group (default filter), a label filter keeps exactly the
//! goroutines carrying that label, and the text rendering does not panic.

#![no_main]

mod common;

use leakcheck::dump;
use leakcheck::stacks::{self, StackFilter};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let grouped = stacks::group(data, &StackFilter::default()).expect("reading a slice cannot fail");
    let total: usize = grouped.groups.iter().map(|g| g.count).sum();
    assert_eq!(total, grouped.kept, "group counts do not add up to the goroutines kept");
    assert_eq!(
        grouped.kept, grouped.goroutines,
        "the default filter dropped goroutines"
    );
    for g in &grouped.groups {
        assert!(g.count > 0);
        assert_eq!(g.ids.len(), g.count);
        assert!(g.proven <= g.count);
    }
    let text = String::from_utf8_lossy(data);
    let d = dump::parse(&text);
    assert_eq!(grouped.goroutines, d.goroutines.len());
    assert_eq!(grouped.warnings.len(), d.warnings.len());
    let mut ids: Vec<u64> = grouped.groups.iter().flat_map(|g| g.ids.iter().copied()).collect();
    let mut want: Vec<u64> = d.goroutines.iter().map(|g| g.id).collect();
    ids.sort_unstable();
    want.sort_unstable();
    assert_eq!(ids, want, "grouped ids are not the parsed ids");
    stacks::write_text(&mut Vec::new(), &grouped).unwrap();

    // Filtered by the first label seen, groups of two or more only.
    let Some((k, v)) = d.goroutines.iter().find_map(|g| g.labels.first()) else {
        return;
    };
    let filter = StackFilter {
        label: Some((k.to_string(), v.to_string())),
        min_count: 2,
        ..StackFilter::default()
    };
    let filtered = stacks::group(data, &filter).unwrap();
    let carrying = d.goroutines.iter().filter(|g| g.label(k) == Some(v.as_ref())).count();
    assert_eq!(filtered.kept, carrying);
    assert_eq!(filtered.goroutines, d.goroutines.len());
    assert!(filtered.groups.iter().all(|g| g.count >= 2));
    assert!(filtered.groups.iter().map(|g| g.count).sum::<usize>() <= filtered.kept);
    stacks::write_text(&mut Vec::new(), &filtered).unwrap();
});
