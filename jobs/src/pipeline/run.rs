//! Run records: the execution history of a series' pipeline, like a Step Functions execution history.
//!
//! One item per run (`SERIES#{id}` / `RUN#{run}`: trigger, status, attempts, start, end, error) and one per step of
//! the run (`RUN#{run}#STEP#{step}`: status, attempts, start, end, duration, error, output counts). A step marked
//! `done` is skipped when the run is retried: a run resumes at its first unfinished step.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::SeriesId;
use streamlens_domain::pulls::PullId;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{Condition, Item, MetaError, Query, SortKey, keys};

/// A run's id: time-ordered, like pull ids (a UUID v7).
pub type RunId = PullId;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunTrigger {
    /// A scheduled pull's series.
    Schedule,
    /// A manual pull's series.
    Manual,
    /// A backfill's series.
    Backfill,
    /// An admin's re-run.
    Rerun,
    /// The reconciler, for a series whose run never finished.
    Reconcile,
}

/// Where a run or a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Not started.
    Pending,
    /// Started, not finished.
    Running,
    /// Finished.
    Done,
    /// Gave up (a run: after its last attempt).
    Failed,
}

/// One run of a series' pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run.
    pub run_id: RunId,
    /// The series.
    pub series: SeriesId,
    /// What started it.
    pub trigger: RunTrigger,
    /// Where it is.
    pub status: RunStatus,
    /// Attempts so far (a retry after a crash is another attempt of the same run).
    pub attempts: u32,
    /// When its first attempt started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// The last error.
    pub error: Option<String>,
}

/// One step of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// The step's name.
    pub step: String,
    /// Where it is.
    pub status: RunStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When the last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long the successful attempt took.
    pub duration_ms: Option<u64>,
    /// The last error.
    pub error: Option<String>,
    /// What it produced (records prepared, channels, games, items written, …).
    pub counts: BTreeMap<String, u64>,
}

/// A run with its steps, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunHistory {
    /// The run.
    pub run: RunRecord,
    /// Its steps, by name.
    pub steps: BTreeMap<String, StepRecord>,
}

/// Writes a run record.
pub async fn save_run(storage: &Storage, run: &RunRecord) -> Result<(), MetaError> {
    let item = Item::from_record(keys::series_run(&run.series, run.run_id.as_str()), run)?;
    storage.meta.put(item, Condition::None).await.map(|_| ())
}

/// Writes a step record.
pub async fn save_step(storage: &Storage, series: &SeriesId, run: &RunId, step: &StepRecord) -> Result<(), MetaError> {
    let item = Item::from_record(keys::series_run_step(series, run.as_str(), &step.step), step)?;
    storage.meta.put(item, Condition::None).await.map(|_| ())
}

/// A run and its steps, if the run exists.
pub async fn load(storage: &Storage, series: &SeriesId, run: &RunId) -> Result<Option<RunHistory>, MetaError> {
    let prefix = format!("RUN#{run}");
    let mut history: Option<RunRecord> = None;
    let mut steps = BTreeMap::new();
    let mut cursor = None;
    loop {
        let query = Query::partition(keys::series_partition(series))
            .sort_key(SortKey::BeginsWith(prefix.clone()))
            .limit(100)
            .after(cursor.take());
        let page = storage.meta.query(&query).await?;
        for item in &page.items {
            if item.key.sk == prefix {
                history = Some(item.decode()?);
            } else {
                let step: StepRecord = item.decode()?;
                steps.insert(step.step.clone(), step);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(history.map(|run| RunHistory { run, steps }))
}

/// Every run of a series, newest first, with their steps.
pub async fn history(storage: &Storage, series: &SeriesId) -> Result<Vec<RunHistory>, MetaError> {
    let mut runs: Vec<RunRecord> = Vec::new();
    let mut steps: Vec<(String, StepRecord)> = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::partition(keys::series_partition(series))
            .sort_key(SortKey::BeginsWith("RUN#".into()))
            .limit(500)
            .after(cursor.take());
        let page = storage.meta.query(&query).await?;
        for item in &page.items {
            let rest = &item.key.sk["RUN#".len()..];
            match rest.split_once("#STEP#") {
                None => runs.push(item.decode()?),
                Some((run, _)) => steps.push((run.to_owned(), item.decode()?)),
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut out: Vec<RunHistory> = runs
        .into_iter()
        .map(|run| {
            let own = steps
                .iter()
                .filter(|(id, _)| id == run.run_id.as_str())
                .map(|(_, s)| (s.step.clone(), s.clone()))
                .collect();
            RunHistory { run, steps: own }
        })
        .collect();
    out.sort_by(|a, b| b.run.run_id.cmp(&a.run.run_id));
    Ok(out)
}
