'use strict';
// The producer: records are written into one reusable buffer and handed to the addon in
// chunks (one native call and one promise per chunk, not per record), at the next turn of
// the event loop or when a chunk is full. `send` resolves once the record is queued, as
// the official client's; `wait()` on its output resolves once it is stored.

const { FluvioError, convertError, call, invalidArgument, toBuffer } = require('./internal');

/** Bytes of records sent and not yet stored beyond which `send` waits for room. */
const QUEUE_BYTES = 16 << 20;
/** A chunk is handed to the addon at this many records or bytes. */
const CHUNK_RECORDS = 1000;
const CHUNK_BYTES = 256 << 10;

/** The FluvioError of a record's `[CODE] message` outcome. */
function outcomeError(error) {
  return convertError(new Error(error));
}

/** The metadata of record `i` of the packed outcomes `all`, or its error thrown. */
function metadataOf(all, i) {
  if (all.failed.length > 0) {
    const at = all.failed.indexOf(i);
    if (at >= 0) throw outcomeError(all.errors[at]);
  }
  return { partition: all.partitions[i], offset: all.offsets[i] };
}

/** What `send` resolves with: `wait()` resolves with where the record was stored. */
class ProduceOutput {
  constructor(stored, index) {
    this._stored = stored;
    this._index = index;
  }
  /** Resolves with `{ partition, offset }` once the record is stored; rejects if it fails. */
  wait() {
    const i = this._index;
    return this._stored.then((all) => metadataOf(all, i));
  }
}

/** What `sendAll` resolves with: `wait()` resolves with where each record was stored. */
class SendAllOutput {
  constructor(segments, length) {
    this._segments = segments;
    /** The number of records. */
    this.length = length;
  }
  /**
   * Resolves with every record's `{ partition, offset }`, in order, once all are stored;
   * rejects with the first failure.
   */
  async wait() {
    const out = [];
    for (const [stored, start, end] of this._segments) {
      const all = await stored;
      for (let i = start; i < end; i++) out.push(metadataOf(all, i));
    }
    return out;
  }
}

/** A value the producer can write: a string, Buffer, typed array or ArrayBuffer; else throws. */
function checkBytes(v, what) {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return toBuffer(v, what); // throws INVALID_ARGUMENT with the usual message
}

function checkKey(key) {
  return key === null || key === undefined ? null : checkBytes(key, 'key');
}

/** Bytes `v` takes at most (strings: 3 per UTF-16 unit). */
function maxBytes(v) {
  if (v === null) return 0;
  return typeof v === 'string' ? v.length * 3 : v.byteLength;
}

