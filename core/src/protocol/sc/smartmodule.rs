//! SmartModules (label `"SmartModule"`): WASM modules stored in the SC.
//!
//! Upstream: `fluvio-controlplane-metadata` `smartmodule/{spec,spec_v1,package,params,status}.rs`.
//!
//! A List with `summary = true` returns each spec with `summary = Some(wasm length)` and an
//! empty `wasm` (format `Binary`, no payload) instead of the module bytes; see
//! [`SmartModuleSpec::summary`].

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};

use super::Spec;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

/// From this version on the spec is `meta, summary, wasm`; before, the legacy "v1" layout.
pub const V2_FORMAT: Version = 10;

/// A SmartModule: package metadata and the (gzipped) WASM.
///
/// Below version [`V2_FORMAT`] the wire carries the legacy layout `input_kind u8, output_kind u8,
/// source_code Option, wasm, parameters Option`: only `wasm` survives; encoding writes the
/// legacy fields at their defaults (as upstream does) and decoding validates then drops them.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SmartModuleSpec {
    /// Package metadata and parameters.
    pub meta: Option<SmartModuleMetadata>,
    /// Only in summary listings: the length of the omitted WASM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<SmartModuleWasmSummary>,
    /// The module.
    pub wasm: SmartModuleWasm,
}

impl Spec for SmartModuleSpec {
    const LABEL: &'static str = "SmartModule";
    type Status = SmartModuleStatus;
}

impl SmartModuleSpec {
    /// The summary form the SC lists: WASM replaced by its length (saturating at `u32::MAX`).
    pub fn summary(self) -> Self {
        let wasm_length = u32::try_from(self.wasm.payload.len()).unwrap_or(u32::MAX);
        Self {
            meta: self.meta,
            summary: Some(SmartModuleWasmSummary { wasm_length }),
            wasm: SmartModuleWasm::default(),
        }
    }
}

impl Encode for SmartModuleSpec {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        if version < V2_FORMAT {
            // input_kind Stream, output_kind Stream, no source code
            dst.extend_from_slice(&[0, 0, 0]);
            self.wasm.encode(dst, version)?;
            // no parameters
            dst.extend_from_slice(&[0]);
            Ok(())
        } else {
            self.meta.encode(dst, version)?;
            self.summary.encode(dst, version)?;
            self.wasm.encode(dst, version)
        }
    }
}

fn check_tag(tag: u8, max: u8, what: &'static str) -> Result<(), DecodeError> {
    if tag > max {
        return Err(DecodeError::UnknownTag {
            what,
            tag: i64::from(tag),
        });
    }
    Ok(())
}

impl Decode for SmartModuleSpec {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        if version < V2_FORMAT {
            check_tag(src.u8()?, 1, "SmartModuleInputKind")?;
            check_tag(src.u8()?, 2, "SmartModuleOutputKind")?;
            if src.bool()? {
                check_tag(src.u8()?, 0, "SmartModuleSourceCodeLanguage")?;
                let _payload = String::decode(src, version)?;
            }
            let wasm = SmartModuleWasm::decode(src, version)?;
            let _parameters = Option::<Vec<String>>::decode(src, version)?;
            Ok(Self {
                wasm,
                ..Default::default()
            })
        } else {
            Ok(Self {
                meta: Option::decode(src, version)?,
                summary: Option::decode(src, version)?,
                wasm: SmartModuleWasm::decode(src, version)?,
            })
        }
    }
}

crate::wire_struct! {
    /// Package metadata and declared parameters.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleMetadata {
        /// The package.
        pub package: SmartModulePackage,
        /// Declared parameters by name (upstream `SmartModuleParams`, a map newtype).
        pub params: BTreeMap<String, SmartModuleParam>,
    }
}

