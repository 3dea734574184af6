//! List (key 1003, versions 15..=19): typed `ListRequest` in, typed `Vec<Metadata<S>>` out.

use bytes::BytesMut;

use super::{ObjectKind, decode_typed, encode_typed, object_enum};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::header::Request;
use crate::protocol::sc::api_key;
use crate::protocol::sc::metadata::Metadata;
use crate::protocol::sc::mirror::MirrorSpec;
use crate::protocol::sc::partition::PartitionSpec;
use crate::protocol::sc::smartmodule::SmartModuleSpec;
use crate::protocol::sc::spg::SpuGroupSpec;
use crate::protocol::sc::spu::{CustomSpuSpec, SpuSpec};
use crate::protocol::sc::tableformat::TableFormatSpec;
use crate::protocol::sc::topic::TopicSpec;

crate::wire_struct! {
    /// A name filter: objects whose key *contains* `name` match.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ListFilter {
        /// Substring of the object key.
        pub name: String,
    }
}

/// A List request (1003) for one object kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ObjectListRequest {
    /// The kind listed (the typed buffer label).
    pub kind: ObjectKind,
    /// Name filters; empty lists everything, several match any.
    pub name_filters: Vec<ListFilter>,
    /// Ask for summaries (SmartModules without WASM) (v≥10).
    pub summary: bool,
    /// List system objects (v≥13).
    pub system: bool,
}

impl ObjectListRequest {
    /// Lists every object of `kind`.
    pub fn all(kind: ObjectKind) -> Self {
        Self {
            kind,
            ..Default::default()
        }
    }
}

impl Encode for ObjectListRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind.label(), false, |d| {
            self.name_filters.encode(d, version)?;
            if version >= 10 {
                self.summary.encode(d, version)?;
            }
            if version >= 13 {
                self.system.encode(d, version)?;
            }
            Ok(())
        })
    }
}

impl Decode for ObjectListRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, false, |label, inner| {
            let kind = ObjectKind::parse_label(label)?;
            let name_filters = Vec::decode(inner, version)?;
            let summary = version >= 10 && bool::decode(inner, version)?;
            let system = version >= 13 && bool::decode(inner, version)?;
            Ok(Self {
                kind,
                name_filters,
                summary,
                system,
            })
        })
    }
}

impl Request for ObjectListRequest {
    const API_KEY: u16 = api_key::LIST;
    const MIN_VERSION: Version = 15;
    const MAX_VERSION: Version = 19;
    type Response = ObjectListResponse;
}

object_enum! {
    op = "List";
    /// A List response: the objects of the requested kind.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ObjectListResponse {
        /// Topics.
        Topic(Vec<Metadata<TopicSpec>>),
        /// Partitions.
        Partition(Vec<Metadata<PartitionSpec>>),
        /// SPUs.
        Spu(Vec<Metadata<SpuSpec>>),
        /// Custom SPUs.
        CustomSpu(Vec<Metadata<CustomSpuSpec>>),
        /// SPU groups.
        SpuGroup(Vec<Metadata<SpuGroupSpec>>),
        /// SmartModules.
        SmartModule(Vec<Metadata<SmartModuleSpec>>),
        /// Table formats.
        TableFormat(Vec<Metadata<TableFormatSpec>>),
        /// Mirrors.
        Mirror(Vec<Metadata<MirrorSpec>>),
    }
}

impl Default for ObjectListResponse {
    fn default() -> Self {
        Self::Topic(Vec::new())
    }
}

impl ObjectListResponse {
    /// Number of objects listed.
    pub fn len(&self) -> usize {
        match self {
            Self::Topic(v) => v.len(),
            Self::Partition(v) => v.len(),
            Self::Spu(v) => v.len(),
            Self::CustomSpu(v) => v.len(),
            Self::SpuGroup(v) => v.len(),
            Self::SmartModule(v) => v.len(),
            Self::TableFormat(v) => v.len(),
            Self::Mirror(v) => v.len(),
        }
    }

    /// True when nothing was listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Encode for ObjectListResponse {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind().label(), false, |d| {
            self.encode_inner(d, version)
        })
    }
}

impl Decode for ObjectListResponse {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, false, |label, inner| {
            Self::decode_inner(ObjectKind::parse_label(label)?, inner, version)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn request_from_trace() {
        // admin-list-other.trace: List v19 of SmartModule, no filter, summary false, system false
        let hex = "000b536d6172744d6f64756c6500000006000000000000";
        let b = bytes::Bytes::from(hex::decode(hex).unwrap());
        let r: ObjectListRequest = decode_exact(b.clone(), 19, "l").unwrap();
        assert_eq!(r, ObjectListRequest::all(ObjectKind::SmartModule));
        assert_eq!(encode_to_bytes(&r, 19).unwrap(), b);
        // at v15 the system flag is still there (v≥13), the summary too
        assert_eq!(encode_to_bytes(&r, 15).unwrap(), b);
    }

    #[test]
    fn empty_response_from_trace() {
        let hex = "000b536d6172744d6f64756c650000000400000000";
        let b = bytes::Bytes::from(hex::decode(hex).unwrap());
        let r: ObjectListResponse = decode_exact(b.clone(), 19, "l").unwrap();
        assert_eq!(r, ObjectListResponse::SmartModule(vec![]));
        assert!(r.is_empty());
        assert_eq!(encode_to_bytes(&r, 19).unwrap(), b);
    }
}
