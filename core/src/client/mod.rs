//! The whole Fluvio client as one deterministic, sans-IO state machine.
//!
//! [`Client`] performs no I/O, reads no clock and draws randomness only from a generator
//! seeded by [`ClientConfig::seed`]: the same inputs give the same outputs. A driver
//! (see the `driver` crate) owns the sockets and the clock and moves bytes and time in
//! and out. Every method that changes state takes `now`.
//!
//! # Method groups
//!
//! - **I/O inputs** (`handle_*`): [`handle_connected`](Client::handle_connected),
//!   [`handle_connect_failed`](Client::handle_connect_failed),
//!   [`handle_bytes`](Client::handle_bytes), [`handle_closed`](Client::handle_closed),
//!   [`handle_failed`](Client::handle_failed) (with the driver's typed [`TransportFailure`]),
//!   [`handle_timeout`](Client::handle_timeout), and
//!   [`handle_wall_clock`](Client::handle_wall_clock) (record timestamps).
//! - **Application commands** (plain verbs, each returning an id; results come back as
//!   [`Event`]s or through per-handle polls): producers
//!   ([`create_producer`](Client::create_producer), [`send`](Client::send),
//!   [`flush`](Client::flush), [`close_producer`](Client::close_producer)), consumers
//!   ([`create_consumer`](Client::create_consumer), [`poll_consumer`](Client::poll_consumer),
//!   [`offset_commit`](Client::offset_commit), [`offset_flush`](Client::offset_flush),
//!   [`close_consumer`](Client::close_consumer)), [`fetch`](Client::fetch),
//!   [`admin`](Client::admin), [`watch`](Client::watch) / [`poll_watch`](Client::poll_watch).
//! - **Outputs** (`poll_*`), drained after every input or command, in this order:
//!   [`poll_io`](Client::poll_io) (connect / close sockets),
//!   [`poll_transmit`](Client::poll_transmit) (bytes to write),
//!   [`poll_event`](Client::poll_event) (application events), then
//!   [`poll_timeout`](Client::poll_timeout) (when to call `handle_timeout` next).
//!
//! # Drive loop
//!
//! ```no_run
//! use flv_core::client::{Client, ClientConfig, IoCommand};
//! use flv_core::time::Instant;
//! # fn clock() -> Instant { Instant::ZERO }
//! # enum Input { Connected(flv_core::client::ConnId), Bytes(flv_core::client::ConnId, Vec<u8>),
//! #   Closed(flv_core::client::ConnId), Timeout }
//! # fn wait_for_input(_deadline: Option<Instant>) -> Input { Input::Timeout }
//! # fn write(_c: flv_core::client::ConnId, _b: &[u8]) {}
//! let mut client = Client::new(ClientConfig::new("127.0.0.1:9003"), clock());
//! client.handle_wall_clock(1_700_000_000_000, clock()); // Unix ms, for record timestamps
//! loop {
//!     // 1. drain every output
//!     while let Some(cmd) = client.poll_io() {
//!         match cmd {
//!             IoCommand::Connect { conn, addr, .. } => { /* dial addr, later report */ }
//!             IoCommand::Close { conn } => { /* drop the socket */ }
//!         }
//!     }
//!     while let Some((conn, bytes)) = client.poll_transmit() {
//!         write(conn, &bytes);
//!     }
//!     while let Some(event) = client.poll_event() {
//!         // complete the application's futures
//!     }
//!     // 2. wait for the first input or the deadline, then feed exactly one input
//!     let deadline = client.poll_timeout();
//!     match wait_for_input(deadline) {
//!         Input::Connected(conn) => client.handle_connected(conn, clock()),
//!         Input::Bytes(conn, b) => client.handle_bytes(conn, &b, clock()),
//!         Input::Closed(conn) => client.handle_closed(conn, clock()),
//!         Input::Timeout => client.handle_timeout(clock()),
//!     }
//! }
//! ```
//!
//! # Guarantees
//!
//! - One connection to the SC and one per SPU, shared by all producers and consumers;
//!   the SC connection is re-established with backoff and the metadata re-watched.
//! - No request waits forever: every single-response request has a deadline, and a
//!   broken, corrupt or late connection fails all its waiters with a typed error.
//! - Producers keep per-partition order across retries and follow leader changes.
//! - Consumers never skip records: a batch cut by the SPU at `max_bytes` is fetched
//!   again whole (the official client skips its records), and streams resume at the
//!   next offset after any failure.
//! - Memory is bounded by configuration: producer queues by `batch_queue_size`,
//!   consumer buffers by `buffer_bytes` + `max_bytes` per partition, user watches by
//!   `max_watch_queue`.

