//! Starting a series: the slot's data copied out of the raw pull into `series/{source}/{slot}`, and the series
//! recorded as `pending`.
//!
//! Pages are read through a [`PageCache`]: a day's pull fans out into 1,440 jobs reading the same few pages.
//!
//! Idempotent: the series item is created only if absent, so the same raw data never starts a series twice, and a
//! run that died between writing the data and the item writes the same data again.

use std::collections::HashSet;

use chrono::Utc;
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullId, PullRecord, PullStatus};
use streamlens_domain::series::{SeriesData, SeriesRecord, SeriesStatus, stream_id_of};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::{BlobKey, layout};
use streamlens_domain::storage::meta::{Condition, Item, MetaError, keys};
use streamlens_domain::time::Slot;

use super::IngestError;
use super::pages::PageCache;
use super::pull::{compress, decompress, load};

/// What starting a series did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// The series was created.
    New(SeriesRecord),
    /// It already existed (from this pull or an earlier one): nothing was written.
    Existing(SeriesId),
}

/// Starts the series of `source` for `slot` from the pull `pull_id`.
pub async fn start_series(
    storage: &Storage,
    pages: &PageCache,
    source: &SourceId,
    slot: Slot,
    pull_id: &PullId,
) -> Result<Started, IngestError> {
    let id = SeriesId::new(source.clone(), slot);
    let series_key = keys::series(&id);
    if storage.meta.get(&series_key).await?.is_some() {
        return Ok(Started::Existing(id));
    }
    let pull: PullRecord = load(storage, source, pull_id)
        .await?
        .ok_or_else(|| IngestError::Invalid(format!("no pull {pull_id} of {source}")))?;
    if pull.status != PullStatus::Succeeded || !pull.slots.contains(&slot) {
        return Err(IngestError::Invalid(format!(
            "pull {pull_id} ({:?}) has no data for slot {slot}",
            pull.status
        )));
    }

    let mut seen = HashSet::new();
    let mut streams = Vec::new();
    let holds_slot = |range: Option<(Slot, Slot)>| range.is_some_and(|(first, last)| first <= slot && slot <= last);
    for page in pull.pages.iter().filter(|p| holds_slot(p.slots)) {
        let indexed = pages.get(storage, &page.key).await?;
        for record in indexed.records(slot.start())? {
            // A record without an id cannot be deduplicated; it is kept for the pipeline to quarantine.
            let first = match stream_id_of(&record) {
                Some(stream_id) => seen.insert(stream_id.into_owned()),
                None => true,
            };
            if first {
                streams.push(record);
            }
        }
    }
    let data = SeriesData {
        series: id.clone(),
        pull_id: pull_id.clone(),
        streams,
    };
    let data_key = layout::series_data(&id)?;
    let json = serde_json::to_vec(&data).map_err(|e| IngestError::Invalid(e.to_string()))?;
    storage.blobs.put(&data_key, compress(&json)?).await?;

    let now = Utc::now();
    let record = SeriesRecord {
        id: id.clone(),
        source: source.clone(),
        slot,
        status: SeriesStatus::Pending,
        pull_id: pull_id.clone(),
        records: data.streams.len() as u64,
        data_key: data_key.to_string(),
        created_at: now,
        updated_at: now,
    };
    let item =
        Item::from_record(series_key, &record)?.with_gsi1(keys::series_by_status(SeriesStatus::Pending.as_str(), &id));
    match storage.meta.put(item, Condition::Absent).await {
        Ok(_) => {
            tracing::debug!(series.id = %id, records = record.records, "series started");
            Ok(Started::New(record))
        }
        // Started by a concurrent delivery of the same job: the data written is the same.
        Err(MetaError::ConditionFailed) => Ok(Started::Existing(id)),
        Err(e) => Err(e.into()),
    }
}

/// Reads a series' data.
pub async fn read_series_data(storage: &Storage, record: &SeriesRecord) -> Result<SeriesData, IngestError> {
    let blob = storage.blobs.get(&BlobKey::parse(record.data_key.clone())?).await?;
    serde_json::from_slice(&decompress(&blob.bytes)?)
        .map_err(|e| IngestError::Corrupt(format!("{}: series data does not parse: {e}", record.data_key)))
}
