//! `GET /v1/topics/{topic}/ws`: a WebSocket that sends one JSON text message per record of
//! a partition, and produces each `{"key","value"}` message it receives to that partition,
//! answering `{"ack":{"partition","offset"}}` (or `{"error": "..."}`), in message order.
//!
//! The WebSocket protocol is spoken by [`crate::ws_frame`] over the upgraded connection:
//! a group of records becomes one buffer of frames written with one call.
//!
//! Back-pressure: one task reads the consumer, writes to the socket (groups of at most
//! [`MAX_GROUP`] messages, one write each) and reads the client's messages; while a write
//! waits for a slow reader nothing more is read, so a stream holds at most one group and the
//! consumer's buffer. At most [`MAX_PENDING_ACKS`] produced
//! records wait for their acknowledgement; past that, incoming messages wait.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use flv_tokio::core::client::ConsumerRecord;
use flv_tokio::{BatchStream, ProduceOutput, RecordKey};
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::auth::Access;
use crate::error::ApiError;
use crate::records::{open_consumer, read_spec};
use crate::state::{AppState, Auth, ProducerKey, StreamGuard};
use crate::wire::{InRecord, Params};
use crate::ws_frame::{self, FrameReader, Incoming, close};

/// Records per group of messages.
const MAX_GROUP: usize = 1024;

/// Produced records waiting for their acknowledgement, per socket.
const MAX_PENDING_ACKS: usize = 1024;

/// The `Sec-WebSocket-Key` of a valid upgrade request, or why it is not one.
fn upgrade_key(headers: &HeaderMap) -> Result<&HeaderValue, ApiError> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(ApiError::bad(
            "this route is a WebSocket: send Connection: upgrade and Upgrade: websocket",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(ApiError::bad("Sec-WebSocket-Version must be 13"));
    }
    headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| ApiError::bad("Sec-WebSocket-Key is missing"))
}

pub(crate) async fn upgrade(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
    mut request: Request,
) -> Result<Response, ApiError> {
    let accept = ws_frame::accept_key(upgrade_key(request.headers())?.as_bytes());
    let params = Params::parse(query.as_deref())?;
    let spec = read_spec(&params, &[])?;
    caller.check(Access::Read, &topic)?;
    let may_write = caller.check(Access::Write, &topic).is_ok();
    let batches = open_consumer(&state, &topic, &spec).await?;
    let guard = StreamGuard::new(Arc::clone(&state));
    let session = Session {
        state: Arc::clone(&state),
        topic,
        partition: spec.partition,
        may_write,
        guard,
    };
    let upgraded = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        // The connection is upgraded once the 101 below is written.
        if let Ok(io) = upgraded.await {
            session.run(TokioIo::new(io), batches).await;
        }
    });
    let accept =
        HeaderValue::try_from(accept).map_err(|_| ApiError::bad("bad Sec-WebSocket-Key"))?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Ok(response)
}

struct Session {
    state: Arc<AppState>,
    topic: String,
    partition: u32,
    may_write: bool,
    guard: StreamGuard,
}

/// What ends a session.
enum End {
    /// The socket failed or closed.
    Gone,
}

/// Appends `value` as one text message.
fn put_json(out: &mut Vec<u8>, value: &serde_json::Value) {
    ws_frame::put_text(out, value.to_string().as_bytes());
}

impl Session {
    async fn run<S: AsyncRead + AsyncWrite + Unpin>(self, io: S, mut batches: BatchStream) {
        let (mut rd, mut wr) = tokio::io::split(io);
        let mut reader = FrameReader::new(self.state.options.max_body_bytes);
        let mut out = Vec::new();
        let mut acks = FuturesOrdered::new();
        let mut records_done = false;
        loop {
            let step = tokio::select! {
                batch = batches.next(), if !records_done => {
                    self.on_batch(batch, &mut batches, &mut records_done, &mut out, &mut wr).await
                }
                read = rd.read_buf(reader.buffer()), if acks.len() < MAX_PENDING_ACKS => {
                    match read {
                        Ok(0) | Err(_) => Err(End::Gone),
                        Ok(_) => self.on_read(&mut reader, &mut acks, &mut out, &mut wr).await,
                    }
                }
                ack = acks.next(), if !acks.is_empty() => {
                    let reply = match ack {
                        Some(Ok(meta)) => {
                            self.state.counters.records_in.fetch_add(1, Ordering::Relaxed);
                            json!({ "ack": { "partition": meta.partition, "offset": meta.offset } })
                        }
                        Some(Err(e)) => {
                            json!({ "error": ApiError::from_client(&e, Some(&self.topic)).to_string() })
                        }
                        None => continue,
                    };
                    put_json(&mut out, &reply);
                    flush(&mut wr, &mut out).await
                }
            };
            if step.is_err() {
                return;
            }
        }
    }

