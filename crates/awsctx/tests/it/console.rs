//! `awsctx console`: for SSO profiles the IAM Identity Center shortcut link, exact to the byte
//! and with no call made; with `--federate` (and for other profiles) the federation sign-in
//! against the mock's `/federation` (reached through `AWS_ENDPOINT_URL_SIGNIN`): the URL signs
//! the browser in as the profile, lands on the right console page, and never shows up anywhere
//! but stdout with `--print` or in `$BROWSER`.

use std::time::Duration;

use awsctx_tests::{Fault, Operation};
use jiff::SignedDuration;

use crate::support::{FakeBrowser, Sandbox, stderr, stdout, success};

/// `destination=` of a shortcut link: the console page, percent-encoded as a whole.
fn encoded(page: &str) -> String {
    page.replace(':', "%3A").replace('/', "%2F").replace('?', "%3F").replace('=', "%3D")
}

#[test]
fn an_sso_profile_prints_the_identity_center_shortcut_without_keys_or_calls() {
    let sandbox = Sandbox::new(); // not even logged in: the portal signs the browser in
    let out = success(sandbox.awsctx().args(["console", "dev", "--print"]));
    assert_eq!(
        stdout(&out),
        format!(
            "https://d-90670ca0b1.awsapps.com/start/#/console?account_id={}&role_name={}&destination={}\n",
            sandbox.account,
            sandbox.role,
            encoded("https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1")
        )
    );
    assert_eq!(stderr(&out), "");
    assert!(sandbox.mock.requests().is_empty(), "no federation, no portal call");
    assert!(!sandbox.path(".aws/cli/cache").exists(), "no keys fetched");
}

#[test]
fn service_and_region_become_the_shortcut_destination() {
    let sandbox = Sandbox::new();
    let out = success(sandbox.awsctx().args([
        "console",
        "dev",
        "--print",
        "--service",
        "s3",
        "--region",
        "us-west-2",
    ]));
    assert_eq!(
        stdout(&out),
        format!(
            "https://d-90670ca0b1.awsapps.com/start/#/console?account_id={}&role_name={}&destination={}\n",
            sandbox.account,
            sandbox.role,
            encoded("https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2")
        )
    );
}

#[test]
fn a_shortcut_without_service_or_region_has_no_destination() {
    let sandbox = Sandbox::new(); // `legacy` has no `region`
    let out = success(sandbox.awsctx().args(["console", "legacy", "--print"]));
    assert_eq!(
        stdout(&out),
        format!(
            "https://d-90670ca0b1.awsapps.com/start/#/console?account_id={}&role_name={}\n",
            sandbox.account, sandbox.role
        )
    );
    let out = success(sandbox.awsctx().args(["console", "legacy", "--print", "--service", "ec2"]));
    assert!(
        stdout(&out).ends_with(&format!(
            "&destination={}\n",
            encoded("https://console.aws.amazon.com/ec2/home")
        )),
        "{}",
        stdout(&out)
    );
}

#[test]
fn the_shortcut_opens_in_the_browser_and_says_so() {
    let sandbox = Sandbox::new();
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args(["console", "dev"]));
    let urls = browser.wait_for(1, Duration::from_secs(5));
    assert_eq!(urls.len(), 1);
    assert!(urls[0].starts_with("https://d-90670ca0b1.awsapps.com/start/#/console?account_id="));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: opened the IAM Identity Center shortcut to `dev` ({} · {}) in the browser\n",
            sandbox.account, sandbox.role
        )
    );
    assert!(sandbox.mock.requests().is_empty());
}

fn logged_in() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.seed_token(SignedDuration::from_hours(8));
    sandbox
}

