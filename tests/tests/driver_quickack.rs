//! The driver takes its sockets out of delayed-ACK mode after every read (see
//! `flv_driver::runtime::Runtime::quickack`): a runtime that counts the calls sees one per
//! read, on every connection, while a client produces and consumes through the mock cluster.

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use flv_driver::config::ClusterConfig;
use flv_driver::core::sc::topic::TopicSpec;
use flv_driver::runtime::Runtime;
use flv_driver::{ConsumerConfig, Fluvio, Offset, RecordKey};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tokio::{Tokio, TokioTcp};
use futures_util::StreamExt;

/// Tokio, recording the local port of each socket `quickack` is called on.
#[derive(Clone)]
struct Counting {
    inner: Tokio,
    ports: Arc<Mutex<Vec<u16>>>,
}

impl Runtime for Counting {
    type Tcp = TokioTcp;
    type Sleep = <Tokio as Runtime>::Sleep;

    fn resolve(&self, host_port: &str) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        self.inner.resolve(host_port)
    }

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Tcp>> + Send {
        self.inner.connect(addr)
    }

    fn sleep_until(&self, deadline: Instant) -> Self::Sleep {
        self.inner.sleep_until(deadline)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.inner.spawn(task)
    }

    fn quickack(&self, tcp: &Self::Tcp) -> io::Result<()> {
        let port = tcp.get_ref().local_addr()?.port();
        self.ports.lock().expect("ports").push(port);
        self.inner.quickack(tcp)
    }
}

/// Creates `topic`, produces `count` records of `size` bytes and reads them back from the
/// beginning: every offset in order, every value whole.
async fn round_trip<R: Runtime>(fluvio: &Fluvio<R>, topic: &str, count: i64, size: usize) {
    fluvio
        .admin()
        .create(topic, false, TopicSpec::computed(1, 1))
        .await
        .expect("create topic");
    let producer = fluvio.topic_producer(topic).await.expect("producer");
    let value = vec![7u8; size];
    for _ in 0..count {
        let _queued = producer
            .send(RecordKey::NULL, value.clone())
            .await
            .expect("send");
    }
    producer.flush().await.expect("flush");
    let mut stream = fluvio
        .consumer_with_config(ConsumerConfig::new(topic, Offset::beginning()))
        .await
        .expect("consumer");
    for want in 0..count {
        let r = stream.next().await.expect("record").expect("no error");
        assert_eq!(r.offset, want);
        assert_eq!(r.value.len(), size);
    }
}

#[test]
fn every_connection_is_quickacked_after_reads() {
    let mock = MockClusterServer::start(ServerOptions::default()).expect("mock cluster");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ports = Arc::new(Mutex::new(Vec::new()));
    let rt = Counting {
        inner: Tokio::new(runtime.handle().clone()),
        ports: Arc::clone(&ports),
    };
    runtime.block_on(async {
        let fluvio = Fluvio::connect_with_runtime(rt, &ClusterConfig::new(mock.sc_addr()))
            .await
            .expect("connect");
        round_trip(&fluvio, "quickack", 100, 1).await;
        fluvio.close().await.expect("close");
    });
    let ports = ports.lock().expect("ports");
    let distinct: BTreeSet<u16> = ports.iter().copied().collect();
    // The SC connection and the SPU connection of the partition's leader read answers.
    assert!(
        distinct.len() >= 2,
        "quickack on {} socket(s) only: {distinct:?}",
        distinct.len()
    );
    assert!(ports.len() >= 4, "{} quickack calls", ports.len());
}

/// A mock whose SPUs write like a real SPU (no `TCP_NODELAY`, 64 KiB pieces) serves a
/// catch-up read of several `max_bytes` responses whole and in order.
#[test]
fn catch_up_read_from_spus_that_write_like_real_ones() {
    let mock = MockClusterServer::start(ServerOptions {
        real_spu_writes: true,
        ..ServerOptions::default()
    })
    .expect("mock cluster");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let fluvio = flv_tokio::Fluvio::connect_with_runtime(
            Tokio::new(runtime.handle().clone()),
            &ClusterConfig::new(mock.sc_addr()),
        )
        .await
        .expect("connect");
        round_trip(&fluvio, "nagle", 5000, 1000).await;
        fluvio.close().await.expect("close");
    });
}
