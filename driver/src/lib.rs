//! The runtime-agnostic async driver of flv, the Fluvio client.
//!
//! `flv-core` holds the whole protocol as a sans-IO state machine; this crate moves its bytes
//! over real sockets, on any async runtime that implements [`runtime::Runtime`] (connect,
//! resolve, sleep, spawn, clock). Users depend on a runtime crate (`flv-tokio`, `flv-smol`, or
//! the tier-2 `flv-async-std`), which implements the trait and re-exports this crate.
//!
//! # The user API
//!
//! [`Fluvio`] connects to a cluster (from the current profile, a named profile, or a
//! [`ClusterConfig`](config::ClusterConfig)) and hands out [`TopicProducer`]s,
//! [`ConsumerStream`]s, one-shot [`Fluvio::fetch`]es and the [`FluvioAdmin`] API, with the
//! official client's names. It is generic over the [`Runtime`]; each runtime crate has a
//! non-generic alias (`flv_tokio::Fluvio`, `flv_smol::Fluvio`, `flv_async_std::Fluvio`).
//!
//! ```no_run
//! # async fn demo<R: flv_driver::DefaultRuntime>() -> flv_driver::Result<()> {
//! use flv_driver::{Fluvio, RecordKey};
//! use flv_driver::core::client::{ConsumerConfig, Offset};
//! use futures_util::StreamExt;
//!
//! let fluvio = Fluvio::<R>::connect().await?;
//! let producer = fluvio.topic_producer("events").await?;
//! let out = producer.send(RecordKey::NULL, "hello").await?;
//! producer.flush().await?;
//! let stored = out.wait().await?;
//! let mut stream = fluvio
//!     .consumer_with_config(ConsumerConfig::new("events", Offset::Absolute(stored.offset)))
//!     .await?;
//! let record = stream.next().await.expect("a record")?;
//! assert_eq!(&record.value[..], b"hello");
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! - **One driver task per client does all the I/O** (spawned with [`Runtime::spawn`]). It
//!   owns the core's `Client` in an `Arc<Mutex<..>>` (a `std` mutex, locked only for short
//!   sections, never across an await) shared with the user handles.
//! - **The driver task owns the sockets**: between turns it polls every connection itself,
//!   writing the queued frames with vectored writes and reading into the connection's
//!   buffer, so a request crosses no task boundary between the core and the socket.
//!   **Dials run in their own tasks** (with one
//!   [`TlsConnector`] per client; the SC's server name is the profile's domain and an SPU's
//!   `<spu-name>.<domain>`, as the core asks).
//! - **The drive loop** (str0m's contract): wait for an input (bytes read, a connection's
//!   end, a dial result, a wake) or the core's deadline; feed everything that happened to
//!   the core under one lock (and `handle_timeout` if the deadline passed); drain the
//!   core (dial / close, bytes to the connections, events to the handles). Record timestamps come from `SystemTime::now()`
//!   through `handle_wall_clock`.
//! - **User handles** lock the state, issue a command, register their waker (results are
//!   keyed by the core's ids, registered under the same lock, so none is missed) and wake
//!   the driver when the core has something to drain; wakes already pending are merged,
//!   so a burst of sends costs one driver turn. A record's outcome waits in its
//!   producer's own slot queue (ordered by send id), filled per batch by the driver and
//!   taken without the client's lock.
//! - **Shutdown**: when the last handle is dropped (or [`Fluvio::close`]), producers are
//!   flushed and consumer offsets stored (bounded by a grace period), then the connections
//!   close and every waiter still pending fails with [`Error::Closed`].
//!
//! # Modules
//!
//! - [`config`]: Fluvio profiles (`~/.fluvio/config`), compatible with the official client.
//! - [`consumer`]: the official `fluvio::consumer` module (`ConsumerConfigExtBuilder`, the
//!   `ConsumerStream` trait with `offset_commit` / `offset_flush`).
//! - [`metadata`] and [`dataplane`]: the official `fluvio::metadata::…` and
//!   `fluvio::dataplane::…` paths over flv's types. The official producer configuration
//!   ([`TopicProducerConfigBuilder`], [`Partitioner`], [`ProducerCallback`]) is at the root.
//! - [`runtime`]: the [`Runtime`] trait and the [`Clock`].
//! - [`transport`]: [`connect_transport`] / [`connect_with`], giving a [`Transport`] (plain TCP
//!   or TLS) with typed [`ConnectError`]s.
//! - [`tls`]: TLS set-up from a [`TlsPolicy`](config::TlsPolicy) with rustls and ring.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flv_core as core;
/// The rustls version used for TLS (for inspecting [`transport::Transport::tls_session`]).
pub use futures_rustls::rustls;

mod admin;
pub mod config;
pub mod consumer;
mod delivery;
mod drive;
mod error;
mod fluvio;
pub mod metrics;
mod official;
mod partition_consumer;
mod producer;
mod producer_config;
pub mod runtime;
mod shared;
mod stream;
pub mod tls;
pub mod transport;

pub use runtime::{Clock, Runtime};
pub use tls::{TlsConnector, TlsFailure, TlsSetupError, spu_server_name};
pub use transport::{ConnectError, Transport, connect_transport, connect_with};

pub use admin::{
    AdminSpec, CreatableAdminSpec, DeletableAdminSpec, FluvioAdmin, UpdatableAdminSpec, WatchStream,
};
pub use config::{FluvioClusterConfig, FluvioConfig};
pub use error::{Error, FluvioError, ProducerError, Result};
pub use fluvio::{DefaultRuntime, Fluvio};
pub use flv_core::backoff::RetryPolicy;
pub use flv_core::client::{
    BackoffConfig, ClientConfig, ConsumerConfig, ConsumerRecord, DeliverySemantic, FetchOutput,
    Metrics, Offset, OffsetManagement, ProducerConfig, RecordMetadata,
};
pub use flv_core::official::NegativeOffset;
pub use flv_core::producer::partitioner::PartitionerKind;
pub use flv_core::record::Compression;
pub use flv_core::sc::topic::TopicSpec;
pub use flv_core::spu::Isolation;
pub use metrics::ClientMetrics;
pub use official::{dataplane, metadata};
pub use partition_consumer::PartitionConsumer;
pub use producer::{
    FutureRecordMetadata, ProduceBatchOutput, ProduceOutput, RecordData, RecordKey, TopicProducer,
};
pub use producer_config::{
    Partitioner, PartitionerConfig, ProduceCompletionBatchEvent, ProducerCallback,
    SharedPartitioner, SharedProducerCallback, TopicProducerConfig, TopicProducerConfigBuilder,
    TopicProducerConfigBuilderError,
};
pub use stream::{BatchStream, ConsumerBatch, ConsumerStream};

/// The official client's name of what `Fluvio::topic_producer` returns.
pub type TopicProducerPool = TopicProducer;

/// The official client's name for a partition's index.
pub type PartitionId = u32;
