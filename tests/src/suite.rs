//! The end-to-end suite of the user API, written once over [`Runtime`] and run on every
//! runtime (`tests/tests/api_{tokio,smol,async_std}.rs`) with [`api_suite!`](crate::api_suite).
//!
//! Every case talks to a [`MockClusterServer`] over real loopback TCP (or TLS). Nothing
//! sleeps to synchronise: waits are on conditions, each bounded by [`with_timeout`], so a
//! hang fails the test.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

mod admin;
mod batch;
mod data;
mod failover;
mod sockets;
mod tls;

use flv_driver::ProduceOutput;
use flv_driver::config::ClusterConfig;
use flv_driver::{
    BackoffConfig, ClientConfig, ConsumerConfig, ConsumerRecord, ConsumerStream, Fluvio,
    ProducerConfig, RecordKey, RecordMetadata, Runtime, TopicProducer, TopicSpec,
};
use flv_mock_cluster::{MockClusterServer, ServerOptions, TlsOptions};
use flv_test_support::Pki;
use futures_util::StreamExt;
use futures_util::future::{Either, select};

/// The bound of any one wait of the suite.
pub const STEP: Duration = Duration::from_secs(20);

/// Runs `fut`, failing the test if it takes longer than `limit`.
pub async fn with_timeout<R: Runtime, T>(
    rt: &R,
    limit: Duration,
    what: &str,
    fut: impl Future<Output = T>,
) -> T {
    let sleep = rt.sleep_until(Instant::now() + limit);
    match select(pin!(fut), sleep).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

/// A plain TCP mock cluster with `spus` SPUs.
pub fn cluster(spus: usize) -> MockClusterServer {
    MockClusterServer::start(ServerOptions {
        spus,
        ..ServerOptions::default()
    })
    .expect("mock cluster starts")
}

/// Client settings for tests: quick reconnects, short timeouts.
pub fn client_config() -> ClientConfig {
    ClientConfig {
        seed: 7,
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(10),
        metadata_timeout: Duration::from_secs(10),
        reconnect_backoff: BackoffConfig {
            min: Duration::from_millis(20),
            max: Duration::from_millis(500),
            factor: 2.0,
            jitter: 0.2,
        },
        ..ClientConfig::default()
    }
}

/// Connects to `server` with [`client_config`].
pub async fn connect<R: Runtime>(rt: &R, server: &MockClusterServer) -> Fluvio<R> {
    connect_to(rt, &ClusterConfig::new(server.sc_addr())).await
}

/// Connects to a cluster with [`client_config`].
pub async fn connect_to<R: Runtime>(rt: &R, cluster: &ClusterConfig) -> Fluvio<R> {
    with_timeout(
        rt,
        STEP,
        "connect",
        Fluvio::connect_with_client_config(rt.clone(), cluster, client_config()),
    )
    .await
    .expect("connects")
}

/// Creates a topic of `partitions` partitions, replicated `replication` times.
pub async fn create_topic<R: Runtime>(
    rt: &R,
    fluvio: &Fluvio<R>,
    name: &str,
    partitions: u32,
    replication: u32,
) {
    with_timeout(
        rt,
        STEP,
        "create topic",
        fluvio
            .admin()
            .create(name, false, TopicSpec::computed(partitions, replication)),
    )
    .await
    .expect("topic created");
}

/// Sends `n` records (`value-{i}`, keys `key-{i % 7}` when `keys`), then flushes and waits
/// for every acknowledgement; returns the acknowledgements in send order.
pub async fn produce<R: Runtime>(
    rt: &R,
    producer: &TopicProducer,
    n: usize,
    keys: bool,
) -> Vec<RecordMetadata> {
    let mut outputs = Vec::with_capacity(n);
    for i in 0..n {
        let key = if keys {
            RecordKey::from(format!("key-{}", i % 7))
        } else {
            RecordKey::NULL
        };
        let out = with_timeout(rt, STEP, "send", producer.send(key, value(i)))
            .await
            .expect("send");
        outputs.push(out);
    }
    with_timeout(rt, STEP, "flush", producer.flush())
        .await
        .expect("flush");
    let mut acks = Vec::with_capacity(n);
    for out in outputs {
        acks.push(
            with_timeout(rt, STEP, "ack", out.wait())
                .await
                .expect("stored"),
        );
    }
    acks
}

/// The value of record `i`.
pub fn value(i: usize) -> String {
    format!("value-{i:06}")
}

/// The index of a value made by [`value`].
pub fn index_of(v: &[u8]) -> usize {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.strip_prefix("value-"))
        .and_then(|s| s.parse().ok())
        .expect("a suite value")
}

/// A mutual-TLS mock cluster of two SPUs serving `pki`'s server certificate.
pub fn tls_cluster(pki: &Pki) -> MockClusterServer {
    MockClusterServer::start(ServerOptions {
        spus: 2,
        tls: Some(TlsOptions {
            cert_pem: pki.server_cert.clone(),
            key_pem: pki.server_key.clone(),
        }),
        tls_client_ca: Some(pki.ca.clone()),
        ..ServerOptions::default()
    })
    .expect("TLS mock cluster starts")
}

