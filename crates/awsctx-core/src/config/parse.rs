//! Both shared files read whole into a [`Config`] ([`Config::load`]), or text read elsewhere
//! ([`Config::from_sources`]), through one `Builder`: the grammar is in `grammar`, the
//! building in `builder`, the one-profile path ([`Config::load_profile`]) in `index`.

use std::io::Read as _;
use std::path::Path;

use super::builder::{Builder, Segment};
use super::location::ConfigPaths;
use super::model::{Config, Scope};
use super::place::{FileKind, FileLine};
use super::store::Span;
use super::{ConfigError, MAX_FILE_BYTES};

pub use super::grammar::is_identifier;

impl Config {
    /// Read and parse both files. A missing file counts as empty.
    pub fn load(paths: &ConfigPaths) -> Result<Self, ConfigError> {
        // Both opened and sized first: one buffer for both, never grown (and copied) between.
        let files = [ToRead::open(&paths.config)?, ToRead::open(&paths.credentials)?];
        let mut bytes = Vec::with_capacity(files.iter().map(|f| f.size).sum());
        let [config, credentials] = files;
        config.read_into(&mut bytes)?;
        let split = bytes.len();
        credentials.read_into(&mut bytes)?;
        let read = into_text(bytes, split, paths)?;
        Self::whole(read, split, paths.clone())
    }

    /// Parse in-memory text (tests, or files read elsewhere); messages name the default
    /// paths `~/.aws/config` and `~/.aws/credentials`.
    pub fn from_sources(config: &str, credentials: &str) -> Result<Self, ConfigError> {
        Self::parse(config, credentials, ConfigPaths::display_defaults())
    }

    /// Parse `config` and `credentials` text read from `paths`.
    pub fn parse(config: &str, credentials: &str, paths: ConfigPaths) -> Result<Self, ConfigError> {
        let mut read = String::with_capacity(config.len() + credentials.len());
        read.push_str(config);
        read.push_str(credentials);
        Self::whole(read, config.len(), paths)
    }

    fn whole(read: String, split: usize, paths: ConfigPaths) -> Result<Self, ConfigError> {
        // Files read are capped far below this; text given to `parse` is not.
        if read.len() > Span::MAX {
            let file = if split > Span::MAX { FileKind::Config } else { FileKind::Credentials };
            return Err(too_large(paths.path(file)));
        }
        let parts = {
            let mut builder = Builder::new(&read, &paths);
            builder.feed(Segment {
                file: FileKind::Config,
                start: 0,
                end: split,
                first_line: 1,
            })?;
            let end = read.len();
            builder.feed(Segment {
                file: FileKind::Credentials,
                start: split,
                end,
                first_line: 1,
            })?;
            builder.finish()
        };
        Ok(parts.into_config(read, paths, Scope::Whole))
    }
}

/// A file opened to be read whole, with the size it says it has (`None`: there is no such
/// file, which counts as empty).
struct ToRead<'p> {
    path: &'p Path,
    file: Option<std::fs::File>,
    size: usize,
}

impl<'p> ToRead<'p> {
    /// A file larger than [`MAX_FILE_BYTES`] is refused before it is read.
    fn open(path: &'p Path) -> Result<Self, ConfigError> {
        let read = |source| ConfigError::Read { path: path.to_owned(), source };
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self { path, file: None, size: 0 });
            }
            Err(source) => return Err(read(source)),
        };
        // The size is only a hint: devices and `/proc` files say 0, a file may grow meanwhile.
        let size = file.metadata().map_err(read)?.len();
        if size > MAX_FILE_BYTES {
            return Err(too_large(path));
        }
        Ok(Self { path, file: Some(file), size: usize::try_from(size).unwrap_or(0) })
    }

    /// Append its bytes (at most [`MAX_FILE_BYTES`]) to `bytes`.
    fn read_into(self, bytes: &mut Vec<u8>) -> Result<(), ConfigError> {
        let Some(file) = self.file else { return Ok(()) };
        let start = bytes.len();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(bytes)
            .map_err(|source| ConfigError::Read { path: self.path.to_owned(), source })?;
        if (bytes.len() - start) as u64 > MAX_FILE_BYTES {
            return Err(too_large(self.path));
        }
        Ok(())
    }
}

/// The bytes of both files as one text, each file checked to be UTF-8 on its own.
fn into_text(bytes: Vec<u8>, split: usize, paths: &ConfigPaths) -> Result<String, ConfigError> {
    let not_utf8 = |bytes: &[u8], file: FileKind, start: usize, bad: usize| {
        let line = bytes.get(start..bad).map_or(0, |b| memchr::memchr_iter(b'\n', b).count()) + 1;
        ConfigError::NotUtf8 { at: FileLine::new(paths.path(file), line) }
    };
    // Where the config file's last character starts, when the file ends inside it.
    let torn = |bytes: &[u8]| {
        let continues = |i: usize| bytes.get(i).is_some_and(|&b| b & 0xc0 == 0x80);
        continues(split).then(|| (0..split).rev().find(|&i| !continues(i)).unwrap_or(0))
    };
    match String::from_utf8(bytes) {
        Ok(text) => match torn(text.as_bytes()) {
            Some(bad) => Err(not_utf8(text.as_bytes(), FileKind::Config, 0, bad)),
            None => Ok(text),
        },
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            if bad < split {
                return Err(not_utf8(bytes, FileKind::Config, 0, bad));
            }
            if let Some(bad) = torn(bytes) {
                return Err(not_utf8(bytes, FileKind::Config, 0, bad));
            }
            Err(not_utf8(bytes, FileKind::Credentials, split, bad))
        }
    }
}

pub(crate) fn too_large(path: &Path) -> ConfigError {
    ConfigError::TooLarge { path: path.to_owned() }
}
