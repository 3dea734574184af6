//! The official `fluvio` crate's value types and accessors on flv's types.
//!
//! Programs written for the official client name [`RecordKey`] and [`RecordData`], build
//! offsets with [`Offset::absolute`] / [`Offset::from_beginning`] / [`Offset::from_end`],
//! and read records and produce results through methods (`record.offset()`,
//! `record.get_value().as_utf8_lossy_string()`, `metadata.partition_id()`). These are the
//! same calls on flv's types; the public fields stay for flv's own callers.

use std::borrow::Cow;

use bytes::Bytes;
use ref_cast::RefCast;

use crate::client::{ConsumerRecord, Offset, RecordMetadata};
use crate::sc::topic::{ReplicaSpec, TopicReplicaParam, TopicSpec};
use crate::spu::consumer_offset::ReplicaKey;

/// A record key: bytes, or none ([`RecordKey::NULL`]) (the official `RecordKey`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RecordKey(pub Option<Bytes>);

impl RecordKey {
    /// No key: records are spread over partitions round-robin.
    pub const NULL: Self = Self(None);

    /// A key from optional data (`None` is [`RecordKey::NULL`]).
    pub fn from_option(key: Option<RecordData>) -> Self {
        Self(key.map(|k| k.0))
    }
}

/// A record value (the official `RecordData`).
///
/// A `#[repr(transparent)]` wrapper of the record's [`Bytes`], so that
/// [`ConsumerRecord::get_value`] hands out a `&RecordData` borrowed from the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, RefCast)]
#[repr(transparent)]
pub struct RecordData(pub Bytes);

impl RecordData {
    /// Whether the data is not valid UTF-8 text.
    pub fn is_binary(&self) -> bool {
        std::str::from_utf8(&self.0).is_err()
    }

    /// A short description: the text, or `binary: N bytes`.
    pub fn describe(&self) -> String {
        match std::str::from_utf8(&self.0) {
            Ok(s) => s.to_owned(),
            Err(_) => format!("binary: {} bytes", self.0.len()),
        }
    }

