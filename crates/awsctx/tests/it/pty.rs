//! Real interactive bash, zsh and fish on a pseudo-terminal, driven like a user types: the
//! prompt hook runs for real (`PROMPT_COMMAND`, precmd/chpwd, fish events), the picker reads
//! the terminal.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use expectrl::{Regex, Session};

use awsctx_tests::{MockConfig, Operation};

use crate::support::{DEV, PROD, Sandbox, executable, processes_marked, shells, wait_until_gone};

struct Term {
    session: Session,
    shell: &'static str,
    /// Commands run so far: numbers the end markers.
    count: u32,
    /// Everything read so far (for failure messages).
    log: String,
}

impl Term {
    fn start(sb: &Sandbox, shell: &'static str, dir: &Path) -> Self {
        let prelude = sb.root.join(format!("prelude.{shell}"));
        std::fs::write(&prelude, sb.prelude(shell)).unwrap();
        let mut cmd = sb.shell_command(shell, &["-i"]);
        cmd.env("TERM", "dumb").current_dir(dir);
        let mut session = Session::spawn(cmd).expect("spawn shell on a pty");
        session.set_expect_timeout(Some(Duration::from_secs(20)));
        let mut term = Self { session, shell, count: 0, log: String::new() };
        term.run(&format!("source '{}'", prelude.display()));
        term
    }

    /// Type `line`, then a line that prints an end marker with the exit status the shell
    /// had after `line` (and its prompt); return what was printed before the marker and
    /// that status. Prompts are never matched: fish repaints them.
    fn run(&mut self, line: &str) -> (String, i32) {
        self.count += 1;
        let n = self.count;
        self.session.send_line(line).unwrap();
        let status = if self.shell == "fish" { "\"$status\"" } else { "$?" };
        // Typed as `__E''ND…`, printed as `__END…`: the echo never matches.
        self.session.send_line(format!("echo __E''ND_{n}_{status}_")).unwrap();
        self.wait_end(n)
    }

    fn wait_end(&mut self, n: u32) -> (String, i32) {
        let marker = format!("__END_{n}_");
        match self.session.expect(Regex(format!("{marker}([0-9]+)_"))) {
            Ok(found) => {
                let before = String::from_utf8_lossy(found.before()).into_owned();
                let status = found
                    .get(1)
                    .and_then(|s| std::str::from_utf8(s).ok()?.parse().ok())
                    .unwrap_or(-1);
                self.log.push_str(&before);
                let _ = write!(self.log, "{marker}{status}_");
                (before, status)
            }
            Err(err) => {
                panic!("{}: no end marker ({err}); the terminal said:\n{}", self.shell, self.log)
            }
        }
    }

    fn type_line(&mut self, line: &str) -> String {
        self.run(line).0
    }

    /// The value of `name` in the shell (`None`: unset).
    fn var(&mut self, name: &str) -> Option<String> {
        let out = self.type_line(&format!("show {name}"));
        let set = capture(&out, &format!("{name}=<"));
        if set.is_none() {
            assert!(
                out.contains(&format!("{name} unset")),
                "{}: `show {name}` printed {out:?}",
                self.shell
            );
        }
        set
    }

    fn expect_var(&mut self, name: &str, value: Option<&str>) {
        let got = self.var(name);
        assert_eq!(got.as_deref(), value, "{}: {name}; terminal:\n{}", self.shell, self.log);
    }
}

/// What follows `prefix` in `text`, up to the next `>`.
fn capture(text: &str, prefix: &str) -> Option<String> {
    let start = text.find(prefix)? + prefix.len();
    let end = text[start..].find('>')? + start;
    Some(text[start..end].to_owned())
}

