//! Notifications: the pub/sub port events go out on.
//!
//! [`Event::SeriesReady`] is published when a series' pipeline finishes, [`Event::RankingsUpdated`] when a period's
//! rankings are recomputed. In one process they go through an in-process broadcast channel; with
//! `STREAMLENS_PUBSUB=redis://…` they go through Redis pub/sub (channel `{namespace}:events`), so a gateway replica
//! receives what any worker publishes. `STREAMLENS_PUBSUB=off` switches them off. With `STREAMLENS_EVENTBRIDGE_BUS`
//! set, every event also goes to that Amazon EventBridge bus ([`EventBridge`]: source `streamlens`, detail type the
//! event's name, detail its JSON), for consumers outside Streamlens. Delivery is best effort: a missed event is a late
//! refresh, never lost data.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use streamlens_domain::config::AwsSettings;
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::time::{Period, Slot};
use tokio::sync::broadcast;

/// Something worth telling subscribers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// A series went through every pipeline step.
    SeriesReady {
        /// The series.
        series: SeriesId,
        /// Its source.
        source: SourceId,
        /// Its slot.
        slot: Slot,
        /// When its last step finished (the run record is marked done right after).
        finished_at: DateTime<Utc>,
        /// The pipeline's steps, in the order of the DAG.
        steps: Vec<String>,
    },
    /// A period's rankings were recomputed.
    RankingsUpdated {
        /// The source.
        source: SourceId,
        /// The period.
        period: Period,
    },
}

impl Event {
    /// The event's name: `SeriesReady` or `RankingsUpdated`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SeriesReady { .. } => "SeriesReady",
            Self::RankingsUpdated { .. } => "RankingsUpdated",
        }
    }
}

/// The `source` field of the events Streamlens puts on an EventBridge bus.
pub const EVENTBRIDGE_SOURCE: &str = "streamlens";

/// An Amazon EventBridge bus events are put on.
#[derive(Debug, Clone)]
pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridge {
    /// A client for `bus` (a name or an ARN), with the region and endpoint of `aws`.
    pub async fn connect(bus: &str, aws: &AwsSettings) -> Result<Self, String> {
        let sdk = streamlens_domain::storage::aws::sdk_config(aws).await?;
        Ok(Self {
            client: aws_sdk_eventbridge::Client::new(&sdk),
            bus: bus.to_owned(),
        })
    }

    /// Puts `event` on the bus: source [`EVENTBRIDGE_SOURCE`], detail type [`Event::name`], detail the event's JSON.
    pub async fn put(&self, event: &Event) -> Result<(), String> {
        let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(EVENTBRIDGE_SOURCE)
            .detail_type(event.name())
            .detail(detail)
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string())?;
        match output.entries().first() {
            Some(entry) if entry.error_code().is_some() => Err(format!(
                "{}: {}",
                entry.error_code().unwrap_or_default(),
                entry.error_message().unwrap_or_default()
            )),
            _ if output.failed_entry_count() > 0 => Err("the event was not accepted".to_owned()),
            _ => Ok(()),
        }
    }
}

/// Where events go.
#[derive(Clone)]
pub struct Notifier {
    local: broadcast::Sender<Event>,
    redis: Option<(redis::aio::ConnectionManager, String)>,
    eventbridge: Option<EventBridge>,
    enabled: bool,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("redis", &self.redis.as_ref().map(|(_, channel)| channel))
            .field("eventbridge", &self.eventbridge.as_ref().map(|e| &e.bus))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl Notifier {
    /// Events within this process.
    pub fn in_process() -> Self {
        Self {
            local: broadcast::channel(1024).0,
            redis: None,
            eventbridge: None,
            enabled: true,
        }
    }

    /// No events at all.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::in_process()
        }
    }

    /// Events through Redis pub/sub on `{namespace}:events`; what any process publishes reaches every subscriber of
    /// every process.
    pub async fn redis(url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let channel = format!("{namespace}:events");
        let connection = crate::queue::redis::connect(url).await?;
        let notifier = Self {
            local: broadcast::channel(1024).0,
            redis: Some((connection, channel.clone())),
            eventbridge: None,
            enabled: true,
        };
        let client = crate::queue::redis::client(url)?;
        let local = notifier.local.clone();
        tokio::spawn(async move {
            // Resubscribe after a lost connection, forever.
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if let Err(error) = pubsub.subscribe(&channel).await {
                            tracing::warn!(%error, "cannot subscribe to events");
                        } else {
                            let mut messages = pubsub.into_on_message();
                            while let Some(message) = messages.next().await {
                                let payload: String = message.get_payload().unwrap_or_default();
                                match serde_json::from_str::<Event>(&payload) {
                                    Ok(event) => {
                                        let _ = local.send(event);
                                    }
                                    Err(error) => tracing::warn!(%error, "ignoring an event that does not parse"),
                                }
                            }
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot connect to Redis for events"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        Ok(notifier)
    }

    /// These events, and also on `bus`.
    pub fn with_eventbridge(self, bus: EventBridge) -> Self {
        Self {
            eventbridge: Some(bus),
            ..self
        }
    }

    /// Publishes `event` (logging, not failing, when it cannot).
    pub async fn publish(&self, event: Event) {
        if let Some(bus) = &self.eventbridge
            && let Err(error) = bus.put(&event).await
        {
            tracing::warn!(%error, bus = %bus.bus, event = event.name(), "could not put an event on EventBridge");
        }
        if !self.enabled {
            return;
        }
        match &self.redis {
            None => {
                let _ = self.local.send(event);
            }
            Some((connection, channel)) => {
                let payload = serde_json::to_string(&event).unwrap_or_default();
                let mut connection = connection.clone();
                let sent: Result<i64, _> = redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async(&mut connection)
                    .await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "could not publish an event");
                }
            }
        }
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }
}
