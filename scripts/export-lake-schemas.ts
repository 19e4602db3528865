/**
 * Writes `deploy/spark/lake_schemas.json`: the Delta table schemas, partition columns and keys of
 * `src/lake/tables.ts`, so the PySpark job (`deploy/spark/crimepulse_streaming.py`) builds its tables
 * from the same definitions as the TypeScript pipeline instead of a hand-copied second schema.
 * `test/deploy/spark.test.ts` fails when the committed file is out of date.
 *
 * Run: `npm run deploy:schemas` (or `node bin/run-ts.js scripts/export-lake-schemas.ts [--check]`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAKE_TABLES } from '../src/lake/tables.js';

export const LAKE_SCHEMAS_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'deploy',
  'spark',
  'lake_schemas.json',
);

/** The JSON text of the shared schema file (stable key order, trailing newline). */
export function lakeSchemasJson(): string {
  const tables = Object.fromEntries(
    Object.values(LAKE_TABLES).map((t) => [
      t.name,
      { schema: t.schema, partitionColumns: t.partitionColumns, key: t.key, configuration: t.configuration },
    ]),
  );
  return `${JSON.stringify({ generatedFrom: 'src/lake/tables.ts', generator: 'scripts/export-lake-schemas.ts', tables }, null, 2)}\n`;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const text = lakeSchemasJson();
  if (process.argv.includes('--check')) {
    // Compared as data, so a formatter's layout of the committed file does not matter.
    const current = JSON.stringify(JSON.parse(readFileSync(LAKE_SCHEMAS_FILE, 'utf8')));
    if (current !== JSON.stringify(JSON.parse(text))) {
      console.error(`${LAKE_SCHEMAS_FILE} is out of date: run npm run deploy:schemas`);
      process.exit(1);
    }
    console.log('lake_schemas.json is up to date');
  } else {
    writeFileSync(LAKE_SCHEMAS_FILE, text);
    console.log(`wrote ${LAKE_SCHEMAS_FILE}`);
  }
}
