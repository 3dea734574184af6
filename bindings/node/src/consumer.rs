//! The native consumer: records of a topic, fetched by batches of what is available.

use std::sync::Arc;

use bytes::Bytes;
use flv_tokio::core::spu::smartmodule::{
    SmartModuleInvocation, SmartModuleInvocationWasm, SmartModuleKind,
};
use flv_tokio::{ConsumerConfig, ConsumerRecord, ConsumerStream, Offset};
use futures_util::future::{Either, select};
use futures_util::{FutureExt, StreamExt};
use napi::bindgen_prelude::{Buffer, Float64Array, Int32Array, Uint32Array};
use napi_derive::napi;
use tokio::sync::{Mutex, watch};

use crate::error::{invalid_argument, to_js};

/// Where a consumer starts: `kind` is `absolute`, `beginning`, `fromBeginning`, `end` or
/// `fromEnd`; `value` the offset or the record count (made by `Offset` in `index.js`).
#[napi(object)]
pub struct OffsetSpec {
    /// The kind.
    pub kind: String,
    /// The offset (`absolute`) or record count (`fromBeginning`, `fromEnd`).
    pub value: Option<i64>,
}

impl OffsetSpec {
    /// The flv offset.
    pub fn to_offset(&self) -> napi::Result<Offset> {
        let value = self.value.unwrap_or(0);
        let count = || {
            u32::try_from(value).map_err(|_| invalid_argument(format!("bad record count {value}")))
        };
        Ok(match self.kind.as_str() {
            "absolute" if value >= 0 => Offset::Absolute(value),
            "absolute" => return Err(invalid_argument(format!("negative offset {value}"))),
            "beginning" => Offset::beginning(),
            "end" => Offset::end(),
            "fromBeginning" => Offset::FromBeginning(count()?),
            "fromEnd" => Offset::FromEnd(count()?),
            other => return Err(invalid_argument(format!("unknown offset kind {other:?}"))),
        })
    }
}

/// Consumer settings.
#[napi(object)]
pub struct ConsumerOptions {
    /// The topic.
    pub topic: String,
    /// One partition (default: every partition, unless `partitions` is given).
    pub partition: Option<u32>,
    /// Several partitions.
    pub partitions: Option<Vec<u32>>,
    /// Where to start (default: the end, i.e. only new records).
    pub offset: Option<OffsetSpec>,
    /// Stop at the end offset known when the consumer starts instead of waiting for more.
    pub disable_continuous: Option<bool>,
    /// Largest record set per fetch response, in bytes.
    pub max_bytes: Option<i32>,
    /// A SmartModule the SPU applies to the records.
    pub smartmodule: Option<SmartModuleOptions>,
}

/// A SmartModule to apply: a stored one by `name`, or `wasm` sent with the request.
#[napi(object)]
pub struct SmartModuleOptions {
    /// `filter`, `map`, `array_map` or `filter_map`.
    pub kind: String,
    /// The name of a SmartModule stored in the cluster.
    pub name: Option<String>,
    /// A gzip-compressed WASM module.
    pub wasm: Option<Buffer>,
}

impl SmartModuleOptions {
    /// The invocation these options describe.
    pub fn into_invocation(self) -> napi::Result<SmartModuleInvocation> {
        let kind = match self.kind.as_str() {
            "filter" => SmartModuleKind::Filter,
            "map" => SmartModuleKind::Map,
            "array_map" => SmartModuleKind::ArrayMap,
            "filter_map" => SmartModuleKind::FilterMap,
            other => {
                return Err(invalid_argument(format!(
                    "unknown SmartModule type {other:?} (filter, map, array_map or filter_map)"
                )));
            }
        };
        let wasm = match (self.name, self.wasm) {
            (Some(name), None) => SmartModuleInvocationWasm::Predefined(name),
            (None, Some(wasm)) => SmartModuleInvocationWasm::AdHoc(Bytes::copy_from_slice(&wasm)),
            _ => {
                return Err(invalid_argument(
                    "a SmartModule needs exactly one of a name or WASM code",
                ));
            }
        };
        Ok(SmartModuleInvocation {
            wasm,
            kind,
            ..Default::default()
        })
    }
}

impl ConsumerOptions {
    /// The flv consumer configuration these options describe.
    pub fn into_config(self) -> napi::Result<ConsumerConfig> {
        let offset = match &self.offset {
            Some(o) => o.to_offset()?,
            None => Offset::end(),
        };
        let mut config = ConsumerConfig::new(self.topic, offset);
        let mut partitions = self.partitions.unwrap_or_default();
        partitions.extend(self.partition);
        config.partitions = partitions;
        config.disable_continuous = self.disable_continuous.unwrap_or(false);
        if let Some(max) = self.max_bytes {
            config.max_bytes = max;
        }
        if let Some(sm) = self.smartmodule {
            config.smartmodules = vec![sm.into_invocation()?];
        }
        Ok(config)
    }
}

/// One consumed record.
#[napi(object)]
pub struct Record {
    /// The offset in its partition.
    pub offset: i64,
    /// The partition.
    pub partition: u32,
    /// The key, or null.
    pub key: Option<Buffer>,
    /// The value.
    pub value: Buffer,
    /// Milliseconds since the Unix epoch, -1 when unknown.
    pub timestamp: i64,
}

