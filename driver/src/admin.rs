//! [`FluvioAdmin`]: typed create / delete / list / watch / update of cluster objects.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use flv_core::client::MetadataStore;
use flv_core::client::{AdminCommand, ClientError, OpId, OpOutput, Peer, WatchEvent};
use flv_core::sc::mirror::MirrorSpec;
use flv_core::sc::objects::{
    DeleteRequest, ObjectDeleteRequest, ObjectKind, ObjectListResponse, ObjectSpec,
    ObjectUpdateRequest, ObjectWatchResponse, UpdateRequest,
};
use flv_core::sc::partition::PartitionSpec;
use flv_core::sc::smartmodule::SmartModuleSpec;
use flv_core::sc::spg::SpuGroupSpec;
use flv_core::sc::spu::{CustomSpuKey, CustomSpuSpec, SpuSpec};
use flv_core::sc::tableformat::TableFormatSpec;
use flv_core::sc::topic::{ReplicaSpec, TopicSpec, UpdateTopicAction};
use flv_core::sc::{Metadata, MetadataUpdate, Spec};
use flv_core::spu::consumer_offset::ConsumerOffset;
use futures_core::Stream;

use crate::error::{Error, Result};
use crate::shared::{Inner, SlotFuture, wait_metadata};

/// An object kind the admin API can list and watch.
pub trait AdminSpec: Spec + Send + 'static {
    /// Its kind.
    const KIND: ObjectKind;
    /// Its objects in a list response of its kind.
    fn from_list(list: ObjectListResponse) -> Option<Vec<Metadata<Self>>>;
    /// Its update in a watch response of its kind.
    fn from_watch(update: ObjectWatchResponse) -> Option<MetadataUpdate<Self>>;
}

/// An object kind the admin API can create.
pub trait CreatableAdminSpec: AdminSpec {
    /// The spec as a create request body.
    fn into_object(self) -> ObjectSpec;
}

/// An object kind the admin API can delete.
pub trait DeletableAdminSpec: AdminSpec {
    /// The key that names an object (`String`, or [`CustomSpuKey`]).
    type DeleteKey;
    /// The delete request.
    fn delete_request(key: Self::DeleteKey, force: bool) -> ObjectDeleteRequest;
}

/// An object kind the admin API can update.
pub trait UpdatableAdminSpec: AdminSpec {
    /// The key that names an object.
    type UpdateKey;
    /// What to do to it.
    type UpdateAction;
    /// The update request.
    fn update_request(key: Self::UpdateKey, action: Self::UpdateAction) -> ObjectUpdateRequest;
}

macro_rules! admin_spec {
    ($spec:ty, $variant:ident) => {
        impl AdminSpec for $spec {
            const KIND: ObjectKind = ObjectKind::$variant;
            fn from_list(list: ObjectListResponse) -> Option<Vec<Metadata<Self>>> {
                match list {
                    ObjectListResponse::$variant(v) => Some(v),
                    _ => None,
                }
            }
            fn from_watch(update: ObjectWatchResponse) -> Option<MetadataUpdate<Self>> {
                match update {
                    ObjectWatchResponse::$variant(u) => Some(u),
                    _ => None,
                }
            }
        }
    };
    ($spec:ty, $variant:ident, create) => {
        admin_spec!($spec, $variant);
        impl CreatableAdminSpec for $spec {
            fn into_object(self) -> ObjectSpec {
                ObjectSpec::$variant(self)
            }
        }
    };
    ($spec:ty, $variant:ident, create, delete $key:ty) => {
        admin_spec!($spec, $variant, create);
        impl DeletableAdminSpec for $spec {
            type DeleteKey = $key;
            fn delete_request(key: $key, force: bool) -> ObjectDeleteRequest {
                ObjectDeleteRequest::$variant(DeleteRequest { key, force })
            }
        }
    };
    ($spec:ty, $variant:ident, create, delete $key:ty, update $ukey:ty, $action:ty) => {
        admin_spec!($spec, $variant, create, delete $key);
        impl UpdatableAdminSpec for $spec {
            type UpdateKey = $ukey;
            type UpdateAction = $action;
            fn update_request(key: $ukey, action: $action) -> ObjectUpdateRequest {
                ObjectUpdateRequest::$variant(UpdateRequest { key, action })
            }
        }
    };
}

admin_spec!(TopicSpec, Topic, create, delete String, update String, UpdateTopicAction);
admin_spec!(PartitionSpec, Partition);
admin_spec!(SpuSpec, Spu);
admin_spec!(CustomSpuSpec, CustomSpu, create, delete CustomSpuKey, update CustomSpuKey, String);
admin_spec!(SpuGroupSpec, SpuGroup, create, delete String, update String, String);
admin_spec!(SmartModuleSpec, SmartModule, create, delete String, update String, String);
admin_spec!(TableFormatSpec, TableFormat, create, delete String, update String, String);
admin_spec!(MirrorSpec, Mirror, create, delete String);

