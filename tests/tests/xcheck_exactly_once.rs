//! Wire cross-check of exactly-once produce (issue 15) against the upstream crates: the
//! stamped produce request an exactly-once producer sends decodes with
//! `fluvio-spu-schema` with the producer id, epoch 0 and the sequences intact (and its
//! records readable), the read-back Fetch request decodes there too, and a Fetch
//! response of stamped batches encoded by upstream decodes with flv's codec with the
//! same header fields (what the read-back looks at).

use std::io::Cursor;
use std::time::Duration;

use bytes::Bytes;
use fluvio_protocol::Encoder as _;
use fluvio_protocol::api::Request as _;
use fluvio_protocol::record::{RawRecords, RecordSet as URecordSet};
use fluvio_spu_schema::{fetch as up_fetch, produce as up_produce};
use flv_core::codec::{Version, decode_exact, encode_to_bytes};
use flv_core::record::{BatchBuilder, Compression, Record, RecordSet};
use flv_core::spu as ours;

const ID: i64 = 0x1122_3344_5566_7788;

/// Three batches of `n` records each, stamped as a producer stamps them.
fn stamped(codec: Compression, n: usize) -> Vec<flv_core::record::Batch> {
    (0..3)
        .map(|seq| {
            let mut b = BatchBuilder::new(codec, 1_700_000_000_000);
            b.set_producer(ID, 0, seq);
            for i in 0..n {
                b.push(Record {
                    value: Bytes::from(format!("v{seq}-{i}")),
                    offset_delta: i as i64,
                    ..Record::default()
                })
                .unwrap();
            }
            b.build().unwrap()
        })
        .collect()
}

fn up_decode<T: fluvio_protocol::Decoder + Default>(bytes: &[u8], version: Version) -> T {
    let mut cursor = Cursor::new(bytes);
    let v = T::decode_from(&mut cursor, version).expect("upstream decodes");
    assert_eq!(cursor.position() as usize, bytes.len(), "upstream read all");
    v
}

#[test]
fn stamped_produce_requests_decode_upstream() {
    let version = up_produce::DefaultProduceRequest::DEFAULT_API_VERSION;
    for codec in [Compression::None, Compression::Gzip, Compression::Lz4] {
        let req = ours::ProduceRequest {
            transactional_id: None,
            isolation: ours::Isolation::ReadCommitted,
            timeout: Duration::from_millis(1500),
            topics: vec![ours::TopicProduceData {
                name: "eo".into(),
                partitions: stamped(codec, 4)
                    .into_iter()
                    .map(|b| ours::PartitionProduceData {
                        partition_index: 0,
                        records: RecordSet::from_batches(vec![b]),
                    })
                    .collect(),
            }],
            smartmodules: Vec::new(),
        };
        let bytes = encode_to_bytes(&req, version).unwrap();
        let up: up_produce::DefaultProduceRequest = up_decode(&bytes, version);
        let parts = &up.topics[0].partitions;
        assert_eq!(parts.len(), 3);
        for (seq, p) in parts.iter().enumerate() {
            let batch = &p.records.batches[0];
            let h = &batch.header;
            assert_eq!(
                (h.producer_id, h.producer_epoch, h.first_sequence),
                (ID, 0, seq as i32),
                "{codec:?}"
            );
            let records = batch.memory_records().expect("upstream reads the records");
            assert_eq!(records.len(), 4);
            assert_eq!(records[3].value().as_ref(), format!("v{seq}-3").as_bytes());
        }
    }
}

#[test]
fn read_back_fetch_decodes_both_ways() {
    let version = up_fetch::DefaultFetchRequest::DEFAULT_API_VERSION;
    let req = ours::FetchRequest {
        max_wait: 0,
        min_bytes: 0,
        max_bytes: 1 << 20,
        isolation_level: ours::Isolation::ReadUncommitted,
        topics: vec![ours::FetchableTopic {
            name: "eo".into(),
            fetch_partitions: vec![ours::FetchPartition {
                partition_index: 0,
                current_leader_epoch: -1,
                fetch_offset: 42,
                log_start_offset: -1,
                max_bytes: 1 << 20,
            }],
        }],
        forgotten: Vec::new(),
    };
    let bytes = encode_to_bytes(&req, version).unwrap();
    let up: up_fetch::FetchRequest<URecordSet<RawRecords>> = up_decode(&bytes, version);
    assert_eq!(up.topics[0].fetch_partitions[0].fetch_offset, 42);

    // A response of stamped batches, as upstream encodes it (offsets given by the log).
    let mut batches = stamped(Compression::None, 5);
    for (i, b) in batches.iter_mut().enumerate() {
        b.set_base_offset(100 + 5 * i as i64);
    }
    let resp = ours::FetchResponse {
        topics: vec![ours::FetchableTopicResponse {
            name: "eo".into(),
            partitions: vec![ours::FetchablePartitionResponse {
                partition_index: 0,
                high_watermark: 115,
                records: RecordSet::from_batches(batches),
                ..Default::default()
            }],
        }],
        ..Default::default()
    };
    let ours_bytes = encode_to_bytes(&resp, version).unwrap();
    let up: up_fetch::FetchResponse<URecordSet<RawRecords>> = up_decode(&ours_bytes, version);
    let mut up_bytes = Vec::new();
    up.encode(&mut up_bytes, version).unwrap();
    assert_eq!(
        up_bytes,
        ours_bytes.to_vec(),
        "upstream re-encodes the same bytes"
    );
    let back: ours::FetchResponse = decode_exact(Bytes::from(up_bytes), version, "fetch").unwrap();
    let p = back.find_partition("eo", 0).unwrap();
    let headers: Vec<_> = p
        .records
        .batches
        .iter()
        .map(|b| {
            let h = b.header();
            (
                b.base_offset(),
                h.producer_id,
                h.producer_epoch,
                h.first_sequence,
            )
        })
        .collect();
    assert_eq!(
        headers,
        vec![(100, ID, 0, 0), (105, ID, 0, 1), (110, ID, 0, 2)]
    );
}
