/**
 * MLflow's file store, written by us: the `mlruns/` layout that `mlflow ui --backend-store-uri
 * file:///…/mlruns` (and MLflow's `FileStore` class) reads. Default location `<dataDir>/mlruns`.
 *
 * Layout (as in MLflow's `mlflow/store/tracking/file_store.py`):
 *   mlruns/.trash/                                   deleted experiments (we never delete)
 *   mlruns/0/meta.yaml                               experiment 0, `Default`, created with the store
 *   mlruns/<exp>/meta.yaml                           artifact_location, creation_time, experiment_id,
 *                                                    last_update_time, lifecycle_stage, name
 *   mlruns/<exp>/<run>/meta.yaml                     run info; `status` is MLflow's integer enum
 *   mlruns/<exp>/<run>/params/<key>                  the value, no newline
 *   mlruns/<exp>/<run>/tags/<key>                    the value, no newline
 *   mlruns/<exp>/<run>/metrics/<key>                 lines `<timestamp ms> <value> <step>`
 *   mlruns/<exp>/<run>/artifacts/<path>              artifact_uri = file:///…/<exp>/<run>/artifacts
 *   mlruns/models/…                                  the model registry (`file-registry.ts`)
 *
 * Concurrency (several runs, several processes on one data dir): a new experiment claims its folder
 * with an exclusive `mkdir`, and its id is derived from its name (see `experimentIdFor`), so two
 * processes creating the same experiment at once meet in the same folder instead of making two
 * experiments with one name; runs have random ids; whole files are replaced atomically and metric
 * lines are single `O_APPEND` writes (`mlflow-files.ts`). Not guarded: renaming or deleting
 * experiments while we write (we never do either).
 */
import { createHash, randomInt } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TrackingError } from '../core/errors.js';
import {
  appendLine,
  claimDir,
  fromFileUri,
  isDirectory,
  isNotFound,
  metaInt,
  metaString,
  parsePyFloat,
  pyFloat,
  readMeta,
  readMetaWaiting,
  toFileUri,
  writeAtomic,
  writeMeta,
} from './mlflow-files.js';
import {
  checkMetric,
  MLFLOW_TAGS,
  newRunId,
  type ParamValue,
  paramString,
  type Run,
  type RunEndStatus,
  type RunStatus,
  type Tracker,
  validateArtifactPath,
  validateKey,
} from './tracker.js';

/** MLflow's `RunStatus` proto enum, which the file store writes as an integer. */
export const RUN_STATUS_CODE: Record<RunStatus, number> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};
/** MLflow's `SourceType.LOCAL`, which its file store writes into every run's meta.yaml. */
export const SOURCE_TYPE_LOCAL = 4;
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';
const TRASH = '.trash';
const RESERVED_ROOT_DIRS = new Set([TRASH, 'models']);
const RESERVED_EXPERIMENT_DIRS = new Set(['tags', 'datasets', 'traces']);

export interface FileStoreOptions {
  /** Clock for timestamps (ms since epoch); tests pin it. */
  now?: () => number;
  /** `user_id` of new runs; defaults to the OS user. */
  userId?: string;
  /** How long to wait for another writer's meta.yaml before completing it ourselves; default 3 s. */
  metaWaitMs?: number;
}

/** An experiment as its meta.yaml describes it. */
export interface ExperimentInfo {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: number | undefined;
  lastUpdateTime: number | undefined;
}

/** One logged metric value. */
export interface MetricPoint {
  timestamp: number;
  value: number;
  step: number;
}

/** Everything a run holds, read back from disk. */
export interface RunRecord {
  runId: string;
  experimentId: string;
  runName: string | undefined;
  status: RunStatus;
  startTime: number | undefined;
  endTime: number | undefined;
  artifactUri: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  /** Full history per key, in the order logged. */
  metrics: Record<string, MetricPoint[]>;
}

/**
 * The experiment id we give a new experiment: 60 bits of SHA-256 of its name, in decimal (MLflow's
 * own ids are random integers of that size). Deterministic, so concurrent creators pick one folder.
 */
export function experimentIdFor(name: string): string {
  const h = createHash('sha256').update(name, 'utf8').digest();
  const id = (h.readBigUInt64BE(0) >> 4n).toString();
  return id === DEFAULT_EXPERIMENT_ID ? '1' : id;
}

