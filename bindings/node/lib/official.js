'use strict';
// The parts of the official `@fluvio/client` (0.14.9) API that flv adds beside its own:
// partition consumers and their records, fetch responses, the admin's JSON listings and
// SPU specs, and the official constants and enums. `index.js` puts them on `Fluvio`,
// `TopicProducer` and `FluvioAdmin`.

const fs = require('node:fs');
const zlib = require('node:zlib');
const {
  call,
  ConsumerStream,
  invalidArgument,
  Offset,
  offsetSpec,
  toArrayBuffer,
} = require('./internal');

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 9003;
const DEFAULT_PUBLIC_PORT = 9005;
const DEFAULT_PRIVATE_PORT = 9006;
const DEFAULT_REPLICAS = 3;
const DEFAULT_ID = 0;
const DEFAULT_TOPIC = 'message';
const DEFAULT_PARTITIONS = 1;
const DEFAULT_REPLICATION_FACTOR = 1;
const DEFAULT_IGNORE_RACK_ASSIGNMENT = false;
const DEFAULT_MIN_ID = 0;
const DEFAULT_OFFSET = 0;
const DEFAULT_OFFSET_FROM = 'end';

/** Endpoint encryption, as the official client names it. */
const Encryption = Object.freeze({ Plaintext: 'Plaintext', Ssl: 'Ssl' });

/** SmartModule kinds of `streamWithConfig`. */
const SmartModuleType = Object.freeze({
  Filter: 'filter',
  Map: 'map',
  ArrayMap: 'array_map',
  FilterMap: 'filter_map',
});

/** The official client's `ErrorCode` enum (numbered as its TypeScript enum). */
const ErrorCode = {};
[
  'UnknownServerError',
  'None',
  'OffsetOutOfRange',
  'NotLeaderForPartition',
  'StorageError',
  'SpuError',
  'SpuRegisterationFailed',
  'SpuOffline',
  'SpuNotFound',
  'SpuAlreadyExists',
  'TopicError',
  'TopicNotFound',
  'TopicAlreadyExists',
  'TopicPendingInitialization',
  'TopicInvalidConfiguration',
  'PartitionPendingInitialization',
  'PartitionNotLeader',
].forEach((name, i) => {
  ErrorCode[name] = i;
  ErrorCode[i] = name;
});
Object.freeze(ErrorCode);

/**
 * A consumed record with the official client's accessors: `key()` / `value()` as
 * ArrayBuffers, `hasKey()`, `keyString()`, `valueString()`; and flv's `offset`,
 * `partition` and `timestamp` (ms) properties.
 */
