//! Profile files are interchangeable between flv and the official `fluvio` client (0.50).
//!
//! Files written by upstream's `ConfigFile` load in `flv_driver::config` with equal values,
//! and files written by ours load in upstream's with equal values, TLS variants and metadata
//! included. Only temporary directories are used; `~/.fluvio` and `FLV_PROFILE_PATH` are never
//! read or written (no default-path API of either side is called).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fluvio::FluvioClusterConfig as UpCluster;
use fluvio::config as up;
use flv_driver::config::{
    ClusterConfig, Config, ConfigFile, Profile, TlsCerts, TlsConfig, TlsPaths, TlsPolicy,
    save_config,
};

const KEY: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
const CERT: &str =
    "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUQ\n-----END CERTIFICATE-----\n";
const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIFazCCA1OgAwIBAgIUC\n-----END CERTIFICATE-----\n";

// ---- conversions of upstream values into ours (field by field, no serde) ----

fn tls_from_upstream(tls: &up::TlsPolicy) -> TlsPolicy {
    match tls {
        up::TlsPolicy::Disabled => TlsPolicy::Disabled,
        up::TlsPolicy::Anonymous => TlsPolicy::Anonymous,
        up::TlsPolicy::Verified(up::TlsConfig::Files(paths)) => {
            TlsPolicy::Verified(TlsConfig::Files(TlsPaths {
                domain: paths.domain.clone(),
                key: paths.key.clone(),
                cert: paths.cert.clone(),
                ca_cert: paths.ca_cert.clone(),
            }))
        }
        up::TlsPolicy::Verified(up::TlsConfig::Inline(certs)) => {
            TlsPolicy::Verified(TlsConfig::Inline(TlsCerts {
                domain: certs.domain.clone(),
                key: certs.key.clone(),
                cert: certs.cert.clone(),
                ca_cert: certs.ca_cert.clone(),
            }))
        }
    }
}

fn tls_to_upstream(tls: &TlsPolicy) -> up::TlsPolicy {
    match tls {
        TlsPolicy::Disabled => up::TlsPolicy::Disabled,
        TlsPolicy::Anonymous => up::TlsPolicy::Anonymous,
        TlsPolicy::Verified(TlsConfig::Files(paths)) => up::TlsPaths {
            domain: paths.domain.clone(),
            key: paths.key.clone(),
            cert: paths.cert.clone(),
            ca_cert: paths.ca_cert.clone(),
        }
        .into(),
        TlsPolicy::Verified(TlsConfig::Inline(certs)) => up::TlsCerts {
            domain: certs.domain.clone(),
            key: certs.key.clone(),
            cert: certs.cert.clone(),
            ca_cert: certs.ca_cert.clone(),
        }
        .into(),
    }
}

/// Upstream keeps `metadata` (and the top-level `client_id`) private: read them through its
/// own serialization.
fn upstream_metadata(cluster: &UpCluster) -> toml::Table {
    let mut value = toml::Table::try_from(cluster).expect("serialize upstream cluster");
    match value.remove("metadata") {
        Some(toml::Value::Table(table)) => table,
        None => toml::Table::new(),
        Some(other) => panic!("metadata is not a table: {other:?}"),
    }
}

fn upstream_client_id(config: &up::Config) -> Option<String> {
    let value = toml::Table::try_from(config).expect("serialize upstream config");
    value
        .get("client_id")
        .map(|id| id.as_str().expect("client_id string").to_owned())
}

/// Asserts that both sides hold the same profile file contents.
fn assert_same(ours: &Config, theirs: &up::Config) {
    assert_eq!(ours.version(), theirs.version(), "version");
    assert_eq!(
        ours.current_profile_name(),
        theirs.current_profile_name(),
        "current_profile"
    );
    assert_eq!(ours.client_id, upstream_client_id(theirs), "client_id");

    let their_profiles: BTreeMap<&String, Profile> = theirs
        .profile
        .iter()
        .map(|(name, profile)| {
            let converted = Profile {
                cluster: profile.cluster.clone(),
                topic: profile.topic.clone(),
                partition: profile.partition,
            };
            (name, converted)
        })
        .collect();
    let our_profiles: BTreeMap<&String, Profile> = ours
        .profiles
        .iter()
        .map(|(name, p)| (name, p.clone()))
        .collect();
    assert_eq!(our_profiles, their_profiles, "profiles");

    let their_clusters: BTreeMap<&String, ClusterConfig> = theirs
        .cluster
        .iter()
        .map(|(name, cluster)| {
            let mut converted = ClusterConfig::new(cluster.endpoint.clone())
                .with_tls(tls_from_upstream(&cluster.tls));
            converted.use_spu_local_address = cluster.use_spu_local_address;
            converted.metadata = upstream_metadata(cluster);
            (name, converted)
        })
        .collect();
    let our_clusters: BTreeMap<&String, ClusterConfig> = ours
        .clusters
        .iter()
        .map(|(name, cluster)| {
            let mut cluster = cluster.clone();
            cluster.client_id = None;
            (name, cluster)
        })
        .collect();
    assert_eq!(our_clusters, their_clusters, "clusters");

    // The lookups a client does agree too.
    match (ours.current_cluster(), theirs.current_cluster()) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.endpoint, b.endpoint);
            assert_eq!(a.tls, tls_from_upstream(&b.tls));
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("current cluster differs: ours {a:?}, upstream {b:?}"),
    }
}

