//! Prometheus metrics (docs/operations.md "Metrics"): every metric family
//! of the process in one registry, and the per-route handles a config load
//! resolves once ([`RouteMetrics`], held by `app::routes::RouteRuntime`), so
//! the request path only bumps atomics: no allocation, no lock, no label
//! look-up. A configuration built anew (a reload) resolves fresh handles
//! onto the same families, so counts carry on.
//!
//! Labels are closed sets or configured names (route and SSO service
//! names): never a request path, a user name, an address or a token.
//!
//! Plain values in, text out: nothing here knows the proxy or the store;
//! gauges that describe state (sessions, bans, certificates) are set by
//! the scrape handler just before [`encode`].

use std::sync::OnceLock;
use std::time::Duration;

use prometheus::{
    GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

use crate::config::LoginBackend;

/// Status classes of `gatehouse_requests_total`; `none` = the client went
/// away before a status was sent.
pub const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "none"];

/// Upstream response time buckets, in seconds.
const UPSTREAM_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// The auth decision of a request (`decision` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decision {
    /// No auth decision was made: the portal, a `[[redirect]]`, no route,
    /// or a refusal before the auth step (400, 413).
    #[default]
    None,
    /// No sign-in needed: `auth = "none"`, a public path, a trusted
    /// network, or a guest-level route, and no user.
    Public,
    /// A signed-in user (or a machine client's API token) was admitted.
    Allow,
    /// Not signed in, a browser navigation: 302 to the login page.
    Login,
    /// A second factor is required first (302 to step-up, or 401).
    StepUp,
    /// Not signed in: 401.
    Unauthorized,
    /// Signed in, group not admitted: 403.
    Forbidden,
}

impl Decision {
    /// Every decision, in label order.
    pub const ALL: [Decision; 7] = [
        Decision::None,
        Decision::Public,
        Decision::Allow,
        Decision::Login,
        Decision::StepUp,
        Decision::Unauthorized,
        Decision::Forbidden,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            Decision::None => "none",
            Decision::Public => "public",
            Decision::Allow => "allow",
            Decision::Login => "login",
            Decision::StepUp => "step_up",
            Decision::Unauthorized => "unauthorized",
            Decision::Forbidden => "forbidden",
        }
    }
}

/// How an upstream attempt failed (`kind` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// No connection (refused, unreachable, unresolved, TLS).
    Connect,
    /// The connect timeout passed.
    ConnectTimeout,
    /// A read or write timed out after the request was sent.
    Timeout,
    /// The upstream's answer was not valid HTTP.
    InvalidHeader,
    /// Anything else (reset, closed mid-response).
    Error,
    /// A pooled keep-alive connection the upstream had already closed.
    StaleConnection,
    /// A status listed in `next_upstream` (`http_502` …).
    Status,
}

impl FailureKind {
    /// Every kind, in label order.
    pub const ALL: [FailureKind; 7] = [
        FailureKind::Connect,
        FailureKind::ConnectTimeout,
        FailureKind::Timeout,
        FailureKind::InvalidHeader,
        FailureKind::Error,
        FailureKind::StaleConnection,
        FailureKind::Status,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Connect => "connect",
            FailureKind::ConnectTimeout => "connect_timeout",
            FailureKind::Timeout => "timeout",
            FailureKind::InvalidHeader => "invalid_header",
            FailureKind::Error => "error",
            FailureKind::StaleConnection => "stale_connection",
            FailureKind::Status => "status",
        }
    }
}

/// The outcome of a sign-in attempt (`result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigninResult {
    /// A session was started.
    Ok,
    /// Unknown user or wrong password.
    WrongPassword,
    /// The user name or the client address is banned (`[login]`).
    Banned,
    /// The password was right but the account is locked.
    Locked,
    /// The second step (TOTP code, recovery code, passkey) was refused.
    SecondFactorFailed,
}

impl SigninResult {
    /// Every result, in label order.
    pub const ALL: [SigninResult; 5] = [
        SigninResult::Ok,
        SigninResult::WrongPassword,
        SigninResult::Banned,
        SigninResult::Locked,
        SigninResult::SecondFactorFailed,
    ];

    /// The label value.
    pub fn label(self) -> &'static str {
        match self {
            SigninResult::Ok => "ok",
            SigninResult::WrongPassword => "wrong_password",
            SigninResult::Banned => "banned",
            SigninResult::Locked => "locked",
            SigninResult::SecondFactorFailed => "second_factor_failed",
        }
    }
}

