//! A single record inside a batch.

use bytes::{BufMut, Bytes, BytesMut};

use crate::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version, varint};

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
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb::opt_bytes))]
    pub key: Option<Bytes>,
    /// The value.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::codec::arb::bytes))]
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

    /// Size of everything after the leading length varint.
    fn body_size(&self) -> usize {
        let key = match &self.key {
            None => 1,
            Some(k) => 1 + len_size(k.len()) + k.len(),
        };
        1 + varint::size(self.timestamp_delta)
            + varint::size(self.offset_delta)
            + key
            + len_size(self.value.len())
            + self.value.len()
            + varint::size(self.headers)
    }

    /// Bytes this record takes on the wire, length prefix included.
    pub fn encoded_size(&self) -> usize {
        let body = self.body_size();
        len_size(body) + body
    }
}

/// Encoded size of a length written as a varint.
fn len_size(len: usize) -> usize {
    varint::size(i64::try_from(len).unwrap_or(i64::MAX))
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
        let body = checked_len("record", self.body_size())?;
        dst.reserve(len_size(body as usize) + body as usize);
        varint::encode(dst, body);
        dst.put_i8(self.attributes);
        varint::encode(dst, self.timestamp_delta);
        varint::encode(dst, self.offset_delta);
        match &self.key {
            None => dst.put_u8(0),
            Some(key) => {
                dst.put_u8(1);
                varint::encode(dst, checked_len("record key", key.len())?);
                dst.extend_from_slice(key);
            }
        }
        varint::encode(dst, checked_len("record value", self.value.len())?);
        dst.extend_from_slice(&self.value);
        varint::encode(dst, self.headers);
        Ok(())
    }
}

/// Reads a varint length and takes that many bytes, zero-copy.
fn varint_bytes(src: &mut Reader, what: &'static str) -> Result<Bytes, DecodeError> {
    let len = src.varint()?;
    let n = usize::try_from(len).map_err(|_| DecodeError::InvalidLength { what, len })?;
    src.bytes(what, n)
}

impl Decode for Record {
    /// Reads one record; it must fill exactly the length it declares.
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        let mut body = Reader::new(varint_bytes(src, "record")?);
        let attributes = body.i8()?;
        let timestamp_delta = body.varint()?;
        let offset_delta = body.varint()?;
        let key = if body.bool()? {
            Some(varint_bytes(&mut body, "record key")?)
        } else {
            None
        };
        let value = varint_bytes(&mut body, "record value")?;
        let headers = body.varint()?;
        body.expect_end("record")?;
        Ok(Self {
            attributes,
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_exact, encode_to_bytes};
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
    fn hostile_records() {
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
        fn roundtrip(
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
