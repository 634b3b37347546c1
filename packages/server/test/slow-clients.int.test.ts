import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLogger } from './support/capture-logger.js';
import { api } from './support/http-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let t: TestServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await t?.close();
  t = undefined;
});

/** A raw connection from `localAddress` (any 127/8 address reaches the server on Linux). */
function open(url: string, localAddress: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () =>
      resolve(socket),
    );
    socket.on('error', reject);
    // Read (and drop) whatever comes, so the server's FIN is seen and the socket closes.
    socket.resume();
    sockets.push(socket);
  });
}

function closed(socket: Socket): Promise<void> {
  return socket.closed ? Promise.resolve() : new Promise((r) => socket.once('close', () => r()));
}

/** Starts an upload of a megabyte and sends only its first bytes. */
function halfSentUpload(socket: Socket, token: string): void {
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/v1/blobs HTTP/1.1\r\nHost: kolejka\r\nAuthorization: Bearer ${token}\r\n` +
      'Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\nfirst bytes',
  );
}

describe('slow clients', () => {
  it('bounds the connections of one address, cuts stalled bodies, and keeps answering others', async () => {
    t = await startTestServer({
      http: { maxConnectionsPerAddress: 20, bodyTimeoutMs: 800, headersTimeoutMs: 2000 },
    });
    const token = t.users.alice?.token ?? '';
    const attackers = await Promise.all(
      Array.from({ length: 200 }, () => open(t?.url ?? '', '127.0.0.2')),
    );
    for (const socket of attackers) halfSentUpload(socket, token);
    const connections = (): Promise<number> =>
      new Promise<number>((resolve, reject) =>
        t?.server.httpServer.getConnections((error, count) =>
          error ? reject(error) : resolve(count),
        ),
      );
    // The refused ones close as soon as their side reads the 503 (slower on a busy machine).
    for (let waited = 0; waited < 2000 && (await connections()) > 20; waited += 50) await sleep(50);
    expect(await connections()).toBeLessThanOrEqual(20);

    // Another address (a foreman, an operator) is answered at once.
    const started = Date.now();
    const health = await api(t.url, '/healthz');
    const me = await api(t.url, '/api/v1/me', { token: t.users.foreman?.token ?? '' });
    expect(health.status).toBe(200);
    expect(me.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);

    // The stalled bodies are cut after the body timeout: every attacker socket ends.
    const allClosed = Promise.all(attackers.map(closed));
    await expect(Promise.race([allClosed.then(() => 'closed'), sleep(5000, 'open')])).resolves.toBe(
      'closed',
    );
  });

  it('refuses a connection over the cap with 503 and Retry-After', async () => {
    t = await startTestServer({ http: { maxConnectionsPerAddress: 2 } });
    const held = [await open(t.url, '127.0.0.3'), await open(t.url, '127.0.0.3')];
    for (const socket of held) socket.on('error', () => undefined);
    const extra = await open(t.url, '127.0.0.3');
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      extra.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      extra.on('close', () => resolve(text));
      extra.on('error', () => undefined);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 503 /);
    expect(reply).toMatch(/\r\nRetry-After: 1\r\n/);
  });

  it('closes a connection whose headers never finish', async () => {
    t = await startTestServer({ http: { headersTimeoutMs: 500 } });
    const socket = await open(t.url, '127.0.0.4');
    socket.on('error', () => undefined);
    socket.write('GET /healthz HTTP/1.1\r\nHost: kolejka\r\n');
    await expect(
      Promise.race([closed(socket).then(() => 'closed'), sleep(4000, 'open')]),
    ).resolves.toBe('closed');
  });

  it('logs a client that leaves mid-upload once, at debug, without an error', async () => {
    const { logger, lines } = captureLogger();
    t = await startTestServer({ logger });
    const socket = await open(t.url, '127.0.0.1');
    halfSentUpload(socket, t.users.alice?.token ?? '');
    await sleep(200);
    socket.destroy();
    await sleep(300);
    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
    expect(
      lines.filter((line) => line.message === 'client disconnected during the request'),
    ).toEqual([expect.objectContaining({ level: 'debug' })]);
    // The server still answers.
    expect((await api(t.url, '/healthz')).status).toBe(200);
  });
});
