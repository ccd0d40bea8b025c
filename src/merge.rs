//! `leakcheck merge`: the reports of a sharded run's shards combined into
//! the one report an unsharded run would have written.
//!
//! Shards are disjoint by construction, so merging is concatenation plus
//! bookkeeping: every testsuite (package) once, sorted by name, because the
//! unsharded order (when each package finished) is not reproducible anyway;
//! top-level counts and times summed, except the JSON report's totals,
//! counted again from the merged packages. A JSON input must have the shape
//! leakcheck writes (numbers, strings, arrays where it writes them), checked
//! before anything is added up. A package in two inputs means the
//! inputs are not the shards of one run (the same file twice, shards of
//! different runs or splits): that is an error naming the packages, not
//! something to paper over by picking one.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::{Map, Value};

use crate::error::{Error, ExitCode, Result};
use crate::report::json::SCHEMA_VERSION;
use crate::report::text::plural;

/// What an input file holds.
#[derive(Debug)]
pub enum Input {
    /// A JUnit XML report.
    Junit(Report),
    /// A leakcheck `--report-json` report.
    Json(Value),
}

/// Reads one input, telling the kinds apart by the first character.
pub fn read(path: &Path) -> Result<Input> {
    let text = fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
    let bad = |what: String| Error::Usage(format!("merge: {}: {what}", path.display()));
    match text.trim_start_matches('\u{feff}').trim_start().chars().next() {
        Some('<') => junit_from_str(&text).map(Input::Junit).map_err(bad),
        Some('{') => {
            let doc: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
            if doc["schema_version"] != SCHEMA_VERSION || !doc["packages"].is_array() {
                return Err(bad(format!(
                    "not a leakcheck --report-json report of schema version {SCHEMA_VERSION}"
                )));
            }
            check_shape(&doc, &REPORT, "").map_err(|e| bad(format!("not a leakcheck --report-json report: {e}")))?;
            Ok(Input::Json(doc))
        }
        _ => Err(bad("neither JUnit XML nor a leakcheck --report-json report".into())),
    }
}

