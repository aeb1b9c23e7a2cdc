//! The SQLite backend (apalis-sqlite 1.0): the embedded default, one file, no service.
//!
//! apalis keeps every job as a row of `Jobs` (`job_type` is the queue name); dead jobs are `Killed`, or `Failed`
//! with their attempts used up.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use apalis::prelude::{Task, TaskSink};
use apalis_sqlite::{Config, SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteStorage};
use futures::stream;
use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};

use super::{DeadJob, Depth, QueueError, QueueSettings};
use crate::jobs::Job;

/// apalis-sqlite's queues, tuned by [`QueueSettings`].
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    pool: SqlitePool,
    settings: QueueSettings,
}

const DEAD: &str = "(status = 'Killed' OR (status = 'Failed' AND attempts >= max_attempts))";

impl SqliteQueue {
    /// Opens (creating if needed) the queue file and its tables.
    pub async fn connect(path: &Path, settings: QueueSettings) -> Result<Self, QueueError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| QueueError::Sqlite(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        // apalis' setup switches `synchronous` off on the connection it runs on: give it one of its own.
        let setup = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        SqliteStorage::<()>::setup(&setup)
            .await
            .map_err(|e| QueueError::Setup(e.to_string()))?;
        setup.close().await;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self { pool, settings })
    }

    /// How the queue is tuned.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// apalis' config for the queue `name`.
    pub fn config(&self, name: &str) -> Config {
        Config::default()
            .queue(name)
            .heartbeat_interval(self.settings.heartbeat)
            .missed_heartbeats(self.settings.missed_heartbeats)
            .batch_size(self.settings.concurrency)
    }

    /// apalis' storage for `J`'s queue.
    pub fn storage<J: Job>(&self) -> SqliteStorage<J> {
        SqliteStorage::new(&self.pool).with_config(self.config(&self.settings.queue_name::<J>()))
    }

    /// Pushes tasks `chunk` at a time (one transaction each).
    pub async fn push_tasks<J: Job>(&self, tasks: Vec<Task<J>>) -> Result<(), QueueError> {
        let mut storage = self.storage::<J>();
        let mut tasks = tasks.into_iter().peekable();
        while tasks.peek().is_some() {
            let chunk: Vec<Task<J>> = tasks.by_ref().take(self.settings.chunk).collect();
            storage
                .push_all(stream::iter(chunk))
                .await
                .map_err(|e| QueueError::Push(e.to_string()))?;
        }
        Ok(())
    }

    pub(super) async fn depth(&self, name: &str) -> Result<Depth, QueueError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT status, attempts >= max_attempts, COUNT(*) FROM Jobs WHERE job_type = ? GROUP BY 1, 2",
        )
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        let mut depth = Depth::default();
        for (status, used_up, count) in rows {
            let count = u64::try_from(count).unwrap_or(0);
            match (status.as_str(), used_up != 0) {
                ("Done", _) => depth.done += count,
                ("Killed", _) | ("Failed", true) => depth.dead += count,
                ("Running", _) => depth.running += count,
                _ => depth.waiting += count,
            }
        }
        Ok(depth)
    }

    pub(super) async fn dead(&self, name: &str) -> Result<Vec<DeadJob>, QueueError> {
        let rows: Vec<(String, i64, Option<String>, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, attempts, last_result, job FROM Jobs WHERE job_type = ? AND {DEAD} ORDER BY id"
        )))
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, attempts, result, job)| DeadJob {
                queue: name.to_owned(),
                id,
                attempts: u64::try_from(attempts).unwrap_or(0),
                error: result
                    .as_deref()
                    .map(|r| {
                        serde_json::from_str::<serde_json::Value>(r)
                            .ok()
                            .and_then(|v| v.get("Err").and_then(|e| e.as_str()).map(str::to_owned))
                            .unwrap_or_else(|| r.to_owned())
                    })
                    .unwrap_or_default(),
                payload: String::from_utf8_lossy(&job).into_owned(),
            })
            .collect())
    }

    pub(super) async fn requeue_dead(&self, name: &str) -> Result<u64, QueueError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE Jobs SET status = 'Pending', attempts = 0, lock_by = NULL, lock_at = NULL, done_at = NULL,
             last_result = NULL, run_at = strftime('%s', 'now') WHERE job_type = ? AND {DEAD}"
        )))
        .bind(name)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn purge_done(&self, name: &str) -> Result<u64, QueueError> {
        let done = sqlx::query("DELETE FROM Jobs WHERE job_type = ? AND status = 'Done'")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(super) async fn check(&self) -> Result<(), QueueError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
