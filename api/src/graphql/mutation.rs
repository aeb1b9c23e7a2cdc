//! The mutation root: `login`; admin operations (pull now, re-run a series, backfill a range, requeue dead jobs);
//! users, groups and API keys.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use streamlens_domain::config::SourceKind;
use streamlens_domain::ids::SeriesId;
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_jobs::admin::{self, AdminError};
use streamlens_jobs::jobs::PullSource;

use super::error::{OrInternal, bad_input, internal, not_found};
use super::gateway;
use super::users::{
    ApiKey, Group, LoginResult, RoleType, User, auth_error, existing_user, group_arg, login_arg, permissions_arg,
};
use crate::auth::store::check_new_password;
use crate::auth::{GroupRecord, Permission, Require};

/// The mutation root.
#[derive(Debug, Default)]
pub struct Mutation;

/// A pull that was enqueued.
#[derive(Debug, Clone, SimpleObject)]
pub struct PullEnqueued {
    /// The source.
    pub source: ID,
    /// The id its pull record will carry.
    pub pull_id: ID,
}

/// A re-run that was enqueued.
#[derive(Debug, Clone, SimpleObject)]
pub struct RerunEnqueued {
    /// The series.
    pub series: ID,
    /// The new run's id.
    pub run_id: ID,
}

/// Dead jobs put back in one queue.
#[derive(Debug, Clone, SimpleObject)]
pub struct Requeued {
    /// The queue.
    pub queue: String,
    /// How many.
    pub jobs: u64,
}

/// Longest range one backfill may ask for.
const LONGEST_BACKFILL_DAYS: i64 = 92;

#[Object]
impl Mutation {
    /// A bearer token for `login` with `password` (the only operation open to a caller without credentials).
    async fn login(&self, ctx: &Context<'_>, login: String, password: String) -> Result<LoginResult> {
        let gw = gateway(ctx);
        let (issued, user) = gw.auth.login(&login, &password).await.map_err(auth_error)?;
        tracing::info!(user = %user.login, "logged in");
        Ok(LoginResult {
            token: issued.token,
            expires_at: issued.expires_at,
            user: user.into(),
        })
    }

