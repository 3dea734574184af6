//! Zig-zag LEB128 varints (as in Protobuf and Kafka record fields).
//!
//! Upstream Fluvio's encoder zig-zags with `(n << 1) ^ (n >> 31)` and stops on a 32-bit
//! mask, so it writes wrong bytes for |n| ≥ 2³¹. For every value a real peer sends
//! (lengths and deltas below 2³¹) both encodings are identical; ours is also correct
//! for the full `i64` range.

use bytes::BufMut;

use super::{DecodeError, MAX_VARINT_BYTES};

/// Zig-zag maps signed to unsigned so small magnitudes stay short.
pub fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// Inverse of [`zigzag`].
pub fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Appends `n` as a zig-zag varint.
pub fn encode(dst: &mut impl BufMut, n: i64) {
    let mut u = zigzag(n);
    while u >= 0x80 {
        dst.put_u8((u as u8 & 0x7f) | 0x80);
        u >>= 7;
    }
    dst.put_u8(u as u8);
}

/// Encoded size of `n` in bytes.
pub fn size(n: i64) -> usize {
    let u = zigzag(n);
    let bits = 64 - (u | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Decodes a varint from the start of `src`; returns the value and the bytes used.
pub fn decode(src: &[u8]) -> Result<(i64, usize), DecodeError> {
    let mut u: u64 = 0;
    for (i, &b) in src.iter().enumerate().take(MAX_VARINT_BYTES) {
        let bits = u64::from(b & 0x7f);
        // The 10th byte may only carry the top bit of a u64.
        if i == MAX_VARINT_BYTES - 1 && bits > 1 {
            return Err(DecodeError::VarintTooLong {
                max_bytes: MAX_VARINT_BYTES,
            });
        }
        u |= bits << (7 * i);
        if b & 0x80 == 0 {
            return Ok((unzigzag(u), i + 1));
        }
    }
    if src.len() >= MAX_VARINT_BYTES {
        Err(DecodeError::VarintTooLong {
            max_bytes: MAX_VARINT_BYTES,
        })
    } else {
        Err(DecodeError::UnexpectedEof {
            what: "varint",
            needed: src.len() + 1,
            remaining: src.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn varints_match_known_zigzag_encodings() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (300, &[0xd8, 0x04]),
            (i32::MAX as i64, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN as i64, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (n, bytes) in cases {
            let mut out = Vec::new();
            encode(&mut out, *n);
            assert_eq!(&out[..], *bytes, "encode {n}");
            assert_eq!(decode(bytes).unwrap(), (*n, bytes.len()), "decode {n}");
            assert_eq!(size(*n), bytes.len());
        }
    }

    #[test]
    fn large_values_are_correct_unlike_upstream() {
        // Upstream would write 2^31 as 5 bytes of a wrong value; ours round-trips.
        for n in [1i64 << 31, -(1i64 << 31) - 1, 1 << 40, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            encode(&mut out, n);
            assert_eq!(decode(&out).unwrap(), (n, out.len()));
        }
        let mut out = Vec::new();
        encode(&mut out, i64::MIN);
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn overlong_and_truncated() {
        assert!(matches!(
            decode(&[0x80; 11]),
            Err(DecodeError::VarintTooLong { .. })
        ));
        assert!(matches!(
            decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(DecodeError::VarintTooLong { .. })
        ));
        assert!(matches!(
            decode(&[0x80, 0x80]),
            Err(DecodeError::UnexpectedEof { .. })
        ));
        assert!(matches!(
            decode(&[]),
            Err(DecodeError::UnexpectedEof { .. })
        ));
    }

    proptest! {
        #[test]
        fn every_i64_survives_a_varint_round_trip(n in any::<i64>()) {
            let mut out = Vec::new();
            encode(&mut out, n);
            prop_assert_eq!(out.len(), size(n));
            prop_assert_eq!(decode(&out).unwrap(), (n, out.len()));
        }
    }
}
