//! Real record sets from the cluster traces: decode, verify, re-encode identically.
//!
//! The SPU message types live elsewhere, so the fields in front of each record set are
//! skipped by hand here (read from upstream and checked against the frames: every
//! frame must be consumed exactly):
//! - request header: `api_key u16, api_version i16, correlation_id i32, client_id String`;
//! - Produce (0) v25 body: `transactional_id Option<String>, isolation i16, timeout i32,
//!   topics Vec{name String, partitions Vec{partition_index u32, records RecordSet}},
//!   smartmodules Vec` (always empty in these traces);
//! - StreamFetch (1003) response: `correlation_id i32, topic String, stream_id u32,
//!   partition_index u32, error_code i16, high_watermark i64, next_filter_offset i64,
//!   log_start_offset i64, aborted Option<Vec<..>>` (always None here)`, records RecordSet`.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::protocol::codec::{Decode, Reader, encode_to_bytes};
use crate::protocol::record::{Batch, BatchBuilder, Compression, Record, RecordSet};
use crate::trace::{Direction, Peer, Trace, TraceFrame};

const PRODUCE: u16 = 0;
const STREAM_FETCH: u16 = 1003;

pub(super) fn load(name: &str) -> Trace {
    let path = format!(
        "{}/../tests/traces/{name}.trace",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Trace::parse(&text).unwrap()
}

/// Decodes a record set and checks it re-encodes to exactly the bytes it came from.
fn decode_set(r: &mut Reader) -> RecordSet {
    let mut before = r.clone();
    let set = RecordSet::decode(r, 25).unwrap();
    let used = before.remaining() - r.remaining();
    let wire = before.bytes("set", used).unwrap();
    assert_eq!(
        encode_to_bytes(&set, 25).unwrap(),
        wire,
        "re-encode differs"
    );
    assert_eq!(set.encoded_size(), wire.len());
    set
}

/// A record set found in a trace.
pub(super) struct Found {
    pub conn: u32,
    pub topic: String,
    pub partition: u32,
    pub set: RecordSet,
}

/// Frames exchanged with SPUs (SC api keys overlap the SPU ones).
fn spu_frames(trace: &Trace) -> impl Iterator<Item = &TraceFrame> {
    trace
        .frames
        .iter()
        .filter(|f| matches!(trace.connections.get(&f.conn), Some(Peer::Spu(_))))
}

/// Every record set of every Produce request of a trace.
pub(super) fn produce_sets(trace: &Trace) -> Vec<Found> {
    let mut out = Vec::new();
    for f in spu_frames(trace).filter(|f| f.dir == Direction::ToServer) {
        let mut r = Reader::new(f.payload());
        if r.u16().unwrap() != PRODUCE {
            continue;
        }
        assert_eq!(r.i16().unwrap(), 25);
        r.i32().unwrap();
        r.string("client id").unwrap();
        if r.bool().unwrap() {
            r.string("transactional id").unwrap();
        }
        r.i16().unwrap();
        r.i32().unwrap();
        for _ in 0..r.count("topics").unwrap() {
            let topic = r.string("topic").unwrap();
            for _ in 0..r.count("partitions").unwrap() {
                let partition = r.u32().unwrap();
                let set = decode_set(&mut r);
                assert!(set.partial.is_none(), "a producer never cuts batches");
                let topic = topic.clone();
                out.push(Found {
                    conn: f.conn,
                    topic,
                    partition,
                    set,
                });
            }
        }
        assert_eq!(r.count("smartmodules").unwrap(), 0);
        r.expect_end("produce request").unwrap();
    }
    out
}

/// Every record set of every StreamFetch response of a trace.
pub(super) fn stream_fetch_sets(trace: &Trace) -> Vec<Found> {
    let mut streams = BTreeMap::new();
    let mut out = Vec::new();
    for f in spu_frames(trace) {
        let mut r = Reader::new(f.payload());
        match f.dir {
            Direction::ToServer => {
                let key = r.u16().unwrap();
                r.i16().unwrap();
                streams.insert((f.conn, r.i32().unwrap()), key);
            }
            Direction::ToClient => {
                let corr = r.i32().unwrap();
                if streams.get(&(f.conn, corr)) != Some(&STREAM_FETCH) {
                    continue;
                }
                let topic = r.string("topic").unwrap();
                r.u32().unwrap();
                let partition = r.u32().unwrap();
                assert_eq!(r.i16().unwrap(), 0, "error code");
                for _ in 0..3 {
                    r.i64().unwrap();
                }
                assert!(!r.bool().unwrap(), "aborted transactions");
                let set = decode_set(&mut r);
                r.expect_end("stream fetch response").unwrap();
                out.push(Found {
                    conn: f.conn,
                    topic,
                    partition,
                    set,
                });
            }
        }
    }
    out
}

fn all_records(set: &RecordSet) -> Vec<Record> {
    let mut out = Vec::new();
    for b in set.batches() {
        out.extend(b.records().unwrap());
    }
    out
}

/// Rebuilds a decoded producer batch with our builder: it must be byte-identical.
fn assert_rebuilds(batch: &Batch) {
    let records = batch.records().unwrap();
    let compression = batch.compression().unwrap();
    let mut builder = BatchBuilder::new(compression, batch.header().first_timestamp);
    for r in &records {
        builder.push(r.clone()).unwrap();
    }
    let uncompressed = builder.encoded_size();
    let rebuilt = builder.build().unwrap();
    if compression == Compression::None {
        assert_eq!(uncompressed, batch.encoded_size());
    }
    assert_eq!(&rebuilt, batch, "{compression}: rebuilt batch differs");
    assert_eq!(
        encode_to_bytes(&rebuilt, 0).unwrap(),
        encode_to_bytes(batch, 0).unwrap()
    );
}

#[test]
fn a_captured_plain_produce_matches_byte_for_byte() {
    let sets = produce_sets(&load("produce-basic"));
    assert_eq!(sets.len(), 1);
    let set = &sets[0].set;
    assert_eq!((sets[0].topic.as_str(), sets[0].partition), ("t1", 0));
    assert_eq!(set.batches().len(), 1);
    let batch = &set.batches()[0];
    let h = batch.header();
    assert_eq!(batch.compression().unwrap(), Compression::None);
    assert_eq!((h.base_offset, h.last_offset_delta, h.magic), (49, 49, 2));
    assert_eq!(
        (h.producer_id, h.producer_epoch, h.first_sequence),
        (-1, -1, -1)
    );
    assert_eq!(h.partition_leader_epoch, -1);
    let records = batch.records().unwrap();
    assert_eq!(records.len(), 50);
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.offset_delta, i as i64);
        assert_eq!((r.key.as_ref(), r.value.len(), r.headers), (None, 100, 0));
    }
    let last = records.last().unwrap().timestamp_delta;
    assert_eq!(h.max_time_stamp, h.first_timestamp + last);
    // Zero-copy: values point into the batch's records section.
    let range = batch.raw_records().as_ptr_range();
    assert!(records.iter().all(|r| range.contains(&r.value.as_ptr())));
    assert_rebuilds(batch);
}

