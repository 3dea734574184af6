//! [`Encode`] / [`Decode`] for integers, strings, vectors, options, maps and bytes.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};

use super::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

macro_rules! int_codec {
    ($($ty:ty => $put:ident, $get:ident;)*) => {$(
        impl Encode for $ty {
            fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
                dst.$put(*self);
                Ok(())
            }
        }
        impl Decode for $ty {
            fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
                src.$get()
            }
        }
    )*};
}

int_codec! {
    i8 => put_i8, i8;
    u8 => put_u8, u8;
    i16 => put_i16, i16;
    u16 => put_u16, u16;
    i32 => put_i32, i32;
    u32 => put_u32, u32;
    i64 => put_i64, i64;
    u64 => put_u64, u64;
    f32 => put_f32, f32;
    f64 => put_f64, f64;
}

impl Encode for bool {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        dst.put_u8(u8::from(*self));
        Ok(())
    }
}

impl Decode for bool {
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        src.bool()
    }
}

/// Writes a string with its `i16` length prefix.
pub(crate) fn put_str(dst: &mut BytesMut, s: &str) -> Result<(), EncodeError> {
    let len = i16::try_from(s.len()).map_err(|_| EncodeError::TooLong {
        what: "string",
        len: s.len(),
        max: i16::MAX as usize,
    })?;
    dst.put_i16(len);
    dst.extend_from_slice(s.as_bytes());
    Ok(())
}

impl Encode for str {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        put_str(dst, self)
    }
}

impl Encode for String {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        put_str(dst, self)
    }
}

impl Decode for String {
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        src.string("string")
    }
}

/// Writes a `u32` element count.
pub(crate) fn put_count(dst: &mut BytesMut, len: usize) -> Result<(), EncodeError> {
    let n = i32::try_from(len).map_err(|_| EncodeError::TooLong {
        what: "vector",
        len,
        max: i32::MAX as usize,
    })?;
    dst.put_i32(n);
    Ok(())
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        put_count(dst, self.len())?;
        for item in self {
            item.encode(dst, version)?;
        }
        Ok(())
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let n = src.count("vector")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(T::decode(src, version)?);
        }
        Ok(out)
    }
}

/// A byte string with a `u32` length prefix, decoded zero-copy.
impl Encode for Bytes {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        put_count(dst, self.len())?;
        dst.extend_from_slice(self);
        Ok(())
    }
}

impl Decode for Bytes {
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        src.bytes_u32("bytes")
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            None => {
                dst.put_u8(0);
                Ok(())
            }
            Some(v) => {
                dst.put_u8(1);
                v.encode(dst, version)
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        if src.bool()? {
            Ok(Some(T::decode(src, version)?))
        } else {
            Ok(None)
        }
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        (**self).encode(dst, version)
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Box::new(T::decode(src, version)?))
    }
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let n = u16::try_from(self.len()).map_err(|_| EncodeError::TooLong {
            what: "map",
            len: self.len(),
            max: u16::MAX as usize,
        })?;
        dst.put_u16(n);
        for (k, v) in self {
            k.encode(dst, version)?;
            v.encode(dst, version)?;
        }
        Ok(())
    }
}

impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let n = src.count_u16("map")?;
        let mut out = BTreeMap::new();
        for _ in 0..n {
            let k = K::decode(src, version)?;
            let v = V::decode(src, version)?;
            out.insert(k, v);
        }
        Ok(out)
    }
}

/// `Duration` is `u64` seconds then `u32` nanoseconds.
impl Encode for Duration {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        dst.put_u64(self.as_secs());
        dst.put_u32(self.subsec_nanos());
        Ok(())
    }
}

impl Decode for Duration {
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        let secs = src.u64()?;
        let nanos = src.u32()?;
        if nanos >= 1_000_000_000 {
            return Err(DecodeError::InvalidValue {
                what: "duration",
                message: format!("{nanos} nanoseconds"),
            });
        }
        Ok(Duration::new(secs, nanos))
    }
}

impl Encode for () {
    fn encode(&self, _: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        Ok(())
    }
}

impl Decode for () {
    fn decode(_: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    fn rt<T: Encode + Decode + PartialEq + std::fmt::Debug>(v: T, bytes: &[u8]) {
        let enc = encode_to_bytes(&v, 0).unwrap();
        assert_eq!(&enc[..], bytes);
        let dec: T = decode_exact(Bytes::copy_from_slice(bytes), 0, "test").unwrap();
        assert_eq!(dec, v);
    }

    #[test]
    fn primitives_encode_big_endian_and_decode_back() {
        rt(0x1234i16, &[0x12, 0x34]);
        rt(-2i32, &[0xff, 0xff, 0xff, 0xfe]);
        rt(true, &[1]);
        rt(String::from("ab"), &[0, 2, b'a', b'b']);
        rt(vec![1u16, 2], &[0, 0, 0, 2, 0, 1, 0, 2]);
        rt(Some(7u8), &[1, 7]);
        rt(None::<u8>, &[0]);
        rt(Duration::new(1, 2), &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
        let mut m = BTreeMap::new();
        m.insert(String::from("k"), String::from("v"));
        rt(m, &[0, 1, 0, 1, b'k', 0, 1, b'v']);
    }

    #[test]
    fn hostile_primitive_bytes_are_typed_errors() {
        let bad = |b: &[u8]| Reader::new(Bytes::copy_from_slice(b));
        assert!(matches!(
            bool::decode(&mut bad(&[2]), 0),
            Err(DecodeError::InvalidBool(2))
        ));
        assert!(matches!(
            String::decode(&mut bad(&[0, 2, 0xff, 0xfe]), 0),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        assert!(matches!(
            String::decode(&mut bad(&[0xff, 0xff]), 0),
            Err(DecodeError::InvalidLength { .. })
        ));
        assert!(matches!(
            String::decode(&mut bad(&[0, 9, b'a']), 0),
            Err(DecodeError::UnexpectedEof { .. })
        ));
        // A huge count is rejected before any allocation.
        assert!(matches!(
            Vec::<u8>::decode(&mut bad(&[0x7f, 0xff, 0xff, 0xff, 1]), 0),
            Err(DecodeError::InvalidLength { .. })
        ));
        assert!(matches!(
            Vec::<u8>::decode(&mut bad(&[0xff, 0xff, 0xff, 0xff]), 0),
            Err(DecodeError::InvalidLength { .. })
        ));
        assert!(matches!(
            i64::decode(&mut bad(&[1, 2, 3]), 0),
            Err(DecodeError::UnexpectedEof { .. })
        ));
    }
}
