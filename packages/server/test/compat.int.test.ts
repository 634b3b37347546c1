import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompatSession } from './support/compat-session.js';
import { rawRequest, type RawResponse } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
const DJANGO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ settings: { maxLimits: { memory: '2G', time: '10M' } } });
});
afterAll(async () => {
  await t.close();
});

async function loggedIn(username: string): Promise<CompatSession> {
  const session = new CompatSession(t.url);
  const response = await session.login(username, TEST_PASSWORD);
  expect(response.status).toBe(200);
  expect(response.json).toEqual({ status: 'OK' });
  expect(session.cookies.get('sessionid')).toMatch(/^[A-Za-z0-9]{32}$/);
  return session;
}

/** What the original client checks: 200, exactly application/json, status OK. */
function ok(response: RawResponse): Record<string, unknown> {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('application/json');
  const body = response.json as Record<string, unknown>;
  expect(body.status).toBe('OK');
  return body;
}

function fail(response: RawResponse): string {
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('application/json');
  const body = response.json as { status: string; message: string };
  expect(body.status).toBe('FAIL');
  expect(body.message).toEqual(expect.any(String));
  return body.message;
}

/** The client's blob_put: hash, try the dedup POST, upload on 404. */
async function blobPut(session: CompatSession, content: Buffer | string) {
  const hash = sha256(content);
  const dedup = await session.post(`/blob/blob/${hash}/`);
  if (dedup.status === 200) return (ok(dedup).reference as { key: string; blob: string }) ?? {};
  expect(dedup.status).toBe(404);
  const uploaded = await session.post('/blob/reference/', content);
  return ok(uploaded).reference as { key: string; blob: string; size: number };
}

function taskSpec(files: Record<string, { reference: string }>, extra: object = {}): string {
  return JSON.stringify({
    id: 'client-side-id',
    image: 'kolejka-test/busybox:latest',
    args: ['sh', 'run.sh'],
    limits: { memory: '64M', time: '10s', cpus: 1 },
    requires: [],
    environment: {},
    collect: [],
    files,
    ...extra,
  });
}

describe('sessions and CSRF (reference §7.2)', () => {
  it('hands out the csrftoken cookie and logs in with a form after GET /logout/', async () => {
    const session = new CompatSession(t.url);
    const index = await session.get('/');
    expect(index.status).toBe(200);
    expect(index.text).toBe('INDEX');
    expect(session.cookies.get('csrftoken')).toMatch(/^[A-Za-z0-9]{32}$/);
    const before = session.cookies.get('csrftoken');
    await loggedIn('alice');
    const login = await session.login('alice', TEST_PASSWORD);
    expect(login.json).toEqual({ status: 'OK' });
    // Django rotates the token at login; the jar follows it.
    expect(session.cookies.get('csrftoken')).not.toBe(before);
    const settings = ok(await session.get('/settings/'));
    expect(settings).toEqual({
      blob_hash_algorithm: 'sha256',
      limits: { memory: '2147483648b', time: '600.0s' },
      status: 'OK',
    });
    ok(await session.get('/logout/'));
    expect(session.cookies.has('sessionid')).toBe(false);
    expect((await session.get('/settings/')).status).toBe(403);
  });

  it('answers a wrong password with FAIL on HTTP 200', async () => {
    const session = new CompatSession(t.url);
    expect(fail(await session.login('alice', 'wrong'))).toContain('Wrong');
    expect(fail(await session.login('nobody', 'wrong'))).toContain('Wrong');
    expect(session.cookies.has('sessionid')).toBe(false);
  });

  it('refuses unsafe methods without the matching X-CSRFToken', async () => {
    const session = await loggedIn('alice');
    const missing = await session.send('POST', '/task/task/', '{}', { 'X-CSRFToken': '' });
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('CSRF');
    const wrong = await session.send('POST', '/task/task/', '{}', {
      'X-CSRFToken': 'x'.repeat(32),
    });
    expect(wrong.status).toBe(403);
    const anonymous = await rawRequest({ method: 'POST', url: `${t.url}/login/`, body: 'a=b' });
    expect(anonymous.status).toBe(403);
    // With the header the same request is let through (and fails on its content instead).
    expect(fail(await session.post('/task/task/', '{}'))).toContain('image');
  });

  it('checks the Referer over HTTPS (behind a trusted proxy)', async () => {
    const secure = await startTestServer({ settings: { trustProxy: true }, users: {} });
    try {
      const session = new CompatSession(secure.url);
      await session.get('/');
      const host = new URL(secure.url).host;
      const forwarded = { 'X-Forwarded-Proto': 'https' };
      const noReferer = await session.send('POST', '/login/', 'username=a&password=b', {
        ...forwarded,
        Referer: '',
      });
      expect(noReferer.status).toBe(403);
      const otherOrigin = await session.send('POST', '/login/', 'username=a&password=b', {
        ...forwarded,
        Referer: 'https://evil.example/',
      });
      expect(otherOrigin.status).toBe(403);
      const sameOrigin = await session.send('POST', '/login/', 'username=a&password=b', {
        ...forwarded,
        Referer: `https://${host}/`,
      });
      expect(fail(sameOrigin)).toContain('Wrong');
      const fresh = await new CompatSession(secure.url).send('GET', '/', undefined, forwarded);
      expect(fresh.headers['set-cookie']?.join()).toMatch(/csrftoken=\w+;.*Secure/);
    } finally {
      await secure.close();
    }
  });

  it('answers anonymous callers with an empty 403', async () => {
    const session = new CompatSession(t.url);
    for (const path of ['/settings/', '/queue/stats/', `/task/task/${'a'.repeat(32)}/`]) {
      const response = await session.get(path);
      expect(response.status).toBe(403);
      expect(response.text).toBe('');
    }
  });
});

