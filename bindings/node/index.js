'use strict';
// flv: a Fluvio client for Node.js, over the native addon `flv.node` (built from src/ by
// `npm run build`). This file turns the native classes into the JavaScript API: promises,
// async iterators, Buffers with string helpers, and errors with a `code`.

const path = require('node:path');

function loadNative() {
  const file = process.env.FLV_NODE_ADDON || path.join(__dirname, 'flv.node');
  try {
    return require(file);
  } catch (e) {
    const err = new Error(
      `cannot load the flv native addon ${file} (run \`npm run build\` in ${__dirname}): ${e.message}`,
    );
    err.code = 'ADDON_NOT_FOUND';
    err.cause = e;
    throw err;
  }
}

const native = loadNative();

/** An error of the flv client; `code` says what failed (e.g. `TOPIC_NOT_FOUND`). */
class FluvioError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'FluvioError';
    this.code = code;
  }
}

const CODED = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/;

/** The native error `e` (whose message starts with `[CODE] `) as a FluvioError. */
function convertError(e) {
  if (e instanceof FluvioError || !(e instanceof Error)) return e;
  const m = CODED.exec(e.message);
  if (!m) return e;
  return new FluvioError(m[1], m[2]);
}

/** Runs `f` (sync or async) and rethrows its errors as FluvioErrors. */
async function call(f) {
  try {
    return await f();
  } catch (e) {
    throw convertError(e);
  }
}

function syncCall(f) {
  try {
    return f();
  } catch (e) {
    throw convertError(e);
  }
}

/** A record value or key as a Buffer: Buffers, strings (UTF-8), typed arrays, ArrayBuffers. */
function toBuffer(v, what) {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  throw new FluvioError(
    'INVALID_ARGUMENT',
    `${what} must be a Buffer, a string or a Uint8Array, not ${v === null ? 'null' : typeof v}`,
  );
}

/** Where a consumer starts. */
class Offset {
  constructor(kind, value) {
    this.kind = kind;
    this.value = value;
    Object.freeze(this);
  }
  /** The first record of the partition. */
  static beginning() {
    return new Offset('beginning', 0);
  }
  /** The next record to be produced (only new records). */
  static end() {
    return new Offset('end', 0);
  }
  /** The record at offset `n`. */
  static absolute(n) {
    return new Offset('absolute', checkCount(n, 'offset'));
  }
  /** `n` records after the beginning. */
  static fromBeginning(n) {
    return new Offset('fromBeginning', checkCount(n, 'record count'));
  }
  /** `n` records before the end. */
  static fromEnd(n) {
    return new Offset('fromEnd', checkCount(n, 'record count'));
  }
}

function checkCount(n, what) {
  if (typeof n === 'bigint') n = Number(n);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new FluvioError('INVALID_ARGUMENT', `${what} must be a non-negative integer, not ${n}`);
  }
  return n;
}

/** One consumed record: `offset`, `partition`, `key` (Buffer or null), `value` (Buffer), `timestamp` (ms). */
class Record {
  constructor(r) {
    this.offset = r.offset;
    this.partition = r.partition;
    this.key = r.key ?? null;
    this.value = r.value;
    this.timestamp = r.timestamp;
  }
  /** The value as UTF-8 text. */
  valueString() {
    return this.value.toString('utf8');
  }
  /** The key as UTF-8 text, or null. */
  keyString() {
    return this.key === null ? null : this.key.toString('utf8');
  }
  /** The value parsed as JSON. */
  valueJson() {
    return JSON.parse(this.valueString());
  }
}

/** A producer of one topic, from `fluvio.topicProducer(topic)`. */
class TopicProducer {
  constructor(inner) {
    this._inner = inner;
  }
  /** The topic. */
  get topic() {
    return this._inner.topic;
  }
  /**
   * Sends a record; records are queued in call order. Resolves with `{ partition, offset }`
   * once stored. `key` may be null; key and value may be Buffers, strings or Uint8Arrays
   * (objects are not serialised: pass `JSON.stringify(obj)`).
   */
  send(key, value) {
    return call(() => {
      const k = key === null || key === undefined ? null : toBuffer(key, 'key');
      return this._inner.send(k, toBuffer(value, 'value'));
    });
  }
  /**
   * Sends `[key, value]` pairs in order, with one promise for all of them (cheaper than
   * `send` per record); resolves with their `{ partition, offset }`s, or rejects with the
   * first failure.
   */
  sendAll(records) {
    return call(() => {
      const keys = [];
      const values = [];
      for (const [key, value] of records) {
        keys.push(key === null || key === undefined ? null : toBuffer(key, 'key'));
        values.push(toBuffer(value, 'value'));
      }
      return this._inner.sendAll(keys, values);
    });
  }
  /** Resolves when every record sent before is stored; rejects with the first failure. */
  flush() {
    return call(() => this._inner.flush());
  }
  /** Flushes, then closes the producer. */
  close() {
    return call(() => this._inner.close());
  }
}

