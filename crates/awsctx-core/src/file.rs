//! Files are opened, not paths: atomic writes, flock-style locks with a deadline, and the
//! checks that decide whether awsctx trusts a file.
//!
//! - awsctx's own files (the caches it shares with the AWS CLI, its state, its lock files) are
//!   opened relative to their folder, never through a symbolic link at their own name
//!   (`O_NOFOLLOW`, non-blocking so a FIFO cannot hang a prompt), and trusted only when
//!   `fstat` says they are regular files owned by the user (or root) in a folder only the user
//!   (or root) can write: [`read_private`], [`write_private`], [`FileLock::acquire`]. A file
//!   that fails is ignored like a missing one and reported through [`on_ignored_file`]; a
//!   write or a lock in a folder other users can write is refused.
//! - The user's config files may be symlinks (dotfile managers): [`write_atomic_with_backup`]
//!   writes through the link, and refuses a file the user cannot write.
//! - Files in untrusted places (a repository's `.aws-profile`): [`read_capped`].
//!
//! Every write is atomic: a temp file created with `O_EXCL | O_NOFOLLOW` in the same folder,
//! fsync, `renameat` over the name (which replaces a planted link or file instead of writing
//! through it), fsync of the folder. A reader sees the old bytes or the new ones, and a writer
//! killed at any point leaves at most a stray temp file. Locks are [`std::fs::File::lock`]
//! (flock on Unix): the kernel drops them when the holder dies.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::text::Untrusted;

/// What went wrong with a file; every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot create directory `{path}`: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("`{path}` is locked by {holder} and did not come free within {waited:.0?}")]
    LockTimeout { path: PathBuf, holder: LockHolder, waited: Duration },
    #[error("cannot lock `{path}`: {source}")]
    Lock { path: PathBuf, source: io::Error },
    /// A file of awsctx's own that is not to be trusted, or sits in a folder that is not.
    #[error("cannot write `{}`: {why}", Untrusted(&path.to_string_lossy()))]
    WriteRefused { path: PathBuf, why: Distrust },
    #[error("cannot lock `{}`: {why}", Untrusted(&path.to_string_lossy()))]
    LockRefused { path: PathBuf, why: Distrust },
    /// The owner-write bit is off: the user made the file read-only (root included, whom
    /// `access()` would let through).
    #[error(
        "`{}` is read-only (mode {mode:04o}); awsctx does not replace a file you cannot write",
        Untrusted(&path.to_string_lossy())
    )]
    ReadOnly { path: PathBuf, mode: u32 },
    /// Replacing it would hand another user's file to this one.
    #[error(
        "`{}` belongs to uid {uid}; awsctx does not replace a file you cannot write",
        Untrusted(&path.to_string_lossy())
    )]
    NotYours { path: PathBuf, uid: u32 },
}

/// Why awsctx does not trust a file (or the folder it is in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distrust {
    /// Its own name is a symbolic link.
    Symlink,
    /// A FIFO, device, socket or directory.
    NotRegular { kind: &'static str },
    /// Owned by someone other than the user and root.
    ForeignOwner { uid: u32 },
    /// Its folder can be written by the group or by everyone.
    OpenFolder { dir: PathBuf, mode: u32 },
    /// Its folder belongs to someone other than the user and root.
    ForeignFolder { dir: PathBuf, uid: u32 },
}

impl std::fmt::Display for Distrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Symlink => f.write_str("it is a symbolic link"),
            Self::NotRegular { kind } => write!(f, "it is a {kind}, not a regular file"),
            Self::ForeignOwner { uid } => write!(f, "it belongs to uid {uid}, not to you"),
            Self::OpenFolder { dir, mode } => write!(
                f,
                "its folder `{}` can be written by other users (mode {mode:04o})",
                Untrusted(&dir.to_string_lossy())
            ),
            Self::ForeignFolder { dir, uid } => write!(
                f,
                "its folder `{}` belongs to uid {uid}, not to you",
                Untrusted(&dir.to_string_lossy())
            ),
        }
    }
}

/// A file awsctx passed over as if it were missing, and why: the binary says so in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredFile {
    pub path: PathBuf,
    pub why: Distrust,
}

impl std::fmt::Display for IgnoredFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ignoring `{}`: {}", Untrusted(&self.path.to_string_lossy()), self.why)
    }
}

static ON_IGNORED: OnceLock<fn(&IgnoredFile)> = OnceLock::new();

/// Where reports of ignored files go (set once, by the binary: the libraries print nothing).
/// Without it they are dropped.
pub fn on_ignored_file(report: fn(&IgnoredFile)) {
    let _ = ON_IGNORED.set(report);
}

