import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompatSession } from './support/compat-session.js';
import { api, type RawResponse } from './support/http-client.js';
import { startTestServer, TEST_PASSWORD, type TestServer } from './support/test-server.js';

/**
 * Every role against every endpoint, including someone else's task, result and blob,
 * anonymous callers and bad credentials. Each cell gets fresh fixtures.
 */
const WHO = [
  'anonymous',
  'badToken',
  'alice',
  'bob',
  'foreman',
  'inspector',
  'manager',
  'root',
] as const;
type Who = (typeof WHO)[number];
type Expected = Record<Who, number>;

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');

let t: TestServer;
const sessions = new Map<Who, CompatSession>();

beforeAll(async () => {
  t = await startTestServer();
  for (const who of WHO) {
    const session = new CompatSession(t.url);
    if (who === 'anonymous') await session.get('/');
    else if (who === 'badToken') {
      await session.get('/');
      session.cookies.set('sessionid', 'x'.repeat(32));
    } else {
      const login = await session.login(who, TEST_PASSWORD);
      expect(login.json).toEqual({ status: 'OK' });
    }
    sessions.set(who, session);
  }
});
afterAll(async () => {
  await t.close();
});

interface Fixture {
  hash: string;
  referenceKey: string;
  taskKey: string;
  tokenId: string;
}

/** A blob of alice's and a task of alice's, in the state the case needs. */
async function fixture(state: 'queued' | 'assigned' | 'finished'): Promise<Fixture> {
  const content = `content ${randomUUID()}`;
  const stored = await t.blobs.put(Readable.from([Buffer.from(content)]));
  const now = new Date();
  await t.store.putBlob({ hash: stored.hash, size: stored.size, createdAt: now });
  const reference = await t.store.ensureReference(
    'alice',
    stored.hash,
    now,
    randomUUID().replaceAll('-', ''),
  );
  const created = await api(t.url, '/api/v1/tasks', {
    token: t.users.alice?.token,
    json: {
      task: {
        image: 'kolejka-test/busybox:latest',
        args: ['true'],
        files: { 'a.txt': { reference: stored.hash } },
      },
    },
  });
  expect(created.status).toBe(201);
  const taskKey = (created.json as { key: string }).key;
  if (state !== 'queued') {
    await t.store.claimTask(taskKey, {
      assignee: 'foreman',
      leaseExpiresAt: new Date(Date.now() + 600_000),
      now,
    });
  }
  if (state === 'finished') {
    const outcome = await t.store.finishTask(
      taskKey,
      1,
      {
        taskKey,
        attempt: 1,
        poster: 'foreman',
        createdAt: now,
        spec: { id: taskKey, tags: [], limits: {}, stats: {}, files: {}, result: 0 } as never,
      },
      now,
    );
    expect(outcome.outcome).toBe('stored');
  }
  // A spare token of alice's, for the case that revokes one.
  const tokenId = randomUUID().replaceAll('-', '').slice(0, 16);
  await t.store.createToken({
    id: tokenId,
    username: 'alice',
    tokenHash: sha256(randomUUID()),
    createdAt: now,
  });
  return { hash: stored.hash, referenceKey: reference.key, taskKey, tokenId };
}

function v1(who: Who, method: string, path: string, json?: unknown, body?: string) {
  const token =
    who === 'anonymous' ? undefined : who === 'badToken' ? 'kolejka_nonsense' : t.users[who]?.token;
  return api(t.url, `/api/v1${path}`, {
    method,
    ...(token === undefined ? {} : { token }),
    ...(json === undefined ? {} : { json }),
    ...(body === undefined ? {} : { body }),
  });
}

function compat(who: Who, method: string, path: string, body?: string): Promise<RawResponse> {
  const session = sessions.get(who);
  if (session === undefined) throw new Error(who);
  return session.send(method, path, body);
}

