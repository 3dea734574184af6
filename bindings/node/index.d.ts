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

/** Where a consumer starts. */
export declare class Offset {
  private constructor();
  readonly kind: 'beginning' | 'end' | 'absolute' | 'fromBeginning' | 'fromEnd';
  readonly value: number;
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

/** One consumed record. */
export declare class Record {
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
  /** The value parsed as JSON. */
  valueJson<T = unknown>(): T;
}

/** Where a record was stored. */
export interface ProduceOutput {
  partition: number;
  offset: number;
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
}

export interface ConsumerOptions {
  topic: string;
  /** One partition (default: every partition). */
  partition?: number;
  /** Several partitions. */
  partitions?: number[];
  /** Where to start (default `Offset.end()`). */
  offset?: Offset;
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
  /** Queues a record (in call order); resolves once it is stored. */
  send(key: Bytes | null | undefined, value: Bytes): Promise<ProduceOutput>;
  /** Sends `[key, value]` pairs in order, with one promise for all (cheaper than `send` each). */
  sendAll(records: Iterable<[Bytes | null | undefined, Bytes]>): Promise<ProduceOutput[]>;
  /** Resolves when every record sent before is stored; rejects with the first failure. */
  flush(): Promise<void>;
  /** Flushes, then closes the producer. */
  close(): Promise<void>;
}

/** The records of a topic: `for await (const record of stream)`. */
export declare class ConsumerStream implements AsyncIterableIterator<Record> {
  private constructor();
  /** The next record, or null when the stream ended or was closed. */
  nextRecord(): Promise<Record | null>;
  next(): Promise<IteratorResult<Record, undefined>>;
  return(): Promise<IteratorResult<Record, undefined>>;
  /** Stops the consumer; a pending `next` ends the iteration. */
  close(): Promise<void>;
  [Symbol.asyncIterator](): ConsumerStream;
}

/** The admin API of a cluster. */
export declare class FluvioAdmin {
  private constructor();
  createTopic(name: string, options?: TopicOptions): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  /** Topics whose name contains `filter` (or one of the filters); every topic by default. */
  listTopics(filter?: string | string[]): Promise<TopicInfo[]>;
  /** Partitions of `topic`, or of every topic. */
  listPartitions(topic?: string): Promise<PartitionInfo[]>;
  listSpus(): Promise<SpuInfo[]>;
}

/** A client of one Fluvio cluster. */
export declare class Fluvio {
  private constructor();
  /** Connects: to `endpoint`, to a named `profile`, or to the current profile. */
  static connect(options?: ConnectOptions | string): Promise<Fluvio>;
  /** The SC endpoint. */
  readonly endpoint: string;
  topicProducer(topic: string, options?: ProducerOptions): Promise<TopicProducer>;
  consumer(options: ConsumerOptions | string): Promise<ConsumerStream>;
  admin(): FluvioAdmin;
  /** Flushes producers, closes consumers and the connections. */
  close(): Promise<void>;
}
