/**
 * `POST /predict` and `GET /predict/schema`: the original design's anomaly scorer, wire-compatible
 * with the FastAPI service it replaces (shared/peers/seed_fastapi_peer.py): `{"features": [...]}` with
 * one vector or a list of up to 10,000, answering `{"anomaly_score": [...]}` (higher = more anomalous)
 * and, for every error under /predict, FastAPI's `{"detail": ...}` shape (422 for bad input, 413 for a
 * body over 1 MiB, 415 for a non-JSON body, 503 before a model exists).
 *
 * Hot path: the body is parsed with plain JSON.parse (see the parser below), checked by a hand-written
 * walker into a Float64Array (parse-predict-body.ts), scored in one batch call, and the answer is
 * written as a string so no schema serializer runs. The zod schemas below only document the route.
 */
import type { FastifyError, FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PREDICT_FEATURES } from '../../model/iforest/isolation-forest.js';
import type { PredictModel, PredictModelSource } from '../app-deps.js';
import { MAX_BATCH, parsePredictBody } from '../predict/parse-predict-body.js';

const FEATURE_DOCS: Record<(typeof PREDICT_FEATURES)[number], string> = {
  count: 'events in the hour (one series)',
  hour: 'hour of day, 0..23 (local time)',
  day_of_week: 'day of week, 0 = Monday .. 6 = Sunday',
  rolling_mean: 'mean count of the previous 24 hours',
};

const Vector = z.array(z.number()).length(PREDICT_FEATURES.length);
export const PredictBody = z
  .object({
    features: z
      .union([Vector, z.array(Vector).min(1).max(MAX_BATCH)])
      .describe(
        `One vector of ${PREDICT_FEATURES.length} finite numbers [${PREDICT_FEATURES.join(', ')}], or a list of up to ${MAX_BATCH} vectors.`,
      ),
  })
  .strict();
export const PredictResponse = z.object({
  anomaly_score: z.array(z.number()).describe('One score per vector, in (0, 1]; higher = more anomalous.'),
});
export const PredictError = z.object({ detail: z.string() }).describe('FastAPI-style error.');
export const PredictSchemaResponse = z.object({
  features: z.array(z.string()).describe('Feature names in vector order.'),
  descriptions: z.record(z.string(), z.string()),
  maxBatch: z.number().int(),
  scoreRange: z.tuple([z.number(), z.number()]),
  higherIsMoreAnomalous: z.boolean(),
  model: z.object({
    name: z.literal('predict-iforest'),
    alias: z.literal('champion'),
    version: z.string().nullable(),
  }),
});

function resolve(src: PredictModelSource | undefined): PredictModel | undefined {
  return typeof src === 'function' ? src() : src;
}

/**
 * /predict is registered outside helmet's context (@fastify/helmet rebuilds its middleware on every
 * request, ~10% of a /predict call), so it sends the headers that matter for a JSON API, fixed once here.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
} as const;

const detail = (reply: FastifyReply, status: number, message: string): FastifyReply =>
  reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ detail: message }));

export interface PredictRoutesOptions {
  model: PredictModelSource | undefined;
}

export const predictRoutes: FastifyPluginAsyncZod<PredictRoutesOptions> = async (app, opts) => {
  // Plain JSON.parse instead of fastify's secure-json-parse: the body is only read through the
  // 'features' key and any other key (including a literal "__proto__") is rejected, so prototype
  // poisoning cannot reach anything, and JSON.parse alone is the cheapest parser there is.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'string' },
    (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        const e = new Error(`invalid JSON: ${(err as Error).message}`) as FastifyError;
        e.statusCode = 422;
        done(e, undefined);
      }
    },
  );

  // Every error in this scope answers FastAPI's {"detail": ...}.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const code = err.code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return detail(reply, 413, 'request body too large (limit 1 MiB)');
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return detail(reply, 415, 'unsupported content type: send application/json');
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return detail(reply, 422, 'invalid JSON: empty body');
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? err.statusCode
        : 500;
    if (status === 400) return detail(reply, 422, err.message);
    if (status < 500) return detail(reply, status, err.message);
    req.log.error({ err }, 'predict failed');
    return detail(reply, 500, 'internal error');
  });
  app.setNotFoundHandler((_req, reply) => detail(reply, 404, 'Not Found'));

  const names = PREDICT_FEATURES;
  app.get(
    '/schema',
    {
      schema: {
        tags: ['predict'],
        summary: 'Feature order and limits of /predict',
        response: { 200: PredictSchemaResponse },
      },
    },
    async () => ({
      features: [...names],
      descriptions: { ...FEATURE_DOCS },
      maxBatch: MAX_BATCH,
      scoreRange: [0, 1] as [number, number],
      higherIsMoreAnomalous: true,
      model: {
        name: 'predict-iforest' as const,
        alias: 'champion' as const,
        version: resolve(opts.model)?.version ?? null,
      },
    }),
  );

  app.post(
    '',
    {
      // Documented with zod, validated by parsePredictBody: the no-op compiler keeps zod off the hot path.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['predict'],
        summary: 'Anomaly scores of feature vectors (champion of predict-iforest)',
        body: PredictBody,
        response: {
          200: PredictResponse,
          413: PredictError,
          415: PredictError,
          422: PredictError,
          503: PredictError,
        },
      },
    },
    (req, typedReply) => {
      // The answer is pre-serialised text (see header), so use the untyped reply.
      const reply = typedReply as unknown as FastifyReply;
      reply.headers(SECURITY_HEADERS);
      const model = resolve(opts.model);
      if (model === undefined) {
        detail(
          reply,
          503,
          'no predict-iforest champion is loaded yet: train one (crimepulse train) or wait for the model to load',
        );
        return;
      }
      const parsed = parsePredictBody(req.body, names);
      if (!parsed.ok) {
        detail(reply, 422, parsed.detail);
        return;
      }
      const scores = model.score(parsed.data, parsed.nRows);
      let out = '{"anomaly_score":[';
      for (let i = 0; i < parsed.nRows; i++) {
        if (i > 0) out += ',';
        out += String(scores[i]);
      }
      out += ']}';
      reply.header('x-model-version', model.version).type('application/json; charset=utf-8').send(out);
    },
  );
};
