//! Stats of a group of channels: a game, a language, or the whole platform.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Peak, average_channels, average_viewers, minutes_to_hours, viewer_minutes, viewer_ratio};
use crate::ids::ChannelId;
use crate::time::SlotLength;

/// One channel live in one slot with a viewer count: the unit every group stat is built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// Start of the slot.
    pub slot: DateTime<Utc>,
    /// The channel live in it.
    pub channel: ChannelId,
    /// Its concurrent viewers in that slot.
    pub viewers: u64,
}

/// Hours watched and streamed, averages, peaks and unique streamers of a group over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    /// Σ viewers × s over every live slot of every channel in the group.
    pub viewer_minutes: u64,
    /// Σ airtime of the group's channels, in minutes (hours streamed × 60).
    pub stream_minutes: u64,
    /// Observed slots × s: the period's observed time, the denominator of the averages.
    pub observed_minutes: u64,
    /// The largest sum of viewers in one slot, and the first slot it was reached in.
    pub peak_viewers: Option<Peak>,
    /// The most channels live in one slot, and the first slot it was reached in.
    pub peak_channels: Option<Peak>,
    /// Distinct channels live at least once.
    pub unique_streamers: u64,
}

impl GroupStats {
    /// Stats of a group from its observations in a period of which `observed_slots` slots were observed.
    ///
    /// Observations must come from observed slots. A channel is live once per slot: a repeated `(slot, channel)`
    /// counts once, with the higher viewer count. Order does not matter.
    pub fn compute(observations: &[Observation], observed_slots: u64, length: SlotLength) -> Self {
        let mut per_channel_slot: BTreeMap<(DateTime<Utc>, &ChannelId), u64> = BTreeMap::new();
        for o in observations {
            let entry = per_channel_slot.entry((o.slot, &o.channel)).or_insert(o.viewers);
            *entry = (*entry).max(o.viewers);
        }

        let mut stats = Self {
            observed_minutes: observed_slots.saturating_mul(u64::from(length.minutes())),
            ..Self::default()
        };
        let mut streamers = HashSet::new();
        // (slot) -> (Σ viewers, channels); BTreeMap so slots are visited in time order and ties go to the earliest.
        let mut per_slot: BTreeMap<DateTime<Utc>, (u64, u64)> = BTreeMap::new();
        for ((slot, channel), viewers) in per_channel_slot {
            stats.viewer_minutes = stats.viewer_minutes.saturating_add(viewer_minutes(viewers, length));
            stats.stream_minutes = stats.stream_minutes.saturating_add(u64::from(length.minutes()));
            streamers.insert(channel);
            let slot_totals = per_slot.entry(slot).or_default();
            slot_totals.0 = slot_totals.0.saturating_add(viewers);
            slot_totals.1 += 1;
        }
        for (slot, (viewers, channels)) in per_slot {
            stats.peak_viewers = Peak::max(
                stats.peak_viewers,
                Some(Peak {
                    value: viewers,
                    at: slot,
                }),
            );
            stats.peak_channels = Peak::max(
                stats.peak_channels,
                Some(Peak {
                    value: channels,
                    at: slot,
                }),
            );
        }
        stats.unique_streamers = streamers.len() as u64;
        stats
    }

    /// Hours watched: Σ viewers × s / 60.
    pub fn hours_watched(&self) -> f64 {
        minutes_to_hours(self.viewer_minutes)
    }

    /// Hours streamed: Σ airtime.
    pub fn hours_streamed(&self) -> f64 {
        minutes_to_hours(self.stream_minutes)
    }

    /// Observed hours of the period.
    pub fn observed_hours(&self) -> f64 {
        minutes_to_hours(self.observed_minutes)
    }

    /// Average concurrent viewers: hours watched / observed hours.
    pub fn average_viewers(&self) -> Option<f64> {
        average_viewers(self.hours_watched(), self.observed_hours())
    }

    /// Average live channels: hours streamed / observed hours.
    pub fn average_channels(&self) -> Option<f64> {
        average_channels(self.hours_streamed(), self.observed_hours())
    }

