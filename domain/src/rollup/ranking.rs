//! Rankings of a period: channels and games by hours watched, average viewers and peak viewers, overall, per language
//! and (channels) per game, each row with its rank change against the previous period.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::period::{GroupTotals, PeriodRollup};
use crate::ids::{GameId, Language};
use crate::metrics::ChannelStats;
use crate::storage::meta::keys::{Ranked, RankingMetric};

/// Which subset a ranking covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "id")]
pub enum Filter {
    /// Everything.
    All,
    /// One language.
    Language(Language),
    /// One game (channel rankings).
    Game(GameId),
}

/// One row of a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankRow {
    /// 1 is first.
    pub rank: u32,
    /// The channel or game id.
    pub id: String,
    /// The metric's value.
    pub value: f64,
    /// The rank in the same ranking of the previous period, if it was in it.
    pub previous_rank: Option<u32>,
}

impl RankRow {
    /// Places gained since the previous period (negative: lost); `None` for a newcomer.
    pub fn rank_change(&self) -> Option<i64> {
        self.previous_rank
            .map(|previous| i64::from(previous) - i64::from(self.rank))
    }
}

/// One ranking: what is ranked, by what, over which subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingList {
    /// Channels or games.
    pub ranked: RankedKind,
    /// The metric.
    pub metric: MetricKind,
    /// The subset.
    pub filter: Filter,
    /// Rows, rank 1 first.
    pub rows: Vec<RankRow>,
}

/// [`Ranked`], serializable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankedKind {
    /// Channels.
    Channel,
    /// Games.
    Game,
}

/// [`RankingMetric`], serializable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Hours watched.
    HoursWatched,
    /// Average viewers (channels: over their live time; games: over the observed time).
    AverageViewers,
    /// Peak viewers.
    PeakViewers,
}

impl RankedKind {
    /// The key vocabulary's name for it.
    pub fn key(self) -> Ranked {
        match self {
            Self::Channel => Ranked::Channel,
            Self::Game => Ranked::Game,
        }
    }
}

impl MetricKind {
    /// All metrics.
    pub const ALL: [MetricKind; 3] = [Self::HoursWatched, Self::AverageViewers, Self::PeakViewers];

    /// The key vocabulary's name for it.
    pub fn key(self) -> RankingMetric {
        match self {
            Self::HoursWatched => RankingMetric::HoursWatched,
            Self::AverageViewers => RankingMetric::AverageViewers,
            Self::PeakViewers => RankingMetric::PeakViewers,
        }
    }

    fn of_channel(self, stats: &ChannelStats) -> Option<f64> {
        match self {
            Self::HoursWatched => Some(stats.hours_watched()),
            Self::AverageViewers => stats.average_viewers(),
            Self::PeakViewers => stats.peak.map(|p| p.value as f64),
        }
    }

    fn of_group(self, totals: &GroupTotals, observed_minutes: u64) -> Option<f64> {
        let stats = totals.stats(observed_minutes);
        match self {
            Self::HoursWatched => Some(stats.hours_watched()),
            Self::AverageViewers => stats.average_viewers(),
            Self::PeakViewers => stats.peak_viewers.map(|p| p.value as f64),
        }
    }
}

/// Every ranking of a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rankings {
    /// The lists, in a fixed order.
    pub lists: Vec<RankingList>,
}

impl Rankings {
    /// The list for `ranked`, `metric` and `filter`, if there is one.
    pub fn list(&self, ranked: RankedKind, metric: MetricKind, filter: &Filter) -> Option<&RankingList> {
        self.lists
            .iter()
            .find(|l| l.ranked == ranked && l.metric == metric && &l.filter == filter)
    }
}

/// Ranks `(id, value)` pairs: highest value first, ties by id, and looks up the previous ranks.
fn rank(mut values: Vec<(String, f64)>, previous: Option<&RankingList>) -> Vec<RankRow> {
    values.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let before: BTreeMap<&str, u32> = previous
        .map(|p| p.rows.iter().map(|r| (r.id.as_str(), r.rank)).collect())
        .unwrap_or_default();
    values
        .into_iter()
        .enumerate()
        .map(|(i, (id, value))| RankRow {
            rank: i as u32 + 1,
            previous_rank: before.get(id.as_str()).copied(),
            id,
            value,
        })
        .collect()
}

