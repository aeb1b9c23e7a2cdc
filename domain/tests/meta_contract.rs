//! The metadata store contract: one suite, run unchanged against every adapter (`sqlite::…`, `dynamodb::…`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde::{Deserialize, Serialize};
use serde_json::json;
use streamlens_domain::storage::meta::{
    Condition, Cursor, IndexKey, Item, Key, MetaError, MetaStore, Query, SortKey, Update, WriteOp,
};

/// Follows cursors to the end and returns the sort keys (or, for an index query, the index sort keys) seen.
async fn collect(store: &dyn MetaStore, query: Query) -> Vec<String> {
    let index = query.index;
    let mut seen = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store.query(&query.clone().after(cursor.take())).await.unwrap();
        assert!(page.items.len() <= query.limit);
        for item in &page.items {
            seen.push(match index {
                streamlens_domain::storage::meta::Index::Table => item.key.sk.clone(),
                streamlens_domain::storage::meta::Index::Gsi1 => item.gsi1.as_ref().unwrap().sk.clone(),
            });
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return seen,
        }
    }
}

async fn put_all(store: &dyn MetaStore, pk: &str, sks: &[&str]) {
    let ops = sks
        .iter()
        .map(|sk| WriteOp::Put(Item::new(Key::new(pk, *sk)).with("sk_copy", *sk)))
        .collect();
    store.batch_write(ops).await.unwrap();
}

mod cases {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Channel {
        login: String,
        followers: u64,
        ratio: f64,
        mature: bool,
        tags: Vec<String>,
        game: Option<String>,
    }

    pub async fn put_then_get_round_trips_every_attribute_type(store: &dyn MetaStore, _: &dyn MetaStore) {
        let record = Channel {
            login: "loltyler1".into(),
            followers: 5_000_000_000,
            ratio: 2.0,
            mature: false,
            tags: vec!["English".into(), "日本語".into()],
            game: None,
        };
        let item = Item::from_record(Key::new("CHANNEL#1", "PROFILE"), &record)
            .unwrap()
            .with(
                "nested",
                json!({"a": [1, -2, 3.25, "x", null, true, {"b": {}}], "empty": "", "list": []}),
            )
            .with_gsi1(IndexKey::new("CHANNELS#NAME#l", "loltyler1#1"))
            .with_expiry(1_900_000_000);
        assert_eq!(store.put(item.clone(), Condition::None).await.unwrap(), 1);
        let back = store.get(&Key::new("CHANNEL#1", "PROFILE")).await.unwrap().unwrap();
        assert_eq!(back.decode::<Channel>().unwrap(), record);
        assert_eq!(back.attrs["nested"], item.attrs["nested"]);
        assert_eq!(back.gsi1, item.gsi1);
        assert_eq!(back.expires_at, Some(1_900_000_000));
        assert_eq!(back.version, 1);
    }

    pub async fn get_many_answers_in_key_order_with_none_for_missing_keys(store: &dyn MetaStore, _: &dyn MetaStore) {
        let sks: Vec<String> = (0..250).map(|i| format!("{i:04}")).collect();
        let refs: Vec<&str> = sks.iter().map(String::as_str).collect();
        put_all(store, "MANY", &refs).await;
        // Over two chunks, out of order, with missing keys and a repeated one.
        let mut keys: Vec<Key> = (0..260).rev().map(|i| Key::new("MANY", format!("{i:04}"))).collect();
        keys.push(Key::new("MANY", "0007"));
        keys.push(Key::new("OTHER", "0007"));
        let got = store.get_many(&keys).await.expect("get many");
        assert_eq!(got.len(), keys.len());
        for (key, item) in keys.iter().zip(&got) {
            let exists = key.pk == "MANY" && key.sk.as_str() < "0250";
            assert_eq!(item.as_ref().map(|i| &i.key), exists.then_some(key), "{key:?}");
        }
        assert_eq!(store.get_many(&[]).await.expect("none"), Vec::<Option<Item>>::new());
        let bad = store.get_many(&[Key::new("", "x")]).await;
        assert!(bad.is_err());
    }

    pub async fn a_missing_item_is_none(store: &dyn MetaStore, _: &dyn MetaStore) {
        assert_eq!(store.get(&Key::new("CHANNEL#404", "PROFILE")).await.unwrap(), None);
    }