#[test]
fn a_captured_compressed_produce_matches_byte_for_byte() {
    for (name, codec) in [
        ("produce-gzip", Compression::Gzip),
        ("produce-snappy", Compression::Snappy),
        ("produce-lz4", Compression::Lz4),
        ("produce-zstd", Compression::Zstd),
    ] {
        let sets = produce_sets(&load(name));
        assert_eq!(sets.len(), 1, "{name}");
        let batch = &sets[0].set.batches()[0];
        assert_eq!(batch.compression().unwrap(), codec, "{name}");
        let records = batch.records().unwrap();
        assert_eq!(records.len(), 40, "{name}");
        assert!(
            records
                .iter()
                .all(|r| r.value.len() == 300 && r.key.is_none())
        );
        // Our codec output equals the official client's, byte for byte.
        assert_rebuilds(batch);
    }
}

#[test]
fn produce_keys_land_where_the_client_said() {
    let trace = load("produce-keys");
    let sets = produce_sets(&trace);
    let expected: BTreeMap<String, (u32, i64)> = std::fs::read_to_string(format!(
        "{}/../tests/traces/produce-keys.partitions.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .map(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        (
            w[0].to_string(),
            (w[3].parse().unwrap(), w[5].parse().unwrap()),
        )
    })
    .collect();
    let mut seen = BTreeMap::new();
    for found in &sets {
        assert_eq!(found.topic, "t3");
        for r in all_records(&found.set) {
            let key = String::from_utf8(r.key.clone().unwrap().to_vec()).unwrap();
            let n: u32 = key.strip_prefix('k').unwrap().parse().unwrap();
            assert_eq!(&r.value[..], format!("v{n}").as_bytes());
            assert!(seen.insert(key, found.partition).is_none(), "duplicate");
        }
        for b in found.set.batches() {
            assert_rebuilds(b);
        }
    }
    assert_eq!(seen.len(), 30);
    for (key, partition) in &seen {
        assert_eq!(expected[key].0, *partition, "{key}");
    }
}

