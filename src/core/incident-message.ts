/**
 * What travels on `crime-incidents`: an envelope around each source message, so the consumer can
 * commit a source's cursor (`state`) and its rejected rows (`reject`) in the same transaction as the
 * events that came before them. On Kafka the ingest role also keeps its own cursors
 * (`ingest-state.duckdb`, saved after the broker acknowledges); the `state` messages then only tell the
 * consumer how far each source got.
 *
 * The `event` payload is validated against `CrimeEvent` by the pipeline (the bus is a boundary: a
 * Kafka topic may carry anything), so it is `unknown` here.
 */
import { z } from 'zod';

export const EventMessage = z.object({ kind: z.literal('event'), event: z.unknown() });
export const StateMessage = z.object({
  kind: z.literal('state'),
  source: z.string(),
  stream: z.string(),
  cursor: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  recordCount: z.number().int().nonnegative(),
});
export const RejectMessage = z.object({
  kind: z.literal('reject'),
  source: z.string(),
  reason: z.string(),
  payload: z.unknown(),
});

export const IncidentMessage = z.discriminatedUnion('kind', [EventMessage, StateMessage, RejectMessage]);
export type IncidentMessage = z.infer<typeof IncidentMessage>;
export type StateMessage = z.infer<typeof StateMessage>;
export type RejectMessage = z.infer<typeof RejectMessage>;
