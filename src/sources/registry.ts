/**
 * The source registry: every source CrimePulse knows, listed explicitly (no import-time
 * registration). Each entry pairs the live connector with its normaliser and the shipped recorded
 * sample that replay uses. Socrata cities configured by mapping file (`sources/socrata-*.json`) join
 * the built-in portals here without code.
 */
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import { chicagoSource, chicagoSpec } from './chicago/index.js';
import type { SourceEntry } from './ingest-runner.js';
import { laSource, laSpec } from './la/index.js';
import { nycArrestsSource, nycArrestsSpec } from './nyc-arrests/index.js';
import { nycComplaintsSource, nycComplaintsSpec } from './nyc-complaints/index.js';
import { nycShootingsSource, nycShootingsSpec } from './nyc-shootings/index.js';
import { SocrataConfig } from './socrata/connector.js';
import type { SocrataDatasetSpec } from './socrata/dataset-spec.js';
import { loadSocrataCityMappings } from './socrata-city/index.js';
import type { Source } from './source.js';
import { UK_TIME_ZONE, UkPoliceConfig, ukPoliceSamples, ukPoliceSource } from './uk-police/index.js';
import { ukPoliceNormaliser } from './uk-police/normalise.js';

/** Built-in source ids (mapped Socrata cities add theirs from `sources/`). */
export const BUILTIN_SOURCE_IDS = [
  'uk-police',
  'chicago',
  'nyc-complaints',
  'nyc-arrests',
  'nyc-shootings',
  'la',
] as const;

/** Recorded samples shipped in `samples/` for each built-in Socrata portal. */
const SOCRATA_SAMPLES: Record<string, string[]> = {
  chicago: ['chicago/chicago_crimes_2015-01-23_to_2015-02-08.csv.gz'],
  'nyc-complaints': ['nyc/nypd_complaints_historic_cmplnt_fr_dt_2010-01-01.csv'],
  'nyc-arrests': ['nyc/nypd_arrests_ytd_2021-01_to_2021-09_queens.csv.gz'],
  'nyc-shootings': ['nyc/nypd_shooting_incidents_historic_2006-01_to_2019-09.csv.gz'],
  la: ['la/la_crime_2020_first10000rows.csv.gz'],
};

export interface RegistryOptions {
  config: Pick<Config, 'sources' | 'samplesDir' | 'socrataAppToken' | 'userAgent'>;
  /** Folder of Socrata city mapping files; default `sources` in the working directory. */
  mappingsDir?: string;
}

function socrataEntry(
  spec: SocrataDatasetSpec,
  source: Source<SocrataConfig>,
  options: RegistryOptions,
  files: string[],
): SourceEntry {
  const settings = options.config.sources[spec.id];
  const liveConfig = SocrataConfig.parse({
    ...(settings?.url ? { url: settings.url } : {}),
    ...(options.config.socrataAppToken ? { appToken: options.config.socrataAppToken } : {}),
    userAgent: options.config.userAgent,
  });
  return {
    id: spec.id,
    description: spec.description,
    timeZone: spec.timeZone,
    expectedLagMs: spec.expectedLagMs,
    normaliser: spec.normaliser,
    // Shootings repeat INCIDENT_KEY per victim and number victims within the batch: keep the file whole.
    samples: files.map((f) => ({ path: join(options.config.samplesDir, f), batch: 'file' as const })),
    live: {
      source: source as Source<unknown>,
      config: liveConfig,
      pollIntervalMs: settings?.pollIntervalMs ?? spec.pollIntervalMs,
    },
  };
}

/** Every known source, with the enabled flag of the configuration applied. */
export async function loadRegistry(options: RegistryOptions): Promise<SourceEntry[]> {
  const { config } = options;
  const uk = config.sources['uk-police'];
  const ukConfig = UkPoliceConfig.parse({ ...(uk?.url ? { url: uk.url } : {}), userAgent: config.userAgent });
  const entries: SourceEntry[] = [
    {
      id: 'uk-police',
      description: 'data.police.uk street-level crime (City of London Police by default), month-only dates',
      timeZone: UK_TIME_ZONE,
      expectedLagMs: ukConfig.expectedLagMs,
      normaliser: ukPoliceNormaliser,
      samples: safeSamples(() => ukPoliceSamples(config.samplesDir)),
      live: {
        source: ukPoliceSource as Source<unknown>,
        config: ukConfig,
        pollIntervalMs: uk?.pollIntervalMs ?? 6 * 3600_000,
      },
    },
    socrataEntry(chicagoSpec, chicagoSource, options, SOCRATA_SAMPLES.chicago!),
    socrataEntry(nycComplaintsSpec, nycComplaintsSource, options, SOCRATA_SAMPLES['nyc-complaints']!),
    socrataEntry(nycArrestsSpec, nycArrestsSource, options, SOCRATA_SAMPLES['nyc-arrests']!),
    socrataEntry(nycShootingsSpec, nycShootingsSource, options, SOCRATA_SAMPLES['nyc-shootings']!),
    socrataEntry(laSpec, laSource, options, SOCRATA_SAMPLES.la!),
  ];
  for (const city of await loadSocrataCityMappings(options.mappingsDir ?? 'sources')) {
    const entry = socrataEntry(city.spec, city.source, options, []);
    entry.samples = city.samples(config.samplesDir).map((f) => ({ ...f, batch: 'file' as const }));
    entries.push(entry);
  }
  return entries.filter((e) => config.sources[e.id]?.enabled !== false);
}

/** Source ids without reading the mapping files' contents beyond their names (for config loading). */
export async function knownSourceIds(mappingsDir = 'sources'): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  let files: string[] = [];
  try {
    files = await readdir(mappingsDir);
  } catch {
    files = [];
  }
  const cities = files
    .filter((f) => /^socrata-[a-z0-9-]+\.json$/.test(f))
    .map((f) => f.replace(/\.json$/, ''));
  return [...BUILTIN_SOURCE_IDS, ...cities];
}

function safeSamples<T>(fn: () => T[]): T[] {
  try {
    return fn();
  } catch {
    return [];
  }
}
