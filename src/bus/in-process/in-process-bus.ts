/**
 * The in-process `Bus`: topics split into partitions (key hash → partition), consumer groups (every
 * group gets every message; inside a group the partitions are split among its members) and a bounded
 * buffer per topic. It keeps nothing on disk: when the process dies, what was not committed is read
 * again from the sources' cursors (ARCHITECTURE.md, "Topics and exactly-once"), not from a log.
 *
 * Hand-written because no maintained npm package offers partitioned consumer groups with commit and
 * redelivery in memory; the whole thing is a few arrays and promises.
 *
 * Buffer and backpressure: a message stays in memory until every known group has committed past it
 * (a group may still need it redelivered). `publish` waits for room when the oldest uncommitted
 * message of any group would leave more than `bufferSize` messages in the topic; a commit makes room.
 * Messages published before any group exists are kept (bounded the same way) for the first group.
 *
 * Redelivery: a group keeps one committed offset per partition; a member reads ahead of it. When a
 * member closes (or partitions move on a rebalance) the partition's next owner starts again at the
 * committed offset, so uncommitted messages are delivered again: at-least-once within the process.
 */

import { BusError, ConfigError } from '../../core/errors.js';
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

export interface InProcessBusOptions {
  /** Partitions per topic (default 1). */
  partitions?: number;
  /** Uncommitted messages a topic holds before `publish` waits (default 10 000). */
  bufferSize?: number;
}

const DEFAULT_BUFFER = 10_000;
const DEFAULT_MAX_BATCH = 500;

/**
 * FNV-1a (32 bit) of the key's UTF-16 code units: stable across runs and processes, which is all
 * partitioning needs here (the Kafka bus uses kafkajs' murmur2; the two never share partitions).
 */
