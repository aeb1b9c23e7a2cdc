//! Sources: the `[[source]]` tables of the config file.
//!
//! ```toml
//! [[source]]
//! id = "twitch"                 # [a-z0-9_-], unique
//! kind = "helix"                # helix | history | simulator
//! schedule = "minutely"         # minutely | daily | weekly | monthly | a cron expression (5 or 6 fields, UTC)
//! client_id = "…"               # helix: the app's credentials
//! client_secret = "…"
//! # base_url = "https://api.twitch.tv/helix", token_url = "https://id.twitch.tv/oauth2/token" (the defaults)
//!
//! [[source]]
//! id = "archive"
//! kind = "history"              # any endpoint of the /v1/snapshots contract
//! base_url = "https://history.example.com"
//! token = "…"                   # optional bearer token
//! schedule = "daily"            # each tick pulls the previous whole day (week, month)
//! ```
//!
//! With no source configured, the built-in simulator is the one source (`id = "simulator"`, minutely), or, when
//! `STREAMLENS_HELIX_CLIENT_ID` and `STREAMLENS_HELIX_CLIENT_SECRET` are set, the Twitch Helix API (`id = "twitch"`,
//! minutely); a helix table without credentials takes those two.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::ids::SourceId;
use crate::time::{Period, PeriodKind, Slot, SlotLength};

/// What protocol a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The Twitch Helix API: each pull is the slot "now".
    Helix,
    /// A `/v1/snapshots` endpoint: each pull is a past range.
    History,
    /// The simulator's Helix endpoints: in-process unless `base_url` points at a running simulator.
    Simulator,
}

impl SourceKind {
    /// The name used in config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helix => "helix",
            Self::History => "history",
            Self::Simulator => "simulator",
        }
    }
}

/// When a source is pulled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every minute, at second 0.
    Minutely,
    /// Every day at 00:05 UTC.
    Daily,
    /// Every Monday at 00:10 UTC.
    Weekly,
    /// The first of every month at 00:15 UTC.
    Monthly,
    /// A cron expression with a seconds field (`sec min hour day-of-month month day-of-week`), UTC.
    Cron(String),
}

impl Schedule {
    /// The schedule as a 6-field cron expression.
    pub fn cron_expression(&self) -> &str {
        match self {
            Self::Minutely => "0 * * * * *",
            Self::Daily => "0 5 0 * * *",
            Self::Weekly => "0 10 0 * * Mon",
            Self::Monthly => "0 15 0 1 * *",
            Self::Cron(expression) => expression,
        }
    }

    /// The parsed cron schedule.
    pub fn cron(&self) -> Result<cron::Schedule, String> {
        cron::Schedule::from_str(self.cron_expression()).map_err(|e| format!("invalid cron expression: {e}"))
    }

    /// What a range source pulls at a tick: the whole previous day, ISO week or month for the presets, the last
    /// complete slot otherwise.
    pub fn range_at(&self, tick: DateTime<Utc>, slot: SlotLength) -> (DateTime<Utc>, DateTime<Utc>) {
        let previous = |kind| {
            let period = Period::containing(kind, tick).previous();
            (period.start(), period.end())
        };
        match self {
            Self::Daily => previous(PeriodKind::Day),
            Self::Weekly => previous(PeriodKind::Week),
            Self::Monthly => previous(PeriodKind::Month),
            Self::Minutely | Self::Cron(_) => match Slot::containing(tick, slot) {
                Ok(current) => (current.previous().start(), current.start()),
                Err(_) => (tick - Duration::minutes(i64::from(slot.minutes())), tick),
            },
        }
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let schedule = match s.trim() {
            "minutely" => Self::Minutely,
            "daily" => Self::Daily,
            "weekly" => Self::Weekly,
            "monthly" => Self::Monthly,
            expression => {
                let fields = expression.split_whitespace().count();
                let expression = match fields {
                    // Standard crontab: add the seconds field.
                    5 => format!("0 {expression}"),
                    6 | 7 => expression.to_owned(),
                    _ => {
                        return Err(format!(
                            "{s:?} is not a schedule: expected minutely, daily, weekly, monthly or a cron expression"
                        ));
                    }
                };
                Self::Cron(expression)
            }
        };
        schedule.cron()?;
        Ok(schedule)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Minutely => f.write_str("minutely"),
            Self::Daily => f.write_str("daily"),
            Self::Weekly => f.write_str("weekly"),
            Self::Monthly => f.write_str("monthly"),
            Self::Cron(expression) => f.write_str(expression),
        }
    }
}

