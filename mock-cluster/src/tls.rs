//! TLS for the server driver (feature `tls`: rustls with the ring provider).
//!
//! Each accepted socket gets a rustls server connection shared by the connection's
//! reader thread (which reads TLS records from the socket, and writes handshake
//! records) and its writer thread (which writes application data).

use std::io::{Read, Write};
#[cfg(not(feature = "tls"))]
use std::net::TcpStream;

#[cfg(not(feature = "tls"))]
use crate::MockError;

/// The server certificate chain and private key, PEM encoded.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Certificate chain (PEM).
    pub cert_pem: String,
    /// Private key (PEM).
    pub key_pem: String,
}

/// A reader and a writer of plaintext over one socket.
pub(crate) type Pair = (Box<dyn Read + Send>, Box<dyn Write + Send>);

#[cfg(feature = "tls")]
pub(crate) use enabled::TlsAcceptor;

#[cfg(feature = "tls")]
mod enabled {
    use std::io::{self, ErrorKind, Read, Write};
    use std::net::TcpStream;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

    use rustls::ServerConnection;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    use super::{Pair, TlsOptions};
    use crate::MockError;

    /// Wraps accepted sockets in TLS. The server certificate can be swapped at runtime
    /// ([`rotate`](Self::rotate)): new connections use the new one, existing ones keep theirs.
    #[derive(Debug)]
    pub(crate) struct TlsAcceptor {
        config: RwLock<Arc<rustls::ServerConfig>>,
        client_ca: Option<String>,
    }

    impl TlsAcceptor {
        pub(crate) fn new(opts: &TlsOptions, client_ca: Option<&str>) -> Result<Self, MockError> {
            Ok(Self {
                config: RwLock::new(Self::config(opts, client_ca)?),
                client_ca: client_ca.map(str::to_owned),
            })
        }

        /// Serves `opts` to the connections accepted from now on.
        pub(crate) fn rotate(&self, opts: &TlsOptions) -> Result<(), MockError> {
            let config = Self::config(opts, self.client_ca.as_deref())?;
            *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
            Ok(())
        }

        fn config(
            opts: &TlsOptions,
            client_ca: Option<&str>,
        ) -> Result<Arc<rustls::ServerConfig>, MockError> {
            let tls = |e: &dyn std::fmt::Display| MockError::Tls(e.to_string());
            let certs = CertificateDer::pem_slice_iter(opts.cert_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tls(&e))?;
            let key =
                PrivateKeyDer::from_pem_slice(opts.key_pem.as_bytes()).map_err(|e| tls(&e))?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
                .with_safe_default_protocol_versions()
                .map_err(|e| tls(&e))?;
            let builder = match client_ca {
                None => builder.with_no_client_auth(),
                Some(pem) => {
                    let mut roots = rustls::RootCertStore::empty();
                    for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                        roots.add(der.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
                    }
                    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                        Arc::new(roots),
                        provider,
                    )
                    .build()
                    .map_err(|e| tls(&e))?;
                    builder.with_client_cert_verifier(verifier)
                }
            };
            let config = builder.with_single_cert(certs, key).map_err(|e| tls(&e))?;
            Ok(Arc::new(config))
        }

        pub(crate) fn wrap(&self, read: TcpStream, write: TcpStream) -> Result<Pair, MockError> {
            let config = Arc::clone(&self.config.read().unwrap_or_else(PoisonError::into_inner));
            let conn = ServerConnection::new(config).map_err(|e| MockError::Tls(e.to_string()))?;
            let conn = Arc::new(Mutex::new(conn));
            let handshake = write.try_clone()?;
            Ok((
                Box::new(TlsReader {
                    conn: Arc::clone(&conn),
                    sock: read,
                    out: handshake,
                }),
                Box::new(TlsWriter { conn, sock: write }),
            ))
        }
    }

    fn lock(conn: &Mutex<ServerConnection>) -> MutexGuard<'_, ServerConnection> {
        conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn flush_tls(conn: &mut ServerConnection, sock: &mut TcpStream) -> io::Result<()> {
        while conn.wants_write() {
            conn.write_tls(sock)?;
        }
        Ok(())
    }

    struct TlsReader {
        conn: Arc<Mutex<ServerConnection>>,
        sock: TcpStream,
        out: TcpStream,
    }

    impl Read for TlsReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut raw = [0u8; 16 * 1024];
            loop {
                {
                    let mut conn = lock(&self.conn);
                    match conn.reader().read(buf) {
                        Ok(n) => return Ok(n),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                    flush_tls(&mut conn, &mut self.out)?;
                }
                let n = self.sock.read(&mut raw)?;
                if n == 0 {
                    return Ok(0);
                }
                let mut conn = lock(&self.conn);
                let mut rest = &raw[..n];
                while !rest.is_empty() {
                    conn.read_tls(&mut rest)?;
                    if let Err(e) = conn.process_new_packets() {
                        // Send the alert (e.g. "certificate required") before closing.
                        let _ = flush_tls(&mut conn, &mut self.out);
                        return Err(io::Error::other(e));
                    }
                }
                flush_tls(&mut conn, &mut self.out)?;
            }
        }
    }

    struct TlsWriter {
        conn: Arc<Mutex<ServerConnection>>,
        sock: TcpStream,
    }

    impl Write for TlsWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut conn = lock(&self.conn);
            let n = conn.writer().write(buf)?;
            flush_tls(&mut conn, &mut self.sock)?;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            let mut conn = lock(&self.conn);
            flush_tls(&mut conn, &mut self.sock)
        }
    }
}