mod admin;
mod config;
mod conn;
mod consumer;
mod error;
mod event;
mod ids;
mod links;
mod metadata;
mod producer;
mod spans;
mod transport;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

pub use config::{
    BackoffConfig, ClientConfig, ConsumerConfig, DEFAULT_MAX_FETCH_BYTES, DeliverySemantic, Offset,
    OffsetManagement, ProducerConfig,
};
pub use error::{ClientError, Misuse, ProduceError, SendError, WireError};
pub use event::{
    AdminCommand, BufferStats, ConnId, ConsumerEvent, ConsumerId, ConsumerRecord, Event,
    FetchOutput, FetchSpec, FlushId, IoCommand, Metrics, OpId, OpOutput, Peer, ProducerId,
    RecordMetadata, SendId, WatchEvent,
};
pub use metadata::{
    LaggingReplica, MetadataStore, ReplicaLag, Store, partition_key, split_partition_key,
};
pub use producer::partitioner;
pub use transport::{TransportCause, TransportFailure};

use crate::protocol::message::{AnyRequest, AnyResponse};
use crate::rng::Rng;
use crate::time::Instant;
use conn::{Conn, ConnOutput, ConnSettings, Outgoing};
pub(crate) use ids::{ConsumerReq, Tag};
pub(crate) use links::SpuWait;
use links::{ScLink, SpuLink};

/// The client state machine. See the [module documentation](self).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    settings: ConnSettings,
    rng: Rng,
    wall: Option<(Instant, i64)>,
    next_id: u64,
    conns: BTreeMap<ConnId, Conn<Tag>>,
    sc: ScLink,
    spus: BTreeMap<i32, SpuLink>,
    metadata: MetadataStore,
    producers: BTreeMap<ProducerId, producer::Producer>,
    consumers: BTreeMap<ConsumerId, consumer::Consumer>,
    admin: admin::AdminState,
    io: VecDeque<IoCommand>,
    events: VecDeque<Event>,
    metrics: Metrics,
    /// When to probe each ready connection that carries streams.
    probes: BTreeMap<ConnId, Instant>,
    /// Partitions whose sends wait for the next drain to go out (see
    /// [`Client::send`]), and the time of the last such send.
    deferred: Vec<(ProducerId, u32)>,
    deferred_at: Instant,
}

