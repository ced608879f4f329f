//! `awsctx console [PROFILE] [--print] [--service S] [--region R]`: the federated console
//! sign-in (reference §8). The profile's temporary keys become a sign-in token at the
//! partition's sign-in host (`AWS_ENDPOINT_URL_SIGNIN` and the profile's endpoint settings
//! honoured); the login URL lands on the service's console in the region.
//!
//! The URL signs in whoever opens it (for 15 minutes), so it goes to `$BROWSER`, or to stdout
//! with `--print`, and nowhere else: never to stderr, never into an error.

use std::process::ExitCode;

use anyhow::Context as _;
use awsctx_core::config::selected_profile;
use awsctx_login::console::{ConsoleSignin, console_destination};
use awsctx_login::provider::endpoint_settings;
use awsctx_login::sts::Credentials;
use awsctx_login::{Endpoint, HttpClient, Partition, Service, run_blocking};

use crate::cli::ConsoleArgs;
use crate::context::Context;

/// `Issuer` of the login URL: empty, as granted sends it (the console then has no "return to
/// the issuer" page to send a signed-out user to).
const ISSUER: &str = "";

pub(crate) fn run(args: &ConsoleArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = args.profile.clone().unwrap_or_else(|| selected_profile(&ctx.env));
    let found = crate::credentials::resolve(ctx, &profile)?;
    let keys = &found.credentials;
    if keys.session_token.is_none() {
        return Err(crate::ui::error(
            format!(
                "profile `{profile}` has long-term keys; the console sign-in needs temporary credentials"
            ),
            format!(
                "sign in with an SSO or role profile (a role on these keys: `role_arn = ...` with `source_profile = {profile}`)"
            ),
        ));
    }
    let region = args.region.as_deref().or(found.region.as_deref()).filter(|r| !r.is_empty());
    let partition = Partition::of_region(region.unwrap_or("us-east-1"));
    let destination = console_destination(partition, region, args.service.as_deref())
        .with_context(|| format!("partition `{partition}` has no public AWS console"))?;

    let settings =
        endpoint_settings(ctx.profile_config(&profile)?, Some(&profile), Service::Signin);
    let endpoint = Endpoint::resolve(Service::Signin, region, &ctx.env, &settings)?;
    let http = HttpClient::new(&ctx.http_settings(Some(&profile))?, &ctx.env)?;
    let signin = ConsoleSignin::new(&http, endpoint);
    let credentials = Credentials {
        access_key_id: keys.access_key_id.clone(),
        secret_access_key: keys.secret_access_key.clone(),
        session_token: keys.session_token.clone(),
        expiration: keys.expiration,
    };
    let token = run_blocking(signin.signin_token(&credentials, None))??;
    let url = signin.login_url(&token, &destination, ISSUER);

    if args.print {
        crate::print_stdout(&format!("{}\n", url.expose()));
        return Ok(ExitCode::SUCCESS);
    }
    if !super::login::open_browser(url.expose(), &ctx.env) {
        return Err(crate::ui::error(
            "no browser could be opened (`BROWSER` is unset and neither `xdg-open` nor `open` was found)",
            format!(
                "`awsctx console {profile} --print` prints the URL instead; it signs in whoever opens it, so keep it private"
            ),
        ));
    }
    let who = [found.account_id.as_deref(), found.role_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let who = if who.is_empty() { String::new() } else { format!(" ({who})") };
    crate::ui::notice(&format!("opened the AWS console as `{profile}`{who} in the browser"));
    Ok(ExitCode::SUCCESS)
}
