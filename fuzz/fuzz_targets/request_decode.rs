//! Any request payload, for the SC and for an SPU: decode must never panic, and what
//! decodes must re-encode to the same bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use flv_core::message::{RequestFrame, ServerKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for server in [ServerKind::Sc, ServerKind::Spu] {
        if let Ok(frame) = RequestFrame::decode(server, Bytes::copy_from_slice(data)) {
            let mut out = BytesMut::new();
            if frame.encode(&mut out).is_ok() {
                let again = RequestFrame::decode(server, Bytes::copy_from_slice(&out[4..]))
                    .expect("re-encoded request decodes");
                assert_eq!(again, frame);
            }
        }
    }
});
