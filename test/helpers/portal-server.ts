/**
 * A local Socrata portal for tests (node:http on 127.0.0.1, port 0): serves recorded SODA rows at
 * `/resource/<4x4>.json` with the subset of SoQL our connectors use — `$where` (comparisons, AND,
 * OR, parentheses, IS [NOT] NULL), `$order` (ASC/DESC, nulls last/first as on the portal),
 * `$limit` (default 1000), `$offset`, `$select` (field list, `*`, `:*` for system fields such as
 * `:id`) — the SODA headers (`X-SODA2-Fields`, `X-SODA2-Types`, `Last-Modified`, `ETag`),
 * conditional requests (304), and `400 query.soql.no-such-column` for unknown columns.
 *
 * Faults are injected per request, in order: 429 with Retry-After, 503, slow headers or body (for
 * timeouts), truncated JSON, a reset connection, an HTML error page, a repeated page (the last body
 * this dataset served, whatever its query; the connector can only detect it after a first page); and
 * upstream changes: a renamed column, appended rows. Every request is recorded with the server's own
 * receive time (`performance.now()`), so tests can check spacing without trusting the client.
 *
 * Exported for reuse by other suites (crash tests, end to end).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawRow } from '../../src/sources/normalise.js';

export interface PortalDataset {
  datasetId: string;
  fields: string[];
  types: string[];
  rows: RawRow[];
  /** HTTP date sent as `Last-Modified`. */
  lastModified: string;
}

export type PortalFault =
  | { kind: 'rate-limit'; retryAfter?: string }
  | { kind: 'unavailable'; retryAfter?: string }
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  | { kind: 'slow'; delayMs: number; phase?: 'headers' | 'body' }
  | { kind: 'truncated' }
  | { kind: 'reset' }
  | { kind: 'html'; status?: number }
  | { kind: 'duplicate-page' };

export interface PortalRequest {
  /** Server receive time, `performance.now()`. */
  at: number;
  method: string;
  path: string;
  datasetId: string | undefined;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  status: number;
  fault: PortalFault['kind'] | undefined;
}

export interface InjectOptions {
  /** How many matching requests get the fault. Default 1. */
  times?: number;
  /** Which requests qualify; default every resource request. */
  match?: (req: PortalRequest) => boolean;
}

export interface PortalServer {
  url: string;
  requests: PortalRequest[];
  dataset(datasetId: string): PortalDataset;
  inject(fault: PortalFault, options?: InjectOptions): void;
  /** Drops faults not yet used, the request log and the remembered last page. */
  reset(): void;
  /** Upstream renames a column (rows and headers); bumps the dataset version. */
  renameColumn(datasetId: string, from: string, to: string): void;
  /** Upstream publishes rows; bumps the version and `Last-Modified`. */
  appendRows(datasetId: string, rows: RawRow[], lastModified?: string): void;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
export const SOCRATA_FIXTURE_DIR = join(here, '../fixtures/socrata');

/** The 4x4 ids of the recorded fixtures in `test/fixtures/socrata/`. */
export const FIXTURE_DATASETS = {
  chicago: 'ijzp-q8t2',
  'nyc-complaints': 'qgea-i56i',
  'nyc-arrests': 'uip8-fykc',
  'nyc-shootings': '833y-fsy8',
  la: '2nrs-mtv8',
  sf: 'wg3w-h783',
} as const;
export type FixtureName = keyof typeof FIXTURE_DATASETS;

/** A recorded fixture as a fresh, mutable dataset. */
export function loadSocrataFixture(name: FixtureName): PortalDataset {
  const rows = JSON.parse(readFileSync(join(SOCRATA_FIXTURE_DIR, `${name}.json`), 'utf8')) as RawRow[];
  const headers = JSON.parse(
    readFileSync(join(SOCRATA_FIXTURE_DIR, `${name}.headers.json`), 'utf8'),
  ) as Record<string, string>;
  return {
    datasetId: FIXTURE_DATASETS[name],
    fields: JSON.parse(headers['X-SODA2-Fields'] ?? '[]') as string[],
    types: JSON.parse(headers['X-SODA2-Types'] ?? '[]') as string[],
    rows,
    lastModified: headers['Last-Modified'] ?? new Date(0).toUTCString(),
  };
}

// ---- a small SoQL subset --------------------------------------------------------------------

class SoqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Pred = (row: RawRow) => boolean;
type Token = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'kw'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\()|(\))|('(?:[^']|'')*')|(-?\d+(?:\.\d+)?)|(>=|<=|!=|<>|=|>|<)|([:@A-Za-z_][\w:@]*))/y;
  let i = 0;
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(src);
    if (!m) throw new SoqlError('query.soql.invalid', `cannot parse $where at ${i}: ${src.slice(i, i + 20)}`);
    i = re.lastIndex;
    if (m[1]) out.push({ t: 'lp', v: '(' });
    else if (m[2]) out.push({ t: 'rp', v: ')' });
    else if (m[3]) out.push({ t: 'str', v: m[3].slice(1, -1).replace(/''/g, "'") });
    else if (m[4]) out.push({ t: 'num', v: m[4] });
    else if (m[5]) out.push({ t: 'op', v: m[5] });
    else if (m[6])
      out.push(
        /^(and|or|is|not|null)$/i.test(m[6]) ? { t: 'kw', v: m[6].toUpperCase() } : { t: 'id', v: m[6] },
      );
  }
  return out;
}

