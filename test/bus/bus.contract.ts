/**
 * The Bus contract (src/bus/bus.ts): one suite, run by every implementation's test file. Each test
 * uses a fresh topic and group (Kafka has no DeleteTopics on the mock cluster), and closes what it
 * opens. Waits are bounded by `timeoutMs` only to turn a hang into a clear failure.
 */
import { describe, expect, it, type TestContext } from 'vitest';
import type { Bus, BusMessage, Consumer, ConsumerOptions, Position } from '../../src/bus/index.js';
import { BusError } from '../../src/core/errors.js';

export interface BusContractOptions {
  /** Partitions a new topic gets (in-process: what makeBus passes; Kafka mock: 4). */
  partitions: number;
  /** Longest wait for a batch, group joins included (Kafka mock: first join ≈3 s). */
  timeoutMs: number;
  /** The bus honours `bufferSize` (in-process): publish waits while a group's backlog is full. */
  boundedBuffer: boolean;
  /** Run the tests concurrently (Kafka: most of the time is the mock's group-join delays). */
  concurrent?: boolean;
}

export interface MakeBusOptions {
  partitions?: number;
  bufferSize?: number;
}

let seq = 0;
/** A name no earlier test (or run against the same mock cluster) used. */
export function fresh(prefix: string): string {
  seq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq}`;
}

/** The position after a batch: what a consumer commits once the batch is processed. */
export function after(messages: BusMessage[]): Position {
  const last = messages[messages.length - 1] as BusMessage;
  return { topic: last.topic, partition: last.partition, offset: (BigInt(last.offset) + 1n).toString() };
}

/** Reads until `want` messages arrived (optionally committing each batch), or fails after `timeoutMs`. */
export async function drain(
  consumer: Consumer,
  want: number,
  opts: { timeoutMs: number; commit?: boolean },
): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  if (want === 0) return got;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
  try {
    for await (const batch of consumer.batches(ac.signal)) {
      got.push(...batch.messages);
      if (opts.commit) await consumer.commit([after(batch.messages)]);
      if (got.length >= want) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (got.length < want)
    throw new Error(`received ${got.length} of ${want} messages within ${opts.timeoutMs} ms`);
  return got;
}

const byKey = (messages: BusMessage[]) => {
  const out = new Map<string, BusMessage[]>();
  for (const m of messages) out.set(m.key, [...(out.get(m.key) ?? []), m]);
  return out;
};

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

export function busContract(
  name: string,
  makeBus: (opts?: MakeBusOptions) => Bus | Promise<Bus>,
  opts: BusContractOptions,
): void {
  (opts.concurrent ? describe.concurrent : describe)(`Bus contract: ${name}`, () => {
    // Each test closes what it opened when it finishes (the context's hook works for concurrent tests).
    const scope = ({ onTestFinished }: TestContext) => {
      const track = <T extends { close(): Promise<void> }>(x: T): T => {
        onTestFinished(() => x.close());
        return x;
      };
      return {
        newBus: async (o?: MakeBusOptions) => track(await makeBus({ partitions: opts.partitions, ...o })),
        newConsumer: async (bus: Bus, o: ConsumerOptions) => track(await bus.consumer(o)),
      };
    };

    it('delivers each key in publish order, each key from one partition', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('order');
      const keys = ['a', 'b', 'c', 'd', 'e'];
      let n = 0;
      for (let round = 0; round < 3; round++) {
        await bus.publish(
          topic,
          Array.from({ length: 40 }, (_, i) => ({
            key: keys[i % keys.length] as string,
            value: { seq: n++, round },
          })),
        );
      }
      const c = await newConsumer(bus, { groupId: fresh('g'), topics: [topic] });
      const got = await drain(c, 120, { timeoutMs: opts.timeoutMs });
      expect(got).toHaveLength(120);
      for (const [key, ms] of byKey(got)) {
        expect(new Set(ms.map((m) => m.partition)).size, `key ${key} in one partition`).toBe(1);
        const seqs = ms.map((m) => (m.value as { seq: number }).seq);
        expect(seqs, `key ${key} in order`).toEqual([...seqs].sort((x, y) => x - y));
        expect(seqs).toHaveLength(24);
      }
      // Offsets are dense and increasing within each partition.
      const perPartition = new Map<number, number[]>();
      for (const m of got)
        perPartition.set(m.partition, [...(perPartition.get(m.partition) ?? []), Number(m.offset)]);
      for (const offsets of perPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => i));
      expect(got[0]?.headers).toEqual({});
      expect(typeof got[0]?.timestamp).toBe('number');
    });

    it('carries values and headers unchanged', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('values');
      const value = {
        id: 'x:1',
        n: 1.5,
        nested: { list: [1, 'two', null], ok: true },
        text: 'Čáry — "quoted"',
      };
      await bus.publish(topic, [
        { key: 'k', value, headers: { 'content-type': 'application/json', source: 'chicago' } },
      ]);
      const c = await newConsumer(bus, { groupId: fresh('g'), topics: [topic] });
      const [m] = await drain(c, 1, { timeoutMs: opts.timeoutMs });
      expect(m?.value).toEqual(value);
      expect(m?.key).toBe('k');
      expect(m?.headers).toEqual({ 'content-type': 'application/json', source: 'chicago' });
    });

    it('gives every group every message', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('groups');
      const c1 = await newConsumer(bus, { groupId: fresh('g1'), topics: [topic] });
      const c2 = await newConsumer(bus, { groupId: fresh('g2'), topics: [topic] });
      await bus.publish(
        topic,
        Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 7}`, value: i })),
      );
      const [g1, g2] = await Promise.all([
        drain(c1, 30, { timeoutMs: opts.timeoutMs, commit: true }),
        drain(c2, 30, { timeoutMs: opts.timeoutMs, commit: true }),
      ]);
      const all = Array.from({ length: 30 }, (_, i) => i);
      expect(g1.map((m) => m.value).sort((a, b) => (a as number) - (b as number))).toEqual(all);
      expect(g2.map((m) => m.value).sort((a, b) => (a as number) - (b as number))).toEqual(all);
    });

    it('resumes a group after its committed position: no loss, repeats only what was not committed', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('resume');
      const groupId = fresh('g');
      const all = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 6}`, value: i }));
      await bus.publish(topic, all);

      const first = await newConsumer(bus, { groupId, topics: [topic], maxBatchSize: 5 });
      const committed = new Map<number, number>();
      const processed: BusMessage[] = [];
      let uncommitted: BusMessage[] = [];
      let batches = 0;
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
      for await (const batch of first.batches(ac.signal)) {
        batches++;
        expect(batch.messages.length).toBeLessThanOrEqual(5);
        if (batches <= 2) {
          processed.push(...batch.messages);
          const pos = after(batch.messages);
          await first.commit([pos]);
          committed.set(pos.partition, Number(pos.offset));
        } else {
          // Seen, never committed: must come again.
          uncommitted = batch.messages;
          break;
        }
      }
      clearTimeout(timer);
      expect(batches).toBe(3);
      await first.close();

      const startOf = (p: number) => committed.get(p) ?? 0;
      const remaining = all.length - [...committed.values()].reduce((a, b) => a + b, 0);
      const second = await newConsumer(bus, { groupId, topics: [topic] });
      const rest = await drain(second, remaining, { timeoutMs: opts.timeoutMs });
      expect(rest).toHaveLength(remaining);
      for (const m of rest) expect(Number(m.offset)).toBeGreaterThanOrEqual(startOf(m.partition));
      // Union covers everything; nothing committed came back; what was only seen came back.
      const seen = new Set([...processed, ...rest].map((m) => m.value as number));
      expect(seen.size).toBe(all.length);
      const again = new Set(rest.map((m) => m.value));
      for (const m of processed) expect(again.has(m.value)).toBe(false);
      for (const m of uncommitted) expect(again.has(m.value)).toBe(true);
    });

    it('reports lag per partition and lag 0 once everything is committed', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('lag');
      const c = await newConsumer(bus, { groupId: fresh('g'), topics: [topic] });
      await bus.publish(
        topic,
        Array.from({ length: 25 }, (_, i) => ({ key: `k${i % 9}`, value: i })),
      );
      const before = await c.lag();
      expect(sum(before)).toBe(25);
      for (const k of Object.keys(before)) expect(k.startsWith(`${topic}/`)).toBe(true);
      await drain(c, 25, { timeoutMs: opts.timeoutMs, commit: true });
      const afterCommit = await c.lag();
      expect(Object.keys(afterCommit).length).toBe(opts.partitions);
      expect(Object.values(afterCommit).every((v) => v === 0)).toBe(true);
    });

    it('spreads many keys over the partitions and keeps each key in order', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('spread');
      const keys = Array.from({ length: 200 }, (_, i) => `chicago:area-${i}`);
      for (let round = 0; round < 3; round++)
        await bus.publish(
          topic,
          keys.map((key) => ({ key, value: { round } })),
        );
      const c = await newConsumer(bus, { groupId: fresh('g'), topics: [topic], maxBatchSize: 100 });
      const got = await drain(c, 600, { timeoutMs: opts.timeoutMs, commit: true });
      const grouped = byKey(got);
      expect(grouped.size).toBe(200);
      for (const ms of grouped.values()) {
        expect(ms.map((m) => (m.value as { round: number }).round)).toEqual([0, 1, 2]);
        expect(new Set(ms.map((m) => m.partition)).size).toBe(1);
      }
      expect(new Set(got.map((m) => m.partition)).size).toBe(opts.partitions);
    });

    it.runIf(opts.boundedBuffer)(
      'makes publish wait while the buffer is full, until the group reads and commits',
      async (ctx) => {
        const { newBus, newConsumer } = scope(ctx);
        const bus = await newBus({ bufferSize: 10 });
        const topic = fresh('backpressure');
        const c = await newConsumer(bus, { groupId: fresh('g'), topics: [topic], maxBatchSize: 4 });
        await bus.publish(
          topic,
          Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: i })),
        );
        let settled = false;
        const pending = bus.publish(topic, [{ key: 'k', value: 10 }]).then(() => {
          settled = true;
        });
        // Let every queued callback run: a publish with room would have resolved by now.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        expect(settled).toBe(false);
        expect(sum(await c.lag())).toBe(10);
        // Reading alone keeps the messages (they may be redelivered); committing the batch frees room.
        const it = c.batches()[Symbol.asyncIterator]();
        const first = await it.next();
        expect(first.value?.messages.map((m: BusMessage) => m.value)).toEqual([0, 1, 2, 3]);
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        expect(settled).toBe(false);
        await c.commit([after(first.value?.messages ?? [])]);
        await pending;
        expect(settled).toBe(true);
        expect(sum(await c.lag())).toBe(7);
        await it.return?.();
        // A publish far larger than the buffer completes while a consumer drains it, in order.
        const big = Array.from({ length: 95 }, (_, i) => ({ key: 'k', value: 11 + i }));
        const [, rest] = await Promise.all([
          bus.publish(topic, big),
          drain(c, 102, { timeoutMs: opts.timeoutMs, commit: true }),
        ]);
        expect(rest.map((m) => m.value)).toEqual(Array.from({ length: 102 }, (_, i) => i + 4));
        // A publish waiting for room gives up when its signal aborts.
        await bus.publish(
          topic,
          Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: i })),
        );
        const ac = new AbortController();
        const blocked = bus.publish(topic, [{ key: 'k', value: 'late' }], ac.signal);
        ac.abort(new Error('stop waiting'));
        await expect(blocked).rejects.toThrow('stop waiting');
      },
    );

    it('rejects use after close', async () => {
      const bus = await makeBus({ partitions: opts.partitions });
      await bus.close();
      expect(await bus.healthy()).toBe(false);
      await expect(bus.publish(fresh('closed'), [{ key: 'k', value: 1 }])).rejects.toMatchObject({
        code: 'CP_ERR_BUS_CLOSED',
      });
    });

    it('starts from startAt positions, over the committed ones, where the bus can seek', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      const topic = fresh('seek');
      if (!bus.capabilities.seek) {
        const err = await bus
          .consumer({ groupId: fresh('g'), topics: [topic], startAt: [{ topic, partition: 0, offset: '0' }] })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BusError);
        expect((err as BusError).code).toBe('CP_ERR_BUS_UNSUPPORTED');
        return;
      }
      const groupId = fresh('g');
      await bus.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: 'one-key', value: i })),
      );
      const first = await bus.consumer({ groupId, topics: [topic] });
      const all = await drain(first, 20, { timeoutMs: opts.timeoutMs, commit: true });
      await first.close();
      const partition = (all[0] as BusMessage).partition;
      expect(sum(await (await newConsumer(bus, { groupId: fresh('probe'), topics: [topic] })).lag())).toBe(
        20,
      );
      // The group committed 20; DuckDB says 5 was the last stored position: startAt wins.
      const second = await newConsumer(bus, {
        groupId,
        topics: [topic],
        startAt: [{ topic, partition, offset: '5' }],
      });
      const again = await drain(second, 15, { timeoutMs: opts.timeoutMs });
      expect(again.map((m) => Number(m.offset))).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
      expect(again.map((m) => m.value)).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
    });

    it('keeps messages for a group created after they were consumed, where the bus retains', async (ctx) => {
      const { newBus, newConsumer } = scope(ctx);
      const bus = await newBus();
      if (!bus.capabilities.retention) return;
      const topic = fresh('retain');
      await bus.publish(
        topic,
        Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 3}`, value: i })),
      );
      const a = await newConsumer(bus, { groupId: fresh('ga'), topics: [topic] });
      await drain(a, 12, { timeoutMs: opts.timeoutMs, commit: true });
      const b = await newConsumer(bus, { groupId: fresh('gb'), topics: [topic] });
      const got = await drain(b, 12, { timeoutMs: opts.timeoutMs });
      expect(got.map((m) => m.value).sort((x, y) => (x as number) - (y as number))).toEqual(
        Array.from({ length: 12 }, (_, i) => i),
      );
    });
  });
}
