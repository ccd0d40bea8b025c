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
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// What every leakcheck temporary directory's name starts with; the dot
/// keeps `go test ./...` from taking one inside a module for a package.
const PREFIX: &str = ".leakcheck-";

/// The kinds of directory, after [`PREFIX`]; only these are ever removed.
const KINDS: [&str; 3] = ["overlay", "records", "gotmp"];

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
/// Only directories of this user named as leakcheck names them, holding a
/// regular lock file, are considered: one without a lock file (being
/// created right now, or an older leakcheck's) is left alone, and nothing
/// is followed or opened that could block (a symbolic link, a FIFO planted
/// in a shared /tmp). Nothing here fails the run: another run may be
/// removing the same directory, and what cannot be removed stays, as
/// before.
pub fn remove_abandoned(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(kind) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)) else {
            continue;
        };
        if !KINDS
            .iter()
            .any(|k| kind.strip_prefix(k).is_some_and(|rest| rest.starts_with('-')))
        {
            continue;
        }
        // Not followed: a symbolic link is not a directory here.
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_dir() || meta.uid() != me {
            continue;
        }
        let dir = entry.path();
        let Some(lock) = open_lock(&dir.join(LOCK), me) else {
            continue;
        };
        let settled = lock
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| SystemTime::now().duration_since(t).is_ok_and(|age| age >= SETTLED));
        if settled && try_lock(&lock) {
            remove_locked(&dir);
        }
    }
}

/// Opens a directory's lock file without following a link and without
/// blocking (a FIFO would block an open); None unless it is a regular file
/// of this user.
fn open_lock(path: &Path, me: u32) -> Option<File> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    (meta.is_file() && meta.uid() == me).then_some(file)
}

/// Removes an abandoned directory whose lock this run holds: everything
/// but the lock file first, then the lock file and the directory. When
/// something cannot be removed, the lock file stays, so that a later run
/// still knows the directory for an abandoned one of leakcheck's.
fn remove_locked(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if entry.file_name() == LOCK {
            continue;
        }
        let path = entry.path();
        // remove_dir_all does not follow links inside the directory.
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        if removed.is_err() {
            return;
        }
    }
    let _ = fs::remove_file(dir.join(LOCK));
    let _ = fs::remove_dir(dir);
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

    /// A directory holding a lock file nobody holds, as a killed run
    /// leaves; aged: older than SETTLED, as a minute later.
    fn unlocked_dir(parent: &Path, name: &str, aged: bool) -> std::path::PathBuf {
        let dir = parent.join(name);
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(LOCK), "").unwrap();
        if aged {
            age(&dir);
        }
        dir
    }

    /// Makes a directory's lock file older than SETTLED.
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
        let dead = unlocked_dir(parent.path(), ".leakcheck-overlay-dead", true);
        fs::create_dir(dead.join("pkg")).unwrap();
        fs::write(dead.join("pkg/x_test.go"), "package x").unwrap();
        // Not leakcheck's, or not one it can tell is abandoned.
        let other = parent.path().join("leakcheck-overlay-x");
        let unlocked = parent.path().join(".leakcheck-gotmp-old");
        fs::create_dir(&other).unwrap();
        fs::create_dir(&unlocked).unwrap();
        let unknown = unlocked_dir(parent.path(), ".leakcheck-cache-old", true);
        remove_abandoned(parent.path());
        assert!(live.path().join(LOCK).exists());
        assert!(!dead.exists());
        assert!(other.exists() && unlocked.exists() && unknown.exists());
    }

    #[test]
    fn a_lock_file_that_is_a_fifo_or_a_link_is_never_opened() {
        let parent = tempfile::tempdir().unwrap();
        let fifo = parent.path().join(".leakcheck-gotmp-fifo");
        fs::create_dir(&fifo).unwrap();
        let c = std::ffi::CString::new(fifo.join(LOCK).as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let link = parent.path().join(".leakcheck-records-link");
        fs::create_dir(&link).unwrap();
        let target = parent.path().join("target");
        fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, link.join(LOCK)).unwrap();
        // Returns (opening the FIFO would block forever) and removes neither.
        remove_abandoned(parent.path());
        assert!(fifo.exists() && link.exists() && target.exists());
    }

    #[test]
    fn what_cannot_be_removed_keeps_its_lock_file() {
        let parent = tempfile::tempdir().unwrap();
        let dead = unlocked_dir(parent.path(), ".leakcheck-overlay-dead", true);
        // A file that is not removable: a directory without write access
        // holding one (unless this runs as root, which may remove it).
        let stuck = dead.join("stuck");
        fs::create_dir(&stuck).unwrap();
        fs::write(stuck.join("f"), "").unwrap();
        fs::set_permissions(&stuck, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
        remove_abandoned(parent.path());
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            assert!(!dead.exists());
        } else {
            assert!(dead.join(LOCK).exists() && stuck.join("f").exists());
        }
        if stuck.exists() {
            fs::set_permissions(&stuck, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn a_directory_just_created_is_not_taken_for_an_abandoned_one() {
        let parent = tempfile::tempdir().unwrap();
        let fresh = unlocked_dir(parent.path(), ".leakcheck-gotmp-fresh", false);
        remove_abandoned(parent.path());
        assert!(fresh.exists());
    }
}
