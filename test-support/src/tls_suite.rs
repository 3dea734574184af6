//! TLS: mutual TLS, server names, certificate failures, anonymous TLS, set-up errors.

use futures_util::io::AsyncWriteExt;
use rcgen::{CertificateParams, KeyPair};

use crate::DOMAIN;
use crate::fixtures::{EchoServer, Pki, connect, echo_once, pattern, server_config};
use crate::tcp_suite::{SPLIT_LEN, split_round_trip};
use flv_driver::Runtime;
use flv_driver::config::{TlsCerts, TlsConfig, TlsPaths, TlsPolicy};
use flv_driver::rustls;
use flv_driver::tls::{PemItem, TlsFailure, TlsSetupError, spu_server_name};
use flv_driver::transport::{ConnectError, connect_transport};

/// Verified mutual TLS with inline PEM: the server checks the client certificate.
pub async fn tls_verified_mutual_round_trip_inline<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let policy = pki.client_policy();
    mutual_round_trip(rt, pki, policy).await;
}

/// Verified mutual TLS with PEM files (the `files` source), over several echoes.
pub async fn tls_verified_mutual_round_trip_files<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write PEM");
        path
    };
    let paths = TlsPaths {
        domain: DOMAIN.to_owned(),
        key: write("client.key", &pki.client_key),
        cert: write("client.crt", &pki.client_cert),
        ca_cert: write("ca.crt", &pki.ca),
    };
    let policy = TlsPolicy::Verified(TlsConfig::Files(paths));
    mutual_round_trip(rt, pki, policy).await;
}

async fn mutual_round_trip<R: Runtime>(rt: R, pki: Pki, policy: TlsPolicy) {
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    let mut t = connect(&rt, &server, &policy, None)
        .await
        .expect("mutual TLS");
    assert!(t.is_tls());
    let session = t.tls_session().expect("TLS session");
    assert_eq!(
        session.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    echo_once(&mut t, b"over TLS").await.expect("echo");
    echo_once(&mut t, &pattern(70_000)).await.expect("echo");
    t.close().await.expect("close");
    drop(t); // async-io's close only flushes: dropping sends the FIN.
    let report = server.report().await;
    assert!(
        report.client_certificate,
        "the server saw the client certificate"
    );
    assert!(report.error.is_none(), "{:?}", report.error);
    assert_eq!(report.echoed, 8 + 70_000);
}

/// SPU connections verify `<spu-name>.<domain>` (a wildcard certificate here).
pub async fn tls_verified_spu_server_name<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    let name = spu_server_name(DOMAIN, "spu-5001");
    assert_eq!(name, "spu-5001.fluvio.local");
    let mut t = connect(&rt, &server, &pki.client_policy(), Some(&name))
        .await
        .expect("SPU name matches the wildcard");
    echo_once(&mut t, b"spu").await.expect("echo");
    t.close().await.expect("close");
    drop(t); // async-io's close only flushes: dropping sends the FIN.
    assert!(server.report().await.error.is_none());
}

/// TLS halves from two tasks.
pub async fn tls_split_halves_in_two_tasks<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    let t = connect(&rt, &server, &pki.client_policy(), None)
        .await
        .expect("mutual TLS");
    split_round_trip(&rt, t).await;
    assert_eq!(server.report().await.echoed, SPLIT_LEN);
}

fn assert_tls_failure(err: &ConnectError, expected: &TlsFailure) {
    assert_eq!(err.tls_failure(), Some(expected), "{err:?}");
    assert!(err.to_string().contains(&expected.to_string()), "{err}");
}

/// A server certificate from another CA: `UnknownCa`, whether that CA has another name or
/// the same name as the configured one (two clusters set up alike).
pub async fn tls_wrong_ca<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    for other in [Pki::generate_with_ca_name("another CA"), Pki::generate()] {
        let server = EchoServer::tls(other.server_config(Some(&pki.ca)));
        let err = connect(&rt, &server, &pki.client_policy(), None)
            .await
            .expect_err("server certificate from another CA");
        assert_tls_failure(&err, &TlsFailure::UnknownCa);
        assert!(!err.is_transient());
        // The client's alert is best effort: the server may see it or a bare close.
        assert_eq!(server.report().await.echoed, 0);
    }
}

