//! One blob store made of several: each area of the [layout](super::layout) may live in its own store (on AWS, its
//! own bucket with its own lifecycle: raw pages kept and moved to colder storage, series data expiring, clean outputs
//! kept warm).
//!
//! | area | key prefixes | setting |
//! |---|---|---|
//! | raw | `raw/`, `quarantine/` | `STREAMLENS_BLOBS_RAW` |
//! | series | `series/` | `STREAMLENS_BLOBS_SERIES` |
//! | clean | `clean/`, `rollups/`, `rankings/`, `broadcasts/` | `STREAMLENS_BLOBS_CLEAN` |
//!
//! Every other key, and every area without a store of its own, goes to the default store (`STREAMLENS_BLOBS`). A
//! key lives in exactly one store, so a listing whose prefix names no single area merges the stores' listings.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::{Blob, BlobError, BlobKey, BlobMeta, BlobStore, ListPage, check_list_args};

/// The areas of the blob store that can have a store of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BlobArea {
    /// Pages as received and quarantined pages.
    Raw,
    /// Series data.
    Series,
    /// The pipeline's outputs: clean step outputs, rollups, rankings, broadcasts.
    Clean,
}

impl BlobArea {
    /// Every area.
    pub const ALL: [Self; 3] = [Self::Raw, Self::Series, Self::Clean];

    /// The area a key's first segment belongs to, if any.
    pub fn of_segment(segment: &str) -> Option<Self> {
        match segment {
            "raw" | "quarantine" => Some(Self::Raw),
            "series" => Some(Self::Series),
            "clean" | "rollups" | "rankings" | "broadcasts" => Some(Self::Clean),
            _ => None,
        }
    }

    /// The area's name in settings and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Series => "series",
            Self::Clean => "clean",
        }
    }
}

/// A blob store that sends each key to the store of its area.
pub struct AreaBlobStore {
    default: Arc<dyn BlobStore>,
    areas: Vec<(BlobArea, Arc<dyn BlobStore>)>,
}

impl fmt::Debug for AreaBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AreaBlobStore")
            .field("default", &self.default)
            .field("areas", &self.areas)
            .finish()
    }
}

impl AreaBlobStore {
    /// Keys of the given areas go to their stores, every other key to `default`.
    pub fn new(default: Arc<dyn BlobStore>, areas: impl IntoIterator<Item = (BlobArea, Arc<dyn BlobStore>)>) -> Self {
        Self {
            default,
            areas: areas.into_iter().collect(),
        }
    }

    fn store_of_area(&self, area: Option<BlobArea>) -> &Arc<dyn BlobStore> {
        area.and_then(|area| self.areas.iter().find(|(a, _)| *a == area).map(|(_, s)| s))
            .unwrap_or(&self.default)
    }

    fn store_for(&self, key: &str) -> &Arc<dyn BlobStore> {
        let first = key.split('/').next().unwrap_or(key);
        self.store_of_area(BlobArea::of_segment(first))
    }

    /// The distinct stores (by identity).
    fn stores(&self) -> Vec<&Arc<dyn BlobStore>> {
        let mut stores: Vec<&Arc<dyn BlobStore>> = vec![&self.default];
        for (_, store) in &self.areas {
            if !stores.iter().any(|s| Arc::ptr_eq(s, store)) {
                stores.push(store);
            }
        }
        stores
    }

    /// The stores that may hold keys starting with `prefix`: one when the prefix names its first segment whole.
    fn stores_under(&self, prefix: &str) -> Vec<&Arc<dyn BlobStore>> {
        match prefix.split_once('/') {
            Some((first, _)) => vec![self.store_for(first)],
            None => self.stores(),
        }
    }
}

