//! [`Fluvio`]: a connection to one cluster, and the entry point of the user API.

use std::sync::Arc;

use flv_core::client::{Client, ClientConfig, FetchOutput, FetchSpec, OpOutput, ProducerConfig};
use flv_core::spu::Isolation;
use flv_core::spu::consumer_offset::ReplicaKey;

use crate::admin::FluvioAdmin;
use crate::config::{ClusterConfig, ConfigFile};
use crate::consumer::{ConsumerOffset, IntoConsumerConfig};
use crate::delivery::Deliveries;
use crate::drive;
use crate::error::{Error, Result};
use crate::metrics::ClientMetrics;
use crate::producer::TopicProducer;
use crate::producer_config::TopicProducerConfig;
use crate::runtime::{Clock, Runtime};
use crate::shared::{Handle, Inner, Shared, SlotFuture, State};
use crate::stream::ConsumerStream;
use crate::tls::TlsConnector;

/// A runtime that can be found without being passed in (the current tokio runtime, smol's
/// global executor, async-std's): what [`Fluvio::connect`] and friends run on.
pub trait DefaultRuntime: Runtime {
    /// The runtime to use from here, or why there is none.
    fn default_runtime() -> Result<Self>;
}

/// A client connected to one Fluvio cluster (the official client's `Fluvio`).
///
/// Cheap to clone: clones share one connection set and one driver task. Producers,
/// consumers and admin handles made from it keep the client alive; when the last handle is
/// dropped the client flushes its producers, stores the offsets of its consumers and closes
/// its connections. [`Fluvio::close`] does the same and waits for it.
///
/// Several clients (of one or several clusters) may live in one process.
#[derive(Clone)]
pub struct Fluvio<R: Runtime> {
    inner: Inner,
    rt: R,
    cluster: ClusterConfig,
    platform: Arc<semver::Version>,
}

impl<R: Runtime> std::fmt::Debug for Fluvio<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fluvio")
            .field("endpoint", &self.cluster.endpoint)
            .finish_non_exhaustive()
    }
}

impl<R: DefaultRuntime> Fluvio<R> {
    /// Connects to the cluster of the current profile (`~/.fluvio/config`, or the file
    /// named by `FLV_PROFILE_PATH`).
    pub async fn connect() -> Result<Self> {
        let config = ConfigFile::load_default()?;
        let cluster = config.config().current_cluster()?.clone();
        Self::connect_with_config(&cluster).await
    }

    /// Connects to the cluster of the named profile.
    pub async fn connect_with_profile(profile: &str) -> Result<Self> {
        let config = ConfigFile::load_default()?;
        let cluster = config.config().cluster_for_profile(profile)?.clone();
        Self::connect_with_config(&cluster).await
    }

    /// Connects to the cluster `cluster` describes (endpoint, TLS).
    pub async fn connect_with_config(cluster: &ClusterConfig) -> Result<Self> {
        Self::connect_with_runtime(R::default_runtime()?, cluster).await
    }
}

impl<R: Runtime> Fluvio<R> {
    /// Connects on the runtime `rt`.
    pub async fn connect_with_runtime(rt: R, cluster: &ClusterConfig) -> Result<Self> {
        Self::connect_with_client_config(rt, cluster, ClientConfig::default()).await
    }

