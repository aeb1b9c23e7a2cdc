//! Shared AWS SDK set-up for the S3 and DynamoDB adapters.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use chrono::{DateTime, Utc};

use crate::config::AwsSettings;

/// The region used against a local endpoint (moto, LocalStack) when none is configured.
const LOCAL_REGION: &str = "us-east-1";

/// Loads the SDK configuration: the standard AWS chain (environment, profile, container and instance credentials),
/// with the region and endpoint from Streamlens' config taking precedence.
///
/// Fails when no region can be found, naming the settings that provide one.
pub async fn sdk_config(settings: &AwsSettings) -> Result<SdkConfig, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    let region_in_env = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
    match &settings.region {
        Some(region) => loader = loader.region(Region::new(region.clone())),
        // A local endpoint does not care about the region: skip the chain's instance-metadata lookup, which would
        // time out and log warnings off AWS.
        None if settings.endpoint.is_some() && !region_in_env => loader = loader.region(Region::new(LOCAL_REGION)),
        None => {}
    }
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return Ok(config);
    }
    Err("no AWS region configured: set STREAMLENS_AWS_REGION or AWS_REGION".to_owned())
}

/// Converts an SDK timestamp.
pub(crate) fn to_chrono(t: &aws_sdk_s3::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}