class PartitionRecord {
  #data;
  #keyStart;
  #valueStart;
  #valueEnd;
  /** Record `i` of a packed batch from the addon (see lib/internal.js). */
  constructor(batch, i) {
    this.offset = batch.offsets[i];
    this.partition = batch.partitions[i];
    this.timestamp = batch.timestamps[i];
    const at = batch.starts[i];
    const keyLength = batch.keyLengths[i];
    this.#data = batch.data;
    this.#keyStart = keyLength < 0 ? -1 : at;
    this.#valueStart = at + Math.max(keyLength, 0);
    this.#valueEnd = this.#valueStart + batch.valueLengths[i];
  }
  /** The key's bytes, or null when the record has no key. */
  key() {
    return this.#keyStart < 0 ? null : toArrayBuffer(this.#data.subarray(this.#keyStart, this.#valueStart));
  }
  /** True when the record has a key. */
  hasKey() {
    return this.#keyStart >= 0;
  }
  /** The value's bytes. */
  value() {
    return toArrayBuffer(this.#data.subarray(this.#valueStart, this.#valueEnd));
  }
  /** The key as UTF-8 text (invalid sequences replaced), or null. */
  keyString() {
    return this.#keyStart < 0 ? null : this.#data.toString('utf8', this.#keyStart, this.#valueStart);
  }
  /** The value as UTF-8 text (invalid sequences replaced). */
  valueString() {
    return this.#data.toString('utf8', this.#valueStart, this.#valueEnd);
  }
}

/**
 * What `PartitionConsumer.fetch` returns: the records from an offset up to the high
 * watermark, as the official `FetchablePartitionResponse` shape. The records come as one
 * batch (flv hands out records, not the stored batches: the header's CRC, producer and
 * sequence fields are zero).
 */
class FetchablePartitionResponse {
  constructor({ partitionIndex, highWatermark, logStartOffset, records }) {
    this.partitionIndex = partitionIndex;
    this.errorCode = ErrorCode.None;
    this.highWatermark = highWatermark;
    this.lastStableOffset = highWatermark;
    this.logStartOffset = logStartOffset;
    this.aborted = [];
    this._records = records;
    const batches = [];
    if (records.length > 0) {
      const first = records[0];
      const last = records[records.length - 1];
      const stamps = records.map((r) => r.timestamp);
      batches.push({
        baseOffset: first.offset,
        batchLength: records.reduce((n, r) => n + r.value.length + (r.key?.length ?? 0), 0),
        header: {
          partitionLeaderEpoch: -1,
          magic: 2,
          crc: 0,
          attributes: 0,
          lastOffsetDelta: last.offset - first.offset,
          firstTimestamp: first.timestamp,
          maxTimeStamp: Math.max(...stamps),
          producerId: -1,
          producerEpoch: -1,
          firstSequence: -1,
        },
        records: records.map((r) => ({
          key: r.key === null ? new ArrayBuffer(0) : toArrayBuffer(r.key),
          value: r.value.toString('utf8'),
          headers: 0,
        })),
      });
    }
    this.records = { batches };
  }
  /** The values that are valid UTF-8, as strings. */
  toRecords() {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const out = [];
    for (const r of this._records) {
      try {
        out.push(decoder.decode(r.value));
      } catch {
        // The official client leaves non-UTF-8 values out.
      }
    }
    return out;
  }
}

/** The SmartModule of an official `ConsumerConfig`, for the addon. */
function smartModuleOf(config) {
  const kind = config.smartmoduleType;
  if (typeof kind !== 'string') throw invalidArgument('missing smartmoduleType property');
  const sources = ['smartmoduleFile', 'smartmoduleName', 'smartmoduleData'].filter(
    (k) => config[k] !== undefined && config[k] !== null,
  );
  if (sources.length > 1) {
    throw invalidArgument('You must either provide one of smartmoduleFile, smartmoduleName or smartmoduleData');
  }
  if (sources.length === 0) return undefined;
  if (config.smartmoduleName !== undefined && config.smartmoduleName !== null) {
    return { kind, name: String(config.smartmoduleName) };
  }
  if (config.smartmoduleFile !== undefined && config.smartmoduleFile !== null) {
    let raw;
    try {
      raw = fs.readFileSync(config.smartmoduleFile);
    } catch (e) {
      throw invalidArgument(`cannot read SmartModule file ${config.smartmoduleFile}: ${e.message}`);
    }
    return { kind, wasm: zlib.gzipSync(raw) };
  }
  // smartmoduleData: gzipped WASM in base64, sent as is.
  return { kind, wasm: Buffer.from(String(config.smartmoduleData), 'base64') };
}

/**
 * A consumer of one partition of a topic, from `fluvio.partitionConsumer(topic, partition)`
 * (the official client's API): `fetch`, `stream`, `createStream`, `streamWithConfig`.
 */
class PartitionConsumer {
  constructor(client, topic, partition) {
    this._client = client;
    this.topic = topic;
    this.partition = partition;
    this._streams = new Set();
  }

  /** A consumer stream of this partition from `offset`, with extra addon options. */
  async _open(offset, extra = {}) {
    const options = { topic: this.topic, partition: this.partition, offset: offsetSpec(offset), ...extra };
    const inner = await call(() => this._client.consumer(options));
    return new ConsumerStream(inner, (batch, i) => new PartitionRecord(batch, i));
  }

  /** Every record of a bounded (`disableContinuous`) stream from `offset`. */
  async _drain(offset) {
    const stream = await this._open(offset, { disableContinuous: true });
    const records = [];
    try {
      for (;;) {
        const batch = await call(() => stream._inner.nextBatch(1000));
        if (batch === null) break;
        for (const r of batch) records.push(r);
      }
    } finally {
      await stream.close();
    }
    return records;
  }

