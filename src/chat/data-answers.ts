/**
 * Answers to data questions, computed from `ChatData` only: every number in an answer is a value the
 * data returned, never a guess. Each answer states the period actually used (after resolving "last
 * week" against the data's latest date, and widening to whole months for month-only sources) and
 * links to the dashboard with the same filter.
 */
import { DateTime } from 'luxon';
import type { Category } from '../core/categories.js';
import {
  areaLabel,
  crimePhrase,
  dashboardLink,
  fmtInt,
  fmtNum,
  fmtP,
  isoUtc,
  MONTH_ONLY_SOURCES,
  pctChange,
  periodSentence,
  sourceName,
  sourceZone,
} from './answer-format.js';
import type { ChatAnomaly, ChatData, ChatSource, CountQuery } from './chat-data.js';
import { defaultPeriod, type Period, parsePeriods, previousPeriod, toWholeMonths } from './dates.js';
import type { AreaEntry, SourceFamily } from './entities.js';

export const DATA_INTENTS = [
  'count_crimes',
  'top_area',
  'list_anomalies',
  'explain_anomaly',
  'compare_periods',
] as const;
export type DataIntent = (typeof DATA_INTENTS)[number];

export interface Button {
  title: string;
  payload: string;
}

/** One outgoing message (Rasa REST: text, buttons, image or custom). */
export interface BotMessage {
  text?: string;
  buttons?: Button[];
  image?: string;
  custom?: Record<string, unknown>;
}

/** A data question with its entities; kept per sender for follow-ups. */
export interface DataRequest {
  intent: DataIntent;
  source?: SourceFamily;
  sourceHint?: string;
  area?: AreaEntry;
  category?: Category;
  /** The words that named the period(s), re-read against each source's own latest date. */
  periodText?: string;
}

export interface AnswerContext {
  data: ChatData;
  now: Date;
  dashboardUrl: string;
}

export interface Answer {
  messages: BotMessage[];
  /** Set when the answer lists anomalies (a following "why?" explains the first). */
  anomalies?: ChatAnomaly[];
  /** Set when a slot is missing and the bot asked for it. */
  missing?: 'source' | 'period';
}

/** Data older than this (or a replay) anchors relative dates at its own latest date. */
const STALE_MS = 30 * 86_400_000;

/** Concrete source ids for a family, among the stored ones. */
export function resolveSources(
  req: Pick<DataRequest, 'source' | 'sourceHint' | 'intent'>,
  stored: ChatSource[],
): string[] {
  const ids = new Set(stored.map((s) => s.source));
  if (req.source === undefined) return [];
  if (req.source !== 'nyc') return ids.has(req.source) ? [req.source] : [];
  if (req.sourceHint?.startsWith('nyc-')) return ids.has(req.sourceHint) ? [req.sourceHint] : [];
  if (req.intent === 'list_anomalies' || req.intent === 'explain_anomaly')
    return [...ids].filter((s) => s.startsWith('nyc-')).sort();
  return ids.has('nyc-complaints')
    ? ['nyc-complaints']
    : [...ids]
        .filter((s) => s.startsWith('nyc-'))
        .sort()
        .slice(0, 1);
}

interface Anchor {
  at: DateTime;
  /** Set when relative dates are read against the data's latest date. */
  dataDate?: string;
}

export function anchorFor(sources: ChatSource[], ids: string[], now: Date): Anchor {
  const zone = sourceZone(ids[0] ?? '');
  const chosen = sources.filter((s) => ids.includes(s.source) && s.newestOccurredAt !== null);
  const newest = chosen
    .map((s) => Date.parse(s.newestOccurredAt as string))
    .reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const replay = chosen.some((s) => s.mode === 'replay');
  if (Number.isFinite(newest) && (replay || now.getTime() - newest > STALE_MS || newest > now.getTime())) {
    const at = DateTime.fromMillis(newest, { zone });
    return { at, dataDate: at.toISODate() ?? '' };
  }
  return { at: DateTime.fromJSDate(now, { zone }) };
}

