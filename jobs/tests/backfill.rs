//! Backfills and manual pulls, end to end: the `backfill` binary against the simulator's past, replays of stored raw
//! data, and `pull_now` through the queue and a worker.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use streamlens_domain::config::{Config, QueueUrl};
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullRecord, PullStatus};
use streamlens_domain::series::SeriesStatus;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_domain::time::Slot;
use streamlens_jobs::backfill;
use streamlens_jobs::jobs::{StartSeries, register_all};
use streamlens_jobs::queue::worker::Registrar;
use streamlens_jobs::queue::{Queue, QueueSettings};
use streamlens_jobs::runtime::Runtime;
use streamlens_jobs::simulator::{self, SimulatorConfig, WorldConfig};
use streamlens_jobs::sources::registry::Sources;
use tokio_util::sync::CancellationToken;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A simulator whose clock stands at `now`, so everything before it is its past.
async fn simulator_at(now: &str, channels: usize) -> simulator::SimulatorHandle {
    let config = SimulatorConfig {
        world: WorldConfig {
            channels,
            ..WorldConfig::default()
        },
        start: Some(at(now)),
        speed: 0.0001,
        ..SimulatorConfig::default()
    };
    simulator::spawn(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap()
}

fn write_config(dir: &std::path::Path, sim_url: &str) -> std::path::PathBuf {
    let path = dir.join("streamlens.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{data}\"\n\
             [[source]]\nid = \"archive\"\nkind = \"history\"\nbase_url = \"{sim_url}\"\n\
             [[source]]\nid = \"live\"\nkind = \"simulator\"\nbase_url = \"{sim_url}\"\n",
            data = dir.join("data").display()
        ),
    )
    .unwrap();
    path
}

async fn series_count(storage: &Storage, source: &str) -> usize {
    let source = SourceId::parse(source).unwrap();
    let mut n = 0;
    let mut cursor = None;
    loop {
        let page = storage
            .meta
            .query(
                &Query::gsi1(keys::series_status_partition(&source, "ready"))
                    .limit(1000)
                    .after(cursor.take()),
            )
            .await
            .unwrap();
        n += page.items.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => return n,
        }
    }
}

