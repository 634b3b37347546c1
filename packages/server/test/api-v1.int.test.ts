import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

let t: TestServer;
const token = (name: string): string => {
  const user = t.users[name];
  if (user === undefined) throw new Error(`no test user ${name}`);
  return user.token;
};

beforeAll(async () => {
  t = await startTestServer({
    settings: {
      defaultLimits: { time: '30s' },
      maxLimits: { memory: '1G', cpus: 4 },
      imagePatterns: ['kolejka-test/.*'],
    },
  });
});
afterAll(async () => {
  await t.close();
});

async function upload(user: string, content: string): Promise<string> {
  const hash = sha256(content);
  const response = await api(t.url, `/api/v1/blobs/${hash}`, {
    method: 'PUT',
    token: token(user),
    body: content,
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  expect([200, 201]).toContain(response.status);
  return hash;
}

function taskJson(files: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    image: 'kolejka-test/busybox:latest',
    args: ['sh', 'run.sh'],
    limits: { memory: '64M' },
    files,
    ...extra,
  };
}

async function submit(user: string, task: unknown, priority?: number) {
  return api(t.url, '/api/v1/tasks', {
    token: token(user),
    json: { task, ...(priority === undefined ? {} : { priority }) },
  });
}

describe('tokens and identity', () => {
  it('trades a password for a token that works, and refuses a wrong password', async () => {
    const created = await api(t.url, '/api/v1/tokens', {
      json: { username: 'alice', password: TEST_PASSWORD, label: 'laptop' },
    });
    expect(created.status).toBe(201);
    const body = created.json as { token: string; id: string; roles: string[]; label: string };
    expect(body.token).toMatch(/^kolejka_/);
    expect(body).toMatchObject({ username: 'alice', roles: ['client'], label: 'laptop' });

    const me = await api(t.url, '/api/v1/me', { token: body.token });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ username: 'alice', roles: ['client'], tokenId: body.id });

    const listed = await api(t.url, '/api/v1/tokens', { token: body.token });
    expect((listed.json as { items: { id: string }[] }).items.map((item) => item.id)).toContain(
      body.id,
    );
    expect(listed.text).not.toContain(body.token);

    const revoked = await api(t.url, `/api/v1/tokens/${body.id}`, {
      method: 'DELETE',
      token: body.token,
    });
    expect(revoked.status).toBe(204);
    const after = await api(t.url, '/api/v1/me', { token: body.token });
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toContain('Bearer');

    const wrong = await api(t.url, '/api/v1/tokens', {
      json: { username: 'alice', password: 'nope' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ error: { code: 'KOLEJKA_UNAUTHORIZED' } });
    const nobody = await api(t.url, '/api/v1/tokens', {
      json: { username: 'nobody', password: 'nope' },
    });
    expect(nobody.status).toBe(401);
  });

  it('answers anonymous and bad-token calls with 401 and the error body', async () => {
    const anonymous = await api(t.url, '/api/v1/tasks');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['content-type']).toBe('application/json');
    expect(anonymous.json).toMatchObject({
      error: { code: 'KOLEJKA_UNAUTHORIZED', message: expect.stringContaining('Bearer') },
    });
    for (const header of ['Bearer nonsense', 'Basic abc', 'Bearer', 'bearer  ']) {
      const response = await api(t.url, '/api/v1/me', { headers: { Authorization: header } });
      expect(response.status).toBe(401);
    }
  });

  it('shows the settings with limits in canonical form', async () => {
    const response = await api(t.url, '/api/v1/settings', { token: token('alice') });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      blobHashAlgorithm: 'sha256',
      maxLimits: { cpus: 4, memory: '1073741824b' },
      defaultLimits: { time: '30.0s' },
      imagePatterns: ['kolejka-test/.*'],
    });
  });
});

