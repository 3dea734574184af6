//! Every path of the crate against `crc-fast` and the `crc32c` crate.

use bytes::{BufMut, BytesMut};
use flv_crc::{Appender, combine, crc32c};
use proptest::prelude::*;

#[test]
fn known_values() {
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
    assert_eq!(crc32c(&[]), 0);
    assert_eq!(crc32c(&[0; 32]), 0x8a91_36aa);
}

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect()
}

#[test]
fn combine_matches_the_crc_of_the_concatenation() {
    for (a, b) in [
        (0, 0),
        (0, 5),
        (5, 0),
        (1, 1),
        (44, 1 << 20),
        (3, 12345),
        (1000, 77),
    ] {
        let x = bytes(a as u64 + 1, a);
        let y = bytes(b as u64 + 7, b);
        let both = [x.clone(), y.clone()].concat();
        assert_eq!(
            combine(crc32c(&x), crc32c(&y), b as u64),
            crc32c(&both),
            "{a} + {b}"
        );
    }
}

/// One write to the buffer: through the appender, or directly at its end.
#[derive(Debug, Clone)]
enum Write {
    Append(usize),
    Direct(usize),
}

fn writes() -> impl Strategy<Value = Vec<Write>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0usize..3000).prop_map(Write::Append),
            1 => (0usize..20).prop_map(Write::Direct),
            1 => (3000usize..20_000).prop_map(Write::Append),
        ],
        0..40,
    )
}

/// How the appender starts on the buffer of [`check`].
#[derive(Debug, Clone, Copy)]
enum Start {
    /// As created.
    AsIs,
    /// `reset_aligned` to a buffer of this capacity (a small one grows and moves, so
    /// its alignment is lost on the way).
    Aligned(usize),
}

/// Runs `writes` through `appender` on a buffer with `start` bytes of prefix, changes the
/// prefix, and checks `finish` from 0, from the middle of the prefix and from `start`.
fn check(mut appender: Appender, start: usize, writes: &[Write], seed: u64, how: Start) {
    let mut buf = BytesMut::with_capacity(match how {
        Start::AsIs => 64,
        Start::Aligned(cap) => cap,
    });
    if let Start::Aligned(_) = how {
        appender.reset_aligned(&buf, start);
    }
    buf.extend_from_slice(&bytes(seed, start));
    for (i, w) in writes.iter().enumerate() {
        match *w {
            Write::Append(n) => appender.append(&mut buf, &bytes(seed ^ i as u64, n)),
            Write::Direct(n) => buf.put_slice(&bytes(seed ^ 99 ^ i as u64, n)),
        }
    }
    for b in &mut buf[..start] {
        *b = b.wrapping_add(1);
    }
    for from in [0, start / 2, start] {
        let want = crc32c(&buf[from..]);
        assert_eq!(appender.finish(&buf, from), want, "from {from}");
        assert_eq!(want, crc32c::crc32c(&buf[from..]));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn appending_computes_the_crc_of_the_buffer(
        start in 0usize..100, ws in writes(), seed in any::<u64>()
    ) {
        check(Appender::new(start), start, &ws, seed, Start::AsIs);
        check(Appender::portable(start), start, &ws, seed, Start::AsIs);
    }

    #[test]
    fn appending_aligned_computes_the_crc_of_the_buffer(
        start in 0usize..100,
        ws in writes(),
        seed in any::<u64>(),
        cap in prop_oneof![Just(0usize), Just(1usize << 20)],
    ) {
        check(Appender::new(0), start, &ws, seed, Start::Aligned(cap));
        check(Appender::portable(0), start, &ws, seed, Start::Aligned(cap));
    }
}

#[test]
fn reset_aligned_folds_from_a_cache_line() {
    let buf = BytesMut::with_capacity(4096);
    let base = buf.as_ptr() as usize;
    for start in [0usize, 1, 17, 61, 64, 65, 127, 128] {
        let mut a = Appender::new(0);
        a.reset_aligned(&buf, start);
        let at = a.start();
        assert!(at >= start && at < start + 64, "{start} -> {at}");
        assert_eq!((base + at) % 64, 0, "{start} -> {at}");
    }
}

#[test]
fn a_buffer_cut_below_what_was_folded_is_computed_from_its_bytes() {
    let mut a = Appender::new(4);
    let mut buf = BytesMut::from(&[1u8, 2, 3, 4][..]);
    a.append(&mut buf, &bytes(3, 10_000));
    buf.truncate(100);
    assert_eq!(a.finish(&buf, 0), crc32c(&buf));
    a.reset(4);
    buf.truncate(4);
    a.append(&mut buf, &bytes(5, 5000));
    assert_eq!(a.finish(&buf, 0), crc32c(&buf));
}

#[test]
fn a_large_batch_of_records_shaped_appends() {
    // What the batch builder does: a few header bytes, then a value, many times.
    let mut a = Appender::new(61);
    let mut buf = BytesMut::new();
    buf.put_bytes(0, 61);
    let value = bytes(11, 1024);
    for i in 0..1024u32 {
        buf.put_slice(&i.to_le_bytes()[..(i % 4) as usize]);
        a.append(&mut buf, &value);
        buf.put_u8(0);
    }
    buf[21..61].fill(0xab);
    assert_eq!(a.finish(&buf, 21), crc32c(&buf[21..]));
}

#[test]
fn large_slices_match_the_reference_crates() {
    // From below the size where the vector-and-scalar kernel takes over to several MiB,
    // and every remainder class of its 376-byte steps.
    let data = bytes(42, (4 << 20) + 1000);
    let mut lens = vec![
        0,
        1,
        65_535,
        65_536,
        65_537,
        100_000,
        1 << 20,
        (1 << 20) + 375,
        4 << 20,
    ];
    lens.extend((0..376).map(|r| 70_000 + r));
    for len in lens {
        let d = &data[..len];
        assert_eq!(crc32c(d), crc32c::crc32c(d), "{len} bytes");
        assert_eq!(crc32c(d), crc_fast::crc32_iscsi(d), "{len} bytes");
    }
}
