//! A real Fluvio cluster on loopback, started from a `fluvio-run` binary the caller names
//! (`--fluvio-run PATH` or `FLUVIO_RUN=PATH`): one SC and N SPUs (ids 9001..), each its own
//! process, data in a temporary directory that goes away with the cluster.
//!
//! flv never builds or ships the server: a `fluvio-run` binary comes from the upstream
//! repository (infinyon/fluvio, built by its own instructions; README says more). Nothing
//! in CI uses this module.
//!
//! Ports: the SC listens on `base` (public) and `base + 1` (private); SPU `i` (1-based) on
//! `base + 10 i` (public) and `base + 10 i + 1` (private). The base is chosen among free
//! loopback ports.
//!
//! With [`RealCluster::start_with_spu_proxies`], each SPU is registered with the addresses
//! of two [`FaultProxy`]s as its public and private endpoints while it listens on its own
//! ports: the SC publishes the proxies, so every client connection to an SPU (produce,
//! fetch, stream fetch) goes through the public one and every follower's replication
//! connection to its leader through the leader's private one; both can be cut or
//! black-holed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::proxy::FaultProxy;
use flv_driver::config::ClusterConfig;
use flv_driver::core::sc::partition::PartitionSpec;
use flv_driver::core::sc::spu::{
    CustomSpuSpec, Encryption, Endpoint, IngressAddr, IngressPort, SpuSpec, SpuStatusResolution,
};
use flv_tokio::Fluvio;

/// The environment variable naming a `fluvio-run` binary.
pub const FLUVIO_RUN_ENV: &str = "FLUVIO_RUN";

/// The environment variable keeping real clusters' ports within `P..P+900`.
pub const PORT_BASE_ENV: &str = "FLV_REAL_PORT_BASE";

/// The `fluvio-run` binary to use: `explicit`, else `$FLUVIO_RUN`.
pub fn fluvio_run_path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(FLUVIO_RUN_ENV).map(PathBuf::from))
}

/// A running real cluster; dropping it kills every process and removes its data.
pub struct RealCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    base: u16,
    sc: Option<Child>,
    spus: Vec<Option<Child>>,
    /// One per SPU (its published public endpoint) when started with proxies.
    spu_proxies: Vec<FaultProxy>,
    /// One per SPU (its published private endpoint) when started with proxies.
    private_proxies: Vec<FaultProxy>,
    rt: tokio::runtime::Runtime,
}

impl RealCluster {
    /// Starts an SC and `spus` SPUs from `bin` and waits (at most a minute) until every
    /// SPU is Online.
    pub fn start(bin: &Path, spus: usize) -> Result<Self> {
        Self::start_inner(bin, spus, false)
    }

    /// As [`RealCluster::start`], with a [`FaultProxy`] in front of each SPU's public port,
    /// registered as that SPU's public endpoint ([`RealCluster::spu_proxy`]).
    pub fn start_with_spu_proxies(bin: &Path, spus: usize) -> Result<Self> {
        Self::start_inner(bin, spus, true)
    }

    fn start_inner(bin: &Path, spus: usize, proxied: bool) -> Result<Self> {
        anyhow::ensure!(
            bin.is_file(),
            "no fluvio-run binary at {}: build one from the upstream repository (README: \"A real cluster\")",
            bin.display()
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("real-cluster")
            .enable_all()
            .build()?;
        let base = free_base(spus)?;
        let proxies = |private: bool| -> Result<Vec<FaultProxy>> {
            if !proxied {
                return Ok(Vec::new());
            }
            (1..=spus)
                .map(|i| {
                    let (public, priv_port) = spu_ports(base, i);
                    let port = if private { priv_port } else { public };
                    FaultProxy::start(&format!("127.0.0.1:{port}"))
                })
                .collect::<std::io::Result<Vec<_>>>()
                .context("start the SPUs' fault proxies")
        };
        let (spu_proxies, private_proxies) = (proxies(false)?, proxies(true)?);
        let mut cluster = Self {
            bin: bin.to_path_buf(),
            dir: tempfile::Builder::new()
                .prefix("flv-real-cluster")
                .tempdir()?,
            base,
            sc: None,
            spus: (0..spus).map(|_| None).collect(),
            spu_proxies,
            private_proxies,
            rt,
        };
        cluster.start_sc()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let admin = loop {
            match cluster.connect() {
                Ok(f) => break f,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e.context("the SC did not accept connections in 30 s")),
            }
        };
        for i in 1..=spus {
            let spec = cluster.custom_spu(i)?;
            cluster
                .rt
                .block_on(
                    admin
                        .admin()
                        .create(format!("custom-spu-{}", spu_id(i)), false, spec),
                )
                .with_context(|| format!("register SPU {}", spu_id(i)))?;
        }
        for i in 1..=spus {
            cluster.start_spu(i)?;
        }
        cluster.wait_spus_online(spus, Duration::from_secs(60))?;
        Ok(cluster)
    }

