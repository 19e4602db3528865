/**
 * The error catalogue against its reference (fastify's test/internals/errors.test.js habit): every
 * exported code appears in docs/errors.md's table with its status and kind, the doc is exactly what
 * scripts/gen-errors-doc.ts writes (so a stale doc fails), and CrimePulseError carries the catalogue
 * entry and passes `cause` through.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADVICE, ERRORS_DOC_FILE, errorsDocMarkdown, warningCodes } from '../../scripts/gen-errors-doc.js';
import * as errors from '../../src/core/errors.js';
import {
  ConfigError,
  CrimePulseError,
  ERRORS,
  type ErrorCode,
  isTransient,
  LakeError,
  SourceError,
} from '../../src/core/errors.js';

const doc = readFileSync(ERRORS_DOC_FILE, 'utf8');
const codes = Object.keys(ERRORS) as ErrorCode[];
/** Table rows of docs/errors.md keyed by code: [status, kind, message]. */
const rows = new Map(
  [...doc.matchAll(/^\| `(CP_ERR_[A-Z_]+)` \| (\d{3}) \| (\w+) \| ([^|]+) \|/gm)].map((m) => [
    m[1]!,
    { status: Number(m[2]), kind: m[3]!, message: m[4]!.trim() },
  ]),
);

describe('docs/errors.md', () => {
  it('lists every exported code once, with its status, kind and message', () => {
    expect(codes.length).toBeGreaterThan(30);
    expect(rows.size).toBe(codes.length);
    for (const code of codes) {
      const row = rows.get(code);
      expect(row, `${code} missing from docs/errors.md`).toBeDefined();
      expect(row).toEqual({
        status: ERRORS[code].status,
        kind: ERRORS[code].kind,
        message: ERRORS[code].message,
      });
    }
    expect(doc).toContain(`## Codes (${codes.length})`);
  });

  it('lists no code that the catalogue does not have (retired codes are not silently dropped)', () => {
    for (const code of rows.keys()) expect(codes).toContain(code);
  });

  it('is what scripts/gen-errors-doc.ts writes (run `npm run docs:gen` when this fails)', () => {
    expect(doc).toBe(errorsDocMarkdown());
  });

  it('gives advice for every code and mentions every warning code used in src/', () => {
    for (const code of codes) expect(ADVICE[code].length).toBeGreaterThan(10);
    for (const w of warningCodes()) expect(doc).toContain(`\`${w}\``);
  });
});

describe('the catalogue', () => {
  it('has well-formed, unique codes with error statuses', () => {
    for (const code of codes) {
      expect(code).toMatch(/^CP_ERR_[A-Z]+(_[A-Z]+)*$/);
      expect(ERRORS[code].status).toBeGreaterThanOrEqual(400);
      expect(ERRORS[code].status).toBeLessThan(600);
      expect(['transient', 'config', 'system', 'client']).toContain(ERRORS[code].kind);
    }
    // Client mistakes are 4xx; a 5xx "client" error would tell callers to retry something they sent wrong.
    for (const code of codes)
      if (ERRORS[code].kind === 'client') expect(ERRORS[code].status).toBeLessThan(500);
  });

  it('exports one CrimePulseError subclass per area', () => {
    const classes = Object.entries(errors).filter(
      ([, v]) => typeof v === 'function' && v.prototype instanceof CrimePulseError,
    );
    expect(classes.map(([n]) => n).sort()).toEqual(
      [
        'ApiError',
        'BusError',
        'ChatError',
        'ConfigError',
        'LakeError',
        'ModelError',
        'SourceError',
        'StoreError',
        'TrackingError',
      ].sort(),
    );
  });
});

describe('CrimePulseError', () => {
  it('takes status, kind and default message from the catalogue', () => {
    const err = new SourceError('CP_ERR_SOURCE_RATE_LIMITED');
    expect(err).toBeInstanceOf(CrimePulseError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SourceError');
    expect(err.code).toBe('CP_ERR_SOURCE_RATE_LIMITED');
    expect(err.status).toBe(503);
    expect(err.kind).toBe('transient');
    expect(err.message).toBe(ERRORS.CP_ERR_SOURCE_RATE_LIMITED.message);
    expect(err.details).toBeUndefined();
    expect('cause' in err).toBe(false);
  });

  it('keeps a specific message, details and the cause', () => {
    const cause = new Error('ENOENT');
    const err = new ConfigError('CP_ERR_CONFIG_INVALID', 'cannot read config file x.json', {
      cause,
      details: { file: 'x.json' },
    });
    expect(err.message).toBe('cannot read config file x.json');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ file: 'x.json' });
    expect(err.status).toBe(500);
    expect(err.kind).toBe('config');
  });

  it('passes a non-Error cause through unchanged', () => {
    const err = new LakeError('CP_ERR_LAKE_CORRUPT', undefined, { cause: 'bad json' });
    expect(err.cause).toBe('bad json');
    expect(err.message).toBe('Delta log is unreadable');
  });

  it('isTransient is true only for transient catalogue errors', () => {
    expect(isTransient(new SourceError('CP_ERR_SOURCE_TIMEOUT'))).toBe(true);
    expect(isTransient(new SourceError('CP_ERR_SOURCE_REFUSED'))).toBe(false);
    expect(isTransient(new Error('x'))).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });
});
