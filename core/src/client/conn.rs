//! One connection: framing, the ApiVersions handshake, version negotiation, correlation
//! ids, single and streaming responses, deadlines, and poisoning.
//!
//! States: `Connecting` (driver dialing) → `Handshaking` (ApiVersions sent) → `Ready` →
//! `Closed`. Requests submitted before `Ready` wait in a queue and are encoded at the
//! version negotiated by the handshake. Any framing or decoding error, a handshake
//! failure, or an expired deadline *poisons* the connection: it closes and every waiter
//! (queued or sent) fails with a typed error telling whether its request was written.
//!
//! `T` is the owner tag the client attaches to each request; the connection hands it back
//! with the response or the failure.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::error::{ClientError, WireError};
use super::event::Peer;
use crate::protocol::api_versions::{ApiVersionKey, ApiVersionsRequest, ApiVersionsResponse};
use crate::protocol::codec::{Decode, Reader, Version};
use crate::protocol::frame::FrameDecoder;
use crate::protocol::header::{Request, RequestHeader};
use crate::protocol::message::{AnyRequest, AnyResponse, RequestFrame, ServerKind};
use crate::time::Instant;

/// Header version of ApiVersions, as the official client sends it.
pub(crate) const API_VERSIONS_VERSION: Version = 2;
/// Oldest platform the official client accepts (`MINIMUM_PLATFORM_VERSION`).
pub(crate) const MINIMUM_PLATFORM_VERSION: (u64, u64, u64) = (0, 9, 0);

/// A request waiting to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing<T> {
    /// Owner.
    pub tag: T,
    /// Body.
    pub body: AnyRequest,
    /// Many responses share its correlation id (watch, stream fetch).
    pub stream: bool,
    /// Use the metadata client id (`dummy`) instead of the client id.
    pub metadata_id: bool,
    /// Deadline for the (first) response, from the time it is written.
    pub timeout: Option<Duration>,
}

#[derive(Debug)]
struct Pending<T> {
    tag: T,
    api_key: u16,
    version: Version,
    stream: bool,
    deadline: Option<Instant>,
    timeout: Duration,
    /// Byte position in the outgoing stream where the request ends.
    wire_end: u64,
    /// The request's `tracing` span (`request{peer api correlation_id}`): its response,
    /// or its failure, is logged inside it.
    span: tracing::Span,
}

