//! The per-series pipeline: a DAG of steps, run by the `RunPipeline` job, with a run history like a Step Functions
//! execution's.
//!
//! ```text
//! prepare ─► viewers ───┐                            ┌─► rankings (the hour's) ──┐
//!         ─► games      ├─► rollups (the slot's hour) ─┤                           ├─► finalize (ready, SeriesReady)
//!         ─► languages ─┘                            └─► broadcasts (the hour's) ─┤
//!         ─► channels ───────────────────────────────────────────────────────────┘
//! ```
//!
//! Each step is one file under [`steps`] implementing [`Step`]: its name, the steps it needs, and `run`, which reads
//! its inputs, calls the step's pure function and stores the result (a `clean/…` document per series and step, or
//! for the period steps a document per hour, and the metadata items readers look up). [`steps::registry`] lists them all; the order of the DAG follows from what
//! each step needs, and steps whose inputs are ready run concurrently. Adding a step is one file and one line there.
//!
//! A run is recorded step by step ([`run`]); a retried run (after a crash) skips the steps already done, reading
//! their stored outputs instead. Day, week and month rollups follow in `RollUp` jobs, one per period and 10-second
//! bucket ([`rollups`]).
//!
//! - [`documents`]: stored documents (rollups, rankings, step outputs) and the cache of their decoded values.
//! - [`run`]: run and step records.
//! - [`locks`]: per-period locks around recomputes.
//! - [`rollups`]: period rollups and rankings, recomputed from the level below.
//! - [`steps`]: the steps.

pub mod documents;
pub mod locks;
pub mod rollups;
pub mod run;
pub mod steps;

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_trait::async_trait;
use chrono::{Duration, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use streamlens_domain::ids::SeriesId;
use streamlens_domain::series::{SeriesRecord, SeriesStatus};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::{BlobError, layout};
use streamlens_domain::storage::meta::{Condition, MetaError, Update, keys};

use crate::ingest::IngestError;
use crate::ingest::pages::PageCache;
use crate::notify::Notifier;
use crate::observability;
use crate::queue::Queue;
use crate::sources::registry::Sources;
use documents::Documents;
use locks::{LockError, Locks};
use run::{RunHistory, RunId, RunRecord, RunStatus, RunTrigger, StepRecord};

/// Pipeline tuning.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// How long minute data is kept.
    pub minute_retention: Duration,
    /// Width of the buckets `RollUp` requests are grouped in.
    pub rollup_bucket: Duration,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            minute_retention: Duration::days(30),
            rollup_bucket: Duration::seconds(10),
        }
    }
}

/// What the pipeline reaches.
#[derive(Clone)]
pub struct PipelineContext {
    /// The stores.
    pub storage: Storage,
    /// The queue (for `RollUp` follow-ups).
    pub queue: Queue,
    /// The sources (for game lookups).
    pub sources: Arc<Sources>,
    /// Raw pages, read once.
    pub pages: PageCache,
    /// Stored documents (rollups, rankings, broadcasts, step outputs), read and written through a cache of their
    /// decoded values.
    pub documents: Documents,
    /// Game names already known, by source and id.
    pub game_names: moka::sync::Cache<String, ()>,
    /// Per-period locks.
    pub locks: Locks,
    /// Where events go.
    pub notifier: Notifier,
    /// Tuning.
    pub settings: PipelineSettings,
}

impl std::fmt::Debug for PipelineContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineContext")
            .field("queue", &self.queue)
            .field("locks", &self.locks)
            .field("notifier", &self.notifier)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl PipelineContext {
    /// A context with the default caches and settings.
    pub fn new(storage: Storage, queue: Queue, sources: Arc<Sources>, locks: Locks, notifier: Notifier) -> Self {
        Self {
            storage,
            queue,
            sources,
            pages: PageCache::default(),
            documents: Documents::default(),
            game_names: moka::sync::Cache::new(100_000),
            locks,
            notifier,
            settings: PipelineSettings::default(),
        }
    }
}

