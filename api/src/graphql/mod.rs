//! The GraphQL API: one schema (`schema.graphql` at the repository root is generated from it; a test fails when they
//! differ), served at `/graphql` over HTTP and websockets.
//!
//! - [`query`]: channels, games, languages, the platform, rankings, series and their run history, sources, dead jobs.
//! - [`mutation`]: `login`, the admin operations (pull now, re-run, backfill, requeue), users and groups.
//! - [`users`]: `me`, users, groups and API keys in the schema (guards and tokens are in [`crate::auth`]).
//! - [`subscription`]: `seriesReady` and `rankingsUpdated`, from the pub/sub port.
//! - [`types`]: the object types. [`loaders`]: batched channel and game lookups, through [`entities`] (profiles and
//!   ranking pages decoded, kept per data version). [`error`]: error codes.
//!   [`limits`]: depth, complexity, alias and operation limits, the sign-in check, and the codes of async-graphql's
//!   own errors. [`nulls`]: failed fields answer null where the specification says. [`extension`]: the same checks
//!   and nulls for operations over websockets.
//!
//! Conventions: lists are Relay connections (`first` required, at most 100; `after` an opaque cursor); times are the
//! `DateTime` scalar (RFC 3339, UTC); every error has `extensions.code`.

pub mod entities;
pub mod error;
pub mod extension;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod nulls;
pub mod query;
pub mod subscription;
pub mod types;
pub mod users;

use std::sync::Arc;

use async_graphql::{Context, ID, Schema};
use streamlens_domain::config::SourceConfig;
use streamlens_domain::ids::SourceId;
use streamlens_domain::storage::Storage;
use streamlens_jobs::queue::Queue;

pub use limits::Limits;
pub use loaders::Loaders;
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

/// The schema.
pub type StreamlensSchema = Schema<Query, Mutation, Subscription>;

/// Most rows one page of a list may ask for.
pub const MAX_PAGE: usize = 100;

/// What resolvers reach.
#[derive(Clone)]
pub struct Gateway {
    /// The stores.
    pub storage: Storage,
    /// The queue (pulls, re-runs, backfills).
    pub queue: Queue,
    /// The configured sources.
    pub sources: Arc<Vec<SourceConfig>>,
    /// Events for subscriptions: the notifier's, each once the response cache has moved past it.
    pub events: crate::cache::AppliedEvents,
    /// Batched channel and game reads.
    pub loaders: Arc<Loaders>,
    /// Profiles and ranking pages, decoded, per data version.
    pub entities: entities::EntityCache,
    /// Users, tokens, API keys.
    pub auth: crate::auth::Auth,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field(
                "sources",
                &self.sources.iter().map(|s| s.id.to_string()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// The source a query names, or the first configured one.
    pub fn source(&self, id: Option<&ID>) -> async_graphql::Result<&SourceConfig> {
        match id {
            None => self
                .sources
                .first()
                .ok_or_else(|| error::not_found("no source is configured")),
            Some(id) => self
                .sources
                .iter()
                .find(|s| s.id.as_str() == id.as_str())
                .ok_or_else(|| error::not_found(format!("no source {:?}", id.as_str()))),
        }
    }

    /// The source id a query names, or the first configured one's.
    pub fn source_id(&self, id: Option<&ID>) -> async_graphql::Result<SourceId> {
        self.source(id).map(|s| s.id.clone())
    }
}

/// The gateway from a resolver's context.
pub fn gateway<'a>(ctx: &Context<'a>) -> &'a Gateway {
    ctx.data_unchecked::<Gateway>()
}

/// The schema over `gateway`, with `limits`, for HTTP: without extensions, since [`crate::App::execute`] checks each
/// request before it runs and finishes its answer after.
pub fn build(gateway: Gateway, limits: Limits) -> StreamlensSchema {
    builder(gateway, limits).finish()
}

/// The same schema for websockets, whose operations async-graphql runs itself: its extension checks and finishes
/// them as [`crate::App::execute`] does over HTTP.
pub fn build_for_websockets(gateway: Gateway, limits: Limits, types: Arc<nulls::FieldTypes>) -> StreamlensSchema {
    builder(gateway, limits)
        .extension(extension::GatewayExtension { limits, types })
        .finish()
}

fn builder(gateway: Gateway, limits: Limits) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let loaders = Arc::clone(&gateway.loaders);
    Schema::build(Query, Mutation, Subscription)
        .data(gateway)
        .data(loaders)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_directives(limits.directives)
}

/// The schema in SDL, as `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, Subscription).finish().sdl()
}
