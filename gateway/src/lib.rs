//! `flv gateway`: Fluvio over HTTP, Server-Sent Events and WebSocket, with a web console.
//!
//! The gateway is one [`flv_tokio::Fluvio`] client behind an axum server:
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/topics` | create a topic: `{"name","partitions","replication"}` → 201 |
//! | `GET /v1/topics` | the topics, as a JSON list |
//! | `DELETE /v1/topics/{topic}` | delete a topic → 200 |
//! | `POST /v1/topics/{topic}/records` | produce `{"records":[{"key","value"}, …]}` → the offsets, once acknowledged |
//! | `GET /v1/topics/{topic}/records` | read as NDJSON (or Server-Sent Events with `Accept: text/event-stream`) |
//! | `GET /v1/topics/{topic}/ws` | WebSocket: records out, produce in, acks back |
//! | `GET /healthz`, `/metrics`, `/openapi.json` | health, Prometheus text, the API description |
//! | `GET /` | the web console (plain HTML and JavaScript) |
//!
//! Errors are JSON `{"error": "..."}` with 400 (bad JSON or parameters), 401/403 (bearer
//! tokens, see [`auth`]), 404 (unknown topic or partition), 409 (topic exists), 413 (body
//! too large) or 503 (cluster unreachable). Streams are pulled: the gateway reads from the
//! cluster only as fast as the HTTP or WebSocket peer takes the data, so each stream holds
//! at most its consumer's buffer (`--stream-buffer-bytes`) plus one batch.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
mod error;
mod meta;
mod options;
mod records;
mod state;
pub mod tls;
mod topics;
mod wire;
mod ws;
mod ws_frame;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::serve::ListenerExt;
use flv_tokio::config::ClusterConfig;
use tokio::net::TcpListener;

pub use error::{ApiError, GatewayError};
pub use options::GatewayArgs;
pub use options::GatewayOptions;

use state::AppState;

/// The axum router of the gateway for the cluster `cluster`.
pub fn router(options: GatewayOptions, cluster: ClusterConfig) -> Router {
    let body_limit = options.max_body_bytes;
    let cors = options.cors_layer();
    let state = Arc::new(AppState::new(options, cluster));
    let api = Router::new()
        .route("/v1/topics", get(topics::list).post(topics::create))
        .route("/v1/topics/{topic}", delete(topics::delete))
        .route(
            "/v1/topics/{topic}/records",
            post(records::produce).get(records::read),
        )
        .route("/v1/topics/{topic}/ws", get(ws::upgrade))
        .route("/healthz", get(meta::healthz))
        .route("/metrics", get(meta::metrics))
        .route("/openapi.json", get(meta::openapi))
        .route("/", get(meta::console))
        .fallback(meta::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            meta::count_requests,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state);
    match cors {
        Some(cors) => api.layer(cors),
        None => api,
    }
}

/// A bound gateway, ready to [`serve`](Gateway::serve).
pub struct Gateway {
    listener: Listener,
    router: Router,
}

enum Listener {
    Plain(TcpListener),
    Tls(tls::TlsListener),
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("addr", &self.local_addr().ok())
            .field("tls", &self.is_tls())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Binds `options.bind` (TLS when `options.tls` is set) for the cluster `cluster`. The
    /// cluster is connected on the first request that needs it (and again after it was lost),
    /// so the gateway starts, and answers 503, while the cluster is unreachable.
    pub async fn bind(
        options: GatewayOptions,
        cluster: ClusterConfig,
    ) -> Result<Self, GatewayError> {
        let tcp = TcpListener::bind(&options.bind)
            .await
            .map_err(|source| GatewayError::Bind {
                addr: options.bind.clone(),
                source,
            })?;
        let listener = match &options.tls {
            Some(files) => Listener::Tls(tls::TlsListener::new(tcp, files)?),
            None => Listener::Plain(tcp),
        };
        Ok(Self {
            listener,
            router: router(options, cluster),
        })
    }

    /// The address the gateway listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match &self.listener {
            Listener::Plain(l) => l.local_addr(),
            Listener::Tls(l) => l.local_addr(),
        }
    }

    /// Whether the listener speaks TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.listener, Listener::Tls(_))
    }

    /// The base URL of the gateway (`http://` or `https://`, then the bound address).
    pub fn url(&self) -> std::io::Result<String> {
        let scheme = if self.is_tls() { "https" } else { "http" };
        Ok(format!("{scheme}://{}", self.local_addr()?))
    }

    /// Serves until `shutdown` completes (then stops accepting and lets open requests end).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let result = match self.listener {
            Listener::Plain(l) => {
                let l = l.tap_io(|tcp| {
                    // Small writes (acks, live records) go out at once.
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(l, self.router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Listener::Tls(l) => {
                axum::serve(l, self.router)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        result.map_err(GatewayError::Serve)
    }
}