/// A server name the certificate does not cover: `NameMismatch`.
pub async fn tls_wrong_server_name<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    let err = connect(
        &rt,
        &server,
        &pki.client_policy(),
        Some("sc.other-domain.example"),
    )
    .await
    .expect_err("name not in the certificate");
    assert_tls_failure(&err, &TlsFailure::NameMismatch);
    assert!(err.to_string().contains("sc.other-domain.example"), "{err}");
    let _ = server.report().await;
}

async fn missing_client_certificate<R: Runtime>(rt: R, server: EchoServer) {
    let result = connect(&rt, &server, &TlsPolicy::Anonymous, None).await;
    let failure = match result {
        // TLS 1.2: the server's alert arrives before the client's handshake ends.
        Err(err) => err.tls_failure().cloned(),
        // TLS 1.3: the client's handshake is done before the server checks the client
        // certificate; the alert shows on the first read.
        Ok(mut t) => {
            let err = echo_once(&mut t, b"hello").await.expect_err("rejected");
            assert!(
                err.to_string().contains("requires a client certificate"),
                "{err}"
            );
            TlsFailure::from_io_error(&err)
        }
    };
    assert_eq!(failure, Some(TlsFailure::ClientCertificateRequired));
    let report = server.report().await;
    assert!(!report.client_certificate);
    let error = report.error.expect("server rejects").to_string();
    assert!(error.contains("no certificates"), "{error}");
}

/// Anonymous client (no certificate) towards a mutual-TLS server (TLS 1.3).
pub async fn tls_missing_client_certificate<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    missing_client_certificate(rt, server).await;
}

/// Anonymous client towards a mutual-TLS server speaking only TLS 1.2: fails in the handshake.
pub async fn tls_missing_client_certificate_tls12<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let config = server_config(
        &pki.server_cert,
        &pki.server_key,
        Some(&pki.ca),
        Some(&rustls::version::TLS12),
    );
    missing_client_certificate(rt, EchoServer::tls(config)).await;
}

/// A client certificate signed by a CA the server does not trust: rejected by the server.
pub async fn tls_client_certificate_rejected<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    let server = EchoServer::tls(pki.server_config(Some(&pki.ca)));
    let policy = TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
        domain: DOMAIN.to_owned(),
        key: pki.other_client_key.clone(),
        cert: pki.other_client_cert.clone(),
        ca_cert: pki.ca.clone(),
    }));
    let failure = match connect(&rt, &server, &policy, None).await {
        Err(err) => err.tls_failure().cloned(),
        Ok(mut t) => {
            let err = echo_once(&mut t, b"hello").await.expect_err("rejected");
            assert!(
                err.to_string().contains("rejected the client certificate"),
                "{err}"
            );
            TlsFailure::from_io_error(&err)
        }
    };
    assert!(
        matches!(failure, Some(TlsFailure::ClientCertificateRejected(_))),
        "{failure:?}"
    );
    assert!(server.report().await.error.is_some());
}

/// Anonymous TLS accepts a self-signed certificate for any name (and sends no client cert).
pub async fn tls_anonymous_self_signed<R: Runtime>(rt: R) {
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["self-signed.invalid".to_owned()])
        .expect("valid name")
        .self_signed(&key)
        .expect("self-signed");
    let config = server_config(&cert.pem(), &key.serialize_pem(), None, None);
    let server = EchoServer::tls(config);
    let mut t = connect(&rt, &server, &TlsPolicy::Anonymous, None)
        .await
        .expect("anonymous TLS");
    assert!(t.is_tls());
    echo_once(&mut t, b"anonymous").await.expect("echo");
    t.close().await.expect("close");
    drop(t); // async-io's close only flushes: dropping sends the FIN.
    let report = server.report().await;
    assert!(!report.client_certificate);
    assert!(report.error.is_none(), "{:?}", report.error);

    // The same server with a verified policy: unknown CA.
    let pki = Pki::generate();
    let server = EchoServer::tls(server_config(&cert.pem(), &key.serialize_pem(), None, None));
    let err = connect(
        &rt,
        &server,
        &pki.client_policy(),
        Some("self-signed.invalid"),
    )
    .await
    .expect_err("self-signed is not trusted");
    assert_tls_failure(&err, &TlsFailure::UnknownCa);
    let _ = server.report().await;
}

