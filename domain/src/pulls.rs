//! Pulls: one request sequence to a source, kept as received.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::SourceId;
use crate::time::Slot;

/// What started a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// The source's schedule.
    Schedule,
    /// An admin's "pull now".
    Manual,
    /// A backfill of a past range.
    Backfill,
}

/// How a pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PullStatus {
    /// Still paging.
    Running,
    /// Every page was read and stored; its slots start series.
    Succeeded,
    /// A page could not be read (quarantined) or the source failed; no series start from it.
    Failed,
}

/// One stored page of a pull.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PagePointer {
    /// Page number, from 1.
    pub number: u32,
    /// The blob key of the page as received (zstd).
    pub key: String,
    /// Bytes as received.
    pub bytes: u64,
    /// SHA-256 of the bytes as received, hex.
    pub sha256: String,
    /// Records on the page, duplicates included.
    pub records: u64,
    /// The first and last slot the page holds data of.
    pub slots: (Slot, Slot),
}

/// A page that could not be read, kept aside with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    /// Page number, from 1.
    pub number: u32,
    /// The blob key of the page as received (zstd).
    pub key: String,
    /// Why it could not be read.
    pub reason: String,
}

/// A pull as the metadata store keeps it (`RAW#{source}` / `{started at}#{pull id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRecord {
    /// The pull's id: time-ordered (UUID v7).
    pub pull_id: String,
    /// The source pulled.
    pub source: SourceId,
    /// What started it.
    pub trigger: Trigger,
    /// Start of the time range pulled (for a live pull: its slot).
    pub from: DateTime<Utc>,
    /// End of the time range pulled, exclusive.
    pub to: DateTime<Utc>,
    /// When the first request went out.
    pub started_at: DateTime<Utc>,
    /// When the last page was stored.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub status: PullStatus,
    /// The pages, in the order received.
    pub pages: Vec<PagePointer>,
    /// Distinct streams over the whole pull (for a range pull: summed over its slots).
    pub records: u64,
    /// Bytes received.
    pub bytes: u64,
    /// The slots with data, in order: one series each.
    pub slots: Vec<Slot>,
    /// Pages that could not be read.
    pub quarantined: Vec<Quarantined>,
    /// Why paging stopped (`end`, `empty page`, `repeated cursor`, `page cap`, `malformed`).
    pub stop_reason: Option<String>,
    /// The failure, when it failed.
    pub error: Option<String>,
}