#[test]
fn a_captured_large_produce_matches_byte_for_byte() {
    let sets = produce_sets(&load("produce-large"));
    let mut total = 0;
    for found in &sets {
        for b in found.set.batches() {
            let records = b.records().unwrap();
            assert!(records.iter().all(|r| r.value.len() == 5 * 1024));
            total += records.len();
        }
    }
    assert_eq!(total, 2000);
    assert_eq!(
        sets.iter().map(|f| f.set.total_records()).sum::<usize>(),
        2000
    );
}

#[test]
fn consume_beginning_cuts_the_last_batch() {
    for name in ["consume-beginning", "consume-absolute"] {
        let trace = load(name);
        let sets = stream_fetch_sets(&trace);
        assert_eq!(sets.len(), 1);
        assert_eq!(trace.connections[&sets[0].conn], Peer::Spu(5001));
        let set = &sets[0].set;
        assert_eq!(set.batches().len(), 73);
        // The declared length is the cut length (= the request's max_bytes).
        assert_eq!(set.encoded_size() - 4, 1_048_890);
        let partial = set.partial().unwrap();
        assert_eq!(partial.base_offset, Some(431));
        assert_eq!(partial.last_offset_delta(), Some(2));
        assert_eq!(partial.next_offset(), Some(434));
        assert_eq!(partial.bytes.len(), 4275);
        assert_eq!(set.next_offset(), Some(431));
        assert_eq!(set.last_offset(), Some(430));
        assert_eq!(set.base_offset(), Some(0));
        assert_eq!(set.total_records(), 431);
        let codecs: Vec<Compression> = set.batches()[..6]
            .iter()
            .map(|b| b.compression().unwrap())
            .collect();
        use Compression::*;
        assert_eq!(codecs, [None, Gzip, Snappy, Lz4, Zstd, None]);
        let records = set.records_with_offsets(1 << 20).unwrap();
        assert_eq!(records.len(), 431);
        for (i, (offset, _)) in records.iter().enumerate() {
            assert_eq!(*offset, i as i64);
        }
    }
}

#[test]
fn the_stream_continues_after_a_cut_batch() {
    for name in ["consumer-offsets-commit", "consumer-offsets-resume"] {
        let sets = stream_fetch_sets(&load(name));
        assert_eq!(sets.len(), 2, "{name}");
        let (first, second) = (&sets[0].set, &sets[1].set);
        assert_eq!(first.next_offset(), Some(431));
        let cut = first.partial().unwrap();
        // The SPU does not resend the cut batch 431..=433.
        assert_eq!(second.base_offset(), cut.next_offset());
        assert_eq!(second.base_offset(), Some(434));
        assert_eq!(second.partial().unwrap().base_offset, Some(635));
    }
}

#[test]
fn stored_batches_are_the_produced_ones() {
    // The SPU stores a producer's records section unchanged and rewrites only fields
    // outside the CRC (base offset, leader epoch), so the CRC is the same too.
    let consumed = stream_fetch_sets(&load("consume-beginning"));
    let stored = &consumed[0].set.batches()[1..5];
    for (name, batch) in [
        "produce-gzip",
        "produce-snappy",
        "produce-lz4",
        "produce-zstd",
    ]
    .iter()
    .zip(stored)
    {
        let sets = produce_sets(&load(name));
        let produced = &sets[0].set.batches()[0];
        assert_eq!(produced.raw_records(), batch.raw_records(), "{name}");
        assert_eq!(produced.header().crc, batch.header().crc, "{name}");
    }
}

#[test]
fn consume_keyed_partition() {
    let sets = stream_fetch_sets(&load("consume-keyed-partition"));
    assert_eq!(sets.len(), 1);
    assert_eq!((sets[0].topic.as_str(), sets[0].partition), ("t3", 1));
    let set = &sets[0].set;
    assert!(set.partial().is_none());
    let keys: Vec<Bytes> = all_records(set)
        .into_iter()
        .map(|r| r.key.unwrap())
        .collect();
    let want: Vec<&[u8]> = vec![b"k2", b"k4", b"k12", b"k14", b"k15", b"k23"];
    assert_eq!(keys, want);
    assert_eq!(set.next_offset(), Some(6));
}

#[test]
fn every_record_set_in_every_trace() {
    let dir = format!("{}/../tests/traces", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        // produce-large is covered by its own test.
        if path.extension().is_none_or(|e| e != "trace") || name == "produce-large" {
            continue;
        }
        let trace = load(&name);
        for found in produce_sets(&trace)
            .iter()
            .chain(&stream_fetch_sets(&trace))
        {
            for b in found.set.batches() {
                assert_eq!(b.records().unwrap().len(), b.records_count(), "{name}");
            }
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} record sets found");
}
