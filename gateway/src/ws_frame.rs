//! The WebSocket protocol (RFC 6455) as the gateway speaks it, without IO: the opening
//! handshake's accept key, server frames written straight into an output buffer, and client
//! frames parsed from an input buffer.
//!
//! Why by hand: the record stream sends one text message per record, and a general WebSocket
//! library pays a per-message cost (a sink call, a UTF-8 check, a frame object, a copy into
//! its own buffer) that halved the gateway's records/s next to NDJSON. Here a group of
//! records becomes one buffer of frames, written with one call. No extension is negotiated,
//! so frames carry no reserved bits; client frames must be masked (the RFC's rule).

use base64::Engine as _;
use bytes::{Buf, BytesMut};
use sha1::{Digest, Sha1};

/// The GUID the accept key is derived with (RFC 6455 §1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Close codes the gateway sends.
pub(crate) mod close {
    /// Normal closure.
    pub(crate) const NORMAL: u16 = 1000;
    /// A frame the protocol does not allow.
    pub(crate) const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub(crate) const INVALID_DATA: u16 = 1007;
    /// A message over the size limit.
    pub(crate) const TOO_BIG: u16 = 1009;
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub(crate) fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// Appends one unfragmented server frame (unmasked) of `opcode` with `payload` to `out`.
fn put_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// Appends a text frame; `payload` must be UTF-8 (the callers write JSON).
pub(crate) fn put_text(out: &mut Vec<u8>, payload: &[u8]) {
    put_frame(out, OP_TEXT, payload);
}

/// Appends a pong answering a ping's payload.
pub(crate) fn put_pong(out: &mut Vec<u8>, payload: &[u8]) {
    put_frame(out, OP_PONG, payload);
}

/// Appends a close frame with `code`.
pub(crate) fn put_close(out: &mut Vec<u8>, code: u16) {
    put_frame(out, OP_CLOSE, &code.to_be_bytes());
}

/// A complete message from the client.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Incoming {
    /// A text message.
    Text(String),
    /// A binary message (the gateway answers with an error).
    Binary,
    /// A ping, with its payload for the pong.
    Ping(Vec<u8>),
    /// A pong (ignored).
    Pong,
    /// The client closes, with its code if it gave one.
    Close(Option<u16>),
}

/// A client frame the gateway refuses; the connection then closes with [`Self::code`].
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    /// A frame the protocol does not allow here.
    #[error("WebSocket protocol error: {0}")]
    Protocol(&'static str),
    /// A message larger than the limit.
    #[error("WebSocket message over {0} bytes")]
    TooBig(usize),
    /// A text message that is not UTF-8.
    #[error("WebSocket text message is not UTF-8")]
    NotUtf8,
}

impl FrameError {
    /// The close code that reports this error.
    pub(crate) fn code(&self) -> u16 {
        match self {
            FrameError::Protocol(_) => close::PROTOCOL_ERROR,
            FrameError::TooBig(_) => close::TOO_BIG,
            FrameError::NotUtf8 => close::INVALID_DATA,
        }
    }
}

/// Client frames, parsed from the bytes read so far ([`Self::buffer`]).
///
/// Holds at most one frame header, one frame's payload and one fragmented message: a frame
/// or message over `max_message` bytes is refused from its header, before its payload is
/// buffered.
#[derive(Debug)]
pub(crate) struct FrameReader {
    buf: BytesMut,
    max_message: usize,
    /// A fragmented data message: its opcode and the payload so far.
    partial: Option<(u8, Vec<u8>)>,
}

