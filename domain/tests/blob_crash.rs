//! A writer killed (SIGKILL) in the middle of a burst of blob writes leaves no partial object readable.
//!
//! The test re-runs its own binary as the writer: with `STREAMLENS_TEST_CRASH_DIR` set, the test below writes blobs
//! into that folder until it is killed; without it, it is the parent, which starts, kills and restarts writers and
//! then reads back every object that any listing shows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::blob::{BlobKey, BlobStore};

const CHILD_ENV: &str = "STREAMLENS_TEST_CRASH_DIR";
const TEST_NAME: &str = "a_writer_killed_mid_burst_leaves_no_partial_blob";

/// The content every writer puts under key number `n` (256 KiB to 1 MiB, derived from `n`), so a reader can tell a
/// whole object from a torn one without trusting the store. Cheap to build, so writers spend their time writing.
fn content(n: u64) -> Vec<u8> {
    let len = 256 * 1024 + (n % 4) as usize * 256 * 1024;
    let mut bytes = vec![(n % 251) as u8; len];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes[len - 8..].copy_from_slice(&n.to_be_bytes());
    bytes
}

async fn write_forever(dir: &Path) {
    let store = FileBlobStore::open(dir).await.unwrap();
    // Each writer continues where the listing ends and also rewrites old keys, so both creates and replacements are
    // interrupted.
    let start = store.list("burst/", None, 1000).await.unwrap().entries.len() as u64;
    for n in start.. {
        for key in [n, n / 2] {
            let k = BlobKey::parse(format!("burst/{key:08}")).unwrap();
            store.put(&k, Bytes::from(content(key))).await.unwrap();
        }
    }
}

fn orphaned_temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(".tmp")).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_killed_mid_burst_leaves_no_partial_blob() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        write_forever(Path::new(&dir)).await;
        return;
    }

    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("blobs");
    let mut kills = 0;
    let mut torn_writes_seen = 0;
    // Each cycle starts a writer and kills it the moment a new temp file shows up (a write in progress), or after a
    // while if none does. A cycle that leaves the temp file behind interrupted a write.
    for cycle in 0..40 {
        let before = orphaned_temp_files(&dir);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let some writes complete first (more each cycle), so objects that were replaced are also read back.
        let settle = Instant::now() + Duration::from_millis(100 + 20 * cycle);
        let deadline = settle + Duration::from_secs(5);
        while Instant::now() < deadline {
            if Instant::now() > settle && orphaned_temp_files(&dir) > before {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        if orphaned_temp_files(&dir) > before {
            torn_writes_seen += 1;
        }
        if torn_writes_seen >= 5 {
            break;
        }
    }
    assert!(
        torn_writes_seen >= 1,
        "no kill landed in the middle of a write in {kills} tries"
    );

    let store = FileBlobStore::open(&dir).await.unwrap();
    let mut after = None;
    let mut checked = 0;
    loop {
        let page = store.list("", after.as_deref(), 100).await.unwrap();
        for entry in &page.entries {
            let n: u64 = entry.key.as_str().trim_start_matches("burst/").parse().unwrap();
            let blob = store
                .get(&entry.key)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", entry.key));
            assert_eq!(blob.bytes.len(), content(n).len(), "{} is partial", entry.key);
            assert!(blob.bytes == content(n), "{} holds the wrong bytes", entry.key);
            checked += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert!(checked > 0, "the writers wrote nothing");
    println!("{kills} writers killed, {torn_writes_seen} mid-write; {checked} objects read back whole");
}
