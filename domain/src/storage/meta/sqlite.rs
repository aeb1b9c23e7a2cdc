//! The SQLite metadata adapter (`sqlite://FILE`): the embedded default, one file, no service.
//!
//! One table, `items`, keyed by `(pk, sk)` (a `WITHOUT ROWID` table, so a partition is one contiguous B-tree range),
//! with a partial index on `(gsi1pk, gsi1sk, pk, sk)` for the secondary index and one on `expires_at` for purges.
//! Attributes are a JSON text column. Text compares with SQLite's `BINARY` collation, which is UTF-8 byte order:
//! the same order DynamoDB sorts keys in.
//!
//! SQLite is a library, not a server: a read is a few microseconds of work in this process. Reads therefore run on
//! the calling task's thread, on a connection taken from a small pool of read connections (WAL mode lets them run
//! beside the writer), instead of being handed to another thread and back: that hand-off used to cost more than
//! the read. Writes go through the one write connection (SQLite has one writer at a time anyway) inside
//! [`tokio::task::block_in_place`], since they may wait for the write lock (`busy_timeout`, when another process
//! shares the file) and for the disk; reads of more than one [`GET_MANY_CHUNK`] of keys do the same.
//!
//! Single-item conditional writes are one SQL statement each (`INSERT … ON CONFLICT`, `UPDATE … WHERE version = ?`),
//! atomic under SQLite's write lock; read-modify-write updates run in `BEGIN IMMEDIATE` transactions so two writers
//! (in two processes) never both read the old version. `synchronous = NORMAL` keeps every commit across a process
//! crash (a power cut may lose the last commits, never the file).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::item::{check_item, check_key};
use super::query::{Bound, Position, prefix_upper_bound};
use super::{
    Condition, GET_MANY_CHUNK, Index, IndexKey, Item, Key, MetaError, MetaStore, Order, Page, Query, Update, WriteOp,
    dedupe_batch,
};

/// The schema version this code writes; `PRAGMA user_version` holds the file's.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    version INTEGER NOT NULL,
    expires_at INTEGER,
    attrs TEXT NOT NULL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_expiry ON items (expires_at) WHERE expires_at IS NOT NULL;
PRAGMA user_version = 1;
";

const COLUMNS: &str = "pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs";

const SELECT_ONE: &str = "SELECT pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs FROM items WHERE pk = ? AND sk = ?";

const UPSERT: &str =
    "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk,
    version = excluded.version, expires_at = excluded.expires_at, attrs = excluded.attrs";

const DELETE: &str = "DELETE FROM items WHERE pk = ? AND sk = ?";

/// Operations per batch transaction. Each transaction appends every page it touches to the WAL once, so few large
/// transactions write far less than many small ones (`docs/BENCHMARKS.md`), while holding the write lock for about
/// 150 ms at most.
const OPS_PER_TRANSACTION: usize = 10_000;

/// Read connections kept open for reuse; more are opened when more readers run at once, and closed after.
const IDLE_READERS: usize = 8;

/// How long a write waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The metadata store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteMetaStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

fn backend(op: &'static str) -> impl FnOnce(rusqlite::Error) -> MetaError {
    move |e| MetaError::backend(op, e)
}

/// Runs `f`, which may block on the disk or a lock, without stalling the other tasks of a multi-threaded runtime
/// (on a current-thread runtime, or outside any runtime, it simply runs).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Opens one connection with the store's settings.
fn connect(path: &Path, writer: bool) -> rusqlite::Result<Connection> {
    // Readers open the file read-write too (a WAL reader writes to the shared-memory index) but refuse writes.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    if writer {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A page cache big enough for the hot part of the indexes: with SQLite's 2 MiB default, bulk writes spend
        // their time re-reading pages they just evicted.
        conn.pragma_update(None, "cache_size", -32_768)?;
    } else {
        conn.pragma_update(None, "query_only", true)?;
        // SQLite's default 2 MiB each: up to eight readers are kept, and the operating system's cache holds the file
        // anyway (8 MiB each put a worker's peak memory over its 300 MB target in the simulated-day benchmark).
        conn.pragma_update(None, "cache_size", -2_048)?;
    }
    Ok(conn)
}

