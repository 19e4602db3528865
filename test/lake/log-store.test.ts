import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalLogStore } from '../../src/lake/index.js';
import { useTempDir } from './helpers.js';

const tempDir = useTempDir();

describe('local log store', () => {
  it('put-if-absent: of many concurrent writers of one path exactly one wins, and its bytes stay', async () => {
    const dir = await tempDir();
    const store = createLocalLogStore();
    const path = join(dir, '_delta_log', '00000000000000000001.json');
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        store.putIfAbsent(path, new TextEncoder().encode(`writer ${i}\n`)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(new TextDecoder().decode(await store.read(path))).toBe(`writer ${winner}\n`);
    // No temp files are left behind.
    expect(await readdir(join(dir, '_delta_log'))).toEqual(['00000000000000000001.json']);
  });

  it('read of a missing file is undefined; list of a missing dir is empty; put replaces; delete is idempotent', async () => {
    const dir = await tempDir();
    const store = createLocalLogStore();
    expect(await store.read(join(dir, 'nope'))).toBeUndefined();
    expect(await store.list(join(dir, 'nodir'))).toEqual([]);
    const p = join(dir, 'x', '_last_checkpoint');
    await store.put(p, new TextEncoder().encode('1'));
    await store.put(p, new TextEncoder().encode('2'));
    expect(new TextDecoder().decode(await store.read(p))).toBe('2');
    await store.delete(p);
    await store.delete(p);
    expect(await store.list(join(dir, 'x'))).toEqual([]);
  });
});
