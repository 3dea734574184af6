//! [`TopicProducer`]: sends records to a topic.

use std::pin::Pin;
use std::task::{Context, Poll};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use flv_core::client::{FlushId, ProducerConfig, ProducerId, RecordMetadata, SendError, SendId};
use flv_core::producer::partitioner::PartitionerKind;

use crate::delivery::{BatchEntry, Deliveries};
use crate::error::{Error, Result};
use crate::producer_config::{PartitionerConfig, SharedPartitioner, TopicProducerConfig};
use crate::shared::{Inner, SlotFuture};

pub use flv_core::official::{RecordData, RecordKey};

/// The official client's name for the outcome of one record (its `FutureRecordMetadata`,
/// which `ProduceOutput` wraps there): [`ProduceOutput::wait`] gives its [`RecordMetadata`].
pub type FutureRecordMetadata = ProduceOutput;

/// A record handed to [`TopicProducer::send`]: [`ProduceOutput::wait`] tells where it was
/// stored. Dropping it does not cancel the record.
#[derive(Debug)]
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

/// Records queued by [`TopicProducer::send_batch`], in the order given:
/// [`ProduceBatchOutput::wait`] tells where each one was stored, or why it was not.
/// Dropping it cancels none of them.
#[derive(Debug)]
pub struct ProduceBatchOutput {
    deliveries: Arc<Deliveries>,
    entries: Vec<BatchEntry>,
    /// Entries before this one hold their outcome.
    next: usize,
}

impl ProduceBatchOutput {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Waits until every record is stored (its partition and offset) or failed for good;
    /// the outcomes are in the order the records were given. One wake-up per stored batch
    /// at most, not one per record.
    pub async fn wait(mut self) -> Vec<Result<RecordMetadata>> {
        std::future::poll_fn(|cx| {
            self.deliveries
                .poll_batch(&mut self.entries, &mut self.next, cx)
        })
        .await;
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|entry| match entry {
                BatchEntry::Done(outcome) => outcome,
                BatchEntry::Waiting(_) => Err(Error::Closed),
            })
            .collect()
    }
}

impl Drop for ProduceBatchOutput {
    fn drop(&mut self) {
        if let Some(waiting) = self.entries.get(self.next..)
            && !waiting.is_empty()
        {
            self.deliveries.forget_batch(waiting);
        }
    }
}

/// Records [`TopicProducer::send_batch`] queues under one lock of the client at most: the
/// driver may build and send the first batches while the next run is queued.
const BATCH_RUN: usize = 256;

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
///
/// With a custom [`Partitioner`](crate::Partitioner) the producer runs one state machine
/// producer per partition (each pinned to its partition), made when the producer is
/// created and, for partitions added later, on the first `send` to them.
#[derive(Debug)]
pub struct TopicProducer {
    inner: Inner,
    id: ProducerId,
    deliveries: Arc<Deliveries>,
    topic: String,
    routes: Option<Routes>,
    closed: bool,
    sink_pending: Option<(Option<Bytes>, Bytes)>,
    sink_flush: Vec<SlotFuture<FlushId, ()>>,
}

/// A custom partitioner and the producer of each partition it picked so far.
struct Routes {
    partitioner: SharedPartitioner,
    config: ProducerConfig,
    by_partition: Mutex<BTreeMap<u32, ProducerId>>,
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("by_partition", &self.map())
            .finish_non_exhaustive()
    }
}

