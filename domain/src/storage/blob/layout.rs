//! Where each kind of object lives in the blob store.
//!
//! | prefix | what | written by |
//! |---|---|---|
//! | `raw/{source}/{first slot}/{pull id}/page-{n}.json.zst` | every page as received, zstd | the pull |
//! | `quarantine/{source}/{pull id}/page-{n}.json.zst` | pages that could not be read | the pull |
//! | `series/{source}/{slot}/streams.json.zst` | the slot's streams, each once (`SeriesData`) | StartSeries |
//! | `clean/{source}/{day}/{slot}/{step}.json.zst` | a pipeline step's output | the pipeline |
//! | `rollups/{source}/{kind}/{period}.json.zst` | a period's totals (`PeriodRollup`) | rollups |
//! | `rankings/{source}/{kind}/{period}.json.zst` | a period's rankings (`Rankings`) | rankings |
//! | `broadcasts/{source}/{hour}.json.zst` | the broadcasts touching an hour (`HourBroadcasts`) | broadcasts |

use super::{BlobError, BlobKey};
use crate::ids::{SeriesId, SourceId};
use crate::time::{Period, Slot};

/// A page of a pull as received.
pub fn raw_page(source: &SourceId, first_slot: Slot, pull_id: &str, number: u32) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("raw/{source}/{first_slot}/{pull_id}/page-{number:04}.json.zst"))
}

/// A page that could not be read.
pub fn quarantined_page(source: &SourceId, pull_id: &str, number: u32) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("quarantine/{source}/{pull_id}/page-{number:04}.json.zst"))
}

/// A series' data.
pub fn series_data(series: &SeriesId) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("series/{}/{}/streams.json.zst", series.source(), series.slot()))
}

/// A pipeline step's output for a series. Grouped by UTC day, so the slots of an hour are listed from one folder of
/// at most a day's slots.
pub fn clean_output(series: &SeriesId, step: &str) -> Result<BlobKey, BlobError> {
    let slot = series.slot();
    BlobKey::parse(format!(
        "clean/{}/{}/{slot}/{step}.json.zst",
        series.source(),
        slot.start().format("%Y-%m-%d")
    ))
}

/// The prefix of the step outputs of every slot starting in the hour of `hour_start`.
pub fn clean_hour_prefix(source: &SourceId, hour_start: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "clean/{source}/{}/{}:",
        hour_start.format("%Y-%m-%d"),
        hour_start.format("%Y-%m-%dT%H")
    )
}

/// A period's totals.
pub fn rollup(source: &SourceId, period: Period) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("rollups/{source}/{}/{period}.json.zst", period.kind()))
}

/// The broadcasts touching an hour.
pub fn broadcasts(source: &SourceId, hour: Period) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("broadcasts/{source}/{hour}.json.zst"))
}

/// A period's rankings.
pub fn rankings(source: &SourceId, period: Period) -> Result<BlobKey, BlobError> {
    BlobKey::parse(format!("rankings/{source}/{}/{period}.json.zst", period.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_valid_and_grouped_by_source_and_slot() {
        let source = SourceId::simulator();
        let slot: Slot = "2026-11-26T11:27:00Z".parse().unwrap();
        assert_eq!(
            raw_page(&source, slot, "0190", 3).unwrap().as_str(),
            "raw/simulator/2026-11-26T11:27:00Z/0190/page-0003.json.zst"
        );
        let series = SeriesId::new(source.clone(), slot);
        assert_eq!(
            series_data(&series).unwrap().as_str(),
            "series/simulator/2026-11-26T11:27:00Z/streams.json.zst"
        );
        let five: Slot = "2026-11-26T11:25:00Z/PT5M".parse().unwrap();
        assert!(series_data(&SeriesId::new(source, five)).is_ok());
    }
}
