//! The pipeline: one big series through the whole DAG, and one simulated day end to end, with DuckDB computing the
//! same day's per-channel hours watched from the same series data for comparison.
//!
//! Run with `scripts/bench.sh pipeline` (it installs DuckDB into a Python virtualenv and passes its interpreter in
//! `STREAMLENS_BENCH_PYTHON`); `docs/BENCHMARKS.md` has the figures.
//!
//! - dag: a simulator process with 52,000 channels (about 10,300 live at its frozen minute); one pull and its series
//!   on the embedded stores; then the series' pipeline run 9 times (a first run, then re-runs) on a single-threaded
//!   runtime; the median of the re-runs.
//! - day: a simulator process with 2,000 channels; a `worker` process on the embedded backend (SQLite queue and
//!   metadata, local files); the backfill of one UTC day (1,440 series) from the simulator's past, timed from the
//!   pull's start until every series is ready and the day's roll-up has run; the worker's peak resident memory.
//! - duckdb: the day's series data written out as plain `.json.zst` files (not timed), then DuckDB's per-channel
//!   hours watched over them, timed in its own process; the top 10 compared with Streamlens' day rollup.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use streamlens_domain::config::Config;
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::Trigger;
use streamlens_domain::rollup::PeriodRollup;
use streamlens_domain::series::SeriesRecord;
use streamlens_domain::storage::blob::layout;
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_domain::time::{Period, PeriodKind, Slot};
use streamlens_jobs::ingest::pull::{PullRequest, decompress, pull};
use streamlens_jobs::ingest::start_series::{Started, start_series};
use streamlens_jobs::jobs::{RollUp, RunPipeline, StartSeries};
use streamlens_jobs::pipeline::run::{RunId, RunTrigger};
use streamlens_jobs::runtime::Runtime;

const DAG_PORT: u16 = 17_781;
const DAY_PORT: u16 = 17_782;
const DAY: &str = "2026-11-25T00:00:00Z";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn start_simulator(port: u16, channels: usize, start: &str) -> Killed {
    let child = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--channels", &channels.to_string(), "--speed", "0.0001"])
        .args(["--start", start, "--rate-limit", "100000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator");
    std::thread::sleep(Duration::from_millis(1500));
    Killed(child)
}

fn write_config(dir: &std::path::Path, kind: &str, port: u16) -> std::path::PathBuf {
    let path = dir.join("streamlens.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{}\"\n[[source]]\nid = \"sim\"\nkind = \"{kind}\"\nbase_url = \"http://127.0.0.1:{port}\"\n",
            dir.join("data").display()
        ),
    )
    .expect("config");
    path
}

fn config_at(path: &std::path::Path) -> Config {
    let env = HashMap::from([("STREAMLENS_CONFIG".to_owned(), path.display().to_string())]);
    Config::from_env(&env).expect("config")
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

/// One series of about 10,000 streams through the whole DAG, on one thread.
fn dag() {
    let _simulator = start_simulator(DAG_PORT, 52_000, "2026-11-26T20:00:30Z");
    let dir = tempfile::tempdir().expect("dir");
    let config = config_at(&write_config(dir.path(), "simulator", DAG_PORT));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let runtime = Runtime::start(config).await.expect("runtime");
        let sources = runtime.start_sources().await.expect("sources");
        let source = sources.get(&SourceId::parse("sim").unwrap()).expect("source");
        let request = PullRequest {
            trigger: Trigger::Manual,
            at: Utc::now(),
            range: None,
            pull_id: None,
        };
        let record = pull(&runtime.storage, &source, request).await.expect("pull");
        let slot = record.slots[0];
        let ctx = runtime.job_context(sources);
        let series = match start_series(&runtime.storage, &ctx.pages, &record.source, slot, &record.pull_id)
            .await
            .expect("series")
        {
            Started::New(series) => series,
            Started::Existing(_) => unreachable!("a new store"),
        };
        let mut times = Vec::new();
        let mut steps: std::collections::BTreeMap<String, Vec<f64>> = std::collections::BTreeMap::new();
        for n in 0..9 {
            let started = Instant::now();
            let run_id = RunId::generate();
            streamlens_jobs::pipeline::run(&ctx.pipeline, &series.id, &run_id, RunTrigger::Rerun, false)
                .await
                .expect("run");
            let history = streamlens_jobs::pipeline::run::load(&runtime.storage, &series.id, &run_id)
                .await
                .expect("history")
                .expect("a run");
            for (name, step) in history.steps {
                steps
                    .entry(name)
                    .or_default()
                    .push(step.duration_ms.unwrap_or(0) as f64);
            }
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if n == 0 {
                println!("dag: first run {ms:.0} ms");
            } else {
                times.push(ms);
            }
        }
        println!(
            "dag: one series of {} streams through every step: median {:.0} ms over {} re-runs (min {:.0}, max {:.0})",
            series.records,
            median(times.clone()),
            times.len(),
            times.iter().copied().fold(f64::MAX, f64::min),
            times.iter().copied().fold(0.0, f64::max)
        );
        let per_step: Vec<String> = steps
            .into_iter()
            .map(|(name, times)| format!("{name} {:.0}", median(times)))
            .collect();
        println!("dag: median ms per step: {}", per_step.join(", "));
    });
}

