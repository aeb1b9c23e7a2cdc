//! Liveness and readiness.
//!
//! `/healthz` answers as long as the process serves HTTP. `/readyz` also checks that the stores and the queue answer,
//! each within two seconds, so a load balancer stops sending traffic to a replica that cannot reach its data. Failures are
//! logged with their cause; the response only names the failing check.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::App;

/// How long one readiness check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The body of both endpoints.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`, `ready` or `unavailable`.
    pub status: &'static str,
    /// Each check by name: `ok` or `failing` (readiness only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
}

/// One readiness check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked: `meta`, `blobs` or `queue`.
    pub name: &'static str,
    /// The adapter behind it (`sqlite`, `s3`, …).
    pub adapter: &'static str,
    /// `ok` or `failing`.
    pub status: &'static str,
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        checks: Vec::new(),
    })
}

async fn run<E: std::fmt::Display>(
    name: &'static str,
    adapter: &'static str,
    check: impl Future<Output = Result<(), E>>,
) -> Check {
    let status = match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => "ok",
        Ok(Err(error)) => {
            tracing::warn!(check = name, adapter, %error, "readiness check failed");
            "failing"
        }
        Err(_) => {
            tracing::warn!(
                check = name,
                adapter,
                timeout_ms = CHECK_TIMEOUT.as_millis() as u64,
                "readiness check timed out"
            );
            "failing"
        }
    };
    Check { name, adapter, status }
}

/// `GET /readyz`: the stores and the queue answer. 503 when any check fails.
pub async fn readyz(State(app): State<Arc<App>>) -> (StatusCode, Json<Health>) {
    let (meta, blobs, queue) = tokio::join!(
        run("meta", app.storage.meta.adapter(), app.storage.meta.check()),
        run("blobs", app.storage.blobs.adapter(), app.storage.blobs.check()),
        run("queue", app.queue.backend(), app.queue.check()),
    );
    let checks = vec![meta, blobs, queue];
    let ready = checks.iter().all(|c| c.status == "ok");
    let (code, status) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    (code, Json(Health { status, checks }))
}
