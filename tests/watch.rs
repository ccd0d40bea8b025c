//! `--watch` in a pseudo-terminal: the test reads the screen from the pty,
//! changes a file, presses keys, and checks that leakcheck leaves no
//! process and no temporary directory behind.
//!
//! Every wait is on output read from the pty, on a FIFO, or on process
//! exit; the deadline in [`Screen::wait_for`] only turns a hang into a
//! failure.

use crate::common;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{leakcheck, temp_module, GoLog};
use portable_pty::{native_pty_system, Child, CommandBuilder, PtySize};

/// libb is a leaf, liba's tests import it.
const MODULE: &[(&str, &str)] = &[
    ("libb/b.go", "package libb\n\n// Answer is the answer.\nfunc Answer() int { return 42 }\n"),
    (
        "libb/b_test.go",
        "package libb\n\nimport \"testing\"\n\nfunc TestAnswer(t *testing.T) {\n\tif Answer() != 42 {\n\t\tt.Fatal()\n\t}\n}\n",
    ),
    (
        "liba/a_test.go",
        "package liba\n\nimport (\n\t\"testing\"\n\n\t\"example.com/tmp/libb\"\n)\n\nfunc TestWithB(t *testing.T) {\n\tif libb.Answer() != 42 {\n\t\tt.Fatal()\n\t}\n}\n",
    ),
    ("other/o_test.go", "package other\n\nimport \"testing\"\n\nfunc TestOther(t *testing.T) {}\n"),
];

/// A leak in libb: TestAnswer now leaves a goroutine behind.
const LEAKY_B: &str =
    "package libb\n\n// Answer is the answer, and a goroutine.\nfunc Answer() int {\n\tch := make(chan int)\n\tgo func() { <-ch }()\n\treturn 42\n}\n";

/// leakcheck --watch running in a pty, and everything it printed so far.
struct Screen {
    child: Box<dyn Child + Send + Sync>,
    keys: Box<dyn Write + Send>,
    output: Receiver<Vec<u8>>,
    seen: String,
    /// The unique environment entry every process it starts inherits.
    marker: String,
    tmp: tempfile::TempDir,
}

impl Screen {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Screen {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 50,
                cols: 200,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let id = format!("{}-{}", std::process::id(), dir.display());
        let mut cmd = CommandBuilder::new(leakcheck().get_program());
        cmd.arg("--watch");
        cmd.args(args);
        cmd.cwd(dir);
        cmd.env("TMPDIR", tmp.path());
        cmd.env("LEAKCHECK_WATCH_TEST", &id);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let keys = pty.master.take_writer().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            // The master end must stay open while the child writes.
            let _master = pty.master;
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Screen {
            child,
            keys,
            output,
            seen: String::new(),
            marker: format!("LEAKCHECK_WATCH_TEST={id}"),
            tmp,
        }
    }

    /// Reads the pty until `text` appears after byte `from` of everything
    /// printed; returns where it starts.
    fn wait_for(&mut self, text: &str, from: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Some(i) = self.seen.get(from..).and_then(|s| s.find(text)) {
                return from + i;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => panic!("{text:?} never appeared; the screen so far:\n{}", self.seen),
            }
        }
    }

    fn press(&mut self, key: &[u8]) {
        self.keys.write_all(key).unwrap();
        self.keys.flush().unwrap();
    }

    /// Waits for the exit, then checks nothing is left: no process that
    /// inherited the marker, nothing in TMPDIR.
    fn exit_code(self) -> u32 {
        let Screen {
            mut child,
            output,
            mut seen,
            marker,
            tmp,
            ..
        } = self;
        let pid = child.process_id();
        let (tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match exited.recv_timeout(Duration::from_secs(300)) {
            Ok(status) => status.unwrap(),
            Err(_) => {
                if let Some(pid) = pid {
                    // SAFETY: kill(2) on our own child, which hangs.
                    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
                }
                seen.extend(output.try_iter().map(|b| String::from_utf8_lossy(&b).into_owned()));
                panic!("leakcheck did not exit:\n{seen}");
            }
        };
        common::assert_no_process_with(&marker);
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "left in TMPDIR: {left:?}\n{seen}");
        status.exit_code()
    }
}

