//! The Streamlens gateway: the HTTP server every client talks to.
//!
//! # Layout
//!
//! - [`http`]: the router and its routes: [`http::health`] (`/healthz`, `/readyz`).
//! - [`App`]: the shared state handlers read (the stores, the queue), and [`serve`], which runs the router until
//!   shutdown.
//!
//! The `streamlens` binary (`src/main.rs`) runs the server, the workers, the scheduler and the built-in simulator in
//! one process.

pub mod http;

use std::future::Future;

use streamlens_domain::storage::Storage;
use streamlens_jobs::queue::Queue;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct App {
    /// The blob and metadata stores.
    pub storage: Storage,
    /// The job queue.
    pub queue: Queue,
}

/// Serves the router on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, http::router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
