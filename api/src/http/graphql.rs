//! `/graphql`: queries and mutations over HTTP (GET and POST, single or batched; media types, parameters and status
//! codes as [`super::protocol`] says), subscriptions over websockets (`graphql-transport-ws` and `graphql-ws`, chosen
//! by the `Sec-WebSocket-Protocol` header).

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{BatchResponse, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::{FromRequest, FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use bytes::Bytes;

use super::protocol::{self, MediaType, Operation, Operations};
use crate::App;
use crate::auth::{AuthError, Principal};
use crate::graphql::Limits;

/// Most operations in one batched request.
pub const MAX_BATCH: usize = 10;

/// The caller of a request with these headers, or the answer refusing it: 401 with `UNAUTHENTICATED` for a bad
/// credential, 500 when the user store cannot be read.
pub async fn caller(app: &App, headers: &HeaderMap) -> Result<Principal, HttpResponse> {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let media = || MediaType::negotiate(headers).unwrap_or(MediaType::Json);
    match app.auth.authenticate(authorization).await {
        Ok(principal) => Ok(principal),
        Err(AuthError::Unauthenticated(e)) => {
            let mut refusal = protocol::refusal(StatusCode::UNAUTHORIZED, media(), "UNAUTHENTICATED", e.0);
            refusal.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            Err(refusal)
        }
        Err(error) => {
            tracing::error!(%error, "authentication failed");
            Err(protocol::refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                media(),
                "INTERNAL_SERVER_ERROR",
                "authentication is unavailable",
            ))
        }
    }
}

/// `POST /graphql`: one operation or a batch, as JSON.
pub async fn http(State(app): State<Arc<App>>, mut request: Request) -> HttpResponse {
    // Taken, not copied (axum's `HeaderMap` extractor clones them).
    let headers = std::mem::take(request.headers_mut());
    let Some(media) = MediaType::negotiate(&headers) else {
        return protocol::not_acceptable();
    };
    if let Some(refusal) = protocol::unsupported_content_type(&headers, media) {
        return refusal;
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return too_large(super::MAX_BODY_BYTES);
        }
        Err(rejection) => return protocol::bad_request(media, format!("the body could not be read: {rejection}")),
    };
    let operations = match protocol::from_body(&body, MAX_BATCH) {
        Ok(operations) => operations,
        Err(malformed) => return malformed.answer(media),
    };
    let principal = match caller(&app, &headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal,
    };
    run(&app, media, principal, operations, &Method::POST).await
}

/// Runs what a request carries: one operation through the response cache, a batch without it.
async fn run(
    app: &App,
    media: MediaType,
    principal: Principal,
    operations: Operations,
    method: &Method,
) -> HttpResponse {
    let explorer = app.http.config.explorer;
    let prepare = |operation: Operation| {
        let request = operation.into_request();
        if explorer {
            request
        } else {
            request.disable_introspection()
        }
    };
    let operations = match operations {
        Operations::Single(operation) => return single(app, media, operation, prepare, principal, method).await,
        Operations::Batch(operations) => operations,
    };
    let mut writes = false;
    let mut responses = Vec::with_capacity(operations.len());
    for operation in operations {
        let mut request = prepare(operation);
        let response = match app.documents.parse(&mut request) {
            Ok(document) => {
                writes |= kind(&document, request.operation_name.as_deref()) == Kind::Writes;
                app.execute_parsed(request, &document, principal.clone()).await
            }
            Err(error) => async_graphql::Response::from_errors(vec![error]),
        };
        responses.push(response);
    }
    if writes {
        app.cache.invalidate();
    }
    protocol::answer_batch(media, BatchResponse::Batch(responses))
}

/// What a request does, for the response cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only reads, and its answer is the same for every caller of the same role and permissions: cached.
    Shared,
    /// Only reads, but asks for `me` (or is not understood): answered fresh, not cached.
    Personal,
    /// Writes (or subscribes): answered fresh; after it, cached answers are not served again.
    Writes,
}

/// Parsed documents by query text. A client asks the same few queries with new variables, and copying a parsed
/// document costs a fraction of parsing it again.
#[derive(Clone)]
pub struct Documents(moka::sync::Cache<String, Arc<ExecutableDocument>>);

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Documents").field(&self.0.entry_count()).finish()
    }
}

impl Default for Documents {
    /// About 8 MiB of documents (a parsed document takes several times its text).
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(8 << 20)
                .weigher(|query: &String, _: &Arc<ExecutableDocument>| {
                    u32::try_from(query.len().saturating_mul(8)).unwrap_or(u32::MAX)
                })
                .build(),
        )
    }
}

impl Documents {
    /// The parsed document of `request` (from here, or parsed now and kept), also set on the request so that
    /// execution does not parse it again; the parser's error, with its code, when it does not parse.
    pub fn parse(&self, request: &mut async_graphql::Request) -> Result<Arc<ExecutableDocument>, ServerError> {
        if let Some(document) = self.0.get(&request.query) {
            request.set_parsed_query(ExecutableDocument::clone(&document));
            return Ok(document);
        }
        let document = Arc::new(request.parsed_query().map_err(Limits::parse_failed)?.clone());
        self.0.insert(request.query.clone(), Arc::clone(&document));
        Ok(document)
    }
}

