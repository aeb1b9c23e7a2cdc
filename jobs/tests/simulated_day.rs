//! One simulated day (1,440 one-minute series of a 2,000-channel world) through the queue, on the embedded backend
//! and on Redis with local files and SQLite. The day's top 10 channels and games by hours watched must agree with
//! totals this test computes on its own, straight from the raw pages the pull stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use streamlens_domain::ids::SourceId;
use streamlens_domain::rollup::RankRow;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::keys::{self, Ranked, RankingFilter, RankingMetric};
use streamlens_domain::time::{Period, PeriodKind};
use streamlens_jobs::ingest::pull::decompress;
use support::golden::at;
use support::{Backend, blob_keys, deploy};

const SOURCE: &str = "archive";
const DAY: &str = "2026-11-25T00:00:00Z";

/// Viewer-minutes per channel and per game over every snapshot of the stored raw pages: live streams with a
/// non-negative viewer count, each stream id once per slot, a channel counted once per slot (its larger count).
async fn independent_totals(storage: &Storage) -> (HashMap<String, u64>, HashMap<String, u64>, usize) {
    let mut per_slot: BTreeMap<String, HashMap<String, (u64, String)>> = BTreeMap::new();
    for key in blob_keys(storage, &format!("raw/{SOURCE}/")).await {
        let blob = storage.blobs.get(&key).await.unwrap();
        let page: Value = serde_json::from_slice(&decompress(&blob.bytes).unwrap()).unwrap();
        for snapshot in page["snapshots"].as_array().unwrap() {
            let slot = snapshot["slot"].as_str().unwrap().to_owned();
            let channels = per_slot.entry(slot).or_default();
            let mut seen = HashSet::new();
            for stream in snapshot["streams"].as_array().unwrap() {
                let viewers = stream["viewer_count"].as_i64().unwrap_or(-1);
                if stream["type"] != "live" || viewers < 0 || !seen.insert(stream["id"].as_str().unwrap().to_owned()) {
                    continue;
                }
                let channel = stream["user_id"].as_str().unwrap().to_owned();
                let game = stream["game_id"].as_str().unwrap_or_default().to_owned();
                let entry = channels.entry(channel).or_insert((0, game.clone()));
                if viewers as u64 > entry.0 {
                    *entry = (viewers as u64, game);
                }
            }
        }
    }
    let slots = per_slot.len();
    let mut channels: HashMap<String, u64> = HashMap::new();
    let mut games: HashMap<String, u64> = HashMap::new();
    for live in per_slot.into_values() {
        for (channel, (viewers, game)) in live {
            *channels.entry(channel).or_default() += viewers;
            if !game.is_empty() {
                *games.entry(game).or_default() += viewers;
            }
        }
    }
    (channels, games, slots)
}

fn top10(totals: &HashMap<String, u64>) -> Vec<(String, f64)> {
    let mut rows: Vec<(&String, &u64)> = totals.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    rows.into_iter()
        .take(10)
        .map(|(id, vm)| (id.clone(), *vm as f64 / 60.0))
        .collect()
}

async fn ranked_top10(storage: &Storage, ranked: Ranked, day: Period) -> Vec<(String, f64)> {
    let source = SourceId::parse(SOURCE).unwrap();
    let pk = keys::ranking_partition(&source, ranked, RankingMetric::HoursWatched, day, RankingFilter::All);
    let item = storage
        .meta
        .get(&keys::ranking_page(&pk, 1))
        .await
        .unwrap()
        .expect("the day's ranking");
    let rows: Vec<RankRow> = serde_json::from_value(item.attrs["rows"].clone()).unwrap();
    rows.into_iter().take(10).map(|r| (r.id, r.value)).collect()
}

async fn one_day(backend: Backend) {
    let sim = support::past_simulator(2_000).await;
    let day = Period::containing(PeriodKind::Day, at(DAY));
    let mut deployment = deploy(backend, SOURCE, &sim.base_url, 1, &[]).await;
    // Day, week and month roll-ups once a minute: the day's figures come out the same, with fewer recomputes.
    deployment.rollup_bucket = chrono::Duration::seconds(60);
    deployment.backfill_and_settle(SOURCE, day.start(), day.end()).await;
    let storage = &deployment.runtime.storage;

    let (channels, games, slots) = independent_totals(storage).await;
    assert_eq!(slots, 1_440);
    assert!(
        channels.len() > 1_000,
        "{} channels live during the day",
        channels.len()
    );
    for (ranked, totals) in [(Ranked::Channel, &channels), (Ranked::Game, &games)] {
        let expected = top10(totals);
        let actual = ranked_top10(storage, ranked, day).await;
        assert_eq!(
            actual.iter().map(|r| &r.0).collect::<Vec<_>>(),
            expected.iter().map(|r| &r.0).collect::<Vec<_>>(),
            "{ranked:?} top 10: {actual:?}, independently {expected:?}"
        );
        for (a, e) in actual.iter().zip(&expected) {
            assert!(
                (a.1 - e.1).abs() < 1e-6,
                "{ranked:?} {}: {} hours, independently {}",
                a.0,
                a.1,
                e.1
            );
        }
    }
    deployment.forget_redis().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_day_on_the_embedded_backend_tops_the_same_channels_and_games_as_the_raw_data() {
    one_day(Backend::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_day_on_redis_files_and_sqlite_tops_the_same_channels_and_games_as_the_raw_data() {
    one_day(Backend::Redis).await;
}