/// The `backend` label of a sign-in: the configured `[login] backend`.
pub fn backend_label(backend: LoginBackend) -> &'static str {
    match backend {
        LoginBackend::Local => "local",
        LoginBackend::Plex => "plex",
    }
}

/// Every metric family of the process.
struct Families {
    registry: Registry,
    requests: IntCounterVec,
    upstream_duration: HistogramVec,
    upstream_failures: IntCounterVec,
    upstream_retries: IntCounterVec,
    connections: IntGauge,
    sessions: IntGauge,
    bans: IntGauge,
    signins: IntCounterVec,
    sso_fetches: IntCounterVec,
    config_reloads: IntCounterVec,
    certificate_expiry: GaugeVec,
}

impl Families {
    fn new() -> Result<Families, prometheus::Error> {
        let registry = Registry::new();
        let counters = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(vec.clone()))?;
            Ok::<_, prometheus::Error>(vec)
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok::<_, prometheus::Error>(g)
        };
        let requests = counters(
            "gatehouse_requests_total",
            "Requests answered, by route, status class and auth decision.",
            &["route", "status_class", "decision"],
        )?;
        let upstream_duration = HistogramVec::new(
            HistogramOpts::new(
                "gatehouse_upstream_duration_seconds",
                "Time from the first upstream attempt to the upstream's response header, by route.",
            )
            .buckets(UPSTREAM_BUCKETS.to_vec()),
            &["route"],
        )?;
        registry.register(Box::new(upstream_duration.clone()))?;
        let upstream_failures = counters(
            "gatehouse_upstream_failures_total",
            "Failed upstream attempts, by route and kind of failure.",
            &["route", "kind"],
        )?;
        let upstream_retries = counters(
            "gatehouse_upstream_retries_total",
            "Upstream attempts made again after a failure (next upstream or a fresh connection), by route.",
            &["route"],
        )?;
        let connections = gauge(
            "gatehouse_downstream_connections",
            "Client connections open on the public listeners.",
        )?;
        let sessions = gauge("gatehouse_sessions", "Live sign-in sessions.")?;
        let bans = gauge(
            "gatehouse_bans",
            "Sign-in bans in force (user names and client addresses).",
        )?;
        let signins = counters(
            "gatehouse_signins_total",
            "Sign-in attempts, by login backend and result.",
            &["backend", "result"],
        )?;
        for backend in [LoginBackend::Local, LoginBackend::Plex] {
            for result in SigninResult::ALL {
                signins.with_label_values(&[backend_label(backend), result.label()]);
            }
        }
        let sso_fetches = counters(
            "gatehouse_sso_fetches_total",
            "SSO token fetches at sign-in, by service and result.",
            &["service", "result"],
        )?;
        let config_reloads = counters(
            "gatehouse_config_reloads_total",
            "Configuration reloads, by result.",
            &["result"],
        )?;
        for result in ["ok", "failed"] {
            config_reloads.with_label_values(&[result]);
        }
        let certificate_expiry = GaugeVec::new(
            Opts::new(
                "gatehouse_certificate_expiry_seconds",
                "Seconds until the certificate served for a host name expires (negative once expired).",
            ),
            &["host"],
        )?;
        registry.register(Box::new(certificate_expiry.clone()))?;
        Ok(Families {
            registry,
            requests,
            upstream_duration,
            upstream_failures,
            upstream_retries,
            connections,
            sessions,
            bans,
            signins,
            sso_fetches,
            config_reloads,
            certificate_expiry,
        })
    }
}

/// The process's families; `None` only if registering them failed (it
/// cannot with these fixed names; the unit tests check it), in which case
/// every hook does nothing.
fn families() -> Option<&'static Families> {
    static FAMILIES: OnceLock<Option<Families>> = OnceLock::new();
    FAMILIES
        .get_or_init(|| match Families::new() {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(error = %e, "metrics not registered");
                None
            }
        })
        .as_ref()
}

/// The handles of one route, resolved once when its config is loaded.
pub struct RouteMetrics {
    handles: Option<RouteHandles>,
}

impl std::fmt::Debug for RouteMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteMetrics")
            .field("route", &self.handles.as_ref().map(|h| h.route.as_str()))
            .finish()
    }
}

struct RouteHandles {
    route: String,
    /// `[status class][decision]`, each resolved on its first request.
    requests: [[OnceLock<IntCounter>; Decision::ALL.len()]; STATUS_CLASSES.len()],
    /// `None` for [`unrouted`] requests, which never reach an upstream.
    upstream: Option<UpstreamHandles>,
}

struct UpstreamHandles {
    duration: Histogram,
    /// Indexed like [`FailureKind::ALL`].
    failures: [IntCounter; FailureKind::ALL.len()],
    retries: IntCounter,
}

