import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDaemonLogger } from '@kolejka/cli-kit/logger';
import { captureLogger as capture } from './support/capture-logger.js';
import { CompatSession } from './support/compat-session.js';
import { api } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD } from './support/test-server.js';

describe('request logging', () => {
  it('writes one debug line per request, without tokens, cookies or query strings', async () => {
    const { logger, lines } = capture();
    const t = await startTestServer({ logger, users: { alice: ['client'] } });
    try {
      const token = t.users.alice?.token ?? '';
      await api(t.url, '/api/v1/tasks?cursor=secret-cursor', { token });
      const session = new CompatSession(t.url);
      await session.login('alice', TEST_PASSWORD);
      const requests = lines.filter((line) => line.message === 'request');
      expect(requests.map((line) => [line.meta.method, line.meta.route, line.meta.status])).toEqual(
        [
          ['GET', '/api/v1/tasks', 400],
          ['GET', '/logout/', 200],
          ['POST', '/login/', 200],
        ],
      );
      expect(requests[0]?.meta.durationMs).toEqual(expect.any(Number));
      const everything = JSON.stringify(lines);
      expect(everything).not.toContain(token);
      expect(everything).not.toContain('secret-cursor');
      expect(everything).not.toContain(TEST_PASSWORD);
      expect(everything).not.toContain(session.cookies.get('sessionid') ?? 'no session');
    } finally {
      await t.close();
    }
  });
});

describe('the daemon logger', () => {
  it('writes JSON lines off a terminal and readable lines on one', () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const json = createDaemonLogger({ level: 'info', json: true, stream });
    json.child({ component: 'test' }).info('hello', { task: 'abc' });
    json.debug('hidden');
    const line = JSON.parse(text.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', message: 'hello', task: 'abc', component: 'test' });
    expect(line.timestamp).toEqual(expect.any(String));
    text = '';
    createDaemonLogger({ level: 'debug', json: false, stream }).debug('shown', { n: 1 });
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*debug.* shown \{"n":1\}\n$/);
  });
});

describe('leases of original foremen', () => {
  it('return an unreported task to the queue when the compat lease ends', async () => {
    const t = await startTestServer({
      settings: { compatLeaseMs: 100, leaseSweepIntervalMs: 20 },
      users: { alice: ['client'], foreman: ['processor'] },
    });
    try {
      const created = await api(t.url, '/api/v1/tasks', {
        token: t.users.alice?.token,
        json: { task: { image: 'kolejka-test/busybox:latest', args: ['true'] } },
      });
      const key = (created.json as { key: string }).key;
      const foreman = new CompatSession(t.url);
      await foreman.login('foreman', TEST_PASSWORD);
      const first = await foreman.post('/queue/dequeue/', '{"concurency": 1}');
      expect((first.json as { tasks: { id: string }[] }).tasks.map((task) => task.id)).toEqual([
        key,
      ]);
      for (let i = 0; i < 100 && (await t.store.getTask(key))?.state !== 'queued'; i++)
        await sleep(20);
      expect(await t.store.getTask(key)).toMatchObject({
        state: 'queued',
        attempt: 1,
        lostCount: 1,
      });
      // The late result of the lost attempt is refused (no longer the assignee, as the
      // original answers: 403); the next claim gets attempt 2.
      const late = await foreman.post('/task/result/', JSON.stringify({ id: key, result: 0 }));
      expect(late.status).toBe(403);
      const second = await foreman.post('/queue/dequeue/', '{"concurency": 1}');
      expect((second.json as { tasks: unknown[] }).tasks).toHaveLength(1);
      expect(await t.store.getTask(key)).toMatchObject({ state: 'assigned', attempt: 2 });
    } finally {
      await t.close();
    }
  });
});
