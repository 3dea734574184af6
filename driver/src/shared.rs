//! The state shared by the driver task and the user handles: the core's `Client` and the
//! wakers of everything waiting on it, behind one `std::sync::Mutex` held only briefly
//! (never across an await).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use flv_core::client::{Client, ConsumerId, FlushId, OpId, OpOutput, Peer, ProducerId};
use flv_core::time::Instant as CoreInstant;

use crate::delivery::Deliveries;
use crate::error::{Error, from_client};
use crate::runtime::Clock;

/// One awaited result.
#[derive(Debug)]
enum Slot<T> {
    Waiting(Option<Waker>),
    Done(T),
}

/// A hasher for the core's ids (sequential integers, not chosen by peers): one folded
/// multiply instead of SipHash, which dominated `send` and `ProduceOutput::wait` with a
/// million records waiting.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        let m = u128::from(self.0) * 0x9e37_79b9_7f4a_7c15;
        // Fold the high half in, so the low bits (the bucket index) depend on every bit.
        (m as u64) ^ ((m >> 64) as u64)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(29) ^ n;
    }
}

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Results awaited by key: registered before the core can answer (under the same lock), so
/// no answer is missed.
#[derive(Debug)]
pub(crate) struct Slots<K, T> {
    map: IdMap<K, Slot<T>>,
}

impl<K, T> Default for Slots<K, T> {
    fn default() -> Self {
        Self {
            map: IdMap::default(),
        }
    }
}

impl<K: Hash + Eq + Copy, T> Slots<K, T> {
    /// Starts waiting for `key`.
    pub(crate) fn insert(&mut self, key: K) {
        self.map.insert(key, Slot::Waiting(None));
    }

    /// Completes `key` (ignored if nobody waits for it).
    pub(crate) fn complete(&mut self, key: K, value: T) {
        if let Some(slot) = self.map.get_mut(&key)
            && let Slot::Waiting(Some(w)) = std::mem::replace(slot, Slot::Done(value))
        {
            w.wake();
        }
    }

    /// Takes the result of `key`, or registers the waker. `None` if `key` is unknown.
    pub(crate) fn poll(&mut self, key: K, cx: &Context<'_>) -> Option<Poll<T>> {
        match self.map.get_mut(&key)? {
            Slot::Waiting(waker) => {
                match waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Some(Poll::Pending)
            }
            Slot::Done(_) => match self.map.remove(&key) {
                Some(Slot::Done(v)) => Some(Poll::Ready(v)),
                _ => None,
            },
        }
    }

    /// Stops waiting for `key`.
    pub(crate) fn remove(&mut self, key: K) {
        self.map.remove(&key);
    }

    /// Completes every waiting key with `f()`.
    pub(crate) fn fail_all(&mut self, f: impl Fn() -> T) {
        for slot in self.map.values_mut() {
            if let Slot::Waiting(waker) = slot {
                let waker = waker.take();
                *slot = Slot::Done(f());
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
    }
}

/// Wakers of a stream-like handle (consumer, watch, blocked producer).
#[derive(Debug, Default)]
pub(crate) struct Notify {
    /// Bumped on every notification, so a waiter can tell one happened.
    pub(crate) generation: u64,
    wakers: Vec<Waker>,
}

impl Notify {
    /// Registers `cx`'s waker.
    pub(crate) fn register(&mut self, cx: &Context<'_>) {
        if !self.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            self.wakers.push(cx.waker().clone());
        }
    }

    /// Wakes every registered waker.
    pub(crate) fn notify(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        for w in self.wakers.drain(..) {
            w.wake();
        }
    }
}

/// Where the initial connection stands.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Waiting for the metadata.
    Connecting(Option<Waker>),
    /// Connected once.
    Ready,
    /// The first connection failed (taken by `connect`).
    Failed(Option<Error>),
}

