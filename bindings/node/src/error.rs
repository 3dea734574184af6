//! flv errors as JavaScript errors with a stable `code`.
//!
//! N-API rejections carry a status, not a free code, so the code travels in front of the
//! message as `[CODE] message`; `index.js` moves it to the error's `code` property.

use flv_tokio::core::client::{ClientError, ProduceError, SendError};
use flv_tokio::{ConnectError, Error};

/// A JavaScript error with `code` (see the module docs for the encoding).
pub fn js_error(code: &str, message: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("[{code}] {message}"))
}

/// The JavaScript error of an flv error.
pub fn to_js(error: Error) -> napi::Error {
    js_error(&code_of(&error), &error)
}

/// The error of an operation on a closed client, producer or consumer.
pub fn closed() -> napi::Error {
    js_error("CLOSED", "the client is closed")
}

/// The error of an argument JavaScript passed wrong.
pub fn invalid_argument(message: impl std::fmt::Display) -> napi::Error {
    js_error("INVALID_ARGUMENT", message)
}

/// The stable code of an flv error, in SCREAMING_SNAKE_CASE.
pub fn code_of(error: &Error) -> String {
    match error {
        Error::Config(_) => "CONFIG_ERROR".into(),
        Error::TlsSetup(_) => "TLS_CONFIG_ERROR".into(),
        Error::Connect { source, .. } => connect_code(source).into(),
        Error::Tls { .. } => "TLS_ERROR".into(),
        Error::Io { .. } => "CONNECTION_ERROR".into(),
        Error::TopicNotFound(_) => "TOPIC_NOT_FOUND".into(),
        Error::Client(e) => client_code(e),
        Error::Produce(e) => match e {
            ProduceError::Rejected(code) => screaming(code),
            ProduceError::NotDelivered(_) => "NOT_DELIVERED".into(),
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
        _ => "ERROR".into(),
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
        ClientError::ConnectFailed { .. } | ClientError::ConnectionClosed { .. } => {
            "CONNECTION_ERROR".into()
        }
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
        ClientError::BatchTooLarge { .. } => "BATCH_TOO_LARGE".into(),
        ClientError::RetriesExhausted { last, .. } => client_code(last),
        ClientError::InvalidConfig(_) => "INVALID_CONFIG".into(),
        ClientError::Closed => "CLOSED".into(),
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
