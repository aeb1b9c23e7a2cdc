//! The subscription root: events from the pub/sub port ([`streamlens_jobs::notify`]), so a client connected to any
//! gateway replica hears what any worker publishes.

use async_graphql::{Context, ID, Result, SimpleObject, Subscription as SubscriptionRoot};
use chrono::{DateTime, Utc};
use futures::Stream;
use streamlens_jobs::notify::Event;
use tokio::sync::broadcast::error::RecvError;

use super::gateway;
use super::types::{Period, PeriodType, RankedEntity};

/// The subscription root.
#[derive(Debug, Default)]
pub struct Subscription;

/// A series went through every step of its pipeline: its numbers are served.
#[derive(Debug, Clone, SimpleObject)]
pub struct SeriesReady {
    /// The series.
    pub series: ID,
    /// Its source.
    pub source: ID,
    /// Start of its slot.
    pub slot: DateTime<Utc>,
    /// When its last step finished.
    pub finished_at: DateTime<Utc>,
    /// The steps it went through, in the order of the DAG.
    pub steps: Vec<String>,
}

/// A period's rankings were recomputed.
#[derive(Debug, Clone, SimpleObject)]
pub struct RankingsUpdated {
    /// What the updated rankings rank.
    pub entity: RankedEntity,
    /// The source.
    pub source: ID,
    /// The period.
    pub period: Period,
}

/// The events of this process' notifier, as a stream, each once the response cache has moved past it (so an answer
/// asked for on hearing it is not one cached before it); a subscriber that falls behind skips what it missed.
fn events(ctx: &Context<'_>) -> impl Stream<Item = Event> + use<> {
    let receiver = gateway(ctx).events.subscribe();
    futures::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) => return Some((event, receiver)),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a subscriber fell behind and skipped events");
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

#[SubscriptionRoot]
impl Subscription {
    /// Each series that becomes ready, of `source` (every source when absent).
    async fn series_ready(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
    ) -> Result<impl Stream<Item = SeriesReady> + use<>> {
        if let Some(source) = &source {
            gateway(ctx).source(Some(source))?;
        }
        Ok(futures::StreamExt::filter_map(events(ctx), move |event| {
            let wanted = source.clone();
            async move {
                match event {
                    Event::SeriesReady {
                        series,
                        source,
                        slot,
                        finished_at,
                        steps,
                    } if wanted.as_ref().is_none_or(|w| w.as_str() == source.as_str()) => Some(SeriesReady {
                        series: ID(series.to_string()),
                        source: ID(source.to_string()),
                        slot: slot.start(),
                        finished_at,
                        steps,
                    }),
                    _ => None,
                }
            }
        }))
    }

    /// Each recompute of the `entity` rankings of periods of `period`, of `source` (every source when absent).
    /// Channel and game rankings are recomputed together, so both hear every recompute.
    async fn rankings_updated(
        &self,
        ctx: &Context<'_>,
        source: Option<ID>,
        #[graphql(default_with = "RankedEntity::Channel")] entity: RankedEntity,
        period: PeriodType,
    ) -> Result<impl Stream<Item = RankingsUpdated> + use<>> {
        if let Some(source) = &source {
            gateway(ctx).source(Some(source))?;
        }
        Ok(futures::StreamExt::filter_map(events(ctx), move |event| {
            let wanted = source.clone();
            async move {
                match event {
                    Event::RankingsUpdated { source, period: p }
                        if PeriodType::from(p.kind()) == period
                            && wanted.as_ref().is_none_or(|w| w.as_str() == source.as_str()) =>
                    {
                        Some(RankingsUpdated {
                            entity,
                            source: ID(source.to_string()),
                            period: p.into(),
                        })
                    }
                    _ => None,
                }
            }
        }))
    }
}
