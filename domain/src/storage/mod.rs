//! Storage ports and their adapters, chosen by URL in config.
//!
//! - [`blob`]: immutable byte objects (raw responses, series data, clean outputs): local files or S3, one store or
//!   one per area ([`blob::areas`]).
//! - [`meta`]: DynamoDB-shaped items (series, runs, stats, rankings, users): SQLite or DynamoDB.
//! - [`aws`]: the SDK set-up both AWS adapters share.
//!
//! [`Storage::open`] builds both from [`StorageConfig`]; everything above this module sees only the traits.

pub mod aws;
pub mod blob;
pub mod meta;

use std::sync::Arc;

use crate::config::{BlobsUrl, MetaUrl, StorageConfig};
use blob::{BlobError, BlobStore, areas::AreaBlobStore, files::FileBlobStore, s3::S3BlobStore};
use meta::{MetaError, MetaStore, dynamodb::DynamoMetaStore, sqlite::SqliteMetaStore};

/// Why the stores could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The blob store failed to open.
    #[error("{url}: {cause}")]
    Blobs {
        /// The configured URL.
        url: String,
        /// Why (in the message, so not repeated as a `source()`).
        cause: BlobError,
    },
    /// The metadata store failed to open.
    #[error("{url}: {cause}")]
    Meta {
        /// The configured URL.
        url: String,
        /// Why (in the message, so not repeated as a `source()`).
        cause: MetaError,
    },
    /// The AWS SDK could not be configured.
    #[error("AWS: {0}")]
    Aws(String),
}

/// The two stores every process works with.
#[derive(Debug, Clone)]
pub struct Storage {
    /// Raw, series and clean objects.
    pub blobs: Arc<dyn BlobStore>,
    /// Items.
    pub meta: Arc<dyn MetaStore>,
}

impl Storage {
    /// Opens the configured adapters (creating local files, and AWS resources when configured to).
    pub async fn open(config: &StorageConfig) -> Result<Self, OpenError> {
        let needs_aws = config.blob_urls().any(|url| matches!(url, BlobsUrl::S3 { .. }))
            || matches!(config.meta, MetaUrl::DynamoDb { .. });
        let sdk = match needs_aws {
            true => Some(aws::sdk_config(&config.aws).await.map_err(OpenError::Aws)?),
            false => None,
        };
        let mut blobs = open_blobs(&config.blobs, sdk.as_ref(), config.create_resources).await?;
        if !config.blob_areas.is_empty() {
            let mut areas = Vec::with_capacity(config.blob_areas.len());
            for (area, url) in &config.blob_areas {
                areas.push((*area, open_blobs(url, sdk.as_ref(), config.create_resources).await?));
            }
            blobs = Arc::new(AreaBlobStore::new(blobs, areas));
        }
        let meta_error = |cause| OpenError::Meta {
            url: config.meta.to_string(),
            cause,
        };
        let meta: Arc<dyn MetaStore> = match (&config.meta, &sdk) {
            (MetaUrl::Sqlite(file), _) => Arc::new(SqliteMetaStore::open(file).await.map_err(meta_error)?),
            (MetaUrl::DynamoDb { table_prefix }, Some(sdk)) => Arc::new(
                DynamoMetaStore::open(sdk, table_prefix, config.create_resources)
                    .await
                    .map_err(meta_error)?,
            ),
            (MetaUrl::DynamoDb { .. }, None) => {
                return Err(OpenError::Aws("SDK not configured".into()));
            }
        };
        Ok(Self { blobs, meta })
    }
}

/// Opens one blob store.
async fn open_blobs(
    url: &BlobsUrl,
    sdk: Option<&aws_config::SdkConfig>,
    create: bool,
) -> Result<Arc<dyn BlobStore>, OpenError> {
    let error = |cause| OpenError::Blobs {
        url: url.to_string(),
        cause,
    };
    Ok(match (url, sdk) {
        (BlobsUrl::File(dir), _) => Arc::new(FileBlobStore::open(dir).await.map_err(error)?),
        (BlobsUrl::S3 { bucket, prefix }, Some(sdk)) => {
            Arc::new(S3BlobStore::open(sdk, bucket, prefix, create).await.map_err(error)?)
        }
        (BlobsUrl::S3 { .. }, None) => return Err(OpenError::Aws("SDK not configured".into())),
    })
}
