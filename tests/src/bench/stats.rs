//! Measurements of `flv-bench`: CPU time (process and client threads), open-loop pacing,
//! latency histograms, a watchdog, and medians.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::{Either, select};
use hdrhistogram::Histogram;

/// CPU seconds used so far: by the whole process (`getrusage(RUSAGE_SELF)`), and by the
/// threads that are not the embedded mock cluster's (`/proc/self/task/*/stat`, threads
/// named `mock-*` left out; 10 ms ticks).
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    /// Process CPU seconds (user + system).
    pub process: f64,
    /// CPU seconds of the live threads not named `mock-*`.
    pub client: f64,
}

impl Cpu {
    /// Now.
    pub fn now() -> Self {
        Self {
            process: process_cpu(),
            client: client_threads_cpu(),
        }
    }

    /// CPU used since `earlier`.
    pub fn since(earlier: Self) -> Self {
        let now = Self::now();
        Self {
            process: (now.process - earlier.process).max(0.0),
            client: (now.client - earlier.client).max(0.0),
        }
    }
}

/// Waits (at most `max`) until the process is quiet: less than 2% of one CPU used over
/// 200 ms. A client that was just dropped may still be winding down (the official one
/// keeps background tasks for a while after a run it could not keep up with); the next
/// run should not pay for it. Returns the time waited.
pub fn settle(max: Duration) -> Duration {
    let start = Instant::now();
    let window = Duration::from_millis(200);
    while start.elapsed() < max {
        let before = process_cpu();
        std::thread::sleep(window);
        if process_cpu() - before < 0.02 * window.as_secs_f64() {
            break;
        }
    }
    start.elapsed()
}

fn process_cpu() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(u) => {
            let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            secs(u.user_time()) + secs(u.system_time())
        }
        Err(_) => 0.0,
    }
}

/// Sum of utime + stime of the live threads not named `mock-*` (0 where `/proc` is absent).
fn client_threads_cpu() -> f64 {
    const TICKS: f64 = 100.0;
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    let mut ticks = 0u64;
    for entry in dir.flatten() {
        let path = entry.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.starts_with("mock-") {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3; utime 14, stime 15.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let get = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        ticks += get(14).unwrap_or(0) + get(15).unwrap_or(0);
    }
    ticks as f64 / TICKS
}

/// Calls `send(i, scheduled)` for `count` records scheduled every `1 / rate` seconds from
/// a little after now, never earlier than scheduled; a send that runs late does not move
/// the schedule (no coordinated omission: latency is measured from `scheduled`).
pub fn pace(rate: f64, count: u64, mut send: impl FnMut(u64, Instant)) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let start = Instant::now() + Duration::from_millis(20);
    let mut i = 0;
    while i < count {
        let now = Instant::now();
        // Everything due by now goes out at once; then sleep to the next one.
        while i < count {
            let due = start + interval.mul_f64(i as f64);
            if due > now {
                break;
            }
            send(i, due);
            i += 1;
        }
        if i < count {
            let due = start + interval.mul_f64(i as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
    }
}

/// The sending half of an open-loop latency run, shared by both clients so that they are
/// measured the same way: a thread calls `send(i)` for `count` records at `rate` (see
/// [`pace`]) and queues each result with its scheduled time (`None`: the send failed).
/// [`collect_latencies`] takes the queue; the thread returns how long sending took.
pub fn open_loop_sender<O: Send + 'static>(
    rate: f64,
    count: u64,
    mut send: impl FnMut(u64) -> Option<O> + Send + 'static,
) -> (
    async_channel::Receiver<(Instant, Option<O>)>,
    std::thread::JoinHandle<Duration>,
) {
    let (tx, rx) = async_channel::unbounded();
    let sender = std::thread::spawn(move || {
        let start = Instant::now();
        pace(rate, count, |i, due| drop(tx.send_blocking((due, send(i)))));
        start.elapsed()
    });
    (rx, sender)
}

/// The receiving half of an open-loop run: awaits each queued result in order with
/// `delivered` (true: stored) and records its latency from the scheduled time. Returns
/// the histogram and the number of records stored.
pub async fn collect_latencies<O, F: Future<Output = bool>>(
    rx: async_channel::Receiver<(Instant, Option<O>)>,
    delivered: impl Fn(O) -> F,
) -> (Histogram<u64>, u64) {
    let mut hist = histogram();
    let mut stored = 0u64;
    while let Ok((due, out)) = rx.recv().await {
        if let Some(out) = out
            && delivered(out).await
        {
            stored += 1;
            record_since(&mut hist, due);
        }
    }
    (hist, stored)
}

/// A latency histogram in microseconds (1 µs to 10 min, 3 significant digits).
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

/// Records `scheduled → now` in `hist`.
pub fn record_since(hist: &mut Histogram<u64>, scheduled: Instant) {
    let us = u64::try_from(scheduled.elapsed().as_micros()).unwrap_or(u64::MAX);
    hist.saturating_record(us.max(1));
}

/// Progress of a run, watched by [`watchdog`].
#[derive(Debug, Default)]
pub struct Progress {
    /// Records done.
    pub done: AtomicU64,
    /// Microseconds since the run's start at the last record.
    pub last_us: AtomicU64,
}

impl Progress {
    /// Counts `n` more records done, at `start.elapsed()`.
    pub fn add(&self, n: u64, start: Instant) {
        self.done.fetch_add(n, Ordering::Relaxed);
        let us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.last_us.store(us, Ordering::Relaxed);
    }

    /// Records done.
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Time from the start to the last record.
    pub fn last(&self) -> Duration {
        Duration::from_micros(self.last_us.load(Ordering::Relaxed))
    }
}

/// Runs `fut` until it ends, or until `progress` stands still for `idle` (then `None`).
/// The watch runs on its own thread, so nothing is added per record; works on any executor.
pub async fn watchdog<T>(
    progress: &Arc<Progress>,
    idle: Duration,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let (tx, rx) = async_channel::bounded::<()>(1);
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (stop, progress) = (Arc::clone(&stop), Arc::clone(progress));
        std::thread::spawn(move || {
            let mut last = (progress.done(), Instant::now());
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                let now = progress.done();
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() >= idle {
                    let _ = tx.try_send(());
                    return;
                }
            }
        })
    };
    let result = match select(pin!(fut), pin!(rx.recv())).await {
        Either::Left((v, _)) => Some(v),
        Either::Right(_) => None,
    };
    // The watcher notices within 50 ms and ends; nothing waits for it.
    stop.store(true, Ordering::Relaxed);
    drop(thread);
    result
}

/// The median of `v` (the mean of the two middle values for an even count); 0 if empty.
pub fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn pacing_keeps_the_schedule() {
        let mut due = Vec::new();
        pace(10_000.0, 50, |i, at| due.push((i, at)));
        assert_eq!(due.len(), 50);
        let step = due[49].1 - due[0].1;
        assert!((step.as_secs_f64() - 49.0 / 10_000.0).abs() < 1e-6);
    }
}