    pub async fn each_write_increments_the_version(store: &dyn MetaStore, _: &dyn MetaStore) {
        let key = Key::new("V", "1");
        assert_eq!(store.put(Item::new(key.clone()), Condition::Absent).await.unwrap(), 1);
        let current = store.get(&key).await.unwrap().unwrap();
        assert_eq!(
            store
                .put(current.with("n", 2), Condition::VersionEquals(1))
                .await
                .unwrap(),
            2
        );
        let updated = store
            .update(&key, Update::new().set("n", 3), Condition::VersionEquals(2))
            .await
            .unwrap();
        assert_eq!(updated.version, 3);
        assert_eq!(store.get(&key).await.unwrap().unwrap().version, 3);
    }

    pub async fn conditions_that_do_not_hold_fail_with_condition_failed(store: &dyn MetaStore, _: &dyn MetaStore) {
        let key = Key::new("C", "1");
        let fail = |r: Result<u64, MetaError>| assert!(matches!(r, Err(MetaError::ConditionFailed)), "{r:?}");
        fail(store.put(Item::new(key.clone()), Condition::Exists).await);
        fail(store.put(Item::new(key.clone()), Condition::VersionEquals(0)).await);
        store
            .put(Item::new(key.clone()).with("n", 1), Condition::Absent)
            .await
            .unwrap();
        fail(store.put(Item::new(key.clone()).with("n", 2), Condition::Absent).await);
        fail(
            store
                .put(Item::new(key.clone()).with("n", 2), Condition::VersionEquals(7))
                .await,
        );
        store
            .put(Item::new(key.clone()).with("n", 3), Condition::Exists)
            .await
            .unwrap();
        // Nothing a failed write carried was stored.
        assert_eq!(store.get(&key).await.unwrap().unwrap().attrs["n"], json!(3));
    }

    pub async fn a_conditional_put_that_loses_a_race_gets_condition_failed(
        store: &dyn MetaStore,
        other: &dyn MetaStore,
    ) {
        // Two handles (two pools, two clients: as two processes would have) and 12 writers, all holding version 1.
        let key = Key::new("RACE", "put");
        store
            .put(Item::new(key.clone()).with("winner", -1), Condition::None)
            .await
            .unwrap();
        let read = store.get(&key).await.unwrap().unwrap();
        let writes = (0..12).map(|i| {
            let handle = if i % 2 == 0 { store } else { other };
            let item = read.clone().with("winner", i);
            async move { handle.put(item, Condition::VersionEquals(1)).await }
        });
        let results = futures::future::join_all(writes).await;
        let winners: Vec<usize> = results
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        for (i, result) in results.iter().enumerate() {
            if i != winners[0] {
                assert!(
                    matches!(result, Err(MetaError::ConditionFailed)),
                    "writer {i}: {result:?}"
                );
            }
        }
        let stored = store.get(&key).await.unwrap().unwrap();
        assert_eq!(stored.version, 2);
        assert_eq!(stored.attrs["winner"], json!(winners[0]));
    }

    pub async fn creating_the_same_item_twice_at_once_has_one_winner(store: &dyn MetaStore, other: &dyn MetaStore) {
        let key = Key::new("RACE", "absent");
        let writes = (0..12).map(|i| {
            let handle = if i % 2 == 0 { store } else { other };
            let item = Item::new(key.clone()).with("creator", i);
            async move { handle.put(item, Condition::Absent).await }
        });
        let results = futures::future::join_all(writes).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        assert!(
            results
                .iter()
                .filter(|r| r.is_err())
                .all(|r| matches!(r, Err(MetaError::ConditionFailed)))
        );
    }

