//! The schema's object types, built from what the pipeline stores.

use async_graphql::{ComplexObject, Context, Enum, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};
use streamlens_domain::ids::{ChannelId, GameId, SourceId};
use streamlens_domain::metrics::Coverage as DomainCoverage;
use streamlens_domain::rollup::{ChannelPeriodStats, GroupPeriodStats, RankRow};
use streamlens_domain::storage::meta::keys::{Ranked, RankingMetric as KeyMetric};
use streamlens_domain::time::{Period as DomainPeriod, PeriodKind};
use streamlens_jobs::pipeline::run::{RunHistory, RunStatus};
use streamlens_jobs::pipeline::steps::channels::{ChangeKind, ChannelChange, ChannelProfile};

use super::loaders::{GameProfile, load_channel, load_game};

/// A calendar period (UTC): an hour, a day, an ISO week (Monday first) or a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PeriodType {
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
    /// One ISO week.
    Week,
    /// One calendar month.
    Month,
}

impl From<PeriodType> for PeriodKind {
    fn from(p: PeriodType) -> Self {
        match p {
            PeriodType::Hour => PeriodKind::Hour,
            PeriodType::Day => PeriodKind::Day,
            PeriodType::Week => PeriodKind::Week,
            PeriodType::Month => PeriodKind::Month,
        }
    }
}

impl From<PeriodKind> for PeriodType {
    fn from(p: PeriodKind) -> Self {
        match p {
            PeriodKind::Hour => PeriodType::Hour,
            PeriodKind::Day => PeriodType::Day,
            PeriodKind::Week => PeriodType::Week,
            PeriodKind::Month => PeriodType::Month,
        }
    }
}

/// What a ranking ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RankedEntity {
    /// Channels.
    Channel,
    /// Games.
    Game,
}

impl From<RankedEntity> for Ranked {
    fn from(e: RankedEntity) -> Self {
        match e {
            RankedEntity::Channel => Ranked::Channel,
            RankedEntity::Game => Ranked::Game,
        }
    }
}

/// What a ranking orders by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RankingMetric {
    /// Hours watched: Σ viewers × slot minutes / 60.
    HoursWatched,
    /// Average viewers (channels: over their live time; games: over the observed time of the period).
    AverageViewers,
    /// Peak viewers.
    PeakViewers,
}

impl From<RankingMetric> for KeyMetric {
    fn from(m: RankingMetric) -> Self {
        match m {
            RankingMetric::HoursWatched => KeyMetric::HoursWatched,
            RankingMetric::AverageViewers => KeyMetric::AverageViewers,
            RankingMetric::PeakViewers => KeyMetric::PeakViewers,
        }
    }
}

/// How finely a viewer curve is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum Granularity {
    /// Each slot (minute data: needs the `minute-data:read` permission, kept a limited number of days).
    Minute,
    /// Average viewers per hour.
    Hour,
    /// Average viewers per day.
    Day,
}

/// A period with its bounds.
#[derive(Debug, Clone, SimpleObject)]
pub struct Period {
    /// Its kind.
    pub kind: PeriodType,
    /// Its label (`2026-11-26T11`, `2026-11-26`, `2026-W48`, `2026-11`).
    pub label: String,
    /// First instant in it.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
}

impl From<DomainPeriod> for Period {
    fn from(p: DomainPeriod) -> Self {
        Self {
            kind: p.kind().into(),
            label: p.to_string(),
            start: p.start(),
            end: p.end(),
        }
    }
}

/// How much of a period was observed: slots with a successful pull out of the period's slots. A slot that was not
/// pulled is missing, not zero.
#[derive(Debug, Clone, SimpleObject)]
pub struct Coverage {
    /// Slots with data.
    pub observed_slots: u64,
    /// Slots in the period.
    pub expected_slots: u64,
    /// `observed / expected`, from 0 to 1.
    pub ratio: f64,
}

