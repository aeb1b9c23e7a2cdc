//! Configuration: one typed struct per area, loaded once at start-up from `STREAMLENS_*` environment variables and an
//! optional TOML file named by `STREAMLENS_CONFIG`.
//!
//! Every setting is listed in [`VARIABLES`] (the README's configuration table is checked against it by a test). An
//! environment variable wins over the file's key of the same name (the variable without its prefix, lowercase), and
//! the file over the default. Sources are `[[source]]` tables of the file ([`sources`]). A bad value stops start-up
//! with the variable's name and, for the file, where it was set; the default needs no service at all: files and
//! SQLite under `./data`, and the built-in simulator as the source.
//!
//! - [`variables`]: every setting with its default and meaning.
//! - [`urls`]: the URLs that pick each store's adapter.
//! - [`sources`]: the `[[source]]` tables and their schedules.

pub mod auth;
pub mod sources;
pub mod urls;
pub mod variables;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use auth::{AuthConfig, JwksConfig};
pub use sources::{HelixCredentials, Schedule, SourceConfig, SourceKind};

use crate::storage::blob::areas::BlobArea;
pub use urls::{BlobsUrl, CacheUrl, MetaUrl, PubSubUrl, QueueUrl};
pub use variables::{VARIABLES, Variable};

/// A setting that could not be used, named by its variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    /// The variable, and where it was set when that was the file.
    pub variable: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// Everything a Streamlens process is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Folder of the embedded default stores.
    pub data_dir: PathBuf,
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Where data is kept.
    pub storage: StorageConfig,
    /// The job queue.
    pub queue: QueueUrl,
    /// Prefix of the queue's, the locks' and the events' Redis keys.
    pub queue_namespace: String,
    /// Jobs one worker process runs at once, per job type.
    pub worker_concurrency: usize,
    /// Where events go.
    pub pubsub: PubSubUrl,
    /// An Amazon EventBridge bus events also go to, when set.
    pub eventbridge_bus: Option<String>,
    /// Where the gateway caches responses.
    pub cache: CacheUrl,
    /// The gateway's HTTP settings: CORS, rate limits, timeouts, the explorer.
    pub gateway: GatewayConfig,
    /// Users, tokens and anonymous access.
    pub auth: AuthConfig,
    /// Days minute data is kept.
    pub minute_retention_days: u32,
    /// What is pulled, and when (the built-in simulator when none is configured).
    pub sources: Vec<SourceConfig>,
    /// The built-in simulator's world.
    pub simulator: SimulatorSettings,
    /// How logs are written.
    pub log: LogConfig,
    /// Where queue and pull metrics are also written as CloudWatch embedded-metric log lines (`None`: not written).
    pub cloudwatch_namespace: Option<String>,
    /// Things worth a warning that do not stop start-up (an unknown `STREAMLENS_*` variable, probably a typo).
    pub warnings: Vec<String>,
}

/// Where data is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// The blob store: every key, or those of the areas without a store of their own.
    pub blobs: BlobsUrl,
    /// Areas with a store of their own (`STREAMLENS_BLOBS_RAW`, `…_SERIES`, `…_CLEAN`).
    pub blob_areas: Vec<(BlobArea, BlobsUrl)>,
    /// The metadata store.
    pub meta: MetaUrl,
    /// AWS settings, used when either store is on AWS.
    pub aws: AwsSettings,
    /// Whether to create a missing bucket or table.
    pub create_resources: bool,
}

/// AWS SDK overrides; everything else comes from the standard AWS chain (environment, profile, task role).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// The region, when not taken from the chain.
    pub region: Option<String>,
    /// An endpoint for S3 and DynamoDB other than AWS's.
    pub endpoint: Option<String>,
}

/// The built-in simulator's world.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatorSettings {
    /// Seed of the world.
    pub seed: u64,
    /// Channels in the world.
    pub channels: usize,
    /// How many times faster than real time its clock runs.
    pub speed: f64,
}

