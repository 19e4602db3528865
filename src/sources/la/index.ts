/**
 * Los Angeles "Crime Data from 2020 to Present" (`2nrs-mtv8`) as a live Socrata source.
 *
 * No update stamp: the cursor is the report date `date_rptd`, with 14 days of look-back per pass
 * (the portal was refreshed weekly). LAPD moved to a new records system in 2024 and this dataset
 * stopped growing in early 2024: its newest report date is far older than the expected lag, so the
 * connector reports it `stale` from the data itself.
 */

import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import { SOCRATA_DEFAULTS } from '../socrata/dataset-spec.js';
import { laNormaliser } from './normalise.js';

const DAY = SOCRATA_DEFAULTS.dayMs;

export const laSpec: SocrataDatasetSpec = {
  id: 'la',
  description: 'LAPD Crime Data from 2020 to Present (data.lacity.org, 2nrs-mtv8)',
  defaultBaseUrl: 'https://data.lacity.org',
  datasetId: '2nrs-mtv8',
  timeZone: 'America/Los_Angeles',
  cursorField: 'date_rptd',
  keyField: 'dr_no',
  keyType: 'text',
  freshnessField: 'date_rptd',
  requiredFields: ['dr_no', 'date_rptd', 'date_occ', 'crm_cd'],
  pageSize: SOCRATA_DEFAULTS.pageSize,
  expectedLagMs: 21 * DAY,
  pollIntervalMs: 6 * 3600_000,
  lookbackMs: 14 * DAY,
  normaliser: laNormaliser,
};

export const laSource = socrataSource(laSpec);
