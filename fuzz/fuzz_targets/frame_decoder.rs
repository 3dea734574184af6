//! Arbitrary chunking of an arbitrary byte stream into the frame decoder.
#![no_main]

use flv_core::frame::FrameDecoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (data, cuts) = input;
    let mut decoder = FrameDecoder::new(1 << 20);
    let mut rest = &data[..];
    let mut frames_bytes = 0usize;
    for cut in cuts.iter().chain(std::iter::once(&255u8)) {
        let n = (*cut as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        decoder.handle_bytes(chunk);
        loop {
            match decoder.poll_frame() {
                Ok(Some(frame)) => frames_bytes += frame.len() + 4,
                Ok(None) => break,
                Err(_) => return,
            }
        }
        // Memory stays bounded by what was fed in.
        assert!(decoder.buffered() + frames_bytes <= data.len());
    }
});
