//! `backfill`: fill a past time range with series.
//!
//! ```sh
//! # Pull a range from a history source (any endpoint of the /v1/snapshots contract), a day at a time:
//! backfill pull --source archive --from 2026-11-20T00:00:00Z --to 2026-11-22T00:00:00Z
//! # Start the series of raw data already stored (after a bug fix, or a lost queue):
//! backfill replay --source simulator --from 2026-11-26T00:00:00Z --to 2026-11-26T12:00:00Z
//! ```
//!
//! Series are enqueued in chunks; the workers start them.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use streamlens_domain::ids::SourceId;
use streamlens_jobs::backfill::{self, Progress, Report};
use streamlens_jobs::runtime::{Runtime, configure};

/// Fill a past time range with series.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Pull a range from a history source and enqueue its series.
    Pull {
        /// The source (a `[[source]]` of kind `history`).
        #[arg(long)]
        source: String,
        /// Start of the range, RFC 3339.
        #[arg(long)]
        from: DateTime<Utc>,
        /// End of the range (exclusive), RFC 3339.
        #[arg(long)]
        to: DateTime<Utc>,
    },
    /// Enqueue the series of stored raw pulls in a range.
    Replay {
        /// The source.
        #[arg(long)]
        source: String,
        /// Start of the range, RFC 3339.
        #[arg(long)]
        from: DateTime<Utc>,
        /// End of the range (exclusive), RFC 3339.
        #[arg(long)]
        to: DateTime<Utc>,
    },
}

fn bar(total: u64, unit: &str) -> ProgressBar {
    let bar = if total > 0 {
        ProgressBar::new(total)
    } else {
        ProgressBar::new_spinner()
    };
    let template = if total > 0 {
        format!("{{elapsed_precise}} [{{bar:40}}] {{pos}}/{{len}} {unit} {{msg}}")
    } else {
        format!("{{elapsed_precise}} {{spinner}} {{pos}} {unit} {{msg}}")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn report(bar: &ProgressBar) -> impl FnMut(Progress) + '_ {
    move |p: Progress| {
        if p.total > 0 {
            bar.set_length(p.total);
        }
        bar.set_position(p.done);
        bar.set_message(format!("{} series enqueued", p.series));
    }
}

#[allow(clippy::print_stdout)]
fn summary(report: &Report) {
    println!(
        "{} pulls, {} failed, {} series enqueued",
        report.pulls, report.failed_pulls, report.series
    );
}

async fn run(args: Args, runtime: Runtime) -> anyhow::Result<Report> {
    match args.command {
        Command::Pull { source, from, to } => {
            let sources = runtime.start_sources().await?;
            let id = SourceId::parse(&source)?;
            let source = sources
                .get(&id)
                .ok_or_else(|| anyhow!("no source {source:?} is configured"))?;
            let days = ((to - from).num_seconds().max(0) as u64).div_ceil(86_400);
            let bar = bar(days, "days");
            let result = backfill::pull_range(&runtime.storage, &runtime.queue, &source, from, to, report(&bar)).await;
            bar.finish();
            Ok(result?)
        }
        Command::Replay { source, from, to } => {
            let id = SourceId::parse(&source)?;
            runtime
                .config
                .source(id.as_str())
                .ok_or_else(|| anyhow!("no source {source:?} is configured"))?;
            let bar = bar(0, "pulls");
            let result = backfill::replay(&runtime.storage, &runtime.queue, &id, from, to, report(&bar)).await;
            bar.finish();
            Ok(result?)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = match configure("backfill") {
        Ok(config) => config,
        Err(code) => return code,
    };
    let result = async {
        let runtime = Runtime::start(config).await.context("starting")?;
        run(args, runtime).await
    }
    .await;
    match result {
        Ok(report) => {
            summary(&report);
            if report.failed_pulls > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "backfill failed");
            ExitCode::FAILURE
        }
    }
}
