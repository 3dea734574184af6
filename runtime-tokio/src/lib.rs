//! flv, the Fluvio client, on the tokio runtime.
//!
//! [`Tokio`] implements [`flv_driver::Runtime`] with a handle on a tokio runtime: TCP through
//! `tokio::net` (adapted to futures-io with `tokio_util::compat`), `tokio::time` timers and
//! `tokio::spawn`-like task spawning. Everything else is the runtime-agnostic driver, re-exported
//! here.
//!
//! The runtime must have its I/O and time drivers enabled (`#[tokio::main]` does; with a
//! `Builder`, call `enable_all()`).
//!
//! [`Fluvio`] is the client on tokio: `flv_tokio::Fluvio::connect().await` uses the current
//! profile and the runtime it is called from.
//!
//! ```no_run
//! use flv_tokio::{ConsumerConfig, Fluvio, Offset, RecordKey};
//! use futures_util::StreamExt;
//!
//! #[tokio::main]
//! async fn main() -> flv_tokio::Result<()> {
//!     let fluvio = Fluvio::connect().await?;
//!     let producer = fluvio.topic_producer("events").await?;
//!     producer.send(RecordKey::NULL, "hello").await?.wait().await?;
//!     let mut stream = fluvio
//!         .consumer_with_config(ConsumerConfig::new("events", Offset::beginning()))
//!         .await?;
//!     while let Some(record) = stream.next().await {
//!         println!("{:?}", record?.value);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! The transport alone:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use flv_tokio::{Tokio, config::TlsPolicy, connect_transport};
//!
//! let rt = Tokio::current().ok_or("not inside a tokio runtime")?;
//! let sc = connect_transport(&rt, "127.0.0.1:9003", &TlsPolicy::Disabled, None).await?;
//! # drop(sc); Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Instant;

use tokio::runtime::Handle;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

pub use flv_driver::*;

/// The tokio runtime, by handle: usable from any thread, inside or outside tokio.
///
/// Connects and resolves run as tasks on the handle, so the futures of [`Runtime::connect`]
/// and [`Runtime::resolve`] may be awaited from any executor.
#[derive(Debug, Clone)]
pub struct Tokio {
    handle: Handle,
}

impl Tokio {
    /// The runtime the calling code runs in, if any.
    pub fn current() -> Option<Self> {
        Handle::try_current().ok().map(Self::new)
    }

    /// The runtime of `handle`.
    pub fn new(handle: Handle) -> Self {
        Self { handle }
    }

    /// The tokio handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `work` as a task of this runtime and awaits it from any executor.
    fn on_runtime<T: Send + 'static>(
        &self,
        work: impl Future<Output = io::Result<T>> + Send + 'static,
    ) -> impl Future<Output = io::Result<T>> + Send + 'static {
        let task = self.handle.spawn(work);
        async move {
            task.await
                .map_err(|e| io::Error::other(format!("tokio task failed: {e}")))?
        }
    }
}

/// The TCP stream of [`Tokio`]: a tokio stream seen through futures-io.
pub type TokioTcp = Compat<tokio::net::TcpStream>;

impl DefaultRuntime for Tokio {
    /// The tokio runtime the caller runs in.
    fn default_runtime() -> Result<Self> {
        Self::current().ok_or_else(|| Error::NoRuntime("not inside a tokio runtime".into()))
    }
}

/// A client on tokio: `flv_tokio::Fluvio::connect().await` runs on the current runtime.
pub type Fluvio = flv_driver::Fluvio<Tokio>;

/// The admin API on this runtime, as the official `FluvioAdmin`:
/// `FluvioAdmin::connect().await` connects with the current profile.
pub type FluvioAdmin = flv_driver::FluvioAdmin<Tokio>;

/// A consumer of one partition on this runtime, as the official (deprecated)
/// `PartitionConsumer`, from `Fluvio::partition_consumer`.
pub type PartitionConsumer = flv_driver::PartitionConsumer<Tokio>;

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

impl Runtime for Tokio {
    type Tcp = TokioTcp;
    type Sleep = Pin<Box<tokio::time::Sleep>>;

    fn resolve(&self, host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        let host_port = host_port.to_owned();
        self.on_runtime(async move { Ok(tokio::net::lookup_host(host_port).await?.collect()) })
    }

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send {
        self.on_runtime(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            Ok(tcp.compat())
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        // Timers register with the runtime current at creation: make it ours.
        let _guard = self.handle.enter();
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    #[cfg(unix)]
    fn quickack(&self, tcp: &Self::Tcp) -> io::Result<()> {
        runtime::set_quickack(tcp.get_ref())
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle.spawn(task));
    }
}