/// The shape of a JSON value leakcheck writes (docs/report-json.md), to
/// tell its reports from other JSON before adding anything up.
#[derive(Clone, Copy)]
enum Shape {
    /// A string.
    Str,
    /// A whole number, 0 or more.
    Count,
    /// A number.
    Num,
    /// true or false.
    Bool,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// null, or the shape.
    OrNull(&'static Shape),
    /// An array of the shape.
    List(&'static Shape),
    /// An object whose values have the shape.
    Table(&'static Shape),
    /// A two-element array.
    Pair(&'static Shape, &'static Shape),
    /// An object with these fields (and maybe others).
    Object(&'static [(&'static str, Shape)]),
    /// `{"state": ...}`, with a `reason` when not checked.
    Check,
}

use Shape::{Bool, Count, List, Num, Object, OneOf, OrNull, Pair, Str, Table};

const VERDICTS: &[&str] = &[
    "passed",
    "failed",
    "leaked",
    "skipped",
    "panicked",
    "timed_out",
    "unfinished",
];
const LOCATION: Shape = Object(&[("function", Str), ("file", Str), ("line", Count)]);
const GROUP: Shape = Object(&[
    ("count", Count),
    ("state", Str),
    ("proven", Count),
    ("wait_minutes", OrNull(&Pair(&Count, &Count))),
    ("frames", List(&LOCATION)),
    ("elided", Bool),
    ("created_by", OrNull(&LOCATION)),
    ("test", OrNull(&Str)),
    ("subtests", List(&Str)),
    ("labels", List(&Pair(&Str, &Str))),
    ("ids", List(&Count)),
    ("known", Bool),
]);
const LEAK: Shape = Object(&[
    ("total", Count),
    ("groups", List(&GROUP)),
    ("ignored", Table(&Count)),
    ("looks", Count),
    ("proof", Bool),
    ("known", Count),
]);
const ATTEMPT: Shape = Object(&[
    ("verdict", OneOf(VERDICTS)),
    ("leak", OrNull(&Str)),
    ("output", Str),
    ("elapsed", Num),
]);
const TEST: Shape = Object(&[
    ("name", Str),
    ("run", Count),
    ("verdict", OneOf(VERDICTS)),
    ("elapsed", Num),
    ("output", Str),
    ("leak", OrNull(&LEAK)),
    ("attempts", List(&ATTEMPT)),
]);
const CRASH: Shape = Object(&[
    ("kind", OneOf(&["panic", "timeout", "exit"])),
    ("message", Str),
    ("tests", List(&Str)),
    ("groups", List(&GROUP)),
]);
const PACKAGE: Shape = Object(&[
    ("import_path", Str),
    (
        "status",
        OneOf(&["passed", "failed", "build_failed", "no_test_files", "not_finished"]),
    ),
    ("elapsed", Num),
    ("tests", List(&TEST)),
    ("output", Str),
    ("build_output", Str),
    ("main_leak", OrNull(&LEAK)),
    ("crash", OrNull(&CRASH)),
    ("check", Shape::Check),
    ("go_version", OrNull(&Str)),
    ("label_source", OrNull(&Str)),
    ("proof", Bool),
    ("warnings", List(&Str)),
    ("started", OrNull(&Str)),
    ("failed_outside_tests", Bool),
    ("dir", OrNull(&Str)),
]);
const BASELINE_ENTRY: Shape = Object(&[
    ("package", Str),
    ("test", Str),
    ("signature", Str),
    ("function", Str),
    ("created_by", Str),
]);
const BASELINE: Shape = Object(&[
    ("path", Str),
    ("tolerated", Count),
    ("tolerated_goroutines", Count),
    ("stale", List(&BASELINE_ENTRY)),
]);
const TOTALS: Shape = Object(&[
    ("packages", Count),
    ("tests", Count),
    ("passed", Count),
    ("failed", Count),
    ("leaked_tests", Count),
    ("leaked_goroutines", Count),
    ("skipped", Count),
    ("build_failures", Count),
]);
const REPORT: Shape = Object(&[
    ("schema_version", Count),
    ("leakcheck_version", Str),
    ("go_version", Str),
    ("module_root", Str),
    ("elapsed_seconds", Num),
    ("interrupted", Bool),
    ("totals", TOTALS),
    ("baseline", OrNull(&BASELINE)),
    ("packages", List(&PACKAGE)),
]);

impl Shape {
    fn describe(&self) -> String {
        match self {
            Str => "a string".into(),
            Count => "a whole number".into(),
            Num => "a number".into(),
            Bool => "true or false".into(),
            OneOf(words) => format!("one of {}", words.join(", ")),
            OrNull(s) => format!("{} or null", s.describe()),
            List(_) => "an array".into(),
            Table(_) | Object(_) => "an object".into(),
            Pair(..) => "a pair".into(),
            Shape::Check => r#"{"state": "checked" | "cached" | "not_applicable" | "not_checked", "reason"}"#.into(),
        }
    }
}

/// Whether `v` (at `path`, for the error) has the shape; the error names
/// the first field that does not.
fn check_shape(v: &Value, shape: &Shape, path: &str) -> std::result::Result<(), String> {
    let at = |p: &str| {
        if p.is_empty() {
            "the report".to_string()
        } else {
            p.to_string()
        }
    };
    let wrong = || {
        let mut shown = v.to_string();
        if shown.chars().count() > 40 {
            shown = shown.chars().take(40).collect::<String>() + "…";
        }
        Err(format!(
            "{} is {shown}, where leakcheck writes {}",
            at(path),
            shape.describe()
        ))
    };
    let field = |name: &str| {
        if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    match (shape, v) {
        (Str, Value::String(_)) | (Num, Value::Number(_)) | (Bool, Value::Bool(_)) => Ok(()),
        (Count, _) if v.as_u64().is_some() => Ok(()),
        (OneOf(words), Value::String(s)) if words.contains(&s.as_str()) => Ok(()),
        (OrNull(_), Value::Null) => Ok(()),
        (OrNull(inner), _) => check_shape(v, inner, path),
        (List(inner), Value::Array(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| check_shape(item, inner, &format!("{path}[{i}]"))),
        (Table(inner), Value::Object(fields)) => fields
            .iter()
            .try_for_each(|(k, item)| check_shape(item, inner, &format!("{path}[{k:?}]"))),
        (Pair(a, b), Value::Array(items)) if items.len() == 2 => {
            check_shape(&items[0], a, &format!("{path}[0]"))?;
            check_shape(&items[1], b, &format!("{path}[1]"))
        }
        (Object(fields), Value::Object(o)) => fields.iter().try_for_each(|(name, shape)| match o.get(*name) {
            Some(item) => check_shape(item, shape, &field(name)),
            None => Err(format!("{} has no `{name}`", at(path))),
        }),
        (Shape::Check, Value::Object(o)) => match o.get("state").and_then(Value::as_str) {
            Some("checked" | "cached" | "not_applicable") => Ok(()),
            Some("not_checked") if o.get("reason").is_some_and(Value::is_string) => Ok(()),
            _ => wrong(),
        },
        _ => wrong(),
    }
}

/// The run's totals from its packages, counted as `RunSummary::totals`
/// counts them for the report (`report::json`): a package that did not
/// build is a build failure, one without test files is not counted, every
/// test run is passed, skipped, leaked or failed (failed, panicked, timed
/// out, unfinished), and the leaked goroutines are those of the tests' and
/// the packages' leaks that the baseline does not know.
fn totals_of(packages: &[Value]) -> Value {
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    let new_goroutines = |leak: &Value| count(&leak["total"]).saturating_sub(count(&leak["known"]));
    let (mut pkgs, mut tests, mut passed, mut failed) = (0, 0, 0, 0);
    let (mut leaked_tests, mut leaked_goroutines, mut skipped, mut build_failures) = (0, 0, 0, 0);
    let mut errors = 0;
    for p in packages {
        match p["status"].as_str() {
            Some("build_failed") => build_failures += 1,
            Some("no_test_files") => continue,
            _ => pkgs += 1,
        }
        if p["status"] == "not_finished" || p["check"]["state"] == "not_checked" {
            errors += 1;
        }
        for t in p["tests"].as_array().into_iter().flatten() {
            tests += 1;
            match t["verdict"].as_str() {
                Some("passed") => passed += 1,
                Some("skipped") => skipped += 1,
                Some("leaked") => leaked_tests += 1,
                _ => failed += 1,
            }
            leaked_goroutines += new_goroutines(&t["leak"]);
        }
        leaked_goroutines += new_goroutines(&p["main_leak"]);
    }
    serde_json::json!({
        "packages": pkgs,
        "tests": tests,
        "passed": passed,
        "failed": failed,
        "leaked_tests": leaked_tests,
        "leaked_goroutines": leaked_goroutines,
        "skipped": skipped,
        "build_failures": build_failures,
        "errors": errors,
    })
}

/// Reads a JUnit report into quick-junit's types, keeping every text
/// exactly. quick-junit's own (experimental) reader trims the text of
/// failure bodies and `system-out`, which would make the merged report
/// differ from the shards'; roxmltree returns it untouched. An element
/// quick-junit cannot represent is an error rather than silently dropped.
pub fn junit_from_str(text: &str) -> std::result::Result<Report, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
    let root = doc.root_element();
    let mut report = Report::new(root.attribute("name").unwrap_or("leakcheck"));
    match root.tag_name().name() {
        "testsuites" => {
            for node in elements(root) {
                match node.tag_name().name() {
                    "testsuite" => {
                        report.add_test_suite(suite_from(node)?);
                    }
                    other => return Err(format!("unexpected <{other}> in <testsuites>")),
                }
            }
        }
        "testsuite" => {
            report.add_test_suite(suite_from(root)?);
        }
        other => return Err(format!("not a JUnit report: the root element is <{other}>")),
    }
    Ok(report)
}

fn elements<'a, 'input>(node: roxmltree::Node<'a, 'input>) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(roxmltree::Node::is_element)
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children().filter_map(|n| n.text()).collect()
}

fn seconds(node: roxmltree::Node<'_, '_>) -> std::result::Result<Option<Duration>, String> {
    node.attribute("time")
        .map(|t| match t.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
            _ => Err(format!("time=\"{t}\" is not a number of seconds")),
        })
        .transpose()
}

