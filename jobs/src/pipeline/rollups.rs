//! Period rollups and rankings, recomputed from the level below and written where readers look.
//!
//! A new slot is added to its hour's stored totals in place; an hour whose slot comes again (a re-run or a
//! repeated series) is recomputed from the `viewers` outputs (slot facts) of its observed slots; a day from its hours' rollups,
//! a week and a month from their days'. Each recompute runs under the period's lock and writes: the rollup
//! (`rollups/{source}/{kind}/{period}`), a stats item per channel, game, language and the platform, and for hours each
//! live channel's minute values (kept `minute_retention`). Rankings are recomputed from the latest rollup under the
//! same lock, with rank changes against the previous period's rankings. An hour's broadcasts are recomputed from its
//! rollup and the previous hour's broadcasts, then the following hours while they change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use streamlens_domain::ids::{ChannelId, SourceId};
use streamlens_domain::rollup::{
    ChannelBroadcast, ChannelPeriodStats, Filter, GroupPeriodStats, GroupTotals, HourBroadcasts, PeriodRollup,
    RankingList, Rankings, SlotFact, built_from, rankings,
};
use streamlens_domain::storage::blob::{BlobKey, layout};
use streamlens_domain::storage::meta::keys::{self, RankingFilter, StatsOf};
use streamlens_domain::storage::meta::{Item, WriteOp};
use streamlens_domain::time::{Period, PeriodKind, Slot, SlotLength};

use super::{PipelineContext, PipelineError};

/// Reads a stored document (JSON, zstd) through the document cache, `None` if absent.
pub(crate) async fn read_json<T>(ctx: &PipelineContext, key: &BlobKey) -> Result<Option<Arc<T>>, PipelineError>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    ctx.documents.read(ctx.storage.blobs.as_ref(), key).await
}

/// Writes a document (JSON, zstd) and keeps it in the document cache.
pub(crate) async fn write_json<T>(ctx: &PipelineContext, key: &BlobKey, value: T) -> Result<Arc<T>, PipelineError>
where
    T: Serialize + Send + Sync + 'static,
{
    ctx.documents.write(ctx.storage.blobs.as_ref(), key, value).await
}

/// Every blob key under `prefix`.
async fn list_keys(ctx: &PipelineContext, prefix: &str) -> Result<Vec<String>, PipelineError> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ctx.storage.blobs.list(prefix, after.as_deref(), 1000).await?;
        keys.extend(page.entries.into_iter().map(|e| e.key.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(keys),
        }
    }
}

/// Recomputes an hour from the slot facts of its observed slots.
async fn compute_hour(
    ctx: &PipelineContext,
    source: &SourceId,
    hour: Period,
    slot_length: SlotLength,
) -> Result<PeriodRollup, PipelineError> {
    // Slot keys of the hour share the prefix ".../2026-11-26/2026-11-26T11:" (whatever the slot length).
    let prefix = layout::clean_hour_prefix(source, hour.start());
    let folder = &prefix[..prefix.rfind('/').map_or(0, |i| i + 1)];
    let mut slots: Vec<(Slot, Arc<Vec<SlotFact>>)> = Vec::new();
    for key in list_keys(ctx, &prefix).await? {
        let Some(slot_text) = key
            .strip_prefix(folder)
            .and_then(|k| k.strip_suffix("/viewers.json.zst"))
        else {
            continue;
        };
        let Ok(slot) = slot_text.parse::<Slot>() else {
            continue;
        };
        if slot.length() != slot_length || !hour.contains(slot.start()) {
            continue;
        }
        let facts = read_json::<Vec<SlotFact>>(ctx, &BlobKey::parse(key)?).await?;
        slots.push((slot, facts.unwrap_or_default()));
    }
    let slots: Vec<(Slot, &[SlotFact])> = slots.iter().map(|(slot, facts)| (*slot, facts.as_slice())).collect();
    Ok(PeriodRollup::from_slots(source.clone(), hour, slot_length, &slots))
}

/// Recomputes a day, week or month from the rollups of the periods below it.
async fn compute_from_below(
    ctx: &PipelineContext,
    source: &SourceId,
    period: Period,
    slot_length: SlotLength,
) -> Result<PeriodRollup, PipelineError> {
    let below = built_from(period.kind()).unwrap_or(PeriodKind::Hour);
    let mut parts = Vec::new();
    // Candidate parts: the periods of the kind below that start inside this one.
    for part in Period::covering(below, period.start(), period.end()).filter(|p| period.contains(p.start())) {
        if let Some(rollup) = read_json::<PeriodRollup>(ctx, &layout::rollup(source, part)?).await? {
            parts.push(rollup);
        }
    }
    Ok(PeriodRollup::combine(source.clone(), period, slot_length, &parts))
}

