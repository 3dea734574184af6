//! The one error type of the user API.

use std::any::Any;
use std::io;
use std::sync::Arc;

use flv_core::client::{
    ClientError, Misuse, Peer, ProduceError, SendError, TransportCause, TransportFailure,
};
use flv_core::error_code::ErrorCode;

use crate::config::ConfigError;
use crate::tls::{TlsFailure, TlsSetupError};
use crate::transport::ConnectError;

/// A result of the user API.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The official client's name of the error type (its `FluvioError`).
///
/// The variants user code of the official client matches are here with its names and
/// shapes: [`Error::TopicNotFound`], [`Error::PartitionNotFound`] and [`Error::Producer`]
/// (with [`ProducerError`]); `err.downcast_ref::<FluvioError>()` works on this type as on
/// the official client's `anyhow::Error` (see [`Error::downcast_ref`]).
pub type FluvioError = Error;

/// Why the producer refused or lost records (the official client's `ProducerError`,
/// inside [`Error::Producer`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProducerError {
    /// The record (as a batch of one) exceeds the maximum request size: its size, the
    /// limit, in bytes.
    #[error("record size ({0} bytes), exceeded maximum request size ({1} bytes)")]
    RecordTooLarge(usize, usize),
    /// The partitioner chose a partition the topic does not have.
    #[error("partition: {0} not found")]
    PartitionNotFound(u32),
    /// The SPU refused the records with this error code.
    #[error("Producer received an error code: {0}")]
    SpuErrorCode(ErrorCode),
}

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
    /// The topic has no such partition (topic, partition), as the official client's
    /// `FluvioError::PartitionNotFound`.
    #[error("partition {0}-{1} not found")]
    PartitionNotFound(String, u32),
    /// The producer refused the record or the SPU refused its batch (the official
    /// client's `FluvioError::Producer`).
    #[error("producer error: {0}")]
    Producer(ProducerError),
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
    /// An offset below zero was given to `Offset::absolute` (the official
    /// `FluvioError::NegativeOffset`): what its `NegativeOffset` becomes after `?`.
    #[error("Attempted to create negative offset: {0}")]
    NegativeOffset(i64),
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

    /// This error as a `T`, as user code of the official client asks of its
    /// `anyhow::Error`: `err.downcast_ref::<FluvioError>()` gives `Some(err)`, and
    /// `downcast_ref::<ProducerError>()` the [`ProducerError`] of an [`Error::Producer`]
    /// (the official client's `send` and `wait` fail with a bare `ProducerError`).
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        if let Some(t) = (self as &dyn Any).downcast_ref::<T>() {
            return Some(t);
        }
        match self {
            Self::Producer(p) => (p as &dyn Any).downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Whether [`downcast_ref::<T>`](Self::downcast_ref) finds a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.downcast_ref::<T>().is_some()
    }

    /// This error as a `T` (as [`downcast_ref`](Self::downcast_ref) finds it), or itself
    /// back: `err.downcast::<FluvioError>()` is `Ok(err)`.
    pub fn downcast<T: Any>(self) -> std::result::Result<T, Self> {
        let mut slot = Some(self);
        if let Some(t) = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>() {
            return t.take().ok_or(Self::Closed);
        }
        match slot {
            Some(Self::Producer(p)) => {
                let mut inner = Some(p);
                match (&mut inner as &mut dyn Any).downcast_mut::<Option<T>>() {
                    Some(t) => t.take().ok_or(Self::Closed),
                    None => Err(inner.map_or(Self::Closed, Self::Producer)),
                }
            }
            other => Err(other.unwrap_or(Self::Closed)),
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

/// The driver's cause of a transport failure, handed to the core inside its
/// [`TransportFailure`] and found again here to build the user error.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum DriverCause {
    /// A dial failed.
    #[error("{0}")]
    Connect(Arc<ConnectError>),
    /// An established connection failed with TLS.
    #[error("{0}")]
    Tls(TlsFailure),
    /// An established connection failed with I/O.
    #[error("{0}")]
    Io(Arc<io::Error>),
}

impl DriverCause {
    /// The core's failure of a dial that failed.
    pub(crate) fn connect_failure(err: ConnectError) -> TransportFailure {
        let tls = err.tls_failure().is_some();
        let cause = TransportCause::new(Self::Connect(Arc::new(err)));
        if tls {
            TransportFailure::Tls(cause)
        } else {
            TransportFailure::Connect(cause)
        }
    }

    /// The core's failure of a read or write error on an open connection.
    pub(crate) fn io_failure(err: io::Error) -> TransportFailure {
        match TlsFailure::from_io_error(&err) {
            Some(f) => TransportFailure::Tls(TransportCause::new(Self::Tls(f))),
            None => TransportFailure::Io(TransportCause::new(Self::Io(Arc::new(err)))),
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

/// Turns a core error into the user error: a transport failure becomes the driver's own
/// typed error again (connect, TLS, I/O), from the cause the core carried with it.
pub(crate) fn from_client(error: ClientError) -> Error {
    match error {
        ClientError::ConnectFailed { peer, ref failure }
        | ClientError::ConnectionLost { peer, ref failure } => {
            match failure
                .cause()
                .and_then(|c| c.downcast_ref::<DriverCause>())
            {
                Some(cause) => cause.clone().into_error(peer),
                None => Error::Client(error),
            }
        }
        ClientError::TopicNotFound(t) => Error::TopicNotFound(t),
        ClientError::PartitionNotFound { topic, partition } => {
            Error::PartitionNotFound(topic, partition)
        }
        ClientError::Misuse(Misuse::Closed) => Error::Closed,
        other => Error::Client(other),
    }
}

/// `Offset::absolute(-1)?` in a function returning flv's [`Error`]: the official
/// `FluvioError::NegativeOffset(-1)`.
impl From<flv_core::official::NegativeOffset> for Error {
    fn from(e: flv_core::official::NegativeOffset) -> Self {
        Self::NegativeOffset(e.0)
    }
}

/// A server's code (as the official consumer stream fails with) in a function returning
/// flv's [`Error`]: [`Error::Client`] with [`ClientError::Server`].
impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Self::Client(ClientError::Server(code))
    }
}

/// `TopicProducerConfigBuilder::build()?` in a function returning flv's [`Error`].
impl From<crate::producer_config::TopicProducerConfigBuilderError> for Error {
    fn from(e: crate::producer_config::TopicProducerConfigBuilderError) -> Self {
        Self::Client(ClientError::Misuse(Misuse::InvalidConfig(e.to_string())))
    }
}

impl From<ClientError> for Error {
    fn from(e: ClientError) -> Self {
        from_client(e)
    }
}

impl From<ProduceError> for Error {
    fn from(e: ProduceError) -> Self {
        match e {
            ProduceError::Producer(ClientError::TopicNotFound(t)) => Self::TopicNotFound(t),
            ProduceError::Producer(ClientError::Misuse(Misuse::Closed)) => Self::Closed,
            ProduceError::Producer(ClientError::PartitionNotFound { topic, partition }) => {
                Self::PartitionNotFound(topic, partition)
            }
            ProduceError::Rejected(code) => Self::Producer(ProducerError::SpuErrorCode(code)),
            other => Self::Produce(other),
        }
    }
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Self::Closed,
            SendError::RecordTooLarge { size, max } => {
                Self::Producer(ProducerError::RecordTooLarge(size, max))
            }
            SendError::PartitionNotFound(p) => Self::Producer(ProducerError::PartitionNotFound(p)),
            other => Self::Send(other),
        }
    }
}

