//! The links to the cluster: one connection to the SC (reconnected with backoff, its
//! requests queued while it is down) and one per SPU (opened on demand, reconnected
//! with backoff), and the liveness probes of connections that carry streams.

use super::Tag;
use super::conn::Conn;
use super::error::ClientError;
use super::event::{ConnId, Event, IoCommand, Peer};
use super::net::{Net, Routed, SpuLink, SpuWait};
use crate::protocol::message::AnyRequest;
use crate::time::Instant;

impl Net {
    /// Fires the links' timers: SC reconnect, SC backlog deadlines, SPU backoffs.
    /// Returns whether the SC is to be reconnected now.
    pub(super) fn links_timeout(&mut self, now: Instant) -> bool {
        let reconnect = self.sc.retry_at.is_some_and(|t| t <= now);
        if reconnect {
            self.sc.retry_at = None;
        }
        let expired: Vec<Tag> = self
            .sc
            .backlog
            .iter()
            .filter(|b| b.2 <= now)
            .map(|b| b.0.clone())
            .collect();
        if !expired.is_empty() {
            self.sc.backlog.retain(|b| b.2 > now);
            let timeout = self.config.request_timeout;
            for tag in expired {
                let error = ClientError::Timeout {
                    peer: Peer::Sc,
                    timeout,
                };
                self.routed.push_back(Routed::Failed(tag, error));
            }
        }
        for l in self.spus.values_mut() {
            if l.retry_at.is_some_and(|t| t <= now) {
                l.retry_at = None;
            }
        }
        reconnect
    }

    /// When the links' next timer fires.
    pub(super) fn links_poll_timeout(&self) -> Option<Instant> {
        let spus = self.spus.values().filter_map(|l| l.retry_at);
        [self.sc.retry_at, self.sc.backlog.iter().map(|b| b.2).min()]
            .into_iter()
            .flatten()
            .chain(spus)
            .chain(self.probes.values().copied())
            .min()
    }

