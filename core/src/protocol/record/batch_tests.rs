//! Tests of batches, builders and record sets, including hostile inputs.

use std::io::Write;

use bytes::{BufMut, Bytes, BytesMut};

use super::*;
use crate::protocol::codec::{Decode, DecodeError, Reader, decode_exact, encode_to_bytes, varint};
use crate::testkit::sample_records;

fn decode_batch(bytes: Bytes) -> Result<Batch, DecodeError> {
    decode_exact(bytes, 0, "batch")
}

#[test]
fn builder_roundtrip_every_codec() {
    for codec in ALL_COMPRESSIONS {
        let records = sample_records(25);
        let batch = Batch::from_records(records.clone(), codec, 1_700_000_000_000).unwrap();
        let h = batch.header();
        assert_eq!((h.base_offset, h.last_offset_delta), (24, 24));
        assert_eq!(h.max_time_stamp, 1_700_000_000_000 + 72);
        assert_eq!(batch.compression().unwrap(), codec);
        let wire = encode_to_bytes(&batch, 0).unwrap();
        assert_eq!(wire.len(), batch.encoded_size());
        assert_eq!(
            i32::from_be_bytes(wire[8..12].try_into().unwrap()),
            h.batch_len
        );
        let back = decode_batch(wire.clone()).unwrap();
        assert_eq!(back, batch, "{codec}");
        let decoded = back.records().unwrap();
        assert_eq!(decoded.len(), 25);
        for (i, (got, want)) in decoded.iter().zip(&records).enumerate() {
            assert_eq!(got.offset_delta, i as i64);
            assert_eq!((&got.key, &got.value), (&want.key, &want.value));
            assert_eq!(back.record_offset(got), 24 + i as i64);
            assert_eq!(
                back.record_timestamp(got),
                Some(1_700_000_000_000 + 3 * i as i64)
            );
        }
        // Re-encoding the decoded batch is byte-identical.
        assert_eq!(encode_to_bytes(&back, 0).unwrap(), wire);
    }
}

#[test]
fn builder_knows_its_size() {
    let mut b = BatchBuilder::new(Compression::None, 0);
    assert!(b.is_empty());
    assert_eq!(b.encoded_size(), BATCH_FIXED_SIZE + 4);
    for r in sample_records(10) {
        let predicted = b.encoded_size_with(&r);
        b.push(r).unwrap();
        assert_eq!(b.encoded_size(), predicted);
    }
    assert_eq!(b.len(), 10);
    let size = b.encoded_size();
    let batch = b.build().unwrap();
    assert_eq!(batch.encoded_size(), size);
    assert_eq!(encode_to_bytes(&batch, 0).unwrap().len(), size);

    let empty = BatchBuilder::new(Compression::Gzip, 5).build().unwrap();
    assert_eq!(empty.records_count(), 0);
    assert_eq!(empty.records().unwrap(), vec![]);
}

#[test]
fn schema_id_roundtrip_and_consistency() {
    let header = BatchHeader {
        attributes: ATTR_SCHEMA_PRESENT,
        schema_id: Some(0xdead_beef),
        last_offset_delta: 0,
        ..BatchHeader::default()
    };
    let mut section = BytesMut::new();
    section.put_i32(1);
    crate::protocol::codec::Encode::encode(&Record::new(&b"x"[..]), &mut section, 0).unwrap();
    let batch = Batch::from_raw_parts(header.clone(), section.freeze());
    let wire = encode_to_bytes(&batch, 0).unwrap();
    assert_eq!(&wire[57..61], &0xdead_beef_u32.to_be_bytes());
    let back = decode_batch(wire).unwrap();
    assert_eq!(back.header().schema_id, Some(0xdead_beef));
    assert_eq!(back.records().unwrap(), vec![Record::new(&b"x"[..])]);
    // Flag without id, or id without flag, cannot be encoded.
    for h in [
        BatchHeader {
            schema_id: None,
            ..header.clone()
        },
        BatchHeader {
            attributes: 0,
            ..header
        },
    ] {
        let b = Batch::from_raw_parts(h, Bytes::new());
        assert!(encode_to_bytes(&b, 0).is_err());
    }
}

fn wire_of(records: usize, codec: Compression) -> Vec<u8> {
    let batch = Batch::from_records(sample_records(records), codec, 0).unwrap();
    encode_to_bytes(&batch, 0).unwrap().to_vec()
}

