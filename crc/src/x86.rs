//! The AVX-512 VPCLMULQDQ kernels (x86-64 only).
//!
//! The stream is folded in chunks of [`CHUNK`] bytes held by four 512-bit accumulators,
//! sixteen 128-bit lanes in all: lane `b` holds, reduced modulo the polynomial, the
//! stream's 16-byte blocks at positions `b`, `b + 16`, `b + 32`... each one multiplied
//! by `x^2048` per chunk that followed it. Each step costs two carry-less multiplications
//! per lane, and the copy variant stores every loaded vector to the destination as it
//! goes, so a copy and its CRC take one pass over the bytes. [`finish`] multiplies each
//! lane by its distance to the end, sums the lanes and reduces with the SSE4.2 `crc32`
//! instruction, which also takes the tail that did not fill a chunk.
//!
//! Safety: every function here requires AVX-512F, VPCLMULQDQ and SSE4.2 (checked once by
//! [`available`]); pointers are derived from slices whose lengths bound every access.

use std::arch::x86_64::{
    __m512i, _mm_crc32_u8, _mm_crc32_u64, _mm256_mask_storeu_epi8, _mm256_maskz_loadu_epi8,
    _mm512_clmulepi64_epi128, _mm512_loadu_si512, _mm512_mask_storeu_epi8, _mm512_mask_xor_epi64,
    _mm512_maskz_loadu_epi8, _mm512_or_si512, _mm512_setzero_si512, _mm512_storeu_si512,
    _mm512_ternarylogic_epi64,
};

use crate::gf::{reflect64, xpow};

/// Bytes folded per step: four 512-bit vectors.
pub(crate) const CHUNK: usize = 256;

/// The accumulators between calls.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(64))]
pub(crate) struct Lanes([u64; 32]);

/// Constants folding a lane forward by `d` bits: for the lane's higher-degree half
/// (its low 64 bits, the form being reflected) `x^(d + 63)`, for its lower-degree half
/// `x^(d - 1)`; the extra `x` that a carry-less product of reflected operands carries
/// is compensated for by the `- 1`.
const fn fold_constants(d: u32) -> (u64, u64) {
    (reflect64(xpow(d + 63)), reflect64(xpow(d - 1)))
}

/// Four copies of the constants for one chunk (2048 bits).
const STEP: [u64; 8] = {
    let (h, l) = fold_constants(8 * CHUNK as u32);
    [h, l, h, l, h, l, h, l]
};

/// Per-lane constants bringing lane `b` (vector `v`, lane `b - 4v`) to the end of the
/// stream: `128 * (15 - b)` bits. The last lane needs no folding (zeros, masked out).
const FINISH: [[u64; 8]; 4] = {
    let mut t = [[0u64; 8]; 4];
    let mut v = 0;
    while v < 4 {
        let mut l = 0;
        while l < 4 {
            let b = 4 * v + l;
            if b < 15 {
                let (h, lo) = fold_constants(128 * (15 - b) as u32);
                t[v][2 * l] = h;
                t[v][2 * l + 1] = lo;
            }
            l += 1;
        }
        v += 1;
    }
    t
};

/// True when this CPU runs the kernels.
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("vpclmulqdq")
        && std::arch::is_x86_feature_detected!("sse4.2")
}

/// Folds the vector `a` forward by the distance of `k`'s constants and adds `d`:
/// two carry-less multiplications per 128-bit lane and a three-way xor.
#[inline]
#[target_feature(enable = "avx512f,vpclmulqdq")]
fn fold_in(a: &mut __m512i, k: __m512i, d: __m512i) {
    let hi = _mm512_clmulepi64_epi128(*a, k, 0x00);
    let lo = _mm512_clmulepi64_epi128(*a, k, 0x11);
    *a = _mm512_ternarylogic_epi64(hi, lo, d, 0x96);
}