/// Without the `tls` feature: TLS options are refused.
#[cfg(not(feature = "tls"))]
#[derive(Debug)]
pub(crate) struct TlsAcceptor {}

#[cfg(not(feature = "tls"))]
impl TlsAcceptor {
    pub(crate) fn new(_opts: &TlsOptions, _client_ca: Option<&str>) -> Result<Self, MockError> {
        Err(MockError::Tls("built without the `tls` feature".into()))
    }

    pub(crate) fn rotate(&self, _opts: &TlsOptions) -> Result<(), MockError> {
        Err(MockError::Tls("built without the `tls` feature".into()))
    }

    pub(crate) fn wrap(&self, _read: TcpStream, _write: TcpStream) -> Result<Pair, MockError> {
        Err(MockError::Tls("built without the `tls` feature".into()))
    }
}

#[cfg(all(test, feature = "tls"))]
mod rotation_tests {
    use std::net::TcpStream;
    use std::sync::Arc;
    use std::time::Duration;

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, ServerName};

    use crate::{MockClusterServer, ServerOptions, TlsOptions};

    fn leaf(issuer: &Issuer<'_, KeyPair>) -> (String, String, CertificateDer<'static>) {
        let params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, issuer).expect("leaf");
        (cert.pem(), key.serialize_pem(), cert.der().clone())
    }

    /// Completes a TLS handshake with `addr`, trusting `ca`; returns the connection (kept
    /// open) and the certificate the server presented.
    fn handshake(
        addr: &str,
        ca: &CertificateDer<'static>,
    ) -> (rustls::ClientConnection, TcpStream, CertificateDer<'static>) {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.clone()).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = ServerName::try_from("localhost").expect("name");
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
        let mut sock = TcpStream::connect(addr).expect("connect");
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        while conn.is_handshaking() {
            conn.complete_io(&mut sock).expect("handshake");
        }
        let presented = conn.peer_certificates().expect("server certificate")[0].clone();
        (conn, sock, presented)
    }

    /// New connections get the rotated certificate (signed by the same CA); a connection
    /// made before the rotation keeps the certificate it was given.
    #[test]
    fn rotate_tls_serves_the_new_certificate_to_new_connections() {
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().expect("key");
        let ca = params.self_signed(&ca_key).expect("ca").der().clone();
        let issuer = Issuer::new(params, ca_key);
        let (a_pem, a_key, a_der) = leaf(&issuer);
        let (b_pem, b_key, b_der) = leaf(&issuer);
        let server = MockClusterServer::start(ServerOptions {
            spus: 1,
            tls: Some(TlsOptions {
                cert_pem: a_pem,
                key_pem: a_key,
            }),
            ..ServerOptions::default()
        })
        .expect("server");
        let (old_conn, _old_sock, first) = handshake(server.sc_addr(), &ca);
        assert_eq!(first, a_der);
        server.rotate_tls(&b_pem, &b_key).expect("rotation");
        let (_c, _s, second) = handshake(server.sc_addr(), &ca);
        assert_eq!(second, b_der, "new connections get the new certificate");
        let spu = server.spu_addr(5001).expect("spu").to_owned();
        let (_c, _s, on_spu) = handshake(&spu, &ca);
        assert_eq!(on_spu, b_der, "on every listener");
        assert_eq!(old_conn.peer_certificates().expect("cert")[0], a_der);
        assert!(server.rotate_tls("nope", "nope").is_err());
    }
}
