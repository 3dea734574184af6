//! Delete (key 1002, versions 1..=19): a typed buffer of `DeleteRequest<key>`.
//!
//! Below v11 the classic layout is the label then the request, without a length. Upstream's SC
//! decodes classic deletes only for Topic, CustomSpu, SmartModule, SpuGroup and TableFormat;
//! this codec also accepts Mirror there.

use bytes::BytesMut;

use super::{ObjectKind, decode_typed, encode_typed, object_enum};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::header::Request;
use crate::protocol::sc::api_key;
use crate::protocol::sc::spu::CustomSpuKey;
use crate::protocol::sc::status::Status;

/// The inner delete request: which object, and whether to force.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct DeleteRequest<K> {
    /// The object's key.
    pub key: K,
    /// Delete even if other objects depend on it (v≥13).
    pub force: bool,
}

impl<K> DeleteRequest<K> {
    /// A non-forced delete of `key`.
    pub fn new(key: K) -> Self {
        Self { key, force: false }
    }
}

impl<K: Encode> Encode for DeleteRequest<K> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.key.encode(dst, version)?;
        if version >= 13 {
            self.force.encode(dst, version)?;
        }
        Ok(())
    }
}

impl<K: Decode> Decode for DeleteRequest<K> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let key = K::decode(src, version)?;
        let force = if version >= 13 {
            bool::decode(src, version)?
        } else {
            false
        };
        Ok(Self { key, force })
    }
}

object_enum! {
    op = "Delete";
    /// A Delete request (1002); answered by a [`Status`].
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ObjectDeleteRequest {
        /// Delete a topic by name.
        Topic(DeleteRequest<String>),
        /// Unregister a custom SPU by name or id.
        CustomSpu(DeleteRequest<CustomSpuKey>),
        /// Delete an SPU group.
        SpuGroup(DeleteRequest<String>),
        /// Delete a SmartModule.
        SmartModule(DeleteRequest<String>),
        /// Delete a table format.
        TableFormat(DeleteRequest<String>),
        /// Delete a mirror.
        Mirror(DeleteRequest<String>),
    }
}

impl Default for ObjectDeleteRequest {
    fn default() -> Self {
        Self::Topic(DeleteRequest::default())
    }
}

impl Encode for ObjectDeleteRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind().label(), false, |d| {
            self.encode_inner(d, version)
        })
    }
}

impl Decode for ObjectDeleteRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, false, |label, inner| {
            Self::decode_inner(ObjectKind::parse_label(label)?, inner, version)
        })
    }
}

impl Request for ObjectDeleteRequest {
    const API_KEY: u16 = api_key::DELETE;
    const MIN_VERSION: Version = 1;
    const MAX_VERSION: Version = 19;
    type Response = Status;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn classic_and_typed() {
        let r = ObjectDeleteRequest::Topic(DeleteRequest::new("t".into()));
        let v10 = encode_to_bytes(&r, 10).unwrap();
        assert_eq!(&v10[..], &[0, 5, b'T', b'o', b'p', b'i', b'c', 0, 1, b't']);
        assert_eq!(
            decode_exact::<ObjectDeleteRequest>(v10, 10, "d").unwrap(),
            r
        );
        let v19 = encode_to_bytes(&r, 19).unwrap();
        assert_eq!(
            &v19[..],
            &[
                0, 5, b'T', b'o', b'p', b'i', b'c', 0, 0, 0, 4, 0, 1, b't', 0
            ]
        );
        assert_eq!(
            decode_exact::<ObjectDeleteRequest>(v19.clone(), 19, "d").unwrap(),
            r
        );
        let v12 = encode_to_bytes(&r, 12).unwrap();
        assert_eq!(v12.len(), v19.len() - 1);
    }
}