function askSource(req: DataRequest, stored: ChatSource[], unknown?: string): Answer {
  const families = new Map<string, string>();
  for (const s of stored) {
    const fam = s.source.startsWith('nyc-') ? 'nyc' : s.source;
    if (!families.has(fam))
      families.set(
        fam,
        fam === 'nyc'
          ? 'New York City'
          : sourceName(s.source)
              .replace(/^the /, '')
              .replace(/ \(.*\)$/, ''),
      );
  }
  if (families.size === 0)
    return {
      messages: [
        {
          text: 'No data is stored yet, so I have no numbers to give. Start the sources (or a replay) and ask again.',
        },
      ],
    };
  const text = unknown
    ? `I have no ${unknown} data in this store. Which city do you mean?`
    : 'Which city do you mean?';
  const entities = (fam: string): string =>
    JSON.stringify({ source: fam, ...(req.category ? { category: req.category } : {}) });
  return {
    missing: 'source',
    messages: [
      {
        text,
        buttons: [...families.entries()].map(([fam, title]) => ({
          title,
          payload: `/inform${entities(fam)}`,
        })),
      },
    ],
  };
}

const FAMILY_NAMES: Record<SourceFamily, string> = {
  chicago: 'Chicago',
  nyc: 'New York City',
  la: 'Los Angeles',
  'uk-police': 'UK Police',
  'socrata-sf': 'San Francisco',
};

interface Resolved {
  ids: string[];
  anchor: Anchor;
  periods: Period[];
  /** Notes to add (month widening, defaults). */
  notes: string[];
}

function resolvePeriods(
  req: DataRequest,
  ids: string[],
  anchor: Anchor,
  fallback: 'default' | 'none',
): { periods: Period[]; notes: string[] } {
  const notes: string[] = [];
  let periods = req.periodText ? parsePeriods(req.periodText, anchor.at) : [];
  if (periods.length === 0 && fallback === 'default') {
    periods = [defaultPeriod(anchor.at)];
    notes.push('You did not say when, so I used the last 7 days of data.');
  }
  if (ids.length > 0 && ids.every((s) => MONTH_ONLY_SOURCES.has(s))) {
    const widened = periods.map((p) => toWholeMonths(p, anchor.at));
    if (widened.some((p, i) => p !== periods[i]))
      notes.push('UK data has months only, so I used whole months.');
    periods = widened;
  }
  return { periods, notes };
}

function relativeNote(anchor: Anchor, req: DataRequest): string | undefined {
  if (anchor.dataDate === undefined || req.periodText === undefined) return undefined;
  if (!/\b(today|tonight|yesterday|this|last|past|previous|prior|current)\b/i.test(req.periodText))
    return undefined;
  return `Dates are relative to the data's latest date, ${anchor.dataDate}.`;
}

function granularityOf(p: Period, source: string): CountQuery['granularity'] {
  if (MONTH_ONLY_SOURCES.has(source)) return 'month';
  if (p.grain === 'hour') return 'hour';
  return p.from.equals(p.from.startOf('month')) && p.to.equals(p.to.startOf('month')) ? 'month' : 'day';
}

function countQuery(source: string, req: DataRequest, p: Period): CountQuery {
  return {
    source,
    ...(req.area ? { areas: req.area.ids } : {}),
    ...(req.category ? { category: req.category } : {}),
    from: isoUtc(p.from),
    to: isoUtc(p.to),
    granularity: granularityOf(p, source),
  };
}

function link(ctx: AnswerContext, source: string, req: DataRequest, p: Period): BotMessage {
  const href = dashboardLink(ctx.dashboardUrl, {
    source,
    ...(req.area ? { areas: req.area.ids } : {}),
    ...(req.category ? { category: req.category } : {}),
    from: p.from,
    to: p.to,
  });
  return {
    text: `Open in the dashboard: ${href}`,
    custom: { type: 'link', href, title: 'Open in the dashboard' },
  };
}

async function prepare(
  req: DataRequest,
  ctx: AnswerContext,
  periodFallback: 'default' | 'none',
): Promise<Resolved | Answer> {
  const stored = await ctx.data.sources();
  if (req.source === undefined) {
    const families = new Set(stored.map((s) => (s.source.startsWith('nyc-') ? 'nyc' : s.source)));
    if (families.size === 1 && req.intent !== 'explain_anomaly')
      req = { ...req, source: [...families][0] as SourceFamily };
    else if (req.intent === 'explain_anomaly' || req.intent === 'list_anomalies') {
      // Anomaly questions without a city look at every source.
      const ids = stored.map((s) => s.source).sort();
      if (ids.length === 0) return askSource(req, stored);
      const anchor = anchorFor(stored, ids, ctx.now);
      const { periods, notes } = resolvePeriods(req, ids, anchor, periodFallback);
      return { ids, anchor, periods, notes };
    } else return askSource(req, stored);
  }
  const ids = resolveSources(req, stored);
  if (ids.length === 0) return askSource(req, stored, FAMILY_NAMES[req.source as SourceFamily] ?? req.source);
  const anchor = anchorFor(stored, ids, ctx.now);
  const { periods, notes } = resolvePeriods(req, ids, anchor, periodFallback);
  return { ids, anchor, periods, notes };
}

