//! The fast paths: reused builders, slice pushes, record iteration and the record
//! parser give exactly what the plain paths give.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use crate::protocol::codec::{Decode, DecodeError, Encode, Reader, encode_to_bytes};
use crate::protocol::record::{
    ALL_COMPRESSIONS, Batch, BatchBuilder, Compression, Record, RecordIter,
};
use crate::testkit::sample_records;

/// What `BatchBuilder::new` + `push` + `build` + `encode` write for `records`.
fn reference_wire(records: &[Record], codec: Compression, ts: i64) -> Bytes {
    let batch = Batch::from_records(records.to_vec(), codec, ts).unwrap();
    encode_to_bytes(&batch, 0).unwrap()
}

#[test]
fn push_slices_writes_what_push_writes() {
    let records = sample_records(40);
    let mut b = BatchBuilder::new(Compression::None, 9);
    for (i, r) in records.iter().enumerate() {
        let predicted = b.encoded_size_with(r);
        let index = b
            .push_slices(r.key.as_deref(), &r.value, r.timestamp_delta)
            .unwrap();
        assert_eq!(index, i as i64);
        assert_eq!(b.encoded_size(), predicted);
    }
    let wire = encode_to_bytes(&b.build().unwrap(), 0).unwrap();
    assert_eq!(wire, reference_wire(&records, Compression::None, 9));
}

#[test]
fn reused_builders_write_identical_batches() {
    for codec in ALL_COMPRESSIONS {
        let mut b = BatchBuilder::with_capacity(codec, 0, 1 << 12);
        let mut out = BytesMut::new();
        for round in 0..4_usize {
            let records = sample_records(5 + 7 * round);
            let ts = 1_000 + round as i64;
            b.reset(ts);
            for r in &records {
                b.push(r.clone()).unwrap();
            }
            let expected = reference_wire(&records, codec, ts);
            out.clear();
            assert_eq!(b.encode_into(&mut out).unwrap(), expected.len());
            assert_eq!(&out[..], &expected[..], "{codec} encode_into round {round}");
            assert!(b.is_empty());

            for r in &records {
                b.push(r.clone()).unwrap();
            }
            let taken = b.take().unwrap();
            assert_eq!(
                encode_to_bytes(&taken, 0).unwrap(),
                expected,
                "{codec} take"
            );
        }
    }
}

#[test]
fn taken_batches_survive_the_builder_going_on() {
    let mut b = BatchBuilder::with_capacity(Compression::None, 3, 1 << 10);
    let mut kept = Vec::new();
    for round in 0..6_usize {
        // Without reset: the next batch goes into the rest of the buffer. With it: the
        // buffer is reclaimed only if no batch holds it (here they all stay alive).
        if round % 2 == 0 {
            b.reset(3);
        }
        let records = sample_records(3 + round * 11);
        for r in &records {
            b.push(r.clone()).unwrap();
        }
        kept.push((b.take().unwrap(), records));
    }
    for (batch, records) in &kept {
        let wire = encode_to_bytes(batch, 0).unwrap();
        assert_eq!(wire, reference_wire(records, Compression::None, 3));
        let back: Vec<_> = batch.iter_records().unwrap().map(Result::unwrap).collect();
        assert_eq!(back.len(), records.len());
    }
}

#[test]
fn an_empty_take_is_an_empty_batch() {
    let mut b = BatchBuilder::new(Compression::None, 4);
    let empty = b.take().unwrap();
    assert_eq!(
        encode_to_bytes(&empty, 0).unwrap(),
        reference_wire(&[], Compression::None, 4)
    );
    assert_eq!(empty.iter_records().unwrap().count(), 0);
}

#[test]
fn iter_records_yields_what_records_collects() {
    for codec in ALL_COMPRESSIONS {
        let batch = Batch::from_records(sample_records(30), codec, 0).unwrap();
        let iter = batch.iter_records().unwrap();
        assert_eq!(iter.remaining(), 30);
        assert_eq!(iter.size_hint(), (1, Some(31)));
        let all: Vec<Record> = iter.map(Result::unwrap).collect();
        assert_eq!(all, batch.records().unwrap(), "{codec}");
    }
}

/// A batch with `count` announced and `section` (after the count) as its records.
fn forged(count: i32, section: &[u8]) -> Batch {
    let mut raw = count.to_be_bytes().to_vec();
    raw.extend_from_slice(section);
    let header = crate::protocol::record::BatchHeader {
        last_offset_delta: count - 1,
        ..Default::default()
    };
    Batch::from_raw_parts(header, Bytes::from(raw))
}

#[test]
fn iteration_errors_once_then_ends() {
    let rec = encode_to_bytes(&Record::new(&b"abc"[..]), 0).unwrap();
    // Trailing bytes: both records, then the error, then nothing.
    let batch = forged(2, &[&rec[..], &rec[..], &[7, 7]].concat());
    let mut it = batch.iter_records().unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_ok());
    assert!(matches!(
        it.next(),
        Some(Err(DecodeError::TrailingBytes {
            what: "record batch records",
            remaining: 2
        }))
    ));
    assert!(it.next().is_none());
    assert_eq!(it.size_hint(), (0, Some(0)));
    assert!(matches!(
        batch.records(),
        Err(DecodeError::TrailingBytes { .. })
    ));
    // A bad second record: one record, the error, then nothing though one is left.
    let batch = forged(3, &[&rec[..], &[0x02, 0][..], &rec[..]].concat());
    let mut it: RecordIter = batch.iter_records().unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
    assert_eq!(it.remaining(), 0);
}

