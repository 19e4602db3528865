import { type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedBatch } from '../../src/api/index.js';
import { buildApp, StreamHub } from '../../src/api/index.js';
import { silentLogger } from '../../src/core/logger.js';
import type { AnomalyRow } from '../../src/pipeline/index.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

const listeners = new Set<(b: FeedBatch) => void>();
const feed = {
  subscribe(l: (b: FeedBatch) => void) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};
const emit = (b: FeedBatch) => {
  for (const l of listeners) l(b);
};

const anomaly: AnomalyRow = {
  id: 'm|day|chicago|25|theft|2015-02-01T06:00:00.000Z',
  granularity: 'day',
  source: 'chicago',
  areaId: '25',
  category: 'theft',
  windowStart: '2015-02-01T06:00:00.000Z',
  windowEnd: '2015-02-02T06:00:00.000Z',
  observed: 40,
  expected: 12,
  lower: 6,
  upper: 19,
  pValue: 0.0001,
  qValue: 0.002,
  severity: 'high',
  contributors: null,
  modelVersion: 'm',
  detectedAt: '2015-02-02T07:00:00.000Z',
};

interface Sse {
  id?: string;
  event: string;
  data: unknown;
}

/** Opens the stream and collects parsed messages; `next(pred)` resolves on the first match. */
function open(base: string, lastEventId?: string) {
  const got: Sse[] = [];
  let waiters: { pred: (m: Sse) => boolean; resolve: (m: Sse) => void }[] = [];
  let res: IncomingMessage | undefined;
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      `${base}/v1/stream`,
      { headers: lastEventId ? { 'last-event-id': lastEventId } : {} },
      (r) => {
        res = r;
        let buf = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => {
          buf += chunk;
          let i = buf.indexOf('\n\n');
          while (i >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const m: Sse = { event: 'message', data: undefined };
            for (const line of block.split('\n')) {
              const [k, ...v] = line.split(': ');
              if (k === 'id') m.id = v.join(': ');
              if (k === 'event') m.event = v.join(': ');
              if (k === 'data') m.data = JSON.parse(v.join(': '));
            }
            if (m.data !== undefined) {
              got.push(m);
              const hits = waiters.filter((w) => w.pred(m));
              waiters = waiters.filter((w) => !w.pred(m));
              for (const w of hits) w.resolve(m);
            }
            i = buf.indexOf('\n\n');
          }
        });
        resolve(r);
      },
    );
    req.on('error', reject);
    req.end();
  });
  return {
    ready,
    got,
    next(pred: (m: Sse) => boolean): Promise<Sse> {
      const hit = got.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    close: () => res?.destroy(),
  };
}

const app = await buildApp({
  log: silentLogger,
  board: new SourceStatusBoard(),
  feed,
  options: { streamIntervalMs: 10, heartbeatMs: 40, streamBuffer: 4 },
});
let base: string;
beforeAll(async () => {
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
});

describe('GET /v1/stream', () => {
  it('sends anomalies and aggregated events with increasing ids, heartbeats without, and resumes after Last-Event-ID', async () => {
    const a = open(base);
    const res = await a.ready;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    emit({ counts: { chicago: 3 }, anomalies: [anomaly] });
    emit({ counts: { chicago: 2, la: 1 } });
    const an = await a.next((m) => m.event === 'anomaly');
    const ev = await a.next((m) => m.event === 'events');
    expect(an.data).toMatchObject({ id: anomaly.id, severity: 'high' });
    expect(ev.data).toMatchObject({ total: 6, counts: { chicago: 5, la: 1 } });
    expect(Number(ev.id)).toBe(Number(an.id) + 1);
    const hb = await a.next((m) => m.event === 'heartbeat');
    expect(hb.id).toBeUndefined();
    a.close();

    // missed while away: one more anomaly and one events message
    emit({ counts: { la: 4 }, anomalies: [{ ...anomaly, id: 'second' }] });
    const b = open(base, String(ev.id));
    await b.ready;
    const missed = await b.next((m) => m.event === 'events');
    expect(missed.data).toMatchObject({ total: 4 });
    expect(b.got.filter((m) => m.id !== undefined).map((m) => Number(m.id))).toEqual([
      Number(ev.id) + 1,
      Number(ev.id) + 2,
    ]);
    b.close();
  });

  it('says so with a gap message when the buffer has moved past the given id', async () => {
    for (let i = 0; i < 6; i++) emit({ counts: {}, anomalies: [{ ...anomaly, id: `bulk-${i}` }] });
    const c = open(base, '1');
    await c.ready;
    const gap = await c.next((m) => m.event === 'gap');
    expect(gap.data).toMatchObject({ lastEventId: 1 });
    await c.next((m) => m.event === 'anomaly' && (m.data as { id: string }).id === 'bulk-5');
    expect(c.got.filter((m) => m.event === 'anomaly')).toHaveLength(4);
    c.close();
  });

  it('refuses a malformed Last-Event-ID with 400', async () => {
    const res = await app.inject({ url: '/v1/stream', headers: { 'last-event-id': 'abc' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain('last-event-id');
  });
});

describe('StreamHub', () => {
  it('keeps at most bufferSize messages and numbers them without holes', () => {
    const hub = new StreamHub({ bufferSize: 3, intervalMs: 1000, heartbeatMs: 1000 });
    for (let i = 0; i < 5; i++) hub.publish('anomaly', { i });
    expect(hub.lastId).toBe(5);
    expect(hub.since(2).map((m) => m.id)).toEqual([3, 4, 5]);
    expect(hub.since(0)[0]?.event).toBe('gap');
    expect(hub.since(5)).toEqual([]);
  });
});