describe('blobs', () => {
  it('stores by hash with verification, deduplicates, and serves ranges', async () => {
    const content = 'hello, blob world\n';
    const hash = sha256(content);
    const first = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'PUT',
      token: token('alice'),
      body: content,
    });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ hash, size: content.length });
    const again = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'PUT',
      token: token('bob'),
      body: content,
    });
    expect(again.status).toBe(200);

    const head = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'HEAD',
      token: token('alice'),
    });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(content.length));
    expect(head.body.length).toBe(0);

    const whole = await api(t.url, `/api/v1/blobs/${hash}`, { token: token('alice') });
    expect(whole.text).toBe(content);
    expect(whole.headers.etag).toBe(`"${hash}"`);
    const part = await api(t.url, `/api/v1/blobs/${hash}`, {
      token: token('alice'),
      headers: { Range: 'bytes=7-10' },
    });
    expect(part.status).toBe(206);
    expect(part.text).toBe('blob');
    expect(part.headers['content-range']).toBe(`bytes 7-10/${content.length}`);
    const suffix = await api(t.url, `/api/v1/blobs/${hash}`, {
      token: token('alice'),
      headers: { Range: 'bytes=-6' },
    });
    expect(suffix.text).toBe('world\n');
    const beyond = await api(t.url, `/api/v1/blobs/${hash}`, {
      token: token('alice'),
      headers: { Range: 'bytes=999-' },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${content.length}`);
  });

  it('refuses content that does not hash to the named hash, leaving nothing', async () => {
    const hash = sha256('the real thing');
    const response = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'PUT',
      token: token('alice'),
      body: 'something else',
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: { code: 'KOLEJKA_VALIDATION' } });
    const head = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'HEAD',
      token: token('root'),
    });
    expect(head.status).toBe(404);
  });

  it('computes the hash on POST', async () => {
    const response = await api(t.url, '/api/v1/blobs', { token: token('alice'), body: 'posted' });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ hash: sha256('posted'), size: 6 });
  });

  it("gives someone else's blob the same 404 as a missing one", async () => {
    const hash = await upload('alice', 'only for alice');
    const missing = sha256('never uploaded');
    const forBob = await api(t.url, `/api/v1/blobs/${hash}`, { token: token('bob') });
    const forNobody = await api(t.url, `/api/v1/blobs/${missing}`, { token: token('bob') });
    expect(forBob.status).toBe(404);
    expect(forNobody.status).toBe(404);
    expect(forBob.json).toEqual({
      error: {
        code: 'KOLEJKA_NOT_FOUND',
        message: `Blob ${hash} does not exist`,
        details: { hash },
      },
    });
    const foreman = await api(t.url, `/api/v1/blobs/${hash}`, { token: token('foreman') });
    expect(foreman.text).toBe('only for alice');
  });

  it('deletes own references; managers delete everyone’s', async () => {
    const hash = await upload('alice', 'to be deleted');
    await upload('bob', 'to be deleted');
    const byAlice = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'DELETE',
      token: token('alice'),
    });
    expect(byAlice.status).toBe(204);
    expect((await api(t.url, `/api/v1/blobs/${hash}`, { token: token('alice') })).status).toBe(404);
    expect((await api(t.url, `/api/v1/blobs/${hash}`, { token: token('bob') })).status).toBe(200);
    const byManager = await api(t.url, `/api/v1/blobs/${hash}`, {
      method: 'DELETE',
      token: token('manager'),
    });
    expect(byManager.status).toBe(204);
    expect((await api(t.url, `/api/v1/blobs/${hash}`, { token: token('bob') })).status).toBe(404);
    expect(await t.store.getBlob(hash)).toBeUndefined();
  });
});

describe('tasks', () => {
  it('submits a task with hashes, issuing the key and applying server limits', async () => {
    const hash = await upload('alice', 'echo hello\n');
    const response = await submit(
      'alice',
      taskJson(
        { 'run.sh': { path: 'local/run.sh', reference: hash } },
        { id: 'mine', limits: { memory: '4G', cpus: 1 } },
      ),
      5,
    );
    expect(response.status).toBe(201);
    const task = response.json as { key: string; spec: Record<string, unknown> };
    expect(task.key).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.location).toBe(`/api/v1/tasks/${task.key}`);
    expect(task).toMatchObject({ owner: 'alice', state: 'queued', priority: 5, attempt: 0 });
    expect(task.spec).toMatchObject({
      id: task.key,
      files: { 'run.sh': { reference: hash } },
      limits: { cpus: 1, memory: '1073741824b', time: '30.0s' },
    });
    const read = await api(t.url, `/api/v1/tasks/${task.key}`, { token: token('alice') });
    expect(read.json).toEqual(task);
  });

  it('accepts a reference key of the caller in place of a hash', async () => {
    const hash = await upload('alice', 'by reference key');
    const reference = await t.store.ensureReference('alice', hash, new Date(), 'f'.repeat(32));
    const response = await submit('alice', taskJson({ 'run.sh': { reference: reference.key } }));
    expect(response.status).toBe(201);
    expect((response.json as { spec: { files: unknown } }).spec.files).toEqual({
      'run.sh': { reference: hash },
    });
    const forBob = await submit('bob', taskJson({ 'run.sh': { reference: reference.key } }));
    expect(forBob.status).toBe(400);
  });

  it('reports every problem at once with JSON paths', async () => {
    const response = await submit('alice', {
      image: 'docker.io/evil:latest',
      args: [],
      limits: { memory: '64Mi' },
      files: { 'a.sh': { path: 'a.sh' }, 'b.sh': { reference: sha256('nobody has this') } },
      callback_url: 'http://example.com/hook',
    });
    expect(response.status).toBe(400);
    const error = (response.json as { error: { details: { issues: { path: string }[] } } }).error;
    const paths = error.details.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['/task/limits/memory']));
    const again = await submit('alice', {
      image: 'docker.io/evil:latest',
      args: [],
      files: { 'a.sh': { path: 'a.sh' }, 'b.sh': { reference: sha256('nobody has this') } },
      callback_url: 'http://example.com/hook',
    });
    const issues = (again.json as { error: { details: { issues: { path: string }[] } } }).error
      .details.issues;
    expect(issues.map((issue) => issue.path).sort()).toEqual(
      [
        '/task/args',
        '/task/callback_url',
        '/task/files/a.sh/reference',
        '/task/files/b.sh/reference',
        '/task/image',
      ].sort(),
    );
    expect((again.json as { error: { message: string } }).error.message).toContain(
      'is not accepted by the server',
    );
  });

  it('lists with filters and stable cursor pagination; clients see only their own', async () => {
    const hash = await upload('bob', 'listing');
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await submit('bob', taskJson({ 'run.sh': { reference: hash } }));
      keys.push((response.json as { key: string }).key);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api(
        t.url,
        `/api/v1/tasks?limit=2${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        { token: token('bob') },
      );
      expect(page.status).toBe(200);
      const body = page.json as { items: { key: string; owner: string }[]; nextCursor?: string };
      expect(body.items.length).toBeLessThanOrEqual(2);
      for (const item of body.items) expect(item.owner).toBe('bob');
      seen.push(...body.items.map((item) => item.key));
      cursor = body.nextCursor;
    } while (cursor !== undefined);
    // Newest first; tasks created within one millisecond may come in either order.
    expect([...seen].sort()).toEqual([...keys].sort());
    const created = await Promise.all(
      seen.map(async (key) => (await t.store.getTask(key))?.createdAt.getTime() ?? 0),
    );
    expect(created).toEqual([...created].sort((a, b) => b - a));

    const asInspector = await api(t.url, '/api/v1/tasks?owner=bob&state=queued', {
      token: token('inspector'),
    });
    expect((asInspector.json as { items: unknown[] }).items).toHaveLength(5);
    const future = await api(t.url, `/api/v1/tasks?createdAfter=2999-01-01T00:00:00Z`, {
      token: token('bob'),
    });
    expect((future.json as { items: unknown[] }).items).toHaveLength(0);
    const forbidden = await api(t.url, '/api/v1/tasks?owner=alice', { token: token('bob') });
    expect(forbidden.status).toBe(403);
    const badState = await api(t.url, '/api/v1/tasks?state=sleeping&limit=0', {
      token: token('bob'),
    });
    expect(badState.status).toBe(400);
    expect(
      (
        badState.json as { error: { details: { issues: { path: string }[] } } }
      ).error.details.issues.map((issue) => issue.path),
    ).toEqual(['/query/state', '/query/limit']);
    const badCursor = await api(t.url, '/api/v1/tasks?cursor=garbage', { token: token('bob') });
    expect(badCursor.status).toBe(400);
  });

  it('cancels and deletes; a second cancel conflicts', async () => {
    const hash = await upload('alice', 'cancel me');
    const created = await submit('alice', taskJson({ 'run.sh': { reference: hash } }));
    const key = (created.json as { key: string }).key;
    const cancelled = await api(t.url, `/api/v1/tasks/${key}/cancel`, {
      method: 'POST',
      token: token('alice'),
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ state: 'cancelled', reason: 'cancelled by alice' });
    const again = await api(t.url, `/api/v1/tasks/${key}/cancel`, {
      method: 'POST',
      token: token('alice'),
    });
    expect(again.status).toBe(409);
    const result = await api(t.url, `/api/v1/tasks/${key}/result`, { token: token('alice') });
    expect(result.status).toBe(404);
    expect(result.json).toMatchObject({ error: { details: { state: 'cancelled' } } });
    const deleted = await api(t.url, `/api/v1/tasks/${key}`, {
      method: 'DELETE',
      token: token('alice'),
    });
    expect(deleted.status).toBe(204);
    expect((await api(t.url, `/api/v1/tasks/${key}`, { token: token('alice') })).status).toBe(404);
  });

  it('answers unknown routes and methods clearly', async () => {
    const missing = await api(t.url, '/api/v1/nothing', { token: token('alice') });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: 'KOLEJKA_NOT_FOUND' } });
    const method = await api(t.url, '/api/v1/tasks', { method: 'PATCH', token: token('alice') });
    expect(method.status).toBe(405);
    expect(method.headers.allow).toBe('GET, HEAD, POST');
  });
});

