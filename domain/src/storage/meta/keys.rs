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
//! | channel by id | get | `CHANNEL#{source}#{id}` | `PROFILE` |
//! | channel by login | get, then by id | `LOGIN#{source}#{login}` | `CHANNEL` |
//! | channels by name prefix | query, begins_with | `CHANNELS#{source}#NAME#{first letter}` | `{login}#{id}` |
//! | channels by language | query | `CHANNELS#{source}#LANG#{language}` | `{login}#{id}` |
//! | channels by current game | query | `CHANNELS#{source}#GAME#{game}` | `{login}#{id}` |
//! | a channel's title and game changes | query | `CHANNEL#{source}#{id}#HISTORY` | `{slot}#{title\|game}` |
//! | a channel's broadcasts | query, between | `CHANNEL#{source}#{id}#BROADCASTS` | `{start}` |
//! | live now, most viewers first | the latest `ready` series (index, descending, limit 1), then its `viewers` output | | |
//! | a channel's viewers by minute | query, between | `CHANNEL#{source}#{id}#MINUTES` | `{hour}` (60 values; expires after N days) |
//! | a channel's viewers by hour / day | query, between | `CHANNEL#{source}#{id}#STATS#{HOUR\|DAY}` | `{period}` |
//! | stats of a channel, game, language, the platform | get or query | `{entity}#{source}#{id}#STATS#{kind}` | `{period}` |
//! | a game's name and box art | get | `GAME#{source}#{id}` | `PROFILE` |
//! | rankings for a period, by metric, filtered | get a page | `RANK#{source}#{entity}#{metric}#{kind}#{period}#{filter}` | `{page}` (100 rows) |
//! | a series with its run history | query | `SERIES#{series id}` | `META`, `RUN#{run}`, `RUN#{run}#STEP#{step}` |
//! | series by status and time | query gsi1, between | `SERIES#{source}#{status}` (gsi1) | `{slot start}` (gsi1) |
//! | raw pulls of a source by time | query, between | `RAW#{source}` | `{pull id}` (UUID v7: time-ordered) |
//! | dead-lettered jobs | query | `DEAD#{queue}` | `{failed at}#{job id}` |
//! | a user; a user's groups | get; query begins_with `GROUP#` | `USER#{login}` | `PROFILE`; `GROUP#{group}` |
//! | all users | query gsi1 | `USERS` (gsi1) | `{login}` (gsi1) |
//! | an API key by its hash | get | `APIKEY#{sha256}` | `KEY` |
//! | a group and its permissions; all groups | get; query gsi1 | `GROUP#{group}`; `GROUPS` (gsi1) | `PROFILE`; `{group}` |
//! | a group's members | query gsi1 | `GROUP#{group}#MEMBERS` (gsi1) | `{login}` (gsi1) |
//!
//! Everything measured is per source (each source is its own dataset). Rankings and period stats are written by
//! rollups, so reading a month's ranking costs the same whatever the history stored.

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

/// A channel's profile (login, display name, language, current game, title, as of which slot).
pub fn channel(source: &SourceId, id: &ChannelId) -> Key {
    Key::new(format!("CHANNEL#{source}#{id}"), "PROFILE")
}

/// The lookup item from a login to its channel id.
pub fn channel_login(source: &SourceId, login: &Login) -> Key {
    Key::new(format!("LOGIN#{source}#{login}"), "CHANNEL")
}

/// The first letter of a login: the partition of the name-prefix lookup.
fn initial(login: &Login) -> char {
    login.as_str().chars().next().unwrap_or('_')
}

/// A channel's entry in the name-prefix lookup.
pub fn channel_by_name(source: &SourceId, login: &Login, id: &ChannelId) -> Key {
    Key::new(
        format!("CHANNELS#{source}#NAME#{}", initial(login)),
        format!("{login}#{id}"),
    )
}

/// The partition and sort-key prefix to query for channels whose login starts with `prefix` (lowercase).
pub fn channels_by_name_prefix(source: &SourceId, prefix: &Login) -> (String, String) {
    (
        format!("CHANNELS#{source}#NAME#{}", initial(prefix)),
        prefix.to_string(),
    )
}

