//! A live pull of 10,000 streams (about 100 pages) from a local simulator process, end to end, and the peak memory
//! of a worker process doing such pulls.
//!
//! Run with `scripts/bench.sh ingest` (or `cargo bench -p streamlens-jobs --bench ingest`); `docs/BENCHMARKS.md` has
//! the figures. The simulator runs as its own process (52,000 channels, about 10,500 live at the frozen minute), so
//! its work is not counted in the puller's memory.
//!
//! - pull: `pull()` in this process: every page fetched, compressed and stored (local files, fsync per page), the
//!   pull record written to SQLite; the median of 7 pulls.
//! - worker: the `worker` binary on the embedded queue does 10 such pulls one after another (and starts their series);
//!   its peak resident memory is read from `/proc/{pid}/status` (`VmHWM`).

#![allow(clippy::expect_used, clippy::print_stdout, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use streamlens_domain::config::{Config, SimulatorSettings};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PullRecord, PullStatus, Trigger};
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_jobs::ingest::pull::{PullRequest, pull};
use streamlens_jobs::runtime::Runtime;
use streamlens_jobs::sources::registry::Sources;

const PORT: u16 = 17_771;
const PULLS: usize = 10;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_simulator() -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args([
            "--listen",
            &format!("127.0.0.1:{PORT}"),
            "--channels",
            "52000",
            "--speed",
            "0.0001",
        ])
        .args(["--start", "2026-11-26T20:00:30Z", "--rate-limit", "100000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator");
    std::thread::sleep(Duration::from_millis(1500));
    Killed(child)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn pulls_done(runtime: &Runtime, source: &SourceId) -> Vec<PullRecord> {
    let page = runtime
        .storage
        .meta
        .query(&Query::partition(keys::raw_partition(source)).limit(100))
        .await
        .expect("query");
    page.items
        .iter()
        .map(|i| i.decode::<PullRecord>().expect("record"))
        .filter(|r| r.status == PullStatus::Succeeded)
        .collect()
}

#[tokio::main]
async fn main() {
    let _simulator = start_simulator();
    let base = format!("http://127.0.0.1:{PORT}");

    // In this process: pull() alone.
    let dir = tempfile::tempdir().expect("dir");
    let config_path = dir.path().join("streamlens.toml");
    std::fs::write(
        &config_path,
        format!(
            "data_dir = \"{}\"\n[[source]]\nid = \"live\"\nkind = \"simulator\"\nbase_url = \"{base}\"\n",
            dir.path().join("data").display()
        ),
    )
    .expect("config");
    let mut env = std::collections::HashMap::new();
    env.insert("STREAMLENS_CONFIG".to_owned(), config_path.display().to_string());
    let config = Config::from_env(&env).expect("config");
    let runtime = Runtime::start(config.clone()).await.expect("runtime");
    let sources = Arc::new(
        Sources::start(
            &config.sources,
            SimulatorSettings {
                seed: 1,
                channels: 1,
                speed: 1.0,
            },
        )
        .await
        .expect("sources"),
    );
    let source = sources.get(&SourceId::parse("live").expect("id")).expect("source");
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..7 {
        let request = PullRequest {
            trigger: Trigger::Manual,
            at: Utc::now(),
            range: None,
            pull_id: None,
        };
        let started = Instant::now();
        let record = pull(&runtime.storage, &source, request).await.expect("pull");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(record);
    }
    let record = last.expect("a pull");
    println!(
        "pull of {} streams ({} pages, {:.1} MB as received): median {:.0} ms, min {:.0} ms, max {:.0} ms over 7 pulls",
        record.records,
        record.pages.len(),
        record.bytes as f64 / 1e6,
        median(times.clone()),
        times.iter().copied().fold(f64::MAX, f64::min),
        times.iter().copied().fold(0.0, f64::max)
    );

    // A worker process doing the same pulls.
    let worker_dir = tempfile::tempdir().expect("dir");
    let worker_config = worker_dir.path().join("streamlens.toml");
    std::fs::write(
        &worker_config,
        format!(
            "data_dir = \"{}\"\n[[source]]\nid = \"live\"\nkind = \"simulator\"\nbase_url = \"{base}\"\n",
            worker_dir.path().join("data").display()
        ),
    )
    .expect("config");
    let mut env = std::collections::HashMap::new();
    env.insert("STREAMLENS_CONFIG".to_owned(), worker_config.display().to_string());
    let runtime = Runtime::start(Config::from_env(&env).expect("config"))
        .await
        .expect("runtime");
    let worker = Killed(
        Command::new(env!("CARGO_BIN_EXE_worker"))
            .env("STREAMLENS_CONFIG", &worker_config)
            .env("STREAMLENS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("worker"),
    );
    let pid = worker.0.id();
    std::thread::sleep(Duration::from_millis(500));
    let idle = peak_rss_mb(pid);
    let live = SourceId::parse("live").expect("id");
    // One pull at a time, as the schedule makes them: each waits for the previous one and its series.
    for n in 1..=PULLS {
        runtime.pull_now("live").await.expect("pull now");
        let deadline = Instant::now() + Duration::from_secs(60);
        while pulls_done(&runtime, &live).await.len() < n {
            assert!(
                Instant::now() < deadline,
                "the worker did not finish pull {n} in a minute"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Let the last series start too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let records = pulls_done(&runtime, &live).await;
    let in_worker: Vec<f64> = records
        .iter()
        .filter_map(|r| r.finished_at.map(|f| (f - r.started_at).num_milliseconds() as f64))
        .collect();
    println!(
        "worker process, {PULLS} pulls of {} streams one after another: median {:.0} ms a pull; peak RSS {:.1} MB (idle {:.1} MB)",
        records[0].records,
        median(in_worker),
        peak_rss_mb(pid),
        idle
    );
}
