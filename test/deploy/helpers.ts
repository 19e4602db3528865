/**
 * Helpers for the operations tests: free ports, external tools that CI must have (fail there, skip
 * elsewhere), and a `crimepulse` child process with its output captured.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envName } from '../../src/core/config.js';
import { knownSourceIds } from '../../src/sources/registry.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TMP_ROOT = join(ROOT, '.crimepulse-tmp');
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** A fresh temp dir under the git-ignored .crimepulse-tmp/. */
export function tempDir(prefix: string): string {
  spawnSync('mkdir', ['-p', TMP_ROOT]);
  return mkdtempSync(join(TMP_ROOT, `${prefix}-`));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** Path of a command on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return r.status === 0 && out ? out : undefined;
}

/**
 * Whether the tools a suite needs are present. In CI (CI=true) a missing tool is an error the suite
 * reports as a failure; elsewhere the suite is skipped with the reason printed once.
 */
export function requireTools(
  suite: string,
  tools: string[],
  hint: string,
): { ok: boolean; missing: string[] } {
  const missing = tools.filter((t) => !which(t));
  if (missing.length > 0 && !IN_CI) {
    console.warn(`[${suite}] skipped: ${missing.join(', ')} not installed (${hint})`);
  }
  return { ok: missing.length === 0, missing };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

export interface Child {
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a process with stdout+stderr captured; `stop` sends SIGTERM, then SIGKILL after 5 s. */
export function startChild(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Child {
  const proc = spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TZ: 'UTC', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  proc.stderr?.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    output: () => out,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Environment for `crimepulse start` that enables only the given sources, every other known one
 * (built-in and mapped Socrata cities from sources/) off, so a live-mode test reaches only 127.0.0.1.
 */
export async function onlySources(enabled: string[]): Promise<Record<string, string>> {
  const all = await knownSourceIds(join(ROOT, 'sources'));
  const env: Record<string, string> = {};
  for (const id of all) env[envName(id, 'enabled')] = enabled.includes(id) ? 'true' : 'false';
  return env;
}

export async function httpText(url: string, init?: RequestInit): Promise<{ status: number; text: string }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
}
