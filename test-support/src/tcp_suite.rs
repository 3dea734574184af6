//! Plain TCP, timers and tasks.

use std::io;
use std::net::TcpListener;
use std::time::Duration;

use futures_util::future::{Either, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

use crate::fixtures::{EchoServer, connect, echo_once, pattern};
use flv_driver::Runtime;
use flv_driver::config::TlsPolicy;
use flv_driver::transport::{ConnectError, Transport, connect_transport};

/// A plain connection echoes bytes through a loopback server.
pub async fn tcp_echo_round_trip<R: Runtime>(rt: R) {
    let server = EchoServer::plain();
    let mut t = connect(&rt, &server, &TlsPolicy::Disabled, None)
        .await
        .expect("connect");
    assert!(!t.is_tls());
    assert!(t.tls_session().is_none());
    echo_once(&mut t, b"hello fluvio").await.expect("echo");
    echo_once(&mut t, &pattern(100_000)).await.expect("echo");
    t.close().await.expect("close");
    drop(t); // async-io's close only flushes: dropping sends the FIN.
    let report = server.report().await;
    assert_eq!(report.echoed, 12 + 100_000);
    assert!(report.error.is_none(), "{:?}", report.error);
}

/// Connections have `TCP_NODELAY` set (read with the runtime's own accessor).
pub async fn tcp_nodelay_is_set<R: Runtime>(rt: R, nodelay: impl Fn(&R::Tcp) -> io::Result<bool>) {
    let server = EchoServer::plain();
    let t = connect(&rt, &server, &TlsPolicy::Disabled, None)
        .await
        .expect("connect");
    assert!(nodelay(t.tcp()).expect("read TCP_NODELAY"));
    let direct = rt.connect(server.addr).await;
    // The server takes one connection; the second may or may not be accepted by the kernel
    // backlog, but if it connects it must have TCP_NODELAY too.
    if let Ok(tcp) = direct {
        assert!(nodelay(&tcp).expect("read TCP_NODELAY"));
    }
}

/// Writer and reader halves work from two tasks at once.
pub async fn tcp_split_halves_in_two_tasks<R: Runtime>(rt: R) {
    let server = EchoServer::plain();
    let t = connect(&rt, &server, &TlsPolicy::Disabled, None)
        .await
        .expect("connect");
    split_round_trip(&rt, t).await;
    assert_eq!(server.report().await.echoed, SPLIT_LEN);
}

pub(super) const SPLIT_LEN: usize = 256 * 1024;

pub(super) async fn split_round_trip<R: Runtime>(rt: &R, t: Transport<R::Tcp>) {
    let data = pattern(SPLIT_LEN);
    let (mut reader, mut writer) = t.split();
    let (done_tx, done_rx) = async_channel::bounded(1);
    let sent = data.clone();
    // The writer is a separate task: the echo only completes if both halves make progress
    // concurrently (the data is larger than the socket buffers).
    rt.spawn(async move {
        let result = async {
            for chunk in sent.chunks(1000) {
                writer.write_all(chunk).await?;
            }
            writer.flush().await?;
            Ok::<_, io::Error>(writer)
        }
        .await;
        let _ = done_tx.send(result).await;
    });
    let mut back = vec![0u8; SPLIT_LEN];
    reader.read_exact(&mut back).await.expect("read echo");
    assert!(back == data, "echoed bytes differ");
    let writer = done_rx.recv().await.expect("writer task").expect("write");
    let mut t = reader.reunite(writer).expect("halves of one transport");
    t.close().await.expect("close");
    drop(t); // async-io's close only flushes: dropping sends the FIN.
}

/// `sleep_until` completes, and not before its deadline.
pub async fn sleep_until_wakes_at_deadline<R: Runtime>(rt: R) {
    let start = rt.now();
    let deadline = start + Duration::from_millis(60);
    rt.sleep_until(deadline).await;
    let woke = rt.now();
    assert!(woke >= deadline, "woke {:?} early", deadline - woke);
    // The earlier of two timers completes first.
    let near = rt.sleep_until(rt.now() + Duration::from_millis(10));
    let far = rt.sleep_until(rt.now() + Duration::from_secs(20));
    assert!(matches!(select(near, far).await, Either::Left(_)));
}

/// A deadline already past completes (before a later one).
pub async fn sleep_until_past_deadline_is_ready<R: Runtime>(rt: R) {
    let past = rt
        .now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(|| rt.now());
    let later = rt.sleep_until(rt.now() + Duration::from_secs(20));
    assert!(matches!(
        select(rt.sleep_until(past), later).await,
        Either::Left(_)
    ));
}

/// Spawned tasks run, including tasks spawned from tasks.
pub async fn spawn_runs_tasks<R: Runtime>(rt: R) {
    let (tx, rx) = async_channel::unbounded();
    for i in 0..4u32 {
        let tx = tx.clone();
        let inner = rt.clone();
        rt.spawn(async move {
            let _ = tx.send(i).await;
            inner.spawn(async move {
                let _ = tx.send(100 + i).await;
            });
        });
    }
    drop(tx);
    let mut got = Vec::new();
    while let Ok(i) = rx.recv().await {
        got.push(i);
    }
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3, 100, 101, 102, 103]);
}

/// Nothing listening: `Refused`.
pub async fn connection_refused<R: Runtime>(rt: R) {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let err = connect_transport(&rt, &addr.to_string(), &TlsPolicy::Disabled, None)
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(&err, ConnectError::Refused { peer, .. } if *peer == addr),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(err.to_string().contains("refused"), "{err}");
}

/// An unresolvable name: `Dns`.
pub async fn dns_failure<R: Runtime>(rt: R) {
    let err = connect_transport(&rt, "no-such-host.invalid:9003", &TlsPolicy::Disabled, None)
        .await
        .expect_err("reserved TLD never resolves");
    assert!(matches!(err, ConnectError::Dns { .. }), "{err:?}");
    assert!(err.to_string().contains("no-such-host.invalid"), "{err}");
}

/// Not `host:port`: `InvalidAddress`, before any I/O.
pub async fn invalid_address<R: Runtime>(rt: R) {
    for addr in ["localhost", "localhost:port", ":9003", "::1:9003"] {
        let err = connect_transport(&rt, addr, &TlsPolicy::Disabled, None)
            .await
            .expect_err("invalid");
        assert!(
            matches!(err, ConnectError::InvalidAddress { .. }),
            "{addr}: {err:?}"
        );
        assert!(!err.is_transient());
    }
}