const isAnswer = (r: Resolved | Answer): r is Answer => 'messages' in r;

function withNotes(text: string, notes: (string | undefined)[]): string {
  const n = notes.filter((x): x is string => x !== undefined && x.length > 0);
  return n.length > 0 ? `${text} ${n.join(' ')}` : text;
}

export async function answerCount(req: DataRequest, ctx: AnswerContext): Promise<Answer> {
  const r = await prepare(req, ctx, 'default');
  if (isAnswer(r)) return r;
  const source = r.ids[0] as string;
  const p = r.periods[0] as Period;
  const n = await ctx.data.count(countQuery(source, req, p));
  const where = req.area ? `${req.area.name}, ${sourceName(source)}` : sourceName(source);
  const text = `${fmtInt(n)} ${crimePhrase(req.category, n)} in ${where} ${periodSentence(p)}.`;
  const partial = p.partial
    ? `The period runs past the latest data (${r.anchor.at.toISODate()}), so it is incomplete.`
    : undefined;
  return {
    messages: [
      {
        text: withNotes(text, [...r.notes, relativeNote(r.anchor, req), partial]),
        custom: {
          type: 'count',
          value: n,
          source,
          period: { from: isoUtc(p.from), to: isoUtc(p.to), label: p.label },
          ...(req.category ? { category: req.category } : {}),
          ...(req.area ? { areas: req.area.ids } : {}),
        },
      },
      link(ctx, source, req, p),
    ],
  };
}

export async function answerTopArea(req: DataRequest, ctx: AnswerContext): Promise<Answer> {
  const r = await prepare(req, ctx, 'default');
  if (isAnswer(r)) return r;
  const source = r.ids[0] as string;
  const p = r.periods[0] as Period;
  const top = await ctx.data.topAreas(countQuery(source, req, p), 5);
  const crimes = crimePhrase(req.category, 2);
  if (top.length === 0) {
    return {
      messages: [
        {
          text: withNotes(
            `No ${crimes} are stored for ${sourceName(source)} ${periodSentence(p)}, so no area stands out.`,
            [...r.notes, relativeNote(r.anchor, req)],
          ),
        },
        link(ctx, source, req, p),
      ],
    };
  }
  const [first, ...rest] = top;
  const f = first as (typeof top)[number];
  const others = rest.slice(0, 3).map((a) => `${areaLabel(source, a.areaId)} ${fmtInt(a.events)}`);
  const text = `${periodSentence(p).replace(/^./, (c) => c.toUpperCase())}, the area of ${sourceName(source)} with the most ${crimes} was ${areaLabel(source, f.areaId)}, with ${fmtInt(f.events)}.${others.length > 0 ? ` Next: ${others.join('; ')}.` : ''}`;
  const bestLink = link(
    ctx,
    source,
    { ...req, area: { source: req.source as SourceFamily, name: f.areaId, ids: [f.areaId] } },
    p,
  );
  return {
    messages: [
      {
        text: withNotes(text, [...r.notes, relativeNote(r.anchor, req)]),
        custom: {
          type: 'top_area',
          source,
          areas: top,
          period: { from: isoUtc(p.from), to: isoUtc(p.to), label: p.label },
        },
      },
      bestLink,
    ],
  };
}

