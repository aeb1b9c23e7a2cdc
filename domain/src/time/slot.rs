//! Slots: the time grid snapshots are taken on.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, DurationRound, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::TimeError;

/// The length of a source's slots, in whole minutes (1 by default: one snapshot a minute).
///
/// A length either divides an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) or is a whole number of hours that
/// divides a day (120, 180, 240, 360, 480, 720, 1440). Slots are aligned to UTC midnight, so with these lengths every
/// slot lies inside one hour, or inside one day, and rollups never have to split a slot between periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SlotLength(u32);

impl SlotLength {
    /// One minute: the live Helix source's slot.
    pub const MINUTE: SlotLength = SlotLength(1);
    /// One hour.
    pub const HOUR: SlotLength = SlotLength(60);
    /// One day.
    pub const DAY: SlotLength = SlotLength(1440);

    /// Validates a slot length given in minutes.
    pub fn from_minutes(minutes: u32) -> Result<Self, TimeError> {
        let divides_hour = minutes > 0 && 60u32.is_multiple_of(minutes);
        let divides_day_in_hours = minutes >= 60 && minutes.is_multiple_of(60) && 1440u32.is_multiple_of(minutes);
        if divides_hour || divides_day_in_hours {
            Ok(Self(minutes))
        } else {
            Err(TimeError::SlotLength(minutes))
        }
    }

    /// The length in minutes (`s` in the metric definitions).
    pub fn minutes(self) -> u32 {
        self.0
    }

    /// The length as a duration.
    pub fn duration(self) -> Duration {
        Duration::minutes(i64::from(self.0))
    }

    /// The length in hours, `s / 60`.
    pub fn hours(self) -> f64 {
        f64::from(self.0) / 60.0
    }
}

impl Default for SlotLength {
    fn default() -> Self {
        Self::MINUTE
    }
}

impl TryFrom<u32> for SlotLength {
    type Error = TimeError;
    fn try_from(minutes: u32) -> Result<Self, Self::Error> {
        Self::from_minutes(minutes)
    }
}

impl From<SlotLength> for u32 {
    fn from(length: SlotLength) -> u32 {
        length.0
    }
}

/// One cell of the time grid: `[start, start + length)`, with `start` aligned to the length from UTC midnight.
///
/// Its string form is the start in RFC 3339 (`2026-11-26T11:27:00Z`) for a one-minute slot and an ISO 8601
/// start/duration interval otherwise (`2026-11-26T11:25:00Z/PT5M`). Strings of the same length sort in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slot {
    start: DateTime<Utc>,
    length: SlotLength,
}

impl Slot {
    /// The slot of `length` that starts at `start`; fails if `start` is not on the grid.
    pub fn new(start: DateTime<Utc>, length: SlotLength) -> Result<Self, TimeError> {
        let slot = Self::containing(start, length)?;
        if slot.start != start {
            return Err(TimeError::Unaligned {
                time: start,
                minutes: length.minutes(),
            });
        }
        Ok(slot)
    }

    /// The one-minute slot starting at `start`.
    pub fn minute(start: DateTime<Utc>) -> Result<Self, TimeError> {
        Self::new(start, SlotLength::MINUTE)
    }

    /// The slot of `length` that contains `time`.
    pub fn containing(time: DateTime<Utc>, length: SlotLength) -> Result<Self, TimeError> {
        let start = time
            .duration_trunc(length.duration())
            .map_err(|_| TimeError::OutOfRange)?;
        Ok(Self { start, length })
    }

    /// The first instant of the slot.
    pub fn start(self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the slot.
    pub fn end(self) -> DateTime<Utc> {
        self.start + self.length.duration()
    }

    /// The slot's length.
    pub fn length(self) -> SlotLength {
        self.length
    }

    /// The slot right after this one.
    pub fn next(self) -> Self {
        Self {
            start: self.end(),
            length: self.length,
        }
    }

    /// The slot right before this one.
    pub fn previous(self) -> Self {
        Self {
            start: self.start - self.length.duration(),
            length: self.length,
        }
    }

    /// Every slot of `length` whose start lies in `[from, to)`, in order.
    pub fn range(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        length: SlotLength,
    ) -> Result<impl Iterator<Item = Slot>, TimeError> {
        let mut first = Self::containing(from, length)?;
        if first.start < from {
            first = first.next();
        }
        Ok(std::iter::successors(Some(first), |slot| Some(slot.next())).take_while(move |slot| slot.start < to))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start.format("%Y-%m-%dT%H:%M:%SZ"))?;
        if self.length != SlotLength::MINUTE {
            write!(f, "/PT{}M", self.length.minutes())?;
        }
        Ok(())
    }
}

