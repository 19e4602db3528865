import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { LakeError } from '../../src/core/errors.js';
import {
  activeFiles,
  appendRows,
  createLocalLogStore,
  createTable,
  loadSnapshot,
  type Row,
  readTable,
  struct,
  upsertRows,
} from '../../src/lake/index.js';
import { storeWithHook, useTempDir } from './helpers.js';

const tempDir = useTempDir();

const SCHEMA = struct(
  {
    id: 'string',
    source: 'string',
    n: 'long',
    x: 'double',
    at: 'timestamp',
    ok: 'boolean',
    amount: 'decimal(10,2)',
    day: 'date',
  },
  { id: false },
);
const PARTS = ['source', 'day'];

function row(
  i: number,
  source = 'chicago',
  extra: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    id: `${source}:${i}`,
    source,
    n: i,
    x: i / 4,
    at: `2015-02-0${1 + (i % 3)}T0${i % 10}:30:00.123456Z`,
    ok: i % 2 === 0,
    amount: `${i}.5`,
    day: `2015-02-0${1 + (i % 3)}`,
    ...extra,
  };
}

const byId = (rows: Row[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));

async function newTable(config: Record<string, string> = {}): Promise<string> {
  const table = join(await tempDir(), 'events');
  await createTable(table, { schema: SCHEMA, partitionColumns: PARTS, configuration: config });
  return table;
}

