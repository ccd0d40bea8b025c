//! leakcheck's temporary directories: the overlay, the helper's records and
//! go's work directory.
//!
//! Each is removed when its run ends, however it ends, except when
//! leakcheck is killed with SIGKILL (a CI job's timeout, the OOM killer):
//! then nothing of it runs again, and the directories stay. So each
//! directory holds a lock file that its run keeps locked (`flock`) while it
//! lives, and every run first removes the directories whose lock nobody
//! holds: those of runs that are gone. The kernel drops a lock when its
//! holder dies, so no process id is ever trusted (ids are reused).

use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// What every leakcheck temporary directory's name starts with; the dot
/// keeps `go test ./...` from taking one inside a module for a package.
const PREFIX: &str = ".leakcheck-";

/// The lock file inside each directory.
const LOCK: &str = ".lock";

/// How old a lock file must be before a free lock means its run is gone:
/// a run locks the file right after creating it, and another run starting
/// in that instant must not take the directory for a dead run's.
const SETTLED: Duration = Duration::from_secs(60);

/// A temporary directory of this run: locked while it lives, removed when
/// it is dropped.
#[derive(Debug)]
pub struct ScratchDir {
    // Dropped in this order: the directory goes, then the lock.
    dir: tempfile::TempDir,
    _lock: File,
}

impl ScratchDir {
    /// Creates `<parent>/.leakcheck-<kind>-XXXXXX` and locks it.
    pub fn create(kind: &str, parent: &Path) -> Result<ScratchDir> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{PREFIX}{kind}-"))
            .tempdir_in(parent)
            .map_err(|e| Error::io("cannot create a temporary directory in", parent, e))?;
        let path = dir.path().join(LOCK);
        let lock = File::create(&path).map_err(|e| Error::io("cannot create", &path, e))?;
        // A new file nobody else has opened yet: the lock is free. Should it
        // fail anyway (a filesystem without flock), the directory is only
        // not protected from a later run's cleanup after SETTLED.
        let _ = try_lock(&lock);
        Ok(ScratchDir { dir, _lock: lock })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes the leakcheck directories in `parent` that no live run holds.
/// A directory without a lock file (one being created right now, or one an
/// older leakcheck left) is left alone, as is anything that is not a
/// directory. Nothing here fails the run: another run may be removing the
/// same directory, and what cannot be removed stays, as before.
pub fn remove_abandoned(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().as_encoded_bytes().starts_with(PREFIX.as_bytes()) {
            continue;
        }
        // Not followed: a symbolic link is not a directory here.
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = File::open(dir.join(LOCK)) else {
            continue;
        };
        let settled = lock
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| SystemTime::now().duration_since(t).is_ok_and(|age| age >= SETTLED));
        if settled && try_lock(&lock) {
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

/// Takes an exclusive lock on `file` without waiting; false when another
/// open file holds it (or the filesystem has no locks).
fn try_lock(file: &File) -> bool {
    // SAFETY: flock on a file descriptor this File owns.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory whose lock file is older than SETTLED, as a killed
    /// run's is after a minute.
    fn age(dir: &Path) {
        let old = SystemTime::now() - SETTLED - Duration::from_secs(5);
        File::options()
            .write(true)
            .open(dir.join(LOCK))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    #[test]
    fn a_live_runs_directory_stays_and_a_dead_runs_goes() {
        let parent = tempfile::tempdir().unwrap();
        let live = ScratchDir::create("records", parent.path()).unwrap();
        age(live.path());
        // A run that was killed: its lock file is there, nobody holds it.
        let dead = parent.path().join(".leakcheck-overlay-dead");
        fs::create_dir_all(dead.join("pkg")).unwrap();
        fs::write(dead.join(LOCK), "").unwrap();
        fs::write(dead.join("pkg/x_test.go"), "package x").unwrap();
        age(&dead);
        // Not leakcheck's, or not one it can tell is abandoned.
        let other = parent.path().join("leakcheck-overlay-x");
        let unlocked = parent.path().join(".leakcheck-gotmp-old");
        fs::create_dir(&other).unwrap();
        fs::create_dir(&unlocked).unwrap();
        remove_abandoned(parent.path());
        assert!(live.path().join(LOCK).exists());
        assert!(!dead.exists());
        assert!(other.exists() && unlocked.exists());
    }

    #[test]
    fn a_directory_just_created_is_not_taken_for_an_abandoned_one() {
        let parent = tempfile::tempdir().unwrap();
        let fresh = parent.path().join(".leakcheck-gotmp-fresh");
        fs::create_dir(&fresh).unwrap();
        fs::write(fresh.join(LOCK), "").unwrap();
        remove_abandoned(parent.path());
        assert!(fresh.exists());
    }
}