impl RouteMetrics {
    /// The handles of the route named `route` (its configured name).
    pub fn new(route: &str) -> RouteMetrics {
        RouteMetrics::build(route, true)
    }

    fn build(route: &str, upstream: bool) -> RouteMetrics {
        let handles = families().map(|f| RouteHandles {
            route: route.to_owned(),
            requests: std::array::from_fn(|_| std::array::from_fn(|_| OnceLock::new())),
            upstream: upstream.then(|| UpstreamHandles {
                duration: f.upstream_duration.with_label_values(&[route]),
                failures: FailureKind::ALL
                    .map(|k| f.upstream_failures.with_label_values(&[route, k.label()])),
                retries: f.upstream_retries.with_label_values(&[route]),
            }),
        });
        RouteMetrics { handles }
    }

    fn upstream(&self) -> Option<&UpstreamHandles> {
        self.handles.as_ref()?.upstream.as_ref()
    }

    /// Counts a finished request with the status sent (0: none) and its
    /// auth decision. After the first request of a status class and
    /// decision, an atomic add.
    pub fn request(&self, status: u16, decision: Decision) {
        let (Some(h), Some(f)) = (&self.handles, families()) else {
            return;
        };
        let class = status_class(status);
        let cell = &h.requests[class][decision as usize];
        cell.get_or_init(|| {
            f.requests
                .with_label_values(&[&h.route, STATUS_CLASSES[class], decision.label()])
        })
        .inc();
    }

    /// Records the upstream's response time.
    pub fn upstream_duration(&self, took: Duration) {
        if let Some(u) = self.upstream() {
            u.duration.observe(took.as_secs_f64());
        }
    }

    /// Counts a failed upstream attempt.
    pub fn upstream_failure(&self, kind: FailureKind) {
        if let Some(u) = self.upstream() {
            u.failures[kind as usize].inc();
        }
    }

    /// Counts an attempt made again after a failure.
    pub fn upstream_retry(&self) {
        if let Some(u) = self.upstream() {
            u.retries.inc();
        }
    }
}

/// The handles for requests no route took (the portal, redirects, 404):
/// `route="-"`, as in the access log.
pub fn unrouted() -> &'static RouteMetrics {
    static UNROUTED: OnceLock<RouteMetrics> = OnceLock::new();
    UNROUTED.get_or_init(|| RouteMetrics::build("-", false))
}

/// Index into [`STATUS_CLASSES`].
fn status_class(status: u16) -> usize {
    match status {
        100..=599 => usize::from(status / 100 - 1),
        _ => STATUS_CLASSES.len() - 1,
    }
}

/// One open client connection; the gauge goes down when it is dropped.
#[derive(Debug)]
pub struct OpenConnection(());

/// Counts a client connection as open until the returned value is dropped.
pub fn connection_opened() -> OpenConnection {
    if let Some(f) = families() {
        f.connections.inc();
    }
    OpenConnection(())
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        if let Some(f) = families() {
            f.connections.dec();
        }
    }
}

/// Counts a sign-in attempt.
pub fn signin(backend: LoginBackend, result: SigninResult) {
    if let Some(f) = families() {
        f.signins
            .with_label_values(&[backend_label(backend), result.label()])
            .inc();
    }
}

/// Counts one SSO token fetch. `service` as the fetch reports it (`plex`,
/// `ombi`, `tautulli <url>`: the label keeps only the service kind, so no
/// URL reaches it); `status` `ok`, `skipped`, `timeout` or another failure.
pub fn sso_fetch(service: &str, status: &str) {
    let kind = service.split(' ').next().unwrap_or_default();
    let service = if matches!(kind, "plex" | "ombi" | "tautulli") {
        kind
    } else {
        "other"
    };
    let result = match status {
        "ok" | "skipped" | "timeout" => status,
        _ => "failed",
    };
    if let Some(f) = families() {
        f.sso_fetches.with_label_values(&[service, result]).inc();
    }
}

/// Counts a configuration reload (`ok`: the new configuration is in
/// service; otherwise it was refused and the old one stays).
pub fn config_reload(ok: bool) {
    if let Some(f) = families() {
        let result = if ok { "ok" } else { "failed" };
        f.config_reloads.with_label_values(&[result]).inc();
    }
}

/// State read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Live sessions.
    pub sessions: usize,
    /// Bans in force.
    pub bans: usize,
}

