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
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return Ok(config);
    }
    if settings.endpoint.is_some() {
        return Ok(config
            .into_builder()
            .region(Region::new(LOCAL_REGION))
            .build());
    }
    Err("no AWS region configured: set STREAMLENS_AWS_REGION or AWS_REGION".to_owned())
}

/// Converts an SDK timestamp.
pub(crate) fn to_chrono(t: &aws_sdk_s3::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}
