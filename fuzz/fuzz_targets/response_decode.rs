//! Any response payload to any api key and version: decode must never panic, and what
//! decodes must re-encode to a frame that decodes to the same value.
//!
//! Input layout (so trace frames make good seeds): byte 0 = server (even SC, odd SPU),
//! bytes 1..3 = api key (big-endian), bytes 3..5 = version (big-endian), rest = payload.
#![no_main]

use bytes::{Bytes, BytesMut};
use flv_core::message::{ResponseFrame, ServerKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [s, k0, k1, v0, v1, payload @ ..] = data else {
        return;
    };
    let server = if s % 2 == 0 { ServerKind::Sc } else { ServerKind::Spu };
    let api_key = u16::from_be_bytes([*k0, *k1]);
    let version = i16::from_be_bytes([*v0, *v1]);
    let decoded = ResponseFrame::decode(server, api_key, version, Bytes::copy_from_slice(payload));
    if let Ok(frame) = decoded {
        let mut out = BytesMut::new();
        if frame.encode(&mut out, version).is_ok() {
            let again =
                ResponseFrame::decode(server, api_key, version, Bytes::copy_from_slice(&out[4..]))
                    .expect("re-encoded response decodes");
            assert_eq!(again, frame);
        }
    }
});
