//! The `flv profile` commands and the official `fluvio` client (0.50) share one profile file.
//!
//! Files written by the built `flv` binary load in upstream's `fluvio::config::ConfigFile` with
//! the same values, and files written by upstream are listed, switched and exported by `flv`.
//! Every run uses a temporary `FLV_PROFILE_PATH` and `HOME`; upstream is only given explicit
//! paths, so the real `~/.fluvio/config` is never touched.
//!
//! The `flv` binary is the one in the target directory: `cargo test --workspace` builds it
//! first; after `cargo test -p flv-tests` alone it may be missing or stale.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use fluvio::config as up;
use flv_tests::flv_binary;

const KEY: &str =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
const CERT: &str =
    "-----BEGIN CERTIFICATE-----\nMIIDazCCAlOgAwIBAgIUQ\n-----END CERTIFICATE-----\n";

struct Home {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".fluvio").join("config");
        Home { dir, path }
    }

    fn flv(&self) -> Command {
        let mut cmd = Command::new(flv_binary());
        cmd.env("FLV_PROFILE_PATH", &self.path)
            .env("HOME", self.dir.path())
            .env_remove("FLUVIO_CLIENT_ID")
            .current_dir(self.dir.path());
        cmd
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.flv().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    fn upstream(&self) -> up::ConfigFile {
        upstream_load(&self.path)
    }

    /// Makes upstream write the file: it can only bind a path by loading it, so seed the
    /// file with upstream's own empty configuration first.
    fn upstream_new(&self) -> up::ConfigFile {
        fs::create_dir_all(self.path.parent().unwrap()).unwrap();
        fs::write(&self.path, toml::to_string(&up::Config::new()).unwrap()).unwrap();
        self.upstream()
    }
}

fn upstream_load(path: &Path) -> up::ConfigFile {
    up::ConfigFile::load(Some(path.to_str().expect("utf-8 path").to_owned())).unwrap_or_else(
        |err| {
            panic!(
                "upstream cannot load {}: {err:?}\n{}",
                path.display(),
                fs::read_to_string(path).unwrap_or_default()
            )
        },
    )
}

fn installation(cluster: &fluvio::FluvioClusterConfig) -> Option<String> {
    cluster.query_metadata_by_name::<String>("installation")
}

#[test]
fn profiles_written_by_flv_load_in_the_official_client() {
    let home = Home::new();
    let certs = home.dir.path().join("certs");
    fs::create_dir_all(&certs).unwrap();
    for name in ["ca.crt", "client.crt", "client.key"] {
        fs::write(certs.join(name), "pem").unwrap();
    }
    home.ok(&["profile", "add", "local", "127.0.0.1:9003", "local"]);
    home.ok(&["profile", "add", "cloud", "cloud.example.io:9003", "--tls"]);
    home.ok(&[
        "profile",
        "add",
        "secure",
        "10.0.0.7:9003",
        "local-k8",
        "--tls",
        "--enable-client-cert",
        "--domain",
        "fluvio.local",
        "--ca-cert",
        "certs/ca.crt",
        "--client-cert",
        "certs/client.crt",
        "--client-key",
        "certs/client.key",
    ]);
    home.ok(&["profile", "add", "gone", "h:1"]);
    home.ok(&["profile", "switch", "cloud"]);
    home.ok(&["profile", "rename", "cloud", "prod"]);
    home.ok(&["profile", "delete", "gone"]);
    home.ok(&["profile", "delete-cluster", "gone"]);

    let file = home.upstream();
    let config = file.config();
    assert_eq!(config.version(), "2.0");
    assert_eq!(config.current_profile_name(), Some("prod"));
    let mut names: Vec<&String> = config.profile.keys().collect();
    names.sort();
    assert_eq!(names, ["local", "prod", "secure"]);
    assert!(config.cluster("gone").is_none());

    let prod = config.current_cluster().unwrap();
    assert_eq!(prod.endpoint, "cloud.example.io:9003");
    assert!(matches!(prod.tls, up::TlsPolicy::Anonymous));
    assert_eq!(config.profile("prod").unwrap().cluster, "cloud");

    let local = config.cluster_with_profile("local").unwrap();
    assert_eq!(local.endpoint, "127.0.0.1:9003");
    assert!(matches!(local.tls, up::TlsPolicy::Disabled));
    assert_eq!(installation(local).as_deref(), Some("local"));

    let secure = config.cluster_with_profile("secure").unwrap();
    assert_eq!(installation(secure).as_deref(), Some("local_k8"));
    match &secure.tls {
        up::TlsPolicy::Verified(up::TlsConfig::Files(paths)) => {
            assert_eq!(paths.domain, "fluvio.local");
            let abs = |name: &str| std::path::absolute(certs.join(name)).unwrap();
            assert_eq!(paths.ca_cert, abs("ca.crt"));
            assert_eq!(paths.cert, abs("client.crt"));
            assert_eq!(paths.key, abs("client.key"));
        }
        other => panic!("secure TLS: {other:?}"),
    }
}

