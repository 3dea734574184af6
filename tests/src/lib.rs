//! Shared helpers of flv's integration tests.
#![forbid(unsafe_code)]

pub mod bench;
pub mod faults;
pub mod proxy;
pub mod real_cluster;
pub mod sim;
pub mod suite;

use std::path::PathBuf;

/// The directory of the traces captured from a real Fluvio 0.50 cluster.
pub fn traces_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces")
}

/// Checks that `quickack` takes the socket `fd` out of delayed-ACK mode: the socket is put
/// into it first (`TCP_QUICKACK` off), and must read back on after `quickack`. Linux only.
#[cfg(target_os = "linux")]
pub fn assert_quickack(fd: impl std::os::fd::AsFd, quickack: impl FnOnce() -> std::io::Result<()>) {
    let sock = socket2::SockRef::from(&fd);
    sock.set_tcp_quickack(false)
        .expect("enter delayed-ACK mode");
    assert!(!sock.tcp_quickack().expect("read TCP_QUICKACK"));
    quickack().expect("quickack");
    assert!(
        sock.tcp_quickack().expect("read TCP_QUICKACK"),
        "the socket is still in delayed-ACK mode"
    );
}
