/**
 * MLflow's model-registry file store, written by us (the layout of MLflow's
 * `mlflow/store/model_registry/file_store.py`), under the same root as the tracking file store:
 *   mlruns/models/<name>/meta.yaml               aliases, creation_timestamp, description,
 *                                                last_updated_timestamp, name
 *   mlruns/models/<name>/aliases/<alias>         the version number, no newline
 *   mlruns/models/<name>/tags/<key>
 *   mlruns/models/<name>/version-<n>/meta.yaml   aliases, creation_timestamp, current_stage,
 *                                                description, last_updated_timestamp, name, run_id,
 *                                                run_link, source, status, status_message,
 *                                                storage_location, user_id, version (integer)
 *   mlruns/models/<name>/version-<n>/tags/<key>
 *
 * Concurrency: a version number is claimed with an exclusive `mkdir version-<n>` (the loser takes
 * the next number), so two concurrent registrations never share a version; an alias is one file
 * replaced atomically, so `champion` always names exactly one version.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrackingError } from '../core/errors.js';
import { FileStoreTracker } from './file-store.js';
import {
  claimDir,
  fromFileUri,
  isDirectory,
  isNotFound,
  metaInt,
  metaString,
  readMeta,
  readMetaUnlessAbandoned,
  readMetaWaiting,
  writeAtomic,
  writeMeta,
} from './mlflow-files.js';
import {
  type ModelRegistry,
  type ModelVersionInfo,
  metricsFromTags,
  type RegisterVersionArgs,
  registrationTags,
  toRegisterInput,
  validateAlias,
  validateModelName,
} from './registry.js';
import { validateArtifactPath, validateKey } from './tracker.js';

const MODELS = 'models';
const STAGE_NONE = 'None';
const STAGE_DELETED_INTERNAL = 'Deleted_Internal';

export interface FileRegistryOptions {
  now?: () => number;
}

export class FileModelRegistry implements ModelRegistry {
  readonly root: string;
  private readonly now: () => number;
  private readonly tracking: FileStoreTracker;

  constructor(root: string, options: FileRegistryOptions = {}) {
    this.root = resolve(root);
    this.now = options.now ?? Date.now;
    this.tracking = new FileStoreTracker(this.root, { now: this.now });
  }

  private modelDir(name: string): string {
    validateModelName(name);
    return join(this.root, MODELS, name);
  }

  private async readAliases(name: string): Promise<Record<string, string>> {
    const dir = join(this.modelDir(name), 'aliases');
    const out: Record<string, string> = {};
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    for (const a of names.sort()) {
      if (a.startsWith('.')) continue;
      out[a] = (await readFile(join(dir, a), 'utf8')).trim();
    }
    return out;
  }

  /** Creates `models/<name>` with its meta.yaml when missing (concurrent creators meet on `mkdir`). */
  private async ensureModel(name: string): Promise<void> {
    const dir = this.modelDir(name);
    await mkdir(join(this.root, MODELS), { recursive: true });
    if (await claimDir(dir)) {
      const t = this.now();
      await writeMeta(dir, {
        aliases: {},
        creation_timestamp: t,
        description: null,
        last_updated_timestamp: t,
        name,
      });
    } else {
      // Completes a model folder whose creator died before writing its meta.
      await readMetaWaiting(dir).catch(async (err) => {
        if (await readMeta(dir)) throw err;
        const t = this.now();
        await writeMeta(dir, {
          aliases: {},
          creation_timestamp: t,
          description: null,
          last_updated_timestamp: t,
          name,
        });
      });
    }
  }

  /** Rewrites the model meta with a new `last_updated_timestamp`, as MLflow does after each change. */
  private async touchModel(name: string): Promise<void> {
    const dir = this.modelDir(name);
    const meta = await readMetaWaiting(dir);
    await writeMeta(dir, {
      ...meta,
      aliases: await this.readAliases(name),
      last_updated_timestamp: this.now(),
    });
  }

  private async versionNumbers(name: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.modelDir(name));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    return names
      .map((n) => /^version-(\d+)$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  async registerVersion(...args: RegisterVersionArgs): Promise<ModelVersionInfo> {
    const input = toRegisterInput(args);
    const { name, runId, artifactPath } = input;
    validateModelName(name);
    validateArtifactPath(artifactPath);
    const tags = registrationTags(input);
    for (const k of Object.keys(tags)) validateKey('tag', k);
    const run = await this.tracking.findRunDir(runId);
    if (!run) throw new TrackingError('CP_ERR_TRACKING_NOT_FOUND', `Run ${runId} not found in ${this.root}`);
    const runMeta = await readMetaWaiting(run.dir);
    const artifactUri = metaString(runMeta, 'artifact_uri') ?? '';
    const source = `${artifactUri.replace(/\/+$/, '')}/${artifactPath}`;
    // Refuse to register an artifact that was never logged: serving would fail much later.
    await readFile(fromFileUri(source)).catch((err) => {
      throw new TrackingError(
        'CP_ERR_TRACKING_NOT_FOUND',
        `Artifact ${artifactPath} of run ${runId} not found`,
        {
          cause: err,
        },
      );
    });
    await this.ensureModel(name);
    const modelDir = this.modelDir(name);
    let version = Math.max(0, ...(await this.versionNumbers(name))) + 1;
    while (!(await claimDir(join(modelDir, `version-${version}`)))) version++;
    const dir = join(modelDir, `version-${version}`);
    const t = this.now();
    await writeMeta(dir, {
      aliases: [],
      creation_timestamp: t,
      current_stage: STAGE_NONE,
      description: null,
      last_updated_timestamp: t,
      name,
      run_id: runId,
      run_link: null,
      source,
      status: 'READY',
      status_message: null,
      storage_location: source,
      user_id: null,
      version,
    });
    for (const [k, v] of Object.entries(tags)) await writeAtomic(join(dir, 'tags', k), v, dir);
    await this.touchModel(name);
    return this.getVersion(name, version);
  }

  private async readVersion(name: string, version: number): Promise<ModelVersionInfo | undefined> {
    const dir = join(this.modelDir(name), `version-${version}`);
    if (!(await isDirectory(dir))) return undefined;
    // A claimed number whose registration died before its meta was written is skipped (the next
    // registration takes the number after it), as MLflow's reader skips malformed folders.
    const meta = await readMetaUnlessAbandoned(dir);
    if (!meta) return undefined;
    if (metaString(meta, 'current_stage') === STAGE_DELETED_INTERNAL) return undefined;
    const tags: Record<string, string> = {};
    const tagDir = join(dir, 'tags');
    const keys = await readdir(tagDir, { recursive: true, withFileTypes: true }).catch((err) => {
      if (isNotFound(err)) return [];
      throw err;
    });
    for (const e of keys) {
      if (!e.isFile()) continue;
      const full = join(e.parentPath, e.name);
      tags[
        full
          .slice(tagDir.length + 1)
          .split('\\')
          .join('/')
      ] = await readFile(full, 'utf8');
    }
    const aliases = Object.entries(await this.readAliases(name))
      .filter(([, v]) => Number(v) === version)
      .map(([a]) => a);
    return {
      name,
      version,
      runId: metaString(meta, 'run_id'),
      source: metaString(meta, 'storage_location') ?? metaString(meta, 'source') ?? '',
      status: metaString(meta, 'status') ?? 'READY',
      creationTimestamp: metaInt(meta, 'creation_timestamp'),
      lastUpdatedTimestamp: metaInt(meta, 'last_updated_timestamp'),
      tags,
      metrics: metricsFromTags(tags),
      flavor: tags['crimepulse.flavor'],
      aliases,
    };
  }

  async getVersion(name: string, version: number): Promise<ModelVersionInfo> {
    const v = await this.readVersion(name, version);
    if (!v)
      throw new TrackingError('CP_ERR_TRACKING_NOT_FOUND', `Model version ${name} v${version} not found`);
    return v;
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo | undefined> {
    validateAlias(alias);
    const v = (await this.readAliases(name))[alias];
    return v === undefined ? undefined : this.readVersion(name, Number(v));
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    validateAlias(alias);
    await this.getVersion(name, version);
    const dir = this.modelDir(name);
    await writeAtomic(join(dir, 'aliases', alias), String(version), dir);
    await this.touchModel(name);
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    validateAlias(alias);
    const file = join(this.modelDir(name), 'aliases', alias);
    if ((await readMeta(this.modelDir(name))) === undefined) return;
    await rm(file, { force: true });
    await this.touchModel(name);
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    await this.getVersion(name, version);
    const dir = join(this.modelDir(name), `version-${version}`);
    await writeAtomic(join(dir, 'tags', key), value, dir);
    await this.touchModel(name);
  }

  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    const out: ModelVersionInfo[] = [];
    for (const n of await this.versionNumbers(name)) {
      const v = await this.readVersion(name, n);
      if (v) out.push(v);
    }
    return out;
  }

  async loadArtifact(name: string, version: number): Promise<Uint8Array> {
    const v = await this.getVersion(name, version);
    try {
      return new Uint8Array(await readFile(fromFileUri(v.source)));
    } catch (err) {
      if (err instanceof TrackingError) throw err;
      throw new TrackingError(
        'CP_ERR_TRACKING_NOT_FOUND',
        `Artifact of ${name} v${version} unreadable at ${v.source}`,
        {
          cause: err,
        },
      );
    }
  }
}
