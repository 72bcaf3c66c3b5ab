//! One order: a certificate for one name. Publishes the challenge answer
//! (HTTP-01 token, TLS-ALPN-01 certificate or DNS TXT record through the
//! hook), tells the CA, waits for it, withdraws the answer, finalizes with a
//! fresh P-256 key and checks the chain it gets back before anything is
//! saved or served.

use std::time::Duration;

use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};

use super::challenge::{alpn_certificate, dns_fqdn, run_hook, AlpnShare, Http01Tokens};
use crate::certs::pair::{load, Loaded};
use crate::certs::CertStore;
use crate::config::{Acme, AcmeChallenge};

/// How long the CA may take to validate and to issue.
const POLL: RetryPolicy = RetryPolicy::new()
    .initial_delay(Duration::from_millis(250))
    .backoff(1.5)
    .timeout(Duration::from_secs(90));

/// A certificate just issued.
pub struct Issued {
    /// Checked and ready to serve.
    pub loaded: Loaded,
    /// Key and chain in one PEM text, for the store.
    pub pem: String,
}

/// Why an order failed.
#[derive(Debug)]
pub struct OrderError {
    /// What went wrong, for the log and the debug page.
    pub message: String,
    /// The CA refused with `rateLimited`.
    pub rate_limited: bool,
}

impl From<instant_acme::Error> for OrderError {
    fn from(e: instant_acme::Error) -> OrderError {
        let rate_limited = matches!(&e, instant_acme::Error::Api(p)
            if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:rateLimited"));
        OrderError {
            message: describe(&e),
            rate_limited,
        }
    }
}

impl From<String> for OrderError {
    fn from(message: String) -> OrderError {
        OrderError {
            message,
            rate_limited: false,
        }
    }
}

/// An instant-acme error with its causes (reqwest hides them in `source`).
pub fn describe(e: &instant_acme::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

/// What an order needs besides the account.
pub struct Context<'a> {
    /// The `[acme]` settings.
    pub acme: &'a Acme,
    /// Where HTTP-01 answers are published.
    pub tokens: &'a Http01Tokens,
    /// Where TLS-ALPN-01 certificates are published.
    pub store: &'a CertStore,
    /// How TLS-ALPN-01 challenges reach the other nodes.
    pub alpn: &'a AlpnShare,
}

/// A published answer, withdrawn after the CA has looked.
enum Published {
    Token(String),
    Alpn(String),
    Dns(String, String),
}

/// Orders a certificate for `name`.
pub async fn issue(account: &Account, name: &str, cx: &Context<'_>) -> Result<Issued, OrderError> {
    let ids = [Identifier::Dns(name.to_owned())];
    let mut order = account.new_order(&NewOrder::new(&ids)).await?;
    let kind = cx.acme.challenge;
    let wanted = match kind {
        AcmeChallenge::Http01 => ChallengeType::Http01,
        AcmeChallenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
        AcmeChallenge::Dns01 => ChallengeType::Dns01,
    };
    let mut published = Vec::new();
    let outcome = async {
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz?;
            match authz.status {
                AuthorizationStatus::Valid => continue,
                AuthorizationStatus::Pending => {}
                other => return Err(format!("{name}: authorization is {other:?}").into()),
            }
            let mut challenge = authz
                .challenge(wanted.clone())
                .ok_or_else(|| format!("{name}: the CA offers no {} challenge", kind.as_str()))?;
            let key_auth = challenge.key_authorization();
            match kind {
                AcmeChallenge::Http01 => {
                    cx.tokens.publish(&challenge.token, key_auth.as_str()).await;
                    published.push(Published::Token(challenge.token.clone()));
                }
                AcmeChallenge::TlsAlpn01 => {
                    let digest = key_auth.digest();
                    let cert = alpn_certificate(name, digest.as_ref())?;
                    cx.store.set_alpn_challenge(name, Some(cert));
                    published.push(Published::Alpn(name.to_owned()));
                    if let Ok(d) = <[u8; 32]>::try_from(digest.as_ref()) {
                        cx.alpn.publish(name, d).await;
                    }
                }
                AcmeChallenge::Dns01 => {
                    let hook = cx
                        .acme
                        .dns_hook
                        .as_deref()
                        .ok_or_else(|| "dns_hook is not set".to_owned())?;
                    let (fqdn, value) = (dns_fqdn(name), key_auth.dns_value());
                    published.push(Published::Dns(fqdn.clone(), value.clone()));
                    run_hook(hook, "present", &fqdn, &value).await?;
                    if !cx.acme.dns_wait.is_zero() {
                        tokio::time::sleep(cx.acme.dns_wait).await;
                    }
                }
            }
            challenge.set_ready().await?;
        }
        Ok::<OrderStatus, OrderError>(order.poll_ready(&POLL).await?)
    }
    .await;
    withdraw(cx, &published).await;
    let status = match outcome {
        Ok(status) => status,
        Err(e) => return Err(with_challenge_detail(&mut order, name, kind, e).await),
    };
    if status != OrderStatus::Ready {
        let e = OrderError::from(format!("{name}: order is {status:?}"));
        return Err(with_challenge_detail(&mut order, name, kind, e).await);
    }
    let key_pem = order.finalize().await?;
    let chain_pem = order.poll_certificate(&POLL).await?;
    let loaded = load(chain_pem.as_bytes(), key_pem.as_bytes())
        .map_err(|e| format!("{name}: the CA sent a certificate that cannot be served: {e}"))?;
    if let Some(note) = &loaded.note {
        tracing::warn!(name = %name, "certificate from the CA: {note}");
    }
    Ok(Issued {
        loaded,
        pem: format!("{key_pem}{chain_pem}"),
    })
}

async fn withdraw(cx: &Context<'_>, published: &[Published]) {
    for p in published {
        match p {
            Published::Token(t) => cx.tokens.withdraw(t).await,
            Published::Alpn(n) => {
                cx.store.set_alpn_challenge(n, None);
                cx.alpn.withdraw(n).await;
            }
            Published::Dns(fqdn, value) => {
                if let Some(hook) = cx.acme.dns_hook.as_deref() {
                    if let Err(e) = run_hook(hook, "cleanup", fqdn, value).await {
                        tracing::warn!(error = %e, "DNS challenge record not cleaned up");
                    }
                }
            }
        }
    }
}

/// Replaces a bare "invalid" with what the CA said about the challenge
/// (e.g. "Connection refused" from its validation attempt).
async fn with_challenge_detail(
    order: &mut instant_acme::Order,
    name: &str,
    kind: AcmeChallenge,
    e: OrderError,
) -> OrderError {
    let mut details = Vec::new();
    let mut authorizations = order.authorizations();
    while let Some(Ok(mut authz)) = authorizations.next().await {
        if authz.refresh().await.is_err() {
            continue;
        }
        for c in &authz.challenges {
            if let Some(problem) = &c.error {
                details.push(problem.to_string());
            }
        }
    }
    if details.is_empty() {
        return e;
    }
    OrderError {
        message: format!(
            "{name}: {} challenge failed: {}",
            kind.as_str(),
            details.join("; ")
        ),
        rate_limited: e.rate_limited,
    }
}