/// The writes that bring the stats items and (for an hour) minute items of a period from `old` (what is stored, if
/// anything) to `rollup`: items whose content is unchanged are not written again, items of entities that left the
/// period are deleted.
fn item_writes(
    ctx: &PipelineContext,
    old: Option<&PeriodRollup>,
    rollup: &PeriodRollup,
) -> Result<Vec<WriteOp>, PipelineError> {
    let source = &rollup.source;
    let period = rollup.period;
    let mut ops = Vec::with_capacity(rollup.channels.len() * 2 + rollup.games.len() + rollup.languages.len() + 1);
    let expires_at = (period.end() + ctx.settings.minute_retention).timestamp();
    // Every stats item carries the period's coverage: with another coverage, all of them change.
    let same_coverage =
        old.is_some_and(|o| o.observed_slots == rollup.observed_slots && o.slot_length == rollup.slot_length);
    let same_slots = old.is_some_and(|o| o.slot_length == rollup.slot_length);
    for (id, totals) in &rollup.channels {
        let was = old.and_then(|o| o.channels.get(id));
        let stats_unchanged = same_coverage
            && was.is_some_and(|w| {
                (&w.login, &w.language, &w.stats, &w.games)
                    == (&totals.login, &totals.language, &totals.stats, &totals.games)
            });
        if !stats_unchanged {
            let stats = ChannelPeriodStats::of(rollup, totals);
            ops.push(WriteOp::Put(Item::from_record(
                keys::stats(source, StatsOf::Channel(id), period),
                &stats,
            )?));
        }
        let minutes_unchanged = same_slots && was.is_some_and(|w| w.minutes == totals.minutes);
        if !totals.minutes.is_empty() && !minutes_unchanged {
            let minutes = Item::new(keys::channel_minutes(source, id, period))
                .with("slot_minutes", rollup.slot_length.minutes())
                .with("viewers", serde_json::to_value(&totals.minutes).unwrap_or_default())
                .with_expiry(expires_at);
            ops.push(WriteOp::Put(minutes));
        }
    }
    let group =
        |of: StatsOf<'_>, was: Option<&GroupTotals>, totals: &GroupTotals| -> Result<Option<WriteOp>, PipelineError> {
            if same_coverage && was == Some(totals) {
                return Ok(None);
            }
            let stats = GroupPeriodStats::of(rollup, totals);
            Ok(Some(WriteOp::Put(Item::from_record(
                keys::stats(source, of, period),
                &stats,
            )?)))
        };
    for (id, totals) in &rollup.games {
        ops.extend(group(StatsOf::Game(id), old.and_then(|o| o.games.get(id)), totals)?);
    }
    for (language, totals) in &rollup.languages {
        ops.extend(group(
            StatsOf::Language(language),
            old.and_then(|o| o.languages.get(language)),
            totals,
        )?);
    }
    ops.extend(group(StatsOf::Platform, old.map(|o| &o.platform), &rollup.platform)?);
    // Entities of the stored version that are not in this one (a re-run over changed data).
    if let Some(old) = old {
        for id in old.channels.keys().filter(|id| !rollup.channels.contains_key(*id)) {
            ops.push(WriteOp::Delete(keys::stats(source, StatsOf::Channel(id), period)));
            ops.push(WriteOp::Delete(keys::channel_minutes(source, id, period)));
        }
        for id in old.games.keys().filter(|id| !rollup.games.contains_key(*id)) {
            ops.push(WriteOp::Delete(keys::stats(source, StatsOf::Game(id), period)));
        }
        for language in old.languages.keys().filter(|l| !rollup.languages.contains_key(*l)) {
            ops.push(WriteOp::Delete(keys::stats(
                source,
                StatsOf::Language(language),
                period,
            )));
        }
    }
    Ok(ops)
}

fn lock_name(source: &SourceId, period: Period) -> String {
    format!("rollup:{source}:{period}")
}

/// Recomputes `period` of `source` from the level below and writes it; returns the rollup.
pub async fn recompute(
    ctx: &PipelineContext,
    source: &SourceId,
    period: Period,
    slot_length: SlotLength,
) -> Result<Arc<PeriodRollup>, PipelineError> {
    ctx.locks
        .with(&lock_name(source, period), async {
            let key = layout::rollup(source, period)?;
            let old: Option<Arc<PeriodRollup>> = read_json(ctx, &key).await?;
            let rollup = match period.kind() {
                PeriodKind::Hour => compute_hour(ctx, source, period, slot_length).await?,
                _ => compute_from_below(ctx, source, period, slot_length).await?,
            };
            store(ctx, &key, old, rollup).await
        })
        .await?
}

