//! The job queue: apalis 1.0 on Redis (`redis://…`) or on SQLite (`sqlite://FILE`, the embedded default).
//!
//! Everything that enqueues or inspects jobs goes through [`Queue`]; workers are built by [`worker`]. Each backend's
//! hazards (apalis-redis 1.0 and apalis-sqlite 1.0, as measured; see `docs/QUEUE.md`) are handled here once:
//!
//! | hazard | handled by |
//! |---|---|
//! | Redis reschedules a failed job up to 25 times, whatever the retry policy | [`layers::MaxAttemptsLayer`] dead-letters after `Job::MAX_ATTEMPTS` runs |
//! | more than ~8,000 jobs due at once crash every Redis worker (a Lua `unpack` limit) | bulk pushes go in chunks, each promoted from the schedule to the active list before the next ([`redis::RedisQueue::push_tasks`]); workers promote due jobs in chunks every second |
//! | a dead worker's jobs come back only after 10 missed 30 s heartbeats | 2 s heartbeats, 3 missed: orphans run again within ~6 s |
//! | orphans are re-enqueued only from another worker's heartbeat, which apalis skips while that worker holds fetched jobs it has no slot for | every worker process re-enqueues them each second ([`redis::RedisQueue::reap_orphans`]) |
//! | two processes with the same worker name break orphan recovery | worker names are `{job}@{host}:{pid}:{random}` |
//! | the 500 ms response timeout of the default Redis connection | connections with a 10 s response timeout |
//! | idempotency keys are dropped at once without a TTL | every queue has a 1 h idempotency TTL |
//! | an idle worker looks for jobs only at its heartbeat, and the interval strategy can lose its wake-up | [`layers::FixedInterval`] polling every 100 ms |
//! | `batch_size` above `concurrency` stops heartbeats; no `concurrency` means no limit | batch size = concurrency, always set |
//! | done and dead jobs stay until vacuumed; apalis' vacuum deletes jobs awaiting a retry | [`Queue::purge_done`], scheduled hourly |
//! | the default queue name is the Rust type name | explicit names: `{namespace}:{Job::QUEUE}` |
//! | SQLite: retries without backoff; `PRAGMA synchronous = OFF` after setup | a backoff sleep before each retry; setup on its own connection |
//!
//! - [`redis`] and [`sqlite`]: the two backends.
//! - [`layers`]: the attempt bound and the poll strategy.
//! - [`worker`]: one worker per job type, registered on an apalis monitor.

pub mod layers;
pub mod redis;
pub mod sqlite;
pub mod worker;

use std::time::Duration;

use apalis::prelude::{Task, TaskBuilder};
use serde::{Deserialize, Serialize};
use streamlens_domain::config::QueueUrl;

use crate::jobs::Job;

/// How queues and workers are tuned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSettings {
    /// Prefix of every queue name (tests use their own, so they never meet).
    pub namespace: String,
    /// How often a worker proves it is alive.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs are given to others.
    pub missed_heartbeats: usize,
    /// How often an idle worker looks for jobs.
    pub poll_interval: Duration,
    /// How long an idempotency key blocks a duplicate push.
    pub idempotency_ttl: Duration,
    /// Jobs one worker runs at once (and fetches at once).
    pub concurrency: usize,
    /// Most jobs pushed (and promoted) in one step of a bulk push.
    pub chunk: usize,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            namespace: "streamlens".into(),
            heartbeat: Duration::from_secs(2),
            missed_heartbeats: 3,
            poll_interval: Duration::from_millis(100),
            idempotency_ttl: Duration::from_secs(3600),
            concurrency: 8,
            chunk: 2_000,
        }
    }
}

impl QueueSettings {
    /// The stored name of `J`'s queue.
    pub fn queue_name<J: Job>(&self) -> String {
        format!("{}:{}", self.namespace, J::QUEUE)
    }
}

/// What went wrong with the queue.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Redis failed.
    #[error("redis queue: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// SQLite failed.
    #[error("sqlite queue: {0}")]
    Sqlite(#[from] sqlx::Error),
    /// apalis refused a push.
    #[error("push: {0}")]
    Push(String),
    /// apalis could not set up its tables.
    #[error("queue setup: {0}")]
    Setup(String),
    /// The workers stopped with an error.
    #[error("workers: {0}")]
    Workers(String),
}

/// How many jobs of one queue are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Depth {
    /// Waiting to run (due or scheduled for later, retries included).
    pub waiting: u64,
    /// Running on a worker.
    pub running: u64,
    /// Finished, not yet purged.
    pub done: u64,
    /// Gave up: dead-lettered with their error.
    pub dead: u64,
}

impl Depth {
    /// Jobs not finished: the backlog workers scale on.
    pub fn backlog(&self) -> u64 {
        self.waiting + self.running
    }
}

