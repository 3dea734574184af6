//! A single record inside a batch.

use bytes::{BufMut, Bytes, BytesMut};

use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version, varint};

/// Smallest encoded record: length, attributes, two deltas, key flag, value length and
/// header count, one byte each.
pub const MIN_RECORD_SIZE: usize = 7;

/// One record, in Fluvio's layout (which is **not** Kafka's):
///
/// ```text
/// varint length (of what follows)
/// attributes      i8
/// timestamp_delta varint
/// offset_delta    varint
/// key             u8 flag 0/1, then (if 1) varint length + bytes
/// value           varint length + bytes
/// headers         varint (a count; Fluvio always writes 0 and has no header entries)
/// ```
///
/// Decoded keys and values are zero-copy slices of the buffer they were read from.
#[derive(Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Record {
    /// Record attributes (unused by Fluvio, 0).
    pub attributes: i8,
    /// Milliseconds after the batch's `first_timestamp`.
    pub timestamp_delta: i64,
    /// Offset relative to the batch's base offset.
    pub offset_delta: i64,
    /// The key, if any.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::opt_bytes))]
    pub key: Option<Bytes>,
    /// The value.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
    pub value: Bytes,
    /// The header count (always 0 on the wire in practice).
    pub headers: i64,
}

impl Record {
    /// A record with a value and no key.
    pub fn new(value: impl Into<Bytes>) -> Self {
        Self {
            value: value.into(),
            ..Self::default()
        }
    }

    /// A record with a key and a value.
    pub fn with_key(key: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        Self {
            key: Some(key.into()),
            value: value.into(),
            ..Self::default()
        }
    }

    /// Bytes this record takes on the wire, length prefix included.
    pub fn encoded_size(&self) -> usize {
        encoded_size_parts(
            self.timestamp_delta,
            self.offset_delta,
            self.key.as_deref(),
            &self.value,
            self.headers,
        )
    }
}

/// Size of a record's body (everything after its leading length varint).
#[inline]
fn body_size(
    timestamp_delta: i64,
    offset_delta: i64,
    key: Option<&[u8]>,
    value: &[u8],
    headers: i64,
) -> usize {
    let key_size = key.map_or(1, |k| 1 + len_size(k.len()) + k.len());
    1 + varint::size(timestamp_delta)
        + varint::size(offset_delta)
        + key_size
        + len_size(value.len())
        + value.len()
        + varint::size(headers)
}

/// Bytes a record of these fields takes on the wire, length prefix included.
#[inline]
pub(super) fn encoded_size_parts(
    timestamp_delta: i64,
    offset_delta: i64,
    key: Option<&[u8]>,
    value: &[u8],
    headers: i64,
) -> usize {
    let body = body_size(timestamp_delta, offset_delta, key, value, headers);
    len_size(body) + body
}

/// Encoded size of a length written as a varint.
#[inline]
fn len_size(len: usize) -> usize {
    varint::size(i64::try_from(len).unwrap_or(i64::MAX))
}

/// Appends a zig-zag varint, one- and two-byte values (deltas, lengths below 8 KiB) in
/// a single store.
#[inline(always)]
fn put_varint(dst: &mut BytesMut, n: i64) {
    match short_varint(n) {
        Some((v, 1)) => dst.put_u8(v as u8),
        Some((v, _)) => dst.put_u16_le(v as u16),
        None => put_long_varint(dst, varint::zigzag(n)),
    }
}

/// Appends a zig-zagged varint of three bytes or more.
#[cold]
fn put_long_varint(dst: &mut BytesMut, mut u: u64) {
    while u >= 0x80 {
        dst.put_u8((u as u8 & 0x7f) | 0x80);
        u >>= 7;
    }
    dst.put_u8(u as u8);
}

