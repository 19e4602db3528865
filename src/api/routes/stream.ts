/**
 * `GET /v1/stream`: Server-Sent Events (see stream-hub.ts for event names, ids and payloads). Send
 * `Last-Event-ID` (browsers' EventSource does on reconnect) to resume after that id.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import type { RouteOptions } from '../route-context.js';
import { ERROR_RESPONSES } from '../schemas.js';
import { formatSse, STREAM_EVENTS, type StreamHub } from '../stream-hub.js';

export const StreamHeaders = z.object({
  'last-event-id': z
    .string()
    .regex(/^\d{1,15}$/, 'expected the numeric id of a received message')
    .optional(),
});

export const streamRoutes: FastifyPluginAsyncZod<RouteOptions & { hub: StreamHub }> = async (
  app,
  { deps, hub },
) => {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
  app.get(
    '',
    {
      schema: {
        tags: ['stream'],
        summary: 'Live events and anomalies (text/event-stream)',
        description: `Ids are integers increasing by one per stored message; send the last one back in \`Last-Event-ID\` to resume. Events: ${Object.entries(
          STREAM_EVENTS,
        )
          .map(([name, e]) => `\`${name}\` (${e.id ? 'with id' : 'no id'}; data ${e.payload}): ${e.when}`)
          .join(' ')}`,
        querystring: z.object({}).strict(),
        headers: StreamHeaders,
        response: { 200: z.string().describe('text/event-stream'), ...ERROR_RESPONSES },
      },
    },
    async (req, reply) => {
      if (deps.feed === undefined)
        throw new ApiError(
          'CP_ERR_API_UNAVAILABLE',
          'no live feed in this process (serve without a pipeline)',
        );
      const raw = req.headers['last-event-id'];
      const lastId = typeof raw === 'string' ? Number(raw) : undefined;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': String(req.id),
      });
      res.write('retry: 3000\n\n');
      if (lastId !== undefined) for (const m of hub.since(lastId)) res.write(formatSse(m));
      open.add(res);
      const detach = hub.attach((m) => res.write(formatSse(m)));
      res.on('close', () => {
        detach();
        open.delete(res);
      });
    },
  );
};
