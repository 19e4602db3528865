/**
 * `npm run package`: builds `dist/crimepulse-<version>.zip`, a source distribution that runs anywhere
 * Node runs: the sources, docs, deploy files, shipped samples, source mappings, package.json and
 * package-lock.json (so `npm ci` installs the exact tree), and HOW-TO-RUN.md at the top.
 * test/deploy/package.test.ts unzips it into a temp dir, runs `npm ci --offline` there and the CLI.
 *
 * Options: `--out DIR` (default dist/). Prints the zip path on its last line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AdmZip from 'adm-zip';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders and files shipped, relative to the repository root (missing optional ones are skipped). */
export const INCLUDED = [
  'bin',
  'src',
  'docs',
  'deploy',
  'samples',
  'sources',
  'scripts',
  'web',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'biome.json',
  'vitest.config.ts',
  '.dockerignore',
  'README.md',
  'LICENSE',
] as const;

/** Never shipped, wherever they appear: dependencies, caches, secrets. */
const EXCLUDED_NAMES = new Set(['node_modules', '__pycache__', '.env', '.crimepulse-tmp', '.DS_Store']);
const EXCLUDED_SUFFIXES = ['.pyc', '.zip', '.local.env'];
/** Build output inside shipped folders (rebuilt from the sources). */
const EXCLUDED_PATHS = new Set(['web/dist']);

function walk(abs: string, out: string[], root = ROOT): void {
  const name = abs.split('/').pop() ?? '';
  if (EXCLUDED_NAMES.has(name) || EXCLUDED_SUFFIXES.some((s) => name.endsWith(s))) return;
  if (EXCLUDED_PATHS.has(relative(root, abs))) return;
  const st = statSync(abs);
  if (st.isDirectory()) {
    for (const child of readdirSync(abs).sort()) walk(join(abs, child), out, root);
  } else if (st.isFile()) {
    out.push(abs);
  }
}

/** The repository files the package holds (relative paths, sorted). */
export function packageFiles(root = ROOT): string[] {
  const files: string[] = [];
  for (const entry of INCLUDED) {
    const abs = join(root, entry);
    if (existsSync(abs)) walk(abs, files, root);
  }
  return files.map((f) => relative(root, f)).sort();
}

interface LockFile {
  packages: Record<string, { version?: string; resolved?: string; link?: boolean; integrity?: string }>;
}

/**
 * The lockfile with each registry package's `resolved` tarball address filled in. This machine's npm
 * is set to `omit-lockfile-registry-resolved`, so the repository's lockfile has none, and `npm ci`
 * must then ask the registry for each package's metadata even when every tarball is in the local
 * cache; with the addresses (and the integrity hashes the lockfile already has) `npm ci --offline`
 * installs from the cache alone, and an online install fetches exactly the same tarballs.
 */
export function lockWithResolved(lockText: string, registry: string): string {
  const lock = JSON.parse(lockText) as LockFile;
  const base = registry.endsWith('/') ? registry : `${registry}/`;
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.link || entry.resolved || !entry.version || !entry.integrity) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const file = name.split('/').pop();
    entry.resolved = `${base}${name}/-/${file}-${entry.version}.tgz`;
  }
  return `${JSON.stringify(lock, null, 2)}\n`;
}

function npmRegistry(): string {
  const r = spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' });
  const url = r.status === 0 ? r.stdout.trim() : '';
  if (!/^https?:\/\//.test(url)) throw new Error(`cannot read the npm registry address: ${r.stderr}`);
  return url;
}

export function buildPackage(outDir = join(ROOT, 'dist')): { path: string; files: number; bytes: number } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const prefix = `${pkg.name}-${pkg.version}`;
  const zip = new AdmZip();
  const files = packageFiles();
  for (const f of files) {
    if (f === 'package-lock.json') continue;
    zip.addLocalFile(join(ROOT, f), join(prefix, dirname(f)).replace(/\/\.$/, ''));
  }
  const lock = lockWithResolved(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'), npmRegistry());
  zip.addFile(`${prefix}/package-lock.json`, Buffer.from(lock, 'utf8'));
  zip.addLocalFile(join(ROOT, 'deploy/package/HOW-TO-RUN.md'), prefix);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `${prefix}.zip`);
  zip.writeZip(path);
  return { path, files: files.length + 1, bytes: statSync(path).size };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : undefined;
  const r = buildPackage(out);
  console.log(`packaged ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB`);
  console.log(r.path);
}
