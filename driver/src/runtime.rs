//! The async runtime seen by the driver: resolve, connect, sleep, spawn and a clock.
//!
//! The driver is generic over [`Runtime`] (no `dyn`): the runtime crates `flv-tokio`,
//! `flv-smol` and `flv-async-std` each implement it in about a hundred lines and re-export this
//! crate. Everything else (framing, TLS, the drive loop) is written once here, on the
//! `futures-io` traits.
//!
//! The core counts time as [`flv_core::time::Instant`], nanoseconds since an origin the driver
//! picks; [`Clock`] maps between that and [`std::time::Instant`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flv_core::time::Instant as CoreInstant;

/// An async runtime: TCP connections, timers, task spawning and a clock.
///
/// Implementations are cheap handles (`Clone`), usable from any task of their runtime.
/// Name resolution is separate from connecting so that the driver can tell a DNS failure from a
/// refused connection (see [`crate::transport::ConnectError`]).
pub trait Runtime: Clone + Send + Sync + 'static {
    /// A connected TCP stream, with `TCP_NODELAY` set.
    type Tcp: futures_io::AsyncRead + futures_io::AsyncWrite + Send + Unpin + 'static;

    /// A timer future returned by [`Runtime::sleep_until`].
    type Sleep: Future<Output = ()> + Send + Unpin + 'static;

    /// Resolves `host:port` to socket addresses (may be empty).
    fn resolve(&self, host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send;

    /// Connects to `addr` and sets `TCP_NODELAY` (the client sends small frames and waits
    /// for their answers, so Nagle's algorithm would only add latency).
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send;

    /// A future that completes at `deadline` (at once if it is already past).
    fn sleep_until(&self, deadline: Instant) -> Self::Sleep;

    /// Runs `task` in the background until it completes; nothing waits for it.
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static);

    /// The current time. Overridable for runtimes with simulated time.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// Makes `tcp` acknowledge what it has received at once instead of delaying the TCP
    /// ACK (Linux `TCP_QUICKACK`, see [`set_quickack`]); the driver calls it after every
    /// read that returned bytes. The default does nothing.
    ///
    /// Why: a real SPU writes a StreamFetch response in 64 KiB pieces without
    /// `TCP_NODELAY`, so Nagle's algorithm holds the response's short last segment until
    /// the client has acknowledged the one before; a receiver in delayed-ACK mode (which
    /// Linux enters when a socket answers soon after it received, as a consumer's
    /// acknowledgement does) waits up to 40 ms to send that ACK. Measured against a real
    /// cluster, about one response in six stalled for 40 ms that way.
    fn quickack(&self, tcp: &Self::Tcp) -> io::Result<()> {
        let _ = tcp;
        Ok(())
    }
}

/// Sets `TCP_QUICKACK` on a socket: the kernel sends any pending ACK now and leaves
/// delayed-ACK mode until it decides to enter it again (hence once per read). Linux and
/// Android only; elsewhere this does nothing.
#[cfg(unix)]
pub fn set_quickack(socket: impl std::os::fd::AsFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        socket2::SockRef::from(&socket).set_tcp_quickack(true)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = socket;
        Ok(())
    }
}

/// Maps the runtime clock ([`std::time::Instant`]) onto the core's virtual time
/// ([`flv_core::time::Instant`], nanoseconds since `origin`).
///
/// Instants before the origin map to the core's origin; core instants too far in the future
/// for the platform clock map to a date about a century away (never fires in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    origin: Instant,
}

impl Clock {
    /// A clock whose core origin is `origin`.
    pub fn new(origin: Instant) -> Self {
        Self { origin }
    }

    /// A clock whose core origin is the runtime's current time.
    pub fn starting_now<R: Runtime>(rt: &R) -> Self {
        Self::new(rt.now())
    }

    /// The instant mapped to the core's origin.
    pub fn origin(&self) -> Instant {
        self.origin
    }

    /// The core instant of `t`.
    pub fn to_core(&self, t: Instant) -> CoreInstant {
        CoreInstant::from_origin(t.saturating_duration_since(self.origin))
    }

    /// The runtime instant of `t`.
    pub fn to_std(&self, t: CoreInstant) -> Instant {
        const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
        const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
        self.origin
            .checked_add(t.since_origin())
            .or_else(|| self.origin.checked_add(CENTURY))
            .or_else(|| self.origin.checked_add(YEAR))
            .unwrap_or(self.origin)
    }

    /// The core instant of the runtime's current time.
    pub fn now<R: Runtime>(&self, rt: &R) -> CoreInstant {
        self.to_core(rt.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_round_trips() {
        let origin = Instant::now();
        let clock = Clock::new(origin);
        assert_eq!(clock.origin(), origin);
        assert_eq!(clock.to_core(origin), CoreInstant::ZERO);
        let later = origin + Duration::from_millis(1500);
        let core = clock.to_core(later);
        assert_eq!(core.since_origin(), Duration::from_millis(1500));
        assert_eq!(clock.to_std(core), later);
    }

    #[test]
    fn the_clock_saturates_instead_of_overflowing() {
        let origin = Instant::now() + Duration::from_secs(10);
        let clock = Clock::new(origin);
        // Before the origin: the core's origin.
        assert_eq!(clock.to_core(Instant::now()), CoreInstant::ZERO);
        // The far future maps to a far (but representable) future.
        let far = clock.to_std(CoreInstant::from_origin(Duration::MAX));
        assert!(far >= origin + Duration::from_secs(365 * 24 * 3600));
    }
}