#[test]
fn interactive_shells_switch_back_unset_pin_allow_and_leave_bound_trees() {
    for shell in shells() {
        let sb = Sandbox::switcher();
        let dev = sb.seed_keys(DEV, Duration::from_secs(3600));
        sb.seed_keys(PROD, Duration::from_secs(3600));
        let repo = sb.dir("repo");
        let proj = sb.dir("proj");
        std::fs::write(proj.join(".aws-profile"), "prod-ro\n").unwrap();

        let mut t = Term::start(&sb, shell, &sb.root);
        t.type_line("setvar AWS_PROFILE mine");
        t.type_line("setvar AWS_REGION us-west-2");

        let out = t.type_line("awsctx dev");
        assert!(
            out.contains("awsctx: dev · 111122223333 · Admin · eu-west-1 · "),
            "{shell}: {out}"
        );
        t.expect_var("AWS_PROFILE", Some("dev"));
        t.expect_var("AWS_ACCESS_KEY_ID", Some(&dev));
        t.type_line("awsctx prod-ro");
        t.type_line("awsctx -");
        t.expect_var("AWS_PROFILE", Some("dev"));
        t.type_line("awsctx -u");
        t.expect_var("AWS_PROFILE", Some("mine"));
        t.expect_var("AWS_REGION", Some("us-west-2"));
        t.expect_var("AWS_ACCESS_KEY_ID", None);

        // Pin here: applies at once; leaving the tree brings back the user's own profile.
        t.type_line("cd repo");
        t.type_line("awsctx pin dev");
        t.expect_var("AWS_PROFILE", Some("dev"));
        t.type_line("cd ..");
        t.expect_var("AWS_PROFILE", Some("mine"));
        t.expect_var("AWS_ACCESS_KEY_ID", None);

        // An untrusted `.aws-profile`: one line, no switch; `awsctx allow` switches now.
        let out = t.type_line("cd proj");
        assert!(
            out.contains("is not allowed yet — run `awsctx allow` to trust it"),
            "{shell}: {out}"
        );
        t.expect_var("AWS_PROFILE", Some("mine"));
        t.type_line("awsctx allow");
        t.expect_var("AWS_PROFILE", Some("prod-ro"));
        t.expect_var("_AWSCTX_ORIGIN", Some("file"));

        // The user's `$?` survives a prompt whose hook ran awsctx.
        let (out, status) = t.run(&format!("cd '{}'; false", repo.display()));
        assert!(out.contains("awsctx: dev"), "{shell}: {out}");
        assert_eq!(status, 1, "{shell}: {out}");

        t.type_line("cd /");
        t.expect_var("AWS_PROFILE", Some("mine"));
    }
}

#[test]
fn the_built_in_picker_filters_on_the_terminal_and_switches() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(PROD, Duration::from_secs(3600));
    let mut t = Term::start(&sb, "bash", &sb.root);
    // No fzf on this PATH: the built-in picker.
    t.session.send_line("PATH=/nonexistent awsctx").unwrap();
    t.session.expect("profile (text filters, number picks, empty cancels)> ").unwrap();
    t.session.send_line("prod").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("awsctx: prod-ro · 444455556666"), "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
    // Recent first: the next picker lists prod-ro at 1; an empty line cancels.
    t.session.send_line("PATH=/nonexistent awsctx").unwrap();
    let listed = t.session.expect("empty cancels)> ").unwrap();
    let listed = String::from_utf8_lossy(listed.before()).into_owned();
    assert!(listed.contains("  1  prod-ro"), "{listed}");
    t.session.send_line("").unwrap();
    let (_, status) = t.run("");
    assert_eq!(status, 130, "a cancelled pick exits 130, as fzf does");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
}

#[test]
fn typing_digits_in_the_built_in_picker_filters_before_it_picks_by_position() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    // Twelve profiles listed before it: `0012` as a position would be `a12`.
    for n in 1..=12 {
        sb.add_profile(&format!("[profile a{n:02}]\nregion = eu-west-1"));
    }
    sb.add_profile("[profile team-0012-x]\nregion = eu-west-1");
    let mut t = Term::start(&sb, "bash", &sb.root);
    t.session.send_line("PATH=/nonexistent awsctx").unwrap();
    t.session.expect("empty cancels)> ").unwrap();
    t.session.send_line("0012").unwrap();
    // Settings-only profiles: the switch happens, without keys.
    let (out, _) = t.run("");
    assert!(out.contains("awsctx: team-0012-x · eu-west-1 · no keys"), "{out}");
    t.expect_var("AWS_PROFILE", Some("team-0012-x"));
    // `#N` picks by position whatever it matches.
    t.session.send_line("PATH=/nonexistent awsctx").unwrap();
    t.session.expect("empty cancels)> ").unwrap();
    t.session.send_line("a0").unwrap();
    t.session.expect("empty cancels)> ").unwrap();
    t.session.send_line("#2").unwrap();
    let (out, _) = t.run("");
    assert!(out.contains("awsctx: a02 · eu-west-1 · no keys"), "{out}");
    t.expect_var("AWS_PROFILE", Some("a02"));
}

