/**
 * `GET /v1/compstat`: one source's counts for a period of local days against the previous period of the
 * same length and the same dates a year earlier, per area × category plus `all` totals, with exact
 * rate tests and Benjamini–Hochberg q-values (src/model/compstat). Reads daily windows.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import { compstat } from '../../model/compstat/compstat.js';
import { tsToIso } from '../../store/rows.js';
import { filterParams, rows, whereFilter } from '../data/sql-filter.js';
import { type RouteOptions, requireStore } from '../route-context.js';
import { AreaParam, CategoryParam, ERROR_RESPONSES, intParam, SourceParam } from '../schemas.js';

const LocalDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD (a local day of the source)');

export const CompStatQuery = z
  .object({
    source: SourceParam.refine((v) => v.length === 1, 'compstat compares one source: give exactly one'),
    area: AreaParam.optional(),
    category: CategoryParam.optional(),
    from: LocalDate.describe('First local day of the current period (inclusive).'),
    to: LocalDate.describe('Local day after the current period (exclusive).'),
    limit: intParam(1, 5000, 500),
  })
  .strict();

const Comparison = z.object({
  baseline: z.number(),
  expected: z.number().describe('Baseline scaled to the current period length.'),
  pctChange: z.number().nullable(),
  pExact: z.number().describe('Two-sided exact conditional binomial test of equal rates.'),
  z: z.number().describe('Variance-stabilised (square-root) z.'),
  q: z.number().describe('Benjamini–Hochberg q over all rows of this comparison.'),
  significant: z.boolean().describe('q ≤ 0.05.'),
});
const Period = z.object({ from: z.string(), to: z.string() });

export const CompStatResponse = z.object({
  source: z.string(),
  timeZone: z.string(),
  current: Period,
  previous: Period,
  lastYear: Period,
  items: z.array(
    z.object({
      areaId: z.string(),
      category: z.string(),
      current: z.number(),
      previous: Comparison,
      lastYear: Comparison,
    }),
  ),
  truncated: z.boolean(),
});

const ZONE_SQL = 'SELECT any_value(time_zone) AS tz FROM events WHERE source = CAST($s AS VARCHAR)';
const ROWS_SQL = `SELECT area_id, category, CAST(window_start AS VARCHAR) AS start, event_count AS count
  FROM windows_daily WHERE ${whereFilter('window_start')}`;

export const compstatRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      schema: {
        tags: ['data'],
        summary: 'Period comparison with significance (CompStat)',
        querystring: CompStatQuery,
        response: { 200: CompStatResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const conn = requireStore(deps);
      const source = q.source[0] as string;
      const [zone] = await rows(conn, ZONE_SQL, { s: source });
      const timeZone = typeof zone?.tz === 'string' ? zone.tz : 'UTC';
      const from = DateTime.fromISO(q.from, { zone: timeZone });
      const to = DateTime.fromISO(q.to, { zone: timeZone });
      if (!from.isValid || !to.isValid)
        throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.from/to: not a valid calendar date');
      if (from.year < 1900 || to.year > 2200)
        throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.from/to: years 1900..2200 only');
      if (to <= from) throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.to: must be after from');
      if (to.diff(from, 'days').days > 366)
        throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.to: the period is at most 366 days');
      const len = to.toMillis() - from.toMillis();
      const lo = Math.min(from.toMillis() - len, from.minus({ years: 1 }).toMillis()) - 2 * 86_400_000;
      const raw = await rows(conn, ROWS_SQL, {
        ...filterParams({
          source: [source],
          ...(q.area ? { area: q.area } : {}),
          ...(q.category ? { category: q.category } : {}),
        }),
        from: lo,
        to: to.toMillis() + 2 * 86_400_000,
      });
      const report = compstat(
        raw.map((r) => ({
          area_id: String(r.area_id),
          category: String(r.category),
          start: tsToIso(r.start),
          count: Number(r.count),
        })),
        { from: q.from, to: q.to },
        { timeZone },
      );
      const cmp = (c: (typeof report.rows)[number]['previous']) => ({
        baseline: c.baseline,
        expected: c.expected,
        pctChange: c.pctChange,
        pExact: c.pExact,
        z: c.z,
        q: c.q,
        significant: c.q <= 0.05,
      });
      return {
        source,
        timeZone,
        current: report.current,
        previous: report.previous,
        lastYear: report.lastYear,
        items: report.rows.slice(0, q.limit).map((r) => ({
          areaId: r.area_id,
          category: r.category,
          current: r.current,
          previous: cmp(r.previous),
          lastYear: cmp(r.lastYear),
        })),
        truncated: report.rows.length > q.limit,
      };
    },
  );
};
