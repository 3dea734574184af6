'use strict';
// Producing and consuming against the mock cluster: 10,000 records, keys, binary values,
// offsets, and consumers from the beginning, an absolute offset, the end.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Fluvio, Offset, Record } = require('..');
const { startMockCluster } = require('../test-support/mock-cluster');

/** No test may hang the suite. */
const LIMIT = { timeout: 60000 };

let cluster;
let fluvio;

before(async () => {
  cluster = await startMockCluster({ spus: 2 });
  fluvio = await Fluvio.connect({ endpoint: cluster.endpoint });
});

after(async () => {
  if (fluvio) await fluvio.close();
  if (cluster) await cluster.stop();
});

/** The first `n` records of `stream`, then closes it. */
async function take(stream, n) {
  const records = [];
  if (n > 0) {
    for await (const r of stream) {
      records.push(r);
      if (records.length === n) break;
    }
  }
  return records;
}

const N = 10000;

test('produce and consume 10,000 records in order', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('ten-thousand', { partitions: 1 });
  const producer = await fluvio.topicProducer('ten-thousand');
  assert.equal(producer.topic, 'ten-thousand');

  const sent = [];
  for (let i = 0; i < N; i++) sent.push(await producer.send(`key-${i % 10}`, `value-${i}`));
  await producer.flush();
  const outputs = await Promise.all(sent.map((o) => o.wait()));
  outputs.forEach((o, i) => assert.deepEqual(o, { partition: 0, offset: i }));

  const stream = await fluvio.consumer({
    topic: 'ten-thousand',
    partition: 0,
    offset: Offset.beginning(),
  });
  const records = await take(stream, N);
  assert.equal(records.length, N);
  records.forEach((r, i) => {
    assert.ok(r instanceof Record);
    assert.equal(r.offset, i);
    assert.equal(r.partition, 0);
    assert.equal(r.keyString(), `key-${i % 10}`);
    assert.equal(r.valueString(), `value-${i}`);
  });
  const now = Date.now();
  assert.ok(records[0].timestamp > now - 600000 && records[0].timestamp <= now + 1000);
});

test('consumer from an absolute offset, from the beginning + n, from the end - n', LIMIT, async () => {
  const first = async (offset) => {
    const stream = await fluvio.consumer({ topic: 'ten-thousand', partition: 0, offset });
    const [r] = await take(stream, 1);
    return r;
  };
  const absolute = await first(Offset.absolute(5000));
  assert.equal(absolute.offset, 5000);
  assert.equal(absolute.valueString(), 'value-5000');
  assert.equal((await first(Offset.fromBeginning(3))).offset, 3);
  assert.equal((await first(Offset.fromEnd(10))).offset, N - 10);

  const stream = await fluvio.consumer({
    topic: 'ten-thousand',
    partition: 0,
    offset: Offset.absolute(9990),
  });
  const tail = await take(stream, 10);
  assert.deepEqual(
    tail.map((r) => r.offset),
    Array.from({ length: 10 }, (_, i) => 9990 + i),
  );
});

test('a bounded consumer ends at the end known when it starts', LIMIT, async () => {
  const stream = await fluvio.consumer({
    topic: 'ten-thousand',
    partition: 0,
    offset: Offset.fromEnd(25),
    disableContinuous: true,
  });
  let count = 0;
  for await (const r of stream) {
    assert.equal(r.offset, N - 25 + count);
    count++;
  }
  assert.equal(count, 25);
});

test('Offset.end() sees only new records; send resolves with partition and offset', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('live', { partitions: 1 });
  const producer = await fluvio.topicProducer('live');
  assert.deepEqual(await (await producer.send(null, 'old')).wait(), { partition: 0, offset: 0 });

  const stream = await fluvio.consumer({ topic: 'live', partition: 0, offset: Offset.end() });
  const next = stream.next();
  // The consumer finds the end asynchronously: send new records until one arrives.
  let received = false;
  next.then(() => (received = true));
  const sent = [];
  while (!received && sent.length < 100) {
    sent.push(await (await producer.send(null, `new-${sent.length}`)).wait());
    await new Promise((r) => setTimeout(r, 50));
  }
  sent.forEach((o, i) => assert.deepEqual(o, { partition: 0, offset: i + 1 }));
  const { value, done } = await next;
  assert.equal(done, false);
  assert.ok(value.offset >= 1, 'not the old record');
  assert.equal(value.valueString(), `new-${value.offset - 1}`);
  assert.equal(value.key, null);
  assert.equal(value.keyString(), null);
  await stream.close();
  assert.deepEqual(await stream.next(), { value: undefined, done: true });
});

