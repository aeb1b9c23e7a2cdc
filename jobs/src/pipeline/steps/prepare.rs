//! `prepare`: the series' records read, validated, deduplicated; invalid ones quarantined with their reason.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use streamlens_domain::helix::HelixStream;
use streamlens_domain::record::{PreparedStream, RecordError, dedupe_by_stream_id};
use streamlens_domain::series::SeriesData;

use crate::ingest::start_series::read_series_data;
use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// A record that could not be prepared, kept with the reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuarantinedRecord {
    /// Its position in the series' data.
    pub index: usize,
    /// Why.
    pub reason: String,
    /// The record as received.
    pub record: Box<RawValue>,
}

/// The output of `prepare`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepared {
    /// The live streams, each stream id once, in the order received.
    pub streams: Vec<PreparedStream>,
    /// Records that are not streams Streamlens can use, with reasons.
    pub quarantined: Vec<QuarantinedRecord>,
    /// Streams not live (`type` other than `live`), dropped.
    pub not_live: u64,
    /// Repeated stream ids, dropped.
    pub duplicates: u64,
}

/// Prepares a series' records.
pub fn prepare(data: &SeriesData) -> Prepared {
    let mut streams = Vec::with_capacity(data.streams.len());
    let mut quarantined = Vec::new();
    let mut not_live = 0;
    for (index, raw) in data.streams.iter().enumerate() {
        let mut quarantine = |reason: String| {
            quarantined.push(QuarantinedRecord {
                index,
                reason,
                record: raw.clone(),
            })
        };
        let mut reader = serde_json::Deserializer::from_str(raw.get());
        let helix = match serde_path_to_error::deserialize::<_, HelixStream>(&mut reader) {
            Ok(helix) => helix,
            Err(e) => {
                quarantine(e.to_string());
                continue;
            }
        };
        match PreparedStream::from_helix(&helix) {
            Ok(stream) => streams.push(stream),
            // A stream that is not live is not an error: it is dropped and counted.
            Err(RecordError::NotLive(_)) => not_live += 1,
            Err(e) => quarantine(e.to_string()),
        }
    }
    let duplicates = dedupe_by_stream_id(&mut streams) as u64;
    Prepared {
        streams,
        quarantined,
        not_live,
        duplicates,
    }
}

/// The step.
#[derive(Debug)]
pub struct Prepare;

#[async_trait]
impl Step for Prepare {
    fn name(&self) -> &'static str {
        "prepare"
    }

    fn needs(&self) -> &'static [&'static str] {
        &[]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let data = read_series_data(&cx.pipeline.storage, cx.series).await?;
        let prepared = prepare(&data);
        if !prepared.quarantined.is_empty() {
            tracing::warn!(
                series.id = %cx.series.id,
                quarantined = prepared.quarantined.len(),
                first = %prepared.quarantined[0].reason,
                "records quarantined"
            );
        }
        let counts = Counts::from([
            ("records".to_owned(), data.streams.len() as u64),
            ("prepared".to_owned(), prepared.streams.len() as u64),
            ("quarantined".to_owned(), prepared.quarantined.len() as u64),
            ("not_live".to_owned(), prepared.not_live),
            ("duplicates".to_owned(), prepared.duplicates),
        ]);
        cx.outputs.save_for_run(cx.pipeline, self.name(), prepared).await?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamlens_domain::ids::SeriesId;
    use streamlens_domain::pulls::PullId;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    fn record(id: &str, user: &str, viewers: i64, kind: &str, started: &str) -> Box<RawValue> {
        raw(&format!(
            r#"{{"id":"{id}","user_id":"{user}","user_login":"u{user}","user_name":"U","game_id":"1","game_name":"G","type":"{kind}","title":"t","viewer_count":{viewers},"started_at":"{started}","language":"en","thumbnail_url":"","tags":null}}"#
        ))
    }

    #[test]
    fn invalid_records_are_quarantined_with_reasons_and_the_rest_deduplicated() {
        let data = SeriesData {
            series: SeriesId::parse("simulator:2026-11-26T11:27:00Z").unwrap(),
            pull_id: PullId::generate(),
            streams: vec![
                record("1", "10", 5, "live", "2026-11-26T10:00:00Z"),
                record("1", "10", 6, "live", "2026-11-26T10:00:00Z"),
                record("2", "11", -3, "live", "2026-11-26T10:00:00Z"),
                record("3", "", 5, "live", "2026-11-26T10:00:00Z"),
                record("4", "12", 5, "live", "yesterday"),
                record("5", "13", 5, "", "2026-11-26T10:00:00Z"),
                raw(r#"{"id":"6","viewer_count":"many"}"#),
            ],
        };
        let p = prepare(&data);
        assert_eq!(p.streams.len(), 1);
        assert_eq!(p.streams[0].viewers, 5);
        assert_eq!((p.duplicates, p.not_live), (1, 1));
        let reasons: Vec<&str> = p.quarantined.iter().map(|q| q.reason.as_str()).collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons[0].contains("negative"), "{reasons:?}");
        assert!(reasons[1].contains("user_id"), "{reasons:?}");
        assert!(reasons[2].contains("started_at"), "{reasons:?}");
        assert_eq!(p.quarantined[3].index, 6);
    }
}