function defaultUser(): string {
  try {
    return userInfo().username || 'crimepulse';
  } catch {
    return 'crimepulse';
  }
}

function toExperiment(meta: Record<string, unknown>): ExperimentInfo {
  return {
    experimentId: metaString(meta, 'experiment_id') ?? '',
    name: metaString(meta, 'name') ?? '',
    artifactLocation: metaString(meta, 'artifact_location') ?? '',
    lifecycleStage: metaString(meta, 'lifecycle_stage') ?? 'active',
    creationTime: metaInt(meta, 'creation_time'),
    lastUpdateTime: metaInt(meta, 'last_update_time'),
  };
}

/** Lists files under `dir` recursively as `/`-joined relative keys (nested keys contain `/`). */
async function listKeys(dir: string, prefix = ''): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const key = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listKeys(join(dir, e.name), key)));
    else if (e.isFile()) out.push(key);
  }
  return out.sort();
}

async function readKeyFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listKeys(dir)) out[key] = await readFile(join(dir, key), 'utf8');
  return out;
}

/** Parses one metric line (`ts value [step]`; MLflow also accepts the older two-field form). */
export function parseMetricLine(line: string): MetricPoint {
  const parts = line.trim().split(' ');
  if (parts.length !== 2 && parts.length !== 3) {
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Malformed metric line ${JSON.stringify(line)}`);
  }
  return {
    timestamp: Number.parseInt(parts[0]!, 10),
    value: parsePyFloat(parts[1]!),
    step: parts.length === 3 ? Number.parseInt(parts[2]!, 10) : 0,
  };
}

/** A tracker writing MLflow's file-store layout under `root`. */
export class FileStoreTracker implements Tracker {
  readonly root: string;
  readonly uri: string;
  readonly now: () => number;
  readonly userId: string;
  private readonly metaWaitMs: number;
  private ready: Promise<void> | undefined;
  private readonly byName = new Map<string, ExperimentInfo>();

  constructor(root: string, options: FileStoreOptions = {}) {
    this.root = resolve(root);
    this.uri = toFileUri(this.root);
    this.now = options.now ?? Date.now;
    this.userId = options.userId ?? defaultUser();
    this.metaWaitMs = options.metaWaitMs ?? 3000;
  }

  /** Creates the root, `.trash` and experiment 0 `Default` (as MLflow does for a new store). */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(join(this.root, TRASH), { recursive: true });
      await this.createExperimentIn(DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME);
    })();
    return this.ready;
  }

  /**
   * Claims `<root>/<id>` and writes its meta; returns what is there when someone else claimed it.
   * A folder left without meta.yaml (its creator died between `mkdir` and `rename`) is completed
   * here: the id was derived from the name, so the missing meta is known.
   */
  private async createExperimentIn(id: string, name: string): Promise<ExperimentInfo> {
    const dir = join(this.root, id);
    const fresh = () => {
      const t = this.now();
      return {
        artifact_location: toFileUri(dir),
        creation_time: t,
        experiment_id: id,
        last_update_time: t,
        lifecycle_stage: 'active',
        name,
      };
    };
    if (await claimDir(dir)) {
      const meta = fresh();
      await writeMeta(dir, meta);
      return toExperiment(meta);
    }
    try {
      return toExperiment(await readMetaWaiting(dir, this.metaWaitMs));
    } catch (err) {
      if (await readMeta(dir)) throw err;
      const meta = fresh();
      await writeMeta(dir, meta);
      return toExperiment(meta);
    }
  }

  private async experimentsIn(parent: string, skip: Set<string>): Promise<ExperimentInfo[]> {
    let names: string[];
    try {
      names = await readdir(parent);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    const out: ExperimentInfo[] = [];
    for (const n of names) {
      if (skip.has(n) || n.startsWith('.') || !(await isDirectory(join(parent, n)))) continue;
      const meta = await readMeta(join(parent, n)).catch(() => undefined);
      if (meta) out.push(toExperiment(meta));
    }
    return out;
  }

  /** Active experiments (MLflow's `ViewType.ACTIVE_ONLY`). */
  async listExperiments(): Promise<ExperimentInfo[]> {
    await this.init();
    return this.experimentsIn(this.root, RESERVED_ROOT_DIRS);
  }

  async getExperimentByName(name: string): Promise<ExperimentInfo | undefined> {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const found = (await this.listExperiments()).find(
      (e) => e.name === name && e.lifecycleStage === 'active',
    );
    if (found) this.byName.set(name, found);
    return found;
  }

  /** Finds or creates the active experiment called `name`. */
  async getOrCreateExperiment(name: string): Promise<ExperimentInfo> {
    if (name.trim().length === 0) {
      throw new TrackingError('CP_ERR_TRACKING_INVALID', 'Experiment name must not be empty');
    }
    const existing = await this.getExperimentByName(name);
    if (existing) return existing;
    const deleted = await this.experimentsIn(join(this.root, TRASH), new Set());
    if (deleted.some((e) => e.name === name)) {
      throw new TrackingError(
        'CP_ERR_TRACKING_INVALID',
        `Experiment '${name}' exists in deleted state; restore it or remove it from ${TRASH}`,
      );
    }
    const deletedIds = new Set(deleted.map((e) => e.experimentId));
    let id = experimentIdFor(name);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!deletedIds.has(id)) {
        const exp = await this.createExperimentIn(id, name);
        if (exp.name === name) {
          this.byName.set(name, exp);
          return exp;
        }
      }
      // A hash collision with another name (or a trashed id): fall back to a random id.
      id = String(randomInt(1, 2 ** 47)) + String(randomInt(0, 1000)).padStart(3, '0');
    }
    throw new TrackingError('CP_ERR_TRACKING_INVALID', `Could not allocate an id for experiment '${name}'`);
  }

  async startRun(experiment: string, runName: string, tags: Record<string, string> = {}): Promise<Run> {
    let exp = await this.getOrCreateExperiment(experiment);
    if (!(await isDirectory(join(this.root, exp.experimentId)))) {
      // Deleted (moved to .trash) since we cached it: look it up again.
      this.byName.delete(experiment);
      exp = await this.getOrCreateExperiment(experiment);
    }
    if (!exp.artifactLocation) {
      throw new TrackingError(
        'CP_ERR_TRACKING_INVALID',
        `Experiment ${exp.experimentId} has no artifact_location`,
      );
    }
    for (const k of Object.keys(tags)) validateKey('tag', k);
    const runId = newRunId();
    const dir = join(this.root, exp.experimentId, runId);
    const artifactUri = `${exp.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`;
    const start = this.now();
    await claimDir(dir);
    await writeMeta(
      dir,
      runMeta({ runId, experimentId: exp.experimentId, runName, artifactUri, start, user: this.userId }),
    );
    for (const sub of ['metrics', 'params', 'artifacts']) {
      // The artifacts folder is created where MLflow would (inside the run) even when the
      // experiment's artifact_location points elsewhere.
      await mkdir(join(dir, sub), { recursive: true });
    }
    const run = new FileRun(this, dir, runId, exp.experimentId, runName, artifactUri);
    await run.setTags({
      [MLFLOW_TAGS.runName]: runName,
      [MLFLOW_TAGS.user]: this.userId,
      [MLFLOW_TAGS.sourceName]: 'crimepulse',
      [MLFLOW_TAGS.sourceType]: 'LOCAL',
      ...tags,
    });
    return run;
  }

  /** The experiment id and folder of a run, searching every active experiment. */
  async findRunDir(runId: string): Promise<{ experimentId: string; dir: string } | undefined> {
    if (!/^[0-9a-f]{32}$/.test(runId)) {
      throw new TrackingError('CP_ERR_TRACKING_INVALID', `Invalid run id ${JSON.stringify(runId)}`);
    }
    for (const exp of await this.listExperiments()) {
      const dir = join(this.root, exp.experimentId, runId);
      if (await isDirectory(dir)) return { experimentId: exp.experimentId, dir };
    }
    return undefined;
  }

  /** Reads a run back: info, params, tags and every metric's history. */
  async getRun(runId: string): Promise<RunRecord> {
    const found = await this.findRunDir(runId);
    if (!found) throw new TrackingError('CP_ERR_TRACKING_NOT_FOUND', `Run ${runId} not found`);
    const meta = await readMetaWaiting(found.dir);
    const statusCode = metaInt(meta, 'status') ?? RUN_STATUS_CODE.RUNNING;
    const status = (Object.keys(RUN_STATUS_CODE) as RunStatus[]).find(
      (s) => RUN_STATUS_CODE[s] === statusCode,
    );
    const metrics: Record<string, MetricPoint[]> = {};
    for (const [key, text] of Object.entries(await readKeyFiles(join(found.dir, 'metrics')))) {
      metrics[key] = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map(parseMetricLine);
    }
    return {
      runId,
      experimentId: found.experimentId,
      runName: metaString(meta, 'run_name'),
      status: status ?? 'RUNNING',
      startTime: metaInt(meta, 'start_time'),
      endTime: metaInt(meta, 'end_time'),
      artifactUri: metaString(meta, 'artifact_uri') ?? '',
      params: await readKeyFiles(join(found.dir, 'params')),
      tags: await readKeyFiles(join(found.dir, 'tags')),
      metrics,
    };
  }

  /** Runs of an experiment (ids), skipping MLflow's reserved sub-folders. */
  async listRunIds(experimentId: string): Promise<string[]> {
    const dir = join(this.root, experimentId);
    const out: string[] = [];
    for (const n of await readdir(dir)) {
      if (RESERVED_EXPERIMENT_DIRS.has(n) || n.startsWith('.')) continue;
      if (await isDirectory(join(dir, n))) out.push(n);
    }
    return out.sort();
  }
}

/** The run meta.yaml MLflow's `create_run` writes (including its legacy always-empty fields). */
function runMeta(r: {
  runId: string;
  experimentId: string;
  runName: string;
  artifactUri: string;
  start: number;
  user: string;
}): Record<string, unknown> {
  return {
    artifact_uri: r.artifactUri,
    deleted_time: null,
    end_time: null,
    entry_point_name: '',
    experiment_id: r.experimentId,
    lifecycle_stage: 'active',
    run_id: r.runId,
    run_name: r.runName,
    run_uuid: r.runId,
    source_name: '',
    source_type: SOURCE_TYPE_LOCAL,
    source_version: '',
    start_time: r.start,
    status: RUN_STATUS_CODE.RUNNING,
    tags: [],
    user_id: r.user,
  };
}

class FileRun implements Run {
  constructor(
    private readonly store: FileStoreTracker,
    private readonly dir: string,
    readonly id: string,
    readonly experimentId: string,
    readonly name: string,
    readonly artifactUri: string,
  ) {}

  async logParams(params: Record<string, ParamValue>): Promise<void> {
    for (const [key, raw] of Object.entries(params)) {
      const value = paramString(key, raw);
      const file = join(this.dir, 'params', key);
      const current = await readFile(file, 'utf8').catch((err) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (current !== undefined && current !== value) {
        throw new TrackingError(
          'CP_ERR_TRACKING_INVALID',
          `Param ${key} was already logged as '${current}' for run ${this.id}; params are immutable`,
          { details: { key, current, attempted: value } },
        );
      }
      if (current === undefined) await writeAtomic(file, value, this.dir);
    }
  }

  async logMetric(key: string, value: number, step?: number, timestamp?: number): Promise<void> {
    const m = checkMetric(key, value, step, timestamp, this.store.now);
    await appendLine(join(this.dir, 'metrics', m.key), `${m.timestamp} ${pyFloat(m.value)} ${m.step}`);
  }

  async logMetrics(metrics: Record<string, number>, step?: number, timestamp?: number): Promise<void> {
    const ts = timestamp ?? this.store.now();
    for (const [k, v] of Object.entries(metrics)) await this.logMetric(k, v, step, ts);
  }

  async setTags(tags: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(tags)) {
      validateKey('tag', key);
      await writeAtomic(join(this.dir, 'tags', key), String(value), this.dir);
    }
  }

  async logArtifact(path: string, content: Uint8Array | string): Promise<void> {
    validateArtifactPath(path);
    const root = fromFileUri(this.artifactUri);
    await mkdir(root, { recursive: true });
    // The temporary file goes in the run folder (never listed as an artifact) when the artifacts
    // live there, as usual; an experiment with its own artifact_location gets it next to the root.
    const tmpDir = resolve(root) === join(this.dir, 'artifacts') ? this.dir : dirname(root);
    await writeAtomic(join(root, ...path.split('/')), content, tmpDir);
  }

  async end(status: RunEndStatus = 'FINISHED'): Promise<void> {
    const meta = await readMetaWaiting(this.dir);
    // MLflow's `_overwrite_run_info` rewrites the info without `deleted_time`.
    const { deleted_time: _deleted, ...rest } = meta;
    await writeMeta(this.dir, { ...rest, status: RUN_STATUS_CODE[status], end_time: this.store.now() });
  }
}