impl Routes {
    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, ProducerId>> {
        self.by_partition
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a record goes.
enum Route {
    To(ProducerId),
    /// A partition without its producer yet.
    Missing(u32),
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
        config: TopicProducerConfig,
        deliveries: Arc<Deliveries>,
    ) -> Result<Self> {
        let TopicProducerConfig {
            mut base,
            partitioner,
            ..
        } = config;
        if partitioner.is_some() {
            base.partitioner = PartitionerKind::Specific(0);
        }
        let id = Self::register(&inner, &topic, base.clone(), &deliveries)?;
        let mut producer = Self {
            inner: inner.clone(),
            id,
            deliveries,
            topic,
            routes: None,
            closed: false,
            sink_pending: None,
            sink_flush: Vec::new(),
        };
        SlotFuture::new(inner, id, |s| &mut s.created).await?;
        if let Some(partitioner) = partitioner {
            producer.routes = Some(Routes {
                partitioner,
                config: base,
                by_partition: Mutex::new(BTreeMap::from([(0, id)])),
            });
            let count = producer
                .inner
                .lock()
                .client
                .metadata()
                .partition_count(&producer.topic);
            for p in 1..count {
                producer.add_route(p).await?;
            }
        }
        Ok(producer)
    }

    /// Creates a state machine producer sharing `deliveries`.
    fn register(
        inner: &Inner,
        topic: &str,
        config: ProducerConfig,
        deliveries: &Arc<Deliveries>,
    ) -> Result<ProducerId> {
        let id = {
            let mut st = inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let id = st
                .client
                .create_producer(topic.to_owned(), config, now)
                .map_err(|e| st.error(e))?;
            st.created.insert(id);
            st.live_producers.insert(id);
            st.producers.insert(id, Default::default());
            st.deliveries.insert(id, Arc::clone(deliveries));
            id
        };
        inner.wake();
        Ok(id)
    }

    /// Makes the producer of partition `p` (custom partitioner).
    async fn add_route(&self, p: u32) -> Result<ProducerId> {
        let Some(routes) = &self.routes else {
            return Ok(self.id);
        };
        let mut config = routes.config.clone();
        config.partitioner = PartitionerKind::Specific(p);
        let id = Self::register(&self.inner, &self.topic, config, &self.deliveries)?;
        // Registered before the wait, so that a drop meanwhile closes it too.
        let existing = *routes.map().entry(p).or_insert(id);
        if existing != id {
            // Another send made it first: keep one producer per partition (order).
            self.close_ids(&[id]);
            return Ok(existing);
        }
        SlotFuture::new(self.inner.clone(), id, |s| &mut s.created).await?;
        Ok(id)
    }

    /// Every state machine producer of this producer.
    fn ids(&self) -> Vec<ProducerId> {
        match &self.routes {
            Some(r) => r.map().values().copied().collect(),
            None => vec![self.id],
        }
    }

    /// The producer of a record.
    fn route(&self, key: &Option<Bytes>, value: &Bytes) -> Result<Route> {
        let Some(routes) = &self.routes else {
            return Ok(Route::To(self.id));
        };
        let config = {
            let st = self.inner.lock();
            let m = st.client.metadata();
            PartitionerConfig {
                partition_count: m.partition_count(&self.topic),
                available_partitions: m.online_partitions(&self.topic),
            }
        };
        let p = routes.partitioner.partition(&config, key.as_deref(), value);
        if p >= config.partition_count {
            return Err(SendError::PartitionNotFound(p).into());
        }
        Ok(match routes.map().get(&p) {
            Some(id) => Route::To(*id),
            None => Route::Missing(p),
        })
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Tries to queue a record; `track` registers its outcome for a [`ProduceOutput`].
    fn attempt(
        &self,
        id: ProducerId,
        key: &Option<Bytes>,
        value: &Bytes,
        track: bool,
    ) -> Result<Attempt> {
        let mut wake = false;
        let attempt = {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            match st.client.send(id, key.clone(), value.clone(), now) {
                Ok(send) => {
                    let bytes = key.as_ref().map_or(0, Bytes::len) + value.len();
                    self.deliveries.sent(send, track, bytes);
                    wake = st.needs_drive();
                    Attempt::Queued(send)
                }
                Err(SendError::QueueFull { .. }) => {
                    Attempt::Full(st.producers.entry(id).or_default().generation)
                }
                Err(e) => return Err(e.into()),
            }
        };
        if wake {
            self.inner.wake();
        }
        Ok(attempt)
    }

    /// Ready when the producer `id` was notified of room since `generation` (or the client
    /// closed); registers the waker otherwise.
    fn poll_room(&self, id: ProducerId, generation: u64, cx: &Context<'_>) -> Poll<()> {
        let mut st = self.inner.lock();
        if st.closed {
            return Poll::Ready(());
        }
        let n = st.producers.entry(id).or_default();
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
            let id = match self.route(&key, &value)? {
                Route::To(id) => id,
                Route::Missing(p) => self.add_route(p).await?,
            };
            match self.attempt(id, &key, &value, true)? {
                Attempt::Queued(id) => {
                    return Ok(ProduceOutput {
                        deliveries: Arc::clone(&self.deliveries),
                        id,
                        done: false,
                    });
                }
                Attempt::Full(generation) => {
                    std::future::poll_fn(|cx| self.poll_room(id, generation, cx)).await;
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

    /// Queues `records` in order, as [`send`](Self::send) of each would, but many under one
    /// lock of the client with one wake of the driver (and one outcome slot registration
    /// for them all), not one of each per record; waits for room whenever the queue is
    /// full, and returns once every record is queued. The returned
    /// [`ProduceBatchOutput`] waits for all their outcomes at once.
    ///
    /// A record the producer refuses (too large for a request, a partition that does not
    /// exist, ...) fails in its outcome and the others go on; so do the records left when
    /// the producer or its client closes midway. Fails as a whole with [`Error::Closed`]
    /// only when closed before the first record.
    pub async fn send_batch<K, V>(
        &self,
        records: impl IntoIterator<Item = (K, V)>,
    ) -> Result<ProduceBatchOutput>
    where
        K: Into<RecordKey>,
        V: Into<RecordData>,
    {
        let records: Vec<(Option<Bytes>, Bytes)> = records
            .into_iter()
            .map(|(k, v)| (k.into().0, v.into().0))
            .collect();
        if self.closed || self.inner.lock().closed {
            return Err(Error::Closed);
        }
        let mut out = ProduceBatchOutput {
            deliveries: Arc::clone(&self.deliveries),
            entries: Vec::with_capacity(records.len()),
            next: 0,
        };
        let mut at = 0;
        while let Some((key, value)) = records.get(at) {
            let (id, end) = match self.route(key, value) {
                // One producer for every record: a whole run goes to it.
                Ok(Route::To(id)) if self.routes.is_none() => {
                    (id, records.len().min(at + BATCH_RUN))
                }
                Ok(Route::To(id)) => (id, at + 1),
                Ok(Route::Missing(p)) => match self.add_route(p).await {
                    Ok(id) => (id, at + 1),
                    Err(e) => {
                        out.entries.push(BatchEntry::Done(Err(e)));
                        at += 1;
                        continue;
                    }
                },
                Err(e) => {
                    out.entries.push(BatchEntry::Done(Err(e)));
                    at += 1;
                    continue;
                }
            };
            let (queued, full) = self.queue_run(id, &records[at..end], &mut out.entries);
            at += queued;
            if let Some(generation) = full {
                std::future::poll_fn(|cx| self.poll_room(id, generation, cx)).await;
            }
        }
        Ok(out)
    }

    /// Queues records of `run` to the producer `id` in order under one lock, pushing
    /// their entries on `entries`, until the queue is full (then also returns the
    /// generation to wait for room from). Returns how many records it took. A closed
    /// client or producer fails every record of the run.
    fn queue_run(
        &self,
        id: ProducerId,
        run: &[(Option<Bytes>, Bytes)],
        entries: &mut Vec<BatchEntry>,
    ) -> (usize, Option<u64>) {
        let mut sent = Vec::with_capacity(run.len());
        let mut taken = 0;
        let mut full = None;
        let wake = {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                entries.extend(run.iter().map(|_| BatchEntry::Done(Err(Error::Closed))));
                return (run.len(), None);
            }
            let now = st.now();
            for (key, value) in run {
                match st.client.send(id, key.clone(), value.clone(), now) {
                    Ok(send) => {
                        let bytes = key.as_ref().map_or(0, Bytes::len) + value.len();
                        sent.push((send, bytes));
                        entries.push(BatchEntry::Waiting(send));
                    }
                    Err(SendError::QueueFull { .. }) => {
                        full = Some(st.producers.entry(id).or_default().generation);
                        break;
                    }
                    Err(e) => entries.push(BatchEntry::Done(Err(e.into()))),
                }
                taken += 1;
            }
            // Under the client's lock: slots are registered in increasing id order.
            self.deliveries.sent_many(&sent);
            !sent.is_empty() && st.needs_drive()
        };
        if wake {
            self.inner.wake();
        }
        (taken, full)
    }

    /// Sends every queued record now and waits until every record sent before this call is
    /// stored; fails with the first failure among them.
    pub async fn flush(&self) -> Result<()> {
        let mut first = Ok(());
        for f in self.start_flush(false)? {
            let r = f.await;
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    fn start_flush(&self, close: bool) -> Result<Vec<SlotFuture<FlushId, ()>>> {
        let ids = self.ids();
        let mut flushes = Vec::with_capacity(ids.len());
        {
            let mut st = self.inner.lock();
            if st.closed || self.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            for id in ids {
                let flush = if close {
                    st.live_producers.remove(&id);
                    st.client.close_producer(id, now)
                } else {
                    st.client.flush(id, now)
                }
                .map_err(|e| st.error(e))?;
                st.flushes.insert(flush);
                if close {
                    st.closing_flushes.insert(flush);
                }
                flushes.push(flush);
            }
        }
        self.inner.wake();
        Ok(flushes
            .into_iter()
            .map(|flush| SlotFuture::new(self.inner.clone(), flush, |s| &mut s.flushes))
            .collect())
    }

    /// Flushes, then closes the producer.
    pub async fn close(mut self) -> Result<()> {
        let flushes = self.start_flush(true);
        self.closed = true;
        let mut first = Ok(());
        for f in flushes? {
            let r = f.await;
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    fn sink_poll_ready(&mut self, cx: &Context<'_>) -> Poll<Result<()>> {
        while let Some((key, value)) = self.sink_pending.take() {
            let id = match self.route(&key, &value) {
                Ok(Route::To(id)) => id,
                Ok(Route::Missing(p)) => {
                    return Poll::Ready(Err(SendError::PartitionNotFound(p).into()));
                }
                Err(e) => return Poll::Ready(Err(e)),
            };
            match self.attempt(id, &key, &value, false) {
                Ok(Attempt::Queued(_)) => {}
                Ok(Attempt::Full(generation)) => {
                    self.sink_pending = Some((key, value));
                    if self.poll_room(id, generation, cx).is_pending() {
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
        if self.sink_flush.is_empty() {
            self.sink_flush = self.start_flush(false)?;
            self.sink_flush.reverse();
        }
        while let Some(f) = self.sink_flush.last_mut() {
            match Pin::new(f).poll(cx) {
                Poll::Ready(Ok(())) => {
                    self.sink_flush.pop();
                }
                Poll::Ready(Err(e)) => {
                    self.sink_flush.clear();
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Closes state machine producers in the background (flushing them first).
    fn close_ids(&self, ids: &[ProducerId]) {
        {
            let mut st = self.inner.lock();
            for id in ids {
                st.producers.remove(id);
                if !st.closed && st.live_producers.remove(id) {
                    let now = st.now();
                    if let Ok(flush) = st.client.close_producer(*id, now) {
                        st.closing_flushes.insert(flush);
                    }
                }
            }
        }
        self.inner.wake();
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
        match this.sink_poll_ready(&Context::from_waker(std::task::Waker::noop())) {
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
        let ids = self.ids();
        self.close_ids(&ids);
    }
}
