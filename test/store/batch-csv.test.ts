import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvBool, csvNum, csvText, readCsvSql } from '../../src/store/batch-csv.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cp-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('batch CSV for read_csv', () => {
  it('round-trips any text, NULL vs empty, numbers and booleans through DuckDB (property)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const file = join(dir, 'b.csv');
    const text = fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: null });
    const tricky = fc.constantFrom(
      '',
      '"',
      '""',
      ',',
      '\n',
      '\r\n',
      'a,"b"\nc',
      '\\',
      "'",
      ' lead',
      'trail ',
      'NULL',
      'a\u0000b',
      '\u2028',
      '😀',
    );
    const row = fc.record({
      t: fc.oneof(text, tricky),
      n: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
      b: fc.option(fc.boolean(), { nil: null }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        writeFileSync(file, rows.map((r) => `${csvText(r.t)},${csvNum(r.n)},${csvBool(r.b)}\n`).join(''));
        const sql = `SELECT * FROM ${readCsvSql(file, [
          ['t', 'VARCHAR'],
          ['n', 'DOUBLE'],
          ['b', 'BOOLEAN'],
        ])}`;
        const got = (await c.runAndReadAll(sql)).getRowObjectsJS();
        expect(got).toEqual(
          rows.map((r) => ({ t: r.t, n: r.n === null ? null : r.n === 0 ? 0 : r.n, b: r.b })),
        );
      }),
      { numRuns: 60 },
    );
    c.closeSync();
    db.closeSync();
  });

  it('writes non-finite numbers as NULL', () => {
    expect([csvNum(Number.NaN), csvNum(Number.POSITIVE_INFINITY), csvNum(undefined), csvNum(-1.5)]).toEqual([
      '',
      '',
      '',
      '-1.5',
    ]);
  });
});
