//! The native producer: chunks of records queued in call order, each with a promise of
//! where its records were stored.
//!
//! JavaScript (`lib/producer.js`) calls `send_packed` synchronously with a chunk of records
//! packed in one buffer, so the order of calls is the order of records. Each call puts the
//! chunk on a channel read by one task per producer, which cuts it into records and hands
//! them to the flv producer in that order (waiting for room when its queue is full); the
//! chunk's promise resolves with every record's outcome once all are settled.

use std::time::Duration;

use bytes::Bytes;
use flv_tokio::core::record::Compression;
use flv_tokio::{
    PartitionerKind, ProducerConfig, RecordData, RecordKey, RecordMetadata, TopicProducer,
};
use napi::bindgen_prelude::{Buffer, Float64Array, Int32Array, Uint32Array};
use napi::{Env, JsObject};
use napi_derive::napi;
use tokio::sync::{mpsc, oneshot};

use crate::error::{closed, invalid_argument, to_js};

/// The outcomes of `send_packed`'s records, by record index: where each was stored, and
/// the records that were not, with why.
#[napi(object)]
pub struct PackedOutcomes {
    /// Partitions (0 for a failed record).
    pub partitions: Uint32Array,
    /// Offsets (-1 for a failed record; exact below 2^53).
    pub offsets: Float64Array,
    /// Indexes of the records that were not stored.
    pub failed: Vec<u32>,
    /// Why, as `[CODE] message`, for each of `failed`.
    pub errors: Vec<String>,
}

impl From<Vec<flv_tokio::Result<RecordMetadata>>> for PackedOutcomes {
    fn from(outcomes: Vec<flv_tokio::Result<RecordMetadata>>) -> Self {
        let n = outcomes.len();
        let (mut partitions, mut offsets) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut failed, mut errors) = (Vec::new(), Vec::new());
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Ok(m) => {
                    partitions.push(m.partition);
                    offsets.push(m.offset as f64);
                }
                Err(e) => {
                    partitions.push(0);
                    offsets.push(-1.0);
                    failed.push(u32::try_from(i).unwrap_or(u32::MAX));
                    errors.push(to_js(e).reason);
                }
            }
        }
        Self {
            partitions: partitions.into(),
            offsets: offsets.into(),
            failed,
            errors,
        }
    }
}

/// Producer settings (all optional).
#[napi(object)]
pub struct ProducerOptions {
    /// Milliseconds a batch waits for more records before it is sent (default 0).
    pub linger: Option<u32>,
    /// Largest batch in bytes (default 16384).
    pub batch_size: Option<u32>,
    /// `none`, `gzip`, `snappy`, `lz4` or `zstd` (default: the topic's setting).
    pub compression: Option<String>,
    /// Milliseconds a record may stay unresolved before it fails (default 300000).
    pub delivery_timeout: Option<u32>,
    /// Every record to this partition (default: by key hash, round-robin without key).
    pub partition: Option<u32>,
}

impl ProducerOptions {
    /// The flv producer configuration these options describe.
    pub fn into_config(self) -> napi::Result<ProducerConfig> {
        let mut config = ProducerConfig::default();
        if let Some(ms) = self.linger {
            config.linger = Duration::from_millis(ms.into());
        }
        if let Some(size) = self.batch_size {
            config.batch_size = size as usize;
        }
        if let Some(ms) = self.delivery_timeout {
            config.delivery_timeout = Duration::from_millis(ms.into());
        }
        if let Some(partition) = self.partition {
            config.partitioner = PartitionerKind::Specific(partition);
        }
        if let Some(name) = self.compression {
            config.compression = Some(match name.as_str() {
                "none" => Compression::None,
                "gzip" => Compression::Gzip,
                "snappy" => Compression::Snappy,
                "lz4" => Compression::Lz4,
                "zstd" => Compression::Zstd,
                other => return Err(invalid_argument(format!("unknown compression {other:?}"))),
            });
        }
        Ok(config)
    }
}

/// What JavaScript asks of the producer task.
enum Command {
    /// Records packed (see `send_packed`); a bad packing fails them all, else the reply
    /// holds each record's outcome, in order.
    SendPacked {
        data: Bytes,
        lengths: Vec<i32>,
        reply: oneshot::Sender<napi::Result<Vec<flv_tokio::Result<RecordMetadata>>>>,
    },
    Flush(oneshot::Sender<flv_tokio::Result<()>>),
    Close(oneshot::Sender<flv_tokio::Result<()>>),
}

/// A producer of one topic (wrapped by `TopicProducer` in `index.js`).
#[napi]
pub struct Producer {
    topic: String,
    commands: mpsc::UnboundedSender<Command>,
}

impl Producer {
    /// Starts the task that feeds `producer`; must run inside the tokio runtime.
    pub fn start(producer: TopicProducer) -> Self {
        let topic = producer.topic().to_owned();
        let (commands, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(producer, rx));
        Self { topic, commands }
    }

    fn command(&self, command: Command) -> napi::Result<()> {
        self.commands.send(command).map_err(|_| closed())
    }
}

