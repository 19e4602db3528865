/**
 * File primitives for MLflow's file-store layout, shared by the tracking store and the registry.
 *
 * Every whole-file write is atomic (write a temporary file, then `rename` over the target), so a
 * reader (ours or `mlflow ui`) never sees a half-written `meta.yaml`, param or tag. The temporary file
 * is created in a directory MLflow never enumerates as data (the run, experiment, model or version
 * folder itself, whose plain files MLflow ignores), never inside `params/`, `tags/`, `metrics/` or
 * `aliases/`, where a stray temporary file would show up as a bogus key.
 *
 * YAML is written the way MLflow's `write_yaml` (PyYAML `safe_dump`, block style) writes it: keys
 * sorted, strings that would read back as another type single-quoted, `null` for None.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import { TrackingError } from '../core/errors.js';

export const META_FILE = 'meta.yaml';

/** Writes `data` to `target` atomically; the temporary file lives in `tmpDir` (same filesystem). */
export async function writeAtomic(target: string, data: string | Uint8Array, tmpDir: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(tmpDir, `.${basename(target)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, data);
  try {
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Serialises a mapping as MLflow's PyYAML dump does (sorted keys, block style). */
export function toMlflowYaml(data: Record<string, unknown>): string {
  return stringify(data, { sortMapEntries: true, singleQuote: true, lineWidth: 0 });
}

/** Writes `<dir>/meta.yaml` atomically, the temporary file in `dir` itself. */
export async function writeMeta(dir: string, data: Record<string, unknown>): Promise<void> {
  await writeAtomic(join(dir, META_FILE), toMlflowYaml(data), dir);
}

/** Reads `<dir>/meta.yaml`; undefined when it does not exist (yet). */
export async function readMeta(dir: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, META_FILE), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const value: unknown = parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Malformed ${join(dir, META_FILE)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reads `<dir>/meta.yaml`, waiting a little when the folder exists but its meta is not written yet:
 * that is another writer between its `mkdir` (which claimed the name) and its `rename` of the meta.
 */
export async function readMetaWaiting(dir: string, timeoutMs = 3000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const meta = await readMeta(dir);
    if (meta) return meta;
    if (Date.now() > deadline) {
      throw new TrackingError('CP_ERR_TRACKING_INVALID', `${dir} has no ${META_FILE}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Like `readMetaWaiting`, but gives up at once on a folder older than `abandonedAfterMs` that still
 * has no meta.yaml (its writer died between claiming and writing); undefined then.
 */
export async function readMetaUnlessAbandoned(
  dir: string,
  waitMs = 1000,
  abandonedAfterMs = 10_000,
): Promise<Record<string, unknown> | undefined> {
  const meta = await readMeta(dir);
  if (meta) return meta;
  const age = Date.now() - (await stat(dir)).mtimeMs;
  if (age > abandonedAfterMs) return undefined;
  return readMetaWaiting(dir, waitMs).catch(() => undefined);
}

/**
 * Appends one line with a single `write` on an `O_APPEND` descriptor, so concurrent writers (other
 * runs, other processes) never interleave inside a line.
 */
export async function appendLine(file: string, line: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${line}\n`, { flag: 'a' });
}

/** True when `mkdir(dir)` created it; false when it already existed (someone else claimed it). */
export async function claimDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The text MLflow's file store writes for a float (Python `repr`), e.g. `1.0`, `0.25`, `nan`, `-inf`. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Number.POSITIVE_INFINITY) return 'inf';
  if (v === Number.NEGATIVE_INFINITY) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}

/** Parses a float the way Python's `float()` reads what MLflow wrote. */
export function parsePyFloat(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === 'inf' || t === 'infinity' || t === '+inf') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(t);
}

/** `file:///abs/path` for a local path (MLflow's `path_to_local_file_uri`). */
export function toFileUri(path: string): string {
  return pathToFileURL(path).href;
}

/** The local path of a `file:` URI, or a plain path as is. */
export function fromFileUri(uri: string): string {
  if (uri.startsWith('file:')) return fileURLToPath(uri);
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
    throw new TrackingError('CP_ERR_TRACKING_UNSUPPORTED', `Not a local file URI: ${uri}`, {
      details: { uri },
    });
  }
  return uri;
}

/** Reads an optional string field of a parsed meta.yaml. */
export function metaString(meta: Record<string, unknown>, key: string): string | undefined {
  const v = meta[key];
  if (v === null || v === undefined) return undefined;
  return String(v);
}

/** Reads an optional integer field of a parsed meta.yaml. */
export function metaInt(meta: Record<string, unknown>, key: string): number | undefined {
  const v = meta[key];
  if (v === null || v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
