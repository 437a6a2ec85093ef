import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jest } from '@jest/globals';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { parseDocument } from 'yaml';
import { ensureDashboardUi, launchChromium, SCREENSHOT_DIR } from '../helpers/dashboard-browser.js';
import { startSeedStubs, type SeedStubs } from '../helpers/e2e-stack.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';

/**
 * The dashboard's pages driven in headless Chromium against a `switchyard serve` process (the
 * compiled CLI; `make test` builds it) in front of the seed tutorial's two stub models.
 */

const TOKEN = 'browser-test-token-1234';
let stubs: SeedStubs;
let serve: ServeProcess;
let browser: Browser;
let page: Page;
let admin: string;
let client: OpenAI;

jest.setTimeout(120_000);

beforeAll(async () => {
  await ensureDashboardUi();
  stubs = await startSeedStubs();
  const document = parseDocument(await readFile(stubs.config.path, 'utf8'));
  document.setIn(['dashboard', 'token'], TOKEN);
  document.setIn(['router', 'log_prompts'], true);
  await writeFile(stubs.config.path, document.toString());
  serve = await startServe(stubs.config.path);
  admin = `http://127.0.0.1:${serve.ports.admin}`;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${serve.ports.listeners[0]}/v1`, apiKey: 'browser-test', maxRetries: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await stubs?.close();
});

/** Loads the page afresh (a hash change alone would keep the previous test's edits). */
async function open(name: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${admin}/dashboard/#${name}`);
  await page.waitForSelector(`nav a.on[data-page="${name}"]`);
}

/** Waits until the element shows text matching `pattern` (what the user would see). */
async function waitForText(selector: string, pattern: RegExp): Promise<void> {
  await page.locator(selector, { hasText: pattern }).first().waitFor({ timeout: 20_000 });
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}

async function setToken(token: string): Promise<void> {
  await page.fill('#token', token);
}

/** The decision the gateway picks for a prompt, from the x-vsr-selected-decision response header. */
async function decisionFor(prompt: string, requestId?: string): Promise<string | null> {
  const { response } = await client.chat.completions
    .create({ model: 'MoM', messages: [{ role: 'user', content: prompt }] }, requestId === undefined ? {} : { headers: { 'x-request-id': requestId } })
    .withResponse();
  return response.headers.get('x-vsr-selected-decision');
}

async function servingVersion(): Promise<string> {
  return ((await (await fetch(`${admin}/dashboard/api/info`)).json()) as { version: string }).version;
}

/** The editor's text with `edit` applied, typed into the page (the UI validates as you type). */
async function editConfig(edit: (text: string) => string): Promise<string> {
  const editor = page.locator('.editor textarea');
  const edited = edit(await editor.inputValue());
  await editor.fill(edited);
  return edited;
}

test('a prompt in the playground shows the expected decision', async () => {
  await open('playground');
  await page.fill('#playground-input', 'Prove the theorem by induction on n.');
  await page.click('#explain');
  await expect(page.locator('[data-testid=route-decision]').textContent({ timeout: 10_000 })).resolves.toBe('reasoning-route');
  await expect(page.locator('[data-testid=route-model]').textContent()).resolves.toBe('gemini-2.5-pro');
  // The explanation: each signal against its rule, each decision's verdict.
  await expect(page.locator('li.chosen[data-decision="reasoning-route"]').count()).resolves.toBe(1);
  await expect(page.locator('tr.yes[data-signal="keyword:reasoning_keywords"]').count()).resolves.toBe(1);

  // Then sent through the gateway with the token: the answer streams in.
  await setToken(TOKEN);
  await page.fill('#playground-input', 'implement a function that adds two numbers');
  await page.click('#explain');
  await waitForText('[data-testid=route-decision]', /^coding-route$/);
  await page.click('#send');
  await waitForText('[data-testid=answer]', /\S/);
  await expect(page.locator('[data-testid=answer]').textContent()).resolves.toMatch(/local/);
  await screenshot('playground');
});

