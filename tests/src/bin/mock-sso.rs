//! `mock-sso`: the mock IAM Identity Center as a process, and the fake browser.
//!
//! ```text
//! mock-sso serve [--accounts N] [--roles-per-account K] [--rate-limit N] [--token-ttl SECS]
//!                [--credential-ttl SECS] [--port P] [--page-size N] [--auto-approve]
//!                [--ignore-stdin]
//! mock-sso browse URL
//! ```
//! `serve` prints the base URL as the first line of stdout and serves until killed or until
//! its stdin closes (so a dead parent never leaves it behind; `--ignore-stdin` for shells).
//! `browse` fetches URL following loopback redirects; exit 0 on a final 2xx, 1 otherwise.

// This binary is the output edge: it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use awsctx_tests::{MockConfig, MockSso, browse};

const USAGE: &str = "usage: mock-sso serve [--accounts N] [--roles-per-account K] [--rate-limit N] \
[--token-ttl SECS] [--credential-ttl SECS] [--port P] [--page-size N] [--auto-approve] \
[--ignore-stdin]\n       mock-sso browse URL";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("browse") if args.len() == 2 => run_browse(&args[1]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run_browse(url: &str) -> ExitCode {
    match browse(url) {
        Ok(page) => {
            for hop in &page.visited {
                eprintln!("mock-sso browse: GET {hop}");
            }
            eprintln!("mock-sso browse: {} from `{}`", page.status, page.url);
            if page.is_success() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("mock-sso browse: error: {e}");
            ExitCode::FAILURE
        }
    }
}

struct ServeArgs {
    config: MockConfig,
    watch_stdin: bool,
}

fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    let mut config = MockConfig::default();
    let mut accounts = None;
    let mut roles = None;
    let mut watch_stdin = true;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = it.next().ok_or_else(|| format!("`{name}` needs a value"))?;
            value.parse::<u64>().map_err(|_| format!("`{name}` wants a number, not `{value}`"))
        };
        match flag.as_str() {
            "--accounts" => accounts = Some(number(flag)?),
            "--roles-per-account" => roles = Some(number(flag)?),
            "--rate-limit" => {
                let n = number(flag)?;
                config =
                    config.rate_limit(u32::try_from(n).map_err(|_| "`--rate-limit` is too large")?);
            }
            "--token-ttl" => config = config.token_ttl(Duration::from_secs(number(flag)?)),
            "--credential-ttl" => {
                config = config.credential_ttl(Duration::from_secs(number(flag)?));
            }
            "--page-size" => {
                config = config.page_size(usize::try_from(number(flag)?).unwrap_or(usize::MAX));
            }
            "--port" => {
                let n = number(flag)?;
                config = config.port(u16::try_from(n).map_err(|_| "`--port` is out of range")?);
            }
            "--auto-approve" => config = config.auto_approve(true),
            "--ignore-stdin" => watch_stdin = false,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    if let Some(k) = roles {
        config = config.roles_per_account(to_usize(k));
    }
    if let Some(n) = accounts {
        config = config.accounts(to_usize(n));
    }
    Ok(ServeArgs { config, watch_stdin })
}

fn serve(args: &[String]) -> ExitCode {
    let args = match parse_serve(args) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("mock-sso: error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mock = match MockSso::try_start(args.config) {
        Ok(mock) => mock,
        Err(e) => {
            eprintln!("mock-sso: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", mock.url()).and_then(|()| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    eprintln!(
        "mock-sso: serving {} accounts at {} (start URL `{}`)",
        mock.accounts().len(),
        mock.url(),
        mock.start_url()
    );
    if args.watch_stdin {
        // Read until EOF: the parent closed our stdin or died.
        let mut sink = [0_u8; 1024];
        let mut stdin = std::io::stdin().lock();
        loop {
            match stdin.read(&mut sink) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    } else {
        loop {
            std::thread::park();
        }
    }
    drop(mock);
    ExitCode::SUCCESS
}
