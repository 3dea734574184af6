//! Errors: [`ApiError`] for a request (an HTTP status and a message), [`GatewayError`] for
//! starting the gateway.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flv_tokio::Error as FlvError;
use flv_tokio::core::client::ClientError;
use flv_tokio::core::error_code::ErrorCode;

/// Why the gateway could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The token file could not be read or parsed.
    #[error("tokens file {path}: {message}")]
    Tokens {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A CORS origin is not a valid header value.
    #[error("CORS origin {0:?} is not valid")]
    Cors(String),
    /// Serving failed.
    #[error("serving failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// Why a request failed: the HTTP status and a one-sentence message, sent as
/// `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Bad JSON or parameters (400).
    #[error("{0}")]
    BadRequest(String),
    /// No or unknown bearer token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The token's grants do not cover this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown topic or partition (404).
    #[error("{0}")]
    NotFound(String),
    /// The topic exists already (409).
    #[error("{0}")]
    Conflict(String),
    /// The cluster cannot be reached, or did not answer in time (503).
    #[error("{0}")]
    Unavailable(String),
    /// Any other failure of the cluster or the client (502).
    #[error("{0}")]
    Upstream(String),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
        }
    }

    /// A 400 with `message`.
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// The error of a client operation on `topic`.
    pub(crate) fn from_client(err: &FlvError, topic: Option<&str>) -> Self {
        let not_found = || {
            Self::NotFound(match topic {
                Some(t) => format!("topic {t:?} not found"),
                None => "topic not found".into(),
            })
        };
        match err {
            FlvError::TopicNotFound(_) => not_found(),
            FlvError::PartitionNotFound(topic, partition) => Self::NotFound(format!(
                "partition {partition} of topic {topic:?} not found"
            )),
            FlvError::Connect { .. } | FlvError::Io { .. } | FlvError::Tls { .. } => {
                Self::Unavailable(format!("cluster unreachable: {err}"))
            }
            FlvError::Closed | FlvError::NoRuntime(_) => {
                Self::Unavailable(format!("cluster unavailable: {err}"))
            }
            _ => {
                let client = err.client_error();
                let code = match client {
                    Some(ClientError::Server(code)) | Some(ClientError::Admin { code, .. }) => {
                        Some(code.clone())
                    }
                    _ => None,
                };
                match (client, code) {
                    (Some(ClientError::TopicNotFound(_)), _)
                    | (_, Some(ErrorCode::TopicNotFound)) => not_found(),
                    (Some(ClientError::PartitionNotFound { topic, partition }), _) => {
                        Self::NotFound(format!(
                            "partition {partition} of topic {topic:?} not found"
                        ))
                    }
                    (_, Some(ErrorCode::TopicAlreadyExists)) => Self::Conflict(format!(
                        "topic {:?} already exists",
                        topic.unwrap_or_default()
                    )),
                    (
                        _,
                        Some(
                            ErrorCode::TopicInvalidName
                            | ErrorCode::TopicInvalidConfiguration
                            | ErrorCode::TopicInvalidReplicaType,
                        ),
                    ) => Self::BadRequest(err.to_string()),
                    (
                        Some(
                            ClientError::ConnectFailed { .. }
                            | ClientError::ConnectionLost { .. }
                            | ClientError::ConnectionClosed { .. }
                            | ClientError::Timeout { .. }
                            | ClientError::MetadataTimeout(_)
                            | ClientError::NoLeader { .. },
                        ),
                        _,
                    ) => Self::Unavailable(format!("cluster unreachable: {err}")),
                    _ if err.is_retriable() => Self::Unavailable(err.to_string()),
                    _ => Self::Upstream(err.to_string()),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}