test('requests sent through the gateway appear in the live table within a second', async () => {
  await open('live');
  await page.waitForSelector('.dot.on');
  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `live-${i}-${Date.now()}`;
    await decisionFor(i === 1 ? 'prove this lemma' : 'refactor this class', id);
    const answered = Date.now();
    await page.waitForSelector(`tr[data-request-id="${id}"]`, { timeout: 10_000 });
    delays.push(Date.now() - answered);
  }
  delays.sort((a, b) => a - b);
  expect(delays[1]).toBeLessThan(1000);

  // A click on a row explains its routing.
  const row = page.locator('tr[data-request-id^="live-1-"]');
  await expect(row.locator('td.decision').textContent()).resolves.toBe('reasoning-route');
  await row.click();
  await page.waitForSelector('[data-testid=request-detail] li.chosen[data-decision="reasoning-route"]');
  await expect(page.locator('[data-testid=request-detail] tr.yes[data-signal="keyword:reasoning_keywords"]').count()).resolves.toBe(1);
  await screenshot('live');
});

test('a burst through the gateway streams as bounded batches; a click still shows the full explanation', async () => {
  await open('live');
  await page.waitForSelector('.dot.on');
  const seen = async () => Number(await page.locator('[data-testid=live-seen]').textContent());
  const before = await seen();
  const burst = 240;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < burst) {
        const i = next++;
        await decisionFor(i % 2 === 0 ? 'refactor this class' : 'prove this lemma', `burst-${i}`);
      }
    }),
  );
  // Every request is counted, while the table keeps only the newest rows.
  for (let waited = 0; (await seen()) < before + burst; waited += 100) {
    if (waited > 20_000) throw new Error(`the live page counted ${await seen()} requests, not ${before + burst}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const rows = await page.locator('.live-table tbody tr').count();
  expect(rows).toBeGreaterThan(0);
  expect(rows).toBeLessThanOrEqual(100);
  await expect(page.locator('.live-table tbody tr[data-request-id^="burst-"]').count()).resolves.toBe(rows);
  // The feed's rows are compact; the click fetches the whole record and explanation.
  const row = page.locator('.live-table tbody tr[data-request-id^="burst-"]', { has: page.locator('td.decision', { hasText: /^reasoning-route$/ }) }).first();
  const id = await row.getAttribute('data-request-id');
  await row.click();
  await waitForText('[data-testid=request-detail] h3', new RegExp(`${id}$`));
  await page.waitForSelector('[data-testid=request-detail] li.chosen[data-decision="reasoning-route"]');
  await expect(page.locator('[data-testid=request-detail] tr.yes[data-signal="keyword:reasoning_keywords"]').count()).resolves.toBe(1);
  await expect(page.locator('[data-testid=request-detail]').textContent()).resolves.toMatch(/Selection: /);
});

test('an invalid config edit shows its diagnostic at the right line and is not applied', async () => {
  const before = await servingVersion();
  await open('config');
  await setToken(TOKEN);
  const edited = await editConfig((text) => text.replace('priority: 80', 'priority: "high"'));
  const line = edited.split('\n').findIndex((text) => text.includes('priority: "high"')) + 1;
  await page.waitForSelector(`.gutter-line.error[data-line="${line}"]`, { timeout: 15_000 });
  await expect(page.locator(`ul.diagnostics li.error[data-line="${line}"]`).textContent()).resolves.toMatch(/priority must be number/);
  await expect(page.locator('[data-testid=check-state]').textContent()).resolves.toBe('invalid');
  await expect(page.locator('#apply').isDisabled()).resolves.toBe(true);
  await screenshot('config');
  // Even sent straight to the API with the token, it is refused and nothing changes.
  const forced = await fetch(`${admin}/dashboard/api/config/apply`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ text: edited }) });
  expect(forced.status).toBe(422);
  expect(await servingVersion()).toBe(before);
});

test('a valid config edit is applied and routes change; rollback restores them', async () => {
  expect(await decisionFor('banana bread for dessert')).toBe('default-route');
  const before = await servingVersion();
  await open('config');
  await setToken(TOKEN);
  await editConfig((text) => text.replace('- "prove"', '- "prove"\n        - "banana"'));
  await waitForText('[data-testid=check-state]', /^valid$/);
  await page.click('#apply');
  await expect(page.locator('[data-testid=apply-confirm] pre.diff').textContent()).resolves.toMatch(/\+ \d+:\s+- "banana"/);
  await page.click('#confirm-apply');
  await waitForText('[data-testid=config-message]', /^applied: version/);
  expect(await servingVersion()).not.toBe(before);
  expect(await decisionFor('banana bread for dessert')).toBe('reasoning-route');

  await page.click('#rollback');
  await waitForText('[data-testid=config-message]', /^rolled back: version/);
  expect(await servingVersion()).toBe(before);
  expect(await decisionFor('banana bread for dessert')).toBe('default-route');
});

test('writes without the token are refused', async () => {
  const before = await servingVersion();
  await open('config');
  await setToken('');
  await editConfig((text) => text.replace('- "prove"', '- "prove"\n        - "cherry"'));
  await waitForText('[data-testid=check-state]', /^valid$/);
  // Without a token the page offers no apply; the API refuses every write, with or without a wrong token.
  await expect(page.locator('#apply').isDisabled()).resolves.toBe(true);
  await expect(page.locator('#rollback').isDisabled()).resolves.toBe(true);
  const writes = ['config/apply', 'config/rollback', 'replay', 'send'];
  for (const authorization of [undefined, 'Bearer wrong-token-000']) {
    for (const write of writes) {
      const status = await page.evaluate(
        async ({ url, authorization }) => (await fetch(url, { method: 'POST', headers: authorization === undefined ? {} : { authorization }, body: JSON.stringify({ text: 'x', prompt: 'x' }) })).status,
        { url: `${admin}/dashboard/api/${write}`, authorization },
      );
      expect([write, status]).toEqual([write, 401]);
    }
  }
  expect(await servingVersion()).toBe(before);
});

test('replay shows which stored requests an edited config would route elsewhere', async () => {
  await decisionFor('banana pancakes');
  await open('replay');
  await setToken(TOKEN);
  await page.click('#replay-current');
  await page.waitForSelector('[data-testid=replay-summary]');
  // Against the config in force, only the request routed while "banana" was a reasoning keyword (the apply test above) goes elsewhere now.
  await expect(page.locator('[data-testid=replay-summary]').textContent()).resolves.toMatch(/ 1 would change/);
  await page.click('text=Edit a copy of the config…');
  const copy = page.locator('textarea.replay-config');
  await copy.waitFor();
  await copy.fill((await copy.inputValue()).replace('- "prove"', '- "prove"\n        - "banana"'));
  await page.click('#replay-edited');
  await waitForText('[data-testid=replay-summary]', /against the edited config: \d+ replayed, [1-9]\d* would change/i);
  await expect(page.locator('tr.changed').count()).resolves.toBeGreaterThanOrEqual(2);
  await screenshot('replay');
});

test('savings and models pages render from the traffic', async () => {
  await open('savings');
  await waitForText('[data-testid=kpi-requests]', /^[1-9]\d*$/);
  await expect(page.locator('.chart canvas').count()).resolves.toBe(3);
  await screenshot('savings');
  await open('models');
  await page.waitForSelector('tr[data-model="gemini-2.5-pro"] td.health.healthy');
  // The access key written in the seed config is not shown.
  await expect(page.locator('tr[data-model="gemini-2.5-pro"]').textContent()).resolves.toContain('set (hidden)');
  await expect(page.content()).resolves.not.toContain('YOUR_GEMINI_API_KEY');
  await screenshot('models');
  await open('config');
  await page.click('#dsl-view');
  await expect(page.locator('[data-testid=dsl]').textContent()).resolves.toMatch(/DECISION|ROUTE|decision/i);
  await expect(page.locator('[data-testid=dsl]').textContent()).resolves.not.toContain(TOKEN);
});
