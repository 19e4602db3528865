/**
 * The dialogue: understands a message (nlu.ts), keeps a small context per sender for follow-ups and
 * pending questions, and answers from the FAQ content (project questions) or from `ChatData` (data
 * questions). When it is unsure (low intent confidence, or a data question without a city it can
 * infer) it asks, with buttons, instead of guessing; it never produces a number the data did not give.
 *
 * Context is in memory only: at most `maxSenders` senders (least recently used dropped first), each
 * forgotten after `contextTtlMs` of silence.
 */
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import { z } from 'zod';
import { CrimePulseError } from '../core/errors.js';
import { counter } from '../core/metrics.js';
import type { ChatAnomaly, ChatData } from './chat-data.js';
import faqJson from './content/faq.json' with { type: 'json' };
import {
  type Answer,
  answerAnomalies,
  answerCompare,
  answerCount,
  answerExplain,
  answerTopArea,
  type BotMessage,
  type Button,
  DATA_INTENTS,
  type DataIntent,
  type DataRequest,
  freshnessLines,
} from './data-answers.js';
import { parsePeriods } from './dates.js';
import type { Entities } from './entities.js';
import { defaultNlu, type Nlu, type Understanding } from './nlu.js';

export const FaqFile = z.object({
  intents: z.record(
    z.string(),
    z.object({
      title: z.string(),
      question: z.string(),
      answer: z.string(),
      buttons: z.array(z.object({ title: z.string(), payload: z.string() })).optional(),
    }),
  ),
});
export type FaqFile = z.infer<typeof FaqFile>;

export const FAQ: FaqFile = FaqFile.parse(faqJson);

export interface ChatBotOptions {
  data: ChatData;
  /** Defaults to one trained on content/training.json. */
  nlu?: Nlu;
  log?: Logger;
  clock?: () => Date;
  /** Where answer links point: the dashboard's path or URL (default `/`). */
  dashboardUrl?: string;
  /** Below this intent probability the bot asks instead of answering (default 0.45). */
  confidenceThreshold?: number;
  /** Forget a sender after this much silence (default 30 min). */
  contextTtlMs?: number;
  /** At most this many senders' contexts (default 10,000). */
  maxSenders?: number;
}

export interface ChatBot {
  readonly nlu: Nlu;
  /** The bot's messages in answer to one user message. */
  reply(sender: string, message: string): Promise<BotMessage[]>;
  /** Drops a sender's context. */
  forget(sender: string): void;
}

interface SenderContext {
  last?: DataRequest;
  pending?: DataRequest;
  anomalies?: ChatAnomaly[];
  touchedAt: number;
}

const messagesTotal = counter('crimepulse_chat_messages_total', 'Chat messages answered, by intent', [
  'intent',
]);

const FOLLOW_UP_START = /^\s*(and|what about|how about|same|now|ok and|also|then)\b/i;

const isDataIntent = (i: string): i is DataIntent => (DATA_INTENTS as readonly string[]).includes(i);

function hasEntities(e: Entities): boolean {
  return (
    e.source !== undefined || e.area !== undefined || e.category !== undefined || e.sourceHint !== undefined
  );
}

/** Merges a follow-up's entities into the previous request. */
export function mergeRequest(prev: DataRequest, e: Entities, periodText: string | undefined): DataRequest {
  const next: DataRequest = { ...prev };
  if (e.source !== undefined && e.source !== prev.source) {
    next.source = e.source;
    delete next.sourceHint;
    if (prev.area && prev.area.source !== e.source) delete next.area;
  }
  if (e.sourceHint !== undefined) next.sourceHint = e.sourceHint;
  if (e.area !== undefined) {
    next.area = e.area;
    if (e.area.source !== next.source) {
      next.source = e.area.source;
      if (e.sourceHint === undefined) delete next.sourceHint;
    }
  }
  if (e.category !== undefined) next.category = e.category;
  if (periodText !== undefined) next.periodText = periodText;
  return next;
}

function periodTextOf(text: string): string | undefined {
  const periods = parsePeriods(text, DateTime.fromISO('2020-06-15T12:00:00', { zone: 'UTC' }));
  return periods.length > 0 ? periods.map((p) => p.text).join(' vs ') : undefined;
}

function requestOf(intent: DataIntent, u: Understanding, periodText: string | undefined): DataRequest {
  return {
    intent,
    ...(u.entities.source ? { source: u.entities.source } : {}),
    ...(u.entities.sourceHint ? { sourceHint: u.entities.sourceHint } : {}),
    ...(u.entities.area ? { area: u.entities.area } : {}),
    ...(u.entities.category ? { category: u.entities.category } : {}),
    ...(periodText ? { periodText } : {}),
  };
}

function faqAnswer(intent: string): BotMessage[] {
  const f = FAQ.intents[intent] ?? FAQ.intents.out_of_scope;
  if (!f) return [{ text: 'Sorry, I cannot answer that.' }];
  return [{ text: f.answer, ...(f.buttons ? { buttons: f.buttons } : {}) }];
}

function clarify(u: Understanding): BotMessage[] {
  const options: Button[] = u.ranking
    .filter((r) => r.intent !== 'out_of_scope' && r.intent !== 'inform' && r.intent !== 'follow_up')
    .slice(0, 3)
    .map((r) => ({
      title: FAQ.intents[r.intent]?.title ?? r.intent,
      payload: isDataIntent(r.intent) ? (FAQ.intents[r.intent]?.question ?? `/${r.intent}`) : `/${r.intent}`,
    }));
  return [{ text: "I'm not sure I understood. Did you mean one of these?", buttons: options }];
}

