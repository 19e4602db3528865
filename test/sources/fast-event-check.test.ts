import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CrimeEvent } from '../../src/core/crime-event.js';
import { FULL_CHECK_EVERY, fastEventCheck, fullCheckDue } from '../../src/sources/fast-event-check.js';
import { readRecordedRows } from '../../src/sources/recorded-file.js';
import { loadRegistry } from '../../src/sources/registry.js';
import { finish } from '../../src/sources/us-event.js';

// Real events: the first rows of every shipped sample, through every registered normaliser.
const events: CrimeEvent[] = [];

beforeAll(async () => {
  const entries = await loadRegistry({
    config: { sources: {}, samplesDir: 'samples', socrataAppToken: undefined, userAgent: 'test' } as never,
  });
  const ctx = { ingestedAt: '2026-01-01T00:00:00.000Z' };
  for (const entry of entries) {
    for (const sample of entry.samples.slice(0, 2)) {
      const rows = (await readRecordedRows(sample.path, sample.read)).slice(0, 1500);
      for (const r of entry.normaliser.normaliseRows(rows, ctx)) if (r.ok) events.push(r.event);
    }
  }
}, 60_000);

describe('fastEventCheck', () => {
  it('vouches for the real events of every source, and zod returns each of them unchanged', () => {
    expect(new Set(events.map((e) => e.source)).size).toBeGreaterThanOrEqual(7);
    for (const e of events) {
      expect(fastEventCheck(e as unknown as Record<string, unknown>), e.id).toBe(true);
      const parsed = CrimeEvent.safeParse(e);
      expect(parsed.success, e.id).toBe(true);
      expect(parsed.data).toEqual(e);
    }
  });

  it('is sound: whatever it accepts, zod accepts (real events with one field broken)', () => {
    const keys = Object.keys(CrimeEvent.shape);
    const tricky = fc.oneof(
      fc.constantFrom(
        undefined,
        null,
        '',
        'x',
        ' ',
        'a'.repeat(101),
        'a'.repeat(201),
        'a'.repeat(301),
        'a'.repeat(481),
        'a'.repeat(513),
        'Chicago',
        'UK_police',
        '2020-02-30T00:00:00.000Z',
        '2019-02-29T00:00:00.000Z',
        '2020-02-29T00:00:00.000Z',
        '2020-01-01T24:00:00.000Z',
        '2020-01-01T00:00:00Z',
        '2020-01-01T00:00:00.000+01:00',
        '+020000-01-01T00:00:00.000Z',
        '2020-13-01T00:00:00.000Z',
        'theft',
        'violence',
        'month-only',
        'ok',
        'minute',
        Number.NaN,
        Number.POSITIVE_INFINITY,
        -90,
        90,
        90.000001,
        -180.5,
        0,
        [],
        ['month-only'],
        ['month-only', 'later'],
        {},
        { a: 'b' },
        { a: 1 },
        { a: undefined },
        [1],
        new Date(0),
      ),
      fc.string(),
      fc.double(),
      fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: events.length - 1 }),
        fc.constantFrom(...keys, 'extra', 'id'),
        tricky,
        fc.boolean(),
        (i, key, value, remove) => {
          const e: Record<string, unknown> = { ...(events[i] as CrimeEvent) };
          if (remove) delete e[key];
          else e[key] = value;
          if (fastEventCheck(e)) expect(CrimeEvent.safeParse(e).success).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('refuses a mismatched id and unknown keys, as the schema does', () => {
    const e = { ...(events[0] as CrimeEvent) };
    expect(fastEventCheck({ ...e, id: `${e.id}x` })).toBe(false);
    expect(fastEventCheck({ ...e, nope: 1 })).toBe(false);
    const { timeFlags: _t, ...noFlags } = e;
    // zod would fill the default; the fast path insists on the field so the event is unchanged.
    expect(fastEventCheck(noFlags)).toBe(false);
  });

  it('sends one row in FULL_CHECK_EVERY to zod', () => {
    let due = 0;
    for (let i = 0; i < FULL_CHECK_EVERY * 3; i++) if (fullCheckDue()) due++;
    expect(due).toBe(3);
  });
});

describe('finish (us-event)', () => {
  it('still rejects a contract breach with zod’s message', () => {
    const e = { ...(events.find((x) => x.source === 'chicago') as CrimeEvent), sourceType: 'x'.repeat(301) };
    const r = finish(e, { row: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^contract: sourceType /);
  });

  it('accepts a valid event as is', () => {
    const e = events.find((x) => x.source === 'la') as CrimeEvent;
    const r = finish({ ...e }, {});
    expect(r).toEqual({ ok: true, event: e });
  });
});
