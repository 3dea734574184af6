'use strict';
// Code written for the official `@fluvio/client` (0.14.9), run against the mock cluster
// (or, with FLV_CLUSTER=HOST:PORT, against that real cluster: see test-support/mock-cluster.js).
//
// The client under test is `require(process.env.FLV_COMPAT_CLIENT || '..')`: flv by
// default; `FLV_COMPAT_CLIENT=/path/to/node_modules/@fluvio/client` runs the same file
// against the official package (`scripts/compat-official.sh` installs it and does). Only
// the official API is used. Where the official package fails (its native module lacks
// `fetch` and custom SPUs, its `stream` cannot be ended), the test checks that it fails
// that way, and that flv does the documented thing.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startMockCluster } = require('../test-support/mock-cluster');

const CLIENT = process.env.FLV_COMPAT_CLIENT
  ? path.resolve(process.env.FLV_COMPAT_CLIENT)
  : path.join(__dirname, '..');
const client = require(CLIENT);
const Fluvio = client.default;
const { Offset, SpuGroupSpec, CustomSpuSpec } = client;
/** The official package's native module has no `fetch`, no custom SPUs, no `endStream`. */
const OFFICIAL = typeof client.PartitionConsumerJS === 'function';

/** No test may hang the suite. */
const LIMIT = { timeout: 60000 };

let cluster;
let fluvio;
let host;
let port;

/** Polls `condition` every 10 ms until it holds, failing after `ms`. */
async function until(condition, ms, what) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The first `n` records of `stream` (an async iterable of official records). */
async function take(stream, n) {
  const out = [];
  if (n === 0) return out;
  for await (const record of stream) {
    out.push(record);
    if (out.length === n) break;
  }
  return out;
}

/** What a thrown value says: the official package throws non-Error objects. */
function text(e) {
  return String(e);
}

before(async () => {
  cluster = await startMockCluster({ spus: 2 });
  [host, port] = cluster.endpoint.split(':');
  port = Number(port);
  fluvio = new Fluvio({ host, port });
  await fluvio.connect();
});

after(async () => {
  if (cluster) await cluster.stop();
  if (OFFICIAL) {
    // The official client's `stream()` keeps the process alive and cannot be ended.
    setTimeout(() => process.exit(0), 500).unref();
  } else {
    await fluvio.close();
  }
});

test('the default export is the Fluvio class; Fluvio.connect connects', LIMIT, async () => {
  assert.equal(typeof Fluvio, 'function');
  const other = await Fluvio.connect({ host, port });
  assert.ok(other instanceof Fluvio);
  const admin = await other.admin();
  assert.equal(typeof (await admin.listTopic()), 'string');
  assert.equal(await other.connect(), other, 'connect() again is a no-op');
});

test('a method before connect() fails with the official message', LIMIT, async () => {
  const unconnected = new Fluvio({ host, port });
  await assert.rejects(unconnected.admin(), /must call `.connect\(\)`/);
});

