//! The response cache of read-only GraphQL requests: an in-process L1 (moka) in front of an optional Redis L2 shared
//! by every replica.
//!
//! A response is cached under the SHA-256 of: the query with its whitespace collapsed, the operation name, the
//! variables, the caller's permission set (two callers who may see different fields never share an entry) and the
//! data version. The data version moves with every `SeriesReady` (to the series' finish time) and every
//! `RankingsUpdated` (day, week and month rollups follow their series) this process hears through the pub/sub port,
//! so every replica hears every worker: a new series changes the key, and a response computed before it is never
//! served after it. A mutation moves the version of the replica that ran it ([`ResponseCache::invalidate`]); entries
//! also expire after a TTL (30 s by default), which bounds what other replicas serve after another replica's
//! mutation. Only successful responses of queries are cached; mutations and subscriptions never. The same data
//! version ([`DataVersion`]) keys the decoded profiles and ranking pages of [`crate::graphql::entities`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::AsyncCommands as _;
use sha2::{Digest, Sha256};
use streamlens_jobs::notify::{Event, Notifier};

/// Hits and misses, by layer.
pub const CACHE_REQUESTS: &str = "streamlens_cache_requests_total";

/// The data version of a [`ResponseCache`]: it moves with every `SeriesReady` and `RankingsUpdated` this process
/// hears and with every mutation it runs.
#[derive(Debug, Clone, Default)]
pub struct DataVersion(Arc<AtomicI64>);

