/**
 * A real store for API tests: the shipped Chicago and LA samples through the real normalisers
 * (src/sources/*), the pipeline (runPipeline) and the store's own commit path (openStore), plus a
 * small threshold scorer so the anomalies table has rows (the count model has its own tests).
 */

import type { CrimeEvent } from '../../src/core/crime-event.js';
import { chicagoNormaliser } from '../../src/sources/chicago/normalise.js';
import { laNormaliser } from '../../src/sources/la/normalise.js';
import type { RowNormaliser } from '../../src/sources/normalise.js';
import { readRecordedRows } from '../../src/sources/recorded-file.js';
import type { Store } from '../../src/store/index.js';
import { storeFromEvents } from '../helpers/store-from-events.js';

export const CHICAGO_SAMPLE = 'samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz';
export const LA_SAMPLE = 'samples/la/la_crime_2020_sample874_portal_format.csv';

async function normalise(file: string, n: RowNormaliser): Promise<CrimeEvent[]> {
  const rows = await readRecordedRows(file);
  const out: CrimeEvent[] = [];
  for (const r of n.normaliseRows(rows, { ingestedAt: '2026-01-01T00:00:00.000Z', origin: file }))
    if (r.ok) out.push(r.event);
  return out.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
}

export interface TestStore {
  store: Store;
  close(): Promise<void>;
}

export async function buildTestStore(): Promise<TestStore> {
  const events = [
    ...(await normalise(CHICAGO_SAMPLE, chicagoNormaliser)),
    ...(await normalise(LA_SAMPLE, laNormaliser)),
  ];
  return storeFromEvents(events, 'api-test');
}
