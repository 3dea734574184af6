//! The fault matrix: every fault scenario × N seeds in deterministic simulation, each
//! run judged by the checker.
//!
//! `cargo run --release -p flv-tests --bin fault-matrix -- --seeds N [--first-seed S]
//! [--scenario SUBSTRING]... [--threads T] [--show K]`
//!
//! Prints a table scenario × (runs, acked, ambiguous, lost, duplicated, reordered,
//! unresolved, other violations), the first `K` failing runs (scenario, seed, report),
//! and as its last line
//! `fault-matrix: scenarios <s> runs <r> lost <l> reordered <o> unresolved <u>`.
//! Exits non-zero when anything was lost, reordered or unresolved, or any other promise
//! was broken.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use flv_tests::faults::{Report, Scenario, run_one, scenarios};

#[derive(Default, Clone)]
struct Row {
    runs: usize,
    acked: usize,
    ambiguous: usize,
    lost: usize,
    duplicated: usize,
    reordered: usize,
    unresolved: usize,
    other: usize,
    failed: Vec<(u64, Report)>,
}

struct Args {
    seeds: u64,
    first: u64,
    filters: Vec<String>,
    threads: usize,
    show: usize,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 20,
        first: 0,
        filters: Vec::new(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        show: 5,
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
            "-h" | "--help" => {
                return Err("usage: fault-matrix --seeds N [--first-seed S] [--scenario SUBSTRING]... [--threads T] [--show K]".into());
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
    let list: Vec<Scenario> = scenarios()
        .into_iter()
        .filter(|s| args.filters.is_empty() || args.filters.iter().any(|f| s.name.contains(f)))
        .collect();
    // Panics are captured in the reports; keep the output a table.
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let rows: Vec<Mutex<Row>> = list.iter().map(|_| Mutex::new(Row::default())).collect();
    let total = list.len() * usize::try_from(args.seeds).unwrap_or(usize::MAX);
    let next = AtomicUsize::new(0);
    let seeds = usize::try_from(args.seeds).unwrap_or(usize::MAX).max(1);
    std::thread::scope(|scope| {
        for _ in 0..args.threads {
            scope.spawn(|| {
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    if job >= total {
                        return;
                    }
                    let (si, k) = (job % list.len(), job / list.len());
                    let seed = args.first + (k % seeds) as u64;
                    let r = run_one(&list[si], seed);
                    let Ok(mut row) = rows[si].lock() else {
                        return;
                    };
                    row.runs += 1;
                    row.acked += r.acked;
                    row.ambiguous += r.ambiguous;
                    row.lost += r.lost;
                    row.duplicated += r.duplicated;
                    row.reordered += r.reordered;
                    row.unresolved += r.unresolved;
                    if !r.passed() {
                        row.other +=
                            usize::from(r.lost == 0 && r.reordered == 0 && r.unresolved == 0);
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
        "{:<38} {:>7} {:>9} {:>9} {:>6} {:>10} {:>9} {:>10} {:>7}",
        "scenario",
        "runs",
        "acked",
        "ambiguous",
        "lost",
        "duplicated",
        "reordered",
        "unresolved",
        "other"
    );
    let mut sum = Row::default();
    for (s, r) in list.iter().zip(&rows) {
        println!(
            "{:<38} {:>7} {:>9} {:>9} {:>6} {:>10} {:>9} {:>10} {:>7}",
            s.name,
            r.runs,
            r.acked,
            r.ambiguous,
            r.lost,
            r.duplicated,
            r.reordered,
            r.unresolved,
            r.other
        );
        sum.runs += r.runs;
        sum.lost += r.lost;
        sum.reordered += r.reordered;
        sum.unresolved += r.unresolved;
        sum.other += r.other;
    }
    let mut shown = 0;
    for (s, r) in list.iter().zip(&rows) {
        let mut failed = r.failed.clone();
        failed.sort_by_key(|f| f.0);
        for (seed, report) in failed {
            if shown >= args.show {
                break;
            }
            shown += 1;
            println!("FAILED {} seed {seed}: {report}", s.name);
        }
    }
    println!(
        "elapsed {:.1}s, {} threads, other violations {}",
        started.elapsed().as_secs_f64(),
        args.threads,
        sum.other
    );
    println!(
        "fault-matrix: scenarios {} runs {} lost {} reordered {} unresolved {}",
        list.len(),
        sum.runs,
        sum.lost,
        sum.reordered,
        sum.unresolved
    );
    if sum.lost + sum.reordered + sum.unresolved + sum.other > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