/// What went wrong in the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blobs(#[from] BlobError),
    /// The metadata store failed.
    #[error("metadata store: {0}")]
    Meta(#[from] MetaError),
    /// Reading a series' data failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// A lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    /// Stored data that should parse does not.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// The series does not exist.
    #[error("no series {0}")]
    NoSeries(String),
    /// A step failed.
    #[error("step {step}: {error}")]
    Step {
        /// The step.
        step: &'static str,
        /// Why.
        error: Box<PipelineError>,
    },
}

impl PipelineError {
    /// Whether trying again may help (stores, locks and the queue come back; corrupt data does not).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Blobs(BlobError::Backend { .. }) | Self::Meta(MetaError::Backend { .. }) => true,
            Self::Lock(_) | Self::Queue(_) => true,
            Self::Ingest(e) => e.is_retryable(),
            Self::Step { error, .. } => error.is_retryable(),
            _ => false,
        }
    }
}

impl From<std::io::Error> for PipelineError {
    fn from(e: std::io::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// What a step reports: counts of what it produced.
pub type Counts = BTreeMap<String, u64>;

/// Step outputs of one series: written to `clean/…`, kept in memory for the steps after, read back on a resumed run.
pub struct Outputs {
    series: SeriesId,
    memo: Mutex<HashMap<&'static str, Arc<dyn Any + Send + Sync>>>,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs")
            .field("series", &self.series)
            .finish_non_exhaustive()
    }
}

impl Outputs {
    fn new(series: SeriesId) -> Self {
        Self {
            series,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// Stores `step`'s output, kept in the document cache for other series to read.
    pub async fn save<T: Serialize + Send + Sync + 'static>(
        &self,
        ctx: &PipelineContext,
        step: &'static str,
        value: T,
    ) -> Result<Arc<T>, PipelineError> {
        let value = rollups::write_json(ctx, &layout::clean_output(&self.series, step)?, value).await?;
        Ok(self.remember(step, value))
    }

    /// Stores `step`'s output for the later steps of this run only (in memory; read back on a resumed run), not in
    /// the document cache: for large outputs no other series reads.
    pub async fn save_for_run<T: Serialize + Send + Sync + 'static>(
        &self,
        ctx: &PipelineContext,
        step: &'static str,
        value: T,
    ) -> Result<Arc<T>, PipelineError> {
        let key = layout::clean_output(&self.series, step)?;
        let value = ctx
            .documents
            .write_only(ctx.storage.blobs.as_ref(), &key, value)
            .await?;
        Ok(self.remember(step, value))
    }

    fn remember<T: Send + Sync + 'static>(&self, step: &'static str, value: Arc<T>) -> Arc<T> {
        let erased: Arc<dyn Any + Send + Sync> = value.clone();
        self.memo
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(step, erased);
        value
    }

    /// `step`'s output: from this run, or read back from the store.
    pub async fn load<T: DeserializeOwned + Send + Sync + 'static>(
        &self,
        ctx: &PipelineContext,
        step: &'static str,
    ) -> Result<Arc<T>, PipelineError> {
        let known = self
            .memo
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(step)
            .cloned();
        if let Some(value) = known.and_then(|v| v.downcast::<T>().ok()) {
            return Ok(value);
        }
        let key = layout::clean_output(&self.series, step)?;
        let value: Arc<T> = rollups::read_json(ctx, &key)
            .await?
            .ok_or_else(|| PipelineError::Corrupt(format!("{key}: the output of step {step} is missing")))?;
        Ok(self.remember(step, value))
    }
}

/// What a step sees.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The series.
    pub series: &'a SeriesRecord,
    /// The run.
    pub run: &'a RunRecord,
    /// Stores, queue, caches.
    pub pipeline: &'a PipelineContext,
    /// The outputs of the steps before.
    pub outputs: &'a Outputs,
}

/// One step of the pipeline.
#[async_trait]
pub trait Step: Send + Sync {
    /// Its name: unique, stable (stored in run records and output keys).
    fn name(&self) -> &'static str;

