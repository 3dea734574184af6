//! Certificates, loopback servers and helpers of the suite.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::DOMAIN;
use flv_driver::Runtime;
use flv_driver::config::{TlsCerts, TlsConfig, TlsPolicy};
use flv_driver::rustls;
use flv_driver::transport::{ConnectError, Transport, connect_transport};

/// Guard against a test server thread blocking forever on a broken test.
const SERVER_IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Certificates and keys of a test cluster, as PEM.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The cluster CA.
    pub ca: String,
    /// Server certificate for [`DOMAIN`] and `*.`[`DOMAIN`], signed by `ca`.
    pub server_cert: String,
    /// Its key.
    pub server_key: String,
    /// Client certificate (CN `flv-test-client`), signed by `ca`.
    pub client_cert: String,
    /// Its key.
    pub client_key: String,
    /// Another CA, unrelated to the cluster.
    pub other_ca: String,
    /// Client certificate signed by `other_ca`.
    pub other_client_cert: String,
    /// Its key.
    pub other_client_key: String,
}

fn new_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::new()).expect("no names: valid");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().expect("ring generates ECDSA keys");
    let cert = params.self_signed(&key).expect("valid CA parameters");
    (cert.pem(), Issuer::new(params, key))
}

fn new_leaf(
    names: &[&str],
    cn: &str,
    usage: ExtendedKeyUsagePurpose,
    issuer: &Issuer<'_, KeyPair>,
) -> (String, String) {
    let names = names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    let mut params = CertificateParams::new(names).expect("valid test names");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages.push(usage);
    let key = KeyPair::generate().expect("ring generates ECDSA keys");
    let cert = params
        .signed_by(&key, issuer)
        .expect("valid leaf parameters");
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    /// Generates a fresh test PKI.
    pub fn generate() -> Self {
        Self::generate_with_ca_name("flv test CA")
    }

    /// Generates a fresh test PKI whose CA has the common name `ca_name`.
    pub fn generate_with_ca_name(ca_name: &str) -> Self {
        let (ca, issuer) = new_ca(ca_name);
        let wildcard = format!("*.{DOMAIN}");
        let (server_cert, server_key) = new_leaf(
            &[DOMAIN, &wildcard],
            DOMAIN,
            ExtendedKeyUsagePurpose::ServerAuth,
            &issuer,
        );
        let (client_cert, client_key) = new_leaf(
            &[],
            "flv-test-client",
            ExtendedKeyUsagePurpose::ClientAuth,
            &issuer,
        );
        let (other_ca, other_issuer) = new_ca("unrelated CA");
        let (other_client_cert, other_client_key) = new_leaf(
            &[],
            "intruder",
            ExtendedKeyUsagePurpose::ClientAuth,
            &other_issuer,
        );
        Self {
            ca,
            server_cert,
            server_key,
            client_cert,
            client_key,
            other_ca,
            other_client_cert,
            other_client_key,
        }
    }

    /// The client's verified policy with inline PEM.
    pub fn client_policy(&self) -> TlsPolicy {
        TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
            domain: DOMAIN.to_owned(),
            key: self.client_key.clone(),
            cert: self.client_cert.clone(),
            ca_cert: self.ca.clone(),
        }))
    }

    /// A server configuration presenting `server_cert`; `client_ca` makes client
    /// certificates signed by it mandatory (mutual TLS).
    pub fn server_config(&self, client_ca: Option<&str>) -> Arc<rustls::ServerConfig> {
        server_config(&self.server_cert, &self.server_key, client_ca, None)
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(super) fn server_config(
    cert: &str,
    key: &str,
    client_ca: Option<&str>,
    version: Option<&'static rustls::SupportedProtocolVersion>,
) -> Arc<rustls::ServerConfig> {
    let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("generated PEM");
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("generated PEM");
    let builder = rustls::ServerConfig::builder_with_provider(provider());
    let builder = match version {
        Some(v) => builder.with_protocol_versions(&[v]),
        None => builder.with_safe_default_protocol_versions(),
    }
    .expect("ring supports TLS 1.2 and 1.3");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for der in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(der.expect("generated PEM")).expect("valid CA");
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            )
            .build()
            .expect("non-empty roots");
            builder.with_client_cert_verifier(verifier)
        }
    };
    Arc::new(builder.with_single_cert(chain, key).expect("matching key"))
}

