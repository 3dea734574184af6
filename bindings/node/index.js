'use strict';
// flv: a Fluvio client for Node.js, over the native addon `flv.node` (built from src/ by
// `npm run build`). This file turns the native classes into the JavaScript API: promises,
// async iterators, Buffers with string helpers, and errors with a `code`.
//
// It is also the official `@fluvio/client` (0.14.9) API: `new Fluvio(options)` /
// `Fluvio.connect`, `partitionConsumer`, `sendRecord`, the admin's `listTopic` /
// `findTopic` / `findPartition` / SPU methods, `Offset.FromBeginning()`, the `default`
// export... (lib/official.js), so that code written for it runs by changing its `require`.

const {
  native,
  FluvioError,
  convertError,
  call,
  syncCall,
  invalidArgument,
  toBuffer,
  toKey,
  Offset,
  OffsetFrom,
  offsetSpec,
  Record,
  ConsumerStream,
} = require('./lib/internal');
const official = require('./lib/official');

/** Bytes of records sent and not yet stored beyond which `send` waits for room. */
const QUEUE_BYTES = 16 << 20;

/** What `send` resolves with: `wait()` resolves with where the record was stored. */
class ProduceOutput {
  constructor(stored, index) {
    this._stored = stored;
    this._index = index;
  }
  /** Resolves with `{ partition, offset }` once the record is stored; rejects if it fails. */
  wait() {
    const i = this._index;
    return i === undefined ? this._stored : this._stored.then((all) => all[i]);
  }
}

/** A producer of one topic, from `fluvio.topicProducer(topic)`. */
class TopicProducer {
  constructor(inner, client, options, state) {
    this._inner = inner;
    this._client = client;
    this._options = options;
    /** `closed` is set when this producer or its client is closed. */
    this._state = state;
    this._closed = false;
    /** Producers of `sendRecord`, by partition (promises of native producers). */
    this._partitions = new Map();
    /** Bytes of records sent and not yet stored (or failed), and who waits for room. */
    this._pendingBytes = 0;
    this._waiters = [];
    /** Record promises not settled yet, and the first failure since the last flush. */
    this._inFlight = new Set();
    this._failure = undefined;
  }
  /** The topic. */
  get topic() {
    return this._inner.topic;
  }
  /**
   * Tracks the native promise `stored` of `bytes` bytes of records until it settles; its
   * failure is reported by `ProduceOutput.wait()` and by the next `flush()`, never
   * unhandled.
   */
  _track(bytes, stored) {
    this._pendingBytes += bytes;
    const tracked = call(() => stored);
    this._inFlight.add(tracked);
    const settle = (failure) => {
      this._inFlight.delete(tracked);
      this._pendingBytes -= bytes;
      if (failure !== undefined && this._failure === undefined) this._failure = failure;
      if (this._pendingBytes <= QUEUE_BYTES && this._waiters.length > 0) {
        const waiters = this._waiters;
        this._waiters = [];
        for (const wake of waiters) wake();
      }
    };
    tracked.then(
      () => settle(),
      (e) => settle(e),
    );
    return tracked;
  }
  /** Fails with CLOSED once this producer or its client is closed. */
  _checkOpen() {
    if (this._closed || this._state.closed) {
      throw new FluvioError('CLOSED', this._closed ? 'the producer is closed' : 'the client is closed');
    }
  }
  /** Resolves with `value` once there is room in the queue. */
  _whenQueued(value) {
    if (this._pendingBytes <= QUEUE_BYTES) return Promise.resolve(value);
    return new Promise((resolve) => this._waiters.push(() => resolve(value)));
  }
  /**
   * Sends a record; records are queued in call order. Resolves once the record is queued
   * (at once, unless 16 MiB of records wait to be stored) with a `ProduceOutput`:
   * `await (await producer.send(k, v)).wait()` gives `{ partition, offset }` once stored.
   * Failures to store are reported by `wait()` and by `flush()`. `key` may be null; key
   * and value may be Buffers, strings, Uint8Arrays or ArrayBuffers (objects are not
   * serialised: pass `JSON.stringify(obj)`).
   */
  send(key, value) {
    try {
      this._checkOpen();
      const k = toKey(key);
      const v = toBuffer(value, 'value');
      const stored = this._track((k?.length ?? 0) + v.length, this._inner.send(k, v));
      return this._whenQueued(new ProduceOutput(stored));
    } catch (e) {
      return Promise.reject(convertError(e));
    }
  }
  /**
   * Sends `[key, value]` pairs in order (cheaper than `send` per record); resolves once
   * they are queued with their `ProduceOutput`s.
   */
  sendAll(records) {
    try {
      this._checkOpen();
      const keys = [];
      const values = [];
      let bytes = 0;
      for (const [key, value] of records) {
        const k = toKey(key);
        const v = toBuffer(value, 'value');
        keys.push(k);
        values.push(v);
        bytes += (k?.length ?? 0) + v.length;
      }
      const stored = this._track(bytes, this._inner.sendAll(keys, values));
      return this._whenQueued(keys.map((_, i) => new ProduceOutput(stored, i)));
    } catch (e) {
      return Promise.reject(convertError(e));
    }
  }
  /**
   * The official client's `sendRecord(value, partition)`: sends `value` without a key to
   * `partition`; resolves with its `ProduceOutput` once queued.
   */
  async sendRecord(value, partition) {
    if (!Number.isInteger(partition) || partition < 0) {
      throw invalidArgument(`partition must be a non-negative integer, not ${partition}`);
    }
    this._checkOpen();
    let producer = this._partitions.get(partition);
    if (producer === undefined) {
      producer = call(() =>
        this._client.topicProducer(this.topic, { ...this._options, partition }),
      );
      this._partitions.set(partition, producer);
      producer.catch(() => this._partitions.delete(partition));
    }
    const inner = await producer;
    const v = toBuffer(value, 'value');
    const stored = this._track(v.length, syncCall(() => inner.send(null, v)));
    return this._whenQueued(new ProduceOutput(stored));
  }
  /**
   * Resolves when every record sent before is stored; rejects with the first failure
   * among the records sent since the last flush.
   */
  async flush() {
    const sent = [...this._inFlight];
    const partitions = await Promise.all(this._partitions.values());
    let failure;
    try {
      await call(() => Promise.all([this._inner.flush(), ...partitions.map((p) => p.flush())]));
    } catch (e) {
      failure = e;
    }
    await Promise.allSettled(sent);
    failure ??= this._failure;
    this._failure = undefined;
    if (failure !== undefined) throw failure;
  }
  /** Flushes, then closes the producer. */
  async close() {
    this._closed = true;
    const partitions = await Promise.all(this._partitions.values());
    await call(() => Promise.all([this._inner.close(), ...partitions.map((p) => p.close())]));
  }
}