test('admin: createTopic, findTopic, listTopic, listPartitions, findPartition, deleteTopic', LIMIT, async () => {
  const admin = await fluvio.admin();
  assert.equal(
    await admin.createTopic('compat-admin', { partitions: 2, replicationFactor: 1, ignoreRackAssignment: false }),
    'compat-admin',
  );

  const topic = await admin.findTopic('compat-admin');
  assert.equal(topic.name, 'compat-admin');
  assert.deepEqual(topic.spec.replicas, {
    computed: { partitions: 2, replicationFactor: 1, ignoreRackAssignment: false },
  });
  assert.equal(topic.status.resolution, 'Provisioned');
  assert.deepEqual(Object.keys(topic.status.replicaMap).sort(), ['0', '1']);
  assert.equal(await admin.findTopic('compat-no-such-topic'), null);

  const topics = JSON.parse(await admin.listTopic());
  assert.deepEqual(
    topics.find((t) => t.name === 'compat-admin'),
    topic,
  );

  const partitions = JSON.parse(await admin.listPartitions()).filter((p) => p.name.startsWith('compat-admin-'));
  assert.deepEqual(partitions.map((p) => p.name).sort(), ['compat-admin-0', 'compat-admin-1']);
  for (const p of partitions) {
    assert.equal(p.status.resolution, 'Online');
    assert.deepEqual(p.spec.replicas, [p.spec.leader]);
    assert.equal(p.status.leader.spu, p.spec.leader);
    assert.equal(p.status.leader.hw, 0);
  }

  const p0 = await admin.findPartition('compat-admin');
  assert.equal(p0.name, 'compat-admin-0');
  assert.deepEqual(p0.spec.replicas, [p0.spec.leader]);
  assert.equal(p0.status.resolution, 'Online');
  assert.equal(p0.status.leader.spu, p0.spec.leader);
  assert.equal(typeof p0.status.lsr, 'string');
  assert.ok(Array.isArray(p0.status.replicas));
  await assert.rejects(admin.findPartition('compat-no-such-topic'), (e) => /failed to find partition/.test(text(e)));

  await assert.rejects(admin.createTopic('compat-admin'), (e) => /already exists/i.test(text(e)));
  assert.equal(await admin.deleteTopic('compat-admin'), 'compat-admin');
  assert.equal(await admin.findTopic('compat-admin'), null);
  await assert.rejects(admin.deleteTopic('compat-admin'), (e) => /not found/i.test(text(e)));
});

test('admin: createTopic with explicit partition maps', LIMIT, async () => {
  const admin = await fluvio.admin();
  const spus = JSON.parse(await admin.listSpu());
  const id = spus[0].spec.spuId;
  await admin.createTopic('compat-assigned', { maps: [{ id: 0, replicas: [id] }] });
  const topic = await admin.findTopic('compat-assigned');
  assert.deepEqual(topic.spec.replicas.assigned.map((m) => [m.id, m.replicas]), [[0, [id]]]);
  assert.equal((await admin.findPartition('compat-assigned')).spec.leader, id);
  await admin.deleteTopic('compat-assigned');
});

test('admin: listSpu lists the SPUs', LIMIT, async () => {
  const spus = JSON.parse(await (await fluvio.admin()).listSpu());
  assert.equal(spus.length, cluster.spus);
  for (const spu of spus) {
    assert.equal(typeof spu.spec.spuId, 'number');
    assert.equal(spu.status.resolution, 'Online');
    assert.equal(spu.spec.publicEndpoint.ingress[0].hostname, '127.0.0.1');
    assert.equal(typeof spu.spec.publicEndpoint.port, 'number');
  }
});

test('admin: managed SPUs (an SPU group) are created and deleted', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createManagedSpu('compat-group', new SpuGroupSpec({ replicas: 1, minId: 7000 }));
  const again = admin.createManagedSpu('compat-group', new SpuGroupSpec({ replicas: 1, minId: 7000 }));
  if (cluster.real) {
    // A real SC (run locally, without Kubernetes) accepts the same group again, with
    // either package; the mock rejects it as upstream's metadata store would.
    await again;
  } else {
    await assert.rejects(again, (e) => /exists/i.test(text(e)));
  }
  await admin.deleteManagedSpu('compat-group');
});

test('admin: custom SPUs (flv registers them; the official native module has none)', LIMIT, async () => {
  const admin = await fluvio.admin();
  const spec = new CustomSpuSpec({ id: 7100 });
  if (OFFICIAL) {
    await assert.rejects(admin.createCustomSpu('compat-custom', spec), (e) => e instanceof TypeError);
    return;
  }
  await admin.createCustomSpu('compat-custom', spec);
  const listed = JSON.parse(await admin.listSpu()).find((s) => s.spec.spuId === 7100);
  assert.ok(listed, 'the custom SPU is listed');
  assert.equal(listed.spec.spuType, 'Custom');
  assert.equal(listed.spec.publicEndpoint.port, 9005);
  await admin.deleteCustomSpu('compat-custom');
  assert.ok(!JSON.parse(await admin.listSpu()).some((s) => s.spec.spuId === 7100));
  await admin.createCustomSpu('compat-custom-2', new CustomSpuSpec({ id: 7101 }));
  await admin.deleteCustomSpu(7101);
  assert.ok(!JSON.parse(await admin.listSpu()).some((s) => s.spec.spuId === 7101));
});

