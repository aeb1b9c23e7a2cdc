//! The key design: which partition key, sort key and index key serve each access pattern.
//!
//! One table holds everything (DynamoDB single-table design); the entity is the first segment of the partition key,
//! segments are joined with `#` (ids never contain it), and every access pattern below is one `GetItem` or one
//! `Query` on a partition, never a scan. Sort keys are built to sort in the order they are read: times as fixed-width
//! RFC 3339 (`2026-11-26T11:27:00.000Z`), periods in their sortable form (`2026-W48`), numbers zero-padded to 20
//! digits, and "largest first" numbers as `u64::MAX - n`, padded.
//!
//! | access pattern | read | partition key | sort key |
//! |---|---|---|---|
//! | channel by id | get | `CHANNEL#{id}` | `PROFILE` |
//! | channel by login | get, then by id | `LOGIN#{login}` | `CHANNEL` |
//! | channels by name prefix | query, begins_with | `CHANNELS#NAME#{first letter}` | `{login}#{id}` |
//! | channels by language | query | `CHANNELS#LANG#{language}` | `{login}#{id}` |
//! | channels by current game | query | `CHANNELS#GAME#{game}` | `{login}#{id}` |
//! | live now, most viewers first | query gsi1 | `LIVE#{source}#{slot}` (gsi1) | `{viewers desc}#{channel}` (gsi1) |
//! | a channel's viewers by minute | query, between | `CHANNEL#{id}#MINUTES` | `{slot}` (expires after N days) |
//! | a channel's viewers by hour / day | query, between | `CHANNEL#{id}#STATS#{HOUR\|DAY}` | `{period}` |
//! | stats of a channel, game, language, the platform | get or query | `{entity}#STATS#{kind}` | `{period}` |
//! | rankings for a period, by metric, filtered | query, limit | `RANK#{entity}#{metric}#{period}#{filter}` | `{rank:06}` |
//! | a series with its run history | query | `SERIES#{series id}` | `META`, `RUN#{run}`, `RUN#{run}#STEP#{step}` |
//! | series by status and time | query gsi1, between | `SERIES#{status}` (gsi1) | `{slot start}#{source}` (gsi1) |
//! | raw pulls of a source by time | query, between | `RAW#{source}` | `{pull id}` (UUID v7: time-ordered) |
//! | dead-lettered jobs | query | `DEAD#{queue}` | `{failed at}#{job id}` |
//! | a user; a user's groups | get; query begins_with `GROUP#` | `USER#{login}` | `PROFILE`; `GROUP#{group}` |
//! | all users | query gsi1 | `USERS` (gsi1) | `{login}` (gsi1) |
//! | an API key by its hash | get | `APIKEY#{sha256}` | `KEY` |
//! | a group and its permissions; all groups | get; query gsi1 | `GROUP#{group}`; `GROUPS` (gsi1) | `PROFILE`; `{group}` |
//! | a group's members | query gsi1 | `GROUP#{group}#MEMBERS` (gsi1) | `{login}` (gsi1) |
//!
//! Rankings and period stats are written by rollups, so reading a month's ranking costs the same whatever the
//! history stored. The `LIVE` index partition of a slot is written with that slot's minute items, so "live now" is
//! one index query on the latest ready slot.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{IndexKey, Key};
use crate::ids::{ChannelId, GameId, Language, Login, SeriesId, SourceId};
use crate::pulls::PullId;
use crate::time::{Period, PeriodKind, Slot};

/// A number padded to 20 digits, so it sorts numerically as text.
pub fn ascending(n: u64) -> String {
    format!("{n:020}")
}

/// A number encoded so that larger numbers sort first.
pub fn descending(n: u64) -> String {
    format!("{:020}", u64::MAX - n)
}

/// A time as fixed-width RFC 3339 with milliseconds, so it sorts chronologically as text.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A channel's profile (login, display name, language, current game, title).
pub fn channel(id: &ChannelId) -> Key {
    Key::new(format!("CHANNEL#{id}"), "PROFILE")
}

/// The lookup item from a login to its channel id.
pub fn channel_login(login: &Login) -> Key {
    Key::new(format!("LOGIN#{login}"), "CHANNEL")
}

