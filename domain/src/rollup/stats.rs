//! The stats items rollups write to the metadata store, one per entity and period, as the gateway reads them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::period::{ChannelTotals, GroupTotals, PeriodRollup};
use crate::ids::{GameId, Language, Login};
use crate::metrics::Coverage;
use crate::time::Period;

/// A channel's stats for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelPeriodStats {
    /// The period.
    pub period: Period,
    /// Login, as last seen in the period.
    pub login: Login,
    /// Language, as last seen in the period.
    pub language: Option<Language>,
    /// Hours watched.
    pub hours_watched: f64,
    /// Hours live.
    pub airtime_hours: f64,
    /// Average viewers over live time.
    pub average_viewers: Option<f64>,
    /// Peak viewers.
    pub peak_viewers: Option<u64>,
    /// When the peak was first reached.
    pub peak_at: Option<DateTime<Utc>>,
    /// Hours watched per game played.
    pub games: BTreeMap<GameId, f64>,
    /// Slots observed out of the period's.
    pub coverage: Coverage,
}

impl ChannelPeriodStats {
    /// The stats of one channel's totals in `rollup`.
    pub fn of(rollup: &PeriodRollup, totals: &ChannelTotals) -> Self {
        Self {
            period: rollup.period,
            login: totals.login.clone(),
            language: totals.language.clone(),
            hours_watched: totals.stats.hours_watched(),
            airtime_hours: totals.stats.airtime_hours(),
            average_viewers: totals.stats.average_viewers(),
            peak_viewers: totals.stats.peak.map(|p| p.value),
            peak_at: totals.stats.peak.map(|p| p.at),
            games: totals
                .games
                .iter()
                .map(|(g, s)| (g.clone(), s.hours_watched()))
                .collect(),
            coverage: rollup.coverage(),
        }
    }
}

/// A game's, a language's or the platform's stats for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPeriodStats {
    /// The period.
    pub period: Period,
    /// Hours watched.
    pub hours_watched: f64,
    /// Hours streamed (Σ airtime).
    pub hours_streamed: f64,
    /// Average viewers over the observed hours.
    pub average_viewers: Option<f64>,
    /// Average live channels over the observed hours.
    pub average_channels: Option<f64>,
    /// Hours watched per hour streamed.
    pub viewer_ratio: Option<f64>,
    /// The largest sum of viewers in one slot.
    pub peak_viewers: Option<u64>,
    /// When it was first reached.
    pub peak_viewers_at: Option<DateTime<Utc>>,
    /// The most channels live in one slot.
    pub peak_channels: Option<u64>,
    /// When it was first reached.
    pub peak_channels_at: Option<DateTime<Utc>>,
    /// Distinct channels live at least once.
    pub unique_streamers: u64,
    /// Slots observed out of the period's.
    pub coverage: Coverage,
}

impl GroupPeriodStats {
    /// The stats of a group's totals in `rollup`.
    pub fn of(rollup: &PeriodRollup, totals: &GroupTotals) -> Self {
        let stats = totals.stats(rollup.observed_minutes());
        Self {
            period: rollup.period,
            hours_watched: stats.hours_watched(),
            hours_streamed: stats.hours_streamed(),
            average_viewers: stats.average_viewers(),
            average_channels: stats.average_channels(),
            viewer_ratio: stats.viewer_ratio(),
            peak_viewers: stats.peak_viewers.map(|p| p.value),
            peak_viewers_at: stats.peak_viewers.map(|p| p.at),
            peak_channels: stats.peak_channels.map(|p| p.value),
            peak_channels_at: stats.peak_channels.map(|p| p.at),
            unique_streamers: stats.unique_streamers,
            coverage: rollup.coverage(),
        }
    }
}
