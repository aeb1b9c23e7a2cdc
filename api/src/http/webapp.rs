//! The web dashboard at `/app/`: the files of `web/dist` (built by Vite from `web/`, committed), embedded in the
//! binary at compile time, so `cargo run --release` serves the dashboard on a machine without Node.
//!
//! - `/app` redirects to `/app/`; `/app/` and any path without a file extension answer `index.html` (the app routes
//!   in the browser); a missing file with an extension is a 404.
//! - Files under `assets/` carry a content hash in their names: cached for a year, immutable. The rest (the page)
//!   is revalidated on every load, so a new build is seen at once.
//! - Text files are sent gzipped to clients that accept it (compressed once, on first request).

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;

/// The built dashboard.
#[derive(RustEmbed)]
#[folder = "../web/dist/"]
struct WebApp;

/// Gzipped copies of the text files, by path.
static GZIPPED: std::sync::LazyLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> =
    std::sync::LazyLock::new(|| Mutex::new(HashMap::new()));

/// `GET /app`.
pub async fn redirect() -> Redirect {
    Redirect::permanent("/app/")
}

/// `GET /app/`.
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /app/{*path}`.
pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let name = path.rsplit('/').next().unwrap_or_default();
    if WebApp::get(&path).is_none() && !name.contains('.') {
        return serve("index.html", &headers);
    }
    serve(&path, &headers)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")))
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || ["javascript", "json", "svg", "xml", "wasm"]
            .iter()
            .any(|t| content_type.contains(t))
}

fn gzipped(path: &str, bytes: &[u8]) -> Option<Arc<Vec<u8>>> {
    let mut cache = GZIPPED.lock().ok()?;
    if let Some(done) = cache.get(path) {
        return Some(done.clone());
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    let done = Arc::new(encoder.finish().ok()?);
    cache.insert(path.to_owned(), done.clone());
    Some(done)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = WebApp::get(path) else {
        return (StatusCode::NOT_FOUND, "no such file in the web app").into_response();
    };
    let mime = file.metadata.mimetype();
    let content_type = match mime {
        "text/html" | "text/css" | "text/javascript" | "application/javascript" => format!("{mime}; charset=utf-8"),
        other => other.to_owned(),
    };
    let cache = match path.starts_with("assets/") {
        true => "public, max-age=31536000, immutable",
        false => "no-cache",
    };
    let mut response = if compressible(&content_type) && accepts_gzip(headers) {
        match gzipped(path, &file.data) {
            Some(bytes) => {
                let mut response = bytes.as_ref().clone().into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            None => file.data.into_owned().into_response(),
        }
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_every_file_it_names_are_embedded() {
        let page = WebApp::get("index.html").expect("web/dist/index.html (run npm run build in web/)");
        let page = String::from_utf8_lossy(&page.data).into_owned();
        let named: Vec<&str> = page
            .split("/app/")
            .skip(1)
            .filter_map(|rest| rest.split(['"', '\'']).next())
            .filter(|path| path.starts_with("assets/"))
            .collect();
        assert!(
            !named.is_empty(),
            "index.html names no script or style under /app/assets/"
        );
        for path in named {
            assert!(
                WebApp::get(path).is_some(),
                "{path} is named by index.html but not embedded"
            );
        }
    }
}