/// The admin API of a cluster (the official client's `FluvioAdmin`), from
/// [`Fluvio::admin`](crate::Fluvio::admin).
///
/// ```no_run
/// # async fn demo<R: flv_driver::Runtime>(fluvio: flv_driver::Fluvio<R>) -> flv_driver::Result<()> {
/// use flv_driver::core::sc::topic::TopicSpec;
///
/// let admin = fluvio.admin();
/// admin.create("events", false, TopicSpec::computed(3, 1)).await?;
/// let topics = admin.list::<TopicSpec, &str>(vec!["events"]).await?;
/// assert_eq!(topics.len(), 1);
/// admin.delete::<TopicSpec>("events".to_string()).await?;
/// # Ok(()) }
/// ```
///
/// As upstream, [`Fluvio::admin`](crate::Fluvio::admin) is awaited
/// (`fluvio.admin().await`): the admin handle is its own future. flv's callers may use it
/// without `.await`.
pub struct FluvioAdmin<R> {
    inner: Inner,
    _rt: PhantomData<fn() -> R>,
}

impl<R> Clone for FluvioAdmin<R> {
    fn clone(&self) -> Self {
        Self::new(self.inner.clone())
    }
}

impl<R> std::fmt::Debug for FluvioAdmin<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FluvioAdmin").finish_non_exhaustive()
    }
}

/// `fluvio.admin().await`, as the official client's async `admin()`.
impl<R> IntoFuture for FluvioAdmin<R> {
    type Output = Self;
    type IntoFuture = std::future::Ready<Self>;
    fn into_future(self) -> Self::IntoFuture {
        std::future::ready(self)
    }
}

impl<R: crate::DefaultRuntime> FluvioAdmin<R> {
    /// Connects to the cluster of the current profile (the official `FluvioAdmin::connect`).
    pub async fn connect() -> Result<Self> {
        Ok(crate::Fluvio::<R>::connect().await?.admin())
    }

    /// Connects to the cluster `config` describes.
    pub async fn connect_with_config(config: &crate::config::ClusterConfig) -> Result<Self> {
        Ok(crate::Fluvio::<R>::connect_with_config(config)
            .await?
            .admin())
    }
}

impl<R> FluvioAdmin<R> {
    pub(crate) fn new(inner: Inner) -> Self {
        Self {
            inner,
            _rt: PhantomData,
        }
    }

    async fn run(&self, command: AdminCommand) -> Result<OpOutput> {
        let what = match &command {
            AdminCommand::Create { .. } => "create",
            AdminCommand::Delete(_) => "delete",
            AdminCommand::List { .. } => "list",
            AdminCommand::Update(_) => "update",
            AdminCommand::ListConsumerOffsets => "list consumer offsets",
            AdminCommand::DeleteConsumerOffset { .. } => "delete consumer offset",
            _ => "admin",
        };
        let span = tracing::debug_span!("admin", request = what);
        let out = tracing::Instrument::instrument(self.run_op(command), span.clone()).await;
        if let Err(e) = &out {
            tracing::debug!(parent: &span, error = %e, "admin request failed");
        }
        out
    }

    async fn run_op(&self, command: AdminCommand) -> Result<OpOutput> {
        let op = {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let op = st.client.admin(command, now);
            st.ops.insert(op);
            tracing::debug!(%op, "admin request queued");
            op
        };
        self.inner.wake();
        SlotFuture::new(self.inner.clone(), op, |s| &mut s.ops).await
    }

    /// Creates an object (`dry_run`: only validate).
    pub async fn create<S: CreatableAdminSpec>(
        &self,
        name: impl Into<String>,
        dry_run: bool,
        spec: S,
    ) -> Result<()> {
        self.create_with_timeout(name, dry_run, None, spec).await
    }

    /// Creates an object with the name, dry-run flag and SC-side timeout (milliseconds) of
    /// `config` (the official `FluvioAdmin::create_with_config`).
    pub async fn create_with_config<S: CreatableAdminSpec>(
        &self,
        config: flv_core::sc::objects::CommonCreateRequest,
        spec: S,
    ) -> Result<()> {
        self.create_with_timeout(config.name, config.dry_run, config.timeout, spec)
            .await
    }

