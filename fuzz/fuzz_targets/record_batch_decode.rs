//! Any record set (as carried in Produce requests and fetch responses): decoding and
//! decompression must never panic or allocate without bound, and what decodes must
//! re-encode to the same bytes.
#![no_main]

use bytes::{Bytes, BytesMut};
use flv_core::codec::{Decode, Encode, Reader};
use flv_core::record::RecordSet;
use libfuzzer_sys::fuzz_target;

/// Small enough that a decompression bomb is caught quickly.
const LIMIT: usize = 4 << 20;

fuzz_target!(|data: &[u8]| {
    let mut reader = Reader::new(Bytes::copy_from_slice(data));
    let Ok(set) = RecordSet::decode(&mut reader, 25) else {
        return;
    };
    let consumed = data.len() - reader.remaining();
    for batch in set.batches() {
        if let Ok(records) = batch.records_with_limit(LIMIT) {
            assert_eq!(records.len(), batch.records_count());
        }
    }
    let mut out = BytesMut::new();
    set.encode(&mut out, 25).expect("decoded set re-encodes");
    assert_eq!(&out[..], &data[..consumed]);
});