    /// The data as text, if it is valid UTF-8.
    pub fn as_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }

    /// The data as text, invalid UTF-8 sequences replaced by U+FFFD.
    ///
    /// Borrowed from the data when it is valid UTF-8, as upstream's.
    pub fn as_utf8_lossy_string(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The bytes as a vector.
    pub fn into_vec(self) -> Vec<u8> {
        self.0.to_vec()
    }

    /// The bytes as a vector (copied).
    pub fn to_vec(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for RecordData {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for RecordData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

macro_rules! bytes_from {
    ($($t:ty),*) => {$(
        impl From<$t> for RecordKey {
            fn from(v: $t) -> Self {
                Self(Some(Bytes::copy_from_slice(AsRef::<[u8]>::as_ref(&v))))
            }
        }
        impl From<$t> for RecordData {
            fn from(v: $t) -> Self {
                Self(Bytes::copy_from_slice(AsRef::<[u8]>::as_ref(&v)))
            }
        }
    )*};
}
bytes_from!(&str, &String, &[u8], &Vec<u8>);

impl<const N: usize> From<[u8; N]> for RecordKey {
    fn from(v: [u8; N]) -> Self {
        Self(Some(Bytes::copy_from_slice(&v)))
    }
}
impl<const N: usize> From<[u8; N]> for RecordData {
    fn from(v: [u8; N]) -> Self {
        Self(Bytes::copy_from_slice(&v))
    }
}
impl<const N: usize> From<&[u8; N]> for RecordKey {
    fn from(v: &[u8; N]) -> Self {
        Self(Some(Bytes::copy_from_slice(v)))
    }
}
impl<const N: usize> From<&[u8; N]> for RecordData {
    fn from(v: &[u8; N]) -> Self {
        Self(Bytes::copy_from_slice(v))
    }
}
impl From<String> for RecordKey {
    fn from(v: String) -> Self {
        Self(Some(Bytes::from(v)))
    }
}
impl From<Vec<u8>> for RecordKey {
    fn from(v: Vec<u8>) -> Self {
        Self(Some(Bytes::from(v)))
    }
}
impl From<Bytes> for RecordKey {
    fn from(v: Bytes) -> Self {
        Self(Some(v))
    }
}
impl From<Option<Bytes>> for RecordKey {
    fn from(v: Option<Bytes>) -> Self {
        Self(v)
    }
}
impl From<RecordData> for RecordKey {
    fn from(v: RecordData) -> Self {
        Self(Some(v.0))
    }
}
impl From<String> for RecordData {
    fn from(v: String) -> Self {
        Self(Bytes::from(v))
    }
}
impl From<Vec<u8>> for RecordData {
    fn from(v: Vec<u8>) -> Self {
        Self(Bytes::from(v))
    }
}
impl From<Bytes> for RecordData {
    fn from(v: Bytes) -> Self {
        Self(v)
    }
}

/// An offset below zero given to [`Offset::absolute`] (the official
/// `FluvioError::NegativeOffset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Attempted to create negative offset: {0}")]
pub struct NegativeOffset(pub i64);

impl Offset {
    /// The absolute offset `index`; fails if it is negative.
    pub fn absolute(index: i64) -> Result<Self, NegativeOffset> {
        if index < 0 {
            return Err(NegativeOffset(index));
        }
        Ok(Self::Absolute(index))
    }

    /// `offset` records after the beginning of the partition.
    pub fn from_beginning(offset: u32) -> Self {
        Self::FromBeginning(offset)
    }

    /// `offset` records before the end of the partition.
    pub fn from_end(offset: u32) -> Self {
        Self::FromEnd(offset)
    }
}

impl ConsumerRecord {
    /// The record's offset in its partition.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The partition the record is stored in.
    pub fn partition(&self) -> u32 {
        self.partition
    }

    /// Milliseconds since the Unix epoch (-1 when the batch has none).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The key's bytes, if the record has a key.
    pub fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }

    /// The value's bytes.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// The key, if any, borrowed from the record (as upstream's).
    pub fn get_key(&self) -> Option<&RecordData> {
        self.key.as_ref().map(RecordData::ref_cast)
    }

    /// The value, borrowed from the record (as upstream's).
    pub fn get_value(&self) -> &RecordData {
        RecordData::ref_cast(&self.value)
    }
}

impl AsRef<[u8]> for ConsumerRecord {
    fn as_ref(&self) -> &[u8] {
        &self.value
    }
}

impl RecordMetadata {
    /// The partition the record was stored in.
    pub fn partition_id(&self) -> u32 {
        self.partition
    }

    /// The record's offset in that partition.
    pub fn offset(&self) -> i64 {
        self.offset
    }
}

/// A watch item is the update itself in flv; upstream wraps it in a `WatchResponse` whose
/// `inner()` gives the update: the same call works on both.
impl<S: crate::sc::Spec> crate::sc::MetadataUpdate<S> {
    /// The update (upstream's `WatchResponse::inner`).
    pub fn inner(self) -> Self {
        self
    }
}

/// `(topic, partition)` as a partition's key, as upstream.
impl<K: Into<String>> From<(K, u32)> for ReplicaKey {
    fn from((topic, partition): (K, u32)) -> Self {
        Self::new(topic, partition)
    }
}

impl TopicSpec {
    /// A computed topic (the official `TopicSpec::new_computed`): `partitions` partitions of
    /// `replication` replicas each; `ignore_rack` defaults to `false`.
    pub fn new_computed(partitions: u32, replication: u32, ignore_rack: Option<bool>) -> Self {
        Self {
            replicas: ReplicaSpec::Computed(TopicReplicaParam {
                partitions,
                replication_factor: replication,
                ignore_rack_assignment: ignore_rack.unwrap_or(false),
            }),
            ..Default::default()
        }
    }

    /// The layout of partitions and replicas.
    pub fn replicas(&self) -> &ReplicaSpec {
        &self.replicas
    }

    /// The partition count (of the maps, for an assigned topic).
    pub fn partitions(&self) -> u32 {
        match &self.replicas {
            ReplicaSpec::Computed(p) => p.partitions,
            ReplicaSpec::Assigned(maps) => u32::try_from(maps.len()).unwrap_or(u32::MAX),
            ReplicaSpec::Mirror(_) => 0,
        }
    }

    /// The replication factor of a computed topic.
    pub fn replication_factor(&self) -> Option<u32> {
        match &self.replicas {
            ReplicaSpec::Computed(p) => Some(p.replication_factor),
            _ => None,
        }
    }

    /// Marks the topic as a system topic (or not).
    pub fn set_system(&mut self, system: bool) {
        self.system = system;
    }

    /// Whether it is a system topic.
    pub fn is_system(&self) -> bool {
        self.system
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_as_upstream() {
        assert_eq!(Offset::absolute(5), Ok(Offset::Absolute(5)));
        assert_eq!(Offset::absolute(-1), Err(NegativeOffset(-1)));
        assert_eq!(Offset::from_beginning(2), Offset::FromBeginning(2));
        assert_eq!(Offset::from_end(3), Offset::FromEnd(3));
    }

    #[test]
    fn record_accessors_read_as_upstream() {
        let r = ConsumerRecord {
            partition: 1,
            offset: 7,
            timestamp: 9,
            key: Some(Bytes::from_static(b"k")),
            value: Bytes::from_static(b"v\xff"),
        };
        assert_eq!((r.partition(), r.offset(), r.timestamp()), (1, 7, 9));
        assert_eq!(r.key(), Some(&b"k"[..]));
        assert_eq!(r.value(), b"v\xff");
        let key = r.get_key().map(|k| k.as_utf8_lossy_string());
        assert_eq!(key.as_deref(), Some("k"));
        assert_eq!(r.get_value().as_utf8_lossy_string(), "v\u{fffd}");
        assert!(r.get_value().is_binary());
        assert_eq!(r.get_value().describe(), "binary: 2 bytes");
    }
}