test('records with one key go to one partition, in order', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('keyed', { partitions: 3 });
  const producer = await fluvio.topicProducer('keyed');
  const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  const sent = [];
  for (let i = 0; i < 600; i++) {
    const key = keys[i % keys.length];
    sent.push(producer.send(key, JSON.stringify({ key, seq: Math.floor(i / keys.length) })));
  }
  const outputs = await Promise.all((await Promise.all(sent)).map((o) => o.wait()));
  const partitionOf = new Map();
  outputs.forEach((o, i) => {
    const key = keys[i % keys.length];
    if (!partitionOf.has(key)) partitionOf.set(key, o.partition);
    assert.equal(o.partition, partitionOf.get(key), `key ${key}`);
  });
  assert.ok(new Set(partitionOf.values()).size > 1, 'keys spread over partitions');

  // One consumer over every partition: per key, the records come in order.
  const stream = await fluvio.consumer({ topic: 'keyed', offset: Offset.beginning() });
  const records = await take(stream, 600);
  const seqs = new Map(keys.map((k) => [k, []]));
  for (const r of records) {
    assert.equal(r.partition, partitionOf.get(r.keyString()));
    const value = r.valueJson();
    assert.equal(value.key, r.keyString());
    seqs.get(value.key).push(value.seq);
  }
  for (const [key, s] of seqs) {
    assert.deepEqual(s, Array.from({ length: 100 }, (_, i) => i), `key ${key}`);
  }
});

test('binary keys and values round trip as Buffers', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('binary', { partitions: 1 });
  const producer = await fluvio.topicProducer('binary', { linger: 5, compression: 'gzip' });
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const big = Buffer.alloc(200000, 7);
  await producer.send(Buffer.from([0, 255]), all);
  await producer.send(null, new Uint8Array([1, 2, 3]));
  await producer.send(null, Buffer.alloc(0));
  await producer.send('big', big);
  await producer.close();
  await assert.rejects(producer.send(null, 'after close'), { code: 'CLOSED' });

  const stream = await fluvio.consumer({
    topic: 'binary',
    partition: 0,
    offset: Offset.beginning(),
  });
  const [a, b, c, d] = await take(stream, 4);
  assert.ok(Buffer.isBuffer(a.value) && Buffer.isBuffer(a.key));
  assert.deepEqual(a.key, Buffer.from([0, 255]));
  assert.deepEqual(a.value, all);
  assert.deepEqual(b.value, Buffer.from([1, 2, 3]));
  assert.equal(c.value.length, 0);
  assert.equal(d.keyString(), 'big');
  assert.ok(d.value.equals(big));
});

test('sendAll resolves with every record\'s output', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('send-all', { partitions: 1 });
  const producer = await fluvio.topicProducer('send-all');
  const out = await producer.sendAll([
    ['a', '1'],
    [null, '2'],
    ['c', Buffer.from('3')],
  ]);
  assert.equal(out.length, 3);
  const stored = await out.wait();
  assert.deepEqual(stored.map((o) => o.offset), [0, 1, 2]);

  // Many records, one promise; interleaved with single sends, in call order.
  const many = Array.from({ length: 5000 }, (_, i) => [`k${i}`, `v${i}`]);
  const [batch, single] = await Promise.all([producer.sendAll(many), producer.send(null, 'last')]);
  const batchStored = await batch.wait();
  assert.deepEqual(batchStored.map((o) => o.offset), Array.from({ length: 5000 }, (_, i) => 3 + i));
  assert.equal((await single.wait()).offset, 5003);
  await assert.rejects(producer.sendAll([['k', 5]]), { code: 'INVALID_ARGUMENT' });

  const stream = await fluvio.consumer({ topic: 'send-all', offset: Offset.absolute(4000) });
  const [r] = await take(stream, 1);
  assert.equal(r.keyString(), 'k3997');
  assert.equal(r.valueString(), 'v3997');
});

test('sendAll: runs of strings (ASCII or not) mixed with Buffers, null keys and a record larger than a chunk', LIMIT, async () => {
  await (await fluvio.admin()).createTopic('send-all-mixed', { partitions: 1 });
  const producer = await fluvio.topicProducer('send-all-mixed');
  const keyOf = (i) => {
    if (i % 10 === 3) return null;
    if (i % 10 === 5) return Buffer.from(`kb${i}`);
    return i % 7 === 0 ? `ключ-${i}` : `k${i}`;
  };
  const valueOf = (i) => {
    if (i === 1700) return 'x'.repeat(300000);
    return i % 11 === 0 ? `värde 🙂 ${i}` : `v${i}`;
  };
  const n = 2500;
  const out = await producer.sendAll(Array.from({ length: n }, (_, i) => [keyOf(i), valueOf(i)]));
  const stored = await out.wait();
  assert.deepEqual(stored.map((o) => o.offset), Array.from({ length: n }, (_, i) => i));
  const stream = await fluvio.consumer({ topic: 'send-all-mixed', offset: Offset.absolute(0) });
  const records = await take(stream, n);
  records.forEach((r, i) => {
    const key = keyOf(i);
    assert.equal(r.keyString(), key === null ? null : String(key), `key of ${i}`);
    assert.equal(r.valueString(), valueOf(i), `value of ${i}`);
  });
  await stream.close();
});

test('close() ends a consumer waiting for records', LIMIT, async () => {
  const stream = await fluvio.consumer({ topic: 'send-all', offset: Offset.end() });
  const pending = stream.next();
  setTimeout(() => stream.close(), 100);
  assert.deepEqual(await pending, { value: undefined, done: true });
});
