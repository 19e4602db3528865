/**
 * A real store for chat tests: shipped samples (Chicago, LA, NYC complaints, three months of City of
 * London street CSVs) through the real normalisers, the pipeline and the store's commit path, plus a
 * threshold scorer (daily windows with ≥ 15 events) so the anomalies table has rows; the count
 * model has its own tests. Built once per test file (about 10 s).
 */

import type { CrimeEvent } from '../../src/core/crime-event.js';
import { chicagoNormaliser } from '../../src/sources/chicago/normalise.js';
import { laNormaliser } from '../../src/sources/la/normalise.js';
import type { RowNormaliser } from '../../src/sources/normalise.js';
import { nycComplaintsNormaliser } from '../../src/sources/nyc/normalise.js';
import { readRecordedRows } from '../../src/sources/recorded-file.js';
import { ukPoliceNormaliser } from '../../src/sources/uk-police/normalise.js';
import type { Store } from '../../src/store/index.js';
import { storeFromEvents } from '../helpers/store-from-events.js';

export const SAMPLES: [string, RowNormaliser][] = [
  ['samples/chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz', chicagoNormaliser],
  ['samples/la/la_crime_2020_sample874_portal_format.csv', laNormaliser],
  ['samples/nyc/nypd_complaints_historic_cmplnt_fr_dt_2010-01-01.csv', nycComplaintsNormaliser],
  ['samples/uk/street_csv/2020-04-city-of-london-street.csv.gz', ukPoliceNormaliser],
  ['samples/uk/street_csv/2020-05-city-of-london-street.csv.gz', ukPoliceNormaliser],
  ['samples/uk/street_csv/2020-06-city-of-london-street.csv.gz', ukPoliceNormaliser],
];

async function normalise(file: string, n: RowNormaliser): Promise<CrimeEvent[]> {
  const rows = await readRecordedRows(file);
  const out: CrimeEvent[] = [];
  for (const r of n.normaliseRows(rows, { ingestedAt: '2026-01-01T00:00:00.000Z', origin: file }))
    if (r.ok) out.push(r.event);
  return out;
}

export interface ChatTestStore {
  store: Store;
  close(): Promise<void>;
}

export async function buildChatTestStore(): Promise<ChatTestStore> {
  const events: CrimeEvent[] = [];
  for (const [file, n] of SAMPLES) events.push(...(await normalise(file, n)));
  events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
  return storeFromEvents(events, 'chat-test');
}

/** Runs SQL on the store's reader; bigints become numbers. */
export async function sql(
  store: Store,
  q: string,
  params: Record<string, string | number> = {},
): Promise<Record<string, unknown>[]> {
  const rows = (await store.reader.runAndReadAll(q, params)).getRowObjectsJS() as Record<string, unknown>[];
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])),
  );
}