async function logLines(table: string, version: number): Promise<Record<string, Record<string, unknown>>[]> {
  const text = await readFile(join(table, '_delta_log', `${String(version).padStart(20, '0')}.json`), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('create and append', () => {
  it('writes protocol (1,2), metaData with the Delta schema, zero-padded commits, partitioned files with stats', async () => {
    const table = await newTable();
    const rows = [row(1), row(2), row(3), row(4, 'la', { x: null, amount: null })];
    const res = await appendRows(table, rows);
    expect(res.version).toBe(1);
    expect(await readdir(join(table, '_delta_log'))).toEqual([
      '00000000000000000000.json',
      '00000000000000000001.json',
    ]);

    const v0 = await logLines(table, 0);
    expect(v0.find((a) => a.protocol)?.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    const md = v0.find((a) => a.metaData)?.metaData as { schemaString: string; partitionColumns: string[] };
    expect(md.partitionColumns).toEqual(PARTS);
    expect(JSON.parse(md.schemaString).fields[4]).toEqual({
      name: 'at',
      type: 'timestamp',
      nullable: true,
      metadata: {},
    });

    const adds = (await logLines(table, 1)).filter((a) => a.add).map((a) => a.add as Record<string, unknown>);
    expect(adds).toHaveLength(4); // (chicago, 3 days) + (la, 1 day)
    const la = adds.find((a) => (a.partitionValues as Record<string, string>).source === 'la');
    expect(la?.partitionValues).toEqual({ source: 'la', day: '2015-02-02' });
    expect(String(la?.path)).toMatch(
      /^source=la\/day=2015-02-02\/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet$/,
    );
    expect(la?.dataChange).toBe(true);
    expect(la?.size).toBe((await stat(join(table, String(la?.path)))).size);
    const stats = JSON.parse(String(la?.stats));
    expect(stats.numRecords).toBe(1);
    // Partition columns are not in the stats; booleans have a null count only.
    expect(stats.nullCount).toEqual({ id: 0, n: 0, x: 1, at: 0, ok: 0, amount: 1 });
    expect(stats.minValues).toEqual({ id: 'la:4', n: 4, at: '2015-02-02T04:30:00.123Z' });
    // Timestamp max is rounded up to the next millisecond so it stays an upper bound.
    expect(stats.maxValues).toEqual({ id: 'la:4', n: 4, at: '2015-02-02T04:30:00.124Z' });

    const back = await readTable(table);
    expect(byId(back.rows)).toEqual(
      byId(
        rows.map((r) => ({
          ...r,
          x: r.x ?? null,
          amount: r.amount === null ? null : `${r.n}.50`,
        })) as Row[],
      ),
    );
  });

  it('writes timestamps as parquet INT64 micros with isAdjustedToUTC=true, without partition columns', async () => {
    const table = await newTable();
    await appendRows(table, [row(1)]);
    const [file] = await activeFiles(table);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = await c.runAndReadAll(`SELECT name, logical_type FROM parquet_schema('${file?.absPath}')`);
    const cols = Object.fromEntries(r.getRows().map(([n, t]) => [String(n), String(t)]));
    c.closeSync();
    db.closeSync();
    expect(cols.at).toContain('isAdjustedToUTC=1');
    expect(cols.at).toContain('MICROS');
    expect(cols.source).toBeUndefined();
    expect(cols.day).toBeUndefined();
    // hyparquet (independent reader) sees the same instant, to the millisecond it can hold.
    const [viaHyparquet] = await parquetReadObjects({ file: await asyncBufferFromFile(file?.absPath ?? '') });
    expect(viaHyparquet?.at).toBeInstanceOf(Date);
    expect((viaHyparquet as { at: Date }).at.toISOString()).toBe('2015-02-02T01:30:00.123Z');
    expect(viaHyparquet?.amount).toBe(1.5);
  });

  it('escapes awkward partition values in directories and add.path, and reads them back exactly', async () => {
    const table = join(await tempDir(), 'escapes');
    await createTable(table, {
      schema: struct({ id: 'long', k: 'string', at: 'timestamp' }),
      partitionColumns: ['k', 'at'],
    });
    const values = ['/%20%f', 'a b:c', 'x=y?z*[1]', '\u{1F608}', null, 'null'];
    const rows = values.map((k, i) => ({ id: i, k, at: `2024-03-0${i + 1}T10:20:30.000001Z` }));
    await appendRows(table, rows);
    const adds = (await logLines(table, 1)).filter((a) => a.add).map((a) => a.add as { path: string });
    const first = adds.find((a) => a.path.startsWith('k=%252F'));
    // Directory `k=%2F%2520%25f`, URI-encoded again in add.path (as Spark writes it).
    expect(first?.path).toMatch(/^k=%252F%252520%2525f\/at=2024-03-01T10%253A20%253A30.000001Z\//);
    expect(adds.some((a) => a.path.startsWith('k=__HIVE_DEFAULT_PARTITION__/'))).toBe(true);
    for (const f of await activeFiles(table)) expect((await stat(f.absPath)).isFile()).toBe(true);
    const back = await readTable(table);
    expect([...back.rows].sort((a, b) => Number(a.id) - Number(b.id))).toEqual(rows);
    const pruned = await readTable(table, { filters: [{ column: 'k', op: '=', value: 'a b:c' }] });
    expect(pruned.files).toHaveLength(1);
    expect(pruned.rows.map((r) => r.id)).toEqual([1]);
  });

  it('rejects rows with unknown or missing required columns, and a re-create with another schema', async () => {
    const table = await newTable();
    await expect(appendRows(table, [{ ...row(1), extra: 1 }])).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
    await expect(appendRows(table, [{ ...row(1), id: null }])).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
    await expect(createTable(table, { schema: struct({ id: 'string' }) })).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
    await expect(
      createTable(join(table, 'x'), { schema: struct({ 'a b': 'string' }) }),
    ).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
    await expect(
      createTable(join(table, 'y'), { schema: struct({ a: 'string', A: 'long' }) }),
    ).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
    // The same definition again is fine (idempotent create).
    expect((await createTable(table, { schema: SCHEMA, partitionColumns: PARTS })).version).toBe(0);
    // Nothing was committed by the failed appends.
    expect((await loadSnapshot(table)).version).toBe(0);
  });
});

describe('schema evolution', () => {
  it('appending nullable columns commits a new metaData; old files read the new column as null', async () => {
    const table = await newTable();
    await appendRows(table, [row(1), row(2)]);
    const wider = struct(
      { ...Object.fromEntries(SCHEMA.fields.map((f) => [f.name, f.type])), note: 'string' },
      { id: false },
    );
    const evolved = await createTable(table, { schema: wider, partitionColumns: PARTS });
    expect(evolved.version).toBe(2);
    expect(evolved.schema.fields.map((f) => f.name).at(-1)).toBe('note');
    expect((await logLines(table, 2)).find((a) => a.commitInfo)?.commitInfo?.operation).toBe('ADD COLUMNS');
    // Idempotent: the same wider definition again commits nothing.
    expect((await createTable(table, { schema: wider, partitionColumns: PARTS })).version).toBe(2);
    await appendRows(table, [row(3, 'chicago', { note: 'new' })]);
    await upsertRows(table, [row(1, 'chicago', { note: 'updated' })], ['id']);
    const { rows } = await readTable(table);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.note]))).toEqual({
      'chicago:1': 'updated',
      'chicago:2': null,
      'chicago:3': 'new',
    });
    // The schema of version 1 is still the narrow one (time travel).
    expect((await readTable(table, { version: 1 })).rows[0]).not.toHaveProperty('note');
    // Dropping or retyping a column is not an evolution the writer does.
    await expect(createTable(table, { schema: SCHEMA, partitionColumns: PARTS })).rejects.toMatchObject({
      code: 'CP_ERR_LAKE_SCHEMA_MISMATCH',
    });
  });
});