// ---- file helpers ----

fn temp_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join(".fluvio").join("config")
}

fn path_arg(path: &Path) -> Option<String> {
    Some(path.to_str().expect("utf-8 temp path").to_owned())
}

fn upstream_load(path: &Path) -> up::ConfigFile {
    up::ConfigFile::load(path_arg(path)).unwrap_or_else(|err| {
        panic!(
            "upstream cannot load {}: {err:?}\n{}",
            path.display(),
            fs::read_to_string(path).unwrap_or_default()
        )
    })
}

/// An upstream `ConfigFile` bound to `path`: upstream can only bind a path by loading it, so
/// seed the file with upstream's own serialization of its empty `Config`.
fn upstream_new_file(path: &Path) -> up::ConfigFile {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, toml::to_string(&up::Config::new()).unwrap()).unwrap();
    upstream_load(path)
}

fn files_tls() -> up::TlsPolicy {
    up::TlsPaths {
        domain: "fluvio.local".into(),
        key: PathBuf::from("/etc/fluvio/tls/client.key"),
        cert: PathBuf::from("/etc/fluvio/tls/client.crt"),
        ca_cert: PathBuf::from("/etc/fluvio/tls/ca.crt"),
    }
    .into()
}

fn inline_tls() -> up::TlsPolicy {
    up::TlsCerts {
        domain: "router.example.cloud".into(),
        key: KEY.into(),
        cert: CERT.into(),
        ca_cert: CA.into(),
    }
    .into()
}

#[derive(serde::Serialize)]
struct Nested {
    key: String,
    level: i64,
    flags: Vec<bool>,
}

/// Every shape upstream can write: all TLS variants, metadata (flat and nested), SPU local
/// addresses, topic/partition, a profile whose cluster has another name.
fn upstream_full(path: &Path) -> up::ConfigFile {
    let mut file = upstream_new_file(path);
    file.add_or_replace_profile("local", "127.0.0.1:9003", &up::TlsPolicy::Disabled)
        .unwrap();
    file.add_or_replace_profile("anon", "anon.example:9003", &up::TlsPolicy::Anonymous)
        .unwrap();
    file.add_or_replace_profile("files", "secure.example:9003", &files_tls())
        .unwrap();
    file.add_or_replace_profile("cloud", "router.example.cloud:9003", &inline_tls())
        .unwrap();
    let config = file.mut_config();
    {
        let local = config.cluster_mut("local").unwrap();
        local
            .update_metadata_by_name("installation", "local")
            .unwrap();
        local
            .update_metadata_by_name(
                "custom",
                Nested {
                    key: "custom field".into(),
                    level: 3,
                    flags: vec![true, false],
                },
            )
            .unwrap();
    }
    config.cluster_mut("cloud").unwrap().use_spu_local_address = true;
    let mut profile = up::Profile::new("local".into());
    profile.topic = Some("events".into());
    profile.partition = Some(2);
    config.add_profile(profile, "local-events".into());
    assert!(config.set_current_profile("files"));
    file.save().unwrap();
    file
}

// ---- upstream writes, we read ----

