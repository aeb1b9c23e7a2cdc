//! The reconciler: nothing pulled is ever lost.
//!
//! It looks at the recent pulls of every source and returns the series their raw data should have started but did
//! not (the StartSeries job was lost, or the process died between storing the pull and enqueueing), and marks as
//! failed the pulls left `running` by a process that died mid-pull. It also finds series whose pipeline run never
//! finished and has no job left to finish it ([`stalled_series`]).

use chrono::{DateTime, Duration, Utc};
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullId, PullRecord, PullStatus, Trigger};
use streamlens_domain::series::{SeriesRecord, SeriesStatus};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{Condition, Item, Query, SortKey, keys};
use streamlens_domain::time::Slot;

use super::IngestError;
use super::pull::record_key;

/// A pull left `running` longer than this belongs to a process that died.
pub const ABANDONED_AFTER: Duration = Duration::minutes(15);

/// A series `pending` or `running` unchanged for this long, while no pipeline job waits or runs, lost its job.
pub const STALLED_AFTER: Duration = Duration::minutes(5);

/// At most this many stalled series are returned per reconciliation.
const STALLED_LIMIT: usize = 1000;

/// A series to start: the arguments of a StartSeries job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The source.
    pub source: SourceId,
    /// The slot.
    pub slot: Slot,
    /// The pull holding its data.
    pub pull_id: PullId,
    /// What started that pull.
    pub trigger: Trigger,
}

/// What one reconciliation found.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Series whose raw data exists but which never started.
    pub missing: Vec<Missing>,
    /// Pulls marked failed because their process died.
    pub abandoned: usize,
}

/// Series of `sources` left `pending` or `running` (not updated) since before `now - STALLED_AFTER`, oldest slot
/// first, at most 1,000. Call it only when no pipeline job waits or runs: then nothing will finish them.
pub async fn stalled_series(
    storage: &Storage,
    sources: &[SourceId],
    now: DateTime<Utc>,
) -> Result<Vec<SeriesId>, IngestError> {
    let mut found = Vec::new();
    for source in sources {
        for status in [SeriesStatus::Pending, SeriesStatus::Running] {
            let mut cursor = None;
            loop {
                let query = Query::gsi1(keys::series_status_partition(source, status.as_str()))
                    .limit(200)
                    .after(cursor.take());
                let page = storage.meta.query(&query).await?;
                for item in &page.items {
                    let series: SeriesRecord = item.decode()?;
                    if now - series.updated_at > STALLED_AFTER {
                        found.push(series.id);
                    }
                }
                match page.next {
                    Some(next) if found.len() < STALLED_LIMIT => cursor = Some(next),
                    _ => break,
                }
            }
        }
    }
    found.truncate(STALLED_LIMIT);
    Ok(found)
}

/// Looks at the pulls of `sources` started since `since`.
pub async fn reconcile(
    storage: &Storage,
    sources: &[SourceId],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Reconciled, IngestError> {
    let mut found = Reconciled::default();
    for source in sources {
        let mut cursor = None;
        loop {
            let query = Query::partition(keys::raw_partition(source))
                .sort_key(SortKey::AtLeast(PullId::floor(since)))
                .limit(200)
                .after(cursor.take());
            let page = storage.meta.query(&query).await?;
            for item in &page.items {
                let pull: PullRecord = item.decode()?;
                match pull.status {
                    PullStatus::Running if now - pull.started_at > ABANDONED_AFTER => {
                        mark_abandoned(storage, item, pull).await?;
                        found.abandoned += 1;
                    }
                    PullStatus::Succeeded => {
                        for &slot in &pull.slots {
                            let id = SeriesId::new(source.clone(), slot);
                            if storage.meta.get(&keys::series(&id)).await?.is_none() {
                                found.missing.push(Missing {
                                    source: source.clone(),
                                    slot,
                                    pull_id: pull.pull_id.clone(),
                                    trigger: pull.trigger,
                                });
                            }
                        }
                    }
                    _ => {}
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    // Two pulls of one slot: start it once, from the earliest.
    let mut seen = std::collections::HashSet::new();
    found.missing.retain(|m| seen.insert((m.source.clone(), m.slot)));
    Ok(found)
}

async fn mark_abandoned(storage: &Storage, item: &Item, mut pull: PullRecord) -> Result<(), IngestError> {
    pull.status = PullStatus::Failed;
    pull.error = Some("abandoned: the process pulling it stopped".into());
    let mut updated = Item::from_record(record_key(&pull), &pull)?;
    updated.version = item.version;
    match storage.meta.put(updated, Condition::VersionEquals(item.version)).await {
        // Finished (or marked) by someone else meanwhile: leave it.
        Ok(_) | Err(streamlens_domain::storage::meta::MetaError::ConditionFailed) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
