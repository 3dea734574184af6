//! The one error type of the user API.

use std::io;
use std::sync::Arc;

use flv_core::client::{ClientError, Peer, ProduceError, SendError};

use crate::config::ConfigError;
use crate::tls::{TlsFailure, TlsSetupError};
use crate::transport::ConnectError;

/// A result of the user API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an operation of the user API failed.
///
/// Transport failures keep their cause: a refused connection is [`Error::Connect`] with a
/// [`ConnectError::Refused`] source, a TLS failure (bad CA, wrong server name, rejected or
/// missing client certificate) is [`Error::Tls`] with its [`TlsFailure`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The profile file could not be loaded, or names no usable cluster.
    #[error("profile: {0}")]
    Config(#[from] ConfigError),
    /// The profile's TLS settings are unusable (unreadable or invalid PEM, ...).
    #[error("TLS settings: {0}")]
    TlsSetup(#[from] TlsSetupError),
    /// A connection could not be opened (DNS, refused, unreachable).
    #[error("cannot connect to {peer}: {source}")]
    Connect {
        /// The server.
        peer: Peer,
        /// What failed.
        #[source]
        source: Arc<ConnectError>,
    },
    /// TLS with a server failed (handshake, certificates, client certificate).
    #[error("TLS with {peer} failed: {failure}")]
    Tls {
        /// The server.
        peer: Peer,
        /// What failed.
        failure: TlsFailure,
    },
    /// A connection broke with an I/O error.
    #[error("connection to {peer} failed: {source}")]
    Io {
        /// The server.
        peer: Peer,
        /// The I/O error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The topic does not exist.
    #[error("topic {0:?} not found")]
    TopicNotFound(String),
    /// Any other failure reported by the client state machine.
    #[error(transparent)]
    Client(ClientError),
    /// Records were not (or maybe not) stored.
    #[error(transparent)]
    Produce(ProduceError),
    /// A record was refused before it was queued.
    #[error(transparent)]
    Send(SendError),
    /// No async runtime to run on (e.g. `flv_tokio::Fluvio::connect` outside tokio).
    #[error("no async runtime: {0}")]
    NoRuntime(String),
    /// The client (or this handle) was closed.
    #[error("the client is closed")]
    Closed,
}

impl Error {
    /// The TLS failure behind this error, if any.
    pub fn tls_failure(&self) -> Option<&TlsFailure> {
        match self {
            Self::Tls { failure, .. } => Some(failure),
            Self::Connect { source, .. } => source.tls_failure(),
            _ => None,
        }
    }

    /// The client error behind this error, if it is one.
    pub fn client_error(&self) -> Option<&ClientError> {
        match self {
            Self::Client(e) => Some(e),
            Self::Produce(
                ProduceError::NotDelivered(e)
                | ProduceError::OutcomeUnknown(e)
                | ProduceError::Producer(e),
            ) => Some(e),
            _ => None,
        }
    }

    /// True when trying again later may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Self::Connect { source, .. } => source.is_transient(),
            Self::Io { .. } => true,
            Self::Client(e) => e.is_retriable(),
            Self::Produce(ProduceError::NotDelivered(e)) => e.is_retriable(),
            Self::Send(SendError::QueueFull { .. } | SendError::NotReady) => true,
            _ => false,
        }
    }
}

/// The last transport failure seen on a connection, kept to explain the core's errors.
#[derive(Debug, Clone)]
pub(crate) enum TransportFailure {
    /// A dial failed.
    Connect(Arc<ConnectError>),
    /// An established connection failed with TLS.
    Tls(TlsFailure),
    /// An established connection failed with I/O.
    Io(Arc<io::Error>),
}

impl TransportFailure {
    /// The failure of a read or write error.
    pub(crate) fn from_io(err: io::Error) -> Self {
        match TlsFailure::from_io_error(&err) {
            Some(f) => Self::Tls(f),
            None => Self::Io(Arc::new(err)),
        }
    }

    fn into_error(self, peer: Peer) -> Error {
        match self {
            Self::Connect(source) => match source.tls_failure() {
                Some(failure) => Error::Tls {
                    peer,
                    failure: failure.clone(),
                },
                None => Error::Connect { peer, source },
            },
            Self::Tls(failure) => Error::Tls { peer, failure },
            Self::Io(source) => Error::Io { peer, source },
        }
    }
}

/// Turns a core error into the user error, explaining connection failures of `peer` by the
/// transport failure recorded for it.
pub(crate) fn from_client(
    error: ClientError,
    failure: impl Fn(&Peer) -> Option<TransportFailure>,
) -> Error {
    match error {
        ClientError::ConnectFailed { ref peer, .. }
        | ClientError::ConnectionClosed { ref peer } => match failure(peer) {
            Some(f) => f.into_error(*peer),
            None => Error::Client(error),
        },
        ClientError::TopicNotFound(t) => Error::TopicNotFound(t),
        ClientError::Closed => Error::Closed,
        other => Error::Client(other),
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        from_client(e, |_| None)
    }
}

impl From<ProduceError> for Error {
    fn from(e: ProduceError) -> Self {
        match e {
            ProduceError::Producer(ClientError::TopicNotFound(t)) => Self::TopicNotFound(t),
            ProduceError::Producer(ClientError::Closed) => Self::Closed,
            other => Self::Produce(other),
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Self::Closed,
            other => Self::Send(other),
        }
    }
}
