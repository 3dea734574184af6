//! Arithmetic modulo the CRC-32C polynomial, for the folding constants and for
//! combining CRCs.
//!
//! Two representations appear: *normal* (bit `j` is the coefficient of `x^j`), used to
//! derive constants at compile time, and *reflected* 32-bit (bit `i` is the coefficient
//! of `x^(31 - i)`), the form CRC-32C values take.

/// The CRC-32C (Castagnoli) polynomial, normal form, with its `x^32` term.
const P: u64 = 0x1_1EDC_6F41;
/// The same polynomial, reflected, without its `x^32` term.
const P_REFLECTED: u32 = 0x82F6_3B78;

/// `x^k mod P`, normal form.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const fn xpow(k: u32) -> u32 {
    // Square-and-multiply over the bits of k, most significant first.
    let mut r: u32 = 1;
    let mut bit = 32;
    while bit > 0 {
        bit -= 1;
        r = mul_normal(r, r);
        if k >> bit & 1 == 1 {
            r = times_x(r);
        }
    }
    r
}

/// `a * x mod P`, normal form.
const fn times_x(a: u32) -> u32 {
    let r = (a as u64) << 1;
    if r >> 32 & 1 == 1 {
        (r ^ P) as u32
    } else {
        r as u32
    }
}

/// `a * b mod P`, normal form.
const fn mul_normal(a: u32, b: u32) -> u32 {
    let mut r = 0u32;
    let mut bit = 32;
    while bit > 0 {
        bit -= 1;
        r = times_x(r);
        if a >> bit & 1 == 1 {
            r ^= b;
        }
    }
    r
}

/// A polynomial of degree below 32 (normal form) in the reflected 64-bit form the
/// carry-less multiplications use: the coefficient of `x^j` at bit `63 - j`.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const fn reflect64(c: u32) -> u64 {
    (c as u64).reverse_bits()
}

/// `a * b mod P`, both reflected 32-bit (a CRC-32C-shaped value).
const fn mul_reflected(a: u32, mut b: u32) -> u32 {
    let mut r = 0u32;
    let mut m = 1u32 << 31;
    while m != 0 {
        if a & m != 0 {
            r ^= b;
        }
        b = if b & 1 == 1 {
            (b >> 1) ^ P_REFLECTED
        } else {
            b >> 1
        };
        m >>= 1;
    }
    r
}

/// `x^(8 * 2^k) mod P` reflected, for `k` in `0..64`: multiplying by the entries for
/// the set bits of `n` shifts a CRC past `n` zero bytes.
const SHIFT_BYTES: [u32; 64] = {
    let mut t = [0u32; 64];
    // x^8, then repeated squaring.
    let mut c = xpow(8);
    let mut k = 0;
    while k < 64 {
        t[k] = c.reverse_bits();
        c = mul_normal(c, c);
        k += 1;
    }
    t
};

/// The CRC-32C of `a ++ b` from the CRC-32C of `a`, that of `b`, and `b`'s length.
///
/// CRC-32C starts and ends with all ones; those cancel out, leaving `crc(a)` shifted
/// past `len_b` zero bytes (a multiplication by `x^(8 len_b) mod P`) xor `crc(b)`.
/// Costs one multiplication per set bit of `len_b`.
pub fn combine(crc_a: u32, crc_b: u32, len_b: u64) -> u32 {
    shift(shifter(len_b), crc_a) ^ crc_b
}

/// The factor that moves a CRC `len` bytes further along: `x^(8 len)`, reflected.
pub(crate) fn shifter(len: u64) -> u32 {
    let mut f = 1u32 << 31;
    let mut n = len;
    let mut k = 0;
    while n != 0 {
        if n & 1 == 1 {
            f = mul_reflected(SHIFT_BYTES[k], f);
        }
        n >>= 1;
        k += 1;
    }
    f
}

/// A CRC moved along by a factor of [`shifter`]: `combine(crc, crc_b, len)` is
/// `shift(shifter(len), crc) ^ crc_b`.
pub(crate) fn shift(factor: u32, crc: u32) -> u32 {
    mul_reflected(factor, crc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpow_agrees_with_repeated_multiplication_by_x() {
        let mut r = 1u32;
        for k in 0..5000 {
            assert_eq!(xpow(k), r, "x^{k}");
            r = times_x(r);
        }
    }

    #[test]
    fn reflected_and_normal_multiplication_agree() {
        let mut s = 0x1234_5678_9abc_def0_u64;
        for _ in 0..1000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (a, b) = (s as u32, (s >> 32) as u32);
            assert_eq!(
                mul_reflected(a.reverse_bits(), b.reverse_bits()),
                mul_normal(a, b).reverse_bits()
            );
        }
    }
}
