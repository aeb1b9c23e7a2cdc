//! The local-files blob adapter (`file://DIR`): one file per object, at `DIR/{key}`.
//!
//! Each file is a 48-byte header followed by the object's bytes: the magic `SLBLOB1\0`, the SHA-256 of the bytes, and
//! their length (u64, little-endian). A write goes to a temp file under `DIR/.tmp/`, is fsynced, renamed over the
//! destination and its folder fsynced, so a process killed mid-write leaves at worst an orphaned temp file (removed at
//! the next start once it is an hour old), never a partial object; reads check the length and the checksum, so a file
//! damaged on disk is reported as corrupt rather than returned.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::{Blob, BlobError, BlobKey, BlobMeta, BlobStore, Checksum, ListEntry, ListPage, check_list_args};

const MAGIC: &[u8; 8] = b"SLBLOB1\0";
const HEADER_LEN: u64 = 48;
const TMP_DIR: &str = ".tmp";
/// Temp files older than this at start-up belong to a writer that died.
const STALE_TMP: Duration = Duration::from_secs(3600);

/// Blobs as files under one directory.
#[derive(Debug, Clone)]
pub struct FileBlobStore {
    root: Arc<PathBuf>,
}

impl FileBlobStore {
    /// Opens (creating if needed) the store rooted at `root`, and removes temp files left by dead writers.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let root = root.into();
        let store = Self { root: Arc::new(root) };
        let tmp = store.root.join(TMP_DIR);
        blocking("open", move || {
            fs::create_dir_all(&tmp)?;
            for entry in fs::read_dir(&tmp)? {
                let entry = entry?;
                let stale = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|modified| SystemTime::now().duration_since(modified).unwrap_or_default() > STALE_TMP)
                    .unwrap_or(false);
                if stale {
                    // Another process may remove it first; either way it is gone.
                    let _ = fs::remove_file(entry.path());
                }
            }
            Ok(())
        })
        .await?;
        Ok(store)
    }

    /// The directory objects live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the object under `key` is stored.
    pub fn path_of(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

/// Runs blocking file work on tokio's blocking pool, mapping errors to `BlobError`.
async fn blocking<T: Send + 'static>(
    op: &'static str,
    work: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|join| BlobError::backend(op, join))?
}

impl From<io::Error> for BlobError {
    fn from(err: io::Error) -> Self {
        BlobError::backend("file I/O", err)
    }
}

