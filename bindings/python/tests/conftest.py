"""Fixtures: the `flv-mock-cluster` binary (an in-memory Fluvio test double) on an
ephemeral port, with its fault-injection control on stdin, and the client packages."""

import importlib
import os
import pathlib
import subprocess
import threading
import uuid

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]


def mock_binary() -> str:
    """$FLV_MOCK_CLUSTER, else the newest cargo build of the mock cluster."""
    env = os.environ.get("FLV_MOCK_CLUSTER")
    if env:
        return env
    builds = [ROOT / "target" / p / "flv-mock-cluster" for p in ("debug", "release")]
    builds = [b for b in builds if b.exists()]
    if not builds:
        raise RuntimeError("flv-mock-cluster not built: run `cargo build -p flv-mock-cluster`")
    return str(max(builds, key=lambda b: b.stat().st_mtime))


class MockCluster:
    """A running mock cluster: `endpoint`, and `command()` for fault injection."""

    def __init__(self, spus: int, extra: tuple = ()) -> None:
        self.spus = spus
        self.proc = subprocess.Popen(
            [mock_binary(), "--spus", str(spus), "--port", "0", "--control", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        line = self._readline(20.0)
        if not line:
            self.proc.kill()
            raise RuntimeError("mock cluster printed no endpoint")
        self.endpoint = line.strip()
        self._lock = threading.Lock()

    def _readline(self, timeout: float) -> str:
        out: list = []
        reader = threading.Thread(target=lambda: out.append(self.proc.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout)
        if not out:
            raise TimeoutError(f"mock cluster did not answer in {timeout} s")
        return out[0]

    def command(self, line: str) -> str:
        """Sends one control command (`stop-spu ID`, `restart-spu ID`, `leader T P`)."""
        with self._lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self._readline(10.0).strip()
        if answer.startswith("error"):
            raise RuntimeError(f"mock cluster: {line}: {answer}")
        return answer

    def leader(self, topic: str, partition: int = 0) -> int:
        return int(self.command(f"leader {topic} {partition}").split()[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def cluster():
    c = MockCluster(spus=3)
    yield c
    c.stop()


@pytest.fixture(scope="module")
def faulty_cluster():
    """A cluster of its own for tests that stop SPUs."""
    c = MockCluster(spus=3)
    yield c
    c.stop()


def official_available() -> bool:
    try:
        importlib.import_module("fluvio")
        return True
    except ImportError:
        if os.environ.get("FLV_REQUIRE_OFFICIAL") == "1":
            raise
        return False


@pytest.fixture(params=["flv", "fluvio"])
def fl(request):
    """The client package under test: flv, and the official fluvio when installed
    (FLV_REQUIRE_OFFICIAL=1 makes its absence an error, as in ci.sh)."""
    if request.param == "fluvio" and not official_available():
        pytest.skip("the official fluvio package is not installed")
    return importlib.import_module(request.param)


@pytest.fixture
def topic_name():
    return "t-" + uuid.uuid4().hex[:10]
