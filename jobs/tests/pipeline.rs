//! The pipeline end to end on a hand-made series set (`support/golden.rs`): every figure the set should give is
//! written out below, by hand, and the pipeline's results must equal them exactly, on local files and SQLite and on
//! S3 and DynamoDB. Then re-runs, duplicate deliveries and late series, which must leave every rollup and ranking
//! byte-identical.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use streamlens_domain::ids::{ChannelId, GameId, Language, SeriesId, SourceId};
use streamlens_domain::rollup::{ChannelBroadcast, ChannelPeriodStats, GroupPeriodStats, RankRow};
use streamlens_domain::series::{SeriesRecord, SeriesStatus};
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::meta::keys::{self, Ranked, RankingFilter, RankingMetric, StatsOf};
use streamlens_domain::time::{Period, PeriodKind, Slot, SlotLength};
use streamlens_jobs::admin;
use streamlens_jobs::jobs::RunPipeline;
use streamlens_jobs::notify::Event;
use streamlens_jobs::pipeline::run::{self, RunId, RunStatus, RunTrigger};
use streamlens_jobs::pipeline::steps;
use support::golden::{self, ALPHA, BRAVO, CHARLIE, FROM, G1, G2, SOURCE, TO, at};
use support::{Backend, Deployment, deploy, partition};
use tokio_util::sync::CancellationToken;

fn period(kind: PeriodKind, t: &str) -> Period {
    Period::containing(kind, at(t))
}

fn hour(t: &str) -> Period {
    period(PeriodKind::Hour, t)
}

fn day(t: &str) -> Period {
    period(PeriodKind::Day, t)
}

fn source() -> SourceId {
    SourceId::parse(SOURCE).unwrap()
}

fn slot(t: &str) -> Slot {
    Slot::new(at(t), SlotLength::from_minutes(15).unwrap()).unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

/// A channel's figures for a period: viewer-minutes, live minutes, and the peak with the start of its first slot.
struct ChannelFigures {
    viewer_minutes: u64,
    airtime_minutes: u64,
    peak: u64,
    peak_at: &'static str,
}

async fn assert_channel(storage: &Storage, channel: &str, period: Period, want: ChannelFigures) {
    let id = ChannelId::parse(channel).unwrap();
    let stats: ChannelPeriodStats = storage
        .meta
        .get(&keys::stats(&source(), StatsOf::Channel(&id), period))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no stats of {channel} for {period}"))
        .decode()
        .unwrap();
    let what = format!("channel {channel}, {period}: {stats:?}");
    assert!(
        close(stats.hours_watched, want.viewer_minutes as f64 / 60.0),
        "hours watched of {what}"
    );
    assert!(
        close(stats.airtime_hours, want.airtime_minutes as f64 / 60.0),
        "airtime of {what}"
    );
    let average = want.viewer_minutes as f64 / want.airtime_minutes as f64;
    assert!(
        close(stats.average_viewers.unwrap(), average),
        "average viewers of {what}"
    );
    assert_eq!(stats.peak_viewers, Some(want.peak), "peak of {what}");
    assert_eq!(stats.peak_at, Some(at(want.peak_at)), "peak time of {what}");
}

/// A game's, language's or the platform's figures for a period.
struct GroupFigures {
    viewer_minutes: u64,
    stream_minutes: u64,
    observed_minutes: u64,
    peak: u64,
    peak_at: &'static str,
    peak_channels: u64,
    peak_channels_at: &'static str,
    unique: u64,
}

async fn assert_group(storage: &Storage, of: StatsOf<'_>, period: Period, want: GroupFigures) {
    let stats: GroupPeriodStats = storage
        .meta
        .get(&keys::stats(&source(), of, period))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no stats of {of:?} for {period}"))
        .decode()
        .unwrap();
    let what = format!("{of:?}, {period}: {stats:?}");
    assert!(
        close(stats.hours_watched, want.viewer_minutes as f64 / 60.0),
        "hours watched of {what}"
    );
    assert!(
        close(stats.hours_streamed, want.stream_minutes as f64 / 60.0),
        "hours streamed of {what}"
    );
    let observed = want.observed_minutes as f64;
    assert!(
        close(stats.average_viewers.unwrap(), want.viewer_minutes as f64 / observed),
        "average viewers of {what}"
    );
    assert!(
        close(stats.average_channels.unwrap(), want.stream_minutes as f64 / observed),
        "average channels of {what}"
    );
    assert_eq!(stats.peak_viewers, Some(want.peak), "peak of {what}");
    assert_eq!(stats.peak_viewers_at, Some(at(want.peak_at)), "peak time of {what}");
    assert_eq!(stats.peak_channels, Some(want.peak_channels), "peak channels of {what}");
    assert_eq!(
        stats.peak_channels_at,
        Some(at(want.peak_channels_at)),
        "peak channels time of {what}"
    );
    assert_eq!(stats.unique_streamers, want.unique, "unique streamers of {what}");
    assert_eq!(
        stats.coverage.observed_slots * 15,
        want.observed_minutes,
        "coverage of {what}"
    );
}

/// The first page of a ranking as `(id, value, previous rank)` in rank order.
async fn ranking(
    storage: &Storage,
    ranked: Ranked,
    metric: RankingMetric,
    period: Period,
    filter: RankingFilter<'_>,
) -> Vec<(String, f64, Option<u32>)> {
    let pk = keys::ranking_partition(&source(), ranked, metric, period, filter);
    let item = storage
        .meta
        .get(&keys::ranking_page(&pk, 1))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no ranking {pk}"));
    let rows: Vec<RankRow> = serde_json::from_value(item.attrs["rows"].clone()).unwrap();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.rank as usize, i + 1, "{pk}: {rows:?}");
    }
    rows.into_iter().map(|r| (r.id, r.value, r.previous_rank)).collect()
}