    /// The steps whose outputs it reads.
    fn needs(&self) -> &'static [&'static str];

    /// Reads its inputs, computes, stores its outputs; returns counts of what it produced.
    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError>;
}

/// The steps in waves: each wave needs only steps of earlier waves, and its steps run concurrently.
pub fn waves(steps: &[Box<dyn Step>]) -> Vec<Vec<&dyn Step>> {
    let mut placed: Vec<&'static str> = Vec::new();
    let mut remaining: Vec<&dyn Step> = steps.iter().map(|s| s.as_ref()).collect();
    let mut waves = Vec::new();
    while !remaining.is_empty() {
        let (ready, rest): (Vec<&dyn Step>, Vec<&dyn Step>) = remaining
            .into_iter()
            .partition(|s| s.needs().iter().all(|n| placed.contains(n)));
        if ready.is_empty() {
            // A step needs one that does not exist (or a cycle): run the rest one by one in registry order, so the
            // missing input shows as that step's error.
            waves.extend(rest.into_iter().map(|s| vec![s]));
            break;
        }
        placed.extend(ready.iter().map(|s| s.name()));
        waves.push(ready);
        remaining = rest;
    }
    waves
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run.
    pub run_id: RunId,
    /// Steps run in this attempt (the others were done before).
    pub ran: Vec<String>,
    /// Steps skipped as already done.
    pub skipped: Vec<String>,
}

async fn set_series_status(
    ctx: &PipelineContext,
    series: &SeriesRecord,
    status: SeriesStatus,
) -> Result<(), MetaError> {
    let update = Update::new()
        .set("status", status.as_str())
        .set("updated_at", serde_json::to_value(Utc::now()).unwrap_or_default())
        .gsi1(Some(keys::series_by_status(status.as_str(), &series.id)));
    ctx.storage
        .meta
        .update(&keys::series(&series.id), update, Condition::Exists)
        .await
        .map(|_| ())
}

