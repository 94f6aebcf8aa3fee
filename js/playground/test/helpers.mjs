// Shared set-up for the Playwright suites: one served playground, one headless Chromium (Debian's),
// pages that record console errors and every request they make.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, '..', '..', 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WAIT_MS = 10_000;

export const LAPTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export function readEvent(name) {
  return readFileSync(join(here, 'events', name), 'utf8');
}

export async function startAll() {
  const { server, url } = await startServer({ port: 0 });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    url,
    browser,
    async stop() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A fresh context and page on the playground. `problems` collects console errors and page
 * errors; `requests` every URL asked for; anything not on the test server is aborted.
 */
export async function openPage(env, { colorScheme = 'light', viewport = LAPTOP, hash = '', permissions = [] } = {}) {
  const context = await env.browser.newContext({ colorScheme, viewport, permissions });
  context.setDefaultTimeout(WAIT_MS);
  const origin = new URL(env.url).origin;
  const problems = [];
  const requests = [];
  const outside = [];
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (new URL(u).origin === origin) return route.continue();
    outside.push(u);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(env.url + hash);
  await settled(page);
  return {
    context,
    page,
    problems,
    requests,
    outside,
    /** Closes the page and fails if it logged an error or asked for anything off the server. */
    async close() {
      await context.close();
      const off = requests.filter((u) => !u.startsWith(`${origin}/`));
      if (problems.length) throw new Error(`console errors:\n${problems.join('\n')}`);
      if (off.length || outside.length) throw new Error(`requests outside ${origin}:\n${[...off, ...outside].join('\n')}`);
    },
  };
}

/** Waits until the page has rendered the current input (debounce over, wasm loaded). */
export async function settled(page) {
  await page.waitForFunction(() => {
    const s = document.getElementById('output')?.dataset.status;
    return s && s !== 'pending' && s !== 'loading';
  }, null, { timeout: WAIT_MS });
  return page.locator('#output').getAttribute('data-status');
}

/** Types a whole event (as a paste would) and waits for the previews. */
export async function setEvent(page, text) {
  await page.getByTestId('event-input').fill(text);
  return settled(page);
}

export async function setOption(page, testid, value) {
  const input = page.getByTestId(testid);
  if ((await input.evaluate((e) => e.tagName)) === 'SELECT') await input.selectOption(value);
  else await input.fill(value);
  return settled(page);
}

export const messages = (page) => page.getByTestId('message');
export const messageTexts = (page) => messages(page).allInnerTexts();
