#!/usr/bin/env bash
# Runs the compat programs (tests/tests/compat/) against real Fluvio clusters, outside CI:
# the official client's build on one fresh cluster, then flv-tokio's on another, and
# requires flv's transcript to equal the official client's (a fresh cluster each, since
# the programs create their topics and read their offsets).
#
# usage: START=<real-fluvio start.sh> FLV=<an flv binary> [FLUVIO_RUN=<fluvio-run>] \
#          scripts/compat-real.sh BASEPORT WORKDIR
#   start.sh and fluvio-run: see "A real Fluvio cluster" in DEVELOPERS.md / README.
#   Clusters: SC at 127.0.0.1:BASEPORT, then BASEPORT+100; data and logs under WORKDIR.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,11p' "$0"; exit 2; }
base=$1; work=$2
: "${START:?START must name the real-fluvio start.sh}"
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
mkdir -p "$work"
work=$(cd "$work" && pwd)

cluster_pid=""
stop_cluster() {
  if [ -n "$cluster_pid" ]; then
    kill "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
    cluster_pid=""
  fi
}
trap stop_cluster EXIT

# run NAME TEST_BINARY TEST_NAME PORT [EXPECTED]: one build on a fresh cluster.
run() {
  local name=$1 binary=$2 test=$3 port=$4 expected=${5:-}
  rm -rf "${work:?}/$name"
  mkdir -p "$work/$name"
  bash "$START" "$port" 3 "$work/$name/cluster" >"$work/$name/start.log" 2>&1 &
  cluster_pid=$!
  for _ in $(seq 300); do
    grep -q "^real Fluvio cluster" "$work/$name/start.log" && break
    kill -0 "$cluster_pid" 2>/dev/null || { cat "$work/$name/start.log"; exit 1; }
    sleep 0.2
  done
  grep -q "^real Fluvio cluster" "$work/$name/start.log" || { echo "cluster not up"; exit 1; }
  echo "== $name on 127.0.0.1:$port"
  local start=$SECONDS
  FLV_COMPAT_REAL_SC=127.0.0.1:$port FLV_COMPAT_WRITE="$work/$name.txt" \
    FLV_COMPAT_EXPECTED="$expected" \
    cargo test -q -p flv-tests --test "$binary" -- --exact "$test" 2>&1 | tail -n 20
  echo "   $name: $((SECONDS - start)) s, transcript $work/$name.txt"
  stop_cluster
}

cargo build -q -p flv-tests --test compat_official --test compat_flv
run official compat_official official_client_runs_the_compat_programs_on_a_real_cluster "$base"
run flv compat_flv flv_runs_the_compat_programs_on_a_real_cluster $((base + 100)) "$work/official.txt"
if cmp -s "$work/official.txt" "$work/flv.txt"; then
  echo "the same transcript ($(wc -l <"$work/flv.txt") lines) from the official client and flv"
else
  diff "$work/official.txt" "$work/flv.txt" || true
  exit 1
fi