impl SqliteMetaStore {
    /// Opens (creating if needed) the store in `path`, and creates or checks its schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, MetaError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| MetaError::backend("open", format!("cannot create {}: {e}", parent.display())))?;
        }
        let opened = path.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<Connection, MetaError> {
            let mut conn = connect(&opened, true)
                .map_err(|e| MetaError::backend("open", format!("cannot open {}: {e}", opened.display())))?;
            let found: i64 = conn
                .query_row("PRAGMA user_version", [], |row| row.get(0))
                .map_err(backend("open"))?;
            match found {
                0 => {
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(backend("migrate"))?;
                    tx.execute_batch(SCHEMA).map_err(backend("migrate"))?;
                    tx.commit().map_err(backend("migrate"))?;
                }
                SCHEMA_VERSION => {}
                newer => {
                    return Err(MetaError::backend(
                        "open",
                        format!(
                            "{} has schema version {newer}, newer than this build's {SCHEMA_VERSION}: upgrade \
                             Streamlens",
                            opened.display()
                        ),
                    ));
                }
            }
            Ok(conn)
        })
        .await
        .map_err(|e| MetaError::backend("open", e))??;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a read connection, on this thread.
    fn read<T>(&self, op: &'static str, f: impl FnOnce(&Connection) -> Result<T, MetaError>) -> Result<T, MetaError> {
        let idle = lock(&self.inner.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.inner.path, false).map_err(backend(op))?,
        };
        let result = f(&conn);
        let mut idle = lock(&self.inner.readers);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Runs `f` on the write connection, off the runtime's worker threads.
    fn write<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, MetaError>) -> Result<T, MetaError> {
        blocking(|| f(&mut lock(&self.inner.writer)))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves it usable: SQLite rolls back an unfinished transaction when its
    // handle is next used or dropped.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn attrs_json(attrs: &Map<String, Value>) -> Result<String, MetaError> {
    serde_json::to_string(attrs).map_err(|e| MetaError::InvalidItem(e.to_string()))
}

/// A row as stored, before its attributes are parsed.
struct Row {
    pk: String,
    sk: String,
    gsi1pk: Option<String>,
    gsi1sk: Option<String>,
    version: i64,
    expires_at: Option<i64>,
    attrs: String,
}

impl Row {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            pk: row.get(0)?,
            sk: row.get(1)?,
            gsi1pk: row.get(2)?,
            gsi1sk: row.get(3)?,
            version: row.get(4)?,
            expires_at: row.get(5)?,
            attrs: row.get(6)?,
        })
    }

    fn into_item(self) -> Result<Item, MetaError> {
        let attrs: Map<String, Value> = serde_json::from_str(&self.attrs).map_err(|e| {
            MetaError::backend(
                "read",
                format!("item {}/{} holds malformed JSON: {e}", self.pk, self.sk),
            )
        })?;
        Ok(Item {
            key: Key {
                pk: self.pk,
                sk: self.sk,
            },
            gsi1: match (self.gsi1pk, self.gsi1sk) {
                (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
                _ => None,
            },
            expires_at: self.expires_at,
            version: u64::try_from(self.version).unwrap_or(0),
            attrs,
        })
    }
}

fn select_one(conn: &Connection, key: &Key) -> Result<Option<Item>, MetaError> {
    conn.prepare_cached(SELECT_ONE)
        .and_then(|mut statement| statement.query_row(params![key.pk, key.sk], Row::read).optional())
        .map_err(backend("get"))?
        .map(Row::into_item)
        .transpose()
}

/// Writes `item` as stored (version already set), replacing any row under its key.
fn upsert(conn: &Connection, item: &Item, attrs: &str) -> Result<(), MetaError> {
    conn.prepare_cached(UPSERT)
        .and_then(|mut statement| {
            statement.execute(params![
                item.key.pk,
                item.key.sk,
                item.gsi1.as_ref().map(|g| g.pk.as_str()),
                item.gsi1.as_ref().map(|g| g.sk.as_str()),
                to_i64(item.version),
                item.expires_at,
                attrs,
            ])
        })
        .map_err(backend("put"))?;
    Ok(())
}

fn delete_one(conn: &Connection, key: &Key) -> Result<(), MetaError> {
    conn.prepare_cached(DELETE)
        .and_then(|mut statement| statement.execute(params![key.pk, key.sk]))
        .map_err(backend("delete"))?;
    Ok(())
}

/// A batch operation ready for SQL: a put with its stored version and serialized attributes, or a delete.
enum Stored {
    Put(Item, String),
    Delete(Key),
}

fn holds(condition: Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::None => true,
        Condition::Absent => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::VersionEquals(v) => current.is_some_and(|c| c.version == v),
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction (the write lock from the start), committing when it succeeds.
fn immediate<T>(
    conn: &mut Connection,
    op: &'static str,
    f: impl FnOnce(&Connection) -> Result<T, MetaError>,
) -> Result<T, MetaError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend(op))?;
    let value = f(&tx)?;
    tx.commit().map_err(backend(op))?;
    Ok(value)
}

