//! The HTTP router.
//!
//! | path | what |
//! |---|---|
//! | `GET /` | GraphiQL ([`assets`]), its files under `/assets/graphiql/` |
//! | `GET, POST /graphql` | the GraphQL API; websocket upgrades for subscriptions ([`graphql`]) |
//! | `POST /api/v1/sources/{id}/pull`, `POST /api/v1/series/{id}/rerun` | REST twins of `pullNow` and `rerunSeries` ([`rest`]) |
//! | `GET /healthz`, `GET /readyz` | liveness and readiness ([`health`]) |
//! | `GET /metrics` | the Prometheus registry ([`metrics`]) |
//! | `GET /app/…` | the web dashboard, embedded from `web/dist` ([`webapp`]) |

pub mod assets;
pub mod graphql;
pub mod health;
pub mod layers;
pub mod metrics;
pub mod protocol;
pub mod rest;
pub mod webapp;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::App;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// A refused body up to this size is read and dropped before the answer, so that a client still writing it reads
/// the `413` instead of a reset connection; a larger one gets the answer and the connection is closed.
const MAX_DRAINED_BYTES: u64 = 64 << 20;

/// How long a refused body may take to drain.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Refuses bodies over [`MAX_BODY_BYTES`] (by their declared length; a streamed body is cut at the limit).
async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|n| *n > MAX_BODY_BYTES as u64) {
        if declared <= MAX_DRAINED_BYTES {
            let mut body = request.into_body().into_data_stream();
            let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
                while let Some(Ok(_)) = futures::StreamExt::next(&mut body).await {}
            })
            .await;
        }
        let mut response = graphql::too_large(MAX_BODY_BYTES);
        response
            .headers_mut()
            .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
        return response;
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES));
    next.run(Request::from_parts(parts, body)).await
}

/// Every route, with the shared state and the [`layers`]. GraphiQL only when the explorer is on.
///
/// Handlers and layers take the state as an `Arc`: axum clones it for each of them on every request, and one
/// reference count is far cheaper than the dozens an [`App`] holds (its caches, stores and queue).
pub fn router(app: App) -> Router {
    let app = Arc::new(app);
    let mut routes = Router::new();
    if app.http.config.explorer {
        routes = routes
            .route("/", get(assets::graphiql))
            .route("/assets/graphiql/{name}", get(assets::graphiql_asset));
    }
    let mut routes = routes
        .route("/graphql", get(graphql::get).post(graphql::http))
        .route("/api/v1/sources/{id}/pull", post(rest::pull))
        .route("/api/v1/series/{id}/rerun", post(rest::rerun))
        .route("/app", get(webapp::redirect))
        .route("/app/", get(webapp::index))
        .route("/app/{*path}", get(webapp::file))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn_with_state(app.clone(), layers::limit));
    if let Some(cors) = app.http.cors() {
        routes = routes.layer(cors);
    }
    routes
        .layer(middleware::from_fn_with_state(Arc::clone(&app), layers::log))
        .with_state(app)
}
