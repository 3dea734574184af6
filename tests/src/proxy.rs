//! A tiny loopback fault proxy (std threads, no runtime) for the socket-level suite cases.
//!
//! [`FaultProxy`] listens on `127.0.0.1:0` and forwards every accepted connection to a
//! target address. While running it can reset every current connection, black-hole the
//! traffic (stop forwarding in both directions without closing: a half-open peer), forward
//! the server's bytes in 1-byte writes, delay them, drop them (requests arrive, answers
//! never do), and answer new connections with garbage instead of forwarding them (a TLS
//! client sees a failed handshake). Dropping it closes every connection and joins every
//! thread.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a pump thread looks at the proxy's mode while idle.
const POLL: Duration = Duration::from_millis(5);

struct Inner {
    target: String,
    shutdown: AtomicBool,
    black_hole: AtomicBool,
    short_writes: AtomicBool,
    delay_ms: AtomicU64,
    drop_responses: AtomicBool,
    garbage: AtomicBool,
    /// Client→server bytes forwarded.
    up_bytes: AtomicU64,
    /// Both sockets of every connection, to reset them.
    conns: Mutex<Vec<(TcpStream, TcpStream)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    accepted: AtomicU64,
}

/// A fault-injecting TCP forwarder on loopback.
pub struct FaultProxy {
    inner: Arc<Inner>,
    addr: String,
    acceptor: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts forwarding `127.0.0.1:<ephemeral>` to `target`.
    pub fn start(target: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?.to_string();
        let inner = Arc::new(Inner {
            target: target.to_owned(),
            shutdown: AtomicBool::new(false),
            black_hole: AtomicBool::new(false),
            short_writes: AtomicBool::new(false),
            delay_ms: AtomicU64::new(0),
            drop_responses: AtomicBool::new(false),
            garbage: AtomicBool::new(false),
            up_bytes: AtomicU64::new(0),
            conns: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            accepted: AtomicU64::new(0),
        });
        let acc = Arc::clone(&inner);
        let acceptor = std::thread::Builder::new()
            .name("proxy-accept".into())
            .spawn(move || accept_loop(&acc, &listener))?;
        Ok(Self {
            inner,
            addr,
            acceptor: Some(acceptor),
        })
    }

    /// The address to dial instead of the target.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    /// Client→server bytes forwarded so far.
    pub fn up_bytes(&self) -> u64 {
        self.inner.up_bytes.load(Ordering::SeqCst)
    }

    /// Discards (`true`) the server's bytes instead of forwarding them: requests still
    /// reach the server, answers never come back.
    pub fn drop_responses(&self, on: bool) {
        self.inner.drop_responses.store(on, Ordering::SeqCst);
    }

    /// Answers (`true`) each new connection with bytes that are not TLS (nor Fluvio) and
    /// closes it, instead of forwarding it.
    pub fn garbage(&self, on: bool) {
        self.inner.garbage.store(on, Ordering::SeqCst);
    }

    /// Resets every current connection (both sides closed); returns how many were still
    /// open (both sockets had a peer) when cut.
    pub fn reset(&self) -> usize {
        let conns: Vec<_> = lock(&self.inner.conns).drain(..).collect();
        let mut open = 0;
        for (client, server) in conns {
            if client.peer_addr().is_ok() && server.peer_addr().is_ok() {
                open += 1;
            }
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
        }
        open
    }

    /// Stops (`true`) or resumes (`false`) forwarding in both directions, without closing
    /// anything: the peers see a half-open connection.
    pub fn black_hole(&self, on: bool) {
        self.inner.black_hole.store(on, Ordering::SeqCst);
    }

    /// Forwards server→client bytes one byte per write.
    pub fn short_writes(&self, on: bool) {
        self.inner.short_writes.store(on, Ordering::SeqCst);
    }

    /// Delays each chunk of server→client bytes by `delay`.
    pub fn delay(&self, delay: Duration) {
        self.inner.delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
        self.reset();
        loop {
            let handles: Vec<_> = lock(&self.inner.threads).drain(..).collect();
            if handles.is_empty() {
                break;
            }
            for h in handles {
                let _ = h.join();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn accept_loop(inner: &Arc<Inner>, listener: &TcpListener) {
    for stream in listener.incoming() {
        if inner.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut client) = stream else { continue };
        if inner.garbage.load(Ordering::SeqCst) {
            inner.accepted.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(&inner.target) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        inner.accepted.fetch_add(1, Ordering::SeqCst);
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let clones = (|| {
            Some((
                client.try_clone().ok()?,
                server.try_clone().ok()?,
                client.try_clone().ok()?,
                server.try_clone().ok()?,
            ))
        })();
        let Some((c_read, s_write, c_ctl, s_ctl)) = clones else {
            continue;
        };
        lock(&inner.conns).push((c_ctl, s_ctl));
        let up = Arc::clone(inner);
        let down = Arc::clone(inner);
        let mut threads = lock(&inner.threads);
        if let Ok(h) = std::thread::Builder::new()
            .name("proxy-up".into())
            .spawn(move || pump(&up, c_read, s_write, false))
        {
            threads.push(h);
        }
        if let Ok(h) = std::thread::Builder::new()
            .name("proxy-down".into())
            .spawn(move || pump(&down, server, client, true))
        {
            threads.push(h);
        }
    }
}

/// Copies `from` to `to` until either closes or the proxy shuts down; `down` is the
/// server→client direction (where short writes and delays apply).
fn pump(inner: &Inner, mut from: TcpStream, mut to: TcpStream, down: bool) {
    let _ = from.set_read_timeout(Some(POLL));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if inner.shutdown.load(Ordering::SeqCst) {
            break;
        }
        if inner.black_hole.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
            continue;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        // Bytes read just as the black hole opened are held until it closes.
        while inner.black_hole.load(Ordering::SeqCst) && !inner.shutdown.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
        }
        let data = &buf[..n];
        if down && inner.drop_responses.load(Ordering::SeqCst) {
            continue;
        }
        if !down {
            inner.up_bytes.fetch_add(n as u64, Ordering::SeqCst);
        }
        let ok = if down {
            let delay = inner.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                std::thread::sleep(Duration::from_millis(delay));
            }
            if inner.short_writes.load(Ordering::SeqCst) {
                data.iter()
                    .all(|b| to.write_all(std::slice::from_ref(b)).is_ok())
            } else {
                to.write_all(data).is_ok()
            }
        } else {
            to.write_all(data).is_ok()
        };
        if !ok {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo() -> (String, JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr").to_string();
        let h = std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut b = [0u8; 1024];
                while let Ok(n) = s.read(&mut b) {
                    if n == 0 || s.write_all(&b[..n]).is_err() {
                        break;
                    }
                }
            }
        });
        (addr, h)
    }

    #[test]
    fn forwards_short_writes_and_resets() {
        let (target, h) = echo();
        let proxy = FaultProxy::start(&target).expect("proxy");
        proxy.short_writes(true);
        let mut c = TcpStream::connect(proxy.addr()).expect("connect");
        c.write_all(b"hello").expect("write");
        let mut got = [0u8; 5];
        c.read_exact(&mut got).expect("read");
        assert_eq!(&got, b"hello");
        proxy.reset();
        let mut b = [0u8; 1];
        assert!(matches!(c.read(&mut b), Ok(0) | Err(_)));
        drop(proxy);
        h.join().expect("echo");
    }
}
