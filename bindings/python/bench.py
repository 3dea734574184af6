#!/usr/bin/env python3
"""flv vs the official `fluvio` package: the same workloads, alternating runs, against the
same cluster (a `flv-mock-cluster` started here, or --cluster HOST:PORT).

Workloads, each written once against the official API (`producer.send(key, value)` per
record then `flush()`; `partition_consumer(topic, 0).stream(Offset.beginning())` read to
the end, touching every record's value):
  produce-100B, produce-5KiB, consume-1KiB (catch-up read of records produced before).
Each run is a fresh subprocess on a fresh topic (deleted afterwards). Prints records/s of
each run, the medians and the ratio flv / official.

  python bench.py [--runs 3] [--records 200000] [--cluster HOST:PORT] [--quick]

Needs both packages importable (flv and fluvio==0.21.0) and, without --cluster, a built
mock cluster (cargo build --release -p flv-mock-cluster; FLV_MOCK_CLUSTER overrides).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKLOADS = {
    # name: (value size, records factor of --records)
    "produce-100B": (100, 1.0),
    "produce-5KiB": (5 * 1024, 0.25),
    "consume-1KiB": (1024, 1.0),
}


def worker(lib: str, workload: str, records: int, endpoint: str) -> None:
    """One measured run in this process; prints {"records": n, "seconds": s} as JSON."""
    fl = __import__(lib)
    size = WORKLOADS[workload][0]
    topic = f"bench-{workload.lower()}-{lib}-{uuid.uuid4().hex[:8]}"
    admin = fl.FluvioAdmin.connect_with_config(fl.FluvioConfig.new(endpoint))
    admin.create_topic(topic, fl.TopicSpec.create().with_max_partition_size(1 << 40).build())
    fluvio = fl.Fluvio.connect_with_config(fl.FluvioConfig.new(endpoint))
    value = os.urandom(size)
    key = b""
    try:
        producer = fluvio.topic_producer(topic)
        if workload.startswith("produce"):
            start = time.perf_counter()
            for _ in range(records):
                producer.send(key, value)
            producer.flush()
            seconds = time.perf_counter() - start
            got = records
        else:
            for _ in range(records):
                producer.send(key, value)
            producer.flush()
            stream = fluvio.partition_consumer(topic, 0).stream(fl.Offset.beginning())
            start = time.perf_counter()
            got = 0
            total = 0
            last = records - 1
            for record in stream:
                total += len(record.value())
                got += 1
                # Up to the last offset: the official client skips the records of batches
                # the SPU cuts at max_bytes, so counting records could wait forever.
                if record.offset() >= last:
                    break
            seconds = time.perf_counter() - start
            assert total == got * size
        print(json.dumps({"records": got, "expected": records, "seconds": seconds}))
    finally:
        admin.delete_topic(topic)


def start_mock():
    binary = os.environ.get("FLV_MOCK_CLUSTER")
    if not binary:
        builds = [ROOT / "target" / p / "flv-mock-cluster" for p in ("release", "debug")]
        builds = [b for b in builds if b.exists()]
        if not builds:
            sys.exit("flv-mock-cluster not built: cargo build --release -p flv-mock-cluster")
        binary = str(builds[0])
    proc = subprocess.Popen(
        [binary, "--spus", "1", "--port", "0", "--control"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    endpoint = proc.stdout.readline().strip()
    if not endpoint:
        sys.exit("the mock cluster printed no endpoint")
    return proc, endpoint, binary


def run_once(lib: str, workload: str, records: int, endpoint: str) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", lib, workload, str(records), endpoint],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["records"] / result["seconds"], result["records"], result["expected"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--cluster", help="HOST:PORT of a running cluster (default: start the mock)")
    parser.add_argument("--quick", action="store_true", help="1 run of 20,000 records")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lib, workload, records, endpoint = args.worker
        worker(lib, workload, int(records), endpoint)
        return
    if args.quick:
        args.runs, args.records = 1, 20_000

    proc = None
    if args.cluster:
        endpoint, where = args.cluster, f"cluster {args.cluster}"
    else:
        proc, endpoint, binary = start_mock()
        where = f"mock cluster {binary} (1 SPU) at {endpoint}"
    print(f"bench: {where}; {args.runs} alternating runs; python {sys.version.split()[0]}")
    ratios = {}
    try:
        for workload, (size, factor) in WORKLOADS.items():
            records = max(1, int(args.records * factor))
            rates = {"flv": [], "fluvio": []}
            for run in range(args.runs):
                order = ("flv", "fluvio") if run % 2 == 0 else ("fluvio", "flv")
                for lib in order:
                    rate, got, expected = run_once(lib, workload, records, endpoint)
                    rates[lib].append(rate)
                    print(
                        f"  {workload:13} run {run + 1} {lib:7} {rate:12,.0f} records/s"
                        f" ({got:,} of {expected:,} records delivered)"
                    )
            flv_rate = statistics.median(rates["flv"])
            official = statistics.median(rates["fluvio"])
            ratios[workload] = flv_rate / official
            print(
                f"{workload:13} {records:>8,} x {size:>5} B: flv {flv_rate:12,.0f} records/s,"
                f" official {official:12,.0f} records/s, ratio {ratios[workload]:.2f}x"
            )
    finally:
        if proc is not None:
            proc.stdin.close()
            proc.wait(10)
    print("bench: " + " ".join(f"{w} {r:.2f}x" for w, r in ratios.items()))


if __name__ == "__main__":
    main()
