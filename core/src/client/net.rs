//! What every component works through: the connections and links, the metadata, the
//! client-wide settings, and the outbox of events and connection outputs.
//!
//! A component (metadata, producers, consumers, admin) gets `&mut Net` as an argument: it
//! reads the metadata and the configuration, sends its requests with [`Net::submit`] (or
//! [`Net::send_sc`]) tagged with its own [`Tag`], and pushes application events. It never
//! sees the other components: what a request's answer or failure means is decided by the
//! component that owns its tag, once [`Client`](super::Client) routes it there. Outputs of
//! a connection caused while a component runs (a request refused by a closed connection)
//! wait in [`Net::routed`] until the client routes them, after the component returns.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;

use super::config::ClientConfig;
use super::conn::{Conn, ConnOutput, ConnSettings, Outgoing};
use super::error::ClientError;
use super::event::{ConnId, Event, IoCommand, Metrics, Peer};
use super::ids::Tag;
use super::metadata::MetadataStore;
use crate::backoff::Backoff;
use crate::protocol::message::AnyRequest;
use crate::rng::Rng;
use crate::time::Instant;

/// Something for the client to route to the owner of a tag once the component that
/// caused it has returned.
#[derive(Debug)]
pub(crate) enum Routed {
    /// An output of a connection.
    Conn(ConnId, ConnOutput<Tag>),
    /// A request failed before reaching a connection.
    Failed(Tag, ClientError),
}

/// The connections, links, metadata and outbox shared by the components.
#[derive(Debug)]
pub(crate) struct Net {
    pub(super) config: ClientConfig,
    pub(super) settings: ConnSettings,
    pub(super) rng: Rng,
    wall: Option<(Instant, i64)>,
    next_id: u64,
    pub(super) conns: BTreeMap<ConnId, Conn<Tag>>,
    pub(super) sc: ScLink,
    pub(super) spus: BTreeMap<i32, SpuLink>,
    pub(super) metadata: MetadataStore,
    pub(super) io: VecDeque<IoCommand>,
    pub(super) events: VecDeque<Event>,
    pub(super) metrics: Metrics,
    /// When to probe each ready connection that carries streams.
    pub(super) probes: BTreeMap<ConnId, Instant>,
    /// What waits for the client to route it (see the [module documentation](self)).
    pub(super) routed: VecDeque<Routed>,
}

impl Net {
    /// No connection yet.
    pub(super) fn new(config: ClientConfig) -> Self {
        let settings = ConnSettings {
            client_id: config.client_id.clone(),
            metadata_client_id: config.metadata_client_id.clone(),
            client_version: config.client_version.clone(),
            connect_timeout: config.connect_timeout,
            max_frame_size: config.max_frame_size,
        };
        Self {
            rng: Rng::new(config.seed),
            sc: ScLink::new(config.reconnect_backoff.build()),
            settings,
            config,
            wall: None,
            next_id: 1,
            conns: BTreeMap::new(),
            spus: BTreeMap::new(),
            metadata: MetadataStore::default(),
            io: VecDeque::new(),
            events: VecDeque::new(),
            metrics: Metrics::default(),
            probes: BTreeMap::new(),
            routed: VecDeque::new(),
        }
    }

    /// A fresh id for a connection, producer, consumer, send, flush or operation.
    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// Sets the wall clock: `unix_ms` since the Unix epoch at `now`.
    pub(super) fn set_wall(&mut self, unix_ms: i64, now: Instant) {
        self.wall = Some((now, unix_ms));
    }

    /// Milliseconds since the Unix epoch at `now`, if the wall clock was given.
    pub(super) fn wall_ms(&self, now: Instant) -> Option<i64> {
        let (at, ms) = self.wall?;
        let elapsed = i64::try_from(now.saturating_since(at).as_millis()).unwrap_or(i64::MAX);
        Some(ms.saturating_add(elapsed))
    }

    /// Submits a request on a connection; what the connection answers at once (a refusal)
    /// waits in the outbox for routing.
    pub(super) fn submit(
        &mut self,
        conn: ConnId,
        tag: Tag,
        body: AnyRequest,
        stream: bool,
        now: Instant,
    ) {
        let timeout = match (&tag, stream) {
            (Tag::Consumer(_), true) => None,
            (_, true) => Some(self.config.metadata_timeout),
            (_, false) => Some(self.config.request_timeout),
        };
        let metadata_id = matches!(tag, Tag::MetaWatch);
        let Some(c) = self.conns.get_mut(&conn) else {
            let error = ClientError::ConnectionClosed { peer: Peer::Sc };
            self.routed.push_back(Routed::Failed(tag, error));
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
        self.route_later(conn, out);
    }

    /// Queues connection outputs for routing.
    pub(super) fn route_later(&mut self, conn: ConnId, outputs: Vec<ConnOutput<Tag>>) {
        self.routed
            .extend(outputs.into_iter().map(|o| Routed::Conn(conn, o)));
    }

    /// Stops tracking the requests of `conn` whose tag matches (streams no longer wanted).
    pub(super) fn forget(&mut self, conn: ConnId, f: impl Fn(&Tag) -> bool) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.forget(f);
        }
    }

    /// The next bytes to write, with their connection.
    pub(super) fn poll_transmit(&mut self) -> Option<(ConnId, Bytes)> {
        for (id, conn) in self.conns.iter_mut() {
            if let Some(bytes) = conn.poll_transmit() {
                self.metrics.bytes_out += bytes.len() as u64;
                return Some((*id, bytes));
            }
        }
        None
    }
}

/// The link to the SC: one connection, reconnected with backoff.
#[derive(Debug)]
pub(crate) struct ScLink {
    pub(super) conn: Option<ConnId>,
    pub(super) backoff: Backoff,
    pub(super) retry_at: Option<Instant>,
    pub(super) fatal: Option<ClientError>,
    /// Admin requests waiting for a connection: (tag, request, deadline).
    pub(super) backlog: Vec<(Tag, AnyRequest, Instant)>,
}

/// The link to one SPU.
#[derive(Debug)]
pub(crate) struct SpuLink {
    pub(super) conn: Option<ConnId>,
    pub(super) backoff: Backoff,
    pub(super) retry_at: Option<Instant>,
    pub(super) last_error: Option<ClientError>,
}

/// Why no connection to an SPU can be used right now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SpuWait {
    /// Reconnect backoff until then.
    Until(Instant),
    /// The SPU's address is not in the metadata (yet).
    NoAddress,
}

impl ScLink {
    /// A link not connected yet.
    pub(super) fn new(backoff: Backoff) -> Self {
        Self {
            conn: None,
            backoff,
            retry_at: None,
            fatal: None,
            backlog: Vec::new(),
        }
    }
}