/** The admin API, from `await fluvio.admin()`. */
class FluvioAdmin {
  constructor(inner, options) {
    this._inner = inner;
    /** The client's options: the official client takes topic and SPU defaults from them. */
    this.options = options;
  }
  /**
   * Creates a topic; resolves with its name. `options`: `{ partitions = 1, replication = 1,
   * dryRun = false }`, or the official `{ partitions, replicationFactor,
   * ignoreRackAssignment }` or `{ maps: [{ id, replicas }] }` (a `TopicSpec`'s `opts` too).
   * Without options, the client's options give the defaults (as the official client).
   */
  async createTopic(name, options) {
    let opts = options ?? new official.TopicSpec(this.options).opts;
    if (opts instanceof official.TopicSpec) opts = opts.opts;
    await call(() => this._inner.createTopic(name, opts));
    return name;
  }
  /** Deletes a topic; resolves with its name. */
  async deleteTopic(name) {
    await call(() => this._inner.deleteTopic(name));
    return name;
  }
  /** Topics whose name contains `filter` (a string or an array of them), or every topic. */
  listTopics(filter) {
    const filters = filter === undefined ? undefined : [].concat(filter);
    return call(() => this._inner.listTopics(filters));
  }
  /** Partitions of `topic`, or of every topic, as `PartitionInfo`s. */
  describePartitions(topic) {
    return call(() => this._inner.listPartitions(topic));
  }
  /** The SPUs, as `SpuInfo`s. */
  listSpus() {
    return call(() => this._inner.listSpus());
  }
  /** The official client's topic listing: JSON text of `[{ name, spec, status }]`. */
  listTopic() {
    return call(() => this._inner.listJson('topic'));
  }
  /** The official client's partition listing: JSON text of `[{ name, spec, status }]`. */
  listPartitions() {
    return call(() => this._inner.listJson('partition'));
  }
  /** The official client's SPU listing: JSON text of `[{ name, spec, status }]`. */
  listSpu() {
    return call(() => this._inner.listJson('spu'));
  }
  /** The topic `name` as `{ name, spec, status }`, or null when there is none. */
  async findTopic(name) {
    const topics = JSON.parse(await this.listTopic());
    return topics.find((t) => t.name === name) ?? null;
  }
  /**
   * Partition 0 of `topic` as `{ name, spec: { leader, replicas }, status: { leader,
   * resolution, lsr, replicas } }` (the official client's choice of partition); rejects
   * with `PARTITION_NOT_FOUND` when there is none.
   */
  async findPartition(topic) {
    const partitions = JSON.parse(await this.listPartitions());
    const found = partitions.find((p) => p.name === `${topic}-0`);
    if (!found) throw new FluvioError('PARTITION_NOT_FOUND', 'failed to find partition');
    return official.partitionMetadata(found);
  }
  /** Registers a custom SPU (default spec: a `CustomSpuSpec` of the client's options). */
  async createCustomSpu(name, spec) {
    const json = official.customSpuJson(spec ?? new official.CustomSpuSpec(this.options));
    await call(() => this._inner.createCustomSpu(name, json));
  }
  /** Unregisters a custom SPU by name (string) or id (number). */
  async deleteCustomSpu(key) {
    if (typeof key === 'number') {
      await call(() => this._inner.deleteCustomSpu(undefined, key));
    } else {
      await call(() => this._inner.deleteCustomSpu(String(key), undefined));
    }
  }
  /** Creates an SPU group (default spec: an `SpuGroupSpec` of the client's options). */
  async createManagedSpu(name, spec) {
    const json = official.spuGroupJson(spec ?? new official.SpuGroupSpec(this.options));
    await call(() => this._inner.createManagedSpu(name, json));
  }
  /** Deletes an SPU group. */
  async deleteManagedSpu(name) {
    await call(() => this._inner.deleteManagedSpu(name));
  }
}

