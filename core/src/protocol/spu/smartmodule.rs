//! SmartModule invocations sent with produce and stream fetch requests.
//!
//! Upstream: `fluvio-spu-schema` `server/smartmodule.rs` and `fluvio-smartmodule`
//! `input.rs`. Upstream tags some enum variants with `min_version`/`max_version`
//! (ArrayMap/FilterMap 15, Join/JoinStream 16–18, Generic 17), but its derive ignores
//! version attributes on variants: every variant is written and read at every version.
//! This codec does the same so that both sides agree byte for byte; the nominal
//! ranges are documented on each variant.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// First version whose invocations carry the SmartModule `name`.
pub const SM_NAME_VERSION: Version = 25;
/// First version whose extra params carry a [`Lookback`].
pub const LOOKBACK_VERSION: Version = 20;
/// First version whose [`Lookback`] carries an `age`.
pub const LOOKBACK_AGE_VERSION: Version = 21;

/// One SmartModule to run on the SPU, with its parameters.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SmartModuleInvocation {
    /// Where the WASM comes from.
    pub wasm: SmartModuleInvocationWasm,
    /// What the module does, with its state.
    pub kind: SmartModuleKind,
    /// User parameters and look-back.
    pub params: SmartModuleExtraParams,
    /// The SmartModule name (on the wire from version 25; `None` below).
    pub name: Option<String>,
}

/// `raw` gzip-compressed: how WASM travels, inline in invocations and in stored SmartModules.
pub fn gzip(raw: &[u8]) -> Result<Bytes, EncodeError> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 2 + 64),
        flate2::Compression::default(),
    );
    enc.write_all(raw)
        .and_then(|()| enc.finish())
        .map(Bytes::from)
        .map_err(|e| EncodeError::Compression {
            codec: "gzip",
            message: e.to_string(),
        })
}

impl SmartModuleInvocation {
    /// A SmartModule stored in the cluster, by name, of the generic kind (what the
    /// official CLI's `--smartmodule NAME` sends).
    pub fn predefined(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            wasm: SmartModuleInvocationWasm::Predefined(name.clone()),
            kind: SmartModuleKind::Generic(SmartModuleContextData::None),
            params: SmartModuleExtraParams::default(),
            name: Some(name),
        }
    }

    /// A WASM module sent inline (`--smartmodule-path`): `raw_wasm` is gzip-compressed here,
    /// as the SPU expects. `name` is what the SPU reports in errors (the file name upstream).
    pub fn adhoc(name: impl Into<String>, raw_wasm: &[u8]) -> Result<Self, EncodeError> {
        Ok(Self {
            wasm: SmartModuleInvocationWasm::AdHoc(gzip(raw_wasm)?),
            kind: SmartModuleKind::Generic(SmartModuleContextData::None),
            params: SmartModuleExtraParams::default(),
            name: Some(name.into()),
        })
    }

    /// Adds one user parameter (`-e key=value`).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.inner.insert(key.into(), value.into());
        self
    }

    /// Adds user parameters.
    pub fn params<K: Into<String>, V: Into<String>>(
        mut self,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.params
            .inner
            .extend(params.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Replays the last `last` records (younger than `age`, when given) into the module
    /// before streaming.
    pub fn lookback(mut self, last: u64, age: Option<Duration>) -> Self {
        self.params.lookback = Some(Lookback { last, age });
        self
    }

    /// The initial accumulator of an aggregate module (`--aggregate-initial`).
    pub fn aggregate_initial(mut self, accumulator: impl Into<Bytes>) -> Self {
        let accumulator = accumulator.into();
        self.kind = match self.kind {
            SmartModuleKind::Aggregate { .. } => SmartModuleKind::Aggregate { accumulator },
            _ => SmartModuleKind::Generic(SmartModuleContextData::Aggregate { accumulator }),
        };
        self
    }
}

impl Encode for SmartModuleInvocation {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        self.wasm.encode(dst, version)?;
        self.kind.encode(dst, version)?;
        self.params.encode(dst, version)?;
        if version >= SM_NAME_VERSION {
            self.name.encode(dst, version)?;
        }
        Ok(())
    }
}

impl Decode for SmartModuleInvocation {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(Self {
            wasm: Decode::decode(src, version)?,
            kind: Decode::decode(src, version)?,
            params: Decode::decode(src, version)?,
            name: if version >= SM_NAME_VERSION {
                Decode::decode(src, version)?
            } else {
                None
            },
        })
    }
}

/// The WASM of an invocation: a `u8` tag then the payload.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SmartModuleInvocationWasm {
    /// A SmartModule stored in the cluster, by name (tag 0).
    Predefined(String),
    /// A gzip-compressed WASM module sent inline (tag 1).
    AdHoc(
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
        Bytes,
    ),
}

impl Default for SmartModuleInvocationWasm {
    fn default() -> Self {
        Self::AdHoc(Bytes::new())
    }
}

impl Encode for SmartModuleInvocationWasm {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            Self::Predefined(name) => {
                0u8.encode(dst, version)?;
                name.encode(dst, version)
            }
            Self::AdHoc(wasm) => {
                1u8.encode(dst, version)?;
                wasm.encode(dst, version)
            }
        }
    }
}

