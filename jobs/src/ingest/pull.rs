//! A pull: every page of one request sequence to a source, stored as received before anything else happens.
//!
//! The pull record goes into the metadata store as `running` first, each page into the blob store (zstd) as it
//! arrives, and the record is finished as `succeeded` (its slots then start series) or `failed`: a page that is not
//! a page of the source's format is stored under `quarantine/` with the reason, and paging stops; an API failure
//! keeps the pages read so far and records the error.

use std::io::Write as _;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PagePointer, PullId, PullRecord, PullStatus, Quarantined, Trigger};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::{BlobKey, Checksum, layout};
use streamlens_domain::storage::meta::{Condition, Item, MetaError, keys};
use streamlens_domain::time::Slot;

use super::IngestError;
use crate::sources::helix::{PageResult, StopReason};
use crate::sources::history::HistoryPage;
use crate::sources::registry::{Source, SourceClient};

/// What to pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    /// What asked for it.
    pub trigger: Trigger,
    /// The schedule tick (or request time) it stands for; a range source pulls the schedule's range at it. A live
    /// source has no past: its pull is the slot the clock is in when the pull starts, whenever the job runs.
    pub at: DateTime<Utc>,
    /// An explicit range for a range source (a backfill); `None`: the schedule's range at `at`.
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The id to record the pull under (one handed out before the pull ran); `None`, or an id already used: a new
    /// one.
    pub pull_id: Option<PullId>,
}

/// The longest range one pull covers; longer ranges are split into several pulls (one record each stays well below
/// the metadata store's item size).
pub const MAX_PULL_RANGE: Duration = Duration::days(1);

/// Compresses a page for storage.
pub fn compress(body: &[u8]) -> Result<Bytes, IngestError> {
    let mut encoder = zstd::Encoder::new(Vec::with_capacity(body.len() / 4), 3).map_err(IngestError::compression)?;
    encoder.write_all(body).map_err(IngestError::compression)?;
    Ok(Bytes::from(encoder.finish().map_err(IngestError::compression)?))
}

/// Decompresses a stored page.
pub fn decompress(stored: &[u8]) -> Result<Vec<u8>, IngestError> {
    zstd::decode_all(stored).map_err(IngestError::compression)
}

/// The pull record's key.
pub fn record_key(record: &PullRecord) -> streamlens_domain::storage::meta::Key {
    keys::raw_pull(&record.source, &record.pull_id)
}

/// Writes the pull record (its version tells a rewrite from a first write).
async fn save(storage: &Storage, record: &PullRecord, version: u64) -> Result<u64, IngestError> {
    let mut item = Item::from_record(record_key(record), record)?;
    item.version = version;
    let condition = if version == 0 {
        Condition::Absent
    } else {
        Condition::VersionEquals(version)
    };
    Ok(storage.meta.put(item, condition).await?)
}

/// One pull in progress.
struct Recorder<'a> {
    storage: &'a Storage,
    record: PullRecord,
    version: u64,
    first_slot: Slot,
}

impl Recorder<'_> {
    async fn store_page(
        &mut self,
        number: u32,
        body: &Bytes,
        records: u64,
        slots: Option<(Slot, Slot)>,
    ) -> Result<(), IngestError> {
        let key = layout::raw_page(
            &self.record.source,
            self.first_slot,
            self.record.pull_id.as_str(),
            number,
        )?;
        self.storage.blobs.put(&key, compress(body)?).await?;
        self.record.bytes += body.len() as u64;
        self.record.pages.push(PagePointer {
            number,
            key: key.to_string(),
            bytes: body.len() as u64,
            sha256: Checksum::of(body).to_hex(),
            records,
            slots,
        });
        Ok(())
    }

    async fn quarantine(&mut self, number: u32, body: &Bytes, reason: String) -> Result<(), IngestError> {
        let key: BlobKey = layout::quarantined_page(&self.record.source, self.record.pull_id.as_str(), number)?;
        self.storage.blobs.put(&key, compress(body)?).await?;
        self.record.bytes += body.len() as u64;
        tracing::warn!(pull.id = %self.record.pull_id, page = number, reason = %reason, "page quarantined");
        self.record.quarantined.push(Quarantined {
            number,
            key: key.to_string(),
            reason: reason.clone(),
        });
        self.record.error = Some(format!("page {number} quarantined: {reason}"));
        Ok(())
    }

    async fn finish(mut self, status: PullStatus) -> Result<PullRecord, IngestError> {
        self.record.status = status;
        if status != PullStatus::Succeeded {
            // Incomplete data starts no series: the slot stays missing, and a later pull may fill it.
            self.record.slots.clear();
        }
        self.record.finished_at = Some(Utc::now());
        save(self.storage, &self.record, self.version).await?;
        Ok(self.record)
    }
}