/// Counters of the driver itself.
#[derive(Debug, Default, Clone)]
pub(crate) struct DriverCounters {
    pub(crate) wakeups: u64,
    pub(crate) reconnects: u64,
    pub(crate) peers: HashSet<Peer>,
}

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) client: Client,
    pub(crate) clock: Clock,
    pub(crate) phase: Phase,
    /// Outcome slots of the records of each producer (see [`Deliveries`]); dropped after
    /// the producer's closing flush.
    pub(crate) deliveries: HashMap<ProducerId, Arc<Deliveries>>,
    pub(crate) flushes: Slots<FlushId, Result<(), Error>>,
    pub(crate) created: Slots<ProducerId, Result<(), Error>>,
    pub(crate) ops: Slots<OpId, Result<OpOutput, Error>>,
    pub(crate) offset_flushes: Slots<OpId, Result<(), Error>>,
    /// Blocked producers waiting for room.
    pub(crate) producers: HashMap<ProducerId, Notify>,
    /// Live producers (closed when the client closes).
    pub(crate) live_producers: HashSet<ProducerId>,
    pub(crate) consumers: HashMap<ConsumerId, Notify>,
    pub(crate) watches: HashMap<OpId, Notify>,
    /// Close flushes of dropped producers, awaited before shutting down.
    pub(crate) closing_flushes: HashSet<FlushId>,
    /// Offset flushes of closed consumers, awaited before shutting down.
    pub(crate) closing_ops: HashSet<OpId>,
    /// Shutdown was asked for.
    pub(crate) closing: bool,
    /// The driver task ended: every later operation fails with `Closed`.
    pub(crate) closed: bool,
    pub(crate) done: Notify,
    pub(crate) counters: DriverCounters,
    /// Handles waiting for a metadata condition, with their deadline: woken on every
    /// driver turn (and at the deadline) to check again.
    pub(crate) meta_waiters: Vec<(CoreInstant, Waker)>,
    /// The core deadline the driver sleeps until (`None`: none), set at the end of each
    /// driver turn: see [`State::needs_drive`].
    pub(crate) driver_deadline: Option<CoreInstant>,
}

impl State {
    pub(crate) fn new(client: Client, clock: Clock) -> Self {
        Self {
            client,
            clock,
            phase: Phase::Connecting(None),
            deliveries: HashMap::new(),
            flushes: Slots::default(),
            created: Slots::default(),
            ops: Slots::default(),
            offset_flushes: Slots::default(),
            producers: HashMap::new(),
            live_producers: HashSet::new(),
            consumers: HashMap::new(),
            watches: HashMap::new(),
            closing_flushes: HashSet::new(),
            closing_ops: HashSet::new(),
            closing: false,
            closed: false,
            done: Notify::default(),
            counters: DriverCounters::default(),
            meta_waiters: Vec::new(),
            driver_deadline: None,
        }
    }

    /// Whether the driver must take a turn after a user call changed the core: it has
    /// outputs to drain, or its next deadline moved before the one the driver sleeps
    /// until. Most sends into a batch that is not sent yet need neither, so a burst of
    /// sends does not bounce the lock between the sender and the driver.
    pub(crate) fn needs_drive(&self) -> bool {
        if self.client.has_output() {
            return true;
        }
        match (self.client.poll_timeout(), self.driver_deadline) {
            (Some(t), Some(d)) => t < d,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// The core's current time (read under the lock, so it never goes backwards).
    pub(crate) fn now(&self) -> CoreInstant {
        self.clock.to_core(std::time::Instant::now())
    }

    /// The user error for a core error (transport failures carry their driver cause).
    pub(crate) fn error(&self, e: flv_core::client::ClientError) -> Error {
        from_client(e)
    }

    /// Fails everything still waiting: the client is gone.
    pub(crate) fn fail_all(&mut self) {
        self.closed = true;
        for d in self.deliveries.values() {
            d.fail_all();
        }
        self.flushes.fail_all(|| Err(Error::Closed));
        self.created.fail_all(|| Err(Error::Closed));
        self.ops.fail_all(|| Err(Error::Closed));
        self.offset_flushes.fail_all(|| Err(Error::Closed));
        for n in self.producers.values_mut() {
            n.notify();
        }
        for n in self.consumers.values_mut() {
            n.notify();
        }
        for n in self.watches.values_mut() {
            n.notify();
        }
        if let Phase::Connecting(w) = &mut self.phase {
            let w = w.take();
            self.phase = Phase::Failed(Some(Error::Closed));
            if let Some(w) = w {
                w.wake();
            }
        }
        self.done.notify();
        for (_, w) in self.meta_waiters.drain(..) {
            w.wake();
        }
    }

    /// Wakes the metadata waiters; returns their earliest deadline.
    pub(crate) fn wake_meta_waiters(&mut self) -> Option<CoreInstant> {
        let deadline = self.meta_waiters.iter().map(|w| w.0).min();
        for (_, w) in self.meta_waiters.drain(..) {
            w.wake();
        }
        deadline
    }
}

/// Waits until `cond` holds on the client's metadata, or until `timeout` passed (then
/// returns `false`), or the client closed.
pub(crate) async fn wait_metadata(
    inner: &Inner,
    timeout: std::time::Duration,
    cond: impl Fn(&flv_core::client::MetadataStore) -> bool,
) -> bool {
    let deadline = inner.lock().now() + timeout;
    std::future::poll_fn(|cx| {
        let mut st = inner.lock();
        if cond(st.client.metadata()) {
            return Poll::Ready(true);
        }
        if st.closed || st.now() >= deadline {
            return Poll::Ready(false);
        }
        st.meta_waiters.push((deadline, cx.waker().clone()));
        Poll::Pending
    })
    .await
}

/// An input of the driver task.
#[derive(Debug)]
pub(crate) enum Input<T> {
    /// A user command changed the client: drain its outputs.
    Wake,
    /// A dial finished.
    Dialed(
        flv_core::client::ConnId,
        Result<T, crate::transport::ConnectError>,
    ),
    /// Every handle is gone, or `close` was called.
    Shutdown,
}

/// The state and the way to wake the driver.
pub(crate) struct Shared<T> {
    state: Mutex<State>,
    tx: async_channel::Sender<Input<T>>,
    wake_pending: AtomicBool,
}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl<T> Shared<T> {
    pub(crate) fn new(state: State, tx: async_channel::Sender<Input<T>>) -> Self {
        Self {
            state: Mutex::new(state),
            tx,
            wake_pending: AtomicBool::new(false),
        }
    }

    /// Locks the state (a poisoned lock is used anyway: the state stays consistent between
    /// core calls).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the driver to drain the client's outputs; wakes already pending are merged.
    pub(crate) fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            let _ = self.tx.try_send(Input::Wake);
        }
    }