/// The accumulators as vectors.
#[inline]
#[target_feature(enable = "avx512f")]
fn load(lanes: &Lanes) -> [__m512i; 4] {
    let mut acc = [_mm512_setzero_si512(); 4];
    for (j, a) in acc.iter_mut().enumerate() {
        // SAFETY: `Lanes` holds 32 u64, four vectors of 64 bytes.
        *a = unsafe { _mm512_loadu_si512(lanes.0.as_ptr().add(8 * j).cast()) };
    }
    acc
}

/// Saves the accumulators.
#[inline]
#[target_feature(enable = "avx512f")]
fn store(lanes: &mut Lanes, acc: &[__m512i; 4]) {
    for (j, a) in acc.iter().enumerate() {
        // SAFETY: as in `load`.
        unsafe { _mm512_storeu_si512(lanes.0.as_mut_ptr().add(8 * j).cast(), *a) };
    }
}

/// Folds one chunk at `src` into `acc`; with `dst`, also stores it there.
///
/// # Safety
/// The CPU has the kernels' features; `src` is readable for [`CHUNK`] bytes and `dst`,
/// if not null, writable for as many.
#[inline]
#[target_feature(enable = "avx512f,vpclmulqdq")]
unsafe fn step(acc: &mut [__m512i; 4], k: __m512i, src: *const u8, dst: *mut u8) {
    for (j, a) in acc.iter_mut().enumerate() {
        // SAFETY: j < 4, so the 64 bytes read lie within the chunk at `src`.
        let d = unsafe { _mm512_loadu_si512(src.add(64 * j).cast()) };
        if !dst.is_null() {
            // SAFETY: as for the load, for `dst`.
            unsafe { _mm512_storeu_si512(dst.add(64 * j).cast(), d) };
        }
        fold_in(a, k, d);
    }
}

/// Folds the whole chunks of `src` (copying them to `dst` if not null); returns the
/// bytes consumed, a multiple of [`CHUNK`].
///
/// # Safety
/// [`available`] returned true; `dst`, if not null, is writable for `src.len()` bytes.
#[target_feature(enable = "avx512f,vpclmulqdq")]
pub(crate) unsafe fn fold(
    lanes: &mut Lanes,
    started: &mut bool,
    src: &[u8],
    dst: *mut u8,
) -> usize {
    let chunks = src.len() / CHUNK;
    if chunks == 0 {
        return 0;
    }
    let p = src.as_ptr();
    let mut acc = load(lanes);
    let mut i = 0;
    if !*started {
        // The first chunk starts the lanes: CRC-32C's initial all-ones register is
        // the same as inverting the stream's first four bytes.
        let mut first = [0u8; CHUNK];
        // SAFETY: chunks >= 1, so `src` has CHUNK bytes.
        first.copy_from_slice(unsafe { std::slice::from_raw_parts(p, CHUNK) });
        if !dst.is_null() {
            // SAFETY: `dst` is writable for at least CHUNK bytes.
            unsafe { std::ptr::copy_nonoverlapping(p, dst, CHUNK) };
        }
        for b in &mut first[..4] {
            *b = !*b;
        }
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: within `first`.
            *a = unsafe { _mm512_loadu_si512(first.as_ptr().add(64 * j).cast()) };
        }
        *started = true;
        i = 1;
    }
    // SAFETY: STEP is 64 bytes.
    let k = unsafe { _mm512_loadu_si512(STEP.as_ptr().cast()) };
    while i < chunks {
        let d = if dst.is_null() {
            dst
        } else {
            // SAFETY: i * CHUNK < src.len(), which `dst` can hold.
            unsafe { dst.add(i * CHUNK) }
        };
        // SAFETY: i < chunks: CHUNK bytes from i * CHUNK lie within `src`.
        unsafe { step(&mut acc, k, p.add(i * CHUNK), d) };
        i += 1;
    }
    store(lanes, &acc);
    chunks * CHUNK
}

