/**
 * Rasa's REST channel on fastify, plus the chat page and the embeddable widget.
 *
 * - `POST /webhooks/rest/webhook` `{"sender", "message", "metadata"?}` → a JSON array of
 *   `{"recipient_id", "text"}`, with `buttons: [{title, payload}]`, `image` or `custom` where the
 *   answer has them (Rasa's CollectingOutputChannel shapes). A button's payload is sent back as the
 *   next `message`, as Rasa clients do.
 * - `GET /webhooks/rest/` → `{"status":"ok"}`.
 * - `GET /chat` (page), `/chat/chat.js`, `/chat/chat.css`, `/chat/widget.js` (static, no bundler).
 *
 * Limits: a message has at most 1,000 characters (400 `CP_ERR_CHAT_INPUT` otherwise) and a body at
 * most 16 KiB (413). Answers are plain text; the page renders them with textContent and only follows
 * http(s) or same-site links.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChatError, CrimePulseError, ERRORS } from '../core/errors.js';
import type { ChatBot } from './chat-bot.js';

export const MAX_MESSAGE_CHARS = 1000;
export const CHAT_BODY_LIMIT = 16 * 1024;

export const RestRequest = z.object({
  sender: z.string().trim().min(1, 'required').max(128, 'at most 128 characters'),
  message: z.string().max(MAX_MESSAGE_CHARS, `at most ${MAX_MESSAGE_CHARS} characters`),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type RestRequest = z.infer<typeof RestRequest>;

/** One element of the webhook's answer (Rasa REST). */
export interface RestMessage {
  recipient_id: string;
  text?: string;
  buttons?: { title: string; payload: string }[];
  image?: string;
  custom?: Record<string, unknown>;
}

export interface ChatPluginOptions {
  bot: ChatBot;
  /** Per-client limit on the webhook, applied when the host app registered @fastify/rate-limit. */
  rateLimit?: { max: number; timeWindow: number };
}

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
const ASSETS: Record<string, { file: string; type: string }> = {
  'chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  'chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
  'widget.js': { file: 'widget.js', type: 'text/javascript; charset=utf-8' },
};

function asset(name: string): string {
  return readFileSync(join(PAGE_DIR, name), 'utf8');
}

/** Errors of these routes as `{code, message, statusCode}` (the API's shape), in either host app. */
function chatErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const send = (code: keyof typeof ERRORS, message: string): FastifyReply =>
    reply.code(ERRORS[code].status).send({ code, message, statusCode: ERRORS[code].status });
  if (err instanceof CrimePulseError) return send(err.code, err.message);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return send(
      'CP_ERR_API_PAYLOAD_TOO_LARGE',
      `request body too large (limit ${CHAT_BODY_LIMIT / 1024} KiB; a message has at most ${MAX_MESSAGE_CHARS} characters)`,
    );
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return send('CP_ERR_API_UNSUPPORTED_MEDIA_TYPE', 'send application/json');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return send('CP_ERR_CHAT_INPUT', `body: ${err.message}`);
  req.log.error({ err }, 'chat request failed');
  return send('CP_ERR_INTERNAL', 'Internal error');
}

export const chatPlugin: FastifyPluginAsync<ChatPluginOptions> = async (app, { bot, rateLimit }) => {
  app.setErrorHandler(chatErrorHandler);
  const page = asset('chat.html');
  const files = Object.fromEntries(
    Object.entries(ASSETS).map(([k, v]) => [k, { body: asset(v.file), type: v.type }]),
  );

  app.get('/webhooks/rest/', async () => ({ status: 'ok' }));

  app.post(
    '/webhooks/rest/webhook',
    { bodyLimit: CHAT_BODY_LIMIT, ...(rateLimit ? { config: { rateLimit } } : {}) },
    async (req): Promise<RestMessage[]> => {
      const parsed = RestRequest.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue?.path.join('.') ?? '';
        throw new ChatError(
          'CP_ERR_CHAT_INPUT',
          `body${path ? `.${path}` : ''}: ${issue?.message ?? 'invalid'}`,
        );
      }
      const { sender, message } = parsed.data;
      if (message.trim().length === 0) return [];
      const out = await bot.reply(sender, message);
      return out.map((m) => ({ recipient_id: sender, ...m }));
    },
  );

  app.get('/chat', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  );
  app.get('/chat/', async (_req, reply) => reply.redirect('/chat'));
  app.get<{ Params: { name: string } }>('/chat/:name', async (req, reply) => {
    const f = files[req.params.name];
    if (!f) throw new ChatError('CP_ERR_API_NOT_FOUND', `no chat asset ${req.params.name.slice(0, 50)}`);
    return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
  });
};
