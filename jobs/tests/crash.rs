//! A worker process killed with SIGKILL in the middle of a pipeline run, on the Redis queue: once a worker runs again
//! the run resumes from its first unfinished step, and everything derived equals an undisturbed run of the same data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_jobs::pipeline::run::{self, RunHistory, RunStatus};
use support::golden::at;
use support::{Backend, Deployment, deploy};

const SOURCE: &str = "archive";
const FROM: &str = "2026-11-25T12:00:00Z";
const TO: &str = "2026-11-25T12:20:00Z";

struct Worker(Child);

impl Worker {
    fn start(deployment: &Deployment) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_worker"))
            .env_clear()
            .envs(std::env::vars().filter(|(k, _)| !k.starts_with("STREAMLENS_")))
            .envs(&deployment.env)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("worker");
        Self(child)
    }

    /// SIGKILL: no shutdown, no cleanup, jobs left in flight.
    fn kill(mut self) {
        self.0.kill().expect("kill");
        self.0.wait().expect("wait");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A run caught in the middle: some steps done, others not.
async fn run_in_the_middle(storage: &Storage) -> Option<(SeriesId, RunHistory)> {
    let source = SourceId::parse(SOURCE).unwrap();
    let running = storage
        .meta
        .query(&Query::gsi1(keys::series_status_partition(&source, "running")).limit(100))
        .await
        .unwrap();
    for item in running.items {
        let Some(id) = item
            .attrs
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|v| v.parse::<SeriesId>().ok())
        else {
            continue;
        };
        for history in run::history(storage, &id).await.unwrap() {
            let done = history.steps.values().filter(|s| s.status == RunStatus::Done).count();
            if history.run.status == RunStatus::Running && done > 0 && !history.steps.contains_key("finalize") {
                return Some((id, history));
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_in_the_middle_of_a_run_resumes_it_and_the_results_equal_an_undisturbed_run() {
    let sim = support::past_simulator(3_000).await;

    // The undisturbed run.
    let calm = deploy(Backend::Embedded, SOURCE, &sim.base_url, 1, &[]).await;
    calm.backfill_and_settle(SOURCE, at(FROM), at(TO)).await;
    let reference = support::derived(&calm.runtime.storage, SOURCE).await;
    assert!(
        reference.blobs.len() >= 9 && reference.items.len() > 1_000,
        "{} blobs, {} items",
        reference.blobs.len(),
        reference.items.len()
    );

    // The same data through a worker process on Redis, killed as soon as a run is half done.
    let crashed = deploy(Backend::Redis, SOURCE, &sim.base_url, 1, &[]).await;
    let storage = &crashed.runtime.storage;
    let worker = Worker::start(&crashed);
    streamlens_jobs::backfill::pull_range(
        storage,
        &crashed.runtime.queue,
        &crashed.source(SOURCE),
        at(FROM),
        at(TO),
        |_| {},
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (series, interrupted) = loop {
        if let Some(caught) = run_in_the_middle(storage).await {
            break caught;
        }
        assert!(Instant::now() < deadline, "no run was ever caught half done");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    worker.kill();
    let killed_at = chrono::Utc::now();
    // What the killed worker had finished by then (it may have finished a step more between the look and the kill).
    let done_before = run::load(storage, &series, &interrupted.run.run_id)
        .await
        .unwrap()
        .unwrap()
        .steps
        .into_values()
        .filter(|s| s.status == RunStatus::Done)
        .collect::<Vec<_>>();
    assert!(!done_before.is_empty());

    let restarted = Worker::start(&crashed);
    crashed.settle(Duration::from_secs(300)).await;

    let resumed = run::load(storage, &series, &interrupted.run.run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resumed.run.status, RunStatus::Done, "{resumed:?}");
    assert!(resumed.run.attempts >= 2, "the run was not retried: {resumed:?}");
    assert!(resumed.run.finished_at.unwrap() > killed_at);
    for step in &done_before {
        // A step finished before the kill was not run again.
        assert_eq!(&resumed.steps[&step.step], step, "step {} ran again", step.step);
    }
    assert!(resumed.steps.values().all(|s| s.status == RunStatus::Done));
    assert!(
        resumed
            .steps
            .values()
            .any(|s| s.finished_at.is_some_and(|t| t > killed_at)),
        "no step ran after the restart: {resumed:?}"
    );

    // Every series of the range is ready; a run left behind shows its history.
    let source = SourceId::parse(SOURCE).unwrap();
    for status in ["running", "pending", "failed"] {
        let left = storage
            .meta
            .query(&Query::gsi1(keys::series_status_partition(&source, status)).limit(100))
            .await
            .unwrap();
        if let Some(item) = left.items.first() {
            let id: SeriesId = item.attrs["id"].as_str().unwrap().parse().unwrap();
            let runs = run::history(storage, &id).await.unwrap();
            panic!("series {id} is {status} after the restart: {runs:#?}");
        }
    }

    let after = support::derived(storage, SOURCE).await;
    drop(restarted);
    crashed.forget_redis().await;
    assert!(
        after == reference,
        "the crashed run differs: {:?}",
        after.differences(&reference)
    );
}
