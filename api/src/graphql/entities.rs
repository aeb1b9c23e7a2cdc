//! What the pipeline writes and almost every query reads (channel and game profiles, ranking pages), decoded and kept
//! in memory under the data version of the response cache ([`crate::cache::DataVersion`]).
//!
//! The response cache answers a query asked before; this one serves the parts that different queries share: the
//! ranking of another instant of the same day, another filter naming the same channels, another page. These items
//! change only when a series is processed, and a processed series moves the data version (`SeriesReady`,
//! `RankingsUpdated`, heard by every replica through the pub/sub port), so an entry read under one version is not
//! used under the next: a new series never serves stale profiles or rankings, exactly as for cached responses.
//! Entries also expire after the response cache's TTL, which bounds what a replica that missed an event serves.
//! Items that change otherwise (users, series status, runs) are never read through here.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use streamlens_domain::storage::meta::{Key, MetaError, MetaStore};

use crate::cache::DataVersion;

/// The most this cache holds, by an estimate of the decoded values' size.
pub const ENTITY_CACHE_BYTES: u64 = 16 << 20;

type Entry = Arc<dyn Any + Send + Sync>;

/// Decoded items by (data version, key); a missing item is remembered as missing.
#[derive(Clone)]
pub struct EntityCache {
    version: DataVersion,
    entries: moka::sync::Cache<(i64, Key), (Entry, u32)>,
}

impl std::fmt::Debug for EntityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityCache")
            .field("version", &self.version.get())
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

/// A rough size of an item decoded: its strings plus a fixed cost a node.
fn weight_of(fields: &Map<String, Value>) -> usize {
    fn weight(value: &Value) -> usize {
        match value {
            Value::String(s) => 24 + s.len(),
            Value::Array(items) => 24 + items.iter().map(weight).sum::<usize>(),
            Value::Object(fields) => weight_of(fields),
            _ => 16,
        }
    }
    24 + fields.iter().map(|(k, v)| k.len() + weight(v)).sum::<usize>()
}

impl EntityCache {
    /// Entries under `version`, each kept at most `ttl`.
    pub fn new(version: DataVersion, ttl: Duration) -> Self {
        Self {
            version,
            entries: moka::sync::Cache::builder()
                .max_capacity(ENTITY_CACHE_BYTES)
                .weigher(|(_, key): &(i64, Key), (_, size): &(Entry, u32)| {
                    size.saturating_add(u32::try_from(key.pk.len() + key.sk.len()).unwrap_or(u32::MAX))
                })
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The items under `keys` (in order), decoded as `T`; `None` for an item that is missing or does not decode as
    /// `T`. Those not cached under the current data version are read in one `get_many`.
    pub async fn get_many<T>(&self, meta: &dyn MetaStore, keys: &[Key]) -> Result<Vec<Option<Arc<T>>>, MetaError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        // The version before the read: an item read now is at least as new as this version's data.
        let version = self.version.get();
        let mut found: Vec<Option<Option<Arc<T>>>> = keys
            .iter()
            .map(|key| {
                let (entry, _) = self.entries.get(&(version, key.clone()))?;
                entry.downcast_ref::<Option<Arc<T>>>().cloned()
            })
            .collect();
        let missing: Vec<Key> = keys
            .iter()
            .zip(&found)
            .filter(|(_, hit)| hit.is_none())
            .map(|(key, _)| key.clone())
            .collect();
        if !missing.is_empty() {
            let items = match missing.as_slice() {
                [key] => vec![meta.get(key).await?],
                keys => meta.get_many(keys).await?,
            };
            let mut read = missing.into_iter().zip(items);
            for slot in found.iter_mut().filter(|hit| hit.is_none()) {
                let Some((key, item)) = read.next() else { break };
                let size = item.as_ref().map_or(16, |i| weight_of(&i.attrs));
                let value: Option<Arc<T>> = item.and_then(|i| i.decode().ok()).map(Arc::new);
                let entry: Entry = Arc::new(value.clone());
                self.entries
                    .insert((version, key), (entry, u32::try_from(size).unwrap_or(u32::MAX)));
                *slot = Some(value);
            }
        }
        Ok(found.into_iter().map(Option::flatten).collect())
    }

    /// The item under `key`, decoded as `T` (see [`Self::get_many`]).
    pub async fn get<T>(&self, meta: &dyn MetaStore, key: &Key) -> Result<Option<Arc<T>>, MetaError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        Ok(self.get_many(meta, std::slice::from_ref(key)).await?.pop().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ResponseCache;
    use serde::Deserialize;
    use streamlens_domain::storage::meta::{Condition, Item, sqlite::SqliteMetaStore};
    use streamlens_jobs::notify::Notifier;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Named {
        name: String,
    }

    #[tokio::test]
    async fn an_entry_serves_its_data_version_only() {
        let dir = tempfile::tempdir().unwrap();
        let meta = SqliteMetaStore::open(dir.path().join("meta.db")).await.unwrap();
        let responses = ResponseCache::in_process(&Notifier::in_process(), Duration::from_secs(30));
        let entities = EntityCache::new(responses.data_version(), Duration::from_secs(30));
        let key = Key::new("CHANNEL#1", "PROFILE");
        let absent = Key::new("CHANNEL#2", "PROFILE");
        meta.put(Item::new(key.clone()).with("name", "before"), Condition::None)
            .await
            .unwrap();

        let read = entities
            .get_many::<Named>(&meta, &[key.clone(), absent.clone()])
            .await
            .unwrap();
        assert_eq!(read[0].as_deref(), Some(&Named { name: "before".into() }));
        assert_eq!(read[1], None);

        // Rewritten in the store: the same data version still serves what it read.
        meta.put(Item::new(key.clone()).with("name", "after"), Condition::None)
            .await
            .unwrap();
        meta.put(Item::new(absent.clone()).with("name", "new"), Condition::None)
            .await
            .unwrap();
        let cached = entities
            .get_many::<Named>(&meta, &[key.clone(), absent.clone()])
            .await
            .unwrap();
        assert_eq!(cached[0].as_deref(), Some(&Named { name: "before".into() }));
        assert_eq!(cached[1], None, "a missing item is remembered as missing");

        // The version moves (a new series, or a mutation here): everything is read again.
        responses.invalidate();
        let fresh = entities.get_many::<Named>(&meta, &[key.clone(), absent]).await.unwrap();
        assert_eq!(fresh[0].as_deref(), Some(&Named { name: "after".into() }));
        assert_eq!(fresh[1].as_deref(), Some(&Named { name: "new".into() }));

        // An item that does not decode as asked is `None`, not an error.
        #[derive(Debug, Deserialize)]
        struct Numbered {
            #[allow(dead_code)]
            number: u64,
        }
        assert!(entities.get::<Numbered>(&meta, &key).await.unwrap().is_none());
    }
}
