//! The query root.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use streamlens_domain::ids::{ChannelId, GameId, Language, Login, SeriesId, SourceId};
use streamlens_domain::pulls::PullRecord;
use streamlens_domain::rollup::{
    ChannelBroadcast, ChannelPeriodStats, GroupPeriodStats, PeriodRollup, RankRow, SlotFact,
};
use streamlens_domain::series::SeriesRecord;
use streamlens_domain::storage::blob::{BlobError, BlobKey, layout};
use streamlens_domain::storage::meta::keys::{self, RankingFilter, StatsOf};
use streamlens_domain::storage::meta::{Cursor, MetaError, Query as MetaQuery, SortKey};
use streamlens_domain::time::{Period as DomainPeriod, PeriodKind};
use streamlens_jobs::ingest::pull::decompress;
use streamlens_jobs::pipeline::run;
use streamlens_jobs::pipeline::steps::channels::ChannelChange;

use super::error::{OrInternal, bad_input, internal};
use super::types::{
    Ahead, Broadcast, Channel, ChannelChangeEntry, ChannelStats, Game, GroupStats, LanguageStats, PeriodType,
    PipelineRun, RankedEntity, RankingInfo, RankingMetric, RankingRow, SeriesStatusType, ViewerPoint, channel_by_id,
    game_by_id,
};
use super::{Gateway, MAX_PAGE, gateway};
use crate::auth::guard::principal;
use crate::auth::{Permission, Require};

/// The query root.
#[derive(Debug, Default)]
pub struct Query;

/// Checks `first` (required, 1 to 100).
pub(crate) fn page_size(first: i32) -> Result<usize> {
    if first < 1 || first as usize > MAX_PAGE {
        return Err(bad_input(format!("`first` must be between 1 and {MAX_PAGE}")));
    }
    Ok(first as usize)
}

/// An opaque cursor around `value`.
pub(crate) fn encode_cursor(kind: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{value}"))
}

/// The value inside a cursor of `kind`.
pub(crate) fn decode_cursor(kind: &str, cursor: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(&format!("{kind}:")).map(str::to_owned))
        .ok_or_else(|| bad_input("`after` is not a cursor of this list"))
}

/// A store cursor from a client's `after`.
fn store_cursor(after: Option<String>) -> Result<Option<Cursor>> {
    after
        .map(|a| decode_cursor("q", &a).map(Cursor::from_token))
        .transpose()
}

/// A store failure as a client sees it.
fn meta_error(error: MetaError) -> async_graphql::Error {
    match error {
        MetaError::InvalidCursor => bad_input("`after` is not a cursor of this list"),
        other => internal(other),
    }
}

/// The period of `kind` containing `at` (now when absent).
fn period_at(kind: PeriodType, at: Option<DateTime<Utc>>) -> DomainPeriod {
    DomainPeriod::containing(kind.into(), at.unwrap_or_else(Utc::now))
}

/// Reads a zstd JSON blob, `None` when absent.
async fn read_blob<T: serde::de::DeserializeOwned>(gw: &Gateway, key: &BlobKey) -> Result<Option<T>> {
    match gw.storage.blobs.get(key).await {
        Ok(blob) => {
            let json = decompress(&blob.bytes).or_internal()?;
            serde_json::from_slice(&json).map(Some).or_internal()
        }
        Err(BlobError::NotFound(_)) => Ok(None),
        Err(e) => Err(internal(e)),
    }
}

fn parse_channel_id(id: &str) -> Result<ChannelId> {
    ChannelId::parse(id).map_err(|e| bad_input(format!("channel id: {e}")))
}

fn parse_game_id(id: &str) -> Result<GameId> {
    GameId::parse(id).map_err(|e| bad_input(format!("game id: {e}")))
}

fn parse_language(language: &str) -> Result<Language> {
    Language::parse(language).map_err(|e| bad_input(format!("language: {e}")))
}

/// Filters of the channel list.
#[derive(Debug, Default, InputObject)]
pub struct ChannelFilter {
    /// Logins starting with this (case-insensitive).
    pub search: Option<String>,
    /// Streaming in this language (ISO 639-1).
    pub language: Option<String>,
    /// Currently streaming this game.
    pub game_id: Option<ID>,
    /// Live in the latest ready series (ordered by viewers). Without `search`, `language` or `gameId`, the list is
    /// always the live channels.
    pub live: Option<bool>,
}

