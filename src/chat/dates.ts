/**
 * Time expressions → half-open periods `[from, to)` in a source's local calendar, relative to an
 * anchor (the data's latest date when it is replayed or frozen, the clock otherwise).
 *
 * chrono-node parses explicit dates ("Feb 1 2015", "in March 2024", "May 2020") and gives points with
 * the components it is certain of; a point becomes the whole day, month or year it names. Relative
 * periods ("last week", "this month", "past 3 days", "yesterday evening") are read by the rules
 * below first, because chrono turns them into single instants (its "last week" is "7 days ago").
 * Calendar words are calendar units: "last week" is the Monday–Sunday week before the anchor's week,
 * "past week" the 7 days ending with the anchor's day. A month named without a year is the latest
 * such month not after the anchor.
 */
import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';

export type Grain = 'hour' | 'day' | 'week' | 'month' | 'year' | 'range';

export interface Period {
  /** Inclusive start, in the source's zone. */
  from: DateTime;
  /** Exclusive end, in the source's zone. */
  to: DateTime;
  grain: Grain;
  /** Human label, e.g. `May 2020`, `2015-01-26 to 2015-02-01`. */
  label: string;
  /** The words it came from, and where. */
  text: string;
  start: number;
  end: number;
  /** True when the period reaches past the anchor's day (e.g. "this month" before it is over). */
  partial: boolean;
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
  fourteen: 14,
  thirty: 30,
};

const PARTS: Record<string, [number, number]> = {
  morning: [6, 12],
  afternoon: [12, 18],
  evening: [18, 24],
  night: [18, 24],
  tonight: [18, 24],
};

/** ISO date of a local day. */
const day = (d: DateTime): string => d.toISODate() ?? '';

export function periodLabel(from: DateTime, to: DateTime, grain: Grain): string {
  const last = to.minus({ milliseconds: 1 });
  if (grain === 'hour')
    return `${day(from)} ${from.toFormat('HH:mm')}–${to.hour === 0 ? '24:00' : to.toFormat('HH:mm')}`;
  if (grain === 'day') return day(from);
  if (grain === 'month' && from.plus({ months: 1 }).equals(to)) return from.toFormat('LLLL yyyy');
  if (grain === 'year' && from.plus({ years: 1 }).equals(to)) return from.toFormat('yyyy');
  if (from.hasSame(last, 'day')) return day(from);
  return `${day(from)} to ${day(last)}`;
}

function make(
  from: DateTime,
  to: DateTime,
  grain: Grain,
  anchor: DateTime,
  text: string,
  start: number,
): Period {
  const anchorDayEnd = anchor.startOf('day').plus({ days: 1 });
  return {
    from,
    to,
    grain,
    label: periodLabel(from, to, grain),
    text,
    start,
    end: start + text.length,
    partial: to > anchorDayEnd,
  };
}

type Rule = {
  re: RegExp;
  build: (m: RegExpExecArray, anchor: DateTime) => { from: DateTime; to: DateTime; grain: Grain } | undefined;
};

/** A bare year ("in 2020"), read after chrono so "May 2020" stays a month. */
const YEAR_RULE: Rule = {
  re: /\b(?:(?:in|during|for|of)\s+(?:the\s+year\s+)?)?((?:19|20)\d\d)\b(?!\s*[-/]\d)/gi,
  build: (m, a) => {
    const y = Number(m[1]);
    const from = DateTime.fromObject({ year: y, month: 1, day: 1 }, { zone: a.zone });
    return { from, to: from.plus({ years: 1 }), grain: 'year' };
  },
};

const unitOf = (w: string): 'week' | 'month' | 'year' | 'day' | 'hour' =>
  w.startsWith('week')
    ? 'week'
    : w.startsWith('month')
      ? 'month'
      : w.startsWith('year')
        ? 'year'
        : w.startsWith('hour')
          ? 'hour'
          : 'day';

