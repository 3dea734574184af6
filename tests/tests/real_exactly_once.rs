//! A real Fluvio cluster keeps the producer id, epoch and first sequence of the batches
//! an exactly-once flv producer stamps, and both flv and the official consumer read the
//! stamped batches normally (issue 15); a read-committed produce with a follower killed
//! fails at its delivery timeout with `NotCommitted` naming that follower, and leaves one
//! copy of its batch. Outside CI: it needs a `fluvio-run` binary
//! (`FLUVIO_RUN=path/to/fluvio-run`) and skips, saying why, without one. The mock's side
//! of the same checks runs in CI (`sim_exactly_once`, `fault_sim`).

use std::time::{Duration, Instant};

use flv_driver::core::client::ClientError;
use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::{Isolation, ProducerConfig, RecordKey};
use flv_tests::real_cluster::{RealCluster, fluvio_run_path, wait_partitions_online};
use futures_util::StreamExt;

const RECORDS: usize = 50;

#[test]
fn a_real_spu_stores_stamped_batches_as_sent() {
    let Some(bin) = fluvio_run_path(None) else {
        eprintln!("skipped: FLUVIO_RUN is not set (a real cluster needs a fluvio-run binary)");
        return;
    };
    let cluster = RealCluster::start(&bin, 1).expect("real cluster starts");
    let flv = cluster.connect().expect("flv connects");
    let headers = cluster.block_on(async {
        flv.admin()
            .create("stamped".to_string(), false, TopicSpec::computed(1, 1))
            .await
            .expect("topic created");
        wait_partitions_online(&flv, "stamped", Duration::from_secs(60))
            .await
            .expect("topic online");
        let config = ProducerConfig {
            batch_size: 200,
            ..ProducerConfig::default()
        };
        let producer = flv
            .topic_producer_with_config("stamped", config)
            .await
            .expect("producer");
        let mut outs = Vec::new();
        for i in 0..RECORDS {
            let v = format!("record-{i:04}");
            outs.push(producer.send(RecordKey::NULL, v).await.expect("send"));
        }
        producer.flush().await.expect("flush");
        for o in outs {
            o.wait().await.expect("delivered");
        }
        let out = flv.fetch("stamped", 0, 0, 1 << 20).await.expect("fetch");
        assert_eq!(out.records.len(), RECORDS, "flv reads every record");
        for (i, r) in out.records.iter().enumerate() {
            assert_eq!(r.value.as_ref(), format!("record-{i:04}").as_bytes());
        }
        out.batches
            .iter()
            .map(|b| b.header().clone())
            .collect::<Vec<_>>()
    });
    assert!(headers.len() > 1, "several batches: {}", headers.len());
    let id = headers[0].producer_id;
    assert!(id >= 0, "a 63-bit producer id, not -1");
    for (i, h) in headers.iter().enumerate() {
        assert_eq!(
            (h.producer_id, h.producer_epoch, h.first_sequence),
            (id, 0, i as i32),
            "batch {i} stored as sent"
        );
    }
    println!(
        "real SPU: {} batches stored with producer id {id:#x}, epoch 0, sequences 0..{}",
        headers.len(),
        headers.len()
    );
    // The official consumer reads the stamped batches normally.
    let values = fluvio_future::task::run_block_on(async {
        let fluvio = fluvio::Fluvio::connect_with_config(&fluvio::FluvioClusterConfig::new(
            cluster.sc_addr(),
        ))
        .await
        .expect("official client connects");
        let config = fluvio::consumer::ConsumerConfigExt::builder()
            .topic("stamped")
            .partition(0)
            .offset_start(fluvio::Offset::beginning())
            .disable_continuous(true)
            .build()
            .expect("consumer config");
        let mut stream = fluvio
            .consumer_with_config(config)
            .await
            .expect("official consumer");
        let mut values = Vec::new();
        while let Some(r) = stream.next().await {
            let r = r.expect("record");
            values.push(String::from_utf8_lossy(r.value()).into_owned());
        }
        values
    });
    let want: Vec<String> = (0..RECORDS).map(|i| format!("record-{i:04}")).collect();
    assert_eq!(values, want, "the official consumer reads every record");
}

