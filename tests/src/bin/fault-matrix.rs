//! The fault matrix: every fault scenario × N seeds in deterministic simulation, each
//! run judged by the checker.
//!
//! `cargo run --release -p flv-tests --bin fault-matrix -- --seeds N [--first-seed S]
//! [--scenario SUBSTRING]... [--threads T] [--show K] [--fluvio-run PATH]`
//!
//! With `--fluvio-run PATH` (a `fluvio-run` binary of Fluvio 0.50; never in CI) it runs the
//! scenarios real processes can do against real clusters it starts on loopback, one run
//! at a time (`flv_tests::faults::real`), with the same checker and the same last line.
//!
//! Prints a table scenario × (runs, acked, ambiguous, not-committed, lost,
//! lost-uncommitted, duplicated, reordered, unresolved, unfired, other violations, and the
//! evidence of the scenario's faults summed over its runs), the first `K` failing runs
//! (scenario, seed, report), the line
//! `exactly-once: runs <e> duplicated <d> ambiguous <a>` (over the runs whose producers all
//! had exactly-once on), and as its last line
//! `fault-matrix: scenarios <s> runs <r> lost <l> reordered <o> unresolved <u> unfired <f>`
//! (`unfired`: runs whose fault left no evidence). Exits non-zero when any of l, o, u, f,
//! d, a is not 0, or any other promise was broken (a run that acknowledged nothing, for
//! one).

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use flv_tests::faults::real::{real_scenarios, run_real};
use flv_tests::faults::{Report, run_one, scenarios};

#[derive(Default, Clone)]
struct Row {
    runs: usize,
    acked: usize,
    ambiguous: usize,
    not_committed: usize,
    lost: usize,
    lost_uncommitted: usize,
    unfired: usize,
    evidence: std::collections::BTreeMap<String, u64>,
    duplicated: usize,
    reordered: usize,
    unresolved: usize,
    other: usize,
    eo_runs: usize,
    eo_duplicated: usize,
    eo_ambiguous: usize,
    failed: Vec<(u64, Report)>,
}

struct Args {
    seeds: u64,
    first: u64,
    filters: Vec<String>,
    threads: usize,
    show: usize,
    fluvio_run: Option<std::path::PathBuf>,
}