#[test]
fn upstream_file_loads_in_ours() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);
    let theirs = upstream_full(&path);

    let ours = ConfigFile::load(&path).unwrap();
    let config = ours.config();
    assert_same(config, theirs.config());

    // Spot checks, independent of the comparison helper.
    assert_eq!(config.version(), "2.0");
    assert_eq!(config.current_profile_name(), Some("files"));
    assert_eq!(config.profiles.len(), 5);
    assert_eq!(config.profile("local-events").unwrap().partition, Some(2));
    assert_eq!(
        config.current_cluster().unwrap().tls.domain(),
        Some("fluvio.local")
    );
    let cloud = config.cluster("cloud").unwrap();
    assert!(cloud.use_spu_local_address);
    match &cloud.tls {
        TlsPolicy::Verified(TlsConfig::Inline(certs)) => assert_eq!(certs.key, KEY),
        other => panic!("{other:?}"),
    }
    let local = config.cluster("local").unwrap();
    assert_eq!(
        local
            .query_metadata_by_name::<String>("installation")
            .unwrap()
            .as_deref(),
        Some("local")
    );
    assert_eq!(
        local.metadata["custom"]["flags"].as_array().unwrap().len(),
        2
    );
    assert_eq!(config.cluster("anon").unwrap().tls, TlsPolicy::Anonymous);
}

#[test]
fn upstream_empty_and_edited_files_load_in_ours() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);

    // Upstream's empty config.
    let theirs = upstream_new_file(&path);
    let ours = ConfigFile::load(&path).unwrap();
    assert_same(ours.config(), theirs.config());
    assert!(ours.config().current_cluster().is_err());

    // Upstream deletes and renames, then saves.
    let mut theirs = upstream_full(&path);
    let config = theirs.mut_config();
    assert!(config.delete_profile("anon"));
    assert!(config.delete_cluster("anon").is_some());
    assert!(config.rename_profile("files", "secure".into()));
    assert!(config.delete_profile("secure"));
    theirs.save().unwrap();

    let ours = ConfigFile::load(&path).unwrap();
    assert_same(ours.config(), theirs.config());
    assert_eq!(ours.config().current_profile_name(), None);
    assert!(ours.config().cluster("anon").is_err());
}

#[test]
fn upstream_updates_endpoint_keeping_metadata_like_ours() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);
    let mut theirs = upstream_full(&path);
    theirs
        .add_or_replace_profile("local", "10.0.0.1:9003", &up::TlsPolicy::Anonymous)
        .unwrap();

    // Same edit on our side, starting from the state before it.
    let before = dir.path().join("before");
    upstream_full(&before);
    let mut ours = ConfigFile::load(&before).unwrap();
    ours.config_mut()
        .add_or_update_endpoint("local", "10.0.0.1:9003", TlsPolicy::Anonymous);

    assert_same(ours.config(), theirs.config());
    assert!(
        ours.config()
            .current_cluster()
            .unwrap()
            .has_metadata("installation")
    );
}

// ---- we write, upstream reads ----

fn ours_full() -> Config {
    let mut config = Config::new();
    let mut local = ClusterConfig::new("127.0.0.1:9003");
    local
        .update_metadata_by_name("installation", "local_k8")
        .unwrap();
    local
        .update_metadata_by_name(
            "custom",
            Nested {
                key: "x".into(),
                level: -1,
                flags: vec![],
            },
        )
        .unwrap();
    config.add_or_replace_profile("local", local);
    config.add_or_replace_profile(
        "anon",
        ClusterConfig::new("anon:9003").with_tls(TlsPolicy::Anonymous),
    );
    config.add_or_replace_profile(
        "files",
        ClusterConfig::new("secure:9003").with_tls(tls_from_upstream(&files_tls())),
    );
    let mut cloud = ClusterConfig::new("router.example.cloud:9003")
        .with_tls(tls_from_upstream(&inline_tls()))
        .with_client_id("never-written");
    cloud.use_spu_local_address = true;
    config.add_or_replace_profile("cloud", cloud);
    config.insert_profile(
        "local-events",
        Profile {
            cluster: "local".into(),
            topic: Some("events".into()),
            partition: Some(0),
        },
    );
    config.switch_profile("local").unwrap();
    config
}

#[test]
fn our_file_loads_in_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);
    let ours = ConfigFile::new(&path, ours_full());
    ours.save().unwrap();

    let theirs = upstream_load(&path);
    assert_same(ours.config(), theirs.config());
    let current = theirs.config().current_cluster().unwrap();
    assert_eq!(current.endpoint, "127.0.0.1:9003");
    assert_eq!(
        current
            .query_metadata_by_name::<String>("installation")
            .as_deref(),
        Some("local_k8")
    );
    let cloud = theirs.config().cluster_with_profile("cloud").unwrap();
    assert_eq!(cloud.tls, inline_tls());
    assert!(cloud.use_spu_local_address);
    assert_eq!(theirs.config().cluster("files").unwrap().tls, files_tls());
}