/// Records of the read-committed produce with a follower down.
const RC_RECORDS: usize = 10;
/// Its delivery timeout.
const RC_TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn a_read_committed_produce_with_a_follower_killed_fails_not_committed_with_one_copy() {
    let Some(bin) = fluvio_run_path(None) else {
        eprintln!("skipped: FLUVIO_RUN is not set (a real cluster needs a fluvio-run binary)");
        return;
    };
    let mut cluster = RealCluster::start(&bin, 3).expect("real cluster starts");
    let flv = cluster.connect().expect("flv connects");
    cluster.block_on(async {
        flv.admin()
            .create("rc".to_string(), false, TopicSpec::computed(1, 3))
            .await
            .expect("topic created");
        wait_partitions_online(&flv, "rc", Duration::from_secs(60))
            .await
            .expect("topic online");
    });
    let (leader, replicas) = flv.with_metadata(|m| {
        (
            m.leader("rc", 0),
            m.partition("rc", 0)
                .map(|p| p.spec.replicas.clone())
                .unwrap_or_default(),
        )
    });
    let leader = leader.expect("the partition has a leader");
    assert_eq!(replicas.len(), 3, "replication 3: {replicas:?}");
    let victim = replicas
        .iter()
        .copied()
        .find(|r| *r != leader)
        .expect("a follower");
    let index = (1..=cluster.spus())
        .find(|i| cluster.spu_id(*i) == victim)
        .expect("the follower is one of the cluster's SPUs");
    cluster.kill_spu(index).expect("kill -9 of the follower");

    let started = Instant::now();
    let (outcomes, log) = cluster.block_on(async {
        let config = ProducerConfig {
            isolation: Isolation::ReadCommitted,
            delivery_timeout: RC_TIMEOUT,
            ..ProducerConfig::default()
        };
        assert!(config.exactly_once, "exactly-once is on by default");
        let producer = flv
            .topic_producer_with_config("rc", config)
            .await
            .expect("producer");
        let mut outs = Vec::new();
        for i in 0..RC_RECORDS {
            let v = format!("rc-{i:02}");
            outs.push(producer.send(RecordKey::NULL, v).await.expect("send"));
        }
        // The flush reports the failure too; the outcomes say which.
        let _ = producer.flush().await;
        let mut outcomes = Vec::new();
        for o in outs {
            outcomes.push(o.wait().await);
        }
        let log = flv.fetch("rc", 0, 0, 1 << 20).await.expect("fetch");
        (outcomes, log)
    });
    let elapsed = started.elapsed();
    let named = format!("SPU {victim} ");
    for (i, o) in outcomes.iter().enumerate() {
        let e = match o {
            Ok(m) => panic!("record {i} acknowledged ({m:?}) with a replica down"),
            Err(e) => e,
        };
        match e.client_error() {
            Some(ClientError::NotCommitted {
                partition: 0,
                offset,
                replicas,
            }) => {
                assert!(
                    replicas.contains(&named),
                    "record {i}: {e} does not name the killed follower ({named})"
                );
                assert_eq!(*offset, 0, "record {i}: the batch is the first of the log");
            }
            _ => panic!("record {i}: {e} is not NotCommitted"),
        }
    }
    // Bounded by the delivery timeout (plus one request timeout and slack), not the
    // 148 s of resends measured before exactly-once.
    assert!(
        elapsed >= RC_TIMEOUT - Duration::from_secs(1)
            && elapsed < RC_TIMEOUT + Duration::from_secs(10),
        "failed after {elapsed:?}, delivery timeout {RC_TIMEOUT:?}"
    );
    // The leader's log holds exactly one copy of the batch.
    let values: Vec<String> = log
        .records
        .iter()
        .map(|r| String::from_utf8_lossy(r.value.as_ref()).into_owned())
        .collect();
    let want: Vec<String> = (0..RC_RECORDS).map(|i| format!("rc-{i:02}")).collect();
    assert_eq!(values, want, "one copy of the batch in the leader's log");
    println!(
        "real cluster: {RC_RECORDS} read-committed records, follower SPU {victim} killed: NotCommitted after {elapsed:?} ({}), {} records in the log",
        outcomes[0]
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default(),
        values.len()
    );
}
