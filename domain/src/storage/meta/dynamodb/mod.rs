//! The DynamoDB metadata adapter (`dynamodb://table-prefix`): one on-demand table, `{prefix}-meta`, with the GSI
//! `gsi1` (all attributes projected) and TTL on `expires_at`.
//!
//! Conditions become condition expressions (`attribute_not_exists(pk)`, `version = :v`), updates one `UpdateItem`
//! with `SET … version = if_not_exists(version, 0) + 1 REMOVE …`, so every write is one atomic request. Table reads are
//! strongly consistent; index reads are eventually consistent, as DynamoDB allows no other. Queries follow
//! `LastEvaluatedKey` until the page is full, so a page is short only at the end; batches go 25 at a time and
//! unprocessed items are retried with backoff.

mod convert;
mod table;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, ReturnValue, WriteRequest,
};

use super::item::{check_item, check_key};
use super::query::Bound;
use super::{
    BATCH_CHUNK, Condition, GET_MANY_CHUNK, Index, Item, Key, MetaError, MetaStore, Order, Page, Query, Update,
    WriteOp, dedupe_batch,
};

pub use table::table_name;

/// The name of the secondary index.
const GSI1: &str = "gsi1";
/// Attempts at a batch chunk whose items DynamoDB leaves unprocessed (throttling) before giving up.
const BATCH_ATTEMPTS: u32 = 8;

/// The metadata store in one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoMetaStore {
    client: Client,
    table: String,
}

/// The SDK's error with its full chain (code, message, request id), for logs.
fn sdk_error<E: std::error::Error + 'static>(err: E) -> String {
    DisplayErrorContext(err).to_string()
}

fn is_condition_failure<E: ProvideErrorMetadata>(err: &E) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// A condition expression with its attribute names and values.
struct ConditionExpr {
    expression: &'static str,
    names: HashMap<String, String>,
    values: Option<HashMap<String, AttributeValue>>,
}

/// The condition expression for `condition`, if it has one.
fn condition_expression(condition: Condition) -> Option<ConditionExpr> {
    let pk = || HashMap::from([("#pk".to_owned(), "pk".to_owned())]);
    match condition {
        Condition::None => None,
        Condition::Absent => Some(ConditionExpr {
            expression: "attribute_not_exists(#pk)",
            names: pk(),
            values: None,
        }),
        Condition::Exists => Some(ConditionExpr {
            expression: "attribute_exists(#pk)",
            names: pk(),
            values: None,
        }),
        Condition::VersionEquals(v) => Some(ConditionExpr {
            expression: "#version = :expected",
            names: HashMap::from([("#version".to_owned(), "version".to_owned())]),
            values: Some(HashMap::from([(
                ":expected".to_owned(),
                AttributeValue::N(v.to_string()),
            )])),
        }),
    }
}

impl DynamoMetaStore {
    /// Connects to the table for `prefix` (see [`table_name`]). With `create_table`, a missing table is created
    /// with its index and TTL (local stacks and tests; in AWS the deployment creates it); otherwise a missing table is
    /// an error.
    pub async fn open(sdk: &aws_config::SdkConfig, prefix: &str, create_table: bool) -> Result<Self, MetaError> {
        let client = Client::new(sdk);
        let table = table_name(prefix);
        table::ensure(&client, &table, create_table).await?;
        Ok(Self { client, table })
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }
}

