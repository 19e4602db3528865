/**
 * Where the Delta log lives. The one operation that makes Delta safe for several writers is
 * put-if-absent on the commit file: two writers racing for version N both try to create
 * `N.json` and exactly one succeeds (PROTOCOL.md, "Creation of New Log Entries"). Object stores
 * implement it with a conditional put; the local file system with a hard link, which fails with
 * EEXIST instead of replacing, so the file appears whole or not at all.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface LogStore {
  /** Creates `path` with `bytes` unless it exists; true when this call created it. Atomic. */
  putIfAbsent(path: string, bytes: Uint8Array): Promise<boolean>;
  /** Creates or replaces `path` atomically (checkpoints and `_last_checkpoint` only). */
  put(path: string, bytes: Uint8Array): Promise<void>;
  /** The file's bytes, or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Names (not paths) of the entries directly inside `dir`; empty when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
  /** Deletes `path`; a missing file is not an error. */
  delete(path: string): Promise<void>;
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** The local file-system log store (paths are plain file-system paths). */
export function createLocalLogStore(): LogStore {
  async function writeTemp(path: string, bytes: Uint8Array): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    // Dot-prefixed so listings and readers skip it; unique so concurrent writers never share one.
    const tmp = join(dirname(path), `.tmp-${randomUUID()}`);
    await writeFile(tmp, bytes, { flag: 'wx' });
    return tmp;
  }
  return {
    async putIfAbsent(path, bytes) {
      const tmp = await writeTemp(path, bytes);
      try {
        await link(tmp, path);
        return true;
      } catch (err) {
        if (isCode(err, 'EEXIST')) return false;
        throw err;
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    },
    async put(path, bytes) {
      const tmp = await writeTemp(path, bytes);
      await rename(tmp, path);
    },
    async read(path) {
      try {
        return await readFile(path);
      } catch (err) {
        if (isCode(err, 'ENOENT')) return undefined;
        throw err;
      }
    },
    async list(dir) {
      try {
        return await readdir(dir);
      } catch (err) {
        if (isCode(err, 'ENOENT')) return [];
        throw err;
      }
    },
    async delete(path) {
      await rm(path, { force: true });
    },
  };
}