export async function answerCompare(req: DataRequest, ctx: AnswerContext): Promise<Answer> {
  const r = await prepare(req, ctx, 'none');
  if (isAnswer(r)) return r;
  const source = r.ids[0] as string;
  let [a, b] = r.periods;
  const notes = [...r.notes];
  if (a === undefined) {
    a = defaultPeriod(r.anchor.at);
    if (MONTH_ONLY_SOURCES.has(source)) a = toWholeMonths(a, r.anchor.at);
    notes.push(
      'You did not say which periods, so I compared the latest 7 days (or month) with the one before.',
    );
  }
  if (b === undefined) b = previousPeriod(a, r.anchor.at);
  const [na, nb] = [
    await ctx.data.count(countQuery(source, req, a)),
    await ctx.data.count(countQuery(source, req, b)),
  ];
  const crimes = crimePhrase(req.category, 2);
  const where = req.area ? `${req.area.name}, ${sourceName(source)}` : sourceName(source);
  const partial =
    a.partial || b.partial
      ? `Note: a period that runs past the latest data (${r.anchor.at.toISODate()}) is incomplete.`
      : undefined;
  const text = `${crimes.replace(/^./, (c) => c.toUpperCase())} in ${where}: ${fmtInt(na)} ${periodSentence(a)} against ${fmtInt(nb)} ${periodSentence(b)} (${pctChange(na, nb)}).`;
  return {
    messages: [
      {
        text: withNotes(text, [...notes, relativeNote(r.anchor, req), partial]),
        custom: {
          type: 'compare',
          source,
          current: { value: na, from: isoUtc(a.from), to: isoUtc(a.to), label: a.label },
          previous: { value: nb, from: isoUtc(b.from), to: isoUtc(b.to), label: b.label },
        },
      },
      link(ctx, source, req, a),
    ],
  };
}

