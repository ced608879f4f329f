//! The reliability suite: the real binary's writers killed with SIGKILL at random points never
//! leave (or show a reader) a torn `~/.aws/config`, backup, SSO token or role-credential file;
//! a dead lock holder releases at once and a hung one makes waiters give up naming its pid;
//! every fault the mock injects, on every call the product makes, ends in a retry or one clear
//! error with a hint, within a bound, with no panic and no secret; a failed write on a hostile
//! config changes none of its bytes.
//!
//! Kill delays are spread over the run time of an uninterrupted writer (timed again every 25
//! kills, as the load changes), and a reader polls each file while the kills go on. Set
//! `AWSCTX_TEST_SEED` to replay the kill points of a failed run (its seed is printed).

mod crash;
mod faults;
mod hostile;
mod locks;
mod stdout;

use std::process::Command;

use crate::support::Sandbox;

/// Kills per file kind.
pub(super) const KILLS: usize = 150;

/// `awsctx` in the sandbox, without the system's CA roots: the mock speaks plain HTTP, and
/// loading a few hundred roots is most of a debug build's start-up, which would only stretch
/// the runs being killed.
pub(super) fn awsctx(sb: &Sandbox) -> Command {
    let mut cmd = sb.awsctx();
    cmd.env("SSL_CERT_FILE", "/dev/null");
    cmd
}
