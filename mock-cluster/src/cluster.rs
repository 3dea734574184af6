//! The sans-IO cluster state machine: connections in, frames out, virtual time.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flv_core::codec::Version;
use flv_core::error_code::ErrorCode;
use flv_core::frame::FrameDecoder;
use flv_core::header::ResponseHeader;
use flv_core::message::{AnyResponse, RequestFrame, ResponseFrame, ServerKind};
use flv_core::rng::Rng;
use flv_core::sc::ObjectWatchResponse;
use flv_core::spu::ReplicaKey;
use flv_core::time::Instant;

use crate::config::{CONSUMER_OFFSET_TOPIC, ConnId, MockConfig, ServerId};
use crate::faults::{Faults, error_response};
use crate::model::{PartitionState, SpuNode, TopicState};
use crate::pending::{PendingProduce, Session};
use crate::stats::ClusterStats;
use crate::store::{Stores, custom_of};

/// Most log lines kept (older ones are dropped).
const LOG_CAPACITY: usize = 4096;

/// A watch stream opened on an SC connection.
#[derive(Debug, Clone)]
pub(crate) struct WatchSub {
    pub(crate) correlation_id: i32,
    pub(crate) version: Version,
    pub(crate) kind: flv_core::sc::ObjectKind,
}

/// One accepted connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) server: ServerId,
    decoder: FrameDecoder,
    /// SC: open watch streams.
    pub(crate) watches: Vec<WatchSub>,
    /// SPU: open stream fetch sessions by stream id.
    pub(crate) sessions: BTreeMap<u32, Session>,
    /// SPU: the next stream id.
    pub(crate) next_stream_id: u32,
}

/// A consumer offset as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredOffset {
    pub(crate) offset: i64,
    pub(crate) modified_secs: u64,
}

/// An in-process Fluvio cluster (one SC and N SPUs) as a sans-IO state machine.
///
/// **A test double**, not a Fluvio implementation: it speaks the Fluvio 0.50 wire
/// protocol faithfully enough for the official client (frames shaped like those of a real
/// 0.50.2 cluster, checked against captured traces), keeps everything in memory, and
/// lets tests inject faults. Feed it accepted connections, received bytes and the time;
/// take the frames to send with [`poll_transmit`](Self::poll_transmit), the connections
/// to drop with [`poll_close`](Self::poll_close), and call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
/// It performs no I/O and reads no clock, so a simulation can drive it deterministically;
/// [`MockClusterServer`](crate::MockClusterServer) drives it over loopback TCP.
#[derive(Debug)]
pub struct MockCluster {
    pub(crate) cfg: MockConfig,
    pub(crate) now: Instant,
    pub(crate) rng: Rng,
    pub(crate) conns: BTreeMap<ConnId, Conn>,
    next_conn: u64,
    pub(crate) sc_running: bool,
    pub(crate) spus: BTreeMap<i32, SpuNode>,
    pub(crate) spu_addrs: BTreeMap<String, i32>,
    pub(crate) topics: BTreeMap<String, TopicState>,
    pub(crate) partitions: BTreeMap<ReplicaKey, PartitionState>,
    pub(crate) consumer_offsets: BTreeMap<(String, ReplicaKey), StoredOffset>,
    pub(crate) stores: Stores,
    pub(crate) faults: Faults,
    pub(crate) pending: Vec<PendingProduce>,
    pub(crate) stats: ClusterStats,
    ready: VecDeque<(ConnId, Bytes)>,
    delayed: BTreeMap<(Instant, u64), (ConnId, Bytes)>,
    delay_seq: u64,
    last_due: BTreeMap<ConnId, Instant>,
    closes: VecDeque<ConnId>,
    log: VecDeque<String>,
    /// Partition status changes that only moved offsets wait until then (see
    /// [`STATUS_INTERVAL`]).
    status_sync_after: Instant,
    /// Such a change is waiting.
    status_dirty: bool,
}

