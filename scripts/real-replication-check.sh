#!/usr/bin/env bash
# Checks the replication rules the mock cluster copies against a REAL Fluvio cluster
# (never in CI: it needs a fluvio-run binary built from upstream, see README "A real cluster").
#
# usage: FLUVIO_RUN=path/to/fluvio-run FLV=path/to/flv [STEPS="1 2 3 4 6"] [LAGS="1 2 3 4 5"] [REPEATS=2] \
#          scripts/real-replication-check.sh BASEPORT DIR
#
# Starts start.sh-like cluster of 3 SPUs (ids 9001..9003) on loopback and prints, for each rule:
#  1. read-committed produce latency with all replicas up (how fast followers fetch);
#  2. a follower killed: the high watermark and a read-committed produce (error, time);
#  3. the leader killed while one follower lags (SIGSTOP): whom the SC elects;
#  4. the leader killed while every follower lags by more than 3 records: the partition's fate;
#  5. the old leader restarted with records the new leader never had: what each replica holds.
#  6. the election threshold and the divergent log, for each lag in LAGS (REPEATS times each):
#     replication 2, the follower SIGSTOPped, LAG records produced read-uncommitted, the SC
#     waited for until it knows the leader's new log end, the leader `kill -9`ed, the follower
#     SIGCONTed: whether and when the SC elects it; then 3 records produced to whoever leads,
#     the old leader restarted, and what each replica holds (records on disk, hw and leo as
#     the SC sees them, what a consumer reads).
set -u
base=$1; dir=$2
run=${FLUVIO_RUN:?set FLUVIO_RUN}; flv=${FLV:?set FLV}
mkdir -p "$dir"; rm -rf "${dir:?}"/*
pids=()
declare -A spu_pid
cleanup() { for p in "${pids[@]}" "${spu_pid[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
sc="127.0.0.1:$base"
"$run" sc --local "$dir/sc-meta" --bind-public "$sc" --bind-private 127.0.0.1:$((base+1)) >"$dir/sc.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do "$flv" -c "$sc" spu list >/dev/null 2>&1 && break; sleep 0.2; done
start_spu() { # id
  local i=$(( $1 - 9000 )); local pub=$((base+10*i)); local priv=$((pub+1))
  "$run" spu -i "$1" -p 127.0.0.1:$pub -v 127.0.0.1:$priv --sc-addr 127.0.0.1:$((base+1)) \
    --log-base-dir "$dir/spu$i" >>"$dir/spu$i.log" 2>&1 &
  spu_pid[$1]=$!
}
for id in 9001 9002 9003; do
  i=$((id-9000)); pub=$((base+10*i))
  "$flv" -c "$sc" spu register --id $id -p 127.0.0.1:$pub -v 127.0.0.1:$((pub+1)) >/dev/null 2>&1
  start_spu $id
done
for _ in $(seq 100); do
  [ "$("$flv" -c "$sc" spu list -O json 2>/dev/null | grep -o '"Online"' | wc -l)" -ge 3 ] && break; sleep 0.2
done
parts() { "$flv" -c "$sc" partition list -O json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    s=p.get("status",{}); sp=p.get("spec",{})
    print(p.get("name"), "leader", sp.get("leader"), "res", s.get("resolution"),
          "leader-status", s.get("leader"), "replicas", s.get("replicas"))' ; }
leader_of() { "$flv" -c "$sc" partition list -O json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p["name"]==sys.argv[1]: print(p["spec"]["leader"])' "$1"; }
followers_of() { "$flv" -c "$sc" partition list -O json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p["name"]==sys.argv[1]: print(" ".join(str(r) for r in p["spec"]["replicas"] if r!=p["spec"]["leader"]))' "$1"; }
ms() { date +%s%3N; }
produce() { # topic n prefix isolation timeout
  seq 1 "$2" | sed "s/^/$3-/" | "$flv" -c "$sc" produce "$1" --isolation "$4" --delivery-timeout "$5" 2>&1 | tail -2; }

step1() {
echo "== 1. follower fetch timing: read-committed produce, replication 3 vs 1"
"$flv" -c "$sc" topic create r3 -r 3 >/dev/null; "$flv" -c "$sc" topic create r1 -r 1 >/dev/null; sleep 2
for t in r1 r3; do
  a=$(ms); for k in $(seq 1 20); do echo "x$k" | "$flv" -c "$sc" produce $t --isolation read_committed >/dev/null 2>&1; done
  echo "$t: 20 one-record read-committed produces (process start included): $(( $(ms) - a )) ms"
done

}
step2() {
echo "== 2. follower killed (kill -9), read-committed produce"
"$flv" -c "$sc" topic create f -r 3 >/dev/null; sleep 2
produce f 5 before read_committed 20s
L=$(leader_of f-0); set -- $(followers_of f-0); F=$1
echo "leader $L, killing follower $F"; kill -9 "${spu_pid[$F]}"; sleep 3; parts | grep '^f-0'
a=$(ms); produce f 3 rc read_committed 8s; echo "read-committed produce took $(( $(ms) - a )) ms"
a=$(ms); produce f 3 ru read_uncommitted 8s; echo "read-uncommitted produce took $(( $(ms) - a )) ms"
sleep 1; parts | grep '^f-0'
echo "-- follower $F restarted"; start_spu "$F"; sleep 5; parts | grep '^f-0'
timeout 15 "$flv" -c "$sc" consume f -B -d 2>&1 | tr '\n' ' '; echo

}
step3() {
echo "== 3. leader killed while one follower lags (SIGSTOP)"
"$flv" -c "$sc" topic create e -r 3 >/dev/null; sleep 2
produce e 5 base read_committed 20s
L=$(leader_of e-0); set -- $(followers_of e-0); A=$1; B=$2
echo "leader $L followers $A $B; stopping $A"; kill -STOP "${spu_pid[$A]}"
produce e 10 lag read_uncommitted 10s; sleep 2; parts | grep '^e-0'
kill -9 "${spu_pid[$L]}"; echo "killed leader $L"; sleep 6; parts | grep '^e-0'
kill -CONT "${spu_pid[$A]}"; sleep 4; parts | grep '^e-0'
start_spu "$L"; sleep 6; echo "-- old leader $L restarted"; parts | grep '^e-0'
timeout 15 "$flv" -c "$sc" consume e -B -d 2>&1 | tr '\n' ' '; echo

}
step4() {
echo "== 4. leader killed while every follower lags by more than 3 records"
"$flv" -c "$sc" topic create g -r 3 >/dev/null; sleep 2
produce g 5 base read_committed 20s
L=$(leader_of g-0); set -- $(followers_of g-0); A=$1; B=$2
kill -STOP "${spu_pid[$A]}" "${spu_pid[$B]}"
produce g 10 tail read_uncommitted 10s; sleep 1
kill -9 "${spu_pid[$L]}"; echo "leader $L killed, followers $A $B were stopped"
kill -CONT "${spu_pid[$A]}" "${spu_pid[$B]}"; sleep 8; parts | grep '^g-0'
a=$(ms); produce g 1 during read_uncommitted 5s; echo "produce with the leader dead: $(( $(ms) - a )) ms"
start_spu "$L"; sleep 8; echo "-- old leader $L restarted"; parts | grep '^g-0'
timeout 15 "$flv" -c "$sc" consume g -B -d 2>&1 | tr '\n' ' '; echo

}
step5() {
echo "== 5. divergent log: leader $L of g had records; now check each SPU's stored records"
for id in 9001 9002 9003; do
  i=$((id-9000)); echo "spu $id data dir:"; find "$dir/spu$i" -path '*g-0*' -name '*.log' -exec ls -l {} \; 2>/dev/null
done
}
# One line of the SC's view of a partition: resolution, leader, and hw/leo of each replica.
pstate() { "$flv" -c "$sc" partition list -O json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p["name"]!=sys.argv[1]: continue
    s=p.get("status",{}); l=s.get("leader",{})
    reps=" ".join("%s:%s/%s"%(r.get("spu"),r.get("hw"),r.get("leo")) for r in s.get("replicas",[]))
    print("leader=%s %s leader-hw/leo=%s/%s followers(spu:hw/leo)=%s"%(p["spec"]["leader"],
          s.get("resolution"), l.get("hw"), l.get("leo"), reps))' "$1"; }
# The leader's log end as the SC knows it.
sc_leo() { "$flv" -c "$sc" partition list -O json 2>/dev/null | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p["name"]==sys.argv[1]: print(p.get("status",{}).get("leader",{}).get("leo",-1))' "$1"; }
# The record values stored in one SPU's copy of a partition (its segment files, read raw).
on_disk() { # spu-index partition
  find "$dir/spu$1" -path "*$2*" -name '*.log' -exec cat {} + 2>/dev/null | grep -aoE '(base|lost|new|later)-[0-9]+' | tr '\n' ' '; }
wait_for() { # timeout-seconds command...: polls every 100 ms; prints the elapsed ms, or "never"
  local t=$1; shift; local a; a=$(ms)
  while ! "$@"; do
    [ $(( $(ms) - a )) -ge $((t*1000)) ] && { echo never; return 1; }
    sleep 0.1
  done
  echo $(( $(ms) - a ))
}
leader_is() { [ "$(leader_of "$1")" = "$2" ]; }
online() { pstate "$1" | grep -q ' Online '; }
sc_knows_leo() { [ "$(sc_leo "$1")" -ge "$2" ]; }

step6() {
echo "== 6. election threshold and divergent log: replication 2, follower SIGSTOPped LAG records behind"
for lag in ${LAGS:-1 2 3 4 5}; do
  for rep in $(seq 1 "${REPEATS:-2}"); do
    t="lag$lag-$rep"; p="$t-0"
    "$flv" -c "$sc" topic create "$t" -r 2 >/dev/null
    wait_for 30 online "$p" >/dev/null
    produce "$t" 5 base read_committed 30s >/dev/null
    L=$(leader_of "$p"); F=$(followers_of "$p")
    wait_for 10 sc_knows_leo "$p" 5 >/dev/null
    kill -STOP "${spu_pid[$F]}"
    produce "$t" "$lag" lost read_uncommitted 10s >/dev/null
    known=$(wait_for 15 sc_knows_leo "$p" $((5+lag)))
    before=$(pstate "$p")
    kill -9 "${spu_pid[$L]}"; a=$(ms)
    sleep 3; at3=$(pstate "$p")
    kill -CONT "${spu_pid[$F]}"
    el=$(wait_for 20 leader_is "$p" "$F"); on=$(wait_for 20 online "$p")
    after=$(pstate "$p")
    echo "lag $lag run $rep: leader $L, follower $F; SC knew leo $((5+lag)) after ${known} ms: $before"
    echo "   3 s after kill -9 of $L (follower still stopped): $at3"
    echo "   follower continued: elected after $el ms, Online after $on ms (from SIGCONT): $after"
    produce "$t" 3 new read_uncommitted 10s >/dev/null
    start_spu "$L"
    wait_for 30 online "$p" >/dev/null; sleep 5
    echo "   old leader $L restarted, 3 records produced to the new leader before: $(pstate "$p")"
    echo "   on disk: $L: $(on_disk $((L-9000)) "$p")"
    echo "            $F: $(on_disk $((F-9000)) "$p")"
    echo "   consumer (-B -d) reads: $(timeout 15 "$flv" -c "$sc" consume "$t" -B -d 2>&1 | tr '\n' ' ')"
    produce "$t" 4 later read_uncommitted 10s >/dev/null; sleep 3
    echo "   after 4 more records: $(pstate "$p")"
    echo "   on disk: $L: $(on_disk $((L-9000)) "$p")"
    echo "            $F: $(on_disk $((F-9000)) "$p")"
    echo "   consumer (-B -d) reads: $(timeout 15 "$flv" -c "$sc" consume "$t" -B -d 2>&1 | tr '\n' ' ')"
    # kill the current leader: when the other replica is elected, what does a consumer read?
    N=$(leader_of "$p"); O=$L; [ "$N" = "$L" ] && O=$F
    kill -9 "${spu_pid[$N]}"
    el=$(wait_for 20 leader_is "$p" "$O"); wait_for 20 online "$p" >/dev/null
    echo "   current leader $N killed: $O elected after $el ms: $(pstate "$p")"
    echo "   consumer (-B -d) reads: $(timeout 15 "$flv" -c "$sc" consume "$t" -B -d 2>&1 | tr '\n' ' ')"
    start_spu "$N"; wait_for 30 online "$p" >/dev/null
    for _ in $(seq 100); do [ "$("$flv" -c "$sc" spu list -O json 2>/dev/null | grep -o '"Online"' | wc -l)" -ge 3 ] && break; sleep 0.2; done
  done
done
}

for s in ${STEPS:-1 2 3 4 5 6}; do "step$s"; done
echo done
