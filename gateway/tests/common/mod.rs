//! The test harness: the mock cluster in process, a gateway on a loopback port, a real HTTP
//! client, and polling of `/metrics` with a bounded deadline.

#![allow(dead_code, reason = "each test file uses a part")]

use std::time::{Duration, Instant};

use flv_gateway::{Gateway, GatewayOptions};
use flv_mock_cluster::{MockClusterServer, ServerOptions};
use flv_tokio::config::ClusterConfig;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

/// The bound of any one wait.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// A mock cluster and a gateway in front of it.
pub(crate) struct Harness {
    pub server: MockClusterServer,
    pub url: String,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

/// A plain HTTP client that never uses a proxy.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(STEP)
        .build()
        .expect("HTTP client")
}

/// Starts `gateway` for `cluster`; returns its URL and the sender that stops it.
pub(crate) async fn start_gateway(
    options: GatewayOptions,
    cluster: ClusterConfig,
) -> (String, oneshot::Sender<()>) {
    let gateway = Gateway::bind(options, cluster)
        .await
        .expect("gateway binds");
    let url = gateway.url().expect("gateway address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(gateway.serve(async move {
        let _ = stopped.await;
    }));
    (url, stop)
}

impl Harness {
    /// A one-SPU mock cluster and a gateway with `options` (bind is forced to loopback:0).
    pub(crate) async fn start(options: GatewayOptions) -> Self {
        let server = MockClusterServer::start(ServerOptions {
            spus: 1,
            ..ServerOptions::default()
        })
        .expect("mock cluster starts");
        let options = GatewayOptions {
            bind: "127.0.0.1:0".into(),
            ..options
        };
        let (url, stop) = start_gateway(options, ClusterConfig::new(server.sc_addr())).await;
        Self {
            server,
            url,
            http: http_client(),
            stop: Some(stop),
        }
    }

    /// The body of a GET of `path` (any status).
    pub(crate) async fn get_text(&self, path: impl AsRef<str>) -> String {
        self.http
            .get(self.at(path.as_ref()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The body of a GET of `path` as JSON (any status).
    pub(crate) async fn get_json(&self, path: impl AsRef<str>) -> Value {
        self.http
            .get(self.at(path.as_ref()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The gateway's URL of `path`.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The `ws://` URL of `path`.
    pub(crate) fn ws(&self, path: &str) -> String {
        format!("{}{path}", self.url.replacen("http", "ws", 1))
    }

    /// Creates `topic` through the gateway (expects 201).
    pub(crate) async fn create_topic(&self, topic: &str, partitions: u32) {
        let res = self
            .http
            .post(self.at("/v1/topics"))
            .json(&json!({ "name": topic, "partitions": partitions, "replication": 1 }))
            .send()
            .await
            .expect("create request");
        assert_eq!(
            res.status(),
            201,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }

    /// Produces `values` (keyless) through the gateway; returns the offsets.
    pub(crate) async fn produce(&self, topic: &str, values: &[String]) -> Vec<i64> {
        let records: Vec<Value> = values.iter().map(|v| json!({ "value": v })).collect();
        let res = self
            .http
            .post(self.at(&format!("/v1/topics/{topic}/records")))
            .json(&json!({ "records": records }))
            .send()
            .await
            .expect("produce request");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("produce answer");
        body["offsets"]
            .as_array()
            .expect("offsets")
            .iter()
            .map(|o| o["offset"].as_i64().expect("offset"))
            .collect()
    }

    /// The value of the metric line starting with `name ` in `/metrics`.
    pub(crate) async fn metric(&self, name: &str) -> f64 {
        let text = self
            .http
            .get(self.at("/metrics"))
            .send()
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics body");
        metric_in(&text, name).unwrap_or_else(|| panic!("metric {name} missing in\n{text}"))
    }

    /// Polls `/metrics` until `name` satisfies `ok` (fails the test after [`STEP`]).
    pub(crate) async fn wait_metric(&self, name: &str, ok: impl Fn(f64) -> bool) -> f64 {
        let deadline = Instant::now() + STEP;
        loop {
            let value = self.metric(name).await;
            if ok(value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "metric {name} still {value} after {STEP:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls `name` until it stays the same for `quiet` (the value it settled at).
    pub(crate) async fn settled_metric(&self, name: &str, quiet: Duration) -> f64 {
        let deadline = Instant::now() + STEP;
        let mut last = self.metric(name).await;
        let mut since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.metric(name).await;
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return now;
            }
            assert!(Instant::now() < deadline, "metric {name} never settled");
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The value of `name` in Prometheus text.
pub(crate) fn metric_in(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Parses NDJSON text into values.
pub(crate) fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The next JSON text message (fails the test after [`STEP`]).
pub(crate) async fn next_json<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let msg = tokio::time::timeout(STEP, ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a good frame");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON message"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}
