//! The official client's `fluvio::consumer` module: [`ConsumerConfigExtBuilder`], the
//! [`ConsumerStream`] trait with `offset_commit` / `offset_flush`, and the record types.
//!
//! ```no_run
//! # async fn demo<R: flv_driver::DefaultRuntime>() -> flv_driver::Result<()> {
//! use flv_driver::consumer::{ConsumerConfigExtBuilder, ConsumerStream, OffsetManagementStrategy};
//! use flv_driver::{Fluvio, Offset};
//! use futures_util::StreamExt;
//!
//! let fluvio = Fluvio::<R>::connect().await?;
//! let mut stream = fluvio
//!     .consumer_with_config(
//!         ConsumerConfigExtBuilder::default()
//!             .topic("events")
//!             .partition(0)
//!             .offset_start(Offset::beginning())
//!             .offset_consumer("reader")
//!             .offset_strategy(OffsetManagementStrategy::Manual)
//!             .build()?,
//!     )
//!     .await?;
//! while let Some(Ok(record)) = stream.next().await {
//!     println!("{}", record.get_value().as_utf8_lossy_string());
//!     stream.offset_commit().await?;
//!     stream.offset_flush().await?;
//! }
//! # Ok(()) }
//! ```

use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use flv_core::client::{ClientError, ConsumerConfig, Offset};
use flv_core::error_code::ErrorCode;
use flv_core::spu::Isolation;
use flv_core::spu::SmartModuleInvocation;
use futures_core::Stream;
use futures_core::future::BoxFuture;

use crate::error::{Error, Result};

pub use flv_core::client::ConsumerRecord;
/// The official client's other name of [`ConsumerRecord`].
pub use flv_core::client::ConsumerRecord as Record;
pub use flv_core::client::OffsetManagement as OffsetManagementStrategy;

/// An offset stored for a consumer id (the official `ConsumerOffset`), from
/// [`Fluvio::consumer_offsets`](crate::Fluvio::consumer_offsets).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsumerOffset {
    /// The consumer id.
    pub consumer_id: String,
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: u32,
    /// The offset of the last record consumed.
    pub offset: i64,
    /// When it was stored, in milliseconds since the Unix epoch.
    pub modified_time: u64,
}

impl From<flv_core::spu::consumer_offset::ConsumerOffset> for ConsumerOffset {
    fn from(o: flv_core::spu::consumer_offset::ConsumerOffset) -> Self {
        Self {
            consumer_id: o.consumer_id,
            topic: o.replica_id.topic,
            partition: o.replica_id.partition,
            offset: o.offset,
            modified_time: o.modified_time,
        }
    }
}

/// The future of [`ConsumerStream::offset_commit`] and [`ConsumerStream::offset_flush`]:
/// it fails with an [`ErrorCode`], as upstream's.
pub type ConsumerBoxFuture<'a> = BoxFuture<'a, std::result::Result<(), ErrorCode>>;

/// A stream of records with offset management (the official trait of that name),
/// implemented by [`OfficialConsumerStream`]: its items and its offset methods fail with an
/// [`ErrorCode`], as upstream's (flv's own [`crate::ConsumerStream`] fails with flv's
/// [`Error`], with inherent `offset_commit` / `offset_flush`).
pub trait ConsumerStream:
    Stream<Item = std::result::Result<ConsumerRecord, ErrorCode>> + Unpin
{
    /// Marks the records yielded so far as consumed; [`offset_flush`](Self::offset_flush)
    /// stores them (at once with the manual strategy, periodically with auto). Fails with
    /// [`ErrorCode::OffsetManagementDisabled`] without an offset strategy, as upstream.
    fn offset_commit(&mut self) -> ConsumerBoxFuture<'_>;

    /// Stores the committed offsets in the cluster and waits for the answer.
    fn offset_flush(&mut self) -> ConsumerBoxFuture<'_>;
}

/// The official client's consumer stream, made by
/// [`Fluvio::consumer_with_config`](crate::Fluvio::consumer_with_config) from a
/// [`ConsumerConfigExt`]: flv's [`crate::ConsumerStream`] whose failures are the
/// [`ErrorCode`]s upstream yields (a server's code as it is; any other failure as
/// [`ErrorCode::Other`] with flv's message; [`into_inner`](Self::into_inner) gives flv's
/// stream and its typed errors back).
#[derive(Debug)]
pub struct OfficialConsumerStream {
    inner: crate::ConsumerStream,
    managed: bool,
}