    /// Connects on `rt` with the state machine settings of `base` (timeouts, backoff,
    /// client id, ...); the endpoint, TLS domain and SPU address choice come from `cluster`.
    ///
    /// Returns once the metadata (SPUs, partitions, topics) is synchronised, or with the
    /// first failure: a refused connection, a TLS failure, an incompatible cluster.
    pub async fn connect_with_client_config(
        rt: R,
        cluster: &ClusterConfig,
        base: ClientConfig,
    ) -> Result<Self> {
        let tls = TlsConnector::from_policy(&cluster.tls)?.map(Arc::new);
        let mut config = base;
        config.endpoint = cluster.endpoint.clone();
        config.use_spu_local_address = cluster.use_spu_local_address;
        config.tls_domain = cluster.tls.domain().map(str::to_owned);
        if let Some(id) = &cluster.client_id {
            config.client_id = id.clone();
        }
        if config.seed == 0 {
            // Jitter differs between processes; `base.seed` pins it for tests.
            config.seed = drive::unix_ms().unsigned_abs() ^ u64::from(std::process::id());
        }
        let clock = Clock::starting_now(&rt);
        let now = clock.now(&rt);
        let mut client = Client::new(config, now);
        client.handle_wall_clock(drive::unix_ms(), now);
        let (tx, rx) = async_channel::unbounded();
        let shared = Arc::new(Shared::new(State::new(client, clock), tx.clone()));
        rt.spawn(drive::run(rt.clone(), Arc::clone(&shared), tx, rx, tls));
        shared.wake();
        let handle: Arc<dyn Handle> = shared;
        let inner = Inner::new(handle);
        drive::wait_connected(inner.clone()).await?;
        let platform = inner
            .lock()
            .client
            .platform_version()
            .and_then(|v| semver::Version::parse(v).ok())
            .unwrap_or_else(|| semver::Version::new(0, 0, 0));
        Ok(Self {
            inner,
            rt,
            cluster: cluster.clone(),
            platform: Arc::new(platform),
        })
    }

    /// The runtime this client runs on.
    pub fn runtime(&self) -> &R {
        &self.rt
    }

    /// The cluster configuration this client connected with.
    pub fn cluster_config(&self) -> &ClusterConfig {
        &self.cluster
    }

    /// A producer for `topic` with the default configuration.
    pub async fn topic_producer(&self, topic: impl Into<String>) -> Result<TopicProducer> {
        self.topic_producer_with_config(topic, ProducerConfig::default())
            .await
    }

    /// A producer for `topic`, configured by flv's [`ProducerConfig`] or the official
    /// [`TopicProducerConfig`] (with a custom partitioner or a callback); fails if the topic
    /// does not exist or its compression rule conflicts with the configured compression.
    pub async fn topic_producer_with_config(
        &self,
        topic: impl Into<String>,
        config: impl Into<TopicProducerConfig>,
    ) -> Result<TopicProducer> {
        let topic = topic.into();
        let config = config.into();
        let committed = config.isolation() == Isolation::ReadCommitted;
        let deliveries = match &config.callback {
            Some(callback) => {
                let (tx, rx) = async_channel::unbounded();
                let callback = Arc::clone(callback);
                // Ends when the producer's outcome slots are dropped (the sender with them).
                self.rt.spawn(async move {
                    while let Ok(event) = rx.recv().await {
                        if let Err(error) = callback.finished(event).await {
                            tracing::warn!(%error, "producer callback failed");
                        }
                    }
                });
                Deliveries::with_callback(tx)
            }
            None => Deliveries::default(),
        };
        let producer = TopicProducer::create(
            self.inner.clone(),
            topic.clone(),
            config,
            Arc::new(deliveries),
        )
        .await?;
        if committed {
            for r in self.with_metadata(|m| m.lagging_replicas(&topic, None)) {
                tracing::warn!(
                    %topic,
                    partition = r.partition,
                    spu = r.spu,
                    why = %r.why,
                    "read-committed records to this partition wait for a replica that is not caught up"
                );
            }
        }
        Ok(producer)
    }

    /// A consumer of the partitions `config` selects (flv's [`ConsumerConfig`](flv_core::client::ConsumerConfig) or the
    /// official [`ConsumerConfigExt`](crate::consumer::ConsumerConfigExt)): a
    /// [`futures_core::Stream`] of records: flv's [`ConsumerStream`] (failing with flv's
    /// errors) for a `ConsumerConfig`, the official
    /// [`OfficialConsumerStream`](crate::consumer::OfficialConsumerStream) (failing with
    /// `ErrorCode`s, as upstream) for a `ConsumerConfigExt`. Fails at once if the topic does
    /// not exist.
    pub async fn consumer_with_config<C: IntoConsumerConfig>(
        &self,
        config: C,
    ) -> Result<C::Stream> {
        let config = config.into_consumer_config()?;
        ConsumerStream::create(self.inner.clone(), config).map(C::stream)
    }