    /// Creates a user (needs `users:manage`): with a password, a person; without, a service account that signs in
    /// with API keys.
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        login: String,
        password: Option<String>,
        role: RoleType,
    ) -> Result<User> {
        let login = login_arg(&login)?;
        if let Some(password) = &password {
            check_new_password(password).map_err(bad_input)?;
        }
        let gw = gateway(ctx);
        match gw.auth.users.create(&login, password.as_deref(), role.into()).await {
            Ok(user) => Ok(user.into()),
            Err(crate::auth::AuthError::Store(streamlens_domain::storage::meta::MetaError::ConditionFailed)) => {
                Err(bad_input(format!("user {login:?} exists already")))
            }
            Err(e) => Err(auth_error(e)),
        }
    }

    /// Changes a user's role, disabled flag or password (what is given; needs `users:manage`). A disabled user's
    /// tokens and API keys stop working within seconds.
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        login: String,
        role: Option<RoleType>,
        disabled: Option<bool>,
        password: Option<String>,
    ) -> Result<User> {
        let login = login_arg(&login)?;
        if let Some(password) = &password {
            check_new_password(password).map_err(bad_input)?;
        }
        let gw = gateway(ctx);
        let user = gw
            .auth
            .users
            .update(&login, role.map(Into::into), disabled, password.as_deref())
            .await
            .map_err(auth_error)?
            .ok_or_else(|| not_found(format!("no user {login:?}")))?;
        gw.auth.forget_resolved();
        Ok(user.into())
    }

    /// Creates or replaces a group and the permissions it grants (needs `users:manage`).
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn put_group(
        &self,
        ctx: &Context<'_>,
        name: String,
        permissions: Vec<String>,
        #[graphql(default)] description: String,
    ) -> Result<Group> {
        let group = GroupRecord {
            name: group_arg(&name)?,
            permissions: permissions_arg(&permissions)?,
            description,
        };
        let gw = gateway(ctx);
        gw.auth.users.put_group(&group).await.map_err(auth_error)?;
        gw.auth.forget_resolved();
        Ok(group.into())
    }

    /// Puts a user in a group, or takes them out (`member: false`; needs `users:manage`).
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn set_group_member(&self, ctx: &Context<'_>, login: String, group: String, member: bool) -> Result<User> {
        let login = login_arg(&login)?;
        let group = group_arg(&group)?;
        let user = existing_user(ctx, &login).await?;
        let gw = gateway(ctx);
        if !gw.auth.users.group_exists(&group).await.map_err(auth_error)? {
            return Err(not_found(format!("no group {group:?}")));
        }
        gw.auth
            .users
            .set_membership(&login, &group, member)
            .await
            .map_err(auth_error)?;
        gw.auth.forget_resolved();
        Ok(user.into())
    }

    /// A new API key for a user (typically a service account; needs `users:manage`). The key is shown once.
    #[graphql(guard = "Require::permission(Permission::UsersManage)")]
    async fn create_api_key(&self, ctx: &Context<'_>, login: String, name: String) -> Result<ApiKey> {
        let login = login_arg(&login)?;
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(bad_input("a key's name has 1 to 100 characters"));
        }
        existing_user(ctx, &login).await?;
        let created = gateway(ctx)
            .auth
            .users
            .create_api_key(&login, &name)
            .await
            .map_err(auth_error)?;
        Ok(ApiKey {
            key: created.key,
            login: created.login,
            name: created.name,
        })
    }

    /// Pulls `source` now (needs `sources:pull`: admins); its series follow through the pipeline.
    #[graphql(guard = "Require::permission(Permission::SourcesPull)")]
    async fn pull_now(&self, ctx: &Context<'_>, source: ID) -> Result<PullEnqueued> {
        let gw = gateway(ctx);
        let source = gw.source_id(Some(&source))?;
        let pull_id = streamlens_jobs::runtime::pull_now(&gw.queue, source.clone())
            .await
            .or_internal()?;
        tracing::info!(source = %source, pull.id = %pull_id, "pull enqueued by the API");
        Ok(PullEnqueued {
            source: ID(source.to_string()),
            pull_id: ID(pull_id.to_string()),
        })
    }

    /// Starts a new run of a series' pipeline (needs `series:rerun`: admins): rollups and rankings come out
    /// identical.
    #[graphql(guard = "Require::permission(Permission::SeriesRerun)")]
    async fn rerun_series(&self, ctx: &Context<'_>, id: ID) -> Result<RerunEnqueued> {
        let gw = gateway(ctx);
        let series = SeriesId::parse(&id).map_err(|e| bad_input(format!("series id: {e}")))?;
        match admin::rerun_series(&gw.storage, &gw.queue, &series).await {
            Ok(run_id) => Ok(RerunEnqueued {
                series: ID(series.to_string()),
                run_id: ID(run_id.to_string()),
            }),
            Err(AdminError::NoSeries(_)) => Err(not_found(format!("no series {series}"))),
            Err(e) => Err(internal(e)),
        }
    }

    /// Pulls the past range `[from, to)` of a history source (needs `sources:pull`: admins), at most 92 days.
    #[graphql(guard = "Require::permission(Permission::SourcesPull)")]
    async fn backfill(
        &self,
        ctx: &Context<'_>,
        source: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PullEnqueued> {
        let gw = gateway(ctx);
        let config = gw.source(Some(&source))?;
        if config.kind != SourceKind::History {
            return Err(bad_input(format!(
                "source {} is a live source: it has no past to pull",
                config.id
            )));
        }
        if from >= to {
            return Err(bad_input("`from` must be before `to`"));
        }
        if to > Utc::now() {
            return Err(bad_input("`to` is in the future: only the past can be backfilled"));
        }
        if to - from > Duration::days(LONGEST_BACKFILL_DAYS) {
            return Err(bad_input(format!("at most {LONGEST_BACKFILL_DAYS} days at once")));
        }
        let pull_id = PullId::generate();
        gw.queue
            .push(PullSource {
                source: config.id.clone(),
                trigger: Trigger::Backfill,
                at: Utc::now(),
                range: Some((from, to)),
                pull_id: Some(pull_id.clone()),
            })
            .await
            .or_internal()?;
        Ok(PullEnqueued {
            source: ID(config.id.to_string()),
            pull_id: ID(pull_id.to_string()),
        })
    }

    /// Puts every dead job back in its queue with a fresh attempt budget (needs `series:rerun`: admins).
    #[graphql(guard = "Require::permission(Permission::SeriesRerun)")]
    async fn requeue_dead_jobs(&self, ctx: &Context<'_>) -> Result<Vec<Requeued>> {
        let gw = gateway(ctx);
        let done = admin::requeue_dead(&gw.queue).await.or_internal()?;
        Ok(done
            .into_iter()
            .map(|(queue, jobs)| Requeued {
                queue: queue.to_owned(),
                jobs,
            })
            .collect())
    }
}
