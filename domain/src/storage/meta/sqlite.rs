//! The SQLite metadata adapter (`sqlite://FILE`): the embedded default, one file, no service.
//!
//! One table, `items`, keyed by `(pk, sk)` (a `WITHOUT ROWID` table, so a partition is one contiguous B-tree range),
//! with a partial index on `(gsi1pk, gsi1sk, pk, sk)` for the secondary index and one on `expires_at` for purges.
//! Attributes are a JSON text column. Text compares with SQLite's `BINARY` collation, which is UTF-8 byte order:
//! the same order DynamoDB sorts keys in.
//!
//! Single-item conditional writes are one SQL statement each (`INSERT … ON CONFLICT`, `UPDATE … WHERE version = ?`),
//! atomic under SQLite's write lock; read-modify-write updates run in `BEGIN IMMEDIATE` transactions so two writers
//! never both read the old version. WAL mode lets readers run beside the writer; `synchronous = NORMAL` keeps every
//! commit across a process crash (a power cut may lose the last commits, never the file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

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

/// Rows a multi-row insert carries: 7 parameters each, 3,500 in all, far below SQLite's 32,766.
const ROWS_PER_INSERT: usize = 500;
/// Operations per batch transaction. Each transaction appends every page it touches to the WAL once, so few large
/// transactions write far less than many small ones (1,000: 30 k items/s; 10,000: 73 k; `docs/BENCHMARKS.md`), while
/// holding the write lock for about 150 ms at most.
const OPS_PER_TRANSACTION: usize = 10_000;

type Row = (String, String, Option<String>, Option<String>, i64, Option<i64>, String);

/// The metadata store in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteMetaStore {
    pool: SqlitePool,
    path: PathBuf,
}

fn backend(op: &'static str) -> impl FnOnce(sqlx::Error) -> MetaError {
    move |e| MetaError::backend(op, e)
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
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(backend("open"))?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // A page cache big enough for the hot part of the indexes: with SQLite's 2 MiB default, bulk writes spend
            // their time re-reading pages they just evicted.
            .pragma("cache_size", "-32768")
            .pragma("mmap_size", "268435456");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| MetaError::backend("open", format!("cannot open {}: {e}", path.display())))?;

        let found: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&pool)
            .await
            .map_err(backend("open"))?;
        match found {
            0 => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(backend("migrate"))?;
                sqlx::raw_sql(SCHEMA)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend("migrate"))?;
                tx.commit().await.map_err(backend("migrate"))?;
            }
            SCHEMA_VERSION => {}
            newer => {
                return Err(MetaError::backend(
                    "open",
                    format!(
                        "{} has schema version {newer}, newer than this build's {SCHEMA_VERSION}: upgrade Streamlens",
                        path.display()
                    ),
                ));
            }
        }
        Ok(Self { pool, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn attrs_json(attrs: &Map<String, Value>) -> Result<String, MetaError> {
    serde_json::to_string(attrs).map_err(|e| MetaError::InvalidItem(e.to_string()))
}

fn from_row(row: Row) -> Result<Item, MetaError> {
    let (pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs) = row;
    let attrs: Map<String, Value> = serde_json::from_str(&attrs)
        .map_err(|e| MetaError::backend("read", format!("item {pk}/{sk} holds malformed JSON: {e}")))?;
    Ok(Item {
        key: Key { pk, sk },
        gsi1: match (gsi1pk, gsi1sk) {
            (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
            _ => None,
        },
        expires_at,
        version: u64::try_from(version).unwrap_or(0),
        attrs,
    })
}

async fn select_one(conn: &mut SqliteConnection, key: &Key) -> Result<Option<Item>, MetaError> {
    let row: Option<Row> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM items WHERE pk = ? AND sk = ?"
    )))
    .bind(&key.pk)
    .bind(&key.sk)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend("get"))?;
    row.map(from_row).transpose()
}

/// Writes `item` as stored (version already set), replacing any row under its key.
async fn upsert(conn: &mut SqliteConnection, item: &Item) -> Result<(), MetaError> {
    sqlx::query(
        "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk,
         version = excluded.version, expires_at = excluded.expires_at, attrs = excluded.attrs",
    )
    .bind(&item.key.pk)
    .bind(&item.key.sk)
    .bind(item.gsi1.as_ref().map(|g| g.pk.as_str()))
    .bind(item.gsi1.as_ref().map(|g| g.sk.as_str()))
    .bind(to_i64(item.version))
    .bind(item.expires_at)
    .bind(attrs_json(&item.attrs)?)
    .execute(&mut *conn)
    .await
    .map_err(backend("put"))?;
    Ok(())
}

fn holds(condition: Condition, current: Option<&Item>) -> bool {
    match condition {
        Condition::None => true,
        Condition::Absent => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::VersionEquals(v) => current.is_some_and(|c| c.version == v),
    }
}

