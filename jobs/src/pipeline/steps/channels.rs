//! `channels`: channel profiles (login, display name, language, current game, title, broadcast start), the title and
//! game changes since the previous slot, and the lookups by login, name prefix, language and game.
//!
//! Changes are found against the previous slot's `channels` output, so a series' output depends only on its own data
//! and its previous slot's: re-runs give the same bytes. A late series also compares the next slot with itself (the
//! next slot found no previous one when it ran). Both, and the saving of the output, run under a per-slot lock, so of
//! two neighbours running at once the second always sees the first. Profiles only move forward: a late series does
//! not overwrite a profile written from a later slot. A re-run reads back only the profiles that its slot's earlier
//! output does not hold as they are now (the earlier run wrote those, or found them written from a later slot).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::{ChannelId, GameId, Language, Login, SeriesId, SourceId, StreamId};
use streamlens_domain::record::PreparedStream;
use streamlens_domain::storage::blob::layout;
use streamlens_domain::storage::meta::{Item, WriteOp, keys};
use streamlens_domain::time::Slot;

use super::prepare::Prepared;
use crate::pipeline::rollups::{read_json, write_json};
use crate::pipeline::{Counts, PipelineContext, PipelineError, Step, StepContext};

/// A channel as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelProfile {
    /// The channel.
    pub channel: ChannelId,
    /// Login.
    pub login: Login,
    /// Display name.
    pub display_name: String,
    /// Broadcast language.
    pub language: Option<Language>,
    /// Current game.
    pub game: Option<GameId>,
    /// Current game's name.
    pub game_name: String,
    /// Stream title.
    pub title: String,
    /// When the current stream started.
    pub started_at: DateTime<Utc>,
    /// The current stream.
    pub stream: StreamId,
    /// The slot this profile is from.
    pub as_of: Slot,
}

impl ChannelProfile {
    /// Whether two profiles differ in what a reader sees (not in stream id or slot).
    fn differs(&self, other: &ChannelProfile) -> bool {
        (
            &self.login,
            &self.display_name,
            &self.language,
            &self.game,
            &self.game_name,
            &self.title,
            self.started_at,
        ) != (
            &other.login,
            &other.display_name,
            &other.language,
            &other.game,
            &other.game_name,
            &other.title,
            other.started_at,
        )
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The title.
    Title,
    /// The game.
    Game,
}

/// A title or game change between two slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChange {
    /// The channel.
    pub channel: ChannelId,
    /// The slot the new value was first seen in.
    pub slot: Slot,
    /// What changed.
    pub kind: ChangeKind,
    /// The value before.
    pub from: String,
    /// The value after.
    pub to: String,
}

/// The output of `channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsOutput {
    /// Every live channel, by channel id.
    pub profiles: Vec<ChannelProfile>,
    /// Changes against the previous slot, by channel id.
    pub changes: Vec<ChannelChange>,
    /// Whether the previous slot's output was there to compare with.
    pub compared: bool,
}

/// One profile per live channel (a channel twice in a snapshot: its stream with the most viewers), by channel id.
pub fn profiles(streams: &[PreparedStream], slot: Slot) -> Vec<ChannelProfile> {
    let mut best: BTreeMap<&ChannelId, &PreparedStream> = BTreeMap::new();
    for stream in streams {
        let keep = best.get(&stream.channel).is_none_or(|b| {
            stream.viewers > b.viewers || (stream.viewers == b.viewers && stream.stream_id < b.stream_id)
        });
        if keep {
            best.insert(&stream.channel, stream);
        }
    }
    best.into_values()
        .map(|s| ChannelProfile {
            channel: s.channel.clone(),
            login: s.login.clone(),
            display_name: s.display_name.clone(),
            language: s.language.clone(),
            game: s.game.clone(),
            game_name: s.game_name.clone(),
            title: s.title.clone(),
            started_at: s.started_at,
            stream: s.stream_id.clone(),
            as_of: slot,
        })
        .collect()
}