/// Brings the hour of `slot` up to date with the slot's facts (the `viewers` output of its series): added to the
/// stored totals in place when the slot is not in them yet (a new or late series), the hour recomputed from all its
/// slots otherwise (a repeated or re-run series, whose facts may differ). Returns the hour's rollup.
pub async fn add_slot(
    ctx: &PipelineContext,
    source: &SourceId,
    slot: Slot,
    facts: &[SlotFact],
) -> Result<Arc<PeriodRollup>, PipelineError> {
    let hour = Period::containing(PeriodKind::Hour, slot.start());
    ctx.locks
        .with(&lock_name(source, hour), async {
            let key = layout::rollup(source, hour)?;
            let old: Option<Arc<PeriodRollup>> = read_json(ctx, &key).await?;
            let rollup = match old.as_deref() {
                // Not copied when it is recomputed anyway.
                Some(old) if !old.can_push(slot) => compute_hour(ctx, source, hour, slot.length()).await?,
                stored => {
                    let mut grown = stored
                        .cloned()
                        .unwrap_or_else(|| PeriodRollup::empty(source.clone(), hour, slot.length()));
                    if grown.push_slot(slot, facts) {
                        grown
                    } else {
                        compute_hour(ctx, source, hour, slot.length()).await?
                    }
                }
            };
            store(ctx, &key, old, rollup).await
        })
        .await?
}

/// Writes a period's items (those that changed since `old`), then its rollup. In that order: a run killed between
/// the two finds the old rollup, computes the same new one and writes the items again.
async fn store(
    ctx: &PipelineContext,
    key: &BlobKey,
    old: Option<Arc<PeriodRollup>>,
    rollup: PeriodRollup,
) -> Result<Arc<PeriodRollup>, PipelineError> {
    ctx.storage
        .meta
        .batch_write(item_writes(ctx, old.as_deref(), &rollup)?)
        .await?;
    match old {
        Some(old) if *old == rollup => Ok(old),
        _ => write_json(ctx, key, rollup).await,
    }
}

/// Recomputes the rankings of `period` from its rollup (under the period's lock) and writes them; then, if the
/// next period has rankings, recomputes those too (their rank changes depend on this period's). Returns how many
/// ranking lists were written.
pub async fn rerank(ctx: &PipelineContext, source: &SourceId, period: Period) -> Result<usize, PipelineError> {
    let written = rerank_one(ctx, source, period).await?;
    // The next period's rank changes are against this one. Its rollup is written before its rankings are computed,
    // so checking the rollup (not the rankings) cannot miss a next period whose rankings are being computed now.
    let next = period.next();
    if ctx.storage.blobs.head(&layout::rollup(source, next)?).await?.is_some() {
        rerank_one(ctx, source, next).await?;
    }
    Ok(written)
}

async fn rerank_one(ctx: &PipelineContext, source: &SourceId, period: Period) -> Result<usize, PipelineError> {
    ctx.locks
        .with(&lock_name(source, period), async {
            let Some(rollup) = read_json::<PeriodRollup>(ctx, &layout::rollup(source, period)?).await? else {
                return Ok(0);
            };
            let previous: Option<Arc<Rankings>> = read_json(ctx, &layout::rankings(source, period.previous())?).await?;
            let ranked = rankings(&rollup, previous.as_deref());
            let key = layout::rankings(source, period)?;
            let old: Option<Arc<Rankings>> = read_json(ctx, &key).await?;
            if old.as_deref() == Some(&ranked) {
                return Ok(ranked.lists.len());
            }
            // The stored pages: a page whose rows and list length are unchanged is not written again.
            let mut stored = HashMap::new();
            for list in old.iter().flat_map(|o| o.lists.iter()) {
                let partition = ranking_partition(source, period, list);
                for page in list.rows.chunks(keys::RANKING_PAGE as usize) {
                    let first = page.first().map_or(1, |r| r.rank);
                    stored.insert(keys::ranking_page(&partition, first), (list.rows.len(), page));
                }
            }
            let mut ops = Vec::new();
            let mut pages = HashSet::new();
            for list in &ranked.lists {
                let partition = ranking_partition(source, period, list);
                let total = list.rows.len();
                for page in list.rows.chunks(keys::RANKING_PAGE as usize) {
                    let first = page.first().map_or(1, |r| r.rank);
                    let key = keys::ranking_page(&partition, first);
                    pages.insert(key.clone());
                    if stored.get(&key) == Some(&(total, page)) {
                        continue;
                    }
                    let item = Item::new(key)
                        .with("total", total)
                        .with("rows", serde_json::to_value(page).unwrap_or_default());
                    ops.push(WriteOp::Put(item));
                }
            }
            // Pages of lists that shrank or went away (a channel's language or game is its last seen one).
            for key in stored.into_keys() {
                if !pages.contains(&key) {
                    ops.push(WriteOp::Delete(key));
                }
            }
            ctx.storage.meta.batch_write(ops).await?;
            let lists = ranked.lists.len();
            write_json(ctx, &key, ranked).await?;
            Ok(lists)
        })
        .await?
}