fn ignore(path: &Path, why: Distrust) {
    if let Some(report) = ON_IGNORED.get() {
        report(&IgnoredFile { path: path.to_owned(), why });
    }
}

/// Who holds a lock, as far as the lock file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockHolder {
    Pid(u32),
    Unknown,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pid(pid) => write!(f, "pid {pid}"),
            Self::Unknown => f.write_str("another process"),
        }
    }
}

/// Create `dir` and its missing parents; directories created here get mode 0700.
pub fn create_private_dir(dir: &Path) -> Result<(), FileError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| FileError::CreateDir { path: dir.to_owned(), source })
}

/// Follow `path` through symlinks to the file that really holds the bytes, so that a write
/// replaces the link's target and keeps the link (a dotfiles repo often links `~/.aws/config`).
pub fn resolve_symlinks(path: &Path) -> PathBuf {
    let mut current = path.to_owned();
    // A bounded walk: a link loop ends as "write to the last name seen".
    for _ in 0..40 {
        match std::fs::read_link(&current) {
            Ok(target) => {
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Err(_) => break,
        }
    }
    current
}

// ---- what is trusted ---------------------------------------------------------------------

/// Root may own what awsctx trusts: it can change anything anyway, and `sudo` leaves
/// root-owned files in users' caches (OpenSSH's `StrictModes` draws the same line).
fn trusted_owner(uid: u32) -> bool {
    uid == 0 || uid == rustix::process::geteuid().as_raw()
}

fn kind_of(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_fifo() {
        "FIFO"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Why a file of awsctx's own (as `fstat` or `lstat` sees it) is not to be trusted.
pub fn judge_file(meta: &Metadata) -> Option<Distrust> {
    if meta.file_type().is_symlink() {
        Some(Distrust::Symlink)
    } else if !meta.file_type().is_file() {
        Some(Distrust::NotRegular { kind: kind_of(meta) })
    } else if !trusted_owner(meta.uid()) {
        Some(Distrust::ForeignOwner { uid: meta.uid() })
    } else {
        None
    }
}

/// Why the folder `dir` (as `stat` sees it) cannot hold files awsctx trusts: another user
/// could plant or swap them. The group counts as other users (a shared group is common).
pub fn judge_folder(dir: &Path, meta: &Metadata) -> Option<Distrust> {
    let mode = meta.mode() & 0o7777;
    if !trusted_owner(meta.uid()) {
        Some(Distrust::ForeignFolder { dir: dir.to_owned(), uid: meta.uid() })
    } else if mode & 0o022 != 0 {
        Some(Distrust::OpenFolder { dir: dir.to_owned(), mode })
    } else {
        None
    }
}

// ---- opening -----------------------------------------------------------------------------

/// `path` as its folder and its name; a path without a name (`/`, `..`) is an error.
fn split(path: &Path) -> io::Result<(PathBuf, &OsStr)> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// The folder itself may be reached through links (`~/.aws` in a dotfiles repo): what counts
/// is the folder that is opened, and every file is then opened relative to it.
fn open_dir(dir: &Path) -> Result<File, Errno> {
    rustix::fs::open(dir, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
        .map(File::from)
}

fn open_at(dir: &File, name: &OsStr, flags: OFlags, mode: u32) -> Result<File, Errno> {
    rustix::fs::openat(dir, name, flags | OFlags::CLOEXEC, Mode::from_raw_mode(mode))
        .map(File::from)
}

/// Never through a link at the last name; never blocking on a FIFO; never taking a terminal.
const READ_FLAGS: OFlags =
    OFlags::RDONLY.union(OFlags::NOFOLLOW).union(OFlags::NONBLOCK).union(OFlags::NOCTTY);

/// What a capped read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped {
    Missing,
    Bytes(Vec<u8>),
    /// More than the cap: not the small file it should be.
    TooLarge,
    /// Not a regular file, or a link: not read at all.
    Refused(Distrust),
}

/// Read a file from an untrusted place (a repository) without trusting its name: opened
/// without following a link at its last name and without blocking, checked with `fstat` to be
/// a regular file, read up to `cap` bytes (`/proc` files say they are empty, so the size
/// `fstat` gives is not enough).
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Capped> {
    let file = match rustix::fs::open(path, READ_FLAGS | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::NOENT | Errno::NOTDIR) => return Ok(Capped::Missing),
        Err(Errno::LOOP) => return Ok(Capped::Refused(Distrust::Symlink)),
        Err(e) => return Err(e.into()),
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Ok(Capped::Refused(Distrust::NotRegular { kind: kind_of(&meta) }));
    }
    read_up_to(file, &meta, cap)
}

fn read_up_to(file: File, meta: &Metadata, cap: u64) -> io::Result<Capped> {
    if meta.len() > cap {
        return Ok(Capped::TooLarge);
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Capped::TooLarge);
    }
    Ok(Capped::Bytes(bytes))
}

/// Read one of awsctx's own files (a cache entry, a state file). `None` when it does not
/// exist, is larger than `cap` (not one of ours), or is not to be trusted: a link, not a
/// regular file, another user's, or in a folder others can write. The last ones are reported
/// through [`on_ignored_file`], and the caller goes on as if there were no file (a fetch then
/// writes a fresh one in its place, which replaces it rather than writing through it).
pub fn read_private(path: &Path, cap: u64) -> Result<Option<Vec<u8>>, FileError> {
    let read_err = |source| FileError::Read { path: path.to_owned(), source };
    let (dir, name) = split(path).map_err(read_err)?;
    let folder = match open_dir(&dir) {
        Ok(folder) => folder,
        Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
        Err(e) => return Err(read_err(e.into())),
    };
    if let Some(why) = judge_folder(&dir, &folder.metadata().map_err(read_err)?) {
        // Said only when there is a file to pass over.
        if rustix::fs::statat(&folder, name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
            ignore(path, why);
        }
        return Ok(None);
    }
    let file = match open_at(&folder, name, READ_FLAGS, 0) {
        Ok(file) => file,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => {
            ignore(path, Distrust::Symlink);
            return Ok(None);
        }
        Err(e) => return Err(read_err(e.into())),
    };
    let meta = file.metadata().map_err(read_err)?;
    if let Some(why) = judge_file(&meta) {
        ignore(path, why);
        return Ok(None);
    }
    match read_up_to(file, &meta, cap).map_err(read_err)? {
        Capped::Bytes(bytes) => Ok(Some(bytes)),
        _ => Ok(None),
    }
}

// ---- writing -----------------------------------------------------------------------------

/// Replace one of awsctx's own files (a cache entry, a state file) with `contents`,
/// atomically, mode 0600, in a folder made 0700 when missing. A link or another user's file at
/// that name is replaced, never written through; a folder other users can write is refused
/// (whatever awsctx wrote there could be swapped before anyone reads it).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let write_err = |source| FileError::Write { path: path.to_owned(), source };
    let (dir, name) = split(path).map_err(write_err)?;
    create_private_dir(&dir)?;
    let folder = open_dir(&dir).map_err(|e| write_err(e.into()))?;
    if let Some(why) = judge_folder(&dir, &folder.metadata().map_err(write_err)?) {
        return Err(FileError::WriteRefused { path: path.to_owned(), why });
    }
    replace_at(&folder, name, contents, 0o600).map_err(write_err)
}