/**
 * The records of a topic, from `fluvio.consumer(...)`: an async iterator (`for await`);
 * leaving the loop closes the consumer.
 */
class ConsumerStream {
  constructor(inner) {
    this._inner = inner;
    this._buffer = [];
    this._done = false;
  }
  /** The next record, or null when the stream ended or was closed. */
  async nextRecord() {
    if (this._buffer.length === 0) {
      if (this._done) return null;
      const batch = await call(() => this._inner.nextBatch(1000));
      if (batch === null) {
        this._done = true;
        return null;
      }
      this._buffer = batch.reverse();
    }
    return new Record(this._buffer.pop());
  }
  /** Async-iterator protocol: `{ value: Record, done }`. */
  async next() {
    const record = await this.nextRecord();
    return record === null ? { value: undefined, done: true } : { value: record, done: false };
  }
  /** Ends the iteration (called when a `for await` loop is left early). */
  async return() {
    await this.close();
    return { value: undefined, done: true };
  }
  /** Stops the consumer: a pending `next` ends the iteration. */
  close() {
    this._done = true;
    this._buffer = [];
    return call(() => this._inner.close());
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

/** The admin API, from `fluvio.admin()`. */
class FluvioAdmin {
  constructor(inner) {
    this._inner = inner;
  }
  /** Creates a topic: `{ partitions = 1, replication = 1, dryRun = false }`. */
  createTopic(name, options = {}) {
    return call(() => this._inner.createTopic(name, options));
  }
  /** Deletes a topic. */
  deleteTopic(name) {
    return call(() => this._inner.deleteTopic(name));
  }
  /** Topics whose name contains `filter` (a string or an array of them), or every topic. */
  listTopics(filter) {
    const filters = filter === undefined ? undefined : [].concat(filter);
    return call(() => this._inner.listTopics(filters));
  }
  /** Partitions of `topic`, or of every topic. */
  listPartitions(topic) {
    return call(() => this._inner.listPartitions(topic));
  }
  /** The SPUs. */
  listSpus() {
    return call(() => this._inner.listSpus());
  }
}

/** A client of one Fluvio cluster. */
class Fluvio {
  constructor(inner) {
    this._inner = inner;
  }
  /**
   * Connects: `{ endpoint: 'host:port' }`, `{ profile: 'name' }`, or the current profile
   * of `~/.fluvio/config` when neither is given.
   */
  static async connect(options = {}) {
    if (typeof options === 'string') options = { endpoint: options };
    return new Fluvio(await call(() => native.connect(options)));
  }
  /** The SC endpoint. */
  get endpoint() {
    return this._inner.endpoint;
  }
  /** A producer for `topic`: options `{ linger (ms), batchSize, compression, deliveryTimeout (ms) }`. */
  async topicProducer(topic, options) {
    return new TopicProducer(await call(() => this._inner.topicProducer(topic, options)));
  }
  /**
   * A stream of records: `{ topic, partition?, partitions?, offset = Offset.end(),
   * disableContinuous?, maxBytes? }`.
   */
  async consumer(options) {
    if (typeof options === 'string') options = { topic: options };
    const opts = { ...options };
    if (opts.offset !== undefined) {
      if (!(opts.offset instanceof Offset)) {
        throw new FluvioError('INVALID_ARGUMENT', 'offset must be made by Offset.*()');
      }
      opts.offset = { kind: opts.offset.kind, value: opts.offset.value };
    }
    return new ConsumerStream(await call(() => this._inner.consumer(opts)));
  }
  /** The admin API (shares this client's connection). */
  admin() {
    return new FluvioAdmin(syncCall(() => this._inner.admin()));
  }
  /** Flushes producers, closes consumers and the connections. */
  close() {
    return call(() => this._inner.close());
  }
}

module.exports = {
  Fluvio,
  Offset,
  Record,
  TopicProducer,
  ConsumerStream,
  FluvioAdmin,
  FluvioError,
};
