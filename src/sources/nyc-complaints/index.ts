/**
 * NYPD Complaint Data Current (Year To Date) (`5uac-w243`; the historic `qgea-i56i` has the same
 * columns and is picked with config `datasetId`) as a live Socrata source.
 *
 * No update stamp exists: the cursor is the report date `rpt_dt` (monotone with publication, unlike
 * the occurrence date `cmplnt_fr_dt`, which late reports push years back). NYC publishes quarterly,
 * so the newest report is up to about four months old, and each pass re-reads 31 days before the
 * cursor because a quarter's batch can carry report dates just before the previous batch's last.
 */
import { nycComplaintsNormaliser } from '../nyc/normalise.js';
import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import { SOCRATA_DEFAULTS } from '../socrata/dataset-spec.js';

const DAY = SOCRATA_DEFAULTS.dayMs;

export const nycComplaintsSpec: SocrataDatasetSpec = {
  id: 'nyc-complaints',
  description: 'NYPD Complaint Data Current, Year To Date (data.cityofnewyork.us, 5uac-w243)',
  defaultBaseUrl: 'https://data.cityofnewyork.us',
  datasetId: '5uac-w243',
  timeZone: 'America/New_York',
  cursorField: 'rpt_dt',
  keyField: 'cmplnt_num',
  keyType: 'text',
  freshnessField: 'rpt_dt',
  requiredFields: ['cmplnt_num', 'cmplnt_fr_dt', 'rpt_dt', 'ofns_desc'],
  pageSize: SOCRATA_DEFAULTS.pageSize,
  expectedLagMs: 130 * DAY,
  pollIntervalMs: 6 * 3600_000,
  lookbackMs: 31 * DAY,
  normaliser: nycComplaintsNormaliser,
};

export const nycComplaintsSource = socrataSource(nycComplaintsSpec);
