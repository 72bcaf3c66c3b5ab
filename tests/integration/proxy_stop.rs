//! Stopping: SIGTERM (graceful) and SIGINT (fast) end the process promptly
//! after traffic on two workers. Pingora's fast stop used to leave a worker
//! spinning on a failing accept() forever in about one stop out of ten
//! (vendor/README.md, change 2), hence the repetitions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use crate::support::binary::{client, GatewayBuilder};
use crate::support::conf::route;
use crate::support::upstream::EchoServer;

async fn traffic(url: String) {
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            // One client per task: its own keep-alive connection.
            let c = client();
            for _ in 0..25 {
                let resp = c.get(&url).send().await.unwrap();
                assert_eq!(resp.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn test_stop_fast_and_graceful_after_traffic() {
    let echo = EchoServer::start();
    let mut signals = vec![("TERM", 20)];
    signals.extend([("INT", 10); 20]);
    for (signal, within) in signals {
        let mut gw = GatewayBuilder::new(&route("app", "/", &[echo.url()]))
            .server_extra("threads = 2")
            .start();
        traffic(gw.url("/x")).await;
        let status = gw.signal_and_wait(signal, Duration::from_secs(within));
        assert!(status.success(), "SIG{signal}: {status}");
        let log = gw.log();
        assert!(
            !log.contains("Accept() failed"),
            "SIG{signal}: accept loop failed during stop:\n{}",
            &log[log.len().saturating_sub(2000)..]
        );
    }
}
