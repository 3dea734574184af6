//! Writes fuzz seed corpora from the real-cluster traces.
//!
//! `cargo run -p flv-tests --bin fuzz-seeds -- DIR` creates `DIR/<target>/` files:
//! request payloads for `request_decode`, `[server, api key, version] + payload` for
//! `response_decode`. Frames larger than 64 KiB are left out to keep fuzzing fast.

use std::fs;
use std::path::PathBuf;

use flv_core::trace::{self, Direction, Peer, Trace};

const MAX_SEED: usize = 64 * 1024;

fn main() -> std::io::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus-seed".into()),
    );
    let req_dir = out.join("request_decode");
    let resp_dir = out.join("response_decode");
    fs::create_dir_all(&req_dir)?;
    fs::create_dir_all(&resp_dir)?;
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