/// The SQL of a query and its parameters.
fn query_sql(query: &Query, position: Option<Position>) -> Result<(String, Vec<String>), MetaError> {
    let (pk_col, sk_col) = match query.index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
    };
    let mut sql = format!("SELECT {COLUMNS} FROM items WHERE {pk_col} = ?");
    let mut binds: Vec<String> = vec![query.pk.clone()];
    let mut bound = |sql: &mut String, op: &str, value: &str| {
        sql.push_str(&format!(" AND {sk_col} {op} ?"));
        binds.push(value.to_owned());
    };
    match query.sort_key.bound() {
        None => {}
        Some(Bound::Compare(op, value)) => bound(&mut sql, op, value),
        Some(Bound::Prefix(prefix)) => {
            // A range, so the index is used: [prefix, the smallest string above every extension of it).
            bound(&mut sql, ">=", prefix);
            if let Some(upper) = prefix_upper_bound(prefix) {
                bound(&mut sql, "<", &upper);
            }
        }
        Some(Bound::Between(low, high)) => {
            bound(&mut sql, ">=", low);
            bound(&mut sql, "<=", high);
        }
    }
    let (cmp, dir) = match query.order {
        Order::Ascending => (">", "ASC"),
        Order::Descending => ("<", "DESC"),
    };
    match (query.index, position) {
        (_, None) => {}
        (Index::Table, Some(Position { sk, .. })) => {
            sql.push_str(&format!(" AND sk {cmp} ?"));
            binds.push(sk);
        }
        (Index::Gsi1, Some(Position { pk, sk, gsi1 })) => {
            let (_, gsi_sk) = gsi1.ok_or(MetaError::InvalidCursor)?;
            sql.push_str(&format!(" AND (gsi1sk, pk, sk) {cmp} (?, ?, ?)"));
            binds.extend([gsi_sk, pk, sk]);
        }
    }
    match query.index {
        Index::Table => sql.push_str(&format!(" ORDER BY sk {dir}")),
        Index::Gsi1 => sql.push_str(&format!(" ORDER BY gsi1sk {dir}, pk {dir}, sk {dir}")),
    }
    sql.push_str(" LIMIT ?");
    Ok((sql, binds))
}

#[async_trait]
impl MetaStore for SqliteMetaStore {
    fn adapter(&self) -> &'static str {
        "sqlite"
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, MetaError> {
        check_key(key)?;
        self.read("get", |conn| select_one(conn, key))
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, MetaError> {
        keys.iter().try_for_each(check_key)?;
        let read = || {
            self.read("get many", |conn| {
                // One read transaction: every key from the same snapshot, and the WAL read lock (a file lock and a
                // mutex shared by the process's connections) taken once rather than once a key.
                let snapshot = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Deferred)
                    .map_err(backend("get many"))?;
                let items = keys.iter().map(|key| select_one(&snapshot, key)).collect();
                snapshot.finish().map_err(backend("get many"))?;
                items
            })
        };
        if keys.len() > GET_MANY_CHUNK {
            blocking(read)
        } else {
            read()
        }
    }