/// What a test server saw on its one connection.
#[derive(Debug)]
pub struct ServerReport {
    /// Bytes echoed back.
    pub echoed: usize,
    /// Whether the client presented a certificate (TLS only).
    pub client_certificate: bool,
    /// The error that ended the connection, if any.
    pub error: Option<io::Error>,
}

/// A one-connection echo server on a `std::net` thread (plain TCP, or TLS with rustls).
pub struct EchoServer {
    /// Its loopback address.
    pub addr: SocketAddr,
    report: async_channel::Receiver<ServerReport>,
}

impl EchoServer {
    /// A plain TCP echo server.
    pub fn plain() -> Self {
        Self::start(None)
    }

    /// A TLS echo server with `config`.
    pub fn tls(config: Arc<rustls::ServerConfig>) -> Self {
        Self::start(Some(config))
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("bound address");
        let (tx, report) = async_channel::bounded(1);
        std::thread::spawn(move || {
            let report = match listener.accept() {
                Ok((sock, _)) => serve(sock, tls),
                Err(error) => ServerReport {
                    echoed: 0,
                    client_certificate: false,
                    error: Some(error),
                },
            };
            let _ = tx.send_blocking(report);
        });
        Self { addr, report }
    }

    /// `host:port` of the server.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Waits for the server's report (after the client closed the connection).
    pub async fn report(self) -> ServerReport {
        self.report.recv().await.expect("server thread reports")
    }
}

fn serve(sock: TcpStream, tls: Option<Arc<rustls::ServerConfig>>) -> ServerReport {
    let _ = sock.set_read_timeout(Some(SERVER_IO_TIMEOUT));
    let _ = sock.set_write_timeout(Some(SERVER_IO_TIMEOUT));
    let Some(config) = tls else {
        let mut sock = sock;
        let (echoed, error) = echo(&mut sock);
        return ServerReport {
            echoed,
            client_certificate: false,
            error,
        };
    };
    let conn = rustls::ServerConnection::new(config).expect("valid server config");
    let mut stream = rustls::StreamOwned::new(conn, sock);
    let (echoed, error) = echo(&mut stream);
    let client_certificate = stream.conn.peer_certificates().is_some();
    if error.is_some() {
        // The alert went out with the error; close gracefully rather than with a reset, so the
        // client reads the alert instead of ECONNRESET.
        let _ = stream.sock.shutdown(Shutdown::Write);
        let mut sink = [0u8; 4096];
        while matches!(stream.sock.read(&mut sink), Ok(n) if n > 0) {}
    } else {
        stream.conn.send_close_notify();
        let _ = stream.conn.complete_io(&mut stream.sock);
    }
    ServerReport {
        echoed,
        client_certificate,
        error,
    }
}

fn echo(stream: &mut (impl Read + Write)) -> (usize, Option<io::Error>) {
    let mut buf = [0u8; 16 * 1024];
    let mut echoed = 0;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return (echoed, None),
            Ok(n) => n,
            // A client that closed without close_notify: fine for these tests.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return (echoed, None),
            Err(e) => return (echoed, Some(e)),
        };
        if let Err(e) = stream.write_all(&buf[..n]).and_then(|()| stream.flush()) {
            return (echoed, Some(e));
        }
        echoed += n;
    }
}

/// Writes `msg`, reads the same number of bytes back and checks them.
pub async fn echo_once<S>(transport: &mut Transport<S>, msg: &[u8]) -> io::Result<()>
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    transport.write_all(msg).await?;
    transport.flush().await?;
    let mut back = vec![0u8; msg.len()];
    transport.read_exact(&mut back).await?;
    assert_eq!(back, msg, "echoed bytes differ");
    Ok(())
}

pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

pub(super) async fn connect<R: Runtime>(
    rt: &R,
    server: &EchoServer,
    tls: &TlsPolicy,
    name: Option<&str>,
) -> Result<Transport<R::Tcp>, ConnectError> {
    connect_transport(rt, &server.address(), tls, name).await
}