/// A channel's entry in the by-language lookup.
pub fn channel_by_language(source: &SourceId, language: &Language, login: &Login, id: &ChannelId) -> Key {
    Key::new(channels_by_language(source, language), format!("{login}#{id}"))
}

/// The partition of channels streaming in `language`.
pub fn channels_by_language(source: &SourceId, language: &Language) -> String {
    format!("CHANNELS#{source}#LANG#{language}")
}

/// A channel's entry in the by-current-game lookup.
pub fn channel_by_game(source: &SourceId, game: &GameId, login: &Login, id: &ChannelId) -> Key {
    Key::new(channels_by_game(source, game), format!("{login}#{id}"))
}

/// The partition of channels currently streaming `game`.
pub fn channels_by_game(source: &SourceId, game: &GameId) -> String {
    format!("CHANNELS#{source}#GAME#{game}")
}

/// A change of a channel's title or game, at a slot (`kind` is `title` or `game`).
pub fn channel_change(source: &SourceId, id: &ChannelId, slot: Slot, kind: &str) -> Key {
    Key::new(channel_history(source, id), format!("{slot}#{kind}"))
}

/// The partition of a channel's title and game changes; sort keys start with the slot.
pub fn channel_history(source: &SourceId, id: &ChannelId) -> String {
    format!("CHANNEL#{source}#{id}#HISTORY")
}

/// A channel's viewers in each slot of one hour (minute data, kept N days).
pub fn channel_minutes(source: &SourceId, id: &ChannelId, hour: Period) -> Key {
    Key::new(channel_minutes_partition(source, id), hour.to_string())
}

/// The partition of a channel's minute data; its sort keys are hours.
pub fn channel_minutes_partition(source: &SourceId, id: &ChannelId) -> String {
    format!("CHANNEL#{source}#{id}#MINUTES")
}

/// One broadcast of a channel, by its start.
pub fn broadcast(source: &SourceId, id: &ChannelId, start: DateTime<Utc>) -> Key {
    Key::new(broadcasts(source, id), time(start))
}

/// The partition of a channel's broadcasts; sort keys are their starts.
pub fn broadcasts(source: &SourceId, id: &ChannelId) -> String {
    format!("CHANNEL#{source}#{id}#BROADCASTS")
}

