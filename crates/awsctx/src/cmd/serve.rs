//! `awsctx serve PROFILE [--port N] [--bind ADDR]`: the AWS container credential protocol in
//! the foreground, for containers and other processes that cannot be started by `awsctx exec
//! --server`. It prints the variables a client needs (the server, its token, the profile's
//! region), answers until Ctrl-C (or `SIGTERM`, `SIGHUP`), and exits 0.
//!
//! Every answer comes from the credential provider (cache, token refresh, portal, role chain):
//! keys with less than 15 minutes left are renewed before they are handed out. The server never
//! opens a browser nor asks for an MFA code: when the login has expired, the client gets a
//! `503` whose message names `awsctx login`, and awsctx's stderr says it once.

use std::net::SocketAddr;
use std::process::ExitCode;

use awsctx_login::container::CredentialServer;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::cli::ServeArgs;
use crate::context::Context;
use crate::served::ServedKeys;
use crate::target::Usage;

pub(crate) fn run(args: &ServeArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = crate::target::profile_for(ctx, &args.profile, Usage::Command("serve"))?;
    let (mut keys, found) = ServedKeys::start(ctx, &profile)?;
    let addr = SocketAddr::new(args.bind, args.port);
    let server = CredentialServer::bind(addr).map_err(|e| {
        crate::ui::error(e.to_string(), "choose another `--port`, or leave it out for any free one")
    })?;
    // Taken before the variables are printed: whoever reads them may stop the server at once.
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    if !args.bind.is_loopback() {
        crate::ui::notice(&format!(
            "warning: `--bind {}` lets other hosts reach the server: only the token keeps them from the keys",
            args.bind
        ));
    }
    let mut variables = format!(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI={}\nAWS_CONTAINER_AUTHORIZATION_TOKEN={}\n",
        server.url(),
        server.token().expose()
    );
    let mut docker =
        String::from("-e AWS_CONTAINER_CREDENTIALS_FULL_URI -e AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if let Some(region) = &found.region {
        variables.push_str("AWS_REGION=");
        variables.push_str(region);
        variables.push('\n');
        docker.push_str(" -e AWS_REGION");
    }
    crate::print_stdout(&variables);
    crate::ui::notice(&format!(
        "serving the credentials of `{}` on {} until Ctrl-C; a container on this host: `docker run --network host {docker} IMAGE` with the variables above exported",
        profile,
        server.local_addr()
    ));
    let stopper = server.stopper();
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            stopper.stop();
        }
    });
    server.serve(|| keys.answer())?;
    crate::ui::notice("stopped");
    Ok(ExitCode::SUCCESS)
}
