import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { KolejkaClient } from '../src/index.js';
import { failure } from './support/failure.js';

const KEY = 'c'.repeat(32);
const update = (state: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'task:updated',
    key: KEY,
    state,
    attempt: 1,
    at: new Date().toISOString(),
    ...extra,
  });
const subscribed = (refused: string[] = []) =>
  JSON.stringify({
    type: 'events:subscribed',
    tasks: refused.length > 0 ? [] : [KEY],
    mine: false,
    refused,
  });

let server: Server | undefined;

/** A real WebSocket endpoint at /api/v1/events that plays `script` to each connection. */
async function eventsServer(
  script: (socket: WebSocket, connection: number) => void,
): Promise<string> {
  const http = createServer((_request, response) => {
    response.writeHead(500);
    response.end();
  });
  const sockets = new WebSocketServer({ server: http, path: '/api/v1/events' });
  let connections = 0;
  sockets.on('connection', (socket) => {
    connections += 1;
    const connection = connections;
    socket.once('message', () => script(socket, connection));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  server = http;
  http.on('close', () => sockets.close());
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) =>
    server === undefined ? resolve() : server.close(() => resolve()),
  );
  server = undefined;
});

describe('the events channel', () => {
  it('reconnects after the server drops the socket and still learns the end', async () => {
    const url = await eventsServer((socket, connection) => {
      socket.send(subscribed());
      if (connection === 1) {
        socket.send(update('running'));
        socket.close(1001, 'going away');
      } else socket.send(update('finished'));
    });
    const states: string[] = [];
    const client = new KolejkaClient({ server: url, token: 't' });
    const outcome = await client.waitForResult(KEY, {
      onProgress: (event) => {
        if (event.type === 'state') states.push(event.state);
      },
    });
    expect(outcome).toMatchObject({ state: 'finished', via: 'events' });
    expect(states).toEqual(['running', 'finished']);
  });

  it('ends with NOT_FOUND when the task is refused or deleted', async () => {
    const refusing = await eventsServer((socket) => socket.send(subscribed([KEY])));
    const refused = await failure(
      new KolejkaClient({ server: refusing, token: 't' }).waitForResult(KEY),
    );
    expect(refused.code).toBe('KOLEJKA_NOT_FOUND');
    server?.closeAllConnections();
    server?.close();
    const deleting = await eventsServer((socket) => {
      socket.send(subscribed());
      socket.send(update('queued', { deleted: true }));
    });
    const deleted = await failure(
      new KolejkaClient({ server: deleting, token: 't' }).waitForResult(KEY),
    );
    expect(deleted.code).toBe('KOLEJKA_NOT_FOUND');
    expect(deleted.message).toBe(`Task ${KEY} was deleted (it was queued)`);
  });

  it('fails at once when the server refuses the subscription itself', async () => {
    const url = await eventsServer((socket) =>
      socket.send(
        JSON.stringify({ type: 'error', code: 'KOLEJKA_FORBIDDEN', message: 'no events for you' }),
      ),
    );
    const error = await failure(new KolejkaClient({ server: url, token: 't' }).waitForResult(KEY));
    expect(error.code).toBe('KOLEJKA_FORBIDDEN');
    expect(error.message).toBe('Events channel: no events for you');
  });
});
