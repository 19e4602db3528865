import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/index.js';
import { bearerMatches } from '../../src/api/routes/admin.js';
import { silentLogger } from '../../src/core/logger.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

const TOKEN = 'test-admin-token-0123456789';

function appWith(adminToken?: string) {
  const calls: unknown[][] = [];
  const admin = {
    async retrain(model?: string) {
      calls.push(['retrain', model]);
      return { runId: 'r1' };
    },
    async promote(model: string, version: string) {
      calls.push(['promote', model, version]);
      if (version === '999') throw new Error('version 999 does not exist');
      return { champion: version };
    },
    async replay(source: string, file?: string) {
      calls.push(['replay', source, file]);
      return { queued: true };
    },
  };
  return {
    calls,
    app: buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      admin,
      options: adminToken ? { adminToken } : {},
    }),
  };
}

describe('/admin', () => {
  it('is off (404) without a configured token', async () => {
    const { app: p, calls } = appWith();
    const app = await p;
    const res = await app.inject({
      method: 'POST',
      url: '/admin/retrain',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.statusCode).toBe(404);
    expect(calls).toEqual([]);
    await app.close();
  });

  it('answers 401 without or with a wrong token, and runs the action with the right one', async () => {
    const { app: p, calls } = appWith(TOKEN);
    const app = await p;
    for (const authorization of [undefined, 'Bearer wrong', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, TOKEN]) {
      const res = await app.inject({
        method: 'POST',
        url: '/admin/retrain',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.json()).toMatchObject({ code: 'CP_ERR_API_UNAUTHORIZED', statusCode: 401 });
    }
    expect(calls).toEqual([]);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const retrain = await app.inject({ method: 'POST', url: '/admin/retrain', headers: auth });
    expect(retrain.statusCode).toBe(200);
    expect(retrain.json()).toEqual({ ok: true, action: 'retrain', result: { runId: 'r1' } });
    const promote = await app.inject({
      method: 'POST',
      url: '/admin/promote',
      headers: auth,
      payload: { model: 'predict-iforest', version: '3' },
    });
    expect(promote.json()).toMatchObject({ ok: true, result: { champion: '3' } });
    const replay = await app.inject({
      method: 'POST',
      url: '/admin/replay',
      headers: auth,
      payload: { source: 'chicago' },
    });
    expect(replay.statusCode).toBe(200);
    expect(calls).toEqual([
      ['retrain', undefined],
      ['promote', 'predict-iforest', '3'],
      ['replay', 'chicago', undefined],
    ]);
    const failed = await app.inject({
      method: 'POST',
      url: '/admin/promote',
      headers: auth,
      payload: { model: 'predict-iforest', version: '999' },
    });
    expect(failed.statusCode).toBe(502);
    expect(failed.json()).toMatchObject({
      code: 'CP_ERR_API_ADMIN_FAILED',
      message: expect.stringContaining('version 999'),
    });
    await app.close();
  });

  it('validates bodies with the field named', async () => {
    const { app: p } = appWith(TOKEN);
    const app = await p;
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cases: [string, unknown, string][] = [
      ['/admin/promote', { model: 'predict-iforest' }, 'body.version'],
      ['/admin/promote', { model: 'other', version: '1' }, 'body.model'],
      ['/admin/replay', { source: 'chicago', file: '../../etc/passwd' }, 'body.file'],
      ['/admin/replay', { source: 'chicago', extra: true }, 'extra'],
      ['/admin/retrain', { model: 7 }, 'body.model'],
    ];
    for (const [url, payload, field] of cases) {
      const res = await app.inject({ method: 'POST', url, headers: auth, payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().message).toContain(field);
    }
    await app.close();
  });
});

describe('bearerMatches', () => {
  it('accepts only the exact token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer  ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});