/// Pulls `source` as `request` says and stores everything received. Returns the finished record: `succeeded` (its
/// slots start series) or `failed` (a page quarantined, or the source failed; the error is in the record and, when
/// trying again may help, in the `Err`).
pub async fn pull(storage: &Storage, source: &Source, request: PullRequest) -> Result<PullRecord, IngestError> {
    let config = &source.config;
    let (from, to) = match (&source.client, request.range) {
        (SourceClient::Helix(_), _) => {
            let slot = Slot::containing(Utc::now(), config.slot_length)?;
            (slot.start(), slot.end())
        }
        (SourceClient::History(_), Some(range)) => range,
        (SourceClient::History(_), None) => config.schedule.range_at(request.at, config.slot_length),
    };
    if to <= from || to - from > MAX_PULL_RANGE {
        return Err(IngestError::Invalid(format!(
            "pull range {from} .. {to} must be non-empty and at most one day (split longer ranges)"
        )));
    }
    let first_slot = Slot::containing(from, config.slot_length)?;
    let mut record = PullRecord {
        pull_id: request.pull_id.unwrap_or_else(PullId::generate),
        source: config.id.clone(),
        trigger: request.trigger,
        from,
        to,
        started_at: Utc::now(),
        finished_at: None,
        status: PullStatus::Running,
        pages: Vec::new(),
        records: 0,
        bytes: 0,
        slots: Vec::new(),
        quarantined: Vec::new(),
        stop_reason: None,
        error: None,
    };
    let version = match save(storage, &record, 0).await {
        Ok(version) => version,
        // The handed-out id was used by an earlier attempt of the same job: this attempt is a pull of its own.
        Err(IngestError::Meta(MetaError::ConditionFailed)) => {
            record.pull_id = PullId::generate();
            save(storage, &record, 0).await?
        }
        Err(e) => return Err(e),
    };
    let mut recorder = Recorder {
        storage,
        record,
        version,
        first_slot,
    };
    tracing::debug!(pull.id = %recorder.record.pull_id, source = %config.id, %from, %to, "pull started");

    let result = match &source.client {
        SourceClient::Helix(client) => pull_helix(&mut recorder, client).await,
        SourceClient::History(client) => pull_history(&mut recorder, client, from, to).await,
    };
    match result {
        Ok(()) if recorder.record.quarantined.is_empty() => recorder.finish(PullStatus::Succeeded).await,
        Ok(()) => recorder.finish(PullStatus::Failed).await,
        Err(error) => {
            recorder.record.error = Some(error.to_string());
            let record = recorder.finish(PullStatus::Failed).await?;
            tracing::warn!(pull.id = %record.pull_id, source = %record.source, %error, "pull failed");
            Err(error)
        }
    }
}

async fn pull_helix(
    recorder: &mut Recorder<'_>,
    client: &crate::sources::helix::HelixClient,
) -> Result<(), IngestError> {
    let slot = recorder.first_slot;
    let mut pager = client.streams();
    while let Some(result) = pager.next_page().await? {
        match result {
            PageResult::Page(page) => {
                let records = (page.streams.len() + page.duplicates + page.rejected.len()) as u64;
                recorder
                    .store_page(page.number, &page.body, records, Some((slot, slot)))
                    .await?;
            }
            PageResult::Malformed(page) => recorder.quarantine(page.number, &page.body, page.reason).await?,
        }
    }
    recorder.record.stop_reason = pager.stop_reason().map(|r| stop_reason_name(r).to_owned());
    recorder.record.records = pager.distinct_streams() as u64;
    if recorder.record.records > 0 {
        recorder.record.slots = vec![slot];
    }
    Ok(())
}

fn stop_reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::End => "end",
        StopReason::EmptyPage => "empty page",
        StopReason::RepeatedCursor => "repeated cursor",
        StopReason::PageCap => "page cap",
        StopReason::Malformed => "malformed",
    }
}

async fn pull_history(
    recorder: &mut Recorder<'_>,
    client: &crate::sources::history::HistoryClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), IngestError> {
    let mut pager = client.snapshots(from, to);
    let mut slots = std::collections::BTreeMap::<Slot, u64>::new();
    while let Some(page) = pager.next_page().await? {
        match page {
            HistoryPage::Page(page) => {
                let first = page.snapshots.iter().map(|s| s.slot).min();
                let last = page.snapshots.iter().map(|s| s.slot).max();
                let range = first.zip(last);
                let records = page
                    .snapshots
                    .iter()
                    .map(|s| (s.streams.len() + s.duplicates + s.rejected.len()) as u64)
                    .sum();
                recorder.store_page(page.number, &page.body, records, range).await?;
                for snapshot in &page.snapshots {
                    if snapshot.slot.start() >= from && snapshot.slot.start() < to && !snapshot.streams.is_empty() {
                        *slots.entry(snapshot.slot).or_default() += snapshot.streams.len() as u64;
                    }
                }
            }
            HistoryPage::Malformed { number, body, reason } => {
                recorder.quarantine(number, &body, reason).await?;
                break;
            }
        }
    }
    recorder.record.stop_reason = Some(
        if recorder.record.quarantined.is_empty() {
            "end"
        } else {
            "malformed"
        }
        .into(),
    );
    recorder.record.records = slots.values().sum();
    recorder.record.slots = slots.into_keys().collect();
    Ok(())
}

/// The pull `pull_id` of `source`, if it exists.
pub async fn load(storage: &Storage, source: &SourceId, pull_id: &PullId) -> Result<Option<PullRecord>, IngestError> {
    let item = storage.meta.get(&keys::raw_pull(source, pull_id)).await?;
    Ok(item.map(|i| i.decode()).transpose()?)
}