    /// Viewer ratio: hours watched / hours streamed.
    pub fn viewer_ratio(&self) -> Option<f64> {
        viewer_ratio(self.hours_watched(), self.hours_streamed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(minute * 60, 0).unwrap()
    }

    fn obs(minute: i64, channel: &str, viewers: u64) -> Observation {
        Observation {
            slot: t(minute),
            channel: ChannelId::parse(channel).unwrap(),
            viewers,
        }
    }

    #[test]
    fn a_small_game_over_one_hour() {
        // Two channels; the hour had 60 observed minutes.
        let mut o = Vec::new();
        for m in 0..60 {
            o.push(obs(m, "a", 600));
        }
        for m in 0..30 {
            o.push(obs(m, "b", 60));
        }
        let s = GroupStats::compute(&o, 60, SlotLength::MINUTE);
        assert_eq!(s.hours_watched(), 600.0 + 30.0);
        assert_eq!(s.hours_streamed(), 1.5);
        assert_eq!(s.average_viewers(), Some(630.0));
        assert_eq!(s.average_channels(), Some(1.5));
        assert_eq!(s.viewer_ratio(), Some(420.0));
        assert_eq!(s.peak_viewers, Some(Peak { value: 660, at: t(0) }));
        assert_eq!(s.peak_channels, Some(Peak { value: 2, at: t(0) }));
        assert_eq!(s.unique_streamers, 2);
    }

    #[test]
    fn averages_are_over_observed_time_only() {
        // Half the hour was not observed: the average is over the 30 observed minutes.
        let o: Vec<_> = (0..30).map(|m| obs(m, "a", 100)).collect();
        let s = GroupStats::compute(&o, 30, SlotLength::MINUTE);
        assert_eq!(s.average_viewers(), Some(100.0));
    }

    #[test]
    fn empty_group() {
        let s = GroupStats::compute(&[], 60, SlotLength::MINUTE);
        assert_eq!(s.average_viewers(), Some(0.0));
        assert_eq!(s.viewer_ratio(), None);
        assert_eq!(s.peak_viewers, None);
        assert_eq!(GroupStats::compute(&[], 0, SlotLength::MINUTE).average_viewers(), None);
    }

    /// Snapshots: each (slot, channel) maps to (game, viewers), so a channel plays one game per slot.
    fn snapshots() -> impl Strategy<Value = BTreeMap<(i64, u8), (u8, u64)>> {
        prop::collection::btree_map((0i64..90, 0u8..30), (0u8..6, 0u64..50_000), 0..400)
    }

    proptest! {
        #[test]
        fn per_game_totals_add_up_to_the_platform(snaps in snapshots(), observed in 90u64..120) {
            let all: Vec<(u8, Observation)> = snaps
                .iter()
                .map(|(&(m, c), &(g, v))| (g, obs(m, &format!("c{c}"), v)))
                .collect();
            let platform = GroupStats::compute(
                &all.iter().map(|(_, o)| o.clone()).collect::<Vec<_>>(), observed, SlotLength::MINUTE);
            let games: Vec<GroupStats> = (0u8..6)
                .map(|g| {
                    let mine: Vec<_> = all.iter().filter(|(gg, _)| *gg == g).map(|(_, o)| o.clone()).collect();
                    GroupStats::compute(&mine, observed, SlotLength::MINUTE)
                })
                .collect();

            prop_assert_eq!(games.iter().map(|g| g.viewer_minutes).sum::<u64>(), platform.viewer_minutes);
            prop_assert_eq!(games.iter().map(|g| g.stream_minutes).sum::<u64>(), platform.stream_minutes);
            let hours: f64 = games.iter().map(|g| g.hours_watched()).sum();
            prop_assert!((hours - platform.hours_watched()).abs() <= 1e-9 * platform.hours_watched().max(1.0));
            let avg: f64 = games.iter().filter_map(|g| g.average_viewers()).sum();
            prop_assert!((avg - platform.average_viewers().unwrap()).abs() <= 1e-6 * avg.max(1.0));

            let most_unique = games.iter().map(|g| g.unique_streamers).max().unwrap_or(0);
            let sum_unique: u64 = games.iter().map(|g| g.unique_streamers).sum();
            prop_assert!(most_unique <= platform.unique_streamers && platform.unique_streamers <= sum_unique);
            for g in &games {
                prop_assert!(g.peak_viewers.map_or(0, |p| p.value) <= platform.peak_viewers.map_or(0, |p| p.value));
                prop_assert!(g.peak_channels.map_or(0, |p| p.value) <= platform.peak_channels.map_or(0, |p| p.value));
            }
        }

        #[test]
        fn order_does_not_matter(snaps in snapshots()) {
            let mut o: Vec<_> = snaps.iter().map(|(&(m, c), &(_, v))| obs(m, &format!("c{c}"), v)).collect();
            let forward = GroupStats::compute(&o, 90, SlotLength::MINUTE);
            o.reverse();
            prop_assert_eq!(GroupStats::compute(&o, 90, SlotLength::MINUTE), forward);
        }

        #[test]
        fn the_peak_is_at_least_the_average(snaps in snapshots()) {
            let o: Vec<_> = snaps.iter().map(|(&(m, c), &(_, v))| obs(m, &format!("c{c}"), v)).collect();
            let distinct_slots = snaps.keys().map(|(m, _)| *m).collect::<std::collections::BTreeSet<_>>().len();
            let s = GroupStats::compute(&o, distinct_slots as u64, SlotLength::MINUTE);
            if let (Some(avg), Some(peak)) = (s.average_viewers(), s.peak_viewers) {
                prop_assert!(peak.value as f64 + 1e-9 >= avg);
            }
        }
    }
}
