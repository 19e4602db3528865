/**
 * `crimepulse chat --api URL`: the chatbot alone, reading another CrimePulse server's /v1 API, for
 * separate hosting. Answer links point at that server's dashboard. Returns the listening app;
 * closing it stops the server.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createChatBot } from './chat-bot.js';
import { type FetchLike, httpChatData } from './http-chat-data.js';
import { chatPlugin } from './rest-channel.js';

export interface StandaloneChatOptions {
  /** Base URL of a CrimePulse API, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string;
  port: number;
  host?: string;
  log: Logger;
  /** Dashboard base for answer links; default `<apiUrl>/`. */
  dashboardUrl?: string;
  fetch?: FetchLike;
}

export async function startStandaloneChat(options: StandaloneChatOptions): Promise<FastifyInstance> {
  const apiUrl = new URL(options.apiUrl);
  if (apiUrl.protocol !== 'http:' && apiUrl.protocol !== 'https:')
    throw new TypeError(`--api must be an http(s) URL, got ${options.apiUrl}`);
  const log = options.log.child({ component: 'chat' });
  const data = httpChatData({
    apiUrl: apiUrl.toString(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const bot = createChatBot({
    data,
    log,
    dashboardUrl: options.dashboardUrl ?? new URL('/', apiUrl).toString(),
  });
  const app = Fastify({
    loggerInstance: log as unknown as FastifyInstance['log'],
    disableRequestLogging: true,
  });
  await app.register(chatPlugin, { bot });
  app.get('/', async (_req, reply) => reply.redirect('/chat'));
  app.get('/health', async () => ({ status: 'ok', api: apiUrl.toString() }));
  await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  log.info({ apiUrl: apiUrl.toString(), port: options.port }, 'chat listening');
  return app;
}
