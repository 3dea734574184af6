//! Unit tests of the connection flags and `resolve_target`.

use std::fs;

use clap::Parser;
use flv_driver::config::{ClusterConfig, Config, TlsPaths, TlsPolicy};

use super::*;

#[derive(Debug, Parser)]
struct Harness {
    #[command(flatten)]
    opts: GlobalOpts,
}

fn parse(args: &[&str]) -> Result<GlobalOpts, clap::Error> {
    Harness::try_parse_from(std::iter::once("flv").chain(args.iter().copied())).map(|h| h.opts)
}

fn opts(args: &[&str]) -> GlobalOpts {
    parse(args).expect("flags parse")
}

fn two_profiles() -> Config {
    let mut config = Config::new();
    config.add_or_replace_profile("prod", ClusterConfig::new("prod.example:9003"));
    config.add_or_replace_profile("local", ClusterConfig::new("127.0.0.1:9003"));
    config
}

fn err(opts: &GlobalOpts, config: &Config) -> String {
    format!("{:#}", resolve_target(opts, config).unwrap_err())
}

/// Three PEM-ish files in a temporary directory: (dir, ca, cert, key).
fn tls_files() -> (tempfile::TempDir, String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["ca.crt", "client.crt", "client.key"] {
        let path = dir.path().join(name);
        fs::write(&path, "pem").unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    let key = paths.pop().unwrap();
    let cert = paths.pop().unwrap();
    let ca = paths.pop().unwrap();
    (dir, ca, cert, key)
}

#[test]
fn no_flags_use_the_current_profile_with_the_default_client_id() {
    let cluster = resolve_target(&opts(&[]), &two_profiles()).unwrap();
    assert_eq!(cluster.endpoint, "127.0.0.1:9003");
    assert_eq!(cluster.tls, TlsPolicy::Disabled);
    assert_eq!(cluster.client_id.as_deref(), Some(DEFAULT_CLIENT_ID));
}

#[test]
fn profile_flag_selects_another_profile_and_keeps_its_settings() {
    let mut config = two_profiles();
    config.cluster_mut("prod").unwrap().use_spu_local_address = true;
    let cluster = resolve_target(&opts(&["-P", "prod"]), &config).unwrap();
    assert_eq!(cluster.endpoint, "prod.example:9003");
    assert!(cluster.use_spu_local_address);
    let long = resolve_target(&opts(&["--profile", "prod"]), &config).unwrap();
    assert_eq!(long, cluster);
}

#[test]
fn client_id_comes_from_the_options() {
    let mut o = opts(&[]);
    o.client_id = Some("my-app".into());
    let cluster = resolve_target(&o, &two_profiles()).unwrap();
    assert_eq!(cluster.client_id.as_deref(), Some("my-app"));
    o.client_id = Some(String::new());
    let cluster = resolve_target(&o, &two_profiles()).unwrap();
    assert_eq!(cluster.client_id.as_deref(), Some(DEFAULT_CLIENT_ID));
}

#[test]
fn cluster_flag_needs_no_profile_file() {
    let cluster = resolve_target(&opts(&["-c", "10.0.0.1:9003"]), &Config::new()).unwrap();
    assert_eq!(cluster.endpoint, "10.0.0.1:9003");
    assert_eq!(cluster.tls, TlsPolicy::Disabled);
    let v6 = resolve_target(&opts(&["--cluster", "[::1]:9003"]), &Config::new()).unwrap();
    assert_eq!(v6.endpoint, "[::1]:9003");
}

#[test]
fn cluster_flag_with_tls_alone_is_anonymous() {
    let cluster = resolve_target(&opts(&["-c", "h:9003", "--tls"]), &Config::new()).unwrap();
    assert_eq!(cluster.tls, TlsPolicy::Anonymous);
}

#[test]
fn cluster_flag_with_client_cert_is_verified_with_absolute_paths() {
    let (_dir, ca, cert, key) = tls_files();
    let args = [
        "-c",
        "h:9003",
        "--tls",
        "--enable-client-cert",
        "--domain",
        "fluvio.local",
        "--ca-cert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        &key,
    ];
    let cluster = resolve_target(&opts(&args), &Config::new()).unwrap();
    let expected = TlsPolicy::from(TlsPaths {
        domain: "fluvio.local".into(),
        key: key.into(),
        cert: cert.into(),
        ca_cert: ca.into(),
    });
    assert_eq!(cluster.tls, expected);
}

#[test]
fn missing_tls_file_is_named() {
    let (_dir, ca, cert, _key) = tls_files();
    let args = [
        "-c",
        "h:9003",
        "--tls",
        "--enable-client-cert",
        "--domain",
        "d",
        "--ca-cert",
        &ca,
        "--client-cert",
        &cert,
        "--client-key",
        "/nonexistent/client.key",
    ];
    let e = err(&opts(&args), &Config::new());
    assert_eq!(
        e,
        "TLS file given with --client-key not found: /nonexistent/client.key"
    );
}

#[test]
fn incomplete_client_cert_flags_list_what_is_missing() {
    let e = err(
        &opts(&[
            "-c",
            "h:1",
            "--tls",
            "--enable-client-cert",
            "--domain",
            "d",
        ]),
        &Config::new(),
    );
    assert_eq!(
        e,
        "--enable-client-cert needs --domain, --ca-cert, --client-cert and --client-key \
         (missing --ca-cert, --client-cert, --client-key)"
    );
}

#[test]
fn stray_tls_flags_are_errors_not_ignored() {
    let e = err(
        &opts(&["-c", "h:1", "--enable-client-cert"]),
        &Config::new(),
    );
    assert_eq!(e, "--enable-client-cert only apply with --tls");
    let e = err(
        &opts(&["-c", "h:1", "--tls", "--ca-cert", "x"]),
        &Config::new(),
    );
    assert!(
        e.starts_with("--ca-cert only apply with --enable-client-cert"),
        "{e}"
    );
}

#[test]
fn tls_flags_without_cluster_are_rejected() {
    let e = err(&opts(&["--tls"]), &two_profiles());
    assert_eq!(e, "TLS flags need --cluster HOST:PORT");
}

#[test]
fn profile_conflicts_with_cluster_and_tls_at_parse_time() {
    for args in [
        &["-P", "a", "-c", "h:1"][..],
        &["-P", "a", "--tls"],
        &["-P", "a", "--client-key", "k"],
    ] {
        let e = parse(args).unwrap_err();
        assert_eq!(
            e.kind(),
            clap::error::ErrorKind::ArgumentConflict,
            "{args:?}"
        );
    }
}

#[test]
fn profile_conflicts_are_also_checked_when_built_in_code() {
    let mut o = opts(&["-P", "prod"]);
    o.cluster = Some("h:1".into());
    assert_eq!(
        err(&o, &two_profiles()),
        "--cluster cannot be used together with --profile"
    );
    let mut o = opts(&["-P", "prod"]);
    o.tls.tls = true;
    assert!(err(&o, &two_profiles()).starts_with("TLS flags cannot be used together"));
}

#[test]
fn no_active_profile_says_what_to_do() {
    let e = err(&opts(&[]), &Config::new());
    assert!(
        e.starts_with("no active profile: add one with `flv profile add"),
        "{e}"
    );
}

#[test]
fn unknown_profile_is_named() {
    let e = err(&opts(&["-P", "nope"]), &two_profiles());
    assert_eq!(e, "profile `nope` not found (see `flv profile list`)");
}

#[test]
fn current_profile_naming_a_missing_profile_is_an_error() {
    let mut config = two_profiles();
    config.delete_profile("local").unwrap();
    config.current_profile = Some("local".into());
    let e = err(&opts(&[]), &config);
    assert_eq!(e, "profile `local` not found (see `flv profile list`)");
}

#[test]
fn dangling_cluster_is_explained() {
    let mut config = two_profiles();
    config.delete_cluster("local", true).unwrap();
    let e = err(&opts(&[]), &config);
    assert_eq!(
        e,
        "profile `local` refers to cluster `local`, which is missing from the profile file"
    );
}

#[test]
fn profile_with_missing_tls_files_is_an_error() {
    let mut config = two_profiles();
    config.cluster_mut("prod").unwrap().tls = TlsPolicy::from(TlsPaths {
        domain: "d".into(),
        key: "/nonexistent/k".into(),
        cert: "/nonexistent/c".into(),
        ca_cert: "/nonexistent/ca".into(),
    });
    let e = err(&opts(&["-P", "prod"]), &config);
    assert_eq!(
        e,
        "TLS CA certificate of profile `prod` not found: /nonexistent/ca"
    );
}

#[test]
fn bad_cluster_addresses_are_rejected() {
    for bad in [
        "localhost",
        ":9003",
        "host:",
        "host:99999",
        "host:port",
        "a b:1",
    ] {
        let e = err(&opts(&["-c", bad]), &Config::new());
        assert!(e.starts_with("invalid cluster address"), "{bad}: {e}");
    }
    for good in [
        "localhost:9003",
        "10.1.2.3:1",
        "[fe80::1]:9003",
        "a.b-c.io:443",
    ] {
        check_endpoint(good).unwrap();
    }
}
