//! The lines Go's testing package frames a test's output with: `=== RUN
//! TestX` (and PAUSE, CONT, NAME) and the result line `--- FAIL: TestX
//! (0.00s)`. `analyse` reads them to tell whether the tests went on after
//! a crash line; `report` to keep a test's own output apart from testing's
//! framing of it. A subtest's lines are indented by four spaces a level;
//! callers that accept them say so by trimming first.

/// The framing prefixes that name the test they concern.
const FRAMING: [&str; 4] = ["=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME "];

/// The test a framing line names (`TestX` of `=== RUN   TestX`, `=== CONT
/// TestX` …), if the line is one.
pub fn framed_test(line: &str) -> Option<&str> {
    FRAMING
        .into_iter()
        .find_map(|prefix| line.strip_prefix(prefix))
        .map(str::trim)
}

/// A result line (`--- FAIL: TestX (0.00s)`): its verdict (`FAIL`) and the
/// rest (`TestX (0.00s)`). `BENCH` is a benchmark's line for what it logged.
pub fn result_line(line: &str) -> Option<(&'static str, &str)> {
    ["PASS", "FAIL", "SKIP", "BENCH"].into_iter().find_map(|verdict| {
        line.strip_prefix("--- ")
            .and_then(|l| l.strip_prefix(verdict))
            .and_then(|l| l.strip_prefix(": "))
            .map(|rest| (verdict, rest))
    })
}

/// The test a result line names (`TestX` of `--- FAIL: TestX (0.00s)`).
pub fn result_line_test(line: &str) -> Option<&str> {
    result_line(line).map(|(_, rest)| rest.split(" (").next().unwrap_or(rest).trim())
}

/// Whether `line` is the result line of test `name`, not of another (a
/// test may print one about another: a nested `go test` run's output).
pub fn is_result_line_of(line: &str, name: &str) -> bool {
    result_line_test(line) == Some(name)
}

/// Whether `line`, indented or not, is testing's framing of a test's run
/// (a framing line, or a result line with its duration): the tests went
/// on. Not a line indented with a tab: since Go 1.23 a panic value's later
/// lines are (one holding go test's output, `--- PASS: …`, is still the
/// crash). Not `--- BENCH:`, which a benchmark's log output is headed by.
pub fn is_framing_line(line: &str) -> bool {
    let line = line.trim_start_matches(' ');
    framed_test(line).is_some()
        || result_line(line).is_some_and(|(verdict, _)| verdict != "BENCH") && line.trim_end().ends_with(')')
}

/// Whether `line` begins a top-level test (`=== RUN   TestX`, unindented).
pub fn is_top_level_run_line(line: &str) -> bool {
    line.strip_prefix("=== RUN ")
        .map(str::trim)
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_names_its_test() {
        assert_eq!(framed_test("=== RUN   TestX/sub\n"), Some("TestX/sub"));
        assert_eq!(framed_test("=== CONT  TestX"), Some("TestX"));
        assert_eq!(framed_test("    === RUN   TestX"), None);
        assert_eq!(result_line_test("--- FAIL: TestX (0.00s)\n"), Some("TestX"));
        assert_eq!(result_line("--- BENCH: BenchmarkX"), Some(("BENCH", "BenchmarkX")));
        assert!(is_result_line_of("--- SKIP: TestX (0.00s)", "TestX"));
        assert!(!is_result_line_of("--- SKIP: TestXY (0.00s)", "TestX"));
    }

    #[test]
    fn the_tests_went_on_only_on_testings_lines() {
        assert!(is_framing_line("=== RUN   TestX\n"));
        assert!(is_framing_line("        --- PASS: TestX/a/b (0.01s)\n"));
        assert!(!is_framing_line("\t--- PASS: TestX (0.01s)\n"));
        assert!(!is_framing_line("--- PASS: TestX is what I print\n"));
        assert!(!is_framing_line("--- BENCH: BenchmarkX (0.01s)\n"));
        assert!(is_top_level_run_line("=== RUN   TestX\n"));
        assert!(!is_top_level_run_line("=== RUN   TestX/sub\n"));
        assert!(!is_top_level_run_line("    === RUN   TestY\n"));
        assert!(!is_top_level_run_line("=== RUN   \n"));
    }
}
