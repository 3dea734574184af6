//! Cross-check of `flv_core::record` against upstream `fluvio_protocol::record`.
//!
//! - batches built by us (every codec) decode with upstream to the same records, and
//!   upstream re-encodes them to our exact bytes;
//! - batches built by upstream decode with us to the same records and re-encode
//!   byte-identically;
//! - for the same records, codec and timestamp, our producer batch is byte-identical
//!   to upstream's (same header conventions, same compressor settings);
//! - random, mutated or truncated input never makes our decoder panic.

use std::io::Cursor;

use bytes::Bytes;
use fluvio_protocol::Decoder as _;
use fluvio_protocol::record as up;
use flv_core::codec::{Decode, Reader, decode_exact, encode_to_bytes};
use flv_core::record::{
    ALL_COMPRESSIONS, ATTR_SCHEMA_PRESENT, Batch, BatchBuilder, BatchHeader, Compression, Record,
    RecordSet,
};
use proptest::prelude::*;

/// What both sides must agree on for one record.
#[derive(Debug, Clone, PartialEq)]
struct Plain {
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    offset_delta: i64,
    timestamp_delta: i64,
}

fn plain_ours(r: &Record) -> Plain {
    Plain {
        key: r.key.as_ref().map(|k| k.to_vec()),
        value: r.value.to_vec(),
        offset_delta: r.offset_delta,
        timestamp_delta: r.timestamp_delta,
    }
}

fn plain_up(r: &up::Record) -> Plain {
    Plain {
        key: r.key().map(|k| k.as_ref().to_vec()),
        value: r.value().as_ref().to_vec(),
        offset_delta: r.offset_delta(),
        timestamp_delta: r.timestamp_delta(),
    }
}

/// Generated input: (key, value, timestamp delta) per record.
type Input = Vec<(Option<Vec<u8>>, Vec<u8>, i64)>;

fn input() -> impl Strategy<Value = Input> {
    proptest::collection::vec(
        (
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            // Repetitive values so the codecs actually compress.
            (proptest::collection::vec(any::<u8>(), 0..40), 1usize..8)
                .prop_map(|(v, n)| v.repeat(n)),
            0i64..100_000,
        ),
        1..20,
    )
}

fn codec() -> impl Strategy<Value = Compression> {
    proptest::sample::select(ALL_COMPRESSIONS.to_vec())
}

fn expected(input: &Input) -> Vec<Plain> {
    input
        .iter()
        .enumerate()
        .map(|(i, (k, v, ts))| Plain {
            key: k.clone(),
            value: v.clone(),
            offset_delta: i as i64,
            timestamp_delta: *ts,
        })
        .collect()
}

fn ours_batch(input: &Input, codec: Compression, first_ts: i64) -> Batch {
    let mut b = BatchBuilder::new(codec, first_ts);
    for (k, v, ts) in input {
        let mut r = Record::new(Bytes::from(v.clone()));
        r.key = k.clone().map(Bytes::from);
        r.timestamp_delta = *ts;
        b.push(r).unwrap();
    }
    b.build().unwrap()
}

/// Upstream's producer batch, built like `fluvio::producer::MemoryBatch` does.
fn upstream_batch(input: &Input, codec: Compression, first_ts: i64) -> up::Batch<up::RawRecords> {
    let records: Vec<up::Record> = input
        .iter()
        .map(|(k, v, ts)| {
            let mut r = match k {
                Some(k) => up::Record::new_key_value(k.clone(), v.clone()),
                None => up::Record::new(v.clone()),
            };
            r.get_mut_header().set_timestamp_delta(*ts);
            r
        })
        .collect();
    let last_ts = records.last().map_or(0, |r| r.timestamp_delta());
    let mut batch = up::Batch::from(records);
    let n = batch.records().len() as i64;
    batch.set_base_offset(n - 1);
    let h = batch.get_mut_header();
    h.first_timestamp = first_ts;
    h.max_time_stamp = first_ts + last_ts;
    h.attributes = codec.id();
    batch.try_into().expect("upstream compression")
}

