//! [`TopicProducer`]: sends records to a topic.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use std::sync::Arc;

use flv_core::client::{FlushId, ProducerConfig, ProducerId, RecordMetadata, SendError, SendId};

use crate::delivery::Deliveries;
use crate::error::{Error, Result};
use crate::shared::{Inner, SlotFuture};

/// A record key: bytes, or none ([`RecordKey::NULL`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordKey(pub Option<Bytes>);

impl RecordKey {
    /// No key: records are spread over partitions round-robin.
    pub const NULL: Self = Self(None);
}

/// A record value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordData(pub Bytes);

macro_rules! bytes_from {
    ($($t:ty),*) => {$(
        impl From<$t> for RecordKey {
            fn from(v: $t) -> Self {
                Self(Some(Bytes::copy_from_slice(AsRef::<[u8]>::as_ref(&v))))
            }
        }
        impl From<$t> for RecordData {
            fn from(v: $t) -> Self {
                Self(Bytes::copy_from_slice(AsRef::<[u8]>::as_ref(&v)))
            }
        }
    )*};
}
bytes_from!(&str, &String, &[u8], &Vec<u8>);

impl From<String> for RecordKey {
    fn from(v: String) -> Self {
        Self(Some(Bytes::from(v)))
    }
}
impl From<Vec<u8>> for RecordKey {
    fn from(v: Vec<u8>) -> Self {
        Self(Some(Bytes::from(v)))
    }
}
impl From<Bytes> for RecordKey {
    fn from(v: Bytes) -> Self {
        Self(Some(v))
    }
}
impl From<Option<Bytes>> for RecordKey {
    fn from(v: Option<Bytes>) -> Self {
        Self(v)
    }
}
impl From<String> for RecordData {
    fn from(v: String) -> Self {
        Self(Bytes::from(v))
    }
}
impl From<Vec<u8>> for RecordData {
    fn from(v: Vec<u8>) -> Self {
        Self(Bytes::from(v))
    }
}
impl From<Bytes> for RecordData {
    fn from(v: Bytes) -> Self {
        Self(v)
    }
}

/// A record handed to [`TopicProducer::send`]: [`ProduceOutput::wait`] tells where it was
/// stored. Dropping it does not cancel the record.
#[derive(Debug)]
#[must_use = "a record's outcome is only known by waiting for it (or flushing)"]
pub struct ProduceOutput {
    deliveries: Arc<Deliveries>,
    id: SendId,
    done: bool,
}

impl ProduceOutput {
    /// Waits until the record is stored (its partition and offset) or failed for good.
    pub async fn wait(mut self) -> Result<RecordMetadata> {
        std::future::poll_fn(|cx| {
            let r = self.deliveries.poll(self.id, cx);
            self.done = r.is_ready();
            r
        })
        .await
    }
}

impl Drop for ProduceOutput {
    fn drop(&mut self) {
        if !self.done {
            self.deliveries.forget(self.id);
        }
    }
}

/// A producer of one topic (the official client's `TopicProducer`).
///
/// Records are batched per partition and sent as soon as a batch is ready (full, or its
/// linger expired); `send` returns once the record is queued, waiting for room when the
/// partition's queue (`batch_queue_size` batches) is full. Order per partition is kept
/// across retries and leader changes.
///
/// Dropping the producer flushes it in the background (the client stays up until that is
/// done); [`TopicProducer::close`] flushes and waits.
///
/// It is also a [`futures_sink::Sink`] of `(key, value)` pairs: `poll_ready` waits for room,
/// `poll_flush` waits until every record sent so far is resolved and reports the first
/// failure.
#[derive(Debug)]
pub struct TopicProducer {
    inner: Inner,
    id: ProducerId,
    deliveries: Arc<Deliveries>,
    topic: String,
    closed: bool,
    sink_pending: Option<(Option<Bytes>, Bytes)>,
    sink_flush: Option<SlotFuture<FlushId, ()>>,
}

/// What one attempt to queue a record did.
enum Attempt {
    Queued(SendId),
    Full(u64),
}

impl TopicProducer {
    /// The metrics of the client this producer belongs to, as the official
    /// `TopicProducer::metrics` (shared by all its producers and consumers).
    pub fn metrics(&self) -> crate::ClientMetrics {
        crate::ClientMetrics::of(&self.inner)
    }

