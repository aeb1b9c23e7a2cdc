//! The Redis backend (apalis-redis 1.0), and the raw-Redis upkeep its own admin calls do not do right.
//!
//! apalis-redis keeps, per queue `q`: `q:active` (list of due ids), `q:scheduled` (zset of ids by run time: every
//! push and every retry lands here first), `q:inflight:{worker}` (sets), `q:done` and `q:dead` (sets), `q:data`
//! (payloads) and `q:meta:{id}` (status, attempts, result).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis::prelude::{Task, TaskSink};
use apalis_redis::{Config, RedisStorage};
use futures::stream;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{DeadJob, Depth, QueueError, QueueSettings, Workload};
use crate::jobs::Job;

/// apalis-redis' queues, tuned by [`QueueSettings`].
#[derive(Clone)]
pub struct RedisQueue {
    connection: ConnectionManager,
    settings: QueueSettings,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A client for `url` (`redis://` or `rediss://`): every Redis connection of Streamlens starts here.
///
/// TLS goes through rustls, and the build holds two of its crypto providers (aws-lc-rs, and ring through other
/// crates), so rustls cannot pick one by itself and would panic at the first `rediss://` handshake: aws-lc-rs, the
/// one the rest of the build uses, is installed as the process default first.
pub fn client(url: &str) -> Result<redis::Client, redis::RedisError> {
    // Fails only when a provider is installed already, which is as good.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    redis::Client::open(url)
}

/// Opens a connection that waits up to 10 s for an answer: the default 500 ms turns a big push or a slow fetch
/// under load into a client-side error while Redis carries on.
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = client(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(Duration::from_secs(10)))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    client.get_connection_manager_with_config(config).await
}

const PROMOTE_DUE: &str = r"
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1], 'LIMIT', 0, ARGV[2])
if #ids > 0 then
  redis.call('RPUSH', KEYS[2], unpack(ids))
  redis.call('ZREM', KEYS[1], unpack(ids))
end
return #ids
";

/// apalis' own re-enqueue of orphans (`reenqueue_orphaned.lua`), for every worker whose heartbeat is older than
/// `ARGV[1]`: its in-flight jobs go back on the active list and it leaves the worker set.
const REAP_ORPHANS: &str = r"
local workers = redis.call('ZRANGEBYSCORE', KEYS[1], 0, ARGV[1])
local moved = 0
for _, worker in ipairs(workers) do
  local inflight = KEYS[3] .. ':' .. worker
  local ids = redis.call('SMEMBERS', inflight)
  if #ids > 0 then
    redis.call('RPUSH', KEYS[2], unpack(ids))
    moved = moved + #ids
  end
  redis.call('DEL', inflight)
  redis.call('ZREM', KEYS[1], worker)
end
if moved > 0 then
  redis.call('DEL', KEYS[4])
  redis.call('LPUSH', KEYS[4], 1)
end
return moved
";

const REQUEUE_DEAD: &str = r"
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  redis.call('SREM', KEYS[1], id)
  redis.call('HSET', KEYS[3] .. ':' .. id, 'status', 'Pending', 'attempts', 0)
  redis.call('HDEL', KEYS[3] .. ':' .. id, 'result', 'done_at', 'locked_by', 'locked_at')
  redis.call('RPUSH', KEYS[2], id)
end
return #ids
";

const PURGE_DONE: &str = r"
local ids = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(ids) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('DEL', KEYS[3] .. ':' .. id)
  redis.call('SREM', KEYS[1], id)
