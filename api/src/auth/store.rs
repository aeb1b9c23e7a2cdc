//! Users, groups and API keys in the metadata store (keys in `streamlens_domain::storage::meta::keys`: `USER#…`,
//! `GROUP#…`, `APIKEY#…`).
//!
//! Passwords are kept as argon2id hashes (PHC strings); API keys are `slk_` and 43 characters of random base64url,
//! kept only as their SHA-256, and shown once when created. A user's permissions are their role's and those of every
//! group they are in. A disabled user cannot log in, and their tokens and keys stop working (within the few seconds
//! a resolved caller is reused).

use std::collections::BTreeSet;
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use streamlens_domain::storage::meta::{Condition, Item, Key, MetaError, MetaStore, Query, SortKey, WriteOp, keys};

use super::{AuthError, Credential, Permission, Principal, Role, Unauthenticated};

/// What every API key starts with, so that it is told apart from a token (and found by secret scanners).
pub const API_KEY_PREFIX: &str = "slk_";

/// A user (a person with a password, or a service account with API keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// Their login (lowercase).
    pub login: String,
    /// Their role.
    pub role: Role,
    /// The argon2id hash of their password; none for a service account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Whether they are locked out.
    #[serde(default)]
    pub disabled: bool,
    /// When they were created.
    pub created_at: DateTime<Utc>,
    /// When they last changed.
    pub updated_at: DateTime<Utc>,
}

/// A group and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRecord {
    /// Its name.
    pub name: String,
    /// The permissions it grants its members.
    pub permissions: BTreeSet<Permission>,
    /// What it is for.
    #[serde(default)]
    pub description: String,
}

/// An API key as stored: whose it is, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ApiKeyRecord {
    login: String,
    name: String,
    created_at: DateTime<Utc>,
}

/// A new API key: the secret is in here and nowhere else.
#[derive(Debug, Clone)]
pub struct ApiKeyCreated {
    /// The key to send as `Authorization: Bearer …`.
    pub key: String,
    /// Whose it is.
    pub login: String,
    /// What it is called.
    pub name: String,
}

/// The token-signing secret shared by replicas when none is configured.
#[derive(Debug, Serialize, Deserialize)]
struct SharedSecret {
    secret: String,
}

/// The user store.
#[derive(Clone)]
pub struct Users {
    meta: Arc<dyn MetaStore>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users").finish_non_exhaustive()
    }
}

/// A login as stored: lowercase letters, digits, `.`, `_`, `-`, `@`, 1 to 64 characters.
pub fn normalize_login(login: &str) -> Result<String, String> {
    let login = login.trim().to_ascii_lowercase();
    let ok = !login.is_empty()
        && login.len() <= 64
        && login.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b));
    if ok {
        Ok(login)
    } else {
        Err(format!(
            "{login:?} is not a login: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        ))
    }
}

/// A group name: lowercase letters, digits, `-` and `_`, 1 to 64 characters.
pub fn normalize_group(name: &str) -> Result<String, String> {
    let name = name.trim().to_ascii_lowercase();
    let ok =
        !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(format!(
            "{name:?} is not a group name: 1 to 64 letters, digits, '-' or '_'"
        ))
    }
}

/// Checks a new password's length (the only rule worth having: long passphrases beat composition rules).
pub fn check_new_password(password: &str) -> Result<(), String> {
    match password.chars().count() {
        n if n < 12 => Err("a password needs at least 12 characters".to_owned()),
        n if n > 256 => Err("a password has at most 256 characters".to_owned()),
        _ => Ok(()),
    }
}

fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Internal(format!("hashing a password: {e}")))
}

