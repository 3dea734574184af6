//! `gateway_bench`: records/s through the gateway next to the direct flv client, in the
//! same run, against the embedded mock cluster (or `--cluster HOST:PORT`).
//!
//! Produce: the direct client sends every record and flushes; through the gateway, HTTP
//! `POST /v1/topics/{topic}/records` (reqwest) in batches of `--batch` records (default
//! 1,000), with `--in-flight` requests at a time. Consume: the direct client reads the topic
//! from the beginning; through the gateway, one NDJSON `GET …/records?wait=false` and one
//! WebSocket from the beginning, each read by a minimal client (an HTTP/1.0 reader counting
//! lines with memchr; a WebSocket handshake then a frame counter), so that the numbers are
//! the gateway's rather than a client library's. Prints one line per workload and the ratios.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Parser;
use flv_gateway::{Gateway, GatewayOptions};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tokio::config::ClusterConfig;
use flv_tokio::core::client::{ConsumerConfig, Offset};
use flv_tokio::{Fluvio, RecordKey, Tokio};
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The answer to a produce request.
#[derive(serde::Deserialize)]
struct ProduceAnswer {
    offsets: Vec<Stored>,
}

/// One acknowledged record.
#[derive(serde::Deserialize)]
#[allow(dead_code, reason = "parsed like a client would")]
struct Stored {
    partition: u32,
    offset: i64,
}

