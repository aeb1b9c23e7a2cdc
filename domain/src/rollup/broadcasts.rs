//! Broadcasts hour by hour: each hour's broadcasts continue the previous hour's.
//!
//! A broadcast is a channel's consecutive live slots with gaps of up to [`MAX_BROADCAST_GAP`] merged
//! ([`crate::metrics::broadcast`]). Broadcasts cross hour and day boundaries, so an hour's broadcasts are computed
//! from the hour's rollup (each channel's viewers per slot) and the previous hour's broadcasts: a broadcast still
//! going at the end of one hour and picked up within the gap in the next carries its start and its stats over.
//! Each broadcast of an hour holds its stats from its start up to the end of that hour, so the last hour a broadcast
//! touches holds the whole of it.
//!
//! When an hour changes (a late or re-run series), the hours after it are recomputed in turn until one comes out
//! unchanged; the same inputs always give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::PeriodRollup;
use crate::ids::{ChannelId, GameId, Login, SourceId};
use crate::metrics::broadcast::{Broadcast, MAX_BROADCAST_GAP, broadcasts};
use crate::metrics::{ChannelStats, Peak};
use crate::time::{Period, SlotLength};

/// One broadcast of one channel, as far as it is known at the end of an hour.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelBroadcast {
    /// The channel.
    pub channel: ChannelId,
    /// Its login, as last seen.
    pub login: Login,
    /// Start of its first live slot.
    pub start: DateTime<Utc>,
    /// End of its last live slot so far.
    pub end: DateTime<Utc>,
    /// Hours watched, airtime (live slots only) and peak.
    pub stats: ChannelStats,
    /// The games played in the hours it spans.
    pub games: BTreeSet<GameId>,
}

impl ChannelBroadcast {
    /// Average viewers over its live time.
    pub fn average_viewers(&self) -> Option<f64> {
        self.stats.average_viewers()
    }

    /// Its peak viewers and when.
    pub fn peak(&self) -> Option<Peak> {
        self.stats.peak
    }
}

/// The broadcasts with a live slot in one hour, per channel, in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourBroadcasts {
    /// The source.
    pub source: SourceId,
    /// The hour.
    pub hour: Period,
    /// The source's slot length.
    pub slot_length: SlotLength,
    /// Per channel live in the hour.
    pub channels: BTreeMap<ChannelId, Vec<ChannelBroadcast>>,
}

impl HourBroadcasts {
    /// The broadcasts of `hour` (an hour rollup, slots of an hour or less) given the previous hour's broadcasts.
    /// `previous` is ignored unless it is the hour just before.
    pub fn compute(hour: &PeriodRollup, previous: Option<&HourBroadcasts>) -> Self {
        let period = hour.period;
        let length = hour.slot_length;
        let previous = previous.filter(|p| p.hour.next() == period && p.source == hour.source);
        let mut channels = BTreeMap::new();
        for (id, totals) in &hour.channels {
            let samples: Vec<(DateTime<Utc>, u64)> = totals
                .minutes
                .iter()
                .enumerate()
                .filter_map(|(i, viewers)| {
                    viewers.map(|v| (period.start() + length.duration() * i32::try_from(i).unwrap_or(0), v))
                })
                .collect();
            let parts: Vec<Broadcast> = broadcasts(&samples, length, MAX_BROADCAST_GAP);
            if parts.is_empty() {
                continue;
            }
            let games: BTreeSet<GameId> = totals.games.keys().cloned().collect();
            let carried = previous
                .and_then(|p| p.channels.get(id))
                .and_then(|list| list.last())
                .filter(|last| parts[0].start - last.end <= MAX_BROADCAST_GAP);
            let list: Vec<ChannelBroadcast> = parts
                .iter()
                .enumerate()
                .map(|(i, part)| match carried {
                    Some(last) if i == 0 => ChannelBroadcast {
                        channel: id.clone(),
                        login: totals.login.clone(),
                        start: last.start,
                        end: part.end,
                        stats: last.stats.combine(part.stats),
                        games: last.games.union(&games).cloned().collect(),
                    },
                    _ => ChannelBroadcast {
                        channel: id.clone(),
                        login: totals.login.clone(),
                        start: part.start,
                        end: part.end,
                        stats: part.stats,
                        games: games.clone(),
                    },
                })
                .collect();
            channels.insert(id.clone(), list);
        }
        Self {
            source: hour.source.clone(),
            hour: period,
            slot_length: length,
            channels,
        }
    }

