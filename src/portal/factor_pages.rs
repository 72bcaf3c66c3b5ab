//! The HTML of the second-factor pages: the code form of the second
//! sign-in step, TOTP enrolment (an inline-SVG QR code and the
//! `otpauth://` URI; nothing is loaded from another host), the recovery
//! codes shown once, and short messages. Every value is escaped.

use std::fmt::Write as _;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::app::App;
use crate::auth::totp::{self, TotpSecret};
use crate::reply::Reply;

use super::html::{escape, page, passkey_button};

/// The issuer name authenticator apps show.
pub const ISSUER: &str = "Gatehouse";

/// `text` as an inline SVG QR code (no XML declaration, no external
/// reference), `None` when it does not fit a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let body = image
        .strip_prefix(r#"<?xml version="1.0" standalone="yes"?>"#)
        .unwrap_or(&image);
    Some(body.replacen(
        r#"<svg xmlns="http://www.w3.org/2000/svg""#,
        r#"<svg id="totp-qr" role="img" aria-label="QR code of the authenticator set-up""#,
        1,
    ))
}

/// The code form of the second step (`POST {prefix}/2fa`).
pub fn code_form(prefix: &str, codes: bool, passkeys: bool, error: Option<&str>) -> Reply {
    let mut body = String::with_capacity(2048);
    body.push_str("<h1>Second factor</h1>");
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    if codes {
        let _ = write!(
            body,
            "<form method=\"post\" action=\"{p}/2fa\">\
<label for=\"code\">Code from your authenticator app, or a recovery code</label>\
<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required autofocus>\
<button type=\"submit\" id=\"verify\">Verify</button></form>",
            p = escape(prefix)
        );
    }
    if passkeys {
        if codes {
            body.push_str("<p class=\"muted\">or</p>");
        }
        body.push_str(&passkey_button(
            prefix,
            "passkey-verify",
            "Use a passkey",
            "second-factor",
        ));
    }
    let _ = write!(
        body,
        "<p class=\"muted\"><a href=\"{}/login\">Start again</a></p>",
        escape(prefix)
    );
    Reply::html(200, page("Second factor", false, &body))
}

/// The TOTP set-up block: QR code, URI, secret, and a code field posting
/// to `action`.
fn enrol_block(username: &str, secret: &TotpSecret, action: &str) -> String {
    let uri = totp::otpauth_uri(secret, ISSUER, username);
    let qr = qr_svg(&uri).unwrap_or_default();
    format!(
        "<p>Scan this with an authenticator app (Aegis, Google Authenticator, 1Password…), \
or enter the key by hand, then type the 6-digit code it shows.</p>\
<div style=\"background:#fff;display:inline-block;padding:.5rem;border-radius:6px\">{qr}</div>\
<p><label for=\"totp-uri\">Set-up link</label><input type=\"text\" id=\"totp-uri\" readonly value=\"{uri}\"></p>\
<p>Key: <code id=\"totp-secret\">{key}</code></p>\
<form method=\"post\" action=\"{action}\">\
<label for=\"code\">Code</label>\
<input type=\"text\" id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required>\
<button type=\"submit\" id=\"confirm-totp\">Confirm</button></form>",
        uri = escape(&uri),
        key = escape(&secret.to_base32()),
        action = escape(action),
    )
}

/// Enrolment during a sign-in under `second_factor = "required"`.
pub fn enrol_at_sign_in(
    app: &App,
    username: &str,
    secret: &TotpSecret,
    error: Option<&str>,
) -> Reply {
    let prefix = &app.config.portal.prefix;
    let mut body = String::from("<h1>Set up a second factor</h1>");
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    body.push_str("<p>This gateway requires a second factor for every account.</p>");
    body.push_str(&enrol_block(username, secret, &format!("{prefix}/2fa")));
    let status = if error.is_some() { 401 } else { 200 };
    Reply::html(status, page("Set up a second factor", false, &body))
}

/// Enrolment from the security page.
pub fn enrol_from_account(
    app: &App,
    username: &str,
    secret: &TotpSecret,
    error: Option<&str>,
) -> Reply {
    let prefix = &app.config.portal.prefix;
    let mut body = String::from("<h1>Set up an authenticator app</h1>");
    if let Some(e) = error {
        let _ = write!(body, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    body.push_str(&enrol_block(
        username,
        secret,
        &format!("{prefix}/account/security/totp/confirm"),
    ));
    let _ = write!(
        body,
        "<p class=\"muted\"><a href=\"{}/account/security\">Back</a></p>",
        escape(prefix)
    );
    let status = if error.is_some() { 401 } else { 200 };
    Reply::html(status, page("Set up an authenticator app", false, &body))
}

/// The recovery codes, shown once, with a link onwards.
pub fn recovery_codes(codes: &[String], next: &str) -> String {
    let mut body = String::from(
        "<h1>Recovery codes</h1><p>Each code signs you in once when your authenticator is not at hand. \
Keep them somewhere safe: they are shown only now.</p><ul id=\"recovery-codes\">",
    );
    for c in codes {
        let _ = write!(body, "<li><code>{}</code></li>", escape(c));
    }
    let _ = write!(
        body,
        "</ul><a class=\"button\" id=\"continue\" href=\"{}\">Continue</a>",
        escape(next)
    );
    page("Recovery codes", false, &body)
}

/// A message with one link.
pub fn message_with_link(title: &str, text: &str, href: &str, label: &str) -> String {
    page(
        title,
        false,
        &format!(
            "<h1>{}</h1><p>{}</p><a class=\"button\" href=\"{}\">{}</a>",
            escape(title),
            escape(text),
            escape(href),
            escape(label)
        ),
    )
}

/// The passkey registration button of the security page.
pub fn register_button(prefix: &str) -> String {
    format!(
        "<label for=\"passkey-name\">Name of the new passkey</label>\
<input type=\"text\" id=\"passkey-name\" maxlength=\"100\" value=\"passkey\">{}",
        passkey_button(prefix, "passkey-register", "Add a passkey", "register")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_qr_svg_is_inline_and_self_contained() {
        let svg = qr_svg("otpauth://totp/Gatehouse:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(svg.starts_with("<svg id=\"totp-qr\""), "{}", &svg[..80]);
        assert!(!svg.contains("<?xml") && !svg.contains("http"));
        assert!(svg.contains("<path"));
    }

    #[test]
    fn test_code_form_escapes_and_offers_passkeys() {
        let r = code_form("/g\"h", true, true, Some("<bad>"));
        let html = String::from_utf8(r.body.to_vec()).unwrap();
        assert!(html.contains("&lt;bad&gt;"));
        assert!(html.contains("action=\"/g&quot;h/2fa\""));
        assert!(html.contains("id=\"passkey-verify\""));
        assert!(html.contains("/static/passkeys.js"));
    }
}