/// Title and game changes of channels live in both slots.
pub fn changes(previous: &[ChannelProfile], current: &[ChannelProfile], slot: Slot) -> Vec<ChannelChange> {
    let before: BTreeMap<&ChannelId, &ChannelProfile> = previous.iter().map(|p| (&p.channel, p)).collect();
    let mut out = Vec::new();
    for now in current {
        let Some(was) = before.get(&now.channel) else {
            continue;
        };
        if was.title != now.title {
            out.push(ChannelChange {
                channel: now.channel.clone(),
                slot,
                kind: ChangeKind::Title,
                from: was.title.clone(),
                to: now.title.clone(),
            });
        }
        if was.game != now.game {
            out.push(ChannelChange {
                channel: now.channel.clone(),
                slot,
                kind: ChangeKind::Game,
                from: was.game.as_ref().map(ToString::to_string).unwrap_or_default(),
                to: now.game.as_ref().map(ToString::to_string).unwrap_or_default(),
            });
        }
    }
    out
}

/// The lookup items of a profile.
fn lookups(source: &SourceId, p: &ChannelProfile) -> Vec<streamlens_domain::storage::meta::Key> {
    let mut out = vec![
        keys::channel_login(source, &p.login),
        keys::channel_by_name(source, &p.login, &p.channel),
    ];
    if let Some(language) = &p.language {
        out.push(keys::channel_by_language(source, language, &p.login, &p.channel));
    }
    if let Some(game) = &p.game {
        out.push(keys::channel_by_game(source, game, &p.login, &p.channel));
    }
    out
}

/// The step.
#[derive(Debug)]
pub struct Channels;

#[async_trait]
impl Step for Channels {
    fn name(&self) -> &'static str {
        "channels"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["prepare"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let source = &cx.series.source;
        let slot = cx.series.slot;
        let prepared = cx.outputs.load::<Prepared>(cx.pipeline, "prepare").await?;
        let current = profiles(&prepared.streams, slot);
        let ctx = cx.pipeline;
        let (counts, output) = ctx
            .locks
            .with(&lock_name(source, slot), async {
                let previous_key = layout::clean_output(&SeriesId::new(source.clone(), slot.previous()), "channels")?;
                let previous: Option<Arc<ChannelsOutput>> = read_json(ctx, &previous_key).await?;
                let found = previous
                    .as_ref()
                    .map(|p| changes(&p.profiles, &current, slot))
                    .unwrap_or_default();
                // This slot's output of an earlier run: the profiles in it were written then (or found written from
                // a later slot), and need not be read back.
                let earlier: Option<Arc<ChannelsOutput>> =
                    read_json(ctx, &layout::clean_output(&cx.series.id, self.name())?).await?;
                let written =
                    write_profiles(ctx, source, slot, &current, previous.as_deref(), earlier.as_deref()).await?;
                ctx.storage.meta.batch_write(change_ops(source, &[], &found)?).await?;
                let counts = Counts::from([
                    ("channels".to_owned(), current.len() as u64),
                    ("profiles_written".to_owned(), written),
                    ("changes".to_owned(), found.len() as u64),
                ]);
                let output = ChannelsOutput {
                    profiles: current,
                    changes: found,
                    compared: previous.is_some(),
                };
                // Saved under the lock: the next slot, running now, either sees this output or has saved its own
                // before the re-comparison below takes its lock.
                let output = cx.outputs.save(ctx, self.name(), output).await?;
                Ok::<_, PipelineError>((counts, output))
            })
            .await??;
        // This series may be late: the next slot's changes were then found without it. Find them again.
        ctx.locks
            .with(
                &lock_name(source, slot.next()),
                recompare_next(ctx, source, slot, &output),
            )
            .await??;
        Ok(counts)
    }
}

fn lock_name(source: &SourceId, slot: Slot) -> String {
    format!("channels:{source}:{slot}")
}

