//! TLS handshake failures say which side refused and why, against a mutual-TLS mock
//! cluster with a generated PKI.

use assert_cmd::Command;
use flv_mock_cluster::{MockClusterServer, ServerOptions, TlsOptions};
use flv_test_support::{DOMAIN, Pki};

/// `flv -c SC --tls --enable-client-cert ... topic list` with these PEM files; its stderr.
fn topic_list_fails(server: &MockClusterServer, ca: &str, cert: &str, key: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, pem: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (ca, cert, key) = (file("ca.pem", ca), file("c.pem", cert), file("k.pem", key));
    let out = Command::cargo_bin("flv")
        .unwrap()
        .env("FLV_PROFILE_PATH", dir.path().join("config"))
        .env("HOME", dir.path())
        .timeout(std::time::Duration::from_secs(30))
        .args(["-c", server.sc_addr(), "--tls", "--enable-client-cert"])
        .args(["--domain", DOMAIN, "--ca-cert", &ca])
        .args(["--client-cert", &cert, "--client-key", &key])
        .args(["topic", "list"])
        .assert()
        .code(1);
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[test]
fn tls_failures_name_the_side_that_refused() {
    let pki = Pki::generate();
    let server = MockClusterServer::start(ServerOptions {
        spus: 1,
        tls: Some(TlsOptions {
            cert_pem: pki.server_cert.clone(),
            key_pem: pki.server_key.clone(),
        }),
        tls_client_ca: Some(pki.ca.clone()),
        ..ServerOptions::default()
    })
    .expect("TLS mock cluster starts");
    // The client does not trust the server's CA.
    let err = topic_list_fails(&server, &pki.other_ca, &pki.client_cert, &pki.client_key);
    assert!(
        err.contains("this client refused the server's certificate: ")
            && err.contains("not signed by the configured CA"),
        "{err}"
    );
    // The server does not trust the client's certificate.
    let err = topic_list_fails(
        &server,
        &pki.ca,
        &pki.other_client_cert,
        &pki.other_client_key,
    );
    assert!(
        err.contains("the server refused the handshake: ")
            && err.contains("rejected the client certificate"),
        "{err}"
    );
}
