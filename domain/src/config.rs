//! Configuration: one typed struct per area, loaded once at start-up from `STREAMLENS_*` environment variables and an
//! optional TOML file named by `STREAMLENS_CONFIG`.
//!
//! Every setting is listed in [`VARIABLES`] (the README's configuration table is checked against it by a test). An
//! environment variable wins over the file's key of the same name (the variable without its prefix, lowercase), and
//! the file over the default. A bad value stops start-up with the variable's name and, for the file, where it was set;
//! the default needs no service at all: files and SQLite under `./data`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A setting: its environment variable, its key in the TOML file, its default and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    /// The environment variable.
    pub name: &'static str,
    /// The default, as shown to people.
    pub default: &'static str,
    /// What it sets.
    pub description: &'static str,
}

impl Variable {
    /// The key of this setting in the TOML file: the name without `STREAMLENS_`, lowercase.
    pub fn file_key(&self) -> String {
        self.name
            .trim_start_matches("STREAMLENS_")
            .to_ascii_lowercase()
    }
}

/// Every setting Streamlens reads.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "STREAMLENS_CONFIG",
        default: "(none)",
        description: "Path of a TOML file with any of these settings (keys: the names without `STREAMLENS_`, lowercase).",
    },
    Variable {
        name: "STREAMLENS_DATA_DIR",
        default: "`./data`",
        description: "Folder of the embedded default stores.",
    },
    Variable {
        name: "STREAMLENS_LISTEN",
        default: "`127.0.0.1:8080`",
        description: "Address the HTTP server listens on.",
    },
    Variable {
        name: "STREAMLENS_BLOBS",
        default: "`file://{data_dir}/blobs`",
        description: "Blob store: `file://DIR` (local files) or `s3://BUCKET/PREFIX`.",
    },
    Variable {
        name: "STREAMLENS_META",
        default: "`sqlite://{data_dir}/streamlens.sqlite`",
        description: "Metadata store: `sqlite://FILE` or `dynamodb://TABLE_PREFIX` (table `{prefix}-meta`).",
    },
    Variable {
        name: "STREAMLENS_AWS_REGION",
        default: "from the AWS chain",
        description: "AWS region for S3 and DynamoDB; otherwise `AWS_REGION` or the profile's; `us-east-1` for a local endpoint.",
    },
    Variable {
        name: "STREAMLENS_AWS_ENDPOINT",
        default: "(AWS)",
        description: "Endpoint URL for S3 and DynamoDB (a local moto or LocalStack, e.g. `http://127.0.0.1:5000`); S3 then uses path-style addressing.",
    },
    Variable {
        name: "STREAMLENS_CREATE_RESOURCES",
        default: "`false`",
        description: "Create a missing S3 bucket or DynamoDB table at start-up (local stacks, tests). In AWS the CDK app creates them.",
    },
    Variable {
        name: "STREAMLENS_LOG",
        default: "`info`",
        description: "Log filter, `tracing` syntax (e.g. `info,streamlens_domain=debug`).",
    },
    Variable {
        name: "STREAMLENS_LOG_FORMAT",
        default: "`text`",
        description: "`text` for people, `json` for CloudWatch and other collectors.",
    },
];

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
    /// How logs are written.
    pub log: LogConfig,
    /// Things worth a warning that do not stop start-up (an unknown `STREAMLENS_*` variable, probably a typo).
    pub warnings: Vec<String>,
}

/// Where data is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// The blob store.
    pub blobs: BlobsUrl,
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

/// How logs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// The filter, in `tracing_subscriber::EnvFilter` syntax.
    pub filter: String,
    /// Text or JSON.
    pub format: LogFormat,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The blob store's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobsUrl {
    /// `file://DIR`: local files under `DIR` (relative or absolute).
    File(PathBuf),
    /// `s3://BUCKET/PREFIX`.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix, without leading or trailing `/` (may be empty).
        prefix: String,
    },
}

