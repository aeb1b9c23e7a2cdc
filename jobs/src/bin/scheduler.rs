//! `scheduler`: enqueues each source's pulls on its schedule, and runs the upkeep (reconciler, purges). Run as many
//! as you like: one leads (a Redis lock), the others stand by.

use std::process::ExitCode;

use streamlens_jobs::runtime::{Runtime, configure};
use streamlens_jobs::shutdown;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match configure("scheduler") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = async {
        let runtime = Runtime::start(config).await?;
        runtime.scheduler().run(shutdown::signal()).await?;
        anyhow::Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!("scheduler stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "scheduler failed");
            ExitCode::FAILURE
        }
    }
}