#[test]
fn crc_is_verified() {
    let good = wire_of(5, Compression::None);
    assert!(decode_batch(Bytes::from(good.clone())).is_ok());
    // A flipped bit in a value, in the attributes, or in the CRC itself.
    for at in [good.len() - 3, 22, 17] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        assert!(
            matches!(
                decode_batch(Bytes::from(bad)),
                Err(DecodeError::CrcMismatch { .. })
            ),
            "byte {at}"
        );
    }
    // Base offset and leader epoch are outside the CRC.
    let mut moved = good;
    moved[7] = 99;
    moved[12] = 0;
    assert_eq!(decode_batch(Bytes::from(moved)).unwrap().base_offset(), 99);
}

#[test]
fn bad_batch_lengths() {
    let good = wire_of(3, Compression::None);
    for len in [-1i32, 0, 44, i32::MIN] {
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&len.to_be_bytes());
        assert!(matches!(
            decode_batch(Bytes::from(bad)),
            Err(DecodeError::InvalidLength { .. })
        ));
    }
    let mut long = good;
    long[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(matches!(
        decode_batch(Bytes::from(long)),
        Err(DecodeError::UnexpectedEof { .. })
    ));
    // Unknown codec bits (with a valid CRC).
    let h = BatchHeader {
        attributes: 6,
        ..BatchHeader::default()
    };
    let b = Batch::from_raw_parts(h, Bytes::from_static(&[0, 0, 0, 0]));
    let back = decode_batch(encode_to_bytes(&b, 0).unwrap()).unwrap();
    assert!(matches!(
        back.records(),
        Err(DecodeError::UnknownTag {
            what: "compression",
            ..
        })
    ));
}

/// A real SPU running a SmartModule filter sends each batch with its original
/// `last_offset_delta` and only the records that passed, each keeping its offset delta
/// (seen on a real SPU: `tests/tests/real_smartmodule.rs`). They decode at their own
/// offsets, and the stream continues after the whole batch.
#[test]
fn filtered_batch_keeps_record_offsets() {
    let mut b = batch_of(5, &[(0, "apple"), (2, "banana"), (5, "pear")]);
    b.set_base_offset(100);
    let got: Vec<(i64, Bytes)> = b
        .records()
        .unwrap()
        .iter()
        .map(|r| (b.record_offset(r), r.value.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (100, Bytes::from("apple")),
            (102, Bytes::from("banana")),
            (105, Bytes::from("pear"))
        ]
    );
    assert_eq!(b.next_offset(), 106);
    // An empty filtered batch (nothing passed) decodes too.
    let empty = raw_batch(5, &0i32.to_be_bytes());
    assert!(empty.records().unwrap().is_empty());
}

/// A batch of `(offset_delta, value)` records announcing `last_offset_delta`.
fn batch_of(last_offset_delta: i32, records: &[(i64, &str)]) -> Batch {
    let mut section = (records.len() as i32).to_be_bytes().to_vec();
    for (delta, value) in records {
        let mut rec = BytesMut::new();
        let record = Record {
            offset_delta: *delta,
            ..Record::new(value.as_bytes().to_vec())
        };
        crate::codec::Encode::encode(&record, &mut rec, 0).unwrap();
        section.extend_from_slice(&rec);
    }
    raw_batch(last_offset_delta, &section)
}

fn delivered(b: &Batch, from: i64, end: Option<i64>) -> Vec<(i64, String)> {
    b.records_at_or_after(b.records().unwrap(), from, end)
        .map(|(o, r)| (o, String::from_utf8(r.value.to_vec()).unwrap()))
        .collect()
}

/// What a real SPU sends for a SmartModule filter over three one-record batches (apple at
/// 0, banana at 2, pear at 5, the others filtered out): one batch, base 0, whose later
/// records' offset deltas went the wrong way (upstream's sign error). flv delivers them at
/// the highest offset seen so far instead of dropping them as before the position.
#[test]
fn misnumbered_smartmodule_batch_loses_no_record() {
    let b = batch_of(5, &[(0, "apple"), (-2, "banana"), (-5, "pear")]);
    let all = [(0, "apple"), (0, "banana"), (0, "pear")].map(|(o, v)| (o, v.to_owned()));
    assert_eq!(delivered(&b, 0, None), all);
    assert_eq!(b.next_offset(), 6);
    // An ordinary batch: the plain window.
    let b = batch_of(3, &[(0, "a"), (1, "b"), (2, "c"), (3, "d")]);
    let window = [(1, "b"), (2, "c")].map(|(o, v)| (o, v.to_owned()));
    assert_eq!(delivered(&b, 1, Some(3)), window);
    assert!(delivered(&b, 4, None).is_empty());
}

