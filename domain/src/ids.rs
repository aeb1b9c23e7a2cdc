//! Identifiers as validated newtypes.
//!
//! Every id is checked once, where it enters the system (`parse`/`FromStr`/deserialization), so the rest of the code
//! can put it into storage keys and URLs without escaping: ids never contain the key separators `#` and `/`,
//! whitespace or control characters. Upstream ids (Twitch's channel, game and stream ids) are opaque strings;
//! Streamlens does not assume they are numeric, only that they are short and made of `[A-Za-z0-9_-]`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::time::Slot;

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {reason}")]
pub struct InvalidId {
    /// Which kind of id was being parsed (`channel id`, `source id`, …).
    pub kind: &'static str,
    /// The rejected input, truncated to 80 characters.
    pub value: String,
    /// What rule it broke.
    pub reason: &'static str,
}

impl InvalidId {
    fn new(kind: &'static str, value: &str, reason: &'static str) -> Self {
        Self {
            kind,
            value: value.chars().take(80).collect(),
            reason,
        }
    }
}

/// Checks that `value` is 1 to `max` bytes, each allowed by `allowed`.
fn check_chars(
    kind: &'static str,
    value: &str,
    max: usize,
    allowed: fn(u8) -> bool,
    reason: &'static str,
) -> Result<(), InvalidId> {
    if value.is_empty() || value.len() > max {
        let reason = match max {
            16 => "must be 1 to 16 characters",
            _ => "must be 1 to 64 characters",
        };
        return Err(InvalidId::new(kind, value, reason));
    }
    if !value.bytes().all(allowed) {
        return Err(InvalidId::new(kind, value, reason));
    }
    Ok(())
}

/// The rule for opaque upstream ids: 1 to 64 characters of `[A-Za-z0-9_-]`, kept as sent.
fn opaque(kind: &'static str) -> impl Fn(&str) -> Result<String, InvalidId> {
    move |value| {
        check_chars(
            kind,
            value,
            64,
            |b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            "may contain only ASCII letters, digits, '_' and '-'",
        )?;
        Ok(value.to_owned())
    }
}

fn login(value: &str) -> Result<String, InvalidId> {
    let value = value.to_ascii_lowercase();
    check_chars(
        "login",
        &value,
        64,
        |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_',
        "may contain only letters, digits and '_'",
    )?;
    Ok(value)
}

fn language(value: &str) -> Result<String, InvalidId> {
    let value = value.to_ascii_lowercase();
    check_chars(
        "language",
        &value,
        16,
        |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-',
        "may contain only letters, digits and '-'",
    )?;
    Ok(value)
}

fn source_id(value: &str) -> Result<String, InvalidId> {
    let reason = "must start with a lowercase letter or digit and contain only [a-z0-9_-]";
    check_chars(
        "source id",
        value,
        64,
        |b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-',
        reason,
    )?;
    if value.starts_with(['_', '-']) {
        return Err(InvalidId::new("source id", value, reason));
    }
    Ok(value.to_owned())
}

/// A string id type: `parse` through `$rule` (which validates and may normalize), and the conversions every id has.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $rule:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates (and normalizes) `value`.
            pub fn parse(value: impl AsRef<str>) -> Result<Self, InvalidId> {
                ($rule)(value.as_ref()).map(Self)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A channel (broadcaster) id: Helix `user_id`. Stable across renames, unlike the login.
    ChannelId,
    opaque("channel id")
);
string_id!(
    /// A game (category) id: Helix `game_id`. Streams without a category have none.
    GameId,
    opaque("game id")
);
string_id!(
    /// One broadcast's id as Helix assigns it: Helix `id` of a stream. A channel gets a new one each time it goes
    /// live; inside one snapshot a stream id seen twice counts once.
    StreamId,
    opaque("stream id")
);
string_id!(
    /// A channel's login name (Helix `user_login`): lowercase, 1 to 64 characters of `[a-z0-9_]`.
    ///
    /// Twitch logins are 4 to 25 characters today; older and partner accounts break that rule, so only the character
    /// set is enforced. Input is lowercased, because Twitch compares logins case-insensitively.
    Login,
    login
);
string_id!(
    /// A stream's broadcast language as Helix reports it: an ISO 639-1 code (`en`, `pt`) or `other`.
    ///
    /// Lowercase, 1 to 16 characters of `[a-z0-9-]`; Helix sends an empty string for an unknown language, which the
    /// prepared record keeps as `None` rather than as a language.
    Language,
    language
);
string_id!(
    /// A configured source of snapshots (a Helix app, a history endpoint, the simulator): the `id` of a
    /// `[[source]]` table. Lowercase, starts with a letter or digit, 1 to 64 characters of `[a-z0-9_-]`. Not case
    /// folded: source ids are written by people, in config, and must match exactly.
    SourceId,
    source_id
);

