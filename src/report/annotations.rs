//! GitHub Actions annotations (`::error file=…,line=…::…`), emitted when
//! `GITHUB_ACTIONS=true`, with `--annotations`, or with the github-actions
//! format.
//!
//! GitHub shows at most ten error annotations per step, so the most severe
//! come first: build failures, then crashes (panics, timeouts), packages not
//! finished or not fully checked, test failures, then leaks (largest
//! first); the rest are summed up in one warning. A leak points at the line
//! in the user's module where its root cause was created (the first
//! goroutines the test itself started, not their offspring), else where
//! they are stuck. A test that failed only because its subtest leaked gets
//! no annotation of its own: the subtest's says it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::junit::{declared_location, leak_location, user_location};
use super::{text, Event, Reporter, RunInfo};
use crate::analyse::{CheckState, PackageResult, PackageStatus, Verdict};
use crate::error::{Error, Result};

/// GitHub's limit of error annotations shown per step.
pub const MAX_ERRORS: usize = 10;

/// One annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Lower comes first.
    pub rank: (u8, std::cmp::Reverse<usize>),
    /// Relative to the repository root.
    pub file: Option<String>,
    /// 1-based.
    pub line: Option<u32>,
    /// Short title.
    pub title: String,
    /// Body (may span lines).
    pub message: String,
}

impl Annotation {
    /// The workflow command.
    pub fn command(&self) -> String {
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", escape_property(f)));
            if let Some(l) = self.line {
                props.push(format!("line={l}"));
            }
        }
        props.push(format!("title={}", escape_property(&self.title)));
        format!("::error {}::{}", props.join(","), escape_data(&self.message))
    }
}

/// Writes annotations to stdout (GitHub reads workflow commands there).
pub struct AnnotationsReporter<W: Write> {
    out: W,
    workspace: Option<PathBuf>,
    info: Option<RunInfo>,
}

impl<W: Write> AnnotationsReporter<W> {
    /// Annotations relative to `workspace` (GITHUB_WORKSPACE), else to the
    /// module root.
    pub fn new(out: W, workspace: Option<PathBuf>) -> Self {
        AnnotationsReporter {
            out,
            workspace,
            info: None,
        }
    }

    fn relative(&self, file: &Path) -> String {
        let base = self
            .workspace
            .clone()
            .or_else(|| self.info.as_ref().map(|i| i.root.clone()))
            .unwrap_or_default();
        file.strip_prefix(&base).unwrap_or(file).display().to_string()
    }