describe('the original client and foreman, end to end', () => {
  it('puts a task, a foreman dequeues, runs and posts the result, the client gets it', async () => {
    const client = await loggedIn('alice');
    // blob_put of a new file: dedup POST 404, then upload of the raw bytes.
    const script = 'echo hello from kolejka\n';
    const reference = await blobPut(client, script);
    expect(reference).toMatchObject({ blob: sha256(script), size: script.length });
    expect(reference.key).toMatch(/^[0-9a-f]{32}$/);
    expect((reference as unknown as Record<string, string>).time_create).toMatch(DJANGO_TIME);
    // The same file again: the dedup POST now answers with a new reference.
    const again = await blobPut(client, script);
    expect(again.blob).toBe(reference.blob);
    expect(again.key).not.toBe(reference.key);
    // task_put checks each reference with HEAD first.
    expect((await client.head(`/blob/reference/${reference.key}/`)).status).toBe(200);
    const put = ok(
      await client.post('/task/task/', taskSpec({ 'run.sh': { reference: reference.key } })),
    );
    const task = put.task as { id: string; files: Record<string, unknown>; limits: unknown };
    expect(task.id).toMatch(/^[0-9a-f]{32}$/);
    expect(task.id).not.toBe('client-side-id');
    expect(task.files).toEqual({ 'run.sh': { reference: sha256(script) } });
    // The poller waits on 404 (empty body).
    const pending = await client.get(`/task/result/${task.id}/`);
    expect(pending.status).toBe(404);

    const foreman = await loggedIn('foreman');
    const dequeued = ok(
      await foreman.post(
        '/queue/dequeue/',
        JSON.stringify({
          concurency: 4,
          limits: { cpus: 4, memory: '4G', pids: 1024, time: '60s' },
          tags: ['cpu:intel'],
        }),
      ),
    );
    const tasks = dequeued.tasks as { id: string; files: Record<string, { reference: string }> }[];
    expect(tasks.map((item) => item.id)).toContain(task.id);
    // task_get downloads each file through /blob/reference/<hash>/.
    const fetched = ok(await foreman.get(`/task/task/${task.id}/`)).task as typeof task;
    expect(fetched).toEqual(task);
    const file = await foreman.get(`/blob/reference/${sha256(script)}/`);
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('application/octet-stream');
    expect(file.text).toBe(script);

    // result_put: upload result files, then the result JSON.
    const output = 'hello from kolejka\n';
    const outputReference = await blobPut(foreman, output);
    const result = {
      id: task.id,
      tags: ['cpu:intel'],
      limits: { cpus: 1, memory: '67108864b', time: '10.0s' },
      stats: { time: '0.2s', cpu: { usage: '0.01s' }, memory: { max_usage: '1M' } },
      result: 0,
      stdout: 'console.txt',
      files: { 'console.txt': { reference: outputReference.key } },
    };
    const posted = ok(await foreman.post('/task/result/', JSON.stringify(result)));
    expect(posted.result).toMatchObject({
      id: task.id,
      result: 0,
      files: { 'console.txt': { reference: sha256(output) } },
    });
    // A retry of the same result is fine; a different one fails without a 500.
    ok(await foreman.post('/task/result/', JSON.stringify(result)));
    expect(
      fail(await foreman.post('/task/result/', JSON.stringify({ ...result, result: 1 }))),
    ).toContain('different result');

    // result_get: the owner reads the result and downloads the files it names.
    const got = ok(await client.get(`/task/result/${task.id}/`)).result as typeof result;
    expect(got.files).toEqual({ 'console.txt': { reference: sha256(output) } });
    const download = await client.get(`/blob/reference/${sha256(output)}/`);
    expect(download.text).toBe(output);
    // The assignee may read the task, but not its result (as the original).
    expect((await foreman.get(`/task/result/${task.id}/`)).status).toBe(403);
    // Another client sees neither.
    const bob = await loggedIn('bob');
    expect((await bob.get(`/task/task/${task.id}/`)).status).toBe(403);
    expect((await bob.get(`/blob/reference/${sha256(output)}/`)).status).toBe(404);
    expect((await bob.get(`/blob/reference/${reference.key}/`)).status).toBe(404);
  });

  it('returns at most concurency tasks and follows requires and exclusive', async () => {
    const client = await loggedIn('bob');
    const reference = await blobPut(client, 'dequeue\n');
    const files = { 'run.sh': { reference: reference.key } };
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const put = ok(await client.post('/task/task/', taskSpec(files)));
      keys.push((put.task as { id: string }).id);
    }
    const gpuTask = ok(await client.post('/task/task/', taskSpec(files, { requires: ['gpu'] })));
    const foreman = await loggedIn('foreman');
    const body = (concurency: number, tags: string[] = []) =>
      JSON.stringify({ concurency, limits: { cpus: 8, memory: '8G' }, tags });
    const first = ok(await foreman.post('/queue/dequeue/', body(2))).tasks as { id: string }[];
    expect(first).toHaveLength(2);
    const second = ok(await foreman.post('/queue/dequeue/', body(2))).tasks as { id: string }[];
    expect(second).toHaveLength(1);
    expect([...first, ...second].map((item) => item.id).sort()).toEqual([...keys].sort());
    const none = ok(await foreman.post('/queue/dequeue/', body(2))).tasks as unknown[];
    expect(none).toHaveLength(0);
    const gpu = ok(await foreman.post('/queue/dequeue/', body(1, ['gpu']))).tasks as {
      id: string;
    }[];
    expect(gpu.map((item) => item.id)).toEqual([(gpuTask.task as { id: string }).id]);
    const stored = await t.store.getTask(keys[0] ?? '');
    expect(stored).toMatchObject({ state: 'assigned', assignee: 'foreman', attempt: 1 });
    expect(stored?.leaseExpiresAt?.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it('gives one exclusive task alone', async () => {
    const server = await startTestServer({ users: { carol: ['client'], worker: ['processor'] } });
    try {
      const client = new CompatSession(server.url);
      await client.login('carol', TEST_PASSWORD);
      const reference = await blobPut(client, 'x');
      const files = { x: { reference: reference.key } };
      ok(await client.post('/task/task/', taskSpec(files, { exclusive: true })));
      ok(await client.post('/task/task/', taskSpec(files)));
      const foreman = new CompatSession(server.url);
      await foreman.login('worker', TEST_PASSWORD);
      const request = JSON.stringify({ concurency: 5, limits: {}, tags: [] });
      const first = ok(await foreman.post('/queue/dequeue/', request)).tasks as unknown[];
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({ exclusive: true });
      const second = ok(await foreman.post('/queue/dequeue/', request)).tasks as unknown[];
      expect(second).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('replies as the original gives them', () => {
  it('uses FAIL for bad tasks, 403 for refused actions, FAIL for an unknown result', async () => {
    const client = await loggedIn('alice');
    expect(fail(await client.post('/task/task/', 'not json'))).toContain('not valid JSON');
    expect(
      fail(await client.post('/task/task/', taskSpec({ 'a.sh': { reference: 'f'.repeat(32) } }))),
    ).toContain('files["a.sh"].reference');
    const noReference = JSON.stringify({ image: 'x', args: ['a'], files: { 'a.sh': 'a.sh' } });
    expect(fail(await client.post('/task/task/', noReference))).toContain(
      'does not have a reference',
    );
    expect((await client.post(`/task/task/${'a'.repeat(32)}/`, '{}')).status).toBe(403);
    expect(fail(await client.get(`/task/result/${'a'.repeat(32)}/`))).toBe(
      `Task ${'a'.repeat(32)} is unknown`,
    );
    expect((await client.get(`/task/task/${'a'.repeat(32)}/`)).status).toBe(404);
    // Clients may not dequeue or post results.
    expect((await client.post('/queue/dequeue/', '{}')).status).toBe(403);
    expect((await client.post('/task/result/', '{}')).status).toBe(403);
    const foreman = await loggedIn('foreman');
    expect((await foreman.post('/task/task/', taskSpec({}))).status).toBe(403);
    expect(
      (await foreman.post('/task/result/', JSON.stringify({ id: 'b'.repeat(32) }))).status,
    ).toBe(403);
  });

  it('deletes tasks, results and references', async () => {
    const client = await loggedIn('alice');
    const reference = await blobPut(client, 'delete me');
    const meta = ok(await client.put(`/blob/reference/${reference.key}/`));
    expect(meta.reference).toMatchObject({ key: reference.key, blob: sha256('delete me') });
    const task = ok(await client.post('/task/task/', taskSpec({ f: { reference: reference.key } })))
      .task as { id: string };
    expect(ok(await client.put(`/task/task/${task.id}/`)).task).toMatchObject({ id: task.id });
    expect(ok(await client.delete(`/task/task/${task.id}/`))).toEqual({
      deleted: true,
      status: 'OK',
    });
    expect((await client.get(`/task/task/${task.id}/`)).status).toBe(404);
    expect(ok(await client.delete(`/blob/reference/${reference.key}/`)).deleted).toBe(true);
    expect((await client.get(`/blob/reference/${reference.key}/`)).status).toBe(404);
  });

  it('keeps blob hashes private: dedup of an unknown or foreign hash is 404', async () => {
    const alice = await loggedIn('alice');
    await blobPut(alice, 'secret of alice');
    const bob = await loggedIn('bob');
    const probe = await bob.post(`/blob/blob/${sha256('secret of alice')}/`);
    const missing = await bob.post(`/blob/blob/${sha256('nothing at all')}/`);
    expect(probe.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(probe.text).toBe(missing.text);
    // Uploading the content proves possession: then bob holds it too.
    const uploaded = await blobPut(bob, 'secret of alice');
    expect(uploaded.blob).toBe(sha256('secret of alice'));
    const blob = ok(await bob.put(`/blob/blob/${uploaded.blob}/`)).blob as Record<string, unknown>;
    expect(blob).toMatchObject({ key: uploaded.blob, size: 15 });
    expect(blob.time_create).toMatch(DJANGO_TIME);
    expect((await bob.delete(`/blob/blob/${uploaded.blob}/`)).status).toBe(403);
  });

  it('serves queue statistics', async () => {
    const manager = await loggedIn('manager');
    const stats = ok(await manager.get('/queue/stats/'));
    expect(stats).toMatchObject({
      task_count: expect.any(Number),
      task_resolved_count: expect.any(Number),
      task_unresolved_count: expect.any(Number),
      task_unassigned_count: expect.any(Number),
      task_assigned_count: expect.any(Number),
      task_assignees: expect.any(Object),
    });
    const counts = stats as Record<string, number>;
    expect((counts.task_resolved_count ?? 0) + (counts.task_unresolved_count ?? 0)).toBe(
      counts.task_count,
    );
    expect((stats.task_assignees as Record<string, number>).foreman).toBeGreaterThan(0);
  });

  it('accepts the URLs without the trailing slash too', async () => {
    const session = await loggedIn('alice');
    expect(ok(await session.get('/settings'))).toHaveProperty('blob_hash_algorithm');
  });

  it('answers an unknown URL with 404 and a wrong method with 405', async () => {
    const session = await loggedIn('alice');
    expect((await session.get('/nothing/here/')).status).toBe(404);
    const method = await session.send('PATCH', '/task/task/', '{}');
    expect(method.status).toBe(405);
  });
});
