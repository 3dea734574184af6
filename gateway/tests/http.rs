//! Every HTTP route of the gateway against the mock cluster, with a real HTTP client.

mod common;

use std::time::Duration;

use common::{Harness, http_client, ndjson, start_gateway};
use flv_gateway::GatewayOptions;
use flv_tokio::config::ClusterConfig;
use futures_util::StreamExt;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_create_list_delete() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("alpha", 2).await;
    h.create_topic("beta", 1).await;

    let topics: Value = h.get_json("/v1/topics").await;
    let names: Vec<&str> = topics
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert_eq!(topics[0]["partitions"], 2);
    assert_eq!(topics[0]["replication"], 1);

    // Exists already: 409; bad names and bodies: 400.
    let again = h
        .http
        .post(h.at("/v1/topics"))
        .json(&json!({"name": "alpha"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    for body in [
        r#"{"name": "Bad Name"}"#,
        r#"{"name": "x", "partitions": 0}"#,
        r#"{"nam": "x"}"#,
        "not json",
    ] {
        let res = h
            .http
            .post(h.at("/v1/topics"))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert!(!err["error"].as_str().unwrap().is_empty());
    }

    let del = h
        .http
        .delete(h.at("/v1/topics/alpha"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 200);
    let topics: Value = h.get_json("/v1/topics").await;
    assert_eq!(topics.as_array().unwrap().len(), 1);
    let del = h
        .http
        .delete(h.at("/v1/topics/alpha"))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_records_produced_and_read_back_as_ndjson() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("events", 1).await;
    let values: Vec<String> = (0..100).map(|i| format!("value-{i}")).collect();
    let offsets = h.produce("events", &values).await;
    assert_eq!(offsets, (0..100).collect::<Vec<i64>>());

    let res = h
        .http
        .get(h.at("/v1/topics/events/records?partition=0&offset=beginning&wait=false"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let lines = ndjson(&res.text().await.unwrap());
    assert_eq!(lines.len(), 100);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["partition"], 0);
        assert_eq!(line["offset"], i as i64);
        assert_eq!(line["value"], format!("value-{i}"));
        assert_eq!(line["key"], Value::Null);
        assert!(line["timestamp"].as_i64().unwrap() > 0);
    }

    // limit ends the stream even while waiting for more; an absolute offset starts there.
    let text = h
        .get_text("/v1/topics/events/records?offset=90&limit=5")
        .await;
    let offsets: Vec<i64> = ndjson(&text)
        .iter()
        .map(|l| l["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, [90, 91, 92, 93, 94]);
    // -N: the last N.
    let text = h
        .get_text("/v1/topics/events/records?offset=-3&wait=false")
        .await;
    let offsets: Vec<i64> = ndjson(&text)
        .iter()
        .map(|l| l["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, [97, 98, 99]);
    assert_eq!(h.metric("flv_gateway_records_in_total").await, 100.0);
    assert_eq!(
        h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
            .await,
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_binary_values_partitions_and_query_options() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("mixed", 2).await;
    let body = json!({
        "records": [
            {"key": "k1", "value": "text", "partition": 1},
            {"key_b64": "/v8=", "value_b64": "/w==", "partition": 1},
            {"value": "to p0"}
        ],
        "partition": 0
    });
    let res =
        h.http
            .post(h.at(
                "/v1/topics/mixed/records?delivery_semantic=at-most-once&isolation=read_committed",
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(
        out["offsets"],
        json!([{"partition": 1, "offset": 0}, {"partition": 1, "offset": 1}, {"partition": 0, "offset": 0}])
    );
    let text = h
        .get_text("/v1/topics/mixed/records?partition=1&offset=beginning&wait=false")
        .await;
    let lines = ndjson(&text);
    assert_eq!(lines[0]["key"], "k1");
    assert_eq!(lines[0]["value"], "text");
    assert_eq!(lines[1]["key_b64"], "/v8=");
    assert_eq!(lines[1]["key"], Value::Null);
    assert_eq!(lines[1]["value_b64"], "/w==");
    assert!(lines[1].get("value").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sent_events() {
    let h = Harness::start(GatewayOptions::default()).await;
    h.create_topic("sse", 1).await;
    h.produce("sse", &["a".into(), "b".into()]).await;
    let res = h
        .http
        .get(h.at("/v1/topics/sse/records?offset=beginning"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.bytes_stream();
    let mut text = String::new();
    let mut produced_live = false;
    // Two stored events, then one produced while the stream is open.
    while text.matches("\n\n").count() < 3 {
        let chunk = tokio::time::timeout(common::STEP, body.next())
            .await
            .expect("an event in time");
        text.push_str(std::str::from_utf8(&chunk.unwrap().unwrap()).unwrap());
        if !produced_live && text.matches("\n\n").count() >= 2 {
            produced_live = true;
            assert_eq!(h.produce("sse", &["live".into()]).await, [2]);
        }
    }
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    for (i, (event, value)) in events.iter().zip(["a", "b", "live"]).enumerate() {
        let (id, data) = event.split_once('\n').unwrap();
        assert_eq!(id, format!("id: {i}"));
        let record: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(record["value"], value);
        assert_eq!(record["offset"], i as i64);
    }
    drop(body);
    h.wait_metric("flv_gateway_open_streams", |v| v == 0.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_bad_requests() {
    let h = Harness::start(GatewayOptions {
        max_body_bytes: 4096,
        ..GatewayOptions::default()
    })
    .await;
    h.create_topic("known", 1).await;
    let get = |path: &str| h.http.get(h.at(path)).send();
    let post = |path: &str, body: &'static str| h.http.post(h.at(path)).body(body).send();

    for (path, status) in [
        (
            "/v1/topics/unknown/records?offset=beginning&wait=false",
            404,
        ),
        ("/v1/topics/known/records?partition=7&wait=false", 404),
        ("/v1/topics/known/records?offset=soon", 400),
        ("/v1/topics/known/records?limit=-1", 400),
        ("/v1/topics/known/records?wait=maybe", 400),
        ("/v1/topics/known/records?colour=red", 400),
        ("/v1/topics/known/records?partition=0&partition=1", 400),
        ("/v1/topics/known/records?isolation=dirty", 400),
        ("/no/such/route", 404),
    ] {
        let res = get(path).await.unwrap();
        assert_eq!(res.status(), status, "{path}");
        let err: Value = res.json().await.unwrap();
        assert!(err["error"].is_string(), "{path}");
    }
    for (path, body, status) in [
        (
            "/v1/topics/unknown/records",
            r#"{"records":[{"value":"x"}]}"#,
            404,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"value":"x","partition":5}]}"#,
            404,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"value":"x"}"#,
            400,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"key":"x"}]}"#,
            400,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"value":"x","value_b64":"eA=="}]}"#,
            400,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"value_b64":"***"}]}"#,
            400,
        ),
        (
            "/v1/topics/known/records",
            r#"{"records":[{"value":"x","extra":1}]}"#,
            400,
        ),
        ("/v1/topics/known/records", r#"{"rec":[]}"#, 400),
        (
            "/v1/topics/known/records?delivery_semantic=twice",
            r#"{"records":[]}"#,
            400,
        ),
    ] {
        let res = post(path, body).await.unwrap();
        assert_eq!(res.status(), status, "{path} {body}");
    }
    // The body limit: 413.
    let big = format!(r#"{{"records":[{{"value":"{}"}}]}}"#, "x".repeat(8192));
    let res = h
        .http
        .post(h.at("/v1/topics/known/records"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Nothing was produced by any of these.
    let text = get("/v1/topics/known/records?offset=beginning&wait=false")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "");
    let metrics = h.get_text("/metrics").await;
    assert!(metrics.contains("flv_gateway_requests_total{code=\"400\"}"));
    assert!(metrics.contains("flv_gateway_requests_total{code=\"404\"}"));
    assert!(metrics.contains("flv_gateway_requests_total{code=\"413\"}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_cluster_gives_503_and_healthz_says_so() {
    // A port with nothing listening: bind one, then free it.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let options = GatewayOptions {
        bind: "127.0.0.1:0".into(),
        request_timeout: Duration::from_secs(5),
        ..GatewayOptions::default()
    };
    let (url, _stop) = start_gateway(options, ClusterConfig::new(dead.to_string())).await;
    let http = http_client();
    let health: Value = http
        .get(format!("{url}/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["cluster"], "not connected");
    let ready = http
        .get(format!("{url}/healthz?ready=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    for res in [
        http.get(format!("{url}/v1/topics")).send().await.unwrap(),
        http.post(format!("{url}/v1/topics/t/records"))
            .body(r#"{"records":[{"value":"x"}]}"#)
            .send()
            .await
            .unwrap(),
        http.get(format!("{url}/v1/topics/t/records"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 503);
        let err: Value = res.json().await.unwrap();
        assert!(
            err["error"].as_str().unwrap().contains("unreachable"),
            "{err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_metrics_openapi_console_and_cors() {
    let h = Harness::start(GatewayOptions {
        cors_origins: vec!["http://app.example".into()],
        ..GatewayOptions::default()
    })
    .await;
    let health = h
        .http
        .get(h.at("/healthz?ready=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["cluster"], "connected");

    let metrics = h.http.get(h.at("/metrics")).send().await.unwrap();
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text().await.unwrap();
    for name in [
        "flv_gateway_requests_total{code=\"200\"}",
        "flv_gateway_records_in_total",
        "flv_gateway_records_out_total",
        "flv_gateway_open_streams",
        "flv_client_connected",
        "flv_client_bytes_in_total",
    ] {
        assert!(text.contains(name), "{name} missing in\n{text}");
    }

    let api: Value = h.get_json("/openapi.json").await;
    assert_eq!(api["openapi"], "3.0.3");
    assert!(api["paths"]["/v1/topics/{topic}/ws"]["get"].is_object());

    let console = h.http.get(h.at("/")).send().await.unwrap();
    assert!(
        console.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = console.text().await.unwrap();
    assert!(html.contains("new WebSocket("));

    // CORS: the configured origin is allowed (preflight and actual), another is not.
    let preflight = h
        .http
        .request(reqwest::Method::OPTIONS, h.at("/v1/topics"))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://app.example"
    );
    let other = h
        .http
        .get(h.at("/v1/topics"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let allowed = h
        .http
        .get(h.at("/v1/topics"))
        .header("origin", "http://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "http://app.example"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_cluster_gives_503_within_the_request_timeout_even_to_queued_requests() {
    // Accepts connections (in the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let options = GatewayOptions {
        bind: "127.0.0.1:0".into(),
        request_timeout: Duration::from_secs(1),
        ..GatewayOptions::default()
    };
    let (url, _stop) = start_gateway(
        options,
        ClusterConfig::new(silent.local_addr().unwrap().to_string()),
    )
    .await;
    let http = http_client();
    let start = std::time::Instant::now();
    let requests = (0..3).map(|_| http.get(format!("{url}/v1/topics")).send());
    for res in futures_util::future::join_all(requests).await {
        assert_eq!(res.unwrap().status(), 503);
    }
    // Each waits at most its own timeout, not the connects queued before it.
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
    drop(silent);
}