    /// The annotations for a run, most important first.
    pub fn annotations(&self, packages: &[PackageResult]) -> Vec<Annotation> {
        let root = self.info.as_ref().map(|i| i.root.clone()).unwrap_or_default();
        let dir = self.info.as_ref().map(|i| i.dir.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for p in packages {
            let leaks = p
                .tests
                .iter()
                .filter(|t| t.verdict == Verdict::Leaked)
                .filter_map(|t| t.leak.as_ref().map(|l| (t.name.clone(), l)))
                .chain(p.failing_main_leak().into_iter().map(|l| ("TestMain".to_string(), l)));
            for (name, leak) in leaks {
                // Root causes first: the annotation points at where the
                // user's code started the first of them.
                let new: Vec<_> = text::tree_order(&leak.groups, &root)
                    .into_iter()
                    .map(|(_, i)| &leak.groups[i])
                    .filter(|g| !g.known)
                    .collect();
                if new.is_empty() {
                    continue;
                }
                // (Else where the test is declared: an httptest server
                // never closed has no frame in the user's code.)
                let loc = new
                    .iter()
                    .find_map(|g| user_location(g, &root))
                    .or_else(|| declared_location(p, &name, &root));
                let mut message = text::leak_summary(leak);
                for g in &new {
                    message.push('\n');
                    message.push_str(text::group_text(g, leak.proof, &root, "").lines().next().unwrap_or(""));
                    if let Some(d) = &g.diagnosis {
                        message.push('\n');
                        message.push_str(text::diagnosis_text(d, "    ").trim_end());
                    }
                    if let Some(c) = &g.created_by {
                        message.push_str(&format!(
                            "\n    created by {} ({}:{})",
                            c.function,
                            text::short_path(&c.file, &root),
                            c.line
                        ));
                    }
                }
                out.push(Annotation {
                    rank: (4, std::cmp::Reverse(leak.total - leak.known)),
                    file: loc.as_ref().map(|(f, _)| self.relative(&root.join(f))),
                    line: loc.map(|(_, l)| l),
                    title: format!("Goroutine leak in {name} ({})", p.import_path),
                    message,
                });
            }
            if let Some(crash) = &p.crash {
                let loc = leak_location(&crash.groups, &root);
                out.push(Annotation {
                    rank: (1, std::cmp::Reverse(0)),
                    file: loc.as_ref().map(|(f, _)| self.relative(&root.join(f))),
                    line: loc.map(|(_, l)| l),
                    title: format!("{} ({})", crash.message, p.import_path),
                    message: text::crash_text(crash, &root, ""),
                });
            }
            // A test that failed only because its subtest leaked has the
            // subtest's annotation.
            for t in p
                .tests
                .iter()
                .filter(|t| t.verdict == Verdict::Failed && !t.failed_by_subtest)
            {
                let loc = failure_location(&t.output);
                let base = p.dir.clone().unwrap_or_default();
                out.push(Annotation {
                    rank: (3, std::cmp::Reverse(0)),
                    file: loc.as_ref().map(|(f, _)| self.relative(&base.join(f))),
                    line: loc.map(|(_, l)| l),
                    title: format!("{} failed ({})", t.name, p.import_path),
                    message: text::without_framing(&t.output, &t.name),
                });
            }
            if let CheckState::NotChecked(why) = &p.check {
                let what = if p.status == PackageStatus::NotFinished {
                    "did not run to completion"
                } else {
                    "was not fully checked for leaks"
                };
                out.push(Annotation {
                    rank: (2, std::cmp::Reverse(0)),
                    file: None,
                    line: None,
                    title: format!("{} {what}", p.import_path),
                    message: why.clone(),
                });
            }
            if p.status == PackageStatus::BuildFailed {
                let loc = failure_location(&p.build_output);
                out.push(Annotation {
                    rank: (0, std::cmp::Reverse(0)),
                    file: loc.as_ref().map(|(f, _)| self.relative(&dir.join(f))),
                    line: loc.map(|(_, l)| l),
                    title: format!("{} does not build", p.import_path),
                    message: p.build_output.clone(),
                });
            }
        }
        out.sort_by_key(|a| a.rank);
        out
    }
}

impl<W: Write> Reporter for AnnotationsReporter<W> {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        match event {
            Event::RunStarted(info) => self.info = Some((*info).clone()),
            Event::RunFinished(summary) => {
                let all = self.annotations(&summary.packages);
                let mut text = String::new();
                for a in all.iter().take(MAX_ERRORS) {
                    text.push_str(&a.command());
                    text.push('\n');
                }
                if all.len() > MAX_ERRORS {
                    text.push_str(&format!(
                        "::warning title=leakcheck::{} more failures are not annotated (GitHub shows {MAX_ERRORS} per step): see the log or the JUnit report\n",
                        all.len() - MAX_ERRORS
                    ));
                }
                self.out
                    .write_all(text.as_bytes())
                    .and_then(|_| self.out.flush())
                    .map_err(|e| Error::io("cannot write to", "standard output", e))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// The first `file.go:12` (or `file.go:12:3`) a test or build output names.
pub fn failure_location(output: &str) -> Option<(String, u32)> {
    output.lines().find_map(|l| {
        let l = l.trim_start();
        let (file, rest) = l.split_once(".go:")?;
        let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if file.is_empty() || file.contains(' ') || line.is_empty() {
            return None;
        }
        Some((format!("{file}.go"), line.parse().ok()?))
    })
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_escaping() {
        assert_eq!(
            failure_location("=== RUN   TestX\n    x_test.go:12: boom\n"),
            Some(("x_test.go".into(), 12))
        );
        assert_eq!(
            failure_location("# p\nbroken/r_test.go:7:21: cannot use"),
            Some(("broken/r_test.go".into(), 7))
        );
        let a = Annotation {
            rank: (0, std::cmp::Reverse(1)),
            file: Some("a,b.go".into()),
            line: Some(3),
            title: "Leak: x".into(),
            message: "50% done\nnext".into(),
        };
        assert_eq!(
            a.command(),
            "::error file=a%2Cb.go,line=3,title=Leak%3A x::50%25 done%0Anext"
        );
    }
}