/// Every ranking of `rollup`'s period, with rank changes against `previous` (the previous period's rankings).
///
/// One pass over the channels sorts each into the lists it belongs to (all, its language, each of its games), so
/// the work grows with the channels and their games, not with channels times languages and games; previous lists are
/// found through an index.
pub fn rankings(rollup: &PeriodRollup, previous: Option<&Rankings>) -> Rankings {
    let observed = rollup.observed_minutes();
    let before: HashMap<(RankedKind, MetricKind, &Filter), &RankingList> = previous
        .map(|p| p.lists.iter().map(|l| ((l.ranked, l.metric, &l.filter), l)).collect())
        .unwrap_or_default();
    let mut lists = Vec::new();
    let mut push = |ranked: RankedKind, metric: MetricKind, filter: Filter, values: Vec<(String, f64)>| {
        let rows = rank(values, before.get(&(ranked, metric, &filter)).copied());
        lists.push(RankingList {
            ranked,
            metric,
            filter,
            rows,
        });
    };
    for metric in MetricKind::ALL {
        let mut all = Vec::with_capacity(rollup.channels.len());
        let mut by_language: BTreeMap<&Language, Vec<(String, f64)>> =
            rollup.languages.keys().map(|l| (l, Vec::new())).collect();
        let mut by_game: BTreeMap<&GameId, Vec<(String, f64)>> = rollup.games.keys().map(|g| (g, Vec::new())).collect();
        for (id, channel) in &rollup.channels {
            if let Some(value) = metric.of_channel(&channel.stats) {
                all.push((id.to_string(), value));
                if let Some(list) = channel.language.as_ref().and_then(|l| by_language.get_mut(l)) {
                    list.push((id.to_string(), value));
                }
            }
            for (game, stats) in &channel.games {
                if let (Some(value), Some(list)) = (metric.of_channel(stats), by_game.get_mut(game)) {
                    list.push((id.to_string(), value));
                }
            }
        }
        push(RankedKind::Channel, metric, Filter::All, all);
        for (language, values) in by_language {
            push(RankedKind::Channel, metric, Filter::Language(language.clone()), values);
        }
        for (game, values) in by_game {
            push(RankedKind::Channel, metric, Filter::Game(game.clone()), values);
        }
        let games: Vec<(String, f64)> = rollup
            .games
            .iter()
            .filter_map(|(id, g)| metric.of_group(g, observed).map(|v| (id.to_string(), v)))
            .collect();
        push(RankedKind::Game, metric, Filter::All, games);
        let mut game_languages: BTreeMap<&Language, Vec<(String, f64)>> =
            rollup.languages.keys().map(|l| (l, Vec::new())).collect();
        for (id, per) in &rollup.game_languages {
            for (language, totals) in per {
                if let (Some(value), Some(list)) = (metric.of_group(totals, observed), game_languages.get_mut(language))
                {
                    list.push((id.to_string(), value));
                }
            }
        }
        for (language, values) in game_languages {
            push(RankedKind::Game, metric, Filter::Language(language.clone()), values);
        }
    }
    Rankings { lists }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ChannelId, Login, SourceId, StreamId};
    use crate::rollup::facts::SlotFact;
    use crate::time::{Period, PeriodKind, Slot, SlotLength};
    use chrono::DateTime;

    fn fact(channel: &str, viewers: u64, game: &str) -> SlotFact {
        SlotFact {
            channel: ChannelId::parse(channel).unwrap(),
            login: Login::parse(format!("c{channel}")).unwrap(),
            viewers,
            game: Some(GameId::parse(game).unwrap()),
            language: Some(Language::parse("en").unwrap()),
            stream: StreamId::parse("s").unwrap(),
        }
    }

    fn hour_with(slots: Vec<Vec<SlotFact>>, offset: i64) -> PeriodRollup {
        let start = DateTime::from_timestamp(1_795_651_200 + offset * 3600, 0).unwrap();
        let period = Period::containing(PeriodKind::Hour, start);
        let slots: Vec<(Slot, Vec<SlotFact>)> = slots
            .into_iter()
            .enumerate()
            .map(|(i, f)| (Slot::minute(start + chrono::Duration::minutes(i as i64)).unwrap(), f))
            .collect();
        PeriodRollup::from_slots(SourceId::simulator(), period, SlotLength::MINUTE, &slots)
    }

    #[test]
    fn channels_rank_by_each_metric_with_ties_by_id() {
        // Channel 1: 100 then 100 (avg 100, peak 100, 200 viewer-minutes); channel 2: 300 once (avg 300, peak 300).
        // Channel 3: 50 then 150 (avg 100, peak 150, 200 viewer-minutes).
        let rollup = hour_with(
            vec![
                vec![fact("1", 100, "g"), fact("3", 50, "g")],
                vec![fact("1", 100, "g"), fact("2", 300, "h"), fact("3", 150, "g")],
            ],
            0,
        );
        let r = rankings(&rollup, None);
        let order = |metric, filter: Filter| -> Vec<(String, u32)> {
            r.list(RankedKind::Channel, metric, &filter)
                .unwrap()
                .rows
                .iter()
                .map(|row| (row.id.clone(), row.rank))
                .collect()
        };
        assert_eq!(
            order(MetricKind::HoursWatched, Filter::All),
            [("2".into(), 1), ("1".into(), 2), ("3".into(), 3)]
        );
        assert_eq!(
            order(MetricKind::AverageViewers, Filter::All),
            [("2".into(), 1), ("1".into(), 2), ("3".into(), 3)]
        );
        assert_eq!(
            order(MetricKind::PeakViewers, Filter::All),
            [("2".into(), 1), ("3".into(), 2), ("1".into(), 3)]
        );
        assert_eq!(
            order(MetricKind::HoursWatched, Filter::Game(GameId::parse("g").unwrap())),
            [("1".into(), 1), ("3".into(), 2)]
        );
        let games = r
            .list(RankedKind::Game, MetricKind::HoursWatched, &Filter::All)
            .unwrap();
        assert_eq!(games.rows[0].id, "g");
        assert_eq!(games.rows[0].value, 400.0 / 60.0);
    }

    #[test]
    fn rank_changes_come_from_the_previous_period() {
        let first = hour_with(vec![vec![fact("1", 100, "g"), fact("2", 50, "g")]], 0);
        let second = hour_with(vec![vec![fact("1", 10, "g"), fact("2", 50, "g"), fact("3", 5, "g")]], 1);
        let before = rankings(&first, None);
        let after = rankings(&second, Some(&before));
        let list = after
            .list(RankedKind::Channel, MetricKind::HoursWatched, &Filter::All)
            .unwrap();
        let changes: Vec<(String, Option<i64>)> = list.rows.iter().map(|r| (r.id.clone(), r.rank_change())).collect();
        assert_eq!(
            changes,
            [("2".into(), Some(1)), ("1".into(), Some(-1)), ("3".into(), None)]
        );
    }
}
