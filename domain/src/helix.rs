//! The Twitch Helix wire format: records exactly as `GET /helix/streams` sends them.
//!
//! These types mirror the API, not Streamlens: every field keeps Helix's name and type, deprecated fields are still
//! read, `tags` may be `null`, and fields Twitch adds later are ignored. Nothing here is validated beyond JSON types;
//! turning a record into something the pipeline trusts is [`crate::record::PreparedStream::from_helix`]'s job.

use serde::{Deserialize, Serialize};

/// One live stream in a `GET /helix/streams` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelixStream {
    /// The stream's id; a channel gets a new one each time it goes live.
    pub id: String,
    /// The broadcaster's user id.
    pub user_id: String,
    /// The broadcaster's login name (lowercase).
    pub user_login: String,
    /// The broadcaster's display name.
    pub user_name: String,
    /// The id of the game (category) being played; empty when none is set.
    #[serde(default)]
    pub game_id: String,
    /// The name of the game; empty when none is set.
    #[serde(default)]
    pub game_name: String,
    /// `"live"`, or `""` when the stream is in an error state.
    #[serde(rename = "type", default)]
    pub stream_type: String,
    /// The stream's title.
    #[serde(default)]
    pub title: String,
    /// Concurrent viewers at the time of the request.
    pub viewer_count: i64,
    /// When the broadcast started, RFC 3339 UTC (kept as text: a bad value is the pipeline's to quarantine).
    pub started_at: String,
    /// The broadcast language: an ISO 639-1 code, `other`, or empty.
    #[serde(default)]
    pub language: String,
    /// A preview image URL with `{width}` and `{height}` placeholders.
    #[serde(default)]
    pub thumbnail_url: String,
    /// Tags set by the broadcaster; Helix sends `null` when there are none.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Deprecated by Twitch (always empty or null); read so old captures still parse.
    #[serde(default)]
    pub tag_ids: Option<Vec<String>>,
    /// Deprecated by Twitch (always `false`); read so old captures still parse.
    #[serde(default)]
    pub is_mature: Option<bool>,
}

/// Helix's paging block: `{"cursor": "…"}`, or `{}` on the last page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    /// The cursor for the next page (`after=`), absent on the last page. Helix sometimes returns an empty string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl Pagination {
    /// The cursor for the next page, treating an empty string as no cursor.
    pub fn next_cursor(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// One page of `GET /helix/streams`: `{"data": […], "pagination": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamsPage {
    /// The streams on this page, highest viewer count first.
    pub data: Vec<HelixStream>,
    /// Where the next page starts.
    #[serde(default)]
    pub pagination: Pagination,
}

/// A game (category) from `GET /helix/games`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelixGame {
    /// The game's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Box art URL with `{width}` and `{height}` placeholders.
    #[serde(default)]
    pub box_art_url: String,
    /// The IGDB id, empty when unknown.
    #[serde(default)]
    pub igdb_id: String,
}

/// A user (channel owner) from `GET /helix/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelixUser {
    /// The user's id (the channel id).
    pub id: String,
    /// Login name, lowercase.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// `admin`, `global_mod`, `staff` or empty.
    #[serde(rename = "type", default)]
    pub user_type: String,
    /// `partner`, `affiliate` or empty.
    #[serde(default)]
    pub broadcaster_type: String,
    /// The channel description.
    #[serde(default)]
    pub description: String,
    /// Profile picture URL.
    #[serde(default)]
    pub profile_image_url: String,
    /// Offline banner URL.
    #[serde(default)]
    pub offline_image_url: String,
    /// When the account was created, RFC 3339.
    #[serde(default)]
    pub created_at: String,
}

/// The envelope of `/helix/games` and `/helix/users` answers: `{"data": […]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPage<T> {
    /// The records.
    pub data: Vec<T>,
}

/// A record of a page that could not be read as a [`HelixStream`], kept with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRecord {
    /// Position of the record in the page's `data` array.
    pub index: usize,
    /// Why it was rejected (the JSON error).
    pub reason: String,
    /// The record as received.
    pub raw: serde_json::Value,
}

/// A page read record by record: one malformed stream does not cost the other 99.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LenientPage {
    /// The records that parsed.
    pub streams: Vec<HelixStream>,
    /// The records that did not, with reasons.
    pub rejected: Vec<RejectedRecord>,
    /// The paging block.
    pub pagination: Pagination,
}

