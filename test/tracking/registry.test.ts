import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decidePromotion,
  FileModelRegistry,
  FileStoreTracker,
  forcePromote,
  type ModelRegistry,
  promoteIfBetter,
  VERSION_TAGS,
} from '../../src/tracking/index.js';
import { captureLogger, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let registry: ModelRegistry;
let tracker: FileStoreTracker;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('promote'));
  tracker = new FileStoreTracker(join(dir, 'mlruns'));
  registry = new FileModelRegistry(join(dir, 'mlruns'));
});
afterEach(async () => cleanup());

async function register(metrics: Record<string, number>): Promise<number> {
  const run = await tracker.startRun('series-anomaly-train', 'train');
  await run.logArtifact('model/m.json', JSON.stringify(metrics));
  await run.end();
  const v = await registry.registerVersion({
    name: 'series-anomaly',
    runId: run.id,
    artifactPath: 'model/m.json',
    metrics,
  });
  return v.version;
}

describe('decidePromotion (the gate)', () => {
  const base = { metric: 'nab_score', higherIsBetter: true };
  it('better → promoted, worse → not, tie → champion stays', () => {
    const champion = { version: 1, value: 60 };
    expect(decidePromotion({ ...base, candidate: { version: 2, value: 61 }, champion }).promoted).toBe(true);
    expect(decidePromotion({ ...base, candidate: { version: 2, value: 59 }, champion }).promoted).toBe(false);
    const tie = decidePromotion({ ...base, candidate: { version: 2, value: 60 }, champion });
    expect(tie).toEqual({ promoted: false, reason: 'tie on nab_score (60): the champion v1 stays' });
  });
  it('lower-is-better metrics and a required margin', () => {
    const champion = { version: 1, value: 0.3 };
    const lower = { metric: 'mae', higherIsBetter: false };
    expect(decidePromotion({ ...lower, candidate: { version: 2, value: 0.25 }, champion }).promoted).toBe(
      true,
    );
    expect(decidePromotion({ ...lower, candidate: { version: 2, value: 0.35 }, champion }).promoted).toBe(
      false,
    );
    expect(
      decidePromotion({ ...lower, minImprovement: 0.1, candidate: { version: 2, value: 0.25 }, champion })
        .promoted,
    ).toBe(false);
  });
  it('no champion → promoted; missing or non-finite candidate metric → never; champion without metric → replaced', () => {
    expect(decidePromotion({ ...base, candidate: { version: 1, value: 1 }, champion: undefined })).toEqual({
      promoted: true,
      reason: 'no champion yet',
    });
    expect(
      decidePromotion({ ...base, candidate: { version: 2, value: undefined }, champion: undefined }).promoted,
    ).toBe(false);
    expect(
      decidePromotion({
        ...base,
        candidate: { version: 2, value: Number.NaN },
        champion: { version: 1, value: 1 },
      }).promoted,
    ).toBe(false);
    expect(
      decidePromotion({
        ...base,
        candidate: { version: 2, value: 0 },
        champion: { version: 1, value: undefined },
      }).promoted,
    ).toBe(true);
    expect(
      decidePromotion({ ...base, candidate: { version: 1, value: 5 }, champion: { version: 1, value: 5 } })
        .promoted,
    ).toBe(false);
  });
  it('property: exactly one of (a beats b) and (b beats a) holds for distinct finite values, neither on ties', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        (a, b, hib) => {
          const ab = decidePromotion({
            metric: 'm',
            higherIsBetter: hib,
            candidate: { version: 2, value: a },
            champion: { version: 1, value: b },
          }).promoted;
          const ba = decidePromotion({
            metric: 'm',
            higherIsBetter: hib,
            candidate: { version: 2, value: b },
            champion: { version: 1, value: a },
          }).promoted;
          return a === b ? !ab && !ba : ab !== ba;
        },
      ),
    );
  });
});

describe('promoteIfBetter and forcePromote on the file registry', () => {
  it('promotes the first version, then only better ones, and records and logs each decision', async () => {
    const { log, lines } = captureLogger();
    const args = { registry, name: 'series-anomaly', metric: 'nab_score', higherIsBetter: true, log };
    const v1 = await register({ nab_score: 55 });
    expect(await promoteIfBetter({ ...args, candidate: v1 })).toMatchObject({
      promoted: true,
      reason: 'no champion yet',
      champion: undefined,
    });
    const v2 = await register({ nab_score: 52 });
    const worse = await promoteIfBetter({ ...args, candidate: v2 });
    expect(worse).toMatchObject({ promoted: false, champion: 1, championValue: 55, candidateValue: 52 });
    const v3 = await register({ nab_score: 55 });
    expect((await promoteIfBetter({ ...args, candidate: v3 })).promoted).toBe(false);
    const v4 = await register({ nab_score: 63.25 });
    expect(await promoteIfBetter({ ...args, candidate: v4 })).toMatchObject({ promoted: true, champion: 1 });
    expect((await registry.getVersionByAlias('series-anomaly', 'champion'))?.version).toBe(4);

    const v2info = await registry.getVersion('series-anomaly', v2);
    expect(v2info.tags[VERSION_TAGS.promotion]).toBe('rejected');
    expect(v2info.tags[VERSION_TAGS.promotionReason]).toContain('does not beat champion v1 55');
    expect((await registry.getVersion('series-anomaly', v3)).tags[VERSION_TAGS.promotionReason]).toContain(
      'tie',
    );
    const decisions = lines.filter((l) => l.event === 'promotion');
    expect(decisions.map((l) => [l.candidate, l.promoted])).toEqual([
      [1, true],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(decisions[3]).toMatchObject({
      name: 'series-anomaly',
      alias: 'champion',
      metric: 'nab_score',
      candidateValue: 63.25,
    });
  });

  it('forcePromote overrides the gate, names the actor and reason, and logs a warning', async () => {
    const { log, lines } = captureLogger();
    const good = await register({ nab_score: 70 });
    await registry.setAlias('series-anomaly', 'champion', good);
    const worse = await register({ nab_score: 40 });
    const rec = await forcePromote({
      registry,
      name: 'series-anomaly',
      version: worse,
      log,
      actor: 'admin-token',
      reason: 'rollback: v1 misfires on the 2024 boundary change',
      now: () => Date.UTC(2024, 0, 15, 9),
    });
    expect(rec).toEqual({
      name: 'series-anomaly',
      alias: 'champion',
      version: worse,
      previous: good,
      actor: 'admin-token',
      reason: 'rollback: v1 misfires on the 2024 boundary change',
      at: '2024-01-15T09:00:00.000Z',
    });
    expect((await registry.getVersionByAlias('series-anomaly', 'champion'))?.version).toBe(worse);
    const tags = (await registry.getVersion('series-anomaly', worse)).tags;
    expect(JSON.parse(tags[VERSION_TAGS.forcedPromotion]!)).toEqual(rec);
    expect(tags[VERSION_TAGS.promotion]).toBe('forced');
    const warn = lines.find((l) => l.event === 'forced-promotion');
    expect(warn).toMatchObject({
      level: 'warn',
      override: true,
      actor: 'admin-token',
      previous: good,
      version: worse,
    });
    await expect(
      forcePromote({ registry, name: 'series-anomaly', version: 99, log, actor: 'a', reason: 'r' }),
    ).rejects.toMatchObject({ code: 'CP_ERR_TRACKING_NOT_FOUND' });
  });
});
