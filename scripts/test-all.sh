#!/usr/bin/env bash
# Runs every check and test of flv on a fresh clone: formatting, lints, docs, the workspace
# tests (unit, trace replay, cross-checks against upstream), the CLI trace check on the
# real-cluster traces, and a short smoke run of each fuzz target.
# Environment: FUZZ_SECONDS (default 20) per fuzz target; FUZZ=0 skips fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
# One-shot builds gain nothing from incremental caches, which would double the debug target's
# size on disk; a caller can still set CARGO_INCREMENTAL=1.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "no import circle between modules (scripts/check-module-cycles.py)"
python3 scripts/check-module-cycles.py

step "flv-core stays sans-IO: no runtime, socket or clock crate in its tree; CRC from flv-crc only"
bash scripts/check-core-deps.sh

step "cargo deny check (advisories, licenses, bans, sources; installs cargo-deny if missing)"
bash scripts/cargo-deny.sh

step "cargo clippy (workspace, all targets, -D warnings)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo doc (workspace, broken links are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

step "cargo test (workspace)"
cargo test --workspace --all-features

step "flv trace check on the real-cluster traces"
cargo run -q -p flv-cli --bin flv -- trace check tests/traces/*.trace | tail -n 1

step "fault matrix (deterministic simulation, 300 seeds per scenario)"
cargo run -q --release -p flv-tests --bin fault-matrix -- --seeds 300 | tail -n 3

step "flv-bench --quick (flv vs the official client; prints numbers, asserts nothing)"
cargo run -q --release -p flv-tests --bin flv-bench -- --quick | tail -n 12

step "flv demo (embedded mock cluster, leader stopped halfway)"
cargo run -q -p flv-cli --bin flv -- demo --records 20000 | tail -n 1

step "Node.js binding (bindings/node: addon + node --test against the mock cluster)"
bash bindings/node/ci.sh

step "flv gateway web console in headless chromium (two tabs chat; installs chromium, puppeteer-core)"
bash gateway/browser-test/run.sh
step "Python binding (bindings/python: wheel into a fresh venv + pytest, flv and the official fluvio, against the mock cluster)"
bash bindings/python/ci.sh

if [ "${FUZZ:-1}" != "0" ]; then
  step "fuzz smoke run (${FUZZ_SECONDS:-20}s per target)"
  if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
  fi
  rm -rf fuzz/corpus-seed && cargo run -q -p flv-tests --bin fuzz-seeds -- fuzz/corpus-seed
  for target in $(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list); do
    mkdir -p "fuzz/corpus/$target"
    seeds="fuzz/corpus-seed/$target"
    [ -d "$seeds" ] || seeds=""
    (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" ${seeds:+"../$seeds"} -- \
      -max_total_time="${FUZZ_SECONDS:-20}" -max_len=65536 -rss_limit_mb=2048 2>&1 | tail -n 3)
  done
fi

printf '\nall checks passed\n'
