/**
 * One error catalogue for the whole system. Codes are `CP_ERR_<AREA>_<WHAT>`, never reused; each has
 * an HTTP status (used by the API) and a kind that picks the retry policy:
 * `transient` (retry with backoff), `config` (stop and tell the operator), `system` (page a human).
 * docs/errors.md lists every code; test/core/errors.test.ts keeps the two in step.
 */
export type ErrorKind = 'transient' | 'config' | 'system' | 'client';

export interface ErrorSpec {
  readonly status: number;
  readonly kind: ErrorKind;
  readonly message: string;
}

export const ERRORS = {
  CP_ERR_CONFIG_INVALID: { status: 500, kind: 'config', message: 'Invalid configuration' },
  CP_ERR_SOURCE_HTTP: { status: 502, kind: 'transient', message: 'Upstream portal answered with an error' },
  CP_ERR_SOURCE_RATE_LIMITED: {
    status: 503,
    kind: 'transient',
    message: 'Upstream portal rate limit reached',
  },
  CP_ERR_SOURCE_TIMEOUT: { status: 504, kind: 'transient', message: 'Upstream portal timed out' },
  CP_ERR_SOURCE_BAD_RESPONSE: {
    status: 502,
    kind: 'transient',
    message: 'Upstream portal sent an unreadable response',
  },
  CP_ERR_SOURCE_REFUSED: {
    status: 502,
    kind: 'config',
    message: 'Upstream portal refused the request (400/401/403/404: check URL, dataset id, token)',
  },
  CP_ERR_SOURCE_SCHEMA_DRIFT: { status: 502, kind: 'config', message: 'Upstream portal changed its columns' },
  CP_ERR_SOURCE_UNKNOWN: { status: 404, kind: 'config', message: 'Unknown source' },
  CP_ERR_SOURCE_CONFIG: { status: 400, kind: 'config', message: 'Invalid source configuration' },
  CP_ERR_RECORD_INVALID: { status: 422, kind: 'client', message: 'Record failed validation' },
  CP_ERR_BUS_CLOSED: { status: 503, kind: 'system', message: 'The bus is closed' },
  CP_ERR_BUS_UNAVAILABLE: { status: 503, kind: 'transient', message: 'The bus is unreachable' },
  CP_ERR_BUS_UNSUPPORTED: { status: 501, kind: 'config', message: 'The bus does not support this operation' },
  CP_ERR_STORE_LOCKED: {
    status: 503,
    kind: 'config',
    message: 'The store file is in use by another process',
  },
  CP_ERR_STORE_QUERY: { status: 500, kind: 'system', message: 'Store query failed' },
  CP_ERR_LAKE_CONFLICT: { status: 409, kind: 'transient', message: 'Delta commit version already exists' },
  CP_ERR_LAKE_UNSUPPORTED: {
    status: 422,
    kind: 'config',
    message: 'Delta table uses an unsupported feature',
  },
  CP_ERR_LAKE_CORRUPT: { status: 500, kind: 'system', message: 'Delta log is unreadable' },
  CP_ERR_LAKE_SCHEMA_MISMATCH: {
    status: 409,
    kind: 'config',
    message: 'Rows or table definition do not match the Delta table schema',
  },
  CP_ERR_MODEL_NOT_READY: { status: 503, kind: 'transient', message: 'No model is loaded yet' },
  CP_ERR_TRACKING: { status: 502, kind: 'transient', message: 'Tracking server request failed' },
  CP_ERR_TRACKING_NOT_FOUND: {
    status: 404,
    kind: 'client',
    message: 'Experiment, run, model or version not found',
  },
  CP_ERR_TRACKING_INVALID: {
    status: 400,
    kind: 'client',
    message: 'Invalid tracking request (name, key or value)',
  },
  CP_ERR_TRACKING_REJECTED: { status: 502, kind: 'config', message: 'Tracking server rejected the request' },
  CP_ERR_TRACKING_UNSUPPORTED: {
    status: 501,
    kind: 'config',
    message: 'Unsupported tracking or artifact URI',
  },
  CP_ERR_API_VALIDATION: { status: 400, kind: 'client', message: 'Request validation failed' },
  CP_ERR_API_NOT_FOUND: { status: 404, kind: 'client', message: 'Not found' },
  CP_ERR_API_UNAUTHORIZED: { status: 401, kind: 'client', message: 'Missing or wrong bearer token' },
  CP_ERR_API_PAYLOAD_TOO_LARGE: { status: 413, kind: 'client', message: 'Request body too large' },
  CP_ERR_API_RATE_LIMITED: { status: 429, kind: 'client', message: 'Too many requests' },
  CP_ERR_API_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    kind: 'client',
    message: 'Unsupported content type (send application/json)',
  },
  CP_ERR_API_UNAVAILABLE: {
    status: 503,
    kind: 'config',
    message: 'This feature is not wired in this process',
  },
  CP_ERR_API_ADMIN_FAILED: { status: 502, kind: 'transient', message: 'The admin action failed' },
  CP_ERR_CHAT_INPUT: {
    status: 400,
    kind: 'client',
    message: 'Invalid chat message (sender and message are required; message at most 1000 characters)',
  },
  CP_ERR_CHAT_DATA: {
    status: 502,
    kind: 'transient',
    message: 'The chatbot could not read the data (API unreachable or failing)',
  },
  CP_ERR_INTERNAL: { status: 500, kind: 'system', message: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The base error: a catalogue code, an HTTP status, a kind, and optional details; `cause` passes through. */
export class CrimePulseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    const spec = ERRORS[code];
    super(message ?? spec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = spec.status;
    this.kind = spec.kind;
    this.details = options?.details;
  }
}

export class ConfigError extends CrimePulseError {}
export class SourceError extends CrimePulseError {}
export class BusError extends CrimePulseError {}
export class StoreError extends CrimePulseError {}
export class LakeError extends CrimePulseError {}
export class ModelError extends CrimePulseError {}
export class TrackingError extends CrimePulseError {}
export class ApiError extends CrimePulseError {}
export class ChatError extends CrimePulseError {}

/** True when an operation that threw this may succeed if tried again. */
export function isTransient(err: unknown): boolean {
  return err instanceof CrimePulseError && err.kind === 'transient';
}