/// One configured source.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Its id: part of every series id and storage key of its data.
    pub id: SourceId,
    /// The protocol.
    pub kind: SourceKind,
    /// The API base URL (`None`: Twitch for helix, the in-process simulator for simulator).
    pub base_url: Option<String>,
    /// When it is pulled.
    pub schedule: Schedule,
    /// Helix app client id.
    pub client_id: Option<String>,
    /// Helix app client secret.
    pub client_secret: Option<SecretString>,
    /// Helix token endpoint (`None`: Twitch's).
    pub token_url: Option<String>,
    /// Bearer token of a history endpoint.
    pub token: Option<SecretString>,
    /// Length of the source's slots.
    pub slot_length: SlotLength,
    /// Most pages one pull reads.
    pub page_cap: u32,
}

impl PartialEq for SourceConfig {
    fn eq(&self, other: &Self) -> bool {
        // Secrets are left out: they have no equality worth testing.
        (
            &self.id,
            self.kind,
            &self.base_url,
            &self.schedule,
            &self.client_id,
            &self.token_url,
            self.slot_length,
        ) == (
            &other.id,
            other.kind,
            &other.base_url,
            &other.schedule,
            &other.client_id,
            &other.token_url,
            other.slot_length,
        )
    }
}

impl SourceConfig {
    /// The built-in simulator as the one source: what runs when nothing is configured.
    /// The Twitch Helix API pulled every minute as source `twitch`: the one source when only credentials are set.
    pub fn twitch(credentials: &HelixCredentials) -> Self {
        Self {
            id: SourceId::parse("twitch").unwrap_or_else(|_| SourceId::simulator()),
            kind: SourceKind::Helix,
            client_id: Some(credentials.client_id.clone()),
            client_secret: Some(credentials.client_secret.clone()),
            ..Self::default_simulator()
        }
    }

    /// The built-in simulator, pulled every minute: the one source when nothing is configured.
    pub fn default_simulator() -> Self {
        Self {
            id: SourceId::simulator(),
            kind: SourceKind::Simulator,
            base_url: None,
            schedule: Schedule::Minutely,
            client_id: None,
            client_secret: None,
            token_url: None,
            token: None,
            slot_length: SlotLength::MINUTE,
            page_cap: 1_000,
        }
    }
}

/// A Twitch app's credentials from `STREAMLENS_HELIX_CLIENT_ID` and `STREAMLENS_HELIX_CLIENT_SECRET` (e.g. injected
/// from a secrets manager): they configure the source `twitch` when the file has no `[[source]]`, and complete any
/// helix source of the file that has neither `client_id` nor `client_secret`.
#[derive(Debug, Clone)]
pub struct HelixCredentials {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
}

/// A `[[source]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceTable {
    id: String,
    kind: String,
    base_url: Option<String>,
    schedule: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    token_url: Option<String>,
    token: Option<String>,
    slot_minutes: Option<u32>,
    page_cap: Option<u32>,
}

fn check_url(name: &str, url: &str) -> Result<String, String> {
    let ok = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty());
    if ok {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!("{name} {url:?} is not an http:// or https:// URL"))
    }
}

