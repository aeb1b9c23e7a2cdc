//! Series: the data of one source for one slot, and its lifecycle.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::helix::HelixStream;
use crate::ids::{SeriesId, SourceId};
use crate::pulls::PullId;
use crate::time::Slot;

/// Where a series is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesStatus {
    /// Its data is copied out of the raw pull; the pipeline has not finished it.
    Pending,
    /// The pipeline is running on it.
    Running,
    /// Every pipeline step finished; its outputs are served.
    Ready,
    /// The pipeline gave up on it; an admin can re-run it.
    Failed,
}

impl SeriesStatus {
    /// The lowercase name used in keys and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

/// A series as the metadata store keeps it (`SERIES#{id}` / `META`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesRecord {
    /// The series.
    pub id: SeriesId,
    /// Its source.
    pub source: SourceId,
    /// Its slot.
    pub slot: Slot,
    /// Where it is in its life.
    pub status: SeriesStatus,
    /// The raw pull its data came from.
    pub pull_id: PullId,
    /// Distinct streams in its data.
    pub records: u64,
    /// The blob key of its data ([`SeriesData`], zstd JSON).
    pub data_key: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When its status last changed.
    pub updated_at: DateTime<Utc>,
}

/// The data of a series as the blob store keeps it: the slot's stream records from the raw pull, byte for byte as
/// received (records that do not parse are kept for the pipeline to quarantine with a reason), each stream id once, in
/// the order they were received. Records stay unparsed text until a step reads them: a slot of 10,000 streams is
/// 4 MB as text and several times that as a JSON tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesData {
    /// The series.
    pub series: SeriesId,
    /// The raw pull the streams came from.
    pub pull_id: PullId,
    /// The stream records, as the source sent them (Helix stream objects).
    pub streams: Vec<Box<RawValue>>,
}

/// Just the `id` of a record, read without parsing the rest.
#[derive(Deserialize)]
struct IdOf<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
}

/// The stream id of a raw record, if it has a string `id`.
pub fn stream_id_of(record: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<IdOf<'_>>(record.get()).ok().and_then(|r| r.id)
}

impl SeriesData {
    /// The records that read as Helix streams, and the others with the reason.
    pub fn parse(&self) -> (Vec<HelixStream>, Vec<(usize, String)>) {
        let mut streams = Vec::with_capacity(self.streams.len());
        let mut rejected = Vec::new();
        for (index, raw) in self.streams.iter().enumerate() {
            let mut reader = serde_json::Deserializer::from_str(raw.get());
            match serde_path_to_error::deserialize::<_, HelixStream>(&mut reader) {
                Ok(stream) => streams.push(stream),
                Err(e) => rejected.push((index, e.to_string())),
            }
        }
        (streams, rejected)
    }

    /// The stream ids of the records, in order (`None` for a record without one).
    pub fn stream_ids(&self) -> Vec<Option<String>> {
        self.streams
            .iter()
            .map(|r| stream_id_of(r).map(Cow::into_owned))
            .collect()
    }
}
