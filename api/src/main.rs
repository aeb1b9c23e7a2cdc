//! `streamlens`: the all-in-one binary. Loads the configuration, opens the stores and serves HTTP until ctrl-c or
//! SIGTERM.

use std::process::ExitCode;

use anyhow::Context as _;
use streamlens_api::{App, serve};
use streamlens_domain::config::Config;
use streamlens_domain::storage::Storage;
use streamlens_domain::telemetry;
use streamlens_jobs::shutdown;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::load() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("streamlens: configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = telemetry::init(&config.log) {
        eprintln!("streamlens: {error}");
        return ExitCode::from(2);
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "streamlens stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let storage = Storage::open(&config.storage).await.context("opening the stores")?;
    tracing::info!(
        blobs = %config.storage.blobs,
        meta = %config.storage.meta,
        "stores open"
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {} (STREAMLENS_LISTEN)", config.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    tracing::info!("Streamlens is up: http://{address}/readyz");
    serve(listener, App { storage }, shutdown::signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}
