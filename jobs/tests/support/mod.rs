//! Fixtures of the pipeline tests: a deployment on one of the backends, waiting for its queues to drain, and a
//! snapshot of everything the pipeline derived (rollups, rankings, broadcasts, and their metadata items) to compare
//! runs byte for byte.

#![allow(dead_code)]

pub mod golden;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use streamlens_domain::config::Config;
use streamlens_domain::ids::{ChannelId, GameId, Language, SourceId};
use streamlens_domain::rollup::{Filter, PeriodRollup, Rankings};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::BlobKey;
use streamlens_domain::storage::meta::keys::{self, RankingFilter, StatsOf};
use streamlens_domain::storage::meta::{Item, Key, Query};
use streamlens_jobs::admin;
use streamlens_jobs::ingest::pull::decompress;
use streamlens_jobs::jobs::register_all;
use streamlens_jobs::queue::worker::Registrar;
use streamlens_jobs::runtime::Runtime;
use streamlens_jobs::sources::registry::Sources;
use tokio_util::sync::CancellationToken;

/// Where a deployment keeps its data and queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Local files, SQLite metadata, SQLite queue.
    Embedded,
    /// S3 and DynamoDB (the moto server of `STREAMLENS_TEST_AWS_ENDPOINT`), SQLite queue.
    Aws,
    /// Local files, SQLite metadata, the Redis queue on 127.0.0.1:6379 under a namespace of its own.
    Redis,
}

/// A configured deployment with its stores open.
pub struct Deployment {
    pub runtime: Runtime,
    /// Width of the buckets day, week and month roll-ups are grouped in (one second unless a test sets it).
    pub rollup_bucket: chrono::Duration,
    pub sources: Arc<Sources>,
    /// The variables it was configured with, for worker processes.
    pub env: HashMap<String, String>,
    pub dir: tempfile::TempDir,
}

