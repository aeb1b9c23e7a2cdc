//! Queue and pull metrics as CloudWatch embedded-metric-format (EMF) log lines.
//!
//! With `STREAMLENS_CLOUDWATCH_NAMESPACE` set, each worker process writes one JSON line a minute to standard output;
//! CloudWatch Logs turns it into metrics of that namespace (no dimensions, no SDK call, no extra permission), which
//! the deployment's alarms and the workers' target-tracking autoscaling read:
//!
//! | metric | unit | what |
//! |---|---|---|
//! | `QueueBacklog` | Count | jobs waiting or running, over every queue |
//! | `BacklogPerTask` | Count | that backlog divided by the live worker processes (the scaling target) |
//! | `OldestJobAgeSeconds` | Seconds | how long the oldest waiting job has waited (Redis queue only) |
//! | `DeadJobs` | Count | dead-lettered jobs, over every queue |
//! | `PullFailures` | Count | pulls of this process that failed since its previous line |
//!
//! Every worker process writes the same queue-wide figures; CloudWatch averages them, which leaves them unchanged.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::jobs::{Job, PullSource, RollUp, RunPipeline, StartSeries};
use crate::queue::{Queue, QueueError};

/// How often a line is written.
pub const INTERVAL: Duration = Duration::from_secs(60);

static PULL_FAILURES: AtomicU64 = AtomicU64::new(0);

/// Counts a failed pull (a `PullSource` job that will be retried or was dead-lettered).
pub fn record_pull_failure() {
    PULL_FAILURES.fetch_add(1, Ordering::Relaxed);
}

/// The figures of one line.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// Jobs waiting or running.
    pub backlog: u64,
    /// Live worker processes (at least one: the one writing).
    pub workers: u64,
    /// Age of the oldest waiting job, when known.
    pub oldest_waiting: Option<Duration>,
    /// Dead-lettered jobs.
    pub dead: u64,
    /// Failed pulls since the previous line.
    pub pull_failures: u64,
}

async fn add<J: Job>(queue: &Queue, figures: &mut Figures) -> Result<(), QueueError> {
    let depth = queue.depth::<J>().await?;
    let workload = queue.workload::<J>().await?;
    figures.backlog += depth.backlog();
    figures.dead += depth.dead;
    figures.workers = figures.workers.max(workload.workers);
    figures.oldest_waiting = figures.oldest_waiting.max(workload.oldest_waiting);
    Ok(())
}

/// Reads the queue-wide figures, and takes this process's pull failures since the last call.
pub async fn read(queue: &Queue) -> Result<Figures, QueueError> {
    let mut figures = Figures::default();
    add::<PullSource>(queue, &mut figures).await?;
    add::<StartSeries>(queue, &mut figures).await?;
    add::<RunPipeline>(queue, &mut figures).await?;
    add::<RollUp>(queue, &mut figures).await?;
    figures.workers = figures.workers.max(1);
    figures.pull_failures = PULL_FAILURES.swap(0, Ordering::Relaxed);
    Ok(figures)
}

/// The EMF line for `figures` in `namespace`, stamped `at_ms` (milliseconds since the epoch).
pub fn line(namespace: &str, figures: &Figures, at_ms: i64) -> String {
    let mut metrics = vec![
        json!({"Name": "QueueBacklog", "Unit": "Count"}),
        json!({"Name": "BacklogPerTask", "Unit": "Count"}),
        json!({"Name": "DeadJobs", "Unit": "Count"}),
        json!({"Name": "PullFailures", "Unit": "Count"}),
    ];
    let mut document = json!({
        "QueueBacklog": figures.backlog,
        "BacklogPerTask": figures.backlog as f64 / figures.workers.max(1) as f64,
        "DeadJobs": figures.dead,
        "PullFailures": figures.pull_failures,
        "Workers": figures.workers,
    });
    if let Some(age) = figures.oldest_waiting {
        metrics.push(json!({"Name": "OldestJobAgeSeconds", "Unit": "Seconds"}));
        document["OldestJobAgeSeconds"] = json!(age.as_secs());
    }
    document["_aws"] = json!({
        "Timestamp": at_ms,
        "CloudWatchMetrics": [{
            "Namespace": namespace,
            "Dimensions": [[]],
            "Metrics": metrics,
        }],
    });
    document.to_string()
}

/// Writes a line every [`INTERVAL`] until the task is dropped; a queue that does not answer skips a line.
pub async fn report(queue: Queue, namespace: String) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        match read(&queue).await {
            Ok(figures) => {
                let text = line(&namespace, &figures, Utc::now().timestamp_millis());
                // A line of its own on standard output, which the log driver ships as one event.
                #[allow(clippy::print_stdout)]
                {
                    println!("{text}");
                }
            }
            Err(error) => tracing::warn!(%error, "queue metrics for CloudWatch not read this minute"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_an_emf_document_with_every_metric_it_declares() {
        let figures = Figures {
            backlog: 250,
            workers: 2,
            oldest_waiting: Some(Duration::from_secs(42)),
            dead: 3,
            pull_failures: 1,
        };
        let text = line("Streamlens/Prod", &figures, 1_790_000_000_000);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 1_790_000_000_000_i64);
        assert_eq!(directive["Namespace"], "Streamlens/Prod");
        assert_eq!(directive["Dimensions"], json!([[]]));
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "QueueBacklog",
                "BacklogPerTask",
                "DeadJobs",
                "PullFailures",
                "OldestJobAgeSeconds"
            ]
        );
        for name in names {
            assert!(doc[name].is_number(), "{name} has no value");
        }
        assert_eq!(doc["BacklogPerTask"], 125.0);
        assert_eq!(doc["OldestJobAgeSeconds"], 42);
        assert!(!text.contains('\n'));

        let idle = line("S", &Figures::default(), 0);
        let doc: serde_json::Value = serde_json::from_str(&idle).unwrap();
        assert_eq!(doc["BacklogPerTask"], 0.0);
        assert!(doc.get("OldestJobAgeSeconds").is_none());
    }
}
