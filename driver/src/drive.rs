//! The driver task: owns the sockets and runs the core's drive loop.
//!
//! One task per client runs [`run`], in turns. A turn feeds the core, under one lock,
//! everything that happened since the last one (bytes read, connections ended, dial
//! results, wakes from the user handles, the core's deadline), then drains the core's
//! outputs: socket commands (dials are spawned, closes drop the connection), bytes
//! (queued on their connection) and events (completing the futures and waking the
//! streams of the user handles). Between turns the task polls, without the lock, every
//! connection itself (writes the queued frames with vectored writes, reads into the
//! connection's buffer), its input channel and its timer, until one of them has news.
//! No reader or writer tasks: a request costs no task hop between the core and the
//! socket.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flv_core::client::{ConnId, Event, IoCommand, Peer};
use flv_core::time::Instant as CoreInstant;
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};

use crate::error::{DriverCause, Error};
use crate::runtime::Runtime;
use crate::shared::{Input, Phase, Shared, State};
use crate::tls::TlsConnector;
use crate::transport::{ConnectError, Transport, connect_with};

/// Bytes read per read call (one buffer per connection).
const READ_BUF: usize = 128 * 1024;
/// Most frames handed to one vectored write.
const MAX_IOV: usize = 64;
/// How long a shutdown waits for producers to flush and consumers to store offsets.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often the wall clock is handed to the core again.
const WALL_CLOCK_REFRESH: Duration = Duration::from_secs(60);

type Tx<R> = async_channel::Sender<Input<Transport<<R as Runtime>::Tcp>>>;

/// One connected socket, polled by the driver task itself.
struct Conn<T> {
    peer: Peer,
    io: T,
    /// Frames not fully written yet; `written` bytes of the first one are.
    out: VecDeque<Bytes>,
    written: usize,
    /// Bytes were written since the last flush.
    unflushed: bool,
    buf: Box<[u8]>,
    /// Bytes read into `buf`, not fed to the core yet.
    filled: usize,
    /// The connection ended: end of stream (`None`) or an I/O error.
    ended: Option<Option<io::Error>>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Conn<T> {
    fn new(peer: Peer, io: T) -> Self {
        Self {
            peer,
            io,
            out: VecDeque::new(),
            written: 0,
            unflushed: false,
            buf: vec![0u8; READ_BUF].into_boxed_slice(),
            filled: 0,
            ended: None,
        }
    }

    /// Writes queued frames until done or the socket is full (then `cx` is woken when
    /// it has room), and flushes.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while !self.out.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let mut n = 0;
            for (i, frame) in self.out.iter().take(MAX_IOV).enumerate() {
                let from = if i == 0 { self.written } else { 0 };
                slices[i] = IoSlice::new(&frame[from..]);
                n = i + 1;
            }
            match Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..n]) {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(mut done)) => {
                    self.unflushed = true;
                    while done > 0 {
                        let Some(front) = self.out.front() else {
                            break;
                        };
                        let left = front.len() - self.written;
                        if done >= left {
                            done -= left;
                            self.written = 0;
                            self.out.pop_front();
                        } else {
                            self.written += done;
                            done = 0;
                        }
                    }
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(()),
            }
        }
        if self.unflushed {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => {}
            }
        }
        Ok(())
    }

    /// Writes, then reads into the buffer if it is free (calling `after_read` when bytes
    /// came); `true` if the connection has news for the core (bytes, or its end).
    fn poll_io(&mut self, cx: &mut Context<'_>, after_read: impl Fn(&T)) -> bool {
        if self.ended.is_some() {
            return true;
        }
        if let Err(e) = self.poll_send(cx) {
            self.ended = Some(Some(e));
            return true;
        }
        if self.filled > 0 {
            return true;
        }
        loop {
            match Pin::new(&mut self.io).poll_read(cx, &mut self.buf) {
                Poll::Ready(Ok(0)) => self.ended = Some(None),
                Poll::Ready(Ok(n)) => {
                    self.filled = n;
                    after_read(&self.io);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(e)) => self.ended = Some(Some(e)),
                Poll::Pending => return false,
            }
            return true;
        }
    }

    /// Starts closing the socket (best effort: a TLS close_notify, a TCP FIN) before it
    /// is dropped.
    fn close(mut self) {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let _ = self.poll_send(&mut cx);
        let _ = Pin::new(&mut self.io).poll_close(&mut cx);
    }
}

