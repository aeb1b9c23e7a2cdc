//! GraphQL over HTTP (the GraphQL Foundation's specification of the same name): what a request may carry and how it
//! is answered.
//!
//! - **Requests.** A `POST` carries a JSON object (`query`, and optionally `operationName`, `variables`,
//!   `extensions`), or an array of at most [`super::graphql::MAX_BATCH`] of them, with
//!   `Content-Type: application/json`; a `GET` carries the same parameters in its query string, `variables` and
//!   `extensions` as JSON text, and only queries (a mutation over `GET` gets `405`). A body that is not JSON, a
//!   parameter of the wrong type or a missing `query` gets `400` with code `BAD_REQUEST` (`BATCH_TOO_LARGE` for too
//!   long a batch); another content type gets `415` with code `UNSUPPORTED_MEDIA_TYPE`.
//! - **Media types.** The `Accept` header picks the answer's type: `application/graphql-response+json` when the
//!   client prefers it, else `application/json` (also for `*/*` and when there is no `Accept`); a client accepting
//!   neither gets `406`.
//! - **Status codes.** A request error (the document does not parse or validate, a limit, variables that do not fit:
//!   nothing was executed) is answered without a `data` entry, with `400` under `application/graphql-response+json`
//!   (`401` and `403` for `UNAUTHENTICATED` and `FORBIDDEN`) and `200` under `application/json`. Once execution has
//!   started, the answer is `200` with `data`, whatever its field errors.

use async_graphql::{BatchResponse, Response, ServerError, Value, Variables};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use serde_json::Map;

/// The media type of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `application/graphql-response+json`: request errors get a 4xx status.
    GraphQLResponse,
    /// `application/json`: every well-formed request gets 200.
    Json,
}

impl MediaType {
    /// The `Content-Type` of an answer of this type.
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphQLResponse => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }

    /// The type the request's `Accept` header prefers: the highest `q`, then the more specific range, then
    /// `application/graphql-response+json`. `application/json` when there is no `Accept`; `None` when it accepts
    /// neither.
    pub fn negotiate(headers: &HeaderMap) -> Option<Self> {
        let mut ranges = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .peekable();
        if ranges.peek().is_none() {
            return Some(Self::Json);
        }
        let mut best: Option<(f32, u8, Self)> = None;
        for range in ranges {
            let mut parts = range.split(';').map(str::trim);
            let essence = parts.next().unwrap_or_default();
            let q = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())
                .unwrap_or(0.0);
            if q <= 0.0 {
                continue;
            }
            let (rank, media) = if essence.eq_ignore_ascii_case("application/graphql-response+json") {
                (3, Self::GraphQLResponse)
            } else if essence.eq_ignore_ascii_case("application/json") {
                (2, Self::Json)
            } else if essence.eq_ignore_ascii_case("application/*") || essence == "*/*" {
                (1, Self::Json)
            } else {
                continue;
            };
            if best.is_none_or(|(best_q, best_rank, _)| q > best_q || (q == best_q && rank > best_rank)) {
                best = Some((q, rank, media));
            }
        }
        best.map(|(_, _, media)| media)
    }
}

/// An error answer outside GraphQL execution: `status`, and a body of one error with `code`.
pub fn refusal(status: StatusCode, media: MediaType, code: &'static str, message: impl Into<String>) -> HttpResponse {
    let mut error = ServerError::new(message, None);
    error.extensions.get_or_insert_with(Default::default).set("code", code);
    let body = serde_json::json!({ "errors": [error] }).to_string();
    (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response()
}

/// `406` for an `Accept` header that names neither JSON type.
pub fn not_acceptable() -> HttpResponse {
    refusal(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "NOT_ACCEPTABLE",
        "answers are application/graphql-response+json or application/json; the Accept header allows neither",
    )
}

/// `400 BAD_REQUEST`: not a GraphQL-over-HTTP request.
pub fn bad_request(media: MediaType, message: impl Into<String>) -> HttpResponse {
    Malformed::from(message.into()).answer(media)
}

/// The refusal (`415`) of a `POST` body that is not JSON by its `Content-Type`; `None` for JSON.
pub fn unsupported_content_type(headers: &HeaderMap, media: MediaType) -> Option<HttpResponse> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let json = content_type.is_some_and(|value| {
        let mut parts = value.split(';').map(str::trim);
        let essence = parts.next().unwrap_or_default();
        let utf8 = parts.all(|p| match p.split_once('=') {
            Some((name, charset)) if name.trim().eq_ignore_ascii_case("charset") => {
                let charset = charset.trim().trim_matches('"');
                charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8")
            }
            _ => true,
        });
        essence.eq_ignore_ascii_case("application/json") && utf8
    });
    if json {
        return None;
    }
    let given = content_type.map_or_else(|| "no Content-Type".to_owned(), |c| format!("Content-Type {c}"));
    Some(refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        media,
        "UNSUPPORTED_MEDIA_TYPE",
        format!(
            "a GraphQL request is posted as JSON with Content-Type: application/json (UTF-8); this one has {given}"
        ),
    ))
}

