//! Helpers of the end-to-end CLI tests: a mock cluster on loopback, a temporary home (the
//! real `~/.fluvio/config` is never touched) and runs of the built `flv` binary.

#![allow(dead_code, reason = "each test file uses a part")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use flv_mock_cluster::{MockClusterServer, ServerOptions};

/// The bound of any one wait.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// A mock cluster with `spus` SPUs and a temporary home without profiles.
pub(crate) struct Env {
    pub server: MockClusterServer,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new(spus: usize) -> Self {
        let server = MockClusterServer::start(ServerOptions {
            spus,
            ..ServerOptions::default()
        })
        .expect("mock cluster starts");
        Env {
            server,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The profile file path (it may not exist).
    pub(crate) fn profile_path(&self) -> PathBuf {
        self.dir.path().join(".fluvio").join("config")
    }

    /// `flv` with the temporary home, without connection flags.
    pub(crate) fn bare(&self) -> Command {
        let mut cmd = Command::cargo_bin("flv").expect("flv binary");
        cmd.env("FLV_PROFILE_PATH", self.profile_path())
            .env("HOME", self.dir.path())
            .env_remove("FLUVIO_CLIENT_ID")
            .current_dir(self.dir.path())
            .timeout(STEP);
        cmd
    }

    /// `flv -c SC_ADDR ARGS...`.
    pub(crate) fn flv(&self, args: &[&str]) -> Command {
        let mut cmd = self.bare();
        cmd.args(["-c", self.server.sc_addr()]).args(args);
        cmd
    }

    /// Runs `flv -c SC ARGS`, expecting success; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.flv(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Runs with `stdin`, expecting success; returns stdout.
    pub(crate) fn ok_with(&self, args: &[&str], stdin: &str) -> String {
        let out = self
            .flv(args)
            .write_stdin(stdin.to_owned())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Runs `flv -c SC ARGS`, expecting exit code 1 and nothing on stdout; returns stderr.
    pub(crate) fn fails(&self, args: &[&str]) -> String {
        let out = self.flv(args).assert().code(1).stdout("");
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    }

    /// `text` with the cluster's addresses replaced by `<SC>` and `<SPU-id>`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.replace(self.server.sc_addr(), "<SC>");
        for id in self.server.with_cluster(|c, _| c.spu_ids()) {
            if let Some(addr) = self.server.spu_addr(id) {
                text = text.replace(addr, &format!("<SPU-{id}>"));
            }
            // Private endpoints: the mock's private port is the public one + 10001.
            let private = self.server.spu_addr(id).and_then(|addr| {
                let (host, port) = addr.rsplit_once(':')?;
                let port: u16 = port.parse().ok()?;
                Some(format!("{host}:{}", port.wrapping_add(10001)))
            });
            if let Some(private) = private {
                text = text.replace(&private, &format!("<SPU-{id}-private>"));
            }
        }
        text
    }
}

/// A running `flv` whose stdout lines are read with a bound.
pub(crate) struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `cmd` with piped stdout.
    pub(crate) fn spawn(mut cmd: std::process::Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("flv starts");
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next line of stdout (fails the test after [`STEP`]).
    pub(crate) fn line(&self) -> String {
        self.lines
            .recv_timeout(STEP)
            .expect("a line from flv within the time limit")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
