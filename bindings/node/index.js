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
  call,
  syncCall,
  invalidArgument,
  Offset,
  OffsetFrom,
  offsetSpec,
  Record,
  ConsumerStream,
} = require('./lib/internal');
const official = require('./lib/official');
const { TopicProducer, ProduceOutput, SendAllOutput } = require('./lib/producer');

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
  SendAllOutput,
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
