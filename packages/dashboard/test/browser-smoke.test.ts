import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccessibility, launchBrowser, screenshot } from './support/browser.js';

// The plumbing the dashboard's browser tests stand on: the browser starts, a click reaches
// the page, and the accessibility check can fail as well as pass.

const pages: Record<string, string> = {
  '/clicks': `<!doctype html><html lang="en"><head><title>Clicks</title></head><body><main>
    <h1>Clicks</h1><button id="go" type="button">Count</button><p id="count">0</p>
    <script>document.getElementById('go').addEventListener('click', () => {
      const count = document.getElementById('count');
      count.textContent = String(Number(count.textContent) + 1);
    });</script></main></body></html>`,
  '/unlabeled': `<!doctype html><html lang="en"><head><title>Unlabeled</title></head><body><main>
    <h1>Sign up</h1><input id="name" type="text"></main></body></html>`,
  '/labeled': `<!doctype html><html lang="en"><head><title>Labeled</title></head><body><main>
    <h1>Sign up</h1><label for="name">Name</label><input id="name" type="text">
    <button type="submit">Send</button></main></body></html>`,
};

let server: Server;
let base: string;
let browser: Browser;
let page: Page;
let shotDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const html = pages[req.url ?? ''];
    res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  page = await browser.newPage();
  shotDir = await mkdtemp(path.join(tmpdir(), 'kolejka-shots-'));
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (shotDir) await rm(shotDir, { recursive: true, force: true });
});

describe('browser plumbing', () => {
  it('loads a page from a local server and a click changes it', async () => {
    await page.goto(`${base}/clicks`);
    await expect(page.title()).resolves.toBe('Clicks');
    await page.getByRole('button', { name: 'Count' }).click();
    await page.getByRole('button', { name: 'Count' }).click();
    await expect(page.locator('#count').textContent()).resolves.toBe('2');
  });

  it('checkAccessibility finds an unlabeled input', async () => {
    await page.goto(`${base}/unlabeled`);
    const violations = await checkAccessibility(page);
    const label = violations.find((violation) => violation.id === 'label');
    expect(label, violations.map((v) => v.summary).join('\n')).toBeDefined();
    expect(label?.targets).toEqual(['#name']);
    expect(label?.summary).toMatch(/^label: .+ \(#name\)$/);
    expect(['serious', 'critical']).toContain(label?.impact);
  });

  it('checkAccessibility finds nothing serious on a well-labeled page (also after a navigation)', async () => {
    await page.goto(`${base}/labeled`);
    const violations = await checkAccessibility(page);
    expect(violations.map((violation) => violation.summary)).toEqual([]);
  });

  it('screenshot writes a PNG and refuses names that are not kebab-case', async () => {
    await page.goto(`${base}/labeled`);
    const file = await screenshot(page, 'smoke-labeled', { dir: shotDir });
    expect(file).toBe(path.join(shotDir, 'smoke-labeled.png'));
    const png = await readFile(file);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    await expect(screenshot(page, '../escape', { dir: shotDir })).rejects.toThrow(/kebab-case/);
  });
});
