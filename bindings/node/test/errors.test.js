'use strict';
// Errors are JavaScript Errors (FluvioError) with a `code`; connecting by profile.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Fluvio, Offset, FluvioError } = require('..');
const { startMockCluster } = require('../test-support/mock-cluster');

/** No test may hang the suite. */
const LIMIT = { timeout: 60000 };

let cluster;
let fluvio;

before(async () => {
  cluster = await startMockCluster({ spus: 1 });
  fluvio = await Fluvio.connect({ endpoint: cluster.endpoint });
  await (await fluvio.admin()).createTopic('errors-topic');
});

after(async () => {
  if (fluvio) await fluvio.close();
  if (cluster) await cluster.stop();
});

/** Asserts `promise` rejects with a FluvioError of `code`. */
async function rejectsWith(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Error, `an Error: ${e}`);
    assert.ok(e instanceof FluvioError, `a FluvioError: ${e}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!e.message.startsWith('['), e.message);
    return true;
  });
}

test('unknown topic: producer and consumer fail with TOPIC_NOT_FOUND', LIMIT, async () => {
  await rejectsWith(fluvio.topicProducer('no-such-topic'), 'TOPIC_NOT_FOUND');
  await rejectsWith(
    fluvio.consumer({ topic: 'no-such-topic', offset: Offset.beginning() }),
    'TOPIC_NOT_FOUND',
  );
});

test('unknown partition fails with PARTITION_NOT_FOUND', LIMIT, async () => {
  const stream = await fluvio.consumer({
    topic: 'errors-topic',
    partition: 9,
    offset: Offset.beginning(),
  }).catch((e) => e);
  if (stream instanceof Error) {
    assert.equal(stream.code, 'PARTITION_NOT_FOUND');
  } else {
    await rejectsWith(stream.next(), 'PARTITION_NOT_FOUND');
  }
});

test('nothing listening: CONNECTION_REFUSED', LIMIT, async () => {
  // A port that was free a moment ago (the server closes it before the connect).
  const net = require('node:net');
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  await rejectsWith(Fluvio.connect({ endpoint: `127.0.0.1:${port}` }), 'CONNECTION_REFUSED');
  await rejectsWith(Fluvio.connect({ endpoint: 'no-port-here' }), 'INVALID_ADDRESS');
});

test('bad arguments fail with INVALID_ARGUMENT', LIMIT, async () => {
  const producer = await fluvio.topicProducer('errors-topic');
  await rejectsWith(producer.send(null, 42), 'INVALID_ARGUMENT');
  await rejectsWith(producer.send({ a: 1 }, 'v'), 'INVALID_ARGUMENT');
  await rejectsWith(fluvio.topicProducer('errors-topic', { compression: 'rar' }), 'INVALID_ARGUMENT');
  assert.throws(() => Offset.absolute(-1), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => Offset.fromEnd(1.5), { code: 'INVALID_ARGUMENT' });
  await rejectsWith(fluvio.consumer({ topic: 'errors-topic', offset: 3 }), 'INVALID_ARGUMENT');
});

test('a record over the request size fails with RECORD_TOO_LARGE', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('too-large');
  const producer = await fluvio.topicProducer('too-large');
  // send resolves once the record is handed over; its failure comes from wait() and
  // flush(), and the records around it (sent with it to the addon) are stored.
  const before = await producer.send(null, 'before');
  const big = await producer.send(null, Buffer.alloc(2 * 1024 * 1024));
  const after = await producer.send(null, 'after');
  await rejectsWith(big.wait(), 'RECORD_TOO_LARGE');
  await rejectsWith(producer.flush(), 'RECORD_TOO_LARGE');
  assert.deepEqual(await before.wait(), { partition: 0, offset: 0 });
  assert.deepEqual(await after.wait(), { partition: 0, offset: 1 });
  // The failure was reported once; the producer still works.
  assert.equal((await (await producer.send(null, 'small')).wait()).offset, 2);
  await producer.flush();
  const stream = await fluvio.consumer({ topic: 'too-large', offset: Offset.beginning() });
  const values = [];
  for await (const r of stream) {
    values.push(r.valueString());
    if (values.length === 3) break;
  }
  assert.deepEqual(values, ['before', 'after', 'small']);
});

test('connect by profile; a missing profile fails with CONFIG_ERROR', LIMIT, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flv-node-'));
  const file = path.join(dir, 'config');
  fs.writeFileSync(
    file,
    [
      'version = "2.0"',
      'current_profile = "mock"',
      '[profile.mock]',
      'cluster = "mock"',
      '[cluster.mock]',
      `endpoint = "${cluster.endpoint}"`,
      '',
    ].join('\n'),
  );
  const saved = process.env.FLV_PROFILE_PATH;
  process.env.FLV_PROFILE_PATH = file;
  try {
    const byCurrent = await Fluvio.connect();
    assert.equal(byCurrent.endpoint, cluster.endpoint);
    await byCurrent.close();
    const byName = await Fluvio.connect({ profile: 'mock' });
    assert.ok((await (await byName.admin()).listTopics()).some((t) => t.name === 'errors-topic'));
    await byName.close();
    await rejectsWith(Fluvio.connect({ profile: 'nope' }), 'CONFIG_ERROR');
  } finally {
    if (saved === undefined) delete process.env.FLV_PROFILE_PATH;
    else process.env.FLV_PROFILE_PATH = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a closed client fails with CLOSED', LIMIT, async () => {
  const client = await Fluvio.connect({ endpoint: cluster.endpoint });
  const producer = await client.topicProducer('errors-topic');
  await client.close();
  await rejectsWith(producer.send(null, 'x'), 'CLOSED');
  await rejectsWith(client.topicProducer('errors-topic'), 'CLOSED');
  await rejectsWith((await client.admin()).listTopics(), 'CLOSED');
});