impl OfficialConsumerStream {
    /// flv's stream under it, whose items and methods fail with flv's [`Error`].
    pub fn into_inner(self) -> crate::ConsumerStream {
        self.inner
    }

    /// The metrics of the client this consumer belongs to.
    pub fn metrics(&self) -> crate::ClientMetrics {
        self.inner.metrics()
    }

    /// Closes the consumer; with offset management, stores its offsets first and waits.
    pub async fn close(self) -> Result<()> {
        self.inner.close().await
    }
}

impl Stream for OfficialConsumerStream {
    type Item = std::result::Result<ConsumerRecord, ErrorCode>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().inner)
            .poll_next(cx)
            .map(|item| item.map(|r| r.map_err(ErrorCode::from)))
    }
}

impl ConsumerStream for OfficialConsumerStream {
    fn offset_commit(&mut self) -> ConsumerBoxFuture<'_> {
        let done = if self.managed {
            self.inner.offset_commit_now().map_err(ErrorCode::from)
        } else {
            Err(ErrorCode::OffsetManagementDisabled)
        };
        Box::pin(std::future::ready(done))
    }

    fn offset_flush(&mut self) -> ConsumerBoxFuture<'_> {
        if !self.managed {
            return Box::pin(std::future::ready(Err(ErrorCode::OffsetManagementDisabled)));
        }
        Box::pin(async move { self.inner.flush_offsets().await.map_err(ErrorCode::from) })
    }
}

/// The [`ErrorCode`] the official consumer reports for a failure: the server's code
/// as it is, any other failure as [`ErrorCode::Other`] with flv's message.
impl From<Error> for ErrorCode {
    fn from(e: Error) -> Self {
        match e {
            Error::Client(ClientError::Server(code) | ClientError::Admin { code, .. }) => code,
            other => Self::Other(other.to_string()),
        }
    }
}

/// How often a consumer retries a partition that failed (the official `RetryMode`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum RetryMode {
    /// Never: the first failure ends the partition.
    Disabled,
    /// At most this many times in a row.
    TryUntil(u32),
    /// Without limit.
    #[default]
    TryForever,
}

/// A consumer's configuration (the official `ConsumerConfigExt`), built with
/// [`ConsumerConfigExtBuilder`]; [`Fluvio::consumer_with_config`](crate::Fluvio::consumer_with_config)
/// takes it as well as flv's [`ConsumerConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerConfigExt {
    /// The topic.
    pub topic: String,
    /// The partitions (all of them when empty).
    pub partition: Vec<u32>,
    /// The remote cluster of a mirror topic's partition (not supported by flv: a consumer
    /// with it fails to start).
    pub mirror: Option<String>,
    /// The consumer id under which offsets are stored.
    pub offset_consumer: Option<String>,
    /// Where to start.
    pub offset_start: Offset,
    /// How offsets are stored.
    pub offset_strategy: OffsetManagementStrategy,
    /// The period of automatic offset flushes.
    pub offset_flush: Duration,
    /// Upstream's automatic flusher polling period (flv flushes as the stream is polled,
    /// and on close: the value is kept, not used).
    pub offset_flusher_check_period: Duration,
    /// End once the records stored at start are read.
    pub disable_continuous: bool,
    /// Maximum bytes of one fetch.
    pub max_bytes: i32,
    /// Read committed or uncommitted records.
    pub isolation: Isolation,
    /// SmartModules applied by the SPU.
    pub smartmodule: Vec<SmartModuleInvocation>,
    /// Retries of a failed partition.
    pub retry_mode: RetryMode,
}

impl ConsumerConfigExt {
    /// A builder with every option at its default.
    pub fn builder() -> ConsumerConfigExtBuilder {
        ConsumerConfigExtBuilder::default()
    }
}

/// What a consumer may be made from: flv's [`ConsumerConfig`] (giving flv's
/// [`crate::ConsumerStream`]) or the official [`ConsumerConfigExt`] (giving the official
/// [`OfficialConsumerStream`]).
pub trait IntoConsumerConfig {
    /// The stream a consumer of this configuration is.
    type Stream;

