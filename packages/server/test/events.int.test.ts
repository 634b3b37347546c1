import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventsServerMessage, type EventsServerMessage } from '@kolejka/spec';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { SimForeman } from './support/sim-foreman.js';
import { submit, until } from './support/scheduler-fixtures.js';

/** Task state changes pushed to clients, over a WebSocket and as Server-Sent Events. */
let t: TestServer;
let foreman: SimForeman;

beforeAll(async () => {
  t = await startTestServer({ settings: { leaseMs: 5000, leaseSweepIntervalMs: 100 } });
  foreman = new SimForeman({
    urls: [t.url],
    token: t.users.foreman?.token ?? '',
    id: 'events-node',
    mode: 'complete',
    runMs: 20,
  });
  await foreman.connect();
});
afterAll(async () => {
  await foreman.close();
  await t.close();
});

const token = (who: string): string => t.users[who]?.token ?? '';

/** A client WebSocket on /api/v1/events, collecting what it receives. */
async function eventsSocket(who: string) {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/v1/events`, {
    headers: { Authorization: `Bearer ${token(who)}` },
  });
  const messages: EventsServerMessage[] = [];
  ws.on('message', (data) => messages.push(parseEventsServerMessage((data as Buffer).toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
  });
  const send = (message: unknown): void =>
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  return { ws, messages, send };
}

const updates = (messages: EventsServerMessage[], key: string) =>
  messages.filter((m) => m.type === 'task:updated' && m.key === key);

/** A Server-Sent Events stream read as `curl -N` would. */
function sse(path: string, who: string) {
  const events: { event: string; data: unknown }[] = [];
  let status = 0;
  let buffer = '';
  const req = request(`${t.url}${path}`, {
    headers: { Authorization: `Bearer ${token(who)}`, Accept: 'text/event-stream' },
  });
  const opened = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined)
            events.push({ event, data: JSON.parse(data) });
        }
      });
      resolve(status);
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { events, opened, close: () => req.destroy() };
}

describe('the events channel (WebSocket)', () => {
  it('pushes every state change of the caller’s tasks, and nothing of others’', async () => {
    const client = await eventsSocket('alice');
    client.send({ type: 'events:subscribe', mine: true });
    await until(() => client.messages.length > 0, 2000, 'subscribed');
    expect(client.messages[0]).toEqual({
      type: 'events:subscribed',
      tasks: [],
      mine: true,
      all: false,
      refused: [],
    });
    const mine = await submit(t.url, token('alice'));
    const bobs = await submit(t.url, token('bob'));
    await until(() => updates(client.messages, mine).length >= 4, 3000, 'four updates');
    expect(updates(client.messages, mine).map((m) => m.type === 'task:updated' && m.state)).toEqual(
      ['queued', 'assigned', 'running', 'finished'],
    );
    expect(updates(client.messages, mine).at(-1)).toMatchObject({
      attempt: 1,
      at: expect.any(String),
      result: `/api/v1/tasks/${mine}/result`,
    });
    await until(async () => (await t.store.getTask(bobs))?.state === 'finished', 3000, 'bob');
    expect(updates(client.messages, bobs)).toEqual([]);
    client.ws.close();
  });

  it('gives a late subscriber the current state at once, and refuses tasks it may not read', async () => {
    const key = await submit(t.url, token('alice'));
    await until(async () => (await t.store.getTask(key))?.state === 'finished', 3000, 'finished');
    const bobs = await submit(t.url, token('bob'));
    const client = await eventsSocket('alice');
    client.send({ type: 'events:subscribe', tasks: [key, bobs, 'a'.repeat(32)] });
    await until(() => updates(client.messages, key).length === 1, 2000, 'the snapshot');
    expect(client.messages[0]).toEqual({
      type: 'events:subscribed',
      tasks: [key],
      mine: false,
      all: false,
      refused: [bobs, 'a'.repeat(32)],
    });
    expect(updates(client.messages, key)[0]).toMatchObject({
      state: 'finished',
      result: `/api/v1/tasks/${key}/result`,
    });
    // An inspector may follow anyone's task.
    const inspector = await eventsSocket('inspector');
    inspector.send({ type: 'events:subscribe', tasks: [bobs] });
    await until(() => updates(inspector.messages, bobs).length > 0, 2000, 'inspector snapshot');
    client.ws.close();
    inspector.ws.close();
  });

  it('loses nothing when the subscription races the task', async () => {
    const client = await eventsSocket('alice');
    const keys = await Promise.all(Array.from({ length: 5 }, () => submit(t.url, token('alice'))));
    client.send({ type: 'events:subscribe', tasks: keys });
    await until(
      () =>
        keys.every((key) =>
          updates(client.messages, key).some(
            (m) => m.type === 'task:updated' && m.state === 'finished',
          ),
        ),
      5000,
      'every finish',
    );
    for (const key of keys) {
      const states = updates(client.messages, key).map((m) =>
        m.type === 'task:updated' ? m.state : '',
      );
      // Whatever the snapshot showed, the states that follow it go forward only.
      const order = ['queued', 'assigned', 'running', 'finished'];
      const ranks = states.map((state) => order.indexOf(state));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(new Set(states).size).toBe(states.length);
    }
    client.ws.close();
  });

  it('says why a task was cancelled, and that it was deleted', async () => {
    foreman.mode = 'hold';
    try {
      const client = await eventsSocket('alice');
      client.send({ type: 'events:subscribe', mine: true });
      const key = await submit(t.url, token('alice'));
      await foreman.next((m) => m.type === 'task:assign' && m.key === key);
      await api(t.url, `/api/v1/tasks/${key}`, { token: token('alice'), method: 'DELETE' });
      await until(
        () =>
          updates(client.messages, key).some(
            (m) => m.type === 'task:updated' && m.deleted === true,
          ),
        2000,
        'deleted',
      );
      const last = updates(client.messages, key).slice(-2);
      expect(last[0]).toMatchObject({ state: 'cancelled', reason: 'deleted by alice' });
      expect(last[1]).toMatchObject({ state: 'cancelled', deleted: true });
      client.ws.close();
    } finally {
      foreman.mode = 'complete';
    }
  });

  it('follows every task with all: true, for those who may read every task', async () => {
    const inspector = await eventsSocket('inspector');
    inspector.send({ type: 'events:subscribe', all: true });
    await until(() => inspector.messages.length > 0, 2000, 'subscribed');
    expect(inspector.messages[0]).toEqual({
      type: 'events:subscribed',
      tasks: [],
      mine: false,
      all: true,
      refused: [],
    });
    const alices = await submit(t.url, token('alice'));
    const bobs = await submit(t.url, token('bob'));
    for (const key of [alices, bobs]) {
      await until(() => updates(inspector.messages, key).length >= 4, 3000, 'four updates');
      expect(
        updates(inspector.messages, key).map((m) => m.type === 'task:updated' && m.state),
      ).toEqual(['queued', 'assigned', 'running', 'finished']);
    }
    inspector.send({ type: 'events:unsubscribe', all: true });
    await until(
      () => inspector.messages.filter((m) => m.type === 'events:subscribed').length === 2,
      2000,
      'unsubscribed',
    );
    expect(inspector.messages.filter((m) => m.type === 'events:subscribed').at(-1)).toMatchObject({
      all: false,
    });
    const later = await submit(t.url, token('bob'));
    await until(async () => (await t.store.getTask(later))?.state === 'finished', 3000, 'later');
    expect(updates(inspector.messages, later)).toEqual([]);
    inspector.ws.close();
  });

  it('answers all: true from a client or a processor with a KOLEJKA_FORBIDDEN error', async () => {
    for (const who of ['alice', 'foreman']) {
      const client = await eventsSocket(who);
      client.send({ type: 'events:subscribe', all: true, mine: true });
      await until(() => client.messages.length > 0, 2000, 'an error');
      expect(client.messages[0]).toMatchObject({ type: 'error', code: 'KOLEJKA_FORBIDDEN' });
      // Nothing was subscribed: a task of someone else (or even its own) sends nothing.
      const key = await submit(t.url, token('bob'));
      await until(async () => (await t.store.getTask(key))?.state === 'finished', 3000, 'done');
      expect(client.messages).toHaveLength(1);
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
      client.ws.close();
    }
  });

  it('answers bad messages with an error and cuts a peer that keeps sending them', async () => {
    const client = await eventsSocket('alice');
    const closed = new Promise<number>((resolve) => client.ws.on('close', (code) => resolve(code)));
    client.send({ type: 'events:subscribe', tasks: ['../etc'] });
    await until(() => client.messages.length > 0, 2000, 'an error');
    expect(client.messages[0]).toMatchObject({
      type: 'error',
      code: 'KOLEJKA_VALIDATION',
      details: { issues: [expect.objectContaining({ path: '/tasks/0' })] },
    });
    for (let i = 0; i < 10; i++) client.send('{');
    expect(await closed).toBe(1008);
  });
});

describe('the events channel (Server-Sent Events)', () => {
  it('streams task:updated events of the named tasks and of mine=1', async () => {
    const earlier = await submit(t.url, token('alice'));
    await until(async () => (await t.store.getTask(earlier))?.state === 'finished', 3000, 'done');
    const stream = sse(`/api/v1/events?tasks=${earlier}&mine=1`, 'alice');
    expect(await stream.opened).toBe(200);
    await until(() => stream.events.length >= 2, 2000, 'subscribed and the snapshot');
    expect(stream.events[0]).toEqual({
      event: 'events:subscribed',
      data: {
        type: 'events:subscribed',
        tasks: [earlier],
        mine: true,
        all: false,
        refused: [],
      },
    });
    expect(stream.events[1]).toMatchObject({
      event: 'task:updated',
      data: { key: earlier, state: 'finished' },
    });
    const key = await submit(t.url, token('alice'));
    const bobs = await submit(t.url, token('bob'));
    await until(
      () =>
        stream.events.some(
          (e) =>
            (e.data as { key?: string; state?: string }).key === key &&
            (e.data as { state: string }).state === 'finished',
        ),
      3000,
      'the new task finished',
    );
    const states = stream.events
      .filter((e) => (e.data as { key?: string }).key === key)
      .map((e) => (e.data as { state: string }).state);
    expect(states).toEqual(['queued', 'assigned', 'running', 'finished']);
    expect(stream.events.some((e) => (e.data as { key?: string }).key === bobs)).toBe(false);
    stream.close();
  });

  it('streams every task with all=1 for a manager, and refuses it to a client with 403', async () => {
    const stream = sse('/api/v1/events?all=1', 'manager');
    expect(await stream.opened).toBe(200);
    await until(() => stream.events.length >= 1, 2000, 'subscribed');
    expect(stream.events[0]).toEqual({
      event: 'events:subscribed',
      data: { type: 'events:subscribed', tasks: [], mine: false, all: true, refused: [] },
    });
    const key = await submit(t.url, token('bob'));
    await until(
      () =>
        stream.events.some(
          (e) =>
            (e.data as { key?: string }).key === key &&
            (e.data as { state?: string }).state === 'finished',
        ),
      3000,
      'bob’s task finished',
    );
    stream.close();
    const refused = await api(t.url, '/api/v1/events?all=1', {
      token: token('alice'),
      headers: { Accept: 'text/event-stream' },
    });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: { code: 'KOLEJKA_FORBIDDEN' } });
    const bad = await api(t.url, '/api/v1/events?all=maybe', {
      token: token('manager'),
      headers: { Accept: 'text/event-stream' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { details: { issues: [{ path: '/all' }] } } });
  });

  it('refuses callers without a token, a wrong Accept and bad keys', async () => {
    expect((await api(t.url, '/api/v1/events')).status).toBe(401);
    expect((await api(t.url, '/api/v1/events', { token: token('alice') })).status).toBe(406);
    const bad = await api(t.url, '/api/v1/events?tasks=nope', {
      token: token('alice'),
      headers: { Accept: 'text/event-stream' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { details: { issues: [{ path: '/tasks/0' }] } } });
  });
});

describe('the events channel from a browser (token as a subprotocol)', () => {
  const eventsUrl = (): string => `${t.url.replace('http', 'ws')}/api/v1/events`;

  /** Opens a socket offering these subprotocols; resolves with the socket or the refusal status. */
  function open(
    protocols: string[],
    headers: Record<string, string> = {},
    url = eventsUrl(),
  ): Promise<{ ws?: WebSocket; status?: number; protocol?: string; echoed?: string }> {
    const ws = new WebSocket(url, protocols, { headers });
    let echoed: string | undefined;
    ws.once('upgrade', (res) => {
      echoed = res.headers['sec-websocket-protocol'];
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, protocol: ws.protocol, ...(echoed ? { echoed } : {}) }));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        res.resume();
      });
      ws.once('error', reject);
    });
  }

  /** Subscribes to the tasks; resolves with those refused (who the server thinks we are). */
  async function refusedOf(ws: WebSocket, tasks: string[]): Promise<string[]> {
    const reply = new Promise<EventsServerMessage>((resolve) =>
      ws.once('message', (data) => resolve(parseEventsServerMessage((data as Buffer).toString()))),
    );
    ws.send(JSON.stringify({ type: 'events:subscribe', tasks }));
    const message = await reply;
    if (message.type !== 'events:subscribed') throw new Error(`got ${message.type}`);
    return message.refused;
  }

  it('authenticates with kolejka.bearer.<token> and answers with kolejka.v1 only', async () => {
    const alices = await submit(t.url, token('alice'));
    const bobs = await submit(t.url, token('bob'));
    const opened = await open(['kolejka.v1', `kolejka.bearer.${token('alice')}`]);
    expect(opened.status).toBeUndefined();
    expect(opened.protocol).toBe('kolejka.v1');
    expect(opened.echoed).toBe('kolejka.v1');
    expect(await refusedOf(opened.ws!, [alices, bobs])).toEqual([bobs]);
    opened.ws!.close();
    // The order of the offer does not matter: the token is never echoed.
    const reversed = await open([`kolejka.bearer.${token('bob')}`, 'kolejka.v1']);
    expect(reversed.protocol).toBe('kolejka.v1');
    expect(await refusedOf(reversed.ws!, [alices, bobs])).toEqual([alices]);
    reversed.ws!.close();
  });

  it('refuses a bad or missing token before the upgrade (401)', async () => {
    expect((await open(['kolejka.v1', 'kolejka.bearer.kolejka_not-a-token'])).status).toBe(401);
    expect((await open(['kolejka.v1'])).status).toBe(401);
    expect(
      (await open(['kolejka.v1', `kolejka.bearer.${token('alice')}`, 'kolejka.bearer.x'])).status,
    ).toBe(401);
    // The token without kolejka.v1 could not open a browser socket: said at once.
    expect((await open([`kolejka.bearer.${token('alice')}`])).status).toBe(400);
  });

  it('lets the Authorization header win over the subprotocol token', async () => {
    const bobs = await submit(t.url, token('bob'));
    const opened = await open(['kolejka.v1', `kolejka.bearer.${token('alice')}`], {
      Authorization: `Bearer ${token('bob')}`,
    });
    expect(opened.protocol).toBe('kolejka.v1');
    expect(await refusedOf(opened.ws!, [bobs])).toEqual([]);
    opened.ws!.close();
    const badHeader = await open(['kolejka.v1', `kolejka.bearer.${token('alice')}`], {
      Authorization: 'Bearer kolejka_wrong',
    });
    expect(badHeader.status).toBe(401);
    // Header-only clients still get no subprotocol when they offer none.
    const plain = await eventsSocket('alice');
    expect(plain.ws.protocol).toBe('');
    plain.ws.close();
  });

  it('is only for the events channel: the foremen channel wants the header', async () => {
    const url = `${t.url.replace('http', 'ws')}/api/v1/foreman`;
    expect((await open(['kolejka.v1', `kolejka.bearer.${token('foreman')}`], {}, url)).status).toBe(
      401,
    );
  });
});
