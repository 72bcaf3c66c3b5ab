//! `gatehouse plex token` / `servers` through `cli::plex::run_with` against
//! the fake plex.tv, including its error answers.

use std::time::{Duration, Instant};

use gatehouse::cli::plex::{run_with, Output, PinPolling, PlexCliError, PlexCommand};

use super::common::{dead_url, plex_cfg, CLIENT_ID};
use crate::support::fakes::plex_tv::{PlexTvFake, ALICE, BOB, MACHINE_ID, OTHER_MACHINE_ID};
use crate::support::fakes::Mode;

struct Run {
    result: Result<(), PlexCliError>,
    out: String,
    msg: String,
}

async fn run(cmd: PlexCommand, base: &str, input: &str, polling: PinPolling) -> Run {
    let (mut out, mut msg) = (Vec::new(), Vec::new());
    let mut reader = input.as_bytes();
    let result = run_with(
        cmd,
        &plex_cfg(base, true),
        CLIENT_ID,
        &mut reader,
        &mut Output {
            result: &mut out,
            messages: &mut msg,
        },
        polling,
    )
    .await;
    Run {
        result,
        out: String::from_utf8(out).unwrap(),
        msg: String::from_utf8(msg).unwrap(),
    }
}

const TOKEN: PlexCommand = PlexCommand::Token { pin: false };
const PIN: PlexCommand = PlexCommand::Token { pin: true };

fn fast() -> PinPolling {
    PinPolling {
        interval: Duration::from_millis(50),
        give_up_after: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn test_cli_token_from_stdin() {
    let fake = PlexTvFake::start();
    let r = run(TOKEN, &fake.url(), "alice\nalice-pw\n", fast()).await;
    r.result.unwrap();
    assert_eq!(r.out, format!("{}\n", ALICE.token));
    assert!(r.msg.contains("username") && r.msg.contains("signed in as alice"));
    assert!(!r.msg.contains("alice-pw"));
}

#[tokio::test]
async fn test_cli_token_errors_one_line_each() {
    let fake = PlexTvFake::start();
    let cases = [
        ("alice\nwrong\n", "wrong username, e-mail or password"),
        ("erin\nerin-pw\n", "two-factor"),
        ("alice\n", "two lines of standard input"),
    ];
    for (input, want) in cases {
        let r = run(TOKEN, &fake.url(), input, fast()).await;
        let line = r.result.unwrap_err().to_string();
        assert!(line.contains(want) && !line.contains('\n'), "{line}");
        assert!(r.out.is_empty());
    }
    fake.set_mode(Mode::RateLimited);
    let line = run(TOKEN, &fake.url(), "alice\nalice-pw\n", fast())
        .await
        .result
        .unwrap_err()
        .to_string();
    assert_eq!(
        line,
        "plex.tv is rate limiting requests (429); try again later"
    );
    let line = run(TOKEN, &dead_url(), "alice\nalice-pw\n", fast())
        .await
        .result
        .unwrap_err()
        .to_string();
    assert!(
        line.starts_with("plex.tv is unreachable at http://127.0.0.1:"),
        "{line}"
    );
}

#[tokio::test]
async fn test_cli_token_pin_flow_approved() {
    let fake = std::sync::Arc::new(PlexTvFake::start());
    let f = fake.clone();
    let approver = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while f.pin_ids().is_empty() {
            assert!(Instant::now() < deadline, "no PIN created");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(f.approve_pin(f.pin_ids()[0], &ALICE));
    });
    let r = run(PIN, &fake.url(), "", fast()).await;
    approver.await.unwrap();
    r.result.unwrap();
    assert_eq!(r.out, format!("{}\n", ALICE.token));
    assert!(
        r.msg
            .contains(&format!("{}/auth#?clientID={CLIENT_ID}&code=", fake.url())),
        "{}",
        r.msg
    );
}

#[tokio::test]
async fn test_cli_token_pin_expired_and_abandoned() {
    let fake = std::sync::Arc::new(PlexTvFake::start());
    let f = fake.clone();
    let expirer = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while f.pin_ids().is_empty() {
            assert!(Instant::now() < deadline, "no PIN created");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        f.expire_pin(f.pin_ids()[0]);
    });
    let r = run(PIN, &fake.url(), "", fast()).await;
    expirer.await.unwrap();
    assert!(
        matches!(r.result, Err(PlexCliError::PinExpired)),
        "{:?}",
        r.result
    );
    assert!(r.out.is_empty());

    let polling = PinPolling {
        interval: Duration::from_millis(50),
        give_up_after: Duration::from_millis(200),
    };
    let r = run(PIN, &fake.url(), "", polling).await;
    let line = r.result.unwrap_err().to_string();
    assert_eq!(
        line,
        "the PIN was not approved within 200ms; run `gatehouse plex token --pin` again"
    );
}

#[tokio::test]
async fn test_cli_servers_table_and_errors() {
    let fake = PlexTvFake::start();
    let r = run(
        PlexCommand::Servers { token: None },
        &fake.url(),
        "",
        fast(),
    )
    .await;
    r.result.unwrap();
    let lines: Vec<&str> = r.out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("OWNED")
            && lines[0].ends_with("MACHINE IDENTIFIER")
    );
    assert!(
        lines[1].starts_with("Alice & Friends")
            && lines[1].contains(" yes ")
            && lines[1].ends_with(MACHINE_ID)
    );
    assert!(
        lines[2].starts_with("Zed's Server")
            && lines[2].contains(" no ")
            && lines[2].ends_with(OTHER_MACHINE_ID)
    );
    assert_eq!(fake.requests()[0].header("X-Plex-Token"), Some(ALICE.token));

    let r = run(
        PlexCommand::Servers {
            token: Some(BOB.token.into()),
        },
        &fake.url(),
        "",
        fast(),
    )
    .await;
    r.result.unwrap();
    assert_eq!(r.out.lines().count(), 1);
    assert!(r.msg.contains("no server"));

    let r = run(
        PlexCommand::Servers {
            token: Some("bad".into()),
        },
        &fake.url(),
        "",
        fast(),
    )
    .await;
    assert_eq!(
        r.result.unwrap_err().to_string(),
        "plex.tv refused the token (401)"
    );

    let mut no_token = plex_cfg(&fake.url(), true);
    no_token.token.clear();
    let (mut out, mut msg) = (Vec::new(), Vec::new());
    let e = run_with(
        PlexCommand::Servers { token: None },
        &no_token,
        CLIENT_ID,
        &mut "".as_bytes(),
        &mut Output {
            result: &mut out,
            messages: &mut msg,
        },
        fast(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, PlexCliError::NoToken));
}