/// Milliseconds since the Unix epoch now.
pub(crate) fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The driver loop of one client; ends after a shutdown (or when every sender is gone).
pub(crate) async fn run<R: Runtime>(
    rt: R,
    shared: Arc<Shared<Transport<R::Tcp>>>,
    tx: Tx<R>,
    rx: async_channel::Receiver<Input<Transport<R::Tcp>>>,
    tls: Option<Arc<TlsConnector>>,
) {
    let mut dialing: HashMap<ConnId, Peer> = HashMap::new();
    let mut conns: HashMap<ConnId, Conn<Transport<R::Tcp>>> = HashMap::new();
    let mut inputs: Vec<Input<Transport<R::Tcp>>> = Vec::new();
    let mut sleep: Option<(CoreInstant, R::Sleep)> = None;
    let mut shutdown_at: Option<CoreInstant> = None;
    let mut wall_at = rt.now();
    let mut rx = pin!(rx);
    loop {
        shared.clear_wake();
        let mut commands = Vec::new();
        let (deadline, exit) = {
            let mut guard = shared.lock();
            let st = &mut *guard;
            st.counters.wakeups += 1;
            let now = st.now();
            if rt.now().saturating_duration_since(wall_at) >= WALL_CLOCK_REFRESH {
                wall_at = rt.now();
                st.client.handle_wall_clock(unix_ms(), now);
            }
            for input in inputs.drain(..) {
                match input {
                    Input::Wake => {}
                    Input::Dialed(conn, Ok(transport)) => match dialing.remove(&conn) {
                        Some(peer) => {
                            tracing::info!(%conn, %peer, "connection open");
                            conns.insert(conn, Conn::new(peer, transport));
                            st.client.handle_connected(conn, now);
                        }
                        None => drop(transport),
                    },
                    Input::Dialed(conn, Err(error)) => {
                        if let Some(peer) = dialing.remove(&conn) {
                            st.dial_failed(conn, peer, error, now);
                        }
                    }
                    Input::Shutdown => {
                        if shutdown_at.is_none() {
                            st.closing = true;
                            shutdown_at = Some(now + SHUTDOWN_GRACE);
                        }
                    }
                }
            }
            // What the connections read, then how they ended.
            for (id, c) in &mut conns {
                if c.filled > 0 {
                    st.client.handle_bytes(*id, &c.buf[..c.filled], now);
                    c.filled = 0;
                }
            }
            let ended: Vec<ConnId> = conns
                .iter()
                .filter(|(_, c)| c.ended.is_some())
                .map(|(id, _)| *id)
                .collect();
            for id in ended {
                if let Some(c) = conns.remove(&id) {
                    st.conn_ended(id, c.peer, c.ended.flatten(), now);
                }
            }
            if st.client.poll_timeout().is_some_and(|t| t <= now) {
                st.client.handle_timeout(now);
            }
            drain(st, &mut conns, &mut commands);
            let exit = shutdown_at.is_some_and(|at| {
                (st.closing_flushes.is_empty() && st.closing_ops.is_empty()) || at <= now
            });
            if exit {
                st.fail_all();
            }
            let meta = st.wake_meta_waiters();
            let deadline = [st.client.poll_timeout(), shutdown_at, meta]
                .into_iter()
                .flatten()
                .min();
            st.driver_deadline = deadline;
            (deadline, exit)
        };
        if exit {
            for (_, c) in conns.drain() {
                c.close();
            }
            return;
        }
        for cmd in commands {
            match cmd {
                IoCommand::Connect {
                    conn,
                    addr,
                    server_name,
                    peer,
                } => {
                    dialing.insert(conn, peer);
                    let span = tracing::info_span!("connect", %conn, %peer, %addr, tls = server_name.is_some());
                    tracing::debug!(parent: &span, "dialing");
                    let (rt2, tls, tx) = (rt.clone(), tls.clone(), tx.clone());
                    rt.spawn(tracing::Instrument::instrument(
                        async move {
                            let result =
                                connect_with(&rt2, &addr, tls.as_deref(), server_name.as_deref())
                                    .await;
                            let _ = tx.send(Input::Dialed(conn, result)).await;
                        },
                        span,
                    ));
                }
                IoCommand::Close { conn } => {
                    tracing::debug!(%conn, "closing connection");
                    dialing.remove(&conn);
                    if let Some(c) = conns.remove(&conn) {
                        c.close();
                    }
                }
            }
        }
        match deadline {
            Some(d) if sleep.as_ref().map(|s| s.0) != Some(d) => {
                let at = shared.lock().clock.to_std(d);
                sleep = Some((d, rt.sleep_until(at)));
            }
            Some(_) => {}
            None => sleep = None,
        }
        // Poll the sockets, the channel and the timer until one of them has news.
        let senders_gone = std::future::poll_fn(|cx| {
            let mut news = false;
            for c in conns.values_mut() {
                // A failed quickack only costs latency: nothing to report.
                news |= c.poll_io(cx, |t| drop(rt.quickack(t.tcp())));
            }
            loop {
                match rx.as_mut().poll_next(cx) {
                    Poll::Ready(Some(input)) => {
                        inputs.push(input);
                        news = true;
                    }
                    Poll::Ready(None) => return Poll::Ready(true),
                    Poll::Pending => break,
                }
            }
            if let Some((_, timer)) = sleep.as_mut()
                && Pin::new(timer).poll(cx).is_ready()
            {
                sleep = None;
                news = true;
            }
            if news {
                Poll::Ready(false)
            } else {
                Poll::Pending
            }
        })
        .await;
        if senders_gone {
            shared.lock().fail_all();
            return;
        }
    }
}

