//! Commands that talk to a cluster: the connection, the tokio runtime they run on, and the
//! one-sentence errors they end with.

pub(crate) mod cluster;
pub(crate) mod consume;
pub(crate) mod consume_print;
pub(crate) mod demo;
pub(crate) mod diagnose;
pub(crate) mod gateway;
pub(crate) mod local;
pub(crate) mod produce;
pub(crate) mod sm_args;
pub(crate) mod smartmodule;
pub(crate) mod topic;
pub(crate) mod topic_config;

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use flv_driver::config::{ClusterConfig, ConfigFile, default_config_path};
use flv_tokio::{Error, Fluvio, Tokio};

use crate::target::{GlobalOpts, resolve_target};

/// Runs `work` on a fresh two-worker tokio runtime (the CLI is one command per process).
pub(crate) fn block_on<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let out = runtime.block_on(work);
    // Do not wait for background tasks of a client that is gone.
    runtime.shutdown_timeout(Duration::from_millis(100));
    out
}

/// The cluster the connection flags and the profile file name.
pub(crate) fn target(global: &GlobalOpts) -> anyhow::Result<ClusterConfig> {
    let file = ConfigFile::load(default_config_path()?)?;
    resolve_target(global, file.config())
}

/// Connects to the cluster named by the connection flags (or the current profile).
pub(crate) async fn connect(global: &GlobalOpts) -> anyhow::Result<Fluvio> {
    let cluster = target(global)?;
    connect_to(&cluster).await
}

/// Connects to `cluster`, with an error that names the address.
pub(crate) async fn connect_to(cluster: &ClusterConfig) -> anyhow::Result<Fluvio> {
    let rt = Tokio::current().context("not inside the tokio runtime")?;
    Fluvio::connect_with_runtime(rt, cluster)
        .await
        .map_err(|e| explain(e, &cluster.endpoint))
}

/// A driver error as one sentence for a user of the cluster at `endpoint`.
pub(crate) fn explain(err: Error, endpoint: &str) -> anyhow::Error {
    match &err {
        Error::Connect { source, .. }
            if matches!(**source, flv_tokio::ConnectError::Refused { .. }) =>
        {
            anyhow::anyhow!(
                "cannot connect to the cluster at {endpoint}: connection refused (is the cluster running?)"
            )
        }
        Error::Connect { .. } | Error::Io { .. } => {
            anyhow::anyhow!("cannot connect to the cluster at {endpoint}: {err}")
        }
        Error::Tls { failure, .. } => {
            let who = match failure.side() {
                "client" => "this client refused the server's certificate: ",
                "server" => "the server refused the handshake: ",
                _ => "",
            };
            anyhow::anyhow!("TLS with the cluster at {endpoint} failed: {who}{err}")
        }
        _ => err.into(),
    }
}

/// As [`failed`], and an unknown topic names the topics with a close name.
pub(crate) fn failed_topic<'a>(
    fluvio: &'a Fluvio,
    what: impl std::fmt::Display + 'a,
) -> impl FnOnce(Error) -> anyhow::Error + 'a {
    move |err| match err {
        Error::TopicNotFound(topic) => {
            let hint = fluvio.with_metadata(|m| diagnose::topic_hint(m, &topic));
            anyhow::anyhow!("topic \"{topic}\" not found{hint}")
        }
        other => failed(what)(other),
    }
}

/// `err` from an operation on the cluster, with what was being done.
pub(crate) fn failed(what: impl std::fmt::Display) -> impl FnOnce(Error) -> anyhow::Error {
    move |err| match err {
        Error::TopicNotFound(topic) => anyhow::anyhow!("topic \"{topic}\" not found"),
        other => anyhow::Error::new(other).context(what.to_string()),
    }
}