export function partitionForKey(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

interface PartitionLog {
  /** Offset of `messages[start]`. */
  base: number;
  start: number;
  messages: BusMessage[];
  /** Next offset to be written. */
  head: number;
}

interface Topic {
  name: string;
  partitions: PartitionLog[];
}

interface Member {
  id: number;
  /** Topics this member subscribed to: it only gets their partitions. */
  topics: Set<string>;
  /** `topic/partition` → next offset this member reads. */
  fetch: Map<string, number>;
  wake: () => void;
}

interface Group {
  id: string;
  /** `topic/partition` → committed (next to read) offset. */
  committed: Map<string, number>;
  topics: Set<string>;
  members: Member[];
}

const tp = (topic: string, partition: number) => `${topic}/${partition}`;

export function createInProcessBus(opts: InProcessBusOptions = {}): Bus {
  const partitionCount = opts.partitions ?? 1;
  const bufferSize = opts.bufferSize ?? DEFAULT_BUFFER;
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      `partitions must be a positive integer, got ${partitionCount}`,
    );
  }
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new ConfigError(
      'CP_ERR_CONFIG_INVALID',
      `bufferSize must be a positive integer, got ${bufferSize}`,
    );
  }
  const topics = new Map<string, Topic>();
  const groups = new Map<string, Group>();
  /** Publishers waiting for room, woken on every commit or close. */
  let roomWaiters: Array<() => void> = [];
  let closed = false;
  let nextMemberId = 1;
  const capabilities: BusCapabilities = { seek: false, retention: false, durable: false };

  function topicOf(name: string): Topic {
    let t = topics.get(name);
    if (!t) {
      t = {
        name,
        partitions: Array.from({ length: partitionCount }, () => ({
          base: 0,
          start: 0,
          messages: [],
          head: 0,
        })),
      };
      topics.set(name, t);
    }
    return t;
  }

  /** The lowest offset some group (or, with no group yet, the future first group) still needs. */
  function floor(topic: Topic, partition: number): number {
    const log = topic.partitions[partition] as PartitionLog;
    let min = Number.POSITIVE_INFINITY;
    for (const g of groups.values()) {
      if (!g.topics.has(topic.name)) continue;
      min = Math.min(min, g.committed.get(tp(topic.name, partition)) ?? log.base + log.start);
    }
    return Number.isFinite(min) ? min : log.base + log.start;
  }

  function held(topic: Topic): number {
    let n = 0;
    for (let p = 0; p < topic.partitions.length; p++)
      n += (topic.partitions[p] as PartitionLog).head - floor(topic, p);
    return n;
  }

  /** Drops messages every group has committed (retention: none). */
  function trim(topic: Topic): void {
    for (let p = 0; p < topic.partitions.length; p++) {
      const log = topic.partitions[p] as PartitionLog;
      const keepFrom = floor(topic, p);
      const drop = keepFrom - (log.base + log.start);
      if (drop <= 0) continue;
      log.start += drop;
      // Compact now and then instead of shifting on every commit.
      if (log.start > 1024 && log.start * 2 > log.messages.length) {
        log.messages = log.messages.slice(log.start);
        log.base += log.start;
        log.start = 0;
      }
    }
  }

  function wakeRoom(): void {
    const waiters = roomWaiters;
    roomWaiters = [];
    for (const w of waiters) w();
  }

  function wakeGroups(topic: string): void {
    for (const g of groups.values()) if (g.topics.has(topic)) for (const m of g.members) m.wake();
  }

  function waitForRoom(topic: Topic, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => wakeRoom();
      const done = (err?: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const check = () => {
        if (closed) return done(new BusError('CP_ERR_BUS_CLOSED'));
        if (signal?.aborted) return done(signal.reason);
        if (held(topic) < bufferSize) return done();
        roomWaiters.push(check);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /** Round-robin split of each topic's partitions over the members that read it, in join order. */
  function rebalance(g: Group): void {
    const owned = new Map<number, Set<string>>();
    for (const m of g.members) owned.set(m.id, new Set());
    let i = 0;
    for (const name of g.topics) {
      const t = topicOf(name);
      const readers = g.members.filter((m) => m.topics.has(name));
      if (readers.length === 0) continue;
      for (let p = 0; p < t.partitions.length; p++) {
        const m = readers[i++ % readers.length] as Member;
        owned.get(m.id)?.add(tp(name, p));
      }
    }
    for (const m of g.members) {
      const mine = owned.get(m.id) as Set<string>;
      for (const key of [...m.fetch.keys()]) if (!mine.has(key)) m.fetch.delete(key);
      // A partition new to this member starts at the group's committed offset: redelivery.
      for (const key of mine) if (!m.fetch.has(key)) m.fetch.set(key, g.committed.get(key) ?? 0);
      m.wake();
    }
  }

  function assertOpen(): void {
    if (closed) throw new BusError('CP_ERR_BUS_CLOSED');
  }

  async function publish(
    topicName: string,
    messages: OutgoingMessage[],
    signal?: AbortSignal,
  ): Promise<void> {
    assertOpen();
    signal?.throwIfAborted();
    const topic = topicOf(topicName);
    for (const msg of messages) {
      if (held(topic) >= bufferSize) await waitForRoom(topic, signal);
      const partition = partitionForKey(msg.key, topic.partitions.length);
      const log = topic.partitions[partition] as PartitionLog;
      log.messages.push({
        topic: topicName,
        partition,
        offset: String(log.head),
        key: msg.key,
        value: msg.value,
        headers: msg.headers ?? {},
        timestamp: Date.now(),
      });
      log.head++;
      wakeGroups(topicName);
    }
  }

  async function consumer(options: ConsumerOptions): Promise<Consumer> {
    assertOpen();
    if (options.startAt && options.startAt.length > 0) {
      throw new BusError(
        'CP_ERR_BUS_UNSUPPORTED',
        'the in-process bus cannot seek: start positions come from the sources',
      );
    }
    const maxBatch = options.maxBatchSize ?? DEFAULT_MAX_BATCH;
    let g = groups.get(options.groupId);
    if (!g) {
      g = { id: options.groupId, committed: new Map(), topics: new Set(), members: [] };
      groups.set(options.groupId, g);
    }
    const group = g;
    for (const name of options.topics) {
      const t = topicOf(name);
      if (!group.topics.has(name)) {
        group.topics.add(name);
        for (let p = 0; p < t.partitions.length; p++) {
          const log = t.partitions[p] as PartitionLog;
          // Start of what is still held (earliest), or the end (latest).
          group.committed.set(tp(name, p), options.fromBeginning === false ? log.head : log.base + log.start);
        }
      }
    }
    let wakeUp: (() => void) | undefined;
    const member: Member = {
      id: nextMemberId++,
      topics: new Set(options.topics),
      fetch: new Map(),
      wake: () => {
        const w = wakeUp;
        wakeUp = undefined;
        w?.();
      },
    };
    group.members.push(member);
    rebalance(group);
    let memberClosed = false;
    let cursor = 0;

    /** The next batch from one owned partition with unread messages, rotating for fairness. */
    function take(): BusBatch | undefined {
      const keys = [...member.fetch.keys()];
      for (let i = 0; i < keys.length; i++) {
        const key = keys[(cursor + i) % keys.length] as string;
        const slash = key.lastIndexOf('/');
        const name = key.slice(0, slash);
        const partition = Number(key.slice(slash + 1));
        const log = topicOf(name).partitions[partition] as PartitionLog;
        const from = Math.max(member.fetch.get(key) as number, log.base + log.start);
        if (from >= log.head) continue;
        const to = Math.min(log.head, from + maxBatch);
        const idx = from - log.base;
        member.fetch.set(key, to);
        cursor = (cursor + i + 1) % keys.length;
        return { topic: name, partition, messages: log.messages.slice(idx, idx + (to - from)) };
      }
      return undefined;
    }

    async function* batches(signal?: AbortSignal): AsyncIterable<BusBatch> {
      const onAbort = () => member.wake();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        while (!memberClosed && !closed && !signal?.aborted) {
          const batch = take();
          if (batch) {
            yield batch;
            continue;
          }
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }

    async function commit(positions: Position[]): Promise<void> {
      assertOpen();
      const touched = new Set<string>();
      for (const pos of positions) {
        const key = tp(pos.topic, pos.partition);
        if (!group.committed.has(key)) {
          throw new BusError('CP_ERR_BUS_UNSUPPORTED', `group ${group.id} does not read ${key}`);
        }
        const offset = Number(pos.offset);
        const log = topicOf(pos.topic).partitions[pos.partition] as PartitionLog;
        if (!Number.isInteger(offset) || offset > log.head) {
          throw new BusError(
            'CP_ERR_BUS_UNSUPPORTED',
            `cannot commit ${key} at ${pos.offset}: head is ${log.head}`,
          );
        }
        // Commits only move forward: a late commit from a member that lost the partition must not
        // rewind the group (there is no seek on this bus).
        if (offset > (group.committed.get(key) as number)) group.committed.set(key, offset);
        touched.add(pos.topic);
      }
      for (const name of touched) trim(topicOf(name));
      wakeRoom();
    }

    async function lag(): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const name of member.topics) {
        const t = topicOf(name);
        t.partitions.forEach((log, p) => {
          out[tp(name, p)] = log.head - (group.committed.get(tp(name, p)) as number);
        });
      }
      return out;
    }

    async function close(): Promise<void> {
      if (memberClosed) return;
      memberClosed = true;
      group.members = group.members.filter((m) => m !== member);
      member.fetch.clear();
      member.wake();
      rebalance(group);
    }

    return { batches, commit, lag, close };
  }

  return {
    kind: 'in-process',
    capabilities,
    publish,
    consumer,
    healthy: async () => !closed,
    async close() {
      if (closed) return;
      closed = true;
      for (const g of groups.values()) for (const m of g.members) m.wake();
      wakeRoom();
    },
  };
}
