//! Client tests with scripted servers (the simulations against the mock cluster live in
//! the `flv-tests` crate).

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::testkit::at;

/// The SC's ApiVersions answer (admin-list.trace).
const SC_VERSIONS: &str = "0000003c0000000100000000000603e90009001303ea0001001303eb000f001303ec000f001303ed000e001303ee00010013000c302e31382e322d6465762d31";

fn client() -> Client {
    Client::new(ClientConfig::new("sc:9003"), at(0))
}

fn connect(c: &mut Client) -> ConnId {
    match c.poll_io() {
        Some(IoCommand::Connect {
            conn,
            addr,
            server_name,
            peer,
        }) => {
            assert_eq!(
                (addr.as_str(), server_name, peer),
                ("sc:9003", None, Peer::Sc)
            );
            conn
        }
        other => panic!("{other:?}"),
    }
}

fn drain(c: &mut Client) -> (Vec<IoCommand>, Vec<Bytes>, Vec<Event>) {
    let io = std::iter::from_fn(|| c.poll_io()).collect();
    let tx = std::iter::from_fn(|| c.poll_transmit().map(|x| x.1)).collect();
    let ev = std::iter::from_fn(|| c.poll_event()).collect();
    (io, tx, ev)
}

#[test]
fn handshake_then_three_metadata_watches() {
    let mut c = client();
    let sc = connect(&mut c);
    c.handle_connected(sc, at(1));
    let (_, tx, _) = drain(&mut c);
    assert_eq!(tx.len(), 1, "only ApiVersions before the answer");
    c.handle_bytes(sc, &hex::decode(SC_VERSIONS).unwrap(), at(2));
    let (_, tx, _) = drain(&mut c);
    let frames = tx.concat();
    // Three watch frames (SPU, Partition, Topic), correlation ids 1..=3, client id dummy.
    assert_eq!(frames.len(), 37 + 43 + 39);
    assert!(c.poll_timeout().is_some(), "watch deadlines");
}

#[test]
fn incompatible_platform_is_final() {
    let mut c = client();
    let sc = connect(&mut c);
    c.handle_connected(sc, at(1));
    drain(&mut c);
    let old = SC_VERSIONS.replace("000c302e31382e322d6465762d31", "0005302e382e30"); // "0.8.0"
    let old = {
        // Fix the frame length (12 bytes of version string became 5).
        let mut b = hex::decode(old).unwrap();
        let len = (b.len() - 4) as u32;
        b[..4].copy_from_slice(&len.to_be_bytes());
        b
    };
    c.handle_bytes(sc, &old, at(2));
    let (io, _, ev) = drain(&mut c);
    assert_eq!(io, vec![IoCommand::Close { conn: sc }]);
    assert!(
        matches!(
            ev.as_slice(),
            [Event::Error(ClientError::IncompatiblePlatform(_))]
        ),
        "{ev:?}"
    );
    assert_eq!(c.poll_timeout(), None, "no reconnect");
    let op = c.admin(AdminCommand::ListConsumerOffsets, at(3));
    let _ = op;
    let op = c.admin(
        AdminCommand::List {
            kind: ObjectKind::Topic,
            name_filters: vec![],
            summary: false,
            system: false,
        },
        at(3),
    );
    let (_, _, ev) = drain(&mut c);
    assert!(ev.iter().any(|e| matches!(e, Event::OpDone { op: o, result: Err(ClientError::IncompatiblePlatform(_)) } if *o == op)));
}