/// One operation as a client sent it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Params {
    /// The document.
    pub query: Option<String>,
    /// Which of its operations to run.
    #[serde(rename = "operationName")]
    pub operation_name: Option<String>,
    /// The variables (`null` is none).
    pub variables: Option<Map<String, serde_json::Value>>,
    /// Accepted and not used: no extension of the request is implemented.
    pub extensions: Option<Map<String, serde_json::Value>>,
}

/// A request's parameters, checked: what execution and the response cache need.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The document.
    pub query: String,
    /// Which of its operations to run.
    pub operation_name: Option<String>,
    /// The variables.
    pub variables: Map<String, serde_json::Value>,
}

impl TryFrom<Params> for Operation {
    type Error = String;

    fn try_from(params: Params) -> Result<Self, String> {
        let Some(query) = params.query else {
            return Err("the request has no `query`: send the GraphQL document as a string".to_owned());
        };
        Ok(Self {
            query,
            operation_name: params.operation_name,
            variables: params.variables.unwrap_or_default(),
        })
    }
}

impl Operation {
    /// The variables as JSON text, for the response cache's key (keys sorted, so the same variables make the same
    /// text).
    pub fn variables_text(&self) -> String {
        serde_json::to_string(&self.variables).unwrap_or_default()
    }

    /// The request async-graphql executes.
    pub fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        request.operation_name = self.operation_name;
        if !self.variables.is_empty() {
            request.variables = Variables::from_json(serde_json::Value::Object(self.variables));
        }
        request
    }
}

/// Says which parameter of `value` (a request's JSON) has the wrong type.
fn explain(value: &serde_json::Value, fallback: &serde_json::Error) -> String {
    let Some(object) = value.as_object() else {
        return "a GraphQL request is a JSON object with `query` (or an array of them)".to_owned();
    };
    let wrong = |name: &str, ok: fn(&serde_json::Value) -> bool| object.get(name).is_some_and(|v| !ok(v));
    if wrong("query", serde_json::Value::is_string) {
        return "`query` must be a string (the GraphQL document)".to_owned();
    }
    if wrong("operationName", |v| v.is_string() || v.is_null()) {
        return "`operationName` must be a string or null".to_owned();
    }
    for name in ["variables", "extensions"] {
        if wrong(name, |v| v.is_object() || v.is_null()) {
            return format!("`{name}` must be a JSON object or null");
        }
    }
    format!("the request does not fit GraphQL over HTTP: {fallback}")
}

fn parse_params(value: serde_json::Value) -> Result<Operation, String> {
    match <Params as serde::Deserialize>::deserialize(&value) {
        Ok(params) => Operation::try_from(params),
        Err(error) => Err(explain(&value, &error)),
    }
}

/// What a `POST` body carries.
#[derive(Debug, Clone)]
pub enum Operations {
    /// A JSON object: one operation.
    Single(Operation),
    /// A JSON array: a batch, answered with an array.
    Batch(Vec<Operation>),
}

/// Why a request is not a GraphQL-over-HTTP request: `BAD_REQUEST`, or `BATCH_TOO_LARGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// The error's code.
    pub code: &'static str,
    /// What is wrong, for the client.
    pub message: String,
}

impl From<String> for Malformed {
    fn from(message: String) -> Self {
        Self {
            code: "BAD_REQUEST",
            message,
        }
    }
}

impl Malformed {
    /// The `400` answer.
    pub fn answer(self, media: MediaType) -> HttpResponse {
        refusal(StatusCode::BAD_REQUEST, media, self.code, self.message)
    }
}

