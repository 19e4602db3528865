/**
 * `crimepulse chat --api URL`: the chatbot alone (Rasa REST channel and chat page), answering data
 * questions through a running CrimePulse API, for separate hosting as in the original design.
 * `crimepulse evaluate chat`: intent accuracy, entity F1 and date-parsing accuracy on the held-out set.
 */
import { evaluateChat, formatChatEvaluation, startStandaloneChat } from '../chat/index.js';
import { createContext } from './context.js';

export async function chatCommand(opts: { api: string; port?: number }): Promise<void> {
  const ctx = createContext([], opts.port === undefined ? {} : { port: opts.port });
  const app = await startStandaloneChat({
    apiUrl: opts.api,
    port: ctx.config.port,
    host: ctx.config.host,
    log: ctx.log,
  });
  ctx.log.info(
    { api: opts.api, port: ctx.config.port },
    `chatbot on http://localhost:${ctx.config.port}/chat (Rasa REST: /webhooks/rest/webhook)`,
  );
  await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
  await app.close();
}

export async function evaluateChatCommand(opts: { json?: boolean }): Promise<void> {
  const result = evaluateChat();
  process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatChatEvaluation(result)}\n`);
}