#[napi]
impl Producer {
    /// The topic.
    #[napi(getter, catch_unwind)]
    pub fn topic(&self) -> String {
        self.topic.clone()
    }

    /// Queues records packed in one buffer, in order: `lengths` holds two entries per
    /// record, its key's length (-1 for no key) then its value's length, and `data` their
    /// bytes one after the other. The promise resolves with the records' outcomes. One copy of the
    /// bytes and no per-record JavaScript object: the cheapest way in.
    #[napi(catch_unwind)]
    pub fn send_packed(
        &self,
        env: Env,
        data: Buffer,
        lengths: Int32Array,
    ) -> napi::Result<JsObject> {
        // Copied here, cut into records by the producer task (off the JavaScript thread).
        let (reply, stored) = oneshot::channel();
        self.command(Command::SendPacked {
            data: Bytes::copy_from_slice(&data),
            lengths: lengths.to_vec(),
            reply,
        })?;
        env.spawn_future(async move {
            let outcomes = stored.await.map_err(|_| closed())??;
            Ok(PackedOutcomes::from(outcomes))
        })
    }

    /// Sends every queued record now and resolves when every record sent before this call
    /// is stored; rejects with the first failure among them.
    #[napi(catch_unwind)]
    pub fn flush(&self, env: Env) -> napi::Result<JsObject> {
        let (reply, done) = oneshot::channel();
        self.command(Command::Flush(reply))?;
        env.spawn_future(async move { done.await.map_err(|_| closed())?.map_err(to_js) })
    }

    /// Flushes, then closes the producer (later calls fail with `CLOSED`).
    #[napi(catch_unwind)]
    pub fn close(&self, env: Env) -> napi::Result<JsObject> {
        let (reply, done) = oneshot::channel();
        self.command(Command::Close(reply))?;
        env.spawn_future(async move { done.await.map_err(|_| closed())?.map_err(to_js) })
    }
}

/// The records `send_packed` describes, as slices of one copy of `data`.
fn unpack(data: &Bytes, lengths: &[i32]) -> napi::Result<Vec<(Option<Bytes>, Bytes)>> {
    if !lengths.len().is_multiple_of(2) {
        return Err(invalid_argument("lengths must hold two entries per record"));
    }
    let mut at = 0usize;
    let mut take = |len: i32| -> napi::Result<Bytes> {
        let len = usize::try_from(len)
            .map_err(|_| invalid_argument(format!("bad record length {len}")))?;
        let end = at
            .checked_add(len)
            .filter(|end| *end <= data.len())
            .ok_or_else(|| invalid_argument("record lengths exceed the data"))?;
        let bytes = data.slice(at..end);
        at = end;
        Ok(bytes)
    };
    let mut records = Vec::with_capacity(lengths.len() / 2);
    for pair in lengths.chunks_exact(2) {
        let key = if pair[0] == -1 {
            None
        } else {
            Some(take(pair[0])?)
        };
        records.push((key, take(pair[1])?));
    }
    if at != data.len() {
        return Err(invalid_argument("data holds bytes past the last record"));
    }
    Ok(records)
}

/// Queues `records` in order (one driver batch send: one lock and one wake per run of
/// records, not per record), then reports each one's outcome on `reply` once all are
/// settled (in a task of its own: the producer task goes on with the next command).
async fn send_records(
    producer: &TopicProducer,
    records: Vec<(Option<Bytes>, Bytes)>,
    reply: oneshot::Sender<Vec<flv_tokio::Result<RecordMetadata>>>,
) {
    let n = records.len();
    let queued = producer
        .send_batch(
            records
                .into_iter()
                .map(|(key, value)| (RecordKey(key), RecordData(value))),
        )
        .await;
    tokio::spawn(async move {
        let outcomes = match queued {
            Ok(output) => output.wait().await,
            // Only when the producer was closed before the first record: all fail so.
            Err(_) => (0..n).map(|_| Err(flv_tokio::Error::Closed)).collect(),
        };
        // The caller may have stopped listening: nothing to report then.
        let _ = reply.send(outcomes);
    });
}

/// The producer task: runs the commands in order until closed, or until JavaScript drops
/// the producer (the flv producer then flushes in the background).
async fn run(producer: TopicProducer, mut commands: mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::SendPacked {
                data,
                lengths,
                reply,
            } => match unpack(&data, &lengths) {
                Ok(records) => {
                    let (inner, outcomes) = oneshot::channel();
                    send_records(&producer, records, inner).await;
                    tokio::spawn(async move {
                        let outcomes = outcomes.await.map_err(|_| closed());
                        let _ = reply.send(outcomes);
                    });
                }
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Command::Flush(reply) => {
                let _ = reply.send(producer.flush().await);
            }
            Command::Close(reply) => {
                commands.close();
                let _ = reply.send(producer.close().await);
                // Commands queued behind the close fail with CLOSED as their replies drop.
                while commands.recv().await.is_some() {}
                return;
            }
        }
    }
}