fn assert_ranking(actual: &[(String, f64, Option<u32>)], expected: &[(&str, f64, Option<u32>)], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            a.0 == e.0 && close(a.1, e.1) && a.2 == e.2,
            "{what}: {actual:?}, expected {expected:?}"
        );
    }
}

/// Every figure of the golden set.
async fn assert_golden(storage: &Storage) {
    let (d1, d2) = (day("2026-11-20T00:00:00Z"), day("2026-11-21T00:00:00Z"));
    let week = period(PeriodKind::Week, FROM);
    let month = period(PeriodKind::Month, FROM);
    assert_eq!(
        (week.to_string(), month.to_string()),
        ("2026-W47".into(), "2026-11".into())
    );
    let (h22, h23) = (hour("2026-11-20T22:00:00Z"), hour("2026-11-20T23:00:00Z"));

    // alpha: 100 120 110 | (reconnect) 90 100 100 80 on day 1; 65 50 30 on day 2.
    let alpha = |vm, min, peak, peak_at| ChannelFigures {
        viewer_minutes: vm,
        airtime_minutes: min,
        peak,
        peak_at,
    };
    assert_channel(storage, ALPHA, h22, alpha(4_950, 45, 120, "2026-11-20T22:15:00Z")).await;
    assert_channel(storage, ALPHA, h23, alpha(5_550, 60, 100, "2026-11-20T23:15:00Z")).await;
    assert_channel(storage, ALPHA, d1, alpha(10_500, 105, 120, "2026-11-20T22:15:00Z")).await;
    assert_channel(storage, ALPHA, d2, alpha(2_175, 45, 65, "2026-11-21T00:00:00Z")).await;
    assert_channel(storage, ALPHA, week, alpha(12_675, 150, 120, "2026-11-20T22:15:00Z")).await;
    assert_channel(storage, ALPHA, month, alpha(12_675, 150, 120, "2026-11-20T22:15:00Z")).await;
    // bravo: 40 40 (listed twice, counted once) then 60 60 80 80 70 50 on League; 200 on day 2.
    assert_channel(storage, BRAVO, d1, alpha(7_200, 120, 80, "2026-11-20T23:00:00Z")).await;
    assert_channel(storage, BRAVO, d2, alpha(3_000, 15, 200, "2026-11-21T10:00:00Z")).await;
    assert_channel(storage, BRAVO, week, alpha(10_200, 135, 200, "2026-11-21T10:00:00Z")).await;
    // charlie: 10 20 30 on day 1; 40 40 45 (missing slot) 50 60 on day 2.
    assert_channel(storage, CHARLIE, d1, alpha(900, 45, 30, "2026-11-20T23:00:00Z")).await;
    assert_channel(storage, CHARLIE, d2, alpha(3_525, 75, 60, "2026-11-21T01:15:00Z")).await;
    assert_channel(storage, CHARLIE, week, alpha(4_425, 120, 60, "2026-11-21T01:15:00Z")).await;

    // bravo's day 1 by game: 2 slots of Just Chatting, 6 of League.
    let bravo = ChannelId::parse(BRAVO).unwrap();
    let stats: ChannelPeriodStats = storage
        .meta
        .get(&keys::stats(&source(), StatsOf::Channel(&bravo), d1))
        .await
        .unwrap()
        .unwrap()
        .decode()
        .unwrap();
    let games: Vec<(String, f64)> = stats.games.iter().map(|(g, h)| (g.to_string(), *h)).collect();
    assert_eq!(games, vec![(G2.to_owned(), 100.0), (G1.to_owned(), 20.0)]);
    assert_eq!(stats.language, Some(Language::parse("de").unwrap()));
    assert_eq!((stats.coverage.observed_slots, stats.coverage.expected_slots), (8, 96));

    let (g1, g2) = (GameId::parse(G1).unwrap(), GameId::parse(G2).unwrap());
    let (en, de) = (Language::parse("en").unwrap(), Language::parse("de").unwrap());
    #[allow(clippy::too_many_arguments)]
    fn group(
        viewer_minutes: u64,
        stream_minutes: u64,
        observed_minutes: u64,
        peak: u64,
        peak_at: &'static str,
        peak_channels: u64,
        peak_channels_at: &'static str,
        unique: u64,
    ) -> GroupFigures {
        GroupFigures {
            viewer_minutes,
            stream_minutes,
            observed_minutes,
            peak,
            peak_at,
            peak_channels,
            peak_channels_at,
            unique,
        }
    }
    // Day 1: 8 slots observed (120 minutes).
    let t = |hm: &str| -> &'static str { Box::leak(format!("2026-11-20T{hm}:00Z").into_boxed_str()) };
    let u = |hm: &str| -> &'static str { Box::leak(format!("2026-11-21T{hm}:00Z").into_boxed_str()) };
    assert_group(
        storage,
        StatsOf::Game(&g1),
        d1,
        group(11_700, 135, 120, 160, t("22:15"), 2, t("22:00"), 2),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Game(&g2),
        d1,
        group(6_900, 135, 120, 110, t("23:00"), 2, t("22:30"), 2),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Language(&en),
        d1,
        group(11_400, 150, 120, 120, t("22:15"), 2, t("22:30"), 2),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Language(&de),
        d1,
        group(7_200, 120, 120, 80, t("23:00"), 1, t("22:00"), 1),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Platform,
        d1,
        group(18_600, 270, 120, 200, t("23:00"), 3, t("22:30"), 3),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Platform,
        h22,
        group(8_400, 135, 60, 180, t("22:30"), 3, t("22:30"), 3),
    )
    .await;
    // Day 2: 6 slots observed (00:45 is missing).
    assert_group(
        storage,
        StatsOf::Game(&g1),
        d2,
        group(5_175, 60, 90, 200, u("10:00"), 1, u("00:00"), 2),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Game(&g2),
        d2,
        group(3_525, 75, 90, 60, u("01:15"), 1, u("00:00"), 1),
    )
    .await;
    assert_group(
        storage,
        StatsOf::Platform,
        d2,
        group(8_700, 135, 90, 200, u("10:00"), 2, u("00:00"), 3),
    )
    .await;
    // The week and the month: 14 slots observed.
    for p in [week, month] {
        assert_group(
            storage,
            StatsOf::Game(&g1),
            p,
            group(16_875, 195, 210, 200, u("10:00"), 2, t("22:00"), 2),
        )
        .await;
        assert_group(
            storage,
            StatsOf::Game(&g2),
            p,
            group(10_425, 210, 210, 110, t("23:00"), 2, t("22:30"), 2),
        )
        .await;
        assert_group(
            storage,
            StatsOf::Platform,
            p,
            group(27_300, 405, 210, 200, t("23:00"), 3, t("22:30"), 3),
        )
        .await;
    }

    // Rankings, with the previous period's rank (rank change = previous - rank).
    use Ranked::{Channel, Game};
    use RankingMetric::{AverageViewers, HoursWatched, PeakViewers};
    let all = RankingFilter::All;
    assert_ranking(
        &ranking(storage, Channel, HoursWatched, d1, all).await,
        &[(ALPHA, 175.0, None), (BRAVO, 120.0, None), (CHARLIE, 15.0, None)],
        "day 1 channels by hours watched",
    );
    assert_ranking(
        &ranking(storage, Channel, HoursWatched, d2, all).await,
        &[
            (CHARLIE, 58.75, Some(3)),
            (BRAVO, 50.0, Some(2)),
            (ALPHA, 36.25, Some(1)),
        ],
        "day 2 channels by hours watched",
    );
    assert_ranking(
        &ranking(storage, Channel, AverageViewers, d2, all).await,
        &[
            (BRAVO, 200.0, Some(2)),
            (ALPHA, 2_175.0 / 45.0, Some(1)),
            (CHARLIE, 47.0, Some(3)),
        ],
        "day 2 channels by average viewers",
    );
    assert_ranking(
        &ranking(storage, Channel, PeakViewers, d2, all).await,
        &[
            (BRAVO, 200.0, Some(2)),
            (ALPHA, 65.0, Some(1)),
            (CHARLIE, 60.0, Some(3)),
        ],
        "day 2 channels by peak viewers",
    );
    assert_ranking(
        &ranking(storage, Channel, HoursWatched, d1, RankingFilter::Language(&en)).await,
        &[(ALPHA, 175.0, None), (CHARLIE, 15.0, None)],
        "day 1 English channels by hours watched",
    );
    assert_ranking(
        &ranking(storage, Channel, HoursWatched, d1, RankingFilter::Game(&g2)).await,
        &[(BRAVO, 100.0, None), (CHARLIE, 15.0, None)],
        "day 1 League channels by hours watched",
    );
    assert_ranking(
        &ranking(storage, Game, HoursWatched, d1, all).await,
        &[(G1, 195.0, None), (G2, 115.0, None)],
        "day 1 games by hours watched",
    );
    assert_ranking(
        &ranking(storage, Game, HoursWatched, d2, all).await,
        &[(G1, 86.25, Some(1)), (G2, 58.75, Some(2))],
        "day 2 games by hours watched",
    );
    assert_ranking(
        &ranking(storage, Channel, HoursWatched, week, all).await,
        &[(ALPHA, 211.25, None), (BRAVO, 170.0, None), (CHARLIE, 73.75, None)],
        "the week's channels by hours watched",
    );

    // Broadcasts: reconnects within 15 minutes merge, the missing slot does not split one; each as
    // (start, end, viewer-minutes, live minutes, peak).
    let broadcasts = |channel: &'static str| async move {
        let id = ChannelId::parse(channel).unwrap();
        partition(storage, keys::broadcasts(&source(), &id))
            .await
            .into_iter()
            .map(|item| {
                let b: ChannelBroadcast = item.decode().unwrap();
                (
                    b.start,
                    b.end,
                    b.stats.viewer_minutes,
                    b.stats.airtime_minutes,
                    b.stats.peak.map(|p| p.value),
                )
            })
            .collect::<Vec<_>>()
    };
    type Row = (DateTime<Utc>, DateTime<Utc>, u64, u64, Option<u64>);
    let row =
        |start: &str, end: &str, vm: u64, min: u64, peak: u64| -> Row { (at(start), at(end), vm, min, Some(peak)) };
    assert_eq!(
        broadcasts(ALPHA).await,
        vec![row(t("22:00"), u("00:45"), 12_675, 150, 120)],
        "alpha's broadcasts"
    );
    assert_eq!(
        broadcasts(BRAVO).await,
        vec![
            row(t("22:00"), u("00:00"), 7_200, 120, 80),
            row(u("10:00"), u("10:15"), 3_000, 15, 200)
        ],
        "bravo's broadcasts"
    );
    assert_eq!(
        broadcasts(CHARLIE).await,
        vec![
            row(t("22:30"), t("23:15"), 900, 45, 30),
            row(u("00:00"), u("01:30"), 3_525, 75, 60)
        ],
        "charlie's broadcasts"
    );

    // Title and game history: bravo switched both at 22:30; nobody else changed anything between two live slots.
    let history = |channel: &'static str| async move {
        let id = ChannelId::parse(channel).unwrap();
        partition(storage, keys::channel_history(&source(), &id))
            .await
            .into_iter()
            .map(|item| {
                (
                    item.key.sk.clone(),
                    item.attrs["from"].as_str().unwrap_or_default().to_owned(),
                    item.attrs["to"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect::<Vec<_>>()
    };
    let at_2230 = slot("2026-11-20T22:30:00Z");
    assert_eq!(
        history(BRAVO).await,
        vec![
            (format!("{at_2230}#game"), G1.to_owned(), G2.to_owned()),
            (
                format!("{at_2230}#title"),
                "bravo chats".to_owned(),
                "bravo plays league".to_owned()
            ),
        ]
    );
    assert!(history(ALPHA).await.is_empty());
    assert!(history(CHARLIE).await.is_empty());

    // The records the pipeline could not use: 1004's negative viewers quarantined, 1005's non-live stream dropped,
    // bravo's repeated stream id counted once.
    let counts = |t: &'static str| async move {
        let series = SeriesId::new(source(), slot(t));
        let runs = run::history(storage, &series).await.unwrap();
        let prepare = &runs[0].steps["prepare"];
        ["quarantined", "not_live", "duplicates"].map(|c| prepare.counts.get(c).copied().unwrap_or(0))
    };
    assert_eq!(counts("2026-11-20T23:15:00Z").await, [1, 0, 0]);
    assert_eq!(counts("2026-11-20T23:30:00Z").await, [0, 1, 0]);
    assert_eq!(counts("2026-11-20T22:00:00Z").await, [0, 0, 0]);
}

/// Every series of the set ran once, from the backfill, every step done at its first attempt.
async fn assert_run_history(storage: &Storage) {
    let names: BTreeSet<String> = steps::registry().iter().map(|s| s.name().to_owned()).collect();
    for (t, _) in golden::snapshots() {
        let series = SeriesId::new(source(), Slot::new(t, SlotLength::from_minutes(15).unwrap()).unwrap());
        let runs = run::history(storage, &series).await.unwrap();
        assert_eq!(runs.len(), 1, "{series}");
        let run = &runs[0];
        assert_eq!(
            (run.run.trigger, run.run.status),
            (RunTrigger::Backfill, RunStatus::Done),
            "{series}"
        );
        assert!(run.run.finished_at.is_some());
        assert_eq!(run.steps.keys().cloned().collect::<BTreeSet<_>>(), names, "{series}");
        for step in run.steps.values() {
            assert_eq!((step.status, step.attempts), (RunStatus::Done, 1), "{series}: {step:?}");
            assert!(step.duration_ms.is_some() && step.finished_at.is_some());
        }
    }
}

/// The SeriesReady events seen on `events`: one per series, with the step names.
fn assert_ready_events(events: &mut tokio::sync::broadcast::Receiver<Event>) {
    let mut ready = BTreeSet::new();
    while let Ok(event) = events.try_recv() {
        if let Event::SeriesReady {
            series,
            source,
            slot,
            steps,
            ..
        } = event
        {
            assert_eq!((series.source(), series.slot()), (&source, slot));
            assert!(steps.iter().any(|s| s == "finalize") && steps.iter().any(|s| s == "prepare"));
            ready.insert(series.to_string());
        }
    }
    assert_eq!(ready.len(), golden::snapshots().len(), "{ready:?}");
}

async fn golden_run(backend: Backend, extra: &[(&str, String)]) -> Deployment {
    let url = golden::serve().await;
    let deployment = deploy(backend, SOURCE, &url, 15, extra).await;
    let mut events = deployment.runtime.notifier.subscribe();
    deployment.backfill_and_settle(SOURCE, at(FROM), at(TO)).await;
    assert_ready_events(&mut events);
    assert_run_history(&deployment.runtime.storage).await;
    deployment
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_golden_set_gives_the_figures_worked_out_by_hand_on_files_and_sqlite() {
    let deployment = golden_run(Backend::Embedded, &[]).await;
    assert_golden(&deployment.runtime.storage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_golden_set_gives_the_same_figures_on_s3_and_dynamodb_and_announces_each_series_on_eventbridge() {
    use aws_sdk_eventbridge::Client;
    let endpoint = std::env::var("STREAMLENS_TEST_AWS_ENDPOINT")
        .expect("STREAMLENS_TEST_AWS_ENDPOINT is not set: run scripts/test.sh, which starts a moto server");
    let aws = streamlens_domain::config::AwsSettings {
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint),
    };
    let events = Client::new(&streamlens_domain::storage::aws::sdk_config(&aws).await.unwrap());
    let bus = support::unique("streamlens-");
    let arn = events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .unwrap()
        .event_bus_arn()
        .unwrap()
        .to_owned();
    // Archives count the events that match their pattern: every SeriesReady of the source, and one series'.
    let every = support::unique("ready-");
    let one = support::unique("one-");
    for (name, detail) in [
        (&every, format!(r#"{{"source": ["{SOURCE}"]}}"#)),
        (&one, r#"{"slot": ["2026-11-20T23:15:00Z/PT15M"]}"#.to_owned()),
    ] {
        events
            .create_archive()
            .archive_name(name)
            .event_source_arn(&arn)
            .event_pattern(format!(
                r#"{{"source": ["streamlens"], "detail-type": ["SeriesReady"], "detail": {detail}}}"#
            ))
            .send()
            .await
            .unwrap();
    }

    let deployment = golden_run(Backend::Aws, &[("STREAMLENS_EVENTBRIDGE_BUS", bus.clone())]).await;
    assert_golden(&deployment.runtime.storage).await;

    let count = |name: String| {
        let events = events.clone();
        async move {
            let archive = events.describe_archive().archive_name(name).send().await.unwrap();
            archive.event_count()
        }
    };
    assert_eq!(count(every).await, golden::snapshots().len() as i64);
    assert_eq!(count(one).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reruns_duplicate_deliveries_and_late_series_leave_every_rollup_and_ranking_byte_identical() {
    let url = golden::serve().await;
    let first = deploy(Backend::Embedded, SOURCE, &url, 15, &[]).await;
    first.backfill_and_settle(SOURCE, at(FROM), at(TO)).await;
    let storage = &first.runtime.storage;
    let reference = support::derived(storage, SOURCE).await;
    assert!(
        reference.blobs.len() > 20 && reference.items.len() > 100,
        "{} blobs, {} items",
        reference.blobs.len(),
        reference.items.len()
    );

    let stop = CancellationToken::new();
    let workers = first.workers(stop.clone());
    let series: Vec<SeriesId> = golden::snapshots()
        .into_iter()
        .map(|(t, _)| SeriesId::new(source(), Slot::new(t, SlotLength::from_minutes(15).unwrap()).unwrap()))
        .collect();

    // The job of each finished run delivered again (a worker killed after its run finished, before the queue heard
    // of it; a plain second push would be dropped by its idempotency key): nothing runs, and the series stays ready.
    let ctx = first.runtime.job_context(std::sync::Arc::clone(&first.sources));
    for id in &series {
        let runs = run::history(storage, id).await.unwrap();
        let [finished] = runs.as_slice() else {
            panic!("{id}: {} runs after the backfill", runs.len())
        };
        let outcome =
            streamlens_jobs::pipeline::run(&ctx.pipeline, id, &finished.run.run_id, finished.run.trigger, false)
                .await
                .unwrap();
        assert!(outcome.ran.is_empty(), "{id}: ran {:?} again", outcome.ran);
    }
    for id in &series {
        let record: SeriesRecord = storage
            .meta
            .get(&keys::series(id))
            .await
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(
            record.status,
            SeriesStatus::Ready,
            "{id} after its finished run was delivered again"
        );
        let runs = run::history(storage, id).await.unwrap();
        assert_eq!(runs.len(), 1, "{id}");
        assert_eq!(runs[0].run.attempts, 1, "{id}: the redelivered run was attempted again");
    }

    // Every series re-run, every series' pipeline job delivered a second time, and the whole range pulled again.
    for id in &series {
        admin::rerun_series(storage, &first.runtime.queue, id).await.unwrap();
        first
            .runtime
            .queue
            .push(RunPipeline {
                series: id.clone(),
                run_id: RunId::generate(),
                trigger: RunTrigger::Schedule,
            })
            .await
            .unwrap();
    }
    streamlens_jobs::backfill::pull_range(
        storage,
        &first.runtime.queue,
        &first.source(SOURCE),
        at(FROM),
        at(TO),
        |_| {},
    )
    .await
    .unwrap();
    first.settle(Duration::from_secs(300)).await;
    stop.cancel();
    workers.await.unwrap();
    let again = support::derived(storage, SOURCE).await;
    assert!(
        again == reference,
        "changed by re-runs and duplicates: {:?}",
        again.differences(&reference)
    );
    for id in &series {
        assert_eq!(
            run::history(storage, id).await.unwrap().len(),
            3,
            "{id}: backfill, re-run and duplicate job"
        );
    }

    // Late series: 23:00 and 23:15 of day 1 (bravo's peak, alpha's new stream id, charlie's last slot) arrive after
    // everything around them, including day 2, was processed.
    let late = deploy(Backend::Embedded, SOURCE, &url, 15, &[]).await;
    late.backfill_and_settle(SOURCE, at(FROM), at("2026-11-20T23:00:00Z"))
        .await;
    late.backfill_and_settle(SOURCE, at("2026-11-20T23:30:00Z"), at(TO))
        .await;
    let before = support::derived(&late.runtime.storage, SOURCE).await;
    assert!(before != reference);
    late.backfill_and_settle(SOURCE, at("2026-11-20T23:00:00Z"), at("2026-11-20T23:30:00Z"))
        .await;
    let after = support::derived(&late.runtime.storage, SOURCE).await;
    assert!(after == reference, "late series: {:?}", after.differences(&reference));
}
