//! TLS for the server driver (feature `tls`, rustls with the ring provider).

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::MockError;

/// The server certificate and key, PEM encoded.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Certificate chain (PEM).
    pub cert_pem: String,
    /// Private key (PEM).
    pub key_pem: String,
}

/// Wraps accepted sockets in TLS.
#[derive(Debug)]
pub(crate) struct TlsAcceptor {}

type Pair = (Box<dyn Read + Send>, Box<dyn Write + Send>);

impl TlsAcceptor {
    pub(crate) fn new(_opts: &TlsOptions) -> Result<Self, MockError> {
        Err(MockError::Tls("built without the `tls` feature".into()))
    }

    pub(crate) fn wrap(&self, _read: TcpStream, _write: TcpStream) -> Result<Pair, MockError> {
        Err(MockError::Tls("built without the `tls` feature".into()))
    }
}
