//! WebSocket produce and tail, back-pressure against slow readers, and release of the
//! consumer when a reader disconnects.

mod common;

use std::time::Duration;

use common::{Harness, STEP, ndjson, next_json};
use flv_gateway::GatewayOptions;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_replays_takes_a_record_acks_and_echoes_it_live() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("chat", 1).await;
    let stored: Vec<String> = (0..5).map(|i| format!("old-{i}")).collect();
    assert_eq!(h.produce("chat", &stored).await, [0, 1, 2, 3, 4]);

    let (mut ws, _) =
        tokio_tungstenite::connect_async(h.ws("/v1/topics/chat/ws?partition=0&offset=beginning"))
            .await
            .expect("WebSocket upgrade");
    for (i, value) in stored.iter().enumerate() {
        let record = next_json(&mut ws).await;
        assert_eq!(record["offset"], i as i64);
        assert_eq!(record["value"], *value);
        assert_eq!(record["partition"], 0);
    }
    h.wait_metric("flv_gateway_open_streams", |v| v == 1.0)
        .await;

    // A second socket (another user) tails from the end.
    let (mut other, _) = tokio_tungstenite::connect_async(h.ws("/v1/topics/chat/ws?offset=end"))
        .await
        .unwrap();
    h.wait_metric("flv_gateway_open_streams", |v| v == 2.0)
        .await;

    ws.send(Message::Text(
        json!({"key": "alice", "value": "hello"}).to_string().into(),
    ))
    .await
    .unwrap();
    // The ack and the live record, in either order; the record is at the acked offset.
    let (mut ack, mut echo) = (None, None);
    while ack.is_none() || echo.is_none() {
        let msg = next_json(&mut ws).await;
        if msg.get("ack").is_some() {
            ack = Some(msg["ack"].clone());
        } else {
            echo = Some(msg);
        }
    }
    let (ack, echo) = (ack.unwrap(), echo.unwrap());
    assert_eq!(ack, json!({"partition": 0, "offset": 5}));
    assert_eq!(echo["offset"], 5);
    assert_eq!(echo["key"], "alice");
    assert_eq!(echo["value"], "hello");
    let seen = next_json(&mut other).await;
    assert_eq!(seen["offset"], 5);
    assert_eq!(seen["value"], "hello");

    // Bad messages get an error, and the socket stays usable.
    ws.send(Message::Text("{not json".into())).await.unwrap();
    let err = next_json(&mut ws).await;
    assert_eq!(err["status"], 400);
    ws.send(Message::Text(json!({"value": "again"}).to_string().into()))
        .await
        .unwrap();
    let mut acked = false;
    let mut echoed = false;
    while !(acked && echoed) {
        let msg = next_json(&mut ws).await;
        if msg.get("ack").is_some() {
            assert_eq!(msg["ack"]["offset"], 6);
            acked = true;
        } else {
            assert_eq!(msg["offset"], 6);
            echoed = true;
        }
    }

    // Closing releases both consumers.
    ws.close(None).await.unwrap();
    drop(other);
    h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
        .await;
    // Unknown topics and bad parameters are refused before the upgrade.
    for (path, status) in [
        ("/v1/topics/nope/ws", 404),
        ("/v1/topics/chat/ws?offset=x", 400),
    ] {
        let res = h
            .http
            .get(h.at(path))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{path}");
    }
}

/// A loopback connection with a small receive buffer, so the reader's kernel holds little.
async fn small_window(addr: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.connect(addr.parse().unwrap()).await.unwrap()
}

/// Produces `n` records of `size` bytes through the direct client.
async fn fill(h: &Harness, topic: &str, n: usize, size: usize) {
    let fluvio = flv_tokio::Fluvio::connect_with_runtime(
        flv_tokio::Tokio::current().unwrap(),
        &flv_tokio::config::ClusterConfig::new(h.server.sc_addr()),
    )
    .await
    .unwrap();
    let producer = fluvio.topic_producer(topic).await.unwrap();
    let value = vec![b'x'; size];
    for i in 0..n {
        let mut v = value.clone();
        v[..8].copy_from_slice(&(i as u64).to_be_bytes().map(|b| b'a' + b % 16));
        drop(producer.send(flv_tokio::RecordKey::NULL, v).await.unwrap());
    }
    producer.flush().await.unwrap();
    fluvio.close().await.unwrap();
}