impl Decode for SmartModuleInvocationWasm {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        match u8::decode(src, version)? {
            0 => Ok(Self::Predefined(Decode::decode(src, version)?)),
            1 => Ok(Self::AdHoc(Decode::decode(src, version)?)),
            tag => Err(DecodeError::UnknownTag {
                what: "SmartModuleInvocationWasm",
                tag: i64::from(tag),
            }),
        }
    }
}

/// What a SmartModule does: a `u8` tag then the payload.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SmartModuleKind {
    /// Keep or drop records (tag 0).
    #[default]
    Filter,
    /// Transform records (tag 1).
    Map,
    /// One record to many (tag 2; nominally version ≥ 15).
    ArrayMap,
    /// Fold records into an accumulator (tag 3).
    Aggregate {
        /// Initial accumulator value.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
        accumulator: Bytes,
    },
    /// Filter and map in one (tag 4; nominally version ≥ 15).
    FilterMap,
    /// Legacy join with a topic (tag 5; nominally versions 16–18).
    Join(String),
    /// Legacy join with a derived stream (tag 6; nominally versions 16–18).
    JoinStream {
        /// The joined topic.
        topic: String,
        /// The derived stream.
        derivedstream: String,
    },
    /// A generic SmartModule whose kind the SPU discovers (tag 7; nominally ≥ 17).
    Generic(SmartModuleContextData),
}

impl Encode for SmartModuleKind {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let tag: u8 = match self {
            Self::Filter => 0,
            Self::Map => 1,
            Self::ArrayMap => 2,
            Self::Aggregate { .. } => 3,
            Self::FilterMap => 4,
            Self::Join(_) => 5,
            Self::JoinStream { .. } => 6,
            Self::Generic(_) => 7,
        };
        tag.encode(dst, version)?;
        match self {
            Self::Aggregate { accumulator } => accumulator.encode(dst, version),
            Self::Join(topic) => topic.encode(dst, version),
            Self::JoinStream {
                topic,
                derivedstream,
            } => {
                topic.encode(dst, version)?;
                derivedstream.encode(dst, version)
            }
            Self::Generic(context) => context.encode(dst, version),
            Self::Filter | Self::Map | Self::ArrayMap | Self::FilterMap => Ok(()),
        }
    }
}

impl Decode for SmartModuleKind {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(match u8::decode(src, version)? {
            0 => Self::Filter,
            1 => Self::Map,
            2 => Self::ArrayMap,
            3 => Self::Aggregate {
                accumulator: Decode::decode(src, version)?,
            },
            4 => Self::FilterMap,
            5 => Self::Join(Decode::decode(src, version)?),
            6 => Self::JoinStream {
                topic: Decode::decode(src, version)?,
                derivedstream: Decode::decode(src, version)?,
            },
            7 => Self::Generic(Decode::decode(src, version)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "SmartModuleKind",
                    tag: i64::from(tag),
                });
            }
        })
    }
}

/// State handed to a generic SmartModule: a `u8` tag then the payload.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum SmartModuleContextData {
    /// No state (tag 0).
    #[default]
    None,
    /// Initial aggregate accumulator (tag 1).
    Aggregate {
        /// Initial accumulator value.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
        accumulator: Bytes,
    },
    /// Legacy join with a topic (tag 2).
    Join(String),
    /// Legacy join with a derived stream (tag 3).
    JoinStream {
        /// The joined topic.
        topic: String,
        /// The derived stream.
        derivedstream: String,
    },
}

impl Encode for SmartModuleContextData {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            Self::None => 0u8.encode(dst, version),
            Self::Aggregate { accumulator } => {
                1u8.encode(dst, version)?;
                accumulator.encode(dst, version)
            }
            Self::Join(topic) => {
                2u8.encode(dst, version)?;
                topic.encode(dst, version)
            }
            Self::JoinStream {
                topic,
                derivedstream,
            } => {
                3u8.encode(dst, version)?;
                topic.encode(dst, version)?;
                derivedstream.encode(dst, version)
            }
        }
    }
}

impl Decode for SmartModuleContextData {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(match u8::decode(src, version)? {
            0 => Self::None,
            1 => Self::Aggregate {
                accumulator: Decode::decode(src, version)?,
            },
            2 => Self::Join(Decode::decode(src, version)?),
            3 => Self::JoinStream {
                topic: Decode::decode(src, version)?,
                derivedstream: Decode::decode(src, version)?,
            },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "SmartModuleContextData",
                    tag: i64::from(tag),
                });
            }
        })
    }
}

crate::wire_struct! {
    /// User parameters of a SmartModule and its look-back.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleExtraParams {
        /// Key/value parameters (`u16` count).
        pub inner: BTreeMap<String, String>,
        /// Records to replay into the module before streaming (version ≥ 20).
        @since(LOOKBACK_VERSION)
        pub lookback: Option<Lookback>,
    }
}

crate::wire_struct! {
    /// How much history a SmartModule reads on start.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Lookback {
        /// Number of last records.
        pub last: u64,
        /// Maximum age of those records (version ≥ 21).
        @since(LOOKBACK_AGE_VERSION)
        pub age: Option<Duration>,
    }
}
