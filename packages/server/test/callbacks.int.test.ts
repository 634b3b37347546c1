import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogMeta, Logger } from '@kolejka/spec';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

interface Received {
  headers: IncomingMessage['headers'];
  url: string;
  body: unknown;
}

/** A receiver that answers each request with the next status of `plan` (then 200). */
function receiver(
  plan: number[],
  delayMs = 0,
): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({
        headers: req.headers,
        url: req.url ?? '',
        body: JSON.parse(body) as unknown,
      });
      setTimeout(() => {
        res.statusCode = plan.shift() ?? 200;
        res.end('ok');
      }, delayMs);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
      }),
    ),
  );
}

const lines: { level: string; message: string; meta: LogMeta }[] = [];
const logger: Logger = {
  error: (message, meta = {}) => lines.push({ level: 'error', message, meta }),
  warn: (message, meta = {}) => lines.push({ level: 'warn', message, meta }),
  info: (message, meta = {}) => lines.push({ level: 'info', message, meta }),
  debug: () => {},
  child: () => logger,
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({
    logger,
    settings: {
      callbackHosts: ['127.0.0.1'],
      callbackLoopback: true,
      callbackAttempts: 3,
      callbackBackoffMs: 20,
    },
  });
});
afterAll(async () => {
  await t.close();
});

async function finishTaskWithCallback(callbackUrl: string): Promise<{ key: string; ms: number }> {
  const created = await api(t.url, '/api/v1/tasks', {
    token: t.users.alice?.token,
    json: {
      task: { image: 'kolejka-test/busybox:latest', args: ['true'], callback_url: callbackUrl },
    },
  });
  expect(created.status).toBe(201);
  const key = (created.json as { key: string }).key;
  await t.store.claimTask(key, {
    assignee: 'foreman',
    leaseExpiresAt: new Date(Date.now() + 60_000),
    now: new Date(),
  });
  const started = Date.now();
  const posted = await api(t.url, `/api/v1/tasks/${key}/result`, {
    method: 'PUT',
    token: t.users.foreman?.token,
    json: { attempt: 1, result: { result: 0 } },
  });
  expect(posted.status).toBe(201);
  return { key, ms: Date.now() - started };
}

describe('callbacks', () => {
  it('posts {task, result} after the result is stored, outside the request, retrying', async () => {
    const target = await receiver([500], 300);
    try {
      lines.length = 0;
      const { key, ms } = await finishTaskWithCallback(`${target.url}/hook?secret=s3cret`);
      expect(ms).toBeLessThan(250);
      await t.server.callbacks.idle();
      expect(target.received).toHaveLength(2);
      const [first] = target.received;
      expect(first?.url).toBe('/hook?secret=s3cret');
      expect(first?.headers['content-type']).toBe('application/json');
      expect(first?.headers['user-agent']).toBe('kolejka-server');
      expect(first?.body).toMatchObject({
        task: { id: key, callback_url: expect.any(String) },
        result: { id: key, result: 0 },
      });
      const attempts = lines.filter((line) => line.message.startsWith('callback'));
      expect(attempts.map((line) => [line.message, line.meta.attempt])).toEqual([
        ['callback refused', 1],
        ['callback delivered', 2],
      ]);
      expect(JSON.stringify(attempts)).not.toContain('s3cret');
    } finally {
      target.server.close();
    }
  });

  it('gives up after the last attempt, with one line per attempt', async () => {
    const target = await receiver([503, 503, 503, 503]);
    try {
      lines.length = 0;
      await finishTaskWithCallback(`${target.url}/hook`);
      await t.server.callbacks.idle();
      expect(target.received).toHaveLength(3);
      expect(
        lines.filter((line) => line.message.startsWith('callback')).map((line) => line.message),
      ).toEqual(['callback refused', 'callback refused', 'callback refused', 'callback gave up']);
    } finally {
      target.server.close();
    }
  });

  it('survives a receiver that is not there', async () => {
    const target = await receiver([]);
    const url = target.url;
    await new Promise((resolve) => target.server.close(resolve));
    lines.length = 0;
    await finishTaskWithCallback(`${url}/gone`);
    await t.server.callbacks.idle();
    expect(lines.filter((line) => line.message === 'callback failed')).toHaveLength(3);
    expect((await api(t.url, '/healthz')).status).toBe(200);
  });
});