#[test]
fn a_change_reruns_the_affected_packages_and_q_quits_cleanly() {
    let m = temp_module(MODULE);
    let out = tempfile::tempdir().unwrap();
    let report = out.path().join("report.json");
    let go = GoLog::new();
    let mut screen = Screen::start(
        m.path(),
        &["--report-json", report.to_str().unwrap()],
        &[("LEAKCHECK_GO", &go.go())],
    );
    // The first run: everything, from the packages watch listed to watch
    // them (go list once).
    let first = screen.wait_for("run 1 · all packages", 0);
    let done = screen.wait_for("DONE 3 packages", first);
    screen.wait_for("q: quit", done);
    assert_eq!((go.count("list"), go.count("test")), (1, 1));

    // A leak in the leaf: it and liba, whose tests import it, run again.
    std::fs::write(m.path().join("libb/b.go"), LEAKY_B).unwrap();
    let second = screen.wait_for("run 2 · changed: libb/b.go", done);
    let done = screen.wait_for("DONE 2 packages", second);
    let summary = screen.seen[second..].to_string();
    assert!(summary.contains("depends on example.com/tmp/libb"), "{summary}");
    assert!(!summary.contains("example.com/tmp/other"), "{summary}");
    // The grouped leak report stays on screen, above the summary.
    let last = &screen.seen[screen.seen[..done]
        .rfind("--- LEAK: TestAnswer")
        .expect("the leak report")..];
    assert!(last.contains("1 × [chan receive"), "{last}");
    assert!(last.contains("LEAK  example.com/tmp/libb"), "{last}");
    screen.wait_for("f: rerun failed (2)", done);
    // The reports are rewritten per run, before its summary is drawn.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let packages: Vec<&str> = json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["import_path"].as_str().unwrap())
        .collect();
    assert_eq!(packages.len(), 2, "{packages:?}");
    assert!(packages.contains(&"example.com/tmp/liba") && packages.contains(&"example.com/tmp/libb"));
    assert_eq!(json["totals"]["leaked_tests"], 2, "{json:#}");

    // An editor's backup file changes nothing; the fix is run.
    std::fs::write(m.path().join("libb/b.go~"), LEAKY_B).unwrap();
    std::fs::write(m.path().join("libb/b.go"), MODULE[0].1).unwrap();
    let third = screen.wait_for("run 3 · changed: libb/b.go", done);
    assert!(!screen.seen[third..].contains("b.go~"));
    let done = screen.wait_for("DONE 2 packages", third);
    screen.wait_for("f: rerun failed · q: quit", done);

    screen.press(b"q");
    assert_eq!(screen.exit_code(), 0);
}

/// A test that says (through a FIFO) it is running, then blocks.
const BLOCKS: &str = r#"package slow

import (
	"os"
	"testing"
	"time"
)

func TestBlocks(t *testing.T) {
	if err := os.WriteFile(os.Getenv("READY_FIFO"), []byte("READY"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Hour)
}
"#;

#[test]
fn ctrl_c_during_a_run_stops_go_test_and_leaves_nothing() {
    let m = temp_module(&[("slow/slow_test.go", BLOCKS)]);
    let fifo_dir = tempfile::tempdir().unwrap();
    let fifo = fifo_dir.path().join("ready");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let mut screen = Screen::start(m.path(), &["--", "-count=1"], &[("READY_FIFO", fifo.to_str().unwrap())]);
    screen.wait_for("run 1 · all packages", 0);
    // Opening a FIFO for reading waits for the test to open it for writing.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::fs::File::open(&fifo).and_then(|mut f| f.read_to_string(&mut text));
        let _ = tx.send(text);
    });
    let ready = rx
        .recv_timeout(Duration::from_secs(300))
        .unwrap_or_else(|_| panic!("the test never started:\n{}", screen.seen));
    assert_eq!(ready, "READY");
    // Raw mode: Ctrl-C arrives as a key, and must stop go test all the same.
    screen.press(b"\x03");
    assert_eq!(screen.exit_code(), 130);
}

#[test]
fn watch_and_update_baseline_do_not_mix() {
    let out = leakcheck()
        .current_dir(common::fixtures_dir())
        .args(["--watch", "--update-baseline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// A pattern that names only a directory without Go files is refused before
// watching starts, as a plain run refuses it (exit 2).
#[test]
fn a_pattern_naming_nothing_is_refused_as_without_watch() {
    let m = temp_module(MODULE);
    std::fs::create_dir(m.path().join("empty")).unwrap();
    let mut screen = Screen::start(m.path(), &["./empty"], &[]);
    screen.wait_for("no packages to test", 0);
    assert_eq!(screen.exit_code(), 2);
}
