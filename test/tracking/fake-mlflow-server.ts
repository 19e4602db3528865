/**
 * A local MLflow tracking server stand-in (node:http on 127.0.0.1) implementing the REST endpoints
 * CrimePulse uses, with request and response shapes from MLflow's REST API reference (2.0):
 * JSON bodies for POST, query strings for GET/DELETE, errors as `{error_code, message}` with MLflow's
 * HTTP statuses (RESOURCE_DOES_NOT_EXIST → 404; RESOURCE_ALREADY_EXISTS and INVALID_PARAMETER_VALUE
 * → 400), int64 timestamps, versions as strings, artifacts through `/api/2.0/mlflow-artifacts/`.
 * Every request is recorded so tests assert the exact bodies the client sends.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  bytes: Uint8Array;
}

interface Kv {
  key: string;
  value: string;
}
interface RunState {
  info: {
    run_id: string;
    run_uuid: string;
    run_name: string;
    experiment_id: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
  };
  metrics: { key: string; value: number | string; timestamp: number; step: number }[];
  params: Kv[];
  tags: Map<string, string>;
}
interface VersionState {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: string;
  tags: Map<string, string>;
  pendingPolls: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export interface FakeMlflow {
  url: string;
  requests: RecordedRequest[];
  runs: Map<string, RunState>;
  artifacts: Map<string, Uint8Array>;
  /** Answers the next `n` requests with 503 (to exercise retries). */
  failNext(n: number): void;
  /** Runs before each request is handled; may change state (e.g. simulate another client). */
  beforeHandle: ((req: RecordedRequest) => void) | undefined;
  /** Versions answer PENDING_REGISTRATION for this many reads after creation. */
  pendingPolls: number;
  /** Creates an experiment as another client would. */
  createExperiment(name: string): string;
  close(): Promise<void>;
}

