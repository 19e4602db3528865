/**
 * deploy/prometheus: the alert rules pass `promtool test rules`, and a real Prometheus (Debian
 * package `prometheus`) scraping a running `crimepulse start` sees the target up and fires
 * CrimePulseSourceStale when a source is stale.
 *
 * The stale source is LA in live mode, pointed at a local Socrata portal (test/helpers/portal-server)
 * serving the recorded LA fixture, whose newest row is from 2020: the connector reports it stale from
 * the data itself, as it does for the real frozen dataset. Every other source is disabled, so nothing
 * leaves 127.0.0.1. Rules are loaded with their `for:` durations set to 0s (a copy in a temp dir) so
 * the test needs seconds, not 30 minutes; the rule expressions are the shipped ones.
 *
 * In CI (CI=true) missing prometheus/promtool fail the suite; elsewhere it is skipped with a message.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSocrataFixture, type PortalServer, startPortalServer } from '../helpers/portal-server.js';
import {
  type Child,
  freePort,
  IN_CI,
  onlySources,
  ROOT,
  requireTools,
  startChild,
  tempDir,
  waitFor,
} from './helpers.js';

const tools = requireTools('prometheus', ['promtool', 'prometheus'], 'apt-get install -y prometheus');
const RULES = join(ROOT, 'deploy/prometheus/rules.yml');

describe.runIf(IN_CI || tools.ok)('deploy/prometheus', () => {
  it('has promtool and prometheus (CI installs Debian package prometheus)', () => {
    expect(tools.missing, `missing tools: ${tools.missing.join(', ')}`).toEqual([]);
  });

  it('rules pass promtool check and their unit tests', () => {
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const unit = spawnSync('promtool', ['test', 'rules', 'rules.test.yml'], {
      cwd: join(ROOT, 'deploy/prometheus'),
      encoding: 'utf8',
    });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
    expect(unit.stdout).toContain('SUCCESS');
  });

  it('scrape config is valid syntax', () => {
    const r = spawnSync(
      'promtool',
      ['check', 'config', '--syntax-only', join(ROOT, 'deploy/prometheus/prometheus.yml')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  describe('a real Prometheus against crimepulse start', () => {
    let portal: PortalServer;
    let app: Child;
    let prom: Child;
    let appPort: number;
    let promUrl: string;

    beforeAll(async () => {
      if (!tools.ok) throw new Error(`cannot run Prometheus: missing ${tools.missing.join(', ')}`);
      portal = await startPortalServer([loadSocrataFixture('la')]);
      const dir = tempDir('prometheus');
      appPort = await freePort();
      app = startChild(process.execPath, ['bin/crimepulse.js', 'start'], {
        env: {
          ...(await onlySources(['la'])),
          CRIMEPULSE_MODE: 'live',
          CRIMEPULSE_DATA_DIR: join(dir, 'data'),
          CRIMEPULSE_LA_URL: portal.url,
          PORT: String(appPort),
          HOST: '127.0.0.1',
        },
      });
      const rules = readFileSync(RULES, 'utf8').replace(/^(\s+)for: \S+$/gm, '$1for: 0s');
      writeFileSync(join(dir, 'rules.yml'), rules);
      writeFileSync(
        join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  evaluation_interval: 1s',
          'rule_files: [rules.yml]',
          'scrape_configs:',
          '  - job_name: crimepulse-single',
          '    static_configs:',
          `      - targets: ["127.0.0.1:${appPort}"]`,
          '',
        ].join('\n'),
      );
      const promPort = await freePort();
      promUrl = `http://127.0.0.1:${promPort}`;
      prom = startChild(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--log.level=warn',
        ],
        { cwd: dir },
      );
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      await app?.stop();
      await portal?.close();
    });

    it('scrapes the app (target up) and fires CrimePulseSourceStale for the stale source only', async () => {
      const up = await waitFor(
        'the crimepulse target to be up',
        async () => {
          const res = await fetch(`${promUrl}/api/v1/targets`);
          const body = (await res.json()) as {
            data: { activeTargets: { health: string; labels: Record<string, string> }[] };
          };
          return body.data.activeTargets.find(
            (t) => t.health === 'up' && t.labels.job === 'crimepulse-single',
          );
        },
        40_000,
        500,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}\napp output:\n${app.output().slice(-3000)}\nprometheus:\n${prom.output().slice(-2000)}`,
        );
      });
      expect(up.labels.instance).toBe(`127.0.0.1:${appPort}`);

      type Alert = { labels: Record<string, string>; state: string };
      const alerts = await waitFor(
        'CrimePulseSourceStale to fire',
        async () => {
          const res = await fetch(`${promUrl}/api/v1/alerts`);
          const body = (await res.json()) as { data: { alerts: Alert[] } };
          const stale = body.data.alerts.filter(
            (a) => a.labels.alertname === 'CrimePulseSourceStale' && a.state === 'firing',
          );
          return stale.length > 0 ? body.data.alerts : undefined;
        },
        40_000,
        500,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\napp output:\n${app.output().slice(-3000)}`);
      });
      const stale = alerts.filter((a) => a.labels.alertname === 'CrimePulseSourceStale');
      expect(stale.map((a) => a.labels.source)).toEqual(['la']);
      expect(stale[0]?.labels.severity).toBe('warning');
      // The healthy parts of the same app raise nothing: no API errors, target not down.
      const others = alerts.filter(
        (a) => a.state === 'firing' && a.labels.alertname !== 'CrimePulseSourceStale',
      );
      expect(others.map((a) => a.labels.alertname)).toEqual([]);
    }, 90_000);
  });
});
