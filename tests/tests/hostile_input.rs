//! Hostile input at the message level: every case is a typed error, never a panic, a
//! hang or an allocation sized by the attacker.

use bytes::{Bytes, BytesMut};
use flv_core::codec::{Decode, DecodeError, Encode, Reader};
use flv_core::frame::{FrameDecoder, FrameError};
use flv_core::message::{RequestFrame, ResponseFrame, ServerKind};
use flv_core::record::{BatchBuilder, Compression, Record, RecordSet};
use flv_core::trace::{Direction, Trace};

fn trace(name: &str) -> Trace {
    let text = std::fs::read_to_string(flv_tests::traces_dir().join(name)).expect("trace");
    Trace::parse(&text).expect("parse")
}

/// The first request of `name` sent to a server of `kind` with api key `key`.
fn request_payload(name: &str, key: u16) -> (ServerKind, Bytes) {
    let t = trace(name);
    for f in t.frames.iter().filter(|f| f.dir == Direction::ToServer) {
        let server = match t.connections[&f.conn] {
            flv_core::trace::Peer::Sc => ServerKind::Sc,
            flv_core::trace::Peer::Spu(_) => ServerKind::Spu,
        };
        let payload = f.payload();
        if payload.get(..2) == Some(&key.to_be_bytes()[..]) {
            return (server, payload);
        }
    }
    panic!("no request {key} in {name}");
}