    /// Creates an object with an SC-side timeout in milliseconds.
    pub async fn create_with_timeout<S: CreatableAdminSpec>(
        &self,
        name: impl Into<String>,
        dry_run: bool,
        timeout_ms: Option<u32>,
        spec: S,
    ) -> Result<()> {
        let name = name.into();
        let spec = spec.into_object();
        let partitions = match &spec {
            ObjectSpec::Topic(t) if !dry_run => Some(match &t.replicas {
                ReplicaSpec::Computed(p) => p.partitions,
                ReplicaSpec::Assigned(maps) => u32::try_from(maps.len()).unwrap_or(u32::MAX),
                ReplicaSpec::Mirror(_) => 0,
            }),
            _ => None,
        };
        self.run(AdminCommand::Create {
            name: name.clone(),
            dry_run,
            timeout_ms,
            spec,
        })
        .await?;
        if let Some(n) = partitions {
            // Read your writes: producers and consumers made next find the topic.
            self.settle(move |m| {
                m.topic(&name).is_some() && m.online_partitions(&name).len() >= n as usize
            })
            .await;
        }
        Ok(())
    }

    /// Waits (bounded by the metadata timeout) until this client's metadata shows `cond`.
    async fn settle(&self, cond: impl Fn(&MetadataStore) -> bool) {
        let timeout = self.inner.lock().client.config().metadata_timeout;
        wait_metadata(&self.inner, timeout, cond).await;
    }

    /// Deletes an object.
    pub async fn delete<S: DeletableAdminSpec>(&self, key: impl Into<S::DeleteKey>) -> Result<()> {
        self.delete_object(S::delete_request(key.into(), false))
            .await
    }

    async fn delete_object(&self, req: ObjectDeleteRequest) -> Result<()> {
        let topic = match &req {
            ObjectDeleteRequest::Topic(r) => Some(r.key.clone()),
            _ => None,
        };
        self.run(AdminCommand::Delete(req)).await?;
        if let Some(name) = topic {
            self.settle(move |m| m.topic(&name).is_none()).await;
        }
        Ok(())
    }

    /// Deletes an object even if others depend on it.
    pub async fn force_delete<S: DeletableAdminSpec>(
        &self,
        key: impl Into<S::DeleteKey>,
    ) -> Result<()> {
        self.delete_object(S::delete_request(key.into(), true))
            .await
    }

    /// Updates an object (e.g. adds partitions to a topic).
    pub async fn update<S: UpdatableAdminSpec>(
        &self,
        key: impl Into<S::UpdateKey>,
        action: S::UpdateAction,
    ) -> Result<()> {
        let req = S::update_request(key.into(), action);
        let grow = match &req {
            ObjectUpdateRequest::Topic(UpdateRequest {
                key,
                action: UpdateTopicAction::AddPartition(add),
            }) => {
                let now = self.inner.lock().client.metadata().partition_count(key);
                Some((key.clone(), now.saturating_add(add.count)))
            }
            _ => None,
        };
        self.run(AdminCommand::Update(req)).await?;
        if let Some((name, n)) = grow {
            self.settle(move |m| m.online_partitions(&name).len() >= n as usize)
                .await;
        }
        Ok(())
    }

    /// Lists the objects whose name contains one of `filters` (all of them if empty).
    pub async fn list<S: AdminSpec, F: Into<String>>(
        &self,
        filters: Vec<F>,
    ) -> Result<Vec<Metadata<S>>> {
        self.list_with_params::<S, F>(filters, false).await
    }

    /// Lists with summaries (SmartModules without their WASM).
    pub async fn list_with_params<S: AdminSpec, F: Into<String>>(
        &self,
        filters: Vec<F>,
        summary: bool,
    ) -> Result<Vec<Metadata<S>>> {
        self.list_with_options::<S, F>(filters, summary, false)
            .await
    }

    /// Lists with summaries and, with `system`, the system topics and partitions too
    /// (upstream's `list_with_config(ListRequest::default().system(true))`).
    pub async fn list_with_options<S: AdminSpec, F: Into<String>>(
        &self,
        filters: Vec<F>,
        summary: bool,
        system: bool,
    ) -> Result<Vec<Metadata<S>>> {
        let out = self
            .run(AdminCommand::List {
                kind: S::KIND,
                name_filters: filters.into_iter().map(Into::into).collect(),
                summary,
                system,
            })
            .await?;
        match out {
            OpOutput::List(list) => S::from_list(list).ok_or_else(|| unexpected("list")),
            _ => Err(unexpected("list")),
        }
    }

    /// Lists with a typed request (the official `list_with_config`; `F` is the official
    /// signature's filter type, unused).
    pub async fn list_with_config<S: AdminSpec, F>(
        &self,
        config: crate::metadata::objects::ListRequest<S>,
    ) -> Result<Vec<Metadata<S>>> {
        let filters: Vec<flv_core::sc::objects::ListFilter> = config.name_filters.into();
        let names: Vec<String> = filters.into_iter().map(|f| f.name).collect();
        self.list_with_options::<S, String>(names, config.summary, config.system)
            .await
    }