/// Writes the profiles that are new or changed since `previous` (the previous slot's output), unless a later slot
/// wrote them already or an `earlier` run of this slot wrote them as they are; returns how many.
async fn write_profiles(
    ctx: &PipelineContext,
    source: &SourceId,
    slot: Slot,
    current: &[ChannelProfile],
    previous: Option<&ChannelsOutput>,
    earlier: Option<&ChannelsOutput>,
) -> Result<u64, PipelineError> {
    fn by_channel(output: Option<&ChannelsOutput>) -> BTreeMap<&ChannelId, &ChannelProfile> {
        output
            .iter()
            .flat_map(|o| o.profiles.iter())
            .map(|p| (&p.channel, p))
            .collect()
    }
    let (before, done) = (by_channel(previous), by_channel(earlier));
    let candidates: Vec<&ChannelProfile> = current
        .iter()
        .filter(|p| before.get(&p.channel).is_none_or(|was| was.differs(p)))
        .filter(|p| done.get(&p.channel).is_none_or(|was| was != p))
        .collect();
    let keys: Vec<_> = candidates.iter().map(|p| keys::channel(source, &p.channel)).collect();
    let stored_items = ctx.storage.meta.get_many(&keys).await?;
    let mut ops = Vec::new();
    let mut written = 0u64;
    for ((profile, key), stored) in candidates.into_iter().zip(keys).zip(stored_items) {
        let stored: Option<ChannelProfile> = stored.and_then(|item| item.decode().ok());
        // Written from a later slot, or already exactly this (a re-run): nothing to do.
        if stored.as_ref().is_some_and(|s| s.as_of > slot || s == profile) {
            continue;
        }
        if let Some(stored) = &stored {
            for old in lookups(source, stored) {
                if !lookups(source, profile).contains(&old) {
                    ops.push(WriteOp::Delete(old));
                }
            }
        }
        ops.push(WriteOp::Put(Item::from_record(key, profile)?));
        for lookup in lookups(source, profile) {
            let item = Item::new(lookup)
                .with("channel", profile.channel.as_str())
                .with("login", profile.login.as_str());
            ops.push(WriteOp::Put(item));
        }
        written += 1;
    }
    ctx.storage.meta.batch_write(ops).await?;
    Ok(written)
}

/// The writes that turn the change items `old` into `new` (all of one slot).
fn change_ops(source: &SourceId, old: &[ChannelChange], new: &[ChannelChange]) -> Result<Vec<WriteOp>, PipelineError> {
    let key = |c: &ChannelChange| {
        let kind = match c.kind {
            ChangeKind::Title => "title",
            ChangeKind::Game => "game",
        };
        keys::channel_change(source, &c.channel, c.slot, kind)
    };
    let mut ops: Vec<WriteOp> = old
        .iter()
        .filter(|o| !new.iter().any(|n| key(n) == key(o)))
        .map(|o| WriteOp::Delete(key(o)))
        .collect();
    for change in new {
        ops.push(WriteOp::Put(Item::from_record(key(change), change)?));
    }
    Ok(ops)
}

/// Compares the next slot's profiles with `this` slot's, if the next slot has been through `channels`, and rewrites
/// its changes and output when they differ.
async fn recompare_next(
    ctx: &PipelineContext,
    source: &SourceId,
    slot: Slot,
    this: &ChannelsOutput,
) -> Result<(), PipelineError> {
    let next = slot.next();
    let key = layout::clean_output(&SeriesId::new(source.clone(), next), "channels")?;
    let Some(stored) = read_json::<ChannelsOutput>(ctx, &key).await? else {
        return Ok(());
    };
    let found = changes(&this.profiles, &stored.profiles, next);
    if stored.compared && stored.changes == found {
        return Ok(());
    }
    ctx.storage
        .meta
        .batch_write(change_ops(source, &stored.changes, &found)?)
        .await?;
    let updated = ChannelsOutput {
        profiles: stored.profiles.clone(),
        changes: found,
        compared: true,
    };
    write_json(ctx, &key, updated).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(channel: &str, title: &str, game: &str) -> ChannelProfile {
        ChannelProfile {
            channel: ChannelId::parse(channel).unwrap(),
            login: Login::parse(format!("c{channel}")).unwrap(),
            display_name: channel.into(),
            language: None,
            game: Some(GameId::parse(game).unwrap()),
            game_name: game.into(),
            title: title.into(),
            started_at: DateTime::from_timestamp(0, 0).unwrap(),
            stream: StreamId::parse("s").unwrap(),
            as_of: "2026-11-26T11:27:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn title_and_game_changes_of_channels_live_in_both_slots() {
        let slot: Slot = "2026-11-26T11:28:00Z".parse().unwrap();
        let before = vec![profile("1", "a", "g"), profile("2", "b", "g")];
        let after = vec![profile("1", "a2", "g"), profile("2", "b", "h"), profile("3", "c", "g")];
        let found = changes(&before, &after, slot);
        let view: Vec<(&str, ChangeKind, &str, &str)> = found
            .iter()
            .map(|c| (c.channel.as_str(), c.kind, c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(
            view,
            [("1", ChangeKind::Title, "a", "a2"), ("2", ChangeKind::Game, "g", "h")]
        );
        assert!(!profile("1", "a", "g").differs(&profile("1", "a", "g")));
    }
}
