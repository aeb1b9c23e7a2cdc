//! The Streamlens gateway: the HTTP server every client talks to.
//!
//! # Layout
//!
//! - [`graphql`]: the schema (queries, mutations, subscriptions), its types, loaders, limits and error codes.
//! - [`auth`]: roles, permissions, users, groups, API keys, tokens, and the guards on the schema.
//! - [`http`]: the router: GraphiQL, `/graphql`, REST twins, health, metrics.
//! - [`cache`]: the response cache of read-only requests (in-process, and Redis when configured).
//! - [`App`]: the shared state handlers read, and [`serve`], which runs the router until shutdown.
//!
//! The `streamlens` binary (`src/main.rs`) runs the server, the workers, the scheduler and the built-in simulator in
//! one process; the `api` binary (`src/bin/api.rs`) runs the gateway alone, for deployments whose workers and
//! scheduler are processes of their own.

pub mod auth;
pub mod cache;
pub mod graphql;
pub mod http;

use std::future::Future;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use streamlens_domain::config::GatewayConfig;
use streamlens_domain::config::SourceConfig;
use streamlens_domain::storage::Storage;
use streamlens_jobs::notify::Notifier;
use streamlens_jobs::queue::Queue;
use tokio::net::TcpListener;

use cache::ResponseCache;
use graphql::{Gateway, Limits, StreamlensSchema};

/// What every handler can reach.
#[derive(Clone)]
pub struct App {
    /// The blob and metadata stores.
    pub storage: Storage,
    /// The job queue.
    pub queue: Queue,
    /// The GraphQL schema, with its data.
    pub schema: StreamlensSchema,
    /// The metrics registry `/metrics` renders.
    pub metrics: PrometheusHandle,
    /// Responses of read-only requests.
    pub cache: ResponseCache,
    /// Parsed GraphQL documents.
    pub documents: http::graphql::Documents,
    /// CORS, rate limits, timeouts, the explorer.
    pub http: Arc<http::layers::HttpSettings>,
    /// Who is calling.
    pub auth: auth::Auth,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl App {
    /// The gateway over these stores, queue, sources and notifier, with callers authenticated by `auth`.
    pub fn new(
        storage: Storage,
        queue: Queue,
        sources: Vec<SourceConfig>,
        notifier: Notifier,
        auth: auth::Auth,
    ) -> Self {
        let ttl = std::time::Duration::from_secs(30);
        let cache = ResponseCache::in_process(&notifier, ttl);
        let entities = graphql::entities::EntityCache::new(cache.data_version(), ttl);
        let gateway = Gateway {
            storage: storage.clone(),
            queue: queue.clone(),
            sources: Arc::new(sources),
            notifier,
            loaders: Arc::new(graphql::Loaders::new(Arc::clone(&storage.meta), entities.clone())),
            entities,
            auth: auth.clone(),
        };
        Self {
            storage,
            queue,
            schema: graphql::build(gateway, Limits::default()),
            metrics: streamlens_jobs::observability::install(),
            cache,
            documents: http::graphql::Documents::default(),
            http: http::layers::HttpSettings::new(GatewayConfig::default()),
            auth,
        }
    }

    /// The gateway of `runtime`: its stores, queue, sources and events, with its configured HTTP settings and response
    /// cache, callers authenticated by `auth`.
    pub async fn from_runtime(
        runtime: &streamlens_jobs::runtime::Runtime,
        auth: auth::Auth,
    ) -> Result<Self, redis::RedisError> {
        Self::new(
            runtime.storage.clone(),
            runtime.queue.clone(),
            runtime.config.sources.clone(),
            runtime.notifier.clone(),
            auth,
        )
        .with_gateway(runtime.config.gateway.clone())
        .with_cache(&runtime.config.cache, &runtime.config.queue_namespace)
        .await
    }

    /// The same gateway with these HTTP settings.
    pub fn with_gateway(mut self, config: GatewayConfig) -> Self {
        self.http = http::layers::HttpSettings::new(config);
        self
    }

    /// The same gateway with responses also cached in Redis when `cache` says so (keys under
    /// `{namespace}:cache:`).
    pub async fn with_cache(
        mut self,
        cache: &streamlens_domain::config::CacheUrl,
        namespace: &str,
    ) -> Result<Self, redis::RedisError> {
        if let streamlens_domain::config::CacheUrl::Redis(url) = cache {
            self.cache = self.cache.with_redis(url, namespace).await?;
        }
        Ok(self)
    }
}

/// The gateway of `runtime`, ready to serve: callers authenticated against its metadata store, and the first admin
/// created when there is none (a generated password is printed once, on standard output).
pub async fn gateway(runtime: &streamlens_jobs::runtime::Runtime) -> anyhow::Result<App> {
    use anyhow::Context as _;
    let config = &runtime.config.auth;
    let auth = auth::Auth::new(config, runtime.storage.meta.clone())
        .await
        .context("reading the token secret")?;
    if let Some(password) = auth.ensure_admin(config).await.context("creating the first admin")? {
        // Shown once: the admin is created now and the password is kept only as a hash.
        #[allow(clippy::print_stdout)]
        {
            println!(
                "\n  Created the admin {:?} with the password {password}\n  (shown once; set STREAMLENS_ADMIN_PASSWORD to choose it)\n",
                config.admin_login
            );
        }
    }
    if !config.anonymous {
        tracing::info!("anonymous reads are off: log in with the `login` mutation");
    }
    App::from_runtime(runtime, auth)
        .await
        .context("connecting to the response cache")
}

/// Serves the router on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = http::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
