/**
 * SLOW-ISH (about 30-60 s alone, more on a loaded machine; budget < 3 min): `npm run package` builds crimepulse-<version>.zip; it is
 * unpacked OUTSIDE the repository (so nothing resolves from the checkout's node_modules), installed
 * with `npm ci --offline --omit=dev --ignore-scripts` from the local npm cache (CI's own `npm ci` fills it; no network), and run:
 * `crimepulse --help` and a real replay of the shipped LA sample (874 rows) through the pipeline into
 * a data dir of its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'crimepulse-package-'));
const unpacked = join(work, `${pkg.name}-${pkg.version}`);
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TZ: 'UTC' };

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a command without blocking the test worker (a blocked worker misses vitest's RPC deadlines). */
function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: null, out: `${out}${String(err)}` });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

describe('npm run package (slow: npm ci + a replay)', () => {
  let zipPath = '';

  it('builds the zip with sources, docs, deploy files, samples, the lockfile and the how-to', () => {
    const r = spawnSync('npm', ['run', '--silent', 'package', '--', '--out', work], {
      cwd: ROOT,
      encoding: 'utf8',
      env,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    zipPath = r.stdout.trim().split('\n').pop() ?? '';
    expect(zipPath).toBe(join(work, `${pkg.name}-${pkg.version}.zip`));
    const names = new AdmZip(zipPath).getEntries().map((e) => e.entryName);
    const prefix = `${pkg.name}-${pkg.version}/`;
    expect(names.every((n) => n.startsWith(prefix))).toBe(true);
    for (const f of [
      'HOW-TO-RUN.md',
      'package.json',
      'package-lock.json',
      'bin/crimepulse.js',
      'src/cli.ts',
      'docs/operations.md',
      'deploy/Dockerfile',
      'deploy/compose.yaml',
      'deploy/prometheus/rules.yml',
      'samples/la/la_crime_2020_sample874_portal_format.csv',
    ]) {
      expect(names, f).toContain(prefix + f);
    }
    const inZip = names.map((n) => n.slice(prefix.length));
    expect(
      inZip.filter((n) => /(^|\/)(node_modules|\.crimepulse-tmp|__pycache__)\/|^data\/|(^|\/)\.env$/.test(n)),
    ).toEqual([]);
    // Every source file ships (nested folders named like state, e.g. src/api/data, included).
    const src = spawnSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'samples', 'bin'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (src.status === 0) {
      const missing = src.stdout
        .split('\n')
        .filter((f) => f && existsSync(join(ROOT, f)) && !inZip.includes(f));
      expect(missing).toEqual([]);
    }
    new AdmZip(zipPath).extractAllTo(work, true);
    expect(existsSync(join(unpacked, 'package.json'))).toBe(true);
  });

  it('installs offline from the local npm cache with npm ci (runtime dependencies, as the image does)', async () => {
    // --omit=dev --ignore-scripts, like deploy/Dockerfile's deps stage: what running CrimePulse needs.
    // A full install (vitest, vite, biome, playwright, and a dashboard build in `prepare` when the
    // package has one) took 20 s on an idle machine but 137 s on a loaded one, too close to the budget.
    const r = await run(
      'npm',
      ['ci', '--offline', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      {
        cwd: unpacked,
        env,
        timeoutMs: 160_000,
      },
    );
    expect(r.status, r.out.slice(-3000)).toBe(0);
    expect(existsSync(join(unpacked, 'node_modules/tsx'))).toBe(true);
  }, 170_000);

  it('runs the CLI from the unpacked package: --help, then a replay of a shipped sample', async () => {
    const help = await run(process.execPath, ['bin/crimepulse.js', '--help'], {
      cwd: unpacked,
      env,
      timeoutMs: 30_000,
    });
    expect(help.status, help.out).toBe(0);
    for (const cmd of ['start', 'replay', 'process'])
      expect(help.out).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));

    const replay = await run(
      process.execPath,
      [
        'bin/crimepulse.js',
        'replay',
        '--source',
        'la',
        '--file',
        'samples/la/la_crime_2020_sample874_portal_format.csv',
        '--speed',
        'max',
      ],
      {
        cwd: unpacked,
        env: { ...env, CRIMEPULSE_DATA_DIR: join(work, 'data'), CRIMEPULSE_LOG_LEVEL: 'info' },
        timeoutMs: 120_000,
      },
    );
    expect(replay.status, replay.out.slice(-3000)).toBe(0);
    const m = /replayed (\d+) events \((\d+) rejected\)/.exec(replay.out);
    expect(m, replay.out.slice(-2000)).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(800);
    expect(existsSync(join(work, 'data/store.duckdb'))).toBe(true);
  }, 150_000);
});