/// Fields of a channel edge.
#[derive(Debug, Clone, SimpleObject)]
pub struct ChannelEdgeFields {
    /// Viewers in the latest ready series, for live channels.
    pub viewers: Option<u64>,
}

/// A configured source.
#[derive(Debug, Clone, SimpleObject)]
pub struct Source {
    /// Its id.
    pub id: ID,
    /// `helix`, `history` or `simulator`.
    pub kind: String,
    /// When it is pulled.
    pub schedule: String,
    /// Its slot length in minutes.
    pub slot_minutes: u32,
    /// Its latest pull.
    pub last_pull: Option<Pull>,
}

/// A pull of a source.
#[derive(Debug, Clone, SimpleObject)]
pub struct Pull {
    /// Its id.
    pub id: ID,
    /// `schedule`, `manual` or `backfill`.
    pub trigger: String,
    /// `running`, `succeeded` or `failed` (a page could not be read and stored, or the source failed).
    pub status: String,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Distinct streams received.
    pub records: u64,
    /// Slots with data (one series each).
    pub slots: u64,
}

fn enum_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl From<PullRecord> for Pull {
    fn from(p: PullRecord) -> Self {
        Self {
            id: ID(p.pull_id.to_string()),
            trigger: enum_name(&p.trigger),
            status: enum_name(&p.status),
            started_at: p.started_at,
            finished_at: p.finished_at,
            records: p.records,
            slots: p.slots.len() as u64,
        }
    }
}

/// A series: one slot of one source, and its pipeline runs.
#[derive(Debug, Clone)]
pub struct Series(pub SeriesRecord);

#[Object]
impl Series {
    /// Its id (`{source}:{slot}`).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Its source.
    async fn source(&self) -> ID {
        ID(self.0.source.to_string())
    }

    /// Start of its slot.
    async fn slot(&self) -> DateTime<Utc> {
        self.0.slot.start()
    }

    /// Where it is.
    async fn status(&self) -> SeriesStatusType {
        match self.0.status {
            streamlens_domain::series::SeriesStatus::Pending => SeriesStatusType::Pending,
            streamlens_domain::series::SeriesStatus::Running => SeriesStatusType::Running,
            streamlens_domain::series::SeriesStatus::Ready => SeriesStatusType::Ready,
            streamlens_domain::series::SeriesStatus::Failed => SeriesStatusType::Failed,
        }
    }

    /// Distinct streams in its data.
    async fn records(&self) -> u64 {
        self.0.records
    }

    /// When it was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When its status last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Its pipeline runs, latest first, each with its steps (needs `runs:read`: admins).
    #[graphql(guard = "Require::permission(Permission::RunsRead)")]
    async fn runs(&self, ctx: &Context<'_>) -> Result<Option<Vec<PipelineRun>>> {
        let gw = gateway(ctx);
        let mut runs: Vec<PipelineRun> = run::history(&gw.storage, &self.0.id)
            .await
            .or_internal()?
            .into_iter()
            .map(PipelineRun::from)
            .collect();
        runs.reverse();
        Ok(Some(runs))
    }
}

