/**
 * `ChatData` over the /v1 API (`crimepulse chat --api URL`): `/v1/sources`, `/v1/windows` (paged, summed),
 * `/v1/stats` (top areas) and `/v1/anomalies`. Every response is checked with zod; an unreachable or
 * failing API is a `CP_ERR_CHAT_DATA` error, which the bot reports as "I couldn't get that from the data".
 */
import { z } from 'zod';
import { ChatError } from '../core/errors.js';
import { Severity } from '../pipeline/index.js';
import type { AnomalyQuery, ChatData, CountQuery } from './chat-data.js';
import { toChatAnomaly } from './chat-data.js';

/** The subset of `fetch` used (tests pass one that goes through `app.inject`). */
export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal; headers?: Record<string, string> },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface HttpChatDataOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string;
  fetch?: FetchLike;
  /** Per request, default 10 s. */
  timeoutMs?: number;
}

const SourcesBody = z.object({
  items: z.array(
    z.object({
      source: z.string(),
      mode: z.enum(['live', 'replay']).nullable(),
      stored: z.object({ events: z.number(), newestOccurredAt: z.string() }).nullable(),
    }),
  ),
});
const WindowsBody = z.object({
  items: z.array(z.object({ events: z.number() })),
  nextPageToken: z.string().nullable(),
});
const StatsBody = z.object({
  topAreas: z.array(z.object({ source: z.string(), areaId: z.string(), events: z.number() })),
});
const AnomalyItem = z.object({
  id: z.string(),
  granularity: z.enum(['hour', 'day', 'month']),
  source: z.string(),
  areaId: z.string(),
  category: z.string(),
  windowStart: z.string(),
  windowEnd: z.string(),
  observed: z.number(),
  expected: z.number(),
  lower: z.number(),
  upper: z.number(),
  pValue: z.number(),
  qValue: z.number().nullable(),
  severity: Severity,
});
const AnomaliesBody = z.object({ items: z.array(AnomalyItem), nextPageToken: z.string().nullable() });

export function httpChatData(options: HttpChatDataOptions): ChatData {
  const base = options.apiUrl.replace(/\/+$/, '');
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function get<S extends z.ZodType>(
    path: string,
    params: Record<string, string | undefined>,
    shape: S,
  ): Promise<z.infer<S>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, v);
    const url = `${base}${path}${qs.size > 0 ? `?${qs.toString()}` : ''}`;
    let res: Awaited<ReturnType<FetchLike>>;
    try {
      res = await doFetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (err) {
      throw new ChatError(
        'CP_ERR_CHAT_DATA',
        `the API at ${base} is unreachable: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (!res.ok) throw new ChatError('CP_ERR_CHAT_DATA', `the API answered ${res.status} for ${path}`);
    const parsed = shape.safeParse(await res.json());
    if (!parsed.success)
      throw new ChatError('CP_ERR_CHAT_DATA', `the API's ${path} answer has an unexpected shape`);
    return parsed.data;
  }

  const filter = (q: CountQuery): Record<string, string | undefined> => ({
    source: q.source,
    area: q.areas && q.areas.length > 0 ? q.areas.join(',') : undefined,
    category: q.category,
    from: q.from,
    to: q.to,
  });

  return {
    origin: base,
    async sources() {
      const body = await get('/v1/sources', {}, SourcesBody);
      return body.items
        .filter((s) => s.stored !== null)
        .map((s) => ({
          source: s.source,
          events: s.stored?.events ?? 0,
          newestOccurredAt: s.stored?.newestOccurredAt ?? null,
          mode: s.mode,
        }));
    },
    async count(q) {
      let sum = 0;
      let token: string | undefined;
      do {
        const page = await get(
          '/v1/windows',
          { ...filter(q), granularity: q.granularity, limit: '10000', pageToken: token },
          WindowsBody,
        );
        for (const w of page.items) sum += w.events;
        token = page.nextPageToken ?? undefined;
      } while (token !== undefined);
      return sum;
    },
    async topAreas(q, limit) {
      const body = await get('/v1/stats', { ...filter(q), limit: String(Math.min(limit, 100)) }, StatsBody);
      return body.topAreas.filter((a) => a.events > 0).map((a) => ({ areaId: a.areaId, events: a.events }));
    },
    async anomalies(q: AnomalyQuery) {
      const body = await get(
        '/v1/anomalies',
        {
          source: q.sources.join(','),
          area: q.areas && q.areas.length > 0 ? q.areas.join(',') : undefined,
          category: q.category,
          from: q.from,
          to: q.to,
          limit: String(q.limit),
        },
        AnomaliesBody,
      );
      return body.items.map((a) => toChatAnomaly(a));
    },
  };
}
