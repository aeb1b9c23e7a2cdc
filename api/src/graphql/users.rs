//! Users, groups and API keys in the schema: `me`, `users`, `groups`, and the helpers of the `login` and user
//! management mutations ([`crate::auth`] does the work).

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Enum, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::{bad_input, internal, not_found, unauthenticated};
use super::gateway;
use crate::auth::guard::principal;
use crate::auth::store::{normalize_group, normalize_login};
use crate::auth::{AuthError, Credential, GroupRecord, Permission, UserRecord};

/// A role, least to most: viewer < analyst < admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "Role", remote = "crate::auth::Role")]
pub enum RoleType {
    /// Reads stats, rankings and hourly or daily viewers.
    Viewer,
    /// A viewer who also reads minute-by-minute viewers.
    Analyst,
    /// Everything: run history, dead jobs, pulls, re-runs, users.
    Admin,
}

/// A user.
#[derive(Debug, Clone, SimpleObject)]
pub struct User {
    /// Their login.
    pub login: String,
    /// Their role.
    pub role: RoleType,
    /// Whether they are locked out.
    pub disabled: bool,
    /// Whether they sign in with API keys only (no password).
    pub service_account: bool,
    /// When they were created.
    pub created_at: DateTime<Utc>,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        Self {
            login: u.login,
            role: u.role.into(),
            disabled: u.disabled,
            service_account: u.password_hash.is_none(),
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// The caller.
#[derive(Debug, Clone, SimpleObject)]
pub struct Me {
    /// Their login (the `sub` of an external token).
    pub login: String,
    /// Their role.
    pub role: RoleType,
    /// Everything they may do beyond reading: their role's permissions and their groups'.
    pub permissions: Vec<String>,
    /// How they signed in: `token`, `external` or `api-key`.
    pub credential: String,
}

/// A group and what it grants.
#[derive(Debug, Clone, SimpleObject)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// The permissions it grants its members.
    pub permissions: Vec<String>,
    /// What it is for.
    pub description: String,
}

impl From<GroupRecord> for Group {
    fn from(g: GroupRecord) -> Self {
        Self {
            name: g.name,
            permissions: g.permissions.iter().map(|p| p.as_str().to_owned()).collect(),
            description: g.description,
        }
    }
}

/// What `login` returns.
#[derive(Debug, Clone, SimpleObject)]
pub struct LoginResult {
    /// The bearer token: send it as `Authorization: Bearer <token>` (or `{"Authorization": "Bearer <token>"}` in a
    /// websocket's `connection_init`).
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Who it is for.
    pub user: User,
}

/// A new API key: shown this once, kept only as a hash.
#[derive(Debug, Clone, SimpleObject)]
pub struct ApiKey {
    /// The key to send as `Authorization: Bearer <key>`.
    pub key: String,
    /// Whose it is.
    pub login: String,
    /// What it is called.
    pub name: String,
}

/// An authentication or store failure as a client sees it.
pub fn auth_error(error: AuthError) -> async_graphql::Error {
    match error {
        AuthError::Unauthenticated(e) => unauthenticated(e.0),
        other => internal(other),
    }
}

/// `me`.
pub async fn me(ctx: &Context<'_>) -> Result<Option<Me>> {
    let caller = principal(ctx);
    let Some(login) = caller.login.clone() else {
        return Ok(None);
    };
    Ok(Some(Me {
        login,
        role: caller.role.into(),
        permissions: caller.permissions.iter().map(|p| p.as_str().to_owned()).collect(),
        credential: match caller.credential {
            Credential::Token => "token",
            Credential::External => "external",
            Credential::ApiKey => "api-key",
            Credential::Anonymous | Credential::None => "none",
        }
        .to_owned(),
    }))
}

/// `users`: one page, by login.
pub async fn list(
    ctx: &Context<'_>,
    first: usize,
    after: Option<String>,
) -> Result<Connection<String, User, EmptyFields, EmptyFields>> {
    let gw = gateway(ctx);
    let after = after.map(|a| super::query::decode_cursor("u", &a)).transpose()?;
    let mut users = gw
        .auth
        .users
        .list(after.as_deref(), first + 1)
        .await
        .map_err(auth_error)?;
    let more = users.len() > first;
    users.truncate(first);
    let mut connection = Connection::new(after.is_some(), more);
    for user in users {
        let cursor = super::query::encode_cursor("u", &user.login);
        connection.edges.push(Edge::new(cursor, User::from(user)));
    }
    Ok(connection)
}

/// `groups`.
pub async fn groups(ctx: &Context<'_>) -> Result<Vec<Group>> {
    let gw = gateway(ctx);
    let groups = gw.auth.users.groups().await.map_err(auth_error)?;
    Ok(groups.into_iter().map(Group::from).collect())
}

/// A login from a client, checked.
pub fn login_arg(login: &str) -> Result<String> {
    normalize_login(login).map_err(bad_input)
}

/// A group name from a client, checked.
pub fn group_arg(name: &str) -> Result<String> {
    normalize_group(name).map_err(bad_input)
}

/// Permission names from a client, checked.
pub fn permissions_arg(names: &[String]) -> Result<std::collections::BTreeSet<Permission>> {
    names.iter().map(|n| Permission::parse(n).map_err(bad_input)).collect()
}

/// A user that must exist.
pub async fn existing_user(ctx: &Context<'_>, login: &str) -> Result<UserRecord> {
    gateway(ctx)
        .auth
        .users
        .get(login)
        .await
        .map_err(auth_error)?
        .ok_or_else(|| not_found(format!("no user {login:?}")))
}
