/**
 * The data.police.uk source: connector, normaliser, and its shipped samples for replay. The monthly
 * street files replay one file per normaliser batch (`batch: 'file'`), because the key rule of the
 * normaliser needs each month whole.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayFile } from '../replay.js';

export * from './connector.js';
export * from './normalise.js';
export { formatPoly, type LatLng, pointPolygon, splitPolygon } from './polygon.js';

/** The shipped monthly street CSVs (`<samplesDir>/uk/street_csv/*.csv.gz`), oldest first, one batch each. */
export function ukPoliceSamples(samplesDir: string): ReplayFile[] {
  const dir = join(samplesDir, 'uk', 'street_csv');
  return readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-.*\.csv(\.gz)?$/.test(f))
    .sort()
    .map((f) => ({ path: join(dir, f), batch: 'file' as const }));
}
