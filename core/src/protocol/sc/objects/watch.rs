//! Watch (key 1004, versions 15..=19): typed `WatchRequest` in, a stream of typed
//! `MetadataUpdate<S>` out (many responses share the request's correlation id).

use bytes::BytesMut;

use super::{ObjectKind, decode_typed, encode_typed, object_enum};
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};
use crate::protocol::header::Request;
use crate::protocol::sc::api_key;
use crate::protocol::sc::metadata::MetadataUpdate;
use crate::protocol::sc::mirror::MirrorSpec;
use crate::protocol::sc::partition::PartitionSpec;
use crate::protocol::sc::smartmodule::SmartModuleSpec;
use crate::protocol::sc::spg::SpuGroupSpec;
use crate::protocol::sc::spu::{CustomSpuSpec, SpuSpec};
use crate::protocol::sc::tableformat::TableFormatSpec;
use crate::protocol::sc::topic::TopicSpec;

/// A Watch request (1004) for one object kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct ObjectWatchRequest {
    /// The kind watched (the typed buffer label).
    pub kind: ObjectKind,
    /// Epoch to watch from; the official client always sends 0.
    pub epoch: i64,
    /// Ask for summaries (v≥10).
    pub summary: bool,
}

impl ObjectWatchRequest {
    /// Watches every object of `kind` from the start.
    pub fn new(kind: ObjectKind) -> Self {
        Self {
            kind,
            ..Default::default()
        }
    }
}

impl Encode for ObjectWatchRequest {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind.label(), false, |d| {
            self.epoch.encode(d, version)?;
            if version >= 10 {
                self.summary.encode(d, version)?;
            }
            Ok(())
        })
    }
}

impl Decode for ObjectWatchRequest {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        decode_typed(src, version, false, |label, inner| {
            let kind = ObjectKind::parse_label(label)?;
            let epoch = i64::decode(inner, version)?;
            let summary = version >= 10 && bool::decode(inner, version)?;
            Ok(Self {
                kind,
                epoch,
                summary,
            })
        })
    }
}

impl Request for ObjectWatchRequest {
    const API_KEY: u16 = api_key::WATCH;
    const MIN_VERSION: Version = 15;
    const MAX_VERSION: Version = 19;
    type Response = ObjectWatchResponse;
}

object_enum! {
    op = "Watch";
    /// One Watch response: an update of the watched kind.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ObjectWatchResponse {
        /// Topics.
        Topic(MetadataUpdate<TopicSpec>),
        /// Partitions.
        Partition(MetadataUpdate<PartitionSpec>),
        /// SPUs.
        Spu(MetadataUpdate<SpuSpec>),
        /// Custom SPUs.
        CustomSpu(MetadataUpdate<CustomSpuSpec>),
        /// SPU groups.
        SpuGroup(MetadataUpdate<SpuGroupSpec>),
        /// SmartModules.
        SmartModule(MetadataUpdate<SmartModuleSpec>),
        /// Table formats.
        TableFormat(MetadataUpdate<TableFormatSpec>),
        /// Mirrors.
        Mirror(MetadataUpdate<MirrorSpec>),
    }
}

impl Default for ObjectWatchResponse {
    fn default() -> Self {
        Self::Topic(MetadataUpdate::default())
    }
}

impl ObjectWatchResponse {
    /// The store epoch of this update.
    pub fn epoch(&self) -> i64 {
        match self {
            Self::Topic(u) => u.epoch,
            Self::Partition(u) => u.epoch,
            Self::Spu(u) => u.epoch,
            Self::CustomSpu(u) => u.epoch,
            Self::SpuGroup(u) => u.epoch,
            Self::SmartModule(u) => u.epoch,
            Self::TableFormat(u) => u.epoch,
            Self::Mirror(u) => u.epoch,
        }
    }
}

impl Encode for ObjectWatchResponse {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        encode_typed(dst, version, self.kind().label(), false, |d| {
            self.encode_inner(d, version)
        })
    }
}

impl Decode for ObjectWatchResponse {
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
        // admin-list-other.trace: Watch v19 of SPU, epoch 0, summary false
        let b = bytes::Bytes::from(hex::decode("000353505500000009000000000000000000").unwrap());
        let r: ObjectWatchRequest = decode_exact(b.clone(), 19, "w").unwrap();
        assert_eq!(r, ObjectWatchRequest::new(ObjectKind::Spu));
        assert_eq!(encode_to_bytes(&r, 19).unwrap(), b);
    }
}
