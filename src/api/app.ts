/**
 * The HTTP app (fastify). `buildApp(deps)` returns an app that tests drive with `app.inject()`; only the
 * CLI calls `listen`. Route groups are encapsulated plugins; dependencies come in through `deps`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.js';
import { registry } from '../core/metrics.js';
import type { SourceStatusBoard } from '../sources/status-board.js';

export interface AppDeps {
  log: Logger;
  board: SourceStatusBoard;
  /** Readiness checks by name (store open, model loaded, bus reachable). */
  readiness?: Record<string, () => Promise<boolean> | boolean>;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({ loggerInstance: deps.log.child({ component: "api" }) as FastifyInstance["log"], bodyLimit: 1024 * 1024, disableRequestLogging: true });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of Object.entries(deps.readiness ?? {})) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not-ready', checks });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  app.get('/v1/sources', async () => ({ sources: deps.board.list() }));
  return app;
}
