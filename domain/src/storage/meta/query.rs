//! Queries: one partition of the table or of the index, a sort-key condition, an order, a page size and a cursor.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{Item, MetaError};

/// The most items one query page returns.
pub const MAX_QUERY_LIMIT: usize = 1000;

/// Which key a query reads by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Index {
    /// The table's primary key (`pk`, `sk`): strongly consistent.
    #[default]
    Table,
    /// The global secondary index `gsi1` (`gsi1pk`, `gsi1sk`): eventually consistent on DynamoDB.
    Gsi1,
}

/// Which way a query walks the sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Smallest sort key first.
    #[default]
    Ascending,
    /// Largest sort key first.
    Descending,
}

/// A condition on the sort key, as DynamoDB's key conditions allow. Bounds compare by UTF-8 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Every item of the partition.
    #[default]
    Any,
    /// Exactly this sort key.
    Equals(String),
    /// Sort keys starting with this prefix.
    BeginsWith(String),
    /// Sort keys from the first bound to the second, both included.
    Between(String, String),
    /// Sort keys below this one.
    LessThan(String),
    /// Sort keys up to this one, included.
    AtMost(String),
    /// Sort keys above this one.
    GreaterThan(String),
    /// Sort keys from this one, included.
    AtLeast(String),
}

/// A sort-key condition reduced to what both adapters translate: comparisons (`=`, `<`, `<=`, `>`, `>=`, the same
/// operators in SQL and in DynamoDB key conditions), a prefix, or an inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound<'a> {
    /// `sk {operator} value`.
    Compare(&'static str, &'a str),
    /// `sk` starts with the prefix.
    Prefix(&'a str),
    /// `low <= sk <= high`.
    Between(&'a str, &'a str),
}

impl SortKey {
    /// The condition as a [`Bound`]; `None` for [`SortKey::Any`].
    pub(crate) fn bound(&self) -> Option<Bound<'_>> {
        Some(match self {
            SortKey::Any => return None,
            SortKey::Equals(v) => Bound::Compare("=", v),
            SortKey::BeginsWith(prefix) => Bound::Prefix(prefix),
            SortKey::Between(low, high) => Bound::Between(low, high),
            SortKey::LessThan(v) => Bound::Compare("<", v),
            SortKey::AtMost(v) => Bound::Compare("<=", v),
            SortKey::GreaterThan(v) => Bound::Compare(">", v),
            SortKey::AtLeast(v) => Bound::Compare(">=", v),
        })
    }
}

/// Where the next page of a query starts: opaque to callers, the same for every adapter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a cursor received from a client; it is checked when used.
    pub fn from_token(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The cursor as text, for clients.
    pub fn as_token(&self) -> &str {
        &self.0
    }

    /// The cursor after `item` in a query over `index`.
    pub(crate) fn after(item: &Item, index: Index) -> Self {
        let position = Position {
            pk: item.key.pk.clone(),
            sk: item.key.sk.clone(),
            gsi1: match index {
                Index::Table => None,
                Index::Gsi1 => item.gsi1.as_ref().map(|g| (g.pk.clone(), g.sk.clone())),
            },
        };
        let json = serde_json::to_vec(&position).unwrap_or_default();
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
    }

    /// Decodes the cursor and checks that it belongs to `query`.
    pub(crate) fn position(&self, query: &Query) -> Result<Position, MetaError> {
        let invalid = || MetaError::InvalidCursor;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| invalid())?;
        let position: Position = serde_json::from_slice(&json).map_err(|_| invalid())?;
        let belongs = match (query.index, &position.gsi1) {
            (Index::Table, None) => position.pk == query.pk,
            (Index::Gsi1, Some((gsi_pk, _))) => *gsi_pk == query.pk,
            _ => false,
        };
        if !belongs {
            return Err(invalid());
        }
        Ok(position)
    }
}

/// The last item a page returned, as a cursor holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1: Option<(String, String)>,
}

/// One query: a partition of the table or of `gsi1`, read in sort-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Which key to read by.
    pub index: Index,
    /// The partition key (of the table, or of the index).
    pub pk: String,
    /// The condition on the sort key.
    pub sort_key: SortKey,
    /// Ascending or descending.
    pub order: Order,
    /// Page size, 1 to [`MAX_QUERY_LIMIT`].
    pub limit: usize,
    /// Where to continue, from a previous page's `next`.
    pub cursor: Option<Cursor>,
}

