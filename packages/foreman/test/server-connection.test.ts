import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  parseForemanMessage,
  type ForemanMessage,
  type KolejkaError,
  type ServerMessage,
} from '@kolejka/spec';
import { ServerConnection, type ConnectionHandlers } from '../src/server/server-connection.js';

/** A stand-in server: records what foremen send, lets the test answer. */
class FakeServer {
  readonly received: ForemanMessage[] = [];
  readonly sockets: WebSocket[] = [];
  readonly authorizations: (string | undefined)[] = [];
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  status = 101;
  autoWelcome = true;

  constructor() {
    this.http = createServer();
    this.http.on('upgrade', (request, socket, head) => {
      this.authorizations.push(request.headers.authorization);
      if (this.status !== 101 || request.url !== '/api/v1/foreman') {
        socket.end(`HTTP/1.1 ${this.status} Refused\r\nContent-Length: 4\r\n\r\nnope`);
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        this.sockets.push(ws);
        ws.on('message', (data) => {
          const message = parseForemanMessage((data as Buffer).toString());
          this.received.push(message);
          if (message.type === 'foreman:hello' && this.autoWelcome) this.send(ws, welcome());
        });
      });
    });
  }

  send(ws: WebSocket, message: ServerMessage): void {
    ws.send(JSON.stringify(message));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

const welcome = (heartbeatIntervalMs = 50): ServerMessage => ({
  type: 'server:welcome',
  protocol: 1,
  serverId: 's1',
  heartbeatIntervalMs,
  leaseMs: 1000,
  kept: [],
  dropped: [],
  draining: false,
});

const until = async (check: () => boolean, timeoutMs = 3000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

function recorder(running: { key: string; attempt: number }[] = []) {
  const events: string[] = [];
  const messages: ServerMessage[] = [];
  let fatal: KolejkaError | undefined;
  const handlers: ConnectionHandlers = {
    hello: () => ({
      type: 'foreman:hello',
      protocols: [1],
      foremanId: 'f1',
      version: 'test',
      tags: ['t'],
      capacity: { cpus: 2 },
      running: [...running],
    }),
    heartbeat: () => ({ type: 'foreman:heartbeat', running: [...running] }),
    welcome: (_welcome, url) => events.push(`welcome ${url}`),
    message: (message) => messages.push(message),
    disconnected: ({ url, code }) => events.push(`disconnected ${url} ${code}`),
    fatal: (error) => {
      fatal = error;
    },
  };
  return { handlers, events, messages, fatal: () => fatal };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function fakeServer(): Promise<{ server: FakeServer; url: string }> {
  const server = new FakeServer();
  const url = await server.listen();
  cleanup.push(() => server.close());
  return { server, url };
}

function connect(options: ConstructorParameters<typeof ServerConnection>[0]): ServerConnection {
  const connection = new ServerConnection(options);
  cleanup.push(() => connection.close());
  connection.start();
  return connection;
}

describe('ServerConnection', () => {
  it('says hello with a bearer token, heartbeats at the welcome’s interval and passes messages on', async () => {
    const { server, url } = await fakeServer();
    const record = recorder([{ key: 'a'.repeat(32), attempt: 1 }]);
    const connection = connect({ urls: [url], token: 'secret', handlers: record.handlers });
    await until(() => connection.isConnected);
    expect(server.authorizations).toEqual(['Bearer secret']);
    expect(server.received[0]).toMatchObject({
      type: 'foreman:hello',
      foremanId: 'f1',
      running: [{ attempt: 1 }],
    });
    await until(() => server.received.filter((m) => m.type === 'foreman:heartbeat').length >= 3);
    server.send(server.sockets[0] as WebSocket, { type: 'foreman:drain', draining: true });
    server.sockets[0]?.send('{"type": "nonsense"}');
    await until(() => record.messages.length === 1);
    expect(record.messages).toEqual([{ type: 'foreman:drain', draining: true }]);
    expect(connection.send({ type: 'task:started', key: 'a'.repeat(32), attempt: 1 })).toBe(true);
    await until(() => server.received.some((m) => m.type === 'task:started'));
  });

  it('reconnects after the server drops it, failing over to the next URL, with a fresh hello', async () => {
    const first = await fakeServer();
    const second = await fakeServer();
    const record = recorder();
    const connection = connect({
      urls: [first.url, second.url],
      token: 't',
      handlers: record.handlers,
      backoffBaseMs: 10,
      backoffMaxMs: 50,
    });
    await until(() => connection.isConnected);
    first.server.status = 503; // the first URL now refuses upgrades
    first.server.sockets[0]?.close(1001, 'going away');
    await until(() => record.events.includes(`welcome ${second.url}`));
    expect(record.events).toEqual([
      `welcome ${first.url}`,
      `disconnected ${first.url} 1001`,
      `welcome ${second.url}`,
    ]);
    expect(second.server.received[0]?.type).toBe('foreman:hello');
    expect(connection.currentUrl).toBe(second.url);
  });

  it('keeps trying with backoff while no server answers, then connects', async () => {
    const { server, url } = await fakeServer();
    server.status = 503;
    const record = recorder();
    const connection = connect({
      urls: [url],
      token: 't',
      handlers: record.handlers,
      backoffBaseMs: 20,
      backoffMaxMs: 40,
    });
    await until(() => server.authorizations.length >= 3);
    server.status = 101;
    await until(() => connection.isConnected);
    expect(record.fatal()).toBeUndefined();
  });

  it('gives up when the server refuses the credentials or the id', async () => {
    const { server, url } = await fakeServer();
    server.status = 401;
    const record = recorder();
    connect({ urls: [url], token: 'bad', handlers: record.handlers });
    await until(() => record.fatal() !== undefined);
    expect(record.fatal()?.code).toBe('KOLEJKA_UNAUTHORIZED');
    expect(record.fatal()?.message).toMatch(/HTTP 401.*processor role/);

    const other = await fakeServer();
    other.server.autoWelcome = false;
    const second = recorder();
    connect({ urls: [other.url], token: 't', handlers: second.handlers });
    await until(() => other.server.sockets.length === 1 && other.server.received.length === 1);
    other.server.sockets[0]?.close(4003, 'foreman id of another user');
    await until(() => second.fatal() !== undefined);
    expect(second.fatal()?.code).toBe('KOLEJKA_FORBIDDEN');
  });
});
