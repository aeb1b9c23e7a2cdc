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

use async_graphql::parser::types::ExecutableDocument;
use metrics_exporter_prometheus::PrometheusHandle;
use streamlens_domain::config::GatewayConfig;
use streamlens_domain::config::SourceConfig;
use streamlens_domain::storage::Storage;
use streamlens_jobs::notify::Notifier;
use streamlens_jobs::queue::Queue;
use tokio::net::TcpListener;

use auth::Principal;
use cache::ResponseCache;
use graphql::{Gateway, Limits, StreamlensSchema};

/// What every handler can reach.
#[derive(Clone)]
pub struct App {
    /// The blob and metadata stores.
    pub storage: Storage,
    /// The job queue.
    pub queue: Queue,
    /// The GraphQL schema, with its data, as HTTP requests run it ([`App::execute`]).
    pub schema: StreamlensSchema,
    /// The same schema for websockets, with the extension that checks and finishes their operations.
    pub ws_schema: StreamlensSchema,
    /// What one request may ask.
    pub limits: Limits,
    /// The schema's field types, for the nulls of failed fields.
    pub types: Arc<graphql::nulls::FieldTypes>,
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
        // First, so the counters registered below reach it.
        let metrics = streamlens_jobs::observability::install();
        let ttl = std::time::Duration::from_secs(30);
        let cache = ResponseCache::in_process(&notifier, ttl);
        let entities = graphql::entities::EntityCache::new(cache.data_version(), ttl);
        let gateway = Gateway {
            storage: storage.clone(),
            queue: queue.clone(),
            sources: Arc::new(sources),
            events: cache.events(),
            loaders: Arc::new(graphql::Loaders::new(Arc::clone(&storage.meta), entities.clone())),
            entities,
            auth: auth.clone(),
        };
        let limits = Limits::default();
        let schema = graphql::build(gateway.clone(), limits);
        let types = Arc::new(graphql::nulls::FieldTypes::of(&schema.sdl()));
        Self {
            storage,
            queue,
            ws_schema: graphql::build_for_websockets(gateway, limits, Arc::clone(&types)),
            schema,
            limits,
            types,
            metrics,
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

impl App {
    /// Runs one GraphQL operation as every HTTP route does: parsed (through the document cache), admitted
    /// ([`Limits::admit`]), executed for `principal`, its failed fields' nulls put where the specification puts them
    /// ([`graphql::nulls`]) and every error given a code.
    pub async fn execute(&self, mut request: async_graphql::Request, principal: Principal) -> async_graphql::Response {
        match self.documents.parse(&mut request) {
            Ok(document) => self.execute_parsed(request, &document, principal).await,
            Err(error) => async_graphql::Response::from_errors(vec![error]),
        }
    }

    /// [`App::execute`] for a request whose `document` was parsed already (and set on it).
    pub(crate) async fn execute_parsed(
        &self,
        request: async_graphql::Request,
        document: &ExecutableDocument,
        principal: Principal,
    ) -> async_graphql::Response {
        if let Err(error) = self.limits.admit(Some(&principal), document) {
            return async_graphql::Response::from_errors(vec![error]);
        }
        let operation = request.operation_name.clone();
        let mut response = self.schema.execute(request.data(principal)).await;
        graphql::nulls::fill(&mut response, document, operation.as_deref(), &self.types);
        Limits::code_errors(&mut response);
        response
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