/// Least time between two partition watch updates that only move offsets (end offset,
/// high watermark, size) after produce requests: a real SC also publishes the status its
/// SPUs report in batches, not one update per produce request. Anything else (leaders,
/// resolution, replicas, new or deleted partitions) and any SC request publish at once.
pub(crate) const STATUS_INTERVAL: Duration = Duration::from_millis(20);

impl MockCluster {
    /// A cluster with `cfg.spus` SPUs, all up, and the system topic `consumer-offset`.
    pub fn new(cfg: MockConfig, now: Instant) -> Self {
        let mut spus = BTreeMap::new();
        let mut spu_addrs = BTreeMap::new();
        for (i, id) in cfg.spu_ids().into_iter().enumerate() {
            let addr = cfg.spu_addr(i);
            spu_addrs.insert(addr.clone(), id);
            let mut node = SpuNode::served(id, &addr);
            node.lag = cfg.replication_lag;
            spus.insert(id, node);
        }
        let mut cluster = Self {
            rng: Rng::new(cfg.seed),
            cfg,
            now,
            conns: BTreeMap::new(),
            next_conn: 1,
            sc_running: true,
            spus,
            spu_addrs,
            topics: BTreeMap::new(),
            partitions: BTreeMap::new(),
            consumer_offsets: BTreeMap::new(),
            stores: Stores::default(),
            faults: Faults::default(),
            pending: Vec::new(),
            stats: ClusterStats::default(),
            ready: VecDeque::new(),
            delayed: BTreeMap::new(),
            delay_seq: 0,
            last_due: BTreeMap::new(),
            closes: VecDeque::new(),
            log: VecDeque::new(),
            status_sync_after: now,
            status_dirty: false,
        };
        if cluster.cfg.system_topic {
            cluster.create_system_topic();
        }
        cluster.settle();
        cluster
    }

    /// The server listening at `addr` (as configured), if any.
    pub fn server_for_addr(&self, addr: &str) -> Option<ServerId> {
        if addr == self.cfg.sc_addr {
            return Some(ServerId::Sc);
        }
        self.spu_addrs.get(addr).map(|id| ServerId::Spu(*id))
    }

    /// A client connected to `server`; `None` when the server is stopped (refused).
    pub fn handle_accept(&mut self, server: ServerId, now: Instant) -> Option<ConnId> {
        self.advance(now);
        let up = match server {
            ServerId::Sc => self.sc_running,
            ServerId::Spu(id) => self.spus.get(&id).is_some_and(|s| s.served && s.running),
        };
        if !up {
            self.note(format!("{server}: connection refused (stopped)"));
            return None;
        }
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        self.conns.insert(
            id,
            Conn {
                server,
                decoder: FrameDecoder::new(self.cfg.max_frame_size),
                watches: Vec::new(),
                sessions: BTreeMap::new(),
                next_stream_id: 1,
            },
        );
        Some(id)
    }

