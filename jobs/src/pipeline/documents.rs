//! The pipeline's stored documents (JSON, zstd, in the blob store) and an in-process cache of their decoded values.
//!
//! Each series reads documents that the series before it has just written or read: its hour's rollup (in the
//! `rollups`, `rankings` and `broadcasts` steps), the previous hour's rankings and broadcasts, the previous slot's
//! `channels` output, every slot's facts when an hour is recomputed. Decoding them is most of the work of a step, so
//! decoded values are kept, keyed by blob key, with the checksum of the bytes they were read from or written as. A
//! cached value is used only while the store reports that same checksum for the key (`head`: a file's header, an
//! S3 `HEAD`), so a document another worker or process has rewritten since is read again: the cache never serves
//! anything but the stored content.
//!
//! The cache is bounded by the JSON size of what it holds ([`DOCUMENT_CACHE_BYTES`]).

use std::any::Any;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use streamlens_domain::storage::blob::{BlobError, BlobKey, BlobStore, Checksum};

use super::PipelineError;
use crate::ingest::IngestError;
use crate::ingest::pull::decompress;

/// How much the document cache may hold, counted in bytes of JSON.
pub const DOCUMENT_CACHE_BYTES: u64 = 24 << 20;

/// The zstd level of documents: the fastest, as they are rewritten with every series and can be recomputed from the
/// raw data (raw pages, written once and kept, use a higher one).
const LEVEL: i32 = 1;

#[derive(Clone)]
struct Entry {
    checksum: Checksum,
    json_bytes: u32,
    value: Arc<dyn Any + Send + Sync>,
}

/// Stored documents, read and written through a cache of decoded values.
#[derive(Clone)]
pub struct Documents {
    cache: moka::sync::Cache<String, Entry>,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Documents")
            .field("entries", &self.cache.entry_count())
            .field("weighted_size", &self.cache.weighted_size())
            .finish()
    }
}

impl Default for Documents {
    fn default() -> Self {
        Self::new(DOCUMENT_CACHE_BYTES)
    }
}

impl Documents {
    /// A cache holding up to `max_json_bytes` of documents (0: nothing is kept).
    pub fn new(max_json_bytes: u64) -> Self {
        Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(max_json_bytes)
                .weigher(|_key: &String, entry: &Entry| entry.json_bytes)
                .build(),
        }
    }

    /// The document under `key`, `None` if there is none.
    pub async fn read<T>(&self, blobs: &dyn BlobStore, key: &BlobKey) -> Result<Option<Arc<T>>, PipelineError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        if let Some(entry) = self.cache.get(key.as_str()) {
            match blobs.head(key).await? {
                None => {
                    self.cache.invalidate(key.as_str());
                    return Ok(None);
                }
                Some(meta) if meta.checksum == entry.checksum => {
                    if let Ok(value) = entry.value.downcast::<T>() {
                        return Ok(Some(value));
                    }
                }
                Some(_) => {}
            }
        }
        let blob = match blobs.get(key).await {
            Ok(blob) => blob,
            Err(BlobError::NotFound(_)) => {
                self.cache.invalidate(key.as_str());
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let json = decompress(&blob.bytes)?;
        let value: T = serde_json::from_slice(&json).map_err(|e| PipelineError::Corrupt(format!("{key}: {e}")))?;
        let value = Arc::new(value);
        self.keep(key, blob.meta.checksum, json.len(), value.clone());
        Ok(Some(value))
    }

    /// Stores `value` under `key` (replacing what is there) and keeps it.
    pub async fn write<T>(&self, blobs: &dyn BlobStore, key: &BlobKey, value: T) -> Result<Arc<T>, PipelineError>
    where
        T: Serialize + Send + Sync + 'static,
    {
        self.put(blobs, key, value, true).await
    }

    /// Stores `value` under `key` without keeping it: for documents other series do not read (a step's output that
    /// only its own run's later steps use, which they get from memory).
    pub async fn write_only<T>(&self, blobs: &dyn BlobStore, key: &BlobKey, value: T) -> Result<Arc<T>, PipelineError>
    where
        T: Serialize + Send + Sync + 'static,
    {
        self.put(blobs, key, value, false).await
    }

    async fn put<T>(&self, blobs: &dyn BlobStore, key: &BlobKey, value: T, keep: bool) -> Result<Arc<T>, PipelineError>
    where
        T: Serialize + Send + Sync + 'static,
    {
        let json = serde_json::to_vec(&value).map_err(|e| PipelineError::Corrupt(format!("{key}: {e}")))?;
        let compressed = zstd::bulk::compress(&json, LEVEL).map_err(IngestError::compression)?;
        let meta = match blobs.put(key, compressed.into()).await {
            Ok(meta) => meta,
            Err(e) => {
                // The object may or may not have been replaced: whatever is cached is no longer known to be current.
                self.cache.invalidate(key.as_str());
                return Err(e.into());
            }
        };
        let value = Arc::new(value);
        if keep {
            self.keep(key, meta.checksum, json.len(), value.clone());
        } else {
            self.cache.invalidate(key.as_str());
        }
        Ok(value)
    }

    fn keep(&self, key: &BlobKey, checksum: Checksum, json_bytes: usize, value: Arc<dyn Any + Send + Sync>) {
        let entry = Entry {
            checksum,
            json_bytes: u32::try_from(json_bytes).unwrap_or(u32::MAX),
            value,
        };
        self.cache.insert(key.as_str().to_owned(), entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamlens_domain::storage::blob::files::FileBlobStore;

    fn key(text: &str) -> BlobKey {
        BlobKey::parse(text).unwrap()
    }

    #[tokio::test]
    async fn a_document_rewritten_elsewhere_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::open(dir.path()).await.unwrap();
        let documents = Documents::default();
        let other = Documents::default();
        let k = key("rollups/sim/hour/x.json.zst");
        assert!(documents.read::<Vec<u32>>(&store, &k).await.unwrap().is_none());
        documents.write(&store, &k, vec![1u32, 2]).await.unwrap();
        assert_eq!(*documents.read::<Vec<u32>>(&store, &k).await.unwrap().unwrap(), [1, 2]);
        // Another process (its own cache) replaces it: the first cache's value is stale and not served.
        other.write(&store, &k, vec![3u32]).await.unwrap();
        assert_eq!(*documents.read::<Vec<u32>>(&store, &k).await.unwrap().unwrap(), [3]);
        store.delete(&k).await.unwrap();
        assert!(documents.read::<Vec<u32>>(&store, &k).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_value_written_is_served_from_memory_while_the_checksum_holds() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::open(dir.path()).await.unwrap();
        let documents = Documents::default();
        let k = key("clean/x.json.zst");
        let written = documents.write(&store, &k, vec![7u32]).await.unwrap();
        let read = documents.read::<Vec<u32>>(&store, &k).await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&written, &read));
        // Asked as another type: decoded from the bytes (and an error when they do not fit it).
        assert!(documents.read::<String>(&store, &k).await.is_err());
    }
}
