//! Path resolution, loading and atomic saving (temporary directories only).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::*;

fn os(value: &str) -> Option<OsString> {
    Some(OsString::from(value))
}

#[test]
fn the_config_path_follows_the_env_then_home_rules() {
    assert_eq!(
        resolve_config_path(os("/custom/profile"), os("/home/u")),
        Some(PathBuf::from("/custom/profile"))
    );
    assert_eq!(
        resolve_config_path(None, os("/home/u")),
        Some(Path::new("/home/u").join(".fluvio").join("config"))
    );
    // An empty variable counts as unset.
    assert_eq!(
        resolve_config_path(os(""), os("/home/u")),
        Some(Path::new("/home/u").join(".fluvio/config"))
    );
    assert_eq!(resolve_config_path(None, os("")), None);
    assert_eq!(resolve_config_path(None, None), None);
    assert_eq!(
        resolve_config_path(os("rel/config"), None),
        Some(PathBuf::from("rel/config"))
    );
}

#[test]
fn default_path_follows_environment() {
    // Reads the real environment but touches no file.
    let expected = resolve_config_path(
        std::env::var_os(PROFILE_PATH_ENV),
        std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .or_else(|| std::env::var_os("USERPROFILE")),
    );
    match (default_config_path(), expected) {
        (Ok(path), Some(expected)) => assert_eq!(path, expected),
        (Err(ConfigError::NoHomeDir), None) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn missing_file_is_empty_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nothing/here/config");
    assert_eq!(load_config(&path).unwrap(), Config::new());
    let file = ConfigFile::load(&path).unwrap();
    assert_eq!(file.path(), path);
    assert!(matches!(
        file.config().current_cluster(),
        Err(ConfigError::NoActiveProfile)
    ));
    // Loading does not create anything.
    assert!(!dir.path().join("nothing").exists());
}

#[test]
fn invalid_file_reports_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    fs::write(&path, "version = [").unwrap();
    match load_config(&path) {
        Err(ConfigError::Parse {
            path: Some(reported),
            ..
        }) => assert_eq!(reported, path),
        other => panic!("{other:?}"),
    }
    let err = ConfigFile::load(&path).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("invalid profile file {}:", path.display())),
        "{err}"
    );
}

#[test]
fn unreadable_path_is_io_error() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    match load_config(dir.path()) {
        Err(ConfigError::Io { action, path, .. }) => {
            assert_eq!(action, "read");
            assert_eq!(path, dir.path());
        }
        other => panic!("{other:?}"),
    }
    // Saving over a directory fails and leaves no temporary file behind.
    let target = dir.path().join("config");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside"), "x").unwrap();
    assert!(matches!(
        save_config(&target, &Config::new()),
        Err(ConfigError::Io { .. })
    ));
    assert_eq!(entries(dir.path()), ["config"]);
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn save_creates_directory_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".fluvio").join("config");
    let mut file = ConfigFile::load(&path).unwrap();
    file.config_mut().add_or_replace_profile(
        "local",
        ClusterConfig::new("127.0.0.1:9003").with_tls(TlsPaths {
            domain: "fluvio.local".into(),
            key: "/k".into(),
            cert: "/c".into(),
            ca_cert: "/ca".into(),
        }),
    );
    file.save().unwrap();
    assert_eq!(entries(&dir.path().join(".fluvio")), ["config"]);

    let reloaded = ConfigFile::load(&path).unwrap();
    assert_eq!(reloaded, file);
    assert_eq!(
        reloaded.config().current_cluster().unwrap().tls.domain(),
        Some("fluvio.local")
    );

    // Edit and save again: replaced in place, still no leftovers.
    let mut file = reloaded;
    file.config_mut().delete_profile("local").unwrap();
    file.save().unwrap();
    assert_eq!(entries(&dir.path().join(".fluvio")), ["config"]);
    let config = ConfigFile::load(&path).unwrap().into_config();
    assert!(config.profiles.is_empty());
    assert_eq!(config.clusters.len(), 1);
}

#[test]
fn save_relative_file_name() {
    // A bare file name has an empty parent: the current directory is used.
    let dir = tempfile::tempdir().unwrap();
    let config = Config::with_local_cluster("h:1");
    let path = dir.path().join("plain");
    save_config(&path, &config).unwrap();
    assert_eq!(ConfigFile::new(&path, config.clone()).config(), &config);
    assert_eq!(load_config(&path).unwrap(), config);
}

#[cfg(unix)]
#[test]
fn permissions_new_private_existing_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    save_config(&path, &Config::new()).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    save_config(&path, &Config::with_local_cluster("h:1")).unwrap();
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(
        load_config(&path).unwrap(),
        Config::with_local_cluster("h:1")
    );
}

#[cfg(unix)]
#[test]
fn symlink_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let real_dir = dir.path().join("dotfiles");
    let real = real_dir.join("fluvio-config");
    let link_dir = dir.path().join(".fluvio");
    fs::create_dir_all(&link_dir).unwrap();
    let link = link_dir.join("config");
    // Relative, dangling link: the target file and its directory do not exist yet.
    std::os::unix::fs::symlink("../dotfiles/fluvio-config", &link).unwrap();

    let config = Config::with_local_cluster("h:9003");
    save_config(&link, &config).unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(load_config(&real).unwrap(), config);
    assert_eq!(load_config(&link).unwrap(), config);
    assert_eq!(entries(&real_dir), ["fluvio-config"]);
}

#[test]
fn config_file_accessors() {
    let mut file = ConfigFile::new("/nonexistent/flv/config", Config::new());
    assert_eq!(file.path(), Path::new("/nonexistent/flv/config"));
    file.config_mut()
        .add_or_replace_profile("p", ClusterConfig::new("h:1"));
    assert_eq!(file.config().current_profile_name(), Some("p"));
    assert_eq!(file.into_config().profiles.len(), 1);
}