impl Client {
    /// A client for the cluster of `config.endpoint`; it asks to connect to the SC at once.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let settings = ConnSettings {
            client_id: config.client_id.clone(),
            metadata_client_id: config.metadata_client_id.clone(),
            client_version: config.client_version.clone(),
            connect_timeout: config.connect_timeout,
            max_frame_size: config.max_frame_size,
        };
        let mut client = Self {
            rng: Rng::new(config.seed),
            sc: ScLink::new(config.reconnect_backoff.build()),
            settings,
            config,
            wall: None,
            next_id: 1,
            conns: BTreeMap::new(),
            spus: BTreeMap::new(),
            metadata: MetadataStore::default(),
            producers: BTreeMap::new(),
            consumers: BTreeMap::new(),
            admin: admin::AdminState::default(),
            io: VecDeque::new(),
            events: VecDeque::new(),
            metrics: Metrics::default(),
            probes: BTreeMap::new(),
            deferred: Vec::new(),
            deferred_at: now,
        };
        client.connect_sc(now);
        client
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The cluster metadata as last synchronised.
    pub fn metadata(&self) -> &MetadataStore {
        &self.metadata
    }

    /// The platform version the SC announced on the current SC connection, if any.
    pub fn platform_version(&self) -> Option<&str> {
        let id = self.sc.conn?;
        let version = self.conns.get(&id)?.platform_version();
        (!version.is_empty()).then_some(version)
    }

    /// Activity counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// What the client buffers right now (for monitoring and for checking that memory
    /// stays bounded by the configuration).
    pub fn buffer_stats(&self) -> BufferStats {
        let mut s = BufferStats {
            events: self.events.len(),
            ..BufferStats::default()
        };
        for c in self.conns.values() {
            s.conn_in_bytes = s.conn_in_bytes.max(c.buffered_in());
            s.conn_out_bytes += c.buffered_out();
            s.pending_requests += c.waiting();
        }
        let batches = self.producers.values().map(|p| p.max_unresolved());
        s.producer_batches = batches.max().unwrap_or(0);
        let bytes = self.consumers.values().map(|c| c.max_buffered());
        s.consumer_bytes = bytes.max().unwrap_or(0);
        s
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// Sets the wall clock: `unix_ms` is the time since the Unix epoch at `now`. Record
    /// timestamps are derived from it; without it records carry no timestamp (-1).
    pub fn handle_wall_clock(&mut self, unix_ms: i64, now: Instant) {
        self.wall = Some((now, unix_ms));
    }

    /// The next socket command for the driver.
    #[must_use]
    pub fn poll_io(&mut self) -> Option<IoCommand> {
        self.run_deferred();
        self.io.pop_front()
    }

    /// The next bytes to write, with their connection.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<(ConnId, Bytes)> {
        self.run_deferred();
        for (id, conn) in self.conns.iter_mut() {
            if let Some(bytes) = conn.poll_transmit() {
                self.metrics.bytes_out += bytes.len() as u64;
                return Some((*id, bytes));
            }
        }
        None
    }

    /// Whether [`poll_io`](Self::poll_io), [`poll_transmit`](Self::poll_transmit) or
    /// [`poll_event`](Self::poll_event) have something to give: a driver woken by user
    /// calls can skip a turn when this is false and [`poll_timeout`](Self::poll_timeout)
    /// did not move earlier.
    pub fn has_output(&self) -> bool {
        !self.io.is_empty()
            || !self.deferred.is_empty()
            || !self.events.is_empty()
            || self.conns.values().any(|c| c.has_transmit())
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.run_deferred();
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let conns = self.conns.values().filter_map(Conn::next_deadline);
        let producers = self.producers.values().filter_map(|p| p.poll_timeout());
        let consumers = self.consumers.values().filter_map(|c| c.poll_timeout());
        [self.links_poll_timeout(), self.admin.poll_timeout()]
            .into_iter()
            .flatten()
            .chain(conns)
            .chain(producers)
            .chain(consumers)
            .min()
    }

    /// The driver connected `conn`.
    pub fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        if let Some(c) = self.conns.get_mut(&conn) {
            let out = c.handle_connected(&self.settings);
            self.process(conn, out, now);
        }
    }

    /// Bytes arrived on `conn`.
    pub fn handle_bytes(&mut self, conn: ConnId, data: &[u8], now: Instant) {
        self.metrics.bytes_in += data.len() as u64;
        if let Some(c) = self.conns.get_mut(&conn) {
            let dropped = c.dropped;
            let out = c.handle_bytes(data, &self.settings, now);
            self.metrics.unknown_responses += c.dropped.saturating_sub(dropped);
            self.process(conn, out, now);
        }
    }

    /// Time passed: expire deadlines, fire timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            if let Some(c) = self.conns.get_mut(&id) {
                let out = c.handle_timeout(now, &self.settings);
                self.process(id, out, now);
            }
        }
        self.links_timeout(now);
        self.producers_timeout(now);
        self.consumers_timeout(now);
        self.admin_timeout(now);
        self.probe_streams(now);
    }

    /// Submits a request on a connection; failures are dispatched at once.
    pub(crate) fn submit(
        &mut self,
        conn: ConnId,
        tag: Tag,
        body: AnyRequest,
        stream: bool,
        now: Instant,
    ) {
        let timeout = match (&tag, stream) {
            (Tag::Consumer { .. }, true) => None,
            (_, true) => Some(self.config.metadata_timeout),
            (_, false) => Some(self.config.request_timeout),
        };
        let metadata_id = matches!(tag, Tag::MetaWatch);
        let Some(c) = self.conns.get_mut(&conn) else {
            let error = ClientError::ConnectionClosed { peer: Peer::Sc };
            self.on_failed(tag, error, false, now);
            return;
        };
        self.metrics.requests += 1;
        let out = c.send(
            Outgoing {
                tag,
                body,
                stream,
                metadata_id,
                timeout,
            },
            &self.settings,
            now,
        );
        self.process(conn, out, now);
    }

    /// Stops tracking the requests of `conn` whose tag matches (streams no longer wanted).
    pub(crate) fn forget(&mut self, conn: ConnId, f: impl Fn(&Tag) -> bool) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.forget(f);
        }
    }

    /// Dispatches connection outputs.
    fn process(&mut self, conn: ConnId, outputs: Vec<ConnOutput<Tag>>, now: Instant) {
        for out in outputs {
            match out {
                ConnOutput::Ready => self.on_ready(conn, now),
                ConnOutput::Response { tag, body, done } => {
                    self.metrics.responses += 1;
                    self.on_response(tag, body, done, now);
                }
                ConnOutput::Failed {
                    tag,
                    error,
                    written,
                } => self.on_failed(tag, error, written, now),
                ConnOutput::Closed(error) => self.on_closed(conn, error, now),
            }
        }
    }

    fn on_response(&mut self, tag: Tag, body: AnyResponse, _done: bool, now: Instant) {
        match tag {
            Tag::Probe => {}
            Tag::MetaWatch => {
                if let AnyResponse::Watch(update) = body {
                    self.metadata.apply(update);
                    if self.metadata.is_synced() && !self.sc.announced {
                        self.sc.announced = true;
                        self.events.push_back(Event::MetadataReady);
                    }
                    self.producers_metadata_changed(now);
                    self.pump_all(now);
                }
            }
            Tag::UserWatch(op) => self.on_user_watch(op, body),
            Tag::Admin(op) | Tag::SpuAdmin(op) | Tag::Fetch(op) => self.on_admin_response(op, body),
            Tag::Produce {
                producer,
                partition,
                request,
            } => self.on_produce_response(producer, partition, request, body, now),
            Tag::ReadBack {
                producer,
                partition,
                request,
            } => self.on_read_back_response(producer, partition, request, body, now),
            Tag::Consumer {
                consumer,
                partition,
                generation,
                kind,
            } => self.on_consumer_response(consumer, partition, generation, kind, body, now),
        }
    }

    fn on_failed(&mut self, tag: Tag, error: ClientError, written: bool, now: Instant) {
        match tag {
            Tag::MetaWatch | Tag::Probe => {}
            Tag::UserWatch(op) => self.on_user_watch_failed(op, error),
            Tag::Admin(op) | Tag::SpuAdmin(op) | Tag::Fetch(op) => self.on_admin_failed(op, error),
            Tag::Produce {
                producer,
                partition,
                request,
            } => self.on_produce_failed(producer, partition, request, error, written, now),
            Tag::ReadBack {
                producer,
                partition,
                request,
            } => self.on_read_back_failed(producer, partition, request, &error, now),
            Tag::Consumer {
                consumer,
                partition,
                generation,
                kind,
            } => self.on_consumer_failed(consumer, partition, generation, kind, error, now),
        }
    }

    /// Gives every producer and consumer a chance to make progress.
    fn pump_all(&mut self, now: Instant) {
        self.producers_pump(now);
        self.consumers_pump(now);
        self.admin_pump(now);
    }
}
