/**
 * `/admin/*`: retrain, promote, replay. Registered only when an admin token is configured (otherwise
 * every /admin URL is a plain 404); each request needs `Authorization: Bearer <token>`, compared in
 * constant time (SHA-256 digests of both sides, so even the length does not leak through timing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, CrimePulseError } from '../../core/errors.js';
import type { AdminActions } from '../app-deps.js';
import type { RouteOptions } from '../route-context.js';
import { ApiErrorBody } from '../schemas.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  const given = digest(m?.[1] ?? '');
  // Always compare, even without a header, so the answer's timing says nothing.
  return timingSafeEqual(given, digest(token)) && m !== null;
}

const ModelName = z.enum(['predict-iforest', 'series-anomaly']);
export const RetrainBody = z
  .object({ model: ModelName.optional().describe('Retrain one model (default: both).') })
  .strict();
export const PromoteBody = z
  .object({
    model: ModelName,
    version: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a version is [A-Za-z0-9._-]{1,64}'),
  })
  .strict();
export const ReplayBody = z
  .object({
    source: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a source id is [a-z0-9-]{1,64}'),
    file: z
      .string()
      .max(500)
      .regex(/^[^\p{Cc}]+$/u, 'control characters are not allowed')
      .refine((f) => !f.split(/[\\/]/).includes('..'), 'no `..` in the file path')
      .optional()
      .describe('Recorded file under the samples dir (default: the source sample).'),
  })
  .strict();
const AdminResult = z.object({ ok: z.literal(true), action: z.string(), result: z.unknown() });
const ERRORS = { 400: ApiErrorBody, 401: ApiErrorBody, 502: ApiErrorBody, 503: ApiErrorBody } as const;

export const adminRoutes: FastifyPluginAsyncZod<RouteOptions & { token: string }> = async (
  app,
  { deps, token },
) => {
  app.addHook('onRequest', async (req, reply) => {
    if (!bearerMatches(req.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer realm="crimepulse-admin"');
      throw new ApiError('CP_ERR_API_UNAUTHORIZED');
    }
  });

  async function run(action: string, fn: (a: AdminActions) => Promise<unknown>) {
    const actions = deps.admin;
    if (actions === undefined)
      throw new ApiError('CP_ERR_API_UNAVAILABLE', 'admin actions are not wired in this process');
    try {
      return { ok: true as const, action, result: (await fn(actions)) ?? null };
    } catch (err) {
      if (err instanceof CrimePulseError) throw err;
      throw new ApiError('CP_ERR_API_ADMIN_FAILED', `${action} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  const security = [{ bearer: [] }];
  app.post(
    '/retrain',
    {
      schema: {
        tags: ['admin'],
        security,
        summary: 'Retrain models (evaluation decides promotion)',
        body: RetrainBody.nullish(),
        response: { 200: AdminResult, ...ERRORS },
      },
    },
    async (req) => run('retrain', (a) => a.retrain(req.body?.model)),
  );
  app.post(
    '/promote',
    {
      schema: {
        tags: ['admin'],
        security,
        summary: 'Point the champion alias at a version',
        body: PromoteBody,
        response: { 200: AdminResult, ...ERRORS },
      },
    },
    async (req) => run('promote', (a) => a.promote(req.body.model, req.body.version)),
  );
  app.post(
    '/replay',
    {
      schema: {
        tags: ['admin'],
        security,
        summary: 'Replay a recorded file through the running pipeline',
        body: ReplayBody,
        response: { 200: AdminResult, ...ERRORS },
      },
    },
    async (req) => run('replay', (a) => a.replay(req.body.source, req.body.file)),
  );
};