/// A batch with a valid CRC around an arbitrary records section.
fn raw_batch(last_offset_delta: i32, section: &[u8]) -> Batch {
    let h = BatchHeader {
        last_offset_delta,
        ..BatchHeader::default()
    };
    let b = Batch::from_raw_parts(h, Bytes::copy_from_slice(section));
    decode_batch(encode_to_bytes(&b, 0).unwrap()).unwrap()
}

#[test]
fn hostile_records_sections() {
    let mut rec = BytesMut::new();
    crate::protocol::codec::Encode::encode(&Record::new(&b"hello"[..]), &mut rec, 0).unwrap();
    let section = |count: i32, body: &[u8]| [&count.to_be_bytes()[..], body].concat();

    // More records than the offsets last_offset_delta spans (fewer is a filtered batch:
    // `filtered_batch_keeps_record_offsets`), or a negative count.
    for (lod, count) in [(0, 2), (-1, 1), (2, -1)] {
        let b = raw_batch(lod, &section(count, &rec.repeat(count.max(0) as usize)));
        assert!(
            matches!(b.records(), Err(DecodeError::InvalidValue { .. })),
            "{lod}/{count}"
        );
    }
    // Truncated record.
    let b = raw_batch(0, &section(1, &rec[..rec.len() - 2]));
    assert!(matches!(
        b.records(),
        Err(DecodeError::UnexpectedEof { .. })
    ));
    // Extra bytes after the records.
    let b = raw_batch(0, &section(1, &[&rec[..], &[0]].concat()));
    assert!(matches!(
        b.records(),
        Err(DecodeError::TrailingBytes { .. })
    ));
    // A huge count is rejected before allocating.
    let b = raw_batch(i32::MAX - 1, &section(i32::MAX, &rec));
    assert!(matches!(
        b.records(),
        Err(DecodeError::InvalidLength {
            what: "record count",
            ..
        })
    ));
    // Negative and huge varint lengths inside a record.
    for len in [-5i64, i64::from(i32::MAX), i64::MAX] {
        let mut body = vec![0u8, 0, 0, 0];
        varint::encode(&mut body, len);
        body.push(0);
        let mut r = Vec::new();
        varint::encode(&mut r, body.len() as i64);
        r.extend_from_slice(&body);
        let b = raw_batch(0, &section(1, &r));
        assert!(
            matches!(
                b.records(),
                Err(DecodeError::InvalidLength { .. } | DecodeError::UnexpectedEof { .. })
            ),
            "{len}"
        );
    }
    // Missing count.
    assert!(raw_batch(-1, &[0, 0]).records().is_err());
    // Corrupt compressed payload (valid CRC).
    let h = BatchHeader {
        attributes: 1,
        last_offset_delta: 0,
        ..BatchHeader::default()
    };
    let b = Batch::from_raw_parts(h, Bytes::from_static(b"\x1f\x8b\x08junk"));
    assert!(matches!(
        b.records(),
        Err(DecodeError::Decompression { codec: "gzip", .. })
    ));
}

/// `size` zero bytes (a multiple of 64 KiB) compressed by `codec`, crafted cheaply:
/// encoding 1 GiB in a debug build would take seconds per codec.
fn zero_bomb(codec: Compression, size: usize) -> Bytes {
    const UNIT: usize = 64 << 10;
    let unit = codec.compress(&[0u8; UNIT]).unwrap();
    let repeats = size / UNIT;
    match codec {
        Compression::None => Bytes::new(),
        // Framed snappy: stream identifier (10 bytes), then self-contained chunks.
        Compression::Snappy => {
            let (id, chunk) = unit.split_at(10);
            [id, &chunk.repeat(repeats)].concat().into()
        }
        // LZ4 frame: 7-byte header (no content size), independent blocks, end mark.
        Compression::Lz4 => {
            assert_eq!(unit[4] & 0x08, 0, "content size present");
            let (header, rest) = unit.split_at(7);
            let (block, end) = rest.split_at(rest.len() - 4);
            [header, &block.repeat(repeats), end].concat().into()
        }
        Compression::Gzip => gzip_zero_bomb(size),
        Compression::Zstd => {
            let mut e = zstd::Encoder::new(Vec::new(), 1).unwrap();
            for _ in 0..repeats {
                e.write_all(&[0u8; UNIT]).unwrap();
            }
            e.finish().unwrap().into()
        }
    }
}