/// Writes one record from its parts in a single pass; returns the bytes written.
///
/// This is [`Record`]'s encoding without a `Record`: the batch builder calls it with
/// borrowed keys and values so that pushing a record neither allocates nor touches a
/// reference count. The key and value bytes are written by `put` (the batch builder
/// folds them into the batch's CRC as it copies them).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn encode_parts(
    dst: &mut BytesMut,
    mut put: impl FnMut(&mut BytesMut, &[u8]),
    attributes: i8,
    timestamp_delta: i64,
    offset_delta: i64,
    key: Option<&[u8]>,
    value: &[u8],
    headers: i64,
) -> Result<usize, EncodeError> {
    if key.is_none()
        && headers == 0
        && let Some(n) = encode_short_head(
            dst,
            &mut put,
            attributes,
            timestamp_delta,
            offset_delta,
            value,
        )
    {
        return Ok(n);
    }
    let body = body_size(timestamp_delta, offset_delta, key, value, headers);
    // Keys and values are shorter than the body: checking it checks them.
    let body = checked_len("record", body)?;
    let total = len_size(body as usize) + body as usize;
    dst.reserve(total);
    put_varint(dst, body);
    dst.put_u8(attributes as u8);
    put_varint(dst, timestamp_delta);
    put_varint(dst, offset_delta);
    match key {
        None => dst.put_u8(0),
        Some(key) => {
            dst.put_u8(1);
            put_varint(dst, key.len() as i64);
            put(dst, key);
        }
    }
    put_varint(dst, value.len() as i64);
    put(dst, value);
    put_varint(dst, headers);
    Ok(total)
}

/// A zig-zag varint of at most two bytes (below 2^14 once zig-zagged): its bytes, first
/// in the low bits, and how many there are.
#[inline(always)]
fn short_varint(n: i64) -> Option<(u64, usize)> {
    let u = varint::zigzag(n);
    if u < 0x80 {
        Some((u, 1))
    } else if u < 0x4000 {
        Some(((u & 0x7f) | 0x80 | ((u >> 7) << 8), 2))
    } else {
        None
    }
}

/// The common record of a producer (no key, no headers, a value under 16 KiB, deltas of
/// two varint bytes at most), with its head (at most 10 bytes) composed in registers and
/// written in two stores; `None`, and nothing written, for any other record.
#[inline(always)]
fn encode_short_head(
    dst: &mut BytesMut,
    put: &mut impl FnMut(&mut BytesMut, &[u8]),
    attributes: i8,
    timestamp_delta: i64,
    offset_delta: i64,
    value: &[u8],
) -> Option<usize> {
    let (ts, ts_n) = short_varint(timestamp_delta)?;
    let (off, off_n) = short_varint(offset_delta)?;
    let (len, len_n) = short_varint(i64::try_from(value.len()).ok()?)?;
    // Attributes, deltas, key flag, value length, value, header count.
    let body = 1 + ts_n + off_n + 1 + len_n + value.len() + 1;
    let (body_v, body_n) = short_varint(body as i64)?;
    // Length, attributes and deltas (at most 7 bytes) in one store, then the key flag
    // (0, no key) and the value length in another.
    let mut head = body_v;
    let mut bits = 8 * body_n;
    head |= u64::from(attributes as u8) << bits;
    bits += 8;
    head |= ts << bits;
    bits += 8 * ts_n;
    head |= off << bits;
    bits += 8 * off_n;
    let tail = (len as u32) << 8;
    dst.reserve(12 + value.len() + 1);
    let at = dst.len();
    dst.put_u64_le(head);
    dst.truncate(at + bits / 8);
    dst.put_u32_le(tail);
    dst.truncate(at + bits / 8 + 1 + len_n);
    put(dst, value);
    dst.put_u8(0);
    Some(body_n + body)
}

/// Checks that a length fits the `i32`-sized batch it will live in.
fn checked_len(what: &'static str, len: usize) -> Result<i64, EncodeError> {
    if len > i32::MAX as usize {
        return Err(EncodeError::TooLong {
            what,
            len,
            max: i32::MAX as usize,
        });
    }
    Ok(len as i64)
}

