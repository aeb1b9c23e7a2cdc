//! Fixtures shared by the integration tests: one store per test, each in its own temp dir, bucket prefix or table.
//!
//! The S3 and DynamoDB adapters run against a local moto server whose URL `scripts/test.sh` exports as
//! `STREAMLENS_TEST_AWS_ENDPOINT`. Without it those tests fail rather than skip: an adapter that was not tested must
//! not look like one that passed.

#![allow(dead_code)]

use std::sync::Arc;

use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};
use streamlens_domain::config::AwsSettings;
use streamlens_domain::storage::aws::sdk_config;
use streamlens_domain::storage::blob::BlobStore;
use streamlens_domain::storage::blob::areas::{AreaBlobStore, BlobArea};
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::blob::s3::S3BlobStore;
use streamlens_domain::storage::meta::MetaStore;
use streamlens_domain::storage::meta::dynamodb::DynamoMetaStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;

/// The bucket the S3 contract tests share, each under its own prefix.
pub const TEST_BUCKET: &str = "streamlens-contract";

/// The moto endpoint, or a failure that says how to get one.
pub fn aws_endpoint() -> String {
    std::env::var("STREAMLENS_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "STREAMLENS_TEST_AWS_ENDPOINT is not set: the S3 and DynamoDB tests need a local moto server. \
             Run scripts/test.sh, which starts one."
        )
    })
}

/// SDK configuration for the moto server, with static test credentials.
pub async fn moto_sdk() -> aws_config::SdkConfig {
    let settings = AwsSettings {
        region: Some("us-east-1".into()),
        endpoint: Some(aws_endpoint()),
    };
    sdk_config(&settings)
        .await
        .expect("SDK config")
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "moto",
        )))
        .build()
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A blob store for one test, and whatever keeps it alive.
pub struct BlobFixture {
    pub store: Arc<dyn BlobStore>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn files_blobs() -> BlobFixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = FileBlobStore::open(dir.path().join("blobs"))
        .await
        .expect("open file store");
    BlobFixture {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

pub async fn s3_blobs() -> BlobFixture {
    let sdk = moto_sdk().await;
    let store = S3BlobStore::open(&sdk, TEST_BUCKET, &unique("t"), true)
        .await
        .expect("open S3 store");
    BlobFixture {
        store: Arc::new(store),
        _dir: None,
    }
}

/// A store of one store per area: raw pages on S3 (moto), series data and everything else in two folders, so that
/// listings merge across adapters and a copy from raw to series crosses them.
pub async fn areas_blobs() -> BlobFixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let sdk = moto_sdk().await;
    let raw = S3BlobStore::open(&sdk, TEST_BUCKET, &unique("areas"), true)
        .await
        .expect("open S3 store");
    let series = FileBlobStore::open(dir.path().join("series"))
        .await
        .expect("open file store");
    let default = FileBlobStore::open(dir.path().join("default"))
        .await
        .expect("open file store");
    let store = AreaBlobStore::new(
        Arc::new(default),
        [
            (BlobArea::Raw, Arc::new(raw) as Arc<dyn BlobStore>),
            (BlobArea::Series, Arc::new(series) as Arc<dyn BlobStore>),
        ],
    );
    BlobFixture {
        store: Arc::new(store),
        _dir: Some(dir),
    }
}

/// A metadata store for one test, a second handle on the same data (another connection pool or client, as another
/// process would have), and whatever keeps them alive.
pub struct MetaFixture {
    pub store: Arc<dyn MetaStore>,
    pub other: Arc<dyn MetaStore>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite_meta() -> MetaFixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("meta.sqlite");
    let store = SqliteMetaStore::open(&path).await.expect("open SQLite store");
    let other = SqliteMetaStore::open(&path).await.expect("open SQLite store again");
    MetaFixture {
        store: Arc::new(store),
        other: Arc::new(other),
        _dir: Some(dir),
    }
}

pub async fn dynamodb_meta() -> MetaFixture {
    let sdk = moto_sdk().await;
    let prefix = unique("t");
    let store = DynamoMetaStore::open(&sdk, &prefix, true)
        .await
        .expect("open DynamoDB store");
    let other = DynamoMetaStore::open(&moto_sdk().await, &prefix, false)
        .await
        .expect("open DynamoDB store again");
    MetaFixture {
        store: Arc::new(store),
        other: Arc::new(other),
        _dir: None,
    }
}