    /// Every broadcast, by channel then start.
    pub fn iter(&self) -> impl Iterator<Item = &ChannelBroadcast> {
        self.channels.values().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Language, StreamId};
    use crate::rollup::SlotFact;
    use crate::time::{PeriodKind, Slot};

    fn fact(channel: &str, viewers: u64) -> SlotFact {
        SlotFact {
            channel: ChannelId::parse(channel).unwrap(),
            login: Login::parse(format!("c{channel}")).unwrap(),
            viewers,
            game: Some(GameId::parse("g").unwrap()),
            language: Some(Language::parse("en").unwrap()),
            stream: StreamId::parse(format!("s{channel}")).unwrap(),
        }
    }

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_651_200 + minute * 60, 0).unwrap()
    }

    /// Hour rollups of minute slots where channel "1" is live at `live` minutes (from the first hour's start).
    fn hours(live: &[i64], count: i64) -> Vec<PeriodRollup> {
        (0..count)
            .map(|h| {
                let period = Period::containing(PeriodKind::Hour, at(h * 60));
                let slots: Vec<(Slot, Vec<SlotFact>)> = (h * 60..h * 60 + 60)
                    .map(|m| {
                        let facts = if live.contains(&m) { vec![fact("1", 10)] } else { vec![] };
                        (Slot::minute(at(m)).unwrap(), facts)
                    })
                    .collect();
                PeriodRollup::from_slots(SourceId::simulator(), period, SlotLength::MINUTE, &slots)
            })
            .collect()
    }

    fn chain(rollups: &[PeriodRollup]) -> Vec<HourBroadcasts> {
        let mut out: Vec<HourBroadcasts> = Vec::new();
        for rollup in rollups {
            let next = HourBroadcasts::compute(rollup, out.last());
            out.push(next);
        }
        out
    }

    #[test]
    fn a_broadcast_across_hours_carries_its_start_and_stats() {
        // Live 50..=69, off 70..=80 (11 minutes: a reconnect), live 81..=89, off, live 150..=154.
        let mut live: Vec<i64> = (50..70).collect();
        live.extend(81..90);
        live.extend(150..155);
        let chained = chain(&hours(&live, 3));
        let id = ChannelId::parse("1").unwrap();
        let first = &chained[1].channels[&id];
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].start, first[0].end), (at(50), at(90)));
        assert_eq!(first[0].stats.airtime_minutes, 29);
        assert_eq!(first[0].stats.viewer_minutes, 290);
        let last = &chained[2].channels[&id];
        assert_eq!(last.len(), 1);
        assert_eq!((last[0].start, last[0].end), (at(150), at(155)));
    }

    #[test]
    fn a_gap_longer_than_fifteen_minutes_across_the_hour_splits() {
        let mut live: Vec<i64> = (40..44).collect();
        live.extend(60..62);
        let chained = chain(&hours(&live, 2));
        let id = ChannelId::parse("1").unwrap();
        assert_eq!(chained[1].channels[&id][0].start, at(60));
    }

    #[test]
    fn the_chain_equals_merging_every_slot_at_once() {
        let live: Vec<i64> = [0, 1, 2, 17, 40, 58, 59, 70, 71, 90, 119, 120, 134, 150, 179]
            .into_iter()
            .collect();
        let chained = chain(&hours(&live, 3));
        let samples: Vec<(DateTime<Utc>, u64)> = live.iter().map(|&m| (at(m), 10)).collect();
        let whole = broadcasts(&samples, SlotLength::MINUTE, MAX_BROADCAST_GAP);
        // The final state of each broadcast is in the last hour it touches.
        let mut finals: BTreeMap<DateTime<Utc>, (DateTime<Utc>, ChannelStats)> = BTreeMap::new();
        for hour in &chained {
            for b in hour.iter() {
                finals.insert(b.start, (b.end, b.stats));
            }
        }
        let expected: BTreeMap<DateTime<Utc>, (DateTime<Utc>, ChannelStats)> =
            whole.iter().map(|b| (b.start, (b.end, b.stats))).collect();
        assert_eq!(finals, expected);
    }
}
