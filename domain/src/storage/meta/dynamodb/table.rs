//! The table: its name, and its creation when asked to.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::{GSI1, sdk_error};
use crate::storage::meta::MetaError;

/// How long to wait for a new table to become active.
const CREATE_TIMEOUT: Duration = Duration::from_secs(120);

/// The table for a prefix: `{prefix}-meta`, or `{prefix}meta` when the prefix already ends with `-`, `_` or `.`.
pub fn table_name(prefix: &str) -> String {
    if prefix.ends_with(['-', '_', '.']) {
        format!("{prefix}meta")
    } else {
        format!("{prefix}-meta")
    }
}

/// Checks that `table` exists, creating it (with `gsi1` and TTL) when it does not and `create` is set.
pub(super) async fn ensure(client: &Client, table: &str, create: bool) -> Result<(), MetaError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(MetaError::backend("open", sdk_error(e))),
    }
    if !create {
        return Err(MetaError::backend(
            "open",
            format!("DynamoDB table {table:?} does not exist (set STREAMLENS_CREATE_RESOURCES=true to create it)"),
        ));
    }
    let built = |e| MetaError::backend("create table", e);
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(built)
    };
    let key = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(built)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(GSI1)
        .key_schema(key("gsi1pk", KeyType::Hash)?)
        .key_schema(key("gsi1sk", KeyType::Range)?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()
        .map_err(built)?;
    let created = client
        .create_table()
        .table_name(table)
        .attribute_definitions(attribute("pk")?)
        .attribute_definitions(attribute("sk")?)
        .attribute_definitions(attribute("gsi1pk")?)
        .attribute_definitions(attribute("gsi1sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(index)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Another process is creating it: wait for it below.
        Err(e) if e.code() == Some("ResourceInUseException") => {}
        Err(e) => return Err(MetaError::backend("create table", sdk_error(e))),
    }

    let deadline = tokio::time::Instant::now() + CREATE_TIMEOUT;
    loop {
        let status = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| MetaError::backend("create table", sdk_error(e)))?
            .table
            .and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(MetaError::backend(
                "create table",
                format!("table {table:?} is not active after 120 s"),
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name("expires_at")
        .build()
        .map_err(built)?;
    match client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Already enabled by a concurrent creator.
        Err(e) if e.code() == Some("ValidationException") => Ok(()),
        Err(e) => Err(MetaError::backend("enable TTL", sdk_error(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_the_prefix() {
        assert_eq!(table_name("streamlens-dev"), "streamlens-dev-meta");
        assert_eq!(table_name("streamlens_dev_"), "streamlens_dev_meta");
    }
}
