//! leakcheck runs `go test` and fails every test that leaves goroutines
//! behind.
//!
//! The design is in `docs/how-it-works.md`. A run is a pipeline; each
//! module below is one stage, takes plain data and hands plain data on:
//!
//! 1. [`discover`]: the Go toolchain and the packages (`go env`, `go list`).
//! 2. [`inject`]: the Go helper added to each package with `go test -overlay`.
//! 3. [`run`]: `go test -json`, streamed, plus the helper's leak records.
//! 4. [`dump`]: parsing goroutine dumps from any Go since 1.21.
//! 5. [`analyse`]: ignore rules, grouping, a verdict per test.
//! 6. [`report`]: reporters (terminal, JUnit) consuming the run's events.
//!
//! [`session`] wires the stages together (`prepare`, then `execute`),
//! [`changed`] picks the packages a change affects (`--changed`), [`watch`]
//! reruns them on every change (`--watch`), [`cli`] defines the command
//! line (nothing in the library depends on it), [`goargs`] answers every
//! question about go test's own arguments, [`config`] reads
//! `leakcheck.toml`, [`stacks`] is `leakcheck stacks` (the same parser and
//! grouping on a dump from anywhere), [`shard`] picks the packages of one
//! shard (`--shard K/N`), [`merge`] is `leakcheck merge` (the shards'
//! reports combined), [`scratch`] makes the temporary directories (and
//! removes those of killed runs), and [`error`] holds every way leakcheck
//! itself can fail. A small Go lexer (`golex`, crate-private) serves both
//! the rewrite of test files and the reading of a leak's source; `testlines`
//! (crate-private) reads testing's framing and result lines for both
//! `analyse` and `report`.
//! `docs/architecture.md` names the data between the stages.

#![warn(missing_docs)]

pub mod analyse;
pub mod changed;
pub mod cli;
pub mod config;
pub mod discover;
pub mod dump;
pub mod error;
pub mod goargs;
mod golex;
pub mod inject;
pub mod merge;
pub mod report;
pub mod run;
pub mod scratch;
pub mod session;
pub mod shard;
pub mod stacks;
mod testlines;
pub mod watch;
