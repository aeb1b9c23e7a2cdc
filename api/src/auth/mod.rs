//! Who is calling, and what they may do.
//!
//! - Roles, from least to most: [`Role::Viewer`] < [`Role::Analyst`] < [`Role::Admin`]. Each role grants a set of
//!   [`Permission`]s ([`Role::permissions`]); groups grant more ([`store`]).
//! - Credentials, all sent as `Authorization: Bearer …` (or, on a websocket, in `connection_init`): a token from the
//!   `login` mutation (HS256, [`tokens`]), a token from an external issuer checked against its JWKS (RS256, ES256),
//!   or an API key (`slk_…`, stored as its SHA-256) of a service account.
//! - [`Auth::authenticate`] turns the credential into a [`Principal`], which every GraphQL request carries; field
//!   guards ([`guard`]) check it. A caller without credentials is an anonymous viewer when `STREAMLENS_ANONYMOUS`
//!   allows it, and may only `login` otherwise.
//!
//! Failures to authenticate are `UNAUTHENTICATED`; a known caller without the permission a field needs gets
//! `FORBIDDEN` on that field and the rest of the response.

pub mod guard;
pub mod store;
pub mod tokens;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Enum;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use streamlens_domain::config::AuthConfig;
use streamlens_domain::storage::meta::{MetaError, MetaStore};

pub use guard::{Require, refuse_anonymous};
pub use store::{ApiKeyCreated, GroupRecord, UserRecord, Users};
pub use tokens::{Issued, Tokens};

/// A role: what a user is, before the groups they are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads stats, rankings and hourly or daily viewers.
    Viewer,
    /// A viewer who also reads minute-by-minute viewers.
    Analyst,
    /// Everything: run history, dead jobs, pulls, re-runs, users.
    Admin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Analyst, Role::Admin];

    /// Its lowercase name, as tokens and the store carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (any case).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(name))
    }

    /// What the role grants by itself.
    pub fn permissions(self) -> BTreeSet<Permission> {
        match self {
            Role::Viewer => BTreeSet::new(),
            Role::Analyst => BTreeSet::from([Permission::MinuteDataRead]),
            Role::Admin => Permission::ALL.into_iter().collect(),
        }
    }
}

/// Something a caller may be allowed to do beyond reading stats and rankings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Read a channel's minute-by-minute viewers.
    #[serde(rename = "minute-data:read")]
    MinuteDataRead,
    /// Read series' run history and dead jobs.
    #[serde(rename = "runs:read")]
    RunsRead,
    /// Re-run a series; requeue dead jobs.
    #[serde(rename = "series:rerun")]
    SeriesRerun,
    /// Pull a source now; backfill a range.
    #[serde(rename = "sources:pull")]
    SourcesPull,
    /// Create, change and disable users, groups and API keys.
    #[serde(rename = "users:manage")]
    UsersManage,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 5] = [
        Permission::MinuteDataRead,
        Permission::RunsRead,
        Permission::SeriesRerun,
        Permission::SourcesPull,
        Permission::UsersManage,
    ];

    /// Its name, as groups and the schema carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::MinuteDataRead => "minute-data:read",
            Permission::RunsRead => "runs:read",
            Permission::SeriesRerun => "series:rerun",
            Permission::SourcesPull => "sources:pull",
            Permission::UsersManage => "users:manage",
        }
    }

    /// The permission named `name`.
    pub fn parse(name: &str) -> Result<Permission, String> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name).ok_or_else(|| {
            let known: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
            format!("no permission {name:?}; known: {}", known.join(", "))
        })
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// Nothing: anonymous access is off, so the caller may only log in.
    None,
    /// Nothing, with anonymous reads allowed.
    Anonymous,
    /// A token from `login`.
    Token,
    /// A token from the external issuer.
    External,
    /// An API key.
    ApiKey,
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's login (the `sub` of an external token); none when anonymous.
    pub login: Option<String>,
    /// Their role.
    pub role: Role,
    /// What they may do: their role's permissions and their groups'.
    pub permissions: BTreeSet<Permission>,
    /// How they authenticated.
    pub credential: Credential,
}

impl Principal {
    /// A caller without credentials: a viewer when anonymous reads are allowed, nobody otherwise.
    pub fn without_credentials(anonymous: bool) -> Self {
        Self {
            login: None,
            role: Role::Viewer,
            permissions: BTreeSet::new(),
            credential: if anonymous {
                Credential::Anonymous
            } else {
                Credential::None
            },
        }
    }