#[test]
fn each_tls_variant_alone_loads_in_upstream() {
    let dir = tempfile::tempdir().unwrap();
    for (i, policy) in [
        TlsPolicy::Disabled,
        TlsPolicy::Anonymous,
        tls_from_upstream(&files_tls()),
        tls_from_upstream(&inline_tls()),
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.path().join(format!("config-{i}"));
        let mut config = Config::new();
        config.add_or_replace_profile("p", ClusterConfig::new("h:9003").with_tls(policy.clone()));
        save_config(&path, &config).unwrap();
        let theirs = upstream_load(&path);
        assert_eq!(
            theirs.config().current_cluster().unwrap().tls,
            tls_to_upstream(&policy)
        );
        assert_same(&config, theirs.config());
    }
}

#[test]
fn our_edge_files_load_in_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let cases = {
        let mut empty = Config::new();
        let mut old_version = ours_full();
        old_version.version = "1.0".into();
        let mut short_version = ours_full();
        short_version.version = "2".into();
        let mut with_client_id = ours_full();
        with_client_id.client_id = Some("flv-client".into());
        let mut dangling = ours_full();
        dangling.delete_cluster("local", true).unwrap();
        let exported = ours_full().export_profile("cloud").unwrap();
        let mut no_current = ours_full();
        no_current.delete_profile("local").unwrap();
        empty.version = "2.0".into();
        [
            empty,
            old_version,
            short_version,
            with_client_id,
            dangling,
            exported,
            no_current,
        ]
    };
    for (i, config) in cases.iter().enumerate() {
        let path = dir.path().join(format!("edge-{i}"));
        save_config(&path, config).unwrap();
        let theirs = upstream_load(&path);
        assert_same(config, theirs.config());
    }
}

// ---- through both ----

#[test]
fn round_trip_through_upstream_save() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);
    let original = ours_full();
    save_config(&path, &original).unwrap();

    // Upstream loads, edits nothing, saves; we still read the same.
    let theirs = upstream_load(&path);
    theirs.save().unwrap();
    let mut expected = original;
    expected.clusters.get_mut("cloud").unwrap().client_id = None;
    let back = ConfigFile::load(&path).unwrap().into_config();
    assert_eq!(back, expected);

    // And the other way round.
    let path2 = dir.path().join("second");
    let theirs = upstream_full(&path2);
    let ours = ConfigFile::load(&path2).unwrap();
    let path3 = dir.path().join("third");
    save_config(&path3, ours.config()).unwrap();
    let again = upstream_load(&path3);
    assert_same(ours.config(), again.config());
    assert_same(ours.config(), theirs.config());
}

/// Guards the guard: `assert_same` must notice a difference in any compared field.
#[test]
fn comparison_detects_differences() {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_path(&dir);
    let theirs = upstream_full(&path);
    let base = ConfigFile::load(&path).unwrap().into_config();
    assert_same(&base, theirs.config());

    type Mutation = Box<dyn Fn(&mut Config)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        ("version", Box::new(|c| c.version = "2".into())),
        (
            "current",
            Box::new(|c| c.current_profile = Some("local".into())),
        ),
        ("client_id", Box::new(|c| c.client_id = Some("x".into()))),
        (
            "topic",
            Box::new(|c| c.profiles.get_mut("local-events").unwrap().topic = None),
        ),
        (
            "endpoint",
            Box::new(|c| c.cluster_mut("anon").unwrap().endpoint.push('0')),
        ),
        (
            "spu local",
            Box::new(|c| c.cluster_mut("cloud").unwrap().use_spu_local_address = false),
        ),
        (
            "tls",
            Box::new(|c| c.cluster_mut("anon").unwrap().tls = TlsPolicy::Disabled),
        ),
        (
            "inline key",
            Box::new(|c| match &mut c.cluster_mut("cloud").unwrap().tls {
                TlsPolicy::Verified(TlsConfig::Inline(certs)) => certs.key.push('x'),
                _ => unreachable!(),
            }),
        ),
        (
            "metadata",
            Box::new(|c| {
                c.cluster_mut("local")
                    .unwrap()
                    .update_metadata_by_name("installation", "k8")
                    .unwrap()
            }),
        ),
        (
            "extra profile",
            Box::new(|c| drop(c.insert_profile("x", Profile::new("local")))),
        ),
    ];
    for (what, mutate) in mutations {
        let mut changed = base.clone();
        mutate(&mut changed);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_same(&changed, theirs.config())
        }));
        assert!(caught.is_err(), "difference in {what} went unnoticed");
    }
}
