/**
 * Reads every `socrata-*.json` mapping file of a folder (the repo's `sources/`) and turns each into what
 * the rest of the system needs: its normaliser and a `SocrataDatasetSpec` for the generic connector.
 * A bad file stops start-up with a ConfigError naming the file and the offending key, because a city
 * silently missing from the dashboard is worse than a refusal to start.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.js';
import type { RowNormaliser } from '../normalise.js';
import type { ReplayFile } from '../replay.js';
import type { SocrataConfig } from '../socrata/connector.js';
import { socrataSource } from '../socrata/connector.js';
import type { SocrataDatasetSpec } from '../socrata/dataset-spec.js';
import type { Source } from '../source.js';
import { SocrataCityMapping } from './mapping.js';
import { createSocrataCityNormaliser } from './normalise.js';

export interface LoadedSocrataCity {
  /** The file it came from. */
  file: string;
  mapping: SocrataCityMapping;
  normaliser: RowNormaliser;
  spec: SocrataDatasetSpec;
  /** The live connector: the generic Socrata source over `spec`. */
  source: Source<SocrataConfig>;
  /** The mapping's recorded files under a samples folder, for replay (CSV exports read as SODA names). */
  samples(samplesDir: string): ReplayFile[];
}

/** The generic connector's dataset spec for a mapped city. */
export function socrataCitySpec(
  mapping: SocrataCityMapping,
  normaliser: RowNormaliser = createSocrataCityNormaliser(mapping),
): SocrataDatasetSpec {
  const f = mapping.fields;
  const occurredField = 'datetime' in f.occurred ? f.occurred.datetime : f.occurred.date;
  const required = [f.key, occurredField, f.type, mapping.cursor.field].filter((x) => !x.startsWith(':'));
  return {
    id: mapping.source,
    description: mapping.description,
    defaultBaseUrl: mapping.baseUrl,
    datasetId: mapping.dataset,
    timeZone: mapping.timeZone,
    cursorField: mapping.cursor.field,
    keyField: f.key,
    keyType: f.keyType,
    freshnessField: mapping.freshnessField ?? occurredField,
    requiredFields: [...new Set(required)],
    pageSize: mapping.pageSize,
    expectedLagMs: mapping.expectedLag,
    pollIntervalMs: mapping.pollInterval,
    lookbackMs: mapping.lookback,
    initialBackfillMs: mapping.initialBackfill,
    normaliser,
  };
}

/** Parses one mapping (already read as JSON); `file` names it in errors. */
export function parseSocrataCityMapping(json: unknown, file: string): SocrataCityMapping {
  const parsed = SocrataCityMapping.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      'CP_ERR_SOURCE_CONFIG',
      `${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      {
        details: { file, issues: parsed.error.issues },
      },
    );
  }
  return parsed.data;
}

/** Every `socrata-*.json` in `dir`, sorted by file name; the source id must match the file name. */
export async function loadSocrataCityMappings(dir: string): Promise<LoadedSocrataCity[]> {
  const names = (await readdir(dir)).filter((n) => /^socrata-[a-z0-9-]+\.json$/.test(n)).sort();
  const out: LoadedSocrataCity[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ConfigError('CP_ERR_SOURCE_CONFIG', `${file}: not readable JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const mapping = parseSocrataCityMapping(json, file);
    if (`${mapping.source}.json` !== name) {
      throw new ConfigError(
        'CP_ERR_SOURCE_CONFIG',
        `${file}: source id '${mapping.source}' must match the file name`,
      );
    }
    const normaliser = createSocrataCityNormaliser(mapping);
    const spec = socrataCitySpec(mapping, normaliser);
    out.push({
      file,
      mapping,
      normaliser,
      spec,
      source: socrataSource(spec),
      samples: (samplesDir) => mapping.samples.map((s) => ({ path: join(samplesDir, s) })),
    });
  }
  return out;
}
