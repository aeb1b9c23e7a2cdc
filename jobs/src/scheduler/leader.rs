//! Leadership: exactly one active scheduler across processes.
//!
//! With Redis, leadership is a key set with `SET NX PX` holding this process's id, renewed well before it expires;
//! a scheduler that dies loses it within one expiry and another takes over. Renewal and release run as Lua scripts
//! that check the holder first, so a process never extends or deletes a lock it no longer holds. In the embedded
//! setup there is one process, which always leads.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

/// How long a leader's claim lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(15);

/// Who may schedule.
#[derive(Debug, Clone)]
pub enum Leadership {
    /// The only scheduler there is (embedded setup).
    Solo,
    /// A lock in Redis.
    Redis(RedisLock),
}

impl Leadership {
    /// Claims or renews leadership; whether this process leads now.
    pub async fn lead(&self) -> Result<bool, redis::RedisError> {
        match self {
            Self::Solo => Ok(true),
            Self::Redis(lock) => lock.claim().await,
        }
    }

    /// Gives leadership up (on shutdown), so another scheduler takes over at once.
    pub async fn resign(&self) {
        if let Self::Redis(lock) = self
            && let Err(error) = lock.release().await
        {
            tracing::warn!(%error, "could not release the scheduler lock; it expires by itself");
        }
    }
}

/// A leader lock in Redis.
#[derive(Clone)]
pub struct RedisLock {
    connection: ConnectionManager,
    key: String,
    holder: String,
    lease: Duration,
}

const CLAIM: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

impl std::fmt::Debug for RedisLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLock")
            .field("key", &self.key)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl RedisLock {
    /// A lock named `key`, claimed for this process under a fresh holder id.
    pub fn new(connection: ConnectionManager, key: impl Into<String>, lease: Duration) -> Self {
        Self {
            connection,
            key: key.into(),
            holder: format!(
                "{}:{}:{}",
                crate::queue::worker::hostname(),
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ),
            lease,
        }
    }

    /// This process's holder id.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    async fn claim(&self) -> Result<bool, redis::RedisError> {
        let mut connection = self.connection.clone();
        let held: i64 = Script::new(CLAIM)
            .key(&self.key)
            .arg(&self.holder)
            .arg(self.lease.as_millis() as u64)
            .invoke_async(&mut connection)
            .await?;
        Ok(held == 1)
    }

    async fn release(&self) -> Result<(), redis::RedisError> {
        let mut connection = self.connection.clone();
        let _: i64 = Script::new(RELEASE)
            .key(&self.key)
            .arg(&self.holder)
            .invoke_async(&mut connection)
            .await?;
        Ok(())
    }
}