describe('results', () => {
  it('runs the whole lifecycle: pending 404, fenced post, idempotent resend, owner reads files', async () => {
    const input = await upload('alice', 'echo result\n');
    const created = await submit('alice', taskJson({ 'run.sh': { reference: input } }));
    const key = (created.json as { key: string }).key;

    const pending = await api(t.url, `/api/v1/tasks/${key}/result`, { token: token('alice') });
    expect(pending.status).toBe(404);
    expect(pending.json).toMatchObject({
      error: { code: 'KOLEJKA_NOT_FOUND', details: { state: 'queued', taskKey: key } },
    });

    const claimed = await t.store.claimTask(key, {
      assignee: 'foreman',
      leaseExpiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
    });
    expect(claimed?.attempt).toBe(1);
    const output = await upload('foreman', 'result\n');
    const result = {
      id: 'ignored',
      result: 0,
      stdout: 'out.txt',
      files: { 'out.txt': { reference: output } },
      limits: { memory: '64M' },
      stats: { time: '0.5s' },
    };
    const stale = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('foreman'),
      json: { attempt: 2, result },
    });
    expect(stale.status).toBe(409);

    const stored = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('foreman'),
      json: { attempt: 1, result },
    });
    expect(stored.status).toBe(201);
    expect(stored.json).toMatchObject({
      taskKey: key,
      attempt: 1,
      poster: 'foreman',
      spec: { id: key, result: 0, files: { 'out.txt': { reference: output } } },
    });
    const resent = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('foreman'),
      json: { attempt: 1, result },
    });
    expect(resent.status).toBe(200);
    const different = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('foreman'),
      json: { attempt: 1, result: { ...result, result: 1 } },
    });
    expect(different.status).toBe(409);

    const read = await api(t.url, `/api/v1/tasks/${key}/result`, { token: token('alice') });
    expect(read.status).toBe(200);
    expect(
      (await api(t.url, `/api/v1/tasks/${key}`, { token: token('alice') })).json,
    ).toMatchObject({ state: 'finished' });
    const file = await api(t.url, `/api/v1/blobs/${output}`, { token: token('alice') });
    expect(file.text).toBe('result\n');
    expect((await api(t.url, `/api/v1/blobs/${output}`, { token: token('bob') })).status).toBe(404);

    const removed = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'DELETE',
      token: token('alice'),
    });
    expect(removed.status).toBe(204);
    expect(
      (await api(t.url, `/api/v1/tasks/${key}`, { token: token('alice') })).json,
    ).toMatchObject({ state: 'queued' });
  });

  it('refuses result files the poster cannot read, and posts by non-assignees', async () => {
    const input = await upload('alice', 'echo x\n');
    const created = await submit('alice', taskJson({ 'run.sh': { reference: input } }));
    const key = (created.json as { key: string }).key;
    await t.store.claimTask(key, {
      assignee: 'foreman',
      leaseExpiresAt: new Date(Date.now() + 60_000),
      now: new Date(),
    });
    const other = await t.addUser('foreman2', ['processor']);
    const byOther = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: other.token,
      json: { attempt: 1, result: {} },
    });
    expect(byOther.status).toBe(403);
    const badFile = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('foreman'),
      json: { attempt: 1, result: { files: { 'x.txt': { reference: sha256('no such blob') } } } },
    });
    expect(badFile.status).toBe(400);
    expect(badFile.json).toMatchObject({
      error: { details: { issues: [{ path: '/result/files/x.txt/reference' }] } },
    });
    const byClient = await api(t.url, `/api/v1/tasks/${key}/result`, {
      method: 'PUT',
      token: token('alice'),
      json: { attempt: 1, result: {} },
    });
    expect(byClient.status).toBe(403);
  });
});

describe('queue statistics, health and metrics', () => {
  it('counts tasks by state', async () => {
    const response = await api(t.url, '/api/v1/queue/stats', { token: token('inspector') });
    expect(response.status).toBe(200);
    const body = response.json as { tasks: Record<string, number>; total: number };
    expect(body.total).toBe(Object.values(body.tasks).reduce((a, b) => a + b, 0));
    expect(body.tasks.queued).toBeGreaterThan(0);
    expect(response.json).toHaveProperty('assignees');
    const forClient = await api(t.url, '/api/v1/queue/stats', { token: token('alice') });
    expect(forClient.json).not.toHaveProperty('assignees');
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    const health = await api(t.url, '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const metrics = await api(t.url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.text).toMatch(/^kolejka_tasks\{state="queued"\} [1-9]/m);
    expect(metrics.text).toMatch(/^kolejka_blobs [1-9]/m);
    expect(metrics.text).toMatch(/^kolejka_blob_bytes [1-9]/m);
    expect(metrics.text).toMatch(
      /^kolejka_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/tasks\/:key",status="200"\} [1-9]/m,
    );
    expect(metrics.text).toContain('le="+Inf"');
  });
});
