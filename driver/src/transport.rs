//! Connections to cluster endpoints: TCP, optionally TLS, as one futures-io stream.
//!
//! [`connect_transport`] resolves `host:port`, connects over the [`Runtime`] (with
//! `TCP_NODELAY`), and runs the TLS handshake the profile's [`TlsPolicy`] asks for. The result,
//! [`Transport`], implements `AsyncRead + AsyncWrite` and [`Transport::split`]s into halves
//! that two tasks can own (the driver itself polls the whole stream).
//!
//! ```no_run
//! # async fn demo<R: flv_driver::runtime::Runtime>(rt: R) -> Result<(), flv_driver::transport::ConnectError> {
//! use flv_driver::config::TlsPolicy;
//! use flv_driver::transport::connect_transport;
//! use futures_util::io::AsyncWriteExt;
//!
//! let mut sc = connect_transport(&rt, "127.0.0.1:9003", &TlsPolicy::Disabled, None).await?;
//! sc.write_all(b"...").await.ok();
//! # Ok(()) }
//! ```

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::rustls;
use futures_util::io::AsyncReadExt;

use crate::config::TlsPolicy;
use crate::runtime::Runtime;
use crate::tls::{TlsConnector, TlsFailure, TlsSetupError, clarify_io_error};

/// The read half of a [`Transport`] (see [`Transport::split`]).
pub type ReadHalf<S> = futures_util::io::ReadHalf<Transport<S>>;
/// The write half of a [`Transport`] (see [`Transport::split`]).
pub type WriteHalf<S> = futures_util::io::WriteHalf<Transport<S>>;

/// Errors opening a connection: what failed and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The address is not `host:port`.
    #[error("invalid address {addr:?}: expected host:port")]
    InvalidAddress {
        /// The address given.
        addr: String,
    },
    /// The host name could not be resolved (or resolved to no address).
    #[error("cannot resolve {addr}: {source}")]
    Dns {
        /// The address given.
        addr: String,
        /// The resolver's error.
        #[source]
        source: io::Error,
    },
    /// The server refused the connection (nothing listens there).
    #[error("connection to {addr} ({peer}) refused")]
    Refused {
        /// The address given.
        addr: String,
        /// The socket address tried last.
        peer: SocketAddr,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Any other TCP connection failure (unreachable network, timeout, ...).
    #[error("cannot connect to {addr} ({peer}): {source}")]
    Tcp {
        /// The address given.
        addr: String,
        /// The socket address tried last.
        peer: SocketAddr,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The profile's TLS settings are unusable (unreadable file, invalid PEM, missing
    /// certificate or key, ...).
    #[error(transparent)]
    TlsSetup(#[from] TlsSetupError),
    /// The TLS server name is neither a DNS name nor an IP address.
    #[error("invalid TLS server name {name:?}")]
    InvalidServerName {
        /// The name.
        name: String,
    },
    /// The TLS handshake failed (certificate, name, client certificate, alert, ...).
    #[error("TLS handshake with {addr} (server name {server_name}) failed: {failure}")]
    Tls {
        /// The address given.
        addr: String,
        /// The server name used for SNI and verification.
        server_name: String,
        /// What failed.
        failure: TlsFailure,
    },
    /// An I/O error interrupted the TLS handshake.
    #[error("TLS handshake with {addr} failed: {source}")]
    TlsIo {
        /// The address given.
        addr: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl ConnectError {
    /// The TLS failure, if the handshake failed.
    pub fn tls_failure(&self) -> Option<&TlsFailure> {
        match self {
            Self::Tls { failure, .. } => Some(failure),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (network trouble) rather than needing a
    /// configuration change (bad address, TLS settings or certificates).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Dns { .. } | Self::Refused { .. } | Self::Tcp { .. } | Self::TlsIo { .. } => true,
            Self::Tls { failure, .. } => matches!(failure, TlsFailure::ClosedDuringHandshake),
            Self::InvalidAddress { .. } | Self::TlsSetup(_) | Self::InvalidServerName { .. } => {
                false
            }
        }
    }
}

/// Splits `host:port` (`[v6]:port` too) into host and port.
pub fn split_host_port(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let host = match host.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']')?,
        None if host.contains(':') => return None,
        None => host,
    };
    (!host.is_empty()).then_some((host, port))
}

/// Connects to `addr` (`host:port`) with the TLS of `tls`.
///
/// `server_name` is the TLS server name (SNI and certificate check): `None` means the profile's
/// domain (right for the SC); for an SPU pass [`crate::tls::spu_server_name`]. Anonymous TLS
/// without a name sends the host as SNI. Builds the TLS configuration on each call: a client
/// making many connections should build a [`TlsConnector`] once and use [`connect_with`].
pub async fn connect_transport<R: Runtime>(
    rt: &R,
    addr: &str,
    tls: &TlsPolicy,
    server_name: Option<&str>,
) -> Result<Transport<R::Tcp>, ConnectError> {
    let connector = TlsConnector::from_policy(tls)?;
    connect_with(rt, addr, connector.as_ref(), server_name).await
}

/// Connects to `addr` (`host:port`), over TLS if `tls` is given (see [`connect_transport`]).
pub async fn connect_with<R: Runtime>(
    rt: &R,
    addr: &str,
    tls: Option<&TlsConnector>,
    server_name: Option<&str>,
) -> Result<Transport<R::Tcp>, ConnectError> {
    let (host, port) = split_host_port(addr).ok_or_else(|| ConnectError::InvalidAddress {
        addr: addr.to_owned(),
    })?;
    // Check the name before connecting: a bad name is a configuration error.
    let name = match tls {
        Some(tls) => Some(
            tls.server_name(server_name, host)
                .map_err(|name| ConnectError::InvalidServerName { name })?,
        ),
        None => None,
    };
    let tcp = connect_tcp(rt, addr, host, port).await?;
    let (Some(tls), Some(name)) = (tls, name) else {
        return Ok(Transport::plain(tcp));
    };
    let server_name = name.to_str().into_owned();
    match tls.connector().connect(name, tcp).await {
        Ok(stream) => Ok(Transport {
            inner: Inner::Tls(Box::new(stream)),
        }),
        Err(err) => Err(handshake_error(addr, server_name, err)),
    }
}

fn handshake_error(addr: &str, server_name: String, err: io::Error) -> ConnectError {
    let failure = match TlsFailure::from_io_error(&err) {
        Some(failure) => failure,
        None if err.kind() == io::ErrorKind::UnexpectedEof => TlsFailure::ClosedDuringHandshake,
        None => {
            return ConnectError::TlsIo {
                addr: addr.to_owned(),
                source: err,
            };
        }
    };
    ConnectError::Tls {
        addr: addr.to_owned(),
        server_name,
        failure,
    }
}

async fn connect_tcp<R: Runtime>(
    rt: &R,
    addr: &str,
    host: &str,
    port: u16,
) -> Result<R::Tcp, ConnectError> {
    let peers = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => rt.resolve(addr).await.map_err(|source| ConnectError::Dns {
            addr: addr.to_owned(),
            source,
        })?,
    };
    let mut last = None;
    for peer in peers {
        match rt.connect(peer).await {
            Ok(tcp) => return Ok(tcp),
            Err(err) => last = Some((peer, err)),
        }
    }
    Err(match last {
        None => ConnectError::Dns {
            addr: addr.to_owned(),
            source: io::Error::new(io::ErrorKind::NotFound, "no address found"),
        },
        Some((peer, source)) if source.kind() == io::ErrorKind::ConnectionRefused => {
            ConnectError::Refused {
                addr: addr.to_owned(),
                peer,
                source,
            }
        }
        Some((peer, source)) => ConnectError::Tcp {
            addr: addr.to_owned(),
            peer,
            source,
        },
    })
}

/// A connection to a cluster endpoint: plain TCP or TLS over TCP.
///
/// I/O errors caused by TLS carry a [`TlsFailure`] (see [`TlsFailure::from_io_error`]): with
/// TLS 1.3 a server that rejects the client certificate does so after the client considers the
/// handshake done, so that failure shows on the first read, not in [`connect_transport`].
pub struct Transport<S> {
    inner: Inner<S>,
}

impl<S> std::fmt::Debug for Transport<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("tls", &self.is_tls())
            .finish_non_exhaustive()
    }
}

