//! The job queue against real Redis (127.0.0.1:6379) and real SQLite: bounded retries, dead letters and requeue,
//! idempotent pushes, purges, 50,000 jobs at once, `kill -9` of a worker, and two schedulers with one leader.
//!
//! Each test uses its own queue namespace (Redis keys `t{uuid}:…`, deleted at the end) or its own SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use streamlens_domain::config::{QueueUrl, Schedule, SimulatorSettings, SourceConfig};
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_domain::series::{SeriesRecord, SeriesStatus};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_domain::storage::meta::{Condition, Item, Key, Query, WriteOp, keys};
use streamlens_domain::time::Slot;
use streamlens_jobs::jobs::{Job, JobContext, JobError, PullSource, StartSeries};
use streamlens_jobs::notify::Notifier;
use streamlens_jobs::pipeline::locks::Locks;
use streamlens_jobs::queue::worker::{Registrar, worker_name};
use streamlens_jobs::queue::{Queue, QueueSettings};
use streamlens_jobs::scheduler::Scheduler;
use streamlens_jobs::sources::registry::Sources;
use tokio_util::sync::CancellationToken;

const REDIS: &str = "redis://127.0.0.1:6379";

/// A job that fails every time, recording each run.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AlwaysFails {
    label: String,
}

impl Job for AlwaysFails {
    const QUEUE: &'static str = "test-always-fails";
    const MAX_ATTEMPTS: usize = 3;

    fn idempotency_key(&self) -> Option<String> {
        None
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        let run = uuid::Uuid::new_v4().simple().to_string();
        let key = Key::new(format!("RUNS#{}", self.label), run);
        ctx.storage
            .meta
            .put(Item::new(key), Condition::None)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        Err(JobError::Retry(format!("boom in {}", self.label)))
    }
}

/// A job that takes a while, then records that it finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slow {
    n: u32,
}

impl Job for Slow {
    const QUEUE: &'static str = "test-slow";
    const MAX_ATTEMPTS: usize = 5;

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("slow:{}", self.n))
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let key = Key::new("SLOW", format!("{:04}", self.n));
        ctx.storage
            .meta
            .put(Item::new(key), Condition::None)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }
}

/// A job longer than the missed-heartbeat allowance (2 s × 3), recording each run.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Long {
    n: u32,
}

impl Job for Long {
    const QUEUE: &'static str = "test-long";
    const MAX_ATTEMPTS: usize = 3;

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("long:{}", self.n))
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let key = Key::new("LONG", uuid::Uuid::new_v4().simple().to_string());
        ctx.storage
            .meta
            .put(Item::new(key), Condition::None)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }
}

struct Env {
    _dir: Option<tempfile::TempDir>,
    ctx: JobContext,
    namespace: String,
}

impl Env {
    async fn count(&self, partition: &str) -> usize {
        let mut n = 0;
        let mut cursor = None;
        loop {
            let page = self
                .ctx
                .storage
                .meta
                .query(&Query::partition(partition).limit(1000).after(cursor.take()))
                .await
                .unwrap();
            n += page.items.len();
            match page.next {
                Some(next) => cursor = Some(next),
                None => return n,
            }
        }
    }

    async fn cleanup(&self) {
        if let Queue::Redis(_) = self.ctx.queue {
            let mut connection = streamlens_jobs::queue::redis::connect(REDIS).await.unwrap();
            let mut cursor: u64 = 0;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("{}:*", self.namespace))
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut connection)
                    .await
                    .unwrap();
                if !keys.is_empty() {
                    let _: u64 = redis::cmd("UNLINK")
                        .arg(&keys)
                        .query_async(&mut connection)
                        .await
                        .unwrap();
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
    }
}

fn settings(namespace: &str) -> QueueSettings {
    QueueSettings {
        namespace: namespace.to_owned(),
        ..QueueSettings::default()
    }
}

