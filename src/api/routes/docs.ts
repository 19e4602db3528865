/**
 * `GET /openapi.json` and a self-contained docs page at `/docs` (no CDN, no network): a small script
 * served from /docs/app.js (so the strict CSP of helmet needs no exception) renders the document.
 */
import type { FastifyPluginAsync } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CrimePulse API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:1rem 2rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{border:1px solid #ddd;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}.m{display:inline-block;width:4.5rem;font-weight:bold;text-transform:uppercase}
.get{color:#0a6}.post{color:#06c}code,pre{background:#f5f5f5;border-radius:4px}pre{padding:.6rem;overflow:auto;font-size:13px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head><body><h1>CrimePulse API</h1>
<p>The OpenAPI document: <a href="/openapi.json">/openapi.json</a>. The same contract in Markdown: <code>docs/api.md</code>.</p>
<div id="app">Loading…</div><script src="/docs/app.js"></script></body></html>`;

const SCRIPT = `(async () => {
  const el = document.getElementById('app');
  const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const doc = await (await fetch('/openapi.json')).json();
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths || {})) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags || ['other'])[0]; (byTag[tag] = byTag[tag] || []).push({ path, method, op });
  }
  let html = '<p>' + esc(doc.info && doc.info.description) + '</p>';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of ops) {
      const params = (op.parameters || []).map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) + '</td><td>' + (p.required ? 'yes' : '') + '</td><td>' + esc(p.description || (p.schema && p.schema.description)) + '</td></tr>').join('');
      html += '<details><summary><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) + '</code> ' + esc(op.summary) + '</summary>'
        + (op.description ? '<p>' + esc(op.description) + '</p>' : '')
        + (params ? '<table><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr>' + params + '</table>' : '')
        + (op.requestBody ? '<h4>Body</h4><pre>' + esc(JSON.stringify(op.requestBody, null, 2)) + '</pre>' : '')
        + '<h4>Responses</h4><pre>' + esc(JSON.stringify(op.responses, null, 2)) + '</pre></details>';
    }
  }
  el.innerHTML = html;
})().catch((e) => { document.getElementById('app').textContent = 'Could not load /openapi.json: ' + e; });`;

export const docsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
  app.get('/docs/app.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').send(SCRIPT),
  );
};