    /// Sends a batch and the batches already received after it, in groups of at most
    /// [`MAX_GROUP`] messages, each group one write.
    async fn on_batch<W: AsyncWrite + Unpin>(
        &self,
        batch: Option<flv_tokio::Result<flv_tokio::ConsumerBatch>>,
        batches: &mut BatchStream,
        records_done: &mut bool,
        out: &mut Vec<u8>,
        wr: &mut W,
    ) -> Result<(), End> {
        let mut records = match batch {
            Some(Ok(batch)) => batch.records,
            Some(Err(e)) => {
                *records_done = true;
                put_json(out, &json!({ "error": e.to_string() }));
                return flush(wr, out).await;
            }
            None => {
                *records_done = true;
                return Ok(());
            }
        };
        let mut failure = None;
        while records.len() < MAX_GROUP {
            match batches.next().now_or_never() {
                Some(Some(Ok(more))) => records.extend(more.records),
                Some(Some(Err(e))) => {
                    failure = Some(e);
                    break;
                }
                Some(None) => {
                    *records_done = true;
                    break;
                }
                None => break,
            }
        }
        for chunk in records.chunks(MAX_GROUP) {
            put_records(out, chunk);
            flush(wr, out).await?;
            self.guard.sent(chunk.len());
        }
        if let Some(e) = failure {
            *records_done = true;
            put_json(out, &json!({ "error": e.to_string() }));
            flush(wr, out).await?;
        }
        Ok(())
    }

    /// Handles the client's messages now buffered.
    async fn on_read<W: AsyncWrite + Unpin>(
        &self,
        reader: &mut FrameReader,
        acks: &mut FuturesOrdered<futures_util::future::BoxFuture<'static, AckResult>>,
        out: &mut Vec<u8>,
        wr: &mut W,
    ) -> Result<(), End> {
        loop {
            match reader.next_message() {
                Ok(None) => return flush(wr, out).await,
                Ok(Some(Incoming::Text(text))) => match self.produce(&text).await {
                    Ok(output) => acks.push_back(async move { output.wait().await }.boxed()),
                    Err(e) => put_json(out, &error_json(&e)),
                },
                Ok(Some(Incoming::Binary)) => {
                    put_json(
                        out,
                        &json!({ "error": "send records as JSON text messages" }),
                    );
                }
                Ok(Some(Incoming::Ping(payload))) => ws_frame::put_pong(out, &payload),
                Ok(Some(Incoming::Pong)) => {}
                Ok(Some(Incoming::Close(_))) => {
                    ws_frame::put_close(out, close::NORMAL);
                    let _ = flush(wr, out).await;
                    return Err(End::Gone);
                }
                Err(e) => {
                    ws_frame::put_close(out, e.code());
                    let _ = flush(wr, out).await;
                    return Err(End::Gone);
                }
            }
        }
    }

    /// Queues one record from a client message; its output resolves with the acknowledgement.
    async fn produce(&self, message: &str) -> Result<ProduceOutput, ApiError> {
        if !self.may_write {
            return Err(ApiError::Forbidden(format!(
                "this token may not write topic {:?}",
                self.topic
            )));
        }
        let record: InRecord = serde_json::from_str(message)
            .map_err(|e| ApiError::bad(format!("bad JSON message: {e}")))?;
        let partition = record.partition.unwrap_or(self.partition);
        let (key, value) = record.into_parts(0)?;
        let key_spec = ProducerKey {
            topic: self.topic.clone(),
            partition: Some(partition),
            at_most_once: false,
            read_committed: false,
        };
        let producer = self.state.producer(&key_spec).await?;
        let queued =
            crate::topics::bounded(&self.state, producer.send(RecordKey::from(key), value))
                .await?
                .map_err(|e| ApiError::from_client(&e, Some(&self.topic)));
        if queued.is_err() {
            self.state.forget_producers(&self.topic);
        }
        queued
    }
}

/// The result of waiting for one produced record's acknowledgement.
type AckResult = flv_tokio::Result<flv_tokio::RecordMetadata>;

/// One text message per record, appended to `out`.
fn put_records(out: &mut Vec<u8>, records: &[ConsumerRecord]) {
    let mut json = Vec::with_capacity(96 + records.first().map_or(0, |r| r.value.len()));
    out.reserve(records.len() * (json.capacity() + 4));
    for record in records {
        json.clear();
        crate::wire::write_record(&mut json, record);
        ws_frame::put_text(out, &json);
    }
}

/// Writes what `out` holds, then empties it.
async fn flush<W: AsyncWrite + Unpin>(wr: &mut W, out: &mut Vec<u8>) -> Result<(), End> {
    if out.is_empty() {
        return Ok(());
    }
    let written = wr.write_all(out).await;
    out.clear();
    written.map_err(|_| End::Gone)
}

fn error_json(e: &ApiError) -> serde_json::Value {
    json!({ "error": e.to_string(), "status": e.status().as_u16() })
}
