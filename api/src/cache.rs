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
//!
//! Subscriptions hear events from the cache ([`ResponseCache::events`]), after it has moved its data version for
//! them: a client told that a series is ready and asking at once is answered from the new data, never from an answer
//! cached before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use redis::AsyncCommands as _;
use sha2::{Digest, Sha256};
use streamlens_jobs::notify::{Event, Notifier};
use tokio::sync::broadcast;

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

/// The events a [`ResponseCache`] follows, each heard once the cache's data version has moved for it.
#[derive(Debug, Clone)]
pub struct AppliedEvents(broadcast::Sender<Event>);

impl AppliedEvents {
    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}

/// The key of a cached response: a SHA-256 digest, written in hex where it names a Redis key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey([u8; 32]);

impl std::fmt::Display for CacheKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// The cache.
#[derive(Clone)]
pub struct ResponseCache {
    l1: moka::sync::Cache<CacheKey, Bytes>,
    l2: Option<(redis::aio::ConnectionManager, String)>,
    version: Arc<AtomicI64>,
    ttl: Duration,
    counters: Counters,
    /// The events followed, sent on once the version has moved for them.
    applied: broadcast::Sender<Event>,
}

/// The cache's hit and miss counters, registered once: a `counter!` call looks its series up each time.
#[derive(Clone)]
struct Counters {
    memory_hit: metrics::Counter,
    memory_miss: metrics::Counter,
    redis_hit: metrics::Counter,
    redis_miss: metrics::Counter,
}

