/**
 * NYPD Shooting Incident Data (Year To Date) (`5ucz-vwe8`; historic `833y-fsy8` through config
 * `datasetId`) as a live Socrata source.
 *
 * One row per victim: `incident_key` repeats, and no column is unique, so pages are ordered by the
 * Socrata row id `:id` (selected with `$select=:*,*`), which the normaliser also uses as the row's
 * key. Cursor: `occur_date` (no report or update stamp). Published quarterly; 31 days of look-back.
 */
import { nycShootingsNormaliser } from '../nyc/normalise.js';
import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import { SOCRATA_DEFAULTS } from '../socrata/dataset-spec.js';

const DAY = SOCRATA_DEFAULTS.dayMs;

export const nycShootingsSpec: SocrataDatasetSpec = {
  id: 'nyc-shootings',
  description: 'NYPD Shooting Incident Data, Year To Date (data.cityofnewyork.us, 5ucz-vwe8)',
  defaultBaseUrl: 'https://data.cityofnewyork.us',
  datasetId: '5ucz-vwe8',
  timeZone: 'America/New_York',
  cursorField: 'occur_date',
  keyField: ':id',
  keyType: 'text',
  requiredFields: ['incident_key', 'occur_date'],
  pageSize: SOCRATA_DEFAULTS.pageSize,
  expectedLagMs: 130 * DAY,
  pollIntervalMs: 6 * 3600_000,
  lookbackMs: 31 * DAY,
  normaliser: nycShootingsNormaliser,
};

export const nycShootingsSource = socrataSource(nycShootingsSpec);
