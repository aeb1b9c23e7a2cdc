//! The metadata store port, DynamoDB-shaped: items under a partition key and a sort key, with JSON attributes, a
//! version for optimistic concurrency, an optional expiry, and one global secondary index (`gsi1`).
//!
//! - [`item`]: items, keys, batch operations, and the rules every adapter enforces.
//! - [`query`]: queries by partition with sort-key conditions, order, limit and cursor.
//! - [`keys`]: the key design: which partition and sort key serves each access pattern.
//! - [`sqlite`]: the embedded adapter (`sqlite://FILE`).
//! - [`dynamodb`]: the AWS adapter (`dynamodb://table-prefix`).
//!
//! Both adapters pass the same contract suite (`domain/tests/meta_contract.rs`), including the typed
//! [`MetaError::ConditionFailed`] for a conditional write that loses a race.

pub mod dynamodb;
pub mod item;
pub mod keys;
pub mod query;
pub mod sqlite;

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use serde_json::{Map, Value};

pub use item::{IndexKey, Item, Key, WriteOp};
pub use query::{Cursor, Index, MAX_QUERY_LIMIT, Order, Page, Query, SortKey};

/// DynamoDB's batch size: batches are written in chunks of this many operations.
pub const BATCH_CHUNK: usize = 25;

/// What went wrong with a metadata operation. Callers branch on `ConditionFailed`; `Backend` carries the cause.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// The write's condition did not hold (the item exists, is missing, or has another version): someone else wrote
    /// first. Read again and retry, or give up.
    #[error("condition failed: the item was changed by another writer, or is not in the expected state")]
    ConditionFailed,
    /// The item, key or update breaks the store's rules.
    #[error("invalid item: {0}")]
    InvalidItem(String),
    /// The query breaks the store's rules.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A cursor that was not issued for this query.
    #[error("invalid cursor: it was not issued for this query")]
    InvalidCursor,
    /// The backend failed (SQLite error, DynamoDB error, network).
    #[error("metadata store {op} failed: {cause}")]
    Backend {
        /// The operation that failed.
        op: &'static str,
        /// The underlying error, already in the message (so it is not repeated as a `source()` in error chains).
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl MetaError {
    pub(crate) fn backend(op: &'static str, cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Backend {
            op,
            cause: cause.into(),
        }
    }
}

/// When a write may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Condition {
    /// Always.
    #[default]
    None,
    /// Only if no item has this key.
    Absent,
    /// Only if an item has this key.
    Exists,
    /// Only if the item exists with exactly this version (optimistic concurrency).
    VersionEquals(u64),
}

/// A partial change to an item, applied atomically: like DynamoDB's `UpdateItem`, it creates the item when it is
/// missing (unless the condition says otherwise) and stores `version + 1`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    /// Attributes to set (replacing whole values).
    pub set: Map<String, Value>,
    /// Attributes to remove.
    pub remove: Vec<String>,
    /// `Some(Some(k))` moves the item to index key `k`; `Some(None)` takes it out of the index.
    pub gsi1: Option<Option<IndexKey>>,
    /// `Some(Some(t))` sets the expiry; `Some(None)` clears it.
    pub expires_at: Option<Option<i64>>,
}

impl Update {
    /// An update that changes nothing but the version.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an attribute.
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.insert(name.to_owned(), value.into());
        self
    }

    /// Removes an attribute.
    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }

    /// Moves the item to another index key (or out of the index with `None`).
    pub fn gsi1(mut self, index: Option<IndexKey>) -> Self {
        self.gsi1 = Some(index);
        self
    }

    /// Sets or clears the expiry.
    pub fn expires_at(mut self, expires_at: Option<i64>) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Checks the update the same way for every adapter.
    pub(crate) fn check(&self) -> Result<(), MetaError> {
        for name in self.set.keys().chain(self.remove.iter()) {
            item::check_attribute_name(name)?;
        }
        if let Some(name) = self.remove.iter().find(|name| self.set.contains_key(*name)) {
            return Err(MetaError::InvalidItem(format!(
                "attribute {name:?} is both set and removed"
            )));
        }
        if let Some(Some(index)) = &self.gsi1 {
            item::check_key_parts("gsi1 partition key", &index.pk, item::MAX_PARTITION_KEY_BYTES)?;
            item::check_key_parts("gsi1 sort key", &index.sk, item::MAX_SORT_KEY_BYTES)?;
        }
        Ok(())
    }

    /// Applies the update to an item's current state (or to a new item).
    pub(crate) fn apply(&self, current: Option<Item>, key: &Key) -> Item {
        let mut item = current.unwrap_or_else(|| Item::new(key.clone()));
        for (name, value) in &self.set {
            item.attrs.insert(name.clone(), value.clone());
        }
        for name in &self.remove {
            item.attrs.remove(name);
        }
        if let Some(index) = &self.gsi1 {
            item.gsi1 = index.clone();
        }
        if let Some(expires_at) = self.expires_at {
            item.expires_at = expires_at;
        }
        item
    }
}

