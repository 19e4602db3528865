import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { chicagoSpec } from '../../../src/sources/chicago/index.js';
import { socrataSource } from '../../../src/sources/socrata/connector.js';
import type { Cursor } from '../../../src/sources/source.js';
import {
  loadSocrataFixture,
  type PortalFault,
  type PortalServer,
  startPortalServer,
} from '../../helpers/portal-server.js';

let portal: PortalServer;
const rows = loadSocrataFixture('chicago').rows;
const allIds = new Set(rows.map((r) => `chicago:${String(r.id)}`));
const source = socrataSource(chicagoSpec, { now: () => new Date('2015-02-16T00:00:00Z') });
const SINCE = new Date('2015-01-01T00:00:00Z');

beforeAll(async () => {
  portal = await startPortalServer([loadSocrataFixture('chicago')]);
});
afterAll(() => portal.close());

const FAULTS: Record<string, PortalFault> = {
  'rate-limit': { kind: 'rate-limit', retryAfter: '0' },
  unavailable: { kind: 'unavailable' },
  truncated: { kind: 'truncated' },
  html: { kind: 'html' },
  reset: { kind: 'reset' },
  'duplicate-page': { kind: 'duplicate-page' },
};

/** Matches the n-th page request (1-based) of the chicago dataset. */
function nthPage(n: number) {
  let i = 0;
  return (r: { params: Record<string, string> }) => r.params.$order === 'updated_on,id' && ++i === n;
}

describe('socrataSource under random page sizes, faults and crashes (property)', () => {
  it('a crash at any message, then a resume from the last committed state, yields every row; no pass repeats an id', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 90 }),
        fc.array(
          fc.record({ page: fc.integer({ min: 2, max: 10 }), kind: fc.constantFrom(...Object.keys(FAULTS)) }),
          { maxLength: 3 },
        ),
        fc.integer({ min: 0, max: 260 }),
        async (pageSize, faults, crashAfter) => {
          portal.reset();
          for (const f of faults) portal.inject(FAULTS[f.kind] as PortalFault, { match: nthPage(f.page) });
          const cfg = {
            url: portal.url,
            pageSize,
            timeoutMs: 500,
            maxRetries: 4,
            backoffBaseMs: 1,
            retryAfterMaxMs: 5,
            rateLimit: { perSecond: 1e6, burst: 1e6 },
          };
          // Pass 1 stops after `crashAfter` messages, like a kill -9: only what a state covered counts as committed.
          let committed: Cursor | undefined;
          let committedIds: string[] = [];
          const pending: string[] = [];
          let n = 0;
          for await (const m of source.read(cfg as never, {
            state: undefined,
            since: SINCE,
            signal: AbortSignal.timeout(20_000),
            log: silentLogger,
          })) {
            if (n++ >= crashAfter) break;
            if (m.kind === 'record') pending.push(m.event.id);
            if (m.kind === 'state') {
              committed = m.cursor;
              committedIds = [...committedIds, ...pending.splice(0)];
            }
          }
          expect(new Set(committedIds).size).toBe(committedIds.length);
          portal.reset();
          const resumed: string[] = [];
          for await (const m of source.read(cfg as never, {
            state: committed ? { 'ijzp-q8t2': committed } : undefined,
            since: SINCE,
            signal: AbortSignal.timeout(20_000),
            log: silentLogger,
          })) {
            if (m.kind === 'record') resumed.push(m.event.id);
          }
          expect(new Set(resumed).size).toBe(resumed.length);
          expect(new Set([...committedIds, ...resumed])).toEqual(allIds);
        },
      ),
      { numRuns: 25, seed: Number(process.env.FC_SEED ?? 20261125), verbose: 1 },
    );
  });
});