    /// The SC's public address.
    pub fn sc_addr(&self) -> String {
        format!("127.0.0.1:{}", self.base)
    }

    /// The number of SPUs.
    pub fn spus(&self) -> usize {
        self.spus.len()
    }

    /// The id of SPU `i` (1-based).
    pub fn spu_id(&self, i: usize) -> i32 {
        spu_id(i)
    }

    /// The fault proxy published as SPU `i`'s (1-based) public endpoint, when the cluster
    /// was started with [`RealCluster::start_with_spu_proxies`].
    pub fn spu_proxy(&self, i: usize) -> Option<&FaultProxy> {
        self.spu_proxies.get(i.wrapping_sub(1))
    }

    /// The fault proxy published as SPU `i`'s (1-based) private endpoint (followers of its
    /// partitions replicate through it), when started with proxies.
    pub fn spu_private_proxy(&self, i: usize) -> Option<&FaultProxy> {
        self.private_proxies.get(i.wrapping_sub(1))
    }

    /// Where the cluster keeps its data and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh flv client of the cluster.
    pub fn connect(&self) -> Result<Fluvio> {
        self.rt
            .block_on(Fluvio::connect_with_config(&ClusterConfig::new(
                self.sc_addr(),
            )))
            .context("connect to the real cluster's SC")
    }

