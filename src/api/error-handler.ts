/**
 * One error shape for /v1 and /admin: `{code, message, statusCode}`, codes from src/core/errors.ts.
 * Client mistakes are 4xx with the field named (`querystring.limit: ...`); anything unexpected is a
 * 500 `CP_ERR_INTERNAL` whose message never carries a stack or internals (the log has them, with reqId).
 * /predict has its own handler (FastAPI's `{detail}` shape) in routes/predict.ts.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { CrimePulseError, ERRORS, type ErrorCode } from '../core/errors.js';

/** True for /predict URLs, which answer FastAPI's `{detail}` even when a root-level handler catches them (e.g. OPTIONS). */
export const isPredictUrl = (url: string): boolean => /^\/predict(?:[/?#]|$)/.test(url);

function send(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  const spec = ERRORS[code];
  if (isPredictUrl(reply.request.url))
    return reply.code(spec.status).send({ detail: message ?? spec.message });
  return reply.code(spec.status).send({ code, message: message ?? spec.message, statusCode: spec.status });
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'CP_ERR_API_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'CP_ERR_API_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_NOT_FOUND: 'CP_ERR_API_NOT_FOUND',
};

export function apiErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const parts = err.validation.slice(0, 3).map((v) => {
      const path = v.instancePath ? v.instancePath.replace(/^\//, '').replaceAll('/', '.') : '';
      return `${where}${path ? `.${path}` : ''}: ${v.message ?? 'invalid'}`;
    });
    return send(reply, 'CP_ERR_API_VALIDATION', parts.join('; '));
  }
  if (err instanceof CrimePulseError) {
    if (err.status >= 500) req.log.error({ err, code: err.code }, 'request failed');
    return send(reply, err.code, err.message);
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err, issues: err.cause.issues }, 'response failed its schema');
    return send(reply, 'CP_ERR_INTERNAL');
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped)
    return send(
      reply,
      mapped,
      mapped === 'CP_ERR_API_PAYLOAD_TOO_LARGE' ? 'request body too large (limit 1 MiB)' : undefined,
    );
  const status = err.statusCode;
  if (status === 429) return send(reply, 'CP_ERR_API_RATE_LIMITED', err.message);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Other client errors fastify raises (bad JSON, empty JSON body, bad content length...).
    return send(
      reply,
      status === 404 ? 'CP_ERR_API_NOT_FOUND' : 'CP_ERR_API_VALIDATION',
      `body: ${err.message}`,
    );
  }
  req.log.error({ err }, 'unexpected error');
  return send(reply, 'CP_ERR_INTERNAL');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler((req, reply) =>
    isPredictUrl(req.url)
      ? reply.code(404).send({ detail: 'Not Found' })
      : send(reply, 'CP_ERR_API_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]?.slice(0, 200)}`),
  );
}
