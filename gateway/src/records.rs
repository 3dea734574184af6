//! `POST /v1/topics/{topic}/records` (produce) and `GET /v1/topics/{topic}/records` (NDJSON
//! or Server-Sent Events).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use flv_tokio::core::client::{ConsumerConfig, ConsumerRecord, Offset};
use flv_tokio::core::spu::Isolation;
use flv_tokio::{BatchStream, Fluvio, RecordKey, TopicProducer};
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};

use crate::auth::Access;
use crate::error::ApiError;
use crate::state::{AppState, Auth, ProducerKey, StreamGuard};
use crate::topics::{bounded, json_body};
use crate::wire::{Params, ProduceBody, Stored, write_record};

/// How often an idle Server-Sent Events stream sends a comment (keeps proxies from closing
/// it, and finds out when the reader is gone).
const SSE_KEEPALIVE: Duration = Duration::from_secs(15);

/// A body chunk gathers the batches already received up to about this size.
const CHUNK_BYTES: usize = 256 << 10;

/// 404 when `partition` is not a partition of `topic` (as far as the client's metadata knows).
pub(crate) fn check_partition(
    client: &Fluvio,
    topic: &str,
    partition: u32,
) -> Result<(), ApiError> {
    let count = client.with_metadata(|m| m.topic(topic).map(|_| m.partition_count(topic)));
    match count {
        Some(n) if partition >= n => Err(ApiError::NotFound(format!(
            "partition {partition} of topic {topic:?} not found (it has {n})"
        ))),
        _ => Ok(()),
    }
}

/// Produces `records` (partition, key, value) to `topic` and waits for every acknowledgement;
/// the places come in the order of `records`.
pub(crate) async fn produce_records(
    state: &AppState,
    topic: &str,
    at_most_once: bool,
    read_committed: bool,
    records: Vec<(Option<u32>, Option<Bytes>, Bytes)>,
) -> Result<Vec<Stored>, ApiError> {
    let mut producers: HashMap<Option<u32>, Arc<TopicProducer>> = HashMap::new();
    let work = async {
        let mut pending = Vec::with_capacity(records.len());
        for (partition, key, value) in records {
            let producer = match producers.get(&partition) {
                Some(p) => Arc::clone(p),
                None => {
                    let key = ProducerKey {
                        topic: topic.to_owned(),
                        partition,
                        at_most_once,
                        read_committed,
                    };
                    let p = state.producer(&key).await?;
                    if let Some(n) = partition {
                        let client = state.client().await?;
                        check_partition(&client, topic, n)?;
                    }
                    producers.insert(partition, Arc::clone(&p));
                    p
                }
            };
            let out = producer
                .send(RecordKey::from(key), value)
                .await
                .map_err(|e| ApiError::from_client(&e, Some(topic)))?;
            pending.push(out);
        }
        let mut stored = Vec::with_capacity(pending.len());
        for out in pending {
            let meta = out
                .wait()
                .await
                .map_err(|e| ApiError::from_client(&e, Some(topic)))?;
            stored.push(Stored {
                partition: meta.partition,
                offset: meta.offset,
            });
        }
        Ok::<_, ApiError>(stored)
    };
    let result = bounded(state, work).await.and_then(|r| r);
    if let Err(ApiError::NotFound(_) | ApiError::Unavailable(_) | ApiError::Upstream(_)) = &result {
        // A deleted topic or a broken producer: start afresh next time.
        state.forget_producers(topic);
    }
    if let Ok(stored) = &result {
        state
            .counters
            .records_in
            .fetch_add(stored.len() as u64, Ordering::Relaxed);
    }
    result
}

pub(crate) async fn produce(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref())?;
    params.only(&["delivery_semantic", "isolation", "access_token"])?;
    let at_most_once = params.at_most_once()?;
    let read_committed = params.read_committed()?;
    let req: ProduceBody = json_body(&body)?;
    let mut records = Vec::with_capacity(req.records.len());
    for (i, r) in req.records.into_iter().enumerate() {
        let partition = r.partition.or(req.partition);
        let (key, value) = r.into_parts(i)?;
        records.push((partition, key, value));
    }
    caller.check(Access::Write, &topic)?;
    let stored = produce_records(&state, &topic, at_most_once, read_committed, records).await?;
    Ok(Json(json!({ "offsets": stored })))
}

/// What a read asks for.
pub(crate) struct ReadSpec {
    pub partition: u32,
    pub offset: Offset,
    pub wait: bool,
    pub read_committed: bool,
}