    /// Runs `f` on the cluster's runtime.
    pub fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    /// `kill -9` of SPU `i` (1-based; the process id of id `9000 + i`).
    pub fn kill_spu(&mut self, i: usize) -> Result<()> {
        let slot = self
            .spus
            .get_mut(i.wrapping_sub(1))
            .with_context(|| format!("no SPU {i}"))?;
        if let Some(mut child) = slot.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts SPU `i` again (after [`RealCluster::kill_spu`]) with the same data directory.
    pub fn restart_spu(&mut self, i: usize) -> Result<()> {
        self.kill_spu(i)?;
        self.start_spu(i)
    }

    /// `kill -9` of the SC.
    pub fn kill_sc(&mut self) -> Result<()> {
        if let Some(mut child) = self.sc.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the SC again with the same metadata directory.
    pub fn restart_sc(&mut self) -> Result<()> {
        self.kill_sc()?;
        self.start_sc()
    }

    /// Waits until every partition of `topic` has an Online leader; names the ones that
    /// are not when `timeout` passes.
    pub fn wait_topic_online(&self, topic: &str, timeout: Duration) -> Result<()> {
        let admin = self.connect()?;
        self.rt
            .block_on(wait_partitions_online(&admin, topic, timeout))
    }

    fn start_sc(&mut self) -> Result<()> {
        let log = std::fs::File::create(self.dir.path().join("sc.log"))?;
        let child = Command::new(&self.bin)
            .arg("sc")
            .arg("--local")
            .arg(self.dir.path().join("sc-meta"))
            .arg("--bind-public")
            .arg(format!("127.0.0.1:{}", self.base))
            .arg("--bind-private")
            .arg(format!("127.0.0.1:{}", self.base + 1))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {} sc", self.bin.display()))?;
        self.sc = Some(child);
        Ok(())
    }

    fn start_spu(&mut self, i: usize) -> Result<()> {
        let (public, private) = spu_ports(self.base, i);
        let log = std::fs::File::create(self.dir.path().join(format!("spu{i}.log")))?;
        let child = Command::new(&self.bin)
            .arg("spu")
            .arg("-i")
            .arg(spu_id(i).to_string())
            .arg("-p")
            .arg(format!("127.0.0.1:{public}"))
            .arg("-v")
            .arg(format!("127.0.0.1:{private}"))
            .arg("--sc-addr")
            .arg(format!("127.0.0.1:{}", self.base + 1))
            .arg("--log-base-dir")
            .arg(self.dir.path().join(format!("spu{i}")))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("start {} spu {}", self.bin.display(), spu_id(i)))?;
        self.spus[i - 1] = Some(child);
        Ok(())
    }

    fn custom_spu(&self, i: usize) -> Result<CustomSpuSpec> {
        let (mut public, mut private) = spu_ports(self.base, i);
        if let Some(proxy) = self.spu_proxy(i) {
            public = proxy_port(proxy)?;
        }
        if let Some(proxy) = self.spu_private_proxy(i) {
            private = proxy_port(proxy)?;
        }
        Ok(CustomSpuSpec {
            id: spu_id(i),
            public_endpoint: IngressPort {
                port: public,
                ingress: vec![IngressAddr {
                    hostname: Some("127.0.0.1".into()),
                    ip: None,
                }],
                encryption: Encryption::Plaintext,
            },
            private_endpoint: Endpoint {
                port: private,
                host: "127.0.0.1".into(),
                encryption: Encryption::Plaintext,
            },
            rack: None,
            public_endpoint_local: None,
        })
    }

    /// Waits until `want` SPUs are Online.
    pub fn wait_spus_online(&self, want: usize, timeout: Duration) -> Result<()> {
        let admin = self.connect()?;
        let deadline = Instant::now() + timeout;
        loop {
            let spus = self.rt.block_on(admin.admin().all::<SpuSpec>())?;
            let online = spus
                .iter()
                .filter(|s| s.status.resolution == SpuStatusResolution::Online)
                .count();
            if online >= want {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!(
                    "{online} of {want} SPUs Online after {} s (logs in {})",
                    timeout.as_secs(),
                    self.dir.path().display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        for child in self.spus.iter_mut().chain(std::iter::once(&mut self.sc)) {
            if let Some(mut c) = child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

/// Waits until every partition of `topic` has an Online leader, polling the SC; the error
/// names each partition that is not (with its status and leader).
pub async fn wait_partitions_online(admin: &Fluvio, topic: &str, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let prefix = format!("{topic}-");
    loop {
        let parts = admin.admin().all::<PartitionSpec>().await?;
        let mine: Vec<_> = parts
            .iter()
            .filter(|p| {
                p.name
                    .strip_prefix(&prefix)
                    .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .collect();
        let bad: Vec<String> = mine
            .iter()
            .filter(|p| !p.status.is_online())
            .map(|p| {
                format!(
                    "{} {:?} (leader {})",
                    p.name, p.status.resolution, p.spec.leader
                )
            })
            .collect();
        if !mine.is_empty() && bad.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            if mine.is_empty() {
                bail!(
                    "cluster unhealthy: topic {topic} has no partitions after {:.0} s",
                    timeout.as_secs_f64()
                );
            }
            bail!(
                "cluster unhealthy: not Online after {:.0} s: {}",
                timeout.as_secs_f64(),
                bad.join(", ")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn proxy_port(proxy: &FaultProxy) -> Result<u16> {
    proxy
        .addr()
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .with_context(|| format!("the proxy's address {}", proxy.addr()))
}

fn spu_id(i: usize) -> i32 {
    9000 + i as i32
}

fn spu_ports(base: u16, i: usize) -> (u16, u16) {
    let public = base + 10 * i as u16;
    (public, public + 1)
}

/// A base port whose SC and SPU ports are all free on loopback.
fn free_base(spus: usize) -> Result<u16> {
    let span = 10 * spus as u16 + 2;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let seed = u64::from(std::process::id()) ^ nanos;
    // `FLV_REAL_PORT_BASE=P`: every port within P..P+900 (a machine shared by several
    // users gives each its own port range).
    let (low, width) = match std::env::var(PORT_BASE_ENV) {
        Ok(v) => (
            v.parse::<u16>()
                .with_context(|| format!("{PORT_BASE_ENV}={v} is not a port"))?,
            900u64.saturating_sub(u64::from(span)).max(10),
        ),
        Err(_) => (20_000, 30_000),
    };
    for attempt in 0..200u64 {
        let base = ((seed.wrapping_mul(2_654_435_761) + attempt * 7_919) % width) as u16;
        let base = low.saturating_add(base - base % 10);
        let ports = std::iter::once(base)
            .chain(std::iter::once(base + 1))
            .chain((1..=spus).flat_map(|i| {
                let (a, b) = spu_ports(base, i);
                [a, b]
            }));
        let listeners: Result<Vec<_>, _> =
            ports.map(|p| TcpListener::bind(("127.0.0.1", p))).collect();
        if listeners.is_ok() && base.checked_add(span).is_some() {
            return Ok(base);
        }
    }
    bail!("no free loopback ports for a real cluster")
}