/// The first letter of a login: the partition of the name-prefix lookup.
fn initial(login: &Login) -> char {
    login.as_str().chars().next().unwrap_or('_')
}

/// A channel's entry in the name-prefix lookup.
pub fn channel_by_name(login: &Login, id: &ChannelId) -> Key {
    Key::new(format!("CHANNELS#NAME#{}", initial(login)), format!("{login}#{id}"))
}

/// The partition and sort-key prefix to query for channels whose login starts with `prefix` (lowercase).
pub fn channels_by_name_prefix(prefix: &Login) -> (String, String) {
    (format!("CHANNELS#NAME#{}", initial(prefix)), prefix.to_string())
}

/// A channel's entry in the by-language lookup.
pub fn channel_by_language(language: &Language, login: &Login, id: &ChannelId) -> Key {
    Key::new(channels_by_language(language), format!("{login}#{id}"))
}

/// The partition of channels streaming in `language`.
pub fn channels_by_language(language: &Language) -> String {
    format!("CHANNELS#LANG#{language}")
}

/// A channel's entry in the by-current-game lookup.
pub fn channel_by_game(game: &GameId, login: &Login, id: &ChannelId) -> Key {
    Key::new(channels_by_game(game), format!("{login}#{id}"))
}

/// The partition of channels currently streaming `game`.
pub fn channels_by_game(game: &GameId) -> String {
    format!("CHANNELS#GAME#{game}")
}

/// A channel's viewers in one slot (minute data, kept N days).
pub fn channel_minute(id: &ChannelId, slot: Slot) -> Key {
    Key::new(channel_minutes(id), slot.to_string())
}

/// The partition of a channel's minute data; its sort keys are slots.
pub fn channel_minutes(id: &ChannelId) -> String {
    format!("CHANNEL#{id}#MINUTES")
}

/// The index key that lists a slot's live channels, most viewers first.
pub fn live_entry(source: &SourceId, slot: Slot, viewers: u64, id: &ChannelId) -> IndexKey {
    IndexKey::new(live_partition(source, slot), format!("{}#{id}", descending(viewers)))
}

/// The index partition of the channels live in a slot.
pub fn live_partition(source: &SourceId, slot: Slot) -> String {
    format!("LIVE#{source}#{slot}")
}

/// Whose stats a stats item holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsOf<'a> {
    /// One channel.
    Channel(&'a ChannelId),
    /// One game.
    Game(&'a GameId),
    /// One language.
    Language(&'a Language),
    /// The whole platform.
    Platform,
}

fn period_segment(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::Hour => "HOUR",
        PeriodKind::Day => "DAY",
        PeriodKind::Week => "WEEK",
        PeriodKind::Month => "MONTH",
    }
}

/// The partition holding one entity's stats for every period of `kind`; sort keys are periods.
pub fn stats_partition(of: StatsOf<'_>, kind: PeriodKind) -> String {
    let kind = period_segment(kind);
    match of {
        StatsOf::Channel(id) => format!("CHANNEL#{id}#STATS#{kind}"),
        StatsOf::Game(id) => format!("GAME#{id}#STATS#{kind}"),
        StatsOf::Language(language) => format!("LANG#{language}#STATS#{kind}"),
        StatsOf::Platform => format!("PLATFORM#STATS#{kind}"),
    }
}

/// One entity's stats for one period.
pub fn stats(of: StatsOf<'_>, period: Period) -> Key {
    Key::new(stats_partition(of, period.kind()), period.to_string())
}

/// What a ranking ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranked {
    /// Channels.
    Channel,
    /// Games.
    Game,
}

/// What a ranking orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankingMetric {
    /// Hours watched.
    HoursWatched,
    /// Average viewers.
    AverageViewers,
    /// Peak viewers.
    PeakViewers,
}