/// A gzip member holding one fixed-Huffman deflate block: a literal 0, then
/// (length 258, distance 1) matches. The trailer is never reached by the test.
fn gzip_zero_bomb(size: usize) -> Bytes {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let (mut acc, mut n) = (0u64, 0u32);
    let mut put = |out: &mut Vec<u8>, value: u64, bits: u32| {
        acc |= value << n;
        n += bits;
        while n >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            n -= 8;
        }
    };
    // Huffman codes go most significant bit first.
    let rev = |code: u64, bits: u32| code.reverse_bits() >> (64 - bits);
    put(&mut out, 0b011, 3); // BFINAL = 1, BTYPE = 01 (fixed)
    put(&mut out, rev(0x30, 8), 8); // literal 0
    let matched = rev(0xc5, 8); // length code 285 (258), then distance code 0 (1)
    for _ in 0..(size - 1) / 258 {
        put(&mut out, matched, 13);
    }
    put(&mut out, 0, 7); // end of block
    put(&mut out, 0, 7); // flush the last partial byte
    out.extend_from_slice(&[0; 8]);
    out.into()
}

#[test]
fn decompression_bombs_stop_at_the_limit() {
    const LIMIT: usize = 16 << 20;
    for codec in ALL_COMPRESSIONS.into_iter().skip(1) {
        // 1 GiB of zeros once decompressed; refused at the limit, never allocated.
        let bomb = zero_bomb(codec, 1 << 30);
        let h = BatchHeader {
            attributes: codec.apply_to(0),
            last_offset_delta: 0,
            ..BatchHeader::default()
        };
        let wire = encode_to_bytes(&Batch::from_raw_parts(h, bomb.clone()), 0).unwrap();
        let batch = decode_batch(wire).unwrap();
        assert_eq!(
            batch.records_with_limit(LIMIT),
            Err(DecodeError::DecompressedTooLarge { limit: LIMIT }),
            "{codec}"
        );
    }
}

#[test]
fn record_set_partial_tails() {
    let mut a = Batch::from_records(sample_records(3), Compression::None, 0).unwrap();
    a.set_base_offset(0);
    let mut b = Batch::from_records(sample_records(4), Compression::Lz4, 0).unwrap();
    b.set_base_offset(3);
    let full = RecordSet::from_batches(vec![a.clone(), b.clone()]);
    let wire = encode_to_bytes(&full, 0).unwrap();
    let back: RecordSet = decode_exact(wire.clone(), 0, "set").unwrap();
    assert_eq!(back, full);
    assert_eq!((back.next_offset(), back.total_records()), (Some(7), 7));

    // Cut the set at every possible length inside the second batch.
    let first = 4 + a.encoded_size();
    for cut in first..wire.len() {
        let mut cut_wire = BytesMut::new();
        cut_wire.put_i32((cut - 4) as i32);
        cut_wire.extend_from_slice(&wire[4..cut]);
        let cut_wire = cut_wire.freeze();
        let set: RecordSet = decode_exact(cut_wire.clone(), 0, "set").unwrap();
        assert_eq!(set.batches(), &[a.clone()][..]);
        assert_eq!(set.next_offset(), Some(3));
        let partial = set.partial();
        if cut == first {
            assert!(partial.is_none());
        } else {
            let p = partial.unwrap();
            assert_eq!(p.bytes.len(), cut - first);
            assert_eq!(p.base_offset, (cut - first >= 8).then_some(3));
            let lod_known = cut - first >= 27;
            assert_eq!(p.last_offset_delta(), lod_known.then_some(3));
            assert_eq!(p.next_offset(), lod_known.then_some(7));
        }
        assert_eq!(encode_to_bytes(&set, 0).unwrap(), cut_wire, "cut {cut}");
    }
    // A set holding only a cut batch.
    let mut only = BytesMut::new();
    only.put_i32(20);
    only.extend_from_slice(&wire[4..24]);
    let set: RecordSet = decode_exact(only.freeze(), 0, "set").unwrap();
    assert!(set.is_empty() && set.next_offset().is_none());
    assert_eq!(set.partial().unwrap().base_offset, Some(0));
}

