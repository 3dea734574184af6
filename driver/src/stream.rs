//! [`ConsumerStream`]: records of a topic's partitions, as a [`futures_core::Stream`].
//!
//! Its offset methods are those of the official client's trait,
//! [`consumer::ConsumerStream`](crate::consumer::ConsumerStream).

use std::collections::{BTreeMap, VecDeque};
use std::pin::Pin;
use std::task::{Context, Poll};

use flv_core::client::{
    ConsumerConfig, ConsumerEvent, ConsumerId, ConsumerRecord, OffsetManagement,
};
use flv_core::record::Batch;
use futures_core::Stream;

use crate::error::{Error, Result};
use crate::shared::{Inner, SlotFuture};

/// One batch as stored, with its records at or after the consumer's position.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerBatch {
    /// Partition.
    pub partition: u32,
    /// The records (possibly fewer than the batch holds, when the position is inside it).
    pub records: Vec<ConsumerRecord>,
    /// The batch as received.
    pub batch: Batch,
}

/// A stream of the records of a topic's partitions (the official client's
/// `ConsumerStream`), made by [`Fluvio::consumer_with_config`](crate::Fluvio::consumer_with_config).
///
/// Records of one partition come in offset order, without gaps or duplicates, across
/// leader changes and reconnects; partitions are interleaved batch by batch. A partition
/// that fails for good yields one `Err` and is not read any more; the stream ends when
/// every partition ended (with `disable_continuous`) or failed.
///
/// With offset management (`consumer_id` and [`OffsetManagement::Manual`]), through the
/// official trait [`consumer::ConsumerStream`](crate::consumer::ConsumerStream):
/// `offset_commit` marks the records yielded so far as consumed and `offset_flush` stores
/// them. With [`OffsetManagement::Auto`] every
/// yielded record counts as consumed (as upstream); the offsets are stored when the stream
/// is polled after `offset_flush` elapsed, and when it is closed or dropped. A resumed
/// consumer starts after the last stored record.
#[derive(Debug)]
pub struct ConsumerStream {
    inner: Inner,
    id: ConsumerId,
    mode: OffsetManagement,
    /// Auto mode: the period and the next time offsets are stored.
    auto_flush: Option<(std::time::Duration, flv_core::time::Instant)>,
    records: VecDeque<ConsumerRecord>,
    yielded: BTreeMap<u32, i64>,
    ended: bool,
    closed: bool,
}

impl ConsumerStream {
    /// The metrics of the client this consumer belongs to, as the official
    /// `PartitionConsumer::metrics` (shared by all its producers and consumers).
    pub fn metrics(&self) -> crate::ClientMetrics {
        crate::ClientMetrics::of(&self.inner)
    }

    pub(crate) fn create(inner: Inner, mut config: ConsumerConfig) -> Result<Self> {
        let mode = config.offset_management;
        // Auto mode is run here on the core's manual mode, so that only records the
        // application saw count as consumed (the core commits whole batches).
        if mode == OffsetManagement::Auto {
            config.offset_management = OffsetManagement::Manual;
        }
        let period = config.offset_flush;
        let mut auto_flush = None;
        let id = {
            let mut st = inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            if st.client.metadata().is_synced()
                && st.client.metadata().topic(&config.topic).is_none()
            {
                return Err(Error::TopicNotFound(config.topic));
            }
            let now = st.now();
            let id = st
                .client
                .create_consumer(config, now)
                .map_err(|e| st.error(e))?;
            st.consumers.insert(id, Default::default());
            if mode == OffsetManagement::Auto {
                auto_flush = Some((period, now + period));
            }
            id
        };
        inner.wake();
        Ok(Self {
            inner,
            id,
            mode,
            auto_flush,
            records: VecDeque::new(),
            yielded: BTreeMap::new(),
            ended: false,
            closed: false,
        })
    }

    /// Whole batches instead of single records.
    pub fn batches(self) -> BatchStream {
        BatchStream(self)
    }