/// Runs (or resumes) run `run_id` of `series`: every step not yet done, wave by wave.
pub async fn run(
    ctx: &PipelineContext,
    series: &SeriesId,
    run_id: &RunId,
    trigger: RunTrigger,
    last_attempt: bool,
) -> Result<RunOutcome, PipelineError> {
    let record: SeriesRecord = ctx
        .storage
        .meta
        .get(&keys::series(series))
        .await?
        .ok_or_else(|| PipelineError::NoSeries(series.to_string()))?
        .decode()?;
    let RunHistory {
        run: mut run_record,
        steps: mut done,
    } = match run::load(&ctx.storage, series, run_id).await? {
        Some(history) => history,
        None => RunHistory {
            run: RunRecord {
                run_id: run_id.clone(),
                series: series.clone(),
                trigger,
                status: RunStatus::Running,
                attempts: 0,
                started_at: Utc::now(),
                finished_at: None,
                error: None,
            },
            steps: BTreeMap::new(),
        },
    };
    let registry = steps::registry();
    let is_done = |step: &dyn Step| done.get(step.name()).is_some_and(|r| r.status == RunStatus::Done);

    // Delivery is at least once: a worker killed after a run finished but before apalis acknowledged the job hands
    // it to another worker. Every step is done (the series was marked ready by `finalize`): there is nothing to do,
    // and marking the series running again would leave it so, since no step would run to mark it ready.
    if registry.iter().all(|s| is_done(s.as_ref())) {
        if run_record.status != RunStatus::Done {
            run_record.status = RunStatus::Done;
            run_record.finished_at.get_or_insert_with(Utc::now);
            run_record.error = None;
            run::save_run(&ctx.storage, &run_record).await?;
        }
        return Ok(RunOutcome {
            run_id: run_id.clone(),
            ran: Vec::new(),
            skipped: registry.iter().map(|s| s.name().to_owned()).collect(),
        });
    }

    run_record.attempts += 1;
    run_record.status = RunStatus::Running;
    run::save_run(&ctx.storage, &run_record).await?;
    if record.status != SeriesStatus::Running {
        set_series_status(ctx, &record, SeriesStatus::Running).await?;
    }

    let outputs = Outputs::new(series.clone());
    let mut outcome = RunOutcome {
        run_id: run_id.clone(),
        ran: Vec::new(),
        skipped: Vec::new(),
    };
    let cx = StepContext {
        series: &record,
        run: &run_record,
        pipeline: ctx,
        outputs: &outputs,
    };
    let mut failure: Option<PipelineError> = None;
    for wave in waves(&registry) {
        let todo: Vec<&dyn Step> = wave
            .into_iter()
            .filter(|s| {
                let finished = done.get(s.name()).is_some_and(|r| r.status == RunStatus::Done);
                if finished {
                    outcome.skipped.push(s.name().to_owned());
                }
                !finished
            })
            .collect();
        let results = futures::future::join_all(todo.iter().map(|step| {
            let previous = done.get(step.name()).cloned();
            run_step(&cx, *step, previous)
        }))
        .await;
        for (step, result) in todo.iter().zip(results) {
            match result {
                Ok(record) => {
                    outcome.ran.push(step.name().to_owned());
                    done.insert(step.name().to_owned(), record);
                }
                Err((record, error)) => {
                    done.insert(step.name().to_owned(), record);
                    failure.get_or_insert(PipelineError::Step {
                        step: step.name(),
                        error: Box::new(error),
                    });
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }
    match failure {
        None => {
            run_record.status = RunStatus::Done;
            run_record.finished_at = Some(Utc::now());
            run_record.error = None;
            run::save_run(&ctx.storage, &run_record).await?;
            Ok(outcome)
        }
        Some(error) => {
            run_record.error = Some(error.to_string());
            if last_attempt || !error.is_retryable() {
                run_record.status = RunStatus::Failed;
                run_record.finished_at = Some(Utc::now());
                set_series_status(ctx, &record, SeriesStatus::Failed).await?;
                metrics::counter!(
                    observability::SERIES_PROCESSED,
                    "source" => record.source.to_string(),
                    "outcome" => "failed"
                )
                .increment(1);
            }
            run::save_run(&ctx.storage, &run_record).await?;
            Err(error)
        }
    }
}

/// Runs one step, recording it before and after.
async fn run_step(
    cx: &StepContext<'_>,
    step: &dyn Step,
    previous: Option<StepRecord>,
) -> Result<StepRecord, (StepRecord, PipelineError)> {
    let storage = &cx.pipeline.storage;
    let mut record = previous.unwrap_or(StepRecord {
        step: step.name().to_owned(),
        status: RunStatus::Pending,
        attempts: 0,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        error: None,
        counts: BTreeMap::new(),
    });
    record.attempts += 1;
    record.status = RunStatus::Running;
    record.started_at = Some(Utc::now());
    if let Err(e) = run::save_step(storage, &cx.series.id, &cx.run.run_id, &record).await {
        return Err((record, e.into()));
    }
    let span = tracing::info_span!("step", series.id = %cx.series.id, step = step.name());
    let started = Instant::now();
    let result = tracing::Instrument::instrument(step.run(cx), span.clone()).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    metrics::histogram!(observability::STEP_DURATION, "step" => step.name()).record(started.elapsed().as_secs_f64());
    record.finished_at = Some(Utc::now());
    match result {
        Ok(counts) => {
            span.in_scope(|| tracing::debug!(duration_ms, ?counts, "step done"));
            record.status = RunStatus::Done;
            record.duration_ms = Some(duration_ms);
            record.error = None;
            record.counts = counts;
            match run::save_step(storage, &cx.series.id, &cx.run.run_id, &record).await {
                Ok(()) => Ok(record),
                Err(e) => Err((record, e.into())),
            }
        }
        Err(error) => {
            span.in_scope(|| tracing::warn!(duration_ms, %error, "step failed"));
            metrics::counter!(observability::STEP_FAILURES, "step" => step.name()).increment(1);
            record.status = RunStatus::Failed;
            record.error = Some(error.to_string());
            let _ = run::save_step(storage, &cx.series.id, &cx.run.run_id, &record).await;
            Err((record, error))
        }
    }
}
