//! The state the handlers share: the cluster client (connected on demand), a cache of
//! producers, the counters of `/metrics`, and the caller's authorisation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use flv_tokio::config::ClusterConfig;
use flv_tokio::core::backoff::RetryPolicy;
use flv_tokio::core::client::{DeliverySemantic, ProducerConfig};
use flv_tokio::core::producer::partitioner::PartitionerKind;
use flv_tokio::core::spu::Isolation;
use flv_tokio::{Fluvio, Tokio, TopicProducer};

use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::options::GatewayOptions;

/// Producers kept at most; past that the cache starts over.
const MAX_PRODUCERS: usize = 256;

/// Counters shown by `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Requests by status code.
    pub responses: Mutex<HashMap<u16, u64>>,
    /// Records produced through the gateway (acknowledged).
    pub records_in: AtomicU64,
    /// Records sent to readers (NDJSON, SSE, WebSocket).
    pub records_out: AtomicU64,
    /// Streams open now (NDJSON, SSE, WebSocket).
    pub open_streams: AtomicU64,
    /// Streams opened since start.
    pub streams_opened: AtomicU64,
}

/// One open stream, counted in `open_streams` while it lives.
#[derive(Debug)]
pub(crate) struct StreamGuard {
    state: Arc<AppState>,
}

impl StreamGuard {
    pub(crate) fn new(state: Arc<AppState>) -> Self {
        state.counters.open_streams.fetch_add(1, Ordering::Relaxed);
        state
            .counters
            .streams_opened
            .fetch_add(1, Ordering::Relaxed);
        Self { state }
    }

    /// Counts `n` records handed to the reader.
    pub(crate) fn sent(&self, n: usize) {
        self.state
            .counters
            .records_out
            .fetch_add(n as u64, Ordering::Relaxed);
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.state
            .counters
            .open_streams
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// Which producer a record goes through.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ProducerKey {
    pub topic: String,
    pub partition: Option<u32>,
    pub at_most_once: bool,
    pub read_committed: bool,
}

/// The shared state of the handlers.
#[derive(Debug)]
pub(crate) struct AppState {
    pub options: GatewayOptions,
    cluster: ClusterConfig,
    client: tokio::sync::Mutex<Option<Fluvio>>,
    producers: Mutex<HashMap<ProducerKey, Arc<TopicProducer>>>,
    pub counters: Counters,
}

impl AppState {
    pub(crate) fn new(options: GatewayOptions, cluster: ClusterConfig) -> Self {
        Self {
            options,
            cluster,
            client: tokio::sync::Mutex::new(None),
            producers: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    /// The cluster client, connecting first if there is none (503 when that fails).
    pub(crate) async fn client(&self) -> Result<Fluvio, ApiError> {
        // The whole wait, queueing behind another request's connect included, is bounded.
        let timeout = self.options.request_timeout;
        tokio::time::timeout(timeout, self.client_unbounded())
            .await
            .map_err(|_| {
                ApiError::Unavailable(format!(
                    "cluster unreachable: no answer from {} within {timeout:?}",
                    self.cluster.endpoint
                ))
            })?
    }

    async fn client_unbounded(&self) -> Result<Fluvio, ApiError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let rt = Tokio::current()
            .ok_or_else(|| ApiError::Unavailable("not inside the tokio runtime".into()))?;
        let client = Fluvio::connect_with_runtime(rt, &self.cluster)
            .await
            .map_err(|e| {
                ApiError::Unavailable(format!(
                    "cluster unreachable at {}: {e}",
                    self.cluster.endpoint
                ))
            })?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// The client if one is connected (for `/metrics` and `/healthz`; never connects).
    pub(crate) fn connected_client(&self) -> Option<Fluvio> {
        self.client.try_lock().ok().and_then(|c| c.clone())
    }

    /// Forgets the client after it failed for good (the next request connects again).
    pub(crate) async fn client_failed(&self, err: &flv_tokio::Error) {
        if matches!(err, flv_tokio::Error::Closed) {
            *self.client.lock().await = None;
            self.lock_producers().clear();
        }
    }

    fn lock_producers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ProducerKey, Arc<TopicProducer>>> {
        // A panic while holding this lock leaves a usable map.
        self.producers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The producer for `key`, made on first use.
    pub(crate) async fn producer(&self, key: &ProducerKey) -> Result<Arc<TopicProducer>, ApiError> {
        if let Some(p) = self.lock_producers().get(key) {
            return Ok(Arc::clone(p));
        }
        let client = self.client().await?;
        let mut config = ProducerConfig {
            delivery_timeout: self.options.request_timeout,
            ..ProducerConfig::default()
        };
        if let Some(p) = key.partition {
            config.partitioner = PartitionerKind::Specific(p);
        }
        if key.at_most_once {
            config.delivery_semantic = DeliverySemantic::AtMostOnce;
        } else {
            config.delivery_semantic = DeliverySemantic::AtLeastOnce(RetryPolicy::default());
        }
        if key.read_committed {
            config.isolation = Isolation::ReadCommitted;
        }
        let made = tokio::time::timeout(
            self.options.request_timeout,
            client.topic_producer_with_config(key.topic.clone(), config),
        )
        .await
        .map_err(|_| ApiError::Unavailable("the cluster did not answer in time".into()))?;
        let producer = match made {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.client_failed(&e).await;
                return Err(ApiError::from_client(&e, Some(&key.topic)));
            }
        };
        let mut producers = self.lock_producers();
        if producers.len() >= MAX_PRODUCERS {
            producers.clear();
        }
        Ok(Arc::clone(producers.entry(key.clone()).or_insert(producer)))
    }

    /// Drops the cached producers of `topic` (deleted, or failing).
    pub(crate) fn forget_producers(&self, topic: &str) {
        self.lock_producers().retain(|k, _| k.topic != topic);
    }
}

/// The caller of a request, by its bearer token (401 when a token is needed and missing or
/// unknown).
pub(crate) struct Auth(pub Caller);

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let authorization = match parts.headers.get(header::AUTHORIZATION) {
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiError::Unauthorized("the Authorization header is not ASCII".into())
            })?),
            None => None,
        };
        // A query the handler would refuse (400) simply carries no token here.
        let params = crate::wire::Params::parse(parts.uri.query()).ok();
        let query_token = params.as_ref().and_then(|p| p.get("access_token"));
        auth::caller(state.options.tokens.as_ref(), authorization, query_token).map(Auth)
    }
}
