import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../src/core/errors.js';
import {
  appendRows,
  canonicalRow,
  createTable,
  loadSnapshot,
  pruneFiles,
  readTable,
  struct,
} from '../../src/lake/index.js';

const GOLDEN = join(import.meta.dirname, '../fixtures/delta-golden');

interface ExpectedVersion {
  rows?: number;
  sha256?: string;
  file?: string;
  activeFiles?: unknown[];
}
interface ExpectedTable {
  latestVersion: number;
  txns: { appId: string; version: number }[];
  versions: Record<string, ExpectedVersion>;
}
const EXPECTED = JSON.parse(readFileSync(join(GOLDEN, 'EXPECTED.json'), 'utf8')) as Record<
  string,
  ExpectedTable
>;

/** Tables this reader refuses on purpose, with the feature the error must name. */
const REFUSED: Record<string, string> = { 'delta-kernel-basic-dv-no-checkpoint': 'deletionVectors' };

function sortedLines(rows: Awaited<ReturnType<typeof readTable>>['rows']): string[] {
  return rows.map(canonicalRow).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

const cases = Object.entries(EXPECTED).flatMap(([name, t]) =>
  Object.entries(t.versions)
    .filter(([, v]) => v.sha256 !== undefined)
    .map(([version, v]) => ({ name, version: Number(version), expected: v })),
);

describe('golden tables', () => {
  it('covers every table in EXPECTED.json', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(Object.keys(EXPECTED).length);
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('$name v$version: expected rows or a clear refusal', async ({ name, version, expected }) => {
    const table = join(GOLDEN, name, 'delta');
    const feature = REFUSED[name];
    if (feature) {
      const err = await readTable(table, { version }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LakeError);
      expect((err as LakeError).code).toBe('CP_ERR_LAKE_UNSUPPORTED');
      expect((err as LakeError).message).toContain(feature);
      expect((err as LakeError).details?.feature).toBe(feature);
      return;
    }
    const { rows, files } = await readTable(table, { version });
    const lines = sortedLines(rows);
    expect(rows.length).toBe(expected.rows);
    if (expected.file) {
      const want = readFileSync(join(GOLDEN, expected.file), 'utf8').split('\n').filter(Boolean);
      expect(lines).toEqual(want);
    }
    const sha = createHash('sha256')
      .update(lines.map((l) => `${l}\n`).join(''))
      .digest('hex');
    expect(sha).toBe(expected.sha256);
    expect(files.length).toBe(expected.activeFiles?.length);
  });

  it('starts from the checkpoint when earlier commits were cleaned up (dat-no_replay)', async () => {
    const s = await loadSnapshot(join(GOLDEN, 'dat-no_replay/delta'));
    expect(s.checkpointVersion).toBe(2);
    expect(s.version).toBe(3);
    const err = await loadSnapshot(join(GOLDEN, 'dat-no_replay/delta'), { version: 1 }).catch(
      (e: unknown) => e,
    );
    expect((err as LakeError).code).toBe('CP_ERR_LAKE_CORRUPT');
  });

  it('checkpoint + later commits and pure JSON replay give the same snapshot (dat-with_checkpoint)', async () => {
    const copy = join(await mkdtemp(join(tmpdir(), 'crimepulse-golden-')), 'delta');
    try {
      await cp(join(GOLDEN, 'dat-with_checkpoint/delta'), copy, { recursive: true });
      const viaCheckpoint = await readTable(copy);
      expect(viaCheckpoint.snapshot.checkpointVersion).toBe(2);
      for (const n of await readdir(join(copy, '_delta_log')))
        if (n.includes('checkpoint')) await rm(join(copy, '_delta_log', n));
      const viaJson = await readTable(copy);
      expect(viaJson.snapshot.checkpointVersion).toBeUndefined();
      expect(sortedLines(viaJson.rows)).toEqual(sortedLines(viaCheckpoint.rows));
      expect(viaJson.snapshot.files.map((f) => f.path)).toEqual(
        viaCheckpoint.snapshot.files.map((f) => f.path),
      );
      expect(viaJson.snapshot.tombstones.map((f) => f.path).sort()).toEqual(
        viaCheckpoint.snapshot.tombstones.map((f) => f.path).sort(),
      );
      expect(viaJson.snapshot.metadata.schemaString).toBe(viaCheckpoint.snapshot.metadata.schemaString);
    } finally {
      await rm(dirname(copy), { recursive: true, force: true });
    }
  });

  it('reads a multi-part V1 checkpoint and ignores an incomplete one', async () => {
    const table = join(await mkdtemp(join(tmpdir(), 'crimepulse-multipart-')), 't');
    try {
      await createTable(table, { schema: struct({ id: 'long', p: 'string' }), partitionColumns: ['p'] });
      for (let i = 1; i <= 10; i++) await appendRows(table, [{ id: i, p: i % 2 ? 'odd' : 'even' }]);
      await appendRows(table, [{ id: 11, p: 'odd' }]);
      const want = (await readTable(table)).rows;
      const log = join(table, '_delta_log');
      // Split the single-file checkpoint of version 10 into 2 parts with DuckDB.
      const db = await DuckDBInstance.create(':memory:');
      const c = await db.connect();
      const single = join(log, '00000000000000000010.checkpoint.parquet');
      const part = (k: number) =>
        join(log, `00000000000000000010.checkpoint.000000000${k}.0000000002.parquet`);
      await c.run(`COPY (SELECT * FROM read_parquet('${single}') LIMIT 5) TO '${part(1)}' (FORMAT parquet)`);
      await c.run(`COPY (SELECT * FROM read_parquet('${single}') OFFSET 5) TO '${part(2)}' (FORMAT parquet)`);
      c.closeSync();
      db.closeSync();
      await rm(single);
      for (let v = 0; v <= 10; v++) await rm(join(log, `${String(v).padStart(20, '0')}.json`));
      const s = await loadSnapshot(table);
      expect(s.checkpointVersion).toBe(10);
      expect(s.files).toHaveLength(11);
      expect(sortedLines((await readTable(table)).rows)).toEqual(sortedLines(want));
      // Without part 2 the checkpoint is incomplete, and with commits 0..10 gone nothing can be read.
      await rm(part(2));
      await expect(loadSnapshot(table)).rejects.toMatchObject({ code: 'CP_ERR_LAKE_CORRUPT' });
    } finally {
      await rm(dirname(table), { recursive: true, force: true });
    }
  });

  it('reads txn from the JSON log and from the checkpoint (delta-rs 0.2.0)', async () => {
    const table = join(GOLDEN, 'delta-rs-delta-0.2.0/delta');
    const want = EXPECTED['delta-rs-delta-0.2.0']?.txns[0];
    const fromCheckpoint = await loadSnapshot(table);
    expect(fromCheckpoint.checkpointVersion).toBe(3);
    expect(fromCheckpoint.txns.get(want?.appId ?? '')?.version).toBe(want?.version);
    const beforeTxn = await loadSnapshot(table, { version: 2 });
    expect(beforeTxn.txns.size).toBe(0);
  });

  it('uses the metaData of the requested version (schema evolution)', async () => {
    const table = join(GOLDEN, 'dat-with_schema_change/delta');
    expect((await loadSnapshot(table, { version: 0 })).schema.fields.map((f) => f.name)).toEqual([
      'letter',
      'number',
    ]);
    expect((await loadSnapshot(table, { version: 1 })).schema.fields.map((f) => f.name)).toEqual([
      'num1',
      'num2',
    ]);
  });

  it('refuses a version that does not exist', async () => {
    const err = await readTable(join(GOLDEN, 'dat-basic_append/delta'), { version: 7 }).catch(
      (e: unknown) => e,
    );
    expect((err as LakeError).code).toBe('CP_ERR_LAKE_CORRUPT');
  });
});

describe('pruning', () => {
  it('prunes by partition value and keeps null partitions out of comparisons', async () => {
    const table = join(GOLDEN, 'dat-basic_partitioned/delta');
    const s = await loadSnapshot(table);
    expect(s.files).toHaveLength(6);
    const kept = pruneFiles(s, [{ column: 'letter', op: '=', value: 'a' }]);
    expect(kept).toHaveLength(2);
    const { rows } = await readTable(table, { filters: [{ column: 'letter', op: '=', value: 'a' }] });
    expect(rows.map((r) => r.number).sort()).toEqual([1, 4]);
  });

  it('prunes by min/max stats, including timestamps written with a zone offset', async () => {
    const table = join(GOLDEN, 'delta-golden-data-skipping-basic-stats-all-types/delta');
    const s = await loadSnapshot(table);
    expect(s.files).toHaveLength(1);
    const row = (await readTable(table)).rows[0];
    expect(pruneFiles(s, [{ column: 'as_int', op: '=', value: row?.as_int ?? null }])).toHaveLength(1);
    expect(pruneFiles(s, [{ column: 'as_int', op: '>', value: 1000 }])).toHaveLength(0);
    expect(pruneFiles(s, [{ column: 'as_string', op: '<', value: '' }])).toHaveLength(0);
    const ts = String(row?.as_timestamp);
    expect(pruneFiles(s, [{ column: 'as_timestamp', op: '=', value: ts }])).toHaveLength(1);
    // The stats say "2000-01-01T00:00:00.000-08:00": a wrong offset would prune one of these two.
    const later = new Date(Date.parse(ts) + 1000);
    const earlier = new Date(Date.parse(ts) - 1000);
    expect(pruneFiles(s, [{ column: 'as_timestamp', op: '>=', value: later }])).toHaveLength(0);
    expect(pruneFiles(s, [{ column: 'as_timestamp', op: '<', value: ts }])).toHaveLength(0);
    expect(pruneFiles(s, [{ column: 'as_timestamp', op: '>', value: earlier }])).toHaveLength(1);
  });

  it('reads only the active files, never an orphan in the directory', async () => {
    const { rows, files } = await readTable(
      join(GOLDEN, 'delta-golden-data-skipping-basic-stats-all-types/delta'),
    );
    expect(files).toHaveLength(1);
    expect(files[0]?.path).not.toContain('087fe319');
    expect(rows).toHaveLength(1);
  });
});