#[Object]
impl Channel {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.profile.channel.to_string())
    }

    /// Its login.
    async fn login(&self) -> &str {
        self.profile.login.as_str()
    }

    /// Its display name.
    async fn display_name(&self) -> &str {
        &self.profile.display_name
    }

    /// Its broadcast language.
    async fn language(&self) -> Option<&str> {
        self.profile.language.as_ref().map(|l| l.as_str())
    }

    /// Its stream title, as last seen.
    async fn title(&self) -> &str {
        &self.profile.title
    }

    /// When its current (or last) stream started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.profile.started_at
    }

    /// When it was last seen live (start of that slot).
    async fn last_seen_at(&self) -> DateTime<Utc> {
        self.profile.as_of.start()
    }

    /// Its game, as last seen.
    async fn game(&self, ctx: &Context<'_>) -> Result<Option<Game>> {
        if let Some(game) = &self.game {
            return Ok(Some(game.clone()));
        }
        match &self.profile.game {
            Some(game) => game_by_id(ctx, &self.source, game.as_str()).await,
            None => Ok(None),
        }
    }

    /// Its stats for the period of `period` containing `at` (now when absent); `null` when it was not live then.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        period: PeriodType,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<ChannelStats>> {
        let gw = gateway(ctx);
        let period = period_at(period, at);
        let key = keys::stats(&self.source, StatsOf::Channel(&self.profile.channel), period);
        let item = gw.storage.meta.get(&key).await.map_err(meta_error)?;
        Ok(item
            .and_then(|i| i.decode::<ChannelPeriodStats>().ok())
            .map(|s| ChannelStats::from_stored(&self.source, s)))
    }

    /// Its viewers from `from` to `to`: each slot (`MINUTE`, at most 2 days, needs `minute-data:read`), or average
    /// viewers over its live time per hour (`HOUR`, at most 31 days) or day (`DAY`, at most 366 days).
    async fn viewers(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        granularity: super::types::Granularity,
    ) -> Result<Option<Vec<ViewerPoint>>> {
        use super::types::Granularity as G;
        if granularity == G::Minute {
            Require::permission(Permission::MinuteDataRead).check_principal(principal(ctx))?;
        }
        if from >= to {
            return Err(bad_input("`from` must be before `to`"));
        }
        let gw = gateway(ctx);
        let span = to - from;
        let (kind, longest) = match granularity {
            G::Minute => (PeriodKind::Hour, Duration::days(2)),
            G::Hour => (PeriodKind::Hour, Duration::days(31)),
            G::Day => (PeriodKind::Day, Duration::days(366)),
        };
        if span > longest {
            return Err(bad_input(format!(
                "at most {} days at this granularity",
                longest.num_days()
            )));
        }
        let first = DomainPeriod::containing(kind, from);
        let last = DomainPeriod::containing(kind, to - Duration::milliseconds(1));
        let partition = match granularity {
            G::Minute => keys::channel_minutes_partition(&self.source, &self.profile.channel),
            _ => keys::stats_partition(&self.source, StatsOf::Channel(&self.profile.channel), kind),
        };
        let mut points = Vec::new();
        let mut cursor = None;
        loop {
            let page = gw
                .storage
                .meta
                .query(
                    &MetaQuery::partition(partition.clone())
                        .sort_key(SortKey::Between(first.to_string(), last.to_string()))
                        .limit(500)
                        .after(cursor.take()),
                )
                .await
                .map_err(meta_error)?;
            for item in &page.items {
                match granularity {
                    G::Minute => {
                        let Ok(hour) = item.key.sk.parse::<DomainPeriod>() else {
                            continue;
                        };
                        let minutes = item
                            .attrs
                            .get("slot_minutes")
                            .and_then(|v| v.as_i64())
                            .unwrap_or(1)
                            .max(1);
                        let values: Vec<Option<u64>> = item
                            .attrs
                            .get("viewers")
                            .and_then(|v| serde_json::from_value(v.clone()).ok())
                            .unwrap_or_default();
                        for (i, value) in values.into_iter().enumerate() {
                            let at = hour.start() + Duration::minutes(i as i64 * minutes);
                            if let Some(viewers) = value
                                && at >= from
                                && at < to
                            {
                                points.push(ViewerPoint {
                                    at,
                                    viewers: viewers as f64,
                                });
                            }
                        }
                    }
                    _ => {
                        if let Ok(stats) = item.decode::<ChannelPeriodStats>()
                            && let Some(average) = stats.average_viewers
                        {
                            points.push(ViewerPoint {
                                at: stats.period.start(),
                                viewers: average,
                            });
                        }
                    }
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(Some(points))
    }

    /// Its broadcasts, latest first.
    async fn broadcasts(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Broadcast>> {
        let gw = gateway(ctx);
        let limit = page_size(first)?;
        let page = gw
            .storage
            .meta
            .query(
                &MetaQuery::partition(keys::broadcasts(&self.source, &self.profile.channel))
                    .descending()
                    .limit(limit)
                    .after(store_cursor(after.clone())?),
            )
            .await
            .map_err(meta_error)?;
        let mut connection = Connection::new(after.is_some(), page.next.is_some());
        let last = page.items.len().saturating_sub(1);
        for (i, item) in page.items.iter().enumerate() {
            let Ok(b) = item.decode::<ChannelBroadcast>() else {
                continue;
            };
            let cursor = match (&page.next, i == last) {
                (Some(next), true) => encode_cursor("q", next.as_token()),
                _ => encode_cursor("i", &item.key.sk),
            };
            connection.edges.push(Edge::new(
                cursor,
                Broadcast {
                    start: b.start,
                    end: b.end,
                    hours_watched: b.stats.hours_watched(),
                    airtime_hours: b.stats.airtime_hours(),
                    average_viewers: b.stats.average_viewers(),
                    peak_viewers: b.stats.peak.map(|p| p.value),
                    game_ids: b.games.iter().map(|g| ID(g.to_string())).collect(),
                },
            ));
        }
        Ok(connection)
    }

    /// Its title and game changes, latest first.
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, ChannelChangeEntry>> {
        let gw = gateway(ctx);
        let limit = page_size(first)?;
        let page = gw
            .storage
            .meta
            .query(
                &MetaQuery::partition(keys::channel_history(&self.source, &self.profile.channel))
                    .descending()
                    .limit(limit)
                    .after(store_cursor(after.clone())?),
            )
            .await
            .map_err(meta_error)?;
        let mut connection = Connection::new(after.is_some(), page.next.is_some());
        let last = page.items.len().saturating_sub(1);
        for (i, item) in page.items.iter().enumerate() {
            let Ok(change) = item.decode::<ChannelChange>() else {
                continue;
            };
            let cursor = match (&page.next, i == last) {
                (Some(next), true) => encode_cursor("q", next.as_token()),
                _ => encode_cursor("i", &item.key.sk),
            };
            connection.edges.push(Edge::new(cursor, change.into()));
        }
        Ok(connection)
    }
}

#[Object]
impl Game {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Its name (empty when the platform did not say).
    async fn name(&self) -> &str {
        self.profile.as_ref().map_or("", |p| p.name.as_str())
    }

    /// Its box art URL template (`{width}x{height}`).
    async fn box_art_url(&self) -> Option<&str> {
        self.profile
            .as_ref()
            .map(|p| p.box_art_url.as_str())
            .filter(|u| !u.is_empty())
    }

    /// Its stats for the period of `period` containing `at` (now when absent).
    async fn stats(
        &self,
        ctx: &Context<'_>,
        period: PeriodType,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<GroupStats>> {
        let gw = gateway(ctx);
        let key = keys::stats(&self.source, StatsOf::Game(&self.id), period_at(period, at));
        let item = gw.storage.meta.get(&key).await.map_err(meta_error)?;
        Ok(item
            .and_then(|i| i.decode::<GroupPeriodStats>().ok())
            .map(GroupStats::from))
    }

    /// Its channels ranked by `metric` over the period of `period` containing `at`.
    #[allow(clippy::too_many_arguments)]
    async fn top_channels(
        &self,
        ctx: &Context<'_>,
        period: PeriodType,
        #[graphql(default_with = "RankingMetric::HoursWatched")] metric: RankingMetric,
        at: Option<DateTime<Utc>>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, RankingRow, RankingInfo>> {
        let gw = gateway(ctx);
        ranking_page(
            gw,
            &self.source,
            RankedEntity::Channel,
            metric,
            period_at(period, at),
            RankingFilter::Game(&self.id),
            first,
            after,
        )
        .await
    }
}

/// A stored page of a ranking (the `rankings` step writes them): up to 100 rows, and the ranking's length.
#[derive(Debug, serde::Deserialize)]
struct StoredRankingPage {
    #[serde(default)]
    total: u64,
    #[serde(default)]
    rows: Vec<RankRow>,
}

/// One page of a stored ranking.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn ranking_page(
    gw: &Gateway,
    source: &SourceId,
    entity: RankedEntity,
    metric: RankingMetric,
    period: DomainPeriod,
    filter: RankingFilter<'_>,
    first: i32,
    after: Option<String>,
) -> Result<Connection<String, RankingRow, RankingInfo>> {
    let limit = page_size(first)?;
    let start = match &after {
        Some(a) => decode_cursor("r", a)?
            .parse::<u32>()
            .map_err(|_| bad_input("`after` is not a cursor of this list"))?
            .saturating_add(1),
        None => 1,
    };
    let partition = keys::ranking_partition(source, entity.into(), metric.into(), period, filter);
    let mut rows: Vec<RankRow> = Vec::new();
    let mut total = 0u64;
    let mut rank = start;
    // A page holds 100 rows: at most two pages per request.
    while rows.len() < limit {
        let Some(page) = gw
            .entities
            .get::<StoredRankingPage>(&*gw.storage.meta, &keys::ranking_page(&partition, rank))
            .await
            .map_err(meta_error)?
        else {
            break;
        };
        total = page.total;
        let before = rows.len();
        rows.extend(
            page.rows
                .iter()
                .filter(|r| r.rank >= rank)
                .take(limit - before)
                .cloned(),
        );
        match rows.last() {
            Some(last) if rows.len() > before => rank = last.rank + 1,
            _ => break,
        }
    }
    let has_next = rows.last().is_some_and(|r| u64::from(r.rank) < total);
    let mut connection = Connection::with_additional_fields(
        start > 1,
        has_next,
        RankingInfo {
            period: period.into(),
            total_count: total,
        },
    );
    let ahead = read_ahead(gw, source, entity, &rows).await?;
    for (row, ahead) in rows.into_iter().zip(ahead) {
        let cursor = encode_cursor("r", &row.rank.to_string());
        let mut node = RankingRow::new(source, entity, row);
        node.ahead = Some(ahead);
        connection.edges.push(Edge::new(cursor, node));
    }
    Ok(connection)
}

/// The channels (with their games) or games of a page of rows, in two batched reads at most. The keys are all known
/// here, so the loaders' batch functions are called directly, without the DataLoader's wait for more keys.
async fn read_ahead(gw: &Gateway, source: &SourceId, entity: RankedEntity, rows: &[RankRow]) -> Result<Vec<Ahead>> {
    use async_graphql::dataloader::Loader as _;
    let loaders = &gw.loaders;
    let games_of = |ids: Vec<GameId>| async move {
        let mut keys: Vec<(SourceId, GameId)> = ids.into_iter().map(|g| (source.clone(), g)).collect();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        loaders.games.loader().load(&keys).await.map_err(internal)
    };
    match entity {
        RankedEntity::Game => {
            let ids: Vec<Option<GameId>> = rows.iter().map(|r| GameId::parse(&r.id).ok()).collect();
            let found = games_of(ids.iter().flatten().cloned().collect()).await?;
            Ok(ids
                .into_iter()
                .map(|id| {
                    Ahead::Game(id.map(|id| Game {
                        source: source.clone(),
                        profile: found.get(&(source.clone(), id.clone())).cloned(),
                        id,
                    }))
                })
                .collect())
        }
        RankedEntity::Channel => {
            let ids: Vec<Option<ChannelId>> = rows.iter().map(|r| ChannelId::parse(&r.id).ok()).collect();
            let mut keys: Vec<(SourceId, ChannelId)> =
                ids.iter().flatten().map(|c| (source.clone(), c.clone())).collect();
            keys.sort();
            keys.dedup();
            let profiles = if keys.is_empty() {
                std::collections::HashMap::new()
            } else {
                loaders.channels.loader().load(&keys).await.map_err(internal)?
            };
            let game_ids: Vec<GameId> = profiles.values().filter_map(|p| p.game.clone()).collect();
            let games = games_of(game_ids).await?;
            Ok(ids
                .into_iter()
                .map(|id| {
                    let profile = id.and_then(|id| profiles.get(&(source.clone(), id)).cloned());
                    Ahead::Channel(profile.map(|profile| {
                        Box::new(Channel {
                            game: profile.game.clone().map(|g| Game {
                                source: source.clone(),
                                profile: games.get(&(source.clone(), g.clone())).cloned(),
                                id: g,
                            }),
                            source: source.clone(),
                            profile,
                        })
                    }))
                })
                .collect())
        }
    }
}

/// The latest ready series of `source` and its slot facts (who is live, with how many viewers).
async fn live_now(gw: &Gateway, source: &SourceId) -> Result<Vec<SlotFact>> {
    let page = gw
        .storage
        .meta
        .query(
            &MetaQuery::gsi1(keys::series_status_partition(source, "ready"))
                .descending()
                .limit(1),
        )
        .await
        .map_err(meta_error)?;
    let Some(latest) = page.items.first() else {
        return Ok(Vec::new());
    };
    let series: SeriesRecord = latest.decode().or_internal()?;
    let key = layout::clean_output(&series.id, "viewers").or_internal()?;
    let mut facts: Vec<SlotFact> = read_blob(gw, &key).await?.unwrap_or_default();
    facts.sort_by(|a, b| b.viewers.cmp(&a.viewers).then_with(|| a.channel.cmp(&b.channel)));
    Ok(facts)
}

#[Object]
impl Query {
    /// The configured sources, with their latest pull.
    async fn sources(&self, ctx: &Context<'_>) -> Result<Vec<Source>> {
        let gw = gateway(ctx);
        let mut out = Vec::new();
        for source in gw.sources.iter() {
            let page = gw
                .storage
                .meta
                .query(
                    &MetaQuery::partition(keys::raw_partition(&source.id))
                        .descending()
                        .limit(1),
                )
                .await
                .map_err(meta_error)?;
            let last_pull = page
                .items
                .first()
                .and_then(|i| i.decode::<PullRecord>().ok())
                .map(Pull::from);
            out.push(Source {
                id: ID(source.id.to_string()),
                kind: source.kind.as_str().to_owned(),
                schedule: source.schedule.to_string(),
                slot_minutes: source.slot_length.minutes(),
                last_pull,
            });
        }
        Ok(out)
    }

    /// A channel by id or by login (give one).
    async fn channel(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        id: Option<ID>,
        login: Option<String>,
    ) -> Result<Option<Channel>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let id = match (id, login) {
            (Some(id), None) => parse_channel_id(&id)?,
            (None, Some(login)) => {
                let login = Login::parse(login.to_lowercase()).map_err(|e| bad_input(format!("login: {e}")))?;
                let item = gw
                    .storage
                    .meta
                    .get(&keys::channel_login(&source, &login))
                    .await
                    .map_err(meta_error)?;
                match item.and_then(|i| i.attrs.get("channel").and_then(|v| v.as_str()).map(str::to_owned)) {
                    Some(id) => parse_channel_id(&id)?,
                    None => return Ok(None),
                }
            }
            _ => return Err(bad_input("give exactly one of `id` and `login`")),
        };
        channel_by_id(ctx, &source, &id).await
    }

    /// Channels: by login prefix (`search`), language or current game, in login order; or live now, most viewers
    /// first.
    async fn channels(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        #[graphql(default)] filter: ChannelFilter,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Channel, EmptyFields, ChannelEdgeFields>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let limit = page_size(first)?;
        let language = filter.language.as_deref().map(parse_language).transpose()?;
        let game = filter.game_id.as_ref().map(|g| parse_game_id(g)).transpose()?;
        let lookup = match (&filter.search, &language, &game) {
            (Some(search), _, _) => {
                let prefix =
                    Login::parse(search.trim().to_lowercase()).map_err(|e| bad_input(format!("search: {e}")))?;
                let (pk, sk) = keys::channels_by_name_prefix(&source, &prefix);
                Some(MetaQuery::partition(pk).sort_key(SortKey::BeginsWith(sk)))
            }
            (None, Some(language), _) => Some(MetaQuery::partition(keys::channels_by_language(&source, language))),
            (None, None, Some(game)) => Some(MetaQuery::partition(keys::channels_by_game(&source, game))),
            (None, None, None) => None,
        };
        let Some(lookup) = lookup else {
            // Live now, most viewers first; the cursor is a position in that list.
            let offset = match &after {
                Some(a) => decode_cursor("l", a)?
                    .parse::<usize>()
                    .map_err(|_| bad_input("`after` is not a cursor of this list"))?,
                None => 0,
            };
            let facts = live_now(gw, &source).await?;
            let mut connection = Connection::new(offset > 0, facts.len() > offset + limit);
            for (i, fact) in facts.iter().enumerate().skip(offset).take(limit) {
                if let Some(channel) = channel_by_id(ctx, &source, &fact.channel).await? {
                    connection.edges.push(Edge::with_additional_fields(
                        encode_cursor("l", &(i + 1).to_string()),
                        channel,
                        ChannelEdgeFields {
                            viewers: Some(fact.viewers),
                        },
                    ));
                }
            }
            return Ok(connection);
        };
        let page = gw
            .storage
            .meta
            .query(&lookup.limit(limit).after(store_cursor(after.clone())?))
            .await
            .map_err(meta_error)?;
        let live: Option<std::collections::HashMap<ChannelId, u64>> = if filter.live == Some(true) {
            Some(
                live_now(gw, &source)
                    .await?
                    .into_iter()
                    .map(|f| (f.channel, f.viewers))
                    .collect(),
            )
        } else {
            None
        };
        let mut connection = Connection::new(after.is_some(), page.next.is_some());
        let last = page.items.len().saturating_sub(1);
        for (i, item) in page.items.iter().enumerate() {
            let Some(id) = item.attrs.get("channel").and_then(|v| v.as_str()) else {
                continue;
            };
            let Ok(id) = ChannelId::parse(id) else {
                continue;
            };
            let viewers = live.as_ref().and_then(|l| l.get(&id).copied());
            if live.is_some() && viewers.is_none() {
                continue;
            }
            let Some(channel) = channel_by_id(ctx, &source, &id).await? else {
                continue;
            };
            let cursor = match (&page.next, i == last) {
                (Some(next), true) => encode_cursor("q", next.as_token()),
                _ => encode_cursor("i", &item.key.sk),
            };
            connection.edges.push(Edge::with_additional_fields(
                cursor,
                channel,
                ChannelEdgeFields { viewers },
            ));
        }
        Ok(connection)
    }

    /// A game by id.
    async fn game(&self, ctx: &Context<'_>, source: Option<ID>, id: ID) -> Result<Option<Game>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let id = parse_game_id(&id)?;
        game_by_id(ctx, &source, id.as_str()).await
    }

    /// Games of the period of `period` containing `at` (now when absent), most hours watched first.
    async fn games(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        #[graphql(default_with = "PeriodType::Day")] period: PeriodType,
        at: Option<DateTime<Utc>>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, RankingRow, RankingInfo>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        ranking_page(
            gw,
            &source,
            RankedEntity::Game,
            RankingMetric::HoursWatched,
            period_at(period, at),
            RankingFilter::All,
            first,
            after,
        )
        .await
    }

    /// Languages of the period of `period` containing `at`, most hours watched first.
    async fn languages(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        #[graphql(default_with = "PeriodType::Day")] period: PeriodType,
        at: Option<DateTime<Utc>>,
    ) -> Result<Vec<LanguageStats>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let period = period_at(period, at);
        let key = layout::rollup(&source, period).or_internal()?;
        let Some(rollup) = read_blob::<PeriodRollup>(gw, &key).await? else {
            return Ok(Vec::new());
        };
        let mut out: Vec<LanguageStats> = rollup
            .languages
            .iter()
            .map(|(language, totals)| LanguageStats {
                language: language.to_string(),
                stats: GroupPeriodStats::of(&rollup, totals).into(),
            })
            .collect();
        out.sort_by(|a, b| {
            b.stats
                .hours_watched
                .total_cmp(&a.stats.hours_watched)
                .then_with(|| a.language.cmp(&b.language))
        });
        Ok(out)
    }

    /// The whole platform's stats for the period of `period` containing `at`.
    async fn platform(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        period: PeriodType,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<GroupStats>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let key = keys::stats(&source, StatsOf::Platform, period_at(period, at));
        let item = gw.storage.meta.get(&key).await.map_err(meta_error)?;
        Ok(item
            .and_then(|i| i.decode::<GroupPeriodStats>().ok())
            .map(GroupStats::from))
    }

    /// A ranking of channels or games for the period of `period` containing `at` (now when absent), by `metric`,
    /// over all streams or those in one language or (channels) of one game; each row with its rank change against
    /// the previous period.
    #[allow(clippy::too_many_arguments)]
    async fn rankings(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        entity: RankedEntity,
        #[graphql(default_with = "RankingMetric::HoursWatched")] metric: RankingMetric,
        period: PeriodType,
        at: Option<DateTime<Utc>>,
        language: Option<String>,
        game_id: Option<ID>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, RankingRow, RankingInfo>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let language = language.as_deref().map(parse_language).transpose()?;
        let game = game_id.as_ref().map(|g| parse_game_id(g)).transpose()?;
        let filter = match (&language, &game) {
            (None, None) => RankingFilter::All,
            (Some(language), None) => RankingFilter::Language(language),
            (None, Some(game)) if entity == RankedEntity::Channel => RankingFilter::Game(game),
            (None, Some(_)) => return Err(bad_input("`gameId` filters channel rankings only")),
            (Some(_), Some(_)) => return Err(bad_input("give at most one of `language` and `gameId`")),
        };
        ranking_page(gw, &source, entity, metric, period_at(period, at), filter, first, after).await
    }

    /// A series by id (`{source}:{slot}`).
    async fn series(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Series>> {
        let gw = gateway(ctx);
        let id = SeriesId::parse(&id).map_err(|e| bad_input(format!("series id: {e}")))?;
        let item = gw.storage.meta.get(&keys::series(&id)).await.map_err(meta_error)?;
        item.map(|i| i.decode::<SeriesRecord>().map(Series).or_internal())
            .transpose()
    }

    /// Series of a source with `status`, by slot, latest first, between `from` and `to` (slot starts, both
    /// optional).
    #[allow(clippy::too_many_arguments)]
    async fn series_list(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        status: SeriesStatusType,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, Series>> {
        let gw = gateway(ctx);
        let source = gw.source_id(source.as_ref())?;
        let limit = page_size(first)?;
        let status = match status {
            SeriesStatusType::Pending => "pending",
            SeriesStatusType::Running => "running",
            SeriesStatusType::Ready => "ready",
            SeriesStatusType::Failed => "failed",
        };
        let low = from.map_or_else(|| "0".to_owned(), keys::time);
        let high = to.map_or_else(|| "9".to_owned(), keys::time);
        let page = gw
            .storage
            .meta
            .query(
                &MetaQuery::gsi1(keys::series_status_partition(&source, status))
                    .sort_key(SortKey::Between(low, high))
                    .descending()
                    .limit(limit)
                    .after(store_cursor(after.clone())?),
            )
            .await
            .map_err(meta_error)?;
        let mut connection = Connection::new(after.is_some(), page.next.is_some());
        let last = page.items.len().saturating_sub(1);
        for (i, item) in page.items.iter().enumerate() {
            let record: SeriesRecord = item.decode().or_internal()?;
            let cursor = match (&page.next, i == last) {
                (Some(next), true) => encode_cursor("q", next.as_token()),
                _ => encode_cursor("i", &record.id.to_string()),
            };
            connection.edges.push(Edge::new(cursor, Series(record)));
        }
        Ok(connection)
    }

    /// Jobs that failed every attempt, with their last error (needs `runs:read`: admins).
    #[graphql(guard = "Require::permission(Permission::RunsRead)")]
    async fn dead_jobs(&self, ctx: &Context<'_>) -> Result<Option<Vec<DeadJobEntry>>> {
        let gw = gateway(ctx);
        let jobs = streamlens_jobs::admin::dead_jobs(&gw.queue).await.or_internal()?;
        Ok(Some(
            jobs.into_iter()
                .map(|j| DeadJobEntry {
                    queue: j.queue,
                    id: ID(j.id),
                    attempts: j.attempts,
                    error: j.error,
                    payload: j.payload,
                })
                .collect(),
        ))
    }

    /// The caller: null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<super::users::Me>> {
        super::users::me(ctx).await
    }

    /// Users, by login (needs `users:manage`).
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<String, super::users::User, EmptyFields, EmptyFields>> {
        super::users::list(ctx, page_size(first)?, after).await
    }

    /// Groups and the permissions they grant (needs `users:manage`).
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn groups(&self, ctx: &Context<'_>) -> Result<Vec<super::users::Group>> {
        super::users::groups(ctx).await
    }
}

/// A job that failed every attempt.
#[derive(Debug, Clone, SimpleObject)]
pub struct DeadJobEntry {
    /// Its queue (job type).
    pub queue: String,
    /// Its id.
    pub id: ID,
    /// Attempts made.
    pub attempts: u64,
    /// Its last error.
    pub error: String,
    /// Its arguments (JSON).
    pub payload: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = encode_cursor("r", "42");
        assert_eq!(decode_cursor("r", &c).unwrap(), "42");
        assert!(decode_cursor("q", &c).is_err());
        assert!(decode_cursor("r", "not base64!").is_err());
        assert!(page_size(0).is_err() && page_size(101).is_err() && page_size(100).is_ok());
    }
}