#[async_trait]
impl BlobStore for AreaBlobStore {
    fn adapter(&self) -> &'static str {
        "areas"
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<BlobMeta, BlobError> {
        self.store_for(key.as_str()).put(key, bytes).await
    }

    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError> {
        self.store_for(key.as_str()).get(key).await
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, BlobError> {
        self.store_for(key.as_str()).head(key).await
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<ListPage, BlobError> {
        let limit = check_list_args(prefix, start_after, limit)?;
        let stores = self.stores_under(prefix);
        if let [store] = stores.as_slice() {
            return store.list(prefix, start_after, limit).await;
        }
        // Each store's first `limit` keys after the cursor, merged: the first `limit` of the union are among them.
        let pages = futures::future::try_join_all(stores.iter().map(|s| s.list(prefix, start_after, limit))).await?;
        let more = pages.iter().any(|p| p.next.is_some());
        let mut entries: Vec<_> = pages.into_iter().flat_map(|p| p.entries).collect();
        entries.sort_by(|a, b| a.key.as_str().as_bytes().cmp(b.key.as_str().as_bytes()));
        let cut = entries.len() > limit;
        entries.truncate(limit);
        let next = match cut || more {
            true => entries.last().map(|e| e.key.to_string()),
            false => None,
        };
        Ok(ListPage { entries, next })
    }

    async fn copy(&self, from: &BlobKey, to: &BlobKey) -> Result<BlobMeta, BlobError> {
        let (source, target) = (self.store_for(from.as_str()), self.store_for(to.as_str()));
        if Arc::ptr_eq(source, target) {
            return source.copy(from, to).await;
        }
        let blob = source.get(from).await?;
        target.put(to, blob.bytes).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.store_for(key.as_str()).delete(key).await
    }

    async fn check(&self) -> Result<(), BlobError> {
        futures::future::try_join_all(self.stores().into_iter().map(|s| s.check())).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::blob::files::FileBlobStore;

    #[tokio::test]
    async fn each_area_goes_to_its_store_and_listings_merge() {
        let dir = tempfile::tempdir().unwrap();
        let open = |name: &str| {
            let path = dir.path().join(name);
            async move { Arc::new(FileBlobStore::open(path).await.unwrap()) as Arc<dyn BlobStore> }
        };
        let (default, raw, clean) = (open("default").await, open("raw").await, open("clean").await);
        let store = AreaBlobStore::new(
            default.clone(),
            [(BlobArea::Raw, raw.clone()), (BlobArea::Clean, clean.clone())],
        );
        for k in ["raw/a", "quarantine/b", "series/c", "clean/d", "rankings/e", "other/f"] {
            store
                .put(&BlobKey::parse(k).unwrap(), Bytes::from_static(b"x"))
                .await
                .unwrap();
        }
        let keys = |page: ListPage| page.entries.into_iter().map(|e| e.key.to_string()).collect::<Vec<_>>();
        assert_eq!(keys(raw.list("", None, 10).await.unwrap()), ["quarantine/b", "raw/a"]);
        assert_eq!(keys(clean.list("", None, 10).await.unwrap()), ["clean/d", "rankings/e"]);
        assert_eq!(keys(default.list("", None, 10).await.unwrap()), ["other/f", "series/c"]);

        let first = store.list("", None, 4).await.unwrap();
        assert_eq!(first.next.as_deref(), Some("rankings/e"));
        assert_eq!(keys(first), ["clean/d", "other/f", "quarantine/b", "rankings/e"]);
        let rest = store.list("", Some("rankings/e"), 4).await.unwrap();
        assert_eq!(rest.next, None);
        assert_eq!(keys(rest), ["raw/a", "series/c"]);
        assert_eq!(keys(store.list("r", None, 10).await.unwrap()), ["rankings/e", "raw/a"]);

        // A copy across areas moves the bytes between stores.
        let from = BlobKey::parse("raw/a").unwrap();
        let to = BlobKey::parse("series/a").unwrap();
        store.copy(&from, &to).await.unwrap();
        assert!(default.head(&to).await.unwrap().is_some());
        store.check().await.unwrap();
    }
}