    /// Whether the caller is known or allowed to read anonymously.
    pub fn may_read(&self) -> bool {
        self.credential != Credential::None
    }

    /// Whether the caller has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.may_read() && self.permissions.contains(&permission)
    }

    /// What the caller may see, as part of a cache key: callers with the same role and permissions see the same
    /// answers.
    pub fn scope(&self) -> String {
        let permissions: Vec<&str> = self.permissions.iter().map(|p| p.as_str()).collect();
        let reader = if self.may_read() { "r" } else { "-" };
        format!("{reader}:{}:{}", self.role.as_str(), permissions.join(","))
    }
}

/// Why a caller could not be authenticated (the message is for the caller; it says what to fix).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unauthenticated(pub String);

/// Authentication failures of the store behind it.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The credential was refused.
    #[error(transparent)]
    Unauthenticated(#[from] Unauthenticated),
    /// The metadata store failed.
    #[error("metadata store: {0}")]
    Store(#[from] MetaError),
    /// Something else broke (hashing, signing).
    #[error("{0}")]
    Internal(String),
}

/// Authentication: users and keys in the metadata store, tokens, and a short cache of resolved callers.
#[derive(Clone)]
pub struct Auth {
    /// Users, groups and API keys.
    pub users: Users,
    /// Issues and checks tokens.
    pub tokens: Arc<Tokens>,
    anonymous: bool,
    /// Resolved callers by the SHA-256 of their credential: disabling a user or changing a grant takes effect
    /// within this time.
    resolved: moka::future::Cache<[u8; 32], Principal>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("anonymous", &self.anonymous)
            .finish_non_exhaustive()
    }
}

/// How long a resolved caller is reused before its user is read again.
const RESOLVED_FOR: Duration = Duration::from_secs(10);

impl Auth {
    /// Authentication over `meta` with `config`; the token secret is read (or first created) in the store when the
    /// configuration has none.
    pub async fn new(config: &AuthConfig, meta: Arc<dyn MetaStore>) -> Result<Self, AuthError> {
        let users = Users::new(meta);
        let secret = match &config.jwt_secret {
            Some(secret) => secret.as_bytes().to_vec(),
            None => users.shared_secret().await?,
        };
        Ok(Self {
            users,
            tokens: Arc::new(Tokens::new(config, &secret)),
            anonymous: config.anonymous,
            resolved: moka::future::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(RESOLVED_FOR)
                .build(),
        })
    }

    /// Whether callers without credentials may read.
    pub fn anonymous(&self) -> bool {
        self.anonymous
    }

    /// The caller with this `Authorization` header value (none: no credentials).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthError> {
        let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(Principal::without_credentials(self.anonymous));
        };
        let credential = match value.split_once(' ') {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
            _ => {
                return Err(
                    Unauthenticated("the Authorization header must be `Bearer <token or API key>`".to_owned()).into(),
                );
            }
        };
        let digest: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
        if let Some(principal) = self.resolved.get(&digest).await {
            return Ok(principal);
        }
        let principal = if credential.starts_with(store::API_KEY_PREFIX) {
            self.users.principal_of_api_key(credential).await?
        } else {
            match self.tokens.verify(credential).await? {
                tokens::Verified::Local { login } => self.users.principal(&login, Credential::Token).await?,
                tokens::Verified::External { subject, roles } => self.users.external_principal(subject, &roles).await?,
            }
        };
        self.resolved.insert(digest, principal.clone()).await;
        Ok(principal)
    }

    /// A token for `login` with `password`.
    pub async fn login(&self, login: &str, password: &str) -> Result<(Issued, UserRecord), AuthError> {
        let user = self.users.check_password(login, password).await?;
        let issued = self.tokens.issue(&user.login, user.role)?;
        Ok((issued, user))
    }

    /// Creates the first admin when it does not exist, and sets its password when one is configured. Returns the
    /// generated password when one was made (to be shown once).
    pub async fn ensure_admin(&self, config: &AuthConfig) -> Result<Option<String>, AuthError> {
        self.users
            .ensure_admin(&config.admin_login, config.admin_password.as_deref())
            .await
    }

    /// Forgets resolved callers, so a change to users or grants takes effect at once in this process.
    pub fn forget_resolved(&self) {
        self.resolved.invalidate_all();
    }
}
