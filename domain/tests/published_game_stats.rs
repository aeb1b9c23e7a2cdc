//! The metric definitions against figures Twitch trackers published: 16,800 rows of monthly game stats
//! (`tests/fixtures/twitch_game_data.csv`, SullyGnome figures; provenance in `tests/fixtures/README.md`).
//!
//! For each row, the viewer ratio and the average viewers are recomputed from the hours watched, the hours streamed
//! and the calendar month with Streamlens' own functions, and compared with the published values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use streamlens_domain::metrics::{self, GroupStats};
use streamlens_domain::time::Period;

/// A published number: strips the dirty suffixes the source carries (`1362044 hours`, `283669656(4.5%)`).
fn number(field: &str) -> Result<f64, String> {
    let clean = field.trim();
    let clean = clean.split('(').next().unwrap_or(clean).trim();
    let clean = clean.strip_suffix("hours").unwrap_or(clean).trim();
    clean
        .replace(',', "")
        .parse::<f64>()
        .map_err(|_| format!("{field:?} is not a number"))
}

struct Row {
    period: Period,
    hours_watched: f64,
    hours_streamed: f64,
    avg_viewers: f64,
    avg_channels: f64,
    avg_viewer_ratio: f64,
}

/// One row. Read as bytes: a few game names in the source are not valid UTF-8, and only the numbers matter here.
fn parse(record: &csv::ByteRecord) -> Result<Row, String> {
    let field = |i: usize| {
        let bytes = record.get(i).ok_or_else(|| format!("missing column {i}"))?;
        std::str::from_utf8(bytes).map_err(|_| format!("column {i} is not UTF-8"))
    };
    let month: u32 = field(2)?.trim().parse().map_err(|_| "bad month".to_owned())?;
    let year: i32 = field(3)?.trim().parse().map_err(|_| "bad year".to_owned())?;
    Ok(Row {
        period: Period::month(year, month).map_err(|e| e.to_string())?,
        hours_watched: number(field(4)?)?,
        hours_streamed: number(field(5)?)?,
        avg_viewers: number(field(9)?)?,
        avg_channels: number(field(10)?)?,
        avg_viewer_ratio: number(field(11)?)?,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn relative_error(ours: f64, published: f64) -> f64 {
    ((ours - published) / published).abs()
}

#[test]
fn viewer_ratio_and_average_viewers_match_the_published_figures() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/twitch_game_data.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "Rank",
            "Game",
            "Month",
            "Year",
            "Hours_watched",
            "Hours_Streamed",
            "Peak_viewers",
            "Peak_channels",
            "Streamers",
            "Avg_viewers",
            "Avg_channels",
            "Avg_viewer_ratio"
        ]
    );

    let mut rows = Vec::new();
    let mut unreadable = Vec::new();
    for (line, record) in reader.byte_records().enumerate() {
        match record.map_err(|e| e.to_string()).and_then(|r| parse(&r)) {
            Ok(row) => rows.push(row),
            Err(why) => unreadable.push((line + 2, why)),
        }
    }
    assert!(
        unreadable.is_empty(),
        "unreadable rows: {:?}",
        &unreadable[..unreadable.len().min(5)]
    );
    assert_eq!(rows.len(), 16_800);

    let mut ratio_errors = Vec::new();
    let mut viewer_errors = Vec::new();
    let mut channel_errors = Vec::new();
    for row in &rows {
        // The published totals, as a group's stats over a fully observed month.
        let stats = GroupStats {
            viewer_minutes: (row.hours_watched * 60.0).round() as u64,
            stream_minutes: (row.hours_streamed * 60.0).round() as u64,
            observed_minutes: row.period.minutes() as u64,
            ..GroupStats::default()
        };
        let ratio = metrics::viewer_ratio(row.hours_watched, row.hours_streamed).unwrap();
        assert!((stats.viewer_ratio().unwrap() - ratio).abs() <= 1e-6 * ratio);
        ratio_errors.push(relative_error(ratio, row.avg_viewer_ratio));

        let viewers = metrics::average_viewers(row.hours_watched, row.period.hours()).unwrap();
        assert!((stats.average_viewers().unwrap() - viewers).abs() <= 1e-6 * viewers);
        viewer_errors.push(relative_error(viewers, row.avg_viewers));

        let channels = stats.average_channels().unwrap();
        channel_errors.push(relative_error(channels, row.avg_channels));
    }

    let (ratio, viewers, channels) = (median(ratio_errors), median(viewer_errors), median(channel_errors));
    println!(
        "median relative error over {} rows: viewer ratio {:.4} %, average viewers {:.4} %, average channels {:.4} %",
        rows.len(),
        ratio * 100.0,
        viewers * 100.0,
        channels * 100.0
    );
    assert!(ratio < 0.005, "viewer ratio: median error {:.3} %", ratio * 100.0);
    assert!(
        viewers < 0.005,
        "average viewers: median error {:.3} %",
        viewers * 100.0
    );
    // The published average channels sit further from hours streamed / calendar hours (0.68 % median): the tracker
    // divides by the hours it observed, which we cannot see. Within 1 % still says the definition is the same one.
    assert!(
        channels < 0.01,
        "average channels: median error {:.3} %",
        channels * 100.0
    );
}

#[test]
fn dirty_numbers_are_cleaned_or_refused() {
    assert_eq!(number("1362044 hours"), Ok(1_362_044.0));
    assert_eq!(number("283669656(4.5%)"), Ok(283_669_656.0));
    assert_eq!(number("86.16(-1.1%)"), Ok(86.16));
    assert_eq!(number("\"12,149\"".trim_matches('"')), Ok(12_149.0));
    assert!(number("n/a").is_err());
}
