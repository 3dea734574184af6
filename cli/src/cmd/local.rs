//! `flv local start|stop|status`: the embedded mock cluster as a local development cluster.
//!
//! `flv local start` serves the mock cluster (an in-memory test double: one SC and N SPUs)
//! on loopback in the foreground until Ctrl-C or SIGTERM; with `--detach` it runs the same
//! command as a background process and returns once the cluster is ready. Either way it
//! writes the profile `local` (and makes it current) and a pid file beside the profile file
//! (`~/.fluvio/flv-local.pid`: pid and SC address), which `flv local stop|status` use.
//! Data lives in memory: it is gone when the cluster stops.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Subcommand;
use flv_driver::config::{ConfigFile, TlsPolicy, default_config_path};
use flv_mock_cluster::{MockClusterServer, ServerOptions};

use super::block_on;

/// Name of the profile (and cluster) written by `flv local start`.
pub(crate) const LOCAL_PROFILE: &str = "local";
/// First line a ready cluster prints on stdout (what `--detach` waits for).
const READY: &str = "local cluster running at ";

/// `flv local` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum LocalCmd {
    /// Start a local cluster (the embedded mock cluster, in memory) and switch to its profile
    Start {
        /// Number of SPUs
        #[arg(long, default_value_t = 1)]
        spus: usize,
        /// SC port on 127.0.0.1 (0: any free port)
        #[arg(long, default_value_t = 9003)]
        port: u16,
        /// Run in the background; stop it with `flv local stop`
        #[arg(short, long)]
        detach: bool,
    },
    /// Stop the local cluster started with `flv local start`
    Stop,
    /// Tell whether the local cluster runs, and where
    Status,
}

/// The pid file, beside the profile file.
fn pid_path() -> anyhow::Result<PathBuf> {
    let config = default_config_path()?;
    Ok(config
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
        .join("flv-local.pid"))
}

/// The pid and SC address in the pid file, if there is one.
fn read_pid(path: &Path) -> anyhow::Result<Option<(u32, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut lines = text.lines();
    let pid = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("{} is not a flv pid file", path.display()))?;
    Ok(Some((
        pid,
        lines.next().unwrap_or_default().trim().to_owned(),
    )))
}