/// The CRC-32C of the folded stream followed by `tail`.
///
/// # Safety
/// [`available`] returned true.
#[target_feature(enable = "avx512f,vpclmulqdq,sse4.2")]
pub(crate) unsafe fn finish(lanes: &Lanes, started: bool, tail: &[u8]) -> u32 {
    let crc = if started {
        let acc = load(lanes);
        let mut sum = [0u64; 8];
        let mut x = _mm512_setzero_si512();
        for (a, k) in acc.iter().zip(&FINISH) {
            // SAFETY: each row of FINISH is 64 bytes.
            let k = unsafe { _mm512_loadu_si512(k.as_ptr().cast()) };
            let hi = _mm512_clmulepi64_epi128(*a, k, 0x00);
            let lo = _mm512_clmulepi64_epi128(*a, k, 0x11);
            x = _mm512_ternarylogic_epi64(x, hi, lo, 0x96);
        }
        // The last lane is already at the end (its constants are zero): add it as it is.
        x = _mm512_mask_xor_epi64(x, 0b1100_0000, x, acc[3]);
        // SAFETY: `sum` is 64 bytes.
        unsafe { _mm512_storeu_si512(sum.as_mut_ptr().cast(), x) };
        let lo = sum[0] ^ sum[2] ^ sum[4] ^ sum[6];
        let hi = sum[1] ^ sum[3] ^ sum[5] ^ sum[7];
        // The 128-bit sum is congruent to the stream: its CRC register (no initial or
        // final inversion, those are in the stream and below) is its own CRC.
        _mm_crc32_u64(_mm_crc32_u64(0, lo), hi) as u32
    } else {
        !0
    };
    !register_over(crc, tail)
}

/// The CRC register `r` (no inversions) run over `data` with the SSE4.2 instruction.
#[inline]
#[target_feature(enable = "sse4.2")]
fn register_over(mut r: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        r = _mm_crc32_u64(u64::from(r), le64(w)) as u32;
    }
    for &b in words.remainder() {
        r = _mm_crc32_u8(r, b);
    }
    r
}

/// The little-endian word of `w`'s first 8 bytes (`w` has at least 8).
#[inline(always)]
fn le64(w: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&w[..8]);
    u64::from_le_bytes(b)
}

/// Copies `n <= CHUNK` bytes from `src` to `dst` with masked 256-bit moves (measured a
/// little faster here than 512-bit ones for the tails of values): no call, no loop over
/// bytes, nothing touched past `n` on either side.
///
/// # Safety
/// The CPU has AVX-512BW and AVX-512VL; `src` is readable and `dst` writable for `n` bytes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    let mut at = 0;
    while at < n {
        let left = n - at;
        let m = if left >= 32 {
            !0u32
        } else {
            (1u32 << left) - 1
        };
        // SAFETY: the mask selects only bytes below `n`; masked-off bytes are neither
        // read nor written (faults on them are suppressed).
        unsafe {
            let v = _mm256_maskz_loadu_epi8(m, src.add(at).cast());
            _mm256_mask_storeu_epi8(dst.add(at).cast(), m, v);
        }
        at += 32;
    }
}

/// Folds the chunk made of `pending` (fewer than [`CHUNK`] bytes) followed by the
/// first `CHUNK - pending.len()` bytes of `src`, composed in registers (the bytes are
/// not read back from the buffer they are being copied to), and stores those bytes of
/// `src` at `out` from the same registers.
///
/// # Safety
/// The CPU has the kernels' features; `src` has at least `CHUNK - pending.len()` bytes
/// and `out` is writable for as many.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,vpclmulqdq")]
unsafe fn step_joined(
    acc: &mut [__m512i; 4],
    k: __m512i,
    pending: &[u8],
    src: &[u8],
    out: *mut u8,
) {
    let p = pending.len();
    for (j, a) in acc.iter_mut().enumerate() {
        let lo = 64 * j;
        // Bytes of this vector that come from `pending`: those below `p`.
        let from_pending = p.saturating_sub(lo).min(64);
        let m = if from_pending == 64 {
            !0u64
        } else {
            (1u64 << from_pending) - 1
        };
        // SAFETY: the mask selects pending bytes `lo..p` only (none when `p <= lo`);
        // the complement selects `src` bytes from `lo + from_pending - p` to
        // `lo + 64 - p <= CHUNK - p`, within `src`, stored at the same offsets of
        // `out`. The addresses of masked-off bytes are formed with wrapping arithmetic
        // and never accessed.
        let d = unsafe {
            let a = _mm512_maskz_loadu_epi8(m, pending.as_ptr().wrapping_add(lo).cast());
            let at = lo.wrapping_sub(p);
            let b = _mm512_maskz_loadu_epi8(!m, src.as_ptr().wrapping_add(at).cast());
            _mm512_mask_storeu_epi8(out.wrapping_add(at).cast(), !m, b);
            _mm512_or_si512(a, b)
        };
        fold_in(a, k, d);
    }
}