test('produce with send, sendAll and flush; consume with createStream', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-records');
  const producer = await fluvio.topicProducer('compat-records');
  await producer.send('key-0', 'value-0');
  // Bytes as a Uint8Array: the official native module rejects ArrayBuffers ("Producer args
  // must be string or ArrayBuffer") although its types declare them.
  await producer.send(new TextEncoder().encode('key-1'), new TextEncoder().encode('binary-value-1'));
  const many = [];
  for (let i = 2; i < 100; i++) many.push([`key-${i}`, `value-${i}`]);
  await producer.sendAll(many);
  await producer.flush();

  const consumer = await fluvio.partitionConsumer('compat-records', 0);
  const records = await take(await consumer.createStream(Offset.FromBeginning()), 100);
  assert.equal(records.length, 100);
  records.forEach((r, i) => {
    assert.equal(r.hasKey(), true);
    assert.equal(r.keyString(), `key-${i}`);
    assert.equal(r.valueString(), i === 1 ? 'binary-value-1' : `value-${i}`);
    assert.ok(r.key() instanceof ArrayBuffer);
    assert.ok(r.value() instanceof ArrayBuffer);
    assert.equal(Buffer.from(r.value()).toString(), r.valueString());
    assert.equal(r.key().byteLength, Buffer.byteLength(`key-${i}`));
  });
});

test('offsets: FromEnd sees only new records; { index, from } counts from either end', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-offsets');
  const producer = await fluvio.topicProducer('compat-offsets');
  await producer.sendAll([0, 1, 2, 3, 4].map((i) => [`k${i}`, `old-${i}`]));
  await producer.flush();
  const consumer = await fluvio.partitionConsumer('compat-offsets', 0);

  const fromEnd = await consumer.createStream(Offset.FromEnd());
  await producer.send('k5', 'new-5');
  await producer.flush();
  assert.deepEqual((await take(fromEnd, 1)).map((r) => r.valueString()), ['new-5']);

  const third = await consumer.createStream(new Offset({ index: 2, from: 'beginning' }));
  assert.deepEqual((await take(third, 2)).map((r) => r.valueString()), ['old-2', 'old-3']);
  const lastTwo = await consumer.createStream(new Offset({ index: 2, from: 'end' }));
  assert.deepEqual((await take(lastTwo, 2)).map((r) => r.valueString()), ['old-4', 'new-5']);
  const defaults = new Offset();
  assert.equal(defaults.index, 0);
  assert.equal(defaults.from, 'end');
  assert.equal(Offset.FromBeginning().from, 'beginning');
});

test('sendRecord sends a value to a partition', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-send-record');
  const producer = await fluvio.topicProducer('compat-send-record');
  for (let i = 0; i < 10; i++) await producer.sendRecord(`record-${i}`, 0);
  await producer.flush();
  const consumer = await fluvio.partitionConsumer('compat-send-record', 0);
  const records = await take(await consumer.createStream(Offset.FromBeginning()), 10);
  assert.deepEqual(
    records.map((r) => r.valueString()),
    Array.from({ length: 10 }, (_, i) => `record-${i}`),
  );
});

