//! TLS towards Fluvio clusters, with rustls (ring provider) over futures-io.
//!
//! The profile's [`TlsPolicy`] decides:
//!
//! - [`TlsPolicy::Disabled`]: plain TCP, no [`TlsConnector`];
//! - [`TlsPolicy::Anonymous`]: TLS that accepts any server certificate and name (the handshake
//!   signatures are still checked, so the session is encrypted with the key of the certificate
//!   the server presented), no client certificate;
//! - [`TlsPolicy::Verified`]: the server certificate must chain to the profile's CA and match
//!   the server name, and the client presents its certificate (mutual TLS). The server name is
//!   the profile's domain for the SC and [`spu_server_name`] (`<spu-name>.<domain>`) for SPUs,
//!   as in the official client.
//!
//! All TLS set-up lives in this module, so a rustls major version touches one file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_rustls::rustls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct};

use crate::config::{TlsConfig, TlsPolicy};

/// The server name of the SPU `spu_name` in a cluster whose TLS domain is `domain`:
/// `<spu-name>.<domain>` (the official client's `with_prefix_sni_domain`).
///
/// SPU certificates are therefore usually wildcard certificates for `*.<domain>`.
pub fn spu_server_name(domain: &str, spu_name: &str) -> String {
    format!("{spu_name}.{domain}")
}

/// Which PEM item of a verified TLS policy an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemItem {
    /// The certificate authority (`ca_cert`).
    CaCert,
    /// The client certificate (`cert`).
    ClientCert,
    /// The client private key (`key`).
    ClientKey,
}

impl fmt::Display for PemItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CaCert => "CA certificate",
            Self::ClientCert => "client certificate",
            Self::ClientKey => "client private key",
        })
    }
}

/// Where a PEM item came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemOrigin {
    /// A file named in the profile (`tls_source = "files"`).
    File(PathBuf),
    /// PEM text inside the profile (`tls_source = "inline"`).
    Inline,
}

impl fmt::Display for PemOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Inline => f.write_str("inline profile value"),
        }
    }
}

/// Errors building a TLS configuration from a profile, before any connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A PEM file could not be read.
    #[error("cannot read the {item} file {}: {source}", path.display())]
    ReadFile {
        /// Which item.
        item: PemItem,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A PEM item is malformed.
    #[error("invalid PEM in the {item} ({origin}): {reason}")]
    InvalidPem {
        /// Which item.
        item: PemItem,
        /// Where it came from.
        origin: PemOrigin,
        /// What is wrong.
        reason: String,
    },
    /// A PEM item holds no certificate (or, for the key, no private key).
    #[error("missing {item}: no {} found in the {origin}", if matches!(item, PemItem::ClientKey) { "private key" } else { "certificate" })]
    Missing {
        /// Which item.
        item: PemItem,
        /// Where it was looked for.
        origin: PemOrigin,
    },
    /// A CA certificate was rejected as a trust anchor.
    #[error("invalid CA certificate ({origin}): {source}")]
    InvalidCa {
        /// Where it came from.
        origin: PemOrigin,
        /// Why rustls rejected it.
        #[source]
        source: rustls::Error,
    },
    /// The client certificate and key do not form a usable identity (e.g. they do not match,
    /// or the key type is unsupported).
    #[error("invalid client certificate or key: {source}")]
    InvalidClientIdentity {
        /// Why rustls rejected them.
        #[source]
        source: rustls::Error,
    },
    /// The crypto provider does not support the default protocol versions (a build problem).
    #[error("TLS provider set-up failed: {source}")]
    Provider {
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
}

/// Why a TLS session with a server failed, as far as the client can tell.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server certificate does not chain to the configured CA (no issuer of that name, or
    /// one of that name but with another key).
    #[error("the server certificate is not signed by the configured CA")]
    UnknownCa,
    /// The server certificate is not valid for the server name used.
    #[error("the server certificate is not valid for the expected server name")]
    NameMismatch,
    /// The server certificate has expired.
    #[error("the server certificate has expired")]
    CertificateExpired,
    /// The server certificate is not valid yet.
    #[error("the server certificate is not valid yet")]
    CertificateNotYetValid,
    /// The server certificate is otherwise invalid.
    #[error("the server certificate is invalid: {0}")]
    BadCertificate(rustls::Error),
    /// The server requires a client certificate and none was sent (e.g. an anonymous policy
    /// towards a cluster that requires mutual TLS).
    #[error("the server requires a client certificate and none was sent")]
    ClientCertificateRequired,
    /// The server rejected the client certificate (unknown CA, expired, revoked, ...).
    #[error("the server rejected the client certificate ({0:?} alert)")]
    ClientCertificateRejected(AlertDescription),
    /// The server aborted the handshake with another alert.
    #[error("the server aborted TLS with a {0:?} alert")]
    AlertReceived(AlertDescription),
    /// The peer closed the connection during the handshake (often: not a TLS server, or a
    /// server that dropped the client's certificate without an alert).
    #[error("the server closed the connection during the TLS handshake")]
    ClosedDuringHandshake,
    /// Any other TLS error.
    #[error("TLS error: {0}")]
    Other(rustls::Error),
}