/// Drains the core: socket commands (returned), bytes (to the writers), events (to the
/// handles).
fn drain<T: AsyncRead + AsyncWrite + Unpin>(
    st: &mut State,
    conns: &mut HashMap<ConnId, Conn<T>>,
    commands: &mut Vec<IoCommand>,
) {
    loop {
        let mut progress = false;
        while let Some(cmd) = st.client.poll_io() {
            progress = true;
            if let IoCommand::Connect { peer, .. } = &cmd
                && !st.counters.peers.insert(*peer)
            {
                st.counters.reconnects += 1;
            }
            if let IoCommand::Close { conn } = &cmd {
                // Drop the connection now so later bytes for this id go nowhere.
                if let Some(c) = conns.remove(conn) {
                    c.close();
                }
            }
            commands.push(cmd);
        }
        while let Some((conn, bytes)) = st.client.poll_transmit() {
            progress = true;
            if let Some(c) = conns.get_mut(&conn) {
                c.out.push_back(bytes);
            }
        }
        while let Some(event) = st.client.poll_event() {
            progress = true;
            dispatch(st, event);
        }
        if !progress {
            break;
        }
    }
}

impl State {
    /// Reports to the core that dialing `conn` failed, with the typed cause.
    pub(crate) fn dial_failed(
        &mut self,
        conn: ConnId,
        peer: Peer,
        error: ConnectError,
        now: CoreInstant,
    ) {
        match error.tls_failure() {
            Some(tls) => {
                tracing::warn!(%conn, %peer, side = tls.side(), %tls, "TLS handshake failed")
            }
            None => tracing::warn!(%conn, %peer, reason = %error, "connect failed"),
        }
        let failure = DriverCause::connect_failure(error);
        self.client.handle_connect_failed(conn, failure, now);
    }

    /// Reports to the core that the open connection `conn` ended: closed cleanly by the
    /// server (`error` is `None`) or failed with an I/O or TLS error.
    pub(crate) fn conn_ended(
        &mut self,
        conn: ConnId,
        peer: Peer,
        error: Option<io::Error>,
        now: CoreInstant,
    ) {
        match error {
            Some(e) => {
                tracing::warn!(%conn, %peer, error = %e, "connection lost");
                self.client
                    .handle_failed(conn, DriverCause::io_failure(e), now);
            }
            None => {
                tracing::info!(%conn, %peer, "connection closed by the server");
                self.client.handle_closed(conn, now);
            }
        }
    }
}