impl From<DomainCoverage> for Coverage {
    fn from(c: DomainCoverage) -> Self {
        let ratio = if c.expected_slots == 0 {
            0.0
        } else {
            c.observed_slots as f64 / c.expected_slots as f64
        };
        Self {
            observed_slots: c.observed_slots,
            expected_slots: c.expected_slots,
            ratio,
        }
    }
}

/// Hours watched of one game in a channel's period.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct GameHours {
    /// The source (not in the schema).
    #[graphql(skip)]
    pub source: SourceId,
    /// The game's id.
    pub game_id: ID,
    /// Hours watched while the channel played it.
    pub hours_watched: f64,
}

#[ComplexObject]
impl GameHours {
    /// The game.
    async fn game(&self, ctx: &Context<'_>) -> Result<Option<Game>> {
        game_by_id(ctx, &self.source, &self.game_id).await
    }
}

/// A channel's stats for one period.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChannelStats {
    /// The period.
    pub period: Period,
    /// Hours watched: Σ viewers × slot minutes / 60 over its live slots.
    pub hours_watched: f64,
    /// Hours live (airtime).
    pub airtime_hours: f64,
    /// Average viewers over its live time (hours watched / airtime hours).
    pub average_viewers: Option<f64>,
    /// Peak viewers.
    pub peak_viewers: Option<u64>,
    /// When the peak was first reached.
    pub peak_at: Option<DateTime<Utc>>,
    /// Hours watched per game played, most first.
    pub games: Vec<GameHours>,
    /// How much of the period was observed.
    pub coverage: Coverage,
}

impl ChannelStats {
    /// From the stored stats item.
    pub fn from_stored(source: &SourceId, s: ChannelPeriodStats) -> Self {
        let mut games: Vec<GameHours> = s
            .games
            .into_iter()
            .map(|(id, hours)| GameHours {
                source: source.clone(),
                game_id: ID(id.to_string()),
                hours_watched: hours,
            })
            .collect();
        games.sort_by(|a, b| {
            b.hours_watched
                .total_cmp(&a.hours_watched)
                .then(a.game_id.cmp(&b.game_id))
        });
        Self {
            period: s.period.into(),
            hours_watched: s.hours_watched,
            airtime_hours: s.airtime_hours,
            average_viewers: s.average_viewers,
            peak_viewers: s.peak_viewers,
            peak_at: s.peak_at,
            games,
            coverage: s.coverage.into(),
        }
    }
}

/// A game's, a language's or the platform's stats for one period.
#[derive(Debug, Clone, SimpleObject)]
pub struct GroupStats {
    /// The period.
    pub period: Period,
    /// Hours watched.
    pub hours_watched: f64,
    /// Hours streamed (Σ airtime of its channels).
    pub hours_streamed: f64,
    /// Average viewers over the observed hours of the period.
    pub average_viewers: Option<f64>,
    /// Average live channels over the observed hours.
    pub average_channels: Option<f64>,
    /// Hours watched / hours streamed.
    pub viewer_ratio: Option<f64>,
    /// Most viewers in one slot.
    pub peak_viewers: Option<u64>,
    /// When.
    pub peak_viewers_at: Option<DateTime<Utc>>,
    /// Most live channels in one slot.
    pub peak_channels: Option<u64>,
    /// When.
    pub peak_channels_at: Option<DateTime<Utc>>,
    /// Channels live at least once.
    pub unique_streamers: u64,
    /// How much of the period was observed.
    pub coverage: Coverage,
}

impl From<GroupPeriodStats> for GroupStats {
    fn from(s: GroupPeriodStats) -> Self {
        Self {
            period: s.period.into(),
            hours_watched: s.hours_watched,
            hours_streamed: s.hours_streamed,
            average_viewers: s.average_viewers,
            average_channels: s.average_channels,
            viewer_ratio: s.viewer_ratio,
            peak_viewers: s.peak_viewers,
            peak_viewers_at: s.peak_viewers_at,
            peak_channels: s.peak_channels,
            peak_channels_at: s.peak_channels_at,
            unique_streamers: s.unique_streamers,
            coverage: s.coverage.into(),
        }
    }
}

