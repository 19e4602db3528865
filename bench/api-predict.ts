/**
 * `/predict` throughput: `node bin/run-ts.js bench/api-predict.ts [--duration 3] [--repeat 3]`.
 *
 * In one run, with autocannon at 1, 10 and 50 connections, a single vector and a batch of 100:
 * - ours: the real app (buildApp: helmet, CORS, metrics hook, request ids) serving an IsolationForest
 *   of 100 trees × 256 samples fitted on the peer's training recipe (100,000 rows);
 * - bare: a bare fastify app whose POST /predict parses the JSON body and answers a constant JSON
 *   (the ceiling for any fastify route on this machine);
 * - peer: the original FastAPI + sklearn service (shared/peers/seed_fastapi_peer.py) on Debian's
 *   /usr/bin/python3, one uvicorn worker; skipped with a message when it cannot run.
 * Each server is its own child process, so autocannon does not share their event loop. Also measures
 * in-process batch scoring (vectors/s). Writes bench/results/api-predict.json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { buildApp, forestPredictModel } from '../src/api/index.js';
import { silentLogger } from '../src/core/logger.js';
import { IsolationForest, makeTrainingData } from '../src/model/iforest/isolation-forest.js';
import { SourceStatusBoard } from '../src/sources/status-board.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : dflt;
};

function trainForest(): IsolationForest {
  return IsolationForest.fit(makeTrainingData(100_000, 42), { nEstimators: 100, maxSamples: 256, seed: 42 });
}

// ---- server mode (child processes) ----
if (args[0] === '--serve') {
  const kind = args[1];
  const port = Number(args[2]);
  if (kind === 'ours') {
    const app = await buildApp({
      log: silentLogger,
      board: new SourceStatusBoard(),
      predictModel: forestPredictModel(trainForest(), 'bench'),
    });
    await app.listen({ host: '127.0.0.1', port });
  } else {
    const app = Fastify({ logger: false });
    app.post('/predict', async () => ({ anomaly_score: [0.5] }));
    await app.listen({ host: '127.0.0.1', port });
  }
  process.send?.('ready');
  // exit normally on a signal so `node --cpu-prof` can write its profile
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
  await new Promise(() => {});
}

// ---- driver ----
interface Run {
  target: string;
  payload: 'single' | 'batch100';
  connections: number;
  reqPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
}

const duration = Number(arg('duration', '3'));
// Targets run interleaved and each combination `repeat` times; summaries take the median, because on
// a shared 2-core machine a single run swings by 2× with the neighbours' load.
const repeat = Number(arg('repeat', '3'));
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const single = JSON.stringify({ features: [25, 22, 5, 6.5] });
const batch = JSON.stringify({
  features: Array.from({ length: 100 }, (_, i) => [i % 30, i % 24, i % 7, 5 + (i % 5)]),
});

async function waitHttp(url: string, body: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (r.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function startNode(kind: 'ours' | 'bare', port: number): ChildProcess {
  return spawn(
    process.execPath,
    [resolve(root, 'bin/run-ts.js'), resolve(root, 'bench/api-predict.ts'), '--serve', kind, String(port)],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
}

function peerStatus(): { ok: boolean; why?: string; dir?: string } {
  const dir = resolve(root, '../shared/peers');
  if (!existsSync(resolve(dir, 'seed_fastapi_peer.py')))
    return { ok: false, why: `${dir}/seed_fastapi_peer.py not found (no /work/shared)` };
  if (!existsSync('/usr/bin/python3')) return { ok: false, why: '/usr/bin/python3 not installed' };
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, sklearn'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    return {
      ok: false,
      why: 'python3-fastapi, python3-uvicorn or python3-sklearn missing: apt-get install -y --no-install-recommends python3-sklearn python3-fastapi python3-uvicorn',
    };
  }
  return { ok: true, dir };
}

async function load(target: string, url: string, payload: Run['payload'], connections: number): Promise<Run> {
  const body = payload === 'single' ? single : batch;
  const opts = {
    url,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
  };
  await autocannon({ ...opts, duration: 1 }); // warm-up (JIT, connection setup)
  const r = await autocannon({ ...opts, duration });
  const run: Run = {
    target,
    payload,
    connections,
    reqPerSec: Math.round(r.requests.average),
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
  console.log(
    `${target.padEnd(5)} ${payload.padEnd(8)} c=${String(connections).padStart(2)}  ${String(run.reqPerSec).padStart(7)} req/s  p50 ${run.p50ms} ms  p99 ${run.p99ms} ms${run.non2xx || run.errors ? `  non2xx ${run.non2xx} errors ${run.errors}` : ''}`,
  );
  return run;
}

function inProcess(): { vectorsPerSec: Record<string, number> } {
  const forest = trainForest();
  const out: Record<string, number> = {};
  for (const n of [1, 100, 10_000]) {
    const data = makeTrainingData(n, 7).data;
    const reps = Math.max(1, Math.floor(200_000 / n));
    forest.score({ data, nFeatures: 4 }); // warm-up
    const t = performance.now();
    for (let i = 0; i < reps; i++) forest.score({ data, nFeatures: 4 });
    out[`batch${n}`] = Math.round((n * reps) / ((performance.now() - t) / 1000));
  }
  return { vectorsPerSec: out };
}

const startedAt = new Date().toISOString();
const load0 = loadavg();
console.log(
  `api-predict bench: ${duration}s per run, load average ${load0.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`,
);
const ports = { ours: 18481, bare: 18482, peer: 18483 };
const children: ChildProcess[] = [];
const runs: Run[] = [];
let peerSkipped: string | undefined;
try {
  const targets: [string, string][] = [];
  for (const kind of ['ours', 'bare'] as const) {
    children.push(startNode(kind, ports[kind]));
    const url = `http://127.0.0.1:${ports[kind]}/predict`;
    if (!(await waitHttp(url, single, 60_000))) throw new Error(`${kind} server did not start`);
    targets.push([kind, url]);
  }
  const peer = peerStatus();
  if (peer.ok) {
    const child = spawn(
      '/usr/bin/python3',
      [
        '-m',
        'uvicorn',
        'seed_fastapi_peer:app',
        '--host',
        '127.0.0.1',
        '--port',
        String(ports.peer),
        '--workers',
        '1',
        '--log-level',
        'warning',
      ],
      {
        cwd: peer.dir,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    children.push(child);
    const url = `http://127.0.0.1:${ports.peer}/predict`;
    if (await waitHttp(url, single, 120_000)) targets.push(['peer', url]);
    else peerSkipped = 'the peer did not answer within 120 s';
  } else peerSkipped = peer.why;
  if (peerSkipped) console.log(`peer skipped: ${peerSkipped}`);

  for (const payload of ['single', 'batch100'] as const) {
    for (const connections of [1, 10, 50]) {
      for (let r = 0; r < repeat; r++) {
        for (const [name, url] of targets) {
          // the peer answers a few requests a second under load: one run of it is enough
          if (name === 'peer' && r > 0) continue;
          runs.push(await load(name, url, payload, connections));
        }
      }
    }
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
const summary: Record<string, { reqPerSec: number; p50ms: number; p99ms: number; runs: number }> = {};
for (const r of runs) {
  const same = runs.filter(
    (x) => x.target === r.target && x.payload === r.payload && x.connections === r.connections,
  );
  summary[`${r.target} ${r.payload} c=${r.connections}`] = {
    reqPerSec: Math.round(median(same.map((x) => x.reqPerSec))),
    p50ms: median(same.map((x) => x.p50ms)),
    p99ms: median(same.map((x) => x.p99ms)),
    runs: same.length,
  };
}
const find = (t: string, p: string, c: number) => summary[`${t} ${p} c=${c}`];
const ratios: Record<string, number | null> = {};
for (const p of ['single', 'batch100']) {
  for (const c of [1, 10, 50]) {
    const ours = find('ours', p, c)?.reqPerSec;
    const bare = find('bare', p, c)?.reqPerSec;
    const peer = find('peer', p, c)?.reqPerSec;
    ratios[`ours/bare ${p} c=${c}`] = ours && bare ? Number((ours / bare).toFixed(3)) : null;
    ratios[`ours/peer ${p} c=${c}`] = ours && peer ? Number((ours / peer).toFixed(3)) : null;
  }
}
const scoring = inProcess();
const result = {
  bench: 'api-predict',
  startedAt,
  durationSecPerRun: duration,
  repeat,
  machine: {
    cores: cpus().length,
    loadAverageAtStart: load0,
    loadAverageAtEnd: loadavg(),
    node: process.version,
  },
  model: { kind: 'IsolationForest', nEstimators: 100, maxSamples: 256, trainingRows: 100_000 },
  note: 'bare = fastify POST /predict answering a constant JSON (same body parsing); target: ours/bare ≥ 0.7 for single vectors at 50 connections. Servers run as separate processes on the same machine as autocannon.',
  peerSkipped: peerSkipped ?? null,
  summary,
  ratios,
  runs,
  inProcessScoring: scoring,
};
console.log('median of runs', summary);
console.log('ratios (medians)', ratios);
console.log('in-process scoring (vectors/s)', scoring.vectorsPerSec);
mkdirSync(resolve(root, 'bench/results'), { recursive: true });
writeFileSync(resolve(root, 'bench/results/api-predict.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote bench/results/api-predict.json');
process.exit(0);
