//! Deterministic simulation: the sans-IO [`Client`] wired to the sans-IO [`MockCluster`]
//! through an in-memory network with a fixed one-way latency, in virtual time, seeded.
//!
//! No sockets, no threads, no clock: [`Sim::step`] moves the earliest thing that can
//! happen (a delivery, a client timer, a cluster timer) and drains both state machines;
//! [`Sim::run_until`] steps until a condition holds or a virtual time budget is spent.
//! Every client event is recorded with its time and folded into [`Sim::digest`], so two
//! runs with the same seed and script can be compared for equality.
//!
//! Network faults belong to the simulated network, not to the cluster: resets after a
//! number of bytes in either direction ([`Sim::reset_after_to_cluster`],
//! [`Sim::reset_after_to_client`]), half-open peers that swallow everything without a FIN
//! ([`Sim::black_hole`]), short writes ([`Sim::chunking`]) and mangled response frames
//! ([`Sim::mangle_response`]: duplicated, unknown correlation id, truncated, oversized
//! length). [`Sim::peak`] keeps the largest [`BufferStats`] seen after any step.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bytes::Bytes;
use flv_core::client::{
    AdminCommand, BufferStats, Client, ClientConfig, ConnId, ConsumerConfig, ConsumerEvent,
    ConsumerId, ConsumerRecord, Event, IoCommand, OpId, OpOutput, ProducerConfig, ProducerId,
    SendError, SendId, TransportCause, TransportFailure,
};
use flv_core::sc::objects::ObjectSpec;
use flv_core::sc::topic::TopicSpec;
use flv_core::time::Instant;
use flv_mock_cluster::{ConnId as MockConn, MockCluster, MockConfig, ServerId};

/// Wall clock (Unix ms) at virtual time zero.
pub const WALL_CLOCK_MS: i64 = 1_796_000_000_000;

#[derive(Debug, Clone)]
enum Delivery {
    /// The client's connect reaches the server.
    Accept {
        conn: ConnId,
        server: Option<ServerId>,
    },
    /// Bytes from the client.
    ToCluster { conn: ConnId, bytes: Bytes },
    /// Bytes from the cluster.
    ToClient { conn: MockConn, bytes: Bytes },
    /// The client closed its side.
    ClientClosed { conn: ConnId },
    /// The cluster closed its side.
    ClusterClosed { conn: MockConn },
}

/// How [`Sim::mangle_response`] spoils a response frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mangle {
    /// The frame arrives twice.
    Duplicate,
    /// A copy with a correlation id nobody asked for arrives first, then the frame.
    UnknownCorrelation,
    /// Only the first half of the body arrives, with a length prefix that matches.
    Truncate,
    /// The length prefix claims 2 GiB.
    OversizedLength,
}

/// What the simulated network's faults did so far (evidence for fault runs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Connections reset mid-request or mid-response.
    pub resets: u64,
    /// Connects lost to a half-open peer.
    pub syns_lost: u64,
    /// Byte chunks lost on half-open connections.
    pub chunks_lost: u64,
    /// Byte chunks split into short reads and writes.
    pub chunks_split: u64,
    /// Response frames mangled.
    pub frames_mangled: u64,
}

/// Faults of the simulated network.
#[derive(Debug, Default)]
struct Net {
    /// Largest piece a byte chunk is delivered in.
    chunk: Option<usize>,
    /// Bytes still delivered towards a server before its connection is reset.
    reset_up: BTreeMap<ServerId, usize>,
    /// Bytes still delivered from a server before its connection is reset.
    reset_down: BTreeMap<ServerId, usize>,
    /// Servers that accept nothing and answer nothing.
    black_holed: BTreeSet<ServerId>,
    /// Half-open connections: everything on them is lost, no FIN ever comes.
    dead: BTreeSet<ConnId>,
    /// Frames from a server to let through, then the mangling of the next one.
    mangles: BTreeMap<ServerId, (usize, Mangle)>,
}

