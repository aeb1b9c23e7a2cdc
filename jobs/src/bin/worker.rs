//! `worker`: runs a worker per job type until SIGTERM or ctrl-c, then lets running jobs finish (jobs it could not
//! finish run again on another worker once its heartbeats stop).

use std::process::ExitCode;

use streamlens_jobs::runtime::{Runtime, configure};
use streamlens_jobs::shutdown;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match configure("worker") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = async {
        let runtime = Runtime::start(config).await?;
        let sources = runtime.start_sources().await?;
        runtime.run_workers(sources, shutdown::signal()).await?;
        anyhow::Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!("worker stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "worker failed");
            ExitCode::FAILURE
        }
    }
}
