"""The examples and the benchmark script run against the mock cluster."""

import json
import pathlib
import subprocess
import sys
import threading
import time

import flv
from flv import ConsumerConfigExtBuilder, Fluvio, FluvioConfig, Offset

HERE = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = HERE / "examples"


class Proc:
    """An example running in a subprocess, its stdout collected by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.out = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.out.append(line)

    def output(self) -> str:
        return "".join(self.out)

    def until(self, text: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.output():
            if self.proc.poll() is not None and text not in self.output():
                raise AssertionError(f"exited ({self.proc.returncode}): {self.proc.stderr.read()}")
            assert time.monotonic() < deadline, f"no {text!r} in {self.output()!r}"
            time.sleep(0.02)

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> int:
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def say_until_seen(sender: "Proc", receiver: "Proc", line: str, seen: str) -> None:
    """Sends `line` until the receiver prints `seen`: a consumer that starts at the end
    learns where the end is asynchronously, so a first line may come before it."""
    deadline = time.monotonic() + 30
    while True:
        sender.say(line)
        try:
            receiver.until(seen, 1)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_chat(cluster, topic_name):
    args = ["--endpoint", cluster.endpoint, "--topic", topic_name]
    alice = Proc(str(EXAMPLES / "chat.py"), "alice", *args)
    alice.until("alice joined")
    bob = Proc(str(EXAMPLES / "chat.py"), "bob", *args)
    try:
        bob.until("bob joined")
        say_until_seen(alice, bob, "hi bob", "alice: hi bob")
        say_until_seen(bob, alice, "hello alice", "bob: hello alice")
        assert "alice: hi bob" not in alice.output()
    finally:
        assert alice.close() == 0
        assert bob.close() == 0
    # A late joiner replays the history.
    carol = Proc(str(EXAMPLES / "chat.py"), "carol", *args, "--history", "1")
    try:
        carol.until("bob: hello alice")
    finally:
        assert carol.close() == 0


def test_cdc_producer(cluster, topic_name, tmp_path):
    db = tmp_path / "app.db"
    common = [str(EXAMPLES / "cdc_producer.py"), "--db", str(db), "--endpoint", cluster.endpoint, "--topic", topic_name]
    first = Proc(*common, "--simulate", "60")
    first.until("cdc: sent")
    assert first.close() == 0
    # A second run sends only the new changes.
    second = Proc(*common, "--simulate", "20", "--seed", "8")
    second.until("cdc: sent")
    assert second.close() == 0
    sent = [int(p.output().split("sent ")[1].split()[0]) for p in (first, second)]
    assert sent[0] >= 60 and sent[1] >= 20

    fluvio = Fluvio.connect_with_config(FluvioConfig.new(cluster.endpoint))
    events = []
    for partition in (0, 1):
        builder = ConsumerConfigExtBuilder(topic_name)
        builder.partition(partition)
        builder.disable_continuous(True)
        for record in fluvio.consumer_with_config(builder.build()):
            events.append((record.key_string(), json.loads(record.value())))
    assert len(events) == sum(sent)
    log_ids = sorted(e["source"]["log_id"] for _, e in events)
    assert log_ids == list(range(1, sum(sent) + 1))
    by_key = {}
    for key, event in sorted(events, key=lambda e: e[1]["source"]["log_id"]):
        by_key.setdefault(key, []).append(event["op"])
    for key, ops in by_key.items():
        assert ops[0] == "c", (key, ops)
        assert "d" not in ops[:-1], (key, ops)


def test_bench_script_runs(cluster):
    """bench.py runs every workload with both packages (tiny, numbers not checked)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "bench.py"), "--runs", "1", "--records", "400", "--cluster", cluster.endpoint],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("bench: produce-100B") and "consume-1KiB" in last, out.stdout


def test_offset_of_a_stream_restarts_where_stored(cluster, topic_name):
    """Auto offset management: a consumer resumes after the records it read."""
    admin = flv.FluvioAdmin.connect_with_config(FluvioConfig.new(cluster.endpoint))
    admin.create_topic(topic_name)
    fluvio = Fluvio.connect_with_config(FluvioConfig.new(cluster.endpoint))
    producer = fluvio.topic_producer(topic_name)
    producer.send_all([(None, f"{i}".encode()) for i in range(10)])
    producer.flush()
    builder = ConsumerConfigExtBuilder(topic_name)
    builder.offset_start(Offset.beginning())
    builder.offset_strategy(flv.OffsetManagementStrategy.AUTO)
    builder.offset_consumer("auto-" + topic_name)
    stream = fluvio.consumer_with_config(builder.build())
    assert [next(stream).offset() for _ in range(5)] == [0, 1, 2, 3, 4]
    del stream
    deadline = time.monotonic() + 20
    while True:
        stored = [o.offset for o in fluvio.consumer_offsets() if o.consumer_id == "auto-" + topic_name]
        if stored == [4]:
            break
        assert time.monotonic() < deadline, stored
        time.sleep(0.02)
    resumed = fluvio.consumer_with_config(builder.build())
    assert next(resumed).offset() == 5
