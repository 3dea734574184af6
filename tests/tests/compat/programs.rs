//! Programs written against the official `fluvio` 0.50 API only (its docs and examples),
//! compiled twice: by `compat_official.rs` against the official crate and by
//! `compat_flv.rs` with `extern crate flv_tokio as fluvio`. Every `use fluvio::…` below is
//! what a user's program says; nothing here names flv.
//!
//! Each program appends what it observed to a transcript; both builds must write the same
//! transcript (`expected.txt`) against the mock cluster.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fluvio::consumer::{
    ConsumerConfigExtBuilder, ConsumerStream, OffsetManagementStrategy, RetryMode,
};
use fluvio::dataplane::types::PartitionId;
use fluvio::metadata::customspu::CustomSpuSpec;
use fluvio::metadata::objects::{ListFilter, ListRequest};
use fluvio::metadata::partition::PartitionSpec;
use fluvio::metadata::smartmodule::SmartModuleSpec;
use fluvio::metadata::spg::SpuGroupSpec;
use fluvio::metadata::spu::SpuSpec;
use fluvio::metadata::tableformat::TableFormatSpec;
use fluvio::metadata::topic::TopicSpec;
use fluvio::{
    Compression, DeliverySemantic, Fluvio, FluvioAdmin, FluvioConfig, Isolation, Offset,
    ProduceCompletionBatchEvent, ProducerCallback, RecordKey, RetryPolicy, SharedProducerCallback,
    TopicProducerConfigBuilder,
};
use fluvio::{Partitioner, PartitionerConfig};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;

#[path = "more.rs"]
mod more;

/// A runtime-neutral sleep handed in by the harness (for bounded polling only).
pub(crate) type Sleep = fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the programs observed, line by line.
pub(crate) type Transcript = Vec<String>;

/// Runs every program in order against the cluster at `sc_addr` (also the current profile).
pub(crate) async fn run_all(sc_addr: &str, sleep: Sleep) -> anyhow::Result<Transcript> {
    let mut t = Transcript::new();
    setup_topics(sc_addr, &mut t).await?;
    produce_simple(&mut t).await?;
    produce_batch(&mut t).await?;
    produce_key_value(&mut t).await?;
    consume_simple(&mut t).await?;
    echo(&mut t).await?;
    produce_with_every_option(sc_addr, &mut t).await?;
    custom_partitioner(&mut t).await?;
    callback_counts_records(&mut t, sleep).await?;
    offsets(&mut t).await?;
    consumer_offsets(&mut t).await?;
    admin_objects(sc_addr, &mut t).await?;
    more::errors(&mut t).await?;
    more::metrics(&mut t).await?;
    more::partition_consumer(&mut t).await?;
    more::create_with_config(&mut t).await?;
    more::record_references(&mut t).await?;
    more::stream_error_codes(&mut t).await?;
    Ok(t)
}

/// Topics of the example programs, made with the admin API (`FluvioAdmin::connect_with_config`).
async fn setup_topics(sc_addr: &str, t: &mut Transcript) -> anyhow::Result<()> {
    let admin = FluvioAdmin::connect_with_config(&FluvioConfig::new(sc_addr)).await?;
    for (name, partitions) in [
        ("simple", 1),
        ("batch", 1),
        ("key-value", 1),
        ("echo", 1),
        ("options", 1),
        ("alphabet", 3),
        ("callback", 2),
        ("offsets", 1),
    ] {
        admin
            .create(
                name.to_string(),
                false,
                TopicSpec::new_computed(partitions, 1, None),
            )
            .await?;
    }
    let fluvio = Fluvio::connect().await?;
    // The official client learns topics from its watch: wait until all are there.
    for name in [
        "simple",
        "batch",
        "key-value",
        "echo",
        "options",
        "alphabet",
    ] {
        loop {
            let topics = fluvio
                .admin()
                .await
                .list::<TopicSpec, String>(vec![name.to_string()])
                .await?;
            if topics.iter().any(|m| m.name == name) {
                break;
            }
        }
    }
    t.push("setup: 8 topics".into());
    Ok(())
}

