//! The layers every request goes through, outermost first: a structured log line per request, CORS (from
//! `STREAMLENS_CORS_ORIGINS`), the rate limit per caller, the request timeout, and the body cap ([`super::limit_body`]).
//!
//! A caller, for the rate limit, is the credential in the `Authorization` header (hashed), or the client address
//! when there is none: one user's tokens share nothing with another's, and anonymous clients are told apart by
//! address. Over the limit a request gets HTTP 429 with code `RATE_LIMITED` and a `Retry-After` header; over the
//! timeout, HTTP 408 with code `TIMEOUT`. Websocket subscriptions are limited when they connect, not per event.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use streamlens_domain::config::GatewayConfig;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::App;

/// Requests answered, by status class.
pub const HTTP_REQUESTS: &str = "streamlens_http_requests_total";

/// The gateway's HTTP settings, with the rate limiter's state.
pub struct HttpSettings {
    /// As configured.
    pub config: GatewayConfig,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    /// The request counter of each status class (1xx to 5xx), registered once: a `counter!` call looks its series up
    /// each time.
    requests: [metrics::Counter; 5],
}

impl std::fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSettings")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpSettings {
    /// The settings of `config`; a task drops the limiter's state of callers that went quiet.
    pub fn new(config: GatewayConfig) -> Arc<Self> {
        let limiter =
            NonZeroU32::new(config.rate_limit_per_minute).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)));
        let requests =
            ["1xx", "2xx", "3xx", "4xx", "5xx"].map(|class| metrics::counter!(HTTP_REQUESTS, "status" => class));
        let settings = Arc::new(Self {
            config,
            limiter,
            requests,
        });
        if settings.limiter.is_some() {
            let weak = Arc::downgrade(&settings);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    let Some(settings) = weak.upgrade() else { return };
                    if let Some(limiter) = &settings.limiter {
                        limiter.retain_recent();
                        limiter.shrink_to_fit();
                    }
                }
            });
        }
        settings
    }

    /// The CORS layer: none configured means no CORS headers (browsers then allow same-origin calls only).
    pub fn cors(&self) -> Option<CorsLayer> {
        let origins = &self.config.cors_origins;
        if origins.is_empty() {
            return None;
        }
        let allow = if origins.iter().any(|o| o == "*") {
            AllowOrigin::any()
        } else {
            AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        };
        Some(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
                .allow_headers(Any)
                .max_age(Duration::from_secs(3_600)),
        )
    }
}

fn coded(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, axum::Json(body)).into_response()
}

/// Who is calling, for the rate limit.
fn caller(request: &Request) -> String {
    if let Some(credential) = request.headers().get(header::AUTHORIZATION) {
        let digest = Sha256::digest(credential.as_bytes());
        return format!("credential:{}", hex::encode(&digest[..12]));
    }
    match request.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(address)) => format!("address:{}", address.ip()),
        None => "address:unknown".to_owned(),
    }
}

/// The rate limit, then the timeout.
pub async fn limit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let settings = &app.http;
    if let Some(limiter) = &settings.limiter
        && let Err(not_until) = limiter.check_key(&caller(&request))
    {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(limiter.clock()));
        let mut response = coded(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            &format!(
                "more than {} requests a minute; try again in {} s",
                settings.config.rate_limit_per_minute,
                wait.as_secs() + 1
            ),
        );
        if let Ok(value) = HeaderValue::from_str(&(wait.as_secs() + 1).to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let timeout = settings.config.request_timeout;
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => coded(
            StatusCode::REQUEST_TIMEOUT,
            "TIMEOUT",
            &format!("the request took longer than {} s", timeout.as_secs()),
        ),
    }
}

/// One log line per request: method, path, status and duration (JSON with `STREAMLENS_LOG_FORMAT=json`).
pub async fn log(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // A `Uri` shares its bytes: cloning it copies no text.
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1_000.0;
    let class = usize::from(status / 100).clamp(1, 5) - 1;
    app.http.requests[class].increment(1);
    if status >= 500 {
        tracing::warn!(target: "streamlens::http", %method, path = uri.path(), status, duration_ms, "request");
    } else {
        tracing::info!(target: "streamlens::http", %method, path = uri.path(), status, duration_ms, "request");
    }
    response
}