function compareValues(a: unknown, b: unknown, type: string): number {
  if (type === 'number') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function parseWhere(src: string, typeOf: (field: string) => string): Pred {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => {
    const t = toks[p++];
    if (!t) throw new SoqlError('query.soql.invalid', 'unexpected end of $where');
    return t;
  };
  const expr = (): Pred => {
    let left = conj();
    while (peek()?.v === 'OR') {
      p++;
      const l = left;
      const r = conj();
      left = (row) => l(row) || r(row);
    }
    return left;
  };
  const conj = (): Pred => {
    let left = unary();
    while (peek()?.v === 'AND') {
      p++;
      const l = left;
      const r = unary();
      left = (row) => l(row) && r(row);
    }
    return left;
  };
  const unary = (): Pred => {
    const t = next();
    if (t.t === 'lp') {
      const e = expr();
      if (next().t !== 'rp') throw new SoqlError('query.soql.invalid', 'missing )');
      return e;
    }
    if (t.t !== 'id') throw new SoqlError('query.soql.invalid', `expected a column, got ${t.v}`);
    const field = t.v;
    const type = typeOf(field);
    const op = next();
    if (op.v === 'IS') {
      const not = peek()?.v === 'NOT';
      if (not) p++;
      if (next().v !== 'NULL') throw new SoqlError('query.soql.invalid', 'expected NULL');
      return (row) => (row[field] === undefined || row[field] === null) !== not;
    }
    const lit = next();
    if (op.t !== 'op' || (lit.t !== 'str' && lit.t !== 'num'))
      throw new SoqlError('query.soql.invalid', `bad comparison on ${field}`);
    const cmp = (row: RawRow) => {
      const v = row[field];
      return v === undefined || v === null ? undefined : compareValues(v, lit.v, type);
    };
    const test: Record<string, (c: number) => boolean> = {
      '=': (c) => c === 0,
      '!=': (c) => c !== 0,
      '<>': (c) => c !== 0,
      '>': (c) => c > 0,
      '>=': (c) => c >= 0,
      '<': (c) => c < 0,
      '<=': (c) => c <= 0,
    };
    const f = test[op.v] as (c: number) => boolean;
    return (row) => {
      const c = cmp(row);
      return c !== undefined && f(c);
    };
  };
  const pred = expr();
  if (p !== toks.length) throw new SoqlError('query.soql.invalid', `unexpected ${toks[p]?.v}`);
  return pred;
}

// ---- the server ------------------------------------------------------------------------------

interface Held {
  data: PortalDataset;
  version: number;
  lastBody: string | undefined;
}

interface PendingFault {
  fault: PortalFault;
  remaining: number;
  match: ((req: PortalRequest) => boolean) | undefined;
}

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The server is temporarily unavailable.</p></body></html>';

export async function startPortalServer(datasets: PortalDataset[]): Promise<PortalServer> {
  const held = new Map<string, Held>();
  for (const d of datasets) {
    // System fields: `:id` is stable per row, in publication order (what `$order=:id` pages by).
    const rows = d.rows.map((r, i) => ({ ':id': `row-${String(i + 1).padStart(6, '0')}`, ...r }));
    held.set(d.datasetId, {
      data: { ...d, fields: [...d.fields], types: [...d.types], rows },
      version: 1,
      lastBody: undefined,
    });
  }
  const faults: PendingFault[] = [];
  const requests: PortalRequest[] = [];

  const takeFault = (req: PortalRequest): PortalFault | undefined => {
    const i = faults.findIndex((f) => f.remaining > 0 && (!f.match || f.match(req)));
    if (i < 0) return undefined;
    const f = faults[i] as PendingFault;
    f.remaining -= 1;
    if (f.remaining === 0) faults.splice(i, 1);
    return f.fault;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const at = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/resource\/([a-z0-9]{4}-[a-z0-9]{4})\.json$/.exec(url.pathname);
    const record: PortalRequest = {
      at,
      method: req.method ?? 'GET',
      path: url.pathname,
      datasetId: m?.[1],
      params: Object.fromEntries(url.searchParams),
      headers: req.headers,
      status: 0,
      fault: undefined,
    };
    requests.push(record);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(body);
    };
    const h = m ? held.get(m[1] as string) : undefined;
    if (!h) {
      send(404, JSON.stringify({ code: 'not_found', error: true, message: 'Not found' }));
      return;
    }
    const fault = takeFault(record);
    record.fault = fault?.kind;
    if (fault?.kind === 'rate-limit')
      return send(
        429,
        '{"error":true,"message":"Too many requests"}',
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    if (fault?.kind === 'unavailable')
      return send(
        503,
        '{"error":true,"message":"Service unavailable"}',
        fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
      );
    if (fault?.kind === 'status')
      return send(
        fault.status,
        fault.body ?? '{"error":true}',
        fault.contentType ? { 'content-type': fault.contentType } : {},
      );
    if (fault?.kind === 'html')
      return send(fault.status ?? 200, HTML_PAGE, { 'content-type': 'text/html; charset=utf-8' });
    if (fault?.kind === 'slow' && (fault.phase ?? 'headers') === 'headers') await sleep(fault.delayMs);
    if (fault?.kind === 'reset') {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', 'content-length': '100000' });
      res.write('[{"id":"1"');
      setTimeout(() => res.socket?.destroy(), 5);
      return;
    }

    let result: { body: string; fields: string[]; types: string[] };
    try {
      result = query(h.data, url.searchParams);
    } catch (err) {
      if (err instanceof SoqlError) {
        return send(400, JSON.stringify({ code: err.code, error: true, message: err.message }));
      }
      throw err;
    }
    let body = result.body;
    if (fault?.kind === 'duplicate-page' && h.lastBody !== undefined) body = h.lastBody;
    else h.lastBody = body;
    const etag = `"v${h.version}-${createHash('sha1').update(url.search).digest('hex').slice(0, 12)}"`;
    const headers: Record<string, string> = {
      'x-soda2-fields': JSON.stringify(result.fields),
      'x-soda2-types': JSON.stringify(result.types),
      'last-modified': h.data.lastModified,
      etag,
    };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if ((inm && inm === etag) || (!inm && ims && Date.parse(ims) >= Date.parse(h.data.lastModified))) {
      record.status = 304;
      res.writeHead(304, headers);
      res.end();
      return;
    }
    if (fault?.kind === 'truncated') {
      // A clean end after half the body (chunked, no length): what a proxy cutting a stream sends.
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.end(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    if (fault?.kind === 'slow' && fault.phase === 'body') {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', ...headers });
      res.write(body.slice(0, 1));
      await sleep(fault.delayMs);
      if (!res.destroyed) res.end(body.slice(1));
      return;
    }
    send(200, body, headers);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const get = (id: string): Held => {
    const h = held.get(id);
    if (!h) throw new Error(`no dataset ${id}`);
    return h;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    dataset: (id) => get(id).data,
    inject(fault, options = {}) {
      faults.push({ fault, remaining: options.times ?? 1, match: options.match });
    },
    reset() {
      faults.length = 0;
      requests.length = 0;
      for (const h of held.values()) h.lastBody = undefined;
    },
    renameColumn(id, from, to) {
      const h = get(id);
      h.data.fields = h.data.fields.map((f) => (f === from ? to : f));
      h.data.rows = h.data.rows.map((r) => {
        if (!(from in r)) return r;
        const { [from]: v, ...rest } = r;
        return { ...rest, [to]: v };
      });
      h.version += 1;
    },
    appendRows(id, rows, lastModified) {
      const h = get(id);
      const start = h.data.rows.length;
      h.data.rows.push(
        ...rows.map((r, i) => ({ ':id': `row-${String(start + i + 1).padStart(6, '0')}`, ...r })),
      );
      h.data.lastModified =
        lastModified ?? new Date(Date.parse(h.data.lastModified) + 3600_000).toUTCString();
      h.version += 1;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function query(
  d: PortalDataset,
  params: URLSearchParams,
): { body: string; fields: string[]; types: string[] } {
  const typeOf = (field: string): string => {
    if (field === ':id') return 'text';
    const i = d.fields.indexOf(field);
    if (i < 0) throw new SoqlError('query.soql.no-such-column', `No such column: ${field}`);
    return d.types[i] ?? 'text';
  };
  let rows = d.rows;
  const where = params.get('$where');
  if (where) {
    const pred = parseWhere(where, typeOf);
    rows = rows.filter(pred);
  }
  const order = params.get('$order');
  if (order) {
    const terms = order.split(',').map((t) => {
      const [field = '', dir = 'ASC'] = t.trim().split(/\s+/);
      return { field, type: typeOf(field), desc: dir.toUpperCase() === 'DESC' };
    });
    rows = [...rows].sort((a, b) => {
      for (const { field, type, desc } of terms) {
        const x = a[field];
        const y = b[field];
        const xn = x === undefined || x === null;
        const yn = y === undefined || y === null;
        // Portal order: nulls last ascending, first descending.
        const c = xn && yn ? 0 : xn ? 1 : yn ? -1 : compareValues(x, y, type);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    });
  }
  const offset = Number(params.get('$offset') ?? 0);
  const limit = Number(params.get('$limit') ?? 1000);
  rows = rows.slice(offset, offset + limit);
  const select = (params.get('$select') ?? '*').split(',').map((s) => s.trim());
  const system = select.includes(':*');
  const all = select.includes('*');
  const picked = all ? d.fields : select.filter((s) => s !== ':*');
  for (const f of picked) typeOf(f);
  const out = rows.map((r) => {
    const o: RawRow = {};
    if (system) o[':id'] = r[':id'];
    for (const f of picked) if (r[f] !== undefined) o[f] = r[f];
    return o;
  });
  const fields = [...(system ? [':id'] : []), ...picked];
  return { body: JSON.stringify(out), fields, types: fields.map(typeOf) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
