//! flv, the Fluvio client, on the smol runtime.
//!
//! [`Smol`] implements [`flv_driver::Runtime`] with `smol::net` (async-net) TCP, `smol::Timer`
//! (async-io) timers, and tasks on smol's global executor or on an executor of your own.
//! Everything else is the runtime-agnostic driver, re-exported here.
//!
//! [`Fluvio`] is the client on smol (tasks on smol's global executor):
//!
//! ```no_run
//! use flv_smol::{Fluvio, RecordKey};
//!
//! smol::block_on(async {
//!     let fluvio = Fluvio::connect().await?;
//!     let producer = fluvio.topic_producer("events").await?;
//!     producer.send(RecordKey::NULL, "hello").await?.wait().await?;
//!     fluvio.close().await
//! })
//! .expect("round trip");
//! ```
//!
//! The transport alone:
//!
//! ```no_run
//! use flv_smol::{Smol, config::TlsPolicy, connect_transport};
//!
//! smol::block_on(async {
//!     let sc = connect_transport(&Smol::new(), "127.0.0.1:9003", &TlsPolicy::Disabled, None).await;
//!     # drop(sc);
//! });
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

pub use flv_driver::*;

/// The smol runtime: I/O and timers from async-io's reactor, tasks on an executor.
#[derive(Debug, Clone, Default)]
pub struct Smol {
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl Smol {
    /// Spawns on smol's global executor (`smol::spawn`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns on `executor`, which the application runs.
    pub fn with_executor(executor: Arc<smol::Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }
}

impl DefaultRuntime for Smol {
    /// Smol's global executor.
    fn default_runtime() -> Result<Self> {
        Ok(Self::new())
    }
}

/// A client on smol: `flv_smol::Fluvio::connect().await` spawns on smol's global executor.
pub type Fluvio = flv_driver::Fluvio<Smol>;

/// The admin API on this runtime, as the official `FluvioAdmin`:
/// `FluvioAdmin::connect().await` connects with the current profile.
pub type FluvioAdmin = flv_driver::FluvioAdmin<Smol>;

/// A consumer of one partition on this runtime, as the official (deprecated)
/// `PartitionConsumer`, from `Fluvio::partition_consumer`.
pub type PartitionConsumer = flv_driver::PartitionConsumer<Smol>;

/// A consumer of `partition` of `topic` on the current profile's cluster (the official
/// deprecated `fluvio::consumer(topic, partition)`).
#[deprecated(note = "use `Fluvio::consumer_with_config()` instead, as with the official client")]
#[allow(deprecated)]
pub async fn consumer(topic: impl Into<String>, partition: u32) -> Result<PartitionConsumer> {
    Fluvio::connect()
        .await?
        .partition_consumer(topic, partition)
        .await
}

/// A producer of `topic` on the current profile's cluster (the official `fluvio::producer`).
pub async fn producer(topic: impl Into<String>) -> Result<TopicProducer> {
    Fluvio::connect().await?.topic_producer(topic).await
}

impl Runtime for Smol {
    type Tcp = smol::net::TcpStream;
    type Sleep = SmolSleep;

    fn resolve(&self, host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        let host_port = host_port.to_owned();
        async move { smol::net::resolve(host_port.as_str()).await }
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Tcp> {
        let tcp = smol::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        SmolSleep(smol::Timer::at(deadline))
    }

    #[cfg(unix)]
    fn quickack(&self, tcp: &Self::Tcp) -> io::Result<()> {
        runtime::set_quickack(tcp)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        match &self.executor {
            Some(executor) => executor.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }
}

/// The timer of [`Runtime::sleep_until`]: a `smol::Timer` whose output is `()`.
#[derive(Debug)]
pub struct SmolSleep(smol::Timer);

impl Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}
