//! What prompts read: the variables starship's `aws` module documents, set by a switch in real
//! shells; and `awsctx_prompt`, the segment for prompts without starship, from variables only.

use std::time::Duration;

use crate::support::{DEV, PROD, Sandbox, lines, shells, shells_and_nu, stderr, stdout};

#[test]
fn a_switch_sets_what_starships_aws_module_reads() {
    // starship's `aws` module: the profile from `AWS_PROFILE`, the region from `AWS_REGION` (or
    // `AWS_DEFAULT_REGION`), the expiry from `AWS_CREDENTIAL_EXPIRATION` (RFC 3339), shown when
    // keys are in the environment.
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3590));
    let script = format!(
        "cd '{}'\nprompt\nawsctx dev\nshow AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CREDENTIAL_EXPIRATION AWS_ACCESS_KEY_ID",
        sb.root.display()
    );
    for shell in shells() {
        let out = sb.shell(shell, &script);
        let text = stdout(&out);
        let shown = lines(&text);
        assert_eq!(
            shown[..3],
            ["AWS_PROFILE=<dev>", "AWS_REGION=<eu-west-1>", "AWS_DEFAULT_REGION=<eu-west-1>"],
            "{shell}: {}",
            stderr(&out)
        );
        let expiry = shown[3]
            .strip_prefix("AWS_CREDENTIAL_EXPIRATION=<")
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or_else(|| panic!("{shell}: {text}"));
        let at: jiff::Timestamp = expiry.parse().expect("RFC 3339");
        let left = at.as_second() - jiff::Timestamp::now().as_second();
        assert!((3500..=3590).contains(&left), "{shell}: {expiry}");
        assert!(shown[4].starts_with("AWS_ACCESS_KEY_ID=<ASIA"), "{shell}: {text}");
    }
}

#[test]
fn awsctx_prompt_shows_profile_region_and_time_left_in_red_for_production_without_a_process() {
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3590));
    sb.seed_keys(PROD, Duration::from_secs(2 * 3600 + 590));
    for shell in shells_and_nu() {
        let counted = sb.counting_wrapper(&format!("prompt-wrapper.{shell}"));
        let set_bin = counted.use_in(&sb, shell);
        // Each call's output on a line of its own, marked.
        let (call, no_path, many) = match shell {
            "fish" => (
                "set seg (awsctx_prompt); echo \"<$seg>\"",
                "set -g oldpath $PATH; set -gx PATH /nonexistent",
                "for i in (string split '' (string repeat -n 200 x)); awsctx_prompt >/dev/null; end",
            ),
            // The Nushell hook calls the wrapper from the start (the first prompt and
            // `awsctx dev` are counted too).
            "nu" => (
                "print $\"<(awsctx_prompt)>\"",
                "let oldpath = $env.PATH; $env.PATH = ['/nonexistent']",
                "for i in 1..200 { awsctx_prompt | ignore }",
            ),
            _ => (
                "awsctx_prompt -v seg; echo \"<$seg>\"",
                "oldpath=$PATH; PATH=/nonexistent",
                "for ((i = 0; i < 200; i++)); do awsctx_prompt -v seg; done",
            ),
        };
        let unset = if shell == "nu" { "awsctx -u" } else { "awsctx -u 2>/dev/null" };
        let restore_path = match shell {
            "fish" => "set -gx PATH $oldpath",
            "nu" => "$env.PATH = $oldpath",
            _ => "PATH=$oldpath",
        };
        let script = format!(
            "cd '{root}'\nprompt\n{call}\nawsctx dev\n{set_bin}\n{no_path}\n{call}\n{many}\n\
             setvar AWS_PROFILE mine\n{call}\n{restore_path}\n{unset}\n{call}",
            root = sb.root.display()
        );
        let out = sb.shell(shell, &script);
        assert_eq!(
            lines(&stdout(&out)),
            ["<>", "<dev (eu-west-1) 59m>", "<mine (eu-west-1)>", "<>"],
            "{shell}: {}",
            stderr(&out)
        );
        let calls = counted.calls();
        let expected = if shell == "nu" { "hook-env nu\ndev\n-u\n" } else { "-u\n" };
        assert_eq!(calls, expected, "{shell}: only the commands started awsctx, no prompt did");

        // Production: red, as each shell's prompts write colour.
        let script = format!(
            "cd '{}'\nprompt\nawsctx prod-ro\nunsetvar NO_COLOR\n{call}",
            sb.root.display()
        );
        let out = sb.shell(shell, &script);
        let text = stdout(&out);
        match shell {
            "bash" => assert_eq!(
                text,
                "<\u{1}\u{1b}[31m\u{2}prod-ro (us-east-1) 2h9m\u{1}\u{1b}[0m\u{2}>\n"
            ),
            "zsh" => assert_eq!(text, "<%F{red}prod-ro (us-east-1) 2h9m%f>\n"),
            "nu" => assert_eq!(text, "<\u{1b}[31mprod-ro (us-east-1) 2h9m\u{1b}[0m>\n"),
            _ => {
                assert!(text.contains("\u{1b}[31m"), "fish: {text:?}");
                assert!(text.contains("prod-ro (us-east-1) 2h9m"), "fish: {text:?}");
            }
        }
    }
}
