//! Helpers of the access tests: a test clock, RFC 6238 codes computed here
//! (with `totp-rs` directly, not through the gateway's wrapper), the
//! account security page, the second sign-in step.

use std::time::Duration;

use totp_rs::{Algorithm, Builder, Secret};

pub use crate::support::accounts::*;
use crate::support::binary::{client, Gateway, GatewayBuilder};

/// The half-signed-in state's cookie.
pub const PENDING_COOKIE: &str = "gatehouse_2fa";

/// A gateway clock moved by a file (`GATEHOUSE_TEST_CLOCK_FILE`).
pub struct Clock {
    file: tempfile::NamedTempFile,
    offset: i64,
}

impl Clock {
    /// A clock file at offset 0.
    pub fn new() -> Clock {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "0").unwrap();
        Clock { file, offset: 0 }
    }

    /// The builder with the clock file in its environment.
    pub fn attach(&self, b: GatewayBuilder) -> GatewayBuilder {
        b.env(
            "GATEHOUSE_TEST_CLOCK_FILE",
            &self.file.path().display().to_string(),
        )
    }

    /// The gateway's Unix time now (system time plus the offset).
    pub fn now(&self) -> u64 {
        // The test process has no clock offset: this is the system time.
        let sys = gatehouse::clock::unix(gatehouse::clock::now()) as i64;
        (sys + self.offset) as u64
    }

    /// Sets the offset and waits until the gateway follows it.
    pub async fn set(&mut self, gw: &Gateway, offset: i64) {
        if offset == self.offset {
            return;
        }
        self.offset = offset;
        std::fs::write(self.file.path(), offset.to_string()).unwrap();
        gw.wait_log(&format!("test clock offset seconds={offset}"), WITHIN)
            .await;
    }

    /// Moves the gateway's clock to 5 s into a 30 s step at least `ahead`
    /// seconds from now (so a test has 25 s before the step changes);
    /// returns that step.
    pub async fn jump_to_step(&mut self, gw: &Gateway, ahead: i64) -> u64 {
        let target = self.now() as i64 + ahead;
        let start = (target.div_euclid(30) + 1) * 30 + 5;
        let sys = self.now() as i64 - self.offset;
        self.set(gw, start - sys).await;
        (start / 30) as u64
    }
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of base32 `secret` for `step`.
pub fn code(secret: &str, step: u64) -> String {
    let bytes = Secret::try_from_base32(secret).expect("base32 secret");
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(bytes.as_ref().to_vec())
        .build_noncompliant()
        .generate(step * 30)
        .to_string()
}

/// The text between `start` and the next `end` in `body`.
pub fn between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let len = body[from..].find(end)?;
    Some(&body[from..from + len])
}

/// `name=value` of cookie `name` set by `resp` (non-empty), if any.
pub fn cookie_named(resp: &reqwest::Response, name: &str) -> Option<String> {
    set_cookies(resp)
        .into_iter()
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .find(|c| c.starts_with(&format!("{name}=")) && c.len() > name.len() + 1)
}

/// A same-origin form POST with `cookie`.
pub async fn post_form(
    gw: &Gateway,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(gw.url(path))
        .header("Cookie", cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .form(form)
        .send()
        .await
        .expect("POST through the gateway")
}

/// GET `path` with `cookie`; the response.
pub async fn get_with(gw: &Gateway, path: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(gw.url(path))
        .header("Cookie", cookie)
        .header("Accept", "text/html")
        .send()
        .await
        .expect("GET through the gateway")
}

/// Enrols TOTP for the session `cookie` at the gateway's current step:
/// returns the secret, the recovery codes and the new session cookie.
pub async fn enrol_totp(gw: &Gateway, cookie: &str, step: u64) -> (String, Vec<String>, String) {
    let page = post_form(gw, "/gatehouse/account/security/totp/start", cookie, &[]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg id=\"totp-qr\""), "inline SVG QR code");
    let secret = between(&html, "id=\"totp-secret\">", "<")
        .unwrap()
        .to_string();
    assert!(html.contains("otpauth://totp/Gatehouse:"), "otpauth URI");
    assert!(html.contains(&format!("secret={secret}")));
    let done = post_form(
        gw,
        "/gatehouse/account/security/totp/confirm",
        cookie,
        &[("code", &code(&secret, step))],
    )
    .await;
    assert_eq!(done.status(), 200);
    let rotated = session_cookie(&done).expect("a new session after enrolment");
    let html = done.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split('<').next().map(str::to_string))
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes");
    (secret, codes, rotated)
}

/// Signs in with the password; returns the pending cookie (the gateway
/// asks for the second factor: 302 to `{prefix}/2fa`, no session yet).
pub async fn password_step(gw: &Gateway, user: &str, password: &str, rd: &str) -> String {
    let resp = login_form(gw, user, password, rd).await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/gatehouse/2fa");
    assert!(
        session_cookie(&resp).is_none(),
        "no session before the second factor"
    );
    cookie_named(&resp, PENDING_COOKIE).expect("the half-signed-in cookie")
}

/// `POST {prefix}/2fa` with `code` and the pending cookie.
pub async fn code_step(gw: &Gateway, pending: &str, code: &str) -> reqwest::Response {
    post_form(gw, "/gatehouse/2fa", pending, &[("code", code)]).await
}

/// Waits `d` of gateway time without sleeping: moves the clock.
pub async fn advance(clock: &mut Clock, gw: &Gateway, d: Duration) {
    let to = clock.offset + d.as_secs() as i64;
    clock.set(gw, to).await;
}
