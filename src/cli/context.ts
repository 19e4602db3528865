/**
 * What every command starts with: validated config (a bad key stops here, named), the root logger,
 * and an AbortSignal that SIGINT/SIGTERM trip so long-running roles shut down cleanly.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../core/config.js';
import { loadConfig } from '../core/config.js';
import { createLogger, type Logger } from '../core/logger.js';

export interface CommandContext {
  config: Readonly<Config>;
  log: Logger;
  signal: AbortSignal;
  abort: () => void;
  /** Absolute path inside the data dir. */
  dataPath: (...parts: string[]) => string;
}

export function createContext(
  sourceIds: readonly string[],
  overrides: Record<string, unknown> = {},
): CommandContext {
  const config = loadConfig({ sourceIds, overrides });
  const log = createLogger({ level: config.logLevel });
  const controller = new AbortController();
  const stop = (sig: string) => {
    if (controller.signal.aborted) {
      log.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ signal: sig }, 'shutting down');
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  return {
    config,
    log,
    signal: controller.signal,
    abort: () => controller.abort(),
    dataPath: (...parts) => resolve(dataDir, ...parts),
  };
}

/** The installed package's root (where web/dist, samples and sources live), wherever the CLI runs from. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
