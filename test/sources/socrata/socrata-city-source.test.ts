import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { parseSocrataCityMapping } from '../../../src/sources/socrata-city/load-socrata-city-mappings.js';
import { createSocrataCityNormaliser } from '../../../src/sources/socrata-city/normalise.js';
import { socrataCitySource } from '../../../src/sources/socrata-city/source.js';
import type { SourceMessage } from '../../../src/sources/source.js';
import { loadSocrataFixture, type PortalServer, startPortalServer } from '../../helpers/portal-server.js';

const MAPPING_FILE = new URL('../../../sources/socrata-sf.json', import.meta.url);
let portal: PortalServer;

beforeAll(async () => {
  portal = await startPortalServer([loadSocrataFixture('sf')]);
});
afterAll(() => portal.close());

describe('socrataCitySource (SF mapping over the generic connector)', () => {
  it('reads the recorded SF rows through the mapping, with faults, into one event or dead letter per row', async () => {
    const mapping = parseSocrataCityMapping(
      JSON.parse(readFileSync(MAPPING_FILE, 'utf8')),
      'socrata-sf.json',
    );
    const rows = loadSocrataFixture('sf').rows;
    const expected = createSocrataCityNormaliser(mapping).normaliseRows(rows, {
      ingestedAt: new Date().toISOString(),
    });
    const expectedIds = new Set(expected.flatMap((r) => (r.ok ? [r.event.id] : [])));
    expect(expectedIds.size).toBeGreaterThan(150);

    portal.inject({ kind: 'truncated' }, { match: (r) => r.params.$order === 'report_datetime,row_id' });
    const src = socrataCitySource(mapping, { now: () => new Date('2019-01-02T00:00:00Z') });
    const msgs: SourceMessage[] = [];
    for await (const m of src.read(
      {
        url: portal.url,
        userAgent: 'CrimePulse-test/1',
        pageSize: 31,
        timeoutMs: 500,
        checkTimeoutMs: 500,
        maxRetries: 2,
        backoffBaseMs: 1,
        retryAfterMaxMs: 10,
        rateLimit: { perSecond: 1e5, burst: 1e5 },
      },
      {
        state: undefined,
        since: new Date('2018-11-01T00:00:00Z'),
        signal: AbortSignal.timeout(20_000),
        log: silentLogger,
      },
    )) {
      msgs.push(m);
    }
    const ids = msgs.flatMap((m) => (m.kind === 'record' ? [m.event.id] : []));
    expect(ids).toHaveLength(expectedIds.size);
    expect(new Set(ids)).toEqual(expectedIds);
    expect(msgs.filter((m) => m.kind === 'reject')).toHaveLength(rows.length - expectedIds.size);
    const status = msgs.at(-1);
    expect(status?.kind === 'status' && status.status).toMatchObject({ source: 'socrata-sf', stale: false });
    expect(portal.requests.some((r) => r.fault === 'truncated')).toBe(true);
  });
});
