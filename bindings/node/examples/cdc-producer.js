#!/usr/bin/env node
'use strict';
// A CDC-style producer: simulates a `users` table changing (inserts, updates, deletes) and
// emits one JSON change event per row change, keyed by the row's primary key so that the
// changes of one row stay in order (one partition per key).
//
//   node examples/cdc-producer.js [--endpoint 127.0.0.1:9003] [--topic cdc-events]
//                                 [--count 100] [--interval 0] [--partitions 2]
//
// Events look like Debezium's: { op: 'c' | 'u' | 'd', before, after, source, ts_ms }.
// Consume them with, e.g., `fluvio consume cdc-events -B`.

const { parseArgs } = require('node:util');
const { Fluvio } = require('..');

const NAMES = ['ada', 'alan', 'barbara', 'dennis', 'edsger', 'grace', 'ken', 'linus', 'margaret'];

/** A tiny deterministic random generator (so runs are reproducible). */
function rng(seed) {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** Yields `count` change events of a simulated table. */
function* changes(count, seed) {
  const rand = rng(seed);
  const rows = new Map();
  let nextId = 1;
  for (let seq = 1; seq <= count; seq++) {
    const ids = [...rows.keys()];
    const roll = rand(10);
    let op;
    let before = null;
    let after = null;
    if (ids.length === 0 || roll < 5) {
      op = 'c';
      const id = nextId++;
      const name = NAMES[rand(NAMES.length)];
      after = { id, name, email: `${name}${id}@example.com`, visits: 0 };
      rows.set(id, after);
    } else if (roll < 9) {
      op = 'u';
      before = rows.get(ids[rand(ids.length)]);
      after = { ...before, visits: before.visits + 1 };
      rows.set(after.id, after);
    } else {
      op = 'd';
      before = rows.get(ids[rand(ids.length)]);
      rows.delete(before.id);
    }
    const id = (after ?? before).id;
    yield {
      key: `users:${id}`,
      event: {
        op,
        before,
        after,
        source: { db: 'shop', table: 'users', seq },
        ts_ms: Date.now(),
      },
    };
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      endpoint: { type: 'string' },
      topic: { type: 'string', default: 'cdc-events' },
      count: { type: 'string', default: '100' },
      interval: { type: 'string', default: '0' },
      partitions: { type: 'string', default: '2' },
      seed: { type: 'string', default: '7' },
    },
  });
  const count = Number(values.count);
  const interval = Number(values.interval);

  const fluvio = await Fluvio.connect(values.endpoint ? { endpoint: values.endpoint } : {});
  try {
    await (await fluvio.admin()).createTopic(values.topic, { partitions: Number(values.partitions) });
  } catch (e) {
    if (e.code !== 'TOPIC_ALREADY_EXISTS') throw e;
  }
  const producer = await fluvio.topicProducer(values.topic, { linger: 10 });

  const counts = { c: 0, u: 0, d: 0 };
  const pending = [];
  for (const { key, event } of changes(count, Number(values.seed))) {
    counts[event.op]++;
    const sent = producer.send(key, JSON.stringify(event));
    if (interval > 0) {
      const { partition, offset } = await (await sent).wait();
      console.log(`${event.op} ${key} -> partition ${partition} offset ${offset}`);
      await new Promise((r) => setTimeout(r, interval));
    } else {
      pending.push(sent);
    }
  }
  await producer.flush();
  await Promise.all(pending);
  console.log(
    `sent ${count} change events to ${values.topic}: ` +
      `${counts.c} inserts, ${counts.u} updates, ${counts.d} deletes`,
  );
  await fluvio.close();
}

main().catch((e) => {
  console.error(`cdc-producer: ${e.code ? `${e.code}: ` : ''}${e.message}`);
  process.exit(1);
});
