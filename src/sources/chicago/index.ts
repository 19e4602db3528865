/**
 * Chicago "Crimes - 2001 to Present" (`ijzp-q8t2`) as a live Socrata source.
 *
 * Cursor `updated_on`: the only configured dataset with a real update stamp, so reclassified and
 * newly geocoded records come back (same id, newer `updatedAt`). The portal leaves out the most
 * recent seven days and loads once a day, so data newer than about 9 days is not expected.
 */

import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import { SOCRATA_DEFAULTS } from '../socrata/dataset-spec.js';
import { chicagoNormaliser } from './normalise.js';

const DAY = SOCRATA_DEFAULTS.dayMs;

export const chicagoSpec: SocrataDatasetSpec = {
  id: 'chicago',
  description: 'City of Chicago, Crimes - 2001 to Present (data.cityofchicago.org, ijzp-q8t2)',
  defaultBaseUrl: 'https://data.cityofchicago.org',
  datasetId: 'ijzp-q8t2',
  timeZone: 'America/Chicago',
  cursorField: 'updated_on',
  keyField: 'id',
  keyType: 'number',
  freshnessField: 'date',
  requiredFields: ['id', 'date', 'primary_type', 'iucr'],
  pageSize: SOCRATA_DEFAULTS.pageSize,
  expectedLagMs: 9 * DAY,
  pollIntervalMs: 3600_000,
  normaliser: chicagoNormaliser,
};

export const chicagoSource = socrataSource(chicagoSpec);
