//! The driver task: owns the sockets and runs the core's drive loop.
//!
//! One task per client runs [`run`]. It waits for the first of: an input on its channel
//! (bytes or a close from a reader task, a dial result, a wake from a user handle) or the
//! core's next deadline; then takes every other input already queued, feeds them all to the
//! core under one lock, and drains the core's outputs: socket commands (dials are spawned,
//! closes drop the connection's tasks), bytes (queued to the connection's writer task) and
//! events (completing the futures and waking the streams of the user handles).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flv_core::client::{ConnId, Event, IoCommand, Peer, RecordMetadata};
use flv_core::time::Instant as CoreInstant;
use futures_io::{AsyncRead, AsyncWrite};
use futures_util::future::{Either, select};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, TransportFailure};
use crate::runtime::Runtime;
use crate::shared::{Input, Phase, Shared, State};
use crate::tls::TlsConnector;
use crate::transport::{Transport, connect_with};

/// Bytes read per read call.
const READ_BUF: usize = 64 * 1024;
/// Most bytes a writer gathers into one write.
const WRITE_GATHER: usize = 256 * 1024;
/// How long a shutdown waits for producers to flush and consumers to store offsets.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How often the wall clock is handed to the core again.
const WALL_CLOCK_REFRESH: Duration = Duration::from_secs(60);

type Tx<R> = async_channel::Sender<Input<Transport<<R as Runtime>::Tcp>>>;

/// The tasks of one connection: dropping this stops them and closes the socket.
struct ConnIo {
    peer: Peer,
    writer: async_channel::Sender<Bytes>,
    _stop: async_channel::Sender<()>,
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
    let mut conns: HashMap<ConnId, ConnIo> = HashMap::new();
    let mut inputs: Vec<Input<Transport<R::Tcp>>> = Vec::new();
    let mut sleep: Option<(CoreInstant, R::Sleep)> = None;
    let mut shutdown_at: Option<CoreInstant> = None;
    let mut wall_at = rt.now();
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
                            let io = start_conn::<R>(&rt, conn, peer, transport, &tx);
                            conns.insert(conn, io);
                            st.client.handle_connected(conn, now);
                        }
                        None => drop(transport),
                    },
                    Input::Dialed(conn, Err(error)) => {
                        if let Some(peer) = dialing.remove(&conn) {
                            let reason = error.to_string();
                            st.failures
                                .insert(peer, TransportFailure::Connect(Arc::new(error)));
                            st.client.handle_connect_failed(conn, reason, now);
                        }
                    }
                    Input::Bytes(conn, bytes) => {
                        if conns.contains_key(&conn) {
                            st.client.handle_bytes(conn, &bytes, now);
                        }
                    }
                    Input::Closed(conn, error) => {
                        if let Some(io) = conns.remove(&conn) {
                            if let Some(e) = error {
                                st.failures.insert(io.peer, TransportFailure::from_io(e));
                            }
                            st.client.handle_closed(conn, now);
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
            // Dropping the connections stops their tasks and closes the sockets.
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
                    let (rt2, tls, tx) = (rt.clone(), tls.clone(), tx.clone());
                    rt.spawn(async move {
                        let result =
                            connect_with(&rt2, &addr, tls.as_deref(), server_name.as_deref()).await;
                        let _ = tx.send(Input::Dialed(conn, result)).await;
                    });
                }
                IoCommand::Close { conn } => {
                    dialing.remove(&conn);
                    conns.remove(&conn);
                }
            }
        }
        // Wait for an input or the deadline.
        let first = match deadline {
            None => rx.recv().await.ok(),
            Some(d) => {
                if sleep.as_ref().map(|s| s.0) != Some(d) {
                    let at = shared.lock().clock.to_std(d);
                    sleep = Some((d, rt.sleep_until(at)));
                }
                match sleep.as_mut() {
                    Some((_, timer)) => match select(pin!(rx.recv()), timer).await {
                        Either::Left((input, _)) => input.ok(),
                        Either::Right(((), _)) => {
                            sleep = None;
                            Some(Input::Wake)
                        }
                    },
                    None => rx.recv().await.ok(),
                }
            }
        };
        let Some(first) = first else {
            shared.lock().fail_all();
            return;
        };
        inputs.push(first);
        while let Ok(more) = rx.try_recv() {
            inputs.push(more);
        }
    }
}

