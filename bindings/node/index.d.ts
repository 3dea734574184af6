// Type declarations of @flv/client, the Fluvio client for Node.js.

/// <reference types="node" />

/** Bytes of a key or value: Buffers, UTF-8 strings, typed arrays, ArrayBuffers. */
export type Bytes = Buffer | string | Uint8Array | ArrayBuffer;

/** An error of the client: `code` says what failed. */
export declare class FluvioError extends Error {
  /**
   * `TOPIC_NOT_FOUND`, `PARTITION_NOT_FOUND`, `CONNECTION_REFUSED`, `CONNECTION_ERROR`,
   * `DNS_ERROR`, `INVALID_ADDRESS`, `TLS_ERROR`, `TLS_CONFIG_ERROR`, `CONFIG_ERROR`,
   * `TIMEOUT`, `CLOSED`, `INVALID_ARGUMENT`, `RECORD_TOO_LARGE`, `NOT_DELIVERED`,
   * `OUTCOME_UNKNOWN`, `PROTOCOL_ERROR`, `INCOMPATIBLE_PLATFORM`, or a cluster error code
   * such as `TOPIC_ALREADY_EXISTS`, `TOPIC_INVALID_NAME`, `TOPIC_INVALID_CONFIGURATION`.
   */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions);
}

/** The official client's `OffsetFrom`. */
export declare const OffsetFrom: { readonly Beginning: 'beginning'; readonly End: 'end' };

/** Where a consumer starts (flv's factories and the official client's). */
export declare class Offset {
  /**
   * As the official client: `index` records after the beginning (`from: 'beginning'`) or
   * before the end (`from: 'end'`, the default).
   */
  constructor(options?: { index?: number; from?: 'beginning' | 'end' | string });
  readonly kind: 'beginning' | 'end' | 'absolute' | 'fromBeginning' | 'fromEnd';
  readonly value: number;
  /** The official client's `index` (the same as `value`). */
  readonly index: number;
  /** The official client's `from`; `absolute` for `Offset.absolute(n)`. */
  readonly from: 'beginning' | 'end' | 'absolute';
  /** The official client's name of `Offset.beginning()`. */
  static FromBeginning(): Offset;
  /** The official client's name of `Offset.end()`. */
  static FromEnd(): Offset;
  /** The first record of the partition. */
  static beginning(): Offset;
  /** The next record to be produced (only new records). */
  static end(): Offset;
  /** The record at offset `n`. */
  static absolute(n: number): Offset;
  /** `n` records after the beginning. */
  static fromBeginning(n: number): Offset;
  /** `n` records before the end. */
  static fromEnd(n: number): Offset;
}

/**
 * A consumed record as the official client types it (what `PartitionRecord` is).
 * At run time, `Record` is flv's own consumer record class (typed `ConsumerRecord` here).
 */
export interface Record {
  key(): ArrayBuffer | null;
  hasKey(): boolean;
  value(): ArrayBuffer;
  keyString(): string | null;
  valueString(): string;
}
export declare const Record: typeof ConsumerRecord;

/** A key and a value, as `sendAll` takes them (the official client's `KeyValue`). */
export type KeyValue = [Bytes, Bytes];

/** One record of flv's own `fluvio.consumer(...)` (exported at run time as `Record`). */
export declare class ConsumerRecord {
  private constructor();
  readonly offset: number;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
  /** Milliseconds since the Unix epoch, -1 when unknown. */
  readonly timestamp: number;
  /** The value as UTF-8 text. */
  valueString(): string;
  /** The key as UTF-8 text, or null. */
  keyString(): string | null;
  /** True when the record has a key. */
  hasKey(): boolean;
  /** The value parsed as JSON. */
  valueJson<T = unknown>(): T;
}

/** Where a record was stored. */
export interface RecordMetadata {
  partition: number;
  offset: number;
}

/** What `send` resolves with once the record is queued. */
export declare class ProduceOutput {
  private constructor();
  /** Resolves once the record is stored; rejects if it could not be. */
  wait(): Promise<RecordMetadata>;
}

