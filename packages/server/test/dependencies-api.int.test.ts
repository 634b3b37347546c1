import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpStats, emptyStats } from '@kolejka/spec';
import { api, type RawResponse } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/* Task dependencies through API v1: submission checks, continuations, graph, deletion. */

let t: TestServer;
const token = (name: string): string => {
  const user = t.users[name];
  if (user === undefined) throw new Error(`no test user ${name}`);
  return user.token;
};

beforeAll(async () => {
  t = await startTestServer({ settings: { imagePatterns: ['kolejka-test/.*'] } });
});
afterAll(async () => {
  await t.close();
});

const task = { image: 'kolejka-test/busybox:latest', args: ['true'], files: {} };

async function submit(user: string, extra: Record<string, unknown> = {}): Promise<RawResponse> {
  return api(t.url, '/api/v1/tasks', { token: token(user), json: { task, ...extra } });
}

async function submitKey(user: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await submit(user, extra);
  expect(response.status, response.text).toBe(201);
  return (response.json as { key: string }).key;
}

const issuePaths = (response: RawResponse): string[] =>
  (
    response.json as { error: { details: { issues: { path: string }[] } } }
  ).error.details.issues.map((issue) => issue.path);

/** Ends a task as a foreman would: claim, then a result with this exit code. */
async function finish(key: string, exit: number): Promise<void> {
  const now = new Date();
  const claimed = await t.store.claimTask(key, {
    assignee: 'foreman',
    leaseExpiresAt: new Date(now.getTime() + 60_000),
    now,
  });
  if (claimed === undefined) throw new Error(`cannot claim ${key}`);
  const outcome = await t.store.finishTask(
    key,
    claimed.attempt,
    {
      taskKey: key,
      attempt: claimed.attempt,
      poster: 'foreman',
      createdAt: now,
      spec: {
        id: key,
        tags: [],
        limits: {},
        stats: dumpStats(emptyStats()),
        result: exit,
        files: {},
      },
    },
    now,
  );
  expect(outcome.outcome).toBe('stored');
}

const read = async (key: string, user = 'alice'): Promise<Record<string, unknown>> =>
  (await api(t.url, `/api/v1/tasks/${key}`, { token: token(user) })).json as Record<
    string,
    unknown
  >;

describe('submitting with dependencies', () => {
  it('stores a dependent waiting, shows its links, and queues it when the dependency succeeds', async () => {
    const a = await submitKey('alice');
    const response = await submit('alice', { dependencies: [a], after: 'succeeded' });
    expect(response.status).toBe(201);
    const d = response.json as { key: string };
    expect(response.json).toMatchObject({
      state: 'waiting',
      dependencies: [a],
      after: 'succeeded',
      unsatisfiedDependencies: 1,
    });
    expect(response.json).not.toHaveProperty('dependentCount');
    expect(await read(a)).toMatchObject({ dependentCount: 1 });
    await finish(a, 0);
    expect(await read(d.key)).toMatchObject({ state: 'queued', unsatisfiedDependencies: 0 });
  });

  it('cancels a dependent whose dependency exited non-zero, with a reason naming it', async () => {
    const a = await submitKey('alice');
    const d = await submitKey('alice', { dependencies: [a], after: 'succeeded' });
    await finish(a, 1);
    expect(await read(d)).toMatchObject({ state: 'cancelled', reason: `dependency ${a} exited 1` });
  });

  it('reports unknown, foreign, duplicate and malformed dependencies with their JSON paths', async () => {
    const mine = await submitKey('alice');
    const bobs = await submitKey('bob');
    const response = await submit('alice', {
      dependencies: [mine, 'f'.repeat(32), mine, 'nope', bobs],
      after: 'sometimes',
      inputs: { '../x': { from: bobs, path: 'out' }, ok: { from: 'a'.repeat(32), path: '' } },
    });
    expect(response.status).toBe(400);
    expect(issuePaths(response)).toEqual([
      '/after',
      '/dependencies/1',
      '/dependencies/2',
      '/dependencies/3',
      '/dependencies/4',
      '/inputs/..~1x',
      '/inputs/ok/from',
      '/inputs/ok/path',
    ]);
    expect(response.text).toContain('dependencies[1]');
    // Another user's task is refused to a client, allowed to an admin.
    const asManager = await submit('root', { dependencies: [bobs] });
    expect(asManager.status).toBe(201);
    const clientRefused = await submit('alice', { dependencies: [bobs] });
    expect(issuePaths(clientRefused)).toEqual(['/dependencies/0']);
  });

  it('refuses more than 10,000 dependencies and after/inputs without dependencies', async () => {
    const many = await submit('alice', {
      dependencies: Array.from({ length: 10_001 }, (_, i) => i.toString(16).padStart(32, '0')),
    });
    expect(many.status).toBe(400);
    expect(issuePaths(many)).toEqual(['/dependencies']);
    const lone = await submit('alice', { after: 'any' });
    expect(issuePaths(lone)).toEqual(['/after']);
    const a = await submitKey('alice');
    const clash = await api(t.url, '/api/v1/tasks', {
      token: token('alice'),
      json: {
        task: { ...task, files: { 'run.sh': { reference: 'f'.repeat(64) } } },
        dependencies: [a],
        inputs: { 'run.sh': { from: a, path: 'out' } },
      },
    });
    expect(clash.status).toBe(400);
    expect(issuePaths(clash)).toEqual(['/inputs/run.sh']);
  });
});

