//! Every frame of every trace captured from a real Fluvio 0.50 cluster decodes and
//! re-encodes to the identical bytes; the decoded messages are snapshotted (insta).

use std::fs;

use flv_core::trace::{self, Trace};

/// All traces, read from the copy in this repository.
fn traces() -> Vec<(String, Trace)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(flv_tests::traces_dir()).expect("traces dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "trace") {
            let text = fs::read_to_string(&path).expect("read trace");
            let t = Trace::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path.file_name().unwrap().to_string_lossy().into_owned(), t));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn all_thirty_traces_are_present() {
    assert_eq!(
        traces().len(),
        30,
        "tests/traces must hold the 30 real-cluster traces"
    );
}

#[test]
fn every_frame_decodes_and_reencodes_identically() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, t) in traces() {
        let (report, frames) = trace::check(&t);
        total += report.frames;
        for f in frames.iter().filter(|f| !f.identical) {
            failures.push(format!(
                "{name} frame {} (line {}, conn {} {}, {} v{:?}): {:?}",
                f.index,
                f.line,
                f.conn,
                f.peer,
                f.api(),
                f.version,
                f.decoded
                    .as_ref()
                    .err()
                    .map_or("re-encoded bytes differ", |e| e.as_str())
            ));
        }
    }
    assert!(total > 300, "too few frames: {total}");
    assert!(
        failures.is_empty(),
        "{} frames failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn decoded_messages_snapshot() {
    insta::glob!("../traces", "*.trace", |path| {
        let text = fs::read_to_string(path).expect("read trace");
        let t = Trace::parse(&text).expect("parse trace");
        insta::assert_snapshot!(trace::dissect(&t));
    });
}