/** What `sendAll` resolves with once the records are queued. */
export declare class SendAllOutput {
  private constructor();
  /** The number of records. */
  readonly length: number;
  /** Resolves with every record's metadata, in order, once all are stored; rejects with the first failure. */
  wait(): Promise<RecordMetadata[]>;
}

export interface ConnectOptions {
  /** The SC address, `host:port` (plain TCP). */
  endpoint?: string;
  /** A profile of `~/.fluvio/config` (or of `$FLV_PROFILE_PATH`). */
  profile?: string;
  /** The client id sent to the cluster. */
  clientId?: string;
}

export interface ProducerOptions {
  /** Milliseconds a batch waits for more records (default 0). */
  linger?: number;
  /** Largest batch in bytes (default 16384). */
  batchSize?: number;
  /** Default: the topic's setting. */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** Milliseconds a record may stay unresolved before it fails (default 300000). */
  deliveryTimeout?: number;
  /** Every record to this partition (default: by key hash, round-robin without key). */
  partition?: number;
}

export interface ConsumerOptions {
  topic: string;
  /** One partition (default: every partition). */
  partition?: number;
  /** Several partitions. */
  partitions?: number[];
  /** Where to start (default `Offset.end()`). */
  offset?: Offset | { index: number; from?: string };
  /** End at the end offset known at start instead of waiting for more records. */
  disableContinuous?: boolean;
  /** Largest record set per fetch response, in bytes. */
  maxBytes?: number;
}

export interface TopicOptions {
  /** Default 1. */
  partitions?: number;
  /** Default 1. */
  replication?: number;
  /** The official client's name of `replication`. */
  replicationFactor?: number;
  ignoreRackAssignment?: boolean;
  /** Explicit partition → SPU assignment instead of a computed layout. */
  maps?: PartitionMap[];
  /** Only validate. */
  dryRun?: boolean;
}

export interface TopicInfo {
  name: string;
  partitions: number;
  replication: number;
  /** `Provisioned`, `Pending`, `InsufficientResources`, ... */
  status: string;
  reason: string;
}

export interface PartitionInfo {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  /** `Online`, `Offline`, ... */
  status: string;
  highWatermark: number;
  logEndOffset: number;
  size: number;
}

export interface SpuInfo {
  id: number;
  name: string;
  /** `host:port` clients connect to. */
  address?: string;
  /** `Online`, `Offline` or `Init`. */
  status: string;
  rack?: string;
}

/** A producer of one topic. */
export declare class TopicProducer {
  private constructor();
  readonly topic: string;
  /**
   * Queues a record (in call order); resolves once it is queued (at once unless 16 MiB
   * wait to be stored) with its `ProduceOutput`.
   */
  send(key: Bytes | null | undefined, value: Bytes): Promise<ProduceOutput>;
  /** Sends `[key, value]` pairs in order (cheaper than `send` each); resolves once queued. */
  sendAll(records: Iterable<[Bytes | null | undefined, Bytes]>): Promise<SendAllOutput>;
  /** The official client's: sends `value` without a key to `partition`. */
  sendRecord(value: Bytes, partition: number): Promise<ProduceOutput>;
  /**
   * Resolves when every record sent before is stored; rejects with the first failure
   * since the last flush.
   */
  flush(): Promise<void>;
  /** Flushes, then closes the producer. */
  close(): Promise<void>;
}

/** The records of a topic: `for await (const record of stream)`. */
export declare class ConsumerStream<R = ConsumerRecord> implements AsyncIterableIterator<R> {
  private constructor();
  /** The next record, or null when the stream ended or was closed. */
  nextRecord(): Promise<R | null>;
  next(): Promise<IteratorResult<R, undefined>>;
  return(): Promise<IteratorResult<R, undefined>>;
  /** Stops the consumer; a pending `next` ends the iteration. */
  close(): Promise<void>;
  [Symbol.asyncIterator](): ConsumerStream<R>;
}

