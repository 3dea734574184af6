'use strict';
// The examples run against the mock cluster: two chat users talk; the CDC producer's
// events are consumed back.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Fluvio, Offset } = require('..');
const { startMockCluster } = require('../test-support/mock-cluster');

/** No test may hang the suite. */
const LIMIT = { timeout: 60000 };

const EXAMPLES = path.join(__dirname, '..', 'examples');
let cluster;

before(async () => {
  cluster = await startMockCluster({ spus: 2 });
});

after(async () => {
  if (cluster) await cluster.stop();
});

/** Runs an example; `output()` is its stdout so far, `exited` its exit code. */
function run(example, args) {
  const child = spawn(process.execPath, [path.join(EXAMPLES, example), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, errors: () => err, exited };
}

/** Waits until `cond()` holds, polling, for at most `ms`. */
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('chat: each user sees the others\' messages, not their own', LIMIT, async () => {
  const args = ['--endpoint', cluster.endpoint, '--topic', 'chat-room'];
  const alice = run('chat.js', ['alice', ...args]);
  await until(() => alice.output().includes('joined'), 15000, 'alice to join');
  const bob = run('chat.js', ['bob', ...args]);
  try {
    await until(() => bob.output().includes('joined'), 15000, 'bob to join');
    // Bob's consumer starts at the end: say hello until he hears it.
    await until(
      () => {
        if (!bob.output().includes('alice: hello bob')) alice.child.stdin.write('hello bob\n');
        return bob.output().includes('alice: hello bob');
      },
      15000,
      'bob to hear alice',
    );
    bob.child.stdin.write('hi alice\n');
    await until(() => alice.output().includes('bob: hi alice'), 15000, 'alice to hear bob');
    assert.ok(!alice.output().includes('alice: hello bob'), 'alice does not echo herself');
    assert.ok(!bob.output().includes('bob: hi alice'), 'bob does not echo himself');
  } finally {
    alice.child.stdin.end();
    bob.child.stdin.end();
  }
  assert.equal(await alice.exited, 0, alice.errors());
  assert.equal(await bob.exited, 0, bob.errors());
});

test('cdc-producer: JSON change events, in order per row', LIMIT, async () => {
  const producer = run('cdc-producer.js', [
    '--endpoint', cluster.endpoint, '--topic', 'cdc', '--count', '300', '--partitions', '2',
  ]);
  assert.equal(await producer.exited, 0, producer.errors());
  assert.match(producer.output(), /sent 300 change events to cdc/);

  const fluvio = await Fluvio.connect({ endpoint: cluster.endpoint });
  const stream = await fluvio.consumer({
    topic: 'cdc',
    offset: Offset.beginning(),
    disableContinuous: true,
  });
  const events = [];
  for await (const r of stream) events.push({ key: r.keyString(), event: r.valueJson() });
  await fluvio.close();

  assert.equal(events.length, 300);
  const seqs = events.map((e) => e.event.source.seq).sort((a, b) => a - b);
  assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i + 1));
  // Per row: created first, then updates with growing visit counts, deleted last.
  const rows = new Map();
  for (const { key, event } of events) {
    (rows.get(key) ?? rows.set(key, []).get(key)).push(event);
  }
  for (const [key, history] of rows) {
    assert.equal(history[0].op, 'c', key);
    history.forEach((e, i) => {
      if (i > 0) assert.ok(e.source.seq > history[i - 1].source.seq, key);
      if (e.op === 'u') assert.equal(e.after.visits, e.before.visits + 1);
      if (e.op === 'd') assert.equal(i, history.length - 1);
      assert.equal(`users:${(e.after ?? e.before).id}`, key);
    });
  }
});
