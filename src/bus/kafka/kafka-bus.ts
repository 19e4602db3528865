/**
 * The Kafka `Bus`, on kafkajs.
 *
 * Why kafkajs (measured, /work/shared/peers/KAFKA-TESTING.md, 2026-11-25): it is pure JavaScript and
 * works against librdkafka's mock cluster (produce, consumer groups, commits, resume, rebalances,
 * admin.fetchOffsets), which is how the tests run Kafka here. `@confluentinc/kafka-javascript` needs a
 * native build on these machines (no prebuilt binary offline: Debian -dev packages plus
 * `CKJS_LINKING=dynamic`, 2 minutes per fresh install); `@platformatic/kafka` needs Node 22
 * (`Promise.withResolvers`; with a polyfill its consumer failed on Node 20). kafkajs is unmaintained
 * upstream since 2023, but Confluent's client offers the same API (`KafkaJS` layer) if we move.
 *
 * Semantics:
 * - values are JSON, keys are strings as given, headers are strings; a value that is not JSON is
 *   delivered as its raw text with a `crimepulse-decode-error` header (a topic may carry anything;
 *   the pipeline validates and dead-letters it);
 * - `publish` resolves on the broker's acknowledgement from all in-sync replicas (`acks: -1`), one
 *   request in flight so a retry cannot reorder a key. The idempotent producer is opt-in
 *   (`idempotent: true`): kafkajs sends InitProducerId to the controller, and librdkafka's mock
 *   advertises ControllerId 0 with brokers 1..3 ("Broker 0 not found in the cached metadata", measured),
 *   so the tested default is off; a retried send may then be doubled, which event ids make harmless;
 * - consumers run in a group with auto-commit off: `commit()` writes offsets to Kafka, but the
 *   exactly-once path is DuckDB's stored offsets handed back as `startAt`, applied by seeking the first
 *   time each partition is assigned to this consumer (later assignments resume from Kafka's commits);
 * - `batches()` yields one partition's messages at a time and fetches the next batch only when the
 *   loop asks for it (kafkajs waits inside `eachBatch`, heartbeating), so a slow consumer slows the
 *   fetch instead of buffering.
 * The partitioner is passed explicitly (`Partitioners.DefaultPartitioner`, murmur2 like the Java
 * client), which also keeps kafkajs from printing its v2 partitioner warning without touching
 * `KAFKAJS_NO_PARTITIONER_WARNING` in the environment.
 */
import type {
  Admin,
  EachBatchPayload,
  Consumer as KafkaConsumer,
  KafkaMessage,
  LogEntry,
  Producer,
} from 'kafkajs';
import kafkajs from 'kafkajs';
import { BusError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type {
  Bus,
  BusBatch,
  BusCapabilities,
  BusMessage,
  Consumer,
  ConsumerOptions,
  OutgoingMessage,
  Position,
} from '../bus.js';

const { Kafka, Partitioners, logLevel } = kafkajs;

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** Group session timeout (default 10 000 ms); a crashed member's partitions move after it. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval (default 1 000 ms). */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data (default 100 ms: low latency over fewer requests). */
  maxWaitTimeInMs?: number;
  /** Idempotent producer (default false: librdkafka's mock cluster cannot serve it, see above). */
  idempotent?: boolean;
}

const DEFAULT_MAX_BATCH = 500;
/** Messages per produce request, so one huge publish does not become one huge request. */
const SEND_CHUNK = 1_000;
const HEALTH_TIMEOUT_MS = 5_000;
export const DECODE_ERROR_HEADER = 'crimepulse-decode-error';

function kafkaLogCreator(log: Logger) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, ...extra } = entry;
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  let value: unknown = null;
  if (m.value !== null) {
    const text = m.value.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (err) {
      value = text;
      headers[DECODE_ERROR_HEADER] = (err as Error).message;
    }
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null ? '' : m.key.toString('utf8'),
    value,
    headers,
    timestamp: Number(m.timestamp),
  };
}

