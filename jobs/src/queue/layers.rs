//! Worker middleware and poll strategy that make apalis 1.0 behave as Streamlens needs.
//!
//! - [`MaxAttemptsLayer`]: bounds the total runs of a job. apalis-redis 1.0 reschedules every failed job while its
//!   attempts are below 25 (hard-coded in its Lua), whatever the retry policy says; this layer turns the last
//!   allowed failure into an [`AbortError`] and marks the task `Killed`, so the backend dead-letters it.
//! - [`FixedInterval`]: a poll strategy that always leaves a timer armed. apalis' own interval strategy can drop its
//!   wake-up, leaving an idle worker asleep until its next heartbeat (30 s); without any strategy an idle worker
//!   looks for new jobs only at heartbeats.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use apalis::prelude::{AbortError, BoxDynError, PollSnapshot, PollStrategy, Task};
use apalis_core::task::status::Status;
use tower::{Layer, Service};

/// Bounds the total runs of a task to `min(cap, the task's own max_attempts)`.
#[derive(Debug, Clone, Copy)]
pub struct MaxAttemptsLayer {
    cap: usize,
}

impl MaxAttemptsLayer {
    /// At most `cap` runs (at least one).
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1) }
    }
}

impl<S> Layer<S> for MaxAttemptsLayer {
    type Service = MaxAttempts<S>;

    fn layer(&self, inner: S) -> Self::Service {
        MaxAttempts { inner, cap: self.cap }
    }
}

/// The service [`MaxAttemptsLayer`] wraps around a worker.
#[derive(Debug, Clone)]
pub struct MaxAttempts<S> {
    inner: S,
    cap: usize,
}

impl<S, Args> Service<Task<Args>> for MaxAttempts<S>
where
    S: Service<Task<Args>>,
    S::Error: Into<BoxDynError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxDynError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        let ctx: Arc<_> = task.ctx().clone();
        let cap = self.cap;
        let future = self.inner.call(task);
        Box::pin(async move {
            match future.await {
                Ok(response) => Ok(response),
                Err(error) => {
                    let error: BoxDynError = error.into();
                    let max = ctx.max_attempts().map_or(cap, |m| m.min(cap));
                    // The attempt was counted by apalis' lifecycle layer (innermost) before the handler ran.
                    if ctx.attempt() >= max && error.downcast_ref::<AbortError>().is_none() {
                        ctx.raw_status().store(Status::Killed);
                        Err(Box::new(AbortError::new(error)) as BoxDynError)
                    } else {
                        Err(error)
                    }
                }
            }
        })
    }
}

/// Polls the backend every `every`, with a timer always armed.
#[derive(Debug)]
pub struct FixedInterval {
    every: Duration,
    delay: Option<apalis_core::timer::Delay>,
}

impl FixedInterval {
    /// Polls every `every` (at least a millisecond).
    pub fn new(every: Duration) -> Self {
        Self {
            every: every.max(Duration::from_millis(1)),
            delay: None,
        }
    }
}

impl Clone for FixedInterval {
    fn clone(&self) -> Self {
        Self::new(self.every)
    }
}

impl PollStrategy for FixedInterval {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _snapshot: &PollSnapshot) -> Poll<Option<()>> {
        let mut fired = false;
        loop {
            let every = self.every;
            let delay = self.delay.get_or_insert_with(|| apalis_core::timer::Delay::new(every));
            match Pin::new(delay).poll(cx) {
                // Fired: drop it and loop, so a fresh timer is polled and its waker registered.
                Poll::Ready(()) => {
                    fired = true;
                    self.delay = None;
                }
                Poll::Pending => return if fired { Poll::Ready(Some(())) } else { Poll::Pending },
            }
        }
    }
}
