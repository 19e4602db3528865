/**
 * The `Bus`: keyed topics with consumer groups, the seam between ingestion and processing.
 *
 * Guarantees every implementation gives (test/bus/bus.contract.ts checks them):
 * - per key, messages are delivered in publish order (a key maps to one partition);
 * - at-least-once delivery to each consumer group: what was not committed is delivered again to the
 *   group's next consumer; consumers make the overlap harmless (event ids, stored offsets);
 * - `publish` resolves only once the bus has accepted the messages (Kafka: broker acks), and it
 *   applies backpressure (a bounded buffer waits for room instead of growing).
 * Capabilities that only a retained log has (seek, retention, durability across processes) are
 * declared in `capabilities` and tested only where present.
 */

/** Topic names used across the system (ARCHITECTURE.md, "Topics and exactly-once"). */
export const TOPICS = {
  incidents: 'crime-incidents',
  anomalies: 'crime-anomalies',
  deadLetter: 'crime-dead-letter',
} as const;

export interface OutgoingMessage {
  key: string;
  /** A JSON-serialisable value. In-process buses hand the same object to consumers: never mutate it. */
  value: unknown;
  headers?: Record<string, string>;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Position in the partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
  /** Publish time, epoch ms. */
  timestamp: number;
}

export interface BusBatch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

/** A consumer's position: the next offset to read in one partition. */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
}

export interface BusCapabilities {
  /** Consumers can start from stored positions (`seekTo`). */
  seek: boolean;
  /** Messages survive being consumed and can be read again by a new group. */
  retention: boolean;
  /** Messages survive the publishing process (separate processes can share the bus). */
  durable: boolean;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed position starts. Default true (earliest). */
  fromBeginning?: boolean;
  /** Upper bound on messages per delivered batch. */
  maxBatchSize?: number;
  /**
   * Positions to start from (e.g. read back from DuckDB's `bus_offsets`); they win over the group's
   * committed offsets. Only on buses with `capabilities.seek`.
   */
  startAt?: Position[];
}

export interface Consumer {
  /**
   * Batches in delivery order until `signal` aborts or `close()` is called. The next batch is fetched
   * only when the loop asks for it: backpressure comes from the consumer's own pace.
   */
  batches(signal?: AbortSignal): AsyncIterable<BusBatch>;
  /** Records the group's position (next offsets to read) once the batch's results are committed. */
  commit(positions: Position[]): Promise<void>;
  /** Messages published but not yet committed by this group, per `topic/partition`. */
  lag(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface Bus {
  readonly kind: 'in-process' | 'kafka';
  readonly capabilities: BusCapabilities;
  /** Publishes in order; resolves when accepted (with backpressure). */
  publish(topic: string, messages: OutgoingMessage[], signal?: AbortSignal): Promise<void>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  /** Reachability, for `/ready`. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
