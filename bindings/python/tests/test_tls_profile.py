"""TLS to a mock cluster serving a self-signed certificate, and the profile file."""

import shutil
import subprocess

import pytest

import flv
from conftest import MockCluster
from flv import Fluvio, FluvioAdmin, FluvioConfig, Offset


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,DNS:*.localhost",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
        check=True,
        capture_output=True,
    )
    c = MockCluster(spus=1, extra=("--tls-cert", str(d / "cert.pem"), "--tls-key", str(d / "key.pem")))
    c.dir = d
    yield c
    c.stop()


def test_anonymous_tls_roundtrip(tls_cluster, topic_name):
    config = FluvioConfig.new(tls_cluster.endpoint)
    config.set_anonymous_tls()
    fluvio = Fluvio.connect_with_config(config)
    fluvio.admin().create_topic(topic_name)
    producer = fluvio.topic_producer(topic_name)
    assert producer.send(b"k", b"over tls").wait().offset() == 0
    record = next(fluvio.partition_consumer(topic_name, 0).stream(Offset.beginning()))
    assert record.value() == b"over tls"


def test_verified_tls_with_an_unknown_ca_fails(tls_cluster, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
         "-keyout", str(other / "key.pem"), "-out", str(other / "cert.pem")],
        check=True,
        capture_output=True,
    )
    config = FluvioConfig.new(tls_cluster.endpoint)
    config.set_tls_file_paths("localhost", str(other / "key.pem"), str(other / "cert.pem"), str(other / "cert.pem"))
    with pytest.raises(flv.FluvioTlsError) as e:
        Fluvio.connect_with_config(config)
    assert e.value.code == "TLS_ERROR"
    # Plain TCP to a TLS server fails too, with a clear error and no hang.
    with pytest.raises(flv.FluvioError):
        Fluvio.connect_with_config(FluvioConfig.new(tls_cluster.endpoint))


def test_current_profile(cluster, topic_name, tmp_path, monkeypatch):
    profile = tmp_path / "config"
    profile.write_text(
        'version = "2.0"\ncurrent_profile = "local"\n\n[profile.local]\ncluster = "local"\n\n'
        f'[cluster.local]\nendpoint = "{cluster.endpoint}"\n'
    )
    monkeypatch.setenv("FLV_PROFILE_PATH", str(profile))
    assert FluvioConfig.load().endpoint == cluster.endpoint
    admin = FluvioAdmin.connect()
    admin.create_topic(topic_name)
    assert Fluvio.connect().topic_producer(topic_name).send(b"", b"p").wait().offset() == 0
