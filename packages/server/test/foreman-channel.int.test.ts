import { once } from 'node:events';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseServerMessage, type ServerMessage } from '@kolejka/spec';
import { api, rawRequest } from './support/http-client.js';
import { spawnCli } from './support/server-process.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { SimForeman, type SimForemanOptions } from './support/sim-foreman.js';
import { submit, until } from './support/scheduler-fixtures.js';

/** The foreman WebSocket itself: authentication, validation, negotiation, replacement, listing. */
let t: TestServer;
const foremen: SimForeman[] = [];

beforeAll(async () => {
  t = await startTestServer({ settings: { leaseMs: 5000, leaseSweepIntervalMs: 100 } });
});
afterEach(async () => {
  await Promise.all(foremen.splice(0).map((foreman) => foreman.close()));
});
afterAll(async () => {
  await t.close();
});

let nextId = 0;
function sim(options: Partial<SimForemanOptions> = {}): SimForeman {
  const foreman = new SimForeman({
    urls: [t.url],
    token: t.users.foreman?.token ?? '',
    id: `chan-${++nextId}`,
    mode: 'hold',
    ...options,
  });
  foremen.push(foreman);
  return foreman;
}

/** A raw socket on the foreman channel, collecting messages and the close. */
async function rawSocket(token: string | undefined, path = '/api/v1/foreman') {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}${path}`, {
    headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
  });
  const messages: ServerMessage[] = [];
  ws.on('message', (data) => messages.push(parseServerMessage((data as Buffer).toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  const status = await new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
  return { ws, messages, closed, status };
}

describe('the foreman channel', () => {
  it('lets only processors and admins upgrade, with a plain HTTP refusal otherwise', async () => {
    expect((await rawSocket(undefined)).status).toBe(401);
    expect((await rawSocket('kolejka_bogus')).status).toBe(401);
    expect((await rawSocket(t.users.alice?.token)).status).toBe(403);
    expect((await rawSocket(t.users.manager?.token)).status).toBe(403);
    expect((await rawSocket(t.users.foreman?.token, '/api/v1/nowhere')).status).toBe(404);
    const admin = await rawSocket(t.users.root?.token);
    expect(admin.status).toBe(101);
    admin.ws.close();
    const refused = await rawRequest({
      method: 'GET',
      url: `${t.url}/api/v1/foreman`,
      headers: { Authorization: `Bearer ${t.users.foreman?.token ?? ''}` },
    });
    expect(refused.status).toBe(426);
    expect(refused.json).toMatchObject({ error: { message: expect.stringMatching(/WebSocket/) } });
  });

  it('answers bad messages with an error naming the problem, then cuts a peer that keeps at it', async () => {
    const { ws, messages, closed } = await rawSocket(t.users.foreman?.token);
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'task:accepted', key: 'x', attempt: -1 }));
    ws.send(JSON.stringify({ type: 'foreman:heartbeat', running: [] }));
    await until(() => messages.length === 3, 2000, 'three errors');
    expect(messages[0]).toMatchObject({ type: 'error', code: 'KOLEJKA_VALIDATION' });
    expect(messages[0]).toMatchObject({ message: expect.stringMatching(/not valid JSON/) });
    expect(messages[1]).toMatchObject({
      type: 'error',
      code: 'KOLEJKA_VALIDATION',
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: '/key' })]) },
    });
    expect(messages[2]).toMatchObject({ message: 'Send foreman:hello first' });
    for (let i = 0; i < 10; i++) ws.send('{"type": "garbage"}');
    expect(await closed).toEqual({ code: 1008, reason: 'too many invalid messages' });
  });

  it('picks the highest common protocol, or refuses when there is none', async () => {
    const good = sim({ protocols: [1, 7] });
    expect((await good.connect()).protocol).toBe(1);
    const current = sim({ protocols: [1, 2] });
    expect((await current.connect()).protocol).toBe(2);
    const bad = sim({ protocols: [4, 5] });
    await expect(bad.connect()).rejects.toThrow(/4002/);
    expect(bad.messages[0]).toMatchObject({
      type: 'error',
      message: expect.stringMatching(
        /No common protocol version.*server speaks 1, 2, 3.*foreman 4, 5/,
      ),
    });
    expect(bad.closes[0]).toEqual({ code: 4002, reason: 'no common protocol version' });
  });

  it('replaces an older connection of the same foreman id', async () => {
    const first = sim({ id: 'twin' });
    await first.connect();
    const second = sim({ id: 'twin' });
    await second.connect();
    await until(() => first.closes.length > 0, 2000, 'the first closed');
    expect(first.closes[0]?.code).toBe(4001);
    const key = await submit(t.url, t.users.alice?.token ?? '');
    await second.next((m) => m.type === 'task:assign' && m.key === key);
    expect(first.assignments).toEqual([]);
    await t.store.cancelTask(key, 'done', new Date());
  });

  it('gives no work to a foreman that says in its hello that it drains', async () => {
    const leaving = sim({ id: 'leaving', isDraining: true });
    await leaving.connect();
    const key = await submit(t.url, t.users.alice?.token ?? '');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(leaving.assignments).toEqual([]);
    const listed = await api(t.url, '/api/v1/foremen', { token: t.users.manager?.token });
    expect((listed.json as { items: { id: string; draining: boolean }[] }).items).toContainEqual(
      expect.objectContaining({ id: 'leaving', draining: true }),
    );
    await t.store.cancelTask(key, 'done', new Date());
  });

  it('refuses a foreman id that another processor user registered', async () => {
    await sim({ id: 'owned' }).connect();
    const other = await t.addUser('other-node', ['processor']);
    const thief = sim({ id: 'owned', token: other.token });
    await expect(thief.connect()).rejects.toThrow(/4003/);
    expect(thief.messages[0]).toMatchObject({ code: 'KOLEJKA_FORBIDDEN' });
  });

  it('lists foremen for managers and admins, with free capacity and running tasks', async () => {
    const listed = sim({ id: 'listed', tags: ['x'], capacity: { cpus: 4, memory: '1G' } });
    await listed.connect();
    const key = await submit(t.url, t.users.alice?.token ?? '', {
      limits: { cpus: 1, memory: '256M' },
    });
    await listed.next((m) => m.type === 'task:assign' && m.key === key);
    await until(async () => (await t.store.getTask(key))?.state === 'running', 2000, 'running');
    for (const who of ['alice', 'foreman', 'inspector'])
      expect((await api(t.url, '/api/v1/foremen', { token: t.users[who]?.token })).status).toBe(
        403,
      );
    const response = await api(t.url, '/api/v1/foremen', { token: t.users.manager?.token });
    expect(response.status).toBe(200);
    const items = (response.json as { items: { id: string }[] }).items;
    expect(items.find((item) => item.id === 'listed')).toEqual({
      id: 'listed',
      username: 'foreman',
      version: 'sim-1',
      tags: ['x'],
      capacity: { cpus: 4, memory: '1073741824b' },
      free: { cpus: 3, memory: '805306368b' },
      running: [{ key, attempt: 1, state: 'running' }],
      lastHeartbeatAt: expect.any(String),
      online: true,
      draining: false,
      serverId: expect.stringMatching(/^server-/),
      updatedAt: expect.any(String),
    });
    await t.store.cancelTask(key, 'done', new Date());
  });

  it('kolejka-server foreman drain reaches a connected foreman', async () => {
    const drained = sim({ id: 'by-cli' });
    await drained.connect();
    const cli = spawnCli(['foreman', 'drain', 'by-cli', '--home', t.home]);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout()).toMatch(/foreman by-cli drained/);
    await drained.next((m) => m.type === 'foreman:drain' && m.draining, 3000);
    const list = spawnCli(['foreman', 'list', '--home', t.home]);
    await list.exited;
    expect(list.stdout()).toMatch(/by-cli\s+foreman\s+yes\s+yes/);
    const missing = spawnCli(['foreman', 'undrain', 'nobody', '--home', t.home]);
    expect((await missing.exited).code).toBe(1);
    expect(missing.stderr()).toMatch(/No foreman "nobody"/);
  });

  it('closes foreman connections when the server stops', async () => {
    const local = await startTestServer({ users: { node: ['processor'] } });
    const foreman = new SimForeman({
      urls: [local.url],
      token: local.users.node?.token ?? '',
      id: 'stopping',
    });
    await foreman.connect();
    const closing = once(foreman.ws as WebSocket, 'close');
    const started = Date.now();
    await local.close();
    const [code] = (await closing) as [number];
    expect(code).toBe(1001);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
