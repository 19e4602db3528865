import { describe, expect, it } from 'vitest';
import { chicagoNormaliser } from '../../src/sources/chicago/normalise.js';
import { isStale, loadReplayItems, replayFiles } from '../../src/sources/replay.js';
import type { Cursor, SourceMessage } from '../../src/sources/source.js';

const FILE = {
  path: 'samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz',
  batch: 'file' as const,
};
const NOW = new Date('2026-11-25T12:00:00Z');

async function collect(opts: Partial<Parameters<typeof replayFiles>[0]> = {}) {
  const waits: number[] = [];
  const out: SourceMessage[] = [];
  for await (const m of replayFiles({
    source: 'chicago',
    files: [FILE],
    normaliser: chicagoNormaliser,
    speed: Number.POSITIVE_INFINITY,
    now: () => NOW,
    wait: async (ms) => void waits.push(ms),
    ...opts,
  }))
    out.push(m);
  return { out, waits };
}

const ids = (ms: SourceMessage[]) => ms.flatMap((m) => (m.kind === 'record' ? [m.event.id] : []));

describe('replayFiles on the real Chicago sample', () => {
  it('emits every row once, in event-time order, with cursors after the records they cover', async () => {
    const { out } = await collect();
    const records = out.filter((m) => m.kind === 'record');
    expect(records).toHaveLength(9999);
    expect(new Set(ids(out)).size).toBe(9999);
    const times = records.map((m) => (m.kind === 'record' ? m.event.occurredAt : ''));
    expect([...times].sort()).toEqual(times);
    let seen = 0;
    for (const m of out) {
      if (m.kind === 'record') seen++;
      if (m.kind === 'state') expect(m.cursor.emitted).toBe(seen);
    }
    const status = out.at(-1);
    expect(status?.kind).toBe('status');
  });

  it('resumes after a committed cursor with exactly the rest (no loss, no repeat)', async () => {
    const all = ids((await collect()).out);
    const first = await collect({ stateEvery: 700 });
    const states = first.out.filter(
      (m): m is Extract<SourceMessage, { kind: 'state' }> => m.kind === 'state',
    );
    const cursor: Cursor = states[5]!.cursor;
    const rest = ids((await collect({ cursor })).out);
    expect(rest).toEqual(all.slice(Number(cursor.emitted)));
  });

  it('paces by event-time gaps / speed, capped, after the backfill part, and says when history is in', async () => {
    let backfilledAfter = -1;
    let emitted = 0;
    const waits: number[] = [];
    for await (const m of replayFiles({
      source: 'chicago',
      files: [FILE],
      normaliser: chicagoNormaliser,
      speed: 60,
      backfillFraction: 0.5,
      maxGapMs: 1000,
      now: () => NOW,
      wait: async (ms) => void waits.push(ms),
      onBackfilled: () => {
        backfilledAfter = emitted;
      },
    })) {
      if (m.kind === 'record') emitted++;
      if (emitted > 5200) break;
    }
    expect(backfilledAfter).toBe(Math.floor(9999 * 0.5));
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
  });

  it('reports an old recording as stale, by its own newest record', async () => {
    const { out } = await collect({ expectedLagMs: 9 * 86_400_000 });
    const status = out.find((m) => m.kind === 'status');
    expect(status?.kind === 'status' && status.status.stale).toBe(true);
    expect(isStale('2026-11-24T00:00:00Z', 9 * 86_400_000, NOW)).toBe(false);
  });

  it('orders items deterministically, so the cursor names the same position on every run', async () => {
    const a = await loadReplayItems({ files: [FILE], normaliser: chicagoNormaliser, now: () => NOW });
    const b = await loadReplayItems({ files: [FILE], normaliser: chicagoNormaliser, now: () => NOW });
    expect(a.map((i) => (i.result.ok ? i.result.event.id : 'x'))).toEqual(
      b.map((i) => (i.result.ok ? i.result.event.id : 'x')),
    );
  });
});
