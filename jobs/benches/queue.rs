//! Jobs per second through the Redis queue (127.0.0.1:6379), one worker process at the default concurrency (8).
//!
//! Run with `scripts/bench.sh queue` (or `cargo bench -p streamlens-jobs --bench queue`); `docs/BENCHMARKS.md` has
//! the figures.
//!
//! - no-op: 50,000 jobs whose handler does nothing, pushed in one `push_all`, then worked off;
//! - StartSeries: a simulated day (1,440 slots, 2,000 channels) pulled from the simulator's history, then its 1,440
//!   StartSeries jobs worked off, each reading its page, writing its series data and record (local files, SQLite).

#![allow(clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use streamlens_domain::config::{QueueUrl, SimulatorSettings, SourceConfig, SourceKind};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::Trigger;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_jobs::ingest::pull::{PullRequest, pull};
use streamlens_jobs::jobs::{Job, JobContext, JobError, StartSeries};
use streamlens_jobs::notify::Notifier;
use streamlens_jobs::pipeline::locks::Locks;
use streamlens_jobs::queue::worker::Registrar;
use streamlens_jobs::queue::{Queue, QueueSettings};
use streamlens_jobs::simulator::{self, SimulatorConfig, WorldConfig};
use streamlens_jobs::sources::registry::Sources;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Noop(u32);

impl Job for Noop {
    const QUEUE: &'static str = "bench-noop";
    const MAX_ATTEMPTS: usize = 1;

    fn idempotency_key(&self) -> Option<String> {
        None
    }

    async fn run(self, _ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        Ok(())
    }
}

async fn context(dir: &std::path::Path, namespace: &str, sources: Arc<Sources>) -> JobContext {
    let storage = Storage {
        blobs: Arc::new(FileBlobStore::open(dir.join("blobs")).await.expect("blobs")),
        meta: Arc::new(SqliteMetaStore::open(dir.join("meta.sqlite")).await.expect("meta")),
    };
    let settings = QueueSettings {
        namespace: namespace.to_owned(),
        ..QueueSettings::default()
    };
    let queue = Queue::connect(&QueueUrl::Redis("redis://127.0.0.1:6379".into()), settings)
        .await
        .expect("redis");
    JobContext::new(storage, queue, sources, Locks::local(), Notifier::in_process())
}

/// Works off the queue; returns the time until `done` jobs of `J` are done.
async fn work<J: Job>(ctx: &JobContext, done: u64) -> Duration {
    let stop = CancellationToken::new();
    let registrar = Registrar::new(ctx.clone()).add::<J>();
    let restarts = registrar.restarts();
    let started = Instant::now();
    let workers = tokio::spawn(registrar.run(stop.clone().cancelled_owned()));
    while ctx.queue.depth::<J>().await.expect("depth").done < done {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    stop.cancel();
    workers.await.expect("join").expect("workers");
    assert_eq!(restarts.load(std::sync::atomic::Ordering::Relaxed), 0);
    elapsed
}

async fn cleanup(namespace: &str) {
    let mut connection = streamlens_jobs::queue::redis::connect("redis://127.0.0.1:6379")
        .await
        .expect("redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{namespace}:*"))
        .query_async(&mut connection)
        .await
        .expect("keys");
    if !keys.is_empty() {
        let _: u64 = redis::cmd("UNLINK")
            .arg(&keys)
            .query_async(&mut connection)
            .await
            .expect("unlink");
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

#[tokio::main]
async fn main() {
    let none = Arc::new(
        Sources::start(
            &[],
            SimulatorSettings {
                seed: 1,
                channels: 1,
                speed: 1.0,
            },
        )
        .await
        .expect("sources"),
    );
    println!(
        "Redis queue, one worker process, concurrency {}",
        QueueSettings::default().concurrency
    );

    for run in 0..3 {
        let dir = tempfile::tempdir().expect("dir");
        let namespace = format!("bench{}", uuid::Uuid::new_v4().simple());
        let ctx = context(dir.path(), &namespace, Arc::clone(&none)).await;
        let started = Instant::now();
        ctx.queue.push_all((0..50_000).map(Noop).collect()).await.expect("push");
        let pushed = started.elapsed();
        let worked = work::<Noop>(&ctx, 50_000).await;
        println!(
            "  no-op, run {}: pushed 50,000 in {:.2} s ({:.0} jobs/s); worked off in {:.2} s ({:.0} jobs/s)",
            run + 1,
            pushed.as_secs_f64(),
            50_000.0 / pushed.as_secs_f64(),
            worked.as_secs_f64(),
            50_000.0 / worked.as_secs_f64()
        );
        cleanup(&namespace).await;
    }

    let sim = simulator::spawn(
        SimulatorConfig {
            world: WorldConfig::default(),
            start: Some(at("2026-11-27T00:00:00Z")),
            speed: 0.0001,
            ..SimulatorConfig::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("simulator");
    let history = SourceConfig {
        id: SourceId::parse("archive").expect("id"),
        kind: SourceKind::History,
        base_url: Some(sim.base_url.clone()),
        ..SourceConfig::default_simulator()
    };
    let sources = Arc::new(
        Sources::start(
            &[history],
            SimulatorSettings {
                seed: 1,
                channels: 1,
                speed: 1.0,
            },
        )
        .await
        .expect("sources"),
    );
    for run in 0..3 {
        let dir = tempfile::tempdir().expect("dir");
        let namespace = format!("bench{}", uuid::Uuid::new_v4().simple());
        let ctx = context(dir.path(), &namespace, Arc::clone(&sources)).await;
        let source = sources.get(&SourceId::parse("archive").expect("id")).expect("source");
        let request = PullRequest {
            trigger: Trigger::Backfill,
            at: Utc::now(),
            range: Some((at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z"))),
            pull_id: None,
        };
        let started = Instant::now();
        let record = pull(&ctx.storage, &source, request).await.expect("pull");
        let pulled = started.elapsed();
        let jobs: Vec<StartSeries> = record
            .slots
            .iter()
            .map(|&slot| StartSeries {
                source: record.source.clone(),
                slot,
                pull_id: record.pull_id.clone(),
                trigger: record.trigger,
            })
            .collect();
        let n = jobs.len() as u64;
        ctx.queue.push_all(jobs).await.expect("push");
        let worked = work::<StartSeries>(&ctx, n).await;
        println!(
            "  StartSeries, run {}: a day pulled ({} pages, {} records, {:.1} MB) in {:.2} s; {n} series started in {:.2} s ({:.0} jobs/s)",
            run + 1,
            record.pages.len(),
            record.records,
            record.bytes as f64 / 1e6,
            pulled.as_secs_f64(),
            worked.as_secs_f64(),
            n as f64 / worked.as_secs_f64()
        );
        cleanup(&namespace).await;
    }
}
