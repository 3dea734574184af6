#!/usr/bin/env bash
# Runs the compat programs (tests/tests/compat/) against real Fluvio clusters, outside CI:
# the official client's build on one fresh cluster, then flv-tokio's on another, and
# requires flv's transcript to equal the official client's (a fresh cluster each, since
# the programs create their topics and read their offsets).
#
# usage: FLUVIO_RUN=<fluvio-run> FLV=<an flv binary> scripts/compat-real.sh BASEPORT WORKDIR
#   fluvio-run: the upstream SC/SPU binary (see "A real cluster" in README); FLV registers
#   the SPUs (default: target/debug/flv, built here). Each cluster: an SC at
#   127.0.0.1:BASEPORT (then BASEPORT+100), 3 SPUs 9001-9003 at +10, +20, +30; data and
#   logs under WORKDIR.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,11p' "$0"; exit 2; }
base=$1; work=$2
: "${FLUVIO_RUN:?FLUVIO_RUN must name a fluvio-run binary}"
mkdir -p "$work"
work=$(cd "$work" && pwd)
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

pids=()
stop_cluster() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap stop_cluster EXIT

# start_cluster PORT DIR: an SC and 3 SPUs registered with it, all Online.
start_cluster() {
  local port=$1 dir=$2
  mkdir -p "$dir"
  "$FLUVIO_RUN" sc --local "$dir/sc-meta" --bind-public "127.0.0.1:$port" \
    --bind-private "127.0.0.1:$((port + 1))" >"$dir/sc.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do "$flv" -c "127.0.0.1:$port" spu list >/dev/null 2>&1 && break; sleep 0.2; done
  for i in 1 2 3; do
    local pub=$((port + 10 * i))
    "$flv" -c "127.0.0.1:$port" spu register --id $((9000 + i)) -p "127.0.0.1:$pub" \
      -v "127.0.0.1:$((pub + 1))" >/dev/null
    "$FLUVIO_RUN" spu -i $((9000 + i)) -p "127.0.0.1:$pub" -v "127.0.0.1:$((pub + 1))" \
      --sc-addr "127.0.0.1:$((port + 1))" --log-base-dir "$dir/spu$i" >"$dir/spu$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 150); do
    [ "$("$flv" -c "127.0.0.1:$port" spu list -O json 2>/dev/null | grep -o '"Online"' | wc -l)" -ge 3 ] && return 0
    sleep 0.2
  done
  echo "the SPUs of 127.0.0.1:$port did not come Online (logs in $dir)" >&2
  exit 1
}

# run NAME TEST_BINARY TEST_NAME PORT [EXPECTED]: one build on a fresh cluster.
run() {
  local name=$1 binary=$2 test=$3 port=$4 expected=${5:-}
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name"
  start_cluster "$port" "$work/$name/cluster"
  echo "== $name on 127.0.0.1:$port"
  local start=$SECONDS
  FLV_COMPAT_REAL_SC=127.0.0.1:$port FLV_COMPAT_WRITE="$work/$name.txt" \
    FLV_COMPAT_EXPECTED="$expected" \
    cargo test -q -p flv-tests --test "$binary" -- --exact "$test" 2>&1 | tail -n 20
  echo "   $name: $((SECONDS - start)) s, transcript $work/$name.txt"
  stop_cluster
}

cargo build -q -p flv-tests --test compat_official --test compat_flv
flv=${FLV:-}
if [ -z "$flv" ]; then cargo build -q -p flv-cli; flv=target/debug/flv; fi
run official compat_official official_client_runs_the_compat_programs_on_a_real_cluster "$base"
run flv compat_flv flv_runs_the_compat_programs_on_a_real_cluster $((base + 100)) "$work/official.txt"
if cmp -s "$work/official.txt" "$work/flv.txt"; then
  echo "the same transcript ($(wc -l <"$work/flv.txt") lines) from the official client and flv"
else
  diff "$work/official.txt" "$work/flv.txt" || true
  exit 1
fi
