//! `awsctx allow [DIR]` / `awsctx deny [DIR]`: trust or refuse the nearest `.aws-profile` at
//! or above DIR (default: here). A trust record is for this path with this content: an edit
//! needs a new allow. Through the hook's function the current shell follows at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use awsctx_core::binding::{BindingError, PROFILE_FILE, parse_profile_file, read_profile_file};

use crate::context::Context;
use crate::switcher::{current_dir, follow};
use crate::ui;

pub(crate) fn run_allow(args: &crate::cli::TrustArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (path, content) = nearest_profile_file(ctx, args.dir.as_deref())?;
    let bound = parse_profile_file(&path, &content).map_err(profile_file_error)?;
    ctx.state_dir()?.update_trust(|trust| trust.allow(&path, &content))?;
    ui::notice(&format!("allowed `{}` (profile `{bound}`)", path.display()));
    if !ctx.has_profile(&bound.profile)? {
        ui::notice(&format!(
            "profile `{}` is not in the config yet: the file takes effect once it is",
            awsctx_core::text::escape(&bound.profile)
        ));
    }
    follow(ctx)
}

pub(crate) fn run_deny(args: &crate::cli::TrustArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (path, _) = nearest_profile_file(ctx, args.dir.as_deref())?;
    ctx.state_dir()?.update_trust(|trust| trust.deny(&path))?;
    ui::notice(&format!("denied `{}`: it will not switch profiles", path.display()));
    follow(ctx)
}

/// The nearest `.aws-profile` at or above `dir` (relative to here) or the current directory,
/// with its bytes.
fn nearest_profile_file(ctx: &Context, dir: Option<&Path>) -> anyhow::Result<(PathBuf, Vec<u8>)> {
    let here = current_dir(ctx)?;
    let start = match dir {
        Some(dir) if dir.is_absolute() => dir.to_owned(),
        Some(dir) => here.join(dir),
        None => here,
    };
    let start = normalize(&start);
    if !start.is_dir() {
        return Err(ui::error(
            format!("`{}` is not a directory", start.display()),
            "name a directory: `awsctx allow DIR`",
        ));
    }
    for level in start.ancestors() {
        let path = level.join(PROFILE_FILE);
        if let Some(content) = read_profile_file(&path).map_err(profile_file_error)? {
            return Ok((path, content));
        }
    }
    Err(ui::error(
        format!("no `{PROFILE_FILE}` in `{}` or above it", start.display()),
        format!("a `{PROFILE_FILE}` file names the profile on its first line"),
    ))
}

/// A `.aws-profile` that is not a profile file, with what makes it one.
fn profile_file_error(error: BindingError) -> anyhow::Error {
    let hint = match &error {
        BindingError::ProfileFileLink { .. } => {
            "replace the link with a copy of the file it points to, then run `awsctx allow`"
        }
        BindingError::ProfileFileNotRegular { .. }
        | BindingError::ProfileFileTooLarge { .. }
        | BindingError::InvalidProfileName { .. }
        | BindingError::EmptyProfileFile { .. } => {
            "a `.aws-profile` is a small text file with the profile's name on its first line"
        }
        _ => return error.into(),
    };
    ui::error(error.to_string(), hint)
}

/// `a/./b/../c` → `a/c`, lexically, as a shell's logical `cd` does.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
