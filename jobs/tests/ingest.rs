//! Pulls from the simulator into real stores (local files and SQLite in a temp dir): pages as received, series
//! started once per slot, faults survived, the reconciler.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use streamlens_domain::config::{Schedule, SimulatorSettings, SourceConfig, SourceKind};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PullId, PullStatus, Trigger};
use streamlens_domain::series::SeriesStatus;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::BlobKey;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_domain::storage::meta::{Condition, Item, keys};
use streamlens_domain::time::{Slot, SlotLength};
use streamlens_jobs::ingest::pages::PageCache;
use streamlens_jobs::ingest::pull::{PullRequest, pull};
use streamlens_jobs::ingest::reconcile::reconcile;
use streamlens_jobs::ingest::start_series::{Started, read_series_data, start_series};
use streamlens_jobs::simulator::{self, Faults, SimulatorConfig, SimulatorHandle, WorldConfig};
use streamlens_jobs::sources::registry::{Source, Sources};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

struct Fixture {
    _dir: tempfile::TempDir,
    storage: Storage,
    sim: SimulatorHandle,
    sources: Sources,
}

impl Fixture {
    fn source(&self, id: &str) -> Arc<Source> {
        self.sources.get(&SourceId::parse(id).unwrap()).unwrap()
    }

    fn live_ids(&self, minute: DateTime<Utc>) -> Vec<String> {
        self.sim
            .simulator
            .snapshot(minute)
            .iter()
            .map(|s| s.stream_id.clone())
            .collect()
    }
}

/// A simulator frozen at `start` (speed ~0), a live source and a history source on it, and fresh stores.
async fn fixture(channels: usize, start: &str, faults: Faults) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        blobs: Arc::new(FileBlobStore::open(dir.path().join("blobs")).await.unwrap()),
        meta: Arc::new(SqliteMetaStore::open(dir.path().join("meta.sqlite")).await.unwrap()),
    };
    let config = SimulatorConfig {
        world: WorldConfig {
            channels,
            ..WorldConfig::default()
        },
        start: Some(at(start)),
        speed: 0.0001,
        faults,
        ..SimulatorConfig::default()
    };
    let sim = simulator::spawn(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let live = SourceConfig {
        base_url: Some(sim.base_url.clone()),
        ..SourceConfig::default_simulator()
    };
    let history = SourceConfig {
        id: SourceId::parse("archive").unwrap(),
        kind: SourceKind::History,
        base_url: Some(sim.base_url.clone()),
        schedule: Schedule::Daily,
        ..SourceConfig::default_simulator()
    };
    let settings = SimulatorSettings {
        seed: 2026,
        channels,
        speed: 1.0,
    };
    let sources = Sources::start(&[live, history], settings).await.unwrap();
    assert!(
        sources.simulator().is_none(),
        "both sources point at the spawned simulator"
    );
    Fixture {
        _dir: dir,
        storage,
        sim,
        sources,
    }
}

fn now_request(at_time: DateTime<Utc>) -> PullRequest {
    PullRequest {
        trigger: Trigger::Schedule,
        at: at_time,
        range: None,
        pull_id: None,
    }
}

