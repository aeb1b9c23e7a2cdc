//! `api`: the gateway alone (GraphQL, REST twins, GraphiQL, health and metrics), for deployments whose workers and
//! scheduler run as processes of their own. It reads the same settings as every binary; the admin mutations enqueue
//! jobs for the workers, and subscriptions hear the events any worker publishes (with `STREAMLENS_PUBSUB` on Redis).
//! Runs until SIGTERM or ctrl-c, then finishes the requests in flight.

use std::process::ExitCode;

use anyhow::Context as _;
use streamlens_api::{gateway, serve};
use streamlens_jobs::runtime::{Runtime, configure};
use streamlens_jobs::shutdown;

/// GraphQL execution allocates and frees thousands of small values a request (a boxed future a field, a map an
/// object): mimalloc serves them in about two thirds of the time glibc's allocator takes (`docs/BENCHMARKS.md`, the
/// gateway).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match configure("api") {
        Ok(config) => config,
        Err(code) => return code,
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "api stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: streamlens_domain::config::Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let runtime = Runtime::start(config).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen} (STREAMLENS_LISTEN)"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let app = gateway(&runtime).await?;
    tracing::info!("gateway up on http://{address}/ (GraphQL at /graphql)");
    serve(listener, app, shutdown::signal()).await.context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}
