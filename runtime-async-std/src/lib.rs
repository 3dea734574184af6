//! flv, the Fluvio client, on the async-std runtime.
//!
//! **async-std is discontinued upstream** (its maintainers point to smol; advisory
//! RUSTSEC-2025-0052). This crate is tier 2: it keeps building and passing the same transport
//! suite as `flv-tokio` and `flv-smol`, but it is never a default and will be removed once its
//! users have moved. New code should use `flv-smol` (the same async-io reactor) or `flv-tokio`.
//!
//! [`AsyncStd`] implements [`flv_driver::Runtime`] with `async_std::net` TCP, `async_io::Timer`
//! timers and `async_std::task::spawn`. Everything else is the runtime-agnostic driver,
//! re-exported here.
//!
//! [`Fluvio`] is the client on async-std:
//!
//! ```no_run
//! use flv_async_std::{Fluvio, RecordKey};
//!
//! async_std::task::block_on(async {
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
//! use flv_async_std::{AsyncStd, config::TlsPolicy, connect_transport};
//!
//! async_std::task::block_on(async {
//!     let sc = connect_transport(&AsyncStd, "127.0.0.1:9003", &TlsPolicy::Disabled, None).await;
//!     # drop(sc);
//! });
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_std::net::ToSocketAddrs;

pub use flv_driver::*;

/// The async-std runtime (its global executor and async-io reactor).
#[derive(Debug, Clone, Copy, Default)]
pub struct AsyncStd;

impl DefaultRuntime for AsyncStd {
    /// async-std's global executor.
    fn default_runtime() -> Result<Self> {
        Ok(Self)
    }
}

/// A client on async-std: `flv_async_std::Fluvio::connect().await`.
pub type Fluvio = flv_driver::Fluvio<AsyncStd>;

/// The admin API on this runtime, as the official `FluvioAdmin`:
/// `FluvioAdmin::connect().await` connects with the current profile.
pub type FluvioAdmin = flv_driver::FluvioAdmin<AsyncStd>;

/// A consumer of one partition on this runtime, as the official (deprecated)
/// `PartitionConsumer`, from `Fluvio::partition_consumer`.
pub type PartitionConsumer = flv_driver::PartitionConsumer<AsyncStd>;

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

impl Runtime for AsyncStd {
    type Tcp = async_std::net::TcpStream;
    type Sleep = AsyncStdSleep;

    fn resolve(&self, host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        let host_port = host_port.to_owned();
        async move { Ok(host_port.to_socket_addrs().await?.collect()) }
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<Self::Tcp> {
        let tcp = async_std::net::TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        Ok(tcp)
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        AsyncStdSleep(async_io::Timer::at(deadline))
    }

    #[cfg(unix)]
    fn quickack(&self, tcp: &Self::Tcp) -> io::Result<()> {
        runtime::set_quickack(tcp)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        // Dropping the handle detaches the task.
        drop(async_std::task::spawn(task));
    }
}

/// The timer of [`Runtime::sleep_until`]: a `async_io::Timer` whose output is `()`.
#[derive(Debug)]
pub struct AsyncStdSleep(async_io::Timer);

impl Future for AsyncStdSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}