/// Every record id of a pull's stored pages, in order, duplicates included.
async fn raw_ids(storage: &Storage, pages: &[String]) -> Vec<String> {
    let mut ids = Vec::new();
    for key in pages {
        let blob = storage.blobs.get(&BlobKey::parse(key.clone()).unwrap()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&zstd::decode_all(&blob.bytes[..]).unwrap()).unwrap();
        for record in body["data"].as_array().unwrap() {
            ids.push(record["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_pull_stores_every_page_as_received_and_starts_its_series_once() {
    let f = fixture(2_000, "2026-11-26T20:00:30Z", Faults::default()).await;
    let minute = at("2026-11-26T20:00:00Z");
    let record = pull(
        &f.storage,
        &f.source("simulator"),
        now_request(at("2026-11-26T20:00:30Z")),
    )
    .await
    .unwrap();

    let expected = f.live_ids(minute);
    assert_eq!(record.status, PullStatus::Succeeded);
    assert_eq!(record.records, expected.len() as u64);
    assert_eq!(record.pages.len(), expected.len().div_ceil(100));
    // A live pull is the slot the clock was in when it started (the simulator's frozen minute is its own).
    assert_eq!(
        record.slots,
        vec![Slot::containing(record.started_at, SlotLength::MINUTE).unwrap()]
    );
    assert_eq!(record.stop_reason.as_deref(), Some("end"));
    let keys: Vec<String> = record.pages.iter().map(|p| p.key.clone()).collect();
    assert_eq!(raw_ids(&f.storage, &keys).await, expected);
    for page in &record.pages {
        let blob = f
            .storage
            .blobs
            .get(&BlobKey::parse(page.key.clone()).unwrap())
            .await
            .unwrap();
        let body = zstd::decode_all(&blob.bytes[..]).unwrap();
        assert_eq!(
            streamlens_domain::storage::blob::Checksum::of(&body).to_hex(),
            page.sha256
        );
    }

    let slot = record.slots[0];
    let started = start_series(&f.storage, &PageCache::default(), &record.source, slot, &record.pull_id)
        .await
        .unwrap();
    let Started::New(series) = started else {
        panic!("not started: {started:?}")
    };
    assert_eq!(series.status, SeriesStatus::Pending);
    let data = read_series_data(&f.storage, &series).await.unwrap();
    let ids: Vec<String> = data.stream_ids().into_iter().map(Option::unwrap).collect();
    assert_eq!(ids, expected);
    let (parsed, rejected) = data.parse();
    assert_eq!((parsed.len(), rejected.len()), (expected.len(), 0));

    // Again, and from a second pull of the same slot: nothing new.
    let again = start_series(&f.storage, &PageCache::default(), &record.source, slot, &record.pull_id)
        .await
        .unwrap();
    assert_eq!(again, Started::Existing(series.id.clone()));
    let second = pull(
        &f.storage,
        &f.source("simulator"),
        now_request(at("2026-11-26T20:00:30Z")),
    )
    .await
    .unwrap();
    // (Unless the clock crossed into the next minute between the two pulls: then it is another slot.)
    if second.slots == record.slots {
        let again = start_series(&f.storage, &PageCache::default(), &second.source, slot, &second.pull_id)
            .await
            .unwrap();
        assert_eq!(again, Started::Existing(series.id.clone()));
    }
    let pending = f
        .storage
        .meta
        .query(&streamlens_domain::storage::meta::Query::gsi1(
            "SERIES#simulator#pending",
        ))
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_of_ten_thousand_streams_under_faults_has_each_stream_once_or_fails_with_its_page_quarantined() {
    let faults = Faults {
        malformed_rate: 0.01,
        ..Faults::chaos()
    };
    let f = fixture(52_000, "2026-11-26T20:00:30Z", faults).await;
    let minute = at("2026-11-26T20:00:00Z");
    let expected: HashSet<String> = f.live_ids(minute).into_iter().collect();
    assert!(expected.len() >= 10_000, "only {} live", expected.len());

    let (mut succeeded, mut failed) = (0, 0);
    for _ in 0..6 {
        let record = match pull(
            &f.storage,
            &f.source("simulator"),
            now_request(at("2026-11-26T20:00:30Z")),
        )
        .await
        {
            Ok(record) => record,
            // An API failure that outlasted the retries: recorded, and the job would retry. Never a crash.
            Err(e) => {
                assert!(e.is_retryable(), "{e}");
                failed += 1;
                continue;
            }
        };
        let keys: Vec<String> = record.pages.iter().map(|p| p.key.clone()).collect();
        let received = raw_ids(&f.storage, &keys).await;
        match record.status {
            PullStatus::Succeeded => {
                succeeded += 1;
                let distinct: HashSet<String> = received.iter().cloned().collect();
                assert_eq!(distinct, expected, "a succeeded pull must hold every live stream");
                assert_eq!(record.records, expected.len() as u64);
                assert!(record.quarantined.is_empty());
                let slot = record.slots[0];
                if let Started::New(series) =
                    start_series(&f.storage, &PageCache::default(), &record.source, slot, &record.pull_id)
                        .await
                        .unwrap()
                {
                    let data = read_series_data(&f.storage, &series).await.unwrap();
                    let ids: Vec<String> = data.stream_ids().into_iter().map(Option::unwrap).collect();
                    assert_eq!(ids.len(), expected.len(), "a stream twice in the series");
                    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
                }
            }
            PullStatus::Failed => {
                failed += 1;
                assert_eq!(record.quarantined.len(), 1);
                let q = &record.quarantined[0];
                assert!(q.reason.contains("malformed"), "{}", q.reason);
                assert!(
                    f.storage
                        .blobs
                        .head(&BlobKey::parse(q.key.clone()).unwrap())
                        .await
                        .unwrap()
                        .is_some()
                );
                assert!(record.slots.is_empty(), "a failed pull starts no series");
            }
            PullStatus::Running => panic!("a finished pull left running"),
        }
    }
    assert!(
        succeeded > 0 && failed > 0,
        "{succeeded} succeeded, {failed} failed: the faults did not bite"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_pull_fans_out_into_one_series_per_slot() {
    let f = fixture(500, "2026-11-26T12:00:00Z", Faults::default()).await;
    let request = PullRequest {
        trigger: Trigger::Backfill,
        at: at("2026-11-26T12:00:00Z"),
        range: Some((at("2026-11-26T09:00:00Z"), at("2026-11-26T10:00:00Z"))),
        pull_id: None,
    };
    let record = pull(&f.storage, &f.source("archive"), request).await.unwrap();
    assert_eq!(record.status, PullStatus::Succeeded);
    let with_data = (0..60)
        .map(|m| at("2026-11-26T09:00:00Z") + Duration::minutes(m))
        .filter(|t| !f.live_ids(*t).is_empty())
        .count();
    assert_eq!(record.slots.len(), with_data);
    assert!(with_data > 50);
    for &slot in record.slots.iter().take(5).chain(record.slots.last()) {
        let Started::New(series) =
            start_series(&f.storage, &PageCache::default(), &record.source, slot, &record.pull_id)
                .await
                .unwrap()
        else {
            panic!("series {slot} existed");
        };
        let data = read_series_data(&f.storage, &series).await.unwrap();
        let ids: Vec<String> = data.stream_ids().into_iter().map(Option::unwrap).collect();
        assert_eq!(ids, f.live_ids(slot.start()), "slot {slot}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_longer_than_a_day_is_refused_before_anything_is_pulled() {
    let f = fixture(100, "2026-11-26T12:00:00Z", Faults::default()).await;
    let request = PullRequest {
        trigger: Trigger::Backfill,
        at: at("2026-11-26T12:00:00Z"),
        range: Some((at("2026-11-20T00:00:00Z"), at("2026-11-26T00:00:00Z"))),
        pull_id: None,
    };
    let err = pull(&f.storage, &f.source("archive"), request).await.unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(f.sim.simulator.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_finds_series_that_never_started_and_abandoned_pulls() {
    let f = fixture(300, "2026-11-26T20:00:30Z", Faults::default()).await;
    let source = SourceId::simulator();
    let record = pull(
        &f.storage,
        &f.source("simulator"),
        now_request(at("2026-11-26T20:00:30Z")),
    )
    .await
    .unwrap();
    let since = record.started_at - Duration::minutes(5);
    let now = record.started_at + Duration::minutes(1);

    let found = reconcile(&f.storage, std::slice::from_ref(&source), since, now)
        .await
        .unwrap();
    assert_eq!(found.missing.len(), 1);
    assert_eq!(found.missing[0].pull_id, record.pull_id);
    let m = &found.missing[0];
    start_series(&f.storage, &PageCache::default(), &m.source, m.slot, &m.pull_id)
        .await
        .unwrap();
    let found = reconcile(&f.storage, std::slice::from_ref(&source), since, now)
        .await
        .unwrap();
    assert!(found.missing.is_empty());

    // A pull whose process died mid-way stays `running`; after 15 minutes it is marked failed.
    let mut stuck = record.clone();
    stuck.pull_id = PullId::generate();
    stuck.status = PullStatus::Running;
    let key = keys::raw_pull(&source, &stuck.pull_id);
    f.storage
        .meta
        .put(Item::from_record(key.clone(), &stuck).unwrap(), Condition::Absent)
        .await
        .unwrap();
    let found = reconcile(&f.storage, std::slice::from_ref(&source), since, now)
        .await
        .unwrap();
    assert_eq!(found.abandoned, 0, "not yet");
    let later = now + Duration::minutes(20);
    let found = reconcile(&f.storage, std::slice::from_ref(&source), since, later)
        .await
        .unwrap();
    assert_eq!(found.abandoned, 1);
    let after: streamlens_domain::pulls::PullRecord =
        f.storage.meta.get(&key).await.unwrap().unwrap().decode().unwrap();
    assert_eq!(after.status, PullStatus::Failed);
}
