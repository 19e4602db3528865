/** What every /v1 route plugin receives: the app's dependencies, plus small shared helpers. */
import type { DuckDBConnection } from '@duckdb/node-api';
import { ApiError } from '../core/errors.js';
import type { AppDeps } from './app-deps.js';

export interface RouteOptions {
  deps: AppDeps;
  /** Route config that turns on per-client rate limiting (expensive routes). */
  limited: { rateLimit: { max: number; timeWindow: number } } | Record<string, never>;
}

export function requireStore(deps: AppDeps): DuckDBConnection {
  if (deps.store === undefined)
    throw new ApiError('CP_ERR_API_UNAVAILABLE', 'no store is open in this process (serve on a data dir)');
  return deps.store.reader;
}
