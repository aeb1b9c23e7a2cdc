//! The server on port 0 with its own stores: liveness, readiness, and readiness failing when a store does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use streamlens_api::{App, serve};
use streamlens_domain::config::QueueUrl;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_jobs::queue::{Queue, QueueSettings};

struct Running {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn spawn(storage: Storage, queue: Queue) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let auth = streamlens_api::auth::Auth::new(&Default::default(), storage.meta.clone())
        .await
        .unwrap();
    let app = App::new(
        storage,
        queue,
        Vec::new(),
        streamlens_jobs::notify::Notifier::in_process(),
        auth,
    );
    let server = tokio::spawn(serve(listener, app, async {
        let _ = stopped.await;
    }));
    Running {
        base,
        stop: Some(stop),
        server,
    }
}

async fn local_queue(dir: &std::path::Path) -> Queue {
    Queue::connect(&QueueUrl::Sqlite(dir.join("queue.sqlite")), QueueSettings::default())
        .await
        .unwrap()
}

async fn local_storage(dir: &std::path::Path) -> Storage {
    Storage {
        blobs: Arc::new(FileBlobStore::open(dir.join("blobs")).await.unwrap()),
        meta: Arc::new(SqliteMetaStore::open(dir.join("meta.sqlite")).await.unwrap()),
    }
}

#[tokio::test]
async fn healthz_and_readyz_answer_with_the_embedded_stores() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn(local_storage(dir.path()).await, local_queue(dir.path()).await).await;

    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<serde_json::Value>().await.unwrap()["status"], "ok");

    let ready = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"][0]["adapter"], "sqlite");
    assert_eq!(body["checks"][1]["adapter"], "files");
    assert_eq!(body["checks"][2]["adapter"], "sqlite");

    app.stop.take().unwrap().send(()).unwrap();
    app.server.await.unwrap().unwrap();
}

#[tokio::test]
async fn readyz_fails_when_a_store_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let storage = local_storage(dir.path()).await;
    let app = spawn(storage, local_queue(dir.path()).await).await;
    // The blob folder disappears (an unmounted volume) and a file takes its place.
    std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
    std::fs::write(dir.path().join("blobs"), b"x").unwrap();

    let ready = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"][1]["status"], "failing");
    // The cause stays in the logs.
    assert!(!body.to_string().contains("folder"));
}

#[tokio::test]
async fn the_web_app_is_served_at_app_with_its_files_cached_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn(local_storage(dir.path()).await, local_queue(dir.path()).await).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, gzip: bool| {
        let request = client.get(format!("{}{path}", app.base));
        let request = match gzip {
            true => request.header("accept-encoding", "gzip, br"),
            false => request,
        };
        request.send()
    };

    let bare = get("/app", false).await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(bare.headers()["location"], "/app/");

    let page = get("/app/", false).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.unwrap();
    // A route of the app (no file extension) is the page too; the browser routes it.
    let route = get("/app/channels/some-login", false).await.unwrap();
    assert_eq!(route.status(), 200);
    assert_eq!(route.text().await.unwrap(), html);

    let script = html
        .split("/app/assets/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page names a file under /app/assets/");
    let plain = get(&format!("/app/assets/{script}"), false).await.unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let zipped = get(&format!("/app/assets/{script}"), true).await.unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let zipped = zipped.bytes().await.unwrap();
    assert!(zipped.len() < plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain);

    assert_eq!(get("/app/assets/missing-0000.js", false).await.unwrap().status(), 404);
    assert_eq!(get("/app/../Cargo.toml", false).await.unwrap().status(), 404);

    app.stop.take().unwrap().send(()).unwrap();
    app.server.await.unwrap().unwrap();
}

#[test]
fn a_bad_setting_stops_start_up_with_the_variable_name() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_streamlens"))
        .env("STREAMLENS_META", "mysql://localhost/streamlens")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("STREAMLENS_META"), "{stderr}");
    assert!(stderr.contains("sqlite://FILE or dynamodb://TABLE_PREFIX"), "{stderr}");
}
