import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import {
  createTracker,
  FileStoreTracker,
  RestTracker,
  resolveTrackingUri,
} from '../../src/tracking/index.js';

describe('resolveTrackingUri (MLFLOW_TRACKING_URI rules)', () => {
  it('defaults to <dataDir>/mlruns', () => {
    expect(resolveTrackingUri(undefined, './data')).toEqual({ kind: 'file', root: resolve('data/mlruns') });
    expect(resolveTrackingUri('  ', '/srv/cp')).toEqual({ kind: 'file', root: '/srv/cp/mlruns' });
  });
  it('accepts plain paths and file: URIs as the file store', () => {
    expect(resolveTrackingUri('/var/mlruns', '/d')).toEqual({ kind: 'file', root: '/var/mlruns' });
    expect(resolveTrackingUri('rel/mlruns', '/d')).toEqual({ kind: 'file', root: resolve('rel/mlruns') });
    expect(resolveTrackingUri(pathToFileURL('/tmp/my runs').href, '/d')).toEqual({
      kind: 'file',
      root: '/tmp/my runs',
    });
  });
  it('uses REST for http(s) and refuses stores that need MLflow itself', () => {
    expect(resolveTrackingUri('https://mlflow.example.org/', '/d')).toEqual({
      kind: 'rest',
      baseUrl: 'https://mlflow.example.org',
    });
    expect(() => resolveTrackingUri('databricks', '/d')).toThrow(/Databricks/);
    expect(() => resolveTrackingUri('sqlite:///mlflow.db', '/d')).toThrow(/Unsupported MLFLOW_TRACKING_URI/);
    expect(() => resolveTrackingUri('postgresql://u@h/db', '/d')).toThrow(
      expect.objectContaining({ code: 'CP_ERR_TRACKING_UNSUPPORTED' }),
    );
  });
  it('createTracker follows the config value read from MLFLOW_TRACKING_URI', () => {
    const cfg = loadConfig({
      env: { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000', CRIMEPULSE_DATA_DIR: '/d' },
    });
    expect(createTracker(cfg.mlflowTrackingUri, cfg.dataDir)).toBeInstanceOf(RestTracker);
    const file = createTracker(undefined, '/d');
    expect(file).toBeInstanceOf(FileStoreTracker);
    expect(file.uri).toBe(pathToFileURL(join('/d', 'mlruns')).href);
  });
});
