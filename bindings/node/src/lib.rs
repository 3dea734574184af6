//! `flv-node`: the Node.js binding of flv, the Fluvio client, as a napi-rs native addon.
//!
//! The addon exposes thin native classes ([`Client`], [`Producer`], [`Consumer`],
//! [`Admin`]); `index.js` wraps them in the JavaScript API (`Fluvio`, `TopicProducer`,
//! async-iterable consumer streams, `Offset`, errors with a `code`). Everything runs on the
//! tokio runtime napi-rs starts (its `tokio_rt` feature), through `flv-tokio`.
//!
//! No Rust panic crosses into JavaScript: synchronous entry points catch unwinds, async
//! ones run as tokio tasks whose panics napi-rs turns into rejections, and every flv error
//! becomes a JavaScript error (see [`error`]).

// The `#[napi]` macros generate undocumented public items (every item written here is
// documented).
#![allow(
    missing_docs,
    reason = "the #[napi] macros generate undocumented public items"
)]

mod admin;
mod consumer;
pub mod error;
mod producer;

use flv_tokio::Fluvio;
use flv_tokio::config::ClusterConfig;
use napi_derive::napi;

pub use admin::{Admin, PartitionInfo, SpuInfo, TopicInfo, TopicOptions};
pub use consumer::{Consumer, ConsumerOptions, OffsetSpec, PackedRecords, Record};
pub use producer::{PackedOutcomes, Producer, ProducerOptions};

use error::to_js;

/// How to reach the cluster; with neither field, the current profile of `~/.fluvio/config`.
#[napi(object)]
pub struct ConnectOptions {
    /// The SC address, `host:port` (plain TCP).
    pub endpoint: Option<String>,
    /// A profile of the Fluvio configuration file.
    pub profile: Option<String>,
    /// The client id sent to the cluster.
    pub client_id: Option<String>,
}

/// A client connected to one cluster (wrapped by `Fluvio` in `index.js`).
#[napi]
pub struct Client {
    fluvio: Fluvio,
}

/// Connects to a cluster; resolves once its metadata is synchronised.
#[napi]
pub async fn connect(options: Option<ConnectOptions>) -> napi::Result<Client> {
    let options = options.unwrap_or(ConnectOptions {
        endpoint: None,
        profile: None,
        client_id: None,
    });
    let fluvio = match (options.endpoint, options.profile) {
        (Some(endpoint), _) => {
            let mut cluster = ClusterConfig::new(endpoint);
            cluster.client_id = options.client_id;
            Fluvio::connect_with_config(&cluster).await
        }
        (None, Some(profile)) => Fluvio::connect_with_profile(&profile).await,
        (None, None) => Fluvio::connect().await,
    }
    .map_err(to_js)?;
    Ok(Client { fluvio })
}

#[napi]
impl Client {
    /// The SC endpoint this client connected to.
    #[napi(getter, catch_unwind)]
    pub fn endpoint(&self) -> String {
        self.fluvio.cluster_config().endpoint.clone()
    }

    /// A producer for `topic`; fails with `TOPIC_NOT_FOUND` if there is no such topic.
    #[napi]
    pub async fn topic_producer(
        &self,
        topic: String,
        options: Option<ProducerOptions>,
    ) -> napi::Result<Producer> {
        let config = match options {
            Some(o) => o.into_config()?,
            None => Default::default(),
        };
        let producer = self
            .fluvio
            .topic_producer_with_config(topic, config)
            .await
            .map_err(to_js)?;
        Ok(Producer::start(producer))
    }

    /// A consumer of the partitions `options` selects; fails with `TOPIC_NOT_FOUND` if
    /// there is no such topic.
    #[napi]
    pub async fn consumer(&self, options: ConsumerOptions) -> napi::Result<Consumer> {
        let config = options.into_config()?;
        let stream = self
            .fluvio
            .consumer_with_config(config)
            .await
            .map_err(to_js)?;
        Ok(Consumer::new(stream))
    }

    /// The admin API (shares this client's connection).
    #[napi(catch_unwind)]
    pub fn admin(&self) -> Admin {
        Admin::new(self.fluvio.admin())
    }

    /// Flushes every producer, stores consumer offsets and closes the connections; every
    /// producer and consumer of this client fails with `CLOSED` afterwards.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        self.fluvio.clone().close().await.map_err(to_js)
    }
}