#[test]
fn print_gives_a_url_that_signs_the_browser_in_as_the_profile() {
    let sandbox = logged_in();
    let out = success(sandbox.awsctx().args(["console", "dev", "--federate", "--print"]));
    let url = stdout(&out);
    assert!(
        url.starts_with(&format!(
            "{}/federation?Action=login&Issuer=&Destination=",
            sandbox.mock.url()
        )),
        "{url}"
    );
    assert!(url.ends_with('\n') && url.lines().count() == 1);
    assert_eq!(stderr(&out), "");

    let page = awsctx_tests::browse(&url).expect("the mock answers");
    assert!(page.is_success(), "{}", page.body);
    let sessions = sandbox.mock.console_sessions();
    assert_eq!(sessions.len(), 1);
    let issued = &sandbox.mock.issued_credentials()[0];
    assert_eq!(sessions[0].arn, issued.arn, "signed in with the profile's keys");
    assert_eq!(sessions[0].account_id, sandbox.account);
    assert_eq!(
        sessions[0].destination,
        "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
    );
    let token_call = &sandbox.mock.requests_for(Operation::GetSigninToken)[0];
    assert_eq!(token_call.query_param("SessionDuration"), None);
}

#[test]
fn service_and_region_choose_the_console_page() {
    let sandbox = logged_in();
    let out = success(sandbox.awsctx().args([
        "console",
        "dev",
        "--federate",
        "--print",
        "--service",
        "s3",
        "--region",
        "us-west-2",
    ]));
    awsctx_tests::browse(&stdout(&out)).expect("the mock answers");
    assert_eq!(
        sandbox.mock.console_sessions()[0].destination,
        "https://us-west-2.console.aws.amazon.com/s3/home?region=us-west-2"
    );
}

#[test]
fn the_current_profile_is_the_default() {
    let sandbox = logged_in();
    let out = success(sandbox.awsctx().env("AWS_PROFILE", "dev").args([
        "console",
        "--federate",
        "--print",
    ]));
    awsctx_tests::browse(&stdout(&out)).expect("the mock answers");
    assert_eq!(sandbox.mock.console_sessions()[0].account_id, sandbox.account);
}

#[test]
fn without_print_the_url_goes_to_the_browser_and_nowhere_else() {
    let sandbox = logged_in();
    let browser = FakeBrowser::recording(sandbox.home.as_path());
    let out = success(sandbox.awsctx().env("BROWSER", &browser.script).args([
        "console",
        "dev",
        "--federate",
    ]));
    let urls = browser.wait_for(1, Duration::from_secs(5));
    assert_eq!(urls.len(), 1);
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: opened the AWS console as `dev` ({} · {}) in the browser\n",
            sandbox.account, sandbox.role
        )
    );
    let token = urls[0].rsplit("SigninToken=").next().unwrap();
    assert!(!stderr(&out).contains(token));
    sandbox.assert_no_secret_in(&stderr(&out));
    awsctx_tests::browse(&urls[0]).expect("the mock answers");
    assert_eq!(sandbox.mock.console_sessions().len(), 1);
}

#[test]
fn no_browser_is_an_error_that_points_at_print() {
    let sandbox = logged_in();
    let out = awsctx_snapshot!(
        sandbox.cmd(&["console", "dev", "--federate"]).env("PATH", "/nonexistent")
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
}

#[test]
fn long_term_keys_are_refused_with_a_way_out() {
    let sandbox = Sandbox::new();
    let out = sandbox.awsctx().args(["console", "keys", "--print"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: profile `keys` has long-term keys; the console sign-in needs temporary credentials\n\
         hint: sign in with an SSO or role profile (a role on these keys: `role_arn = ...` with `source_profile = keys`)\n"
    );
    assert!(sandbox.mock.requests().is_empty());
}

#[test]
fn a_refused_signin_token_is_one_line_without_any_secret() {
    let sandbox = logged_in();
    sandbox.mock.inject(Operation::GetSigninToken, [Fault::Status(400)]);
    let out = awsctx_snapshot!(sandbox.cmd(&["console", "dev", "--federate", "--print"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    sandbox.assert_no_secret_in(&err);
}