impl TlsFailure {
    /// Which side refused the handshake: `"client"` when this client refused the server's
    /// certificate, `"server"` when the server refused this client or aborted, `"unknown"`
    /// for other TLS errors.
    pub fn side(&self) -> &'static str {
        match self {
            Self::UnknownCa
            | Self::NameMismatch
            | Self::CertificateExpired
            | Self::CertificateNotYetValid
            | Self::BadCertificate(_) => "client",
            Self::ClientCertificateRequired
            | Self::ClientCertificateRejected(_)
            | Self::AlertReceived(_)
            | Self::ClosedDuringHandshake => "server",
            Self::Other(_) => "unknown",
        }
    }

    /// Classifies a rustls error.
    pub fn from_rustls(err: &rustls::Error) -> Self {
        use rustls::Error as E;
        match err {
            E::InvalidCertificate(cert) => match cert {
                // BadSignature: an issuer of the right name but another key, e.g. the CA of
                // another cluster set up with the same names.
                CertificateError::UnknownIssuer | CertificateError::BadSignature => Self::UnknownCa,
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => Self::NameMismatch,
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    Self::CertificateExpired
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    Self::CertificateNotYetValid
                }
                _ => Self::BadCertificate(err.clone()),
            },
            E::AlertReceived(alert) => match alert {
                AlertDescription::CertificateRequired => Self::ClientCertificateRequired,
                // The server verifies no certificate but ours: certificate alerts are about it.
                AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnknownCA
                | AlertDescription::AccessDenied => Self::ClientCertificateRejected(*alert),
                other => Self::AlertReceived(*other),
            },
            other => Self::Other(other.clone()),
        }
    }

    /// The TLS failure behind an I/O error of a TLS stream, if any.
    ///
    /// Recognises errors built by [`TlsFailure::into_io_error`] and the raw rustls errors that
    /// futures-rustls wraps in `io::Error`.
    pub fn from_io_error(err: &io::Error) -> Option<Self> {
        let inner = err.get_ref()?;
        if let Some(failure) = inner.downcast_ref::<Self>() {
            return Some(failure.clone());
        }
        inner.downcast_ref::<rustls::Error>().map(Self::from_rustls)
    }

    /// This failure as an `io::Error` (kind `InvalidData`), recoverable with
    /// [`TlsFailure::from_io_error`].
    pub fn into_io_error(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// Replaces a raw rustls error inside `err` by its [`TlsFailure`], for clearer messages.
pub(crate) fn clarify_io_error(err: io::Error) -> io::Error {
    match err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(tls) => TlsFailure::from_rustls(tls).into_io_error(),
        None => err,
    }
}

/// The kind of [`TlsConnector`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// No certificate verification, no client certificate.
    Anonymous,
    /// CA verification, server name check and client certificate (mutual TLS).
    Verified,
}

