/** `GET /v1/anomalies`: flagged windows with their explanation, newest window first, keyset-paged. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import { AnomalyRow } from '../../pipeline/index.js';
import { ANOMALY_SELECT } from '../../store/duckdb-store.js';
import { rowToAnomaly } from '../../store/rows.js';
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
  SeverityParam,
} from '../schemas.js';

export const AnomaliesQuery = FilterQuery.extend({
  granularity: GranularityParam.optional(),
  minSeverity: SeverityParam.optional().describe('low | medium | high: only anomalies at least this severe.'),
  limit: intParam(1, 1000, 100),
  pageToken: PageTokenParam.optional(),
}).strict();

export const AnomalyItem = AnomalyRow.extend({
  explanation: z.string().describe('One sentence: observed against expected, interval, p and q.'),
});

const LEVELS = ['low', 'medium', 'high'] as const;
const Token = z.object({ t: z.number().finite(), id: z.string().max(2000) });

const SQL = `${ANOMALY_SELECT}
  WHERE ${whereFilter('window_start')}
    AND (CAST($granularity AS VARCHAR) IS NULL OR granularity = CAST($granularity AS VARCHAR))
    AND list_contains(string_split(CAST($severities AS VARCHAR), ','), severity)
    AND (CAST($afterT AS DOUBLE) IS NULL OR window_start < epoch_ms(CAST($afterT AS BIGINT))
         OR (window_start = epoch_ms(CAST($afterT AS BIGINT)) AND id < CAST($afterId AS VARCHAR)))
  ORDER BY window_start DESC, id DESC LIMIT CAST($limit AS INTEGER)`;

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export function explain(a: AnomalyRow): string {
  const dir = a.observed >= a.expected ? 'above' : 'below';
  const q = a.qValue === null ? '' : `, q = ${a.qValue.toPrecision(2)}`;
  return `${a.observed} ${a.category} events in ${a.source} area ${a.areaId} (${a.granularity} from ${a.windowStart}), ${dir} the expected ${fmt(a.expected)} (interval ${fmt(a.lower)}–${fmt(a.upper)}); p = ${a.pValue.toPrecision(2)}${q}; severity ${a.severity}.`;
}

export const anomalyRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      // rowToAnomaly already checked each row against AnomalyRow; skip the serializer's second zod pass.
      serializerCompiler: () => (data) => JSON.stringify(data),
      schema: {
        tags: ['data'],
        summary: 'Anomalies with explanations',
        querystring: AnomaliesQuery,
        response: { 200: page(AnomalyItem), ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const conn = requireStore(deps);
      const after = q.pageToken === undefined ? undefined : decodeToken(q.pageToken, Token);
      if (q.pageToken !== undefined && after === undefined)
        throw new ApiError('CP_ERR_API_VALIDATION', 'querystring.pageToken: not a page token of this route');
      const severities = LEVELS.slice(LEVELS.indexOf(q.minSeverity ?? 'low')).join(',');
      const raw = await rows(conn, SQL, {
        ...filterParams(q),
        granularity: q.granularity ?? null,
        severities,
        afterT: after?.t ?? null,
        afterId: after?.id ?? null,
        limit: q.limit + 1,
      });
      const items = raw.slice(0, q.limit).map((r) => {
        const a = rowToAnomaly(r);
        return { ...a, explanation: explain(a) };
      });
      const last = items[items.length - 1];
      const nextPageToken =
        raw.length > q.limit && last ? encodeToken({ t: Date.parse(last.windowStart), id: last.id }) : null;
      return { items, nextPageToken };
    },
  );
};
