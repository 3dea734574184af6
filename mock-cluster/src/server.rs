//! A driver serving a [`MockCluster`] over loopback TCP with std threads (no async
//! runtime): an acceptor per listener, a reader and a writer per connection, and a
//! timer thread for delayed frames and produce timeouts.
//!
//! A reader writes the answers to what it read itself, once the cluster lock is released
//! (one thread hop less per request); the writer thread only writes frames other threads
//! queue (watch updates, delayed frames, answers parked on replication). The timer thread
//! is woken only when the cluster's next deadline moves before the one it sleeps until.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use flv_core::error_code::ErrorCode;
use flv_core::time::Instant;

use crate::tls::{TlsAcceptor, TlsOptions};
use crate::{ConnId, MockCluster, MockConfig, MockError, ServerId};

/// Options of [`MockClusterServer::start`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Number of SPUs.
    pub spus: usize,
    /// Id of the first SPU.
    pub first_spu_id: i32,
    /// Seed of the cluster.
    pub seed: u64,
    /// Interface to bind (default `127.0.0.1`).
    pub host: String,
    /// SC port (0: ephemeral).
    pub sc_port: u16,
    /// SPU ports (missing or 0: ephemeral).
    pub spu_ports: Vec<u16>,
    /// Serve TLS with this certificate instead of plain TCP.
    pub tls: Option<TlsOptions>,
    /// With `tls`: require client certificates signed by these CA certificates (PEM),
    /// i.e. mutual TLS as a cluster with a verified TLS policy does.
    pub tls_client_ca: Option<String>,
    /// SPU sockets write like a real SPU's: without `TCP_NODELAY` and in pieces of
    /// 64 KiB (a real SPU sends StreamFetch records with `sendfile` in
    /// 64 KiB pieces). Nagle's algorithm then holds a response's short last segment until
    /// the client has acknowledged the one before, as on a real cluster: a client that
    /// delays its ACKs waits up to 40 ms for it. `flv-bench` runs the mock this way.
    pub real_spu_writes: bool,
}

/// The size of one write of an SPU socket with [`ServerOptions::real_spu_writes`].
pub(crate) const REAL_SPU_WRITE: usize = 64 * 1024;

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            spus: 3,
            first_spu_id: 5001,
            seed: 0,
            host: "127.0.0.1".into(),
            sc_port: 0,
            spu_ports: Vec::new(),
            tls: None,
            tls_client_ca: None,
            real_spu_writes: false,
        }
    }
}

/// Most bytes gathered into one write.
const WRITE_GATHER: usize = 256 * 1024;

struct Writer {
    out: Arc<Outbox>,
    sock: TcpStream,
}

/// The frames waiting for one connection, and the write half of its socket.
struct Outbox {
    queue: Mutex<OutQueue>,
    ready: Condvar,
    io: Mutex<Box<dyn Write + Send>>,
    /// Largest single write (`usize::MAX`: no limit).
    piece: usize,
}

#[derive(Default)]
struct OutQueue {
    frames: VecDeque<Bytes>,
    /// The writer thread sleeps on `ready`.
    waiting: bool,
    closed: bool,
}

impl Outbox {
    fn new(io: Box<dyn Write + Send>, piece: usize) -> Self {
        Self {
            queue: Mutex::new(OutQueue::default()),
            ready: Condvar::new(),
            io: Mutex::new(io),
            piece,
        }
    }

    fn queue(&self) -> MutexGuard<'_, OutQueue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `frame`; with `notify`, wakes the writer thread to write it.
    fn push(&self, frame: Bytes, notify: bool) {
        let mut q = self.queue();
        q.frames.push_back(frame);
        if notify && q.waiting {
            self.ready.notify_one();
        }
    }

    /// Ends the writer thread.
    fn close(&self) {
        let mut q = self.queue();
        q.closed = true;
        self.ready.notify_one();
    }