/// The stable code of an flv error, in SCREAMING_SNAKE_CASE.
impl Error {
    /// A stable code of the error, in SCREAMING_SNAKE_CASE (`TOPIC_NOT_FOUND`, `TIMEOUT`,
    /// `CONNECTION_REFUSED`, `TLS_ERROR`, or the server error code's name such as
    /// `TOPIC_ALREADY_EXISTS`): what the language bindings and the gateway hand their users.
    pub fn code(&self) -> String {
        match self {
            Error::Config(_) => "CONFIG_ERROR".into(),
            Error::TlsSetup(_) => "TLS_CONFIG_ERROR".into(),
            Error::Connect { source, .. } => connect_code(source).into(),
            Error::Tls { .. } => "TLS_ERROR".into(),
            Error::Io { .. } => "CONNECTION_ERROR".into(),
            Error::TopicNotFound(_) => "TOPIC_NOT_FOUND".into(),
            Error::PartitionNotFound(..) => "PARTITION_NOT_FOUND".into(),
            Error::Producer(e) => match e {
                ProducerError::RecordTooLarge(..) => "RECORD_TOO_LARGE".into(),
                ProducerError::PartitionNotFound(_) => "PARTITION_NOT_FOUND".into(),
                ProducerError::SpuErrorCode(code) => screaming(code),
            },
            Error::Client(e) => client_code(e),
            Error::Produce(e) => match e {
                ProduceError::Rejected(code) => screaming(code),
                ProduceError::NotDelivered(e) => match client_code(e).as_str() {
                    "TIMEOUT" => "TIMEOUT".into(),
                    _ => "NOT_DELIVERED".into(),
                },
                ProduceError::OutcomeUnknown(_) => "OUTCOME_UNKNOWN".into(),
                ProduceError::Producer(e) => client_code(e),
                _ => "PRODUCE_ERROR".into(),
            },
            Error::Send(e) => match e {
                SendError::RecordTooLarge { .. } => "RECORD_TOO_LARGE".into(),
                SendError::PartitionNotFound(_) => "PARTITION_NOT_FOUND".into(),
                SendError::Closed => "CLOSED".into(),
                _ => "SEND_ERROR".into(),
            },
            Error::NoRuntime(_) => "NO_RUNTIME".into(),
            Error::Closed => "CLOSED".into(),
            Error::NegativeOffset(_) => "INVALID_CONFIG".into(),
        }
    }
}