#[test]
fn fzf_gets_the_names_behind_their_index_and_the_choice_is_the_name() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(PROD, Duration::from_secs(3600));
    // A stand-in for fzf: it records what it was given and how, and picks `prod-ro`'s line
    // (index, name, and what the profile stands for, tab-separated).
    let bin = sb.dir("fake-bin");
    let log = sb.root.join("fzf.log");
    executable(
        &bin.join("fzf"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}.args'\n\
             tee '{log}' | grep -m1 \"$(printf '\\t')prod-ro$(printf '\\t')\"\n",
            log = log.display()
        ),
    );
    let mut t = Term::start(&sb, "bash", &sb.root);
    let (out, status) = t.run(&format!("PATH='{}':\"$PATH\" awsctx", bin.display()));
    assert_eq!(status, 0, "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
    let given = std::fs::read_to_string(&log).unwrap();
    assert!(
        given.lines().all(|l| l.split_once('\t').is_some_and(|(i, _)| i.parse::<usize>().is_ok())),
        "{given}"
    );
    assert!(given.lines().any(|l| l.contains("\tdev\t111122223333  Admin")), "{given}");
    let args = std::fs::read_to_string(format!("{}.args", log.display())).unwrap();
    assert!(args.lines().any(|a| a == "--with-nth=2.."), "{args}");
}

