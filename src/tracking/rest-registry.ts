/**
 * The model registry on an MLflow tracking server (REST API 2.0):
 *   POST mlflow/registered-models/create          POST mlflow/model-versions/create
 *   GET  mlflow/model-versions/get?name=&version=  GET  mlflow/model-versions/search?filter=
 *   POST mlflow/model-versions/set-tag
 *   POST|DELETE|GET mlflow/registered-models/alias (set, delete, get version by alias)
 *   GET  mlflow/runs/get?run_id=                   (the run's artifact_uri, for a version's source)
 * A version's `source` is `<run artifact_uri>/<artifactPath>`; its bytes are fetched through the
 * server's artifact proxy. MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE ("alias
 * … not found"), which `getVersionByAlias` turns into `undefined` like a missing model.
 */
import { z } from 'zod';
import { TrackingError } from '../core/errors.js';
import {
  type ModelRegistry,
  type ModelVersionInfo,
  metricsFromTags,
  type RegisterVersionArgs,
  registrationTags,
  toRegisterInput,
  VERSION_TAGS,
  validateAlias,
  validateModelName,
} from './registry.js';
import { getRunArtifact, hasErrorCode, type MlflowRestClient, RunInfoSchema } from './rest-client.js';
import { validateArtifactPath, validateKey } from './tracker.js';

const Int64 = z.union([z.number(), z.string()]).transform((v) => Number(v));

export const ModelVersionSchema = z.object({
  name: z.string(),
  version: z.union([z.string(), z.number()]).transform((v) => Number(v)),
  creation_timestamp: Int64.optional(),
  last_updated_timestamp: Int64.optional(),
  current_stage: z.string().optional(),
  source: z.string().optional(),
  run_id: z.string().optional(),
  status: z.string().optional(),
  status_message: z.string().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string().optional() })).optional(),
  aliases: z.array(z.string()).optional(),
});
type ModelVersionJson = z.infer<typeof ModelVersionSchema>;

const MvAnswer = z.object({ model_version: ModelVersionSchema });
const Empty = z.object({});

function toInfo(mv: ModelVersionJson): ModelVersionInfo {
  const tags: Record<string, string> = {};
  for (const t of mv.tags ?? []) tags[t.key] = t.value ?? '';
  return {
    name: mv.name,
    version: mv.version,
    runId: mv.run_id || undefined,
    source: mv.source ?? '',
    status: mv.status ?? 'READY',
    creationTimestamp: mv.creation_timestamp,
    lastUpdatedTimestamp: mv.last_updated_timestamp,
    tags,
    metrics: metricsFromTags(tags),
    flavor: tags[VERSION_TAGS.flavor],
    aliases: mv.aliases ?? [],
  };
}

export interface RestRegistryOptions {
  /** How long to wait for a version to leave PENDING_REGISTRATION; default 30 s. */
  readyTimeoutMs?: number;
}

export class RestModelRegistry implements ModelRegistry {
  private readonly readyTimeoutMs: number;

  constructor(
    private readonly client: MlflowRestClient,
    options: RestRegistryOptions = {},
  ) {
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  }

  private async runArtifactUri(runId: string): Promise<string> {
    const res = await this.client.call(
      'GET',
      'runs/get',
      { query: { run_id: runId } },
      z.object({ run: z.object({ info: RunInfoSchema }) }),
    );
    const uri = res.run.info.artifact_uri;
    if (!uri) throw new TrackingError('CP_ERR_TRACKING_REJECTED', `Run ${runId} has no artifact_uri`);
    return uri;
  }

