/**
 * The hand-written reference docs against the code they describe: their generated blocks are current
 * (scripts/gen-reference-docs.ts), every source, lake table and column, category and mapping key is
 * named, and every repository path they cite exists. Reads only the repo (no /work/shared).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCS, fillBlock, filledDocs, humanMs, isoDuration } from '../../scripts/gen-reference-docs.js';
import { fieldDocs } from '../../scripts/zod-doc.js';
import { CATEGORIES } from '../../src/core/categories.js';
import { envName } from '../../src/core/config.js';
import { LAKE_TABLES } from '../../src/lake/tables.js';
import { knownSourceIds } from '../../src/sources/registry.js';
import { SocrataCityMapping } from '../../src/sources/socrata-city/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(file, 'utf8');
const ARCHITECTURE = join(ROOT, 'docs', 'architecture.md');

describe('generated blocks', () => {
  it('are current in sources.md, taxonomy.md and data-lake.md (run `npm run docs:gen` when this fails)', async () => {
    const filled = await filledDocs();
    expect([...filled.keys()].sort()).toEqual([DOCS.dataLake, DOCS.sources, DOCS.taxonomy].sort());
    for (const [file, text] of filled) expect(read(file), file).toBe(text);
  });

  it('fillBlock replaces only the block and refuses a doc without it', () => {
    const doc = 'a\n<!-- BEGIN generated:x (gen) -->\nold\n<!-- END generated:x -->\nb\n';
    expect(fillBlock(doc, 'x', 'new')).toBe(
      'a\n<!-- BEGIN generated:x (gen) -->\nnew\n<!-- END generated:x -->\nb\n',
    );
    expect(() => fillBlock('no markers', 'x', 'new')).toThrow(/generated:x/);
  });

  it('formats durations as written in mapping files and tables', () => {
    expect(isoDuration(30 * 86_400_000)).toBe('P30D');
    expect(isoDuration(15 * 60_000)).toBe('PT15M');
    expect(isoDuration(0)).toBe('PT0S');
    expect(humanMs(130 * 86_400_000)).toBe('130 d');
    expect(humanMs(3_600_000)).toBe('1 h');
    expect(humanMs(30 * 60_000)).toBe('30 min');
  });
});

describe('docs/sources.md', () => {
  const doc = read(DOCS.sources);

  it('has a section and a table row for every registered source', async () => {
    const ids = await knownSourceIds(join(ROOT, 'sources'));
    expect(ids).toContain('socrata-sf');
    for (const id of ids) {
      expect(doc, id).toMatch(new RegExp(`^## ${id} `, 'm'));
      expect(doc, id).toMatch(new RegExp(`^\\| \`${id}\` \\|`, 'm'));
    }
    expect(doc).toContain(envName('nyc-shootings', 'url'));
    expect(doc).toContain('CRIMEPULSE_SOCRATA_APP_TOKEN');
  });

  it('documents every key of a city mapping file, including the two forms of `occurred`', () => {
    const keys = fieldDocs(SocrataCityMapping)
      .map((f) => f.path)
      .filter((p) => p !== '$schema');
    expect(keys).toEqual(
      expect.arrayContaining(['fields.occurred.datetime', 'fields.occurred.time', 'cursor.field']),
    );
    for (const key of keys) expect(doc, key).toContain(`| \`${key}\` |`);
  });

  it('states the UK key rule with the scope', () => {
    expect(doc).toContain('<month>:<scope>:asb:<k>');
  });
});

describe('docs/taxonomy.md', () => {
  it('lists every canonical category and every source', async () => {
    const doc = read(DOCS.taxonomy);
    for (const c of CATEGORIES) expect(doc).toContain(`| \`${c}\` |`);
    for (const id of await knownSourceIds(join(ROOT, 'sources'))) expect(doc).toContain(`\`${id}\``);
  });
});

describe('docs/data-lake.md', () => {
  it('lists every table with its columns, partitions and txn appId', () => {
    const doc = read(DOCS.dataLake);
    for (const t of Object.values(LAKE_TABLES)) {
      const section = doc.split(`### \`${t.name}\``)[1]?.split('###')[0] ?? '';
      expect(section, t.name).toContain(`crimepulse-${t.name}-<workerId>`);
      for (const f of t.schema.fields) expect(section, `${t.name}.${f.name}`).toContain(`| \`${f.name}\``);
      for (const p of t.partitionColumns) expect(section).toContain(`\`${p}\` (partition)`);
    }
  });
});

describe('repository paths cited by the docs', () => {
  const docs = [DOCS.sources, DOCS.taxonomy, DOCS.dataLake, ARCHITECTURE, join(ROOT, 'docs', 'errors.md')];

  it('exist', () => {
    const missing: string[] = [];
    let checked = 0;
    for (const file of docs) {
      for (const m of read(file).matchAll(
        /(?<![\w/.-])((?:src|scripts|test|sources|samples|deploy|docs)\/[\w./<>*-]*[\w>*])/g,
      )) {
        const path = m[1]!;
        // Patterns such as `sources/socrata-<city>.json` or `YYYY-MM-...csv.gz` name no single file.
        if (/[<*]|YYYY/.test(path)) continue;
        checked++;
        if (!existsSync(join(ROOT, path))) missing.push(`${file.split('/').pop()}: ${path}`);
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it('architecture.md lists the deliberate differences from the starting design', () => {
    const doc = read(ARCHITECTURE);
    for (const s of [
      '<month>:<scope>:asb:<k>',
      'src/pipeline/coalescing-sink.ts',
      'keyset',
      'year-to-date',
      'backfill fraction',
      'src/core/incident-message.ts',
      'computed at read time',
    ])
      expect(doc).toContain(s);
    expect(doc).toContain('```mermaid');
  });
});
