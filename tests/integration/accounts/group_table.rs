//! The group table of issue 3: every route level × every kind of visitor,
//! through the real gateway, as browser navigations.

use crate::support::upstream::EchoServer;

use super::common::{add_user, builder, cli_ok, get_status, login, protected, wait_status};

/// Route levels (TOML value, label).
const LEVELS: [(&str, &str); 8] = [
    ("0", "0"),
    ("1", "1"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("998", "998"),
    ("999", "999"),
    ("\"none\"", "none"),
];

/// Visitors: label and group number (`None` = signed out, `locked` = group 4, locked).
const VISITORS: [&str; 8] = ["0", "1", "2", "3", "4", "7", "signed-out", "locked"];

/// The contract (docs/configuration.md, access decisions) for a browser navigation.
fn expected(level: &str, visitor: &str) -> u16 {
    if level == "none" {
        return 200;
    }
    let level: u16 = level.parse().expect("numeric level");
    match visitor.parse::<u16>() {
        Ok(g) if g <= level => 200,
        Ok(_) => 403,
        Err(_) if level >= 999 => 200,
        Err(_) => 302,
    }
}

#[tokio::test]
async fn test_group_table_levels_by_visitor() {
    let echo = EchoServer::start();
    let mut toml = String::new();
    for (value, label) in LEVELS {
        toml += &protected(
            &format!("l{label}"),
            &format!("/l{label}/"),
            &echo.url(),
            value,
        );
    }
    let gw = builder(&toml).start();
    let mut cookies: Vec<Option<String>> = Vec::new();
    for visitor in VISITORS {
        match visitor {
            "signed-out" => cookies.push(None),
            "locked" => {
                add_user(&gw, "locky", "4", "pw-locky");
                let c = login(&gw, "locky", "pw-locky").await;
                cli_ok(&gw, &["user", "lock", "locky"], "");
                wait_status(&gw, "/l4/", Some(&c), 401).await;
                cookies.push(Some(c));
            }
            g => {
                let name = format!("user{g}");
                add_user(&gw, &name, g, "pw-secret");
                cookies.push(Some(login(&gw, &name, "pw-secret").await));
            }
        }
    }
    let mut failures = 0;
    let mut table = format!("{:>6} |", "route");
    for v in VISITORS {
        table += &format!(" {v:>10}");
    }
    table += "\n";
    for (_, level) in LEVELS {
        table += &format!("{level:>6} |");
        for (v, cookie) in VISITORS.iter().zip(&cookies) {
            let got = get_status(&gw, &format!("/l{level}/x"), cookie.as_deref(), true).await;
            let want = expected(level, v);
            if got == want {
                table += &format!(" {got:>10}");
            } else {
                failures += 1;
                table += &format!(" {:>10}", format!("{got}!={want}"));
            }
        }
        table += "\n";
    }
    assert_eq!(failures, 0, "group table (got!=want):\n{table}");
}
