/**
 * The ingest role's own cursors when it runs apart from the pipeline (Kafka): a small DuckDB file,
 * `ingest-state.duckdb`, written only after the broker has acknowledged the records a cursor covers
 * (a cursor saved early would skip rows after a crash; saved late, it only re-sends some, which ids
 * make harmless).
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { StoreError } from '../core/errors.js';
import type { Cursor } from './source.js';

export interface IngestState {
  cursors(): Promise<Record<string, Record<string, Cursor>>>;
  save(source: string, stream: string, cursor: Cursor): Promise<void>;
  close(): Promise<void>;
}

export async function openIngestState(path: string): Promise<IngestState> {
  let conn: DuckDBConnection;
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path);
    conn = await instance.connect();
  } catch (err) {
    throw new StoreError('CP_ERR_STORE_LOCKED', `cannot open ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  await conn.run(
    'CREATE TABLE IF NOT EXISTS ingest_cursors (source VARCHAR, stream VARCHAR, cursor VARCHAR, updated_at TIMESTAMPTZ, PRIMARY KEY (source, stream))',
  );
  return {
    async cursors() {
      const rows = (
        await conn.runAndReadAll('SELECT source, stream, cursor FROM ingest_cursors')
      ).getRowObjectsJS();
      const out: Record<string, Record<string, Cursor>> = {};
      for (const r of rows) {
        const source = String(r.source);
        out[source] = { ...out[source], [String(r.stream)]: JSON.parse(String(r.cursor)) as Cursor };
      }
      return out;
    },
    async save(source, stream, cursor) {
      await conn.run('INSERT OR REPLACE INTO ingest_cursors VALUES ($source, $stream, $cursor, now())', {
        source,
        stream,
        cursor: JSON.stringify(cursor),
      });
    },
    async close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
