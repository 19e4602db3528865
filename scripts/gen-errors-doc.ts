/**
 * Writes `docs/errors.md` from the error catalogue (`ERRORS` in src/core/errors.ts) and the advice
 * below, so the reference cannot drift from the code: `test/core/errors.test.ts` fails when the
 * committed file differs from what this script writes.
 *
 * The advice lives here, not in errors.ts, because it is documentation for operators and callers;
 * `ADVICE` is typed `Record<ErrorCode, string>`, so a new code without advice fails type-checking.
 *
 * Run: `npm run docs:gen` (or `node bin/run-ts.js scripts/gen-errors-doc.ts [--check]`).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorCode, type ErrorKind } from '../src/core/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ERRORS_DOC_FILE = join(ROOT, 'docs', 'errors.md');

/** What to do about each code (caller or operator view). */
export const ADVICE: Record<ErrorCode, string> = {
  CP_ERR_CONFIG_INVALID:
    'Fix the variable or key named in the message (`PORT=abc` names `PORT`); see docs/configuration.md. The CLI exits with status 2.',
  CP_ERR_SOURCE_HTTP:
    'The portal answered 5xx or an unexpected status. Retried with backoff; if it persists, check the portal status page. The cursor does not move.',
  CP_ERR_SOURCE_RATE_LIMITED:
    'The portal throttled us (429). Retried after `Retry-After`; set `CRIMEPULSE_SOCRATA_APP_TOKEN` for a higher Socrata quota, or raise the poll interval.',
  CP_ERR_SOURCE_TIMEOUT:
    'No answer within the timeout. Retried; in `auto` mode an unreachable portal at start is replayed from its sample instead.',
  CP_ERR_SOURCE_BAD_RESPONSE:
    'HTML error page, truncated JSON or a page out of order (stale cache). Retried; the cursor stays at the last good page.',
  CP_ERR_SOURCE_REFUSED:
    'The portal said 400/401/403/404: check `CRIMEPULSE_<SOURCE>_URL`, the dataset id and the app token. Not retried.',
  CP_ERR_SOURCE_SCHEMA_DRIFT:
    'The dataset lost its cursor, key or a required column. The source stops before emitting the page; fix the mapping (docs/sources.md) and restart.',
  CP_ERR_SOURCE_UNKNOWN:
    'The source id is not in the registry: use one of `uk-police`, `chicago`, `nyc-complaints`, `nyc-arrests`, `nyc-shootings`, `la` or a `sources/socrata-*.json` city.',
  CP_ERR_SOURCE_CONFIG:
    'A source setting or a city mapping file is invalid (the message names the file and field), or a replay file does not fit the source.',
  CP_ERR_RECORD_INVALID:
    'A record failed the `CrimeEvent` contract or an input file row is malformed; the message names the field. Pipeline rows go to `crime-dead-letter` instead.',
  CP_ERR_BUS_CLOSED:
    'The bus was used after shutdown: a bug in the caller, or a race during stop. Restart the process.',
  CP_ERR_BUS_UNAVAILABLE:
    'Kafka is unreachable: check `CRIMEPULSE_KAFKA_BROKERS` and the brokers. Retried with backoff.',
  CP_ERR_BUS_UNSUPPORTED:
    'The operation needs a retained log (seek, retention): use the Kafka bus, or do not call it on the in-process bus.',
  CP_ERR_STORE_LOCKED:
    'Another process holds `store.duckdb` (or `ingest-state.duckdb`). Stop it, or give this process its own `CRIMEPULSE_DATA_DIR`; a running system replays through `POST /admin/replay`.',
  CP_ERR_STORE_QUERY:
    'A DuckDB query failed: a bug or a damaged store file. The log has the SQL error; report it.',
  CP_ERR_LAKE_CONFLICT:
    'Lost races for a Delta version are retried inside the writer; this surfaces when the schema or protocol changed concurrently or the attempts ran out. Retry; two workers with the same worker id are a deployment error.',
  CP_ERR_LAKE_UNSUPPORTED:
    'The Delta table uses a feature this reader does not implement (the message names it, e.g. deletion vectors, column mapping). Read it with Spark or delta-rs.',
  CP_ERR_LAKE_CORRUPT:
    'A commit or checkpoint file cannot be parsed. Restore `lake/` from backup, or delete it: it is rebuilt from the store (DuckDB is the source of truth).',
  CP_ERR_LAKE_SCHEMA_MISMATCH:
    'The table on disk has another schema than src/lake/tables.ts (an older version wrote it). Move the table aside and let it be rewritten.',
  CP_ERR_MODEL_NOT_READY:
    'No model version is loaded yet (reserved: serving answers 503 through `CP_ERR_API_UNAVAILABLE` today). Run `crimepulse train`, or wait for the first training.',
  CP_ERR_TRACKING:
    'The MLflow tracking store failed (server unreachable or file store unreadable). Check `MLFLOW_TRACKING_URI`; retried.',
  CP_ERR_TRACKING_NOT_FOUND:
    'The experiment, run, registered model or version does not exist: check the name or id.',
  CP_ERR_TRACKING_INVALID: 'A name, metric key or value breaks MLflow’s rules; the message names it.',
  CP_ERR_TRACKING_REJECTED:
    'The MLflow server refused the request (4xx): check its version and permissions. Not retried.',
  CP_ERR_TRACKING_UNSUPPORTED:
    'The tracking or artifact URI scheme is not supported (file paths and http(s) are). Use one of those.',
  CP_ERR_API_VALIDATION:
    'Fix the request: the message names the part and field (`querystring.limit: ...`). See docs/api.md.',
  CP_ERR_API_NOT_FOUND: 'No such route or resource: check the URL and the ids in it.',
  CP_ERR_API_UNAUTHORIZED:
    'Send `Authorization: Bearer <CRIMEPULSE_ADMIN_TOKEN>`. Admin routes are off when the token is unset.',
  CP_ERR_API_PAYLOAD_TOO_LARGE: 'Send a smaller body.',
  CP_ERR_API_RATE_LIMITED: 'Slow down and retry after the `retry-after` header.',
  CP_ERR_API_UNSUPPORTED_MEDIA_TYPE: 'Send `Content-Type: application/json`.',
  CP_ERR_API_UNAVAILABLE:
    'The feature is not wired in this process (e.g. `serve` on the lake has no live stream, or no model is registered yet). Use a process that runs it, or train first.',
  CP_ERR_API_ADMIN_FAILED:
    'The admin action started but failed; the message and the log say why. Retry when fixed.',
  CP_ERR_CHAT_INPUT: 'Send `{"sender": "...", "message": "..."}` with a message of at most 1000 characters.',
  CP_ERR_CHAT_DATA:
    'The chatbot could not reach the data API: check `crimepulse chat --api URL` and that the API is up.',
  CP_ERR_INTERNAL:
    'A bug. The response carries no internals; the log has the stack under the request id. Report it.',
};

