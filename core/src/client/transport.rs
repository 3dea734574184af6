//! How a connection failed, as the driver saw it: the typed cause the driver hands the
//! core for each connection, carried to the waiters of that connection unchanged.
//!
//! The core never opens a socket, so the cause itself (a refused connect, a TLS alert, an
//! I/O error) is the driver's own error type, kept opaque here ([`TransportCause`]) and
//! found again by the driver with [`TransportCause::downcast_ref`].

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

/// How a connection failed or ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The connection could not be opened (DNS, refused, unreachable, ...).
    Connect(TransportCause),
    /// TLS failed: the handshake (certificates, server name, alerts) or a TLS record later.
    Tls(TransportCause),
    /// An open connection failed with an I/O error.
    Io(TransportCause),
    /// Connecting (or the transport) timed out.
    TimedOut,
    /// The peer closed the connection cleanly (end of stream).
    Closed,
}

impl TransportFailure {
    /// The driver's error behind the failure, if any.
    pub fn cause(&self) -> Option<&TransportCause> {
        match self {
            Self::Connect(c) | Self::Tls(c) | Self::Io(c) => Some(c),
            Self::TimedOut | Self::Closed => None,
        }
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(c) => write!(f, "{c}"),
            Self::Tls(c) => write!(f, "TLS: {c}"),
            Self::Io(c) => write!(f, "I/O: {c}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Closed => f.write_str("closed by the peer"),
        }
    }
}

/// The driver's error behind a [`TransportFailure`], shared and opaque to the core.
///
/// Two causes are equal when they are the same error (one `Arc`) or print the same.
#[derive(Clone)]
pub struct TransportCause(Arc<dyn StdError + Send + Sync>);

impl TransportCause {
    /// Wraps the driver's error.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }

    /// A cause known only by its message (simulations, tests).
    pub fn message(message: impl Into<String>) -> Self {
        Self::new(Message(message.into()))
    }

    /// The driver's error, if it is a `T`.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }

    /// The driver's error.
    pub fn get(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for TransportCause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

/// A cause that is only a message.
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Refused;

    impl fmt::Display for Refused {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("refused")
        }
    }

    impl StdError for Refused {}

    #[test]
    fn the_driver_finds_its_own_error_again() {
        let failure = TransportFailure::Connect(TransportCause::new(Refused));
        let cause = failure.cause().expect("a cause");
        assert_eq!(cause.downcast_ref::<Refused>(), Some(&Refused));
        assert_eq!(failure.to_string(), "refused");
        assert_eq!(failure, failure.clone());
        assert_ne!(failure, TransportFailure::Tls(cause.clone()));
        assert!(TransportFailure::Closed.cause().is_none());
        let m = TransportCause::message("boom");
        assert!(m.downcast_ref::<Refused>().is_none());
        assert_eq!(m, TransportCause::message("boom"));
    }
}
