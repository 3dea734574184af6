//! Workloads shared by `benches/codec.rs` and `examples/codec_report.rs`.
//!
//! One batch of about 1 MiB of uncompressed records (all values `record_size` bytes,
//! no key), its wire form, and the produce / stream-fetch frames that carry it.

#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use flv_core::codec::{Decode, Encode, Reader};
use flv_core::header::RequestHeader;
use flv_core::message::{AnyRequest, AnyResponse, RequestFrame, ResponseFrame, ServerKind};
use flv_core::record::{Batch, BatchBuilder, Compression, Record, RecordSet};
use flv_core::spu::api_key;
use flv_core::spu::{
    FetchablePartitionResponse, PartitionProduceData, ProduceRequest, StreamFetchResponse,
    TopicProduceData,
};

/// Target size of a batch: 1 MiB.
pub(crate) const BATCH_BYTES: usize = 1 << 20;
/// First timestamp of every batch.
pub(crate) const FIRST_TS: i64 = 1_700_000_000_000;
/// Version of the produce and stream-fetch frames (what the official client sends).
pub(crate) const VERSION: i16 = 25;

/// Records of `record_size`-byte values filling about [`BATCH_BYTES`].
pub(crate) struct Workload {
    /// Value size in bytes.
    pub record_size: usize,
    /// The records to produce.
    pub records: Vec<Record>,
    /// The encoded batch.
    pub batch: Bytes,
    /// The batch as a record set (`i32` length then the batch).
    pub set: Bytes,
    /// A produce request carrying the batch.
    pub produce: RequestFrame,
    /// The payload (after the length prefix) of a stream-fetch response carrying it.
    pub fetch_payload: Bytes,
}

impl Workload {
    /// Builds the records and their wire forms.
    pub(crate) fn new(record_size: usize) -> Self {
        let n = BATCH_BYTES / record_size;
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let records = (0..n)
            .map(|i| {
                let value: Vec<u8> = (0..record_size)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        seed as u8
                    })
                    .collect();
                let mut r = Record::new(value);
                r.timestamp_delta = i as i64 / 16;
                r
            })
            .collect::<Vec<_>>();
        let mut enc = Encoder::default();
        let mut out = BytesMut::new();
        encode(&records, &mut enc, &mut out);
        let batch = out.split().freeze();
        let mut set = BytesMut::new();
        set.extend_from_slice(&(batch.len() as i32).to_be_bytes());
        set.extend_from_slice(&batch);
        let set = set.freeze();
        let decoded: RecordSet = RecordSet::decode(&mut Reader::new(set.clone()), 0).unwrap();

        let produce = RequestFrame {
            header: RequestHeader {
                api_key: api_key::PRODUCE,
                api_version: VERSION,
                correlation_id: 7,
                client_id: "flv-bench".into(),
            },
            body: AnyRequest::Produce(ProduceRequest {
                topics: vec![TopicProduceData {
                    name: "bench".into(),
                    partitions: vec![PartitionProduceData {
                        partition_index: 0,
                        records: decoded.clone(),
                    }],
                }],
                ..ProduceRequest::default()
            }),
        };
        let response = ResponseFrame {
            header: flv_core::header::ResponseHeader { correlation_id: 7 },
            body: AnyResponse::StreamFetch(StreamFetchResponse {
                topic: "bench".into(),
                stream_id: 1,
                partition: FetchablePartitionResponse {
                    high_watermark: decoded.next_offset().unwrap_or(0),
                    records: decoded,
                    ..FetchablePartitionResponse::default()
                },
            }),
        };
        let mut frame = BytesMut::new();
        response.encode(&mut frame, VERSION).unwrap();
        let fetch_payload = frame.freeze().slice(4..);
        Self {
            record_size,
            records,
            batch,
            set,
            produce,
            fetch_payload,
        }
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Bytes of the encoded batch.
    pub(crate) fn batch_bytes(&self) -> usize {
        self.batch.len()
    }

    /// Encodes every record into one wire batch in `out` (cleared first).
    pub(crate) fn encode(&self, enc: &mut Encoder, out: &mut BytesMut) {
        encode(&self.records, enc, out);
    }

    /// Encodes every record into a [`Batch`] without copying the builder's bytes.
    pub(crate) fn encode_take(&self, enc: &mut Encoder) -> Batch {
        encode_take(&self.records, enc)
    }

    /// The previous producer path (see [`encode_owned`]).
    pub(crate) fn encode_owned(&self, out: &mut BytesMut) {
        encode_owned(&self.records, out);
    }

    /// Decodes the record set (CRC verified) and every record; returns the value bytes seen.
    pub(crate) fn decode(&self) -> usize {
        decode_set(self.set.clone())
    }

    /// Decodes the record set and collects the records of each batch.
    pub(crate) fn decode_collect(&self) -> usize {
        decode_set_collect(self.set.clone())
    }

    /// Encodes the whole produce request frame into `out` (cleared first).
    pub(crate) fn encode_produce_frame(&self, out: &mut BytesMut) {
        out.clear();
        self.produce.encode(out).unwrap();
    }

    /// Decodes the stream-fetch response frame and every record; returns the value bytes.
    pub(crate) fn decode_fetch_frame(&self) -> usize {
        let frame = ResponseFrame::decode(
            ServerKind::Spu,
            api_key::STREAM_FETCH,
            VERSION,
            self.fetch_payload.clone(),
        )
        .unwrap();
        let AnyResponse::StreamFetch(resp) = frame.body else {
            unreachable!("a stream fetch response")
        };
        let mut total = 0;
        for b in resp.partition.records.batches() {
            total += values_len(b);
        }
        total
    }
}

