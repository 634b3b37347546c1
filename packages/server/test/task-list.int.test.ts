import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** GET /api/v1/tasks: the tag, image, q and sort parameters, with the older filters. */
let t: TestServer;
/** Keys in submission order (each submitted a few ms after the previous). */
const keys: string[] = [];

const token = (who: string): string => t.users[who]?.token ?? '';

async function submit(who: string, image: string, requires: string[]): Promise<string> {
  const response = await api(t.url, '/api/v1/tasks', {
    token: token(who),
    json: { task: { image, args: ['true'], requires } },
  });
  expect(response.status, response.text).toBe(201);
  // Distinct creation times, so that the expected orders do not depend on the keys.
  await new Promise((resolve) => setTimeout(resolve, 3));
  return (response.json as { key: string }).key;
}

async function list(query: string, who = 'manager') {
  const response = await api(t.url, `/api/v1/tasks?${query}`, { token: token(who) });
  return response;
}

async function keysOf(query: string, who = 'manager'): Promise<string[]> {
  const response = await list(query, who);
  expect(response.status, response.text).toBe(200);
  return (response.json as { items: { key: string }[] }).items.map((task) => task.key);
}

beforeAll(async () => {
  t = await startTestServer();
  keys.push(await submit('alice', 'img/a:1', ['gpu', 'big']));
  keys.push(await submit('bob', 'img/b:1', ['gpu']));
  keys.push(await submit('alice', 'img/a:1', []));
  keys.push(await submit('alice', 'img/a:1,x', ['gpu,cpu']));
  await api(t.url, `/api/v1/tasks/${keys[2]}/cancel`, { token: token('alice'), method: 'POST' });
});
afterAll(async () => {
  await t.close();
});

const at = (...indexes: number[]): string[] => indexes.map((i) => keys[i] ?? '');

describe('listing tasks with the dashboard filters', () => {
  it('filters by tag, image and key text, combined with state and owner', async () => {
    expect(await keysOf('tag=gpu')).toEqual(at(1, 0));
    expect(await keysOf(`tag=${encodeURIComponent('gpu,cpu')}`)).toEqual(at(3));
    expect(await keysOf('image=img/a:1')).toEqual(at(2, 0));
    expect(await keysOf(`image=${encodeURIComponent('img/a:1,x')}`)).toEqual(at(3));
    expect(await keysOf('image=img/a:1&state=cancelled')).toEqual(at(2));
    expect(await keysOf('tag=gpu&owner=bob')).toEqual(at(1));
    const key = keys[0] ?? '';
    expect(await keysOf(`q=${key.slice(8, 20).toUpperCase()}`)).toEqual(at(0));
    expect(await keysOf(`q=${key}&tag=gpu`)).toEqual(at(0));
    expect(await keysOf(`q=${key}&tag=big&state=queued,cancelled`)).toEqual(at(0));
    expect(await keysOf(`q=${key}&owner=bob`)).toEqual([]);
    // A client sees only its own tasks, whatever it filters by.
    expect(await keysOf('tag=gpu', 'alice')).toEqual(at(0));
  });

  it('sorts oldest first and pages in that order; a cursor of the other order is a 400', async () => {
    expect(await keysOf('sort=newest')).toEqual(at(3, 2, 1, 0));
    expect(await keysOf('sort=oldest')).toEqual(at(0, 1, 2, 3));
    const first = await list('sort=oldest&limit=3');
    const page = first.json as { items: { key: string }[]; nextCursor: string };
    expect(page.items.map((task) => task.key)).toEqual(at(0, 1, 2));
    expect(await keysOf(`sort=oldest&limit=3&cursor=${page.nextCursor}`)).toEqual(at(3));
    const mixed = await list(`limit=3&cursor=${page.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.json).toMatchObject({
      error: {
        code: 'KOLEJKA_VALIDATION',
        message: expect.stringContaining('sort=oldest'),
        details: { issues: [{ path: '/query/cursor' }] },
      },
    });
    const newest = (await list('limit=2')).json as { nextCursor: string };
    expect((await list(`sort=oldest&cursor=${newest.nextCursor}`)).status).toBe(400);
    expect(await keysOf(`sort=newest&limit=2&cursor=${newest.nextCursor}`)).toEqual(at(1, 0));
  });

  it('names the parameter that is wrong', async () => {
    for (const [query, path] of [
      ['q=xyz', '/query/q'],
      [`q=${'a'.repeat(33)}`, '/query/q'],
      ['sort=sideways', '/query/sort'],
      ['tag=', '/query/tag'],
      ['image=a&image=b', '/query/image'],
    ] as const) {
      const response = await list(query);
      expect(response.status, query).toBe(400);
      expect(response.json, query).toMatchObject({
        error: { code: 'KOLEJKA_VALIDATION', details: { issues: [{ path }] } },
      });
    }
  });
});
