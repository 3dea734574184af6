#!/usr/bin/env bash
# Issue 15's "Done when" on a real Fluvio cluster (never in CI): a paced, read-committed
# `flv produce` to a topic of replication 3 while the partition's leader is killed (kill -9) and
# restarted 3 s later must exit 0, and the topic must hold every record exactly once.
#
# usage: FLUVIO_RUN=path/to/fluvio-run FLV=path/to/flv scripts/real-exactly-once-produce.sh \
#          [BASEPORT] [RECORDS] [RATE] [-- FLV PRODUCE OPTIONS]
#   Starts its own SC and 3 SPUs on 127.0.0.1:BASEPORT.. (default 29000), data in a temporary
#   directory, stops them at the end. RECORDS (default 20000) lines `00000000`.. at RATE lines/s
#   (default 2000); the leader stays down DOWN seconds (default 3). Options after `--` go to
#   `flv produce` (e.g. `--no-exactly-once`). Exit status 0 only when flv exits 0 and the log
#   holds each record once.
set -u
base=${1:-29000}; records=${2:-20000}; rate=${3:-2000}
shift $(( $# < 3 ? $# : 3 )); [ "${1:-}" = -- ] && shift
run=${FLUVIO_RUN:?set FLUVIO_RUN to a fluvio-run binary}
flv=${FLV:-flv}
dir=$(mktemp -d -t flv-eo-XXXXXX)
sc=127.0.0.1:$base
pids=()
spu_pid=()
stop() { for p in "${pids[@]}" "${spu_pid[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap stop EXIT
start_spu() {
  local i=$1 id=$((9000+$1)) pub=$((base+10*$1))
  "$run" spu -i $id -p 127.0.0.1:$pub -v 127.0.0.1:$((pub+1)) --sc-addr 127.0.0.1:$((base+1)) \
    --log-base-dir "$dir/spu$i" >>"$dir/spu$i.log" 2>&1 &
  spu_pid[$i]=$!
}
"$run" sc --local "$dir/sc-meta" --bind-public $sc --bind-private 127.0.0.1:$((base+1)) >"$dir/sc.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do "$flv" -c $sc spu list >/dev/null 2>&1 && break; sleep 0.2; done
for i in 1 2 3; do
  "$flv" -c $sc spu register --id $((9000+i)) -p 127.0.0.1:$((base+10*i)) -v 127.0.0.1:$((base+10*i+1)) >/dev/null
  start_spu $i
done
for _ in $(seq 100); do
  [ "$("$flv" -c $sc spu list -O json 2>/dev/null | grep -o '"Online"' | wc -l)" -ge 3 ] && break
  sleep 0.2
done
"$flv" -c $sc topic create eo -r 3 >/dev/null || exit 1
leader() {
  "$flv" -c $sc partition list -O json | python3 -c \
    'import json,sys; print(json.load(sys.stdin)[0]["spec"]["leader"])'
}
for _ in $(seq 100); do l=$(leader 2>/dev/null) && [ "${l:-0}" -gt 0 ] && break; sleep 0.2; done
# The paced input: RECORDS lines at RATE per second.
pace="import sys,time
n,r=int(sys.argv[1]),float(sys.argv[2]); t=time.monotonic()
for i in range(n):
    print(f'{i:08}', flush=True)
    d=t+(i+1)/r-time.monotonic()
    if d>0: time.sleep(d)"
python3 -c "$pace" "$records" "$rate" | "$flv" -c $sc produce eo --isolation read_committed "$@" >"$dir/produce.out" 2>&1 &
producer=$!
sleep 3
l=$(leader); i=$((l-9000))
echo "killing leader SPU $l (pid ${spu_pid[$i]}) mid-run"
kill -9 "${spu_pid[$i]}"; wait "${spu_pid[$i]}" 2>/dev/null
killed=$(date +%s.%N); seen=""
while python3 -c "import sys,time; sys.exit(time.time()-$killed>=${DOWN:-3})"; do
  now=$(leader 2>/dev/null); case " $seen " in *" $now "*) ;; *) seen="$seen $now";; esac; sleep 0.2
done
echo "partition leaders seen while SPU $l was down:$seen"
start_spu $i
echo "restarted SPU $l; partition leader now $(leader 2>/dev/null)"
wait $producer; code=$?
echo "flv produce exit status: $code"
[ -s "$dir/produce.out" ] && head -5 "$dir/produce.out"
"$flv" -c $sc consume eo -B -d -p 0 >"$dir/consumed.txt" 2>"$dir/consume.err"
total=$(wc -l <"$dir/consumed.txt")
unique=$(sort -u "$dir/consumed.txt" | wc -l)
expected=$(python3 -c "import sys; print('\n'.join(f'{i:08}' for i in range($records)))" | sort | comm -23 - <(sort -u "$dir/consumed.txt") | wc -l)
echo "records in topic: $total, distinct: $unique, duplicates: $((total-unique)), missing: $expected (of $records)"
[ "$code" -eq 0 ] && [ "$total" -eq "$records" ] && [ "$unique" -eq "$records" ] && [ "$expected" -eq 0 ]
