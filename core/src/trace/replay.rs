//! Decoding every frame of a trace, re-encoding it, and rendering it for people.

use std::collections::HashMap;
use std::fmt::Write as _;

use bytes::BytesMut;

use super::{Direction, Peer, Trace, TraceFrame};
use crate::protocol::codec::Version;
use crate::protocol::message::{
    AnyRequest, AnyResponse, RequestFrame, ResponseFrame, ServerKind, api_name,
};

/// What happened to one frame of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameReport {
    /// 0-based index of the frame in the trace.
    pub index: usize,
    /// Line number in the trace file.
    pub line: usize,
    /// Connection number.
    pub conn: u32,
    /// The server at the other end.
    pub peer: Peer,
    /// Direction.
    pub dir: Direction,
    /// Api key of the request (for responses: of the request answered), when known.
    pub api_key: Option<u16>,
    /// Version of the request, when known.
    pub version: Option<Version>,
    /// Correlation id, when readable.
    pub correlation_id: Option<i32>,
    /// The decoded message, or why it could not be decoded.
    pub decoded: Result<Decoded, String>,
    /// True when re-encoding gave the captured bytes exactly.
    pub identical: bool,
}

/// A decoded frame body.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A request.
    Request(Box<AnyRequest>),
    /// A response.
    Response(Box<AnyResponse>),
}

impl FrameReport {
    /// Name of the API, e.g. `StreamFetch`, or `api <key>` when unknown.
    pub fn api(&self) -> String {
        let server = server_kind(self.peer);
        match self.api_key {
            Some(k) => api_name(server, k).map_or_else(|| format!("api {k}"), str::to_string),
            None => "unknown api".to_string(),
        }
    }
}

/// Totals of a trace check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Frames in the trace.
    pub frames: usize,
    /// Frames that decoded.
    pub decoded: usize,
    /// Frames that decoded and re-encoded to the captured bytes.
    pub identical: usize,
}

impl CheckReport {
    /// Frames that failed to decode or did not re-encode identically.
    pub fn failed(&self) -> usize {
        self.frames - self.identical
    }

    /// Adds another report's totals.
    pub fn add(&mut self, other: &Self) {
        self.frames += other.frames;
        self.decoded += other.decoded;
        self.identical += other.identical;
    }
}

fn server_kind(peer: Peer) -> ServerKind {
    peer.kind()
}

fn check_length_prefix(frame: &TraceFrame) -> Result<(), String> {
    match frame.bytes.get(..4) {
        Some(p) => {
            let len = i32::from_be_bytes([p[0], p[1], p[2], p[3]]);
            if len as i64 == frame.bytes.len() as i64 - 4 {
                Ok(())
            } else {
                Err(format!(
                    "length prefix {len} but {} payload bytes",
                    frame.bytes.len() - 4
                ))
            }
        }
        None => Err("frame shorter than its length prefix".to_string()),
    }
}

/// Decodes and re-encodes every frame of `trace`, in order.
///
/// Requests decode by their header's api key and version; responses by the request of
/// the same connection and correlation id.
pub fn check(trace: &Trace) -> (CheckReport, Vec<FrameReport>) {
    let mut pending: HashMap<(u32, i32), (u16, Version)> = HashMap::new();
    let mut report = CheckReport::default();
    let mut frames = Vec::with_capacity(trace.frames.len());
    for (index, frame) in trace.frames.iter().enumerate() {
        let peer = trace
            .connections
            .get(&frame.conn)
            .copied()
            .unwrap_or(Peer::Sc);
        let server = server_kind(peer);
        let mut out = FrameReport {
            index,
            line: frame.line,
            conn: frame.conn,
            peer,
            dir: frame.dir,
            api_key: None,
            version: None,
            correlation_id: None,
            decoded: Err(String::new()),
            identical: false,
        };
        let payload = frame.payload();
        let mut buf = BytesMut::new();
        out.decoded = check_length_prefix(frame).and_then(|()| match frame.dir {
            Direction::ToServer => {
                // Learn the api from the header even if the body fails to decode.
                if let Ok(h) = crate::protocol::header::RequestHeader::peek(&payload) {
                    out.api_key = Some(h.api_key);
                    out.version = Some(h.api_version);
                    out.correlation_id = Some(h.correlation_id);
                    pending.insert((frame.conn, h.correlation_id), (h.api_key, h.api_version));
                }
                let req = RequestFrame::decode(server, payload).map_err(|e| e.to_string())?;
                req.encode(&mut buf)
                    .map_err(|e| format!("re-encode: {e}"))?;
                Ok(Decoded::Request(Box::new(req.body)))
            }
            Direction::ToClient => {
                let corr =
                    ResponseFrame::peek_correlation_id(&payload).map_err(|e| e.to_string())?;
                out.correlation_id = Some(corr);
                let (key, version) = *pending
                    .get(&(frame.conn, corr))
                    .ok_or_else(|| format!("no request with correlation id {corr}"))?;
                out.api_key = Some(key);
                out.version = Some(version);
                let resp = ResponseFrame::decode(server, key, version, payload)
                    .map_err(|e| e.to_string())?;
                resp.encode(&mut buf, version)
                    .map_err(|e| format!("re-encode: {e}"))?;
                Ok(Decoded::Response(Box::new(resp.body)))
            }
        });
        report.frames += 1;
        if out.decoded.is_ok() {
            report.decoded += 1;
            out.identical = buf[..] == frame.bytes[..];
            if out.identical {
                report.identical += 1;
            }
        }
        frames.push(out);
    }
    (report, frames)
}

/// Renders every frame of `trace` for people: direction, api, version, correlation
/// id and the decoded fields (record keys and values escaped and shortened).
pub fn dissect(trace: &Trace) -> String {
    let (_, frames) = check(trace);
    let mut out = String::new();
    let _ = writeln!(out, "scenario: {}", trace.scenario);
    let _ = writeln!(out, "description: {}", trace.description);
    for (n, peer) in &trace.connections {
        let _ = writeln!(out, "conn {n}: {peer}");
    }
    for f in &frames {
        let arrow = match f.dir {
            Direction::ToServer => "client -> server",
            Direction::ToClient => "server -> client",
        };
        let _ = writeln!(
            out,
            "\n#{} line {} conn {} ({}) {} {} v{} correlation {}",
            f.index,
            f.line,
            f.conn,
            f.peer,
            arrow,
            f.api(),
            f.version.map_or_else(|| "?".into(), |v| v.to_string()),
            f.correlation_id
                .map_or_else(|| "?".into(), |c| c.to_string()),
        );
        match &f.decoded {
            Ok(Decoded::Request(r)) => {
                let _ = writeln!(out, "{r:#?}");
            }
            Ok(Decoded::Response(r)) => {
                let _ = writeln!(out, "{r:#?}");
            }
            Err(e) => {
                let _ = writeln!(out, "ERROR: {e}");
            }
        }
        if f.decoded.is_ok() && !f.identical {
            let _ = writeln!(out, "WARNING: re-encoding differs from the captured bytes");
        }
    }
    out
}
