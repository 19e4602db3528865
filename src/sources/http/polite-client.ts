/**
 * The polite HTTP client every portal connector uses (Node's fetch underneath).
 *
 * Guarantees:
 * - Every attempt has a timeout (`AbortSignal.timeout`, combined with the caller's signal); the body
 *   is read under the same timeout, so a stalled body counts as a timeout.
 * - 429, 408, 5xx, network errors, timeouts, and bodies the caller's `validate` hook rejects with a
 *   transient `SourceError` are retried with full-jitter exponential backoff; `Retry-After`
 *   (seconds or HTTP date) wins over the backoff, capped by `retryAfterMaxMs`.
 * - When retries run out: a transient `SourceError` (`CP_ERR_SOURCE_RATE_LIMITED`, `..._TIMEOUT`,
 *   `..._HTTP`, `..._BAD_RESPONSE`). 400/401/403/404 are not retried: `CP_ERR_SOURCE_REFUSED`
 *   (kind `config`: a wrong URL, dataset id or token will not fix itself). Other 4xx:
 *   `CP_ERR_SOURCE_HTTP`, not retried here.
 * - A caller's abort is never retried: its reason is thrown as is.
 * - One token bucket per host and per client, so connectors sharing a client (the three NYC
 *   datasets on one portal) share the host's budget.
 * - Conditional requests: `etag`/`lastModified` become `If-None-Match`/`If-Modified-Since`; a 304
 *   comes back as `notModified: true` with an empty body.
 * - Every outbound URL is logged with its query parameters; token-like parameters are redacted and
 *   request headers (where `X-App-Token` lives) are never logged.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type ErrorCode, SourceError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { counter, histogram } from '../../core/metrics.js';
import { TokenBucket } from './token-bucket.js';

export interface PoliteClientOptions {
  /** Sent as `User-Agent` on every request; name the project and a contact. */
  userAgent: string;
  log: Logger;
  /** Per-attempt timeout, body included. Default 30 000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** Per-host token bucket. Default 2 per second, burst 4. */
  rateLimit?: { perSecond: number; burst: number };
  /** Extra headers on every request (e.g. `X-App-Token`). Never logged. */
  headers?: Record<string, string>;
  /** Base of the full-jitter exponential backoff. Default 500 ms. */
  backoffBaseMs?: number;
  /** Upper bound of one backoff wait. Default 30 000 ms. */
  backoffMaxMs?: number;
  /** Upper bound of a `Retry-After` wait, so a portal cannot park us for hours. Default 60 000 ms. */
  retryAfterMaxMs?: number;
  /** Random source for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: string;
  /** Overrides the client's per-attempt timeout. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Sent as `If-None-Match`. */
  etag?: string;
  /** Sent as `If-Modified-Since` (an HTTP date, as the portal sent it). */
  lastModified?: string;
  /**
   * Checks a 2xx body before it is returned; throw a transient `SourceError` (for example
   * `CP_ERR_SOURCE_BAD_RESPONSE` for truncated JSON or an HTML error page) to have it retried,
   * anything else to fail at once.
   */
  validate?: (result: HttpResult) => void;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  url: string;
  notModified: boolean;
}

const REFUSED = new Set([400, 401, 403, 404]);
const SECRET_PARAM = /(^|_|\$)(app_?token|token|api_?key|key|secret|password|access_token)$/i;

