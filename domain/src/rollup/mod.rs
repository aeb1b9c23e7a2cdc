//! Rollups: the totals of hours, days, ISO weeks and months per channel, game, language and the platform, and the
//! rankings built on them.
//!
//! A period is always recomputed from the level below: an hour from the facts of its observed slots, a day from its
//! hours, a week and a month from their days. Recomputing (rather than adding each new series to a running total)
//! is what makes a re-run, a duplicate delivery or a late series unable to count anything twice: the same inputs give
//! the same bytes, whatever order they arrived in.
//!
//! - [`broadcasts`]: broadcasts hour by hour, each hour continuing the previous one's.
//! - [`facts`]: one channel in one slot, the unit everything is built from.
//! - [`period`]: a period's totals, from slots or from sub-periods.
//! - [`ranking`]: rankings of a period, with rank changes.
//! - [`stats`]: the per-entity stats items rollups write for the gateway.

pub mod broadcasts;
pub mod facts;
pub mod period;
pub mod ranking;
pub mod stats;

pub use broadcasts::{ChannelBroadcast, HourBroadcasts};
pub use facts::{SlotFact, slot_facts};
pub use period::{ChannelTotals, GroupTotals, PeriodRollup};
pub use ranking::{Filter, MetricKind, RankRow, RankedKind, RankingList, Rankings, rankings};
pub use stats::{ChannelPeriodStats, GroupPeriodStats};

use crate::time::PeriodKind;

/// The period kind a period of `kind` is recomputed from (`None` for an hour: from slots).
pub fn built_from(kind: PeriodKind) -> Option<PeriodKind> {
    match kind {
        PeriodKind::Hour => None,
        PeriodKind::Day => Some(PeriodKind::Hour),
        PeriodKind::Week | PeriodKind::Month => Some(PeriodKind::Day),
    }
}