const everyone = (status: number, anonymous: number): Expected => ({
  anonymous,
  badToken: anonymous,
  alice: status,
  bob: status,
  foreman: status,
  inspector: status,
  manager: status,
  root: status,
});
const row = (...statuses: number[]): Expected =>
  Object.fromEntries(WHO.map((who, index) => [who, statuses[index] ?? 0])) as Expected;

interface Case {
  name: string;
  state?: 'queued' | 'assigned' | 'finished';
  call: (who: Who, f: Fixture) => Promise<RawResponse>;
  expected: Expected;
}

const resultBody = (f: Fixture) => ({ id: f.taskKey, result: 0 });
const taskBody = (f: Fixture) => ({
  image: 'kolejka-test/busybox:latest',
  args: ['true'],
  files: { 'a.txt': { reference: f.hash } },
});
const unique = (): string => `upload ${randomUUID()}`;

//                                         anon bad  alice bob  forem insp  mngr  root
const CASES: Case[] = [
  { name: 'v1 GET /me', call: (w) => v1(w, 'GET', '/me'), expected: everyone(200, 401) },
  {
    name: 'v1 GET /settings',
    call: (w) => v1(w, 'GET', '/settings'),
    expected: everyone(200, 401),
  },
  { name: 'v1 GET /tokens', call: (w) => v1(w, 'GET', '/tokens'), expected: everyone(200, 401) },
  {
    name: "v1 DELETE alice's token",
    call: (w, f) => v1(w, 'DELETE', `/tokens/${f.tokenId}`),
    expected: row(401, 401, 204, 404, 404, 404, 404, 204),
  },
  {
    name: 'v1 GET /queue/stats',
    call: (w) => v1(w, 'GET', '/queue/stats'),
    expected: everyone(200, 401),
  },
  {
    name: 'v1 POST /blobs',
    call: (w) => v1(w, 'POST', '/blobs', undefined, unique()),
    expected: row(401, 401, 201, 201, 201, 403, 403, 201),
  },
  {
    name: 'v1 PUT /blobs/:hash',
    call: (w) => {
      const content = unique();
      return v1(w, 'PUT', `/blobs/${sha256(content)}`, undefined, content);
    },
    expected: row(401, 401, 201, 201, 201, 403, 403, 201),
  },
  {
    name: "v1 GET alice's blob",
    call: (w, f) => v1(w, 'GET', `/blobs/${f.hash}`),
    expected: row(401, 401, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "v1 HEAD alice's blob",
    call: (w, f) => v1(w, 'HEAD', `/blobs/${f.hash}`),
    expected: row(401, 401, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "v1 DELETE alice's blob",
    call: (w, f) => v1(w, 'DELETE', `/blobs/${f.hash}`),
    expected: row(401, 401, 204, 404, 404, 404, 204, 204),
  },
  {
    name: 'v1 POST /tasks',
    call: (w, f) => v1(w, 'POST', '/tasks', { task: { ...taskBody(f), files: {} } }),
    expected: row(401, 401, 201, 201, 403, 403, 403, 201),
  },
  {
    name: "v1 POST /tasks naming alice's blob",
    call: (w, f) => v1(w, 'POST', '/tasks', { task: taskBody(f) }),
    expected: row(401, 401, 201, 400, 403, 403, 403, 201),
  },
  { name: 'v1 GET /tasks', call: (w) => v1(w, 'GET', '/tasks'), expected: everyone(200, 401) },
  {
    name: 'v1 GET /tasks?owner=alice',
    call: (w) => v1(w, 'GET', '/tasks?owner=alice'),
    expected: row(401, 401, 200, 403, 403, 200, 200, 200),
  },
  {
    name: "v1 GET alice's assigned task",
    state: 'assigned',
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}`),
    expected: row(401, 401, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "v1 GET alice's queued task",
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}`),
    expected: row(401, 401, 200, 404, 404, 200, 200, 200),
  },
  {
    name: "v1 history, alice's assigned task",
    state: 'assigned',
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}/history`),
    expected: row(401, 401, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "v1 history, alice's queued task",
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}/history`),
    expected: row(401, 401, 200, 404, 404, 200, 200, 200),
  },
  {
    name: "v1 cancel alice's task",
    state: 'assigned',
    call: (w, f) => v1(w, 'POST', `/tasks/${f.taskKey}/cancel`),
    expected: row(401, 401, 200, 404, 403, 403, 200, 200),
  },
  {
    name: "v1 requeue alice's finished task",
    state: 'finished',
    call: (w, f) => v1(w, 'POST', `/tasks/${f.taskKey}/requeue`),
    expected: row(401, 401, 200, 404, 403, 403, 200, 200),
  },
  {
    name: "v1 DELETE alice's task",
    state: 'assigned',
    call: (w, f) => v1(w, 'DELETE', `/tasks/${f.taskKey}`),
    expected: row(401, 401, 204, 404, 403, 403, 204, 204),
  },
  {
    name: "v1 GET alice's result",
    state: 'finished',
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}/result`),
    expected: row(401, 401, 200, 404, 403, 200, 200, 200),
  },
  {
    name: "v1 PUT alice's result",
    state: 'assigned',
    call: (w, f) =>
      v1(w, 'PUT', `/tasks/${f.taskKey}/result`, { attempt: 1, result: resultBody(f) }),
    expected: row(401, 401, 403, 403, 201, 403, 403, 201),
  },
  {
    name: "v1 DELETE alice's result",
    state: 'finished',
    call: (w, f) => v1(w, 'DELETE', `/tasks/${f.taskKey}/result`),
    expected: row(401, 401, 204, 404, 403, 403, 204, 204),
  },
  {
    name: 'v1 GET /overview',
    call: (w) => v1(w, 'GET', '/overview'),
    expected: row(401, 401, 200, 200, 200, 200, 200, 200),
  },
  {
    name: "v1 GET alice's result archive",
    state: 'finished',
    call: (w, f) => v1(w, 'GET', `/tasks/${f.taskKey}/result/archive`),
    expected: row(401, 401, 200, 404, 403, 200, 200, 200),
  },
  {
    name: 'v1 POST /users',
    call: (w) => v1(w, 'POST', '/users', { username: `u-${randomUUID()}`, roles: ['client'] }),
    expected: row(401, 401, 403, 403, 403, 403, 403, 201),
  },
  {
    name: "v1 PATCH alice's roles",
    call: (w) => v1(w, 'PATCH', '/users/alice', { roles: ['client'] }),
    expected: row(401, 401, 403, 403, 403, 403, 403, 200),
  },
  {
    name: 'v1 DELETE a user',
    call: async (w) => {
      const username = `u-${randomUUID()}`;
      await t.store.createUser({ username, roles: ['client'], createdAt: new Date() });
      return v1(w, 'DELETE', `/users/${username}`);
    },
    expected: row(401, 401, 403, 403, 403, 403, 403, 204),
  },
  {
    name: "v1 POST alice's token as an admin",
    call: (w) => v1(w, 'POST', '/users/alice/tokens', { label: 'matrix' }),
    expected: row(401, 401, 403, 403, 403, 403, 403, 201),
  },
  {
    name: 'v1 GET /openapi.json',
    call: (w) => v1(w, 'GET', '/openapi.json'),
    // Public, but a bad token is refused wherever it is sent.
    expected: row(200, 401, 200, 200, 200, 200, 200, 200),
  },
  // The original-compatible API: bad credentials and refusals are empty 403s.
  {
    name: 'compat GET /settings/',
    call: (w) => compat(w, 'GET', '/settings/'),
    expected: everyone(200, 403),
  },
  {
    name: 'compat GET /queue/stats/',
    call: (w) => compat(w, 'GET', '/queue/stats/'),
    expected: everyone(200, 403),
  },
  {
    name: 'compat POST /blob/reference/',
    call: (w) => compat(w, 'POST', '/blob/reference/', unique()),
    expected: row(403, 403, 200, 200, 200, 403, 403, 200),
  },
  {
    name: "compat GET alice's reference",
    call: (w, f) => compat(w, 'GET', `/blob/reference/${f.referenceKey}/`),
    expected: row(403, 403, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "compat GET alice's blob by hash as a reference",
    call: (w, f) => compat(w, 'GET', `/blob/reference/${f.hash}/`),
    expected: row(403, 403, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "compat DELETE alice's reference",
    call: (w, f) => compat(w, 'DELETE', `/blob/reference/${f.referenceKey}/`),
    expected: row(403, 403, 200, 404, 403, 403, 200, 200),
  },
  {
    name: "compat GET alice's blob",
    call: (w, f) => compat(w, 'GET', `/blob/blob/${f.hash}/`),
    expected: row(403, 403, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "compat POST (dedup) alice's blob",
    call: (w, f) => compat(w, 'POST', `/blob/blob/${f.hash}/`),
    expected: row(403, 403, 200, 404, 200, 200, 200, 200),
  },
  {
    name: "compat DELETE alice's blob",
    call: (w, f) => compat(w, 'DELETE', `/blob/blob/${f.hash}/`),
    expected: row(403, 403, 403, 404, 403, 403, 200, 200),
  },
  {
    name: 'compat POST /task/task/',
    call: (w, f) => compat(w, 'POST', '/task/task/', JSON.stringify({ ...taskBody(f), files: {} })),
    expected: row(403, 403, 200, 200, 403, 403, 403, 200),
  },
  {
    name: "compat GET alice's assigned task",
    state: 'assigned',
    call: (w, f) => compat(w, 'GET', `/task/task/${f.taskKey}/`),
    expected: row(403, 403, 200, 403, 200, 200, 200, 200),
  },
  {
    name: "compat DELETE alice's task",
    state: 'assigned',
    call: (w, f) => compat(w, 'DELETE', `/task/task/${f.taskKey}/`),
    expected: row(403, 403, 200, 403, 403, 403, 200, 200),
  },
  {
    name: "compat POST alice's result",
    state: 'assigned',
    call: (w, f) => compat(w, 'POST', '/task/result/', JSON.stringify(resultBody(f))),
    expected: row(403, 403, 403, 403, 200, 403, 403, 200),
  },
  {
    name: "compat GET alice's result",
    state: 'finished',
    call: (w, f) => compat(w, 'GET', `/task/result/${f.taskKey}/`),
    expected: row(403, 403, 200, 403, 403, 200, 200, 200),
  },
  {
    name: "compat DELETE alice's result",
    state: 'finished',
    call: (w, f) => compat(w, 'DELETE', `/task/result/${f.taskKey}/`),
    expected: row(403, 403, 200, 403, 403, 403, 200, 200),
  },
  {
    name: 'compat POST /queue/dequeue/',
    call: (w) =>
      compat(
        w,
        'POST',
        '/queue/dequeue/',
        JSON.stringify({ concurency: 1, limits: {}, tags: ['none'] }),
      ),
    expected: row(403, 403, 403, 403, 200, 403, 403, 200),
  },
];

describe('auth matrix', () => {
  const cells = CASES.flatMap((testCase) =>
    WHO.map((who) => ({ ...testCase, who, status: testCase.expected[who] })),
  );

  it.each(cells)('$name as $who → $status', async ({ state, call, who, status }) => {
    const f = await fixture(state ?? 'queued');
    const response = await call(who, f);
    expect(response.status, response.text.slice(0, 300)).toBe(status);
    if (response.status === 200 && response.headers['content-type'] === 'application/json') {
      expect((response.json as { status?: string }).status ?? 'OK').toBe('OK');
    }
    const hasBody = response.body.length > 0;
    if (
      response.status >= 400 &&
      hasBody &&
      response.headers['content-type'] === 'application/json'
    ) {
      // v1 errors carry the error body; compat refusals are bodies Django would give.
      expect(response.json).toMatchObject({ error: { code: expect.any(String) } });
    }
  });
});