/// The official client may not see a new topic at once: retry producer creation.
async fn producer_of(topic: &str) -> anyhow::Result<fluvio::TopicProducerPool> {
    let mut last = None;
    for _ in 0..500 {
        match fluvio::producer(topic).await {
            Ok(p) => return Ok(p),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or_else(|| anyhow::anyhow!("no producer"), Into::into))
}

/// examples/00-produce.
async fn produce_simple(t: &mut Transcript) -> anyhow::Result<()> {
    let producer = producer_of("simple").await?;
    let value = "Hello, Fluvio!";
    producer.send(RecordKey::NULL, value).await?;
    producer.flush().await?;
    t.push(format!("produce: {value}"));
    Ok(())
}

/// examples/01-produce-batch, with `send_all` and `ProduceOutput::wait`.
async fn produce_batch(t: &mut Transcript) -> anyhow::Result<()> {
    let producer = producer_of("batch").await?;
    for i in 0..5 {
        producer
            .send(i.to_string(), format!("This is record {i}"))
            .await?;
    }
    let outputs = producer
        .send_all((5..10).map(|i| (i.to_string(), format!("This is record {i}"))))
        .await?;
    producer.flush().await?;
    for out in outputs {
        let meta = out.wait().await?;
        t.push(format!(
            "batch: stored at partition {} offset {}",
            meta.partition_id(),
            meta.offset()
        ));
    }
    Ok(())
}

/// examples/01-produce-key-value.
async fn produce_key_value(t: &mut Transcript) -> anyhow::Result<()> {
    let producer = producer_of("key-value").await?;
    let (key, value) = ("Hello", "Fluvio");
    let out = producer.send(key, value).await?;
    producer.flush().await?;
    let meta = out.wait().await?;
    t.push(format!("[{key}] {value} at offset {}", meta.offset()));
    Ok(())
}

/// examples/02-consume, bounded by `disable_continuous`.
async fn consume_simple(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let mut stream = fluvio
        .consumer_with_config(
            ConsumerConfigExtBuilder::default()
                .topic("batch")
                .partition(0)
                .offset_start(Offset::beginning())
                .disable_continuous(true)
                .build()?,
        )
        .await?;
    while let Some(Ok(record)) = stream.next().await {
        t.push(format!(
            "consume: {} {:?} {}",
            record.offset(),
            record
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned()),
            record.get_value().as_utf8_lossy_string()
        ));
    }
    Ok(())
}

/// examples/03-echo: a producer and a consumer at once.
async fn echo(t: &mut Transcript) -> anyhow::Result<()> {
    let produce = async {
        let producer = producer_of("echo").await?;
        for i in 0..3u32 {
            producer
                .send(format!("Key {i}"), format!("Value {i}"))
                .await?;
        }
        producer.send(RecordKey::NULL, "Done!").await?;
        producer.flush().await?;
        anyhow::Ok(())
    };
    let consume = async {
        let profile = FluvioConfig::load_with_profile("compat")?;
        anyhow::ensure!(profile.is_some(), "the profile is there");
        let fluvio = Fluvio::connect_with_profile("compat").await?;
        let mut stream = fluvio
            .consumer_with_config(
                ConsumerConfigExtBuilder::default()
                    .topic("echo")
                    .partition(0)
                    .offset_start(Offset::beginning())
                    .build()?,
            )
            .await?;
        let mut seen = Vec::new();
        while let Some(Ok(record)) = stream.next().await {
            let key = record.get_key().map(|key| key.as_utf8_lossy_string());
            let value = record.get_value().as_utf8_lossy_string();
            seen.push(format!("echo: key={key:?}, value={value}"));
            if value == "Done!" {
                break;
            }
        }
        anyhow::Ok(seen)
    };
    let (produced, seen) = futures_util::future::join(produce, consume).await;
    produced?;
    t.extend(seen?);
    Ok(())
}

