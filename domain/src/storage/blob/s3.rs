//! The S3 blob adapter (`s3://bucket/prefix`): one object per blob at `{prefix}/{key}`.
//!
//! The SHA-256 of each object is stored as user metadata (`x-amz-meta-sha256`) and sent as `x-amz-checksum-sha256`
//! so S3 rejects a body damaged in transit; reads recompute it and refuse a mismatch, and an object without the
//! metadata (written by another tool) is reported as corrupt rather than trusted. `PutObject` is atomic in S3: a
//! reader sees the old object or the new one.

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Blob, BlobError, BlobKey, BlobMeta, BlobStore, Checksum, ListEntry, ListPage, check_list_args};
use crate::storage::aws::to_chrono;

/// The user-metadata name the checksum is kept under.
const CHECKSUM_META: &str = "sha256";

/// Characters escaped in a `CopySource` header: everything but unreserved characters and `/`.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Blobs as objects in one S3 bucket under a key prefix.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    /// Empty, or ends with `/`.
    prefix: String,
}

impl S3BlobStore {
    /// Connects to `bucket`, storing keys under `prefix`. With `create_bucket`, a missing bucket is created (local
    /// stacks and tests; in AWS the deployment creates it); otherwise a missing bucket is an error.
    pub async fn open(
        sdk: &aws_config::SdkConfig,
        bucket: &str,
        prefix: &str,
        create_bucket: bool,
    ) -> Result<Self, BlobError> {
        let mut builder = aws_sdk_s3::config::Builder::from(sdk);
        if sdk.endpoint_url().is_some() {
            // Local endpoints (moto, MinIO) do not resolve bucket subdomains.
            builder = builder.force_path_style(true);
        }
        let client = Client::from_conf(builder.build());
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let store = Self {
            client,
            bucket: bucket.to_owned(),
            prefix,
        };
        store.ensure_bucket(create_bucket).await?;
        Ok(store)
    }

    async fn ensure_bucket(&self, create: bool) -> Result<(), BlobError> {
        let head = self.client.head_bucket().bucket(&self.bucket).send().await;
        match head {
            Ok(_) => Ok(()),
            Err(err) if is_not_found(&err) && create => {
                let mut request = self.client.create_bucket().bucket(&self.bucket);
                let region = self.client.config().region().map(|r| r.as_ref().to_owned());
                if let Some(region) = region.filter(|r| r != "us-east-1") {
                    request = request.create_bucket_configuration(
                        aws_sdk_s3::types::CreateBucketConfiguration::builder()
                            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str()))
                            .build(),
                    );
                }
                match request.send().await {
                    Ok(_) => Ok(()),
                    // Another process created it first.
                    Err(err) if matches!(err.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => Ok(()),
                    Err(err) => Err(BlobError::backend("create bucket", sdk_error(err))),
                }
            }
            Err(err) if is_not_found(&err) => Err(BlobError::backend(
                "open",
                format!(
                    "bucket {:?} does not exist (set STREAMLENS_CREATE_RESOURCES=true to create it)",
                    self.bucket
                ),
            )),
            Err(err) => Err(BlobError::backend("open", sdk_error(err))),
        }
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn strip_prefix<'a>(&self, full: &'a str) -> Option<&'a str> {
        full.strip_prefix(self.prefix.as_str())
    }

    fn meta_from(
        &self,
        key: &BlobKey,
        size: Option<i64>,
        modified: Option<&aws_sdk_s3::primitives::DateTime>,
        metadata: Option<&std::collections::HashMap<String, String>>,
    ) -> Result<BlobMeta, BlobError> {
        let checksum = metadata
            .and_then(|m| m.get(CHECKSUM_META))
            .and_then(|hex| Checksum::from_hex(hex))
            .ok_or_else(|| BlobError::Corrupt {
                key: key.to_string(),
                reason: "no sha256 checksum recorded in the object's metadata".into(),
            })?;
        Ok(BlobMeta {
            key: key.clone(),
            size: size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
            checksum,
            modified: modified.map(to_chrono).unwrap_or_default(),
        })
    }
}

fn is_not_found<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            matches!(service.err().code(), Some("NotFound" | "NoSuchKey" | "NoSuchBucket"))
                || service.raw().status().as_u16() == 404
        }
        _ => false,
    }
}