#[test]
fn default_and_forged_batches_still_get_their_crc_computed() {
    // `Default` has no CRC or length: encoding computes them, so the wire decodes.
    let wire = encode_to_bytes(&Batch::default(), 0).unwrap();
    let back: Batch = crate::protocol::codec::decode_exact(wire.clone(), 0, "batch").unwrap();
    assert_eq!(encode_to_bytes(&back, 0).unwrap(), wire);
}

/// The record parser as it was, on a `Reader`: the fast one must agree with it on every
/// input, errors included.
fn reference_decode(src: &mut Reader) -> Result<Record, DecodeError> {
    fn varint_bytes(src: &mut Reader, what: &'static str) -> Result<Bytes, DecodeError> {
        let len = src.varint()?;
        let n = usize::try_from(len).map_err(|_| DecodeError::InvalidLength { what, len })?;
        src.bytes(what, n)
    }
    let mut body = Reader::new(varint_bytes(src, "record")?);
    let attributes = body.i8()?;
    let timestamp_delta = body.varint()?;
    let offset_delta = body.varint()?;
    let key = if body.bool()? {
        Some(varint_bytes(&mut body, "record key")?)
    } else {
        None
    };
    let value = varint_bytes(&mut body, "record value")?;
    let headers = body.varint()?;
    body.expect_end("record")?;
    Ok(Record {
        attributes,
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers,
    })
}

proptest! {
    #[test]
    fn record_parser_agrees_with_the_reference(
        key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        value in proptest::collection::vec(any::<u8>(), 0..300),
        deltas in (any::<i64>(), any::<i64>(), -3i64..3),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in any::<usize>(),
    ) {
        let record = Record {
            attributes: 0,
            timestamp_delta: deltas.0,
            offset_delta: deltas.1,
            key: key.map(Bytes::from),
            value: Bytes::from(value),
            headers: deltas.2,
        };
        let mut wire = BytesMut::new();
        record.encode(&mut wire, 0).unwrap();
        prop_assert_eq!(wire.len(), record.encoded_size());
        // Corrupt a few bytes and cut the end off, sometimes.
        for (at, byte) in &edits {
            let n = wire.len();
            wire[at % n] = *byte;
        }
        let keep = if cut % 3 == 0 { cut % (wire.len() + 1) } else { wire.len() };
        let wire = wire.freeze().slice(..keep);

        let mut ours = Reader::new(wire.clone());
        let mut theirs = Reader::new(wire);
        let a = Record::decode(&mut ours, 0);
        let b = reference_decode(&mut theirs);
        prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
        // (After an error the reader's position is unspecified: decoding stops.)
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a, b);
            prop_assert_eq!(ours.remaining(), theirs.remaining());
        }
    }

    #[test]
    fn fast_encoder_writes_what_the_codec_varints_write(
        key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        value in proptest::collection::vec(any::<u8>(), 0..300),
        attributes in any::<i8>(),
        deltas in (
            prop_oneof![any::<i64>(), -10_000i64..10_000],
            prop_oneof![any::<i64>(), -10_000i64..10_000],
            prop_oneof![any::<i64>(), -100i64..100],
        ),
    ) {
        use bytes::BufMut;
        use crate::protocol::codec::varint;
        let record = Record {
            attributes,
            timestamp_delta: deltas.0,
            offset_delta: deltas.1,
            key: key.clone().map(Bytes::from),
            value: Bytes::from(value.clone()),
            headers: deltas.2,
        };
        let mut body = Vec::new();
        body.put_i8(attributes);
        varint::encode(&mut body, deltas.0);
        varint::encode(&mut body, deltas.1);
        match &key {
            None => body.put_u8(0),
            Some(k) => {
                body.put_u8(1);
                varint::encode(&mut body, k.len() as i64);
                body.extend_from_slice(k);
            }
        }
        varint::encode(&mut body, value.len() as i64);
        body.extend_from_slice(&value);
        varint::encode(&mut body, deltas.2);
        let mut expected = Vec::new();
        varint::encode(&mut expected, body.len() as i64);
        expected.extend_from_slice(&body);
        prop_assert_eq!(&encode_to_bytes(&record, 0).unwrap()[..], &expected[..]);
    }
}

#[test]
fn running_crc_equals_the_crc_of_the_whole_batch() {
    // Records are added to the CRC by chunks while they are pushed: whatever the sizes
    // (below, at and across the chunk size, reused builders too), the batch carries the
    // CRC-32C of its bytes from the attributes on, computed here in one pass.
    let mut b = BatchBuilder::with_capacity(Compression::None, 5, 1 << 14);
    let mut out = BytesMut::new();
    for (n, size) in [
        (0, 0),
        (1, 10),
        (3, 3000),
        (9, 1000),
        (40, 1024),
        (7, 9000),
        (200, 97),
    ] {
        for take in [true, false] {
            for i in 0..n {
                let value = vec![u8::try_from((i * 31 + size) % 251).unwrap(); size];
                b.push_slices(None, &value, i64::try_from(i).unwrap())
                    .unwrap();
            }
            let wire = if take {
                encode_to_bytes(&b.take().unwrap(), 0).unwrap()
            } else {
                out.clear();
                b.encode_into(&mut out).unwrap();
                out.clone().freeze()
            };
            let stored = u32::from_be_bytes(wire[17..21].try_into().unwrap());
            assert_eq!(
                stored,
                crate::protocol::record::crc::crc32c(&wire[21..]),
                "{n} records of {size} bytes (take: {take})"
            );
            let back: Batch =
                crate::protocol::codec::decode_exact(wire.clone(), 0, "batch").unwrap();
            assert_eq!(back.records_count(), n);
        }
    }
}
