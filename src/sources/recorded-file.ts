/**
 * Reads a recorded portal file (CSV, CSV.gz, or a JSON array as the APIs return) as raw rows keyed by
 * SODA field names. CSV parsing is csv-parse's; this module only picks the decoder and renames
 * headers. Streaming, so a large file never sits in memory whole.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse';
import type { RawRow } from './normalise.js';
import { socrataFieldName } from './normalise.js';

export interface RecordedFileOptions {
  /** Keep the original CSV headers instead of SODA field names (for sources whose API is not Socrata). */
  keepHeaders?: boolean;
}

/** Rows of a recorded file in file order. */
export async function* readRecordedFile(
  path: string,
  options: RecordedFileOptions = {},
): AsyncGenerator<RawRow> {
  const name = basename(path).toLowerCase();
  const gz = name.endsWith('.gz');
  const bare = gz ? name.slice(0, -3) : name;
  if (bare.endsWith('.json')) {
    const buf = await readFile(path);
    const text = (gz ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) throw new Error(`${path}: expected a JSON array of rows`);
    for (const row of data) yield row as RawRow;
    return;
  }
  const input = createReadStream(path);
  const parser = parse({
    bom: true,
    columns: (headers: string[]) =>
      headers.map((h) => (options.keepHeaders ? h.replace(/^\uFEFF/, '') : socrataFieldName(h))),
    relax_column_count: true,
    skip_empty_lines: true,
  });
  (gz ? input.pipe(createGunzip()) : input).pipe(parser);
  for await (const row of parser) yield row as RawRow;
}

/** All rows of a recorded file, for small files and tests. */
export async function readRecordedRows(path: string, options: RecordedFileOptions = {}): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of readRecordedFile(path, options)) rows.push(row);
  return rows;
}
