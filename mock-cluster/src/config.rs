//! Configuration and identifiers of the mock cluster.

use std::fmt;

/// The platform version the real 0.50.2 SC advertises in ApiVersions.
pub const PLATFORM_VERSION: &str = "0.18.2-dev-1";

/// The name of the system topic that stores consumer offsets.
pub const CONSUMER_OFFSET_TOPIC: &str = "consumer-offset";

/// Configuration of a [`MockCluster`](crate::MockCluster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    /// Number of SPUs (default 3).
    pub spus: usize,
    /// Id of the first SPU; the others follow (default 5001).
    pub first_spu_id: i32,
    /// Seed of the cluster's random choices.
    pub seed: u64,
    /// `host:port` of the SC (only used by [`MockCluster::server_for_addr`](crate::MockCluster::server_for_addr)).
    pub sc_addr: String,
    /// `host:port` of each SPU, published in the SPU specs. Missing entries default to
    /// `127.0.0.1:9010`, `127.0.0.1:9020`, … (the ports of the captured real cluster).
    pub spu_addrs: Vec<String>,
    /// Wall-clock time at [`Instant::ZERO`](flv_core::time::Instant::ZERO), in milliseconds
    /// since the Unix epoch (used for consumer offset modification times).
    pub wall_clock_ms: u64,
    /// Largest request frame accepted; a longer one closes the connection. Default
    /// [`MOCK_MAX_FRAME_SIZE`]: a real SPU reads frames of any `i32` length, and the
    /// official client sends produce requests longer than its own `max_request_size`
    /// (measured: 70 to 86 MB with 32 MiB batches of 1 MiB on flush).
    pub max_frame_size: usize,
    /// Create the system topic `consumer-offset` (as a real cluster has) at start.
    pub system_topic: bool,
    /// How long each follower waits after its leader appended before it fetches the new
    /// records (default zero: in the same step). A real follower fetches asynchronously:
    /// one-record read-committed produce requests on a 3-replica topic took about 0.7 s
    /// each on a real cluster, 10 ms with one replica (README "The mock cluster").
    pub replication_lag: std::time::Duration,
}

/// The mock's default frame limit, 256 MiB: well above what clients send, still a limit
/// (memory is only spent on bytes actually received, see
/// [`FrameDecoder`](flv_core::frame::FrameDecoder)), and below the 352 MiB that a TLS
/// ClientHello reads as, so a TLS client on a plain port is cut off at once instead of
/// waiting for a frame that never comes.
pub const MOCK_MAX_FRAME_SIZE: usize = 256 << 20;

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            spus: 3,
            first_spu_id: 5001,
            seed: 0,
            sc_addr: "127.0.0.1:9003".into(),
            spu_addrs: Vec::new(),
            wall_clock_ms: 1_796_000_000_000,
            max_frame_size: MOCK_MAX_FRAME_SIZE,
            system_topic: true,
            replication_lag: std::time::Duration::ZERO,
        }
    }
}

impl MockConfig {
    /// The ids of the configured SPUs.
    pub fn spu_ids(&self) -> Vec<i32> {
        (0..self.spus)
            .filter_map(|i| i32::try_from(i).ok())
            .map(|i| self.first_spu_id.saturating_add(i))
            .collect()
    }

    /// The published address of the `index`-th SPU.
    pub fn spu_addr(&self, index: usize) -> String {
        self.spu_addrs.get(index).cloned().unwrap_or_else(|| {
            let port = 9010usize.saturating_add(index.saturating_mul(10));
            format!("127.0.0.1:{}", port.min(usize::from(u16::MAX)))
        })
    }
}

/// One of the cluster's servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerId {
    /// The SC (control plane).
    Sc,
    /// The SPU with this id (data plane).
    Spu(i32),
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sc => f.write_str("sc"),
            Self::Spu(id) => write!(f, "spu-{id}"),
        }
    }
}

/// A connection accepted by the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}

/// Splits `host:port`.
pub(crate) fn split_addr(addr: &str) -> (String, u16) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (host.to_string(), port.parse().unwrap_or(0)),
        None => (addr.to_string(), 0),
    }
}
