//! A shared upstream may read a path as a stricter route would: ASP.NET
//! Core apps route case-insensitively, Java servers drop `;params`, Windows
//! servers take `\` for `/`. With `/app/` public and `/app/admin/`
//! admin-only on one upstream, every such spelling must need the admin
//! level too; a raw backslash is refused outright.

use crate::support::accounts::{add_user, builder, get_status, login};
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::EchoServer;

fn routes(upstream: &str) -> String {
    format!(
        "[[route]]\nname = \"app\"\npath = \"/app/\"\nupstream = [\"{upstream}\"]\nauth = \"none\"\n\n\
         [[route]]\nname = \"admin\"\npath = \"/app/admin/\"\nupstream = [\"{upstream}\"]\nauth = \"admin\"\n"
    )
}

const SPELLINGS: [&str; 6] = [
    "/app/ADMIN/x",
    "/app/Admin/x",
    "/app/admin;x/y",
    "/app/admin;jsessionid=1/y",
    "/app/admin%5cx",
    "/app/x%5C..%5Cadmin/y",
];

#[tokio::test]
async fn test_loose_spellings_of_a_stricter_route_need_its_level() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo.url())).start();
    add_user(&gw, "root", "admin", "root-pw");
    add_user(&gw, "carol", "user", "carol-pw");
    let root = login(&gw, "root", "root-pw").await;
    let carol = login(&gw, "carol", "carol-pw").await;
    for path in SPELLINGS {
        assert_eq!(
            get_status(&gw, path, None, false).await,
            401,
            "{path} signed out"
        );
        assert_eq!(
            get_status(&gw, path, Some(&carol), false).await,
            403,
            "{path} as a user"
        );
        assert_eq!(
            get_status(&gw, path, Some(&root), false).await,
            200,
            "{path} as admin"
        );
    }
    let seen: Vec<String> = echo.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        seen.len(),
        SPELLINGS.len(),
        "only the admin's requests: {seen:?}"
    );
    // The public route itself, and spellings that stay public, still pass.
    assert_eq!(get_status(&gw, "/app/Public/x", None, false).await, 200);
    assert_eq!(get_status(&gw, "/app/x;y", None, false).await, 200);
}

#[tokio::test]
async fn test_raw_backslash_in_target_refused() {
    let echo = EchoServer::start();
    let gw = builder(&routes(&echo.url())).start();
    let resp = raw_request(
        gw.port,
        b"GET /app/admin\\x HTTP/1.1\r\nHost: gw.test\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&resp), Some(400), "{resp}");
    let resp = raw_request(
        gw.port,
        b"GET /app\\admin/x HTTP/1.1\r\nHost: gw.test\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&resp), Some(400), "{resp}");
    assert!(echo.requests().is_empty());
}
