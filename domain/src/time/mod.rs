//! Time: slots (the grid snapshots are taken on) and periods (the calendar units stats are rolled up into).
//!
//! Everything is UTC. A [`Slot`] is a minute by default, or the source's slot length; a [`Period`] is an hour, a day,
//! an ISO week or a month. Both are half-open intervals `[start, end)` with string forms that sort in time order, so
//! they can be used directly in storage keys.

mod period;
mod slot;

pub use period::{Period, PeriodKind};
pub use slot::{Slot, SlotLength};

use chrono::{DateTime, Utc};

/// Why a slot, slot length or period could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The slot length does not tile an hour or a day.
    #[error("invalid slot length {0} minutes: it must divide 60, or be a whole number of hours that divides 24 hours")]
    SlotLength(u32),
    /// A slot start that is not on the grid of its length.
    #[error("{time} is not the start of a {minutes}-minute slot")]
    Unaligned {
        /// The rejected start.
        time: DateTime<Utc>,
        /// The slot length in minutes.
        minutes: u32,
    },
    /// A calendar date that does not exist (February 30th, week 54).
    #[error("no such date")]
    NoSuchDate,
    /// A time outside the range chrono can represent.
    #[error("time out of range")]
    OutOfRange,
    /// Text that is not a slot or period.
    #[error("invalid {what} {value:?}: expected {expected}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The input, truncated.
        value: String,
        /// The accepted forms.
        expected: &'static str,
    },
}
