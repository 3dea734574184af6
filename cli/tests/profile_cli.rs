//! `flv profile ...`, `flv version`, `flv completions` and the connection flags end to end.
//!
//! Every run points `FLV_PROFILE_PATH` and `HOME` at a temporary directory: the real
//! `~/.fluvio/config` is never read or written.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flv_driver::config::{Config, TlsPaths, TlsPolicy, load_config};

/// A temporary home with a profile file path inside it (the file may not exist).
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

    /// A home whose profile file has `text`.
    fn with_file(text: &str) -> Self {
        let home = Home::new();
        fs::create_dir_all(home.path.parent().unwrap()).unwrap();
        fs::write(&home.path, text).unwrap();
        home
    }

    fn flv(&self) -> Command {
        let mut cmd = Command::cargo_bin("flv").expect("flv binary");
        cmd.env("FLV_PROFILE_PATH", &self.path)
            .env("HOME", self.dir.path())
            .env_remove("FLUVIO_CLIENT_ID")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs flv with `args`, expecting success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.flv().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Runs flv with `args`, expecting exit code 1 and nothing on stdout; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.flv().args(args).assert().code(1).stdout("");
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    }

    fn config(&self) -> Config {
        load_config(&self.path).unwrap()
    }

    fn text(&self) -> String {
        fs::read_to_string(&self.path).unwrap()
    }

    /// Three profiles: `local` (with installation metadata), `cloud` (anonymous TLS) and
    /// `secure` (verified TLS with files); `local` is current.
    fn three_profiles() -> Self {
        let home = Home::new();
        home.ok(&["profile", "add", "cloud", "cloud.example.io:9003", "--tls"]);
        let certs = home.dir.path().join("certs");
        fs::create_dir_all(&certs).unwrap();
        for name in ["ca.crt", "client.crt", "client.key"] {
            fs::write(certs.join(name), "pem").unwrap();
        }
        home.ok(&[
            "profile",
            "add",
            "secure",
            "10.0.0.7:9003",
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
        home.ok(&["profile", "add", "local", "127.0.0.1:9003", "local"]);
        home
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn without_a_profile_file_there_is_no_current_profile() {
    let home = Home::new();
    let err = home.fails(&["profile"]);
    assert_eq!(
        err,
        format!("error: no current profile set in {}\n", home.path.display())
    );
    assert_eq!(home.fails(&["profile", "current"]), err);
    assert!(!home.path.exists(), "reading must not create the file");
}

#[test]
fn add_creates_the_file_switches_and_is_current() {
    let home = Home::new();
    let out = home.ok(&["profile", "add", "local", "127.0.0.1:9003"]);
    assert_eq!(out, "Switched to profile local\n");
    assert_eq!(home.ok(&["profile"]), "local\n");
    assert_eq!(home.ok(&["profile", "current"]), "local\n");
    let config = home.config();
    assert_eq!(config.current_cluster().unwrap().endpoint, "127.0.0.1:9003");
    assert!(config.current_cluster().unwrap().metadata.is_empty());
    assert_eq!(config.version(), "2.0");
}

#[test]
fn add_records_the_installation_type_as_upstream_spells_it() {
    let home = Home::new();
    for (arg, stored) in [
        ("local", "local"),
        ("LOCAL-K8", "local_k8"),
        ("local_k8", "local_k8"),
        ("read-only", "read_only"),
        ("k8", "k8"),
        ("docker", "docker"),
        ("cloud", "cloud"),
    ] {
        home.ok(&["profile", "add", "p", "h:9003", arg]);
        let config = home.config();
        let value: Option<String> = config
            .cluster("p")
            .unwrap()
            .query_metadata_by_name("installation")
            .unwrap();
        assert_eq!(value.as_deref(), Some(stored), "{arg}");
    }
    let out = home
        .flv()
        .args(["profile", "add", "p", "h:1", "moon"])
        .assert();
    out.code(2);
}

#[test]
fn add_again_updates_the_endpoint_and_keeps_metadata() {
    let home = Home::new();
    home.ok(&["profile", "add", "local", "127.0.0.1:9003", "local"]);
    home.ok(&["profile", "add", "other", "h:1"]);
    home.ok(&["profile", "add", "local", "127.0.0.1:9103", "--tls"]);
    let config = home.config();
    assert_eq!(config.current_profile_name(), Some("local"));
    let local = config.cluster("local").unwrap();
    assert_eq!(local.endpoint, "127.0.0.1:9103");
    assert_eq!(local.tls, TlsPolicy::Anonymous);
    assert!(local.has_metadata("installation"));
}

#[test]
fn add_with_client_cert_stores_absolute_paths() {
    let home = Home::three_profiles();
    let config = home.config();
    let certs = home.dir.path().join("certs");
    let expected = TlsPolicy::from(TlsPaths {
        domain: "fluvio.local".into(),
        key: std::path::absolute(certs.join("client.key")).unwrap(),
        cert: std::path::absolute(certs.join("client.crt")).unwrap(),
        ca_cert: std::path::absolute(certs.join("ca.crt")).unwrap(),
    });
    assert_eq!(config.cluster("secure").unwrap().tls, expected);
}

#[test]
fn add_rejects_bad_input_without_touching_the_file() {
    let home = Home::new();
    let err = home.fails(&["profile", "add", "p", "localhost"]);
    assert_eq!(
        err,
        "error: invalid cluster address `localhost`: expected HOST:PORT, e.g. 127.0.0.1:9003\n"
    );
    let err = home.fails(&[
        "profile",
        "add",
        "p",
        "h:1",
        "--tls",
        "--enable-client-cert",
        "--domain",
        "d",
        "--ca-cert",
        "no-ca.crt",
        "--client-cert",
        "c",
        "--client-key",
        "k",
    ]);
    assert_eq!(
        err,
        "error: TLS file given with --client-key not found: k\n"
    );
    let err = home.fails(&["profile", "add", "", "h:1"]);
    assert_eq!(err, "error: the profile name must not be empty\n");
    assert!(!home.path.exists());
}

#[test]
fn list_table_marks_the_current_profile() {
    let home = Home::three_profiles();
    let out = home.ok(&["profile", "list"]);
    insta::assert_snapshot!("list_table", out);
    assert_eq!(home.ok(&["profile", "list", "-O", "table"]), out);
}

#[test]
fn list_json_yaml_toml_show_the_whole_configuration() {
    let home = Home::three_profiles();
    let json = home.ok(&["profile", "list", "-O", "json"]);
    // Paths of the temporary directory vary from run to run.
    let dir = std::path::absolute(home.dir.path()).unwrap();
    let dir = dir.to_str().unwrap();
    insta::assert_snapshot!("list_json", json.replace(dir, "<home>"));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["current_profile"], "local");
    assert_eq!(value["cluster"]["cloud"]["tls"]["tls_policy"], "anonymous");

    let yaml = home.ok(&["profile", "list", "--output", "yaml"]);
    insta::assert_snapshot!("list_yaml", yaml.replace(dir, "<home>"));

    let toml_text = home.ok(&["profile", "list", "-O", "TOML"]);
    assert_eq!(Config::from_toml_str(&toml_text).unwrap(), home.config());
    assert_eq!(toml_text, home.text(), "TOML output is the profile file");
}

#[test]
fn list_without_profiles_says_how_to_add_one() {
    let home = Home::new();
    let out = home
        .flv()
        .args(["profile", "list"])
        .assert()
        .success()
        .stdout("");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(
        err,
        format!(
            "no profiles in {}; add one with `flv profile add NAME HOST:PORT`\n",
            home.path.display()
        )
    );
    let json = home.ok(&["profile", "list", "-O", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["version"], "2.0");
}

#[test]
fn switch_changes_the_current_profile_silently() {
    let home = Home::three_profiles();
    assert_eq!(home.ok(&["profile", "switch", "cloud"]), "");
    assert_eq!(home.ok(&["profile"]), "cloud\n");
    let err = home.fails(&["profile", "switch", "nope"]);
    assert_eq!(
        err,
        "error: profile `nope` not found (see `flv profile list`)\n"
    );
    assert_eq!(home.ok(&["profile"]), "cloud\n");
}

#[test]
fn delete_the_current_profile_warns() {
    let home = Home::three_profiles();
    let out = home
        .flv()
        .args(["profile", "delete", "local"])
        .assert()
        .success()
        .stdout("profile local deleted\n");
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(
        err,
        "warning: this removed your current profile, use 'flv profile switch' to select a different one\n"
    );
    let config = home.config();
    assert!(config.profile("local").is_err());
    assert!(config.cluster("local").is_ok(), "the cluster stays");
    assert_eq!(config.current_profile_name(), None);

    let out = home
        .flv()
        .args(["profile", "delete", "cloud"])
        .assert()
        .success()
        .stdout("profile cloud deleted\n")
        .stderr("");
    drop(out);
    let err = home.fails(&["profile", "delete", "cloud"]);
    assert_eq!(
        err,
        "error: profile `cloud` not found (see `flv profile list`)\n"
    );
}

#[test]
fn delete_cluster_in_use_needs_force() {
    let home = Home::three_profiles();
    let err = home.fails(&["profile", "delete-cluster", "cloud"]);
    assert_eq!(
        err,
        "error: cluster `cloud` is used by profile(s) cloud; to delete it anyway, use --force\n"
    );
    assert!(home.config().cluster("cloud").is_ok());
    assert_eq!(
        home.ok(&["profile", "delete-cluster", "cloud", "--force"]),
        "Cluster cloud deleted\n"
    );
    assert!(home.config().cluster("cloud").is_err());
    // The dangling profile shows blank cluster columns.
    let list = home.ok(&["profile", "list"]);
    let cloud = lines(&list)
        .into_iter()
        .find(|line| line.contains("cloud"))
        .unwrap();
    assert_eq!(cloud.trim(), "cloud");
    let err = home.fails(&["profile", "delete-cluster", "cloud", "-f"]);
    assert_eq!(
        err,
        "error: cluster `cloud` not found (see `flv profile list`)\n"
    );
}

#[test]
fn delete_cluster_not_in_use() {
    let home = Home::three_profiles();
    home.ok(&["profile", "delete", "secure"]);
    assert_eq!(
        home.ok(&["profile", "delete-cluster", "secure"]),
        "Cluster secure deleted\n"
    );
    assert!(home.config().cluster("secure").is_err());
}

#[test]
fn rename_follows_the_current_profile_and_never_overwrites() {
    let home = Home::three_profiles();
    assert_eq!(home.ok(&["profile", "rename", "local", "dev"]), "");
    assert_eq!(home.ok(&["profile"]), "dev\n");
    let config = home.config();
    assert_eq!(config.profile("dev").unwrap().cluster, "local");
    let err = home.fails(&["profile", "rename", "dev", "cloud"]);
    assert_eq!(err, "error: profile `cloud` already exists\n");
    let err = home.fails(&["profile", "rename", "nope", "x"]);
    assert_eq!(
        err,
        "error: profile `nope` not found (see `flv profile list`)\n"
    );
    assert_eq!(home.config(), config);
}

#[test]
fn export_prints_a_loadable_profile_file() {
    let home = Home::three_profiles();
    let current = home.ok(&["profile", "export"]);
    assert_eq!(current, home.ok(&["profile", "export", "local"]));
    insta::assert_snapshot!("export_toml", current);

    // The exported file works as a profile file of its own.
    let other = Home::with_file(&home.ok(&["profile", "export", "cloud"]));
    assert_eq!(other.ok(&["profile"]), "cloud\n");
    let config = other.config();
    assert_eq!(config.profiles.len(), 1);
    assert_eq!(config.current_cluster().unwrap().tls, TlsPolicy::Anonymous);

    let json = home.ok(&["profile", "export", "cloud", "-O", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["cluster"]["cloud"]["endpoint"],
        "cloud.example.io:9003"
    );
    let yaml = home.ok(&["profile", "export", "cloud", "-O", "yaml"]);
    assert!(yaml.contains("endpoint: cloud.example.io:9003"), "{yaml}");

    let err = home.fails(&["profile", "export", "nope"]);
    assert_eq!(
        err,
        "error: profile `nope` not found (see `flv profile list`)\n"
    );
    home.flv()
        .args(["profile", "export", "-O", "table"])
        .assert()
        .code(2);
}

#[test]
fn export_without_a_current_profile_asks_for_a_name() {
    let home = Home::three_profiles();
    home.ok(&["profile", "delete", "local"]);
    let err = home.fails(&["profile", "export"]);
    assert_eq!(
        err,
        format!(
            "error: no current profile set in {}: name the profile to export\n",
            home.path.display()
        )
    );
}

#[test]
fn a_broken_profile_file_is_one_error_not_a_panic() {
    let home = Home::with_file("version = \"2.0\"\n[profile.local\n");
    for args in [
        &["profile", "list"][..],
        &["profile"],
        &["profile", "switch", "x"],
    ] {
        let err = home.fails(args);
        assert!(
            err.starts_with(&format!(
                "error: invalid profile file {}",
                home.path.display()
            )),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(home.text(), "version = \"2.0\"\n[profile.local\n");
}

#[test]
fn an_unreadable_profile_path_is_one_error() {
    let home = Home::new();
    fs::create_dir_all(&home.path).unwrap(); // a directory where the file should be
    let err = home.fails(&["profile", "list"]);
    assert!(err.starts_with("error: cannot read "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn version_names_the_build_and_the_cluster() {
    let home = Home::three_profiles();
    let out = home.ok(&["version"]);
    let names: Vec<&str> = lines(&out)
        .iter()
        .map(|line| line.split(" : ").next().unwrap().trim_end())
        .collect();
    assert_eq!(
        names,
        [
            "flv CLI",
            "flv CLI Arch",
            "Git Commit",
            "Rust Compiler",
            "OS",
            "Cluster"
        ]
    );
    assert!(out.starts_with(&format!(
        "flv CLI              : {}\n",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(out.ends_with("Cluster              : 127.0.0.1:9003 (profile local)\n"));
    let out = home.ok(&["-P", "cloud", "version"]);
    assert!(
        out.ends_with(": cloud.example.io:9003 (profile cloud)\n"),
        "{out}"
    );
    let out = home.ok(&["-c", "10.1.1.1:9003", "--tls", "version"]);
    assert!(out.ends_with(": 10.1.1.1:9003 (--cluster)\n"), "{out}");
    let out = Home::new().ok(&["version"]);
    assert!(out.contains(": not configured: no active profile"), "{out}");
    let out = home.ok(&["--version"]);
    assert_eq!(out, format!("flv {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn connection_flag_conflicts_are_usage_errors() {
    let home = Home::three_profiles();
    for args in [
        &["-P", "cloud", "-c", "h:1", "version"][..],
        &["--profile", "cloud", "--tls", "version"],
    ] {
        let out = home.flv().args(args).assert().code(2);
        let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(err.contains("cannot be used with"), "{err}");
    }
}

#[test]
fn completions_for_every_shell() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = home.ok(&["completions", shell]);
        assert!(out.contains("profile"), "{shell}");
        assert!(out.contains("delete-cluster"), "{shell}");
    }
    home.flv().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn help_snapshots() {
    let home = Home::new();
    insta::assert_snapshot!("help_root", home.ok(&["--help"]));
    insta::assert_snapshot!("help_profile", home.ok(&["profile", "--help"]));
    insta::assert_snapshot!("help_profile_add", home.ok(&["profile", "add", "--help"]));
}

/// `Path` of the flv binary is never the real home (sanity check of the harness).
#[test]
fn harness_never_uses_the_real_home() {
    let home = Home::new();
    assert!(home.path.starts_with(home.dir.path()));
    assert!(!Path::new(&home.path).exists());
}

#[test]
fn a_closed_stdout_ends_quietly_not_in_a_panic() {
    let home = Home::three_profiles();
    for args in [
        &["completions", "zsh"][..],
        &["profile", "list", "-O", "json"],
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("flv"))
            .args(args)
            .env("FLV_PROFILE_PATH", &home.path)
            .env("HOME", home.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader goes away before flv writes
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}
