//! Backfills: a past range pulled from a `history` source, or stored raw data replayed, turned into series.
//!
//! A range is pulled one UTC day at a time (one pull record each), every page stored as received, and the series of each
//! day enqueued in chunks as soon as its pull is stored. A replay reads the stored pulls instead of the source and
//! enqueues StartSeries for their slots in the range; series that exist already are left alone, so a replay is safe
//! to repeat.

use chrono::{DateTime, Utc};
use streamlens_domain::config::SourceKind;
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PullId, PullRecord, PullStatus, Trigger};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{Query, SortKey, keys};
use streamlens_domain::time::{Period, PeriodKind};

use crate::ingest::IngestError;
use crate::ingest::pull::{PullRequest, pull};
use crate::jobs::StartSeries;
use crate::queue::{Queue, QueueError};
use crate::sources::registry::Source;

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Pulls made (pull) or read (replay).
    pub pulls: usize,
    /// Pulls that failed (a page quarantined, or the source failing); their days have no series.
    pub failed_pulls: usize,
    /// StartSeries jobs enqueued.
    pub series: usize,
}

/// Why a backfill stopped.
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The request cannot be carried out.
    #[error("{0}")]
    Invalid(String),
    /// Ingestion failed in a way that stops the backfill (a store down).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Progress, reported after each step.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Steps done (days pulled, or pulls read).
    pub done: u64,
    /// Steps in all.
    pub total: u64,
    /// Series enqueued so far.
    pub series: usize,
}

fn check_range(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), BackfillError> {
    if from >= to {
        return Err(BackfillError::Invalid(format!(
            "--from {from} must be before --to {to}"
        )));
    }
    if to > Utc::now() {
        return Err(BackfillError::Invalid(format!(
            "--to {to} is in the future: only the past can be backfilled"
        )));
    }
    Ok(())
}

/// Pulls `[from, to)` from the history source `source`, a day at a time, and enqueues the series.
pub async fn pull_range(
    storage: &Storage,
    queue: &Queue,
    source: &Source,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    mut progress: impl FnMut(Progress),
) -> Result<Report, BackfillError> {
    check_range(from, to)?;
    if source.config.kind != SourceKind::History {
        return Err(BackfillError::Invalid(format!(
            "source {} is a live source ({}): it has no past to pull; replay its stored pulls instead",
            source.config.id,
            source.config.kind.as_str()
        )));
    }
    let mut chunks = Vec::new();
    let mut start = from;
    while start < to {
        // One pull per UTC day, so each day's raw data is one record.
        let end = Period::containing(PeriodKind::Day, start).end().min(to);
        chunks.push((start, end));
        start = end;
    }
    let mut report = Report::default();
    for (i, &(start, end)) in chunks.iter().enumerate() {
        let request = PullRequest {
            trigger: Trigger::Backfill,
            at: Utc::now(),
            range: Some((start, end)),
            pull_id: None,
        };
        report.pulls += 1;
        match pull(storage, source, request).await {
            Ok(record) if record.status == PullStatus::Succeeded => {
                report.series += enqueue(queue, &record, from, to).await?;
            }
            Ok(record) => {
                tracing::warn!(pull.id = %record.pull_id, error = ?record.error, %start, %end, "backfill pull failed");
                report.failed_pulls += 1;
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(%error, %start, %end, "backfill pull failed");
                report.failed_pulls += 1;
            }
            Err(error) => return Err(error.into()),
        }
        progress(Progress {
            done: i as u64 + 1,
            total: chunks.len() as u64,
            series: report.series,
        });
    }
    Ok(report)
}

async fn enqueue(
    queue: &Queue,
    record: &PullRecord,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<usize, QueueError> {
    let starts: Vec<StartSeries> = record
        .slots
        .iter()
        .filter(|slot| slot.start() >= from && slot.start() < to)
        .map(|&slot| StartSeries {
            source: record.source.clone(),
            slot,
            pull_id: record.pull_id.clone(),
            trigger: record.trigger,
        })
        .collect();
    let count = starts.len();
    queue.push_all(starts).await?;
    Ok(count)
}

/// Enqueues series for the slots in `[from, to)` of every stored, succeeded pull of `source`.
///
/// Pulls are listed from the first one made at or after `from` (data can only be pulled once it exists).
pub async fn replay(
    storage: &Storage,
    queue: &Queue,
    source: &SourceId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    mut progress: impl FnMut(Progress),
) -> Result<Report, BackfillError> {
    check_range(from, to)?;
    let mut report = Report::default();
    let mut cursor = None;
    loop {
        let query = Query::partition(keys::raw_partition(source))
            .sort_key(SortKey::AtLeast(PullId::floor(from)))
            .limit(100)
            .after(cursor.take());
        let page = storage.meta.query(&query).await.map_err(IngestError::from)?;
        for item in &page.items {
            let record: PullRecord = item.decode().map_err(IngestError::from)?;
            report.pulls += 1;
            if record.status != PullStatus::Succeeded {
                report.failed_pulls += 1;
                continue;
            }
            if record.to > from && record.from < to {
                report.series += enqueue(queue, &record, from, to).await?;
            }
            progress(Progress {
                done: report.pulls as u64,
                total: 0,
                series: report.series,
            });
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(report),
        }
    }
}
