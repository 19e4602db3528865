/**
 * `GET /v1/hotspots`: Getis–Ord Gi* hot and cold spots of a filter's events on a square grid of
 * `cellMeters` (src/model/spatial), queen contiguity, BH-controlled at q ≤ 0.05. Uses at most the
 * newest 50,000 located events (`sampled` says when more matched) and at most 40,000 cells.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../core/errors.js';
import { giStar, gridCells, neighboursQueen } from '../../model/spatial/gi-star.js';
import { filterParams, rows, whereFilter } from '../data/sql-filter.js';
import { type RouteOptions, requireStore } from '../route-context.js';
import { BboxParam, ERROR_RESPONSES, FilterQuery } from '../schemas.js';

const MAX_POINTS = 50_000;
const MAX_CELLS = 40_000;

export const HotspotsQuery = FilterQuery.extend({
  bbox: BboxParam.optional(),
  cellMeters: z
    .string()
    .regex(/^\d{1,5}$/, 'expected a whole number of metres')
    .transform(Number)
    .pipe(z.number().int().min(100).max(10_000))
    .optional()
    .transform((v) => v ?? 500)
    .describe('Grid cell size in metres, 100..10000, default 500.'),
}).strict();

export const HotspotsResponse = z.object({
  cellMeters: z.number(),
  points: z.number().int(),
  sampled: z.boolean(),
  cells: z.number().int(),
  items: z.array(
    z.object({
      lat: z.number(),
      lon: z.number(),
      events: z.number(),
      z: z.number(),
      p: z.number(),
      q: z.number(),
      class: z.enum(['hot', 'cold']),
    }),
  ),
});

const SQL = `SELECT lat, lon FROM events WHERE lat IS NOT NULL AND lon IS NOT NULL AND ${whereFilter('occurred_at')}
  AND (CAST($minLon AS DOUBLE) IS NULL OR (lon BETWEEN CAST($minLon AS DOUBLE) AND CAST($maxLon AS DOUBLE)
  AND lat BETWEEN CAST($minLat AS DOUBLE) AND CAST($maxLat AS DOUBLE)))
  ORDER BY occurred_at DESC, id DESC LIMIT CAST($limit AS INTEGER)`;

const EARTH_M_PER_DEG = 111_320;

export const hotspotRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { deps, limited }) => {
  app.get(
    '',
    {
      config: limited,
      schema: {
        tags: ['models'],
        summary: 'Gi* hot and cold spots on a grid',
        querystring: HotspotsQuery,
        response: { 200: HotspotsResponse, ...ERROR_RESPONSES },
      },
    },
    async (req) => {
      const q = req.query;
      const conn = requireStore(deps);
      const raw = await rows(conn, SQL, {
        ...filterParams(q),
        minLon: q.bbox?.[0] ?? null,
        minLat: q.bbox?.[1] ?? null,
        maxLon: q.bbox?.[2] ?? null,
        maxLat: q.bbox?.[3] ?? null,
        limit: MAX_POINTS + 1,
      });
      const pts = raw.slice(0, MAX_POINTS).map((r) => ({ lat: Number(r.lat), lon: Number(r.lon) }));
      if (pts.length > 0) {
        // Check the grid size before building it: a filter spanning cities would make millions of cells.
        let minLat = 90;
        let maxLat = -90;
        let minLon = 180;
        let maxLon = -180;
        for (const p of pts) {
          minLat = Math.min(minLat, p.lat);
          maxLat = Math.max(maxLat, p.lat);
          minLon = Math.min(minLon, p.lon);
          maxLon = Math.max(maxLon, p.lon);
        }
        const cos = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
        const cells =
          (((maxLat - minLat) * EARTH_M_PER_DEG) / q.cellMeters + 1) *
          (((maxLon - minLon) * EARTH_M_PER_DEG * cos) / q.cellMeters + 1);
        if (cells > MAX_CELLS) {
          throw new ApiError(
            'CP_ERR_API_VALIDATION',
            `querystring.cellMeters: the events span about ${Math.round(cells)} cells (max ${MAX_CELLS}); use larger cells, one source, or a bbox`,
          );
        }
      }
      const grid = gridCells(pts, q.cellMeters);
      const res = grid.length === 0 ? [] : giStar(grid, neighboursQueen(grid));
      const items = [];
      for (let i = 0; i < res.length; i++) {
        const r = res[i];
        const c = grid[i];
        if (r === undefined || c === undefined || r.class === 'none') continue;
        items.push({
          lat: c.lat ?? 0,
          lon: c.lon ?? 0,
          events: r.value,
          z: r.z,
          p: r.p,
          q: r.q,
          class: r.class,
        });
      }
      items.sort((a, b) => b.z - a.z);
      return {
        cellMeters: q.cellMeters,
        points: pts.length,
        sampled: raw.length > MAX_POINTS,
        cells: grid.length,
        items,
      };
    },
  );
};
