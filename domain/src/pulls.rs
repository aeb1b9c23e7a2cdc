//! Pulls: one request sequence to a source, kept as received.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{InvalidId, SourceId};
use crate::time::Slot;

/// A pull's id: a UUID v7 in 32 lowercase hex digits. Its first 12 digits are the creation time in Unix
/// milliseconds, so ids sort in time order and a source's pulls are listed by time with a range on the id alone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PullId(String);

impl PullId {
    /// A new id, stamped now.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    /// The smallest id stamped at or after `time`: the lower bound of "pulls since `time`".
    pub fn floor(time: DateTime<Utc>) -> String {
        let millis = u64::try_from(time.timestamp_millis()).unwrap_or(0);
        format!("{millis:012x}{}", "0".repeat(20))
    }

    /// When the id was stamped.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        let millis = i64::from_str_radix(&self.0[..12], 16).ok()?;
        DateTime::from_timestamp_millis(millis)
    }

    /// Validates an id.
    pub fn parse(value: impl AsRef<str>) -> Result<Self, InvalidId> {
        let value = value.as_ref();
        if value.len() == 32 && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidId {
                kind: "pull id",
                value: value.chars().take(80).collect(),
                reason: "must be 32 lowercase hex digits (a UUID v7)",
            })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PullId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PullId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<PullId> for String {
    fn from(id: PullId) -> String {
        id.0
    }
}

impl fmt::Display for PullId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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
    /// The first and last slot the page holds snapshots of; `None` for a page with none (kept all the same: every
    /// answer is stored as received).
    pub slots: Option<(Slot, Slot)>,
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
    /// The pull's id.
    pub pull_id: PullId,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_ids_sort_in_time_order_and_have_a_floor() {
        let a = PullId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = PullId::generate();
        assert!(a < b);
        let t = a.time().unwrap();
        assert!(PullId::floor(t).as_str() <= a.as_str());
        assert!(PullId::floor(t + chrono::Duration::milliseconds(1)).as_str() > a.as_str());
        assert_eq!(PullId::parse(a.as_str()).unwrap(), a);
        assert!(PullId::parse("ABC").is_err());
        assert!(PullId::parse("../../etc/passwd0000000000000000").is_err());
    }
}