/// Whether process `pid` exists (`kill -0`).
fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A running cluster recorded in the pid file; a stale file is removed.
fn running(path: &Path) -> anyhow::Result<Option<(u32, String)>> {
    match read_pid(path)? {
        Some((pid, addr)) if alive(pid) => Ok(Some((pid, addr))),
        Some(_) => {
            std::fs::remove_file(path).ok();
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Writes the `local` profile for `addr` and makes it current.
fn write_profile(addr: &str) -> anyhow::Result<()> {
    let mut file = ConfigFile::load(default_config_path()?)?;
    let config = file.config_mut();
    config.add_or_update_endpoint(LOCAL_PROFILE, addr, TlsPolicy::Disabled);
    config.switch_profile(LOCAL_PROFILE)?;
    config
        .cluster_mut(LOCAL_PROFILE)?
        .update_metadata_by_name("installation", "local")?;
    file.save()?;
    Ok(())
}

impl LocalCmd {
    /// Runs the command.
    pub(crate) fn run(self) -> anyhow::Result<ExitCode> {
        let pid_file = pid_path()?;
        match self {
            LocalCmd::Start {
                spus,
                port,
                detach: false,
            } => foreground(spus, port, &pid_file),
            LocalCmd::Start {
                spus,
                port,
                detach: true,
            } => detach(spus, port, &pid_file),
            LocalCmd::Stop => {
                let Some((pid, addr)) = running(&pid_file)? else {
                    bail!("no local cluster is running");
                };
                let status = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status()
                    .context("cannot run `kill`")?;
                if !status.success() {
                    bail!("cannot stop the local cluster (pid {pid})");
                }
                // Wait for the process to end, which also removes the pid file.
                let deadline = Instant::now() + Duration::from_secs(10);
                while alive(pid) {
                    if Instant::now() > deadline {
                        bail!("the local cluster (pid {pid}) did not stop within 10 s");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                std::fs::remove_file(&pid_file).ok();
                outln!("local cluster at {addr} stopped")?;
                Ok(ExitCode::SUCCESS)
            }
            LocalCmd::Status => match running(&pid_file)? {
                Some((pid, addr)) => {
                    let up = TcpStream::connect_timeout(
                        &addr.parse().context("bad address in the pid file")?,
                        Duration::from_secs(2),
                    )
                    .is_ok();
                    if up {
                        outln!("local cluster running at {addr} (pid {pid})")?;
                        Ok(ExitCode::SUCCESS)
                    } else {
                        outln!("local cluster (pid {pid}) does not answer at {addr}")?;
                        Ok(ExitCode::FAILURE)
                    }
                }
                None => {
                    outln!("no local cluster is running")?;
                    Ok(ExitCode::FAILURE)
                }
            },
        }
    }
}

/// Serves the cluster until Ctrl-C or SIGTERM.
fn foreground(spus: usize, port: u16, pid_file: &Path) -> anyhow::Result<ExitCode> {
    if let Some((pid, addr)) = running(pid_file)? {
        bail!("a local cluster already runs at {addr} (pid {pid}); stop it with `flv local stop`");
    }
    if spus == 0 {
        bail!("--spus must be at least 1");
    }
    let server = MockClusterServer::start(ServerOptions {
        spus,
        sc_port: port,
        ..ServerOptions::default()
    })
    .with_context(|| format!("cannot start the local cluster on 127.0.0.1:{port}"))?;
    let addr = server.sc_addr().to_owned();
    write_profile(&addr)?;
    if let Some(dir) = pid_file.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(pid_file, format!("{}\n{addr}\n", std::process::id()))
        .with_context(|| format!("cannot write {}", pid_file.display()))?;
    outln!("{READY}{addr} with {spus} SPU(s) (profile `{LOCAL_PROFILE}`); Ctrl-C to stop")?;
    let waited = block_on(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("cannot watch SIGTERM")?;
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot watch Ctrl-C")?;
        Ok(())
    });
    drop(server);
    // Another cluster may have taken over the file meanwhile: remove only ours.
    if read_pid(pid_file).ok().flatten().map(|(pid, _)| pid) == Some(std::process::id()) {
        std::fs::remove_file(pid_file).ok();
    }
    waited?;
    eprintln!("local cluster at {addr} stopped");
    Ok(ExitCode::SUCCESS)
}

/// Starts `flv local start` in the background and returns once it is ready.
fn detach(spus: usize, port: u16, pid_file: &Path) -> anyhow::Result<ExitCode> {
    if let Some((pid, addr)) = running(pid_file)? {
        bail!("a local cluster already runs at {addr} (pid {pid}); stop it with `flv local stop`");
    }
    let exe = std::env::current_exe().context("cannot find the flv executable")?;
    let log = pid_file.with_file_name("flv-local.log");
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).ok();
    }
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.args([
        "local",
        "start",
        "--spus",
        &spus.to_string(),
        "--port",
        &port.to_string(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(log_file);
    #[cfg(unix)]
    {
        // Its own process group: a Ctrl-C in this terminal does not stop it.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .context("cannot start the local cluster process")?;
    let stdout = child
        .stdout
        .take()
        .context("no pipe from the cluster process")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .context("cannot read from the cluster process")?;
    match line.strip_prefix(READY) {
        Some(rest) => {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            outln!(
                "local cluster running at {addr} (pid {}); profile `{LOCAL_PROFILE}` is current; \
                 log in {}",
                child.id(),
                log.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let _ = child.wait();
            let why = std::fs::read_to_string(&log).unwrap_or_default();
            bail!(
                "the local cluster did not start: {}",
                why.trim().trim_start_matches("error: ")
            );
        }
    }
}
