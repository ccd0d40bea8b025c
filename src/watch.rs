//! `--watch`: rerun the affected packages whenever a file changes.
//!
//! One loop on the main thread owns the state and the screen; everything
//! else reports to it over one channel:
//!
//! - the file watcher (notify, debounced 200ms) sends changed paths, minus
//!   editors' temporary files and `.git`, `target`, `node_modules`;
//! - a key reader (crossterm, raw terminal mode) sends `a`, `f`, `q`, Ctrl-C;
//! - a worker thread runs one session ([`session::run_with`]) at a time,
//!   with the packages [`changed::Graph::select`] picks for the changed
//!   paths (`go env` and `go list` once per run), and sends each finished
//!   package and the end of the run.
//!
//! A change during a run does not cancel it: it is queued, and the changes
//! that arrive meanwhile are run together once the run is over. A run's
//! verdicts need its tests to finish (a leak check waits for goroutines), go
//! test's cache makes the queued rerun of unchanged packages cheap, and an
//! editor that saves several files in a row would otherwise cancel run after
//! run. `q` and Ctrl-C interrupt a run the way a signal does (go test's
//! process group gets SIGINT, a second press kills it), wait for it to end,
//! so its temporary files are removed and no process is left, then quit.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use notify_debouncer_full::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_full::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use crate::analyse::{CheckState, PackageResult, PackageStatus, Verdict};
use crate::changed::{self, GitChanges, Graph, Selection};
use crate::discover::Toolchain;
use crate::error::{Error, ExitCode, Result};
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::terminal::{Format, TerminalOptions, TerminalReporter};
use crate::report::{text, Event, Reporter};
use crate::run::interrupt;
use crate::session::{self, Known, RunOptions};

/// How long the watcher waits for a burst of changes to settle.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// Directories never watched: version control, build output, JavaScript
/// dependencies. Hidden directories (`.idea`, `.cache`) are skipped too.
const IGNORED_DIRS: &[&str] = &[".git", "target", "node_modules"];

/// What watch mode needs besides a run's options.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The options of every run; `packages` are the patterns to watch
    /// (default ./...).
    pub run: RunOptions,
    /// `--changed [REF]` too: the first run tests what changed since REF
    /// instead of everything.
    pub changed: Option<Option<String>>,
    /// `--junitfile`, rewritten after every run.
    pub junitfile: Option<PathBuf>,
    /// `--report-json`, rewritten after every run.
    pub report_json: Option<PathBuf>,
    /// `--explain`.
    pub explain: bool,
}

/// Runs until `q` (exit 0) or Ctrl-C / a termination signal (exit 130).
/// Errors before the first run (not a module, not a git repository for
/// `--changed`, patterns matching nothing) end it with exit 2; later ones
/// are shown and watching goes on.
pub fn run(opts: WatchOptions) -> Result<ExitCode> {
    let tc = Toolchain::find(&opts.run.go, &opts.run.dir)?;
    let patterns = changed::patterns(&opts.run.packages);
    let graph = Graph::load(&tc, &patterns, &opts.run.go_test_args)?;
    let first = match &opts.changed {
        Some(rev) => {
            let changes = changed::git_changes(&opts.run.dir, rev.as_deref())?;
            let selection = graph.select(&changes.files);
            let known = graph.known(tc.clone(), &selection.import_paths());
            What::Since(changes, selection, Box::new(known))
        }
        None => What::All(Some(Box::new(graph.known_all(tc.clone())))),
    };
    let root = tc.root().to_path_buf();
    let (tx, rx) = mpsc::channel::<Msg>();

    // Watch before the first run, so no change made during it is missed.
    let mut roots: Vec<PathBuf> = vec![canonical(&root)];
    for d in graph.module_dirs() {
        if !roots.iter().any(|r| d.starts_with(r)) {
            roots.push(d.to_path_buf());
        }
    }
    let (mut debouncer, mut watched) = start_watching(roots, tx.clone())?;

    // From here a signal quits the loop, which restores the terminal.
    interrupt::setup_done();
    let keys = Keys::start(tx.clone());
    let mut app = App {
        opts: Arc::new(opts),
        root,
        tx,
        out: std::io::stdout(),
        tty: std::io::stdout().is_terminal(),
        keys: keys.is_some(),
        runs: 0,
        worker: None,
        pending: Pending::default(),
        quitting: None,
        screen: Screen::default(),
        last: None,
        failing: BTreeMap::new(),
        note: None,
        watched_dirs: watched.len(),
    };
    app.start(first);
    let code = app.run_loop(&rx, &mut debouncer, &mut watched);
    drop(debouncer);
    drop(keys);
    let _ = writeln!(app.out);
    Ok(code)
}

