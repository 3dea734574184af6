//! Shared helpers of flv's integration tests.
#![forbid(unsafe_code)]

pub mod bench;
pub mod faults;
pub mod proxy;
pub mod real_cluster;
pub mod sim;
pub mod smartmodules;
pub mod suite;

use std::path::PathBuf;

/// The directory of the traces captured from a real Fluvio 0.50 cluster.
pub fn traces_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("traces")
}

/// The built `flv` binary: `target/<profile>/flv`, next to the `deps` directory holding the
/// running test. `cargo test --workspace` builds it first; after `cargo test -p flv-tests`
/// alone it may be missing or stale.
pub fn flv_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let mut dir = exe.parent().expect("deps directory").to_owned();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let bin = dir.join(format!("flv{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p flv-cli` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// Checks that `rt.quickack` (called by the driver after every read) takes a socket the
/// runtime connected out of delayed-ACK mode: the socket is put into it first
/// (`TCP_QUICKACK` off), and must read back on after `quickack`. `fd` reaches the socket
/// under the runtime's stream type. Linux only.
#[cfg(target_os = "linux")]
pub async fn assert_runtime_quickack<R: flv_driver::Runtime>(
    rt: R,
    fd: impl Fn(&R::Tcp) -> std::os::fd::BorrowedFd<'_>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let tcp = rt
        .connect(listener.local_addr().expect("address"))
        .await
        .expect("connect");
    let borrowed = fd(&tcp);
    let sock = socket2::SockRef::from(&borrowed);
    sock.set_tcp_quickack(false)
        .expect("enter delayed-ACK mode");
    assert!(!sock.tcp_quickack().expect("read TCP_QUICKACK"));
    rt.quickack(&tcp).expect("quickack");
    assert!(
        sock.tcp_quickack().expect("read TCP_QUICKACK"),
        "the socket is still in delayed-ACK mode"
    );
}