/// Sets the state gauges and the certificate expiry of every served host
/// name (`(host, seconds left)`; names no longer served disappear).
pub fn set_state<'a>(gauges: Gauges, certificates: impl IntoIterator<Item = (&'a str, f64)>) {
    let Some(f) = families() else {
        return;
    };
    let int = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    f.sessions.set(int(gauges.sessions));
    f.bans.set(int(gauges.bans));
    f.certificate_expiry.reset();
    for (host, left) in certificates {
        f.certificate_expiry.with_label_values(&[host]).set(left);
    }
}

/// Every metric in Prometheus's text format (version 0.0.4).
pub fn encode() -> String {
    let mut out = String::new();
    if let Some(f) = families() {
        if let Err(e) = TextEncoder::new().encode_utf8(&f.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics not encoded");
        }
    }
    out
}

/// The `Content-Type` of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample line `name{labels}` in `text` (labels in
    /// the encoder's order), 0 when absent.
    fn sample(text: &str, series: &str) -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0.0)
    }

    #[test]
    fn test_families_register() {
        assert!(families().is_some());
        let text = encode();
        for name in [
            "gatehouse_signins_total",
            "gatehouse_config_reloads_total",
            "gatehouse_sessions",
            "gatehouse_bans",
            "gatehouse_downstream_connections",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} in {text}"
            );
        }
        assert!(text.contains("gatehouse_config_reloads_total{result=\"failed\"}"));
        assert!(text.contains("gatehouse_signins_total{backend=\"plex\",result=\"locked\"}"));
    }

    /// The names of every registered family.
    fn family_names() -> Vec<String> {
        use prometheus::core::Collector;
        let f = families().unwrap();
        let collectors: [&dyn Collector; 11] = [
            &f.requests,
            &f.upstream_duration,
            &f.upstream_failures,
            &f.upstream_retries,
            &f.connections,
            &f.sessions,
            &f.bans,
            &f.signins,
            &f.sso_fetches,
            &f.config_reloads,
            &f.certificate_expiry,
        ];
        collectors
            .iter()
            .flat_map(|c| c.desc())
            .map(|d| d.fq_name.clone())
            .collect()
    }

    /// Every `gatehouse_…` word of `text`.
    fn mentioned(text: &str) -> Vec<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("gatehouse_") && w.len() > "gatehouse_".len())
            .collect()
    }

    #[test]
    fn test_dashboard_and_docs_use_the_real_names() {
        let names = family_names();
        assert_eq!(names.len(), 11);
        let dashboard = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/contrib/grafana/gatehouse.json"
        ));
        let docs = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/operations.md"));
        for word in mentioned(dashboard).into_iter().chain(mentioned(docs)) {
            let base = ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|s| word.strip_suffix(s))
                .filter(|b| names.iter().any(|n| n == b))
                .unwrap_or(word);
            assert!(names.iter().any(|n| n == base), "unknown metric {word}");
        }
        for name in &names {
            assert!(docs.contains(&format!("`{name}`")), "{name} not documented");
            assert!(
                dashboard.contains(name.as_str()),
                "{name} not on the dashboard"
            );
        }
    }

    #[test]
    fn test_status_classes() {
        assert_eq!(STATUS_CLASSES[status_class(101)], "1xx");
        assert_eq!(STATUS_CLASSES[status_class(200)], "2xx");
        assert_eq!(STATUS_CLASSES[status_class(308)], "3xx");
        assert_eq!(STATUS_CLASSES[status_class(499)], "4xx");
        assert_eq!(STATUS_CLASSES[status_class(599)], "5xx");
        assert_eq!(STATUS_CLASSES[status_class(0)], "none");
        assert_eq!(STATUS_CLASSES[status_class(600)], "none");
    }

    #[test]
    fn test_route_counters_move_exactly() {
        let m = RouteMetrics::new("unit-route");
        let series = "gatehouse_requests_total{decision=\"allow\",route=\"unit-route\",status_class=\"2xx\"}";
        let denied = "gatehouse_requests_total{decision=\"unauthorized\",route=\"unit-route\",status_class=\"4xx\"}";
        assert_eq!(sample(&encode(), series), 0.0);
        for _ in 0..3 {
            m.request(200, Decision::Allow);
        }
        m.request(204, Decision::Allow);
        m.request(401, Decision::Unauthorized);
        let text = encode();
        assert_eq!(sample(&text, series), 4.0);
        assert_eq!(sample(&text, denied), 1.0);
        // A config loaded again resolves new handles onto the same series.
        let again = RouteMetrics::new("unit-route");
        again.request(200, Decision::Allow);
        assert_eq!(sample(&encode(), series), 5.0);
    }

    #[test]
    fn test_upstream_failures_retries_and_histogram() {
        let m = RouteMetrics::new("unit-upstream");
        m.upstream_failure(FailureKind::Connect);
        m.upstream_failure(FailureKind::Connect);
        m.upstream_failure(FailureKind::Status);
        m.upstream_retry();
        m.upstream_duration(Duration::from_millis(30));
        let text = encode();
        let f = |kind: &str| {
            sample(
                &text,
                &format!(
                    "gatehouse_upstream_failures_total{{kind=\"{kind}\",route=\"unit-upstream\"}}"
                ),
            )
        };
        assert_eq!(f("connect"), 2.0);
        assert_eq!(f("status"), 1.0);
        assert_eq!(f("timeout"), 0.0);
        assert!(text.contains(
            "gatehouse_upstream_failures_total{kind=\"timeout\",route=\"unit-upstream\"} 0"
        ));
        assert_eq!(
            sample(
                &text,
                "gatehouse_upstream_retries_total{route=\"unit-upstream\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(
                &text,
                "gatehouse_upstream_duration_seconds_count{route=\"unit-upstream\"}"
            ),
            1.0
        );
        assert_eq!(
            sample(
                &text,
                "gatehouse_upstream_duration_seconds_bucket{route=\"unit-upstream\",le=\"0.05\"}"
            ),
            1.0
        );
    }

    #[test]
    fn test_unrouted_has_no_upstream_series() {
        let m = unrouted();
        m.request(404, Decision::None);
        m.upstream_failure(FailureKind::Connect);
        let text = encode();
        assert!(
            sample(
                &text,
                "gatehouse_requests_total{decision=\"none\",route=\"-\",status_class=\"4xx\"}"
            ) >= 1.0
        );
        assert!(!text.contains("gatehouse_upstream_failures_total{kind=\"connect\",route=\"-\"}"));
        assert!(!text.contains("gatehouse_upstream_retries_total{route=\"-\"}"));
    }

    #[test]
    fn test_sso_labels_never_carry_a_url() {
        sso_fetch("tautulli http://user:secret@10.0.0.5:8181/", "401");
        sso_fetch("ombi", "timeout");
        sso_fetch("plex", "ok");
        sso_fetch("something else", "ok");
        let text = encode();
        assert!(!text.contains("secret"));
        assert!(!text.contains("10.0.0.5"));
        assert!(
            sample(
                &text,
                "gatehouse_sso_fetches_total{result=\"failed\",service=\"tautulli\"}"
            ) >= 1.0
        );
        assert!(
            sample(
                &text,
                "gatehouse_sso_fetches_total{result=\"timeout\",service=\"ombi\"}"
            ) >= 1.0
        );
        assert!(
            sample(
                &text,
                "gatehouse_sso_fetches_total{result=\"ok\",service=\"other\"}"
            ) >= 1.0
        );
    }

    #[test]
    fn test_state_gauges_and_certificates() {
        set_state(
            Gauges {
                sessions: 3,
                bans: 1,
            },
            [("a.example.com", 86_400.0), ("b.example.com", -5.0)],
        );
        let text = encode();
        assert_eq!(sample(&text, "gatehouse_sessions"), 3.0);
        assert_eq!(sample(&text, "gatehouse_bans"), 1.0);
        assert_eq!(
            sample(
                &text,
                "gatehouse_certificate_expiry_seconds{host=\"a.example.com\"}"
            ),
            86_400.0
        );
        set_state(Gauges::default(), [("a.example.com", 10.0)]);
        let text = encode();
        assert!(
            !text.contains("b.example.com"),
            "a host no longer served is dropped"
        );
    }

    #[test]
    fn test_connection_gauge_follows_guards() {
        let before = sample(&encode(), "gatehouse_downstream_connections");
        let a = connection_opened();
        let b = connection_opened();
        // Other tests never open connections: the gauge is this test's.
        assert_eq!(
            sample(&encode(), "gatehouse_downstream_connections"),
            before + 2.0
        );
        drop(a);
        drop(b);
        assert_eq!(
            sample(&encode(), "gatehouse_downstream_connections"),
            before
        );
    }

    #[test]
    fn test_config_reload_counts() {
        let series = |r: &str| format!("gatehouse_config_reloads_total{{result=\"{r}\"}}");
        let (ok0, failed0) = (
            sample(&encode(), &series("ok")),
            sample(&encode(), &series("failed")),
        );
        config_reload(true);
        config_reload(false);
        config_reload(false);
        let text = encode();
        assert_eq!(sample(&text, &series("ok")), ok0 + 1.0);
        assert_eq!(sample(&text, &series("failed")), failed0 + 2.0);
    }
}