impl SourceTable {
    /// Validates the table; a helix source without credentials takes `helix_credentials` (the environment's).
    pub(crate) fn into_config(mut self, helix_credentials: Option<&HelixCredentials>) -> Result<SourceConfig, String> {
        if self.kind == "helix"
            && self.client_id.is_none()
            && self.client_secret.is_none()
            && let Some(credentials) = helix_credentials
        {
            self.client_id = Some(credentials.client_id.clone());
            self.client_secret = Some(credentials.client_secret.expose_secret().to_owned());
        }
        let id = SourceId::parse(&self.id).map_err(|e| e.to_string())?;
        let kind = match self.kind.as_str() {
            "helix" => SourceKind::Helix,
            "history" => SourceKind::History,
            "simulator" => SourceKind::Simulator,
            other => return Err(format!("kind {other:?} is not helix, history or simulator")),
        };
        let base_url = self.base_url.as_deref().map(|u| check_url("base_url", u)).transpose()?;
        let token_url = self
            .token_url
            .as_deref()
            .map(|u| check_url("token_url", u))
            .transpose()?;
        let default_schedule = match kind {
            SourceKind::History => Schedule::Daily,
            SourceKind::Helix | SourceKind::Simulator => Schedule::Minutely,
        };
        let schedule = self
            .schedule
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or(default_schedule);
        let slot_length = SlotLength::from_minutes(self.slot_minutes.unwrap_or(1)).map_err(|e| e.to_string())?;
        match kind {
            SourceKind::Helix if self.client_id.is_none() || self.client_secret.is_none() => {
                return Err("a helix source needs client_id and client_secret".into());
            }
            SourceKind::History if base_url.is_none() => {
                return Err("a history source needs base_url".into());
            }
            _ => {}
        }
        let page_cap = self.page_cap.unwrap_or(1_000);
        if page_cap == 0 {
            return Err("page_cap must be at least 1".into());
        }
        Ok(SourceConfig {
            id,
            kind,
            base_url,
            schedule,
            client_id: self.client_id,
            client_secret: self.client_secret.map(SecretString::from),
            token_url,
            token: self.token.map(SecretString::from),
            slot_length,
            page_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn schedules_parse_presets_and_cron_expressions() {
        assert_eq!("daily".parse::<Schedule>().unwrap(), Schedule::Daily);
        assert_eq!(
            "*/5 * * * *".parse::<Schedule>().unwrap(),
            Schedule::Cron("0 */5 * * * *".into())
        );
        assert!("30 0 * * * *".parse::<Schedule>().is_ok());
        assert!("every day".parse::<Schedule>().is_err());
        assert!("61 * * * *".parse::<Schedule>().is_err());
        for preset in [Schedule::Minutely, Schedule::Daily, Schedule::Weekly, Schedule::Monthly] {
            assert!(preset.cron().is_ok(), "{preset}");
        }
    }

    #[test]
    fn range_sources_pull_the_previous_whole_period() {
        let tick = at("2026-11-26T00:05:00Z");
        assert_eq!(
            Schedule::Daily.range_at(tick, SlotLength::MINUTE),
            (at("2026-11-25T00:00:00Z"), at("2026-11-26T00:00:00Z"))
        );
        assert_eq!(
            Schedule::Weekly.range_at(at("2026-11-30T00:10:00Z"), SlotLength::MINUTE),
            (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
        );
        assert_eq!(
            Schedule::Monthly.range_at(at("2026-12-01T00:15:00Z"), SlotLength::MINUTE),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        assert_eq!(
            Schedule::Minutely.range_at(at("2026-11-26T11:27:00Z"), SlotLength::MINUTE),
            (at("2026-11-26T11:26:00Z"), at("2026-11-26T11:27:00Z"))
        );
    }

    #[test]
    fn tables_are_validated() {
        let table = |toml_text: &str| toml::from_str::<SourceTable>(toml_text).map_err(|e| e.to_string());
        let helix = table("id = \"twitch\"\nkind = \"helix\"\nclient_id = \"a\"\nclient_secret = \"b\"").unwrap();
        let config = helix.into_config(None).unwrap();
        assert_eq!((config.kind, config.schedule), (SourceKind::Helix, Schedule::Minutely));
        let history = table("id = \"archive\"\nkind = \"history\"\nbase_url = \"http://h:1/\"").unwrap();
        let config = history.into_config(None).unwrap();
        assert_eq!(
            (config.schedule, config.base_url.as_deref()),
            (Schedule::Daily, Some("http://h:1"))
        );
        assert!(
            table("id = \"x\"\nkind = \"helix\"")
                .unwrap()
                .into_config(None)
                .unwrap_err()
                .contains("client_id")
        );
        assert!(
            table("id = \"x\"\nkind = \"history\"")
                .unwrap()
                .into_config(None)
                .unwrap_err()
                .contains("base_url")
        );
        assert!(table("id = \"x\"\nkind = \"ftp\"").unwrap().into_config(None).is_err());
        assert!(
            table("id = \"X\"\nkind = \"simulator\"")
                .unwrap()
                .into_config(None)
                .is_err()
        );
        assert!(table("id = \"x\"\nkind = \"simulator\"\nschedul = \"daily\"").is_err());
    }
}
