//! The blob store contract: one suite, run unchanged against every adapter (`files::…`, `s3::…`) and the store of
//! one store per area (`areas::…`: S3 and local folders together).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use bytes::Bytes;
use streamlens_domain::storage::blob::{BlobError, BlobKey, BlobStore, Checksum};

fn key(k: &str) -> BlobKey {
    BlobKey::parse(k).unwrap()
}

/// Every byte value, so nothing is lost to text handling.
fn binary(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i % 256) as u8).collect::<Vec<_>>())
}

/// Lists every key under `prefix`, `page` at a time, following `next`.
async fn list_all(store: &dyn BlobStore, prefix: &str, page: usize) -> Vec<String> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let result = store.list(prefix, after.as_deref(), page).await.unwrap();
        assert!(result.entries.len() <= page);
        keys.extend(result.entries.iter().map(|e| e.key.to_string()));
        match result.next {
            Some(next) => after = Some(next),
            None => return keys,
        }
    }
}

mod cases {
    use super::*;

    pub async fn put_then_get_returns_the_bytes_and_their_checksum(store: &dyn BlobStore) {
        let bytes = binary(70_000);
        let written = store.put(&key("raw/sim/page-0001"), bytes.clone()).await.unwrap();
        assert_eq!(written.size, 70_000);
        assert_eq!(written.checksum, Checksum::of(&bytes));
        let blob = store.get(&key("raw/sim/page-0001")).await.unwrap();
        assert_eq!(blob.bytes, bytes);
        assert_eq!(blob.meta.checksum, written.checksum);
        assert_eq!(blob.meta.size, 70_000);
    }

    pub async fn an_empty_blob_round_trips(store: &dyn BlobStore) {
        store.put(&key("empty"), Bytes::new()).await.unwrap();
        let blob = store.get(&key("empty")).await.unwrap();
        assert!(blob.bytes.is_empty());
        assert_eq!(blob.meta.checksum, Checksum::of(b""));
    }

    pub async fn a_large_blob_round_trips(store: &dyn BlobStore) {
        let bytes = binary(6 * 1024 * 1024 + 17);
        store.put(&key("series/big"), bytes.clone()).await.unwrap();
        assert_eq!(store.get(&key("series/big")).await.unwrap().bytes, bytes);
    }

    pub async fn a_missing_key_is_not_found(store: &dyn BlobStore) {
        assert!(matches!(store.get(&key("nope/x")).await, Err(BlobError::NotFound(k)) if k == "nope/x"));
        assert_eq!(store.head(&key("nope/x")).await.unwrap(), None);
    }

    pub async fn head_reports_size_and_checksum(store: &dyn BlobStore) {
        let bytes = Bytes::from_static(b"{\"data\":[]}");
        let written = store.put(&key("clean/a.json"), bytes.clone()).await.unwrap();
        let head = store.head(&key("clean/a.json")).await.unwrap().unwrap();
        assert_eq!(head.size, bytes.len() as u64);
        assert_eq!(head.checksum, Checksum::of(&bytes));
        assert_eq!(head.key, written.key);
    }

    pub async fn put_replaces_the_previous_object(store: &dyn BlobStore) {
        store.put(&key("a/b"), Bytes::from_static(b"first")).await.unwrap();
        store
            .put(&key("a/b"), Bytes::from_static(b"second, longer"))
            .await
            .unwrap();
        let blob = store.get(&key("a/b")).await.unwrap();
        assert_eq!(&blob.bytes[..], b"second, longer");
        assert_eq!(blob.meta.checksum, Checksum::of(b"second, longer"));
    }

    pub async fn listing_pages_through_keys_in_byte_order(store: &dyn BlobStore) {
        // Names chosen so that folder order and byte order differ: '-' < '/' < '0' < 'Z' < '_' < 'a' < 'é'.
        let mut keys = vec![
            "a",
            "a-b",
            "a0",
            "aZ",
            "a_",
            "b/c/d",
            "b/c-e",
            "b/c0",
            "b/cz/x",
            "c/é",
            "c/e",
            "c/z",
            "d:1",
            "d:10",
            "d:2",
            "e/2026-11-26T11:27:00Z",
            "e/2026-11-26T11:28:00Z",
            "f",
        ];
        for k in &keys {
            store.put(&key(k), Bytes::from(k.as_bytes().to_vec())).await.unwrap();
        }
        keys.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for page in [1, 4, 7, 100] {
            assert_eq!(list_all(store, "", page).await, keys, "page size {page}");
        }
        let first = store.list("", None, 5).await.unwrap();
        assert_eq!(first.entries.len(), 5);
        assert_eq!(first.next.as_deref(), Some(keys[4]));
        assert_eq!(first.entries[0].size, 1);
    }

    pub async fn a_prefix_may_end_in_the_middle_of_a_segment(store: &dyn BlobStore) {
        for k in [
            "raw/sim/1",
            "raw/simulator/2",
            "raw/sim-b/3",
            "raw/other/4",
            "rawx/5",
            "series/sim/6",
        ] {
            store.put(&key(k), Bytes::from_static(b"x")).await.unwrap();
        }
        assert_eq!(
            list_all(store, "raw/sim", 2).await,
            ["raw/sim-b/3", "raw/sim/1", "raw/simulator/2"]
        );
        assert_eq!(list_all(store, "raw/sim/", 2).await, ["raw/sim/1"]);
        assert_eq!(list_all(store, "raw", 10).await.len(), 5);
        assert_eq!(list_all(store, "raw/", 10).await.len(), 4);
        assert!(list_all(store, "nothing/", 10).await.is_empty());
    }

