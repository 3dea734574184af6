//! Create (key 1001, versions 9..=19).
//!
//! v≥11: typed buffer of `CommonCreateRequest` + spec. v9/v10 (classic): `CommonCreateRequest`,
//! a `u8` create type (Topic 0, CustomSpu 1, SpuGroup 2, SmartModule 4, TableFormat 5, Mirror 6),
//! then the spec, with no label and no length. Upstream's SC cannot decode the classic Mirror
//! type (6) though its client encodes it; this codec accepts it both ways.

use bytes::BytesMut;

use super::{DYN_OBJ, ObjectKind, decode_typed, encode_typed, object_enum};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::header::Request;
use crate::protocol::sc::api_key;
use crate::protocol::sc::mirror::MirrorSpec;
use crate::protocol::sc::smartmodule::SmartModuleSpec;
use crate::protocol::sc::spg::SpuGroupSpec;
use crate::protocol::sc::spu::CustomSpuSpec;
use crate::protocol::sc::status::Status;
use crate::protocol::sc::tableformat::TableFormatSpec;
use crate::protocol::sc::topic::TopicSpec;

crate::wire_struct! {
    /// Parameters every Create carries.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct CommonCreateRequest {
        /// Name of the new object.
        pub name: String,
        /// Validate only.
        pub dry_run: bool,
        /// Server-side timeout in milliseconds (v≥7).
        @since(7)
        pub timeout: Option<u32>,
    }
}

object_enum! {
    op = "Create";
    /// The spec of an object to create: the variant decides the label.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ObjectSpec {
        /// A topic.
        Topic(TopicSpec),
        /// A custom SPU registration.
        CustomSpu(CustomSpuSpec),
        /// An SPU group.
        SpuGroup(SpuGroupSpec),
        /// A SmartModule.
        SmartModule(SmartModuleSpec),
        /// A table format.
        TableFormat(TableFormatSpec),
        /// A mirror.
        Mirror(MirrorSpec),
    }
}

impl Default for ObjectSpec {
    fn default() -> Self {
        Self::Topic(TopicSpec::default())
    }
}

impl ObjectSpec {
    /// The classic (v<11) create type byte.
    pub fn classic_type(&self) -> u8 {
        match self {
            Self::Topic(_) => 0,
            Self::CustomSpu(_) => 1,
            Self::SpuGroup(_) => 2,
            Self::SmartModule(_) => 4,
            Self::TableFormat(_) => 5,
            Self::Mirror(_) => 6,
        }
    }

    fn kind_of_classic_type(tag: u8) -> Result<ObjectKind, DecodeError> {
        Ok(match tag {
            0 => ObjectKind::Topic,
            1 => ObjectKind::CustomSpu,
            2 => ObjectKind::SpuGroup,
            4 => ObjectKind::SmartModule,
            5 => ObjectKind::TableFormat,
            6 => ObjectKind::Mirror,
            _ => {
                return Err(DecodeError::UnknownTag {
                    what: "classic create type",
                    tag: i64::from(tag),
                });
            }
        })
    }
}

/// A Create request (1001); answered by a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ObjectCreateRequest {
    /// Name, dry run, timeout.
    pub common: CommonCreateRequest,
    /// What to create.
    pub spec: ObjectSpec,
}

impl Encode for ObjectCreateRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        if version >= DYN_OBJ {
            encode_typed(dst, version, self.spec.kind().label(), false, |d| {
                self.common.encode(d, version)?;
                self.spec.encode_inner(d, version)
            })
        } else {
            self.common.encode(dst, version)?;
            self.spec.classic_type().encode(dst, version)?;
            self.spec.encode_inner(dst, version)
        }
    }
}

impl Decode for ObjectCreateRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        if version >= DYN_OBJ {
            decode_typed(src, version, false, |label, inner| {
                let kind = ObjectKind::parse_label(label)?;
                let common = CommonCreateRequest::decode(inner, version)?;
                let spec = ObjectSpec::decode_inner(kind, inner, version)?;
                Ok(Self { common, spec })
            })
        } else {
            let common = CommonCreateRequest::decode(src, version)?;
            let kind = ObjectSpec::kind_of_classic_type(src.u8()?)?;
            let spec = ObjectSpec::decode_inner(kind, src, version)?;
            Ok(Self { common, spec })
        }
    }
}

impl Request for ObjectCreateRequest {
    const API_KEY: u16 = api_key::CREATE;
    const MIN_VERSION: Version = 9;
    const MAX_VERSION: Version = 19;
    type Response = Status;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    fn req() -> ObjectCreateRequest {
        ObjectCreateRequest {
            common: CommonCreateRequest {
                name: "t1".into(),
                dry_run: false,
                timeout: None,
            },
            spec: ObjectSpec::Topic(TopicSpec::computed(1, 1)),
        }
    }

    #[test]
    fn typed_and_classic_layouts() {
        let r = req();
        let v19 = encode_to_bytes(&r, 19).unwrap();
        assert_eq!(&v19[..7], &[0, 5, b'T', b'o', b'p', b'i', b'c']);
        assert_eq!(
            decode_exact::<ObjectCreateRequest>(v19, 19, "c").unwrap(),
            r
        );
        let v9 = encode_to_bytes(&r, 9).unwrap();
        // name, dry_run, timeout None, create type 0, then the spec at v9
        assert_eq!(&v9[..7], &[0, 2, b't', b'1', 0, 0, 0]);
        assert_eq!(v9[7], 1); // ReplicaSpec::Computed
        assert_eq!(decode_exact::<ObjectCreateRequest>(v9, 9, "c").unwrap(), r);
        let bad = bytes::Bytes::from_static(&[0, 0, 0, 0, 3]);
        assert!(matches!(
            decode_exact::<ObjectCreateRequest>(bad, 9, "c"),
            Err(DecodeError::UnknownTag { tag: 3, .. })
        ));
    }

    #[test]
    fn create_rejects_list_only_kinds() {
        let mut b = BytesMut::new();
        encode_typed(&mut b, 19, "SPU", false, |d| {
            CommonCreateRequest::default().encode(d, 19)
        })
        .unwrap();
        assert!(matches!(
            decode_exact::<ObjectCreateRequest>(b.freeze(), 19, "c"),
            Err(DecodeError::InvalidValue { .. })
        ));
    }
}
