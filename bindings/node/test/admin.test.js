'use strict';
// The admin API against the mock cluster: create, list, delete topics; partitions; SPUs.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Fluvio, FluvioError } = require('..');
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

test('connect reports the endpoint', LIMIT, () => {
  assert.equal(fluvio.endpoint, cluster.endpoint);
});

test('topic round trip: create, list, partitions, delete', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('admin-round-trip', { partitions: 3, replication: 1 });

  const topics = await admin.listTopics();
  const topic = topics.find((t) => t.name === 'admin-round-trip');
  assert.ok(topic, `listed: ${JSON.stringify(topics)}`);
  assert.equal(topic.partitions, 3);
  assert.equal(topic.replication, 1);
  assert.equal(topic.status, 'Provisioned');

  const filtered = await admin.listTopics('round-trip');
  assert.deepEqual(filtered.map((t) => t.name), ['admin-round-trip']);

  const partitions = await admin.describePartitions('admin-round-trip');
  assert.deepEqual(partitions.map((p) => p.partition), [0, 1, 2]);
  for (const p of partitions) {
    assert.equal(p.topic, 'admin-round-trip');
    assert.equal(p.status, 'Online');
    assert.ok(p.leader >= 0);
    assert.deepEqual(p.replicas, [p.leader]);
    assert.equal(p.highWatermark, 0);
  }

  await admin.deleteTopic('admin-round-trip');
  const after = await admin.listTopics();
  assert.ok(!after.some((t) => t.name === 'admin-round-trip'));
  assert.deepEqual(await admin.describePartitions('admin-round-trip'), []);
});

test('default topic settings: one partition, one replica', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('admin-defaults');
  const [topic] = await admin.listTopics('admin-defaults');
  assert.equal(topic.partitions, 1);
  assert.equal(topic.replication, 1);
  await admin.deleteTopic('admin-defaults');
});

test('dry run creates nothing', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('admin-dry-run', { partitions: 2, dryRun: true });
  assert.deepEqual(await admin.listTopics('admin-dry-run'), []);
});

test('SPUs are listed with their addresses', LIMIT, async () => {
  const spus = await (await fluvio.admin()).listSpus();
  assert.equal(spus.length, cluster.spus);
  for (const spu of spus) {
    assert.equal(typeof spu.id, 'number');
    assert.equal(spu.status, 'Online');
    assert.match(spu.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof spu.name, 'string');
  }
});

test('admin errors carry the cluster error code', LIMIT, async () => {
  const admin = await fluvio.admin();
  await admin.createTopic('admin-errors');
  await assert.rejects(admin.createTopic('admin-errors'), (e) => {
    assert.ok(e instanceof FluvioError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'TOPIC_ALREADY_EXISTS');
    assert.match(e.message, /already exists/);
    return true;
  });
  await assert.rejects(admin.deleteTopic('admin-no-such-topic'), { code: 'TOPIC_NOT_FOUND' });
  await assert.rejects(admin.createTopic('Bad Name!'), { code: 'TOPIC_INVALID_NAME' });
  await assert.rejects(admin.createTopic('admin-zero', { partitions: 0 }), {
    code: 'TOPIC_INVALID_CONFIGURATION',
  });
  await admin.deleteTopic('admin-errors');
});
