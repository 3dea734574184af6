//! The application commands: each goes to the component that owns it, then what the
//! component left in the outbox is routed.

use bytes::Bytes;

use super::{
    AdminCommand, Client, ClientError, ConnId, ConsumerConfig, ConsumerEvent, ConsumerId,
    FetchSpec, FlushId, OpId, ProducerConfig, ProducerId, SendError, SendId, TransportFailure,
    WatchEvent,
};
use crate::protocol::sc::objects::ObjectKind;
use crate::time::Instant;

impl Client {
    /// Starts an admin command; [`Event::OpDone`](super::Event::OpDone) carries the result.
    pub fn admin(&mut self, command: AdminCommand, now: Instant) -> OpId {
        let r = self.admin.admin(&mut self.net, command, now);
        self.route(now);
        r
    }

    /// Reads once from a partition (classic Fetch); [`Event::OpDone`](super::Event::OpDone) carries
    /// [`OpOutput::Fetch`](super::OpOutput::Fetch).
    pub fn fetch(&mut self, spec: FetchSpec, now: Instant) -> OpId {
        let r = self.admin.fetch(&mut self.net, spec, now);
        self.route(now);
        r
    }

    /// Watches objects of `kind`; updates come from [`poll_watch`](Self::poll_watch),
    /// announced by [`Event::WatchReady`](super::Event::WatchReady).
    pub fn watch(&mut self, kind: ObjectKind, now: Instant) -> OpId {
        let r = self.admin.watch(&mut self.net, kind, now);
        self.route(now);
        r
    }

    /// Stops a watch.
    pub fn close_watch(&mut self, op: OpId) {
        self.admin.close_watch(&mut self.net, op)
    }

    /// The next update of a watch.
    #[must_use]
    pub fn poll_watch(&mut self, op: OpId) -> Option<WatchEvent> {
        self.admin.poll_watch(op)
    }

    /// Creates a consumer; its records and errors come from
    /// [`poll_consumer`](Self::poll_consumer), announced by [`Event::ConsumerReady`](super::Event::ConsumerReady).
    pub fn create_consumer(
        &mut self,
        config: ConsumerConfig,
        now: Instant,
    ) -> Result<ConsumerId, ClientError> {
        let r = self.consumers.create_consumer(&mut self.net, config, now);
        self.route(now);
        r
    }

    /// Marks every record polled so far as consumed (manual offset management).
    pub fn offset_commit(&mut self, consumer: ConsumerId) -> Result<(), ClientError> {
        self.consumers.offset_commit(consumer)
    }

    /// Marks the record at `offset` of `partition` (and everything before it) as consumed,
    /// for applications that handle a polled batch record by record.
    pub fn offset_commit_record(
        &mut self,
        consumer: ConsumerId,
        partition: u32,
        offset: i64,
    ) -> Result<(), ClientError> {
        self.consumers
            .offset_commit_record(consumer, partition, offset)
    }

    /// Stores the committed offsets; [`Event::OffsetsFlushed`](super::Event::OffsetsFlushed) reports the outcome.
    pub fn offset_flush(
        &mut self,
        consumer: ConsumerId,
        now: Instant,
    ) -> Result<OpId, ClientError> {
        let r = self.consumers.offset_flush(&mut self.net, consumer, now);
        self.route(now);
        r
    }

    /// Closes a consumer. With offset management its offsets are flushed first
    /// (auto: everything polled), reported by [`Event::OffsetsFlushed`](super::Event::OffsetsFlushed) with the
    /// returned id; the consumer is removed then.
    pub fn close_consumer(
        &mut self,
        consumer: ConsumerId,
        now: Instant,
    ) -> Result<Option<OpId>, ClientError> {
        let r = self.consumers.close_consumer(&mut self.net, consumer, now);
        self.route(now);
        r
    }

    /// The next event of a consumer: batches round-robin over partitions, partition
    /// errors and ends, then [`ConsumerEvent::End`] once everything finished.
    #[must_use]
    pub fn poll_consumer(&mut self, consumer: ConsumerId, now: Instant) -> Option<ConsumerEvent> {
        let r = self.consumers.poll_consumer(&mut self.net, consumer, now);
        self.route(now);
        r
    }

    /// Creates a producer for `topic`. It becomes usable after
    /// [`Event::ProducerCreated`](super::Event::ProducerCreated) with `Ok` (once the topic is in the metadata).
    pub fn create_producer(
        &mut self,
        topic: impl Into<String>,
        config: ProducerConfig,
        now: Instant,
    ) -> Result<ProducerId, ClientError> {
        let r = self
            .producers
            .create_producer(&mut self.net, topic, config, now);
        self.route(now);
        r
    }

    /// Queues a record; `Ok` carries its id, resolved later by [`Event::Delivered`](super::Event::Delivered) or
    /// [`Event::SendFailed`](super::Event::SendFailed). What may be sent goes out at the next drain of the outputs
    /// ([`poll_io`](Self::poll_io), [`poll_transmit`](Self::poll_transmit),
    /// [`poll_event`](Self::poll_event)), with every record queued by then.
    pub fn send(
        &mut self,
        producer: ProducerId,
        key: Option<Bytes>,
        value: Bytes,
        now: Instant,
    ) -> Result<SendId, SendError> {
        let r = self
            .producers
            .send(&mut self.net, producer, key, value, now);
        self.route(now);
        r
    }

    /// Sends every queued record now; [`Event::Flushed`](super::Event::Flushed) reports when all records sent
    /// before this call are resolved.
    pub fn flush(&mut self, producer: ProducerId, now: Instant) -> Result<FlushId, ClientError> {
        let r = self.producers.flush(&mut self.net, producer, now);
        self.route(now);
        r
    }

    /// Flushes, then removes the producer (reported by [`Event::Flushed`](super::Event::Flushed)).
    pub fn close_producer(
        &mut self,
        producer: ProducerId,
        now: Instant,
    ) -> Result<FlushId, ClientError> {
        let r = self.producers.close_producer(&mut self.net, producer, now);
        self.route(now);
        r
    }

    /// The driver could not connect `conn`: `failure` says why.
    pub fn handle_connect_failed(&mut self, conn: ConnId, failure: TransportFailure, now: Instant) {
        if let Some(c) = self.net.conns.get_mut(&conn) {
            let peer = c.peer;
            let out = c.close(ClientError::ConnectFailed { peer, failure });
            self.net.route_later(conn, out);
            self.route(now);
        }
    }

    /// The server closed `conn` cleanly (end of stream).
    pub fn handle_closed(&mut self, conn: ConnId, now: Instant) {
        self.handle_failed(conn, TransportFailure::Closed, now);
    }

    /// The open connection `conn` failed: `failure` says why (the driver's typed cause,
    /// given to every request waiting on it).
    pub fn handle_failed(&mut self, conn: ConnId, failure: TransportFailure, now: Instant) {
        if let Some(c) = self.net.conns.get_mut(&conn) {
            let peer = c.peer;
            let error = match failure {
                TransportFailure::Closed => ClientError::ConnectionClosed { peer },
                failure => ClientError::ConnectionLost { peer, failure },
            };
            let out = c.close(error);
            self.net.route_later(conn, out);
            self.route(now);
        }
    }
}
