import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccessibility, launchBrowser, screenshot } from './support/browser.js';
import { DashboardSystem, PEOPLE, type Person } from './support/system.js';

// A real system (server from sources serving the built dashboard, a foreman, Docker) and
// Debian's Chromium, driven like a person would: by labels, roles and visible text.
let system: DashboardSystem;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // One after the other: if the second fails, afterAll still stops the first.
  system = await DashboardSystem.start();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await system?.close();
});

/**
 * A page in a fresh browser context. The functional tests keep the server's CSP on (the app
 * must work under it); the accessibility checks inject axe-core, which CSP would block.
 */
async function newPage(
  viewport = { width: 1280, height: 860 },
  options: { isCspBypassed?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({
    viewport,
    bypassCSP: options.isCspBypassed ?? false,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  return page;
}

/** Signs `who` in through the form; the page is then on the overview. */
async function signIn(who: Person, page?: Page): Promise<Page> {
  const tab = page ?? (await newPage());
  await tab.goto(`${system.url}/ui/`);
  await tab.getByLabel('User name').fill(who);
  await tab.getByLabel('Password').fill(PEOPLE[who].password);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.getByRole('heading', { name: 'Overview' }).waitFor();
  return tab;
}

/** Waits until the element's text contains `text` (the text seen last is in the failure). */
async function expectText(locator: Locator, text: string, timeoutMs = 20_000): Promise<void> {
  await expect
    .poll(async () => ((await locator.count()) > 0 ? await locator.first().innerText() : ''), {
      timeout: timeoutMs,
      interval: 100,
    })
    .toContain(text);
}

/** Waits until no element matches (a row that must not be shown, a pill that must go). */
async function expectNone(locator: Locator, timeoutMs = 20_000): Promise<void> {
  await expect.poll(() => locator.count(), { timeout: timeoutMs, interval: 100 }).toBe(0);
}

/** Marks the document, so a later check can tell that the page was never reloaded. */
const markDocument = (page: Page) =>
  page.evaluate(() => ((globalThis as unknown as { kolejkaMark: number }).kolejkaMark = 42));
const isSameDocument = async (page: Page) =>
  (await page.evaluate(() => (globalThis as unknown as { kolejkaMark?: number }).kolejkaMark)) ===
  42;

const stateHeading = (page: Page, state: string) =>
  page.getByRole('heading', { level: 1 }).locator(`.state-${state}`);

describe('the dashboard in a browser', () => {
  it('signs in with a password, refuses a wrong one, and signing out revokes the token', async () => {
    const page = await newPage();
    await page.goto(`${system.url}/ui/`);
    await page.getByLabel('User name').fill('ola');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectText(page.getByRole('alert'), 'Signing in failed');
    await expectText(page.getByRole('alert'), 'Wrong user name or password');

    await signIn('ola', page);
    await expectText(page.locator('.user'), 'ola');
    const session = JSON.parse(
      (await page.evaluate(() =>
        (
          globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }
        ).sessionStorage.getItem('kolejka.session'),
      )) ?? '{}',
    ) as { token: string };
    const me = await fetch(`${system.url}/api/v1/me`, {
      headers: { Authorization: `Bearer ${session.token}` },
    });
    expect(me.status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expectText(page.getByRole('status'), 'Signed out');
    await page.getByLabel('User name').waitFor();
    const after = await fetch(`${system.url}/api/v1/me`, {
      headers: { Authorization: `Bearer ${session.token}` },
    });
    expect(after.status).toBe(401);
  });

  it('submits a task from the form, follows it to finished without a reload, and opens its stdout', async () => {
    const page = await signIn('ola');
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Image').fill('kolejka-test/busybox:latest');
    await page.getByLabel('Command', { exact: true }).fill('sh run.sh');
    await page.getByLabel('Contents of file 1').fill('echo "hello from the dashboard"\nsleep 1\n');
    await page.getByLabel('Time limit').fill('30s');
    await page.getByLabel('Memory').fill('64M');
    await markDocument(page);
    await page.getByRole('button', { name: 'Submit' }).click();

    await page.waitForURL(/\/ui\/tasks\/[0-9a-f]{32}$/);
    const key = page.url().split('/').pop()!;
    await stateHeading(page, 'finished').waitFor({ timeout: 60_000 });
    expect(await isSameDocument(page)).toBe(true);
    expect(await page.locator('.exit-code').innerText()).toBe('0');

    await page.getByRole('button', { name: 'View console.txt' }).click();
    await expectText(page.getByLabel('Contents of console.txt'), 'hello from the dashboard');
    const task = (await system.api('ola', 'GET', `/api/v1/tasks/${key}`)) as { state: string };
    expect(task.state).toBe('finished');
    await screenshot(page, 'task', { fullPage: true });
  });

  it('cancels a running task', async () => {
    const key = await system.submit('ola', 'echo started; sleep 120');
    const page = await signIn('ola');
    await page.goto(`${system.url}/ui/tasks/${key}`);
    await stateHeading(page, 'running').waitFor({ timeout: 60_000 });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    await stateHeading(page, 'cancelled').waitFor();
    await expectText(page.locator('.reason-line'), 'cancelled by ola');
    const task = (await system.api('ola', 'GET', `/api/v1/tasks/${key}`)) as { state: string };
    expect(task.state).toBe('cancelled');
  });

  it('drains and undrains a foreman', async () => {
    const page = await signIn('ada');
    await page.getByRole('link', { name: 'Foremen' }).click();
    const card = page.locator(`[data-foreman="${system.foreman.id}"]`);
    await expectText(card, 'online');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Drain ${system.foreman.id}` }).click();
    await expectText(card.locator('.pill-warn'), 'draining');
    const listed = (await system.api('ada', 'GET', '/api/v1/foremen')) as {
      items: { id: string; draining: boolean }[];
    };
    expect(listed.items.find((item) => item.id === system.foreman.id)?.draining).toBe(true);
    await screenshot(page, 'foremen');

    await page.getByRole('button', { name: `Undrain ${system.foreman.id}` }).click();
    await expectNone(card.locator('.pill-warn'));
    const again = (await system.api('ada', 'GET', '/api/v1/foremen')) as {
      items: { id: string; draining: boolean }[];
    };
    expect(again.items.find((item) => item.id === system.foreman.id)?.draining).toBe(false);
  });

  it('pauses the queue (a new task stays queued) and resumes it (the task runs)', async () => {
    const page = await signIn('ada');
    await page.getByRole('link', { name: 'Queue & schedules' }).click();
    await page.getByRole('button', { name: 'Pause the queue' }).click();
    await expectText(page.locator('.queue-status [role=status]'), 'Paused');
    expect(
      ((await system.api('ada', 'GET', '/api/v1/queue')) as { isPaused: boolean }).isPaused,
    ).toBe(true);

    const key = await system.submit('jan', 'echo after the pause');
    await page.locator(`tr[data-key="${key}"]`).waitFor();
    await page.waitForTimeout(1500);
    expect(
      ((await system.api('jan', 'GET', `/api/v1/tasks/${key}`)) as { state: string }).state,
    ).toBe('queued');
    await screenshot(page, 'queue');

    await page.getByRole('button', { name: 'Resume the queue' }).click();
    await expectText(page.locator('.queue-status [role=status]'), 'Running');
    await expect
      .poll(
        async () =>
          ((await system.api('jan', 'GET', `/api/v1/tasks/${key}`)) as { state: string }).state,
        {
          timeout: 60_000,
        },
      )
      .toBe('finished');
  });

  it("does not show a client another user's task", async () => {
    const key = await system.submit('jan', 'echo private to jan');
    const page = await signIn('ola');
    await page.goto(`${system.url}/ui/tasks`);
    await page.locator('table.tasks').waitFor();
    await expectNone(page.locator(`tr[data-key="${key}"]`));
    await page.goto(`${system.url}/ui/tasks/${key}`);
    await expectText(page.getByRole('alert'), 'Loading the task failed');
    await expectText(page.getByRole('alert'), '404');
    await expectNone(page.getByText('private to jan'));
  });

  it('shows what the API refused and why, with the JSON path', async () => {
    const page = await signIn('ola');
    await page.goto(`${system.url}/ui/submit`);
    await page.getByLabel('Image').fill('kolejka-test/busybox:latest');
    await page.getByLabel('Command', { exact: true }).fill('true');
    await page.getByLabel('Memory').fill('lots');
    await page.getByRole('button', { name: 'Submit' }).click();
    const alert = page.getByRole('alert');
    await expectText(alert, 'Submitting the task failed');
    await expectText(alert, '/task/limits/memory');
  });

  it('lets an admin add a user, give them a token and revoke it', async () => {
    const page = await signIn('ada');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByText('New user').click();
    await page.getByLabel('User name').fill('grader');
    await page.getByRole('checkbox', { name: 'processor' }).first().check();
    await page.getByRole('button', { name: 'Create user' }).click();
    const card = page.locator('[data-user="grader"]');
    await card.waitFor();
    await card.getByRole('button', { name: 'Tokens' }).click();
    await card.getByLabel('Label of a new token').fill('ci');
    await card.getByRole('button', { name: 'Create token' }).click();
    const secret = await card.locator('.secret code').innerText();
    const me = (await (
      await fetch(`${system.url}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } })
    ).json()) as { username: string; roles: string[] };
    expect(me).toMatchObject({ username: 'grader', roles: expect.arrayContaining(['processor']) });

    page.once('dialog', (dialog) => void dialog.accept());
    await card.getByRole('button', { name: /^Revoke token / }).click();
    await expectNone(card.getByRole('button', { name: /^Revoke token / }));
    const after = await fetch(`${system.url}/api/v1/me`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(after.status).toBe(401);
  });

  it('every page reads well on a laptop and a phone, with no serious accessibility violation', async () => {
    const admin = await signIn('ada', await newPage(undefined, { isCspBypassed: true }));
    const phone = await signIn(
      'ada',
      await newPage({ width: 390, height: 844 }, { isCspBypassed: true }),
    );
    const someTask = await system.submit('ada', 'echo for the screenshot');
    const pages = [
      ['overview', '/ui/'],
      ['tasks', '/ui/tasks'],
      ['task-page', `/ui/tasks/${someTask}`],
      ['submit', '/ui/submit'],
      ['foremen-list', '/ui/foremen'],
      ['queue-and-schedules', '/ui/queue'],
      ['users', '/ui/users'],
    ] as const;
    for (const [name, route] of pages) {
      for (const [tab, suffix] of [
        [admin, ''],
        [phone, '-phone'],
      ] as const) {
        await tab.goto(`${system.url}${route}`);
        await tab.locator('main h1').first().waitFor();
        await tab.waitForLoadState('networkidle').catch(() => undefined);
        const violations = await checkAccessibility(tab);
        expect(violations, `${name}${suffix}`).toEqual([]);
        // Nothing wider than the screen on a phone (tables scroll inside their box).
        const overflow = await tab.evaluate(() => {
          const root = (
            globalThis as unknown as {
              document: { documentElement: { scrollWidth: number; clientWidth: number } };
            }
          ).document.documentElement;
          return root.scrollWidth - root.clientWidth;
        });
        expect(overflow, `${name}${suffix} is wider than the window`).toBeLessThanOrEqual(0);
        await screenshot(tab, `${name}${suffix}`);
      }
    }
    const signInPage = await newPage(undefined, { isCspBypassed: true });
    await signInPage.goto(`${system.url}/ui/`);
    expect(await checkAccessibility(signInPage)).toEqual([]);
    await screenshot(signInPage, 'sign-in');
  }, 240_000);
});