/** The admin API of a cluster. */
export declare class FluvioAdmin {
  private constructor();
  /** The client's options (the official client's defaults for topics and SPUs). */
  options?: Partial<Options>;
  /** Creates a topic; resolves with its name. */
  createTopic(name: string, options?: TopicOptions | TopicSpec): Promise<string>;
  /** Deletes a topic; resolves with its name. */
  deleteTopic(name: string): Promise<string>;
  /** Topics whose name contains `filter` (or one of the filters); every topic by default. */
  listTopics(filter?: string | string[]): Promise<TopicInfo[]>;
  /** Partitions of `topic`, or of every topic. */
  describePartitions(topic?: string): Promise<PartitionInfo[]>;
  listSpus(): Promise<SpuInfo[]>;
  /** The official client's listings: JSON text of `[{ name, spec, status }]`. */
  listTopic(): Promise<string>;
  listPartitions(): Promise<string>;
  listSpu(): Promise<string>;
  /** The topic as `{ name, spec, status }`, or null. */
  findTopic(name: string): Promise<Topic | null>;
  /** Partition 0 of `topic`. */
  findPartition(topic: string): Promise<PartitionSpecMetadata>;
  createCustomSpu(name: string, spec?: CustomSpuSpec): Promise<void>;
  deleteCustomSpu(key: string | number): Promise<void>;
  createManagedSpu(name: string, spec?: SpuGroupSpec): Promise<void>;
  deleteManagedSpu(name: string): Promise<void>;
}

/** The official client's options; flv uses `host` and `port` (and `ConnectOptions`). */
export interface Options {
  host?: string;
  port?: number;
  ingress?: IngressAddr[];
  rack?: string;
  encryption?: Encryption;
  minId?: number;
  replicas?: number;
  env?: EnvVar[];
  replication?: ReplicationConfig;
  storage?: StorageConfig;
  partitions?: number;
  replicationFactor?: number;
  ignoreRackAssignment?: boolean;
  maps?: PartitionMap[];
  topic?: string;
  partition?: number;
  id?: number;
  offsetIndex?: number;
  offsetFrom?: string;
}

/**
 * A client of one Fluvio cluster: `await Fluvio.connect(options)`, or `new Fluvio(options)`
 * and `await fluvio.connect()`.
 */
export declare class Fluvio {
  constructor(options?: (Options & ConnectOptions) | string);
  /** Connects: to `endpoint` or `host:port`, to a named `profile`, or to the current profile. */
  static connect(options?: (Options & ConnectOptions) | string): Promise<Fluvio>;
  /** Connects this client (once); resolves with it. */
  connect(options?: Partial<Options> & ConnectOptions): Promise<this>;
  /** The SC endpoint. */
  readonly endpoint: string;
  topicProducer(topic: string, options?: ProducerOptions): Promise<TopicProducer>;
  consumer(options: ConsumerOptions | string): Promise<ConsumerStream>;
  /** The official client's consumer of one partition. */
  partitionConsumer(topic: string, partition: number): Promise<PartitionConsumer>;
  admin(): Promise<FluvioAdmin>;
  /** Flushes producers, closes consumers and the connections. */
  close(): Promise<void>;
}
export default Fluvio;

/** A record with the official client's accessors, and flv's offset, partition, timestamp. */
export declare class PartitionRecord implements Record {
  private constructor();
  readonly offset: number;
  readonly partition: number;
  readonly timestamp: number;
  key(): ArrayBuffer | null;
  hasKey(): boolean;
  value(): ArrayBuffer;
  keyString(): string | null;
  valueString(): string;
}

export declare const SmartModuleType: {
  readonly Filter: 'filter';
  readonly Map: 'map';
  readonly ArrayMap: 'array_map';
  readonly FilterMap: 'filter_map';
};

/** The official client's `ConsumerConfig` of `streamWithConfig`. */
export interface ConsumerConfig {
  maxBytes?: number;
  smartmoduleType: 'filter' | 'map' | 'array_map' | 'filter_map';
  /** Path of a WASM file. */
  smartmoduleFile?: string;
  /** Gzipped WASM in base64. */
  smartmoduleData?: string;
  /** A SmartModule stored in the cluster. */
  smartmoduleName?: string;
}

