//! The queue as deployed on AWS: Redis over TLS (`rediss://`) with an AUTH password given apart from the URL
//! (`STREAMLENS_REDIS_PASSWORD`, as an ElastiCache auth token arrives from a secrets manager), and the workload the
//! workers report to CloudWatch for alarms and autoscaling.
//!
//! A real `redis-server` with TLS on a free loopback port, with a certificate signed by a throw-away CA that the
//! client trusts through `SSL_CERT_FILE`: the test runs its client half again in a child process with that variable
//! set, so it reaches no other test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use streamlens_domain::config::{Config, QueueUrl, SimulatorSettings};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::Trigger;
use streamlens_domain::storage::Storage;
use streamlens_domain::storage::blob::files::FileBlobStore;
use streamlens_domain::storage::meta::sqlite::SqliteMetaStore;
use streamlens_jobs::cloudwatch;
use streamlens_jobs::jobs::{JobContext, PullSource, StartSeries};
use streamlens_jobs::notify::Notifier;
use streamlens_jobs::pipeline::locks::Locks;
use streamlens_jobs::queue::worker::Registrar;
use streamlens_jobs::queue::{Queue, QueueSettings};
use streamlens_jobs::sources::registry::Sources;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "tls p@ss/w:rd#1";

struct TlsRedis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("run openssl");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and redis-server serving TLS only, with a password.
fn start_tls_redis() -> TlsRedis {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=streamlens test CA",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
    ]));
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &path("server.key"),
        "-out",
        &path("server.csr"),
    ]));
    std::fs::write(
        path("san.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &path("server.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        &path("san.ext"),
        "-out",
        &path("server.pem"),
    ]));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args(["--port", "0", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
        .args([
            "--tls-cert-file",
            &path("server.pem"),
            "--tls-key-file",
            &path("server.key"),
        ])
        .args(["--tls-ca-cert-file", &path("ca.pem"), "--requirepass", PASSWORD])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server (with TLS support) must be installed");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server with TLS did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    TlsRedis { child, port, _dir: dir }
}

fn queue_url(vars: &[(&str, String)]) -> QueueUrl {
    let env: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    Config::from_env(&env).unwrap().queue
}

fn pull(n: i64) -> PullSource {
    PullSource {
        source: SourceId::simulator(),
        trigger: Trigger::Schedule,
        at: Utc::now() - chrono::Duration::minutes(n),
        range: None,
        pull_id: None,
    }
}

const NAME: &str = "a_queue_on_redis_over_tls_with_a_separate_password_runs_jobs_and_reports_its_workload";

#[test]
fn a_queue_on_redis_over_tls_with_a_separate_password_runs_jobs_and_reports_its_workload() {
    if let Ok(port) = std::env::var("STREAMLENS_TEST_TLS_PORT") {
        return client(port.parse().unwrap());
    }
    let redis = start_tls_redis();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--nocapture", "--test-threads", "1"])
        .env("STREAMLENS_TEST_TLS_PORT", redis.port.to_string())
        .env("SSL_CERT_FILE", redis._dir.path().join("ca.pem"))
        .output()
        .unwrap();
    assert!(
        output.status.success() && String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the client half failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The client half, in the child process that trusts the test CA.
fn client(port: u16) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let settings = QueueSettings {
            namespace: format!("t{}", uuid::Uuid::new_v4().simple()),
            ..QueueSettings::default()
        };

        // Without the password, or with a wrong one, connecting fails with the server's answer.
        let bare = format!("rediss://127.0.0.1:{port}");
        let without = Queue::connect(&queue_url(&[("STREAMLENS_QUEUE", bare.clone())]), settings.clone()).await;
        let error = match without {
            Ok(_) => panic!("connected without the password"),
            Err(error) => error.to_string(),
        };
        assert!(error.to_ascii_lowercase().contains("auth"), "{error}");
        let wrong = queue_url(&[
            ("STREAMLENS_QUEUE", bare.clone()),
            ("STREAMLENS_REDIS_PASSWORD", "not it".to_owned()),
        ]);
        assert!(Queue::connect(&wrong, settings.clone()).await.is_err());

        // The password from its own variable: jobs are pushed, counted and aged.
        let url = queue_url(&[
            ("STREAMLENS_QUEUE", bare),
            ("STREAMLENS_REDIS_PASSWORD", PASSWORD.to_owned()),
        ]);
        assert!(url.to_string().contains(":****@"), "the password is not shown: {url}");
        let queue = Queue::connect(&url, settings).await.expect("TLS and AUTH");
        queue.check().await.unwrap();
        queue.push_all((1..=3).map(pull).collect()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let workload = queue.workload::<PullSource>().await.unwrap();
        assert_eq!(workload.workers, 0);
        let age = workload.oldest_waiting.expect("the oldest job's age");
        assert!(
            (Duration::from_secs(1)..Duration::from_secs(30)).contains(&age),
            "{age:?}"
        );
        let figures = cloudwatch::read(&queue).await.unwrap();
        assert_eq!(figures.backlog, 3);
        assert_eq!(figures.workers, 1, "the writer counts itself");
        assert_eq!(figures.dead, 0);
        let line: serde_json::Value = serde_json::from_str(&cloudwatch::line("Streamlens/Test", &figures, 0)).unwrap();
        assert_eq!(line["QueueBacklog"], 3);
        assert_eq!(line["BacklogPerTask"], 3.0);

        // A running worker process is counted once per queue it works, by its heartbeat.
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage {
            blobs: Arc::new(FileBlobStore::open(dir.path().join("blobs")).await.unwrap()),
            meta: Arc::new(SqliteMetaStore::open(dir.path().join("meta.sqlite")).await.unwrap()),
        };
        let simulator = SimulatorSettings {
            seed: 1,
            channels: 1,
            speed: 1.0,
        };
        let sources = Arc::new(Sources::start(&[], simulator).await.unwrap());
        let ctx = JobContext::new(storage, queue.clone(), sources, Locks::local(), Notifier::off());
        let stop = CancellationToken::new();
        let workers = tokio::spawn(
            Registrar::new(ctx)
                .add::<StartSeries>()
                .run(stop.clone().cancelled_owned()),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if queue.workload::<StartSeries>().await.unwrap().workers == 1 {
                break;
            }
            assert!(Instant::now() < deadline, "the worker's heartbeat was not seen");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.cancel();
        workers.await.unwrap().unwrap();
    });
}
