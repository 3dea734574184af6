//! Faults of real loopback sockets: connections reset mid-stream, a half-open SC (through
//! the [`FaultProxy`](crate::proxy::FaultProxy)), SC traffic in 1-byte writes, and an SPU
//! slower than the request timeout.

use std::collections::BTreeSet;
use std::time::Duration;

use flv_driver::config::{ClusterConfig, TlsCerts, TlsConfig, TlsPolicy};
use flv_driver::{
    ClientConfig, ConsumerConfig, Error, Fluvio, Offset, ProducerConfig, RecordKey, Runtime,
    TlsFailure, TopicSpec,
};
use flv_mock_cluster::{MockClusterServer, ServerId};
use flv_test_support::{DOMAIN, Pki};

use super::{
    STEP, acks, check_acks, client_config, cluster, connect, connect_to, consume, consumer,
    create_topic, index_of, produce, producer, read_to_high_watermark, tls_cluster, value,
    with_timeout,
};
use crate::proxy::FaultProxy;

/// Connects to `addr` with `config`.
async fn connect_with<R: Runtime>(rt: &R, addr: &str, config: ClientConfig) -> Fluvio<R> {
    with_timeout(
        rt,
        STEP,
        "connect",
        Fluvio::connect_with_client_config(rt.clone(), &ClusterConfig::new(addr), config),
    )
    .await
    .expect("connects")
}

/// Short timeouts, so that a silent peer is detected quickly.
fn short_timeouts() -> ClientConfig {
    ClientConfig {
        request_timeout: Duration::from_millis(800),
        metadata_timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(800),
        ..client_config()
    }
}

/// The leader SPU's connections are reset while a producer and a consumer run: every
/// acknowledged record is in the log at its offset, nothing is lost, the consumer
/// delivers every offset once, in order.
pub async fn socket_reset_mid_stream<R: Runtime>(rt: R) {
    const N: usize = 3_000;
    let server = cluster(1);
    let fluvio = connect(&rt, &server).await;
    create_topic(&rt, &fluvio, "reset", 1, 1).await;
    let leader = server.partition_leader("reset", 0).expect("leader");
    let p = producer(&rt, &fluvio, "reset", ProducerConfig::default()).await;
    let (done_tx, done_rx) = async_channel::bounded(1);
    let (go_tx, go_rx) = async_channel::bounded::<()>(1);
    {
        let rt2 = rt.clone();
        rt.spawn(async move {
            let mut outs = Vec::new();
            for i in 0..N {
                if i == N / 2 {
                    // The second half goes out after the reset.
                    let _ = go_rx.recv().await;
                }
                let out = with_timeout(&rt2, STEP, "send", p.send(RecordKey::NULL, value(i)))
                    .await
                    .expect("send");
                outs.push(out);
            }
            let _ = done_tx.send(acks(outs).await).await;
        });
    }
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("reset", Offset::beginning()),
    )
    .await;
    let mut records = consume(&rt, &mut stream, 500).await;
    server.drop_connections(ServerId::Spu(leader));
    go_tx.send(()).await.expect("producer running");
    let acks = with_timeout(&rt, STEP * 2, "producer", done_rx.recv())
        .await
        .expect("acks");
    read_to_high_watermark(&rt, &server, "reset", &mut stream, &mut records).await;
    check_acks(&acks, &records);
    let distinct: BTreeSet<usize> = records.iter().map(|r| index_of(&r.value)).collect();
    assert_eq!(distinct, (0..N).collect(), "no record lost");
    let m = fluvio.metrics();
    assert!(m.client.connection_failures >= 1, "{m:?}");
}

/// Creates topics `after-heal-{k}` until one is created (each attempt bounded by the
/// client's own timeouts; a fresh name each time, as a timed-out attempt may still land).
async fn create_until_ok<R: Runtime>(rt: &R, fluvio: &Fluvio<R>) {
    with_timeout(rt, STEP, "create after heal", async {
        for k in 0.. {
            let name = format!("after-heal-{k}");
            if fluvio
                .admin()
                .create(&name, false, TopicSpec::computed(1, 1))
                .await
                .is_ok()
            {
                return;
            }
        }
    })
    .await;
}