    /// flv's configuration, or why there is none.
    fn into_consumer_config(self) -> Result<ConsumerConfig>;

    /// The stream of this kind of configuration, over flv's stream.
    fn stream(inner: crate::ConsumerStream) -> Self::Stream;
}

impl IntoConsumerConfig for ConsumerConfig {
    type Stream = crate::ConsumerStream;

    fn into_consumer_config(self) -> Result<ConsumerConfig> {
        Ok(self)
    }

    fn stream(inner: crate::ConsumerStream) -> Self::Stream {
        inner
    }
}

impl IntoConsumerConfig for ConsumerConfigExt {
    type Stream = OfficialConsumerStream;

    fn stream(inner: crate::ConsumerStream) -> Self::Stream {
        let managed = inner.offset_management() != OffsetManagementStrategy::None;
        OfficialConsumerStream { inner, managed }
    }

    fn into_consumer_config(self) -> Result<ConsumerConfig> {
        if let Some(mirror) = self.mirror {
            return Err(invalid(format!(
                "mirror consumers (mirror {mirror:?}) are not supported by flv"
            )));
        }
        let base = ConsumerConfig::default();
        Ok(ConsumerConfig {
            topic: self.topic,
            partitions: self.partition,
            offset: self.offset_start,
            consumer_id: self.offset_consumer,
            offset_management: self.offset_strategy,
            offset_flush: self.offset_flush,
            disable_continuous: self.disable_continuous,
            max_bytes: self.max_bytes,
            isolation: self.isolation,
            max_retries: match self.retry_mode {
                RetryMode::Disabled => Some(0),
                RetryMode::TryUntil(n) => Some(n),
                RetryMode::TryForever => None,
            },
            smartmodules: self.smartmodule,
            ..base
        })
    }
}

fn invalid(message: String) -> Error {
    Error::Client(ClientError::Misuse(
        flv_core::client::Misuse::InvalidConfig(message),
    ))
}

/// Builds a [`ConsumerConfigExt`] (the official `ConsumerConfigExtBuilder`): `topic` and
/// `offset_start` are required, a consumer id is required with an offset strategy.
#[derive(Debug, Clone, Default)]
pub struct ConsumerConfigExtBuilder {
    topic: Option<String>,
    partition: Vec<u32>,
    mirror: Option<String>,
    offset_consumer: Option<String>,
    offset_start: Option<Offset>,
    offset_strategy: Option<OffsetManagementStrategy>,
    offset_flush: Option<Duration>,
    offset_flusher_check_period: Option<Duration>,
    disable_continuous: Option<bool>,
    max_bytes: Option<i32>,
    isolation: Option<Isolation>,
    smartmodule: Option<Vec<SmartModuleInvocation>>,
    retry_mode: Option<RetryMode>,
}

impl ConsumerConfigExtBuilder {
    /// The topic (required).
    pub fn topic(&mut self, value: impl Into<String>) -> &mut Self {
        self.topic = Some(value.into());
        self
    }

    /// Adds a partition to read (all partitions when none is added).
    pub fn partition(&mut self, value: u32) -> &mut Self {
        self.partition.push(value);
        self
    }

    /// The remote cluster of a mirror topic's partition.
    pub fn mirror(&mut self, value: impl Into<String>) -> &mut Self {
        self.mirror = Some(value.into());
        self
    }

    /// The consumer id under which offsets are stored.
    pub fn offset_consumer(&mut self, value: impl Into<String>) -> &mut Self {
        self.offset_consumer = Some(value.into());
        self
    }

    /// Where to start (required).
    pub fn offset_start(&mut self, value: Offset) -> &mut Self {
        self.offset_start = Some(value);
        self
    }

    /// How offsets are stored (default none).
    pub fn offset_strategy(&mut self, value: OffsetManagementStrategy) -> &mut Self {
        self.offset_strategy = Some(value);
        self
    }

    /// The period of automatic offset flushes (default 10 s).
    pub fn offset_flush(&mut self, value: Duration) -> &mut Self {
        self.offset_flush = Some(value);
        self
    }

    /// Upstream's flusher polling period (kept, not used: see [`ConsumerConfigExt`]).
    pub fn offset_flusher_check_period(&mut self, value: Duration) -> &mut Self {
        self.offset_flusher_check_period = Some(value);
        self
    }

