"""flv beyond the official package: error codes, asyncio, the GIL released while
waiting, batches, stubs, and a leader stopped mid-stream."""

import asyncio
import pathlib
import threading
import time

import pytest

import flv
from flv import (
    Fluvio,
    FluvioAdmin,
    FluvioConfig,
    FluvioError,
    Offset,
    TopicProducerConfigBuilder,
    TopicSpec,
)


def connect(cluster):
    return Fluvio.connect_with_config(FluvioConfig.new(cluster.endpoint))


def create(cluster, name, partitions=1, replication=1):
    admin = FluvioAdmin.connect_with_config(FluvioConfig.new(cluster.endpoint))
    admin.create_topic(name, TopicSpec.create().with_partitions(partitions).with_replications(replication))
    return admin


def produce(fluvio, topic, values):
    producer = fluvio.topic_producer(topic)
    outs = producer.send_all([(None, v) for v in values])
    producer.flush()
    return [o.wait() for o in outs]


def test_error_codes_and_classes(cluster, topic_name):
    fluvio = connect(cluster)
    with pytest.raises(flv.TopicNotFoundError) as e:
        fluvio.topic_producer(topic_name)
    assert e.value.code == "TOPIC_NOT_FOUND" and topic_name in str(e.value)
    with pytest.raises(flv.TopicNotFoundError):
        fluvio.partition_consumer(topic_name, 0).stream(Offset.beginning())

    with pytest.raises(flv.FluvioConnectionError) as e:
        Fluvio.connect_with_config(FluvioConfig.new("127.0.0.1:1"))
    assert e.value.code == "CONNECTION_REFUSED" and "127.0.0.1:1" in str(e.value)

    # TLS towards a plain-TCP server fails in the handshake.
    config = FluvioConfig.new(cluster.endpoint)
    config.set_anonymous_tls()
    with pytest.raises(flv.FluvioTlsError) as e:
        Fluvio.connect_with_config(config)
    assert e.value.code == "TLS_ERROR"

    config = FluvioConfig.new(cluster.endpoint)
    config.set_tls_file_paths("example.com", "/nonexistent/key.pem", "/nonexistent/cert.pem", "/nonexistent/ca.pem")
    with pytest.raises(flv.FluvioTlsError) as e:
        Fluvio.connect_with_config(config)
    assert e.value.code == "TLS_CONFIG_ERROR" and "/nonexistent/ca.pem" in str(e.value)

    admin = create(cluster, topic_name)
    with pytest.raises(FluvioError) as e:
        admin.create_topic(topic_name)
    assert e.value.code == "TOPIC_ALREADY_EXISTS"

    producer = fluvio.topic_producer_with_config(
        topic_name, TopicProducerConfigBuilder().set_specific_partitioner(7).build()
    )
    with pytest.raises(FluvioError) as e:
        producer.send(b"", b"x").wait()
    assert e.value.code == "PARTITION_NOT_FOUND"
    with pytest.raises(FluvioError) as e:
        fluvio.topic_producer(topic_name).send(b"", 5)
    assert e.value.code == "INVALID_ARGUMENT"
    with pytest.raises(FluvioError) as e:
        Offset.absolute(-1)
    assert e.value.code == "INVALID_ARGUMENT"

    fluvio.close()
    with pytest.raises(flv.FluvioClosedError) as e:
        fluvio.topic_producer(topic_name)
    assert e.value.code == "CLOSED"


def test_delivery_timeout_when_the_only_replica_is_down(faulty_cluster, topic_name):
    create(faulty_cluster, topic_name)
    fluvio = connect(faulty_cluster)
    config = TopicProducerConfigBuilder().delivery_timeout(500).build()
    producer = fluvio.topic_producer_with_config(topic_name, config)
    assert producer.send(b"", b"before").wait().offset() == 0
    leader = faulty_cluster.leader(topic_name)
    faulty_cluster.command(f"stop-spu {leader}")
    try:
        started = time.monotonic()
        with pytest.raises(flv.FluvioTimeoutError) as e:
            producer.send(b"", b"lost").wait()
        assert e.value.code == "TIMEOUT"
        assert time.monotonic() - started < 10
    finally:
        faulty_cluster.command(f"restart-spu {leader}")


def test_leader_stopped_mid_stream(faulty_cluster, topic_name):
    """Records produced before and after the leader stops are all read, in order, once."""
    create(faulty_cluster, topic_name, replication=2)
    fluvio = connect(faulty_cluster)
    stream = fluvio.partition_consumer(topic_name, 0).stream(Offset.beginning())
    producer = fluvio.topic_producer(topic_name)
    first = [producer.send(None, f"a{i}".encode()) for i in range(500)]
    producer.flush()
    assert [r.value_string() for r in (next(stream) for _ in range(250))] == [f"a{i}" for i in range(250)]

    leader = faulty_cluster.leader(topic_name)
    faulty_cluster.command(f"stop-spu {leader}")
    try:
        deadline = time.monotonic() + 20
        while faulty_cluster.leader(topic_name) == leader:
            assert time.monotonic() < deadline, "no new leader elected"
            time.sleep(0.02)
        second = [producer.send(None, f"b{i}".encode()) for i in range(500)]
        producer.flush()
        offsets = [o.wait().offset() for o in first + second]
        assert offsets == list(range(1000))
        rest = [next(stream).value_string() for _ in range(750)]
        assert rest == [f"a{i}" for i in range(250, 500)] + [f"b{i}" for i in range(500)]
    finally:
        faulty_cluster.command(f"restart-spu {leader}")


