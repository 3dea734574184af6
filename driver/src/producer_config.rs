//! The official client's producer configuration: [`TopicProducerConfig`] built with
//! [`TopicProducerConfigBuilder`], custom [`Partitioner`]s and [`ProducerCallback`]s.
//!
//! A [`TopicProducerConfig`] is flv's [`ProducerConfig`] plus what only lives in the driver
//! (a custom partitioner, a completion callback); flv's own fields beyond the official ones
//! (`max_in_flight`, `delivery_timeout`) are set through [`TopicProducerConfigBuilder::flv`]
//! or by converting a [`ProducerConfig`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flv_core::client::{DeliverySemantic, ProducerConfig};
use flv_core::producer::partitioner::PartitionerKind;
use flv_core::record::Compression;
use flv_core::spu::Isolation;
use flv_core::spu::SmartModuleInvocation;
use futures_core::future::BoxFuture;

/// Picks the partition of a record (the official `Partitioner`).
pub trait Partitioner {
    /// The partition of the record with `key` and `value`, given the topic's partitions.
    fn partition(&self, config: &PartitionerConfig, key: Option<&[u8]>, value: &[u8]) -> u32;
}

/// What a [`Partitioner`] knows of the topic (the official `PartitionerConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionerConfig {
    /// Number of partitions of the topic.
    pub partition_count: u32,
    /// The partitions whose leader is online, ascending.
    pub available_partitions: Vec<u32>,
}

impl PartitionerConfig {
    /// Number of partitions of the topic.
    pub fn partition_count(&self) -> u32 {
        self.partition_count
    }
}

/// A batch of records stored, as told to a [`ProducerCallback`] (the official
/// `ProduceCompletionBatchEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduceCompletionBatchEvent {
    /// Bytes of keys and values of the batch's records.
    pub bytes_size: u64,
    /// Number of records in the batch.
    pub records_len: u64,
    /// The partition.
    pub partition: u32,
    /// When the batch's first record was sent.
    pub created_at: Instant,
    /// Time from `created_at` to the acknowledgement.
    pub elapsed: Duration,
}

/// Called once per batch stored (the official `ProducerCallback`). The futures run one at
/// a time, in order, on a task of the client's runtime; an error is logged.
pub trait ProducerCallback {
    /// A batch was stored.
    fn finished(&self, item: ProduceCompletionBatchEvent) -> BoxFuture<'_, anyhow::Result<()>>;
}

/// A shared [`ProducerCallback`] (the official `SharedProducerCallback`).
pub type SharedProducerCallback = Arc<dyn ProducerCallback + Send + Sync>;

/// A shared [`Partitioner`], as the builder takes it.
pub type SharedPartitioner = Arc<dyn Partitioner + Send + Sync>;

/// A producer's configuration (the official `TopicProducerConfig`), from
/// [`TopicProducerConfigBuilder`] or from flv's [`ProducerConfig`].
#[derive(Clone, Default)]
pub struct TopicProducerConfig {
    /// The state machine's settings (batching, compression, delivery, ...).
    pub(crate) base: ProducerConfig,
    /// A custom partitioner, instead of `base.partitioner`.
    pub(crate) partitioner: Option<SharedPartitioner>,
    /// Told of every batch stored.
    pub(crate) callback: Option<SharedProducerCallback>,
}

impl fmt::Debug for TopicProducerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicProducerConfig")
            .field("base", &self.base)
            .field("custom_partitioner", &self.partitioner.is_some())
            .field("callback", &self.callback.is_some())
            .finish()
    }
}

impl From<ProducerConfig> for TopicProducerConfig {
    fn from(base: ProducerConfig) -> Self {
        Self {
            base,
            partitioner: None,
            callback: None,
        }
    }
}

impl TopicProducerConfig {
    /// A builder with every option at its default.
    pub fn builder() -> TopicProducerConfigBuilder {
        TopicProducerConfigBuilder::default()
    }

    /// flv's settings underneath (the custom partitioner and callback aside).
    pub fn producer_config(&self) -> &ProducerConfig {
        &self.base
    }

    /// Maximum time a record waits for more records to fill its batch.
    pub fn linger(&self) -> Duration {
        self.base.linger
    }

    /// Maximum batch size in bytes.
    pub fn batch_size(&self) -> usize {
        self.base.batch_size
    }

    /// Maximum size of one produce request in bytes.
    pub fn max_request_size(&self) -> usize {
        self.base.max_request_size
    }

    /// Batches queued per partition before `send` waits.
    pub fn batch_queue_size(&self) -> usize {
        self.base.batch_queue_size
    }

    /// The compression of batches (`None`: the topic's).
    pub fn compression(&self) -> Option<Compression> {
        self.base.compression
    }

    /// The SPU's timeout for a produce request.
    pub fn timeout(&self) -> Duration {
        self.base.timeout
    }

    /// The isolation of produce requests.
    pub fn isolation(&self) -> Isolation {
        self.base.isolation
    }

    /// At most once, or at least once with a retry policy.
    pub fn delivery_semantic(&self) -> DeliverySemantic {
        self.base.delivery_semantic
    }

    /// The SmartModules applied before records are sent.
    pub fn smartmodules(&self) -> &Vec<SmartModuleInvocation> {
        &self.base.smartmodules
    }
}

