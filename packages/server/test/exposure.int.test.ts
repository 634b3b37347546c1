import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../src/http/loopback.js';
import { CallbackDispatcher } from '../src/results/callback-dispatcher.js';
import { resolveServerSettings } from '../src/server-settings.js';
import type { ResultRecord, TaskRecord } from '../src/store/store.js';
import { captureLogger } from './support/capture-logger.js';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** GET from a chosen local address (any 127/8 address reaches the server on Linux). */
function getFrom(url: string, localAddress: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        localAddress,
        agent: false,
        headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('/metrics restriction', () => {
  it('answers only the metrics token when one is set', async () => {
    t = await startTestServer({ settings: { metricsToken: 'scrape-secret' } });
    expect((await api(t.url, '/metrics')).status).toBe(403);
    expect((await api(t.url, '/metrics', { token: 'wrong' })).status).toBe(403);
    // A user's API token is not the metrics token.
    expect((await api(t.url, '/metrics', { token: t.users.root?.token ?? '' })).status).toBe(403);
    const allowed = await api(t.url, '/metrics', { token: 'scrape-secret' });
    expect(allowed.status).toBe(200);
    expect(allowed.text).toMatch(/^kolejka_tasks\{state="queued"\} \d+/m);
  });

  it('answers only the listed addresses when some are set', async () => {
    t = await startTestServer({ settings: { metricsAddresses: ['127.0.0.5'] } });
    expect(await getFrom(`${t.url}/metrics`, '127.0.0.5')).toBe(200);
    expect(await getFrom(`${t.url}/metrics`, '127.0.0.6')).toBe(403);
    // The health check stays open for load balancers.
    expect(await getFrom(`${t.url}/healthz`, '127.0.0.6')).toBe(200);
  });
});

describe('loopback callbacks', () => {
  const task = (callbackUrl: string) => ({
    task: { image: 'kolejka-test/busybox:latest', args: ['true'], callback_url: callbackUrl },
  });

  it('refuses a task whose callback goes to loopback unless the server allows it', async () => {
    t = await startTestServer({ settings: { callbackHosts: ['127.0.0.1', 'localhost'] } });
    const token = t.users.alice?.token ?? '';
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook']) {
      const refused = await api(t.url, '/api/v1/tasks', { token, json: task(url) });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain('is on loopback');
    }
    await t.close();
    t = await startTestServer({
      settings: { callbackHosts: ['127.0.0.1'], callbackLoopback: true },
    });
    const accepted = await api(t.url, '/api/v1/tasks', {
      token: t.users.alice?.token ?? '',
      json: task('http://127.0.0.1:9/hook'),
    });
    expect(accepted.status).toBe(201);
  });

  // Any name the system resolver maps to 127.0.0.0/8 other than localhost (caught by its
  // name alone): here, an alias from /etc/hosts.
  const alias = loopbackAlias();
  it.skipIf(alias === undefined)(
    `does not call a listed host name that resolves to loopback (${alias ?? 'no alias in /etc/hosts'})`,
    async () => {
      const host = alias ?? '';
      expect(isLoopbackHost(host)).toBe(false);
      const { logger, lines } = captureLogger();
      const settings = resolveServerSettings({ callbackHosts: [host], callbackAttempts: 1 });
      const dispatcher = new CallbackDispatcher({ settings, logger });
      dispatcher.schedule(
        { key: 'k', spec: { callback_url: `http://${host}:9/hook` } } as unknown as TaskRecord,
        { spec: {} } as unknown as ResultRecord,
      );
      await dispatcher.idle();
      const messages = lines.map((line) => line.message);
      expect(messages).toContain('callback skipped: host on loopback');
      expect(messages).not.toContain('callback failed');
    },
  );
});

function loopbackAlias(): string | undefined {
  const hosts = existsSync('/etc/hosts') ? readFileSync('/etc/hosts', 'utf8') : '';
  for (const line of hosts.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (address?.startsWith('127.') !== true) continue;
    const name = names.find((n) => /^[a-z][a-z0-9-]*$/i.test(n) && !isLoopbackHost(n));
    if (name !== undefined) return name;
  }
  return undefined;
}
