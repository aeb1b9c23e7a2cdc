//! The URLs that pick each store's adapter.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

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
            crate::storage::blob::check_path(&prefix, true).map_err(|e| format!("bad key prefix: {e}"))?;
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

/// `url` (`redis://` or `rediss://`) with `password` as its AUTH password, unless it already has credentials; the
/// password is percent-encoded, as the client decodes it.
pub fn with_redis_password(url: &str, password: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.contains('@') {
        return url.to_owned();
    }
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{scheme}://:{encoded}@{rest}")
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
                return Err("sqlite:// needs a file, e.g. sqlite://./data/streamlens.sqlite".into());
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

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PubSubUrl {
    /// Within this process.
    Memory,
    /// Redis pub/sub, shared by every process.
    Redis(String),
    /// Nowhere.
    Off,
}

impl FromStr for PubSubUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(Self::Memory),
            "off" => Ok(Self::Off),
            url if url
                .strip_prefix("redis://")
                .or_else(|| url.strip_prefix("rediss://"))
                .is_some_and(|r| !r.is_empty()) =>
            {
                Ok(Self::Redis(url.to_owned()))
            }
            other => Err(format!("{:?} is not memory, off or a redis:// URL", redact(other))),
        }
    }
}

impl fmt::Display for PubSubUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory"),
            Self::Off => f.write_str("off"),
            Self::Redis(url) => f.write_str(&redact(url)),
        }
    }
}

/// Where GraphQL responses are cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUrl {
    /// In this process only.
    Memory,
    /// In this process, and in Redis as a second layer shared by every gateway replica.
    Redis(String),
}

impl FromStr for CacheUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(Self::Memory),
            url if url
                .strip_prefix("redis://")
                .or_else(|| url.strip_prefix("rediss://"))
                .is_some_and(|r| !r.is_empty()) =>
            {
                Ok(Self::Redis(url.to_owned()))
            }
            other => Err(format!("{:?} is not memory or a redis:// URL", redact(other))),
        }
    }
}

impl fmt::Display for CacheUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Memory => f.write_str("memory"),
            Self::Redis(url) => f.write_str(&redact(url)),
        }
    }
}

/// The job queue's URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueUrl {
    /// `sqlite://FILE`: the embedded queue.
    Sqlite(PathBuf),
    /// `redis://…` or `rediss://…` (TLS): the scaled-out queue, also used for the scheduler's leader lock.
    Redis(String),
}

impl FromStr for QueueUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// needs a file, e.g. sqlite://./data/queue.sqlite".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if s.strip_prefix("redis://")
            .or_else(|| s.strip_prefix("rediss://"))
            .is_some_and(|rest| !rest.is_empty())
        {
            return Ok(Self::Redis(s.to_owned()));
        }
        Err(format!(
            "{:?} is not a queue URL: expected sqlite://FILE or redis://HOST:PORT",
            redact(s)
        ))
    }
}

/// A URL with any password replaced by `****`, for logs and messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:****@{host}")
        }
        _ => url.to_owned(),
    }
}

impl fmt::Display for QueueUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Redis(url) => f.write_str(&redact(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_urls_parse_and_hide_passwords() {
        assert_eq!(
            "sqlite://q.sqlite".parse::<QueueUrl>().unwrap(),
            QueueUrl::Sqlite("q.sqlite".into())
        );
        assert_eq!(
            with_redis_password("rediss://cache:6379", "p@ss/w:rd"),
            "rediss://:p%40ss%2Fw%3Ard@cache:6379"
        );
        assert_eq!(
            with_redis_password("redis://:old@cache/0", "new"),
            "redis://:old@cache/0"
        );
        assert_eq!(
            with_redis_password("redis://cache/0?x=1", "pw"),
            "redis://:pw@cache/0?x=1"
        );
        let redis: QueueUrl = "redis://:hunter2@cache:6379/0".parse().unwrap();
        assert_eq!(redis.to_string(), "redis://:****@cache:6379/0");
        assert!("rediss://cache:6380".parse::<QueueUrl>().is_ok());
        let err = "amqp://u:pw@x".parse::<QueueUrl>().unwrap_err();
        assert!(!err.contains("pw"), "{err}");
    }
}