    pub async fn listing_resumes_after_any_key(store: &dyn BlobStore) {
        for k in ["p/1", "p/2", "p/3/x", "p/4"] {
            store.put(&key(k), Bytes::from_static(b"x")).await.unwrap();
        }
        let page = store.list("p/", Some("p/2"), 10).await.unwrap();
        let keys: Vec<_> = page.entries.iter().map(|e| e.key.to_string()).collect();
        assert_eq!(keys, ["p/3/x", "p/4"]);
        assert_eq!(page.next, None);
        // A start key that is not stored works too.
        let page = store.list("p/", Some("p/25"), 10).await.unwrap();
        assert_eq!(page.entries[0].key.as_str(), "p/3/x");
        let page = store.list("p/", Some("p/4"), 10).await.unwrap();
        assert!(page.entries.is_empty());
    }

    pub async fn copy_duplicates_an_object_with_its_checksum(store: &dyn BlobStore) {
        let bytes = binary(1000);
        store
            .put(&key("raw/s/2026-11-26T11:27:00Z/page-1"), bytes.clone())
            .await
            .unwrap();
        let copied = store
            .copy(
                &key("raw/s/2026-11-26T11:27:00Z/page-1"),
                &key("series/s/2026-11-26T11:27:00Z/data"),
            )
            .await
            .unwrap();
        assert_eq!(copied.checksum, Checksum::of(&bytes));
        assert_eq!(
            store
                .get(&key("series/s/2026-11-26T11:27:00Z/data"))
                .await
                .unwrap()
                .bytes,
            bytes
        );
        assert_eq!(
            store
                .get(&key("raw/s/2026-11-26T11:27:00Z/page-1"))
                .await
                .unwrap()
                .bytes,
            bytes
        );
        let missing = store.copy(&key("raw/none"), &key("series/none")).await;
        assert!(matches!(missing, Err(BlobError::NotFound(_))), "{missing:?}");
        assert_eq!(store.head(&key("series/none")).await.unwrap(), None);
    }

    pub async fn delete_removes_and_is_idempotent(store: &dyn BlobStore) {
        store.put(&key("d/x"), Bytes::from_static(b"x")).await.unwrap();
        store.put(&key("d/y"), Bytes::from_static(b"y")).await.unwrap();
        store.delete(&key("d/x")).await.unwrap();
        assert!(matches!(store.get(&key("d/x")).await, Err(BlobError::NotFound(_))));
        store.delete(&key("d/x")).await.unwrap();
        store.delete(&key("never/written")).await.unwrap();
        assert_eq!(list_all(store, "d/", 10).await, ["d/y"]);
    }

    pub async fn keys_with_colons_and_unicode_round_trip(store: &dyn BlobStore) {
        for k in [
            "raw/simulator/2026-11-26T11:27:00Z/page 1",
            "clean/日本語/ü+ß=?&%",
            "x/@!$'()*,;=",
        ] {
            store.put(&key(k), Bytes::from(k.as_bytes().to_vec())).await.unwrap();
            assert_eq!(&store.get(&key(k)).await.unwrap().bytes[..], k.as_bytes());
            store.copy(&key(k), &key(&format!("copy/{k}"))).await.unwrap();
            assert_eq!(
                &store.get(&key(&format!("copy/{k}"))).await.unwrap().bytes[..],
                k.as_bytes()
            );
        }
    }

    pub async fn bad_arguments_get_clear_errors(store: &dyn BlobStore) {
        let err = store.list("", None, 0).await.unwrap_err();
        assert!(matches!(err, BlobError::InvalidArgument(_)), "{err}");
        let err = store.list("../", None, 10).await.unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey { .. }), "{err}");
        let err = store.list("", Some("/abs"), 10).await.unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey { .. }), "{err}");
        // Limits above the maximum are capped, not refused.
        store.put(&key("one"), Bytes::from_static(b"1")).await.unwrap();
        assert_eq!(store.list("", None, 1_000_000).await.unwrap().entries.len(), 1);
    }

    pub async fn concurrent_writers_to_one_key_leave_one_whole_object(store: &dyn BlobStore) {
        let bodies: Vec<Bytes> = (0..8u8)
            .map(|i| Bytes::from(vec![i; 200_000 + usize::from(i)]))
            .collect();
        let contended = key("contended");
        let writes = bodies.iter().map(|b| store.put(&contended, b.clone()));
        for result in futures::future::join_all(writes).await {
            result.unwrap();
        }
        let blob = store.get(&key("contended")).await.unwrap();
        assert!(
            bodies.contains(&blob.bytes),
            "the object is not one of the writes, whole"
        );
    }

    pub async fn the_store_answers_its_health_check(store: &dyn BlobStore) {
        store.check().await.unwrap();
    }
}

macro_rules! blob_contract {
    ($adapter:ident, $open:path) => {
        mod $adapter {
            blob_contract!(@cases $open;
                put_then_get_returns_the_bytes_and_their_checksum,
                an_empty_blob_round_trips,
                a_large_blob_round_trips,
                a_missing_key_is_not_found,
                head_reports_size_and_checksum,
                put_replaces_the_previous_object,
                listing_pages_through_keys_in_byte_order,
                a_prefix_may_end_in_the_middle_of_a_segment,
                listing_resumes_after_any_key,
                copy_duplicates_an_object_with_its_checksum,
                delete_removes_and_is_idempotent,
                keys_with_colons_and_unicode_round_trip,
                bad_arguments_get_clear_errors,
                concurrent_writers_to_one_key_leave_one_whole_object,
                the_store_answers_its_health_check,
            );
        }
    };
    (@cases $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $open().await;
                super::cases::$case(&*fixture.store).await;
            }
        )*
    };
}

blob_contract!(files, crate::support::files_blobs);
blob_contract!(s3, crate::support::s3_blobs);
blob_contract!(areas, crate::support::areas_blobs);
