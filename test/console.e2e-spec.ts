/// <reference lib="dom" />
/**
 * The operator console in a real headless Chromium against the real app on PGlite: sign-in and
 * its cookie, a delivery appearing after a webhook and its replay, the chart's figures against
 * GET /sources/:id?days=1, the sync and missed-call panels, CSRF and session refusals, sign-out,
 * no CSP violation, and the key nowhere but in the request that signed in. The same run takes
 * the README's screenshots (written to docs/ with UPDATE_SCREENSHOTS=1, to a temp dir otherwise).
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from '@jest/globals';
import type { Browser, Page } from 'puppeteer-core';
import { FixedClock, RunningApp, startApp } from './support/app';
import { KNOWLARITY_SR, META_SR } from './support/calls';
import { describeWithChromium, launchChromium } from './support/chromium';
import { createPgliteDatabase, TestDatabase } from './support/databases';
import { ErrorBody, readJson } from './support/http';

const KEY = 'console-test-key-0123456789abcdef';
/** 12:00 in Asia/Kolkata (BUSINESS_TIMEZONE's default): today there is 2026-11-30. */
const NOW = new Date('2026-11-30T06:30:00Z');
const TODAY = '2026-11-30';
const YESTERDAY = '2026-11-29';
const SESSION_MINUTES = 60;
const DOCS_DIR = join(__dirname, '..', 'docs');
const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS
  ? DOCS_DIR
  : mkdtempSync(join(tmpdir(), 'kls-console-shots-'));

/** Calls sent as webhooks for the chart: [date, local time, SR number]. */
const CHART_CALLS: [string, string, string][] = [
  [TODAY, '09:05:00', KNOWLARITY_SR],
  [TODAY, '09:40:00', KNOWLARITY_SR],
  [TODAY, '11:15:00', KNOWLARITY_SR],
  [TODAY, '10:20:00', META_SR],
  [TODAY, '10:50:00', META_SR],
  [YESTERDAY, '18:30:00', KNOWLARITY_SR],
  [YESTERDAY, '19:10:00', META_SR],
];

let phoneCounter = 0;
function webhookBody(date: string, time: string, srNumber: string, callId: string) {
  phoneCounter += 1;
  return {
    call_uuid: callId,
    call_date: date,
    call_time: time,
    caller_number: `+9198${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(5, '0')}`,
    call_direction: 'inbound',
    called_number: srNumber,
    call_status: 'answered',
  };
}

