//! `--jsonfile`: the raw `go test -json` stream, as gotestsum writes it, so
//! tooling that reads go test's JSON keeps working.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{Event, Reporter};
use crate::error::{Error, Result};

/// Copies every go test JSON line to a file.
pub struct JsonFileReporter {
    path: PathBuf,
    file: Option<BufWriter<Box<dyn Write + Send>>>,
}

impl JsonFileReporter {
    /// A reporter writing to `path` (created when the run starts).
    pub fn new(path: PathBuf) -> Self {
        JsonFileReporter { path, file: None }
    }
}

impl Reporter for JsonFileReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        let err = |e| Error::io("cannot write", super::report_name(&self.path), e);
        match event {
            Event::RunStarted(_) => {
                self.file = Some(BufWriter::new(super::open_report(&self.path)?));
            }
            Event::GoTestLine(line) => {
                if let Some(f) = &mut self.file {
                    f.write_all(line.as_bytes())
                        .and_then(|_| f.write_all(b"\n"))
                        .map_err(err)?;
                }
            }
            Event::RunFinished(_) => {
                if let Some(f) = &mut self.file {
                    f.flush().map_err(err)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