    /// Streams (metadata watches, stream fetches) answer only when something changes, so
    /// a half-open peer (no FIN, nothing answers) would leave them silent forever: every
    /// `metadata_timeout`, a connection carrying streams is asked for its ApiVersions,
    /// answered within `request_timeout` or the connection is closed as broken (and its
    /// streams restart elsewhere or after reconnecting).
    pub(super) fn probe_streams(&mut self, now: Instant) {
        let due: Vec<ConnId> = self
            .probes
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(c, _)| *c)
            .collect();
        for conn in due {
            let Some(c) = self.conns.get(&conn) else {
                self.probes.remove(&conn);
                continue;
            };
            self.probes.insert(conn, now + self.config.metadata_timeout);
            if c.has_open_stream() {
                let body =
                    AnyRequest::ApiVersions(crate::protocol::api_versions::ApiVersionsRequest {
                        client_version: self.config.client_version.clone(),
                        client_os: std::env::consts::OS.into(),
                        client_arch: std::env::consts::ARCH.into(),
                    });
                self.submit(conn, Tag::Probe, body, false, now);
            }
        }
    }

    pub(super) fn open_conn(
        &mut self,
        peer: Peer,
        addr: String,
        server_name: Option<String>,
        now: Instant,
    ) -> ConnId {
        let id = ConnId(self.next_id());
        self.conns.insert(id, Conn::new(peer, &self.settings, now));
        self.metrics.connects += 1;
        self.io.push_back(IoCommand::Connect {
            conn: id,
            addr,
            server_name,
            peer,
        });
        id
    }

    /// Opens the SC connection unless it is open or failed for good; returns the new
    /// connection, on which the caller queues, until the handshake ends, the metadata
    /// watches and the application's watches before
    /// [`flush_sc_backlog`](Self::flush_sc_backlog).
    pub(super) fn connect_sc(&mut self, now: Instant) -> Option<ConnId> {
        if self.sc.conn.is_some() || self.sc.fatal.is_some() {
            return None;
        }
        let addr = self.config.endpoint.clone();
        let name = self.config.tls_domain.clone();
        let id = self.open_conn(Peer::Sc, addr, name, now);
        self.sc.conn = Some(id);
        Some(id)
    }

    /// Sends the requests that waited for the SC connection `id`.
    pub(super) fn flush_sc_backlog(&mut self, id: ConnId, now: Instant) {
        for (tag, body, _) in std::mem::take(&mut self.sc.backlog) {
            self.submit(id, tag, body, false, now);
        }
    }

    /// Sends a request to the SC now or when it reconnects (bounded by the request timeout).
    pub(crate) fn send_sc(&mut self, tag: Tag, body: AnyRequest, now: Instant) {
        if let Some(e) = &self.sc.fatal {
            let e = e.clone();
            self.routed.push_back(Routed::Failed(tag, e));
            return;
        }
        match self.sc.conn {
            Some(id) => self.submit(id, tag, body, false, now),
            None => {
                let deadline = now + self.config.request_timeout;
                self.sc.backlog.push((tag, body, deadline));
            }
        }
    }

    /// The ready-or-connecting connection to SPU `spu`, opening one if needed.
    pub(crate) fn spu_conn(&mut self, spu: i32, now: Instant) -> Result<ConnId, SpuWait> {
        let backoff = &self.config.reconnect_backoff;
        let link = self.spus.entry(spu).or_insert_with(|| SpuLink {
            conn: None,
            backoff: backoff.build(),
            retry_at: None,
            last_error: None,
        });
        if let Some(id) = link.conn {
            return Ok(id);
        }
        if let Some(t) = link.retry_at {
            return Err(SpuWait::Until(t));
        }
        let Some(addr) = self
            .metadata
            .spu_address(spu, self.config.use_spu_local_address)
        else {
            return Err(SpuWait::NoAddress);
        };
        let server_name = self.config.tls_domain.as_ref().map(|d| {
            let name = self
                .metadata
                .spu(spu)
                .map_or_else(|| format!("spu-{spu}"), |m| m.name.clone());
            format!("{name}.{d}")
        });
        let id = self.open_conn(Peer::Spu(spu), addr, server_name, now);
        if let Some(l) = self.spus.get_mut(&spu) {
            l.conn = Some(id);
        }
        Ok(id)
    }

    /// True when the connection to SPU `spu` is ready.
    pub(crate) fn spu_ready(&self, spu: i32) -> bool {
        self.spus
            .get(&spu)
            .and_then(|l| l.conn)
            .and_then(|id| self.conns.get(&id))
            .is_some_and(|c| c.is_ready())
    }

    /// Connection `conn` became ready; returns its peer.
    pub(super) fn on_ready(&mut self, conn: ConnId, now: Instant) -> Option<Peer> {
        let peer = self.conns.get(&conn).map(|c| c.peer)?;
        self.probes.insert(conn, now + self.config.metadata_timeout);
        match peer {
            Peer::Sc => self.sc.backoff.reset(),
            Peer::Spu(id) => {
                if let Some(l) = self.spus.get_mut(&id) {
                    l.backoff.reset();
                    l.last_error = None;
                }
            }
        }
        Some(peer)
    }

    /// Connection `conn` closed with `error`; returns the peer whose link went down (the
    /// SC only when `conn` was its current connection).
    pub(super) fn on_closed(
        &mut self,
        conn: ConnId,
        error: ClientError,
        now: Instant,
    ) -> Option<Peer> {
        let c = self.conns.remove(&conn)?;
        self.probes.remove(&conn);
        self.metrics.connection_failures += 1;
        self.io.push_back(IoCommand::Close { conn });
        match c.peer {
            Peer::Sc => {
                if self.sc.conn == Some(conn) {
                    self.sc.conn = None;
                    if matches!(error, ClientError::IncompatiblePlatform(_)) {
                        self.sc.fatal = Some(error.clone());
                        for (tag, _, _) in std::mem::take(&mut self.sc.backlog) {
                            self.routed.push_back(Routed::Failed(tag, error.clone()));
                        }
                    } else {
                        let delay = self.sc.backoff.next_delay(&mut self.rng);
                        self.sc.retry_at = Some(now + delay);
                    }
                    self.events.push_back(Event::Error(error));
                    return Some(Peer::Sc);
                }
                None
            }
            Peer::Spu(id) => {
                if let Some(l) = self.spus.get_mut(&id)
                    && l.conn == Some(conn)
                {
                    l.conn = None;
                    let delay = l.backoff.next_delay(&mut self.rng);
                    // A connection the SPU closed is reopened at once (the SPU may
                    // just have restarted); failed connects, timeouts and protocol
                    // errors back off.
                    l.retry_at = match error {
                        ClientError::ConnectionClosed { .. }
                        | ClientError::ConnectionLost { .. } => {
                            l.backoff.reset();
                            None
                        }
                        _ => Some(now + delay),
                    };
                    l.last_error = Some(error);
                }
                Some(c.peer)
            }
        }
    }
}
