import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/main.js';
import { rawRequest } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { UI_SECURITY_HEADERS } from '../src/ui/ui-routes.js';

const INDEX =
  '<!doctype html><title>Kolejka</title><script type="module" src="/ui/assets/app-1a2b.js"></script>';
const SCRIPT = 'console.log("dashboard");\n';

let dir: string;
let server: TestServer;
const get = (url: string, headers: Record<string, string> = {}) =>
  rawRequest({ method: 'GET', url: `${server.url}${url}`, headers });

function expectSecurityHeaders(headers: Record<string, unknown>): void {
  expect(headers['content-security-policy']).toBe(UI_SECURITY_HEADERS['Content-Security-Policy']);
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-ui-'));
  await mkdir(path.join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(path.join(dir, 'dist', 'index.html'), INDEX);
  await writeFile(path.join(dir, 'dist', 'assets', 'app-1a2b.js'), SCRIPT);
  await writeFile(path.join(dir, 'dist', 'assets', '.hidden'), 'no');
  // What a traversal would reach: a file beside dist/.
  await writeFile(path.join(dir, 'package.json'), '{"secret":true}');
  server = await startTestServer({ users: {}, uiDir: path.join(dir, 'dist') });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the dashboard at /ui/', () => {
  it('redirects /ui to /ui/ (308, query kept)', async () => {
    const reply = await get('/ui');
    expect(reply.status).toBe(308);
    expect(reply.headers.location).toBe('/ui/');
    expectSecurityHeaders(reply.headers);
    expect((await get('/ui?x=1')).headers.location).toBe('/ui/?x=1');
  });

  it('serves index.html at /ui/ and for client-side routes, never cached', async () => {
    for (const url of ['/ui/', '/ui/tasks/0123456789abcdef0123456789abcdef', '/ui/admin/users']) {
      const reply = await get(url);
      expect(reply.status, url).toBe(200);
      expect(reply.text).toBe(INDEX);
      expect(reply.headers['content-type']).toMatch(/^text\/html/);
      expect(reply.headers['cache-control']).toBe('no-cache');
      expectSecurityHeaders(reply.headers);
    }
  });

  it('serves assets with a year-long immutable cache and their content type', async () => {
    const reply = await get('/ui/assets/app-1a2b.js');
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(SCRIPT);
    expect(reply.headers['content-type']).toMatch(/javascript/);
    expect(reply.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(reply.headers);
    const head = await rawRequest({ method: 'HEAD', url: `${server.url}/ui/assets/app-1a2b.js` });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('answers 404 for missing, hidden or escaping asset paths, never another file', async () => {
    for (const url of [
      '/ui/assets/missing-0000.js',
      '/ui/assets/.hidden',
      '/ui/assets/..%2f..%2fpackage.json',
      '/ui/assets/..%2findex.html',
      '/ui/assets/%2e%2e/%2e%2e/package.json',
      '/ui/assets/..%5c..%5cpackage.json',
      '/ui/assets/',
    ]) {
      const reply = await get(url);
      expect(reply.status, url).toBe(404);
      expect(reply.text, url).not.toContain('secret');
      expect(reply.text, url).not.toContain('<title>');
    }
  });

  it('answers 503 with the build command when index.html is missing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-ui-empty-'));
    const bare = await startTestServer({ users: {}, uiDir: path.join(empty, 'dist') });
    try {
      for (const url of ['/ui/', '/ui/tasks/x']) {
        const reply = await rawRequest({ method: 'GET', url: `${bare.url}${url}` });
        expect(reply.status, url).toBe(503);
        expect(reply.headers['content-type']).toMatch(/^text\/plain/);
        expect(reply.text).toContain('pnpm --filter @kolejka/dashboard build');
        expectSecurityHeaders(reply.headers);
      }
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('is not found at all when the ui setting is off (--no-ui)', async () => {
    const off = await startTestServer({
      users: {},
      uiDir: path.join(dir, 'dist'),
      settings: { ui: false },
    });
    try {
      for (const url of ['/ui', '/ui/', '/ui/assets/app-1a2b.js']) {
        const reply = await rawRequest({ method: 'GET', url: `${off.url}${url}` });
        expect(reply.status, url).toBe(404);
        expect(reply.text).not.toContain('dashboard');
        expect(reply.headers['content-security-policy']).toBeUndefined();
      }
      const openApi = await rawRequest({ method: 'GET', url: `${off.url}/api/v1/openapi.json` });
      expect(Object.keys((openApi.json as { paths: object }).paths)).not.toContain('/ui');
    } finally {
      await off.close();
    }
  });
});

describe('kolejka-server serve --no-ui', () => {
  it('starts a server whose /ui is not found', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'kolejka-test-ui-serve-'));
    const stop = new AbortController();
    const stdout = new PassThrough();
    let out = '';
    const listening = new Promise<string>((resolve) => {
      stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /\{"listening":"([^"]+)"\}/.exec(out);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
    });
    const exited = runCli(['serve', '--no-ui', '--port', '0', '--home', home], {
      stdout,
      stderr: new PassThrough(),
      stdin: Readable.from([]),
      env: { KOLEJKA_LOG_LEVEL: 'error' },
      shutdown: stop.signal,
    });
    try {
      const url = await listening;
      expect((await rawRequest({ method: 'GET', url: `${url}/ui/` })).status).toBe(404);
      expect((await rawRequest({ method: 'GET', url: `${url}/healthz` })).status).toBe(200);
    } finally {
      stop.abort();
      expect(await exited).toBe(0);
      await rm(home, { recursive: true, force: true });
    }
  });
});
