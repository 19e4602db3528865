/**
 * What the chatbot reads, as one interface with two implementations that must give the same answers:
 * `storeChatData` (in-process, the store's query functions) and `httpChatData` (the /v1 API, for
 * `crimepulse chat --api URL`). Periods are half-open `[from, to)` UTC instants aligned to the
 * windows of `granularity` in the source's local calendar, so a sum of windows and a count of events
 * by `occurredAt` agree.
 */
import type { AnomalyRow } from '../pipeline/index.js';

export interface ChatSource {
  source: string;
  /** Events stored for the source. */
  events: number;
  /** Newest stored `occurredAt` (UTC ISO), null when nothing is stored. */
  newestOccurredAt: string | null;
  /** `live` or `replay` when the process knows it (the source status board), else null. */
  mode: 'live' | 'replay' | null;
}

export interface CountQuery {
  source: string;
  /** Area ids (one area, or e.g. every precinct of a borough); absent = all areas. */
  areas?: string[];
  category?: string;
  from: string;
  to: string;
  granularity: 'hour' | 'day' | 'month';
}

export interface AreaTotal {
  areaId: string;
  events: number;
}

export interface AnomalyQuery {
  sources: string[];
  areas?: string[];
  category?: string;
  from: string;
  to: string;
  limit: number;
}

export type ChatAnomaly = Pick<
  AnomalyRow,
  | 'id'
  | 'granularity'
  | 'source'
  | 'areaId'
  | 'category'
  | 'windowStart'
  | 'windowEnd'
  | 'observed'
  | 'expected'
  | 'lower'
  | 'upper'
  | 'pValue'
  | 'qValue'
  | 'severity'
>;

export interface ChatData {
  /** Where answers come from, for logs (`store` or the API's base URL). */
  readonly origin: string;
  sources(): Promise<ChatSource[]>;
  /** Events in the windows of `q` (sum of window counts). */
  count(q: CountQuery): Promise<number>;
  /** Areas by events, most first (ties by area id), at most `limit` (≤ 100). */
  topAreas(q: CountQuery, limit: number): Promise<AreaTotal[]>;
  /** Anomalies whose window starts in `[from, to)`, newest window first (ties by id, descending). */
  anomalies(q: AnomalyQuery): Promise<ChatAnomaly[]>;
}

/** Keeps only the fields the chat shows (both implementations return exactly these). */
export function toChatAnomaly(a: AnomalyRow | ChatAnomaly): ChatAnomaly {
  return {
    id: a.id,
    granularity: a.granularity,
    source: a.source,
    areaId: a.areaId,
    category: a.category,
    windowStart: a.windowStart,
    windowEnd: a.windowEnd,
    observed: a.observed,
    expected: a.expected,
    lower: a.lower,
    upper: a.upper,
    pValue: a.pValue,
    qValue: a.qValue,
    severity: a.severity,
  };
}

/** Sorts area totals as both implementations must: events descending, then area id. */
export function rankAreas(totals: Map<string, number>, limit: number): AreaTotal[] {
  return [...totals.entries()]
    .filter(([, events]) => events > 0)
    .map(([areaId, events]) => ({ areaId, events }))
    .sort((a, b) => b.events - a.events || (a.areaId < b.areaId ? -1 : a.areaId > b.areaId ? 1 : 0))
    .slice(0, limit);
}
