//! Arbitrary and truncated input never panics any SPU decoder.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::protocol::api_versions::{ApiVersionsRequest, ApiVersionsResponse};
use crate::protocol::codec::{Decode, Version, decode_exact, encode_to_bytes};
use crate::protocol::error_code::ErrorCode;

/// Decodes `bytes` as every SPU type at `version`, ignoring the results: only a panic
/// fails. Returns how many types decoded.
fn decode_all(bytes: &Bytes, version: Version) -> usize {
    fn one<T: Decode>(bytes: &Bytes, version: Version) -> usize {
        usize::from(decode_exact::<T>(bytes.clone(), version, "hostile").is_ok())
    }
    one::<ErrorCode>(bytes, version)
        + one::<ApiVersionsRequest>(bytes, version)
        + one::<ApiVersionsResponse>(bytes, version)
        + one::<ProduceRequest>(bytes, version)
        + one::<ProduceResponse>(bytes, version)
        + one::<FetchRequest>(bytes, version)
        + one::<FetchResponse>(bytes, version)
        + one::<FetchOffsetsRequest>(bytes, version)
        + one::<FetchOffsetsResponse>(bytes, version)
        + one::<StreamFetchRequest>(bytes, version)
        + one::<StreamFetchResponse>(bytes, version)
        + one::<UpdateOffsetsRequest>(bytes, version)
        + one::<UpdateOffsetsResponse>(bytes, version)
        + one::<UpdateConsumerOffsetRequest>(bytes, version)
        + one::<UpdateConsumerOffsetResponse>(bytes, version)
        + one::<DeleteConsumerOffsetRequest>(bytes, version)
        + one::<DeleteConsumerOffsetResponse>(bytes, version)
        + one::<FetchConsumerOffsetsRequest>(bytes, version)
        + one::<FetchConsumerOffsetsResponse>(bytes, version)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256), version in -1i16..=26) {
        decode_all(&Bytes::from(data), version);
    }
}

#[test]
fn every_truncation_of_a_rich_message_fails_cleanly() {
    let sm = SmartModuleInvocation {
        wasm: SmartModuleInvocationWasm::AdHoc(Bytes::from_static(b"\x1f\x8b")),
        kind: SmartModuleKind::Generic(SmartModuleContextData::JoinStream {
            topic: "t".into(),
            derivedstream: "d".into(),
        }),
        params: SmartModuleExtraParams {
            inner: [("k".to_string(), "v".to_string())].into(),
            lookback: Some(Lookback {
                last: 3,
                age: Some(std::time::Duration::from_millis(5)),
            }),
        },
        name: Some("sm".into()),
    };
    let req = StreamFetchRequest {
        topic: "t1".into(),
        smartmodule: Some(sm.clone()),
        smartmodules: vec![sm.clone(), sm],
        consumer_id: Some("c".into()),
        ..Default::default()
    };
    for version in [16, 18, 25] {
        let bytes = encode_to_bytes(&req, version).unwrap();
        let back: StreamFetchRequest = decode_exact(bytes.clone(), version, "sf").unwrap();
        assert_eq!(encode_to_bytes(&back, version).unwrap(), bytes);
        for cut in 0..bytes.len() {
            assert!(decode_exact::<StreamFetchRequest>(bytes.slice(..cut), version, "sf").is_err());
        }
    }
}
