//! Ingestion: pulling sources into raw data, and starting series from it.
//!
//! - [`pull`]: one pull of a source, every page stored as received (zstd) with a pull record; malformed pages
//!   quarantined.
//! - [`pages`]: stored pages read once and indexed by slot, in a bounded cache.
//! - [`start_series`]: a slot's data copied out of a pull into its series, recorded as `pending`, once.
//! - [`reconcile`]: finds raw data whose series never started, and pulls abandoned mid-way.

pub mod pages;
pub mod pull;
pub mod reconcile;
pub mod start_series;

use streamlens_domain::storage::blob::BlobError;
use streamlens_domain::storage::meta::MetaError;
use streamlens_domain::time::TimeError;

use crate::sources::http::ApiError;

/// What went wrong while ingesting. [`IngestError::is_retryable`] tells a job whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The source failed.
    #[error("source: {0}")]
    Api(#[from] ApiError),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blobs(#[from] BlobError),
    /// The metadata store failed.
    #[error("metadata store: {0}")]
    Meta(#[from] MetaError),
    /// Stored data that should parse does not.
    #[error("corrupt: {0}")]
    Corrupt(String),
    /// A request that cannot be carried out (a range too long, a pull that has no such slot).
    #[error("invalid: {0}")]
    Invalid(String),
    /// Compression failed.
    #[error("compression: {0}")]
    Compression(String),
}

impl IngestError {
    pub(crate) fn compression(e: std::io::Error) -> Self {
        Self::Compression(e.to_string())
    }

    /// Whether trying again later may succeed: source failures that are retryable, and store failures (a store
    /// that is down comes back); not invalid requests or corrupt data.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(e) => e.is_retryable(),
            Self::Blobs(BlobError::Backend { .. }) | Self::Meta(MetaError::Backend { .. }) => true,
            _ => false,
        }
    }
}

impl From<TimeError> for IngestError {
    fn from(e: TimeError) -> Self {
        Self::Invalid(e.to_string())
    }
}