type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Starts watching `roots` (recursively, ignored directories left out),
/// sending changed paths to `tx`; returns the watcher and the directories
/// it watches.
fn start_watching(roots: Vec<PathBuf>, tx: Sender<Msg>) -> Result<(Watcher, HashSet<PathBuf>)> {
    let event_roots = roots.clone();
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |res: DebounceEventResult| {
        let msg = match res {
            Ok(events) => {
                let paths: BTreeSet<PathBuf> = events
                    .into_iter()
                    .filter(|e| is_change(&e.kind))
                    .flat_map(|e| e.event.paths)
                    .filter(|p| !is_ignored(p, &event_roots))
                    .collect();
                if paths.is_empty() {
                    return;
                }
                Msg::Files(paths.into_iter().collect())
            }
            Err(errors) => Msg::WatchError(errors.first().map(|e| e.to_string()).unwrap_or_default()),
        };
        let _ = tx.send(msg);
    })
    .map_err(|e| Error::Usage(format!("--watch: cannot watch files: {e}")))?;
    let mut watched = HashSet::new();
    for r in &roots {
        watch_tree(&mut debouncer, r, &mut watched, &mut Vec::new())
            .map_err(|e| Error::Usage(format!("--watch: cannot watch {}: {e}", r.display())))?;
    }
    Ok((debouncer, watched))
}

/// What the main loop hears about.
enum Msg {
    /// Changed paths (already filtered).
    Files(Vec<PathBuf>),
    /// The watcher failed.
    WatchError(String),
    /// A key.
    Key(Key),
    /// The worker chose the packages and starts go test.
    Started(Vec<(String, String)>),
    /// A package finished.
    Package(Box<PackageLine>),
    /// A notice of the run (a warning, a line go printed outside every
    /// package).
    Notice(String),
    /// The run is over.
    Finished(Box<Finished>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    All,
    Failed,
    Quit,
    Interrupt,
    Redraw,
}

/// What a run tests.
enum What {
    /// The patterns (default ./...), with what watch's own listing said
    /// of them for the first run (later, the listing may be out of date).
    All(Option<Box<Known>>),
    /// The packages changed files select, plus packages to rerun.
    Some { files: Vec<PathBuf>, failed: Vec<String> },
    /// `--changed`'s selection, for the first run, and what was listed of
    /// it.
    Since(GitChanges, Selection, Box<Known>),
}

/// Requests that came during a run, merged.
#[derive(Default)]
struct Pending {
    all: bool,
    failed: bool,
    files: BTreeSet<PathBuf>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        !self.all && !self.failed && self.files.is_empty()
    }
}

/// One package's line in the summary.
#[derive(Debug, Clone)]
struct PackageLine {
    import_path: String,
    word: &'static str,
    elapsed: f64,
    detail: String,
    failed: bool,
    /// What the terminal reporter prints for it (the grouped leaks), when
    /// it failed.
    report: Option<String>,
}

/// The end of a run, from the worker.
struct Finished {
    /// Nothing was selected: what changed, for the note.
    nothing: Option<String>,
    /// What the terminal reporter printed at the end (baseline, DONE).
    done: String,
    /// The session's result.
    result: Result<ExitCode>,
}

