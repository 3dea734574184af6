//! `flv gateway`: serves the cluster over HTTP, Server-Sent Events and WebSocket, with a web
//! console (the `flv-gateway` crate).

use std::process::ExitCode;

use anyhow::Context;
use flv_gateway::{Gateway, GatewayArgs};

use super::{block_on, target};
use crate::target::GlobalOpts;

/// Runs the gateway until Ctrl-C (or SIGTERM).
pub(crate) fn run(args: GatewayArgs, global: &GlobalOpts) -> anyhow::Result<ExitCode> {
    let cluster = target(global)?;
    let options = args.options()?;
    block_on(async move {
        let gateway = Gateway::bind(options, cluster.clone()).await?;
        let url = gateway.url().context("listener address")?;
        outln!("flv gateway for {} listening on {url}", cluster.endpoint)?;
        tokio::select! {
            served = gateway.serve(std::future::pending()) => served?,
            _ = shutdown_signal() => {}
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
