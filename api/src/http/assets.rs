//! GraphiQL, served from the binary: the page at `/` and its scripts and styles under `/assets/graphiql/`, stored
//! gzipped (`api/assets/graphiql/`, refreshed by `scripts/vendor-graphiql.sh`). Nothing is loaded from a CDN, so the
//! explorer works with no internet. Clients that do not accept gzip get the bytes decompressed.

use std::io::Read;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../../assets/graphiql/graphiql.min.js.gz"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        gzipped: include_bytes!("../../assets/graphiql/graphiql.min.css.gz"),
    },
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../../assets/graphiql/react.production.min.js.gz"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../../assets/graphiql/react-dom.production.min.js.gz"),
    },
    Asset {
        name: "graphql-ws.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../../assets/graphiql/graphql-ws.min.js.gz"),
    },
];

/// The GraphiQL page.
const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// `GET /`: GraphiQL.
pub async fn graphiql() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /assets/graphiql/{name}`: one of GraphiQL's files.
pub async fn graphiql_asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let accepts_gzip = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")));
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    if accepts_gzip {
        let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return ([content_type, encoding, cache, vary], asset.gzipped).into_response();
    }
    let mut plain = Vec::new();
    match flate2::read::GzDecoder::new(asset.gzipped).read_to_end(&mut plain) {
        Ok(_) => ([content_type, cache, vary], plain).into_response(),
        Err(error) => {
            tracing::error!(asset = asset.name, %error, "an embedded asset does not decompress");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_page_names_is_embedded_and_decompresses() {
        for asset in ASSETS {
            assert!(
                PAGE.contains(&format!("/assets/graphiql/{}", asset.name)),
                "{}",
                asset.name
            );
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(asset.gzipped)
                .read_to_end(&mut plain)
                .expect("gzip");
            assert!(plain.len() > 1000, "{} is {} bytes", asset.name, plain.len());
        }
        let named = PAGE.matches("/assets/graphiql/").count();
        assert_eq!(named, ASSETS.len(), "the page names an asset that is not embedded");
    }
}
