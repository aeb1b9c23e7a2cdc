//! `games`: viewers and live channels per game in this slot, and each game's name and box art, looked up once
//! through the source's Helix API (the names in stream records are the fallback).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::GameId;
use streamlens_domain::record::PreparedStream;
use streamlens_domain::rollup::slot_facts;
use streamlens_domain::storage::meta::{Item, WriteOp, keys};

use super::prepare::Prepared;
use crate::pipeline::{Counts, PipelineError, Step, StepContext};
use crate::sources::registry::SourceClient;

/// One game in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameSlot {
    /// The game.
    pub game: GameId,
    /// Its name as the streams gave it.
    pub name: String,
    /// Σ viewers of its live channels.
    pub viewers: u64,
    /// Its live channels.
    pub channels: u64,
}

/// Per-game totals of a slot (one stream per channel), most viewers first (ties by id).
pub fn games(streams: &[PreparedStream]) -> Vec<GameSlot> {
    let names: BTreeMap<&GameId, &str> = streams
        .iter()
        .filter_map(|s| s.game.as_ref().map(|g| (g, s.game_name.as_str())))
        .collect();
    let mut per: BTreeMap<GameId, (u64, u64)> = BTreeMap::new();
    for fact in slot_facts(streams) {
        if let Some(game) = fact.game {
            let entry = per.entry(game).or_default();
            entry.0 += fact.viewers;
            entry.1 += 1;
        }
    }
    let mut out: Vec<GameSlot> = per
        .into_iter()
        .map(|(game, (viewers, channels))| GameSlot {
            name: names.get(&game).map(|n| (*n).to_owned()).unwrap_or_default(),
            game,
            viewers,
            channels,
        })
        .collect();
    out.sort_by(|a, b| b.viewers.cmp(&a.viewers).then_with(|| a.game.cmp(&b.game)));
    out
}

/// The step.
#[derive(Debug)]
pub struct Games;

#[async_trait]
impl Step for Games {
    fn name(&self) -> &'static str {
        "games"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["prepare"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let source = &cx.series.source;
        let prepared = cx.outputs.load::<Prepared>(cx.pipeline, "prepare").await?;
        let out = games(&prepared.streams);

        // Games seen for the first time (not in this process's cache, nor stored): look them up.
        let mut unknown = Vec::new();
        for game in &out {
            let cache_key = format!("{source}#{}", game.game);
            if cx.pipeline.game_names.contains_key(&cache_key) {
                continue;
            }
            if cx
                .pipeline
                .storage
                .meta
                .get(&keys::game(source, &game.game))
                .await?
                .is_some()
            {
                cx.pipeline.game_names.insert(cache_key, ());
            } else {
                unknown.push(game);
            }
        }
        let mut looked_up = BTreeMap::new();
        if !unknown.is_empty()
            && let Some(source_entry) = cx.pipeline.sources.get(source)
            && let SourceClient::Helix(client) = &source_entry.client
        {
            let ids: Vec<String> = unknown.iter().map(|g| g.game.to_string()).collect();
            match client.games(&ids).await {
                Ok(found) => looked_up = found.into_iter().map(|g| (g.id.clone(), g)).collect(),
                Err(error) => tracing::warn!(%error, "game lookup failed; using the names in the stream records"),
            }
        }
        let mut ops = Vec::new();
        for game in &unknown {
            let found = looked_up.get(game.game.as_str());
            let item = Item::new(keys::game(source, &game.game))
                .with("name", found.map_or(game.name.as_str(), |g| g.name.as_str()))
                .with("box_art_url", found.map_or("", |g| g.box_art_url.as_str()));
            ops.push(WriteOp::Put(item));
            cx.pipeline.game_names.insert(format!("{source}#{}", game.game), ());
        }
        cx.pipeline.storage.meta.batch_write(ops).await?;
        let counts = Counts::from([
            ("games".to_owned(), out.len() as u64),
            ("new_games".to_owned(), unknown.len() as u64),
        ]);
        cx.outputs.save_for_run(cx.pipeline, self.name(), out).await?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamlens_domain::helix::HelixStream;

    fn stream(id: &str, channel: &str, viewers: i64, game: &str) -> PreparedStream {
        PreparedStream::from_helix(&HelixStream {
            id: id.into(),
            user_id: channel.into(),
            user_login: format!("c{channel}"),
            user_name: channel.into(),
            game_id: game.into(),
            game_name: format!("Game {game}"),
            stream_type: "live".into(),
            title: String::new(),
            viewer_count: viewers,
            started_at: "2026-11-26T10:00:00Z".into(),
            language: "en".into(),
            thumbnail_url: String::new(),
            tags: None,
            tag_ids: None,
            is_mature: None,
        })
        .unwrap()
    }

    #[test]
    fn per_game_totals_count_a_channel_once() {
        let out = games(&[
            stream("1", "1", 10, "7"),
            stream("2", "1", 20, "7"),
            stream("3", "2", 5, "8"),
            stream("4", "3", 0, ""),
        ]);
        let view: Vec<(&str, &str, u64, u64)> = out
            .iter()
            .map(|g| (g.game.as_str(), g.name.as_str(), g.viewers, g.channels))
            .collect();
        assert_eq!(view, [("7", "Game 7", 20, 1), ("8", "Game 8", 5, 1)]);
    }
}