    /// Writes every queued frame, in order (the write half is held throughout).
    fn pump(&self, batch: &mut Vec<Bytes>, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let mut io = self.io.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            batch.clear();
            {
                let mut q = self.queue();
                let mut len = 0;
                while len < WRITE_GATHER {
                    let Some(frame) = q.frames.pop_front() else {
                        break;
                    };
                    len += frame.len();
                    batch.push(frame);
                }
            }
            let bytes: &[u8] = match batch.as_slice() {
                [] => return Ok(()),
                [one] => one,
                many => {
                    buf.clear();
                    for frame in many {
                        buf.extend_from_slice(frame);
                    }
                    buf
                }
            };
            for piece in bytes.chunks(self.piece) {
                io.write_all(piece)?;
            }
            io.flush()?;
        }
    }

    /// The writer thread: writes what other threads queue, until closed.
    fn writer_loop(&self) {
        let (mut batch, mut buf) = (Vec::new(), Vec::new());
        loop {
            {
                let mut q = self.queue();
                while q.frames.is_empty() && !q.closed {
                    q.waiting = true;
                    q = self.ready.wait(q).unwrap_or_else(PoisonError::into_inner);
                    q.waiting = false;
                }
                if q.frames.is_empty() {
                    return;
                }
            }
            if self.pump(&mut batch, &mut buf).is_err() {
                return;
            }
        }
    }
}

struct State {
    cluster: MockCluster,
    writers: HashMap<ConnId, Writer>,
    /// When the timer thread wakes up next.
    timer_due: Option<Instant>,
}

