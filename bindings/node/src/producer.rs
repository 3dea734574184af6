//! The native producer: records queued in call order, each with a promise of where it was
//! stored.
//!
//! JavaScript calls `send` synchronously, so the order of calls is the order of records.
//! Each call puts the record on a channel read by one task per producer, which hands the
//! records to the flv producer in that order (waiting for room when its queue is full); the
//! promise of a record resolves when the record is stored.

use std::time::Duration;

use bytes::Bytes;
use flv_tokio::core::record::Compression;
use flv_tokio::{
    PartitionerKind, ProducerConfig, RecordData, RecordKey, RecordMetadata, TopicProducer,
};
use napi::bindgen_prelude::Buffer;
use napi::{Env, JsObject};
use napi_derive::napi;
use tokio::sync::{mpsc, oneshot};

use crate::error::{closed, invalid_argument, to_js};

/// Where a record was stored.
#[napi(object)]
pub struct ProduceOutput {
    /// The partition.
    pub partition: u32,
    /// The record's offset in the partition.
    pub offset: i64,
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
    Send {
        key: Option<Bytes>,
        value: Bytes,
        reply: oneshot::Sender<flv_tokio::Result<RecordMetadata>>,
    },
    SendAll {
        records: Vec<(Option<Bytes>, Bytes)>,
        reply: oneshot::Sender<flv_tokio::Result<Vec<RecordMetadata>>>,
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

    /// Queues a record (after every record sent before); the promise resolves with where
    /// it was stored.
    #[napi(catch_unwind)]
    pub fn send(&self, env: Env, key: Option<Buffer>, value: Buffer) -> napi::Result<JsObject> {
        let (reply, stored) = oneshot::channel();
        self.command(Command::Send {
            key: key.map(|k| Bytes::copy_from_slice(&k)),
            value: Bytes::copy_from_slice(&value),
            reply,
        })?;
        env.spawn_future(async move {
            let meta = stored.await.map_err(|_| closed())?.map_err(to_js)?;
            Ok(ProduceOutput {
                partition: meta.partition,
                offset: meta.offset,
            })
        })
    }

    /// Queues `values.len()` records (key `keys[i]`, value `values[i]`) in order; the
    /// promise resolves with where each was stored, or rejects with the first failure.
    /// One promise for many records: cheaper than `send` per record.
    #[napi(catch_unwind)]
    pub fn send_all(
        &self,
        env: Env,
        keys: Vec<Option<Buffer>>,
        values: Vec<Buffer>,
    ) -> napi::Result<JsObject> {
        if keys.len() != values.len() {
            return Err(invalid_argument(format!(
                "{} keys for {} values",
                keys.len(),
                values.len()
            )));
        }
        let records = keys
            .iter()
            .zip(&values)
            .map(|(k, v)| {
                (
                    k.as_ref().map(|k| Bytes::copy_from_slice(k)),
                    Bytes::copy_from_slice(v),
                )
            })
            .collect();
        let (reply, stored) = oneshot::channel();
        self.command(Command::SendAll { records, reply })?;
        env.spawn_future(async move {
            let metas = stored.await.map_err(|_| closed())?.map_err(to_js)?;
            Ok(metas
                .into_iter()
                .map(|m| ProduceOutput {
                    partition: m.partition,
                    offset: m.offset,
                })
                .collect::<Vec<_>>())
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

/// The producer task: runs the commands in order until closed, or until JavaScript drops
/// the producer (the flv producer then flushes in the background).
async fn run(producer: TopicProducer, mut commands: mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = commands.recv().await {
        match command {
            Command::Send { key, value, reply } => {
                match producer.send(RecordKey(key), RecordData(value)).await {
                    Ok(output) => {
                        tokio::spawn(async move {
                            // The caller may have stopped listening: nothing to report then.
                            let _ = reply.send(output.wait().await);
                        });
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::SendAll { records, reply } => {
                let mut outputs = Vec::with_capacity(records.len());
                let mut failed = None;
                for (key, value) in records {
                    match producer.send(RecordKey(key), RecordData(value)).await {
                        Ok(output) => outputs.push(output),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                tokio::spawn(async move {
                    let mut stored = Vec::with_capacity(outputs.len());
                    for output in outputs {
                        match output.wait().await {
                            Ok(meta) => stored.push(meta),
                            Err(e) => {
                                let _ = reply.send(Err(e));
                                return;
                            }
                        }
                    }
                    let _ = reply.send(match failed {
                        Some(e) => Err(e),
                        None => Ok(stored),
                    });
                });
            }
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
