//! Field errors as the GraphQL specification handles them: "as though the field returned null".
//!
//! async-graphql 7 reports the error of a field but leaves the field out of its object (and an object all of whose
//! fields failed becomes null), so a client that reads `data.channel.viewers` sees `undefined`, not `null`, and an
//! object with one permitted field and one refused one can vanish whole. [`FieldErrorsAsNull`], called around every
//! field by the schema's extension ([`super::extension`]), catches the error of every nullable field of a query or
//! mutation, answers `null` in its place, and reports the error with the others, with its path and location
//! unchanged. Errors of non-null fields keep async-graphql's handling. Subscriptions are left alone (their events
//! carry their own errors).

use std::sync::Mutex;

use async_graphql::{Response, ServerError, ServerResult, Value};

/// The errors of the request's nullable fields, answered with `null`, until the response takes them.
#[derive(Debug, Default)]
pub struct FieldErrorsAsNull {
    /// Set while a query or mutation executes.
    executing: std::sync::atomic::AtomicBool,
    errors: Mutex<Vec<ServerError>>,
}

impl FieldErrorsAsNull {
    /// A query or mutation starts executing: from now on, nullable fields' errors answer null.
    pub fn start(&self) {
        self.executing.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The result of a field whose type is `return_type`: `null` in place of the error of a nullable field (the
    /// error is kept for [`Self::finish`]).
    pub fn catch(&self, return_type: &str, result: ServerResult<Option<Value>>) -> ServerResult<Option<Value>> {
        match result {
            Err(error) if !return_type.ends_with('!') && self.executing.load(std::sync::atomic::Ordering::Relaxed) => {
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

    /// The response with the caught errors beside the others.
    pub fn finish(&self, mut response: Response) -> Response {
        if let Ok(mut errors) = self.errors.lock() {
            response.errors.append(&mut errors);
        }
        response
    }
}
