//! Every end-to-end and property test, compiled into one test binary.
//!
//! One binary instead of one per file: each test binary links the whole
//! crate and its dependencies (tens of MB each), so twenty of them made a
//! clean `cargo test` write about 2 GB and spend most of its build time
//! linking; a CI machine with little free disk failed in the linker. The
//! files below are unchanged modules; `cargo test --test integration
//! checks::` runs one of them.

mod common;

mod baseline;
mod changed;
mod checks;
mod ci;
mod cli;
mod dumps;
mod fixtures;
mod inject_names;
mod junit_consumers;
mod output;
mod parser_props;
mod promises;
mod proof;
mod regex_dialect;
mod rules;
mod shard;
mod stacks_limits;
mod suites;
mod vectors;
mod watch;
