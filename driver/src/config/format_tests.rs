//! Parsing of official-format files, aliases, versions, TLS variants, metadata, round trips.

use std::path::PathBuf;

use super::*;

fn parse(text: &str) -> Config {
    Config::from_toml_str(text).unwrap_or_else(|err| panic!("{err}\n---\n{text}"))
}

fn round_trip(config: &Config) -> Config {
    let text = config.to_toml_string().expect("encode");
    let back = parse(&text);
    assert_eq!(&back, config, "round trip changed the config:\n{text}");
    back
}

/// A file as the official CLI writes it after `fluvio cluster start --local` and a cloud login.
const OFFICIAL_V2: &str = r#"version = "2.0"
current_profile = "local"

[profile.local]
cluster = "local"

[profile.cloud]
cluster = "cloud"
topic = "events"
partition = 3

[cluster.local]
endpoint = "127.0.0.1:9003"
use_spu_local_address = false

[cluster.local.tls]
tls_policy = "disabled"

[cluster.local.metadata]
installation = "local"

[cluster.cloud]
endpoint = "router.infinyon.cloud:9003"
use_spu_local_address = true

[cluster.cloud.tls]
tls_policy = "verified"
tls_source = "inline"

[cluster.cloud.tls.certs]
domain = "router.infinyon.cloud"
key = """
-----BEGIN PRIVATE KEY-----
AAAA
-----END PRIVATE KEY-----
"""
cert = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n"
ca_cert = "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n"
"#;

#[test]
fn parses_official_v2_file() {
    let config = parse(OFFICIAL_V2);
    assert_eq!(config.version(), "2.0");
    assert_eq!(config.current_profile_name(), Some("local"));
    assert_eq!(config.profiles.len(), 2);
    assert_eq!(config.clusters.len(), 2);

    let local = config.current_cluster().unwrap();
    assert_eq!(local.endpoint, "127.0.0.1:9003");
    assert!(!local.use_spu_local_address);
    assert_eq!(local.tls, TlsPolicy::Disabled);
    assert_eq!(
        local.metadata.get("installation").and_then(|v| v.as_str()),
        Some("local")
    );
    assert_eq!(local.client_id, None);

    let cloud_profile = config.profile("cloud").unwrap();
    assert_eq!(cloud_profile.topic.as_deref(), Some("events"));
    assert_eq!(cloud_profile.partition, Some(3));
    let cloud = config.cluster_for_profile("cloud").unwrap();
    assert!(cloud.use_spu_local_address);
    match &cloud.tls {
        TlsPolicy::Verified(TlsConfig::Inline(certs)) => {
            assert_eq!(certs.domain, "router.infinyon.cloud");
            assert_eq!(
                certs.key,
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            );
            assert!(certs.cert.contains("BBBB"));
            assert!(certs.ca_cert.contains("CCCC"));
        }
        other => panic!("unexpected tls {other:?}"),
    }
    assert_eq!(cloud.tls.domain(), Some("router.infinyon.cloud"));
    round_trip(&config);
}

