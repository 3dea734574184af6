//! CRC-32C (Castagnoli) for flv's record batches.
//!
//! - [`crc32c`]: the CRC of a slice: from 64 KiB on, on CPUs with AVX-512 VPCLMULQDQ,
//!   vector folding and three scalar `crc32` streams side by side (1.4x `crc-fast` on
//!   Zen 5); below that, or elsewhere, `crc-fast` (SIMD chosen at run time);
//! - [`combine`]: the CRC of two slices end to end from the CRC of each;
//! - [`Appender`]: the CRC of a buffer computed while the buffer is appended to. On
//!   x86-64 CPUs with AVX-512 and VPCLMULQDQ, appending copies each slice into the buffer
//!   and folds it into the CRC in the same pass, so a batch's copy and its CRC cost
//!   about one copy; elsewhere it copies, and computes the CRC in one pass at the end.
//!
//! This crate holds flv's only `unsafe` code: the SIMD intrinsics and the stores into a
//! buffer's spare capacity, in `x86.rs`. Everything else in flv forbids `unsafe`.
//! The tests compare every path with `crc-fast` and the `crc32c` crate on random
//! buffers cut at random places.

use bytes::BytesMut;

mod gf;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use gf::combine;

/// CRC-32C of `data`.
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    if data.len() >= x86::HYBRID_MIN && hybrid() {
        // SAFETY: `hybrid()` checked the CPU's features.
        return unsafe { x86::crc32c(data) };
    }
    crc_fast::crc32_iscsi(data)
}

/// True when this CPU runs the kernels (checked once).
#[cfg(target_arch = "x86_64")]
fn hybrid() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(x86::available)
}

/// What [`Appender::reset_aligned`] aligns folding to: a cache line.
const ALIGN: usize = 64;

/// Appends that leave fewer bytes than this unfolded only copy: folding waits until
/// enough bytes are there to make the call worth it (they are still in cache).
#[cfg(target_arch = "x86_64")]
const FOLD_AT: usize = 1024;

/// Shorter slices are only copied: folding them as they come costs more than the one
/// pass at the end over what they leave unfolded (records of 100 B encode faster so).
#[cfg(target_arch = "x86_64")]
const FOLD_MIN: usize = 256;

/// The CRC-32C of a buffer's bytes from a start position on, computed while the buffer
/// is appended to with [`Appender::append`].
///
/// The bytes from the start on must only be appended to (through `append` or any
/// other write at the end of the buffer) until [`Appender::finish`]; bytes before the
/// start may change at will, and `finish` can take the CRC from an earlier position, as
/// a batch's CRC covers header fields written last. After the buffer is cleared or cut
/// below what was appended, [`Appender::reset`] it. If it was not, `finish` notices a
/// buffer shorter than what it folded and computes the CRC from the bytes, in one pass.
#[derive(Clone, Debug)]
pub struct Appender {
    /// Where the covered bytes start in the buffer.
    start: usize,
    /// The bytes folded so far end here.
    folded: usize,
    /// The SIMD kernels are used.
    simd: bool,
    /// At least one chunk was folded.
    started: bool,
    #[cfg(target_arch = "x86_64")]
    lanes: x86::Lanes,
}

impl Appender {
    /// The CRC of a buffer's bytes from `start` on, with the fastest kernel this CPU runs.
    pub fn new(start: usize) -> Self {
        #[cfg(target_arch = "x86_64")]
        let simd = x86::available();
        #[cfg(not(target_arch = "x86_64"))]
        let simd = false;
        Self::with_kernel(start, simd)
    }

    /// The same without SIMD: appending only copies and [`Appender::finish`] computes
    /// the CRC in one pass (the path taken on other CPUs; public for tests).
    pub fn portable(start: usize) -> Self {
        Self::with_kernel(start, false)
    }

    fn with_kernel(start: usize, simd: bool) -> Self {
        Self {
            start,
            folded: start,
            simd,
            started: false,
            #[cfg(target_arch = "x86_64")]
            lanes: x86::Lanes::default(),
        }
    }