/// Something the connection tells its owner.
#[derive(Debug)]
pub(crate) enum ConnOutput<T> {
    /// The handshake finished; queued requests were written.
    Ready,
    /// A response. `done` is false while a stream stays open.
    Response {
        tag: T,
        body: AnyResponse,
        done: bool,
    },
    /// A request failed; `written` tells whether its bytes were handed to the driver.
    Failed {
        tag: T,
        error: ClientError,
        written: bool,
    },
    /// The connection is closed for this reason; the `Failed` outputs of its waiters
    /// follow (so that retries already see the connection gone).
    Closed(ClientError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnState {
    Connecting,
    Handshaking,
    Ready,
    Closed,
}

/// Settings a connection needs from the client configuration.
#[derive(Debug, Clone)]
pub(crate) struct ConnSettings {
    pub client_id: String,
    pub metadata_client_id: String,
    pub client_version: String,
    pub connect_timeout: Duration,
    pub max_frame_size: usize,
}

/// A connection to the SC or an SPU.
#[derive(Debug)]
pub(crate) struct Conn<T> {
    pub peer: Peer,
    state: ConnState,
    handshake_deadline: Option<Instant>,
    decoder: FrameDecoder,
    versions: Vec<ApiVersionKey>,
    platform_version: String,
    next_corr: i32,
    pending: BTreeMap<i32, Pending<T>>,
    queued: VecDeque<Outgoing<T>>,
    out: BytesMut,
    out_total: u64,
    flushed_total: u64,
    /// Frames dropped because no request waits for their correlation id.
    pub dropped: u64,
}

impl<T: Clone> Conn<T> {
    /// A connection the driver is asked to open.
    pub(super) fn new(peer: Peer, settings: &ConnSettings, now: Instant) -> Self {
        Self {
            peer,
            state: ConnState::Connecting,
            handshake_deadline: Some(now + settings.connect_timeout),
            decoder: FrameDecoder::new(settings.max_frame_size),
            versions: Vec::new(),
            platform_version: String::new(),
            next_corr: 1,
            pending: BTreeMap::new(),
            queued: VecDeque::new(),
            out: BytesMut::new(),
            out_total: 0,
            flushed_total: 0,
            dropped: 0,
        }
    }

    /// Received bytes not yet decoded into a frame.
    pub(super) fn buffered_in(&self) -> usize {
        self.decoder.buffered()
    }

    /// Bytes waiting to be written.
    pub(super) fn buffered_out(&self) -> usize {
        self.out.len()
    }

    /// True when a stream is open: its responses have no deadline, so only a probe can
    /// tell a silent stream from a dead peer.
    pub(super) fn has_open_stream(&self) -> bool {
        self.state == ConnState::Ready && self.pending.values().any(|p| p.stream)
    }

    /// Requests waiting for an answer or for the handshake.
    pub(super) fn waiting(&self) -> usize {
        self.pending.len() + self.queued.len()
    }

    pub(super) fn is_ready(&self) -> bool {
        self.state == ConnState::Ready
    }

    fn server_kind(&self) -> ServerKind {
        match self.peer {
            Peer::Sc => ServerKind::Sc,
            Peer::Spu(_) => ServerKind::Spu,
        }
    }

    /// The platform version the server announced in its handshake (empty before it).
    pub(super) fn platform_version(&self) -> &str {
        &self.platform_version
    }

    /// The driver connected: send ApiVersions.
    pub(super) fn handle_connected(&mut self, settings: &ConnSettings) -> Vec<ConnOutput<T>> {
        if self.state != ConnState::Connecting {
            return Vec::new();
        }
        self.state = ConnState::Handshaking;
        tracing::debug!(peer = %self.peer, "connected, sending ApiVersions");
        let frame = RequestFrame {
            header: RequestHeader {
                api_key: crate::protocol::api_versions::API_KEY,
                api_version: API_VERSIONS_VERSION,
                correlation_id: 1,
                client_id: settings.client_id.clone(),
            },
            body: AnyRequest::ApiVersions(ApiVersionsRequest {
                client_version: settings.client_version.clone(),
                client_os: std::env::consts::OS.into(),
                client_arch: std::env::consts::ARCH.into(),
            }),
        };
        match frame.encode(&mut self.out) {
            Ok(()) => {
                self.out_total = self.out.len() as u64 + self.flushed_total;
                Vec::new()
            }
            Err(e) => self.close(ClientError::Encode(e)),
        }
    }

    /// Submits a request: written now when ready, queued otherwise.
    pub(super) fn send(
        &mut self,
        req: Outgoing<T>,
        settings: &ConnSettings,
        now: Instant,
    ) -> Vec<ConnOutput<T>> {
        match self.state {
            ConnState::Closed => vec![ConnOutput::Failed {
                tag: req.tag,
                error: ClientError::ConnectionClosed { peer: self.peer },
                written: false,
            }],
            ConnState::Ready => self.write(req, settings, now).into_iter().collect(),
            ConnState::Connecting | ConnState::Handshaking => {
                self.queued.push_back(req);
                Vec::new()
            }
        }
    }

    /// The version to send `body` at: the highest both sides support; the codec's
    /// highest when the server does not advertise the key (upstream's default version).
    fn version_for(&self, body: &AnyRequest) -> Result<Version, ClientError> {
        let api_key = body.api_key();
        let (min, max) = version_range(body);
        let Some(adv) = self
            .versions
            .iter()
            .find(|k| i32::from(k.api_key) == i32::from(api_key))
        else {
            return Ok(max);
        };
        let hi = max.min(adv.max_version);
        if hi < min.max(adv.min_version) {
            return Err(ClientError::UnsupportedVersion {
                peer: self.peer,
                api_key,
                min: adv.min_version,
                max: adv.max_version,
            });
        }
        Ok(hi)
    }

    fn write(
        &mut self,
        req: Outgoing<T>,
        settings: &ConnSettings,
        now: Instant,
    ) -> Option<ConnOutput<T>> {
        let version = match self.version_for(&req.body) {
            Ok(v) => v,
            Err(error) => {
                return Some(ConnOutput::Failed {
                    tag: req.tag,
                    error,
                    written: false,
                });
            }
        };
        let corr = self.next_corr;
        self.next_corr = if corr == i32::MAX { 1 } else { corr + 1 };
        let frame = RequestFrame {
            header: RequestHeader {
                api_key: req.body.api_key(),
                api_version: version,
                correlation_id: corr,
                client_id: if req.metadata_id {
                    settings.metadata_client_id.clone()
                } else {
                    settings.client_id.clone()
                },
            },
            body: req.body,
        };
        let before = self.out.len();
        if let Err(e) = frame.encode(&mut self.out) {
            self.out.truncate(before);
            return Some(ConnOutput::Failed {
                tag: req.tag,
                error: ClientError::Encode(e),
                written: false,
            });
        }
        self.out_total = self.flushed_total + self.out.len() as u64;
        let api_key = frame.header.api_key;
        let span = tracing::debug_span!(
            "request",
            peer = %self.peer,
            api = frame.body.api_name(),
            correlation_id = corr,
        );
        tracing::trace!(parent: &span, api_key, version, "request");
        let timeout = req.timeout.unwrap_or(Duration::MAX);
        self.pending.insert(
            corr,
            Pending {
                tag: req.tag,
                api_key: frame.header.api_key,
                version,
                stream: req.stream,
                deadline: req.timeout.map(|t| now + t),
                timeout,
                wire_end: self.out_total,
                span,
            },
        );
        None
    }

    /// Stops tracking a request (a stream the owner no longer wants); later responses
    /// with its correlation id are dropped.
    pub(super) fn forget(&mut self, tag_matches: impl Fn(&T) -> bool) {
        self.pending.retain(|_, p| !tag_matches(&p.tag));
        self.queued.retain(|q| !tag_matches(&q.tag));
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has bytes to give.
    pub(super) fn has_transmit(&self) -> bool {
        !self.out.is_empty() && !matches!(self.state, ConnState::Connecting | ConnState::Closed)
    }

    /// Bytes to write, if any.
    pub(super) fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.out.is_empty() || matches!(self.state, ConnState::Connecting | ConnState::Closed) {
            return None;
        }
        let bytes = self.out.split().freeze();
        self.flushed_total += bytes.len() as u64;
        Some(bytes)
    }

    /// Bytes received from the server.
    pub(super) fn handle_bytes(
        &mut self,
        data: &[u8],
        settings: &ConnSettings,
        now: Instant,
    ) -> Vec<ConnOutput<T>> {
        if matches!(self.state, ConnState::Closed | ConnState::Connecting) {
            return Vec::new();
        }
        self.decoder.handle_bytes(data);
        let mut outputs = Vec::new();
        loop {
            let frame = match self.decoder.poll_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    outputs.extend(self.protocol_error(e.to_string(), Some(e.into())));
                    break;
                }
            };
            if self.state == ConnState::Handshaking {
                outputs.extend(self.handle_handshake(frame, settings, now));
            } else {
                outputs.extend(self.handle_frame(frame));
            }
            if self.state == ConnState::Closed {
                break;
            }
        }
        outputs
    }