/// A simulator whose clock stands at 2026-11-26T00:00:30Z (every earlier slot is its past), with `channels`
/// channels and no practical rate limit.
pub async fn past_simulator(channels: usize) -> streamlens_jobs::simulator::SimulatorHandle {
    use streamlens_jobs::simulator::{self, SimulatorConfig, WorldConfig};
    simulator::spawn(
        SimulatorConfig {
            world: WorldConfig {
                channels,
                ..WorldConfig::default()
            },
            start: Some(golden::at("2026-11-26T00:00:30Z")),
            speed: 0.0001,
            rate_limit_per_minute: 100_000,
            ..SimulatorConfig::default()
        },
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("simulator")
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A deployment of one `history` source `id` at `base_url` with `slot_minutes`-long slots, plus `extra` variables.
pub async fn deploy(
    backend: Backend,
    id: &str,
    base_url: &str,
    slot_minutes: u32,
    extra: &[(&str, String)],
) -> Deployment {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("streamlens.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = \"{}\"\n[[source]]\nid = \"{id}\"\nkind = \"history\"\nbase_url = \"{base_url}\"\n\
             slot_minutes = {slot_minutes}\n",
            dir.path().join("data").display()
        ),
    )
    .expect("config file");
    let mut env = HashMap::from([
        ("STREAMLENS_CONFIG".to_owned(), config_path.display().to_string()),
        ("STREAMLENS_LOG".to_owned(), "warn".to_owned()),
    ]);
    match backend {
        Backend::Embedded => {}
        Backend::Aws => {
            let endpoint = std::env::var("STREAMLENS_TEST_AWS_ENDPOINT").expect(
                "STREAMLENS_TEST_AWS_ENDPOINT is not set: the S3 and DynamoDB tests need a local moto server. \
                 Run scripts/test.sh, which starts one.",
            );
            env.insert("STREAMLENS_AWS_ENDPOINT".into(), endpoint);
            env.insert("STREAMLENS_AWS_REGION".into(), "us-east-1".into());
            env.insert("STREAMLENS_CREATE_RESOURCES".into(), "true".into());
            env.insert(
                "STREAMLENS_BLOBS".into(),
                format!("s3://streamlens-pipeline/{}", unique("t")),
            );
            env.insert("STREAMLENS_META".into(), format!("dynamodb://{}", unique("t")));
        }
        Backend::Redis => {
            env.insert("STREAMLENS_QUEUE".into(), "redis://127.0.0.1:6379".into());
            env.insert("STREAMLENS_QUEUE_NAMESPACE".into(), unique("t"));
        }
    }
    for (name, value) in extra {
        env.insert((*name).to_owned(), value.clone());
    }
    let config = Config::from_env(&env).expect("config");
    let runtime = Runtime::start(config).await.expect("runtime");
    let sources = runtime.start_sources().await.expect("sources");
    Deployment {
        runtime,
        rollup_bucket: chrono::Duration::seconds(1),
        sources,
        env,
        dir,
    }
}

impl Deployment {
    /// The source `id`.
    pub fn source(&self, id: &str) -> Arc<streamlens_jobs::sources::registry::Source> {
        self.sources.get(&SourceId::parse(id).expect("id")).expect("source")
    }

    /// Runs in-process workers until `stop` is cancelled.
    pub fn workers(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let mut ctx = self.runtime.job_context(Arc::clone(&self.sources));
        ctx.pipeline.settings.rollup_bucket = self.rollup_bucket;
        tokio::spawn(async move {
            register_all(Registrar::new(ctx))
                .run(stop.cancelled_owned())
                .await
                .expect("workers");
        })
    }

    /// Deletes the deployment's Redis keys (queue, locks), when it has any.
    pub async fn forget_redis(&self) {
        let Some(namespace) = self.env.get("STREAMLENS_QUEUE_NAMESPACE") else {
            return;
        };
        let client = redis::Client::open("redis://127.0.0.1:6379").expect("redis");
        let mut connection = client.get_multiplexed_async_connection().await.expect("redis");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{namespace}:*"))
            .query_async(&mut connection)
            .await
            .expect("keys");
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut connection)
                .await
                .expect("del");
        }
    }

    /// Waits until no queue has work left (three looks in a row, 300 ms apart) and nothing is dead.
    pub async fn settle(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut quiet = 0;
        while quiet < 3 {
            let depths = admin::queue_depths(&self.runtime.queue).await.expect("depths");
            let backlog: u64 = depths.iter().map(|d| d.depth.backlog()).sum();
            let dead: u64 = depths.iter().map(|d| d.depth.dead).sum();
            assert_eq!(dead, 0, "dead jobs: {:?}", admin::dead_jobs(&self.runtime.queue).await);
            quiet = if backlog == 0 { quiet + 1 } else { 0 };
            assert!(Instant::now() < deadline, "queues still busy: {depths:?}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Backfills `[from, to)` of `source` and waits until every queue is drained, with in-process workers.
    pub async fn backfill_and_settle(
        &self,
        source: &str,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) {
        let stop = CancellationToken::new();
        let workers = self.workers(stop.clone());
        streamlens_jobs::backfill::pull_range(
            &self.runtime.storage,
            &self.runtime.queue,
            &self.source(source),
            from,
            to,
            |_| {},
        )
        .await
        .expect("backfill");
        self.settle(Duration::from_secs(2_700)).await;
        stop.cancel();
        workers.await.expect("workers");
    }
}

/// Every key under `prefix` of the blob store.
pub async fn blob_keys(storage: &Storage, prefix: &str) -> Vec<BlobKey> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = storage.blobs.list(prefix, after.as_deref(), 1000).await.expect("list");
        out.extend(page.entries.into_iter().map(|e| e.key));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

/// A JSON blob written by the pipeline, decompressed and parsed.
pub async fn read_blob<T: serde::de::DeserializeOwned>(storage: &Storage, key: &BlobKey) -> T {
    let blob = storage.blobs.get(key).await.expect("blob");
    serde_json::from_slice(&decompress(&blob.bytes).expect("zstd")).expect("json")
}

/// Every item of a table partition.
pub async fn partition(storage: &Storage, pk: String) -> Vec<Item> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = storage
            .meta
            .query(&Query::partition(pk.clone()).limit(1000).after(cursor.take()))
            .await
            .expect("query");
        out.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

/// What the pipeline derived for one source: blob contents by key, and metadata items (attributes and expiry,
/// not the write counter) by key.
#[derive(Debug, PartialEq)]
pub struct Derived {
    pub blobs: BTreeMap<String, Vec<u8>>,
    pub items: BTreeMap<Key, (Option<i64>, String)>,
}

impl Derived {
    /// The keys where two snapshots differ, for a readable failure.
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let blob_keys: BTreeSet<&String> = self.blobs.keys().chain(other.blobs.keys()).collect();
        for key in blob_keys {
            if self.blobs.get(key) != other.blobs.get(key) {
                out.push(format!("blob {key}"));
            }
        }
        let item_keys: BTreeSet<&Key> = self.items.keys().chain(other.items.keys()).collect();
        let mut shown = 0;
        for key in item_keys {
            let (mine, theirs) = (self.items.get(key), other.items.get(key));
            if mine != theirs {
                // The first few with both sides, the rest by key.
                if shown < 3 {
                    shown += 1;
                    out.push(format!("item {} / {}: {mine:?} vs {theirs:?}", key.pk, key.sk));
                } else {
                    out.push(format!("item {} / {}", key.pk, key.sk));
                }
            }
        }
        out
    }
}

/// Everything derived for `source`: every rollup, rankings and broadcasts blob, and the items read from them:
/// stats and minute items of every entity of every rollup, every ranking page, every channel's broadcasts and title
/// and game history.
pub async fn derived(storage: &Storage, source: &str) -> Derived {
    let source = SourceId::parse(source).expect("source");
    let mut blobs = BTreeMap::new();
    let mut items = BTreeMap::new();
    let mut keep = |item: Item| {
        let attrs = serde_json::to_string(&item.attrs).expect("attrs");
        items.insert(item.key, (item.expires_at, attrs));
    };
    let mut rollups = Vec::new();
    let mut rankings = Vec::new();
    for folder in ["rollups", "rankings", "broadcasts"] {
        for key in blob_keys(storage, &format!("{folder}/{source}/")).await {
            let blob = storage.blobs.get(&key).await.expect("blob");
            let json = decompress(&blob.bytes).expect("zstd");
            match folder {
                "rollups" => rollups.push(serde_json::from_slice::<PeriodRollup>(&json).expect("rollup")),
                "rankings" => {
                    let period = key
                        .as_str()
                        .rsplit('/')
                        .next()
                        .and_then(|name| name.strip_suffix(".json.zst"))
                        .and_then(|p| p.parse().ok())
                        .expect("period");
                    rankings.push((period, serde_json::from_slice::<Rankings>(&json).expect("rankings")));
                }
                _ => {}
            }
            blobs.insert(key.as_str().to_owned(), json);
        }
    }
    let mut channels: BTreeSet<ChannelId> = BTreeSet::new();
    for rollup in &rollups {
        let period = rollup.period;
        let mut wanted: Vec<Key> = Vec::new();
        for id in rollup.channels.keys() {
            channels.insert(id.clone());
            wanted.push(keys::stats(&source, StatsOf::Channel(id), period));
            wanted.push(keys::channel_minutes(&source, id, period));
        }
        let games: Vec<&GameId> = rollup.games.keys().collect();
        wanted.extend(games.iter().map(|g| keys::stats(&source, StatsOf::Game(g), period)));
        let languages: Vec<&Language> = rollup.languages.keys().collect();
        wanted.extend(
            languages
                .iter()
                .map(|l| keys::stats(&source, StatsOf::Language(l), period)),
        );
        wanted.push(keys::stats(&source, StatsOf::Platform, period));
        for key in wanted {
            if let Some(item) = storage.meta.get(&key).await.expect("get") {
                keep(item);
            }
        }
    }
    for (period, ranked) in &rankings {
        for list in &ranked.lists {
            let filter = match &list.filter {
                Filter::All => RankingFilter::All,
                Filter::Language(language) => RankingFilter::Language(language),
                Filter::Game(game) => RankingFilter::Game(game),
            };
            let pk = keys::ranking_partition(&source, list.ranked.key(), list.metric.key(), *period, filter);
            for item in partition(storage, pk).await {
                keep(item);
            }
        }
    }
    for id in &channels {
        for item in partition(storage, keys::broadcasts(&source, id)).await {
            keep(item);
        }
        for item in partition(storage, keys::channel_history(&source, id)).await {
            keep(item);
        }
    }
    Derived { blobs, items }
}