/// Copies `src` to `out` and folds every chunk of the stream it completes: the stream
/// is `pending` (the buffer's bytes not folded yet, right before `out`) then `src`.
/// Returns the bytes folded, a multiple of [`CHUNK`]; the rest of the stream stays
/// pending in the buffer for the next call.
///
/// The whole chunks of `pending` are folded first; the chunk that the head of `src`
/// completes is composed in registers; then the whole chunks of the rest of `src` are
/// copied and folded in one pass, and its last bytes copied with masked moves.
///
/// # Safety
/// [`available`] returned true; `out` is writable for `src.len()` bytes and does not
/// overlap `src`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,vpclmulqdq")]
pub(crate) unsafe fn append(
    lanes: &mut Lanes,
    started: &mut bool,
    pending: &[u8],
    src: &[u8],
    out: *mut u8,
) -> usize {
    if !*started {
        // Once per stream: join what is there in a chunk on the stack, whose first four
        // bytes the slice path inverts for the initial register.
        let have = pending.len() + src.len();
        if have < CHUNK {
            // SAFETY: `out` is writable for `src.len()` bytes.
            unsafe { copy_short(src.as_ptr(), out, src.len()) };
            return 0;
        }
        let mut first = [0u8; CHUNK];
        let from_pending = pending.len().min(CHUNK);
        first[..from_pending].copy_from_slice(&pending[..from_pending]);
        let fill = CHUNK - from_pending;
        first[from_pending..].copy_from_slice(&src[..fill]);
        // SAFETY: `available()` held; no destination.
        let n = unsafe { fold(lanes, started, &first, std::ptr::null_mut()) };
        let (pending, src, out) = if from_pending < pending.len() {
            (&pending[CHUNK..], src, out)
        } else {
            // SAFETY: `out` is writable for `src.len() >= fill` bytes.
            unsafe { copy_short(src.as_ptr(), out, fill) };
            // SAFETY: the rest of `out`, `src.len() - fill` bytes.
            (&pending[..0], &src[fill..], unsafe { out.add(fill) })
        };
        // SAFETY: the caller's guarantees, for the rest.
        return n + unsafe { append(lanes, started, pending, src, out) };
    }
    let mut acc = load(lanes);
    // SAFETY: STEP is 64 bytes.
    let k = unsafe { _mm512_loadu_si512(STEP.as_ptr().cast()) };
    let mut folded = 0;
    let mut whole = pending.chunks_exact(CHUNK);
    for c in &mut whole {
        // SAFETY: CHUNK readable bytes; no destination.
        unsafe { step(&mut acc, k, c.as_ptr(), std::ptr::null_mut()) };
        folded += CHUNK;
    }
    let pending = whole.remainder();
    let mut rest = src;
    let mut out = out;
    if !pending.is_empty() {
        let fill = CHUNK - pending.len();
        if rest.len() < fill {
            // SAFETY: `out` is writable for `src.len()` bytes.
            unsafe { copy_short(rest.as_ptr(), out, rest.len()) };
            store(lanes, &acc);
            return folded;
        }
        // SAFETY: `rest` has `fill` bytes, and `out` is writable for them.
        unsafe { step_joined(&mut acc, k, pending, rest, out) };
        folded += CHUNK;
        rest = &rest[fill..];
        // SAFETY: still within the `src.len()` writable bytes of `out`.
        out = unsafe { out.add(fill) };
    }
    let mut chunks = rest.chunks_exact(CHUNK);
    for c in &mut chunks {
        // SAFETY: CHUNK bytes of `src`, copied to the next CHUNK bytes of `out`.
        unsafe { step(&mut acc, k, c.as_ptr(), out) };
        // SAFETY: within `out`'s writable bytes.
        out = unsafe { out.add(CHUNK) };
        folded += CHUNK;
    }
    let tail = chunks.remainder();
    // SAFETY: the last bytes of `src`, to the last bytes of `out`.
    unsafe { copy_short(tail.as_ptr(), out, tail.len()) };
    store(lanes, &acc);
    folded
}

