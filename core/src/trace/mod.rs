//! The `flv-trace v1` text format: frames captured between a client and a cluster.
//!
//! ```text
//! # flv-trace v1
//! # scenario: <name>
//! # description: <text>
//! # conn <n> <peer>            peer is `sc` or `spu-<id>`
//! <t> <n> <dir> <hex>          dir `>` client to server, `<` server to client
//! ```
//! Each hex frame includes its 4-byte length prefix.

mod replay;

pub use replay::{CheckReport, Decoded, FrameReport, check, dissect};

use std::collections::BTreeMap;

use bytes::Bytes;
use thiserror::Error;

pub use crate::protocol::message::Peer;

/// Direction of a traced frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server (`>`): a request.
    ToServer,
    /// Server to client (`<`): a response.
    ToClient,
}

/// One captured frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceFrame {
    /// Seconds since the capture started.
    pub time: f64,
    /// Connection number.
    pub conn: u32,
    /// Direction.
    pub dir: Direction,
    /// The whole frame, length prefix included.
    pub bytes: Bytes,
    /// 1-based line number in the trace file.
    pub line: usize,
}

impl TraceFrame {
    /// The frame payload, without its 4-byte length prefix.
    pub fn payload(&self) -> Bytes {
        self.bytes.slice(4.min(self.bytes.len())..)
    }
}

/// A parsed trace file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Scenario name.
    pub scenario: String,
    /// What the client did.
    pub description: String,
    /// Connections by number.
    pub connections: BTreeMap<u32, Peer>,
    /// Frames in capture order.
    pub frames: Vec<TraceFrame>,
}

/// A line of a trace file that does not follow the format.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct TraceParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let s = s.as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

impl Trace {
    /// Parses the text of a trace file.
    pub fn parse(text: &str) -> Result<Self, TraceParseError> {
        let mut trace = Self::default();
        let err = |line: usize, message: String| TraceParseError { line, message };
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() {
                continue;
            }
            if let Some(comment) = l.strip_prefix('#') {
                let c = comment.trim();
                if let Some(v) = c.strip_prefix("scenario:") {
                    trace.scenario = v.trim().to_string();
                } else if let Some(v) = c.strip_prefix("description:") {
                    trace.description = v.trim().to_string();
                } else if let Some(v) = c.strip_prefix("conn ") {
                    let mut parts = v.split_whitespace();
                    let n: u32 = parts
                        .next()
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| err(line, "bad connection number".into()))?;
                    let peer = match parts.next() {
                        Some("sc") => Peer::Sc,
                        Some(p) => Peer::Spu(
                            p.strip_prefix("spu-")
                                .and_then(|id| id.parse().ok())
                                .ok_or_else(|| err(line, format!("bad peer {p:?}")))?,
                        ),
                        None => return Err(err(line, "missing peer".into())),
                    };
                    trace.connections.insert(n, peer);
                }
                continue;
            }
            let mut parts = l.split_whitespace();
            let mut next = |what: &str| {
                parts
                    .next()
                    .ok_or_else(|| err(line, format!("missing {what}")))
            };
            let time: f64 = next("time")?
                .parse()
                .map_err(|_| err(line, "bad time".into()))?;
            let conn: u32 = next("connection")?
                .parse()
                .map_err(|_| err(line, "bad connection".into()))?;
            let dir = match next("direction")? {
                ">" => Direction::ToServer,
                "<" => Direction::ToClient,
                d => return Err(err(line, format!("bad direction {d:?}"))),
            };
            let bytes = hex_decode(next("hex")?).ok_or_else(|| err(line, "bad hex".into()))?;
            if !trace.connections.contains_key(&conn) {
                return Err(err(line, format!("undeclared connection {conn}")));
            }
            trace.frames.push(TraceFrame {
                time,
                conn,
                dir,
                bytes: Bytes::from(bytes),
                line,
            });
        }
        Ok(trace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_and_frames() {
        let t = Trace::parse(
            "# flv-trace v1\n# scenario: x\n# description: y z\n# conn 1 sc\n# conn 2 spu-5001\n\
             0.5 1 > 00000001ff\n0.6 2 < 00000000\n",
        )
        .unwrap();
        assert_eq!(t.scenario, "x");
        assert_eq!(t.connections[&2], Peer::Spu(5001));
        assert_eq!(t.frames.len(), 2);
        assert_eq!(&t.frames[0].payload()[..], &[0xff]);
        assert_eq!(t.frames[1].dir, Direction::ToClient);
        assert!(Trace::parse("# conn 1 sc\n0 1 > 0g\n").is_err());
        assert!(Trace::parse("0 9 > 00\n").is_err());
    }
}