fn upstream_bytes<T: fluvio_protocol::Encoder>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out, 0).unwrap();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ours_decodes_with_upstream(
        batches in proptest::collection::vec((input(), codec()), 1..4),
        first_ts in 0i64..2_000_000_000_000,
    ) {
        let mut base = 0;
        let ours: Vec<Batch> = batches
            .iter()
            .map(|(input, codec)| {
                let mut b = ours_batch(input, *codec, first_ts);
                b.set_base_offset(base);
                base += input.len() as i64;
                b
            })
            .collect();
        let wire = encode_to_bytes(&RecordSet::from_batches(ours.clone()), 0).unwrap();

        let set = up::RecordSet::<up::RawRecords>::decode_from(&mut Cursor::new(&wire[..]), 0)
            .unwrap();
        prop_assert_eq!(set.batches.len(), ours.len());
        for ((input, codec), (theirs, mine)) in batches.iter().zip(set.batches.iter().zip(&ours)) {
            let h = theirs.get_header();
            prop_assert_eq!(theirs.get_base_offset(), mine.base_offset());
            prop_assert_eq!(h.crc, mine.header().crc);
            prop_assert_eq!(h.attributes, codec.id());
            prop_assert_eq!(h.last_offset_delta, input.len() as i32 - 1);
            prop_assert_eq!(h.first_timestamp, first_ts);
            prop_assert_eq!(h.max_time_stamp, mine.header().max_time_stamp);
            prop_assert_eq!(theirs.batch_len(), mine.header().batch_len);
            let records: Vec<Plain> = theirs.memory_records().unwrap().iter().map(plain_up).collect();
            prop_assert_eq!(records, expected(input));
        }
        // Upstream re-encodes what it decoded to our bytes.
        prop_assert_eq!(upstream_bytes(&set), wire.to_vec());
    }

    #[test]
    fn upstream_decodes_with_ours(
        batches in proptest::collection::vec((input(), codec()), 1..4),
        first_ts in 0i64..2_000_000_000_000,
    ) {
        let mut set = up::RecordSet::<up::RawRecords>::default();
        let mut base = 100;
        for (input, codec) in &batches {
            let mut b = upstream_batch(input, *codec, first_ts);
            b.set_base_offset(base);
            base += input.len() as i64;
            set = set.add(b);
        }
        let wire = Bytes::from(upstream_bytes(&set));
        let ours: RecordSet = decode_exact(wire.clone(), 0, "record set").unwrap();
        prop_assert!(ours.partial().is_none());
        prop_assert_eq!(ours.batches().len(), batches.len());
        let mut base = 100;
        for ((input, codec), batch) in batches.iter().zip(ours.batches()) {
            prop_assert_eq!(batch.compression().unwrap(), *codec);
            prop_assert_eq!(batch.base_offset(), base);
            base += input.len() as i64;
            let records: Vec<Plain> = batch.records().unwrap().iter().map(plain_ours).collect();
            prop_assert_eq!(records, expected(input));
        }
        prop_assert_eq!(ours.next_offset(), Some(base));
        // Byte-identical re-encode (compressed batches too: we keep their bytes).
        prop_assert_eq!(encode_to_bytes(&ours, 0).unwrap(), wire);
    }

    #[test]
    fn producer_batches_are_byte_identical(
        input in input(),
        codec in codec(),
        first_ts in 0i64..2_000_000_000_000,
    ) {
        let ours = encode_to_bytes(&ours_batch(&input, codec, first_ts), 0).unwrap();
        let theirs = upstream_bytes(&upstream_batch(&input, codec, first_ts));
        prop_assert_eq!(ours.to_vec(), theirs);
    }

    #[test]
    fn random_records_sections_never_panic(
        section in proptest::collection::vec(any::<u8>(), 0..300),
        attributes in 0i16..0x20,
        last_offset_delta in -2i32..10,
    ) {
        let schema_id = (attributes & ATTR_SCHEMA_PRESENT != 0).then_some(7);
        let h = BatchHeader { attributes, last_offset_delta, schema_id, ..BatchHeader::default() };
        let batch = Batch::from_raw_parts(h, Bytes::from(section));
        let back: Batch = decode_exact(encode_to_bytes(&batch, 0).unwrap(), 0, "batch").unwrap();
        prop_assert_eq!(&back, &batch);
        let _ = back.records_with_limit(1 << 20);
    }

    #[test]
    fn mutated_record_sets_never_panic(
        input in input(),
        codec in codec(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let set = RecordSet::from_batches(vec![ours_batch(&input, codec, 0)]);
        let mut wire = encode_to_bytes(&set, 0).unwrap().to_vec();
        for (at, byte) in edits {
            let i = at.index(wire.len());
            wire[i] = byte;
        }
        wire.truncate(cut.index(wire.len() + 1));
        if let Ok(set) = RecordSet::decode(&mut Reader::new(Bytes::from(wire)), 0) {
            for b in set.batches() {
                let _ = b.records_with_limit(1 << 20);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut r = Reader::new(Bytes::from(bytes));
        if let Ok(set) = RecordSet::decode(&mut r, 0) {
            for b in set.batches() {
                let _ = b.records_with_limit(1 << 20);
            }
        }
    }
}

#[test]
fn truncated_sets_agree_on_complete_batches() {
    // Cut a 3-batch set everywhere. Upstream returns the complete batches and, when
    // the cut batch's header arrived, that batch too with its records section cut
    // (`validate_decoding` false); we return the complete batches and a PartialBatch.
    let batches: Vec<Batch> = (0..3)
        .map(|i| {
            let input: Input = (0..5)
                .map(|j| (None, vec![i as u8; 30 + j], j as i64))
                .collect();
            let mut b = ours_batch(&input, ALL_COMPRESSIONS[i * 2 % 5], 1000);
            b.set_base_offset(i as i64 * 5);
            b
        })
        .collect();
    let wire = encode_to_bytes(&RecordSet::from_batches(batches), 0).unwrap();
    for cut in 4..=wire.len() {
        let mut cut_wire = ((cut - 4) as i32).to_be_bytes().to_vec();
        cut_wire.extend_from_slice(&wire[4..cut]);
        let ours: RecordSet = decode_exact(Bytes::from(cut_wire.clone()), 0, "set").unwrap();
        let theirs =
            up::RecordSet::<up::RawRecords>::decode_from(&mut Cursor::new(&cut_wire[..]), 0)
                .unwrap();
        let (whole, cut_batch): (Vec<_>, Vec<_>) =
            theirs.batches.iter().partition(|b| b.validate_decoding());
        assert_eq!(ours.batches().len(), whole.len(), "cut {cut}");
        for (o, t) in ours.batches().iter().zip(&whole) {
            assert_eq!(o.base_offset(), t.get_base_offset());
            assert_eq!(o.raw_records().as_ref(), t.records().0.as_ref());
        }
        assert!(cut_batch.len() <= 1);
        if let Some(t) = cut_batch.first() {
            let p = ours.partial().expect("a partial batch");
            assert_eq!(p.base_offset, Some(t.get_base_offset()));
            assert_eq!(p.next_offset(), Some(t.get_last_offset() + 1));
        }
        assert_eq!(encode_to_bytes(&ours, 0).unwrap().to_vec(), cut_wire);
    }
}