/// A ready TLS client configuration, built once from a [`TlsPolicy`] and shared by all
/// connections of a client (building reads and parses the PEM items).
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    mode: TlsMode,
    domain: Option<String>,
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector")
            .field("mode", &self.mode)
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl TlsConnector {
    /// The connector for `policy`: `None` for [`TlsPolicy::Disabled`].
    pub fn from_policy(policy: &TlsPolicy) -> Result<Option<Self>, TlsSetupError> {
        match policy {
            TlsPolicy::Disabled => Ok(None),
            TlsPolicy::Anonymous => Self::anonymous().map(Some),
            TlsPolicy::Verified(config) => Self::verified(config).map(Some),
        }
    }

    /// A connector that accepts any server certificate and sends no client certificate.
    pub fn anonymous() -> Result<Self, TlsSetupError> {
        let provider = provider();
        let verifier = Arc::new(AcceptAnyServerCert {
            algorithms: provider.signature_verification_algorithms,
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|source| TlsSetupError::Provider { source })?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            mode: TlsMode::Anonymous,
            domain: None,
        })
    }

    /// A mutual-TLS connector from the CA, client certificate and key of `config`.
    pub fn verified(config: &TlsConfig) -> Result<Self, TlsSetupError> {
        let (ca, cert, key) = match config {
            TlsConfig::Files(paths) => (
                read_pem(PemItem::CaCert, &paths.ca_cert)?,
                read_pem(PemItem::ClientCert, &paths.cert)?,
                read_pem(PemItem::ClientKey, &paths.key)?,
            ),
            TlsConfig::Inline(certs) => (
                Pem::inline(&certs.ca_cert),
                Pem::inline(&certs.cert),
                Pem::inline(&certs.key),
            ),
        };
        let mut roots = rustls::RootCertStore::empty();
        for der in ca.certificates(PemItem::CaCert)? {
            roots.add(der).map_err(|source| TlsSetupError::InvalidCa {
                origin: ca.origin.clone(),
                source,
            })?;
        }
        let chain = cert.certificates(PemItem::ClientCert)?;
        let key = key.private_key()?;
        let client = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|source| TlsSetupError::Provider { source })?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|source| TlsSetupError::InvalidClientIdentity { source })?;
        Ok(Self {
            config: Arc::new(client),
            mode: TlsMode::Verified,
            domain: Some(config.domain().to_owned()),
        })
    }

    /// Anonymous or verified.
    pub fn mode(&self) -> TlsMode {
        self.mode
    }

    /// The profile's domain (verified connectors only): the SC's server name.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The rustls configuration.
    pub fn client_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// The server name to use: `requested`, else the profile's domain, else `host` (the host
    /// part of the address; anonymous connectors only send it as SNI).
    pub(crate) fn server_name(
        &self,
        requested: Option<&str>,
        host: &str,
    ) -> Result<ServerName<'static>, String> {
        let name = requested.or(self.domain.as_deref()).unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(name.to_owned()).map_err(|_| name.to_owned())
    }

    /// The futures-rustls connector.
    pub(crate) fn connector(&self) -> futures_rustls::TlsConnector {
        futures_rustls::TlsConnector::from(Arc::clone(&self.config))
    }
}

/// The crypto provider: ring (no C toolchain or cmake needed, unlike aws-lc-rs).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// PEM text and where it came from.
struct Pem {
    bytes: Vec<u8>,
    origin: PemOrigin,
}

fn read_pem(item: PemItem, path: &Path) -> Result<Pem, TlsSetupError> {
    let bytes = std::fs::read(path).map_err(|source| TlsSetupError::ReadFile {
        item,
        path: path.to_owned(),
        source,
    })?;
    Ok(Pem {
        bytes,
        origin: PemOrigin::File(path.to_owned()),
    })
}

impl Pem {
    fn inline(text: &str) -> Self {
        Self {
            bytes: text.as_bytes().to_vec(),
            origin: PemOrigin::Inline,
        }
    }

    fn invalid(&self, item: PemItem, err: &rustls::pki_types::pem::Error) -> TlsSetupError {
        TlsSetupError::InvalidPem {
            item,
            origin: self.origin.clone(),
            reason: err.to_string(),
        }
    }

    fn missing(&self, item: PemItem) -> TlsSetupError {
        TlsSetupError::Missing {
            item,
            origin: self.origin.clone(),
        }
    }

    fn certificates(&self, item: PemItem) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
        let certs = CertificateDer::pem_slice_iter(&self.bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.invalid(item, &e))?;
        if certs.is_empty() {
            return Err(self.missing(item));
        }
        Ok(certs)
    }

    fn private_key(&self) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
        use rustls::pki_types::pem::Error;
        PrivateKeyDer::from_pem_slice(&self.bytes).map_err(|e| match e {
            Error::NoItemsFound => self.missing(PemItem::ClientKey),
            other => self.invalid(PemItem::ClientKey, &other),
        })
    }
}