  /**
   * The records from `offset` (default: the end, i.e. none) up to the high watermark, at
   * once. `highWatermark` is the offset after the partition's last record (read from the
   * SPU); `logStartOffset` the SC's view of the first stored offset.
   */
  async fetch(offset) {
    const [records, last] = await Promise.all([
      this._drain(offset ?? new Offset()),
      this._drain(Offset.fromEnd(1)),
    ]);
    const listed = JSON.parse(await call(() => this._client.admin().listJson('partition')));
    const meta = listed.find((p) => p.name === `${this.topic}-${this.partition}`);
    const ends = [meta ? meta.status.leader.hw : 0];
    for (const r of [...last, ...records.slice(-1)]) ends.push(r.offset + 1);
    return new FetchablePartitionResponse({
      partitionIndex: this.partition,
      highWatermark: Math.max(...ends),
      logStartOffset: meta ? meta.status.baseOffset : 0,
      records,
    });
  }

  /**
   * Calls `cb(record)` for every record from `offset` on, in the background, until
   * `endStream()`. Resolves once the stream is open (rejects if it cannot be opened).
   * An exception thrown by `cb` ends the stream and is rethrown as an uncaught exception.
   */
  async stream(offset, cb) {
    if (typeof cb !== 'function') throw invalidArgument('stream needs a callback');
    const stream = await this._open(offset);
    this._streams.add(stream);
    // The pending read keeps the process alive until `endStream()`, as the official
    // client's native stream does.
    (async () => {
      try {
        for (;;) {
          const record = await stream.nextRecord();
          if (record === null) break;
          try {
            cb(record);
          } catch (e) {
            await stream.close().catch(() => {});
            process.nextTick(() => {
              throw e;
            });
            break;
          }
        }
      } catch (e) {
        process.emitWarning(`flv: partition stream of ${this.topic}-${this.partition} ended: ${e.message}`);
      } finally {
        this._streams.delete(stream);
      }
    })();
  }

  /** Ends every stream `stream()` started. */
  async endStream() {
    const streams = [...this._streams];
    this._streams.clear();
    await Promise.all(streams.map((s) => s.close()));
  }

  /**
   * The records from `offset` on, as an async iterable of `PartitionRecord`s (leaving a
   * `for await` loop closes it).
   */
  async createStream(offset) {
    return this._open(offset);
  }