/// Which subset a ranking covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankingFilter<'a> {
    /// Everything.
    All,
    /// Streams in one language.
    Language(&'a Language),
    /// Streams of one game (for channel rankings).
    Game(&'a GameId),
}

/// The partition of one ranking; its sort keys are ranks, so the top N is a query with a limit.
pub fn ranking_partition(ranked: Ranked, metric: RankingMetric, period: Period, filter: RankingFilter<'_>) -> String {
    let ranked = match ranked {
        Ranked::Channel => "CHANNEL",
        Ranked::Game => "GAME",
    };
    let metric = match metric {
        RankingMetric::HoursWatched => "HOURS_WATCHED",
        RankingMetric::AverageViewers => "AVERAGE_VIEWERS",
        RankingMetric::PeakViewers => "PEAK_VIEWERS",
    };
    let filter = match filter {
        RankingFilter::All => "ALL".to_owned(),
        RankingFilter::Language(language) => format!("LANG#{language}"),
        RankingFilter::Game(game) => format!("GAME#{game}"),
    };
    format!(
        "RANK#{ranked}#{metric}#{}#{period}#{filter}",
        period_segment(period.kind())
    )
}

/// One row of a ranking (rank 1 is first).
pub fn ranking_row(partition: &str, rank: u32) -> Key {
    Key::new(partition, format!("{rank:06}"))
}

/// A series' own item (source, slot, status, timestamps).
pub fn series(id: &SeriesId) -> Key {
    Key::new(series_partition(id), "META")
}

/// The partition holding a series and its run history.
pub fn series_partition(id: &SeriesId) -> String {
    format!("SERIES#{id}")
}

/// One run of a series' pipeline. Run ids must sort in start order (e.g. a start time followed by a counter).
pub fn series_run(id: &SeriesId, run: &str) -> Key {
    Key::new(series_partition(id), format!("RUN#{run}"))
}

/// One step of one run.
pub fn series_run_step(id: &SeriesId, run: &str, step: &str) -> Key {
    Key::new(series_partition(id), format!("RUN#{run}#STEP#{step}"))
}

/// The index key listing series by status, in slot order.
pub fn series_by_status(status: &str, id: &SeriesId) -> IndexKey {
    IndexKey::new(
        series_status_partition(status),
        format!("{}#{}", time(id.slot().start()), id.source()),
    )
}

/// The index partition of series with `status`.
pub fn series_status_partition(status: &str) -> String {
    format!("SERIES#{status}")
}

/// One pull of a source.
pub fn raw_pull(source: &SourceId, pull_id: &PullId) -> Key {
    Key::new(raw_partition(source), pull_id.as_str())
}

/// The partition of a source's pulls; sort keys are pull ids, which sort in time order ([`PullId::floor`] bounds a
/// time range).
pub fn raw_partition(source: &SourceId) -> String {
    format!("RAW#{source}")
}

/// A dead-lettered job.
pub fn dead_job(queue: &str, failed_at: DateTime<Utc>, job_id: &str) -> Key {
    Key::new(format!("DEAD#{queue}"), format!("{}#{job_id}", time(failed_at)))
}

/// A user's profile (password hash, role, disabled flag), indexed in the list of users.
pub fn user(login: &str) -> (Key, IndexKey) {
    (
        Key::new(format!("USER#{login}"), "PROFILE"),
        IndexKey::new("USERS", login),
    )
}

/// A user's membership of a group: listed under the user, and under the group in the index.
pub fn membership(login: &str, group: &str) -> (Key, IndexKey) {
    (
        Key::new(format!("USER#{login}"), format!("GROUP#{group}")),
        IndexKey::new(format!("GROUP#{group}#MEMBERS"), login),
    )
}

/// A group and the permissions it grants, indexed in the list of groups.
pub fn group(name: &str) -> (Key, IndexKey) {
    (
        Key::new(format!("GROUP#{name}"), "PROFILE"),
        IndexKey::new("GROUPS", name),
    )
}

/// An API key, found by the SHA-256 of its secret (the secret itself is never stored).
pub fn api_key(secret_sha256_hex: &str) -> Key {
    Key::new(format!("APIKEY#{secret_sha256_hex}"), "KEY")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn descending_numbers_sort_largest_first() {
        assert!(descending(1000) < descending(999));
        assert!(descending(u64::MAX) < descending(0));
        assert!(ascending(999) < ascending(1000));
    }

    #[test]
    fn times_are_fixed_width() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T11:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2026-11-26T11:27:00.000Z");
    }

    #[test]
    fn keys_for_the_access_patterns() {
        let id = ChannelId::parse("51496027").unwrap();
        let login = Login::parse("loltyler1").unwrap();
        let game = GameId::parse("21779").unwrap();
        let en = Language::parse("en").unwrap();
        let source = SourceId::parse("simulator").unwrap();
        let slot: Slot = "2026-11-26T11:27:00Z".parse().unwrap();
        let day: Period = "2026-11-26".parse().unwrap();

        assert_eq!(channel(&id), Key::new("CHANNEL#51496027", "PROFILE"));
        assert_eq!(channel_login(&login), Key::new("LOGIN#loltyler1", "CHANNEL"));
        assert_eq!(
            channel_by_name(&login, &id),
            Key::new("CHANNELS#NAME#l", "loltyler1#51496027")
        );
        assert_eq!(
            channels_by_name_prefix(&Login::parse("lol").unwrap()),
            ("CHANNELS#NAME#l".into(), "lol".into())
        );
        assert_eq!(channel_by_game(&game, &login, &id).pk, "CHANNELS#GAME#21779");
        assert_eq!(channel_by_language(&en, &login, &id).pk, "CHANNELS#LANG#en");
        assert_eq!(
            channel_minute(&id, slot),
            Key::new("CHANNEL#51496027#MINUTES", "2026-11-26T11:27:00Z")
        );
        assert_eq!(
            live_entry(&source, slot, 5, &id).pk,
            "LIVE#simulator#2026-11-26T11:27:00Z"
        );
        assert_eq!(
            stats(StatsOf::Platform, day),
            Key::new("PLATFORM#STATS#DAY", "2026-11-26")
        );
        assert_eq!(stats(StatsOf::Game(&game), day).pk, "GAME#21779#STATS#DAY");
        assert_eq!(
            ranking_partition(
                Ranked::Channel,
                RankingMetric::HoursWatched,
                day,
                RankingFilter::Language(&en)
            ),
            "RANK#CHANNEL#HOURS_WATCHED#DAY#2026-11-26#LANG#en"
        );
        assert_eq!(ranking_row("R", 7).sk, "000007");
        let series_id = SeriesId::new(source.clone(), slot);
        assert_eq!(
            series(&series_id),
            Key::new("SERIES#simulator:2026-11-26T11:27:00Z", "META")
        );
        assert_eq!(
            series_by_status("ready", &series_id),
            IndexKey::new("SERIES#ready", "2026-11-26T11:27:00.000Z#simulator")
        );
        assert_eq!(series_run_step(&series_id, "r1", "prepare").sk, "RUN#r1#STEP#prepare");
        let pull = PullId::parse("0190f0f0f0f07000800000000000abcd").unwrap();
        assert_eq!(raw_pull(&source, &pull), Key::new("RAW#simulator", pull.as_str()));
        assert_eq!(user("ada").0.pk, "USER#ada");
        assert_eq!(membership("ada", "ops").1.pk, "GROUP#ops#MEMBERS");
    }

    proptest! {
        #[test]
        fn live_entries_sort_by_viewers_descending(a in any::<u64>(), b in any::<u64>()) {
            let source = SourceId::parse("s").unwrap();
            let slot: Slot = "2026-11-26T11:27:00Z".parse().unwrap();
            let id = ChannelId::parse("1").unwrap();
            let (ka, kb) = (live_entry(&source, slot, a, &id).sk, live_entry(&source, slot, b, &id).sk);
            prop_assert_eq!(a > b, ka < kb);
        }

        #[test]
        fn minute_keys_sort_in_time_order(a in 0i64..4_000_000_000, b in 0i64..4_000_000_000) {
            let id = ChannelId::parse("1").unwrap();
            let slot = |s: i64| Slot::containing(DateTime::from_timestamp(s, 0).unwrap(), crate::time::SlotLength::MINUTE).unwrap();
            let (sa, sb) = (slot(a), slot(b));
            prop_assert_eq!(sa.start().cmp(&sb.start()), channel_minute(&id, sa).sk.cmp(&channel_minute(&id, sb).sk));
        }
    }
}
