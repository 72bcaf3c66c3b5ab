//! The HTTP client the ACME protocol runs on: reqwest (rustls, the usual web
//! roots plus `ca_roots`), with time limits, a cap on response size, and a
//! record of the last `Retry-After` the CA sent with an error so the
//! scheduler can honour it.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use instant_acme::{BodyWrapper, BytesBody, BytesResponse, Error, HttpClient};

/// Largest response read from the CA (a certificate chain is a few KiB).
const MAX_BODY: usize = 1 << 20;
/// Time limit of one request to the CA.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `Retry-After` of the CA's last error response.
#[derive(Debug, Default, Clone)]
pub struct RetryAfter(Arc<Mutex<Option<SystemTime>>>);

impl RetryAfter {
    /// Takes the recorded time (once).
    pub fn take(&self) -> Option<SystemTime> {
        self.0.lock().map_or(None, |mut g| g.take())
    }

    fn set(&self, at: SystemTime) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(at);
        }
    }
}

/// An [`HttpClient`] for instant-acme.
pub struct AcmeHttp {
    client: reqwest::Client,
    retry_after: RetryAfter,
}

impl AcmeHttp {
    /// A client trusting the web roots and every certificate in `ca_roots`.
    pub fn new(ca_roots: Option<&Path>, retry_after: RetryAfter) -> Result<AcmeHttp, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(path) = ca_roots {
            let pem = std::fs::read(path)
                .map_err(|e| format!("ca_roots {}: cannot read: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("ca_roots {}: {e}", path.display()))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(AcmeHttp {
            client,
            retry_after,
        })
    }
}

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, Error>> + Send>> {
        let client = self.client.clone();
        let retry_after = self.retry_after.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = http_body_util::BodyExt::collect(body)
                .await
                .map(http_body_util::Collected::to_bytes)
                .map_err(|e| -> Error { match e {} })?;
            let url = parts.uri.to_string();
            let resp = client
                .request(parts.method, url)
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| Error::Other(Box::new(e)))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            if !status.is_success() {
                if let Some(at) = headers
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, crate::clock::now()))
                {
                    retry_after.set(at);
                }
            }
            let bytes = read_capped(resp).await?;
            let mut out = http::Response::new(bytes);
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            let (parts, body) = out.into_parts();
            Ok(BytesResponse {
                parts,
                body: Box::new(body) as Box<dyn BytesBody>,
            })
        })
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Bytes, Error> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| Error::Other(Box::new(e)))? {
        if buf.len() + chunk.len() > MAX_BODY {
            return Err(Error::Str("response from the CA is too large"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// `Retry-After`: delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<SystemTime> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(now + Duration::from_secs(secs));
    }
    httpdate::parse_http_date(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn test_parse_retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(now + Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:20:00 GMT", now),
            Some(UNIX_EPOCH + Duration::from_secs(1200))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn test_client_refuses_bad_roots() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roots.pem");
        let err = AcmeHttp::new(Some(&path), RetryAfter::default())
            .err()
            .unwrap();
        assert!(err.contains("cannot read"), "{err}");
    }
}
