//! Codec benchmarks: record batches of about 1 MiB (1 KiB and 100 B records) encoded
//! and decoded with CRC-32C, next to a memcpy of the same bytes in the same run.
//!
//! `cargo bench -p flv-core --bench codec` (add a filter such as `batch_100B` to run one
//! group). Groups:
//! - `batch_1KiB`, `batch_100B` (throughput in bytes): `memcpy` of the wire batch,
//!   `encode` (builder push of every record, then the wire batch with its CRC), `decode`
//!   (record set with CRC verification, then every record);
//! - `records_1KiB`, `records_100B` (throughput in records, so criterion shows
//!   records/s: ns/record is its inverse): the same encode and decode;
//! - `crc32c` (bytes): CRC-32C of the 1 MiB batch alone, next to memcpy;
//! - `frames` (bytes): a whole ProduceRequest frame encode and a StreamFetch response
//!   frame decode (every record decoded), each carrying the 1 KiB-record batch.
#![allow(
    missing_docs,
    reason = "criterion's macros generate the benchmark entry points"
)]

use std::hint::black_box;
use std::time::Duration;

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod workload;

use workload::{Encoder, Workload};

fn batches(c: &mut Criterion) {
    for (name, size) in [("1KiB", 1024), ("100B", 100)] {
        let w = Workload::new(size);
        let src = w.batch.to_vec();
        let mut dst = vec![0u8; src.len()];
        let mut enc = Encoder::default();
        let mut out = BytesMut::with_capacity(2 * src.len());

        let mut g = c.benchmark_group(format!("batch_{name}"));
        g.throughput(Throughput::Bytes(w.batch_bytes() as u64));
        g.bench_function("memcpy", |b| {
            b.iter(|| dst.copy_from_slice(black_box(&src)));
        });
        g.bench_function("encode", |b| {
            b.iter(|| w.encode(&mut enc, black_box(&mut out)));
        });
        g.bench_function("encode_take", |b| {
            b.iter(|| black_box(w.encode_take(&mut enc)));
        });
        g.bench_function("decode", |b| b.iter(|| black_box(w.decode())));
        g.bench_function("decode_collect", |b| {
            b.iter(|| black_box(w.decode_collect()));
        });
        g.finish();

        let mut g = c.benchmark_group(format!("records_{name}"));
        g.throughput(Throughput::Elements(w.len() as u64));
        g.bench_function("encode", |b| {
            b.iter(|| w.encode(&mut enc, black_box(&mut out)));
        });
        g.bench_function("decode", |b| b.iter(|| black_box(w.decode())));
        g.finish();
    }
}

fn crc(c: &mut Criterion) {
    let w = Workload::new(1024);
    let src = w.batch.to_vec();
    let mut dst = vec![0u8; src.len()];
    let mut g = c.benchmark_group("crc32c");
    g.throughput(Throughput::Bytes(src.len() as u64));
    g.bench_function("memcpy", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)));
    });
    g.bench_function("crc_fast", |b| {
        b.iter(|| crc_fast::crc32_iscsi(black_box(&src)));
    });
    g.bench_function("crc32c_crate", |b| {
        b.iter(|| crc32c::crc32c(black_box(&src)));
    });
    g.finish();
}

fn frames(c: &mut Criterion) {
    let w = Workload::new(1024);
    let mut out = BytesMut::with_capacity(2 * w.batch_bytes());
    let mut g = c.benchmark_group("frames");
    g.throughput(Throughput::Bytes(w.batch_bytes() as u64));
    g.bench_function("produce_request_encode", |b| {
        b.iter(|| w.encode_produce_frame(black_box(&mut out)));
    });
    g.bench_function("stream_fetch_response_decode", |b| {
        b.iter(|| black_box(w.decode_fetch_frame()));
    });
    g.finish();
}

fn config() -> Criterion {
    // A shared 2-core machine: short, repeated measurements beat long ones.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = batches, crc, frames
}
criterion_main!(benches);
