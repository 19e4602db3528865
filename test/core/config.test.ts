/**
 * loadConfig (defaults, file, environment, precedence, errors naming the variable) and its reference:
 * docs/configuration.md must be exactly what scripts/gen-config-doc.ts writes, list every key of the
 * `Config` schema, and each environment variable it documents must really set its key.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_DOC_FILE, configDocMarkdown, envVariableOf } from '../../scripts/gen-config-doc.js';
import { Config, type Config as ConfigT, envName, loadConfig } from '../../src/core/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { knownSourceIds } from '../../src/sources/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'crimepulse-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A config file in the temp dir; also shields the tests from a crimepulse.config.json in the cwd. */
function configFile(content: unknown, name = 'c.json'): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
const empty = configFile({}, 'empty.json');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults with an empty file and environment', () => {
    const c = loadConfig({ env: {}, file: empty });
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.dataDir).toBe('./data');
    expect(c.mode).toBe('auto');
    expect(c.replaySpeed).toBe(60);
    expect(c.kafkaBrokers).toBeUndefined();
    expect(c.adminToken).toBeUndefined();
    expect(c.sources).toEqual({});
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lets the environment beat the file, and overrides beat both', () => {
    const file = configFile({ dataDir: '/from/file', mode: 'live', port: 9000, logLevel: 'debug' });
    const c = loadConfig({ env: { CRIMEPULSE_DATA_DIR: '/from/env', PORT: '7000' }, file });
    expect(c.dataDir).toBe('/from/env');
    expect(c.port).toBe(7000);
    expect(c.mode).toBe('live'); // only in the file
    expect(c.logLevel).toBe('debug');
    expect(loadConfig({ env: { PORT: '7000' }, file, overrides: { port: 7100 } }).port).toBe(7100);
  });

  it('treats an empty variable as unset', () => {
    const file = configFile({ dataDir: '/from/file' });
    expect(loadConfig({ env: { CRIMEPULSE_DATA_DIR: '' }, file }).dataDir).toBe('/from/file');
  });

  it('reads the file named by CRIMEPULSE_CONFIG', () => {
    const file = configFile({ replaySpeed: 'max', kafkaBrokers: 'a:9092, b:9092' }, 'named.json');
    const c = loadConfig({ env: { CRIMEPULSE_CONFIG: file } });
    expect(c.replaySpeed).toBe(Number.POSITIVE_INFINITY);
    expect(c.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
  });

  it('names the variable to fix: PORT=abc names PORT', () => {
    const err = configError(() => loadConfig({ env: { PORT: 'abc' }, file: empty }));
    expect(err.code).toBe('CP_ERR_CONFIG_INVALID');
    expect(err.kind).toBe('config');
    expect(err.message).toContain('(PORT)');
    expect(err.details?.issues).toBeDefined();
  });

  it('names CRIMEPULSE_* variables and per-source variables', () => {
    expect(
      configError(() => loadConfig({ env: { CRIMEPULSE_MODE: 'sometimes' }, file: empty })).message,
    ).toContain('CRIMEPULSE_MODE');
    expect(
      configError(() => loadConfig({ env: { CRIMEPULSE_ALLOWED_LATENESS_MS: '-1' }, file: empty })).message,
    ).toContain('CRIMEPULSE_ALLOWED_LATENESS_MS');
    const err = configError(() =>
      loadConfig({ env: { CRIMEPULSE_UK_POLICE_URL: 'not a url' }, file: empty, sourceIds: ['uk-police'] }),
    );
    expect(err.message).toContain('CRIMEPULSE_UK_POLICE_URL');
  });

  it('reads per-source variables only for the source ids it is given', () => {
    const env = {
      CRIMEPULSE_UK_POLICE_URL: 'http://127.0.0.1:9/uk',
      CRIMEPULSE_NYC_SHOOTINGS_ENABLED: 'no',
      CRIMEPULSE_CHICAGO_POLL_INTERVAL_MS: '60000',
    };
    const c = loadConfig({ env, file: empty, sourceIds: ['uk-police', 'nyc-shootings', 'chicago'] });
    expect(c.sources['uk-police']).toEqual({ enabled: true, url: 'http://127.0.0.1:9/uk' });
    expect(c.sources['nyc-shootings']?.enabled).toBe(false);
    expect(c.sources.chicago?.pollIntervalMs).toBe(60_000);
    expect(loadConfig({ env, file: empty, sourceIds: [] }).sources).toEqual({});
  });

  it('merges per-source variables into the file’s source settings', () => {
    const file = configFile({ sources: { la: { enabled: false, pollIntervalMs: 1000 } } });
    const c = loadConfig({ env: { CRIMEPULSE_LA_POLL_INTERVAL_MS: '2000' }, file, sourceIds: ['la'] });
    expect(c.sources.la).toEqual({ enabled: false, pollIntervalMs: 2000 });
  });

  it('rejects unknown keys, unreadable files and non-object files', () => {
    expect(configError(() => loadConfig({ env: {}, file: configFile({ prot: 1 }) })).message).toMatch(/prot/);
    expect(configError(() => loadConfig({ env: {}, file: join(dir, 'missing.json') })).message).toMatch(
      /cannot read config file/,
    );
    expect(configError(() => loadConfig({ env: {}, file: configFile('[1]') })).message).toMatch(
      /JSON object/,
    );
    expect(configError(() => loadConfig({ env: {}, file: configFile('{oops') })).cause).toBeInstanceOf(
      SyntaxError,
    );
  });

  it('builds variable names with envName', () => {
    expect(envName('dataDir')).toBe('CRIMEPULSE_DATA_DIR');
    expect(envName('uk-police', 'url')).toBe('CRIMEPULSE_UK_POLICE_URL');
    expect(envName('socrata-sf', 'pollIntervalMs')).toBe('CRIMEPULSE_SOCRATA_SF_POLL_INTERVAL_MS');
  });
});