#[async_trait]
impl MetaStore for SqliteMetaStore {
    fn adapter(&self) -> &'static str {
        "sqlite"
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, MetaError> {
        check_key(key)?;
        let mut conn = self.pool.acquire().await.map_err(backend("get"))?;
        select_one(&mut conn, key).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, MetaError> {
        keys.iter().try_for_each(check_key)?;
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        let mut conn = self.pool.acquire().await.map_err(backend("get many"))?;
        for chunk in keys.chunks(GET_MANY_CHUNK) {
            let placeholders = vec!["(?, ?)"; chunk.len()].join(", ");
            let sql = format!("SELECT {COLUMNS} FROM items WHERE (pk, sk) IN (VALUES {placeholders})");
            let mut q = sqlx::query_as::<_, Row>(AssertSqlSafe(sql));
            for key in chunk {
                q = q.bind(key.pk.as_str()).bind(key.sk.as_str());
            }
            for row in q.fetch_all(&mut *conn).await.map_err(backend("get many"))? {
                let item = from_row(row)?;
                found.insert(item.key.clone(), item);
            }
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn put(&self, mut item: Item, condition: Condition) -> Result<u64, MetaError> {
        check_item(&item)?;
        item.version += 1;
        let attrs = attrs_json(&item.attrs)?;
        let (gsi1pk, gsi1sk) = (
            item.gsi1.as_ref().map(|g| g.pk.as_str()),
            item.gsi1.as_ref().map(|g| g.sk.as_str()),
        );
        let sql = match condition {
            Condition::None => {
                let mut conn = self.pool.acquire().await.map_err(backend("put"))?;
                upsert(&mut conn, &item).await?;
                return Ok(item.version);
            }
            Condition::Absent => {
                "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, version, expires_at, attrs) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (pk, sk) DO NOTHING"
            }
            Condition::Exists => {
                "UPDATE items SET pk = ?, sk = ?, gsi1pk = ?, gsi1sk = ?, version = ?, expires_at = ?, attrs = ?
                 WHERE pk = ? AND sk = ?"
            }
            Condition::VersionEquals(_) => {
                "UPDATE items SET pk = ?, sk = ?, gsi1pk = ?, gsi1sk = ?, version = ?, expires_at = ?, attrs = ?
                 WHERE pk = ? AND sk = ? AND version = ?"
            }
        };
        let mut query = sqlx::query(sql)
            .bind(&item.key.pk)
            .bind(&item.key.sk)
            .bind(gsi1pk)
            .bind(gsi1sk)
            .bind(to_i64(item.version))
            .bind(item.expires_at)
            .bind(attrs);
        if condition != Condition::Absent {
            query = query.bind(&item.key.pk).bind(&item.key.sk);
        }
        if let Condition::VersionEquals(v) = condition {
            query = query.bind(to_i64(v));
        }
        let done = query.execute(&self.pool).await.map_err(backend("put"))?;
        if done.rows_affected() == 0 {
            return Err(MetaError::ConditionFailed);
        }
        Ok(item.version)
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, MetaError> {
        check_key(key)?;
        update.check()?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("update"))?;
        let current = select_one(&mut tx, key).await?;
        if !holds(condition, current.as_ref()) {
            return Err(MetaError::ConditionFailed);
        }
        let version = current.as_ref().map_or(0, |c| c.version);
        let mut item = update.apply(current, key);
        item.version = version + 1;
        check_item(&item)?;
        upsert(&mut tx, &item).await?;
        tx.commit().await.map_err(backend("update"))?;
        Ok(item)
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), MetaError> {
        check_key(key)?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend("delete"))?;
        let current = select_one(&mut tx, key).await?;
        if !holds(condition, current.as_ref()) {
            return Err(MetaError::ConditionFailed);
        }
        sqlx::query("DELETE FROM items WHERE pk = ? AND sk = ?")
            .bind(&key.pk)
            .bind(&key.sk)
            .execute(&mut *tx)
            .await
            .map_err(backend("delete"))?;
        tx.commit().await.map_err(backend("delete"))?;
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Page, MetaError> {
        query.check()?;
        let position = query.cursor.as_ref().map(|c| c.position(query)).transpose()?;
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

        let mut q = sqlx::query_as::<Sqlite, Row>(AssertSqlSafe(sql));
        for value in binds {
            q = q.bind(value);
        }
        let rows = q
            .bind(to_i64(query.limit as u64 + 1))
            .fetch_all(&self.pool)
            .await
            .map_err(backend("query"))?;
        let items = rows.into_iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, query.limit, query.index))
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), MetaError> {
        let ops = dedupe_batch(ops)?;
        for chunk in ops.chunks(OPS_PER_TRANSACTION) {
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(backend("batch write"))?;
            let puts: Vec<&Item> = chunk
                .iter()
                .filter_map(|op| match op {
                    WriteOp::Put(item) => Some(item),
                    WriteOp::Delete(_) => None,
                })
                .collect();
            for rows in puts.chunks(ROWS_PER_INSERT) {
                let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?)"; rows.len()].join(", ");
                let sql = format!(
                    "INSERT INTO items ({COLUMNS}) VALUES {placeholders}
                     ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk,
                     version = excluded.version, expires_at = excluded.expires_at, attrs = excluded.attrs"
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for item in rows {
                    q = q
                        .bind(item.key.pk.as_str())
                        .bind(item.key.sk.as_str())
                        .bind(item.gsi1.as_ref().map(|g| g.pk.as_str()))
                        .bind(item.gsi1.as_ref().map(|g| g.sk.as_str()))
                        .bind(to_i64(item.version + 1))
                        .bind(item.expires_at)
                        .bind(attrs_json(&item.attrs)?);
                }
                q.execute(&mut *tx).await.map_err(backend("batch write"))?;
            }
            for op in chunk {
                if let WriteOp::Delete(key) = op {
                    sqlx::query("DELETE FROM items WHERE pk = ? AND sk = ?")
                        .bind(&key.pk)
                        .bind(&key.sk)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend("batch write"))?;
                }
            }
            tx.commit().await.map_err(backend("batch write"))?;
        }
        Ok(())
    }

    async fn purge_expired(&self, now: i64) -> Result<u64, MetaError> {
        let done = sqlx::query("DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(backend("purge"))?;
        Ok(done.rows_affected())
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
        sqlx::query("PRAGMA user_version = 99")
            .execute(&store.pool)
            .await
            .unwrap();
        store.pool.close().await;
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
        store.pool.close().await;
        let store = SqliteMetaStore::open(&path).await.unwrap();
        assert_eq!(store.get(&Key::new("a", "b")).await.unwrap().unwrap().version, 1);
    }
}