/// Why [`TopicProducerConfigBuilder::build`] failed (the official
/// `TopicProducerConfigBuilderError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicProducerConfigBuilderError {
    /// A value is out of range.
    #[error("{0}")]
    ValidationError(String),
}

/// Builds a [`TopicProducerConfig`] (the official `TopicProducerConfigBuilder`): setters
/// take `&mut self` and return it, [`build`](Self::build) checks the values.
#[derive(Clone, Default)]
pub struct TopicProducerConfigBuilder {
    config: TopicProducerConfig,
}

impl fmt::Debug for TopicProducerConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl TopicProducerConfigBuilder {
    /// Maximum batch size in bytes (default 16 KiB).
    pub fn batch_size(&mut self, value: usize) -> &mut Self {
        self.config.base.batch_size = value;
        self
    }

    /// Maximum size of one produce request in bytes (default 1 MiB).
    pub fn max_request_size(&mut self, value: usize) -> &mut Self {
        self.config.base.max_request_size = value;
        self
    }

    /// Batches queued per partition before `send` waits (default 100).
    pub fn batch_queue_size(&mut self, value: usize) -> &mut Self {
        self.config.base.batch_queue_size = value;
        self
    }

    /// Maximum time a record waits for its batch to fill (default 0).
    pub fn linger(&mut self, value: Duration) -> &mut Self {
        self.config.base.linger = value;
        self
    }

    /// A custom partitioner.
    pub fn partitioner(&mut self, value: SharedPartitioner) -> &mut Self {
        self.config.partitioner = Some(value);
        self
    }

    /// Every record to partition `partition_id`.
    pub fn set_specific_partitioner(&mut self, partition_id: u32) -> &mut Self {
        self.config.partitioner = None;
        self.config.base.partitioner = PartitionerKind::Specific(partition_id);
        self
    }

    /// Compression of batches.
    pub fn compression(&mut self, value: impl Into<Compression>) -> &mut Self {
        self.config.base.compression = Some(value.into());
        self
    }

    /// The SPU's timeout for a produce request (default 1.5 s).
    pub fn timeout(&mut self, value: Duration) -> &mut Self {
        self.config.base.timeout = value;
        self
    }

    /// The isolation of produce requests.
    pub fn isolation(&mut self, value: Isolation) -> &mut Self {
        self.config.base.isolation = value;
        self
    }

    /// At most once, or at least once with a retry policy (the default).
    pub fn delivery_semantic(&mut self, value: DeliverySemantic) -> &mut Self {
        self.config.base.delivery_semantic = value;
        self
    }

    /// SmartModules applied before records are sent.
    pub fn smartmodules(&mut self, value: Vec<SmartModuleInvocation>) -> &mut Self {
        self.config.base.smartmodules = value;
        self
    }

    /// Told of every batch stored.
    pub fn callback(&mut self, value: impl Into<SharedProducerCallback>) -> &mut Self {
        self.config.callback = Some(value.into());
        self
    }

    /// flv's settings beyond the official ones (`max_in_flight`, `delivery_timeout`, ...).
    pub fn flv(&mut self, edit: impl FnOnce(&mut ProducerConfig)) -> &mut Self {
        edit(&mut self.config.base);
        self
    }

    /// The configuration; fails on a zero batch, request or queue size.
    pub fn build(&self) -> Result<TopicProducerConfig, TopicProducerConfigBuilderError> {
        let base = &self.config.base;
        for (name, value) in [
            ("batch_size", base.batch_size),
            ("max_request_size", base.max_request_size),
            ("batch_queue_size", base.batch_queue_size),
        ] {
            if value == 0 {
                return Err(TopicProducerConfigBuilderError::ValidationError(format!(
                    "{name} must be positive"
                )));
            }
        }
        Ok(self.config.clone())
    }
}

/// What a producer with a callback remembers of each record until its batch is stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SentRecord {
    pub(crate) bytes: u64,
    pub(crate) at: Instant,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Partitioner for Fixed {
        fn partition(&self, c: &PartitionerConfig, _: Option<&[u8]>, _: &[u8]) -> u32 {
            c.partition_count() - 1
        }
    }

    #[test]
    fn builder_sets_every_option() {
        let config = TopicProducerConfigBuilder::default()
            .batch_size(10)
            .max_request_size(20)
            .batch_queue_size(3)
            .linger(Duration::from_millis(5))
            .compression(Compression::Gzip)
            .timeout(Duration::from_secs(2))
            .isolation(Isolation::ReadCommitted)
            .delivery_semantic(DeliverySemantic::AtMostOnce)
            .partitioner(Arc::new(Fixed))
            .build()
            .expect("valid");
        assert_eq!(config.batch_size(), 10);
        assert_eq!(config.max_request_size(), 20);
        assert_eq!(config.batch_queue_size(), 3);
        assert_eq!(config.linger(), Duration::from_millis(5));
        assert_eq!(config.compression(), Some(Compression::Gzip));
        assert_eq!(config.timeout(), Duration::from_secs(2));
        assert_eq!(config.isolation(), Isolation::ReadCommitted);
        assert_eq!(config.delivery_semantic(), DeliverySemantic::AtMostOnce);
        assert!(config.partitioner.is_some());
        let zero = TopicProducerConfigBuilder::default().batch_size(0).build();
        assert!(matches!(
            zero,
            Err(TopicProducerConfigBuilderError::ValidationError(_))
        ));
    }
}
