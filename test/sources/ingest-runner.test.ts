import { describe, expect, it } from 'vitest';
import { createInProcessBus, TOPICS } from '../../src/bus/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { chooseMode, runIngest, type SourceEntry } from '../../src/sources/ingest-runner.js';
import { laNormaliser } from '../../src/sources/la/normalise.js';
import type { Source } from '../../src/sources/source.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

const sample = { path: 'samples/la/la_crime_2020_sample874_portal_format.csv', batch: 'file' as const };

function entry(live?: Source<unknown>): SourceEntry {
  return {
    id: 'la',
    description: 'LA test',
    timeZone: 'America/Los_Angeles',
    expectedLagMs: 14 * 86_400_000,
    normaliser: laNormaliser,
    samples: [sample],
    ...(live ? { live: { source: live, config: {}, pollIntervalMs: 60_000 } } : {}),
  };
}

const probe = (ok: boolean | 'throw'): Source<unknown> =>
  ({
    check: async () => {
      if (ok === 'throw') throw new Error('getaddrinfo ENOTFOUND data.lacity.org');
      return { ok, message: ok ? 'answered' : 'HTTP 503' };
    },
  }) as unknown as Source<unknown>;

describe('chooseMode (auto mode)', () => {
  it('goes live where the portal answers and replays where it does not, saying why', async () => {
    expect((await chooseMode(entry(probe(true)), 'auto', 1000)).mode).toBe('live');
    const down = await chooseMode(entry(probe('throw')), 'auto', 1000);
    expect(down).toEqual({ mode: 'replay', reason: expect.stringContaining('ENOTFOUND') });
    expect((await chooseMode(entry(probe(false)), 'auto', 1000)).mode).toBe('replay');
    expect((await chooseMode(entry(probe(true)), 'replay', 1000)).reason).toContain('CRIMEPULSE_MODE=replay');
    expect((await chooseMode(entry(), 'live', 1000)).mode).toBe('replay');
  });
});

describe('runIngest in replay mode', () => {
  it('publishes every row of the recording with its cursor last, and reports the source', async () => {
    const bus = createInProcessBus();
    const consumer = await bus.consumer({ groupId: 'test', topics: [TOPICS.incidents] });
    const board = new SourceStatusBoard();
    const caughtUp: string[] = [];
    await runIngest({
      entries: [entry(probe('throw'))],
      bus,
      mode: 'auto',
      speed: Number.POSITIVE_INFINITY,
      backfillFraction: 0,
      cursors: {},
      board,
      log: silentLogger,
      signal: new AbortController().signal,
      onCaughtUp: (s) => caughtUp.push(s),
    });
    const values: { kind: string; cursor?: { emitted: number } }[] = [];
    const controller = new AbortController();
    for await (const batch of consumer.batches(controller.signal)) {
      for (const m of batch.messages) values.push(m.value as { kind: string });
      await consumer.commit([
        {
          topic: batch.topic,
          partition: batch.partition,
          offset: String(Number(batch.messages.at(-1)!.offset) + 1),
        },
      ]);
      if (values.length >= 875) controller.abort();
    }
    expect(values.filter((v) => v.kind === 'event')).toHaveLength(874);
    expect(values.at(-1)).toMatchObject({ kind: 'state', cursor: { emitted: 874 } });
    const view = board.get('la');
    expect(view).toMatchObject({ mode: 'replay', events: 874, rejected: 0, complete: true, stale: true });
    expect(caughtUp).toEqual(['la']);
    await consumer.close();
    await bus.close();
  });
});