impl State {
    /// Whether the cluster's next deadline comes before the timer thread wakes up.
    fn timer_late(&self) -> bool {
        match (self.cluster.poll_timeout(), self.timer_due) {
            (Some(t), Some(d)) => t < d,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    shutdown: AtomicBool,
    epoch: std::time::Instant,
    threads: Mutex<Vec<JoinHandle<()>>>,
    tls: Option<TlsAcceptor>,
    /// See [`ServerOptions::real_spu_writes`].
    real_spu_writes: bool,
}

impl Shared {
    fn now(&self) -> Instant {
        Instant::from_origin(self.epoch.elapsed())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn spawn(&self, name: String, f: impl FnOnce() + Send + 'static) {
        if let Ok(handle) = std::thread::Builder::new().name(name).spawn(f) {
            self.threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(handle);
        }
    }
}

/// Hands the cluster's output to the connections (the writer threads of all but `own`,
/// whose reader writes itself) and drops closed connections.
fn flush(state: &mut State, own: Option<ConnId>) {
    while let Some((conn, frame)) = state.cluster.poll_transmit() {
        if let Some(w) = state.writers.get(&conn) {
            w.out.push(frame, Some(conn) != own);
        }
    }
    while let Some(conn) = state.cluster.poll_close() {
        if let Some(w) = state.writers.remove(&conn) {
            close(&w);
        }
    }
}

/// Shuts a connection's socket and ends its writer thread.
fn close(w: &Writer) {
    let _ = w.sock.shutdown(Shutdown::Both);
    w.out.close();
}

/// A [`MockCluster`] served on loopback TCP: the SC and every SPU on their own port.
///
/// The SPU specs publish the real bound addresses. Dropping the server closes every
/// connection and joins every thread.
pub struct MockClusterServer {
    shared: Arc<Shared>,
    sc_addr: String,
    spu_addrs: BTreeMap<i32, String>,
    listen_addrs: Vec<String>,
    acceptors: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for MockClusterServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockClusterServer")
            .field("sc_addr", &self.sc_addr)
            .field("spu_addrs", &self.spu_addrs)
            .finish_non_exhaustive()
    }
}

impl MockClusterServer {
    /// Binds the SC and the SPUs and starts serving.
    pub fn start(opts: ServerOptions) -> Result<Self, MockError> {
        let tls = opts
            .tls
            .as_ref()
            .map(|t| TlsAcceptor::new(t, opts.tls_client_ca.as_deref()))
            .transpose()?;
        let sc = TcpListener::bind((opts.host.as_str(), opts.sc_port))?;
        let mut spu_listeners = Vec::new();
        for i in 0..opts.spus {
            let port = opts.spu_ports.get(i).copied().unwrap_or(0);
            spu_listeners.push(TcpListener::bind((opts.host.as_str(), port))?);
        }
        let sc_addr = sc.local_addr()?.to_string();
        let spu_addr_list = spu_listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let cfg = MockConfig {
            spus: opts.spus,
            first_spu_id: opts.first_spu_id,
            seed: opts.seed,
            sc_addr: sc_addr.clone(),
            spu_addrs: spu_addr_list.clone(),
            wall_clock_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            ..MockConfig::default()
        };
        let ids = cfg.spu_ids();
        let cluster = MockCluster::new(cfg, Instant::ZERO);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                cluster,
                writers: HashMap::new(),
                timer_due: None,
            }),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
            epoch: std::time::Instant::now(),
            threads: Mutex::new(Vec::new()),
            tls,
            real_spu_writes: opts.real_spu_writes,
        });
        let mut acceptors = Vec::new();
        let mut listen_addrs = vec![sc_addr.clone()];
        acceptors.push(spawn_acceptor(&shared, sc, ServerId::Sc)?);
        let mut spu_addrs = BTreeMap::new();
        for ((listener, addr), id) in spu_listeners.into_iter().zip(spu_addr_list).zip(ids) {
            acceptors.push(spawn_acceptor(&shared, listener, ServerId::Spu(id))?);
            listen_addrs.push(addr.clone());
            spu_addrs.insert(id, addr);
        }
        let timer_shared = Arc::clone(&shared);
        acceptors.push(
            std::thread::Builder::new()
                .name("mock-timer".into())
                .spawn(move || timer_loop(&timer_shared))?,
        );
        Ok(Self {
            shared,
            sc_addr,
            spu_addrs,
            listen_addrs,
            acceptors,
        })
    }

    /// `host:port` of the SC.
    pub fn sc_addr(&self) -> &str {
        &self.sc_addr
    }

    /// `host:port` of an SPU.
    pub fn spu_addr(&self, id: i32) -> Option<&str> {
        self.spu_addrs.get(&id).map(String::as_str)
    }

    /// Runs `f` on the cluster (at the current time), then sends what it produced.
    pub fn with_cluster<T>(&self, f: impl FnOnce(&mut MockCluster, Instant) -> T) -> T {
        let now = self.shared.now();
        let mut state = self.shared.lock();
        let out = f(&mut state.cluster, now);
        flush(&mut state, None);
        drop(state);
        self.shared.wake.notify_all();
        out
    }

    /// See [`MockCluster::stop_spu`].
    pub fn stop_spu(&self, id: i32) {
        self.with_cluster(|c, now| c.stop_spu(id, now));
    }

    /// See [`MockCluster::restart_spu`].
    pub fn restart_spu(&self, id: i32) {
        self.with_cluster(|c, now| c.restart_spu(id, now));
    }

    /// See [`MockCluster::stop_sc`].
    pub fn stop_sc(&self) {
        self.with_cluster(|c, now| c.stop_sc(now));
    }

    /// See [`MockCluster::start_sc`].
    pub fn start_sc(&self) {
        self.with_cluster(|c, now| c.start_sc(now));
    }

    /// See [`MockCluster::drop_connections`].
    pub fn drop_connections(&self, server: ServerId) {
        self.with_cluster(|c, now| c.drop_connections(server, now));
    }

    /// See [`MockCluster::delay_responses`].
    pub fn delay_responses(&self, server: ServerId, delay: Duration) {
        self.with_cluster(|c, _| c.delay_responses(server, delay));
    }

    /// See [`MockCluster::inject_error`].
    pub fn inject_error(&self, server: ServerId, api_key: u16, error: ErrorCode, count: usize) {
        self.with_cluster(|c, _| c.inject_error(server, api_key, error, count));
    }

    /// See [`MockCluster::stall_replication`].
    pub fn stall_replication(&self, spu: i32, stalled: bool) {
        self.with_cluster(|c, _| c.stall_replication(spu, stalled));
    }

    /// Swaps the TLS server certificate and key (PEM): connections accepted from now on
    /// present the new certificate, existing connections keep theirs. Fails on a server
    /// started without TLS, or on an unusable certificate or key.
    pub fn rotate_tls(&self, cert_pem: &str, key_pem: &str) -> Result<(), MockError> {
        let tls = self
            .shared
            .tls
            .as_ref()
            .ok_or_else(|| MockError::Tls("the server was started without TLS".into()))?;
        tls.rotate(&TlsOptions {
            cert_pem: cert_pem.to_owned(),
            key_pem: key_pem.to_owned(),
        })
    }

    /// See [`MockCluster::partition_leader`].
    pub fn partition_leader(&self, topic: &str, partition: u32) -> Option<i32> {
        self.with_cluster(|c, _| c.partition_leader(topic, partition))
    }

    /// See [`MockCluster::high_watermark`].
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Option<i64> {
        self.with_cluster(|c, _| c.high_watermark(topic, partition))
    }
}

