//! Update (key 1006, versions 1..=19): a typed buffer of `UpdateRequest<key, action>`.
//!
//! Upstream's SC decodes the typed buffer *with* its `u32` length at every version, while
//! upstream's client omits the length below v11 (so such a request would not decode). This codec
//! follows the SC: the length is always present.

use bytes::BytesMut;

use super::{ObjectKind, decode_typed, encode_typed, object_enum};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::header::Request;
use crate::protocol::sc::api_key;
use crate::protocol::sc::spu::CustomSpuKey;
use crate::protocol::sc::status::Status;
use crate::protocol::sc::topic::UpdateTopicAction;

/// The inner update request: which object, what to do.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct UpdateRequest<K, A> {
    /// The object's key.
    pub key: K,
    /// The action.
    pub action: A,
}

impl<K: Encode, A: Encode> Encode for UpdateRequest<K, A> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.key.encode(dst, version)?;
        self.action.encode(dst, version)
    }
}

impl<K: Decode, A: Decode> Decode for UpdateRequest<K, A> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            key: K::decode(src, version)?,
            action: A::decode(src, version)?,
        })
    }
}

object_enum! {
    op = "Update";
    /// An Update request (1006); answered by a [`Status`]. Only topics have typed actions;
    /// the other kinds take a free-form string action upstream.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ObjectUpdateRequest {
        /// Update a topic (add partitions, add a mirror).
        Topic(UpdateRequest<String, UpdateTopicAction>),
        /// Update a custom SPU.
        CustomSpu(UpdateRequest<CustomSpuKey, String>),
        /// Update an SPU group.
        SpuGroup(UpdateRequest<String, String>),
        /// Update a SmartModule.
        SmartModule(UpdateRequest<String, String>),
        /// Update a table format.
        TableFormat(UpdateRequest<String, String>),
    }
}

impl Default for ObjectUpdateRequest {
    fn default() -> Self {
        Self::Topic(UpdateRequest::default())
    }
}

impl Encode for ObjectUpdateRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind().label(), true, |d| {
            self.encode_inner(d, version)
        })
    }
}

impl Decode for ObjectUpdateRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, true, |label, inner| {
            Self::decode_inner(ObjectKind::parse_label(label)?, inner, version)
        })
    }
}

impl Request for ObjectUpdateRequest {
    const API_KEY: u16 = api_key::UPDATE;
    const MIN_VERSION: Version = 1;
    const MAX_VERSION: Version = 19;
    type Response = Status;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};
    use crate::protocol::sc::topic::AddPartition;

    #[test]
    fn length_at_every_version() {
        let r = ObjectUpdateRequest::Topic(UpdateRequest {
            key: "t3".into(),
            action: UpdateTopicAction::AddPartition(AddPartition { count: 2 }),
        });
        for v in [1, 10, 11, 19] {
            let b = encode_to_bytes(&r, v).unwrap();
            assert_eq!(
                &b[..],
                &[
                    0, 5, b'T', b'o', b'p', b'i', b'c', 0, 0, 0, 9, 0, 2, b't', b'3', 0, 0, 0, 0, 2
                ]
            );
            assert_eq!(decode_exact::<ObjectUpdateRequest>(b, v, "u").unwrap(), r);
        }
        let mut b = BytesMut::new();
        encode_typed(&mut b, 19, "Mirror", true, |_| Ok(())).unwrap();
        assert!(decode_exact::<ObjectUpdateRequest>(b.freeze(), 19, "u").is_err());
    }
}
