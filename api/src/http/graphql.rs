//! `/graphql`: queries and mutations over HTTP (GET and POST, single or batched), subscriptions over websockets
//! (`graphql-transport-ws` and `graphql-ws`, chosen by the `Sec-WebSocket-Protocol` header).

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Response, ServerError};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};

use crate::App;

/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;

fn error_response(code: &'static str, message: String) -> Response {
    let mut error = ServerError::new(message, None);
    error.extensions.get_or_insert_with(Default::default).set("code", code);
    Response::from_errors(vec![error])
}

/// `POST /graphql`, and `GET /graphql` without a websocket upgrade.
pub async fn http(State(app): State<App>, request: GraphQLBatchRequest) -> HttpResponse {
    let mut batch = request.into_inner();
    if !app.http.config.explorer {
        batch = batch.disable_introspection();
    }
    let size = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if size > MAX_BATCH {
        let response = error_response(
            "BATCH_TOO_LARGE",
            format!("{size} operations in one batch; at most {MAX_BATCH} are allowed"),
        );
        return GraphQLResponse::from(BatchResponse::Single(response)).into_response();
    }
    match batch {
        BatchRequest::Single(request) => single(&app, request).await,
        batch => GraphQLResponse::from(app.schema.execute_batch(batch).await).into_response(),
    }
}

/// Whether `request` only reads (a query, not a mutation or subscription): only those are cached.
fn read_only(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let selected = document
        .operations
        .iter()
        .filter(|(name, _)| match (&request.operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        });
    let mut any = false;
    for (_, operation) in selected {
        any = true;
        if operation.node.ty != OperationType::Query {
            return false;
        }
    }
    any
}

/// One request: from the response cache when it only reads and was answered before with the same data.
async fn single(app: &App, request: async_graphql::Request) -> HttpResponse {
    let json = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    if !read_only(&request) {
        return GraphQLResponse::from(app.schema.execute(request).await).into_response();
    }
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    let key = app
        .cache
        .key(&request.query, request.operation_name.as_deref(), &variables, "");
    if let Some(body) = app.cache.get(&key).await {
        return (json, body.as_ref().clone()).into_response();
    }
    let response = app.schema.execute(request).await;
    if !response.is_ok() {
        return GraphQLResponse::from(response).into_response();
    }
    match serde_json::to_vec(&response) {
        Ok(body) => {
            app.cache.put(&key, body.clone()).await;
            (json, body).into_response()
        }
        Err(_) => GraphQLResponse::from(response).into_response(),
    }
}

/// `GET /graphql`: a websocket upgrade for subscriptions, or a query in the query string.
pub async fn get(State(app): State<App>, request: Request) -> HttpResponse {
    let wants_websocket = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !wants_websocket {
        return match <GraphQLBatchRequest as axum::extract::FromRequest<()>>::from_request(request, &()).await {
            Ok(batch) => http(State(app), batch).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let (mut parts, _body) = request.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let schema = app.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| GraphQLWebSocket::new(socket, schema, protocol).serve())
        .into_response()
}

/// A body over the size limit, as a GraphQL error.
pub fn too_large(limit: usize) -> HttpResponse {
    let response = error_response(
        "PAYLOAD_TOO_LARGE",
        format!("the request body is larger than {limit} bytes"),
    );
    (StatusCode::PAYLOAD_TOO_LARGE, GraphQLResponse::from(response)).into_response()
}