/// What the screen shows for the last run.
#[derive(Debug, Clone, Default)]
struct Screen {
    title: String,
    reasons: BTreeMap<String, String>,
    packages: Vec<PackageLine>,
    done: String,
    error: Option<String>,
    /// The run's notices, in order.
    notices: Vec<String>,
    running: bool,
}

/// A package that failed, and in which run.
struct Failure {
    run: usize,
    report: String,
}

struct App {
    opts: Arc<WatchOptions>,
    root: PathBuf,
    tx: Sender<Msg>,
    out: std::io::Stdout,
    tty: bool,
    keys: bool,
    runs: usize,
    worker: Option<JoinHandle<()>>,
    pending: Pending,
    quitting: Option<ExitCode>,
    screen: Screen,
    /// The last run that ran something.
    last: Option<Screen>,
    failing: BTreeMap<String, Failure>,
    note: Option<String>,
    watched_dirs: usize,
}

impl App {
    fn run_loop(
        &mut self,
        rx: &mpsc::Receiver<Msg>,
        debouncer: &mut Watcher,
        watched: &mut HashSet<PathBuf>,
    ) -> ExitCode {
        loop {
            match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(Msg::Files(paths)) => self.files_changed(paths, debouncer, watched),
                Ok(Msg::WatchError(e)) => {
                    self.note = Some(format!("watcher: {e}"));
                    self.draw();
                }
                Ok(Msg::Key(k)) => self.key(k),
                Ok(Msg::Started(selection)) => {
                    self.screen.reasons = selection.into_iter().collect();
                    self.draw();
                }
                Ok(Msg::Package(line)) => {
                    self.progress(&line);
                    self.screen.packages.push(*line);
                }
                Ok(Msg::Notice(text)) => {
                    self.show_notice(&text);
                    self.screen.notices.push(text);
                }
                Ok(Msg::Finished(f)) => self.finished(*f),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return self.quitting.unwrap_or(ExitCode::Passed),
            }
            // SIGINT, SIGTERM or SIGHUP from outside (no raw mode, or
            // `kill`): the handler has already interrupted go test.
            if interrupt::interrupted() && self.quitting.is_none() {
                self.quitting = Some(ExitCode::Interrupted);
            }
            if let Some(code) = self.quitting {
                if self.worker.is_none() {
                    return code;
                }
                continue;
            }
            if self.worker.is_none() && !self.pending.is_empty() {
                self.start_pending();
            }
        }
    }

    /// Changed paths: pending for the next run. A new directory is
    /// watched, and what is already in it counts as changed (it may have
    /// been filled before the watch was added).
    fn files_changed(&mut self, mut paths: Vec<PathBuf>, debouncer: &mut Watcher, watched: &mut HashSet<PathBuf>) {
        let mut found = Vec::new();
        for p in &paths {
            if p.is_dir() {
                // New, or deleted and made again: (re)watch.
                watched.retain(|w| !w.starts_with(p));
                let _ = watch_tree(debouncer, p, watched, &mut found);
            }
        }
        self.watched_dirs = watched.len();
        paths.extend(found);
        paths.retain(|p| !p.is_dir());
        self.pending.files.extend(paths);
    }

    fn key(&mut self, k: Key) {
        match k {
            Key::All => self.pending.all = true,
            Key::Failed => {
                if self.failing.is_empty() {
                    self.note = Some("nothing failed: nothing to rerun".into());
                    self.draw();
                } else {
                    self.pending.failed = true;
                }
            }
            Key::Quit => self.quit(ExitCode::Passed),
            Key::Interrupt => self.quit(ExitCode::Interrupted),
            Key::Redraw => self.draw(),
        }
    }

    /// Starts a run of what came during the last one, merged.
    fn start_pending(&mut self) {
        let p = std::mem::take(&mut self.pending);
        let what = if p.all {
            What::All(None)
        } else {
            What::Some {
                files: p.files.into_iter().collect(),
                failed: if p.failed {
                    self.failing.keys().cloned().collect()
                } else {
                    Vec::new()
                },
            }
        };
        self.start(what);
    }

    fn quit(&mut self, code: ExitCode) {
        if self.worker.is_some() {
            // First press: SIGINT to go test's group; second: SIGKILL.
            interrupt::interrupt();
        }
        self.quitting.get_or_insert(code);
    }

    /// Starts a run on the worker thread.
    fn start(&mut self, what: What) {
        self.runs += 1;
        let title = match &what {
            What::All(_) => format!(
                "all packages ({})",
                changed::patterns(&self.opts.run.packages).join(" ")
            ),
            What::Some { files, failed } => {
                let mut parts = Vec::new();
                if !files.is_empty() {
                    parts.push(format!("changed: {}", self.show_files(files)));
                }
                if !failed.is_empty() {
                    parts.push(format!(
                        "rerun of {} that failed",
                        text::plural(failed.len(), "package")
                    ));
                }
                parts.join("; ")
            }
            What::Since(changes, ..) => format!("changed since {}", changes.base),
        };
        self.screen = Screen {
            title: format!("run {} · {title}", self.runs),
            running: true,
            ..Screen::default()
        };
        self.note = None;
        let opts = Arc::clone(&self.opts);
        let tx = self.tx.clone();
        self.worker = Some(thread::spawn(move || work(&opts, what, &tx)));
    }

    fn finished(&mut self, f: Finished) {
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        if let Some(what) = f.nothing {
            // Nothing to run: keep the last summary on screen, say why.
            self.runs -= 1;
            self.screen = self.last.clone().unwrap_or_else(|| Screen {
                title: "waiting for changes".into(),
                ..Screen::default()
            });
            self.note = Some(what);
        } else {
            self.screen.running = false;
            self.screen.done = f.done;
            if let Err(e) = &f.result {
                self.screen.error = Some(e.to_string());
            }
            for p in &self.screen.packages {
                match &p.report {
                    Some(report) if p.failed => {
                        self.failing.insert(
                            p.import_path.clone(),
                            Failure {
                                run: self.runs,
                                report: report.clone(),
                            },
                        );
                    }
                    _ => {
                        self.failing.remove(&p.import_path);
                    }
                }
            }
            self.last = Some(self.screen.clone());
        }
        if self.quitting.is_none() {
            self.draw();
        }
    }

    /// A package line as it arrives, below what is on screen.
    fn progress(&mut self, line: &PackageLine) {
        if self.quitting.is_some() {
            return;
        }
        let _ = writeln!(self.out, "{}", self.package_row(line));
        let _ = self.out.flush();
    }

    /// The finished packages' rows, then the run's notices.
    fn rows(&self) -> String {
        let mut s = String::new();
        for p in &self.screen.packages {
            s.push_str(&self.package_row(p));
            s.push('\n');
        }
        for n in &self.screen.notices {
            s.push_str(n);
            s.push('\n');
        }
        s
    }

    /// A notice as it arrives, below what is on screen.
    fn show_notice(&mut self, text: &str) {
        if self.quitting.is_some() {
            return;
        }
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
    }

    fn package_row(&self, p: &PackageLine) -> String {
        let width = self
            .screen
            .reasons
            .keys()
            .chain(self.screen.packages.iter().map(|p| &p.import_path))
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(p.import_path.len());
        let elapsed = if p.word == "?" || p.word == "BUILD" {
            String::new()
        } else {
            format!("{:.2}s", p.elapsed)
        };
        let mut row = format!("  {:<5} {:width$} {elapsed:>7}  {}", p.word, p.import_path, p.detail);
        if let Some(reason) = self.screen.reasons.get(&p.import_path) {
            row.push_str(&format!("  ({reason})"));
        }
        row
    }

    /// Clears the screen and draws the last run: failures' grouped reports
    /// first, then the compact summary and the keys, so the summary stays
    /// in view however long the reports are.
    fn draw(&mut self) {
        let mut s = self.failures_text();
        let header = format!("leakcheck --watch · {}\n", self.screen.title);
        if self.screen.running {
            s.push_str(&self.keys_line());
            s.push_str(&header);
            if self.screen.reasons.is_empty() {
                s.push_str("running…\n");
            } else {
                s.push_str(&format!(
                    "running {}:\n",
                    text::plural(self.screen.reasons.len(), "package")
                ));
                let width = self.screen.reasons.keys().map(String::len).max().unwrap_or(0);
                for (p, why) in &self.screen.reasons {
                    s.push_str(&format!("  {p:width$}  {why}\n"));
                }
            }
            // Rows of finished packages and notices follow as they come.
            s.push_str(&self.rows());
        } else {
            s.push_str(&header);
            s.push_str(&self.rows());
            if let Some(e) = &self.screen.error {
                s.push_str(&format!("leakcheck: {e}\n"));
            }
            s.push_str(&self.screen.done);
            if let Some(note) = &self.note {
                s.push_str(&format!("note: {note}\n"));
            }
            s.push_str(&self.keys_line());
        }
        if self.tty {
            let _ = crossterm::queue!(
                self.out,
                crossterm::cursor::MoveTo(0, 0),
                crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
            );
        }
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    /// The failures' reports, oldest first: the newest stay nearest the
    /// summary. While a run goes on they are the last runs' reports.
    fn failures_text(&self) -> String {
        let mut s = String::new();
        let running = self.screen.running;
        let mut failures: Vec<(&String, &Failure)> = self.failing.iter().collect();
        failures.sort_by_key(|(_, f)| f.run);
        for (p, f) in failures {
            // A run of every package has no reasons: everything reruns.
            let rerun = self.screen.reasons.is_empty()
                || self.screen.reasons.contains_key(p.as_str())
                || self.screen.packages.iter().any(|l| l.import_path == *p);
            if running && rerun {
                s.push_str(&format!("=== {p}: failed in run {}, running again\n", f.run));
            } else if f.run != self.runs {
                s.push_str(&format!("=== {p}: failed in run {}, not rerun since\n", f.run));
            }
            s.push_str(&f.report);
            s.push('\n');
        }
        s
    }

    fn keys_line(&self) -> String {
        let watching = format!("watching {} for changes", directories(self.watched_dirs));
        if !self.keys {
            return format!("Ctrl-C: quit · {watching}\n");
        }
        let failed = if self.failing.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.failing.len())
        };
        format!("a: run all · f: rerun failed{failed} · q: quit · {watching}\n")
    }

    /// Changed files for the title, relative to the root, at most three.
    fn show_files(&self, files: &[PathBuf]) -> String {
        let root = canonical(&self.root);
        let mut names: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
            .collect();
        let more = names.len().saturating_sub(3);
        names.truncate(3);
        let mut s = names.join(", ");
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    }
}

