//! Writes fuzz seed corpora from the real-cluster traces.
//!
//! `cargo run -p flv-tests --bin fuzz-seeds -- DIR` creates `DIR/<target>/` files:
//! request payloads for `request_decode`, `[server, api key, version] + payload` for
//! `response_decode`. Frames larger than 64 KiB are left out to keep fuzzing fast.

use std::fs;
use std::path::PathBuf;

use flv_core::codec::Encode;
use flv_core::message::{AnyRequest, AnyResponse};
use flv_core::record::RecordSet;
use flv_core::trace::{self, Decoded, Direction, Peer, Trace};

const MAX_SEED: usize = 64 * 1024;

fn main() -> std::io::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus-seed".into()),
    );
    let req_dir = out.join("request_decode");
    let resp_dir = out.join("response_decode");
    let rec_dir = out.join("record_batch_decode");
    for d in [&req_dir, &resp_dir, &rec_dir] {
        fs::create_dir_all(d)?;
    }
    let mut written = 0;
    for entry in fs::read_dir(flv_tests::traces_dir())? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "trace") {
            continue;
        }
        let text = fs::read_to_string(&path)?;
        let Ok(t) = Trace::parse(&text) else { continue };
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (_, frames) = trace::check(&t);
        for (f, report) in t.frames.iter().zip(&frames) {
            let payload = f.payload();
            if payload.len() > MAX_SEED {
                continue;
            }
            let name = format!("{stem}-{}", report.index);
            for (i, set) in record_sets(&report.decoded).into_iter().enumerate() {
                let mut buf = bytes::BytesMut::new();
                if set.encode(&mut buf, 25).is_ok() && buf.len() <= MAX_SEED {
                    fs::write(rec_dir.join(format!("{name}-{i}")), &buf)?;
                }
            }
            match f.dir {
                Direction::ToServer => fs::write(req_dir.join(name), &payload)?,
                Direction::ToClient => {
                    let (Some(key), Some(version)) = (report.api_key, report.version) else {
                        continue;
                    };
                    let server = u8::from(!matches!(report.peer, Peer::Sc));
                    let mut seed = vec![server];
                    seed.extend_from_slice(&key.to_be_bytes());
                    seed.extend_from_slice(&version.to_be_bytes());
                    seed.extend_from_slice(&payload);
                    fs::write(resp_dir.join(name), seed)?;
                }
            }
            written += 1;
        }
    }
    println!("fuzz-seeds: wrote {written} seeds to {}", out.display());
    Ok(())
}

/// The record sets carried by a decoded frame (produce requests, fetch responses).
fn record_sets(decoded: &Result<Decoded, String>) -> Vec<RecordSet> {
    match decoded {
        Ok(Decoded::Request(r)) => match r.as_ref() {
            AnyRequest::Produce(p) => p
                .topics
                .iter()
                .flat_map(|t| t.partitions.iter().map(|p| p.records.clone()))
                .collect(),
            _ => Vec::new(),
        },
        Ok(Decoded::Response(r)) => match r.as_ref() {
            AnyResponse::StreamFetch(s) => vec![s.partition.records.clone()],
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    }
}