    /// The consumer offsets stored in the cluster (the official `Fluvio::consumer_offsets`).
    pub async fn consumer_offsets(&self) -> Result<Vec<ConsumerOffset>> {
        let offsets = self.admin().list_consumer_offsets().await?;
        Ok(offsets.into_iter().map(ConsumerOffset::from).collect())
    }

    /// Deletes the offset stored for `consumer_id` on a partition (the official
    /// `Fluvio::delete_consumer_offset`).
    pub async fn delete_consumer_offset(
        &self,
        consumer_id: impl Into<String>,
        replica: impl Into<ReplicaKey>,
    ) -> Result<()> {
        let replica = replica.into();
        self.admin()
            .delete_consumer_offset(consumer_id, (replica.topic, replica.partition))
            .await
    }

    /// Reads once from a partition, from `offset`, at most `max_bytes` of record batches
    /// (only complete batches are returned).
    pub async fn fetch(
        &self,
        topic: impl Into<String>,
        partition: u32,
        offset: i64,
        max_bytes: i32,
    ) -> Result<FetchOutput> {
        let spec = FetchSpec {
            topic: topic.into(),
            partition,
            offset,
            max_bytes,
            isolation: Isolation::ReadUncommitted,
        };
        let op = {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let op = st.client.fetch(spec, now);
            st.ops.insert(op);
            op
        };
        self.inner.wake();
        match SlotFuture::new(self.inner.clone(), op, |s| &mut s.ops).await? {
            OpOutput::Fetch(out) => Ok(out),
            other => Err(Error::Client(flv_core::client::ClientError::Protocol {
                peer: flv_core::client::Peer::Sc,
                message: format!("unexpected answer to a fetch: {other:?}"),
                source: None,
            })),
        }
    }

    /// The admin API of this cluster (shares this client's connection). Awaitable, as the
    /// official `admin().await`.
    pub fn admin(&self) -> FluvioAdmin<R> {
        FluvioAdmin::new(self.inner.clone())
    }

    /// The platform version of the cluster, from the SC's handshake at connect (the
    /// official `Fluvio::platform_version`).
    pub fn platform_version(&self) -> &semver::Version {
        &self.platform
    }

    /// Activity counters, taken now (a snapshot, in an `Arc` as the official client's).
    pub fn metrics(&self) -> Arc<ClientMetrics> {
        Arc::new(ClientMetrics::of(&self.inner))
    }

    /// Runs `f` on the cluster metadata as last synchronised.
    pub fn with_metadata<T>(&self, f: impl FnOnce(&flv_core::client::MetadataStore) -> T) -> T {
        f(self.inner.lock().client.metadata())
    }

    /// Flushes every producer, stores the offsets of every consumer (with offset
    /// management), closes the connections and waits until that is done. Handles still
    /// alive fail with [`Error::Closed`] afterwards.
    pub async fn close(self) -> Result<()> {
        {
            let mut st = self.inner.lock();
            if !st.closed {
                let now = st.now();
                let producers: Vec<_> = st.live_producers.drain().collect();
                for p in producers {
                    if let Ok(f) = st.client.close_producer(p, now) {
                        st.closing_flushes.insert(f);
                    }
                }
                let consumers: Vec<_> = st.consumers.keys().copied().collect();
                for c in consumers {
                    if let Ok(Some(op)) = st.client.close_consumer(c, now) {
                        st.closing_ops.insert(op);
                    }
                }
            }
        }
        self.inner.wake();
        self.inner.shared.shutdown();
        let inner = self.inner.clone();
        std::future::poll_fn(move |cx| {
            let mut st = inner.lock();
            if st.closed {
                std::task::Poll::Ready(())
            } else {
                st.done.register(cx);
                std::task::Poll::Pending
            }
        })
        .await;
        Ok(())
    }
}
