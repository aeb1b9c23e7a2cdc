//! `GET /metrics`: the process' metrics registry in the Prometheus text format (jobs, pipeline steps, queue depth,
//! HTTP requests).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

use crate::App;

/// Renders the registry, with the queue depths read now.
pub async fn metrics(State(app): State<Arc<App>>) -> impl IntoResponse {
    if let Err(error) = streamlens_jobs::observability::record_queue_depths(&app.queue).await {
        tracing::warn!(%error, "reading queue depths for /metrics failed");
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        app.metrics.render(),
    )
}
