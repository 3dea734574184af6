//! `GET /v1/topics/{topic}/ws`: a WebSocket that sends one JSON text message per record of
//! a partition, and produces each `{"key","value"}` message it receives to that partition,
//! answering `{"ack":{"partition","offset"}}` (or `{"error": "..."}`), in message order.
//!
//! Back-pressure: one task reads the consumer, writes to the socket (groups of at most
//! [`MAX_GROUP`] messages, one flush each) and reads the client's messages; while a write
//! waits for a slow reader nothing more is read, so a stream holds at most one group and the
//! consumer's buffer. At most [`MAX_PENDING_ACKS`] produced
//! records wait for their acknowledgement; past that, incoming messages wait.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use flv_tokio::core::client::ConsumerRecord;
use flv_tokio::{BatchStream, ProduceOutput, RecordKey};
use futures_util::stream::FuturesOrdered;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::json;

use crate::auth::Access;
use crate::error::ApiError;
use crate::records::{open_consumer, read_spec};
use crate::state::{AppState, Auth, ProducerKey, StreamGuard};
use crate::wire::{InRecord, Params};

/// Records per group of messages.
const MAX_GROUP: usize = 1024;

/// Produced records waiting for their acknowledgement, per socket.
const MAX_PENDING_ACKS: usize = 1024;

pub(crate) async fn upgrade(
    State(state): State<Arc<AppState>>,
    Auth(caller): Auth,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
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
    Ok(ws
        .max_message_size(state.options.max_body_bytes)
        .on_upgrade(move |socket| session.run(socket, batches)))
}

struct Session {
    state: Arc<AppState>,
    topic: String,
    partition: u32,
    may_write: bool,
    guard: StreamGuard,
}

fn json_message(value: serde_json::Value) -> Message {
    Message::Text(value.to_string().into())
}

impl Session {
    async fn run(self, mut socket: WebSocket, mut batches: BatchStream) {
        let mut acks = FuturesOrdered::new();
        let mut records_done = false;
        loop {
            tokio::select! {
                batch = batches.next(), if !records_done => match batch {
                    Some(Ok(batch)) => {
                        // The batches already received go out together, in groups of
                        // at most MAX_GROUP messages.
                        let mut records = batch.records;
                        let mut failure = None;
                        while records.len() < MAX_GROUP {
                            match batches.next().now_or_never() {
                                Some(Some(Ok(more))) => records.extend(more.records),
                                Some(Some(Err(e))) => {
                                    failure = Some(e);
                                    break;
                                }
                                Some(None) => {
                                    records_done = true;
                                    break;
                                }
                                None => break,
                            }
                        }
                        for chunk in records.chunks(MAX_GROUP) {
                            if write(&mut socket, messages(chunk)).await.is_err() {
                                return;
                            }
                            self.guard.sent(chunk.len());
                        }
                        if let Some(e) = failure {
                            records_done = true;
                            let error = json_message(json!({ "error": e.to_string() }));
                            if write(&mut socket, vec![error]).await.is_err() {
                                return;
                            }
                        }
                    }
                    Some(Err(e)) => {
                        records_done = true;
                        if write(&mut socket, vec![json_message(json!({ "error": e.to_string() }))]).await.is_err() {
                            return;
                        }
                    }
                    None => records_done = true,
                },
                message = socket.recv(), if acks.len() < MAX_PENDING_ACKS => {
                    let text = match message {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Binary(_))) => {
                            let e = json!({ "error": "send records as JSON text messages" });
                            if write(&mut socket, vec![json_message(e)]).await.is_err() {
                                return;
                            }
                            continue;
                        }
                        Some(Ok(_)) => continue,
                    };
                    match self.produce(text.as_str()).await {
                        Ok(out) => acks.push_back(async move { out.wait().await }),
                        Err(e) => {
                            if write(&mut socket, vec![text_error(&e)]).await.is_err() {
                                return;
                            }
                        }
                    }
                },
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
                    if write(&mut socket, vec![json_message(reply)]).await.is_err() {
                        return;
                    }
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

/// One text message per record, all sharing one buffer.
fn messages(records: &[ConsumerRecord]) -> Vec<Message> {
    let mut buf =
        Vec::with_capacity(records.len() * (96 + records.first().map_or(0, |r| r.value.len())));
    let mut ends = Vec::with_capacity(records.len());
    for record in records {
        crate::wire::write_record(&mut buf, record);
        ends.push(buf.len());
    }
    let buf = Bytes::from(buf);
    let mut start = 0;
    ends.into_iter()
        .filter_map(|end| {
            let text = Utf8Bytes::try_from(buf.slice(start..end)).ok();
            start = end;
            text.map(Message::Text)
        })
        .collect()
}

/// Writes `messages` with one flush at the end.
async fn write(socket: &mut WebSocket, messages: Vec<Message>) -> Result<(), axum::Error> {
    for message in messages {
        socket.feed(message).await?;
    }
    socket.flush().await
}

fn text_error(e: &ApiError) -> Message {
    json_message(json!({ "error": e.to_string(), "status": e.status().as_u16() }))
}