    /// Where folding starts in the buffer: the start given to [`Appender::new`] or
    /// [`Appender::reset`], or the aligned one [`Appender::reset_aligned`] chose.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Starts over, with the covered bytes starting at `start`.
    pub fn reset(&mut self, start: usize) {
        *self = Self::with_kernel(start, self.simd);
    }

    /// Starts over like [`Appender::reset`], for appends to `buf` from `start` on
    /// (`buf` may still be shorter than `start`), and lines the folded chunks up with
    /// the cache lines of `buf`'s allocation: folding starts at the first position at
    /// or after `start` whose address is a multiple of 64, so that the copies store
    /// whole cache lines instead of splitting every store across two. The bytes
    /// before it are taken by [`Appender::finish`] with the rest of the head.
    ///
    /// The alignment is only a speed-up: if `buf` moves (grows into a new
    /// allocation), the CRC stays right.
    pub fn reset_aligned(&mut self, buf: &[u8], start: usize) {
        let at = (buf.as_ptr() as usize).wrapping_add(start);
        let skip = at.wrapping_neg() % ALIGN;
        self.reset(start + skip);
    }

    /// Appends `src` to `dst`, folding it into the CRC as it is copied.
    #[inline]
    pub fn append(&mut self, dst: &mut BytesMut, src: &[u8]) {
        #[cfg(target_arch = "x86_64")]
        if self.simd
            && src.len() >= FOLD_MIN
            && dst.len() >= self.folded
            && dst.len() + src.len() - self.folded >= FOLD_AT
        {
            self.append_folding(dst, src);
            return;
        }
        dst.extend_from_slice(src);
    }

    /// [`Appender::append`] with the kernels (see `x86::append`).
    #[cfg(target_arch = "x86_64")]
    #[inline(never)]
    fn append_folding(&mut self, dst: &mut BytesMut, src: &[u8]) {
        dst.reserve(src.len());
        let len = dst.len();
        let (buf, spare) = (dst.as_ptr(), dst.spare_capacity_mut());
        assert!(spare.len() >= src.len(), "reserved above");
        // SAFETY: the buffer's `len` initialised bytes, which `spare` does not overlap.
        let pending = unsafe { std::slice::from_raw_parts(buf, len) };
        let pending = pending.get(self.folded..).unwrap_or_default();
        // SAFETY: `simd` is only set when `x86::available()`; `spare` is writable for
        // `src.len()` bytes (checked above) and is not `src` (borrowed apart).
        let folded = unsafe {
            x86::append(
                &mut self.lanes,
                &mut self.started,
                pending,
                src,
                spare.as_mut_ptr().cast(),
            )
        };
        self.folded += folded;
        // SAFETY: `x86::append` wrote all of `src` after the old length.
        unsafe { dst.set_len(len + src.len()) };
    }

    /// The CRC-32C of `buf[from..]`, `from` at most the start given to
    /// [`Appender::new`]: what was folded and the rest of the bytes, with the bytes
    /// before the start (which may have changed since) combined in. An empty range
    /// (`from` past the end) has the CRC of nothing.
    pub fn finish(&self, buf: &[u8], from: usize) -> u32 {
        let covered = buf.get(from..).unwrap_or_default();
        if !self.started || from > self.start || buf.len() < self.folded {
            return crc32c(covered);
        }
        #[cfg(target_arch = "x86_64")]
        {
            let mut lanes = self.lanes;
            let mut started = true;
            let tail = buf.get(self.folded..).unwrap_or_default();
            // SAFETY: `started` is only set by the kernels, run when `x86::available()`;
            // no destination. Whole chunks of the tail are folded, the rest taken by
            // `finish`.
            let rest = unsafe {
                let n = x86::fold(&mut lanes, &mut started, tail, std::ptr::null_mut());
                x86::finish(&lanes, true, tail.get(n..).unwrap_or_default())
            };
            let head = buf.get(from..self.start).unwrap_or_default();
            if head.is_empty() {
                return rest;
            }
            combine(crc32c(head), rest, (buf.len() - self.start) as u64)
        }
        #[cfg(not(target_arch = "x86_64"))]
        crc32c(covered)
    }
}