impl SourceId {
    /// `simulator`: the built-in simulator's source, the default when no source is configured.
    pub fn simulator() -> Self {
        Self("simulator".to_owned())
    }
}

/// One time series: the data of one source for one slot. Written `{source}:{slot}`, e.g.
/// `simulator:2026-11-26T11:27:00Z`, or `daily:2026-11-26T00:00:00Z/PT1440M` for a non-minute slot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SeriesId {
    source: SourceId,
    slot: Slot,
}

impl SeriesId {
    /// The series of `source` for `slot`.
    pub fn new(source: SourceId, slot: Slot) -> Self {
        Self { source, slot }
    }

    /// The source the series came from.
    pub fn source(&self) -> &SourceId {
        &self.source
    }

    /// The time slot the series covers.
    pub fn slot(&self) -> Slot {
        self.slot
    }

    /// Parses `{source}:{slot}`.
    pub fn parse(value: &str) -> Result<Self, InvalidId> {
        let Some((source, slot)) = value.split_once(':') else {
            return Err(InvalidId::new(
                "series id",
                value,
                "must be '{source}:{slot}', e.g. 'simulator:2026-11-26T11:27:00Z'",
            ));
        };
        let source = SourceId::parse(source)
            .map_err(|_| InvalidId::new("series id", value, "its source part is not a valid source id"))?;
        let slot = slot
            .parse::<Slot>()
            .map_err(|_| InvalidId::new("series id", value, "its slot part is not a valid slot"))?;
        Ok(Self { source, slot })
    }
}

impl FromStr for SeriesId {
    type Err = InvalidId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SeriesId {
    type Error = InvalidId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SeriesId> for String {
    fn from(id: SeriesId) -> String {
        id.to_string()
    }
}

impl fmt::Display for SeriesId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_accept_helix_ids_and_reject_key_separators() {
        assert_eq!(ChannelId::parse("51496027").unwrap().as_str(), "51496027");
        for bad in ["", "a#b", "a/b", "a b", "é", &"9".repeat(65)] {
            assert!(ChannelId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn logins_are_lowercased_and_limited_to_twitch_characters() {
        assert_eq!(Login::parse("LolTyler1").unwrap().as_str(), "loltyler1");
        assert!(Login::parse("no-dash").is_err());
        assert!(Login::parse("").is_err());
    }

    #[test]
    fn languages_are_lowercased() {
        assert_eq!(Language::parse("EN").unwrap().as_str(), "en");
        assert!(Language::parse("").is_err());
        assert!(Language::parse("e n").is_err());
    }

    #[test]
    fn source_ids_must_be_lowercase() {
        assert!(SourceId::parse("twitch-eu_1").is_ok());
        assert!(SourceId::parse("Twitch").is_err());
        assert!(SourceId::parse("-twitch").is_err());
        assert!(SourceId::parse("a:b").is_err());
    }

    #[test]
    fn series_ids_round_trip_through_their_string_form() {
        for text in ["simulator:2026-11-26T11:27:00Z", "daily:2026-11-26T00:00:00Z/PT1440M"] {
            let id = SeriesId::parse(text).unwrap();
            assert_eq!(id.to_string(), text);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(serde_json::from_str::<SeriesId>(&json).unwrap(), id);
        }
    }

    #[test]
    fn series_ids_reject_malformed_input_with_a_reason() {
        let err = SeriesId::parse("simulator").unwrap_err();
        assert!(err.to_string().contains("{source}:{slot}"));
        assert!(SeriesId::parse("simulator:yesterday").is_err());
        assert!(SeriesId::parse("Sim:2026-11-26T11:27:00Z").is_err());
        assert!(SeriesId::parse("simulator:2026-11-26T11:27:30Z").is_err());
    }

    #[test]
    fn ids_deserialize_through_validation() {
        assert!(serde_json::from_str::<ChannelId>("\"12#3\"").is_err());
        assert_eq!(serde_json::from_str::<GameId>("\"21779\"").unwrap().as_str(), "21779");
    }
}
