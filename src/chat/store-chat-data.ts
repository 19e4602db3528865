/**
 * `ChatData` on the store of this process: the store's query functions (`sourcesSummary`,
 * `windowSeries`) plus one anomaly query with the store's own SELECT and row mapper. Counts are sums
 * of window rows, so they equal what `/v1/windows` returns for the same filter.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ChatError, StoreError } from '../core/errors.js';
import { ANOMALY_SELECT } from '../store/duckdb-store.js';
import { sourcesSummary, windowSeries } from '../store/index.js';
import { rowToAnomaly } from '../store/rows.js';
import {
  type AnomalyQuery,
  type ChatData,
  type ChatSource,
  type CountQuery,
  rankAreas,
  toChatAnomaly,
} from './chat-data.js';

export interface StoreChatDataOptions {
  reader: DuckDBConnection;
  /** The source status board (mode per source), when this process runs the sources. */
  board?: { list(): { source: string; mode?: 'live' | 'replay' }[] };
}

const SEP = '\u001f';
const WINDOW_ROW_LIMIT = 100_000;

const ANOMALY_SQL = `${ANOMALY_SELECT}
  WHERE list_contains(string_split(CAST($sources AS VARCHAR), chr(31)), source)
    AND (CAST($areas AS VARCHAR) IS NULL OR list_contains(string_split(CAST($areas AS VARCHAR), chr(31)), area_id))
    AND (CAST($category AS VARCHAR) IS NULL OR category = CAST($category AS VARCHAR))
    AND window_start >= epoch_ms(CAST($from AS BIGINT)) AND window_start < epoch_ms(CAST($to AS BIGINT))
  ORDER BY window_start DESC, id DESC LIMIT CAST($limit AS INTEGER)`;

export function storeChatData(options: StoreChatDataOptions): ChatData {
  const conn = options.reader;

  async function windowTotals(q: CountQuery): Promise<Map<string, number>> {
    const single = q.areas?.length === 1 ? q.areas[0] : undefined;
    const rows = await windowSeries(conn, q.granularity, {
      source: q.source,
      ...(single !== undefined ? { areaId: single } : {}),
      ...(q.category ? { category: q.category } : {}),
      from: new Date(q.from).toISOString().replace(/Z$/, 'Z'),
      to: new Date(q.to).toISOString(),
    });
    // windowSeries stops at 100,000 rows: a truncated sum would be a wrong number, so refuse instead.
    if (rows.length >= WINDOW_ROW_LIMIT)
      throw new ChatError(
        'CP_ERR_CHAT_DATA',
        'that period has too many windows for one answer; ask for whole months or a single area',
      );
    const keep = q.areas && q.areas.length > 1 ? new Set(q.areas) : undefined;
    const totals = new Map<string, number>();
    for (const r of rows) {
      if (keep && !keep.has(r.areaId)) continue;
      totals.set(r.areaId, (totals.get(r.areaId) ?? 0) + r.eventCount);
    }
    return totals;
  }

  return {
    origin: 'store',
    async sources(): Promise<ChatSource[]> {
      const modes = new Map((options.board?.list() ?? []).map((v) => [v.source, v.mode ?? null]));
      const stored = await sourcesSummary(conn);
      return stored.map((s) => ({
        source: s.source,
        events: s.events,
        newestOccurredAt: s.newestOccurredAt,
        mode: modes.get(s.source) ?? null,
      }));
    },
    async count(q) {
      let sum = 0;
      for (const v of (await windowTotals(q)).values()) sum += v;
      return sum;
    },
    async topAreas(q, limit) {
      return rankAreas(await windowTotals(q), Math.min(limit, 100));
    },
    async anomalies(q: AnomalyQuery) {
      let raw: Record<string, unknown>[];
      try {
        raw = (
          await conn.runAndReadAll(ANOMALY_SQL, {
            sources: q.sources.join(SEP),
            areas: q.areas && q.areas.length > 0 ? q.areas.join(SEP) : null,
            category: q.category ?? null,
            from: Date.parse(q.from),
            to: Date.parse(q.to),
            limit: q.limit,
          })
        ).getRowObjectsJS() as Record<string, unknown>[];
      } catch (err) {
        throw new StoreError(
          'CP_ERR_STORE_QUERY',
          `store query failed: ${(err as Error).message.split('\n')[0]}`,
          { cause: err },
        );
      }
      return raw.map((r) => toChatAnomaly(rowToAnomaly(r)));
    },
  };
}