impl Drop for MockClusterServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.wake.notify_all();
        // Unblock the acceptors.
        for addr in &self.listen_addrs {
            let _ = TcpStream::connect(addr);
        }
        {
            let mut state = self.shared.lock();
            for (_, w) in state.writers.drain() {
                close(&w);
            }
        }
        for handle in self.acceptors.drain(..) {
            let _ = handle.join();
        }
        loop {
            let handles: Vec<_> = self
                .shared
                .threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain(..)
                .collect();
            if handles.is_empty() {
                break;
            }
            for handle in handles {
                let _ = handle.join();
            }
        }
    }
}

fn spawn_acceptor(
    shared: &Arc<Shared>,
    listener: TcpListener,
    server: ServerId,
) -> Result<JoinHandle<()>, MockError> {
    let shared = Arc::clone(shared);
    Ok(std::thread::Builder::new()
        .name(format!("mock-accept-{server}"))
        .spawn(move || {
            for stream in listener.incoming() {
                if shared.shutdown.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(sock) = stream else {
                    continue;
                };
                let real = shared.real_spu_writes && matches!(server, ServerId::Spu(_));
                let _ = sock.set_nodelay(!real);
                accept(&shared, sock, server);
            }
        })?)
}

fn accept(shared: &Arc<Shared>, sock: TcpStream, server: ServerId) {
    let Ok(write_sock) = sock.try_clone() else {
        return;
    };
    let Ok(ctl_sock) = sock.try_clone() else {
        return;
    };
    let (reader, writer): (Box<dyn Read + Send>, Box<dyn Write + Send>) = match &shared.tls {
        Some(tls) => match tls.wrap(sock, write_sock) {
            Ok(pair) => pair,
            Err(_) => return,
        },
        None => (Box::new(sock), Box::new(write_sock)),
    };
    let now = shared.now();
    let mut state = shared.lock();
    let Some(conn) = state.cluster.handle_accept(server, now) else {
        let _ = ctl_sock.shutdown(Shutdown::Both);
        return;
    };
    let piece = if shared.real_spu_writes && matches!(server, ServerId::Spu(_)) {
        REAL_SPU_WRITE
    } else {
        usize::MAX
    };
    let out = Arc::new(Outbox::new(writer, piece));
    state.writers.insert(
        conn,
        Writer {
            out: Arc::clone(&out),
            sock: ctl_sock,
        },
    );
    drop(state);
    let writer_out = Arc::clone(&out);
    shared.spawn(format!("mock-write-{conn}"), move || {
        writer_out.writer_loop()
    });
    let reader_shared = Arc::clone(shared);
    shared.spawn(format!("mock-read-{conn}"), move || {
        read_loop(&reader_shared, conn, reader, &out);
    });
}

fn read_loop(shared: &Shared, conn: ConnId, mut reader: Box<dyn Read + Send>, out: &Outbox) {
    let mut buf = vec![0u8; 64 * 1024];
    let (mut batch, mut gather) = (Vec::new(), Vec::new());
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let now = shared.now();
        let mut state = shared.lock();
        if n == 0 {
            state.cluster.handle_closed(conn, now);
            if let Some(w) = state.writers.remove(&conn) {
                close(&w);
            }
            flush(&mut state, None);
            break;
        }
        state.cluster.handle_bytes(conn, &buf[..n], now);
        flush(&mut state, Some(conn));
        let timer_late = state.timer_late();
        drop(state);
        if timer_late {
            shared.wake.notify_all();
        }
        // A failed write ends the connection: the next read sees it.
        let _ = out.pump(&mut batch, &mut gather);
    }
    shared.wake.notify_all();
}

fn timer_loop(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let now = shared.now();
        state.cluster.handle_timeout(now);
        flush(&mut state, None);
        let wait = state
            .cluster
            .poll_timeout()
            .map_or(Duration::from_secs(1), |due| due.saturating_since(now))
            .clamp(Duration::from_micros(100), Duration::from_secs(1));
        state.timer_due = Some(now + wait);
        state = shared
            .wake
            .wait_timeout(state, wait)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}