function describeAnomaly(a: ChatAnomaly): string {
  const zone = sourceZone(a.source);
  const start = DateTime.fromISO(a.windowStart, { zone: 'utc' }).setZone(zone);
  const when =
    a.granularity === 'hour'
      ? `${start.toISODate()} ${start.toFormat('HH:00')}`
      : a.granularity === 'month'
        ? start.toFormat('LLLL yyyy')
        : (start.toISODate() ?? '');
  const dir = a.observed >= a.expected ? 'more than' : 'fewer than';
  const q = a.qValue === null ? '' : `, q = ${fmtP(a.qValue)}`;
  const cat = a.category === 'all' ? 'events' : crimePhrase(a.category as Category, a.observed);
  return `${when} (${a.granularity}), ${sourceName(a.source)}, ${areaLabel(a.source, a.areaId)}: ${fmtNum(a.observed)} ${cat}, ${dir} the ${fmtNum(a.expected)} expected (interval ${fmtNum(a.lower)}–${fmtNum(a.upper)}); p = ${fmtP(a.pValue)}${q}; severity ${a.severity}.`;
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

function bySeverity(list: ChatAnomaly[]): ChatAnomaly[] {
  return [...list].sort(
    (x, y) =>
      (SEVERITY_RANK[x.severity] ?? 4) - (SEVERITY_RANK[y.severity] ?? 4) ||
      y.windowStart.localeCompare(x.windowStart) ||
      x.id.localeCompare(y.id),
  );
}

const ANOMALY_LIMIT = 200;

export async function answerAnomalies(req: DataRequest, ctx: AnswerContext): Promise<Answer> {
  const r = await prepare(req, ctx, 'default');
  if (isAnswer(r)) return r;
  const p = r.periods[0] as Period;
  const list = await ctx.data.anomalies({
    sources: r.ids,
    ...(req.area ? { areas: req.area.ids } : {}),
    ...(req.category ? { category: req.category } : {}),
    from: isoUtc(p.from),
    to: isoUtc(p.to),
    limit: ANOMALY_LIMIT,
  });
  const where = req.source
    ? req.area
      ? `${req.area.name}, ${FAMILY_NAMES[req.source]}`
      : FAMILY_NAMES[req.source]
    : 'any source';
  const what = req.category ? ` for ${crimePhrase(req.category, 2)}` : '';
  const notes = [...r.notes, relativeNote(r.anchor, req)];
  const first = r.ids[0] as string;
  if (list.length === 0) {
    return {
      messages: [
        {
          text: withNotes(`No anomalies were flagged in ${where}${what} ${periodSentence(p)}.`, notes),
          custom: { type: 'anomalies', count: 0 },
        },
        link(ctx, first, req, p),
      ],
    };
  }
  const sorted = bySeverity(list);
  const counted = list.length >= ANOMALY_LIMIT ? `at least ${ANOMALY_LIMIT}` : fmtInt(list.length);
  const head = `${counted} ${list.length === 1 ? 'anomaly was' : 'anomalies were'} flagged in ${where}${what} ${periodSentence(p)}. ${list.length > 5 ? 'The 5 most severe:' : ''}`;
  const lines = sorted.slice(0, 5).map((a, i) => `${i + 1}. ${describeAnomaly(a)}`);
  return {
    anomalies: sorted,
    messages: [
      {
        text: withNotes(`${head.trim()}\n${lines.join('\n')}`, notes),
        custom: { type: 'anomalies', count: list.length, items: sorted.slice(0, 5) },
      },
      link(ctx, first, req, p),
      {
        text: 'Ask "why was it flagged?" for an explanation, or "what does a score mean?".',
        buttons: [
          { title: 'Why was it flagged?', payload: '/explain_anomaly' },
          { title: 'What does a score mean?', payload: '/anomaly_score' },
        ],
      },
    ],
  };
}

const MEANING =
  'p is the chance of a count at least this far from the expected one if nothing unusual happened; q corrects p for the many series tested together (Benjamini–Hochberg). A window is flagged when q is below the false-alarm budget of its granularity.';

export async function answerExplain(
  req: DataRequest,
  ctx: AnswerContext,
  previous?: ChatAnomaly[],
): Promise<Answer> {
  if (req.periodText === undefined && previous && previous.length > 0) {
    const a = previous[0] as ChatAnomaly;
    return {
      messages: [{ text: `${describeAnomaly(a)} ${MEANING}`, custom: { type: 'explain', items: [a] } }],
    };
  }
  if (req.periodText === undefined) {
    return {
      missing: 'period',
      messages: [
        { text: 'Which date (and city) do you mean? For example: "why was Feb 1 2015 flagged in Chicago?"' },
      ],
    };
  }
  const r = await prepare(req, ctx, 'none');
  if (isAnswer(r)) return r;
  const p = r.periods[0];
  if (p === undefined)
    return {
      missing: 'period',
      messages: [
        { text: `I couldn't read a date in "${req.periodText}". Try a date like "1 February 2015".` },
      ],
    };
  const list = await ctx.data.anomalies({
    sources: r.ids,
    ...(req.area ? { areas: req.area.ids } : {}),
    ...(req.category ? { category: req.category } : {}),
    from: isoUtc(p.from),
    to: isoUtc(p.to),
    limit: ANOMALY_LIMIT,
  });
  const where = req.source ? FAMILY_NAMES[req.source] : 'any source';
  if (list.length === 0) {
    return {
      messages: [
        {
          text: `Nothing was flagged in ${where} ${periodSentence(p)} in the stored data, so there is no anomaly to explain.`,
          custom: { type: 'explain', items: [] },
        },
      ],
    };
  }
  const sorted = bySeverity(list);
  const lines = sorted.slice(0, 3).map((a, i) => `${i + 1}. ${describeAnomaly(a)}`);
  const more = list.length > 3 ? ` (${list.length} in all; the 3 most severe)` : '';
  return {
    anomalies: sorted,
    messages: [
      {
        text: `${periodSentence(p).replace(/^./, (c) => c.toUpperCase())}, ${where} had ${list.length} flagged ${list.length === 1 ? 'window' : 'windows'}${more}:\n${lines.join('\n')}\n${MEANING}`,
        custom: { type: 'explain', items: sorted.slice(0, 3) },
      },
      link(ctx, sorted[0]?.source ?? (r.ids[0] as string), { ...req, ...(req.category ? {} : {}) }, p),
    ],
  };
}

/** Per-source freshness lines for the data_freshness intent. */
export async function freshnessLines(data: ChatData, now: Date): Promise<string> {
  const stored = await data.sources();
  if (stored.length === 0) return 'No data is stored yet.';
  return stored
    .map((s) => {
      const newest = s.newestOccurredAt
        ? DateTime.fromISO(s.newestOccurredAt, { zone: 'utc' }).setZone(sourceZone(s.source)).toISODate()
        : 'none';
      const age = s.newestOccurredAt
        ? Math.floor((now.getTime() - Date.parse(s.newestOccurredAt)) / 86_400_000)
        : undefined;
      const mode = s.mode ? `, ${s.mode}` : '';
      return `${sourceName(s.source)}: ${fmtInt(s.events)} events, newest ${newest}${age !== undefined && age > 0 ? ` (${fmtInt(age)} days ago)` : ''}${mode}.`;
    })
    .join('\n');
}