#[test]
fn an_exported_profile_loads_in_the_official_client() {
    let home = Home::new();
    home.ok(&["profile", "add", "local", "127.0.0.1:9003", "local"]);
    home.ok(&["profile", "add", "cloud", "cloud.example.io:9003", "--tls"]);
    let exported = home.ok(&["profile", "export", "local"]);
    let path = home.dir.path().join("exported");
    fs::write(&path, exported).unwrap();
    let file = upstream_load(&path);
    let config = file.config();
    assert_eq!(config.current_profile_name(), Some("local"));
    assert_eq!(config.profile.len(), 1);
    assert_eq!(config.current_cluster().unwrap().endpoint, "127.0.0.1:9003");
}

/// An upstream-written file with every feature flv must carry along.
fn upstream_written(home: &Home) {
    let mut file = home.upstream_new();
    file.add_or_replace_profile("local", "127.0.0.1:9003", &up::TlsPolicy::Disabled)
        .unwrap();
    let inline: up::TlsPolicy = up::TlsCerts {
        domain: "router.example.cloud".into(),
        key: KEY.into(),
        cert: CERT.into(),
        ca_cert: CERT.into(),
    }
    .into();
    file.add_or_replace_profile("cloud", "router.example.cloud:9003", &inline)
        .unwrap();
    let config = file.mut_config();
    let cloud = config.cluster_mut("cloud").unwrap();
    cloud.use_spu_local_address = true;
    cloud
        .update_metadata_by_name("installation", "cloud")
        .unwrap();
    cloud
        .update_metadata_by_name("infinyon_cloud_cli", toml::toml! { email = "a@b.c" })
        .unwrap();
    let mut with_topic = up::Profile::new("local".into());
    with_topic.topic = Some("greetings".into());
    with_topic.partition = Some(2);
    config.add_profile(with_topic, "dev".into());
    assert!(config.set_current_profile("local"));
    file.save().unwrap();
}

#[test]
fn a_file_written_by_the_official_client_is_listed_by_flv() {
    let home = Home::new();
    upstream_written(&home);
    assert_eq!(home.ok(&["profile"]), "local\n");
    assert_eq!(
        home.ok(&["profile", "list"]),
        concat!(
            "    PROFILE  CLUSTER  ADDRESS                    TLS\n",
            "    cloud    cloud    router.example.cloud:9003  Verified\n",
            "    dev      local    127.0.0.1:9003             Disabled\n",
            " *  local    local    127.0.0.1:9003             Disabled\n",
        )
    );
    let json = home.ok(&["profile", "list", "-O", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["profile"]["dev"]["topic"], "greetings");
    assert_eq!(value["cluster"]["cloud"]["tls"]["tls_source"], "inline");
    assert_eq!(
        value["cluster"]["cloud"]["metadata"]["infinyon_cloud_cli"]["email"],
        "a@b.c"
    );
    let version = home.ok(&["-P", "cloud", "version"]);
    assert!(
        version.ends_with(": router.example.cloud:9003 (profile cloud)\n"),
        "{version}"
    );
}

#[test]
fn flv_edits_keep_everything_the_official_client_wrote() {
    let home = Home::new();
    upstream_written(&home);
    let before = home.upstream();
    home.ok(&["profile", "switch", "cloud"]);
    home.ok(&["profile", "add", "extra", "h:9003"]);
    home.ok(&["profile", "delete", "extra"]);
    home.ok(&["profile", "delete-cluster", "extra"]);
    home.ok(&["profile", "switch", "local"]);
    let after = home.upstream();
    // Upstream's own serialization of what it loads is the same: nothing lost or changed.
    let value = |file: &up::ConfigFile| toml::Value::try_from(file.config()).unwrap();
    assert_eq!(value(&after), value(&before));
}
