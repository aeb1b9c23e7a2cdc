//! `streamlens`: the all-in-one binary. One process runs the HTTP server, the workers, the scheduler and (when no
//! source is configured) the built-in simulator, until ctrl-c or SIGTERM; then each part stops cleanly.

use std::process::ExitCode;

use anyhow::Context as _;
use streamlens_api::{gateway, serve};
use streamlens_jobs::runtime::{Runtime, configure};
use streamlens_jobs::shutdown;
use tokio_util::sync::CancellationToken;

/// GraphQL execution allocates and frees thousands of small values a request (a boxed future a field, a map an
/// object): mimalloc serves them in about two thirds of the time glibc's allocator takes (`docs/BENCHMARKS.md`, the
/// gateway).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match configure("streamlens") {
        Ok(config) => config,
        Err(code) => return code,
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "streamlens stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: streamlens_domain::config::Config) -> anyhow::Result<()> {
    let listen = config.listen;
    let runtime = Runtime::start(config).await?;
    let sources = runtime.start_sources().await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen} (STREAMLENS_LISTEN)"))?;
    let address = listener.local_addr().context("reading the bound address")?;

    let stop = CancellationToken::new();
    tokio::spawn({
        let stop = stop.clone();
        async move {
            shutdown::signal().await;
            stop.cancel();
        }
    });
    let workers = tokio::spawn({
        let (runtime, stop) = (runtime.clone(), stop.clone());
        async move { runtime.run_workers(sources, stop.cancelled_owned()).await }
    });
    let scheduler = tokio::spawn({
        let (scheduler, stop) = (runtime.scheduler(), stop.clone());
        async move { scheduler.run(stop.cancelled_owned()).await }
    });
    // Minutely sources are pulled once right away, so the first numbers do not wait for the next minute's tick.
    for source in runtime
        .config
        .sources
        .iter()
        .filter(|s| s.schedule == streamlens_domain::config::Schedule::Minutely)
    {
        if let Err(error) = streamlens_jobs::runtime::pull_now(&runtime.queue, source.id.clone()).await {
            tracing::warn!(source = %source.id, %error, "the first pull could not be enqueued; the schedule will pull");
        }
    }
    let sources: Vec<String> = runtime
        .config
        .sources
        .iter()
        .map(|s| format!("{} ({})", s.id, s.schedule))
        .collect();
    tracing::info!(sources = ?sources, "Streamlens is up: GraphiQL at http://{address}/");

    let app = gateway(&runtime).await?;
    let served = serve(listener, app, stop.clone().cancelled_owned()).await;
    // The server stops on the signal; make sure the others do too if it stopped for another reason.
    stop.cancel();
    served.context("serving HTTP")?;
    workers.await.context("workers task")?.context("workers")?;
    scheduler.await.context("scheduler task")?.context("scheduler")?;
    tracing::info!("stopped");
    Ok(())
}
