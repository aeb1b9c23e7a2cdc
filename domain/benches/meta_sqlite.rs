//! Metadata store throughput on the SQLite adapter: 100,000 items of about 200 bytes.
//!
//! Run with `scripts/bench.sh meta` (or `cargo bench -p streamlens-domain --bench meta_sqlite`); the figures in
//! `docs/BENCHMARKS.md` come from it. Each figure is the median of several runs on fresh databases in a temp dir.
//!
//! - batched puts: `batch_write` of all 100,000 items (the pipeline writes minute data this way);
//! - single puts: `put` one at a time, unconditional, 10,000 items;
//! - conditional puts: `put` with `VersionEquals`, 10,000 items;
//! - range query: 100 consecutive items from a 1,000-item partition (a channel's viewers over 100 minutes);
//! - index query: the 100 largest of a 1,000-item index partition (the top of "live now").

#![allow(clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_domain::storage::meta::{Condition, IndexKey, Item, Key, MetaStore, Query, SortKey, WriteOp};

const ITEMS: usize = 100_000;
const PARTITIONS: usize = 100;
const PER_PARTITION: usize = ITEMS / PARTITIONS;
const RUNS: usize = 5;
const QUERIES: usize = 2_000;

fn slot(minute: usize) -> String {
    let (h, m) = (minute / 60, minute % 60);
    format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + h / 24, h % 24, m)
}

/// Item `i`: channel `i / 1000`'s viewers in minute `i % 1000`, indexed under the minute for "live now".
fn item(i: usize) -> Item {
    let (channel, minute) = (i / PER_PARTITION, i % PER_PARTITION);
    let viewers = ((i * 7919) % 50_000) as u64;
    Item::new(Key::new(format!("CHANNEL#{:09}#MINUTES", channel), slot(minute)))
        .with_gsi1(IndexKey::new(
            format!("LIVE#bench#{}", slot(minute % 10)),
            format!("{:020}#{channel:09}", u64::MAX - viewers),
        ))
        .with("viewers", viewers)
        .with("game", "21779")
        .with("language", "en")
        .with("title", "Ranked grind to Challenger, day 214: no breaks")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 * p) as usize).min(values.len() - 1)]
}

async fn fresh() -> (tempfile::TempDir, SqliteMetaStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteMetaStore::open(dir.path().join("bench.sqlite"))
        .await
        .expect("open");
    (dir, store)
}

fn rate(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

async fn batched_puts(items: &[Item]) {
    let mut rates = Vec::new();
    for _ in 0..RUNS {
        let (_dir, store) = fresh().await;
        let ops: Vec<WriteOp> = items.iter().cloned().map(WriteOp::Put).collect();
        let start = Instant::now();
        store.batch_write(ops).await.expect("batch write");
        rates.push(rate(items.len(), start.elapsed()));
    }
    println!("  batch_write           {:>9.0} items/s", median(rates));
}

async fn single_puts(items: &[Item]) {
    let items = &items[..10_000];
    let (mut plain, mut conditional) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (_dir, store) = fresh().await;
        let start = Instant::now();
        for item in items {
            store.put(item.clone(), Condition::None).await.expect("put");
        }
        plain.push(rate(items.len(), start.elapsed()));
        let start = Instant::now();
        for item in items {
            let stored = Item {
                version: 1,
                ..item.clone()
            };
            store
                .put(stored, Condition::VersionEquals(1))
                .await
                .expect("conditional put");
        }
        conditional.push(rate(items.len(), start.elapsed()));
    }
    println!("  put, one at a time    {:>9.0} items/s", median(plain));
    println!("  put if version equals {:>9.0} items/s", median(conditional));
}

async fn queries(items: &[Item]) {
    let (_dir, store) = fresh().await;
    store
        .batch_write(items.iter().cloned().map(WriteOp::Put).collect())
        .await
        .expect("load");
    let (mut range, mut index) = (Vec::new(), Vec::new());
    for q in 0..QUERIES {
        let channel = (q * 37) % PARTITIONS;
        let first = (q * 101) % (PER_PARTITION - 100);
        let query = Query::partition(format!("CHANNEL#{channel:09}#MINUTES"))
            .sort_key(SortKey::Between(slot(first), slot(first + 99)))
            .limit(100);
        let start = Instant::now();
        let page = store.query(&query).await.expect("query");
        range.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.items.len(), 100);

        let query = Query::gsi1(format!("LIVE#bench#{}", slot(q % 10))).limit(100);
        let start = Instant::now();
        let page = store.query(&query).await.expect("index query");
        index.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(page.items.len(), 100);
    }
    println!(
        "  query, 100-item range {:>9.3} ms median, {:.3} ms p99 ({QUERIES} queries)",
        median(range.clone()),
        percentile(range, 0.99)
    );
    println!(
        "  gsi1 query, top 100   {:>9.3} ms median, {:.3} ms p99",
        median(index.clone()),
        percentile(index, 0.99)
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench --bench meta_sqlite -- batch` runs only the sections whose name contains "batch".
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |section: &str| only.as_deref().is_none_or(|o| section.contains(o));

    let items: Vec<Item> = (0..ITEMS).map(item).collect();
    let bytes: usize = items
        .iter()
        .map(|i| {
            i.key.pk.len()
                + i.key.sk.len()
                + i.gsi1.as_ref().map_or(0, |g| g.pk.len() + g.sk.len())
                + serde_json::to_string(&i.attrs).map_or(0, |s| s.len())
        })
        .sum();
    println!(
        "metadata store, SQLite adapter: {ITEMS} items of {} bytes on average, median of {RUNS} runs",
        bytes / ITEMS
    );
    if wanted("batch") {
        batched_puts(&items).await;
    }
    if wanted("put") {
        single_puts(&items).await;
    }
    if wanted("query") {
        queries(&items).await;
    }
}