fn connect_code(error: &ConnectError) -> &'static str {
    match error {
        ConnectError::Refused { .. } => "CONNECTION_REFUSED",
        ConnectError::Dns { .. } => "DNS_ERROR",
        ConnectError::InvalidAddress { .. } => "INVALID_ADDRESS",
        ConnectError::TlsSetup(_) => "TLS_CONFIG_ERROR",
        ConnectError::Tls { .. } | ConnectError::InvalidServerName { .. } => "TLS_ERROR",
        _ => "CONNECTION_ERROR",
    }
}

fn client_code(error: &ClientError) -> String {
    match error {
        ClientError::ConnectFailed { .. }
        | ClientError::ConnectionLost { .. }
        | ClientError::ConnectionClosed { .. } => "CONNECTION_ERROR".into(),
        ClientError::Timeout { .. }
        | ClientError::MetadataTimeout(_)
        | ClientError::DeliveryTimeout(_) => "TIMEOUT".into(),
        ClientError::Protocol { .. } | ClientError::CorruptBatch { .. } => "PROTOCOL_ERROR".into(),
        ClientError::UnsupportedVersion { .. } | ClientError::IncompatiblePlatform(_) => {
            "INCOMPATIBLE_PLATFORM".into()
        }
        ClientError::Server(code) | ClientError::Admin { code, .. } => screaming(code),
        ClientError::TopicNotFound(_) => "TOPIC_NOT_FOUND".into(),
        ClientError::PartitionNotFound { .. } => "PARTITION_NOT_FOUND".into(),
        ClientError::NoLeader { .. } => "LEADER_NOT_AVAILABLE".into(),
        ClientError::BatchTooLarge { .. } => "BATCH_TOO_LARGE".into(),
        ClientError::RetriesExhausted { last, .. } => client_code(last),
        ClientError::ReplicasBehind { cause, .. } => client_code(cause),
        ClientError::Misuse(Misuse::InvalidConfig(_)) => "INVALID_CONFIG".into(),
        ClientError::Misuse(Misuse::Closed) => "CLOSED".into(),
        _ => "CLIENT_ERROR".into(),
    }
}

