//! The server driver over TLS (rustls, ring) with an rcgen-generated certificate: a
//! rustls client completes the handshake with the SC and with an SPU and gets
//! ApiVersions answers.
#![cfg(feature = "tls")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use flv_core::api_versions::ApiVersionsRequest;
use flv_core::header::RequestHeader;
use flv_core::message::{AnyRequest, AnyResponse, RequestFrame, ResponseFrame, ServerKind};
use flv_mock_cluster::{MockClusterServer, ServerOptions, TlsOptions};
use rustls::pki_types::ServerName;

fn api_versions(addr: &str, roots: &rustls::RootCertStore, kind: ServerKind) -> AnyResponse {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").expect("name");
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let mut sock = TcpStream::connect(addr).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let frame = RequestFrame {
        header: RequestHeader {
            api_key: 18,
            api_version: 2,
            correlation_id: 1,
            client_id: "tls-test".into(),
        },
        body: AnyRequest::ApiVersions(ApiVersionsRequest {
            client_version: "0.50.1".into(),
            client_os: "linux".into(),
            client_arch: "x86_64".into(),
        }),
    };
    let mut buf = BytesMut::new();
    frame.encode(&mut buf).expect("encode");
    tls.write_all(&buf).expect("write");
    let mut len = [0u8; 4];
    tls.read_exact(&mut len).expect("length");
    let mut payload = vec![0u8; usize::try_from(u32::from_be_bytes(len)).expect("len")];
    tls.read_exact(&mut payload).expect("payload");
    ResponseFrame::decode(kind, 18, 2, Bytes::from(payload))
        .expect("response")
        .body
}

#[test]
fn sc_and_spus_speak_tls() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let server = MockClusterServer::start(ServerOptions {
        tls: Some(TlsOptions {
            cert_pem: cert.cert.pem(),
            key_pem: cert.signing_key.serialize_pem(),
        }),
        ..ServerOptions::default()
    })
    .expect("server");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).expect("root");
    let AnyResponse::ApiVersions(sc) = api_versions(server.sc_addr(), &roots, ServerKind::Sc)
    else {
        panic!("not ApiVersions");
    };
    assert_eq!(sc.platform_version, flv_mock_cluster::PLATFORM_VERSION);
    let spu = server.spu_addr(5001).expect("spu");
    let AnyResponse::ApiVersions(spu) = api_versions(spu, &roots, ServerKind::Spu) else {
        panic!("not ApiVersions");
    };
    assert_eq!(spu.platform_version, "0.0.0");
    assert!(spu.find(1003).is_some());
}

#[test]
fn bad_pem_is_an_error() {
    let err = MockClusterServer::start(ServerOptions {
        tls: Some(TlsOptions {
            cert_pem: "nope".into(),
            key_pem: "nope".into(),
        }),
        ..ServerOptions::default()
    });
    assert!(err.is_err());
}
