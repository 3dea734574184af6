//! Tables of `flv-bench`: one row per run, then the medians per client and the ratios.

use std::collections::BTreeMap;

use super::stats::median;
use super::{LatencyOut, RunOut};

/// Rows of one workload.
#[derive(Default)]
pub(super) struct Table {
    /// (client, records/s, MB/s, client-thread CPU s/GB, process CPU s/GB) per run.
    runs: Vec<(String, f64, f64, f64, f64)>,
    /// (client, p50, p99, p99.9 in ms) per latency run.
    lat: Vec<(String, f64, f64, f64)>,
}

fn clients<T>(rows: &[(String, T)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (n, _) in rows {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

impl Table {
    /// A throughput table (prints its header).
    pub(super) fn throughput() -> Self {
        println!(
            "  {:<4} {:<9} {:>21} {:>10} {:>8} {:>13} {:>13}",
            "run",
            "client",
            "delivered/expected",
            "records/s",
            "MB/s",
            "cpu-s/GB thr",
            "cpu-s/GB proc"
        );
        Self::default()
    }

    /// A latency table (prints its header).
    pub(super) fn latency() -> Self {
        println!(
            "  {:<4} {:<9} {:>21} {:>12} {:>9} {:>9} {:>9} {:>9}",
            "run",
            "client",
            "delivered/expected",
            "sent rec/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms"
        );
        Self::default()
    }

    /// One throughput run (`None`: it failed).
    pub(super) fn row(
        &mut self,
        run: usize,
        client: &str,
        out: Option<&RunOut>,
        note: Option<&str>,
    ) {
        let Some(out) = out else {
            println!("  {run:<4} {client:<9} {:>21}", "failed");
            return;
        };
        let (thr, proc_) = out.cpu_per_gb();
        let (rps, mbps) = (out.records_per_sec(), out.mb_per_sec());
        println!(
            "  {run:<4} {client:<9} {:>21} {rps:>10.0} {mbps:>8.1} {thr:>13.2} {proc_:>13.2}{}",
            format!("{}/{}", out.delivered, out.expected),
            note.map(|n| format!("  ({n})")).unwrap_or_default()
        );
        self.runs.push((client.to_string(), rps, mbps, thr, proc_));
    }

    /// One latency run.
    pub(super) fn latency_row(&mut self, run: usize, client: &str, out: &LatencyOut) {
        let ms = |q: f64| out.hist.value_at_quantile(q) as f64 / 1000.0;
        let (p50, p99, p999) = (ms(0.5), ms(0.99), ms(0.999));
        let sent = out.expected as f64 / out.elapsed.as_secs_f64().max(1e-9);
        println!(
            "  {run:<4} {client:<9} {:>21} {sent:>12.0} {p50:>9.3} {p99:>9.3} {p999:>9.3} {:>9.3}",
            format!("{}/{}", out.delivered, out.expected),
            out.hist.max() as f64 / 1000.0
        );
        self.lat.push((client.to_string(), p50, p99, p999));
    }

    /// Medians per client, and flv ÷ official; stores the median records/s in `medians`
    /// under `(label, client)`.
    pub(super) fn summary(&self, label: &str, medians: &mut BTreeMap<(String, String), f64>) {
        let names = clients(
            &self
                .runs
                .iter()
                .map(|r| (r.0.clone(), ()))
                .collect::<Vec<_>>(),
        );
        let mut m: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for name in &names {
            let col = |f: fn(&(String, f64, f64, f64, f64)) -> f64| {
                median(
                    &self
                        .runs
                        .iter()
                        .filter(|r| &r.0 == name)
                        .map(f)
                        .collect::<Vec<_>>(),
                )
            };
            let row = [col(|r| r.1), col(|r| r.2), col(|r| r.3), col(|r| r.4)];
            println!(
                "  {:<4} {name:<9} {:>21} {:>10.0} {:>8.1} {:>13.2} {:>13.2}",
                "med", "", row[0], row[1], row[2], row[3]
            );
            medians.insert((label.to_string(), name.clone()), row[0]);
            m.insert(name.clone(), row);
        }
        if let (Some(f), Some(o)) = (m.get("flv"), m.get("official")) {
            let r = |i: usize| if o[i] > 0.0 { f[i] / o[i] } else { f64::NAN };
            println!(
                "  flv/official: records/s {:.2}x, cpu-s/GB {:.2}x (client threads), {:.2}x (process)",
                r(0),
                r(2),
                r(3)
            );
        }
    }

    /// Medians of the latency percentiles per client.
    pub(super) fn latency_summary(&self) {
        let names = clients(
            &self
                .lat
                .iter()
                .map(|r| (r.0.clone(), ()))
                .collect::<Vec<_>>(),
        );
        for name in &names {
            let col = |f: fn(&(String, f64, f64, f64)) -> f64| {
                median(
                    &self
                        .lat
                        .iter()
                        .filter(|r| &r.0 == name)
                        .map(f)
                        .collect::<Vec<_>>(),
                )
            };
            println!(
                "  {:<4} {name:<9} {:>21} {:>12} {:>9.3} {:>9.3} {:>9.3}",
                "med",
                "",
                "",
                col(|r| r.1),
                col(|r| r.2),
                col(|r| r.3)
            );
        }
    }
}