#[test]
fn sc_reconnects_with_seeded_backoff_and_producers_time_out() {
    let run = |seed| {
        let mut c = Client::new(
            ClientConfig {
                seed,
                metadata_timeout: Duration::from_secs(5),
                ..ClientConfig::new("sc:9003")
            },
            at(0),
        );
        let p = c
            .create_producer("t", ProducerConfig::default(), at(0))
            .unwrap();
        let mut attempts = Vec::new();
        let mut now = at(0);
        let mut created = None;
        for _ in 0..50 {
            while let Some(cmd) = c.poll_io() {
                if let IoCommand::Connect { conn, .. } = cmd {
                    attempts.push(now);
                    c.handle_connect_failed(
                        conn,
                        TransportFailure::Connect(TransportCause::message("refused")),
                        now,
                    );
                }
            }
            while let Some(e) = c.poll_event() {
                if let Event::ProducerCreated { producer, result } = e {
                    assert_eq!(producer, p);
                    created = Some(result);
                }
            }
            let Some(next) = c.poll_timeout() else { break };
            assert!(next >= now, "deadlines never go back");
            now = next;
            c.handle_timeout(now);
        }
        (attempts, created)
    };
    let (a, created) = run(1);
    assert!(a.len() >= 4, "{a:?}");
    let gap = a[1] - a[0];
    assert!(
        gap >= Duration::from_millis(800) && gap <= Duration::from_millis(1200),
        "{gap:?}"
    );
    assert_eq!(run(1).0, a, "same seed, same schedule");
    assert_ne!(run(2).0, a, "another seed, another jitter");
    assert_eq!(
        created,
        Some(Err(ClientError::MetadataTimeout(Duration::from_secs(5))))
    );
}

#[test]
fn misuse_is_reported_not_panicked() {
    let mut c = client();
    assert_eq!(
        c.send(ProducerId(999), None, Bytes::new(), at(1)),
        Err(SendError::Closed)
    );
    assert!(c.flush(ProducerId(999), at(1)).is_err());
    assert!(c.poll_consumer(ConsumerId(5), at(1)).is_none());
    assert!(c.offset_flush(ConsumerId(5), at(1)).is_err());
    assert!(c.poll_watch(OpId(5)).is_none());
    let bad = ConsumerConfig {
        offset_management: OffsetManagement::Auto,
        ..ConsumerConfig::new("t", Offset::beginning())
    };
    assert!(matches!(
        c.create_consumer(bad, at(1)),
        Err(ClientError::Misuse(Misuse::InvalidConfig(_)))
    ));
    let bad = ProducerConfig {
        max_in_flight: 0,
        ..ProducerConfig::default()
    };
    assert!(c.create_producer("t", bad, at(1)).is_err());
    // Input for unknown connections is ignored.
    c.handle_bytes(ConnId(77), b"junk", at(1));
    c.handle_closed(ConnId(77), at(1));
    c.handle_connected(ConnId(77), at(1));
}

use crate::protocol::sc::objects::ObjectKind;

proptest! {
    /// Arbitrary bytes from the SC, in arbitrary chunks, at any stage: never a panic,
    /// and every deadline the client asks for is consumed when it fires.
    #[test]
    fn hostile_sc_bytes(
        handshake in any::<bool>(),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..16),
        frames in proptest::collection::vec((1i32..5, proptest::collection::vec(any::<u8>(), 0..80)), 0..8),
    ) {
        let mut c = client();
        let sc = connect(&mut c);
        c.handle_connected(sc, at(1));
        if handshake {
            c.handle_bytes(sc, &hex::decode(SC_VERSIONS).unwrap(), at(2));
        }
        for (corr, body) in frames {
            let mut f = Vec::new();
            f.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
            f.extend_from_slice(&corr.to_be_bytes());
            f.extend_from_slice(&body);
            c.handle_bytes(sc, &f, at(3));
            drain(&mut c);
        }
        for chunk in chunks {
            c.handle_bytes(sc, &chunk, at(4));
            drain(&mut c);
        }
        let mut now = at(5);
        let mut still = 0;
        for _ in 0..50 {
            let Some(next) = c.poll_timeout() else { break };
            if next <= now {
                still += 1;
                prop_assert!(still < 5, "a deadline at {next:?} is never consumed");
            } else {
                still = 0;
            }
            now = now.max(next);
            c.handle_timeout(now);
            drain(&mut c);
        }
    }
}