/// A language's stats.
#[derive(Debug, Clone, SimpleObject)]
pub struct LanguageStats {
    /// The language (ISO 639-1, or `other`).
    pub language: String,
    /// Its stats for the period.
    pub stats: GroupStats,
}

/// A channel, as last seen live.
#[derive(Debug, Clone)]
pub struct Channel {
    pub(crate) source: SourceId,
    pub(crate) profile: ChannelProfile,
    /// Its game, when read ahead with a whole list (`None`: read it when asked).
    pub(crate) game: Option<Game>,
}

/// A game.
#[derive(Debug, Clone)]
pub struct Game {
    pub(crate) source: SourceId,
    pub(crate) id: GameId,
    pub(crate) profile: Option<GameProfile>,
}

/// The game `id` of `source`, with its profile when known.
pub async fn game_by_id(ctx: &Context<'_>, source: &SourceId, id: &str) -> Result<Option<Game>> {
    let Ok(id) = GameId::parse(id) else {
        return Ok(None);
    };
    let profile = load_game(ctx, source, &id).await?;
    Ok(Some(Game {
        source: source.clone(),
        id,
        profile,
    }))
}

/// The channel `id` of `source`, if it was ever seen.
pub async fn channel_by_id(ctx: &Context<'_>, source: &SourceId, id: &ChannelId) -> Result<Option<Channel>> {
    Ok(load_channel(ctx, source, id).await?.map(|profile| Channel {
        source: source.clone(),
        profile,
        game: None,
    }))
}

/// One row of a ranking.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct RankingRow {
    /// The source (not in the schema).
    #[graphql(skip)]
    pub source: SourceId,
    /// What is ranked (not in the schema).
    #[graphql(skip)]
    pub entity: RankedEntity,
    /// The channel or game, read ahead with the whole page (not in the schema).
    #[graphql(skip)]
    pub ahead: Option<Ahead>,
    /// 1 is first.
    pub rank: u32,
    /// The channel's or game's id.
    pub id: ID,
    /// The metric's value.
    pub value: f64,
    /// Its rank in the same ranking of the previous period (`null`: it was not in it).
    pub previous_rank: Option<u32>,
    /// Places gained since the previous period (negative: lost; `null`: new in the ranking).
    pub rank_change: Option<i64>,
}

/// What a ranking row names, read ahead for the whole page.
#[derive(Debug, Clone)]
pub enum Ahead {
    /// A channel (with its game).
    Channel(Option<Box<Channel>>),
    /// A game.
    Game(Option<Game>),
}

impl RankingRow {
    /// From a stored row.
    pub fn new(source: &SourceId, entity: RankedEntity, row: RankRow) -> Self {
        Self {
            source: source.clone(),
            entity,
            ahead: None,
            rank: row.rank,
            rank_change: row.rank_change(),
            id: ID(row.id),
            value: row.value,
            previous_rank: row.previous_rank,
        }
    }
}

#[ComplexObject]
impl RankingRow {
    /// The channel (channel rankings).
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        if self.entity != RankedEntity::Channel {
            return Ok(None);
        }
        if let Some(Ahead::Channel(channel)) = &self.ahead {
            return Ok(channel.as_deref().cloned());
        }
        let Ok(id) = ChannelId::parse(self.id.as_str()) else {
            return Ok(None);
        };
        channel_by_id(ctx, &self.source, &id).await
    }

    /// The game (game rankings).
    async fn game(&self, ctx: &Context<'_>) -> Result<Option<Game>> {
        if self.entity != RankedEntity::Game {
            return Ok(None);
        }
        if let Some(Ahead::Game(game)) = &self.ahead {
            return Ok(game.clone());
        }
        game_by_id(ctx, &self.source, &self.id).await
    }
}

/// Fields of a ranking connection besides its edges.
#[derive(Debug, Clone, SimpleObject)]
pub struct RankingInfo {
    /// The period ranked.
    pub period: Period,
    /// Rows in the whole ranking.
    pub total_count: u64,
}

