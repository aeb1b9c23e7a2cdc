//! Batched lookups: every channel and game a response names is read in one `get_many` per batch (async-graphql's
//! `DataLoader`), so a 100-row ranking with nested channels and games costs two store reads, not 200.
//!
//! Between requests, what they read is kept decoded under the data version ([`super::entities`]): as fresh as the
//! latest series this process heard of.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::{ChannelId, GameId, SourceId};
use streamlens_domain::storage::meta::{MetaStore, keys};
use streamlens_jobs::pipeline::steps::channels::ChannelProfile;

use super::entities::EntityCache;
use super::error::internal;

/// A game's name and box art, as the `games` step stored them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GameProfile {
    /// The game's name.
    pub name: String,
    /// Its box art URL template (`{width}x{height}`), empty when unknown.
    #[serde(default)]
    pub box_art_url: String,
}

/// Reads channel profiles by (source, id).
pub struct ChannelLoader(pub Arc<dyn MetaStore>, pub EntityCache);

/// Reads game profiles by (source, id).
pub struct GameLoader(pub Arc<dyn MetaStore>, pub EntityCache);

impl std::fmt::Debug for ChannelLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelLoader")
    }
}

impl std::fmt::Debug for GameLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GameLoader")
    }
}

/// What a loader's failure carries (cloned to every key of the batch).
pub type LoadError = Arc<str>;

impl Loader<(SourceId, ChannelId)> for ChannelLoader {
    type Value = ChannelProfile;
    type Error = LoadError;

    async fn load(
        &self,
        ids: &[(SourceId, ChannelId)],
    ) -> Result<HashMap<(SourceId, ChannelId), ChannelProfile>, LoadError> {
        let keys: Vec<_> = ids.iter().map(|(s, c)| keys::channel(s, c)).collect();
        let found = self
            .1
            .get_many::<ChannelProfile>(&*self.0, &keys)
            .await
            .map_err(|e| Arc::from(e.to_string()))?;
        Ok(ids
            .iter()
            .zip(found)
            .filter_map(|(id, profile)| Some((id.clone(), Arc::unwrap_or_clone(profile?))))
            .collect())
    }
}

impl Loader<(SourceId, GameId)> for GameLoader {
    type Value = GameProfile;
    type Error = LoadError;

    async fn load(&self, ids: &[(SourceId, GameId)]) -> Result<HashMap<(SourceId, GameId), GameProfile>, LoadError> {
        let keys: Vec<_> = ids.iter().map(|(s, g)| keys::game(s, g)).collect();
        let found = self
            .1
            .get_many::<GameProfile>(&*self.0, &keys)
            .await
            .map_err(|e| Arc::from(e.to_string()))?;
        Ok(ids
            .iter()
            .zip(found)
            .filter_map(|(id, profile)| Some((id.clone(), Arc::unwrap_or_clone(profile?))))
            .collect())
    }
}

/// The loaders a schema holds.
pub struct Loaders {
    /// Channels.
    pub channels: DataLoader<ChannelLoader>,
    /// Games.
    pub games: DataLoader<GameLoader>,
}

impl std::fmt::Debug for Loaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Loaders")
    }
}

impl Loaders {
    /// Loaders over `meta` through `entities`, batching up to 100 keys.
    pub fn new(meta: Arc<dyn MetaStore>, entities: EntityCache) -> Self {
        Self {
            channels: DataLoader::new(ChannelLoader(Arc::clone(&meta), entities.clone()), tokio::spawn)
                .max_batch_size(100),
            games: DataLoader::new(GameLoader(meta, entities), tokio::spawn).max_batch_size(100),
        }
    }
}

/// A channel's profile through the loader.
pub async fn load_channel(ctx: &Context<'_>, source: &SourceId, id: &ChannelId) -> Result<Option<ChannelProfile>> {
    let loaders = ctx.data::<Arc<Loaders>>()?;
    loaders
        .channels
        .load_one((source.clone(), id.clone()))
        .await
        .map_err(internal)
}

/// A game's profile through the loader.
pub async fn load_game(ctx: &Context<'_>, source: &SourceId, id: &GameId) -> Result<Option<GameProfile>> {
    let loaders = ctx.data::<Arc<Loaders>>()?;
    loaders
        .games
        .load_one((source.clone(), id.clone()))
        .await
        .map_err(internal)
}