describe('checkpoints and time travel', () => {
  it('writes a V1 checkpoint at version 10; the reader uses it and reads the same as pure JSON replay', async () => {
    const table = await newTable();
    const all: Record<string, unknown>[] = [];
    for (let i = 1; i <= 13; i++) {
      const r = row(i, i % 2 ? 'chicago' : 'la');
      all.push(r);
      const res = await appendRows(table, [r]);
      expect(res.checkpointWritten).toBe(i === 10);
    }
    const names = await readdir(join(table, '_delta_log'));
    expect(names).toContain('00000000000000000010.checkpoint.parquet');
    const last = JSON.parse(await readFile(join(table, '_delta_log', '_last_checkpoint'), 'utf8'));
    expect(last).toMatchObject({ version: 10, size: 12, numOfAddFiles: 10 });

    // An independent parquet reader (hyparquet, pure JS) reads the checkpoint DuckDB wrote.
    const ckpt = await parquetReadObjects({
      file: await asyncBufferFromFile(join(table, '_delta_log', '00000000000000000010.checkpoint.parquet')),
    });
    expect(ckpt).toHaveLength(12);
    const ckptAdds = ckpt
      .filter((r) => r.add)
      .map((r) => r.add as { path: string; stats: string; partitionValues: unknown });
    expect(ckptAdds).toHaveLength(10);
    expect(ckptAdds.every((a) => JSON.parse(a.stats).numRecords === 1)).toBe(true);
    expect(ckpt.filter((r) => r.protocol).map((r) => r.protocol)).toEqual([
      { minReaderVersion: 1, minWriterVersion: 2 },
    ]);

    const withCheckpoint = await readTable(table);
    expect(withCheckpoint.snapshot.checkpointVersion).toBe(10);
    expect(withCheckpoint.rows).toHaveLength(13);
    // Delete commits 0..10: only checkpoint + 11..13 remain; the snapshot must not change.
    const before = await loadSnapshot(table);
    for (let v = 0; v <= 10; v++) await rm(join(table, '_delta_log', `${String(v).padStart(20, '0')}.json`));
    const after = await readTable(table);
    expect(byId(after.rows)).toEqual(byId(withCheckpoint.rows));
    expect(after.snapshot.files.map((f) => f.path).sort()).toEqual(before.files.map((f) => f.path).sort());
    expect(after.snapshot.metadata).toEqual(before.metadata);
    expect(after.snapshot.protocol).toEqual(before.protocol);
  });

  it('honours delta.checkpointInterval and time-travels to every version', async () => {
    const table = await newTable({ 'delta.checkpointInterval': '2' });
    for (let i = 1; i <= 5; i++) await appendRows(table, [row(i)]);
    const names = await readdir(join(table, '_delta_log'));
    expect(names.filter((n) => n.endsWith('.checkpoint.parquet'))).toEqual([
      '00000000000000000002.checkpoint.parquet',
      '00000000000000000004.checkpoint.parquet',
    ]);
    for (let v = 0; v <= 5; v++) {
      const { rows } = await readTable(table, { version: v });
      expect(rows.map((r) => r.n).sort()).toEqual([1, 2, 3, 4, 5].slice(0, v));
    }
    await upsertRows(table, [row(2, 'chicago', { x: 99 })], ['id']);
    expect((await readTable(table, { version: 5 })).rows.find((r) => r.n === 2)?.x).toBe(0.5);
    expect((await readTable(table, { version: 6 })).rows.find((r) => r.n === 2)?.x).toBe(99);
  });
});

