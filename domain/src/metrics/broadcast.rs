//! Broadcasts: a channel's live slots merged across short gaps.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ChannelStats;
use crate::time::SlotLength;

/// The longest time off air that still counts as the same broadcast: a reconnect, a crashed encoder.
pub const MAX_BROADCAST_GAP: Duration = Duration::minutes(15);

/// One broadcast: consecutive live slots of one channel, gaps of up to [`MAX_BROADCAST_GAP`] included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    /// Start of the first live slot.
    pub start: DateTime<Utc>,
    /// End of the last live slot.
    pub end: DateTime<Utc>,
    /// Stats over the live slots only: time in the gaps is not airtime.
    pub stats: ChannelStats,
}

/// Merges one channel's `(slot start, viewers)` samples into broadcasts, in time order.
///
/// Two live slots belong to the same broadcast when the time off air between them (from the end of one to the
/// start of the next) is at most `max_gap`. The result does not depend on the order of `samples`; a slot given twice
/// counts once, with its higher viewer count.
pub fn broadcasts(samples: &[(DateTime<Utc>, u64)], length: SlotLength, max_gap: Duration) -> Vec<Broadcast> {
    let mut sorted = samples.to_vec();
    // Per slot, the highest count first, so the dedupe below keeps it.
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    sorted.dedup_by_key(|s| s.0);

    let mut result: Vec<Broadcast> = Vec::new();
    for (slot, viewers) in sorted {
        match result.last_mut() {
            Some(current) if slot - current.end <= max_gap => {
                current.end = slot + length.duration();
                current.stats = current.stats.plus_slot(slot, viewers, length);
            }
            _ => result.push(Broadcast {
                start: slot,
                end: slot + length.duration(),
                stats: ChannelStats::default().plus_slot(slot, viewers, length),
            }),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(minute * 60, 0).unwrap()
    }

    fn live(minutes: &[i64]) -> Vec<(DateTime<Utc>, u64)> {
        minutes.iter().map(|&m| (t(m), 10)).collect()
    }

    #[test]
    fn a_gap_of_fifteen_minutes_merges_and_sixteen_splits() {
        // Live 0..=9, off 10..=24 (15 minutes), live 25..=29.
        let mut minutes: Vec<i64> = (0..10).collect();
        minutes.extend(25..30);
        let merged = broadcasts(&live(&minutes), SlotLength::MINUTE, MAX_BROADCAST_GAP);
        assert_eq!(merged.len(), 1);
        assert_eq!((merged[0].start, merged[0].end), (t(0), t(30)));
        assert_eq!(merged[0].stats.airtime_minutes, 15);

        // Off 10..=25 (16 minutes).
        let mut minutes: Vec<i64> = (0..10).collect();
        minutes.extend(26..30);
        let split = broadcasts(&live(&minutes), SlotLength::MINUTE, MAX_BROADCAST_GAP);
        assert_eq!(split.len(), 2);
        assert_eq!(split[1].start, t(26));
    }

    #[test]
    fn no_samples_no_broadcasts() {
        assert!(broadcasts(&[], SlotLength::MINUTE, MAX_BROADCAST_GAP).is_empty());
    }

    proptest! {
        #[test]
        fn merging_is_order_independent(
            mut samples in prop::collection::vec((0i64..600, 0u64..1000), 0..80),
            seed in any::<u64>(),
        ) {
            let samples_at: Vec<_> = samples.iter().map(|&(m, v)| (t(m), v)).collect();
            let expected = broadcasts(&samples_at, SlotLength::MINUTE, MAX_BROADCAST_GAP);
            // A deterministic shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..samples.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                samples.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let shuffled: Vec<_> = samples.iter().map(|&(m, v)| (t(m), v)).collect();
            prop_assert_eq!(broadcasts(&shuffled, SlotLength::MINUTE, MAX_BROADCAST_GAP), expected);
        }

        #[test]
        fn broadcasts_are_separated_by_more_than_the_gap_and_keep_every_live_slot(
            minutes in prop::collection::btree_set(0i64..600, 0..80),
        ) {
            let samples = live(&minutes.iter().copied().collect::<Vec<_>>());
            let result = broadcasts(&samples, SlotLength::MINUTE, MAX_BROADCAST_GAP);
            let airtime: u64 = result.iter().map(|b| b.stats.airtime_minutes).sum();
            prop_assert_eq!(airtime, minutes.len() as u64);
            for pair in result.windows(2) {
                prop_assert!(pair[1].start - pair[0].end > MAX_BROADCAST_GAP);
            }
            let whole = ChannelStats::from_samples(&samples, SlotLength::MINUTE);
            let parts = result.iter().fold(ChannelStats::default(), |acc, b| acc.combine(b.stats));
            prop_assert_eq!(whole, parts);
        }
    }
}