/// `TopicAlreadyExists` (or `Other("...")`) as `TOPIC_ALREADY_EXISTS` (`OTHER`): the name
/// of the server error code's variant.
fn screaming(code: &impl std::fmt::Debug) -> String {
    let debug = format!("{code:?}");
    let name = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    if out.is_empty() {
        out.push_str("SERVER_ERROR");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn official_consumer_codes_keep_the_server_code() {
        let out_of_range = Error::Client(ClientError::Server(ErrorCode::OffsetOutOfRange));
        assert_eq!(ErrorCode::from(out_of_range), ErrorCode::OffsetOutOfRange);
        let admin = Error::Client(ClientError::Admin {
            code: ErrorCode::TopicNotFound,
            message: None,
        });
        assert_eq!(ErrorCode::from(admin), ErrorCode::TopicNotFound);
        assert_eq!(
            ErrorCode::from(Error::Closed),
            ErrorCode::Other("the client is closed".into())
        );
        assert!(matches!(
            Error::from(ErrorCode::OffsetOutOfRange),
            Error::Client(ClientError::Server(ErrorCode::OffsetOutOfRange))
        ));
        let negative = Error::from(flv_core::official::NegativeOffset(-1));
        assert!(matches!(negative, Error::NegativeOffset(-1)));
        assert_eq!(
            negative.to_string(),
            "Attempted to create negative offset: -1"
        );
        assert_eq!(negative.code(), "INVALID_CONFIG");
    }

    #[test]
    fn codes_name_the_cause() {
        assert_eq!(Error::TopicNotFound("t".into()).code(), "TOPIC_NOT_FOUND");
        assert_eq!(
            Error::Client(ClientError::Server(ErrorCode::TopicAlreadyExists)).code(),
            "TOPIC_ALREADY_EXISTS"
        );
        let timeout = ClientError::DeliveryTimeout(Duration::from_secs(1));
        assert_eq!(
            Error::Produce(ProduceError::NotDelivered(timeout)).code(),
            "TIMEOUT"
        );
        assert_eq!(Error::Closed.code(), "CLOSED");
    }

    #[test]
    fn official_variants_come_from_flv_failures() {
        let e = Error::from(SendError::RecordTooLarge { size: 10, max: 5 });
        assert!(matches!(
            e,
            FluvioError::Producer(ProducerError::RecordTooLarge(10, 5))
        ));
        assert_eq!(e.code(), "RECORD_TOO_LARGE");
        let e = Error::from(ProduceError::Rejected(ErrorCode::MessageTooLarge));
        assert!(matches!(
            e,
            FluvioError::Producer(ProducerError::SpuErrorCode(ErrorCode::MessageTooLarge))
        ));
        let e = Error::from(ClientError::PartitionNotFound {
            topic: "t".into(),
            partition: 3,
        });
        assert!(matches!(&e, FluvioError::PartitionNotFound(t, 3) if t == "t"));
    }

    #[test]
    fn downcasts_as_anyhow_does() {
        let e = Error::TopicNotFound("t".into());
        assert!(e.is::<FluvioError>());
        assert!(!e.is::<ProduceError>());
        assert!(matches!(
            e.downcast_ref::<FluvioError>(),
            Some(FluvioError::TopicNotFound(t)) if t == "t"
        ));
        let e = match e.downcast::<ClientError>() {
            Err(back) => back,
            Ok(other) => panic!("not a client error: {other:?}"),
        };
        assert!(matches!(
            e.downcast::<FluvioError>(),
            Ok(FluvioError::TopicNotFound(_))
        ));
        let e = Error::Producer(ProducerError::PartitionNotFound(2));
        assert!(matches!(
            e.downcast_ref::<ProducerError>(),
            Some(ProducerError::PartitionNotFound(2))
        ));
        assert!(matches!(
            e.downcast::<ProducerError>(),
            Ok(ProducerError::PartitionNotFound(2))
        ));
        let e = Error::Producer(ProducerError::PartitionNotFound(2));
        assert!(matches!(
            e.downcast::<ClientError>(),
            Err(Error::Producer(_))
        ));
    }
}
