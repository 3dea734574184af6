//! The end-to-end suite of the user API, written once over [`Runtime`] and run on every
//! runtime (`tests/tests/api_{tokio,smol,async_std}.rs`) with [`api_suite!`](crate::api_suite).
//!
//! Every case talks to a [`MockClusterServer`] over real loopback TCP (or TLS). Nothing
//! sleeps to synchronise: waits are on conditions, each bounded by [`with_timeout`], so a
//! hang fails the test.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use flv_driver::config::ClusterConfig;
use flv_driver::core::client::{BackoffConfig, ClientConfig};
use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::{ConsumerConfig, Fluvio, Offset, Runtime};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
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

/// Admin create, list, duplicate create, delete; produce 1000 records and consume them back.
pub async fn milestone_round_trip<R: Runtime>(rt: R) {
    let server = cluster(2);
    let fluvio = connect(&rt, &server).await;
    let admin = fluvio.admin();
    create_topic(&rt, &fluvio, "m1", 1, 1).await;
    let topics = with_timeout(&rt, STEP, "list", admin.list::<TopicSpec, &str>(vec!["m1"]))
        .await
        .expect("list");
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name, "m1");

    let producer = with_timeout(&rt, STEP, "producer", fluvio.topic_producer("m1"))
        .await
        .expect("producer");
    let mut outputs = Vec::new();
    for i in 0..1000u32 {
        let out = with_timeout(
            &rt,
            STEP,
            "send",
            producer.send(flv_driver::RecordKey::NULL, format!("value-{i}")),
        )
        .await
        .expect("send");
        outputs.push(out);
    }
    with_timeout(&rt, STEP, "flush", producer.flush())
        .await
        .expect("flush");
    for (i, out) in outputs.into_iter().enumerate() {
        let md = with_timeout(&rt, STEP, "wait", out.wait())
            .await
            .expect("stored");
        assert_eq!(md.partition, 0);
        assert_eq!(md.offset, i as i64);
    }

    let mut stream = with_timeout(
        &rt,
        STEP,
        "consumer",
        fluvio.consumer_with_config(ConsumerConfig::new("m1", Offset::beginning())),
    )
    .await
    .expect("consumer");
    for i in 0..1000i64 {
        let r = with_timeout(&rt, STEP, "record", stream.next())
            .await
            .expect("a record")
            .expect("no error");
        assert_eq!(r.offset, i);
        assert_eq!(&r.value[..], format!("value-{i}").as_bytes());
    }
    drop(stream);
    with_timeout(&rt, STEP, "delete", admin.delete::<TopicSpec>("m1"))
        .await
        .expect("delete");
    let topics = with_timeout(&rt, STEP, "list", admin.all::<TopicSpec>())
        .await
        .expect("list");
    assert!(topics.iter().all(|t| t.name != "m1"));
    with_timeout(&rt, STEP, "close", fluvio.close())
        .await
        .expect("close");
}

/// Defines one `#[test]` per suite case, each run through `$run`, a function that runs an
/// async test on a runtime: `fn run<F, Fut>(test: F) where F: FnOnce(R) -> Fut, Fut: Future<Output = ()>`.
#[macro_export]
macro_rules! api_suite {
    ($run:path) => {
        $crate::api_suite!(@each $run;
            milestone_round_trip,
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