const RECORDS: usize = 24_000;
const SIZE: usize = 1024;
/// What the gateway may fetch beyond what a stalled reader took: the stream buffer
/// (64 KiB here) and a fetch, plus what the kernel's socket buffers hold.
const BOUND: f64 = 8.0 * 1024.0 * 1024.0;

/// A gateway with a 64 KiB stream buffer over a topic `bulk` of [`RECORDS`] records, the
/// client's bytes-in counter before any read, and the gateway's `host:port`.
async fn bulk_gateway() -> (Harness, f64, String) {
    let h = Harness::start(GatewayOptions {
        stream_buffer_bytes: 64 * 1024,
        ..GatewayOptions::default()
    })
    .await;
    h.create_topic("bulk", 1).await;
    fill(&h, "bulk", RECORDS, SIZE).await;
    let before = h.metric("flv_client_bytes_in_total").await;
    let addr = h.url.trim_start_matches("http://").to_owned();
    (h, before, addr)
}

/// Once the gateway's fetching settles, it has fetched less than [`BOUND`] since `before`.
async fn assert_fetched_bounded(h: &Harness, before: f64, who: &str) {
    let fetched = h
        .settled_metric("flv_client_bytes_in_total", Duration::from_millis(500))
        .await
        - before;
    let total = (RECORDS * SIZE) as f64;
    assert!(
        fetched < BOUND,
        "{who} let the gateway fetch {fetched} of {total} bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_ndjson_reader_keeps_the_gateway_bounded() {
    let (h, before, addr) = bulk_gateway().await;
    let mut tcp = small_window(&addr).await;
    let request = format!(
        "GET /v1/topics/bulk/records?offset=beginning&wait=false HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    // Read the first bytes only, then stall.
    let mut first = vec![0u8; 4096];
    let n = tokio::time::timeout(STEP, tcp.read(&mut first))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    h.wait_metric("flv_gateway_open_streams", |v| v == 1.0)
        .await;
    assert_fetched_bounded(&h, before, "a stalled reader").await;
    let out = h.metric("flv_gateway_records_out_total").await;
    assert!(
        out < RECORDS as f64 / 2.0,
        "{out} records handed out to a stalled reader"
    );

    // The reader resumes and gets everything, in order.
    let mut rest = Vec::new();
    tokio::time::timeout(STEP, tcp.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    let mut all = first[..n].to_vec();
    all.extend_from_slice(&rest);
    let text = String::from_utf8(all).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    // Chunked transfer encoding: keep the JSON lines.
    let lines: Vec<Value> = ndjson(
        &body
            .lines()
            .filter(|l| l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(lines.len(), RECORDS);
    assert!(
        lines
            .iter()
            .enumerate()
            .all(|(i, l)| l["offset"] == i as i64)
    );
    h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_websocket_reader_keeps_the_gateway_bounded_and_disconnect_releases() {
    let (h, before, addr) = bulk_gateway().await;
    let tcp = small_window(&addr).await;
    let url = h.ws("/v1/topics/bulk/ws?offset=beginning");
    let (mut ws, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let first = next_json(&mut ws).await;
    assert_eq!(first["offset"], 0);
    assert_fetched_bounded(&h, before, "a stalled WebSocket").await;

    // Take a few thousand records, then hang up in the middle of the stream.
    for i in 1..3000 {
        let record = next_json(&mut ws).await;
        assert_eq!(record["offset"], i);
    }
    drop(ws);
    h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
        .await;
    let out = h.metric("flv_gateway_records_out_total").await;
    assert!(
        out < RECORDS as f64,
        "{out}: the gateway kept reading for a reader that left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_live_streams_are_released_when_the_reader_leaves() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("quiet", 1).await;
    // NDJSON and SSE tails waiting for records that never come, and a WebSocket.
    let ndjson = h
        .http
        .get(h.at("/v1/topics/quiet/records?offset=end"))
        .send()
        .await
        .unwrap();
    let sse = h
        .http
        .get(h.at("/v1/topics/quiet/records"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let (ws, _) = tokio_tungstenite::connect_async(h.ws("/v1/topics/quiet/ws"))
        .await
        .unwrap();
    h.wait_metric("flv_gateway_open_streams", |v| v == 3.0)
        .await;
    drop(ndjson);
    h.wait_metric("flv_gateway_open_streams", |v| v == 2.0)
        .await;
    drop(sse);
    h.wait_metric("flv_gateway_open_streams", |v| v == 1.0)
        .await;
    drop(ws);
    h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
        .await;
    assert_eq!(h.metric("flv_gateway_streams_opened_total").await, 3.0);
}