/// One run, on the worker thread: select, run the session with the
/// terminal reporter captured, report each package and the end.
fn work(opts: &WatchOptions, what: What, tx: &Sender<Msg>) {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| select_and_run(opts, what, tx)));
    if run.is_err() {
        // The main loop waits for this message: never leave it waiting.
        let _ = tx.send(Msg::Finished(Box::new(Finished {
            nothing: None,
            done: String::new(),
            result: Err(Error::Usage("internal error: the run panicked".into())),
        })));
    }
}

fn select_and_run(opts: &WatchOptions, what: What, tx: &Sender<Msg>) {
    let done = Arc::new(Mutex::new(String::new()));
    let mut nothing = None;
    let result = (|| -> Result<ExitCode> {
        let (selection, known) = match select(opts, what)? {
            Selected::Nothing(why) => {
                nothing = Some(why);
                return Ok(ExitCode::Passed);
            }
            Selected::Packages(selection, known) => (selection, known.map(|k| *k)),
        };
        let mut run = opts.run.clone();
        if !selection.is_empty() {
            run.packages = selection.iter().map(|(p, _)| p.clone()).collect();
        }
        let _ = tx.send(Msg::Started(selection));
        if interrupt::interrupted() {
            return Ok(ExitCode::Interrupted);
        }
        let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(WatchReporter::new(
            tx.clone(),
            Arc::clone(&done),
            opts.explain,
        ))];
        if let Some(p) = &opts.junitfile {
            reporters.push(Box::new(JunitReporter::new(p.clone())));
        }
        if let Some(p) = &opts.report_json {
            reporters.push(Box::new(JsonReporter::new(p.clone())));
        }
        session::run_with(&run, known, &mut reporters)
    })();
    let done = done.lock().map(|d| d.clone()).unwrap_or_default();
    let _ = tx.send(Msg::Finished(Box::new(Finished { nothing, done, result })));
}

