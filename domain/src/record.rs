//! The prepared record: one live stream in one slot, validated and typed, as every pipeline step reads it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::helix::HelixStream;
use crate::ids::{ChannelId, GameId, InvalidId, Language, Login, StreamId};

/// One live stream in one snapshot, after validation.
///
/// Differences from [`HelixStream`]: ids are validated newtypes, an empty game or language becomes `None`, viewers
/// are non-negative, `started_at` is a time, `null` tags are an empty list, and deprecated fields are gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreparedStream {
    /// The broadcast's stream id.
    pub stream_id: StreamId,
    /// The channel broadcasting.
    pub channel: ChannelId,
    /// The channel's login, lowercase.
    pub login: Login,
    /// The channel's display name.
    pub display_name: String,
    /// The game being played, if a category is set.
    pub game: Option<GameId>,
    /// The game's name as Helix sent it (empty when there is no game).
    pub game_name: String,
    /// The broadcast language, if known.
    pub language: Option<Language>,
    /// The stream title.
    pub title: String,
    /// Concurrent viewers in this snapshot.
    pub viewers: u64,
    /// When the broadcast started.
    pub started_at: DateTime<Utc>,
    /// Tags set by the broadcaster.
    pub tags: Vec<String>,
}

/// Why a Helix record cannot become a [`PreparedStream`]. The pipeline quarantines such records with this reason,
/// except [`RecordError::NotLive`], which is dropped and counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// `type` is not `"live"` (Helix sends `""` for streams in an error state).
    #[error("stream is not live (type {0:?})")]
    NotLive(String),
    /// An id field is missing or malformed.
    #[error("{field}: {source}")]
    BadId {
        /// The Helix field name.
        field: &'static str,
        /// What was wrong with it.
        source: InvalidId,
    },
    /// `viewer_count` below zero.
    #[error("viewer_count is negative ({0})")]
    NegativeViewers(i64),
    /// `started_at` is not an RFC 3339 time.
    #[error("started_at {0:?} is not an RFC 3339 time")]
    BadStartTime(String),
}

impl PreparedStream {
    /// Validates one Helix record.
    pub fn from_helix(stream: &HelixStream) -> Result<Self, RecordError> {
        if stream.stream_type != "live" {
            return Err(RecordError::NotLive(stream.stream_type.clone()));
        }
        let bad_id = |field: &'static str| move |source: InvalidId| RecordError::BadId { field, source };
        let viewers =
            u64::try_from(stream.viewer_count).map_err(|_| RecordError::NegativeViewers(stream.viewer_count))?;
        let started_at = DateTime::parse_from_rfc3339(&stream.started_at)
            .map_err(|_| RecordError::BadStartTime(stream.started_at.chars().take(80).collect()))?
            .with_timezone(&Utc);
        let game = match stream.game_id.as_str() {
            "" => None,
            id => Some(GameId::parse(id).map_err(bad_id("game_id"))?),
        };
        let language = match stream.language.as_str() {
            "" => None,
            code => Some(Language::parse(code).map_err(bad_id("language"))?),
        };
        Ok(Self {
            stream_id: StreamId::parse(stream.id.as_str()).map_err(bad_id("id"))?,
            channel: ChannelId::parse(stream.user_id.as_str()).map_err(bad_id("user_id"))?,
            login: Login::parse(&stream.user_login).map_err(bad_id("user_login"))?,
            display_name: stream.user_name.clone(),
            game,
            game_name: stream.game_name.clone(),
            language,
            title: stream.title.clone(),
            viewers,
            started_at,
            tags: stream.tags.clone().unwrap_or_default(),
        })
    }
}

/// Keeps the first occurrence of each stream id, in order, and returns how many duplicates were dropped.
///
/// Helix re-sorts its list while a client pages through it, so one snapshot can hold the same stream twice; it
/// counts once. The first occurrence is the one read earliest, from the higher-ranked page.
pub fn dedupe_by_stream_id(streams: &mut Vec<PreparedStream>) -> usize {
    let before = streams.len();
    let mut seen = HashSet::with_capacity(streams.len());
    streams.retain(|s| seen.insert(s.stream_id.clone()));
    before - streams.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helix() -> HelixStream {
        HelixStream {
            id: "49256531373".into(),
            user_id: "51496027".into(),
            user_login: "loltyler1".into(),
            user_name: "loltyler1".into(),
            game_id: "21779".into(),
            game_name: "League of Legends".into(),
            stream_type: "live".into(),
            title: "t".into(),
            viewer_count: 13258,
            started_at: "2023-09-07T20:29:50Z".into(),
            language: "en".into(),
            thumbnail_url: String::new(),
            tags: None,
            tag_ids: Some(vec![]),
            is_mature: Some(false),
        }
    }

    #[test]
    fn a_live_record_is_prepared() {
        let p = PreparedStream::from_helix(&helix()).unwrap();
        assert_eq!(p.viewers, 13258);
        assert_eq!(p.game.unwrap().as_str(), "21779");
        assert_eq!(p.language.unwrap().as_str(), "en");
        assert!(p.tags.is_empty());
    }

    #[test]
    fn empty_game_and_language_become_none() {
        let mut h = helix();
        h.game_id.clear();
        h.language.clear();
        let p = PreparedStream::from_helix(&h).unwrap();
        assert_eq!((p.game, p.language), (None, None));
    }

    #[test]
    fn invalid_records_say_why() {
        let mut h = helix();
        h.viewer_count = -1;
        assert_eq!(PreparedStream::from_helix(&h), Err(RecordError::NegativeViewers(-1)));
        let mut h = helix();
        h.user_id.clear();
        assert!(matches!(
            PreparedStream::from_helix(&h),
            Err(RecordError::BadId { field: "user_id", .. })
        ));
        let mut h = helix();
        h.started_at = "yesterday".into();
        assert!(matches!(
            PreparedStream::from_helix(&h),
            Err(RecordError::BadStartTime(_))
        ));
        let mut h = helix();
        h.stream_type.clear();
        assert!(matches!(PreparedStream::from_helix(&h), Err(RecordError::NotLive(_))));
    }

    #[test]
    fn duplicates_keep_the_first_occurrence() {
        let a = PreparedStream::from_helix(&helix()).unwrap();
        let mut b = a.clone();
        b.viewers = 1;
        let mut c = a.clone();
        c.stream_id = StreamId::parse("2").unwrap();
        let mut list = vec![a.clone(), b, c.clone()];
        assert_eq!(dedupe_by_stream_id(&mut list), 1);
        assert_eq!(list, vec![a, c]);
    }
}
