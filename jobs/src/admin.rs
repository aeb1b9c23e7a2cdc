//! What admins do to background work: re-run a series, list and requeue dead jobs, read queue depths.
//!
//! The gateway's admin mutations call these; so can any process holding the stores and the queue.

use serde::Serialize;
use streamlens_domain::ids::SeriesId;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{MetaError, keys};

use crate::jobs::{Job, PullSource, RollUp, RunPipeline, StartSeries};
use crate::pipeline::run::{RunId, RunTrigger};
use crate::queue::{DeadJob, Depth, Queue, QueueError};

/// Why an admin action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such series.
    #[error("no series {0}")]
    NoSeries(SeriesId),
    /// The metadata store failed.
    #[error("metadata store: {0}")]
    Meta(#[from] MetaError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Starts a new run of `series`' pipeline (every step again) and returns its id. Outputs and rollups come out
/// identical to the previous run's: each step recomputes from stored inputs and overwrites.
pub async fn rerun_series(storage: &Storage, queue: &Queue, series: &SeriesId) -> Result<RunId, AdminError> {
    if storage.meta.get(&keys::series(series)).await?.is_none() {
        return Err(AdminError::NoSeries(series.clone()));
    }
    let run_id = RunId::generate();
    queue
        .push(RunPipeline {
            series: series.clone(),
            run_id: run_id.clone(),
            trigger: RunTrigger::Rerun,
        })
        .await?;
    tracing::info!(series.id = %series, run.id = %run_id, "re-run enqueued");
    Ok(run_id)
}

/// One queue's depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueDepth {
    /// The queue (`pull-source`, `start-series`, `run-pipeline`, `roll-up`).
    pub queue: &'static str,
    /// Its jobs by state.
    pub depth: Depth,
}

/// The depth of every queue.
pub async fn queue_depths(queue: &Queue) -> Result<Vec<QueueDepth>, QueueError> {
    async fn one<J: Job>(queue: &Queue) -> Result<QueueDepth, QueueError> {
        Ok(QueueDepth {
            queue: J::QUEUE,
            depth: queue.depth::<J>().await?,
        })
    }
    Ok(vec![
        one::<PullSource>(queue).await?,
        one::<StartSeries>(queue).await?,
        one::<RunPipeline>(queue).await?,
        one::<RollUp>(queue).await?,
    ])
}

/// The dead-lettered jobs of every queue, with their errors.
pub async fn dead_jobs(queue: &Queue) -> Result<Vec<DeadJob>, QueueError> {
    let mut dead = queue.dead::<PullSource>().await?;
    dead.extend(queue.dead::<StartSeries>().await?);
    dead.extend(queue.dead::<RunPipeline>().await?);
    dead.extend(queue.dead::<RollUp>().await?);
    Ok(dead)
}

/// Puts every dead job back in its queue with a fresh attempt budget; returns how many, by queue.
pub async fn requeue_dead(queue: &Queue) -> Result<Vec<(&'static str, u64)>, QueueError> {
    Ok(vec![
        (PullSource::QUEUE, queue.requeue_dead::<PullSource>().await?),
        (StartSeries::QUEUE, queue.requeue_dead::<StartSeries>().await?),
        (RunPipeline::QUEUE, queue.requeue_dead::<RunPipeline>().await?),
        (RollUp::QUEUE, queue.requeue_dead::<RollUp>().await?),
    ])
}

/// Deletes the finished jobs of every queue (dead ones stay); returns how many.
pub async fn purge_done(queue: &Queue) -> Result<u64, QueueError> {
    Ok(queue.purge_done::<PullSource>().await?
        + queue.purge_done::<StartSeries>().await?
        + queue.purge_done::<RunPipeline>().await?
        + queue.purge_done::<RollUp>().await?)
}
