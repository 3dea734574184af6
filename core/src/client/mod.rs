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
mod commands;
mod config;
mod conn;
mod consumer;
mod error;
mod event;
mod ids;
mod links;
mod metadata;
mod metasync;
mod net;
mod producer;
mod records;
mod spans;
mod transport;

#[cfg(test)]
mod client_tests;

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

use crate::protocol::message::AnyResponse;
use crate::time::Instant;
use admin::Admin;
use conn::{Conn, ConnOutput};
use consumer::Consumers;
pub(crate) use ids::{ConsumerReq, Tag};
use metasync::MetaSync;
use net::{Net, Routed};
use producer::Producers;

/// The client state machine. See the [module documentation](self).
///
/// It routes: the connections and links live in `net`, and each component (metadata,
/// producers, consumers, admin) owns its state, its timers and the answers to its requests.
#[derive(Debug)]
pub struct Client {
    net: Net,
    meta: MetaSync,
    producers: Producers,
    consumers: Consumers,
    admin: Admin,
}

impl Client {
    /// A client for the cluster of `config.endpoint`; it asks to connect to the SC at once.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let mut client = Self {
            net: Net::new(config),
            meta: MetaSync::default(),
            producers: Producers::new(now),
            consumers: Consumers::default(),
            admin: Admin::default(),
        };
        client.connect_sc(now);
        client.route(now);
        client
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.net.config
    }

    /// The cluster metadata as last synchronised.
    pub fn metadata(&self) -> &MetadataStore {
        &self.net.metadata
    }

    /// The platform version the SC announced on the current SC connection, if any.
    pub fn platform_version(&self) -> Option<&str> {
        let id = self.net.sc.conn?;
        let version = self.net.conns.get(&id)?.platform_version();
        (!version.is_empty()).then_some(version)
    }

    /// Activity counters.
    pub fn metrics(&self) -> &Metrics {
        &self.net.metrics
    }

    /// What the client buffers right now (for monitoring and for checking that memory
    /// stays bounded by the configuration).
    pub fn buffer_stats(&self) -> BufferStats {
        let mut s = BufferStats {
            events: self.net.events.len(),
            ..BufferStats::default()
        };
        for c in self.net.conns.values() {
            s.conn_in_bytes = s.conn_in_bytes.max(c.buffered_in());
            s.conn_out_bytes += c.buffered_out();
            s.pending_requests += c.waiting();
        }
        s.producer_batches = self.producers.max_unresolved();
        s.consumer_bytes = self.consumers.max_buffered();
        s
    }

    /// Sets the wall clock: `unix_ms` is the time since the Unix epoch at `now`. Record
    /// timestamps are derived from it; without it records carry no timestamp (-1).
    pub fn handle_wall_clock(&mut self, unix_ms: i64, now: Instant) {
        self.net.set_wall(unix_ms, now);
    }

    /// The next socket command for the driver.
    #[must_use]
    pub fn poll_io(&mut self) -> Option<IoCommand> {
        self.run_deferred();
        self.net.io.pop_front()
    }

    /// The next bytes to write, with their connection.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<(ConnId, Bytes)> {
        self.run_deferred();
        self.net.poll_transmit()
    }

    /// Whether [`poll_io`](Self::poll_io), [`poll_transmit`](Self::poll_transmit) or
    /// [`poll_event`](Self::poll_event) have something to give: a driver woken by user
    /// calls can skip a turn when this is false and [`poll_timeout`](Self::poll_timeout)
    /// did not move earlier.
    pub fn has_output(&self) -> bool {
        !self.net.io.is_empty()
            || self.producers.has_deferred()
            || !self.net.events.is_empty()
            || self.net.conns.values().any(Conn::has_transmit)
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.run_deferred();
        self.net.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let conns = self.net.conns.values().filter_map(Conn::next_deadline);
        [
            self.net.links_poll_timeout(),
            self.admin.poll_timeout(),
            self.producers.poll_timeout(),
            self.consumers.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .chain(conns)
        .min()
    }

    /// The driver connected `conn`.
    pub fn handle_connected(&mut self, conn: ConnId, now: Instant) {
        if let Some(c) = self.net.conns.get_mut(&conn) {
            let out = c.handle_connected(&self.net.settings);
            self.net.route_later(conn, out);
        }
        self.route(now);
    }

    /// Bytes arrived on `conn`.
    pub fn handle_bytes(&mut self, conn: ConnId, data: &[u8], now: Instant) {
        self.net.metrics.bytes_in += data.len() as u64;
        if let Some(c) = self.net.conns.get_mut(&conn) {
            let dropped = c.dropped;
            let out = c.handle_bytes(data, &self.net.settings, now);
            self.net.metrics.unknown_responses += c.dropped.saturating_sub(dropped);
            self.net.route_later(conn, out);
        }
        self.route(now);
    }

    /// Time passed: expire deadlines, fire timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        let ids: Vec<ConnId> = self.net.conns.keys().copied().collect();
        for id in ids {
            if let Some(c) = self.net.conns.get_mut(&id) {
                let out = c.handle_timeout(now, &self.net.settings);
                self.net.route_later(id, out);
                self.route(now);
            }
        }
        if self.net.links_timeout(now) {
            self.connect_sc(now);
        }
        self.route(now);
        self.producers.handle_timeout(&mut self.net, now);
        self.route(now);
        self.consumers.handle_timeout(&mut self.net, now);
        self.route(now);
        self.admin.handle_timeout(&mut self.net, now);
        self.net.probe_streams(now);
        self.route(now);
    }

    /// Sends what the producers' partitions written to since the last drain may send.
    fn run_deferred(&mut self) {
        if self.producers.has_deferred() {
            let now = self.producers.run_deferred(&mut self.net);
            self.route(now);
        }
    }

    /// Opens the SC connection (when it is not open) and queues on it the metadata
    /// watches, the application's watches and the requests waiting for it, in this order.
    fn connect_sc(&mut self, now: Instant) {
        if let Some(id) = self.net.connect_sc(now) {
            self.meta.sc_ready(&mut self.net, id, now);
            self.admin.sc_ready(&mut self.net, id, now);
            self.net.flush_sc_backlog(id, now);
        }
    }

    /// Routes what waits in the outbox to its owner, until nothing is left.
    fn route(&mut self, now: Instant) {
        while let Some(routed) = self.net.routed.pop_front() {
            match routed {
                Routed::Failed(tag, error) => self.on_failed(tag, error, false, now),
                Routed::Conn(conn, ConnOutput::Ready) => {
                    if let Some(Peer::Spu(_)) = self.net.on_ready(conn, now) {
                        self.pump_all(now);
                    }
                }
                Routed::Conn(_, ConnOutput::Response { tag, body, done }) => {
                    self.net.metrics.responses += 1;
                    self.on_response(tag, body, done, now);
                }
                Routed::Conn(
                    _,
                    ConnOutput::Failed {
                        tag,
                        error,
                        written,
                    },
                ) => self.on_failed(tag, error, written, now),
                Routed::Conn(conn, ConnOutput::Closed(error)) => {
                    match self.net.on_closed(conn, error, now) {
                        Some(Peer::Sc) => {
                            self.meta.sc_closed(&mut self.net);
                            self.producers.metadata_changed(&mut self.net);
                        }
                        Some(Peer::Spu(_)) => self.pump_all(now),
                        None => {}
                    }
                }
            }
        }
    }

    /// Routes an answer to the component that owns its tag.
    fn on_response(&mut self, tag: Tag, body: AnyResponse, _done: bool, now: Instant) {
        let net = &mut self.net;
        match tag {
            Tag::Probe => {}
            Tag::MetaWatch => {
                if self.meta.handle_response(net, body) {
                    self.producers.metadata_changed(net);
                    self.pump_all(now);
                }
            }
            Tag::Admin(req) => self.admin.handle_response(net, req, body),
            Tag::Producer(req) => self.producers.handle_response(net, req, body, now),
            Tag::Consumer(req) => self.consumers.handle_response(net, req, body, now),
        }
    }

    /// Routes a failed request to the component that owns its tag.
    fn on_failed(&mut self, tag: Tag, error: ClientError, written: bool, now: Instant) {
        let net = &mut self.net;
        match tag {
            Tag::Probe => {}
            Tag::MetaWatch => self.meta.handle_failed(&error),
            Tag::Admin(req) => self.admin.handle_failed(net, req, error),
            Tag::Producer(req) => self.producers.handle_failed(net, req, error, written, now),
            Tag::Consumer(req) => self.consumers.handle_failed(net, req, error, now),
        }
    }

    /// Gives every producer and consumer a chance to make progress.
    fn pump_all(&mut self, now: Instant) {
        self.producers.pump(&mut self.net, now);
        self.consumers.pump(&mut self.net, now);
        self.admin.pump(&mut self.net, now);
    }
}