const NOT_CONNECTED =
  'Failed to find socket; must call `.connect()` method to create a connection before calling this method;';

/**
 * A client of one Fluvio cluster: `await Fluvio.connect(options)`, or
 * `new Fluvio(options)` then `await fluvio.connect()`.
 *
 * Options: flv's `{ endpoint: 'host:port', profile, clientId }`, or the official
 * client's `{ host, port, ... }` (its other fields are defaults for the admin API). With
 * neither an endpoint nor both host and port, the current profile of `~/.fluvio/config`.
 */
class Fluvio {
  constructor(options) {
    if (typeof options === 'string') options = { endpoint: options };
    this._options = options || {};
    this._inner = undefined;
    /** Shared with this client's producers: `closed` once `close()` is called. */
    this._state = { closed: false };
  }
  /** Connects a new client. */
  static async connect(options) {
    const fluvio = new Fluvio(options);
    await fluvio.connect();
    return fluvio;
  }
  /**
   * Connects this client (once: later calls return at once); `options` override the
   * constructor's `host` and `port`. Resolves with this client.
   */
  async connect(options) {
    if (this._inner === undefined) {
      const o = this._options;
      const host = options?.host || o.host;
      const port = options?.port || o.port;
      const endpoint = options?.endpoint || o.endpoint || (host && port ? `${host}:${port}` : undefined);
      const connectOptions = { endpoint, profile: o.profile, clientId: o.clientId };
      this._inner = await call(() => native.connect(connectOptions));
    }
    return this;
  }
  _client() {
    if (this._inner === undefined) throw new Error(NOT_CONNECTED);
    return this._inner;
  }
  /** The SC endpoint. */
  get endpoint() {
    return this._client().endpoint;
  }
  /**
   * A producer for `topic`: options `{ linger (ms), batchSize, compression,
   * deliveryTimeout (ms), partition }`.
   */
  async topicProducer(topic, options) {
    const client = this._client();
    const inner = await call(() => client.topicProducer(topic, options));
    return new TopicProducer(inner, client, options, this._state);
  }
  /**
   * A stream of records: `{ topic, partition?, partitions?, offset = Offset.end(),
   * disableContinuous?, maxBytes? }`.
   */
  async consumer(options) {
    if (typeof options === 'string') options = { topic: options };
    const opts = { ...options };
    if (opts.offset !== undefined) opts.offset = offsetSpec(opts.offset);
    const client = this._client();
    return new ConsumerStream(await call(() => client.consumer(opts)));
  }
  /**
   * The official client's consumer of one partition: `fetch`, `stream`, `createStream`,
   * `streamWithConfig`.
   */
  async partitionConsumer(topic, partition) {
    const client = this._client();
    if (typeof topic !== 'string') throw invalidArgument('topic must be a string');
    if (!Number.isInteger(partition) || partition < 0) {
      throw invalidArgument(`partition must be a non-negative integer, not ${partition}`);
    }
    return new official.PartitionConsumer(client, topic, partition);
  }
  /** The admin API (shares this client's connection). */
  async admin() {
    const client = this._client();
    return new FluvioAdmin(syncCall(() => client.admin()), this._options);
  }
  /** Flushes producers, closes consumers and the connections. */
  close() {
    return call(() => {
      const client = this._client();
      this._state.closed = true;
      return client.close();
    });
  }
}

module.exports = {
  Fluvio,
  Offset,
  OffsetFrom,
  Record,
  TopicProducer,
  ProduceOutput,
  ConsumerStream,
  FluvioAdmin,
  FluvioError,
  ...official,
  default: Fluvio,
};
// As the official package (compiled TypeScript): `import Fluvio from ...` takes `default`.
Object.defineProperty(module.exports, '__esModule', { value: true });
delete module.exports.customSpuJson;
delete module.exports.spuGroupJson;
delete module.exports.partitionMetadata;
