//! ApiVersions (api key 18): the first request on every connection.
//!
//! Upstream: `fluvio-protocol` `link/versions.rs`. The official client sends header
//! version 2; the body fields exist from version 1.

use crate::protocol::codec::Version;
use crate::protocol::error_code::ErrorCode;
use crate::protocol::header::Request;

/// The ApiVersions api key.
pub const API_KEY: u16 = 18;

crate::wire_struct! {
    /// Announce the client and ask for the server's supported versions.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ApiVersionsRequest {
        /// Client version; the SC requires valid semver (version ≥ 1).
        @since(1)
        pub client_version: String,
        /// Client operating system, e.g. `linux` (version ≥ 1).
        @since(1)
        pub client_os: String,
        /// Client architecture, e.g. `x86_64` (version ≥ 1).
        @since(1)
        pub client_arch: String,
    }
}

impl Request for ApiVersionsRequest {
    const API_KEY: u16 = API_KEY;
    const MIN_VERSION: Version = 0;
    const MAX_VERSION: Version = 2;
    type Response = ApiVersionsResponse;
}

crate::wire_struct! {
    /// The server's supported api keys and versions.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ApiVersionsResponse {
        /// `None` on success.
        pub error_code: ErrorCode,
        /// Supported versions per api key.
        pub api_keys: Vec<ApiVersionKey>,
        /// Platform version (semver; SPUs send `0.0.0`). Upstream's decoder rejects
        /// non-semver strings; this codec keeps the string as is.
        pub platform_version: String,
    }
}

impl ApiVersionsResponse {
    /// The advertised range of `api_key`, if any.
    pub fn find(&self, api_key: u16) -> Option<&ApiVersionKey> {
        self.api_keys
            .iter()
            .find(|k| i32::from(k.api_key) == i32::from(api_key))
    }
}

crate::wire_struct! {
    /// The supported versions of one api key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    #[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
    pub struct ApiVersionKey {
        /// The api key.
        pub api_key: i16,
        /// Lowest supported version.
        pub min_version: i16,
        /// Highest supported version.
        pub max_version: i16,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::protocol::codec::{Decode, Reader, decode_exact, encode_to_bytes};
    use crate::protocol::header::RequestHeader;

    fn frame_payload(hex: &str) -> Bytes {
        // Strip the 4-byte length prefix after checking it.
        let raw = hex::decode(hex).unwrap();
        let len = u32::from_be_bytes(raw[..4].try_into().unwrap()) as usize;
        assert_eq!(len, raw.len() - 4);
        Bytes::from(raw).slice(4..)
    }

    // The first request of every connection in every trace (SC and SPU alike).
    const REQUEST: &str =
        "0000002700120002000000010006666c7576696f0006302e35302e3100056c696e757800067838365f3634";
    // SPU answer (consume-beginning.trace, spu-5001).
    const SPU_RESPONSE: &str = "0000002f0000000100000000000500000000001900010000001903ea0019001903eb0000001903ed000000000005302e302e30";
    // SC answer (admin-list.trace).
    const SC_RESPONSE: &str = "0000003c0000000100000000000603e90009001303ea0001001303eb000f001303ec000f001303ed000e001303ee00010013000c302e31382e322d6465762d31";

    #[test]
    fn a_captured_request_decodes_and_encodes_identically() {
        let payload = frame_payload(REQUEST);
        let mut r = Reader::new(payload);
        let header = RequestHeader::decode(&mut r, 0).unwrap();
        assert_eq!(header.api_key, API_KEY);
        assert_eq!(header.api_version, 2);
        let body = r.rest();
        let req: ApiVersionsRequest = decode_exact(body.clone(), 2, "req").unwrap();
        assert_eq!(req.client_version, "0.50.1");
        assert_eq!(req.client_os, "linux");
        assert_eq!(req.client_arch, "x86_64");
        assert_eq!(encode_to_bytes(&req, 2).unwrap(), body);
        // Version 0 has no body.
        assert!(encode_to_bytes(&req, 0).unwrap().is_empty());
    }

    #[test]
    fn captured_responses_decode_and_encode_identically() {
        let spu = frame_payload(SPU_RESPONSE);
        let body = spu.slice(4..);
        let resp: ApiVersionsResponse = decode_exact(body.clone(), 2, "resp").unwrap();
        assert!(resp.error_code.is_ok());
        assert_eq!(resp.platform_version, "0.0.0");
        let key = |k, min, max| ApiVersionKey {
            api_key: k,
            min_version: min,
            max_version: max,
        };
        assert_eq!(
            resp.api_keys,
            vec![
                key(0, 0, 25),
                key(1, 0, 25),
                key(1002, 25, 25),
                key(1003, 0, 25),
                key(1005, 0, 0)
            ]
        );
        assert_eq!(resp.find(1003), Some(&key(1003, 0, 25)));
        assert_eq!(resp.find(1006), None);
        assert_eq!(encode_to_bytes(&resp, 2).unwrap(), body);

        let sc = frame_payload(SC_RESPONSE);
        let body = sc.slice(4..);
        let resp: ApiVersionsResponse = decode_exact(body.clone(), 2, "resp").unwrap();
        assert_eq!(resp.platform_version, "0.18.2-dev-1");
        assert_eq!(resp.api_keys.len(), 6);
        assert_eq!(resp.find(1004), Some(&key(1004, 15, 19)));
        assert_eq!(encode_to_bytes(&resp, 2).unwrap(), body);
    }
}