/// TLS towards a plain TCP server fails with a TLS error (no hang).
pub async fn tls_against_plain_server<R: Runtime>(rt: R) {
    let server = EchoServer::plain();
    let err = connect(&rt, &server, &TlsPolicy::Anonymous, None)
        .await
        .expect_err("not a TLS server");
    assert!(
        matches!(err, ConnectError::Tls { .. } | ConnectError::TlsIo { .. }),
        "{err:?}"
    );
    let _ = server.report().await;
}

/// Unusable TLS settings fail before any connection, naming the item at fault.
pub async fn tls_setup_errors<R: Runtime>(rt: R) {
    let pki = Pki::generate();
    // Nothing listens on this address: a setup error must come first.
    let addr = "127.0.0.1:9";
    let inline = |key: &str, cert: &str, ca: &str| {
        TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
            domain: DOMAIN.to_owned(),
            key: key.to_owned(),
            cert: cert.to_owned(),
            ca_cert: ca.to_owned(),
        }))
    };
    let setup = |err: ConnectError| match err {
        ConnectError::TlsSetup(e) => e,
        other => panic!("expected a TLS setup error, got {other:?}"),
    };

    let no_cert = inline(&pki.client_key, "", &pki.ca);
    let err = setup(
        connect_transport(&rt, addr, &no_cert, None)
            .await
            .expect_err("no cert"),
    );
    assert!(
        matches!(
            err,
            TlsSetupError::Missing {
                item: PemItem::ClientCert,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("missing client certificate"),
        "{err}"
    );

    let no_key = inline(&pki.ca, &pki.client_cert, &pki.ca);
    let err = setup(
        connect_transport(&rt, addr, &no_key, None)
            .await
            .expect_err("no key"),
    );
    assert!(
        matches!(
            err,
            TlsSetupError::Missing {
                item: PemItem::ClientKey,
                ..
            }
        ),
        "{err:?}"
    );

    let truncated = &pki.ca[..pki.ca.len() / 2];
    let bad_ca = inline(&pki.client_key, &pki.client_cert, truncated);
    let err = setup(
        connect_transport(&rt, addr, &bad_ca, None)
            .await
            .expect_err("bad PEM"),
    );
    assert!(
        matches!(
            err,
            TlsSetupError::InvalidPem {
                item: PemItem::CaCert,
                ..
            }
        ),
        "{err:?}"
    );

    let mismatched = inline(&pki.other_client_key, &pki.client_cert, &pki.ca);
    let err = setup(
        connect_transport(&rt, addr, &mismatched, None)
            .await
            .expect_err("mismatch"),
    );
    assert!(
        matches!(err, TlsSetupError::InvalidClientIdentity { .. }),
        "{err:?}"
    );

    let missing_file = TlsPolicy::Verified(TlsConfig::Files(TlsPaths {
        domain: DOMAIN.to_owned(),
        key: "/nonexistent/flv/client.key".into(),
        cert: "/nonexistent/flv/client.crt".into(),
        ca_cert: "/nonexistent/flv/ca.crt".into(),
    }));
    let err = setup(
        connect_transport(&rt, addr, &missing_file, None)
            .await
            .expect_err("no file"),
    );
    assert!(
        matches!(
            err,
            TlsSetupError::ReadFile {
                item: PemItem::CaCert,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("/nonexistent/flv/ca.crt"), "{err}");

    let err = connect_transport(&rt, addr, &pki.client_policy(), Some("bad name!"))
        .await
        .expect_err("bad server name");
    assert!(
        matches!(err, ConnectError::InvalidServerName { .. }),
        "{err:?}"
    );
}