/// The SDK's error with its full chain (code, message, request id), for logs.
fn sdk_error<E: std::error::Error + 'static>(err: E) -> String {
    aws_sdk_s3::error::DisplayErrorContext(err).to_string()
}

#[async_trait]
impl BlobStore for S3BlobStore {
    fn adapter(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<BlobMeta, BlobError> {
        let checksum = Checksum::of(&bytes);
        let size = bytes.len() as u64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key.as_str()))
            .metadata(CHECKSUM_META, checksum.to_hex())
            .checksum_sha256(base64::engine::general_purpose::STANDARD.encode(checksum.0))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| BlobError::backend("put", sdk_error(e)))?;
        Ok(BlobMeta {
            key: key.clone(),
            size,
            checksum,
            // PutObject does not return the modification time; the acknowledgement is within a second of it, and a
            // HEAD per write would double the requests.
            modified: chrono::Utc::now(),
        })
    }

    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key.as_str()))
            .send()
            .await
            .map_err(|e| {
                if is_not_found(&e) {
                    BlobError::NotFound(key.to_string())
                } else {
                    BlobError::backend("get", sdk_error(e))
                }
            })?;
        let meta = self.meta_from(key, output.content_length(), output.last_modified(), output.metadata())?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|e| BlobError::backend("get", e))?
            .into_bytes();
        let actual = Checksum::of(&bytes);
        if actual != meta.checksum {
            return Err(BlobError::Corrupt {
                key: key.to_string(),
                reason: format!("checksum {actual} does not match the recorded {}", meta.checksum),
            });
        }
        Ok(Blob {
            meta: BlobMeta {
                size: bytes.len() as u64,
                ..meta
            },
            bytes,
        })
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, BlobError> {
        let output = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key.as_str()))
            .send()
            .await;
        match output {
            Ok(output) => Ok(Some(self.meta_from(
                key,
                output.content_length(),
                output.last_modified(),
                output.metadata(),
            )?)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(BlobError::backend("head", sdk_error(e))),
        }
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<ListPage, BlobError> {
        let limit = check_list_args(prefix, start_after, limit)?;
        let mut request = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.full_key(prefix))
            .max_keys(i32::try_from(limit).unwrap_or(1000));
        if let Some(after) = start_after {
            request = request.start_after(self.full_key(after));
        }
        let output = request
            .send()
            .await
            .map_err(|e| BlobError::backend("list", sdk_error(e)))?;
        let mut entries = Vec::new();
        for object in output.contents() {
            let Some(key) = object.key().and_then(|k| self.strip_prefix(k)) else {
                continue;
            };
            // Objects written by other tools under keys this store would not accept are not blobs of this store.
            let Ok(key) = BlobKey::parse(key) else {
                continue;
            };
            entries.push(ListEntry {
                key,
                size: object.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                modified: object.last_modified().map(to_chrono).unwrap_or_default(),
            });
        }
        let truncated = output.is_truncated().unwrap_or(false);
        let next = if truncated {
            // Resume after the last key S3 returned, even if it was skipped above.
            output
                .contents()
                .last()
                .and_then(|o| o.key())
                .and_then(|k| self.strip_prefix(k))
                .map(str::to_owned)
        } else {
            None
        };
        Ok(ListPage { entries, next })
    }

    async fn copy(&self, from: &BlobKey, to: &BlobKey) -> Result<BlobMeta, BlobError> {
        let source = format!(
            "{}/{}",
            self.bucket,
            utf8_percent_encode(&self.full_key(from.as_str()), COPY_SOURCE)
        );
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(self.full_key(to.as_str()))
            .copy_source(source)
            .send()
            .await
            .map_err(|e| {
                if is_not_found(&e) {
                    BlobError::NotFound(from.to_string())
                } else {
                    BlobError::backend("copy", sdk_error(e))
                }
            })?;
        self.head(to).await?.ok_or_else(|| BlobError::NotFound(to.to_string()))
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key.as_str()))
            .send()
            .await
            .map_err(|e| BlobError::backend("delete", sdk_error(e)))?;
        Ok(())
    }
}