    fn protocol_error(&mut self, message: String, source: Option<WireError>) -> Vec<ConnOutput<T>> {
        let peer = self.peer;
        self.close(ClientError::Protocol {
            peer,
            message,
            source,
        })
    }

    fn handle_handshake(
        &mut self,
        frame: Bytes,
        settings: &ConnSettings,
        now: Instant,
    ) -> Vec<ConnOutput<T>> {
        let mut r = Reader::new(frame);
        let resp = r.i32().and_then(|corr| {
            let resp = ApiVersionsResponse::decode(&mut r, API_VERSIONS_VERSION)?;
            r.expect_end("ApiVersionsResponse")?;
            Ok((corr, resp))
        });
        let resp = match resp {
            Ok((1, resp)) => resp,
            Ok((corr, _)) => {
                return self.protocol_error(
                    format!("handshake answered with correlation id {corr}"),
                    None,
                );
            }
            Err(e) => {
                return self
                    .protocol_error(format!("bad ApiVersions response: {e}"), Some(e.into()));
            }
        };
        if resp.error_code.is_error() {
            return self.close(ClientError::Server(resp.error_code));
        }
        if self.peer == Peer::Sc
            && let Err(e) = check_platform(&resp)
        {
            return self.close(e);
        }
        tracing::debug!(
            peer = %self.peer,
            platform = %resp.platform_version,
            api_keys = resp.api_keys.len(),
            "ApiVersions handshake done"
        );
        self.versions = resp.api_keys;
        self.platform_version = resp.platform_version;
        self.state = ConnState::Ready;
        self.handshake_deadline = None;
        let mut outputs = vec![ConnOutput::Ready];
        while let Some(req) = self.queued.pop_front() {
            outputs.extend(self.write(req, settings, now));
        }
        outputs
    }

