//! Named locks around the read-recompute-write of a period, so two series of the same hour never interleave their
//! rollup writes (the later writer could otherwise put back an older total).
//!
//! With Redis: `SET NX PX` with a holder id, retried every 20 ms, renewed while held, released by a check-and-delete
//! script, expiring by itself soon after its holder dies. In one process (the embedded setup): an async mutex per name.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::ConnectionManager;

/// How long a lock holds unless its holder renews it; the holder renews it every [`RENEW`] while it works, so a
/// lock outlives a dead holder by at most this.
const LEASE: Duration = Duration::from_secs(10);
/// How often a holder renews its lease.
const RENEW: Duration = Duration::from_secs(3);
/// How long to wait for a lock before giving up.
const WAIT: Duration = Duration::from_secs(120);

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Redis failed.
    #[error("lock: {0}")]
    Redis(#[from] redis::RedisError),
    /// Another holder kept it longer than the wait.
    #[error("lock {0} still held after {1:?}")]
    Timeout(String, Duration),
}

/// Named locks.
#[derive(Clone)]
pub enum Locks {
    /// Locks in this process.
    Local(Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>),
    /// Locks in Redis, shared by every process.
    Redis {
        /// The connection.
        connection: ConnectionManager,
        /// Key prefix.
        namespace: String,
    },
}

impl std::fmt::Debug for Locks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(_) => f.write_str("Locks::Local"),
            Self::Redis { namespace, .. } => f.debug_struct("Locks::Redis").field("namespace", namespace).finish(),
        }
    }
}

impl Locks {
    /// Locks within this process.
    pub fn local() -> Self {
        Self::Local(Arc::new(Mutex::new(HashMap::new())))
    }

    /// Runs `work` holding the lock `name`.
    pub async fn with<T>(&self, name: &str, work: impl Future<Output = T>) -> Result<T, LockError> {
        match self {
            Self::Local(map) => {
                let mutex = {
                    let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
                    Arc::clone(map.entry(name.to_owned()).or_default())
                };
                let _guard = mutex.lock().await;
                Ok(work.await)
            }
            Self::Redis { connection, namespace } => {
                let key = format!("{namespace}:lock:{name}");
                let holder = uuid::Uuid::new_v4().simple().to_string();
                let mut connection = connection.clone();
                let deadline = tokio::time::Instant::now() + WAIT;
                loop {
                    let taken: Option<String> = redis::cmd("SET")
                        .arg(&key)
                        .arg(&holder)
                        .arg("NX")
                        .arg("PX")
                        .arg(LEASE.as_millis() as u64)
                        .query_async(&mut connection)
                        .await?;
                    if taken.is_some() {
                        break;
                    }
                    if tokio::time::Instant::now() > deadline {
                        return Err(LockError::Timeout(name.to_owned(), WAIT));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                let result = {
                    let mut work = std::pin::pin!(work);
                    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + RENEW, RENEW);
                    loop {
                        tokio::select! {
                            result = &mut work => break result,
                            _ = renew.tick() => {
                                let extended: Result<i64, _> = redis::Script::new(EXTEND)
                                    .key(&key)
                                    .arg(&holder)
                                    .arg(LEASE.as_millis() as u64)
                                    .invoke_async(&mut connection)
                                    .await;
                                match extended {
                                    Ok(1) => {}
                                    Ok(_) => tracing::warn!(lock = %name, "a lock expired while held"),
                                    Err(error) => tracing::warn!(lock = %name, %error, "could not renew a lock"),
                                }
                            }
                        }
                    }
                };
                let released: Result<i64, _> = redis::Script::new(RELEASE)
                    .key(&key)
                    .arg(&holder)
                    .invoke_async(&mut connection)
                    .await;
                if let Err(error) = released {
                    tracing::warn!(lock = %name, %error, "could not release a lock; it expires by itself");
                }
                Ok(result)
            }
        }
    }
}
