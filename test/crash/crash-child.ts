/**
 * Child process of the crash test: replays an events file (JSON array) through the in-memory bus and
 * the pipeline into a store, resuming from the store's committed source cursor, like a restarted
 * `crimepulse replay`. The parent kills it with SIGKILL at random moments and starts it again.
 * Usage: node bin/run-ts.js test/crash/crash-child.ts STORE EVENTS_JSON
 */
import { readFileSync } from 'node:fs';
import { TOPICS } from '../../src/bus/bus.js';
import { type CrimeEvent, eventKey } from '../../src/core/crime-event.js';
import type { IncidentMessage } from '../../src/core/incident-message.js';
import { silentLogger } from '../../src/core/logger.js';
import { runPipeline } from '../../src/pipeline/index.js';
import { openStore } from '../../src/store/index.js';
import { TestBus } from '../pipeline/helpers.js';

const [storePath, eventsPath] = process.argv.slice(2);
if (!storePath || !eventsPath) throw new Error('usage: crash-child STORE EVENTS_JSON');
const events = JSON.parse(readFileSync(eventsPath, 'utf8')) as CrimeEvent[];
const store = await openStore(storePath, silentLogger);
const cursor = (await store.cursors()).chicago?.replay;
const start = typeof cursor?.next === 'number' ? cursor.next : 0;
// Progress lines let the parent aim its SIGKILL at a moment when work is really under way.
process.stdout.write('ready\n');
const bus = new TestBus();
const CHUNK = 150;
for (let i = start; i < events.length; i += CHUNK) {
  const part = events.slice(i, i + CHUNK);
  const next = i + part.length;
  await bus.publish(TOPICS.incidents, [
    ...part.map((e) => ({ key: eventKey(e), value: { kind: 'event', event: e } satisfies IncidentMessage })),
    {
      key: 'chicago:state',
      value: {
        kind: 'state',
        source: 'chicago',
        stream: 'replay',
        cursor: { next },
        recordCount: next,
      } satisfies IncidentMessage,
    },
  ]);
}
bus.seal();
// Batches deliberately cut across state messages: events after the last state of a batch are
// committed without their cursor and re-read after a crash.
await runPipeline({
  bus,
  store,
  config: { allowedLatenessMs: 30 * 24 * 3600 * 1000 },
  log: silentLogger,
  signal: new AbortController().signal,
  groupId: 'crash',
  maxBatchSize: 377,
  onBatch: (b) => {
    process.stdout.write(`batch ${b.seq}\n`);
  },
});
await store.close();
process.stdout.write(`done from ${start}\n`);
