/**
 * The Kafka bus against librdkafka's mock cluster (hosted by kcat, see test/helpers/kafka-mock.ts):
 * the shared contract, plus what only a broker gives: other processes sharing it, and a consumer
 * killed with SIGKILL whose group resumes from the committed offsets.
 * CI must install kcat (`apt-get install -y kcat`): without it this file fails in CI and skips elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createKafkaBus, DECODE_ERROR_HEADER } from '../../src/bus/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { type KafkaMock, kafkaMockMode, startKafkaMock } from '../helpers/kafka-mock.js';
import { busContract, drain, fresh } from './bus.contract.js';

const mode = kafkaMockMode();
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** Group joins on the mock take ≈3 s, a rebalance after a crash waits for the dead session (6 s). */
const TIMEOUT = 25_000;

if (!mode.run) {
  if (mode.fail) {
    it('Kafka bus tests need kcat', () => {
      throw new Error(`${mode.message}. CI must install it.`);
    });
  } else {
    console.warn(`skipping the Kafka bus tests: ${mode.message}`);
    it.skip(`Kafka bus (${mode.message})`, () => {});
  }
} else {
  let mock: KafkaMock;
  beforeAll(async () => {
    mock = await startKafkaMock();
  });
  afterAll(async () => {
    await mock?.stop();
  });

  // A short session lets a group move on quickly from a member that left without a clean LeaveGroup.
  const makeBus = (): Bus =>
    createKafkaBus({
      brokers: mock.brokers,
      clientId: 'crimepulse-test',
      log: silentLogger,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
    });
  busContract('kafka', makeBus, {
    partitions: 4,
    timeoutMs: TIMEOUT,
    boundedBuffer: false,
    concurrent: true,
  });

  const runChild = (script: string, args: string[]): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', join(fixtures, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
    });

  describe.concurrent('kafka bus across processes', () => {
    it('declares a retained, durable, seekable log', () => {
      expect(makeBus().capabilities).toEqual({ seek: true, retention: true, durable: true });
    });

    it('is healthy, and hands a value that is not JSON on as text with a decode-error header', async () => {
      const bus = makeBus();
      const topic = fresh('raw');
      const raw = new kafkajs.Kafka({
        clientId: 'raw',
        brokers: mock.brokers,
        logLevel: kafkajs.logLevel.NOTHING,
      }).producer({
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      try {
        expect(await bus.healthy()).toBe(true);
        await raw.connect();
        await raw.send({
          topic,
          messages: [
            { key: 'k', value: 'not json {' },
            { key: null, value: null },
          ],
        });
        const consumer = await bus.consumer({ groupId: fresh('g'), topics: [topic] });
        const got = await drain(consumer, 2, { timeoutMs: TIMEOUT });
        const text = got.find((m) => m.key === 'k');
        expect(text?.value).toBe('not json {');
        expect(text?.headers[DECODE_ERROR_HEADER]).toMatch(/JSON/);
        const tombstone = got.find((m) => m.key === '');
        expect(tombstone?.value).toBeNull();
      } finally {
        await raw.disconnect();
        await bus.close();
      }
    });

    it('delivers what a producer in another process published', async () => {
      const bus = makeBus();
      const topic = fresh('xproc');
      try {
        const child = runChild('kafka-producer-child.ts', [mock.brokers.join(','), topic, '100']);
        let stderr = '';
        child.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString();
        });
        const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const consumer = await bus.consumer({ groupId: fresh('g'), topics: [topic] });
        const [code, got] = await Promise.all([
          exit,
          drain(consumer, 100, { timeoutMs: TIMEOUT, commit: true }),
        ]);
        expect(code, stderr).toBe(0);
        expect(new Set(got.map((m) => (m.value as { pid: number }).pid))).toEqual(new Set([child.pid]));
        for (let k = 0; k < 5; k++) {
          const seqs = got.filter((m) => m.key === `k${k}`).map((m) => (m.value as { seq: number }).seq);
          expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => k + 5 * i));
        }
        expect(Object.values(await consumer.lag()).every((v) => v === 0)).toBe(true);
      } finally {
        await bus.close();
      }
    });

    it('resumes from the committed offsets after a consumer is killed with SIGKILL', async () => {
      const bus = makeBus();
      const topic = fresh('kill9');
      const groupId = fresh('g');
      const dir = mkdtempSync(join(tmpdir(), 'crimepulse-kill9-'));
      const out = join(dir, 'processed.log');
      try {
        const total = 200;
        await bus.publish(
          topic,
          Array.from({ length: total }, (_, i) => ({ key: `area-${i % 16}`, value: i })),
        );
        const child = runChild('kafka-consumer-child.ts', [mock.brokers.join(','), topic, groupId, out]);
        let stderr = '';
        child.stderr?.on('data', (b: Buffer) => {
          stderr += b.toString();
        });
        const exited = new Promise<NodeJS.Signals | null>((resolve) =>
          child.once('exit', (_c, sig) => resolve(sig)),
        );
        // Kill it once it committed some batches but long before the end (40 batches of 5).
        await new Promise<void>((resolve, reject) => {
          let batches = 0;
          const timer = setTimeout(
            () => reject(new Error(`child consumer made no progress: ${stderr}`)),
            TIMEOUT,
          );
          child.stdout?.on('data', (b: Buffer) => {
            batches += b.toString().split('BATCH').length - 1;
            if (batches >= 8) {
              clearTimeout(timer);
              child.kill('SIGKILL');
              resolve();
            }
          });
        });
        expect(await exited).toBe('SIGKILL');

        const lines = readFileSync(out, 'utf8').trim().split('\n');
        const processed = lines.filter((l) => l.startsWith('P ')).map((l) => Number(l.split(' ')[3]));
        const committed = new Map<number, number>();
        for (const l of lines.filter((x) => x.startsWith('C '))) {
          const [, p, o] = l.split(' ');
          committed.set(Number(p), Number(o));
        }
        const committedCount = [...committed.values()].reduce((a, b) => a + b, 0);
        expect(committedCount).toBeGreaterThanOrEqual(35);
        expect(committedCount).toBeLessThan(total);

        // A new member of the same group gets the dead member's partitions once its session expires.
        const consumer = await bus.consumer({ groupId, topics: [topic] });
        const rest = await drain(consumer, total - committedCount, { timeoutMs: TIMEOUT, commit: true });
        for (const m of rest)
          expect(Number(m.offset)).toBeGreaterThanOrEqual(committed.get(m.partition) ?? 0);
        const union = new Set([...processed, ...rest.map((m) => m.value as number)]);
        expect(union.size).toBe(total);
        // Duplicates are only the processed-but-uncommitted tail: at most the one batch in flight.
        const resumed = new Set(rest.map((m) => m.value as number));
        const duplicates = processed.filter((v) => resumed.has(v));
        expect(duplicates.length).toBeLessThanOrEqual(5);
        expect(rest).toHaveLength(total - committedCount);
      } finally {
        await bus.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