async fn ready_series(runtime: &Runtime, source: &SourceId) -> usize {
    let mut n = 0;
    let mut cursor = None;
    loop {
        let page = runtime
            .storage
            .meta
            .query(
                &Query::gsi1(keys::series_status_partition(source, "ready"))
                    .limit(1000)
                    .after(cursor.take()),
            )
            .await
            .expect("query");
        n += page.items.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => return n,
        }
    }
}

/// One simulated day through a worker process.
fn day() {
    let day = Period::containing(PeriodKind::Day, at(DAY));
    let _simulator = start_simulator(DAY_PORT, 2_000, "2026-11-26T00:00:30Z");
    let dir = tempfile::tempdir().expect("dir");
    let config_path = write_config(dir.path(), "history", DAY_PORT);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let runtime = Runtime::start(config_at(&config_path)).await.expect("runtime");
        let sources = runtime.start_sources().await.expect("sources");
        let source_id = SourceId::parse("sim").unwrap();
        let source = sources.get(&source_id).expect("source");
        let worker = Killed(
            Command::new(env!("CARGO_BIN_EXE_worker"))
                .env("STREAMLENS_CONFIG", &config_path)
                .env("STREAMLENS_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("worker"),
        );
        let pid = worker.0.id();
        tokio::time::sleep(Duration::from_millis(500)).await;

        let started = Instant::now();
        let report = streamlens_jobs::backfill::pull_range(
            &runtime.storage,
            &runtime.queue,
            &source,
            day.start(),
            day.end(),
            |_| {},
        )
        .await
        .expect("backfill");
        let pulled = started.elapsed();
        assert_eq!(report.series, 1440, "{report:?}");
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let ready = ready_series(&runtime, &source_id).await;
            let pipeline = runtime.queue.depth::<RunPipeline>().await.expect("depth");
            let starts = runtime.queue.depth::<StartSeries>().await.expect("depth");
            let rollups = runtime.queue.depth::<RollUp>().await.expect("depth");
            if ready == 1440 && pipeline.backlog() + starts.backlog() + rollups.backlog() == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{ready} of 1440 series ready after 15 minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let elapsed = started.elapsed();
        let rss = peak_rss_mb(pid);
        drop(worker);

        let rollup: PeriodRollup = {
            let blob = runtime
                .storage
                .blobs
                .get(&layout::rollup(&source_id, day).unwrap())
                .await
                .expect("day rollup");
            serde_json::from_slice(&decompress(&blob.bytes).unwrap()).unwrap()
        };
        let streams: u64 = rollup.platform.stream_minutes;
        println!(
            "day: 1,440 series ({} channels, {streams} live stream-minutes) end to end in {:.1} s (the pull: {:.1} s); \
             worker peak RSS {rss:.0} MB",
            rollup.channels.len(),
            elapsed.as_secs_f64(),
            pulled.as_secs_f64()
        );

        // The same series data as plain files for DuckDB (not timed).
        let export = dir.path().join("export");
        std::fs::create_dir_all(&export).unwrap();
        for slot in Slot::range(day.start(), day.end(), rollup.slot_length).unwrap() {
            let id = SeriesId::new(source_id.clone(), slot);
            let item = runtime
                .storage
                .meta
                .get(&keys::series(&id))
                .await
                .unwrap()
                .expect("series");
            let record: SeriesRecord = item.decode().unwrap();
            let blob = runtime
                .storage
                .blobs
                .get(&streamlens_domain::storage::blob::BlobKey::parse(record.data_key).unwrap())
                .await
                .unwrap();
            std::fs::write(
                export.join(format!("{}.json.zst", slot.start().timestamp())),
                &blob.bytes,
            )
            .unwrap();
        }
        duckdb(&export, &rollup, elapsed.as_secs_f64());
    });
}

/// Runs the DuckDB query over the exported series and compares its top 10 with the rollup's.
fn duckdb(export: &std::path::Path, rollup: &PeriodRollup, streamlens_s: f64) {
    let Ok(python) = std::env::var("STREAMLENS_BENCH_PYTHON") else {
        println!("duckdb: skipped (STREAMLENS_BENCH_PYTHON is not set; scripts/bench.sh pipeline sets it)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/duckdb_hours_watched.py");
    let output = Command::new(python).arg(script).arg(export).output().expect("python");
    assert!(
        output.status.success(),
        "duckdb: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let seconds: f64 = lines.next().and_then(|l| l.parse().ok()).expect("seconds");
    let theirs: Vec<(String, u64)> = lines
        .map(|l| {
            let (id, minutes) = l.split_once(',').expect("id,viewer_minutes");
            (id.to_owned(), minutes.parse().expect("minutes"))
        })
        .collect();
    let mut ours: Vec<(String, u64)> = rollup
        .channels
        .iter()
        .map(|(id, t)| (id.to_string(), t.stats.viewer_minutes))
        .collect();
    ours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ours.truncate(theirs.len());
    assert_eq!(ours, theirs, "the top 10 by hours watched differ");
    println!(
        "duckdb: per-channel hours watched of the day from the same series data: {seconds:.2} s \
         (top 10 identical); Streamlens end to end / DuckDB = {:.1}",
        streamlens_s / seconds
    );
}

fn main() {
    let which = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    match which.as_deref() {
        Some("dag") => dag(),
        Some("day") => day(),
        _ => {
            dag();
            day();
        }
    }
}