  async registerVersion(...args: RegisterVersionArgs): Promise<ModelVersionInfo> {
    const input = toRegisterInput(args);
    validateModelName(input.name);
    validateArtifactPath(input.artifactPath);
    const tags = registrationTags(input);
    for (const k of Object.keys(tags)) validateKey('tag', k);
    try {
      await this.client.call(
        'POST',
        'registered-models/create',
        { body: { name: input.name } },
        Empty.loose(),
      );
    } catch (err) {
      if (!hasErrorCode(err, 'RESOURCE_ALREADY_EXISTS')) throw err;
    }
    const source = `${(await this.runArtifactUri(input.runId)).replace(/\/+$/, '')}/${input.artifactPath}`;
    const res = await this.client.call(
      'POST',
      'model-versions/create',
      {
        body: {
          name: input.name,
          source,
          run_id: input.runId,
          tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
        },
      },
      MvAnswer,
    );
    return this.awaitReady(toInfo(res.model_version));
  }

  /** MLflow may answer PENDING_REGISTRATION first (asynchronous copies); poll until READY. */
  private async awaitReady(v: ModelVersionInfo): Promise<ModelVersionInfo> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let cur = v;
    for (let delay = 100; cur.status === 'PENDING_REGISTRATION'; delay = Math.min(delay * 2, 2000)) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, delay));
      cur = await this.getVersion(v.name, v.version);
    }
    if (cur.status !== 'READY') {
      throw new TrackingError(
        'CP_ERR_TRACKING_REJECTED',
        `Model version ${v.name} v${v.version} is ${cur.status}`,
        {
          details: { status: cur.status },
        },
      );
    }
    return cur;
  }

  async getVersion(name: string, version: number): Promise<ModelVersionInfo> {
    const res = await this.client.call(
      'GET',
      'model-versions/get',
      { query: { name, version: String(version) } },
      MvAnswer,
    );
    return toInfo(res.model_version);
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo | undefined> {
    validateAlias(alias);
    try {
      const res = await this.client.call(
        'GET',
        'registered-models/alias',
        { query: { name, alias } },
        MvAnswer,
      );
      return toInfo(res.model_version);
    } catch (err) {
      if (err instanceof TrackingError && err.code === 'CP_ERR_TRACKING_NOT_FOUND') return undefined;
      if (
        hasErrorCode(err, 'INVALID_PARAMETER_VALUE') &&
        /not found/i.test(String(err instanceof TrackingError ? err.details?.message : ''))
      ) {
        return undefined;
      }
      throw err;
    }
  }

  async setAlias(name: string, alias: string, version: number): Promise<void> {
    validateAlias(alias);
    await this.client.call(
      'POST',
      'registered-models/alias',
      { body: { name, alias, version: String(version) } },
      Empty.loose(),
    );
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    validateAlias(alias);
    try {
      await this.client.call('DELETE', 'registered-models/alias', { query: { name, alias } }, Empty.loose());
    } catch (err) {
      if (err instanceof TrackingError && err.code === 'CP_ERR_TRACKING_NOT_FOUND') return;
      throw err;
    }
  }

  async setVersionTag(name: string, version: number, key: string, value: string): Promise<void> {
    validateKey('tag', key);
    await this.client.call(
      'POST',
      'model-versions/set-tag',
      { body: { name, version: String(version), key, value } },
      Empty.loose(),
    );
  }

  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    validateModelName(name);
    const out: ModelVersionInfo[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.client.call(
        'GET',
        'model-versions/search',
        { query: { filter: `name='${name}'`, max_results: 1000, page_token: pageToken } },
        z.object({
          model_versions: z.array(ModelVersionSchema).optional(),
          next_page_token: z.string().optional(),
        }),
      );
      for (const mv of res.model_versions ?? []) out.push(toInfo(mv));
      pageToken = res.next_page_token || undefined;
    } while (pageToken);
    return out.sort((a, b) => a.version - b.version);
  }

  async loadArtifact(name: string, version: number): Promise<Uint8Array> {
    const v = await this.getVersion(name, version);
    const runs = /^runs:\/([0-9a-f]+)\/(.+)$/.exec(v.source);
    if (runs) return getRunArtifact(this.client, await this.runArtifactUri(runs[1]!), runs[2]!);
    const i = v.source.lastIndexOf('/');
    return getRunArtifact(this.client, v.source.slice(0, i), v.source.slice(i + 1));
  }
}