    pub async fn concurrent_versioned_updates_never_lose_a_write(store: &dyn MetaStore, other: &dyn MetaStore) {
        // Read-modify-write with retry on ConditionFailed: every increment lands exactly once.
        let key = Key::new("RACE", "counter");
        store
            .put(Item::new(key.clone()).with("n", 0), Condition::Absent)
            .await
            .unwrap();
        let workers = (0..6).map(|i| {
            let handle = if i % 2 == 0 { store } else { other };
            let key = key.clone();
            async move {
                let mut conflicts = 0;
                for _ in 0..5 {
                    loop {
                        let item = handle.get(&key).await.unwrap().unwrap();
                        let n = item.attrs["n"].as_i64().unwrap();
                        let version = item.version;
                        match handle
                            .update(&key, Update::new().set("n", n + 1), Condition::VersionEquals(version))
                            .await
                        {
                            Ok(_) => break,
                            Err(MetaError::ConditionFailed) => conflicts += 1,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
                conflicts
            }
        });
        futures::future::join_all(workers).await;
        let item = store.get(&key).await.unwrap().unwrap();
        assert_eq!(item.attrs["n"], json!(30));
        assert_eq!(item.version, 31);
    }

    pub async fn update_sets_removes_and_creates(store: &dyn MetaStore, _: &dyn MetaStore) {
        let key = Key::new("SERIES#s:1", "META");
        let created = store
            .update(
                &key,
                Update::new().set("status", "pending").set("attempts", 0),
                Condition::Absent,
            )
            .await
            .unwrap();
        assert_eq!(created.version, 1);
        assert_eq!(created.attrs["status"], json!("pending"));
        let changed = store
            .update(
                &key,
                Update::new()
                    .set("status", "ready")
                    .remove("attempts")
                    .remove("never_set"),
                Condition::Exists,
            )
            .await
            .unwrap();
        assert_eq!(changed.attrs.get("attempts"), None);
        assert_eq!(changed.attrs["status"], json!("ready"));
        assert_eq!(store.get(&key).await.unwrap().unwrap(), changed);
        let missing = store
            .update(
                &Key::new("SERIES#none", "META"),
                Update::new().set("a", 1),
                Condition::Exists,
            )
            .await;
        assert!(matches!(missing, Err(MetaError::ConditionFailed)), "{missing:?}");
        assert_eq!(store.get(&Key::new("SERIES#none", "META")).await.unwrap(), None);
    }

    pub async fn update_moves_an_item_in_the_index_and_sets_expiry(store: &dyn MetaStore, _: &dyn MetaStore) {
        let key = Key::new("SERIES#s:2", "META");
        store
            .update(
                &key,
                Update::new()
                    .set("status", "pending")
                    .gsi1(Some(IndexKey::new("SERIES#pending", "2"))),
                Condition::None,
            )
            .await
            .unwrap();
        assert_eq!(collect(store, Query::gsi1("SERIES#pending")).await, ["2"]);
        let moved = store
            .update(
                &key,
                Update::new()
                    .set("status", "ready")
                    .gsi1(Some(IndexKey::new("SERIES#ready", "2")))
                    .expires_at(Some(42)),
                Condition::None,
            )
            .await
            .unwrap();
        assert_eq!(moved.expires_at, Some(42));
        assert!(collect(store, Query::gsi1("SERIES#pending")).await.is_empty());
        assert_eq!(collect(store, Query::gsi1("SERIES#ready")).await, ["2"]);
        let out = store
            .update(&key, Update::new().gsi1(None).expires_at(None), Condition::None)
            .await
            .unwrap();
        assert_eq!((out.gsi1, out.expires_at), (None, None));
        assert!(collect(store, Query::gsi1("SERIES#ready")).await.is_empty());
    }

    pub async fn delete_removes_and_honours_its_condition(store: &dyn MetaStore, _: &dyn MetaStore) {
        let key = Key::new("D", "1");
        store.put(Item::new(key.clone()), Condition::None).await.unwrap();
        let stale = store.delete(&key, Condition::VersionEquals(5)).await;
        assert!(matches!(stale, Err(MetaError::ConditionFailed)), "{stale:?}");
        assert!(store.get(&key).await.unwrap().is_some());
        store.delete(&key, Condition::VersionEquals(1)).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.delete(&key, Condition::None).await.unwrap();
        let gone = store.delete(&key, Condition::Exists).await;
        assert!(matches!(gone, Err(MetaError::ConditionFailed)), "{gone:?}");
    }

    pub async fn a_partition_is_read_in_sort_key_order_both_ways(store: &dyn MetaStore, _: &dyn MetaStore) {
        let mut sks = vec!["b", "a", "c#2", "c#10", "C", "é", "a#", "ab", "z", "0"];
        put_all(store, "P", &sks).await;
        put_all(store, "P2", &["x"]).await;
        put_all(store, "PP", &["y"]).await;
        sks.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(collect(store, Query::partition("P")).await, sks);
        sks.reverse();
        assert_eq!(collect(store, Query::partition("P").descending()).await, sks);
    }

    pub async fn sort_key_conditions_select_ranges(store: &dyn MetaStore, _: &dyn MetaStore) {
        let sks = [
            "2026-11-26T11:26:00Z",
            "2026-11-26T11:27:00Z",
            "2026-11-26T11:28:00Z",
            "2026-11-26T12:00:00Z",
            "2026-11-27T00:00:00Z",
            "RUN#1",
            "RUN#1#STEP#a",
            "RUN#2",
            "RUNX",
        ];
        put_all(store, "R", &sks).await;
        let q = |c: SortKey| Query::partition("R").sort_key(c);
        assert_eq!(collect(store, q(SortKey::Equals("RUN#2".into()))).await, ["RUN#2"]);
        assert_eq!(
            collect(store, q(SortKey::BeginsWith("RUN#".into()))).await,
            ["RUN#1", "RUN#1#STEP#a", "RUN#2"]
        );
        assert_eq!(
            collect(store, q(SortKey::BeginsWith("2026-11-26T11".into())))
                .await
                .len(),
            3
        );
        assert_eq!(
            collect(
                store,
                q(SortKey::Between(
                    "2026-11-26T11:27:00Z".into(),
                    "2026-11-26T12:00:00Z".into()
                ))
            )
            .await,
            ["2026-11-26T11:27:00Z", "2026-11-26T11:28:00Z", "2026-11-26T12:00:00Z"]
        );
        assert_eq!(
            collect(store, q(SortKey::LessThan("2026-11-26T11:27:00Z".into()))).await,
            ["2026-11-26T11:26:00Z"]
        );
        assert_eq!(
            collect(store, q(SortKey::AtMost("2026-11-26T11:27:00Z".into())))
                .await
                .len(),
            2
        );
        assert_eq!(collect(store, q(SortKey::GreaterThan("RUN#2".into()))).await, ["RUNX"]);
        assert_eq!(
            collect(store, q(SortKey::AtLeast("RUN#2".into()))).await,
            ["RUN#2", "RUNX"]
        );
        assert_eq!(
            collect(store, q(SortKey::BeginsWith("RUN#".into())).descending()).await,
            ["RUN#2", "RUN#1#STEP#a", "RUN#1"]
        );
        assert!(collect(store, q(SortKey::BeginsWith("ZZZ".into()))).await.is_empty());
    }

    pub async fn pages_visit_every_item_once_with_an_exact_next(store: &dyn MetaStore, _: &dyn MetaStore) {
        let sks: Vec<String> = (0..57).map(|i| format!("{i:04}")).collect();
        let refs: Vec<&str> = sks.iter().map(String::as_str).collect();
        put_all(store, "PAGED", &refs).await;
        for limit in [1, 10, 19, 57, 100] {
            let q = Query::partition("PAGED").limit(limit);
            assert_eq!(collect(store, q.clone()).await, sks, "limit {limit}");
            let mut reversed = sks.clone();
            reversed.reverse();
            assert_eq!(
                collect(store, q.descending()).await,
                reversed,
                "limit {limit} descending"
            );
        }
        let exact = store.query(&Query::partition("PAGED").limit(57)).await.unwrap();
        assert_eq!((exact.items.len(), exact.next), (57, None));
        let short = store.query(&Query::partition("PAGED").limit(56)).await.unwrap();
        assert!(short.next.is_some());
        let filtered = Query::partition("PAGED")
            .sort_key(SortKey::Between("0010".into(), "0029".into()))
            .limit(7);
        assert_eq!(collect(store, filtered).await, sks[10..30]);
    }

    pub async fn the_index_lists_items_by_its_own_keys(store: &dyn MetaStore, _: &dyn MetaStore) {
        let slot = "LIVE#sim#2026-11-26T11:27:00Z";
        let viewers = [(1, 500u64), (2, 20_000), (3, 7), (4, 20_001), (5, 1_000)];
        let ops = viewers
            .iter()
            .map(|(channel, v)| {
                let sk = format!("{:020}#{channel}", u64::MAX - v);
                WriteOp::Put(
                    Item::new(Key::new(format!("CHANNEL#{channel}#MINUTES"), "2026-11-26T11:27:00Z"))
                        .with("viewers", *v)
                        .with_gsi1(IndexKey::new(slot, sk)),
                )
            })
            .chain([WriteOp::Put(
                Item::new(Key::new("CHANNEL#9#MINUTES", "2026-11-26T11:27:00Z")).with("viewers", 1),
            )])
            .collect();
        store.batch_write(ops).await.unwrap();
        let mut cursor = None;
        let mut order = Vec::new();
        loop {
            let page = store
                .query(&Query::gsi1(slot).limit(2).after(cursor.take()))
                .await
                .unwrap();
            order.extend(page.items.iter().map(|i| i.attrs["viewers"].as_u64().unwrap()));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(order, [20_001, 20_000, 1_000, 500, 7]);
        let top = store.query(&Query::gsi1(slot).limit(1)).await.unwrap();
        assert_eq!(top.items[0].key.pk, "CHANNEL#4#MINUTES");
        let bottom = store.query(&Query::gsi1(slot).descending().limit(1)).await.unwrap();
        assert_eq!(bottom.items[0].attrs["viewers"], json!(7));
    }

    pub async fn batches_larger_than_a_chunk_are_written_whole(store: &dyn MetaStore, _: &dyn MetaStore) {
        let ops: Vec<WriteOp> = (0..137)
            .map(|i| WriteOp::Put(Item::new(Key::new("BATCH", format!("{i:04}"))).with("i", i)))
            .collect();
        store.batch_write(ops).await.unwrap();
        assert_eq!(collect(store, Query::partition("BATCH").limit(1000)).await.len(), 137);
        let mut ops: Vec<WriteOp> = (0..60)
            .map(|i| WriteOp::Delete(Key::new("BATCH", format!("{i:04}"))))
            .collect();
        ops.push(WriteOp::Put(Item::new(Key::new("BATCH", "0000")).with("i", "again")));
        ops.push(WriteOp::Put(Item::new(Key::new("BATCH", "0200")).with("i", 200)));
        store.batch_write(ops).await.unwrap();
        let left = collect(store, Query::partition("BATCH").limit(1000)).await;
        assert_eq!(left.len(), 137 - 60 + 2);
        assert_eq!(
            store.get(&Key::new("BATCH", "0000")).await.unwrap().unwrap().attrs["i"],
            json!("again")
        );
        store.batch_write(Vec::new()).await.unwrap();
    }

    pub async fn in_a_batch_the_last_write_to_a_key_wins(store: &dyn MetaStore, _: &dyn MetaStore) {
        let ops = vec![
            WriteOp::Put(Item::new(Key::new("DUP", "a")).with("n", 1)),
            WriteOp::Put(Item::new(Key::new("DUP", "a")).with("n", 2)),
            WriteOp::Put(Item::new(Key::new("DUP", "b")).with("n", 1)),
            WriteOp::Delete(Key::new("DUP", "b")),
        ];
        store.batch_write(ops).await.unwrap();
        assert_eq!(
            store.get(&Key::new("DUP", "a")).await.unwrap().unwrap().attrs["n"],
            json!(2)
        );
        assert_eq!(store.get(&Key::new("DUP", "b")).await.unwrap(), None);
    }

    pub async fn invalid_items_and_queries_get_clear_errors(store: &dyn MetaStore, _: &dyn MetaStore) {
        let invalid = |r: Result<u64, MetaError>| assert!(matches!(r, Err(MetaError::InvalidItem(_))), "{r:?}");
        invalid(store.put(Item::new(Key::new("", "x")), Condition::None).await);
        invalid(store.put(Item::new(Key::new("x", "")), Condition::None).await);
        invalid(
            store
                .put(Item::new(Key::new("x", "y")).with("version", 3), Condition::None)
                .await,
        );
        invalid(
            store
                .put(
                    Item::new(Key::new("x", "y")).with("blob", "z".repeat(400_000)),
                    Condition::None,
                )
                .await,
        );
        let batch = store
            .batch_write(vec![WriteOp::Put(Item::new(Key::new("x", "y")).with("pk", 1))])
            .await;
        assert!(matches!(batch, Err(MetaError::InvalidItem(_))), "{batch:?}");
        let update = store
            .update(
                &Key::new("x", "y"),
                Update::new().set("a", 1).remove("a"),
                Condition::None,
            )
            .await;
        assert!(matches!(update, Err(MetaError::InvalidItem(_))), "{update:?}");
        let query = store.query(&Query::partition("x").limit(0)).await;
        assert!(matches!(query, Err(MetaError::InvalidQuery(_))), "{query:?}");
        // Nothing was written by any of them.
        assert_eq!(store.get(&Key::new("x", "y")).await.unwrap(), None);
    }

    pub async fn a_cursor_only_continues_its_own_query(store: &dyn MetaStore, _: &dyn MetaStore) {
        put_all(store, "CUR", &["a", "b", "c"]).await;
        let page = store.query(&Query::partition("CUR").limit(1)).await.unwrap();
        let cursor = page.next.unwrap();
        let elsewhere = store
            .query(&Query::partition("OTHER").after(Some(cursor.clone())))
            .await;
        assert!(matches!(elsewhere, Err(MetaError::InvalidCursor)), "{elsewhere:?}");
        let index = store.query(&Query::gsi1("CUR").after(Some(cursor))).await;
        assert!(matches!(index, Err(MetaError::InvalidCursor)), "{index:?}");
        let forged = store
            .query(&Query::partition("CUR").after(Some(Cursor::from_token("%%%"))))
            .await;
        assert!(matches!(forged, Err(MetaError::InvalidCursor)), "{forged:?}");
    }

    pub async fn expired_items_are_purged_where_the_store_does_not_do_it_itself(
        store: &dyn MetaStore,
        _: &dyn MetaStore,
    ) {
        store
            .put(Item::new(Key::new("TTL", "old")).with_expiry(100), Condition::None)
            .await
            .unwrap();
        store
            .put(Item::new(Key::new("TTL", "new")).with_expiry(10_000), Condition::None)
            .await
            .unwrap();
        store
            .put(Item::new(Key::new("TTL", "keep")), Condition::None)
            .await
            .unwrap();
        let purged = store.purge_expired(1_000).await.unwrap();
        let left = collect(store, Query::partition("TTL")).await;
        match store.adapter() {
            "sqlite" => {
                assert_eq!(purged, 1);
                assert_eq!(left, ["keep", "new"]);
            }
            // DynamoDB's TTL removes expired items in the background; nothing to do here.
            _ => assert_eq!(purged, 0),
        }
    }

    pub async fn the_store_answers_its_health_check(store: &dyn MetaStore, _: &dyn MetaStore) {
        store.check().await.unwrap();
    }
}

macro_rules! meta_contract {
    ($adapter:ident, $open:path) => {
        mod $adapter {
            meta_contract!(@cases $open;
                put_then_get_round_trips_every_attribute_type,
                a_missing_item_is_none,
                each_write_increments_the_version,
                conditions_that_do_not_hold_fail_with_condition_failed,
                a_conditional_put_that_loses_a_race_gets_condition_failed,
                creating_the_same_item_twice_at_once_has_one_winner,
                concurrent_versioned_updates_never_lose_a_write,
                update_sets_removes_and_creates,
                update_moves_an_item_in_the_index_and_sets_expiry,
                delete_removes_and_honours_its_condition,
                a_partition_is_read_in_sort_key_order_both_ways,
                sort_key_conditions_select_ranges,
                pages_visit_every_item_once_with_an_exact_next,
                the_index_lists_items_by_its_own_keys,
                batches_larger_than_a_chunk_are_written_whole,
                in_a_batch_the_last_write_to_a_key_wins,
                invalid_items_and_queries_get_clear_errors,
                a_cursor_only_continues_its_own_query,
                expired_items_are_purged_where_the_store_does_not_do_it_itself,
                the_store_answers_its_health_check,
                get_many_answers_in_key_order_with_none_for_missing_keys,
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $open().await;
                super::cases::$case(&*fixture.store, &*fixture.other).await;
            }
        )*
    };
}

meta_contract!(sqlite, crate::support::sqlite_meta);
meta_contract!(dynamodb, crate::support::dynamodb_meta);
