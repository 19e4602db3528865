import { describe, expect, it } from 'vitest';
import { createBus, createInProcessBus, partitionForKey } from '../../src/bus/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { after, busContract, drain, fresh } from './bus.contract.js';

busContract('in-process', (o) => createInProcessBus(o), {
  partitions: 4,
  timeoutMs: 5_000,
  boundedBuffer: true,
});
busContract('in-process, 1 partition', (o) => createInProcessBus({ ...o, partitions: 1 }), {
  partitions: 1,
  timeoutMs: 5_000,
  boundedBuffer: true,
});

describe('in-process bus', () => {
  it('declares what it cannot do', () => {
    expect(createInProcessBus().capabilities).toEqual({ seek: false, retention: false, durable: false });
  });

  it("splits partitions among the members of a group and hands a closed member's uncommitted messages on", async () => {
    const bus = createInProcessBus({ partitions: 4 });
    const topic = fresh('members');
    const groupId = fresh('g');
    const a = await bus.consumer({ groupId, topics: [topic] });
    const b = await bus.consumer({ groupId, topics: [topic] });
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    await bus.publish(
      topic,
      keys.map((key, i) => ({ key, value: i })),
    );
    const expectedPartitions = new Set(keys.map((k) => partitionForKey(k, 4)));
    expect(expectedPartitions.size).toBe(4);
    // Each member reads its half; together they see everything exactly once.
    const perMember = async (c: typeof a) => {
      const got = [];
      const ac = new AbortController();
      const seen = c.batches(ac.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 2; i++) {
        const r = await seen.next();
        if (r.value) got.push(...r.value.messages);
      }
      await seen.return?.();
      return got;
    };
    const gotA = await perMember(a);
    const gotB = await perMember(b);
    const partsA = new Set(gotA.map((m) => m.partition));
    const partsB = new Set(gotB.map((m) => m.partition));
    expect(partsA.size).toBe(2);
    expect(partsB.size).toBe(2);
    expect([...partsA].some((p) => partsB.has(p))).toBe(false);
    expect(gotA.length + gotB.length).toBe(40);
    // a commits what it read, b commits nothing and leaves: a now owns all four partitions and gets b's share again.
    const byPartition = new Map<number, typeof gotA>();
    for (const m of gotA) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    await a.commit([...byPartition.values()].map((ms) => after(ms)));
    await b.close();
    const again = await drain(a, gotB.length, { timeoutMs: 5_000, commit: true });
    expect(again.map((m) => m.value).sort()).toEqual(gotB.map((m) => m.value).sort());
    expect(Object.values(await a.lag()).every((v) => v === 0)).toBe(true);
    await a.close();
    await bus.close();
  });

  it('gives a member only the partitions of the topics it subscribed to', async () => {
    const bus = createInProcessBus({ partitions: 2 });
    const [t1, t2] = [fresh('t1'), fresh('t2')];
    const groupId = fresh('g');
    const only1 = await bus.consumer({ groupId, topics: [t1] });
    const both = await bus.consumer({ groupId, topics: [t1, t2] });
    await bus.publish(t2, [{ key: 'x', value: 'for-both' }]);
    expect((await drain(both, 1, { timeoutMs: 5_000, commit: true })).map((m) => m.topic)).toEqual([t2]);
    expect(Object.keys(await only1.lag()).sort()).toEqual([`${t1}/0`, `${t1}/1`]);
    await bus.close();
  });

  it('starts a group at the end when fromBeginning is false', async () => {
    const bus = createInProcessBus();
    const topic = fresh('latest');
    const early = await bus.consumer({ groupId: fresh('early'), topics: [topic] });
    await bus.publish(topic, [{ key: 'k', value: 'old' }]);
    const late = await bus.consumer({ groupId: fresh('late'), topics: [topic], fromBeginning: false });
    await bus.publish(topic, [{ key: 'k', value: 'new' }]);
    expect((await drain(late, 1, { timeoutMs: 5_000 })).map((m) => m.value)).toEqual(['new']);
    expect((await drain(early, 2, { timeoutMs: 5_000 })).map((m) => m.value)).toEqual(['old', 'new']);
    await bus.close();
  });

  it('refuses commits past the end and ends batches() when the bus closes', async () => {
    const bus = createInProcessBus();
    const topic = fresh('edges');
    const c = await bus.consumer({ groupId: fresh('g'), topics: [topic] });
    await expect(c.commit([{ topic, partition: 0, offset: '5' }])).rejects.toMatchObject({
      code: 'CP_ERR_BUS_UNSUPPORTED',
    });
    const loop = (async () => {
      let n = 0;
      for await (const _ of c.batches()) n++;
      return n;
    })();
    await bus.close();
    expect(await loop).toBe(0);
  });

  it('is chosen by createBus when no Kafka brokers are configured', async () => {
    const bus = createBus({}, silentLogger);
    expect(bus.kind).toBe('in-process');
    const kafka = createBus({ kafkaBrokers: ['127.0.0.1:1'] }, silentLogger);
    expect(kafka.kind).toBe('kafka');
    await Promise.all([bus.close(), kafka.close()]);
  });
});