impl FrameReader {
    /// A reader refusing messages over `max_message` bytes.
    pub(crate) fn new(max_message: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(4096),
            max_message,
            partial: None,
        }
    }

    /// Where the caller appends the bytes it reads.
    pub(crate) fn buffer(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// The next complete message, if the buffer holds one.
    pub(crate) fn next_message(&mut self) -> Result<Option<Incoming>, FrameError> {
        loop {
            let Some((fin, opcode, payload)) = self.next_frame()? else {
                return Ok(None);
            };
            match opcode {
                OP_PING => return Ok(Some(Incoming::Ping(payload))),
                OP_PONG => return Ok(Some(Incoming::Pong)),
                OP_CLOSE => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return Ok(Some(Incoming::Close(code)));
                }
                OP_TEXT | OP_BINARY => {
                    if self.partial.is_some() {
                        return Err(FrameError::Protocol(
                            "a new message inside a fragmented one",
                        ));
                    }
                    if fin {
                        return finish(opcode, payload).map(Some);
                    }
                    self.partial = Some((opcode, payload));
                }
                OP_CONTINUATION => {
                    let Some((first, mut data)) = self.partial.take() else {
                        return Err(FrameError::Protocol("a continuation without a message"));
                    };
                    if data.len() + payload.len() > self.max_message {
                        return Err(FrameError::TooBig(self.max_message));
                    }
                    data.extend_from_slice(&payload);
                    if fin {
                        return finish(first, data).map(Some);
                    }
                    self.partial = Some((first, data));
                }
                _ => return Err(FrameError::Protocol("unknown opcode")),
            }
        }
    }

    /// The next whole frame (fin, opcode, unmasked payload), if buffered.
    fn next_frame(&mut self) -> Result<Option<(bool, u8, Vec<u8>)>, FrameError> {
        let b = &self.buf[..];
        if b.len() < 2 {
            return Ok(None);
        }
        let (fin, rsv, opcode) = (b[0] & 0x80 != 0, b[0] & 0x70, b[0] & 0x0F);
        if rsv != 0 {
            return Err(FrameError::Protocol("reserved bits set"));
        }
        if b[1] & 0x80 == 0 {
            return Err(FrameError::Protocol("client frames must be masked"));
        }
        let (len, header) = match b[1] & 0x7F {
            126 if b.len() >= 4 => (u64::from(u16::from_be_bytes([b[2], b[3]])), 4),
            127 if b.len() >= 10 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(n), 10)
            }
            126 | 127 => return Ok(None),
            n => (u64::from(n), 2),
        };
        let control = opcode & 0x8 != 0;
        if control && (!fin || len > 125) {
            return Err(FrameError::Protocol("a fragmented or long control frame"));
        }
        let len = match usize::try_from(len) {
            Ok(n) if n <= self.max_message => n,
            _ => return Err(FrameError::TooBig(self.max_message)),
        };
        let total = header + 4 + len;
        if b.len() < total {
            self.buf.reserve(total - b.len());
            return Ok(None);
        }
        let mask = [b[header], b[header + 1], b[header + 2], b[header + 3]];
        let mut payload = b[header + 4..total].to_vec();
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i & 3];
        }
        self.buf.advance(total);
        Ok(Some((fin, opcode, payload)))
    }
}

