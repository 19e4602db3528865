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
const TOTAL = `SELECT count(*) AS events, count(DISTINCT source || ':' || incident_key) AS incidents,
  CAST(min(occurred_at) AS VARCHAR) AS first, CAST(max(occurred_at) AS VARCHAR) AS last FROM events ${W}`;
const BY_SOURCE = `SELECT source, count(*) AS events FROM events ${W} GROUP BY source ORDER BY events DESC, source`;
const MIX = `SELECT category, count(*) AS events, count(*) / sum(count(*)) OVER () AS share FROM events ${W}
  GROUP BY category ORDER BY events DESC, category`;
const TOP = `SELECT source, area_id AS "areaId", count(*) AS events FROM events ${W}
  GROUP BY source, area_id ORDER BY events DESC, source, area_id LIMIT CAST($limit AS INTEGER)`;

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
      const [total] = await rows(conn, TOTAL, p);
      const sources = await rows(conn, BY_SOURCE, p);
      const mix = await rows(conn, MIX, p);
      const top = await rows(conn, TOP, { ...p, limit: q.limit });
      return {
        events: Number(total?.events ?? 0),
        incidents: Number(total?.incidents ?? 0),
        firstOccurredAt: total?.first == null ? null : tsToIso(total.first),
        lastOccurredAt: total?.last == null ? null : tsToIso(total.last),
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
