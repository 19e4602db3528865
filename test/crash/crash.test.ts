/**
 * Crash test: kill -9 the pipeline at random moments, restart it, and check that the store holds
 * each event exactly once and the same windows as a clean run. `CRASH_TRIALS` sets the number of
 * trials (default 3 in `npm test`; `npm run test:crash` runs 50).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { openStore } from '../../src/store/index.js';
import { chicagoEvents } from '../pipeline/helpers.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 3);
let dir: string;
let eventsFile: string;
let expected: string;

/** When to kill: after the child has reported `afterBatches` committed batches (0: once it is ready), plus `delayMs`. */
interface KillPlan {
  afterBatches: number;
  delayMs: number;
}

function runChild(store: string, kill?: KillPlan): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'test/crash/crash-child.ts', store, eventsFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    let timer: NodeJS.Timeout | undefined;
    let batches = -1; // `ready` counts as 0
    child.stdout.on('data', (d) => {
      for (const line of String(d).split('\n')) {
        if (line === 'ready' || line.startsWith('batch ')) batches++;
        if (kill && timer === undefined && batches >= kill.afterBatches) {
          timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ code, signal });
    });
  });
}

async function snapshot(path: string): Promise<string> {
  const store = await openStore(path, silentLogger);
  try {
    const q = async (sql: string): Promise<unknown> =>
      (await store.reader.runAndReadAll(sql)).getRowObjectsJson();
    return JSON.stringify({
      events: await q('SELECT count(*) AS n, count(DISTINCT id) AS d FROM events'),
      hourly: await q(
        `SELECT source, area_id, category, CAST(window_start AS VARCHAR) AS s, event_count, incident_count, arrest_count FROM windows_hourly ORDER BY ALL`,
      ),
      daily: await q(
        `SELECT source, area_id, category, local_label, event_count, incident_count, domestic_count FROM windows_daily ORDER BY ALL`,
      ),
      monthly: await q(
        `SELECT source, area_id, category, local_label, event_count FROM windows_monthly ORDER BY ALL`,
      ),
      cursor: await store.cursors(),
      watermarks: await store.watermarks(),
    });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cp-crash-'));
  // 3 days of the Chicago sample, oldest first, as a replay would send them.
  const events = (await chicagoEvents()).filter(
    (e) => e.occurredAt >= '2015-01-31T06:00' && e.occurredAt < '2015-02-03T06:00',
  );
  eventsFile = join(dir, 'events.json');
  writeFileSync(eventsFile, JSON.stringify(events));
  const clean = join(dir, 'clean.duckdb');
  await runChild(clean);
  expected = await snapshot(clean);
  expect(JSON.parse(expected).events).toEqual([{ n: String(events.length), d: String(events.length) }]);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 at random points', () => {
  it(
    `restarts to the same store as a clean run (${TRIALS} trials)`,
    async () => {
      const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
      console.log(`crash test seed ${seed}, ${TRIALS} trials`);
      const delays = fc.sample(
        fc.array(
          fc.record({
            afterBatches: fc.integer({ min: 0, max: 2 }),
            delayMs: fc.integer({ min: 0, max: 120 }),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        { seed, numRuns: TRIALS },
      );
      let killed = 0;
      for (const [t, plan] of delays.entries()) {
        const path = join(dir, `trial-${t}.duckdb`);
        for (const d of plan) {
          const r = await runChild(path, d);
          if (r.signal === 'SIGKILL') killed++;
        }
        await runChild(path);
        expect(await snapshot(path), `trial ${t} (kills ${JSON.stringify(plan)}, seed ${seed})`).toEqual(
          expected,
        );
        rmSync(path, { force: true });
      }
      console.log(`crash test: ${killed} SIGKILLs landed before the child finished, over ${TRIALS} trials`);
      expect(killed).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
    },
    20 * 60_000,
  );
});
