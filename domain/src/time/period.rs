//! Periods: the calendar units stats and rankings are rolled up into.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::slot::utc_midnight;
use super::{SlotLength, TimeError};

/// The kinds of period, from shortest to longest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    /// A UTC clock hour.
    Hour,
    /// A UTC calendar day.
    Day,
    /// An ISO 8601 week: Monday 00:00 UTC to the next Monday; week 1 holds the year's first Thursday.
    Week,
    /// A UTC calendar month.
    Month,
}

impl PeriodKind {
    /// All kinds, shortest first.
    pub const ALL: [PeriodKind; 4] = [Self::Hour, Self::Day, Self::Week, Self::Month];

    /// The lowercase name used in keys and config (`hour`, `day`, `week`, `month`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PeriodKind {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "hour" => Ok(Self::Hour),
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(TimeError::Parse {
                what: "period kind",
                value: s.chars().take(80).collect(),
                expected: "hour, day, week or month",
            }),
        }
    }
}

/// One hour, day, ISO week or month, as the half-open interval `[start, end)` in UTC.
///
/// Its string form sorts in time order among periods of the same kind: `2026-11-26T11` (hour), `2026-11-26` (day),
/// `2026-W48` (ISO week), `2026-11` (month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    kind: PeriodKind,
    start: DateTime<Utc>,
}

impl Period {
    /// The period of `kind` that contains `time`.
    pub fn containing(kind: PeriodKind, time: DateTime<Utc>) -> Self {
        let date = time.date_naive();
        let start = match kind {
            PeriodKind::Hour => date.and_hms_opt(time.hour(), 0, 0),
            PeriodKind::Day => date.and_hms_opt(0, 0, 0),
            PeriodKind::Week => {
                let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
                monday.and_hms_opt(0, 0, 0)
            }
            PeriodKind::Month => date.with_day(1).and_then(|d| d.and_hms_opt(0, 0, 0)),
        };
        // Hour 0..23, minute 0 and day 1 always exist, so the fallback is unreachable; it keeps this total.
        let start = start.map_or(time, |naive| naive.and_utc());
        Self { kind, start }
    }

    /// The hour starting at `year-month-day hour:00` UTC.
    pub fn hour(year: i32, month: u32, day: u32, hour: u32) -> Result<Self, TimeError> {
        let start = utc_midnight(year, month, day)
            .filter(|_| hour < 24)
            .ok_or(TimeError::NoSuchDate)?
            + Duration::hours(i64::from(hour));
        Ok(Self {
            kind: PeriodKind::Hour,
            start,
        })
    }

    /// The UTC day `year-month-day`.
    pub fn day(year: i32, month: u32, day: u32) -> Result<Self, TimeError> {
        let start = utc_midnight(year, month, day).ok_or(TimeError::NoSuchDate)?;
        Ok(Self {
            kind: PeriodKind::Day,
            start,
        })
    }

    /// ISO week `week` of ISO year `year`.
    pub fn week(year: i32, week: u32) -> Result<Self, TimeError> {
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or(TimeError::NoSuchDate)?;
        let start = monday.and_hms_opt(0, 0, 0).ok_or(TimeError::NoSuchDate)?.and_utc();
        Ok(Self {
            kind: PeriodKind::Week,
            start,
        })
    }

    /// The calendar month `year-month`.
    pub fn month(year: i32, month: u32) -> Result<Self, TimeError> {
        let start = utc_midnight(year, month, 1).ok_or(TimeError::NoSuchDate)?;
        Ok(Self {
            kind: PeriodKind::Month,
            start,
        })
    }

    /// Which kind of period this is.
    pub fn kind(self) -> PeriodKind {
        self.kind
    }

