//! `gatehouse_signins_total{result="second_factor_failed"}` and `ok` after
//! the second step (docs/operations.md "Metrics"), through the real TOTP
//! sign-in: the password step alone counts nothing; a wrong code counts a
//! failed second factor, the right one a sign-in.

use crate::metrics::scrape;
use crate::support::ports::free_port;
use crate::support::upstream::EchoServer;

use super::common::*;

#[tokio::test]
async fn test_metrics_second_factor_sign_ins() {
    let echo = EchoServer::start();
    let port = free_port();
    let mut clock = Clock::new();
    let toml = format!(
        "[login]\nmax_failures = 50\n\n[metrics]\nlisten = \"127.0.0.1:{port}\"\n\n{}",
        protected("app", "/app/", &echo.url(), "\"user\"")
    );
    let gw = clock.attach(builder(&toml)).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let first = login(&gw, "alice", "pw-alice").await;
    let s = clock.jump_to_step(&gw, 0).await;
    let (secret, _, _) = enrol_totp(&gw, &first, s).await;

    let before = scrape(port).await;
    let s = clock.jump_to_step(&gw, 120).await;
    let pending = password_step(&gw, "alice", "pw-alice", "/app/").await;
    let between = scrape(port).await;
    let wrong = code_step(&gw, &pending, &code(&secret, s + 5)).await;
    assert_eq!(wrong.status(), 401);
    let right = code_step(&gw, &pending, &code(&secret, s)).await;
    assert_eq!(right.status(), 302);
    assert!(session_cookie(&right).is_some());
    let after = scrape(port).await;

    let signins = |scrape: &crate::metrics::Scrape, result| {
        scrape.get(
            "gatehouse_signins_total",
            &[("backend", "local"), ("result", result)],
        )
    };
    for result in ["ok", "wrong_password", "second_factor_failed"] {
        assert_eq!(
            signins(&between, result),
            signins(&before, result),
            "the password step alone: {result}"
        );
    }
    assert_eq!(
        signins(&after, "second_factor_failed") - signins(&before, "second_factor_failed"),
        1.0
    );
    assert_eq!(signins(&after, "ok") - signins(&before, "ok"), 1.0);
    assert_eq!(
        signins(&after, "wrong_password") - signins(&before, "wrong_password"),
        0.0
    );
}
