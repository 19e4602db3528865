/** `GET /v1/windows`: the count series of a filter at one granularity (windows summed across series), oldest first. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import { tsToIso } from '../../store/rows.js';
import { filterParams, rows, whereFilter } from '../data/sql-filter.js';
import { type RouteOptions, requireStore } from '../route-context.js';
import {
  decodeToken,
  ERROR_RESPONSES,
  encodeToken,
  FilterQuery,
  GranularityParam,
  intParam,
  PageTokenParam,
  page,
} from '../schemas.js';

export const WindowsQuery = FilterQuery.extend({
  granularity: GranularityParam.default('day').describe(
    'hour | day | month (local calendar of each source); default day.',
  ),
  limit: intParam(1, 10_000, 1000),
  pageToken: PageTokenParam.optional(),
}).strict();

export const WindowPoint = z.object({
  windowStart: z.string().describe('UTC instant.'),
  windowEnd: z.string(),
  events: z.number().int(),
  incidents: z.number().int().describe('Distinct incidents (summed per series).'),
});

const TABLE = { hour: 'windows_hourly', day: 'windows_daily', month: 'windows_monthly' } as const;
const Token = z.object({ after: z.number().finite() });

const sql = (
  table: string,
): string => `SELECT CAST(window_start AS VARCHAR) AS ws, CAST(max(window_end) AS VARCHAR) AS we,
    sum(event_count) AS events, sum(incident_count) AS incidents
  FROM ${table} WHERE ${whereFilter('window_start')}
    AND (CAST($after AS DOUBLE) IS NULL OR window_start > epoch_ms(CAST($after AS BIGINT)))
  GROUP BY window_start HAVING sum(event_count) > 0 ORDER BY window_start LIMIT CAST($limit AS INTEGER)`;

const SQL = { hour: sql(TABLE.hour), day: sql(TABLE.day), month: sql(TABLE.month) } as const;

export const windowRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      schema: {
        tags: ['data'],
        summary: 'Window counts of a filter (one series), oldest first; windows without events are left out',
        querystring: WindowsQuery,
        response: { 200: page(WindowPoint).extend({ granularity: GranularityParam }), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const conn = requireStore(deps);
      const after = q.pageToken === undefined ? undefined : decodeToken(q.pageToken, Token);
      if (q.pageToken !== undefined && after === undefined)
        throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.pageToken: not a page token of this route');
      const raw = await rows(conn, SQL[q.granularity], {
        ...filterParams(q),
        after: after?.after ?? null,
        limit: q.limit + 1,
      });
      const items = raw.slice(0, q.limit).map((r) => ({
        windowStart: tsToIso(r.ws),
        windowEnd: tsToIso(r.we),
        events: Number(r.events),
        incidents: Number(r.incidents),
      }));
      const last = items[items.length - 1];
      const nextPageToken =
        raw.length > q.limit && last ? encodeToken({ after: Date.parse(last.windowStart) }) : null;
      return { granularity: q.granularity, items, nextPageToken };
    },
  );
};
