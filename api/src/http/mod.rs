//! The HTTP router.
//!
//! - [`health`]: liveness (`/healthz`) and readiness (`/readyz`) for load balancers and orchestrators.

pub mod health;

use axum::Router;
use axum::routing::get;

use crate::App;

/// Every route, with the shared state.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(app)
}