crate::wire_struct! {
    /// A SmartModule package.
    ///
    /// `version` and `api_version` are semver strings; upstream parses them and rejects
    /// anything else, this codec keeps them as text.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct SmartModulePackage {
        /// Name.
        pub name: String,
        /// Group.
        pub group: String,
        /// Package version (semver).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::sc::arb::semver))]
        pub version: String,
        /// SmartModule API version (semver).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::sc::arb::semver))]
        pub api_version: String,
        /// Description.
        pub description: Option<String>,
        /// License.
        pub license: Option<String>,
        /// Hub visibility (v≥19).
        #[serde(default)]
        @since(19)
        pub visibility: SmartModuleVisibility,
        /// Source repository.
        pub repository: Option<String>,
    }
}

crate::wire_enum! {
    /// Hub visibility of a package.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "lowercase")]
    pub enum SmartModuleVisibility: u8 {
        /// Private (default).
        #[default]
        Private = 0,
        /// Public.
        Public = 1,
    }
}

crate::wire_struct! {
    /// A declared parameter.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleParam {
        /// Description.
        pub description: Option<String>,
        /// Whether it may be omitted.
        #[serde(default)]
        pub optional: bool,
    }
}

crate::wire_struct! {
    /// WASM bytes and their format.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleWasm {
        /// Binary or text.
        pub format: SmartModuleWasmFormat,
        /// The module, gzip-compressed.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::codec::arb::bytes))]
        pub payload: Bytes,
    }
}

impl SmartModuleWasm {
    /// A binary module from its raw WASM bytes (gzip-compressed here, as the SC stores it).
    pub fn from_raw_wasm(raw: &[u8]) -> Result<Self, EncodeError> {
        Ok(Self {
            format: SmartModuleWasmFormat::Binary,
            payload: crate::protocol::spu::smartmodule::gzip(raw)?,
        })
    }
}

crate::wire_enum! {
    /// WASM encoding.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum SmartModuleWasmFormat: u8 {
        /// Binary WASM (default).
        #[default]
        #[serde(rename = "BINARY")]
        Binary = 0,
        /// WAT text.
        #[serde(rename = "TEXT")]
        Text = 1,
    }
}

crate::wire_struct! {
    /// Size of the WASM a summary listing left out.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleWasmSummary {
        /// Length in bytes.
        pub wasm_length: u32,
    }
}

crate::wire_struct! {
    /// A SmartModule's status: empty on the wire.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SmartModuleStatus {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    fn spec() -> SmartModuleSpec {
        SmartModuleSpec {
            meta: Some(SmartModuleMetadata {
                package: SmartModulePackage {
                    name: "m".into(),
                    version: "0.1.0".into(),
                    ..Default::default()
                },
                ..Default::default()
            }),
            summary: None,
            wasm: SmartModuleWasm {
                format: SmartModuleWasmFormat::Binary,
                payload: Bytes::from_static(b"\x1f\x8b"),
            },
        }
    }

    #[test]
    fn legacy_layout_keeps_only_wasm() {
        let s = spec();
        let v9 = encode_to_bytes(&s, 9).unwrap();
        assert_eq!(&v9[..], &[0, 0, 0, 0, 0, 0, 0, 2, 0x1f, 0x8b, 0]);
        let back: SmartModuleSpec = decode_exact(v9, 9, "sm").unwrap();
        assert_eq!(back.wasm, s.wasm);
        assert_eq!(back.meta, None);
        // legacy fields with values are accepted and dropped
        let full = Bytes::from_static(&[
            1, 2, 1, 0, 0, 1, b'x', 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, b'p',
        ]);
        let back: SmartModuleSpec = decode_exact(full, 9, "sm").unwrap();
        assert_eq!(back.wasm.format, SmartModuleWasmFormat::Text);
        let bad_kind = Bytes::from_static(&[2, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(decode_exact::<SmartModuleSpec>(bad_kind, 9, "sm").is_err());
    }

    #[test]
    fn v2_roundtrip_and_summary() {
        let s = spec();
        for v in [10, 18, 19] {
            let b = encode_to_bytes(&s, v).unwrap();
            assert_eq!(decode_exact::<SmartModuleSpec>(b, v, "sm").unwrap(), s);
        }
        let sum = s.summary();
        assert_eq!(sum.summary, Some(SmartModuleWasmSummary { wasm_length: 2 }));
        assert!(sum.wasm.payload.is_empty());
    }
}