describe('continuations and the graph', () => {
  it('attaches a continuation to a running task and to an ended one, and shows the graph', async () => {
    const root = await submitKey('alice');
    const add = (key: string, body: Record<string, unknown> = {}, user = 'alice') =>
      api(t.url, `/api/v1/tasks/${key}/continuations`, {
        token: token(user),
        json: { task, ...body },
      });
    const left = await add(root);
    const right = await add(root, { after: 'any' });
    expect(left.status).toBe(201);
    expect(left.json).toMatchObject({ state: 'waiting', dependencies: [root] });
    const leftKey = (left.json as { key: string }).key;
    const rightKey = (right.json as { key: string }).key;
    const join = await submitKey('alice', { dependencies: [leftKey, rightKey] });
    expect((await add(root, {}, 'bob')).status).toBe(404);

    const graph = await api(t.url, `/api/v1/tasks/${root}/graph`, { token: token('alice') });
    expect(graph.status).toBe(200);
    const body = graph.json as {
      nodes: { key: string; distance: number; state: string }[];
      edges: { dependency: string; dependent: string; after: string }[];
      isTruncated: boolean;
    };
    expect(body.isTruncated).toBe(false);
    expect(new Map(body.nodes.map((node) => [node.key, node.distance]))).toEqual(
      new Map([
        [root, 0],
        [leftKey, 1],
        [rightKey, 1],
        [join, 2],
      ]),
    );
    expect(body.edges).toHaveLength(4);
    expect(body.edges).toContainEqual({ dependency: root, dependent: rightKey, after: 'any' });

    const fromJoin = await api(t.url, `/api/v1/tasks/${join}/graph?depth=1`, {
      token: token('alice'),
    });
    const upstream = (fromJoin.json as { nodes: { key: string; distance: number }[] }).nodes;
    expect(upstream.map((n) => n.distance).sort()).toEqual([-1, -1, 0]);
    const bad = await api(t.url, `/api/v1/tasks/${join}/graph?depth=0`, { token: token('alice') });
    expect(issuePaths(bad)).toEqual(['/depth']);

    // Ended: the continuation is decided at once.
    await finish(root, 0);
    const late = await add(root);
    expect(late.json).toMatchObject({ state: 'queued' });
    expect(await read(leftKey)).toMatchObject({ state: 'queued' });
  });
});

describe('deleting a task others wait on', () => {
  it('refuses with 409 naming them, and cascades with ?cascade=true', async () => {
    const a = await submitKey('alice');
    const b = await submitKey('alice', { dependencies: [a], after: 'any' });
    const c = await submitKey('alice', { dependencies: [b] });
    const refused = await api(t.url, `/api/v1/tasks/${a}`, {
      method: 'DELETE',
      token: token('alice'),
    });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain(b);
    expect(await read(a)).toMatchObject({ state: 'queued' });
    const cascaded = await api(t.url, `/api/v1/tasks/${a}?cascade=true`, {
      method: 'DELETE',
      token: token('alice'),
    });
    expect(cascaded.status).toBe(204);
    expect(await read(b)).toMatchObject({
      state: 'cancelled',
      reason: `dependency ${a} was deleted`,
    });
    expect(await read(c)).toMatchObject({ state: 'cancelled' });
    expect((await api(t.url, `/api/v1/tasks/${a}`, { token: token('alice') })).status).toBe(404);
  });
});
