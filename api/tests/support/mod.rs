//! What the gateway's integration suites share: the two deployments they run on.
//!
//! - [`Backend::Embedded`]: the default (files, SQLite, the SQLite queue, in-process events and cache).
//! - [`Backend::RedisAws`]: Redis on 127.0.0.1:6379 for the queue, events and the response cache; S3 and DynamoDB on
//!   the moto server of `STREAMLENS_TEST_AWS_ENDPOINT` (started by `scripts/test.sh`).
//!
//! [`on_both_backends!`] turns each `async fn test(backend: Backend)` into one test per backend.

#![allow(dead_code)]

use std::collections::HashMap;

/// Where a test's gateway keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Files, SQLite, in-process events and cache.
    Embedded,
    /// Redis, S3 and DynamoDB (moto).
    RedisAws,
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The settings that put a runtime on `backend`, added to `env`. Anonymous reads and the explorer are set on
/// explicitly (they default to off outside the embedded default); a test may set them again.
pub fn backend_env(backend: Backend, env: &mut HashMap<String, String>) {
    env.insert("STREAMLENS_ANONYMOUS".into(), "true".into());
    env.insert("STREAMLENS_EXPLORER".into(), "true".into());
    if backend == Backend::Embedded {
        return;
    }
    let endpoint = std::env::var("STREAMLENS_TEST_AWS_ENDPOINT").expect(
        "STREAMLENS_TEST_AWS_ENDPOINT is not set: these tests need a local moto server. Run scripts/test.sh, which \
         starts one.",
    );
    let redis = "redis://127.0.0.1:6379".to_owned();
    env.insert("STREAMLENS_QUEUE".into(), redis.clone());
    env.insert("STREAMLENS_QUEUE_NAMESPACE".into(), unique("api"));
    env.insert("STREAMLENS_PUBSUB".into(), redis.clone());
    env.insert("STREAMLENS_CACHE".into(), redis);
    env.insert("STREAMLENS_AWS_ENDPOINT".into(), endpoint);
    env.insert("STREAMLENS_AWS_REGION".into(), "us-east-1".into());
    env.insert("STREAMLENS_CREATE_RESOURCES".into(), "true".into());
    env.insert(
        "STREAMLENS_BLOBS".into(),
        format!("s3://streamlens-api/{}", unique("t")),
    );
    env.insert("STREAMLENS_META".into(), format!("dynamodb://{}", unique("api")));
}

/// One test per backend for each `async fn name(backend: Backend)` named: `embedded::name` and
/// `redis_and_aws::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::Backend::Embedded).await
                }
            )+
        }
        mod redis_and_aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::support::Backend::RedisAws).await
                }
            )+
        }
    };
}