#[test]
fn record_set_hostile() {
    let set = |b: &[u8]| RecordSet::decode(&mut Reader::new(Bytes::copy_from_slice(b)), 0);
    // Negative or oversized total length.
    assert!(matches!(
        set(&[0xff, 0xff, 0xff, 0xff]),
        Err(DecodeError::InvalidLength { .. })
    ));
    assert!(matches!(
        set(&[0x7f, 0, 0, 0, 1]),
        Err(DecodeError::InvalidLength { .. })
    ));
    // Empty set.
    assert_eq!(set(&[0, 0, 0, 0]).unwrap(), RecordSet::default());
    // A tail whose batch_len is implausible is an error, not a partial batch.
    let mut bad = vec![0, 0, 0, 12];
    bad.extend_from_slice(&[0; 8]);
    bad.extend_from_slice(&(-7i32).to_be_bytes());
    assert!(matches!(
        set(&bad),
        Err(DecodeError::InvalidLength { len: -7, .. })
    ));
    // A complete batch with a bad CRC is an error, even as the last batch.
    let mut wire = encode_to_bytes(
        &RecordSet::from_batches(vec![
            Batch::from_records(sample_records(2), Compression::None, 0).unwrap(),
        ]),
        0,
    )
    .unwrap()
    .to_vec();
    let last = wire.len() - 2;
    wire[last] ^= 0xff;
    assert!(matches!(set(&wire), Err(DecodeError::CrcMismatch { .. })));
}

#[test]
fn decoded_batches_are_slices_of_the_frame() {
    let set = RecordSet::from_batches(vec![
        Batch::from_records(sample_records(3), Compression::None, 0).unwrap(),
    ]);
    let wire = encode_to_bytes(&set, 0).unwrap();
    let back: RecordSet = decode_exact(wire.clone(), 0, "set").unwrap();
    let range = wire.as_ptr_range();
    let batch = &back.batches()[0];
    assert!(range.contains(&batch.raw_records().as_ptr()));
    for r in batch.records().unwrap() {
        assert!(range.contains(&r.value.as_ptr()));
    }
}

/// A record written field by field with the general varint writer: the reference for
/// the builder's one-store head.
fn reference_record(attributes: i8, ts: i64, off: i64, value: &[u8]) -> Vec<u8> {
    let mut body = BytesMut::new();
    body.put_i8(attributes);
    varint::encode(&mut body, ts);
    varint::encode(&mut body, off);
    body.put_u8(0);
    varint::encode(&mut body, value.len() as i64);
    body.put_slice(value);
    varint::encode(&mut body, 0);
    let mut out = BytesMut::new();
    varint::encode(&mut out, body.len() as i64);
    out.put_slice(&body);
    out.to_vec()
}

#[test]
fn record_heads_match_the_field_by_field_encoding_at_every_varint_boundary() {
    // One- and two-byte varints and the values past them (which take the general path).
    let deltas = [
        0i64,
        1,
        -1,
        63,
        -64,
        64,
        -65,
        8191,
        -8192,
        8192,
        -8193,
        1 << 40,
    ];
    let lens = [
        0usize, 1, 56, 57, 63, 64, 127, 128, 8170, 8171, 8191, 8192, 16360, 16384,
    ];
    for &ts in &deltas {
        for &off in &deltas {
            for &len in &lens {
                let value: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                for attributes in [0i8, -3] {
                    let record = Record {
                        attributes,
                        timestamp_delta: ts,
                        offset_delta: off,
                        value: value.clone().into(),
                        ..Record::default()
                    };
                    let got = encode_to_bytes(&record, 0).unwrap();
                    let want = reference_record(attributes, ts, off, &value);
                    assert_eq!(&got[..], &want[..], "ts {ts} off {off} len {len}");
                    assert_eq!(record.encoded_size(), want.len());
                }
            }
        }
    }
}

#[test]
fn stamped_batches_keep_producer_id_epoch_and_sequence() {
    for codec in ALL_COMPRESSIONS {
        let mut b = BatchBuilder::new(codec, 1_700_000_000_000);
        b.set_producer(0x1122_3344_5566_7788, 7, 1000);
        for r in sample_records(5) {
            b.push(r).unwrap();
        }
        let mut wire = BytesMut::new();
        let mut again = b.clone();
        again.encode_into(&mut wire).unwrap();
        let batch = b.build().unwrap();
        assert_eq!(
            encode_to_bytes(&batch, 0).unwrap(),
            wire.freeze(),
            "{codec}"
        );
        // Decoding verifies the CRC over the stamped header.
        let back = decode_batch(encode_to_bytes(&batch, 0).unwrap()).unwrap();
        let h = back.header();
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.first_sequence),
            (0x1122_3344_5566_7788, 7, 1000),
            "{codec}"
        );
        assert_eq!(back.records().unwrap().len(), 5);
    }
}