/// Who is working on a queue and how long its oldest job has waited: what autoscaling and alarms read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Workload {
    /// Worker processes with a recent heartbeat.
    pub workers: u64,
    /// How long ago the oldest job waiting to start was enqueued (`None`: nothing waits, or the queue cannot tell).
    pub oldest_waiting: Option<std::time::Duration>,
}

/// A dead-lettered job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadJob {
    /// The queue it was on.
    pub queue: String,
    /// Its task id.
    pub id: String,
    /// How many times it ran.
    pub attempts: u64,
    /// The last error.
    pub error: String,
    /// Its arguments, JSON.
    pub payload: String,
}

/// The job queue.
#[derive(Debug, Clone)]
pub enum Queue {
    /// apalis-redis.
    Redis(redis::RedisQueue),
    /// apalis-sqlite.
    Sqlite(sqlite::SqliteQueue),
}

impl Queue {
    /// Connects to the queue `url` names (creating the SQLite file and tables when needed).
    pub async fn connect(url: &QueueUrl, settings: QueueSettings) -> Result<Self, QueueError> {
        Ok(match url {
            QueueUrl::Redis(url) => Self::Redis(redis::RedisQueue::connect(url, settings).await?),
            QueueUrl::Sqlite(path) => Self::Sqlite(sqlite::SqliteQueue::connect(path, settings).await?),
        })
    }

    /// How the queue is tuned.
    pub fn settings(&self) -> &QueueSettings {
        match self {
            Self::Redis(q) => q.settings(),
            Self::Sqlite(q) => q.settings(),
        }
    }

    /// Which backend: `redis` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::Sqlite(_) => "sqlite",
        }
    }

    fn task<J: Job>(job: J) -> Task<J> {
        let key = job.idempotency_key();
        let not_before = job.not_before();
        let mut builder = TaskBuilder::new(job).max_attempts(J::MAX_ATTEMPTS);
        if let Some(key) = key {
            builder = builder.idempotency_key(key);
        }
        if let Some(at) = not_before {
            builder = builder.run_at_timestamp(u64::try_from(at.timestamp()).unwrap_or(0));
        }
        builder.build()
    }

    /// Enqueues one job (a no-op when its idempotency key was pushed within the TTL).
    pub async fn push<J: Job>(&self, job: J) -> Result<(), QueueError> {
        self.push_all(vec![job]).await
    }

    /// Enqueues many jobs, in chunks (see the module docs for why).
    pub async fn push_all<J: Job>(&self, jobs: Vec<J>) -> Result<(), QueueError> {
        let tasks: Vec<Task<J>> = jobs.into_iter().map(Self::task).collect();
        match self {
            Self::Redis(q) => q.push_tasks(tasks).await,
            Self::Sqlite(q) => q.push_tasks(tasks).await,
        }
    }

    /// How many jobs of `J` are in each state.
    pub async fn depth<J: Job>(&self) -> Result<Depth, QueueError> {
        let name = self.settings().queue_name::<J>();
        match self {
            Self::Redis(q) => q.depth(&name).await,
            Self::Sqlite(q) => q.depth(&name).await,
        }
    }

    /// Live workers of `J`'s queue and the age of its oldest waiting job. The embedded queue is worked by its one
    /// process and keeps no enqueue times: one worker, no age.
    pub async fn workload<J: Job>(&self) -> Result<Workload, QueueError> {
        let name = self.settings().queue_name::<J>();
        match self {
            Self::Redis(q) => q.workload(&name).await,
            Self::Sqlite(_) => Ok(Workload {
                workers: 1,
                oldest_waiting: None,
            }),
        }
    }

    /// The dead-lettered jobs of `J`.
    pub async fn dead<J: Job>(&self) -> Result<Vec<DeadJob>, QueueError> {
        let name = self.settings().queue_name::<J>();
        match self {
            Self::Redis(q) => q.dead(&name).await,
            Self::Sqlite(q) => q.dead(&name).await,
        }
    }

    /// Puts the dead jobs of `J` back in the queue with a fresh attempt budget; returns how many.
    pub async fn requeue_dead<J: Job>(&self) -> Result<u64, QueueError> {
        let name = self.settings().queue_name::<J>();
        match self {
            Self::Redis(q) => q.requeue_dead(&name).await,
            Self::Sqlite(q) => q.requeue_dead(&name).await,
        }
    }

    /// Deletes the finished (done) jobs of `J`; dead ones stay for admins. Returns how many.
    pub async fn purge_done<J: Job>(&self) -> Result<u64, QueueError> {
        let name = self.settings().queue_name::<J>();
        match self {
            Self::Redis(q) => q.purge_done(&name).await,
            Self::Sqlite(q) => q.purge_done(&name).await,
        }
    }

    /// Checks that the queue answers (for readiness probes).
    pub async fn check(&self) -> Result<(), QueueError> {
        match self {
            Self::Redis(q) => q.check().await,
            Self::Sqlite(q) => q.check().await,
        }
    }
}