/// A scenario to run: its name and a run with a seed.
type Job<'a> = (&'static str, Box<dyn Fn(u64) -> Report + Sync + 'a>);

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 20,
        first: 0,
        filters: Vec::new(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        show: 5,
        fluvio_run: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--seeds" => args.seeds = value("--seeds")?.parse().map_err(|e| format!("{e}"))?,
            "--first-seed" => {
                args.first = value("--first-seed")?.parse().map_err(|e| format!("{e}"))?
            }
            "--scenario" => args.filters.push(value("--scenario")?),
            "--threads" => {
                args.threads = value("--threads")?
                    .parse::<usize>()
                    .map_err(|e| format!("{e}"))?
                    .max(1)
            }
            "--show" => args.show = value("--show")?.parse().map_err(|e| format!("{e}"))?,
            "--fluvio-run" => args.fluvio_run = Some(value("--fluvio-run")?.into()),
            "-h" | "--help" => {
                return Err("usage: fault-matrix --seeds N [--first-seed S] [--scenario SUBSTRING]... [--threads T] [--show K] [--fluvio-run PATH]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let keep =
        |name: &str| args.filters.is_empty() || args.filters.iter().any(|f| name.contains(f));
    let mut threads = args.threads;
    let list: Vec<Job<'_>> = match &args.fluvio_run {
        Some(bin) => {
            // One real cluster at a time: the machine has few cores.
            threads = 1;
            real_scenarios()
                .into_iter()
                .filter(|s| keep(s.name))
                .map(|s| -> Job<'_> { (s.name, Box::new(move |seed| run_real(bin, &s, seed))) })
                .collect()
        }
        None => scenarios()
            .into_iter()
            .filter(|s| keep(s.name))
            .map(|s| -> Job<'_> { (s.name, Box::new(move |seed| run_one(&s, seed))) })
            .collect(),
    };
    // Panics are captured in the reports; keep the output a table.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let rows: Vec<Mutex<Row>> = list.iter().map(|_| Mutex::new(Row::default())).collect();
    let total = list.len() * usize::try_from(args.seeds).unwrap_or(usize::MAX);
    let next = AtomicUsize::new(0);
    let seeds = usize::try_from(args.seeds).unwrap_or(usize::MAX).max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= total {
                        return;
                    }
                    let (si, k) = (job % list.len(), job / list.len());
                    let seed = args.first + (k % seeds) as u64;
                    let r = (list[si].1)(seed);
                    let Ok(mut row) = rows[si].lock() else {
                        return;
                    };
                    row.runs += 1;
                    row.acked += r.acked;
                    row.ambiguous += r.ambiguous;
                    row.not_committed += r.not_committed;
                    row.lost += r.lost;
                    row.lost_uncommitted += r.lost_uncommitted;
                    row.unfired += r.unfired;
                    for (what, n) in &r.evidence {
                        *row.evidence.entry(what.clone()).or_default() += n;
                    }
                    row.duplicated += r.duplicated;
                    row.reordered += r.reordered;
                    row.unresolved += r.unresolved;
                    // Exactly-once promises no copies and no ambiguous outcome.
                    let eo_broken = r.exactly_once && r.duplicated + r.ambiguous > 0;
                    if r.exactly_once {
                        row.eo_runs += 1;
                        row.eo_duplicated += r.duplicated;
                        row.eo_ambiguous += r.ambiguous;
                    }
                    if !r.passed() {
                        row.other += usize::from(
                            r.lost == 0 && r.reordered == 0 && r.unresolved == 0 && r.unfired == 0,
                        );
                    }
                    if !r.passed() || eo_broken {
                        row.failed.push((seed, r));
                    }
                }
            });
        }
    });
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_default())
        .collect();
    println!(
        "{:<44} {:>6} {:>8} {:>9} {:>7} {:>5} {:>7} {:>10} {:>9} {:>10} {:>7} {:>6}  evidence",
        "scenario",
        "runs",
        "acked",
        "ambiguous",
        "not-com",
        "lost",
        "lost-uc",
        "duplicated",
        "reordered",
        "unresolved",
        "unfired",
        "other"
    );
    let mut sum = Row::default();
    for ((name, _), r) in list.iter().zip(&rows) {
        let evidence: Vec<String> = r
            .evidence
            .iter()
            .map(|(what, n)| format!("{what}: {n}"))
            .collect();
        println!(
            "{:<44} {:>6} {:>8} {:>9} {:>7} {:>5} {:>7} {:>10} {:>9} {:>10} {:>7} {:>6}  {}",
            name,
            r.runs,
            r.acked,
            r.ambiguous,
            r.not_committed,
            r.lost,
            r.lost_uncommitted,
            r.duplicated,
            r.reordered,
            r.unresolved,
            r.unfired,
            r.other,
            evidence.join("; ")
        );
        sum.runs += r.runs;
        sum.lost += r.lost;
        sum.reordered += r.reordered;
        sum.unresolved += r.unresolved;
        sum.unfired += r.unfired;
        sum.lost_uncommitted += r.lost_uncommitted;
        sum.other += r.other;
        sum.eo_runs += r.eo_runs;
        sum.eo_duplicated += r.eo_duplicated;
        sum.eo_ambiguous += r.eo_ambiguous;
    }
    let mut shown = 0;
    for ((name, _), r) in list.iter().zip(&rows) {
        let mut failed = r.failed.clone();
        failed.sort_by_key(|f| f.0);
        for (seed, report) in failed {
            if shown >= args.show {
                break;
            }
            shown += 1;
            println!("FAILED {name} seed {seed}: {report}");
        }
    }
    println!(
        "elapsed {:.1}s, {} threads, lost-uncommitted {} (allowed), other violations {}",
        started.elapsed().as_secs_f64(),
        threads,
        sum.lost_uncommitted,
        sum.other
    );
    println!(
        "exactly-once: runs {} duplicated {} ambiguous {}",
        sum.eo_runs, sum.eo_duplicated, sum.eo_ambiguous
    );
    println!(
        "fault-matrix: scenarios {} runs {} lost {} reordered {} unresolved {} unfired {}",
        list.len(),
        sum.runs,
        sum.lost,
        sum.reordered,
        sum.unresolved,
        sum.unfired
    );
    let broken = sum.lost
        + sum.reordered
        + sum.unresolved
        + sum.unfired
        + sum.other
        + sum.eo_duplicated
        + sum.eo_ambiguous;
    if broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
