//! Role chaining end to end: `export`, `credential-process` and `exec` of role profiles
//! against the mock's STS (SSO → role → role, a cycle, an external id, MFA with and without a
//! terminal) and against a third-party STS, moto's server, where `GetCallerIdentity` (asked
//! by boto3 inside `awsctx exec`) says the keys are the assumed role's.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use awsctx_core::cache::{AssumeRoleKeyArgs, CredentialKey};
use awsctx_tests::{AssumableRole, Operation};
use jiff::SignedDuration;

use crate::support::{Moto, Sandbox, stderr, stdout, success};

const SECOND_ACCOUNT: &str = "222233334444";
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// The sandbox's config plus `first` (a role on `dev`), `second` (a role on `first` in another
/// account), `a`/`b` (a cycle), `vendor` (external id) and `guarded` (MFA).
fn chained() -> Sandbox {
    let sandbox = Sandbox::new();
    let account = &sandbox.account;
    sandbox.mock.add_assumable_role(
        AssumableRole::new(format!("arn:aws:iam::{account}:role/Vendor")).external_id("ext-42"),
    );
    sandbox.mock.add_assumable_role(
        AssumableRole::new(format!("arn:aws:iam::{account}:role/Guarded"))
            .mfa(MFA_SERIAL, "123456"),
    );
    sandbox.write_config(&format!(
        "{}\n[profile first]\nrole_arn = arn:aws:iam::{account}:role/First\nsource_profile = dev\n\n\
         [profile second]\nrole_arn = arn:aws:iam::{SECOND_ACCOUNT}:role/Second\nsource_profile = first\nregion = us-west-2\n\n\
         [profile a]\nrole_arn = arn:aws:iam::{account}:role/A\nsource_profile = b\n\n\
         [profile b]\nrole_arn = arn:aws:iam::{account}:role/B\nsource_profile = a\n\n\
         [profile vendor]\nrole_arn = arn:aws:iam::{account}:role/Vendor\nsource_profile = dev\nexternal_id = ext-42\n\n\
         [profile vendor-no-id]\nrole_arn = arn:aws:iam::{account}:role/Vendor\nsource_profile = dev\n\n\
         [profile guarded]\nrole_arn = arn:aws:iam::{account}:role/Guarded\nsource_profile = dev\nmfa_serial = {MFA_SERIAL}\n",
        sandbox.default_config()
    ));
    sandbox.seed_token(SignedDuration::from_hours(8));
    sandbox
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// `awsctx` in a session of its own: no controlling terminal, so `/dev/tty` cannot be opened
/// (as in CI, a daemon, or an SDK calling `credential_process` from a service).
#[allow(unsafe_code)] // `pre_exec` is unsafe; `setsid` is async-signal-safe
fn without_terminal(cmd: &mut Command) -> &mut Command {
    // SAFETY: the closure only calls `setsid`, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

#[test]
fn a_three_link_chain_exports_the_last_role_and_later_commands_reuse_the_cache() {
    let sandbox = chained();
    let out = success(sandbox.awsctx().args(["export", "second", "--format", "json"]));
    let exported = json(&out);
    assert_eq!(exported["AccountId"], SECOND_ACCOUNT);
    assert_eq!(exported["Region"], "us-west-2");
    let key = exported["AccessKeyId"].as_str().unwrap();
    let who = sandbox.mock.credentials(key).expect("keys the mock issued");
    assert!(
        who.arn.starts_with("arn:aws:sts::222233334444:assumed-role/Second/awsctx-"),
        "{}",
        who.arn
    );
    assert_eq!(sandbox.mock.count(Operation::GetRoleCredentials), 1);
    assert_eq!(sandbox.mock.count(Operation::AssumeRole), 2);
    sandbox.assert_caches_whole();

    sandbox.mock.reset_counts();
    let process =
        json(&success(sandbox.awsctx().args(["credential-process", "--profile", "second"])));
    assert_eq!(process["AccessKeyId"], key);
    let out = success(sandbox.awsctx().args([
        "exec",
        "second",
        "--",
        "sh",
        "-c",
        "echo $AWS_ACCESS_KEY_ID $AWS_REGION",
    ]));
    assert_eq!(stdout(&out), format!("{key} us-west-2\n"));
    assert!(sandbox.mock.requests().is_empty(), "the cached role served both");
}

#[test]
fn switching_a_shell_to_a_role_profile_exports_the_assumed_keys() {
    let sandbox = chained();
    let out = success(sandbox.awsctx().env("_AWSCTX_SHELL", "bash").args(["use", "second"]));
    let code = stdout(&out);
    let key = sandbox.mock.issued_credentials().last().expect("keys issued").clone();
    assert!(sandbox.mock.credentials(&key.access_key_id).unwrap().arn.contains("/Second/"));
    assert!(code.contains(&format!("export AWS_ACCESS_KEY_ID='{}'", key.access_key_id)), "{code}");
    assert!(code.contains("export AWS_PROFILE='second'"), "{code}");
    assert!(code.contains("export AWS_REGION='us-west-2'"), "{code}");
    assert!(stderr(&out).contains(SECOND_ACCOUNT), "{}", stderr(&out));
}

#[test]
fn a_cycle_is_a_clear_error_naming_it() {
    let sandbox = chained();
    let out = awsctx_snapshot!(sandbox.cmd(&["export", "a"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(sandbox.mock.requests().is_empty());
}

#[test]
fn the_external_id_is_sent_and_its_absence_is_refused_by_sts() {
    let sandbox = chained();
    success(sandbox.awsctx().args(["export", "vendor"]));
    let call = sandbox.mock.requests_for(Operation::AssumeRole).pop().unwrap();
    assert_eq!(call.form_param("ExternalId").as_deref(), Some("ext-42"));

    let out = awsctx_snapshot!(sandbox.cmd(&["export", "vendor-no-id"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    sandbox.assert_no_secret_in(&err);
}

#[test]
fn mfa_without_a_terminal_is_a_clear_error_with_a_hint() {
    let sandbox = chained();
    let mut cmd = sandbox.awsctx();
    let out = without_terminal(cmd.args(["exec", "guarded", "--", "true"]).stdin(Stdio::null()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "awsctx: error: profile `guarded` needs a code from MFA device `{MFA_SERIAL}`, but there is no terminal to ask for it on\n\
             hint: run the command once in a terminal to enter the code; the role's keys are then cached and reused while 15 minutes remain\n"
        )
    );
    assert_eq!(sandbox.mock.count(Operation::AssumeRole), 0);
}

#[test]
fn mfa_on_a_terminal_asks_once_then_the_role_is_cached() {
    let sandbox = chained();
    let mut p = expectrl::Session::spawn({
        let mut cmd = sandbox.awsctx();
        cmd.args(["export", "guarded", "--format", "env"]);
        cmd
    })
    .expect("spawn in a PTY");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    p.expect(format!("Enter MFA code for {MFA_SERIAL}: ").as_str()).expect("the prompt");
    p.send_line("123456").unwrap();
    p.expect("export AWS_ACCESS_KEY_ID=").expect("the keys");
    p.expect(expectrl::Eof).unwrap();
    let call = sandbox.mock.requests_for(Operation::AssumeRole).pop().unwrap();
    assert_eq!(call.form_param("TokenCode").as_deref(), Some("123456"));

    // Cached under the AWS CLI's key (with `SerialNumber`): no terminal is needed any more.
    let key = CredentialKey::assume_role(&AssumeRoleKeyArgs {
        role_arn: format!("arn:aws:iam::{}:role/Guarded", sandbox.account),
        serial_number: Some(MFA_SERIAL.into()),
        ..AssumeRoleKeyArgs::default()
    });
    assert!(sandbox.credential_cache().load(&key).unwrap().is_some());
    let mut cmd = sandbox.awsctx();
    success(without_terminal(cmd.args(["export", "guarded"]).stdin(Stdio::null())));
}

/// Asked by boto3 inside `awsctx exec`: who the keys in its environment are (in the region
/// `exec` gave, else `us-east-1`: `first` has none).
const CALLER: &str = "import os, boto3\n\
region = os.environ.get('AWS_REGION', 'us-east-1')\n\
print(boto3.client('sts', region_name=region).get_caller_identity()['Arn'])";

#[test]
fn against_motos_sts_the_keys_are_the_assumed_roles() {
    let Some(python) = crate::support::python_with("moto.server") else { return };
    let moto = Moto::start(&python);
    let sandbox = Sandbox::new();
    sandbox.write_config(
        "[profile ci]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = moto-accepts-any-secret\n\n\
         [profile first]\nrole_arn = arn:aws:iam::123456789012:role/First\nsource_profile = ci\nexternal_id = ext-1\n\n\
         [profile second]\nrole_arn = arn:aws:iam::210987654321:role/Second\nsource_profile = first\nrole_session_name = via-awsctx\nduration_seconds = 1800\nregion = us-east-1\n",
    );
    let run =
        |args: &[&str]| success(sandbox.awsctx().env("AWS_ENDPOINT_URL_STS", &moto.url).args(args));
    let exported = json(&run(&["export", "second", "--format", "json"]));
    assert_eq!(exported["AccountId"], "210987654321");
    assert_ne!(exported["AccessKeyId"], "AKIAIOSFODNN7EXAMPLE");

    let python = python.to_str().expect("UTF-8 path");
    let who = stdout(&run(&["exec", "second", "--", python, "-c", CALLER]));
    assert_eq!(who, "arn:aws:sts::210987654321:assumed-role/Second/via-awsctx\n");
    let who = stdout(&run(&["exec", "first", "--", python, "-c", CALLER]));
    assert!(who.starts_with("arn:aws:sts::123456789012:assumed-role/First/awsctx-"), "{who}");
    assert!(sandbox.mock.requests().is_empty(), "moto answered, not the mock");
}
