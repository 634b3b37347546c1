import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AxeResults, ImpactValue, Result } from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Browser-test plumbing for the dashboard: Debian's Chromium (installed by
 * scripts/prepare-chromium.sh, which `pnpm test` runs first) driven by playwright-core, an
 * axe-core accessibility check, and screenshots for the README.
 */

/** The browser the tests drive; KOLEJKA_TEST_CHROMIUM points them (and the script) elsewhere. */
export const chromiumPath = (): string => process.env.KOLEJKA_TEST_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Where screenshots land: `.kolejka/screenshots` at the repository root (ignored by git, so a
 * test run leaves the tree clean); KOLEJKA_SCREENSHOT_DIR=docs/screenshots refreshes the
 * README's pictures.
 */
const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const screenshotDir = path.resolve(
  repoRoot,
  process.env.KOLEJKA_SCREENSHOT_DIR ?? path.join('.kolejka', 'screenshots'),
);

/**
 * Launches a headless Chromium. The switches keep it from reaching out on its own
 * (background networking, component updates, sync, QUIC): the machines are offline and the
 * tests must only see the local servers they start. --no-sandbox: Chromium refuses to start
 * its sandbox as root, which the test machines and containers run as.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-gpu',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** An accessibility violation worth failing a test for. */
export interface AccessibilityViolation {
  /** axe's rule id, e.g. "label". */
  readonly id: string;
  readonly impact: 'serious' | 'critical';
  readonly help: string;
  readonly helpUrl: string;
  /** CSS selectors of the offending elements (shadow-DOM and frame paths joined by " >> "). */
  readonly targets: readonly string[];
  /** One line for a test's failure message: `label: Form elements must have labels (#name)`. */
  readonly summary: string;
}

const failing = new Set<ImpactValue>(['serious', 'critical']);

const requireHere = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;
// axe.min.js is read once per test file; resolved through node_modules like an import.
const loadAxeSource = (): Promise<string> =>
  (axeSource ??= readFile(requireHere.resolve('axe-core/axe.min.js'), 'utf8'));

const selectorText = (target: Result['nodes'][number]['target']): string =>
  target.map((part) => (typeof part === 'string' ? part : part.join(' >> '))).join(' >> ');

/**
 * Runs axe-core on the page as it is now and returns the serious and critical violations
 * (minor and moderate ones are advice, not failures). Injects axe's source on first use in
 * a document; a navigation drops it and the next call injects it again.
 */
export async function checkAccessibility(page: Page): Promise<AccessibilityViolation[]> {
  const injected = await page.evaluate(() => 'axe' in globalThis);
  if (!injected) await page.addScriptTag({ content: await loadAxeSource() });
  // Runs in the page: only what is serialisable comes back, hence the plain object types.
  const results = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: object): Promise<AxeResults> } }).axe.run({
      resultTypes: ['violations'],
    }),
  );
  return results.violations
    .filter((violation) => failing.has(violation.impact ?? null))
    .map((violation) => {
      const targets = violation.nodes.map((node) => selectorText(node.target));
      return {
        id: violation.id,
        impact: violation.impact as 'serious' | 'critical',
        help: violation.help,
        helpUrl: violation.helpUrl,
        targets,
        summary: `${violation.id}: ${violation.help} (${targets.join(', ')})`,
      };
    });
}

/**
 * Saves a PNG of the page's viewport as <screenshotDir>/<name>.png and returns its path. `dir` overrides the folder (tests of this helper).
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { dir?: string; fullPage?: boolean } = {},
): Promise<string> {
  // The name becomes a file name in the repository: no paths, no surprises in the README.
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new Error(`screenshot name ${JSON.stringify(name)} is not kebab-case`);
  }
  const dir = options.dir ?? screenshotDir;
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false, type: 'png' });
  return file;
}