/// The anonymous policy's verifier: any certificate and name, but real handshake signatures
/// (so the peer must hold the key of the certificate it presents).
#[derive(Debug)]
struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TlsCerts;

    fn verified_inline() -> TlsPolicy {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["fluvio.local".to_owned()])
            .expect("name")
            .self_signed(&key)
            .expect("cert");
        TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
            domain: "fluvio.local".to_owned(),
            key: key.serialize_pem(),
            cert: cert.pem(),
            ca_cert: cert.pem(),
        }))
    }

    #[test]
    fn connectors_from_policies() {
        assert!(
            TlsConnector::from_policy(&TlsPolicy::Disabled)
                .unwrap()
                .is_none()
        );
        let anonymous = TlsConnector::from_policy(&TlsPolicy::Anonymous)
            .unwrap()
            .unwrap();
        assert_eq!(anonymous.mode(), TlsMode::Anonymous);
        assert_eq!(anonymous.domain(), None);
        let verified = TlsConnector::from_policy(&verified_inline())
            .unwrap()
            .unwrap();
        assert_eq!(verified.mode(), TlsMode::Verified);
        assert_eq!(verified.domain(), Some("fluvio.local"));
        assert!(
            verified
                .client_config()
                .client_auth_cert_resolver
                .has_certs()
        );
        assert!(format!("{verified:?}").contains("fluvio.local"));
    }

    #[test]
    fn tls_server_names_follow_the_policy() {
        let verified = TlsConnector::from_policy(&verified_inline())
            .unwrap()
            .unwrap();
        let name =
            |c: &TlsConnector, req, host| c.server_name(req, host).map(|n| n.to_str().into_owned());
        assert_eq!(name(&verified, None, "10.0.0.1").unwrap(), "fluvio.local");
        let spu = spu_server_name("fluvio.local", "spu-5001");
        assert_eq!(
            name(&verified, Some(&spu), "h").unwrap(),
            "spu-5001.fluvio.local"
        );
        let anonymous = TlsConnector::anonymous().unwrap();
        assert_eq!(name(&anonymous, None, "sc.example").unwrap(), "sc.example");
        assert_eq!(name(&anonymous, None, "[::1]").unwrap(), "::1");
        assert_eq!(name(&anonymous, None, "bad name").unwrap_err(), "bad name");
    }

    #[test]
    fn rustls_errors_classify_as_tls_failures() {
        use rustls::Error as E;
        let cert = |e| TlsFailure::from_rustls(&E::InvalidCertificate(e));
        assert_eq!(cert(CertificateError::UnknownIssuer), TlsFailure::UnknownCa);
        assert_eq!(cert(CertificateError::BadSignature), TlsFailure::UnknownCa);
        assert_eq!(
            cert(CertificateError::NotValidForName),
            TlsFailure::NameMismatch
        );
        assert_eq!(
            cert(CertificateError::Expired),
            TlsFailure::CertificateExpired
        );
        assert_eq!(
            cert(CertificateError::NotValidYet),
            TlsFailure::CertificateNotYetValid
        );
        assert!(matches!(
            cert(CertificateError::Revoked),
            TlsFailure::BadCertificate(_)
        ));
        let alert = |a| TlsFailure::from_rustls(&E::AlertReceived(a));
        assert_eq!(
            alert(AlertDescription::CertificateRequired),
            TlsFailure::ClientCertificateRequired
        );
        assert_eq!(
            alert(AlertDescription::UnknownCA),
            TlsFailure::ClientCertificateRejected(AlertDescription::UnknownCA)
        );
        assert_eq!(
            alert(AlertDescription::HandshakeFailure),
            TlsFailure::AlertReceived(AlertDescription::HandshakeFailure)
        );
        assert!(matches!(
            TlsFailure::from_rustls(&E::DecryptError),
            TlsFailure::Other(E::DecryptError)
        ));
    }

    #[test]
    fn io_errors_carry_the_failure() {
        let raw = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(
            TlsFailure::from_io_error(&raw),
            Some(TlsFailure::Other(rustls::Error::DecryptError))
        );
        let clear = clarify_io_error(io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        ));
        assert!(
            clear.to_string().contains("requires a client certificate"),
            "{clear}"
        );
        assert_eq!(
            TlsFailure::from_io_error(&clear),
            Some(TlsFailure::ClientCertificateRequired)
        );
        let plain = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(TlsFailure::from_io_error(&plain), None);
        assert_eq!(
            clarify_io_error(plain).kind(),
            io::ErrorKind::ConnectionReset
        );
    }

    #[test]
    fn inline_key_is_not_in_errors() {
        let TlsPolicy::Verified(TlsConfig::Inline(mut certs)) = verified_inline() else {
            unreachable!()
        };
        certs.cert = String::new();
        let err = TlsConnector::verified(&TlsConfig::Inline(certs.clone())).unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            "missing client certificate: no certificate found in the inline profile value"
        );
        assert!(!text.contains(&certs.key));
    }
}
