//! `flv -c SC gateway --bind 127.0.0.1:0` against the mock cluster, over plain HTTP/1.1.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{Env, Running, STEP};

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).expect("gateway reachable");
    tcp.set_read_timeout(Some(STEP)).unwrap();
    write!(
        tcp,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("headers");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// A minimal WebSocket client over std TCP (enough for text frames).
struct Ws {
    tcp: TcpStream,
    pending: Vec<u8>,
}

impl Ws {
    fn connect(addr: &str, path: &str) -> Self {
        let mut tcp = TcpStream::connect(addr).expect("gateway reachable");
        tcp.set_read_timeout(Some(STEP)).unwrap();
        write!(
            tcp,
            "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        .unwrap();
        let mut ws = Ws {
            tcp,
            pending: Vec::new(),
        };
        let head_end = loop {
            if let Some(at) = ws.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            ws.fill();
        };
        let head = String::from_utf8_lossy(&ws.pending[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        ws.pending.drain(..head_end);
        ws
    }

    fn fill(&mut self) {
        let mut buf = [0u8; 4096];
        let n = self.tcp.read(&mut buf).expect("data within the time limit");
        assert!(n > 0, "the gateway closed the connection");
        self.pending.extend_from_slice(&buf[..n]);
    }

    /// The next text message as JSON.
    fn next(&mut self) -> serde_json::Value {
        loop {
            let p = &self.pending;
            if p.len() >= 2 {
                let (len, header) = match p[1] & 0x7f {
                    126 if p.len() >= 4 => (usize::from(u16::from_be_bytes([p[2], p[3]])), 4),
                    126 | 127 => (usize::MAX, 0),
                    len => (usize::from(len), 2),
                };
                if header > 0 && p.len() >= header + len {
                    let opcode = p[0] & 0x0f;
                    let payload = p[header..header + len].to_vec();
                    self.pending.drain(..header + len);
                    if opcode == 1 {
                        return serde_json::from_slice(&payload).expect("a JSON message");
                    }
                    continue;
                }
            }
            self.fill();
        }
    }

    /// Sends a masked text frame (payload under 126 bytes).
    fn send(&mut self, text: &str) {
        assert!(text.len() < 126);
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        let mut frame = vec![0x81, 0x80 | text.len() as u8];
        frame.extend_from_slice(&mask);
        frame.extend(text.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.tcp.write_all(&frame).unwrap();
    }
}

#[test]
fn flv_gateway_serves_the_cluster() {
    let env = Env::new(1);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("flv"));
    cmd.env("FLV_PROFILE_PATH", env.profile_path())
        .env("HOME", env.dir.path())
        .args([
            "-c",
            env.server.sc_addr(),
            "gateway",
            "--bind",
            "127.0.0.1:0",
        ]);
    let running = Running::spawn(cmd);
    let line = running.line();
    let url = line
        .split(" listening on ")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let addr = url.trim_start_matches("http://");

    assert_eq!(http(addr, "GET", "/healthz", "").0, 200);
    let (status, _) = http(
        addr,
        "POST",
        "/v1/topics",
        r#"{"name":"cli-gw","partitions":1,"replication":1}"#,
    );
    assert_eq!(status, 201);
    let (status, body) = http(addr, "GET", "/v1/topics", "");
    assert_eq!(status, 200);
    assert!(body.contains(r#""name":"cli-gw""#), "{body}");

    let records: Vec<String> = (0..100).map(|i| format!(r#"{{"value":"r{i}"}}"#)).collect();
    let (status, body) = http(
        addr,
        "POST",
        "/v1/topics/cli-gw/records",
        &format!(r#"{{"records":[{}]}}"#, records.join(",")),
    );
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let offsets: Vec<i64> = answer["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(offsets, (0..100).collect::<Vec<_>>());

    let (status, body) = http(
        addr,
        "GET",
        "/v1/topics/cli-gw/records?offset=beginning&wait=false",
        "",
    );
    assert_eq!(status, 200);
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 100);
    assert!(
        lines
            .iter()
            .enumerate()
            .all(|(i, l)| l["offset"] == i as i64 && l["value"] == format!("r{i}"))
    );

    // The WebSocket replays from the beginning, takes a record, acks it and echoes it live
    // at the acked offset.
    let mut ws = Ws::connect(addr, "/v1/topics/cli-gw/ws?partition=0&offset=beginning");
    for i in 0..100 {
        let record = ws.next();
        assert_eq!(record["offset"], i);
        assert_eq!(record["value"], format!("r{i}"));
    }
    ws.send(r#"{"key":"k","value":"live"}"#);
    let (mut ack, mut echo) = (None, None);
    while ack.is_none() || echo.is_none() {
        let msg = ws.next();
        if msg.get("ack").is_some() {
            ack = Some(msg);
        } else {
            echo = Some(msg);
        }
    }
    assert_eq!(
        ack.unwrap()["ack"],
        serde_json::json!({"partition": 0, "offset": 100})
    );
    let echo = echo.unwrap();
    assert_eq!(
        (echo["offset"].as_i64(), echo["value"].as_str()),
        (Some(100), Some("live"))
    );
    drop(ws);

    assert_eq!(
        http(addr, "GET", "/v1/topics/missing/records?wait=false", "").0,
        404
    );
    assert_eq!(http(addr, "POST", "/v1/topics/cli-gw/records", "{").0, 400);
    let (status, _) = http(addr, "DELETE", "/v1/topics/cli-gw", "");
    assert_eq!(status, 200);
}
