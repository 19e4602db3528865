import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  logGamma,
  midP,
  nbLogPmf,
  nbQuantile,
  nbTails,
  normalQuantile,
  normalUpper,
  POISSON_THETA,
} from '../../../src/model/count/stats.js';

describe('distribution helpers', () => {
  it('log-gamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 9);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 9);
  });

  it('Poisson limit: P(Y=3 | μ=2) = e^-2·8/6', () => {
    expect(Math.exp(nbLogPmf(3, 2, POISSON_THETA))).toBeCloseTo((Math.exp(-2) * 8) / 6, 12);
  });

  it('NB pmf: θ=1 is geometric, P(Y=k) = (1/(1+μ))(μ/(1+μ))^k', () => {
    expect(Math.exp(nbLogPmf(4, 3, 1))).toBeCloseTo(0.25 * 0.75 ** 4, 12);
  });

  it('tails add up to one, and the far tail keeps its precision', () => {
    for (const [y, mu, theta] of [
      [0, 5, 3],
      [7, 5, 3],
      [40, 600, 300],
      [900, 600, 300],
      [12, 3.5, POISSON_THETA],
    ] as const) {
      const t = nbTails(y, mu, theta);
      expect(t.below + t.at + t.above).toBeCloseTo(1, 10);
    }
    // P(Y ≥ 30 | Poisson 3) ≈ 1.4e-19: summed directly, not as 1 − cdf.
    const far = nbTails(30, 3, POISSON_THETA);
    expect(far.above + far.at).toBeGreaterThan(1e-20);
    expect(far.above + far.at).toBeLessThan(1e-18);
  });

  it('mid-p: a Poisson(10) observation of 10 is unremarkable, 25 is not', () => {
    expect(midP(nbTails(10, 10, POISSON_THETA)).twoSided).toBeGreaterThan(0.9);
    const p = midP(nbTails(25, 10, POISSON_THETA));
    expect(p.twoSided).toBeLessThan(2e-4);
    expect(p.upper).toBeLessThan(p.lower);
  });

  it('quantiles bracket the distribution', () => {
    // Poisson(4): P(Y≤0)=0.0183, P(Y≤1)=0.0916, P(Y≤7)=0.9489, P(Y≤8)=0.9786
    expect(nbQuantile(0.05, 4, POISSON_THETA)).toBe(1);
    expect(nbQuantile(0.95, 4, POISSON_THETA)).toBe(8);
  });

  it('normal helpers', () => {
    expect(normalUpper(1.959964)).toBeCloseTo(0.025, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it('Benjamini–Hochberg matches a hand-worked example (R p.adjust "BH")', () => {
    const p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.042, 0.06, 0.074];
    const q = benjaminiHochberg(p);
    const expected = [0.205, 0.008, 0.0672, 0.032, 0.0672, 0.0672, 0.08, 0.074 * (8 / 7)];
    for (const [i, v] of q.entries()) expect(v).toBeCloseTo(expected[i] as number, 10);
    expect(benjaminiHochberg([0.01, 0.02, 0.03, 0.04, 0.05])).toEqual(
      [0.05, 0.05, 0.05, 0.05, 0.05].map((x) => expect.closeTo(x, 12)),
    );
    expect(benjaminiHochberg([])).toEqual([]);
  });
});

describe('properties', () => {
  it('BH q-values are ≥ p, ≤ 1 and keep the order of the p-values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 60 }),
        (p) => {
          const q = benjaminiHochberg(p);
          for (let i = 0; i < p.length; i++) {
            expect(q[i]).toBeGreaterThanOrEqual((p[i] as number) - 1e-12);
            expect(q[i]).toBeLessThanOrEqual(1);
            for (let j = 0; j < p.length; j++)
              if ((p[i] as number) < (p[j] as number))
                expect(q[i]).toBeLessThanOrEqual((q[j] as number) + 1e-12);
          }
        },
      ),
    );
  });

  it('NB tails partition the probability and the mid-p lies in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.double({ min: 0.05, max: 300, noNaN: true }),
        fc.double({ min: 0.2, max: 1e4, noNaN: true }),
        (y, mu, theta) => {
          const t = nbTails(y, mu, theta);
          expect(t.below + t.at + t.above).toBeCloseTo(1, 8);
          const p = midP(t);
          expect(p.twoSided).toBeGreaterThanOrEqual(0);
          expect(p.twoSided).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
