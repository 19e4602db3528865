/**
 * No secret reaches the logs: the admin token and the Socrata app token, set through the environment
 * like an operator would, are used for real (admin requests with `Authorization: Bearer`, the portal
 * receives `X-App-Token`) while `crimepulse start` logs at trace level; neither token appears anywhere
 * in its output. Also the logger's redaction itself, with a config object and request headers.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { loadSocrataFixture, type PortalServer, startPortalServer } from '../helpers/portal-server.js';
import { type Child, freePort, onlySources, startChild, tempDir, waitFor } from './helpers.js';

const ADMIN_TOKEN = 'adm1n-T0ken-d0-n0t-log-7f3a9c';
const APP_TOKEN = 'socrata-App-T0ken-d0-n0t-log-c41e';

describe('secrets in logs', () => {
  it('createLogger redacts tokens in config objects, headers and request objects', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger({ level: 'trace', destination: sink });
    const config = loadConfig({
      env: { CRIMEPULSE_ADMIN_TOKEN: ADMIN_TOKEN, CRIMEPULSE_SOCRATA_APP_TOKEN: APP_TOKEN },
    });
    log.info({ config }, 'config loaded');
    log.info(config, 'config at top level');
    log
      .child({ component: 'api' })
      .info(
        { req: { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-app-token': APP_TOKEN } } },
        'request',
      );
    log.debug({ headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, 'outbound');
    await new Promise((r) => setTimeout(r, 50));
    const text = lines.join('');
    expect(text).toContain('config loaded');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(text).not.toContain(APP_TOKEN);
  });

  describe('crimepulse start at trace level', () => {
    let portal: PortalServer;
    let app: Child;
    let base: string;

    beforeAll(async () => {
      portal = await startPortalServer([loadSocrataFixture('la')]);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = startChild(process.execPath, ['bin/crimepulse.js', 'start'], {
        env: {
          ...(await onlySources(['la'])),
          CRIMEPULSE_MODE: 'live',
          CRIMEPULSE_LA_URL: portal.url,
          CRIMEPULSE_DATA_DIR: `${tempDir('log-secrets')}/data`,
          CRIMEPULSE_ADMIN_TOKEN: ADMIN_TOKEN,
          CRIMEPULSE_SOCRATA_APP_TOKEN: APP_TOKEN,
          CRIMEPULSE_LOG_LEVEL: 'trace',
          PORT: String(port),
          HOST: '127.0.0.1',
        },
      });
      await waitFor(
        'the API',
        async () => ((await fetch(`${base}/health`)).ok ? true : undefined),
        40_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${app.output().slice(-3000)}`);
      });
    }, 60_000);

    afterAll(async () => {
      await app?.stop();
      await portal?.close();
    });

    it('uses both tokens and logs neither', async () => {
      // The portal received the Socrata token: the secret was really in play.
      await waitFor(
        'a portal request',
        async () => (portal.requests.some((r) => r.headers['x-app-token'] === APP_TOKEN) ? true : undefined),
        30_000,
      );
      // Admin requests with a wrong and the right bearer token, and the token in other headers and the query.
      const wrong = await fetch(`${base}/admin/retrain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}-wrong`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${base}/admin/retrain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{"model":"nope"}',
      });
      expect(right.status).toBe(400); // authorised, then the body is rejected: the token passed the check
      await fetch(`${base}/v1/sources`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-app-token': APP_TOKEN },
      });
      await fetch(`${base}/no-such-route?token=${APP_TOKEN}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      await new Promise((r) => setTimeout(r, 500));
      await app.stop();
      const out = app.output();
      expect(out.length).toBeGreaterThan(1000); // trace logging really produced output
      expect(out).toContain('"component":"socrata"');
      const leaks = out.split('\n').filter((l) => l.includes(ADMIN_TOKEN) || l.includes(APP_TOKEN));
      expect(leaks).toEqual([]);
    }, 60_000);
  });
});
