import { describe, expect, it } from 'vitest';
import type { CommittedBatch, Sink } from '../../src/pipeline/index.js';
import { coalescingSink, mergeBatches } from '../../src/pipeline/index.js';

function batch(seq: number, ids: string[], version = seq): CommittedBatch {
  return {
    workerId: 'w',
    seq,
    committedAt: new Date(0).toISOString(),
    events: ids.map((id) => ({ id, attributes: { version } }) as unknown as CommittedBatch['events'][number]),
    windows: [],
    anomalies: [],
  };
}

describe('coalescingSink', () => {
  it('merges batches, keeps the newest version of a row and the last seq', () => {
    const merged = mergeBatches([batch(1, ['a', 'b']), batch(2, ['b', 'c'])]);
    expect(merged.seq).toBe(2);
    expect(merged.events.map((e) => e.id).sort()).toEqual(['a', 'b', 'c']);
    expect(merged.events.find((e) => e.id === 'b')?.attributes).toEqual({ version: 2 });
  });

  it('writes one merged group once the row bound is reached, in order', async () => {
    const written: CommittedBatch[] = [];
    const inner: Sink = { name: 'x', write: async (b) => void written.push(b) };
    const sink = coalescingSink(inner, { maxRows: 3, maxDelayMs: 60_000, overlap: false });
    await sink.write(batch(1, ['a']));
    await sink.write(batch(2, ['b']));
    expect(written).toHaveLength(0);
    await sink.write(batch(3, ['c']));
    expect(written.map((b) => b.seq)).toEqual([3]);
    await sink.write(batch(4, ['d']));
    await sink.close();
    expect(written.map((b) => b.seq)).toEqual([3, 4]);
  });

  it('retries a failed group merged with the next, so no later version skips it', async () => {
    const written: CommittedBatch[] = [];
    let fail = true;
    const inner: Sink = {
      name: 'x',
      write: async (b) => {
        if (fail) {
          fail = false;
          throw new Error('disk full');
        }
        written.push(b);
      },
    };
    const errors: unknown[] = [];
    const sink = coalescingSink(inner, {
      maxRows: 1,
      maxDelayMs: 60_000,
      overlap: false,
      onError: (e) => errors.push(e),
    });
    await expect(sink.write(batch(1, ['a']))).rejects.toThrow('disk full');
    await sink.write(batch(2, ['b']));
    expect(errors).toHaveLength(1);
    expect(written).toHaveLength(1);
    expect(written[0]?.seq).toBe(2);
    expect(written[0]?.events.map((e) => e.id).sort()).toEqual(['a', 'b']);
  });

  it('overlapped: a group queued while the previous one fails waits for it and carries its rows', async () => {
    const written: CommittedBatch[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const inner: Sink = {
      name: 'x',
      write: async (b) => {
        calls++;
        if (calls === 1) {
          await gate; // still being written when the next group is queued
          throw new Error('disk full');
        }
        written.push(b);
      },
    };
    const errors: unknown[] = [];
    const sink = coalescingSink(inner, {
      maxRows: 1,
      maxDelayMs: 60_000,
      overlap: true,
      onError: (e) => errors.push(e),
    });
    await sink.write(batch(1, ['a'])); // returns while group 1 is in flight
    const second = sink.write(batch(2, ['b'])); // queues group 2, waits for group 1
    release();
    await expect(second).rejects.toThrow('disk full');
    await sink.close();
    expect(errors).toHaveLength(1);
    // Version 2 never reaches the lake without batch 1's rows.
    expect(written.map((b) => b.seq)).toEqual([2]);
    expect(written[0]?.events.map((e) => e.id).sort()).toEqual(['a', 'b']);
  });

  it('flushes a quiet buffer after the delay', async () => {
    const written: CommittedBatch[] = [];
    const sink = coalescingSink({ name: 'x', write: async (b) => void written.push(b) }, { maxDelayMs: 20 });
    await sink.write(batch(1, ['a']));
    await new Promise((r) => setTimeout(r, 80));
    expect(written.map((b) => b.seq)).toEqual([1]);
    await sink.close();
  });
});