enum Inner<S> {
    Plain(S),
    Tls(Box<futures_rustls::client::TlsStream<S>>),
}

impl<S> Transport<S> {
    /// A plain TCP transport over `tcp`.
    pub fn plain(tcp: S) -> Self {
        Self {
            inner: Inner::Plain(tcp),
        }
    }

    /// Whether the connection uses TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.inner, Inner::Tls(_))
    }

    /// The underlying TCP stream.
    pub fn tcp(&self) -> &S {
        match &self.inner {
            Inner::Plain(tcp) => tcp,
            Inner::Tls(tls) => tls.get_ref().0,
        }
    }

    /// The TLS session state (negotiated version, peer certificates, ...), if TLS.
    pub fn tls_session(&self) -> Option<&rustls::ClientConnection> {
        match &self.inner {
            Inner::Plain(_) => None,
            Inner::Tls(tls) => Some(tls.get_ref().1),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Transport<S> {
    /// Splits into a read half and a write half that can live in different tasks.
    pub fn split(self) -> (ReadHalf<S>, WriteHalf<S>) {
        AsyncReadExt::split(self)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Transport<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Inner::Tls(tls) => Pin::new(tls.as_mut())
                .poll_read(cx, buf)
                .map_err(clarify_io_error),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Transport<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Inner::Tls(tls) => Pin::new(tls.as_mut())
                .poll_write(cx, buf)
                .map_err(clarify_io_error),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Inner::Tls(tls) => Pin::new(tls.as_mut())
                .poll_write_vectored(cx, bufs)
                .map_err(clarify_io_error),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut())
                .poll_flush(cx)
                .map_err(clarify_io_error),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(tcp) => Pin::new(tcp).poll_close(cx),
            Inner::Tls(tls) => Pin::new(tls.as_mut())
                .poll_close(cx)
                .map_err(clarify_io_error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(split_host_port("localhost:9003"), Some(("localhost", 9003)));
        assert_eq!(split_host_port("10.0.0.1:1"), Some(("10.0.0.1", 1)));
        assert_eq!(split_host_port("[::1]:9005"), Some(("::1", 9005)));
        assert_eq!(split_host_port("localhost"), None);
        assert_eq!(split_host_port(":9003"), None);
        assert_eq!(split_host_port("host:"), None);
        assert_eq!(split_host_port("host:70000"), None);
        assert_eq!(split_host_port("::1:9005"), None);
        assert_eq!(split_host_port("[::1:9005"), None);
        assert_eq!(split_host_port("[]:9005"), None);
    }
}