/// What a run tests.
enum Selected {
    /// Nothing: why, for the note.
    Nothing(String),
    /// These packages, with the reason each runs (none: the patterns), and
    /// the toolchain and packages' listing when selecting them needed it.
    Packages(Vec<(String, String)>, Option<Box<Known>>),
}

/// The packages a run tests: the patterns, `--changed`'s selection, or the
/// packages changed files affect plus those to rerun.
fn select(opts: &WatchOptions, what: What) -> Result<Selected> {
    let run = &opts.run;
    match what {
        What::All(known) => Ok(Selected::Packages(Vec::new(), known)),
        What::Since(changes, selection, known) => {
            if selection.is_empty() {
                return Ok(Selected::Nothing(
                    changed::describe(&changes, &selection).trim().to_string(),
                ));
            }
            Ok(Selected::Packages(reasons(&selection), Some(known)))
        }
        What::Some { files, failed } => {
            let tc = Toolchain::find(&run.go, &run.dir)?;
            let graph = Graph::load(&tc, &changed::patterns(&run.packages), &run.go_test_args)?;
            let mut selected = reasons(&graph.select(&files));
            for f in failed {
                if !selected.iter().any(|(p, _)| *p == f) && graph.all().contains(&f) {
                    selected.push((f, "failed last time".into()));
                }
            }
            if selected.is_empty() {
                let names: Vec<String> = files
                    .iter()
                    .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .collect();
                return Ok(Selected::Nothing(if names.is_empty() {
                    "nothing to rerun".to_string()
                } else {
                    format!("{} changed: no package affected", names.join(", "))
                }));
            }
            selected.sort();
            let import_paths: Vec<String> = selected.iter().map(|(p, _)| p.clone()).collect();
            let known = graph.known(tc, &import_paths);
            Ok(Selected::Packages(selected, Some(Box::new(known))))
        }
    }
}

