//! Codec throughput report (see `## Performance` in the README).
//!
//! Run with `cargo run --release -p flv-core --example codec_report`. Prints, for
//! batches of about 1 MiB of 1 KiB and of 100 B records: memcpy of the same bytes,
//! encode (BatchBuilder push + wire batch with CRC-32C), decode (record set with CRC
//! verification, then every record), their ratios to memcpy, ns per record, and heap
//! allocations per record on encode with a reused builder and buffer (counted by a
//! global allocator). Every timing is the best of several rounds.

use std::alloc::System;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[path = "../benches/workload/mod.rs"]
mod workload;

use workload::{Encoder, Workload};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Rounds per measurement; the best one counts.
const ROUNDS: usize = 7;
/// Minimum time per round.
const ROUND_TIME: Duration = Duration::from_millis(150);

/// Best time per call of `f` over [`ROUNDS`] rounds.
fn best(mut f: impl FnMut()) -> Duration {
    f();
    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < ROUND_TIME {
            f();
            n += 1;
        }
        best = best.min(start.elapsed() / n);
    }
    best
}

fn gbps(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / t.as_secs_f64() / 1e9
}

struct Row {
    memcpy: f64,
    encode: f64,
    decode: f64,
    enc_ns: f64,
    dec_ns: f64,
    allocs: f64,
}

fn measure(record_size: usize) -> Row {
    let w = Workload::new(record_size);
    let bytes = w.batch_bytes();
    let src = w.batch.to_vec();
    let mut dst = vec![0u8; bytes];
    let t_copy = best(|| {
        dst.copy_from_slice(black_box(&src));
        black_box(&mut dst);
    });
    let mut enc = Encoder::default();
    let mut out = BytesMut::with_capacity(bytes * 2);
    let t_enc = best(|| {
        w.encode(&mut enc, &mut out);
        black_box(&out);
    });
    let t_dec = best(|| {
        black_box(w.decode());
    });
    // Steady state: one batch to warm the builder, then count over several.
    w.encode(&mut enc, &mut out);
    let batches = 8;
    let region = Region::new(GLOBAL);
    for _ in 0..batches {
        w.encode(&mut enc, &mut out);
    }
    let allocs = region.change().allocations as f64 / (batches * w.len()) as f64;
    let n = w.len() as f64;
    let row = Row {
        memcpy: gbps(bytes, t_copy),
        encode: gbps(bytes, t_enc),
        decode: gbps(bytes, t_dec),
        enc_ns: t_enc.as_nanos() as f64 / n,
        dec_ns: t_dec.as_nanos() as f64 / n,
        allocs,
    };
    println!(
        "{record_size:>5} B records: {} records, {bytes} bytes/batch | memcpy {:.2} GB/s | \
         encode {:.2} GB/s ({:.2}x) {:.1} ns/record | decode {:.2} GB/s ({:.2}x) {:.1} ns/record | \
         allocs/record on encode {:.4}",
        w.len(),
        row.memcpy,
        row.encode,
        row.encode / row.memcpy,
        row.enc_ns,
        row.decode,
        row.decode / row.memcpy,
        row.dec_ns,
        row.allocs,
    );
    row
}

fn main() {
    let large = measure(1024);
    let small = measure(100);
    println!(
        "codec: encode {:.2} GB/s ({:.2}x memcpy) decode {:.2} GB/s ({:.2}x memcpy) \
         ns/record@100B encode {:.1} decode {:.1} allocs/record {}",
        large.encode,
        large.encode / large.memcpy,
        large.decode,
        large.decode / large.memcpy,
        small.enc_ns,
        small.dec_ns,
        fmt_allocs(large.allocs.max(small.allocs)),
    );
}

/// Allocations per record: exact zero prints as `0`.
fn fmt_allocs(a: f64) -> String {
    if a == 0.0 {
        "0".into()
    } else {
        format!("{a:.4}")
    }
}
