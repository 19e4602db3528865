/**
 * Natural-language understanding of one message: entities (gazetteer rules), time expressions
 * (chrono-node + rules) and the intent (the classifier on the text with entities and dates replaced
 * by placeholders). Rasa-style button payloads (`/intent{"source":"chicago"}`) bypass the classifier.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import { CATEGORIES, type Category } from '../core/categories.js';
import trainingJson from './content/training.json' with { type: 'json' };
import { parsePeriods } from './dates.js';
import { AREAS, delexicalise, type Entities, extractEntities, type SourceFamily } from './entities.js';
import {
  type IntentClassifier,
  type IntentScore,
  type LabelledText,
  trainIntentClassifier,
} from './intent-classifier.js';

export interface Understanding {
  text: string;
  intent: string;
  confidence: number;
  ranking: IntentScore[];
  entities: Entities;
  /** True when the message was a `/intent{...}` payload. */
  payload: boolean;
  /** The text the classifier saw. */
  delexicalised: string;
}

export interface Nlu {
  readonly classifier: IntentClassifier;
  understand(text: string): Understanding;
}

const TrainingFile = z.object({
  intents: z.record(z.string(), z.array(z.string().min(1)).min(3)),
  templates: z
    .array(
      z.object({
        intent: z.string(),
        patterns: z.array(z.string()),
        slots: z.record(z.string(), z.array(z.string())),
      }),
    )
    .default([]),
});
export type TrainingFile = z.infer<typeof TrainingFile>;

/** Expands `{slot}` patterns with every value of each slot in turn (cycled, not a cross product). */
function expand(t: TrainingFile['templates'][number]): string[] {
  const out: string[] = [];
  t.patterns.forEach((pattern, pi) => {
    const names = [...pattern.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
    const rounds = Math.max(1, ...names.map((n) => t.slots[n]?.length ?? 1));
    for (let r = 0; r < Math.min(rounds, 6); r++) {
      out.push(
        pattern.replace(/\{(\w+)\}/g, (_m, n: string) => {
          const vals = t.slots[n] ?? [''];
          return vals[(r + pi) % vals.length] ?? '';
        }),
      );
    }
  });
  return out;
}

/** Training examples from the content file (intents plus expanded templates). */
export function trainingExamples(file: unknown = trainingJson): LabelledText[] {
  const t = TrainingFile.parse(file);
  const out: LabelledText[] = [];
  for (const [intent, texts] of Object.entries(t.intents))
    for (const text of texts) out.push({ intent, text });
  for (const tpl of t.templates) for (const text of expand(tpl)) out.push({ intent: tpl.intent, text });
  return out;
}

/** Entities and date spans replaced by placeholders; what the classifier is trained and run on. */
export function classifierText(text: string): { delexicalised: string; entities: Entities } {
  const { entities, spans } = extractEntities(text);
  const dates = parsePeriods(text, DateTime.fromISO('2020-06-15T12:00:00', { zone: 'UTC' })).map((p) => ({
    kind: 'date' as const,
    start: p.start,
    end: p.end,
  }));
  const all = [...dates, ...spans.filter((s) => !dates.some((d) => d.start < s.end && s.start < d.end))];
  return { delexicalised: delexicalise(text, all), entities };
}

const PAYLOAD = /^\/([a-z_]{1,40})(\{.{0,500}\})?$/s;
const PayloadEntities = z
  .object({
    source: z.enum(['chicago', 'nyc', 'la', 'uk-police', 'socrata-sf']).optional(),
    sourceHint: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/)
      .optional(),
    area: z.string().max(100).optional(),
    category: z.enum(CATEGORIES).optional(),
  })
  .strict();

function payloadUnderstanding(text: string, intents: readonly string[]): Understanding | undefined {
  const m = PAYLOAD.exec(text);
  if (!m || !intents.includes(m[1] as string)) return undefined;
  let entities: Entities = {};
  if (m[2]) {
    try {
      const p = PayloadEntities.parse(JSON.parse(m[2]));
      const area =
        p.area === undefined ? undefined : AREAS.find((a) => a.name.toLowerCase() === p.area?.toLowerCase());
      entities = {
        ...(p.source ? { source: p.source as SourceFamily } : {}),
        ...(p.sourceHint ? { sourceHint: p.sourceHint } : {}),
        ...(p.category ? { category: p.category as Category } : {}),
        ...(area ? { area } : {}),
      };
    } catch {
      return undefined;
    }
  }
  const intent = m[1] as string;
  return {
    text,
    intent,
    confidence: 1,
    ranking: [{ intent, confidence: 1 }],
    entities,
    payload: true,
    delexicalised: text,
  };
}

let shared: Nlu | undefined;

/** The NLU trained on content/training.json, trained once per process (about 3 s) and shared. */
export function defaultNlu(): Nlu {
  shared ??= createNlu();
  return shared;
}

/** Trains the classifier on `training` (default: content/training.json) and returns the NLU. */
export function createNlu(training: LabelledText[] = trainingExamples()): Nlu {
  const classifier = trainIntentClassifier(
    training.map((e) => ({ intent: e.intent, text: classifierText(e.text).delexicalised })),
  );
  return {
    classifier,
    understand(text: string): Understanding {
      const viaPayload = payloadUnderstanding(text.trim(), classifier.intents);
      if (viaPayload) return viaPayload;
      const { delexicalised, entities } = classifierText(text);
      const ranking = classifier.rank(delexicalised);
      const top = ranking[0] ?? { intent: 'out_of_scope', confidence: 0 };
      return {
        text,
        intent: top.intent,
        confidence: top.confidence,
        ranking,
        entities,
        payload: false,
        delexicalised,
      };
    },
  };
}
