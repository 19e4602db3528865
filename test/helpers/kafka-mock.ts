/**
 * A Kafka cluster for tests: librdkafka's built-in mock cluster, hosted by Debian's `kcat`
 * (`apt-get install -y kcat`). kcat is started as a consumer with `test.mock.num.brokers=3`; librdkafka
 * then opens three in-memory brokers on 127.0.0.1 and logs their bootstrap list on stderr, and any
 * client in any process (kafkajs here) can use them until kcat exits. Measured facts and limits
 * (no CreateTopics: topics are auto-created with 4 partitions; first group join ≈3 s):
 * /work/shared/peers/KAFKA-TESTING.md.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

export interface KafkaMock {
  brokers: string[];
  stop(): Promise<void>;
}

/** True when `kcat` is on the PATH. */
export function kcatAvailable(): boolean {
  const r = spawnSync('kcat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * What a Kafka test file should do: run, fail in CI when kcat is missing (CI must install it), or
 * skip with a message on a developer machine.
 */
export function kafkaMockMode(): { run: true } | { run: false; fail: boolean; message: string } {
  if (kcatAvailable()) return { run: true };
  const message =
    "kcat is not installed: the Kafka bus tests need it to host librdkafka's mock cluster (apt-get install -y kcat)";
  return { run: false, fail: process.env.CI === 'true' || process.env.CI === '1', message };
}

/** Starts the mock cluster and resolves with its bootstrap list once kcat has logged it. */
export async function startKafkaMock(timeoutMs = 15_000): Promise<KafkaMock> {
  const child: ChildProcess = spawn(
    'kcat',
    ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=3', '-C', '-t', 'holder-topic', '-o', 'end'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  const brokers = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `kcat did not report the mock cluster's bootstrap within ${timeoutMs} ms; stderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // "... Mock cluster enabled: original bootstrap.servers and security.protocol ignored and replaced with 127.0.0.1:37193,..."
      const m = /replaced with (\S+)/.exec(stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1].split(','));
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code ?? sig}) before the mock cluster started; stderr:\n${stderr}`));
    });
  });
  // Keep draining stderr so kcat never blocks on a full pipe.
  child.stderr?.resume();
  return {
    brokers,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