/// The operations of a `POST` body: one, or a batch of at most `max_batch`.
pub fn from_body(body: &[u8], max_batch: usize) -> Result<Operations, Malformed> {
    let batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if !batch {
        // The usual case, read straight into its fields.
        return match serde_json::from_slice::<Params>(body) {
            Ok(params) => Ok(Operations::Single(Operation::try_from(params)?)),
            Err(error) => match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(value) => Err(explain(&value, &error).into()),
                Err(error) => Err(format!("the body is not JSON: {error}").into()),
            },
        };
    }
    let values: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|error| format!("the body is not JSON: {error}"))?;
    if values.is_empty() {
        return Err("an empty batch: send at least one operation".to_owned().into());
    }
    if values.len() > max_batch {
        return Err(Malformed {
            code: "BATCH_TOO_LARGE",
            message: format!(
                "{} operations in one batch; at most {max_batch} are allowed",
                values.len()
            ),
        });
    }
    Ok(Operations::Batch(
        values.into_iter().map(parse_params).collect::<Result<_, _>>()?,
    ))
}

/// The operation of a `GET` request's query string (`variables` and `extensions` as JSON text).
pub fn from_query_string(query: &str) -> Result<Operation, String> {
    #[derive(serde::Deserialize)]
    struct Raw {
        query: Option<String>,
        #[serde(rename = "operationName")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let raw: Raw =
        serde_urlencoded::from_str(query).map_err(|error| format!("the query string does not parse: {error}"))?;
    let json = |name: &str, text: Option<String>| -> Result<Option<Map<String, serde_json::Value>>, String> {
        match text.as_deref().map(str::trim) {
            None | Some("" | "null") => Ok(None),
            Some(text) => match serde_json::from_str(text) {
                Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
                _ => Err(format!("`{name}` must be a JSON object")),
            },
        }
    };
    Operation::try_from(Params {
        query: raw.query,
        operation_name: raw.operation_name.filter(|n| !n.is_empty()),
        variables: json("variables", raw.variables)?,
        extensions: json("extensions", raw.extensions)?,
    })
}

/// Whether `response` is a request error: nothing was executed (its errors have no path and there is no data).
fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null && !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty())
}

/// The status of a request error under `application/graphql-response+json`.
fn request_error_status(response: &Response) -> StatusCode {
    let has = |wanted: &str| {
        response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|code| matches!(code, Value::String(c) if c == wanted))
        })
    };
    if has("UNAUTHENTICATED") {
        StatusCode::UNAUTHORIZED
    } else if has("FORBIDDEN") {
        StatusCode::FORBIDDEN
    } else if has("INTERNAL_SERVER_ERROR") {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// A response's JSON: without `data` for a request error.
fn body_of(response: &Response) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct RequestError<'a> {
        errors: &'a [ServerError],
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        extensions: &'a std::collections::BTreeMap<String, Value>,
    }
    let body = if is_request_error(response) {
        serde_json::to_vec(&RequestError {
            errors: &response.errors,
            extensions: &response.extensions,
        })
    } else {
        serde_json::to_vec(response)
    };
    body.unwrap_or_else(|_| {
        br#"{"errors":[{"message":"the answer could not be written","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
            .to_vec()
    })
}

/// The answer of one executed request: its status by `media`, its headers (`Cache-Control` when it succeeded, and
/// any a resolver set).
pub fn answer(media: MediaType, response: Response) -> HttpResponse {
    let status = if media == MediaType::GraphQLResponse && is_request_error(&response) {
        request_error_status(&response)
    } else {
        StatusCode::OK
    };
    let body = body_of(&response);
    with_headers(
        status,
        media,
        body,
        response.is_ok().then(|| response.cache_control.value()).flatten(),
        response.http_headers,
    )
}

/// The answer of a batch: `200`, each response as [`answer`] writes it.
pub fn answer_batch(media: MediaType, batch: BatchResponse) -> HttpResponse {
    match batch {
        BatchResponse::Single(response) => answer(media, response),
        BatchResponse::Batch(responses) => {
            let mut body = b"[".to_vec();
            for (i, response) in responses.iter().enumerate() {
                if i > 0 {
                    body.push(b',');
                }
                body.extend(body_of(response));
            }
            body.push(b']');
            let mut headers = HeaderMap::new();
            for response in responses {
                headers.extend(response.http_headers);
            }
            with_headers(StatusCode::OK, media, body, None, headers)
        }
    }
}

