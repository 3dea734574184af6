//! Appending 1 MiB of 1 KiB values with their CRC, against memcpy and copy-then-CRC.
//!
//! `cargo run --release -p flv-crc --example append_report`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use flv_crc::{Appender, crc32c};

fn best(f: &mut dyn FnMut()) -> Duration {
    let mut b = Duration::MAX;
    for _ in 0..200 {
        let s = Instant::now();
        let mut n = 0;
        while s.elapsed() < Duration::from_millis(2) {
            f();
            n += 1;
        }
        b = b.min(s.elapsed() / n);
    }
    b
}

fn main() {
    for size in [1024usize, 100] {
        let n = (1 << 20) / size;
        let values: Vec<Vec<u8>> = (0..n)
            .map(|i| (0..size).map(|j| (i * 31 + j * 7) as u8).collect())
            .collect();
        let flat = values.concat();
        let total = flat.len() + 3 * n + 61;
        let mut dst = vec![0u8; flat.len()];
        let mut buf = BytesMut::with_capacity(2 * total);
        let t_copy = best(&mut || {
            dst.copy_from_slice(black_box(&flat));
            black_box(&mut dst);
        });
        let mut run = |a: &mut Appender, crc_after: bool| {
            buf.clear();
            buf.put_bytes(0, 61);
            a.reset_aligned(&buf, 61);
            for v in &values {
                buf.put_u8(1);
                buf.put_u8(2);
                a.append(&mut buf, v);
                buf.put_u8(0);
            }
            if crc_after {
                black_box(crc32c(&buf[21..]));
            } else {
                black_box(a.finish(&buf, 21));
            }
        };
        let mut simd = Appender::new(61);
        let mut portable = Appender::portable(61);
        let t_simd = best(&mut || run(&mut simd, false));
        let t_port = best(&mut || run(&mut portable, true));
        let g = |t: Duration| flat.len() as f64 / t.as_secs_f64() / 1e9;
        println!(
            "{size} B: memcpy {:.1} GB/s; append+fold {:.1} GB/s ({:.2}x, {:.1} ns/value); copy then crc {:.1} GB/s ({:.2}x)",
            g(t_copy),
            g(t_simd),
            t_copy.as_secs_f64() / t_simd.as_secs_f64(),
            t_simd.as_nanos() as f64 / n as f64,
            g(t_port),
            t_copy.as_secs_f64() / t_port.as_secs_f64()
        );
    }
}