/// Runs the workers until `expected` series exist.
async fn work_until_series(runtime: &Runtime, sources: Arc<Sources>, source: &str, expected: usize) {
    let ctx = runtime.job_context(sources);
    let stop = CancellationToken::new();
    let workers = tokio::spawn(register_all(Registrar::new(ctx)).run(stop.clone().cancelled_owned()));
    let deadline = Instant::now() + Duration::from_secs(120);
    while series_count(&runtime.storage, source).await < expected {
        assert!(
            Instant::now() < deadline,
            "{} of {expected} series",
            series_count(&runtime.storage, source).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    workers.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_command_pulls_a_past_range_and_its_series_start() {
    let sim = simulator_at("2026-11-26T12:00:00Z", 300).await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &sim.base_url);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_backfill"))
        .args([
            "pull",
            "--source",
            "archive",
            "--from",
            "2026-11-25T23:30:00Z",
            "--to",
            "2026-11-26T00:30:00Z",
        ])
        .env("STREAMLENS_CONFIG", &config_path)
        .env("STREAMLENS_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The range crosses midnight: two day-chunks, so two pulls, and one series per minute with data.
    let expected_slots = (0..60)
        .filter(|m| {
            !sim.simulator
                .snapshot(at("2026-11-25T23:30:00Z") + chrono::Duration::minutes(*m))
                .is_empty()
        })
        .count();
    assert!(
        stdout.contains(&format!("2 pulls, 0 failed, {expected_slots} series enqueued")),
        "{stdout}"
    );

    // A worker starts them.
    let mut env = std::collections::HashMap::new();
    env.insert("STREAMLENS_CONFIG".to_owned(), config_path.display().to_string());
    let runtime = Runtime::start(Config::from_env(&env).unwrap()).await.unwrap();
    let sources = runtime.start_sources().await.unwrap();
    work_until_series(&runtime, Arc::clone(&sources), "archive", expected_slots).await;
    let id = SeriesId::new(
        SourceId::parse("archive").unwrap(),
        Slot::minute(at("2026-11-26T00:00:00Z")).unwrap(),
    );
    let item = runtime.storage.meta.get(&keys::series(&id)).await.unwrap().unwrap();
    let record: streamlens_domain::series::SeriesRecord = item.decode().unwrap();
    assert_eq!(record.status, SeriesStatus::Ready);
    assert_eq!(
        record.records as usize,
        sim.simulator.snapshot(at("2026-11-26T00:00:00Z")).len()
    );

    // Replaying the stored pulls enqueues the same series again: all exist, nothing new is started.
    let report = backfill::replay(
        &runtime.storage,
        &runtime.queue,
        &SourceId::parse("archive").unwrap(),
        at("2026-11-25T23:30:00Z"),
        at("2026-11-26T00:30:00Z"),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!((report.pulls, report.series), (2, expected_slots));
    work_until_series(&runtime, sources, "archive", expected_slots).await;
    assert_eq!(series_count(&runtime.storage, "archive").await, expected_slots);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfills_refuse_live_sources_the_future_and_empty_ranges() {
    let sim = simulator_at("2026-11-26T12:00:00Z", 10).await;
    let dir = tempfile::tempdir().unwrap();
    let config_path = write_config(dir.path(), &sim.base_url);
    for (args, expected) in [
        (
            [
                "pull",
                "--source",
                "live",
                "--from",
                "2026-11-26T00:00:00Z",
                "--to",
                "2026-11-26T01:00:00Z",
            ],
            "live source",
        ),
        (
            [
                "pull",
                "--source",
                "archive",
                "--from",
                "2026-11-26T01:00:00Z",
                "--to",
                "2026-11-26T00:00:00Z",
            ],
            "before",
        ),
        (
            [
                "pull",
                "--source",
                "archive",
                "--from",
                "2099-01-01T00:00:00Z",
                "--to",
                "2099-01-02T00:00:00Z",
            ],
            "future",
        ),
        (
            [
                "pull",
                "--source",
                "nope",
                "--from",
                "2026-11-26T00:00:00Z",
                "--to",
                "2026-11-26T01:00:00Z",
            ],
            "no source",
        ),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_backfill"))
            .args(args)
            .env("STREAMLENS_CONFIG", &config_path)
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.status.success(), "{args:?} succeeded");
        assert!(all.contains(expected), "{args:?}: {all}");
    }
    assert_eq!(sim.simulator.requests(), 0, "nothing was pulled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_now_returns_the_id_the_pull_is_recorded_under() {
    let sim = simulator_at("2026-11-26T20:00:00Z", 400).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = std::collections::HashMap::new();
    env.insert(
        "STREAMLENS_CONFIG".to_owned(),
        write_config(dir.path(), &sim.base_url).display().to_string(),
    );
    let runtime = Runtime::start(Config::from_env(&env).unwrap()).await.unwrap();
    let sources = runtime.start_sources().await.unwrap();

    let pull_id = runtime.pull_now("live").await.unwrap();
    assert!(matches!(
        runtime.pull_now("nope").await,
        Err(streamlens_jobs::runtime::PullNowError::UnknownSource(_))
    ));
    work_until_series(&runtime, sources, "live", 1).await;
    let source = SourceId::parse("live").unwrap();
    let record: PullRecord = runtime
        .storage
        .meta
        .get(&keys::raw_pull(&source, &pull_id))
        .await
        .unwrap()
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(record.status, PullStatus::Succeeded);
    assert_eq!(
        record.records as usize,
        sim.simulator.snapshot(at("2026-11-26T20:00:00Z")).len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_on_sqlite_needs_no_service() {
    let dir = tempfile::tempdir().unwrap();
    let queue = Queue::connect(
        &QueueUrl::Sqlite(dir.path().join("nested/queue.sqlite")),
        QueueSettings::default(),
    )
    .await
    .unwrap();
    queue.check().await.unwrap();
    assert_eq!(queue.depth::<StartSeries>().await.unwrap().backlog(), 0);
}