#[test]
fn every_truncation_of_real_requests_is_an_error() {
    for (name, key) in [
        ("produce-gzip.trace", 0u16),
        ("consume-beginning.trace", 1003),
        ("admin-create-topic-replicated.trace", 1001),
        ("consumer-offsets-commit.trace", 1006),
    ] {
        let (server, payload) = request_payload(name, key);
        RequestFrame::decode(server, payload.clone()).expect("whole frame decodes");
        for cut in 0..payload.len() {
            let err = RequestFrame::decode(server, payload.slice(..cut))
                .expect_err("a truncated request must not decode");
            assert!(
                matches!(
                    err,
                    DecodeError::UnexpectedEof { .. }
                        | DecodeError::InvalidLength { .. }
                        | DecodeError::InvalidValue { .. }
                ),
                "{name} cut at {cut}: {err:?}"
            );
        }
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    let (server, payload) = request_payload("admin-list.trace", 1003);
    let mut long = BytesMut::from(&payload[..]);
    long.extend_from_slice(&[0]);
    assert!(matches!(
        RequestFrame::decode(server, long.freeze()),
        Err(DecodeError::TrailingBytes { .. } | DecodeError::InvalidValue { .. })
    ));
}

#[test]
fn huge_and_negative_frame_lengths() {
    let mut d = FrameDecoder::new(1 << 20);
    d.handle_bytes(&[0x40, 0, 0, 0]);
    assert_eq!(
        d.poll_frame(),
        Err(FrameError::TooLarge {
            len: 1 << 30,
            max: 1 << 20
        })
    );
    assert_eq!(d.buffered(), 0, "nothing buffered for a refused frame");
    let mut d = FrameDecoder::new(1 << 20);
    d.handle_bytes(&[0x80, 0, 0, 1]);
    assert!(matches!(d.poll_frame(), Err(FrameError::NegativeLength(_))));
}

#[test]
fn huge_counts_inside_a_frame_are_refused_before_allocating() {
    // A List request whose object buffer claims 2 GiB.
    let (server, payload) = request_payload("admin-list.trace", 1003);
    let mut bad = BytesMut::from(&payload[..]);
    // header: key(2) version(2) corr(4) client_id(2+n); then label string then u32 length.
    let client_len = u16::from_be_bytes([bad[8], bad[9]]) as usize;
    let label_at = 10 + client_len;
    let label_len = u16::from_be_bytes([bad[label_at], bad[label_at + 1]]) as usize;
    let len_at = label_at + 2 + label_len;
    bad[len_at..len_at + 4].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
    let err = RequestFrame::decode(server, bad.freeze()).expect_err("must fail");
    assert!(
        matches!(
            err,
            DecodeError::InvalidLength { .. } | DecodeError::UnexpectedEof { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn unknown_api_keys_and_versions() {
    let (server, payload) = request_payload("admin-list.trace", 1003);
    let mut unknown = BytesMut::from(&payload[..]);
    unknown[..2].copy_from_slice(&999u16.to_be_bytes());
    assert_eq!(
        RequestFrame::decode(server, unknown.freeze()),
        Err(DecodeError::UnknownApiKey(999))
    );
    for version in [-1i16, 14, 20, i16::MAX] {
        let mut v = BytesMut::from(&payload[..]);
        v[2..4].copy_from_slice(&version.to_be_bytes());
        assert_eq!(
            RequestFrame::decode(server, v.freeze()),
            Err(DecodeError::UnsupportedVersion {
                api_key: 1003,
                version
            })
        );
    }
    // SPU api keys are not SC api keys: Produce (0) sent to the SC.
    let (_, produce) = request_payload("produce-basic.trace", 0);
    assert_eq!(
        RequestFrame::decode(ServerKind::Sc, produce),
        Err(DecodeError::UnknownApiKey(0))
    );
    assert!(matches!(
        ResponseFrame::decode(ServerKind::Spu, 4242, 0, Bytes::from_static(&[0, 0, 0, 1])),
        Err(DecodeError::UnknownApiKey(4242))
    ));
}

#[test]
fn bad_utf8_in_strings() {
    let (server, payload) = request_payload("admin-list.trace", 1003);
    let mut bad = BytesMut::from(&payload[..]);
    // The client id "fluvio" starts at byte 10.
    bad[10] = 0xff;
    assert!(matches!(
        RequestFrame::decode(server, bad.freeze()),
        Err(DecodeError::InvalidUtf8 { .. })
    ));
}

#[test]
fn bad_crc_and_overlong_varints_in_records() {
    let mut b = BatchBuilder::new(Compression::None, 0);
    b.push(Record::new(Bytes::from_static(b"hello"))).unwrap();
    let set = RecordSet::from_batches(vec![b.build().unwrap()]);
    let mut good = BytesMut::new();
    set.encode(&mut good, 25).unwrap();
    RecordSet::decode(&mut Reader::new(good.clone().freeze()), 25).expect("valid set");

    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x55;
    assert!(matches!(
        RecordSet::decode(&mut Reader::new(bad_crc.freeze()), 25),
        Err(DecodeError::CrcMismatch { .. })
    ));

    // A record whose length varint never ends (CRC fixed up so only the varint is wrong).
    let mut b = BatchBuilder::new(Compression::None, 0);
    b.push(Record::new(Bytes::from_static(&[0x80; 16])))
        .unwrap();
    let batch = b.build().unwrap();
    let mut raw = BytesMut::from(&batch.raw_records()[..]);
    // raw = u32 count, then the record: overwrite from its length varint on with 0x80s.
    for byte in raw[4..].iter_mut() {
        *byte = 0x80;
    }
    let forged = flv_core::record::Batch::from_raw_parts(batch.header().clone(), raw.freeze());
    let err = forged.records().expect_err("overlong varint");
    assert!(
        matches!(
            err,
            DecodeError::VarintTooLong { .. } | DecodeError::UnexpectedEof { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn decompression_bombs_are_refused() {
    let zeros = vec![0u8; 8 << 20];
    for codec in [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut b = BatchBuilder::new(codec, 0);
        b.push(Record::new(Bytes::from(zeros.clone()))).unwrap();
        let batch = b.build().unwrap();
        assert!(
            batch.encoded_size() < zeros.len() / 10,
            "{codec:?} compresses zeros"
        );
        let err = batch.records_with_limit(1 << 20).expect_err("bomb");
        assert_eq!(
            err,
            DecodeError::DecompressedTooLarge { limit: 1 << 20 },
            "{codec:?}"
        );
    }
}