/// Reusable encoder state: a builder that keeps its buffer between batches.
pub(crate) struct Encoder {
    builder: BatchBuilder,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            builder: BatchBuilder::with_capacity(Compression::None, FIRST_TS, 2 * BATCH_BYTES),
        }
    }
}

/// Encodes `records` into one wire batch appended to `out` (cleared first), with the
/// reused builder: keys and values are copied once into the builder, the CRC computed
/// in one pass, and the batch copied to `out`.
pub(crate) fn encode(records: &[Record], enc: &mut Encoder, out: &mut BytesMut) {
    out.clear();
    let b = &mut enc.builder;
    b.reset(FIRST_TS);
    for r in records {
        b.push_slices(r.key.as_deref(), &r.value, r.timestamp_delta)
            .unwrap();
    }
    b.encode_into(out).unwrap();
}

/// Encodes `records` into a [`Batch`] that takes the builder's bytes without a copy
/// (the builder reclaims them when the batch is dropped).
pub(crate) fn encode_take(records: &[Record], enc: &mut Encoder) -> Batch {
    let b = &mut enc.builder;
    b.reset(FIRST_TS);
    for r in records {
        b.push_slices(r.key.as_deref(), &r.value, r.timestamp_delta)
            .unwrap();
    }
    b.take().unwrap()
}

/// The previous producer path: a fresh builder, `push` of owned records, `build`, then
/// the batch encoded into `out` (cleared first).
pub(crate) fn encode_owned(records: &[Record], out: &mut BytesMut) {
    out.clear();
    let mut b = BatchBuilder::new(Compression::None, FIRST_TS);
    for r in records {
        b.push(r.clone()).unwrap();
    }
    b.build().unwrap().encode(out, 0).unwrap();
}

/// Decodes a record set and every record of it; returns the value bytes seen.
pub(crate) fn decode_set(set: Bytes) -> usize {
    let set = RecordSet::decode(&mut Reader::new(set), 0).unwrap();
    let mut total = 0;
    for b in set.batches() {
        total += values_len(b);
    }
    total
}

/// Decodes every record of `batch` without collecting them; returns the value bytes seen.
fn values_len(batch: &Batch) -> usize {
    batch
        .iter_records()
        .unwrap()
        .map(|r| r.unwrap().value.len())
        .sum()
}

/// Decodes a record set and collects every batch's records with [`Batch::records`].
pub(crate) fn decode_set_collect(set: Bytes) -> usize {
    let set = RecordSet::decode(&mut Reader::new(set), 0).unwrap();
    let mut total = 0;
    for b in set.batches() {
        total += b
            .records()
            .unwrap()
            .iter()
            .map(|r| r.value.len())
            .sum::<usize>();
    }
    total
}