impl Counters {
    fn new() -> Self {
        Self {
            memory_hit: metrics::counter!(CACHE_REQUESTS, "layer" => "memory", "outcome" => "hit"),
            memory_miss: metrics::counter!(CACHE_REQUESTS, "layer" => "memory", "outcome" => "miss"),
            redis_hit: metrics::counter!(CACHE_REQUESTS, "layer" => "redis", "outcome" => "hit"),
            redis_miss: metrics::counter!(CACHE_REQUESTS, "layer" => "redis", "outcome" => "miss"),
        }
    }
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
    /// An in-process cache of at most 32 MiB of responses (some ten thousand dashboard answers), kept `ttl`, versioned
    /// by the `SeriesReady` events of `notifier`. Its counters go to the metrics recorder installed when it is made.
    pub fn in_process(notifier: &Notifier, ttl: Duration) -> Self {
        let cache = Self {
            l1: moka::sync::Cache::builder()
                .max_capacity(32 << 20)
                .weigher(|_: &CacheKey, v: &Bytes| u32::try_from(32 + v.len()).unwrap_or(u32::MAX))
                .time_to_live(ttl)
                .build(),
            l2: None,
            version: Arc::new(AtomicI64::new(0)),
            ttl,
            counters: Counters::new(),
            applied: broadcast::channel(1024).0,
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
        let applied = self.applied.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        match &event {
                            Event::SeriesReady { finished_at, .. } => {
                                version.fetch_max(finished_at.timestamp_millis(), Ordering::Relaxed);
                            }
                            // Day, week and month rankings are recomputed after their series are ready.
                            Event::RankingsUpdated { .. } => {
                                let now = chrono::Utc::now().timestamp_millis();
                                version.fetch_max(now.max(version.load(Ordering::Relaxed) + 1), Ordering::Relaxed);
                            }
                        }
                        // No subscriber is not an error.
                        let _ = applied.send(event);
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

    /// The events of the notifier this cache follows, each sent on once the data version has moved for it.
    pub fn events(&self) -> AppliedEvents {
        AppliedEvents(self.applied.clone())
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

    /// The key of a request: the SHA-256 of the query as [`hash_normalized`] reads it, the operation name, the
    /// variables, the caller's scope and the data version (each of the four preceded by its length).
    pub fn key(&self, query: &str, operation: Option<&str>, variables: &str, caller: &str) -> CacheKey {
        let mut hash = Sha256::new();
        hash_normalized(&mut hash, query);
        let version = self.version().to_string();
        for part in [operation.unwrap_or(""), variables, caller, &version] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        CacheKey(hash.finalize().into())
    }

    /// The cached response under `key` (shared, not copied).
    pub async fn get(&self, key: &CacheKey) -> Option<Bytes> {
        if let Some(hit) = self.l1.get(key) {
            self.counters.memory_hit.increment(1);
            return Some(hit);
        }
        self.counters.memory_miss.increment(1);
        let (manager, prefix) = self.l2.as_ref()?;
        let mut connection = manager.clone();
        match connection.get::<_, Option<Vec<u8>>>(format!("{prefix}{key}")).await {
            Ok(Some(bytes)) => {
                self.counters.redis_hit.increment(1);
                let bytes = Bytes::from(bytes);
                self.l1.insert(*key, bytes.clone());
                Some(bytes)
            }
            Ok(None) => {
                self.counters.redis_miss.increment(1);
                None
            }
            Err(error) => {
                tracing::warn!(%error, "the Redis response cache failed; answering without it");
                None
            }
        }
    }

    /// Caches `body` under `key`.
    pub async fn put(&self, key: &CacheKey, body: Bytes) {
        self.l1.insert(*key, body.clone());
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

/// Feeds `query` to `hash` with GraphQL's insignificant characters collapsed: each run of spaces, tabs, line ends
/// and commas outside string literals counts as one space (none at the ends), so two layouts of the same document
/// share a key; string literals (`"…"` and block strings `"""…"""`) and comments are read as written, since the
/// whitespace of a string is its value. The text is passed on in runs, not byte by byte, and ends with a byte no UTF-8 text holds.
fn hash_normalized(hash: &mut Sha256, query: &str) {
    let bytes = query.as_bytes();
    let insignificant = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b',');
    let mut i = 0;
    // Where the text not yet fed to the hash starts, and whether a space stands before it.
    let mut run = 0;
    let mut space = false;
    while i < bytes.len() {
        let b = bytes[i];
        if insignificant(b) {
            if run < i {
                hash.update(&bytes[run..i]);
                space = true;
            }
            while i < bytes.len() && insignificant(bytes[i]) {
                i += 1;
            }
            run = i;
            continue;
        }
        if run == i && space {
            hash.update(b" ");
            space = false;
        }
        if b == b'#' {
            // A comment runs to the end of its line; a quote in it opens no string.
            while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                i += 1;
            }
            continue;
        }
        if b == b'"' {
            i = if bytes[i..].starts_with(b"\"\"\"") {
                // A block string ends at the first `"""` not escaped as `\"""`.
                let mut j = i + 3;
                while j < bytes.len() && !(bytes[j..].starts_with(b"\"\"\"") && bytes[j - 1] != b'\\') {
                    j += 1;
                }
                (j + 3).min(bytes.len())
            } else {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                (j + 1).min(bytes.len())
            };
            continue;
        }
        i += 1;
    }
    if run < bytes.len() {
        hash.update(&bytes[run..]);
    }
    hash.update([0xff]);
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

    #[tokio::test]
    async fn subscribers_hear_an_event_after_the_version_has_moved_for_it() {
        let notifier = Notifier::in_process();
        let cache = ResponseCache::in_process(&notifier, Duration::from_secs(30));
        let mut heard = cache.events().subscribe();
        // A subscriber of the notifier itself, as subscriptions were: it may hear first.
        let mut raw = notifier.subscribe();
        for minute in 0..50 {
            let series = streamlens_domain::ids::SeriesId::parse(&format!("simulator:2026-11-26T11:{minute:02}:00Z"))
                .expect("a series id");
            let finished_at = chrono::Utc::now() + chrono::Duration::seconds(minute);
            notifier
                .publish(Event::SeriesReady {
                    source: series.source().clone(),
                    slot: series.slot(),
                    series: series.clone(),
                    finished_at,
                    steps: Vec::new(),
                })
                .await;
            raw.recv().await.expect("the notifier's event");
            let Ok(Event::SeriesReady { series: got, .. }) = heard.recv().await else {
                panic!("the applied event");
            };
            assert_eq!(got, series);
            assert!(
                cache.version() >= finished_at.timestamp_millis(),
                "heard before the version moved"
            );
        }
    }

    /// Needs Redis on 127.0.0.1:6379 (`scripts/test.sh` starts one).
    fn normalized(query: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash_normalized(&mut hash, query);
        hash.finalize().into()
    }

    #[test]
    fn layouts_of_one_document_share_a_key_and_string_literals_keep_their_whitespace() {
        let one_line =
            r#"query($n: Int) { channels(filter: {search: "ab  c"}, first: $n) { edges { node { login } } } }"#;
        let laid_out = "query($n: Int) {\n  channels(filter: {search: \"ab  c\"}, first: $n) {\n\tedges { node { login } }\n  }\n}\n";
        assert_eq!(normalized(one_line), normalized(laid_out));
        assert_eq!(
            normalized("{ a b }"),
            normalized("  { a,  b }  "),
            "commas are insignificant"
        );
        assert_ne!(normalized("{ a b }"), normalized("{ ab }"));
        assert_ne!(
            normalized(r#"{ channels(filter: {search: "ab  c"}) { totalCount } }"#),
            normalized(r#"{ channels(filter: {search: "ab c"}) { totalCount } }"#),
            "whitespace inside a string is its value"
        );
        assert_ne!(
            normalized(r#"{ f(s: "a \" b") }"#),
            normalized(r#"{ f(s: "a \"b") }"#),
            "an escaped quote does not end the string"
        );
        assert_ne!(
            normalized("{ f(s: \"\"\"a  \\\"\"\" b\"\"\") }"),
            normalized("{ f(s: \"\"\"a \\\"\"\" b\"\"\") }"),
            "a block string keeps its whitespace up to its unescaped end"
        );
        assert_eq!(normalized("{ a }"), normalized("\n{ a }\n"), "nor at the ends");
        assert_ne!(
            normalized("{ a # it's \"quoted\n f(s: \"x  y\") }"),
            normalized("{ a # it's \"quoted\n f(s: \"x y\") }"),
            "a quote in a comment opens no string"
        );
    }

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