/// The SC goes silent without closing (half-open): requests fail with the client's
/// timeout instead of hanging, and the client recovers once the path is healed.
pub async fn socket_sc_half_open<R: Runtime>(rt: R) {
    let server = cluster(1);
    let proxy = FaultProxy::start(server.sc_addr()).expect("proxy");
    let fluvio = connect_with(&rt, proxy.addr(), short_timeouts()).await;
    create_topic(&rt, &fluvio, "half-open", 1, 1).await;
    let before = proxy.accepted();
    proxy.black_hole(true);
    // Listing is served from the client's metadata cache; creating asks the SC.
    let err = with_timeout(
        &rt,
        STEP,
        "create while black-holed",
        fluvio
            .admin()
            .create("during", false, TopicSpec::computed(1, 1)),
    )
    .await;
    assert!(err.is_err(), "a black-holed SC answered: {err:?}");
    proxy.black_hole(false);
    create_until_ok(&rt, &fluvio).await;
    assert!(
        proxy.accepted() > before,
        "the client reconnected to the SC"
    );
    let m = fluvio.metrics();
    assert!(m.client.connection_failures >= 1, "{m:?}");
    // Data still flows.
    let p = producer(&rt, &fluvio, "half-open", ProducerConfig::default()).await;
    let acks = produce(&rt, &p, 100, false).await;
    assert_eq!(acks.len(), 100);
}

/// Every SC byte arrives in its own 1-byte write: admin, produce and consume work.
pub async fn socket_short_writes<R: Runtime>(rt: R) {
    let server = cluster(2);
    let proxy = FaultProxy::start(server.sc_addr()).expect("proxy");
    proxy.short_writes(true);
    let fluvio = connect_to(&rt, &ClusterConfig::new(proxy.addr())).await;
    create_topic(&rt, &fluvio, "short", 2, 1).await;
    let topics = with_timeout(&rt, STEP, "list", fluvio.admin().all::<TopicSpec>())
        .await
        .expect("list");
    assert!(topics.iter().any(|t| t.name == "short"));
    let p = producer(&rt, &fluvio, "short", ProducerConfig::default()).await;
    let acks = produce(&rt, &p, 300, false).await;
    assert_eq!(acks.len(), 300);
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("short", Offset::beginning()),
    )
    .await;
    let records = consume(&rt, &mut stream, 300).await;
    let got: BTreeSet<usize> = records.iter().map(|r| index_of(&r.value)).collect();
    assert_eq!(got, (0..300).collect());
}

/// The leader SPU answers later than the request timeout: sends resolve (stored after a
/// retry, or a typed error), nothing hangs; once it is fast again sends succeed.
pub async fn socket_slow_spu<R: Runtime>(rt: R) {
    let server = cluster(1);
    let fluvio = connect_with(&rt, server.sc_addr(), short_timeouts()).await;
    create_topic(&rt, &fluvio, "slow", 1, 1).await;
    let leader = server.partition_leader("slow", 0).expect("leader");
    let config = ProducerConfig {
        delivery_timeout: Duration::from_secs(5),
        ..ProducerConfig::default()
    };
    let p = producer(&rt, &fluvio, "slow", config).await;
    assert_eq!(produce(&rt, &p, 10, false).await.len(), 10);
    server.delay_responses(ServerId::Spu(leader), Duration::from_millis(1_500));
    let out = with_timeout(&rt, STEP, "send", p.send(RecordKey::NULL, value(10)))
        .await
        .expect("send queued");
    with_timeout(&rt, STEP, "flush", async {
        let _ = p.flush().await;
    })
    .await;
    match with_timeout(&rt, STEP, "ack of a slow SPU", out.wait()).await {
        Ok(meta) => assert_eq!(meta.partition, 0),
        Err(e) => assert!(!e.to_string().is_empty(), "a typed error: {e:?}"),
    }
    server.delay_responses(ServerId::Spu(leader), Duration::ZERO);
    let out = with_timeout(&rt, STEP, "send", p.send(RecordKey::NULL, value(11)))
        .await
        .expect("send");
    with_timeout(&rt, STEP, "flush", async {
        let _ = p.flush().await;
    })
    .await;
    with_timeout(&rt, STEP, "ack after recovery", out.wait())
        .await
        .expect("stored once the SPU is fast again");
}

/// `pki`'s client certificate, trusting the CAs in `ca_pem`.
fn client_tls(pki: &Pki, ca_pem: &str) -> TlsPolicy {
    TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
        domain: DOMAIN.to_owned(),
        key: pki.client_key.clone(),
        cert: pki.client_cert.clone(),
        ca_cert: ca_pem.to_owned(),
    }))
}