/// Every `TopicProducerConfigBuilder` option.
async fn produce_with_every_option(sc_addr: &str, t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect_with_config(&FluvioConfig::new(sc_addr)).await?;
    let config = TopicProducerConfigBuilder::default()
        .batch_size(1024)
        .max_request_size(1 << 20)
        .batch_queue_size(10)
        .linger(Duration::from_millis(1))
        .compression(Compression::Gzip)
        .timeout(Duration::from_secs(5))
        .isolation(Isolation::ReadUncommitted)
        .delivery_semantic(DeliverySemantic::AtLeastOnce(RetryPolicy::default()))
        .build()?;
    let producer = fluvio.topic_producer_with_config("options", config).await?;
    let out = producer.send("k", "gzip'd").await?;
    let meta = out.wait().await?;
    let at_most_once = TopicProducerConfigBuilder::default()
        .delivery_semantic(DeliverySemantic::AtMostOnce)
        .set_specific_partitioner(0)
        .build()?;
    let producer2 = fluvio
        .topic_producer_with_config("options", at_most_once)
        .await?;
    let meta2 = producer2
        .send(RecordKey::NULL, "once")
        .await?
        .wait()
        .await?;
    t.push(format!(
        "options: offsets {} {} partitions {} {}",
        meta.offset(),
        meta2.offset(),
        meta.partition_id(),
        meta2.partition_id()
    ));
    Ok(())
}

/// The partitioning example: a key of n letters goes to partition n % count.
#[derive(Default)]
struct AlphabetPartitioning;

impl Partitioner for AlphabetPartitioning {
    fn partition(
        &self,
        config: &PartitionerConfig,
        maybe_key: Option<&[u8]>,
        _value: &[u8],
    ) -> PartitionId {
        match maybe_key.map(std::str::from_utf8) {
            Some(Ok(key)) => key.chars().count() as u32 % config.partition_count(),
            _ => 0,
        }
    }
}

async fn custom_partitioner(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let config = TopicProducerConfigBuilder::default()
        .partitioner(Arc::new(AlphabetPartitioning))
        .build()?;
    let producer = fluvio
        .topic_producer_with_config("alphabet", config)
        .await?;
    let mut outs = Vec::new();
    for key in ["a", "bb", "ccc", "dddd", "eeeee"] {
        outs.push((key, producer.send(key, "v").await?));
    }
    producer.send(RecordKey::NULL, "no key").await?;
    producer.flush().await?;
    for (key, out) in outs {
        let meta = out.wait().await?;
        t.push(format!(
            "alphabet: {key} -> partition {} offset {}",
            meta.partition_id(),
            meta.offset()
        ));
    }
    Ok(())
}

/// Counts the records of the batches a producer stored.
#[derive(Debug, Default)]
struct Counter(AtomicU64);

impl ProducerCallback for Counter {
    fn finished(&self, event: ProduceCompletionBatchEvent) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.0.fetch_add(event.records_len, Ordering::SeqCst);
            Ok(())
        })
    }
}

