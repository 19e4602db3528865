/**
 * Fills the generated blocks of the hand-written reference docs from the code they describe:
 *
 * - docs/sources.md `sources-table`: each source's dataset, zone, cursor, key, lag, poll interval,
 *   look-back (the `SocrataDatasetSpec`s, the UK connector defaults, `sources/socrata-*.json`);
 * - docs/sources.md `mapping-fields`: every key of a Socrata city mapping file with its `.describe()`
 *   text (src/sources/socrata-city/mapping.ts);
 * - docs/taxonomy.md `categories`: the canonical categories (src/core/categories.ts);
 * - docs/data-lake.md `lake-tables`: the Delta tables (src/lake/tables.ts).
 *
 * A block is `<!-- BEGIN generated:NAME ... -->` … `<!-- END generated:NAME -->`; the prose around it is
 * kept. `test/docs/reference-docs.test.ts` fails when a block is stale.
 *
 * Run: `npm run docs:gen` (or `node bin/run-ts.js scripts/gen-reference-docs.ts [--check]`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, CATEGORY_LABELS } from '../src/core/categories.js';
import { typeToString } from '../src/lake/delta-protocol.js';
import { LAKE_TABLES } from '../src/lake/tables.js';
import { chicagoSpec } from '../src/sources/chicago/index.js';
import { laSpec } from '../src/sources/la/index.js';
import { nycArrestsSpec } from '../src/sources/nyc-arrests/index.js';
import { nycComplaintsSpec } from '../src/sources/nyc-complaints/index.js';
import { nycShootingsSpec } from '../src/sources/nyc-shootings/index.js';
import type { SocrataDatasetSpec } from '../src/sources/socrata/dataset-spec.js';
import { loadSocrataCityMappings, SocrataCityMapping } from '../src/sources/socrata-city/index.js';
import { UkPoliceConfig } from '../src/sources/uk-police/index.js';
import { cell, fieldDocs } from './zod-doc.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS = {
  sources: join(ROOT, 'docs', 'sources.md'),
  taxonomy: join(ROOT, 'docs', 'taxonomy.md'),
  dataLake: join(ROOT, 'docs', 'data-lake.md'),
} as const;

/** `3600000` → `1 h`, `2592000000` → `30 d`. */
export function humanMs(ms: number | undefined): string {
  if (ms === undefined || ms === 0) return '0';
  const d = ms / 86_400_000;
  if (Number.isInteger(d)) return `${d} d`;
  const h = ms / 3_600_000;
  if (Number.isInteger(h)) return `${h} h`;
  return `${ms / 60_000} min`;
}

async function sourcesTable(): Promise<string> {
  const uk = UkPoliceConfig.parse({});
  const builtin: SocrataDatasetSpec[] = [nycComplaintsSpec, nycArrestsSpec, nycShootingsSpec, laSpec];
  const cities = await loadSocrataCityMappings(join(ROOT, 'sources'));
  const row = (s: SocrataDatasetSpec, file: string) =>
    `| \`${s.id}\` | ${new URL(s.defaultBaseUrl).host} | \`${s.datasetId}\` | ${s.timeZone} | \`${s.cursorField}\` | \`${s.keyField}\` (${s.keyType}) | \`${s.freshnessField ?? s.cursorField}\` | ${humanMs(s.expectedLagMs)} | ${humanMs(s.pollIntervalMs)} | ${humanMs(s.lookbackMs)} | ${file} |`;
  return [
    '| source | portal | dataset | time zone | cursor | page key | freshness field | expected lag | poll every | look-back | defined in |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| \`uk-police\` | ${new URL(uk.url).host} | \`crimes-street/all-crime\` (monthly) | Europe/London | \`{lastMonth}\` per area | API \`id\` (dedup only) | newest month of \`crimes-street-dates\` | ${humanMs(uk.expectedLagMs)} | 6 h | 0 | src/sources/uk-police/ |`,
    row(chicagoSpec, 'src/sources/chicago/index.ts'),
    ...builtin.map((s) => row(s, `src/sources/${s.id}/index.ts`)),
    ...cities.map((c) => row(c.spec, `sources/${c.file.split('/').pop()}`)),
  ].join('\n');
}

/** Milliseconds as the ISO 8601 duration one would write in a mapping file (`P30D`, `PT15M`). */
export function isoDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  if (ms % 86_400_000 === 0) return `P${ms / 86_400_000}D`;
  if (ms % 3_600_000 === 0) return `PT${ms / 3_600_000}H`;
  if (ms % 60_000 === 0) return `PT${ms / 60_000}M`;
  return `PT${ms / 1000}S`;
}

