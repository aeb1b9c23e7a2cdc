//! One channel's stats over its live slots.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Peak, average_viewers, minutes_to_hours, viewer_minutes};
use crate::time::SlotLength;

/// Hours watched, airtime, average and peak viewers of one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChannelStats {
    /// Σ viewers × s over the live slots.
    pub viewer_minutes: u64,
    /// Live slots × s.
    pub airtime_minutes: u64,
    /// The highest viewer count and the first slot it was seen in; `None` when never live.
    pub peak: Option<Peak>,
}

impl ChannelStats {
    /// Stats of one channel from its `(slot start, viewers)` samples.
    ///
    /// The channel is live once per slot: if a slot appears twice (two stream ids for one channel in one snapshot,
    /// a broadcast restarted while the snapshot was paged), the higher viewer count counts. Order does not matter.
    pub fn from_samples(samples: &[(DateTime<Utc>, u64)], length: SlotLength) -> Self {
        let mut per_slot: BTreeMap<DateTime<Utc>, u64> = BTreeMap::new();
        for &(slot, viewers) in samples {
            let entry = per_slot.entry(slot).or_insert(viewers);
            *entry = (*entry).max(viewers);
        }
        per_slot.into_iter().fold(Self::default(), |acc, (slot, viewers)| {
            acc.plus_slot(slot, viewers, length)
        })
    }

    /// These stats with one more live slot added.
    pub fn plus_slot(self, slot: DateTime<Utc>, viewers: u64, length: SlotLength) -> Self {
        Self {
            viewer_minutes: self.viewer_minutes.saturating_add(viewer_minutes(viewers, length)),
            airtime_minutes: self.airtime_minutes.saturating_add(u64::from(length.minutes())),
            peak: Peak::max(
                self.peak,
                Some(Peak {
                    value: viewers,
                    at: slot,
                }),
            ),
        }
    }

    /// Stats of two disjoint sets of slots combined (two hours into a day).
    pub fn combine(self, other: Self) -> Self {
        Self {
            viewer_minutes: self.viewer_minutes.saturating_add(other.viewer_minutes),
            airtime_minutes: self.airtime_minutes.saturating_add(other.airtime_minutes),
            peak: Peak::max(self.peak, other.peak),
        }
    }

    /// Hours watched: Σ viewers × s / 60.
    pub fn hours_watched(&self) -> f64 {
        minutes_to_hours(self.viewer_minutes)
    }

    /// Airtime in hours.
    pub fn airtime_hours(&self) -> f64 {
        minutes_to_hours(self.airtime_minutes)
    }

    /// Time-weighted average viewers over live time: hours watched / airtime hours; `None` when never live.
    pub fn average_viewers(&self) -> Option<f64> {
        average_viewers(self.hours_watched(), self.airtime_hours())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(minute * 60, 0).unwrap()
    }

    #[test]
    fn three_live_minutes() {
        let stats = ChannelStats::from_samples(&[(t(0), 100), (t(1), 200), (t(5), 300)], SlotLength::MINUTE);
        assert_eq!(stats.viewer_minutes, 600);
        assert_eq!(stats.hours_watched(), 10.0);
        assert_eq!(stats.airtime_minutes, 3);
        assert_eq!(stats.average_viewers(), Some(200.0));
        assert_eq!(stats.peak, Some(Peak { value: 300, at: t(5) }));
    }

    #[test]
    fn five_minute_slots_weigh_five_times() {
        let five = SlotLength::from_minutes(5).unwrap();
        let stats = ChannelStats::from_samples(&[(t(0), 120), (t(5), 60)], five);
        assert_eq!(stats.hours_watched(), 15.0); // (120 + 60) × 5 / 60
        assert_eq!(stats.airtime_minutes, 10);
        assert_eq!(stats.average_viewers(), Some(90.0));
    }

    #[test]
    fn a_slot_seen_twice_counts_once_with_the_higher_count() {
        let stats = ChannelStats::from_samples(&[(t(0), 100), (t(0), 150)], SlotLength::MINUTE);
        assert_eq!(stats.airtime_minutes, 1);
        assert_eq!(stats.viewer_minutes, 150);
    }

    #[test]
    fn never_live_has_no_average_and_no_peak() {
        let stats = ChannelStats::from_samples(&[], SlotLength::MINUTE);
        assert_eq!(stats.average_viewers(), None);
        assert_eq!(stats.peak, None);
    }

    #[test]
    fn combining_halves_equals_the_whole() {
        let all = [(t(0), 10), (t(1), 30), (t(2), 30), (t(3), 5)];
        let whole = ChannelStats::from_samples(&all, SlotLength::MINUTE);
        let halves = ChannelStats::from_samples(&all[..2], SlotLength::MINUTE)
            .combine(ChannelStats::from_samples(&all[2..], SlotLength::MINUTE));
        assert_eq!(whole, halves);
        assert_eq!(whole.peak.unwrap().at, t(1));
    }
}