    fn handle_frame(&mut self, frame: Bytes) -> Vec<ConnOutput<T>> {
        let corr = match crate::protocol::message::ResponseFrame::peek_correlation_id(&frame) {
            Ok(c) => c,
            Err(e) => return self.protocol_error(e.to_string(), Some(e.into())),
        };
        let server = self.server_kind();
        let Some(p) = self.pending.get_mut(&corr) else {
            // A late answer to a forgotten stream: drop it (as upstream does).
            self.dropped += 1;
            return Vec::new();
        };
        let mut r = Reader::new(frame.slice(4..));
        let body = match AnyResponse::decode_body(server, p.api_key, p.version, &mut r) {
            Ok(b) => b,
            Err(e) => {
                let msg = format!("bad response to api {} v{}: {e}", p.api_key, p.version);
                return self.protocol_error(msg, Some(e.into()));
            }
        };
        tracing::trace!(parent: &p.span, "response");
        if p.stream {
            p.deadline = None;
            vec![ConnOutput::Response {
                tag: p.tag.clone(),
                body,
                done: false,
            }]
        } else {
            let p = self.pending.remove(&corr).map(|p| p.tag);
            p.map(|tag| ConnOutput::Response {
                tag,
                body,
                done: true,
            })
            .into_iter()
            .collect()
        }
    }

    /// The earliest deadline of this connection.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let pending = self.pending.values().filter_map(|p| p.deadline).min();
        match (self.handshake_deadline, pending) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Expires deadlines: an expired one poisons the connection.
    pub(super) fn handle_timeout(
        &mut self,
        now: Instant,
        settings: &ConnSettings,
    ) -> Vec<ConnOutput<T>> {
        if self.state == ConnState::Closed {
            return Vec::new();
        }
        if self.handshake_deadline.is_some_and(|d| d <= now) {
            let peer = self.peer;
            return self.close(ClientError::Timeout {
                peer,
                timeout: settings.connect_timeout,
            });
        }
        let expired = self
            .pending
            .values()
            .find(|p| p.deadline.is_some_and(|d| d <= now))
            .map(|p| p.timeout);
        match expired {
            Some(timeout) => {
                let peer = self.peer;
                self.close(ClientError::Timeout { peer, timeout })
            }
            None => Vec::new(),
        }
    }

