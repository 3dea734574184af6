'use strict';
// Side-by-side benchmark: the same program, written against the official @fluvio/client
// API, run with the official package (0.14.9) and with flv's addon, against one mock
// cluster, in the same run. Each client runs in its own process, one after the other, for
// `--rounds` rounds; the table shows medians.
//
//   node bench/official-vs-flv.js [--records 100000] [--send-records 20000]
//        [--value-size 100] [--rounds 3] [--official DIR] [--endpoint HOST:PORT]
//
// `--official` is the installed package (default: scripts/official-client.sh installs it);
// without `--endpoint`, a release `flv-mock-cluster` (1 SPU) is started. Workloads, per
// client, on a fresh one-partition topic:
//   sendAll: `await producer.sendAll(chunk of 1000)` until --records, then `flush()`
//   send:    `await producer.send(key, value)` one at a time (--send-records), then `flush()`
//   consume: `for await (const r of await consumer.createStream(Offset.FromBeginning()))`
//            over the --records + --send-records records, reading `valueString()`
// Two tables: records per second of wall-clock time, and per second of the client
// process's CPU time (user + system: all its threads; the cluster's is not counted).

const { execFileSync, spawn } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    'send-records': { type: 'string', default: '20000' },
    'value-size': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    official: { type: 'string' },
    endpoint: { type: 'string' },
    worker: { type: 'boolean', default: false },
    client: { type: 'string' },
    topic: { type: 'string' },
  },
});

const here = path.resolve(__dirname, '..');

/** One client's run: connect, produce both ways, consume everything; prints JSON. */
async function worker() {
  const client = require(args.client);
  const Fluvio = client.default;
  const { Offset } = client;
  const [host, port] = args.endpoint.split(':');
  const n = Number(args.records);
  const m = Number(args['send-records']);
  const value = 'v'.repeat(Number(args['value-size']));
  const fluvio = await Fluvio.connect({ host, port: Number(port) });
  const admin = await fluvio.admin();
  await admin.createTopic(args.topic, { partitions: 1, replicationFactor: 1, ignoreRackAssignment: false });
  const producer = await fluvio.topicProducer(args.topic);

  /** Records per second of the client process's CPU time (user + system) since `c`. */
  const perCpu = (records, c) => {
    const used = process.cpuUsage(c);
    return records / ((used.user + used.system) / 1e6);
  };
  let c = process.cpuUsage();
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i += 1000) {
    const chunk = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) chunk.push([`key-${j}`, value]);
    await producer.sendAll(chunk);
  }
  await producer.flush();
  const sendAll = n / (Number(process.hrtime.bigint() - t) / 1e9);
  const sendAllCpu = perCpu(n, c);

  c = process.cpuUsage();
  t = process.hrtime.bigint();
  for (let i = 0; i < m; i++) await producer.send(`key-${n + i}`, value);
  await producer.flush();
  const send = m / (Number(process.hrtime.bigint() - t) / 1e9);
  const sendCpu = perCpu(m, c);

  const consumer = await fluvio.partitionConsumer(args.topic, 0);
  c = process.cpuUsage();
  t = process.hrtime.bigint();
  const stream = await consumer.createStream(Offset.FromBeginning());
  let count = 0;
  let bytes = 0;
  for await (const record of stream) {
    bytes += record.valueString().length;
    if (++count === n + m) break;
  }
  const consume = count / (Number(process.hrtime.bigint() - t) / 1e9);
  const consumeCpu = perCpu(count, c);
  if (bytes !== count * value.length) throw new Error(`read ${bytes} value bytes, expected ${count * value.length}`);

  process.stdout.write(`${JSON.stringify({ sendAll, send, consume, sendAllCpu, sendCpu, consumeCpu })}\n`);
  // The official client's connections keep the process alive.
  process.exit(0);
}

function run(cmd, argv, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function startMock() {
  const bin = path.resolve(here, '..', '..', process.env.CARGO_TARGET_DIR || 'target', 'release', 'flv-mock-cluster');
  const child = spawn(bin, ['--spus', '1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (d) => resolve(String(d).split('\n')[0].trim()));
  });
  return { endpoint, stop: () => child.kill('SIGKILL') };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const official =
    args.official ??
    execFileSync('bash', [path.join(here, 'scripts', 'official-client.sh')], { encoding: 'utf8' }).trim();
  const mock = args.endpoint ? null : await startMock();
  const endpoint = args.endpoint ?? mock.endpoint;
  const clients = { official, flv: here };
  const results = { official: [], flv: [] };
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const [name, dir] of Object.entries(clients)) {
        const out = await run(process.execPath, [
          __filename,
          '--worker',
          '--client', dir,
          '--endpoint', endpoint,
          '--topic', `bench-${name}-${round}-${Date.now()}`,
          '--records', args.records,
          '--send-records', args['send-records'],
          '--value-size', args['value-size'],
        ], { env: { ...process.env, RUST_LOG: 'off' } });
        const r = JSON.parse(out.trim().split('\n').pop());
        results[name].push(r);
        console.error(`round ${round + 1} ${name}: ${JSON.stringify(r, (k, v) => (typeof v === 'number' ? Math.round(v) : v))}`);
      }
    }
  } finally {
    if (mock) mock.stop();
  }
  console.log(`records ${args.records} (sendAll, consume) + ${args['send-records']} (send), values of ${args['value-size']} B, ${args.rounds} rounds, medians, records/s`);
  console.log('| workload | official @fluvio/client 0.14.9 | flv | flv / official |');
  console.log('|---|---:|---:|---:|');
  for (const w of ['sendAll', 'send', 'consume']) {
    const o = median(results.official.map((r) => r[w]));
    const f = median(results.flv.map((r) => r[w]));
    console.log(`| ${w} | ${Math.round(o).toLocaleString('en')} | ${Math.round(f).toLocaleString('en')} | ${(f / o).toFixed(1)}× |`);
  }
  // Wall-clock rates swing with the machine's load; CPU time per record much less.
  console.log('\nrecords per second of the client process\'s CPU time (user + system), medians');
  console.log('| workload | official | flv | flv / official |');
  console.log('|---|---:|---:|---:|');
  for (const w of ['sendAll', 'send', 'consume']) {
    const o = median(results.official.map((r) => r[`${w}Cpu`]));
    const f = median(results.flv.map((r) => r[`${w}Cpu`]));
    console.log(`| ${w} | ${Math.round(o).toLocaleString('en')} | ${Math.round(f).toLocaleString('en')} | ${(f / o).toFixed(1)}× |`);
  }
}

(args.worker ? worker() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
