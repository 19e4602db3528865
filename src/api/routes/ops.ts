/** `/health` (process up), `/ready` (dependencies usable), `/metrics` (Prometheus text). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registry } from '../../core/metrics.js';
import type { RouteOptions } from '../route-context.js';

const Ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), z.boolean()) });

export const opsRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['ops'],
        summary: 'Liveness',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({
      status: 'ok' as const,
    }),
  );
  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: store open, model loaded, bus reachable',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, boolean> = {};
      const store = deps.store;
      // The store check comes for free when a store is wired; the caller's checks (model, bus) may override it.
      const all: Record<string, () => Promise<boolean> | boolean> = {
        ...(store
          ? {
              store: async () =>
                (await store.reader.runAndReadAll('SELECT 1 AS ok')).getRowObjectsJS().length === 1,
            }
          : {}),
        ...deps.readiness,
      };
      for (const [name, check] of Object.entries(all)) {
        try {
          checks[name] = (await check()) === true;
        } catch {
          checks[name] = false;
        }
      }
      const ok = Object.values(checks).every(Boolean);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks });
    },
  );
  app.get(
    '/metrics',
    { schema: { tags: ['ops'], summary: 'Prometheus metrics', response: { 200: z.string() } } },
    async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    },
  );
};