/** The official client's consumer of one partition. */
export declare class PartitionConsumer {
  private constructor();
  readonly topic: string;
  readonly partition: number;
  /** The records from `offset` (default: the end) up to the high watermark. */
  fetch(offset?: Offset): Promise<FetchablePartitionResponse>;
  /** Calls `cb` for every record from `offset` on, until `endStream()`. */
  stream(offset: Offset, cb: (record: PartitionRecord) => void): Promise<void>;
  endStream(): Promise<void>;
  createStream(offset: Offset): Promise<ConsumerStream<PartitionRecord>>;
  streamWithConfig(offset: Offset, config: ConsumerConfig): Promise<ConsumerStream<PartitionRecord>>;
}

export declare const ErrorCode: { readonly [name: string]: number } & { readonly [code: number]: string };

export interface BatchHeader {
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimeStamp: number;
  producerId: number;
  producerEpoch: number;
  firstSequence: number;
}

export interface Batch {
  baseOffset: number;
  batchLength: number;
  header: BatchHeader;
  records: { key: ArrayBuffer; value: string; headers: number }[];
}

export declare class FetchablePartitionResponse {
  private constructor();
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** One batch with every fetched record (flv hands out records, not stored batches). */
  records: { batches: Batch[] };
  aborted: unknown[];
  /** The values that are valid UTF-8. */
  toRecords(): string[];
}

export declare const Encryption: { readonly Plaintext: 'Plaintext'; readonly Ssl: 'Ssl' };
export type Encryption = 'Plaintext' | 'Ssl';

export interface IngressAddr {
  hostname?: string;
  ip?: string;
}
export interface EnvVar {
  name: string;
  value: string;
}
export interface StorageConfig {
  logDir?: string;
  size?: string;
}
export interface ReplicationConfig {
  inSyncReplicaMin?: number;
}
export interface PartitionMap {
  id: number;
  replicas: number[];
}

export declare class CustomSpuSpec {
  constructor(options?: Partial<Options>);
  id: number;
  publicEndpoint: { port: number; ingress: IngressAddr[]; encryption: string };
  privateEndpoint: { port: number; host: string; encryption: string };
  rack?: string;
}
export declare class SpuConfig {
  constructor(options?: Partial<Options>);
  env: EnvVar[];
  rack?: string;
  replication?: ReplicationConfig;
  storage?: StorageConfig;
}
export declare class SpuGroupSpec {
  constructor(options?: Partial<Options>);
  replicas: number;
  minId: number;
  spuConfig: SpuConfig;
}
export declare class TopicSpec {
  constructor(options?: Partial<Options>);
  opts: { maps: PartitionMap[] } | { partitions: number; replicationFactor: number; ignoreRackAssignment: boolean };
}

/** A topic as `findTopic` returns it (the SC's serde shape). */
export interface Topic {
  name: string;
  spec: { replicas: { computed?: { partitions: number; replicationFactor: number; ignoreRackAssignment: boolean }; assigned?: PartitionMap[] } } & { [k: string]: unknown };
  status: { resolution: string; replicaMap: { [partition: string]: number[] }; reason: string } & { [k: string]: unknown };
}

export interface ReplicaStatus {
  spu: number;
  hw: number;
  leo: number;
}
export interface PartitionSpecMetadata {
  name: string;
  spec: { leader: number; replicas: number[] };
  status: { resolution: string; leader: ReplicaStatus; lsr: string; replicas: ReplicaStatus[] };
}

export declare const DEFAULT_HOST: string;
export declare const DEFAULT_PORT: number;
export declare const DEFAULT_PUBLIC_PORT: number;
export declare const DEFAULT_PRIVATE_PORT: number;
export declare const DEFAULT_REPLICAS: number;
export declare const DEFAULT_ID: number;
export declare const DEFAULT_TOPIC: string;
export declare const DEFAULT_PARTITIONS: number;
export declare const DEFAULT_REPLICATION_FACTOR: number;
export declare const DEFAULT_IGNORE_RACK_ASSIGNMENT: boolean;
export declare const DEFAULT_MIN_ID: number;
export declare const DEFAULT_OFFSET: number;
export declare const DEFAULT_OFFSET_FROM: string;
export declare function stringToArrayBuffer(data: string): ArrayBuffer;
export declare function arrayBufferToString(data: ArrayBuffer): string;