/// Keys one `get_many` round trip reads (DynamoDB's `BatchGetItem` limit).
pub const GET_MANY_CHUNK: usize = 100;

/// The metadata store. Every write is atomic per item; conditions are checked atomically with the write.
#[async_trait]
pub trait MetaStore: Send + Sync + fmt::Debug {
    /// The adapter's name for logs and test reports: `sqlite` or `dynamodb`.
    fn adapter(&self) -> &'static str;

    /// The item under `key`, if any (a strongly consistent read).
    async fn get(&self, key: &Key) -> Result<Option<Item>, MetaError>;

    /// The items under `keys`, in the order of `keys` (`None` where there is none): one round trip per
    /// [`GET_MANY_CHUNK`] keys instead of one per key. Reads are strongly consistent per item.
    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, MetaError>;

    /// Stores `item` whole, with version `item.version + 1`, if `condition` holds; returns the stored version.
    async fn put(&self, item: Item, condition: Condition) -> Result<u64, MetaError>;

    /// Applies `update` to the item under `key` if `condition` holds, creating it when missing; returns the item as
    /// stored.
    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, MetaError>;

    /// Removes the item under `key` if `condition` holds. Removing a missing item with no condition succeeds.
    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), MetaError>;

    /// One page of a query.
    async fn query(&self, query: &Query) -> Result<Page, MetaError>;

    /// Applies unconditional puts and deletes, [`BATCH_CHUNK`] at a time. When the same key appears more than once,
    /// the last operation on it wins. Each operation is atomic; the batch as a whole is not.
    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), MetaError>;

    /// Removes items whose expiry is at or before `now` (Unix seconds) and returns how many. DynamoDB does this by
    /// itself (TTL), so its adapter returns 0.
    async fn purge_expired(&self, now: i64) -> Result<u64, MetaError>;

    /// Checks that the store answers (for readiness probes).
    async fn check(&self) -> Result<(), MetaError> {
        self.get(&Key::new("HEALTH", "CHECK")).await.map(|_| ())
    }
}

/// Validates a batch and keeps only the last operation on each key, in the order of those last operations.
pub(crate) fn dedupe_batch(ops: Vec<WriteOp>) -> Result<Vec<WriteOp>, MetaError> {
    let mut last: HashMap<Key, usize> = HashMap::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        match op {
            WriteOp::Put(item) => item::check_item(item)?,
            WriteOp::Delete(key) => item::check_key(key)?,
        }
        last.insert(op.key().clone(), i);
    }
    Ok(ops
        .into_iter()
        .enumerate()
        .filter(|(i, op)| last.get(op.key()) == Some(i))
        .map(|(_, op)| op)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_keeps_the_last_operation_per_key() {
        let ops = vec![
            WriteOp::Put(Item::new(Key::new("a", "1")).with("n", 1)),
            WriteOp::Put(Item::new(Key::new("a", "2")).with("n", 2)),
            WriteOp::Delete(Key::new("a", "1")),
        ];
        let kept = dedupe_batch(ops).unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0], WriteOp::Put(Item::new(Key::new("a", "2")).with("n", 2)));
        assert_eq!(kept[1], WriteOp::Delete(Key::new("a", "1")));
    }

    #[test]
    fn updates_that_set_and_remove_one_attribute_are_rejected() {
        assert!(Update::new().set("a", 1).remove("a").check().is_err());
        assert!(Update::new().set("pk", 1).check().is_err());
        assert!(Update::new().set("a", 1).remove("b").check().is_ok());
    }

    #[test]
    fn apply_creates_or_changes() {
        let key = Key::new("p", "s");
        let created = Update::new().set("a", 1).apply(None, &key);
        assert_eq!(created.attrs.get("a"), Some(&Value::from(1)));
        let changed = Update::new()
            .remove("a")
            .set("b", true)
            .gsi1(Some(IndexKey::new("G", "1")))
            .apply(Some(created), &key);
        assert!(!changed.attrs.contains_key("a"));
        assert_eq!(changed.gsi1, Some(IndexKey::new("G", "1")));
    }
}