async fn callback_counts_records(t: &mut Transcript, sleep: Sleep) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let counter = Arc::new(Counter::default());
    let callback: SharedProducerCallback = Arc::<Counter>::clone(&counter);
    let config = TopicProducerConfigBuilder::default()
        .callback(callback)
        .build()?;
    let producer = fluvio
        .topic_producer_with_config("callback", config)
        .await?;
    for i in 0..20 {
        producer.send(RecordKey::NULL, format!("r{i}")).await?;
    }
    producer.flush().await?;
    // Callbacks run after the acknowledgement: poll, bounded.
    for _ in 0..500 {
        if counter.0.load(Ordering::SeqCst) >= 20 {
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    t.push(format!(
        "callback: {} records",
        counter.0.load(Ordering::SeqCst)
    ));
    Ok(())
}

/// `Offset`'s constructors, and every `ConsumerConfigExtBuilder` option.
async fn offsets(t: &mut Transcript) -> anyhow::Result<()> {
    let config = FluvioConfig::load()?;
    let fluvio = Fluvio::connect_with_config(&config).await?;
    let producer = fluvio.topic_producer("offsets").await?;
    for i in 0..6 {
        producer.send(RecordKey::NULL, format!("o{i}")).await?;
    }
    producer.flush().await?;
    t.push(format!(
        "offsets: absolute(-1) is an error: {}",
        Offset::absolute(-1).is_err()
    ));
    for (name, offset) in [
        ("absolute(2)", Offset::absolute(2)?),
        ("beginning()", Offset::beginning()),
        ("from_beginning(4)", Offset::from_beginning(4)),
        ("from_end(2)", Offset::from_end(2)),
        ("end()", Offset::end()),
    ] {
        let mut stream = fluvio
            .consumer_with_config(
                ConsumerConfigExtBuilder::default()
                    .topic("offsets")
                    .offset_start(offset)
                    .disable_continuous(true)
                    .max_bytes(1 << 20)
                    .isolation(Isolation::ReadUncommitted)
                    .retry_mode(RetryMode::TryUntil(10))
                    .build()?,
            )
            .await?;
        let mut got = Vec::new();
        while let Some(record) = stream.next().await {
            let record = record?;
            got.push(format!(
                "{}={}",
                record.offset(),
                String::from_utf8_lossy(record.value())
            ));
        }
        t.push(format!("offsets: {name}: {}", got.join(" ")));
    }
    let missing = ConsumerConfigExtBuilder::default().topic("offsets").build();
    t.push(format!(
        "offsets: no offset_start is an error: {}",
        missing.is_err()
    ));
    Ok(())
}

/// Manual offset management, `offset_commit` / `offset_flush`, and the stored offsets.
async fn consumer_offsets(t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect().await?;
    let build = || {
        ConsumerConfigExtBuilder::default()
            .topic("offsets")
            .partition(0)
            .offset_consumer("compat-reader")
            .offset_start(Offset::beginning())
            .offset_strategy(OffsetManagementStrategy::Manual)
            .offset_flush(Duration::from_secs(60))
            .offset_flusher_check_period(Duration::from_millis(100))
            .disable_continuous(true)
            .build()
    };
    let mut stream = fluvio.consumer_with_config(build()?).await?;
    let mut read = 0;
    while let Some(record) = stream.next().await {
        let record = record?;
        read += 1;
        if record.offset() == 2 {
            stream.offset_commit().await?;
            stream.offset_flush().await?;
            break;
        }
    }
    drop(stream);
    let offsets = fluvio.consumer_offsets().await?;
    for o in offsets.iter().filter(|o| o.consumer_id == "compat-reader") {
        t.push(format!(
            "consumer offset: {} {}/{} at {} (after {read} records)",
            o.consumer_id, o.topic, o.partition, o.offset
        ));
    }
    // A new consumer with the same id resumes after the stored offset.
    let mut resumed = fluvio.consumer_with_config(build()?).await?;
    if let Some(record) = resumed.next().await {
        t.push(format!("consumer offset: resumed at {}", record?.offset()));
    }
    drop(resumed);
    fluvio
        .delete_consumer_offset("compat-reader", ("offsets".to_string(), 0))
        .await?;
    let left = fluvio
        .consumer_offsets()
        .await?
        .into_iter()
        .filter(|o| o.consumer_id == "compat-reader")
        .count();
    t.push(format!("consumer offset: {left} left after delete"));
    let no_id = ConsumerConfigExtBuilder::default()
        .topic("offsets")
        .offset_start(Offset::beginning())
        .offset_strategy(OffsetManagementStrategy::Auto)
        .build();
    t.push(format!(
        "consumer offset: a strategy without an id is an error: {}",
        no_id.is_err()
    ));
    Ok(())
}

/// The async admin: create, list, list_with_params, watch, delete, partitions and SPUs.
async fn admin_objects(sc_addr: &str, t: &mut Transcript) -> anyhow::Result<()> {
    let fluvio = Fluvio::connect_with_config(&FluvioConfig::new(sc_addr)).await?;
    let version = fluvio.platform_version();
    t.push(format!("platform: {version} (major {})", version.major));
    let admin = fluvio.admin().await;
    let mut watch = admin.watch::<TopicSpec>().await?;
    let first = watch.next().await;
    let synced = match first {
        Some(Ok(update)) => update.inner().all.len(),
        _ => 0,
    };
    t.push(format!("admin: watch starts with {synced} topics"));
    admin
        .create(
            "admin-made".to_string(),
            false,
            TopicSpec::new_computed(2, 1, None),
        )
        .await?;
    let dry = admin
        .create(
            "admin-dry".to_string(),
            true,
            TopicSpec::new_computed(1, 1, None),
        )
        .await;
    t.push(format!("admin: dry run ok: {}", dry.is_ok()));
    let mut names: Vec<(String, u32)> = admin
        .list::<TopicSpec, String>(vec![])
        .await?
        .into_iter()
        .map(|m| (m.name, m.spec.partitions()))
        .collect();
    names.sort();
    t.push(format!("admin: topics {names:?}"));
    let filtered = admin
        .list_with_params::<TopicSpec, String>(vec!["admin-made".to_string()], false)
        .await?;
    t.push(format!(
        "admin: filtered {:?}",
        filtered.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()
    ));
    let mut partitions: Vec<String> = admin
        .list::<PartitionSpec, String>(vec![])
        .await?
        .into_iter()
        .map(|m| m.name)
        .filter(|n| n.starts_with("admin-made"))
        .collect();
    partitions.sort();
    t.push(format!("admin: partitions {partitions:?}"));
    let system = admin
        .list_with_config::<TopicSpec, String>(
            ListRequest::new(Vec::<ListFilter>::new(), false).system(true),
        )
        .await?;
    let mut system: Vec<(String, bool)> = system
        .into_iter()
        .map(|m| (m.name, m.spec.is_system()))
        .collect();
    system.sort();
    t.push(format!("admin: system topics {system:?}"));
    let spus = admin.list::<SpuSpec, String>(vec![]).await?;
    t.push(format!("admin: {} spus", spus.len()));
    t.push(format!(
        "admin: {} custom spus, {} spu groups, {} smartmodules, {} table formats",
        admin.list::<CustomSpuSpec, String>(vec![]).await?.len(),
        admin.list::<SpuGroupSpec, String>(vec![]).await?.len(),
        admin
            .list_with_params::<SmartModuleSpec, String>(vec![], true)
            .await?
            .len(),
        admin.all::<TableFormatSpec>().await?.len(),
    ));
    let mut spu_watch = admin.watch::<SpuSpec>().await?;
    if let Some(update) = spu_watch.next().await {
        t.push(format!(
            "admin: spu watch starts with {}",
            update?.inner().all.len()
        ));
    }
    let mut partition_watch = admin.watch::<PartitionSpec>().await?;
    if let Some(update) = partition_watch.next().await {
        let all = update?.inner().all;
        let made = all
            .iter()
            .filter(|m| m.name.starts_with("admin-made"))
            .count();
        t.push(format!(
            "admin: partition watch starts with {made} of admin-made"
        ));
    }
    admin.delete::<TopicSpec>("admin-made").await?;
    let after = admin
        .list::<TopicSpec, String>(vec!["admin-made".to_string()])
        .await?;
    t.push(format!("admin: after delete {}", after.len()));
    let missing = admin.delete::<TopicSpec>("never-made").await;
    t.push(format!(
        "admin: delete of a missing topic fails: {}",
        missing.is_err()
    ));
    Ok(())
}