const RULES: Rule[] = [
  {
    re: /\b(yesterday|today|tonight|last night)(?:\s+(?:in the\s+)?(morning|afternoon|evening|night))?\b/gi,
    build: (m, a) => {
      const w = (m[1] ?? '').toLowerCase();
      const base =
        w === 'yesterday' || w === 'last night' ? a.startOf('day').minus({ days: 1 }) : a.startOf('day');
      const part = w === 'tonight' ? 'tonight' : w === 'last night' ? 'night' : m[2]?.toLowerCase();
      if (part === undefined) return { from: base, to: base.plus({ days: 1 }), grain: 'day' };
      const [h0, h1] = PARTS[part] ?? [0, 24];
      return { from: base.plus({ hours: h0 }), to: base.plus({ hours: h1 }), grain: 'hour' };
    },
  },
  {
    re: /\bthis\s+(morning|afternoon|evening)\b/gi,
    build: (m, a) => {
      const [h0, h1] = PARTS[(m[1] ?? '').toLowerCase()] ?? [0, 24];
      const d = a.startOf('day');
      return { from: d.plus({ hours: h0 }), to: d.plus({ hours: h1 }), grain: 'hour' };
    },
  },
  {
    re: /\b(?:the\s+)?(?:last|past|previous|prior)\s+(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen|thirty)\s+(hours?|days?|weeks?|months?|years?)\b/gi,
    build: (m, a) => {
      const raw = (m[1] ?? '').toLowerCase();
      const n = /^\d+$/.test(raw) ? Number(raw) : (NUMBER_WORDS[raw] ?? 1);
      const unit = unitOf((m[2] ?? '').toLowerCase());
      if (n < 1) return undefined;
      if (unit === 'hour') {
        const to = a.startOf('hour').plus({ hours: 1 });
        return { from: to.minus({ hours: n }), to, grain: 'hour' };
      }
      const to = a.startOf('day').plus({ days: 1 });
      return { from: to.minus({ [`${unit}s`]: n }), to, grain: 'range' };
    },
  },
  {
    re: /\b(?:the\s+)?past\s+(week|month|year|fortnight)\b/gi,
    build: (m, a) => {
      const w = (m[1] ?? '').toLowerCase();
      const to = a.startOf('day').plus({ days: 1 });
      const from = w === 'fortnight' ? to.minus({ days: 14 }) : to.minus({ [`${w}s`]: 1 });
      return { from, to, grain: 'range' };
    },
  },
  {
    re: /\b(this|current|last|previous|prior)\s+(week|month|year)\b/gi,
    build: (m, a) => {
      const which = (m[1] ?? '').toLowerCase();
      const unit = (m[2] ?? 'week').toLowerCase() as 'week' | 'month' | 'year';
      const cur = a.startOf(unit);
      const from = which === 'this' || which === 'current' ? cur : cur.minus({ [`${unit}s`]: 1 });
      return { from, to: from.plus({ [`${unit}s`]: 1 }), grain: unit };
    },
  },
];

/** Runs the relative rules; returns periods and the text with their spans blanked. */
function relative(
  text: string,
  anchor: DateTime,
  rules: Rule[] = RULES,
): { periods: Period[]; rest: string } {
  const periods: Period[] = [];
  let rest = text;
  for (const rule of rules) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(rest); m !== null; m = rule.re.exec(rest)) {
      const span = m[0];
      const r = rule.build(m, anchor);
      if (r === undefined) continue;
      periods.push(make(r.from, r.to, r.grain, anchor, text.slice(m.index, m.index + span.length), m.index));
      rest = rest.slice(0, m.index) + ' '.repeat(span.length) + rest.slice(m.index + span.length);
    }
  }
  return { periods, rest };
}

