//! Stored raw pages, read once and indexed by slot.
//!
//! A history page holds many slots' snapshots (the simulator's: 80 slots, 8 MB), and a pull of a day fans out into
//! 1,440 StartSeries jobs, each needing one slot. Parsing the whole page for each of them made starting a day's
//! series take 100 s (13 jobs/s); instead a page is decompressed and scanned once, its slots' byte ranges noted
//! (the stream arrays, borrowed, not parsed), and kept in a bounded cache, so each job parses only its own slot.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::BlobKey;

use super::IngestError;
use super::pull::decompress;

/// A page decompressed, with the byte ranges of each slot's stream array.
#[derive(Debug)]
pub struct IndexedPage {
    text: String,
    /// Helix pages: the `data` array (all of the page belongs to the pull's one slot).
    data: Option<Range<usize>>,
    /// History pages: each slot's `streams` arrays (a slot may be split across entries).
    slots: HashMap<DateTime<Utc>, Vec<Range<usize>>>,
}

#[derive(Deserialize)]
struct PageIndex<'a> {
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(borrow, default)]
    snapshots: Option<Vec<SnapshotIndex<'a>>>,
}

#[derive(Deserialize)]
struct SnapshotIndex<'a> {
    slot: String,
    #[serde(borrow)]
    streams: &'a RawValue,
}

impl IndexedPage {
    /// Scans a decompressed page body.
    pub fn index(text: String, key: &str) -> Result<Self, IngestError> {
        let corrupt = |e: serde_json::Error| IngestError::Corrupt(format!("{key}: stored page does not parse: {e}"));
        let (data, slots) = {
            let page: PageIndex<'_> = serde_json::from_str(&text).map_err(corrupt)?;
            let base = text.as_ptr() as usize;
            let range = |raw: &RawValue| {
                let start = raw.get().as_ptr() as usize - base;
                start..start + raw.get().len()
            };
            let mut slots: HashMap<DateTime<Utc>, Vec<Range<usize>>> = HashMap::new();
            for snapshot in page.snapshots.unwrap_or_default() {
                if let Ok(slot) = DateTime::parse_from_rfc3339(&snapshot.slot) {
                    slots
                        .entry(slot.with_timezone(&Utc))
                        .or_default()
                        .push(range(snapshot.streams));
                }
            }
            (page.data.map(range), slots)
        };
        Ok(Self { text, data, slots })
    }

    /// The stream records of the slot starting at `start` (for a Helix page: all of its records), as raw text.
    pub fn records(&self, start: DateTime<Utc>) -> Result<Vec<Box<RawValue>>, IngestError> {
        let ranges: Vec<&Range<usize>> = match &self.data {
            Some(data) => vec![data],
            None => self.slots.get(&start).map(|r| r.iter().collect()).unwrap_or_default(),
        };
        let mut records = Vec::new();
        for range in ranges {
            let slice = self.text.get(range.clone()).unwrap_or("[]");
            let mut parsed: Vec<Box<RawValue>> =
                serde_json::from_str(slice).map_err(|e| IngestError::Corrupt(format!("stream array: {e}")))?;
            records.append(&mut parsed);
        }
        Ok(records)
    }

    fn weight(&self) -> u32 {
        u32::try_from(self.text.len()).unwrap_or(u32::MAX)
    }
}

/// Indexed pages by blob key, bounded by their total size.
#[derive(Debug, Clone)]
pub struct PageCache {
    pages: moka::sync::Cache<String, Arc<IndexedPage>>,
}

impl PageCache {
    /// A cache holding at most `bytes` of decompressed pages.
    pub fn new(bytes: u64) -> Self {
        Self {
            pages: moka::sync::Cache::builder()
                .max_capacity(bytes)
                .weigher(|_key: &String, page: &Arc<IndexedPage>| page.weight())
                .build(),
        }
    }

    /// The page under `key`, read and indexed on first use.
    pub async fn get(&self, storage: &Storage, key: &str) -> Result<Arc<IndexedPage>, IngestError> {
        if let Some(page) = self.pages.get(key) {
            return Ok(page);
        }
        let blob = storage.blobs.get(&BlobKey::parse(key.to_owned())?).await?;
        let bytes = decompress(&blob.bytes)?;
        let text = String::from_utf8(bytes).map_err(|_| IngestError::Corrupt(format!("{key}: not UTF-8")))?;
        let key_owned = key.to_owned();
        let page = Arc::new(
            tokio::task::spawn_blocking(move || IndexedPage::index(text, &key_owned))
                .await
                .map_err(|e| IngestError::Corrupt(format!("indexing {key}: {e}")))??,
        );
        self.pages.insert(key.to_owned(), Arc::clone(&page));
        Ok(page)
    }
}

impl Default for PageCache {
    /// 64 MiB: eight of the simulator's largest history pages.
    fn default() -> Self {
        Self::new(64 << 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn history_pages_are_indexed_by_slot() {
        let text = r#"{"snapshots":[
            {"slot":"2026-11-26T00:00:00Z","streams":[{"id":"1"},{"id":"2"}]},
            {"slot":"2026-11-26T00:01:00Z","streams":[{"id":"3"}]},
            {"slot":"2026-11-26T00:01:00Z","streams":[{"id":"4"}]}
        ],"cursor":null}"#;
        let page = IndexedPage::index(text.to_owned(), "k").unwrap();
        assert_eq!(page.records(at("2026-11-26T00:00:00Z")).unwrap().len(), 2);
        let records = page.records(at("2026-11-26T00:01:00Z")).unwrap();
        let texts: Vec<&str> = records.iter().map(|r| r.get()).collect();
        assert_eq!(texts, [r#"{"id":"3"}"#, r#"{"id":"4"}"#]);
        assert!(page.records(at("2026-11-26T00:02:00Z")).unwrap().is_empty());
    }

    #[test]
    fn a_helix_page_is_all_one_slot() {
        let text = r#"{"data":[{"id":"1"},{"id":"2"}],"pagination":{}}"#;
        let page = IndexedPage::index(text.to_owned(), "k").unwrap();
        assert_eq!(page.records(at("2026-11-26T00:00:00Z")).unwrap().len(), 2);
    }

    #[test]
    fn a_stored_page_that_does_not_parse_is_reported_as_corrupt() {
        assert!(matches!(
            IndexedPage::index("{\"data\":[".into(), "k"),
            Err(IngestError::Corrupt(_))
        ));
    }
}