impl DataVersion {
    /// Now.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The cache.
#[derive(Clone)]
pub struct ResponseCache {
    l1: moka::sync::Cache<String, Bytes>,
    l2: Option<(redis::aio::ConnectionManager, String)>,
    version: Arc<AtomicI64>,
    ttl: Duration,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("redis", &self.l2.as_ref().map(|(_, prefix)| prefix))
            .field("version", &self.version.load(Ordering::Relaxed))
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl ResponseCache {
    /// An in-process cache of at most 32 MiB of responses (some ten thousand dashboard answers), kept `ttl`, versioned by the `SeriesReady` events of
    /// `notifier`.
    pub fn in_process(notifier: &Notifier, ttl: Duration) -> Self {
        let cache = Self {
            l1: moka::sync::Cache::builder()
                .max_capacity(32 << 20)
                .weigher(|k: &String, v: &Bytes| u32::try_from(k.len() + v.len()).unwrap_or(u32::MAX))
                .time_to_live(ttl)
                .build(),
            l2: None,
            version: Arc::new(AtomicI64::new(0)),
            ttl,
        };
        cache.follow(notifier);
        cache
    }

    /// The same, with Redis at `url` as a second layer shared by replicas (keys under `{namespace}:cache:`).
    pub async fn with_redis(self, url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let client = streamlens_jobs::queue::redis::client(url)?;
        let manager = redis::aio::ConnectionManager::new(client).await?;
        Ok(Self {
            l2: Some((manager, format!("{namespace}:cache:"))),
            ..self
        })
    }

    fn follow(&self, notifier: &Notifier) {
        let mut events = notifier.subscribe();
        let version = Arc::clone(&self.version);
        let l1 = self.l1.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(Event::SeriesReady { finished_at, .. }) => {
                        version.fetch_max(finished_at.timestamp_millis(), Ordering::Relaxed);
                    }
                    // Day, week and month rankings are recomputed after their series are ready.
                    Ok(Event::RankingsUpdated { .. }) => {
                        let now = chrono::Utc::now().timestamp_millis();
                        version.fetch_max(now.max(version.load(Ordering::Relaxed) + 1), Ordering::Relaxed);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        // Events were missed: start afresh.
                        l1.invalidate_all();
                        version.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Moves the data version past every response cached so far, and empties the in-process layer: what follows is
    /// computed afresh (after a mutation).
    pub fn invalidate(&self) {
        let now = chrono::Utc::now().timestamp_millis();
        self.version
            .fetch_max(now.max(self.version.load(Ordering::Relaxed) + 1), Ordering::Relaxed);
        self.l1.invalidate_all();
    }

    /// The data version responses are cached under now.
    pub fn version(&self) -> i64 {
        self.version.load(Ordering::Relaxed)
    }

    /// The data version, to key other caches of what the pipeline writes (it moves with this cache's).
    pub fn data_version(&self) -> DataVersion {
        DataVersion(Arc::clone(&self.version))
    }

    /// The key of a request.
    pub fn key(&self, query: &str, operation: Option<&str>, variables: &str, caller: &str) -> String {
        let normalized: Vec<&str> = query.split_whitespace().collect();
        let mut hash = Sha256::new();
        for part in [
            normalized.join(" ").as_str(),
            operation.unwrap_or(""),
            variables,
            caller,
            &self.version().to_string(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hex::encode(hash.finalize())
    }

    /// The cached response under `key` (shared, not copied).
    pub async fn get(&self, key: &str) -> Option<Bytes> {
        if let Some(hit) = self.l1.get(key) {
            metrics::counter!(CACHE_REQUESTS, "layer" => "memory", "outcome" => "hit").increment(1);
            return Some(hit);
        }
        metrics::counter!(CACHE_REQUESTS, "layer" => "memory", "outcome" => "miss").increment(1);
        let (manager, prefix) = self.l2.as_ref()?;
        let mut connection = manager.clone();
        match connection.get::<_, Option<Vec<u8>>>(format!("{prefix}{key}")).await {
            Ok(Some(bytes)) => {
                metrics::counter!(CACHE_REQUESTS, "layer" => "redis", "outcome" => "hit").increment(1);
                let bytes = Bytes::from(bytes);
                self.l1.insert(key.to_owned(), bytes.clone());
                Some(bytes)
            }
            Ok(None) => {
                metrics::counter!(CACHE_REQUESTS, "layer" => "redis", "outcome" => "miss").increment(1);
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the Redis response cache failed; answering without it");
                None
            }
        }
    }

    /// Caches `body` under `key`.
    pub async fn put(&self, key: &str, body: Bytes) {
        self.l1.insert(key.to_owned(), body.clone());
        if let Some((manager, prefix)) = &self.l2 {
            let mut connection = manager.clone();
            let stored: Result<(), _> = connection
                .set_ex(format!("{prefix}{key}"), &body[..], self.ttl.as_secs().max(1))
                .await;
            if let Err(error) = stored {
                tracing::warn!(%error, "the Redis response cache failed to store a response");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_series_changes_every_key() {
        let notifier = Notifier::in_process();
        let cache = ResponseCache::in_process(&notifier, Duration::from_secs(30));
        let before = cache.key("{ a }", None, "{}", "viewer");
        assert_eq!(
            before,
            cache.key("{\n  a\n}", None, "{}", "viewer"),
            "whitespace does not matter"
        );
        assert_ne!(before, cache.key("{ a }", None, "{}", "admin"), "callers do not share");
        cache.put(&before, Bytes::from_static(b"old")).await;
        assert!(cache.get(&before).await.is_some());
        let series = streamlens_domain::ids::SeriesId::parse("simulator:2026-11-26T11:27:00Z").unwrap();
        notifier
            .publish(Event::SeriesReady {
                source: series.source().clone(),
                slot: series.slot(),
                series,
                finished_at: chrono::Utc::now(),
                steps: Vec::new(),
            })
            .await;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while cache.key("{ a }", None, "{}", "viewer") == before {
            assert!(std::time::Instant::now() < deadline, "the version did not move");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let after = cache.key("{ a }", None, "{}", "viewer");
        assert!(cache.get(&after).await.is_none());
    }

    /// Needs Redis on 127.0.0.1:6379 (`scripts/test.sh` starts one).
    #[tokio::test]
    async fn replicas_share_answers_through_redis() {
        let namespace = format!("cache-test-{}", std::process::id());
        let notifier = Notifier::in_process();
        let url = "redis://127.0.0.1:6379";
        let one = ResponseCache::in_process(&notifier, Duration::from_secs(30))
            .with_redis(url, &namespace)
            .await
            .expect("Redis on 127.0.0.1:6379");
        let two = ResponseCache::in_process(&notifier, Duration::from_secs(30))
            .with_redis(url, &namespace)
            .await
            .unwrap();
        let key = one.key("{ sources { id } }", None, "{}", "viewer");
        assert_eq!(key, two.key("{ sources { id } }", None, "{}", "viewer"));
        assert!(two.get(&key).await.is_none());
        one.put(&key, Bytes::from_static(b"answer")).await;
        assert_eq!(two.get(&key).await.as_deref(), Some(&b"answer"[..]));
    }
}
