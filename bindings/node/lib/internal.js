'use strict';
// Shared by index.js and lib/official.js: the native addon, errors with a `code`, byte
// conversions and `Offset`.

const path = require('node:path');

function loadNative() {
  const dir = path.join(__dirname, '..');
  const file = process.env.FLV_NODE_ADDON || path.join(dir, 'flv.node');
  try {
    return require(file);
  } catch (e) {
    const err = new Error(
      `cannot load the flv native addon ${file} (run \`npm run build\` in ${dir}): ${e.message}`,
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

function invalidArgument(message) {
  return new FluvioError('INVALID_ARGUMENT', message);
}

/** A record value or key as a Buffer: Buffers, strings (UTF-8), typed arrays, ArrayBuffers. */
function toBuffer(v, what) {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  throw invalidArgument(
    `${what} must be a Buffer, a string or a Uint8Array, not ${v === null ? 'null' : typeof v}`,
  );
}

/** A key as a Buffer, or null for no key. */
function toKey(key) {
  return key === null || key === undefined ? null : toBuffer(key, 'key');
}

/** A copy of the bytes of `buf` as an ArrayBuffer of exactly their length. */
function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

function checkCount(n, what) {
  if (typeof n === 'bigint') n = Number(n);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw invalidArgument(`${what} must be a non-negative integer, not ${n}`);
  }
  return n;
}

/** The official `from` of an flv offset kind. */
function fromOf(kind) {
  switch (kind) {
    case 'beginning':
    case 'fromBeginning':
      return 'beginning';
    case 'end':
    case 'fromEnd':
      return 'end';
    default:
      return 'absolute';
  }
}

/** The official client's `OffsetFrom`. */
const OffsetFrom = Object.freeze({ Beginning: 'beginning', End: 'end' });

/**
 * Where a consumer starts. flv's factories (`Offset.beginning()`, `end()`, `absolute(n)`,
 * `fromBeginning(n)`, `fromEnd(n)`) and the official client's (`new Offset({ index, from })`,
 * `Offset.FromBeginning()`, `Offset.FromEnd()`) make the same objects: `kind` and `value`
 * (flv), `index` and `from` (official).
 */
class Offset {
  /**
   * `new Offset({ index = 0, from = 'end' })` as the official client: `index` records after
   * the beginning (`from: 'beginning'`) or before the end (`from: 'end'`).
   */
  constructor(options, value) {
    let kind;
    if (typeof options === 'string') {
      // flv's factories: (kind, value).
      kind = options;
      value = value ?? 0;
    } else {
      const index = checkCount(options?.index || 0, 'offset index');
      const from = options?.from || OffsetFrom.End;
      if (from === OffsetFrom.Beginning) kind = 'fromBeginning';
      else if (from === OffsetFrom.End) kind = 'fromEnd';
      else throw invalidArgument(`offset from must be 'beginning' or 'end', not ${JSON.stringify(from)}`);
      value = index;
    }
    this.kind = kind;
    this.value = value;
    /** The official client's `index`: the offset, or the record count from `from`. */
    this.index = value;
    /** The official client's `from`: `beginning`, `end` (`absolute` for `Offset.absolute`). */
    this.from = fromOf(kind);
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
  /** The official client's name of `Offset.beginning()`. */
  static FromBeginning() {
    return new Offset({ index: 0, from: OffsetFrom.Beginning });
  }
  /** The official client's name of `Offset.end()`. */
  static FromEnd() {
    return new Offset({ index: 0, from: OffsetFrom.End });
  }
}

/**
 * `offset` for the addon, `{ kind, value }`: an `Offset`, or a plain `{ index, from }`
 * object as the official client accepts.
 */
function offsetSpec(offset) {
  if (!(offset instanceof Offset)) {
    if (offset === null || typeof offset !== 'object' || !('index' in offset)) {
      throw invalidArgument('offset must be made by Offset.*() or be { index, from }');
    }
    offset = new Offset(offset);
  }
  return { kind: offset.kind, value: offset.value };
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
  /** True when the record has a key. */
  hasKey() {
    return this.key !== null;
  }
  /** The value parsed as JSON. */
  valueJson() {
    return JSON.parse(this.valueString());
  }
}

/**
 * Record `i` of a packed batch from the addon (`nextPacked`) as `{ offset, partition,
 * timestamp, key, value }`, where `key` and `value` are views of the batch's buffer.
 */
function unpackRecord(batch, i) {
  const at = batch.starts[i];
  const keyLength = batch.keyLengths[i];
  const keyEnd = at + Math.max(keyLength, 0);
  const data = batch.data;
  return {
    offset: batch.offsets[i],
    partition: batch.partitions[i],
    timestamp: batch.timestamps[i],
    key: keyLength < 0 ? null : data.subarray(at, keyEnd),
    value: data.subarray(keyEnd, keyEnd + batch.valueLengths[i]),
  };
}

/** Adds `starts` (where each record's bytes begin in `data`) to a packed batch. */
function indexBatch(batch) {
  const n = batch.offsets.length;
  const starts = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    at += Math.max(batch.keyLengths[i], 0) + batch.valueLengths[i];
  }
  batch.starts = starts;
  batch.length = n;
  return batch;
}

/**
 * The records of a topic, from `fluvio.consumer(...)` (as `Record`s) or from a partition
 * consumer's `createStream` (as `PartitionRecord`s): an async iterator (`for await`);
 * leaving the loop closes the consumer. `makeRecord(batch, i)` makes record `i` of a
 * packed batch.
 */
class ConsumerStream {
  constructor(inner, makeRecord = (batch, i) => new Record(unpackRecord(batch, i))) {
    this._inner = inner;
    this._makeRecord = makeRecord;
    this._batch = null;
    this._next = 0;
    this._done = false;
  }
  /** The next record, or null when the stream ended or was closed. */
  async nextRecord() {
    if (this._batch === null || this._next >= this._batch.length) {
      this._batch = null;
      if (this._done) return null;
      const batch = await call(() => this._inner.nextPacked(1000));
      if (batch === null) {
        this._done = true;
        return null;
      }
      this._batch = indexBatch(batch);
      this._next = 0;
    }
    return this._makeRecord(this._batch, this._next++);
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
    this._batch = null;
    return call(() => this._inner.close());
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

module.exports = {
  Record,
  ConsumerStream,
  unpackRecord,
  native,
  FluvioError,
  convertError,
  call,
  syncCall,
  invalidArgument,
  toBuffer,
  toKey,
  toArrayBuffer,
  checkCount,
  Offset,
  OffsetFrom,
  offsetSpec,
};