fn reasons(selection: &Selection) -> Vec<(String, String)> {
    selection
        .packages
        .iter()
        .map(|s| (s.import_path.clone(), s.reason.to_string()))
        .collect()
}

/// Turns the session's events into messages for the main loop; the grouped
/// reports are the terminal reporter's, captured; notices (warnings, go's
/// lines outside every package) are shown in the screen, below the
/// packages' rows.
struct WatchReporter {
    tx: Sender<Msg>,
    buf: Arc<Mutex<Vec<u8>>>,
    terminal: TerminalReporter<Capture>,
    done: Arc<Mutex<String>>,
}

impl WatchReporter {
    fn new(tx: Sender<Msg>, done: Arc<Mutex<String>>, explain: bool) -> Self {
        let buf = Arc::new(Mutex::new(Vec::new()));
        WatchReporter {
            tx,
            terminal: TerminalReporter::new(
                Capture(Arc::clone(&buf)),
                TerminalOptions {
                    format: Format::StandardQuiet,
                    color: false,
                    progress: false,
                    explain,
                    slowest: 0,
                    stacks: crate::report::text::StackStyle::Compact,
                    streams: false,
                },
            ),
            buf,
            done,
        }
    }

    fn take(&self) -> String {
        let mut b = self.buf.lock().unwrap_or_else(|e| e.into_inner());
        let s = String::from_utf8_lossy(&b).into_owned();
        b.clear();
        s
    }
}

