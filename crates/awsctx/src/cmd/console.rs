//! `awsctx console [PROFILE] [--print] [--service S] [--region R] [--federate]`.
//!
//! An SSO profile opens IAM Identity Center's shortcut link to its account and role: the
//! portal signs the browser in with its own session, so several accounts stay open side by
//! side (the console's multi-session support), no keys leave awsctx and nothing is called.
//! Every other profile (and an SSO one with `--federate`) uses the federated sign-in
//! (`docs/aws-protocol.md`): the profile's temporary keys become a sign-in token at the partition's
//! sign-in host (`AWS_ENDPOINT_URL_SIGNIN` and the profile's endpoint settings honoured); the
//! login URL lands on the service's console in the region.
//!
//! The federated URL signs in whoever opens it (for 15 minutes), so it goes to `$BROWSER`, or
//! to stdout with `--print`, and nowhere else: never to stderr, never into an error. Either
//! URL is made of configured values, so it is opened or printed only as a [`BrowserUrl`]:
//! `https://` (or `http://` to this machine), never an option or a local file.

use std::process::ExitCode;

use anyhow::Context as _;
use awsctx_core::config::ProfileKind;
use awsctx_core::facts::selected_profile;
use awsctx_login::browser::BrowserUrl;
use awsctx_login::console::{ConsoleSignin, console_destination, shortcut_url};
use awsctx_login::provider::endpoint_settings;
use awsctx_login::sts::Credentials;
use awsctx_login::{Endpoint, HttpClient, Partition, Service, run_blocking};

use crate::cli::ConsoleArgs;
use crate::context::Context;
use crate::target::Usage;

/// `Issuer` of the login URL: empty, as granted sends it (the console then has no "return to
/// the issuer" page to send a signed-out user to).
const ISSUER: &str = "";

pub(crate) fn run(args: &ConsoleArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let profile = match &args.profile {
        Some(typed) => crate::target::profile_for(ctx, typed, Usage::Command("console"))?,
        None => selected_profile(&ctx.env),
    };
    crate::guard::confirm(ctx, &profile, "opening the console")?;
    if !args.federate {
        let kind = ctx
            .profile_config(&profile)?
            .kind(&profile)
            .map_err(|e| crate::hints::user_error(e.into()))?;
        if let ProfileKind::Sso { session: sso, account_id, role_name } = &kind {
            return shortcut(args, ctx, &profile, (&sso.start_url, account_id, role_name));
        }
        if let ProfileKind::LegacySso { start_url, account_id, role_name, .. } = &kind {
            return shortcut(args, ctx, &profile, (start_url, account_id, role_name));
        }
    }
    let found = crate::credentials::resolve(ctx, &profile)?;
    let keys = &found.credentials;
    if keys.session_token().is_none() {
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
        access_key_id: keys.access_key_id().to_owned(),
        secret_access_key: keys.secret_access_key().clone(),
        session_token: keys.session_token().cloned(),
        expiration: keys.expiration(),
    };
    let token = run_blocking(signin.signin_token(&credentials, None))??;
    let url = signin.login_url(&token, &destination, ISSUER);

    if args.print {
        crate::print_stdout(&format!("{}\n", url.expose()));
        return Ok(ExitCode::SUCCESS);
    }
    // The sign-in endpoint may be configured: never quote the URL (it signs in whoever
    // holds it), only what is wrong with it.
    let url = BrowserUrl::parse(url.expose()).map_err(|refused| {
        crate::ui::error(
            format!("refusing to open the console sign-in URL in a browser: it {refused}"),
            "check `AWS_ENDPOINT_URL_SIGNIN` and the profile's `endpoint_url`: `awsctx doctor` checks the endpoints",
        )
    })?;
    if !crate::browser::open_browser(&url, ctx.child_env()) {
        return Err(crate::ui::error(
            "no browser could be opened (`BROWSER` is unset and neither `xdg-open` nor `open` was found)",
            format!(
                "`awsctx console {profile}{} --print` prints the URL instead; it signs in whoever opens it, so keep it private",
                if args.federate { " --federate" } else { "" }
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

/// Open (or print) the IAM Identity Center shortcut to `account` and `role` of `profile`,
/// landing on `--service` in `--region` (else the profile's region) when either is known.
fn shortcut(
    args: &ConsoleArgs,
    ctx: &Context,
    profile: &str,
    (start_url, account, role): (&str, &str, &str),
) -> anyhow::Result<ExitCode> {
    let profile_region =
        ctx.profile_config(profile)?.profile(profile).and_then(|p| p.get("region"));
    let region = args.region.as_deref().or(profile_region).filter(|r| !r.is_empty());
    let service = args.service.as_deref().filter(|s| !s.is_empty());
    let destination = if region.is_some() || service.is_some() {
        let partition = Partition::of_region(region.unwrap_or("us-east-1"));
        Some(
            console_destination(partition, region, service)
                .with_context(|| format!("partition `{partition}` has no public AWS console"))?,
        )
    } else {
        None
    };
    let url = BrowserUrl::parse(&shortcut_url(start_url, account, role, destination.as_deref()))
        .map_err(|refused| {
            crate::ui::error(
                format!("refusing to open the shortcut link of `{profile}`: its start URL {refused}"),
                "fix the `sso_start_url` of the profile's SSO session: `awsctx doctor` checks the config",
            )
        })?;
    if args.print {
        crate::print_stdout(&format!("{url}\n"));
        return Ok(ExitCode::SUCCESS);
    }
    if !crate::browser::open_browser(&url, ctx.child_env()) {
        return Err(crate::ui::error(
            "no browser could be opened (`BROWSER` is unset and neither `xdg-open` nor `open` was found)",
            format!(
                "`awsctx console {profile} --print` prints the shortcut link to open elsewhere"
            ),
        ));
    }
    crate::ui::notice(&format!(
        "opened the IAM Identity Center shortcut to `{profile}` ({account} · {role}) in the browser"
    ));
    Ok(ExitCode::SUCCESS)
}