function exactBytes(v) {
  if (v === null) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

/** A producer of one topic, from `fluvio.topicProducer(topic)`. */
class TopicProducer {
  constructor(inner, client, options, state) {
    this._inner = inner;
    this._client = client;
    this._options = options;
    /** `closed` is set when this producer's client is closed. */
    this._state = state;
    this._closed = false;
    /** Producers of `sendRecord`, by partition (promises of producers). */
    this._partitions = new Map();
    /** Bytes of records handed to the addon and not yet stored, and who waits for room. */
    this._pendingBytes = 0;
    this._waiters = [];
    /** Chunk promises not settled yet, and the first failure since the last flush. */
    this._inFlight = new Set();
    this._failure = undefined;
    /** The chunk being written: its bytes, its lengths (-1: no key), its promise. */
    this._buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this._lengths = new Int32Array(2 * CHUNK_RECORDS);
    this._used = 0;
    this._count = 0;
    this._chunk = null;
    this._appended = null;
    this._scheduled = false;
  }
  /** The topic. */
  get topic() {
    return this._inner.topic;
  }
  /** Fails with CLOSED once this producer or its client is closed. */
  _checkOpen() {
    if (this._closed || this._state.closed) {
      throw new FluvioError('CLOSED', this._closed ? 'the producer is closed' : 'the client is closed');
    }
  }
  /** Writes `v` at the end of the chunk; returns its length. */
  _put(v) {
    if (typeof v === 'string') {
      const n = this._buf.utf8Write(v, this._used);
      this._used += n;
      return n;
    }
    this._buf.set(v, this._used);
    this._used += v.byteLength;
    return v.byteLength;
  }
  /**
   * Adds a checked record to the chunk; returns its index in the chunk, whose promise is
   * then `_appended`.
   */
  _append(key, value) {
    const room = this._buf.length - this._used;
    if (maxBytes(key) + maxBytes(value) > room) {
      const need = exactBytes(key) + exactBytes(value);
      if (need > room) {
        this._dispatch();
        if (need > this._buf.length) this._buf = Buffer.allocUnsafe(need);
      }
    }
    this._open();
    const at = 2 * this._count;
    this._lengths[at] = key === null ? -1 : this._put(key);
    this._lengths[at + 1] = this._put(value);
    const index = this._count++;
    this._appended = this._chunk.stored;
    if (this._count >= CHUNK_RECORDS || this._used >= CHUNK_BYTES) this._dispatch();
    return index;
  }
  /** Starts a chunk (its promise, its dispatch at the next turn) unless one is open. */
  _open() {
    if (this._chunk !== null) return;
    let resolve;
    let reject;
    const stored = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Failures reach users through wait() and flush().
    stored.catch(() => {});
    this._chunk = { stored, resolve, reject };
    if (!this._scheduled) {
      this._scheduled = true;
      setImmediate(() => {
        this._scheduled = false;
        this._dispatch();
      });
    }
  }
  /**
   * Adds records `from`.. of `keys` and `values` while both are strings and they fit the
   * chunk, with one UTF-8 write for them all (one native call, not two per record); returns
   * the index of the first record not added (`from` when none fits: the caller then adds
   * it alone). Their indexes in the chunk start at `_count` before the call.
   */
  _appendStrings(keys, values, from, to) {
    const room = this._buf.length - this._used;
    const end = Math.min(to, from + CHUNK_RECORDS - this._count);
    let joined = '';
    let units = 0;
    let i = from;
    for (; i < end; i++) {
      const key = keys[i];
      const value = values[i];
      if (typeof key !== 'string' || typeof value !== 'string') break;
      const n = key.length + value.length;
      // At most 3 bytes per UTF-16 unit: the write cannot be cut short.
      if (3 * (units + n) > room) break;
      joined += key;
      joined += value;
      units += n;
    }
    if (i === from) return from;
    this._open();
    const start = this._used;
    const written = this._buf.utf8Write(joined, start);
    let at = 2 * this._count;
    if (written === units) {
      // One byte per unit: all ASCII, so every string's byte length is its length.
      for (let j = from; j < i; j++) {
        this._lengths[at++] = keys[j].length;
        this._lengths[at++] = values[j].length;
      }
      this._used = start + written;
    } else {
      // Something was not ASCII: write the strings one by one over the same bytes.
      for (let j = from; j < i; j++) {
        this._lengths[at++] = this._put(keys[j]);
        this._lengths[at++] = this._put(values[j]);
      }
    }
    this._count += i - from;
    this._appended = this._chunk.stored;
    if (this._count >= CHUNK_RECORDS || this._used >= CHUNK_BYTES) this._dispatch();
    return i;
  }
  /** Hands the chunk to the addon (which copies it: the buffer is reused). */
  _dispatch() {
    const chunk = this._chunk;
    if (chunk === null) return;
    const bytes = this._used;
    let stored;
    try {
      stored = this._inner.sendPacked(this._buf.subarray(0, bytes), this._lengths.subarray(0, 2 * this._count));
    } catch (e) {
      stored = Promise.reject(e);
    }
    this._chunk = null;
    this._used = 0;
    this._count = 0;
    if (this._buf.length > CHUNK_BYTES) this._buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this._track(bytes, stored).then((all) => {
      if (all.failed.length > 0 && this._failure === undefined) this._failure = outcomeError(all.errors[0]);
      chunk.resolve(all);
    }, chunk.reject);
  }
  /**
   * Tracks the native promise `stored` of `bytes` bytes of records until it settles; a
   * failure is reported by `wait()` and by the next `flush()`, never unhandled.
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
   * and value may be strings (UTF-8), Buffers, Uint8Arrays or ArrayBuffers (objects are
   * not serialised: pass `JSON.stringify(obj)`).
   */
  send(key, value) {
    try {
      this._checkOpen();
      const index = this._append(checkKey(key), checkBytes(value, 'value'));
      return this._whenQueued(new ProduceOutput(this._appended, index));
    } catch (e) {
      return Promise.reject(convertError(e));
    }
  }
  /**
   * Sends `[key, value]` pairs in order (cheaper than `send` per record); resolves once
   * they are queued with a `SendAllOutput` (`wait()` gives every record's metadata). Every
   * record is checked before any is sent.
   */
  sendAll(records) {
    try {
      this._checkOpen();
      const list = Array.isArray(records) ? records : [...records];
      const n = list.length;
      // Strings and Buffers pass as they are; anything else is converted (or refused).
      const keys = new Array(n);
      const values = new Array(n);
      for (let i = 0; i < n; i++) {
        const [key, value] = list[i];
        keys[i] = typeof key === 'string' || Buffer.isBuffer(key) ? key : checkKey(key);
        values[i] = typeof value === 'string' || Buffer.isBuffer(value) ? value : checkBytes(value, 'value');
      }
      const segments = [];
      let segment = null;
      for (let i = 0; i < n; ) {
        // A run of string records in one write, else one record.
        let first = this._count;
        let next = this._appendStrings(keys, values, i, n);
        if (next === i) {
          first = this._append(keys[i], values[i]);
          next = i + 1;
        }
        // Every record of a run is in one chunk, whose promise is `_appended`.
        const stored = this._appended;
        const last = first + (next - i);
        if (segment === null || segment[0] !== stored) {
          segment = [stored, first, last];
          segments.push(segment);
        } else {
          segment[2] = last;
        }
        i = next;
      }
      return this._whenQueued(new SendAllOutput(segments, list.length));
    } catch (e) {
      return Promise.reject(convertError(e));
    }
  }
  /**
   * The official client's `sendRecord(value, partition)`: sends `value` without a key to
   * `partition`; resolves with its `ProduceOutput` once queued.
   */
  async sendRecord(value, partition) {
    this._checkOpen();
    if (!Number.isInteger(partition) || partition < 0) {
      throw invalidArgument(`partition must be a non-negative integer, not ${partition}`);
    }
    let producer = this._partitions.get(partition);
    if (producer === undefined) {
      producer = call(() => this._client.topicProducer(this.topic, { ...this._options, partition })).then(
        (inner) => new TopicProducer(inner, this._client, this._options, this._state),
      );
      this._partitions.set(partition, producer);
      producer.catch(() => this._partitions.delete(partition));
    }
    return (await producer).send(null, value);
  }
  /**
   * Resolves when every record sent before is stored; rejects with the first failure
   * among the records sent since the last flush.
   */
  async flush() {
    this._dispatch();
    const sent = [...this._inFlight];
    const partitions = await Promise.all(this._partitions.values());
    let failure;
    try {
      await call(() => this._inner.flush());
      await Promise.all(partitions.map((p) => p.flush()));
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
    this._dispatch();
    this._closed = true;
    const partitions = await Promise.all(this._partitions.values());
    await call(() => Promise.all([this._inner.close(), ...partitions.map((p) => p.close())]));
  }
}

module.exports = { TopicProducer, ProduceOutput, SendAllOutput };