impl Reporter for WatchReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        match event {
            Event::Output { .. } | Event::GoTestLine(_) | Event::RerunStarted { .. } => return Ok(()),
            // In the screen, not in the middle of it.
            Event::Notice { text, .. } => {
                let _ = self.tx.send(Msg::Notice(text.to_string()));
            }
            Event::RunStarted(_) => {
                self.terminal.handle(event)?;
                self.take();
            }
            Event::PackageFinished(p) => {
                self.terminal.handle(event)?;
                let report = self.take();
                let mut line = package_line(p);
                line.report = line.failed.then_some(report);
                let _ = self.tx.send(Msg::Package(Box::new(line)));
            }
            Event::RunFinished(_) => {
                self.terminal.handle(event)?;
                let text = self.take();
                if let Ok(mut d) = self.done.lock() {
                    *d = text;
                }
            }
        }
        Ok(())
    }
}

/// A writer into a shared buffer.
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A package's status word and counts.
fn package_line(p: &PackageResult) -> PackageLine {
    // TestMain's leftovers count as a leaking test, as in the reports.
    let leaked =
        p.tests.iter().filter(|t| t.verdict == Verdict::Leaked).count() + usize::from(p.failing_main_leak().is_some());
    let failed = p
        .tests
        .iter()
        .filter(|t| t.verdict.is_failure() && t.verdict != Verdict::Leaked)
        .count();
    let tests = p.tests.len();
    let (word, detail) = match p.status {
        PackageStatus::NoTestFiles => ("?", "no test files".to_string()),
        PackageStatus::BuildFailed => ("BUILD", "build failed".to_string()),
        PackageStatus::NotFinished => ("ERROR", "not finished".to_string()),
        PackageStatus::Passed => {
            let cached = if p.check == CheckState::Cached { ", cached" } else { "" };
            ("ok", format!("{}{cached}", text::plural(tests, "test")))
        }
        PackageStatus::Failed => {
            let mut parts = Vec::new();
            if failed > 0 {
                parts.push(format!("{failed} failed"));
            }
            if leaked > 0 || p.leaked_goroutines() > 0 {
                parts.push(format!("{leaked} leaked ({})", text::goroutines(p.leaked_goroutines())));
            }
            if let Some(c) = &p.crash {
                parts.push(c.message.clone());
            }
            if let CheckState::NotChecked(why) = &p.check {
                parts.push(format!("not checked: {why}"));
            }
            if parts.is_empty() {
                parts.push("failed outside the tests".into());
            }
            let word = if failed == 0 && p.crash.is_none() && p.leaked_goroutines() > 0 {
                "LEAK"
            } else {
                "FAIL"
            };
            (word, format!("{}: {}", text::plural(tests, "test"), parts.join(", ")))
        }
    };
    PackageLine {
        import_path: p.import_path.clone(),
        word,
        elapsed: p.elapsed,
        detail,
        failed: p.is_failure(),
        report: None,
    }
}

/// Raw mode on standard input, and a thread that reads keys; both undone
/// when dropped.
struct Keys;

impl Keys {
    /// Starts reading keys if standard input is a terminal (else watch
    /// mode is stopped by Ctrl-C as a signal).
    fn start(tx: Sender<Msg>) -> Option<Keys> {
        if !std::io::stdin().is_terminal() || crossterm::terminal::enable_raw_mode().is_err() {
            return None;
        }
        keep_output_processing();
        thread::spawn(move || loop {
            use crossterm::event::{self, Event as Input, KeyCode, KeyEventKind, KeyModifiers};
            let key = match event::read() {
                Ok(Input::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
                    KeyCode::Char('a' | 'A') => Key::All,
                    KeyCode::Char('f' | 'F') => Key::Failed,
                    KeyCode::Char('q' | 'Q') => Key::Quit,
                    _ => continue,
                },
                Ok(Input::Resize(..)) => Key::Redraw,
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(Msg::Key(key)).is_err() {
                return;
            }
        });
        Some(Keys)
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// Raw mode turns off output processing too, so `\n` would no longer
/// return the cursor; go test's and leakcheck's own lines print `\n`.
/// Input stays raw (keys arrive one by one, Ctrl-C as a key).
fn keep_output_processing() {
    // SAFETY: tcgetattr/tcsetattr on standard input, a terminal, with a
    // termios they filled.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0 {
            t.c_oflag |= libc::OPOST | libc::ONLCR;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t);
        }
    }
}

