//! Errors as clients see them: every error carries `extensions.code`, and no internal detail reaches a client.
//!
//! | code | when |
//! |---|---|
//! | `GRAPHQL_PARSE_FAILED` | the query does not parse |
//! | `GRAPHQL_VALIDATION_FAILED` | the query does not fit the schema |
//! | `QUERY_TOO_DEEP`, `QUERY_TOO_COMPLEX`, `TOO_MANY_ALIASES`, `TOO_MANY_DIRECTIVES`, `TOO_MANY_OPERATIONS` | a limit ([`super::limits`]) |
//! | `BAD_USER_INPUT` | an argument is out of range or malformed |
//! | `NOT_FOUND` | the thing asked for does not exist |
//! | `UNAUTHENTICATED` | no valid credentials where they are needed, or invalid ones given |
//! | `FORBIDDEN` | valid credentials without the permission needed |
//! | `RATE_LIMITED` | too many requests |
//! | `INTERNAL_SERVER_ERROR` | anything else: logged with its cause, shown without it |
//! | `BAD_REQUEST`, `BATCH_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`, `NOT_ACCEPTABLE`, `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE` | not a GraphQL-over-HTTP request ([`crate::http::protocol`]) |

use async_graphql::{Error, ErrorExtensions, ServerError};

/// An error with a code.
pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message.into()).extend_with(|_, e| e.set("code", code))
}

/// `BAD_USER_INPUT`.
pub fn bad_input(message: impl Into<String>) -> Error {
    coded("BAD_USER_INPUT", message)
}

/// `NOT_FOUND`.
pub fn not_found(message: impl Into<String>) -> Error {
    coded("NOT_FOUND", message)
}

/// `FORBIDDEN`, saying what is missing.
pub fn forbidden(message: impl Into<String>) -> Error {
    coded("FORBIDDEN", message)
}

/// `UNAUTHENTICATED`, saying what to do.
pub fn unauthenticated(message: impl Into<String>) -> Error {
    coded("UNAUTHENTICATED", message)
}

/// `error` with `code`, unless it has a code already (for errors async-graphql raises itself).
pub fn with_code(mut error: ServerError, code: &'static str) -> ServerError {
    code_if_missing(&mut error, code);
    error
}

/// Sets `code` as the error's code unless it has one.
pub fn code_if_missing(error: &mut ServerError, code: &'static str) {
    let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        error.extensions.get_or_insert_with(Default::default).set("code", code);
    }
}

/// `INTERNAL_SERVER_ERROR`: the cause is logged, the client sees a generic message.
pub fn internal(cause: impl std::fmt::Display) -> Error {
    tracing::error!(error = %cause, "request failed");
    coded("INTERNAL_SERVER_ERROR", "internal error (logged on the server)")
}

/// Turns any displayable failure of a store or the queue into [`internal`].
pub trait OrInternal<T> {
    /// The value, or an internal error.
    fn or_internal(self) -> Result<T, Error>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self) -> Result<T, Error> {
        self.map_err(internal)
    }
}