impl Encode for Record {
    /// Writes the record in one pass: its length is computed up front.
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        encode_parts(
            dst,
            |dst, bytes| dst.extend_from_slice(bytes),
            self.attributes,
            self.timestamp_delta,
            self.offset_delta,
            self.key.as_deref(),
            &self.value,
            self.headers,
        )
        .map(drop)
    }
}

/// Reads a varint at `*at` of `buf`, with fast paths for one- and two-byte values
/// (deltas, and lengths below 8 KiB).
///
/// Errors are those of [`Reader::varint`] on `buf[*at..]`.
#[inline(always)]
fn varint_at(buf: &[u8], at: &mut usize) -> Result<i64, DecodeError> {
    let rest = buf.get(*at..).unwrap_or_default();
    match *rest {
        [b0, ..] if b0 < 0x80 => {
            *at += 1;
            Ok(varint::unzigzag(u64::from(b0)))
        }
        [b0, b1, ..] if b1 < 0x80 => {
            *at += 2;
            Ok(varint::unzigzag(
                u64::from(b0 & 0x7f) | (u64::from(b1) << 7),
            ))
        }
        _ => {
            let (value, used) = varint::decode(rest)?;
            *at += used;
            Ok(value)
        }
    }
}

/// Reads a byte at `*at` of `buf`, failing as [`Reader::u8`] (or `i8`) would.
#[inline(always)]
fn byte_at(buf: &[u8], at: &mut usize, what: &'static str) -> Result<u8, DecodeError> {
    match buf.get(*at) {
        Some(&b) => {
            *at += 1;
            Ok(b)
        }
        None => Err(DecodeError::UnexpectedEof {
            what,
            needed: 1,
            remaining: 0,
        }),
    }
}

/// Reads a varint length at `*at` of `buf` and checks that many bytes follow; returns
/// their range. Errors are those of a [`Reader`] reading the same field.
#[inline(always)]
fn sized_at(
    buf: &[u8],
    at: &mut usize,
    what: &'static str,
) -> Result<std::ops::Range<usize>, DecodeError> {
    let len = varint_at(buf, at)?;
    let n = usize::try_from(len).map_err(|_| DecodeError::InvalidLength { what, len })?;
    let remaining = buf.len().saturating_sub(*at);
    if n > remaining {
        return Err(DecodeError::UnexpectedEof {
            what,
            needed: n,
            remaining,
        });
    }
    let start = *at;
    *at += n;
    Ok(start..*at)
}

/// Decodes the record at `*at` of `section`, whose key and value become zero-copy
/// slices of `section`; advances `*at` past it.
///
/// Reads exactly what [`Record::decode`] reads and fails the same way, without creating
/// a [`Reader`] per record: one reference-count increment per key or value is all the
/// allocation-free work it does besides parsing.
#[inline]
pub(super) fn decode_at(section: &Bytes, at: &mut usize) -> Result<Record, DecodeError> {
    let body = sized_at(section, at, "record")?;
    // Field offsets are relative to the record body.
    let buf = section.get(body.clone()).unwrap_or_default();
    let mut i = 0;
    let attributes = byte_at(buf, &mut i, "i8")? as i8;
    let timestamp_delta = varint_at(buf, &mut i)?;
    let offset_delta = varint_at(buf, &mut i)?;
    let key = match byte_at(buf, &mut i, "u8")? {
        0 => None,
        1 => Some(sized_at(buf, &mut i, "record key")?),
        b => return Err(DecodeError::InvalidBool(b)),
    };
    let value = sized_at(buf, &mut i, "record value")?;
    let headers = varint_at(buf, &mut i)?;
    if i != buf.len() {
        return Err(DecodeError::TrailingBytes {
            what: "record",
            remaining: buf.len() - i,
        });
    }
    let slice = |r: std::ops::Range<usize>| section.slice(body.start + r.start..body.start + r.end);
    Ok(Record {
        attributes,
        timestamp_delta,
        offset_delta,
        key: key.map(slice),
        value: slice(value),
        headers,
    })
}