    /// End once the records stored at start are read.
    pub fn disable_continuous(&mut self, value: bool) -> &mut Self {
        self.disable_continuous = Some(value);
        self
    }

    /// Maximum bytes of one fetch.
    pub fn max_bytes(&mut self, value: i32) -> &mut Self {
        self.max_bytes = Some(value);
        self
    }

    /// Read committed or uncommitted records.
    pub fn isolation(&mut self, value: Isolation) -> &mut Self {
        self.isolation = Some(value);
        self
    }

    /// SmartModules applied by the SPU.
    pub fn smartmodule(&mut self, value: Vec<SmartModuleInvocation>) -> &mut Self {
        self.smartmodule = Some(value);
        self
    }

    /// Retries of a failed partition (default: 100 in a row).
    pub fn retry_mode(&mut self, value: RetryMode) -> &mut Self {
        self.retry_mode = Some(value);
        self
    }

    /// The configuration, or which required option is missing.
    pub fn build(&self) -> Result<ConsumerConfigExt> {
        let defaults = ConsumerConfig::default();
        let topic = self
            .topic
            .clone()
            .ok_or_else(|| invalid("Missing required config option: `topic`".into()))?;
        let offset_start = self
            .offset_start
            .ok_or_else(|| invalid("Missing required config option: `offset_start`".into()))?;
        let offset_strategy = self.offset_strategy.unwrap_or_default();
        if offset_strategy != OffsetManagementStrategy::None && self.offset_consumer.is_none() {
            return Err(invalid(
                "Consumer id is required when using offset strategy".into(),
            ));
        }
        Ok(ConsumerConfigExt {
            topic,
            partition: self.partition.clone(),
            mirror: self.mirror.clone(),
            offset_consumer: self.offset_consumer.clone(),
            offset_start,
            offset_strategy,
            offset_flush: self.offset_flush.unwrap_or(Duration::from_secs(10)),
            offset_flusher_check_period: self
                .offset_flusher_check_period
                .unwrap_or(Duration::from_millis(100)),
            disable_continuous: self.disable_continuous.unwrap_or(false),
            max_bytes: self.max_bytes.unwrap_or(defaults.max_bytes),
            isolation: self.isolation.unwrap_or(defaults.isolation),
            smartmodule: self.smartmodule.clone().unwrap_or_default(),
            retry_mode: self.retry_mode.clone().unwrap_or(RetryMode::TryUntil(100)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_maps_every_option() {
        let ext = ConsumerConfigExtBuilder::default()
            .topic("t")
            .partition(1)
            .partition(2)
            .offset_start(Offset::from_end(3))
            .offset_consumer("c")
            .offset_strategy(OffsetManagementStrategy::Auto)
            .offset_flush(Duration::from_secs(1))
            .disable_continuous(true)
            .max_bytes(1000)
            .isolation(Isolation::ReadCommitted)
            .retry_mode(RetryMode::Disabled)
            .build()
            .expect("valid");
        let c = ext.into_consumer_config().expect("supported");
        assert_eq!(c.topic, "t");
        assert_eq!(c.partitions, vec![1, 2]);
        assert_eq!(c.offset, Offset::FromEnd(3));
        assert_eq!(c.consumer_id.as_deref(), Some("c"));
        assert_eq!(c.offset_management, OffsetManagementStrategy::Auto);
        assert_eq!(c.offset_flush, Duration::from_secs(1));
        assert!(c.disable_continuous);
        assert_eq!(c.max_bytes, 1000);
        assert_eq!(c.isolation, Isolation::ReadCommitted);
        assert_eq!(c.max_retries, Some(0));
    }

    #[test]
    fn builder_rejects_what_upstream_rejects() {
        let no_topic = ConsumerConfigExtBuilder::default()
            .offset_start(Offset::beginning())
            .build();
        assert!(no_topic.is_err());
        let no_id = ConsumerConfigExtBuilder::default()
            .topic("t")
            .offset_start(Offset::beginning())
            .offset_strategy(OffsetManagementStrategy::Manual)
            .build();
        assert!(no_id.is_err());
        let mirror = ConsumerConfigExtBuilder::default()
            .topic("t")
            .offset_start(Offset::beginning())
            .mirror("remote")
            .build()
            .expect("builds");
        assert!(mirror.into_consumer_config().is_err());
    }
}
