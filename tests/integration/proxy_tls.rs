//! TLS listeners (DESIGN §4 step 1): the certificate is chosen by SNI from
//! `certs_dir` (`default.crt` otherwise), HTTP/2 is offered by ALPN and
//! HTTP/1.1 always works, and `$scheme` reaches the upstream as `https`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::support::binary::{client, Gateway, GatewayBuilder};
use crate::support::conf::route;
use crate::support::upstream::EchoServer;

/// Accepts any certificate: the tests compare the presented one themselves.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The DER of `certs/<name>.crt`.
fn cert_der(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("certs")
        .join(format!("{name}.crt"));
    CertificateDer::from_pem_file(&path)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// Handshakes with `server_name` (an IP address sends no SNI) and returns the
/// leaf certificate the gateway presented.
async fn presented_cert(port: u16, server_name: ServerName<'static>) -> Vec<u8> {
    let provider = Arc::new(ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let tls = tokio::time::timeout(
        Duration::from_secs(10),
        TlsConnector::from(Arc::new(config)).connect(server_name, tcp),
    )
    .await
    .expect("TLS handshake timed out")
    .expect("TLS handshake");
    let chain = tls
        .get_ref()
        .1
        .peer_certificates()
        .expect("no certificate presented");
    chain[0].as_ref().to_vec()
}

fn gateway(echo: &EchoServer) -> Gateway {
    GatewayBuilder::new(&format!(
        "[proxy]\nset_headers = {{ \"Host\" = \"$host:$server_port\", \"X-Forwarded-Proto\" = \"$scheme\", \
         \"X-Scheme\" = \"$scheme\" }}\n\n{}",
        route("app", "/app/", &[echo.url()])
    ))
    .tls(true)
    .start()
}

/// A reqwest client that trusts anything and resolves `host` to the gateway.
fn tls_client(host: &str, port: u16, http1_only: bool) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .resolve(host, SocketAddr::from(([127, 0, 0, 1], port)))
        .timeout(Duration::from_secs(10));
    if http1_only {
        b = b.http1_only();
    }
    b.build().unwrap()
}

#[tokio::test]
async fn test_tls_sni_picks_certificate() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let (a, b, default) = (cert_der("a.test"), cert_der("b.test"), cert_der("default"));
    assert_ne!(a, b);

    let name = |n: &str| ServerName::try_from(n.to_string()).unwrap();
    assert!(
        presented_cert(port, name("a.test")).await == a,
        "SNI a.test must get a.test.crt"
    );
    assert!(
        presented_cert(port, name("b.test")).await == b,
        "SNI b.test must get b.test.crt"
    );
    assert!(
        presented_cert(port, name("unknown.test")).await == default,
        "unknown SNI → default.crt"
    );
    assert!(presented_cert(port, name("localhost")).await == default);
    let no_sni = ServerName::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST).into());
    assert!(
        presented_cert(port, no_sni).await == default,
        "no SNI → default.crt"
    );
}

#[tokio::test]
async fn test_tls_http2_by_alpn() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let resp = tls_client("a.test", port, false)
        .get(format!("https://a.test:{port}/app/h2?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let r = echo.last();
    assert_eq!(r.target, "/app/h2?x=1");
    assert_eq!(
        r.version, "HTTP/1.1",
        "HTTP/2 downstream, HTTP/1.1 upstream"
    );
    assert_eq!(
        r.header("host"),
        Some(format!("a.test:{port}").as_str()),
        ":authority gives $host"
    );
    assert_eq!(r.header("x-scheme"), Some("https"));
    assert_eq!(r.header("x-forwarded-proto"), Some("https"));

    // A body over HTTP/2 arrives intact.
    let resp = tls_client("b.test", port, false)
        .post(format!("https://b.test:{port}/app/post"))
        .body(vec![b'z'; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(echo.last().body.len(), 100_000);
}

#[tokio::test]
async fn test_tls_http11_and_scheme() {
    let echo = EchoServer::start();
    let gw = gateway(&echo);
    let port = gw.tls_port.unwrap();
    let resp = tls_client("a.test", port, true)
        .get(format!("https://a.test:{port}/app/h1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    let r = echo.last();
    assert_eq!(r.header("x-scheme"), Some("https"));
    assert_eq!(r.header("x-forwarded-proto"), Some("https"));
    assert_eq!(r.header("host"), Some(format!("a.test:{port}").as_str()));

    // The plain listener of the same gateway says http.
    let resp = client().get(gw.url("/app/plain")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let r = echo.last();
    assert_eq!(r.header("x-scheme"), Some("http"));
    assert_eq!(r.header("x-forwarded-proto"), Some("http"));
    assert_eq!(
        r.header("host"),
        Some(format!("127.0.0.1:{}", gw.port).as_str())
    );
}
