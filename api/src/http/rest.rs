//! REST twins of the admin mutations, for scripts and schedulers that do not speak GraphQL:
//! `POST /api/v1/sources/{id}/pull` (`pullNow`) and `POST /api/v1/series/{id}/rerun` (`rerunSeries`). They run the
//! same GraphQL operation, with the same authentication, and answer its `data` or its first error with a status from
//! its code.

use std::sync::Arc;

use async_graphql::{Request, Variables};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::App;

fn status_of(code: &str) -> StatusCode {
    match code {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn run(app: &App, headers: &HeaderMap, request: Request, field: &str) -> Response {
    let principal = match crate::http::graphql::caller(app, headers).await {
        Ok(principal) => principal,
        Err(_) => {
            let body = json!({ "error": { "code": "UNAUTHENTICATED", "message": "the credential was refused" } });
            return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
        }
    };
    let response = app.execute(request, principal).await;
    // As after a mutation over /graphql: no cached answer from before it is served after it.
    app.cache.invalidate();
    if let Some(error) = response.errors.first() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "INTERNAL_SERVER_ERROR".to_owned());
        let body = json!({ "error": { "code": code, "message": error.message } });
        return (status_of(&code), Json(body)).into_response();
    }
    let data = response.data.into_json().unwrap_or(Value::Null);
    (
        StatusCode::ACCEPTED,
        Json(data.get(field).cloned().unwrap_or(Value::Null)),
    )
        .into_response()
}

/// `POST /api/v1/sources/{id}/pull`: 202 with `{source, pullId}`.
pub async fn pull(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let request = Request::new("mutation($id: ID!) { pullNow(source: $id) { source pullId } }")
        .variables(Variables::from_json(json!({ "id": id })));
    run(&app, &headers, request, "pullNow").await
}

/// `POST /api/v1/series/{id}/rerun`: 202 with `{series, runId}`.
pub async fn rerun(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let request = Request::new("mutation($id: ID!) { rerunSeries(id: $id) { series runId } }")
        .variables(Variables::from_json(json!({ "id": id })));
    run(&app, &headers, request, "rerunSeries").await
}