fn timestamp(
    node: roxmltree::Node<'_, '_>,
) -> std::result::Result<Option<chrono::DateTime<chrono::FixedOffset>>, String> {
    node.attribute("timestamp")
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("timestamp=\"{t}\": {e}")))
        .transpose()
}

fn properties(node: roxmltree::Node<'_, '_>) -> Vec<Property> {
    elements(node)
        .filter(|p| p.has_tag_name("property"))
        .map(|p| Property::new(p.attribute("name").unwrap_or(""), p.attribute("value").unwrap_or("")))
        .collect()
}

fn suite_from(node: roxmltree::Node<'_, '_>) -> std::result::Result<TestSuite, String> {
    let name = node.attribute("name").ok_or("a <testsuite> without a name")?;
    let context = |e: String| format!("testsuite {name}: {e}");
    let mut suite = TestSuite::new(name);
    if let Some(t) = seconds(node).map_err(context)? {
        suite.set_time(t);
    }
    if let Some(ts) = timestamp(node).map_err(context)? {
        suite.set_timestamp(ts);
    }
    for a in node.attributes() {
        if !["name", "tests", "disabled", "errors", "failures", "time", "timestamp"].contains(&a.name()) {
            suite.extra.insert(a.name().into(), a.value().into());
        }
    }
    for child in elements(node) {
        match child.tag_name().name() {
            "properties" => suite.add_properties(properties(child)),
            "testcase" => suite.add_test_case(case_from(child).map_err(context)?),
            "system-out" => suite.set_system_out(text_of(child)),
            "system-err" => suite.set_system_err(text_of(child)),
            other => return Err(context(format!("unexpected <{other}>"))),
        };
    }
    Ok(suite)
}

fn case_from(node: roxmltree::Node<'_, '_>) -> std::result::Result<TestCase, String> {
    let name = node.attribute("name").ok_or("a <testcase> without a name")?;
    let context = |e: String| format!("testcase {name}: {e}");
    let mut status = TestCaseStatus::success();
    let mut case = TestCase::new(name, TestCaseStatus::success());
    for child in elements(node) {
        let tag = child.tag_name().name();
        match tag {
            "failure" | "error" | "skipped" => {
                status = match tag {
                    "failure" => TestCaseStatus::non_success(NonSuccessKind::Failure),
                    "error" => TestCaseStatus::non_success(NonSuccessKind::Error),
                    _ => TestCaseStatus::skipped(),
                };
                if let Some(m) = child.attribute("message") {
                    status.set_message(m);
                }
                if let Some(t) = child.attribute("type") {
                    status.set_type(t);
                }
                let body = text_of(child);
                if !body.is_empty() {
                    status.set_description(body);
                }
            }
            "system-out" => {
                case.set_system_out(text_of(child));
            }
            "system-err" => {
                case.set_system_err(text_of(child));
            }
            "properties" => {
                case.add_properties(properties(child));
            }
            other => return Err(context(format!("unexpected <{other}>"))),
        }
    }
    case.status = status;
    if let Some(c) = node.attribute("classname") {
        case.set_classname(c);
    }
    if let Some(t) = seconds(node).map_err(context)? {
        case.set_time(t);
    }
    if let Some(ts) = timestamp(node).map_err(context)? {
        case.set_timestamp(ts);
    }
    if let Some(a) = node.attribute("assertions") {
        case.set_assertions(a.trim().parse().map_err(|_| context(format!("assertions=\"{a}\"")))?);
    }
    for a in node.attributes() {
        if !["name", "classname", "time", "timestamp", "assertions"].contains(&a.name()) {
            case.extra.insert(a.name().into(), a.value().into());
        }
    }
    Ok(case)
}