#[test]
fn keys_are_refreshed_from_the_mock_when_they_near_expiry_and_fish_keeps_one_timer() {
    // The mock hands out keys that are due for a refresh 3 s after they are issued (the hook
    // refreshes 15 minutes before expiry).
    let ttl = Duration::from_secs(15 * 60 + 3);
    let runs: Vec<_> = shells()
        .into_iter()
        .map(|shell| {
            std::thread::spawn(move || {
                let sb = Sandbox::switcher_with(MockConfig::default().credential_ttl(ttl));
                let mut t = Term::start(&sb, shell, &sb.root);
                let out = t.type_line("awsctx dev");
                assert!(out.contains("awsctx: dev · 111122223333 · Admin · eu-west-1 · 15m left"), "{shell}: {out}");
                let first = t.var("AWS_ACCESS_KEY_ID").expect("keys after the switch");
                assert_eq!(sb.mock.count(Operation::GetRoleCredentials), 1);
                if shell == "fish" {
                    // Switching again re-arms the timer: still one per shell.
                    t.type_line("awsctx prod-ro");
                    t.type_line("awsctx dev");
                    let (out, _) = t.run("ps -eo args | string match -e -- 'kill -USR1' | string match -e -- \" $fish_pid\" | count");
                    assert!(out.lines().any(|l| l.trim() == "1"), "fish timers: {out}");
                }
                std::thread::sleep(Duration::from_secs(4));
                if shell != "fish" {
                    // bash and zsh look at the clock when they draw the next prompt; fish was
                    // signalled by its timer and refreshes before this command runs.
                    t.type_line("");
                }
                let second = t.var("AWS_ACCESS_KEY_ID").expect("keys after the refresh");
                assert_ne!(first, second, "{shell}: the keys were refreshed");
                assert!(sb.mock.count(Operation::GetRoleCredentials) >= 2, "{shell}");
                t.expect_var("AWS_PROFILE", Some("dev"));
            })
        })
        .collect();
    for run in runs {
        if let Err(panic) = run.join() {
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn zsh_completes_profile_names_with_tab_once_compinit_ran() {
    if !shells().contains(&"zsh") {
        return;
    }
    let sb = Sandbox::switcher();
    let mut t = Term::start(&sb, "zsh", &sb.root);
    // Loaded before `compinit`: no error, no completion; sourced again after it: completion.
    t.type_line("autoload -Uz compinit && compinit -u");
    t.type_line(&format!("source '{}'", sb.hook_file("zsh").display()));
    t.session.send("awsctx prod-\t").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("awsctx: prod-ro · 444455556666"), "TAB completed the name: {out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
}

#[test]
fn an_account_id_of_several_profiles_opens_the_picker_with_only_them() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    sb.add_profile(&format!(
        "[profile dev-ro]\nsso_session = corp\nsso_account_id = {}\nsso_role_name = ReadOnly",
        DEV.0
    ));
    sb.seed_keys((DEV.0, "ReadOnly"), Duration::from_secs(3600));
    let mut t = Term::start(&sb, "bash", &sb.root);
    t.session.send_line("PATH=/nonexistent awsctx 111122223333").unwrap();
    let listed = t.session.expect("empty cancels)> ").unwrap();
    let listed = String::from_utf8_lossy(listed.before()).into_owned();
    assert!(listed.contains("dev     111122223333  Admin"), "{listed}");
    assert!(listed.contains("dev-ro  111122223333  ReadOnly"), "{listed}");
    assert!(!listed.contains("prod-ro"), "only the account's profiles: {listed}");
    // The role filters (the details are searched too).
    t.session.send_line("readonly").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    t.expect_var("AWS_PROFILE", Some("dev-ro"));
}

#[test]
fn zsh_tab_on_an_account_id_puts_its_profile_in_its_place() {
    if !shells().contains(&"zsh") {
        return;
    }
    let sb = Sandbox::switcher();
    let mut t = Term::start(&sb, "zsh", &sb.root);
    t.type_line("autoload -Uz compinit && compinit -u");
    t.type_line(&format!("source '{}'", sb.hook_file("zsh").display()));
    t.session.send(format!("awsctx {}\t", PROD.0)).unwrap();
    // zle redraws the line with the profile in place of the account id.
    t.session.expect("awsctx prod-ro").unwrap();
    let (out, _) = t.run("");
    assert!(out.contains("awsctx: prod-ro · 444455556666"), "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
}

#[test]
fn the_built_in_picker_finds_profiles_by_account_name() {
    if !shells().contains(&"bash") {
        return;
    }
    let sb = Sandbox::switcher();
    let out = sb.awsctx_in(&sb.root, &["populate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut t = Term::start(&sb, "bash", &sb.root);
    t.session.send_line("PATH=/nonexistent awsctx").unwrap();
    t.session.expect("empty cancels)> ").unwrap();
    // `prod-ro` is in the account the portal calls `app-prod`: its name does not say so, and
    // it is the only match, so it is chosen.
    t.session.send_line("app-prod").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("awsctx: prod-ro · 444455556666"), "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
}

#[test]
fn a_production_profile_waits_for_its_name_typed_when_confirmations_are_on() {
    if !shells().contains(&"bash") {
        return;
    }
    let mut sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    sb.seed_keys(PROD, Duration::from_secs(3600));
    sb.set_env("AWSCTX_CONFIRM_PROD", "1");
    let repo = sb.dir("repo");
    assert!(sb.awsctx_in(&repo, &["pin", "prod-ro"]).output().unwrap().status.success());
    let mut t = Term::start(&sb, "bash", &sb.root);
    let question = "looks like production; type its name to go on with switching: ";
    // A wrong answer: nothing switches.
    t.session.send_line("awsctx prod-ro").unwrap();
    t.session.expect(question).unwrap();
    t.session.send_line("prod").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 1, "{out}");
    assert!(out.contains("awsctx: error: not confirmed: nothing done with `prod-ro`"), "{out}");
    t.expect_var("AWS_PROFILE", None);
    // The name: it switches.
    t.session.send_line("awsctx prod-ro").unwrap();
    t.session.expect(question).unwrap();
    t.session.send_line("prod-ro").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
    // Not production: no question; and the hook never asks.
    let out = t.type_line("awsctx dev");
    assert!(!out.contains("looks like production"), "{out}");
    t.expect_var("AWS_PROFILE", Some("dev"));
    let out = t.type_line("cd repo");
    assert!(!out.contains("looks like production"), "{out}");
    t.expect_var("AWS_PROFILE", Some("prod-ro"));
    // exec asks too.
    t.session.send_line("cd .. && awsctx exec prod-ro -- echo ran-it").unwrap();
    t.session.expect("type its name to go on with running a command: ").unwrap();
    t.session.send_line("prod-ro").unwrap();
    let (out, status) = t.run("");
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("ran-it"), "{out}");
}

#[test]
fn fish_refresh_timers_die_with_their_shell_even_when_it_is_killed() {
    if !shells().contains(&"fish") {
        return;
    }
    let sb = Sandbox::switcher();
    sb.seed_keys(DEV, Duration::from_secs(3600));
    sb.seed_keys(PROD, Duration::from_secs(3600));
    // (timers, sleeps) among the processes this sandbox started.
    let counts = |sb: &Sandbox| {
        let procs = processes_marked(&sb.marker);
        let timers = procs.iter().filter(|(_, cmd)| cmd.contains("kill -USR1")).count();
        let sleeps = procs.iter().filter(|(_, cmd)| cmd.starts_with("sleep ")).count();
        (timers, sleeps, procs)
    };
    let mut t = Term::start(&sb, "fish", &sb.root);
    t.type_line("awsctx dev");
    // Replacing the timer ends the old one with its `sleep`.
    t.type_line("awsctx prod-ro");
    t.type_line("awsctx dev");
    let started = std::time::Instant::now();
    let (timers, sleeps, procs) = loop {
        let found = counts(&sb);
        if (found.0, found.1) == (1, 1) || started.elapsed() > Duration::from_secs(5) {
            break found;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((timers, sleeps), (1, 1), "one timer and its sleep: {procs:?}");
    // `exit`: the shell's exit event ends the timer's whole process group.
    t.session.send_line("exit").unwrap();
    let left = wait_until_gone(&sb.marker, Duration::from_secs(5));
    assert!(left.is_empty(), "left behind after `exit`: {left:?}");

    // A shell killed outright runs no exit handler: the timer notices its parent is gone.
    let mut t = Term::start(&sb, "fish", &sb.root);
    t.type_line("awsctx dev");
    assert_eq!(counts(&sb).0, 1, "{:?}", counts(&sb).2);
    let pid = t.session.get_process().pid().to_string();
    assert!(Command::new("kill").args(["-KILL", &pid]).status().unwrap().success());
    let left = wait_until_gone(&sb.marker, Duration::from_secs(15));
    assert!(left.is_empty(), "left behind by a killed shell: {left:?}");
}

#[test]
fn a_cancelled_picker_leaves_fish_with_status_zero_and_bash_prompt_hooks_see_the_status() {
    let sb = Sandbox::switcher();
    if shells().contains(&"fish") {
        let mut t = Term::start(&sb, "fish", &sb.root);
        t.session.send_line("PATH=/nonexistent awsctx").unwrap();
        t.session.expect("empty cancels)> ").unwrap();
        t.session.send_line("").unwrap();
        let (out, status) = t.run("");
        assert_eq!(status, 0, "fish: a cancelled pick is no failure: {out}");
    }
    if shells().contains(&"bash") {
        // A prompt hook after awsctx's (as starship's when its init ran first) records what it
        // sees, at every prompt after the first.
        let mut t = Term::start(&sb, "bash", &sb.root);
        t.type_line(r#"PROMPT_COMMAND+=$'\n''__seen+="[rc=$? ps=${PIPESTATUS[*]}]"'"#);
        for line in ["(exit 3)", "false"] {
            t.type_line(line);
        }
        let out = t.type_line("echo \"<$__seen>\"");
        assert!(out.contains("[rc=3 ps=3]") && out.contains("[rc=1 ps=1]"), "{out}");
    }
}

#[test]
fn a_second_tab_after_a_whole_profile_name_adds_no_flag() {
    let sb = Sandbox::switcher();
    for shell in shells() {
        let mut t = Term::start(&sb, shell, &sb.root);
        if shell == "zsh" {
            // zsh completes once `compinit` ran before the hook.
            t.type_line("autoload -Uz compinit && compinit -u");
            t.type_line(&format!("source '{}'", sb.hook_file("zsh").display()));
        }
        t.session.send("awsctx use prod-r\t").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        t.session.send("\t").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        t.session.send("\t").unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let (out, _) = t.run("");
        assert!(!out.contains("prod-ro -"), "{shell}: a flag was put on the line: {out}");
        t.expect_var("AWS_PROFILE", Some("prod-ro"));
    }
}

/// The scripts in `completions/`, loaded as packages install them and without the hook, with
/// the built `awsctx` found on `PATH`: `awsctx <TAB>` and `login --profile <TAB>` offer profile
/// names (not the files around), and flags once a `-` is typed.
#[test]
fn the_packaged_completion_scripts_complete_profile_names_without_the_hook() {
    use crate::support::{BIN, stderr, stdout};
    let mut sb = Sandbox::switcher();
    sb.add_profile("[profile data]\nregion = eu-west-1");
    std::fs::write(sb.root.join("dfile"), "").unwrap();
    sb.dir("ddir");
    let bin = sb.dir("bin");
    std::os::unix::fs::symlink(BIN, bin.join("awsctx")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    sb.set_env("PATH", &path);
    let packaged = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../completions");
    let packaged = packaged.canonicalize().unwrap();
    let dir = packaged.display();
    let sorted = |text: &str| {
        let mut words: Vec<String> =
            text.lines().map(|l| l.split('\t').next().unwrap_or_default().to_owned()).collect();
        words.sort();
        words.join(" ")
    };
    let expected = ["data dev", "data deny dev doctor", "--region"];
    if shells().contains(&"bash") {
        // What bash does on a TAB: the function `complete` names, with the words so far.
        let script = format!(
            "source '{dir}/awsctx.bash'\n\
             f=$(complete -p awsctx | sed 's/.* -F \\([^ ]*\\) .*/\\1/')\n\
             c() {{ COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_TYPE=9; COMPREPLY=()\n\
             \"$f\" awsctx \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD - 1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"; echo =; }}\n\
             c awsctx login --profile d\nc awsctx d\nc awsctx --re"
        );
        let out = sb.shell_raw("bash", &script);
        let got: Vec<String> = stdout(&out).split("=\n").map(sorted).collect();
        assert_eq!(got[..3], expected, "bash: {}", stderr(&out));
    }
    if shells().contains(&"fish") {
        // Where fish looks for a command's completions the first time it completes it.
        let script = format!(
            "set fish_complete_path '{dir}' $fish_complete_path\n\
             complete -C 'awsctx login --profile d'; echo =\ncomplete -C 'awsctx d'; echo =\n\
             complete -C 'awsctx --re'; echo ="
        );
        let out = sb.shell_raw("fish", &script);
        let got: Vec<String> = stdout(&out).split("=\n").map(sorted).collect();
        assert_eq!(got[..3], expected, "fish: {}", stderr(&out));
    }
    if shells().contains(&"zsh") {
        // `_awsctx` in `fpath` is what `compinit` binds to `awsctx`; a TAB lists what it offers.
        let mut cmd = sb.shell_command("zsh", &["-i"]);
        cmd.env("TERM", "dumb");
        let mut session = Session::spawn(cmd).expect("spawn zsh on a pty");
        session.set_expect_timeout(Some(Duration::from_secs(20)));
        let mut t = Term { session, shell: "zsh", count: 0, log: String::new() };
        t.type_line(&format!("fpath=('{dir}' $fpath); autoload -Uz compinit && compinit -u"));
        for (line, offered, not_offered) in [
            ("awsctx login --profile d", &["data", "dev"][..], &["dfile", "ddir", "doctor"][..]),
            ("awsctx d", &["data", "dev", "deny", "doctor"], &["dfile", "ddir"]),
            ("awsctx --", &["--region", "--current"], &["dfile"]),
        ] {
            t.session.send(format!("{line}\t")).unwrap();
            std::thread::sleep(Duration::from_millis(500));
            // Ctrl-U: the line is not run.
            t.session.send("\x15").unwrap();
            let (out, _) = t.run("");
            for word in offered {
                assert!(out.contains(word), "zsh: `{line}` TAB did not offer {word}: {out}");
            }
            for word in not_offered {
                assert!(!out.contains(word), "zsh: `{line}` TAB offered {word}: {out}");
            }
        }
    }
}
