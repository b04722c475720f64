import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { realClockEnv } from './real-clock.js';

const require = createRequire(import.meta.url);

const BINARY = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));

/**
 * True when Chromium is missing and the browser tests must be skipped. Under CI (CI=true) a
 * missing browser is not skipped: launching it fails the run.
 */
export const chromiumMissing = BINARY === undefined && process.env['CI'] !== 'true';
if (chromiumMissing) {
  process.stderr.write('\n*** SKIPPING browser tests: Chromium is not installed (Debian package: chromium) ***\n\n');
}

/**
 * Debian's Chromium, headless, driven by playwright-core (no browser download). It reaches this
 * machine only — 127.0.0.1, and `localhost` for a test that needs a second site (the sign-on
 * provider): whatever a page asks of the internet (the NHS.UK frontend's web fonts) fails at once,
 * so no test needs the network or waits on it.
 */
export async function launchBrowser(): Promise<Browser> {
  if (BINARY === undefined) throw new Error('Chromium is not installed (Debian package: chromium)');
  return chromium.launch({
    executablePath: BINARY,
    args: [
      // No user namespaces in containers; /dev/shm is often small there.
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    ],
    env: realClockEnv(), // on the real clock: see realClockEnv
    timeout: 30_000,
  });
}

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly helpUrl: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
}

/** axe-core's minified build: the same rules as its `source` (the unminified build), half the parsing. */
let axeSource: string | undefined;

/** WCAG 2.0, 2.1 and 2.2, levels A and AA (axe-core's tags). */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/**
 * Runs axe-core on the page as it is now (WCAG 2.x A and AA) and fails on any serious or critical
 * violation, listing each with the elements it found. axe is evaluated through the DevTools
 * protocol, so the page's Content Security Policy stays in force.
 */
export async function axeCheck(page: Page, what = page.url()): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async (tags) => {
    const g = globalThis as unknown as { document: unknown; axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } };
    return (await g.axe.run(g.document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })).violations;
  }, WCAG_TAGS);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length === 0) return;
  const lines = bad.flatMap((v) => [
    `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
    ...v.nodes.slice(0, 10).map((n) => `      ${n.target.join(' ')}${n.failureSummary === undefined ? '' : `\n        ${n.failureSummary.replace(/\n/g, '\n        ')}`}`),
  ]);
  const message = `axe-core found ${bad.length} serious or critical accessibility violation(s) on ${what}:\n${lines.join('\n')}`;
  process.stderr.write(`\n${message}\n\n`);
  throw new Error(message);
}

/** Saves a full-page PNG under `dir`/screenshots and prints where. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  const folder = join(dir, 'screenshots');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

/**
 * Collects what goes wrong in a page: uncaught script errors, console errors (a Content Security
 * Policy refusal is one) and the app's own assets failing to load. Refused API calls and pages are
 * left out: tests expect some. `take()` returns and clears them.
 */
export function pageProblems(page: Page): { take(): string[] } {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (r.status() >= 400 && (url.pathname.startsWith('/assets/') || url.pathname === '/favicon.ico')) problems.push(`asset: ${r.status()} ${url.pathname}`);
  });
  return { take: () => problems.splice(0) };
}