/// Completes the futures and wakes the streams an event concerns.
fn dispatch(st: &mut State, event: Event) {
    match event {
        Event::MetadataReady => {
            tracing::debug!("cluster metadata synced");
            if let Phase::Connecting(waker) = &mut st.phase {
                let waker = waker.take();
                st.phase = Phase::Ready;
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
        Event::ProducerCreated { producer, result } => {
            let result = result.map_err(|e| st.error(e));
            st.created.complete(producer, result);
        }
        Event::ProducerReady { producer } => {
            if let Some(n) = st.producers.get_mut(&producer) {
                n.notify();
            }
        }
        Event::Delivered {
            producer,
            partition,
            base_offset,
            sends,
            ..
        } => {
            if let Some(d) = st.deliveries.get(&producer) {
                d.resolve(&sends, partition, base_offset, None);
            }
        }
        Event::SendFailed {
            producer,
            partition,
            sends,
            error,
        } => {
            tracing::warn!(%producer, partition, records = sends.len(), %error, "records not delivered");
            if let Some(d) = st.deliveries.get(&producer) {
                d.resolve(&sends, partition, 0, Some(&error));
            }
        }
        Event::Flushed {
            producer,
            flush,
            result,
        } => {
            if st.closing_flushes.remove(&flush) {
                // The closing flush: every record of the producer is resolved.
                st.deliveries.remove(&producer);
            }
            st.flushes.complete(flush, result.map_err(Error::from));
        }
        Event::ConsumerReady { consumer } => {
            if let Some(n) = st.consumers.get_mut(&consumer) {
                n.notify();
            }
        }
        Event::OffsetsFlushed { op, result, .. } => {
            st.closing_ops.remove(&op);
            let result = result.map_err(|e| st.error(e));
            st.offset_flushes.complete(op, result);
        }
        Event::OpDone { op, result } => {
            let result = result.map_err(|e| st.error(e));
            st.ops.complete(op, result);
        }
        Event::WatchReady { op } => {
            if let Some(n) = st.watches.get_mut(&op) {
                n.notify();
            }
        }
        Event::Error(error) => {
            tracing::warn!(%error, "client error");
            if let Phase::Connecting(waker) = &mut st.phase {
                let waker = waker.take();
                let error = st.error(error);
                st.phase = Phase::Failed(Some(error));
                if let Some(w) = waker {
                    w.wake();
                }
            }
        }
        _ => {}
    }
}

/// A future that is ready once the initial connection is up (or failed).
pub(crate) fn wait_connected(
    inner: crate::shared::Inner,
) -> impl Future<Output = Result<(), Error>> + Send {
    std::future::poll_fn(move |cx| {
        let mut st = inner.lock();
        match &mut st.phase {
            Phase::Ready => Poll::Ready(Ok(())),
            Phase::Failed(e) => Poll::Ready(Err(e.take().unwrap_or(Error::Closed))),
            Phase::Connecting(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use flv_core::client::{AdminCommand, Client, ClientConfig, ClientError, OpOutput};
    use flv_core::sc::objects::ObjectSpec;
    use flv_core::sc::topic::TopicSpec;

    use super::*;
    use crate::runtime::Clock;
    use crate::tls::TlsFailure;

    fn connect_cmd(st: &mut State) -> ConnId {
        loop {
            match st.client.poll_io() {
                Some(IoCommand::Connect { conn, .. }) => return conn,
                Some(_) => {}
                None => panic!("no connect command"),
            }
        }
    }

    /// The issue-16 defect: the driver kept each server's last transport failure in a side
    /// table and explained every later "connection closed" of that server with it. A dial
    /// that fails with TLS, then a reconnect that the server closes cleanly with a request
    /// in flight: that request fails as closed, not as TLS.
    #[test]
    fn clean_close_after_a_tls_failure_is_reported_as_closed() {
        let t0 = CoreInstant::ZERO;
        let clock = Clock::new(std::time::Instant::now());
        let mut st = State::new(Client::new(ClientConfig::new("sc:9003"), t0), clock);
        let first = connect_cmd(&mut st);
        let tls = ConnectError::Tls {
            addr: "sc:9003".into(),
            server_name: "sc".into(),
            failure: TlsFailure::UnknownCa,
        };
        st.dial_failed(first, Peer::Sc, tls, t0);
        let reported = std::iter::from_fn(|| st.client.poll_event())
            .find_map(|e| match e {
                Event::Error(e) => Some(e),
                _ => None,
            })
            .expect("the failed dial is reported");
        let err = st.error(reported);
        assert_eq!(err.tls_failure(), Some(&TlsFailure::UnknownCa), "{err:?}");
        // The reconnect, once the backoff is over.
        let later = st.client.poll_timeout().expect("a reconnect is scheduled");
        st.client.handle_timeout(later);
        let second = connect_cmd(&mut st);
        assert_ne!(first, second);
        let create = AdminCommand::Create {
            name: "t".into(),
            dry_run: false,
            timeout_ms: None,
            spec: ObjectSpec::Topic(TopicSpec::computed(1, 1)),
        };
        let op = st.client.admin(create, later);
        st.conn_ended(second, Peer::Sc, None, later);
        let result = std::iter::from_fn(|| st.client.poll_event())
            .find_map(|e| match e {
                Event::OpDone { op: o, result } if o == op => Some(result),
                _ => None,
            })
            .expect("the request in flight is failed");
        let err = st.error(result.map(|_: OpOutput| ()).expect_err("failed"));
        assert!(err.tls_failure().is_none(), "reported as TLS: {err:?}");
        assert!(
            matches!(
                err.client_error(),
                Some(ClientError::ConnectionClosed { peer: Peer::Sc })
            ),
            "{err:?}"
        );
    }
}