/// Adds a non-recursive watch on `dir` and every directory below it that is
/// not ignored; files found on the way are added to `found`. (Watching
/// directory by directory keeps `.git`, `target` and `node_modules` out of
/// the kernel's watch list, which a recursive watch would fill.)
fn watch_tree(
    w: &mut Watcher,
    dir: &Path,
    watched: &mut HashSet<PathBuf>,
    found: &mut Vec<PathBuf>,
) -> notify::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(d) = stack.pop() {
        if watched.contains(&d) {
            continue;
        }
        match w.watch(&d, RecursiveMode::NonRecursive) {
            Ok(()) => {
                watched.insert(d.clone());
            }
            Err(e) if first => return Err(e),
            Err(_) => continue, // gone meanwhile
        }
        first = false;
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name();
            let name = name.to_string_lossy();
            if ft.is_dir() {
                if !ignored_dir(&name) {
                    stack.push(e.path());
                }
            } else if ft.is_file() && !ignored_file(&name) {
                found.push(e.path());
            }
        }
    }
    Ok(())
}

/// Whether an event says a file's contents or existence changed: not a
/// read (go list and go test open every file they use).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

fn ignored_dir(name: &str) -> bool {
    IGNORED_DIRS.contains(&name) || name.starts_with('.')
}

/// Editors' temporary and backup files: `*~`, `.#*` and other hidden files
/// (`.x.go.swp`, `.x.tmp`; Go never builds hidden files), `#x#`, vim's
/// `4913` probe, JetBrains' `___jb_tmp___`.
fn ignored_file(name: &str) -> bool {
    name.ends_with('~')
        || name.starts_with('.')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || [".swp", ".swo", ".swx", ".tmp", "___jb_tmp___", "___jb_old___"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Whether a changed path is noise: under an ignored directory, or an
/// editor's temporary file. Only the part below a watched root counts.
fn is_ignored(path: &Path, roots: &[PathBuf]) -> bool {
    let rel = roots.iter().find_map(|r| path.strip_prefix(r).ok()).unwrap_or(path);
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let Some(name) = parts.pop() else { return true };
    parts.iter().any(|d| ignored_dir(d)) || ignored_file(&name) || IGNORED_DIRS.contains(&name.as_str())
}

fn directories(n: usize) -> String {
    if n == 1 {
        "1 directory".into()
    } else {
        format!("{n} directories")
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_and_ignored_directories_are_noise() {
        let roots = vec![PathBuf::from("/src/.work/m")];
        let noisy = |p: &str| is_ignored(Path::new(p), &roots);
        for p in [
            "/src/.work/m/a/a.go~",
            "/src/.work/m/a/.a.go.swp",
            "/src/.work/m/a/.#a.go",
            "/src/.work/m/a/#a.go#",
            "/src/.work/m/a/4913",
            "/src/.work/m/a/.a.go.tmp",
            "/src/.work/m/a/a.go___jb_tmp___",
            "/src/.work/m/.git/index",
            "/src/.work/m/web/node_modules/x/y.go",
            "/src/.work/m/target/debug/x",
            "/src/.work/m/.git",
        ] {
            assert!(noisy(p), "{p}");
        }
        // A hidden directory above the root does not hide the module.
        for p in [
            "/src/.work/m/a/a.go",
            "/src/.work/m/go.mod",
            "/src/.work/m/a/testdata/in.json",
        ] {
            assert!(!noisy(p), "{p}");
        }
    }
}
