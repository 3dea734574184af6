//! Objects as listed and watched: [`Metadata`] (name, spec, status) and watch updates.

use bytes::BytesMut;

use super::Spec;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// One object of the SC store: its key, spec and status (`objects::Metadata` upstream).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", bound = "")]
pub struct Metadata<S: Spec> {
    /// The object key (topic name, SPU name, `topic-partition`, …).
    pub name: String,
    /// The spec.
    pub spec: S,
    /// The status.
    pub status: S::Status,
}

impl<S: Spec> Encode for Metadata<S> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.name.encode(dst, version)?;
        self.spec.encode(dst, version)?;
        self.status.encode(dst, version)
    }
}

impl<S: Spec> Decode for Metadata<S> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            name: String::decode(src, version)?,
            spec: S::decode(src, version)?,
            status: S::Status::decode(src, version)?,
        })
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, S> arbitrary::Arbitrary<'a> for Metadata<S>
where
    S: Spec + arbitrary::Arbitrary<'a>,
    S::Status: arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            name: u.arbitrary()?,
            spec: u.arbitrary()?,
            status: u.arbitrary()?,
        })
    }
}

crate::wire_enum! {
    /// What a watch change does to the object.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum MsgType: u8 {
        /// Added or modified.
        #[default]
        #[serde(rename = "UPDATE")]
        Update = 0,
        /// Removed.
        #[serde(rename = "DELETE")]
        Delete = 1,
    }
}

/// One change of a watch update: a [`MsgType`] then the content.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Message<C> {
    /// Update or delete.
    pub header: MsgType,
    /// The object.
    pub content: C,
}

impl<C: Encode> Encode for Message<C> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.header.encode(dst, version)?;
        self.content.encode(dst, version)
    }
}

impl<C: Decode> Decode for Message<C> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            header: MsgType::decode(src, version)?,
            content: C::decode(src, version)?,
        })
    }
}

/// One watch response: either incremental `changes` or a full resync in `all`.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(bound = "")]
pub struct MetadataUpdate<S: Spec> {
    /// The store epoch of this update.
    pub epoch: i64,
    /// Changes since the previous update.
    pub changes: Vec<Message<Metadata<S>>>,
    /// Every object (full sync); empty for incremental updates.
    pub all: Vec<Metadata<S>>,
}

impl<S: Spec> Encode for MetadataUpdate<S> {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.epoch.encode(dst, version)?;
        self.changes.encode(dst, version)?;
        self.all.encode(dst, version)
    }
}

impl<S: Spec> Decode for MetadataUpdate<S> {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            epoch: i64::decode(src, version)?,
            changes: Vec::decode(src, version)?,
            all: Vec::decode(src, version)?,
        })
    }
}

#[cfg(feature = "arbitrary")]
impl<'a, S> arbitrary::Arbitrary<'a> for MetadataUpdate<S>
where
    S: Spec + arbitrary::Arbitrary<'a>,
    S::Status: arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Self {
            epoch: u.arbitrary()?,
            changes: u.arbitrary()?,
            all: u.arbitrary()?,
        })
    }
}
