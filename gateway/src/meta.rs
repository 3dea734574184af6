//! `/healthz`, `/metrics`, `/openapi.json`, the console at `/`, the 404 fallback and the
//! request counter.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;
use crate::wire::Params;

/// The web console (plain HTML and JavaScript, no build step).
const CONSOLE: &str = include_str!("../console/index.html");

/// The OpenAPI 3 description of every route.
pub(crate) const OPENAPI: &str = include_str!("openapi.json");

/// Counts every answer by status code.
pub(crate) async fn count_requests(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let code = response.status().as_u16();
    *state
        .counters
        .responses
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(code)
        .or_default() += 1;
    response
}

/// `GET /healthz`: 200 while the gateway runs; with `?ready=true` also connects to the
/// cluster, 503 when it cannot be reached.
pub(crate) async fn healthz(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref())?;
    params.only(&["ready"])?;
    if params.flag("ready", false)? {
        state.client().await?;
    }
    let connected = state.connected_client().is_some();
    Ok(Json(json!({
        "status": "ok",
        "cluster": if connected { "connected" } else { "not connected" },
    })))
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let c = &state.counters;
    let mut out = String::new();
    out.push_str(
        "# HELP flv_gateway_requests_total HTTP requests answered, by status code.\n\
         # TYPE flv_gateway_requests_total counter\n",
    );
    let mut codes: Vec<(u16, u64)> = c
        .responses
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    codes.sort_unstable();
    for (code, n) in codes {
        let _ = writeln!(out, "flv_gateway_requests_total{{code=\"{code}\"}} {n}");
    }
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    metric(
        &mut out,
        "flv_gateway_records_in_total",
        "counter",
        "Records produced through the gateway and acknowledged.",
        load(&c.records_in),
    );
    metric(
        &mut out,
        "flv_gateway_records_out_total",
        "counter",
        "Records sent to readers (NDJSON, SSE, WebSocket).",
        load(&c.records_out),
    );
    metric(
        &mut out,
        "flv_gateway_open_streams",
        "gauge",
        "Streams open now (NDJSON, SSE, WebSocket).",
        load(&c.open_streams),
    );
    metric(
        &mut out,
        "flv_gateway_streams_opened_total",
        "counter",
        "Streams opened since start.",
        load(&c.streams_opened),
    );
    let client = state.connected_client();
    metric(
        &mut out,
        "flv_client_connected",
        "gauge",
        "1 when the gateway holds a cluster client.",
        u64::from(client.is_some()),
    );
    if let Some(client) = client {
        let m = client.metrics();
        let cm = &m.client;
        for (name, help, value) in [
            ("connects", "Connections requested.", cm.connects),
            (
                "connection_failures",
                "Connections that failed or broke.",
                cm.connection_failures,
            ),
            (
                "reconnects",
                "Connections opened again to a known server.",
                m.reconnects,
            ),
            ("requests", "Requests sent to the cluster.", cm.requests),
            (
                "responses",
                "Responses received from the cluster.",
                cm.responses,
            ),
            ("bytes_out", "Bytes sent to the cluster.", cm.bytes_out),
            ("bytes_in", "Bytes received from the cluster.", cm.bytes_in),
            (
                "records_produced",
                "Records delivered by producers.",
                cm.records_produced,
            ),
            ("produce_retries", "Produce retries.", cm.produce_retries),
            (
                "records_consumed",
                "Records handed out by consumers.",
                cm.records_consumed,
            ),
            (
                "stream_starts",
                "Consumer stream (re)starts.",
                cm.stream_starts,
            ),
        ] {
            metric(
                &mut out,
                &format!("flv_client_{name}_total"),
                "counter",
                help,
                value,
            );
        }
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// `GET /openapi.json`.
pub(crate) async fn openapi() -> Response {
    let mut response = OPENAPI.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `GET /`: the web console.
pub(crate) async fn console() -> Html<&'static str> {
    Html(CONSOLE)
}

/// Any other path: 404 with a JSON error.
pub(crate) async fn not_found(request: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": format!("no route for {} {}", request.method(), request.uri().path()) })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_is_json_with_every_route() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/v1/topics",
            "/v1/topics/{topic}",
            "/v1/topics/{topic}/records",
            "/v1/topics/{topic}/ws",
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/",
        ] {
            assert!(paths.contains_key(path), "{path} missing");
        }
    }
}
