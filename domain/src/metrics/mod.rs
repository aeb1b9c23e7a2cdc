//! The metric definitions users compare Streamlens against, as pure functions.
//!
//! With slots of `s` minutes (1 by default), a stream is live in a slot when it appears in that slot's snapshot:
//!
//! | metric | definition |
//! |---|---|
//! | hours watched | Σ viewers × s / 60 over the live slots |
//! | airtime (hours streamed) | live slots × s |
//! | channel average viewers | hours watched / airtime hours (time-weighted over live time) |
//! | peak viewers, and when | max over live slots; the earliest slot wins a tie |
//! | group (game, language, platform) average viewers | hours watched / observed hours of the period |
//! | group average channels | hours streamed / observed hours |
//! | group viewer ratio | hours watched / hours streamed |
//! | group peak viewers / peak channels | max over slots of the slot's sum of viewers / count of channels |
//! | unique streamers | distinct channels live at least once |
//! | broadcast | consecutive live slots of one channel; gaps of 15 minutes or less merge |
//! | coverage | slots observed / slots in the period; a slot with no successful pull is missing, not zero |
//!
//! Sums are kept in whole viewer-minutes and stream-minutes (integers), so totals are exact and independent of the
//! order they are added in; hours are derived at the end.
//!
//! - [`channel`]: one channel's stats over its live slots.
//! - [`broadcast`]: live slots merged into broadcasts.
//! - [`aggregate`]: stats of a group of channels (a game, a language, the platform).
//! - [`coverage`]: how much of a period was observed.

pub mod aggregate;
pub mod broadcast;
pub mod channel;
pub mod coverage;

pub use aggregate::{GroupStats, Observation};
pub use broadcast::{Broadcast, MAX_BROADCAST_GAP};
pub use channel::ChannelStats;
pub use coverage::Coverage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::SlotLength;

/// A maximum and the slot it was first reached in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Peak {
    /// The maximum value.
    pub value: u64,
    /// The start of the earliest slot with that value.
    pub at: DateTime<Utc>,
}

impl Peak {
    /// Keeps the larger of two peaks; on a tie, the earlier one.
    pub fn max(a: Option<Peak>, b: Option<Peak>) -> Option<Peak> {
        match (a, b) {
            (Some(a), Some(b)) if b.value > a.value || (b.value == a.value && b.at < a.at) => Some(b),
            (Some(a), _) => Some(a),
            (None, b) => b,
        }
    }
}

/// Viewer-minutes contributed by `viewers` watching for one slot of `length`: viewers × s.
pub fn viewer_minutes(viewers: u64, length: SlotLength) -> u64 {
    viewers.saturating_mul(u64::from(length.minutes()))
}

/// Converts whole minutes to hours.
pub fn minutes_to_hours(minutes: u64) -> f64 {
    minutes as f64 / 60.0
}

/// Average concurrent viewers: hours watched divided by the hours they were spread over.
///
/// For a channel, `hours` is its airtime; for a game, language or the platform, the observed hours of the period.
/// `None` when `hours` is zero: there is no average of nothing.
pub fn average_viewers(hours_watched: f64, hours: f64) -> Option<f64> {
    (hours > 0.0).then(|| hours_watched / hours)
}

/// Average live channels: hours streamed divided by the observed hours of the period; `None` when nothing was
/// observed.
pub fn average_channels(hours_streamed: f64, observed_hours: f64) -> Option<f64> {
    (observed_hours > 0.0).then(|| hours_streamed / observed_hours)
}

/// Viewer ratio: hours watched per hour streamed (viewers per live channel, on average); `None` when nothing was
/// streamed.
pub fn viewer_ratio(hours_watched: f64, hours_streamed: f64) -> Option<f64> {
    (hours_streamed > 0.0).then(|| hours_watched / hours_streamed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_of_nothing_are_none() {
        assert_eq!(average_viewers(10.0, 0.0), None);
        assert_eq!(average_channels(10.0, 0.0), None);
        assert_eq!(viewer_ratio(10.0, 0.0), None);
        assert_eq!(viewer_ratio(120.0, 2.0), Some(60.0));
    }

    #[test]
    fn viewer_minutes_scale_with_slot_length() {
        assert_eq!(viewer_minutes(100, SlotLength::MINUTE), 100);
        assert_eq!(viewer_minutes(100, SlotLength::from_minutes(5).unwrap()), 500);
        assert_eq!(minutes_to_hours(90), 1.5);
    }

    #[test]
    fn peak_max_prefers_the_larger_then_the_earlier() {
        let t0 = DateTime::from_timestamp(0, 0).unwrap();
        let t1 = DateTime::from_timestamp(60, 0).unwrap();
        let a = Some(Peak { value: 5, at: t1 });
        let b = Some(Peak { value: 5, at: t0 });
        let c = Some(Peak { value: 6, at: t1 });
        assert_eq!(Peak::max(a, b), b);
        assert_eq!(Peak::max(b, a), b);
        assert_eq!(Peak::max(a, c), c);
        assert_eq!(Peak::max(None, a), a);
    }
}