/// Whether an I/O error means "no such file" (including a path through a file, `a/b` when `a` is an object).
fn is_missing(err: &io::Error) -> bool {
    matches!(err.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

fn modified_of(meta: &fs::Metadata) -> DateTime<Utc> {
    meta.modified().map(DateTime::<Utc>::from).unwrap_or_default()
}

fn write_atomic(root: &Path, key: &BlobKey, bytes: &[u8]) -> Result<BlobMeta, BlobError> {
    let checksum = Checksum::of(bytes);
    let tmp_path = root.join(TMP_DIR).join(uuid::Uuid::new_v4().simple().to_string());
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&checksum.0);
    header.extend_from_slice(&(bytes.len() as u64).to_le_bytes());

    let result = (|| {
        let mut file = File::create(&tmp_path)?;
        file.write_all(&header)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        let dest = root.join(key.as_str());
        let parent = dest.parent().unwrap_or(root).to_path_buf();
        // A concurrent delete may remove an emptied folder between creating it and renaming into it: retry.
        let mut attempt = 0;
        loop {
            fs::create_dir_all(&parent).map_err(|e| conflict_or(e, key))?;
            match fs::rename(&tmp_path, &dest) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < 3 => attempt += 1,
                Err(e) => return Err(conflict_or(e, key)),
            }
        }
        File::open(&parent)?.sync_all()?;
        let meta = fs::metadata(&dest)?;
        Ok(BlobMeta {
            key: key.clone(),
            size: bytes.len() as u64,
            checksum,
            modified: modified_of(&meta),
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

/// Turns the errors a path clash causes (a key under an existing object, or an object over an existing folder) into
/// a clear key error.
fn conflict_or(err: io::Error, key: &BlobKey) -> BlobError {
    match err.kind() {
        io::ErrorKind::NotADirectory
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::AlreadyExists
        | io::ErrorKind::DirectoryNotEmpty => BlobError::InvalidKey {
            key: key.to_string(),
            reason: "in the file store a key cannot also be a folder of other keys (e.g. both 'a' and 'a/b')",
        },
        _ => err.into(),
    }
}

fn read_header(file: &mut File, key: &BlobKey) -> Result<(Checksum, u64), BlobError> {
    let corrupt = |reason: &str| BlobError::Corrupt {
        key: key.to_string(),
        reason: reason.to_owned(),
    };
    let mut header = [0u8; HEADER_LEN as usize];
    file.read_exact(&mut header).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => corrupt("file shorter than its header"),
        _ => e.into(),
    })?;
    if &header[..8] != MAGIC {
        return Err(corrupt("not a Streamlens blob file (bad magic)"));
    }
    let mut digest = [0u8; 32];
    digest.copy_from_slice(&header[8..40]);
    let mut len = [0u8; 8];
    len.copy_from_slice(&header[40..48]);
    Ok((Checksum(digest), u64::from_le_bytes(len)))
}

/// Opens an object's file; `None` when there is no object under the key (a folder is not an object).
fn open_object(path: &Path) -> Result<Option<(File, fs::Metadata)>, BlobError> {
    match File::open(path) {
        Ok(file) => {
            let meta = file.metadata()?;
            if meta.is_dir() {
                return Ok(None);
            }
            Ok(Some((file, meta)))
        }
        Err(e) if is_missing(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn read_verified(path: &Path, key: &BlobKey) -> Result<Option<Blob>, BlobError> {
    let Some((mut file, meta)) = open_object(path)? else {
        return Ok(None);
    };
    let (checksum, len) = read_header(&mut file, key)?;
    if meta.len() != HEADER_LEN + len {
        return Err(BlobError::Corrupt {
            key: key.to_string(),
            reason: format!(
                "header says {len} bytes, file holds {}",
                meta.len().saturating_sub(HEADER_LEN)
            ),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    let actual = Checksum::of(&bytes);
    if actual != checksum {
        return Err(BlobError::Corrupt {
            key: key.to_string(),
            reason: format!("checksum {actual} does not match the recorded {checksum}"),
        });
    }
    Ok(Some(Blob {
        meta: BlobMeta {
            key: key.clone(),
            size: len,
            checksum,
            modified: modified_of(&meta),
        },
        bytes: Bytes::from(bytes),
    }))
}

/// Walks `dir` (holding keys that start with `key_base`) in key byte order, collecting up to `want` keys that start
/// with `prefix` and sort after `after`.
///
/// Sorting each folder's entries by name, with `/` appended to folder names, visits keys in exactly the order S3
/// lists them: every key under folder `x/` shares the prefix `x/`, so the block sorts where `x/` does among its
/// siblings. Folders entirely before `after`, or outside `prefix`, are skipped without being read.
fn walk(
    dir: &Path,
    key_base: &str,
    prefix: &str,
    after: &str,
    want: usize,
    out: &mut Vec<ListEntry>,
) -> Result<(), BlobError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if is_missing(&e) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut children = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue; // not a key this store wrote
        };
        if name.starts_with('.') {
            continue; // temp files and anything else that is not an object
        }
        let is_dir = entry.file_type()?.is_dir();
        let sort_name = if is_dir { format!("{name}/") } else { name };
        children.push((sort_name, is_dir, entry.path()));
    }
    children.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    for (sort_name, is_dir, path) in children {
        if out.len() >= want {
            return Ok(());
        }
        let key = format!("{key_base}{sort_name}");
        if is_dir {
            let relevant = key.starts_with(prefix) || prefix.starts_with(&key);
            let all_before_after = key.as_str() < after && !after.starts_with(&key);
            if relevant && !all_before_after {
                walk(&path, &key, prefix, after, want, out)?;
            }
        } else if key.starts_with(prefix) && key.as_str() > after {
            let meta = fs::metadata(&path)?;
            out.push(ListEntry {
                key: BlobKey::parse(key)?,
                size: meta.len().saturating_sub(HEADER_LEN),
                modified: modified_of(&meta),
            });
        }
    }
    Ok(())
}

/// Removes `dir` and its now-empty parents, stopping at `root` or at the first folder that is not empty.
fn prune_empty_dirs(root: &Path, mut dir: &Path) {
    while dir != root && dir.starts_with(root) {
        if fs::remove_dir(dir).is_err() {
            return;
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => return,
        }
    }
}

#[async_trait]
impl BlobStore for FileBlobStore {
    fn adapter(&self) -> &'static str {
        "files"
    }

    async fn put(&self, key: &BlobKey, bytes: Bytes) -> Result<BlobMeta, BlobError> {
        let root = Arc::clone(&self.root);
        let key = key.clone();
        blocking("put", move || write_atomic(&root, &key, &bytes)).await
    }

    async fn get(&self, key: &BlobKey) -> Result<Blob, BlobError> {
        let path = self.path_of(key);
        let key = key.clone();
        blocking("get", move || {
            read_verified(&path, &key)?.ok_or_else(|| BlobError::NotFound(key.to_string()))
        })
        .await
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>, BlobError> {
        let path = self.path_of(key);
        let key = key.clone();
        blocking("head", move || {
            let Some((mut file, meta)) = open_object(&path)? else {
                return Ok(None);
            };
            let (checksum, size) = read_header(&mut file, &key)?;
            Ok(Some(BlobMeta {
                key,
                size,
                checksum,
                modified: modified_of(&meta),
            }))
        })
        .await
    }

    async fn list(&self, prefix: &str, start_after: Option<&str>, limit: usize) -> Result<ListPage, BlobError> {
        let limit = check_list_args(prefix, start_after, limit)?;
        let root = Arc::clone(&self.root);
        let prefix = prefix.to_owned();
        let after = start_after.unwrap_or("").to_owned();
        blocking("list", move || {
            // Start at the deepest folder the prefix names in full.
            let (dir, key_base) = match prefix.rfind('/') {
                Some(i) => (root.join(&prefix[..i]), prefix[..=i].to_owned()),
                None => (root.as_ref().clone(), String::new()),
            };
            let mut entries = Vec::with_capacity(limit + 1);
            walk(&dir, &key_base, &prefix, &after, limit + 1, &mut entries)?;
            let more = entries.len() > limit;
            entries.truncate(limit);
            let next = more.then(|| entries.last().map(|e| e.key.to_string())).flatten();
            Ok(ListPage { entries, next })
        })
        .await
    }

    async fn copy(&self, from: &BlobKey, to: &BlobKey) -> Result<BlobMeta, BlobError> {
        let root = Arc::clone(&self.root);
        let (from, to) = (from.clone(), to.clone());
        blocking("copy", move || {
            let blob = read_verified(&root.join(from.as_str()), &from)?
                .ok_or_else(|| BlobError::NotFound(from.to_string()))?;
            write_atomic(&root, &to, &blob.bytes)
        })
        .await
    }

    async fn check(&self) -> Result<(), BlobError> {
        let root = Arc::clone(&self.root);
        blocking("check", move || {
            // A vanished or unmounted folder would otherwise list as empty.
            for dir in [root.as_ref().clone(), root.join(TMP_DIR)] {
                if !fs::metadata(&dir)?.is_dir() {
                    return Err(BlobError::backend(
                        "check",
                        format!("{} is not a folder", dir.display()),
                    ));
                }
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let root = Arc::clone(&self.root);
        let path = self.path_of(key);
        blocking("delete", move || {
            match fs::remove_file(&path) {
                Ok(()) => {}
                // Nothing there, or a folder: there is no object to delete.
                Err(e) if is_missing(&e) || e.kind() == io::ErrorKind::IsADirectory => {
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            }
            if let Some(parent) = path.parent() {
                prune_empty_dirs(&root, parent);
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, FileBlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileBlobStore::open(dir.path().join("blobs")).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_flipped_byte_on_disk_is_reported_as_corrupt() {
        let (_dir, store) = store().await;
        let key = BlobKey::parse("raw/a").unwrap();
        store.put(&key, Bytes::from_static(b"hello world")).await.unwrap();
        let path = store.path_of(&key);
        let mut raw = fs::read(&path).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        fs::write(&path, &raw).unwrap();
        let err = store.get(&key).await.unwrap_err();
        assert!(matches!(err, BlobError::Corrupt { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_truncated_file_is_reported_as_corrupt() {
        let (_dir, store) = store().await;
        let key = BlobKey::parse("raw/a").unwrap();
        store.put(&key, Bytes::from(vec![7u8; 1000])).await.unwrap();
        let path = store.path_of(&key);
        let raw = fs::read(&path).unwrap();
        fs::write(&path, &raw[..500]).unwrap();
        assert!(matches!(store.get(&key).await, Err(BlobError::Corrupt { .. })));
        fs::write(&path, &raw[..10]).unwrap();
        assert!(matches!(store.get(&key).await, Err(BlobError::Corrupt { .. })));
    }

    #[tokio::test]
    async fn a_foreign_file_is_not_returned() {
        let (_dir, store) = store().await;
        fs::create_dir_all(store.root().join("raw")).unwrap();
        fs::write(store.root().join("raw/notes.txt"), vec![b'x'; 100]).unwrap();
        let key = BlobKey::parse("raw/notes.txt").unwrap();
        assert!(matches!(store.get(&key).await, Err(BlobError::Corrupt { .. })));
    }

    #[tokio::test]
    async fn temp_files_are_never_listed_and_stale_ones_are_removed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("blobs");
        let store = FileBlobStore::open(&root).await.unwrap();
        let stale = root.join(TMP_DIR).join("dead-writer");
        fs::write(&stale, b"partial").unwrap();
        let old = SystemTime::now() - Duration::from_secs(7200);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let fresh = root.join(TMP_DIR).join("live-writer");
        fs::write(&fresh, b"partial").unwrap();

        assert!(store.list("", None, 100).await.unwrap().entries.is_empty());
        FileBlobStore::open(&root).await.unwrap();
        assert!(!stale.exists());
        assert!(
            fresh.exists(),
            "a temp file young enough to belong to a live writer is kept"
        );
    }

    #[tokio::test]
    async fn a_key_cannot_be_both_an_object_and_a_folder() {
        let (_dir, store) = store().await;
        store
            .put(&BlobKey::parse("a/b").unwrap(), Bytes::from_static(b"1"))
            .await
            .unwrap();
        let err = store
            .put(&BlobKey::parse("a").unwrap(), Bytes::from_static(b"2"))
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey { .. }), "{err}");
        let err = store
            .put(&BlobKey::parse("a/b/c").unwrap(), Bytes::from_static(b"3"))
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey { .. }), "{err}");
        assert!(matches!(
            store.get(&BlobKey::parse("a").unwrap()).await,
            Err(BlobError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn deleting_the_last_object_of_a_folder_removes_the_folder() {
        let (_dir, store) = store().await;
        let key = BlobKey::parse("series/sim/x").unwrap();
        store.put(&key, Bytes::from_static(b"1")).await.unwrap();
        store.delete(&key).await.unwrap();
        assert!(!store.root().join("series").exists());
        assert!(store.root().exists());
    }
}
