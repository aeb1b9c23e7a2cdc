//! The job types, one file each, and [`register_all`], the one place they are registered.
//!
//! A job is a serde struct named as an imperative, with its queue name, retry bound and idempotency key beside it
//! ([`Job`]). Delivery is at least once, so every job is safe to run twice.
//!
//! | job | queue | runs at most | idempotency key |
//! |---|---|---|---|
//! | [`PullSource`] | `pull-source` | 3 | `pull:{source}:{tick}` (scheduled), `pull:{source}:{from}:{to}` (backfill) |
//! | [`StartSeries`] | `start-series` | 5 | `start:{source}:{slot}:{pull}` |
//! | [`RunPipeline`] | `run-pipeline` | 4 | `run:{series}:{run}` |
//! | [`RollUp`] | `roll-up` | 4 | `rollup:{source}:{period}:{bucket}` (runs when the bucket ends) |

pub mod pull_source;
pub mod roll_up;
pub mod run_pipeline;
pub mod start_series;

use std::future::Future;
use std::sync::Arc;

pub use pull_source::PullSource;
pub use roll_up::RollUp;
pub use run_pipeline::RunPipeline;
pub use start_series::StartSeries;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use streamlens_domain::ids::SeriesId;
use streamlens_domain::storage::Storage;

use crate::ingest::IngestError;
use crate::ingest::pages::PageCache;
use crate::notify::Notifier;
use crate::pipeline::PipelineContext;
use crate::pipeline::locks::Locks;
use crate::queue::Queue;
use crate::queue::worker::Registrar;
use crate::sources::registry::Sources;

/// What every job can reach.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The blob and metadata stores.
    pub storage: Storage,
    /// The queue, for follow-up jobs.
    pub queue: Queue,
    /// The configured sources and their clients.
    pub sources: Arc<Sources>,
    /// Raw pages read and indexed, shared by the StartSeries jobs of a pull.
    pub pages: PageCache,
    /// What the pipeline reaches (the same stores and queue, with its caches, locks and notifier).
    pub pipeline: PipelineContext,
}

impl JobContext {
    /// A context for jobs on `storage` and `queue`.
    pub fn new(storage: Storage, queue: Queue, sources: Arc<Sources>, locks: Locks, notifier: Notifier) -> Self {
        let pipeline = PipelineContext::new(storage.clone(), queue.clone(), Arc::clone(&sources), locks, notifier);
        Self {
            pages: pipeline.pages.clone(),
            storage,
            queue,
            sources,
            pipeline,
        }
    }
}

/// How a job failed: worth retrying, or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Trying again later may work (a source or store that is down): retried until the job's bound.
    #[error("{0}")]
    Retry(String),
    /// Trying again will not help (an unknown source, refused credentials): dead-lettered at once.
    #[error("{0}")]
    Abort(String),
}

impl From<IngestError> for JobError {
    fn from(error: IngestError) -> Self {
        if error.is_retryable() {
            Self::Retry(error.to_string())
        } else {
            Self::Abort(error.to_string())
        }
    }
}

impl From<crate::queue::QueueError> for JobError {
    fn from(error: crate::queue::QueueError) -> Self {
        Self::Retry(error.to_string())
    }
}

/// A job type.
pub trait Job: Serialize + DeserializeOwned + Clone + Send + Sync + Unpin + 'static {
    /// Its queue's name (stored data: never rename).
    const QUEUE: &'static str;
    /// Runs at most, the first included; after the last failure the job is dead with its error.
    const MAX_ATTEMPTS: usize;

    /// A key that makes a second push of the same work a no-op within the idempotency window.
    fn idempotency_key(&self) -> Option<String>;

    /// The series the job works on, for its log span.
    fn series_id(&self) -> Option<SeriesId> {
        None
    }

    /// When the job may run at the earliest (`None`: at once).
    fn not_before(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Does the work; `attempt` counts from 1 (`MAX_ATTEMPTS` is the last).
    fn run(self, ctx: &JobContext, attempt: usize) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// Registers a worker for every job type.
pub fn register_all(registrar: Registrar) -> Registrar {
    registrar
        .add::<PullSource>()
        .add::<StartSeries>()
        .add::<RunPipeline>()
        .add::<RollUp>()
}
