//! Codec throughput report.
//!
//! Run with `cargo run --release -p flv-core --example codec_report`. For batches of
//! about 1 MiB of 1 KiB and of 100 B records it prints, in one run: memcpy of the wire
//! batch, encode, decode, their ratios to memcpy, ns per record, and heap allocations
//! per record on encode with a reused builder, counted by a global allocator.
//!
//! - encode: `BatchBuilder::push_slices` of every record into a reused builder, then
//!   `take`: the finished wire batch (CRC-32C folded as the values are copied in, then
//!   combined with the header's) as a `Batch`, without a copy;
//! - encode+copy: the same, then `encode_into` a reused output buffer (one more copy);
//! - decode: `RecordSet` decode with CRC verification, then `Batch::iter_records`
//!   over every record (keys and values zero-copy);
//! - CRC-32C of the batch alone (`flv_crc::crc32c`, which the codec uses, crc-fast,
//!   which it uses below 64 KiB, and the `crc32c` crate), a whole ProduceRequest frame encode (the batch copied in, its
//!   CRC already known) and a StreamFetch response frame decode (CRC verified, every
//!   record decoded), in GB/s of batch bytes.
//!
//! The machine is shared: the measurements are interleaved, repeated for several
//! rounds, and the best round of each counts. The last line sums it up.

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
const ROUNDS: usize = 200;
/// Time per round of each measurement.
const ROUND_TIME: Duration = Duration::from_millis(3);

/// Best time per call of each function over [`ROUNDS`] interleaved rounds.
fn best_of(fs: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    let mut best = vec![Duration::MAX; fs.len()];
    for f in fs.iter_mut() {
        f();
    }
    for _ in 0..ROUNDS {
        for (f, best) in fs.iter_mut().zip(&mut best) {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < ROUND_TIME {
                f();
                n += 1;
            }
            *best = (*best).min(start.elapsed() / n);
        }
    }
    best
}

fn gbps(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / t.as_secs_f64() / 1e9
}

/// Results for one record size.
struct Row {
    memcpy: f64,
    encode: f64,
    decode: f64,
    enc_ns: f64,
    dec_ns: f64,
    allocs: f64,
}

/// Allocations per record over `batches` batches of `w` encoded by `encode`, after one
/// batch to warm the builder up.
fn allocs_per_record(w: &Workload, batches: usize, mut encode: impl FnMut()) -> f64 {
    encode();
    let region = Region::new(GLOBAL);
    for _ in 0..batches {
        encode();
    }
    region.change().allocations as f64 / (batches * w.len()) as f64
}

fn measure(record_size: usize) -> Row {
    let w = Workload::new(record_size);
    let bytes = w.batch_bytes();
    let n = w.len() as f64;
    let src = w.batch.to_vec();
    let mut dst = vec![0u8; bytes];
    let mut enc = Encoder::default();
    let mut enc2 = Encoder::default();
    let mut out = BytesMut::with_capacity(2 * bytes);
    let mut frame = BytesMut::with_capacity(2 * bytes);
    let times = best_of(&mut [
        &mut || {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        },
        &mut || drop(black_box(w.encode_take(&mut enc))),
        &mut || {
            w.encode(&mut enc2, &mut out);
            black_box(&out);
        },
        &mut || {
            black_box(w.decode());
        },
        &mut || {
            black_box(flv_crc::crc32c(black_box(&src)));
        },
        &mut || {
            black_box(crc_fast::crc32_iscsi(black_box(&src)));
        },
        &mut || {
            black_box(crc32c::crc32c(black_box(&src)));
        },
        &mut || w.encode_produce_frame(black_box(&mut frame)),
        &mut || {
            black_box(w.decode_fetch_frame());
        },
    ]);
    let [
        t_copy,
        t_take,
        t_into,
        t_dec,
        t_crc_flv,
        t_crc,
        t_crc_old,
        t_produce,
        t_fetch,
    ] = times[..]
    else {
        unreachable!("nine measurements")
    };
    let allocs_take = allocs_per_record(&w, 8, || drop(black_box(w.encode_take(&mut enc))));
    let allocs_into = allocs_per_record(&w, 8, || w.encode(&mut enc2, &mut out));
    let row = Row {
        memcpy: gbps(bytes, t_copy),
        encode: gbps(bytes, t_take),
        decode: gbps(bytes, t_dec),
        enc_ns: t_take.as_nanos() as f64 / n,
        dec_ns: t_dec.as_nanos() as f64 / n,
        allocs: allocs_take.max(allocs_into),
    };
    let into = gbps(bytes, t_into);
    println!(
        "{record_size} B records ({} records, {bytes} bytes a batch): memcpy {:.2} GB/s",
        w.len(),
        row.memcpy
    );
    println!(
        "  encode       {:6.2} GB/s ({:.2}x memcpy) {:6.1} ns/record, allocs/record {}",
        row.encode,
        row.encode / row.memcpy,
        row.enc_ns,
        fmt_allocs(allocs_take)
    );
    println!(
        "  encode+copy  {into:6.2} GB/s ({:.2}x memcpy) {:6.1} ns/record, allocs/record {}",
        into / row.memcpy,
        t_into.as_nanos() as f64 / n,
        fmt_allocs(allocs_into)
    );
    println!(
        "  decode       {:6.2} GB/s ({:.2}x memcpy) {:6.1} ns/record",
        row.decode,
        row.decode / row.memcpy,
        row.dec_ns,
    );
    println!(
        "  CRC-32C alone: flv-crc {:.2} GB/s, crc-fast {:.2} GB/s, crc32c crate {:.2} GB/s; \
         frames: ProduceRequest encode {:.2} GB/s, StreamFetch response decode {:.2} GB/s",
        gbps(bytes, t_crc_flv),
        gbps(bytes, t_crc),
        gbps(bytes, t_crc_old),
        gbps(bytes, t_produce),
        gbps(bytes, t_fetch),
    );
    row
}

/// Allocations per record: an exact zero prints as `0`.
fn fmt_allocs(a: f64) -> String {
    if a == 0.0 {
        "0".into()
    } else {
        format!("{a:.4}")
    }
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