    pub(crate) async fn create(
        inner: Inner,
        topic: String,
        config: ProducerConfig,
    ) -> Result<Self> {
        let deliveries = Arc::new(Deliveries::default());
        let id = {
            let mut st = inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let id = st
                .client
                .create_producer(topic.clone(), config, now)
                .map_err(|e| st.error(e))?;
            st.created.insert(id);
            st.live_producers.insert(id);
            st.producers.insert(id, Default::default());
            st.deliveries.insert(id, Arc::clone(&deliveries));
            id
        };
        inner.wake();
        let producer = Self {
            inner: inner.clone(),
            id,
            deliveries,
            topic,
            closed: false,
            sink_pending: None,
            sink_flush: None,
        };
        SlotFuture::new(inner, id, |s| &mut s.created).await?;
        Ok(producer)
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Tries to queue a record; `track` registers its outcome for a [`ProduceOutput`].
    fn attempt(&self, key: &Option<Bytes>, value: &Bytes, track: bool) -> Result<Attempt> {
        let mut wake = false;
        let attempt = {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            match st.client.send(self.id, key.clone(), value.clone(), now) {
                Ok(send) => {
                    if track {
                        self.deliveries.register(send);
                    }
                    wake = st.needs_drive();
                    Attempt::Queued(send)
                }
                Err(SendError::QueueFull { .. }) => {
                    Attempt::Full(st.producers.entry(self.id).or_default().generation)
                }
                Err(e) => return Err(e.into()),
            }
        };
        if wake {
            self.inner.wake();
        }
        Ok(attempt)
    }

    /// Ready when the producer was notified of room since `generation` (or the client
    /// closed); registers the waker otherwise.
    fn poll_room(&self, generation: u64, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.inner.lock();
        if st.closed {
            return Poll::Ready(());
        }
        let n = st.producers.entry(self.id).or_default();
        if n.generation != generation {
            Poll::Ready(())
        } else {
            n.register(cx);
            Poll::Pending
        }
    }

    /// Queues a record and returns once it is queued (waiting for room if the queue is
    /// full); the returned [`ProduceOutput`] resolves when it is stored.
    pub async fn send(
        &self,
        key: impl Into<RecordKey>,
        value: impl Into<RecordData>,
    ) -> Result<ProduceOutput> {
        let (key, value) = (key.into().0, value.into().0);
        loop {
            match self.attempt(&key, &value, true)? {
                Attempt::Queued(id) => {
                    return Ok(ProduceOutput {
                        deliveries: Arc::clone(&self.deliveries),
                        id,
                        done: false,
                    });
                }
                Attempt::Full(generation) => {
                    std::future::poll_fn(|cx| self.poll_room(generation, cx)).await;
                }
            }
        }
    }

    /// Sends every record of `records` in order.
    pub async fn send_all<K, V>(
        &self,
        records: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Vec<ProduceOutput>>
    where
        K: Into<RecordKey>,
        V: Into<RecordData>,
    {
        let mut outputs = Vec::new();
        for (k, v) in records {
            outputs.push(self.send(k, v).await?);
        }
        Ok(outputs)
    }

    /// Sends every queued record now and waits until every record sent before this call is
    /// stored; fails with the first failure among them.
    pub async fn flush(&self) -> Result<()> {
        self.start_flush(false)?.await
    }

    fn start_flush(&self, close: bool) -> Result<SlotFuture<FlushId, ()>> {
        let flush = {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let flush = if close {
                st.live_producers.remove(&self.id);
                st.client.close_producer(self.id, now)
            } else {
                st.client.flush(self.id, now)
            }
            .map_err(|e| st.error(e))?;
            st.flushes.insert(flush);
            if close {
                st.closing_flushes.insert(flush);
            }
            flush
        };
        self.inner.wake();
        Ok(SlotFuture::new(self.inner.clone(), flush, |s| {
            &mut s.flushes
        }))
    }

    /// Flushes, then closes the producer.
    pub async fn close(mut self) -> Result<()> {
        let fut = self.start_flush(true);
        self.closed = true;
        fut?.await
    }

    fn sink_poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        while let Some((key, value)) = self.sink_pending.take() {
            match self.attempt(&key, &value, false) {
                Ok(Attempt::Queued(_)) => {}
                Ok(Attempt::Full(generation)) => {
                    self.sink_pending = Some((key, value));
                    if self.poll_room(generation, cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    fn sink_poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if self.sink_poll_ready(cx)?.is_pending() {
            return Poll::Pending;
        }
        if self.sink_flush.is_none() {
            self.sink_flush = Some(self.start_flush(false)?);
        }
        match self.sink_flush.as_mut() {
            Some(f) => match Pin::new(f).poll(cx) {
                Poll::Ready(r) => {
                    self.sink_flush = None;
                    Poll::Ready(r)
                }
                Poll::Pending => Poll::Pending,
            },
            None => Poll::Ready(Ok(())),
        }
    }
}

use std::future::Future;

impl<K: Into<RecordKey>, V: Into<RecordData>> futures_sink::Sink<(K, V)> for TopicProducer {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().sink_poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, (key, value): (K, V)) -> Result<()> {
        let this = self.get_mut();
        this.sink_pending = Some((key.into().0, value.into().0));
        // Queue at once when there is room; otherwise poll_ready / poll_flush retry.
        match this.sink_poll_ready(&mut Context::from_waker(std::task::Waker::noop())) {
            Poll::Ready(r) => r,
            Poll::Pending => Ok(()),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().sink_poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().sink_poll_flush(cx)
    }
}

impl Drop for TopicProducer {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        {
            let mut st = self.inner.lock();
            st.producers.remove(&self.id);
            if !st.closed && st.live_producers.remove(&self.id) {
                let now = st.now();
                if let Ok(flush) = st.client.close_producer(self.id, now) {
                    st.closing_flushes.insert(flush);
                }
            }
        }
        self.inner.wake();
    }
}
