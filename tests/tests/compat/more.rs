//! More programs of the official API (see `programs.rs`): matching its errors,
//! `metrics()`, the deprecated `PartitionConsumer` and `FluvioAdmin::create_with_config`,
//! and the consumer stream's `ErrorCode`s.

use std::sync::atomic::Ordering;

use fluvio::consumer::{ConsumerConfigExtBuilder, ConsumerStream, Record};
use fluvio::dataplane::link::ErrorCode;
use fluvio::dataplane::record::RecordData;
use fluvio::metadata::objects::CommonCreateRequest;
use fluvio::metadata::topic::TopicSpec;
use fluvio::{Fluvio, FluvioError, Offset, ProducerError, RecordKey, TopicProducerConfigBuilder};
use futures_util::StreamExt;

use super::Transcript;

/// A helper as user code writes it: the text borrowed from the record (`get_value()` and
/// `get_key()` return references, `as_utf8_lossy_string()` a `Cow` borrowing them).
fn text_of(record: &Record) -> (Option<std::borrow::Cow<'_, str>>, std::borrow::Cow<'_, str>) {
    let key: Option<&RecordData> = record.get_key();
    let value: &RecordData = record.get_value();
    (
        key.map(|k| k.as_utf8_lossy_string()),
        value.as_utf8_lossy_string(),
    )
}

/// `ConsumerRecord::get_key` / `get_value` as references, with `as_ref()` on the data.
pub(crate) async fn record_references(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let config = ConsumerConfigExtBuilder::default()
        .topic("key-value")
        .partition(0)
        .offset_start(Offset::beginning())
        .disable_continuous(true)
        .build()?;
    let mut stream = fluvio.consumer_with_config(config).await?;
    while let Some(record) = stream.next().await {
        let record = record?;
        let bytes: &[u8] = record.get_value().as_ref();
        let (key, value) = text_of(&record);
        t.push(format!(
            "references: key {key:?} value {value} ({} bytes)",
            bytes.len()
        ));
    }
    Ok(())
}

/// What user code of the official client makes of a `FluvioError` it downcast to.
fn describe(e: Option<&FluvioError>) -> String {
    match e {
        Some(FluvioError::TopicNotFound(topic)) => format!("TopicNotFound({topic})"),
        Some(FluvioError::PartitionNotFound(topic, p)) => {
            format!("PartitionNotFound({topic}, {p})")
        }
        Some(FluvioError::Producer(p)) => format!("Producer({})", describe_producer(Some(p))),
        Some(FluvioError::NegativeOffset(n)) => format!("NegativeOffset({n})"),
        Some(_) => "another FluvioError".into(),
        None => "not a FluvioError".into(),
    }
}

/// What user code of the official client makes of a `ProducerError`.
fn describe_producer(e: Option<&ProducerError>) -> String {
    match e {
        Some(ProducerError::RecordTooLarge(size, max)) => {
            format!("RecordTooLarge(more than {max}: {})", size > max)
        }
        Some(ProducerError::PartitionNotFound(p)) => format!("PartitionNotFound({p})"),
        Some(ProducerError::SpuErrorCode(code)) => format!("SpuErrorCode({code:?})"),
        Some(_) => "another ProducerError".into(),
        None => "not a ProducerError".into(),
    }
}

/// Errors as the official client's users match them: downcast to `FluvioError` (or to
/// `ProducerError`, which its `send` fails with), on the error itself and after `?` into
/// an `anyhow::Error`.
pub(crate) async fn errors(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    match fluvio.topic_producer("no-such-topic").await {
        Ok(_) => t.push("errors: producer of a missing topic made".into()),
        Err(e) => {
            t.push(format!(
                "errors: producer of a missing topic: {}",
                describe(e.downcast_ref::<FluvioError>())
            ));
            // What `?` does in a function returning `anyhow::Result` (the official
            // client's error already is an `anyhow::Error`).
            #[allow(clippy::useless_conversion)]
            let e: anyhow::Error = e.into();
            t.push(format!(
                "errors: the same as anyhow: {}",
                describe(e.downcast_ref::<FluvioError>())
            ));
        }
    }
    let config = ConsumerConfigExtBuilder::default()
        .topic("no-such-topic")
        .partition(0)
        .offset_start(Offset::beginning())
        .build()?;
    match fluvio.consumer_with_config(config).await {
        Ok(_) => t.push("errors: consumer of a missing topic made".into()),
        Err(e) => t.push(format!(
            "errors: consumer of a missing topic: {}",
            describe(e.downcast_ref::<FluvioError>())
        )),
    }
    let small = TopicProducerConfigBuilder::default()
        .max_request_size(100)
        .build()?;
    let producer = fluvio.topic_producer_with_config("simple", small).await?;
    match producer.send(RecordKey::NULL, vec![b'x'; 1000]).await {
        Ok(_) => t.push("errors: a too large record was sent".into()),
        Err(e) => t.push(format!(
            "errors: a too large record: {}",
            describe_producer(e.downcast_ref::<ProducerError>())
        )),
    }
    Ok(())
}

