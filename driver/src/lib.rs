//! The runtime-agnostic async driver of flv, the Fluvio client.
//!
//! `flv-core` holds the whole protocol as a sans-IO state machine; this crate moves its bytes
//! over real sockets, on any async runtime that implements [`runtime::Runtime`] (connect,
//! resolve, sleep, spawn, clock). Users depend on a runtime crate (`flv-tokio`, `flv-smol`, or
//! the tier-2 `flv-async-std`), which implements the trait and re-exports this crate.
//!
//! # What is here now
//!
//! - [`config`]: Fluvio profiles (`~/.fluvio/config`), compatible with the official client.
//! - [`runtime`]: the [`Runtime`] trait and the [`Clock`] mapping the runtime's
//!   `std::time::Instant` onto the core's virtual time.
//! - [`transport`]: [`connect_transport`], giving a [`Transport`] (plain TCP or TLS) with
//!   typed [`ConnectError`]s, splittable into halves for two tasks.
//! - [`tls`]: TLS set-up from a [`TlsPolicy`](config::TlsPolicy) (disabled, anonymous, or
//!   verified mutual TLS) with rustls and the ring provider, and [`spu_server_name`].
//! - `testing` (feature `testing`): the transport test suite every runtime crate runs.
//!
//! # Planned shape of the driver (waits for the client state machine of `flv-core`)
//!
//! One generic loop, written once over [`Runtime`] and futures-io:
//!
//! - **One driver task does all the I/O.** `Fluvio::connect` spawns it with
//!   [`Runtime::spawn`]. It holds the core's `Client` (in an `Arc<Mutex<Client>>` shared with
//!   the user handles, locked only for short, non-async sections), the write half of every
//!   connection, and one timer.
//! - **A reader task per connection** owns the read half of its [`Transport`] and forwards
//!   `(ConnId, bytes)` chunks, then a final `closed(ConnId, cause)`, into one channel that the
//!   driver task reads. Framing stays in the core.
//! - **Dials run in their own tasks** ([`connect_with`] with a [`TlsConnector`] built once per
//!   client) and report the [`Transport`] or the [`ConnectError`] on the same channel, so a
//!   slow handshake never blocks the loop. Retries and back-off are the core's decision
//!   ([`ConnectError::is_transient`] tells network trouble from configuration errors).
//! - **The drive loop** (str0m's contract, quinn's "trust the clock, not the timer"):
//!   1. drain the core: `poll_io` (dial; close), `poll_transmit` (write to that connection's
//!      writer), `poll_event` (complete the user's pending results, feed consumer streams),
//!      `poll_timeout` (arm [`Runtime::sleep_until`] through the [`Clock`]);
//!   2. wait for the first of: the timer, an inbound chunk or close, a dial result, a user
//!      command;
//!   3. read `now` once ([`Clock::now`]), feed that one input to the core (`handle_input`,
//!      `handle_closed`, `handle_connected`, a user command), and if `now` is past the deadline
//!      also `handle_timeout(now)`; go to 1.
//! - **User handles** (`Fluvio`, `TopicProducer`, `PartitionConsumer`, admin) lock the shared
//!   `Client`, issue a command (`produce`, `subscribe`, ...), and wake the driver through a
//!   channel; results come back on per-request one-shot channels or per-stream channels, so
//!   handles work from any task of any runtime.
//!
//! Closing: drop a [`Transport`] (both halves) to close the connection. `close()` flushes (and
//! sends TLS `close_notify`) but only some runtimes also shut down the TCP write side.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use flv_core as core;
/// The rustls version used for TLS (for inspecting [`transport::Transport::tls_session`]).
pub use futures_rustls::rustls;

pub mod config;
pub mod runtime;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod transport;

pub use runtime::{Clock, Runtime};
pub use tls::{TlsConnector, TlsFailure, TlsSetupError, spu_server_name};
pub use transport::{ConnectError, Transport, connect_transport, connect_with};
