/**
 * Wire compatibility with the original FastAPI service: the same requests to the reference peer
 * (/work/shared/peers/seed_fastapi_peer.py on Debian's python3-fastapi/uvicorn/sklearn) and to ours
 * must get the same status and the same response shape. Scores differ (another PRNG, another forest),
 * so only their count and range are compared. Skips with a message when the peer cannot run.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, forestPredictModel } from '../../src/api/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { IsolationForest, makeTrainingData } from '../../src/model/iforest/isolation-forest.js';
import { SourceStatusBoard } from '../../src/sources/status-board.js';

const PEER_DIR = resolve('../shared/peers');
function peerMissing(): string | undefined {
  if (!existsSync(resolve(PEER_DIR, 'seed_fastapi_peer.py')))
    return `${PEER_DIR}/seed_fastapi_peer.py not found`;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import fastapi, uvicorn, sklearn'], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) return 'Debian python3-fastapi/python3-uvicorn/python3-sklearn are not installed';
  return undefined;
}
const missing = peerMissing();
if (missing) console.warn(`predict-peer.test.ts skipped: ${missing}`);

const PORT = 18399;
let peer: ChildProcess | undefined;
const app = await buildApp({
  log: silentLogger,
  board: new SourceStatusBoard(),
  predictModel: forestPredictModel(IsolationForest.fit(makeTrainingData(2000, 42), { nEstimators: 20 }), '1'),
});

beforeAll(async () => {
  if (missing) return;
  peer = spawn(
    '/usr/bin/python3',
    [
      '-m',
      'uvicorn',
      'seed_fastapi_peer:app',
      '--host',
      '127.0.0.1',
      '--port',
      String(PORT),
      '--log-level',
      'warning',
    ],
    {
      cwd: PEER_DIR,
      env: { ...process.env, PEER_ROWS: '2000' },
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the peer did not start within 60 s');
}, 70_000);
afterAll(async () => {
  peer?.kill('SIGTERM');
  await app.close();
});

const BODIES: [string, string][] = [
  ['one vector', '{"features":[3,22,5,6.5]}'],
  ['integers', '{"features":[3,22,5,6]}'],
  ['a batch', '{"features":[[3,22,5,6.5],[40,3,1,4]]}'],
  ['a batch of one', '{"features":[[3,22,5,6.5]]}'],
  ['negative and fractional', '{"features":[-1.5,0.25,9,1e3]}'],
  ['list body', '[1,2,3,4]'],
  ['string body', '"features"'],
  ['null body', 'null'],
  ['empty object', '{}'],
  ['empty features', '{"features":[]}'],
  ['empty vector', '{"features":[[]]}'],
  ['scalar features', '{"features":5}'],
  ['object features', '{"features":{"a":1}}'],
  ['short', '{"features":[1,2,3]}'],
  ['long', '{"features":[1,2,3,4,5]}'],
  ['mixed', '{"features":[[1,2,3,4],5]}'],
  ['string number', '{"features":[1,"2",3,4]}'],
  ['boolean', '{"features":[true,2,3,4]}'],
  ['null number', '{"features":[1,null,3,4]}'],
  ['huge', '{"features":[1e400,2,3,4]}'],
  ['NaN', '{"features":[NaN,2,3,4]}'],
  ['Infinity', '{"features":[1,Infinity,3,4]}'],
  ['nested', '{"features":[[[1],2,3,4]]}'],
  ['broken', '{"features":[1,2'],
  ['batch too large', JSON.stringify({ features: Array.from({ length: 10_001 }, () => [1, 2, 3, 4]) })],
];

describe.skipIf(missing !== undefined)('/predict against the original FastAPI service', () => {
  it.each(BODIES)('%s: same status and shape', async (_name, body) => {
    const theirs = await fetch(`http://127.0.0.1:${PORT}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const ours = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    const t = (await theirs.json()) as Record<string, unknown>;
    const o = ours.json() as Record<string, unknown>;
    expect(ours.statusCode).toBe(theirs.status);
    expect(Object.keys(o)).toEqual(Object.keys(t));
    if (theirs.status === 200) {
      const ts = t.anomaly_score as number[];
      const os = o.anomaly_score as number[];
      expect(os).toHaveLength(ts.length);
      for (const s of os) expect(s > 0 && s <= 1).toBe(true);
    }
  });

  it('differs only where our contract is stricter: unknown keys are refused', async () => {
    const body = '{"features":[1,2,3,4],"extra":1}';
    const theirs = await fetch(`http://127.0.0.1:${PORT}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const ours = await app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    expect(theirs.status).toBe(200);
    expect(ours.statusCode).toBe(422);
  });
});
