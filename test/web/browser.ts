/**
 * Headless Debian Chromium through playwright-core, with the flags these machines need and a fresh
 * profile per launch. `chromiumStatus()` says whether the browser is there; tests FAIL under CI=true
 * when it is missing and skip otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CRIMEPULSE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_MISSING = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get update && apt-get install -y chromium\` (or set CRIMEPULSE_CHROMIUM)`;

export function haveChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'cp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Builds web/dist when it is missing (npm install's `prepare` normally did it). */
export function ensureWebBuilt(): void {
  if (existsSync(resolve('web/dist/index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts'], { stdio: 'inherit' });
}