/** A chrono point → the whole unit it names, in the anchor's zone. */
function fromComponents(
  c: chrono.ParsedComponents,
  anchor: DateTime,
  isEnd: boolean,
): { from: DateTime; grain: Grain } | undefined {
  const zone = anchor.zone;
  const y = c.get('year') ?? anchor.year;
  const mo = c.get('month') ?? 1;
  const d = c.get('day') ?? 1;
  if (c.isCertain('day')) {
    let from = DateTime.fromObject({ year: y, month: mo, day: d }, { zone });
    if (!c.isCertain('year') && from > anchor && !isEnd) from = from.minus({ years: 1 });
    return { from, grain: 'day' };
  }
  if (c.isCertain('month')) {
    let from = DateTime.fromObject({ year: y, month: mo, day: 1 }, { zone });
    if (!c.isCertain('year') && from > anchor && !isEnd) from = from.minus({ years: 1 });
    return { from, grain: 'month' };
  }
  return undefined;
}

/**
 * Every period named in `text`, in order of appearance. `anchor` fixes "today" and the zone.
 */
export function parsePeriods(text: string, anchor: DateTime): Period[] {
  const { periods, rest: afterRules } = relative(text, anchor);
  let rest = afterRules;
  // chrono reads wall-clock components; give it the anchor's local wall time as a UTC reference.
  const ref = {
    instant: new Date(Date.UTC(anchor.year, anchor.month - 1, anchor.day, anchor.hour, anchor.minute)),
    timezone: 0,
  };
  for (const r of chrono.parse(rest, ref, { forwardDate: false })) {
    const s = fromComponents(r.start, anchor, false);
    if (s === undefined) continue;
    const unit = s.grain === 'day' ? 'days' : 'months';
    let to = s.from.plus({ [unit]: 1 });
    let grain = s.grain;
    if (r.end) {
      const e = fromComponents(r.end, anchor, true);
      if (e) {
        to = e.from.plus({ [e.grain === 'day' ? 'days' : 'months']: 1 });
        grain = 'range';
      }
    }
    if (to <= s.from) continue;
    periods.push(make(s.from, to, grain, anchor, r.text, r.index));
    rest = rest.slice(0, r.index) + ' '.repeat(r.text.length) + rest.slice(r.index + r.text.length);
  }
  const years = relative(rest, anchor, [YEAR_RULE]).periods.map((p) => ({
    ...p,
    text: text.slice(p.start, p.end),
  }));
  periods.push(...years);
  return periods.sort((a, b) => a.start - b.start);
}

/** Widens a period to whole local months (for month-only sources such as UK data). */
export function toWholeMonths(p: Period, anchor: DateTime): Period {
  const from = p.from.startOf('month');
  const lastMonth = p.to.minus({ milliseconds: 1 }).startOf('month');
  const to = lastMonth.plus({ months: 1 });
  if (from.equals(p.from) && to.equals(p.to)) return p;
  return {
    ...p,
    from,
    to,
    grain: from.plus({ months: 1 }).equals(to) ? 'month' : 'range',
    label: periodLabel(from, to, from.plus({ months: 1 }).equals(to) ? 'month' : 'range'),
    partial: to > anchor.startOf('day').plus({ days: 1 }),
  };
}

/** The default period when none is given: the 7 days ending with the anchor's day. */
export function defaultPeriod(anchor: DateTime): Period {
  const to = anchor.startOf('day').plus({ days: 1 });
  return make(to.minus({ days: 7 }), to, 'range', anchor, '', 0);
}

/** The period of the same length just before `p` (calendar units for week/month/year). */
export function previousPeriod(p: Period, anchor: DateTime): Period {
  const unit =
    p.grain === 'month' ? 'months' : p.grain === 'year' ? 'years' : p.grain === 'week' ? 'weeks' : undefined;
  const from = unit ? p.from.minus({ [unit]: 1 }) : p.from.minus(p.to.diff(p.from));
  const to = unit ? p.from : p.from;
  return make(from, to, p.grain, anchor, '', 0);
}