  /**
   * As `createStream`, with an official `ConsumerConfig`: `{ maxBytes?, smartmoduleType,
   * smartmoduleFile? | smartmoduleName? | smartmoduleData? }`.
   */
  async streamWithConfig(offset, config) {
    if (config === null || typeof config !== 'object') throw invalidArgument('must pass json param');
    const extra = {};
    const smartmodule = smartModuleOf(config);
    if (smartmodule) extra.smartmodule = smartmodule;
    if (config.maxBytes !== undefined && config.maxBytes !== null) extra.maxBytes = config.maxBytes;
    return this._open(offset, extra);
  }
}

/** Wire spelling of an official `Encryption` value. */
function encryptionOf(e) {
  if (e === undefined || e === null) return 'PLAINTEXT';
  switch (String(e).toLowerCase()) {
    case 'plaintext':
      return 'PLAINTEXT';
    case 'ssl':
      return 'SSL';
    default:
      throw invalidArgument(`encryption must be Plaintext or Ssl, not ${e}`);
  }
}

function randomSpuId() {
  return +(Math.random() * 1e4).toFixed(0) + 1;
}

/** A custom SPU's registration, with the official client's defaults from `options`. */
class CustomSpuSpec {
  constructor(options) {
    this.id = options?.id || randomSpuId();
    this.privateEndpoint = {
      host: options?.host || DEFAULT_HOST,
      port: DEFAULT_PRIVATE_PORT,
      encryption: options?.encryption || Encryption.Plaintext,
    };
    this.publicEndpoint = {
      port: DEFAULT_PUBLIC_PORT,
      ingress: options?.ingress || [{ hostname: DEFAULT_HOST }],
      encryption: options?.encryption || Encryption.Plaintext,
    };
    if (options?.rack) this.rack = options.rack;
  }
}

/** An SPU group's SPU configuration. */
class SpuConfig {
  constructor(options) {
    this.env = options?.env || [];
    if (options?.rack) this.rack = options.rack;
    if (options?.replication) this.replication = options.replication;
    if (options?.storage) this.storage = options.storage;
  }
}

/** An SPU group (managed SPUs), with the official client's defaults from `options`. */
class SpuGroupSpec {
  constructor(options) {
    this.minId = options?.minId || DEFAULT_MIN_ID;
    this.replicas = options?.replicas || DEFAULT_REPLICAS;
    this.spuConfig = new SpuConfig(options);
  }
}

/** A topic layout: `opts` is `{ maps }` or `{ partitions, replicationFactor, ignoreRackAssignment }`. */
class TopicSpec {
  constructor(options) {
    if (options?.maps) {
      this.opts = { maps: options.maps };
    } else {
      this.opts = {
        partitions: options?.partitions || DEFAULT_PARTITIONS,
        replicationFactor: options?.replicationFactor || options?.replication || DEFAULT_REPLICATION_FACTOR,
        ignoreRackAssignment: options?.ignoreRackAssignment || DEFAULT_IGNORE_RACK_ASSIGNMENT,
      };
    }
  }
}

/** The JSON text of a `CustomSpuSpec` in flv's (and the SC's) serde shape. */
function customSpuJson(spec) {
  const ingress = (spec.publicEndpoint?.ingress ?? []).map((a) => ({
    hostname: a.hostname ?? null,
    ip: a.ip ?? null,
  }));
  return JSON.stringify({
    id: spec.id,
    publicEndpoint: {
      port: spec.publicEndpoint?.port ?? DEFAULT_PUBLIC_PORT,
      ingress,
      encryption: encryptionOf(spec.publicEndpoint?.encryption),
    },
    privateEndpoint: {
      port: spec.privateEndpoint?.port ?? DEFAULT_PRIVATE_PORT,
      host: spec.privateEndpoint?.host ?? DEFAULT_HOST,
      encryption: encryptionOf(spec.privateEndpoint?.encryption),
    },
    rack: spec.rack ?? null,
  });
}

/** The JSON text of an `SpuGroupSpec` in flv's (and the SC's) serde shape. */
function spuGroupJson(spec) {
  const config = spec.spuConfig ?? {};
  let replication = config.replication ?? null;
  if (typeof replication === 'number') replication = { inSyncReplicaMin: replication };
  return JSON.stringify({
    replicas: spec.replicas,
    minId: spec.minId,
    spuConfig: {
      rack: config.rack ?? null,
      replication: replication && { inSyncReplicaMin: replication.inSyncReplicaMin ?? null },
      storage: config.storage ? { logDir: config.storage.logDir ?? null, size: config.storage.size ?? null } : null,
      env: (config.env ?? []).map((e) => ({ name: String(e.name), value: String(e.value) })),
    },
  });
}

/** The official `findPartition` shape of a listed partition. */
function partitionMetadata(p) {
  const replica = (r) => ({ spu: r.spu, hw: r.hw, leo: r.leo });
  return {
    name: p.name,
    spec: { leader: p.spec.leader, replicas: p.spec.replicas },
    status: {
      leader: replica(p.status.leader),
      resolution: p.status.resolution,
      lsr: String(p.status.lsr),
      replicas: p.status.replicas.map(replica),
    },
  };
}

function stringToArrayBuffer(data) {
  const buf = new ArrayBuffer(data.length);
  const view = new Uint8Array(buf);
  for (let i = 0; i < data.length; i++) view[i] = data.charCodeAt(i);
  return buf;
}

function arrayBufferToString(data) {
  return Buffer.from(data).toString('utf8');
}

module.exports = {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_PUBLIC_PORT,
  DEFAULT_PRIVATE_PORT,
  DEFAULT_REPLICAS,
  DEFAULT_ID,
  DEFAULT_TOPIC,
  DEFAULT_PARTITIONS,
  DEFAULT_REPLICATION_FACTOR,
  DEFAULT_IGNORE_RACK_ASSIGNMENT,
  DEFAULT_MIN_ID,
  DEFAULT_OFFSET,
  DEFAULT_OFFSET_FROM,
  Encryption,
  SmartModuleType,
  ErrorCode,
  PartitionRecord,
  FetchablePartitionResponse,
  PartitionConsumer,
  CustomSpuSpec,
  SpuConfig,
  SpuGroupSpec,
  TopicSpec,
  customSpuJson,
  spuGroupJson,
  partitionMetadata,
  stringToArrayBuffer,
  arrayBufferToString,
};
