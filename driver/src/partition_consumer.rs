//! The official client's deprecated `PartitionConsumer`, from [`Fluvio::partition_consumer`]:
//! a consumer of one partition of one topic whose `stream(offset)` hands out records.

use std::sync::Arc;

use flv_core::client::{ConsumerConfig, Offset};

use crate::consumer::{ConsumerConfigExt, IntoConsumerConfig, OfficialConsumerStream};
use crate::error::Result;
use crate::fluvio::Fluvio;
use crate::metrics::ClientMetrics;
use crate::runtime::Runtime;
use crate::stream::ConsumerStream;

/// A consumer of one partition (the official `PartitionConsumer`, deprecated there in
/// favour of `Fluvio::consumer_with_config`, as here).
#[derive(Clone)]
pub struct PartitionConsumer<R: Runtime> {
    fluvio: Fluvio<R>,
    topic: String,
    partition: u32,
}

impl<R: Runtime> std::fmt::Debug for PartitionConsumer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionConsumer")
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> PartitionConsumer<R> {
    pub(crate) fn new(fluvio: Fluvio<R>, topic: String, partition: u32) -> Self {
        Self {
            fluvio,
            topic,
            partition,
        }
    }

    /// The topic consumed.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition consumed.
    pub fn partition(&self) -> u32 {
        self.partition
    }

    /// The client's activity counters.
    pub fn metrics(&self) -> Arc<ClientMetrics> {
        self.fluvio.metrics()
    }

    /// The records of the partition from `offset` on, continuously; they fail with an
    /// `ErrorCode`, as upstream's (see [`OfficialConsumerStream`]). Fails at once if the
    /// topic does not exist.
    pub async fn stream(&self, offset: Offset) -> Result<OfficialConsumerStream> {
        let stream = self
            .stream_with_config(offset, ConsumerConfig::new(self.topic.clone(), offset))
            .await?;
        Ok(<ConsumerConfigExt as IntoConsumerConfig>::stream(stream))
    }

    /// As [`stream`](Self::stream), with the other settings of `config` (flv's
    /// [`ConsumerConfig`]: `max_bytes`, isolation, SmartModules, `disable_continuous`, ...);
    /// its topic, partitions and offset are replaced by this consumer's and `offset`.
    pub async fn stream_with_config(
        &self,
        offset: Offset,
        mut config: ConsumerConfig,
    ) -> Result<ConsumerStream> {
        config.topic.clone_from(&self.topic);
        config.partitions = vec![self.partition];
        config.offset = offset;
        self.fluvio.consumer_with_config(config).await
    }
}

impl<R: Runtime> Fluvio<R> {
    /// A consumer of one partition (the official client's deprecated
    /// `Fluvio::partition_consumer`): `stream(offset)` on it gives the records. The topic is
    /// looked up when the stream starts.
    #[deprecated(note = "use `consumer_with_config()` instead, as with the official client")]
    pub async fn partition_consumer(
        &self,
        topic: impl Into<String>,
        partition: u32,
    ) -> Result<PartitionConsumer<R>> {
        Ok(PartitionConsumer::new(
            self.clone(),
            topic.into(),
            partition,
        ))
    }
}
