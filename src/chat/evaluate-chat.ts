/**
 * NLU evaluation on the held-out set (content/eval.json, written apart from training.json): intent
 * accuracy (with per-intent recall and the confusions), entity precision/recall/F1 over
 * (kind, value) pairs, and date-parsing accuracy (the first period named equals the labelled one,
 * relative to the set's anchor). `crimepulse evaluate chat` prints it.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import evalJson from './content/eval.json' with { type: 'json' };
import { parsePeriods } from './dates.js';
import type { Entities } from './entities.js';
import { defaultNlu, type Nlu } from './nlu.js';

export const EvalItem = z.object({
  text: z.string(),
  intent: z.string(),
  entities: z
    .object({ source: z.string().optional(), area: z.string().optional(), category: z.string().optional() })
    .default({}),
  period: z.object({ from: z.string(), to: z.string() }).optional(),
});
export type EvalItem = z.infer<typeof EvalItem>;

export const EvalSet = z.object({
  anchor: z.object({ at: z.string(), zone: z.string() }),
  items: z.array(EvalItem).min(1),
});
export type EvalSet = z.infer<typeof EvalSet>;

export interface ChatEvaluation {
  items: number;
  intentAccuracy: number;
  perIntent: Record<string, { n: number; correct: number; recall: number }>;
  /** Most frequent `expected → predicted` mistakes. */
  confusions: { expected: string; predicted: string; count: number }[];
  entities: {
    truePositives: number;
    falsePositives: number;
    falseNegatives: number;
    precision: number;
    recall: number;
    f1: number;
  };
  dates: { items: number; correct: number; accuracy: number };
  /** Every misclassified or misparsed item (for reading, not scoring). */
  failures: {
    text: string;
    expected: string;
    predicted: string;
    confidence: number;
    kind: 'intent' | 'entity' | 'date';
  }[];
}

export interface EvaluateChatOptions {
  nlu?: Nlu;
  evalSet?: unknown;
}

function pairs(e: Entities): Set<string> {
  const s = new Set<string>();
  if (e.source) s.add(`source=${e.source}`);
  if (e.area) s.add(`area=${e.area.name}`);
  if (e.category) s.add(`category=${e.category}`);
  return s;
}

function expectedPairs(e: EvalItem['entities']): Set<string> {
  const s = new Set<string>();
  if (e.source) s.add(`source=${e.source}`);
  if (e.area) s.add(`area=${e.area}`);
  if (e.category) s.add(`category=${e.category}`);
  return s;
}

/** `YYYY-MM-DD..YYYY-MM-DD`, or with `THH:mm` on both ends when either is not a midnight. */
function span(from: DateTime, to: DateTime): string {
  const timed = [from, to].some((d) => d.hour !== 0 || d.minute !== 0);
  const f = (d: DateTime): string => (timed ? d.toFormat("yyyy-LL-dd'T'HH:mm") : (d.toISODate() ?? ''));
  return `${f(from)}..${f(to)}`;
}

export function evaluateChat(options: EvaluateChatOptions = {}): ChatEvaluation {
  const set = EvalSet.parse(options.evalSet ?? evalJson);
  const nlu = options.nlu ?? defaultNlu();
  const anchor = DateTime.fromISO(set.anchor.at, { zone: set.anchor.zone });
  const perIntent: ChatEvaluation['perIntent'] = {};
  const confusions = new Map<string, number>();
  const failures: ChatEvaluation['failures'] = [];
  let correct = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let dateItems = 0;
  let dateCorrect = 0;
  for (const item of set.items) {
    const u = nlu.understand(item.text);
    const stat = perIntent[item.intent] ?? { n: 0, correct: 0, recall: 0 };
    perIntent[item.intent] = stat;
    stat.n++;
    if (u.intent === item.intent) {
      correct++;
      stat.correct++;
    } else {
      const k = `${item.intent}\u0000${u.intent}`;
      confusions.set(k, (confusions.get(k) ?? 0) + 1);
      failures.push({
        text: item.text,
        expected: item.intent,
        predicted: u.intent,
        confidence: u.confidence,
        kind: 'intent',
      });
    }
    const got = pairs(u.entities);
    const want = expectedPairs(item.entities);
    for (const p of got)
      if (want.has(p)) tp++;
      else fp++;
    for (const p of want) if (!got.has(p)) fn++;
    if ([...got].sort().join() !== [...want].sort().join()) {
      failures.push({
        text: item.text,
        expected: [...want].sort().join(' '),
        predicted: [...got].sort().join(' '),
        confidence: u.confidence,
        kind: 'entity',
      });
    }
    if (item.period) {
      dateItems++;
      const p = parsePeriods(item.text, anchor)[0];
      const got = p ? span(p.from, p.to) : 'none';
      const want = `${item.period.from}..${item.period.to}`;
      if (got === want) dateCorrect++;
      else failures.push({ text: item.text, expected: want, predicted: got, confidence: 1, kind: 'date' });
    }
  }
  for (const s of Object.values(perIntent)) s.recall = s.correct / s.n;
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return {
    items: set.items.length,
    intentAccuracy: correct / set.items.length,
    perIntent,
    confusions: [...confusions.entries()]
      .map(([k, count]) => {
        const [expected, predicted] = k.split('\u0000') as [string, string];
        return { expected, predicted, count };
      })
      .sort((a, b) => b.count - a.count || a.expected.localeCompare(b.expected))
      .slice(0, 10),
    entities: {
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    },
    dates: {
      items: dateItems,
      correct: dateCorrect,
      accuracy: dateItems === 0 ? 1 : dateCorrect / dateItems,
    },
    failures,
  };
}

/** A short plain-text report of an evaluation (what `crimepulse evaluate chat` prints). */
export function formatChatEvaluation(r: ChatEvaluation): string {
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  const lines = [
    `chat NLU evaluation: ${r.items} held-out utterances`,
    `intent accuracy  ${pct(r.intentAccuracy)}`,
    `entity F1        ${pct(r.entities.f1)} (precision ${pct(r.entities.precision)}, recall ${pct(r.entities.recall)})`,
    `date parsing     ${pct(r.dates.accuracy)} (${r.dates.correct}/${r.dates.items})`,
    'per intent (recall):',
    ...Object.entries(r.perIntent)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([intent, s]) => `  ${intent.padEnd(18)} ${pct(s.recall).padStart(6)}  (${s.correct}/${s.n})`),
  ];
  if (r.confusions.length > 0)
    lines.push(
      'most frequent confusions:',
      ...r.confusions.map((c) => `  ${c.expected} -> ${c.predicted}: ${c.count}`),
    );
  return lines.join('\n');
}