const KIND_TEXT: Record<ErrorKind, string> = {
  transient: 'retried with backoff; may succeed later',
  config: 'stop and tell the operator; fix configuration or input',
  system: 'a fault in CrimePulse or its files; page a human',
  client: 'the caller sent something wrong; not retried',
};

/** Warning codes (`CPWRN###`) used anywhere under src/, found by scanning the sources. */
export function warningCodes(srcDir = join(ROOT, 'src')): string[] {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js)$/.test(name))
        for (const m of readFileSync(p, 'utf8').matchAll(/CPWRN\d{3}/g)) found.add(m[0]);
    }
  };
  walk(srcDir);
  return [...found].sort();
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The Markdown text of docs/errors.md. */
export function errorsDocMarkdown(): string {
  const codes = Object.keys(ERRORS) as ErrorCode[];
  const warnings = warningCodes();
  const lines = [
    '# Error codes',
    '',
    '<!-- Generated by scripts/gen-errors-doc.ts from src/core/errors.ts: do not edit by hand; run `npm run docs:gen`. -->',
    '',
    'Every error CrimePulse raises on purpose carries a code from one catalogue (`ERRORS` in',
    '`src/core/errors.ts`). Codes are `CP_ERR_<AREA>_<WHAT>` and are never reused: a retired code stays',
    'retired. Each has:',
    '',
    '- an **HTTP status**, which the API answers with (body `{"code", "message", "statusCode"}`;',
    '  `/predict` keeps FastAPI’s `{"detail"}` shape);',
    '- a **kind**, which picks the retry policy;',
    '- a default **message** (a thrower may give a more specific one).',
    '',
    'The CLI prints `crimepulse: <code>: <message>` and exits with status 2 for `config` errors and 1',
    'for the others. In code, throw one of the subclasses of `CrimePulseError` (`ConfigError`,',
    '`SourceError`, `BusError`, `StoreError`, `LakeError`, `ModelError`, `TrackingError`, `ApiError`,',
    '`ChatError`) with a code; `isTransient(err)` tells whether a retry may help, and `cause` passes',
    'through to the standard `Error.cause`.',
    '',
    '## Kinds',
    '',
    '| kind | meaning |',
    '|---|---|',
    ...(Object.keys(KIND_TEXT) as ErrorKind[]).map((k) => `| \`${k}\` | ${KIND_TEXT[k]} |`),
    '',
    `## Codes (${codes.length})`,
    '',
    '| code | HTTP | kind | message | what to do |',
    '|---|---|---|---|---|',
    ...codes.map((c) => {
      const e = ERRORS[c];
      return `| \`${c}\` | ${e.status} | ${e.kind} | ${cell(e.message)} | ${cell(ADVICE[c])} |`;
    }),
    '',
    '## Warning codes',
    '',
  ];
  if (warnings.length === 0) {
    lines.push(
      'None are defined yet. Warnings (logged, not thrown) will be numbered `CPWRN001`, `CPWRN002`, ...',
      '(fastify’s `FSTWRN` convention), never reused, and listed here by this generator.',
    );
  } else {
    lines.push('| code |', '|---|', ...warnings.map((w) => `| \`${w}\` |`));
  }
  lines.push('');
  return lines.join('\n');
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const text = errorsDocMarkdown();
  if (process.argv.includes('--check')) {
    if (readFileSync(ERRORS_DOC_FILE, 'utf8') !== text) {
      console.error(`${ERRORS_DOC_FILE} is out of date: run npm run docs:gen`);
      process.exit(1);
    }
  } else {
    writeFileSync(ERRORS_DOC_FILE, text);
    console.log(`wrote ${ERRORS_DOC_FILE} (${Object.keys(ERRORS).length} codes)`);
  }
}