/// How logs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The filter, in `tracing_subscriber::EnvFilter` syntax.
    pub filter: String,
    /// Text or JSON.
    pub format: LogFormat,
}

/// The gateway's HTTP settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Origins a browser may call the API from (`*`: any); none: same-origin only.
    pub cors_origins: Vec<String>,
    /// Requests a minute one caller (a credential, or an address without one) may make; 0: no limit.
    pub rate_limit_per_minute: u32,
    /// Longest a request may take before it is answered with 408.
    pub request_timeout: std::time::Duration,
    /// GraphiQL at `/` and introspection of the schema.
    pub explorer: bool,
}

impl StorageConfig {
    /// Every blob store URL: the default, then the areas'.
    pub fn blob_urls(&self) -> impl Iterator<Item = &BlobsUrl> {
        std::iter::once(&self.blobs).chain(self.blob_areas.iter().map(|(_, url)| url))
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            rate_limit_per_minute: 1_200,
            request_timeout: std::time::Duration::from_secs(30),
            explorer: true,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A value with where it came from, for error messages.
struct Setting {
    origin: String,
    value: String,
}

/// The config file: scalar settings by key, and the `[[source]]` tables.
#[derive(Default)]
struct FileSettings {
    path: Option<PathBuf>,
    values: BTreeMap<String, String>,
    sources: Vec<sources::SourceTable>,
}

/// Looks settings up: environment first, then the file.
struct Sources<'a> {
    env: &'a HashMap<String, String>,
    file: FileSettings,
}

impl Sources<'_> {
    fn file_origin(&self) -> String {
        format!(
            "STREAMLENS_CONFIG ({})",
            self.file.path.as_deref().unwrap_or(Path::new("?")).display()
        )
    }

    fn get(&self, name: &str) -> Option<Setting> {
        if let Some(value) = self.env.get(name) {
            return Some(Setting {
                origin: name.to_owned(),
                value: value.clone(),
            });
        }
        let key = name.trim_start_matches("STREAMLENS_").to_ascii_lowercase();
        self.file.values.get(&key).map(|value| Setting {
            origin: format!(
                "{name} (set as `{key}` in {})",
                self.file.path.as_deref().unwrap_or(Path::new("?")).display()
            ),
            value: value.clone(),
        })
    }

    fn parse<T>(&self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(setting) => parse(setting.value.trim()).map(Some).map_err(|message| ConfigError {
                variable: setting.origin,
                message,
            }),
        }
    }
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("{value:?} is not a boolean (true or false)")),
    }
}

/// `*` (any origin) or a comma-separated list of `scheme://host[:port]` origins.
fn cors_origins(value: &str) -> Result<Vec<String>, String> {
    let origins: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    for origin in &origins {
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let valid = origin == "*" || host.is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#', ' ']));
        if !valid {
            return Err(format!(
                "{origin:?} is not an origin: give `*` or origins such as https://app.example.com, comma-separated"
            ));
        }
    }
    Ok(origins)
}

fn non_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(value.to_owned())
    }
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(value: &str) -> Result<T, String> {
    match value.parse::<T>() {
        Ok(n) if n > T::default() => Ok(n),
        _ => Err(format!("{value:?} is not a positive number")),
    }
}