    /// Bytes received on `conn`. Whole requests are answered; a malformed frame closes
    /// the connection (see [`poll_close`](Self::poll_close)).
    pub fn handle_bytes(&mut self, conn: ConnId, bytes: &[u8], now: Instant) {
        self.advance(now);
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let throttle = matches!(c.server, ServerId::Spu(_));
        c.decoder.handle_bytes(bytes);
        while let Some(c) = self.conns.get_mut(&conn) {
            let server = c.server;
            let frame = match c.decoder.poll_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    self.note(format!("{conn} ({server}): bad framing: {e}; closing"));
                    self.close(conn);
                    break;
                }
            };
            let kind = match server {
                ServerId::Sc => ServerKind::Sc,
                ServerId::Spu(_) => ServerKind::Spu,
            };
            match RequestFrame::decode(kind, frame) {
                Ok(request) => self.handle_request(conn, server, request),
                Err(e) => {
                    self.note(format!(
                        "{conn} ({server}): undecodable request: {e}; closing"
                    ));
                    self.close(conn);
                    break;
                }
            }
        }
        self.settle_with(throttle);
    }

    /// The client closed `conn` (or it broke).
    pub fn handle_closed(&mut self, conn: ConnId, now: Instant) {
        self.advance(now);
        self.forget(conn);
    }

    /// Time passed: sends delayed frames, lets followers fetch, and times out produce
    /// requests waiting for replication.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        let fetch_due = self.next_fetch().is_some_and(|t| t <= self.now);
        if fetch_due || (self.status_dirty && self.status_sync_after <= self.now) {
            self.settle_with(fetch_due && !self.status_dirty);
        }
        self.expire_pending();
        self.release_delayed();
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<(ConnId, Bytes)> {
        self.release_delayed();
        self.ready.pop_front()
    }

    /// The next connection the cluster drops (faults, stopped servers, bad input).
    pub fn poll_close(&mut self) -> Option<ConnId> {
        self.closes.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let delayed = self.delayed.keys().next().map(|(due, _)| *due);
        let pending = self.pending.iter().map(|p| p.deadline).min();
        let status = self.status_dirty.then_some(self.status_sync_after);
        [delayed, pending, status, self.next_fetch()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The cluster's seeded random generator (for fault schedules in simulations).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Log lines (malformed input, faults, elections) since the last call.
    pub fn drain_log(&mut self) -> Vec<String> {
        self.log.drain(..).collect()
    }

    // ---- fault injection -------------------------------------------------------------

    /// Stops an SPU: its connections are dropped, new ones refused, and the SC elects a
    /// follower for each partition it led as the real SC does (see
    /// `replication.rs`), published on the watch streams.
    pub fn stop_spu(&mut self, id: i32, now: Instant) {
        self.advance(now);
        let Some(node) = self.spus.get_mut(&id) else {
            return;
        };
        if node.running {
            self.stats.spu_stops += 1;
        }
        node.running = false;
        self.note(format!("spu-{id}: stopped"));
        self.drop_server(ServerId::Spu(id));
        self.settle();
    }

    /// Restarts a stopped SPU with its data; it rejoins as a follower and fetches from
    /// its own log end on, never truncating (partitions left without a leader get it
    /// back as leader).
    pub fn restart_spu(&mut self, id: i32, now: Instant) {
        self.advance(now);
        if let Some(node) = self.spus.get_mut(&id) {
            if !node.running {
                self.stats.spu_restarts += 1;
            }
            node.running = true;
            self.note(format!("spu-{id}: restarted"));
        }
        let divergent = self
            .partitions
            .values()
            .filter(|p| p.leader != id && p.copies.contains_key(&id))
            .filter(|p| p.diverges(id))
            .count();
        self.stats.divergent_returns += u64::try_from(divergent).unwrap_or(0);
        self.settle();
    }

    /// Stops the SC: its connections (and watch streams) are dropped and new ones
    /// refused; SPUs keep serving, but no leader is elected until it starts again.
    pub fn stop_sc(&mut self, now: Instant) {
        self.advance(now);
        if self.sc_running {
            self.stats.sc_stops += 1;
        }
        self.sc_running = false;
        self.note("sc: stopped".into());
        self.drop_server(ServerId::Sc);
    }

    /// Starts the SC again (and runs any election that was waiting for it).
    pub fn start_sc(&mut self, now: Instant) {
        self.advance(now);
        self.sc_running = true;
        self.note("sc: started".into());
        self.settle();
    }

    /// Drops every connection of `server`; it keeps accepting new ones.
    pub fn drop_connections(&mut self, server: ServerId, now: Instant) {
        self.advance(now);
        self.note(format!("{server}: dropping connections"));
        self.drop_server(server);
    }

    /// Delays every frame `server` sends from now on by `delay` (zero: no delay).
    pub fn delay_responses(&mut self, server: ServerId, delay: Duration) {
        self.faults.set_delay(server, delay);
    }

    /// Answers the next `count` requests of `api_key` on `server` with `error` (in the
    /// response's error fields; List and Watch have none: their connection is closed).
    pub fn inject_error(&mut self, server: ServerId, api_key: u16, error: ErrorCode, count: usize) {
        self.faults.inject(server, api_key, error, count);
    }

    /// Stalls (or resumes) replication to `spu` as a follower: its log end stops moving,
    /// which holds back the high watermark, so read-committed produce requests time out.
    pub fn stall_replication(&mut self, spu: i32, stalled: bool) {
        if let Some(node) = self.spus.get_mut(&spu) {
            node.stalled = stalled;
        }
        self.settle();
    }

    // ---- inspection ------------------------------------------------------------------

    /// The leader of a partition, when the partition exists and its leader is up.
    pub fn partition_leader(&self, topic: &str, partition: u32) -> Option<i32> {
        let p = self.partitions.get(&ReplicaKey::new(topic, partition))?;
        self.spu_running(p.leader).then_some(p.leader)
    }

    /// The high watermark of a partition.
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Option<i64> {
        let p = self.partitions.get(&ReplicaKey::new(topic, partition))?;
        Some(p.hw())
    }

    /// The log end offset of a partition.
    pub fn log_end_offset(&self, topic: &str, partition: u32) -> Option<i64> {
        Some(
            self.partitions
                .get(&ReplicaKey::new(topic, partition))?
                .log()
                .end(),
        )
    }

    /// The stored batches of a partition as (base offset, next offset, bytes on the
    /// wire), in log order.
    pub fn batch_layout(&self, topic: &str, partition: u32) -> Option<Vec<(i64, i64, usize)>> {
        Some(
            self.partitions
                .get(&ReplicaKey::new(topic, partition))?
                .log()
                .layout(),
        )
    }

    /// The record set a read-uncommitted StreamFetch response starting at `offset` with
    /// `max_bytes` carries (cut at `max_bytes` like every response).
    pub fn stream_read(
        &self,
        topic: &str,
        partition: u32,
        offset: i64,
        max_bytes: i32,
    ) -> Option<flv_core::record::RecordSet> {
        let p = self.partitions.get(&ReplicaKey::new(topic, partition))?;
        Some(p.log().read(offset, p.log().end(), max_bytes))
    }

    /// The replicas of a partition, in assignment order.
    pub fn partition_replicas(&self, topic: &str, partition: u32) -> Option<Vec<i32>> {
        Some(
            self.partitions
                .get(&ReplicaKey::new(topic, partition))?
                .replicas
                .clone(),
        )
    }

    /// The names of the topics (system topics included).
    pub fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    /// The ids of the SPUs served by the cluster.
    pub fn spu_ids(&self) -> Vec<i32> {
        self.spus
            .values()
            .filter(|s| s.served)
            .map(|s| s.spec.id)
            .collect()
    }

    /// The stored offset of `consumer` on a partition.
    pub fn consumer_offset(&self, consumer: &str, topic: &str, partition: u32) -> Option<i64> {
        self.consumer_offsets
            .get(&(consumer.to_string(), ReplicaKey::new(topic, partition)))
            .map(|s| s.offset)
    }

    /// Number of open connections to `server`.
    pub fn connection_count(&self, server: ServerId) -> usize {
        self.conns.values().filter(|c| c.server == server).count()
    }

    // ---- internals -------------------------------------------------------------------

    pub(crate) fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    pub(crate) fn note(&mut self, line: String) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    pub(crate) fn spu_running(&self, id: i32) -> bool {
        self.spus.get(&id).is_some_and(|s| s.served && s.running)
    }

    /// Wall-clock seconds now.
    pub(crate) fn wall_secs(&self) -> u64 {
        let ms = self.now.since_origin().as_millis();
        (u128::from(self.cfg.wall_clock_ms) + ms)
            .checked_div(1000)
            .and_then(|s| u64::try_from(s).ok())
            .unwrap_or(u64::MAX)
    }

    fn handle_request(&mut self, conn: ConnId, server: ServerId, request: RequestFrame) {
        let RequestFrame { header, body } = request;
        if let Some(error) = self.faults.take(server, header.api_key) {
            self.stats.errors_injected += 1;
            self.note(format!(
                "{server}: injected {error:?} into {}",
                body.api_name()
            ));
            match error_response(&body, error) {
                Some(resp) => self.respond(conn, header.correlation_id, header.api_version, resp),
                None => self.close(conn),
            }
            return;
        }
        match server {
            ServerId::Sc => self.handle_sc(conn, header, body),
            ServerId::Spu(id) => self.handle_spu(conn, id, header, body),
        }
    }

    /// Queues a response frame on `conn`.
    pub(crate) fn respond(
        &mut self,
        conn: ConnId,
        correlation_id: i32,
        version: Version,
        body: AnyResponse,
    ) {
        let frame = ResponseFrame {
            header: ResponseHeader { correlation_id },
            body,
        };
        let mut buf = BytesMut::new();
        if let Err(e) = frame.encode(&mut buf, version) {
            self.note(format!(
                "{conn}: cannot encode {}: {e}",
                frame.body.api_name()
            ));
            return;
        }
        self.enqueue(conn, buf.freeze());
    }

    fn enqueue(&mut self, conn: ConnId, frame: Bytes) {
        let Some(server) = self.conns.get(&conn).map(|c| c.server) else {
            return;
        };
        let delay = self.faults.delay(server);
        let last = self.last_due.get(&conn).copied();
        if delay.is_zero() && last.is_none_or(|due| due <= self.now) {
            self.last_due.remove(&conn);
            self.ready.push_back((conn, frame));
            return;
        }
        if !delay.is_zero() {
            self.stats.responses_delayed += 1;
        }
        let due = (self.now + delay).max(last.unwrap_or(Instant::ZERO));
        self.last_due.insert(conn, due);
        self.delay_seq += 1;
        self.delayed.insert((due, self.delay_seq), (conn, frame));
    }

    fn release_delayed(&mut self) {
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let (conn, frame) = entry.remove();
            if self.conns.contains_key(&conn) {
                self.ready.push_back((conn, frame));
            }
        }
    }

    /// Drops `conn` on the cluster's side.
    pub(crate) fn close(&mut self, conn: ConnId) {
        if self.conns.contains_key(&conn) {
            self.forget(conn);
            self.closes.push_back(conn);
        }
    }

    fn forget(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
        self.last_due.remove(&conn);
        self.pending.retain(|p| p.conn != conn);
        self.ready.retain(|(c, _)| *c != conn);
        self.delayed.retain(|_, (c, _)| *c != conn);
    }

    fn drop_server(&mut self, server: ServerId) {
        let ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.server == server)
            .map(|(id, _)| *id)
            .collect();
        self.stats.connections_dropped += u64::try_from(ids.len()).unwrap_or(0);
        for id in ids {
            self.close(id);
        }
    }

    /// Brings everything in line after a change: elections, replication, the SC's
    /// stores (and watch streams), produce requests waiting for replication, streams
    /// with records to push.
    pub(crate) fn settle(&mut self) {
        self.settle_with(false);
    }

    /// [`settle`](Self::settle); with `throttle`, a partition status change that only
    /// moves offsets may wait (see [`STATUS_INTERVAL`]).
    pub(crate) fn settle_with(&mut self, throttle: bool) {
        if self.sc_running {
            self.elect();
        }
        self.replicate();
        self.sync_stores(throttle);
        self.complete_pending();
        self.push_streams();
    }

    /// Recomputes the SC's derived stores and sends the changes to watchers.
    fn sync_stores(&mut self, throttle: bool) {
        let spus: BTreeMap<_, _> = self
            .spus
            .values()
            .map(|s| (s.name.clone(), s.metadata()))
            .collect();
        let customs: BTreeMap<_, _> = spus
            .iter()
            .map(|(n, m)| (n.clone(), custom_of(m)))
            .collect();
        let topics: BTreeMap<_, _> = self
            .topics
            .iter()
            .map(|(name, t)| (name.clone(), t.metadata(name)))
            .collect();
        let running = |id: i32| self.spus.get(&id).is_some_and(|s| s.served && s.running);
        let partitions: BTreeMap<_, _> = self
            .partitions
            .iter()
            .map(|(key, p)| (key.to_string(), p.metadata(key.to_string(), running)))
            .collect();
        let mut updates = Vec::new();
        if let Some(u) = self.stores.spu.sync(spus) {
            updates.push(ObjectWatchResponse::Spu(u));
        }
        if let Some(u) = self.stores.custom_spu.sync(customs) {
            updates.push(ObjectWatchResponse::CustomSpu(u));
        }
        if let Some(u) = self.stores.topic.sync(topics) {
            updates.push(ObjectWatchResponse::Topic(u));
        }
        let wait = throttle
            && self.now < self.status_sync_after
            && self.stores.partition.offsets_only(&partitions);
        if wait {
            self.status_dirty = true;
        } else {
            self.status_dirty = false;
            if let Some(u) = self.stores.partition.sync(partitions) {
                updates.push(ObjectWatchResponse::Partition(u));
                self.status_sync_after = self.now + STATUS_INTERVAL;
            }
        }
        for u in updates {
            self.broadcast(u);
        }
    }

    /// Sends a watch update to every watcher of its kind.
    pub(crate) fn broadcast(&mut self, update: ObjectWatchResponse) {
        let kind = update.kind();
        let subs: Vec<(ConnId, i32, Version)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.server == ServerId::Sc)
            .flat_map(|(id, c)| {
                c.watches
                    .iter()
                    .filter(|w| w.kind == kind)
                    .map(move |w| (*id, w.correlation_id, w.version))
            })
            .collect();
        for (conn, correlation_id, version) in subs {
            self.respond(
                conn,
                correlation_id,
                version,
                AnyResponse::Watch(update.clone()),
            );
        }
    }

    /// Creates the system topic `consumer-offset` on the highest SPU id (where the real
    /// cluster of the traces has it).
    fn create_system_topic(&mut self) {
        let Some(leader) = self.spus.keys().next_back().copied() else {
            return;
        };
        use flv_core::sc::topic::{
            CleanupPolicy, ReplicaSpec, SegmentBasedPolicy, TopicReplicaParam, TopicSpec,
            TopicStorageConfig,
        };
        let spec = TopicSpec {
            replicas: ReplicaSpec::Computed(TopicReplicaParam {
                partitions: 1,
                replication_factor: 1,
                ignore_rack_assignment: false,
            }),
            cleanup_policy: Some(CleanupPolicy::Segment(SegmentBasedPolicy {
                time_in_seconds: 604_800,
            })),
            storage: Some(TopicStorageConfig {
                segment_size: Some(512_000_000),
                max_partition_size: Some(2_048_000_000),
            }),
            system: true,
            ..Default::default()
        };
        self.insert_topic(CONSUMER_OFFSET_TOPIC, spec, vec![vec![leader]]);
    }

    /// Adds a topic and its partitions (no validation).
    pub(crate) fn insert_topic(
        &mut self,
        name: &str,
        spec: flv_core::sc::topic::TopicSpec,
        maps: Vec<Vec<i32>>,
    ) {
        let mut replica_map = BTreeMap::new();
        for (i, replicas) in maps.into_iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            replica_map.insert(index, replicas.clone());
            self.partitions.insert(
                ReplicaKey::new(name, index),
                PartitionState::new(replicas, &spec),
            );
        }
        self.topics
            .insert(name.to_string(), TopicState { spec, replica_map });
    }
}
