//! Items: what the metadata store holds.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::MetaError;

/// Attribute names the store uses itself; an item's own attributes may not use them.
pub const RESERVED_ATTRIBUTES: [&str; 6] = ["pk", "sk", "gsi1pk", "gsi1sk", "version", "expires_at"];

/// Largest partition key, in bytes (DynamoDB's limit).
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
/// Largest sort key, in bytes (DynamoDB's limit).
pub const MAX_SORT_KEY_BYTES: usize = 1024;
/// Largest item, keys and attributes as JSON, in bytes: DynamoDB's 400 KB, with room for its own encoding.
pub const MAX_ITEM_BYTES: usize = 380 * 1024;

/// An item's primary key: partition key and sort key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The partition key: every query reads one partition.
    pub pk: String,
    /// The sort key: items of a partition are ordered by it (byte order of its UTF-8).
    pub sk: String,
}

impl Key {
    /// A key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// An item's key in the global secondary index `gsi1`. Items without one are not in the index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexKey {
    /// The index's partition key.
    pub pk: String,
    /// The index's sort key. Unlike the table's, it need not be unique within its partition.
    pub sk: String,
}

impl IndexKey {
    /// An index key from its two parts.
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// One item: keys, bookkeeping, and JSON attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Its primary key.
    pub key: Key,
    /// Its key in the `gsi1` index, if it is indexed.
    pub gsi1: Option<IndexKey>,
    /// When the item may be removed (Unix seconds): DynamoDB's TTL, and the SQLite adapter's purge.
    pub expires_at: Option<i64>,
    /// The version the store holds: 0 for an item not yet written. Every write stores `version + 1`.
    pub version: u64,
    /// The item's own attributes. Numbers come back as the narrowest JSON number that holds them (DynamoDB does not
    /// keep `2.0` apart from `2`); decode through [`Item::decode`] to get the types back.
    pub attrs: Map<String, Value>,
}

impl Item {
    /// A new item (version 0) with no attributes.
    pub fn new(key: Key) -> Self {
        Self {
            key,
            gsi1: None,
            expires_at: None,
            version: 0,
            attrs: Map::new(),
        }
    }

    /// A new item whose attributes are the fields of `record` (which must serialize to a JSON object).
    pub fn from_record<T: Serialize>(key: Key, record: &T) -> Result<Self, MetaError> {
        match serde_json::to_value(record) {
            Ok(Value::Object(attrs)) => Ok(Self {
                attrs,
                ..Self::new(key)
            }),
            Ok(_) => Err(MetaError::InvalidItem(
                "a record must serialize to a JSON object".into(),
            )),
            Err(e) => Err(MetaError::InvalidItem(format!("record does not serialize: {e}"))),
        }
    }

    /// Puts the item in the `gsi1` index under `index`.
    pub fn with_gsi1(mut self, index: IndexKey) -> Self {
        self.gsi1 = Some(index);
        self
    }

    /// Sets when the item may be removed (Unix seconds).
    pub fn with_expiry(mut self, expires_at: i64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Sets one attribute.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }

    /// Reads the attributes back into a record.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, MetaError> {
        T::deserialize(&self.attrs)
            .map_err(|e| MetaError::InvalidItem(format!("item {}/{} does not decode: {e}", self.key.pk, self.key.sk)))
    }
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOp {
    /// Store the item unconditionally (version `item.version + 1`).
    Put(Item),
    /// Remove the item under this key, if any.
    Delete(Key),
}

impl WriteOp {
    /// The key the operation writes.
    pub fn key(&self) -> &Key {
        match self {
            WriteOp::Put(item) => &item.key,
            WriteOp::Delete(key) => key,
        }
    }
}

/// Checks a key the same way for every adapter.
pub(crate) fn check_key(key: &Key) -> Result<(), MetaError> {
    check_key_parts("partition key", &key.pk, MAX_PARTITION_KEY_BYTES)?;
    check_key_parts("sort key", &key.sk, MAX_SORT_KEY_BYTES)
}

pub(crate) fn check_key_parts(what: &str, value: &str, max: usize) -> Result<(), MetaError> {
    if value.is_empty() {
        return Err(MetaError::InvalidItem(format!("{what} must not be empty")));
    }
    if value.len() > max {
        return Err(MetaError::InvalidItem(format!("{what} is longer than {max} bytes")));
    }
    if value.contains('\0') {
        return Err(MetaError::InvalidItem(format!("{what} must not contain NUL")));
    }
    Ok(())
}

/// Checks an attribute name.
pub(crate) fn check_attribute_name(name: &str) -> Result<(), MetaError> {
    if name.is_empty() || name.len() > 255 {
        return Err(MetaError::InvalidItem(format!(
            "attribute name {name:?} must be 1 to 255 bytes"
        )));
    }
    if RESERVED_ATTRIBUTES.contains(&name) {
        return Err(MetaError::InvalidItem(format!(
            "attribute name {name:?} is reserved by the store"
        )));
    }
    Ok(())
}

/// Checks an item the same way for every adapter, so the contract is the same everywhere.
pub(crate) fn check_item(item: &Item) -> Result<(), MetaError> {
    check_key(&item.key)?;
    if let Some(index) = &item.gsi1 {
        check_key_parts("gsi1 partition key", &index.pk, MAX_PARTITION_KEY_BYTES)?;
        check_key_parts("gsi1 sort key", &index.sk, MAX_SORT_KEY_BYTES)?;
    }
    for name in item.attrs.keys() {
        check_attribute_name(name)?;
    }
    let size = item.key.pk.len()
        + item.key.sk.len()
        + serde_json::to_string(&item.attrs)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
    if size > MAX_ITEM_BYTES {
        return Err(MetaError::InvalidItem(format!(
            "item {}/{} is {size} bytes; the limit is {MAX_ITEM_BYTES}",
            item.key.pk, item.key.sk
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Profile {
        login: String,
        followers: u64,
        ratio: f64,
    }

    #[test]
    fn records_round_trip_through_attributes() {
        let p = Profile {
            login: "a".into(),
            followers: 3,
            ratio: 2.0,
        };
        let item = Item::from_record(Key::new("CHANNEL#1", "PROFILE"), &p).unwrap();
        assert_eq!(item.decode::<Profile>().unwrap(), p);
        assert!(Item::from_record(Key::new("a", "b"), &5).is_err());
    }

    #[test]
    fn reserved_and_oversized_items_are_rejected() {
        let item = Item::new(Key::new("a", "b")).with("version", 1);
        assert!(check_item(&item).is_err());
        let item = Item::new(Key::new("a", "b")).with("blob", "x".repeat(MAX_ITEM_BYTES));
        assert!(check_item(&item).is_err());
        assert!(check_item(&Item::new(Key::new("", "b"))).is_err());
        assert!(check_item(&Item::new(Key::new("a", "b")).with_gsi1(IndexKey::new("x", ""))).is_err());
        assert!(check_item(&Item::new(Key::new("a", "b")).with("ok", 1)).is_ok());
    }
}