/// Bytes of each of the three scalar streams per vector chunk in [`crc32c`].
const SCALAR_STEP: usize = 40;

/// Below this many bytes [`crc32c`] is not worth its set-up (three shifts of the
/// streams' CRCs, about a microsecond).
pub(crate) const HYBRID_MIN: usize = 64 * 1024;

/// The CRC-32C of `data` (at least [`HYBRID_MIN`] bytes) with the vector units and the
/// integer units at work together: the first part of `data` is folded by the 512-bit
/// carry-less multiplications, [`CHUNK`] bytes a step, while three streams of the SSE4.2
/// `crc32` instruction take [`SCALAR_STEP`] bytes each of three further parts; the
/// parts' CRCs are then shifted into place and the last bytes taken by the scalar
/// instruction. On Zen 5 the vector fold alone is bound by the multiplier (about 66
/// GB/s); the scalar streams run beside it on ports it leaves idle.
///
/// # Safety
/// [`available`] returned true.
#[target_feature(enable = "avx512f,vpclmulqdq,sse4.2")]
pub(crate) unsafe fn crc32c(data: &[u8]) -> u32 {
    let per_step = CHUNK + 3 * SCALAR_STEP;
    let steps = data.len() / per_step;
    let (v, s) = data.split_at(steps * CHUNK);
    let s_len = steps * SCALAR_STEP;
    let (s0, s) = s.split_at(s_len);
    let (s1, s) = s.split_at(s_len);
    let (s2, rest) = s.split_at(s_len);
    let mut lanes = Lanes::default();
    let mut started = false;
    // SAFETY: `available()` held; the first chunk starts the lanes; no destination.
    unsafe { fold(&mut lanes, &mut started, &v[..CHUNK], std::ptr::null_mut()) };
    let mut acc = load(&lanes);
    // SAFETY: STEP is 64 bytes.
    let k = unsafe { _mm512_loadu_si512(STEP.as_ptr().cast()) };
    let (mut c0, mut c1, mut c2) = (!0u64, !0u64, !0u64);
    for i in 0..steps {
        if i > 0 {
            // SAFETY: chunk `i < steps` lies within `v`; no destination.
            unsafe { step(&mut acc, k, v.as_ptr().add(i * CHUNK), std::ptr::null_mut()) };
        }
        let at = i * SCALAR_STEP;
        for w in 0..SCALAR_STEP / 8 {
            let j = at + 8 * w;
            c0 = _mm_crc32_u64(c0, le64(&s0[j..]));
            c1 = _mm_crc32_u64(c1, le64(&s1[j..]));
            c2 = _mm_crc32_u64(c2, le64(&s2[j..]));
        }
    }
    store(&mut lanes, &acc);
    // SAFETY: `available()` held.
    let crc_v = unsafe { finish(&lanes, true, &[]) };
    let f = crate::gf::shifter(s_len as u64);
    let mut crc = crate::gf::shift(f, crc_v) ^ !(c0 as u32);
    crc = crate::gf::shift(f, crc) ^ !(c1 as u32);
    crc = crate::gf::shift(f, crc) ^ !(c2 as u32);
    // Continue the register over the rest.
    !register_over(!crc, rest)
}