/// The upstream test fixture shape of version 1.0: `addr` alias, no tls table, no metadata.
#[test]
fn parses_version_1_with_addr_alias_and_defaults() {
    let config = parse(
        r#"version = "1.0"
current_profile = "local"

[profile.local]
cluster = "local"

[profile.local2]
cluster = "local2"

[cluster.local]
addr = "127.0.0.1:9003"

[cluster.local2]
endpoint = "127.0.0.1:9003"
"#,
    );
    assert_eq!(config.version(), "1.0");
    let local = config.cluster("local").unwrap();
    assert_eq!(local, &ClusterConfig::new("127.0.0.1:9003"));
    assert!(local.metadata.is_empty());
    // The version found is kept and written back; `addr` is written as `endpoint`.
    let text = config.to_toml_string().unwrap();
    assert!(text.contains(r#"version = "1.0""#), "{text}");
    assert!(!text.contains("addr ="), "{text}");
    round_trip(&config);
}

#[test]
fn accepts_all_known_versions() {
    for version in ["1.0", "2", "2.0"] {
        let text = format!(
            "version = \"{version}\"\n[profile.p]\ncluster = \"c\"\n[cluster.c]\nendpoint = \"h:9003\"\n"
        );
        let config = parse(&text);
        assert_eq!(config.version(), version);
        assert_eq!(config.cluster_for_profile("p").unwrap().endpoint, "h:9003");
        round_trip(&config);
    }
}

#[test]
fn lenient_on_missing_tables_and_unknown_keys() {
    let config = parse("");
    assert_eq!(config, Config::new());
    assert_eq!(config.version(), CONFIG_VERSION);

    let config = parse(
        r#"version = "2"
future_key = 1
[profile.p]
cluster = "c"
extra = "x"
[cluster.c]
endpoint = "h:1"
something_new = true
"#,
    );
    assert_eq!(config.profile("p").unwrap(), &Profile::new("c"));
    assert_eq!(config.cluster("c").unwrap(), &ClusterConfig::new("h:1"));
}

#[test]
fn empty_config_still_writes_required_tables() {
    // The official client requires `version`, `profile` and `cluster`.
    let text = Config::new().to_toml_string().unwrap();
    let value: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(value["version"].as_str(), Some("2.0"));
    assert!(value["profile"].as_table().unwrap().is_empty());
    assert!(value["cluster"].as_table().unwrap().is_empty());
    assert!(!value.contains_key("current_profile"));
    assert!(!value.contains_key("client_id"));
}

fn tls_of(tls_table: &str) -> Result<TlsPolicy, ConfigError> {
    let text = format!(
        "version = \"2.0\"\n[profile.p]\ncluster = \"c\"\n[cluster.c]\nendpoint = \"h:9003\"\n{tls_table}"
    );
    Config::from_toml_str(&text).map(|config| config.cluster("c").unwrap().tls.clone())
}

fn paths() -> TlsPaths {
    TlsPaths {
        domain: "fluvio.local".into(),
        key: PathBuf::from("/tls/client.key"),
        cert: PathBuf::from("/tls/client.crt"),
        ca_cert: PathBuf::from("/tls/ca.crt"),
    }
}

const FILE_CERTS: &str = r#"[cluster.c.tls.certs]
domain = "fluvio.local"
key = "/tls/client.key"
cert = "/tls/client.crt"
ca_cert = "/tls/ca.crt"
"#;

#[test]
fn tls_policy_names_and_aliases() {
    for name in ["disabled", "disable"] {
        let table = format!("[cluster.c.tls]\ntls_policy = \"{name}\"\n");
        assert_eq!(tls_of(&table).unwrap(), TlsPolicy::Disabled, "{name}");
    }
    let anonymous = tls_of("[cluster.c.tls]\ntls_policy = \"anonymous\"\n").unwrap();
    assert_eq!(anonymous, TlsPolicy::Anonymous);
    assert!(anonymous.is_tls());
    assert_eq!(anonymous.domain(), None);

    for policy in ["verified", "verify"] {
        for source in ["files", "file"] {
            let table = format!(
                "[cluster.c.tls]\ntls_policy = \"{policy}\"\ntls_source = \"{source}\"\n{FILE_CERTS}"
            );
            assert_eq!(
                tls_of(&table).unwrap(),
                TlsPolicy::Verified(TlsConfig::Files(paths())),
                "{policy}/{source}"
            );
        }
    }
    assert_eq!(tls_of("").unwrap(), TlsPolicy::Disabled);
}

#[test]
fn tls_rejects_bad_shapes() {
    for table in [
        "[cluster.c.tls]\ntls_policy = \"sometimes\"\n",
        "[cluster.c.tls]\ntls_policy = \"verified\"\n",
        &format!("[cluster.c.tls]\ntls_policy = \"verified\"\ntls_source = \"http\"\n{FILE_CERTS}"),
        "[cluster.c.tls]\ntls_policy = \"verified\"\ntls_source = \"inline\"\n[cluster.c.tls.certs]\ndomain = \"d\"\n",
        "[cluster.c.tls]\nnot_a_policy = 1\n",
    ] {
        match tls_of(table) {
            Err(ConfigError::Parse { path: None, .. }) => {}
            other => panic!("accepted {table:?}: {other:?}"),
        }
    }
}

#[test]
fn tls_variants_round_trip_in_official_shape() {
    let inline = TlsCerts {
        domain: "d.example".into(),
        key: "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n".into(),
        cert: "C".into(),
        ca_cert: "CA".into(),
    };
    let cases: [(TlsPolicy, &[&str]); 4] = [
        (TlsPolicy::Disabled, &["tls_policy = \"disabled\""]),
        (TlsPolicy::Anonymous, &["tls_policy = \"anonymous\""]),
        (
            paths().into(),
            &[
                "tls_policy = \"verified\"",
                "tls_source = \"files\"",
                "[cluster.c.tls.certs]",
                "ca_cert = \"/tls/ca.crt\"",
            ],
        ),
        (
            inline.into(),
            &[
                "tls_policy = \"verified\"",
                "tls_source = \"inline\"",
                "domain = \"d.example\"",
            ],
        ),
    ];
    for (policy, expected) in cases {
        let mut config = Config::new();
        config.add_or_replace_profile("c", ClusterConfig::new("h:9003").with_tls(policy.clone()));
        let text = config.to_toml_string().unwrap();
        for line in expected {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        let back = round_trip(&config);
        assert_eq!(back.cluster("c").unwrap().tls, policy);
    }
}

#[test]
fn tls_certs_debug_hides_key() {
    let certs = TlsCerts {
        domain: "d".into(),
        key: "SECRET-KEY".into(),
        cert: "C".into(),
        ca_cert: "CA".into(),
    };
    let debug = format!("{:?}", TlsPolicy::from(certs));
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

#[test]
fn metadata_tables_parse_query_update_and_round_trip() {
    let mut config = parse(
        r#"version = "2"
[profile.local]
cluster = "local"

[cluster.local]
endpoint = "127.0.0.1:9003"

[cluster.local.metadata.installation]
type = "local"

[cluster.local.metadata.deep.nesting.example]
key = "custom field"
"#,
    );
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Installation {
        #[serde(rename = "type")]
        kind: String,
    }
    let cluster = config.cluster_mut("local").unwrap();
    assert!(cluster.has_metadata("installation"));
    assert!(!cluster.has_metadata("nothing"));
    assert_eq!(
        cluster
            .query_metadata_by_name::<Installation>("installation")
            .unwrap(),
        Some(Installation {
            kind: "local".into()
        })
    );
    assert_eq!(
        cluster
            .query_metadata_by_name::<Installation>("nothing")
            .unwrap(),
        None
    );
    let nested = cluster.metadata["deep"]["nesting"]["example"]["key"].as_str();
    assert_eq!(nested, Some("custom field"));
    // Wrong shape is a typed error.
    match cluster.query_metadata_by_name::<Installation>("deep") {
        Err(ConfigError::Metadata { name, .. }) => assert_eq!(name, "deep"),
        other => panic!("{other:?}"),
    }
    // Update an entry and add another.
    cluster
        .update_metadata_by_name(
            "installation",
            Installation {
                kind: "cloud".into(),
            },
        )
        .unwrap();
    cluster.update_metadata_by_name("plain", "text").unwrap();
    assert_eq!(
        cluster
            .query_metadata_by_name::<Installation>("installation")
            .unwrap(),
        Some(Installation {
            kind: "cloud".into()
        })
    );
    assert_eq!(
        cluster
            .query_metadata_by_name::<String>("plain")
            .unwrap()
            .as_deref(),
        Some("text")
    );
    // A unit value is not representable in TOML.
    assert!(matches!(
        cluster.update_metadata_by_name("unit", ()),
        Err(ConfigError::MetadataEncode { .. })
    ));
    let back = round_trip(&config);
    assert_eq!(back.cluster("local").unwrap().metadata.len(), 3);
}

#[test]
fn the_top_level_client_id_is_kept_and_the_cluster_one_never_written() {
    // Top-level client_id is kept; the cluster one is never persisted.
    let mut config = parse("version = \"2.0\"\nclient_id = \"top\"\n[profile]\n[cluster]\n");
    assert_eq!(config.client_id.as_deref(), Some("top"));
    round_trip(&config);

    config.insert_cluster("c", ClusterConfig::new("h:1").with_client_id("me"));
    let text = config.to_toml_string().unwrap();
    assert!(!text.contains("\"me\""), "{text}");
    assert_eq!(parse(&text).cluster("c").unwrap().client_id, None);
}

#[test]
fn parse_errors_are_typed() {
    for text in [
        "version = ",
        "version = 2",
        "[profile.p]\ntopic = \"t\"\n",
        "[cluster.c]\nuse_spu_local_address = true\n",
        "[profile.p]\ncluster = \"c\"\npartition = \"zero\"\n",
    ] {
        let err = Config::from_toml_str(text).unwrap_err();
        assert!(
            matches!(err, ConfigError::Parse { path: None, .. }),
            "{text:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("invalid profile file:"),
            "{err}"
        );
    }
}