    async fn put(&self, mut item: Item, condition: Condition) -> Result<u64, MetaError> {
        check_item(&item)?;
        item.version += 1;
        let attrs = attrs_json(&item.attrs)?;
        let sql = match condition {
            Condition::None => {
                self.write(|conn| upsert(conn, &item, &attrs))?;
                return Ok(item.version);
            }
            Condition::Absent => {
                "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (pk, sk) DO NOTHING"
            }
            Condition::Exists => {
                "UPDATE items SET gsi1pk = ?3, gsi1sk = ?4, version = ?5, expires_at = ?6, attrs = ?7
                 WHERE pk = ?1 AND sk = ?2"
            }
            Condition::VersionEquals(_) => {
                "UPDATE items SET gsi1pk = ?3, gsi1sk = ?4, version = ?5, expires_at = ?6, attrs = ?7
                 WHERE pk = ?1 AND sk = ?2 AND version = ?8"
            }
        };
        let changed = self.write(|conn| {
            let gsi1pk = item.gsi1.as_ref().map(|g| g.pk.as_str());
            let gsi1sk = item.gsi1.as_ref().map(|g| g.sk.as_str());
            let version = to_i64(item.version);
            let mut values: Vec<&dyn rusqlite::ToSql> = vec![
                &item.key.pk,
                &item.key.sk,
                &gsi1pk,
                &gsi1sk,
                &version,
                &item.expires_at,
                &attrs,
            ];
            let expected = match condition {
                Condition::VersionEquals(v) => Some(to_i64(v)),
                _ => None,
            };
            if let Some(expected) = &expected {
                values.push(expected);
            }
            conn.prepare_cached(sql)
                .and_then(|mut statement| statement.execute(values.as_slice()))
                .map_err(backend("put"))
        })?;
        if changed == 0 {
            return Err(MetaError::ConditionFailed);
        }
        Ok(item.version)
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, MetaError> {
        check_key(key)?;
        update.check()?;
        self.write(|conn| {
            immediate(conn, "update", |tx| {
                let current = select_one(tx, key)?;
                if !holds(condition, current.as_ref()) {
                    return Err(MetaError::ConditionFailed);
                }
                let version = current.as_ref().map_or(0, |c| c.version);
                let mut item = update.apply(current, key);
                item.version = version + 1;
                check_item(&item)?;
                upsert(tx, &item, &attrs_json(&item.attrs)?)?;
                Ok(item)
            })
        })
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), MetaError> {
        check_key(key)?;
        self.write(|conn| {
            immediate(conn, "delete", |tx| {
                let current = select_one(tx, key)?;
                if !holds(condition, current.as_ref()) {
                    return Err(MetaError::ConditionFailed);
                }
                delete_one(tx, key)
            })
        })
    }

    async fn query(&self, query: &Query) -> Result<Page, MetaError> {
        query.check()?;
        let position = query.cursor.as_ref().map(|c| c.position(query)).transpose()?;
        let (sql, binds) = query_sql(query, position)?;
        let limit = to_i64(query.limit as u64 + 1);
        let rows = self.read("query", |conn| {
            let mut statement = conn.prepare_cached(&sql).map_err(backend("query"))?;
            let params = binds
                .iter()
                .map(|b| b as &dyn rusqlite::ToSql)
                .chain(std::iter::once(&limit as &dyn rusqlite::ToSql));
            statement
                .query_map(rusqlite::params_from_iter(params), Row::read)
                .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
                .map_err(backend("query"))
        })?;
        let items = rows.into_iter().map(Row::into_item).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, query.limit, query.index))
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), MetaError> {
        // Each put serialized and given its stored version before taking the write lock, so other writers wait
        // only for the SQL.
        let ops = dedupe_batch(ops)?
            .into_iter()
            .map(|op| match op {
                WriteOp::Put(mut item) => {
                    item.version += 1;
                    let attrs = attrs_json(&item.attrs)?;
                    Ok(Stored::Put(item, attrs))
                }
                WriteOp::Delete(key) => Ok(Stored::Delete(key)),
            })
            .collect::<Result<Vec<_>, MetaError>>()?;
        for chunk in ops.chunks(OPS_PER_TRANSACTION) {
            self.write(|conn| {
                immediate(conn, "batch write", |tx| {
                    chunk.iter().try_for_each(|op| match op {
                        Stored::Put(item, attrs) => upsert(tx, item, attrs),
                        Stored::Delete(key) => delete_one(tx, key),
                    })
                })
            })?;
        }
        Ok(())
    }

    async fn purge_expired(&self, now: i64) -> Result<u64, MetaError> {
        let removed = self.write(|conn| {
            conn.execute(
                "DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?",
                params![now],
            )
            .map_err(backend("purge"))
        })?;
        Ok(removed as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_from_a_newer_schema_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.sqlite");
        let store = SqliteMetaStore::open(&path).await.unwrap();
        store
            .write(|conn| conn.execute_batch("PRAGMA user_version = 99").map_err(backend("test")))
            .unwrap();
        drop(store);
        let err = SqliteMetaStore::open(&path).await.unwrap_err();
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }

    #[tokio::test]
    async fn reopening_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/meta.sqlite");
        let store = SqliteMetaStore::open(&path).await.unwrap();
        store
            .put(Item::new(Key::new("a", "b")).with("n", 1), Condition::None)
            .await
            .unwrap();
        drop(store);
        let store = SqliteMetaStore::open(&path).await.unwrap();
        assert_eq!(store.get(&Key::new("a", "b")).await.unwrap().unwrap().version, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_see_what_the_writer_committed_from_any_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteMetaStore::open(dir.path().join("meta.sqlite")).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let key = Key::new("p", format!("{n:02}"));
                    store
                        .put(Item::new(key.clone()).with("n", n), Condition::Absent)
                        .await
                        .unwrap();
                    store.get(&key).await.unwrap().unwrap()
                })
            })
            .collect();
        for (n, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().attrs.get("n"), Some(&Value::from(n)));
        }
        let page = store.query(&Query::partition("p").limit(100)).await.unwrap();
        assert_eq!(page.items.len(), 16);
    }
}
