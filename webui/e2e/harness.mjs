import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { findChromium } from './chromium.mjs';
import { startMockStore } from './mock/server.mjs';

const WEBUI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Flags for a quiet, self-contained headless Chromium (no sandbox: CI runs as root). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens the store the browser tests drive, parameterised by environment variables:
 *   ALLSTORE_E2E_BASE_URL   the running store's root, e.g. http://127.0.0.1:3000 (`make run`);
 *                           unset: a mock store serving webui/dist is started on a free port
 *   ALLSTORE_E2E_API_URL    the API base (default <base URL>/Prod/)
 *   ALLSTORE_E2E_ARTIFACTS  where screenshots go (default <repo>/test-artifacts/webui)
 *   CHROMIUM_PATH           the browser binary (default: Debian's chromium, else one on PATH)
 */
export async function openStore(env = process.env) {
  const executablePath = findChromium(env);
  let mock = null;
  let baseUrl = env.ALLSTORE_E2E_BASE_URL;
  if (!baseUrl) {
    const distDir = join(WEBUI_DIR, 'dist');
    if (!existsSync(join(distDir, 'index.html'))) {
      throw new Error(`No web UI build in ${distDir}: run \`npm run build\` in webui/ first.`);
    }
    mock = await startMockStore({ distDir });
    baseUrl = mock.baseUrl;
  }
  baseUrl = baseUrl.replace(/\/+$/, '');
  const apiUrl = (env.ALLSTORE_E2E_API_URL ?? `${baseUrl}/Prod/`).replace(/\/*$/, '/');
  const artifactsDir = resolve(env.ALLSTORE_E2E_ARTIFACTS ?? join(WEBUI_DIR, '..', 'test-artifacts', 'webui'));
  mkdirSync(artifactsDir, { recursive: true });

  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    await mock?.close();
    throw new Error(`Could not start ${executablePath}: ${error.message}`, { cause: error });
  }

  return {
    baseUrl,
    apiUrl,
    /** The mock store (its API records click events), or null against a real store. */
    mock,

    /** A page in a fresh browser context (own localStorage), with paths relative to the store. */
    async newPage({ viewport = { width: 1280, height: 900 } } = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport });
      return context.newPage();
    },

    /**
     * GETs the store's API directly, to learn what the page should show.
     * @returns {Promise<any>}
     */
    async api(path) {
      const response = await fetch(`${apiUrl}${path}`);
      const body = await response.json();
      if (!response.ok) throw new Error(`GET ${apiUrl}${path} answered ${response.status}: ${JSON.stringify(body)}`);
      return body;
    },

    /**
     * A full-page picture as a visitor scrolling through the page sees it: every lazy image below
     * the fold loaded (else they show as blank tiles) and the sticky header at the top, not where
     * the test last scrolled to. The scroll position is put back afterwards.
     */
    async screenshot(page, name) {
      const scrollY = await page.evaluate(async () => {
        const y = window.scrollY;
        const loading = Array.from(document.images).map((image) => {
          image.loading = 'eager';
          if (image.complete) return null;
          return new Promise((resolve) => {
            image.addEventListener('load', resolve, { once: true });
            image.addEventListener('error', resolve, { once: true });
          });
        });
        await Promise.race([Promise.all(loading), new Promise((resolve) => setTimeout(resolve, 5_000))]);
        window.scrollTo(0, 0);
        return y;
      });
      await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
      await page.evaluate((y) => window.scrollTo(0, y), scrollY);
    },

    async close() {
      await browser.close();
      await mock?.close();
    },
  };
}

/** Picks a demo user (from /session's UserList) in the header's picker: types the name, clicks it. */
export async function chooseUser(page, user) {
  const name = `${user.FirstName} ${user.LastName}`.trim() || user.Id;
  await page.getByRole('combobox', { name: 'Shopping as' }).fill(name);
  await page.getByRole('listbox', { name: 'Demo users' }).getByRole('option', { name, exact: true }).click();
}
