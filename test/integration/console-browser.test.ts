import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sink, SinkResult } from '../../src/processing/sink.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { browserAvailable, launchBrowser } from '../support/browser.ts';
import { buildMessage } from '../support/messages.ts';

// The operations console in a real browser (Debian's Chromium through playwright-core), against the
// service as production builds it (SQLite, processing on with the fhir sink). One user's session, step
// by step, each asserting what the user sees; axe on every page; keyboard-only use of the list and
// the message; a screenshot of each page at 1280×800 into test-results/screenshots/ (an artefact of
// every run, not tracked), or into docs/screenshots/ (what the README shows) with
// HL7_UPDATE_SCREENSHOTS=1, so a test run leaves the tree unchanged.

const shots = fileURLToPath(
  new URL(process.env.HL7_UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../test-results/screenshots/', import.meta.url),
);
const keys = { operate: `hl7k_${randomBytes(12).toString('hex')}`, read: `hl7k_${randomBytes(12).toString('hex')}` };
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Events from the FLAKY sender fail once (permanently), then succeed: something for an operator to reprocess. */
function createFlakySink(): Sink {
  const tries = new Map<number, number>();
  return {
    name: 'noop',
    deliver: async (events) =>
      events.map((event): SinkResult => {
        const attempt = (tries.get(event.id) ?? 0) + 1;
        tries.set(event.id, attempt);
        return attempt === 1 ? { ok: false, permanent: true, error: 'downstream system refused the event (test sink)' } : { ok: true };
      }),
  };
}

/** PV1 with the visit number (PV1-19) and admit time (PV1-44) the Encounter is made from. */
function pv1(visit: string, admit: string): string {
  const fields = Array.from({ length: 45 }, () => '');
  fields[0] = 'PV1';
  fields[1] = '1';
  fields[2] = 'I';
  fields[3] = 'WARD1^101^A^HOSP';
  fields[19] = `${visit}^^^HOSP`;
  fields[44] = admit;
  return fields.join('|');
}

const pid = 'PID|1||CON-1^^^HOSP^MR||QUILL^ADA^^^^^L||19750302|F|||1 Main St^^Springfield^^12345';
const messages = [
  buildMessage({
    controlId: 'CON-ADT-1',
    type: 'ADT',
    event: 'A01',
    timestamp: '20260301080000',
    body: ['EVN|A01|20260301080000', pid, pv1('V-100', '20260301080000')],
  }),
  buildMessage({
    controlId: 'CON-ORU-1',
    type: 'ORU',
    event: 'R01',
    timestamp: '20260301093000',
    body: [pid, 'OBR|1|ORD-1|FIL-1|GLU^Glucose^LN|||20260301090000', 'OBX|1|NM|2345-7^Glucose^LN||7.8|mmol/L|3.9-6.1|H|||F|||20260301090000'],
  }),
  buildMessage({ controlId: 'CON-ORU-2', type: 'ORU', event: 'R01', patientId: 'CON-2' }),
  buildMessage({ controlId: 'CON-FLAKY-1', sendingApplication: 'FLAKY', patientId: 'CON-3' }),
  buildMessage({ controlId: 'CON-FLAKY-2', sendingApplication: 'FLAKY', patientId: 'CON-4' }),
  // Refused (AR): the listener takes no ORM.
  buildMessage({ controlId: 'CON-ORM-1', type: 'ORM', event: 'O01' }),
];

/** Sends over MLLP with node-hl7-client, one ACK before the next; the ACK codes in order. */
async function sendOverMllp(port: number, texts: string[]): Promise<string[]> {
  const client = new Client({ host: '127.0.0.1' });
  let answered: (response: InboundResponse) => void = () => undefined;
  const connection = client.createConnection({ port, waitAck: true }, async (response) => answered(response));
  const codes: string[] = [];
  for (const text of texts) {
    const ack = new Promise<InboundResponse>((resolve) => (answered = resolve));
    await connection.sendMessage(new Message({ text }));
    codes.push((await ack).getMessage().get('MSA.1').toString());
  }
  await connection.close();
  return codes;
}

describe.skipIf(!browserAvailable)('the operations console in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    t = await startTestApp(
      'sqlite',
      {
        https: {
          enabled: true,
          tls: false,
          apiKeys: [
            { name: 'ops-operate', sha256: sha256(keys.operate), roles: ['read', 'operate'] },
            { name: 'ops-read', sha256: sha256(keys.read), roles: ['read'] },
          ],
        },
        processing: { pollIntervalMs: 50, routes: [{ match: { sendingApplication: ['FLAKY'] }, sinks: ['noop'] }, { match: {}, sinks: ['fhir'] }] },
      },
      { sinkFactories: { noop: () => createFlakySink() } },
    );
    base = `http://127.0.0.1:${t.httpsPort}`;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: base });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function checkAccessibility(): Promise<void> {
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
  }

  const shoot = (name: string): Promise<Buffer> => page.screenshot({ path: `${shots}${name}.png` });
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name });
  const tile = (term: string) => page.locator('.tiles > div').filter({ has: page.getByText(term, { exact: true }) }).locator('dd');

  it('shows the sign-in page, refuses a wrong key in words, and signs in with an API key', async () => {
    await page.goto('/console/');
    await expect.poll(() => heading('Sign in').isVisible()).toBe(true);
    await checkAccessibility();
    await shoot('sign-in');
    await page.getByLabel('API key').fill('hl7k_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(keys.operate);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('banner').textContent()).toContain('ops-operate');
    expect(await page.getByRole('banner').textContent()).toContain('operate');
    expect(await heading('Overview').isVisible()).toBe(true);
  });

  it('overview: the numbers move when messages arrive over MLLP', async () => {
    await expect.poll(() => tile('Received since start').textContent()).toBe('0');
    expect(await sendOverMllp(t.port, messages)).toEqual(['AA', 'AA', 'AA', 'AA', 'AA', 'AR']);
    await expect.poll(() => tile('Received since start').textContent(), { timeout: 30_000 }).toBe(String(messages.length));
    await expect.poll(() => tile('Refused since start').textContent(), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => tile('Failed events').textContent(), { timeout: 30_000 }).toBe('2');
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(4);
    await checkAccessibility();
  });

  it('messages: filtering by type shows only those rows, sorted by time either way', async () => {
    await nav('Messages').click();
    await expect.poll(() => heading('Messages').isVisible()).toBe(true);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(messages.length);
    await page.getByLabel('Message type').fill('ORU');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(2);
    const types = await page.locator('table.list tbody tr td:nth-child(2)').allTextContents();
    expect(types).toEqual(['ORU^R01', 'ORU^R01']);
    const controlIds = () => page.locator('table.list tbody tr td:nth-child(3)').allTextContents();
    expect(await controlIds()).toEqual(['CON-ORU-2', 'CON-ORU-1']);
    await page.getByRole('button', { name: /^Received/ }).click();
    await expect.poll(controlIds).toEqual(['CON-ORU-1', 'CON-ORU-2']);
    expect(await page.locator('table.list th[aria-sort]').getAttribute('aria-sort')).toBe('ascending');
    await checkAccessibility();
    await shoot('messages');
    await page.getByRole('button', { name: 'Reset to the last hour' }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(messages.length);
  });

  it('keyboard only: / to the filters, Tab to a row, Enter opens it, Tab to a segment and toggle it with Enter and Space', async () => {
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-from');
    const rowLink = (): Promise<boolean> => page.evaluate(() => document.activeElement?.closest('table.list tbody') !== null && document.activeElement?.tagName === 'A');
    for (let i = 0; i < 40 && !(await rowLink()); i += 1) await page.keyboard.press('Tab');
    expect(await rowLink()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => heading(/^Message \d+$/).isVisible()).toBe(true);
    await expect.poll(() => page.locator('.tree summary').count()).toBeGreaterThan(0);
    const onSummary = (): Promise<boolean> => page.evaluate(() => document.activeElement?.tagName === 'SUMMARY');
    for (let i = 0; i < 40 && !(await onSummary()); i += 1) await page.keyboard.press('Tab');
    expect(await onSummary()).toBe(true);
    const isOpen = (): Promise<boolean | undefined> => page.evaluate(() => (document.activeElement?.parentElement as HTMLDetailsElement | null)?.open);
    expect(await isOpen()).toBe(false);
    await page.keyboard.press('Enter');
    expect(await isOpen()).toBe(true);
    await page.keyboard.press(' ');
    expect(await isOpen()).toBe(false);
  });

  it('one message: PID-5 found by its name in the tree; raw text, the ACK, a raw download link', async () => {
    await nav('Messages').click();
    await page.getByLabel('Control id').fill('CON-ADT-1');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(1);
    await page.locator('table.list tbody a').first().click();
    await expect.poll(() => heading(/^Message \d+$/).isVisible()).toBe(true);
    await page.locator('.tree summary', { hasText: 'Patient Identification' }).click();
    const pid5 = page.locator('.tree summary, .tree .leaf').filter({ hasText: 'PID-5' }).first();
    expect(await pid5.textContent()).toMatch(/PID-5\s+Patient Name/);
    expect(await pid5.textContent()).toContain('QUILL');
    await checkAccessibility();
    await shoot('message');
    await page.getByRole('tab', { name: 'Raw' }).click();
    expect(await page.locator('pre.raw').textContent()).toContain('PID|1||CON-1^^^HOSP^MR');
    await page.getByRole('tab', { name: 'ACK' }).click();
    expect(await page.locator('pre.raw').textContent()).toMatch(/MSA\|AA\|CON-ADT-1/);
    await page.getByRole('tab', { name: 'FHIR' }).click();
    await expect.poll(() => page.getByRole('tabpanel').textContent()).toMatch(/Patient card|Encounter/);
    const download = page.getByRole('link', { name: 'Download raw' });
    expect(await download.getAttribute('download')).toMatch(/\.hl7$/);
    const raw = await page.request.get(`${base}${await download.getAttribute('href')}`);
    expect(raw.status()).toBe(200);
    expect((await raw.text()).startsWith('MSH|')).toBe(true);
  });

  it('processing: the failed events with their reason; reprocess one from its page, retry the other from the list', async () => {
    await nav('Processing').click();
    await expect.poll(() => heading('Processing').isVisible()).toBe(true);
    await expect.poll(() => page.locator('table.list tbody tr', { hasText: 'downstream system refused' }).count()).toBe(2);
    await checkAccessibility();
    await shoot('processing');

    const rows = page.locator('table.list tbody tr', { hasText: 'CON-FLAKY-1' });
    await rows.getByRole('link').click();
    await expect.poll(() => heading(/^Message \d+$/).isVisible()).toBe(true);
    expect(await page.locator('.facts').textContent()).toContain('failed');
    await page.getByRole('button', { name: 'Reprocess' }).click();
    await expect.poll(() => page.locator('.live').textContent(), { timeout: 30_000 }).toContain('Reprocessed: the message is now processed');
    expect(await page.locator('.facts').textContent()).toContain('processed');

    await nav('Processing').click();
    const failed = page.locator('section', { has: page.getByRole('heading', { name: 'Failed events' }) });
    await expect.poll(() => failed.locator('tbody tr').count()).toBe(1);
    expect(await failed.locator('tbody tr').textContent()).toContain('CON-FLAKY-2');
    await page.getByLabel(/^Select message \d+$/).check();
    await page.getByRole('button', { name: /Retry selected/ }).click();
    await expect.poll(() => page.locator('.live').textContent()).toContain('1 event queued for processing again');
    await expect.poll(() => page.getByText('No failed events.').isVisible()).toBe(true);
  });

  it('patients: search by family name and birth date, open the card: an encounter, an observation with its unit, the timeline', async () => {
    await nav('Patients').click();
    await expect.poll(() => heading('Patients').isVisible()).toBe(true);
    await page.getByLabel('Family name').fill('Quill');
    await page.getByLabel('Birth date').fill('1975-03-02');
    await page.getByRole('button', { name: 'Search patients' }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(1);
    expect(new URL(page.url()).hash).toBe('#/patients');
    await checkAccessibility();
    await shoot('patients');
    await page.locator('table.list tbody a').first().click();
    await expect.poll(() => heading('Patient card').isVisible()).toBe(true);
    const encounters = page.locator('section', { has: page.getByRole('heading', { name: 'Encounters' }) });
    await expect.poll(() => encounters.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    const results = page.locator('section', { has: page.getByRole('heading', { name: 'Results' }) });
    await expect.poll(() => results.textContent()).toContain('7.8 mmol/L');
    expect(await results.textContent()).toMatch(/3\.9.*6\.1/);
    const timeline = page.locator('section', { has: page.getByRole('heading', { name: 'Timeline' }) });
    await expect.poll(() => timeline.locator('tbody a').count()).toBe(2);
    await checkAccessibility();
    await shoot('patient');
    expect(new URL(page.url()).hash).not.toMatch(/QUILL|ADA|1975|CON-1/i);
    expect(await page.title()).not.toMatch(/QUILL|ADA/i);
  });

  it('signs out to the sign-in page; a read-only user sees no Reprocess button', async () => {
    // The overview's picture once the session's work has made a few samples.
    await nav('Overview').click();
    await expect.poll(() => tile('Failed events').textContent(), { timeout: 30_000 }).toBe('0');
    await shoot('overview');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => heading('Sign in').isVisible()).toBe(true);
    expect(await page.getByRole('status').first().textContent()).toContain('signed out');
    expect((await page.request.get(`${base}/api/console/session`)).status()).toBe(401);

    await page.getByLabel('API key').fill(keys.read);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('banner').textContent()).toContain('ops-read');
    await nav('Messages').click();
    await page.locator('table.list tbody a').first().click();
    await expect.poll(() => heading(/^Message \d+$/).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Reprocess' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => heading('Sign in').isVisible()).toBe(true);
  });

  it('refuses a state-changing request that carries the session cookie but not the CSRF token', async () => {
    await page.getByLabel('API key').fill(keys.operate);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('banner').textContent()).toContain('ops-operate');
    const session = (await (await page.request.get(`${base}/api/console/session`)).json()) as { csrfToken: string };
    const [first] = (await t.app.store!.listMessages({ controlId: 'CON-ADT-1' })) ?? [];
    const path = `${base}/api/messages/${first!.id}/reprocess`;
    expect((await page.request.post(path)).status()).toBe(403);
    expect((await page.request.post(path, { headers: { 'x-csrf-token': 'forged' } })).status()).toBe(403);
    expect((await page.request.post(path, { headers: { 'x-csrf-token': session.csrfToken } })).status()).toBe(202);
  });
});