/// Fails, naming them, when packages occur in more than one input.
fn check_unique<'a>(kind: &str, names: impl Iterator<Item = (&'a str, &'a Path)>) -> Result<()> {
    let mut seen: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for (name, path) in names {
        seen.entry(name).or_default().push(path);
    }
    let dups: Vec<String> = seen
        .iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, paths)| {
            let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            format!("{name} ({})", files.join(", "))
        })
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    let shown = dups.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
    let more = if dups.len() > 5 {
        format!("; and {} more", dups.len() - 5)
    } else {
        String::new()
    };
    Err(Error::Usage(format!(
        "merge: {} {kind} in more than one input, so these are not the shards of one run: {shown}{more}",
        if dups.len() == 1 {
            "a package is".to_string()
        } else {
            format!("{} packages are", dups.len())
        }
    )))
}

/// The JUnit reports combined: every testsuite once, sorted by name; the
/// counts are the suites' sums and the time the sum of the suites' times
/// (machine time, not wall time: the shards ran side by side).
pub fn merge_junit(inputs: &[(PathBuf, Report)]) -> Result<Report> {
    check_unique(
        "testsuite",
        inputs
            .iter()
            .flat_map(|(path, r)| r.test_suites.iter().map(move |s| (s.name.as_str(), path.as_path()))),
    )?;
    let mut suites: Vec<TestSuite> = inputs.iter().flat_map(|(_, r)| r.test_suites.iter().cloned()).collect();
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    let name = inputs.first().map_or("leakcheck", |(_, r)| r.name.as_str());
    let mut report = Report::new(name);
    if suites.iter().any(|s| s.time.is_some()) {
        report.set_time(suites.iter().filter_map(|s| s.time).sum::<Duration>());
    }
    if let Some(ts) = inputs.iter().filter_map(|(_, r)| r.timestamp).min() {
        report.set_timestamp(ts);
    }
    report.add_test_suites(suites);
    Ok(report)
}

/// The JSON reports combined: packages sorted by import path, `totals`
/// counted again from them (never taken from the inputs), `elapsed_seconds`
/// summed, `interrupted` if any shard was, the baseline outcomes added up.
/// Other fields come from the first input.
pub fn merge_json(inputs: &[(PathBuf, Value)]) -> Result<Value> {
    let packages_of = |doc: &Value| doc["packages"].as_array().cloned().unwrap_or_default();
    let names: Vec<(String, &Path)> = inputs
        .iter()
        .flat_map(|(path, doc)| {
            packages_of(doc).into_iter().map(move |p| {
                (
                    p["import_path"].as_str().unwrap_or_default().to_string(),
                    path.as_path(),
                )
            })
        })
        .collect();
    check_unique("package", names.iter().map(|(n, p)| (n.as_str(), *p)))?;

    let mut out: Map<String, Value> = inputs
        .first()
        .and_then(|(_, d)| d.as_object().cloned())
        .unwrap_or_default();
    let mut packages: Vec<Value> = inputs.iter().flat_map(|(_, d)| packages_of(d)).collect();
    packages.sort_by(|a, b| a["import_path"].as_str().cmp(&b["import_path"].as_str()));
    out.insert("totals".into(), totals_of(&packages));
    out.insert("packages".into(), Value::Array(packages));
    out.insert("schema_version".into(), SCHEMA_VERSION.into());
    let elapsed: f64 = inputs.iter().filter_map(|(_, d)| d["elapsed_seconds"].as_f64()).sum();
    out.insert("elapsed_seconds".into(), elapsed.into());
    let interrupted = inputs.iter().any(|(_, d)| d["interrupted"] == true);
    out.insert("interrupted".into(), interrupted.into());

    let outcomes: Vec<&Value> = inputs
        .iter()
        .map(|(_, d)| &d["baseline"])
        .filter(|b| b.is_object())
        .collect();
    let baseline = match outcomes.first() {
        None => Value::Null,
        Some(first) => {
            let mut b = sum_counts(outcomes.iter().copied());
            b["path"] = first["path"].clone();
            // Each shard lists the stale entries of the tests it ran; the
            // shards ran disjoint tests.
            let mut stale: Vec<Value> = outcomes
                .iter()
                .flat_map(|o| o["stale"].as_array().cloned().unwrap_or_default())
                .collect();
            stale.sort_by_key(|e| e.to_string());
            stale.dedup();
            b["stale"] = Value::Array(stale);
            b
        }
    };
    out.insert("baseline".into(), baseline);
    Ok(Value::Object(out))
}

