/** `GET /v1/models`: registered models, their versions and metrics, and which version is `champion`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import type { RouteOptions } from '../route-context.js';
import { ERROR_RESPONSES } from '../schemas.js';

export const ModelsResponse = z.object({
  items: z.array(
    z.object({
      name: z.string().describe('`predict-iforest` or `series-anomaly`.'),
      champion: z.string().nullable(),
      versions: z.array(
        z.object({
          version: z.string(),
          metrics: z.record(z.string(), z.number()),
          createdAt: z.string().optional(),
          aliases: z.array(z.string()),
          runId: z.string().optional(),
        }),
      ),
    }),
  ),
});

export const modelRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '',
    {
      schema: {
        tags: ['models'],
        summary: 'Model versions, metrics and champions',
        response: { 200: ModelsResponse, ...ERROR_RESPONSES },
      },
    },
    async () => {
      if (deps.models === undefined)
        throw new ApiError('CP_ERR_API_UNAVAILABLE', 'no model registry is wired in this process');
      return { items: await deps.models.list() };
    },
  );
};
