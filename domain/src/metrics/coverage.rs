//! Coverage: how much of a period was observed.

use serde::{Deserialize, Serialize};

use crate::time::{Period, SlotLength};

/// Slots observed out of slots in the period. Every stat carries one: a slot with no successful pull is missing, not
/// zero, so a day with half its slots observed reports its averages over the observed half and says so here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Slots with a successful pull.
    pub observed_slots: u64,
    /// Slots in the period.
    pub expected_slots: u64,
}

impl Coverage {
    /// Coverage of `period` on a grid of `length` when `observed_slots` of its slots were pulled. Observations beyond
    /// the period's slot count (a duplicate slot) are capped.
    pub fn of(period: Period, length: SlotLength, observed_slots: u64) -> Self {
        let expected_slots = period.slot_count(length);
        Self {
            observed_slots: observed_slots.min(expected_slots),
            expected_slots,
        }
    }

    /// The observed fraction, 0.0 to 1.0.
    pub fn ratio(&self) -> f64 {
        if self.expected_slots == 0 {
            return 0.0;
        }
        self.observed_slots as f64 / self.expected_slots as f64
    }

    /// Whether every slot was observed.
    pub fn is_complete(&self) -> bool {
        self.observed_slots == self.expected_slots
    }

    /// Observed hours: observed slots × s / 60, the denominator of group averages.
    pub fn observed_hours(&self, length: SlotLength) -> f64 {
        self.observed_slots as f64 * length.hours()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_a_day_observed() {
        let day = Period::day(2026, 11, 26).unwrap();
        let c = Coverage::of(day, SlotLength::MINUTE, 720);
        assert_eq!(c.ratio(), 0.5);
        assert!(!c.is_complete());
        assert_eq!(c.observed_hours(SlotLength::MINUTE), 12.0);
    }

    #[test]
    fn observations_are_capped_at_the_period() {
        let hour = Period::hour(2026, 11, 26, 0).unwrap();
        let c = Coverage::of(hour, SlotLength::MINUTE, 61);
        assert_eq!(c.observed_slots, 60);
        assert!(c.is_complete());
        assert_eq!(c.ratio(), 1.0);
    }
}
