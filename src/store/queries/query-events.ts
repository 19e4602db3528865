/**
 * Events by filter, newest first, with keyset paging: the page token is the (occurredAt, id) of the
 * last row, so pages stay stable while new events arrive (no OFFSET).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import type { CrimeEvent } from '../../core/crime-event.js';
import { ApiError } from '../../core/errors.js';
import { EVENT_SELECT } from '../duckdb-store.js';
import { rowToEvent } from '../rows.js';
import { filterParams, SeriesFilter, whereFilter } from './filters.js';

export const EventQuery = SeriesFilter.extend({
  bbox: z
    .tuple([z.number(), z.number(), z.number(), z.number()])
    .optional()
    .describe('minLon, minLat, maxLon, maxLat (WGS84).'),
  limit: z.number().int().min(1).max(1000).default(100),
  pageToken: z.string().optional(),
});
export type EventQuery = z.input<typeof EventQuery>;

export interface EventPage {
  events: CrimeEvent[];
  nextPageToken: string | null;
}

const Token = z.object({ t: z.number(), id: z.string() });

function decodeToken(token: string): z.infer<typeof Token> {
  try {
    return Token.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch (err) {
    throw new ApiError('CP_ERR_API_VALIDATION', 'invalid pageToken', { cause: err });
  }
}

const SQL = `${EVENT_SELECT}
  WHERE ${whereFilter('occurred_at')}
    AND (CAST($minLon AS DOUBLE) IS NULL OR (lon BETWEEN CAST($minLon AS DOUBLE) AND CAST($maxLon AS DOUBLE)
         AND lat BETWEEN CAST($minLat AS DOUBLE) AND CAST($maxLat AS DOUBLE)))
    AND (CAST($afterT AS DOUBLE) IS NULL OR occurred_at < epoch_ms(CAST($afterT AS BIGINT))
         OR (occurred_at = epoch_ms(CAST($afterT AS BIGINT)) AND id < CAST($afterId AS VARCHAR)))
  ORDER BY occurred_at DESC, id DESC
  LIMIT CAST($limit AS INTEGER)`;

export async function queryEvents(conn: DuckDBConnection, query: EventQuery): Promise<EventPage> {
  const q = EventQuery.parse(query);
  const after = q.pageToken ? decodeToken(q.pageToken) : undefined;
  const raw = (
    await conn.runAndReadAll(SQL, {
      ...filterParams(q),
      minLon: q.bbox?.[0] ?? null,
      minLat: q.bbox?.[1] ?? null,
      maxLon: q.bbox?.[2] ?? null,
      maxLat: q.bbox?.[3] ?? null,
      afterT: after?.t ?? null,
      afterId: after?.id ?? null,
      limit: q.limit + 1,
    })
  ).getRowObjectsJS() as Record<string, unknown>[];
  const events = raw.slice(0, q.limit).map(rowToEvent);
  const last = events[events.length - 1];
  const nextPageToken =
    raw.length > q.limit && last
      ? Buffer.from(JSON.stringify({ t: Date.parse(last.occurredAt), id: last.id })).toString('base64url')
      : null;
  return { events, nextPageToken };
}