    /// Closes the connection: every waiter fails with `error`.
    pub(super) fn close(&mut self, error: ClientError) -> Vec<ConnOutput<T>> {
        if self.state == ConnState::Closed {
            return Vec::new();
        }
        self.state = ConnState::Closed;
        tracing::info!(peer = %self.peer, %error, pending = self.pending.len(), "connection closed");
        self.handshake_deadline = None;
        self.out = BytesMut::new();
        let mut outputs = vec![ConnOutput::Closed(error.clone())];
        for (_, p) in std::mem::take(&mut self.pending) {
            tracing::debug!(parent: &p.span, %error, "request failed");
            outputs.push(ConnOutput::Failed {
                tag: p.tag,
                error: error.clone(),
                written: self.flushed_total >= p.wire_end,
            });
        }
        for q in std::mem::take(&mut self.queued) {
            outputs.push(ConnOutput::Failed {
                tag: q.tag,
                error: error.clone(),
                written: false,
            });
        }
        outputs
    }
}

/// The codec's version range of a request.
fn version_range(body: &AnyRequest) -> (Version, Version) {
    fn r<R: Request>() -> (Version, Version) {
        (R::MIN_VERSION, R::MAX_VERSION)
    }
    use crate::protocol::sc as s;
    use crate::protocol::spu as p;
    match body {
        AnyRequest::ApiVersions(_) => (API_VERSIONS_VERSION, API_VERSIONS_VERSION),
        AnyRequest::Create(_) => r::<s::ObjectCreateRequest>(),
        AnyRequest::Delete(_) => r::<s::ObjectDeleteRequest>(),
        AnyRequest::List(_) => r::<s::ObjectListRequest>(),
        AnyRequest::Watch(_) => r::<s::ObjectWatchRequest>(),
        AnyRequest::Mirroring(_) => r::<s::MirroringRequest>(),
        AnyRequest::Update(_) => r::<s::ObjectUpdateRequest>(),
        AnyRequest::Produce(_) => r::<p::ProduceRequest>(),
        AnyRequest::Fetch(_) => r::<p::FetchRequest>(),
        AnyRequest::FetchOffsets(_) => r::<p::FetchOffsetsRequest>(),
        // Upstream's consumer needs offset management (v23) to send a consumer id.
        AnyRequest::StreamFetch(_) => (
            crate::protocol::spu::stream_fetch::OFFSET_MANAGEMENT_VERSION,
            <p::StreamFetchRequest as Request>::MAX_VERSION,
        ),
        AnyRequest::UpdateOffsets(_) => r::<p::UpdateOffsetsRequest>(),
        AnyRequest::UpdateConsumerOffset(_) => r::<p::UpdateConsumerOffsetRequest>(),
        AnyRequest::DeleteConsumerOffset(_) => r::<p::DeleteConsumerOffsetRequest>(),
        AnyRequest::FetchConsumerOffsets(_) => r::<p::FetchConsumerOffsetsRequest>(),
    }
}

/// Parses the `major.minor.patch` prefix of a semver string.
pub(crate) fn parse_semver(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let (a, b, c) = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some((a, b, c))
}

/// The SC checks of the official client: Watch advertised, platform ≥ 0.9.0.
fn check_platform(resp: &ApiVersionsResponse) -> Result<(), ClientError> {
    if resp.find(crate::protocol::sc::api_key::WATCH).is_none() {
        return Err(ClientError::IncompatiblePlatform(
            "the SC does not advertise the Watch API".into(),
        ));
    }
    match parse_semver(&resp.platform_version) {
        Some(v) if v >= MINIMUM_PLATFORM_VERSION => Ok(()),
        Some(_) => Err(ClientError::IncompatiblePlatform(format!(
            "platform {} is older than 0.9.0",
            resp.platform_version
        ))),
        None => Err(ClientError::IncompatiblePlatform(format!(
            "platform version {:?} is not semver",
            resp.platform_version
        ))),
    }
}

#[cfg(test)]
#[path = "conn_tests.rs"]
mod tests;