#[derive(Debug, Parser)]
#[command(about = "records/s through flv gateway next to the direct client")]
struct Args {
    /// Records per workload
    #[arg(long, default_value_t = 200_000)]
    records: usize,
    /// Value size in bytes
    #[arg(long, default_value_t = 100)]
    size: usize,
    /// Records per HTTP produce request
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// HTTP produce requests in flight
    #[arg(long, default_value_t = 4)]
    in_flight: usize,
    /// Use this cluster instead of the embedded mock
    #[arg(long, value_name = "HOST:PORT")]
    cluster: Option<String>,
    /// The gateway's --stream-buffer-bytes
    #[arg(long, default_value_t = 1 << 20)]
    stream_buffer_bytes: usize,
    /// A short run (20,000 records)
    #[arg(long)]
    quick: bool,
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.quick {
        args.records = 20_000;
    }
    if args.records == 0 || args.batch == 0 || args.size < 8 {
        bail!("--records and --batch must be positive, --size at least 8");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64().max(1e-9)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let _mock;
    let endpoint = match &args.cluster {
        Some(c) => c.clone(),
        None => {
            let server = MockClusterServer::start(ServerOptions {
                spus: 1,
                ..ServerOptions::default()
            })?;
            let addr = server.sc_addr().to_owned();
            _mock = server;
            addr
        }
    };
    let cluster = ClusterConfig::new(endpoint.clone());
    let options = GatewayOptions {
        stream_buffer_bytes: args.stream_buffer_bytes,
        ..GatewayOptions::default()
    };
    let gateway = Gateway::bind(options, cluster.clone()).await?;
    let url = gateway.url()?;
    tokio::spawn(gateway.serve(std::future::pending()));
    let rt = Tokio::current().context("tokio runtime")?;
    let fluvio = Fluvio::connect_with_runtime(rt, &cluster).await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let suffix = std::process::id();
    let (direct_topic, gw_topic) = (
        format!("bench-direct-{suffix}"),
        format!("bench-gw-{suffix}"),
    );
    for topic in [&direct_topic, &gw_topic] {
        let res = http
            .post(format!("{url}/v1/topics"))
            .json(&serde_json::json!({ "name": topic, "partitions": 1, "replication": 1 }))
            .send()
            .await?;
        if res.status() != 201 {
            bail!("cannot create {topic}: {}", res.text().await?);
        }
    }
    let n = args.records;
    let value = |i: usize| {
        let mut v = format!("{i:08}");
        v.extend(std::iter::repeat_n('x', args.size - 8));
        v
    };
    println!(
        "flv-gateway-bench: {n} records of {} B, {} cluster at {endpoint}, HTTP batches of {} ({} in flight)",
        args.size,
        if args.cluster.is_some() {
            "given"
        } else {
            "embedded mock"
        },
        args.batch,
        args.in_flight
    );

    // Produce, direct.
    let values: Vec<Bytes> = (0..n).map(|i| Bytes::from(value(i))).collect();
    let producer = fluvio.topic_producer(direct_topic.clone()).await?;
    let start = Instant::now();
    let mut outs = Vec::with_capacity(n);
    for v in &values {
        outs.push(producer.send(RecordKey::NULL, v.clone()).await?);
    }
    producer.flush().await?;
    for out in outs {
        out.wait().await?;
    }
    let direct_produce = rate(n, start.elapsed());
    drop(values);

    // Produce, through the gateway (bodies made before the clock starts).
    let bodies: Vec<String> = (0..n)
        .step_by(args.batch)
        .map(|first| {
            let records: Vec<serde_json::Value> = (first..(first + args.batch).min(n))
                .map(|i| serde_json::json!({ "value": value(i) }))
                .collect();
            serde_json::json!({ "records": records }).to_string()
        })
        .collect();
    let endpoint_url = format!("{url}/v1/topics/{gw_topic}/records");
    let start = Instant::now();
    let answers: Vec<usize> = futures_util::stream::iter(bodies)
        .map(|body| {
            let req = http
                .post(&endpoint_url)
                .header("content-type", "application/json")
                .body(body);
            async move {
                let res = req.send().await?;
                if !res.status().is_success() {
                    bail!("produce answered {}", res.status());
                }
                let answer: ProduceAnswer = res.json().await?;
                Ok(answer.offsets.len())
            }
        })
        .buffered(args.in_flight.max(1))
        .try_collect()
        .await?;
    let gw_produce = rate(n, start.elapsed());
    let acked: usize = answers.iter().sum();
    if acked != n {
        bail!("the gateway acknowledged {acked} of {n} records");
    }

    // Consume, direct.
    let start = Instant::now();
    let mut config = ConsumerConfig::new(direct_topic.clone(), Offset::beginning());
    config.disable_continuous = true;
    let mut stream = fluvio.consumer_with_config(config).await?.batches();
    let mut got = 0;
    while let Some(batch) = stream.next().await {
        got += batch?.records.len();
    }
    let direct_consume = rate(got, start.elapsed());
    if got != n {
        bail!("the direct consumer read {got} of {n} records");
    }

    // Consume, NDJSON: read as a plain HTTP/1.0 client would (curl-like, no chunked
    // framing), counting lines.
    let start = Instant::now();
    let addr = url.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await?;
    let request = format!(
        "GET /v1/topics/{gw_topic}/records?offset=beginning&wait=false HTTP/1.0\r\nhost: {addr}\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; 1 << 20];
    let mut received = Vec::new();
    // The head, up to the blank line.
    let body_start = loop {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            bail!("the gateway closed before answering");
        }
        received.extend_from_slice(&buf[..n]);
        if let Some(at) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    if !received.starts_with(b"HTTP/1.0 200") && !received.starts_with(b"HTTP/1.1 200") {
        bail!(
            "NDJSON answered {}",
            String::from_utf8_lossy(&received[..body_start])
        );
    }
    let mut lines = memchr::memchr_iter(b'\n', &received[body_start..]).count();
    loop {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
    }
    let ndjson = rate(lines, start.elapsed());
    if lines != n {
        bail!("NDJSON gave {lines} of {n} records");
    }

    // Consume, WebSocket: a minimal client that does the handshake and counts text frames
    // (server frames are unmasked: 2 header bytes, 2 or 8 more for longer payloads).
    let start = Instant::now();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await?;
    let request = format!(
        "GET /v1/topics/{gw_topic}/ws?offset=beginning HTTP/1.1\r\nhost: {addr}\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut pending: Vec<u8> = Vec::new();
    let head_end = loop {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            bail!("the gateway closed during the WebSocket handshake");
        }
        pending.extend_from_slice(&buf[..n]);
        if let Some(at) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    if !pending.starts_with(b"HTTP/1.1 101") {
        bail!(
            "WebSocket answered {}",
            String::from_utf8_lossy(&pending[..head_end])
        );
    }
    pending.drain(..head_end);
    let mut messages = 0;
    let mut at = 0;
    while messages < n {
        // Whole frames in `pending[at..]`.
        loop {
            let rest = &pending[at..];
            if rest.len() < 2 {
                break;
            }
            let (len, header) = match rest[1] & 0x7f {
                126 if rest.len() >= 4 => (usize::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
                127 if rest.len() >= 10 => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&rest[2..10]);
                    (usize::try_from(u64::from_be_bytes(b))?, 10)
                }
                126 | 127 => break,
                len => (usize::from(len), 2),
            };
            if rest.len() < header + len {
                break;
            }
            if rest[0] & 0x0f == 1 {
                messages += 1;
            }
            at += header + len;
        }
        pending.drain(..at);
        at = 0;
        if messages >= n {
            break;
        }
        let got = tcp.read(&mut buf).await?;
        if got == 0 {
            bail!("the WebSocket closed after {messages} records");
        }
        pending.extend_from_slice(&buf[..got]);
    }
    let websocket = rate(messages, start.elapsed());
    drop(tcp);

    println!("{:<34} {:>12}", "workload", "records/s");
    for (name, r) in [
        ("produce, direct flv client", direct_produce),
        ("produce, gateway HTTP (batches)", gw_produce),
        ("consume, direct flv client", direct_consume),
        ("consume, gateway NDJSON", ndjson),
        ("consume, gateway WebSocket", websocket),
    ] {
        println!("{name:<34} {r:>12.0}");
    }
    println!(
        "gateway-bench: produce-ratio {:.2} ndjson-ratio {:.2} websocket-ratio {:.2}",
        gw_produce / direct_produce,
        ndjson / direct_consume,
        websocket / direct_consume
    );
    fluvio.close().await.ok();
    Ok(())
}
