//! The whole sans-IO client under arbitrary input: sequences of connection events
//! (connected, refused, closed), byte chunks (raw, or real server frames from the
//! traces with a chosen correlation id, possibly cut), time steps, and a few commands
//! (create producer/consumer, send, flush, poll).
//!
//! Checked after every step: no panic; buffers bounded by the configuration
//! (`Client::buffer_stats`); once `handle_timeout(now)` ran, `poll_timeout` is later
//! than `now` (a driver never spins and time never goes backwards).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use bytes::Bytes;
use flv_core::client::{
    Client, ClientConfig, ConnId, ConsumerConfig, IoCommand, Offset, Peer, ProducerConfig,
    ProducerId, ConsumerId, TransportCause, TransportFailure,
};
use flv_core::time::Instant;
use flv_core::trace::{Direction, Trace};
use libfuzzer_sys::fuzz_target;

/// Server frames of a few real-cluster traces: (from an SPU, whole frame).
fn frames() -> &'static [(bool, Bytes)] {
    static FRAMES: OnceLock<Vec<(bool, Bytes)>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let texts = [
            include_str!("../../tests/traces/admin-watch-topics.trace"),
            include_str!("../../tests/traces/produce-basic.trace"),
            include_str!("../../tests/traces/failover-leader-kill.trace"),
        ];
        let mut out = Vec::new();
        for text in texts {
            let Ok(t) = Trace::parse(text) else { continue };
            for f in t.frames.iter().filter(|f| f.dir == Direction::ToClient) {
                if f.bytes.len() > 8192 || f.bytes.len() < 8 {
                    continue;
                }
                let spu = matches!(t.connections.get(&f.conn), Some(flv_core::trace::Peer::Spu(_)));
                out.push((spu, f.bytes.clone()));
            }
        }
        out
    })
}

#[derive(Arbitrary, Debug)]
enum Op {
    Connected(u8),
    Refused(u8),
    Closed(u8),
    /// Raw bytes.
    Bytes(u8, Vec<u8>),
    /// A real server frame of the connection's kind, with this correlation id, cut to
    /// `cut` bytes when nonzero.
    Frame { conn: u8, frame: u16, corr: u8, cut: u16 },
    /// Time passes (milliseconds).
    Advance(u16),
    /// Jump far (seconds).
    Jump(u8),
    CreateProducer { topic: bool, queue: u8 },
    CreateConsumer { topic: bool, max_bytes: u16 },
    Send(u8, Vec<u8>),
    Flush(u8),
    Poll,
}

const MAX_FRAME: usize = 1 << 20;
const BUFFER: usize = 4096;

fuzz_target!(|ops: Vec<Op>| {
    let config = ClientConfig {
        max_frame_size: MAX_FRAME,
        ..ClientConfig::new("127.0.0.1:9003")
    };
    let mut now = Instant::ZERO;
    let mut client = Client::new(config, now);
    client.handle_wall_clock(1_700_000_000_000, now);
    let mut conns: Vec<(ConnId, bool)> = Vec::new();
    let mut producers: Vec<(ProducerId, usize)> = Vec::new();
    let mut consumers: Vec<(ConsumerId, usize)> = Vec::new();
    let frames = frames();
    for op in ops.into_iter().take(256) {
        let pick = |i: u8| conns.get(i as usize % conns.len().max(1)).copied();
        match op {
            Op::Connected(i) => {
                if let Some((c, _)) = pick(i) {
                    client.handle_connected(c, now);
                }
            }
            Op::Refused(i) => {
                if let Some((c, _)) = pick(i) {
                    client.handle_connect_failed(c, TransportFailure::Connect(TransportCause::message("refused")), now);
                }
            }
            Op::Closed(i) => {
                if let Some((c, _)) = pick(i) {
                    client.handle_closed(c, now);
                }
            }
            Op::Bytes(i, b) => {
                if let Some((c, _)) = pick(i) {
                    client.handle_bytes(c, &b, now);
                }
            }
            Op::Frame { conn, frame, corr, cut } => {
                let Some((c, spu)) = pick(conn) else { continue };
                let kind: Vec<&Bytes> = frames.iter().filter(|f| f.0 == spu).map(|f| &f.1).collect();
                let Some(f) = kind.get(frame as usize % kind.len().max(1)) else { continue };
                let mut bytes = f.to_vec();
                bytes[4..8].copy_from_slice(&i32::from(corr).to_be_bytes());
                if cut > 0 {
                    bytes.truncate(cut as usize);
                }
                client.handle_bytes(c, &bytes, now);
            }
            Op::Advance(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Op::Jump(s) => now = now + Duration::from_secs(u64::from(s)),
            Op::CreateProducer { topic, queue } => {
                let queue = usize::from(queue % 8) + 1;
                let cfg = ProducerConfig {
                    batch_queue_size: queue,
                    ..ProducerConfig::default()
                };
                let name = if topic { "topic" } else { "other" };
                if let Ok(p) = client.create_producer(name, cfg, now) {
                    producers.push((p, queue));
                }
            }
            Op::CreateConsumer { topic, max_bytes } => {
                let name = if topic { "topic" } else { "other" };
                let cfg = ConsumerConfig {
                    max_bytes: i32::from(max_bytes).max(1),
                    max_bytes_limit: 1 << 16,
                    buffer_bytes: BUFFER,
                    ..ConsumerConfig::new(name, Offset::beginning())
                };
                if let Ok(c) = client.create_consumer(cfg, now) {
                    consumers.push((c, usize::from(max_bytes)));
                }
            }
            Op::Send(i, v) => {
                if let Some((p, _)) = producers.get(i as usize % producers.len().max(1)) {
                    let _ = client.send(*p, None, Bytes::from(v), now);
                }
            }
            Op::Flush(i) => {
                if let Some((p, _)) = producers.get(i as usize % producers.len().max(1)) {
                    let _ = client.flush(*p, now);
                }
            }
            Op::Poll => {
                for (c, _) in &consumers {
                    while client.poll_consumer(*c, now).is_some() {}
                }
            }
        }
        // Time: whatever is due is handled, and then nothing is due any more.
        if client.poll_timeout().is_some_and(|t| t <= now) {
            client.handle_timeout(now);
            if let Some(t) = client.poll_timeout() {
                assert!(t > now, "poll_timeout {t:?} not after now {now:?} after handle_timeout");
            }
        }
        // Drain the outputs like a driver.
        while let Some(cmd) = client.poll_io() {
            if let IoCommand::Connect { conn, peer, .. } = cmd {
                conns.push((conn, matches!(peer, Peer::Spu(_))));
            }
        }
        while client.poll_transmit().is_some() {}
        let mut events = 0;
        while client.poll_event().is_some() {
            events += 1;
        }
        assert!(events < 100_000);
        // Memory is bounded by the configuration.
        let s = client.buffer_stats();
        assert!(s.conn_in_bytes <= MAX_FRAME + 4, "{s:?}");
        let queue = producers.iter().map(|p| p.1).max().unwrap_or(0);
        assert!(s.producer_batches <= queue, "{s:?}");
        assert!(s.consumer_bytes <= BUFFER + (1 << 16) + MAX_FRAME, "{s:?}");
        assert!(s.pending_requests <= 4096, "{s:?}");
    }
});