#[async_trait]
impl MetaStore for DynamoMetaStore {
    fn adapter(&self) -> &'static str {
        "dynamodb"
    }

    async fn get(&self, key: &Key) -> Result<Option<Item>, MetaError> {
        check_key(key)?;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(convert::key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| MetaError::backend("get", sdk_error(e)))?;
        output.item.map(convert::from_attributes).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, MetaError> {
        keys.iter().try_for_each(check_key)?;
        let mut found: HashMap<Key, Item> = HashMap::with_capacity(keys.len());
        // BatchGetItem refuses repeated keys: ask for each once.
        let unique: Vec<&Key> = {
            let mut seen = std::collections::HashSet::new();
            keys.iter().filter(|k| seen.insert(*k)).collect()
        };
        for chunk in unique.chunks(GET_MANY_CHUNK) {
            let mut request = KeysAndAttributes::builder().consistent_read(true);
            for key in chunk {
                request = request.keys(convert::key_attributes(key));
            }
            let mut request = request.build().map_err(|e| MetaError::backend("get many", e))?;
            let mut attempt = 0;
            loop {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| MetaError::backend("get many", sdk_error(e)))?;
                for attributes in output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    let item = convert::from_attributes(attributes)?;
                    found.insert(item.key.clone(), item);
                }
                match output.unprocessed_keys.and_then(|mut m| m.remove(&self.table)) {
                    Some(rest) if !rest.keys.is_empty() => {
                        attempt += 1;
                        if attempt >= BATCH_ATTEMPTS {
                            return Err(MetaError::backend(
                                "get many",
                                format!("{} keys still unprocessed after {attempt} attempts", rest.keys.len()),
                            ));
                        }
                        tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
                        request = rest;
                    }
                    _ => break,
                }
            }
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<u64, MetaError> {
        check_item(&item)?;
        let version = item.version + 1;
        let mut request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(convert::to_attributes(&item, version)));
        if let Some(condition) = condition_expression(condition) {
            request = request
                .condition_expression(condition.expression)
                .set_expression_attribute_names(Some(condition.names))
                .set_expression_attribute_values(condition.values);
        }
        match request.send().await {
            Ok(_) => Ok(version),
            Err(e) if e.as_service_error().is_some_and(is_condition_failure) => Err(MetaError::ConditionFailed),
            Err(e) => Err(MetaError::backend("put", sdk_error(e))),
        }
    }

    async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, MetaError> {
        check_key(key)?;
        update.check()?;
        let mut names: HashMap<String, String> = HashMap::from([("#version".into(), "version".into())]);
        let mut values: HashMap<String, AttributeValue> = HashMap::from([
            (":zero".into(), AttributeValue::N("0".into())),
            (":one".into(), AttributeValue::N("1".into())),
        ]);
        let mut sets = vec!["#version = if_not_exists(#version, :zero) + :one".to_owned()];
        let mut removes = Vec::new();
        for (i, (name, value)) in update.set.iter().enumerate() {
            names.insert(format!("#s{i}"), name.clone());
            values.insert(format!(":s{i}"), convert::to_value(value));
            sets.push(format!("#s{i} = :s{i}"));
        }
        for (i, name) in update.remove.iter().enumerate() {
            names.insert(format!("#r{i}"), name.clone());
            removes.push(format!("#r{i}"));
        }
        match &update.gsi1 {
            None => {}
            Some(Some(index)) => {
                names.insert("#gpk".into(), "gsi1pk".into());
                names.insert("#gsk".into(), "gsi1sk".into());
                values.insert(":gpk".into(), AttributeValue::S(index.pk.clone()));
                values.insert(":gsk".into(), AttributeValue::S(index.sk.clone()));
                sets.push("#gpk = :gpk".into());
                sets.push("#gsk = :gsk".into());
            }
            Some(None) => {
                names.insert("#gpk".into(), "gsi1pk".into());
                names.insert("#gsk".into(), "gsi1sk".into());
                removes.push("#gpk".into());
                removes.push("#gsk".into());
            }
        }
        match update.expires_at {
            None => {}
            Some(Some(at)) => {
                names.insert("#exp".into(), "expires_at".into());
                values.insert(":exp".into(), AttributeValue::N(at.to_string()));
                sets.push("#exp = :exp".into());
            }
            Some(None) => {
                names.insert("#exp".into(), "expires_at".into());
                removes.push("#exp".into());
            }
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(convert::key_attributes(key)))
            .update_expression(expression)
            .return_values(ReturnValue::AllNew);
        if let Some(condition) = condition_expression(condition) {
            names.extend(condition.names);
            values.extend(condition.values.unwrap_or_default());
            request = request.condition_expression(condition.expression);
        }
        let output = request
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match output {
            Ok(output) => {
                let attributes = output
                    .attributes
                    .ok_or_else(|| MetaError::backend("update", "UpdateItem returned no attributes"))?;
                convert::from_attributes(attributes)
            }
            Err(e) if e.as_service_error().is_some_and(is_condition_failure) => Err(MetaError::ConditionFailed),
            Err(e) => {
                let message = sdk_error(e);
                if message.contains("Item size") {
                    return Err(MetaError::InvalidItem(message));
                }
                Err(MetaError::backend("update", message))
            }
        }
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<(), MetaError> {
        check_key(key)?;
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(convert::key_attributes(key)));
        if let Some(condition) = condition_expression(condition) {
            request = request
                .condition_expression(condition.expression)
                .set_expression_attribute_names(Some(condition.names))
                .set_expression_attribute_values(condition.values);
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(is_condition_failure) => Err(MetaError::ConditionFailed),
            Err(e) => Err(MetaError::backend("delete", sdk_error(e))),
        }
    }

    async fn query(&self, query: &Query) -> Result<Page, MetaError> {
        query.check()?;
        let position = query.cursor.as_ref().map(|c| c.position(query)).transpose()?;
        let (pk_name, sk_name, index_name) = match query.index {
            Index::Table => ("pk", "sk", None),
            Index::Gsi1 => ("gsi1pk", "gsi1sk", Some(GSI1)),
        };
        let mut names = HashMap::from([("#p".to_owned(), pk_name.to_owned())]);
        let mut values = HashMap::from([(":p".to_owned(), AttributeValue::S(query.pk.clone()))]);
        let mut expression = "#p = :p".to_owned();
        let mut bind = |name: &str, value: &str| {
            values.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
        };
        let sort_condition = match query.sort_key.bound() {
            None => None,
            Some(Bound::Compare(op, value)) => {
                bind(":s", value);
                Some(format!("#s {op} :s"))
            }
            Some(Bound::Prefix(prefix)) => {
                bind(":s", prefix);
                Some("begins_with(#s, :s)".to_owned())
            }
            Some(Bound::Between(low, high)) => {
                bind(":s", low);
                bind(":t", high);
                Some("#s BETWEEN :s AND :t".to_owned())
            }
        };
        if let Some(condition) = sort_condition {
            names.insert("#s".into(), sk_name.into());
            expression.push_str(" AND ");
            expression.push_str(&condition);
        }

        let want = query.limit + 1;
        let mut items = Vec::with_capacity(want);
        let mut start = position.map(convert::start_key);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index_name.map(str::to_owned))
                .key_condition_expression(&expression)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(query.order == Order::Ascending)
                .consistent_read(query.index == Index::Table)
                .limit(i32::try_from(want - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| MetaError::backend("query", sdk_error(e)))?;
            for attributes in output.items.unwrap_or_default() {
                items.push(convert::from_attributes(attributes)?);
            }
            match output.last_evaluated_key {
                Some(key) if items.len() < want => start = Some(key),
                _ => break,
            }
        }
        Ok(Page::from_overfetch(items, query.limit, query.index))
    }

    async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), MetaError> {
        let ops = dedupe_batch(ops)?;
        for chunk in ops.chunks(BATCH_CHUNK) {
            let mut requests = Vec::with_capacity(chunk.len());
            for op in chunk {
                let built = |e| MetaError::backend("batch write", e);
                requests.push(match op {
                    WriteOp::Put(item) => WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(convert::to_attributes(item, item.version + 1)))
                                .build()
                                .map_err(built)?,
                        )
                        .build(),
                    WriteOp::Delete(key) => WriteRequest::builder()
                        .delete_request(
                            DeleteRequest::builder()
                                .set_key(Some(convert::key_attributes(key)))
                                .build()
                                .map_err(built)?,
                        )
                        .build(),
                });
            }
            let mut attempt = 0;
            loop {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(|e| MetaError::backend("batch write", sdk_error(e)))?;
                let unprocessed = output
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if unprocessed.is_empty() {
                    break;
                }
                attempt += 1;
                if attempt >= BATCH_ATTEMPTS {
                    return Err(MetaError::backend(
                        "batch write",
                        format!("{} items still unprocessed after {attempt} attempts", unprocessed.len()),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50 << attempt.min(6))).await;
                requests = unprocessed;
            }
        }
        Ok(())
    }

    async fn purge_expired(&self, _now: i64) -> Result<u64, MetaError> {
        Ok(0)
    }
}
