//! Field errors as the GraphQL specification handles them: "as though the field returned null".
//!
//! async-graphql 7 reports the error of a field but leaves the field out of its object (and an object all of whose
//! fields failed becomes null), so a client that reads `data.channel.viewers` sees `undefined`, not `null`, and an
//! object with one permitted field and one refused one can vanish whole. This extension catches the error of every
//! nullable field of a query or mutation, answers `null` in its place, and reports the error with the others, with
//! its path and location unchanged. Errors of non-null fields keep async-graphql's handling. Subscriptions are left
//! alone (their events carry their own errors). It runs inside the schema's one extension ([`super::extension`]).

use std::sync::Mutex;

use async_graphql::extensions::{Extension, ExtensionContext, NextExecute, NextResolve, ResolveInfo};
use async_graphql::{Response, ServerError, ServerResult, Value};

/// The errors of the request's nullable fields, answered with `null`, until the response takes them.
#[derive(Debug, Default)]
pub struct FieldErrorsAsNull {
    /// Set while a query or mutation executes.
    executing: std::sync::atomic::AtomicBool,
    errors: Mutex<Vec<ServerError>>,
}

#[async_trait::async_trait]
impl Extension for FieldErrorsAsNull {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.executing.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut response = next.run(ctx, operation_name).await;
        if let Ok(mut errors) = self.errors.lock() {
            response.errors.append(&mut errors);
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        match next.run(ctx, info).await {
            Err(error) if nullable && self.executing.load(std::sync::atomic::Ordering::Relaxed) => {
                match self.errors.lock() {
                    Ok(mut errors) => {
                        errors.push(error);
                        Ok(Some(Value::Null))
                    }
                    Err(_) => Err(error),
                }
            }
            other => other,
        }
    }
}
