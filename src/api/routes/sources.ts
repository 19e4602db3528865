/** `GET /v1/sources`: each source's mode (live | replay), freshness, lag, last success, stale flag, and what the store holds. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type SourceSummary, sourcesSummary } from '../../store/index.js';
import type { RouteOptions } from '../route-context.js';
import { ERROR_RESPONSES } from '../schemas.js';

export const SourceItem = z.object({
  source: z.string(),
  description: z.string(),
  mode: z
    .enum(['live', 'replay'])
    .nullable()
    .describe('null when the source is not running in this process.'),
  modeReason: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  newestRecordAt: z.string().nullable().describe('Newest record the portal holds.'),
  lagSeconds: z.number().nullable().describe('Now minus newestRecordAt.'),
  expectedLagSeconds: z.number().nullable(),
  stale: z.boolean(),
  complete: z.boolean().nullable().describe('Replays: the whole file was published.'),
  message: z.string().nullable(),
  ingested: z.number().int().describe('Events this process ingested.'),
  rejected: z.number().int(),
  stored: z
    .object({
      events: z.number().int(),
      newestOccurredAt: z.string().nullable(),
      lastIngestedAt: z.string().nullable(),
      watermark: z.string().nullable(),
    })
    .nullable()
    .describe('What the store holds (null without a store or events).'),
});

export const SourcesResponse = z.object({ items: z.array(SourceItem) });

export const sourceRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps }) => {
  app.get(
    '',
    {
      schema: {
        tags: ['ops'],
        summary: 'Sources: mode, freshness, lag, staleness',
        response: { 200: SourcesResponse, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const stored = new Map<string, SourceSummary>();
      if (deps.store) for (const s of await sourcesSummary(deps.store.reader)) stored.set(s.source, s);
      const views = new Map(deps.board.list().map((v) => [v.source, v]));
      const names = [...new Set([...views.keys(), ...stored.keys()])].sort();
      const now = Date.now();
      return {
        items: names.map((name) => {
          const v = views.get(name);
          const s = stored.get(name);
          return {
            source: name,
            description: v?.description ?? '',
            mode: v?.mode ?? null,
            modeReason: v?.modeReason ?? null,
            lastSuccessAt: v?.lastSuccessAt ?? null,
            newestRecordAt: v?.newestRecordAt ?? null,
            lagSeconds: v?.newestRecordAt ? Math.max(0, (now - Date.parse(v.newestRecordAt)) / 1000) : null,
            expectedLagSeconds: v ? v.expectedLagMs / 1000 : null,
            stale: v?.stale ?? false,
            complete: v?.complete ?? null,
            message: v?.message ?? null,
            ingested: v?.events ?? 0,
            rejected: v?.rejected ?? 0,
            stored: s
              ? {
                  events: s.events,
                  newestOccurredAt: s.newestOccurredAt,
                  lastIngestedAt: s.lastIngestedAt,
                  watermark: s.watermark,
                }
              : null,
          };
        }),
      };
    },
  );
};