/// The partition of one ranking list of `period`.
fn ranking_partition(source: &SourceId, period: Period, list: &RankingList) -> String {
    let filter = match &list.filter {
        Filter::All => RankingFilter::All,
        Filter::Language(language) => RankingFilter::Language(language),
        Filter::Game(game) => RankingFilter::Game(game),
    };
    keys::ranking_partition(source, list.ranked.key(), list.metric.key(), period, filter)
}

/// Recomputes the broadcasts of `hour` from its rollup and the previous hour's broadcasts, then the hours after it
/// while they change. Returns how many hours were rewritten.
pub async fn rebroadcast(ctx: &PipelineContext, source: &SourceId, hour: Period) -> Result<usize, PipelineError> {
    let mut rewritten = 0;
    let mut current = hour;
    // An hour only changes the next one by what it carries over; stop at the first hour that comes out unchanged,
    // or that has no rollup yet (its own series will read this hour's broadcasts when it comes).
    while rebroadcast_one(ctx, source, current).await? {
        rewritten += 1;
        current = current.next();
        if ctx
            .storage
            .blobs
            .head(&layout::rollup(source, current)?)
            .await?
            .is_none()
        {
            break;
        }
    }
    Ok(rewritten)
}

/// Recomputes one hour's broadcasts under the source's broadcasts lock; returns whether they changed.
///
/// One lock for every hour of a source, not one per hour: a broadcast crossing an hour boundary is one item that
/// both hours write after reading it (to keep the longer version), and two hours recomputed at once under locks of
/// their own could interleave that read and write, so the shorter version landed last (seen in a test of late
/// series).
async fn rebroadcast_one(ctx: &PipelineContext, source: &SourceId, hour: Period) -> Result<bool, PipelineError> {
    ctx.locks
        .with(&format!("broadcasts:{source}"), async {
            let Some(rollup) = read_json::<PeriodRollup>(ctx, &layout::rollup(source, hour)?).await? else {
                return Ok(false);
            };
            let key = layout::broadcasts(source, hour)?;
            let previous: Option<Arc<HourBroadcasts>> =
                read_json(ctx, &layout::broadcasts(source, hour.previous())?).await?;
            let computed = HourBroadcasts::compute(&rollup, previous.as_deref());
            let old: Option<Arc<HourBroadcasts>> = read_json(ctx, &key).await?;
            if old.as_deref() == Some(&computed) {
                return Ok(false);
            }
            let computed = write_json(ctx, &key, computed).await?;
            let mut ops = Vec::new();
            let new_keys: HashSet<(&ChannelId, DateTime<Utc>)> =
                computed.iter().map(|b| (&b.channel, b.start)).collect();
            // A broadcast that was in this hour and no longer is was merged into an earlier one.
            for gone in old.iter().flat_map(|o| o.iter()) {
                if !new_keys.contains(&(&gone.channel, gone.start)) {
                    ops.push(WriteOp::Delete(keys::broadcast(source, &gone.channel, gone.start)));
                }
            }
            let unchanged: HashSet<&ChannelBroadcast> = old.iter().flat_map(|o| o.iter()).collect();
            // Each hour a broadcast touches writes it, and the later hour holds more of it: an hour recomputed after
            // a later one must not put back a shorter version (a late series only ever lengthens a broadcast).
            let changed: Vec<&ChannelBroadcast> = computed.iter().filter(|b| !unchanged.contains(b)).collect();
            let item_keys: Vec<_> = changed
                .iter()
                .map(|b| keys::broadcast(source, &b.channel, b.start))
                .collect();
            let stored = ctx.storage.meta.get_many(&item_keys).await?;
            for ((broadcast, key), stored) in changed.into_iter().zip(item_keys).zip(stored) {
                let longer = stored
                    .and_then(|item| item.decode::<ChannelBroadcast>().ok())
                    .is_some_and(|s| s.end > broadcast.end);
                if !longer {
                    ops.push(WriteOp::Put(Item::from_record(key, broadcast)?));
                }
            }
            ctx.storage.meta.batch_write(ops).await?;
            Ok(true)
        })
        .await?
}

/// The bucket a roll-up request falls in: requests in one bucket make one job, run when the bucket ends.
pub fn bucket(now: DateTime<Utc>, width: chrono::Duration) -> DateTime<Utc> {
    let width = width.num_seconds().max(1);
    let secs = now.timestamp().div_euclid(width) * width + width;
    DateTime::from_timestamp(secs, 0).unwrap_or(now)
}
