/**
 * The dashboard in a real headless Chromium against the real app (test/web/start-app.ts): the
 * Chicago and LA samples replayed through the pipeline into a temp store, plus a fixture of
 * hostile strings. Saves docs/img/dashboard.png and docs/img/anomaly-detail.png.
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, CHROMIUM_MISSING, ensureWebBuilt, haveChromium, launchBrowser } from './browser.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './start-app.js';

const CI = process.env.CI === 'true';

if (!haveChromium() && CI) {
  describe('dashboard in Chromium', () => {
    it('needs Chromium', () => {
      throw new Error(CHROMIUM_MISSING);
    });
  });
}

describe.skipIf(!haveChromium())('dashboard in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    app = await startTestApp({
      sources: ['chicago', 'la'],
      extraFiles: { chicago: ['test/fixtures/web/hostile-chicago.csv'] },
      replayDir: 'test/fixtures/web',
    });
    await app.settle();
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function open(path = '/', viewport?: { width: number; height: number }): Promise<Page> {
    const page = await browser.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on('pageerror', (e) => problems.push(`pageerror ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/404|Not Found/.test(m.text())) problems.push(`console ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/chat')) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${app.url}${path}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return page;
  }

  const chartStates = (page: Page) =>
    page.$$eval('[data-chart]', (els) =>
      els.map((e) => [e.getAttribute('data-chart'), e.getAttribute('data-state')]),
    );

  it('loads, renders every chart with data and a text alternative, and shows KPIs and sources', async () => {
    const page = await open('/');
    expect(await chartStates(page)).toEqual([
      ['series', 'ready'],
      ['hour-of-week', 'ready'],
      ['area-category', 'ready'],
      ['map', 'ready'],
    ]);
    // Every chart drew plotly SVG with data, and says in words what it shows.
    for (const name of ['series', 'hour-of-week', 'area-category', 'map']) {
      const fig = page.locator(`[data-chart="${name}"]`);
      expect(await fig.locator('.main-svg').count()).toBeGreaterThan(0);
      expect((await fig.locator('.alt').textContent())?.length ?? 0).toBeGreaterThan(30);
    }
    expect(await page.locator('[data-chart="map"] .alt').textContent()).toMatch(/of \d+ areas/);
    expect(await page.locator('#kpi-7d .kpi-value').textContent()).toMatch(/^[\d,]+$/);
    expect(await page.locator('#kpi-7d').textContent()).toMatch(/usual|history/);
    expect(await page.locator('#kpi-anomalies-value').textContent()).toMatch(/^\d/);
    expect(await page.locator('#sources [data-source="chicago"]').textContent()).toContain('replay');
    expect(await page.locator('#compstat-table tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#compstat-csv').getAttribute('href')).toMatch(/^blob:/);
    mkdirSync('docs/img', { recursive: true });
    await page.screenshot({ path: 'docs/img/dashboard.png' });
    await page.close();
  });

  it('filters change the charts and the URL, and a reload keeps the view', async () => {
    const page = await open('/');
    const before = await page.locator('[data-chart="series"] .alt').textContent();
    await page.selectOption('#f-source', ['chicago']);
    await page.waitForURL(/source=chicago/);
    await page.waitForSelector('body[data-ready="true"]');
    const chicago = await page.locator('[data-chart="series"] .alt').textContent();
    expect(chicago).not.toEqual(before);
    expect(chicago).toMatch(/2015-/);
    await page.selectOption('#f-category', ['theft']);
    await page.waitForURL(/category=theft/);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#f-from', '2015-01-26');
    await page.locator('#f-from').dispatchEvent('change');
    await page.waitForURL(/from=2015-01-26/);
    await page.waitForSelector('body[data-ready="true"]');
    const narrowed = await page.locator('[data-chart="series"] .alt').textContent();
    expect(narrowed).toContain('from 2015-01-26');
    expect(narrowed).not.toEqual(chicago);
    expect(await chartStates(page)).toEqual([
      ['series', 'ready'],
      ['hour-of-week', 'ready'],
      ['area-category', 'ready'],
      ['map', 'ready'],
    ]);
    const url = page.url();
    expect(new URL(url).searchParams.get('source')).toBe('chicago');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    expect(
      await page.$eval('#f-source', (s) =>
        Array.from((s as HTMLSelectElement).selectedOptions).map((o) => o.value),
      ),
    ).toEqual(['chicago']);
    expect(
      await page.$eval('#f-category', (s) =>
        Array.from((s as HTMLSelectElement).selectedOptions).map((o) => o.value),
      ),
    ).toEqual(['theft']);
    expect(await page.inputValue('#f-from')).toBe('2015-01-26');
    expect(await page.locator('[data-chart="series"] .alt').textContent()).toEqual(narrowed);
    // An empty view says so instead of drawing a blank chart.
    await page.fill('#f-from', '1999-01-01');
    await page.locator('#f-from').dispatchEvent('change');
    await page.fill('#f-to', '1999-01-05');
    await page.locator('#f-to').dispatchEvent('change');
    await page.waitForURL(/to=1999-01-05/);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.getAttribute('[data-chart="series"]', 'data-state')).toBe('empty');
    expect(await page.locator('[data-chart="series"] .state').textContent()).toMatch(/No daily counts/);
    await page.close();
  });

  it('opens an anomaly explanation with the keyboard and closes it with Escape', async () => {
    const page = await open('/?source=chicago');
    // Keyboard only: Tab reaches the skip link first, then the chat button.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('chat-button');
    const explain = page.locator('#anomaly-list button.explain').first();
    await explain.focus();
    await page.keyboard.press('Enter');
    const dialog = page.locator('#anomaly-detail');
    await expect.poll(() => dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    expect(await dialog.locator('[data-field="observed"]').textContent()).toMatch(/^\d/);
    expect(await dialog.locator('[data-field="expected"]').textContent()).toMatch(/interval/);
    expect(await dialog.locator('[data-field="p"]').textContent()).toMatch(/\d/);
    expect(await dialog.locator('ul.contributors li').first().textContent()).toMatch(/category/);
    await dialog.locator('.main-svg').first().waitFor();
    await page.screenshot({ path: 'docs/img/anomaly-detail.png' });
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);
    // Anomaly markers on the time series are clickable too.
    const marker = page.locator('[data-chart="series"] .scatterlayer .trace:last-child .point').first();
    await marker.click({ force: true });
    await expect.poll(() => dialog.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true);
    await page.close();
  });

  it('shows an anomaly replayed through /admin/replay in the live feed without a reload', async () => {
    const page = await open('/');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
    });
    await page.waitForSelector('#feed-status[data-live="true"]');
    const res = await fetch(`${app.url}/admin/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'chicago', file: 'burst-chicago.csv' }),
    });
    expect(res.status).toBe(200);
    const item = page.locator('#feed-list li.live', { hasText: 'area 32' }).first();
    await item.waitFor({ timeout: 30_000 });
    expect(await item.textContent()).toMatch(/chicago · area 32 · theft/);
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    // Newest first.
    expect(await page.locator('#feed-list li').first().getAttribute('class')).toContain('live');
    await page.locator('#refresh-live').waitFor();
    await page.close();
  });

  it('draws the model forecast band for one series', async () => {
    const page = await open('/?source=chicago&area=32&category=theft');
    expect(await page.locator('#forecast-note').textContent()).toMatch(
      /Forecast: model series-anomaly@web-test, 14 days ahead/,
    );
    expect(await page.locator('[data-chart="series"] .alt').textContent()).toContain('forecast band shown');
    expect(
      await page.locator('[data-chart="series"] .legendtext', { hasText: 'Forecast interval' }).count(),
    ).toBe(1);
    await page.close();
  });

  it('the chat button opens the assistant, which answers a data question and links back to the dashboard', async () => {
    const page = await open('/');
    const chat = page.locator('#chat-button');
    expect(await chat.textContent()).toBe('Ask the CrimePulse assistant');
    expect(await chat.isVisible()).toBe(true);
    await chat.click();
    await page.waitForURL(/\/chat$/);
    // Ask a data question, see the answer with its number and period, and follow its dashboard link.
    await page.locator('#chat-input').fill('how many burglaries in Chicago in the week of Feb 2 2015?');
    await page.locator('#chat-send').click();
    const answer = page.locator('.chat-message', { hasText: /burglar/i }).last();
    await answer.waitFor({ timeout: 15_000 });
    expect(await answer.textContent()).toMatch(/\d/);
    const link = page.locator('a.chat-link').last();
    await link.waitFor({ timeout: 15_000 });
    await link.click();
    await page.waitForURL(/source=chicago/);
    expect(page.url()).toMatch(/category=burglary/);
    await page.locator('#chat-button').waitFor();
    await page.close();
  });

  it('renders hostile descriptions and locations as text: nothing executes', async () => {
    const page = await open('/?source=chicago&from=2015-02-09&to=2015-02-10');
    const text = await page.locator('#events-list').textContent();
    expect(text).toContain('<script>window.__xss=1</script>');
    expect(text).toContain('<img src=x onerror="window.__xss=2">');
    expect(text).toContain('javascript:window.__xss=3');
    expect(
      await page
        .locator(
          '#events-list script, #events-list img, #events-list svg, #events-list iframe, #events-list a',
        )
        .count(),
    ).toBe(0);
    // Hover every hostile label; open the area list and the CompStat table where the hostile area id is.
    await page.locator('#events-list li').first().hover();
    expect(await page.locator('#compstat-table').textContent()).toContain(
      '<img src=x onerror=window.__xss=10>',
    );
    expect(await page.locator('#f-area').textContent()).toContain('<img src=x onerror=window.__xss=10>');
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelectorAll('script:not([src])').length)).toBe(0);
    await page.close();
  });

  it('is readable at phone width', async () => {
    const page = await open('/', { width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(391);
    expect(await page.locator('#chat-button').isVisible()).toBe(true);
    expect(await chartStates(page)).toEqual([
      ['series', 'ready'],
      ['hour-of-week', 'ready'],
      ['area-category', 'ready'],
      ['map', 'ready'],
    ]);
    await page.close();
  });

  it('raised no page errors, console errors or dialogs', () => {
    expect(problems).toEqual([]);
  });
});