fn finish(opcode: u8, payload: Vec<u8>) -> Result<Incoming, FrameError> {
    if opcode == OP_BINARY {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload)
        .map(Incoming::Text)
        .map_err(|_| FrameError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client frame: masked with a fixed key.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut out = vec![if fin { 0x80 } else { 0 } | opcode];
        match payload.len() {
            n @ 0..=125 => out.push(0x80 | n as u8),
            n @ 126..=0xFFFF => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    fn feed(reader: &mut FrameReader, bytes: &[u8]) -> Vec<Result<Incoming, FrameError>> {
        reader.buffer().extend_from_slice(bytes);
        let mut got = Vec::new();
        loop {
            match reader.next_message() {
                Ok(Some(m)) => got.push(Ok(m)),
                Ok(None) => return got,
                Err(e) => {
                    got.push(Err(e));
                    return got;
                }
            }
        }
    }

    #[test]
    fn accept_key_matches_the_rfc_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn server_frames_use_the_shortest_length() {
        for (len, header) in [(0, 2), (125, 2), (126, 4), (65_535, 4), (65_536, 10)] {
            let mut out = Vec::new();
            put_text(&mut out, &vec![b'x'; len]);
            assert_eq!(out.len(), header + len, "{len}");
            assert_eq!(out[0], 0x81);
        }
        let mut out = Vec::new();
        put_close(&mut out, close::NORMAL);
        assert_eq!(out, [0x88, 2, 0x03, 0xE8]);
    }

    #[test]
    fn messages_byte_by_byte_and_in_one_read() {
        let mut wire = client_frame(true, OP_TEXT, "{\"value\":\"hé\"}".as_bytes());
        wire.extend(client_frame(true, OP_PING, b"p"));
        wire.extend(client_frame(false, OP_TEXT, b"{\"va"));
        wire.extend(client_frame(true, OP_PONG, b""));
        wire.extend(client_frame(true, OP_CONTINUATION, b"lue\":1}"));
        wire.extend(client_frame(true, OP_BINARY, &[0, 1]));
        wire.extend(client_frame(true, OP_TEXT, &vec![b'a'; 70_000]));
        wire.extend(client_frame(true, OP_CLOSE, &1000u16.to_be_bytes()));
        let want = vec![
            Ok(Incoming::Text("{\"value\":\"hé\"}".into())),
            Ok(Incoming::Ping(b"p".to_vec())),
            Ok(Incoming::Pong),
            Ok(Incoming::Text("{\"value\":1}".into())),
            Ok(Incoming::Binary),
            Ok(Incoming::Text("a".repeat(70_000))),
            Ok(Incoming::Close(Some(1000))),
        ];
        let mut reader = FrameReader::new(1 << 20);
        assert_eq!(feed(&mut reader, &wire), want);
        let mut reader = FrameReader::new(1 << 20);
        let got: Vec<_> = wire.iter().flat_map(|b| feed(&mut reader, &[*b])).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bad_frames_are_refused_with_their_close_code() {
        let unmasked = [0x81, 0x01, b'x'];
        let reserved = {
            let mut f = client_frame(true, OP_TEXT, b"x");
            f[0] |= 0x40;
            f
        };
        let cases: Vec<(Vec<u8>, u16)> = vec![
            (unmasked.to_vec(), close::PROTOCOL_ERROR),
            (reserved, close::PROTOCOL_ERROR),
            (client_frame(true, 0x3, b""), close::PROTOCOL_ERROR),
            (
                client_frame(true, OP_CONTINUATION, b"x"),
                close::PROTOCOL_ERROR,
            ),
            (client_frame(false, OP_PING, b""), close::PROTOCOL_ERROR),
            (
                client_frame(true, OP_PING, &[0; 126]),
                close::PROTOCOL_ERROR,
            ),
            (
                client_frame(true, OP_TEXT, &[0xFF, 0xFE]),
                close::INVALID_DATA,
            ),
            (client_frame(true, OP_TEXT, &[b'a'; 101]), close::TOO_BIG),
            (
                [
                    client_frame(false, OP_TEXT, &[b'a'; 60]),
                    client_frame(true, OP_CONTINUATION, &[b'a'; 60]),
                ]
                .concat(),
                close::TOO_BIG,
            ),
            (
                [
                    client_frame(false, OP_TEXT, b"a"),
                    client_frame(true, OP_TEXT, b"b"),
                ]
                .concat(),
                close::PROTOCOL_ERROR,
            ),
        ];
        for (i, (wire, code)) in cases.into_iter().enumerate() {
            let mut reader = FrameReader::new(100);
            let got = feed(&mut reader, &wire);
            match got.last() {
                Some(Err(e)) => assert_eq!(e.code(), code, "case {i}: {e}"),
                other => panic!("case {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_huge_announced_length_is_refused_before_buffering() {
        let mut reader = FrameReader::new(1 << 20);
        let mut header = vec![0x81, 0x80 | 127];
        header.extend_from_slice(&u64::MAX.to_be_bytes());
        header.extend_from_slice(&[1, 2, 3, 4]);
        let got = feed(&mut reader, &header);
        assert_eq!(got, vec![Err(FrameError::TooBig(1 << 20))]);
        assert!(reader.buffer().capacity() < 1 << 16);
    }
}