export function createChatBot(options: ChatBotOptions): ChatBot {
  const nlu = options.nlu ?? defaultNlu();
  const clock = options.clock ?? (() => new Date());
  const threshold = options.confidenceThreshold ?? 0.45;
  const ttl = options.contextTtlMs ?? 30 * 60_000;
  const maxSenders = options.maxSenders ?? 10_000;
  const dashboardUrl = options.dashboardUrl ?? '/';
  const log = options.log?.child({ component: 'chat' });
  const contexts = new Map<string, SenderContext>();

  function contextOf(sender: string): SenderContext {
    const now = clock().getTime();
    const ctx = contexts.get(sender);
    contexts.delete(sender);
    const fresh = ctx && now - ctx.touchedAt <= ttl ? ctx : { touchedAt: now };
    fresh.touchedAt = now;
    contexts.set(sender, fresh);
    while (contexts.size > maxSenders) {
      const oldest = contexts.keys().next().value;
      if (oldest === undefined) break;
      contexts.delete(oldest);
    }
    return fresh;
  }

  async function runData(req: DataRequest, ctx: SenderContext): Promise<BotMessage[]> {
    const actx = { data: options.data, now: clock(), dashboardUrl };
    let a: Answer;
    switch (req.intent) {
      case 'count_crimes':
        a = await answerCount(req, actx);
        break;
      case 'top_area':
        a = await answerTopArea(req, actx);
        break;
      case 'compare_periods':
        a = await answerCompare(req, actx);
        break;
      case 'list_anomalies':
        a = await answerAnomalies(req, actx);
        break;
      case 'explain_anomaly':
        a = await answerExplain(req, actx, ctx.anomalies);
        break;
    }
    if (a.missing) {
      ctx.pending = req;
    } else {
      delete ctx.pending;
      ctx.last = req;
      if (a.anomalies) ctx.anomalies = a.anomalies;
    }
    return a.messages;
  }

  async function handle(
    u: Understanding,
    ctx: SenderContext,
  ): Promise<{ intent: string; messages: BotMessage[] }> {
    const periodText = u.payload ? undefined : periodTextOf(u.text);
    const entitiesGiven = hasEntities(u.entities) || periodText !== undefined;
    let intent = u.intent;

    // A pending question (we asked for a city or date): an answer that fills it continues it.
    if (
      ctx.pending &&
      (intent === 'inform' ||
        intent === 'follow_up' ||
        (entitiesGiven && !isDataIntent(intent) && u.confidence < 0.9))
    ) {
      return {
        intent: ctx.pending.intent,
        messages: await runData(mergeRequest(ctx.pending, u.entities, periodText), ctx),
      };
    }
    // Follow-ups change one thing of the last data question.
    const looksLikeFollowUp =
      intent === 'follow_up' ||
      intent === 'inform' ||
      (FOLLOW_UP_START.test(u.text) && entitiesGiven && u.confidence < 0.9);
    if (ctx.last && looksLikeFollowUp && (entitiesGiven || u.payload)) {
      const merged = mergeRequest(ctx.last, u.entities, periodText);
      return { intent: merged.intent, messages: await runData(merged, ctx) };
    }
    if (intent === 'follow_up' || intent === 'inform') {
      if (!entitiesGiven) return { intent, messages: clarify(u) };
      // A bare "robberies in Chicago" with no earlier question: a count is the natural reading.
      intent = 'count_crimes';
    }
    if (u.confidence < threshold && !u.payload) {
      if (ctx.last && entitiesGiven) {
        const merged = mergeRequest(ctx.last, u.entities, periodText);
        return { intent: merged.intent, messages: await runData(merged, ctx) };
      }
      return { intent: 'clarify', messages: clarify(u) };
    }
    if (isDataIntent(intent)) {
      let req = requestOf(intent, u, periodText);
      // A data question without a city keeps the city of the conversation.
      if (req.source === undefined && ctx.last?.source !== undefined && intent !== 'explain_anomaly') {
        req = {
          ...req,
          source: ctx.last.source,
          ...(ctx.last.sourceHint ? { sourceHint: ctx.last.sourceHint } : {}),
        };
      }
      if (req.source === undefined && intent === 'explain_anomaly' && ctx.last?.source !== undefined)
        req = { ...req, source: ctx.last.source };
      return { intent, messages: await runData(req, ctx) };
    }
    if (intent === 'data_freshness') {
      const [faq] = faqAnswer(intent);
      return {
        intent,
        messages: [{ text: `${faq?.text ?? ''}\n${await freshnessLines(options.data, clock())}` }],
      };
    }
    return { intent, messages: faqAnswer(intent) };
  }

  return {
    nlu,
    forget(sender) {
      contexts.delete(sender);
    },
    async reply(sender, message) {
      const started = Date.now();
      const ctx = contextOf(sender);
      const u = nlu.understand(message);
      let result: { intent: string; messages: BotMessage[] };
      try {
        result = await handle(u, ctx);
      } catch (err) {
        if (!(err instanceof CrimePulseError)) throw err;
        log?.warn({ err, code: err.code }, 'chat data request failed');
        result = {
          intent: 'error',
          messages: [
            {
              text: `Sorry, I couldn't get that from the data: ${err.code === 'CP_ERR_CHAT_DATA' ? err.message : 'the query failed (see the server log)'}.`,
              custom: { type: 'error', code: err.code },
            },
          ],
        };
      }
      messagesTotal.inc({ intent: result.intent });
      log?.debug(
        {
          intent: u.intent,
          confidence: u.confidence,
          answered: result.intent,
          durationMs: Date.now() - started,
        },
        'chat message',
      );
      return result.messages;
    },
  };
}
