//! Guards: what each part of the schema needs, checked against the request's [`Principal`].
//!
//! - [`Require`]: a field guard (`#[graphql(guard = "Require::permission(Permission::RunsRead)")]`); a caller
//!   without it gets `FORBIDDEN` on that field (null in `data`) and the rest of the response.
//! - [`refuse_anonymous`] (run by the schema's extension, [`crate::graphql::extension`]): a caller without credentials when anonymous reads are off may only `login` (and introspect,
//!   when the explorer is on); anything else is refused with `UNAUTHENTICATED` before it runs.

use async_graphql::parser::types::{ExecutableDocument, Selection};
use async_graphql::{Context, Guard, ServerError, ServerResult};

use super::{Permission, Principal};
use crate::graphql::error::{forbidden, unauthenticated, with_code};

/// The caller of the request `ctx` belongs to (nobody, if the server did not say).
pub fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    static NOBODY: std::sync::LazyLock<Principal> = std::sync::LazyLock::new(|| Principal::without_credentials(false));
    ctx.data_opt::<Principal>().unwrap_or(&NOBODY)
}

/// What a field needs: a permission (from the caller's role or groups).
#[derive(Debug, Clone, Copy)]
pub struct Require(pub Permission);

impl Require {
    /// Needs `permission`.
    pub fn permission(permission: Permission) -> Self {
        Require(permission)
    }

    /// Whether `principal` passes: `UNAUTHENTICATED` when it may not even read, `FORBIDDEN` without the permission.
    pub fn check_principal(&self, principal: &Principal) -> async_graphql::Result<()> {
        if !principal.may_read() {
            return Err(unauthenticated("sign in first: send `Authorization: Bearer <token>`"));
        }
        if principal.can(self.0) {
            return Ok(());
        }
        let who = if principal.login.is_some() {
            format!("role {}", principal.role.as_str())
        } else {
            "an anonymous caller".to_owned()
        };
        Err(forbidden(format!(
            "this needs the permission {}, which {who} does not have",
            self.0
        )))
    }
}

impl Guard for Require {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        self.check_principal(principal(ctx))
    }
}

/// Fields a caller without credentials may select when anonymous reads are off.
const OPEN_FIELDS: [&str; 4] = ["login", "__schema", "__type", "__typename"];

/// Whether every operation of `doc` selects only [`OPEN_FIELDS`] at its root.
fn only_open_fields(doc: &ExecutableDocument) -> bool {
    doc.operations.iter().all(|(_, op)| {
        op.node.selection_set.node.items.iter().all(|s| match &s.node {
            Selection::Field(field) => OPEN_FIELDS.contains(&field.node.name.node.as_str()),
            // Fragments at the root are not followed: a caller without credentials keeps to plain fields.
            _ => false,
        })
    })
}

/// Refuses every operation but `login` (and introspection) from a caller without credentials when anonymous reads
/// are off (`principal` is the request's caller; none counts as without credentials).
pub fn refuse_anonymous(principal: Option<&Principal>, doc: &ExecutableDocument) -> ServerResult<()> {
    if principal.is_some_and(Principal::may_read) || only_open_fields(doc) {
        return Ok(());
    }
    Err(with_code(
        ServerError::new(
            "sign in first: send `Authorization: Bearer <token>` (the `login` mutation issues one)",
            None,
        ),
        "UNAUTHENTICATED",
    ))
}