export function createKafkaBus(opts: KafkaBusOptions): Bus {
  const log = opts.log.child({ component: 'kafka-bus' });
  const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
  const heartbeatInterval = opts.heartbeatIntervalMs ?? 1_000;
  const maxWaitTimeInMs = opts.maxWaitTimeInMs ?? 100;
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log),
    retry: { retries: 5 },
  });
  const capabilities: BusCapabilities = { seek: true, retention: true, durable: true };
  let closed = false;
  const consumers = new Set<Consumer>();

  // Producer and admin connect on first use and are shared by the whole bus.
  let producerP: Promise<Producer> | undefined;
  let adminP: Promise<Admin> | undefined;
  const getProducer = () => {
    producerP ??= (async () => {
      const p = kafka.producer({
        idempotent: opts.idempotent ?? false,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await p.connect();
      return p;
    })().catch((err) => {
      producerP = undefined;
      throw new BusError(
        'CP_ERR_BUS_UNAVAILABLE',
        `cannot connect the Kafka producer: ${(err as Error).message}`,
        { cause: err },
      );
    });
    return producerP;
  };
  const getAdmin = () => {
    adminP ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((err) => {
      adminP = undefined;
      throw new BusError(
        'CP_ERR_BUS_UNAVAILABLE',
        `cannot connect the Kafka admin client: ${(err as Error).message}`,
        { cause: err },
      );
    });
    return adminP;
  };

  function assertOpen(): void {
    if (closed) throw new BusError('CP_ERR_BUS_CLOSED');
  }

  async function publish(topic: string, messages: OutgoingMessage[], signal?: AbortSignal): Promise<void> {
    assertOpen();
    signal?.throwIfAborted();
    if (messages.length === 0) return;
    const producer = await getProducer();
    for (let i = 0; i < messages.length; i += SEND_CHUNK) {
      signal?.throwIfAborted();
      const chunk = messages.slice(i, i + SEND_CHUNK);
      try {
        await producer.send({
          topic,
          acks: -1,
          messages: chunk.map((m) => ({
            key: m.key,
            value: JSON.stringify(m.value ?? null),
            ...(m.headers ? { headers: m.headers } : {}),
          })),
        });
      } catch (err) {
        throw new BusError(
          'CP_ERR_BUS_UNAVAILABLE',
          `publish to ${topic} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }

  async function consumer(options: ConsumerOptions): Promise<Consumer> {
    assertOpen();
    const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    const kc: KafkaConsumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout,
      heartbeatInterval,
      rebalanceTimeout: Math.max(sessionTimeout, 10_000),
      maxWaitTimeInMs,
    });
    const clog = log.child({ groupId: options.groupId });
    // startAt: applied the first time each partition is assigned to this consumer.
    const pendingSeeks = new Map<string, string>();
    for (const p of options.startAt ?? []) pendingSeeks.set(`${p.topic}/${p.partition}`, p.offset);
    /** Seeks issued but possibly not yet effective: messages below them are dropped. */
    const seekFloors = new Map<string, bigint>();
    kc.on(kc.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      clog.debug({ assignment }, 'partitions assigned');
      for (const [topic, partitions] of Object.entries(assignment)) {
        for (const partition of partitions) {
          const key = `${topic}/${partition}`;
          const offset = pendingSeeks.get(key);
          if (offset === undefined) continue;
          pendingSeeks.delete(key);
          seekFloors.set(key, BigInt(offset));
          kc.seek({ topic, partition, offset });
        }
      }
    });

    try {
      await kc.connect();
      for (const topic of options.topics)
        await kc.subscribe({ topic, fromBeginning: options.fromBeginning ?? true });
    } catch (err) {
      await kc.disconnect().catch(() => {});
      throw new BusError(
        'CP_ERR_BUS_UNAVAILABLE',
        `cannot start Kafka consumer ${options.groupId}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }

    // Single-slot hand-over between kafkajs' eachBatch (producer side) and the batches() loop.
    interface Slot {
      batch: BusBatch;
      /** true: the loop asked for the next batch (this one is processed); false: give up. */
      release: (taken: boolean) => void;
    }
    let slot: Slot | undefined;
    let slotWaiter: (() => void) | undefined;
    let consumerClosed = false;
    let running = false;
    /** Set when kafkajs gives up on the consumer (a crash it will not restart from). */
    let crashed: Error | undefined;
    kc.on(kc.events.CRASH, (e) => {
      clog.warn({ err: e.payload.error, restart: e.payload.restart }, 'Kafka consumer crashed');
      if (!e.payload.restart && !consumerClosed) {
        crashed = e.payload.error;
        notify();
      }
    });

    const notify = () => {
      const w = slotWaiter;
      slotWaiter = undefined;
      w?.();
    };

    async function handOver(
      batch: BusBatch,
      heartbeat: () => Promise<void>,
      stale: () => boolean,
    ): Promise<boolean> {
      let released: boolean | undefined;
      let onRelease: (() => void) | undefined;
      slot = {
        batch,
        release: (taken) => {
          released = taken;
          onRelease?.();
        },
      };
      notify();
      while (released === undefined) {
        // Keep the membership alive while the loop works on the batch.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, heartbeatInterval);
          onRelease = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (released === undefined) {
          if (consumerClosed || stale()) {
            if (slot?.batch === batch) slot = undefined;
            return false;
          }
          await heartbeat().catch(() => {});
        }
      }
      return released;
    }

    async function eachBatch(payload: EachBatchPayload): Promise<void> {
      const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
      const key = `${batch.topic}/${batch.partition}`;
      let messages = batch.messages;
      const floor = seekFloors.get(key);
      if (floor !== undefined) {
        messages = messages.filter((m) => BigInt(m.offset) >= floor);
        if (messages.length > 0) seekFloors.delete(key);
      }
      for (let i = 0; i < messages.length; i += maxBatch) {
        if (consumerClosed || !isRunning() || isStale()) return;
        const chunk = messages.slice(i, i + maxBatch);
        const taken = await handOver(
          {
            topic: batch.topic,
            partition: batch.partition,
            messages: chunk.map((m) => toBusMessage(batch.topic, batch.partition, m)),
          },
          heartbeat,
          isStale,
        );
        // Not taken: leave the offset unresolved so kafkajs fetches these messages again.
        if (!taken) return;
        resolveOffset((chunk[chunk.length - 1] as KafkaMessage).offset);
      }
      if (messages.length === 0 && batch.messages.length > 0) {
        // Everything was below the seek floor: move on past it.
        resolveOffset((batch.messages[batch.messages.length - 1] as KafkaMessage).offset);
      }
    }

    async function* batches(signal?: AbortSignal): AsyncIterable<BusBatch> {
      if (!running) {
        running = true;
        await kc.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
      }
      const onAbort = () => notify();
      signal?.addEventListener('abort', onAbort, { once: true });
      let current: Slot | undefined;
      try {
        while (!consumerClosed && !closed && !signal?.aborted) {
          if (crashed) {
            throw new BusError(
              'CP_ERR_BUS_UNAVAILABLE',
              `Kafka consumer ${options.groupId} stopped: ${crashed.message}`,
              {
                cause: crashed,
              },
            );
          }
          if (!slot) {
            await new Promise<void>((resolve) => {
              slotWaiter = resolve;
            });
            continue;
          }
          current = slot;
          slot = undefined;
          yield current.batch;
          // The loop came back for more: the batch is done.
          current.release(true);
          current = undefined;
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        // Left mid-batch (break, throw, abort): the batch counts as not processed.
        current?.release(false);
      }
    }

    async function commit(positions: Position[]): Promise<void> {
      if (positions.length === 0) return;
      try {
        await kc.commitOffsets(
          positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })),
        );
      } catch (err) {
        throw new BusError(
          'CP_ERR_BUS_UNAVAILABLE',
          `commit for group ${options.groupId} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }

    async function lag(): Promise<Record<string, number>> {
      const admin = await getAdmin();
      const out: Record<string, number> = {};
      const committed = await admin.fetchOffsets({ groupId: options.groupId, topics: options.topics });
      for (const { topic, partitions } of committed) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const end of ends) {
          const c = partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          const from = BigInt(c) >= 0n ? BigInt(c) : BigInt(end.low);
          out[`${topic}/${end.partition}`] = Number(BigInt(end.high) - from);
        }
      }
      return out;
    }

    const handle: Consumer = {
      batches,
      commit,
      lag,
      async close() {
        if (consumerClosed) return;
        consumerClosed = true;
        consumers.delete(handle);
        slot?.release(false);
        slot = undefined;
        notify();
        await kc.disconnect().catch((err) => clog.warn({ err }, 'consumer disconnect failed'));
      },
    };
    consumers.add(handle);
    return handle;
  }

  async function healthy(): Promise<boolean> {
    if (closed) return false;
    // Bounded: kafkajs retries an unreachable cluster for a long time, and `/ready` must answer.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), HEALTH_TIMEOUT_MS);
    });
    const probe = (async () => {
      const admin = await getAdmin();
      await admin.describeCluster();
      return true;
    })().catch(() => false);
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    kind: 'kafka',
    capabilities,
    publish,
    consumer,
    healthy,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((c) => c.close()));
      const [p, a] = [producerP, adminP];
      producerP = undefined;
      adminP = undefined;
      await Promise.all([
        p?.then((x) => x.disconnect()).catch(() => {}),
        a?.then((x) => x.disconnect()).catch(() => {}),
      ]);
    },
  };
}