/// Reads the TOML file: scalar keys as text, `[[source]]` tables as tables; unknown keys are refused.
fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let error = |message: String| ConfigError {
        variable: format!("STREAMLENS_CONFIG ({})", path.display()),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read the file: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e| error(format!("not valid TOML: {e}")))?;
    let known: Vec<String> = VARIABLES
        .iter()
        .filter(|v| v.name != "STREAMLENS_CONFIG")
        .map(|v| v.file_key())
        .chain(["source".to_owned()])
        .collect();
    let mut file = FileSettings {
        path: Some(path.to_path_buf()),
        ..FileSettings::default()
    };
    for (key, value) in table {
        if !known.contains(&key) {
            return Err(error(format!("unknown key `{key}`; known keys: {}", known.join(", "))));
        }
        let text = match value {
            toml::Value::Array(tables) if key == "source" => {
                for (i, table) in tables.into_iter().enumerate() {
                    let source = table
                        .try_into::<sources::SourceTable>()
                        .map_err(|e| error(format!("[[source]] number {}: {}", i + 1, e.message())))?;
                    file.sources.push(source);
                }
                continue;
            }
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => {
                return Err(error(format!(
                    "`{key}` must be a string, number or boolean, not {}",
                    other.type_str()
                )));
            }
        };
        file.values.insert(key, text);
    }
    Ok(file)
}

