import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClinicianRegistry } from '../../src/clinicians/index.js';
import { systemClock } from '../../src/domain/index.js';
import type { AccountRole } from '../../src/store/sqlite/index.js';
import { axeCheck, chromiumMissing, launchBrowser, pageProblems, screenshot } from '../helpers/browser.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startGateway, tempDir, TEST_NHS, type TestGateway } from '../helpers/gateway.js';
import { connectDevice } from '../helpers/mqtt.js';
import { pdfText } from '../helpers/pdf-text.js';
import { unlimitedProfiles } from '../helpers/process.js';

const defer = useCleanups();

/** One patient per triage tier, most urgent first [src/care/triage.ts]. */
const PATIENT = { critical: TEST_NHS, warning: '4010232137', news2: '9004567909', stale: '9008024705', quiet: '9008888904' } as const;
const SOMEONE_ELSES = '9012716071';
const ACCOUNTS: readonly [string, string, AccountRole][] = [
  ['dr-ahmed', 'Dr Ahmed', 'clinician'],
  ['dr-brown', 'Dr Brown', 'clinician'],
  ['dr-other', 'Dr Other', 'clinician'],
  ['ops-1', 'Olu Operator', 'operator'],
  ['admin-1', 'Ada Admin', 'admin'],
];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const spaced = (nhs: string) => `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;

type Chart = { metrics: string[]; data: (number | null)[][] };
type Globals = {
  vgCharts?: Record<string, Chart>;
  vgLive?: { readyState: number };
  vgMarker?: string;
  document: { activeElement: { matches(selector: string): boolean } | null; querySelector(s: string): { getAttribute(a: string): string | null } | null };
};

/** A device of `profile` for `patient`, over MQTT like the real thing: publishes its readings (batched) and leaves. */
async function publish(gw: TestGateway, profile: string, deviceId: string, patient: string, readings: readonly { takenAt: string; values: Record<string, number> }[]): Promise<void> {
  const device = await connectDevice(gw.url, await gw.addDevice(profile, { id: deviceId, patient }));
  await device.publishAsync(`devices/${deviceId}/readings`, JSON.stringify(readings), { qos: 1 });
  await device.endAsync();
}

/**
 * The ward: five patients, one per triage tier, and five accounts. Readings are taken relative to
 * now, so the pages say the same on any date.
 */
async function seed(gw: TestGateway): Promise<Map<string, string>> {
  const registry = new ClinicianRegistry(gw.store.clinicians, systemClock);
  const added = await Promise.all(ACCOUNTS.map(([id, name, role]) => registry.add(id, name, undefined, role)));
  const secrets = new Map(added.map((a) => [a.clinicianId, a.secret]));
  for (const nhs of Object.values(PATIENT)) await registry.assign('dr-ahmed', nhs);
  await registry.assign('dr-brown', PATIENT.critical);
  await registry.assign('dr-other', SOMEONE_ELSES);
  const now = Date.now();
  const at = (agoMs: number) => new Date(now - agoMs).toISOString();
  // Six days of home readings about twice a day, all at least 150/95 (stage 2 [NICE NG136]),
  // then a severe one (systolic ≥180: critical 'severe-hypertension').
  const week = Array.from({ length: 14 }, (_, i) => ({ takenAt: at((13 - i) * 11 * HOUR + 30 * MINUTE), values: { systolic: 150 + (i % 5), diastolic: 95 + (i % 3) } }));
  await Promise.all([
    publish(gw, 'bp-upper-arm', 'cuff-critical', PATIENT.critical, [...week, { takenAt: at(10 * MINUTE), values: { systolic: 186, diastolic: 100 } }]),
    // Systolic ≤90: warning 'hypotension'.
    publish(gw, 'bp-upper-arm', 'cuff-warning', PATIENT.warning, [{ takenAt: at(20 * MINUTE), values: { systolic: 88, diastolic: 60 } }]),
    // Systolic 101–110 scores 1 [NEWS2 chart 1]: a response, but no alert.
    publish(gw, 'bp-upper-arm', 'cuff-news2', PATIENT.news2, [{ takenAt: at(15 * MINUTE), values: { systolic: 105, diastolic: 70 } }]),
    // A wearable silent for 3 hours (its profile expects data within 60 minutes).
    publish(gw, 'wrist-wearable', 'watch-stale', PATIENT.stale, [{ takenAt: at(3 * HOUR), values: { heartRate: 72 } }]),
  ]);
  await gw.alerts.settled();
  return secrets;
}

interface Opened {
  readonly page: Page;
  /** What went wrong in the page's scripts and assets since last taken. */
  readonly problems: { take(): string[] };
}

// Chromium on a busy two-core machine, with the rest of the suite beside it, is slow to start and to draw.
describe.skipIf(chromiumMissing)('the web app in Chromium', { timeout: 60_000 }, () => {
  let tmp: { dir: string };
  let dataDir: string;
  let gw: TestGateway;
  let browser: Browser;
  let base: string;
  let secrets: Map<string, string>;
  /** Dr Ahmed, signed in once and shared by the tests that need no fresh browser. */
  let ahmed: Opened;

  beforeAll(async () => {
    tmp = tempDir('vg-browser-');
    dataDir = join(tmp.dir, 'data');
    // The browser starts while the gateway starts and the devices send their readings.
    const started = await Promise.allSettled([
      launchBrowser().then((b) => (browser = b)),
      (async () => {
        // The silence check would turn the stale patient's silence into a warning alert (another
        // tier): it stays out of the way here; the row's own staleness is what is shown.
        gw = await startGateway(dataDir, { profilesDir: unlimitedProfiles(tmp.dir), 'alerts.silenceCheckMs': 3_600_000 });
        base = `http://127.0.0.1:${gw.webPort}`;
        secrets = await seed(gw);
      })(),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    ahmed = await signIn(await openPage(), 'dr-ahmed');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    // The screenshots and the PDF stay for people to look at; the gateway's data goes.
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => void ahmed?.problems.take());

  /** A page in a browser context of its own (its own cookies). */
  async function openPage(): Promise<Opened> {
    const context = await browser.newContext({ baseURL: base });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    return { page, problems: pageProblems(page) };
  }

  /** {@link openPage}, closed after the test. */
  async function newPage(): Promise<Opened> {
    const opened = await openPage();
    defer(() => opened.page.context().close());
    return opened;
  }

  /**
   * Signs in as the local form does (its POST, sent from the page's browser context, so the session
   * cookie lands there) without drawing the form: the tests of the form itself draw it.
   */
  async function signIn(opened: Opened, account: string): Promise<Opened> {
    const answer = await opened.page.request.post('/auth/sign-in', { form: { account, secret: secrets.get(account) ?? '', next: '/' }, maxRedirects: 0 });
    expect(answer.status()).toBe(303);
    return opened;
  }

  const signedIn = async (account: string): Promise<Opened> => signIn(await newPage(), account);

  const openAlert = (nhs: string, ruleId: string) => {
    const alert = gw.store.alerts.list({ patientNhs: nhs, open: true }).find((a) => a.ruleId === ruleId);
    if (alert === undefined) throw new Error(`no open ${ruleId} alert for ${nhs}`);
    return alert;
  };

  /** Presses Tab until `selector` has focus, as someone on a keyboard would; fails after `max` presses. */
  async function tabTo(page: Page, selector: string, max = 40): Promise<void> {
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => (globalThis as unknown as Globals).document.activeElement?.matches(s) ?? false, selector)) return;
    }
    throw new Error(`${selector} was not reached in ${max} presses of Tab`);
  }

  const overflowsSideways = (page: Page) => page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });

  it('signs a clinician in with the local form (a wrong password first) and lists their patients most urgent first', async () => {
    const { page, problems } = await newPage();
    await page.goto('/');
    await page.waitForURL(/\/auth\/sign-in\?next=%2F$/);
    await axeCheck(page, 'sign-in');
    await screenshot(page, tmp.dir, 'sign-in');

    await page.getByLabel('Account ID').fill('dr-ahmed');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('The account ID or password is not right');
    await axeCheck(page, 'sign-in, refused');
    await screenshot(page, tmp.dir, 'sign-in-refused');

    await page.getByLabel('Password').fill(secrets.get('dr-ahmed') ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('[data-account]').getAttribute('data-account')).toBe('dr-ahmed');

    const rows = await page.locator('tr[data-patient]').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-patient'), tr.getAttribute('data-tier')]));
    expect(rows).toEqual([
      [PATIENT.critical, '0'],
      [PATIENT.warning, '1'],
      [PATIENT.news2, '2'],
      [PATIENT.stale, '3'],
      [PATIENT.quiet, '4'],
    ]);
    await axeCheck(page, 'triage');
    await screenshot(page, tmp.dir, 'triage');
    expect(problems.take()).toEqual([]);
  });

  it('opens a patient from the list and charts exactly the readings stored', async () => {
    const { page, problems } = ahmed;
    await page.goto('/');
    await page.getByRole('link', { name: spaced(PATIENT.critical) }).click();
    await page.waitForURL(`${base}/patients/${PATIENT.critical}`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe(`NHS number ${spaced(PATIENT.critical)}`);

    const chart = page.locator('.app-chart[data-chart="bp"]');
    await page.locator('.app-chart[data-chart="bp"][data-points]').waitFor();
    const systolic = gw.store.readings.query({ patientNhs: PATIENT.critical, metric: 'systolic' });
    const diastolic = gw.store.readings.query({ patientNhs: PATIENT.critical, metric: 'diastolic' });
    expect(systolic).toHaveLength(15);
    expect(await chart.getAttribute('data-points')).toBe('15');
    const drawn = await page.evaluate(() => (globalThis as unknown as Globals).vgCharts?.['bp']);
    // uPlot's columns: times in seconds, then each metric's values at those times.
    expect(drawn).toEqual({
      metrics: ['systolic', 'diastolic'],
      data: [systolic.map((r) => r.takenAtMs / 1000), systolic.map((r) => r.value), diastolic.map((r) => r.value)],
    });
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    expect(await chart.getAttribute('aria-label')).toMatch(/^15 points; latest Systolic 186, Diastolic 100 mmHg at /);

    await axeCheck(page, 'patient');
    await screenshot(page, tmp.dir, 'patient');
    expect(problems.take()).toEqual([]);
  });

  it("acknowledges an alert with a note, and a colleague's open page shows it live", async () => {
    const alert = openAlert(PATIENT.critical, 'severe-hypertension');
    const colleague = await signedIn('dr-brown');
    await colleague.page.goto(`/patients/${PATIENT.critical}`);
    await colleague.page.waitForFunction(() => (globalThis as unknown as Globals).vgLive?.readyState === 1);
    // Set on the page, so it is seen to update in place rather than be loaded again.
    await colleague.page.evaluate(() => void ((globalThis as unknown as Globals).vgMarker = 'not reloaded'));
    const watched = colleague.page.locator(`[data-alert="${alert.id}"]`);
    expect(await watched.getAttribute('data-state')).toBe('open');

    const { page, problems } = ahmed;
    await page.goto(`/patients/${PATIENT.critical}`);
    const item = page.locator(`[data-alert="${alert.id}"]`);
    await item.getByText('Act on this alert').click();
    await page.locator(`#ack-note-${alert.id}`).fill('Phoned: repeat reading in an hour');
    await item.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator(`[data-alert="${alert.id}"][data-state="acknowledged"]`).waitFor();
    expect(new URL(page.url()).hash).toBe(`#alert-${alert.id}`);

    await colleague.page.locator(`[data-alert="${alert.id}"][data-state="acknowledged"]`).waitFor();
    expect(await watched.innerText()).toContain('acknowledged by dr-ahmed: Phoned: repeat reading in an hour');
    expect(await colleague.page.evaluate(() => (globalThis as unknown as Globals).vgMarker)).toBe('not reloaded');
    await screenshot(colleague.page, tmp.dir, 'patient-acknowledged-live');

    expect(gw.store.alerts.get(alert.id)?.state).toBe('acknowledged');
    expect(gw.store.alerts.events(alert.id).at(-1)).toMatchObject({ state: 'acknowledged', by: 'dr-ahmed', note: 'Phoned: repeat reading in an hour' });
    expect([...problems.take(), ...colleague.problems.take()]).toEqual([]);
  });

  it("refuses a clinician another clinician's patient by URL, and audits the refusal for admins to see", async () => {
    const { page } = await signedIn('dr-other');
    const refused = await page.goto(`/patients/${PATIENT.critical}`);
    expect(refused?.status()).toBe(403);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('You do not have access to this');
    expect(await page.locator('main').innerText()).not.toMatch(/mmHg|\b186\b/);
    await axeCheck(page, 'refused');
    await screenshot(page, tmp.dir, 'patient-refused');
    expect(gw.store.audit.list({ actor: 'dr-other' })).toContainEqual(expect.objectContaining({ action: 'patient.view', patientNhs: PATIENT.critical, outcome: 'refused' }));

    const admin = await signedIn('admin-1');
    await admin.page.goto('/audit?actor=dr-other');
    await admin.page.locator('tr[data-audit="patient.view"][data-outcome="refused"]').waitFor();
    await axeCheck(admin.page, 'audit');
    await screenshot(admin.page, tmp.dir, 'audit');

    // The admin's accounts page: add an account (its password shown once), accessible too.
    await admin.page.goto('/accounts');
    await admin.page.locator('summary', { hasText: 'Add an account' }).click();
    await admin.page.fill('#account-id', 'dr-new');
    await admin.page.fill('#account-name', 'Dr New');
    await admin.page.click('button:has-text("Add account")');
    await expect.poll(() => admin.page.locator('[data-secret]').innerText()).toMatch(/^[\w-]{43}$/);
    expect(gw.store.clinicians.get('dr-new')?.role).toBe('clinician');
    await axeCheck(admin.page, 'accounts');
    await screenshot(admin.page, tmp.dir, 'accounts');
    expect(admin.problems.take()).toEqual([]);
  });

  it('refuses a form posted from another origin, and a script of its own without the token', async () => {
    const { page } = ahmed;
    const target = `${base}/patients/${PATIENT.quiet}/review`;
    // Another app on this host: same site, other origin, so the SameSite=Strict cookie goes with its
    // requests and only the origin check and the token stand in the way.
    const elsewhere = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!DOCTYPE html><html lang="en"><title>You have won</title><form id="f" method="post" action="${target}"><input type="hidden" name="_csrf" value="guessed"></form><script>document.getElementById('f').submit()</script></html>`);
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => elsewhere.close(resolve)));
    const posted = page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
    expect((await posted).status()).toBe(403);
    await page.waitForURL(target);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe('The form was not sent from this app');
    await screenshot(page, tmp.dir, 'csrf-refused');
    expect(gw.store.audit.lastReview(PATIENT.quiet)).toBeUndefined();

    await page.goto(`/patients/${PATIENT.quiet}`);
    const post = (url: string, token: boolean) =>
      page.evaluate(async ([u, withToken]) => {
        const csrf = (globalThis as unknown as Globals).document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
        return (await fetch(u, { method: 'POST', headers: withToken ? { 'x-csrf-token': csrf } : {} })).status;
      }, [url, token] as const);
    expect(await post(`/patients/${PATIENT.quiet}/review`, false)).toBe(403);
    expect(await post(`/api/v1/patients/${PATIENT.quiet}/review`, false)).toBe(403);
    expect(gw.store.audit.lastReview(PATIENT.quiet)).toBeUndefined();
    // The same request with the session's token goes through: the token is what was missing.
    expect(await post(`/api/v1/patients/${PATIENT.quiet}/review`, true)).toBe(200);
    expect(gw.store.audit.lastReview(PATIENT.quiet)).toMatchObject({ by: 'dr-ahmed' });
  });

  it('shows an operator devices and outputs but no clinical values, and refuses them patients', async () => {
    const { page, problems } = await signedIn('ops-1');
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/operations');
    for (const device of ['cuff-critical', 'cuff-warning', 'cuff-news2', 'watch-stale']) expect(await page.locator(`tr[data-device="${device}"]`).count()).toBe(1);
    expect(await page.locator('tr[data-output]').count()).toBeGreaterThan(0);
    const text = await page.locator('main').innerText();
    expect(text).not.toMatch(/mmHg|bpm|Systolic|Diastolic|Heart rate|\b186\b/);
    for (const nhs of Object.values(PATIENT)) {
      expect(text).not.toContain(nhs);
      expect(text).not.toContain(spaced(nhs));
    }
    await axeCheck(page, 'operations');
    await screenshot(page, tmp.dir, 'operations');

    expect((await page.goto(`/patients/${PATIENT.critical}`))?.status()).toBe(403);
    const api = page.context().request;
    expect((await api.get(`${base}/api/v1/patients`)).status()).toBe(403);
    expect((await api.get(`${base}/api/v1/patients/${PATIENT.critical}/readings?metric=systolic&from=0&to=${Date.now()}`)).status()).toBe(403);
    expect(problems.take()).toEqual([]);
  });

  it('prints the report to PDF with the NHS number and the home blood pressure average', async () => {
    const { page, problems } = ahmed;
    await page.goto(`/patients/${PATIENT.critical}/report`);
    const average = await page.locator('[data-home-bp]').innerText();
    expect(average).toMatch(/^Average 15\d\/9\d mmHg over \d days \(\d+ readings\): stage 2 hypertension \(NICE NG136\)\.$/);
    await axeCheck(page, 'report');
    await screenshot(page, tmp.dir, 'report');

    await page.emulateMedia({ media: 'print' });
    try {
      const printed = await page.locator('body').innerText();
      expect(printed).toContain(`NHS number ${spaced(PATIENT.critical)}`);
      expect(printed).toContain(average);
      expect(printed).not.toContain('Sign out');
    } finally {
      await page.emulateMedia({ media: null });
    }

    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const file = join(tmp.dir, 'report.pdf');
    writeFileSync(file, pdf);
    console.log(`report PDF: ${file}`);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(pdf).replace(/\s+/g, ' ');
    expect(text).toContain(`NHS number ${spaced(PATIENT.critical)}`);
    expect(text).toContain(average);
    expect(text).toContain('Severe hypertension');
    expect(problems.take()).toEqual([]);
  });

  it('signs in and acknowledges an alert with the keyboard alone', async () => {
    const alert = openAlert(PATIENT.warning, 'hypotension');
    const { page, problems } = await newPage();
    await page.goto('/auth/sign-in');
    // The skip link comes first [WCAG 2.4.1].
    await tabTo(page, 'a.nhsuk-skip-link', 1);
    await tabTo(page, '#account');
    await page.keyboard.type('dr-ahmed');
    await tabTo(page, '#secret', 1);
    await page.keyboard.type(secrets.get('dr-ahmed') ?? '');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/`);

    await tabTo(page, `a[href="/patients/${PATIENT.warning}"]`);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/patients/${PATIENT.warning}`);
    await tabTo(page, `[data-alert="${alert.id}"] summary`);
    await page.keyboard.press('Enter');
    await tabTo(page, `#ack-note-${alert.id}`, 1);
    await page.keyboard.type('Seen: fluids advised');
    await tabTo(page, `[data-alert="${alert.id}"] button[data-action="acknowledge"]`, 1);
    await page.keyboard.press('Enter');
    await page.locator(`[data-alert="${alert.id}"][data-state="acknowledged"]`).waitFor();
    expect(gw.store.alerts.events(alert.id).at(-1)).toMatchObject({ state: 'acknowledged', by: 'dr-ahmed', note: 'Seen: fluids advised' });
    expect(problems.take()).toEqual([]);
  });

  it('fits a tablet (768×1024) without sideways scrolling, with no serious or critical axe findings', async () => {
    const { page, problems } = ahmed;
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      await page.goto('/');
      await page.locator('tr[data-patient]').first().waitFor();
      expect(await overflowsSideways(page)).toBe(false);
      await axeCheck(page, 'tablet triage');
      await screenshot(page, tmp.dir, 'tablet-triage');
      await page.goto(`/patients/${PATIENT.critical}`);
      await page.locator('.app-chart[data-chart="bp"][data-points]').waitFor();
      expect(await overflowsSideways(page)).toBe(false);
      await axeCheck(page, 'tablet patient');
      await screenshot(page, tmp.dir, 'tablet-patient');
      await page.goto(`/patients/${PATIENT.critical}/report`);
      expect(await overflowsSideways(page)).toBe(false);
      await axeCheck(page, 'tablet report');
      await screenshot(page, tmp.dir, 'tablet-report');
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
    expect(problems.take()).toEqual([]);
  });
});
