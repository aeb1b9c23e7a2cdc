//! Every setting Streamlens reads, with its default and meaning: the source of the README's configuration table.

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
        self.name.trim_start_matches("STREAMLENS_").to_ascii_lowercase()
    }
}

/// Every setting Streamlens reads.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "STREAMLENS_CONFIG",
        default: "(none)",
        description: "Path of a TOML file with any of these settings (keys: the names without `STREAMLENS_`, lowercase) and the `[[source]]` tables.",
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
        default: "`file://{data_dir}/blobs`, or `STREAMLENS_BLOBS_CLEAN` when that is set",
        description: "Blob store: `file://DIR` (local files) or `s3://BUCKET/PREFIX`.",
    },
    Variable {
        name: "STREAMLENS_BLOBS_RAW",
        default: "(`STREAMLENS_BLOBS`)",
        description: "Blob store of the raw area (pages as received, quarantined pages), e.g. a bucket of its own with colder storage classes.",
    },
    Variable {
        name: "STREAMLENS_BLOBS_SERIES",
        default: "(`STREAMLENS_BLOBS`)",
        description: "Blob store of the series area (each slot's streams), e.g. a bucket whose objects expire.",
    },
    Variable {
        name: "STREAMLENS_BLOBS_CLEAN",
        default: "(`STREAMLENS_BLOBS`)",
        description: "Blob store of the clean area (step outputs, rollups, rankings, broadcasts).",
    },
    Variable {
        name: "STREAMLENS_META",
        default: "`sqlite://{data_dir}/streamlens.sqlite`",
        description: "Metadata store: `sqlite://FILE` or `dynamodb://TABLE_PREFIX` (table `{prefix}-meta`).",
    },
    Variable {
        name: "STREAMLENS_QUEUE",
        default: "`sqlite://{data_dir}/queue.sqlite`",
        description: "Job queue: `sqlite://FILE` (embedded) or `redis://HOST:PORT` (`rediss://` for TLS). Redis also holds the scheduler's leader lock.",
    },
    Variable {
        name: "STREAMLENS_QUEUE_NAMESPACE",
        default: "`streamlens`",
        description: "Prefix of every Redis key of the queue, locks and events (letters, digits, `-`, `_`), so several deployments can share one Redis.",
    },
    Variable {
        name: "STREAMLENS_WORKER_CONCURRENCY",
        default: "`8`",
        description: "Jobs one worker process runs at once, per job type.",
    },
    Variable {
        name: "STREAMLENS_PUBSUB",
        default: "`memory`",
        description: "Where events (`SeriesReady`, `RankingsUpdated`) go: `memory` (this process), `redis://HOST:PORT` (every process), or `off`.",
    },
    Variable {
        name: "STREAMLENS_CACHE",
        default: "`memory`",
        description: "Where the gateway caches responses: `memory` (in this process, at most 32 MiB) or `redis://HOST:PORT` (also in Redis, shared by every gateway replica).",
    },
    Variable {
        name: "STREAMLENS_REDIS_PASSWORD",
        default: "(none)",
        description: "AUTH password for every Redis URL above that carries none (e.g. an ElastiCache auth token from a secrets manager).",
    },
    Variable {
        name: "STREAMLENS_CORS_ORIGINS",
        default: "(none: same-origin only)",
        description: "Origins a browser may call the gateway from: `*` or comma-separated origins such as `https://app.example.com`.",
    },
    Variable {
        name: "STREAMLENS_RATE_LIMIT",
        default: "`1200`",
        description: "Requests a minute one caller may make to the gateway (a caller is a credential, or a client address without one); over it, HTTP 429 with code `RATE_LIMITED`. `0`: no limit.",
    },
    Variable {
        name: "STREAMLENS_REQUEST_TIMEOUT_SECONDS",
        default: "`30`",
        description: "Longest a gateway request may take; over it, HTTP 408 with code `TIMEOUT`.",
    },
    Variable {
        name: "STREAMLENS_EXPLORER",
        default: "`true` with the embedded SQLite store, else `false`",
        description: "GraphiQL at `/` and introspection of the schema.",
    },
    Variable {
        name: "STREAMLENS_ANONYMOUS",
        default: "`true` with the embedded SQLite store, else `false`",
        description: "Whether callers without credentials may read, as viewers.",
    },
    Variable {
        name: "STREAMLENS_ADMIN_LOGIN",
        default: "`admin`",
        description: "Login of the admin created on first start.",
    },
    Variable {
        name: "STREAMLENS_ADMIN_PASSWORD",
        default: "generated",
        description: "That admin's password (at least 12 characters), set at every start; when unset, one is generated and printed once, when the admin is created.",
    },
    Variable {
        name: "STREAMLENS_JWT_SECRET",
        default: "generated",
        description: "Secret (at least 32 bytes) signing the HS256 tokens `login` issues; when unset, a random one is kept in the metadata store and shared by replicas.",
    },
    Variable {
        name: "STREAMLENS_JWT_ISSUER",
        default: "`streamlens`",
        description: "`iss` of the tokens `login` issues; required on every token.",
    },
    Variable {
        name: "STREAMLENS_JWT_AUDIENCE",
        default: "`streamlens`",
        description: "`aud` of the tokens `login` issues; required on every token.",
    },
    Variable {
        name: "STREAMLENS_JWT_TTL_MINUTES",
        default: "`720`",
        description: "How long a token from `login` is valid.",
    },
    Variable {
        name: "STREAMLENS_JWKS_URL",
        default: "none",
        description: "JSON Web Key Set of an external issuer (e.g. Cognito); its RS256 and ES256 tokens are accepted.",
    },
    Variable {
        name: "STREAMLENS_JWKS_ISSUER",
        default: "none",
        description: "`iss` the external issuer's tokens must carry (required with `STREAMLENS_JWKS_URL`).",
    },
    Variable {
        name: "STREAMLENS_JWKS_AUDIENCE",
        default: "none",
        description: "`aud` (or Cognito `client_id`) the external issuer's tokens must carry (required with `STREAMLENS_JWKS_URL`).",
    },
    Variable {
        name: "STREAMLENS_JWT_ROLE_CLAIM",
        default: "`cognito:groups`",
        description: "Claim of an external token naming the caller's role or groups (`viewer`, `analyst`, `admin`; the highest wins).",
    },
    Variable {
        name: "STREAMLENS_EVENTBRIDGE_BUS",
        default: "(off)",
        description: "Also publish `SeriesReady` and `RankingsUpdated` to this Amazon EventBridge bus (name or ARN), with source `streamlens`; uses the AWS region and endpoint settings.",
    },
    Variable {
        name: "STREAMLENS_CLOUDWATCH_NAMESPACE",
        default: "(off)",
        description: "Workers also log queue backlog, backlog per worker, oldest job age, dead jobs and pull failures once a minute as CloudWatch embedded-metric lines in this namespace (for alarms and scaling).",
    },
    Variable {
        name: "STREAMLENS_MINUTE_RETENTION_DAYS",
        default: "`30`",
        description: "Days a channel's minute-by-minute viewers are kept (hour, day, week and month stats are kept for good).",
    },
    Variable {
        name: "STREAMLENS_SIMULATOR_SEED",
        default: "`2026`",
        description: "Seed of the built-in simulator's world (the same seed, the same world).",
    },
    Variable {
        name: "STREAMLENS_SIMULATOR_CHANNELS",
        default: "`2000`",
        description: "Channels in the built-in simulator's world.",
    },
    Variable {
        name: "STREAMLENS_SIMULATOR_SPEED",
        default: "`1`",
        description: "How many times faster than real time the built-in simulator's clock runs.",
    },
    Variable {
        name: "STREAMLENS_HELIX_CLIENT_ID",
        default: "(none)",
        description: "A Twitch app's client id. With `STREAMLENS_HELIX_CLIENT_SECRET` and no `[[source]]` in the file, the one source is the Twitch Helix API (`twitch`, minutely) instead of the simulator; helix sources of the file without credentials take these.",
    },
    Variable {
        name: "STREAMLENS_HELIX_CLIENT_SECRET",
        default: "(none)",
        description: "The Twitch app's client secret (see `STREAMLENS_HELIX_CLIENT_ID`).",
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
