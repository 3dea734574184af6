//! SPU objects (label `"SPU"`, list/watch) and custom SPUs (label `"CustomSpu"`, create/delete).
//!
//! Upstream: `fluvio-controlplane-metadata` `spu/{spec,status,mod}.rs`.

use bytes::BytesMut;

use super::Spec;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

crate::wire_struct! {
    /// An SPU as the SC knows it.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct SpuSpec {
        /// SPU id.
        #[serde(rename = "spuId")]
        pub id: i32,
        /// Managed (by an SPU group) or custom (registered).
        #[serde(default)]
        pub spu_type: SpuType,
        /// Where clients connect.
        pub public_endpoint: IngressPort,
        /// Where other SPUs and the SC connect.
        pub private_endpoint: Endpoint,
        /// Rack, for replica placement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rack: Option<String>,
        /// Public endpoint for clients on the local network (v≥1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        @since(1)
        pub public_endpoint_local: Option<Endpoint>,
    }
}

impl Spec for SpuSpec {
    const LABEL: &'static str = "SPU";
    type Status = SpuStatus;
}

impl SpuSpec {
    /// The public address `host:port` a client connects to (first ingress host or ip).
    pub fn public_address(&self) -> Option<String> {
        let addr = self.public_endpoint.ingress.first()?;
        let host = addr.hostname.as_ref().or(addr.ip.as_ref())?;
        Some(format!("{host}:{}", self.public_endpoint.port))
    }
}

crate::wire_struct! {
    /// A custom SPU registration (upstream has no version gate on `public_endpoint_local` here).
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct CustomSpuSpec {
        /// SPU id.
        pub id: i32,
        /// Where clients connect.
        pub public_endpoint: IngressPort,
        /// Where other SPUs and the SC connect.
        pub private_endpoint: Endpoint,
        /// Rack.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub rack: Option<String>,
        /// Public endpoint for local clients.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub public_endpoint_local: Option<Endpoint>,
    }
}

impl Spec for CustomSpuSpec {
    const LABEL: &'static str = "CustomSpu";
    type Status = SpuStatus;
}

crate::wire_struct! {
    /// A public endpoint: a port and the addresses it is reachable at.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase", default)]
    pub struct IngressPort {
        /// TCP port.
        pub port: u16,
        /// Host names / ips.
        pub ingress: Vec<IngressAddr>,
        /// Transport encryption.
        pub encryption: Encryption,
    }
}

crate::wire_struct! {
    /// One address of an ingress: a host name and/or an ip.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct IngressAddr {
        /// Host name.
        pub hostname: Option<String>,
        /// IP address.
        pub ip: Option<String>,
    }
}

crate::wire_struct! {
    /// A private endpoint.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct Endpoint {
        /// TCP port.
        pub port: u16,
        /// Host (upstream decodes an empty host as its default, `127.0.0.1`).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::protocol::sc::arb::non_empty_string))]
        pub host: String,
        /// Transport encryption.
        pub encryption: Encryption,
    }
}

crate::wire_enum! {
    /// Transport encryption of an endpoint (`EncryptionEnum` upstream).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum Encryption: u8 {
        /// Plain TCP.
        #[default]
        #[serde(rename = "PLAINTEXT")]
        Plaintext = 0,
        /// TLS.
        #[serde(rename = "SSL")]
        Ssl = 1,
    }
}

crate::wire_enum! {
    /// How an SPU came to be.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum SpuType: u8 {
        /// Started by an SPU group.
        #[default]
        Managed = 0,
        /// Registered as a custom SPU.
        Custom = 1,
    }
}

crate::wire_struct! {
    /// An SPU's status.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct SpuStatus {
        /// Online, offline or init.
        pub resolution: SpuStatusResolution,
    }
}

crate::wire_enum! {
    /// SPU liveness.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum SpuStatusResolution: u8 {
        /// Connected to the SC.
        Online = 0,
        /// Not connected.
        Offline = 1,
        /// Never seen yet.
        #[default]
        Init = 2,
    }
}

/// How a custom SPU is named in Delete/Update: by name or by id.
///
/// On the wire the variant is a *string* tag, `"Name"` or `"Id"`, then the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum CustomSpuKey {
    /// By SPU name.
    Name(String),
    /// By SPU id.
    Id(i32),
}

impl Default for CustomSpuKey {
    fn default() -> Self {
        Self::Id(0)
    }
}

impl Encode for CustomSpuKey {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        match self {
            Self::Name(name) => {
                "Name".encode(dst, version)?;
                name.encode(dst, version)
            }
            Self::Id(id) => {
                "Id".encode(dst, version)?;
                id.encode(dst, version)
            }
        }
    }
}

impl Decode for CustomSpuKey {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        let tag = src.string("CustomSpuKey tag")?;
        match tag.as_str() {
            "Name" => Ok(Self::Name(String::decode(src, version)?)),
            "Id" => Ok(Self::Id(i32::decode(src, version)?)),
            _ => Err(DecodeError::InvalidValue {
                what: "CustomSpuKey tag",
                message: format!("unknown key kind {tag:?}"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn custom_spu_key_layout() {
        let k = CustomSpuKey::Id(5001);
        let b = encode_to_bytes(&k, 19).unwrap();
        assert_eq!(&b[..], &[0, 2, b'I', b'd', 0, 0, 0x13, 0x89]);
        assert_eq!(decode_exact::<CustomSpuKey>(b, 19, "key").unwrap(), k);
        let bad = bytes::Bytes::from_static(&[0, 1, b'X', 0, 0, 0, 0]);
        assert!(decode_exact::<CustomSpuKey>(bad, 19, "key").is_err());
    }

    #[test]
    fn public_endpoint_local_gate() {
        let spec = SpuSpec {
            id: 1,
            public_endpoint_local: Some(Endpoint::default()),
            ..Default::default()
        };
        let v0 = encode_to_bytes(&spec, 0).unwrap();
        let v1 = encode_to_bytes(&spec, 1).unwrap();
        assert_eq!(v1.len(), v0.len() + 1 + 2 + 2 + 1);
        assert_eq!(spec.public_address(), None);
    }
}
