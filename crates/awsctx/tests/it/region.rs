//! A region chosen with a switch (`--region`, `-r`), alone (`awsctx -r R`), or by a pin or an
//! `.aws-profile`, in real bash, zsh and fish: `-` brings the region back with its profile,
//! `-u` and leaving a bound tree restore exactly what was there.

use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, lines, shells_and_nu, stderr, stdout};

#[test]
fn a_region_goes_with_its_profile_through_dash_and_unset() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    let script = format!(
        "cd '{root}'
setvar AWS_REGION mine-1
setvar AWS_DEFAULT_REGION ''
prompt
awsctx dev --region eu-central-1
show AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
awsctx prod-ro
show AWS_PROFILE AWS_REGION
awsctx -
show AWS_PROFILE AWS_REGION
awsctx -r us-west-2
show AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
awsctx status
awsctx -
show AWS_PROFILE AWS_REGION
awsctx static
show AWS_PROFILE AWS_REGION
awsctx -u
show AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION _AWSCTX_REGION
awsctx use prod-ro -r ap-south-1
show AWS_PROFILE AWS_REGION",
        root = sb.root.display()
    );
    for shell in shells_and_nu() {
        let out = sb.shell(shell, &script);
        let (text, err) = (stdout(&out), stderr(&out));
        let shown: Vec<&str> = lines(&text)
            .into_iter()
            .filter(|l| l.starts_with("AWS_") || l.starts_with("_AWSCTX"))
            .collect();
        assert_eq!(
            shown,
            [
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<eu-central-1>",
                "AWS_DEFAULT_REGION=<eu-central-1>",
                "AWS_PROFILE=<prod-ro>",
                "AWS_REGION=<us-east-1>",
                // `-` brings dev back in the region it was chosen with.
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<eu-central-1>",
                // The region alone: the profile stays.
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<us-west-2>",
                "AWS_DEFAULT_REGION=<us-west-2>",
                // `-` undoes the region change.
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<eu-central-1>",
                // A profile without a region: the user's own comes back, not the last one.
                "AWS_PROFILE=<static>",
                "AWS_REGION=<mine-1>",
                "AWS_PROFILE unset",
                "AWS_REGION=<mine-1>",
                "AWS_DEFAULT_REGION=<>",
                "_AWSCTX_REGION unset",
                "AWS_PROFILE=<prod-ro>",
                "AWS_REGION=<ap-south-1>",
            ],
            "{shell}: {err}"
        );
        awsctx_snapshot!(format!("region_{shell}"), output = &out, home = &sb.home);
    }
}

#[test]
fn pins_and_profile_files_may_carry_a_region_and_leaving_restores_the_one_before() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3570));
    sb.seed_keys(PROD, Duration::from_secs(3570));
    sb.dir("pinned");
    let proj = sb.dir("proj");
    std::fs::write(
        proj.join(".aws-profile"),
        "# the team's account\nprod-ro\nregion = eu-north-1\n",
    )
    .unwrap();
    let script = format!(
        "cd '{root}'
prompt
awsctx dev -r us-west-2
cd pinned
prompt
awsctx pin dev --region ap-northeast-1
show AWS_PROFILE AWS_REGION
cd ..
prompt
show AWS_PROFILE AWS_REGION
cd proj
prompt
awsctx allow
show AWS_PROFILE AWS_REGION
cd ..
prompt
show AWS_PROFILE AWS_REGION",
        root = sb.root.display()
    );
    for shell in shells_and_nu() {
        let _ = std::fs::remove_dir_all(sb.home.join(".local/state/awsctx"));
        let out = sb.shell(shell, &script);
        let err = stderr(&out);
        assert_eq!(
            lines(&stdout(&out)),
            [
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<ap-northeast-1>",
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<us-west-2>",
                "AWS_PROFILE=<prod-ro>",
                "AWS_REGION=<eu-north-1>",
                "AWS_PROFILE=<dev>",
                "AWS_REGION=<us-west-2>",
            ],
            "{shell}: {err}"
        );
        awsctx_snapshot!(format!("bound_region_{shell}"), output = &out, home = &sb.home);
    }
}

#[test]
fn a_region_that_is_not_one_is_a_usage_error_and_a_region_alone_needs_a_profile() {
    let sb = Sandbox::switcher();
    let out = awsctx_snapshot!(
        sb.awsctx_in(&sb.root, &["dev", "-r", "eu-west-1;rm -rf ~"]).env("_AWSCTX_SHELL", "bash")
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    let out = sb
        .awsctx_in(&sb.root, &["--region", "us-west-2"])
        .env("_AWSCTX_SHELL", "bash")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "awsctx: error: awsctx has no profile in this shell to change the region of\n\
         hint: `awsctx PROFILE --region us-west-2` switches to a profile in that region\n"
    );
}
