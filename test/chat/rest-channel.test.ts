/** Rasa REST channel contract, input limits, the chat page and widget, and the standalone server. */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import {
  chatPlugin,
  createChatBot,
  type FetchLike,
  MAX_MESSAGE_CHARS,
  startStandaloneChat,
  storeChatData,
} from '../../src/chat/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';
import { openStore, type Store } from '../../src/store/index.js';

let store: Store;
let app: FastifyInstance;

beforeAll(async () => {
  // An empty store: the contract does not depend on data (data answers are tested in chat-bot.test.ts).
  store = await openStore(':memory:', silentLogger);
  app = Fastify();
  await app.register(chatPlugin, { bot: createChatBot({ data: storeChatData({ reader: store.reader }) }) });
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/rest/webhook',
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('Rasa REST channel', () => {
  it('GET /webhooks/rest/ answers {"status":"ok"}', async () => {
    const res = await app.inject({ url: '/webhooks/rest/' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers a message with an array of {recipient_id, text, buttons?}', async () => {
    const res = await post({ sender: 'alice', message: 'hello', metadata: { page: '/' } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>[];
    expect(Array.isArray(body)).toBe(true);
    expect(body[0]).toMatchObject({ recipient_id: 'alice', text: expect.stringContaining('CrimePulse') });
    expect(body[0]?.buttons).toEqual(
      expect.arrayContaining([{ title: 'What can you do?', payload: '/help' }]),
    );
    for (const m of body) {
      expect(
        Object.keys(m).every((k) => ['recipient_id', 'text', 'buttons', 'image', 'custom'].includes(k)),
      ).toBe(true);
    }
  });

  it('treats a button payload as the next message', async () => {
    const res = await post({ sender: 'alice', message: '/anomaly_score' });
    expect((res.json() as { text: string }[])[0]?.text).toContain('q is p corrected');
  });

  it('says there is no data yet instead of inventing numbers', async () => {
    const res = await post({ sender: 'bob', message: 'how many burglaries in Chicago last week?' });
    const [m] = res.json() as { text: string }[];
    expect(m?.text).toContain('No data is stored yet');
    expect(m?.text).not.toMatch(/\d/);
  });

  it('returns an empty array for an empty message (as Rasa does)', async () => {
    const res = await post({ sender: 'carol', message: '   ' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it(`refuses messages over ${MAX_MESSAGE_CHARS} characters with 400 and a message`, async () => {
    const ok = await post({ sender: 'd', message: 'a'.repeat(MAX_MESSAGE_CHARS) });
    expect(ok.statusCode).toBe(200);
    const res = await post({ sender: 'd', message: 'a'.repeat(MAX_MESSAGE_CHARS + 1) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: 'CP_ERR_CHAT_INPUT',
      message: `body.message: at most ${MAX_MESSAGE_CHARS} characters`,
      statusCode: 400,
    });
  });

  it('refuses bodies over 16 KiB with 413', async () => {
    const res = await post({ sender: 'e', message: 'x', metadata: { pad: 'p'.repeat(20_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'CP_ERR_API_PAYLOAD_TOO_LARGE' });
  });

  it('refuses a missing sender, a wrong type, bad JSON, plain text and other media types', async () => {
    expect((await post({ message: 'hi' })).json()).toMatchObject({
      code: 'CP_ERR_CHAT_INPUT',
      statusCode: 400,
    });
    expect((await post({ sender: 'f', message: 42 })).statusCode).toBe(400);
    expect((await post('{"sender": "f", "message": ')).statusCode).toBe(400);
    const text = await app.inject({
      method: 'POST',
      url: '/webhooks/rest/webhook',
      payload: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(400);
    const xml = await app.inject({
      method: 'POST',
      url: '/webhooks/rest/webhook',
      payload: '<a/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.statusCode).toBe(415);
  });

  it('never echoes hostile markup back', async () => {
    const res = await post({
      sender: 'g',
      message: '<img src=x onerror=alert(1)> how many <script>alert(1)</script> in chicago',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>');
    expect(res.body).not.toContain('onerror');
  });
});

describe('chat page and widget', () => {
  it('serves an accessible page with stable ids for tests', async () => {
    const res = await app.inject({ url: '/chat' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    for (const s of [
      'id="chat-input"',
      'id="chat-send"',
      'for="chat-input"',
      'aria-live="polite"',
      'role="log"',
      'type="module" src="/chat/chat.js"',
    ])
      expect(res.body).toContain(s);
  });

  it('serves the script, style and widget; unknown assets are 404', async () => {
    for (const [name, type] of [
      ['chat.js', 'text/javascript'],
      ['chat.css', 'text/css'],
      ['widget.js', 'text/javascript'],
    ]) {
      const res = await app.inject({ url: `/chat/${name}` });
      expect(res.statusCode, name).toBe(200);
      expect(res.headers['content-type']).toContain(type);
    }
    expect((await app.inject({ url: '/chat/secrets.txt' })).statusCode).toBe(404);
  });

  it('renders server text only as text and links only http(s) URLs', () => {
    const js = readFileSync('src/chat/page/chat.js', 'utf8');
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(js).toContain("url.protocol !== 'http:' && url.protocol !== 'https:'");
    expect(js).toContain('chat-message');
  });
});

describe('standalone chat (crimepulse chat --api URL)', () => {
  it('answers through the /v1 API of another server, linking to its dashboard', async () => {
    const api = await buildApp({ log: silentLogger, board: new SourceStatusBoard(), store });
    const injectFetch: FetchLike = async (url) => {
      const u = new URL(url);
      const res = await api.inject({ url: u.pathname + u.search });
      return { ok: res.statusCode < 400, status: res.statusCode, json: async () => res.json() };
    };
    const chat = await startStandaloneChat({
      apiUrl: 'http://127.0.0.1:8080',
      port: 0,
      host: '127.0.0.1',
      log: silentLogger,
      fetch: injectFetch,
    });
    try {
      const res = await chat.inject({
        method: 'POST',
        url: '/webhooks/rest/webhook',
        payload: { sender: 's', message: 'how fresh is the data?' },
      });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { text: string }[])[0]?.text).toContain('No data is stored yet');
      expect((await chat.inject({ url: '/webhooks/rest/' })).json()).toEqual({ status: 'ok' });
      expect((await chat.inject({ url: '/chat' })).statusCode).toBe(200);
      await expect(
        startStandaloneChat({ apiUrl: 'file:///etc/passwd', port: 0, log: silentLogger }),
      ).rejects.toThrow(/http\(s\) URL/);
    } finally {
      await chat.close();
      await api.close();
    }
  });
});
