//! Workers: one apalis worker per job type, on whichever backend the queue uses, run until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use apalis::prelude::BackendExt as _;
use apalis::prelude::{
    AbortError, Attempt, Backend, BoxDynError, Data, Monitor, Task, WorkerBuilder, WorkerBuilderExt,
};
use apalis_codec::json::JsonCodec;
use apalis_core::backend::finalize::Durable;
use apalis_core::backend::persistence::TaskPersistLayer;
use apalis_core::backend::{BackendConfig, WireFormatBackend};
use serde_json::Value;
use tracing::Instrument as _;

use super::Queue;
use super::layers::{FixedInterval, MaxAttemptsLayer};
use crate::jobs::{Job, JobContext, JobError};
use crate::observability;

/// Longest a retry of a failed job waits before running (the SQLite backend retries at once).
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// How long a stopping worker lets its running jobs finish; the rest run again elsewhere once the worker's
/// heartbeats stop.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// Backends a job's worker can run on: both apalis storages (and their polling wrappers) store tasks as JSON bytes
/// with the same persistence layer, which is what these bounds pin down.
pub trait JobBackend<J>:
    Backend<Task = Task<Vec<u8>>>
    + BackendConfig<Args = J, Kind = Durable, Layer = TaskPersistLayer<JsonCodec<Value>, Value>>
    + WireFormatBackend<Codec = JsonCodec<Vec<u8>>, Compact = Vec<u8>>
    + Clone
    + Send
    + Sync
    + Unpin
    + 'static
{
}

impl<J, B> JobBackend<J> for B where
    B: Backend<Task = Task<Vec<u8>>>
        + BackendConfig<Args = J, Kind = Durable, Layer = TaskPersistLayer<JsonCodec<Value>, Value>>
        + WireFormatBackend<Codec = JsonCodec<Vec<u8>>, Compact = Vec<u8>>
        + Clone
        + Send
        + Sync
        + Unpin
        + 'static
{
}

/// A worker name no other process uses: `{queue}@{host}:{pid}:{random}`. Two processes sharing a name would take
/// each other's in-flight jobs and break orphan recovery.
pub fn worker_name(queue: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{queue}@{}:{}:{}", hostname(), std::process::id(), &random[..8])
}

/// This machine's name (`HOSTNAME`, else `/etc/hostname`), for names that must tell processes apart.
pub(crate) fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "host".into())
}

/// Runs one job: a span with the job's name and attempt, a backoff before retries, and the error sorted into
/// "retry" and "dead-letter now" for apalis.
async fn handle<J: Job>(job: J, ctx: Data<JobContext>, attempt: Attempt) -> Result<(), BoxDynError> {
    let attempt = attempt.current();
    if attempt > 1 {
        let delay = Duration::from_millis(250 << (attempt - 2).min(7)).min(MAX_RETRY_DELAY);
        tokio::time::sleep(delay).await;
    }
    let span = tracing::info_span!(
        "job",
        job.name = J::QUEUE,
        job.attempt = attempt,
        series.id = tracing::field::Empty
    );
    if let Some(series) = job.series_id() {
        span.record("series.id", tracing::field::display(series));
    }
    let started = std::time::Instant::now();
    let result = job.run(&ctx, attempt).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let duration_ms = elapsed.as_millis() as u64;
    let outcome = match &result {
        Ok(()) => "done",
        Err(JobError::Retry(_)) if attempt < J::MAX_ATTEMPTS => "retry",
        Err(_) => "dead",
    };
    metrics::counter!(observability::JOBS, "job" => J::QUEUE, "outcome" => outcome).increment(1);
    if outcome != "done" && J::QUEUE == crate::jobs::PullSource::QUEUE {
        crate::cloudwatch::record_pull_failure();
    }
    metrics::histogram!(observability::JOB_DURATION, "job" => J::QUEUE).record(elapsed.as_secs_f64());
    span.in_scope(|| match &result {
        Ok(()) => tracing::debug!(duration_ms, "job done"),
        Err(error) => tracing::warn!(duration_ms, %error, max_attempts = J::MAX_ATTEMPTS, outcome, "job failed"),
    });
    match result {
        Ok(()) => Ok(()),
        Err(JobError::Retry(message)) => Err(message.into()),
        Err(JobError::Abort(message)) => Err(AbortError::new(message).into()),
    }
}