/// Replace the user's config file at `path` (through symlinks: the link stays, its target
/// changes) with `contents`, first keeping its current content as `backup` (mode 0600, itself
/// written atomically, so the backup is always a whole earlier version). The file keeps its
/// mode; a new one gets `mode`. A file the user cannot write is refused: read-only (no
/// owner-write bit, for root too) or another user's.
pub fn write_atomic_with_backup(
    path: &Path,
    backup: &Path,
    contents: &[u8],
    mode: u32,
) -> Result<(), FileError> {
    let target = resolve_symlinks(path);
    let write_err = |source| FileError::Write { path: target.clone(), source };
    let (dir, name) = split(&target).map_err(write_err)?;
    create_private_dir(&dir)?;
    let folder = open_dir(&dir).map_err(|e| write_err(e.into()))?;
    let (previous, mode) = match open_at(&folder, name, READ_FLAGS, 0) {
        Ok(mut file) => {
            let meta = file.metadata().map_err(write_err)?;
            if !meta.file_type().is_file() {
                let why = Distrust::NotRegular { kind: kind_of(&meta) };
                return Err(FileError::WriteRefused { path: target, why });
            }
            check_writable(&target, &meta)?;
            let mut previous = Vec::new();
            file.read_to_end(&mut previous)
                .map_err(|source| FileError::Read { path: target.clone(), source })?;
            (Some(previous), meta.mode() & 0o7777)
        }
        Err(Errno::NOENT) => (None, mode),
        Err(Errno::LOOP) => {
            return Err(FileError::WriteRefused { path: target, why: Distrust::Symlink });
        }
        Err(e) => return Err(write_err(e.into())),
    };
    if let Some(previous) = previous.filter(|p| p != contents) {
        let backup_err = |source| FileError::Write { path: backup.to_owned(), source };
        let (backup_dir, backup_name) = split(backup).map_err(backup_err)?;
        let backup_folder = open_dir(&backup_dir).map_err(|e| backup_err(e.into()))?;
        replace_at(&backup_folder, backup_name, &previous, 0o600).map_err(backup_err)?;
    }
    replace_at(&folder, name, contents, mode).map_err(write_err)
}