/// Drops every SC and SPU connection of `server`.
fn drop_all(server: &MockClusterServer) {
    server.drop_connections(ServerId::Sc);
    for id in [5001, 5002] {
        server.drop_connections(ServerId::Spu(id));
    }
}

/// The cluster rotates its server certificate to one of a CA the client trusts (a CA
/// roll-over: the client's bundle holds the old and the new CA) while an mTLS client
/// produces; every connection is dropped; the client reconnects, verifying the new
/// certificate, and every acknowledged record is read back. A client trusting only the
/// new CA can connect after the rotation, one trusting only the old CA cannot.
pub async fn tls_certificate_rotation<R: Runtime>(rt: R) {
    let old = Pki::generate_with_ca_name("flv old CA");
    let new = Pki::generate_with_ca_name("flv new CA");
    let server = tls_cluster(&old);
    let bundle = format!("{}\n{}", old.ca, new.ca);
    let cluster = ClusterConfig::new(server.sc_addr()).with_tls(client_tls(&old, &bundle));
    let fluvio = connect_to(&rt, &cluster).await;
    create_topic(&rt, &fluvio, "rotated", 2, 1).await;
    let p = producer(&rt, &fluvio, "rotated", ProducerConfig::default()).await;
    let mut acks = produce(&rt, &p, 500, false).await;
    server
        .rotate_tls(&new.server_cert, &new.server_key)
        .expect("rotation");
    drop_all(&server);
    acks.extend(produce(&rt, &p, 500, false).await);
    assert_eq!(acks.len(), 1_000);
    let mut stream = consumer(
        &rt,
        &fluvio,
        ConsumerConfig::new("rotated", Offset::beginning()),
    )
    .await;
    let records = consume(&rt, &mut stream, 1_000).await;
    let mut got: Vec<usize> = records.iter().map(|r| index_of(&r.value)).collect();
    got.sort_unstable();
    let mut expected: Vec<usize> = (0..500).chain(0..500).collect();
    expected.sort_unstable();
    assert_eq!(got, expected, "every acknowledged record read back");
    let m = fluvio.metrics();
    assert!(m.client.connection_failures >= 1, "{m:?}");
    // The new certificate is the one served now.
    let only_new = ClusterConfig::new(server.sc_addr()).with_tls(client_tls(&old, &new.ca));
    let fresh = connect_to(&rt, &only_new).await;
    with_timeout(&rt, STEP, "close", fresh.close())
        .await
        .expect("close");
    let only_old = ClusterConfig::new(server.sc_addr()).with_tls(client_tls(&old, &old.ca));
    let err = connect_err(&rt, &only_old).await;
    assert_eq!(err.tls_failure(), Some(&TlsFailure::UnknownCa), "{err:?}");
}

/// Connects to `cluster` and returns the error.
async fn connect_err<R: Runtime>(rt: &R, cluster: &ClusterConfig) -> Error {
    match with_timeout(
        rt,
        STEP,
        "failing connect",
        Fluvio::connect_with_client_config(rt.clone(), cluster, short_timeouts()),
    )
    .await
    {
        Ok(_) => panic!("connected to a certificate of an unknown CA"),
        Err(e) => e,
    }
}

/// The cluster rotates to a certificate of a CA the client does not trust: once the
/// connections drop, the connected client's requests fail instead of hanging, and a
/// reconnect fails with the TLS error `UnknownCa`.
pub async fn tls_rotation_to_unknown_ca<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let rogue = Pki::generate_with_ca_name("rogue CA");
    let server = tls_cluster(&pki);
    let cluster = ClusterConfig::new(server.sc_addr()).with_tls(client_tls(&pki, &pki.ca));
    let fluvio = with_timeout(
        &rt,
        STEP,
        "connect",
        Fluvio::connect_with_client_config(rt.clone(), &cluster, short_timeouts()),
    )
    .await
    .expect("connects");
    create_topic(&rt, &fluvio, "rogue", 1, 1).await;
    server
        .rotate_tls(&rogue.server_cert, &rogue.server_key)
        .expect("rotation");
    drop_all(&server);
    let result = with_timeout(
        &rt,
        STEP,
        "create after rotation",
        fluvio
            .admin()
            .create("refused", false, TopicSpec::computed(1, 1)),
    )
    .await;
    assert!(result.is_err(), "{result:?}");
    let err = connect_err(&rt, &cluster).await;
    assert_eq!(err.tls_failure(), Some(&TlsFailure::UnknownCa), "{err:?}");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not signed by the configured CA"),
        "{err}"
    );
}