export async function startFakeMlflow(): Promise<FakeMlflow> {
  const requests: RecordedRequest[] = [];
  const experiments = new Map<
    string,
    { experiment_id: string; name: string; artifact_location: string; lifecycle_stage: string }
  >([
    [
      '0',
      {
        experiment_id: '0',
        name: 'Default',
        artifact_location: 'mlflow-artifacts:/0',
        lifecycle_stage: 'active',
      },
    ],
  ]);
  const runs = new Map<string, RunState>();
  const artifacts = new Map<string, Uint8Array>();
  const models = new Map<
    string,
    { name: string; creation_timestamp: number; aliases: Map<string, string>; versions: VersionState[] }
  >();
  let failures = 0;
  let nextExp = 1;
  let runSeq = 0;

  const createExperiment = (name: string): string => {
    for (const e of experiments.values())
      if (e.name === name)
        throw new HttpError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
    const id = String(nextExp++);
    experiments.set(id, {
      experiment_id: id,
      name,
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
    });
    return id;
  };
  const needRun = (id: unknown): RunState => {
    const r = typeof id === 'string' ? runs.get(id) : undefined;
    if (!r) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(id)} not found`);
    return r;
  };
  const needModel = (name: unknown) => {
    const m = typeof name === 'string' ? models.get(name) : undefined;
    if (!m)
      throw new HttpError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Registered Model with name=${String(name)} not found`,
      );
    return m;
  };
  const needVersion = (name: unknown, version: unknown): VersionState => {
    const m = needModel(name);
    const v = m.versions.find((x) => x.version === String(version));
    if (!v)
      throw new HttpError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${String(name)}, version=${String(version)}) not found`,
      );
    return v;
  };
  const mvJson = (v: VersionState, poll = false) => {
    if (poll && v.pendingPolls > 0) v.pendingPolls--;
    const m = models.get(v.name)!;
    return {
      name: v.name,
      version: v.version,
      creation_timestamp: v.creation_timestamp,
      last_updated_timestamp: v.last_updated_timestamp,
      current_stage: v.current_stage,
      description: v.description,
      source: v.source,
      run_id: v.run_id,
      status: v.pendingPolls > 0 ? 'PENDING_REGISTRATION' : 'READY',
      tags: [...v.tags].map(([key, value]) => ({ key, value })),
      aliases: [...m.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a),
    };
  };
  const runJson = (r: RunState) => ({
    info: r.info,
    data: {
      metrics: r.metrics,
      params: r.params,
      tags: [...r.tags].map(([key, value]) => ({ key, value })),
    },
  });
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v.length === 0)
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'.`);
    return v;
  };
  const int = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Invalid value for '${field}'`);
    return v;
  };

  const api: Record<string, (q: Record<string, string>, b: Record<string, unknown>) => unknown> = {
    'GET experiments/get-by-name': (q) => {
      for (const e of experiments.values())
        if (e.name === q.experiment_name) return { experiment: { ...e, tags: [] } };
      throw new HttpError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Could not find experiment with name '${q.experiment_name}'`,
      );
    },
    'POST experiments/create': (_q, b) => ({ experiment_id: createExperiment(str(b.name, 'name')) }),
    'POST runs/create': (_q, b) => {
      const exp = experiments.get(str(b.experiment_id, 'experiment_id'));
      if (!exp) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', 'No such experiment');
      const id = (++runSeq).toString(16).padStart(32, '0');
      const tags = new Map((b.tags as Kv[] | undefined)?.map((t) => [t.key, t.value]) ?? []);
      const r: RunState = {
        info: {
          run_id: id,
          run_uuid: id,
          run_name: String(b.run_name ?? ''),
          experiment_id: exp.experiment_id,
          user_id: String(b.user_id ?? ''),
          status: 'RUNNING',
          start_time: int(b.start_time, 'start_time'),
          artifact_uri: `${exp.artifact_location}/${id}/artifacts`,
          lifecycle_stage: 'active',
        },
        metrics: [],
        params: [],
        tags,
      };
      runs.set(id, r);
      return { run: runJson(r) };
    },
    'GET runs/get': (q) => ({ run: runJson(needRun(q.run_id)) }),
    'POST runs/log-batch': (_q, b) => {
      const r = needRun(b.run_id);
      const metrics = (b.metrics as unknown[] | undefined) ?? [];
      const params = (b.params as Kv[] | undefined) ?? [];
      const tags = (b.tags as Kv[] | undefined) ?? [];
      if (
        metrics.length > 1000 ||
        params.length > 100 ||
        tags.length > 100 ||
        metrics.length + params.length + tags.length > 1000
      ) {
        throw new HttpError(
          400,
          'INVALID_PARAMETER_VALUE',
          'A batch logging request can contain at most 1000 metrics, 100 params, 100 tags',
        );
      }
      for (const m of metrics as Record<string, unknown>[]) {
        str(m.key, 'key');
        if (typeof m.value !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(String(m.value))) {
          throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'metric value must be a double');
        }
        r.metrics.push({
          key: String(m.key),
          value: m.value as number,
          timestamp: int(m.timestamp, 'timestamp'),
          step: int(m.step, 'step'),
        });
      }
      for (const p of params) {
        const prev = r.params.find((x) => x.key === p.key);
        if (prev && prev.value !== p.value)
          throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Changing param values is not allowed');
        if (!prev) r.params.push({ key: p.key, value: p.value });
      }
      for (const t of tags) r.tags.set(t.key, t.value);
      return {};
    },
    'POST runs/update': (_q, b) => {
      const r = needRun(b.run_id);
      r.info.status = str(b.status, 'status');
      r.info.end_time = int(b.end_time, 'end_time');
      return { run_info: r.info };
    },
    'POST registered-models/create': (_q, b) => {
      const name = str(b.name, 'name');
      if (models.has(name))
        throw new HttpError(
          400,
          'RESOURCE_ALREADY_EXISTS',
          `Registered Model (name=${name}) already exists.`,
        );
      models.set(name, { name, creation_timestamp: Date.now(), aliases: new Map(), versions: [] });
      return { registered_model: { name, creation_timestamp: models.get(name)!.creation_timestamp } };
    },
    'POST model-versions/create': (_q, b) => {
      const m = needModel(b.name);
      const v: VersionState = {
        name: m.name,
        version: String(m.versions.length + 1),
        creation_timestamp: Date.now(),
        last_updated_timestamp: Date.now(),
        current_stage: 'None',
        description: '',
        source: str(b.source, 'source'),
        run_id: String(b.run_id ?? ''),
        status: 'READY',
        tags: new Map((b.tags as Kv[] | undefined)?.map((t) => [t.key, t.value]) ?? []),
        pendingPolls: fake.pendingPolls,
      };
      m.versions.push(v);
      return { model_version: mvJson(v) };
    },
    'GET model-versions/get': (q) => ({ model_version: mvJson(needVersion(q.name, q.version), true) }),
    'POST model-versions/set-tag': (_q, b) => {
      needVersion(b.name, b.version).tags.set(str(b.key, 'key'), String(b.value ?? ''));
      return {};
    },
    'GET model-versions/search': (q) => {
      const m = /^name\s*=\s*'([^']*)'$/.exec(q.filter ?? '');
      if (!m) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Invalid filter '${q.filter}'`);
      const versions = models.get(m[1]!)?.versions ?? [];
      const max = Number(q.max_results ?? 10000);
      const start = Number(q.page_token ?? 0);
      const page = versions.slice(start, start + max).map((v) => mvJson(v));
      return start + max < versions.length
        ? { model_versions: page, next_page_token: String(start + max) }
        : { model_versions: page };
    },
    'POST registered-models/alias': (_q, b) => {
      needVersion(b.name, b.version);
      needModel(b.name).aliases.set(str(b.alias, 'alias'), String(b.version));
      return {};
    },
    'DELETE registered-models/alias': (q) => {
      needModel(q.name).aliases.delete(str(q.alias, 'alias'));
      return {};
    },
    'GET registered-models/alias': (q) => {
      const m = needModel(q.name);
      const v = m.aliases.get(str(q.alias, 'alias'));
      if (!v)
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Registered model alias ${q.alias} not found.`);
      return { model_version: mvJson(needVersion(q.name, v)) };
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const bytes = new Uint8Array(Buffer.concat(chunks));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const isJson = (req.headers['content-type'] ?? '').includes('application/json');
    const body: unknown =
      isJson && bytes.length ? JSON.parse(Buffer.from(bytes).toString('utf8')) : undefined;
    const rec: RecordedRequest = { method: req.method ?? '', path: url.pathname, query, body, bytes };
    requests.push(rec);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    try {
      if (failures > 0) {
        failures--;
        send(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'try again' });
        return;
      }
      fake.beforeHandle?.(rec);
      const art = /^\/api\/2\.0\/mlflow-artifacts\/artifacts\/(.+)$/.exec(url.pathname);
      if (art) {
        const key = decodeURIComponent(art[1]!);
        if (req.method === 'PUT') {
          artifacts.set(key, bytes);
          send(200, {});
          return;
        }
        const data = artifacts.get(key);
        if (req.method !== 'GET' || !data)
          throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `No artifact ${key}`);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(data);
        return;
      }
      const m = /^\/api\/2\.0\/mlflow\/(.+)$/.exec(url.pathname);
      const fn = m ? api[`${req.method} ${m[1]}`] : undefined;
      if (!fn) throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No endpoint ${req.method} ${url.pathname}`);
      send(200, fn(query, (body ?? {}) as Record<string, unknown>));
    } catch (err) {
      if (err instanceof HttpError) send(err.status, { error_code: err.errorCode, message: err.message });
      else send(500, { error_code: 'INTERNAL_ERROR', message: String(err) });
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const fake: FakeMlflow = {
    url: `http://127.0.0.1:${port}`,
    requests,
    runs,
    artifacts,
    failNext: (n) => {
      failures = n;
    },
    beforeHandle: undefined,
    pendingPolls: 0,
    createExperiment,
    close: () => new Promise((r) => server.close(() => r())),
  };
  return fake;
}