impl FromStr for Slot {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeError::Parse {
            what: "slot",
            value: s.chars().take(80).collect(),
            expected: "an RFC 3339 UTC minute such as 2026-11-26T11:27:00Z, optionally followed by /PT{minutes}M",
        };
        let (start, length) = match s.split_once('/') {
            None => (s, SlotLength::MINUTE),
            Some((start, duration)) => {
                let minutes = duration
                    .strip_prefix("PT")
                    .and_then(|d| d.strip_suffix('M'))
                    .and_then(|m| m.parse::<u32>().ok())
                    .ok_or_else(bad)?;
                (start, SlotLength::from_minutes(minutes)?)
            }
        };
        let start = DateTime::parse_from_rfc3339(start)
            .map_err(|_| bad())?
            .with_timezone(&Utc);
        if start.nanosecond() != 0 {
            return Err(bad());
        }
        Self::new(start, length)
    }
}

impl TryFrom<String> for Slot {
    type Error = TimeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Slot> for String {
    fn from(slot: Slot) -> String {
        slot.to_string()
    }
}

/// Midnight UTC on the given day; `None` if the date does not exist.
pub(crate) fn utc_midnight(year: i32, month: u32, day: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn slot_lengths_must_tile_hours_or_days() {
        for ok in [1, 5, 15, 30, 60, 120, 360, 1440] {
            assert!(SlotLength::from_minutes(ok).is_ok(), "{ok}");
        }
        for bad in [0, 7, 45, 90, 100, 2880] {
            assert!(SlotLength::from_minutes(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containing_truncates_to_the_grid() {
        let slot = Slot::containing(at("2026-11-26T11:27:41Z"), SlotLength::from_minutes(5).unwrap()).unwrap();
        assert_eq!(slot.start(), at("2026-11-26T11:25:00Z"));
        assert_eq!(slot.end(), at("2026-11-26T11:30:00Z"));
        assert_eq!(slot.next().start(), at("2026-11-26T11:30:00Z"));
        assert_eq!(slot.previous().start(), at("2026-11-26T11:20:00Z"));
    }

    #[test]
    fn new_rejects_starts_off_the_grid() {
        assert!(Slot::minute(at("2026-11-26T11:27:30Z")).is_err());
        assert!(Slot::new(at("2026-11-26T11:27:00Z"), SlotLength::from_minutes(5).unwrap()).is_err());
    }

    #[test]
    fn string_form_round_trips() {
        for text in [
            "2026-11-26T11:27:00Z",
            "2026-11-26T11:25:00Z/PT5M",
            "2026-11-26T00:00:00Z/PT1440M",
        ] {
            let slot: Slot = text.parse().unwrap();
            assert_eq!(slot.to_string(), text);
        }
        assert!("2026-11-26T11:27:00+01:00".parse::<Slot>().is_ok());
        assert!("2026-11-26T11:27".parse::<Slot>().is_err());
        assert!("2026-11-26T11:25:00Z/PT7M".parse::<Slot>().is_err());
        assert!("2026-11-26T11:25:00Z/P1D".parse::<Slot>().is_err());
    }

    #[test]
    fn range_lists_slots_starting_inside_the_interval() {
        let slots: Vec<_> = Slot::range(
            at("2026-11-26T11:00:30Z"),
            at("2026-11-26T11:03:00Z"),
            SlotLength::MINUTE,
        )
        .unwrap()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(slots, ["2026-11-26T11:01:00Z", "2026-11-26T11:02:00Z"]);
    }
}
