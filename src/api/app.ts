/**
 * The HTTP app (fastify). `buildApp(deps)` returns a ready app that tests drive with `app.inject()`;
 * only the CLI calls `listen`. Route groups are encapsulated plugins; dependencies come in through
 * `deps` (app-deps.ts), and a route whose dependency is absent answers 503 saying what is missing.
 *
 * Shared infrastructure, in registration order: zod validator/serializer, the error catalogue
 * handler, request metrics, helmet, CORS, per-client rate limits (only on routes that opt in with
 * `config.rateLimit`), swagger (OpenAPI from the same zod schemas). Request ids come from
 * `x-request-id` when the client sends a sane one, travel into every log line as `reqId`, and are
 * echoed in the response header.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController, type RawServerDefault } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { ApiError } from '../core/errors.js';
import { histogram } from '../core/metrics.js';
import type { AppDeps } from './app-deps.js';
import { registerErrorHandling } from './error-handler.js';
import { webPlugin } from './plugins/web.js';
import type { RouteOptions } from './route-context.js';
import { adminRoutes } from './routes/admin.js';
import { anomalyRoutes } from './routes/anomalies.js';
import { compstatRoutes } from './routes/compstat.js';
import { docsRoutes } from './routes/docs.js';
import { eventRoutes } from './routes/events.js';
import { forecastRoutes } from './routes/forecast.js';
import { heatmapRoutes } from './routes/heatmap.js';
import { hotspotRoutes } from './routes/hotspots.js';
import { modelRoutes } from './routes/models.js';
import { opsRoutes } from './routes/ops.js';
import { predictRoutes } from './routes/predict.js';
import { sourceRoutes } from './routes/sources.js';
import { statsRoutes } from './routes/stats.js';
import { streamRoutes } from './routes/stream.js';
import { windowRoutes } from './routes/windows.js';
import { StreamHub } from './stream-hub.js';

export type {
  AdminActions,
  ApiOptions,
  AppDeps,
  EventFeed,
  FeedBatch,
  Forecaster,
  ForecastPoint,
  ForecastQuery,
  ModelRegistryReader,
  ModelVersionInfo,
  PredictModel,
  PredictModelSource,
  RegisteredModelInfo,
} from './app-deps.js';

export const API_VERSION = '1.0.0';
export const BODY_LIMIT = 1024 * 1024;

const requestSeconds = histogram(
  'crimepulse_http_request_duration_seconds',
  'HTTP request duration by method, route pattern and status',
  ['method', 'route', 'status'],
  [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const opts = deps.options ?? {};
  const app = Fastify<RawServerDefault>({
    loggerInstance: deps.log.child({ component: 'api' }) as unknown as FastifyInstance['log'],
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && SANE_REQUEST_ID.test(h) ? h : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  // Hooks every route pays for are callback-style (an async hook costs a promise per request).
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requestSeconds.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'CrimePulse API',
        version: API_VERSION,
        description:
          'Crime events, windows, statistics, anomalies, forecasts and hot spots from UK Police, Chicago, NYC, LA and Socrata cities; the /predict scorer of the original design; a live SSE stream. Errors under /v1 and /admin are `{code, message, statusCode}`; errors under /predict are `{detail}`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'predict', description: 'The original design’s anomaly scorer.' },
        { name: 'data', description: 'Read the store.' },
        { name: 'models', description: 'Models, forecasts and hot spots.' },
        { name: 'stream', description: 'Server-Sent Events.' },
        { name: 'ops', description: 'Health, readiness, metrics, sources.' },
        { name: 'admin', description: 'Bearer-token actions (off without CRIMEPULSE_ADMIN_TOKEN).' },
      ],
    },
    transform: jsonSchemaTransform,
  });

  // /predict sits outside the context with helmet, CORS and rate limiting: their per-request hooks
  // cost ~40% of a single-vector call (the bench target is 0.7× a bare fastify route). It sets its own
  // security headers (routes/predict.ts) and, like the original service, sends no CORS headers.
  await app.register(predictRoutes, { prefix: '/predict', model: deps.predictModel });

  const perMinute = opts.rateLimitPerMinute ?? 600;
  const base: RouteOptions = { deps, limited: { rateLimit: { max: perMinute, timeWindow: 60_000 } } };
  const hub = new StreamHub({
    bufferSize: opts.streamBuffer ?? 1000,
    intervalMs: opts.streamIntervalMs ?? 1000,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
  });

  // Everything else: security headers, CORS, per-client rate limits on routes that opt in.
  await app.register(async (api) => {
    await api.register(helmet, { global: true });
    await api.register(cors, { origin: opts.corsOrigins ?? false });
    await api.register(rateLimit, {
      global: false,
      max: perMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(
          'CP_ERR_API_RATE_LIMITED',
          `too many requests: at most ${ctx.max} per minute on this route; retry after ${Math.ceil(ctx.ttl / 1000)} s`,
        ),
    });
    await api.register(opsRoutes, base);
    await api.register(docsRoutes);
    await api.register(eventRoutes, { ...base, prefix: '/v1/events' });
    await api.register(windowRoutes, { ...base, prefix: '/v1/windows' });
    await api.register(statsRoutes, { ...base, prefix: '/v1/stats' });
    await api.register(heatmapRoutes, { ...base, prefix: '/v1/heatmap' });
    await api.register(compstatRoutes, { ...base, prefix: '/v1/compstat' });
    await api.register(anomalyRoutes, { ...base, prefix: '/v1/anomalies' });
    await api.register(forecastRoutes, { ...base, prefix: '/v1/forecast' });
    await api.register(hotspotRoutes, { ...base, prefix: '/v1/hotspots' });
    await api.register(sourceRoutes, { ...base, prefix: '/v1/sources' });
    await api.register(modelRoutes, { ...base, prefix: '/v1/models' });
    await api.register(streamRoutes, { ...base, hub, prefix: '/v1/stream' });
    if (opts.adminToken)
      await api.register(adminRoutes, { ...base, token: opts.adminToken, prefix: '/admin' });
    // The dashboard sets its own Content-Security-Policy in onSend, over helmet's API default.
    if (deps.web) await api.register(webPlugin, deps.web);
    for (const p of deps.plugins ?? []) await api.register(p.plugin, p.options ?? {});
  });

  app.addHook('onReady', async () => hub.start(deps.feed));
  app.addHook('onClose', async () => hub.stop());
  await app.ready();
  return app;
}
