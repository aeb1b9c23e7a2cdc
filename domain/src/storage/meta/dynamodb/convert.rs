//! Items to and from DynamoDB attribute maps.
//!
//! The store's own fields are top-level attributes (`pk`, `sk`, `gsi1pk`, `gsi1sk`, `version`, `expires_at`) beside
//! the item's attributes, so the table reads naturally in the console and TTL works on `expires_at`. JSON values map
//! to DynamoDB's types one to one: string `S`, number `N`, bool `BOOL`, null `NULL`, array `L`, object `M`.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use serde_json::{Map, Number, Value};

use crate::storage::meta::query::Position;
use crate::storage::meta::{IndexKey, Item, Key, MetaError};

/// An item as DynamoDB stores it, with `version` as given.
pub(super) fn to_attributes(item: &Item, version: u64) -> HashMap<String, AttributeValue> {
    let mut map: HashMap<String, AttributeValue> = item
        .attrs
        .iter()
        .map(|(name, value)| (name.clone(), to_value(value)))
        .collect();
    map.extend(key_attributes(&item.key));
    if let Some(index) = &item.gsi1 {
        map.insert("gsi1pk".into(), AttributeValue::S(index.pk.clone()));
        map.insert("gsi1sk".into(), AttributeValue::S(index.sk.clone()));
    }
    if let Some(expires_at) = item.expires_at {
        map.insert("expires_at".into(), AttributeValue::N(expires_at.to_string()));
    }
    map.insert("version".into(), AttributeValue::N(version.to_string()));
    map
}

/// The primary-key attributes of `key`.
pub(super) fn key_attributes(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// The `ExclusiveStartKey` for a cursor position.
pub(super) fn start_key(position: Position) -> HashMap<String, AttributeValue> {
    let mut map = key_attributes(&Key::new(position.pk, position.sk));
    if let Some((pk, sk)) = position.gsi1 {
        map.insert("gsi1pk".into(), AttributeValue::S(pk));
        map.insert("gsi1sk".into(), AttributeValue::S(sk));
    }
    map
}

/// A JSON value as a DynamoDB attribute value.
pub(super) fn to_value(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_value).collect()),
        Value::Object(map) => AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

fn bad(why: String) -> MetaError {
    MetaError::backend("read", why)
}

fn number(text: &str) -> Result<Value, MetaError> {
    if let Ok(i) = text.parse::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Ok(Value::from(u));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| bad(format!("number {text:?} does not fit a JSON number")))
}

/// A DynamoDB attribute value as JSON. Binary values (never written by this store) come back as base64 text.
pub(super) fn from_value(value: AttributeValue) -> Result<Value, MetaError> {
    let base64 = |b: aws_sdk_dynamodb::primitives::Blob| {
        Value::String(base64::engine::general_purpose::STANDARD.encode(b.into_inner()))
    };
    Ok(match value {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::N(n) => number(&n)?,
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::L(items) => Value::Array(items.into_iter().map(from_value).collect::<Result<_, _>>()?),
        AttributeValue::M(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| from_value(v).map(|v| (k, v)))
                .collect::<Result<Map<_, _>, _>>()?,
        ),
        AttributeValue::Ss(set) => Value::Array(set.into_iter().map(Value::String).collect()),
        AttributeValue::Ns(set) => Value::Array(set.iter().map(|n| number(n)).collect::<Result<_, _>>()?),
        AttributeValue::B(b) => base64(b),
        AttributeValue::Bs(set) => Value::Array(set.into_iter().map(base64).collect()),
        other => return Err(bad(format!("unsupported attribute type {other:?}"))),
    })
}

/// An item from DynamoDB's attribute map.
pub(super) fn from_attributes(mut map: HashMap<String, AttributeValue>) -> Result<Item, MetaError> {
    let mut text = |name: &str| match map.remove(name) {
        Some(AttributeValue::S(s)) => Ok(Some(s)),
        None => Ok(None),
        Some(other) => Err(bad(format!("attribute {name} is {other:?}, not a string"))),
    };
    let pk = text("pk")?.ok_or_else(|| bad("item without pk".into()))?;
    let sk = text("sk")?.ok_or_else(|| bad("item without sk".into()))?;
    let gsi1 = match (text("gsi1pk")?, text("gsi1sk")?) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    };
    let mut int = |name: &str| match map.remove(name) {
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .map(Some)
            .map_err(|_| bad(format!("attribute {name} is {n:?}, not an integer"))),
        None => Ok(None),
        Some(other) => Err(bad(format!("attribute {name} is {other:?}, not a number"))),
    };
    let version = int("version")?.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    let expires_at = int("expires_at")?;
    let attrs = map
        .into_iter()
        .map(|(k, v)| from_value(v).map(|v| (k, v)))
        .collect::<Result<Map<_, _>, _>>()?;
    Ok(Item {
        key: Key { pk, sk },
        gsi1,
        expires_at,
        version,
        attrs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip() {
        let item = Item::new(Key::new("P", "S"))
            .with_gsi1(IndexKey::new("G", "g"))
            .with_expiry(1_800_000_000)
            .with("nested", json!({"a": [1, -2, 3.5, "x", null, true], "b": {}}))
            .with("big", u64::MAX)
            .with("empty", "");
        let mut back = from_attributes(to_attributes(&item, 7)).unwrap();
        assert_eq!(back.version, 7);
        back.version = 0;
        assert_eq!(back, item);
    }

    #[test]
    fn a_malformed_stored_item_is_an_error_not_a_panic() {
        let map = HashMap::from([("pk".to_owned(), AttributeValue::N("1".into()))]);
        assert!(from_attributes(map).is_err());
        assert!(from_value(AttributeValue::N("1e999".into())).is_err());
    }
}