/// Stores in `dir`, and a queue on `backend` (`redis` or `sqlite`) under `namespace`.
async fn env_in(dir: &std::path::Path, backend: &str, namespace: &str) -> JobContext {
    let storage = Storage {
        blobs: Arc::new(FileBlobStore::open(dir.join("blobs")).await.unwrap()),
        meta: Arc::new(SqliteMetaStore::open(dir.join("meta.sqlite")).await.unwrap()),
    };
    let url = match backend {
        "redis" => QueueUrl::Redis(REDIS.into()),
        _ => QueueUrl::Sqlite(dir.join("queue.sqlite")),
    };
    let queue = Queue::connect(&url, settings(namespace)).await.unwrap();
    let simulator = SimulatorSettings {
        seed: 1,
        channels: 1,
        speed: 1.0,
    };
    let sources = Arc::new(Sources::start(&[], simulator).await.unwrap());
    JobContext::new(storage, queue, sources, Locks::local(), Notifier::in_process())
}

async fn env(backend: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let namespace = format!("t{}", uuid::Uuid::new_v4().simple());
    let ctx = env_in(dir.path(), backend, &namespace).await;
    Env {
        _dir: Some(dir),
        ctx,
        namespace,
    }
}

/// Runs `registrar`'s workers until `done` holds (checked every 100 ms) or `limit` passes; returns whether it held.
async fn run_until<F, Fut>(registrar: Registrar, limit: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let stop = CancellationToken::new();
    let workers = tokio::spawn(registrar.run(stop.clone().cancelled_owned()));
    let deadline = Instant::now() + limit;
    let mut held = false;
    while Instant::now() < deadline {
        if done().await {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    workers.await.unwrap().unwrap();
    held
}

async fn a_job_that_always_fails_runs_exactly_its_bound_then_is_dead_with_its_error(backend: &str) {
    let env = env(backend).await;
    let queue = env.ctx.queue.clone();
    queue.push(AlwaysFails { label: "x".into() }).await.unwrap();
    let registrar = Registrar::new(env.ctx.clone()).add::<AlwaysFails>();
    let dead = run_until(registrar, Duration::from_secs(60), || async {
        queue.depth::<AlwaysFails>().await.unwrap().dead == 1
    })
    .await;
    assert!(dead, "the job never died");
    // No more runs come after it died.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(env.count("RUNS#x").await, AlwaysFails::MAX_ATTEMPTS);
    let dead = queue.dead::<AlwaysFails>().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    assert!(dead[0].error.contains("boom in x"), "{:?}", dead[0].error);
    assert!(dead[0].payload.contains("\"label\":\"x\""), "{:?}", dead[0].payload);

    // Requeued, it gets a fresh budget of three runs and dies again.
    assert_eq!(queue.requeue_dead::<AlwaysFails>().await.unwrap(), 1);
    assert_eq!(queue.depth::<AlwaysFails>().await.unwrap().dead, 0);
    let registrar = Registrar::new(env.ctx.clone()).add::<AlwaysFails>();
    let dead = run_until(registrar, Duration::from_secs(60), || async {
        queue.depth::<AlwaysFails>().await.unwrap().dead == 1
    })
    .await;
    assert!(dead);
    assert_eq!(env.count("RUNS#x").await, 6);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_job_that_always_fails_runs_exactly_its_bound_then_is_dead_with_its_error() {
    a_job_that_always_fails_runs_exactly_its_bound_then_is_dead_with_its_error("redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_job_that_always_fails_runs_exactly_its_bound_then_is_dead_with_its_error() {
    a_job_that_always_fails_runs_exactly_its_bound_then_is_dead_with_its_error("sqlite").await;
}

async fn a_repeated_push_is_a_no_op_and_purge_keeps_dead_jobs(backend: &str) {
    let env = env(backend).await;
    let queue = env.ctx.queue.clone();
    let job = PullSource {
        source: SourceId::simulator(),
        trigger: Trigger::Schedule,
        at: Utc::now(),
        range: None,
        pull_id: None,
    };
    queue.push(job.clone()).await.unwrap();
    queue.push(job.clone()).await.unwrap();
    queue.push_all(vec![job.clone(), job]).await.unwrap();
    assert_eq!(queue.depth::<PullSource>().await.unwrap().waiting, 1);

    // Two slow jobs finish; a failing one dies; purging removes the finished and keeps the dead.
    queue.push_all(vec![Slow { n: 1 }, Slow { n: 2 }]).await.unwrap();
    queue.push(AlwaysFails { label: "p".into() }).await.unwrap();
    let registrar = Registrar::new(env.ctx.clone()).add::<Slow>().add::<AlwaysFails>();
    let finished = run_until(registrar, Duration::from_secs(60), || async {
        queue.depth::<Slow>().await.unwrap().done == 2 && queue.depth::<AlwaysFails>().await.unwrap().dead == 1
    })
    .await;
    assert!(finished);
    assert_eq!(queue.purge_done::<Slow>().await.unwrap(), 2);
    assert_eq!(queue.purge_done::<AlwaysFails>().await.unwrap(), 0);
    assert_eq!(queue.depth::<Slow>().await.unwrap().done, 0);
    assert_eq!(queue.depth::<AlwaysFails>().await.unwrap().dead, 1);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_a_repeated_push_is_a_no_op_and_purge_keeps_dead_jobs() {
    a_repeated_push_is_a_no_op_and_purge_keeps_dead_jobs("redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_repeated_push_is_a_no_op_and_purge_keeps_dead_jobs() {
    a_repeated_push_is_a_no_op_and_purge_keeps_dead_jobs("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_thousand_start_series_jobs_pushed_at_once_are_all_processed_and_no_worker_exits() {
    let env = env("redis").await;
    let queue = env.ctx.queue.clone();
    let source = SourceId::simulator();
    let first = Slot::minute(Utc::now().duration_trunc_minute() - chrono::Duration::days(40)).unwrap();
    let pull_id = PullId::generate();
    // 50,000 series that exist and are ready already: each job takes the "already started" path, so the queue is
    // what is tested.
    let slots: Vec<Slot> = std::iter::successors(Some(first), |s| Some(s.next()))
        .take(50_000)
        .collect();
    let ops = slots
        .iter()
        .map(|&slot| {
            let id = SeriesId::new(source.clone(), slot);
            let record = SeriesRecord {
                id: id.clone(),
                source: source.clone(),
                slot,
                status: SeriesStatus::Ready,
                pull_id: pull_id.clone(),
                records: 0,
                data_key: String::new(),
                created_at: Utc::now(),
                updated_at: Utc::now(),
            };
            WriteOp::Put(Item::from_record(keys::series(&id), &record).unwrap())
        })
        .collect();
    env.ctx.storage.meta.batch_write(ops).await.unwrap();
    let jobs: Vec<StartSeries> = slots
        .iter()
        .map(|&slot| StartSeries {
            source: source.clone(),
            slot,
            pull_id: pull_id.clone(),
            trigger: streamlens_domain::pulls::Trigger::Schedule,
        })
        .collect();

    let started = Instant::now();
    queue.push_all(jobs).await.unwrap();
    let pushed = started.elapsed();
    assert_eq!(queue.depth::<StartSeries>().await.unwrap().waiting, 50_000);

    let registrar = Registrar::new(env.ctx.clone()).add::<StartSeries>();
    let restarts = registrar.restarts();
    let all_done = run_until(registrar, Duration::from_secs(600), || async {
        queue.depth::<StartSeries>().await.unwrap().done == 50_000
    })
    .await;
    let depth = queue.depth::<StartSeries>().await.unwrap();
    println!(
        "pushed 50,000 in {pushed:?}; processed in {:?}; {depth:?}",
        started.elapsed()
    );
    assert!(all_done, "{depth:?}");
    assert_eq!(depth.dead, 0);
    assert_eq!(restarts.load(Ordering::Relaxed), 0, "a worker stopped on an error");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_backlog_far_above_the_fetch_limit_is_promoted_in_chunks() {
    let env = env("redis").await;
    let Queue::Redis(redis_queue) = &env.ctx.queue else {
        unreachable!()
    };
    // 20,000 jobs pushed straight through apalis, as a backlog of retries falling due after an outage would be.
    let mut storage = redis_queue.storage::<Slow>();
    let jobs: Vec<Slow> = (0..20_000).map(|n| Slow { n }).collect();
    apalis::prelude::TaskSink::push_bulk(&mut storage, jobs).await.unwrap();
    let config = redis_queue.config(&redis_queue.settings().queue_name::<Slow>());
    let moved = redis_queue.promote_due(&config).await.unwrap();
    assert_eq!(moved, 20_000);
    let mut connection = redis_queue.connection();
    let due: u64 = redis::AsyncCommands::zcard(&mut connection, config.scheduled_jobs_set())
        .await
        .unwrap();
    let active: u64 = redis::AsyncCommands::llen(&mut connection, config.active_jobs_list())
        .await
        .unwrap();
    assert_eq!((due, active), (0, 20_000));
    env.cleanup().await;
}

/// The worker process of the kill test: runs `Slow` workers on the queue and stores the test names until killed.
const CHILD_ENV: &str = "STREAMLENS_TEST_WORKER";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_with_jobs_in_flight_loses_none_of_them() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (dir, namespace) = spec.split_once('|').unwrap();
        let ctx = env_in(std::path::Path::new(dir), "redis", namespace).await;
        let _ = Registrar::new(ctx).add::<Slow>().run(std::future::pending()).await;
        return;
    }
    let env = env("redis").await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = env_in(dir.path(), "redis", &env.namespace).await;
    let queue = ctx.queue.clone();
    let total = 24;
    queue.push_all((0..total).map(|n| Slow { n }).collect()).await.unwrap();

    let spawn_worker = || {
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_worker_killed_with_jobs_in_flight_loses_none_of_them",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, format!("{}|{}", dir.path().display(), env.namespace))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let finished = |ctx: JobContext| async move {
        ctx.storage
            .meta
            .query(&Query::partition("SLOW").limit(1000))
            .await
            .unwrap()
            .items
            .len()
    };

    // The first worker takes 8 jobs at once (its concurrency); kill it once some have finished and others run.
    let mut first = spawn_worker();
    let deadline = Instant::now() + Duration::from_secs(60);
    while finished(ctx.clone()).await < 4 {
        assert!(Instant::now() < deadline, "the first worker finished nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let running_at_kill = queue.depth::<Slow>().await.unwrap().running;
    first.kill().unwrap();
    first.wait().unwrap();
    let killed_at = Instant::now();
    assert!(running_at_kill > 0, "no job was in flight at the kill");

    let mut second = spawn_worker();
    let deadline = killed_at + Duration::from_secs(60);
    while finished(ctx.clone()).await < total as usize {
        if Instant::now() > deadline {
            second.kill().unwrap();
            panic!(
                "{} of {total} jobs finished 60 s after the kill",
                finished(ctx.clone()).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_in = killed_at.elapsed();
    second.kill().unwrap();
    second.wait().unwrap();
    println!("{running_at_kill} jobs in flight at the kill; all {total} finished {recovered_in:?} after it");
    assert_eq!(queue.depth::<Slow>().await.unwrap().dead, 0);
    env.cleanup().await;
}

#[tokio::test]
async fn the_jobs_of_a_worker_that_stopped_beating_are_re_enqueued_and_a_live_workers_are_not() {
    // What a killed process leaves: its workers registered with an old heartbeat and their fetched jobs in their
    // in-flight sets. Beside it, a worker that beat just now, with a job of its own.
    let env = env("redis").await;
    env.ctx
        .queue
        .push_all((0..4).map(|n| Slow { n }).collect())
        .await
        .unwrap();
    let Queue::Redis(queue) = &env.ctx.queue else {
        unreachable!("a Redis env")
    };
    let config = queue.config(&queue.settings().queue_name::<Slow>());
    let mut redis = queue.connection();
    let ids: Vec<String> = redis::cmd("LRANGE")
        .arg(config.active_jobs_list())
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(ids.len(), 4);
    let now = Utc::now().timestamp();
    let gone = worker_name(Slow::QUEUE);
    let alive = worker_name(Slow::QUEUE);
    let inflight = |worker: &str| format!("{}:{worker}", config.inflight_jobs_set());
    let _: () = redis::pipe()
        .atomic()
        .del(config.active_jobs_list())
        .zadd(config.workers_set(), &gone, now - 60)
        .zadd(config.workers_set(), &alive, now)
        .sadd(inflight(&gone), &ids[..3])
        .sadd(inflight(&alive), &ids[3])
        .query_async(&mut redis)
        .await
        .unwrap();

    assert_eq!(queue.reap_orphans(&config).await.unwrap(), 3);
    let mut requeued: Vec<String> = redis::cmd("LRANGE")
        .arg(config.active_jobs_list())
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await
        .unwrap();
    requeued.sort();
    assert_eq!(requeued, ids[..3]);
    let workers: Vec<String> = redis::cmd("ZRANGE")
        .arg(config.workers_set())
        .arg(0)
        .arg(-1)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(
        workers,
        std::slice::from_ref(&alive),
        "the stopped worker is unregistered, the live one stays"
    );
    let kept: Vec<String> = redis::cmd("SMEMBERS")
        .arg(inflight(&alive))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(kept, std::slice::from_ref(&ids[3]), "a live worker's job stays with it");
    let left: u64 = redis::cmd("EXISTS")
        .arg(inflight(&gone))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        queue.reap_orphans(&config).await.unwrap(),
        0,
        "a second pass finds nothing"
    );

    // The re-enqueued jobs run to the end on a worker.
    let registrar = Registrar::new(env.ctx.clone()).add::<Slow>();
    assert!(
        run_until(registrar, Duration::from_secs(30), || async {
            env.count("SLOW").await == 3
        })
        .await
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_busy_longer_than_its_heartbeat_allowance_is_not_taken_for_dead() {
    // Two workers of one queue, as two processes would have. The first runs a 10 s job with its only slot, so its
    // poll loop (where apalis beats) is idle longer than 6 s; the second, idle, looks for orphans at each beat.
    let env = env("redis").await;
    let queue = env.ctx.queue.clone();
    let one_slot = QueueSettings {
        concurrency: 1,
        ..settings(&env.namespace)
    };
    let settings = |_: &JobContext| {
        let mut ctx = env.ctx.clone();
        let one_slot = one_slot.clone();
        async move {
            ctx.queue = Queue::connect(&QueueUrl::Redis(REDIS.into()), one_slot).await.unwrap();
            ctx
        }
    };
    queue.push(Long { n: 1 }).await.unwrap();
    let busy = Registrar::new(settings(&env.ctx).await).add::<Long>();
    let busy_restarts = busy.restarts();
    let stop = CancellationToken::new();
    let first = tokio::spawn(busy.run(stop.clone().cancelled_owned()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while queue.depth::<Long>().await.unwrap().running == 0 {
        assert!(Instant::now() < deadline, "the job did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = Registrar::new(settings(&env.ctx).await).add::<Long>();
    let idle_restarts = idle.restarts();
    let second = tokio::spawn(idle.run(stop.clone().cancelled_owned()));

    let deadline = Instant::now() + Duration::from_secs(40);
    while queue.depth::<Long>().await.unwrap().done < 1 {
        assert!(Instant::now() < deadline, "the job did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a wrongly re-enqueued copy to run too.
    tokio::time::sleep(Duration::from_secs(11)).await;
    stop.cancel();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(env.count("LONG").await, 1, "the job ran more than once");
    assert_eq!(
        busy_restarts.load(Ordering::Relaxed),
        0,
        "the busy worker was unregistered and stopped"
    );
    assert_eq!(idle_restarts.load(Ordering::Relaxed), 0);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_schedulers_enqueue_one_pull_per_tick() {
    let env = env("redis").await;
    let source = SourceConfig {
        schedule: "*/2 * * * * *".parse::<Schedule>().unwrap(),
        ..SourceConfig::default_simulator()
    };
    let a = Scheduler::new(env.ctx.storage.clone(), env.ctx.queue.clone(), vec![source.clone()]);
    let b = Scheduler::new(env.ctx.storage.clone(), env.ctx.queue.clone(), vec![source]);
    let stop = CancellationToken::new();
    let (ra, rb) = (
        tokio::spawn(a.run(stop.clone().cancelled_owned())),
        tokio::spawn(b.run(stop.clone().cancelled_owned())),
    );
    tokio::time::sleep(Duration::from_millis(9_000)).await;
    stop.cancel();
    ra.await.unwrap().unwrap();
    rb.await.unwrap().unwrap();

    let Queue::Redis(redis_queue) = &env.ctx.queue else {
        unreachable!()
    };
    let config = redis_queue.config(&redis_queue.settings().queue_name::<PullSource>());
    let mut connection = redis_queue.connection();
    let payloads: Vec<String> = redis::AsyncCommands::hvals(&mut connection, config.job_data_hash())
        .await
        .unwrap();
    let ticks: Vec<chrono::DateTime<Utc>> = payloads
        .iter()
        .map(|p| serde_json::from_str::<PullSource>(p).unwrap().at)
        .collect();
    let distinct: std::collections::BTreeSet<_> = ticks.iter().collect();
    assert!(ticks.len() >= 3, "only {} ticks in 9 s", ticks.len());
    assert_eq!(distinct.len(), ticks.len(), "a tick was enqueued twice: {ticks:?}");
    env.cleanup().await;
}

#[test]
fn worker_names_are_unique_per_worker_and_process() {
    let a = worker_name("pull-source");
    let b = worker_name("pull-source");
    assert_ne!(a, b);
    assert!(
        a.starts_with("pull-source@") && a.contains(&format!(":{}:", std::process::id())),
        "{a}"
    );
}

trait MinuteTrunc {
    fn duration_trunc_minute(self) -> Self;
}

impl MinuteTrunc for chrono::DateTime<Utc> {
    fn duration_trunc_minute(self) -> Self {
        chrono::DurationRound::duration_trunc(self, chrono::Duration::minutes(1)).unwrap()
    }
}

#[tokio::test]
async fn one_scheduler_leads_a_resigned_lead_passes_at_once_and_a_dead_one_after_its_lease() {
    use streamlens_jobs::scheduler::leader::{Leadership, RedisLock};
    let connection = streamlens_jobs::queue::redis::connect(REDIS).await.unwrap();
    let key = format!("t{}:scheduler:leader", uuid::Uuid::new_v4().simple());
    let lease = Duration::from_millis(1500);
    let a = Leadership::Redis(RedisLock::new(connection.clone(), &key, lease));
    let b = Leadership::Redis(RedisLock::new(connection.clone(), &key, lease));
    assert!(a.lead().await.unwrap());
    assert!(!b.lead().await.unwrap());
    assert!(a.lead().await.unwrap(), "the leader renews");
    a.resign().await;
    assert!(b.lead().await.unwrap(), "a resigned lead passes at once");
    assert!(!a.lead().await.unwrap());
    // b stops without resigning (killed): a takes over once b's lease runs out.
    tokio::time::sleep(lease + Duration::from_millis(300)).await;
    assert!(a.lead().await.unwrap());
    a.resign().await;
}