/// `metrics()`: the record counters the official `ClientMetrics` has.
pub(crate) async fn metrics(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let producer = fluvio.topic_producer("simple").await?;
    producer
        .send(RecordKey::NULL, "counted")
        .await?
        .wait()
        .await?;
    let config = ConsumerConfigExtBuilder::default()
        .topic("simple")
        .partition(0)
        .offset_start(Offset::beginning())
        .disable_continuous(true)
        .build()?;
    let mut stream = fluvio.consumer_with_config(config).await?;
    let mut consumed = 0;
    while let Some(Ok(_)) = stream.next().await {
        consumed += 1;
    }
    let m = fluvio.metrics();
    t.push(format!(
        "metrics: consumed {consumed}, consumer records {} bytes counted {}, producer records {} bytes counted {}",
        m.consumer().records.load(Ordering::SeqCst),
        m.consumer().bytes.load(Ordering::SeqCst) > 0,
        m.producer_client().records.load(Ordering::SeqCst),
        m.producer_client().bytes.load(Ordering::SeqCst) > 0,
    ));
    Ok(())
}

/// The deprecated `Fluvio::partition_consumer` and `fluvio::consumer(topic, partition)`.
#[allow(deprecated)]
pub(crate) async fn partition_consumer(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let consumer = fluvio.partition_consumer("batch", 0).await?;
    let stream = consumer.stream(Offset::absolute(8)?).await?;
    let records: Vec<Result<Record, ErrorCode>> = stream.take(2).collect().await;
    for record in records {
        let record = record?;
        t.push(format!(
            "partition consumer {}-{}: {} {}",
            consumer.topic(),
            consumer.partition(),
            record.offset(),
            record.get_value().as_utf8_lossy_string()
        ));
    }
    let consumer = fluvio::consumer("simple", 0).await?;
    let mut stream = consumer.stream(Offset::beginning()).await?;
    if let Some(record) = stream.next().await {
        t.push(format!(
            "fluvio::consumer: {}",
            record?.get_value().as_utf8_lossy_string()
        ));
    }
    Ok(())
}

/// `FluvioAdmin::create_with_config` with a `CommonCreateRequest`.
pub(crate) async fn create_with_config(t: &mut Transcript) -> anyhow::Result<()> {
    let admin = Fluvio::connect().await?.admin().await;
    let request = CommonCreateRequest {
        name: "with-config".to_string(),
        dry_run: false,
        timeout: Some(10_000),
    };
    admin
        .create_with_config(request, TopicSpec::new_computed(2, 1, None))
        .await?;
    let dry = CommonCreateRequest {
        name: "dry-run-only".to_string(),
        dry_run: true,
        ..Default::default()
    };
    admin
        .create_with_config(dry, TopicSpec::new_computed(1, 1, None))
        .await?;
    let mut names: Vec<String> = admin
        .all::<TopicSpec>()
        .await?
        .into_iter()
        .map(|m| m.name)
        .filter(|n| n == "with-config" || n == "dry-run-only")
        .collect();
    names.sort();
    t.push(format!("create_with_config: {names:?}"));
    Ok(())
}

/// What user code of the official client makes of a consumer stream's `ErrorCode`.
fn describe_code(r: &Result<(), ErrorCode>) -> String {
    match r {
        Ok(()) => "Ok".into(),
        Err(ErrorCode::OffsetManagementDisabled) => "OffsetManagementDisabled".into(),
        Err(ErrorCode::OffsetOutOfRange) => "OffsetOutOfRange".into(),
        Err(ErrorCode::Other(_)) => "Other".into(),
        Err(_) => "another ErrorCode".into(),
    }
}

/// The consumer stream's items and offset methods fail with an `ErrorCode`, matched as
/// such: `offset_commit` / `offset_flush` of a stream without a consumer id fail with
/// `OffsetManagementDisabled`, and the records come as `Result<Record, ErrorCode>`.
pub(crate) async fn stream_error_codes(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let config = ConsumerConfigExtBuilder::default()
        .topic("key-value")
        .partition(0)
        .offset_start(Offset::absolute(1)?)
        .disable_continuous(true)
        .build()?;
    let mut stream = fluvio.consumer_with_config(config).await?;
    let mut records = 0;
    loop {
        let item: Option<Result<Record, ErrorCode>> = stream.next().await;
        match item {
            Some(Ok(_)) => records += 1,
            Some(Err(ErrorCode::OffsetOutOfRange)) => {
                t.push("stream error codes: OffsetOutOfRange".into());
                break;
            }
            Some(Err(code)) => {
                t.push(format!("stream error codes: {}", describe_code(&Err(code))));
                break;
            }
            None => break,
        }
    }
    t.push(format!(
        "stream error codes: {records} records from offset 1"
    ));
    let commit = stream.offset_commit().await;
    t.push(format!(
        "stream error codes: offset_commit without a consumer id: {}",
        describe_code(&commit)
    ));
    let flush = stream.offset_flush().await;
    t.push(format!(
        "stream error codes: offset_flush without a consumer id: {}",
        describe_code(&flush)
    ));
    let negative = absolute_offset(-1);
    t.push(format!(
        "negative offset: {} ({})",
        describe(negative.as_ref().err()),
        negative
            .as_ref()
            .map_or_else(ToString::to_string, |_| "Ok".into())
    ));
    Ok(())
}

/// `Offset::absolute` in a function returning `FluvioError`, as user code writes it.
fn absolute_offset(index: i64) -> Result<Offset, FluvioError> {
    let offset = Offset::absolute(index)?;
    Ok(offset)
}
