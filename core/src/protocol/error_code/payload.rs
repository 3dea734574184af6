//! Payload types carried by some [`ErrorCode`](super::ErrorCode) variants.
//!
//! Layouts read from upstream `fluvio-protocol` (`link/smartmodule.rs`,
//! `record/data.rs`, `api/mod.rs`).

use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version, varint};

/// A byte string with a zig-zag varint length prefix (upstream `RecordData`).
///
/// Used by SmartModule runtime errors to echo the key and value of the faulty record.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct VarintBytes(
    /// The bytes.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
    pub Bytes,
);

impl Encode for VarintBytes {
    fn encode(&self, dst: &mut BytesMut, _: Version) -> Result<(), EncodeError> {
        let len = i64::try_from(self.0.len()).map_err(|_| EncodeError::TooLong {
            what: "record data",
            len: self.0.len(),
            max: i64::MAX as usize,
        })?;
        varint::encode(dst, len);
        dst.extend_from_slice(&self.0);
        Ok(())
    }
}

impl Decode for VarintBytes {
    fn decode(src: &mut Reader, _: Version) -> Result<Self, DecodeError> {
        let len = src.varint()?;
        let n = usize::try_from(len).map_err(|_| DecodeError::InvalidLength {
            what: "record data",
            len,
        })?;
        Ok(Self(src.bytes("record data", n)?))
    }
}

impl fmt::Display for VarintBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(s) => f.write_str(s),
            Err(_) => write!(f, "binary: {} bytes", self.0.len()),
        }
    }
}

crate::wire_enum! {
    /// The kind of request that timed out (upstream `api::RequestKind`, a `u8` tag).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum RequestKind: u8 {
        /// A produce request.
        #[default]
        Produce = 0,
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Produce => f.write_str("Produce"),
        }
    }
}

crate::wire_enum! {
    /// The type of SmartModule named in a runtime error (upstream
    /// `link::smartmodule::SmartModuleKind`, a `u8` tag without payloads; distinct from
    /// the invocation kind [`crate::protocol::spu::SmartModuleKind`]).
    ///
    /// Upstream marks `ArrayMap` (15), `Aggregate` (13), `FilterMap`/`Join` (16) and
    /// `Generic` (17) with minimum versions, but its derive ignores variant-level
    /// versions, so every tag is valid at every version.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum SmartModuleErrorKind: u8 {
        /// Filter.
        #[default]
        Filter = 0,
        /// Map.
        Map = 1,
        /// Array map.
        ArrayMap = 2,
        /// Aggregate.
        Aggregate = 3,
        /// Filter map.
        FilterMap = 4,
        /// Join (legacy).
        Join = 5,
        /// Generic SmartModule.
        Generic = 6,
    }
}

impl fmt::Display for SmartModuleErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

crate::wire_struct! {
    /// A SmartModule failed while transforming a record.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleTransformRuntimeError {
        /// Human-readable hint.
        pub hint: String,
        /// Offset of the record that failed.
        pub offset: i64,
        /// Type of the SmartModule that failed.
        pub kind: SmartModuleErrorKind,
        /// Key of the record that failed.
        pub record_key: Option<VarintBytes>,
        /// Value of the record that failed.
        pub record_value: VarintBytes,
    }
}

impl fmt::Display for SmartModuleTransformRuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (SmartModule {} at offset {}, key: ",
            self.hint, self.kind, self.offset
        )?;
        match &self.record_key {
            Some(key) => write!(f, "{key}")?,
            None => f.write_str("NULL")?,
        }
        write!(f, ", value: {})", self.record_value)
    }
}

crate::wire_struct! {
    /// A SmartModule failed to initialise.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleInitRuntimeError {
        /// Human-readable hint.
        pub hint: String,
    }
}

impl fmt::Display for SmartModuleInitRuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint)
    }
}