/// Opens a consumer of one partition for a stream (404 for an unknown topic or partition).
pub(crate) async fn open_consumer(
    state: &AppState,
    topic: &str,
    spec: &ReadSpec,
) -> Result<BatchStream, ApiError> {
    let client = state.client().await?;
    check_partition(&client, topic, spec.partition)?;
    let buffer = state.options.stream_buffer_bytes;
    let config = ConsumerConfig {
        topic: topic.to_owned(),
        partitions: vec![spec.partition],
        offset: spec.offset,
        disable_continuous: !spec.wait,
        isolation: if spec.read_committed {
            Isolation::ReadCommitted
        } else {
            Isolation::ReadUncommitted
        },
        max_bytes: i32::try_from(buffer).unwrap_or(i32::MAX),
        buffer_bytes: buffer,
        ..ConsumerConfig::default()
    };
    let stream = match bounded(state, client.consumer_with_config(config)).await? {
        Ok(s) => s,
        Err(e) => {
            state.client_failed(&e).await;
            return Err(ApiError::from_client(&e, Some(topic)));
        }
    };
    // The metadata is synchronised once the consumer exists: check the partition again.
    check_partition(&client, topic, spec.partition)?;
    Ok(stream.batches())
}

/// The read parameters of a query, with `extra` parameters allowed besides.
pub(crate) fn read_spec(params: &Params, extra: &[&str]) -> Result<ReadSpec, ApiError> {
    let mut known = vec!["partition", "offset", "isolation", "access_token"];
    known.extend_from_slice(extra);
    params.only(&known)?;
    Ok(ReadSpec {
        partition: params.number("partition")?.unwrap_or(0),
        offset: params.offset(Offset::end())?,
        wait: params.flag("wait", true)?,
        read_committed: params.read_committed()?,
    })
}

/// The state of one NDJSON or SSE body.
struct Feed {
    batches: BatchStream,
    guard: StreamGuard,
    remaining: Option<u64>,
    sse: bool,
    done: bool,
}

impl Feed {
    /// The next chunk of the body: the records of one batch and of the batches already
    /// received after it (up to [`CHUNK_BYTES`]), a keep-alive, or a final error.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.done || self.remaining == Some(0) {
            return None;
        }
        let first = if self.sse {
            match tokio::time::timeout(SSE_KEEPALIVE, self.batches.next()).await {
                Ok(next) => next,
                Err(_) => return Some(Bytes::from_static(b": keep-alive\n\n")),
            }
        } else {
            self.batches.next().await
        };
        let mut out = Vec::new();
        let mut next = first;
        loop {
            match next {
                None => {
                    self.done = true;
                    break;
                }
                Some(Err(e)) => {
                    self.done = true;
                    self.write_error(&mut out, &e.to_string());
                    break;
                }
                Some(Ok(batch)) => self.write_batch(&mut out, &batch.records),
            }
            if out.len() >= CHUNK_BYTES || self.remaining == Some(0) {
                break;
            }
            // More batches already here go into the same chunk (fewer writes and wake-ups).
            match self.batches.next().now_or_never() {
                Some(more) => next = more,
                None => break,
            }
        }
        if out.is_empty() && self.done {
            return None;
        }
        Some(Bytes::from(out))
    }

    fn write_error(&self, out: &mut Vec<u8>, message: &str) {
        let error = json!({ "error": message }).to_string();
        if self.sse {
            out.extend_from_slice(b"event: error\ndata: ");
            out.extend_from_slice(error.as_bytes());
            out.extend_from_slice(b"\n\n");
        } else {
            out.extend_from_slice(error.as_bytes());
            out.push(b'\n');
        }
    }

    fn write_batch(&mut self, out: &mut Vec<u8>, records: &[ConsumerRecord]) {
        let take = match self.remaining {
            Some(r) => records.len().min(usize::try_from(r).unwrap_or(usize::MAX)),
            None => records.len(),
        };
        out.reserve(take * (64 + records.first().map_or(0, |r| r.value.len())));
        let mut ints = itoa::Buffer::new();
        for record in &records[..take] {
            if self.sse {
                out.extend_from_slice(b"id: ");
                out.extend_from_slice(ints.format(record.offset).as_bytes());
                out.extend_from_slice(b"\ndata: ");
                write_record(out, record);
                out.extend_from_slice(b"\n\n");
            } else {
                write_record(out, record);
                out.push(b'\n');
            }
        }
        if let Some(r) = &mut self.remaining {
            *r -= take as u64;
        }
        self.guard.sent(take);
    }
}

pub(crate) async fn read(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let spec = read_spec(&params, &["limit", "wait"])?;
    let limit: Option<u64> = params.number("limit")?;
    let sse = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"));
    caller.check(Access::Read, &topic)?;
    let batches = open_consumer(&state, &topic, &spec).await?;
    let feed = Feed {
        batches,
        guard: StreamGuard::new(Arc::clone(&state)),
        remaining: limit,
        sse,
        done: false,
    };
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        let chunk = feed.next_chunk().await?;
        Some((Ok::<_, std::convert::Infallible>(chunk), feed))
    });
    let content_type = if sse {
        "text/event-stream"
    } else {
        "application/x-ndjson"
    };
    let mut response = Body::from_stream(body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
