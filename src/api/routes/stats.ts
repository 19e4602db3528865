/** `GET /v1/stats`: totals, time span, per-source counts, category mix and top areas of a filter (events table). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tsToIso } from '../../store/rows.js';
import { filterParams, rows, whereFilter } from '../data/sql-filter.js';
import { type RouteOptions, requireStore } from '../route-context.js';
import { BboxParam, ERROR_RESPONSES, FilterQuery, intParam } from '../schemas.js';

export const StatsQuery = FilterQuery.extend({
  bbox: BboxParam.optional(),
  limit: intParam(1, 100, 10).describe('Top areas to return (1..100, default 10).'),
}).strict();

export const StatsResponse = z.object({
  events: z.number().int(),
  incidents: z.number().int().describe('Distinct incidentKey.'),
  firstOccurredAt: z.string().nullable(),
  lastOccurredAt: z.string().nullable(),
  sources: z.array(z.object({ source: z.string(), events: z.number().int() })),
  categories: z.array(z.object({ category: z.string(), events: z.number().int(), share: z.number() })),
  topAreas: z.array(z.object({ source: z.string(), areaId: z.string(), events: z.number().int() })),
});

const BBOX = `AND (CAST($minLon AS DOUBLE) IS NULL OR (lon BETWEEN CAST($minLon AS DOUBLE) AND CAST($maxLon AS DOUBLE)
  AND lat BETWEEN CAST($minLat AS DOUBLE) AND CAST($maxLat AS DOUBLE)))`;
const W = `WHERE ${whereFilter('occurred_at')} ${BBOX}`;
// Totals per source in one scan: distinct (source, incident_key) pairs are the per-source distinct
// incident keys summed, which skips building a `source:key` string per event (the route's main cost).
const BY_SOURCE = `SELECT source, count(*) AS events, count(DISTINCT incident_key) AS incidents,
  CAST(min(occurred_at) AS VARCHAR) AS first, CAST(max(occurred_at) AS VARCHAR) AS last
  FROM events ${W} GROUP BY source ORDER BY events DESC, source`;
const MIX = `SELECT category, count(*) AS events, count(*) / sum(count(*)) OVER () AS share FROM events ${W}
  GROUP BY category ORDER BY events DESC, category`;
const TOP = `SELECT source, area_id AS "areaId", count(*) AS events FROM events ${W}
  GROUP BY source, area_id ORDER BY events DESC, source, area_id LIMIT CAST($limit AS INTEGER)`;
// Without a time range or bbox, the category mix and top areas are sums of the monthly windows (every
// event is in exactly one monthly window; the pipeline keeps them equal to the events): a table a few
// hundred times smaller than events.
const MW = `WHERE ${whereFilter('window_start')}`;
const MIX_WINDOWS = `SELECT category, CAST(sum(event_count) AS BIGINT) AS events,
  sum(event_count) / sum(sum(event_count)) OVER () AS share FROM windows_monthly ${MW}
  GROUP BY category HAVING sum(event_count) > 0 ORDER BY events DESC, category`;
const TOP_WINDOWS = `SELECT source, area_id AS "areaId", CAST(sum(event_count) AS BIGINT) AS events FROM windows_monthly ${MW}
  GROUP BY source, area_id HAVING sum(event_count) > 0 ORDER BY events DESC, source, area_id LIMIT CAST($limit AS INTEGER)`;

export const statsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      schema: {
        tags: ['data'],
        summary: 'Summary statistics of a filter',
        querystring: StatsQuery,
        response: { 200: StatsResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const conn = requireStore(deps);
      const p = {
        ...filterParams(q),
        minLon: q.bbox?.[0] ?? null,
        minLat: q.bbox?.[1] ?? null,
        maxLon: q.bbox?.[2] ?? null,
        maxLat: q.bbox?.[3] ?? null,
      };
      const sources = await rows(conn, BY_SOURCE, p);
      const fromWindows = q.from === undefined && q.to === undefined && q.bbox === undefined;
      // DuckDB rejects bound values a statement does not use: the window queries take no bbox.
      const mix = fromWindows ? await rows(conn, MIX_WINDOWS, filterParams(q)) : await rows(conn, MIX, p);
      const top = fromWindows
        ? await rows(conn, TOP_WINDOWS, { ...filterParams(q), limit: q.limit })
        : await rows(conn, TOP, { ...p, limit: q.limit });
      let first: string | null = null;
      let last: string | null = null;
      for (const r of sources) {
        // ISO instants of one format compare as strings.
        const f = tsToIso(r.first);
        const l = tsToIso(r.last);
        if (first === null || f < first) first = f;
        if (last === null || l > last) last = l;
      }
      return {
        events: sources.reduce((n, r) => n + Number(r.events), 0),
        incidents: sources.reduce((n, r) => n + Number(r.incidents), 0),
        firstOccurredAt: first,
        lastOccurredAt: last,
        sources: sources.map((r) => ({ source: String(r.source), events: Number(r.events) })),
        categories: mix.map((r) => ({
          category: String(r.category),
          events: Number(r.events),
          share: Number(r.share),
        })),
        topAreas: top.map((r) => ({
          source: String(r.source),
          areaId: String(r.areaId),
          events: Number(r.events),
        })),
      };
    },
  );
};