    /// The first instant of the period.
    pub fn start(self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the period.
    pub fn end(self) -> DateTime<Utc> {
        match self.kind {
            PeriodKind::Hour => self.start + Duration::hours(1),
            PeriodKind::Day => self.start + Duration::days(1),
            PeriodKind::Week => self.start + Duration::weeks(1),
            PeriodKind::Month => {
                let (year, month) = match self.start.month() {
                    12 => (self.start.year() + 1, 1),
                    m => (self.start.year(), m + 1),
                };
                // The first of a month always exists.
                utc_midnight(year, month, 1).unwrap_or(self.start + Duration::days(31))
            }
        }
    }

    /// Whether `time` falls inside the period.
    pub fn contains(self, time: DateTime<Utc>) -> bool {
        self.start <= time && time < self.end()
    }

    /// The period of the same kind right before this one (for rank changes).
    pub fn previous(self) -> Self {
        Self::containing(self.kind, self.start - Duration::seconds(1))
    }

    /// The period of the same kind right after this one.
    pub fn next(self) -> Self {
        Self::containing(self.kind, self.end())
    }

    /// The period's length in minutes (a month of 31 days: 44,640).
    pub fn minutes(self) -> i64 {
        (self.end() - self.start).num_minutes()
    }

    /// The period's length in hours: the "hours in the period" of the metric definitions.
    pub fn hours(self) -> f64 {
        self.minutes() as f64 / 60.0
    }

    /// How many slots of `length` the period holds: the denominator of coverage.
    ///
    /// A slot longer than the period (a daily slot in an hour) counts once: the period is then either fully observed
    /// by that slot or not at all.
    pub fn slot_count(self, length: SlotLength) -> u64 {
        let minutes = u64::try_from(self.minutes()).unwrap_or(0);
        (minutes / u64::from(length.minutes())).max(1)
    }

    /// Every period of `kind` that overlaps `[from, to)`, in order.
    pub fn covering(kind: PeriodKind, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = Period> {
        let first = Self::containing(kind, from);
        std::iter::successors(Some(first), |p| Some(p.next())).take_while(move |p| p.start < to)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Hour => write!(f, "{}", self.start.format("%Y-%m-%dT%H")),
            PeriodKind::Day => write!(f, "{}", self.start.format("%Y-%m-%d")),
            PeriodKind::Week => {
                let week = self.start.iso_week();
                write!(f, "{:04}-W{:02}", week.year(), week.week())
            }
            PeriodKind::Month => write!(f, "{}", self.start.format("%Y-%m")),
        }
    }
}

impl FromStr for Period {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TimeError::Parse {
            what: "period",
            value: s.chars().take(80).collect(),
            expected: "2026-11-26T11 (hour), 2026-11-26 (day), 2026-W48 (ISO week) or 2026-11 (month)",
        };
        let num = |part: &str| -> Result<u32, TimeError> {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let year = |part: &str| -> Result<i32, TimeError> {
            if part.len() != 4 {
                return Err(bad());
            }
            i32::try_from(num(part)?).map_err(|_| bad())
        };
        let two = |part: &str| -> Result<u32, TimeError> {
            if part.len() != 2 {
                return Err(bad());
            }
            num(part)
        };
        if let Some((y, w)) = s.split_once("-W") {
            return Self::week(year(y)?, two(w)?).map_err(|_| bad());
        }
        let (date, hour) = match s.split_once('T') {
            Some((date, hour)) => (date, Some(two(hour)?)),
            None => (s, None),
        };
        let parts: Vec<&str> = date.split('-').collect();
        let period = match (parts.as_slice(), hour) {
            ([y, m], None) => Self::month(year(y)?, two(m)?),
            ([y, m, d], None) => Self::day(year(y)?, two(m)?, two(d)?),
            ([y, m, d], Some(h)) => Self::hour(year(y)?, two(m)?, two(d)?, h),
            _ => return Err(bad()),
        };
        period.map_err(|_| bad())
    }
}

impl TryFrom<String> for Period {
    type Error = TimeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Period> for String {
    fn from(period: Period) -> String {
        period.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn boundaries_of_each_kind() {
        let t = at("2026-11-26T11:27:41Z"); // a Thursday
        let hour = Period::containing(PeriodKind::Hour, t);
        assert_eq!(
            (hour.start(), hour.end()),
            (at("2026-11-26T11:00:00Z"), at("2026-11-26T12:00:00Z"))
        );
        let day = Period::containing(PeriodKind::Day, t);
        assert_eq!(
            (day.start(), day.end()),
            (at("2026-11-26T00:00:00Z"), at("2026-11-27T00:00:00Z"))
        );
        let week = Period::containing(PeriodKind::Week, t);
        assert_eq!(
            (week.start(), week.end()),
            (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
        );
        let month = Period::containing(PeriodKind::Month, t);
        assert_eq!(
            (month.start(), month.end()),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
    }

    #[test]
    fn iso_weeks_cross_year_ends() {
        // 2027-01-01 is a Friday: it belongs to 2026-W53.
        let week = Period::containing(PeriodKind::Week, at("2027-01-01T12:00:00Z"));
        assert_eq!(week.to_string(), "2026-W53");
        assert_eq!(week.start(), at("2026-12-28T00:00:00Z"));
        assert_eq!(week.next().to_string(), "2027-W01");
        assert_eq!(Period::week(2027, 1).unwrap().previous(), week);
    }

    #[test]
    fn previous_of_january_is_december() {
        let jan = Period::month(2027, 1).unwrap();
        assert_eq!(jan.previous().to_string(), "2026-12");
        assert_eq!(jan.previous().hours(), 744.0);
    }

    #[test]
    fn month_hours_follow_the_calendar() {
        assert_eq!(Period::month(2024, 2).unwrap().hours(), 29.0 * 24.0);
        assert_eq!(Period::month(2023, 2).unwrap().hours(), 28.0 * 24.0);
        assert_eq!(Period::month(2026, 11).unwrap().minutes(), 43_200);
    }

    #[test]
    fn slot_count_is_the_coverage_denominator() {
        let day = Period::day(2026, 11, 26).unwrap();
        assert_eq!(day.slot_count(SlotLength::MINUTE), 1440);
        assert_eq!(day.slot_count(SlotLength::from_minutes(5).unwrap()), 288);
        let hour = Period::hour(2026, 11, 26, 3).unwrap();
        assert_eq!(hour.slot_count(SlotLength::DAY), 1);
    }

    #[test]
    fn string_forms_round_trip_and_reject_nonsense() {
        for text in ["2026-11-26T11", "2026-11-26", "2026-W48", "2026-11"] {
            let period: Period = text.parse().unwrap();
            assert_eq!(period.to_string(), text);
        }
        for bad in [
            "2026-13",
            "2026-02-30",
            "2026-W54",
            "2026-11-26T24",
            "26-11",
            "2026-1",
            "2026-11-26T1",
            "now",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn covering_lists_overlapping_periods() {
        let days: Vec<_> = Period::covering(PeriodKind::Day, at("2026-11-26T23:00:00Z"), at("2026-11-28T00:00:00Z"))
            .map(|p| p.to_string())
            .collect();
        assert_eq!(days, ["2026-11-26", "2026-11-27"]);
    }

    proptest! {
        #[test]
        fn a_time_lies_in_its_period_and_periods_tile(secs in 0i64..4_102_444_800, k in 0usize..4) {
            let kind = PeriodKind::ALL[k];
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let p = Period::containing(kind, t);
            prop_assert!(p.contains(t));
            prop_assert_eq!(p.previous().end(), p.start());
            prop_assert_eq!(p.next().start(), p.end());
            prop_assert_eq!(p.to_string().parse::<Period>().unwrap(), p);
            prop_assert!(p.previous().to_string() < p.to_string());
        }
    }
}