const requestsTotal = counter('crimepulse_http_requests_total', 'Outbound HTTP attempts by host and status', [
  'host',
  'status',
]);
const retriesTotal = counter('crimepulse_http_retries_total', 'Outbound HTTP retries by host and reason', [
  'host',
  'reason',
]);
const durationSeconds = histogram(
  'crimepulse_http_client_request_duration_seconds',
  'Outbound HTTP attempt duration, body included',
  ['host'],
  [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
);

/** The URL with token-like query parameters replaced by `[redacted]`, for logs and errors. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  for (const name of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, '[redacted]');
  }
  if (u.password) u.password = '[redacted]';
  return u.toString();
}

/** `Retry-After` as milliseconds from `nowMs`: delta-seconds or an HTTP date; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

interface RetryableFailure {
  error: SourceError;
  reason: string;
  retryAfterMs: number | undefined;
}

export class PoliteClient {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly retryAfterMaxMs: number;
  private readonly random: () => number;

  constructor(private readonly o: PoliteClientOptions) {
    this.log = o.log.child({ component: 'polite-client' });
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.maxRetries = o.maxRetries ?? 4;
    this.backoffBaseMs = o.backoffBaseMs ?? 500;
    this.backoffMaxMs = o.backoffMaxMs ?? 30_000;
    this.retryAfterMaxMs = o.retryAfterMaxMs ?? 60_000;
    this.random = o.random ?? Math.random;
  }

  async request(url: string, req: HttpRequest = {}): Promise<HttpResult> {
    const target = new URL(url);
    const host = target.host;
    const method = req.method ?? 'GET';
    const headers = new Headers({ accept: 'application/json', ...this.o.headers, ...req.headers });
    headers.set('user-agent', this.o.userAgent);
    if (req.etag) headers.set('if-none-match', req.etag);
    if (req.lastModified) headers.set('if-modified-since', req.lastModified);
    const safeUrl = redactUrl(url);
    const params = Object.fromEntries(new URL(safeUrl).searchParams);
    let last: RetryableFailure | undefined;

    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      req.signal?.throwIfAborted();
      await this.bucket(host)
        .take(req.signal)
        .catch((err: unknown) => {
          throw req.signal?.aborted ? req.signal.reason : err;
        });
      const timeout = AbortSignal.timeout(req.timeoutMs ?? this.timeoutMs);
      const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
      this.log.info({ method, url: safeUrl, params, attempt }, 'http request');
      const endTimer = durationSeconds.startTimer({ host });
      let failure: RetryableFailure;
      try {
        const res = await fetch(target, {
          method,
          headers,
          signal,
          redirect: 'follow',
          ...(req.body === undefined ? {} : { body: req.body }),
        });
        const text = method === 'HEAD' || res.status === 304 ? '' : await res.text();
        endTimer();
        requestsTotal.inc({ host, status: String(res.status) });
        const result: HttpResult = {
          status: res.status,
          headers: res.headers,
          text,
          url: res.url || url,
          notModified: false,
        };
        if (res.status === 304) return { ...result, notModified: true };
        if (res.ok) {
          let bad: SourceError | undefined;
          try {
            bad = this.validate(req, result);
          } catch (err) {
            throw new NotRetryable(err);
          }
          if (!bad) return result;
          failure = { error: bad, reason: 'bad-response', retryAfterMs: undefined };
        } else if (res.status === 429 || res.status === 408 || res.status >= 500) {
          const code: ErrorCode = res.status === 429 ? 'CP_ERR_SOURCE_RATE_LIMITED' : 'CP_ERR_SOURCE_HTTP';
          failure = {
            error: new SourceError(code, `${method} ${safeUrl} answered ${res.status}`, {
              details: { status: res.status, url: safeUrl, body: text.slice(0, 300) },
            }),
            reason: String(res.status),
            retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
          };
        } else {
          throw new SourceError(
            REFUSED.has(res.status) ? 'CP_ERR_SOURCE_REFUSED' : 'CP_ERR_SOURCE_HTTP',
            `${method} ${safeUrl} answered ${res.status}`,
            { details: { status: res.status, url: safeUrl, body: text.slice(0, 300) } },
          );
        }
      } catch (err) {
        if (err instanceof SourceError) throw err;
        if (err instanceof NotRetryable) throw err.inner;
        if (req.signal?.aborted) throw req.signal.reason;
        endTimer();
        const timedOut = timeout.aborted;
        requestsTotal.inc({ host, status: timedOut ? 'timeout' : 'network-error' });
        failure = {
          error: new SourceError(
            timedOut ? 'CP_ERR_SOURCE_TIMEOUT' : 'CP_ERR_SOURCE_HTTP',
            timedOut ? `${method} ${safeUrl} timed out` : `${method} ${safeUrl} failed: ${describe(err)}`,
            { cause: err, details: { url: safeUrl } },
          ),
          reason: timedOut ? 'timeout' : 'network-error',
          retryAfterMs: undefined,
        };
      }
      last = failure;
      if (attempt === this.maxRetries) break;
      const waitMs =
        failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, this.retryAfterMaxMs)
          : this.backoff(attempt);
      retriesTotal.inc({ host, reason: failure.reason });
      this.log.warn(
        { url: safeUrl, attempt, waitMs, code: failure.error.code, reason: failure.reason },
        'http attempt failed; retrying',
      );
      await pause(waitMs, req.signal);
    }
    const final = last as RetryableFailure;
    final.error.details && Object.assign(final.error.details, { attempts: this.maxRetries + 1 });
    this.log.error(
      { url: safeUrl, code: final.error.code, attempts: this.maxRetries + 1 },
      'http request gave up',
    );
    throw final.error;
  }

  /** Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): uniform in [0, min(max, base·2^n)]. */
  private backoff(attempt: number): number {
    return Math.round(this.random() * Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** attempt));
  }

  private validate(req: HttpRequest, result: HttpResult): SourceError | undefined {
    if (!req.validate) return undefined;
    try {
      req.validate(result);
      return undefined;
    } catch (err) {
      if (err instanceof SourceError && err.kind === 'transient') return err;
      throw err;
    }
  }

  private bucket(host: string): TokenBucket {
    let b = this.buckets.get(host);
    if (!b) {
      const rl = this.o.rateLimit ?? { perSecond: 2, burst: 4 };
      b = new TokenBucket(rl.perSecond, rl.burst);
      this.buckets.set(host, b);
    }
    return b;
  }
}

/** A wait that ends early with the caller's own abort reason (not a generic AbortError). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
}

/** Carries an error from the caller's `validate` hook past the network-error handling. */
class NotRetryable {
  constructor(readonly inner: unknown) {}
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
