//! `flv trace check|show` end to end, as a user runs them.

use std::path::PathBuf;

use assert_cmd::Command;

fn traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/traces")
}

fn flv() -> Command {
    Command::cargo_bin("flv").expect("flv binary")
}

#[test]
fn check_all_real_traces_passes_with_the_exact_summary_line() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(traces())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 30);
    let out = flv()
        .arg("trace")
        .arg("check")
        .args(&files)
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        31,
        "one line per file and the summary:\n{stdout}"
    );
    let last = lines.last().unwrap();
    let n: Vec<usize> = last
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(n.len(), 4, "{last}");
    assert!(
        last.starts_with("frames: ") && n[0] > 300 && n[0] == n[1] && n[1] == n[2] && n[3] == 0,
        "{last}"
    );
    assert_eq!(
        *last,
        format!(
            "frames: {} decoded: {} identical: {} failed: 0",
            n[0], n[0], n[0]
        )
    );
}

#[test]
fn check_names_the_failing_frame_and_exits_non_zero() {
    let text = std::fs::read_to_string(traces().join("produce-basic.trace")).unwrap();
    // Corrupt the produce request: flip a byte inside its record batch (CRC mismatch).
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let idx = lines
        .iter()
        .position(|l| {
            !l.starts_with('#') && l.split_whitespace().nth(3).is_some_and(|h| h.len() > 2000)
        })
        .expect("a large frame");
    let mut parts: Vec<String> = lines[idx].split_whitespace().map(str::to_string).collect();
    let hex = &mut parts[3];
    let at = hex.len() - 10;
    let flipped = if &hex[at..at + 1] == "0" { "1" } else { "0" };
    hex.replace_range(at..at + 1, flipped);
    lines[idx] = parts.join(" ");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.trace");
    std::fs::write(&bad, lines.join("\n")).unwrap();

    let out = flv().args(["trace", "check"]).arg(&bad).assert().failure();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("api 0 (Produce) version 25"), "{stdout}");
    assert!(stdout.contains("crc"), "{stdout}");
    assert!(
        stdout.lines().last().unwrap().ends_with("failed: 1"),
        "{stdout}"
    );
}

#[test]
fn check_reports_unreadable_files_clearly() {
    let out = flv()
        .args(["trace", "check", "/nonexistent/x.trace"])
        .assert()
        .failure();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.starts_with("error: cannot read trace"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn show_dissects_frames_readably() {
    let out = flv()
        .args(["trace", "show"])
        .arg(traces().join("produce-keys.trace"))
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(stdout.contains("scenario: produce-keys"));
    assert!(stdout.contains("client -> server Produce v25 correlation"));
    assert!(stdout.contains("server -> client ApiVersions v2 correlation 1"));
    assert!(
        stdout.contains(r#"b"k2" => b"v2""#),
        "keys and values shown"
    );
    assert!(!stdout.contains("ERROR"));
}

#[test]
fn help_snapshot() {
    let out = flv().args(["trace", "--help"]).assert().success();
    insta::assert_snapshot!(String::from_utf8(out.get_output().stdout.clone()).unwrap());
}