describe('exactly-once and concurrency', () => {
  it('txn: the same (appId, version) committed twice is written once; older versions are skipped too', async () => {
    const table = await newTable();
    const txn = { appId: 'crimepulse-events-w1', version: 1 };
    const first = await appendRows(table, [row(1)], { txn });
    const again = await appendRows(table, [row(1)], { txn });
    const older = await appendRows(table, [row(1)], { txn: { ...txn, version: 0 } });
    expect(first).toMatchObject({ skipped: false, version: 1 });
    expect(again).toMatchObject({ skipped: true, version: 1 });
    expect(older.skipped).toBe(true);
    const next = await appendRows(table, [row(2)], { txn: { ...txn, version: 2 } });
    expect(next).toMatchObject({ skipped: false, version: 2 });
    const s = await loadSnapshot(table);
    expect(s.txns.get(txn.appId)?.version).toBe(2);
    expect((await readTable(table)).rows).toHaveLength(2);
    // Another worker's appId is independent.
    expect(
      (await appendRows(table, [row(3)], { txn: { appId: 'crimepulse-events-w2', version: 1 } })).skipped,
    ).toBe(false);
  });

  it('two writers racing for the same version: one wins, the other retries as the next version', async () => {
    const table = await newTable();
    const store = storeWithHook(async () => {
      // Writer B sneaks in while writer A is about to commit version 1.
      const b = await appendRows(table, [row(2)]);
      expect(b.version).toBe(1);
    });
    const a = await appendRows(table, [row(1)], {}, { logStore: store });
    expect(a).toMatchObject({ version: 2, lostRaces: 1, skipped: false, attempts: 1 });
    expect((await readTable(table)).rows.map((r) => r.n).sort()).toEqual([1, 2]);

    const both = await Promise.all([appendRows(table, [row(3)]), appendRows(table, [row(4)])]);
    expect(both.map((r) => r.version).sort()).toEqual([3, 4]);
    expect((await readTable(table)).rows).toHaveLength(4);
  });

  it('a writer that loses to the same txn skips and deletes the files it wrote', async () => {
    const table = await newTable();
    const txn = { appId: 'crimepulse-events-w1', version: 7 };
    const store = storeWithHook(async () => {
      await appendRows(table, [row(1)], { txn });
    });
    const lost = await appendRows(table, [row(1)], { txn }, { logStore: store });
    expect(lost).toMatchObject({ skipped: true, lostRaces: 1 });
    const { rows } = await readTable(table);
    expect(rows).toHaveLength(1);
    const onDisk = (await readdir(table, { recursive: true })).filter((n) => String(n).endsWith('.parquet'));
    expect(onDisk).toHaveLength(1);
  });

  it('fails with CP_ERR_LAKE_CONFLICT when the schema changed concurrently', async () => {
    const table = await newTable();
    const store = storeWithHook(async (path) => {
      const s = await loadSnapshot(table);
      await createLocalLogStore().putIfAbsent(
        path,
        new TextEncoder().encode(
          `${JSON.stringify({ metaData: { ...s.metadata, configuration: { x: '1' } } })}\n`,
        ),
      );
    });
    const err = await appendRows(table, [row(1)], {}, { logStore: store }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakeError);
    expect((err as LakeError).code).toBe('CP_ERR_LAKE_CONFLICT');
  });

  it('an upsert whose touched file was rewritten concurrently plans again (no duplicate keys)', async () => {
    const table = await newTable();
    await appendRows(table, [row(1), row(4)]);
    const store = storeWithHook(async () => {
      await upsertRows(table, [row(1, 'chicago', { x: 10 })], ['id']);
    });
    const res = await upsertRows(
      table,
      [row(1, 'chicago', { x: 20 }), row(7)],
      ['id'],
      {},
      { logStore: store },
    );
    expect(res.attempts).toBe(2);
    const { rows } = await readTable(table);
    expect(rows.filter((r) => r.id === 'chicago:1').map((r) => r.x)).toEqual([20]);
    expect(rows.map((r) => r.id).sort()).toEqual(['chicago:1', 'chicago:4', 'chicago:7']);
  });
});

describe('copy-on-write upsert', () => {
  it('removes the touched files and adds the rewrites in ONE commit; a row may move partition', async () => {
    const table = await newTable();
    await appendRows(table, [row(1), row(4), row(2)]); // days 02, 02, 03
    const before = await loadSnapshot(table);
    const moved = row(1, 'chicago', { day: '2015-02-03', x: 7 });
    const res = await upsertRows(table, [moved], ['id']);
    const commit = await logLines(table, res.version);
    const removes = commit.filter((a) => a.remove).map((a) => a.remove as Record<string, unknown>);
    const adds = commit.filter((a) => a.add).map((a) => a.add as Record<string, unknown>);
    // Only the file of day 02 held id chicago:1: it is removed, chicago:4 is rewritten, the moved row added.
    expect(removes).toHaveLength(1);
    expect(removes[0]?.dataChange).toBe(true);
    expect(before.files.map((f) => f.path)).toContain(removes[0]?.path);
    expect(adds).toHaveLength(2);
    const { rows } = await readTable(table);
    expect(rows.map((r) => [r.id, r.day, r.x]).sort()).toEqual([
      ['chicago:1', '2015-02-03', 7],
      ['chicago:2', '2015-02-03', 0.5],
      ['chicago:4', '2015-02-02', 1],
    ]);
  });

  it('a crash between parquet write and commit leaves an orphan that the snapshot ignores', async () => {
    const table = await newTable();
    await appendRows(table, [row(1)]);
    let reached!: () => void;
    const atCommit = new Promise<void>((resolve) => {
      reached = resolve;
    });
    // The "crash": the commit never happens (put-if-absent never returns).
    const crashing = {
      ...createLocalLogStore(),
      putIfAbsent: () => {
        reached();
        return new Promise<boolean>(() => undefined);
      },
    };
    void appendRows(table, [row(2)], {}, { logStore: crashing });
    await atCommit;
    const onDisk = (await readdir(table, { recursive: true })).filter((n) => String(n).endsWith('.parquet'));
    expect(onDisk).toHaveLength(2);
    const { rows, snapshot } = await readTable(table);
    expect(snapshot.version).toBe(1);
    expect(rows.map((r) => r.id)).toEqual(['chicago:1']);
  });
});