/// Why a page body could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("malformed Helix page: {0}")]
pub struct MalformedPage(#[from] serde_json::Error);

impl StreamsPage {
    /// Reads a page body, keeping each record that parses and rejecting each one that does not.
    ///
    /// Fails only when the body itself is not a Helix page (not JSON, or no `data` array).
    pub fn parse_lenient(body: &[u8]) -> Result<LenientPage, MalformedPage> {
        #[derive(Deserialize)]
        struct Envelope {
            data: Vec<serde_json::Value>,
            #[serde(default)]
            pagination: Pagination,
        }
        let envelope: Envelope = serde_json::from_slice(body)?;
        let mut streams = Vec::with_capacity(envelope.data.len());
        let mut rejected = Vec::new();
        for (index, raw) in envelope.data.into_iter().enumerate() {
            // The error names the field (`viewer_count: invalid type: string "many", expected i64`).
            match serde_path_to_error::deserialize::<_, HelixStream>(&raw) {
                Ok(stream) => streams.push(stream),
                Err(err) => rejected.push(RejectedRecord {
                    index,
                    reason: err.to_string(),
                    raw,
                }),
            }
        }
        Ok(LenientPage {
            streams,
            rejected,
            pagination: envelope.pagination,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real response body, logged in a public README on 2023-09-07 (see `tests/fixtures/README.md`).
    const REAL: &str = include_str!("../tests/fixtures/helix_streams_real_response.json");

    #[test]
    fn reads_a_real_helix_response_with_deprecated_fields() {
        let page: StreamsPage = serde_json::from_str(REAL).unwrap();
        assert_eq!(page.data.len(), 1);
        let stream = &page.data[0];
        assert_eq!(stream.user_login, "loltyler1");
        assert_eq!(stream.viewer_count, 13258);
        assert_eq!(stream.stream_type, "live");
        assert_eq!(stream.tags.as_deref(), Some(&["English".to_owned()][..]));
        assert_eq!(stream.is_mature, Some(false));
        // A cursor comes back even for a single-user query.
        assert!(page.pagination.next_cursor().is_some());
    }

    #[test]
    fn null_tags_unknown_fields_and_an_empty_pagination_are_accepted() {
        let body = r#"{"data":[{"id":"1","user_id":"2","user_login":"a","user_name":"A","game_id":"","game_name":"",
            "type":"live","title":"t","viewer_count":3,"started_at":"2026-11-26T10:00:00Z","language":"en",
            "thumbnail_url":"","tags":null,"is_branded_content":true}],"pagination":{}}"#;
        let page: StreamsPage = serde_json::from_str(body).unwrap();
        assert_eq!(page.data[0].tags, None);
        assert_eq!(page.data[0].tag_ids, None);
        assert_eq!(page.pagination.next_cursor(), None);
    }

    #[test]
    fn an_empty_cursor_means_no_next_page() {
        let p = Pagination {
            cursor: Some(String::new()),
        };
        assert_eq!(p.next_cursor(), None);
    }

    #[test]
    fn lenient_parsing_keeps_good_records_and_explains_bad_ones() {
        let body = r#"{"data":[
            {"id":"1","user_id":"2","user_login":"a","user_name":"A","viewer_count":3,"started_at":"x"},
            {"id":"9","user_id":"3","user_login":"b","user_name":"B","viewer_count":"many","started_at":"x"}
        ],"pagination":{"cursor":"c"}}"#;
        let page = StreamsPage::parse_lenient(body.as_bytes()).unwrap();
        assert_eq!(page.streams.len(), 1);
        assert_eq!(page.rejected.len(), 1);
        assert_eq!(page.rejected[0].index, 1);
        assert!(
            page.rejected[0].reason.starts_with("viewer_count: invalid type"),
            "{}",
            page.rejected[0].reason
        );
        assert_eq!(page.pagination.next_cursor(), Some("c"));
    }

    #[test]
    fn a_body_that_is_not_a_page_is_an_error_not_a_panic() {
        for body in [&b"<html>"[..], b"{}", b"{\"data\":{}}", b""] {
            assert!(StreamsPage::parse_lenient(body).is_err());
        }
    }
}
