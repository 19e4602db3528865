import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdFilter } from '../../src/store/id-filter.js';

describe('IdFilter', () => {
  it('never forgets an id it was given (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }), { maxLength: 300 }),
        (ids) => {
          const f = new IdFilter(64);
          for (const id of ids) f.add(id);
          return ids.every((id) => f.mightContain(id));
        },
      ),
    );
  });

  it('rules out nearly all ids it was not given at its sized load', () => {
    const f = new IdFilter(100_000);
    for (let i = 0; i < 100_000; i++) f.add(`chicago:${10_000_000 + i}`);
    let maybe = 0;
    for (let i = 0; i < 100_000; i++) if (f.mightContain(`chicago:${20_000_000 + i}`)) maybe++;
    // Sized for about 1 in 15,000; allow a wide margin, but a broken hash would pass most ids.
    expect(maybe).toBeLessThan(50);
    expect(f.size).toBe(100_000);
  });
});