/// Waits for every record of `outs`, in order: where each was stored, or the error text.
pub async fn acks(outs: Vec<ProduceOutput>) -> Vec<Result<RecordMetadata, String>> {
    let mut acks = Vec::with_capacity(outs.len());
    for out in outs {
        acks.push(out.wait().await.map_err(|e| e.to_string()));
    }
    acks
}

/// Reads `stream` on, after the `records` it delivered so far, up to the high watermark
/// of partition 0 of `topic`, and checks that the log came whole: every offset once, in
/// order.
pub async fn read_to_high_watermark<R: Runtime>(
    rt: &R,
    server: &MockClusterServer,
    topic: &str,
    stream: &mut ConsumerStream,
    records: &mut Vec<ConsumerRecord>,
) {
    let hw = server.high_watermark(topic, 0).expect("hw") as usize;
    let more = consume(rt, stream, hw - records.len()).await;
    records.extend(more);
    let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
    assert_eq!(
        offsets,
        (0..hw as i64).collect::<Vec<_>>(),
        "every offset once, in order"
    );
}

/// Checks every acknowledgement against the log `records` (read from offset 0): record
/// `i` succeeded, the record at its offset holds value `i`, and no offset was
/// acknowledged twice. Returns the acknowledged offsets.
pub fn check_acks(
    acks: &[Result<RecordMetadata, String>],
    records: &[ConsumerRecord],
) -> BTreeSet<i64> {
    let mut acked = BTreeSet::new();
    for (i, ack) in acks.iter().enumerate() {
        let ack = ack
            .as_ref()
            .unwrap_or_else(|e| panic!("record {i} failed: {e}"));
        let at = &records[ack.offset as usize];
        assert_eq!(
            index_of(&at.value),
            i,
            "acknowledged record {i} at offset {}",
            ack.offset
        );
        assert!(
            acked.insert(ack.offset),
            "two acknowledgements for offset {}",
            ack.offset
        );
    }
    acked
}

/// Takes `n` records from `stream`.
pub async fn consume<R: Runtime>(
    rt: &R,
    stream: &mut ConsumerStream,
    n: usize,
) -> Vec<ConsumerRecord> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let r = with_timeout(rt, STEP, "next record", stream.next())
            .await
            .unwrap_or_else(|| panic!("stream ended after {} of {n} records", out.len()))
            .expect("record");
        out.push(r);
    }
    out
}

/// A consumer of `topic` from `offset`.
pub async fn consumer<R: Runtime>(
    rt: &R,
    fluvio: &Fluvio<R>,
    config: ConsumerConfig,
) -> ConsumerStream {
    with_timeout(rt, STEP, "consumer", fluvio.consumer_with_config(config))
        .await
        .expect("consumer")
}

/// A producer of `topic`.
pub async fn producer<R: Runtime>(
    rt: &R,
    fluvio: &Fluvio<R>,
    topic: &str,
    config: ProducerConfig,
) -> TopicProducer {
    with_timeout(
        rt,
        STEP,
        "producer",
        fluvio.topic_producer_with_config(topic, config),
    )
    .await
    .expect("producer")
}

pub use admin::*;
pub use batch::*;
pub use data::*;
pub use failover::*;
pub use sockets::*;
pub use tls::*;

/// Defines one `#[test]` per suite case, each run through `$run`, a function that runs an
/// async test on a runtime: `fn run<F, Fut>(test: F) where F: FnOnce(R) -> Fut, Fut: Future<Output = ()>`.
#[macro_export]
macro_rules! api_suite {
    ($run:path) => {
        $crate::api_suite!(@each $run;
            admin_round_trip,
            admin_errors,
            watch_topics,
            produce_consume_at_least_once_keys_uncommitted,
            produce_consume_at_most_once_no_keys_committed,
            produce_consume_at_least_once_no_keys_committed,
            produce_consume_at_most_once_keys_uncommitted,
            compression_codecs,
            multi_partition,
            sink_send_all_and_batches,
            send_batch_order_and_acks,
            send_batch_custom_partitioner,
            consumer_offsets_manual_resume,
            consumer_offsets_auto_resume,
            catch_up_across_max_bytes_cuts,
            one_shot_fetch,
            back_pressure,
            two_clusters,
            drop_flushes_and_closes,
            connect_refused,
            leader_stopped_mid_stream,
            socket_reset_mid_stream,
            socket_sc_half_open,
            socket_short_writes,
            socket_slow_spu,
            tls_verified_round_trip,
            tls_wrong_ca,
            tls_wrong_server_name,
            tls_missing_client_certificate,
            tls_client_certificate_rejected,
            tls_certificate_rotation,
            tls_rotation_to_unknown_ca,
            tls_failure_then_close_reports_its_own_cause,
        );
    };
    (@each $run:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $run(|rt| $crate::suite::$name(rt));
            }
        )*
    };
}