    /// Every object of a kind.
    pub async fn all<S: AdminSpec>(&self) -> Result<Vec<Metadata<S>>> {
        self.list::<S, String>(Vec::new()).await
    }

    /// Stored consumer offsets.
    pub async fn list_consumer_offsets(&self) -> Result<Vec<ConsumerOffset>> {
        match self.run(AdminCommand::ListConsumerOffsets).await? {
            OpOutput::ConsumerOffsets(v) => Ok(v),
            _ => Err(unexpected("consumer offsets")),
        }
    }

    /// Deletes the stored offset of `consumer_id` on a partition.
    pub async fn delete_consumer_offset(
        &self,
        consumer_id: impl Into<String>,
        (topic, partition): (impl Into<String>, u32),
    ) -> Result<()> {
        self.run(AdminCommand::DeleteConsumerOffset {
            consumer_id: consumer_id.into(),
            topic: topic.into(),
            partition,
        })
        .await
        .map(drop)
    }

    /// Watches the objects of a kind: a stream whose first item is a full sync, then
    /// changes. Survives SC reconnects (the next item after one is a full sync again).
    pub async fn watch<S: AdminSpec>(&self) -> Result<WatchStream<S>> {
        self.watch_stream()
    }

    /// Watches topics (the official `watch_topics` of its `unstable` feature; the items
    /// are flv's [`MetadataUpdate`]s). Ends at once if the client is closed.
    pub fn watch_topics(&self) -> WatchStream<TopicSpec> {
        self.watch_or_end()
    }

    /// Watches partitions (see [`watch_topics`](Self::watch_topics)).
    pub fn watch_partitions(&self) -> WatchStream<PartitionSpec> {
        self.watch_or_end()
    }

    /// Watches SPUs (see [`watch_topics`](Self::watch_topics)).
    pub fn watch_spus(&self) -> WatchStream<SpuSpec> {
        self.watch_or_end()
    }

    fn watch_or_end<S: AdminSpec>(&self) -> WatchStream<S> {
        self.watch_stream().unwrap_or_else(|_| WatchStream {
            inner: self.inner.clone(),
            op: None,
            ended: true,
            _spec: PhantomData,
        })
    }

    /// [`watch`](Self::watch) without the `async` (for callers outside an async context).
    pub fn watch_stream<S: AdminSpec>(&self) -> Result<WatchStream<S>> {
        let op = {
            let mut st = self.inner.lock();
            if st.closed {
                return Err(Error::Closed);
            }
            let now = st.now();
            let op = st.client.watch(S::KIND, now);
            st.watches.insert(op, Default::default());
            op
        };
        self.inner.wake();
        Ok(WatchStream {
            inner: self.inner.clone(),
            op: Some(op),
            ended: false,
            _spec: PhantomData,
        })
    }
}

fn unexpected(what: &str) -> Error {
    Error::Client(ClientError::Protocol {
        peer: Peer::Sc,
        message: format!("unexpected answer to a {what} request"),
        source: None,
    })
}

/// Updates of one object kind (see [`FluvioAdmin::watch`]).
#[derive(Debug)]
pub struct WatchStream<S> {
    inner: Inner,
    /// `None` for a stream that never started.
    op: Option<OpId>,
    ended: bool,
    _spec: PhantomData<fn() -> S>,
}

impl<S: AdminSpec> Stream for WatchStream<S> {
    type Item = Result<MetadataUpdate<S>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(op) = this.op.filter(|_| !this.ended) else {
            return Poll::Ready(None);
        };
        let mut st = this.inner.lock();
        if st.closed {
            this.ended = true;
            return Poll::Ready(None);
        }
        loop {
            match st.client.poll_watch(op) {
                Some(WatchEvent::Update(u)) => match S::from_watch(u) {
                    Some(u) => return Poll::Ready(Some(Ok(u))),
                    None => continue,
                },
                // Dropped updates: the next full sync restores the state; keep going.
                Some(WatchEvent::Lagged { .. }) => continue,
                Some(WatchEvent::Error(e)) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(st.error(e))));
                }
                Some(_) => continue,
                None => {
                    st.watches.entry(op).or_default().register(cx);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S> Drop for WatchStream<S> {
    fn drop(&mut self) {
        let Some(op) = self.op else {
            return;
        };
        {
            let mut st = self.inner.lock();
            st.watches.remove(&op);
            st.client.close_watch(op);
        }
        self.inner.wake();
    }
}
