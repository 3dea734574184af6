//! A real Fluvio cluster keeps the producer id, epoch and first sequence of the batches
//! an exactly-once flv producer stamps, and both flv and the official consumer read the
//! stamped batches normally (issue 15). Outside CI: it needs a `fluvio-run` binary
//! (`FLUVIO_RUN=path/to/fluvio-run`) and skips, saying why, without one. The mock's side
//! of the same check runs in CI (`sim_exactly_once`).

use std::time::Duration;

use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::{ProducerConfig, RecordKey};
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
