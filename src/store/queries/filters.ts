/** The filter shared by the query functions; zod-checked at the API edge with the same schema. */
import { z } from 'zod';

export const SeriesFilter = z.object({
  source: z.string().optional().describe('Source id, e.g. `chicago`.'),
  areaId: z.string().optional().describe('Primary area id of the source.'),
  category: z.string().optional().describe('Canonical category.'),
  from: z.iso.datetime({ offset: false }).optional().describe('Inclusive start (UTC).'),
  to: z.iso.datetime({ offset: false }).optional().describe('Exclusive end (UTC).'),
});
export type SeriesFilter = z.infer<typeof SeriesFilter>;

export const Granularity = z.enum(['hour', 'day', 'month']);

/** Bound parameters for the `F_*` SQL fragments below. */
export function filterParams(f: SeriesFilter): Record<string, string | number | null> {
  return {
    source: f.source ?? null,
    area: f.areaId ?? null,
    category: f.category ?? null,
    from: f.from === undefined ? null : Date.parse(f.from),
    to: f.to === undefined ? null : Date.parse(f.to),
  };
}

/** WHERE fragment over a table with source, area_id, category and a time column `t` (fixed text, bound values). */
export const whereFilter = (
  t: string,
): string => `(CAST($source AS VARCHAR) IS NULL OR source = CAST($source AS VARCHAR))
  AND (CAST($area AS VARCHAR) IS NULL OR area_id = CAST($area AS VARCHAR))
  AND (CAST($category AS VARCHAR) IS NULL OR category = CAST($category AS VARCHAR))
  AND (CAST($from AS DOUBLE) IS NULL OR ${t} >= epoch_ms(CAST($from AS BIGINT)))
  AND (CAST($to AS DOUBLE) IS NULL OR ${t} < epoch_ms(CAST($to AS BIGINT)))`;