/// A client and a mock cluster in one virtual world.
pub struct Sim {
    /// Current virtual time.
    pub now: Instant,
    /// The client under test.
    pub client: Client,
    /// The cluster it talks to.
    pub cluster: MockCluster,
    /// One-way network latency.
    pub latency: Duration,
    /// Every client event so far, with its time.
    pub events: Vec<(Instant, Event)>,
    /// Every connect the client asked for.
    pub connects: Vec<IoCommand>,
    /// The largest client buffers seen after any step.
    pub peak: BufferStats,
    /// What the network's faults did.
    pub net_stats: NetStats,
    client_to_mock: BTreeMap<ConnId, MockConn>,
    mock_to_client: BTreeMap<MockConn, ConnId>,
    conn_server: BTreeMap<ConnId, ServerId>,
    net: Net,
    queue: BTreeMap<(Instant, u64), Delivery>,
    seq: u64,
    digest: u64,
    steps: u64,
    /// Steps taken without time moving (a busy loop detector).
    still: u64,
}

impl Sim {
    /// A three-SPU cluster and a client, both seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let cluster = MockConfig {
            seed,
            ..MockConfig::default()
        };
        let client = ClientConfig {
            seed,
            ..ClientConfig::new(cluster.sc_addr.clone())
        };
        Self::with(cluster, client)
    }

    /// A simulation with explicit configurations.
    pub fn with(cluster: MockConfig, client: ClientConfig) -> Self {
        let now = Instant::ZERO;
        let mut client = Client::new(client, now);
        client.handle_wall_clock(WALL_CLOCK_MS, now);
        let mut sim = Self {
            now,
            client,
            cluster: MockCluster::new(cluster, now),
            latency: Duration::from_micros(200),
            events: Vec::new(),
            connects: Vec::new(),
            peak: BufferStats::default(),
            net_stats: NetStats::default(),
            client_to_mock: BTreeMap::new(),
            mock_to_client: BTreeMap::new(),
            conn_server: BTreeMap::new(),
            net: Net::default(),
            queue: BTreeMap::new(),
            seq: 0,
            digest: 0xcbf2_9ce4_8422_2325,
            steps: 0,
            still: 0,
        };
        sim.drain();
        sim
    }

    /// Replaces the client by a new one (a process restart): its connections vanish (the
    /// cluster sees them close), bytes in flight are lost. Events stay recorded; the new
    /// client's ids start again from 1.
    pub fn restart_client(&mut self, config: ClientConfig) {
        let now = self.now;
        for (_, mock) in std::mem::take(&mut self.client_to_mock) {
            self.cluster.handle_closed(mock, now);
        }
        self.mock_to_client.clear();
        self.conn_server.clear();
        self.net.dead.clear();
        self.queue.clear();
        self.client = Client::new(config, now);
        let elapsed = i64::try_from(now.since_origin().as_millis()).unwrap_or(i64::MAX);
        self.client
            .handle_wall_clock(WALL_CLOCK_MS.saturating_add(elapsed), now);
        self.drain();
    }

    /// A hash of every event and its time: equal for equal runs.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    fn fold(&mut self, text: &str) {
        for b in text.bytes() {
            self.digest ^= u64::from(b);
            self.digest = self.digest.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn schedule(&mut self, d: Delivery) {
        let chunk = self.net.chunk.filter(|c| *c > 0);
        match (d, chunk) {
            (Delivery::ToCluster { conn, bytes }, Some(n)) if bytes.len() > n => {
                self.net_stats.chunks_split += 1;
                for piece in bytes.chunks(n) {
                    let bytes = bytes.slice_ref(piece);
                    self.push(Delivery::ToCluster { conn, bytes });
                }
            }
            (Delivery::ToClient { conn, bytes }, Some(n)) if bytes.len() > n => {
                self.net_stats.chunks_split += 1;
                for piece in bytes.chunks(n) {
                    let bytes = bytes.slice_ref(piece);
                    self.push(Delivery::ToClient { conn, bytes });
                }
            }
            (d, _) => self.push(d),
        }
    }

    fn push(&mut self, d: Delivery) {
        self.seq += 1;
        self.queue.insert((self.now + self.latency, self.seq), d);
    }

    // ------------------------------------------------------------ network faults

    /// Delivers every byte chunk (both directions) in pieces of at most `n` bytes, each
    /// its own delivery (short reads and writes); `None` stops.
    pub fn chunking(&mut self, n: Option<usize>) {
        self.net.chunk = n;
    }

    /// Resets the connection (both sides see it close) carrying bytes towards `server`
    /// once `after` more bytes reached it: a request cut mid-way.
    pub fn reset_after_to_cluster(&mut self, server: ServerId, after: usize) {
        self.net.reset_up.insert(server, after);
    }

    /// Resets the connection carrying bytes from `server` once `after` more bytes reached
    /// the client: a response cut mid-way.
    pub fn reset_after_to_client(&mut self, server: ServerId, after: usize) {
        self.net.reset_down.insert(server, after);
    }

    /// Makes `server` a half-open peer: its open connections lose everything from now on
    /// without any FIN, and new connects to it are never answered, until
    /// [`heal`](Self::heal). Connections opened before stay dead after healing.
    pub fn black_hole(&mut self, server: ServerId) {
        self.net.black_holed.insert(server);
        for (conn, s) in &self.conn_server {
            if *s == server && self.client_to_mock.contains_key(conn) {
                self.net.dead.insert(*conn);
            }
        }
    }

    /// New connections to `server` work again.
    pub fn heal(&mut self, server: ServerId) {
        self.net.black_holed.remove(&server);
    }

    /// Lets `skip` response frames from `server` through, then spoils the next one.
    pub fn mangle_response(&mut self, server: ServerId, skip: usize, how: Mangle) {
        self.net.mangles.insert(server, (skip, how));
    }

    fn server_of(&self, conn: ConnId) -> Option<ServerId> {
        self.conn_server.get(&conn).copied()
    }

    /// Both sides of `conn` see it close (a TCP reset).
    fn reset(&mut self, conn: ConnId) {
        self.net_stats.resets += 1;
        let now = self.now;
        if let Some(mock) = self.client_to_mock.remove(&conn) {
            self.mock_to_client.remove(&mock);
            self.cluster.handle_closed(mock, now);
            self.client.handle_closed(conn, now);
        }
    }

    /// Takes `len` bytes from a reset budget; `Some(k)`: deliver `k` bytes, then reset.
    fn take_budget(
        budgets: &mut BTreeMap<ServerId, usize>,
        server: ServerId,
        len: usize,
    ) -> Option<usize> {
        let left = budgets.get_mut(&server)?;
        if len < *left {
            *left -= len;
            return None;
        }
        let k = *left;
        budgets.remove(&server);
        Some(k)
    }

    /// The frames to deliver instead of `frame` from `server`.
    fn mangle(&mut self, server: ServerId, frame: Bytes) -> Vec<Bytes> {
        let Some((skip, how)) = self.net.mangles.get_mut(&server) else {
            return vec![frame];
        };
        if *skip > 0 {
            *skip -= 1;
            return vec![frame];
        }
        let how = *how;
        self.net.mangles.remove(&server);
        if frame.len() < 8 {
            return vec![frame];
        }
        self.net_stats.frames_mangled += 1;
        match how {
            Mangle::Duplicate => vec![frame.clone(), frame],
            Mangle::UnknownCorrelation => {
                let mut copy = frame.to_vec();
                copy[4..8].copy_from_slice(&0x7ead_beef_i32.to_be_bytes());
                vec![Bytes::from(copy), frame]
            }
            Mangle::Truncate => {
                // Keep the correlation id and half of the rest.
                let keep = 4 + (frame.len() - 8) / 2;
                let mut copy = frame[..4 + keep].to_vec();
                let len = i32::try_from(copy.len() - 4).unwrap_or(0);
                copy[..4].copy_from_slice(&len.to_be_bytes());
                vec![Bytes::from(copy)]
            }
            Mangle::OversizedLength => {
                let mut copy = frame.to_vec();
                copy[..4].copy_from_slice(&i32::MAX.to_be_bytes());
                vec![Bytes::from(copy)]
            }
        }
    }

    /// Moves everything the two state machines want to output.
    pub fn drain(&mut self) {
        loop {
            let mut moved = false;
            while let Some(cmd) = self.client.poll_io() {
                moved = true;
                self.connects.push(cmd.clone());
                match cmd {
                    IoCommand::Connect { conn, addr, .. } => {
                        let server = self.cluster.server_for_addr(&addr);
                        self.schedule(Delivery::Accept { conn, server });
                    }
                    IoCommand::Close { conn } => self.schedule(Delivery::ClientClosed { conn }),
                }
            }
            while let Some((conn, bytes)) = self.client.poll_transmit() {
                moved = true;
                self.schedule(Delivery::ToCluster { conn, bytes });
            }
            while let Some(event) = self.client.poll_event() {
                moved = true;
                let line = format!("{:?} {event:?}", self.now);
                self.fold(&line);
                self.events.push((self.now, event));
            }
            while let Some((conn, bytes)) = self.cluster.poll_transmit() {
                moved = true;
                self.schedule(Delivery::ToClient { conn, bytes });
            }
            while let Some(conn) = self.cluster.poll_close() {
                moved = true;
                self.schedule(Delivery::ClusterClosed { conn });
            }
            if !moved {
                break;
            }
        }
    }

    /// The time of the next thing that can happen.
    pub fn next_time(&self) -> Option<Instant> {
        [
            self.queue.keys().next().map(|k| k.0),
            self.client.poll_timeout(),
            self.cluster.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Does the next thing; false when nothing is left to happen.
    pub fn step(&mut self) -> bool {
        // Outputs caused by calls made between steps (faults, commands).
        self.drain();
        let Some(t) = self.next_time() else {
            return false;
        };
        self.steps += 1;
        if t <= self.now {
            self.still += 1;
            // A deadline that handle_timeout does not consume would spin a driver.
            assert!(self.still < 100_000, "busy loop at {:?}", self.now);
        } else {
            self.still = 0;
        }
        self.now = self.now.max(t);
        let now = self.now;
        if let Some((&key, _)) = self.queue.iter().next().filter(|(k, _)| k.0 <= now)
            && let Some(d) = self.queue.remove(&key)
        {
            self.deliver(d);
        }
        if self.client.poll_timeout().is_some_and(|x| x <= now) {
            self.client.handle_timeout(now);
        }
        if self.cluster.poll_timeout().is_some_and(|x| x <= now) {
            self.cluster.handle_timeout(now);
        }
        self.drain();
        self.track_peak();
        true
    }

    fn track_peak(&mut self) {
        let s = self.client.buffer_stats();
        let p = &mut self.peak;
        p.producer_batches = p.producer_batches.max(s.producer_batches);
        p.consumer_bytes = p.consumer_bytes.max(s.consumer_bytes);
        p.conn_in_bytes = p.conn_in_bytes.max(s.conn_in_bytes);
        p.conn_out_bytes = p.conn_out_bytes.max(s.conn_out_bytes);
        p.pending_requests = p.pending_requests.max(s.pending_requests);
        p.events = p.events.max(s.events);
    }

    fn deliver(&mut self, d: Delivery) {
        let now = self.now;
        match d {
            Delivery::Accept { conn, server } => {
                if server.is_some_and(|s| self.net.black_holed.contains(&s)) {
                    // The SYN is lost: the client's connect timeout must notice.
                    self.net_stats.syns_lost += 1;
                    return;
                }
                match server.and_then(|s| self.cluster.handle_accept(s, now).map(|m| (s, m))) {
                    Some((s, mock)) => {
                        self.client_to_mock.insert(conn, mock);
                        self.mock_to_client.insert(mock, conn);
                        self.conn_server.insert(conn, s);
                        self.client.handle_connected(conn, now);
                    }
                    None => {
                        let refused = TransportCause::message("connection refused");
                        let failure = TransportFailure::Connect(refused);
                        self.client.handle_connect_failed(conn, failure, now)
                    }
                }
            }
            Delivery::ToCluster { conn, bytes } => {
                if self.net.dead.contains(&conn) {
                    self.net_stats.chunks_lost += 1;
                    return;
                }
                let Some(mock) = self.client_to_mock.get(&conn).copied() else {
                    return;
                };
                let cut = self
                    .server_of(conn)
                    .and_then(|s| Self::take_budget(&mut self.net.reset_up, s, bytes.len()));
                match cut {
                    None => self.cluster.handle_bytes(mock, &bytes, now),
                    Some(k) => {
                        self.cluster.handle_bytes(mock, &bytes[..k], now);
                        self.reset(conn);
                    }
                }
            }
            Delivery::ToClient { conn, bytes } => {
                let Some(c) = self.mock_to_client.get(&conn).copied() else {
                    return;
                };
                if self.net.dead.contains(&c) {
                    self.net_stats.chunks_lost += 1;
                    return;
                }
                let Some(server) = self.server_of(c) else {
                    return;
                };
                let frames = self.mangle(server, bytes);
                for bytes in frames {
                    if !self.client_to_mock.contains_key(&c) {
                        return;
                    }
                    match Self::take_budget(&mut self.net.reset_down, server, bytes.len()) {
                        None => self.client.handle_bytes(c, &bytes, now),
                        Some(k) => {
                            self.client.handle_bytes(c, &bytes[..k], now);
                            self.reset(c);
                        }
                    }
                }
            }
            Delivery::ClientClosed { conn } => {
                self.net.dead.remove(&conn);
                if let Some(mock) = self.client_to_mock.remove(&conn) {
                    self.mock_to_client.remove(&mock);
                    self.cluster.handle_closed(mock, now);
                }
            }
            Delivery::ClusterClosed { conn } => {
                if let Some(c) = self.mock_to_client.remove(&conn) {
                    self.client_to_mock.remove(&c);
                    if !self.net.dead.contains(&c) {
                        self.client.handle_closed(c, now);
                    }
                }
            }
        }
    }

    /// Steps until `cond` holds (true) or `budget` of virtual time passed or nothing is
    /// left to happen (false).
    pub fn run_until(&mut self, budget: Duration, mut cond: impl FnMut(&mut Self) -> bool) -> bool {
        let end = self.now + budget;
        loop {
            self.drain();
            if cond(self) {
                return true;
            }
            match self.next_time() {
                Some(t) if t <= end => {
                    self.step();
                }
                _ => {
                    self.now = self.now.max(end);
                    return cond(self);
                }
            }
        }
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    /// Runs (up to 10 s) until `pred` matches a new event (recorded at index ≥ `from`);
    /// returns a copy of it.
    pub fn wait_event(&mut self, from: usize, pred: impl Fn(&Event) -> bool) -> Option<Event> {
        let mut found = None;
        self.run_until(Duration::from_secs(10), |s| {
            found = s.events[from.min(s.events.len())..]
                .iter()
                .map(|(_, e)| e)
                .find(|e| pred(e))
                .cloned();
            found.is_some()
        });
        found
    }

    /// Waits until the metadata is synchronised.
    pub fn ready(&mut self) {
        assert!(
            self.run_until(Duration::from_secs(10), |s| s.client.metadata().is_synced()),
            "no metadata"
        );
    }

    /// Runs an admin command to completion.
    pub fn admin(&mut self, cmd: AdminCommand) -> Result<OpOutput, flv_core::client::ClientError> {
        let from = self.events.len();
        let op = self.client.admin(cmd, self.now);
        self.drain();
        match self.wait_event(
            from,
            |e| matches!(e, Event::OpDone { op: o, .. } if *o == op),
        ) {
            Some(Event::OpDone { result, .. }) => result,
            other => panic!("no result for {op}: {other:?}"),
        }
    }

    /// Creates a topic and waits until the client sees a leader for every partition.
    pub fn create_topic(&mut self, name: &str, partitions: u32, replication: u32) {
        self.ready();
        let r = self.admin(AdminCommand::Create {
            name: name.into(),
            dry_run: false,
            timeout_ms: None,
            spec: ObjectSpec::Topic(TopicSpec::computed(partitions, replication)),
        });
        assert!(r.is_ok(), "create {name}: {r:?}");
        let ok = self.run_until(Duration::from_secs(10), |s| {
            (0..partitions).all(|p| s.client.metadata().leader(name, p).is_some())
        });
        assert!(ok, "topic {name} has no leaders");
    }

    /// Creates a producer and waits until it is ready.
    pub fn producer(&mut self, topic: &str, config: ProducerConfig) -> ProducerId {
        let from = self.events.len();
        let id = self
            .client
            .create_producer(topic, config, self.now)
            .expect("producer config");
        self.drain();
        let e = self.wait_event(
            from,
            |e| matches!(e, Event::ProducerCreated { producer, .. } if *producer == id),
        );
        match e {
            Some(Event::ProducerCreated { result: Ok(()), .. }) => id,
            other => panic!("producer not created: {other:?}"),
        }
    }

    /// Sends a record, stepping the world while the producer's queue is full.
    pub fn send(&mut self, producer: ProducerId, key: Option<&[u8]>, value: &[u8]) -> SendId {
        let key = key.map(Bytes::copy_from_slice);
        let value = Bytes::copy_from_slice(value);
        loop {
            match self
                .client
                .send(producer, key.clone(), value.clone(), self.now)
            {
                Ok(id) => {
                    self.drain();
                    return id;
                }
                Err(SendError::QueueFull { .. }) => {
                    let from = self.events.len();
                    self.drain();
                    let got = self.wait_event(
                        from,
                        |e| matches!(e, Event::ProducerReady { producer: p } if *p == producer),
                    );
                    assert!(got.is_some(), "producer never became ready again");
                }
                Err(e) => panic!("send: {e}"),
            }
        }
    }

    /// Flushes and waits for the result.
    pub fn flush(&mut self, producer: ProducerId) -> Result<(), flv_core::client::ProduceError> {
        let from = self.events.len();
        let f = self.client.flush(producer, self.now).expect("flush");
        self.drain();
        match self.wait_event_for(
            from,
            Duration::from_secs(600),
            |e| matches!(e, Event::Flushed { flush, .. } if *flush == f),
        ) {
            Some(Event::Flushed { result, .. }) => result,
            other => panic!("flush never finished: {other:?}"),
        }
    }

    /// Like [`wait_event`](Self::wait_event) with a budget.
    pub fn wait_event_for(
        &mut self,
        from: usize,
        budget: Duration,
        pred: impl Fn(&Event) -> bool,
    ) -> Option<Event> {
        let mut found = None;
        self.run_until(budget, |s| {
            found = s.events[from.min(s.events.len())..]
                .iter()
                .map(|(_, e)| e)
                .find(|e| pred(e))
                .cloned();
            found.is_some()
        });
        found
    }

    /// Every delivered record's (send id, partition, offset), from the events so far.
    pub fn delivered(&self, producer: ProducerId) -> BTreeMap<SendId, (u32, i64)> {
        let mut out = BTreeMap::new();
        for (_, e) in &self.events {
            if let Event::Delivered {
                producer: p,
                partition,
                base_offset,
                sends,
                ..
            } = e
                && *p == producer
            {
                for (i, s) in sends.iter().enumerate() {
                    out.insert(*s, (*partition, base_offset + i as i64));
                }
            }
        }
        out
    }

    /// Every failed send of a producer.
    pub fn failed(&self, producer: ProducerId) -> Vec<SendId> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::SendFailed {
                    producer: p, sends, ..
                } if *p == producer => Some(sends.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Creates a consumer.
    pub fn consumer(&mut self, config: ConsumerConfig) -> ConsumerId {
        let id = self
            .client
            .create_consumer(config, self.now)
            .expect("consumer config");
        self.drain();
        id
    }

    /// Polls a consumer until `n` records arrived, the consumer ended, or `budget` passed;
    /// returns the records and the other events.
    pub fn consume(
        &mut self,
        consumer: ConsumerId,
        n: usize,
        budget: Duration,
    ) -> (Vec<ConsumerRecord>, Vec<ConsumerEvent>) {
        let mut records = Vec::new();
        let mut others = Vec::new();
        self.run_until(budget, |s| {
            while let Some(e) = s.client.poll_consumer(consumer, s.now) {
                match e {
                    ConsumerEvent::Records { records: r, .. } => records.extend(r),
                    other => others.push(other),
                }
            }
            s.drain();
            records.len() >= n || others.iter().any(|e| matches!(e, ConsumerEvent::End))
        });
        (records, others)
    }

    /// The result of an operation, if it finished.
    pub fn op_result(&self, op: OpId) -> Option<&Result<OpOutput, flv_core::client::ClientError>> {
        self.events.iter().find_map(|(_, e)| match e {
            Event::OpDone { op: o, result } if *o == op => Some(result),
            _ => None,
        })
    }
}