impl FromStr for BlobsUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a folder, e.g. file://./data/blobs or file:///var/lib/streamlens".into());
            }
            return Ok(Self::File(PathBuf::from(path)));
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            check_bucket(bucket)?;
            let prefix = prefix.trim_matches('/').to_owned();
            crate::storage::blob::check_path(&prefix, true)
                .map_err(|e| format!("bad key prefix: {e}"))?;
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix,
            });
        }
        Err(format!(
            "{s:?} is not a blob store URL: expected file://DIR or s3://BUCKET/PREFIX"
        ))
    }
}

impl fmt::Display for BlobsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "file://{}", path.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

fn check_bucket(bucket: &str) -> Result<(), String> {
    let ok_chars = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    let ok_ends = bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if (3..=63).contains(&bucket.len()) && ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "{bucket:?} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '-' and '.')"
        ))
    }
}

/// The metadata store's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaUrl {
    /// `sqlite://FILE`: one SQLite file (relative or absolute path).
    Sqlite(PathBuf),
    /// `dynamodb://TABLE_PREFIX`.
    DynamoDb {
        /// The prefix of the table name.
        table_prefix: String,
    },
}

impl FromStr for MetaUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file, e.g. sqlite://./data/streamlens.sqlite".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some(prefix) = s.strip_prefix("dynamodb://") {
            let ok = (1..=200).contains(&prefix.len())
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !ok {
                return Err(format!(
                    "{prefix:?} is not a valid table prefix (1 to 200 letters, digits, '-', '_' and '.')"
                ));
            }
            return Ok(Self::DynamoDb {
                table_prefix: prefix.to_owned(),
            });
        }
        Err(format!(
            "{s:?} is not a metadata store URL: expected sqlite://FILE or dynamodb://TABLE_PREFIX"
        ))
    }
}

impl fmt::Display for MetaUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::DynamoDb { table_prefix } => write!(f, "dynamodb://{table_prefix}"),
        }
    }
}

/// A value with where it came from, for error messages.
struct Setting {
    origin: String,
    value: String,
}

/// Looks settings up: environment first, then the file.
struct Sources<'a> {
    env: &'a HashMap<String, String>,
    file: BTreeMap<String, String>,
    file_path: Option<PathBuf>,
}