impl Config {
    /// Loads the configuration from the process environment (and the file it names).
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_env(&env)
    }

    /// Loads the configuration from the given variables (and the file they name); tests pass their own.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let file = match env.get("STREAMLENS_CONFIG").filter(|p| !p.is_empty()) {
            Some(path) => read_file(Path::new(path))?,
            None => FileSettings::default(),
        };
        let sources = Sources { env, file };

        let data_dir = sources
            .parse("STREAMLENS_DATA_DIR", |v| non_empty(v).map(PathBuf::from))?
            .unwrap_or_else(|| PathBuf::from("./data"));
        let listen = sources
            .parse("STREAMLENS_LISTEN", |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| format!("{v:?} is not an address with a port, e.g. 127.0.0.1:8080"))
            })?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let mut blob_areas = Vec::new();
        for area in BlobArea::ALL {
            let name = format!("STREAMLENS_BLOBS_{}", area.as_str().to_ascii_uppercase());
            if let Some(url) = sources.parse(&name, |v| v.parse::<BlobsUrl>())? {
                blob_areas.push((area, url));
            }
        }
        // Keys outside the areas (none that Streamlens writes today) go to STREAMLENS_BLOBS, else to the clean
        // area's store when it has one, else to the data folder.
        let blobs = match sources.parse("STREAMLENS_BLOBS", |v| v.parse::<BlobsUrl>())? {
            Some(url) => url,
            None => blob_areas
                .iter()
                .find(|(area, _)| *area == BlobArea::Clean)
                .map(|(_, url)| url.clone())
                .unwrap_or_else(|| BlobsUrl::File(data_dir.join("blobs"))),
        };
        let meta = sources
            .parse("STREAMLENS_META", |v| v.parse::<MetaUrl>())?
            .unwrap_or_else(|| MetaUrl::Sqlite(data_dir.join("streamlens.sqlite")));
        let queue = sources
            .parse("STREAMLENS_QUEUE", |v| v.parse::<QueueUrl>())?
            .unwrap_or_else(|| QueueUrl::Sqlite(data_dir.join("queue.sqlite")));
        let queue_namespace = sources
            .parse("STREAMLENS_QUEUE_NAMESPACE", |v| {
                let ok = !v.is_empty()
                    && v.len() <= 64
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if ok {
                    Ok(v.to_owned())
                } else {
                    Err(format!("{v:?} is not a namespace: 1 to 64 letters, digits, '-' or '_'"))
                }
            })?
            .unwrap_or_else(|| "streamlens".to_owned());
        let worker_concurrency = sources
            .parse("STREAMLENS_WORKER_CONCURRENCY", positive::<usize>)?
            .unwrap_or(8);
        let mut pubsub = sources
            .parse("STREAMLENS_PUBSUB", |v| v.parse::<PubSubUrl>())?
            .unwrap_or(PubSubUrl::Memory);
        let mut cache = sources
            .parse("STREAMLENS_CACHE", |v| v.parse::<CacheUrl>())?
            .unwrap_or(CacheUrl::Memory);
        let mut queue = queue;
        if let Some(password) = sources.parse("STREAMLENS_REDIS_PASSWORD", non_empty)? {
            for url in [
                match &mut queue {
                    QueueUrl::Redis(url) => Some(url),
                    QueueUrl::Sqlite(_) => None,
                },
                match &mut pubsub {
                    PubSubUrl::Redis(url) => Some(url),
                    _ => None,
                },
                match &mut cache {
                    CacheUrl::Redis(url) => Some(url),
                    CacheUrl::Memory => None,
                },
            ]
            .into_iter()
            .flatten()
            {
                *url = urls::with_redis_password(url, &password);
            }
        }
        let cloudwatch_namespace = sources.parse("STREAMLENS_CLOUDWATCH_NAMESPACE", |v| {
            let ok = !v.is_empty()
                && v.len() <= 255
                && !v.starts_with("AWS/")
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/#:".contains(&b));
            if ok {
                Ok(v.to_owned())
            } else {
                Err(format!(
                    "{v:?} is not a CloudWatch namespace (letters, digits and . _ - / # :, not starting with AWS/)"
                ))
            }
        })?;
        let helix_credentials = match (
            sources.parse("STREAMLENS_HELIX_CLIENT_ID", non_empty)?,
            sources.parse("STREAMLENS_HELIX_CLIENT_SECRET", non_empty)?,
        ) {
            (Some(client_id), Some(secret)) => Some(HelixCredentials {
                client_id,
                client_secret: secret.into(),
            }),
            (None, None) => None,
            (id, _) => {
                let (set, missing) = match id {
                    Some(_) => ("STREAMLENS_HELIX_CLIENT_ID", "STREAMLENS_HELIX_CLIENT_SECRET"),
                    None => ("STREAMLENS_HELIX_CLIENT_SECRET", "STREAMLENS_HELIX_CLIENT_ID"),
                };
                return Err(ConfigError {
                    variable: missing.to_owned(),
                    message: format!("{set} is set without it: a Twitch app needs both"),
                });
            }
        };
        let cors_origins = sources
            .parse("STREAMLENS_CORS_ORIGINS", cors_origins)?
            .unwrap_or_default();
        let rate_limit_per_minute = sources
            .parse("STREAMLENS_RATE_LIMIT", |v| {
                v.parse::<u32>()
                    .map_err(|_| format!("{v:?} is not a number of requests a minute (0: no limit)"))
            })?
            .unwrap_or(1_200);
        let request_timeout_seconds = sources
            .parse("STREAMLENS_REQUEST_TIMEOUT_SECONDS", positive::<u64>)?
            .unwrap_or(30);
        // On in the embedded default (a laptop), off when the metadata store is DynamoDB (a deployment).
        let explorer = sources
            .parse("STREAMLENS_EXPLORER", parse_bool)?
            .unwrap_or(matches!(meta, MetaUrl::Sqlite(_)));
        let auth = auth_config(&sources, matches!(meta, MetaUrl::Sqlite(_)))?;
        let eventbridge_bus = sources.parse("STREAMLENS_EVENTBRIDGE_BUS", |v| {
            let ok = !v.is_empty()
                && v.len() <= 1600
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/:".contains(&b));
            if ok {
                Ok(v.to_owned())
            } else {
                Err(format!("{v:?} is not an EventBridge bus name or ARN"))
            }
        })?;
        let minute_retention_days = sources
            .parse("STREAMLENS_MINUTE_RETENTION_DAYS", positive::<u32>)?
            .unwrap_or(30);
        let simulator = SimulatorSettings {
            seed: sources
                .parse("STREAMLENS_SIMULATOR_SEED", |v| {
                    v.parse::<u64>().map_err(|_| format!("{v:?} is not a whole number"))
                })?
                .unwrap_or(2026),
            channels: sources
                .parse("STREAMLENS_SIMULATOR_CHANNELS", positive::<usize>)?
                .unwrap_or(2_000),
            speed: sources
                .parse("STREAMLENS_SIMULATOR_SPEED", positive::<f64>)?
                .unwrap_or(1.0),
        };
        let region = sources.parse("STREAMLENS_AWS_REGION", |v| {
            let ok = !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if ok {
                Ok(v.to_owned())
            } else {
                Err(format!("{v:?} is not an AWS region name, e.g. eu-west-1"))
            }
        })?;
        let endpoint = sources.parse("STREAMLENS_AWS_ENDPOINT", |v| {
            let rest = v.strip_prefix("http://").or_else(|| v.strip_prefix("https://"));
            match rest {
                Some(host) if !host.is_empty() => Ok(v.trim_end_matches('/').to_owned()),
                _ => Err(format!("{v:?} is not an http:// or https:// URL")),
            }
        })?;
        let create_resources = sources
            .parse("STREAMLENS_CREATE_RESOURCES", parse_bool)?
            .unwrap_or(false);
        let filter = sources
            .parse("STREAMLENS_LOG", |v| {
                tracing_subscriber::EnvFilter::try_new(v)
                    .map(|_| v.to_owned())
                    .map_err(|e| format!("{v:?} is not a log filter: {e}"))
            })?
            .unwrap_or_else(|| "info".to_owned());
        let format = sources
            .parse("STREAMLENS_LOG_FORMAT", |v| match v {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err(format!("{v:?} is not a log format: expected text or json")),
            })?
            .unwrap_or(LogFormat::Text);

        let origin = sources.file_origin();
        let mut configured = Vec::with_capacity(sources.file.sources.len());
        let mut ids = HashSet::new();
        for (i, table) in sources.file.sources.into_iter().enumerate() {
            let source = table
                .into_config(helix_credentials.as_ref())
                .map_err(|message| ConfigError {
                    variable: origin.clone(),
                    message: format!("[[source]] number {}: {message}", i + 1),
                })?;
            if !ids.insert(source.id.clone()) {
                return Err(ConfigError {
                    variable: origin,
                    message: format!("[[source]] number {}: id {:?} is used twice", i + 1, source.id.as_str()),
                });
            }
            configured.push(source);
        }
        if configured.is_empty() {
            configured.push(match &helix_credentials {
                Some(credentials) => SourceConfig::twitch(credentials),
                None => SourceConfig::default_simulator(),
            });
        }

        let mut warnings: Vec<String> = env
            .keys()
            .filter(|k| k.starts_with("STREAMLENS_") && !VARIABLES.iter().any(|v| v.name == k.as_str()))
            .filter(|k| !k.starts_with("STREAMLENS_TEST_"))
            .map(|k| format!("{k} is not a Streamlens setting and is ignored (a typo?)"))
            .collect();
        warnings.sort();

        Ok(Self {
            data_dir,
            listen,
            storage: StorageConfig {
                blobs,
                blob_areas,
                meta,
                aws: AwsSettings { region, endpoint },
                create_resources,
            },
            queue,
            queue_namespace,
            worker_concurrency,
            pubsub,
            eventbridge_bus,
            cache,
            gateway: GatewayConfig {
                cors_origins,
                rate_limit_per_minute,
                request_timeout: std::time::Duration::from_secs(request_timeout_seconds),
                explorer,
            },
            auth,
            minute_retention_days,
            sources: configured,
            simulator,
            log: LogConfig { filter, format },
            cloudwatch_namespace,
            warnings,
        })
    }

    /// The configured source with this id.
    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id.as_str() == id)
    }
}

