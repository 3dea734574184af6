//! Bearer tokens with per-topic grants (401/403), the TLS listener, and a cluster reached
//! over TLS.

mod common;

use common::{Harness, STEP, next_json, start_gateway};
use flv_gateway::GatewayOptions;
use flv_gateway::auth::Tokens;
use flv_gateway::tls::TlsFiles;
use flv_mock_cluster::{MockClusterServer, ServerOptions, TlsOptions};
use flv_tokio::config::{ClusterConfig, TlsPolicy};
use futures_util::{SinkExt, StreamExt};
use rustls_pki_types::pem::PemObject;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const TOKENS: &str = r#"
[[token]]
token = "admin"
read = ["*"]
write = ["*"]

[[token]]
token = "reader"
read = ["chat-*"]

[[token]]
token = "s p@ce+"
read = ["*"]

[[token]]
token = "chatter"
read = ["chat-*"]
write = ["chat-*"]
"#;

fn with_tokens() -> GatewayOptions {
    GatewayOptions {
        tokens: Some(Tokens::parse(TOKENS).unwrap()),
        ..GatewayOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_give_401_without_and_403_outside_grants() {
    let harness = Harness::start(with_tokens()).await;
    let h = &harness;
    let http = &h.http;
    let create = |token: Option<&'static str>, name: &'static str| {
        let mut req = http.post(h.at("/v1/topics")).json(&json!({ "name": name }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    // No token, an unknown token, a non-bearer scheme: 401.
    assert_eq!(create(None, "chat-room").await.unwrap().status(), 401);
    assert_eq!(
        create(Some("nobody"), "chat-room").await.unwrap().status(),
        401
    );
    let basic = http
        .get(h.at("/v1/topics"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    // Reader may not create; chatter may create chat-* only; admin anything.
    assert_eq!(
        create(Some("reader"), "chat-room").await.unwrap().status(),
        403
    );
    assert_eq!(
        create(Some("chatter"), "secret").await.unwrap().status(),
        403
    );
    assert_eq!(
        create(Some("chatter"), "chat-room").await.unwrap().status(),
        201
    );
    assert_eq!(create(Some("admin"), "secret").await.unwrap().status(), 201);

    // Lists show what the token may read or write.
    let list = |t: &'static str| async move {
        let v: Value = http
            .get(h.at("/v1/topics"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(list("admin").await, ["chat-room", "secret"]);
    assert_eq!(list("reader").await, ["chat-room"]);

    // Produce: write grant; read: read grant (header or access_token parameter).
    let produce = |t: &'static str, topic: &'static str| {
        http.post(h.at(&format!("/v1/topics/{topic}/records")))
            .bearer_auth(t)
            .json(&json!({"records": [{"value": "v"}]}))
            .send()
    };
    assert_eq!(produce("reader", "chat-room").await.unwrap().status(), 403);
    assert_eq!(produce("chatter", "secret").await.unwrap().status(), 403);
    assert_eq!(produce("chatter", "chat-room").await.unwrap().status(), 200);
    let read = http
        .get(h.at("/v1/topics/chat-room/records?offset=beginning&wait=false&access_token=reader"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(common::ndjson(&read.text().await.unwrap()).len(), 1);
    let read = http
        .get(h.at("/v1/topics/secret/records?wait=false"))
        .bearer_auth("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403);
    let read = http
        .get(h.at("/v1/topics/secret/records?wait=false"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 401);
    let del = http
        .delete(h.at("/v1/topics/secret"))
        .bearer_auth("chatter")
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 403);

    // WebSocket: 401 without a token; a reader's socket refuses to produce.
    let err = tokio_tungstenite::connect_async(h.ws("/v1/topics/chat-room/ws"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let (mut ws, _) =
        tokio_tungstenite::connect_async(h.ws("/v1/topics/chat-room/ws?access_token=reader"))
            .await
            .unwrap();
    ws.send(Message::Text(json!({"value": "sneaky"}).to_string().into()))
        .await
        .unwrap();
    let msg = tokio::time::timeout(STEP, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let msg: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(msg["status"], 403, "{msg}");

    // Open routes stay open.
    for path in ["/healthz", "/metrics", "/openapi.json", "/"] {
        assert_eq!(
            http.get(h.at(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
}

fn cert_for(names: &[&str]) -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    (ck.cert.pem(), ck.signing_key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_listener_and_a_tls_cluster() {
    // The cluster speaks TLS; the gateway reaches it with the profile's TLS policy.
    let (cluster_cert, cluster_key) = cert_for(&["localhost"]);
    let server = MockClusterServer::start(ServerOptions {
        spus: 1,
        tls: Some(TlsOptions {
            cert_pem: cluster_cert,
            key_pem: cluster_key,
        }),
        ..ServerOptions::default()
    })
    .unwrap();
    let mut cluster = ClusterConfig::new(server.sc_addr());
    cluster.tls = TlsPolicy::Anonymous;

    // The gateway serves HTTPS with its own certificate.
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = cert_for(&["localhost"]);
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    let options = GatewayOptions {
        tls: Some(TlsFiles {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        }),
        ..GatewayOptions::default()
    };
    let (url, _stop) = start_gateway(options, cluster).await;
    assert!(url.starts_with("https://127.0.0.1:"));
    let url = url.replace("127.0.0.1", "localhost");
    let https = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).unwrap())
        .resolve(
            "localhost",
            url.trim_start_matches("https://localhost:")
                .parse::<u16>()
                .map(|p| std::net::SocketAddr::from(([127, 0, 0, 1], p)))
                .unwrap(),
        )
        .timeout(STEP)
        .build()
        .unwrap();
    let res = https
        .post(format!("{url}/v1/topics"))
        .json(&json!({"name": "secure"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = https
        .post(format!("{url}/v1/topics/secure/records"))
        .json(&json!({"records": [{"value": "over tls"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = https
        .get(format!(
            "{url}/v1/topics/secure/records?offset=beginning&wait=false"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(common::ndjson(&text)[0]["value"], "over tls");

    // A WebSocket over the same TLS listener: the upgrade, the server's frames and the
    // client's produce all travel inside TLS.
    let port = url
        .trim_start_matches("https://localhost:")
        .parse::<u16>()
        .unwrap();
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    let der = rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap();
    roots.add(der).unwrap();
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(
            rustls_pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(
        format!("wss://localhost:{port}/v1/topics/secure/ws?offset=beginning"),
        tls,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 101);
    let first = next_json(&mut ws).await;
    assert_eq!(first["value"], "over tls", "{first}");
    ws.send(Message::text(r#"{"key":"k","value":"ws over tls"}"#))
        .await
        .unwrap();
    // The acknowledgement and the record itself arrive, in either order.
    let (mut acked, mut echoed) = (None, None);
    while acked.is_none() || echoed.is_none() {
        let msg = next_json(&mut ws).await;
        if msg.get("ack").is_some() {
            acked = Some(msg["ack"]["offset"].clone());
        } else {
            assert_eq!(msg["value"], "ws over tls", "{msg}");
            assert_eq!(msg["key"], "k", "{msg}");
            echoed = Some(msg["offset"].clone());
        }
    }
    assert_eq!(acked, Some(json!(1)));
    assert_eq!(echoed, Some(json!(1)));
    ws.close(None).await.unwrap();

    // Plain HTTP to the HTTPS port fails; a client that does not trust the certificate too.
    let plain = common::http_client()
        .get(url.replace("https://", "http://") + "/healthz")
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let untrusting = reqwest::Client::builder()
        .no_proxy()
        .timeout(STEP)
        .build()
        .unwrap();
    assert!(
        untrusting
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_err()
    );

    // Bad certificate files are refused at bind time.
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    let bad = GatewayOptions {
        tls: Some(TlsFiles {
            cert: dir.path().join("empty.pem"),
            key: dir.path().join("key.pem"),
        }),
        ..GatewayOptions::default()
    };
    let err = flv_gateway::Gateway::bind(bad, ClusterConfig::new("127.0.0.1:1"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no certificate"), "{err}");
}
