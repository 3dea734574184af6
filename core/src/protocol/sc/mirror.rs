//! Mirror objects (label `"Mirror"`): remote / home cluster registrations.
//!
//! Upstream: `fluvio-controlplane-metadata` `mirror/{spec,status}.rs`.

use std::fmt;

use bytes::BytesMut;

use super::Spec;
use crate::protocol::codec::{Decode, DecodeError, Encode, EncodeError, Reader, Version};

crate::wire_struct! {
    /// A mirror registration.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct MirrorSpec {
        /// Remote or home.
        pub mirror_type: MirrorType,
    }
}

impl Spec for MirrorSpec {
    const LABEL: &'static str = "Mirror";
    type Status = MirrorStatus;
}

payload_enum! {
    /// Which side of the mirror this registration describes.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub enum MirrorType: u8 {
        /// A remote cluster registered on the home.
        Remote(Remote) = 0,
        /// The home cluster, as registered on a remote.
        Home(Home) = 1,
    }
}

impl Default for MirrorType {
    fn default() -> Self {
        Self::Remote(Remote::default())
    }
}

crate::wire_struct! {
    /// A remote cluster.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct Remote {
        /// Remote id.
        pub id: String,
    }
}

crate::wire_struct! {
    /// The home cluster.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct Home {
        /// Home id.
        pub id: String,
        /// This cluster's id at the home.
        pub remote_id: String,
        /// Home SC public endpoint.
        pub public_endpoint: String,
        /// TLS material to reach the home.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub client_tls: Option<ClientTls>,
    }
}

crate::wire_struct! {
    /// TLS material of a mirror connection (PEM text). `Debug` shows only the domain.
    #[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct ClientTls {
        /// Server name to verify.
        pub domain: String,
        /// CA certificate.
        pub ca_cert: String,
        /// Client certificate.
        pub client_cert: String,
        /// Client private key.
        pub client_key: String,
    }
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

crate::wire_struct! {
    /// A mirror's connection status.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct MirrorStatus {
        /// Online or offline.
        pub connection_status: ConnectionStatus,
        /// SC pairing state.
        #[serde(default)]
        pub pairing_sc: MirrorPairStatus,
        /// SPU pairing state.
        #[serde(default)]
        pub pairing_spu: MirrorPairStatus,
        /// Connection statistics.
        pub connection_stat: ConnectionStat,
    }
}

/// Pairing state of a mirror.
///
/// Tags 0–4 carry nothing; tag 5 carries a message. Upstream marks `DetailFailure`
/// "min_version 17", which its derive ignores: it is accepted at every version.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MirrorPairStatus {
    /// Waiting to pair.
    #[default]
    Waiting,
    /// Paired.
    Successful,
    /// Pairing failed.
    Failed,
    /// Disabled.
    Disabled,
    /// Not authorized.
    Unauthorized,
    /// Pairing failed with a reason.
    DetailFailure(String),
}

impl Encode for MirrorPairStatus {
    fn encode(&self, dst: &mut BytesMut, version: Version) -> Result<(), EncodeError> {
        let tag: u8 = match self {
            Self::Waiting => 0,
            Self::Successful => 1,
            Self::Failed => 2,
            Self::Disabled => 3,
            Self::Unauthorized => 4,
            Self::DetailFailure(_) => 5,
        };
        tag.encode(dst, version)?;
        if let Self::DetailFailure(msg) = self {
            msg.encode(dst, version)?;
        }
        Ok(())
    }
}

impl Decode for MirrorPairStatus {
    fn decode(src: &mut Reader, version: Version) -> Result<Self, DecodeError> {
        Ok(match src.u8()? {
            0 => Self::Waiting,
            1 => Self::Successful,
            2 => Self::Failed,
            3 => Self::Disabled,
            4 => Self::Unauthorized,
            5 => Self::DetailFailure(String::decode(src, version)?),
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "MirrorPairStatus",
                    tag: i64::from(tag),
                });
            }
        })
    }
}

crate::wire_enum! {
    /// Mirror connectivity.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub enum ConnectionStatus: u8 {
        /// Not connected.
        #[default]
        Offline = 0,
        /// Connected.
        Online = 1,
    }
}

crate::wire_struct! {
    /// Mirror connection statistics.
    #[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    #[serde(rename_all = "camelCase")]
    pub struct ConnectionStat {
        /// Milliseconds since the peer was last seen.
        pub last_seen: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::{decode_exact, encode_to_bytes};

    #[test]
    fn pair_status_tags() {
        let d = MirrorPairStatus::DetailFailure("x".into());
        let b = encode_to_bytes(&d, 19).unwrap();
        assert_eq!(&b[..], &[5, 0, 1, b'x']);
        assert_eq!(decode_exact::<MirrorPairStatus>(b, 19, "p").unwrap(), d);
        let bad = bytes::Bytes::from_static(&[6]);
        assert!(decode_exact::<MirrorPairStatus>(bad, 19, "p").is_err());
        let tls = ClientTls {
            client_key: "secret".into(),
            ..Default::default()
        };
        assert!(!format!("{tls:?}").contains("secret"));
    }
}