/// What the operation `operation_name` of `document` does (all of its operations when none is named).
fn kind(document: &ExecutableDocument, operation_name: Option<&str>) -> Kind {
    let selected = document
        .operations
        .iter()
        .filter(|(name, _)| match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == name.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        });
    let mut kind = None;
    for (_, operation) in selected {
        if operation.node.ty != OperationType::Query {
            return Kind::Writes;
        }
        let personal = operation.node.selection_set.node.items.iter().any(|s| match &s.node {
            Selection::Field(field) => field.node.name.node == "me",
            // Fragments at the root are not followed: not cached.
            _ => true,
        });
        kind = Some(match (kind, personal) {
            (Some(Kind::Personal), _) | (_, true) => Kind::Personal,
            _ => Kind::Shared,
        });
    }
    kind.unwrap_or(Kind::Personal)
}

/// One request: from the response cache when it only reads and was answered before with the same data to a caller
/// who may see the same (the same [`Principal::scope`]). Over `GET`, only queries.
async fn single(
    app: &App,
    media: MediaType,
    operation: Operation,
    prepare: impl FnOnce(Operation) -> async_graphql::Request,
    principal: Principal,
    method: &Method,
) -> HttpResponse {
    let key = app.cache.key(
        &operation.query,
        operation.operation_name.as_deref(),
        &operation.variables_text(),
        &principal.scope(),
    );
    // Only cacheable requests are ever stored, so a hit needs no parsing to know it is one.
    if let Some(body) = app.cache.get(&key).await {
        return ([(header::CONTENT_TYPE, media.content_type())], body).into_response();
    }
    let mut request = prepare(operation);
    let document = match app.documents.parse(&mut request) {
        Ok(document) => document,
        Err(error) => return protocol::answer(media, async_graphql::Response::from_errors(vec![error])),
    };
    match kind(&document, request.operation_name.as_deref()) {
        Kind::Shared => {}
        Kind::Personal => {
            return protocol::answer(media, app.execute_parsed(request, &document, principal).await);
        }
        Kind::Writes if method == Method::GET => {
            let mut refusal = protocol::refusal(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                "METHOD_NOT_ALLOWED",
                "mutations and subscriptions are not run over GET: POST the request (or subscribe over a websocket)",
            );
            refusal
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return refusal;
        }
        Kind::Writes => {
            let response = app.execute_parsed(request, &document, principal).await;
            // A mutation may change what queries answer (users, groups, runs): none answered before it is served
            // after it by this replica; the others' entries expire with their TTL.
            app.cache.invalidate();
            return protocol::answer(media, response);
        }
    }
    let response = app.execute_parsed(request, &document, principal).await;
    if !response.is_ok() {
        return protocol::answer(media, response);
    }
    match serde_json::to_vec(&response) {
        Ok(body) => {
            let body = Bytes::from(body);
            app.cache.put(&key, body.clone()).await;
            ([(header::CONTENT_TYPE, media.content_type())], body).into_response()
        }
        Err(_) => protocol::answer(media, response),
    }
}

/// `GET /graphql`: a websocket upgrade for subscriptions, or a query in the query string.
pub async fn get(State(app): State<Arc<App>>, request: Request) -> HttpResponse {
    let wants_websocket = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !wants_websocket {
        let Some(media) = MediaType::negotiate(request.headers()) else {
            return protocol::not_acceptable();
        };
        let operation = match protocol::from_query_string(request.uri().query().unwrap_or_default()) {
            Ok(operation) => operation,
            Err(message) => return protocol::bad_request(media, message),
        };
        let principal = match caller(&app, request.headers()).await {
            Ok(principal) => principal,
            Err(refusal) => return refusal,
        };
        return run(&app, media, principal, Operations::Single(operation), &Method::GET).await;
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
    // A credential on the upgrade request itself (clients that can set headers) is checked now; browsers send theirs
    // in `connection_init`, checked when it comes.
    let upgrade_caller = match caller(&app, &parts.headers).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal,
    };
    let schema = app.ws_schema.clone();
    // Subscription messages are small: small buffers keep a thousand idle subscribers cheap (the default is 128 KiB
    // a socket), and a client message over 64 KiB is refused.
    upgrade
        .read_buffer_size(4 << 10)
        .write_buffer_size(4 << 10)
        .max_message_size(64 << 10)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| connection_init(app, upgrade_caller, payload))
                .serve()
        })
        .into_response()
}

/// The caller of a websocket: from `connection_init`'s payload (`{"Authorization": "Bearer …"}`, or `authorization`,
/// `authToken` or `token` with the bare token), else from the upgrade request. A bad credential closes the socket.
async fn connection_init(
    app: Arc<App>,
    upgrade_caller: Principal,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let credential = field("Authorization").or_else(|| field("authorization")).or_else(|| {
        field("authToken")
            .or_else(|| field("token"))
            .map(|t| format!("Bearer {t}"))
    });
    let principal = match credential {
        None => upgrade_caller,
        Some(value) => match app.auth.authenticate(Some(&value)).await {
            Ok(principal) => principal,
            Err(AuthError::Unauthenticated(e)) => return Err(crate::graphql::error::unauthenticated(e.0)),
            Err(error) => {
                return Err(async_graphql::Error::new(format!(
                    "authentication is unavailable: {error}"
                )));
            }
        },
    };
    if !principal.may_read() {
        return Err(crate::graphql::error::unauthenticated(
            "sign in first: send {\"Authorization\": \"Bearer <token>\"} in connection_init",
        ));
    }
    let mut data = async_graphql::Data::default();
    data.insert(principal);
    Ok(data)
}

/// A body over the size limit, as a GraphQL error.
pub fn too_large(limit: usize) -> HttpResponse {
    protocol::refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        MediaType::Json,
        "PAYLOAD_TOO_LARGE",
        format!("the request body is larger than {limit} bytes"),
    )
}