impl Decode for Record {
    /// Reads one record; it must fill exactly the length it declares.
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        // Find the record's extent first, so that errors about its length come before
        // any about its fields, then decode it from a slice of exactly that extent.
        let mut end = 0;
        sized_at(src.peek(), &mut end, "record")?;
        let bytes = src.bytes("record", end)?;
        let mut at = 0;
        decode_at(&bytes, &mut at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};
    use proptest::prelude::*;

    fn dec(bytes: &[u8]) -> Result<Record, DecodeError> {
        decode_exact(Bytes::copy_from_slice(bytes), 0, "record")
    }

    #[test]
    fn known_layout_from_trace() {
        // Record "k2" -> "v2" at offset delta 0, from produce-keys.trace.
        let wire = hex::decode("16000000 01 046b32 047632 00".replace(' ', "")).unwrap();
        let rec = dec(&wire).unwrap();
        assert_eq!(rec, Record::with_key(&b"k2"[..], &b"v2"[..]));
        assert_eq!(&encode_to_bytes(&rec, 0).unwrap()[..], &wire[..]);
        assert_eq!(rec.encoded_size(), wire.len());
    }

    #[test]
    fn zero_copy_key_and_value() {
        let frame = encode_to_bytes(&Record::with_key(&b"key"[..], &b"value"[..]), 0).unwrap();
        let rec: Record = decode_exact(frame.clone(), 0, "record").unwrap();
        let range = frame.as_ptr_range();
        assert!(range.contains(&rec.value.as_ptr()));
        assert!(range.contains(&rec.key.unwrap().as_ptr()));
    }

    #[test]
    fn hostile_record_bytes_are_typed_errors() {
        // Declared length longer than the input.
        assert!(matches!(
            dec(&[0x20, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::UnexpectedEof { .. })
        ));
        // Negative record length.
        assert!(matches!(
            dec(&[0x01, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::InvalidLength { .. })
        ));
        // Negative value length (varint 1 = -1).
        assert!(matches!(
            dec(&[0x0a, 0, 0, 0, 0, 0x01, 0]),
            Err(DecodeError::InvalidLength {
                what: "record value",
                len: -1
            })
        ));
        // Huge key length inside a small record: no allocation, just an error.
        let mut huge = vec![0x1c, 0, 0, 0, 1];
        varint::encode(&mut huge, i64::MAX);
        huge.extend_from_slice(&[0, 0]);
        huge[0] = ((huge.len() - 1) * 2) as u8;
        assert!(matches!(dec(&huge), Err(DecodeError::UnexpectedEof { .. })));
        // Bad key flag.
        assert!(matches!(
            dec(&[0x0a, 0, 0, 0, 2, 0, 0]),
            Err(DecodeError::InvalidBool(2))
        ));
        // A record shorter than its fields, and one longer than them.
        assert!(dec(&[0x08, 0, 0, 0, 0]).is_err());
        assert!(matches!(
            dec(&[0x0e, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::TrailingBytes { what: "record", .. })
        ));
    }

    proptest! {
        #[test]
        fn every_record_survives_a_round_trip(
            attributes in any::<i8>(),
            timestamp_delta in any::<i64>(),
            offset_delta in any::<i64>(),
            key in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300)),
            value in proptest::collection::vec(any::<u8>(), 0..300),
            headers in any::<i64>(),
        ) {
            let rec = Record {
                attributes, timestamp_delta, offset_delta,
                key: key.map(Bytes::from), value: Bytes::from(value), headers,
            };
            let wire = encode_to_bytes(&rec, 0).unwrap();
            prop_assert_eq!(wire.len(), rec.encoded_size());
            prop_assert_eq!(decode_exact::<Record>(wire, 0, "record").unwrap(), rec);
        }
    }
}