/// A point of a viewer curve.
#[derive(Debug, Clone, SimpleObject)]
pub struct ViewerPoint {
    /// Start of the slot, hour or day.
    pub at: DateTime<Utc>,
    /// Viewers (minute), or average viewers over the live time in the hour or day.
    pub viewers: f64,
}

/// A broadcast: consecutive live slots of a channel, gaps of 15 minutes or less merged.
#[derive(Debug, Clone, SimpleObject)]
pub struct Broadcast {
    /// Start of its first live slot.
    pub start: DateTime<Utc>,
    /// End of its last live slot so far.
    pub end: DateTime<Utc>,
    /// Hours watched.
    pub hours_watched: f64,
    /// Hours live.
    pub airtime_hours: f64,
    /// Average viewers over its live time.
    pub average_viewers: Option<f64>,
    /// Peak viewers.
    pub peak_viewers: Option<u64>,
    /// Games played (ids).
    pub game_ids: Vec<ID>,
}

/// What changed on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ChangeType {
    /// Its title.
    Title,
    /// Its game.
    Game,
}

/// A change of a channel's title or game.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChannelChangeEntry {
    /// When the new value was first seen (start of its slot).
    pub at: DateTime<Utc>,
    /// What changed.
    pub kind: ChangeType,
    /// The value before (a game: its id).
    pub from: String,
    /// The value after.
    pub to: String,
}

impl From<ChannelChange> for ChannelChangeEntry {
    fn from(c: ChannelChange) -> Self {
        Self {
            at: c.slot.start(),
            kind: match c.kind {
                ChangeKind::Title => ChangeType::Title,
                ChangeKind::Game => ChangeType::Game,
            },
            from: c.from,
            to: c.to,
        }
    }
}

/// Where a series or run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum SeriesStatusType {
    /// Waiting for its pipeline.
    Pending,
    /// In its pipeline.
    Running,
    /// Every step done: its numbers are served.
    Ready,
    /// Given up on; can be re-run.
    Failed,
}

/// One step of a pipeline run.
#[derive(Debug, Clone, SimpleObject)]
pub struct StepRun {
    /// The step.
    pub name: String,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took.
    pub duration_ms: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
    /// What it produced, by name.
    pub counts: Vec<Count>,
}

/// A named count.
#[derive(Debug, Clone, SimpleObject)]
pub struct Count {
    /// What was counted.
    pub name: String,
    /// How many.
    pub value: u64,
}

/// One run of a series' pipeline.
#[derive(Debug, Clone, SimpleObject)]
pub struct PipelineRun {
    /// The run's id.
    pub id: ID,
    /// What started it: `schedule`, `manual`, `backfill`, `rerun`, `reconcile`.
    pub trigger: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Its steps, in the order of the DAG.
    pub steps: Vec<StepRun>,
}

fn status_name(s: RunStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<RunHistory> for PipelineRun {
    fn from(h: RunHistory) -> Self {
        let order: Vec<&'static str> = streamlens_jobs::pipeline::steps::registry()
            .iter()
            .map(|s| s.name())
            .collect();
        let mut steps: Vec<StepRun> = h
            .steps
            .into_values()
            .map(|s| StepRun {
                name: s.step,
                status: status_name(s.status),
                attempts: s.attempts,
                started_at: s.started_at,
                finished_at: s.finished_at,
                duration_ms: s.duration_ms,
                error: s.error,
                counts: s
                    .counts
                    .into_iter()
                    .map(|(name, value)| Count { name, value })
                    .collect(),
            })
            .collect();
        steps.sort_by_key(|s| order.iter().position(|n| *n == s.name).unwrap_or(usize::MAX));
        Self {
            id: ID(h.run.run_id.to_string()),
            trigger: serde_json::to_value(h.run.trigger)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            status: status_name(h.run.status),
            attempts: h.run.attempts,
            started_at: h.run.started_at,
            finished_at: h.run.finished_at,
            error: h.run.error,
            steps,
        }
    }
}