impl Sources<'_> {
    fn get(&self, name: &str) -> Option<Setting> {
        if let Some(value) = self.env.get(name) {
            return Some(Setting {
                origin: name.to_owned(),
                value: value.clone(),
            });
        }
        let key = name.trim_start_matches("STREAMLENS_").to_ascii_lowercase();
        self.file.get(&key).map(|value| Setting {
            origin: format!(
                "{name} (set as `{key}` in {})",
                self.file_path
                    .as_deref()
                    .unwrap_or(Path::new("?"))
                    .display()
            ),
            value: value.clone(),
        })
    }

    fn parse<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        match self.get(name) {
            None => Ok(None),
            Some(setting) => parse(setting.value.trim())
                .map(Some)
                .map_err(|message| ConfigError {
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

fn non_empty(value: &str) -> Result<String, String> {
    if value.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(value.to_owned())
    }
}

/// Reads the TOML file into key → text, rejecting unknown keys and non-scalar values.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let error = |message: String| ConfigError {
        variable: format!("STREAMLENS_CONFIG ({})", path.display()),
        message,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| error(format!("cannot read the file: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| error(format!("not valid TOML: {e}")))?;
    let known: Vec<String> = VARIABLES
        .iter()
        .filter(|v| v.name != "STREAMLENS_CONFIG")
        .map(|v| v.file_key())
        .collect();
    let mut out = BTreeMap::new();
    for (key, value) in table {
        if !known.contains(&key) {
            return Err(error(format!(
                "unknown key `{key}`; known keys: {}",
                known.join(", ")
            )));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Integer(i) => i.to_string(),
            other => {
                return Err(error(format!(
                    "`{key}` must be a string, number or boolean, not {}",
                    other.type_str()
                )));
            }
        };
        out.insert(key, text);
    }
    Ok(out)
}

impl Config {
    /// Loads the configuration from the process environment (and the file it names).
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_env(&env)
    }

    /// Loads the configuration from the given variables (and the file they name); tests pass their own.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let file_path = env
            .get("STREAMLENS_CONFIG")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => BTreeMap::new(),
        };
        let sources = Sources {
            env,
            file,
            file_path,
        };

        let data_dir = sources
            .parse("STREAMLENS_DATA_DIR", |v| non_empty(v).map(PathBuf::from))?
            .unwrap_or_else(|| PathBuf::from("./data"));
        let listen = sources
            .parse("STREAMLENS_LISTEN", |v| {
                v.parse::<SocketAddr>().map_err(|_| {
                    format!("{v:?} is not an address with a port, e.g. 127.0.0.1:8080")
                })
            })?
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let blobs = sources
            .parse("STREAMLENS_BLOBS", |v| v.parse::<BlobsUrl>())?
            .unwrap_or_else(|| BlobsUrl::File(data_dir.join("blobs")));
        let meta = sources
            .parse("STREAMLENS_META", |v| v.parse::<MetaUrl>())?
            .unwrap_or_else(|| MetaUrl::Sqlite(data_dir.join("streamlens.sqlite")));
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
            let rest = v
                .strip_prefix("http://")
                .or_else(|| v.strip_prefix("https://"));
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

        let mut warnings: Vec<String> = env
            .keys()
            .filter(|k| {
                k.starts_with("STREAMLENS_") && !VARIABLES.iter().any(|v| v.name == k.as_str())
            })
            .filter(|k| !k.starts_with("STREAMLENS_TEST_"))
            .map(|k| format!("{k} is not a Streamlens setting and is ignored (a typo?)"))
            .collect();
        warnings.sort();

        Ok(Self {
            data_dir,
            listen,
            storage: StorageConfig {
                blobs,
                meta,
                aws: AwsSettings { region, endpoint },
                create_resources,
            },
            log: LogConfig { filter, format },
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_default_needs_no_service() {
        let config = Config::from_env(&HashMap::new()).unwrap();
        assert_eq!(
            config.storage.blobs,
            BlobsUrl::File(PathBuf::from("./data/blobs"))
        );
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
        assert_eq!(
            config.storage.meta.to_string(),
            "sqlite:///srv/sl/streamlens.sqlite"
        );
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
        assert_eq!(
            config.storage.aws.endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert!(config.storage.create_resources);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (name, value, hint) in [
            (
                "STREAMLENS_META",
                "mysql://x",
                "sqlite://FILE or dynamodb://",
            ),
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
        let err =
            Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(
            err.variable
                .starts_with("STREAMLENS_META (set as `meta` in"),
            "{err}"
        );

        std::fs::write(&path, "metta = \"sqlite://x\"\n").unwrap();
        let err =
            Config::from_env(&env(&[("STREAMLENS_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(err.variable.starts_with("STREAMLENS_CONFIG"), "{err}");
        assert!(err.message.contains("unknown key `metta`"), "{err}");

        let err =
            Config::from_env(&env(&[("STREAMLENS_CONFIG", "/no/such/file.toml")])).unwrap_err();
        assert!(err.message.contains("cannot read"), "{err}");
    }

    #[test]
    fn unknown_variables_are_warned_about() {
        let config = Config::from_env(&env(&[("STREAMLENS_METAA", "x")])).unwrap();
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("STREAMLENS_METAA"));
    }

    #[test]
    fn the_readme_lists_every_variable() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        for variable in VARIABLES {
            assert!(
                readme.contains(&format!("`{}`", variable.name)),
                "README.md does not list {}",
                variable.name
            );
        }
    }
}
