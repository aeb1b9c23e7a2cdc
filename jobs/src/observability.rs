//! The metrics registry: counters, histograms and gauges of background work, rendered in the Prometheus text format.
//!
//! Code records through the `metrics` facade (`metrics::counter!` and friends) wherever the work happens; [`install`]
//! sets up the process-wide Prometheus recorder once, and its [`PrometheusHandle`] renders what was recorded (the
//! gateway serves it at `/metrics`). Queue depths are read from the queue itself ([`record_queue_depths`]) when
//! rendered, so any process sees the depth of the whole deployment.
//!
//! | metric | kind | labels | what |
//! |---|---|---|---|
//! | `streamlens_jobs_total` | counter | `job`, `outcome` (`done`, `retry`, `dead`) | jobs run |
//! | `streamlens_job_duration_seconds` | histogram | `job` | how long each job ran |
//! | `streamlens_series_processed_total` | counter | `source`, `outcome` (`ready`, `failed`) | series runs finished |
//! | `streamlens_step_duration_seconds` | histogram | `step` | how long each pipeline step ran |
//! | `streamlens_step_failures_total` | counter | `step` | pipeline steps that failed |
//! | `streamlens_queue_jobs` | gauge | `queue`, `state` (`waiting`, `running`, `done`, `dead`) | jobs in the queue |

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::jobs::{Job, PullSource, RollUp, RunPipeline, StartSeries};
use crate::queue::{Depth, Queue, QueueError};

/// Jobs run, by job and outcome.
pub const JOBS: &str = "streamlens_jobs_total";
/// Job durations, by job.
pub const JOB_DURATION: &str = "streamlens_job_duration_seconds";
/// Series runs finished, by source and outcome.
pub const SERIES_PROCESSED: &str = "streamlens_series_processed_total";
/// Step durations, by step.
pub const STEP_DURATION: &str = "streamlens_step_duration_seconds";
/// Step failures, by step.
pub const STEP_FAILURES: &str = "streamlens_step_failures_total";
/// Jobs in the queue, by queue and state.
pub const QUEUE_JOBS: &str = "streamlens_queue_jobs";

/// Histogram buckets, in seconds: from 1 ms to 5 minutes.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's registry: installed as the global `metrics` recorder on first use.
///
/// When another recorder was installed first (a test harness), a detached registry is returned: it renders no
/// values, and nothing fails.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::debug!("a metrics recorder was installed before: this registry stays empty");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(JOBS, "Jobs run, by job and outcome (done, retry, dead).");
    metrics::describe_histogram!(JOB_DURATION, metrics::Unit::Seconds, "How long each job ran.");
    metrics::describe_counter!(
        SERIES_PROCESSED,
        "Series runs finished, by source and outcome (ready, failed)."
    );
    metrics::describe_histogram!(
        STEP_DURATION,
        metrics::Unit::Seconds,
        "How long each pipeline step ran."
    );
    metrics::describe_counter!(STEP_FAILURES, "Pipeline steps that failed, by step.");
    metrics::describe_gauge!(QUEUE_JOBS, "Jobs in the queue, by queue and state.");
}

fn gauge_depth(name: &'static str, depth: Depth) {
    for (state, value) in [
        ("waiting", depth.waiting),
        ("running", depth.running),
        ("done", depth.done),
        ("dead", depth.dead),
    ] {
        metrics::gauge!(QUEUE_JOBS, "queue" => name, "state" => state).set(value as f64);
    }
}

async fn record<J: Job>(queue: &Queue) -> Result<(), QueueError> {
    let depth = queue.depth::<J>().await?;
    gauge_depth(J::QUEUE, depth);
    Ok(())
}

/// Reads the depth of every queue into the `streamlens_queue_jobs` gauges.
pub async fn record_queue_depths(queue: &Queue) -> Result<(), QueueError> {
    record::<PullSource>(queue).await?;
    record::<StartSeries>(queue).await?;
    record::<RunPipeline>(queue).await?;
    record::<RollUp>(queue).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_renders_what_was_recorded() {
        let handle = install();
        metrics::counter!(JOBS, "job" => "probe", "outcome" => "done").increment(2);
        metrics::histogram!(STEP_DURATION, "step" => "probe").record(0.003);
        let text = handle.render();
        assert!(
            text.contains("streamlens_jobs_total{job=\"probe\",outcome=\"done\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("streamlens_step_duration_seconds_bucket{step=\"probe\",le=\"0.005\"} 1"),
            "{text}"
        );
    }
}