describeWithChromium('operator console in Chromium', () => {
  let database: TestDatabase;
  let running: RunningApp;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  const logLines: string[] = [];
  const pageProblems: string[] = [];

  const asKey = async <T = unknown>(path: string) => {
    const response = await fetch(`${running.url}${path}`, { headers: { 'x-api-key': KEY } });
    return { status: response.status, body: await readJson<T>(response) };
  };
  const sendWebhook = (body: object) =>
    fetch(`${running.url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** From inside the page: same origin, the session cookie goes along (as the page's own calls). */
  const fetchInPage = (path: string, init: { method?: string; headers?: Record<string, string> }) =>
    page.evaluate(
      async (url, options) => {
        const response = await fetch(url, { ...options, credentials: 'same-origin' });
        return { status: response.status, body: (await response.json()) as { code?: string } };
      },
      path,
      init,
    );
  const text = (selector: string) =>
    page.$eval(selector, (element) => (element as HTMLElement).innerText.trim());

  beforeAll(async () => {
    const opened = await createPgliteDatabase();
    database = opened.database;
    running = await startApp({
      repository: opened.repository,
      clock: new FixedClock(NOW),
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
      env: {
        INTERNAL_API_KEYS: KEY,
        LOG_LEVEL: 'debug',
        CONSOLE_SESSION_MINUTES: String(SESSION_MINUTES),
        KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta`,
      },
    });
    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage();
    await page.emulateTimezone('Asia/Kolkata');
    await page.setViewport({ width: 1280, height: 900 });
    await page.evaluateOnNewDocument(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(message.text());
    });
    page.on('pageerror', (error) => pageProblems.push(String(error)));
    // A first run after a migration change builds the PGlite template (initdb): minutes under load.
  }, 240_000);

  afterAll(async () => {
    await closeBrowser?.();
    await running?.close();
    await database?.close();
  });

  it('refuses the internal API and the session check without a session; the page has a strict CSP', async () => {
    const sources = await fetch(`${running.url}/sources`);
    const session = await fetch(`${running.url}/console/session`);
    const pageResponse = await fetch(`${running.url}/console`);
    const html = await pageResponse.text();

    expect(sources.status).toBe(401);
    expect(session.status).toBe(401);
    expect((await readJson<ErrorBody>(session)).code).toBe('unauthorized');
    expect(pageResponse.status).toBe(200);
    const csp = pageResponse.headers.get('content-security-policy') ?? '';
    expect(csp.split('; ')).toEqual(
      expect.arrayContaining(["default-src 'none'", "script-src 'self'", "style-src 'self'"]),
    );
    expect(csp).not.toContain('unsafe');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });

  it('signs in with an internal API key: an HttpOnly, SameSite=Strict cookie that expires', async () => {
    await page.goto(`${running.url}/console`);
    await page.waitForSelector('#sign-in:not([hidden])');
    await page.type('#key', 'not-the-key-0123456789abcdef');
    await page.click('#sign-in-form button');
    await page.waitForFunction(() =>
      document.getElementById('sign-in-error')?.textContent?.includes('not one of'),
    );

    await page.type('#key', KEY);
    await page.click('#sign-in-form button');
    await page.waitForSelector('#dashboard:not([hidden])');

    const cookies = await page.cookies();
    expect(cookies).toHaveLength(1);
    const [cookie] = cookies;
    expect(cookie).toMatchObject({ name: 'kls_console', httpOnly: true, sameSite: 'Strict' });
    expect(cookie.secure).toBe(false); // plain HTTP, no trusted proxy
    const lifetime = cookie.expires - Date.now() / 1000;
    expect(lifetime).toBeGreaterThan(SESSION_MINUTES * 60 - 120);
    expect(lifetime).toBeLessThanOrEqual(SESSION_MINUTES * 60 + 5);
    expect(cookie.value).not.toContain(KEY);
    expect(page.url()).toBe(`${running.url}/console`);
    expect(await page.content()).not.toContain(KEY);
    expect(await page.$eval('#key', (input) => (input as HTMLInputElement).value)).toBe('');
  });

  it('shows a delivery after a webhook, replays it, and shows the code of a refused replay', async () => {
    const callId = `console-call-${Date.now()}`;
    const accepted = await sendWebhook(webhookBody(TODAY, '11:55:00', KNOWLARITY_SR, callId));
    expect(accepted.status).toBe(200);

    const row = await page.waitForSelector(`xpath///tr[td[@class="call-id"][text()="${callId}"]]`, {
      timeout: 20_000,
    });
    const deliveryId = Number(await row!.evaluate((tr) => tr.getAttribute('data-delivery-id')));
    expect(await row!.$eval('td.status', (td) => td.textContent)).toBe('200');
    expect(await row!.$eval('td.code', (td) => td.textContent)).toBe('lead_created');

    await row!.$eval('button', (button) => button.click());
    await page.waitForSelector(`#replay-result[data-delivery-id="${deliveryId}"]`);
    expect(await text('#replay-result')).toBe(
      `Replay of #${deliveryId}: duplicate_call, call ${callId}, lead ${
        (await asKey<{ leadId: number }>(`/calls/${callId}`)).body.leadId
      }`,
    );
    const stored = await asKey<{ items: { replayOf: number | null }[] }>(
      '/webhooks/knowlarity/deliveries?limit=50',
    );
    const replays = stored.body.items.filter((item) => item.replayOf === deliveryId);
    expect(replays).toHaveLength(1);
    expect(replays[0]).toMatchObject({ httpStatus: 200, outcome: 'duplicate_call', callId });

    // A delivery with no caller is refused (422); its replay is refused with the same code.
    const refused = await sendWebhook({
      call_uuid: `no-phone-${callId}`,
      call_direction: 'inbound',
    });
    const refusedBody = await readJson<ErrorBody>(refused);
    const refusedRow = await page.waitForSelector('tr.refused', { timeout: 20_000 });
    const refusedId = Number(
      await refusedRow!.evaluate((tr) => tr.getAttribute('data-delivery-id')),
    );
    expect(await refusedRow!.$eval('td.code', (td) => td.textContent)).toBe(refusedBody.code);
    await refusedRow!.$eval('button', (button) => button.click());
    await page.waitForSelector(`#replay-result[data-delivery-id="${refusedId}"]`);
    expect(await text('#replay-result')).toContain(
      `Replay of #${refusedId} refused (${refused.status} ${refusedBody.code}`,
    );
  });

  it("draws leads per hour whose figures are GET /sources/:id?days=1's", async () => {
    for (const [index, [date, time, sr]] of CHART_CALLS.entries()) {
      const response = await sendWebhook(
        webhookBody(date, time, sr, `chart-${index}-${Date.now()}`),
      );
      expect(response.status).toBe(200);
    }
    await page.reload();
    await page.waitForSelector('#leads-table tbody tr');

    const sources = (await asKey('/sources')).body as { id: number; displayName: string }[];
    const byName = new Map(sources.map((source) => [source.displayName, source.id]));
    // The sent calls, plus the one of the delivery test (today 11:55 on the default number).
    const expectedToday = { Knowlarity: 4, Meta: 2 };
    for (const [name, today] of Object.entries(expectedToday)) {
      const id = byName.get(name)!;
      const detail = (
        await asKey<{ leadsPerDay: { date: string; leads: number }[] }>(`/sources/${id}?days=1`)
      ).body;
      expect(detail.leadsPerDay).toEqual([{ date: TODAY, leads: today }]);
      const cell = `#leads-table tr[data-source-id="${id}"] td`;
      expect(await text(`${cell}.today`)).toBe(String(detail.leadsPerDay[0].leads));
      expect(await text(`${cell}.yesterday`)).toBe('1');
    }
    // The hour-by-hour table sits in a closed <details>: read its text, shown or not.
    const hour = (date: string, h: number, name: string) =>
      page.$eval(
        `#leads-hours tr[data-date="${date}"][data-hour="${h}"] td[data-source-id="${byName.get(name)}"]`,
        (cell) => cell.textContent,
      );
    expect(await hour(TODAY, 9, 'Knowlarity')).toBe('2');
    expect(await hour(TODAY, 11, 'Knowlarity')).toBe('2');
    expect(await hour(TODAY, 10, 'Meta')).toBe('2');
    expect(await hour(YESTERDAY, 18, 'Knowlarity')).toBe('1');
    expect(await hour(YESTERDAY, 19, 'Meta')).toBe('1');
    expect(await page.$$eval('#leads-hours tbody tr', (rows) => rows.length)).toBe(5);
    expect(await page.$('#leads-chart canvas')).not.toBeNull();
    expect(await text('#leads-chart')).toContain('Meta');
  });

  it('shows the sync state, the answer of poll now and of a reconcile, and the missed-call queue', async () => {
    await page.waitForSelector('#sync-status dd[data-field="enabled"]');
    expect(await text('#sync-status dd[data-field="configured"]')).toBe('false');
    expect(await text('#sync-status dd[data-field="lastRun"]')).toBe('—');

    await page.click('#poll-now');
    await page.waitForFunction(
      () => !document.getElementById('sync-result')?.textContent?.includes('…'),
    );
    expect(await text('#sync-result')).toContain('sync_not_configured');

    await page.$eval(
      '#reconcile-day',
      (input) => ((input as HTMLInputElement).value = '2026-11-29'),
    );
    await page.click('#reconcile-form button');
    await page.waitForFunction(
      () => !document.getElementById('sync-result')?.textContent?.includes('…'),
    );
    expect(await text('#sync-result')).toMatch(
      /^Reconcile of 2026-11-29 refused or failed \(\d{3} \w+/,
    );

    const missed = await asKey<{ items: unknown[] }>('/calls/missed?returned=false');
    await page.waitForFunction(() => document.getElementById('missed-body')?.textContent !== '');
    if (missed.status === 404) {
      expect(await text('#missed-body')).toBe('Not available on this server yet.');
    } else {
      expect(missed.status).toBe(200);
      expect(await page.$$eval('#missed-body tbody tr', (rows) => rows.length)).toBe(
        missed.body.items.length,
      );
    }
  });

  it('refuses a POST without the CSRF token, or with a wrong one, and accepts the right one', async () => {
    const none = await fetchInPage('/sync/knowlarity/run', { method: 'POST' });
    const wrong = await fetchInPage('/sync/knowlarity/run', {
      method: 'POST',
      headers: { 'x-csrf-token': 'forged-token' },
    });
    const signOut = await fetchInPage('/console/session', { method: 'DELETE' });
    const { body: session } = await page.evaluate(async () => {
      const response = await fetch('/console/session');
      return { body: (await response.json()) as { csrfToken: string } };
    });
    const right = await fetchInPage('/sync/knowlarity/run', {
      method: 'POST',
      headers: { 'x-csrf-token': session.csrfToken },
    });

    for (const refused of [none, wrong, signOut]) {
      expect(refused).toEqual({
        status: 403,
        body: expect.objectContaining({ code: 'csrf_token_invalid' }),
      });
    }
    // Past the guard: the run itself answers (no Knowlarity credentials in this test).
    expect(right.status).toBe(409);
    expect(right.body.code).toBe('sync_not_configured');
    expect((await page.cookies()).map((cookie) => cookie.name)).toEqual(['kls_console']);
  });

  it('fits a desktop and a phone screen (the README screenshots)', async () => {
    await page.setViewport({ width: 1280, height: 900 });
    await page.reload();
    await page.waitForSelector('#deliveries-table tbody tr');
    await page.waitForSelector('#leads-chart canvas');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const desktop = join(SCREENSHOT_DIR, 'console-desktop.png');
    await page.screenshot({ path: desktop, fullPage: true });

    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await page.reload();
    await page.waitForSelector('#leads-chart canvas');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    const phone = join(SCREENSHOT_DIR, 'console-phone.png');
    await page.screenshot({ path: phone, fullPage: true });

    for (const [file, width] of [
      [desktop, 1280],
      [phone, 390],
    ] as const) {
      const png = readFileSync(file);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(width);
    }
    await page.setViewport({ width: 1280, height: 900 });
  });

  it('signs out: the cookie is gone and the API refuses the page again', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in:not([hidden])');
    const after = await fetchInPage('/sources', {});

    expect(await page.cookies()).toEqual([]);
    expect(after.status).toBe(401);
    expect(await page.$eval('#dashboard', (element) => (element as HTMLElement).hidden)).toBe(true);
  });

  it('logged no key, and the page met no CSP violation or script error', () => {
    expect(logLines.join('')).not.toContain(KEY);
    expect(logLines.join('')).toContain('Console sign-in');
    // The browser reports every 4xx the page receives; the refusals above are expected.
    const expected = /^Failed to load resource: the server responded with a status of 4\d\d/;
    expect(pageProblems.filter((problem) => !expected.test(problem))).toEqual([]);
  });
});