fn random_secret(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

fn refused() -> AuthError {
    Unauthenticated("wrong login or password".to_owned()).into()
}

impl Users {
    /// The users kept in `meta`.
    pub fn new(meta: Arc<dyn MetaStore>) -> Self {
        Self { meta }
    }

    /// The token-signing secret kept in the store, created by whichever replica asks first.
    pub async fn shared_secret(&self) -> Result<Vec<u8>, AuthError> {
        let key = Key::new("SECRET#jwt", "HS256");
        if let Some(item) = self.meta.get(&key).await? {
            return Ok(item.decode::<SharedSecret>()?.secret.into_bytes());
        }
        let fresh = SharedSecret {
            secret: random_secret(48),
        };
        match self
            .meta
            .put(Item::from_record(key.clone(), &fresh)?, Condition::Absent)
            .await
        {
            Ok(_) => Ok(fresh.secret.into_bytes()),
            // Another replica made it first: use theirs.
            Err(MetaError::ConditionFailed) => match self.meta.get(&key).await? {
                Some(item) => Ok(item.decode::<SharedSecret>()?.secret.into_bytes()),
                None => Err(AuthError::Internal("the shared token secret vanished".to_owned())),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// The user `login`, if there is one.
    pub async fn get(&self, login: &str) -> Result<Option<UserRecord>, AuthError> {
        let (key, _) = keys::user(login);
        Ok(self.meta.get(&key).await?.map(|i| i.decode()).transpose()?)
    }

    /// Every user, by login (at most `limit` from after `after`).
    pub async fn list(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserRecord>, AuthError> {
        let mut query = Query::gsi1("USERS").limit(limit);
        if let Some(after) = after {
            query = query.sort_key(SortKey::GreaterThan(after.to_owned()));
        }
        let page = self.meta.query(&query).await?;
        Ok(page.items.iter().map(|i| i.decode()).collect::<Result<_, _>>()?)
    }

    /// Every group.
    pub async fn groups(&self) -> Result<Vec<GroupRecord>, AuthError> {
        let page = self.meta.query(&Query::gsi1("GROUPS").limit(1000)).await?;
        Ok(page.items.iter().map(|i| i.decode()).collect::<Result<_, _>>()?)
    }

    /// The groups `login` is in.
    pub async fn groups_of(&self, login: &str) -> Result<Vec<String>, AuthError> {
        let (key, _) = keys::user(login);
        let page = self
            .meta
            .query(
                &Query::partition(key.pk)
                    .sort_key(SortKey::BeginsWith("GROUP#".to_owned()))
                    .limit(1000),
            )
            .await?;
        Ok(page
            .items
            .iter()
            .filter_map(|i| i.key.sk.strip_prefix("GROUP#").map(str::to_owned))
            .collect())
    }

    async fn permissions_of_groups(&self, groups: &[String]) -> Result<BTreeSet<Permission>, AuthError> {
        if groups.is_empty() {
            return Ok(BTreeSet::new());
        }
        let keys: Vec<Key> = groups.iter().map(|g| keys::group(g).0).collect();
        let mut granted = BTreeSet::new();
        for item in self.meta.get_many(&keys).await?.into_iter().flatten() {
            granted.extend(item.decode::<GroupRecord>()?.permissions);
        }
        Ok(granted)
    }

    /// The caller `login`, as a token or key of `credential` makes them: refused when unknown or disabled.
    pub async fn principal(&self, login: &str, credential: Credential) -> Result<Principal, AuthError> {
        let user = match self.get(login).await? {
            Some(user) if !user.disabled => user,
            Some(_) => return Err(Unauthenticated(format!("user {login:?} is disabled")).into()),
            None => return Err(Unauthenticated(format!("user {login:?} does not exist")).into()),
        };
        let mut permissions = user.role.permissions();
        permissions.extend(self.permissions_of_groups(&self.groups_of(login).await?).await?);
        Ok(Principal {
            login: Some(user.login),
            role: user.role,
            permissions,
            credential,
        })
    }

    /// The caller of an external token: the highest role its role claim names (viewer when none), and the
    /// permissions of any Streamlens group of the same names.
    pub async fn external_principal(&self, subject: String, claimed: &[String]) -> Result<Principal, AuthError> {
        let role = claimed
            .iter()
            .filter_map(|c| Role::parse(c))
            .max()
            .unwrap_or(Role::Viewer);
        let groups: Vec<String> = claimed.iter().filter_map(|c| normalize_group(c).ok()).collect();
        let mut permissions = role.permissions();
        permissions.extend(self.permissions_of_groups(&groups).await?);
        Ok(Principal {
            login: Some(subject),
            role,
            permissions,
            credential: Credential::External,
        })
    }

    /// The caller of an API key.
    pub async fn principal_of_api_key(&self, key: &str) -> Result<Principal, AuthError> {
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        let Some(item) = self.meta.get(&keys::api_key(&hash)).await? else {
            return Err(Unauthenticated("unknown API key".to_owned()).into());
        };
        let record: ApiKeyRecord = item.decode()?;
        self.principal(&record.login, Credential::ApiKey).await
    }

    /// The user `login` when `password` is theirs; the same refusal whether the login or the password is wrong.
    pub async fn check_password(&self, login: &str, password: &str) -> Result<UserRecord, AuthError> {
        let Ok(login) = normalize_login(login) else {
            return Err(refused());
        };
        let user = self.get(&login).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let password = password.to_owned();
        // Verify on a blocking thread: argon2 takes tens of milliseconds by design.
        let matches = tokio::task::spawn_blocking(move || match hash {
            Some(hash) => PasswordHash::new(&hash)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false),
            None => false,
        })
        .await
        .map_err(|e| AuthError::Internal(format!("checking a password: {e}")))?;
        match user {
            Some(user) if matches && !user.disabled => Ok(user),
            Some(user) if matches && user.disabled => {
                Err(Unauthenticated(format!("user {:?} is disabled", user.login)).into())
            }
            _ => Err(refused()),
        }
    }

    async fn put_user(&self, user: &UserRecord, condition: Condition) -> Result<(), AuthError> {
        let (key, index) = keys::user(&user.login);
        self.meta
            .put(Item::from_record(key, user)?.with_gsi1(index), condition)
            .await?;
        Ok(())
    }

    /// Creates a user; a password makes a person, none a service account (which signs in with API keys).
    pub async fn create(&self, login: &str, password: Option<&str>, role: Role) -> Result<UserRecord, AuthError> {
        let login = normalize_login(login).map_err(AuthError::Internal)?;
        let password_hash = match password {
            Some(password) => Some(hash_password(password)?),
            None => None,
        };
        let now = Utc::now();
        let user = UserRecord {
            login,
            role,
            password_hash,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        self.put_user(&user, Condition::Absent).await?;
        Ok(user)
    }

    /// Changes a user's role, disabled flag or password (what is given), under optimistic concurrency.
    pub async fn update(
        &self,
        login: &str,
        role: Option<Role>,
        disabled: Option<bool>,
        password: Option<&str>,
    ) -> Result<Option<UserRecord>, AuthError> {
        let password_hash = match password {
            Some(password) => Some(hash_password(password)?),
            None => None,
        };
        loop {
            let (key, _) = keys::user(login);
            let Some(item) = self.meta.get(&key).await? else {
                return Ok(None);
            };
            let mut user: UserRecord = item.decode()?;
            if let Some(role) = role {
                user.role = role;
            }
            if let Some(disabled) = disabled {
                user.disabled = disabled;
            }
            if let Some(hash) = &password_hash {
                user.password_hash = Some(hash.clone());
            }
            user.updated_at = Utc::now();
            match self.put_user(&user, Condition::VersionEquals(item.version)).await {
                Ok(()) => return Ok(Some(user)),
                Err(AuthError::Store(MetaError::ConditionFailed)) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates or replaces a group.
    pub async fn put_group(&self, group: &GroupRecord) -> Result<(), AuthError> {
        let (key, index) = keys::group(&group.name);
        self.meta
            .put(Item::from_record(key, group)?.with_gsi1(index), Condition::None)
            .await?;
        Ok(())
    }

    /// Whether the group `name` exists.
    pub async fn group_exists(&self, name: &str) -> Result<bool, AuthError> {
        Ok(self.meta.get(&keys::group(name).0).await?.is_some())
    }

    /// Puts `login` in `group`, or takes them out.
    pub async fn set_membership(&self, login: &str, group: &str, member: bool) -> Result<(), AuthError> {
        let (key, index) = keys::membership(login, group);
        let op = if member {
            WriteOp::Put(Item::new(key).with_gsi1(index))
        } else {
            WriteOp::Delete(key)
        };
        self.meta.batch_write(vec![op]).await?;
        Ok(())
    }

    /// A new API key for `login`.
    pub async fn create_api_key(&self, login: &str, name: &str) -> Result<ApiKeyCreated, AuthError> {
        let key = format!("{API_KEY_PREFIX}{}", random_secret(32));
        let hash = hex::encode(Sha256::digest(key.as_bytes()));
        let record = ApiKeyRecord {
            login: login.to_owned(),
            name: name.to_owned(),
            created_at: Utc::now(),
        };
        self.meta
            .put(Item::from_record(keys::api_key(&hash), &record)?, Condition::Absent)
            .await?;
        Ok(ApiKeyCreated {
            key,
            login: record.login,
            name: record.name,
        })
    }

    /// Creates the admin `login` when missing (with `password`, or a generated one, returned), and sets its
    /// password to `password` when given.
    pub async fn ensure_admin(&self, login: &str, password: Option<&str>) -> Result<Option<String>, AuthError> {
        match (self.get(login).await?, password) {
            (Some(_), None) => Ok(None),
            (Some(_), Some(password)) => {
                self.update(login, None, None, Some(password)).await?;
                Ok(None)
            }
            (None, password) => {
                let generated = password.is_none().then(|| random_secret(18));
                let password = password.or(generated.as_deref()).unwrap_or_default();
                match self.create(login, Some(password), Role::Admin).await {
                    Ok(_) => Ok(generated),
                    // Another replica created it first.
                    Err(AuthError::Store(MetaError::ConditionFailed)) => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }
}
