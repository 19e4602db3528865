import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiMarkdown } from '../../src/api/openapi-markdown.js';

describe('docs/api.md', () => {
  it('is what `npm run docs:api` generates from the OpenAPI document (run it after changing a route)', async () => {
    const committed = readFileSync('docs/api.md', 'utf8');
    const generated = await apiMarkdown();
    expect(committed === generated, 'docs/api.md is stale: run `npm run docs:api`').toBe(true);
  });

  it('covers every route, the paging envelope, the error shape and the SSE events', async () => {
    const md = await apiMarkdown();
    for (const h of [
      '### POST /predict',
      '### GET /predict/schema',
      '### GET /v1/events',
      '### GET /v1/windows',
      '### GET /v1/stats',
      '### GET /v1/heatmap',
      '### GET /v1/compstat',
      '### GET /v1/anomalies',
      '### GET /v1/forecast',
      '### GET /v1/hotspots',
      '### GET /v1/sources',
      '### GET /v1/models',
      '### GET /v1/stream',
      '### POST /admin/retrain',
      '### POST /admin/promote',
      '### POST /admin/replay',
    ]) {
      expect(md).toContain(h);
    }
    expect(md).toContain('nextPageToken: string | null;');
    expect(md).toContain('code: string; // Catalogue code');
    for (const e of ['`events`', '`anomaly`', '`heartbeat`', '`gap`']) expect(md).toContain(`| ${e} |`);
  });
});
