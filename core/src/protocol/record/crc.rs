//! CRC-32C (Castagnoli, reflected polynomial `0x82f63b78`) of record batches.
//!
//! Every CRC of the core comes from `flv-crc` (the core names no other CRC crate): one-shot
//! CRCs from its `crc32c` (from 64 KiB on, on AVX-512 VPCLMULQDQ CPUs, its own kernel;
//! otherwise carry-less-multiply folding chosen at run time); the incremental [`Crc32c`]
//! joins the CRC of each part with `flv_crc::combine`. The batch builder computes its CRC
//! with `flv_crc::Appender` as records are copied in.

/// CRC-32C of `data`.
#[inline]
pub(crate) fn crc32c(data: &[u8]) -> u32 {
    flv_crc::crc32c(data)
}

/// An incremental CRC-32C: the CRC of everything appended so far.
#[derive(Clone, Copy)]
pub(crate) struct Crc32c(u32);

impl Crc32c {
    /// The CRC of nothing so far.
    #[inline]
    pub(crate) fn new() -> Self {
        Self(0)
    }

    /// Appends `data`.
    #[inline]
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.0 = flv_crc::combine(self.0, crc32c(data), data.len() as u64);
    }

    /// The CRC of everything appended.
    #[inline]
    pub(crate) fn value(&self) -> u32 {
        self.0
    }
}

impl std::fmt::Debug for Crc32c {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crc32c({:#010x})", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_catalogue_check_values() {
        // The catalogue check value of CRC-32/ISCSI, and RFC 3720's test vectors.
        assert_eq!(crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(crc32c(&[0; 32]), 0x8a91_36aa);
        assert_eq!(crc32c(&[0xff; 32]), 0x62a8_ab43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc32c(&ascending), 0x46dd_794e);
        assert_eq!(crc32c(&[]), 0);
    }

    #[test]
    fn incremental_equals_one_pass() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 + i / 7) as u8).collect();
        for split in [0, 1, 7, 64, 255, 4096, 99_999, 100_000] {
            let (a, b) = data.split_at(split);
            let mut inc = Crc32c::new();
            inc.update(a);
            inc.update(b);
            assert_eq!(inc.value(), crc32c(&data), "split {split}");
        }
    }
}
