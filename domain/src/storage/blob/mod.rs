//! The blob store port: immutable byte objects under `/`-separated keys, with a SHA-256 checksum kept beside each
//! object and verified on every read.
//!
//! - [`files`]: local files under a directory (`file://DIR`), written atomically (temp file, fsync, rename).
//! - [`s3`]: an S3 bucket and key prefix (`s3://bucket/prefix`).
//! - [`layout`]: where raw pages, quarantined pages, series data and clean outputs live.
//!
//! Both adapters pass the same contract suite (`domain/tests/blob_contract.rs`). Keys follow S3's model: a flat
//! namespace listed in byte order, where `/` is only a convention. One difference is inherent to files: a key cannot
//! also be the leading part of another key plus `/` (`a` and `a/b`), because a path cannot be a file and a folder.

pub mod areas;
pub mod files;
pub mod layout;
pub mod s3;

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The most keys one [`BlobStore::list`] call returns (S3's own page size).
pub const MAX_LIST_LIMIT: usize = 1000;

/// Longest key accepted, in bytes; S3 allows 1,024 including the store's prefix.
pub const MAX_KEY_BYTES: usize = 900;

/// What went wrong with a blob operation. Callers branch on `NotFound` and `Corrupt`; `Backend` carries the cause.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object under this key.
    #[error("no blob at {0:?}")]
    NotFound(String),
    /// The key (or prefix, or list cursor) breaks the key rules.
    #[error("invalid blob key {key:?}: {reason}")]
    InvalidKey {
        /// The rejected key, truncated.
        key: String,
        /// Which rule it broke.
        reason: &'static str,
    },
    /// The object's bytes do not match its recorded checksum, or it has none: it is never returned.
    #[error("blob {key:?} is corrupt: {reason}")]
    Corrupt {
        /// The key read.
        key: String,
        /// What did not match.
        reason: String,
    },
    /// A bad argument other than a key (a list limit of zero).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The backend failed (I/O error, S3 error, network).
    #[error("blob store {op} failed: {cause}")]
    Backend {
        /// The operation that failed (`put`, `get`, …).
        op: &'static str,
        /// The underlying error, already in the message (so it is not repeated as a `source()` in error chains).
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl BlobError {
    pub(crate) fn backend(op: &'static str, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Backend {
            op,
            cause: cause.into(),
        }
    }
}

/// A validated blob key: 1 to [`MAX_KEY_BYTES`] bytes of `/`-separated segments, each non-empty, none starting with
/// `.` (which also rules out `.` and `..`), no backslash and no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobKey(String);

impl BlobKey {
    /// Validates `key`.
    pub fn parse(key: impl Into<String>) -> Result<Self, BlobError> {
        let key = key.into();
        check_path(&key, false)?;
        Ok(Self(key))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for BlobKey {
    type Error = BlobError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<BlobKey> for String {
    fn from(key: BlobKey) -> String {
        key.0
    }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a key, or a list prefix (which may be empty and may end with `/` or in the middle of a segment).
pub(crate) fn check_path(path: &str, is_prefix: bool) -> Result<(), BlobError> {
    let invalid = |reason| BlobError::InvalidKey {
        key: path.chars().take(120).collect(),
        reason,
    };
    if path.is_empty() && !is_prefix {
        return Err(invalid("must not be empty"));
    }
    if path.len() > MAX_KEY_BYTES {
        return Err(invalid("is longer than 900 bytes"));
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err(invalid("must not contain control characters or backslashes"));
    }
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        // A prefix may end with '/', leaving an empty last segment.
        if segment.is_empty() && !(is_prefix && i == last) {
            return Err(invalid("must not start or end with '/' or contain '//'"));
        }
        if segment.starts_with('.') {
            return Err(invalid("no segment may start with '.'"));
        }
    }
    Ok(())
}

/// A SHA-256 digest of an object's bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// The checksum of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Self(out))
    }

    /// Lowercase hex, 64 digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What is known about a stored object without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Its key.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, recorded at write time.
    pub checksum: Checksum,
    /// When it was last written.
    pub modified: DateTime<Utc>,
}

/// An object read back, checksum verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Its metadata.
    pub meta: BlobMeta,
    /// Its bytes.
    pub bytes: Bytes,
}

/// One entry of a listing (listings do not read checksums: S3 does not return them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The key.
    pub key: BlobKey,
    /// Its size in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: DateTime<Utc>,
}

/// One page of a listing, in byte order of keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListPage {
    /// Up to `limit` entries.
    pub entries: Vec<ListEntry>,
    /// When more keys follow: the last key of this page, to pass as `start_after` for the next page.
    pub next: Option<String>,
}

/// A store of immutable byte objects. Writes replace whole objects; a reader sees the old object or the new one,
/// never a mix or a partial write.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// The adapter's name for logs and test reports: `files` or `s3`.
    fn adapter(&self) -> &'static str;

    /// Stores `bytes` under `key`, replacing any object there, and records their checksum.
    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<BlobMeta, BlobError>;

    /// Reads the object under `key` and verifies its checksum; `NotFound` if there is none.
    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError>;

    /// The object's metadata, or `None` if there is no object under `key`.
    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, BlobError>;

    /// Up to `limit` (1 to [`MAX_LIST_LIMIT`]; larger values are capped) keys starting with `prefix`, in byte order,
    /// after `start_after` when given.
    async fn list(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<ListPage, BlobError>;

    /// Copies the object under `from` to `to`, checksum included; `NotFound` if `from` does not exist.
    async fn copy(&self, from: &BlobKey, to: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Deletes the object under `key`; deleting a missing key succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Checks that the store answers (for readiness probes).
    async fn check(&self) -> Result<(), BlobError> {
        self.list("", None, 1).await.map(|_| ())
    }
}

/// Validates the arguments of [`BlobStore::list`] the same way for every adapter; returns the capped limit.
pub(crate) fn check_list_args(prefix: &str, start_after: Option<&str>, limit: usize) -> Result<usize, BlobError> {
    check_path(prefix, true)?;
    if let Some(after) = start_after {
        check_path(after, false)?;
    }
    if limit == 0 {
        return Err(BlobError::InvalidArgument("list limit must be at least 1".into()));
    }
    Ok(limit.min(MAX_LIST_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_rules() {
        for ok in [
            "a",
            "raw/simulator/2026-11-26T11:27:00Z/page-0001.json.zst",
            "clean/é/ü",
        ] {
            assert!(BlobKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "a/../b",
            "./a",
            ".tmp/x",
            "a/.hidden",
            "a\\b",
            "a\nb",
            &"x".repeat(901),
        ] {
            assert!(BlobKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn prefixes_may_be_empty_or_end_anywhere() {
        for ok in ["", "raw/", "raw/sim", "raw/simulator/2026-11"] {
            assert!(check_path(ok, true).is_ok(), "{ok}");
        }
        assert!(check_path("raw//", true).is_err());
        assert!(check_path("/raw", true).is_err());
    }

    #[test]
    fn checksum_hex_round_trips() {
        let c = Checksum::of(b"hello");
        assert_eq!(
            c.to_hex(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(Checksum::from_hex(&c.to_hex()), Some(c));
        assert_eq!(Checksum::from_hex("zz"), None);
    }

    #[test]
    fn list_arguments_are_checked() {
        assert_eq!(check_list_args("raw/", None, 5000).unwrap(), MAX_LIST_LIMIT);
        assert!(check_list_args("raw/", None, 0).is_err());
        assert!(check_list_args("raw/", Some("../x"), 10).is_err());
    }
}