    /// The next batch from the client, or the end.
    fn poll_batch(&mut self, cx: &Context<'_>) -> Poll<Option<Result<ConsumerBatch>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let (polled, wake) = {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                self.ended = true;
                return Poll::Ready(None);
            }
            let now = st.now();
            if let Some((period, at)) = &mut self.auto_flush {
                for (&partition, &offset) in &self.yielded {
                    let _ = st.client.offset_commit_record(self.id, partition, offset);
                }
                if *at <= now {
                    *at = now + *period;
                    // Fire and forget: a failure is retried at the next period.
                    let _ = st.client.offset_flush(self.id, now);
                }
            }
            let polled = loop {
                match st.client.poll_consumer(self.id, now) {
                    Some(ConsumerEvent::Records {
                        partition,
                        records,
                        batch,
                    }) => {
                        if records.is_empty() {
                            continue;
                        }
                        break Some(Ok(ConsumerBatch {
                            partition,
                            records,
                            batch,
                        }));
                    }
                    Some(ConsumerEvent::Error { error, .. } | ConsumerEvent::Failed(error)) => {
                        break Some(Err(st.error(error)));
                    }
                    Some(ConsumerEvent::End) => {
                        self.ended = true;
                        break None;
                    }
                    Some(_) => continue,
                    None => {
                        st.consumers.entry(self.id).or_default().register(cx);
                        return Poll::Pending;
                    }
                }
            };
            (polled, st.needs_drive())
        };
        // Taking records may have freed buffer room: the driver sends the flow-control ack.
        if wake {
            self.inner.wake();
        }
        Poll::Ready(polled)
    }

    fn note_yielded(&mut self, partition: u32, offset: i64) {
        self.yielded.insert(partition, offset);
    }

    /// Marks every record yielded so far as consumed (manual offset management), at once
    /// (the trait's `offset_commit` is this, as a future).
    pub fn offset_commit_now(&mut self) -> Result<()> {
        if self.mode == OffsetManagement::None {
            return Err(Error::Client(flv_core::client::ClientError::Misuse(
                flv_core::client::Misuse::InvalidConfig("offset management is disabled".into()),
            )));
        }
        let mut st = self.inner.lock();
        for (&partition, &offset) in &self.yielded {
            st.client
                .offset_commit_record(self.id, partition, offset)
                .map_err(|e| st.error(e))?;
        }
        Ok(())
    }

    /// Marks every record yielded so far as consumed (manual offset management).
    pub async fn offset_commit(&mut self) -> Result<()> {
        self.offset_commit_now()
    }

    /// Stores the committed offsets in the cluster and waits for the answer.
    pub async fn offset_flush(&mut self) -> Result<()> {
        self.flush_offsets().await
    }

    /// How this consumer's offsets are managed.
    pub fn offset_management(&self) -> OffsetManagement {
        self.mode
    }

    /// Stores the committed offsets in the cluster and waits for the answer.
    pub(crate) async fn flush_offsets(&self) -> Result<()> {
        let op = {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let op = st
                .client
                .offset_flush(self.id, now)
                .map_err(|e| st.error(e))?;
            st.offset_flushes.insert(op);
            op
        };
        self.inner.wake();
        SlotFuture::new(self.inner.clone(), op, |s| &mut s.offset_flushes).await
    }

    /// Closes the consumer; with offset management, stores its offsets first and waits.
    pub async fn close(mut self) -> Result<()> {
        self.closed = true;
        let op = {
            let mut st = self.inner.lock();
            st.consumers.remove(&self.id);
            if st.closed {
                return Ok(());
            }
            let now = st.now();
            if self.auto_flush.is_some() {
                for (&partition, &offset) in &self.yielded {
                    let _ = st.client.offset_commit_record(self.id, partition, offset);
                }
            }
            let op = st
                .client
                .close_consumer(self.id, now)
                .map_err(|e| st.error(e))?;
            if let Some(op) = op {
                st.offset_flushes.insert(op);
            }
            op
        };
        self.inner.wake();
        match op {
            Some(op) => SlotFuture::new(self.inner.clone(), op, |s| &mut s.offset_flushes).await,
            None => Ok(()),
        }
    }
}

impl Stream for ConsumerStream {
    type Item = Result<ConsumerRecord>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(r) = this.records.pop_front() {
                this.note_yielded(r.partition, r.offset);
                return Poll::Ready(Some(Ok(r)));
            }
            match this.poll_batch(cx) {
                Poll::Ready(Some(Ok(b))) => this.records.extend(b.records),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Drop for ConsumerStream {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        {
            let mut st = self.inner.lock();
            st.consumers.remove(&self.id);
            if !st.closed {
                let now = st.now();
                if self.auto_flush.is_some() {
                    for (&partition, &offset) in &self.yielded {
                        let _ = st.client.offset_commit_record(self.id, partition, offset);
                    }
                }
                if let Ok(Some(op)) = st.client.close_consumer(self.id, now) {
                    st.closing_ops.insert(op);
                }
            }
        }
        self.inner.wake();
    }
}

/// The batches of a consumer (see [`ConsumerStream::batches`]).
#[derive(Debug)]
pub struct BatchStream(ConsumerStream);

impl BatchStream {
    /// Marks every batch yielded so far as consumed (manual offset management).
    pub fn offset_commit(&mut self) -> Result<()> {
        self.0.offset_commit_now()
    }

    /// Stores the committed offsets and waits for the answer.
    pub async fn offset_flush(&mut self) -> Result<()> {
        self.0.flush_offsets().await
    }

    /// Closes the consumer (see [`ConsumerStream::close`]).
    pub async fn close(self) -> Result<()> {
        self.0.close().await
    }
}

impl Stream for BatchStream {
    type Item = Result<ConsumerBatch>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut self.get_mut().0;
        if let Some(r) = this.records.pop_front() {
            // Records buffered by the record stream before `batches()` was called.
            let mut records = vec![r];
            records.extend(this.records.drain(..));
            let partition = records[0].partition;
            if let Some(last) = records.last() {
                this.note_yielded(last.partition, last.offset);
            }
            return Poll::Ready(Some(Ok(ConsumerBatch {
                partition,
                records,
                batch: Batch::default(),
            })));
        }
        match this.poll_batch(cx) {
            Poll::Ready(Some(Ok(b))) => {
                if let Some(last) = b.records.last() {
                    this.note_yielded(b.partition, last.offset);
                }
                Poll::Ready(Some(Ok(b)))
            }
            other => other,
        }
    }
}