end
return #ids
";

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl RedisQueue {
    /// Connects to Redis at `url` and checks that it answers (a wrong password or a TLS mismatch fails here, at
    /// start-up, rather than at the first job).
    pub async fn connect(url: &str, settings: QueueSettings) -> Result<Self, QueueError> {
        let mut connection = connect(url).await?;
        redis::cmd("PING").query_async::<()>(&mut connection).await?;
        Ok(Self { connection, settings })
    }

    /// How the queue is tuned.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// A connection to the same Redis (for the scheduler's lock).
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// apalis' config for the queue `name`.
    ///
    /// `lock_tasks(false)`: with locking on, apalis 1.0 removes each started id from the active list with an `LREM`
    /// that scans the whole list, so throughput falls with the backlog (2,000 jobs/s at 50,000 queued, measured);
    /// without it, orphan recovery (per-worker in-flight sets) still works; only the per-job `locked_by` field and
    /// lease renewal go.
    pub fn config(&self, name: &str) -> Config {
        Config::default()
            .queue(name)
            .heartbeat_interval(self.settings.heartbeat)
            .missed_heartbeats(self.settings.missed_heartbeats)
            .batch_size(self.settings.concurrency)
            .idempotency_ttl(Some(self.settings.idempotency_ttl))
            .lock_tasks(false)
    }

    /// apalis' storage for `J`'s queue.
    pub fn storage<J: Job>(&self) -> RedisStorage<J> {
        RedisStorage::new(self.connection.clone()).with_config(self.config(&self.settings.queue_name::<J>()))
    }

    /// Pushes tasks `chunk` at a time, promoting each chunk from the schedule to the active list before the next:
    /// apalis parks every push in the schedule, and a worker that finds more than ~8,000 of them due at once exits.
    pub async fn push_tasks<J: Job>(&self, tasks: Vec<Task<J>>) -> Result<(), QueueError> {
        let mut storage = self.storage::<J>();
        let config = self.config(&self.settings.queue_name::<J>());
        let mut tasks = tasks.into_iter().peekable();
        while tasks.peek().is_some() {
            let chunk: Vec<Task<J>> = tasks.by_ref().take(self.settings.chunk).collect();
            storage
                .push_all(stream::iter(chunk))
                .await
                .map_err(|e| QueueError::Push(e.to_string()))?;
            self.promote_due(&config).await?;
        }
        Ok(())
    }

    /// Moves every due job from the schedule to the active list, `chunk` at a time. Workers run this every
    /// second, so a backlog that falls due at once (retries after an outage) never reaches apalis' own fetch in one
    /// piece.
    pub async fn promote_due(&self, config: &Config) -> Result<u64, QueueError> {
        let mut connection = self.connection.clone();
        let script = redis::Script::new(PROMOTE_DUE);
        let mut total = 0;
        loop {
            let moved: u64 = script
                .key(config.scheduled_jobs_set())
                .key(config.active_jobs_list())
                .arg(now_secs())
                .arg(self.settings.chunk)
                .invoke_async(&mut connection)
                .await?;
            total += moved;
            if moved < self.settings.chunk as u64 {
                return Ok(total);
            }
        }
    }

    /// Puts the in-flight jobs of every worker of the queue whose heartbeat is older than the allowance (heartbeat ×
    /// missed heartbeats) back on the active list, and unregisters those workers; returns how many jobs moved.
    ///
    /// apalis does the same, but only from another worker's heartbeat, which it sends from its poll loop and skips
    /// while that worker holds fetched jobs it has no slot for: a killed worker's jobs could then wait for as long as
    /// the survivors stay busy. Workers run this every second, beside [`Self::keep_alive`], so orphans run again
    /// within the allowance whatever the survivors are doing.
    pub async fn reap_orphans(&self, config: &Config) -> Result<u64, QueueError> {
        let mut connection = self.connection.clone();
        let before = now_secs().saturating_sub(config.orphaned_duration().as_secs());
        Ok(redis::Script::new(REAP_ORPHANS)
            .key(config.workers_set())
            .key(config.active_jobs_list())
            .key(config.inflight_jobs_set())
            .key(config.signal_list())
            .arg(before)
            .invoke_async(&mut connection)
            .await?)
    }

    /// Renews the heartbeats of this process's workers (`(queue, worker name)`), for those still registered.
    ///
    /// apalis beats from each worker's poll loop, and any other worker of the queue re-enqueues the jobs of a worker
    /// whose beat is older than the allowance and unregisters it (the worker then stops). When that loop lags, a
    /// live worker is taken for dead: seen once on a loaded machine (a debug build of the whole topology starting at
    /// once), where the unregistered worker's restart then ran nothing more. Liveness is the process's, so the
    /// process also renews it on a clock of its own. `XX`: a worker already unregistered stays so.
    pub async fn keep_alive(&self, workers: &[(String, String)]) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let now = now_secs();
        for (queue, name) in workers {
            redis::cmd("ZADD")
                .arg(self.config(queue).workers_set())
                .arg("XX")
                .arg(now)
                .arg(name)
                .query_async::<()>(&mut connection)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn depth(&self, name: &str) -> Result<Depth, QueueError> {
        let config = self.config(name);
        let mut connection = self.connection.clone();
        let active: u64 = connection.llen(config.active_jobs_list()).await?;
        let scheduled: u64 = connection.zcard(config.scheduled_jobs_set()).await?;
        let done: u64 = connection.scard(config.done_jobs_set()).await?;
        let dead: u64 = connection.scard(config.dead_jobs_set()).await?;
        let workers: Vec<String> = connection.zrange(config.workers_set(), 0, -1).await?;
        let mut running = 0;
        for worker in workers {
            let n: u64 = connection
                .scard(format!("{}:{worker}", config.inflight_jobs_set()))
                .await?;
            running += n;
        }
        Ok(Depth {
            waiting: active + scheduled,
            running,
            done,
            dead,
        })
    }

    pub(super) async fn workload(&self, name: &str) -> Result<Workload, QueueError> {
        let config = self.config(name);
        let mut connection = self.connection.clone();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        // Heartbeats are scored in seconds; a worker missing its allowance of them is gone.
        let gone_after = self.settings.heartbeat * u32::try_from(self.settings.missed_heartbeats).unwrap_or(u32::MAX);
        let since = now.saturating_sub(gone_after).as_secs();
        let workers: u64 = connection.zcount(config.workers_set(), since, "+inf").await?;
        // The active list is pushed at its tail and read from its head; ids are ULIDs, which carry their creation time.
        let oldest: Option<String> = connection.lindex(config.active_jobs_list(), 0).await?;
        let oldest_waiting = oldest
            .and_then(|id| id.parse::<ulid::Ulid>().ok())
            .map(|id| now.saturating_sub(Duration::from_millis(id.timestamp_ms())));
        Ok(Workload {
            workers,
            oldest_waiting,
        })
    }

    pub(super) async fn dead(&self, name: &str) -> Result<Vec<DeadJob>, QueueError> {
        let config = self.config(name);
        let mut connection = self.connection.clone();
        let ids: Vec<String> = connection.smembers(config.dead_jobs_set()).await?;
        let mut dead = Vec::with_capacity(ids.len());
        for id in ids {
            let meta_key = format!("{}:{id}", config.job_meta_hash());
            let (attempts, result): (Option<u64>, Option<String>) = redis::cmd("HMGET")
                .arg(&meta_key)
                .arg("attempts")
                .arg("result")
                .query_async(&mut connection)
                .await?;
            let payload: Option<String> = connection.hget(config.job_data_hash(), &id).await?;
            dead.push(DeadJob {
                queue: name.to_owned(),
                id,
                attempts: attempts.unwrap_or(0),
                error: result.as_deref().map(error_of).unwrap_or_default(),
                payload: payload.unwrap_or_default(),
            });
        }
        dead.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(dead)
    }

    pub(super) async fn requeue_dead(&self, name: &str) -> Result<u64, QueueError> {
        let config = self.config(name);
        let mut connection = self.connection.clone();
        Ok(redis::Script::new(REQUEUE_DEAD)
            .key(config.dead_jobs_set())
            .key(config.active_jobs_list())
            .key(config.job_meta_hash())
            .invoke_async(&mut connection)
            .await?)
    }

    pub(super) async fn purge_done(&self, name: &str) -> Result<u64, QueueError> {
        let config = self.config(name);
        let mut connection = self.connection.clone();
        Ok(redis::Script::new(PURGE_DONE)
            .key(config.done_jobs_set())
            .key(config.job_data_hash())
            .key(config.job_meta_hash())
            .invoke_async(&mut connection)
            .await?)
    }

    pub(super) async fn check(&self) -> Result<(), QueueError> {
        let mut connection = self.connection.clone();
        let _: String = redis::cmd("PING").query_async(&mut connection).await?;
        Ok(())
    }
}

/// The error text out of apalis' stored result (`{"Err":"AbortError: …"}`).
fn error_of(result: &str) -> String {
    serde_json::from_str::<serde_json::Value>(result)
        .ok()
        .and_then(|v| v.get("Err").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| result.to_owned())
}