impl From<ConsumerRecord> for Record {
    fn from(r: ConsumerRecord) -> Self {
        Self {
            offset: r.offset,
            partition: r.partition,
            key: r.key.map(|k| Buffer::from(k.to_vec())),
            value: Buffer::from(r.value.to_vec()),
            timestamp: r.timestamp,
        }
    }
}

/// Consumed records packed: keys and values one after the other in `data` (a record's key,
/// if any, then its value), the other fields in typed arrays indexed by record.
#[napi(object)]
pub struct PackedRecords {
    /// Every key and value.
    pub data: Buffer,
    /// Offsets (exact below 2^53).
    pub offsets: Float64Array,
    /// Partitions.
    pub partitions: Uint32Array,
    /// Milliseconds since the Unix epoch, -1 when unknown.
    pub timestamps: Float64Array,
    /// Key lengths, -1 for no key.
    pub key_lengths: Int32Array,
    /// Value lengths.
    pub value_lengths: Uint32Array,
}

impl From<Vec<ConsumerRecord>> for PackedRecords {
    fn from(records: Vec<ConsumerRecord>) -> Self {
        let size = records
            .iter()
            .map(|r| r.value.len() + r.key.as_ref().map_or(0, |k| k.len()))
            .sum();
        let mut data = Vec::with_capacity(size);
        let n = records.len();
        let (mut offsets, mut partitions, mut timestamps) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut key_lengths, mut value_lengths) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for r in records {
            offsets.push(r.offset as f64);
            partitions.push(r.partition);
            timestamps.push(r.timestamp as f64);
            match &r.key {
                Some(k) => {
                    key_lengths.push(i32::try_from(k.len()).unwrap_or(i32::MAX));
                    data.extend_from_slice(k);
                }
                None => key_lengths.push(-1),
            }
            value_lengths.push(u32::try_from(r.value.len()).unwrap_or(u32::MAX));
            data.extend_from_slice(&r.value);
        }
        Self {
            data: data.into(),
            offsets: offsets.into(),
            partitions: partitions.into(),
            timestamps: timestamps.into(),
            key_lengths: key_lengths.into(),
            value_lengths: value_lengths.into(),
        }
    }
}

/// The stream and an error met after records that were already handed out.
struct State {
    stream: Option<ConsumerStream>,
    pending_error: Option<flv_tokio::Error>,
}

/// A stream of records (wrapped by `ConsumerStream` in `index.js`).
#[napi]
pub struct Consumer {
    state: Arc<Mutex<State>>,
    /// Set by `close`: a pending `next` resolves with null at once.
    closing: watch::Sender<bool>,
}

impl Consumer {
    /// A native consumer over `stream`.
    pub fn new(stream: ConsumerStream) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                stream: Some(stream),
                pending_error: None,
            })),
            closing: watch::Sender::new(false),
        }
    }
}

#[napi]
impl Consumer {
    /// The next record, or null when the stream ended (or was closed).
    #[napi]
    pub async fn next(&self) -> napi::Result<Option<Record>> {
        let mut batch = self.next_batch(Some(1)).await?;
        Ok(batch.as_mut().and_then(Vec::pop))
    }

    /// Waits for the next record, then also takes the records already received, up to
    /// `max` (default 1000) in all; null when the stream ended (or was closed). An error met
    /// after some records is reported by the next call.
    #[napi]
    pub async fn next_batch(&self, max: Option<u32>) -> napi::Result<Option<Vec<Record>>> {
        let records = self.next_records(max).await?;
        Ok(records.map(|rs| rs.into_iter().map(Record::from).collect()))
    }

    /// As `next_batch`, packed: the records' keys and values in one buffer and their
    /// fields in typed arrays (no JavaScript object per record).
    #[napi]
    pub async fn next_packed(&self, max: Option<u32>) -> napi::Result<Option<PackedRecords>> {
        let records = self.next_records(max).await?;
        Ok(records.map(PackedRecords::from))
    }

    /// The next records (see `next_batch`).
    async fn next_records(&self, max: Option<u32>) -> napi::Result<Option<Vec<ConsumerRecord>>> {
        let max = max.unwrap_or(1000).max(1) as usize;
        let mut closing = self.closing.subscribe();
        let mut state = self.state.lock().await;
        if let Some(e) = state.pending_error.take() {
            return Err(to_js(e));
        }
        let Some(stream) = state.stream.as_mut() else {
            return Ok(None);
        };
        let closed = Box::pin(closing.wait_for(|c| *c));
        let first = match select(stream.next(), closed).await {
            Either::Left((None, _)) | Either::Right(_) => return Ok(None),
            Either::Left((Some(r), _)) => r.map_err(to_js)?,
        };
        let mut records = vec![first];
        while records.len() < max {
            match stream.next().now_or_never() {
                Some(Some(Ok(r))) => records.push(r),
                Some(Some(Err(e))) => {
                    state.pending_error = Some(e);
                    break;
                }
                Some(None) | None => break,
            }
        }
        Ok(Some(records))
    }

    /// Stops the consumer; `next` resolves with null afterwards.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        self.closing.send_replace(true);
        let stream = self.state.lock().await.stream.take();
        match stream {
            Some(s) => s.close().await.map_err(to_js),
            None => Ok(()),
        }
    }
}