def test_gil_released_while_waiting(cluster, topic_name):
    """A thread keeps running Python code while the main thread waits for a record."""
    create(cluster, topic_name)
    fluvio = connect(cluster)
    # An empty topic: the read waits for the record the ticker thread produces.
    stream = fluvio.partition_consumer(topic_name, 0).stream(Offset.beginning())
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            if len(ticks) >= 200:
                produce(fluvio, topic_name, [b"wake"])
                return
            time.sleep(0.001)

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        assert next(stream).value() == b"wake"
    finally:
        stop.set()
        thread.join(10)
    assert len(ticks) >= 200


def test_batches(cluster, topic_name):
    create(cluster, topic_name)
    fluvio = connect(cluster)
    produce(fluvio, topic_name, [f"r{i}".encode() for i in range(1000)])
    stream = fluvio.partition_consumer(topic_name, 0).stream(Offset.beginning())
    first = stream.next_batch(max_records=10)
    assert [r.offset() for r in first] == list(range(10))
    got = [r.offset() for r in first]
    for batch in stream.batches():
        assert 1 <= len(batch)
        got += [r.offset() for r in batch]
        if len(got) >= 1000:
            break
    assert got == list(range(1000))

    builder = flv.ConsumerConfigExtBuilder(topic_name).disable_continuous(True)
    finite = fluvio.consumer_with_config(builder.build())
    total = 0
    while (batch := finite.next_batch()) is not None:
        total += len(batch)
    assert total == 1000


def test_asyncio_concurrency_and_batches(cluster, topic_name):
    create(cluster, topic_name, partitions=2)

    async def main():
        fluvio = await Fluvio.async_connect_with_config(FluvioConfig.new(cluster.endpoint))
        producer = await fluvio.async_topic_producer(topic_name)
        outs = await asyncio.gather(*(producer.async_send(f"k{i}".encode(), b"v") for i in range(200)))
        metas = await asyncio.gather(*(o.async_wait() for o in outs))
        assert sorted((m.partition_id(), m.offset()) for m in metas)[-1][1] >= 99

        builder = flv.ConsumerConfigExtBuilder(topic_name).disable_continuous(True)
        stream = await fluvio.async_consumer_with_config(builder.build())
        count = 0
        async for batch in stream.batches():
            count += len(batch)
        assert count == 200

        # A stream waiting in `async for` does not block the event loop. (It starts at an
        # absolute offset: where `Offset.end()` is gets known asynchronously.)
        end = sum(1 for m in metas if m.partition_id() == 0)
        stream = await fluvio.partition_consumer(topic_name, 0).async_stream(Offset.absolute(end))
        waiter = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)
        assert not waiter.done()
        to_p0 = TopicProducerConfigBuilder().set_specific_partitioner(0).build()
        late_producer = await fluvio.async_topic_producer_with_config(topic_name, to_p0)
        await late_producer.async_send(None, b"late")
        await late_producer.async_flush()
        late = await asyncio.wait_for(waiter, 10)
        assert late.value() == b"late"
        await fluvio.partition_consumer(topic_name, 0).async_stream(Offset.beginning())
        return True

    assert asyncio.run(asyncio.wait_for(main(), 60))


def test_asyncio_errors(cluster, topic_name):
    async def main():
        fluvio = await Fluvio.async_connect_with_config(FluvioConfig.new(cluster.endpoint))
        with pytest.raises(flv.TopicNotFoundError):
            await fluvio.async_topic_producer(topic_name)
        with pytest.raises(flv.FluvioConnectionError):
            await Fluvio.async_connect_with_config(FluvioConfig.new("127.0.0.1:1"))

    asyncio.run(main())


def test_admin_extras(cluster, topic_name, tmp_path):
    admin = create(cluster, topic_name, partitions=2)
    topics = {t.name(): t for t in admin.list_topics([topic_name])}
    assert topics[topic_name].partitions() == 2
    parts = admin.list_partitions([topic_name])
    assert all(p.leader() in p.replicas() for p in parts)
    spec = TopicSpec.create().with_retention_time("1h").with_segment_size("1 MiB").with_max_partition_size("10M")
    admin.create_topic(topic_name + "-r", spec)
    assert spec.retention_time == 3600 and spec.segment_size == 1 << 20
    wasm = tmp_path / "m.wasm"
    wasm.write_bytes(b"\0asm\1\0\0\0")
    admin.create_smartmodule("sm-" + topic_name, str(wasm), False)
    assert "sm-" + topic_name in [s.name() for s in admin.list_smartmodules([])]
    admin.delete_smartmodule("sm-" + topic_name)
    assert "sm-" + topic_name not in [s.name() for s in admin.list_smartmodules([])]
    with pytest.raises(FluvioError):
        TopicSpec.create().as_mirror_topic().build()


def test_stubs_cover_the_module():
    """Every public name of the native module is declared in the shipped stub."""
    stub = pathlib.Path(flv.__file__).with_name("_flv.pyi")
    assert stub.exists(), "the .pyi stub is not installed"
    text = stub.read_text()
    missing = [n for n in dir(flv._flv) if not n.startswith("_") and f"class {n}" not in text and f"{n} =" not in text and f"def {n}(" not in text]
    assert not missing, missing
    assert (pathlib.Path(flv.__file__).parent / "py.typed").exists()


def test_cancelled_anext_takes_no_record(cluster, topic_name):
    """Cancelling a pending `__anext__` aborts it: the next read gets the record."""
    create(cluster, topic_name)

    async def main():
        fluvio = await Fluvio.async_connect_with_config(FluvioConfig.new(cluster.endpoint))
        stream = await fluvio.partition_consumer(topic_name, 0).async_stream(Offset.beginning())
        waiter = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        producer = await fluvio.async_topic_producer(topic_name)
        await producer.async_send(None, b"kept")
        await producer.async_flush()
        record = await asyncio.wait_for(stream.__anext__(), 10)
        return record.offset(), record.value()

    assert asyncio.run(main()) == (0, b"kept")