    /// Called by the driver before it drains: later commands wake it again.
    pub(crate) fn clear_wake(&self) {
        self.wake_pending.store(false, Ordering::Release);
    }

    /// Asks the driver to shut down.
    pub(crate) fn shutdown(&self) {
        let _ = self.tx.try_send(Input::Shutdown);
    }
}

/// The part of the shared state the handles see, with the transport type erased.
pub(crate) trait Handle: Send + Sync + std::fmt::Debug {
    fn lock(&self) -> MutexGuard<'_, State>;
    fn wake(&self);
    fn shutdown(&self);
}

impl<T: Send + 'static> Handle for Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State> {
        Shared::lock(self)
    }
    fn wake(&self) {
        Shared::wake(self)
    }
    fn shutdown(&self) {
        Shared::shutdown(self)
    }
}

/// What every user handle holds: the shared state, and a token whose last drop shuts the
/// client down.
#[derive(Debug, Clone)]
pub(crate) struct Inner {
    pub(crate) shared: Arc<dyn Handle>,
    _token: Arc<Token>,
}

#[derive(Debug)]
struct Token(Arc<dyn Handle>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

impl Inner {
    pub(crate) fn new(shared: Arc<dyn Handle>) -> Self {
        Self {
            _token: Arc::new(Token(Arc::clone(&shared))),
            shared,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    pub(crate) fn wake(&self) {
        self.shared.wake();
    }
}

/// A future of one slot of the state; dropping it stops waiting (a late answer is ignored).
pub(crate) struct SlotFuture<K: Hash + Eq + Copy, T> {
    inner: Inner,
    key: K,
    slots: fn(&mut State) -> &mut Slots<K, Result<T, Error>>,
    done: bool,
}

impl<K: Hash + Eq + Copy + std::fmt::Debug, T> std::fmt::Debug for SlotFuture<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotFuture")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Copy, T> SlotFuture<K, T> {
    /// Waits for `key` in the slots that `slots` selects (registered already).
    pub(crate) fn new(
        inner: Inner,
        key: K,
        slots: fn(&mut State) -> &mut Slots<K, Result<T, Error>>,
    ) -> Self {
        Self {
            inner,
            key,
            slots,
            done: false,
        }
    }
}

impl<K: Hash + Eq + Copy + Unpin, T> Future for SlotFuture<K, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut st = this.inner.lock();
        let closed = st.closed;
        match (this.slots)(&mut st).poll(this.key, cx) {
            Some(Poll::Ready(v)) => {
                this.done = true;
                Poll::Ready(v)
            }
            Some(Poll::Pending) if !closed => Poll::Pending,
            _ => {
                this.done = true;
                Poll::Ready(Err(Error::Closed))
            }
        }
    }
}

impl<K: Hash + Eq + Copy, T> Drop for SlotFuture<K, T> {
    fn drop(&mut self) {
        if !self.done {
            let mut st = self.inner.lock();
            (self.slots)(&mut st).remove(self.key);
        }
    }
}
