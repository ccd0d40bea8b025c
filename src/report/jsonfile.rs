//! `--jsonfile`: the raw `go test -json` stream, as gotestsum writes it, so
//! tooling that reads go test's JSON keeps working.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{Event, Reporter};
use crate::error::{Error, Result};

/// Copies every go test JSON line to a file.
pub struct JsonFileReporter {
    path: PathBuf,
    file: Option<BufWriter<File>>,
}

impl JsonFileReporter {
    /// A reporter writing to `path` (created when the run starts).
    pub fn new(path: PathBuf) -> Self {
        JsonFileReporter { path, file: None }
    }
}

impl Reporter for JsonFileReporter {
    fn handle(&mut self, event: &Event<'_>) -> Result<()> {
        let err = |e| Error::io("cannot write", self.path.clone(), e);
        match event {
            Event::RunStarted(_) => {
                if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create", dir, e))?;
                }
                self.file = Some(BufWriter::new(File::create(&self.path).map_err(err)?));
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
