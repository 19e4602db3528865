/**
 * NYPD Arrest Data (Year to Date) (`uip8-fykc`; historic `8h9b-rp9u` through config `datasetId`) as
 * a live Socrata source.
 *
 * No update or report stamp: the cursor is `arrest_date` (a date without time, so ties are large and
 * the key `arrest_key` orders inside them). Published quarterly; 31 days of look-back per pass.
 */
import { nycArrestsNormaliser } from '../nyc/normalise.js';
import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import { SOCRATA_DEFAULTS } from '../socrata/dataset-spec.js';

const DAY = SOCRATA_DEFAULTS.dayMs;

export const nycArrestsSpec: SocrataDatasetSpec = {
  id: 'nyc-arrests',
  description: 'NYPD Arrest Data, Year to Date (data.cityofnewyork.us, uip8-fykc)',
  defaultBaseUrl: 'https://data.cityofnewyork.us',
  datasetId: 'uip8-fykc',
  timeZone: 'America/New_York',
  cursorField: 'arrest_date',
  keyField: 'arrest_key',
  keyType: 'text',
  requiredFields: ['arrest_key', 'arrest_date', 'ofns_desc'],
  pageSize: SOCRATA_DEFAULTS.pageSize,
  expectedLagMs: 130 * DAY,
  pollIntervalMs: 6 * 3600_000,
  lookbackMs: 31 * DAY,
  normaliser: nycArrestsNormaliser,
};

export const nycArrestsSource = socrataSource(nycArrestsSpec);
