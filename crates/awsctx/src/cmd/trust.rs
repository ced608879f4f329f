//! `awsctx allow [DIR]` / `awsctx deny [DIR]`: trust or refuse the nearest `.aws-profile` at
//! or above DIR (default: here). A trust record is for this path with this content: an edit
//! needs a new allow. Through the hook's function the current shell follows at once.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use awsctx_core::binding::{PROFILE_FILE, parse_profile_file, read_profile_file};

use crate::cmd::pin::follow;
use crate::cmd::use_::current_dir;
use crate::context::Context;
use crate::ui;

pub(crate) fn run_allow(args: &crate::cli::TrustArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let (path, content) = nearest_profile_file(ctx, args.dir.as_deref())?;
    let profile = parse_profile_file(&path, &content)?;
    ctx.state_dir()?.update_trust(|trust| trust.allow(&path, &content))?;
    ui::notice(&format!("allowed `{}` (profile `{profile}`)", path.display()));
    if !ctx.has_profile(&profile)? {
        ui::notice(&format!(
            "profile `{profile}` is not in the config yet: the file takes effect once it is"
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
        if let Some(content) = read_profile_file(&path)? {
            return Ok((path, content));
        }
    }
    Err(ui::error(
        format!("no `{PROFILE_FILE}` in `{}` or above it", start.display()),
        format!("a `{PROFILE_FILE}` file names the profile on its first line"),
    ))
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