test('stream(offset, callback) calls back for every record', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-callback');
  const producer = await fluvio.topicProducer('compat-callback');
  await producer.sendAll(Array.from({ length: 20 }, (_, i) => [`k${i}`, `v${i}`]));
  await producer.flush();
  const consumer = await fluvio.partitionConsumer('compat-callback', 0);
  const seen = [];
  await consumer.stream(Offset.FromBeginning(), (record) => seen.push(record.valueString()));
  await until(() => seen.length >= 20, 10000, '20 records by callback');
  await producer.send('k20', 'v20');
  await producer.flush();
  await until(() => seen.length >= 21, 10000, 'the live record by callback');
  assert.deepEqual(seen, Array.from({ length: 21 }, (_, i) => `v${i}`));
  if (!OFFICIAL) {
    await consumer.endStream();
    await producer.send('k21', 'v21');
    await producer.flush();
    const tail = await take(await consumer.createStream(new Offset({ index: 1, from: 'end' })), 1);
    assert.equal(tail[0].valueString(), 'v21');
    assert.equal(seen.length, 21, 'no callback after endStream');
  }
});

test('streamWithConfig with maxBytes and no SmartModule streams every record', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-config');
  const producer = await fluvio.topicProducer('compat-config');
  // One record per batch: a batch larger than maxBytes stalls the official client for
  // good (the SPU cuts it and the client asks for the offset after it); flv raises maxBytes.
  for (let i = 0; i < 50; i++) {
    await producer.send(`k${i}`, 'x'.repeat(100) + i);
    await producer.flush();
  }
  const consumer = await fluvio.partitionConsumer('compat-config', 0);
  const stream = await consumer.streamWithConfig(Offset.FromBeginning(), {
    maxBytes: 1024,
    smartmoduleType: 'filter',
  });
  const records = await take(stream, 50);
  assert.deepEqual(
    records.map((r) => r.valueString()),
    Array.from({ length: 50 }, (_, i) => 'x'.repeat(100) + i),
  );
});

test('streamWithConfig with an unknown SmartModule fails with the SPU error', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-smartmodule');
  const consumer = await fluvio.partitionConsumer('compat-smartmodule', 0);
  await assert.rejects(
    (async () => {
      const stream = await consumer.streamWithConfig(Offset.FromBeginning(), {
        smartmoduleType: 'filter',
        smartmoduleName: 'compat-no-such-module',
      });
      await stream.next();
    })(),
    (e) => /SmartModule compat-no-such-module was not found/i.test(text(e)) || /SMART_MODULE_NOT_FOUND/.test(e.code),
  );
});

test('fetch (flv returns the records; the official native module has no fetch)', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('compat-fetch');
  const producer = await fluvio.topicProducer('compat-fetch');
  await producer.sendAll(Array.from({ length: 5 }, (_, i) => [`k${i}`, `v${i}`]));
  await producer.flush();
  const consumer = await fluvio.partitionConsumer('compat-fetch', 0);
  if (OFFICIAL) {
    await assert.rejects(consumer.fetch(Offset.FromBeginning()), (e) => e instanceof TypeError);
    return;
  }
  const response = await consumer.fetch(Offset.FromBeginning());
  assert.equal(response.partitionIndex, 0);
  assert.equal(response.highWatermark, 5);
  assert.equal(response.logStartOffset, 0);
  assert.deepEqual(response.toRecords(), ['v0', 'v1', 'v2', 'v3', 'v4']);
  const values = response.records.batches.flatMap((b) => b.records.map((r) => r.value));
  assert.deepEqual(values, ['v0', 'v1', 'v2', 'v3', 'v4']);
  assert.deepEqual((await consumer.fetch()).toRecords(), [], 'the default offset is the end');
  const lastTwo = await consumer.fetch(new Offset({ index: 2, from: 'end' }));
  assert.deepEqual(lastTwo.toRecords(), ['v3', 'v4']);
});

test('a missing topic fails to produce and to stream', LIMIT, async () => {
  await assert.rejects(fluvio.topicProducer('compat-missing'), (e) => /not found/i.test(text(e)));
  const consumer = await fluvio.partitionConsumer('compat-missing', 0);
  await assert.rejects(consumer.createStream(Offset.FromBeginning()), (e) => /not found/i.test(text(e)));
});