/// The authentication settings; anonymous reads default to on in the embedded default (`dev`) only.
fn auth_config(sources: &Sources<'_>, dev: bool) -> Result<AuthConfig, ConfigError> {
    let defaults = AuthConfig::default();
    let text = |name: &str| sources.parse(name, non_empty);
    let admin_login = sources
        .parse("STREAMLENS_ADMIN_LOGIN", |v| {
            let ok =
                !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
            if ok {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(format!(
                    "{v:?} is not a login: 1 to 64 letters, digits, '.', '_', '-' or '@'"
                ))
            }
        })?
        .unwrap_or(defaults.admin_login);
    let admin_password = sources.parse("STREAMLENS_ADMIN_PASSWORD", |v| {
        if v.chars().count() >= 12 {
            Ok(v.to_owned())
        } else {
            Err("a password needs at least 12 characters".to_owned())
        }
    })?;
    let jwt_secret = sources.parse("STREAMLENS_JWT_SECRET", |v| {
        if v.len() >= 32 {
            Ok(v.to_owned())
        } else {
            Err("the secret needs at least 32 bytes (e.g. `openssl rand -base64 48`)".to_owned())
        }
    })?;
    let jwt_issuer = text("STREAMLENS_JWT_ISSUER")?.unwrap_or(defaults.jwt_issuer);
    let jwt_audience = text("STREAMLENS_JWT_AUDIENCE")?.unwrap_or(defaults.jwt_audience);
    let jwt_ttl = sources
        .parse("STREAMLENS_JWT_TTL_MINUTES", positive::<u64>)?
        .map(|m| std::time::Duration::from_secs(m * 60))
        .unwrap_or(defaults.jwt_ttl);
    let jwks_url = sources.parse("STREAMLENS_JWKS_URL", |v| {
        if v.starts_with("https://") || v.starts_with("http://") {
            Ok(v.to_owned())
        } else {
            Err(format!("{v:?} is not an http:// or https:// URL"))
        }
    })?;
    let jwks_issuer = text("STREAMLENS_JWKS_ISSUER")?;
    let jwks_audience = text("STREAMLENS_JWKS_AUDIENCE")?;
    let role_claim = text("STREAMLENS_JWT_ROLE_CLAIM")?.unwrap_or_else(|| "cognito:groups".to_owned());
    let jwks = match (jwks_url, jwks_issuer, jwks_audience) {
        (None, None, None) => None,
        (Some(url), Some(issuer), Some(audience)) => Some(JwksConfig {
            url,
            issuer,
            audience,
            role_claim,
        }),
        _ => {
            return Err(ConfigError {
                variable: "STREAMLENS_JWKS_URL".to_owned(),
                message: "an external issuer needs STREAMLENS_JWKS_URL, STREAMLENS_JWKS_ISSUER and \
                          STREAMLENS_JWKS_AUDIENCE together"
                    .to_owned(),
            });
        }
    };
    let anonymous = sources.parse("STREAMLENS_ANONYMOUS", parse_bool)?.unwrap_or(dev);
    Ok(AuthConfig {
        admin_login,
        admin_password,
        jwt_secret,
        jwt_issuer,
        jwt_audience,
        jwt_ttl,
        jwks,
        anonymous,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_default_needs_no_service() {
        let config = Config::from_env(&HashMap::new()).unwrap();
        assert_eq!(config.storage.blobs, BlobsUrl::File(PathBuf::from("./data/blobs")));
        assert_eq!(
            config.storage.meta,
            MetaUrl::Sqlite(PathBuf::from("./data/streamlens.sqlite"))
        );
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.log.format, LogFormat::Text);
        assert!(!config.storage.create_resources);
    }

    #[test]
    fn the_data_dir_moves_the_default_stores() {
        let config = Config::from_env(&env(&[("STREAMLENS_DATA_DIR", "/srv/sl")])).unwrap();
        assert_eq!(config.storage.blobs.to_string(), "file:///srv/sl/blobs");
        assert_eq!(config.storage.meta.to_string(), "sqlite:///srv/sl/streamlens.sqlite");
    }

    #[test]
    fn aws_urls_parse() {
        let config = Config::from_env(&env(&[
            ("STREAMLENS_BLOBS", "s3://streamlens-raw/prod/"),
            ("STREAMLENS_META", "dynamodb://streamlens-prod"),
            ("STREAMLENS_AWS_ENDPOINT", "http://127.0.0.1:5000/"),
            ("STREAMLENS_CREATE_RESOURCES", "yes"),
        ]))
        .unwrap();
        assert_eq!(
            config.storage.blobs,
            BlobsUrl::S3 {
                bucket: "streamlens-raw".into(),
                prefix: "prod".into()
            }
        );
        assert_eq!(config.storage.blobs.to_string(), "s3://streamlens-raw/prod");
        assert_eq!(config.storage.aws.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert!(config.storage.create_resources);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value, hint) in [
            ("STREAMLENS_META", "mysql://x", "sqlite://FILE or dynamodb://"),
            ("STREAMLENS_BLOBS", "s3://Bad_Bucket/x", "bucket name"),
            ("STREAMLENS_BLOBS", "file://", "needs a folder"),
            ("STREAMLENS_LISTEN", "8080", "with a port"),
            ("STREAMLENS_CREATE_RESOURCES", "maybe", "boolean"),
            ("STREAMLENS_LOG_FORMAT", "xml", "text or json"),
            ("STREAMLENS_AWS_ENDPOINT", "localhost:5000", "http://"),
            ("STREAMLENS_LOG", "info,[", "log filter"),
        ] {
            let err = Config::from_env(&env(&[(name, value)])).unwrap_err();
            assert_eq!(err.variable, name);
            assert!(err.message.contains(hint), "{name}={value}: {err}");
            assert!(err.to_string().starts_with(name));
        }
    }

    #[test]
    fn the_file_is_read_and_the_environment_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("streamlens.toml");
        std::fs::write(
            &path,
            "data_dir = \"/from/file\"\nlisten = \"0.0.0.0:9000\"\ncreate_resources = true\n",
        )
        .unwrap();
        let config = Config::from_env(&env(&[
            ("STREAMLENS_CONFIG", path.to_str().unwrap()),
            ("STREAMLENS_LISTEN", "127.0.0.1:7000"),
        ]))
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("/from/file"));
        assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
        assert!(config.storage.create_resources);
    }

    #[test]
    fn a_bad_file_value_names_the_variable_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("streamlens.toml");
        std::fs::write(&path, "meta = \"postgres://x\"\n").unwrap();
        let err = Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(err.variable.starts_with("STREAMLENS_META (set as `meta` in"), "{err}");

        std::fs::write(&path, "metta = \"sqlite://x\"\n").unwrap();
        let err = Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(err.variable.starts_with("STREAMLENS_CONFIG"), "{err}");
        assert!(err.message.contains("unknown key `metta`"), "{err}");

        let err = Config::from_env(&env(&[("STREAMLENS_CONFIG", "/no/such/file.toml")])).unwrap_err();
        assert!(err.message.contains("cannot read"), "{err}");
    }

    #[test]
    fn sources_come_from_the_file_and_default_to_the_simulator() {
        let config = Config::from_env(&HashMap::new()).unwrap();
        assert_eq!(config.sources, vec![SourceConfig::default_simulator()]);
        assert_eq!(config.queue, QueueUrl::Sqlite(PathBuf::from("./data/queue.sqlite")));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("streamlens.toml");
        std::fs::write(
            &path,
            "queue = \"redis://127.0.0.1:6379\"\n\
             [[source]]\nid = \"twitch\"\nkind = \"helix\"\nclient_id = \"a\"\nclient_secret = \"b\"\n\
             [[source]]\nid = \"archive\"\nkind = \"history\"\nbase_url = \"http://h\"\nschedule = \"weekly\"\n",
        )
        .unwrap();
        let config = Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap();
        assert_eq!(config.sources.len(), 2);
        assert_eq!(config.source("archive").unwrap().schedule, Schedule::Weekly);
        assert_eq!(config.queue, QueueUrl::Redis("redis://127.0.0.1:6379".into()));

        std::fs::write(
            &path,
            "[[source]]\nid = \"a\"\nkind = \"simulator\"\n[[source]]\nid = \"a\"\nkind = \"simulator\"\n",
        )
        .unwrap();
        let err = Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(err.message.contains("used twice"), "{err}");
        std::fs::write(&path, "[[source]]\nid = \"a\"\nkind = \"helix\"\n").unwrap();
        let err = Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(
            err.message.contains("[[source]] number 1: a helix source needs"),
            "{err}"
        );
    }

    #[test]
    fn a_deployment_gets_a_bucket_per_area_a_redis_password_and_helix_credentials() {
        let config = Config::from_env(&env(&[
            ("STREAMLENS_BLOBS_RAW", "s3://sl-raw"),
            ("STREAMLENS_BLOBS_SERIES", "s3://sl-series"),
            ("STREAMLENS_BLOBS_CLEAN", "s3://sl-clean"),
            ("STREAMLENS_QUEUE", "rediss://cache:6379"),
            ("STREAMLENS_PUBSUB", "rediss://cache:6379"),
            ("STREAMLENS_CACHE", "rediss://:own@cache:6379"),
            ("STREAMLENS_REDIS_PASSWORD", "t0k+en/="),
            ("STREAMLENS_HELIX_CLIENT_ID", "app"),
            ("STREAMLENS_HELIX_CLIENT_SECRET", "secret"),
            ("STREAMLENS_CLOUDWATCH_NAMESPACE", "Streamlens/Prod"),
        ]))
        .unwrap();
        assert_eq!(config.storage.blob_areas.len(), 3);
        assert_eq!(
            config.storage.blobs.to_string(),
            "s3://sl-clean",
            "the default is the clean area's store"
        );
        assert_eq!(
            config.queue,
            QueueUrl::Redis("rediss://:t0k%2Ben%2F%3D@cache:6379".into())
        );
        assert_eq!(
            config.pubsub,
            PubSubUrl::Redis("rediss://:t0k%2Ben%2F%3D@cache:6379".into())
        );
        assert_eq!(
            config.cache,
            CacheUrl::Redis("rediss://:own@cache:6379".into()),
            "a URL's own password stays"
        );
        assert_eq!(config.sources.len(), 1);
        assert_eq!(config.sources[0].id.as_str(), "twitch");
        assert_eq!(config.sources[0].kind, SourceKind::Helix);
        assert_eq!(config.sources[0].client_id.as_deref(), Some("app"));
        assert_eq!(config.cloudwatch_namespace.as_deref(), Some("Streamlens/Prod"));
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);

        let err = Config::from_env(&env(&[("STREAMLENS_HELIX_CLIENT_ID", "app")])).unwrap_err();
        assert_eq!(err.variable, "STREAMLENS_HELIX_CLIENT_SECRET");
        let err = Config::from_env(&env(&[("STREAMLENS_CLOUDWATCH_NAMESPACE", "AWS/ECS")])).unwrap_err();
        assert_eq!(err.variable, "STREAMLENS_CLOUDWATCH_NAMESPACE");
        let err = Config::from_env(&env(&[("STREAMLENS_BLOBS_RAW", "ftp://x")])).unwrap_err();
        assert_eq!(err.variable, "STREAMLENS_BLOBS_RAW");
    }

    #[test]
    fn unknown_variables_are_warned_about() {
        let config = Config::from_env(&env(&[("STREAMLENS_METAA", "x")])).unwrap();
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("STREAMLENS_METAA"));
    }

    #[test]
    fn the_readme_lists_every_variable() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        for variable in VARIABLES {
            assert!(
                readme.contains(&format!("`{}`", variable.name)),
                "README.md does not list {}",
                variable.name
            );
        }
    }
}