/**
 * Meanings for mapping keys whose schema has no `.describe()` of its own (or only the generic
 * "A SODA field name" of every column key); the schema's text wins wherever it is specific.
 */
const MAPPING_NOTES: Record<string, string> = {
  description: 'Human description, shown by `GET /v1/sources`.',
  pageSize: 'Rows per page, 1..50 000 (SODA 2.1 allows 50 000).',
  cursor: 'The incremental cursor.',
  fields: 'Which columns mean what (SODA field names).',
  'fields.occurred': 'When it happened: `{"datetime": col}` or `{"date": col, "time": col}`.',
  'fields.lat': 'Latitude column (WGS84).',
  'fields.lon': 'Longitude column (WGS84).',
  bbox: 'The city with a margin; points outside are `out-of-region`.',
  'bbox.minLat': 'Southern edge.',
  'bbox.maxLat': 'Northern edge.',
  'bbox.minLon': 'Western edge.',
  'bbox.maxLon': 'Eastern edge.',
};
const GENERIC_FIELD_TEXT = 'A SODA field name, e.g. `incident_datetime`.';

function mappingFields(): string {
  const rows = fieldDocs(SocrataCityMapping, {
    formatDefault: (path, v) =>
      // ISO durations are stored in milliseconds after parsing: show them as written in the file.
      typeof v === 'number' && ['pollInterval', 'lookback', 'initialBackfill'].includes(path)
        ? `\`${isoDuration(v)}\``
        : `\`${JSON.stringify(v)}\``,
  }).map((r) =>
    !r.description || r.description === GENERIC_FIELD_TEXT
      ? { ...r, description: MAPPING_NOTES[r.path] ?? r.description }
      : r,
  );
  return [
    '| key | type | required | default | meaning |',
    '|---|---|---|---|---|',
    ...rows
      .filter((r) => r.path !== '$schema')
      .map(
        (r) =>
          `| \`${r.path}\` | ${r.type} | ${r.required ? 'yes' : 'no'} | ${r.default ?? ''} | ${cell(r.description)} |`,
      ),
  ].join('\n');
}

function categories(): string {
  return [
    '| category | label |',
    '|---|---|',
    ...CATEGORIES.map((c) => `| \`${c}\` | ${CATEGORY_LABELS[c]} |`),
  ].join('\n');
}

function lakeTables(): string {
  const out: string[] = [];
  for (const t of Object.values(LAKE_TABLES)) {
    out.push(
      `### \`${t.name}\``,
      '',
      `Partitioned by ${t.partitionColumns.map((c) => `\`${c}\``).join(', ')}; upsert key ${t.key.map((c) => `\`${c}\``).join(', ')}; \`txn\` appId \`crimepulse-${t.name}-<workerId>\`.`,
      '',
      '| column | Delta type | nullable |',
      '|---|---|---|',
      ...t.schema.fields.map(
        (f) =>
          `| \`${f.name}\`${t.partitionColumns.includes(f.name) ? ' (partition)' : ''} | ${typeToString(f.type)} | ${f.nullable ? 'yes' : 'no'} |`,
      ),
      '',
    );
  }
  return out.join('\n').trimEnd();
}

/** Block name → [doc, content]. */
export async function generatedBlocks(): Promise<Record<string, [string, string]>> {
  return {
    'sources-table': [DOCS.sources, await sourcesTable()],
    'mapping-fields': [DOCS.sources, mappingFields()],
    categories: [DOCS.taxonomy, categories()],
    'lake-tables': [DOCS.dataLake, lakeTables()],
  };
}

/** `text` with the block `name` replaced by `content`; throws when the markers are missing. */
export function fillBlock(text: string, name: string, content: string): string {
  const re = new RegExp(
    `(<!-- BEGIN generated:${name}[^>]*-->\\n)[\\s\\S]*?(<!-- END generated:${name} -->)`,
  );
  if (!re.test(text)) throw new Error(`no generated:${name} block`);
  return text.replace(re, (_m, begin: string, end: string) => `${begin}${content}\n${end}`);
}

/** Each doc's text with its blocks filled. */
export async function filledDocs(): Promise<Map<string, string>> {
  const docs = new Map<string, string>();
  for (const [name, [file, content]] of Object.entries(await generatedBlocks())) {
    docs.set(file, fillBlock(docs.get(file) ?? readFileSync(file, 'utf8'), name, content));
  }
  return docs;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [file, text] of await filledDocs()) {
    if (readFileSync(file, 'utf8') === text) continue;
    if (check) {
      console.error(`${file} has stale generated blocks: run npm run docs:gen`);
      stale = true;
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  if (stale) process.exit(1);
}
