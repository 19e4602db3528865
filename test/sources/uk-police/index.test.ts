import { describe, expect, it } from 'vitest';
import { loadReplayItems } from '../../../src/sources/replay.js';
import { ukPoliceNormaliser, ukPoliceSamples } from '../../../src/sources/uk-police/index.js';

describe('ukPoliceSamples', () => {
  it('lists the 23 shipped months oldest first, one normaliser batch per file', () => {
    const files = ukPoliceSamples('samples');
    expect(files).toHaveLength(23);
    expect(files[0]?.path).toMatch(/2019-01-city-of-london-street\.csv\.gz$/);
    expect(files.at(-1)?.path).toMatch(/2020-11-city-of-london-street\.csv\.gz$/);
    expect(files.every((f) => f.batch === 'file')).toBe(true);
  });

  it('replays into 15,553 events with unique ids and no rejects', async () => {
    const items = await loadReplayItems({
      files: ukPoliceSamples('samples'),
      normaliser: ukPoliceNormaliser,
      now: () => new Date('2026-11-25T00:00:00Z'),
    });
    expect(items).toHaveLength(15_553);
    expect(items.filter((i) => !i.result.ok)).toHaveLength(0);
    expect(new Set(items.map((i) => (i.result.ok ? i.result.event.id : ''))).size).toBe(15_553);
  });
});
