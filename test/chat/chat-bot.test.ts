/**
 * Data answers against direct SQL on a store built from the shipped samples, the same answers through
 * the /v1 API (httpChatData over app.inject), follow-up context per sender, and clarifying questions.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { anchorFor } from '../../src/chat/data-answers.js';
import {
  type BotMessage,
  type ChatBot,
  createChatBot,
  type FetchLike,
  httpChatData,
  storeChatData,
} from '../../src/chat/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';
import { buildChatTestStore, type ChatTestStore, sql } from './helpers.js';

let ts: ChatTestStore;
let app: FastifyInstance;
let bot: ChatBot;
let viaApi: ChatBot;
// Live-looking clock: every sample is years old, so relative dates anchor at each source's latest date.
const clock = () => new Date('2026-11-25T12:00:00Z');

const injectFetch: FetchLike = async (url) => {
  const u = new URL(url);
  const res = await app.inject({ url: u.pathname + u.search });
  return { ok: res.statusCode < 400, status: res.statusCode, json: async () => res.json() };
};

beforeAll(async () => {
  ts = await buildChatTestStore();
  app = await buildApp({ log: silentLogger, board: new SourceStatusBoard(), store: ts.store });
  bot = createChatBot({ data: storeChatData({ reader: ts.store.reader }), clock });
  viaApi = createChatBot({ data: httpChatData({ apiUrl: 'http://api.test', fetch: injectFetch }), clock });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await ts?.close();
});

const text = (ms: BotMessage[]): string => ms.map((m) => m.text ?? '').join('\n');
const custom = (ms: BotMessage[], type: string): Record<string, unknown> =>
  ms.find((m) => m.custom?.type === type)?.custom ?? {};
const n = async (q: string, p: Record<string, string | number> = {}): Promise<number> =>
  Number((await sql(ts.store, q, p))[0]?.n ?? -1);

describe('data answers equal direct SQL on the samples', () => {
  it('counts burglaries in Chicago last week (the week before the data ends, 2015-02-08)', async () => {
    const out = await bot.reply('count-1', 'How many burglaries in Chicago last week?');
    // Chicago local midnight = 06:00 UTC in winter.
    const want = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND category = 'burglary' AND occurred_at >= '2015-01-26 06:00:00' AND occurred_at < '2015-02-02 06:00:00'`,
    );
    expect(want).toBeGreaterThan(50);
    expect(custom(out, 'count').value).toBe(want);
    expect(text(out)).toContain(
      `${want.toLocaleString('en-GB')} burglaries in Chicago from 2015-01-26 to 2015-02-01`,
    );
    expect(text(out)).toContain("relative to the data's latest date, 2015-02-08");
    expect(custom(out, 'link').href).toBe('/?source=chicago&category=burglary&from=2015-01-26&to=2015-02-02');
  });

  it('answers yesterday evening from hourly windows', async () => {
    const out = await bot.reply('count-2', 'how many thefts in chicago yesterday evening?');
    const want = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND category = 'theft' AND occurred_at >= '2015-02-08 00:00:00' AND occurred_at < '2015-02-08 06:00:00'`,
    );
    expect(custom(out, 'count').value).toBe(want);
    expect(text(out)).toContain('2015-02-07 18:00–24:00');
  });

  it('names the area of the City of London with the most violent crime in May 2020', async () => {
    const out = await bot.reply(
      'top-1',
      'Which area of the City of London had the most violent crime in May 2020?',
    );
    const rows = await sql(
      ts.store,
      `SELECT area_id, count(*) AS n FROM events WHERE source = 'uk-police' AND category = 'violence' AND local_month = '2020-05' GROUP BY area_id ORDER BY n DESC, area_id LIMIT 5`,
    );
    const top = custom(out, 'top_area').areas as { areaId: string; events: number }[];
    expect(top.map((a) => [a.areaId, a.events])).toEqual(rows.map((r) => [r.area_id, r.n]));
    expect(text(out)).toContain(
      `In May 2020, the area of the City of London (data.police.uk) with the most violent crimes was City of London 001F (${rows[0]?.area_id}), with ${rows[0]?.n}`,
    );
    expect(custom(out, 'link').href).toBe(
      `/?source=uk-police&area=${rows[0]?.area_id}&category=violence&from=2020-05-01&to=2020-06-01`,
    );
  });

  it('answers a UK day question for the whole month, and says so', async () => {
    const out = await bot.reply('uk-1', 'how many crimes in London on 3 May 2020?');
    const want = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'uk-police' AND local_month = '2020-05'`,
    );
    expect(custom(out, 'count').value).toBe(want);
    expect(text(out)).toContain('UK data has months only');
  });

  it('compares robberies this month vs last month in LA (LA data ends December 2020)', async () => {
    const out = await bot.reply('cmp-1', 'compare robberies this month vs last month in LA');
    const cur = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'la' AND category = 'robbery' AND local_month = '2020-12'`,
    );
    const prev = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'la' AND category = 'robbery' AND local_month = '2020-11'`,
    );
    const c = custom(out, 'compare') as {
      current: { value: number; label: string };
      previous: { value: number; label: string };
    };
    expect([c.current.value, c.current.label, c.previous.value, c.previous.label]).toEqual([
      cur,
      'December 2020',
      prev,
      'November 2020',
    ]);
    expect(text(out)).toContain('incomplete');
  });

  it('lists anomalies of a period and explains them, as the anomalies table has them', async () => {
    const out = await bot.reply('anom-1', 'any anomalies in chicago last week?');
    const want = await n(
      `SELECT count(*) AS n FROM anomalies WHERE source = 'chicago' AND window_start >= '2015-01-26 06:00:00' AND window_start < '2015-02-02 06:00:00'`,
    );
    expect(want).toBeGreaterThan(0);
    expect(custom(out, 'anomalies').count).toBe(want);
    const why = await bot.reply('anom-1', 'why was it flagged?');
    const [top] = await sql(
      ts.store,
      `SELECT observed, expected, severity FROM anomalies WHERE source = 'chicago' AND window_start >= '2015-01-26 06:00:00' AND window_start < '2015-02-02 06:00:00' ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, window_start DESC LIMIT 1`,
    );
    expect(text(why)).toContain(`${top?.observed} violent crimes, more than the ${top?.expected} expected`);
    expect(text(why)).toContain(`severity ${top?.severity}`);
  });

  it('explains a named date, or says nothing was flagged (never invents one)', async () => {
    const [day] = await sql(
      ts.store,
      `SELECT CAST(timezone('America/Chicago', timezone('UTC', window_start)) AS DATE) AS d, count(*) AS n FROM anomalies WHERE source = 'chicago' GROUP BY 1 ORDER BY n DESC, d LIMIT 1`,
    );
    const d = String(day?.d instanceof Date ? day.d.toISOString().slice(0, 10) : day?.d).slice(0, 10);
    const out = await bot.reply('why-1', `why was ${d} flagged in chicago?`);
    expect((custom(out, 'explain').items as unknown[]).length).toBe(Math.min(3, Number(day?.n)));
    const none = await bot.reply('why-2', 'why was 1 January 2015 flagged in Chicago?');
    expect(text(none)).toContain('Nothing was flagged');
  });
});

describe('the API-backed bot gives the same answers as the in-process one', () => {
  const questions = [
    'How many burglaries in Chicago last week?',
    'and in Austin?',
    'what about robbery?',
    'Which area of the City of London had the most violent crime in May 2020?',
    'which precinct in Brooklyn had the most crime on 1 January 2010?',
    'any anomalies in chicago in the past 2 weeks?',
    'why was it flagged?',
    'compare robberies this month vs last month in LA',
    'any anomalies in NYC today?',
    'how fresh is the data?',
  ];
  it.each(questions)('%s', async (q) => {
    const a = await bot.reply('same-a', q);
    const b = await viaApi.reply('same-b', q);
    expect(b).toEqual(a);
  });
});

describe('follow-ups and clarifying questions', () => {
  it('keeps context per sender: area, then category, then another city', async () => {
    await bot.reply('fu', 'how many burglaries in Chicago last week?');
    const austin = await bot.reply('fu', 'and in Austin?');
    const wantAustin = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND area_id = '25' AND category = 'burglary' AND occurred_at >= '2015-01-26 06:00:00' AND occurred_at < '2015-02-02 06:00:00'`,
    );
    expect(custom(austin, 'count')).toMatchObject({ value: wantAustin, areas: ['25'] });
    const robbery = await bot.reply('fu', 'what about robbery?');
    expect(custom(robbery, 'count')).toMatchObject({ category: 'robbery', areas: ['25'], source: 'chicago' });
    // Brooklyn moves the question to NYC; "last week" is re-read against NYC's own latest date (2010-01-01).
    const brooklyn = await bot.reply('fu', 'and in Brooklyn?');
    const c = custom(brooklyn, 'count') as { source: string; areas: string[]; period: { label: string } };
    expect(c.source).toBe('nyc-complaints');
    expect(c.areas).toContain('75');
    expect(c.period.label).toBe('2009-12-21 to 2009-12-27');
    // Another sender has no context: the same follow-up cannot be answered with a number.
    const other = await bot.reply('someone-else', 'what about robbery?');
    expect(other.some((m) => m.custom?.type === 'count')).toBe(false);
  });

  it('asks for the city with buttons, and the button payload completes the question', async () => {
    const ask = await bot.reply('cl', 'how many robberies last week?');
    expect(text(ask)).toContain('Which city');
    const buttons = ask[0]?.buttons ?? [];
    expect(buttons.map((b) => b.title)).toEqual(
      expect.arrayContaining(['Chicago', 'Los Angeles', 'New York City']),
    );
    const chicago = buttons.find((b) => b.title === 'Chicago');
    expect(chicago?.payload).toBe('/inform{"source":"chicago","category":"robbery"}');
    const out = await bot.reply('cl', chicago?.payload ?? '');
    const want = await n(
      `SELECT count(*) AS n FROM events WHERE source = 'chicago' AND category = 'robbery' AND occurred_at >= '2015-01-26 06:00:00' AND occurred_at < '2015-02-02 06:00:00'`,
    );
    expect(custom(out, 'count').value).toBe(want);
  });

  it('offers choices instead of guessing when unsure, with no numbers', async () => {
    const out = await bot.reply('unsure', 'pattern thing maybe stuff');
    expect(out[0]?.buttons?.length ?? 0).toBeGreaterThan(0);
    expect(text(out)).not.toMatch(/\d/);
  });

  it('says when a city has no stored data', async () => {
    const out = await bot.reply('sf', 'how many thefts in San Francisco last week?');
    expect(text(out)).toContain('I have no San Francisco data');
    expect(out.some((m) => m.custom?.type === 'count')).toBe(false);
  });

  it('answers project questions from the FAQ content', async () => {
    const out = await bot.reply('faq', 'why does the UK data have no days?');
    expect(text(out)).toContain('month-only');
  });

  it('reports an unreachable API without a number', async () => {
    const down = createChatBot({
      data: httpChatData({
        apiUrl: 'http://127.0.0.1:9',
        fetch: async () => Promise.reject(new Error('connect ECONNREFUSED')),
      }),
      clock,
    });
    const out = await down.reply('down', 'how many burglaries in Chicago last week?');
    expect(custom(out, 'error').code).toBe('CP_ERR_CHAT_DATA');
    expect(out.some((m) => m.custom?.type === 'count')).toBe(false);
  });
});

describe('context lifetime and the date anchor', () => {
  it('forgets a sender after 30 minutes of silence', async () => {
    let now = new Date('2026-11-25T12:00:00Z');
    const timed = createChatBot({ data: storeChatData({ reader: ts.store.reader }), clock: () => now });
    await timed.reply('ttl', 'how many burglaries in Chicago last week?');
    const soon = await timed.reply('ttl', 'what about robbery?');
    expect(custom(soon, 'count').category).toBe('robbery');
    now = new Date(now.getTime() + 31 * 60_000);
    const late = await timed.reply('ttl', 'what about theft?');
    expect(late.some((m) => m.custom?.type === 'count')).toBe(false);
  });

  it('anchors relative dates at the data for replays and stale data, at the clock for fresh live data', () => {
    const now = new Date('2015-02-10T12:00:00Z');
    const src = (mode: 'live' | 'replay' | null, newest: string) => [
      { source: 'chicago', events: 1, newestOccurredAt: newest, mode },
    ];
    expect(anchorFor(src('replay', '2015-02-09T05:43:40.000Z'), ['chicago'], now).dataDate).toBe(
      '2015-02-08',
    );
    expect(anchorFor(src('live', '2015-02-09T05:43:40.000Z'), ['chicago'], now).dataDate).toBeUndefined();
    expect(anchorFor(src('live', '2015-02-09T05:43:40.000Z'), ['chicago'], now).at.toISO()).toBe(
      '2015-02-10T06:00:00.000-06:00',
    );
    expect(anchorFor(src(null, '2014-11-01T00:00:00.000Z'), ['chicago'], now).dataDate).toBe('2014-10-31');
  });
});