/// Whether the user could write the file in place: it is theirs, and the owner-write bit is on
/// (for root too: root bypasses `access()`, but a read-only file says what its owner wants).
/// Renaming over it would succeed either way, as the folder is the user's; it must not.
fn check_writable(path: &Path, meta: &Metadata) -> Result<(), FileError> {
    let mode = meta.mode() & 0o7777;
    if mode & 0o200 == 0 {
        return Err(FileError::ReadOnly { path: path.to_owned(), mode });
    }
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(FileError::NotYours { path: path.to_owned(), uid: meta.uid() });
    }
    Ok(())
}

/// Write `contents` to a new temp file beside `name` in `folder` and rename it over `name`.
fn replace_at(folder: &File, name: &OsStr, contents: &[u8], mode: u32) -> io::Result<()> {
    let temp = temp_name(name);
    let result = (|| {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let mut file = open_at(folder, &temp, flags, mode)?;
        // The umask may have narrowed `mode` at creation; set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()?;
        rustix::fs::renameat(folder, &temp, folder, name)?;
        // Make the rename itself durable.
        let _ = folder.sync_all();
        Ok(())
    })();
    if result.is_err() {
        let _ = rustix::fs::unlinkat(folder, &temp, AtFlags::empty());
    }
    result
}

/// The name of the temp file for `name`: hidden, unique per process and per call.
fn temp_name(name: &OsStr) -> OsString {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".awsctx-{}-{unique}.tmp", std::process::id()));
    temp
}

// ---- locks -------------------------------------------------------------------------------

/// An exclusive lock on a lock file, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Take the lock at `path` in awsctx's own folders (its folder must be the user's alone),
    /// waiting at most `deadline`. `on_wait` is called once, with the holder, if the lock is
    /// busy at first, so the caller can say who it is waiting for.
    pub fn acquire(
        path: &Path,
        deadline: Duration,
        on_wait: impl FnMut(LockHolder),
    ) -> Result<Self, FileError> {
        Self::take(path, true, deadline, on_wait)
    }

    /// Take a lock beside a file of the user's (the config), in a folder awsctx does not own:
    /// the lock file itself is checked, its folder is not.
    pub fn acquire_beside(
        path: &Path,
        deadline: Duration,
        on_wait: impl FnMut(LockHolder),
    ) -> Result<Self, FileError> {
        Self::take(path, false, deadline, on_wait)
    }

    fn take(
        path: &Path,
        private_folder: bool,
        deadline: Duration,
        mut on_wait: impl FnMut(LockHolder),
    ) -> Result<Self, FileError> {
        let lock_err = |source| FileError::Lock { path: path.to_owned(), source };
        let refused = |why| FileError::LockRefused { path: path.to_owned(), why };
        let (dir, name) = split(path).map_err(lock_err)?;
        create_private_dir(&dir)?;
        let folder = open_dir(&dir).map_err(|e| lock_err(e.into()))?;
        if private_folder
            && let Some(why) = judge_folder(&dir, &folder.metadata().map_err(lock_err)?)
        {
            return Err(refused(why));
        }
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let file = match open_at(&folder, name, flags | OFlags::NOCTTY, 0o600) {
            Ok(file) => file,
            Err(Errno::LOOP) => return Err(refused(Distrust::Symlink)),
            Err(e) => return Err(lock_err(e.into())),
        };
        if let Some(why) = judge_file(&file.metadata().map_err(lock_err)?) {
            return Err(refused(why));
        }
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&file);
                    if !told {
                        on_wait(holder);
                        told = true;
                    }
                    let waited = started.elapsed();
                    if waited >= deadline {
                        return Err(FileError::LockTimeout {
                            path: path.to_owned(),
                            holder,
                            waited,
                        });
                    }
                    std::thread::sleep(pause.min(deadline.saturating_sub(waited)));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::Error(source)) => return Err(lock_err(source)),
            }
        }
        let mut lock = Self { file, path: path.to_owned() };
        lock.record_holder().map_err(lock_err)?;
        Ok(lock)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn record_holder(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        write!(self.file, "{}", std::process::id())?;
        self.file.flush()
    }
}

fn read_holder(mut file: &File) -> LockHolder {
    let mut text = String::new();
    if file.seek(SeekFrom::Start(0)).is_err() || file.take(32).read_to_string(&mut text).is_err() {
        return LockHolder::Unknown;
    }
    text.trim().parse().map_or(LockHolder::Unknown, LockHolder::Pid)
}

#[cfg(test)]
mod tests;