/// Drains the core: socket commands (returned), bytes (to the writers), events (to the
/// handles).
fn drain(st: &mut State, conns: &mut HashMap<ConnId, ConnIo>, commands: &mut Vec<IoCommand>) {
    loop {
        let mut progress = false;
        while let Some(cmd) = st.client.poll_io() {
            progress = true;
            if let IoCommand::Connect { peer, .. } = &cmd {
                if !st.counters.peers.insert(*peer) {
                    st.counters.reconnects += 1;
                }
            }
            if let IoCommand::Close { conn } = &cmd {
                // Drop the writer now so later bytes for this id go nowhere.
                conns.remove(conn);
            }
            commands.push(cmd);
        }
        while let Some((conn, bytes)) = st.client.poll_transmit() {
            progress = true;
            if let Some(io) = conns.get(&conn) {
                let _ = io.writer.try_send(bytes);
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

/// Completes the futures and wakes the streams an event concerns.
fn dispatch(st: &mut State, event: Event) {
    match event {
        Event::MetadataReady => {
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
            partition,
            base_offset,
            sends,
            ..
        } => {
            for (i, send) in sends.into_iter().enumerate() {
                let offset = base_offset.saturating_add(i64::try_from(i).unwrap_or(i64::MAX));
                st.sends
                    .complete(send, Ok(RecordMetadata { partition, offset }));
            }
        }
        Event::SendFailed { sends, error, .. } => {
            for send in sends {
                st.sends.complete(send, Err(Error::from(error.clone())));
            }
        }
        Event::Flushed { flush, result, .. } => {
            st.closing_flushes.remove(&flush);
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

/// Starts the reader and writer tasks of a connected transport.
fn start_conn<R: Runtime>(
    rt: &R,
    conn: ConnId,
    peer: Peer,
    transport: Transport<R::Tcp>,
    tx: &Tx<R>,
) -> ConnIo {
    let (read, write) = transport.split();
    let (writer, writer_rx) = async_channel::unbounded();
    let (stop, stop_rx) = async_channel::bounded::<()>(1);
    rt.spawn(read_loop(read, conn, tx.clone(), stop_rx));
    rt.spawn(write_loop(write, conn, tx.clone(), writer_rx));
    ConnIo {
        peer,
        writer,
        _stop: stop,
    }
}

/// Forwards what a connection reads, then its end, to the driver.
async fn read_loop<Rd: AsyncRead + Unpin, T>(
    mut read: Rd,
    conn: ConnId,
    tx: async_channel::Sender<Input<T>>,
    stop: async_channel::Receiver<()>,
) {
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let result = {
            let read_fut = pin!(read.read(&mut buf));
            let stop_fut = pin!(stop.recv());
            match select(read_fut, stop_fut).await {
                Either::Left((r, _)) => r,
                // Stopped: the driver dropped the connection.
                Either::Right(_) => return,
            }
        };
        let input = match result {
            Ok(0) => Input::Closed(conn, None),
            Ok(n) => Input::Bytes(conn, buf[..n].to_vec()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => Input::Closed(conn, Some(e)),
        };
        let end = matches!(input, Input::Closed(..));
        if tx.send(input).await.is_err() || end {
            return;
        }
    }
}

/// Writes what the driver queues for a connection, gathering queued frames into one write.
async fn write_loop<W: AsyncWrite + Unpin, T>(
    mut write: W,
    conn: ConnId,
    tx: async_channel::Sender<Input<T>>,
    rx: async_channel::Receiver<Bytes>,
) {
    let mut buf: Vec<u8> = Vec::new();
    while let Ok(first) = rx.recv().await {
        let result = if rx.is_empty() {
            write.write_all(&first).await
        } else {
            buf.clear();
            buf.extend_from_slice(&first);
            while buf.len() < WRITE_GATHER {
                match rx.try_recv() {
                    Ok(more) => buf.extend_from_slice(&more),
                    Err(_) => break,
                }
            }
            write.write_all(&buf).await
        };
        let result = match result {
            Ok(()) => write.flush().await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            let _ = tx.send(Input::Closed(conn, Some(e))).await;
            return;
        }
    }
    let _ = write.close().await;
}

/// A future that is ready once the initial connection is up (or failed).
pub(crate) fn wait_connected(
    inner: crate::shared::Inner,
) -> impl Future<Output = Result<(), Error>> + Send {
    std::future::poll_fn(move |cx| {
        let mut st = inner.lock();
        match &mut st.phase {
            Phase::Ready => std::task::Poll::Ready(Ok(())),
            Phase::Failed(e) => std::task::Poll::Ready(Err(e.take().unwrap_or(Error::Closed))),
            Phase::Connecting(w) => {
                *w = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        }
    })
}
