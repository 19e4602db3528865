/**
 * The Python parts of deploy/ (PySpark job, Airflow DAG), which CI cannot run for real (no Spark, Kafka
 * cluster or Airflow there): they byte-compile; the Spark job's schema file is the one
 * src/lake/tables.ts generates today and its loader reads the TypeScript tables' columns back; the
 * DAG's promotion decision behaves on sample registry answers. Needs python3 (on every machine of
 * this project's kind); CI fails without it, elsewhere the suite is skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAKE_SCHEMAS_FILE, lakeSchemasJson } from '../../scripts/export-lake-schemas.js';
import { LAKE_TABLES } from '../../src/lake/tables.js';
import { IN_CI, ROOT, requireTools, tempDir } from './helpers.js';

const tools = requireTools('python', ['python3'], 'python3 is part of the node machine image');

function py(code: string, cwd: string): { status: number | null; out: string } {
  const r = spawnSync('python3', ['-c', code], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1' },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A stand-in for the CrimePulse admin/model API: records calls, checks the bearer token. */
async function fakeApi(token: string): Promise<{ url: string; calls: string[]; close: () => Promise<void> }> {
  const calls: string[] = [];
  const versions: Record<
    string,
    { version: string; metrics: Record<string, number>; createdAt: string; aliases: string[] }[]
  > = {
    'series-anomaly': [
      { version: '1', metrics: { auc_pr: 0.3 }, createdAt: '2026-11-01T00:00:00Z', aliases: ['champion'] },
    ],
    'predict-iforest': [
      { version: '1', metrics: { auc_pr: 0.9 }, createdAt: '2026-11-01T00:00:00Z', aliases: ['champion'] },
    ],
  };
  const champion: Record<string, string> = { 'series-anomaly': '1', 'predict-iforest': '1' };
  const nextScore: Record<string, number> = { 'series-anomaly': 0.5, 'predict-iforest': 0.8 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      calls.push(`${req.method} ${req.url} ${body}`);
      if (req.url?.startsWith('/admin/') && req.headers.authorization !== `Bearer ${token}`)
        return send(401, { error: 'unauthorized' });
      const input = body ? (JSON.parse(body) as { model: string; version?: string }) : undefined;
      if (req.method === 'POST' && req.url === '/admin/retrain' && input) {
        const list = versions[input.model]!;
        const version = String(list.length + 1);
        list.push({
          version,
          metrics: { auc_pr: nextScore[input.model]! },
          createdAt: `2026-11-0${list.length + 1}T00:00:00Z`,
          aliases: [],
        });
        return send(200, { ok: true, action: 'retrain', result: { version } });
      }
      if (req.method === 'POST' && req.url === '/admin/promote' && input?.version) {
        champion[input.model] = input.version;
        return send(200, { ok: true, action: 'promote', result: null });
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        return send(200, {
          items: Object.keys(versions).map((name) => ({
            name,
            champion: champion[name],
            versions: versions[name],
          })),
        });
      }
      return send(404, { error: 'not found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

describe('deploy/spark/lake_schemas.json', () => {
  it('is up to date with src/lake/tables.ts (regenerate: npm run deploy:schemas)', () => {
    expect(JSON.parse(readFileSync(LAKE_SCHEMAS_FILE, 'utf8'))).toEqual(JSON.parse(lakeSchemasJson()));
  });
});

describe.runIf(IN_CI || tools.ok)('deploy python files', () => {
  it('has python3', () => expect(tools.missing).toEqual([]));

  it('byte-compile (python3 -m py_compile)', () => {
    const out = tempDir('py-compile');
    for (const f of ['deploy/spark/crimepulse_streaming.py', 'deploy/airflow/crimepulse_dag.py']) {
      const cfile = join(out, `${f.replace(/\W/g, '_')}c`);
      const code = `import py_compile; py_compile.compile(${JSON.stringify(join(ROOT, f))}, cfile=${JSON.stringify(cfile)}, doraise=True)`;
      const r = py(code, ROOT);
      expect(r.status, `${f}: ${r.out}`).toBe(0);
    }
  });

  it('the Spark job reads the TypeScript lake schemas back: same columns, types, nullability, keys', () => {
    const code = [
      'import json, crimepulse_streaming as m',
      'out = {t: {"columns": m.columns(t), "key": m.load_schemas()[t]["key"], "parts": m.load_schemas()[t]["partitionColumns"]} for t in m.STREAMED_TABLES}',
      'out["appId"] = m.lake_app_id("windows_hourly", "spark")',
      'print(json.dumps(out))',
    ].join('\n');
    const r = py(code, join(ROOT, 'deploy/spark'));
    expect(r.status, r.out).toBe(0);
    const got = JSON.parse(r.out) as Record<
      string,
      { columns: [string, string, boolean][]; key: string[]; parts: string[] }
    > & {
      appId: string;
    };
    for (const name of ['events', 'windows_hourly', 'windows_daily'] as const) {
      const def = LAKE_TABLES[name];
      expect(got[name]?.columns).toEqual(def.schema.fields.map((f) => [f.name, f.type, f.nullable]));
      expect(got[name]?.key).toEqual(def.key);
      expect(got[name]?.parts).toEqual(def.partitionColumns);
    }
    expect(got.appId).toBe('crimepulse-windows_hourly-spark');
  });

  it('the Spark job computes the window columns the TypeScript sink writes', () => {
    // Column names the job selects for windows, read from its source, against windowToLakeRow's keys.
    const src = readFileSync(join(ROOT, 'deploy/spark/crimepulse_streaming.py'), 'utf8');
    const body = src.slice(src.indexOf('    return w.select('), src.indexOf('def merge('));
    const selected = [...body.matchAll(/^\s+(?:"([a-z_]+)"|F\..*\.alias\("([a-z_]+)"\)),?$/gm)].map(
      (m) => m[1] ?? m[2],
    );
    expect(selected).toEqual(LAKE_TABLES.windows_hourly.schema.fields.map((f) => f.name));
  });

  it('the Airflow DAG promotes only a candidate that beats the champion', () => {
    const models = {
      items: [
        {
          name: 'series-anomaly',
          champion: '3',
          versions: [
            {
              version: '3',
              metrics: { auc_pr: 0.41 },
              createdAt: '2026-11-01T03:00:00Z',
              aliases: ['champion'],
            },
            { version: '4', metrics: { auc_pr: 0.47 }, createdAt: '2026-11-02T03:00:00Z', aliases: [] },
          ],
        },
        {
          name: 'predict-iforest',
          champion: '7',
          versions: [
            {
              version: '7',
              metrics: { auc_pr: 0.6, latency: 2 },
              createdAt: '2026-11-01T03:00:00Z',
              aliases: ['champion'],
            },
            {
              version: '8',
              metrics: { auc_pr: 0.6, latency: 1 },
              createdAt: '2026-11-02T03:00:00Z',
              aliases: [],
            },
          ],
        },
        {
          name: 'fresh',
          champion: null,
          versions: [{ version: '1', metrics: { auc_pr: 0.1 }, aliases: [] }],
        },
      ],
    };
    const code = [
      'import json, sys, crimepulse_dag as d',
      'm = json.loads(sys.argv[1]) if len(sys.argv) > 1 else None',
      `m = json.loads(${JSON.stringify(JSON.stringify(models))})`,
      'print(json.dumps([',
      '  d.decide_promotion(m, "series-anomaly", "auc_pr"),',
      '  d.decide_promotion(m, "series-anomaly", "auc_pr", 0.1),',
      '  d.decide_promotion(m, "predict-iforest", "auc_pr"),',
      '  d.decide_promotion(m, "predict-iforest", "-latency"),',
      '  d.decide_promotion(m, "fresh", "auc_pr"),',
      '  d.decide_promotion(m, "missing", "auc_pr"),',
      '  d.HAVE_AIRFLOW,',
      ']))',
    ].join('\n');
    const r = py(code, join(ROOT, 'deploy/airflow'));
    expect(r.status, r.out).toBe(0);
    const [better, notEnough, tie, lowerBetter, fresh, missing] = JSON.parse(r.out) as {
      promote: boolean;
      version?: string;
    }[];
    expect(better).toMatchObject({ promote: true, version: '4' });
    expect(notEnough).toMatchObject({ promote: false, version: '4' });
    expect(tie).toMatchObject({ promote: false, version: '8' });
    expect(lowerBetter).toMatchObject({ promote: true, version: '8' });
    expect(fresh).toMatchObject({ promote: true, version: '1' });
    expect(missing).toMatchObject({ promote: false });
  });

  it('the DAG flow without Airflow (python3 crimepulse_dag.py) retrains, evaluates and promotes only the better model', async () => {
    const token = 'dag-test-token-123';
    const api = await fakeApi(token);
    try {
      const child = spawn('python3', [join(ROOT, 'deploy/airflow/crimepulse_dag.py')], {
        env: {
          PATH: process.env.PATH ?? '',
          PYTHONDONTWRITEBYTECODE: '1',
          CRIMEPULSE_API_URL: api.url,
          CRIMEPULSE_ADMIN_TOKEN: token,
        },
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString('utf8');
      });
      child.stderr.on('data', (b: Buffer) => {
        out += b.toString('utf8');
      });
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(code, out).toBe(0);
      const decisions = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { model: string; promoted: boolean; version: string });
      expect(decisions.map((d) => [d.model, d.promoted, d.version])).toEqual([
        ['series-anomaly', true, '2'],
        ['predict-iforest', false, '2'],
      ]);
      expect(api.calls.filter((c) => c.startsWith('POST /admin/promote'))).toEqual([
        'POST /admin/promote {"model": "series-anomaly", "version": "2"}',
      ]);
      expect(out).not.toContain(token);
    } finally {
      await api.close();
    }
  });
});