/// A game's profile (name, box art).
pub fn game(source: &SourceId, id: &GameId) -> Key {
    Key::new(format!("GAME#{source}#{id}"), "PROFILE")
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
pub fn stats_partition(source: &SourceId, of: StatsOf<'_>, kind: PeriodKind) -> String {
    let kind = period_segment(kind);
    match of {
        StatsOf::Channel(id) => format!("CHANNEL#{source}#{id}#STATS#{kind}"),
        StatsOf::Game(id) => format!("GAME#{source}#{id}#STATS#{kind}"),
        StatsOf::Language(language) => format!("LANG#{source}#{language}#STATS#{kind}"),
        StatsOf::Platform => format!("PLATFORM#{source}#STATS#{kind}"),
    }
}

/// One entity's stats for one period.
pub fn stats(source: &SourceId, of: StatsOf<'_>, period: Period) -> Key {
    Key::new(stats_partition(source, of, period.kind()), period.to_string())
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

/// Rows in one ranking page item.
pub const RANKING_PAGE: u32 = 100;

/// The partition of one ranking; its sort keys are page numbers of [`RANKING_PAGE`] rows, so the top 20 is one
/// `GetItem` and rank 1,234 is in page 12.
pub fn ranking_partition(
    source: &SourceId,
    ranked: Ranked,
    metric: RankingMetric,
    period: Period,
    filter: RankingFilter<'_>,
) -> String {
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
        "RANK#{source}#{ranked}#{metric}#{}#{period}#{filter}",
        period_segment(period.kind())
    )
}

/// The page of a ranking holding `rank` (rank 1 is first).
pub fn ranking_page(partition: &str, rank: u32) -> Key {
    Key::new(partition, format!("{:06}", rank.saturating_sub(1) / RANKING_PAGE))
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

/// The index key listing a source's series by status, in slot order.
pub fn series_by_status(status: &str, id: &SeriesId) -> IndexKey {
    IndexKey::new(series_status_partition(id.source(), status), time(id.slot().start()))
}

/// The index partition of `source`'s series with `status`.
pub fn series_status_partition(source: &SourceId, status: &str) -> String {
    format!("SERIES#{source}#{status}")
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
        let hour: Period = "2026-11-26T11".parse().unwrap();

        assert_eq!(channel(&source, &id), Key::new("CHANNEL#simulator#51496027", "PROFILE"));
        assert_eq!(
            channel_login(&source, &login),
            Key::new("LOGIN#simulator#loltyler1", "CHANNEL")
        );
        assert_eq!(
            channel_by_name(&source, &login, &id),
            Key::new("CHANNELS#simulator#NAME#l", "loltyler1#51496027")
        );
        assert_eq!(
            channels_by_name_prefix(&source, &Login::parse("lol").unwrap()),
            ("CHANNELS#simulator#NAME#l".into(), "lol".into())
        );
        assert_eq!(
            channel_by_game(&source, &game, &login, &id).pk,
            "CHANNELS#simulator#GAME#21779"
        );
        assert_eq!(
            channel_by_language(&source, &en, &login, &id).pk,
            "CHANNELS#simulator#LANG#en"
        );
        assert_eq!(
            channel_change(&source, &id, slot, "title").sk,
            "2026-11-26T11:27:00Z#title"
        );
        assert_eq!(
            channel_minutes(&source, &id, hour),
            Key::new("CHANNEL#simulator#51496027#MINUTES", "2026-11-26T11")
        );
        assert_eq!(
            stats(&source, StatsOf::Platform, day),
            Key::new("PLATFORM#simulator#STATS#DAY", "2026-11-26")
        );
        assert_eq!(
            stats(&source, StatsOf::Game(&game), day).pk,
            "GAME#simulator#21779#STATS#DAY"
        );
        let partition = ranking_partition(
            &source,
            Ranked::Channel,
            RankingMetric::HoursWatched,
            day,
            RankingFilter::Language(&en),
        );
        assert_eq!(partition, "RANK#simulator#CHANNEL#HOURS_WATCHED#DAY#2026-11-26#LANG#en");
        assert_eq!(ranking_page(&partition, 1).sk, "000000");
        assert_eq!(ranking_page(&partition, 100).sk, "000000");
        assert_eq!(ranking_page(&partition, 101).sk, "000001");
        let series_id = SeriesId::new(source.clone(), slot);
        assert_eq!(
            series(&series_id),
            Key::new("SERIES#simulator:2026-11-26T11:27:00Z", "META")
        );
        assert_eq!(
            series_by_status("ready", &series_id),
            IndexKey::new("SERIES#simulator#ready", "2026-11-26T11:27:00.000Z")
        );
        assert_eq!(series_run_step(&series_id, "r1", "prepare").sk, "RUN#r1#STEP#prepare");
        let pull = PullId::parse("0190f0f0f0f07000800000000000abcd").unwrap();
        assert_eq!(raw_pull(&source, &pull), Key::new("RAW#simulator", pull.as_str()));
        assert_eq!(user("ada").0.pk, "USER#ada");
        assert_eq!(membership("ada", "ops").1.pk, "GROUP#ops#MEMBERS");
    }

    proptest! {
        #[test]
        fn slot_keys_sort_in_time_order(a in 0i64..4_000_000_000, b in 0i64..4_000_000_000) {
            let id = ChannelId::parse("1").unwrap();
            let source = SourceId::simulator();
            let slot = |s: i64| Slot::containing(DateTime::from_timestamp(s, 0).unwrap(), crate::time::SlotLength::MINUTE).unwrap();
            let (sa, sb) = (slot(a), slot(b));
            let key = |s: Slot| channel_change(&source, &id, s, "title").sk;
            prop_assert_eq!(sa.start().cmp(&sb.start()), key(sa).cmp(&key(sb)));
        }
    }
}