fn register<J: Job, B: JobBackend<J>>(
    monitor: Monitor,
    name: String,
    backend: B,
    ctx: JobContext,
    concurrency: usize,
) -> Monitor {
    monitor.register(move |_restarts| {
        WorkerBuilder::new(name.as_str())
            .backend(backend.clone())
            .enable_tracing()
            .concurrency(concurrency)
            .catch_panic()
            .layer(MaxAttemptsLayer::new(J::MAX_ATTEMPTS))
            .data(ctx.clone())
            .build(handle::<J>)
    })
}

/// Collects the workers of a process: one per job type ([`crate::jobs::register_all`] adds them).
#[derive(Debug)]
pub struct Registrar {
    monitor: Monitor,
    ctx: JobContext,
    queues: Vec<String>,
    /// `(queue, worker name)` of each worker.
    workers: Vec<(String, String)>,
    restarts: Arc<AtomicUsize>,
}

impl Registrar {
    /// A registrar for workers sharing `ctx` (and its queue).
    pub fn new(ctx: JobContext) -> Self {
        let restarts = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&restarts);
        let monitor = Monitor::new()
            .should_restart(move |worker, error| {
                counter.fetch_add(1, Ordering::Relaxed);
                tracing::error!(worker = worker.name(), %error, "worker stopped; restarting it");
                true
            })
            .shutdown_timeout(SHUTDOWN_TIMEOUT);
        Self {
            monitor,
            ctx,
            queues: Vec::new(),
            workers: Vec::new(),
            restarts,
        }
    }

    /// How many times a worker of this registrar stopped on an error and was restarted (0 when all is well).
    pub fn restarts(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.restarts)
    }

    /// Adds the worker of job type `J`.
    pub fn add<J: Job>(mut self) -> Self {
        let settings = self.ctx.queue.settings().clone();
        let poll = FixedInterval::new(settings.poll_interval);
        let name = worker_name(J::QUEUE);
        self.queues.push(settings.queue_name::<J>());
        self.workers.push((settings.queue_name::<J>(), name.clone()));
        let ctx = self.ctx.clone();
        self.monitor = match &self.ctx.queue {
            Queue::Redis(queue) => register::<J, _>(
                self.monitor,
                name,
                queue.storage::<J>().poll_with_strategy(poll),
                ctx,
                settings.concurrency,
            ),
            Queue::Sqlite(queue) => register::<J, _>(
                self.monitor,
                name,
                queue.storage::<J>().poll_with_strategy(poll),
                ctx,
                settings.concurrency,
            ),
        };
        self
    }

    /// Runs the workers until `shutdown` resolves, then lets running jobs finish (up to [`SHUTDOWN_TIMEOUT`]).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), super::QueueError> {
        // Every second: renew this process's heartbeats (see `RedisQueue::keep_alive`), re-enqueue the jobs of workers
        // that stopped beating (`RedisQueue::reap_orphans`) and promote due jobs.
        let promoter = match &self.ctx.queue {
            Queue::Redis(queue) => {
                let queue = queue.clone();
                let names = self.queues.clone();
                let workers = self.workers.clone();
                Some(tokio::spawn(async move {
                    let mut every = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        every.tick().await;
                        if let Err(error) = queue.keep_alive(&workers).await {
                            tracing::warn!(%error, "renewing the workers' heartbeats failed");
                        }
                        for name in &names {
                            let config = queue.config(name);
                            match queue.reap_orphans(&config).await {
                                Ok(0) => {}
                                Ok(moved) => {
                                    tracing::info!(queue = %name, jobs = moved, "re-enqueued a stopped worker's jobs")
                                }
                                Err(error) => {
                                    tracing::warn!(queue = %name, %error, "re-enqueueing orphaned jobs failed")
                                }
                            }
                            if let Err(error) = queue.promote_due(&config).await {
                                tracing::warn!(queue = %name, %error, "promoting due jobs failed");
                            }
                        }
                    }
                }))
            }
            Queue::Sqlite(_) => None,
        };
        tracing::info!(queues = ?self.queues, backend = self.ctx.queue.backend(), "workers starting");
        let result = self
            .monitor
            .run_with_signal(async move {
                shutdown.await;
                Ok(())
            })
            .await;
        if let Some(promoter) = promoter {
            promoter.abort();
        }
        result.map_err(|e| super::QueueError::Workers(e.to_string()))
    }
}
