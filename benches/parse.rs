//! Placeholder replaced by the benchmark work (criterion benchmark of the
//! dump parser and grouping).
fn main() {}
