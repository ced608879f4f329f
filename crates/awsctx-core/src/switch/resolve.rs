//! Which binding is in effect for a directory: pins and `.aws-profile` files, nearest first.

use std::path::{Path, PathBuf};

use super::{ActiveBinding, Origin};
use crate::binding::{
    BoundProfile, PROFILE_FILE, Pins, Trust, TrustStore, parse_profile_file, read_profile_file,
};

/// A binding the search passed over, and why: the hook says so once per shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A `.aws-profile` never allowed, or (`changed`) edited since it was.
    Untrusted { path: PathBuf, profile: String, changed: bool },
    /// A `.aws-profile` the user denied (skipped silently).
    Denied { path: PathBuf },
    /// A pin (`file: None`) or file naming a profile the config does not have.
    UnknownProfile { root: PathBuf, file: Option<PathBuf>, profile: String },
    /// A pin or file that expects its profile in `expected`, whose profile is in another
    /// account (`actual`), or does not say which (`None`): refused.
    WrongAccount {
        root: PathBuf,
        file: Option<PathBuf>,
        profile: String,
        expected: String,
        actual: Option<String>,
    },
    /// A `.aws-profile` that is not a profile file (empty, control characters, too large,
    /// unreadable): the reason, one line.
    Unreadable { path: PathBuf, reason: String },
}

impl Skipped {
    /// The marker that keeps the message to once per shell (per file, per content); the state
    /// keeps only its hash.
    pub fn marker(&self) -> Option<String> {
        match self {
            Self::Untrusted { path, profile, .. } => {
                Some(format!("untrusted:{}:{profile}", path.display()))
            }
            Self::Denied { .. } => None,
            Self::UnknownProfile { root, profile, .. } => {
                Some(format!("unknown:{}:{profile}", root.display()))
            }
            Self::WrongAccount { root, profile, expected, .. } => {
                Some(format!("account:{}:{profile}:{expected}", root.display()))
            }
            Self::Unreadable { path, .. } => Some(format!("unreadable:{}", path.display())),
        }
    }
}

/// The binding search's answer for one directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    pub binding: Option<ActiveBinding>,
    /// Nearer bindings that were passed over, nearest first.
    pub skipped: Vec<Skipped>,
}

/// What the config says of a profile a binding names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownProfile {
    /// The account it is in, when its keys say (see [`crate::lookup::Identity`]).
    pub account: Option<String>,
}

/// Why a binding's own profile cannot be used: `None` when it can.
fn refusal(
    root: &Path,
    file: Option<&Path>,
    bound: &BoundProfile,
    known: Option<KnownProfile>,
) -> Option<Skipped> {
    let Some(known) = known else {
        return Some(Skipped::UnknownProfile {
            root: root.to_owned(),
            file: file.map(Path::to_owned),
            profile: bound.profile.clone(),
        });
    };
    let expected = bound.account.as_ref()?;
    (known.account.as_ref() != Some(expected)).then(|| Skipped::WrongAccount {
        root: root.to_owned(),
        file: file.map(Path::to_owned),
        profile: bound.profile.clone(),
        expected: expected.clone(),
        actual: known.account,
    })
}

/// The nearest binding at or above `dir` that applies. At one level a pin beats a file.
/// `known` gives what the config says of a profile (`None`: no such profile); it is only
/// called when a binding is found. A binding that expects an account its profile is not in is
/// refused.
pub fn resolve_binding(
    dir: &Path,
    pins: &Pins,
    trust: &TrustStore,
    mut known: impl FnMut(&str) -> Option<KnownProfile>,
) -> Resolution {
    let mut out = Resolution::default();
    for level in dir.ancestors() {
        if let Some(bound) = pins.get(level) {
            match refusal(level, None, bound, known(&bound.profile)) {
                None => {
                    out.binding = Some(ActiveBinding::new(level, bound.clone(), Origin::Pin));
                    return out;
                }
                Some(skipped) => out.skipped.push(skipped),
            }
            continue;
        }
        let path = level.join(PROFILE_FILE);
        let content = match read_profile_file(&path) {
            Ok(Some(content)) => content,
            Ok(None) => continue,
            Err(err) => {
                out.skipped.push(Skipped::Unreadable { path, reason: err.to_string() });
                continue;
            }
        };
        let bound = match parse_profile_file(&path, &content) {
            Ok(bound) => bound,
            Err(err) => {
                out.skipped.push(Skipped::Unreadable { path, reason: err.to_string() });
                continue;
            }
        };
        match trust.check(&path, &content) {
            Trust::Denied => out.skipped.push(Skipped::Denied { path }),
            verdict @ (Trust::Unknown | Trust::Changed) => {
                let changed = verdict == Trust::Changed;
                out.skipped.push(Skipped::Untrusted { path, profile: bound.profile, changed });
            }
            Trust::Allowed => match refusal(level, Some(&path), &bound, known(&bound.profile)) {
                None => {
                    out.binding = Some(ActiveBinding::new(level, bound, Origin::File));
                    return out;
                }
                Some(skipped) => out.skipped.push(skipped),
            },
        }
    }
    out
}

/// The pinned directories as `_AWSCTX_PINS` holds them: one per line, sorted. A directory
/// whose name holds a newline still matches the hook's `\n$dir\n` substring test.
pub fn pins_list(pins: &Pins) -> String {
    let mut out = String::new();
    for (dir, _) in pins.iter() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&dir.to_string_lossy());
    }
    out
}
