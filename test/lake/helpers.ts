import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createLocalLogStore, type LogStore } from '../../src/lake/index.js';

/** A fresh temp directory per test, removed afterwards. */
export function useTempDir(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const d = await mkdtemp(join(tmpdir(), 'crimepulse-lake-test-'));
    made.push(d);
    return d;
  };
}

/**
 * A local log store that runs `before(path)` once, right before the first commit-file
 * put-if-absent: the way to make another writer win the race deterministically.
 */
export function storeWithHook(before: (path: string) => Promise<void>): LogStore {
  const inner = createLocalLogStore();
  let fired = false;
  return {
    ...inner,
    async putIfAbsent(path, bytes) {
      if (!fired && /\d{20}\.json$/.test(path)) {
        fired = true;
        await before(path);
      }
      return inner.putIfAbsent(path, bytes);
    },
  };
}