/// Field-wise sums of the whole-number fields of some JSON objects.
fn sum_counts<'a>(objects: impl Iterator<Item = &'a Value>) -> Value {
    let mut sums: Map<String, Value> = Map::new();
    for o in objects.filter_map(Value::as_object) {
        for (k, v) in o {
            if let Some(n) = v.as_u64() {
                let total = sums.get(k).and_then(Value::as_u64).unwrap_or(0) + n;
                sums.insert(k.clone(), total.into());
            }
        }
    }
    Value::Object(sums)
}

/// `leakcheck merge`: reads every input, writes the merged reports asked
/// for, and says what it wrote. Every input must go into an output, so a
/// forgotten flag cannot silently drop shards.
pub fn run(inputs: &[PathBuf], junit_out: Option<PathBuf>, json_out: Option<PathBuf>) -> Result<ExitCode> {
    let mut junit = Vec::new();
    let mut json = Vec::new();
    for path in inputs {
        match read(path)? {
            Input::Junit(r) => junit.push((path.clone(), r)),
            Input::Json(d) => json.push((path.clone(), d)),
        }
    }
    for (kind, flag, wanted, got) in [
        (
            "JUnit XML",
            "--junitfile",
            junit_out.is_some(),
            junit.first().map(|i| &i.0),
        ),
        (
            "a --report-json report",
            "--report-json",
            json_out.is_some(),
            json.first().map(|i| &i.0),
        ),
    ] {
        match (wanted, got) {
            (true, None) => return Err(Error::Usage(format!("merge: {flag} given, but no input is {kind}"))),
            (false, Some(path)) => {
                return Err(Error::Usage(format!(
                    "merge: {} is {kind}; add {flag} OUT to merge it",
                    path.display()
                )))
            }
            _ => {}
        }
    }
    if let Some(out) = &junit_out {
        let report = merge_junit(&junit)?;
        let mut xml = Vec::new();
        report
            .serialize(&mut xml)
            .map_err(|e| Error::io("cannot write", out, std::io::Error::other(e)))?;
        write(out, &xml)?;
        println!(
            "leakcheck: merged {} into {}: {}, {}, {}, {}",
            plural(junit.len(), "JUnit file"),
            out.display(),
            plural(report.test_suites.len(), "testsuite"),
            plural(report.tests, "test"),
            plural(report.failures, "failure"),
            plural(report.errors, "error")
        );
    }
    if let Some(out) = &json_out {
        let doc = merge_json(&json)?;
        let mut text = serde_json::to_vec_pretty(&doc).map_err(|e| Error::io("cannot write", out, e.into()))?;
        text.push(b'\n');
        write(out, &text)?;
        println!(
            "leakcheck: merged {} into {}: {}, {}",
            plural(json.len(), "JSON report"),
            out.display(),
            plural(doc["packages"].as_array().map_or(0, Vec::len), "package"),
            plural(doc["totals"]["tests"].as_u64().unwrap_or(0) as usize, "test")
        );
    }
    Ok(ExitCode::Passed)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
    }
    fs::write(path, bytes).map_err(|e| Error::io("cannot write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite(name: &str, cases: &[(&str, bool)], secs: f64) -> TestSuite {
        let mut s = TestSuite::new(name);
        s.set_time(Duration::from_secs_f64(secs));
        s.add_property(Property::new("go.version", "go1.26.8"));
        s.extra.insert("hostname".into(), "ci-1".into());
        for (case, ok) in cases {
            let status = if *ok {
                TestCaseStatus::success()
            } else {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                st.set_type("GoroutineLeak");
                st.set_message("1 goroutine leaked (1 stack)");
                st.set_description("1 goroutine leaked\n\n--- FAIL: TestB (0.50s)\n");
                st
            };
            let mut tc = TestCase::new(*case, status);
            tc.set_classname(name);
            tc.extra.insert("file".into(), "b/b_test.go".into());
            s.add_test_case(tc);
        }
        s
    }

    fn report(suites: Vec<TestSuite>) -> Report {
        let mut r = Report::new("leakcheck");
        r.add_test_suites(suites);
        // Through the XML and back, as merge reads it.
        junit_from_str(&r.to_string().unwrap()).unwrap()
    }

    #[test]
    fn junit_suites_once_sorted_counts_and_times_summed() {
        let a = report(vec![
            suite("example.com/c", &[("TestC", true)], 1.0),
            suite("example.com/a", &[("TestA", true)], 0.5),
        ]);
        let b = report(vec![suite("example.com/b", &[("TestB", false), ("TestB2", true)], 2.0)]);
        let empty = report(vec![]);
        let merged = merge_junit(&[("1.xml".into(), a), ("2.xml".into(), empty), ("3.xml".into(), b)]).unwrap();
        let names: Vec<&str> = merged.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["example.com/a", "example.com/b", "example.com/c"]);
        assert_eq!((merged.tests, merged.failures, merged.errors), (4, 1, 0));
        assert_eq!(merged.time, Some(Duration::from_millis(3500)));
        // Properties, extra attributes and failure bodies survive.
        let b = &merged.test_suites[1];
        assert_eq!(b.properties[0].value.as_str(), "go1.26.8");
        assert_eq!(b.extra.get("hostname").map(|h| h.as_str()), Some("ci-1"));
        assert_eq!(
            b.test_cases[0].extra.get("file").map(|h| h.as_str()),
            Some("b/b_test.go")
        );
        let xml = merged.to_string().unwrap();
        assert!(xml.contains("--- FAIL: TestB (0.50s)"), "{xml}");
        assert!(roxmltree::Document::parse(&xml).is_ok());
    }

    #[test]
    fn junit_duplicates_are_named() {
        let a = report(vec![suite("example.com/a", &[("TestA", true)], 0.5)]);
        let b = report(vec![
            suite("example.com/a", &[("TestA", true)], 0.5),
            suite("example.com/b", &[], 0.1),
        ]);
        let err = merge_junit(&[("s1.xml".into(), a), ("s2.xml".into(), b)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("example.com/a (s1.xml, s2.xml)"), "{err}");
        assert!(!err.contains("example.com/b"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }

    #[test]
    fn zero_inputs_with_suites_make_an_empty_valid_report() {
        let merged = merge_junit(&[("1.xml".into(), report(vec![]))]).unwrap();
        assert_eq!(merged.tests, 0);
        assert!(roxmltree::Document::parse(&merged.to_string().unwrap()).is_ok());
    }

    /// A package as leakcheck writes it, with `tests` tests that passed.
    fn package(import_path: &str, tests: u64) -> Value {
        let tests: Vec<Value> = (0..tests)
            .map(|i| {
                serde_json::json!({"name": format!("Test{i}"), "run": 1, "verdict": "passed", "elapsed": 0.0,
                                   "output": "", "leak": null, "attempts": []})
            })
            .collect();
        serde_json::json!({
            "import_path": import_path, "status": "passed", "elapsed": 1.0, "tests": tests, "output": "",
            "build_output": "", "main_leak": null, "crash": null, "check": {"state": "checked"},
            "go_version": "go1.26.8", "label_source": "dump", "proof": true, "warnings": [], "started": null,
            "failed_outside_tests": false, "dir": null,
        })
    }

    fn doc(packages: &[(&str, u64)], elapsed: f64, baseline: Value) -> Value {
        let pkgs: Vec<Value> = packages.iter().map(|(p, tests)| package(p, *tests)).collect();
        let tests: u64 = packages.iter().map(|p| p.1).sum();
        serde_json::json!({
            "schema_version": 1,
            "leakcheck_version": "0.1.0",
            "go_version": "go1.26.8",
            "module_root": "/src",
            "elapsed_seconds": elapsed,
            "interrupted": false,
            "totals": {"packages": packages.len(), "tests": tests, "passed": tests, "failed": 0,
                       "leaked_tests": 0, "leaked_goroutines": 0, "skipped": 0, "build_failures": 0},
            "baseline": baseline,
            "packages": pkgs,
        })
    }

    #[test]
    fn json_packages_sorted_totals_counted() {
        let a = doc(&[("example.com/c", 2), ("example.com/a", 1)], 3.0, Value::Null);
        let b = doc(&[("example.com/b", 4)], 2.5, Value::Null);
        let empty = doc(&[], 0.1, Value::Null);
        let merged = merge_json(&[("a".into(), a), ("e".into(), empty), ("b".into(), b)]).unwrap();
        let names: Vec<&str> = merged["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["import_path"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["example.com/a", "example.com/b", "example.com/c"]);
        assert_eq!(merged["totals"]["packages"], 3);
        assert_eq!(merged["totals"]["tests"], 7);
        assert_eq!(merged["elapsed_seconds"], 5.6);
        assert_eq!(merged["go_version"], "go1.26.8");
        assert_eq!(merged["baseline"], Value::Null);
    }

    #[test]
    fn json_totals_are_counted_from_the_packages_not_the_inputs() {
        let mut a = doc(&[("example.com/a", 2)], 1.0, Value::Null);
        a["totals"] = serde_json::json!({"packages": 9, "tests": 99, "passed": 0, "failed": 5,
            "leaked_tests": 1, "leaked_goroutines": 7, "skipped": 0, "build_failures": 3});
        let mut b = doc(&[("example.com/b", 1)], 1.0, Value::Null);
        b["packages"][0]["status"] = "failed".into();
        b["packages"][0]["tests"][0]["verdict"] = "leaked".into();
        b["packages"][0]["tests"][0]["leak"] =
            serde_json::json!({"total": 3, "groups": [], "ignored": {}, "looks": 2, "proof": true, "known": 1});
        let merged = merge_json(&[("a".into(), a), ("b".into(), b)]).unwrap();
        assert_eq!(
            merged["totals"],
            serde_json::json!({"packages": 2, "tests": 3, "passed": 2, "failed": 0, "leaked_tests": 1,
                               "leaked_goroutines": 2, "skipped": 0, "build_failures": 0, "errors": 0})
        );
    }

    /// Every status and verdict, leaks the baseline knows in part, a leak
    /// after the last test: the totals merge counts from the written report
    /// are the writer's own (`RunSummary::totals`), and the report has the
    /// shape merge checks.
    #[test]
    fn json_totals_are_the_reports_own_and_its_shape_is_checked() {
        use crate::analyse::group::{LeakedGroup, Location};
        use crate::analyse::rerun::Attempt;
        use crate::analyse::{
            CheckState, Crash, CrashKind, LeakReport, PackageResult, PackageStatus, TestResult, Verdict,
        };
        use crate::report::{Event, Reporter, RunInfo, RunSummary};

        let loc = Location {
            function: "p.f".into(),
            file: "/p/f.go".into(),
            line: 3,
        };
        let group = LeakedGroup {
            count: 3,
            state: "chan receive".into(),
            proven: 1,
            wait_minutes: Some((1, 2)),
            frames: vec![loc.clone()],
            elided: false,
            created_by: Some(loc),
            test: Some("TestA".into()),
            subtests: ["TestA/x".to_string()].into(),
            labels: vec![("leakcheck".into(), "TestA".into())],
            ids: vec![7, 8, 9],
            creators: Default::default(),
            known: false,
            diagnosis: None,
        };
        let leak = |total: usize, known: usize| LeakReport {
            total,
            groups: vec![group.clone()],
            ignored: [("r".to_string(), 2)].into(),
            looks: 2,
            proof: true,
            known,
            ambiguous: 0,
            by_difference: 0,
        };
        let test = |name: &str, verdict: Verdict, leak: Option<LeakReport>| TestResult {
            name: name.into(),
            run: 1,
            verdict,
            elapsed: 0.25,
            output: "out\n".into(),
            leak,
            attempts: vec![Attempt {
                verdict: Verdict::Failed,
                leak: Some("1 goroutine leaked (1 stack)".into()),
                output: String::new(),
                elapsed: 0.1,
            }],
            failed_by_subtest: false,
        };
        let package = |path: &str, status: PackageStatus, tests: Vec<TestResult>| PackageResult {
            import_path: path.into(),
            status,
            elapsed: 1.5,
            tests,
            output: String::new(),
            build_output: String::new(),
            main_leak: None,
            crash: None,
            check: CheckState::NotChecked("why".into()),
            go_version: Some("go1.26.8".into()),
            label_source: None,
            proof: false,
            warnings: vec!["w".into()],
            started: Some("2026-11-30T08:41:08Z".into()),
            failed_outside_tests: false,
            dir: Some("/p".into()),
            go_failed: false,
        };
        let verdicts = [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Leaked,
            Verdict::Skipped,
            Verdict::Panicked,
            Verdict::TimedOut,
            Verdict::Unfinished,
        ];
        let mut failed = package(
            "example.com/failed",
            PackageStatus::Failed,
            verdicts.iter().map(|v| test("TestV", *v, Some(leak(4, 1)))).collect(),
        );
        failed.main_leak = Some(leak(5, 2));
        failed.crash = Some(Crash {
            kind: CrashKind::Timeout,
            message: "panic: test timed out".into(),
            tests: vec!["TestV".into()],
            groups: vec![group.clone()],
        });
        let summary = RunSummary {
            packages: vec![
                failed,
                package(
                    "example.com/passed",
                    PackageStatus::Passed,
                    vec![test("TestP", Verdict::Passed, None)],
                ),
                package("example.com/build", PackageStatus::BuildFailed, vec![]),
                package(
                    "example.com/none",
                    PackageStatus::NoTestFiles,
                    vec![test("TestN", Verdict::Passed, None)],
                ),
            ],
            elapsed: Duration::from_secs(2),
            interrupted: false,
            baseline: None,
            baseline_written: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        let mut reporter = crate::report::json::JsonReporter::new(path.clone());
        let info = RunInfo {
            go_version: "go1.26.8".into(),
            root: "/p".into(),
            dir: "/p".into(),
            packages: 4,
            leakcheck_version: "0.1.0",
            rules: vec![],
            diagnoses: vec![],
            config: None,
            grace: Duration::from_millis(500),
        };
        reporter.handle(&Event::RunStarted(&info)).unwrap();
        reporter.handle(&Event::RunFinished(&summary)).unwrap();
        let Input::Json(written) = read(&path).unwrap() else {
            panic!("not JSON")
        };
        let packages = written["packages"].as_array().unwrap();
        assert_eq!(totals_of(packages), written["totals"]);
        assert_eq!(written["totals"]["leaked_goroutines"], 7 * 3 + 3);
        assert_eq!(written["totals"]["failed"], 4);
        assert_eq!(written["totals"]["build_failures"], 1);
    }

    #[test]
    fn json_inputs_of_another_shape_are_refused_naming_the_field() {
        let refused = |edit: &dyn Fn(&mut Value)| {
            let mut d = doc(&[("example.com/a", 2)], 1.0, Value::Null);
            edit(&mut d);
            check_shape(&d, &REPORT, "").unwrap_err()
        };
        assert_eq!(
            refused(&|d| d["totals"]["tests"] = "many".into()),
            r#"totals.tests is "many", where leakcheck writes a whole number"#
        );
        assert_eq!(
            refused(&|d| d["totals"]["tests"] = (-1).into()),
            "totals.tests is -1, where leakcheck writes a whole number"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["tests"][1]["verdict"] = "passd".into()),
            r#"packages[0].tests[1].verdict is "passd", where leakcheck writes one of passed, failed, leaked, skipped, panicked, timed_out, unfinished"#
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["tests"] = serde_json::json!({"TestA": 1})),
            r#"packages[0].tests is {"TestA":1}, where leakcheck writes an array"#
        );
        assert_eq!(
            refused(&|d| {
                d["packages"][0].as_object_mut().unwrap().remove("status");
            }),
            "packages[0] has no `status`"
        );
        assert_eq!(
            refused(&|d| d["packages"][0]["check"] = serde_json::json!({"state": "not_checked"})),
            r#"packages[0].check is {"state":"not_checked"}, where leakcheck writes {"state": "checked" | "cached" | "not_applicable" | "not_checked", "reason"}"#
        );
        let long = refused(&|d| d["packages"][0]["output"] = serde_json::json!(["x".repeat(100)]));
        assert!(
            long.starts_with(r#"packages[0].output is ["xxx"#) && long.contains("…, where"),
            "{long}"
        );
        assert_eq!(
            refused(&|d| d["interrupted"] = 0.into()),
            "interrupted is 0, where leakcheck writes true or false"
        );
        assert_eq!(
            refused(&|d| *d = serde_json::json!([])),
            "the report is [], where leakcheck writes an object"
        );
        // What leakcheck writes passes, with fields it may add later.
        let mut d = doc(&[("example.com/a", 2)], 1.0, Value::Null);
        d["packages"][0]["new_field"] = 1.into();
        check_shape(&d, &REPORT, "").unwrap();
    }

    #[test]
    fn json_baseline_outcomes_add_up() {
        let entry = |t: &str| serde_json::json!({"package": "p", "test": t, "signature": "00", "function": "f", "created_by": "g"});
        let a = doc(
            &[("a", 1)],
            1.0,
            serde_json::json!({"path": "/src/leakcheck-baseline.json", "tolerated": 2, "tolerated_goroutines": 5, "stale": [entry("TestX")]}),
        );
        let b = doc(
            &[("b", 1)],
            1.0,
            serde_json::json!({"path": "/src/leakcheck-baseline.json", "tolerated": 1, "tolerated_goroutines": 1, "stale": [entry("TestA")]}),
        );
        let merged = merge_json(&[("a".into(), a), ("b".into(), b)]).unwrap();
        assert_eq!(merged["baseline"]["tolerated"], 3);
        assert_eq!(merged["baseline"]["tolerated_goroutines"], 6);
        assert_eq!(merged["baseline"]["path"], "/src/leakcheck-baseline.json");
        assert_eq!(
            merged["baseline"]["stale"],
            serde_json::json!([entry("TestA"), entry("TestX")])
        );
    }

    #[test]
    fn json_duplicates_are_named() {
        let a = doc(&[("example.com/a", 1), ("example.com/b", 1)], 1.0, Value::Null);
        let b = doc(&[("example.com/b", 1), ("example.com/a", 1)], 1.0, Value::Null);
        let err = merge_json(&[("s1.json".into(), a), ("s2.json".into(), b)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 packages are"), "{err}");
        assert!(
            err.contains("example.com/a (s1.json, s2.json); example.com/b (s1.json, s2.json)"),
            "{err}"
        );
    }

    #[test]
    fn inputs_are_told_apart_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            fs::write(&p, text).unwrap();
            p
        };
        let xml = write(
            "a.xml",
            &report(vec![suite("a", &[("TestA", true)], 0.1)]).to_string().unwrap(),
        );
        let json = write("a.json", &doc(&[("a", 1)], 1.0, Value::Null).to_string());
        assert!(matches!(read(&xml).unwrap(), Input::Junit(_)));
        assert!(matches!(read(&json).unwrap(), Input::Json(_)));
        let text = write("a.txt", "ok  \ta\t0.1s\n");
        assert!(read(&text).unwrap_err().to_string().contains("neither JUnit XML"));
        let other = write("b.json", r#"{"schema_version": 99, "packages": []}"#);
        assert!(read(&other).unwrap_err().to_string().contains("schema version 1"));
        let mut bad = doc(&[("a", 1)], 1.0, Value::Null);
        bad["elapsed_seconds"] = "1s".into();
        let bad = write("bad.json", &bad.to_string());
        assert_eq!(
            read(&bad).unwrap_err().to_string(),
            format!(
                r#"merge: {}: not a leakcheck --report-json report: elapsed_seconds is "1s", where leakcheck writes a number"#,
                bad.display()
            )
        );
        let err = run(
            std::slice::from_ref(&xml),
            Some(dir.path().join("o.xml")),
            Some(dir.path().join("o.json")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--report-json given, but no input"), "{err}");
        let err = run(&[xml.clone(), json.clone()], Some(dir.path().join("o.xml")), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.json is a --report-json report; add --report-json OUT"),
            "{err}"
        );
    }
}
