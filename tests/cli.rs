//! The command line's failure modes: each is one clear line and exit 2.

use crate::common;

use common::{fixtures_dir, leakcheck};

fn run(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = leakcheck();
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let (code, _, err) = run(&["--no-such-flag"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("leakcheck: unknown flag --no-such-flag"), "{err}");
    // A near miss is named.
    let (code, _, err) = run(&["--junit-file", "x.xml"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        "leakcheck: unknown flag --junit-file (did you mean --junitfile?)"
    );
}

#[test]
fn a_go_test_flag_before_the_separator_is_named_as_given_in_one_line() {
    // clap itself names `-r` for `-run`.
    let (code, _, err) = run(&["./spawn", "-run", "TestX"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unknown flag -run: go test's flags go after `--`"),
        "{err}"
    );
    let (code, _, err) = run(&["--format", "nope"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("possible values: pkgname"), "{err}");
}

#[test]
fn a_package_after_the_separator_or_a_refused_flag_in_goflags_is_refused() {
    // go test takes `./slowexit` for a package that leakcheck never listed:
    // it ran without the helper, "not fully checked" (a hostile review's
    // case). And GOFLAGS=-list=. made a run that checked nothing exit 0.
    for (args, env, says) in [
        (
            &["./spawn", "--", "./slowexit", "-count=1"][..],
            &[][..],
            "./slowexit right after -- is a package to go test",
        ),
        (
            &["./spawn"],
            &[("GOFLAGS", "-list=.")],
            "GOFLAGS sets -list, which lists tests",
        ),
        (
            &["./spawn"],
            &[("GOFLAGS", "-n")],
            "GOFLAGS sets -n, which prints go's commands",
        ),
    ] {
        let (code, out, err) = run(args, &fixtures_dir(), env);
        assert_eq!(code, 2, "{args:?} {env:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
        assert!(out.is_empty(), "nothing ran: {out}");
    }
    // After a flag, go test hands words to the test binary; a quoted
    // GOFLAGS entry is one flag (the compiler's -c=2 is no go test -c).
    let (code, out, err) = run(
        &["./slowexit", "--", "-count=1", "pos"],
        &fixtures_dir(),
        &[("GOFLAGS", "'-gcflags=-N -c=2'")],
    );
    assert_eq!(code, 0, "{out}{err}");
    // The command line overrides GOFLAGS, as for go.
    let (code, out, err) = run(
        &["./slowexit", "--", "-count=1", "-c=false"],
        &fixtures_dir(),
        &[("GOFLAGS", "-c")],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[cfg(unix)]
#[test]
fn a_bad_flag_beside_an_argument_that_is_not_utf8_is_one_line() {
    use std::os::unix::ffi::OsStrExt;
    let mut cmd = leakcheck();
    cmd.current_dir(fixtures_dir())
        .arg(std::ffi::OsStr::from_bytes(b"--bogus=\xff"));
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("leakcheck: unknown flag --bogus="), "{err}");
}

#[test]
fn a_subcommands_stray_argument_is_not_called_a_go_test_flag() {
    let (code, _, err) = run(&["stacks", "a", "b"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        "leakcheck: unexpected argument b (`leakcheck stacks --help` lists its arguments)"
    );
}

#[test]
fn version_into_a_closed_pipe_is_not_a_panic() {
    use std::process::Stdio;
    let mut child = leakcheck()
        .arg("--version")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before leakcheck writes.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}

#[test]
fn a_bad_grace_is_a_usage_error() {
    let (code, _, err) = run(&["--grace", "soon"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("`soon` is not a duration"), "{err}");
    // A negative one is a bad value, not an unknown flag, for every flag
    // that takes a number.
    let (code, _, err) = run(&["--grace", "-1s"], &fixtures_dir(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("`-1s` is not a duration"), "{err}");
    for flag in ["--rerun-fails", "--rerun-fails-max-failures", "--shard", "--format"] {
        let (code, _, err) = run(&[flag, "-1", "./spawn"], &fixtures_dir(), &[]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert!(err.contains(&format!("invalid value '-1' for '{flag}")), "{err}");
    }
}

#[test]
fn a_grace_too_long_is_a_usage_error_not_a_panic() {
    for grace in ["1e30", "99999999999h"] {
        let (code, _, err) = run(&["--grace", grace], &fixtures_dir(), &[]);
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn missing_go_is_one_line_and_exit_2() {
    let (code, out, err) = run(&[], &fixtures_dir(), &[("LEAKCHECK_GO", "/nonexistent/go")]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("leakcheck: cannot run `/nonexistent/go`"), "{err}");
}

#[test]
fn outside_a_module_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&[], dir.path(), &[("GOWORK", "off"), ("GOFLAGS", "-mod=mod")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not inside a Go module"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn patterns_that_match_nothing_are_exit_2() {
    let (code, _, err) = run(&["./no/such/dir/..."], &fixtures_dir(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("leakcheck: "), "{err}");
    // A module not required: go's hint, on its next line, is kept on the
    // one line (helper-131: cut at "to add it:").
    let (code, _, err) = run(&["example.com/not/required"], &fixtures_dir(), &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("to add it: go get example.com/not/required"), "{err}");
}

#[test]
fn help_lists_the_exit_codes() {
    let (code, out, _) = run(&["--help"], &fixtures_dir(), &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit status: 0"), "{out}");
    assert!(out.contains("--junitfile"), "{out}");
}

#[test]
fn go_test_refusing_its_arguments_is_exit_2() {
    // go test exits 2 on a flag it cannot parse, before it tests anything:
    // a usage error, not a failing run (it used to be exit 1).
    let (code, out, err) = run(&["./spawn", "--", "-count=x"], &fixtures_dir(), &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("invalid value \"x\" for flag -count"),
        "go test's message is kept: {err}"
    );
    assert!(err.contains("leakcheck: go test refused its arguments"), "{err}");
    // go's reason is in the report too (CI dashboards show the report).
    assert!(
        out.contains("not finished: go test refused its arguments: invalid value \"x\" for flag -count"),
        "{out}"
    );
}

#[test]
fn go_tests_reason_for_testing_nothing_is_in_each_packages_error() {
    // go test exits 1, before it builds anything, on a profile flag given
    // several packages; each package's error says why, not only the status.
    let (code, out, err) = run(
        &["./spawn", "./generator", "--", "-cpuprofile", "cpu.out"],
        &fixtures_dir(),
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("cannot use -cpuprofile flag with multiple packages"),
        "{err}"
    );
    assert_eq!(
        out.matches(
            "not finished: go test exited (1) before it ran it: cannot use -cpuprofile flag with multiple packages"
        )
        .count(),
        2,
        "{out}"
    );
}

#[test]
fn a_flag_only_the_test_binary_refuses_stays_a_failing_package() {
    // The binary, not go test, refuses -badflag: go test says FAIL and exits 1.
    let (code, out, err) = run(&["./spawn", "--", "-badflag"], &fixtures_dir(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("flag provided but not defined: -badflag"), "{out}");
    assert!(!err.contains("cannot intercept"), "{err}");
}

#[test]
fn a_run_pattern_testing_cannot_compile_is_go_tests_failure_without_an_exit_warning() {
    let (code, out, err) = run(&["./spawn", "--", "-run", "["], &fixtures_dir(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("testing: invalid regexp"), "{out}");
    assert!(!err.contains("cannot intercept"), "{err}");
}

#[test]
fn a_package_list_go_refuses_is_one_line_with_gos_reason() {
    // go list reports this error with no package: it was "unreadable
    // output: missing field `ImportPath`".
    let (code, out, err) = run(&["./spawn", "./spawn/server_test.go"], &fixtures_dir(), &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("named files must be .go files"), "{err}");
}

#[test]
fn version_reports_the_toolchain_go_picks_in_the_dir_given_with_c() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("go.mod"), "module example.com/v\n\ngo 1.27.3\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["-C", d, "-V"], &fixtures_dir(), &[("GOTOOLCHAIN", "auto")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("go version go1.27.3"), "{out}");
    let (code, _, err) = run(&["-C", "/no/such/dir", "-V"], &fixtures_dir(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("leakcheck: cannot change to /no/such/dir"), "{err}");
}

#[test]
fn a_test_binary_flag_that_turns_off_the_event_stream_is_refused() {
    // `-args -test.v=false` replaces go test -json's -test.v=test2json: no
    // test's events, and the package was "not fully checked" (exit 1) where
    // go test passes (a hostile review's case). Refused, as -c is.
    let (code, out, err) = run(
        &["./spawn", "--", "-count=1", "-args", "-test.v=false"],
        &fixtures_dir(),
        &[],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("go test -args -test.v=false turns off the per-test events"),
        "{err}"
    );
    assert!(out.is_empty(), "nothing ran: {out}");
}

#[cfg(unix)]
#[test]
fn a_temporary_directory_whose_path_is_not_utf8_is_one_line_and_exit_2() {
    use std::os::unix::ffi::OsStrExt;
    let base = tempfile::tempdir().unwrap();
    let bad = base.path().join(std::ffi::OsStr::from_bytes(b"tmp\xffdir"));
    std::fs::create_dir(&bad).unwrap();
    let out = leakcheck()
        .current_dir(fixtures_dir())
        .args(["./spawn"])
        .env("GOTMPDIR", &bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
}

/// A file named where leakcheck expects a small one that never ends
/// (`/dev/zero`) is refused in one line, exit 2 (a hostile review's case:
/// leakcheck read it until the machine ran out of memory).
#[test]
fn an_endless_config_file_is_refused_in_one_line() {
    let big = tempfile::NamedTempFile::new().unwrap();
    big.as_file().set_len(65 << 20).unwrap();
    let big = big.path().to_str().unwrap();
    for (config, why) in [
        ("/dev/zero", "a device, not a file".to_string()),
        (big, "larger than 64 MiB, not a file leakcheck reads".to_string()),
    ] {
        let out = leakcheck()
            .current_dir(fixtures_dir())
            .args(["--config", config, "./spawn"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim(), format!("leakcheck: cannot read {config}: {why}"));
    }
}

/// A report that cannot be written (a path under a file, a directory) is
/// refused before any test runs: found after the run, it cost the whole
/// run's results (a hostile review's case).
#[test]
fn a_report_path_that_cannot_be_written_stops_leakcheck_before_any_test_runs() {
    let go = common::GoLog::new();
    let m = common::temp_module(&[(
        "a/a_test.go",
        "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
    )]);
    for (flag, path, why) in [
        ("--junitfile", "go.mod/report.xml", "go.mod is a file, not a directory"),
        ("--report-json", "a", "it is a directory"),
        (
            "--jsonfile",
            "go.mod/out/events.json",
            "go.mod is a file, not a directory",
        ),
    ] {
        let (code, _, err) = run(&[flag, path, "./..."], m.path(), &[("LEAKCHECK_GO", &go.go())]);
        assert_eq!(code, 2, "{flag}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("leakcheck: cannot write {path}: ")) && err.contains(why),
            "{err}"
        );
    }
    // A directory not there yet, a link into one, the same file twice,
    // however spelled (helper-131: only the same spelling was refused, and
    // the JUnit file held the JSON report).
    std::os::unix::fs::symlink("missing/report.xml", m.path().join("link.xml")).unwrap();
    std::fs::write(m.path().join("old.xml"), "").unwrap();
    std::os::unix::fs::symlink("old.xml", m.path().join("alias.xml")).unwrap();
    let dir_name = m.path().file_name().unwrap().to_str().unwrap().to_string();
    let up = format!("../{dir_name}/r.xml");
    for (args, why) in [
        (
            &["--junitfile", "r.xml", "--report-json", "./r.xml", "./..."][..],
            "name the same file",
        ),
        (
            &["--junitfile", "r.xml", "--report-json", &up, "./..."][..],
            "name the same file",
        ),
        (
            &["--junitfile", "old.xml", "--report-json", "alias.xml", "./..."][..],
            "name the same file",
        ),
        (&["--junitfile", "outdir/", "./..."][..], "it is a directory"),
        (
            &["--junitfile", "link.xml", "./..."][..],
            "its link points into missing",
        ),
        (
            &["--junitfile", "newdir/r.xml", "--report-json", "newdir/r.xml", "./..."][..],
            "name the same file",
        ),
        (
            &["--junitfile", "newdir/r.xml", "--jsonfile", "go.mod/x.json", "./..."][..],
            "not a directory",
        ),
    ] {
        let (code, _, err) = run(args, m.path(), &[("LEAKCHECK_GO", &go.go())]);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
    assert_eq!(go.count("test"), 0, "go test ran");
    // Refused, it made no directory.
    assert!(!m.path().join("newdir").exists());
}

/// A FIFO named as the report (a CI step reading it) gets the whole report:
/// checking the path before the run must not open it (its reader would
/// take that for the end of the file, and the write at the end would wait
/// for a reader for ever; a review's case).
#[test]
fn a_report_to_a_fifo_reaches_its_reader() {
    let m = common::temp_module(&[(
        "a/a_test.go",
        "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n",
    )]);
    let fifo = m.path().join("report.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a path of our own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let (code, out, err) = run(&["--junitfile", fifo.to_str().unwrap(), "./..."], m.path(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    let xml = reader.join().unwrap();
    assert!(xml.contains("<testcase name=\"TestA\""), "{xml}");
}