fn with_headers(
    status: StatusCode,
    media: MediaType,
    body: Vec<u8>,
    cache_control: Option<String>,
    extra: HeaderMap,
) -> HttpResponse {
    let mut response = (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    if let Some(value) = cache_control.and_then(|v| HeaderValue::from_str(&v).ok()) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response.headers_mut().extend(extra);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_accept_header_picks_the_media_type() {
        use MediaType::{GraphQLResponse, Json};
        assert_eq!(MediaType::negotiate(&HeaderMap::new()), Some(Json));
        assert_eq!(MediaType::negotiate(&accept("*/*")), Some(Json));
        assert_eq!(MediaType::negotiate(&accept("application/json")), Some(Json));
        assert_eq!(
            MediaType::negotiate(&accept("application/graphql-response+json")),
            Some(GraphQLResponse)
        );
        assert_eq!(
            MediaType::negotiate(&accept("application/graphql-response+json, application/json;q=0.9")),
            Some(GraphQLResponse)
        );
        assert_eq!(
            MediaType::negotiate(&accept("application/graphql-response+json;q=0.5, application/json")),
            Some(Json)
        );
        assert_eq!(
            MediaType::negotiate(&accept("application/json, application/graphql-response+json")),
            Some(GraphQLResponse)
        );
        assert_eq!(
            MediaType::negotiate(&accept("text/html,application/xhtml+xml,*/*;q=0.8")),
            Some(Json)
        );
        assert_eq!(MediaType::negotiate(&accept("text/html")), None);
        assert_eq!(MediaType::negotiate(&accept("application/json;q=0")), None);
    }

    #[test]
    fn bodies_are_read_into_operations_or_refused_with_the_reason() {
        let Ok(Operations::Single(op)) = from_body(
            br#"{"query":"{ a }","operationName":null,"variables":{"b":1,"a":2}}"#,
            10,
        ) else {
            panic!("one operation");
        };
        assert_eq!(op.query, "{ a }");
        assert_eq!(op.variables_text(), r#"{"a":2,"b":1}"#);
        let Ok(Operations::Batch(ops)) = from_body(br#" [{"query":"{ a }"},{"query":"{ b }","variables":null}]"#, 10)
        else {
            panic!("a batch");
        };
        assert_eq!(ops.len(), 2);

        let refused = |body: &str| from_body(body.as_bytes(), 2).unwrap_err().message;
        assert!(refused(r#"{ "not a JSON"#).starts_with("the body is not JSON"));
        assert!(refused("").starts_with("the body is not JSON"));
        assert!(refused(r#"{"notquery":"{ a }"}"#).contains("no `query`"));
        assert!(refused(r#"{"query":{"obj":"ect"}}"#).contains("`query` must be a string"));
        assert!(refused(r#"{"query":"{ a }","operationName":0}"#).contains("`operationName`"));
        assert!(refused(r#"{"query":"{ a }","variables":"string"}"#).contains("`variables` must be"));
        assert!(refused(r#"{"query":"{ a }","extensions":["array"]}"#).contains("`extensions` must be"));
        assert!(refused("42").contains("JSON object"));
        assert!(refused("[]").contains("empty batch"));
        let batch = from_body(br#"[{"query":"a"},{"query":"b"},{"query":"c"}]"#, 2).unwrap_err();
        assert_eq!(batch.code, "BATCH_TOO_LARGE");
        assert!(batch.message.contains("at most 2"));
    }

    #[test]
    fn query_strings_carry_variables_as_json_text() {
        let op = from_query_string("query=%7B+a+%7D&variables=%7B%22n%22%3A1%7D&operationName=").unwrap();
        assert_eq!(op.query, "{ a }");
        assert_eq!(op.operation_name, None);
        assert_eq!(op.variables_text(), r#"{"n":1}"#);
        assert!(
            from_query_string("query=%7B+a+%7D&variables=oops")
                .unwrap_err()
                .contains("`variables`")
        );
        assert!(from_query_string("").unwrap_err().contains("no `query`"));
    }

    #[test]
    fn request_errors_lose_their_data_entry_and_get_a_status() {
        let mut parse = ServerError::new("syntax", None);
        parse
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "GRAPHQL_PARSE_FAILED");
        let response = || Response::from_errors(vec![parse.clone()]);
        let body: serde_json::Value = serde_json::from_slice(&body_of(&response())).unwrap();
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(answer(MediaType::GraphQLResponse, response()).status(), 400);
        assert_eq!(answer(MediaType::Json, response()).status(), 200);

        let mut field = ServerError::new("boom", None);
        field.path = vec![async_graphql::PathSegment::Field("a".to_owned())];
        let response = Response::from_errors(vec![field]);
        let body: serde_json::Value = serde_json::from_slice(&body_of(&response)).unwrap();
        assert!(body.get("data").is_some_and(serde_json::Value::is_null), "{body}");
        assert_eq!(answer(MediaType::GraphQLResponse, response).status(), 200);
    }
}