impl Query {
    /// Every item of the table partition `pk`, ascending, 100 a page.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            index: Index::Table,
            pk: pk.into(),
            sort_key: SortKey::Any,
            order: Order::Ascending,
            limit: 100,
            cursor: None,
        }
    }

    /// Every item of the `gsi1` partition `pk`, ascending, 100 a page.
    pub fn gsi1(pk: impl Into<String>) -> Self {
        Self {
            index: Index::Gsi1,
            ..Self::partition(pk)
        }
    }

    /// With this sort-key condition.
    pub fn sort_key(mut self, condition: SortKey) -> Self {
        self.sort_key = condition;
        self
    }

    /// Largest sort key first.
    pub fn descending(mut self) -> Self {
        self.order = Order::Descending;
        self
    }

    /// With this page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Continuing after a previous page.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Checks the query the same way for every adapter.
    pub(crate) fn check(&self) -> Result<(), MetaError> {
        let invalid = |why: &str| Err(MetaError::InvalidQuery(why.to_owned()));
        if self.pk.is_empty() {
            return invalid("the partition key must not be empty");
        }
        if self.limit == 0 || self.limit > MAX_QUERY_LIMIT {
            return invalid("limit must be between 1 and 1000");
        }
        match &self.sort_key {
            SortKey::Between(low, high) if low > high => invalid("between: the lower bound is above the upper bound"),
            SortKey::BeginsWith(p) if p.is_empty() => invalid("begins_with needs a non-empty prefix"),
            _ => Ok(()),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Up to `limit` items in sort-key order.
    pub items: Vec<Item>,
    /// Present exactly when more items match: pass it as the next query's cursor.
    pub next: Option<Cursor>,
}

impl Page {
    /// A page from up to `limit + 1` items read in order: the extra item, when there is one, proves that more
    /// follow, so `next` is exact.
    pub(crate) fn from_overfetch(mut items: Vec<Item>, limit: usize, index: Index) -> Self {
        let more = items.len() > limit;
        items.truncate(limit);
        let next = match more {
            true => items.last().map(|last| Cursor::after(last, index)),
            false => None,
        };
        Self { items, next }
    }
}

/// The smallest string above every string that starts with `prefix`, if there is one: `"abc"` → `"abd"`.
///
/// UTF-8 byte order is code point order, so the strings in `[prefix, upper)` are exactly those starting with
/// `prefix`; a range scan then replaces a prefix filter.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::meta::{IndexKey, Key};

    #[test]
    fn prefix_bounds() {
        assert_eq!(prefix_upper_bound("abc").as_deref(), Some("abd"));
        assert_eq!(prefix_upper_bound("a#").as_deref(), Some("a$"));
        assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_upper_bound("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
    }

    #[test]
    fn cursors_only_continue_their_own_query() {
        let item = Item::new(Key::new("P", "s1")).with_gsi1(IndexKey::new("G", "g1"));
        let table = Cursor::after(&item, Index::Table);
        assert!(table.position(&Query::partition("P")).is_ok());
        assert!(table.position(&Query::partition("Q")).is_err());
        assert!(table.position(&Query::gsi1("P")).is_err());
        let index = Cursor::after(&item, Index::Gsi1);
        assert!(index.position(&Query::gsi1("G")).is_ok());
        assert!(index.position(&Query::partition("P")).is_err());
        assert!(
            Cursor::from_token("not base64!")
                .position(&Query::partition("P"))
                .is_err()
        );
        assert!(Cursor::from_token("e30").position(&Query::partition("P")).is_err());
    }

    #[test]
    fn bad_queries_are_rejected() {
        assert!(Query::partition("").check().is_err());
        assert!(Query::partition("p").limit(0).check().is_err());
        assert!(Query::partition("p").limit(1001).check().is_err());
        assert!(
            Query::partition("p")
                .sort_key(SortKey::Between("b".into(), "a".into()))
                .check()
                .is_err()
        );
        assert!(
            Query::partition("p")
                .sort_key(SortKey::BeginsWith(String::new()))
                .check()
                .is_err()
        );
        assert!(
            Query::partition("p")
                .sort_key(SortKey::Between("a".into(), "a".into()))
                .check()
                .is_ok()
        );
    }
}
