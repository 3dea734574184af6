//! Locating, loading and atomically saving the profile file.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Config, ConfigError};

/// Environment variable overriding the profile file path (same as the official client).
pub const PROFILE_PATH_ENV: &str = "FLV_PROFILE_PATH";

/// Directory of the profile file under the home directory.
pub const CONFIG_DIR: &str = ".fluvio";

/// File name of the profile file inside [`CONFIG_DIR`].
pub const CONFIG_FILE: &str = "config";

/// Pure path rule: `profile_path` (the value of [`PROFILE_PATH_ENV`]) if set and non-empty,
/// else `<home>/.fluvio/config`; `None` when neither is usable.
pub fn resolve_config_path(
    profile_path: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    let non_empty = |value: Option<OsString>| value.filter(|value| !value.is_empty());
    if let Some(path) = non_empty(profile_path) {
        return Some(PathBuf::from(path));
    }
    non_empty(home).map(|home| PathBuf::from(home).join(CONFIG_DIR).join(CONFIG_FILE))
}

/// The profile file path from the environment: `$FLV_PROFILE_PATH`, else
/// `$HOME/.fluvio/config` (`%USERPROFILE%` when `HOME` is unset, for Windows).
pub fn default_config_path() -> Result<PathBuf, ConfigError> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE"));
    resolve_config_path(std::env::var_os(PROFILE_PATH_ENV), home).ok_or(ConfigError::NoHomeDir)
}

/// Loads the profile file at `path`; a missing file is an empty [`Config::new`].
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Config::new()),
        Err(source) => {
            return Err(ConfigError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            });
        }
    };
    Config::from_toml_str(&text).map_err(|err| match err {
        ConfigError::Parse { source, .. } => ConfigError::Parse {
            path: Some(path.to_owned()),
            source,
        },
        other => other,
    })
}

/// Saves `config` to `path` atomically (temporary file in the same directory, then rename),
/// creating the parent directory if needed.
///
/// An existing file keeps its permissions; a new one is created private (`0600`) on Unix,
/// since it may hold inline private keys. A symbolic link at `path` is followed, so the
/// link itself is preserved.
pub fn save_config(path: &Path, config: &Config) -> Result<(), ConfigError> {
    let text = config.to_toml_string()?;
    write_atomic(path, text.as_bytes())
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ConfigError {
    move |source| ConfigError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Follows a symbolic link at `path` (possibly dangling) to the file to replace.
fn resolve_target(path: &Path) -> Result<PathBuf, ConfigError> {
    let mut target = path.to_owned();
    // Bounded: a loop of links ends in an error at open time anyway.
    for _ in 0..32 {
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&target).map_err(io_error("read link", &target))?;
                target = match target.parent() {
                    Some(parent) => parent.join(link),
                    None => link,
                };
            }
            _ => return Ok(target),
        }
    }
    Ok(target)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ConfigError> {
    let target = resolve_target(path)?;
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_error("create directory", &dir))?;

    let file_name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| CONFIG_FILE.to_owned());
    let temp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let existing = fs::metadata(&target).ok().map(|meta| meta.permissions());

    let result = write_temp(&temp, contents, existing)
        .and_then(|()| fs::rename(&temp, &target).map_err(io_error("replace", &target)));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    } else {
        sync_dir(&dir);
    }
    result
}

fn write_temp(
    temp: &Path,
    contents: &[u8],
    permissions: Option<fs::Permissions>,
) -> Result<(), ConfigError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(temp).map_err(io_error("create", temp))?;
    file.write_all(contents).map_err(io_error("write", temp))?;
    if let Some(permissions) = permissions {
        file.set_permissions(permissions)
            .map_err(io_error("set permissions of", temp))?;
    }
    file.sync_all().map_err(io_error("sync", temp))
}

/// Best effort: makes the rename durable (directories cannot be opened on every platform).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// A profile file: its path and its contents.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    path: PathBuf,
    config: Config,
}

impl ConfigFile {
    /// Pairs a configuration with the path it will be saved to.
    pub fn new(path: impl Into<PathBuf>, config: Config) -> Self {
        ConfigFile {
            path: path.into(),
            config,
        }
    }

    /// Loads the file at [`default_config_path`] (empty configuration if it does not exist).
    pub fn load_default() -> Result<Self, ConfigError> {
        ConfigFile::load(default_config_path()?)
    }

    /// Loads the file at `path` (empty configuration if it does not exist).
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        let config = load_config(&path)?;
        Ok(ConfigFile { path, config })
    }

    /// Writes the configuration back to its path, atomically (see [`save_config`]).
    pub fn save(&self) -> Result<(), ConfigError> {
        save_config(&self.path, &self.config)
    }

    /// Path the file was loaded from and is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration, for editing before [`ConfigFile::save`].
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// The configuration, dropping the path.
    pub fn into_config(self) -> Config {
        self.config
    }
}