/** A valid value per key, set through its documented variable; typed so a new key must be added here. */
const SAMPLE: Record<keyof ConfigT, [string, (c: ConfigT) => unknown, unknown] | null> = {
  port: ['1234', (c) => c.port, 1234],
  host: ['127.0.0.1', (c) => c.host, '127.0.0.1'],
  dataDir: ['/tmp/x', (c) => c.dataDir, '/tmp/x'],
  mode: ['replay', (c) => c.mode, 'replay'],
  replaySpeed: ['120x', (c) => c.replaySpeed, 120],
  samplesDir: ['/tmp/s', (c) => c.samplesDir, '/tmp/s'],
  sources: null,
  kafkaBrokers: ['k:9092', (c) => c.kafkaBrokers, ['k:9092']],
  adminToken: ['0123456789', (c) => c.adminToken, '0123456789'],
  socrataAppToken: ['tok', (c) => c.socrataAppToken, 'tok'],
  chatUrl: ['http://chat', (c) => c.chatUrl, 'http://chat'],
  tileUrl: ['http://t/{z}', (c) => c.tileUrl, 'http://t/{z}'],
  mlflowTrackingUri: ['http://mlflow:5000', (c) => c.mlflowTrackingUri, 'http://mlflow:5000'],
  logLevel: ['warn', (c) => c.logLevel, 'warn'],
  allowedLatenessMs: ['5', (c) => c.allowedLatenessMs, 5],
  regions: ['chicago,la', (c) => c.regions, ['chicago', 'la']],
  categories: ['theft', (c) => c.categories, ['theft']],
  retrainCron: ['off', (c) => c.retrainCron, 'off'],
  userAgent: ['ua', (c) => c.userAgent, 'ua'],
};

describe('docs/configuration.md', () => {
  const doc = readFileSync(CONFIG_DOC_FILE, 'utf8');

  it('is what scripts/gen-config-doc.ts writes (run `npm run docs:gen` when this fails)', async () => {
    expect(doc).toBe(await configDocMarkdown());
  });

  it('has one row per schema key, naming its variable', () => {
    const keys = Object.keys(Config.shape);
    expect(doc).toContain(`## Keys (${keys.length})`);
    for (const key of keys) {
      const env = envVariableOf(key);
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, `${key} missing`).toBeDefined();
      if (env) expect(row).toContain(`\`${env}\``);
    }
  });

  it('documents variables that really set their keys', () => {
    for (const [key, sample] of Object.entries(SAMPLE)) {
      if (!sample) continue;
      const env = envVariableOf(key);
      expect(env, `${key} has no variable`).toBeDefined();
      const [value, get, expected] = sample;
      expect(get(loadConfig({ env: { [env as string]: value }, file: empty })), env).toEqual(expected);
    }
  });

  it('lists the per-source variables of every known source', async () => {
    for (const id of await knownSourceIds()) {
      for (const field of ['enabled', 'url', 'pollIntervalMs'])
        expect(doc).toContain(`\`${envName(id, field)}\``);
    }
  });
});
