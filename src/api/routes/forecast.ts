/** `GET /v1/forecast`: the count model's forecast of one series (source × area × category) with intervals. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import type { RouteOptions } from '../route-context.js';
import { AreaParam, CategoryParam, ERROR_RESPONSES, GranularityParam, SourceParam } from '../schemas.js';

export const ForecastQuery = z
  .object({
    source: SourceParam.refine((v) => v.length === 1, 'a forecast is of one series: give exactly one source'),
    area: AreaParam.refine((v) => v.length === 1, 'a forecast is of one series: give exactly one area'),
    category: CategoryParam.refine(
      (v) => v.length === 1,
      'a forecast is of one series: give exactly one category',
    ),
    granularity: GranularityParam.default('day'),
    horizon: z
      .string()
      .regex(/^\d{1,4}$/, 'expected a whole number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(366))
      .optional()
      .transform((v) => v ?? 7)
      .describe('Windows ahead, 1..366, default 7.'),
  })
  .strict();

export const ForecastResponse = z.object({
  source: z.string(),
  area: z.string(),
  category: z.string(),
  granularity: GranularityParam,
  modelVersion: z.string(),
  items: z.array(
    z.object({ windowStart: z.string(), expected: z.number(), lower: z.number(), upper: z.number() }),
  ),
});

export const forecastRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      schema: {
        tags: ['models'],
        summary: 'Forecast of one series with intervals',
        querystring: ForecastQuery,
        response: { 200: ForecastResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const f = deps.forecaster;
      if (f === undefined)
        throw new ApiError(
          'CP_ERR_API_UNAVAILABLE',
          'no series-anomaly model is loaded in this process, so there is no forecast yet',
        );
      const series = {
        source: q.source[0] as string,
        area: q.area[0] as string,
        category: q.category[0] as string,
      };
      const items = await f.forecast({ ...series, granularity: q.granularity, horizon: q.horizon });
      if (items === undefined)
        throw new ApiError(
          'CP_ERR_API_NOT_FOUND',
          `no model covers the series ${series.source}/${series.area}/${series.category} (${q.granularity})`,
        );
      return { ...series, granularity: q.granularity, modelVersion: f.version, items };
    },
  );
};
